//! `schedstat tui TRACE`: the interactive terminal UI (`crates/tui`). This
//! module only loads, on background threads: a quick pass over the trace
//! gives the header (the web page's summary), and beside it one loading pass
//! feeds the same analyses the `goroutines`, `leaks`, `pprof`, `gc` and
//! `doctor` commands use, the timeline's runs and the same database the report
//! uses; then the report and the doctor's diagnosis are built while a second
//! connection answers the SQL tab.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, Sender};

use analysis::gc::GcAnalysis;
use analysis::goroutines::Summarizer;
use analysis::leaks::LeakTracker;
use analysis::mmu::{mmu_plot, MmuCurve, MutatorUtilBuilder, UtilFlags, WorkerModel};
use analysis::profile::{ProfileBuilder, ProfileKind};
use schedstat_db::Database;
use schedstat_report::doctor::{self, Thresholds};
use schedstat_tables::{SummaryCollector, TableBuilder, TraceTables};
use schedstat_tui::timeline::RunsBuilder;
use schedstat_tui::{Analyses, Basics, Query, Session, Update};

use crate::input::{open_trace, streaming_reader, TraceBytes};
use crate::Outcome;

/// Clap help for the subcommand.
pub const AFTER_HELP: &str = "\
Examples:
  schedstat tui trace.out                 browse the analysis in the terminal (also: schedstat --tui trace.out)
  schedstat tui -w 10ms -n 50 trace.out   finer windows, longer listings

Tabs: spikes, delays (with --why verdicts), top waiters, goroutines, blocking
profiles, GC and MMU, leaks, doctor findings, p99/runnable per window (its
cursor filters spikes and delays), a P/goroutine timeline, SQL. Keys: Tab or
1-9, 0, : for the tabs; arrows or hjkl; Enter opens; Esc goes back; ? help;
q quits. NO_COLOR=1 turns colour off.

Exit codes: 0 ok; 1 the trace could not be read; 2 usage or file error (also:
stdout is not a terminal); 3 the trace is truncated (the views cover its
complete generations); 4 an analysis failed.";

/// What `schedstat tui` was asked for.
pub struct TuiArgs {
    /// The trace.
    pub trace: PathBuf,
    /// The report's options (window, spike threshold, listing length, and the sections the tabs show).
    pub opts: schedstat_report::Options,
}

/// The report options the TUI's tabs need: the time series, `--why`, `--top-waiters`.
pub fn report_options(window_ns: i64, spike_threshold_ns: i64, top: usize) -> schedstat_report::Options {
    schedstat_report::Options {
        window_ns,
        spike_threshold_ns,
        top,
        timeseries: true,
        top_waiters: true,
        why: top,
        ..Default::default()
    }
}

/// Runs the UI on one trace.
pub fn run(a: &TuiArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    if !std::io::stdout().is_terminal() {
        eprintln!(
            "schedstat: error: tui needs a terminal, and stdout is not one (for text use `schedstat {}`)",
            a.trace.display()
        );
        return Ok(Outcome::FileError);
    }
    let bytes = match open_trace(&a.trace) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("schedstat: error: {e}");
            return Ok(Outcome::FileError);
        }
    };
    // Not a trace at all: say so on one line before the screen opens.
    if streaming_reader(&a.trace, &bytes, None).is_none() {
        return Ok(Outcome::Unreadable);
    }
    let (updates_tx, updates) = channel();
    let (queries, queries_rx) = channel();
    let (path, opts) = (a.trace.clone(), a.opts.clone());
    let hold = std::env::var_os("SCHEDSTAT_TUI_HOLD").map(PathBuf::from);
    std::thread::spawn(move || {
        let tx = updates_tx.clone();
        let loaded =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| load(&path, &bytes, &opts, &tx, queries_rx, hold)));
        if loaded.is_err() {
            let _ = updates_tx.send(Update::Failed("the analysis stopped on an internal error".into()));
        }
    });
    let latency_log = std::env::var_os("SCHEDSTAT_TUI_LATENCY").map(PathBuf::from);
    let ended = schedstat_tui::run(Session { updates, queries, latency_log })
        .map_err(|e| format!("{}: the terminal failed: {e}", a.trace.display()))?;
    if let Some(f) = &ended.failed {
        eprintln!("schedstat: error: {}: {f}", a.trace.display());
        return Ok(Outcome::Failed);
    }
    if let Some(w) = &ended.warning {
        eprintln!("schedstat: error: {w}");
        return Ok(Outcome::Partial);
    }
    Ok(Outcome::Ok)
}

