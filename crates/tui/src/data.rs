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

/// Facts known once the trace is read: the header's first line.
#[derive(Debug, Clone)]
pub struct Basics {
    /// The trace's file name, as shown in the header.
    pub file: String,
    /// Events read.
    pub events: u64,
    /// First and last event time (absolute ns).
    pub start_ns: i64,
    /// Last event time (absolute ns).
    pub end_ns: i64,
    /// Goroutines seen (from `analysis::goroutines`).
    pub goroutines: usize,
    /// When the trace was cut or damaged: the reader's one-line error.
    pub warning: Option<String>,
    /// The latency summary computed while reading (`schedstat_tables::LatencyCollector`,
    /// equal to the report's `latency` to the bit), shown until the report
    /// arrives, as the web page does; `None` without any scheduling wait.
    pub latency: Option<schedstat_report::LatencySummary>,
}

/// The event analyses, computed in the same pass as the database load.
pub struct Analyses {
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
    /// How far reading has got.
    Progress {
        /// Bytes whose generations are done (coarse: a generation can be most of a file).
        done: u64,
        /// The file's size.
        total: u64,
        /// Events read so far (moves steadily).
        events: u64,
    },
    /// The trace is read and loaded.
    Read(Box<Basics>, Box<Analyses>),
    /// The report (`schedstat --json` with the TUI's options), or why it failed.
    Report(Result<Box<Report>, String>),
    /// The doctor's findings, or why they failed.
    Doctor(Result<Box<Diagnosis>, String>),
    /// Loading failed; the UI shows this and stays until `q`.
    Failed(String),
    /// A query's answer.
    Answer {
        /// What it was for.
        purpose: Purpose,
        /// Its rows, or DuckDB's error on one line.
        result: Result<QueryResult, String>,
        /// How long DuckDB took.
        elapsed: Duration,
    },
}

/// Why a query was asked, so its answer lands in the right view.
#[derive(Debug, Clone, PartialEq)]
pub enum Purpose {
    /// Typed in the SQL tab.
    Sql,
    /// The timeline's lanes for this view (absolute ns, buckets).
    Timeline {
        /// Start of the view.
        from: i64,
        /// End of the view.
        to: i64,
        /// Columns.
        buckets: i64,
    },
}

/// A query for the loading thread's database.
#[derive(Debug, Clone)]
pub struct Query {
    /// What the answer is for.
    pub purpose: Purpose,
    /// The statement.
    pub sql: String,
}

/// The two ends the UI talks through.
pub struct Session {
    /// Progress, results and answers, in order.
    pub updates: Receiver<Update>,
    /// Where queries go.
    pub queries: Sender<Query>,
    /// When set, latencies are appended here, one per line: `key µs` from a
    /// key press to its screen drawn, `timeline µs` from a zoom or pan to its
    /// lanes drawn (`scripts/tui-latency.py` reads it; env `SCHEDSTAT_TUI_LATENCY`).
    pub latency_log: Option<std::path::PathBuf>,
}
