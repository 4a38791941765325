//! The terminal report: dt/schedstat's layout (so its users find their way),
//! fitting a 100-column terminal, with schedstat's additional sections.

use std::fmt::Write;

use schedstat_report::{BurstBreakdown, Delay, Report, Why};

use super::stack;

/// How stacks are shown.
#[derive(Clone, Copy)]
pub struct StackStyle {
    /// Show every frame instead of the application path.
    pub full: bool,
}

impl StackStyle {
    fn show(&self, funcs: Option<&Vec<String>>, max_len: usize) -> String {
        match funcs {
            None => "(no stack)".into(),
            Some(f) if self.full => stack::full(f),
            Some(f) => stack::path(f, max_len),
        }
    }
}

/// A duration as dt/schedstat prints it (shared with `schedstat tui`).
pub use schedstat_report::stack::dur;

/// Go's `time.Duration.String()`: `100ms`, `1.5s`, `200µs`, `1m30s`.
pub fn go_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let neg = ns < 0;
    let u = ns.unsigned_abs();
    let frac = |v: u64, unit: u64| -> String {
        let whole = v / unit;
        let rem = v % unit;
        if rem == 0 {
            return whole.to_string();
        }
        // unit is a power of ten: the fraction has that many digits.
        let digits = unit.to_string().len() - 1;
        let s = format!("{rem:0width$}", width = digits);
        format!("{whole}.{}", s.trim_end_matches('0'))
    };
    let s = if u < 1_000 {
        format!("{u}ns")
    } else if u < 1_000_000 {
        format!("{}µs", frac(u, 1_000))
    } else if u < 1_000_000_000 {
        format!("{}ms", frac(u, 1_000_000))
    } else {
        let secs_total = u / 1_000_000_000;
        let sub = u % 1_000_000_000;
        let (h, m, sec) = (secs_total / 3600, secs_total % 3600 / 60, secs_total % 60);
        let secs = frac(sec * 1_000_000_000 + sub, 1_000_000_000);
        if h > 0 {
            format!("{h}h{m}m{secs}s")
        } else if m > 0 {
            format!("{m}m{secs}s")
        } else {
            format!("{secs}s")
        }
    };
    if neg {
        format!("-{s}")
    } else {
        s
    }
}

fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n >= width {
        s.to_string()
    } else {
        format!("{s}{}", " ".repeat(width - n))
    }
}

