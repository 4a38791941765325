//! The rows of the `delays` view (sql/views.sql), derived from the packed
//! `g_transitions` the first time a query reads them.
//!
//! The view joins every runnable → running transition to the transition that
//! made the goroutine runnable and to the goroutine's creation: a hash join
//! and a grouping over all goroutines that DuckDB recomputed for every query
//! reading `delays` (most of `--by-creator`, `--worst` and `--why` on traces
//! with millions of goroutines). Here it is one pass in transition order,
//! holding per goroutine only its creation (interned) and, while it waits to
//! run, what made it runnable.
//!
//! The rows are the view's, value for value: which transition made a
//! goroutine runnable is found by goroutine and end time, as the view's join
//! does, so several transitions ending at that instant give several rows; a
//! creation's fields are each the earliest non-NULL one, as `arg_min` gives.
//! The pass relies on each goroutine's transitions coming in time order and
//! on a goroutine's creation preceding its delays. Where a trace breaks that
//! (a damaged trace, a goroutine ID created twice), the rows are computed by
//! the view's join instead, with hash maps over all transitions.

use gotrace::table::IdMap;

use super::{Output, PackedTable, BLOCK_ROWS};

/// The view's `cause` values, entered in this order into the `cause`
/// column's dictionary, so each one's code is its index here.
const CAUSES: [&str; 7] = ["created", "unblocked", "preempted", "yielded", "syscall", "rescheduled", "unknown"];
const CREATED: i64 = 0;
const UNBLOCKED: i64 = 1;
const PREEMPTED: i64 = 2;
const YIELDED: i64 = 3;
const SYSCALL: i64 = 4;
const RESCHEDULED: i64 = 5;
const UNKNOWN: i64 = 6;

/// The view's columns, in its order.
pub(super) const COLUMNS: [(&str, Output); 13] = [
    ("g", Output::BigInt),
    ("start_time_ns", Output::BigInt),
    ("end_time_ns", Output::BigInt),
    ("duration_ns", Output::BigInt),
    ("p", Output::BigInt),
    ("cause", Output::Enum),
    ("cause_reason", Output::Enum),
    ("made_runnable_by_g", Output::BigInt),
    ("made_runnable_by_stack_id", Output::UBigInt),
    ("own_stack_id", Output::UBigInt),
    ("creator_g", Output::BigInt),
    ("creator_stack_id", Output::UBigInt),
    ("start_stack_id", Output::UBigInt),
];

/// Replaces the view of sql/views.sql by one over the derived rows. `cause`
/// is text in the view; the table function gives it as an enum.
pub(super) const VIEW: &str = "create or replace view delays as select g, start_time_ns, end_time_ns, \
    duration_ns, p, cause::varchar as cause, cause_reason, made_runnable_by_g, made_runnable_by_stack_id, \
    own_stack_id, creator_g, creator_stack_id, start_stack_id from schedstat_packed_delays();";

/// The rows of `delays` from the packed `g_transitions` `g`: by one pass in
/// transition order, or, when the trace does not allow that (or `by_join`),
/// by the view's join.
pub(super) fn derive(g: &PackedTable, by_join: bool) -> PackedTable {
    let codes = Codes::of(g);
    let streamed = if by_join { None } else { packing(g, |rows| stream(g, &codes, rows)).ok() };
    streamed.unwrap_or_else(|| {
        packing(g, |rows| {
            join(g, &codes, rows);
            Ok::<(), std::convert::Infallible>(())
        })
        .unwrap_or_else(|never| match never {})
    })
}

/// The table `derive` makes, without rows: what a query binds to before
/// anything is derived (DuckDB binds a view when it is created).
pub(super) fn empty(g: &PackedTable) -> PackedTable {
    let mut table = table_for(g);
    table.seal();
    table
}

/// The derived rows' table, empty; `cause_reason` has the type and codes of
/// `g`'s `reason`.
fn table_for(g: &PackedTable) -> PackedTable {
    let mut table = PackedTable::new("delays", &COLUMNS);
    for c in CAUSES {
        table.column("cause").code(c);
    }
    let (reason, cause_reason) = (g.get("reason"), table.column("cause_reason"));
    cause_reason.dictionary = reason.dictionary.clone();
    cause_reason.enum_type = reason.enum_type.clone();
    table
}

