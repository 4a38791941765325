//! Tables from a Go execution trace: one pass over the reader's events into
//! plain columns, ready to be bulk-loaded into DuckDB (CLI) or shipped as
//! Arrow to DuckDB-WASM (web page).
//!
//! The first tables are sqlprof's, with the same names, columns and meanings,
//! so its users' queries run unchanged: `g_transitions` (`duration_ns` is the
//! time spent in `from_state`; `src_*` is whoever caused the transition),
//! `p_transitions`, `stack_samples`, `metrics`, `stack_frames`, `frames`,
//! `functions`, `label_sets`. Stack, frame and function IDs are assigned in
//! the order sqlprof assigns them (first sight, event stack before transition
//! stack), so IDs in results match too. Then what sqlprof never loaded:
//! `ranges` (GC, STW, sweep, mark assist), `tasks`, `regions`, `logs`.
//!
//! No SQL and no I/O here: this crate builds for wasm32 like the reader.

#![warn(missing_docs)]

use std::collections::HashMap;

use gotrace::table::IdMap;

use gotrace::{Event, EventKind, GoState, ProcState, Resource, Stack, Transition};

pub mod delays;
pub mod goroutine_totals;
mod latency;
mod summary;

pub use latency::{Latency, LatencyCollector, LatencySummary};
pub use summary::{QuickSummary, SummaryCollector};

/// A NULL-able 64-bit integer column value: sqlprof stores -1 IDs as NULL.
pub type Nullable = Option<i64>;

fn resource(id: i64) -> Nullable {
    (id != -1).then_some(id)
}

/// A value of the schema's `state` enum (sql/schema.sql), whose declared
/// order the codes follow: one byte per state column of a row, where a
/// `&str` took sixteen and every consumer compared text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
#[allow(missing_docs)]
pub enum State {
    Idle = 0,
    NotExist,
    Runnable,
    Running,
    Syscall,
    Undetermined,
    Waiting,
}

impl State {
    /// Every state, in the schema's order (a state's code is its index).
    pub const ALL: [State; 7] =
        [State::Idle, State::NotExist, State::Runnable, State::Running, State::Syscall, State::Undetermined, State::Waiting];

