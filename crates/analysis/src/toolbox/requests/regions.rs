//! Finding regions on each goroutine (regiongraph's `GeneralTracker` and
//! `negativeSpace`) and connecting them across goroutines (its
//! `RegionConnector`): which region is the reason each event happens.

use super::events::{GKind, GoroutineEvents, NONE};
use super::patterns::{Finder, Patterns, Pred};

/// A contiguous run of one goroutine's events doing one kind of work.
#[derive(Debug, Clone, Copy)]
pub struct Region {
    /// Index into the kinds.
    pub kind: u16,
    /// Index of the goroutine in [`GoroutineEvents::goroutines`].
    pub gi: u32,
    /// Positions of its first and last events in the goroutine's list.
    pub first: u32,
    /// (inclusive)
    pub last: u32,
}

impl Region {
    /// How many events it spans.
    pub fn len(&self) -> u32 {
        self.last - self.first + 1
    }

    /// Never empty; here for clippy's sake.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The event index of its first event.
    pub fn first_event(&self, d: &GoroutineEvents) -> u32 {
        d.goroutines[self.gi as usize].1[self.first as usize]
    }

    /// The event index of its last event.
    pub fn last_event(&self, d: &GoroutineEvents) -> u32 {
        d.goroutines[self.gi as usize].1[self.last as usize]
    }
}

/// Stack-match answers per (kind, stack), computed once.
struct MatchCache {
    /// Per kind: 0 unknown, 1 no, 2 yes, indexed by interned stack.
    per_kind: Vec<Vec<u8>>,
}

impl MatchCache {
    fn matches(&mut self, d: &GoroutineEvents, pats: &Patterns, kind: usize, stack: u32) -> bool {
        let row = &mut self.per_kind[kind];
        let i = stack as usize;
        if row.len() <= i {
            row.resize(i + 1, 0);
        }
        if row[i] == 0 {
            let Finder::Tracker { patterns, .. } = &pats.kinds[kind].finder else { return false };
            let funcs = d.stacks.funcs(stack);
            row[i] = if patterns.iter().any(|p| p.matches_leaf_first(&funcs)) { 2 } else { 1 };
        }
        row[i] == 2
    }
}

/// Finds every region, goroutine by goroutine (ascending), kind by kind in
/// the pattern file's order, as regiongraph lists them.
pub fn find_regions(d: &GoroutineEvents, pats: &Patterns) -> Vec<Region> {
    let mut cache = MatchCache { per_kind: vec![Vec::new(); pats.kinds.len()] };
    let mut out = Vec::new();
    let mut per_kind: Vec<Vec<Region>> = vec![Vec::new(); pats.kinds.len()];
    for (gi, (_, list)) in d.goroutines.iter().enumerate() {
        for (k, kind) in pats.kinds.iter().enumerate() {
            let found = match &kind.finder {
                Finder::Tracker { start, keepalive, critical, single, flush_at_end, reactivate, .. } => {
                    let t = Tracker {
                        start,
                        keepalive,
                        critical: critical.as_ref(),
                        single: *single,
                        flush_at_end: *flush_at_end,
                        reactivate: *reactivate,
                    };
                    let mut eval = |p: &Pred, pos: usize| {
                        let e = &d.events[list[pos] as usize];
                        let stack = e.stack;
                        p.eval(e.kind, stack != 0, &mut || cache.matches(d, pats, k, stack))
                    };
                    t.run(list.len(), &mut eval)
                }
                Finder::Between(a, b) => negative_space(d, list, &per_kind[*a], &per_kind[*b]),
            };
            per_kind[k] = found
                .into_iter()
                .map(|(first, last)| Region { kind: k as u16, gi: gi as u32, first, last })
                .collect();
        }
        for regs in per_kind.iter_mut() {
            out.append(regs);
        }
    }
    out
}

/// regiongraph's `GeneralTracker` over one goroutine's events.
struct Tracker<'p> {
    start: &'p Pred,
    keepalive: &'p Pred,
    critical: Option<&'p Pred>,
    single: bool,
    flush_at_end: bool,
    reactivate: bool,
}

