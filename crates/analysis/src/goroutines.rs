//! Per-goroutine time breakdown, as `go tool trace`'s /goroutines and
//! /goroutine pages show it (Go's `internal/trace` goroutine summaries).
//!
//! Why its own bookkeeping rather than intervals in SQL: Go's figures come from
//! a particular event-by-event accounting, and users compare our numbers with
//! the page they know. Its rules, reproduced here on purpose, quirks included:
//!
//! - A goroutine first seen in an `Undetermined` state (it existed before the
//!   generation began) is "created" at the generation's Sync, and the time from
//!   that Sync to the event counts as spent in the state it is found in (a
//!   goroutine found in a syscall without a P counts it as syscall *blocked*).
//! - Time is charged when the goroutine leaves a state: running → execution,
//!   runnable → scheduler wait, waiting → block time under the reason it
//!   blocked with (the initial-state reason is the empty string), syscall →
//!   syscall execution until its P went idle, syscall blocked after that.
//! - A syscall counts as blocked from the moment the P it entered the syscall
//!   on goes idle. Leaving a syscall forgets the goroutine's P binding through
//!   Go's maps exactly as Go does (it can forget another goroutine's binding
//!   on the same P; we keep that behaviour so the numbers stay equal).
//! - Waiting with reason `forever` ends the goroutine like an exit.
//! - Goroutines alive at the end are closed at the time of the last event.
//!   A syscall still pending then counts whole as syscall execution and, from
//!   the moment its P went idle, *also* as scheduler wait: Go's snapshot counts
//!   that stretch twice (on a real syscall exit it is syscall blocked instead).
//!   We keep it so the figures equal Go's page.
//! - Ranges (GC mark assist, sweep, stop-the-world) overlap the other stats:
//!   goroutine-scoped ranges are charged to their goroutine whole, P-scoped
//!   ones (sweep) only when they end on the goroutine they began on; ranges
//!   already active at a generation boundary count from that Sync.
//! - Unknown time is total time minus the non-overlapping stats (never < 0).
//! - A goroutine's name is the root frame of the first transition stack seen.
//!
//! User regions get the same stats, measured between their begin and end (or
//! the goroutine's end).

use gotrace::table::IdMap;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use gotrace::{Event, EventKind, GoId, GoState, ProcId, ProcState, Resource, TaskId, Transition};
use gotrace::event::NO_PROC;
use serde::Serialize;

/// Nanoseconds by name (a wait reason, a range's name), in name order: what
/// Go keeps in a map per goroutine, kept here as a short sorted list (a
/// goroutine has a reason or two) whose names are shared among goroutines.
/// As `BTreeMap<String, i64>`s, a goroutine's maps took a 370-byte node each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Durations(Vec<(Arc<str>, i64)>);

impl Durations {
    fn find(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(n, _)| (**n).cmp(name))
    }

    /// The time under `name`, if it has an entry (0 ns still makes one).
    pub fn get(&self, name: &str) -> Option<&i64> {
        self.find(name).ok().map(|i| &self.0[i].1)
    }

    /// Whether no name has an entry.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many names have an entry.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Names and times, in name order.
    pub fn iter(&self) -> <&Self as IntoIterator>::IntoIter {
        self.into_iter()
    }

    /// The names, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| &**n)
    }

    /// The times, in name order.
    pub fn values(&self) -> impl Iterator<Item = &i64> {
        self.0.iter().map(|(_, v)| v)
    }

    /// The time under `name`, made 0 first if absent (as Go's map makes a key on `+=`).
    fn slot(&mut self, name: &Arc<str>) -> &mut i64 {
        let i = match self.find(name) {
            Ok(i) => i,
            Err(i) => {
                self.0.reserve_exact(1);
                self.0.insert(i, (Arc::clone(name), 0));
                i
            }
        };
        &mut self.0[i].1
    }

    /// `self[name] += v`, wrapping as Go's int64 does.
    fn add(&mut self, name: &Arc<str>, v: i64) {
        let e = self.slot(name);
        *e = e.wrapping_add(v);
    }

    fn remove(&mut self, name: &str) {
        if let Ok(i) = self.find(name) {
            self.0.remove(i);
        }
    }

    fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut i64)> {
        self.0.iter_mut().map(|(n, v)| (&**n, v))
    }
}

impl<'a> IntoIterator for &'a Durations {
    type Item = (&'a str, &'a i64);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (Arc<str>, i64)>, fn(&'a (Arc<str>, i64)) -> (&'a str, &'a i64)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(n, v)| (&**n, v))
    }
}

