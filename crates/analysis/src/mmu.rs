//! Minimum mutator utilization (MMU), computed as `go tool trace`'s /mmu page
//! computes it (Go's internal/trace/gc.go and traceviewer/mmu.go).
//!
//! Why a faithful re-implementation rather than a simpler formula: the MMU is
//! a minimum over windows, and Go finds it with a banded search whose
//! worst-window list depends on the order bands are refined and on how
//! overlapping windows replace each other in a heap. To list the *same* worst
//! windows and the *same* curve values (bit for bit) as Go, the utilization
//! function, the band summaries, the heap discipline and the float operations
//! follow Go's, step by step.
//!
//! Two numeric details matter for bit equality with Go on amd64: Go's
//! `math.Exp` and `math.Log` are assembly routines whose results can differ in
//! the last bit from the C library's, and the plot's window sizes are
//! `Duration(math.Exp(..))`, truncated. [`go_exp`] and [`go_log`] reproduce
//! those routines (Exp has two variants, chosen by Go at run time by whether
//! the CPU has FMA; the caller says which with `fma`).

use gotrace::table::{IdMap, IdSet};
use gotrace::goheap;
use gotrace::{Event, EventKind, GoId, GoState, RangeName, Resource, Transition};
use serde::Serialize;

/// Which kinds of GC work count against the mutator (Go's `UtilFlags`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct UtilFlags {
    /// GC stop-the-world pauses stop every P (`stop-the-world (..GC..)` ranges).
    pub stw: bool,
    /// Background mark workers (goroutines labelled "GC (dedicated)", "GC (fractional)").
    pub background: bool,
    /// Mark assists (`GC mark assist` ranges while the goroutine runs).
    pub assist: bool,
    /// Incremental sweeping (`GC incremental sweep` ranges).
    pub sweep: bool,
    /// One utilization function per P instead of one for the whole system.
    pub per_proc: bool,
}

impl UtilFlags {
    /// What go tool trace's /mmu page plots when opened: view "System", with
    /// STW, background workers and mark assists included, sweep excluded.
    pub const PAGE_DEFAULT: UtilFlags =
        UtilFlags { stw: true, background: true, assist: true, sweep: false, per_proc: false };

    /// Parses a comma-separated list of `stw`, `background`, `assist`,
    /// `sweep`, `perproc` (Go's page names `perProc` and `system` are accepted
    /// too; `system` means "not per-proc").
    pub fn parse(s: &str) -> Result<UtilFlags, String> {
        let mut f = UtilFlags { stw: false, background: false, assist: false, sweep: false, per_proc: false };
        for part in s.split([',', '|']).map(str::trim).filter(|p| !p.is_empty()) {
            match part.to_ascii_lowercase().as_str() {
                "stw" => f.stw = true,
                "background" => f.background = true,
                "assist" => f.assist = true,
                "sweep" => f.sweep = true,
                "perproc" | "per-proc" => f.per_proc = true,
                "system" => {}
                _ => return Err(format!("unknown MMU flag '{part}': use stw, background, assist, sweep, perproc")),
            }
        }
        Ok(f)
    }

    /// The flags as Go's /mmu page spells them in its `flags=` query.
    pub fn go_query(&self) -> String {
        let mut v = vec![if self.per_proc { "perProc" } else { "system" }];
        for (on, name) in
            [(self.stw, "stw"), (self.background, "background"), (self.assist, "assist"), (self.sweep, "sweep")]
        {
            if on {
                v.push(name);
            }
        }
        v.join("|")
    }
}

/// How background mark workers are booked.
///
/// Go's /mmu books a worker's P as busy once when the worker's label event
/// ("GC (dedicated)", "GC (fractional)") arrives *and* once more each time the
/// worker starts running, but releases it only once when it stops. The runtime
/// emits the label every time a worker is scheduled, so every worker run
/// leaves its P counted as busy forever: after a few GC cycles every P is
/// "in GC", utilization is 0 until the trace ends, and Go's curve only
/// reflects the trace's first GC cycles. [`WorkerModel::Go`] reproduces this
/// (it is what go tool trace shows); [`WorkerModel::Fixed`] books each worker
/// run once, from its label (or start, when already labelled) until it stops,
/// and not at all while its latest label is "GC (idle)".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum WorkerModel {
    /// Exactly go tool trace's bookkeeping (the default).
    Go,
    /// One count per worker run.
    Fixed,
}

