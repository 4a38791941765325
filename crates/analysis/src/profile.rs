//! Blocking profiles: how long goroutines spent blocked on the network, on
//! synchronization, in syscalls, or waiting to be scheduled, per stack; the
//! figures `go tool trace -pprof=net|sync|syscall|sched` (Go 1.27.3) writes.
//!
//! # What counts
//!
//! For every goroutine the builder watches state transitions. An interval
//! starts at the transition *into* the profile's state (for the reasons the
//! profile accepts) and ends at the next transition into any other state; a
//! transition to the same state (such as the status a goroutine gets again at
//! each generation) neither ends nor restarts it. Each interval adds one
//! contention and its duration to the stack of the event that **started** it
//! ([`gotrace::Event::stack`], the stack of whoever emitted the event):
//!
//! | kind      | state    | reasons                                 | stack charged            |
//! |-----------|----------|-----------------------------------------|--------------------------|
//! | `net`     | Waiting  | exactly `network`                       | the blocked call         |
//! | `sync`    | Waiting  | containing `chan`, `sync` or `select`   | the blocked call         |
//! | `syscall` | Syscall  | any                                     | the syscall              |
//! | `sched`   | Runnable | any                                     | the event that made it runnable: the **unblocker's** stack after an unblock, the creator's after `go f()`, the goroutine's own after a yield or preemption |
//!
//! So `sync` also takes `sync.(*Cond).Wait`, `synctest` and `select`, and
//! the `sched` profile answers "whose wake-ups were slow to be served",
//! not "who waited"; that is Go's design and we keep it.
//!
//! # Go's choices we reproduce on purpose
//!
//! `go tool trace -pprof` hands its profile code one allowed interval per
//! goroutine: from the goroutine's **first start running** in the trace to its
//! end (or the end of the trace), and counts only the part of each interval
//! inside it, dropping intervals whose part is 0 ns. The effects, all kept
//! here so that the totals equal Go's:
//! - a goroutine's waits before it first runs in the trace are not counted
//!   (the first scheduling latency of every goroutine created during the trace,
//!   and the first block of goroutines already blocked when tracing started) —
//!   unless the goroutine never runs at all in the trace, in which case its
//!   allowed interval starts at time 0 and all of its closed intervals count;
//! - intervals still open at the end of the trace are not counted;
//! - 0-ns intervals are not counted.
//!
//! On a trace cut short, Go drops every event after the last complete
//! generation (its last Sync event) but still learns when goroutines first
//! ran from those events; [`ProfileBuilder::finish`] does the same.
//!
//! Older `go tool trace` releases are known wrong and we do **not** follow
//! them: up to Go 1.25 the profile code skipped every event without a stack
//! (GoStart, GoSyscallEnd and GoSyscallEndBlocked have none), so intervals ran
//! on to the next stack-bearing transition and most syscalls vanished from the
//! syscall profile (Go issue 74850); Go 1.22 produced empty profiles from the
//! command line (issue 66782). Go 1.27.3 has neither bug, and it is our oracle.
//!
//! Stacks are told apart by their first 128 program counters, as Go does
//! (deeper stacks that share those are one stack, shown with 128 frames). A
//! missing stack and an empty one are the same, frameless, stack.

use gotrace::table::IdMap;
use std::collections::HashMap;

use gotrace::{Event, EventKind, GoId, GoState, Transition};
use serde::Serialize;

/// How many leading frames identify a stack (and are kept), as in Go.
pub const MAX_FRAMES: usize = 128;

/// Which blocking profile to build; the four `go tool trace -pprof` types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileKind {
    /// Time blocked on the network poller (`-pprof=net`).
    Net,
    /// Time blocked on channels, select, mutexes, conditions (`-pprof=sync`).
    Sync,
    /// Time in system calls (`-pprof=syscall`).
    Syscall,
    /// Time runnable but not running: scheduler latency (`-pprof=sched`).
    Sched,
}

