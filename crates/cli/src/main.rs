//! `schedstat`: what is making your goroutines wait?
//!
//! Exit codes: 0 success; 1 the trace could not be read at all (not a trace,
//! unsupported version, broken in its first generation); 2 usage or file
//! errors; 3 the trace is truncated or broken after some complete generations
//! (output covers those, a warning says how much was lost); 4 an analysis or
//! query failed.

mod analyze;
mod diff;
mod dump;
mod export;
mod input;
mod render;
mod sqlshell;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

const AFTER_HELP: &str = "\
Examples:
  schedstat trace.out                    the report: latency, spikes and their causes
  schedstat --why=5 trace.out            explain the 5 worst delays
  schedstat --bursts --by-creator a.out b.out
  schedstat --json trace.out | jq .latency
  schedstat --sql 'select * from goroutines limit 5' trace.out
  schedstat --sql trace.out              interactive SQL (sqlprof's tables and more)
  schedstat stats trace.out              event counts, generations and time span
  schedstat dump trace.out               every event, as `go tool trace -d=parsed` prints it
  schedstat export trace.out -o t.json   swimlanes for ui.perfetto.dev
  schedstat diff before.out after.out    what changed: latency, goroutines, GC, stacks

Record a trace with `go test -trace=trace.out`, runtime/trace.Start, or
`curl -o trace.out http://HOST/debug/pprof/trace?seconds=5`.

Durations take Go's syntax: 100ms, 1s, 250us, 1m30s.

Exit codes: 0 ok; 1 the trace could not be read; 2 usage or file error;
3 the trace is truncated or damaged (results cover its complete generations);
4 an analysis or query failed.";

/// What is making your goroutines wait? Reads Go execution traces (Go 1.22 and newer).
#[derive(Parser)]
#[command(name = "schedstat", version, about, after_help = AFTER_HELP, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    report: ReportFlags,
}

/// The report's flags (dt/schedstat's, plus schedstat's own).
#[derive(Args)]
struct ReportFlags {
    /// Trace files to analyse, each in turn.
    #[arg(value_name = "TRACE")]
    traces: Vec<PathBuf>,
    /// Analysis window.
    #[arg(short = 'w', long, default_value = "100ms", value_parser = parse_duration)]
    window: i64,
    /// A window whose p99 scheduling latency exceeds this is a latency spike.
    #[arg(long, default_value = "1ms", value_parser = parse_duration)]
    spike_threshold: i64,
    /// A window with more runnable goroutines than this is a runnable spike [default: 5 × procs].
    #[arg(long, default_value_t = 0)]
    runnable_threshold: i64,
    /// Entries per listing.
    #[arg(short = 'n', long, default_value_t = 5)]
    top: usize,
    /// Explain the N worst delays: which goroutine held the P, or how saturated the run queue was.
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "5")]
    why: Option<usize>,
    /// Bursts of goroutines becoming runnable, and who launched the delayed ones.
    #[arg(long)]
    bursts: bool,
    /// The N worst individual delays, with what made each goroutine runnable.
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "10")]
    worst: Option<usize>,
    /// p99 scheduling latency per window.
    #[arg(long)]
    timeseries: bool,
    /// Delays grouped by the stack that created each delayed goroutine.
    #[arg(long)]
    by_creator: bool,
    /// GC-related waits, GC phases and stop-the-world pauses.
    #[arg(long)]
    gc: bool,
    /// Goroutines with the most total scheduling wait.
    #[arg(long)]
    top_waiters: bool,
    /// Show whole stacks instead of application paths.
    #[arg(long)]
    full_stacks: bool,
    /// Print the report as one JSON document (an array for several traces).
    #[arg(long)]
    json: bool,
    /// Keep the database as TRACE.duckdb.
    #[arg(long)]
    keep_db: bool,
    /// Run a SQL query on the trace's database and exit; without a query, open a SQL prompt.
    #[arg(long, value_name = "QUERY", num_args = 0..=1, default_missing_value = "")]
    sql: Option<String>,
    /// Say what is happening on stderr.
    #[arg(short, long)]
    verbose: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Print every event exactly as Go's `go tool trace -d=parsed` does.
    #[command(after_help = "Example:\n  schedstat dump trace.out | less\n\nOn a damaged trace the events before the damage are printed, then a one-line\nerror on stderr, and the exit code is non-zero (1, or 3 when some generations were complete).")]
    Dump {
        /// The trace file.
        trace: PathBuf,
    },
    /// Count events by kind, with format version, generations and time span.
    #[command(after_help = "Examples:\n  schedstat stats trace.out\n  schedstat stats --json trace.out | jq .kinds")]
    Stats {
        /// The trace file.
        trace: PathBuf,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Compare two traces: latency, goroutines, GC share, and per-stack blocking and scheduling changes.
    #[command(after_help = diff::AFTER_HELP)]
    Diff {
        /// The trace before the change.
        before: PathBuf,
        /// The trace after the change.
        after: PathBuf,
        /// Changes listed per section.
        #[arg(short = 'n', long, default_value_t = 10)]
        top: usize,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
        /// Show whole stacks instead of application paths.
        #[arg(long)]
        full_stacks: bool,
    },
    /// Write the trace as Chrome trace-event JSON for ui.perfetto.dev (swimlanes).
    #[command(after_help = export::AFTER_HELP)]
    Export {
        /// The trace file.
        trace: PathBuf,
        /// Chrome trace-event JSON for Perfetto (the only format so far, and the default).
        #[arg(long, default_value_t = true)]
        perfetto: bool,
        /// Output file (`-` for stdout); written to a temporary name, then renamed.
        #[arg(short = 'o', long, value_name = "FILE")]
        output: PathBuf,
        /// Print a JSON summary of what was written on stdout.
        #[arg(long)]
        json: bool,
        /// Only what happens from this long after the trace's first event (e.g. 1.5s).
        #[arg(long, value_name = "DURATION", value_parser = parse_offset)]
        from: Option<i64>,
        /// Only what happens until this long after the trace's first event (e.g. 2s).
        #[arg(long, value_name = "DURATION", value_parser = parse_offset)]
        to: Option<i64>,
    },
}

