//! User annotations (runtime/trace tasks, regions and logs), summarized as go
//! tool trace's /usertasks, /usertask, /userregions and /userregion pages
//! summarize them (Go's internal/trace/summary.go and cmd/trace).
//!
//! Why follow Go's summarizer closely: a region's time breakdown (execution,
//! block reasons, syscall, scheduler wait) is the difference between two
//! snapshots of its goroutine's running totals, so it depends on exactly how
//! each state transition is booked. Booking them the same way gives the same
//! nanoseconds as Go's page, including its quirks, which are kept on purpose
//! and listed where they happen:
//! - a region's "location" is the *outermost* frame of the stack that began
//!   it (Go calls it the top frame but takes the last one, i.e. the
//!   goroutine's entry function);
//! - time after a syscall lost its P is booked as scheduler wait in snapshots
//!   taken during that syscall;
//! - regions of system goroutines (entry function `runtime.*`) that are still
//!   open when the goroutine ends are dropped.

use gotrace::{Event, EventKind, GoId, TaskId};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The same time accounts as the goroutine analysis keeps (Go uses one
/// `GoroutineExecStats` for goroutines and for regions).
pub use crate::goroutines::ExecStats;
use crate::goroutines::Summarizer;

/// A stack frame, owned.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FrameInfo {
    /// Program counter (0 when unknown).
    pub pc: u64,
    /// Function.
    pub func: String,
    /// Source file.
    pub file: String,
    /// Line.
    pub line: u64,
}

/// One user region (or, with an empty name, the task a goroutine inherited
/// from the region its creator was in, as Go records it).
#[derive(Debug, Clone, Serialize)]
pub struct RegionSummary {
    /// Region type (trace.StartRegion's name).
    pub name: String,
    /// Task the region belongs to (0: none).
    pub task: TaskId,
    /// Goroutine it ran on.
    pub goroutine: GoId,
    /// Start time, ns; None when it began before the trace.
    pub start_ns: Option<i64>,
    /// End time, ns; None when still open at the trace's end.
    pub end_ns: Option<i64>,
    /// The outermost frame of the stack that began it (Go's "region location").
    pub frame: FrameInfo,
    /// Where the goroutine's time went while in the region.
    pub stats: ExecStats,
}

/// An event in a task's history.
#[derive(Debug, Clone, Serialize)]
pub struct TaskEvent {
    /// Trace time, ns.
    pub time_ns: i64,
    /// Goroutine the event happened on.
    pub goroutine: GoId,
    /// What happened, worded as Go's /usertask page words it.
    pub what: String,
}

/// A user task (trace.NewTask), with everything the trace says about it.
#[derive(Debug, Clone, Serialize)]
pub struct TaskSummary {
    /// Task ID.
    pub id: TaskId,
    /// Task type (empty for a task only known from logs or regions).
    pub name: String,
    /// Parent task, when known.
    pub parent: Option<TaskId>,
    /// Child tasks, in the order they appeared.
    pub children: Vec<TaskId>,
    /// Begin event time, ns (None: began before the trace).
    pub start_ns: Option<i64>,
    /// End event time, ns (None: not ended within the trace).
    pub end_ns: Option<i64>,
    /// Goroutines that began, ended, logged or ran regions in it.
    pub goroutines: BTreeSet<GoId>,
    /// Begin, end, logs and region begin/end, in time order (Go's event list).
    pub events: Vec<TaskEvent>,
    /// Logs as (category, message).
    pub logs: Vec<(String, String)>,
    /// Number of regions in the task.
    pub regions: usize,
}

impl TaskSummary {
    /// Both a begin and an end are in the trace.
    pub fn complete(&self) -> bool {
        self.start_ns.is_some() && self.end_ns.is_some()
    }
}

/// All annotations of a trace.
#[derive(Debug, Clone, Serialize)]
pub struct Annotations {
    /// First event's time, ns.
    pub trace_start_ns: i64,
    /// Last event's time, ns.
    pub trace_end_ns: i64,
    /// Tasks by ID.
    pub tasks: BTreeMap<TaskId, TaskSummary>,
    /// Every region, grouped by goroutine (ascending) and in start order within one.
    pub regions: Vec<RegionSummary>,
}

