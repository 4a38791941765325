//! `schedstat leaks`: goroutines still blocked when the trace ends, grouped by
//! blocking stack and wait reason, the alive-goroutine count over time, and a
//! possible-deadlock warning (see `analysis::leaks`).

use std::path::Path;

use analysis::leaks::{LeakGroup, LeakTracker};
use serde_json::json;

use crate::goroutines::emit;
use crate::input::read_events;
use crate::render::stack;
use crate::render::text::dur;
use crate::Outcome;

/// What to show.
pub struct Args {
    /// Window of the alive count (ns); default 1/20 of the trace.
    pub window: Option<i64>,
    /// At most this many groups.
    pub top: usize,
    /// Include runtime-internal goroutines.
    pub all: bool,
    /// Whole stacks instead of application paths.
    pub full_stacks: bool,
    /// JSON instead of text.
    pub json: bool,
}

/// Runs the command.
pub fn run(path: &Path, a: &Args) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut t = LeakTracker::new();
    let Some(read) = read_events(path, |ev| t.event(ev))? else {
        return Ok(Outcome::Unreadable);
    };
    let mut r = t.finish(a.window);
    let system_groups = r.groups.iter().filter(|g| g.system).count();
    let system_blocked: usize = r.groups.iter().filter(|g| g.system).map(|g| g.count).sum();
    if !a.all {
        r.groups.retain(|g| !g.system);
    }
    let total_groups = r.groups.len();
    let blocked: usize = r.groups.iter().map(|g| g.count).sum();
    r.groups.truncate(a.top);

    if a.json {
        let doc = json!({
            "trace": path.display().to_string(),
            "start_ns": r.start_ns,
            "end_ns": r.end_ns,
            "alive_at_end": r.alive_at_end,
            "app_alive_at_end": r.app_alive_at_end,
            "app_blocked_at_end": r.app_blocked_at_end,
            "blocked_shown": blocked,
            "system_blocked": system_blocked,
            "possible_deadlock": r.possible_deadlock,
            "groups_total": total_groups,
            "groups": r.groups,
            "window_ns": r.window_ns,
            "timeline": r.timeline,
        });
        emit(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
        return Ok(read.outcome);
    }

    let mut o = String::new();
    let alive: usize = r.alive_at_end.values().sum();
    let states: Vec<String> = r.alive_at_end.iter().map(|(s, n)| format!("{n} {}", s.to_lowercase())).collect();
    o += &format!(
        "At the end of the trace (+{}): {alive} goroutines alive ({})\n",
        dur((r.end_ns - r.start_ns) as f64),
        if states.is_empty() { "none".into() } else { states.join(", ") }
    );
    if r.possible_deadlock {
        o += &format!(
            "WARNING: possible deadlock: all {} application goroutines are blocked at the end of the trace\n",
            r.app_alive_at_end
        );
    }
    if blocked == 0 {
        o += "No application goroutine is blocked at the end.";
    } else {
        let groups = if total_groups == 1 { "group" } else { "groups" };
        o += &format!("{blocked} goroutines blocked at the end, in {total_groups} {groups} by stack and reason");
    }
    o += "\n";
    if !a.all && system_blocked > 0 {
        o += &format!("({system_blocked} runtime and tracer goroutines in {system_groups} groups not shown; --all)\n");
    }
    for (i, g) in r.groups.iter().enumerate() {
        o += "\n";
        o += &group_text(i + 1, g, a.full_stacks);
    }
    if total_groups > r.groups.len() {
        o += &format!("\n({} more groups; -n shows more)\n", total_groups - r.groups.len());
    }
    o += &format!("\nAlive goroutines per {} window:\n", dur(r.window_ns as f64));
    o += &format!("{:>10} {:>7} {:>7} {:>7}\n", "from", "min", "max", "at end");
    let peak = r.timeline.iter().map(|w| w.max_alive).max().unwrap_or(0).max(1);
    for w in &r.timeline {
        let bar = "#".repeat(((w.max_alive as f64 / peak as f64) * 60.0).round() as usize);
        o += &format!(
            "{:>10} {:>7} {:>7} {:>7} {}\n",
            format!("+{}", dur((w.start_ns - r.start_ns) as f64)),
            w.min_alive,
            w.max_alive,
            w.end_alive,
            bar
        );
    }
    emit(&o)?;
    Ok(read.outcome)
}

fn group_text(n: usize, g: &LeakGroup, full: bool) -> String {
    let funcs: Vec<String> = g.stack.iter().map(|f| f.func.clone()).collect();
    let reason = if g.reason.is_empty() { "(blocked before first seen)" } else { &g.reason };
    let lower = if g.goroutines.iter().any(|b| !b.since_known) { ">=" } else { "" };
    let noun = if g.count == 1 { "goroutine " } else { "goroutines" };
    let mut o = format!("{n:>2}. {:>5} {noun}  {reason}  (start: {})\n", g.count, short_start(&g.start_function));
    o += &format!(
        "    waited {lower}{} min, {lower}{} median, {lower}{} max (goroutine {})\n",
        dur(g.min_wait_ns as f64),
        dur(g.median_wait_ns as f64),
        dur(g.max_wait_ns as f64),
        g.longest_id
    );
    if full {
        for f in &g.stack {
            o += &format!("      {} ({}:{})\n", f.func, f.file, f.line);
        }
        if g.stack.is_empty() {
            o += "      (no stack)\n";
        }
    } else {
        let leaf = g.stack.iter().find(|f| stack::is_app_frame(&f.func)).or(g.stack.first());
        let at = leaf.map(|f| format!(" at {}:{}", base(&f.file), f.line)).unwrap_or_default();
        o += &format!("    {}{at}\n", stack::path(&funcs, 90usize.saturating_sub(at.len())));
    }
    o
}

fn short_start(f: &str) -> String {
    if f.is_empty() {
        "unknown".into()
    } else {
        stack::short_name(f)
    }
}

fn base(file: &str) -> &str {
    file.rsplit('/').next().unwrap_or(file)
}
