//! The rows of the `delays` view (sql/views.sql), derived in one pass over
//! `g_transitions` in the order the builder hands them out: the CLI derives
//! them from its packed table (crates/db), the page while it loads the
//! trace (crates/wasm), so neither has its DuckDB run the view's join.
//!
//! The view joins every runnable → running transition to the transition that
//! made the goroutine runnable and to the goroutine's creation: a hash join
//! and a grouping over all goroutines. Here it is one pass in transition
//! order, holding per goroutine only its creation (interned) and, while it
//! waits to run, what made it runnable.
//!
//! The rows are the view's, value for value: which transition made a
//! goroutine runnable is found by goroutine and end time, as the view's join
//! does, so several transitions ending at that instant give several rows; a
//! creation's fields are each the earliest non-NULL one, as `arg_min` gives.
//! The pass relies on each goroutine's transitions coming in time order and
//! on a goroutine's creation preceding its delays. Where a trace breaks that
//! (a damaged trace, a goroutine ID created twice), [`Deriver::feed`] says
//! so and the caller falls back to the view's join.

use gotrace::table::{IdHasher, IdMap};

use crate::{ById, GTransitions, State};

/// The view's `cause` values; a row's cause is its index here.
pub const CAUSES: [&str; 7] = ["created", "unblocked", "preempted", "yielded", "syscall", "rescheduled", "unknown"];
const CREATED: i64 = 0;
const UNBLOCKED: i64 = 1;
const PREEMPTED: i64 = 2;
const YIELDED: i64 = 3;
const SYSCALL: i64 = 4;
const RESCHEDULED: i64 = 5;
const UNKNOWN: i64 = 6;

/// The view's columns, in its order (the values of a [`DelayRow`]).
pub const COLUMN_NAMES: [&str; 13] = [
    "g",
    "start_time_ns",
    "end_time_ns",
    "duration_ns",
    "p",
    "cause",
    "cause_reason",
    "made_runnable_by_g",
    "made_runnable_by_stack_id",
    "own_stack_id",
    "creator_g",
    "creator_stack_id",
    "start_stack_id",
];

/// One derived row in [`COLUMN_NAMES`]' order: `cause` as its index in
/// [`CAUSES`], `cause_reason` as the reason code the transitions use.
pub type DelayRow = [Option<i64>; COLUMN_NAMES.len()];

/// One row of `g_transitions`, states and reason as codes.
#[derive(Debug, Clone, Copy)]
#[allow(missing_docs)]
pub struct TransitionRow {
    pub g: Option<i64>,
    pub from: i64,
    pub to: i64,
    pub reason: Option<i64>,
    pub duration: i64,
    pub end: i64,
    pub stack: Option<i64>,
    pub src_stack: Option<i64>,
    pub src_g: Option<i64>,
    pub src_p: Option<i64>,
}

/// What a transition into runnable tells a delay that began when it ended.
#[derive(Debug, Clone, Copy)]
pub struct MadeRunnable {
    from: i64,
    reason: Option<i64>,
    src_g: Option<i64>,
    src_stack: Option<i64>,
    stack: Option<i64>,
}

impl MadeRunnable {
    /// What transition `t` (into runnable) tells.
    pub fn of(t: &TransitionRow) -> Self {
        MadeRunnable { from: t.from, reason: t.reason, src_g: t.src_g, src_stack: t.src_stack, stack: t.stack }
    }
}

/// A goroutine's creation as the view reports it: creator goroutine,
/// creator stack, the goroutine's own first stack.
pub type Creation = [Option<i64>; 3];

/// The creation fields transition `t` (from notexist) carries.
pub fn creation_of(t: &TransitionRow) -> Creation {
    [t.src_g, t.src_stack, t.stack]
}

