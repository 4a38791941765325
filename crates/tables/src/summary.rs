//! What a first screen shows before any table exists: one quick pass over
//! the events (the reader alone, no table building) gives the scheduling
//! latency, the event count, the time span and how many goroutines and Ps
//! the trace has. The web page shows it while DuckDB-WASM loads, and
//! `schedstat tui` while DuckDB and the analyses load; both feed this
//! collector, so neither keeps a copy of the arithmetic.

use gotrace::table::IdMap;
use gotrace::{Event, EventKind, Transition};

use crate::{LatencyCollector, LatencySummary};

/// The quick pass's figures; each equals what the tables give once loaded
/// (tests compare them on every fixture).
#[derive(Debug, Clone, PartialEq)]
pub struct QuickSummary {
    /// `latency_summary.sql`'s answer; `None` when the trace has no runnable → running wait.
    pub latency: Option<LatencySummary>,
    /// Events read (`trace_info.events`).
    pub events: u64,
    /// Time of the first event of any kind, Sync included (the reader's
    /// start, as `schedstat leaks`, `gc` and `stats` count the span), ns.
    pub start_ns: i64,
    /// Time of the first event that is not a Sync (`trace_info.first_time_ns`), ns.
    pub first_time_ns: i64,
    /// Time of the last event (`trace_info.last_time_ns`), ns.
    pub last_time_ns: i64,
    /// Goroutines with a state transition: `select count(*) from goroutines`.
    pub goroutines: usize,
    /// Ps with a state transition: `select count(*) from procs` (the report's `procs`).
    pub procs: usize,
    /// When the trace was cut or damaged after a complete generation: the
    /// reader's one-line message (the events before it are counted).
    pub warning: Option<String>,
}

/// Collects a [`QuickSummary`] event by event; feed it every event in reader order.
#[derive(Default)]
pub struct SummaryCollector {
    latency: LatencyCollector,
    procs: IdMap<i64, ()>,
    events: u64,
    start: Option<i64>,
    first: Option<i64>,
    last: i64,
}

impl SummaryCollector {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one event.
    pub fn add(&mut self, ev: &Event<'_>) {
        let t = ev.time();
        self.events += 1;
        self.last = t;
        self.start.get_or_insert(t);
        if self.first.is_none() && ev.kind() != EventKind::Sync {
            self.first = Some(t);
        }
        if ev.kind() != EventKind::StateTransition {
            return;
        }
        // Every proc transition is a `p_transitions` row, so its P is one of `procs`.
        if let Some(Transition::Proc { id, .. }) = ev.state_transition().map(|st| st.transition) {
            self.procs.insert(id, ());
        }
        self.latency.add(ev);
    }

    /// Events taken so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The summary, with the reader's `warning` if it stopped early.
    pub fn finish(self, warning: Option<String>) -> QuickSummary {
        QuickSummary {
            goroutines: self.latency.goroutines(),
            latency: self.latency.finish(),
            events: self.events,
            start_ns: self.start.unwrap_or(0),
            first_time_ns: self.first.unwrap_or(0),
            last_time_ns: self.last,
            procs: self.procs.len(),
            warning,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TableBuilder;
    use std::collections::HashSet;

    /// The quick pass's counts are the tables' (`goroutines` and `procs` views
    /// count the distinct IDs of the transition tables), old format included.
    #[test]
    fn counts_equal_the_tables() {
        for (v, name) in [("go1.27", "storm"), ("go1.27", "multigen"), ("go1.22", "gc"), ("go1.21", "cpuhog"), ("go1.19", "http")] {
            let path = format!("{}/../../testdata/fixtures/{v}/{name}.trace", env!("CARGO_MANIFEST_DIR"));
            let bytes = std::fs::read(&path).unwrap();
            let mut reader = gotrace::Reader::new(&bytes).unwrap();
            let (mut quick, mut tables) = (SummaryCollector::new(), TableBuilder::new());
            let mut start = None;
            while let Some(ev) = reader.read_event().unwrap() {
                start.get_or_insert(ev.time());
                quick.add(&ev);
                tables.add(&ev);
            }
            let (q, t) = (quick.finish(None), tables.finish());
            let gs: HashSet<_> = t.g_transitions.g.iter().collect();
            let ps: HashSet<_> = t.p_transitions.p.iter().collect();
            assert_eq!((q.goroutines, q.procs), (gs.len(), ps.len()), "{path}");
            assert_eq!((q.events, q.first_time_ns, q.last_time_ns), (t.events, t.first_time_ns, t.last_time_ns), "{path}");
            assert_eq!(Some(q.start_ns), start, "{path}");
            assert!(q.goroutines > 1 && q.procs >= 1, "{path}");
        }
    }
}
