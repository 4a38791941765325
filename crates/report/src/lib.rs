//! schedstat's analyses: what is making goroutines wait?
//!
//! Every question is a `.sql` file in the repository's `sql/report/` folder,
//! run against a database built by `schedstat-db`; this crate fills in their
//! parameters, stitches the answers into a [`Report`], and decides verdicts.
//! It knows nothing about terminals or JSON layout beyond `serde` derives:
//! renderers turn a `Report` into text or documents.
//!
//! Definitions follow dt/schedstat so its users see the same numbers: the
//! scheduling latency of a goroutine is the time from entering `runnable` to
//! `running` (`g_transitions` rows `runnable → running`); windows are counted
//! from the start of the first such wait (`t0`).

#![warn(missing_docs)]

use schedstat_query::{Cell, DbError, QueryResult, Sql};
use serde::{Deserialize, Serialize};

pub mod diff;
pub mod doctor;
pub mod stack;

/// How wide (in bytes) a goroutine or stack label may be: what the terminal
/// report fits on its lines.
pub const LABEL_WIDTH: usize = 90;
/// The same for `--top-waiters`, whose lines carry a goroutine ID first.
pub const WAITER_WIDTH: usize = 80;

/// The analysis SQL, compiled in from `sql/report/` (the web page imports the same files).
pub mod sql {
    macro_rules! sql_files {
        ($($name:ident => $file:literal),* $(,)?) => {
            $(
                #[doc = concat!("`sql/report/", $file, "`")]
                pub const $name: &str = include_str!(concat!(env!("OUT_DIR"), "/sql/report/", $file));
            )*
            /// Every analysis file by name, for tools that list or check them.
            pub const ALL: &[(&str, &str)] = &[$(($file, $name)),*];
        };
    }
    sql_files! {
        LATENCY_SUMMARY => "latency_summary.sql",
        LATENCY_WINDOWS => "latency_windows.sql",
        RUNNABLE_COUNT => "runnable_count.sql",
        GC_ACTIVITY => "gc_activity.sql",
        GC_RANGES => "gc_ranges.sql",
        STW_PAUSES => "stw_pauses.sql",
        WORST_DELAY_IN_WINDOW => "worst_delay_in_window.sql",
        BURST_ROWS => "burst_rows.sql",
        BURST_SIZE => "burst_size.sql",
        PROC_ACTIVITY_DURING => "proc_activity_during.sql",
        LONGEST_RUN => "longest_run.sql",
        BURST_BREAKDOWN => "burst_breakdown.sql",
        BURST_CREATORS => "burst_creators.sql",
        BURST_UNBLOCKERS => "burst_unblockers.sql",
        BURST_BLOCKED => "burst_blocked.sql",
        BURST_BLOCKED_AT => "burst_blocked_at.sql",
        BURST_HEAVY_UNBLOCKERS => "burst_heavy_unblockers.sql",
        BUSIEST_RUNNABLE_BUCKET => "busiest_runnable_bucket.sql",
        WORST_DELAYS => "worst_delays.sql",
        TOP_WAITERS => "top_waiters.sql",
        DELAYS_BY_CREATOR => "delays_by_creator.sql",
        DELAYS_BY_CREATOR_FROM_DELAYS => "delays_by_creator_from_delays.sql",
        BURSTS => "bursts.sql",
        WHO_LAUNCHED_DELAYED => "who_launched_delayed.sql",
        WHO_LAUNCHED_DELAYED_FROM_DELAYS => "who_launched_delayed_from_delays.sql",
        WHY_RUNS => "why_runs.sql",
        WHY_WAITING => "why_waiting.sql",
        DELAY_EXPLAINED => "delay_explained.sql",
        RUNNABLE_AT => "runnable_at.sql",
        WINDOW_CONTEXT => "window_context.sql",
    }

    /// Fills `{{name}}` placeholders with integers (the only parameters the analyses take).
    pub fn bind(sql: &str, params: &[(&str, i64)]) -> String {
        let mut s = sql.to_string();
        for (name, v) in params {
            s = s.replace(&format!("{{{{{name}}}}}"), &v.to_string());
        }
        s
    }
}

/// What to compute; the defaults are dt/schedstat's. Deserialisable (absent
/// fields take the defaults) so the web page can pass the same options.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Options {
    /// Analysis window.
    pub window_ns: i64,
    /// A window whose p99 latency exceeds this is a latency spike.
    pub spike_threshold_ns: i64,
    /// A window whose runnable count exceeds this is a runnable spike; 0 = 5 × procs.
    pub runnable_threshold: i64,
    /// Entries per listing.
    pub top: usize,
    /// p99 latency per window.
    pub timeseries: bool,
    /// Delays grouped by the creator of each delayed goroutine.
    pub by_creator: bool,
    /// GC-related transitions, GC phases and STW pauses.
    pub gc: bool,
    /// 1 ms bursts of goroutines becoming runnable, and who launched delayed goroutines.
    pub bursts: bool,
    /// The N worst individual delays.
    pub worst: usize,
    /// Goroutines with the most total scheduling wait.
    pub top_waiters: bool,
    /// Explain the N worst delays: what held the proc, or how saturated the run queue was.
    pub why: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            window_ns: 100_000_000,
            spike_threshold_ns: 1_000_000,
            runnable_threshold: 0,
            top: 5,
            timeseries: false,
            by_creator: false,
            gc: false,
            bursts: false,
            worst: 0,
            top_waiters: false,
            why: 0,
        }
    }
}

impl Options {
    /// Whether the report reads the `delays` view (`worst_delays.sql`,
    /// `why_waiting.sql`, `delays_by_creator.sql`, and for `--bursts`
    /// `who_launched_delayed_from_delays.sql`): a database can derive its
    /// rows while the trace loads, which only pays when they are read.
    pub fn reads_delays(&self) -> bool {
        self.worst > 0 || self.why > 0 || self.by_creator || self.bursts
    }
}

pub use schedstat_tables::{Latency, LatencySummary};

