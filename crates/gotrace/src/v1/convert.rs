//! Converting a parsed old-format trace into the v2 event model, one event at
//! a time, by the rules of Go 1.27's `internal/trace/tracev1.go`.
//!
//! In two steps, so that the first can run on the parallel reader's second
//! thread before the trace's tables are complete ([`super::pipeline`]):
//! [`Conversion`] turns each old event into [`Out`]s (new events whose string
//! IDs may still be relative to tables not built yet, whose times are the old
//! event's), then [`Bases::resolve`] makes their string IDs final and adds
//! the end of an instantaneous syscall, and [`Finish`] makes them [`Event`]s
//! with strictly increasing times. [`Converter`] runs all three over a parsed
//! trace, one event at a time.
//!
//! The whole trace becomes one generation with one table. Most events map one
//! to one; a few need context: a syscall that did not block becomes a begin
//! and an end 1 ns apart, goroutines that existed before tracing started get
//! status events at the first `Gomaxprocs` (which ends the trace's
//! initialisation), and a labelled start becomes a start and a label.
//!
//! Traces older than Go 1.11 (which Go 1.27 does not read) take the same
//! rules, with two additions for what Go 1.27 never sees: before 1.10 each P
//! records a stop-the-world, and the overlapping per-P records become one
//! range (first start to last end); futile wakeups Go 1.21 could not pair
//! with their wakeup are dropped.

use std::collections::{BTreeSet, VecDeque};

use super::dense::{p_key, DenseMap};
use super::events::{get, get_args, get_head, put, put_args, put_head, unzigzag, zigzag, Cursor, EventList, Record};
use super::parse::{RawEvent, Trace};
use super::spec::{ev as ev1, stw_reason, SPECS as SPECS1, STW_REASONS};
use crate::event::{Event, SchedCtx, NO_GOROUTINE, NO_TASK, NO_THREAD};
use crate::order::BaseEvent;
use crate::shared::{TableOwner, TableRef};
use crate::table::{DataTable, EvTable, IdBits, IdMap, StackRef};
use crate::wire::spec::{ev, gstatus, pstatus, SPECS};
use crate::Error;

/// Strings the converter adds: block reasons, then STW reasons ([`STW_REASONS`]).
const BLOCK_REASONS: [&str; 12] = [
    "forever",
    "preempted",
    "runtime.Gosched",
    "sleep",
    "chan send",
    "chan receive",
    "network",
    "sync",
    "sync.(*Cond).Wait",
    "select",
    "",
    "GC mark assist wait for work",
];

/// Indexes into [`BLOCK_REASONS`].
mod reason {
    pub const FOREVER: usize = 0;
    pub const PREEMPTED: usize = 1;
    pub const GOSCHED: usize = 2;
    pub const SLEEP: usize = 3;
    pub const CHAN_SEND: usize = 4;
    pub const CHAN_RECV: usize = 5;
    pub const NETWORK: usize = 6;
    pub const SYNC: usize = 7;
    pub const SYNC_COND: usize = 8;
    pub const SELECT: usize = 9;
    pub const EMPTY: usize = 10;
    pub const MARK_ASSIST_WAIT: usize = 11;
}

/// What [`Finish`] still has to do to an [`Out`].
pub(crate) mod fix {
    /// `args[0]` indexes the converter's own strings (block and STW reasons).
    pub const BUILTIN0: u8 = 1;
    /// `args[2]` indexes the inline log messages.
    pub const INLINE2: u8 = 2;
    /// `name` is the string ID of the task's name (a task end).
    pub const TASK_NAME: u8 = 4;
    /// A syscall begin that ends 1 ns later unless [`BLOCKED`].
    pub const SYSCALL: u8 = 8;
    /// The syscall blocked.
    pub const BLOCKED: u8 = 16;
}

/// A new event as [`Conversion`] makes it (see [`fix`] for what is left).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Out {
    /// The old event's time (ticks or nanoseconds, as it came).
    pub ts: i64,
    pub g: i64,
    pub m: i64,
    pub args: [u64; 4],
    /// String ID of a task end's name.
    pub name: u64,
    pub p: i32,
    pub typ: u8,
    pub fix: u8,
}

