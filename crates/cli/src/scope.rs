//! `schedstat scope` (the toolbox's scope_tls and scope_chart): CPU samples
//! placed at their fraction of a region's length, over many traces
//! (`analysis::toolbox::scope`), drawn by `export::scope`.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use analysis::profile::Frame;
use analysis::toolbox::requests::events::{Collector, GoroutineEvents};
use analysis::toolbox::requests::patterns::Patterns;
use analysis::toolbox::scope::{self, Placed, UserRegions, Window};
use export::pprof::{LabeledSample, SampleProfile};
use export::scope::ChartSample;
use serde::Serialize;

use crate::input::{find_traces, open_trace, streaming_reader};
use crate::{report_read_error, Outcome};

/// Clap help for `scope`.
pub const AFTER_HELP: &str = "\
Examples:
  schedstat scope trace.out                              TLS client handshakes (scope_tls -text)
  schedstat scope --svg scope.svg traces/                every trace under traces/, one chart
  schedstat scope --kind client/tls_handshake --patterns tls.patterns a.out b.out
                                                         a kind of a pattern file (see `requests`)
  schedstat scope --kind client/http_dns trace.out       a built-in `schedstat requests` kind
  schedstat scope --region decode trace.out              runtime/trace regions of type decode
  schedstat scope --json trace.out | jq '.samples[].frac'
  schedstat scope --output scope.pb.gz traces/ && go tool pprof -top scope.pb.gz

Each CPU-profile sample taken on a goroutine inside a region is placed at
its fraction of the region's length: over many regions (and many traces)
this shows where in the region the CPU time goes. The traces must have been
recorded with the CPU profiler on (pprof.StartCPUProfile beside
trace.Start; Go 1.19 or later). One line per sample, as scope_tls -text
prints them and scope_chart reads them:
  start REGION_START length REGION_LENGTH frac FRACTION stack ROOT;...;LEAF
(times in ns; for Go <= 1.21 traces from the trace's first event, as the
toolbox prints them). --svg draws scope_chart's chart: one lane per stack,
a mark at each sample's fraction (left: region start, right: region end).
--output writes the samples as a gzipped pprof profile (samples/count,
cpu/nanoseconds; numeric labels region_start, region_length, sample_offset
in ns and percent, g; label trace), as scope_tls -output does.

Regions: by default scope_tls's TLS 1.2 client handshake, from the wake-up
after the last network read inside crypto/tls.(*Conn).readHandshake to the
first read inside (*clientHandshakeState).readFinished, one per goroutine.
--kind NAME takes the regions of a `schedstat requests` kind instead (the
built-in ones, or those of --patterns FILE; from each region's first event
to its last), --region TYPE those of a runtime/trace region type.
Directories are searched recursively for trace files; every trace version
is read (scope_tls reads Go <= 1.21 only). Traces are read in parallel (-j,
default one per core; each worker holds one trace's events at a time); the
output keeps the order of the traces.

Exit codes: 0 ok; 1 a trace could not be read (the others are still
used); 2 usage or file error (no traces, unknown --kind, bad --patterns);
3 a trace is damaged (its samples before the damage are used).";

/// `schedstat scope`'s arguments.
#[derive(clap::Args)]
pub struct ScopeArgs {
    /// Trace files, and directories to search recursively for trace files.
    #[arg(value_name = "TRACE|DIR", required = true)]
    pub paths: Vec<PathBuf>,
    /// Regions of this `schedstat requests` kind instead of the TLS handshake.
    #[arg(long, value_name = "KIND", conflicts_with = "region")]
    pub kind: Option<String>,
    /// With --kind: the kinds of this pattern file instead of the built-in ones.
    #[arg(long, value_name = "FILE", requires = "kind")]
    pub patterns: Option<PathBuf>,
    /// Regions of this runtime/trace region type instead of the TLS handshake.
    #[arg(long, value_name = "TYPE")]
    pub region: Option<String>,
    /// Draw the chart as SVG to FILE (`-`: stdout, instead of the rows).
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Print the traces, their region counts and the placed samples as one JSON document.
    #[arg(long)]
    pub json: bool,
    /// Write the placed samples as a gzipped pprof profile to FILE (scope_tls -output).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Traces read at once (default: one per core); the output keeps the traces' order.
    #[arg(short = 'j', long = "jobs", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
}

/// Which regions to use.
enum Source {
    Tls,
    Kind(Patterns, String),
    Region(String),
}

impl Source {
    fn name(&self) -> String {
        match self {
            Source::Tls => "tls client handshake (scope_tls)".into(),
            Source::Kind(_, k) => format!("kind {k}"),
            Source::Region(r) => format!("region {r}"),
        }
    }
}

/// One trace's part of the JSON.
#[derive(Serialize)]
struct TraceJson {
    file: String,
    regions: usize,
    samples: usize,
}

/// One sample in the JSON.
#[derive(Serialize)]
struct SampleJson<'a> {
    trace: usize,
    #[serde(flatten)]
    placed: &'a Placed,
}

