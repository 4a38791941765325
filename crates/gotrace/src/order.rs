//! The ordering state machine: decides whether a thread's next event can
//! happen now, and turns it into public events.
//!
//! Batches are per thread, and threads race. Go's runtime stamps every
//! goroutine and proc transition that another thread could observe with a
//! per-generation sequence number; an event may only be emitted once the
//! resource it touches is in the state (and at the sequence number) the event
//! expects. "Not yet" is not an error: the reader then tries another thread.
//! The rules and error texts follow Go's `internal/trace/order.go`.

use crate::event::{GoState, ProcState, SchedCtx, NO_GOROUTINE, NO_PROC, NO_THREAD, NO_TASK};
use crate::gtable::GoTable;
use crate::table::{EvTable, IdMap};
use crate::wire::spec::{ev, gstatus, pstatus, EventType, SPECS};
use crate::wire::Version;
use crate::Error;

/// A decoded event as it comes off a thread's batch: type, time in ns, raw args.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct BaseEvent {
    pub typ: EventType,
    pub time: i64,
    pub args: [u64; 4],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seq {
    gen: u64,
    n: u64,
}

impl Seq {
    fn succeeds(self, prev: Seq) -> bool {
        self.gen == prev.gen && self.n == prev.n.wrapping_add(1)
    }
}

impl std::fmt::Display for Seq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (gen={})", self.n, self.gen)
    }
}

/// A kind of range in flight on a resource: its begin event and optional subtype string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RangeType {
    typ: EventType,
    desc: u64,
}

fn range_type(typ: EventType, desc: u64) -> RangeType {
    let start = SPECS[typ as usize].start_ev;
    RangeType { typ: if start != ev::NONE { start } else { typ }, desc }
}

#[derive(Debug, Default)]
struct Ranges {
    in_flight: Vec<RangeType>,
}

impl Ranges {
    fn begin(&mut self, t: RangeType) -> Result<(), Error> {
        if self.in_flight.contains(&t) {
            return Err(Error::new(format!(
                "discovered event already in-flight for when starting event {}",
                SPECS[t.typ as usize].name
            )));
        }
        self.in_flight.push(t);
        Ok(())
    }

    fn active(&mut self, t: RangeType, initial_gen: bool) -> Result<(), Error> {
        if initial_gen {
            if self.in_flight.contains(&t) {
                return Err(Error::new(format!(
                    "found named active range already in first gen: {{{} {}}}",
                    t.typ, t.desc
                )));
            }
            self.in_flight.push(t);
        } else if !self.in_flight.contains(&t) {
            return Err(Error::new(format!(
                "resource is missing active range: {} {:?}",
                SPECS[t.typ as usize].name, self.in_flight
            )));
        }
        Ok(())
    }

    fn end(&mut self, typ: EventType) -> Result<u64, Error> {
        let st = SPECS[typ as usize].start_ev;
        match self.in_flight.iter().position(|r| r.typ == st) {
            Some(i) => Ok(self.in_flight.swap_remove(i).desc),
            None => Err(Error::new(format!(
                "tried to end event {}, but not in-flight",
                SPECS[st as usize].name
            ))),
        }
    }
}

/// A goroutine's state.
///
/// Kept small because nearly every event looks one up by ID: the region stack
/// and range set, which few goroutines ever use, live behind a box that is
/// only allocated for those that do.
#[derive(Debug)]
struct GState<'a> {
    status: u64,
    seq: Seq,
    extra: Option<Box<GExtra<'a>>>,
}

/// The rarely used part of a goroutine's state.
#[derive(Debug, Default)]
struct GExtra<'a> {
    regions: Vec<(u64, &'a [u8])>,
    ranges: Ranges,
}

impl<'a> GState<'a> {
    fn new(status: u64, seq: Seq) -> Self {
        GState { status, seq, extra: None }
    }

    fn extra(&mut self) -> &mut GExtra<'a> {
        self.extra.get_or_insert_with(Box::default)
    }
}

#[derive(Debug)]
struct PState {
    status: u64,
    seq: Seq,
    ranges: Ranges,
}

/// Proc IDs below this index a vector; others (only seen in damaged files) go to a map.
const DENSE_PROCS: i64 = 1 << 10;

/// Proc states by ID.
///
/// Proc IDs are small dense integers (0..GOMAXPROCS) in every trace the
/// runtime writes, so they index a vector; an ID outside that range (a
/// damaged or hostile file) is kept in a map instead, with the same results.
#[derive(Default)]
struct Procs {
    dense: Vec<Option<PState>>,
    sparse: IdMap<i64, PState>,
}

impl Procs {
    #[inline]
    fn get(&self, id: i64) -> Option<&PState> {
        if (0..DENSE_PROCS).contains(&id) {
            self.dense.get(id as usize)?.as_ref()
        } else {
            self.sparse.get(&id)
        }
    }

    #[inline]
    fn get_mut(&mut self, id: i64) -> Option<&mut PState> {
        if (0..DENSE_PROCS).contains(&id) {
            self.dense.get_mut(id as usize)?.as_mut()
        } else {
            self.sparse.get_mut(&id)
        }
    }

    fn insert(&mut self, id: i64, s: PState) {
        if (0..DENSE_PROCS).contains(&id) {
            let i = id as usize;
            if self.dense.len() <= i {
                self.dense.resize_with(i + 1, || None);
            }
            self.dense[i] = Some(s);
        } else {
            self.sparse.insert(id, s);
        }
    }
}

