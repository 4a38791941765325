//! `schedstat diff`: two traces side by side, and what changed most.
//!
//! Each trace is summarized on its own database by the `.sql` files in the
//! repository's `sql/diff/` folder (the web page runs the same files); this
//! module pairs the two summaries. Stacks are matched across traces by their
//! function names (stack IDs are per trace), together with the wait reason or
//! the cause of the scheduling delay.

use std::collections::HashMap;

use schedstat_query::{QueryResult, Sql};
use serde::Serialize;

use crate::{col, float, int, latency_summary, list, text, Latency, ReportError, Result};

/// The diff SQL, compiled in from `sql/diff/`.
pub mod sql {
    /// `sql/diff/blocking.sql`: waiting time by wait reason and stack.
    pub const BLOCKING: &str = include_str!(concat!(env!("OUT_DIR"), "/sql/diff/blocking.sql"));
    /// `sql/diff/sched.sql`: scheduling delay by cause and stack.
    pub const SCHED: &str = include_str!(concat!(env!("OUT_DIR"), "/sql/diff/sched.sql"));
    /// `sql/diff/goroutines.sql`: goroutines seen, created, exited, most alive at once.
    pub const GOROUTINES: &str = include_str!(concat!(env!("OUT_DIR"), "/sql/diff/goroutines.sql"));
    /// `sql/diff/gc.sql`: GC mark share of the trace and stop-the-world pauses.
    pub const GC: &str = include_str!(concat!(env!("OUT_DIR"), "/sql/diff/gc.sql"));
    /// Every diff file by name.
    pub const ALL: &[(&str, &str)] =
        &[("blocking.sql", BLOCKING), ("sched.sql", SCHED), ("goroutines.sql", GOROUTINES), ("gc.sql", GC)];
}

/// Goroutine counts of one trace.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Goroutines {
    /// Distinct goroutines with any state change in the trace.
    pub seen: i64,
    /// Created while tracing.
    pub created: i64,
    /// Exited while tracing.
    pub exited: i64,
    /// Most alive at once (those alive when tracing began count from its start).
    pub max_alive: i64,
    /// Alive when the trace ends.
    pub alive_at_end: i64,
}

/// GC share of one trace.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct GcShare {
    /// The trace's span (first to last event).
    pub duration_ns: i64,
    /// GC concurrent mark phases.
    pub gc_cycles: i64,
    /// Time in mark phases (clipped to the trace).
    pub gc_mark_ns: i64,
    /// `gc_mark_ns / duration_ns`.
    pub gc_mark_fraction: f64,
    /// Stop-the-world pauses.
    pub stw_count: i64,
    /// Their total length.
    pub stw_ns: i64,
    /// The longest.
    pub stw_max_ns: i64,
}

/// Waiting charged to one (reason, stack) in one trace.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StackWait {
    /// Wait reason (blocking) or cause (scheduling: created, unblocked, preempted...).
    pub reason: String,
    /// The stack's functions, leaf first (empty: no stack recorded).
    pub funcs: Vec<String>,
    /// Intervals.
    pub count: i64,
    /// Their total.
    pub total_ns: i64,
    /// Intervals still open when the trace ended (blocking only).
    pub still_waiting: i64,
}

/// Everything the diff compares, for one trace.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Side {
    /// Scheduling latency (the same query as the report's, so the same numbers).
    pub latency: Latency,
    /// Goroutine counts.
    pub goroutines: Goroutines,
    /// GC share.
    pub gc: GcShare,
    /// Blocking by reason and stack.
    pub blocking: Vec<StackWait>,
    /// Scheduling delay by cause and stack.
    pub sched: Vec<StackWait>,
}

/// One (reason, stack) before and after.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StackDelta {
    /// Wait reason or delay cause.
    pub reason: String,
    /// The stack's functions, leaf first.
    pub funcs: Vec<String>,
    /// Intervals before.
    pub before_count: i64,
    /// Intervals after.
    pub after_count: i64,
    /// Total before.
    pub before_ns: i64,
    /// Total after.
    pub after_ns: i64,
    /// `after_ns - before_ns`.
    pub delta_ns: i64,
    /// `after_ns / before_ns`; `None` when nothing was there before.
    pub ratio: Option<f64>,
}

/// The comparison of two traces.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Diff {
    /// The first trace's summary.
    pub before: Side,
    /// The second trace's summary.
    pub after: Side,
    /// Blocking changes, biggest absolute change first (at most `top`).
    pub blocking: Vec<StackDelta>,
    /// Scheduling-delay changes, biggest absolute change first (at most `top`).
    pub sched: Vec<StackDelta>,
    /// How many (reason, stack) pairs changed in all, before `top` cut them.
    pub blocking_changed: usize,
    /// The same for scheduling delays.
    pub sched_changed: usize,
}

fn waits(r: &QueryResult) -> Vec<StackWait> {
    let (reason, funcs, count, total, still) =
        (col(r, "reason"), col(r, "funcs"), col(r, "count"), col(r, "total_ns"), col(r, "still_waiting"));
    r.rows
        .iter()
        .map(|row| StackWait {
            reason: text(&row[reason]).unwrap_or_default(),
            funcs: list(&row[funcs]).unwrap_or_default(),
            count: int(&row[count]),
            total_ns: int(&row[total]),
            still_waiting: int(&row[still]),
        })
        .collect()
}