/// A change of mutator utilization: from `time` on, the mean utilization is `util` (0..=1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MutatorUtil {
    /// Trace time, ns.
    pub time: i64,
    /// Mean utilization from `time` until the next change.
    pub util: f64,
}

#[derive(Clone, Copy, Default)]
struct PerP {
    gc: i64,
    series: usize,
}

/// Builds mutator utilization functions from the event stream, one event at a
/// time (Go's `MutatorUtilizationV2`, streaming).
pub struct MutatorUtilBuilder {
    flags: UtilFlags,
    out: Vec<Vec<MutatorUtil>>,
    stw: i64,
    ps: Vec<PerP>,
    in_gc: IdSet<GoId>,
    states: IdMap<GoId, GoState>,
    bg_mark: IdSet<GoId>,
    /// Fixed worker model: goroutine → the P its background-worker run is counted on.
    worker_on: IdMap<GoId, i64>,
    /// Fixed worker model: the mode of each worker's latest label counts as GC work.
    worker_counts: IdMap<GoId, bool>,
    model: WorkerModel,
    procs: Vec<(i64, usize)>,
    n_sync: u64,
    last_time: Option<i64>,
}

fn is_gc_stw(name: &RangeName<'_>) -> bool {
    // Go: the name starts with "stop-the-world" and contains "GC".
    matches!(name, RangeName::StopTheWorld(kind) if kind.windows(2).any(|w| w == b"GC"))
}

fn add_util(util: &mut Vec<MutatorUtil>, mu: MutatorUtil) {
    if let Some(last) = util.last_mut() {
        if mu.util == last.util {
            return;
        }
        if mu.time == last.time {
            if mu.util < last.util {
                *last = mu;
            }
            return;
        }
    }
    util.push(mu);
}

impl MutatorUtilBuilder {
    /// A builder counting the GC work `flags` selects, with Go's worker model.
    pub fn new(flags: UtilFlags) -> Self {
        Self::with_model(flags, WorkerModel::Go)
    }

    /// A builder counting the GC work `flags` selects, with the given worker model.
    pub fn with_model(flags: UtilFlags, model: WorkerModel) -> Self {
        let mut b = Self::new_go(flags);
        b.model = model;
        b
    }

    fn new_go(flags: UtilFlags) -> Self {
        MutatorUtilBuilder {
            flags,
            out: Vec::new(),
            stw: 0,
            ps: Vec::new(),
            in_gc: IdSet::default(),
            states: IdMap::default(),
            bg_mark: IdSet::default(),
            worker_on: IdMap::default(),
            worker_counts: IdMap::default(),
            model: WorkerModel::Go,
            procs: Vec::new(),
            n_sync: 0,
            last_time: None,
        }
    }

    fn p_gc(&mut self, p: i64, delta: i64) {
        // Go indexes its P slice directly (and would panic on a P beyond
        // GOMAXPROCS); such events cannot come from the runtime, so skip them.
        if let Some(pp) = usize::try_from(p).ok().and_then(|i| self.ps.get_mut(i)) {
            pp.gc += delta;
        }
    }