/// The figures of `latency_summary.sql`'s one row (the report and diff both read it).
pub(crate) fn latency_summary(s: &QueryResult) -> LatencySummary {
    let row = &s.rows[0];
    let f = |name: &str| float(&row[col(s, name)]);
    LatencySummary {
        latency: Latency {
            count: int(&row[col(s, "count")]),
            min_ns: f("min_ns"),
            avg_ns: f("avg_ns"),
            p50_ns: f("p50_ns"),
            p90_ns: f("p90_ns"),
            p99_ns: f("p99_ns"),
            max_ns: f("max_ns"),
        },
        t0_ns: int(&row[col(s, "t0_ns")]),
        end_ns: int(&row[col(s, "end_ns")]),
    }
}

/// A window whose p99 latency exceeded the threshold.
#[derive(Debug, Clone, Serialize)]
pub struct LatencySpike {
    /// Number shared with the spike details ([1], [2], ...).
    pub index: usize,
    /// Window number from t0.
    pub window: i64,
    /// Window start, ms after t0.
    pub start_ms: f64,
    /// p99 latency in the window.
    pub p99_ns: f64,
    /// Longest delay in the window.
    pub max_ns: i64,
    /// Delays ending in the window.
    pub events: i64,
}

/// A window whose runnable-goroutine count exceeded the threshold.
#[derive(Debug, Clone, Serialize)]
pub struct RunnableSpike {
    /// Number shared with the spike details.
    pub index: usize,
    /// Window number.
    pub window: i64,
    /// Window start, ms after t0.
    pub start_ms: f64,
    /// Most goroutines runnable at once in the window.
    pub peak: i64,
}

/// Counts of why goroutines became runnable around an instant, and who caused it.
#[derive(Debug, Clone, Serialize, Default)]
pub struct BurstBreakdown {
    /// (category, count): new, unblocked, syscall, preempted, rescheduled, other.
    pub categories: Vec<(String, i64)>,
    /// Stacks that created the new goroutines: (count, terse frames) — None when unknown.
    pub created_by: Vec<(i64, Option<Vec<String>>)>,
    /// Innermost frames (with file:line) that unblocked goroutines.
    pub unblocked_by: Vec<(i64, String)>,
    /// Where unblocked goroutines had blocked.
    pub blocked_at: Vec<(i64, Vec<String>)>,
    /// Goroutines that unblocked the most, with their usual stack.
    pub heavy_unblockers: Vec<HeavyUnblocker>,
}

/// A goroutine that unblocked many others during a burst.
#[derive(Debug, Clone, Serialize)]
pub struct HeavyUnblocker {
    /// The unblocking goroutine.
    pub g: i64,
    /// How many it unblocked.
    pub count: i64,
    /// Its most common stack while unblocking.
    pub funcs: Option<Vec<String>>,
    /// Other stacks it unblocked from just as often: `funcs` is then the
    /// lowest stack ID's (dt/schedstat's `mode()` takes any of them).
    pub tied_stacks: i64,
}

/// What happened around one spike.
#[derive(Debug, Clone, Serialize)]
pub struct SpikeDetail {
    /// Spike number.
    pub index: usize,
    /// "latency" or "runnable".
    pub kind: &'static str,
    /// Window start, ms after t0.
    pub start_ms: f64,
    /// p99 (latency spikes) or peak runnable count (runnable spikes).
    pub value: f64,
    /// For latency spikes: the worst delay that began in the window.
    pub worst: Option<WorstInWindow>,
    /// Goroutines becoming runnable within ±1 ms of the worst delay's start.
    pub burst_goroutines: i64,
    /// Burst breakdown, when the burst is large (> 10) or for runnable spikes.
    pub breakdown: Option<BurstBreakdown>,
    /// For runnable spikes: the 1 ms bucket (ms after t0) where most
    /// goroutines became runnable, which the breakdown is centred on.
    pub busiest_ms: Option<i64>,
    /// Other buckets of the window with as many: the earliest was taken
    /// (dt/schedstat takes any of them).
    pub busiest_tied_ms: Vec<i64>,
}

/// The worst delay of a spike window and what its proc did meanwhile.
#[derive(Debug, Clone, Serialize)]
pub struct WorstInWindow {
    /// The waiting goroutine.
    pub g: i64,
    /// How long it waited.
    pub duration_ns: i64,
    /// When its wait began.
    pub wait_start_ns: i64,
    /// The proc it finally ran on.
    pub p: Option<i64>,
    /// Longest run on that proc during the wait: goroutine, length, stack.
    pub longest_run: Option<(i64, i64, Vec<String>)>,
    /// Goroutines and runs on that proc during the wait.
    pub queue_goroutines: i64,
    /// Runs on that proc during the wait.
    pub queue_runs: i64,
}

/// One window of the latency time series.
#[derive(Debug, Clone, Serialize)]
pub struct WindowStats {
    /// Window number.
    pub window: i64,
    /// Start, ms after t0.
    pub start_ms: f64,
    /// End, ms after t0.
    pub end_ms: f64,
    /// Delays ending in the window.
    pub events: i64,
    /// p99 latency.
    pub p99_ns: f64,
    /// Longest delay.
    pub max_ns: i64,
    /// Above the spike threshold.
    pub spike: bool,
}

/// Scheduler, GC and heap context of one window (with --timeseries).
#[derive(Debug, Clone, Serialize)]
pub struct WindowContext {
    /// Window number.
    pub window: i64,
    /// Start, ms after t0.
    pub start_ms: f64,
    /// Goroutines waiting to run, on average over the window.
    pub avg_runnable: f64,
    /// Idle procs, on average over the window.
    pub avg_idle_procs: f64,
    /// Fraction of the window inside a GC mark phase.
    pub gc_share: f64,
    /// Stop-the-world time in the window.
    pub stw_ns: i64,
    /// Peak live heap (bytes) reported in the window.
    pub heap_max_bytes: Option<i64>,
    /// Procs idle while goroutines waited (both at least half a goroutine/proc on average).
    pub idle_while_waiting: bool,
}

/// A group of delays by creator.
#[derive(Debug, Clone, Serialize)]
pub struct CreatorGroup {
    /// The creating stack, leaf first; None for goroutines created before the trace.
    pub creator_funcs: Option<Vec<String>>,
    /// Delays.
    pub events: i64,
    /// Distinct delayed goroutines.
    pub goroutines: i64,
    /// Total delay.
    pub total_ns: i64,
    /// Longest delay.
    pub max_ns: i64,
    /// p99 delay.
    pub p99_ns: f64,
    /// What the terminal calls the group: the creating stack's application
    /// path, told apart from the other groups' ([`stack::distinct_paths`]).
    pub label: String,
}