/// How a command ended, mapped to the documented exit codes.
pub enum Outcome {
    Ok,
    Unreadable,
    FileError,
    Partial,
    Failed,
}

impl Outcome {
    /// The process exit code.
    pub fn code(&self) -> u8 {
        match self {
            Outcome::Ok => 0,
            Outcome::Unreadable => 1,
            Outcome::FileError => 2,
            Outcome::Partial => 3,
            Outcome::Failed => 4,
        }
    }
}

/// Parses Go-style durations (`100ms`, `1.5s`, `250us`, `250µs`, `1m30s`, `2h`) into ns.
fn parse_duration(s: &str) -> Result<i64, String> {
    let bad = || format!("invalid duration '{s}': use Go's syntax, e.g. 100ms, 1s, 250us");
    let mut rest = s.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(bad)?;
        if n == 0 {
            return Err(bad());
        }
        let value: f64 = rest[..n].parse().map_err(|_| bad())?;
        rest = &rest[n..];
        let u = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let unit = match &rest[..u] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(bad()),
        };
        total += value * unit;
        rest = &rest[u..];
    }
    if total < 1.0 || total > 9.2e18 {
        return Err(format!("duration '{s}' out of range"));
    }
    Ok(total.round() as i64)
}

/// A time offset: a Go duration, or `0`.
fn parse_offset(s: &str) -> Result<i64, String> {
    if s.trim() == "0" {
        Ok(0)
    } else {
        parse_duration(s)
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Some(Command::Dump { trace }) => dump::run(&trace),
        Some(Command::Stats { trace, json }) => stats::run(&trace, json),
        Some(Command::Diff { before, after, top, json, full_stacks }) => {
            diff::run(&before, &after, &diff::DiffArgs { top, json, full_stacks })
        }
        Some(Command::Export { trace, output, json, from, to, perfetto: _ }) => {
            if let (Some(f), Some(t)) = (from, to) {
                if f >= t {
                    eprintln!("schedstat: error: --from must be before --to");
                    return ExitCode::from(2);
                }
            }
            export::run(&trace, &output, json, (from, to))
        }
        None => {
            let mut f = cli.report;
            // `schedstat --sql trace.out` means a prompt on trace.out, not the query "trace.out".
            if f.traces.is_empty() {
                if let Some(q) = f.sql.clone().filter(|q| std::path::Path::new(q).is_file()) {
                    f.traces.push(PathBuf::from(q));
                    f.sql = Some(String::new());
                }
            }
            if f.traces.is_empty() {
                eprintln!("schedstat: error: no trace given; try `schedstat trace.out` or `schedstat --help`");
                return ExitCode::from(2);
            }
            if f.window < 1_000_000 {
                eprintln!("schedstat: error: --window must be at least 1ms (runnable counts use 1 ms buckets)");
                return ExitCode::from(2);
            }
            let opts = schedstat_report::Options {
                window_ns: f.window,
                spike_threshold_ns: f.spike_threshold,
                runnable_threshold: f.runnable_threshold,
                top: f.top,
                timeseries: f.timeseries,
                by_creator: f.by_creator,
                gc: f.gc,
                bursts: f.bursts,
                worst: f.worst.unwrap_or(0),
                top_waiters: f.top_waiters,
                why: f.why.unwrap_or(0),
            };
            let args = analyze::ReportArgs {
                opts,
                json: f.json,
                full_stacks: f.full_stacks,
                keep_db: f.keep_db,
                sql: f.sql,
                verbose: f.verbose,
            };
            analyze::run(&f.traces, &args)
        }
    };
    match result {
        Ok(o) => ExitCode::from(o.code()),
        Err(e) => {
            eprintln!("schedstat: error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Reports a reader error on stderr in one line and picks the exit outcome.
pub fn report_read_error(path: &std::path::Path, r: &gotrace::Reader<'_>, e: &gotrace::Error) -> Outcome {
    let total = r.len();
    let valid = r.valid_bytes();
    if r.generations_done() == 0 {
        eprintln!("schedstat: error: {}: {}", path.display(), input::explain(e));
        Outcome::Unreadable
    } else {
        let lost = total.saturating_sub(valid);
        let pct = if total > 0 { lost as f64 * 100.0 / total as f64 } else { 0.0 };
        eprintln!(
            "schedstat: error: {}: {} (kept {} complete generations; lost {:.2}% of the trace: {} of {} bytes)",
            path.display(),
            input::explain(e),
            r.generations_done(),
            pct,
            lost,
            total
        );
        Outcome::Partial
    }
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn go_durations() {
        assert_eq!(parse_duration("100ms"), Ok(100_000_000));
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration("250us"), Ok(250_000));
        assert_eq!(parse_duration("250µs"), Ok(250_000));
        assert_eq!(parse_duration("1m30s"), Ok(90_000_000_000));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("fast").is_err());
    }
}