impl Out {
    fn new(g: i64, p: i32, m: i64, typ: u8, ts: i64, args: [u64; 4]) -> Self {
        Out { ts, g, m, args, name: 0, p, typ, fix: 0 }
    }
}

impl Record for Out {
    // Some converted events carry a thread and more arguments than their old one.
    const RESERVE: usize = 20;
    // Read from its marks by two threads (`super::ahead`).
    const MARKED: bool = true;

    fn ts(&self) -> i64 {
        self.ts
    }

    #[inline]
    fn encode(&self, prev_ts: i64, _full: bool, b: &mut Vec<u8>) {
        let mask = put_head(b, self.typ, &self.args, self.ts, prev_ts);
        b.push(self.fix);
        put(b, zigzag(self.g));
        put(b, zigzag(i64::from(self.p)));
        put(b, zigzag(self.m));
        put_args(b, &self.args, mask);
        if self.fix & fix::TASK_NAME != 0 {
            put(b, self.name);
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn decode(b: &[u8], pos: &mut usize, prev_ts: i64, _full: bool) -> Self {
        let (typ, mask, ts) = get_head(b, pos, prev_ts);
        let fix = b[*pos];
        *pos += 1;
        let g = unzigzag(get(b, pos));
        let p = unzigzag(get(b, pos)) as i32;
        let m = unzigzag(get(b, pos));
        let args = get_args(b, pos, mask);
        let name = if fix & fix::TASK_NAME != 0 { get(b, pos) } else { 0 };
        Out { ts, g, m, args, name, p, typ, fix }
    }
}

/// The tables a parse builds, which become the trace's one table.
pub(crate) struct Tables<'a> {
    pub strings: IdMap<u64, &'a [u8]>,
    /// Log messages, which the old format writes inline, in first-seen order.
    pub inline_strings: Vec<&'a [u8]>,
    /// Stack ID to its PCs (a range of `stack_pcs`).
    pub stacks: IdMap<u32, (u32, u32)>,
    pub stack_pcs: Vec<u64>,
    pub pcs: IdMap<u64, crate::table::RawFrame>,
}

/// The second step: [`Out`]s to [`Event`]s.
pub(crate) struct Finish<'a> {
    table: TableOwner<'a>,
    bases: Bases,
    /// Time of the last event handed out; later ones are forced past it.
    pub(crate) last_ts: i64,
}

/// Where the strings [`Out`]s index relatively begin in the trace's table:
/// what [`Bases::resolve`] needs of it (so any thread can resolve).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bases {
    /// String ID of the first inline log message; messages follow in order.
    inline: u64,
    /// String ID of the first of the converter's own strings.
    builtin: u64,
}

impl Bases {
    /// The events `o` becomes at `time` (nanoseconds, not yet made strictly
    /// increasing), as `Out`s with final arguments (only a task end's name
    /// is left to look up, [`fix::TASK_NAME`]): `o`, then the end of an
    /// instantaneous syscall.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    pub fn resolve(self, o: &Out, time: i64, mut emit: impl FnMut(Out)) {
        let mut r = Out { ts: time, fix: o.fix & fix::TASK_NAME, ..*o };
        if o.fix != 0 {
            if o.fix & fix::BUILTIN0 != 0 {
                r.args[0] += self.builtin;
            }
            if o.fix & fix::INLINE2 != 0 {
                r.args[2] += self.inline;
            }
            if o.fix & (fix::SYSCALL | fix::BLOCKED) == fix::SYSCALL {
                // Go takes the thread of an instantaneous syscall from its
                // P's map entry, 0 when there is none.
                if r.m == NO_THREAD {
                    r.m = 0;
                }
                emit(r);
                emit(Out::new(r.g, r.p, r.m, ev::GO_SYSCALL_END, time + 1, [0; 4]));
                return;
            }
        }
        emit(r);
    }
}