/// GC-related transitions of one kind.
#[derive(Debug, Clone, Serialize)]
pub struct GcTransitions {
    /// From state.
    pub from_state: String,
    /// To state.
    pub to_state: String,
    /// Reason.
    pub reason: Option<String>,
    /// Count.
    pub transitions: i64,
    /// Total time in from_state.
    pub total_ns: i64,
    /// Longest.
    pub max_ns: i64,
}

/// GC phases and pauses by range name.
#[derive(Debug, Clone, Serialize)]
pub struct GcRange {
    /// Range name ("GC concurrent mark phase", "stop-the-world (...)", ...).
    pub name: String,
    /// Ranges seen.
    pub count: i64,
    /// Total length of those with both ends in the trace.
    pub total_ns: i64,
    /// Longest.
    pub max_ns: Option<i64>,
}

/// One stop-the-world pause.
#[derive(Debug, Clone, Serialize)]
pub struct StwPause {
    /// Why the world stopped.
    pub reason: String,
    /// Start (absolute trace ns).
    pub start_ns: i64,
    /// Length.
    pub duration_ns: i64,
}

/// GC section.
#[derive(Debug, Clone, Serialize, Default)]
pub struct GcReport {
    /// Transitions mentioning the GC.
    pub transitions: Vec<GcTransitions>,
    /// Phases and pauses.
    pub ranges: Vec<GcRange>,
    /// Longest stop-the-world pauses.
    pub stw_pauses: Vec<StwPause>,
}

/// A 1 ms burst of goroutines becoming runnable.
#[derive(Debug, Clone, Serialize)]
pub struct Burst {
    /// ms after the first transition.
    pub start_ms: f64,
    /// Goroutines that became runnable.
    pub goroutines: i64,
    /// Distinct stacks that caused it.
    pub distinct_creators: i64,
}

/// A creator of goroutines that waited more than 1 ms.
#[derive(Debug, Clone, Serialize)]
pub struct Launcher {
    /// Creating stack, leaf first.
    pub funcs: Option<Vec<String>>,
    /// Delayed goroutines it created.
    pub goroutines: i64,
    /// Their total delay.
    pub total_ns: i64,
    /// Their longest delay.
    pub max_ns: i64,
}

/// One of the worst delays.
#[derive(Debug, Clone, Serialize)]
pub struct Delay {
    /// The goroutine.
    pub g: i64,
    /// How long it waited.
    pub duration_ns: i64,
    /// When the wait began.
    pub start_ns: i64,
    /// When it ran.
    pub end_ns: i64,
    /// The proc it ran on.
    pub p: Option<i64>,
    /// What made it runnable: created, unblocked, preempted, yielded, syscall, ...
    pub cause: String,
    /// The goroutine that made it runnable (creator or unblocker).
    pub made_runnable_by_g: Option<i64>,
    /// That goroutine's stack.
    pub made_runnable_by_funcs: Option<Vec<String>>,
    /// Who created the waiting goroutine.
    pub creator_funcs: Option<Vec<String>>,
    /// The waiting goroutine's last stack before the wait.
    pub last_funcs: Option<Vec<String>>,
    /// The waiting goroutine's start function's stack.
    pub start_funcs: Option<Vec<String>>,
    /// What the terminal and the page call the waiting goroutine
    /// ([`stack::goroutine_label`] of its last stack and start function).
    pub label: String,
}

/// A goroutine with a lot of total scheduling wait.
#[derive(Debug, Clone, Serialize)]
pub struct Waiter {
    /// The goroutine.
    pub g: i64,
    /// How often it was scheduled.
    pub schedulings: i64,
    /// Total wait.
    pub total_ns: i64,
    /// Longest wait.
    pub max_ns: i64,
    /// Its last stack.
    pub funcs: Option<Vec<String>>,
    /// Its start function (root of its first stack).
    pub name: Option<String>,
    /// What the terminal calls it ([`stack::goroutine_label`]).
    pub label: String,
}

/// What ran on a proc during a delay.
#[derive(Debug, Clone, Serialize)]
pub struct ProcUse {
    /// The proc.
    pub p: i64,
    /// The goroutine that ran.
    pub g: i64,
    /// Its name (start function).
    pub name: Option<String>,
    /// Runs during the wait.
    pub runs: i64,
    /// Time it held the proc during the wait (running or in a syscall).
    pub overlap_ns: i64,
    /// Part of that spent in syscalls.
    pub syscall_ns: i64,
    /// Stack of its longest run.
    pub funcs: Option<Vec<String>>,
    /// What the terminal and the page call it ([`stack::goroutine_label`]).
    pub label: String,
}

/// Why one delay happened.
#[derive(Debug, Clone, Serialize)]
pub struct Why {
    /// The delay.
    pub delay: Delay,
    /// "held" (one goroutine held the proc), "saturated" (too many runnable goroutines) or "unclear".
    pub verdict: &'static str,
    /// For "held": the goroutine that held the proc the goroutine finally ran on.
    pub holder: Option<ProcUse>,
    /// Other goroutines runnable when the wait began, by cause, with a typical stack.
    pub runnable_at_start: Vec<(String, i64, Option<Vec<String>>)>,
    /// Other goroutines runnable when the wait began.
    pub runnable_total: i64,
    /// Busiest goroutine on every proc during the wait.
    pub procs: Vec<ProcUse>,
}

