//! The timeline's view (which span of the trace, zoom and pan) and its lanes:
//! Ps and the busiest goroutines, as running time per bucket.
//!
//! The lanes come from memory, not from a query per key press: [`RunsBuilder`]
//! takes the `g_transitions` rows while the trace loads (the very rows the
//! database gets) and [`Runs`] keeps each lane's running stretches sorted,
//! with a running sum of their lengths. Any bucket's busy time is then the
//! difference of two cumulative sums found by binary search, so a view costs
//! O(lanes × buckets × log runs) however much of the trace it shows (a
//! query over the whole trace took a second on a 30 MB trace). The answer is
//! `sql/tui/timeline.sql`'s to the nanosecond, including its edges (a run
//! counts in the view's last bucket past `to` only if it began before `to`);
//! `crates/cli/tests/tui.rs` compares the two on fixtures.

use schedstat_tables::GTransitions;

/// Goroutine lanes shown under the Ps.
pub const GOROUTINE_LANES: usize = 12;

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

    /// This view cut into `buckets` columns.
    pub fn grid(&self, buckets: usize) -> Grid {
        let buckets = buckets.max(1) as i64;
        let width = ((self.to - self.from) + buckets - 1) / buckets;
        Grid { from: self.from, to: self.to, buckets, width: width.max(1) }
    }
}

/// A view cut into equal buckets: bucket `b` is `[from + b·width, from + (b+1)·width)`,
/// `width` the span divided by the buckets, rounded up (the last bucket may end past `to`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    /// The view's start (absolute ns).
    pub from: i64,
    /// The view's end (absolute ns).
    pub to: i64,
    /// Columns.
    pub buckets: i64,
    /// ns per column.
    pub width: i64,
}

impl Grid {
    fn edge(&self, b: i64) -> i64 {
        self.from + b * self.width
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

/// Collects running stretches from `g_transitions` rows as the trace loads.
#[derive(Default)]
pub struct RunsBuilder {
    /// (P, start, end) of runs on a P.
    on_procs: Vec<(i64, i64, i64)>,
    /// (goroutine, start, end).
    of_goroutines: Vec<(i64, i64, i64)>,
}

impl RunsBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes a chunk of `g_transitions` rows: each `running` row is a run
    /// ending at `end_time_ns` after `duration_ns`, on its `src_p`.
    pub fn add(&mut self, t: &GTransitions) {
        for i in 0..t.g.len() {
            if t.from_state[i] != schedstat_tables::State::Running {
                continue;
            }
            let (end, start) = (t.end_time_ns[i], t.end_time_ns[i] - t.duration_ns[i]);
            if let Some(p) = t.src_p[i] {
                self.on_procs.push((p, start, end));
            }
            if let Some(g) = t.g[i] {
                self.of_goroutines.push((g, start, end));
            }
        }
    }

    /// The index.
    pub fn finish(self) -> Runs {
        Runs { procs: LaneSet::new(self.on_procs), goroutines: LaneSet::new(self.of_goroutines) }
    }
}

/// Every lane's runs, indexed for [`Runs::lanes`].
#[derive(Debug, Default)]
pub struct Runs {
    procs: LaneSet,
    goroutines: LaneSet,
}

impl Runs {
    /// The lanes of `grid`: every P that ran in it, then the `goroutines`
    /// goroutines that ran longest in `[from, to)` (ties: lower ID first),
    /// each by ID.
    pub fn lanes(&self, grid: &Grid, goroutines: usize) -> Vec<Lane> {
        let mut out: Vec<Lane> = (0..self.procs.ids.len())
            .filter_map(|l| self.procs.busy(l, grid).map(|b| Lane { name: format!("P{}", self.procs.ids[l]), busy_ns: b }))
            .collect();
        let mut top: Vec<(i64, i64, usize)> = (0..self.goroutines.ids.len())
            .filter_map(|l| self.goroutines.total(l, grid.from, grid.to).map(|t| (-t, self.goroutines.ids[l], l)))
            .collect();
        if top.len() > goroutines {
            top.select_nth_unstable(goroutines);
            top.truncate(goroutines);
        }
        top.sort_unstable_by_key(|&(_, id, _)| id);
        for (_, id, l) in top {
            if let Some(b) = self.goroutines.busy(l, grid) {
                out.push(Lane { name: format!("G{id}"), busy_ns: b });
            }
        }
        out
    }
}

/// Lanes of one kind, their runs sorted by (start, end) in one flat array.
#[derive(Debug, Default)]
struct LaneSet {
    /// Lane IDs, ascending.
    ids: Vec<i64>,
    /// Lane `l`'s runs are `offsets[l]..offsets[l + 1]`.
    offsets: Vec<usize>,
    /// Run starts.
    starts: Vec<i64>,
    /// Running sum of run lengths within the lane, through this run.
    through: Vec<i64>,
    /// The lane's latest run end.
    last_end: Vec<i64>,
    /// The lane's longest run.
    longest: Vec<i64>,
    /// Runs overlap or are empty: summed run by run, as the SQL does
    /// (never seen in a real trace; kept exact all the same).
    irregular: Vec<bool>,
}

impl LaneSet {
    fn new(mut runs: Vec<(i64, i64, i64)>) -> LaneSet {
        runs.sort_unstable();
        let mut s = LaneSet {
            starts: Vec::with_capacity(runs.len()),
            through: Vec::with_capacity(runs.len()),
            ..LaneSet::default()
        };
        let mut prev: Option<(i64, i64)> = None;
        for (id, start, end) in runs {
            if prev.map(|(p, _)| p) != Some(id) {
                s.ids.push(id);
                s.offsets.push(s.starts.len());
                s.last_end.push(end);
                s.longest.push(0);
                s.irregular.push(false);
                prev = None;
            }
            let l = s.ids.len() - 1;
            let before = prev.map_or(0, |_| *s.through.last().unwrap_or(&0));
            s.irregular[l] |= end <= start || prev.is_some_and(|(_, prev_end)| prev_end > start);
            s.starts.push(start);
            s.through.push(before + (end - start));
            s.last_end[l] = s.last_end[l].max(end);
            s.longest[l] = s.longest[l].max(end - start);
            prev = Some((id, end));
        }
        s.offsets.push(s.starts.len());
        s
    }