impl ProfileKind {
    /// All four, in Go's order.
    pub const ALL: [ProfileKind; 4] = [ProfileKind::Net, ProfileKind::Sync, ProfileKind::Syscall, ProfileKind::Sched];

    /// The name `go tool trace -pprof=` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileKind::Net => "net",
            ProfileKind::Sync => "sync",
            ProfileKind::Syscall => "syscall",
            ProfileKind::Sched => "sched",
        }
    }

    /// Parses a `-pprof=` name.
    pub fn parse(s: &str) -> Option<ProfileKind> {
        ProfileKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The goroutine state whose intervals this profile measures.
    pub fn state(self) -> GoState {
        match self {
            ProfileKind::Net | ProfileKind::Sync => GoState::Waiting,
            ProfileKind::Syscall => GoState::Syscall,
            ProfileKind::Sched => GoState::Runnable,
        }
    }

    /// Whether a transition with this reason starts an interval.
    pub fn accepts(self, reason: &[u8]) -> bool {
        let has = |w: &[u8]| reason.windows(w.len()).any(|x| x == w);
        match self {
            ProfileKind::Net => reason == b"network",
            ProfileKind::Sync => has(b"chan") || has(b"sync") || has(b"select"),
            ProfileKind::Syscall | ProfileKind::Sched => true,
        }
    }
}

impl std::fmt::Display for ProfileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One frame of a profile stack, owned (stacks outlive their generation).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Frame {
    /// Program counter, as recorded in the trace.
    pub pc: u64,
    /// Function name.
    pub func: String,
    /// Source file.
    pub file: String,
    /// Line number.
    pub line: u64,
}

impl Frame {
    /// An owned copy of one of the reader's frames (which borrow the trace).
    pub fn of(f: &gotrace::Frame<'_>) -> Self {
        Frame {
            pc: f.pc,
            func: String::from_utf8_lossy(f.func).into_owned(),
            file: String::from_utf8_lossy(f.file).into_owned(),
            line: f.line,
        }
    }
}

/// Per-stack totals: one row of the profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackTotal {
    /// The stack, leaf first (at most [`MAX_FRAMES`] frames; empty when the
    /// starting event had no stack).
    pub frames: Vec<Frame>,
    /// Number of intervals (pprof's "contentions").
    pub count: u64,
    /// Their summed duration in ns (pprof's "delay").
    pub delay_ns: i64,
}

/// A finished profile: the stacks with at least one counted interval,
/// largest delay first (then most intervals, then by frames), so output is
/// stable where Go's order is a map's.
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    /// Which profile.
    pub kind: ProfileKind,
    /// The stacks.
    pub stacks: Vec<StackTotal>,
}

impl Profile {
    /// Total intervals over all stacks.
    pub fn total_count(&self) -> u64 {
        self.stacks.iter().map(|s| s.count).sum()
    }
    /// Total delay over all stacks, in ns.
    pub fn total_delay_ns(&self) -> i64 {
        self.stacks.iter().map(|s| s.delay_ns).sum()
    }
}

/// An interval in progress: when it started and where it will be charged.
#[derive(Clone, Copy)]
struct Open {
    start: i64,
    variant: usize,
}

/// A closed interval: its goroutine, stack variant, start, duration, and its
/// rank in closing order.
#[derive(Clone, Copy)]
struct Closed {
    g: GoId,
    variant: usize,
    start: i64,
    dur: i64,
    seq: u64,
}

/// One stack as one generation recorded it. Variants with the same leading
/// PCs are one stack of the profile; Go shows the frames of the variant that
/// was charged last, so we keep each variant's frames when they differ.
struct Variant {
    record: usize,
    /// `None` when the frames equal the record's first variant's.
    frames: Option<Vec<Frame>>,
}

/// A stack of the profile and its totals.
struct Record {
    frames: Vec<Frame>,
    count: u64,
    delay_ns: i64,
    /// The variant charged last (by closing order), for its frames.
    last: Option<(u64, usize)>,
}

