//! `schedstat gc`: stop-the-world pauses, concurrent mark phases, mark
//! assists by goroutine, and the minimum mutator utilization (MMU) curve with
//! its worst windows, computed as go tool trace's /mmu page computes them.

use std::collections::BTreeMap;
use std::path::Path;

use analysis::gc::GcAnalysis;
use analysis::mmu::{mmu_plot, MmuCurve, MutatorUtilBuilder, UtilFlags, WorkerModel};
use serde_json::json;

use crate::render::text::go_duration;
use crate::input::read_events;
use crate::tasks::{go_uses_fma, outln};
use crate::Outcome;

/// What `schedstat gc` was asked for.
pub struct GcArgs {
    /// Which GC work counts against the mutator.
    pub flags: UtilFlags,
    /// How background mark workers are booked (Go's way, or fixed).
    pub model: WorkerModel,
    /// Window sizes (ns) whose worst windows are listed; empty: 1ms, 10ms, 100ms (within the trace).
    pub worst_at: Vec<i64>,
    /// Entries per listing.
    pub top: usize,
    /// One JSON document.
    pub json: bool,
}

/// `schedstat gc`.
pub fn run(path: &Path, args: &GcArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut gc = GcAnalysis::new();
    let mut mu = MutatorUtilBuilder::with_model(args.flags, args.model);
    let Some(outcome) = read_events(path, |ev| {
        gc.event(ev);
        mu.event(ev);
    })?
    .map(|r| r.outcome) else {
        return Ok(Outcome::Unreadable);
    };
    let sum = gc.finish();
    let utils = mu.finish();
    // Where the utilization function stops changing: with Go's worker model
    // it can sink to 0 for good long before the trace ends (see WorkerModel).
    let util_end = utils.iter().filter_map(|u| u.last().map(|x| x.time)).max().unwrap_or(sum.trace_end_ns);
    let stuck = !args.flags.per_proc && util_end < sum.trace_end_ns;
    let curve = MmuCurve::new(utils);
    let plot = mmu_plot(&curve, go_uses_fma());
    let span = sum.trace_end_ns - sum.trace_start_ns;
    let worst_at: Vec<i64> = if args.worst_at.is_empty() {
        [1_000_000, 10_000_000, 100_000_000].into_iter().filter(|&w| w <= span).collect()
    } else {
        args.worst_at.clone()
    };
    let worst: Vec<(i64, Vec<analysis::mmu::UtilWindow>)> =
        worst_at.iter().map(|&w| (w, curve.worst_windows(w, 10))).collect();

    let gc_stw: Vec<_> = sum.stw.iter().filter(|p| p.gc).collect();
    let stw_total: i64 = sum.stw.iter().map(|p| p.duration_ns).sum();
    let mut by_reason: BTreeMap<&str, (u64, i64, i64)> = BTreeMap::new();
    for p in &sum.stw {
        let e = by_reason.entry(p.reason.as_str()).or_insert((0, 0, 0));
        e.0 += 1;
        e.1 += p.duration_ns;
        e.2 = e.2.max(p.duration_ns);
    }
    if args.json {
        let doc = json!({
            "file": path.display().to_string(),
            "trace_start_ns": sum.trace_start_ns,
            "trace_end_ns": sum.trace_end_ns,
            "gc_cycles": sum.mark_phases.len(),
            "stw": sum.stw,
            "stw_total_ns": stw_total,
            "stw_by_reason": by_reason.iter().map(|(r, (n, t, m))| json!({
                "reason": r, "count": n, "total_ns": t, "max_ns": m,
            })).collect::<Vec<_>>(),
            "mark_phases": sum.mark_phases,
            "assists": sum.assists,
            "mmu": {
                "flags": args.flags.go_query(),
                "model": if args.model == WorkerModel::Go { "go" } else { "fixed" },
                "utilization_stuck_at_zero_ns": if stuck { Some(util_end) } else { None },
                "x_min": plot.x_min,
                "x_max": plot.x_max,
                "curve": plot.curve,
                "worst": worst.iter().map(|(w, ws)| json!({
                    "window_ns": w,
                    "windows": ws.iter().map(|u| json!({
                        "time": u.time,
                        "since_trace_ns": u.time - sum.trace_start_ns,
                        "mu": u.mutator_util,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            },
        });
        outln!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(outcome);
    }

    let pct = |ns: i64| if span > 0 { ns as f64 * 100.0 / span as f64 } else { 0.0 };
    let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    outln!("GC in {} ({} of trace)", name, go_duration(span));
    outln!(
        "{} mark phases, {} stop-the-world pauses ({} by the GC), {} stopped ({:.2}% of the trace)",
        sum.mark_phases.len(),
        sum.stw.len(),
        gc_stw.len(),
        go_duration(stw_total),
        pct(stw_total)
    );
    outln!();
    outln!("Stop-the-world pauses by reason");
    outln!("{:<40} {:>6} {:>14} {:>14}", "REASON", "COUNT", "TOTAL", "LONGEST");
    for (r, (n, t, m)) in &by_reason {
        outln!("{:<40} {:>6} {:>14} {:>14}", r, n, go_duration(*t), go_duration(*m));
    }
    let mut longest: Vec<_> = sum.stw.iter().collect();
    longest.sort_by(|a, b| b.duration_ns.cmp(&a.duration_ns).then(a.start_ns.cmp(&b.start_ns)));
    outln!();
    outln!("Longest pauses");
    outln!("{:>14} {:>14}  {:<40} {:>6}", "AT", "DURATION", "REASON", "G");
    for p in longest.iter().take(args.top) {
        outln!(
            "{:>14} {:>14}  {:<40} {:>6}",
            go_duration(p.start_ns - sum.trace_start_ns),
            go_duration(p.duration_ns),
            p.reason,
            p.goroutine
        );
    }
    outln!();
    outln!("Concurrent mark phases");
    outln!("{:>14} {:>14}", "AT", "DURATION");
    for m in sum.mark_phases.iter().take(args.top.max(10)) {
        let note = if m.complete { "" } else { "  (cut by the trace's edge)" };
        outln!("{:>14} {:>14}{note}", go_duration(m.start_ns - sum.trace_start_ns), go_duration(m.duration_ns));
    }
    if sum.mark_phases.len() > args.top.max(10) {
        outln!("… {} more", sum.mark_phases.len() - args.top.max(10));
    }
    outln!();
    let assist_total: i64 = sum.assists.iter().map(|a| a.total_ns).sum();
    outln!(
        "Mark assists: {} by {} goroutines, {}",
        sum.assists.iter().map(|a| a.count).sum::<u64>(),
        sum.assists.len(),
        go_duration(assist_total)
    );
    if !sum.assists.is_empty() {
        outln!("{:>10} {:>8} {:>14}", "G", "COUNT", "TOTAL");
        for a in sum.assists.iter().take(args.top) {
            outln!("{:>10} {:>8} {:>14}", a.goroutine, a.count, go_duration(a.total_ns));
        }
    }
    outln!();
    let how = if args.model == WorkerModel::Go { "as go tool trace's /mmu" } else { "workers booked once per run" };
    outln!("Minimum mutator utilization ({}; {how})", args.flags.go_query());
    if plot.curve.is_empty() {
        outln!("  no data (no GOMAXPROCS in the trace)");
        return Ok(outcome);
    }
    if stuck {
        outln!(
            "note: utilization is 0 from {} on (Go's worker bookkeeping; see --mmu-model fixed)",
            go_duration(util_end - sum.trace_start_ns)
        );
    }
    outln!("{:>14}  {:>8}", "WINDOW", "MMU");
    let mut last_w = -1;
    for (i, (w, m)) in plot.curve.iter().enumerate() {
        if (i % 11 == 0 || i == plot.curve.len() - 1) && *w != last_w {
            let bar = "█".repeat((m * 40.0).round() as usize);
            outln!("{:>14}  {:>8.4}  {bar}", go_duration(*w), m);
            last_w = *w;
        }
    }
    for (w, ws) in &worst {
        outln!();
        outln!("Lowest mutator utilization in {} windows", go_duration(*w));
        for u in ws.iter().take(args.top.max(10)) {
            outln!(
                "  {:.3} at {} (trace time {} ns)",
                u.mutator_util,
                go_duration(u.time - sum.trace_start_ns),
                u.time
            );
        }
    }
    Ok(outcome)
}
