//! The web page's toolbox module: `schedstat states` (the goroutine state
//! graph) and `schedstat requests` (requests inferred from the goroutines'
//! stacks) compiled to WebAssembly, taking the trace's bytes and returning
//! the CLI's JSON.
//!
//! It is a second wasm module, apart from `crates/wasm` (the reader the page
//! needs before it shows anything): the state graph's hashing and the
//! request matchers' regexes would push that module over its size budget,
//! and most visits never open these views. The page loads this one only when
//! its States or Requests tab is opened.
//!
//! The analyses are the CLI's own (`analysis::toolbox::states`,
//! `analysis::toolbox::requests`); this crate only reads the trace as the
//! CLI's `states` and `requests` commands do and serialises their results
//! the same way, so the page's JSON equals `schedstat states --json` and
//! `schedstat requests --json [--summarize]` (web/test/toolbox.test.ts).

#![warn(missing_docs)]

use std::collections::BTreeMap;

use analysis::toolbox::requests::events::{Collector, GoroutineEvents, Misaligned};
use analysis::toolbox::requests::patterns::Patterns;
use analysis::toolbox::requests::spans::{drop_background_reads, running, visit, Range, Span, TreeSummary};
use analysis::toolbox::requests::Requests;
use analysis::toolbox::states::StateBuilder;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// What a toolbox function returns to the page: the JSON, and the CLI's
/// one-line message when the trace ended in damage after some complete
/// generations (the result then covers the events before it, as the CLI's
/// exit code 3 case).
#[wasm_bindgen(getter_with_clone)]
#[derive(Debug, Clone)]
pub struct ToolboxOutput {
    /// The JSON text.
    pub json: String,
    /// The read error's message when the trace was cut; `undefined` otherwise.
    pub warning: Option<String>,
}

/// Reads every event into `f`, as the CLI's commands do: an error before the
/// first complete generation makes the trace unreadable (`Err`, the CLI's
/// one-line message); a later one keeps the events before it and is
/// returned as the warning.
fn read_all(reader: &mut gotrace::Reader<'_>, mut f: impl FnMut(&gotrace::Event<'_>)) -> Result<Option<String>, String> {
    let err = loop {
        match reader.read_event() {
            Ok(Some(ev)) => f(&ev),
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    let Some(e) = err else { return Ok(None) };
    if reader.generations_done() == 0 {
        return Err(e.explained());
    }
    let total = reader.len();
    let lost = total.saturating_sub(reader.valid_bytes());
    let pct = if total > 0 { lost as f64 * 100.0 / total as f64 } else { 0.0 };
    Ok(Some(format!(
        "{} (kept {} complete generations; lost {pct:.2}% of the trace: {lost} of {total} bytes)",
        e.explained(),
        reader.generations_done()
    )))
}

/// The state graph and the read warning (plain Rust, tested natively).
pub fn state_graph(bytes: &[u8]) -> Result<(analysis::toolbox::states::StateGraph, Option<String>), String> {
    let mut reader = gotrace::Reader::new(bytes).map_err(|e| e.explained())?;
    let mut b = StateBuilder::new();
    let warning = read_all(&mut reader, |ev| b.event(ev))?;
    Ok((b.finish(), warning))
}

/// `schedstat states --json`: the goroutine state graph, pretty-printed with
/// a final newline exactly as the CLI prints it.
#[wasm_bindgen]
pub fn states(bytes: &[u8]) -> Result<ToolboxOutput, JsError> {
    let (graph, warning) = state_graph(bytes).map_err(|e| JsError::new(&e))?;
    let mut json = serde_json::to_string_pretty(&graph).map_err(|e| JsError::new(&e.to_string()))?;
    json.push('\n');
    Ok(ToolboxOutput { json, warning })
}

/// One pass of the requests' event collection (`old_view`: through Go 1.21's
/// parse when the trace is old-format, as regiongraph saw it).
fn collect(bytes: &[u8], old_view: bool) -> Result<(Result<GoroutineEvents, Misaligned>, Option<String>), String> {
    let mut reader = gotrace::Reader::new(bytes).map_err(|e| e.explained())?;
    let version = reader.version();
    let mut c = if old_view && version.is_old_format() {
        Collector::old_format(bytes, version.minor()).unwrap_or_else(|_| Collector::new())
    } else {
        Collector::new()
    };
    let warning = read_all(&mut reader, |ev| c.event(ev))?;
    Ok((c.finish(), warning))
}

/// The requests with the built-in patterns, read as `schedstat requests`
/// reads them (falling back to our own view of an old-format trace when Go
/// 1.21's does not line up with it, as the CLI does after its note).
pub fn infer_requests(bytes: &[u8]) -> Result<(Requests, Option<String>), String> {
    let (data, warning) = collect(bytes, true)?;
    let data = match data {
        Ok(d) => d,
        Err(_) => collect(bytes, false)?.0.map_err(|m| m.0)?,
    };
    Ok((Requests::new(data, Patterns::builtin()), warning))
}

/// `schedstat requests --json` (`summarize`: `--json --summarize`): one JSON
/// line per request tree, as the CLI prints them.
pub fn requests_lines(req: &Requests, summarize: bool) -> Result<String, String> {
    let mut out = String::new();
    req.each_json_line(summarize, |l| {
        out.push_str(l);
        out.push('\n');
    })
    .map_err(|e| e.to_string())?;
    Ok(out)
}

/// `schedstat requests --json` (`summarize`: with `--summarize`) on the
/// built-in patterns: JSON lines exactly as the CLI prints them.
#[wasm_bindgen]
pub fn requests(bytes: &[u8], summarize: bool) -> Result<ToolboxOutput, JsError> {
    let (req, warning) = infer_requests(bytes).map_err(|e| JsError::new(&e))?;
    let json = requests_lines(&req, summarize).map_err(|e| JsError::new(&e))?;
    Ok(ToolboxOutput { json, warning })
}

/// One band of the requests picture: a span's time and what its goroutine
/// did in it, as ranges relative to `start_ns` (etviz's colours come from
/// `waiting`/`assisting`'s reason names).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Band {
    /// The goroutine the span ran on.
    pub g: u64,
    /// The region kind (a root span's kind for a request's summary band).
    pub kind: String,
    /// Start, trace time in ns.
    pub start_ns: i64,
    /// Length in ns.
    pub length_ns: i64,
    /// Running ranges `[from, to)`, ns after `start_ns`.
    pub running: Vec<Range>,
    /// GC-assist ranges by reason.
    pub assisting: BTreeMap<String, Vec<Range>>,
    /// Waiting ranges by reason (`cpu`: runnable, `net`, `gc`, `syscall`, …).
    pub waiting: BTreeMap<String, Vec<Range>>,
}

impl Band {
    fn of(sp: &Span) -> Band {
        let r = running(sp).unwrap_or_default();
        Band {
            g: sp.g,
            kind: sp.kind.clone(),
            start_ns: sp.start_ns,
            length_ns: sp.length_ns,
            running: r.running,
            assisting: r.assisting,
            waiting: r.waiting,
        }
    }
}

/// One request as the picture draws it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RequestBands {
    /// The request's length (its tree's, ns).
    pub length_ns: i64,
    /// On-CPU time of all its spans (ns).
    pub total_run_ns: i64,
    /// The flattened timeline (etviz's summary band: at each moment the most
    /// telling state of any of its goroutines).
    pub flat: Band,
    /// Every span of the tree, root first (etviz `--details`).
    pub spans: Vec<Band>,
}