impl Serialize for Durations {
    /// As the map it stands for.
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_map(self)
    }
}

/// The one shared copy of `name` (wait reasons and range names repeat over
/// every goroutine).
fn intern(names: &mut HashSet<Arc<str>>, name: &str) -> Arc<str> {
    if let Some(n) = names.get(name) {
        return Arc::clone(n);
    }
    let n: Arc<str> = Arc::from(name);
    names.insert(Arc::clone(&n));
    n
}

/// Non-overlapping time stats of a goroutine (or of a region), plus the total
/// and the overlapping range times, all in nanoseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExecStats {
    /// Time running on a P.
    pub exec_ns: i64,
    /// Time runnable, waiting for a P (and, for goroutines alive at the end,
    /// the part of a pending syscall after its P went idle, which Go counts
    /// here on top of syscall execution).
    pub sched_wait_ns: i64,
    /// Time blocked, by wait reason (`""` for a goroutine found waiting when
    /// the trace began). A reason present with 0 ns still makes a column.
    pub block_ns: Durations,
    /// Time in syscalls while holding a P.
    pub syscall_ns: i64,
    /// Time in syscalls after the P was taken away.
    pub syscall_block_ns: i64,
    /// Presence in the trace (creation or first sighting to end or last event).
    pub total_ns: i64,
    /// Time inside ranges (`GC mark assist`, `GC incremental sweep`,
    /// `stop-the-world (...)`), overlapping the stats above.
    pub range_ns: Durations,
}

/// Column name of execution time, first among Go's columns.
pub const EXECUTION_TIME: &str = "Execution time";

impl ExecStats {
    /// Total time not explained by the non-overlapping stats (never negative).
    pub fn unknown_ns(&self) -> i64 {
        let mut sum = self.exec_ns
            .wrapping_add(self.sched_wait_ns)
            .wrapping_add(self.syscall_ns)
            .wrapping_add(self.syscall_block_ns);
        for v in self.block_ns.values() {
            sum = sum.wrapping_add(*v);
        }
        if sum < self.total_ns {
            self.total_ns - sum
        } else {
            0
        }
    }

    /// The non-overlapping stats under the column names the /goroutine page
    /// uses (`Execution time`, `Sched wait time`, `Syscall execution time`,
    /// `Block time (<reason>)`, `Unknown time`). A wait reason `syscall` adds
    /// into `Block time (syscall)` as on Go's page.
    pub fn non_overlapping(&self) -> BTreeMap<String, i64> {
        let mut m = BTreeMap::new();
        m.insert(EXECUTION_TIME.to_string(), self.exec_ns);
        m.insert("Sched wait time".to_string(), self.sched_wait_ns);
        m.insert("Syscall execution time".to_string(), self.syscall_ns);
        m.insert("Block time (syscall)".to_string(), self.syscall_block_ns);
        m.insert("Unknown time".to_string(), self.unknown_ns());
        for (reason, v) in &self.block_ns {
            let e = m.entry(format!("Block time ({reason})")).or_insert(0);
            *e = e.wrapping_add(*v);
        }
        m
    }

    /// `self - earlier`, over the keys of `self` (how Go measures a region).
    pub(crate) fn sub(&self, earlier: &ExecStats) -> ExecStats {
        let mut r = self.clone();
        r.exec_ns = r.exec_ns.wrapping_sub(earlier.exec_ns);
        r.sched_wait_ns = r.sched_wait_ns.wrapping_sub(earlier.sched_wait_ns);
        for (k, v) in r.block_ns.iter_mut() {
            *v = v.wrapping_sub(earlier.block_ns.get(k).copied().unwrap_or(0));
        }
        r.syscall_ns = r.syscall_ns.wrapping_sub(earlier.syscall_ns);
        r.syscall_block_ns = r.syscall_block_ns.wrapping_sub(earlier.syscall_block_ns);
        r.total_ns = r.total_ns.wrapping_sub(earlier.total_ns);
        for (k, v) in r.range_ns.iter_mut() {
            *v = v.wrapping_sub(earlier.range_ns.get(k).copied().unwrap_or(0));
        }
        r
    }
}

/// Sorts column names as the /goroutine page does: `Execution time` first,
/// the rest in byte order.
pub fn sort_columns(cols: &mut [String]) {
    cols.sort_by(|a, b| match (a == EXECUTION_TIME, b == EXECUTION_TIME) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        _ => a.cmp(b),
    });
}

