//! `schedstat scope` (the toolbox's scope_tls and scope_chart): the sampling
//! oscilloscope. Each CPU-profile sample taken on a goroutine while it was
//! inside a region of one kind is placed at its fraction of that region's
//! length, so thousands of regions from many traces stack up into one picture
//! of where, within the region, the CPU time goes.
//!
//! Regions come from three places, all on [`GoroutineEvents`] (the requests
//! model: Go 1.21's view of old traces, so times are scope_tls's own):
//! - [`tls_client_handshakes`]: scope_tls's own definition of the TLS 1.2
//!   client handshake's CPU-heavy middle;
//! - [`kind_windows`]: any kind of a `schedstat requests` pattern file (the
//!   same region finder, [`find_regions`]);
//! - [`UserRegions`]: runtime/trace regions of one type.
//!
//! [`place`] then puts the samples in them.

use std::collections::HashMap;

use gotrace::{Event, EventKind};
use serde::Serialize;

use super::pattern::StackPattern;
use super::requests::events::{GKind, GoroutineEvents, NONE};
use super::requests::patterns::Patterns;
use super::requests::regions::find_regions;

/// One region on one goroutine: samples at `start <= t < end` fall inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The goroutine.
    pub g: u64,
    /// Start time (ns, the events' times).
    pub start: i64,
    /// End time (ns).
    pub end: i64,
}

/// A CPU sample placed in a region.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Placed {
    /// The goroutine the sample (and the region) is on.
    pub g: u64,
    /// The region's start (ns).
    pub region_start_ns: i64,
    /// The region's length (ns).
    pub region_length_ns: i64,
    /// The sample's time after the region's start (ns).
    pub offset_ns: i64,
    /// `offset_ns / region_length_ns`.
    pub frac: f64,
    /// The sample's function names, root first.
    pub stack: Vec<String>,
    /// Which sample: its position in [`GoroutineEvents::samples`] (so callers
    /// that kept the samples' full frames can find them).
    #[serde(skip)]
    pub sample: usize,
}

impl Placed {
    /// scope_tls's `-text` row, which scope_chart reads:
    /// `start S length L frac F stack ROOT;...;LEAF`.
    pub fn text_row(&self) -> String {
        format!(
            "start {} length {} frac {:.6} stack {}",
            self.region_start_ns,
            self.region_length_ns,
            self.frac,
            self.stack.join(";")
        )
    }
}

fn compile(specs: &[&str]) -> StackPattern {
    StackPattern::new(specs).expect("built-in stack patterns compile")
}

/// scope_tls's TLS client handshake, one per goroutine: from the wake-up that
/// ends the goroutine's last network block inside `crypto/tls.(*Conn).readHandshake`
/// (reading the server's first flight) to its first syscall or network block
/// inside `(*clientHandshakeState).readFinished` (waiting for the server's
/// Finished). That is TLS 1.2's client side (TLS 1.3 clients use
/// `readServerFinished`), where the client verifies the server, agrees on keys
/// and signs. A block that nothing woke inside the trace gives no region
/// (scope_tls crashes on it).
pub fn tls_client_handshakes(d: &GoroutineEvents) -> Vec<Window> {
    let read_handshake = compile(&["**", "^crypto/tls...Conn..readHandshake$", "**", "^net...conn..Read$", "**"]);
    let read_finished =
        compile(&["**", "^crypto/tls...clientHandshakeState..readFinished$", "**", "^net...conn..Read$", "**"]);
    let mut cache: HashMap<(u32, bool), bool> = HashMap::new();
    let mut matches = |stack: u32, finished: bool| -> bool {
        *cache.entry((stack, finished)).or_insert_with(|| {
            let funcs = d.stacks.funcs(stack);
            if finished {
                read_finished.matches_leaf_first(&funcs)
            } else {
                read_handshake.matches_leaf_first(&funcs)
            }
        })
    };
    let mut out = Vec::new();
    for (g, list) in &d.goroutines {
        let mut left = NONE;
        let mut right = NONE;
        for &i in list {
            let e = &d.events[i as usize];
            if e.kind == GKind::GoBlockNet && matches(e.stack, false) {
                left = i;
            }
            if right == NONE && matches!(e.kind, GKind::GoSysCall | GKind::GoBlockNet) && matches(e.stack, true) {
                right = i;
            }
        }
        if left == NONE || right == NONE {
            continue;
        }
        let woken = d.events[left as usize].link;
        if woken == NONE {
            continue;
        }
        out.push(Window { g: *g, start: d.events[woken as usize].ts, end: d.events[right as usize].ts });
    }
    out
}

