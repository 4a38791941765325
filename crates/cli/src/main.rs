//! `schedstat`: what is making your goroutines wait?
//!
//! Exit codes: 0 success; 1 the trace could not be read at all (not a trace,
//! unsupported version, broken in its first generation); 2 usage or file
//! errors; 3 the trace is truncated or broken after some complete generations
//! (output covers those, a warning says how much was lost).

mod dump;
mod input;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

const AFTER_HELP: &str = "\
Examples:
  schedstat stats trace.out           event counts, generations and time span
  schedstat stats --json trace.out    the same as one JSON document
  schedstat dump trace.out            every event, as `go tool trace -d=parsed` prints it

Record a trace with `go test -trace=trace.out`, runtime/trace.Start, or
`curl -o trace.out http://HOST/debug/pprof/trace?seconds=5`.

Exit codes: 0 ok; 1 the trace could not be read; 2 usage or file error;
3 the trace is truncated or damaged (results cover its complete generations).";

/// What is making your goroutines wait? Reads Go execution traces (Go 1.22 and newer).
#[derive(Parser)]
#[command(name = "schedstat", version, about, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
}

/// How a command ended, mapped to the documented exit codes.
pub enum Outcome {
    Ok,
    Unreadable,
    Partial,
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
        Command::Dump { trace } => dump::run(&trace),
        Command::Stats { trace, json } => stats::run(&trace, json),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Unreadable) => ExitCode::from(1),
        Ok(Outcome::Partial) => ExitCode::from(3),
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