    /// The state's name, as the schema's enum spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Idle => "idle",
            State::NotExist => "notexist",
            State::Runnable => "runnable",
            State::Running => "running",
            State::Syscall => "syscall",
            State::Undetermined => "undetermined",
            State::Waiting => "waiting",
        }
    }

    /// The state named `name` as the schema spells it.
    pub fn from_name(name: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The state's code: its position in the schema's enum.
    pub const fn code(self) -> i64 {
        self as u8 as i64
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `g_transitions`: every goroutine state transition.
#[derive(Debug, Default, Clone)]
#[allow(missing_docs)]
pub struct GTransitions {
    pub g: Vec<Nullable>,
    pub from_state: Vec<State>,
    pub to_state: Vec<State>,
    /// Each row's reason as a code into `reasons`: a trace repeats a few
    /// dozen reasons millions of times, and one string per row cost more
    /// than all the other columns together.
    pub reason: Vec<Option<u32>>,
    /// The text of each reason code: every code seen so far (each chunk that
    /// [`TableBuilder::take_rows`] hands out has them all).
    pub reasons: Vec<String>,
    pub duration_ns: Vec<i64>,
    pub end_time_ns: Vec<i64>,
    pub stack_id: Vec<Option<u64>>,
    pub src_stack_id: Vec<Option<u64>>,
    pub src_g: Vec<Nullable>,
    pub src_m: Vec<Nullable>,
    pub src_p: Vec<Nullable>,
}

impl GTransitions {
    /// Row `i`'s reason as text.
    pub fn reason_text(&self, i: usize) -> Option<&str> {
        self.reason[i].map(|k| self.reasons[k as usize].as_str())
    }

    /// Empties every column, keeping its memory (the reasons stay).
    fn clear_rows(&mut self) {
        let GTransitions {
            g,
            from_state,
            to_state,
            reason,
            reasons: _,
            duration_ns,
            end_time_ns,
            stack_id,
            src_stack_id,
            src_g,
            src_m,
            src_p,
        } = self;
        from_state.clear();
        to_state.clear();
        reason.clear();
        for v in [duration_ns, end_time_ns] {
            v.clear();
        }
        for v in [stack_id, src_stack_id] {
            v.clear();
        }
        for v in [g, src_g, src_m, src_p] {
            v.clear();
        }
    }
}

/// `p_transitions`: every proc state transition.
#[derive(Debug, Default, Clone)]
#[allow(missing_docs)]
pub struct PTransitions {
    pub p: Vec<Nullable>,
    pub from_state: Vec<State>,
    pub to_state: Vec<State>,
    pub duration_ns: Vec<i64>,
    pub end_time_ns: Vec<i64>,
    pub src_p: Vec<Nullable>,
    pub src_g: Vec<Nullable>,
    pub src_m: Vec<Nullable>,
}

impl PTransitions {
    /// Empties every column, keeping its memory.
    fn clear_rows(&mut self) {
        let PTransitions { p, from_state, to_state, duration_ns, end_time_ns, src_p, src_g, src_m } = self;
        from_state.clear();
        to_state.clear();
        duration_ns.clear();
        end_time_ns.clear();
        for v in [p, src_p, src_g, src_m] {
            v.clear();
        }
    }
}

/// `stack_samples`: CPU profile samples taken during the trace.
#[derive(Debug, Default, Clone)]
#[allow(missing_docs)]
pub struct StackSamples {
    pub src_stack_id: Vec<Option<u64>>,
    pub end_time_ns: Vec<i64>,
    pub src_g: Vec<Nullable>,
    pub src_p: Vec<Nullable>,
    pub src_m: Vec<Nullable>,
}

/// `metrics`: GOMAXPROCS, heap live bytes and heap goal over time.
#[derive(Debug, Default, Clone)]
#[allow(missing_docs)]
pub struct Metrics {
    pub end_time_ns: Vec<i64>,
    pub name: Vec<&'static str>,
    pub value: Vec<i64>,
    pub src_stack_id: Vec<Option<u64>>,
    pub src_g: Vec<Nullable>,
    pub src_p: Vec<Nullable>,
    pub src_m: Vec<Nullable>,
}

/// `stack_frames`: which frames make up each stack (position 0 is the leaf).
#[derive(Debug, Default, Clone)]
#[allow(missing_docs)]
pub struct StackFrames {
    pub stack_id: Vec<u64>,
    pub frame_id: Vec<u64>,
    pub position: Vec<u64>,
}

/// `frames`: distinct (PC, function, line) triples.
#[derive(Debug, Default, Clone)]
#[allow(missing_docs)]
pub struct Frames {
    pub frame_id: Vec<u64>,
    pub address: Vec<u64>,
    pub function_id: Vec<u64>,
    pub line: Vec<u64>,
}

/// `functions`: distinct (name, file) pairs.
#[derive(Debug, Default, Clone)]
#[allow(missing_docs)]
pub struct Functions {
    pub function_id: Vec<u64>,
    pub name: Vec<String>,
    pub file: Vec<String>,
}

/// `ranges`: GC mark phases, sweeps, mark assists and stop-the-world pauses,
/// one row per range with its start and end (NULL when outside the trace).
#[derive(Debug, Default, Clone)]
#[allow(missing_docs)]
pub struct Ranges {
    pub name: Vec<String>,
    /// "goroutine", "proc" or NULL for global ranges.
    pub scope: Vec<Option<&'static str>>,
    pub scope_id: Vec<Nullable>,
    pub start_time_ns: Vec<Option<i64>>,
    pub end_time_ns: Vec<Option<i64>>,
    /// True when the range was already active when its generation began (no begin event).
    pub started_before: Vec<bool>,
    pub start_stack_id: Vec<Option<u64>>,
    pub src_g: Vec<Nullable>,
    pub src_p: Vec<Nullable>,
    pub src_m: Vec<Nullable>,
    pub bytes_swept: Vec<Option<i64>>,
    pub bytes_reclaimed: Vec<Option<i64>>,
}

impl Ranges {
    /// Adds a range that has not ended yet and returns its row. A missing
    /// start means it was already in progress (RangeActive, or an end without
    /// a begin).
    fn open(
        &mut self,
        name: &[u8],
        scope: Option<&'static str>,
        scope_id: Nullable,
        start: Option<i64>,
        start_stack: Option<u64>,
        ev: &Event<'_>,
    ) -> usize {
        self.name.push(text(name));
        self.scope.push(scope);
        self.scope_id.push(scope_id);
        self.start_time_ns.push(start);
        self.end_time_ns.push(None);
        self.started_before.push(start.is_none());
        self.start_stack_id.push(start_stack);
        self.src_g.push(resource(ev.goroutine()));
        self.src_p.push(resource(ev.proc()));
        self.src_m.push(resource(ev.thread()));
        self.bytes_swept.push(None);
        self.bytes_reclaimed.push(None);
        self.name.len() - 1
    }
}

/// `tasks`: user tasks (runtime/trace.NewTask), a row as each task ends
/// (those that never end come last).
#[derive(Debug, Default, Clone)]
#[allow(missing_docs)]
pub struct Tasks {
    pub task_id: Vec<u64>,
    pub parent_id: Vec<Option<u64>>,
    pub type_: Vec<String>,
    pub start_time_ns: Vec<Option<i64>>,
    pub end_time_ns: Vec<Option<i64>>,
    pub start_g: Vec<Nullable>,
    pub end_g: Vec<Nullable>,
    pub start_stack_id: Vec<Option<u64>>,
}

/// `regions`: user regions (runtime/trace.StartRegion / WithRegion), a row
/// as each region ends (those that never end come last).
#[derive(Debug, Default, Clone)]
#[allow(missing_docs)]
pub struct Regions {
    pub g: Vec<Nullable>,
    pub task_id: Vec<u64>,
    pub type_: Vec<String>,
    pub start_time_ns: Vec<Option<i64>>,
    pub end_time_ns: Vec<Option<i64>>,
    pub depth: Vec<i64>,
    pub start_stack_id: Vec<Option<u64>>,
}

/// One row of [`Tasks`]: held by the builder while the task is open, so
/// that the table is written as tasks end rather than kept whole.
struct TaskRow {
    task_id: u64,
    parent_id: Option<u64>,
    type_: String,
    start_time_ns: Option<i64>,
    end_time_ns: Option<i64>,
    start_g: Nullable,
    end_g: Nullable,
    start_stack_id: Option<u64>,
}

impl TaskRow {
    /// A task's row with its begin and end still unknown (so far, or for
    /// good: a task that began before the trace).
    fn new(task: &gotrace::event::Task<'_>) -> Self {
        TaskRow {
            task_id: task.id,
            parent_id: (task.parent != gotrace::event::NO_TASK).then_some(task.parent),
            type_: text(task.kind),
            start_time_ns: None,
            end_time_ns: None,
            start_g: None,
            end_g: None,
            start_stack_id: None,
        }
    }
}

impl Tasks {
    fn push(&mut self, r: TaskRow) {
        self.task_id.push(r.task_id);
        self.parent_id.push(r.parent_id);
        self.type_.push(r.type_);
        self.start_time_ns.push(r.start_time_ns);
        self.end_time_ns.push(r.end_time_ns);
        self.start_g.push(r.start_g);
        self.end_g.push(r.end_g);
        self.start_stack_id.push(r.start_stack_id);
    }
}

/// One row of [`Regions`], held while the region is open (see [`TaskRow`]).
struct RegionRow {
    g: Nullable,
    task_id: u64,
    type_: String,
    start_time_ns: Option<i64>,
    end_time_ns: Option<i64>,
    depth: i64,
    start_stack_id: Option<u64>,
}

impl RegionRow {
    /// A region's row on goroutine `g` with its begin and end still unknown
    /// (see [`TaskRow::new`]), at depth 0.
    fn new(g: i64, region: &gotrace::event::Region<'_>) -> Self {
        RegionRow {
            g: resource(g),
            task_id: region.task,
            type_: text(region.kind),
            start_time_ns: None,
            end_time_ns: None,
            depth: 0,
            start_stack_id: None,
        }
    }
}

impl Regions {
    fn push(&mut self, r: RegionRow) {
        self.g.push(r.g);
        self.task_id.push(r.task_id);
        self.type_.push(r.type_);
        self.start_time_ns.push(r.start_time_ns);
        self.end_time_ns.push(r.end_time_ns);
        self.depth.push(r.depth);
        self.start_stack_id.push(r.start_stack_id);
    }
}

/// `logs`: user log messages (runtime/trace.Log).
#[derive(Debug, Default, Clone)]
#[allow(missing_docs)]
pub struct Logs {
    pub end_time_ns: Vec<i64>,
    pub task_id: Vec<u64>,
    pub category: Vec<String>,
    pub message: Vec<String>,
    pub src_g: Vec<Nullable>,
    pub src_stack_id: Vec<Option<u64>>,
}

/// Every table built from one trace.
#[derive(Debug, Default, Clone)]
#[allow(missing_docs)]
pub struct TraceTables {
    pub g_transitions: GTransitions,
    pub p_transitions: PTransitions,
    pub stack_samples: StackSamples,
    pub metrics: Metrics,
    pub stack_frames: StackFrames,
    pub frames: Frames,
    pub functions: Functions,
    pub ranges: Ranges,
    pub tasks: Tasks,
    pub regions: Regions,
    pub logs: Logs,
    /// Time of the first event after the opening Sync: sqlprof's `rel_time_ns`
    /// origin (the reader it was built on did not emit an opening Sync).
    pub first_time_ns: i64,
    /// Time of the last event.
    pub last_time_ns: i64,
    /// Events read.
    pub events: u64,
}

impl TraceTables {
    /// Rows in the append-only tables (transitions, samples, metrics, stack
    /// frames, tasks, regions, logs): what a loader counts to bound its memory.
    pub fn rows(&self) -> usize {
        self.g_transitions.g.len()
            + self.p_transitions.p.len()
            + self.stack_samples.end_time_ns.len()
            + self.metrics.name.len()
            + self.stack_frames.stack_id.len()
            + self.tasks.task_id.len()
            + self.regions.task_id.len()
            + self.logs.task_id.len()
    }
}

fn go_state(s: GoState) -> State {
    match s {
        GoState::Undetermined => State::Undetermined,
        GoState::NotExist => State::NotExist,
        GoState::Runnable => State::Runnable,
        GoState::Running => State::Running,
        GoState::Waiting => State::Waiting,
        GoState::Syscall => State::Syscall,
    }
}

fn proc_state(s: ProcState) -> State {
    match s {
        ProcState::Undetermined => State::Undetermined,
        ProcState::NotExist => State::NotExist,
        ProcState::Running => State::Running,
        ProcState::Idle => State::Idle,
    }
}

/// Each reason's code in `g_transitions.reasons`.
#[derive(Default)]
struct ReasonCodes {
    by_text: HashMap<Vec<u8>, u32>,
    /// The codes of the reasons met in this generation, by where their
    /// bytes are (its string table) and their length: a trace repeats a few
    /// dozen reasons millions of times, and hashing the text each time cost
    /// a tenth of the reading thread. Emptied at every generation's start,
    /// since a later table may hold other text where this one's was.
    by_address: Vec<(usize, usize, u32)>,
}

impl ReasonCodes {
    /// How many reasons a generation's addresses are kept for (a damaged
    /// trace can hold any number of them; the rest are looked up by text).
    const ADDRESSES: usize = 64;

    /// The code of `reason`, added to `texts` if new.
    fn code(&mut self, reason: &[u8], texts: &mut Vec<String>) -> u32 {
        let at = (reason.as_ptr() as usize, reason.len());
        if let Some(&(_, _, k)) = self.by_address.iter().find(|&&(p, n, _)| (p, n) == at) {
            return k;
        }
        let k = match self.by_text.get(reason) {
            Some(&k) => k,
            None => self.new_reason(reason, texts),
        };
        if self.by_address.len() < Self::ADDRESSES {
            self.by_address.push((at.0, at.1, k));
        }
        k
    }

    /// Adds a reason not seen before to the dictionary; returns its code.
    #[cold]
    #[inline(never)]
    fn new_reason(&mut self, reason: &[u8], texts: &mut Vec<String>) -> u32 {
        texts.push(text(reason));
        let k = (texts.len() - 1) as u32;
        self.by_text.insert(reason.to_vec(), k);
        k
    }

    fn forget_addresses(&mut self) {
        self.by_address.clear();
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Interns stacks, frames and functions with sqlprof's IDs (1-based, first sight).
#[derive(Default)]
struct Interner {
    functions: HashMap<(Vec<u8>, Vec<u8>), u64>,
    frames: HashMap<(u64, u64, u64), u64>,
    stacks: HashMap<Vec<u64>, u64>,
    /// Per-generation cache from the trace's own stack ID to ours (a
    /// `usize` to share the goroutine totals' instance of `ById` in the
    /// page's wasm, whose size is budgeted).
    by_trace_id: ById<Option<usize>>,
    scratch: Vec<u64>,
}

impl Interner {
    fn stack(&mut self, s: &Stack<'_, '_>, t: &mut TraceTables) -> Option<u64> {
        if s.is_none() {
            return None;
        }
        let trace_id = s.id() as i64;
        if let Some(id) = self.by_trace_id.get(trace_id) {
            return Some(id as u64);
        }
        self.scratch.clear();
        for f in s.frames() {
            let key = (f.func.to_vec(), f.file.to_vec());
            let next = self.functions.len() as u64 + 1;
            let fid = *self.functions.entry(key).or_insert_with(|| {
                t.functions.function_id.push(next);
                t.functions.name.push(text(f.func));
                t.functions.file.push(text(f.file));
                next
            });
            let next = self.frames.len() as u64 + 1;
            let frame = *self.frames.entry((f.pc, fid, f.line)).or_insert_with(|| {
                t.frames.frame_id.push(next);
                t.frames.address.push(f.pc);
                t.frames.function_id.push(fid);
                t.frames.line.push(f.line);
                next
            });
            self.scratch.push(frame);
        }
        let next = self.stacks.len() as u64 + 1;
        let scratch = &self.scratch;
        let id = match self.stacks.get(scratch) {
            Some(&id) => id,
            None => {
                self.stacks.insert(scratch.clone(), next);
                for (pos, &frame) in scratch.iter().enumerate() {
                    t.stack_frames.stack_id.push(next);
                    t.stack_frames.frame_id.push(frame);
                    t.stack_frames.position.push(pos as u64);
                }
                next
            }
        };
        self.by_trace_id.replace(trace_id, Some(id as usize));
        Some(id)
    }
}

/// When each goroutine last changed state, so a transition knows how long
/// the goroutine spent in the state it leaves (0 for its first transition):
/// `g_transitions.duration_ns`, and the waits [`LatencyCollector`] counts.
/// The times are kept [`ById`]: a trace that creates millions of
/// goroutines then reads and writes neighbouring memory instead of a map
/// scattered over tens of megabytes.
#[derive(Default)]
pub(crate) struct GoroutineClock {
    last: ById<Option<i64>>,
    seen: usize,
}

impl GoroutineClock {
    /// Records a transition of goroutine `id` at `time`; returns the time since its previous one.
    pub(crate) fn since_last(&mut self, id: i64, time: i64) -> i64 {
        match self.last.replace(id, Some(time)) {
            Some(prev) => time - prev,
            None => {
                self.seen += 1;
                0
            }
        }
    }

    /// Goroutines seen so far: the distinct `g` of `g_transitions`.
    pub(crate) fn goroutines(&self) -> usize {
        self.seen
    }
}

/// A value per ID (`T::default()` for none): a vector indexed by ID while
/// the IDs stay within a few times the number stored there, a map beyond.
/// For IDs handed out in order: goroutine IDs, whose neighbours in ID are
/// those that run near them in time (a hash map would scatter what is read
/// together, on traces of millions of goroutines), and a generation's stack
/// IDs, looked up for nearly every event.
#[derive(Default)]
pub(crate) struct ById<T> {
    dense: Vec<T>,
    sparse: IdMap<i64, T>,
    /// IDs with a value in `dense`.
    stored: usize,
}

impl<T: Copy + Default + PartialEq> ById<T> {
    /// The value of `id`.
    #[inline]
    pub(crate) fn get(&self, id: i64) -> T {
        match usize::try_from(id) {
            Ok(k) if k < self.dense.len() && self.dense[k] != T::default() => self.dense[k],
            _ => self.sparse.get(&id).copied().unwrap_or_default(),
        }
    }

    /// Forgets every value, keeping the memory for the next ones.
    pub(crate) fn clear(&mut self) {
        self.dense.clear();
        self.sparse.clear();
        self.stored = 0;
    }

    /// Sets the value of `id`; returns its previous one.
    #[inline]
    pub(crate) fn replace(&mut self, id: i64, v: T) -> T {
        match usize::try_from(id) {
            Ok(k) if k < self.dense.len() || k < 2 * self.stored + 4096 => {
                if k >= self.dense.len() {
                    self.dense.resize((k + 1).max(2 * self.dense.len()), T::default());
                }
                let old = std::mem::replace(&mut self.dense[k], v);
                if old != T::default() {
                    return old;
                }
                self.stored += 1;
                // An ID the vector did not cover when first seen is in the map.
                match self.sparse.is_empty() {
                    true => old,
                    false => self.sparse.remove(&id).unwrap_or(old),
                }
            }
            _ => self.sparse.insert(id, v).unwrap_or_default(),
        }
    }
}

/// A task or region begun and not ended yet.
enum Open {
    Task(TaskRow),
    Region(RegionRow),
}

/// The rows of open tasks and regions, in slots that ended ones leave to
/// the next, so memory follows what is open at once.
#[derive(Default)]
struct OpenRows {
    rows: Vec<Option<Open>>,
    free: Vec<usize>,
}

impl OpenRows {
    fn push(&mut self, row: Open) -> usize {
        match self.free.pop() {
            Some(at) => {
                self.rows[at] = Some(row);
                at
            }
            None => {
                self.rows.push(Some(row));
                self.rows.len() - 1
            }
        }
    }

    fn take(&mut self, at: usize) -> Option<Open> {
        let row = self.rows.get_mut(at)?.take();
        if row.is_some() {
            self.free.push(at);
        }
        row
    }
}

/// Builds tables event by event; call [`TableBuilder::add`] for each event in order.
#[derive(Default)]
pub struct TableBuilder {
    t: TraceTables,
    interner: Interner,
    g_last: GoroutineClock,
    p_last: IdMap<i64, i64>,
    open_ranges: HashMap<(Vec<u8>, Option<i64>), usize>,
    /// Task ID → its row in `open`.
    open_tasks: IdMap<u64, usize>,
    /// Goroutine → its open regions' rows in `open`, innermost last.
    open_regions: IdMap<i64, Vec<usize>>,
    /// The rows of tasks and regions begun and not ended yet.
    open: OpenRows,
    /// Reason bytes → code in `g_transitions.reasons`.
    reason_codes: ReasonCodes,
    /// Time of the first non-Sync event, once seen.
    origin: Option<i64>,
}

impl TableBuilder {
    /// A builder with empty tables.
    pub fn new() -> Self {
        TableBuilder::default()
    }

    /// Adds one event (events must come in reader order).
    pub fn add(&mut self, ev: &Event<'_>) {
        let time = ev.time();
        let kind = ev.kind();
        if self.origin.is_none() && kind != EventKind::Sync {
            self.origin = Some(time);
            self.t.first_time_ns = time;
        }
        self.t.last_time_ns = time;
        self.t.events += 1;
        if kind == EventKind::Sync {
            // Stack IDs are per generation: forget the previous generation's.
            self.interner.by_trace_id.clear();
            self.reason_codes.forget_addresses();
            return;
        }
        let (g, p, m) = (resource(ev.goroutine()), resource(ev.proc()), resource(ev.thread()));
        let src_stack = self.interner.stack(&ev.stack(), &mut self.t);
        match kind {
            EventKind::StackSample => {
                let s = &mut self.t.stack_samples;
                s.src_stack_id.push(src_stack);
                s.end_time_ns.push(time);
                s.src_g.push(g);
                s.src_p.push(p);
                s.src_m.push(m);
            }
            EventKind::Metric => {
                if let Some(metric) = ev.metric() {
                    let s = &mut self.t.metrics;
                    s.end_time_ns.push(time);
                    s.name.push(metric.name);
                    s.value.push(metric.value as i64);
                    s.src_stack_id.push(src_stack);
                    s.src_g.push(g);
                    s.src_p.push(p);
                    s.src_m.push(m);
                }
            }
            EventKind::StateTransition => self.transition(ev, src_stack),
            EventKind::RangeBegin | EventKind::RangeActive | EventKind::RangeEnd => self.range(ev, kind, src_stack),
            EventKind::TaskBegin | EventKind::TaskEnd => self.task(ev, kind, src_stack),
            EventKind::RegionBegin | EventKind::RegionEnd => self.region(ev, kind, src_stack),
            EventKind::Log => {
                if let Some(l) = ev.log() {
                    let s = &mut self.t.logs;
                    s.end_time_ns.push(time);
                    s.task_id.push(l.task);
                    s.category.push(text(l.category));
                    s.message.push(text(l.message));
                    s.src_g.push(g);
                    s.src_stack_id.push(src_stack);
                }
            }
            _ => {}
        }
    }

    fn transition(&mut self, ev: &Event<'_>, mut src_stack: Option<u64>) {
        let Some(st) = ev.state_transition() else { return };
        let mut stack = self.interner.stack(&st.stack, &mut self.t);
        if src_stack == stack {
            src_stack = None;
        }
        // sqlprof's workaround: a status event at a generation's end carries the
        // goroutine's stack as the event stack rather than the transition stack.
        if src_stack.is_some() && stack.is_none() && ev.goroutine() == -1 {
            std::mem::swap(&mut src_stack, &mut stack);
        }
        let time = ev.time();
        let (g, p, m) = (resource(ev.goroutine()), resource(ev.proc()), resource(ev.thread()));
        match st.transition {
            Transition::Goroutine { id, from, to } => {
                let dt = self.g_last.since_last(id, time);
                let s = &mut self.t.g_transitions;
                s.g.push(resource(id));
                s.from_state.push(go_state(from));
                s.to_state.push(go_state(to));
                let reason = (!st.reason.is_empty()).then(|| self.reason_codes.code(st.reason, &mut s.reasons));
                s.reason.push(reason);
                s.duration_ns.push(dt);
                s.end_time_ns.push(time);
                s.stack_id.push(stack);
                s.src_stack_id.push(src_stack);
                s.src_g.push(g);
                s.src_m.push(m);
                s.src_p.push(p);
            }
            Transition::Proc { id, from, to } => {
                let dt = self.p_last.insert(id, time).map_or(0, |prev| time - prev);
                let s = &mut self.t.p_transitions;
                s.p.push(resource(id));
                s.from_state.push(proc_state(from));
                s.to_state.push(proc_state(to));
                s.duration_ns.push(dt);
                s.end_time_ns.push(time);
                s.src_p.push(p);
                s.src_g.push(g);
                s.src_m.push(m);
            }
        }
    }

    fn range(&mut self, ev: &Event<'_>, kind: EventKind, src_stack: Option<u64>) {
        let Some(r) = ev.range() else { return };
        let (scope, scope_id) = match r.scope {
            Resource::Goroutine(id) => (Some("goroutine"), Some(id)),
            Resource::Proc(id) => (Some("proc"), Some(id)),
            Resource::Thread(id) => (Some("thread"), Some(id)),
            Resource::None => (None, None),
        };
        // STW ranges of different kinds are different ranges; their end names the same kind.
        let name = r.name.to_bytes();
        let key = (name.clone(), scope_id);
        let time = ev.time();
        match kind {
            EventKind::RangeBegin | EventKind::RangeActive => {
                let active = kind == EventKind::RangeActive;
                // An Active for a range we already track (a generation boundary) is not a new range.
                if active && self.open_ranges.contains_key(&key) {
                    return;
                }
                let start = (!active).then_some(time);
                let row = self.t.ranges.open(&name, scope, scope_id, start, src_stack, ev);
                self.open_ranges.insert(key, row);
            }
            _ => {
                let row = match self.open_ranges.remove(&key) {
                    Some(row) => row,
                    // Began before the trace: a row with an unknown start.
                    None => self.t.ranges.open(&name, scope, scope_id, None, None, ev),
                };
                let s = &mut self.t.ranges;
                s.end_time_ns[row] = Some(time);
                for (attr, v) in ev.range_attributes() {
                    match attr {
                        "bytes swept" => s.bytes_swept[row] = Some(v as i64),
                        "bytes reclaimed" => s.bytes_reclaimed[row] = Some(v as i64),
                        _ => {}
                    }
                }
            }
        }
    }

    fn task(&mut self, ev: &Event<'_>, kind: EventKind, src_stack: Option<u64>) {
        let Some(task) = ev.task() else { return };
        let time = ev.time();
        if kind == EventKind::TaskBegin {
            let row = TaskRow {
                start_time_ns: Some(time),
                start_g: resource(ev.goroutine()),
                start_stack_id: src_stack,
                ..TaskRow::new(&task)
            };
            let at = self.open.push(Open::Task(row));
            // An ID begun twice (the old format allows it): the first stays open for good.
            self.open_tasks.insert(task.id, at);
        } else {
            let begun = self.open_tasks.remove(&task.id).and_then(|at| self.open.take(at));
            let mut row = match begun {
                Some(Open::Task(row)) => row,
                // Began before the trace.
                _ => TaskRow::new(&task),
            };
            row.end_time_ns = Some(time);
            row.end_g = resource(ev.goroutine());
            self.t.tasks.push(row);
        }
    }

    fn region(&mut self, ev: &Event<'_>, kind: EventKind, src_stack: Option<u64>) {
        let Some(r) = ev.region() else { return };
        let g = ev.goroutine();
        let time = ev.time();
        if kind == EventKind::RegionBegin {
            let stack = self.open_regions.entry(g).or_default();
            let row = RegionRow {
                start_time_ns: Some(time),
                depth: stack.len() as i64,
                start_stack_id: src_stack,
                ..RegionRow::new(g, &r)
            };
            stack.push(self.open.push(Open::Region(row)));
            return;
        }
        let mut innermost = None;
        if let Some(stack) = self.open_regions.get_mut(&g) {
            innermost = stack.pop();
            if stack.is_empty() {
                // Goroutines come and go: keep only those inside a region.
                self.open_regions.remove(&g);
            }
        }
        let mut row = match innermost.and_then(|at| self.open.take(at)) {
            Some(Open::Region(row)) => row,
            // Began before the trace.
            _ => RegionRow::new(g, &r),
        };
        row.end_time_ns = Some(time);
        self.t.regions.push(row);
    }

    /// Rows waiting in the append-only tables (to decide when to hand a chunk over).
    pub fn pending_rows(&self) -> usize {
        self.t.rows()
    }

    /// Takes the rows of the append-only tables built so far (transitions,
    /// samples, metrics, stacks, frames, functions, logs, and the tasks and
    /// regions that ended), so a loader can stream them out and memory stays
    /// bounded. Ranges stay until [`TableBuilder::finish`]: their rows are
    /// completed later (they are few: GC cycles, STWs, sweeps, assists).
    pub fn take_rows(&mut self) -> TraceTables {
        let t = &mut self.t;
        let g_transitions = std::mem::take(&mut t.g_transitions);
        // The reasons' dictionary stays with the builder; the chunk has a copy.
        t.g_transitions.reasons = g_transitions.reasons.clone();
        TraceTables {
            g_transitions,
            p_transitions: std::mem::take(&mut t.p_transitions),
            stack_samples: std::mem::take(&mut t.stack_samples),
            metrics: std::mem::take(&mut t.metrics),
            stack_frames: std::mem::take(&mut t.stack_frames),
            frames: std::mem::take(&mut t.frames),
            functions: std::mem::take(&mut t.functions),
            tasks: std::mem::take(&mut t.tasks),
            regions: std::mem::take(&mut t.regions),
            logs: std::mem::take(&mut t.logs),
            first_time_ns: t.first_time_ns,
            last_time_ns: t.last_time_ns,
            events: t.events,
            ..Default::default()
        }
    }

    /// Gives back a chunk from [`TableBuilder::take_rows`] that the loader is
    /// done with, right after a `take_rows`: its transition columns, emptied,
    /// are filled next, so the builder neither grows new ones value by value
    /// nor touches fresh memory. Ignored when rows were added since.
    pub fn reuse(&mut self, spent: TraceTables) {
        let (g, p) = (&mut self.t.g_transitions, &mut self.t.p_transitions);
        if !g.g.is_empty() || !p.p.is_empty() {
            return;
        }
        let reasons = std::mem::take(&mut g.reasons);
        *g = spent.g_transitions;
        *p = spent.p_transitions;
        g.clear_rows();
        p.clear_rows();
        g.reasons = reasons;
    }

    /// The remaining tables (everything when [`TableBuilder::take_rows`] was
    /// never called), with the tasks and regions that never ended.
    pub fn finish(mut self) -> TraceTables {
        for row in self.open.rows.drain(..).flatten() {
            match row {
                Open::Task(task) => self.t.tasks.push(task),
                Open::Region(region) => self.t.regions.push(region),
            }
        }
        self.t
    }
}

#[cfg(test)]
mod clock_tests {
    use super::{ById, GoroutineClock};
    use std::collections::HashMap;

    /// 200,000 steps of goroutine IDs in order, far apart, negative, and
    /// ahead of the vector (later covered by it): `(step, id, random bits)`.
    fn steps(mut x: u64) -> impl Iterator<Item = (i64, i64, u64)> {
        (0..200_000i64).map(move |step| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let id = match x % 10 {
                0 => (x >> 8) as i64,                   // anywhere, negative too
                1 => 10_000 + (x >> 8) as i64 % 50_000, // ahead of the vector, later covered
                _ => 1 + (x >> 8) as i64 % (1 + step / 4),
            };
            (step, id, x)
        })
    }

    /// The vector-or-map clock answers as a plain map would.
    #[test]
    fn the_goroutine_clock_behaves_like_a_map() {
        let mut clock = GoroutineClock::default();
        let mut model: HashMap<i64, i64> = HashMap::new();
        for (step, id, x) in steps(0x9e3779b97f4a7c15) {
            let time = step * 7 + (x % 5) as i64;
            let want = model.insert(id, time).map_or(0, |prev| time - prev);
            assert_eq!(clock.since_last(id, time), want, "step {step}, id {id}");
        }
        assert_eq!(clock.goroutines(), model.len());
    }

    /// The same for values that are set back to "none" (the default).
    #[test]
    fn values_by_id_behave_like_a_map() {
        let mut by = ById::<u32>::default();
        let mut model: HashMap<i64, u32> = HashMap::new();
        for (step, id, x) in steps(0x2545f4914f6cdd1d) {
            let v = (x >> 40) as u32 % 4;
            let want = model.insert(id, v).unwrap_or(0);
            assert_eq!(by.replace(id, v), want, "step {step}, id {id}");
            let probe = 1 + (x >> 20) as i64 % (2 + step / 2);
            assert_eq!(by.get(probe), model.get(&probe).copied().unwrap_or(0), "step {step}, probe {probe}");
            // As the stack cache does at each generation.
            if step % 5000 == 4999 {
                by.clear();
                model.clear();
            }
        }
    }
}