/// The row of delay `o` that `e` made runnable (none found: NULLs) of a
/// goroutine created as `c`; `preempted` is the code of the reason
/// `preempted`, once the trace has it.
pub fn delay_row(preempted: Option<i64>, o: &TransitionRow, e: Option<&MadeRunnable>, c: Option<&Creation>) -> DelayRow {
    let cause = match e {
        None => UNKNOWN,
        Some(e) if e.from == State::NotExist.code() => CREATED,
        Some(e) if e.from == State::Waiting.code() => UNBLOCKED,
        Some(e) if e.from == State::Running.code() => {
            if e.reason.is_some() && e.reason == preempted {
                PREEMPTED
            } else {
                YIELDED
            }
        }
        Some(e) if e.from == State::Syscall.code() => SYSCALL,
        Some(e) if e.from == State::Runnable.code() => RESCHEDULED,
        Some(_) => UNKNOWN,
    };
    let by = |v: fn(&MadeRunnable) -> Option<i64>| {
        e.filter(|e| e.from == State::NotExist.code() || e.from == State::Waiting.code()).and_then(v)
    };
    let c = c.copied().unwrap_or_default();
    [
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
    ]
}

/// What the pass holds per goroutine: its creation (the index + 1 in an
/// interned list, 0 for none seen, with [`HAD_DELAY`] once a delay of it
/// was derived and [`HAD_LONG_DELAY`]) and, while it waits to run, where its [`Runnable`] is
/// (index + 1 in a slab, 0 for none).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Slot {
    creation: u32,
    waiting: u32,
}

const HAD_DELAY: u32 = 1 << 31;
/// Set once a delay of the goroutine longer than [`LONG_WAIT_NS`] was derived.
const HAD_LONG_DELAY: u32 = 1 << 30;
const SLOT_FLAGS: u32 = HAD_DELAY | HAD_LONG_DELAY;

/// The wait `delayed_goroutines.goroutines_over_1ms` counts from, the
/// threshold of sql/report/who_launched_delayed*.sql.
pub const LONG_WAIT_NS: i64 = 1_000_000;

/// The index of a goroutine's creation in the interned list.
fn creation_index(slot: Slot) -> Option<usize> {
    (slot.creation & !SLOT_FLAGS).checked_sub(1).map(|k| k as usize)
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
    /// The index of the creation interned last: goroutines created in a
    /// loop repeat it, and comparing costs less than hashing.
    last: Option<u32>,
}

impl Default for RecentCreations {
    fn default() -> Self {
        RecentCreations { by_hash: vec![0; 4096], last: None }
    }
}

impl RecentCreations {
    /// The index of `c` in `creations`, added there unless seen recently.
    fn intern(&mut self, creations: &mut Vec<Creation>, c: Creation) -> u32 {
        if let Some(k) = self.last.filter(|&k| creations[k as usize] == c) {
            return k;
        }
        let k = self.intern_hashed(creations, c);
        self.last = Some(k);
        k
    }