/// Runs `work`, packing the rows it adds on a second thread as it goes
/// (packing is about a third of the derivation, and DuckDB's other threads
/// wait while a table function initialises).
fn packing<E: Send>(g: &PackedTable, work: impl FnOnce(&mut Rows) -> Result<(), E>) -> Result<PackedTable, E> {
    let (full, to_pack) = std::sync::mpsc::sync_channel::<Vec<Row>>(2);
    let (give_back, given_back) = std::sync::mpsc::channel::<Vec<Row>>();
    std::thread::scope(|s| {
        let packer = s.spawn(move || {
            let mut table = table_for(g);
            for block in to_pack {
                for (k, c) in table.columns.iter_mut().enumerate() {
                    c.push(&block, |row| row[k]);
                }
                let _ = give_back.send(block);
            }
            table.seal();
            table
        });
        let mut rows = Rows { pending: Vec::with_capacity(BLOCK_ROWS), full, given_back };
        let done = work(&mut rows);
        rows.flush();
        drop(rows);
        let table = packer.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        done.map(|()| table)
    })
}

/// Dictionary codes of the states and the reason the view tests.
struct Codes {
    notexist: i64,
    waiting: i64,
    running: i64,
    syscall: i64,
    runnable: i64,
    /// The reason `preempted`, if the trace has it.
    preempted: Option<i64>,
}

impl Codes {
    fn of(g: &PackedTable) -> Codes {
        // Both state columns hold the schema's states, entered in advance in
        // its order: the same codes (a state missing from it matches nothing).
        let state = |s: &str| g.get("from_state").codes.get(s).copied().unwrap_or(-1);
        Codes {
            notexist: state("notexist"),
            waiting: state("waiting"),
            running: state("running"),
            syscall: state("syscall"),
            runnable: state("runnable"),
            preempted: g.get("reason").codes.get("preempted").copied(),
        }
    }
}

/// One row of `g_transitions`, states and reason as dictionary codes.
struct Transition {
    g: Option<i64>,
    from: i64,
    to: i64,
    reason: Option<i64>,
    duration: i64,
    end: i64,
    stack: Option<i64>,
    src_stack: Option<i64>,
    src_g: Option<i64>,
    src_p: Option<i64>,
}

/// The `g_transitions` columns a [`Transition`] is read from, in its order.
const READ: [&str; 10] =
    ["g", "from_state", "to_state", "reason", "duration_ns", "end_time_ns", "stack_id", "src_stack_id", "src_g", "src_p"];

/// Calls `visit` on every transition of `g` in order, until it fails.
fn each_transition<E>(g: &PackedTable, mut visit: impl FnMut(&Transition) -> Result<(), E>) -> Result<(), E> {
    let columns = READ.map(|name| g.get(name));
    let mut cols = [[0i64; BLOCK_ROWS]; READ.len()];
    let mut valid: [Option<[u64; BLOCK_ROWS / 64]>; READ.len()] = [None; READ.len()];
    for b in 0..g.blocks() {
        for (k, c) in columns.iter().enumerate() {
            valid[k] = c.read_block(b, &mut cols[k]);
        }
        let is = |k: usize, r: usize| valid[k].as_ref().map_or(true, |w| w[r / 64] >> (r % 64) & 1 == 1);
        let opt = |k: usize, r: usize| is(k, r).then_some(cols[k][r]);
        for r in 0..columns[0].blocks[b].rows as usize {
            visit(&Transition {
                g: opt(0, r),
                from: cols[1][r],
                to: cols[2][r],
                reason: opt(3, r),
                duration: cols[4][r],
                end: cols[5][r],
                stack: opt(6, r),
                src_stack: opt(7, r),
                src_g: opt(8, r),
                src_p: opt(9, r),
            })?;
        }
    }
    Ok(())
}

/// What a transition into runnable tells a delay that began when it ended.
#[derive(Clone, Copy)]
struct MadeRunnable {
    from: i64,
    reason: Option<i64>,
    src_g: Option<i64>,
    src_stack: Option<i64>,
    stack: Option<i64>,
}