/// The report on one trace.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Options used.
    pub options: Options,
    /// From the start of the first scheduling wait to the end of the last.
    pub trace_duration_ns: i64,
    /// Origin of windows (absolute trace ns).
    pub t0_ns: i64,
    /// Procs seen.
    pub procs: i64,
    /// Runnable-spike threshold in effect.
    pub runnable_threshold: i64,
    /// Overall scheduling latency.
    pub latency: Latency,
    /// Latency spikes (top N by p99) and how many there were.
    pub latency_spikes: Vec<LatencySpike>,
    /// Total latency spikes.
    pub latency_spikes_total: usize,
    /// Latency spikes not shown whose p99 equals the last shown one's: the
    /// cut-off fell inside a tie (the earliest windows are shown).
    pub latency_spikes_tied_beyond: usize,
    /// Runnable spikes (top N by peak).
    pub runnable_spikes: Vec<RunnableSpike>,
    /// Total runnable spikes.
    pub runnable_spikes_total: usize,
    /// Runnable spikes not shown whose peak equals the last shown one's.
    pub runnable_spikes_tied_beyond: usize,
    /// Details for each listed spike.
    pub spike_details: Vec<SpikeDetail>,
    /// Runnable goroutines per 1 ms bucket: (ms after t0, count at the end of the bucket).
    pub runnable_series: Vec<(i64, i64)>,
    /// p99 per window (with --timeseries).
    pub timeseries: Option<Vec<WindowStats>>,
    /// Scheduler, GC and heap per window (with --timeseries).
    pub window_context: Option<Vec<WindowContext>>,
    /// Delays by creator (with --by-creator).
    pub by_creator: Option<Vec<CreatorGroup>>,
    /// GC (with --gc).
    pub gc: Option<GcReport>,
    /// Bursts (with --bursts).
    pub bursts: Option<Vec<Burst>>,
    /// Who launched delayed goroutines (with --bursts).
    pub launchers: Option<Vec<Launcher>>,
    /// Worst delays (with --worst).
    pub worst: Option<Vec<Delay>>,
    /// Top waiters (with --top-waiters).
    pub top_waiters: Option<Vec<Waiter>>,
    /// Explanations (with --why).
    pub why: Option<Vec<Why>>,
}

/// Why a report could not be made.
#[derive(Debug)]
pub enum ReportError {
    /// The trace has no scheduling delay at all (no runnable → running transition).
    NoSchedulingEvents,
    /// A query failed.
    Db(DbError),
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReportError::NoSchedulingEvents => {
                f.write_str("the trace has no goroutine scheduling events (no runnable → running transition)")
            }
            ReportError::Db(e) => write!(f, "query failed: {e}"),
        }
    }
}

impl std::error::Error for ReportError {}

impl From<DbError> for ReportError {
    fn from(e: DbError) -> Self {
        ReportError::Db(e)
    }
}

type Result<T> = std::result::Result<T, ReportError>;

fn int(c: &Cell) -> i64 {
    c.as_i64().unwrap_or(0)
}

fn opt_int(c: &Cell) -> Option<i64> {
    c.as_i64()
}

fn float(c: &Cell) -> f64 {
    c.as_f64().unwrap_or(0.0)
}

fn text(c: &Cell) -> Option<String> {
    match c {
        Cell::Text(s) => Some(s.clone()),
        Cell::Null => None,
        other => Some(format!("{other:?}")),
    }
}

fn list_ints(c: &Cell) -> Option<Vec<i64>> {
    match c {
        Cell::List(items) => Some(items.iter().filter_map(Cell::as_i64).collect()),
        _ => None,
    }
}

fn list(c: &Cell) -> Option<Vec<String>> {
    match c {
        Cell::List(items) => Some(items.iter().filter_map(text).collect()),
        _ => None,
    }
}

fn col(r: &QueryResult, name: &str) -> usize {
    r.columns.iter().position(|c| c == name).unwrap_or_else(|| panic!("analysis result lacks column {name}"))
}

/// The `or` of `one` for each item, "false" for none: the windows the
/// scratch tables of the burst and `--why` analyses keep rows from.
fn any_window<T>(items: &[T], one: impl Fn(&T) -> String) -> String {
    if items.is_empty() {
        return "false".to_string();
    }
    items.iter().map(one).collect::<Vec<_>>().join(" or ")
}

struct Runner<'d> {
    db: &'d dyn Sql,
    /// `SCHEDSTAT_TIMINGS` is set: print each query's time, CPU and peak RSS.
    timings: bool,
    /// What the report makes once, shared by the runners of its threads.
    once: &'d Once,
}

/// What a report makes once, on the first query that needs it, whichever
/// of its threads (see [`Runner::each`]) asks first; the other waits.
#[derive(Default)]
struct Once {
    /// `burst_blocked` has been made (on the first burst that needs it).
    burst_blocked: std::sync::Mutex<bool>,
    /// The trace's longest run, once asked for (`longest_run.sql`).
    longest_run_ns: std::sync::Mutex<Option<i64>>,
}