impl Annotations {
    /// A task's span as Go measures it: missing ends are the trace's ends.
    pub fn task_interval(&self, t: &TaskSummary) -> (i64, i64) {
        (t.start_ns.unwrap_or(self.trace_start_ns), t.end_ns.unwrap_or(self.trace_end_ns))
    }

    /// A region's span as Go measures it: missing ends are the trace's ends.
    pub fn region_interval(&self, r: &RegionSummary) -> (i64, i64) {
        (r.start_ns.unwrap_or(self.trace_start_ns), r.end_ns.unwrap_or(self.trace_end_ns))
    }
}

struct TaskBuild {
    summary: TaskSummary,
    /// Its regions in the order they were opened: each one's `seq` and, when
    /// its begin is in the trace, the begin as the task's event list shows it.
    region_events: Vec<(usize, Option<TaskEvent>)>,
    log_events: Vec<TaskEvent>,
    start_ev: Option<TaskEvent>,
    end_ev: Option<TaskEvent>,
}

/// Streams events into [`Annotations`] (Go's `Summarizer`, restricted to
/// what the annotation pages use). The goroutine accounts that regions are
/// measured by, and the regions themselves, are the goroutine summarizer's
/// ([`crate::goroutines::Summarizer`]); this adds tasks, logs and where each
/// region began.
#[derive(Default)]
pub struct AnnotationAnalysis {
    goroutines: Summarizer,
    tasks: BTreeMap<TaskId, TaskBuild>,
    /// By region `seq`: the outermost frame of the stack of the event that
    /// opened it (its begin, or its goroutine's creation for an inherited one).
    frames: Vec<FrameInfo>,
    first: Option<i64>,
}

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn go_quote(b: &[u8]) -> String {
    gotrace::quote::GoQuoted(b).to_string()
}

fn outermost_frame(ev: &Event<'_>) -> FrameInfo {
    let st = ev.stack();
    if st.is_none() {
        return FrameInfo::default();
    }
    st.frames()
        .last()
        .map(|f| FrameInfo { pc: f.pc, func: s(f.func), file: s(f.file), line: f.line })
        .unwrap_or_default()
}

impl AnnotationAnalysis {
    /// An empty analysis.
    pub fn new() -> Self {
        Self::default()
    }

    fn task(&mut self, id: TaskId) -> &mut TaskBuild {
        self.tasks.entry(id).or_insert_with(|| TaskBuild {
            summary: TaskSummary {
                id,
                name: String::new(),
                parent: None,
                children: Vec::new(),
                start_ns: None,
                end_ns: None,
                goroutines: BTreeSet::new(),
                events: Vec::new(),
                logs: Vec::new(),
                regions: 0,
            },
            region_events: Vec::new(),
            log_events: Vec::new(),
            start_ev: None,
            end_ev: None,
        })
    }

    /// Feeds one event, in the reader's order.
    pub fn event(&mut self, ev: &Event<'_>) {
        let t = ev.time();
        self.first.get_or_insert(t);
        let seq = self.goroutines.regions_opened();
        self.goroutines.event(ev);
        if self.goroutines.regions_opened() > seq {
            // The event opened region `seq`: a begin, an end without a begin
            // (no stack of its begin), or a goroutine created inside a region.
            self.frames.push(if ev.kind() == EventKind::RegionEnd { FrameInfo::default() } else { outermost_frame(ev) });
            if let Some(r) = ev.region() {
                let begin = (ev.kind() == EventKind::RegionBegin).then(|| TaskEvent {
                    time_ns: t,
                    goroutine: ev.goroutine(),
                    what: format!("region {} begin", go_quote(s(r.kind).as_bytes())),
                });
                let task = self.task(r.task);
                task.summary.regions += 1;
                task.summary.goroutines.insert(ev.goroutine());
                task.region_events.push((seq, begin));
            }
        }
        match ev.kind() {
            EventKind::TaskBegin | EventKind::TaskEnd => {
                let Some(tk) = ev.task() else { return };
                let gid = ev.goroutine();
                let begin = ev.kind() == EventKind::TaskBegin;
                let what = if begin {
                    format!("task {} (ID {}, parent {}) begin", go_quote(tk.kind), tk.id, tk.parent)
                } else {
                    "task end".to_string()
                };
                let e = TaskEvent { time_ns: t, goroutine: gid, what };
                let task = self.task(tk.id);
                task.summary.name = s(tk.kind);
                task.summary.goroutines.insert(gid);
                if begin {
                    task.summary.start_ns = Some(t);
                    task.start_ev = Some(e);
                } else {
                    task.summary.end_ns = Some(t);
                    task.end_ev = Some(e);
                }
                if tk.parent != gotrace::event::NO_TASK && task.summary.parent.is_none() {
                    task.summary.parent = Some(tk.parent);
                    let id = tk.id;
                    self.task(tk.parent).summary.children.push(id);
                }
            }
            EventKind::Log => {
                let Some(l) = ev.log() else { return };
                let gid = ev.goroutine();
                let what = if l.category.is_empty() {
                    format!("log {}", go_quote(l.message))
                } else {
                    format!("log (category: {}): {}", s(l.category), go_quote(l.message))
                };
                let task = self.task(l.task);
                task.summary.goroutines.insert(gid);
                task.summary.logs.push((s(l.category), s(l.message)));
                task.log_events.push(TaskEvent { time_ns: t, goroutine: gid, what });
            }
            _ => {}
        }
    }