impl MadeRunnable {
    fn of(t: &Transition) -> Self {
        MadeRunnable { from: t.from, reason: t.reason, src_g: t.src_g, src_stack: t.src_stack, stack: t.stack }
    }
}

/// A goroutine's creation as the view reports it: creator goroutine,
/// creator stack, the goroutine's own first stack.
type Creation = [Option<i64>; 3];

fn creation_of(t: &Transition) -> Creation {
    [t.src_g, t.src_stack, t.stack]
}

/// One derived row, in [`COLUMNS`]' order.
type Row = [Option<i64>; COLUMNS.len()];

/// The derived rows, sent in blocks to be packed (see [`packing`]).
struct Rows {
    pending: Vec<Row>,
    full: std::sync::mpsc::SyncSender<Vec<Row>>,
    /// Blocks packed, to be filled again.
    given_back: std::sync::mpsc::Receiver<Vec<Row>>,
}

impl Rows {
    /// Adds the row of delay `o` that `e` made runnable (none found: NULLs)
    /// of a goroutine created as `c`.
    fn add(&mut self, codes: &Codes, o: &Transition, e: Option<&MadeRunnable>, c: Option<&Creation>) {
        let cause = match e {
            None => UNKNOWN,
            Some(e) if e.from == codes.notexist => CREATED,
            Some(e) if e.from == codes.waiting => UNBLOCKED,
            Some(e) if e.from == codes.running => {
                if e.reason.is_some() && e.reason == codes.preempted {
                    PREEMPTED
                } else {
                    YIELDED
                }
            }
            Some(e) if e.from == codes.syscall => SYSCALL,
            Some(e) if e.from == codes.runnable => RESCHEDULED,
            Some(_) => UNKNOWN,
        };
        let by = |v: fn(&MadeRunnable) -> Option<i64>| {
            e.filter(|e| e.from == codes.notexist || e.from == codes.waiting).and_then(v)
        };
        let c = c.copied().unwrap_or_default();
        self.pending.push([
            o.g,
            Some(o.end.wrapping_sub(o.duration)),
            Some(o.end),
            Some(o.duration),
            o.src_p,
            Some(cause),
            e.and_then(|e| e.reason),
            by(|e| e.src_g),
            by(|e| e.src_stack),
            e.and_then(|e| e.stack),
            c[0],
            c[1],
            c[2],
        ]);
        if self.pending.len() == BLOCK_ROWS {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut next = self.given_back.try_recv().unwrap_or_else(|_| Vec::with_capacity(BLOCK_ROWS));
        next.clear();
        let block = std::mem::replace(&mut self.pending, next);
        // The packer only stops when this side hangs up.
        let _ = self.full.send(block);
    }
}

/// Per goroutine: its creation (the index + 1 in an interned list, 0 for
/// none seen, with [`HAD_DELAY`] once a delay of it was derived) and, while
/// it waits to run, where its [`Runnable`] is (index + 1 in a slab, 0 for
/// none). A vector indexed by goroutine ID while the IDs are dense (a trace
/// with millions of short-lived goroutines), a map beyond: goroutines run
/// roughly in the order they were created, so neighbouring IDs are read
/// together, which a hash map would scatter.
#[derive(Default)]
struct PerGoroutine {
    dense: Vec<Slot>,
    sparse: IdMap<i64, Slot>,
    stored: usize,
}

/// What [`PerGoroutine`] holds for one goroutine.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Slot {
    creation: u32,
    waiting: u32,
}

const HAD_DELAY: u32 = 1 << 31;

/// The index of a goroutine's creation in the interned list.
fn creation_index(slot: Slot) -> Option<usize> {
    (slot.creation & !HAD_DELAY).checked_sub(1).map(|k| k as usize)
}

impl PerGoroutine {
    fn get(&self, g: i64) -> Slot {
        match usize::try_from(g) {
            Ok(k) if k < self.dense.len() && self.dense[k] != Slot::default() => self.dense[k],
            _ => self.sparse.get(&g).copied().unwrap_or_default(),
        }
    }

