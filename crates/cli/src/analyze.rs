//! `schedstat TRACE...`: trace → tables → DuckDB → analyses → renderer.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use schedstat_db::Database;
use schedstat_report::Options;
use schedstat_tables::{TableBuilder, TraceTables};

use crate::input::{open_reader, open_trace};
use crate::render::text::{render, StackStyle};
use crate::{read_error, Outcome};

/// What the user asked of the report command.
pub struct ReportArgs {
    pub opts: Options,
    pub json: bool,
    pub full_stacks: bool,
    pub keep_db: bool,
    /// `Some("")`: interactive SQL; `Some(q)`: run q and exit.
    pub sql: Option<String>,
    pub verbose: bool,
}

/// Why a trace could not be loaded; each maps to a documented exit code.
pub enum LoadError {
    /// The file could not be opened (exit 2).
    File(String),
    /// The trace could not be read at all; the reader already said why on stderr (exit 1).
    Unreadable,
    /// The database failed (exit 4).
    Db(String),
}

impl From<schedstat_db::DbError> for LoadError {
    fn from(e: schedstat_db::DbError) -> Self {
        LoadError::Db(e.to_string())
    }
}

/// Rows handed to the database at a time: bounds memory while reading.
pub(crate) const CHUNK_ROWS: usize = 1 << 17;


/// A progress bar for big files when stderr is a terminal.
fn progress_bar(path: &Path, total: u64) -> Option<ProgressBar> {
    if total <= 4 << 20 || !std::io::stderr().is_terminal() {
        return None;
    }
    let b = ProgressBar::new(total);
    b.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    b.set_message(format!("reading {}", path.file_name().and_then(|n| n.to_str()).unwrap_or("trace")));
    Some(b)
}

/// Reads a trace into a database whose schema exists, streaming rows in
/// chunks. Returns the remaining tables (with the trace-wide facts: first and
/// last time, event count) and whether the trace was complete.
///
/// Reading and appending overlap: a second thread reads events and builds
/// each chunk of rows while this one appends the previous chunk (packing the
/// transitions, appending the rest to DuckDB: about a third of the reading's
/// time) and hands it back to be refilled. At most three chunks are alive at
/// once, and the database keeps what it holds packed or compressed as it goes
/// ([`schedstat_db::CHECKPOINT_ROWS`]), so peak memory follows the packed
/// tables, not the trace's rows.
pub fn load_trace(path: &Path, db: &Database, verbose: bool) -> Result<(TraceTables, Outcome), LoadError> {
    load_trace_telling(path, db, verbose, None)
}

/// [`load_trace`], with what went wrong with the trace (unreadable, or
/// truncated) kept in `problem` instead of printed, and no progress bar,
/// when `problem` is given: for the fleet, which records it per trace.
pub fn load_trace_telling(
    path: &Path,
    db: &Database,
    verbose: bool,
    problem: Option<&std::sync::Mutex<Option<String>>>,
) -> Result<(TraceTables, Outcome), LoadError> {
    load_trace_visiting(path, db, verbose, problem, &mut |_| {})
}