/// Summarizes one trace's database.
pub fn side(db: &dyn Sql) -> Result<Side> {
    let latency = latency_summary(&db.query(crate::sql::LATENCY_SUMMARY)?).latency;
    let g = db.query(sql::GOROUTINES)?;
    let gr = g.rows.first().ok_or_else(|| ReportError::Db(schedstat_query::DbError("goroutines.sql: no row".into())))?;
    let goroutines = Goroutines {
        seen: int(&gr[col(&g, "seen")]),
        created: int(&gr[col(&g, "created")]),
        exited: int(&gr[col(&g, "exited")]),
        max_alive: int(&gr[col(&g, "max_alive")]),
        alive_at_end: int(&gr[col(&g, "alive_at_end")]),
    };
    let c = db.query(sql::GC)?;
    let cr = c.rows.first().ok_or_else(|| ReportError::Db(schedstat_query::DbError("gc.sql: no row".into())))?;
    let gc = GcShare {
        duration_ns: int(&cr[col(&c, "duration_ns")]),
        gc_cycles: int(&cr[col(&c, "gc_cycles")]),
        gc_mark_ns: int(&cr[col(&c, "gc_mark_ns")]),
        gc_mark_fraction: float(&cr[col(&c, "gc_mark_fraction")]),
        stw_count: int(&cr[col(&c, "stw_count")]),
        stw_ns: int(&cr[col(&c, "stw_ns")]),
        stw_max_ns: int(&cr[col(&c, "stw_max_ns")]),
    };
    Ok(Side { latency, goroutines, gc, blocking: waits(&db.query(sql::BLOCKING)?), sched: waits(&db.query(sql::SCHED)?) })
}

/// Pairs the (reason, stack) rows of both sides; unchanged pairs are left out.
/// Sorted by the size of the change, then by the larger total, then by name,
/// so the order is the same on every run.
pub fn deltas(before: &[StackWait], after: &[StackWait]) -> Vec<StackDelta> {
    let mut m: HashMap<(&str, &[String]), StackDelta> = HashMap::new();
    let blank = |w: &StackWait| StackDelta {
        reason: w.reason.clone(),
        funcs: w.funcs.clone(),
        before_count: 0,
        after_count: 0,
        before_ns: 0,
        after_ns: 0,
        delta_ns: 0,
        ratio: None,
    };
    for w in before {
        let d = m.entry((w.reason.as_str(), w.funcs.as_slice())).or_insert_with(|| blank(w));
        d.before_count += w.count;
        d.before_ns += w.total_ns;
    }
    for w in after {
        let d = m.entry((w.reason.as_str(), w.funcs.as_slice())).or_insert_with(|| blank(w));
        d.after_count += w.count;
        d.after_ns += w.total_ns;
    }
    let mut v: Vec<StackDelta> = m
        .into_values()
        .filter(|d| d.before_ns != d.after_ns || d.before_count != d.after_count)
        .map(|mut d| {
            d.delta_ns = d.after_ns - d.before_ns;
            d.ratio = (d.before_ns > 0).then(|| d.after_ns as f64 / d.before_ns as f64);
            d
        })
        .collect();
    v.sort_by(|a, b| {
        b.delta_ns
            .unsigned_abs()
            .cmp(&a.delta_ns.unsigned_abs())
            .then(b.after_ns.max(b.before_ns).cmp(&a.after_ns.max(a.before_ns)))
            .then_with(|| a.reason.cmp(&b.reason))
            .then_with(|| a.funcs.cmp(&b.funcs))
    });
    v
}

/// Compares two summaries, keeping the `top` biggest changes of each kind.
pub fn diff(before: Side, after: Side, top: usize) -> Diff {
    let mut blocking = deltas(&before.blocking, &after.blocking);
    let mut sched = deltas(&before.sched, &after.sched);
    let (blocking_changed, sched_changed) = (blocking.len(), sched.len());
    blocking.truncate(top);
    sched.truncate(top);
    Diff { before, after, blocking, sched, blocking_changed, sched_changed }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(reason: &str, f: &str, count: i64, total_ns: i64) -> StackWait {
        StackWait { reason: reason.into(), funcs: vec![f.into()], count, total_ns, still_waiting: 0 }
    }

    #[test]
    fn pairs_by_reason_and_stack_biggest_change_first() {
        let before = [w("sync", "a", 2, 100), w("chan receive", "b", 1, 50), w("sleep", "c", 4, 10)];
        let after = [w("sync", "a", 2, 30), w("chan receive", "b", 1, 50), w("select", "d", 1, 20)];
        let d = deltas(&before, &after);
        let got: Vec<(&str, i64, Option<f64>)> = d.iter().map(|x| (x.reason.as_str(), x.delta_ns, x.ratio)).collect();
        assert_eq!(got, vec![("sync", -70, Some(0.3)), ("select", 20, None), ("sleep", -10, Some(0.0))]);
        assert!(deltas(&before, &before).is_empty());
    }
}