    fn set(&mut self, g: i64, v: Slot) {
        match usize::try_from(g) {
            Ok(k) if k < self.dense.len() || k < 2 * self.stored + 4096 => {
                if k >= self.dense.len() {
                    self.dense.resize((k + 1).max(2 * self.dense.len()), Slot::default());
                }
                if self.dense[k] == Slot::default() {
                    self.stored += 1;
                    if !self.sparse.is_empty() {
                        self.sparse.remove(&g);
                    }
                }
                self.dense[k] = v;
            }
            _ => {
                self.sparse.insert(g, v);
            }
        }
    }
}

/// The transitions into runnable of one goroutine that ended at its latest
/// such instant, `end`: the candidates for a delay beginning then.
struct Runnable {
    end: i64,
    first: Option<MadeRunnable>,
    more: Vec<MadeRunnable>,
    /// A delay beginning (and ending) at `end` has been derived: a later
    /// transition into runnable at `end` would have joined it too.
    zero_delay: bool,
}

/// Creations repeat (one goroutine creates thousands from one stack), but
/// not always (each creator goroutine is part of one): the creations seen
/// last, in a small table indexed by their hash, find most repeats without a
/// map growing with every goroutine.
struct RecentCreations {
    /// Index + 1 in the list of creations; 0 for none.
    by_hash: Vec<u32>,
}

impl Default for RecentCreations {
    fn default() -> Self {
        RecentCreations { by_hash: vec![0; 4096] }
    }
}

impl RecentCreations {
    /// The index of `c` in `creations`, added there unless seen recently.
    fn intern(&mut self, creations: &mut Vec<Creation>, c: Creation) -> u32 {
        let hash = std::hash::BuildHasher::hash_one(&std::hash::BuildHasherDefault::<gotrace::table::IdHasher>::default(), c);
        let entry = &mut self.by_hash[(hash >> 52) as usize];
        match entry.checked_sub(1) {
            Some(k) if creations[k as usize] == c => k,
            _ => {
                creations.push(c);
                *entry = creations.len() as u32;
                *entry - 1
            }
        }
    }
}

/// The [`Runnable`]s of the goroutines waiting to run, in a slab whose freed
/// entries are reused first (they are the ones still in cache).
#[derive(Default)]
struct WaitingToRun {
    entries: Vec<Runnable>,
    free: Vec<u32>,
}

impl WaitingToRun {
    fn get_mut(&mut self, slot: Slot) -> Option<&mut Runnable> {
        slot.waiting.checked_sub(1).map(|k| &mut self.entries[k as usize])
    }

    /// Makes `r` the goroutine's entry, replacing any it had.
    fn put(&mut self, slot: &mut Slot, r: Runnable) {
        if let Some(old) = self.get_mut(*slot) {
            *old = r;
        } else if let Some(k) = self.free.pop() {
            self.entries[k as usize] = r;
            slot.waiting = k + 1;
        } else {
            self.entries.push(r);
            slot.waiting = self.entries.len() as u32;
        }
    }

    fn remove(&mut self, slot: &mut Slot) {
        if let Some(k) = slot.waiting.checked_sub(1) {
            self.entries[k as usize].more = Vec::new();
            self.free.push(k);
            slot.waiting = 0;
        }
    }
}

/// A trace the one pass cannot take (see the module's documentation).
struct OutOfOrder;