/// Builds one profile from the event stream, in one pass.
///
/// Feed every event in the reader's order to [`ProfileBuilder::event`], then
/// call [`ProfileBuilder::finish`]. Memory: the distinct stacks, one entry per
/// goroutine, and the intervals of goroutines that have not run yet (whose
/// fate depends on whether they run later).
pub struct ProfileBuilder {
    kind: ProfileKind,
    /// Counts Sync events: stack IDs are only unique within a generation.
    gen: u64,
    /// Counts closed intervals.
    seq: u64,
    /// (generation, stack ID) → index in `variants`.
    by_id: IdMap<(u64, u64), usize>,
    /// Leading PCs (trailing zero PCs trimmed: Go pads with zeros) → index
    /// in `records`: Go's identity of a stack.
    by_pcs: HashMap<Vec<u64>, usize>,
    variants: Vec<Variant>,
    records: Vec<Record>,
    /// Goroutines inside an interval of the profile's state.
    open: IdMap<GoId, Open>,
    /// When each goroutine first started running (Go's StartTime).
    started: IdMap<GoId, i64>,
    /// Closed, committed intervals of goroutines that had not run yet:
    /// counted at the end unless the goroutine runs later.
    unstarted: IdMap<GoId, Vec<Closed>>,
    /// Closed intervals since the last Sync event, not yet committed.
    since_sync: Vec<Closed>,
}

impl ProfileBuilder {
    /// A builder for one kind of profile.
    pub fn new(kind: ProfileKind) -> Self {
        ProfileBuilder {
            kind,
            gen: 0,
            seq: 0,
            by_id: IdMap::default(),
            by_pcs: HashMap::new(),
            variants: Vec::new(),
            records: Vec::new(),
            open: IdMap::default(),
            started: IdMap::default(),
            unstarted: IdMap::default(),
            since_sync: Vec::new(),
        }
    }

    /// Takes the next event of the trace.
    pub fn event(&mut self, ev: &Event<'_>) {
        match ev.kind() {
            EventKind::Sync => {
                self.commit();
                self.gen += 1;
            }
            EventKind::StateTransition => self.transition(ev),
            _ => {}
        }
    }

    fn transition(&mut self, ev: &Event<'_>) {
        let Some(st) = ev.state_transition() else { return };
        let Transition::Goroutine { id, from, to } = st.transition else { return };
        let state = self.kind.state();
        match self.open.get(&id).copied() {
            None => {
                if to == state && self.kind.accepts(st.reason) {
                    let variant = self.intern(ev);
                    self.open.insert(id, Open { start: ev.time(), variant });
                }
            }
            Some(_) if to == state => {}
            Some(o) => {
                self.open.remove(&id);
                let dur = ev.time() - o.start;
                if dur > 0 {
                    self.seq += 1;
                    self.since_sync.push(Closed { g: id, variant: o.variant, start: o.start, dur, seq: self.seq });
                }
            }
        }
        // Go's goroutine summary skips transitions that keep the state; a
        // goroutine's first start running fixes its allowed interval.
        // Its committed intervals all ended before: 0 ns inside the allowed one.
        if to == GoState::Running && from != to && !self.started.contains_key(&id) {
            self.started.insert(id, ev.time());
            self.unstarted.remove(&id);
        }
    }

    /// Moves the intervals closed before a Sync event into the profile.
    fn commit(&mut self) {
        for c in std::mem::take(&mut self.since_sync) {
            match self.started.get(&c.g) {
                // Timestamps strictly increase, so an interval either lies
                // wholly after the first start or ends no later than it.
                Some(&first) if first <= c.start => self.add(c),
                Some(_) => {}
                None => self.unstarted.entry(c.g).or_default().push(c),
            }
        }
    }

    fn add(&mut self, c: Closed) {
        let r = &mut self.records[self.variants[c.variant].record];
        r.count += 1;
        r.delay_ns += c.dur;
        if r.last.map_or(true, |(seq, _)| c.seq > seq) {
            r.last = Some((c.seq, c.variant));
        }
    }

