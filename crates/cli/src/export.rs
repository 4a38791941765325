//! `schedstat export --perfetto TRACE -o FILE`: the trace as swimlanes for
//! ui.perfetto.dev, streamed event by event, in Perfetto's protobuf trace
//! format (`--format proto`, the default for `.perfetto-trace` and `.pb`) or
//! as Chrome trace-event JSON (`--format json`, the default otherwise).
//!
//! The document goes to a temporary file next to FILE and is renamed into
//! place only when complete, so a failure never leaves a partial file behind
//! (`-o -` writes to stdout instead).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use export::perfetto::{Exporter, PerfettoWriter, Sink as FileSink, Summary};

use crate::input::{open_trace, streaming_reader};
use crate::{report_read_error, Outcome};

/// Clap help for the subcommand.
pub const AFTER_HELP: &str = "\
Examples:
  schedstat export trace.out -o trace.perfetto-trace   Perfetto's protobuf format (compact)
  schedstat export --perfetto trace.out -o trace.json  Chrome trace-event JSON
  schedstat export trace.out -o t.bin --format proto   choose the format whatever the name
  schedstat export trace.out -o - | gzip > trace.json.gz
  schedstat export trace.out -o trace.json --json      summary as JSON on stdout
  schedstat export trace.out -o cut.json --from 1.5s --to 2s   only half a second

Open the file at https://ui.perfetto.dev (Open trace file); chrome://tracing
reads the JSON only. Groups: Procs (GC and STW lanes, a lane per P with the
goroutine on it), Threads (a lane per M: holding a P, in a syscall), Goroutines
(a lane per goroutine: running, runnable, blocked with reason, syscall; user
regions and GC mark assists enclose them; logs are instants; arrows show create
and unblock), GC sweeps, and Tasks (one async lane per user task).

Formats (--format, else from FILE's name): `proto`, the default for names
ending in .perfetto-trace or .pb, is Perfetto's own TracePacket/TrackEvent
format with interned strings and deflated chunks: about 0.2-2 times the trace
file's size. `json`, the default otherwise (and for `-o -`), takes about
100-250 bytes per trace event (15-55 times the trace file); Perfetto's web UI
handles files up to roughly 1 GB. For bigger traces use proto, export a window
(--from/--to, slices clipped to it) or use `trace_processor --httpd`.

Exit codes: 0 ok; 1 the trace could not be read (no file written); 2 usage or
file error; 3 the trace is damaged (the file covers its complete generations).";

/// The file format written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Perfetto's protobuf trace (TracePacket / TrackEvent).
    Proto,
    /// Chrome trace-event JSON.
    Json,
}

impl Format {
    /// `--format`, else `proto` for `.perfetto-trace` and `.pb` files, else `json`.
    pub fn for_output(explicit: Option<Format>, output: &Path) -> Format {
        if let Some(f) = explicit {
            return f;
        }
        let name = output.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        if name.ends_with(".perfetto-trace") || name.ends_with(".pb") {
            Format::Proto
        } else {
            Format::Json
        }
    }
}

/// What to do with the output.
enum Sink {
    Stdout,
    File { tmp: PathBuf, dest: PathBuf },
}

/// Reads every event into `ex`, then finishes the file.
fn pump<S: FileSink>(mut ex: Exporter<S>, reader: &mut gotrace::Reader<'_>) -> std::io::Result<(Summary, Option<gotrace::Error>)> {
    let err = loop {
        match reader.read_event() {
            Ok(Some(ev)) => ex.event(&ev)?,
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    Ok((ex.finish()?, err))
}

/// Writes the file for `trace` to `output` (`-` = stdout) in `format`
/// (chosen from the name when not given).
pub fn run(
    trace: &Path,
    output: &Path,
    json: bool,
    window: (Option<i64>, Option<i64>),
    format: Option<Format>,
) -> Result<Outcome, Box<dyn std::error::Error>> {
    let format = Format::for_output(format, output);
    let bytes = match open_trace(trace) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("schedstat: error: {e}");
            return Ok(Outcome::FileError);
        }
    };
    let Some(mut reader) = streaming_reader(trace, &bytes, None) else {
        return Ok(Outcome::Unreadable);
    };
    let (sink, w): (Sink, Box<dyn Write>) = if output.as_os_str() == "-" {
        if json {
            eprintln!("schedstat: error: --json prints the summary on stdout, which `-o -` already uses");
            return Ok(Outcome::FileError);
        }
        (Sink::Stdout, Box::new(std::io::stdout().lock()))
    } else {
        let tmp = temp_name(output);
        match File::create(&tmp) {
            Ok(f) => (Sink::File { tmp, dest: output.to_path_buf() }, Box::new(f)),
            Err(e) => {
                eprintln!("schedstat: error: {}: cannot create: {}", output.display(), io_msg(&e));
                return Ok(Outcome::FileError);
            }
        }
    };
    let cleanup = |s: &Sink| {
        if let Sink::File { tmp, .. } = s {
            let _ = std::fs::remove_file(tmp);
        }
    };
    let result = {
        let w = BufWriter::with_capacity(1 << 20, w);
        match format {
            Format::Json => PerfettoWriter::new(w).and_then(|ex| pump(ex.window(window.0, window.1), &mut reader)),
            Format::Proto => Exporter::new_proto(w).and_then(|ex| pump(ex.window(window.0, window.1), &mut reader)),
        }
    };
    let (summary, err) = match result {
        Ok(x) => x,
        Err(e) => {
            cleanup(&sink);
            eprintln!("schedstat: error: {}: {}", output.display(), io_msg(&e));
            return Ok(Outcome::FileError);
        }
    };
    let outcome = match &err {
        None => Outcome::Ok,
        Some(e) => report_read_error(trace, &reader, e),
    };
    if matches!(outcome, Outcome::Unreadable) {
        cleanup(&sink);
        return Ok(outcome);
    }
    if let Sink::File { tmp, dest } = &sink {
        if let Err(e) = std::fs::rename(tmp, dest) {
            cleanup(&sink);
            eprintln!("schedstat: error: {}: {}", dest.display(), io_msg(&e));
            return Ok(Outcome::FileError);
        }
    }
    if json {
        let doc = serde_json::json!({
            "file": trace.display().to_string(),
            "output": output.display().to_string(),
            "format": match format {
                Format::Json => "chrome-trace-event-json",
                Format::Proto => "perfetto-protobuf",
            },
            "records": summary.records,
            "bytes": summary.bytes,
            "procs": summary.procs,
            "threads": summary.threads,
            "goroutines": summary.goroutines,
            "tasks": summary.tasks,
            "regions": summary.regions,
            "flows": summary.flows,
            "complete": err.is_none(),
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        eprintln!(
            "schedstat: wrote {} ({}): {} procs, {} threads, {} goroutines, {} tasks, {} regions, {} arrows; open it at https://ui.perfetto.dev",
            output.display(),
            human_bytes(summary.bytes),
            summary.procs,
            summary.threads,
            summary.goroutines,
            summary.tasks,
            summary.regions,
            summary.flows
        );
    }
    if summary.bytes > 1 << 30 {
        eprintln!("schedstat: warning: files over ~1 GB can exhaust the Perfetto web UI's memory; export a window with --from/--to, or use `trace_processor --httpd`");
    }
    Ok(outcome)
}

/// A temporary name in the destination's directory (so the rename is atomic).
fn temp_name(dest: &Path) -> PathBuf {
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "export".into());
    dest.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

fn io_msg(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

fn human_bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MB", n as f64 / (1u64 << 20) as f64)
    } else if n >= 1 << 10 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{n} bytes")
    }
}
