//! Goroutine leaks and deadlocks: who is still blocked when the trace ends,
//! grouped by where and why they block, and how many goroutines were alive
//! over time.
//!
//! Why: a leak shows in a trace as goroutines that block and never wake up;
//! `go tool trace` has no view that lists them together. A goroutine counts as
//! blocked at the end when its last state is Waiting (runnable, running and
//! syscall goroutines are making progress). Its blocking stack is the stack of
//! the transition that made it wait (for a goroutine already waiting when it
//! was first seen, the stack the runtime recorded with its status; Go 1.22
//! traces carry none). How long it has waited counts from that transition; a
//! goroutine already waiting when first seen counts from the Sync that began
//! that generation, a lower bound (flagged).
//!
//! Alive goroutines are counted as Go's goroutine summary counts presence: from
//! creation, or for a goroutine that existed before the generation it is first
//! seen in, from that generation's Sync, until it exits.

use gotrace::table::IdMap;
use std::collections::{BTreeMap, HashMap};

use gotrace::{Event, EventKind, GoId, GoState, Transition};
use serde::Serialize;

use crate::goroutines::is_system_goroutine;

/// Goroutines that are not the application's: Go's runtime-internal ones, and
/// the tracer's own (started in `runtime/trace`, e.g. the goroutine copying
/// trace data to the writer), which are tracing machinery, not leaks.
pub fn is_runtime_goroutine(entry: &str) -> bool {
    is_system_goroutine(entry) || entry.starts_with("runtime/trace.")
}

/// One frame of a blocking stack.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Frame {
    /// Function.
    pub func: String,
    /// Source file.
    pub file: String,
    /// Line.
    pub line: u64,
}

/// Where a goroutine is, as far as the end-of-trace check needs.
#[derive(Debug, Clone)]
struct GState {
    state: GoState,
    since: i64,
    since_known: bool,
    reason: String,
    stack: u32,
    name: String,
}

/// Tracks goroutine states through the stream (one pass, small state).
#[derive(Default)]
pub struct LeakTracker {
    gs: IdMap<GoId, GState>,
    stacks: Vec<Vec<Frame>>,
    stack_ids: HashMap<Vec<Frame>, u32>,
    /// (generation, wire stack id) → interned stack, cleared at each Sync.
    gen_cache: IdMap<u64, u32>,
    sync_ts: i64,
    first_ts: Option<i64>,
    last_ts: i64,
    deltas: Vec<(i64, i32)>,
}

/// A goroutine blocked at the end of the trace.
#[derive(Debug, Clone, Serialize)]
pub struct Blocked {
    /// Goroutine ID.
    pub id: GoId,
    /// Start function (root frame of its first stack; empty if never seen).
    pub start_function: String,
    /// When it began waiting (or the Sync before it was first seen waiting).
    pub since_ns: i64,
    /// How long it has waited at the end of the trace.
    pub waited_ns: i64,
    /// False when it was already waiting when first seen: `waited_ns` is then a lower bound.
    pub since_known: bool,
}

/// Goroutines blocked at the end on the same stack for the same reason.
#[derive(Debug, Clone, Serialize)]
pub struct LeakGroup {
    /// Wait reason (`chan receive`, `sync`, `select`, ...; empty when the
    /// goroutine was waiting since before it was first seen).
    pub reason: String,
    /// The blocking stack, leaf first (empty when none was recorded).
    pub stack: Vec<Frame>,
    /// Start function of the group's goroutines (the most common one).
    pub start_function: String,
    /// All of them are runtime-internal or tracer goroutines ([`is_runtime_goroutine`]).
    pub system: bool,
    /// Number of goroutines.
    pub count: usize,
    /// Shortest wait so far.
    pub min_wait_ns: i64,
    /// Median wait (the lower middle for an even count).
    pub median_wait_ns: i64,
    /// Longest wait.
    pub max_wait_ns: i64,
    /// The goroutine that has waited longest.
    pub longest_id: GoId,
    /// The goroutines, longest wait first (ties by ID).
    pub goroutines: Vec<Blocked>,
}