    /// Feeds one event, in the reader's order.
    pub fn event(&mut self, ev: &Event<'_>) {
        let flags = self.flags;
        let t = ev.time();
        self.last_time = Some(t);
        match ev.kind() {
            EventKind::Sync => {
                if let Some(s) = ev.sync_info() {
                    self.n_sync = s.n;
                }
            }
            EventKind::Metric => {
                if let Some(m) = ev.metric().filter(|m| m.name == "/sched/gomaxprocs:threads") {
                    let n = m.value as usize;
                    if self.ps.len() > n {
                        if flags.per_proc {
                            for p in &self.ps[n..] {
                                add_util(&mut self.out[p.series], MutatorUtil { time: t, util: 0.0 });
                            }
                        }
                        self.ps.truncate(n);
                    }
                    while self.ps.len() < n {
                        let mut series = 0;
                        if flags.per_proc || self.out.is_empty() {
                            series = self.out.len();
                            self.out.push(vec![MutatorUtil { time: t, util: 1.0 }]);
                        }
                        self.ps.push(PerP { gc: 0, series });
                    }
                    if self.procs.last().map(|p| p.1) != Some(n) {
                        self.procs.push((t, n));
                    }
                }
            }
            _ => {}
        }
        if self.ps.is_empty() {
            return;
        }
        let handle_stw = |n: &RangeName<'_>| flags.stw && is_gc_stw(n);
        let handle_assist = |n: &RangeName<'_>| flags.assist && matches!(n, RangeName::GcMarkAssist);
        let handle_sweep = |n: &RangeName<'_>| flags.sweep && matches!(n, RangeName::GcSweep);
        let kind = ev.kind();
        match kind {
            EventKind::RangeActive | EventKind::RangeBegin => {
                let Some(r) = ev.range() else { return self.record(t) };
                if kind == EventKind::RangeActive {
                    if self.n_sync > 1 {
                        // After a full generation nothing is learnt late.
                        return self.record(t);
                    }
                    // The range has been active since the trace began: take
                    // 1/GOMAXPROCS off everything recorded so far.
                    let mut fix = handle_sweep(&r.name);
                    if handle_assist(&r.name) {
                        let executing = self.states.get(&ev.goroutine()).is_some_and(|s| s.executing());
                        fix = executing;
                    }
                    if fix && !flags.per_proc {
                        let (mut mi, mut pi) = (0, 0);
                        let out0 = &mut self.out[0];
                        while mi < out0.len() {
                            if pi + 1 < self.procs.len() && self.procs[pi + 1].0 < out0[mi].time {
                                pi += 1;
                                continue;
                            }
                            out0[mi].util -= 1.0 / self.procs[pi].1 as f64;
                            if out0[mi].util < 0.0 {
                                out0[mi].util = 0.0;
                            }
                            mi += 1;
                        }
                    }
                }
                if handle_stw(&r.name) {
                    self.stw += 1;
                } else if handle_sweep(&r.name) {
                    self.p_gc(ev.proc(), 1);
                } else if handle_assist(&r.name) {
                    self.p_gc(ev.proc(), 1);
                    if let Resource::Goroutine(g) = r.scope {
                        if g != gotrace::event::NO_GOROUTINE {
                            self.in_gc.insert(g);
                        }
                    }
                }
            }
            EventKind::RangeEnd => {
                if let Some(r) = ev.range() {
                    if handle_stw(&r.name) {
                        self.stw -= 1;
                    } else if handle_sweep(&r.name) {
                        self.p_gc(ev.proc(), -1);
                    } else if handle_assist(&r.name) {
                        self.p_gc(ev.proc(), -1);
                        if let Resource::Goroutine(g) = r.scope {
                            self.in_gc.remove(&g);
                        }
                    }
                }
            }
            EventKind::StateTransition => {
                if let Some(st) = ev.state_transition() {
                    if let Transition::Goroutine { id, from, to } = st.transition {
                        if self.model == WorkerModel::Fixed && !self.in_gc.contains(&id) {
                            if !from.executing() && to.executing() {
                                if self.worker_counts.get(&id) == Some(&true) && !self.worker_on.contains_key(&id) {
                                    self.worker_on.insert(id, ev.proc());
                                    self.p_gc(ev.proc(), 1);
                                }
                            } else if from.executing() && !to.executing() {
                                if let Some(p) = self.worker_on.remove(&id) {
                                    self.p_gc(p, -1);
                                }
                            }
                        } else if self.in_gc.contains(&id) || self.bg_mark.contains(&id) {
                            if !from.executing() && to.executing() {
                                self.p_gc(ev.proc(), 1);
                            } else if from.executing() && !to.executing() {
                                self.p_gc(ev.proc(), -1);
                            }
                        }
                        self.states.insert(id, to);
                    }
                }
            }
            EventKind::Label => {
                if let Some((label, _)) = ev.label() {
                    if self.model == WorkerModel::Fixed {
                        if flags.background {
                            let g = ev.goroutine();
                            let counts = label.starts_with(b"GC ")
                                && label != b"GC (idle)"
                                && !(flags.per_proc && label == b"GC (dedicated)");
                            self.worker_counts.insert(g, counts);
                            if counts && !self.worker_on.contains_key(&g) {
                                self.worker_on.insert(g, ev.proc());
                                self.p_gc(ev.proc(), 1);
                            } else if !counts {
                                if let Some(p) = self.worker_on.remove(&g) {
                                    self.p_gc(p, -1);
                                }
                            }
                        }
                    } else if flags.background
                        && label.starts_with(b"GC ")
                        && label != b"GC (idle)"
                        && !(flags.per_proc && label == b"GC (dedicated)")
                    {
                        self.bg_mark.insert(ev.goroutine());
                        self.p_gc(ev.proc(), 1);
                    }
                }
            }
            _ => {}
        }
        self.record(t);
    }