/// Locks `m`, also after a panic elsewhere (whose own unwinding reports it).
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Runner<'_> {
    /// `work` on each of `jobs`, the results in the jobs' order. Where the
    /// database has a second connection ([`Sql::beside`]) the jobs are shared
    /// out between this thread and a second one, each taking the next job
    /// when done with its last: the per-spike and `--why` queries are a few
    /// milliseconds each, run by one of DuckDB's threads while the other
    /// idles, and a report can run a hundred of them.
    fn each<J: Sync, T: Send>(&self, jobs: &[J], work: impl Fn(&Runner<'_>, &J) -> Result<T> + Sync) -> Result<Vec<T>> {
        #[cfg(not(target_arch = "wasm32"))]
        if jobs.len() > 1 {
            if let Some(db) = self.db.beside() {
                use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
                let next = AtomicUsize::new(0);
                let take = |r: &Runner<'_>| -> Result<Vec<(usize, T)>> {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Relaxed);
                        let Some(job) = jobs.get(i) else { return Ok(done) };
                        done.push((i, work(r, job)?));
                    }
                };
                let (timings, once, take) = (self.timings, self.once, &take);
                let mut all = std::thread::scope(|s| {
                    let helper = s.spawn(move || take(&Runner { db: &*db, timings, once }));
                    let mine = take(self);
                    let theirs = helper.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
                    let mut all = mine?;
                    all.extend(theirs?);
                    Ok::<_, ReportError>(all)
                })?;
                all.sort_unstable_by_key(|&(i, _)| i);
                return Ok(all.into_iter().map(|(_, t)| t).collect());
            }
        }
        let mut done = Vec::with_capacity(jobs.len());
        for job in jobs {
            done.push(work(self, job)?);
        }
        Ok(done)
    }

    /// Makes `burst_rows`, the table the burst queries read: the transitions
    /// within ±1 ms of any of `centres` (an empty table when there are none).
    fn make_burst_rows(&self, centres: &[i64]) -> Result<()> {
        let windows = any_window(centres, |c| format!("start_ns between {} and {}", c - 1_000_000, c + 1_000_000));
        let earliest = centres.iter().min().map_or(0, |c| c - 1_000_000);
        // DuckDB tried each window on every row (a third of the report's
        // time here on big traces); the milliseconds since `earliest` that
        // the windows touch, a list it tests once, pass the few rows the
        // windows are then tried on.
        let mut millis: Vec<i64> =
            centres.iter().flat_map(|c| (c - 1_000_000 - earliest) / 1_000_000..=(c + 1_000_000 - earliest) / 1_000_000).collect();
        millis.sort_unstable();
        millis.dedup();
        let list = millis.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
        let filter = if centres.is_empty() {
            windows
        } else {
            format!("case when (start_ns - {earliest}) // 1000000 in ({list}) then {windows} else false end")
        };
        self.make_windowed(sql::BURST_ROWS, earliest, &filter)
    }

    /// Makes `why_runs` and `why_waiting`, the tables the explanations of
    /// `delays` read: the executions that overlap any of their waits, and the
    /// waits under way when any of them began.
    fn make_why_tables(&self, delays: &[Delay]) -> Result<()> {
        let earliest = delays.iter().map(|d| d.start_ns).min().unwrap_or(0);
        let windows =
            any_window(delays, |d| format!("(end_time_ns > {} and start_time_ns < {})", d.start_ns, d.end_ns));
        self.make_windowed(sql::WHY_RUNS, earliest, &windows)?;
        let instants =
            any_window(delays, |d| format!("(start_time_ns <= {0} and end_time_ns > {0})", d.start_ns));
        self.make_windowed(sql::WHY_WAITING, earliest, &instants)
    }

    /// Makes `burst_blocked` (where each goroutine unblocked in `burst_rows`
    /// had blocked) the first time it is called.
    fn make_burst_blocked(&self) -> Result<()> {
        let mut made = lock(&self.once.burst_blocked);
        if !*made {
            self.timed(sql::BURST_BLOCKED, || Ok(self.db.execute_batch(sql::BURST_BLOCKED)?))?;
            *made = true;
        }
        Ok(())
    }

    /// How long the trace's longest run lasted (`i64::MAX` when unknown): how
    /// far past a wait a run that overlapped it can end. Asked once.
    fn longest_run_ns(&self) -> Result<i64> {
        let mut known = lock(&self.once.longest_run_ns);
        if let Some(ns) = *known {
            return Ok(ns);
        }
        let ns = self.q(sql::LONGEST_RUN, &[])?.rows.first().and_then(|row| opt_int(&row[0])).unwrap_or(i64::MAX);
        *known = Some(ns);
        Ok(ns)
    }

    /// Runs a scratch table's making (`burst_rows.sql`, `why_*.sql`), timed
    /// like [`Runner::q`]: rows from `earliest_ns` on that are `in_windows`
    /// (an [`any_window`]).
    fn make_windowed(&self, sql: &str, earliest_ns: i64, in_windows: &str) -> Result<()> {
        let q = sql::bind(sql, &[("earliest_ns", earliest_ns)]).replace("{{in_windows}}", in_windows);
        self.timed(sql, || Ok(self.db.execute_batch(&q)?))
    }

    fn q(&self, sql: &str, params: &[(&str, i64)]) -> Result<QueryResult> {
        let q = sql::bind(sql, params);
        self.timed(sql, || Ok(self.db.query(&q)?))
    }

    /// Runs `run`, printing its time, CPU and peak RSS under `SCHEDSTAT_TIMINGS`
    /// with `sql`'s first line.
    fn timed<T>(&self, sql: &str, run: impl FnOnce() -> Result<T>) -> Result<T> {
        if !self.timings {
            return run();
        }
        let (t, c0) = (std::time::Instant::now(), cpu_ticks());
        let r = run()?;
        let name = sql.lines().next().unwrap_or("");
        eprintln!(
            "{:8.1} ms {:6} cpu-ms peak {:>12}  {}",
            t.elapsed().as_secs_f64() * 1e3,
            (cpu_ticks() - c0) * 10,
            peak_rss(),
            &name[..name.len().min(60)]
        );
        Ok(r)
    }
}

/// This process's user + system CPU time in clock ticks (Linux; 0 elsewhere).
fn cpu_ticks() -> u64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let f: Vec<&str> = s.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let field = |i: usize| f.get(i).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
    field(11) + field(12)
}

/// This process's peak resident memory as /proc says it (Linux; empty elsewhere).
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().to_string()))
        .unwrap_or_default()
}