/// Alive goroutines in one window of time.
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    /// Window start.
    pub start_ns: i64,
    /// Window end (exclusive; the last window ends at the trace's last event).
    pub end_ns: i64,
    /// Fewest alive at any moment in the window.
    pub min_alive: i64,
    /// Most alive at any moment in the window.
    pub max_alive: i64,
    /// Alive at the window's end.
    pub end_alive: i64,
}

/// The result of the leak analysis.
#[derive(Debug, Clone, Serialize)]
pub struct LeakReport {
    /// First event's time.
    pub start_ns: i64,
    /// Last event's time: "the end".
    pub end_ns: i64,
    /// Goroutines alive at the end, by state (`Waiting`, `Runnable`, ...).
    pub alive_at_end: BTreeMap<String, usize>,
    /// Application goroutines (not [`is_runtime_goroutine`]) alive at the end.
    pub app_alive_at_end: usize,
    /// Application goroutines blocked at the end.
    pub app_blocked_at_end: usize,
    /// Every application goroutine alive at the end is blocked (and there is at
    /// least one): nothing can make progress, a possible deadlock.
    pub possible_deadlock: bool,
    /// Blocked goroutines grouped, most goroutines first.
    pub groups: Vec<LeakGroup>,
    /// Window length of `timeline`.
    pub window_ns: i64,
    /// Alive goroutines per window.
    pub timeline: Vec<Window>,
}

impl LeakGroup {
    /// Whether every wait in the group is measured from its start (none is a lower bound).
    pub fn since_known_all(&self) -> bool {
        self.goroutines.iter().all(|b| b.since_known)
    }
}

impl LeakTracker {
    /// An empty tracker.
    pub fn new() -> Self {
        Self::default()
    }

    fn intern(&mut self, stack: gotrace::Stack<'_, '_>) -> u32 {
        if stack.is_none() || stack.id() == 0 {
            return u32::MAX;
        }
        if let Some(&i) = self.gen_cache.get(&stack.id()) {
            return i;
        }
        let frames: Vec<Frame> = stack
            .frames()
            .map(|f| Frame {
                func: String::from_utf8_lossy(f.func).into_owned(),
                file: String::from_utf8_lossy(f.file).into_owned(),
                line: f.line,
            })
            .collect();
        let id = self.intern_frames(frames);
        self.gen_cache.insert(stack.id(), id);
        id
    }

    fn intern_frames(&mut self, frames: Vec<Frame>) -> u32 {
        let next = self.stacks.len() as u32;
        let id = *self.stack_ids.entry(frames.clone()).or_insert(next);
        if id == next {
            self.stacks.push(frames);
        }
        id
    }

    /// Feeds one event, in the reader's order.
    pub fn event(&mut self, ev: &Event<'_>) {
        let t = ev.time();
        if self.first_ts.is_none() {
            self.first_ts = Some(t);
            self.sync_ts = t;
        }
        self.last_ts = t;
        match ev.kind() {
            EventKind::Sync => {
                self.sync_ts = t;
                self.gen_cache.clear();
            }
            EventKind::StateTransition => {
                let Some(st) = ev.state_transition() else { return };
                let Transition::Goroutine { id, from, to } = st.transition else { return };
                if from == to {
                    return;
                }
                let is_new = matches!(from, GoState::Undetermined | GoState::NotExist) || !self.gs.contains_key(&id);
                let stack = if to == GoState::Waiting || is_new { self.intern(st.stack) } else { u32::MAX };
                self.goroutine(t, id, from, to, st.reason, stack);
            }
            _ => {}
        }
    }

    /// One goroutine state change (`stack`: interned, or `u32::MAX` for none).
    fn goroutine(&mut self, t: i64, id: GoId, from: GoState, to: GoState, reason: &[u8], stack: u32) {
        let is_new = matches!(from, GoState::Undetermined | GoState::NotExist) || !self.gs.contains_key(&id);
        if is_new && to != GoState::NotExist {
            let at = if from == GoState::NotExist { t } else { self.sync_ts };
            self.deltas.push((at, 1));
        }
        let g = self.gs.entry(id).or_insert_with(|| GState {
            state: from,
            since: t,
            since_known: true,
            reason: String::new(),
            stack: u32::MAX,
            name: String::new(),
        });
        if g.name.is_empty() && stack != u32::MAX {
            if let Some(root) = self.stacks[stack as usize].last() {
                g.name = root.func.clone();
            }
        }
        if to == GoState::NotExist {
            self.gs.remove(&id);
            self.deltas.push((t, -1));
            return;
        }
        g.state = to;
        if to == GoState::Waiting {
            g.reason = String::from_utf8_lossy(reason).into_owned();
            g.stack = stack;
            if from == GoState::Undetermined {
                g.since = self.sync_ts;
                g.since_known = false;
            } else {
                g.since = t;
                g.since_known = true;
            }
        }
    }