/// A thread's state: the goroutine it runs and the proc it holds.
///
/// `g` and `p` are not adjacent on purpose: a handler's new context reaches
/// [`Ordering::advance`] through memory, written one field at a time, and a
/// single wide load of both (what adjacent fields invite) would stall on a
/// failed store-to-load forward on every event.
#[derive(Debug, Clone, Copy)]
struct MState {
    g: i64,
    id: i64,
    p: i64,
    /// Whether Go's reader would have an entry for this thread yet: one is made
    /// by the thread's first advance attempt, or by a GoStatus that names it.
    known: bool,
}

/// A thread's place in [`Threads`]; the reader resolves each batch thread to
/// one when a generation is installed.
pub(crate) type ThreadSlot = u32;

/// The slot of [`NO_THREAD`], which has no state.
pub(crate) const NO_SLOT: ThreadSlot = u32::MAX;

/// Thread states, in slots.
///
/// Every event of a batch happens on the batch's thread, so the reader looks
/// the thread up once per generation and hands its slot in with each event:
/// the per-event lookup (twice per event in Go, a map read and a map write)
/// becomes a vector index. Only the rare lookups by an ID taken from an
/// event's arguments (ProcSteal's M, GoStatus's M) use the map. A slot can
/// exist before Go's map entry would, hence [`MState::known`].
#[derive(Default)]
struct Threads {
    slots: Vec<MState>,
    index: IdMap<i64, ThreadSlot>,
}

impl Threads {
    /// The slot of thread `id`, made (not yet known) if it has none.
    fn slot(&mut self, id: i64) -> ThreadSlot {
        let next = self.slots.len() as ThreadSlot;
        let slot = *self.index.entry(id).or_insert(next);
        if slot == next {
            self.slots.push(MState { id, g: NO_GOROUTINE, p: NO_PROC, known: false });
        }
        slot
    }