/// A user region on one goroutine with the goroutine's stats inside it.
#[derive(Debug, Clone, Serialize)]
pub struct RegionSummary {
    /// The task the region belongs to (0: background).
    pub task: TaskId,
    /// Region type; empty for the synthetic region a goroutine inherits from
    /// its creator's active region.
    pub name: String,
    /// Begin time; `None` for a region whose begin was not traced.
    pub start_ns: Option<i64>,
    /// End time; `None` if it was still open when the goroutine or trace ended.
    pub end_ns: Option<i64>,
    /// Stats between begin and end.
    pub stats: ExecStats,
    /// Its place in the order regions were opened, over the whole trace (how
    /// the annotation pages find a region again).
    #[serde(skip)]
    pub(crate) seq: usize,
    /// The goroutine's last transition (from, to) when its end closed the
    /// region (Go's region keeps that event as its end).
    #[serde(skip)]
    pub(crate) ended_by: Option<(GoState, GoState)>,
}

impl RegionSummary {
    fn open(seq: usize, task: TaskId, name: String, start_ns: Option<i64>, stats: ExecStats) -> Self {
        RegionSummary { task, name, start_ns, end_ns: None, stats, seq, ended_by: None }
    }
}

/// Everything Go's summary knows about one goroutine.
#[derive(Debug, Clone, Serialize)]
pub struct GoroutineSummary {
    /// Goroutine ID.
    pub id: GoId,
    /// Start function (root frame of its first transition stack); empty when
    /// no stack was ever seen (Go shows "(Inactive, no stack trace sampled)").
    pub name: String,
    /// PC of that root frame (0 if none).
    pub pc: u64,
    /// Creation, or the Sync before its first sighting.
    pub creation_ns: i64,
    /// First time it started running; 0 if it never ran in the trace.
    pub start_ns: i64,
    /// Exit time; 0 if it did not exit within the trace.
    pub end_ns: i64,
    /// The time breakdown.
    pub stats: ExecStats,
    /// User regions, by start time.
    pub regions: Vec<RegionSummary>,
    #[serde(skip)]
    pending: Pending,
    #[serde(skip)]
    active_regions: Vec<RegionSummary>,
}

/// In-flight state; Go's zero value (0 = unset) semantics.
#[derive(Debug, Clone, Default)]
struct Pending {
    last_start: i64,
    last_runnable: i64,
    last_block: i64,
    last_block_reason: Arc<str>,
    last_syscall: i64,
    last_syscall_block: i64,
    last_range: Durations,
}

impl GoroutineSummary {
    fn new(id: GoId, creation: i64) -> Self {
        GoroutineSummary {
            id,
            name: String::new(),
            pc: 0,
            creation_ns: creation,
            start_ns: 0,
            end_ns: 0,
            stats: ExecStats::default(),
            regions: Vec::new(),
            pending: Pending::default(),
            active_regions: Vec::new(),
        }
    }

    /// The stats as they would be if the goroutine ended at `now`.
    fn snapshot(&self, now: i64) -> ExecStats {
        let mut r = self.stats.clone();
        let p = &self.pending;
        if self.stats.total_ns == 0 {
            r.total_ns = now.wrapping_sub(self.creation_ns);
        }
        if p.last_start != 0 {
            r.exec_ns = r.exec_ns.wrapping_add(now.wrapping_sub(p.last_start));
        }
        if p.last_runnable != 0 {
            r.sched_wait_ns = r.sched_wait_ns.wrapping_add(now.wrapping_sub(p.last_runnable));
        }
        if p.last_block != 0 {
            r.block_ns.add(&p.last_block_reason, now.wrapping_sub(p.last_block));
        }
        if p.last_syscall != 0 {
            r.syscall_ns = r.syscall_ns.wrapping_add(now.wrapping_sub(p.last_syscall));
        }
        if p.last_syscall_block != 0 {
            r.sched_wait_ns = r.sched_wait_ns.wrapping_add(now.wrapping_sub(p.last_syscall_block));
        }
        for (name, ts) in &p.last_range.0 {
            r.range_ns.add(name, now.wrapping_sub(*ts));
        }
        r
    }