impl<'a> Finish<'a> {
    /// Builds the trace's table: the parsed strings, then the inline
    /// messages, then the converter's own strings.
    pub fn new(tables: Tables<'a>) -> Result<Self, Error> {
        let Tables { strings, inline_strings, stacks, stack_pcs, pcs } = tables;
        let too_many = || Error::new("trace contains too many strings");
        let mut table = EvTable { freq: 1.0, ..EvTable::default() };
        let mut max = 0u64;
        let mut ids: Vec<_> = strings.into_iter().collect();
        ids.sort_unstable_by_key(|&(id, _)| id);
        for (id, s) in ids {
            max = max.max(id);
            table.strings.insert(id, s).map_err(|_| Error::new("couldn't add strings"))?;
        }
        let inline_base = max.checked_add(1).ok_or_else(too_many)?;
        let builtin_base = inline_base.checked_add(inline_strings.len() as u64).ok_or_else(too_many)?;
        builtin_base.checked_add((BLOCK_REASONS.len() + STW_REASONS.len()) as u64).ok_or_else(too_many)?;
        let builtins = BLOCK_REASONS.iter().chain(STW_REASONS.iter()).map(|s| s.as_bytes());
        for (i, s) in inline_strings.into_iter().chain(builtins).enumerate() {
            table.strings.insert(inline_base + i as u64, s).map_err(|_| Error::new("couldn't add strings"))?;
        }
        table.strings.compactify();

        let mut stack_list: Vec<_> = stacks.into_iter().collect();
        stack_list.sort_unstable_by_key(|&(id, _)| id);
        table.stacks = DataTable::default();
        for (id, (start, len)) in stack_list {
            // IDs are unique keys of the parser's map.
            let _ = table.stacks.insert(u64::from(id), StackRef { start, len });
        }
        table.stacks.compactify();
        table.stack_pcs = stack_pcs;
        table.pcs = pcs;
        table.stack_bits = IdBits::of(&table.stacks);
        table.string_bits = IdBits::of(&table.strings);
        let bases = Bases { inline: inline_base, builtin: builtin_base };
        Ok(Finish { table: TableOwner::new(table), bases, last_ts: -1 })
    }

    /// What resolving [`Out`]s needs of the table.
    pub fn bases(&self) -> Bases {
        self.bases
    }

    /// A handle on the trace's one table (for the Sync that opens the stream).
    pub fn table(&self) -> TableRef<'a> {
        self.table.handle()
    }

    /// The event a resolved [`Out`] ([`Bases::resolve`]) is, its time made
    /// later than the last one handed out.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    pub fn hand_out(&mut self, r: &Out) -> Event<'a> {
        let name = if r.fix & fix::TASK_NAME != 0 { self.table.string(r.name).unwrap_or(b"") } else { b"" };
        let ctx = SchedCtx { g: r.g, p: i64::from(r.p), m: r.m };
        let mut e = Event::new(Some(self.table.handle()), ctx, BaseEvent { typ: r.typ, time: r.ts, args: r.args }, name);
        self.stamp(&mut e);
        e
    }

    /// No two events share a time in the v2 model: later ones move 1 ns on.
    fn stamp(&mut self, e: &mut Event<'a>) {
        if e.base.time <= self.last_ts {
            e.base.time = self.last_ts + 1;
        }
        self.last_ts = e.base.time;
    }
}

/// The first step: the little state the conversion needs between old events.
pub(crate) struct Conversion {
    pre_init: bool,
    /// Goroutines created before the first `Gomaxprocs` whose state is not known yet.
    created_pre_init: BTreeSet<u64>,
    /// Open tasks: name (string ID) and parent, for their end events.
    tasks: IdMap<u64, (u64, u64)>,
    seen_procs: DenseMap<()>,
    /// The thread each P was last started on.
    proc_ms: DenseMap<i64>,
    /// Index of the last STW's reason among the converter's strings.
    last_stw_reason: u64,
    /// Before 1.10 every P records the stop-the-world: how many Ps are in it,
    /// and the goroutine and P of the first record (which the range belongs to).
    stw_procs: u32,
    stw_owner: (u64, i32),
    version: u32,
}

impl Conversion {
    pub fn new(version: u32) -> Self {
        Conversion {
            pre_init: true,
            created_pre_init: BTreeSet::new(),
            tasks: IdMap::default(),
            seen_procs: DenseMap::default(),
            proc_ms: DenseMap::default(),
            last_stw_reason: 0,
            stw_procs: 0,
            stw_owner: (0, -1),
            version,
        }
    }

