//! The scheduling-latency summary the report opens with, computed while
//! reading, without a database: the page shows it before DuckDB-WASM has
//! the tables. It must equal `sql/report/latency_summary.sql` run over
//! `g_transitions` to the last bit (tests compare them on every fixture), so
//! it follows DuckDB's arithmetic: `avg` divides the exact sum, and
//! `quantile_cont` interpolates between the two nearest ranks.

use gotrace::{Event, EventKind, GoState, Transition};
use serde::Serialize;

use crate::GoroutineClock;

/// Scheduling latency statistics (runnable → running), as
/// `latency_summary.sql` computes them: the report's and diff's `latency`,
/// and the page's quick summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Latency {
    /// Number of waits.
    pub count: i64,
    /// Shortest wait, ns.
    pub min_ns: f64,
    /// Mean wait, ns.
    pub avg_ns: f64,
    /// Median wait, ns (linear interpolation, like SQL's PERCENTILE_CONT).
    pub p50_ns: f64,
    /// 90th percentile, ns.
    pub p90_ns: f64,
    /// 99th percentile, ns.
    pub p99_ns: f64,
    /// Longest wait, ns.
    pub max_ns: f64,
}

/// Every runnable → running wait, as `latency_summary.sql` reports them:
/// the statistics and the span they cover.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LatencySummary {
    /// The statistics.
    pub latency: Latency,
    /// When the first wait began (the report's window origin), trace ns.
    pub t0_ns: i64,
    /// When the last wait ended, trace ns.
    pub end_ns: i64,
}

/// Collects waits event by event; feed it every event in reader order.
#[derive(Default)]
pub struct LatencyCollector {
    clock: GoroutineClock,
    waits: Vec<i64>,
    t0_ns: Option<i64>,
    end_ns: i64,
}

impl LatencyCollector {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one event (only goroutine state transitions matter).
    pub fn add(&mut self, ev: &Event<'_>) {
        if ev.kind() != EventKind::StateTransition {
            return;
        }
        let Some(st) = ev.state_transition() else { return };
        let Transition::Goroutine { id, from, to } = st.transition else { return };
        let time = ev.time();
        let waited = self.clock.since_last(id, time);
        if from == GoState::Runnable && to == GoState::Running {
            self.waits.push(waited);
            let start = time - waited;
            self.t0_ns = Some(self.t0_ns.map_or(start, |t| t.min(start)));
            self.end_ns = self.end_ns.max(time);
        }
    }

    /// Goroutines with a state transition so far (`select count(*) from goroutines`).
    pub fn goroutines(&self) -> usize {
        self.clock.goroutines()
    }

    /// The summary; `None` when the trace has no runnable → running wait.
    pub fn finish(mut self) -> Option<LatencySummary> {
        let n = self.waits.len();
        if n == 0 {
            return None;
        }
        self.waits.sort_unstable();
        let w = &self.waits;
        let sum: i128 = w.iter().map(|&x| x as i128).sum();
        Some(LatencySummary {
            latency: Latency {
                count: n as i64,
                min_ns: w[0] as f64,
                avg_ns: sum as f64 / n as f64,
                p50_ns: quantile_cont(w, 0.5),
                p90_ns: quantile_cont(w, 0.9),
                p99_ns: quantile_cont(w, 0.99),
                max_ns: w[n - 1] as f64,
            },
            t0_ns: self.t0_ns.unwrap_or(0),
            end_ns: self.end_ns,
        })
    }
}

/// DuckDB's `quantile_cont` over sorted values: the rank `(n - 1) * q`,
/// interpolated between its floor and ceiling as DuckDB does for doubles,
/// `lo * (1 - frac) + hi * frac` (not `lo + (hi - lo) * frac`, which can
/// differ in the last bit).
fn quantile_cont(sorted: &[i64], q: f64) -> f64 {
    let rn = (sorted.len() - 1) as f64 * q;
    let (frn, crn) = (rn.floor(), rn.ceil());
    let lo = sorted[frn as usize] as f64;
    if frn == crn {
        return lo;
    }
    let hi = sorted[crn as usize] as f64;
    let d = rn - frn;
    lo * (1.0 - d) + hi * d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_like_duckdb() {
        // select quantile_cont(x::bigint, [0.5, 0.9, 0.99]) from (values (1),(2),(3),(10)) t(x)
        // = [2.5, 7.900000000000001, 9.79] in DuckDB 1.5 (the other formula gives 7.9).
        let v = [1, 2, 3, 10];
        assert_eq!(quantile_cont(&v, 0.5), 2.5);
        assert_eq!(quantile_cont(&v, 0.9), 7.900000000000001);
        assert_eq!(quantile_cont(&v, 0.99), 9.79);
        assert_eq!(quantile_cont(&[7], 0.99), 7.0);
    }
}