    fn record(&mut self, t: i64) {
        if !self.flags.per_proc {
            let gc_ps = if self.stw > 0 { self.ps.len() } else { self.ps.iter().filter(|p| p.gc > 0).count() };
            let mu = MutatorUtil { time: t, util: 1.0 - gc_ps as f64 / self.ps.len() as f64 };
            add_util(&mut self.out[0], mu);
        } else {
            for i in 0..self.ps.len() {
                let p = self.ps[i];
                let util = if self.stw > 0 || p.gc > 0 { 0.0 } else { 1.0 };
                add_util(&mut self.out[p.series], MutatorUtil { time: t, util });
            }
        }
    }

    /// The utilization functions, each ending with utilization 0 at the last
    /// event (empty if the trace had no events or no GOMAXPROCS).
    pub fn finish(mut self) -> Vec<Vec<MutatorUtil>> {
        let Some(t) = self.last_time else { return Vec::new() };
        for i in 0..self.ps.len() {
            let s = self.ps[i].series;
            add_util(&mut self.out[s], MutatorUtil { time: t, util: 0.0 });
        }
        self.out
    }
}

/// Number of bands each series is divided into (Go's `bandsPerSeries`).
const BANDS_PER_SERIES: usize = 1000;

#[derive(Clone, Copy)]
struct Band {
    min_util: f64,
    cum_util: f64,
    integrator: usize,
}

struct Series {
    util: Vec<MutatorUtil>,
    sums: Vec<f64>,
    bands: Vec<Band>,
    band_dur: i64,
}

/// Go's integrator: the position of the current time's non-strict predecessor.
#[derive(Clone, Copy)]
struct Integrator {
    pos: usize,
}

impl Integrator {
    fn advance(&mut self, s: &Series, time: i64) -> f64 {
        let util = &s.util;
        let mut pos = self.pos;
        const MAX_SEQ: usize = 8;
        if pos + MAX_SEQ < util.len() && util[pos + MAX_SEQ].time > time {
            while pos + 1 < util.len() && util[pos + 1].time <= time {
                pos += 1;
            }
        } else {
            let (mut l, mut r) = (pos, util.len());
            while l < r {
                let h = (l + r) / 2;
                if util[h].time <= time {
                    l = h + 1;
                } else {
                    r = h;
                }
            }
            pos = l.wrapping_sub(1);
        }
        self.pos = pos;
        let mut partial = 0.0;
        if time != util[pos].time {
            partial = util[pos].util * (time - util[pos].time) as f64;
        }
        s.sums[pos] + partial
    }

    fn next(&self, s: &Series, time: i64) -> i64 {
        s.util[self.pos..].iter().find(|u| u.time > time).map_or(i64::MAX, |u| u.time)
    }
}

impl Series {
    fn new(util: Vec<MutatorUtil>) -> Series {
        let mut sums = Vec::with_capacity(util.len());
        let (mut prev_t, mut prev_u, mut sum) = (0i64, 0.0f64, 0.0f64);
        for u in &util {
            sum += prev_u * (u.time - prev_t) as f64;
            sums.push(sum);
            prev_t = u.time;
            prev_u = u.util;
        }
        let num_bands = BANDS_PER_SERIES.min(util.len());
        let dur = util[util.len() - 1].time - util[0].time;
        let band_dur = ((dur + num_bands as i64 - 1) / num_bands as i64).max(1);
        let mut s = Series { util, sums, bands: Vec::new(), band_dur };
        let mut left = Integrator { pos: 0 };
        let mut bands = Vec::with_capacity(num_bands + 1);
        for i in 0..=num_bands {
            let (start, end) = s.band_time(i);
            let cum = left.advance(&s, start);
            let mut min_util = 1.0f64;
            let mut j = left.pos;
            while j < s.util.len() && s.util[j].time < end {
                min_util = min_util.min(s.util[j].util);
                j += 1;
            }
            bands.push(Band { min_util, cum_util: cum, integrator: left.pos });
        }
        s.bands = bands;
        s
    }