/// What the page's requests view draws: the requests etviz would draw (net/http's
/// background reads left out), by start time.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RequestPicture {
    /// The requests, by root start time.
    pub requests: Vec<RequestBands>,
}

/// The picture's data from the summaries, as `export::etviz::render` orders them.
pub fn request_picture(summaries: Vec<TreeSummary>) -> RequestPicture {
    let mut sums = drop_background_reads(summaries);
    sums.sort_by_key(|s| s.root.start_ns);
    let requests = sums
        .iter()
        .map(|s| {
            let mut spans = Vec::new();
            visit(&s.root, &mut |sp| spans.push(Band::of(sp)));
            RequestBands { length_ns: s.length_ns, total_run_ns: s.total_run_ns, flat: Band::of(&s.flat), spans }
        })
        .collect();
    RequestPicture { requests }
}

/// The requests view's bands (see [`RequestPicture`]), as JSON.
#[wasm_bindgen]
pub fn request_bands(bytes: &[u8]) -> Result<ToolboxOutput, JsError> {
    let (req, warning) = infer_requests(bytes).map_err(|e| JsError::new(&e))?;
    let json = serde_json::to_string(&request_picture(req.summaries())).map_err(|e| JsError::new(&e.to_string()))?;
    Ok(ToolboxOutput { json, warning })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(path: &str) -> Vec<u8> {
        std::fs::read(format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn webstack_has_requests_with_bands() {
        let (req, warning) = infer_requests(&fixture("testdata/oracle/toolbox/traces/go1.27/webstack.trace")).unwrap();
        assert!(warning.is_none());
        let pic = request_picture(req.summaries());
        assert!(!pic.requests.is_empty());
        // Every request's root span is its first detail band, and some goroutine ran.
        for r in &pic.requests {
            assert_eq!(r.spans[0].start_ns, r.flat.start_ns);
        }
        assert!(pic.requests.iter().any(|r| !r.flat.running.is_empty()));
    }

    #[test]
    fn states_of_a_fixture_have_edges() {
        let (g, _) = state_graph(&fixture("testdata/fixtures/go1.27/http.trace")).unwrap();
        assert!(g.nodes.len() > 2 && !g.edges.is_empty());
    }

    #[test]
    fn not_a_trace_is_the_readers_message() {
        assert!(state_graph(b"hello").is_err());
        assert!(infer_requests(b"hello").is_err());
    }
}