impl Tracker<'_> {
    /// The regions as (first, last) positions.
    fn run(&self, n: usize, eval: &mut impl FnMut(&Pred, usize) -> bool) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        // The queue is the contiguous run [q0, q0 + qlen).
        let mut active = false;
        let (mut q0, mut qlen, mut trim) = (0usize, 0usize, 0usize);
        let done = |q0: usize, qlen: usize, trim: usize, out: &mut Vec<(u32, u32)>| {
            let keep = if self.critical.is_none() { qlen } else { trim };
            if keep >= 2 || (self.single && keep >= 1) {
                out.push((q0 as u32, (q0 + keep - 1) as u32));
            }
        };
        for i in 0..n {
            if !active {
                if eval(self.start, i) {
                    q0 = i;
                    qlen = 1;
                    trim = 0;
                    if let Some(c) = self.critical {
                        if eval(c, i) {
                            trim = 1;
                        }
                    }
                    active = true;
                }
                continue;
            }
            let mut still = true;
            if !eval(self.keepalive, i) {
                done(q0, qlen, trim, &mut out);
                qlen = 0;
                trim = 0;
                still = false;
            }
            if self.reactivate && self.critical.is_some() && eval(self.start, i) {
                if qlen > 0 {
                    done(q0, qlen, trim, &mut out);
                }
                qlen = 0;
                trim = 0;
                still = true;
            }
            if !still {
                active = false;
                continue;
            }
            if qlen == 0 {
                q0 = i;
            }
            qlen += 1;
            if let Some(c) = self.critical {
                if eval(c, i) {
                    trim = qlen;
                }
            }
        }
        if active && self.flush_at_end {
            done(q0, qlen, trim, &mut out);
        }
        out
    }
}

/// regiongraph's `negativeSpace`: regions from the last event of each
/// `starts` region to the first event of the next `ends` region, unless an
/// `ends` region overlaps in between.
fn negative_space(d: &GoroutineEvents, list: &[u32], starts: &[Region], ends: &[Region]) -> Vec<(u32, u32)> {
    let ts = |pos: u32| d.events[list[pos as usize] as usize].ts;
    let mut out = Vec::new();
    let mut starts = starts;
    let mut ends = ends;
    let mut open = false;
    // The queue is [q0, i]; `None` when Go's queue is empty.
    let mut q0: Option<u32> = None;
    for i in 0..list.len() as u32 {
        if q0.is_none() {
            q0 = Some(i);
        }
        let t = ts(i);
        for (j, s) in starts.iter().enumerate() {
            if s.last == i {
                open = true;
                starts = &starts[j + 1..];
                q0 = Some(i);
                break;
            }
            if ts(s.last) > t {
                break;
            }
        }
        while let Some(e) = ends.first() {
            if ts(e.last) < t {
                ends = &ends[1..];
                continue;
            }
            if ts(e.first) < t {
                ends = &ends[1..];
                open = false;
                q0 = None;
                continue;
            }
            if e.first == i {
                if open {
                    if let Some(a) = q0 {
                        out.push((a, i));
                    }
                    open = false;
                }
                q0 = None;
            }
            break;
        }
    }
    out
}

/// A node of regiongraph's `RegionStack`: an immutable list of reasons.
#[derive(Debug, Clone, Copy)]
pub struct Node {
    /// The event where this reason began.
    pub start: u32,
    /// The region on this goroutine ([`NONE`] when working for another goroutine).
    pub local: u32,
    /// The higher-level reason ([`NONE`]).
    pub parent: u32,
}

/// The reasons: every event's stack of regions.
#[derive(Debug, Default)]
pub struct Connected {
    /// All nodes ever made (identity is the index).
    pub nodes: Vec<Node>,
    /// Each event's node ([`NONE`]).
    pub at_event: Vec<u32>,
}

impl Connected {
    /// The chain from `n` up to its root.
    pub fn chain(&self, mut n: u32) -> impl Iterator<Item = u32> + '_ {
        std::iter::from_fn(move || {
            if n == NONE {
                return None;
            }
            let cur = n;
            n = self.nodes[n as usize].parent;
            Some(cur)
        })
    }
}