    fn band_time(&self, i: usize) -> (i64, i64) {
        let start = i as i64 * self.band_dur + self.util[0].time;
        (start, start + self.band_dur)
    }

    fn duration(&self) -> i64 {
        self.util[self.util.len() - 1].time - self.util[0].time
    }

    fn band_utils(&self, series: usize, window: i64, out: &mut Vec<BandUtil>) {
        let bd = self.band_dur;
        let min_bands = ((window + bd - 1) / bd) as usize;
        let max_bands = ((window + 2 * (bd - 1)) / bd) as usize;
        let tail_dur = window % bd;
        let n = (self.bands.len() + 1).saturating_sub(max_bands);
        for i in 0..n {
            let mut util = 0.0f64;
            let l = self.bands[i].min_util;
            let r1 = self.bands[i + min_bands - 1].min_util;
            let r2 = self.bands[i + max_bands - 1].min_util;
            let min_band = l.min(r1.min(r2));
            if min_bands == 1 {
                util += min_band * window as f64;
            } else {
                util += min_band * bd as f64;
                let mid = if min_band == l {
                    r1.min(r2)
                } else if min_band == r1 {
                    l.min(r2)
                } else if min_band == r2 {
                    l.min(r1)
                } else {
                    0.0
                };
                util += mid * tail_dur as f64;
            }
            if min_bands > 2 {
                util += self.bands[i + min_bands - 1].cum_util - self.bands[i + 1].cum_util;
            }
            out.push(BandUtil { series, band: i, bound: util / window as f64 });
        }
    }

    fn band_mmu(&self, band: usize, window: i64, acc: &mut Accumulator) {
        let mut left = Integrator { pos: self.bands[band].integrator };
        let mut right = left;
        let (mut time, mut end_time) = self.band_time(band);
        let util_end = self.util[self.util.len() - 1].time - window;
        if util_end < end_time {
            end_time = util_end;
        }
        loop {
            let r = right.advance(self, time + window);
            let l = left.advance(self, time);
            let mu = (r - l) / window as f64;
            if acc.add_mu(time, mu, window) {
                break;
            }
            if time == end_time {
                break;
            }
            let min_time = time + ((mu - acc.bound) * window as f64) as i64;
            let t1 = left.next(self, time);
            let t2 = right.next(self, time + window).wrapping_sub(window);
            time = if t1 < t2 { t1 } else { t2 };
            if time < min_time {
                time = min_time;
            }
            if time >= end_time {
                time = end_time;
            }
        }
    }
}

#[derive(Clone, Copy)]
struct BandUtil {
    series: usize,
    band: usize,
    bound: f64,
}

/// A window of the worst (lowest) mean mutator utilization.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UtilWindow {
    /// Start of the window, trace time in ns.
    pub time: i64,
    /// Mean mutator utilization in the window.
    pub mutator_util: f64,
}

fn util_less(a: &UtilWindow, b: &UtilWindow) -> bool {
    if a.mutator_util != b.mutator_util {
        return a.mutator_util > b.mutator_util;
    }
    a.time > b.time
}

struct Accumulator {
    mmu: f64,
    bound: f64,
    n_worst: usize,
    heap: Vec<UtilWindow>,
}

impl Accumulator {
    fn add_mu(&mut self, time: i64, mu: f64, window: i64) -> bool {
        if mu < self.mmu {
            self.mmu = mu;
        }
        self.bound = self.mmu;
        if self.n_worst == 0 {
            return mu == 0.0;
        }
        if self.heap.len() < self.n_worst || mu < self.heap[0].mutator_util {
            let mut keep = false;
            for i in 0..self.heap.len() {
                let ui = self.heap[i];
                if time + window > ui.time && ui.time + window > time {
                    if ui.mutator_util <= mu {
                        keep = true;
                    } else {
                        goheap::remove(&mut self.heap, i, &util_less);
                    }
                    break;
                }
            }
            if !keep {
                goheap::push(&mut self.heap, UtilWindow { time, mutator_util: mu }, &util_less);
                if self.heap.len() > self.n_worst {
                    goheap::pop(&mut self.heap, &util_less);
                }
            }
        }
        if self.heap.len() < self.n_worst {
            self.bound = 1.0;
        } else {
            self.bound = self.bound.max(self.heap[0].mutator_util);
        }
        self.heap.len() == self.n_worst && self.heap[0].mutator_util == 0.0
    }
}