/// Takes the CPU samples out of the goroutines' event lists (they stay in
/// `events` and `samples`, which [`place`] reads): they are not something
/// the goroutine did, and a sample whose stack a kind's patterns do not match
/// (its stack is the code running, not where the goroutine waits) would end
/// that kind's region early. Call before [`kind_windows`].
pub fn set_samples_aside(d: &mut GoroutineEvents) {
    let mut is_sample = vec![false; d.events.len()];
    for &i in &d.samples {
        is_sample[i as usize] = true;
    }
    for (_, list) in d.goroutines.iter_mut() {
        list.retain(|&i| !is_sample[i as usize]);
        for (p, &i) in list.iter().enumerate() {
            d.pos[i as usize] = p as u32;
        }
    }
}

/// The regions of the pattern-file kind named `kind` (from its first event to
/// its last), as `schedstat requests` finds them in `d` with its samples set
/// aside ([`set_samples_aside`]); `None` if no kind has that name.
pub fn kind_windows(d: &GoroutineEvents, patterns: &Patterns, kind: &str) -> Option<Vec<Window>> {
    let k = patterns.kinds.iter().position(|k| k.name == kind)?;
    let windows = find_regions(d, patterns)
        .into_iter()
        .filter(|r| r.kind as usize == k)
        .map(|r| Window {
            g: d.goroutines[r.gi as usize].0,
            start: d.events[r.first_event(d) as usize].ts,
            end: d.events[r.last_event(d) as usize].ts,
        })
        .collect();
    Some(windows)
}

/// runtime/trace regions of one type, collected from the reader's events
/// (fed alongside the requests collector, so times agree when both read the
/// converted events). Regions begun before the trace or still open at its end
/// have no known length and are left out.
#[derive(Debug)]
pub struct UserRegions {
    region_type: Vec<u8>,
    /// Per goroutine, the start times of its open regions of any type
    /// (`None` for other types), innermost last.
    open: HashMap<u64, Vec<Option<i64>>>,
    windows: Vec<Window>,
}

impl UserRegions {
    /// Collects regions whose type is `region_type`.
    pub fn new(region_type: &str) -> UserRegions {
        UserRegions { region_type: region_type.as_bytes().to_vec(), open: HashMap::new(), windows: Vec::new() }
    }

    /// Feeds one event.
    pub fn event(&mut self, e: &Event<'_>) {
        let begin = match e.kind() {
            EventKind::RegionBegin => true,
            EventKind::RegionEnd => false,
            _ => return,
        };
        let Some(r) = e.region() else { return };
        let g = e.goroutine().max(0) as u64;
        let ours = r.kind == self.region_type.as_slice();
        let stack = self.open.entry(g).or_default();
        if begin {
            stack.push(ours.then(|| e.time()));
        } else if let Some(start) = stack.pop() {
            if let (true, Some(start)) = (ours, start) {
                self.windows.push(Window { g, start, end: e.time() });
            }
        }
    }

    /// The regions seen, in the order they ended.
    pub fn finish(self) -> Vec<Window> {
        self.windows
    }
}

/// Places every CPU sample of `d` that falls inside a window (a sample inside
/// two nested windows is placed in each): windows by goroutine, then start,
/// samples in time order within each.
pub fn place(d: &GoroutineEvents, windows: &[Window]) -> Vec<Placed> {
    let mut by_g: HashMap<u64, Vec<(usize, u32)>> = HashMap::new();
    for (n, &i) in d.samples.iter().enumerate() {
        by_g.entry(d.events[i as usize].g).or_default().push((n, i));
    }
    let mut order: Vec<&Window> = windows.iter().collect();
    order.sort_by_key(|w| (w.g, w.start, w.end));
    let mut stacks: HashMap<u32, Vec<String>> = HashMap::new();
    let mut out = Vec::new();
    for w in order {
        let Some(samples) = by_g.get(&w.g) else { continue };
        let from = samples.partition_point(|&(_, i)| d.events[i as usize].ts < w.start);
        for &(n, i) in &samples[from..] {
            let e = &d.events[i as usize];
            if e.ts >= w.end {
                break;
            }
            let stack = stacks
                .entry(e.stack)
                .or_insert_with(|| {
                    d.stacks.funcs(e.stack).iter().rev().map(|f| String::from_utf8_lossy(f).into_owned()).collect()
                })
                .clone();
            let length = w.end - w.start;
            out.push(Placed {
                g: w.g,
                region_start_ns: w.start,
                region_length_ns: length,
                offset_ns: e.ts - w.start,
                frac: (e.ts - w.start) as f64 / length as f64,
                stack,
                sample: n,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_row_is_scope_tls_format() {
        let p = Placed {
            g: 7,
            region_start_ns: 25637050,
            region_length_ns: 4167409,
            offset_ns: 1473000,
            frac: 1473000.0 / 4167409.0,
            stack: vec!["runtime.goexit".into(), "main.f".into()],
            sample: 0,
        };
        assert_eq!(p.text_row(), "start 25637050 length 4167409 frac 0.353457 stack runtime.goexit;main.f");
    }
}