/// regiongraph's `RegionConnector.Process` with its default rules.
pub fn connect(d: &GoroutineEvents, pats: &Patterns, regions: &[Region]) -> Connected {
    // Regions starting and ending at each event, as ranges of two flat lists.
    let by_event = |key: &dyn Fn(&Region) -> u32| -> (Vec<u32>, Vec<u32>) {
        let mut order: Vec<u32> = (0..regions.len() as u32).collect();
        order.sort_by_key(|&r| (key(&regions[r as usize]), r));
        let mut first = vec![NONE; d.events.len()];
        for (i, &r) in order.iter().enumerate().rev() {
            first[key(&regions[r as usize]) as usize] = i as u32;
        }
        (order, first)
    };
    let (mut starts, start_at) = by_event(&|r: &Region| r.first_event(d));
    let (ends, end_at) = by_event(&|r: &Region| r.last_event(d));
    let run = |list: &[u32], at: &[u32], key: &dyn Fn(&Region) -> u32, ev: u32| -> std::ops::Range<usize> {
        let a = at[ev as usize];
        if a == NONE {
            return 0..0;
        }
        let mut b = a as usize;
        while b < list.len() && key(&regions[list[b] as usize]) == ev {
            b += 1;
        }
        a as usize..b
    };
    // Smaller regions first; Go's sort.Slice is an insertion sort at these
    // sizes, and its comparison puts a later region of the same length
    // first unless it is the enclosing kind.
    for ev in 0..d.events.len() as u32 {
        let r = run(&starts, &start_at, &|r: &Region| r.first_event(d), ev);
        let list = &mut starts[r];
        for i in 1..list.len() {
            let mut j = i;
            while j > 0 {
                let (a, b) = (&regions[list[j] as usize], &regions[list[j - 1] as usize]);
                let less = a.len() < b.len() || (a.len() == b.len() && !pats.kinds[a.kind as usize].enclosing);
                if !less {
                    break;
                }
                list.swap(j, j - 1);
                j -= 1;
            }
        }
    }
    let region_g = |r: u32| d.goroutines[regions[r as usize].gi as usize].0;
    let region_end_ts = |r: u32| d.events[regions[r as usize].last_event(d) as usize].ts;
    let mut c = Connected { nodes: Vec::new(), at_event: vec![NONE; d.events.len()] };
    // Each goroutine's current reason, by its index in d.goroutines.
    let mut now: Vec<u32> = vec![NONE; d.goroutines.len()];
    let mut active_local: Vec<u32> = Vec::new();
    for (i, e) in d.events.iter().enumerate() {
        let ev = i as u32;
        let gi = d.gindex[i] as usize;
        let mut why = now[gi];
        let fresh = run(&starts, &start_at, &|r: &Region| r.first_event(d), ev);
        for k in fresh.rev() {
            why = push(&mut c.nodes, Node { start: ev, local: starts[k], parent: why });
        }
        if e.link != NONE {
            let l = &d.events[e.link as usize];
            if l.kind == GKind::GoStart && e.g != l.g {
                let li = d.gindex[e.link as usize] as usize;
                now[li] = apply_on_wake(d, pats, regions, &mut c.nodes, e.link, now[li], why, &region_g);
            }
        }
        let stale = &ends[run(&ends, &end_at, &|r: &Region| r.last_event(d), ev)];
        if !stale.is_empty() {
            active_local.clear();
            let mut link = why;
            while link != NONE {
                let n = c.nodes[link as usize];
                if n.local != NONE && d.events[n.start as usize].g == e.g && region_end_ts(n.local) > e.ts {
                    active_local.push(n.local);
                }
                if n.local != NONE && stale.contains(&n.local) {
                    why = n.parent;
                    for &local in active_local.iter().rev() {
                        let start = regions[local as usize].first_event(d);
                        why = push(&mut c.nodes, Node { start, local, parent: why });
                    }
                }
                link = n.parent;
            }
        }
        c.at_event[i] = why;
        now[gi] = why;
    }
    c
}

fn push(nodes: &mut Vec<Node>, n: Node) -> u32 {
    nodes.push(n);
    (nodes.len() - 1) as u32
}