    /// The variant index of the event's stack.
    fn intern(&mut self, ev: &Event<'_>) -> usize {
        let stack = ev.stack();
        let key = (self.gen, if stack.is_none() { 0 } else { stack.id() });
        if let Some(&i) = self.by_id.get(&key) {
            return i;
        }
        let frames: Vec<Frame> = stack
            .frames()
            .take(MAX_FRAMES)
            .map(|f| Frame::of(&f))
            .collect();
        let mut pcs: Vec<u64> = frames.iter().map(|f| f.pc).collect();
        while pcs.last() == Some(&0) {
            pcs.pop();
        }
        let variant = match self.by_pcs.get(&pcs) {
            Some(&record) => {
                let same = self.records[record].frames == frames;
                Variant { record, frames: if same { None } else { Some(frames) } }
            }
            None => {
                let record = self.records.len();
                self.records.push(Record { frames, count: 0, delay_ns: 0, last: None });
                self.by_pcs.insert(pcs, record);
                Variant { record, frames: None }
            }
        };
        let i = self.variants.len();
        self.variants.push(variant);
        self.by_id.insert(key, i);
        i
    }

    /// The profile. Intervals closed after the last Sync event are dropped,
    /// as Go drops the events of an incomplete last generation (a complete
    /// trace ends with a Sync event, so nothing is lost there).
    pub fn finish(mut self) -> Profile {
        for (_, list) in std::mem::take(&mut self.unstarted) {
            for c in list {
                self.add(c);
            }
        }
        let variants = self.variants;
        let mut stacks: Vec<StackTotal> = self
            .records
            .into_iter()
            .filter(|r| r.count > 0)
            .map(|r| {
                let frames = match r.last.and_then(|(_, v)| variants[v].frames.clone()) {
                    Some(f) => f,
                    None => r.frames,
                };
                StackTotal { frames, count: r.count, delay_ns: r.delay_ns }
            })
            .collect();
        stacks.sort_by(|a, b| {
            b.delay_ns.cmp(&a.delay_ns).then(b.count.cmp(&a.count)).then_with(|| {
                let ka = a.frames.iter().map(|f| (&f.func, &f.file, f.line, f.pc));
                let kb = b.frames.iter().map(|f| (&f.func, &f.file, f.line, f.pc));
                ka.cmp(kb)
            })
        });
        Profile { kind: self.kind, stacks }
    }
}

/// Builds one profile from a whole trace in memory; on a read error, the
/// profile of the complete generations and the error.
pub fn profile_of_trace(bytes: &[u8], kind: ProfileKind) -> Result<(Profile, Option<gotrace::Error>), gotrace::Error> {
    let mut r = gotrace::Reader::new(bytes)?;
    let mut b = ProfileBuilder::new(kind);
    let err = loop {
        match r.read_event() {
            Ok(Some(ev)) => b.event(&ev),
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    Ok((b.finish(), err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_each_profile_takes() {
        // The runtime's wait reasons (anchors.md §6.3).
        for r in ["chan send", "chan receive", "select", "sync", "sync.(*Cond).Wait", "synctest", "select (no cases)"] {
            assert!(ProfileKind::Sync.accepts(r.as_bytes()), "{r}");
        }
        for r in ["network", "sleep", "forever", "GC mark assist wait for work", "preempted", ""] {
            assert!(!ProfileKind::Sync.accepts(r.as_bytes()), "{r}");
        }
        assert!(ProfileKind::Net.accepts(b"network"));
        assert!(!ProfileKind::Net.accepts(b"network poller"));
        assert!(ProfileKind::Sched.accepts(b"") && ProfileKind::Syscall.accepts(b""));
        assert_eq!(ProfileKind::parse("sched"), Some(ProfileKind::Sched));
        assert_eq!(ProfileKind::parse("block"), None);
        assert_eq!(ProfileKind::Sync.state(), GoState::Waiting);
    }
}
