//! `schedstat doctor TRACE...`: the pattern that makes goroutines wait, named,
//! with evidence and advice. The checks live in `schedstat_report::doctor`;
//! this module reads the trace once (events into `crates/analysis`'s doctor
//! collector, the same one the web page runs, and into the database at the
//! same time), hands both to it, and renders the findings
//! as text for a 100-column terminal or as JSON.

use std::path::{Path, PathBuf};

use analysis::doctor::Collector;
use schedstat_db::Database;
use schedstat_report::doctor::{self, Diagnosis, Finding, Thresholds, PATTERNS, THRESHOLDS};

use crate::analyze::{load_trace_visiting, LoadError};
use crate::goroutines::emit;
use crate::render::stack;
use crate::render::text::dur;
use crate::Outcome;

/// Clap help for the subcommand (the pattern and threshold lists are in `--help`'s long form).
pub const AFTER_HELP: &str = "\
Examples:
  schedstat doctor trace.out                       findings, most severe first
  schedstat doctor --json trace.out | jq '.findings[0].id'
  schedstat doctor --threshold lock-contention.min_waiting=0.5 trace.out
  schedstat doctor --threshold p-hog.min_hold=2ms --threshold idle-ps=10% a.out b.out

Patterns (ids, in priority order): deadlock, goroutine-leak, p-hog, launch-burst,
lock-contention, channel-bottleneck, gc-pressure, context-switching,
cpu-saturation, syscall-bound, idle-ps.
`schedstat doctor --list` prints each with what it checks, and every threshold
with its default. Findings are sorted by severity (critical, warning, info),
then by that order (a cause before the saturation it causes).

Exit codes: 0 the trace was examined (with or without findings); 1 the trace
could not be read; 2 usage or file error (also a bad --threshold); 3 the trace
is truncated (findings cover its complete generations); 4 a query failed.";

/// `schedstat doctor`'s arguments.
#[derive(clap::Args)]
pub struct DoctorArgs {
    /// Trace files, each examined in turn.
    #[arg(value_name = "TRACE", required_unless_present = "list")]
    pub traces: Vec<PathBuf>,
    /// Set a threshold: ID=VALUE (e.g. lock-contention.min_waiting=0.5, p-hog.min_hold=2ms,
    /// idle-ps=10%: a pattern id alone means its first threshold). Repeatable.
    #[arg(long = "threshold", value_name = "ID=VALUE")]
    pub thresholds: Vec<String>,
    /// Print one JSON document (an array for several traces).
    #[arg(long)]
    pub json: bool,
    /// Show whole stacks instead of application paths.
    #[arg(long)]
    pub full_stacks: bool,
    /// List the patterns and thresholds with their defaults, and exit.
    #[arg(long)]
    pub list: bool,
}