/// [`load_trace_telling`], also handing every event to `visit` as it is
/// read (on the reading thread, while the other one appends to DuckDB): for
/// the commands that run event analyses beside the database (`doctor`).
pub fn load_trace_visiting(
    path: &Path,
    db: &Database,
    verbose: bool,
    problem: Option<&std::sync::Mutex<Option<String>>>,
    visit: &mut (dyn FnMut(&gotrace::Event<'_>) + Send),
) -> Result<(TraceTables, Outcome), LoadError> {
    let bytes = open_trace(path).map_err(|e| LoadError::File(e.to_string()))?;
    let total = bytes.as_slice().len() as u64;
    if verbose {
        eprintln!("schedstat: reading {} ({} bytes)", path.display(), total);
    }
    let started = std::time::Instant::now();
    let mut append_time = std::time::Duration::ZERO;
    let (chunks, received) = std::sync::mpsc::sync_channel::<TraceTables>(0);
    // Appended chunks go back to the reader, which fills them again.
    let (give_back, given_back) = std::sync::mpsc::sync_channel::<TraceTables>(1);
    let (rest, outcome) = std::thread::scope(|s| {
        let reading = s.spawn(|| read_chunks(path, &bytes, (chunks, given_back), problem, visit));
        let mut failed = None;
        for chunk in received.iter() {
            let t = std::time::Instant::now();
            if let Err(e) = db.append(&chunk) {
                failed = Some(e);
                break;
            }
            append_time += t.elapsed();
            let _ = give_back.try_send(chunk);
        }
        // Dropping the receiver makes the reader stop at its next chunk.
        drop(received);
        let read = reading.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        match failed {
            Some(e) => Err(LoadError::from(e)),
            None => read,
        }
    })?;
    let t = std::time::Instant::now();
    db.append(&rest)?;
    db.finish(&rest)?;
    append_time += t.elapsed();
    if std::env::var_os("SCHEDSTAT_TIMINGS").is_some() {
        eprintln!("load: {:?} total, {:?} appending", started.elapsed(), append_time);
    }
    if verbose {
        eprintln!("schedstat: {} events loaded", rest.events);
    }
    Ok((rest, outcome))
}

/// The reading half of [`load_trace`]: sends full chunks of rows, returns the
/// rest. Stops early (returning what it has) when the receiver hangs up.
fn read_chunks(
    path: &Path,
    bytes: &crate::input::TraceBytes,
    (chunks, given_back): (std::sync::mpsc::SyncSender<TraceTables>, std::sync::mpsc::Receiver<TraceTables>),
    problem: Option<&std::sync::Mutex<Option<String>>>,
    visit: &mut (dyn FnMut(&gotrace::Event<'_>) + Send),
) -> Result<(TraceTables, Outcome), LoadError> {
    let tell = |message: String| match problem {
        Some(p) => *p.lock().unwrap_or_else(|e| e.into_inner()) = Some(message),
        None => eprintln!("schedstat: error: {}: {message}", path.display()),
    };
    let bar = if problem.is_none() { progress_bar(path, bytes.as_slice().len() as u64) } else { None };
    let mut reader = match open_reader(bytes, bar.clone()) {
        Ok(r) => r,
        Err(e) => {
            tell(e.explained());
            return Err(LoadError::Unreadable);
        }
    };
    let mut builder = TableBuilder::new();
    let err = loop {
        match reader.read_event() {
            Ok(Some(ev)) => {
                visit(&ev);
                builder.add(&ev);
                if builder.pending_rows() >= CHUNK_ROWS {
                    if chunks.send(builder.take_rows()).is_err() {
                        break None;
                    }
                    // The chunk before it, appended by the time this one was taken.
                    if let Ok(spent) = given_back.try_recv() {
                        builder.reuse(spent);
                    }
                }
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let outcome = match &err {
        None => Outcome::Ok,
        Some(e) => {
            let (outcome, message) = read_error(&reader, e);
            tell(message);
            outcome
        }
    };
    if matches!(outcome, Outcome::Unreadable) {
        return Err(LoadError::Unreadable);
    }
    Ok((builder.finish(), outcome))
}

/// The database file `--keep-db` writes: next to the trace, `TRACE.duckdb`.
pub fn db_path_for(trace: &Path) -> PathBuf {
    let mut s = trace.as_os_str().to_owned();
    s.push(".duckdb");
    PathBuf::from(s)
}

/// Whether an existing file is a schedstat database (so it may be replaced).
fn is_our_db(path: &Path) -> bool {
    match Database::open_read_only(path) {
        Ok(db) => db
            .query("select value from trace_info where key = 'created_by'")
            .ok()
            .and_then(|r| r.rows.first().and_then(|row| row.first().cloned()))
            .is_some_and(|c| c.as_str() == Some("schedstat")),
        Err(_) => false,
    }
}

/// Builds the database: in memory, or (with --keep-db) in TRACE.duckdb,
/// written under a temporary name and renamed when complete. `reads_delays`:
/// whether what follows reads the `delays` view (derived while loading then).
fn build_db(
    trace: &Path,
    keep: bool,
    verbose: bool,
    reads_delays: bool,
) -> Result<(Database, Option<PathBuf>, TraceTables, Outcome), LoadError> {
    if !keep {
        let db = Database::create(None)?;
        db.create_schema()?;
        db.derive_delays_while_loading(reads_delays);
        let (t, o) = load_trace(trace, &db, verbose)?;
        return Ok((db, None, t, o));
    }
    let final_path = db_path_for(trace);
    if final_path.exists() && !is_our_db(&final_path) {
        return Err(LoadError::Db(format!(
            "{} exists and is not a schedstat database; move it away or run without --keep-db",
            final_path.display()
        )));
    }
    let tmp = PathBuf::from(format!("{}.tmp-{}", final_path.display(), std::process::id()));
    let cleanup = |p: &Path| {
        let _ = std::fs::remove_file(p);
        let _ = std::fs::remove_file(format!("{}.wal", p.display()));
    };
    cleanup(&tmp);
    let result = (|| {
        let db = Database::create(Some(&tmp))?;
        db.create_schema()?;
        let (t, o) = load_trace(trace, &db, verbose)?;
        db.execute_batch("checkpoint;")?;
        drop(db);
        std::fs::rename(&tmp, &final_path).map_err(|e| LoadError::Db(format!("{}: {e}", final_path.display())))?;
        let db = Database::open(&final_path)?;
        Ok((db, t, o))
    })();
    match result {
        Ok((db, t, o)) => Ok((db, Some(final_path), t, o)),
        Err(e) => {
            cleanup(&tmp);
            Err(e)
        }
    }
}

/// A database kept by an earlier `--keep-db` run, if it is ours and newer than the trace.
fn reusable_db(trace: &Path) -> Option<(Database, PathBuf)> {
    let path = db_path_for(trace);
    let newer = match (std::fs::metadata(&path).and_then(|m| m.modified()), std::fs::metadata(trace).and_then(|m| m.modified())) {
        (Ok(db), Ok(tr)) => db >= tr,
        _ => false,
    };
    if !newer || !is_our_db(&path) {
        return None;
    }
    Database::open_read_only(&path).ok().map(|db| (db, path))
}

/// Runs the report on every trace, in order.
pub fn run(traces: &[PathBuf], args: &ReportArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut outcome = Outcome::Ok;
    let mut json_docs = Vec::new();
    let mut first = true;
    for trace in traces {
        // SQL on a trace whose database was kept earlier needs no re-reading.
        if let (Some(sql), false) = (&args.sql, args.keep_db) {
            if let Some((db, path)) = reusable_db(trace) {
                if args.verbose {
                    eprintln!("schedstat: using {}", path.display());
                }
                let o = crate::sqlshell::run(&db, sql, Some(&path), args.json)?;
                outcome = worse(outcome, o);
                continue;
            }
        }
        // A query of the user's may read `delays`; the report only with some sections.
        let reads_delays = args.sql.is_some() || args.opts.reads_delays();
        let (db, db_path, tables, o) = match build_db(trace, args.keep_db, args.verbose, reads_delays) {
            Ok(x) => x,
            Err(e) => {
                let o = match e {
                    LoadError::Unreadable => Outcome::Unreadable,
                    LoadError::File(m) => {
                        eprintln!("schedstat: error: {m}");
                        Outcome::FileError
                    }
                    LoadError::Db(m) => {
                        eprintln!("schedstat: error: {m}");
                        Outcome::Failed
                    }
                };
                outcome = worse(outcome, o);
                continue;
            }
        };
        outcome = worse(outcome, o);
        if let Some(sql) = &args.sql {
            let o = crate::sqlshell::run(&db, sql, db_path.as_deref(), args.json)?;
            outcome = worse(outcome, o);
            continue;
        }
        let report = match schedstat_report::build(&db, &args.opts) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("schedstat: error: {}: {e}", trace.display());
                outcome = worse(outcome, Outcome::Failed);
                continue;
            }
        };
        let name = trace.file_name().and_then(|n| n.to_str()).unwrap_or("trace").to_string();
        if args.json {
            let mut v = serde_json::to_value(&report)?;
            if let Some(obj) = v.as_object_mut() {
                obj.insert("file".into(), trace.display().to_string().into());
                obj.insert("events".into(), tables.events.into());
            }
            json_docs.push(v);
        } else {
            if !first {
                println!();
            }
            print!("{}", render(&report, &name, StackStyle { full: args.full_stacks }));
            if let Some(p) = &db_path {
                println!();
                println!("Database kept at {} (query it with: schedstat --sql 'SELECT ...' {})", p.display(), trace.display());
            }
        }
        first = false;
    }
    // With --sql, --json means the query's rows, printed by the SQL shell.
    if args.json && args.sql.is_none() {
        let doc = if json_docs.len() == 1 { json_docs.pop().unwrap_or_default() } else { serde_json::Value::Array(json_docs) };
        println!("{}", serde_json::to_string_pretty(&doc)?);
    }
    Ok(outcome)
}

fn worse(a: Outcome, b: Outcome) -> Outcome {
    if b.code() > a.code() {
        b
    } else {
        a
    }
}
