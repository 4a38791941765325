//! The timeline's view (which span of the trace, zoom and pan) and its lanes:
//! Ps and the busiest goroutines, as running time per bucket, answered by
//! `sql/tui/timeline.sql` on the trace's database.

use schedstat_query::QueryResult;

use crate::data::{Purpose, Query};

const TIMELINE_SQL: &str = include_str!("../../../sql/tui/timeline.sql");

/// Goroutine lanes shown under the Ps.
pub const GOROUTINE_LANES: i64 = 12;

/// Which part of the trace the timeline shows (absolute ns).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    /// The trace's first event.
    pub start: i64,
    /// The trace's last event.
    pub end: i64,
    /// The view's start.
    pub from: i64,
    /// The view's end.
    pub to: i64,
}

/// The narrowest view: 10 µs (finer buckets than 1 ns say nothing).
const MIN_SPAN: i64 = 10_000;

impl View {
    /// The whole trace.
    pub fn whole(start: i64, end: i64) -> Self {
        let end = end.max(start + 1);
        View { start, end, from: start, to: end }
    }

    /// Halves the span around its middle (`+`, `w`).
    pub fn zoom_in(&mut self) {
        let span = ((self.to - self.from) / 2).max(MIN_SPAN.min(self.end - self.start));
        let mid = self.from + (self.to - self.from) / 2;
        self.set(mid - span / 2, span);
    }

    /// Doubles the span around its middle (`-`, `s`), at most the whole trace.
    pub fn zoom_out(&mut self) {
        let span = (self.to - self.from).saturating_mul(2).min(self.end - self.start);
        let mid = self.from + (self.to - self.from) / 2;
        self.set(mid - span / 2, span);
    }

    /// Moves by `frac` of the span (negative: earlier), staying in the trace.
    pub fn pan(&mut self, frac: f64) {
        let span = self.to - self.from;
        let by = (span as f64 * frac) as i64;
        self.set(self.from + by, span);
    }

    fn set(&mut self, from: i64, span: i64) {
        let from = from.clamp(self.start, self.end - span);
        self.from = from;
        self.to = from + span;
    }

    /// The query for this view's lanes in `buckets` columns.
    pub fn query(&self, buckets: i64) -> Query {
        let buckets = buckets.max(1);
        let width = ((self.to - self.from) + buckets - 1) / buckets;
        let sql = schedstat_report::sql::bind(
            TIMELINE_SQL,
            &[
                ("from", self.from),
                ("to", self.to),
                ("width", width.max(1)),
                ("buckets", buckets),
                ("goroutines", GOROUTINE_LANES),
            ],
        );
        Query { purpose: Purpose::Timeline { from: self.from, to: self.to, buckets }, sql }
    }
}

/// One row of the timeline: a P or a goroutine.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    /// `P3` or `G42`.
    pub name: String,
    /// Running ns per bucket.
    pub busy_ns: Vec<i64>,
}

/// The timeline's answer as lanes (Ps first, then goroutines by id).
pub fn lanes(result: &QueryResult, buckets: usize) -> Vec<Lane> {
    let mut out: Vec<Lane> = Vec::new();
    let mut key = None;
    for row in &result.rows {
        let (Some(kind), Some(id), Some(bucket), Some(busy)) =
            (row[0].as_i64(), row[1].as_i64(), row[2].as_i64(), row[3].as_i64())
        else {
            continue;
        };
        if key != Some((kind, id)) {
            key = Some((kind, id));
            let name = if kind == 0 { format!("P{id}") } else { format!("G{id}") };
            out.push(Lane { name, busy_ns: vec![0; buckets] });
        }
        if let (Some(lane), Ok(b)) = (out.last_mut(), usize::try_from(bucket)) {
            if b < buckets {
                lane.busy_ns[b] = busy;
            }
        }
    }
    out
}

/// The block character for a bucket that was busy `busy` of `width` ns.
pub fn block(busy: i64, width: i64) -> char {
    if busy <= 0 || width <= 0 {
        return ' ';
    }
    let f = busy as f64 / width as f64;
    match f {
        f if f < 0.25 => '░',
        f if f < 0.5 => '▒',
        f if f < 0.75 => '▓',
        _ => '█',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoom_and_pan_stay_inside_the_trace() {
        let mut v = View::whole(1_000, 1_000_001_000);
        v.zoom_in();
        assert_eq!(v.to - v.from, 500_000_000);
        v.pan(-10.0);
        assert_eq!(v.from, 1_000);
        v.pan(10.0);
        assert_eq!(v.to, 1_000_001_000);
        v.zoom_out();
        v.zoom_out();
        assert_eq!((v.from, v.to), (1_000, 1_000_001_000));
    }

    #[test]
    fn blocks_grow_with_use() {
        assert_eq!(block(0, 100), ' ');
        assert_eq!(block(10, 100), '░');
        assert_eq!(block(60, 100), '▓');
        assert_eq!(block(100, 100), '█');
    }
}
