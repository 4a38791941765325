//! `schedstat`: what is making your goroutines wait?
//!
//! Exit codes: 0 success; 1 the trace could not be read at all (not a trace,
//! unsupported version, broken in its first generation; for `schedstat web`
//! also: the binary was built without the page, or the port is taken); 2 usage or file
//! errors; 3 the trace is truncated or broken after some complete generations
//! (output covers those, a warning says how much was lost); 4 an analysis or
//! query failed; 5 `check`: the trace is over its budget.

mod analyze;
mod bundles;
mod check;
mod diff;
mod doctor;
mod dump;
mod goroutines;
mod gc;
mod grep;
mod export;
mod fleet;
mod input;
mod plain;
mod pprof;
mod requests;
mod leaks;
mod render;
mod scope;
mod sqlshell;
mod states;
mod stats;
mod stw;
mod tasks;
mod tui;
mod web;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

pub use plain::{read_error, report_read_error, Outcome};
use plain::parse_duration;

const AFTER_HELP: &str = "\
Examples:
  schedstat trace.out                    the report: latency, spikes and their causes
  schedstat --why=5 trace.out            explain the 5 worst delays
  schedstat --bursts --by-creator a.out b.out
  schedstat --json trace.out | jq .latency
  schedstat --sql 'select * from goroutines limit 5' trace.out
  schedstat --json --sql 'select * from delays limit 3' trace.out   the rows as JSON
  schedstat --sql trace.out              interactive SQL (sqlprof's tables and more)
  schedstat stats trace.out              event counts, generations and time span
  schedstat dump trace.out               every event, as `go tool trace -d=parsed` prints it
  schedstat goroutines trace.out         goroutines by start function, as go tool trace shows them
  schedstat pprof sync trace.out -o sync.pb.gz   blocking profile for go tool pprof
  schedstat gc trace.out                 pauses, mark phases, assists, MMU
  schedstat tasks trace.out              user tasks (also: regions)
  schedstat export trace.out -o t.perfetto-trace   swimlanes for ui.perfetto.dev
  schedstat leaks trace.out              goroutines still blocked at the end, grouped by stack
  schedstat diff before.out after.out    what changed: latency, goroutines, GC, stacks
  schedstat check trace.out --budget budget.toml   a trace budget for CI (exit 5 when over)
  schedstat web trace.out                the web page on http://127.0.0.1:8787, trace preloaded
  schedstat grep --stacks --goroutine 7 trace.out   events as etgrep prints them (--match: stack patterns)
  schedstat states trace.out --svg g.svg   goroutine state machines as a graph (grstates)
  schedstat stw --print-stacks trace.out   stop-the-world parts and CPU samples in them (unstoppable)
  schedstat requests trace.out             requests inferred from goroutines and stacks (regiongraph)
  schedstat requests --svg r.svg trace.out those requests drawn as bands (etviz)
  schedstat tui trace.out                the whole analysis in the terminal (also: --tui)
  schedstat bundles --profile-sort goroutine bundles/   Autoprof bundles by a profile's total (apshuffle)
  schedstat scope --svg scope.svg traces/    CPU samples across TLS handshakes, as an oscilloscope (scope_tls)

Record a trace with `go test -trace=trace.out`, runtime/trace.Start, or
`curl -o trace.out http://HOST/debug/pprof/trace?seconds=5`.

Durations take Go's syntax: 100ms, 1s, 250us, 1m30s.

Exit codes: 0 ok; 1 the trace could not be read (`web`: also no page built
in, or the port is taken); 2 usage or file error; 3 the trace is truncated or
damaged (results cover its complete generations); 4 an analysis or query failed;
5 `check`: over budget. When the reader of the output goes away
(`schedstat dump t.out | head`), schedstat stops quietly, killed by SIGPIPE
like other Unix filters.";

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
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = WHY_DEFAULT)]
    why: Option<usize>,
    /// Bursts of goroutines becoming runnable, and who launched the delayed ones.
    #[arg(long)]
    bursts: bool,
    /// The N worst individual delays, with what made each goroutine runnable.
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = WORST_DEFAULT)]
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
    #[command(flatten)]
    Plain(plain::PlainCommand),
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
    /// Name the pattern that makes goroutines wait (leak, lock contention, P hog, ...), with evidence and advice.
    #[command(after_help = doctor::AFTER_HELP)]
    Doctor(doctor::DoctorArgs),
    /// Hold a trace to a budget (TOML limits on latency, blocked time, goroutines, findings), or AFTER against BEFORE, for CI.
    #[command(after_help = check::AFTER_HELP)]
    Check(check::CheckArgs),
    /// Many traces into one Parquet dataset (in parallel), then SQL and rankings across them.
    #[command(after_help = fleet::AFTER_HELP)]
    Fleet(fleet::FleetArgs),
    /// Serve the web page with the trace preloaded on 127.0.0.1 (page embedded in the binary).
    #[command(after_help = web::AFTER_HELP)]
    Web {
        /// The trace file (read again from disk by each page load).
        trace: PathBuf,
        /// Port on 127.0.0.1; 0 picks any free port.
        #[arg(long, default_value_t = web::DEFAULT_PORT)]
        port: u16,
        /// Open the URL in the default browser (xdg-open on Linux, open on macOS).
        #[arg(long)]
        open: bool,
        /// Log each request on stderr.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Browse the analysis in the terminal: summary, spikes, delays, goroutines, profiles, GC, leaks, doctor, timeline, SQL.
    #[command(after_help = tui::AFTER_HELP)]
    Tui {
        /// The trace file.
        trace: PathBuf,
        /// Analysis window (the time series' step; spikes are per window).
        #[arg(short = 'w', long, default_value = "100ms", value_parser = parse_duration)]
        window: i64,
        /// A window whose p99 scheduling latency exceeds this is a latency spike.
        #[arg(long, default_value = "1ms", value_parser = parse_duration)]
        spike_threshold: i64,
        /// Entries per listing: spikes detailed, delays explained, top waiters.
        #[arg(short = 'n', long, default_value_t = 20)]
        top: usize,
    },
}