    /// Closes the books at `now`: at its exit or `forever` wait (`exit` is
    /// that transition's (from, to)), or at the end of the trace (`None`).
    fn finalize(&mut self, now: i64, exit: Option<(GoState, GoState)>) {
        let end = exit.map(|_| now);
        if let Some(t) = end {
            self.end_ns = t;
        }
        self.stats = self.snapshot(now);
        if !is_system_goroutine(&self.name) {
            for mut r in std::mem::take(&mut self.active_regions) {
                r.end_ns = end;
                r.ended_by = exit;
                r.stats = self.stats.sub(&r.stats);
                self.regions.push(r);
            }
        }
        self.active_regions.clear();
        self.pending = Pending::default();
    }
}

/// Go's rule for runtime-internal goroutines: no start function, or one in
/// package `runtime` other than `runtime.main`.
pub fn is_system_goroutine(entry: &str) -> bool {
    entry.is_empty() || (entry != "runtime.main" && entry.starts_with("runtime."))
}

/// Builds goroutine summaries from the event stream, one event at a time.
#[derive(Default)]
pub struct Summarizer {
    /// Boxed: the table keeps about twice as many slots as goroutines, and
    /// grows by copying, which with summaries in place cost 3× their size.
    gs: IdMap<GoId, Box<GoroutineSummary>>,
    syscalling_p: IdMap<ProcId, GoId>,
    syscalling_g: IdMap<GoId, ProcId>,
    ranges_p: HashMap<(ProcId, Arc<str>), GoId>,
    /// Wait reasons and range names, one copy each.
    names: HashSet<Arc<str>>,
    regions_opened: usize,
    last_ts: i64,
    sync_ts: i64,
}