/// regiongraph's default `ApplyOnWake`: the reason a woken goroutine takes on.
#[allow(clippy::too_many_arguments)]
fn apply_on_wake(
    d: &GoroutineEvents,
    pats: &Patterns,
    regions: &[Region],
    nodes: &mut Vec<Node>,
    start: u32,
    existing: u32,
    inbound: u32,
    region_g: &impl Fn(u32) -> u64,
) -> u32 {
    if inbound == NONE {
        return existing;
    }
    let target = d.events[start as usize].g;
    // `propose` starts as a new node {start, parent: inbound}, made only if kept.
    let mut propose = NONE;
    let mut link = inbound;
    while link != NONE {
        let n = nodes[link as usize];
        if existing != NONE && n.local != NONE && pats.kinds[regions[n.local as usize].kind as usize].shared {
            return existing;
        }
        if d.events[n.start as usize].g == target {
            propose = link;
        }
        if n.local != NONE && region_g(n.local) == target {
            propose = link;
        }
        link = n.parent;
    }
    if existing == NONE || nodes[existing as usize].local == NONE {
        if propose == NONE {
            return push(nodes, Node { start, local: NONE, parent: inbound });
        }
        return propose;
    }
    existing
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use crate::toolbox::requests::events::from_listing;

    /// One directory of the toolbox's testdata (gzipped listings, one goroutine each).
    fn load(dir: &str) -> GoroutineEvents {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/oracle/toolbox/regiongraph-facts")
            .join(dir);
        let mut text = String::new();
        let mut files: Vec<_> = std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for f in files {
            let bytes = std::fs::read(&f).unwrap();
            flate2::read::GzDecoder::new(bytes.as_slice()).read_to_string(&mut text).unwrap();
        }
        from_listing(&text)
    }

    /// (goroutine, first event time, last event time) of each region of a kind, in order.
    fn of_kind(d: &GoroutineEvents, regions: &[Region], pats: &Patterns, kind: &str) -> Vec<(u64, i64, i64)> {
        regions
            .iter()
            .filter(|r| pats.kinds[r.kind as usize].name == kind)
            .map(|r| {
                let a = &d.events[r.first_event(d) as usize];
                (a.g, a.ts, d.events[r.last_event(d) as usize].ts)
            })
            .collect()
    }

    /// The regions the toolbox's own tests (internal/pattern/pattern_test.go)
    /// expect from its production listings, from our built-in pattern file.
    #[test]
    fn builtin_kinds_find_the_toolbox_testdata_regions() {
        let pats = Patterns::builtin();
        let d = load("7de55ef9_go1.15.10/dial_own_tls_with_shared_dns");
        let r = find_regions(&d, &pats);
        assert_eq!(
            of_kind(&d, &r, &pats, "client/http_write"),
            [(680530335, 702489253, 702524304), (680531543, 703591527, 703627794)]
        );
        assert_eq!(
            of_kind(&d, &r, &pats, "client/http_read"),
            [(680530334, 702438203, 727206110), (680531542, 703558545, 745909754)]
        );
        assert_eq!(
            of_kind(&d, &r, &pats, "client/http_roundtrip"),
            [(680531181, 695730843, 727242718), (680531392, 695888518, 745939343)]
        );
        assert_eq!(
            of_kind(&d, &r, &pats, "client/http_dial"),
            [(680531183, 695758811, 702432357), (680533090, 695918961, 703532327)]
        );
        assert_eq!(of_kind(&d, &r, &pats, "client/http_dns"), [(680531184, 695785500, 696203164)]);

        let d = load("7de55ef9_go1.15.10/http_conn_serve");
        let r = find_regions(&d, &pats);
        let g = 680534068;
        assert_eq!(
            of_kind(&d, &r, &pats, "server/http_read"),
            [
                (g, 892977658, 892977658),
                (g, 904581002, 908233530),
                (g, 948263071, 950621923),
                (g, 960975730, 964130081),
                (g, 965562894, 970713280)
            ]
        );
        assert_eq!(
            of_kind(&d, &r, &pats, "server/http_write"),
            [
                (g, 904538378, 904578848),
                (g, 948229770, 948261343),
                (g, 960942450, 960974066),
                (g, 965526136, 965560419),
                (g, 996260282, 996293199)
            ]
        );
        assert_eq!(
            of_kind(&d, &r, &pats, "server/http"),
            [
                (g, 892977658, 904538378),
                (g, 908233530, 948229770),
                (g, 950621923, 960942450),
                (g, 964130081, 965526136),
                (g, 970713280, 996260282)
            ]
        );

        // Every kind at once, within a window of a GC-heavy trace.
        let d = load("f2f5b4bd_go1.18.7/gc_assist");
        let r: Vec<Region> = find_regions(&d, &pats)
            .into_iter()
            .filter(|r| {
                let (a, b) = (d.events[r.first_event(&d) as usize].ts, d.events[r.last_event(&d) as usize].ts);
                1185138955 <= a && b <= 1877568374
            })
            .collect();
        assert_eq!(of_kind(&d, &r, &pats, "server/http"), [(130809, 1_185_138_955, 1_877_568_374)]);
        assert_eq!(
            of_kind(&d, &r, &pats, "client/http_roundtrip"),
            [(130809, 1_827_393_328, 1_875_371_807), (67059294, 1_331_823_807, 1_359_513_355), (67059297, 1_319_046_532, 1_348_449_260)]
        );
    }
}