    /// The thread a P was last started on, 0 when none (Go's map zero value).
    fn thread_of(&self, p: i32) -> i64 {
        self.proc_ms.get(p_key(p)).copied().unwrap_or(0)
    }

    /// One old event to its new events (none, one or more), in order.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    pub fn convert(&mut self, e: &RawEvent, out: &mut impl FnMut(Out)) -> Result<(), Error> {
        let owned;
        let e = if e.typ == ev1::STW_DONE && self.version < 10 {
            // The range ends where it began.
            owned = RawEvent { g: self.stw_owner.0, p: self.stw_owner.1, ..*e };
            &owned
        } else {
            e
        };
        let mut args = e.args;
        let mut name = 0u64;
        let mut fix = 0u8;
        let typ = match e.typ {
            ev1::GOMAXPROCS => {
                if self.pre_init {
                    // The end of initialisation: goroutines created before it
                    // that never showed a state were runnable (or idle).
                    self.pre_init = false;
                    for gid in std::mem::take(&mut self.created_pre_init) {
                        let status = [gid, u64::MAX, gstatus::RUNNABLE, 0];
                        out(Out::new(NO_GOROUTINE, -1, NO_THREAD, ev::GO_STATUS, e.ts, status));
                    }
                    return Ok(());
                }
                ev::PROCS_CHANGE
            }
            ev1::PROC_START => {
                self.proc_ms.insert(p_key(e.p), e.args[0] as i64);
                self.proc_change(&mut args, e.p, ev::PROC_START, pstatus::RUNNING)
            }
            ev1::PROC_STOP => self.proc_change(&mut args, e.p, ev::PROC_STOP, pstatus::IDLE),
            ev1::GC_START => ev::GC_BEGIN,
            ev1::GC_DONE => ev::GC_END,
            ev1::STW_START if self.version < 10 && self.stw_procs > 0 => {
                // One stop of the world, whichever Ps record it: one range
                // from the first P's start to the last P's end.
                self.stw_procs += 1;
                return Ok(());
            }
            ev1::STW_DONE if self.version < 10 && self.stw_procs > 1 => {
                self.stw_procs -= 1;
                return Ok(());
            }
            ev1::STW_START => {
                self.stw_procs = 1;
                self.stw_owner = (e.g, e.p);
                let sid = (BLOCK_REASONS.len() + stw_reason(self.version, e.args[0])) as u64;
                self.last_stw_reason = sid;
                args = [sid, 0, 0, 0];
                fix = fix::BUILTIN0;
                ev::STW_BEGIN
            }
            ev1::STW_DONE => {
                self.stw_procs = 0;
                args = [self.last_stw_reason, 0, 0, 0];
                fix = fix::BUILTIN0;
                ev::STW_END
            }
            ev1::GC_SWEEP_START => ev::GC_SWEEP_BEGIN,
            ev1::GC_SWEEP_DONE => ev::GC_SWEEP_END,
            ev1::GO_CREATE => {
                if self.pre_init {
                    self.created_pre_init.insert(e.args[0]);
                    return Ok(());
                }
                ev::GO_CREATE
            }
            ev1::GO_START => {
                if self.pre_init {
                    self.created_pre_init.remove(&e.args[0]);
                    args = [e.args[0], u64::MAX, gstatus::RUNNING, 0];
                    ev::GO_STATUS
                } else {
                    ev::GO_START
                }
            }
            ev1::GO_START_LABEL => {
                let m = self.thread_of(e.p);
                out(Out::new(e.g as i64, e.p, m, ev::GO_START, e.ts, args));
                out(Out::new(e.g as i64, e.p, m, ev::GO_LABEL, e.ts, [e.args[2], 0, 0, 0]));
                return Ok(());
            }
            ev1::GO_END => ev::GO_DESTROY,
            ev1::GO_STOP => self.blocked_on(&mut args, &mut fix, ev::GO_BLOCK, reason::FOREVER, e),
            ev1::GO_SCHED => self.blocked_on(&mut args, &mut fix, ev::GO_STOP, reason::GOSCHED, e),
            ev1::GO_PREEMPT => self.blocked_on(&mut args, &mut fix, ev::GO_STOP, reason::PREEMPTED, e),
            ev1::GO_SLEEP => self.blocked_on(&mut args, &mut fix, ev::GO_BLOCK, reason::SLEEP, e),
            ev1::GO_BLOCK => self.blocked_on(&mut args, &mut fix, ev::GO_BLOCK, reason::EMPTY, e),
            ev1::GO_UNBLOCK => ev::GO_UNBLOCK,
            ev1::GO_BLOCK_SEND => self.blocked_on(&mut args, &mut fix, ev::GO_BLOCK, reason::CHAN_SEND, e),
            ev1::GO_BLOCK_RECV => self.blocked_on(&mut args, &mut fix, ev::GO_BLOCK, reason::CHAN_RECV, e),
            ev1::GO_BLOCK_SELECT => self.blocked_on(&mut args, &mut fix, ev::GO_BLOCK, reason::SELECT, e),
            ev1::GO_BLOCK_SYNC => self.blocked_on(&mut args, &mut fix, ev::GO_BLOCK, reason::SYNC, e),
            ev1::GO_BLOCK_COND => self.blocked_on(&mut args, &mut fix, ev::GO_BLOCK, reason::SYNC_COND, e),
            ev1::GO_BLOCK_NET => self.blocked_on(&mut args, &mut fix, ev::GO_BLOCK, reason::NETWORK, e),
            ev1::GO_BLOCK_GC => self.blocked_on(&mut args, &mut fix, ev::GO_BLOCK, reason::MARK_ASSIST_WAIT, e),
            ev1::GO_SYSCALL => {
                args = [0, u64::from(e.stk), 0, 0];
                // Unless it blocked (which may be learnt later), an
                // instantaneous syscall: a begin and an end 1 ns later.
                fix = fix::SYSCALL | if e.syscall_blocked { fix::BLOCKED } else { 0 };
                ev::GO_SYSCALL_BEGIN
            }
            ev1::GO_SYSEXIT => ev::GO_SYSCALL_END_BLOCKED,
            ev1::GO_SYSBLOCK => return Ok(()),
            // Go 1.21 keeps the futile wakeups it cannot pair (before 1.11 only).
            ev1::FUTILE_WAKEUP if self.version < 11 => return Ok(()),
            ev1::GO_WAITING | ev1::GO_IN_SYSCALL => {
                let status = if e.typ == ev1::GO_WAITING { gstatus::WAITING } else { gstatus::SYSCALL };
                self.created_pre_init.remove(&e.args[0]);
                args = [e.args[0], u64::MAX, status, 0];
                ev::GO_STATUS
            }
            ev1::HEAP_ALLOC => ev::HEAP_ALLOC,
            ev1::HEAP_GOAL => ev::HEAP_GOAL,
            ev1::GC_MARK_ASSIST_START => ev::GC_MARK_ASSIST_BEGIN,
            ev1::GC_MARK_ASSIST_DONE => ev::GC_MARK_ASSIST_END,
            ev1::USER_TASK_CREATE => {
                let parent = if e.args[1] == 0 { NO_TASK } else { e.args[1] };
                args = [e.args[0], parent, e.args[2], u64::from(e.stk)];
                self.tasks.insert(e.args[0], (e.args[2], e.args[1]));
                ev::USER_TASK_BEGIN
            }
            ev1::USER_TASK_END => {
                // The task's parent and name travel with its end, as in Go's model.
                // (String 0 does not exist: no name.)
                let (task_name, parent) = self.tasks.remove(&e.args[0]).unwrap_or((0, NO_TASK));
                name = task_name;
                fix = fix::TASK_NAME;
                args = [e.args[0], e.args[1], parent, 0];
                ev::USER_TASK_END
            }
            ev1::USER_REGION => {
                args = [e.args[0], e.args[2], u64::from(e.stk), 0];
                match e.args[1] {
                    0 => ev::USER_REGION_BEGIN,
                    1 => ev::USER_REGION_END,
                    _ => ev::NONE,
                }
            }
            ev1::USER_LOG => {
                args = [e.args[0], e.args[1], e.args[3], u64::from(e.stk)];
                fix = fix::INLINE2;
                ev::USER_LOG
            }
            ev1::CPU_SAMPLE => {
                // Old samples carry no thread.
                args = [u64::from(e.stk), u64::MAX, e.p as i64 as u64, e.g];
                ev::CPU_SAMPLE
            }
            other => return Err(Error::new(format!("unexpected event type {other}"))),
        };
        // Which argument (from 1) takes the stack, 0 for none: chosen per
        // element rather than written into one, which would make the
        // whole-array copies below wait for that narrow write.
        let stack_arg = match SPECS1[e.typ as usize].stack {
            true => SPECS[typ as usize].stack_ids.first().copied().unwrap_or(0),
            false => 0,
        };
        let stk = u64::from(e.stk);
        let args = [1, 2, 3, 4].map(|j| if stack_arg == j { stk } else { args[j - 1] });
        let mut m = NO_THREAD;
        if e.p != -1 && e.typ != ev1::CPU_SAMPLE {
            if let Some(&t) = self.proc_ms.get(p_key(e.p)) {
                m = t;
            }
        }
        if e.typ == ev1::PROC_STOP {
            self.proc_ms.remove(p_key(e.p));
        }
        let g = if e.g == 0 { NO_GOROUTINE } else { e.g as i64 };
        out(Out { ts: e.ts, g, m, args, name, p: e.p, typ, fix });
        Ok(())
    }

    /// A P's start or stop; the first time a P is seen it is its status instead
    /// (what it became), as the v2 model begins every P with one.
    fn proc_change(&mut self, args: &mut [u64; 4], p: i32, typ: u8, status: u64) -> u8 {
        let seen = self.seen_procs.insert(p_key(p), ()).is_some();
        *args = [p as i64 as u64, if seen { 0 } else { status }, 0, 0];
        if seen {
            typ
        } else {
            ev::PROC_STATUS
        }
    }

    /// Maps a v1 stop or block to the v2 type with a reason string and the stack.
    fn blocked_on(&self, args: &mut [u64; 4], fix: &mut u8, typ: u8, r: usize, e: &RawEvent) -> u8 {
        *args = [r as u64, u64::from(e.stk), 0, 0];
        *fix = fix::BUILTIN0;
        typ
    }
}