    fn intern_hashed(&mut self, creations: &mut Vec<Creation>, c: Creation) -> u32 {
        let hash = std::hash::BuildHasher::hash_one(&std::hash::BuildHasherDefault::<IdHasher>::default(), c);
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
    /// The goroutine's entry, lent mutably.
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

/// A trace the one pass cannot take (see the module's documentation): its
/// rows must come from the view's join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfOrder;

/// Two facts of the transitions that let a query read `delays` in place of
/// a join over `g_transitions` (the report's launchers, for one): the
/// `delays_shape` view (sql/views.sql) shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DelaysShape {
    /// Every runnable → running transition gave one row: no two
    /// transitions into runnable of a goroutine ended where a wait began.
    pub one_row_per_wait: bool,
    /// No goroutine has two creations (transitions from notexist) that
    /// name a creating stack.
    pub one_creator_stack_per_goroutine: bool,
}

impl Default for DelaysShape {
    fn default() -> Self {
        DelaysShape { one_row_per_wait: true, one_creator_stack_per_goroutine: true }
    }
}

/// What the pass found besides the rows, for the views `delays_shape` and
/// `delayed_goroutines` (sql/views.sql).
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct DelaysFacts {
    pub shape: DelaysShape,
    pub delayed_goroutines: Vec<DelayedGoroutines>,
}

impl DelaysFacts {
    /// The statements that make the two views say these facts, once
    /// [`DELAYED_GOROUTINES_TABLE`] holds `delayed_goroutines`.
    pub fn views_sql(&self) -> String {
        include_str!("../../../sql/delays_derived.sql")
            .replace("{{one_row_per_wait}}", &self.shape.one_row_per_wait.to_string())
            .replace("{{one_creator_stack_per_goroutine}}", &self.shape.one_creator_stack_per_goroutine.to_string())
    }
}

/// The table the CLI and the page put `delayed_goroutines` into.
pub const DELAYED_GOROUTINES_TABLE: &str = include_str!("../../../sql/derived_delayed_goroutines.sql");

/// The pass's state between transitions.
#[derive(Default)]
pub struct Deriver {
    per_g: ById<Slot>,
    creations: Vec<Creation>,
    recent: RecentCreations,
    waiting_to_run: WaitingToRun,
    shape: DelaysShape,
    /// Per creation (index + 1 in `creations`; 0 for none): goroutines
    /// with a delay, and with one longer than [`LONG_WAIT_NS`]; summed by
    /// creator stack at the end (an index costs less than a hash).
    delayed: Vec<[i64; 2]>,
}

/// One row of the `delayed_goroutines` view (sql/views.sql): how many
/// goroutines created from one stack (`None`: no creation with a stack) had
/// a delay, and one longer than [`LONG_WAIT_NS`]. Counting distinct
/// goroutines over millions of delays took DuckDB a tenth of a second and
/// tens of MB per query; the pass knows each goroutine's first delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct DelayedGoroutines {
    pub creator_stack_id: Option<i64>,
    pub goroutines: i64,
    pub goroutines_over_1ms: i64,
}

impl Deriver {
    /// Takes the next transition, handing `out` the rows it completes; after
    /// an error the rows handed out so far are not the view's and the pass
    /// must not go on.
    #[inline]
    pub fn feed(&mut self, preempted: Option<i64>, t: &TransitionRow, out: &mut impl FnMut(DelayRow)) -> Result<(), OutOfOrder> {
        // A goroutine's transitions come in time order: each one's duration
        // is the time since the goroutine's previous one.
        if t.duration < 0 {
            return Err(OutOfOrder);
        }
        let is_delay = t.from == State::Runnable.code() && t.to == State::Running.code();
        let Some(id) = t.g else {
            if is_delay {
                out(delay_row(preempted, t, None, None));
            }
            return Ok(());
        };
        if t.from != State::NotExist.code() && t.to != State::Runnable.code() && !is_delay {
            return Ok(());
        }
        let before = self.per_g.get(id);
        let mut slot = before;
        if t.from == State::NotExist.code() {
            let known = creation_index(slot).map(|k| self.creations[k]);
            let new = creation_of(t);
            if new[1].is_some() && known.is_some_and(|c| c[1].is_some()) {
                self.shape.one_creator_stack_per_goroutine = false;
            }
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
                let k = self.recent.intern(&mut self.creations, merged);
                slot.creation = (slot.creation & SLOT_FLAGS) | (k + 1);
            }
        }
        let waiting_to_run = &mut self.waiting_to_run;
        if t.to == State::Runnable.code() {
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
            let c = creation_index(slot).map(|k| &self.creations[k]);
            let long = t.duration > LONG_WAIT_NS;
            let first = slot.creation & HAD_DELAY == 0;
            let first_long = long && slot.creation & HAD_LONG_DELAY == 0;
            if first || first_long {
                let k = creation_index(slot).map_or(0, |k| k + 1);
                if self.delayed.len() <= k {
                    self.delayed.resize(k + 1, [0; 2]);
                }
                self.delayed[k][0] += first as i64;
                self.delayed[k][1] += first_long as i64;
            }
            slot.creation |= if long { SLOT_FLAGS } else { HAD_DELAY };
            match waiting_to_run.get_mut(slot) {
                Some(Runnable { end, first: Some(first), more, .. }) if *end == start => {
                    out(delay_row(preempted, t, Some(first), c));
                    if !more.is_empty() {
                        self.shape.one_row_per_wait = false;
                    }
                    for e in more.iter() {
                        out(delay_row(preempted, t, Some(e), c));
                    }
                }
                _ => out(delay_row(preempted, t, None, c)),
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
            self.per_g.replace(id, slot);
        }
        Ok(())
    }