/// Runs the command.
pub fn run(a: &DoctorArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut th = Thresholds::default();
    for t in &a.thresholds {
        if let Err(e) = th.set(t) {
            eprintln!("schedstat: error: {e}");
            return Ok(Outcome::FileError);
        }
    }
    if a.list {
        emit(&list_text(&th))?;
        return Ok(Outcome::Ok);
    }
    let mut docs = Vec::new();
    let mut texts = String::new();
    let mut worst = Outcome::Ok;
    for path in &a.traces {
        let (d, outcome) = match examine(path, &th) {
            Ok(x) => x,
            Err(o) => return Ok(o),
        };
        if a.json {
            docs.push(d.document(Some(&path.display().to_string())));
        } else {
            if !texts.is_empty() {
                texts.push('\n');
            }
            texts += &render(path, &d, a.full_stacks);
        }
        if outcome.code() > worst.code() {
            worst = outcome;
        }
    }
    if a.json {
        let doc = if docs.len() == 1 { docs.pop().expect("one") } else { serde_json::Value::Array(docs) };
        emit(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
    } else {
        emit(&texts)?;
    }
    Ok(worst)
}

/// Reads the trace once, feeding the event analyses and the database, then diagnoses it.
pub fn examine(path: &Path, th: &Thresholds) -> Result<(Diagnosis, Outcome), Outcome> {
    examine_db(path, th).map(|(d, _, outcome)| (d, outcome))
}

/// [`examine`], also handing back the loaded database (`check` reads `diff`'s summary from it).
pub fn examine_db(path: &Path, th: &Thresholds) -> Result<(Diagnosis, Database, Outcome), Outcome> {
    let fail = |m: String, o: Outcome| {
        eprintln!("schedstat: error: {m}");
        o
    };
    let db = Database::create(None).map_err(|e| fail(e.to_string(), Outcome::Failed))?;
    db.create_schema().map_err(|e| fail(e.to_string(), Outcome::Failed))?;
    let mut collector = Collector::new();
    let visit = &mut |ev: &gotrace::Event<'_>| collector.event(ev);
    let (_, outcome) = match load_trace_visiting(path, &db, false, None, visit) {
        Ok(loaded) => loaded,
        Err(LoadError::File(m)) => return Err(fail(m, Outcome::FileError)),
        Err(LoadError::Unreadable) => return Err(Outcome::Unreadable),
        Err(LoadError::Db(m)) => return Err(fail(m, Outcome::Failed)),
    };
    let ev = collector.finish();
    let d = doctor::diagnose(&db, &ev, th).map_err(|e| fail(format!("{}: {e}", path.display()), Outcome::Failed))?;
    Ok((d, db, outcome))
}

const WIDTH: usize = 100;

/// Wraps `text` to WIDTH columns: the first line after `first`, the rest after `rest`.
fn wrap(first: &str, rest: &str, text: &str) -> String {
    let mut out = String::new();
    let mut line = first.to_string();
    let mut empty = true;
    for w in text.split(' ') {
        let width = |s: &str| s.chars().count();
        if !empty && width(&line) + 1 + width(w) > WIDTH {
            out += line.trim_end();
            out.push('\n');
            line = rest.to_string();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line += w;
        empty = false;
    }
    out += line.trim_end();
    out.push('\n');
    out
}

fn stack_text(funcs: &[String], full: bool, room: usize) -> String {
    if full {
        stack::full(funcs)
    } else {
        stack::path(funcs, room)
    }
}

fn finding_text(i: usize, f: &Finding, start: i64, full: bool) -> String {
    let mut o = wrap(&format!("{i}. [{}] {}: ", f.severity.as_str(), f.id), "   ", &f.verdict);
    o += "   Evidence:\n";
    for e in &f.evidence {
        o += &wrap("   - ", "     ", e);
    }
    for s in &f.stacks {
        let head = match s.total_ns {
            Some(t) => format!("   {} ({}, {}): ", s.role, s.count, dur(t as f64)),
            None => format!("   {} ({}): ", s.role, s.count),
        };
        let room = WIDTH.saturating_sub(head.chars().count());
        o += &wrap(&head, "     ", &stack_text(&s.funcs, full, room));
    }
    for r in &f.ranges {
        o += &wrap(
            "   When: ",
            "     ",
            &format!("+{} to +{} ({}): {}", dur((r.start_ns - start) as f64), dur((r.end_ns - start) as f64), dur((r.end_ns - r.start_ns) as f64), r.what),
        );
    }
    o += "   Try:\n";
    for a in &f.advice {
        o += &wrap("   - ", "     ", a);
    }
    o
}

/// The text report of one trace.
pub fn render(path: &Path, d: &Diagnosis, full: bool) -> String {
    let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    let mut o = format!("schedstat doctor: {name} ({}, {} P(s))\n\n", dur((d.end_ns - d.start_ns) as f64), d.procs);
    let serious = d.findings.iter().filter(|f| f.severity > doctor::Severity::Info).count();
    if d.findings.is_empty() {
        o += &format!("No finding: none of the {} patterns showed in this trace.\n", d.checks.len());
    } else if serious == 0 {
        o += &format!("Nothing serious: {} informational finding(s).\n", d.findings.len());
    } else {
        o += &format!("{} finding(s), most severe first.\n", d.findings.len());
    }
    for (i, f) in d.findings.iter().enumerate() {
        o.push('\n');
        o += &finding_text(i + 1, f, d.start_ns, full);
    }
    o += "\nChecked:\n";
    for c in &d.checks {
        o += &wrap(&format!("  {:<18} {:<7} ", c.id, c.status), &" ".repeat(29), &c.note);
    }
    o
}

fn list_text(th: &Thresholds) -> String {
    let mut o = String::from("Patterns, in priority order:\n");
    for p in PATTERNS {
        o += &wrap(&format!("  {:<18} ", p.id), &" ".repeat(21), &format!("{}: {}", p.title, p.checks));
    }
    o += "\nThresholds (--threshold ID=VALUE):\n";
    for t in THRESHOLDS {
        let v = th.get(t.id);
        let shown = match t.unit {
            "duration" => dur(v),
            "count" => format!("{v}"),
            _ => format!("{v}"),
        };
        o += &wrap(&format!("  {:<40} {:>8}  ", t.id, shown), &" ".repeat(52), t.help);
    }
    o
}
