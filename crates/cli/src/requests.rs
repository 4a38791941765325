//! `schedstat requests` (regiongraph) and `schedstat etviz` (etviz): requests
//! inferred from goroutine behaviour and stacks
//! (`analysis::toolbox::requests`), drawn by `export::etviz`.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use analysis::toolbox::requests::events::Collector;
use analysis::toolbox::requests::patterns::{Patterns, DEFAULT};
use analysis::toolbox::requests::spans::{drop_background_reads, TreeSummary};
use analysis::toolbox::requests::Requests;

use crate::input::{open_trace, streaming_reader};
use crate::{report_read_error, Outcome};

/// Clap help for `requests`.
pub const AFTER_HELP: &str = "\
Examples:
  schedstat requests trace.out                          regions per kind, then each request
  schedstat requests --show-regions trace.out           KIND(g=G@START-END) per region
  schedstat requests --show-chains trace.out            each chain of reasons, root first
  schedstat requests --json --summarize trace.out > regions.json
  schedstat etviz regions.json -o requests.svg          draw them (or in one step:)
  schedstat requests --svg requests.svg trace.out
  schedstat requests --print-patterns > my.patterns     the built-in kinds, to edit
  schedstat requests --patterns my.patterns trace.out   with your own kinds

A region is a run of one goroutine's events doing one kind of work, found
from the events' stacks: regiongraph's kinds are built in (inbound HTTP/1
request read, handling and response; outbound round trip, connection
dial, DNS lookup, request write, response read). Regions are connected
across goroutines: a goroutine woken or created by another works for the
other's region, so a dial works for the round trip that needed it, and that
for the inbound request. Each root's tree is a request: --json prints one
tree per line (regiongraph's JSON: G, Kind, StartNs, LengthNs, StartRun,
StartAssist, StartWait, Caused; times in ns, offsets from StartNs);
--summarize adds totals and the flattened timeline that etviz draws.
Times are the trace's (for Go <= 1.21 traces, from the first event, as
regiongraph prints them). Every trace version is read (regiongraph reads
Go <= 1.21 only).

--patterns FILE replaces the built-in kinds (print them with
--print-patterns): `kind NAME` then `match \"SPEC\" ...` lines (etgrep's stack
specs, root to leaf), `start`, `continue`, `keep` conditions (matching,
stackless, stacked, any, event types such as GoStart, `unless ...`), and the
flags single, flush-at-end, shared, reactivate, enclosing; `kind NAME between
A B` is the time between A and B regions. See the README for the details.

Exit codes: 0 ok; 1 the trace could not be read; 2 usage or file error (a bad
--patterns file names the line and column of the bad token); 3 the trace is
damaged (requests are inferred from the events before the damage).";

/// Clap help for `etviz`.
pub const ETVIZ_AFTER_HELP: &str = "\
Examples:
  schedstat requests --json --summarize trace.out > regions.json
  schedstat etviz regions.json -o requests.svg
  schedstat etviz --details regions.json -o requests.svg     one band per goroutine/region
  jq -c 'select(.Root.Kind == \"server/http\")' regions.json | schedstat etviz - -o served.svg

The input is JSON lines as `schedstat requests --json --summarize` (or
regiongraph -json -summarize) prints them. The picture shows each request
as a band twice: offset by start time, then all starting at zero. Colours:
running black, waiting to run silver, GC assist chartreuse, network yellow,
syscall darkgreen, channel/select/sync waits violet, unknown magenta; the
summary band takes, at each moment, the most telling state of the request's
goroutines (running, then waiting to run, GC, network, syscall, other waits).
As etviz, net/http's background reads are left out.

Exit codes: 0 ok; 1 the input is not such JSON (the message names the
line); 2 usage or file error.";

/// What `requests` prints (its command-line arguments).
#[derive(clap::Args)]
pub struct RequestsArgs {
    /// The trace file.
    #[arg(required_unless_present = "print_patterns")]
    pub trace: Option<PathBuf>,
    /// Region kinds from this pattern file instead of the built-in ones (see --print-patterns).
    #[arg(long, value_name = "FILE")]
    pub patterns: Option<PathBuf>,
    /// Print the built-in pattern file (regiongraph's matchers) and exit.
    #[arg(long, conflicts_with_all = ["patterns", "show_regions", "show_chains", "show_pairs", "json", "svg"])]
    pub print_patterns: bool,
    /// Print each region: KIND(g=G@START-END).
    #[arg(long, conflicts_with_all = ["show_chains", "show_pairs", "json"])]
    pub show_regions: bool,
    /// Print each chain of reasons some event had, root first.
    #[arg(long, conflicts_with_all = ["show_pairs", "json"])]
    pub show_chains: bool,
    /// Print each (cause, effect) pair of reasons once.
    #[arg(long, conflicts_with = "json")]
    pub show_pairs: bool,
    /// Print each request's tree of spans as one JSON line (regiongraph's JSON).
    #[arg(long)]
    pub json: bool,
    /// With --json: print each request's summary (totals, flattened timeline, tree), the input of etviz.
    #[arg(long, requires = "json")]
    pub summarize: bool,
    /// Also draw the requests as SVG bands to FILE, as etviz does (`-`: stdout).
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// With --svg: one band per goroutine/region instead of one per request.
    #[arg(long, requires = "svg")]
    pub details: bool,
}

/// The pattern file given, or the built-in kinds (regiongraph's matchers).
pub fn load_patterns(path: &Option<PathBuf>) -> Result<Patterns, String> {
    let Some(p) = path else { return Ok(Patterns::builtin()) };
    let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
    Patterns::parse(&text).map_err(|e| format!("--patterns {}:{e}", p.display()))
}