/// Runs every analysis the options ask for.
pub fn build(db: &dyn Sql, opts: &Options) -> Result<Report> {
    let once = Once::default();
    let r = Runner { db, timings: std::env::var_os("SCHEDSTAT_TIMINGS").is_some(), once: &once };
    let summary = r.q(sql::LATENCY_SUMMARY, &[])?;
    // How far past its start a wait can end: bounds the scans for the waits
    // that began in a window.
    let longest_wait_ns = opt_int(&summary.rows[0][col(&summary, "max_ns")]).unwrap_or(i64::MAX);
    let LatencySummary { latency, t0_ns: t0, end_ns: end } = latency_summary(&summary);
    if latency.count == 0 {
        return Err(ReportError::NoSchedulingEvents);
    }
    let procs = int(&db.query("select count(*) from procs")?.rows[0][0]);
    let runnable_threshold = if opts.runnable_threshold > 0 { opts.runnable_threshold } else { 5 * procs };

    // Latency windows and spikes.
    let w = r.q(sql::LATENCY_WINDOWS, &[("t0_ns", t0), ("window_ns", opts.window_ns)])?;
    let windows: Vec<WindowStats> = w
        .rows
        .iter()
        .map(|row| {
            let window = int(&row[0]);
            let p99 = float(&row[2]);
            WindowStats {
                window,
                start_ms: (window * opts.window_ns) as f64 / 1e6,
                end_ms: ((window + 1) * opts.window_ns) as f64 / 1e6,
                events: int(&row[1]),
                p99_ns: p99,
                max_ns: int(&row[3]),
                spike: p99 > opts.spike_threshold_ns as f64,
            }
        })
        .collect();
    let mut spikes: Vec<&WindowStats> = windows.iter().filter(|w| w.spike).collect();
    spikes.sort_by(|a, b| b.p99_ns.total_cmp(&a.p99_ns).then(a.window.cmp(&b.window)));
    let latency_spikes_total = spikes.len();
    let latency_spikes_tied_beyond = tied_beyond(&spikes, opts.top, |w| w.p99_ns.to_bits());
    let latency_spikes: Vec<LatencySpike> = spikes
        .iter()
        .take(opts.top)
        .enumerate()
        .map(|(i, w)| LatencySpike {
            index: i + 1,
            window: w.window,
            start_ms: w.start_ms,
            p99_ns: w.p99_ns,
            max_ns: w.max_ns,
            events: w.events,
        })
        .collect();

    // Runnable count and runnable spikes.
    let rc = r.q(sql::RUNNABLE_COUNT, &[("t0_ns", t0)])?;
    let runnable_series: Vec<(i64, i64)> = rc.rows.iter().map(|row| (int(&row[0]), int(&row[3]))).collect();
    let window_ms = (opts.window_ns / 1_000_000).max(1);
    let mut peaks: Vec<(i64, i64)> = Vec::new();
    for &(bucket, n) in &runnable_series {
        // Truncating division, as SQL's `//` in dt/schedstat.
        let wn = bucket / window_ms;
        match peaks.last_mut() {
            Some((w, peak)) if *w == wn => *peak = (*peak).max(n),
            _ => peaks.push((wn, n)),
        }
    }
    let mut rspikes: Vec<(i64, i64)> = peaks.into_iter().filter(|&(_, p)| p > runnable_threshold).collect();
    rspikes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let runnable_spikes_total = rspikes.len();
    let runnable_spikes_tied_beyond = tied_beyond(&rspikes, opts.top, |s| s.1 as u64);
    let base = latency_spikes.len();
    let runnable_spikes: Vec<RunnableSpike> = rspikes
        .iter()
        .take(opts.top)
        .enumerate()
        .map(|(i, &(wn, peak))| RunnableSpike {
            index: base + i + 1,
            window: wn,
            start_ms: (wn * window_ms) as f64,
            peak,
        })
        .collect();

    // Spike details.
    // Every spike's centre first: the burst queries then read one small
    // table holding just the transitions around those centres.
    let worst_in_spike = r.each(&latency_spikes, |r, s| {
        let lo = t0 + s.window * opts.window_ns;
        let hi = lo + opts.window_ns;
        let ends_by = hi.saturating_add(longest_wait_ns);
        r.q(sql::WORST_DELAY_IN_WINDOW, &[("lo_ns", lo), ("hi_ns", hi), ("ends_by_ns", ends_by)])
    })?;
    let busiest = r.each(&runnable_spikes, |r, s| {
        let b = r.q(
            sql::BUSIEST_RUNNABLE_BUCKET,
            &[("t0_ns", t0), ("lo_bucket", s.window * window_ms), ("hi_bucket", (s.window + 1) * window_ms)],
        )?;
        let centre = b.rows.first().map(|row| t0 + int(&row[0]) * 1_000_000);
        Ok((centre, b.rows.first().and_then(|row| list_ints(&row[2])).unwrap_or_default()))
    })?;
    let centres: Vec<i64> = worst_in_spike
        .iter()
        .filter_map(|wd| wd.rows.first().map(|row| int(&row[2])))
        .chain(busiest.iter().filter_map(|b| b.0))
        .collect();
    r.make_burst_rows(&centres)?;

    let jobs: Vec<SpikeJob<'_>> = latency_spikes
        .iter()
        .zip(&worst_in_spike)
        .map(|(s, worst)| SpikeJob::Latency(s, worst))
        .chain(runnable_spikes.iter().zip(busiest).map(|(s, (centre, tied))| SpikeJob::Runnable(s, centre, tied)))
        .collect();
    let spike_details = r.each(&jobs, |r, job| spike_detail(r, job, t0))?;

    let lim = |n: usize| n as i64;
    let mut report = Report {
        options: opts.clone(),
        trace_duration_ns: end - t0,
        t0_ns: t0,
        procs,
        runnable_threshold,
        latency,
        latency_spikes,
        latency_spikes_total,
        latency_spikes_tied_beyond,
        runnable_spikes,
        runnable_spikes_total,
        runnable_spikes_tied_beyond,
        spike_details,
        runnable_series,
        timeseries: opts.timeseries.then(|| windows.clone()),
        window_context: None,
        by_creator: None,
        gc: None,
        bursts: None,
        launchers: None,
        worst: None,
        top_waiters: None,
        why: None,
    };

    if opts.timeseries {
        let q = r.q(sql::WINDOW_CONTEXT, &[("t0_ns", t0), ("window_ns", opts.window_ns), ("end_ns", end)])?;
        report.window_context = Some(
            q.rows
                .iter()
                .map(|row| {
                    let window = int(&row[0]);
                    let avg_runnable = float(&row[1]);
                    let avg_idle_procs = float(&row[2]);
                    WindowContext {
                        window,
                        start_ms: (window * opts.window_ns) as f64 / 1e6,
                        avg_runnable,
                        avg_idle_procs,
                        gc_share: float(&row[3]),
                        stw_ns: int(&row[4]),
                        heap_max_bytes: opt_int(&row[5]),
                        idle_while_waiting: avg_runnable >= 0.5 && avg_idle_procs >= 0.5,
                    }
                })
                .collect(),
        );
    }
    if opts.by_creator {
        let by_creator = if delays_shape(db)?.is_some() { sql::DELAYS_BY_CREATOR_FROM_DELAYS } else { sql::DELAYS_BY_CREATOR };
        let q = r.q(by_creator, &[("limit", lim(opts.top))])?;
        report.by_creator = Some(
            q.rows
                .iter()
                .map(|row| CreatorGroup {
                    creator_funcs: list(&row[0]),
                    events: int(&row[1]),
                    goroutines: int(&row[2]),
                    total_ns: int(&row[3]),
                    max_ns: int(&row[4]),
                    p99_ns: float(&row[5]),
                    label: String::new(),
                })
                .collect::<Vec<_>>(),
        );
        if let Some(groups) = &mut report.by_creator {
            let stacks: Vec<Option<&[String]>> = groups.iter().map(|g| g.creator_funcs.as_deref()).collect();
            let labels = stack::distinct_paths(&stacks, LABEL_WIDTH, "(created before the trace began)");
            for (g, label) in groups.iter_mut().zip(labels) {
                g.label = label;
            }
        }
    }
    if opts.gc {
        let t = r.q(sql::GC_ACTIVITY, &[])?;
        let ranges = r.q(sql::GC_RANGES, &[])?;
        let stw = r.q(sql::STW_PAUSES, &[])?;
        report.gc = Some(GcReport {
            transitions: t
                .rows
                .iter()
                .take(2 * opts.top)
                .map(|row| GcTransitions {
                    from_state: text(&row[0]).unwrap_or_default(),
                    to_state: text(&row[1]).unwrap_or_default(),
                    reason: text(&row[2]),
                    transitions: int(&row[3]),
                    total_ns: int(&row[4]),
                    max_ns: int(&row[5]),
                })
                .collect(),
            ranges: ranges
                .rows
                .iter()
                .map(|row| GcRange {
                    name: text(&row[0]).unwrap_or_default(),
                    count: int(&row[1]),
                    total_ns: int(&row[3]),
                    max_ns: opt_int(&row[4]),
                })
                .collect(),
            stw_pauses: stw
                .rows
                .iter()
                .take(opts.top)
                .map(|row| StwPause {
                    reason: text(&row[0]).unwrap_or_default(),
                    start_ns: int(&row[1]),
                    duration_ns: int(&row[3]),
                })
                .collect(),
        });
    }
    if opts.bursts {
        let b = r.q(sql::BURSTS, &[("limit", lim(2 * opts.top))])?;
        report.bursts = Some(
            b.rows
                .iter()
                .map(|row| Burst {
                    start_ms: int(&row[0]) as f64,
                    goroutines: int(&row[1]),
                    distinct_creators: int(&row[2]),
                })
                .collect(),
        );
        let launchers = if delays_shape(db)? == Some([true, true]) {
            sql::WHO_LAUNCHED_DELAYED_FROM_DELAYS
        } else {
            sql::WHO_LAUNCHED_DELAYED
        };
        let l = r.q(launchers, &[("limit", lim(opts.top))])?;
        report.launchers = Some(
            l.rows
                .iter()
                .map(|row| Launcher {
                    funcs: list(&row[1]),
                    goroutines: int(&row[2]),
                    total_ns: int(&row[3]),
                    max_ns: int(&row[4]),
                })
                .collect(),
        );
    }
    if opts.worst > 0 {
        report.worst = Some(delays(&r, opts.worst)?);
    }
    if opts.top_waiters {
        let q = r.q(sql::TOP_WAITERS, &[("limit", lim(opts.top))])?;
        report.top_waiters = Some(
            q.rows
                .iter()
                .map(|row| Waiter {
                    g: int(&row[0]),
                    schedulings: int(&row[1]),
                    total_ns: int(&row[2]),
                    max_ns: int(&row[3]),
                    label: stack::goroutine_label(list(&row[4]).as_deref(), text(&row[5]).as_deref(), WAITER_WIDTH),
                    funcs: list(&row[4]),
                    name: text(&row[5]),
                })
                .collect(),
        );
    }
    if opts.why > 0 {
        let delays = delays(&r, opts.why)?;
        r.make_why_tables(&delays)?;
        report.why = Some(r.each(&delays, |r, d| explain(r, d.clone(), procs))?);
    }
    Ok(report)
}

