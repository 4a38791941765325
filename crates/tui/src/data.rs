//! What the loading thread sends the UI, and what the UI asks of it.

use std::sync::mpsc::{Receiver, Sender};
use std::time::Duration;

use analysis::gc::GcSummary;
use analysis::goroutines::Summary;
use analysis::leaks::LeakReport;
use analysis::mmu::MmuPlot;
use analysis::profile::Profile;
use schedstat_query::QueryResult;
use schedstat_report::doctor::Diagnosis;
use schedstat_report::Report;

/// What the first screen shows, from the quick pass over the trace
/// (`schedstat_tables::SummaryCollector`, as the web page's summary) that
/// runs beside the loading: the header.
#[derive(Debug, Clone)]
pub struct Basics {
    /// The trace's file name, as shown in the header.
    pub file: String,
    /// Events read.
    pub events: u64,
    /// First event time (absolute ns; a Sync counts, as in `schedstat leaks` and `gc`).
    pub start_ns: i64,
    /// Last event time (absolute ns).
    pub end_ns: i64,
    /// Goroutines (`select count(*) from goroutines`, as many as `schedstat goroutines` lists).
    pub goroutines: usize,
    /// Ps (the report's `procs`).
    pub procs: usize,
    /// When the trace was cut or damaged: the reader's one-line error.
    pub warning: Option<String>,
    /// The latency summary computed while reading (`schedstat_tables::LatencyCollector`,
    /// equal to the report's `latency` to the bit), shown until the report
    /// arrives, as the web page does; `None` without any scheduling wait.
    pub latency: Option<schedstat_report::LatencySummary>,
}

/// The event analyses, computed in the same pass as the database load.
pub struct Analyses {
    /// The timeline's runs per P and goroutine, from the rows the database got.
    pub timeline: crate::timeline::Runs,
    /// `schedstat goroutines`' summary.
    pub goroutines: Summary,
    /// `schedstat leaks`' report (window: the command's default).
    pub leaks: LeakReport,
    /// `schedstat pprof` for each kind, in [`analysis::profile::ProfileKind`] order net, sync, syscall, sched.
    pub profiles: Vec<Profile>,
    /// `schedstat gc`'s pauses, mark phases and assists.
    pub gc: GcSummary,
    /// `schedstat gc`'s MMU curve (Go's default flags and model).
    pub mmu: MmuPlot,
}

/// One message from the loading thread.
pub enum Update {
    /// How far the quick pass has got (before the first screen).
    Progress {
        /// Bytes whose generations are done (coarse: a generation can be most of a file).
        done: u64,
        /// The file's size.
        total: u64,
        /// Events read so far (moves steadily).
        events: u64,
    },
    /// The quick pass is done: the header can be drawn.
    Summary(Box<Basics>),
    /// Events read so far by the loading pass (the analyses and the database).
    Loading(u64),
    /// The trace is read into the analyses and loaded into the database.
    Read(Box<Analyses>),
    /// The report (`schedstat --json` with the TUI's options), or why it failed.
    Report(Result<Box<Report>, String>),
    /// The doctor's findings, or why they failed.
    Doctor(Result<Box<Diagnosis>, String>),
    /// Loading failed; the UI shows this and stays until `q`.
    Failed(String),
    /// A SQL query's answer.
    Answer {
        /// Its rows, or DuckDB's error on one line.
        result: Result<QueryResult, String>,
        /// How long DuckDB took.
        elapsed: Duration,
    },
}

/// A query for the loading thread's database.
#[derive(Debug, Clone)]
pub struct Query {
    /// The statement.
    pub sql: String,
}

/// The two ends the UI talks through.
pub struct Session {
    /// Progress, results and answers, in order.
    pub updates: Receiver<Update>,
    /// Where queries go.
    pub queries: Sender<Query>,
    /// When set, latencies are appended here, one per line: `key µs KEY TAB`
    /// from a key press to its screen drawn (the key, and the tab it left
    /// open), and again as `timeline µs KEY TAB` when the key changed the
    /// timeline's lanes (`scripts/tui-latency.py` reads it; env
    /// `SCHEDSTAT_TUI_LATENCY`).
    pub latency_log: Option<std::path::PathBuf>,
}