/// The MMU curve of one or more utilization functions (Go's `MMUCurve`).
pub struct MmuCurve {
    series: Vec<Series>,
}

impl MmuCurve {
    /// Summarizes the functions from [`MutatorUtilBuilder::finish`] into bands.
    pub fn new(utils: Vec<Vec<MutatorUtil>>) -> MmuCurve {
        MmuCurve { series: utils.into_iter().filter(|u| !u.is_empty()).map(Series::new).collect() }
    }

    /// True when there is no utilization data (no events, or no GOMAXPROCS seen).
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    fn run(&self, window: i64, acc: &mut Accumulator) {
        if window <= 0 {
            acc.mmu = 0.0;
            return;
        }
        let mut windows = Vec::with_capacity(self.series.len());
        let mut band_u = Vec::new();
        for (i, s) in self.series.iter().enumerate() {
            let w = window.min(s.duration());
            windows.push(w);
            // Go would index out of range on a zero-length series; such a
            // series has no window to offer, so it is skipped.
            if w > 0 {
                s.band_utils(i, w, &mut band_u);
            }
        }
        let less = |a: &BandUtil, b: &BandUtil| a.bound < b.bound;
        goheap::init(&mut band_u, &less);
        while !band_u.is_empty() && band_u[0].bound < acc.bound {
            let b = band_u[0];
            self.series[b.series].band_mmu(b.band, windows[b.series], acc);
            goheap::pop(&mut band_u, &less);
        }
    }

    /// The minimum mutator utilization over all windows of `window` ns (0..=1).
    pub fn mmu(&self, window: i64) -> f64 {
        let mut acc = Accumulator { mmu: 1.0, bound: 1.0, n_worst: 0, heap: Vec::new() };
        self.run(window, &mut acc);
        acc.mmu
    }

    /// Up to `n` disjoint windows of `window` ns with the lowest utilization,
    /// worst first (Go's `Examples`; the same windows Go's page lists).
    pub fn worst_windows(&self, window: i64, n: usize) -> Vec<UtilWindow> {
        let mut acc = Accumulator { mmu: 1.0, bound: 1.0, n_worst: n, heap: Vec::new() };
        self.run(window, &mut acc);
        let mut w = acc.heap;
        w.sort_by(|a, b| {
            a.mutator_util.partial_cmp(&b.mutator_util).unwrap_or(std::cmp::Ordering::Equal).then(a.time.cmp(&b.time))
        });
        w
    }
}

/// The MMU plot of go tool trace's /mmu page: 100 log-spaced window sizes.
#[derive(Debug, Clone, Serialize)]
pub struct MmuPlot {
    /// Smallest window plotted, ns (1 s, 1 ms, 1 µs or 1 ns: the first whose MMU is below 0.0001).
    pub x_min: i64,
    /// Largest window plotted, ns (x_min × 10⁶, at most the trace's span).
    pub x_max: i64,
    /// (window ns, MMU) pairs.
    pub curve: Vec<(i64, f64)>,
}

/// Computes the page's plot: the starting window, the span, and the MMU at
/// 100 log-spaced windows, with Go's window arithmetic (`fma`: whether Go's
/// Exp would use its FMA path, i.e. the CPU has AVX and FMA).
pub fn mmu_plot(curve: &MmuCurve, fma: bool) -> MmuPlot {
    if curve.is_empty() {
        return MmuPlot { x_min: 0, x_max: 0, curve: Vec::new() };
    }
    let mut x_min: i64 = 1_000_000_000;
    while x_min > 1 {
        if curve.mmu(x_min) < 0.0001 {
            break;
        }
        x_min /= 1000;
    }
    let mut x_max = x_min * 1_000_000;
    let min_event = curve.series.iter().map(|s| s.util[0].time).min().unwrap_or(0);
    let max_event = curve.series.iter().map(|s| s.util[s.util.len() - 1].time).max().unwrap_or(0);
    x_max = x_max.min(max_event - min_event);
    let (log_min, log_max) = (go_log(x_min as f64), go_log(x_max as f64));
    const SAMPLES: usize = 100;
    let points = (0..SAMPLES)
        .map(|i| {
            let x = i as f64 / (SAMPLES - 1) as f64 * (log_max - log_min) + log_min;
            let window = go_exp(x, fma) as i64;
            (window, curve.mmu(window))
        })
        .collect();
    MmuPlot { x_min, x_max, curve: points }
}