/// Renders one trace's report.
pub fn render(r: &Report, name: &str, style: StackStyle) -> String {
    let mut o = String::new();
    let w = &mut o;
    let opts = &r.options;
    let _ = writeln!(w, "schedstat: {name}");
    let _ = writeln!(w, "{}", "=".repeat(60));
    let _ = writeln!(w);
    let _ = writeln!(w, "Trace duration: {:.1}ms", r.trace_duration_ns as f64 / 1e6);
    let _ = writeln!(w);
    let _ = writeln!(w, "--- Scheduling Latency (runnable → running) ---");
    let l = &r.latency;
    let _ = writeln!(w, "Events: {}", l.count);
    if l.count > 0 {
        let _ = writeln!(
            w,
            "  min: {}  p50: {}  p90: {}",
            pad(&dur(l.min_ns), 10),
            pad(&dur(l.p50_ns), 10),
            pad(&dur(l.p90_ns), 10)
        );
        let _ = writeln!(
            w,
            "  avg: {}  p99: {}  max: {}",
            pad(&dur(l.avg_ns), 10),
            pad(&dur(l.p99_ns), 10),
            pad(&dur(l.max_ns), 10)
        );
    }

    if let Some(ts) = &r.timeseries {
        let _ = writeln!(w);
        let _ = writeln!(w, "--- Latency by {} Window ---", go_duration(opts.window_ns));
        let _ = writeln!(w, "{:<8} {:<10} {:<10} {:<8} {:<12}", "Window", "Start(ms)", "End(ms)", "Events", "p99");
        let _ = writeln!(w, "{:<8} {:<10} {:<10} {:<8} {:<12}", "------", "---------", "-------", "------", "---");
        for t in ts {
            let _ = writeln!(
                w,
                "{:<8} {:<10.0} {:<10.0} {:<8} {}{}",
                t.window,
                t.start_ms,
                t.end_ms,
                t.events,
                pad(&dur(t.p99_ns), 12),
                if t.spike { " ←" } else { "" }
            );
        }
    }

    if let Some(ctx) = &r.window_context {
        let _ = writeln!(w);
        let _ = writeln!(w, "--- Scheduler, GC and Heap by {} Window ---", go_duration(opts.window_ns));
        let _ = writeln!(
            w,
            "{:<8} {:<10} {:>9} {:>9} {:>6} {:>10} {:>10}",
            "Window", "Start(ms)", "Runnable", "Idle Ps", "GC%", "STW", "Heap"
        );
        for c in ctx {
            let heap = c.heap_max_bytes.map(bytes).unwrap_or_else(|| "-".into());
            let _ = writeln!(
                w,
                "{:<8} {:<10.0} {:>9.2} {:>9.2} {:>5.1}% {:>10} {:>10}{}",
                c.window,
                c.start_ms,
                c.avg_runnable,
                c.avg_idle_procs,
                100.0 * c.gc_share,
                dur(c.stw_ns as f64),
                heap,
                if c.idle_while_waiting { "  ← Ps idle while goroutines waited" } else { "" }
            );
        }
    }

    if r.latency_spikes_total > 0 {
        let _ = writeln!(w);
        let _ = writeln!(
            w,
            "--- Latency Spikes (p99 > {} per {}) ---",
            go_duration(opts.spike_threshold_ns),
            go_duration(opts.window_ns)
        );
        count_line(w, r.latency_spikes_total, r.latency_spikes.len());
        for s in &r.latency_spikes {
            let _ = writeln!(
                w,
                "  [{}] t={:.0}ms  p99={}  max={}  {} events",
                s.index,
                s.start_ms,
                dur(s.p99_ns),
                dur(s.max_ns as f64),
                s.events
            );
        }
        tie_line(w, r.latency_spikes_tied_beyond, "p99");
    }
    if r.runnable_spikes_total > 0 {
        let _ = writeln!(w);
        let _ = writeln!(
            w,
            "--- Runnable Spikes (>{} runnable per {}) ---",
            r.runnable_threshold,
            go_duration(opts.window_ns)
        );
        count_line(w, r.runnable_spikes_total, r.runnable_spikes.len());
        for s in &r.runnable_spikes {
            let _ = writeln!(w, "  [{}] t={:.0}ms  peak {} runnable", s.index, s.start_ms, s.peak);
        }
        tie_line(w, r.runnable_spikes_tied_beyond, "peak");
    }

    if !r.spike_details.is_empty() {
        let _ = writeln!(w);
        let _ = writeln!(w, "--- Spike Details ---");
        for d in &r.spike_details {
            let _ = writeln!(w);
            if d.kind == "latency" {
                let _ = writeln!(w, "[{}] t={:.0}ms [latency] p99={}", d.index, d.start_ms, dur(d.value));
            } else {
                let _ = writeln!(w, "[{}] t={:.0}ms [runnable] peak {} runnable", d.index, d.start_ms, d.value);
                if let (Some(b), false) = (d.busiest_ms, d.busiest_tied_ms.is_empty()) {
                    let mut others: Vec<String> = d.busiest_tied_ms.iter().take(3).map(|t| format!("{t}ms")).collect();
                    if d.busiest_tied_ms.len() > 3 {
                        others.push(format!("{} more", d.busiest_tied_ms.len() - 3));
                    }
                    let _ = writeln!(
                        w,
                        "     (details for the busiest 1 ms at {b}ms, tied with {}: the earliest is shown)",
                        others.join(", ")
                    );
                }
            }
            if let Some(worst) = &d.worst {
                let on = worst.p.map(|p| format!(" on P{p}")).unwrap_or_default();
                let _ = writeln!(w, "   → G{} waited {}{on}", worst.g, dur(worst.duration_ns as f64));
                let mut said = false;
                if d.burst_goroutines > 10 {
                    let _ = writeln!(w, "   → Burst: {} goroutines became runnable within ±1ms", d.burst_goroutines);
                    said = true;
                }
                if let Some(b) = &d.breakdown {
                    breakdown(w, b, style);
                }
                if let Some((g, ns, funcs)) = &worst.longest_run {
                    if *ns > 500_000 {
                        let _ = writeln!(w, "   → Longest run during wait: G{g} ran {}", dur(*ns as f64));
                        if !stack::is_unknown(funcs) {
                            let _ = writeln!(w, "     {}", style.show(Some(funcs), 80));
                        }
                        said = true;
                    }
                }
                if worst.queue_goroutines > 0 {
                    let _ = writeln!(
                        w,
                        "   → Queue activity: {} goroutines ran {} times during the wait",
                        worst.queue_goroutines, worst.queue_runs
                    );
                    said = true;
                }
                if !said {
                    let _ = writeln!(w, "   → No clear single cause identified");
                }
            } else if let Some(b) = &d.breakdown {
                breakdown(w, b, style);
            }
        }
    }

    if let Some(groups) = &r.by_creator {
        let _ = writeln!(w);
        let _ = writeln!(w, "--- Delays by Goroutine Creator ---");
        for g in groups {
            let who = match &g.creator_funcs {
                Some(f) if style.full => stack::full(f),
                _ => g.label.clone(),
            };
            let _ = writeln!(w, "  {who}");
            let _ = writeln!(
                w,
                "    {} events in {} goroutines, total: {}, max: {}, p99: {}",
                g.events,
                g.goroutines,
                dur(g.total_ns as f64),
                dur(g.max_ns as f64),
                dur(g.p99_ns)
            );
        }
    }

    if let Some(gc) = &r.gc {
        let _ = writeln!(w);
        let _ = writeln!(w, "--- GC-Related Activity ---");
        if gc.transitions.is_empty() {
            let _ = writeln!(w, "  No GC-related transitions found.");
        }
        for t in &gc.transitions {
            let reason = t.reason.clone().unwrap_or_default();
            let _ = writeln!(w, "  {} → {} ({reason})", t.from_state, t.to_state);
            let _ = writeln!(
                w,
                "    {} transitions, total: {}, max: {}",
                t.transitions,
                dur(t.total_ns as f64),
                dur(t.max_ns as f64)
            );
        }
        if !gc.ranges.is_empty() {
            let _ = writeln!(w);
            let _ = writeln!(w, "--- GC Phases and Pauses ---");
            for g in &gc.ranges {
                let max = g.max_ns.map(|m| dur(m as f64)).unwrap_or_else(|| "(not complete in the trace)".into());
                let _ = writeln!(w, "  {:<44} {:>6}  total {:<10} max {}", g.name, g.count, dur(g.total_ns as f64), max);
            }
        }
        if !gc.stw_pauses.is_empty() {
            let _ = writeln!(w);
            let _ = writeln!(w, "--- Longest Stop-the-World Pauses ---");
            for p in &gc.stw_pauses {
                let at = (p.start_ns - r.t0_ns) as f64 / 1e6;
                let _ = writeln!(w, "  {:<10} at t={at:.1}ms  {}", dur(p.duration_ns as f64), p.reason);
            }
        }
    }

    if let Some(bursts) = &r.bursts {
        let _ = writeln!(w);
        let _ = writeln!(w, "--- Goroutine Bursts (>10 becoming runnable in 1ms) ---");
        if bursts.is_empty() {
            let _ = writeln!(w, "  No significant bursts detected.");
        }
        for b in bursts {
            let _ = writeln!(
                w,
                "  t={}ms: {} goroutines became runnable ({} distinct creators)",
                pad(&format!("{:.1}", b.start_ms), 8),
                b.goroutines,
                b.distinct_creators
            );
        }
        let _ = writeln!(w);
        let _ = writeln!(w, "--- Who Launched Delayed Goroutines? ---");
        let launchers = r.launchers.as_deref().unwrap_or_default();
        if launchers.is_empty() {
            let _ = writeln!(w, "  (no creator info available)");
        }
        for l in launchers {
            let _ = writeln!(w, "  {}", style.show(l.funcs.as_ref(), 80));
            let _ = writeln!(
                w,
                "    launched {} delayed goroutines, total delay: {}, max: {}",
                l.goroutines,
                dur(l.total_ns as f64),
                dur(l.max_ns as f64)
            );
        }
    }

    if let Some(worst) = &r.worst {
        let _ = writeln!(w);
        let _ = writeln!(w, "--- {} Worst Individual Delays ---", opts.worst);
        for (i, d) in worst.iter().enumerate() {
            let _ = writeln!(w);
            let _ = writeln!(w, "{}. G{} waited {}", i + 1, d.g, dur(d.duration_ns as f64));
            let _ = writeln!(w, "   {}", style.show(d.last_funcs.as_ref().or(d.start_funcs.as_ref()), 100));
            let _ = writeln!(w, "   {}", cause_line(d, style));
        }
    }

    if let Some(waiters) = &r.top_waiters {
        let _ = writeln!(w);
        let _ = writeln!(w, "--- Top Goroutines by Wait Time ---");
        for t in waiters {
            let label = if style.full { style.show(t.funcs.as_ref(), 80) } else { t.label.clone() };
            let _ = writeln!(w, "  G{} {label}", pad(&t.g.to_string(), 6));
            let _ = writeln!(
                w,
                "          {} schedulings, total: {}, max: {}",
                t.schedulings,
                dur(t.total_ns as f64),
                dur(t.max_ns as f64)
            );
        }
    }

    if let Some(whys) = &r.why {
        let _ = writeln!(w);
        let _ = writeln!(w, "--- Why Did the {} Worst Delays Happen? ---", whys.len());
        for (i, y) in whys.iter().enumerate() {
            why(w, i + 1, y, r, style);
        }
    }
    o
}