fn main() -> ExitCode {
    plain::restore_sigpipe();
    let cli = match Cli::try_parse_from(counts_before_traces(tui_alias(std::env::args_os().collect()))) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Some(Command::Plain(c)) => plain::run_command(c),
        Some(Command::Diff { before, after, top, json, full_stacks }) => {
            diff::run(&before, &after, &diff::DiffArgs { top, json, full_stacks })
        }
        Some(Command::Doctor(a)) => doctor::run(&a),
        Some(Command::Check(a)) => check::run(&a),
        Some(Command::Fleet(a)) => fleet::run(&a),
        Some(Command::Tui { trace, window, spike_threshold, top }) => {
            if window < 1_000_000 {
                eprintln!("schedstat: error: --window must be at least 1ms (runnable counts use 1 ms buckets)");
                return ExitCode::from(2);
            }
            tui::run(&tui::TuiArgs { trace, opts: tui::report_options(window, spike_threshold, top) })
        }
        Some(Command::Web { trace, port, open, verbose }) => web::run(&trace, &web::WebArgs { port, open, verbose }),
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
            if let Some(msg) = mistyped_command(&f.traces[0]) {
                eprintln!("schedstat: error: {msg}");
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
    plain::exit(result)
}

/// What `--why` and `--worst` count when given no number.
const WHY_DEFAULT: &str = "5";
const WORST_DEFAULT: &str = "10";

/// `schedstat --why trace.out` explains the default number of delays of
/// trace.out: a flag whose count is optional, followed by a word that is no
/// count, takes its default (clap would read the trace's name as the count
/// and refuse it).
fn counts_before_traces(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let end = args.iter().position(|a| a == "--").unwrap_or(args.len());
    for i in 0..end.saturating_sub(1) {
        let default = match args[i].to_str() {
            Some("--why") => WHY_DEFAULT,
            Some("--worst") => WORST_DEFAULT,
            _ => continue,
        };
        let next = args[i + 1].to_string_lossy();
        if !next.starts_with('-') && next.parse::<usize>().is_err() {
            args[i] = format!("{}={default}", args[i].to_string_lossy()).into();
        }
    }
    args
}

/// `schedstat --tui ARGS` is `schedstat tui ARGS`: the flag is moved to the
/// front as the subcommand, so both spellings take exactly the same options.
fn tui_alias(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let end = args.iter().position(|a| a == "--").unwrap_or(args.len());
    if let Some(i) = args[..end].iter().position(|a| a == "--tui") {
        args.remove(i);
        args.insert(1.min(args.len()), "tui".into());
    }
    args
}

/// When the first argument is no file but close to a command's name
/// (`schedstat gorutines trace.out`), the message to print instead of running
/// the report on the other arguments.
fn mistyped_command(first: &std::path::Path) -> Option<String> {
    use clap::CommandFactory;
    if first.exists() {
        return None;
    }
    let word = first.to_str()?;
    if word.contains(['/', '.']) {
        return None;
    }
    let cmd = Cli::command();
    let best = cmd
        .get_subcommands()
        .map(|c| c.get_name())
        .filter(|name| *name != "help")
        .map(|name| (edit_distance(word, name), name))
        .min()?;
    let close = best.0 <= 2.max(word.chars().count() / 4) || best.1.starts_with(word);
    close.then(|| format!("unknown command `{word}`; did you mean `{}`? (see `schedstat --help`)", best.1))
}

/// Levenshtein distance between two words, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}



#[cfg(test)]
mod tests {
    use super::{edit_distance, mistyped_command, parse_duration, tui_alias};

    #[test]
    fn tui_flag_is_the_tui_command() {
        let args = |v: &[&str]| v.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert_eq!(tui_alias(args(&["schedstat", "--tui", "t.out"])), args(&["schedstat", "tui", "t.out"]));
        assert_eq!(tui_alias(args(&["schedstat", "-w", "10ms", "--tui", "t.out"])), args(&["schedstat", "tui", "-w", "10ms", "t.out"]));
        // After `--`, `--tui` is a file name.
        assert_eq!(tui_alias(args(&["schedstat", "--", "--tui"])), args(&["schedstat", "--", "--tui"]));
    }

    #[test]
    fn mistyped_commands_are_named() {
        assert_eq!(edit_distance("gorutines", "goroutines"), 1);
        let m = mistyped_command(std::path::Path::new("gorutines")).unwrap();
        assert!(m.contains("did you mean `goroutines`"), "{m}");
        assert!(mistyped_command(std::path::Path::new("pprf")).unwrap().contains("`pprof`"));
        // A missing trace file is not a command.
        assert!(mistyped_command(std::path::Path::new("trace.out")).is_none());
        assert!(mistyped_command(std::path::Path::new("somethingelse")).is_none());
    }

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