/// The next region's `seq`, counting it.
fn next_seq(opened: &mut usize) -> usize {
    *opened += 1;
    *opened - 1
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn text_ref(b: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(b)
}

impl Summarizer {
    /// An empty summarizer.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many regions have been opened so far (a region's `seq` is the
    /// count before it opened), including the ones a new goroutine inherits
    /// and the ones an end without a begin fabricates.
    pub(crate) fn regions_opened(&self) -> usize {
        self.regions_opened
    }

    /// Feeds one event, in the reader's order.
    pub fn event(&mut self, ev: &Event<'_>) {
        let t = ev.time();
        if self.sync_ts == 0 {
            self.sync_ts = t;
        }
        self.last_ts = t;
        match ev.kind() {
            EventKind::Sync => self.sync_ts = t,
            EventKind::StateTransition => self.transition(ev),
            EventKind::RangeBegin | EventKind::RangeActive => self.range_begin(ev),
            EventKind::RangeEnd => self.range_end(ev),
            EventKind::RegionBegin => self.region_begin(ev),
            EventKind::RegionEnd => self.region_end(ev),
            _ => {}
        }
    }

    fn transition(&mut self, ev: &Event<'_>) {
        let Some(st) = ev.state_transition() else { return };
        let t = ev.time();
        match st.transition {
            Transition::Goroutine { id, from, to } => {
                if from == to {
                    return;
                }
                match from {
                    GoState::Undetermined => {
                        let mut g = GoroutineSummary::new(id, self.sync_ts);
                        let d = t.wrapping_sub(self.sync_ts);
                        match to {
                            GoState::Running => g.stats.exec_ns += d,
                            GoState::Waiting => g.stats.block_ns.add(&intern(&mut self.names, &text_ref(st.reason)), d),
                            GoState::Runnable => g.stats.sched_wait_ns += d,
                            GoState::Syscall => {
                                if ev.proc() == NO_PROC {
                                    g.stats.syscall_block_ns += d;
                                } else {
                                    g.stats.syscall_ns += d;
                                }
                            }
                            _ => {}
                        }
                        self.gs.insert(id, Box::new(g));
                    }
                    GoState::NotExist => {
                        let mut g = GoroutineSummary::new(id, t);
                        // Inherit the creator's innermost active region's task.
                        let inherited = self.gs.get(&ev.goroutine()).and_then(|c| c.active_regions.last()).map(|r| r.task);
                        if let Some(task) = inherited {
                            let seq = next_seq(&mut self.regions_opened);
                            g.active_regions.push(RegionSummary::open(seq, task, String::new(), Some(t), ExecStats::default()));
                        }
                        self.gs.insert(id, Box::new(g));
                    }
                    _ => {}
                }
                let Some(g) = self.gs.get_mut(&id) else { return };
                match from {
                    GoState::Running => {
                        g.stats.exec_ns = g.stats.exec_ns.wrapping_add(t.wrapping_sub(g.pending.last_start));
                        g.pending.last_start = 0;
                    }
                    GoState::Waiting if g.pending.last_block != 0 => {
                        let d = t.wrapping_sub(g.pending.last_block);
                        g.stats.block_ns.add(&g.pending.last_block_reason, d);
                        g.pending.last_block = 0;
                    }
                    GoState::Runnable if g.pending.last_runnable != 0 => {
                        g.stats.sched_wait_ns += t.wrapping_sub(g.pending.last_runnable);
                        g.pending.last_runnable = 0;
                    }
                    GoState::Syscall if g.pending.last_syscall != 0 => {
                        let p = &mut g.pending;
                        if p.last_syscall_block != 0 {
                            g.stats.syscall_block_ns += t.wrapping_sub(p.last_syscall_block);
                            g.stats.syscall_ns += p.last_syscall_block.wrapping_sub(p.last_syscall);
                        } else {
                            g.stats.syscall_ns += t.wrapping_sub(p.last_syscall);
                        }
                        p.last_syscall = 0;
                        p.last_syscall_block = 0;
                        // Go deletes the P recorded for this goroutine, or P 0 if none.
                        let p = self.syscalling_g.get(&id).copied().unwrap_or(0);
                        self.syscalling_p.remove(&p);
                        self.syscalling_g.remove(&id);
                    }
                    _ => {}
                }
                if g.name.is_empty() {
                    if let Some(root) = st.stack.frames().last() {
                        g.pc = root.pc;
                        g.name = text(root.func);
                    }
                }
                match to {
                    GoState::Running => {
                        g.pending.last_start = t;
                        if g.start_ns == 0 {
                            g.start_ns = t;
                        }
                    }
                    GoState::Runnable => g.pending.last_runnable = t,
                    GoState::Waiting if st.reason != b"forever" => {
                        g.pending.last_block = t;
                        let r = text_ref(st.reason);
                        if *g.pending.last_block_reason != *r {
                            g.pending.last_block_reason = intern(&mut self.names, &r);
                        }
                    }
                    GoState::Waiting | GoState::NotExist => g.finalize(t, Some((from, to))),
                    GoState::Syscall => {
                        self.syscalling_p.insert(ev.proc(), id);
                        self.syscalling_g.insert(id, ev.proc());
                        g.pending.last_syscall = t;
                    }
                    GoState::Undetermined => {}
                }
            }
            Transition::Proc { id, from, to } => {
                if from != to && to == ProcState::Idle {
                    if let Some(goid) = self.syscalling_p.remove(&id) {
                        if let Some(g) = self.gs.get_mut(&goid) {
                            g.pending.last_syscall_block = t;
                        }
                    }
                }
            }
        }
    }

    fn range_begin(&mut self, ev: &Event<'_>) {
        let Some(r) = ev.range() else { return };
        let name = intern(&mut self.names, &text_ref(&r.name.to_bytes()));
        let gid = match r.scope {
            Resource::Goroutine(g) => g,
            Resource::Proc(p) => {
                let g = ev.goroutine();
                if !self.gs.contains_key(&g) {
                    return;
                }
                self.ranges_p.insert((p, name.clone()), g);
                g
            }
            _ => return,
        };
        let sync_ts = self.sync_ts;
        let Some(g) = self.gs.get_mut(&gid) else { return };
        if ev.kind() == EventKind::RangeActive {
            if let Some(&ts) = g.pending.last_range.get(&name) {
                if ts != 0 {
                    g.stats.range_ns.add(&name, sync_ts.wrapping_sub(ts));
                }
            }
            *g.pending.last_range.slot(&name) = sync_ts;
        } else {
            *g.pending.last_range.slot(&name) = ev.time();
        }
    }

    fn range_end(&mut self, ev: &Event<'_>) {
        let Some(r) = ev.range() else { return };
        let name = intern(&mut self.names, &text_ref(&r.name.to_bytes()));
        let gid = match r.scope {
            Resource::Goroutine(g) => g,
            Resource::Proc(p) => match self.ranges_p.remove(&(p, name.clone())) {
                Some(g) if g == ev.goroutine() => g,
                _ => return,
            },
            _ => return,
        };
        let Some(g) = self.gs.get_mut(&gid) else { return };
        let ts = g.pending.last_range.get(&name).copied().unwrap_or(0);
        if ts == 0 {
            return;
        }
        g.stats.range_ns.add(&name, ev.time().wrapping_sub(ts));
        g.pending.last_range.remove(&name);
    }

    fn region_begin(&mut self, ev: &Event<'_>) {
        let Some(r) = ev.region() else { return };
        let Some(g) = self.gs.get_mut(&ev.goroutine()) else { return };
        let seq = next_seq(&mut self.regions_opened);
        let stats = g.snapshot(ev.time());
        g.active_regions.push(RegionSummary::open(seq, r.task, text(r.kind), Some(ev.time()), stats));
    }

    fn region_end(&mut self, ev: &Event<'_>) {
        let Some(r) = ev.region() else { return };
        let Some(g) = self.gs.get_mut(&ev.goroutine()) else { return };
        // The innermost open region is the one that ended (Go pops without
        // checking the name); an end without a begin gets a fabricated region.
        let mut sd = g.active_regions.pop().unwrap_or_else(|| {
            RegionSummary::open(next_seq(&mut self.regions_opened), r.task, text(r.kind), None, ExecStats::default())
        });
        sd.stats = g.snapshot(ev.time()).sub(&sd.stats);
        sd.end_ns = Some(ev.time());
        g.regions.push(sd);
    }

    /// Closes every goroutine still alive at the last event and returns the summaries.
    pub fn finish(mut self) -> Summary {
        let last = self.last_ts;
        let mut goroutines = BTreeMap::new();
        for (id, mut g) in self.gs.drain() {
            g.finalize(last, None);
            // Begin-less regions first, then by start time.
            g.regions.sort_by_key(|r| r.start_ns.map_or((0, 0), |t| (1, t)));
            goroutines.insert(id, g);
        }
        Summary { goroutines, end_ns: last }
    }
}

/// The result: every goroutine seen, by ID.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Summaries by goroutine ID (boxed as the summarizer made them: moving
    /// a million summaries into the map's nodes doubled the memory).
    pub goroutines: BTreeMap<GoId, Box<GoroutineSummary>>,
    /// Time of the last event (where goroutines still alive were closed).
    pub end_ns: i64,
}