    fn end(&self, lo: usize, i: usize) -> i64 {
        self.starts[i] + self.through[i] - if i > lo { self.through[i - 1] } else { 0 }
    }

    /// Running ns of runs `lo..k` before `t` (a regular lane's runs end in order).
    fn ran_before(&self, lo: usize, k: usize, t: i64) -> i64 {
        let m = lo + partition(k - lo, |i| self.end(lo, lo + i) <= t);
        let done = if m > lo { self.through[m - 1] } else { 0 };
        let partial = if m < k && self.starts[m] < t { t - self.starts[m] } else { 0 };
        done + partial
    }

    /// Runs of lane `l` in the view (ending after `from`, starting before `to`),
    /// as index ranges: the lane's bounds and the first run starting at or after `to`.
    fn bounds(&self, l: usize, to: i64) -> (usize, usize, usize) {
        let (lo, hi) = (self.offsets[l], self.offsets[l + 1]);
        (lo, hi, lo + partition(hi - lo, |i| self.starts[lo + i] < to))
    }

    /// Running ns of lane `l` in `[from, to)`, `None` when no run of it is in that view.
    fn total(&self, l: usize, from: i64, to: i64) -> Option<i64> {
        let (lo, hi) = (self.offsets[l], self.offsets[l + 1]);
        if self.starts[lo] >= to || self.last_end[l] <= from {
            return None;
        }
        if from <= self.starts[lo] && self.last_end[l] <= to && !self.irregular[l] {
            return Some(self.through[hi - 1]);
        }
        let (_, _, k) = self.bounds(l, to);
        if self.irregular[l] {
            let runs = self.in_view(l, from, to);
            let mut any = false;
            let total = runs.map(|(s, e)| {
                any = true;
                e.min(to) - s.max(from)
            });
            let total: i64 = total.sum();
            return any.then_some(total);
        }
        let ended = partition(k - lo, |i| self.end(lo, lo + i) <= from);
        (k - lo > ended).then(|| self.ran_before(lo, k, to) - self.ran_before(lo, k, from))
    }