/// The reading half of [`load_all`]: every event into the analyses and the
/// table builder; full chunks of rows go to `chunks` (after the timeline
/// takes their runs). Returns the analyses and the rows left for the end.
fn read_analyses(
    path: &Path,
    bytes: &TraceBytes,
    tx: &Sender<Update>,
    chunks: std::sync::mpsc::SyncSender<TraceTables>,
) -> Result<(Analyses, TraceTables), String> {
    let mut reader = streaming_reader(path, bytes, None).ok_or_else(|| format!("{}: not readable", path.display()))?;
    let mut summ = Summarizer::new();
    let mut leaks = LeakTracker::new();
    let mut profiles: Vec<ProfileBuilder> = ProfileKind::ALL.iter().map(|k| ProfileBuilder::new(*k)).collect();
    let mut gc = GcAnalysis::new();
    // `schedstat gc`'s defaults: the flags go tool trace's /mmu page opens with, Go's worker model.
    let mut mu = MutatorUtilBuilder::with_model(UtilFlags::PAGE_DEFAULT, WorkerModel::Go);
    let mut builder = TableBuilder::new();
    let mut runs = RunsBuilder::new();
    let mut n = 0u64;
    let err = loop {
        match reader.read_event() {
            Ok(Some(ev)) => {
                summ.event(&ev);
                leaks.event(&ev);
                for p in &mut profiles {
                    p.event(&ev);
                }
                gc.event(&ev);
                mu.event(&ev);
                builder.add(&ev);
                if builder.pending_rows() >= crate::analyze::CHUNK_ROWS {
                    let rows = builder.take_rows();
                    runs.add(&rows.g_transitions);
                    if chunks.send(rows).is_err() {
                        // The database failed; its error is the one to tell.
                        break None;
                    }
                }
                n += 1;
                if n.is_multiple_of(PROGRESS_EVERY) {
                    let _ = tx.send(Update::Loading(n));
                }
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    // A cut trace's message is the quick pass's to give (the same words).
    if let Some(e) = &err {
        if let (Outcome::Unreadable, m) = crate::read_error(&reader, e) {
            return Err(format!("{}: {m}", path.display()));
        }
    }
    let rest = builder.finish();
    runs.add(&rest.g_transitions);
    let analyses = Analyses {
        timeline: runs.finish(),
        goroutines: summ.finish(),
        leaks: leaks.finish(None),
        profiles: profiles.into_iter().map(ProfileBuilder::finish).collect(),
        gc: gc.finish(),
        mmu: mmu_plot(&MmuCurve::new(mu.finish()), crate::tasks::go_uses_fma()),
    };
    Ok((analyses, rest))
}

/// Events between progress messages.
const PROGRESS_EVERY: u64 = 1 << 16;

/// The loading thread: the quick pass for the header and, beside it, the
/// loading pass; then the report and the doctor, while a second connection
/// answers the SQL tab. With `hold` (env `SCHEDSTAT_TUI_HOLD`), the loading
/// pass waits until that file exists, so tests see the first screen alone.
fn load(
    path: &Path,
    bytes: &TraceBytes,
    opts: &schedstat_report::Options,
    tx: &Sender<Update>,
    queries: Receiver<Query>,
    hold: Option<PathBuf>,
) {
    std::thread::scope(|s| {
        s.spawn(|| summarize(path, bytes, tx));
        if let Some(h) = hold {
            while !h.exists() {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
        // The loading pass, the report and the doctor (and the threads they
        // start, DuckDB's included) yield to the UI's thread and the quick pass.
        yield_to_the_screen();
        load_all(path, bytes, opts, tx, queries);
    });
}

/// Lowers the calling thread's priority (nice 10; on Linux per thread, and
/// inherited by the threads it starts), so that on a busy machine key presses
/// are answered while the trace loads. Elsewhere it does nothing.
fn yield_to_the_screen() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only changes the scheduling priority of the calling thread (who = 0).
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

/// The quick pass: the reader and `SummaryCollector` alone (as the web
/// page's summary), for the header; it moves the first screen's progress bar.
fn summarize(path: &Path, bytes: &TraceBytes, tx: &Sender<Update>) {
    let total = bytes.as_slice().len() as u64;
    let bar = indicatif::ProgressBar::hidden();
    let Some(mut reader) = streaming_reader(path, bytes, Some(bar.clone())) else {
        let _ = tx.send(Update::Failed(format!("{}: not readable", path.display())));
        return;
    };
    let mut summary = SummaryCollector::new();
    let err = loop {
        match reader.read_event() {
            Ok(Some(ev)) => {
                summary.add(&ev);
                if summary.events().is_multiple_of(PROGRESS_EVERY) {
                    let _ = tx.send(Update::Progress { done: bar.position(), total, events: summary.events() });
                }
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    let warning = match &err {
        None => None,
        Some(e) => match crate::read_error(&reader, e) {
            (Outcome::Unreadable, m) => {
                let _ = tx.send(Update::Failed(format!("{}: {m}", path.display())));
                return;
            }
            (_, m) => Some(format!("{}: {m}", path.display())),
        },
    };
    let q = summary.finish(warning);
    let basics = Basics {
        file: path.file_name().and_then(|n| n.to_str()).unwrap_or("trace").to_string(),
        events: q.events,
        start_ns: q.start_ns,
        end_ns: q.last_time_ns,
        goroutines: q.goroutines,
        procs: q.procs,
        warning: q.warning,
        latency: q.latency,
    };
    let _ = tx.send(Update::Summary(Box::new(basics)));
}

/// The loading pass: reads, analyses and loads the database, then reports
/// and answers queries until the UI quits. As in the report's loading
/// (`analyze::load_trace`), a second thread reads and builds each chunk of
/// rows while this one appends the previous chunk to DuckDB.
fn load_all(path: &Path, bytes: &TraceBytes, opts: &schedstat_report::Options, tx: &Sender<Update>, queries: Receiver<Query>) {
    let fail = |m: String| {
        let _ = tx.send(Update::Failed(m));
    };
    let db = match Database::create(None).and_then(|db| db.create_schema().map(|_| db)) {
        Ok(db) => db,
        Err(e) => return fail(e.to_string()),
    };
    let (chunks, received) = std::sync::mpsc::sync_channel::<TraceTables>(0);
    let read = std::thread::scope(|s| {
        let reading = s.spawn(|| read_analyses(path, bytes, tx, chunks));
        let mut failed = None;
        for chunk in received.iter() {
            if let Err(e) = db.append(&chunk) {
                failed = Some(e.to_string());
                break;
            }
        }
        // Dropping the receiver makes the reader stop at its next chunk.
        drop(received);
        let read = reading.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        match failed {
            Some(e) => Err(e),
            None => read,
        }
    });
    let (analyses, rest) = match read {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if let Err(e) = db.append(&rest).and_then(|_| db.finish(&rest)) {
        return fail(e.to_string());
    }
    let a = &analyses;
    let evidence = analysis::doctor::evidence_of(&a.leaks, &a.profiles[1], &a.profiles[2], &a.gc, &a.goroutines);
    if tx.send(Update::Read(Box::new(analyses))).is_err() {
        return;
    }
    // The UI's queries are answered on a second connection from now on, so
    // the SQL tab need not wait for the report and the doctor.
    let second = match db.second_connection() {
        Ok(c) => c,
        Err(e) => return fail(e.to_string()),
    };
    std::thread::scope(|s| {
        let answers = tx.clone();
        s.spawn(move || schedstat_tui::serve(&second, queries, answers));
        let report =
            schedstat_report::build(&db, opts).map(Box::new).map_err(|e| schedstat_tui::one_line(&e.to_string()));
        let _ = tx.send(Update::Report(report));
        let diagnosis = doctor::diagnose(&db, &evidence, &Thresholds::default())
            .map(Box::new)
            .map_err(|e| schedstat_tui::one_line(&e.to_string()));
        let _ = tx.send(Update::Doctor(diagnosis));
    });
}