/// Bytes in binary units, one decimal.
fn bytes(b: i64) -> String {
    let f = b as f64;
    if f >= (1u64 << 30) as f64 {
        format!("{:.1}GiB", f / (1u64 << 30) as f64)
    } else if f >= (1 << 20) as f64 {
        format!("{:.1}MiB", f / (1 << 20) as f64)
    } else if f >= 1024.0 {
        format!("{:.1}KiB", f / 1024.0)
    } else {
        format!("{b}B")
    }
}

/// Says when the cut-off of a spike list fell inside a tie.
fn tie_line(w: &mut String, beyond: usize, key: &str) {
    if beyond > 0 {
        let _ = writeln!(w, "  ({beyond} more window(s) tied with the last at the same {key}; the earliest are shown)");
    }
}

fn count_line(w: &mut String, total: usize, shown: usize) {
    if total > shown {
        let _ = writeln!(w, "{total} window(s) above threshold (showing top {shown})");
    } else {
        let _ = writeln!(w, "{total} window(s) above threshold");
    }
    let _ = writeln!(w);
}

fn breakdown(w: &mut String, b: &BurstBreakdown, style: StackStyle) {
    let parts: Vec<String> = b.categories.iter().map(|(c, n)| format!("{n} {c}")).collect();
    let _ = writeln!(w, "     Breakdown: {}", parts.join(", "));
    for (cat, _) in &b.categories {
        match cat.as_str() {
            "new" => {
                if b.created_by.is_empty() {
                    let _ = writeln!(w, "     (no creator info available)");
                }
                for (n, terse) in &b.created_by {
                    let who = match terse {
                        Some(t) => {
                            let funcs: Vec<String> = t.iter().map(|f| stack::strip_location(f).to_string()).collect();
                            style.show(Some(&funcs), 90)
                        }
                        None => "(unknown creator)".into(),
                    };
                    let _ = writeln!(w, "     Created by ({n}): {who}");
                }
            }
            "unblocked" => {
                for (n, leaf) in &b.unblocked_by {
                    let _ = writeln!(w, "     Unblocked by ({n}): {}", stack::short_name(stack::strip_location(leaf)));
                }
                for (n, funcs) in &b.blocked_at {
                    let mut s = style.show(Some(funcs), 80);
                    if let Some(leaf) = funcs.first() {
                        if !stack::is_app_frame(leaf) && !style.full {
                            s = format!("{s} [{}]", stack::short_name(leaf));
                        }
                    }
                    let _ = writeln!(w, "     Blocked at ({n}): {s}");
                }
                for h in &b.heavy_unblockers {
                    let s = match &h.funcs {
                        Some(f) => style.show(Some(f), 100),
                        None => "(unknown stack)".into(),
                    };
                    let _ = writeln!(w, "     Heavy unblocker G{} ({}): {s}", h.g, h.count);
                }
            }
            _ => {}
        }
    }
}