/// One trace, read.
struct Collected {
    data: Result<GoroutineEvents, String>,
    /// `--region`'s regions.
    windows: Vec<Window>,
    /// With `frames`: each CPU sample's frames, in trace order (as
    /// [`GoroutineEvents::samples`]).
    frames: Vec<Vec<Frame>>,
    outcome: Outcome,
}

/// Reads one trace's goroutine events (through Go 1.21's parse for old
/// traces when `old_view`), for `--region` its user regions, and with
/// `frames` its samples' frames.
fn collect(
    trace: &Path,
    bytes: &crate::input::TraceBytes,
    old_view: bool,
    region: Option<&str>,
    frames: bool,
) -> Option<Collected> {
    let mut reader = streaming_reader(trace, bytes, None)?;
    let version = reader.version();
    let mut c = if old_view && version.is_old_format() {
        Collector::old_format(bytes.as_slice(), version.minor()).unwrap_or_else(|_| Collector::new())
    } else {
        Collector::new()
    };
    let mut user = region.map(UserRegions::new);
    let mut sample_frames = Vec::new();
    let err = loop {
        match reader.read_event() {
            Ok(Some(ev)) => {
                c.event(&ev);
                if let Some(u) = user.as_mut() {
                    u.event(&ev);
                }
                if frames && ev.kind() == gotrace::EventKind::StackSample {
                    sample_frames.push(ev.stack().frames().map(|f| Frame::of(&f)).collect());
                }
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    let outcome = match &err {
        None => Outcome::Ok,
        Some(e) => report_read_error(trace, &reader, e),
    };
    if matches!(outcome, Outcome::Unreadable) {
        return None;
    }
    Some(Collected {
        data: c.finish().map_err(|m| m.0),
        windows: user.map(UserRegions::finish).unwrap_or_default(),
        frames: sample_frames,
        outcome,
    })
}

/// One trace's result.
struct TraceResult {
    regions: usize,
    placed: Vec<Placed>,
    /// Each placed sample's frames (leaf first), when asked for.
    frames: Vec<Vec<Frame>>,
    outcome: Outcome,
}

/// The regions and placed samples of one trace; `Err` is its exit outcome.
fn one_trace(trace: &Path, source: &Source, want_frames: bool) -> Result<TraceResult, Outcome> {
    let bytes = match open_trace(trace) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("schedstat: error: {e}");
            return Err(Outcome::FileError);
        }
    };
    // User regions are timed by the converted events, so the samples must be too.
    let region = match source {
        Source::Region(r) => Some(r.as_str()),
        _ => None,
    };
    let Some(Collected { data, mut windows, mut frames, outcome }) =
        collect(trace, &bytes, region.is_none(), region, want_frames)
    else {
        return Err(Outcome::Unreadable);
    };
    let data = match data {
        Ok(d) => d,
        Err(why) => {
            eprintln!(
                "schedstat: note: {}: reading the old-format events without Go 1.21's view ({why})",
                trace.display()
            );
            let Some(again) = collect(trace, &bytes, false, None, want_frames) else { return Err(Outcome::Unreadable) };
            frames = again.frames;
            again.data.map_err(|why| {
                eprintln!("schedstat: error: {}: {why}", trace.display());
                Outcome::Unreadable
            })?
        }
    };
    let mut data = data;
    scope::set_samples_aside(&mut data);
    match source {
        Source::Tls => windows = scope::tls_client_handshakes(&data),
        Source::Kind(p, k) => windows = scope::kind_windows(&data, p, k).unwrap_or_default(),
        Source::Region(_) => {}
    }
    let placed = scope::place(&data, &windows);
    // The collector keeps one event per sample, in the order the reader gave them.
    let frames = if want_frames && frames.len() == data.samples.len() {
        placed.iter().map(|p| frames[p.sample].clone()).collect()
    } else {
        Vec::new()
    };
    Ok(TraceResult { regions: windows.len(), placed, frames, outcome })
}

/// scope_tls's `-output` profile: one sample per placed sample, values
/// samples/count and cpu/nanoseconds (1 and the 10 ms period), numeric labels
/// region_start and region_length (ns) and sample_offset (ns and percent),
/// plus ours: the goroutine and the trace file.
fn profile(all: &[(usize, Placed, Vec<Frame>)], traces: &[PathBuf]) -> SampleProfile {
    const PERIOD: i64 = 10_000_000;
    let mut p = SampleProfile {
        sample_types: vec![("samples".into(), "count".into()), ("cpu".into(), "nanoseconds".into())],
        period_type: ("cpu".into(), "nanoseconds".into()),
        period: PERIOD,
        default_sample_type: String::new(),
        samples: Vec::new(),
    };
    for (t, s, frames) in all {
        let percent = (100.0 * s.offset_ns as f64 / s.region_length_ns as f64) as i64;
        p.samples.push(LabeledSample {
            frames: if frames.is_empty() {
                // No frames kept (never expected): the function names, leaf first.
                s.stack.iter().rev().map(|f| Frame { pc: 0, func: f.clone(), file: String::new(), line: 0 }).collect()
            } else {
                frames.clone()
            },
            values: vec![1, PERIOD],
            labels: vec![("trace".into(), traces[*t].display().to_string())],
            num_labels: vec![
                ("region_start".into(), s.region_start_ns, "nanoseconds".into()),
                ("region_length".into(), s.region_length_ns, "nanoseconds".into()),
                ("sample_offset".into(), s.offset_ns, "nanoseconds".into()),
                ("sample_offset".into(), percent, "percent".into()),
                ("g".into(), s.g as i64, String::new()),
            ],
        });
    }
    p
}

/// Runs `scope`.
pub fn run(a: &ScopeArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    let source = if let Some(kind) = &a.kind {
        let patterns = match crate::requests::load_patterns(&a.patterns) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("schedstat: error: {e}");
                return Ok(Outcome::FileError);
            }
        };
        if !patterns.kinds.iter().any(|k| &k.name == kind) {
            let names: Vec<&str> = patterns.kinds.iter().map(|k| k.name.as_str()).collect();
            eprintln!("schedstat: error: no kind {kind:?} in the patterns; kinds: {}", names.join(", "));
            return Ok(Outcome::FileError);
        }
        Source::Kind(patterns, kind.clone())
    } else if let Some(r) = &a.region {
        Source::Region(r.clone())
    } else {
        Source::Tls
    };
    if a.json && a.svg.as_deref() == Some(Path::new("-")) {
        eprintln!("schedstat: error: --json and --svg - both write to stdout; give --svg a file");
        return Ok(Outcome::FileError);
    }
    let traces = match find_traces(&a.paths) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("schedstat: error: {e}");
            return Ok(Outcome::FileError);
        }
    };
    if traces.is_empty() {
        eprintln!("schedstat: error: no trace files found under the paths given");
        return Ok(Outcome::FileError);
    }

    // Traces are read in parallel (each worker one trace at a time), then
    // taken in the order given.
    let jobs = a
        .jobs
        .map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), |j| j as usize)
        .clamp(1, traces.len());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Result<TraceResult, Outcome>>>> =
        traces.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(t) = traces.get(i) else { break };
                let r = one_trace(t, &source, a.output.is_some());
                *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
            });
        }
    });
    let mut outcome = Outcome::Ok;
    let mut all: Vec<(usize, Placed, Vec<Frame>)> = Vec::new();
    let mut per_trace = Vec::new();
    for (i, (t, r)) in traces.iter().zip(results).enumerate() {
        let r = r.into_inner().unwrap_or_else(|e| e.into_inner()).unwrap_or(Err(Outcome::Failed));
        match r {
            Ok(r) => {
                if matches!(outcome, Outcome::Ok) {
                    outcome = r.outcome;
                }
                per_trace.push(TraceJson {
                    file: t.display().to_string(),
                    regions: r.regions,
                    samples: r.placed.len(),
                });
                let mut frames = r.frames.into_iter();
                all.extend(r.placed.into_iter().map(|p| (i, p, frames.next().unwrap_or_default())));
            }
            Err(o) => {
                if matches!(outcome, Outcome::Ok | Outcome::Partial) {
                    outcome = o;
                }
                per_trace.push(TraceJson { file: t.display().to_string(), regions: 0, samples: 0 });
            }
        }
    }

    let svg_to_stdout = a.svg.as_deref() == Some(Path::new("-"));
    let mut out = BufWriter::new(std::io::stdout().lock());
    if a.json {
        let samples: Vec<SampleJson> =
            all.iter().map(|(trace, placed, _)| SampleJson { trace: *trace, placed }).collect();
        let doc = serde_json::json!({
            "regions_from": source.name(),
            "traces": per_trace,
            "samples": samples,
        });
        serde_json::to_writer(&mut out, &doc)?;
        writeln!(out)?;
    } else if !svg_to_stdout {
        for (_, p, _) in &all {
            writeln!(out, "{}", p.text_row())?;
        }
    }
    out.flush()?;
    drop(out);
    if let Some(path) = &a.svg {
        let chart: Vec<ChartSample> = all
            .iter()
            .map(|(_, p, _)| ChartSample {
                // As scope_chart reads it: the row's six decimals.
                frac: format!("{:.6}", p.frac).parse().unwrap_or(p.frac),
                stack: p.stack.clone(),
            })
            .collect();
        if let Err(e) = crate::render::write_output(path, export::scope::render(&chart).as_bytes()) {
            eprintln!("schedstat: error: {e}");
            return Ok(Outcome::FileError);
        }
    }
    if let Some(path) = &a.output {
        if let Err(e) = std::fs::write(path, export::pprof::encode_samples(&profile(&all, &traces))) {
            eprintln!("schedstat: error: {}: {e}", path.display());
            return Ok(Outcome::FileError);
        }
    }
    Ok(outcome)
}
