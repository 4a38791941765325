//! `schedstat stw`: stop-the-world ranges split into their parts with the
//! CPU samples that arrived during each (unstoppable, from the Go Tracing
//! Toolbox); computed by `analysis::toolbox::stw`, the profile written by
//! `export::pprof`.

use std::io::Write;
use std::path::PathBuf;

use analysis::toolbox::stw::{sha256_hex, StwFinder};
use export::pprof::{LabeledSample, SampleProfile};

use crate::input::{open_trace, streaming_reader};
use crate::{report_read_error, Outcome};

/// Clap help for the subcommand.
pub const AFTER_HELP: &str = "\
Examples:
  schedstat stw trace.out                        one line per stop-the-world
  schedstat stw --print-stacks trace.out         and each CPU sample taken during it
  schedstat stw --profile stw.pb.gz trace.out && go tool pprof -top stw.pb.gz
  schedstat stw --grace 100us --print-stacks trace.out   skip samples early in each part
  schedstat stw --json trace.out | jq '.[] | select(.samples_total > 0)'

Each line: `STW @<s since the first event>: <pre-stop>+<stopped>+<post-stop> ms
clock, <n> samples`, as unstoppable prints it. pre-stop runs from the request
until only one proc still runs (the world is stopped), stopped until a proc
runs again, post-stop until the range ends. Samples need a trace taken with
the CPU profiler on (runtime/pprof.StartCPUProfile, or /debug/pprof/trace while
/debug/pprof/profile runs). The profile has sample types samples/count and
offset/nanoseconds, labels stw-phase, g, offset and trace-sha256.

Exit codes: 0 ok; 1 the trace could not be read (or a stop-the-world begins
inside another); 2 usage or file error; 3 the trace is damaged (ranges before
the damage are shown).";

/// What to show.
pub struct StwArgs {
    /// The trace file.
    pub trace: PathBuf,
    /// Where to write the gzipped pprof profile.
    pub profile: Option<PathBuf>,
    /// Print each sample's stack.
    pub print_stacks: bool,
    /// Ignore samples this early in a part (ns).
    pub grace: i64,
    /// JSON instead of text.
    pub json: bool,
}

/// Runs the command.
pub fn run(a: &StwArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    let bytes = open_trace(&a.trace)?;
    let Some(mut reader) = streaming_reader(&a.trace, &bytes, None) else {
        return Ok(Outcome::Unreadable);
    };
    let mut finder = StwFinder::new(a.grace);
    let res = loop {
        match reader.read_event() {
            Ok(Some(ev)) => {
                if let Err(e) = finder.event(&ev) {
                    eprintln!("schedstat: error: {}: {e}", a.trace.display());
                    return Ok(Outcome::Unreadable);
                }
            }
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    let outcome = match res {
        Ok(()) => Outcome::Ok,
        Err(e) => report_read_error(&a.trace, &reader, &e),
    };
    if matches!(outcome, Outcome::Unreadable) {
        return Ok(outcome);
    }
    let ranges = finder.finish();
    if let Some(path) = &a.profile {
        let hash = sha256_hex(bytes.as_slice());
        let mut p = SampleProfile {
            sample_types: vec![("samples".into(), "count".into()), ("offset".into(), "nanoseconds".into())],
            period_type: ("cpu".into(), "nanoseconds".into()),
            period: 1,
            default_sample_type: "samples".into(),
            samples: Vec::new(),
        };
        for s in ranges.iter().flat_map(|r| &r.samples) {
            p.samples.push(LabeledSample {
                frames: s.frames.clone(),
                values: vec![1, s.offset_ns],
                labels: vec![("stw-phase".into(), s.phase.into()), ("trace-sha256".into(), hash.clone())],
                num_labels: vec![("g".into(), s.g, String::new()), ("offset".into(), s.offset_ns, "ns".into())],
            });
        }
        std::fs::write(path, export::pprof::encode_samples(&p)).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if a.json {
        serde_json::to_writer_pretty(&mut out, &ranges)?;
        out.write_all(b"\n")?;
    } else {
        for r in &ranges {
            writeln!(out, "{}", r.summary())?;
            if a.print_stacks {
                for s in &r.samples {
                    writeln!(out, "{} +{}µs g={}", s.phase, s.offset_ns / 1000, s.g)?;
                    for f in &s.frames {
                        writeln!(out, "  {} {}:{} {:#x}", f.func, f.file, f.line, f.pc)?;
                    }
                }
            }
        }
    }
    out.flush()?;
    Ok(outcome)
}
