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
    let streamed = if by_join { None } else { stream(g, &codes) };
    streamed.unwrap_or_else(|| join(g, &codes)).finish()
}

/// The table `derive` makes, without rows: what a query binds to before
/// anything is derived (DuckDB binds a view when it is created).
pub(super) fn empty(g: &PackedTable) -> PackedTable {
    Rows::new(g).finish()
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
        let is = |k: usize, r: usize| valid[k].map_or(true, |w| w[r / 64] >> (r % 64) & 1 == 1);
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

/// The derived rows, packed as they come.
struct Rows {
    table: PackedTable,
    pending: Vec<[Option<i64>; 13]>,
}

impl Rows {
    /// No rows yet; `cause_reason` has the type and codes of `g`'s `reason`.
    fn new(g: &PackedTable) -> Self {
        let mut table = PackedTable::new("delays", &COLUMNS);
        for c in CAUSES {
            table.column("cause").code(c);
        }
        let (reason, cause_reason) = (g.get("reason"), table.column("cause_reason"));
        cause_reason.dictionary = reason.dictionary.clone();
        cause_reason.enum_type = reason.enum_type.clone();
        Rows { table, pending: Vec::with_capacity(BLOCK_ROWS) }
    }

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
        for (k, c) in self.table.columns.iter_mut().enumerate() {
            c.push(&self.pending, |row| row[k]);
        }
        self.pending.clear();
    }

    fn finish(mut self) -> PackedTable {
        self.flush();
        self.table.seal();
        self.table
    }
}

/// Per goroutine, a `u32`: the index + 1 of its creation in an interned list
/// (0: none seen), and [`HAD_DELAY`] once a delay of it was derived. A vector
/// indexed by goroutine ID while the IDs are dense (a trace with millions of
/// short-lived goroutines), a map beyond.
#[derive(Default)]
struct PerGoroutine {
    dense: Vec<u32>,
    sparse: IdMap<i64, u32>,
    stored: usize,
}

const HAD_DELAY: u32 = 1 << 31;

/// The index of a goroutine's creation in the interned list, from its slot.
fn creation_index(slot: u32) -> Option<usize> {
    (slot & !HAD_DELAY).checked_sub(1).map(|k| k as usize)
}

impl PerGoroutine {
    fn get(&self, g: i64) -> u32 {
        match usize::try_from(g) {
            Ok(k) if k < self.dense.len() && self.dense[k] != 0 => self.dense[k],
            _ => self.sparse.get(&g).copied().unwrap_or(0),
        }
    }

    fn set(&mut self, g: i64, v: u32) {
        match usize::try_from(g) {
            Ok(k) if k < self.dense.len() || k < 2 * self.stored + 4096 => {
                if k >= self.dense.len() {
                    self.dense.resize((k + 1).max(2 * self.dense.len()), 0);
                }
                if self.dense[k] == 0 {
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

/// A trace the one pass cannot take (see the module's documentation).
struct OutOfOrder;

/// The pass in transition order; `None` where the trace breaks its
/// assumptions.
fn stream(g: &PackedTable, codes: &Codes) -> Option<Rows> {
    let mut out = Rows::new(g);
    let mut per_g = PerGoroutine::default();
    let mut creations: Vec<Creation> = Vec::new();
    let mut creation_ids: IdMap<Creation, u32> = IdMap::default();
    let mut last_creation: Option<u32> = None;
    let mut waiting_to_run: IdMap<i64, Runnable> = IdMap::default();
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
        if t.from == codes.notexist {
            let slot = per_g.get(id);
            let known = creation_index(slot).map(|k| creations[k]);
            let new = creation_of(t);
            let merged = match known {
                // Each field stays the earliest non-NULL one.
                Some(old) => [old[0].or(new[0]), old[1].or(new[1]), old[2].or(new[2])],
                None => new,
            };
            if known != Some(merged) && merged != [None; 3] {
                if slot & HAD_DELAY != 0 {
                    // Delays already derived without these fields.
                    return Err(OutOfOrder);
                }
                // Creations repeat (one stack creates thousands of goroutines):
                // the last one used is checked before the map.
                let k = match last_creation {
                    Some(k) if creations[k as usize] == merged => k,
                    _ => {
                        let next = creations.len() as u32;
                        let k = *creation_ids.entry(merged).or_insert(next);
                        if k == next {
                            creations.push(merged);
                        }
                        k
                    }
                };
                last_creation = Some(k);
                per_g.set(id, (slot & HAD_DELAY) | (k + 1));
            }
        }
        if t.to == codes.runnable {
            let e = MadeRunnable::of(t);
            match waiting_to_run.get_mut(&id) {
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
                    waiting_to_run.insert(id, Runnable { end: t.end, first: Some(e), more: Vec::new(), zero_delay: false });
                }
            }
        }
        if is_delay {
            let start = t.end.wrapping_sub(t.duration);
            let slot = per_g.get(id);
            per_g.set(id, slot | HAD_DELAY);
            let c = creation_index(slot).map(|k| &creations[k]);
            match waiting_to_run.get(&id) {
                Some(Runnable { end, first: Some(first), more, .. }) if *end == start => {
                    out.add(codes, t, Some(first), c);
                    for e in more {
                        out.add(codes, t, Some(e), c);
                    }
                }
                _ => out.add(codes, t, None, c),
            }
            if t.duration == 0 {
                match waiting_to_run.get_mut(&id) {
                    Some(r) if r.end == start => r.zero_delay = true,
                    _ => {
                        waiting_to_run.insert(id, Runnable { end: start, first: None, more: Vec::new(), zero_delay: true });
                    }
                }
            } else {
                // Later transitions of this goroutine end after `start`.
                waiting_to_run.remove(&id);
            }
        }
        Ok(())
    })
    .ok()
    .map(|()| out)
}

/// The view's join, for any order of transitions: every transition into
/// runnable by goroutine and end time, every goroutine's creation, then one
/// row per delay and matching transition.
fn join(g: &PackedTable, codes: &Codes) -> Rows {
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
    let mut out = Rows::new(g);
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
    out
}