/// Both steps over a parsed trace, one old event at a time.
pub(crate) struct Converter<'a> {
    events: EventList,
    cursor: Cursor,
    conversion: Conversion,
    finish: Finish<'a>,
    /// New events of the last old event not handed out yet, resolved.
    pending: VecDeque<Out>,
}

impl<'a> Converter<'a> {
    /// Builds the table and the conversion state.
    pub fn new(trace: Trace<'a>, version: u32) -> Result<Self, Error> {
        let Trace { events, tables } = trace;
        Ok(Converter {
            events,
            cursor: Cursor::default(),
            conversion: Conversion::new(version),
            finish: Finish::new(tables)?,
            pending: VecDeque::new(),
        })
    }

    /// A handle on the trace's one table (for the Sync that opens the stream).
    pub fn table(&self) -> TableRef<'a> {
        self.finish.table()
    }

    /// Time of the last event handed out.
    pub fn last_ts(&self) -> i64 {
        self.finish.last_ts
    }

    /// Time of the first event not handed out yet.
    pub fn peek_time(&self) -> Option<i64> {
        self.events.next(&mut self.cursor.clone()).map(|(e, _)| e.ts)
    }

    /// The next event; `Ok(None)` at the end.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    pub fn next(&mut self) -> Result<Option<Event<'a>>, Error> {
        loop {
            if let Some(r) = self.pending.pop_front() {
                return Ok(Some(self.finish.hand_out(&r)));
            }
            let Some((old, _)) = self.events.next(&mut self.cursor) else {
                // Nothing reads the events after the last one.
                self.events = EventList::default();
                self.cursor = Cursor::default();
                return Ok(None);
            };
            // Times are nanoseconds already here.
            let (pending, bases) = (&mut self.pending, self.finish.bases());
            self.conversion.convert(&old, &mut |o| bases.resolve(&o, o.ts, |r| pending.push_back(r)))?;
        }
    }
}

