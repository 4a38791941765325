//! `schedstat requests` (regiongraph): requests inferred from what goroutines
//! do, with no instrumentation in the program.
//!
//! 1. [`events`]: every goroutine's events as Go 1.21's reader gave them to
//!    regiongraph (from either trace format).
//! 2. [`regions`]: on each goroutine, runs of events doing one kind of work
//!    (an HTTP round trip, a DNS lookup, …), found by the kinds of a pattern
//!    file ([`patterns`]; the built-in one is regiongraph's matchers), then
//!    connected across goroutines: a goroutine woken or created by another
//!    takes on the waker's reasons, so a dial works for the round trip that
//!    asked for it, and that for the inbound request that made it.
//! 3. [`spans`]: each root reason's tree of spans, as regiongraph's JSON
//!    (which etviz draws), and its summary.

pub mod events;
pub mod patterns;
pub mod regions;
pub mod spans;

use std::collections::{HashMap, HashSet};

use events::{GoroutineEvents, NONE};
use patterns::Patterns;
use regions::{Connected, Region};
use spans::{Span, TreeSummary};

/// Everything regiongraph prints, computed once.
pub struct Requests {
    data: GoroutineEvents,
    patterns: Patterns,
    regions: Vec<Region>,
    connected: Connected,
    root_func: HashMap<u64, String>,
}

impl Requests {
    /// Finds and connects the regions.
    pub fn new(data: GoroutineEvents, patterns: Patterns) -> Requests {
        let regions = regions::find_regions(&data, &patterns);
        let connected = regions::connect(&data, &patterns, &regions);
        let root_func = spans::root_funcs(&data);
        Requests { data, patterns, regions, connected, root_func }
    }

    /// `-show-regions`: `KIND(g=G@START-END)` per region, goroutine by goroutine.
    pub fn region_lines(&self) -> Vec<String> {
        self.regions
            .iter()
            .map(|r| {
                let a = &self.data.events[r.first_event(&self.data) as usize];
                let b = &self.data.events[r.last_event(&self.data) as usize];
                format!("{}(g={}@{}-{})", self.patterns.kinds[r.kind as usize].name, a.g, a.ts, b.ts)
            })
            .collect()
    }

    /// One reason as regiongraph names it: `KIND(g=G@START-END)` for a
    /// region, `ROOTFUNC(g=G@START)` for work done for another goroutine.
    fn node_string(&self, n: u32) -> String {
        if n == NONE {
            return "<nil>".into();
        }
        let node = self.connected.nodes[n as usize];
        let start = &self.data.events[node.start as usize];
        let mut name = self.root_func.get(&start.g).map(String::as_str).unwrap_or("");
        let mut end = String::new();
        if node.local != NONE {
            let r = &self.regions[node.local as usize];
            name = &self.patterns.kinds[r.kind as usize].name;
            end = format!("-{}", self.data.events[r.last_event(&self.data) as usize].ts);
        }
        format!("{name}(g={}@{}{end})", start.g, start.ts)
    }

    /// `-show-chains`: each reason some event had, root first (in the order
    /// first seen; regiongraph's order is Go's map order).
    pub fn chain_lines(&self) -> Vec<String> {
        spans::first_seen(&self.connected)
            .into_iter()
            .map(|s| {
                let mut line: Vec<String> = self.connected.chain(s).map(|n| self.node_string(n)).collect();
                line.reverse();
                line.join(" ")
            })
            .collect()
    }

    /// `-show-pairs`: each (cause, effect) link once, `<nil>` causing roots.
    pub fn pair_lines(&self) -> Vec<String> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for s in spans::first_seen(&self.connected) {
            let mut prev = NONE;
            for t in self.connected.chain(s) {
                if prev != NONE && seen.insert((t, prev)) {
                    out.push(format!("{} {}", self.node_string(t), self.node_string(prev)));
                }
                prev = t;
            }
            if seen.insert((NONE, prev)) {
                out.push(format!("{} {}", self.node_string(NONE), self.node_string(prev)));
            }
        }
        out
    }

    /// The span trees (`-json`), by start time, one at a time.
    pub fn each_span(&self, each: impl FnMut(Span)) {
        spans::extract(&self.data, &self.patterns, &self.regions, &self.connected, &self.root_func, each)
    }

    /// The trees' summaries (`-json -summarize`), one at a time.
    pub fn each_summary(&self, mut each: impl FnMut(TreeSummary)) {
        self.each_span(|s| each(spans::summarize(s)))
    }

    /// Each request as one line of regiongraph's JSON (`summarize`: its
    /// summary, etviz's input), escaped as Go's `json.Marshal` escapes, so the
    /// CLI's and the page's lines compare equal with regiongraph's. Every line
    /// is offered; the first serialization error is returned at the end.
    pub fn each_json_line(&self, summarize: bool, mut each: impl FnMut(&str)) -> Result<(), serde_json::Error> {
        let mut failed = None;
        let mut line = |v: serde_json::Result<String>| match v {
            Ok(s) => each(&go_json(s)),
            Err(e) => {
                failed.get_or_insert(e);
            }
        };
        if summarize {
            self.each_summary(|s| line(serde_json::to_string(&s)));
        } else {
            self.each_span(|s| line(serde_json::to_string(&s)));
        }
        failed.map_or(Ok(()), Err)
    }

    /// All the summaries (what etviz draws).
    pub fn summaries(&self) -> Vec<TreeSummary> {
        let mut out = Vec::new();
        self.each_summary(|s| out.push(s));
        out
    }

    /// How many regions of each kind, in the pattern file's order.
    pub fn kind_counts(&self) -> Vec<(String, usize)> {
        let mut n = vec![0usize; self.patterns.kinds.len()];
        for r in &self.regions {
            n[r.kind as usize] += 1;
        }
        self.patterns.kinds.iter().map(|k| k.name.clone()).zip(n).collect()
    }
}

/// Go's `json.Marshal` escapes these inside strings.
fn go_json(s: String) -> String {
    if !s.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return s;
    }
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}