    /// The report at the last event, with alive counts per `window_ns`
    /// (default: 1/20 of the trace, at least 1 µs).
    pub fn finish(mut self, window_ns: Option<i64>) -> LeakReport {
        let start = self.first_ts.unwrap_or(0);
        let end = self.last_ts;
        let mut alive_at_end: BTreeMap<String, usize> = BTreeMap::new();
        let (mut app_alive, mut app_blocked) = (0, 0);
        let mut groups: HashMap<(String, u32), Vec<(Blocked, bool)>> = HashMap::new();
        for (&id, g) in &self.gs {
            *alive_at_end.entry(g.state.as_str().to_string()).or_default() += 1;
            let system = is_runtime_goroutine(&g.name);
            if !system {
                app_alive += 1;
            }
            if g.state != GoState::Waiting {
                continue;
            }
            if !system {
                app_blocked += 1;
            }
            let b = Blocked {
                id,
                start_function: g.name.clone(),
                since_ns: g.since,
                waited_ns: end - g.since,
                since_known: g.since_known,
            };
            groups.entry((g.reason.clone(), g.stack)).or_default().push((b, system));
        }
        let mut out: Vec<LeakGroup> = groups
            .into_iter()
            .map(|((reason, stack), v)| {
                let system = v.iter().all(|(_, s)| *s);
                let mut gs: Vec<Blocked> = v.into_iter().map(|(b, _)| b).collect();
                gs.sort_by(|a, b| b.waited_ns.cmp(&a.waited_ns).then(a.id.cmp(&b.id)));
                let mut names: BTreeMap<&str, usize> = BTreeMap::new();
                for b in &gs {
                    *names.entry(&b.start_function).or_default() += 1;
                }
                let start_function = names
                    .iter()
                    .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                    .map(|(n, _)| n.to_string())
                    .unwrap_or_default();
                let n = gs.len();
                LeakGroup {
                    reason,
                    stack: if stack == u32::MAX { Vec::new() } else { self.stacks[stack as usize].clone() },
                    start_function,
                    system,
                    count: n,
                    min_wait_ns: gs[n - 1].waited_ns,
                    median_wait_ns: gs[n / 2].waited_ns,
                    max_wait_ns: gs[0].waited_ns,
                    longest_id: gs[0].id,
                    goroutines: gs,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(b.max_wait_ns.cmp(&a.max_wait_ns))
                .then_with(|| a.reason.cmp(&b.reason))
                .then(a.longest_id.cmp(&b.longest_id))
        });
        let span = (end - start).max(0);
        let window_ns = window_ns.unwrap_or((span / 20).max(1_000)).max(1);
        self.deltas.sort_unstable();
        let timeline = timeline(&self.deltas, start, end, window_ns);
        LeakReport {
            start_ns: start,
            end_ns: end,
            alive_at_end,
            app_alive_at_end: app_alive,
            app_blocked_at_end: app_blocked,
            possible_deadlock: app_alive > 0 && app_alive == app_blocked,
            groups: out,
            window_ns,
            timeline,
        }
    }
}

/// Alive counts per window from sorted (time, ±1) changes.
fn timeline(deltas: &[(i64, i32)], start: i64, end: i64, window: i64) -> Vec<Window> {
    let mut out = Vec::new();
    let mut alive: i64 = 0;
    let mut i = 0;
    // Changes at or before the start (goroutines found at the first Sync).
    while i < deltas.len() && deltas[i].0 <= start {
        alive += deltas[i].1 as i64;
        i += 1;
    }
    let mut ws = start;
    loop {
        let we = if end - ws <= window { end } else { ws + window };
        let last = we == end;
        let (mut lo, mut hi) = (alive, alive);
        while i < deltas.len() && (deltas[i].0 < we || (last && deltas[i].0 <= we)) {
            // Apply all changes at one instant together.
            let at = deltas[i].0;
            while i < deltas.len() && deltas[i].0 == at {
                alive += deltas[i].1 as i64;
                i += 1;
            }
            lo = lo.min(alive);
            hi = hi.max(alive);
        }
        out.push(Window { start_ns: ws, end_ns: we, min_alive: lo, max_alive: hi, end_alive: alive });
        if last {
            break;
        }
        ws = we;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(funcs: &[&str]) -> Vec<Frame> {
        funcs.iter().map(|f| Frame { func: f.to_string(), file: "x.go".into(), line: 1 }).collect()
    }

    /// Two workers wait on each other's channel and main waits for both: all
    /// application goroutines blocked, so the report warns; a runtime
    /// goroutine running does not change that, an application one does.
    #[test]
    fn all_application_goroutines_blocked_is_a_possible_deadlock() {
        use GoState::*;
        let mut t = LeakTracker::new();
        t.first_ts = Some(100);
        t.sync_ts = 100;
        let main = t.intern_frames(frames(&["main.main"]));
        let worker = t.intern_frames(frames(&["main.worker"]));
        let recv = t.intern_frames(frames(&["runtime.chanrecv1", "main.worker"]));
        let wg = t.intern_frames(frames(&["sync.(*WaitGroup).Wait", "main.main"]));
        let sweeper = t.intern_frames(frames(&["runtime.bgsweep"]));
        t.goroutine(110, 1, Undetermined, Running, b"", main);
        t.goroutine(110, 3, Undetermined, Waiting, b"", sweeper);
        t.goroutine(120, 7, NotExist, Runnable, b"", worker);
        t.goroutine(121, 8, NotExist, Runnable, b"", worker);
        t.goroutine(130, 7, Runnable, Running, b"", u32::MAX);
        t.goroutine(140, 7, Running, Waiting, b"chan receive", recv);
        t.goroutine(150, 8, Runnable, Running, b"", u32::MAX);
        t.goroutine(160, 8, Running, Waiting, b"chan receive", recv);
        t.goroutine(170, 1, Running, Waiting, b"sync", wg);
        t.last_ts = 200;
        let r = t.finish(None);
        assert!(r.possible_deadlock);
        assert_eq!((r.app_alive_at_end, r.app_blocked_at_end), (3, 3));
        assert_eq!(r.groups[0].count, 2);
        assert_eq!(r.groups[0].reason, "chan receive");
        assert_eq!((r.groups[0].min_wait_ns, r.groups[0].max_wait_ns, r.groups[0].longest_id), (40, 60, 7));
        let sys = r.groups.iter().find(|g| g.start_function == "runtime.bgsweep").unwrap();
        assert!(sys.system && !sys.since_known_all());
        assert_eq!(sys.max_wait_ns, 100);

        // One application goroutine still runnable: no warning.
        let mut t = LeakTracker::new();
        t.first_ts = Some(0);
        let w = t.intern_frames(frames(&["main.worker"]));
        t.goroutine(10, 7, NotExist, Waiting, b"select", w);
        t.goroutine(10, 8, NotExist, Runnable, b"", w);
        t.last_ts = 20;
        let r = t.finish(None);
        assert!(!r.possible_deadlock);
        assert_eq!(r.app_blocked_at_end, 1);
    }

    #[test]
    fn windows_count_alive_goroutines() {
        // Two alive from the start, one created at 15, one exiting at 25, end at 40.
        let d = vec![(0, 1), (0, 1), (15, 1), (25, -1)];
        let w = timeline(&d, 0, 40, 10);
        let got: Vec<(i64, i64, i64, i64, i64)> =
            w.iter().map(|w| (w.start_ns, w.end_ns, w.min_alive, w.max_alive, w.end_alive)).collect();
        assert_eq!(got, vec![(0, 10, 2, 2, 2), (10, 20, 2, 3, 3), (20, 30, 2, 3, 2), (30, 40, 2, 2, 2)]);
        // A window longer than the trace gives one window ending at the end.
        assert_eq!(timeline(&d, 0, 40, 100).len(), 1);
    }
}