/// Go's `math.Exp` as Go computes it on amd64 (the assembly routine), with
/// (`fma`) or without fused multiply-adds. Other platforms' Go uses other
/// code; amd64 is where the oracle runs.
#[allow(clippy::approx_constant, clippy::excessive_precision)] // Go's own literals, kept as written
pub fn go_exp(x: f64, fma: bool) -> f64 {
    const LOG2E: f64 = 1.4426950408889634073599246810018920;
    const LN2U: f64 = 0.69314718055966295651160180568695068359375;
    const LN2L: f64 = 0.28235290563031577122588448175013436025525412068e-12;
    const OVERFLOW: f64 = 7.09782712893384e+02;
    const C: [f64; 7] = [
        2.4801587301587301587e-5,
        1.9841269841269841270e-4,
        1.3888888888888888889e-3,
        8.3333333333333333333e-3,
        4.1666666666666666667e-2,
        1.6666666666666666667e-1,
        0.5,
    ];
    if !x.is_finite() {
        return if x == f64::NEG_INFINITY { 0.0 } else { x };
    }
    if x > OVERFLOW {
        return f64::INFINITY;
    }
    let p = LOG2E * x;
    // CVTSD2SL rounds to nearest even; out of range gives i32::MIN.
    let mut e: i32 = if p.is_nan() || p.abs() >= 2147483648.0 { i32::MIN } else { p.round_ties_even() as i32 };
    let k = e as f64;
    let mut r;
    if fma {
        r = (-k).mul_add(LN2U, x);
        r = (-k).mul_add(LN2L, r);
    } else {
        r = x - LN2U * k;
        r -= LN2L * k;
    }
    r *= 0.0625;
    let mut t = C[0];
    for &c in &C[1..] {
        t = if fma { t.mul_add(r, c) } else { t * r + c };
    }
    t = if fma { t.mul_add(r, 1.0) } else { t * r + 1.0 };
    r *= t;
    if fma {
        for _ in 0..3 {
            let s = r + 2.0;
            r *= s;
        }
        let s = r + 2.0;
        r = r.mul_add(s, 1.0);
    } else {
        for _ in 0..4 {
            let s = 2.0 + r;
            r *= s;
        }
        r += 1.0;
    }
    e = e.wrapping_add(0x3FF);
    if e <= 0 {
        if e < -52 {
            return 0.0;
        }
        e += 0x3FE;
        r *= f64::from_bits((e as u64) << 52);
        return r * f64::from_bits(1u64 << 52);
    }
    if e >= 0x7FF {
        return f64::INFINITY;
    }
    r * f64::from_bits((e as u64) << 52)
}