    /// What the transitions fed so far showed, besides the rows.
    pub fn facts(&self) -> DelaysFacts {
        DelaysFacts { shape: self.shape, delayed_goroutines: self.delayed_goroutines() }
    }

    /// The `delayed_goroutines` rows of the transitions fed so far, by creator stack.
    fn delayed_goroutines(&self) -> Vec<DelayedGoroutines> {
        let mut by_stack: IdMap<Option<i64>, [i64; 2]> = IdMap::default();
        for (k, counts) in self.delayed.iter().enumerate().filter(|(_, c)| **c != [0; 2]) {
            let stack = k.checked_sub(1).and_then(|k| self.creations[k][1]);
            let sum = by_stack.entry(stack).or_default();
            sum[0] += counts[0];
            sum[1] += counts[1];
        }
        let mut rows: Vec<DelayedGoroutines> = by_stack
            .into_iter()
            .map(|(creator_stack_id, [goroutines, goroutines_over_1ms])| DelayedGoroutines {
                creator_stack_id,
                goroutines,
                goroutines_over_1ms,
            })
            .collect();
        rows.sort_by_key(|r| r.creator_stack_id);
        rows
    }
}

/// `delays` rows derived from the builder's `g_transitions` chunk by chunk
/// (the page loads them as a table while it reads the trace). Until
/// [`ChunkedDelays::is_complete`] says otherwise, the rows handed out are
/// the view's.
pub struct ChunkedDelays {
    deriver: Option<Deriver>,
    /// The code of the reason `preempted` in the chunks' reasons, once seen.
    preempted: Option<i64>,
}

impl Default for ChunkedDelays {
    fn default() -> Self {
        ChunkedDelays { deriver: Some(Deriver::default()), preempted: None }
    }
}

impl ChunkedDelays {
    /// Derives the rows the transitions of `g` complete into `out`, their
    /// `cause_reason` a code into `g.reasons`. Nothing more once the trace
    /// broke the pass's assumptions.
    pub fn add(&mut self, g: &GTransitions, out: &mut Vec<DelayRow>) {
        let Some(deriver) = self.deriver.as_mut() else { return };
        if self.preempted.is_none() {
            // Codes are kept once given, and a row can only name one given so far.
            self.preempted = g.reasons.iter().position(|r| r == "preempted").map(|k| k as i64);
        }
        for i in 0..g.g.len() {
            let t = TransitionRow {
                g: g.g[i],
                from: g.from_state[i].code(),
                to: g.to_state[i].code(),
                reason: g.reason[i].map(i64::from),
                duration: g.duration_ns[i],
                end: g.end_time_ns[i],
                stack: g.stack_id[i].map(|v| v as i64),
                src_stack: g.src_stack_id[i].map(|v| v as i64),
                src_g: g.src_g[i],
                src_p: g.src_p[i],
            };
            if deriver.feed(self.preempted, &t, &mut |row| out.push(row)).is_err() {
                self.deriver = None;
                return;
            }
        }
    }

    /// Whether every row so far is the view's (no transition broke the pass).
    pub fn is_complete(&self) -> bool {
        self.deriver.is_some()
    }

    /// [`Deriver::facts`], while [`ChunkedDelays::is_complete`].
    pub fn facts(&self) -> Option<DelaysFacts> {
        self.deriver.as_ref().map(Deriver::facts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows' state codes are positions in the schema's `state` enum,
    /// which the page's tables and the CLI's packed ones both rely on.
    #[test]
    fn state_codes_follow_the_schemas_enum() {
        let schema = include_str!("../../../sql/schema.sql");
        let declared = schema.lines().find(|l| l.starts_with("create type state as enum")).expect("the state enum");
        let names: Vec<&str> = declared.split('\'').skip(1).step_by(2).collect();
        assert_eq!(names, State::ALL.map(State::as_str));
        for (k, s) in State::ALL.iter().enumerate() {
            assert_eq!(s.code(), k as i64, "{s}");
        }
    }
}
