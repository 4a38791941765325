//! `schedstat fleet`: many traces into one Parquet dataset, and questions
//! across them.
//!
//! Each trace goes through the single-trace pipeline (reader → tables →
//! DuckDB, as the report loads it), then every table is written as Parquet
//! under `DATASET/<table>/trace=<sha256>/part.parquet`, with one row about the
//! trace in `DATASET/traces/trace=<sha256>/`. The `traces` row is written
//! last: a trace is in the dataset exactly when its `traces` partition exists,
//! so an interrupted run leaves nothing a query reads, and a rerun redoes it.
//! Workers (one per core by default) take traces from a shared queue; each
//! holds one trace's compressed tables at a time, so memory does not grow
//! with the number of traces.

use std::collections::VecDeque;
use std::io::{IsTerminal, Read as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use schedstat_db::Database;
use schedstat_report::sql::bind;
use sha2::{Digest, Sha256};

use crate::input::find_traces;
use crate::analyze::{load_trace_telling, LoadError};
use crate::Outcome;

/// Examples and exit codes for `schedstat fleet --help`.
pub const AFTER_HELP: &str = "\
Examples:
  schedstat fleet traces/ -o dataset           # every trace under traces/, in parallel
  schedstat fleet 'host-*/trace-*.out' -o dataset -j 2
  schedstat fleet --rank p99 dataset           # the traces most worth opening first
  schedstat fleet --by-version dataset         # latency per Go version and host
  schedstat fleet --sql \"select go_version, count(*), median(p99_ns) from traces group by 1\" dataset

The dataset holds sqlprof's tables and ours as Parquet, partitioned by trace
(`trace` = the file's SHA-256), and a `traces` table: file, sha256, size,
Go version, first event, duration, procs, events, latency count/p50/p99/max,
the worst window, the runnable peak, GC and blocked time, and `error` for a
trace that could not be read or was cut (its complete generations are kept).
Rerunning skips traces already in the dataset. --rank takes p99, runnable, gc
or blocked and prints each trace with the time range (ms from its start) to
look at in `schedstat web`.

Exit codes: 0 every trace is in the dataset (unreadable and cut ones with
their error); 2 usage or file error (no traces found, dataset not writable);
4 a query or the database failed.";

/// `schedstat fleet`'s arguments.
#[derive(clap::Args)]
pub struct FleetArgs {
    /// Traces and directories to convert (searched recursively for files that
    /// start like a trace); with --sql or --rank, the dataset.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// The dataset directory to write (created if missing; traces already in it are skipped).
    #[arg(short = 'o', long = "output", value_name = "DATASET", conflicts_with_all = ["sql", "rank", "by_version"])]
    pub output: Option<PathBuf>,
    /// Traces converted at once (default: one per core).
    #[arg(short = 'j', long = "jobs")]
    pub jobs: Option<usize>,
    /// Run a query over the dataset (tables as views over its Parquet files).
    #[arg(long, value_name = "QUERY", conflicts_with = "rank")]
    pub sql: Option<String>,
    /// List the traces most worth opening: p99, runnable, gc or blocked.
    #[arg(long, value_name = "KIND", value_parser = ["p99", "runnable", "gc", "blocked"])]
    pub rank: Option<String>,
    /// Scheduling latency per Go version and host across the dataset (sql/fleet/latency_by_version.sql).
    #[arg(long, conflicts_with_all = ["sql", "rank"])]
    pub by_version: bool,
    /// How many traces --rank lists.
    #[arg(short = 'n', long = "top", default_value_t = 10)]
    pub top: usize,
    /// Print JSON: the summary of a conversion, --sql's rows, or --rank's list.
    #[arg(long)]
    pub json: bool,
}

/// The fleet's SQL, shared with the Spark job (fleet/spark).
mod sql {
    pub const TRACE_FACTS: &str = include_str!("../../../sql/fleet/trace_facts.sql");
    pub const RANK_P99: &str = include_str!("../../../sql/fleet/rank_p99.sql");
    pub const RANK_RUNNABLE: &str = include_str!("../../../sql/fleet/rank_runnable.sql");
    pub const RANK_GC: &str = include_str!("../../../sql/fleet/rank_gc.sql");
    pub const RANK_BLOCKED: &str = include_str!("../../../sql/fleet/rank_blocked.sql");
    pub const LATENCY_BY_VERSION: &str = include_str!("../../../sql/fleet/latency_by_version.sql");
}

/// Tables of a trace's database that are not per-trace data, or that the
/// dataset's views do not read (`derived_delayed_goroutines`, the load's
/// counts behind one trace's `delayed_goroutines`).
const NOT_EXPORTED: [&str; 3] = ["std_packages", "trace_info", "derived_delayed_goroutines"];

/// Runs the command.
pub fn run(a: &FleetArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    if let Some(out) = &a.output {
        return convert(&a.paths, out, a.jobs, a.json);
    }
    let [dataset] = a.paths.as_slice() else {
        eprintln!("schedstat: error: --sql, --rank and --by-version take one dataset directory");
        return Ok(Outcome::FileError);
    };
    let Some(db) = open_dataset(dataset)? else {
        return Ok(Outcome::FileError);
    };
    if let Some(q) = &a.sql {
        return crate::sqlshell::run(&db, q, None, a.json);
    }
    if let Some(kind) = &a.rank {
        return rank(&db, kind, a.top, a.json);
    }
    if a.by_version {
        return crate::sqlshell::run(&db, sql::LATENCY_BY_VERSION, None, a.json);
    }
    eprintln!("schedstat: error: say what to do: -o DATASET (convert traces), --sql QUERY, --rank KIND or --by-version");
    Ok(Outcome::FileError)
}

/// The hex SHA-256 of a file: the trace's key in the dataset.
fn sha256_of(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The partition directory of one trace in one table.
fn partition(dataset: &Path, table: &str, sha: &str) -> PathBuf {
    dataset.join(table).join(format!("trace={sha}"))
}

/// What happened to one trace.
enum Done {
    Added,
    Cut,
    Unreadable,
    Skipped,
}

/// Converts every trace into the dataset.
fn convert(paths: &[PathBuf], dataset: &Path, jobs: Option<usize>, json: bool) -> Result<Outcome, Box<dyn std::error::Error>> {
    let traces = match find_traces(paths) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("schedstat: error: {e}");
            return Ok(Outcome::FileError);
        }
    };
    if traces.is_empty() {
        eprintln!("schedstat: error: no trace files found (a trace starts with \"go 1.\"; pass files or directories)");
        return Ok(Outcome::FileError);
    }
    if let Err(e) = std::fs::create_dir_all(dataset.join(".staging")) {
        eprintln!("schedstat: error: {}: {e}", dataset.display());
        return Ok(Outcome::FileError);
    }
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).clamp(1, traces.len());
    let bar = if std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(traces.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{pos}/{len} traces [{bar:30}] {per_sec} ETA {eta} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let queue = Mutex::new(traces.iter().collect::<VecDeque<_>>());
    let results: Mutex<Vec<(PathBuf, Result<Done, String>)>> = Mutex::new(Vec::new());
    let started = std::time::Instant::now();
    std::thread::scope(|s| {
        for worker in 0..jobs {
            let (queue, results, bar) = (&queue, &results, &bar);
            s.spawn(move || loop {
                let Some(path) = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front() else { break };
                let done = convert_one(path, dataset, worker);
                if let Some(b) = bar {
                    b.inc(1);
                }
                results.lock().unwrap_or_else(|e| e.into_inner()).push((path.clone(), done));
            });
        }
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let _ = std::fs::remove_dir(dataset.join(".staging"));
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    let count = |f: fn(&Done) -> bool| results.iter().filter(|(_, r)| r.as_ref().is_ok_and(f)).count();
    let (added, cut, unreadable, skipped) = (
        count(|d| matches!(d, Done::Added)),
        count(|d| matches!(d, Done::Cut)),
        count(|d| matches!(d, Done::Unreadable)),
        count(|d| matches!(d, Done::Skipped)),
    );
    let failed: Vec<(String, String)> =
        results.iter().filter_map(|(p, r)| r.as_ref().err().map(|e| (p.display().to_string(), e.clone()))).collect();
    let secs = started.elapsed().as_secs_f64();
    let input_bytes: u64 = traces.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    let dataset_bytes = dir_size(dataset);
    if json {
        let doc = serde_json::json!({
            "dataset": dataset.display().to_string(),
            "traces": traces.len(),
            "added": added,
            "cut": cut,
            "unreadable": unreadable,
            "skipped": skipped,
            "failed": failed.iter().map(|(f, e)| serde_json::json!({"file": f, "error": e})).collect::<Vec<_>>(),
            "seconds": secs,
            "input_bytes": input_bytes,
            "dataset_bytes": dataset_bytes,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        println!(
            "{} traces in {:.1} s ({:.1}/s): {added} added, {cut} cut (complete generations kept), {unreadable} unreadable \
             (recorded with their error), {skipped} already in the dataset",
            traces.len(),
            secs,
            traces.len() as f64 / secs.max(1e-9)
        );
        println!(
            "dataset {}: {:.1} MB for {:.1} MB of traces",
            dataset.display(),
            dataset_bytes as f64 / 1e6,
            input_bytes as f64 / 1e6
        );
        for (f, e) in &failed {
            eprintln!("schedstat: error: {f}: {e}");
        }
    }
    Ok(if failed.is_empty() { Outcome::Ok } else { Outcome::Failed })
}

/// Bytes of every file under `dir`.
fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .filter_map(|e| e.ok())
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// A SQL string literal.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// One trace into the dataset: `Err` only when the dataset or the database
/// failed (the trace's own problems are recorded in its `traces` row).
fn convert_one(path: &Path, dataset: &Path, worker: usize) -> Result<Done, String> {
    let sha = sha256_of(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if partition(dataset, "traces", &sha).exists() {
        return Ok(Done::Skipped);
    }
    let stage = dataset.join(".staging").join(format!("{sha}-{}-{worker}", std::process::id()));
    let _ = std::fs::remove_dir_all(&stage);
    std::fs::create_dir_all(&stage).map_err(|e| format!("{}: {e}", stage.display()))?;
    let result = stage_and_commit(path, dataset, &sha, &stage);
    let _ = std::fs::remove_dir_all(&stage);
    result
}

fn stage_and_commit(path: &Path, dataset: &Path, sha: &str, stage: &Path) -> Result<Done, String> {
    let dberr = |e: schedstat_db::DbError| format!("{}: {e}", path.display());
    let db = Database::create(None).map_err(dberr)?;
    db.create_schema().map_err(dberr)?;
    let problem = Mutex::new(None);
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut header = [0u8; 16];
    let go_version = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut header))
        .map(|n| {
            let head = &header[..n];
            let end = head.iter().position(|&b| b == 0 || b == b'\n').unwrap_or(n);
            String::from_utf8_lossy(&head[..end]).trim_end().to_string()
        })
        .unwrap_or_default();
    let go_version = if go_version.starts_with("go 1.") { go_version } else { String::new() };
    // Fleets keep a directory per host (hosts/web-1/trace.out): its name groups traces by host.
    let host = path.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).unwrap_or("");
    let base = format!(
        "{} as file, {} as host, {} as sha256, {size}::bigint as size_bytes, {} as go_version",
        quote(&path.display().to_string()),
        quote(host),
        quote(sha),
        if go_version.is_empty() { "null::varchar".into() } else { quote(&go_version) }
    );
    let loaded = load_trace_telling(path, &db, false, Some(&problem));
    let error = problem.into_inner().unwrap_or_else(|e| e.into_inner());
    let error_sql = error.as_deref().map_or("null::varchar".to_string(), quote);
    let (row, done) = match loaded {
        Err(LoadError::Unreadable) | Err(LoadError::File(_)) => {
            let why = match &loaded {
                Err(LoadError::File(m)) => quote(m),
                _ => error_sql.clone(),
            };
            (format!("select {base}, false as complete, {why} as error"), Done::Unreadable)
        }
        Err(LoadError::Db(m)) => return Err(format!("{}: {m}", path.display())),
        Ok((tables, outcome)) => {
            let facts = trace_facts(&db, tables.first_time_ns).map_err(|e| format!("{}: {e}", path.display()))?;
            let complete = matches!(outcome, Outcome::Ok);
            (
                format!(
                    "select {base}, {complete} as complete, {error_sql} as error, {}::bigint as events, {facts}",
                    tables.events
                ),
                if complete { Done::Added } else { Done::Cut },
            )
        }
    };
    let copy = |select: &str, file: &Path| -> Result<(), String> {
        db.execute_batch(&format!("copy ({select}) to {} (format parquet);", quote(&file.display().to_string())))
            .map_err(|e| format!("{}: writing {}: {e}", path.display(), file.display()))
    };
    let mut tables = Vec::new();
    if !matches!(done, Done::Unreadable) {
        let names = db.table_names().map_err(|e| format!("{}: {e}", path.display()))?;
        tables.extend(names.into_iter().filter(|t| !NOT_EXPORTED.contains(&t.as_str())));
    }
    for t in &tables {
        copy(&format!("select * from {t}"), &stage.join(format!("{t}.parquet")))?;
    }
    copy(&row, &stage.join("traces.parquet"))?;
    // Publish: the tables first, the traces row last (the commit).
    for t in tables.iter().map(String::as_str).chain(["traces"]) {
        let dir = partition(dataset, t, sha);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        std::fs::rename(stage.join(format!("{t}.parquet")), dir.join("part.parquet"))
            .map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    Ok(done)
}

/// The report's and trace_facts.sql's figures for a trace's `traces` row, as SQL select items.
fn trace_facts(db: &Database, origin_ns: i64) -> Result<String, Box<dyn std::error::Error>> {
    // No spike details (top 0): the row needs the series, not the bursts behind each spike.
    let opts = schedstat_report::Options { timeseries: true, top: 0, ..Default::default() };
    let r = schedstat_report::build(db, &opts)?;
    let window_ms = opts.window_ns / 1_000_000;
    // Report times count from t0 (the first wait); the dataset's from the first event.
    let shift_ms = (r.t0_ns - origin_ns) as f64 / 1e6;
    let worst = r.timeseries.as_deref().unwrap_or_default().iter().max_by(|a, b| {
        a.p99_ns.total_cmp(&b.p99_ns).then(b.start_ms.total_cmp(&a.start_ms))
    });
    let peak = r.runnable_series.iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
    let f = db.query(&bind(sql::TRACE_FACTS, &[("window_ns", opts.window_ns), ("origin_ns", origin_ns)]))?;
    let cell = |i: usize| f.rows.first().and_then(|r| r.get(i)).and_then(|c| c.as_i64());
    let ms = |ns: Option<i64>| ns.map_or("null::double".to_string(), |n| format!("{}::double", n as f64 / 1e6));
    let num = |x: f64| if x.is_finite() { format!("{x}::double") } else { "null::double".into() };
    let lat = &r.latency;
    let has_lat = lat.count > 0;
    Ok(format!(
        "{origin_ns}::bigint as start_ns, {}::bigint as duration_ns, {}::bigint as procs, \
         {}::bigint as latency_count, {} as p50_ns, {} as p99_ns, {} as max_ns, \
         {window_ms}::double as window_ms, {} as worst_window_ms, \
         {} as runnable_peak, {} as runnable_peak_ms, \
         {}::bigint as gc_ns, {} as gc_window_ms, {}::bigint as blocked_ns, {} as blocked_window_ms",
        r.trace_duration_ns,
        r.procs,
        lat.count,
        if has_lat { num(lat.p50_ns) } else { "null::double".into() },
        if has_lat { num(lat.p99_ns) } else { "null::double".into() },
        if has_lat { num(lat.max_ns) } else { "null::double".into() },
        worst.map_or("null::double".into(), |w| num(w.start_ms + shift_ms)),
        peak.map_or("null::bigint".into(), |p| format!("{}::bigint", p.1)),
        peak.map_or("null::double".into(), |p| num(p.0 as f64 + shift_ms)),
        cell(2).unwrap_or(0),
        ms(cell(3)),
        cell(0).unwrap_or(0),
        ms(cell(1)),
    ))
}

/// An in-memory database whose tables are views over the dataset's Parquet
/// files (only traces whose `traces` row exists). `None` after a one-line
/// error when `dataset` is not one.
fn open_dataset(dataset: &Path) -> Result<Option<Database>, Box<dyn std::error::Error>> {
    if !dataset.join("traces").is_dir() {
        eprintln!(
            "schedstat: error: {}: not a fleet dataset (no traces/ inside); make one with schedstat fleet TRACES... -o {}",
            dataset.display(),
            dataset.display()
        );
        return Ok(None);
    }
    let db = Database::create(None)?;
    let mut names: Vec<String> = std::fs::read_dir(dataset)?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    let scan = |t: &str| {
        format!(
            "read_parquet({}, hive_partitioning = true, hive_types = {{'trace': varchar}}, union_by_name = true)",
            quote(&dataset.join(t).join("*").join("*.parquet").display().to_string())
        )
    };
    let mut ddl = format!("create view traces as select * from {};\n", scan("traces"));
    for t in names.iter().filter(|n| *n != "traces") {
        if std::fs::read_dir(dataset.join(t))?.next().is_none() {
            continue;
        }
        ddl += &format!("create view {t} as select * from {} where trace in (select trace from traces);\n", scan(t));
    }
    db.execute_batch(&ddl)?;
    Ok(Some(db))
}

/// `--rank KIND`: the traces most worth opening, with where to look.
fn rank(db: &Database, kind: &str, top: usize, json: bool) -> Result<Outcome, Box<dyn std::error::Error>> {
    let q = match kind {
        "p99" => sql::RANK_P99,
        "runnable" => sql::RANK_RUNNABLE,
        "gc" => sql::RANK_GC,
        _ => sql::RANK_BLOCKED,
    };
    let r = db.query(&bind(q, &[("limit", top as i64)]))?;
    let text = |c: &schedstat_db::Cell| c.as_str().unwrap_or("").to_string();
    let num = |c: &schedstat_db::Cell| c.as_f64();
    if json {
        let rows: Vec<serde_json::Value> = r
            .rows
            .iter()
            .map(|row| {
                serde_json::json!({
                    "file": text(&row[0]), "trace": text(&row[1]), "value": num(&row[2]),
                    "unit": text(&row[3]), "from_ms": num(&row[4]), "to_ms": num(&row[5]),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(Outcome::Ok);
    }
    if r.rows.is_empty() {
        println!("No trace in the dataset has a {kind} figure.");
        return Ok(Outcome::Ok);
    }
    for (i, row) in r.rows.iter().enumerate() {
        let value = match (kind, num(&row[2])) {
            ("p99", Some(v)) => format!("p99 {}", crate::render::text::dur(v)),
            ("runnable", Some(v)) => format!("{v:.0} runnable"),
            ("gc", Some(v)) => format!("{:.1}% in GC", 100.0 * v),
            (_, Some(v)) => format!("{v:.1} goroutines blocked on average"),
            (_, None) => "-".into(),
        };
        let range = match (num(&row[4]), num(&row[5])) {
            (Some(a), Some(b)) => format!("look at {a:.0}–{b:.0} ms"),
            _ => String::new(),
        };
        println!("{:>3}. {}", i + 1, text(&row[0]));
        println!("     {value}; {range}");
    }
    Ok(Outcome::Ok)
}
