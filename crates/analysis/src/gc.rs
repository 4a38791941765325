//! Garbage collector activity from the trace's GC ranges: stop-the-world
//! pauses, concurrent mark phases and mark assists.
//!
//! Why from ranges: since Go 1.22 the runtime brackets each of these with
//! range events (`stop-the-world (<reason>)`, `GC concurrent mark phase`,
//! `GC mark assist`), the same ranges go tool trace draws in its timeline and
//! feeds to its MMU. Pairing them here gives exact durations; the MMU itself
//! is in [`crate::mmu`].

use gotrace::table::IdMap;
use gotrace::{Event, EventKind, GoId, RangeName, Resource};
use serde::Serialize;
use std::collections::BTreeMap;

/// One stop-the-world pause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StwPause {
    /// Why the world stopped, as the runtime names it ("GC mark termination", "start trace", ...).
    pub reason: String,
    /// Whether the GC stopped the world (Go counts these in the MMU; others are user or runtime requests).
    pub gc: bool,
    /// Start, trace time in ns.
    pub start_ns: i64,
    /// Duration in ns (to the end of the trace when the pause had not ended).
    pub duration_ns: i64,
    /// The goroutine that stopped the world.
    pub goroutine: GoId,
    /// False when the trace ended during the pause.
    pub complete: bool,
}

/// One concurrent mark phase (one GC cycle's marking).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MarkPhase {
    /// Start, trace time in ns (the trace start when it was already running).
    pub start_ns: i64,
    /// Duration in ns.
    pub duration_ns: i64,
    /// False when the phase began before the trace or had not ended at its end.
    pub complete: bool,
}

/// Mark assists of one goroutine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssistTotal {
    /// The goroutine.
    pub goroutine: GoId,
    /// How many assists it made (an assist already running when the trace started counts once).
    pub count: u64,
    /// Time spent in them, ns (from the trace start or to its end for those cut off).
    pub total_ns: i64,
}

/// Everything [`GcAnalysis`] gathers.
#[derive(Debug, Clone, Serialize)]
pub struct GcSummary {
    /// First event's time, ns.
    pub trace_start_ns: i64,
    /// Last event's time, ns.
    pub trace_end_ns: i64,
    /// Stop-the-world pauses in start order.
    pub stw: Vec<StwPause>,
    /// Concurrent mark phases in start order.
    pub mark_phases: Vec<MarkPhase>,
    /// Mark assists per goroutine, most total time first.
    pub assists: Vec<AssistTotal>,
}

/// Streams events and pairs GC range begin/end events.
#[derive(Default)]
pub struct GcAnalysis {
    first: Option<i64>,
    last: i64,
    stw: Vec<StwPause>,
    open_stw: IdMap<GoId, usize>,
    marks: Vec<MarkPhase>,
    open_mark: Option<usize>,
    assists: BTreeMap<GoId, AssistTotal>,
    open_assist: IdMap<GoId, i64>,
}

impl GcAnalysis {
    /// An empty analysis.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one event, in the reader's order.
    pub fn event(&mut self, ev: &Event<'_>) {
        let t = ev.time();
        if self.first.is_none() {
            self.first = Some(t);
        }
        self.last = t;
        let kind = ev.kind();
        if !matches!(kind, EventKind::RangeBegin | EventKind::RangeActive | EventKind::RangeEnd) {
            return;
        }
        let Some(r) = ev.range() else { return };
        let begin = kind != EventKind::RangeEnd;
        // An "active" range was already running when its generation began.
        let start = if kind == EventKind::RangeActive { self.first.unwrap_or(t) } else { t };
        match r.name {
            RangeName::StopTheWorld(reason) => {
                let g = match r.scope {
                    Resource::Goroutine(g) => g,
                    _ => ev.goroutine(),
                };
                if begin {
                    let reason = String::from_utf8_lossy(reason).into_owned();
                    let gc = reason.contains("GC");
                    self.open_stw.insert(g, self.stw.len());
                    self.stw.push(StwPause {
                        reason,
                        gc,
                        start_ns: start,
                        duration_ns: 0,
                        goroutine: g,
                        complete: kind == EventKind::RangeBegin,
                    });
                } else if let Some(i) = self.open_stw.remove(&g) {
                    let p = &mut self.stw[i];
                    p.duration_ns = t - p.start_ns;
                }
            }
            RangeName::GcMark => {
                if begin {
                    if kind == EventKind::RangeActive && self.open_mark.is_some() {
                        return; // already known from an earlier generation
                    }
                    self.open_mark = Some(self.marks.len());
                    self.marks.push(MarkPhase {
                        start_ns: start,
                        duration_ns: 0,
                        complete: kind == EventKind::RangeBegin,
                    });
                } else if let Some(i) = self.open_mark.take() {
                    self.marks[i].duration_ns = t - self.marks[i].start_ns;
                } else {
                    // Ended, but its start was before the trace.
                    let s = self.first.unwrap_or(t);
                    self.marks.push(MarkPhase { start_ns: s, duration_ns: t - s, complete: false });
                }
            }
            RangeName::GcMarkAssist => {
                let Resource::Goroutine(g) = r.scope else { return };
                if begin {
                    if kind == EventKind::RangeActive && self.open_assist.contains_key(&g) {
                        return;
                    }
                    self.open_assist.insert(g, start);
                    self.assists.entry(g).or_insert(AssistTotal { goroutine: g, count: 0, total_ns: 0 }).count += 1;
                } else {
                    let a = self.assists.entry(g).or_insert(AssistTotal { goroutine: g, count: 0, total_ns: 0 });
                    match self.open_assist.remove(&g) {
                        Some(s) => a.total_ns += t - s,
                        None => {
                            a.count += 1;
                            a.total_ns += t - self.first.unwrap_or(t);
                        }
                    }
                }
            }
            RangeName::GcSweep => {}
        }
    }

    /// Closes what is still open at the last event and returns the summary.
    pub fn finish(mut self) -> GcSummary {
        let end = self.last;
        for (_, i) in self.open_stw.drain() {
            let p = &mut self.stw[i];
            p.duration_ns = end - p.start_ns;
            p.complete = false;
        }
        if let Some(i) = self.open_mark.take() {
            self.marks[i].duration_ns = end - self.marks[i].start_ns;
            self.marks[i].complete = false;
        }
        for (g, s) in self.open_assist.drain() {
            if let Some(a) = self.assists.get_mut(&g) {
                a.total_ns += end - s;
            }
        }
        let mut assists: Vec<AssistTotal> = self.assists.into_values().collect();
        assists.sort_by(|a, b| b.total_ns.cmp(&a.total_ns).then(a.goroutine.cmp(&b.goroutine)));
        GcSummary {
            trace_start_ns: self.first.unwrap_or(0),
            trace_end_ns: end,
            stw: self.stw,
            mark_phases: self.marks,
            assists,
        }
    }
}