    /// Lane `l`'s runs (start, end) that end after `from` and start before `to`.
    fn in_view(&self, l: usize, from: i64, to: i64) -> impl Iterator<Item = (i64, i64)> + '_ {
        let (lo, _, k) = self.bounds(l, to);
        let first = lo + partition(k - lo, |i| self.starts[lo + i] < from - self.longest[l]);
        (first..k).map(move |i| (self.starts[i], self.end(lo, i))).filter(move |&(_, e)| e > from)
    }

    /// Lane `l`'s running ns per bucket of `g`, `None` when the SQL would give it no row.
    fn busy(&self, l: usize, g: &Grid) -> Option<Vec<i64>> {
        let mut busy = vec![0i64; g.buckets as usize];
        if self.irregular[l] {
            // Each run spread over the buckets it touches, as `timeline.sql` does.
            let mut any = false;
            for (s, e) in self.in_view(l, g.from, g.to) {
                let first = ((s - g.from) / g.width).max(0);
                let last = ((e - 1 - g.from) / g.width).min(g.buckets - 1);
                for b in first..=last {
                    any = true;
                    busy[b as usize] += e.min(g.edge(b + 1)) - s.max(g.edge(b));
                }
            }
            return any.then_some(busy);
        }
        let (lo, _, k) = self.bounds(l, g.to);
        if k == lo || self.end(lo, k - 1) <= g.from {
            return None;
        }
        let mut before = self.ran_before(lo, k, g.from);
        for (b, out) in busy.iter_mut().enumerate() {
            let upto = self.ran_before(lo, k, g.edge(b as i64 + 1));
            *out = upto - before;
            before = upto;
        }
        Some(busy)
    }
}

/// The number of leading indices in `0..n` for which `pred` holds (it must
/// hold for a prefix): a binary search over computed values.
fn partition(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
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

    /// Each run spread over the buckets it touches, the SQL's way, for checking the index.
    fn spread(runs: &[(i64, i64, i64)], id: i64, g: &Grid) -> Option<Vec<i64>> {
        let mut busy = vec![0; g.buckets as usize];
        let mut any = false;
        for &(_, s, e) in runs.iter().filter(|r| r.0 == id && r.2 > g.from && r.1 < g.to) {
            let first = ((s - g.from) / g.width).max(0);
            let last = ((e - 1 - g.from) / g.width).min(g.buckets - 1);
            for b in first..=last {
                any = true;
                busy[b as usize] += e.min(g.edge(b + 1)) - s.max(g.edge(b));
            }
        }
        any.then_some(busy)
    }

    #[test]
    fn sums_equal_spreading_each_run() {
        // Lane 1 regular, lane 2 with overlapping and empty runs (summed run by run).
        let runs = vec![(1, 0, 7), (1, 9, 30), (1, 31, 32), (1, 40, 95), (2, 5, 50), (2, 10, 20), (2, 60, 60), (2, 61, 99)];
        let set = LaneSet::new(runs.clone());
        assert_eq!(set.irregular, vec![false, true]);
        for (from, to, buckets) in [(0, 100, 7), (3, 97, 10), (8, 9, 3), (31, 33, 1), (32, 61, 4), (0, 100, 100), (96, 100, 3)] {
            let g = View { start: 0, end: 100, from, to }.grid(buckets);
            for (l, id) in [(0, 1), (1, 2)] {
                assert_eq!(set.busy(l, &g), spread(&runs, id, &g), "lane {id}, {g:?}");
                let want = runs.iter().filter(|r| r.0 == id && r.2 > from && r.1 < to).map(|r| r.2.min(to) - r.1.max(from));
                let want: Vec<i64> = want.collect();
                assert_eq!(set.total(l, from, to), (!want.is_empty()).then(|| want.iter().sum()), "lane {id}, {from}..{to}");
            }
        }
    }
}