/// The pass in transition order, adding to `out`; stops where the trace
/// breaks its assumptions.
fn stream(g: &PackedTable, codes: &Codes, out: &mut Rows) -> Result<(), OutOfOrder> {
    let mut per_g = PerGoroutine::default();
    let mut creations: Vec<Creation> = Vec::new();
    let mut recent = RecentCreations::default();
    let mut waiting_to_run = WaitingToRun::default();
    each_transition(g, |t| {
        // A goroutine's transitions come in time order: each one's duration
        // is the time since the goroutine's previous one.
        if t.duration < 0 {
            return Err(OutOfOrder);
        }
        let is_delay = t.from == codes.runnable && t.to == codes.running;
        let Some(id) = t.g else {
            if is_delay {
                out.add(codes, t, None, None);
            }
            return Ok(());
        };
        if t.from != codes.notexist && t.to != codes.runnable && !is_delay {
            return Ok(());
        }
        let before = per_g.get(id);
        let mut slot = before;
        if t.from == codes.notexist {
            let known = creation_index(slot).map(|k| creations[k]);
            let new = creation_of(t);
            let merged = match known {
                // Each field stays the earliest non-NULL one.
                Some(old) => [old[0].or(new[0]), old[1].or(new[1]), old[2].or(new[2])],
                None => new,
            };
            if known != Some(merged) && merged != [None; 3] {
                if slot.creation & HAD_DELAY != 0 {
                    // Delays already derived without these fields.
                    return Err(OutOfOrder);
                }
                let k = recent.intern(&mut creations, merged);
                slot.creation = (slot.creation & HAD_DELAY) | (k + 1);
            }
        }
        if t.to == codes.runnable {
            let e = MadeRunnable::of(t);
            match waiting_to_run.get_mut(slot) {
                Some(r) if r.end == t.end => {
                    if r.zero_delay {
                        return Err(OutOfOrder);
                    }
                    match r.first {
                        None => r.first = Some(e),
                        Some(_) => r.more.push(e),
                    }
                }
                _ => {
                    let r = Runnable { end: t.end, first: Some(e), more: Vec::new(), zero_delay: false };
                    waiting_to_run.put(&mut slot, r);
                }
            }
        }
        if is_delay {
            let start = t.end.wrapping_sub(t.duration);
            let c = creation_index(slot).map(|k| &creations[k]);
            slot.creation |= HAD_DELAY;
            match waiting_to_run.get_mut(slot) {
                Some(Runnable { end, first: Some(first), more, .. }) if *end == start => {
                    out.add(codes, t, Some(first), c);
                    for e in more.iter() {
                        out.add(codes, t, Some(e), c);
                    }
                }
                _ => out.add(codes, t, None, c),
            }
            if t.duration == 0 {
                match waiting_to_run.get_mut(slot) {
                    Some(r) if r.end == start => r.zero_delay = true,
                    _ => {
                        let r = Runnable { end: start, first: None, more: Vec::new(), zero_delay: true };
                        waiting_to_run.put(&mut slot, r);
                    }
                }
            } else {
                // Later transitions of this goroutine end after `start`.
                waiting_to_run.remove(&mut slot);
            }
        }
        if slot != before {
            per_g.set(id, slot);
        }
        Ok(())
    })
}

/// The view's join, for any order of transitions: every transition into
/// runnable by goroutine and end time, every goroutine's creation, then one
/// row per delay and matching transition, added to `out`.
fn join(g: &PackedTable, codes: &Codes, out: &mut Rows) {
    let mut into_runnable: IdMap<(i64, i64), Vec<MadeRunnable>> = IdMap::default();
    // Per goroutine and field: the earliest non-NULL value, with its time.
    let mut creations: IdMap<i64, [Option<(i64, i64)>; 3]> = IdMap::default();
    each_transition(g, |t| {
        let Some(id) = t.g else { return Ok(()) };
        if t.to == codes.runnable {
            into_runnable.entry((id, t.end)).or_default().push(MadeRunnable::of(t));
        }
        if t.from == codes.notexist {
            let fields = creations.entry(id).or_default();
            for (field, value) in fields.iter_mut().zip(creation_of(t)) {
                if let Some(v) = value {
                    if field.map_or(true, |(at, _)| t.end < at) {
                        *field = Some((t.end, v));
                    }
                }
            }
        }
        Ok::<(), std::convert::Infallible>(())
    })
    .unwrap_or_else(|never| match never {});
    each_transition(g, |t| {
        if t.from != codes.runnable || t.to != codes.running {
            return Ok(());
        }
        let c = t.g.and_then(|id| creations.get(&id)).map(|f| f.map(|v| v.map(|(_, v)| v)));
        let start = t.end.wrapping_sub(t.duration);
        match t.g.and_then(|id| into_runnable.get(&(id, start))) {
            Some(es) => es.iter().for_each(|e| out.add(codes, t, Some(e), c.as_ref())),
            None => out.add(codes, t, None, c.as_ref()),
        }
        Ok::<(), std::convert::Infallible>(())
    })
    .unwrap_or_else(|never| match never {});
}