/// What `delays_shape` (sql/views.sql) says: `None` where the `delays`
/// rows come from the view's join, and `delayed_goroutines` counts from
/// them (the `*_from_delays.sql` variants read the pass's counts and are
/// chosen only when it ran); `[one_row_per_wait,
/// one_creator_stack_per_goroutine]` otherwise (both let `delays` stand in
/// for who_launched_delayed.sql's self-join of g_transitions).
fn delays_shape(db: &dyn Sql) -> Result<Option<[bool; 2]>> {
    let q = db.query("select one_row_per_wait, one_creator_stack_per_goroutine from delays_shape")?;
    Ok(match q.rows.first().map(Vec::as_slice) {
        Some([Cell::Bool(a), Cell::Bool(b)]) => Some([*a, *b]),
        _ => None,
    })
}

/// How many entries past the first `shown` of a sorted list have the same
/// key as the last one shown: a cut-off inside a tie, where which entries are
/// shown is the tie-breaker's choice (dt/schedstat's is DuckDB's hash order).
fn tied_beyond<T, K: PartialEq>(sorted: &[T], shown: usize, key: impl Fn(&T) -> K) -> usize {
    match (shown.checked_sub(1).and_then(|i| sorted.get(i)), sorted.get(shown..)) {
        (Some(last), Some(rest)) => {
            let k = key(last);
            rest.iter().take_while(|x| key(x) == k).count()
        }
        _ => 0,
    }
}

/// A spike whose details are to be found: a latency spike with its window's
/// worst delay (`worst_delay_in_window.sql`), or a runnable spike with the
/// centre of its busiest bucket and the buckets tied with it.
enum SpikeJob<'a> {
    Latency(&'a LatencySpike, &'a QueryResult),
    Runnable(&'a RunnableSpike, Option<i64>, Vec<i64>),
}

/// The details of one spike (the queries read `burst_rows`, made first).
fn spike_detail(r: &Runner<'_>, job: &SpikeJob<'_>, t0: i64) -> Result<SpikeDetail> {
    match *job {
        SpikeJob::Latency(s, wd) => {
            let mut detail = SpikeDetail {
                index: s.index,
                kind: "latency",
                start_ms: s.start_ms,
                value: s.p99_ns,
                worst: None,
                burst_goroutines: 0,
                breakdown: None,
                busiest_ms: None,
                busiest_tied_ms: Vec::new(),
            };
            if let Some(row) = wd.rows.first() {
                let (g, dur, wait_start, end_t, p) =
                    (int(&row[0]), int(&row[1]), int(&row[2]), int(&row[3]), opt_int(&row[4]));
                detail.burst_goroutines = int(&r.q(sql::BURST_SIZE, &[("center_ns", wait_start)])?.rows[0][0]);
                let mut worst = WorstInWindow {
                    g,
                    duration_ns: dur,
                    wait_start_ns: wait_start,
                    p,
                    longest_run: None,
                    queue_goroutines: 0,
                    queue_runs: 0,
                };
                if let Some(p) = p {
                    let ends_by = end_t.saturating_add(r.longest_run_ns()?);
                    let a = r.q(
                        sql::PROC_ACTIVITY_DURING,
                        &[("p", p), ("start_ns", wait_start), ("end_ns", end_t), ("ends_by_ns", ends_by)],
                    )?;
                    let row = &a.rows[0];
                    worst.queue_goroutines = int(&row[0]);
                    worst.queue_runs = int(&row[1]);
                    if let (Some(lg), Some(ln)) = (opt_int(&row[2]), opt_int(&row[3])) {
                        worst.longest_run = Some((lg, ln, list(&row[4]).unwrap_or_default()));
                    }
                }
                if detail.burst_goroutines > 10 {
                    detail.breakdown = Some(breakdown(r, wait_start)?);
                }
                detail.worst = Some(worst);
            }
            Ok(detail)
        }
        SpikeJob::Runnable(s, centre, ref tied) => Ok(SpikeDetail {
            index: s.index,
            kind: "runnable",
            start_ms: s.start_ms,
            value: s.peak as f64,
            worst: None,
            burst_goroutines: 0,
            breakdown: centre.map(|c| breakdown(r, c)).transpose()?,
            busiest_ms: centre.map(|c| (c - t0) / 1_000_000),
            busiest_tied_ms: tied.clone(),
        }),
    }
}