/// Go's `math.Log` as Go computes it on amd64 (the assembly routine).
#[allow(clippy::approx_constant, clippy::excessive_precision)] // Go's own literals, kept as written
pub fn go_log(x: f64) -> f64 {
    const HSQRT2: f64 = 7.07106781186547524401e-01;
    const LN2HI: f64 = 6.93147180369123816490e-01;
    const LN2LO: f64 = 1.90821492927058770002e-10;
    const L: [f64; 7] = [
        6.666666666666735130e-01,
        3.999999999940941908e-01,
        2.857142874366239149e-01,
        2.222219843214978396e-01,
        1.818357216161805012e-01,
        1.531383769920937332e-01,
        1.479819860511658591e-01,
    ];
    let bits = x.to_bits();
    if bits & !(1u64 << 63) == 0 {
        return f64::NEG_INFINITY;
    }
    if (bits as i64) < 0 {
        return f64::NAN;
    }
    if bits >= 0x7FF0000000000000 {
        return x;
    }
    let mut f1 = f64::from_bits((bits & 0x000FFFFFFFFFFFFF) | 0x3FE0000000000000);
    let mut k = (((bits >> 52) & 0x7FF) as i32 - 0x3FE) as f64;
    // The assembly's CMPSD "not less than" test: f1 is never NaN here.
    if f1 <= HSQRT2 {
        k -= 1.0;
        f1 *= 2.0;
    }
    let f = f1 - 1.0;
    let s = f / (2.0 + f);
    let s2 = s * s;
    let s4 = s2 * s2;
    let t1 = s2 * (((L[6] * s4 + L[4]) * s4 + L[2]) * s4 + L[0]);
    let t2 = s4 * ((L[5] * s4 + L[3]) * s4 + L[1]);
    let r = t1 + t2;
    let hfsq = 0.5 * f * f;
    k * LN2HI - ((hfsq - (s * (hfsq + r) + k * LN2LO)) - f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse() {
        let f = UtilFlags::parse("stw,background,assist").unwrap();
        assert_eq!(f, UtilFlags::PAGE_DEFAULT);
        assert_eq!(f.go_query(), "system|stw|background|assist");
        assert!(UtilFlags::parse("stw,nope").is_err());
        assert!(UtilFlags::parse("perproc,sweep").unwrap().per_proc);
    }

    #[test]
    fn mmu_of_a_simple_function() {
        // 0..100: util 1, 100..150: util 0, 150..1000: util 1, ends at 1000.
        let u = vec![
            MutatorUtil { time: 0, util: 1.0 },
            MutatorUtil { time: 100, util: 0.0 },
            MutatorUtil { time: 150, util: 1.0 },
            MutatorUtil { time: 1000, util: 0.0 },
        ];
        let c = MmuCurve::new(vec![u]);
        assert_eq!(c.mmu(50), 0.0);
        assert_eq!(c.mmu(100), 0.5);
        let w = c.worst_windows(100, 3);
        assert_eq!(w[0].mutator_util, 0.5);
    }

    /// Values printed by Go 1.27.3's math.Exp/math.Log on an amd64 CPU with FMA.
    #[test]
    fn exp_and_log_equal_go_amd64() {
        let cases: [(u64, u64, u64); 4] = [
            (0x3f50624dd2f1a9fc, 0x3ff0041919b7ee34, 0xc01ba18a998fffa0),
            (0x3f809dea613249ff, 0x3ff0215e708b2ad0, 0xc01341bdfb818782),
            // ln(1000): Go's Exp gives 999.9999999999998, so the plot's first window is 999 ns.
            (0x401ba18a998fffa0, 0x408f3ffffffffffe, 0x3ffeec1ce26f4c48),
            (0x4034b927f32bffb8, 0x41cdcd64fffffffa, 0x40084003ae8e27a9),
        ];
        for (x, e, l) in cases {
            let x = f64::from_bits(x);
            assert_eq!(go_exp(x, true).to_bits(), e, "exp({x})");
            assert_eq!(go_log(x).to_bits(), l, "log({x})");
        }
        assert_eq!(go_log(1000.0).to_bits(), 0x401ba18a998fffa0);
        // Go with GODEBUG=cpu.fma=off (its non-FMA Exp path) differs from the FMA path in the last bit.
        for (x, fma, nofma) in [
            (0x3fb9fa451884d0a7u64, 0x3ff1b57659a8c475u64, 0x3ff1b57659a8c474u64),
            (0x3fc04b3e30a515ef, 0x3ff22c0bc5b5bec5, 0x3ff22c0bc5b5bec6),
            (0x3fc16d0ab0a54ca2, 0x3ff2555ef6ef7c5b, 0x3ff2555ef6ef7c5a),
        ] {
            assert_eq!(go_exp(f64::from_bits(x), true).to_bits(), fma);
            assert_eq!(go_exp(f64::from_bits(x), false).to_bits(), nofma);
        }
        assert_eq!(go_exp(0.0, false), 1.0);
        assert_eq!(go_exp(f64::NEG_INFINITY, true), 0.0);
        assert_eq!(go_log(0.0), f64::NEG_INFINITY);
        assert!(go_log(-1.0).is_nan());
    }
}
