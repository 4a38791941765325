//! The doctor's evidence from the events: the analyses whose figures the
//! doctor quotes (leaks, the sync and syscall profiles, GC, goroutine
//! summaries), fed in one pass and turned into
//! [`schedstat_report::doctor::EventEvidence`]. One collector for the CLI and
//! the web page (crates/wasm), so both diagnose from the same numbers.

use std::collections::BTreeMap;

use gotrace::Event;
use schedstat_report::doctor::{BlockedGroup, EventEvidence, GcEvidence, GroupExec, ProfileStack};

use crate::gc::GcAnalysis;
use crate::goroutines::Summarizer;
use crate::leaks::{is_runtime_goroutine, LeakTracker};
use crate::profile::{ProfileBuilder, ProfileKind, StackTotal};

/// Feeds every analysis the doctor needs; [`Collector::finish`] gives the evidence.
pub struct Collector {
    leaks: LeakTracker,
    sync: ProfileBuilder,
    syscall: ProfileBuilder,
    gc: GcAnalysis,
    summ: Summarizer,
}

impl Default for Collector {
    fn default() -> Self {
        Self::new()
    }
}

impl Collector {
    /// Empty analyses.
    pub fn new() -> Self {
        Collector {
            leaks: LeakTracker::new(),
            sync: ProfileBuilder::new(ProfileKind::Sync),
            syscall: ProfileBuilder::new(ProfileKind::Syscall),
            gc: GcAnalysis::new(),
            summ: Summarizer::new(),
        }
    }

    /// One event, in trace order.
    pub fn event(&mut self, ev: &Event<'_>) {
        self.leaks.event(ev);
        self.sync.event(ev);
        self.syscall.event(ev);
        self.gc.event(ev);
        self.summ.event(ev);
    }

    /// The evidence after the last event.
    pub fn finish(self) -> EventEvidence {
        evidence(self.leaks, self.sync.finish(), self.syscall.finish(), self.gc, self.summ)
    }
}

fn profile_stacks(stacks: &[StackTotal]) -> Vec<ProfileStack> {
    stacks
        .iter()
        .map(|s| ProfileStack { funcs: s.frames.iter().map(|f| f.func.clone()).collect(), count: s.count, delay_ns: s.delay_ns })
        .collect()
}

/// The event analyses' results as the doctor's plain evidence.
fn evidence(
    leaks: LeakTracker,
    sync: crate::profile::Profile,
    syscall: crate::profile::Profile,
    gc: GcAnalysis,
    summ: Summarizer,
) -> EventEvidence {
    evidence_of(&leaks.finish(None), &sync, &syscall, &gc.finish(), &summ.finish())
}

/// [`Collector::finish`] from analyses already finished, for callers that
/// keep them to show as well (`schedstat tui`), so they are not run twice.
pub fn evidence_of(
    r: &crate::leaks::LeakReport,
    sync: &crate::profile::Profile,
    syscall: &crate::profile::Profile,
    s: &crate::gc::GcSummary,
    summary: &crate::goroutines::Summary,
) -> EventEvidence {
    let blocked: Vec<BlockedGroup> = r
        .groups
        .iter()
        .filter(|g| !g.system)
        .map(|g| BlockedGroup {
            reason: g.reason.clone(),
            funcs: g.stack.iter().map(|f| f.func.clone()).collect(),
            start_function: g.start_function.clone(),
            count: g.count,
            began_in_trace: g.goroutines.iter().filter(|b| b.since_known).count(),
            min_wait_ns: g.min_wait_ns,
            median_wait_ns: g.median_wait_ns,
            max_wait_ns: g.max_wait_ns,
            first_since_ns: g.goroutines.iter().map(|b| b.since_ns).min().unwrap_or(r.end_ns),
            last_since_ns: g.goroutines.iter().map(|b| b.since_ns).max().unwrap_or(r.end_ns),
        })
        .collect();
    let name = |g: i64| summary.goroutines.get(&g).map(|x| x.name.clone()).unwrap_or_default();
    let longest = |v: &mut dyn Iterator<Item = (i64, i64)>| v.max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
    let gce = GcEvidence {
        mark_phases: s.mark_phases.len(),
        mark_ns: s.mark_phases.iter().map(|m| m.duration_ns).sum(),
        longest_mark: longest(&mut s.mark_phases.iter().map(|m| (m.start_ns, m.duration_ns))),
        stw_count: s.stw.len(),
        stw_ns: s.stw.iter().map(|p| p.duration_ns).sum(),
        longest_stw: longest(&mut s.stw.iter().map(|p| (p.start_ns, p.duration_ns))),
        assists: s.assists.iter().map(|a| (a.goroutine, name(a.goroutine), a.count, a.total_ns)).collect(),
    };
    let app = summary.goroutines.values().filter(|g| !is_runtime_goroutine(&g.name));
    let (mut exec, mut sys) = (0i64, 0i64);
    let mut by_name: BTreeMap<&str, GroupExec> = BTreeMap::new();
    for g in app {
        exec += g.stats.exec_ns;
        sys += g.stats.syscall_ns;
        let e = by_name.entry(&g.name).or_insert_with(|| GroupExec { name: g.name.clone(), ..GroupExec::default() });
        e.count += 1;
        e.exec_ns += g.stats.exec_ns;
        e.sched_wait_ns += g.stats.sched_wait_ns;
    }
    let mut groups: Vec<GroupExec> = by_name.into_values().collect();
    groups.sort_by(|a, b| b.exec_ns.cmp(&a.exec_ns).then_with(|| a.name.cmp(&b.name)));
    EventEvidence {
        start_ns: r.start_ns,
        end_ns: r.end_ns,
        app_alive_at_end: r.app_alive_at_end,
        app_blocked_at_end: r.app_blocked_at_end,
        alive_first_window: r.timeline.first().map_or(0, |w| w.min_alive),
        alive_max: r.timeline.iter().map(|w| w.max_alive).max().unwrap_or(0),
        blocked,
        sync: profile_stacks(&sync.stacks),
        syscall: profile_stacks(&syscall.stacks),
        gc: gce,
        app_exec_ns: exec,
        app_syscall_ns: sys,
        groups,
    }
}