fn breakdown(r: &Runner<'_>, center: i64) -> Result<BurstBreakdown> {
    let p = [("center_ns", center)];
    let cats = r.q(sql::BURST_BREAKDOWN, &p)?;
    let mut b = BurstBreakdown {
        categories: cats.rows.iter().map(|row| (text(&row[0]).unwrap_or_default(), int(&row[1]))).collect(),
        ..Default::default()
    };
    // Sub-sections follow the category order, as dt/schedstat prints them.
    for (cat, _) in b.categories.clone() {
        match cat.as_str() {
            "new" => {
                let q = r.q(sql::BURST_CREATORS, &p)?;
                b.created_by = q.rows.iter().map(|row| (int(&row[1]), list(&row[2]))).collect();
            }
            "unblocked" => {
                r.make_burst_blocked()?;
                let q = r.q(sql::BURST_UNBLOCKERS, &p)?;
                b.unblocked_by = q.rows.iter().map(|row| (int(&row[1]), text(&row[0]).unwrap_or_default())).collect();
                let q = r.q(sql::BURST_BLOCKED_AT, &p)?;
                b.blocked_at = q.rows.iter().map(|row| (int(&row[1]), list(&row[0]).unwrap_or_default())).collect();
                let q = r.q(sql::BURST_HEAVY_UNBLOCKERS, &p)?;
                b.heavy_unblockers = q
                    .rows
                    .iter()
                    .map(|row| HeavyUnblocker {
                        g: int(&row[0]),
                        count: int(&row[1]),
                        funcs: list(&row[2]),
                        tied_stacks: int(&row[3]),
                    })
                    .collect();
            }
            _ => {}
        }
    }
    Ok(b)
}

fn delays(r: &Runner<'_>, n: usize) -> Result<Vec<Delay>> {
    let q = r.q(sql::WORST_DELAYS, &[("limit", n as i64)])?;
    let c = |name: &str| col(&q, name);
    Ok(q
        .rows
        .iter()
        .map(|row| Delay {
            g: int(&row[c("g")]),
            duration_ns: int(&row[c("duration_ns")]),
            start_ns: int(&row[c("start_time_ns")]),
            end_ns: int(&row[c("end_time_ns")]),
            p: opt_int(&row[c("p")]),
            cause: text(&row[c("cause")]).unwrap_or_default(),
            made_runnable_by_g: opt_int(&row[c("made_runnable_by_g")]),
            made_runnable_by_funcs: list(&row[c("made_runnable_by_funcs")]),
            creator_funcs: list(&row[c("creator_funcs")]),
            label: {
                let last = list(&row[c("last_funcs")]);
                let start = list(&row[c("start_funcs")]);
                let entry = start.as_ref().and_then(|s| s.last().cloned());
                stack::goroutine_label(last.as_deref().or(start.as_deref()), entry.as_deref(), LABEL_WIDTH)
            },
            last_funcs: list(&row[c("last_funcs")]),
            start_funcs: list(&row[c("start_funcs")]),
        })
        .collect())
}

/// Decides why one delay happened.
///
/// If a single goroutine executed (ran, or sat in a syscall) on the proc the
/// waiter finally got for at least half of the wait, it held the proc
/// ("held"). Otherwise, if at least as many other goroutines were runnable when
/// the wait began as there are procs, the run queue was saturated
/// ("saturated"). Otherwise the cause is unclear from the schedule alone (GC,
/// syscalls returning, timers...).
fn explain(r: &Runner<'_>, d: Delay, procs: i64) -> Result<Why> {
    let q = r.q(sql::DELAY_EXPLAINED, &[("start_ns", d.start_ns), ("end_ns", d.end_ns), ("g", d.g)])?;
    let uses: Vec<ProcUse> = q
        .rows
        .iter()
        .map(|row| ProcUse {
            p: int(&row[0]),
            g: int(&row[1]),
            runs: int(&row[2]),
            overlap_ns: int(&row[3]),
            syscall_ns: int(&row[4]),
            label: stack::goroutine_label(list(&row[5]).as_deref(), text(&row[6]).as_deref(), LABEL_WIDTH),
            funcs: list(&row[5]),
            name: text(&row[6]),
        })
        .collect();
    let mut per_proc: Vec<ProcUse> = Vec::new();
    for u in &uses {
        if !per_proc.iter().any(|x| x.p == u.p) {
            per_proc.push(u.clone());
        }
    }
    per_proc.sort_by_key(|u| u.p);
    let holder = d.p.and_then(|p| uses.iter().find(|u| u.p == p)).cloned();
    let ra = r.q(sql::RUNNABLE_AT, &[("t_ns", d.start_ns), ("g", d.g)])?;
    let runnable_at_start: Vec<(String, i64, Option<Vec<String>>)> =
        ra.rows.iter().map(|row| (text(&row[0]).unwrap_or_default(), int(&row[1]), list(&row[2]))).collect();
    let runnable_total = runnable_at_start.iter().map(|x| x.1).sum();
    let held = holder.as_ref().is_some_and(|h| 2 * h.overlap_ns >= d.duration_ns);
    let verdict = if held {
        "held"
    } else if runnable_total >= procs.max(1) {
        "saturated"
    } else {
        "unclear"
    };
    Ok(Why { delay: d, verdict, holder: if held { holder } else { None }, runnable_at_start, runnable_total, procs: per_proc })
}