/// Goroutines sharing a start function, as a row of /goroutines.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// Start function (empty: goroutines never seen with a stack).
    pub name: String,
    /// Number of goroutines.
    pub count: usize,
    /// Sum of their execution times.
    pub exec_ns: i64,
}

impl Summary {
    /// Execution time of all goroutines together.
    pub fn total_exec_ns(&self) -> i64 {
        self.goroutines.values().fold(0i64, |a, g| a.wrapping_add(g.stats.exec_ns))
    }

    /// The /goroutines rows: groups by start function, most execution time
    /// first (ties, which Go leaves in map order, by name).
    pub fn groups(&self) -> Vec<Group> {
        let mut by: BTreeMap<&str, Group> = BTreeMap::new();
        for g in self.goroutines.values() {
            let e = by
                .entry(&g.name)
                .or_insert_with(|| Group { name: g.name.clone(), count: 0, exec_ns: 0 });
            e.count += 1;
            e.exec_ns = e.exec_ns.wrapping_add(g.stats.exec_ns);
        }
        let mut v: Vec<Group> = by.into_values().collect();
        v.sort_by(|a, b| b.exec_ns.cmp(&a.exec_ns).then_with(|| a.name.cmp(&b.name)));
        v
    }

    /// One group's goroutines in the /goroutine page's default order: most
    /// total time first (ties by ID).
    pub fn group(&self, name: &str) -> Vec<&GoroutineSummary> {
        let mut v: Vec<&GoroutineSummary> = self.goroutines.values().map(|g| &**g).filter(|g| g.name == name).collect();
        v.sort_by(|a, b| b.stats.total_ns.cmp(&a.stats.total_ns).then(a.id.cmp(&b.id)));
        v
    }

    /// The columns the /goroutine page shows for these goroutines: the
    /// non-overlapping stats (Go's order) and the range names (sorted).
    pub fn columns(gs: &[&GoroutineSummary]) -> (Vec<String>, Vec<String>) {
        let mut stats: Vec<String> = Vec::new();
        let mut ranges: Vec<String> = Vec::new();
        for g in gs {
            for k in g.stats.non_overlapping().into_keys() {
                if !stats.contains(&k) {
                    stats.push(k);
                }
            }
            for k in g.stats.range_ns.keys() {
                if !ranges.iter().any(|r| r == k) {
                    ranges.push(k.to_string());
                }
            }
        }
        sort_columns(&mut stats);
        ranges.sort();
        (stats, ranges)
    }
}
