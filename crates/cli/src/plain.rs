//! The commands that need no SQL (`dump`, `stats`, `pprof`, `goroutines`,
//! `leaks`, `tasks`, `regions`, `gc`, `export`, and the toolbox's `bundles`,
//! `grep`, `states`, `requests`, `scope`, `etviz`, `stw`), their arguments, and what
//! every command shares: exit outcomes, reader errors, duration parsing.
//!
//! Two binaries compile this module: `schedstat-sql`, the whole CLI, and
//! `schedstat` (launcher.rs), which runs these commands itself and hands
//! every other one to `schedstat-sql`. Nothing here reaches DuckDB, so the
//! launcher runs them on a machine without libduckdb.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use crate::{bundles, dump, export, gc, goroutines, grep, leaks, pprof, requests, scope, states, stats, stw, tasks};

/// The subcommands that read the trace with the reader alone.
#[derive(Subcommand)]
pub enum PlainCommand {
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
    /// Blocking profiles (pprof) as `go tool trace -pprof=TYPE` writes them: net, sync, syscall, sched.
    #[command(after_help = PPROF_HELP)]
    Pprof {
        /// net: blocked on the network; sync: on channels, select, mutexes, conditions;
        /// syscall: in system calls; sched: runnable but not running (charged to the stack
        /// that made the goroutine runnable).
        #[arg(value_name = "TYPE", value_parser = ["net", "sync", "syscall", "sched"])]
        kind: String,
        /// The trace file.
        trace: PathBuf,
        /// Write the gzipped pprof profile to FILE (`-` for stdout) instead of printing a table.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Print every stack with its frames, count and delay as one JSON document.
        #[arg(long)]
        json: bool,
        /// Stacks in the table.
        #[arg(short = 'n', long, default_value_t = 10)]
        top: usize,
        /// Show every frame under each stack in the table.
        #[arg(long)]
        full_stacks: bool,
    },
    /// Goroutines by start function and each one's time breakdown, as go tool trace's /goroutines.
    #[command(after_help = GOROUTINES_HELP)]
    Goroutines {
        /// The trace file.
        trace: PathBuf,
        /// Break down one group (its start function, as listed) per goroutine.
        #[arg(long, short = 'g', value_name = "NAME", conflicts_with = "id")]
        group: Option<String>,
        /// Show one goroutine's breakdown, regions and ranges.
        #[arg(long, value_name = "G")]
        id: Option<i64>,
        /// Sort a group's goroutines by a column: total (default), exec, sched, syscall,
        /// sys-block, unknown, block:REASON, or Go's column name.
        #[arg(long, value_name = "COLUMN")]
        sort: Option<String>,
        /// At most N rows per listing (also in --json).
        #[arg(short = 'n', long, value_name = "N")]
        top: Option<usize>,
        /// Print one JSON document (all durations in ns).
        #[arg(long)]
        json: bool,
    },
    /// Goroutines still blocked at the end of the trace (leaks), grouped by stack and reason.
    #[command(after_help = LEAKS_HELP)]
    Leaks {
        /// The trace file.
        trace: PathBuf,
        /// Window for the alive-goroutine count over time [default: 1/20 of the trace].
        #[arg(short = 'w', long, value_parser = parse_duration)]
        window: Option<i64>,
        /// At most N groups (text and --json; --json lists every goroutine of a group).
        #[arg(short = 'n', long, default_value_t = 10)]
        top: usize,
        /// Include runtime-internal goroutines (GC workers, sweeper, finalizers, the tracer's own).
        #[arg(long)]
        all: bool,
        /// Show whole stacks instead of application paths.
        #[arg(long)]
        full_stacks: bool,
        /// Print one JSON document (all durations in ns).
        #[arg(long)]
        json: bool,
    },
    /// User tasks by type (count, duration histogram, slowest), logs, or one task's events (go tool trace's /usertasks, /usertask).
    #[command(after_help = TASKS_HELP)]
    Tasks {
        /// The trace file.
        trace: PathBuf,
        /// Print this task's events in order (begin, end, logs, regions), times relative to its start.
        #[arg(long, value_name = "ID")]
        task: Option<u64>,
        /// Also list logs by category (JSON always has them).
        #[arg(long)]
        logs: bool,
        /// Entries per listing.
        #[arg(short = 'n', long, default_value_t = 10)]
        top: usize,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// User regions by type and start location: count, duration histogram, time breakdown (go tool trace's /userregions, /userregion).
    #[command(after_help = REGIONS_HELP)]
    Regions {
        /// The trace file.
        trace: PathBuf,
        /// Breakdown lines per region group.
        #[arg(short = 'n', long, default_value_t = 5)]
        top: usize,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// GC: stop-the-world pauses, mark phases, mark assists, and the MMU curve with its worst windows (go tool trace's /mmu).
    #[command(after_help = GC_HELP)]
    Gc {
        /// The trace file.
        trace: PathBuf,
        /// GC work that counts against the mutator: any of stw, background, assist, sweep, perproc.
        #[arg(long, value_name = "LIST", default_value = "stw,background,assist", value_parser = analysis::mmu::UtilFlags::parse)]
        mmu_flags: analysis::mmu::UtilFlags,
        /// How background mark workers are booked: `go` (exactly go tool trace) or `fixed` (once per run).
        #[arg(long, value_name = "MODEL", default_value = "go", value_parser = parse_model)]
        mmu_model: analysis::mmu::WorkerModel,
        /// Window sizes whose 10 worst windows are listed (Go durations or ns) [default: 1ms,10ms,100ms].
        #[arg(long, value_name = "DURS", value_delimiter = ',', value_parser = parse_window)]
        worst_at: Vec<i64>,
        /// Entries per listing.
        #[arg(short = 'n', long, default_value_t = 5)]
        top: usize,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write the trace as swimlanes for ui.perfetto.dev (Perfetto's protobuf trace or Chrome trace-event JSON).
    #[command(after_help = export::AFTER_HELP)]
    Export {
        /// The trace file.
        trace: PathBuf,
        /// Swimlanes for Perfetto (the default; --format chooses the file format).
        #[arg(long, default_value_t = true)]
        perfetto: bool,
        /// File format: `proto` (Perfetto's protobuf trace, the default for
        /// FILE ending in .perfetto-trace or .pb) or `json` (Chrome trace-event
        /// JSON, the default otherwise).
        #[arg(long, value_enum, value_name = "FORMAT")]
        format: Option<export::Format>,
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
    /// Autoprof profile bundles (directories or zips) sorted by a profile's total, as apshuffle; hosts; prev/next links.
    #[command(after_help = bundles::AFTER_HELP)]
    Bundles(bundles::BundlesArgs),
    /// Events as etgrep (Go Tracing Toolbox) prints them, filtered by goroutine, time or stack pattern.
    #[command(after_help = grep::AFTER_HELP)]
    Grep {
        /// The trace file.
        trace: PathBuf,
        /// Print each event's stack (leaf first) under its line.
        #[arg(long)]
        stacks: bool,
        /// Only events of this goroutine (0: all, as etgrep).
        #[arg(long, value_name = "G", default_value_t = 0, allow_negative_numbers = true)]
        goroutine: i64,
        /// Only events at exactly this time in ns, as printed (0: all, as etgrep).
        #[arg(long, value_name = "T", default_value_t = 0)]
        time: i64,
        /// Trace order, or grouped by goroutine.
        #[arg(long, value_enum, default_value = "time")]
        sort: grep::Sort,
        /// Keep events matching 'KIND "SPEC" ...' (see below).
        #[arg(long = "match", value_name = "PATTERN")]
        pattern: Option<String>,
        /// One JSON object per line and event (its etgrep line, fields, filed goroutine, stack), in trace order.
        #[arg(long, conflicts_with = "sort")]
        json: bool,
    },
    /// The graph of goroutine state machines (state + stack nodes, counted edges) as DOT, SVG or JSON (grstates).
    #[command(after_help = states::AFTER_HELP)]
    States {
        /// The trace file.
        trace: PathBuf,
        /// Write the graph in Graphviz DOT to FILE (`-`: stdout; the default when nothing else is asked).
        #[arg(long, value_name = "FILE")]
        dot: Option<PathBuf>,
        /// Write the graph as SVG to FILE, drawn by Graphviz's `dot`.
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
        /// Print the graph (nodes, edges, counts, examples) as one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Requests inferred from goroutine behaviour and stacks: regions, their causes across goroutines, JSON, SVG (regiongraph).
    #[command(after_help = requests::AFTER_HELP)]
    Requests(requests::RequestsArgs),
    /// CPU samples placed at their fraction of a region's length (TLS handshake, a requests kind, a runtime/trace region), over many traces; chart as SVG (scope_tls, scope_chart).
    #[command(after_help = scope::AFTER_HELP)]
    Scope(scope::ScopeArgs),
    /// Draw requests (JSON lines from `requests --json --summarize`) as SVG bands, as etviz does.
    #[command(after_help = requests::ETVIZ_AFTER_HELP)]
    Etviz {
        /// The JSON lines (`-`: stdin).
        input: PathBuf,
        /// The SVG file to write (`-`: stdout).
        #[arg(short = 'o', long, value_name = "FILE")]
        output: PathBuf,
        /// One band per goroutine/region instead of one per request.
        #[arg(long)]
        details: bool,
    },
    /// Stop-the-world ranges split into pre-stop, stopped and post-stop, with the CPU samples during each (unstoppable).
    #[command(after_help = stw::AFTER_HELP)]
    Stw {
        /// The trace file.
        trace: PathBuf,
        /// Write the samples as a gzipped pprof profile to FILE.
        #[arg(long, value_name = "FILE")]
        profile: Option<PathBuf>,
        /// Print each sample (part, offset, goroutine) and its stack.
        #[arg(long)]
        print_stacks: bool,
        /// Ignore samples that arrive less than this far into a part (Go duration, e.g. 100us).
        #[arg(long, value_name = "DURATION", default_value = "0", value_parser = parse_offset)]
        grace: i64,
        /// Print the ranges and their samples as one JSON document.
        #[arg(long)]
        json: bool,
    },
}

/// The names of [`PlainCommand`]'s subcommands, as typed (for launcher.rs).
#[allow(dead_code)]
pub fn is_plain_command(word: &str) -> bool {
    use clap::Subcommand as _;
    PlainCommand::has_subcommand(word)
}

/// Runs one of the commands and maps how it ended to the exit code (for launcher.rs).
#[allow(dead_code)]
pub fn run(command: PlainCommand) -> ExitCode {
    exit(run_command(command))
}

/// Runs one of the commands.
pub fn run_command(command: PlainCommand) -> Result<Outcome, Box<dyn std::error::Error>> {
    match command {
        PlainCommand::Dump { trace } => dump::run(&trace),
        PlainCommand::Stats { trace, json } => stats::run(&trace, json),
        PlainCommand::Pprof { kind, trace, output, json, top, full_stacks } => {
            if json && output.as_deref() == Some(std::path::Path::new("-")) {
                eprintln!("schedstat: error: -o - and --json both write to stdout; pick one");
                return Ok(Outcome::FileError);
            }
            let kind = analysis::profile::ProfileKind::parse(&kind).expect("clap checked the type");
            pprof::run(&pprof::PprofArgs { kind, trace, output, json, top, full_stacks })
        }
        PlainCommand::Goroutines { trace, group, id, sort, top, json } => {
            goroutines::run(&trace, &goroutines::Args { group, id, sort, top, json })
        }
        PlainCommand::Leaks { trace, window, top, all, full_stacks, json } => {
            leaks::run(&trace, &leaks::Args { window, top, all, full_stacks, json })
        }
        PlainCommand::Tasks { trace, task, logs, top, json } => tasks::run_tasks(&trace, task, logs, top, json),
        PlainCommand::Regions { trace, top, json } => tasks::run_regions(&trace, top, json),
        PlainCommand::Gc { trace, mmu_flags, mmu_model, worst_at, top, json } => {
            gc::run(&trace, &gc::GcArgs { flags: mmu_flags, model: mmu_model, worst_at, top, json })
        }
        PlainCommand::Export { trace, output, json, from, to, format, perfetto: _ } => {
            if let (Some(f), Some(t)) = (from, to) {
                if f >= t {
                    eprintln!("schedstat: error: --from must be before --to");
                    return Ok(Outcome::FileError);
                }
            }
            export::run(&trace, &output, json, (from, to), format)
        }
        PlainCommand::Bundles(a) => bundles::run(&a),
        PlainCommand::Grep { trace, stacks, goroutine, time, sort, pattern, json } => {
            grep::run(&grep::GrepArgs { trace, stacks, goroutine, time, sort, pattern, json })
        }
        PlainCommand::States { trace, dot, svg, json } => states::run(&states::StatesArgs { trace, dot, svg, json }),
        PlainCommand::Requests(a) => requests::run(&a),
        PlainCommand::Scope(a) => scope::run(&a),
        PlainCommand::Etviz { input, output, details } => {
            requests::run_etviz(&requests::EtvizArgs { input, output, details })
        }
        PlainCommand::Stw { trace, profile, print_stacks, grace, json } => {
            stw::run(&stw::StwArgs { trace, profile, print_stacks, grace, json })
        }
    }
}

/// The exit code for a command's result (errors are usage or file errors).
pub fn exit(result: Result<Outcome, Box<dyn std::error::Error>>) -> ExitCode {
    match result {
        Ok(o) => ExitCode::from(o.code()),
        Err(e) => {
            eprintln!("schedstat: error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Like other Unix filters: when the reader of our output goes away
/// (`schedstat stats t.out | head`), stop quietly (killed by SIGPIPE)
/// instead of panicking in println! on the broken pipe.
pub fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of one signal, before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

const PPROF_HELP: &str = "\
Examples:
  schedstat pprof sync trace.out                  the top 10 stacks by delay
  schedstat pprof sync trace.out -o sync.pb.gz && go tool pprof -top sync.pb.gz
  schedstat pprof sched trace.out -o sched.pb.gz && go tool pprof -http=:8080 sched.pb.gz
  schedstat pprof sched trace.out -o - > sched.pb.gz    the file on stdout
  schedstat pprof syscall --json trace.out | jq '.stacks[0]'

Per stack: contentions (intervals) and delay (ns), equal to Go 1.27.3's
`go tool trace -pprof=TYPE trace.out`. Each interval is charged to the stack
of the event that started it; for sched that is whoever made the goroutine
runnable. Like Go, waits before a goroutine first runs in the trace and waits
still open at its end are not counted.

Exit codes: 0 ok; 1 the trace could not be read; 2 usage or file error (no
output file is left behind); 3 the trace is truncated (the profile covers its
complete generations).";

const GOROUTINES_HELP: &str = "\
Examples:
  schedstat goroutines trace.out                         groups by start function
  schedstat goroutines --group main.worker trace.out     per-goroutine breakdown of one group
  schedstat goroutines -g main.worker --sort block:sync -n 20 trace.out
  schedstat goroutines --id 42 trace.out                 one goroutine, exact figures
  schedstat goroutines --json trace.out | jq '.groups[0]'

The figures equal go tool trace's /goroutines and /goroutine pages (Go 1.27):
execution, scheduler wait, syscall execution, syscall blocked, block time per
wait reason, unknown time, and the GC mark assist / sweep / stop-the-world time
that overlaps them. Text rounds durations; --json gives exact nanoseconds.

Exit codes: 0 ok; 1 the trace could not be read; 2 usage or file error (also an
unknown --group, --id or --sort); 3 the trace is truncated (figures cover what was read).";

const LEAKS_HELP: &str = "\
Examples:
  schedstat leaks trace.out                  blocked goroutines at the end, biggest group first
  schedstat leaks -w 100ms trace.out         alive goroutines per 100 ms window
  schedstat leaks --all --full-stacks trace.out
  schedstat leaks --json trace.out | jq '.groups[] | {count, reason, start_function}'

A goroutine is blocked at the end when its last state is waiting (chan, select,
sync, sleep, network, ...). Groups share the blocking stack and wait reason;
waits count from the moment it blocked (a lower bound, marked >=, when it was
already blocked when first seen). When every goroutine other than the runtime's
own is blocked, a warning says the program may be deadlocked.

Exit codes: 0 ok; 1 the trace could not be read; 2 usage or file error;
3 the trace is truncated (the end is the last event read).";
const TASKS_HELP: &str = "\
Examples:
  schedstat tasks trace.out               task types, durations, slowest tasks
  schedstat tasks --logs trace.out        plus trace.Log messages by category
  schedstat tasks --task 7 trace.out      task 7's begin/end, logs and regions in order
  schedstat tasks --json trace.out | jq '.types[] | {type, count}'

Counts include incomplete tasks; histograms count complete ones (as go tool trace).
Exit codes: 0 ok; 1 unreadable trace; 2 usage or file error (or no such task);
3 truncated trace (results cover its complete generations).";

const REGIONS_HELP: &str = "\
Examples:
  schedstat regions trace.out
  schedstat regions --json trace.out | jq '.groups[] | {type, count, breakdown_ns}'

A region's location is the outermost frame of the stack that began it (its
goroutine's entry function), as go tool trace groups them. The breakdown is
where the region's goroutine spent the region's time: execution, each block
reason, syscall, scheduler wait, unknown.
Exit codes: 0 ok; 1 unreadable trace; 2 usage or file error; 3 truncated trace.";

const GC_HELP: &str = "\
Examples:
  schedstat gc trace.out
  schedstat gc --mmu-flags stw,background,assist,sweep,perproc trace.out
  schedstat gc --worst-at 500us,5ms trace.out
  schedstat gc --mmu-model fixed trace.out
  schedstat gc --json trace.out | jq '.mmu.curve'

The MMU uses go tool trace's /mmu algorithm and, by default, the flags its page
plots when opened (system view; STW, background workers and mark assists).
Go's page counts a background worker's P as busy once more on every worker run,
so after a few GC cycles its utilization sinks to 0 for good (the output says
so); --mmu-model fixed counts each run once.
Exit codes: 0 ok; 1 unreadable trace; 2 usage or file error; 3 truncated trace.";

/// Parses `--mmu-model`.
fn parse_model(s: &str) -> Result<analysis::mmu::WorkerModel, String> {
    match s {
        "go" => Ok(analysis::mmu::WorkerModel::Go),
        "fixed" => Ok(analysis::mmu::WorkerModel::Fixed),
        _ => Err(format!("unknown MMU model '{s}': use go or fixed")),
    }
}

/// Parses a window size: a Go duration (`1ms`) or a plain number of ns.
fn parse_window(s: &str) -> Result<i64, String> {
    match s.trim().parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        Ok(_) => Err(format!("window '{s}' must be positive")),
        Err(_) => parse_duration(s),
    }
}

/// How a command ended, mapped to the documented exit codes.
pub enum Outcome {
    Ok,
    Unreadable,
    FileError,
    Partial,
    Failed,
    OverBudget,
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
            Outcome::OverBudget => 5,
        }
    }
}

/// Parses Go-style durations (`100ms`, `1.5s`, `250us`, `250µs`, `1m30s`, `2h`) into ns.
pub fn parse_duration(s: &str) -> Result<i64, String> {
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
pub fn parse_offset(s: &str) -> Result<i64, String> {
    if s.trim() == "0" {
        Ok(0)
    } else {
        parse_duration(s)
    }
}

/// Reports a reader error on stderr in one line and picks the exit outcome.
pub fn report_read_error(path: &std::path::Path, r: &gotrace::Reader<'_>, e: &gotrace::Error) -> Outcome {
    let (outcome, message) = read_error(r, e);
    eprintln!("schedstat: error: {}: {message}", path.display());
    outcome
}

/// What a reading error means for the trace (unreadable, or truncated after
/// some complete generations) and the one-line message that says so.
pub fn read_error(r: &gotrace::Reader<'_>, e: &gotrace::Error) -> (Outcome, String) {
    let total = r.len();
    let valid = r.valid_bytes();
    if r.generations_done() == 0 {
        (Outcome::Unreadable, e.explained())
    } else {
        let lost = total.saturating_sub(valid);
        let pct = if total > 0 { lost as f64 * 100.0 / total as f64 } else { 0.0 };
        let message = format!(
            "{} (kept {} complete generations; lost {:.2}% of the trace: {} of {} bytes)",
            e.explained(),
            r.generations_done(),
            pct,
            lost,
            total
        );
        (Outcome::Partial, message)
    }
}