    /// The state of thread `id`, if Go's reader would have one.
    fn get_mut(&mut self, id: i64) -> Option<&mut MState> {
        let &slot = self.index.get(&id)?;
        let ms = &mut self.slots[slot as usize];
        ms.known.then_some(ms)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GcState {
    Undetermined,
    NotRunning,
    Running,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    Not,
    May,
    Must,
}

struct Reqs {
    m: Need,
    p: Need,
    g: Need,
}

const USER_GO_REQS: Reqs = Reqs { m: Need::Must, p: Need::Must, g: Need::Must };

#[inline(always)]
fn validate_ctx(ctx: SchedCtx, r: Reqs) -> Result<(), Error> {
    if r.m == Need::Must && ctx.m == NO_THREAD {
        return Err(Error::new("expected a thread but didn't have one"));
    } else if r.m == Need::Not && ctx.m != NO_THREAD {
        return Err(Error::new("expected no thread but had one"));
    }
    if r.p == Need::Must && ctx.p == NO_PROC {
        return Err(Error::new("expected a proc but didn't have one"));
    } else if r.p == Need::Not && ctx.p != NO_PROC {
        return Err(Error::new("expected no proc but had one"));
    }
    if r.g == Need::Must && ctx.g == NO_GOROUTINE {
        return Err(Error::new("expected a goroutine but didn't have one"));
    } else if r.g == Need::Not && ctx.g != NO_GOROUTINE {
        return Err(Error::new("expected no goroutine but had one"));
    }
    Ok(())
}

/// Wire goroutine status → public state (Bad maps to Undetermined, as Go's table does).
fn go_state_of(status: u64) -> GoState {
    match status {
        gstatus::RUNNABLE => GoState::Runnable,
        gstatus::RUNNING => GoState::Running,
        gstatus::WAITING => GoState::Waiting,
        gstatus::SYSCALL => GoState::Syscall,
        _ => GoState::Undetermined,
    }
}

/// Wire proc status → public state: a proc in a syscall is still Running to consumers.
fn proc_state_of(status: u64) -> ProcState {
    match status {
        pstatus::RUNNING | pstatus::SYSCALL => ProcState::Running,
        pstatus::IDLE | pstatus::SYSCALL_ABANDONED => ProcState::Idle,
        _ => ProcState::Undetermined,
    }
}

/// Outcome of trying to advance one event.
pub(crate) type Advance = Result<bool, Error>;

/// An ordered event waiting to be handed out: everything but its
/// generation's table, which the reader attaches when it hands it out (and,
/// for a TaskEnd, the task's type: see `Ordering::task_names`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ordered {
    pub ctx: SchedCtx,
    pub base: BaseEvent,
}

const NO_ORDERED: Ordered = Ordered {
    ctx: SchedCtx { g: NO_GOROUTINE, p: NO_PROC, m: NO_THREAD },
    base: BaseEvent { typ: 0, time: 0, args: [0; 4] },
};

/// Most events one advance can produce: GoSwitch gives three (the switch, the
/// old goroutine's block or destroy, the new one's start).
const MAX_PER_ADVANCE: usize = 3;

/// How many events the reader orders ahead of what it has handed out.
const RUN: usize = 32;

/// Room for a run plus one more advance.
const QUEUE_CAP: usize = RUN + MAX_PER_ADVANCE;

/// All state the ordering keeps across generations.
pub(crate) struct Ordering<'a> {
    version: Version,
    g_states: GoTable<GState<'a>>,
    p_states: Procs,
    m_states: Threads,
    active_tasks: IdMap<u64, (&'a [u8], u64)>,
    gc_seq: u64,
    gc_state: GcState,
    initial_gen: u64,
    /// Events ordered but not handed out yet, `queue[q_head..q_len]`. A fixed
    /// array rather than a growable queue: the reader orders a run of at most
    /// [`RUN`] events (plus one advance) and drains it before ordering more.
    queue: [Ordered; QUEUE_CAP],
    /// For a TaskEnd in `queue`, the type of the task it ended (possibly begun
    /// in an earlier generation). Beside the queue rather than in it, which it
    /// would widen for one rare event type.
    task_names: [&'a [u8]; QUEUE_CAP],
    q_head: usize,
    q_len: usize,
}

impl<'a> Ordering<'a> {
    pub fn new(version: Version) -> Self {
        Ordering {
            version,
            g_states: GoTable::default(),
            p_states: Procs::default(),
            m_states: Threads::default(),
            active_tasks: IdMap::default(),
            gc_seq: 0,
            gc_state: GcState::Undetermined,
            initial_gen: 0,
            queue: [NO_ORDERED; QUEUE_CAP],
            task_names: [b""; QUEUE_CAP],
            q_head: 0,
            q_len: 0,
        }
    }

    /// The next ordered event, and for a TaskEnd the type of the task it
    /// ended (empty otherwise).
    #[inline]
    pub fn next(&mut self) -> Option<(&Ordered, &'a [u8])> {
        if self.q_head == self.q_len {
            return None;
        }
        let i = self.q_head;
        self.q_head += 1;
        if self.q_head == self.q_len {
            self.q_head = 0;
            self.q_len = 0;
        }
        let o = &self.queue[i];
        let name = if o.base.typ == ev::USER_TASK_END { self.task_names[i] } else { b"" };
        Some((o, name))
    }

    /// Number of queue slots in use (handed-out ones included until it empties).
    #[inline]
    pub fn len(&self) -> usize {
        self.q_len
    }

    /// Whether another advance fits in the current run.
    #[inline]
    pub fn has_room(&self) -> bool {
        self.q_len < RUN
    }

    /// Drops the events queued from position `len` on (those of an advance that failed).
    pub fn truncate(&mut self, len: usize) {
        self.q_len = len.max(self.q_head);
        if self.q_head == self.q_len {
            self.q_head = 0;
            self.q_len = 0;
        }
    }

    /// Whether every event of the last advance was handed out.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.q_head == self.q_len
    }

    /// Queues an event that needs no ordering (a CPU sample).
    pub fn enqueue(&mut self, o: Ordered) {
        self.push(o.ctx, o.base);
    }

    /// Drops events not handed out yet (after an error, nothing more is).
    pub fn clear_queue(&mut self) {
        self.q_head = 0;
        self.q_len = 0;
    }

    /// The slot of thread `m` (see [`Threads`]); [`NO_SLOT`] for [`NO_THREAD`].
    pub fn thread_slot(&mut self, m: i64) -> ThreadSlot {
        if m == NO_THREAD {
            return NO_SLOT;
        }
        self.m_states.slot(m)
    }

    fn name(&self, typ: EventType) -> String {
        self.version.event_name(typ)
    }

    /// Queues an ordered event, written into its slot field by field: the
    /// context was just made by narrow writes, and copying it whole would
    /// wait for them.
    #[inline]
    fn push(&mut self, ctx: SchedCtx, base: BaseEvent) {
        let slot = &mut self.queue[self.q_len];
        slot.ctx.g = ctx.g;
        slot.ctx.p = ctx.p;
        slot.ctx.m = ctx.m;
        slot.base = base;
        self.q_len += 1;
    }

    /// Tries to make `ev`, the next event of thread `m` (in slot `slot`), happen now.
    ///
    /// `Ok(false)` means "not yet": some other thread must move first.
    #[inline(always)]
    pub fn advance(&mut self, ev: &mut BaseEvent, t: &EvTable<'a>, m: i64, slot: ThreadSlot, gen: u64) -> Advance {
        if self.initial_gen == 0 {
            self.initial_gen = gen;
        }
        let mut cur = SchedCtx { g: NO_GOROUTINE, p: NO_PROC, m };
        if m != NO_THREAD {
            // Go makes the thread's state here, on its first attempted event.
            let ms = &mut self.m_states.slots[slot as usize];
            ms.known = true;
            cur.p = ms.p;
            cur.g = ms.g;
        }
        let r = match ev.typ {
            ev::PROCS_CHANGE | ev::GO_LABEL | ev::USER_LOG => self.annotation(ev, cur),
            ev::PROC_START => self.proc_start(ev, gen, cur),
            ev::PROC_STOP => self.proc_stop(ev, cur),
            ev::PROC_STEAL => self.proc_steal(ev, gen, cur),
            ev::PROC_STATUS => self.proc_status(ev, gen, cur),
            ev::GO_CREATE | ev::GO_CREATE_BLOCKED => self.go_create(ev, gen, cur),
            ev::GO_CREATE_SYSCALL => self.go_create_syscall(ev, gen, cur),
            ev::GO_START => self.go_start(ev, gen, cur),
            ev::GO_DESTROY | ev::GO_STOP | ev::GO_BLOCK => self.go_stop_exec(ev, cur),
            ev::GO_DESTROY_SYSCALL => self.go_destroy_syscall(ev, cur),
            ev::GO_UNBLOCK => self.go_unblock(ev, gen, cur),
            ev::GO_SYSCALL_BEGIN => self.go_syscall_begin(ev, gen, cur),
            ev::GO_SYSCALL_END => self.go_syscall_end(ev, cur),
            ev::GO_SYSCALL_END_BLOCKED => self.go_syscall_end_blocked(ev, cur),
            ev::GO_STATUS | ev::GO_STATUS_STACK => self.go_status(ev, gen, cur),
            ev::STW_BEGIN | ev::GC_MARK_ASSIST_BEGIN => self.go_range_begin(ev, cur),
            ev::STW_END | ev::GC_MARK_ASSIST_END => self.go_range_end(ev, cur),
            ev::GC_MARK_ASSIST_ACTIVE => self.go_range_active(ev, gen, cur),
            ev::GC_ACTIVE => self.gc_active(ev, gen, cur),
            ev::GC_BEGIN => self.gc_begin(ev, cur),
            ev::GC_END => self.gc_end(ev, cur),
            ev::GC_SWEEP_ACTIVE => self.gc_sweep_active(ev, gen, cur),
            ev::GC_SWEEP_BEGIN => self.gc_sweep_begin(ev, cur),
            ev::GC_SWEEP_END => self.gc_sweep_end(ev, cur),
            ev::HEAP_ALLOC | ev::HEAP_GOAL => self.heap_metric(ev, cur),
            ev::USER_TASK_BEGIN => self.user_task_begin(ev, t, cur),
            ev::USER_TASK_END => self.user_task_end(ev, cur),
            ev::USER_REGION_BEGIN | ev::USER_REGION_END => self.user_region(ev, t, cur),
            ev::GO_SWITCH | ev::GO_SWITCH_DESTROY => self.go_switch(ev, gen, cur),
            ev::SPAN..=ev::GOROUTINE_STACK_FREE => self.alloc_free(ev, cur),
            other => return Err(Error::new(format!("bad event type found while ordering: {other}"))),
        };
        match r {
            Ok(Some(new)) => {
                if m != NO_THREAD {
                    let ms = &mut self.m_states.slots[slot as usize];
                    ms.p = new.p;
                    ms.g = new.g;
                }
                Ok(true)
            }
            Ok(None) => Ok(false),
            Err(e) => Err(e),
        }
    }

    // Each handler returns Ok(Some(new context)) on success, Ok(None) for "not yet".

    fn proc_status(&mut self, ev: &mut BaseEvent, gen: u64, mut cur: SchedCtx) -> Res {
        let pid = ev.args[0] as i64;
        let status = ev.args[1];
        if status > pstatus::SYSCALL_ABANDONED {
            return Err(Error::new(format!("invalid status for proc {pid}: {status}")));
        }
        let mut old = proc_state_of(status);
        if let Some(s) = self.p_states.get_mut(pid) {
            if status == pstatus::SYSCALL_ABANDONED && s.status == pstatus::SYSCALL {
                // The proc was in a syscall but its thread was abandoned (a dying cgo
                // thread): it is about to be stolen, so it is still Running until then.
                old = ProcState::Running;
                ev.args[1] = pstatus::SYSCALL;
            } else if status == pstatus::SYSCALL_ABANDONED && s.status == pstatus::SYSCALL_ABANDONED {
                old = ProcState::Idle;
                ev.args[1] = pstatus::SYSCALL_ABANDONED;
            } else if s.status != status {
                return Err(Error::new(format!(
                    "inconsistent status for proc {pid}: old {} vs. new {}",
                    pstatus::name(s.status),
                    pstatus::name(status)
                )));
            }
            s.seq = Seq { gen, n: 0 };
        } else {
            self.p_states.insert(pid, PState { status, seq: Seq { gen, n: 0 }, ranges: Ranges::default() });
            old = if gen == self.initial_gen { ProcState::Undetermined } else { ProcState::NotExist };
        }
        ev.args[2] = old as u64;
        let mut new = cur;
        if status == pstatus::RUNNING || status == pstatus::SYSCALL {
            new.p = pid;
        }
        if status == pstatus::SYSCALL_ABANDONED && old == ProcState::Running {
            // Attribute the event to the thread that held the proc.
            let mut found = false;
            for ms in &self.m_states.slots {
                if ms.known && ms.p == pid {
                    cur = SchedCtx { m: ms.id, p: pid, g: ms.g };
                    found = true;
                }
            }
            if !found {
                return Err(Error::new(format!(
                    "failed to find sched context for proc {pid} that's about to be stolen"
                )));
            }
        }
        self.push(cur, *ev);
        Ok(Some(new))
    }

    #[inline]
    fn proc_start(&mut self, ev: &mut BaseEvent, gen: u64, cur: SchedCtx) -> Res {
        let pid = ev.args[0] as i64;
        let seq = Seq { gen, n: ev.args[1] };
        let Some(state) = self.p_states.get_mut(pid) else { return Ok(None) };
        if state.status != pstatus::IDLE || !seq.succeeds(state.seq) || cur.p != NO_PROC {
            return Ok(None);
        }
        validate_ctx(cur, Reqs { m: Need::Must, p: Need::Not, g: Need::May })?;
        state.status = pstatus::RUNNING;
        state.seq = seq;
        self.push(cur, *ev);
        Ok(Some(SchedCtx { p: pid, ..cur }))
    }

    #[inline]
    fn proc_stop(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Res {
        let version = self.version;
        let Some(state) = self.p_states.get_mut(cur.p) else {
            let name = version.event_name(ev.typ);
            return Err(Error::new(format!("event {name} for proc ({}) that doesn't exist", cur.p)));
        };
        if state.status != pstatus::RUNNING && state.status != pstatus::SYSCALL {
            let name = version.event_name(ev.typ);
            return Err(Error::new(format!("{name} event for proc that's not Running or Syscall")));
        }
        validate_ctx(cur, Reqs { m: Need::Must, p: Need::Must, g: Need::May })?;
        state.status = pstatus::IDLE;
        self.push(cur, *ev);
        Ok(Some(SchedCtx { p: NO_PROC, ..cur }))
    }

    fn proc_steal(&mut self, ev: &mut BaseEvent, gen: u64, cur: SchedCtx) -> Res {
        let pid = ev.args[0] as i64;
        let seq = Seq { gen, n: ev.args[1] };
        let Some(state) = self.p_states.get_mut(pid) else { return Ok(None) };
        if (state.status != pstatus::SYSCALL && state.status != pstatus::SYSCALL_ABANDONED)
            || !seq.succeeds(state.seq)
        {
            return Ok(None);
        }
        validate_ctx(cur, Reqs { m: Need::Must, p: Need::May, g: Need::May })?;
        let old = state.status;
        ev.args[3] = old;
        state.status = pstatus::IDLE;
        state.seq = seq;
        if old == pstatus::SYSCALL_ABANDONED {
            self.push(cur, *ev);
            return Ok(Some(cur));
        }
        let mid = ev.args[2] as i64;
        if mid == cur.m {
            if cur.p != pid {
                return Err(Error::new(format!(
                    "tried to self-steal proc {pid} (thread {mid}), but got proc {} instead",
                    cur.p
                )));
            }
            self.push(cur, *ev);
            return Ok(Some(SchedCtx { p: NO_PROC, ..cur }));
        }
        let Some(ms) = self.m_states.get_mut(mid) else {
            return Err(Error::new(format!("stole proc from non-existent thread {mid}")));
        };
        if ms.p != pid {
            return Err(Error::new(format!(
                "tried to steal proc {pid} from thread {mid}, but got proc {} instead",
                ms.p
            )));
        }
        ms.p = NO_PROC;
        self.push(cur, *ev);
        Ok(Some(cur))
    }

    fn go_status(&mut self, ev: &mut BaseEvent, gen: u64, mut cur: SchedCtx) -> Res {
        let gid = ev.args[0] as i64;
        let mid = ev.args[1] as i64;
        let status = ev.args[2];
        if status > gstatus::WAITING {
            return Err(Error::new(format!("invalid status for goroutine {gid}: {status}")));
        }
        let mut old = go_state_of(status);
        if let Some(s) = self.g_states.get_mut(&gid) {
            if s.status != status {
                return Err(Error::new(format!(
                    "inconsistent status for goroutine {gid}: old {} vs. new {}",
                    gstatus::name(s.status),
                    gstatus::name(status)
                )));
            }
            s.seq = Seq { gen, n: 0 };
        } else if gen == self.initial_gen {
            self.g_states.insert(gid, GState::new(status, Seq { gen, n: 0 }));
            old = GoState::Undetermined;
        } else {
            return Err(Error::new(format!(
                "found goroutine status for new goroutine after the first generation: id={gid} status={}",
                gstatus::name(status)
            )));
        }
        ev.args[2] = ((old as u64) << 32) | status;
        let mut new = cur;
        match status {
            gstatus::RUNNING => new.g = gid,
            gstatus::SYSCALL => {
                if mid == NO_THREAD {
                    return Err(Error::new(format!("found goroutine {gid} in syscall without a thread")));
                }
                if mid == cur.m {
                    if gen != self.initial_gen && cur.g != gid {
                        return Err(Error::new(format!(
                            "inconsistent thread for syscalling goroutine {gid}: thread has goroutine {}",
                            cur.g
                        )));
                    }
                    new.g = gid;
                } else {
                    // The goroutine sits in a syscall on another thread: attribute the
                    // event to that thread.
                    match self.m_states.get_mut(mid) {
                        Some(ms) => {
                            if ms.g != gid {
                                return Err(Error::new(format!(
                                    "inconsistent thread for syscalling goroutine {gid}: thread has goroutine {}",
                                    ms.g
                                )));
                            }
                            cur.g = ms.g;
                        }
                        None => {
                            let slot = self.m_states.slot(mid);
                            self.m_states.slots[slot as usize] = MState { id: mid, g: gid, p: NO_PROC, known: true };
                        }
                    }
                    cur.m = mid;
                }
            }
            _ => {}
        }
        self.push(cur, *ev);
        Ok(Some(new))
    }

    #[inline]
    fn go_create(&mut self, ev: &mut BaseEvent, gen: u64, cur: SchedCtx) -> Res {
        validate_ctx(cur, Reqs { m: Need::Must, p: Need::Must, g: Need::May })?;
        if let Some(s) = self.g_states.get(&cur.g) {
            if s.status != gstatus::RUNNING {
                return Err(Error::new(format!("{} event for goroutine that's not Running", self.name(ev.typ))));
            }
        }
        let newg = ev.args[0] as i64;
        let status = if ev.typ == ev::GO_CREATE_BLOCKED { gstatus::WAITING } else { gstatus::RUNNABLE };
        if !self.g_states.insert_new(newg, GState::new(status, Seq { gen, n: 0 })) {
            return Err(Error::new(format!("tried to create goroutine ({newg}) that already exists")));
        }
        self.push(cur, *ev);
        Ok(Some(cur))
    }

    #[inline(always)]
    fn running_g(&mut self, typ: EventType, g: i64, want: u64) -> Result<&mut GState<'a>, Error> {
        let version = self.version;
        let Some(s) = self.g_states.get_mut(&g) else {
            let name = version.event_name(typ);
            return Err(Error::new(format!("event {name} for goroutine ({g}) that doesn't exist")));
        };
        if s.status != want {
            // Go names Running here even when it wanted Syscall (except for GoDestroySyscall).
            let wanted = if typ == ev::GO_DESTROY_SYSCALL { "Syscall" } else { "Running" };
            let name = version.event_name(typ);
            return Err(Error::new(format!("{name} event for goroutine that's not {wanted}")));
        }
        Ok(s)
    }

    #[inline(always)]
    fn go_stop_exec(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Res {
        validate_ctx(cur, USER_GO_REQS)?;
        let s = self.running_g(ev.typ, cur.g, gstatus::RUNNING)?;
        match ev.typ {
            ev::GO_STOP => s.status = gstatus::RUNNABLE,
            ev::GO_BLOCK => s.status = gstatus::WAITING,
            _ => {
                self.g_states.remove(&cur.g);
            }
        }
        self.push(cur, *ev);
        Ok(Some(SchedCtx { g: NO_GOROUTINE, ..cur }))
    }

    /// The goroutine's state when it is in `status` and `seq` is its next
    /// sequence number: a sequenced event about it can happen now. `None`
    /// means "not yet" (another thread must move first).
    #[inline(always)]
    fn ready_g(&mut self, gid: i64, seq: Seq, status: u64) -> Option<&mut GState<'a>> {
        let s = self.g_states.get_mut(&gid)?;
        (s.status == status && seq.succeeds(s.seq)).then_some(s)
    }

    #[inline(always)]
    fn go_start(&mut self, ev: &mut BaseEvent, gen: u64, cur: SchedCtx) -> Res {
        let gid = ev.args[0] as i64;
        let seq = Seq { gen, n: ev.args[1] };
        let Some(s) = self.ready_g(gid, seq, gstatus::RUNNABLE) else { return Ok(None) };
        validate_ctx(cur, Reqs { m: Need::Must, p: Need::Must, g: Need::Not })?;
        s.status = gstatus::RUNNING;
        s.seq = seq;
        self.push(cur, *ev);
        Ok(Some(SchedCtx { g: gid, ..cur }))
    }

    #[inline(always)]
    fn go_unblock(&mut self, ev: &mut BaseEvent, gen: u64, cur: SchedCtx) -> Res {
        let gid = ev.args[0] as i64;
        let seq = Seq { gen, n: ev.args[1] };
        let Some(s) = self.ready_g(gid, seq, gstatus::WAITING) else { return Ok(None) };
        s.status = gstatus::RUNNABLE;
        s.seq = seq;
        self.push(cur, *ev);
        Ok(Some(cur))
    }

    fn go_switch(&mut self, ev: &mut BaseEvent, gen: u64, cur: SchedCtx) -> Res {
        validate_ctx(cur, USER_GO_REQS)?;
        self.running_g(ev.typ, cur.g, gstatus::RUNNING)?;
        let next = ev.args[0] as i64;
        let seq = Seq { gen, n: ev.args[1] };
        match self.g_states.get(&next) {
            Some(s) if s.status == gstatus::WAITING && seq.succeeds(s.seq) => {}
            _ => return Ok(None),
        }
        self.push(cur, *ev);
        let time = ev.time;
        if ev.typ == ev::GO_SWITCH {
            if let Some(s) = self.g_states.get_mut(&cur.g) {
                s.status = gstatus::WAITING;
            }
            self.push(cur, BaseEvent { typ: ev::GO_BLOCK, time, args: [0; 4] });
        } else {
            self.g_states.remove(&cur.g);
            self.push(cur, BaseEvent { typ: ev::GO_DESTROY, time, args: [0; 4] });
        }
        if let Some(s) = self.g_states.get_mut(&next) {
            s.status = gstatus::RUNNING;
            s.seq = seq;
        }
        let start_ctx = SchedCtx { g: NO_GOROUTINE, ..cur };
        self.push(start_ctx, BaseEvent { typ: ev::GO_START, time, args: [next as u64, ev.args[1], 0, 0] });
        Ok(Some(SchedCtx { g: next, ..cur }))
    }

    #[inline]
    fn go_syscall_begin(&mut self, ev: &mut BaseEvent, gen: u64, cur: SchedCtx) -> Res {
        validate_ctx(cur, USER_GO_REQS)?;
        let version = self.version;
        let name = || version.event_name(ev::GO_SYSCALL_BEGIN);
        self.running_g(ev.typ, cur.g, gstatus::RUNNING)?.status = gstatus::SYSCALL;
        let Some(ps) = self.p_states.get_mut(cur.p) else {
            return Err(Error::new(format!("uninitialized proc {} found during {}", cur.p, name())));
        };
        ps.status = pstatus::SYSCALL;
        let pseq = Seq { gen, n: ev.args[0] };
        if !pseq.succeeds(ps.seq) {
            return Err(Error::new(format!(
                "failed to advance {}: can't make sequence: {} -> {pseq}",
                name(),
                ps.seq
            )));
        }
        ps.seq = pseq;
        self.push(cur, *ev);
        Ok(Some(cur))
    }

    #[inline]
    fn go_syscall_end(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Res {
        validate_ctx(cur, USER_GO_REQS)?;
        self.running_g(ev.typ, cur.g, gstatus::SYSCALL)?.status = gstatus::RUNNING;
        let version = self.version;
        let Some(ps) = self.p_states.get_mut(cur.p) else {
            let name = version.event_name(ev.typ);
            return Err(Error::new(format!("uninitialized proc {} found during {name}", cur.p)));
        };
        if ps.status != pstatus::SYSCALL {
            return Err(Error::new(format!(
                "expected proc {} in state Syscall, but got {} instead",
                cur.p,
                pstatus::name(ps.status)
            )));
        }
        ps.status = pstatus::RUNNING;
        self.push(cur, *ev);
        Ok(Some(cur))
    }

    #[inline]
    fn go_syscall_end_blocked(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Res {
        if cur.p != NO_PROC {
            let Some(ps) = self.p_states.get(cur.p) else {
                return Err(Error::new(format!(
                    "uninitialized proc {} found during {}",
                    cur.p,
                    self.name(ev.typ)
                )));
            };
            if ps.status == pstatus::SYSCALL {
                // The steal has not been seen yet.
                return Ok(None);
            }
        }
        validate_ctx(cur, Reqs { m: Need::Must, p: Need::May, g: Need::Must })?;
        self.running_g(ev.typ, cur.g, gstatus::SYSCALL)?.status = gstatus::RUNNABLE;
        self.push(cur, *ev);
        Ok(Some(SchedCtx { g: NO_GOROUTINE, ..cur }))
    }

    fn go_create_syscall(&mut self, ev: &mut BaseEvent, gen: u64, cur: SchedCtx) -> Res {
        validate_ctx(cur, Reqs { m: Need::Must, p: Need::May, g: Need::Not })?;
        let newg = ev.args[0] as i64;
        if !self.g_states.insert_new(newg, GState::new(gstatus::SYSCALL, Seq { gen, n: 0 })) {
            return Err(Error::new(format!("tried to create goroutine ({newg}) in syscall that already exists")));
        }
        self.push(cur, *ev);
        Ok(Some(SchedCtx { g: newg, ..cur }))
    }

    fn go_destroy_syscall(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Res {
        validate_ctx(cur, Reqs { m: Need::Must, p: Need::May, g: Need::Must })?;
        self.running_g(ev.typ, cur.g, gstatus::SYSCALL)?;
        self.g_states.remove(&cur.g);
        let mut new = SchedCtx { g: NO_GOROUTINE, ..cur };
        if cur.p != NO_PROC {
            let name = self.name(ev.typ);
            let Some(ps) = self.p_states.get_mut(cur.p) else {
                return Err(Error::new(format!("found invalid proc {} during {name}", cur.p)));
            };
            if ps.status != pstatus::SYSCALL {
                return Err(Error::new(format!(
                    "proc {} in unexpected state {} during {name}",
                    cur.p,
                    pstatus::name(ps.status)
                )));
            }
            // The thread goes away with its proc: synthesise the steal that releases it.
            ps.status = pstatus::SYSCALL_ABANDONED;
            new.p = NO_PROC;
            let steal = BaseEvent { typ: ev::PROC_STEAL, time: ev.time, args: [cur.p as u64, 0, 0, pstatus::SYSCALL] };
            self.push(cur, steal);
        }
        self.push(cur, *ev);
        Ok(Some(new))
    }

    fn user_task_begin(&mut self, ev: &mut BaseEvent, t: &EvTable<'a>, cur: SchedCtx) -> Res {
        let id = ev.args[0];
        if self.active_tasks.contains_key(&id) {
            return Err(Error::new(format!("task ID conflict: {id}")));
        }
        let mut parent = ev.args[1];
        if parent == 0 {
            parent = NO_TASK;
            ev.args[1] = NO_TASK;
        }
        let name_id = ev.args[2];
        let Some(name) = t.string(name_id) else {
            return Err(Error::new(format!("invalid string ID {name_id} for {} event", ev.typ)));
        };
        self.active_tasks.insert(id, (name, parent));
        validate_ctx(cur, USER_GO_REQS)?;
        self.push(cur, *ev);
        Ok(Some(cur))
    }

    fn user_task_end(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Res {
        let id = ev.args[0];
        let name: &'a [u8] = match self.active_tasks.remove(&id) {
            Some((name, parent)) => {
                ev.args[2] = parent;
                name
            }
            None => {
                ev.args[2] = NO_TASK;
                b""
            }
        };
        validate_ctx(cur, USER_GO_REQS)?;
        self.task_names[self.q_len] = name;
        self.push(cur, *ev);
        Ok(Some(cur))
    }

    fn user_region(&mut self, ev: &mut BaseEvent, t: &EvTable<'a>, cur: SchedCtx) -> Res {
        validate_ctx(cur, USER_GO_REQS)?;
        let task = ev.args[0];
        let name_id = ev.args[1];
        let Some(name) = t.string(name_id) else {
            return Err(Error::new(format!("invalid string ID {name_id} for {} event", ev.typ)));
        };
        let begin = ev.typ == ev::USER_REGION_BEGIN;
        let Some(s) = self.g_states.get_mut(&cur.g) else {
            let which = if begin { "EvUserRegionBegin" } else { "EvUserRegionEnd" };
            return Err(Error::new(format!(
                "encountered {which} without known state for current goroutine {}",
                cur.g
            )));
        };
        if begin {
            s.extra().regions.push((task, name));
        } else if let Some(&(ntask, nname)) = s.extra.as_ref().and_then(|x| x.regions.last()) {
            if ntask != task || nname != name {
                return Err(Error::new(format!(
                    "misuse of region in goroutine {}: region end {{{task} {}}} when the inner-most active region start event is {{{ntask} {}}}",
                    cur.g,
                    String::from_utf8_lossy(name),
                    String::from_utf8_lossy(nname)
                )));
            }
            s.extra().regions.pop();
        }
        self.push(cur, *ev);
        Ok(Some(cur))
    }

    fn gc_active(&mut self, ev: &mut BaseEvent, gen: u64, cur: SchedCtx) -> Res {
        let seq = ev.args[0];
        if gen == self.initial_gen {
            if self.gc_state != GcState::Undetermined {
                return Err(Error::new("GCActive in the first generation isn't first GC event"));
            }
            self.gc_seq = seq;
            self.gc_state = GcState::Running;
            self.push(cur, *ev);
            return Ok(Some(cur));
        }
        if seq != self.gc_seq.wrapping_add(1) {
            return Ok(None);
        }
        if self.gc_state != GcState::Running {
            return Err(Error::new("encountered GCActive while GC was not in progress"));
        }
        self.gc_seq = seq;
        validate_ctx(cur, USER_GO_REQS)?;
        self.push(cur, *ev);
        Ok(Some(cur))
    }

    fn gc_begin(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Res {
        let seq = ev.args[0];
        if self.gc_state == GcState::Undetermined {
            self.gc_seq = seq;
            self.gc_state = GcState::Running;
            self.push(cur, *ev);
            return Ok(Some(cur));
        }
        if seq != self.gc_seq.wrapping_add(1) {
            return Ok(None);
        }
        if self.gc_state == GcState::Running {
            return Err(Error::new("encountered GCBegin while GC was already in progress"));
        }
        self.gc_seq = seq;
        self.gc_state = GcState::Running;
        validate_ctx(cur, USER_GO_REQS)?;
        self.push(cur, *ev);
        Ok(Some(cur))
    }

    fn gc_end(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Res {
        let seq = ev.args[0];
        if seq != self.gc_seq.wrapping_add(1) {
            return Ok(None);
        }
        if self.gc_state == GcState::NotRunning {
            return Err(Error::new("encountered GCEnd when GC was not in progress"));
        }
        if self.gc_state == GcState::Undetermined {
            return Err(Error::new("encountered GCEnd when GC was in an undetermined state"));
        }
        self.gc_seq = seq;
        self.gc_state = GcState::NotRunning;
        validate_ctx(cur, USER_GO_REQS)?;
        self.push(cur, *ev);
        Ok(Some(cur))
    }

    #[inline]
    fn annotation(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Res {
        validate_ctx(cur, USER_GO_REQS)?;
        self.push(cur, *ev);
        Ok(Some(cur))
    }

    #[inline]
    fn heap_metric(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Res {
        validate_ctx(cur, Reqs { m: Need::Must, p: Need::Must, g: Need::May })?;
        self.push(cur, *ev);
        Ok(Some(cur))
    }

    fn proc_ranges(&mut self, p: i64) -> Result<&mut Ranges, Error> {
        // Go dereferences a missing proc here and crashes; we report it instead.
        match self.p_states.get_mut(p) {
            Some(ps) => Ok(&mut ps.ranges),
            None => Err(Error::new(format!("range event for proc {p} that doesn't exist"))),
        }
    }

    fn gc_sweep_begin(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Res {
        validate_ctx(cur, Reqs { m: Need::Must, p: Need::Must, g: Need::May })?;
        self.proc_ranges(cur.p)?.begin(range_type(ev.typ, 0))?;
        self.push(cur, *ev);
        Ok(Some(cur))
    }

    fn gc_sweep_active(&mut self, ev: &mut BaseEvent, gen: u64, cur: SchedCtx) -> Res {
        let pid = ev.args[0] as i64;
        let initial = gen == self.initial_gen;
        let Some(ps) = self.p_states.get_mut(pid) else {
            return Err(Error::new(format!("encountered GCSweepActive for unknown proc {pid}")));
        };
        ps.ranges.active(range_type(ev.typ, 0), initial)?;
        self.push(cur, *ev);
        Ok(Some(cur))
    }

    fn gc_sweep_end(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Res {
        validate_ctx(cur, Reqs { m: Need::Must, p: Need::Must, g: Need::May })?;
        self.proc_ranges(cur.p)?.end(ev.typ)?;
        self.push(cur, *ev);
        Ok(Some(cur))
    }

    fn go_range_begin(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Res {
        validate_ctx(cur, USER_GO_REQS)?;
        let desc = if ev.typ == ev::STW_BEGIN { ev.args[0] } else { 0 };
        let Some(s) = self.g_states.get_mut(&cur.g) else {
            return Err(Error::new(format!(
                "encountered event of type {} without known state for current goroutine {}",
                ev.typ, cur.g
            )));
        };
        s.extra().ranges.begin(range_type(ev.typ, desc))?;
        self.push(cur, *ev);
        Ok(Some(cur))
    }

    fn go_range_active(&mut self, ev: &mut BaseEvent, gen: u64, cur: SchedCtx) -> Res {
        let gid = ev.args[0] as i64;
        let initial = gen == self.initial_gen;
        let version = self.version;
        let Some(s) = self.g_states.get_mut(&gid) else {
            let name = version.event_name(ev.typ);
            return Err(Error::new(format!("uninitialized goroutine {gid} found during {name}")));
        };
        s.extra().ranges.active(range_type(ev.typ, 0), initial)?;
        self.push(cur, *ev);
        Ok(Some(cur))
    }

    fn go_range_end(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Res {
        validate_ctx(cur, USER_GO_REQS)?;
        let Some(s) = self.g_states.get_mut(&cur.g) else {
            return Err(Error::new(format!(
                "encountered event of type {} without known state for current goroutine {}",
                ev.typ, cur.g
            )));
        };
        let desc = s.extra().ranges.end(ev.typ)?;
        if ev.typ == ev::STW_END {
            // Carry the STW kind over so the end names the same range as the begin.
            ev.args[0] = desc;
        }
        self.push(cur, *ev);
        Ok(Some(cur))
    }

    fn alloc_free(&mut self, ev: &mut BaseEvent, cur: SchedCtx) -> Res {
        validate_ctx(cur, Reqs { m: Need::Must, p: Need::May, g: Need::May })?;
        self.push(cur, *ev);
        Ok(Some(cur))
    }
}

type Res = Result<Option<SchedCtx>, Error>;