/// Runs `requests`.
pub fn run(a: &RequestsArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    if a.print_patterns {
        print!("{DEFAULT}");
        return Ok(Outcome::Ok);
    }
    let Some(trace) = &a.trace else {
        eprintln!("schedstat: error: no trace given; try `schedstat requests trace.out`");
        return Ok(Outcome::FileError);
    };
    let patterns = match load_patterns(&a.patterns) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("schedstat: error: {e}");
            return Ok(Outcome::FileError);
        }
    };
    let bytes = open_trace(trace)?;
    let Some((data, outcome)) = collect(trace, &bytes, true)? else { return Ok(Outcome::Unreadable) };
    let data = match data {
        Ok(d) => d,
        Err(why) => {
            eprintln!("schedstat: note: {}: reading the old-format events without Go 1.21's view ({})", trace.display(), why.0);
            let Some((data, _)) = collect(trace, &bytes, false)? else { return Ok(Outcome::Unreadable) };
            data.map_err(|m| m.0)?
        }
    };
    let req = Requests::new(data, patterns);
    let mut out = BufWriter::new(std::io::stdout().lock());
    if a.show_chains {
        for l in req.chain_lines() {
            writeln!(out, "{l}")?;
        }
    } else if a.show_pairs {
        for l in req.pair_lines() {
            writeln!(out, "{l}")?;
        }
    } else if a.show_regions {
        for l in req.region_lines() {
            writeln!(out, "{l}")?;
        }
    } else if a.json {
        let mut failed = None;
        let encoded = req.each_json_line(a.summarize, |l| {
            if let Err(e) = writeln!(out, "{l}") {
                failed.get_or_insert(e);
            }
        });
        if let Some(e) = failed {
            return Err(e.into());
        }
        encoded?;
    } else if a.svg.is_none() {
        let counts = req.kind_counts();
        writeln!(out, "Regions by kind:")?;
        for (k, n) in &counts {
            writeln!(out, "  {n:>7}  {k}")?;
        }
        let sums = req.summaries();
        writeln!(out, "Requests ({}), by start: G, start, duration, on-CPU time, root kind, spans", sums.len())?;
        for s in &sums {
            let mut spans = 0;
            analysis::toolbox::requests::spans::visit(&s.root, &mut |_| spans += 1);
            writeln!(
                out,
                "  g={} @{:.6}ms / {:.6}ms / on CPU {:.6}ms {} ({spans} spans)",
                s.root.g,
                s.root.start_ns as f64 / 1e6,
                s.length_ns as f64 / 1e6,
                s.total_run_ns as f64 / 1e6,
                s.root.kind
            )?;
        }
    }
    out.flush()?;
    if let Some(p) = &a.svg {
        let svg = export::etviz::render(&drop_background_reads(req.summaries()), a.details);
        if let Err(e) = crate::render::write_output(p, svg.as_bytes()) {
            eprintln!("schedstat: error: {e}");
            return Ok(Outcome::FileError);
        }
    }
    Ok(outcome)
}

/// Reads the trace into goroutine events (`old_view`: through Go 1.21's
/// parse when the trace is old-format); `None` when unreadable.
#[allow(clippy::type_complexity)]
fn collect(
    trace: &Path,
    bytes: &crate::input::TraceBytes,
    old_view: bool,
) -> Result<
    Option<(
        Result<analysis::toolbox::requests::events::GoroutineEvents, analysis::toolbox::requests::events::Misaligned>,
        Outcome,
    )>,
    Box<dyn std::error::Error>,
> {
    let Some(mut reader) = streaming_reader(trace, bytes, None) else { return Ok(None) };
    let version = reader.version();
    let mut c = if old_view && version.is_old_format() {
        match Collector::old_format(bytes.as_slice(), version.minor()) {
            Ok(c) => c,
            Err(_) => Collector::new(),
        }
    } else {
        Collector::new()
    };
    let err = loop {
        match reader.read_event() {
            Ok(Some(ev)) => c.event(&ev),
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    let outcome = match &err {
        None => Outcome::Ok,
        Some(e) => report_read_error(trace, &reader, e),
    };
    if matches!(outcome, Outcome::Unreadable) {
        return Ok(None);
    }
    Ok(Some((c.finish(), outcome)))
}

/// What `etviz` draws.
pub struct EtvizArgs {
    /// JSON lines (`-`: stdin).
    pub input: PathBuf,
    /// The SVG (`-`: stdout).
    pub output: PathBuf,
    /// One band per span.
    pub details: bool,
}

/// Runs `etviz`.
pub fn run_etviz(a: &EtvizArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    let text = if a.input == Path::new("-") {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)?;
        s
    } else {
        match std::fs::read_to_string(&a.input) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("schedstat: error: {}: {e}", a.input.display());
                return Ok(Outcome::FileError);
            }
        }
    };
    let mut sums = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<TreeSummary>(line) {
            Ok(s) => sums.push(s),
            Err(e) => {
                let hint = if line.contains("\"Flat\"") {
                    String::new()
                } else {
                    " (etviz needs summaries: `schedstat requests --json --summarize`)".to_string()
                };
                eprintln!("schedstat: error: {} line {}: {e}{hint}", a.input.display(), i + 1);
                return Ok(Outcome::Unreadable);
            }
        }
    }
    let svg = export::etviz::render(&drop_background_reads(sums), a.details);
    if let Err(e) = crate::render::write_output(&a.output, svg.as_bytes()) {
        eprintln!("schedstat: error: {e}");
        return Ok(Outcome::FileError);
    }
    Ok(Outcome::Ok)
}
