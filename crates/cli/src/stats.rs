//! `schedstat stats`: a census of the trace through the full reader.

use std::collections::BTreeMap;
use std::path::Path;

use gotrace::EventKind;

use crate::input::{open_trace, streaming_reader};
use crate::{report_read_error, Outcome};

/// Counts gathered in one pass.
#[derive(Default)]
struct Census {
    events: u64,
    by_kind: BTreeMap<EventKind, u64>,
    first_ns: Option<i64>,
    last_ns: Option<i64>,
}

/// Reads every event (ordering and validation included) and prints the census.
pub fn run(path: &Path, json: bool) -> Result<Outcome, Box<dyn std::error::Error>> {
    let bytes = open_trace(path)?;
    let Some(mut reader) = streaming_reader(path, &bytes, None) else {
        return Ok(Outcome::Unreadable);
    };
    let mut c = Census::default();
    let mut kinds = [0u64; 15];
    let err = loop {
        match reader.read_event() {
            Ok(Some(ev)) => {
                kinds[ev.kind() as usize] += 1;
                let t = ev.time();
                if c.first_ns.is_none() {
                    c.first_ns = Some(t);
                }
                c.last_ns = Some(t);
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    for k in EventKind::ALL {
        let n = kinds[k as usize];
        if n > 0 {
            c.by_kind.insert(k, n);
            c.events += n;
        }
    }
    let outcome = match &err {
        None => Outcome::Ok,
        Some(e) => report_read_error(path, &reader, e),
    };
    if matches!(outcome, Outcome::Unreadable) {
        return Ok(outcome);
    }
    let version = reader.version();
    let generations = reader.generations_done();
    let span = match (c.first_ns, c.last_ns) {
        (Some(a), Some(b)) => b - a,
        _ => 0,
    };
    if json {
        let kinds: serde_json::Map<String, serde_json::Value> =
            c.by_kind.iter().map(|(k, n)| (k.as_str().to_string(), (*n).into())).collect();
        let doc = serde_json::json!({
            "file": path.display().to_string(),
            "format_version": format!("go1.{}", version.minor()),
            "generations": generations,
            "start_ns": c.first_ns,
            "end_ns": c.last_ns,
            "duration_ns": span,
            "events": c.events,
            "kinds": kinds,
            "complete": err.is_none(),
            "error": err.as_ref().map(|e| e.message().to_string()),
            "valid_bytes": reader.valid_bytes(),
            "file_bytes": reader.len(),
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        println!("trace        {}", path.display());
        println!("format       go 1.{} trace{}", version.minor(), writers(version));
        println!("generations  {generations}");
        println!("time span    {} ({} ns, from {} to {})", human_ns(span), span,
            c.first_ns.unwrap_or(0), c.last_ns.unwrap_or(0));
        println!("events       {}", c.events);
        let width = c.by_kind.keys().map(|k| k.as_str().len()).max().unwrap_or(0);
        let mut rows: Vec<_> = c.by_kind.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (k, n) in rows {
            println!("  {:<width$}  {n}", k.as_str());
        }
    }
    Ok(outcome)
}

fn writers(v: gotrace::Version) -> String {
    format!(" (written by {})", v.written_by())
}

/// A duration in the largest unit that keeps it readable.
fn human_ns(ns: i64) -> String {
    let f = ns as f64;
    if ns >= 1_000_000_000 {
        format!("{:.3}s", f / 1e9)
    } else if ns >= 1_000_000 {
        format!("{:.3}ms", f / 1e6)
    } else if ns >= 1_000 {
        format!("{:.3}µs", f / 1e3)
    } else {
        format!("{ns}ns")
    }
}