    /// Closes goroutines and regions still open at the last event and returns everything.
    pub fn finish(mut self) -> Annotations {
        let summary = self.goroutines.finish();
        // By goroutine (ascending), each one's regions in the summarizer's
        // order (Go's: by start, unknown starts first, ties in the order they ended).
        let mut regions = Vec::new();
        // By `seq`: where the region landed in `regions`, and what ended it.
        // Open regions of system goroutines are dropped, so they land nowhere.
        let mut landed = vec![None; self.frames.len()];
        for (id, g) in summary.goroutines {
            for r in g.regions {
                landed[r.seq] = Some((regions.len(), r.ended_by));
                regions.push(RegionSummary {
                    name: r.name,
                    task: r.task,
                    goroutine: id,
                    start_ns: r.start_ns,
                    end_ns: r.end_ns,
                    frame: std::mem::take(&mut self.frames[r.seq]),
                    stats: r.stats,
                });
            }
        }
        let tasks = self
            .tasks
            .into_iter()
            .map(|(id, mut tb)| {
                let mut evs: Vec<TaskEvent> = Vec::new();
                evs.extend(tb.start_ev.take());
                evs.extend(tb.end_ev.take());
                evs.append(&mut tb.log_events);
                for (seq, begin) in tb.region_events {
                    evs.extend(begin);
                    let Some((i, ended_by)) = landed[seq] else { continue };
                    let r = &regions[i];
                    if let Some(e) = r.end_ns {
                        // Go describes the event that ended it: the region's end or its goroutine's.
                        let what = match ended_by {
                            Some((from, to)) => format!("{} -> {}", from.as_str(), to.as_str()),
                            None => format!("region {} end", go_quote(r.name.as_bytes())),
                        };
                        evs.push(TaskEvent { time_ns: e, goroutine: r.goroutine, what });
                    }
                }
                evs.sort_by_key(|e| e.time_ns);
                tb.summary.events = evs;
                (id, tb.summary)
            })
            .collect();
        Annotations { trace_start_ns: self.first.unwrap_or(0), trace_end_ns: summary.end_ns, tasks, regions }
    }
}

/// Go's high-dynamic-range duration histogram (traceviewer.TimeHistogram):
/// five log-spaced buckets per power of ten.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TimeHistogram {
    /// Samples added.
    pub count: u64,
    /// Non-empty buckets as (bucket index, lower bound ns, samples).
    pub buckets: Vec<(i64, i64, u64)>,
}

/// ln(10^(1/5)) as Go computes `math.Log(math.Pow(10, 1.0/5))` on amd64: Pow
/// goes through Go's Exp, so the value depends on its FMA path (bits
/// 0x3fdd791c5f888824 with FMA, 0x3fdd791c5f888826 without).
fn log_div(fma: bool) -> f64 {
    f64::from_bits(if fma { 0x3fdd791c5f888824 } else { 0x3fdd791c5f888826 })
}