fn cause_line(d: &Delay, style: StackStyle) -> String {
    let by = |label: &str| match (&d.made_runnable_by_g, &d.made_runnable_by_funcs) {
        (Some(g), Some(f)) => format!("{label} by G{g} at {}", style.show(Some(f), 70)),
        (Some(g), None) => format!("{label} by G{g}"),
        _ => label.to_string(),
    };
    match d.cause.as_str() {
        "created" => by("runnable since it was created"),
        "unblocked" => by("runnable since it was unblocked"),
        "preempted" => "runnable since it was preempted".into(),
        "yielded" => "runnable since it yielded (runtime.Gosched or a stop)".into(),
        "syscall" => "runnable since it returned from a syscall without its P".into(),
        other => format!("runnable ({other})"),
    }
}

fn why(w: &mut String, i: usize, y: &Why, r: &Report, style: StackStyle) {
    let d = &y.delay;
    let _ = writeln!(w);
    let on = d.p.map(|p| format!(" on P{p}")).unwrap_or_default();
    let at = (d.start_ns - r.t0_ns) as f64 / 1e6;
    let _ = writeln!(w, "{i}. G{} waited {}{on} (from t={at:.2}ms)", d.g, dur(d.duration_ns as f64));
    let label = if style.full { style.show(d.last_funcs.as_ref().or(d.start_funcs.as_ref()), 90) } else { d.label.clone() };
    let _ = writeln!(w, "   {label}");
    let _ = writeln!(w, "   {}", cause_line(d, style));
    match y.verdict {
        "held" => {
            if let Some(h) = &y.holder {
                let pct = 100.0 * h.overlap_ns as f64 / d.duration_ns.max(1) as f64;
                let syscall = if h.syscall_ns > 0 {
                    format!(", {} of it in syscalls", dur(h.syscall_ns as f64))
                } else {
                    String::new()
                };
                let _ = writeln!(
                    w,
                    "   → Verdict: P{} was held by G{} for {} ({pct:.0}% of the wait{syscall}):",
                    h.p,
                    h.g,
                    dur(h.overlap_ns as f64),
                );
                let label = if style.full { style.show(h.funcs.as_ref(), 90) } else { h.label.clone() };
                let _ = writeln!(w, "     {label}");
            }
        }
        "saturated" => {
            let _ = writeln!(
                w,
                "   → Verdict: run queue saturated: {} other goroutine(s) runnable on {} P(s) when the wait began",
                y.runnable_total, r.procs
            );
            for (cause, n, funcs) in y.runnable_at_start.iter().take(3) {
                let _ = writeln!(w, "     {n} {cause}, mostly by {}", style.show(funcs.as_ref(), 70));
            }
        }
        _ => {
            let _ = writeln!(
                w,
                "   → Verdict: no single cause: no goroutine held the P for half the wait, {} other(s) runnable",
                y.runnable_total
            );
        }
    }
    let busy: Vec<String> = y
        .procs
        .iter()
        .map(|u| format!("P{}: G{} {}", u.p, u.g, dur(u.overlap_ns as f64)))
        .collect();
    if !busy.is_empty() {
        let line = format!("Meanwhile on every P: {}", busy.join(", "));
        let _ = writeln!(w, "   {}", wrap(&line, 97, "     "));
    }
}

/// Wraps a long line at spaces, indenting continuation lines.
fn wrap(s: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in s.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(&line);
            out.push('\n');
            line = format!("{indent}{word}");
        } else if line.is_empty() {
            line = word.to_string();
        } else {
            line.push(' ');
            line.push_str(word);
        }
    }
    out.push_str(&line);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_like_dt_schedstat_and_go() {
        assert_eq!(dur(640.0), "640ns");
        assert_eq!(dur(999.7), "1000ns");
        assert_eq!(dur(366_800.0), "366.8µs");
        assert_eq!(dur(20_220_000.0), "20.22ms");
        assert_eq!(dur(2_500_000_000.0), "2.50s");
        assert_eq!(go_duration(100_000_000), "100ms");
        assert_eq!(go_duration(1_000_000), "1ms");
        assert_eq!(go_duration(200_000), "200µs");
        assert_eq!(go_duration(1_500_000_000), "1.5s");
        assert_eq!(go_duration(60_000_000_000), "1m0s");
        assert_eq!(go_duration(1_500_000), "1.5ms");
    }
}