impl TimeHistogram {
    /// The histogram of `durations` (ns), bucketed as Go buckets them.
    pub fn of(durations: impl IntoIterator<Item = i64>, fma: bool) -> TimeHistogram {
        let mut counts: BTreeMap<i64, u64> = BTreeMap::new();
        let mut n = 0;
        for d in durations {
            let b = if d > 0 { (crate::mmu::go_log(d as f64) / log_div(fma)) as i64 } else { 0 };
            *counts.entry(b).or_insert(0) += 1;
            n += 1;
        }
        TimeHistogram { count: n, buckets: counts.into_iter().map(|(b, c)| (b, Self::bucket_min(b, fma), c)).collect() }
    }

    /// The lower bound of bucket `b` in ns, as Go prints it (`Duration(math.Exp(b*logDiv))`).
    pub fn bucket_min(b: i64, fma: bool) -> i64 {
        crate::mmu::go_exp(b as f64 * log_div(fma), fma) as i64
    }
}

/// Tasks of one type, as a row of /usertasks.
#[derive(Debug, Clone, Serialize)]
pub struct TaskType {
    /// Task type.
    pub name: String,
    /// All tasks of the type, complete or not.
    pub count: usize,
    /// Durations of the complete ones.
    pub histogram: TimeHistogram,
}

/// Regions of one type begun at one location, as a row of /userregions.
#[derive(Debug, Clone, Serialize)]
pub struct RegionGroup {
    /// Region type.
    pub name: String,
    /// Outermost frame of the stack that began them.
    pub frame: FrameInfo,
    /// Number of regions.
    pub count: usize,
    /// Durations (unknown ends are the trace's ends).
    pub histogram: TimeHistogram,
    /// Indexes into [`Annotations::regions`].
    pub members: Vec<usize>,
}

impl Annotations {
    /// /usertasks: task types in name order.
    pub fn task_types(&self, fma: bool) -> Vec<TaskType> {
        let mut by: BTreeMap<&str, Vec<&TaskSummary>> = BTreeMap::new();
        for t in self.tasks.values() {
            by.entry(t.name.as_str()).or_default().push(t);
        }
        by.into_iter()
            .map(|(name, ts)| TaskType {
                name: name.to_string(),
                count: ts.len(),
                histogram: TimeHistogram::of(
                    ts.iter().filter(|t| t.complete()).map(|t| t.end_ns.unwrap() - t.start_ns.unwrap()),
                    fma,
                ),
            })
            .collect()
    }

    /// /userregions: groups by (type, outermost frame), ordered by type then PC.
    pub fn region_groups(&self, fma: bool) -> Vec<RegionGroup> {
        let mut by: BTreeMap<(&str, u64, &FrameInfo), Vec<usize>> = BTreeMap::new();
        for (i, r) in self.regions.iter().enumerate() {
            by.entry((r.name.as_str(), r.frame.pc, &r.frame)).or_default().push(i);
        }
        by.into_iter()
            .map(|((name, _, frame), members)| RegionGroup {
                name: name.to_string(),
                frame: frame.clone(),
                count: members.len(),
                histogram: TimeHistogram::of(
                    members.iter().map(|&i| {
                        let (a, b) = self.region_interval(&self.regions[i]);
                        b - a
                    }),
                    fma,
                ),
                members,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::TimeHistogram;

    /// Bucket bounds as go tool trace prints them (1ms, 1.584893ms, 6.309573ms, 39.81µs).
    #[test]
    fn histogram_buckets_like_go() {
        assert_eq!(TimeHistogram::bucket_min(30, true), 1_000_000);
        assert_eq!(TimeHistogram::bucket_min(31, true), 1_584_893);
        assert_eq!(TimeHistogram::bucket_min(34, true), 6_309_573);
        assert_eq!(TimeHistogram::bucket_min(23, true), 39_810);
        // Exactly 1ms lands in the bucket below: ln(1e6)/logDiv is 29.999…, as in Go.
        let h = TimeHistogram::of([1_000_000, 1_200_000, 1_500_000, 40_128, 0], true);
        assert_eq!(h.count, 5);
        assert_eq!(h.buckets, vec![(0, 1, 1), (23, 39_810, 1), (29, 630_957, 1), (30, 1_000_000, 2)]);
    }
}
