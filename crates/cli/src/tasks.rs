//! `schedstat tasks` and `schedstat regions`: runtime/trace user annotations,
//! as go tool trace's /usertasks, /usertask, /userregions and /userregion
//! pages show them (numbers from `analysis::annotations`).

use std::collections::BTreeMap;
use std::path::Path;

use analysis::annotations::{AnnotationAnalysis, Annotations, TimeHistogram};
use serde_json::{json, Value};

use crate::input::read_events;
use crate::render::text::go_duration;
use crate::Outcome;

/// Prints a line; a closed stdout (`| head`) just ends the output.
macro_rules! outln {
    ($($a:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($a)*);
    }};
}
/// Prints without a newline; a closed stdout just ends the output.
macro_rules! out {
    ($($a:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($a)*);
    }};
}
pub(crate) use outln;

/// Whether Go's `math.Exp` takes its FMA path on this CPU (it does when the
/// CPU has AVX and FMA); histogram bucket bounds and MMU window sizes go
/// through it, so matching Go bit for bit depends on it.
///
/// `SCHEDSTAT_GO_FMA=1` or `=0` imitates Go on a CPU with or without FMA
/// (Go's own switch is `GODEBUG=cpu.fma=off`), e.g. to match output recorded
/// on another machine.
pub fn go_uses_fma() -> bool {
    match std::env::var("SCHEDSTAT_GO_FMA").as_deref() {
        Ok("1") => return true,
        Ok("0") => return false,
        _ => {}
    }
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

fn load(path: &Path) -> Result<Option<(Annotations, Outcome)>, Box<dyn std::error::Error>> {
    let mut a = AnnotationAnalysis::new();
    let Some(outcome) = read_events(path, |ev| a.event(ev))?.map(|r| r.outcome) else { return Ok(None) };
    Ok(Some((a.finish(), outcome)))
}

fn hist_json(h: &TimeHistogram) -> Value {
    json!({
        "count": h.count,
        "buckets": h.buckets.iter().map(|(b, min, n)| json!({"bucket": b, "min_ns": min, "count": n})).collect::<Vec<_>>(),
    })
}

/// One line per non-empty bucket: "  ≥ 1ms  ████ 18".
fn hist_text(h: &TimeHistogram, indent: &str) -> String {
    let max = h.buckets.iter().map(|b| b.2).max().unwrap_or(0).max(1);
    let mut s = String::new();
    for (_, min, n) in &h.buckets {
        let bar = "█".repeat(((*n as f64 / max as f64) * 40.0).ceil() as usize);
        s.push_str(&format!("{indent}≥ {:>11}  {bar} {n}\n", go_duration(*min)));
    }
    s
}

fn trunc(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// `schedstat tasks`.
pub fn run_tasks(
    path: &Path,
    task: Option<u64>,
    logs: bool,
    top: usize,
    json: bool,
) -> Result<Outcome, Box<dyn std::error::Error>> {
    let Some((a, outcome)) = load(path)? else { return Ok(Outcome::Unreadable) };
    let fma = go_uses_fma();
    if let Some(id) = task {
        let Some(t) = a.tasks.get(&id) else {
            eprintln!(
                "schedstat: error: {}: no task with ID {id} (see `schedstat tasks {}`)",
                path.display(),
                path.display()
            );
            return Ok(Outcome::FileError);
        };
        let (start, end) = a.task_interval(t);
        // Child tasks' begin and end, which Go's page does not list with the parent.
        let child_events: Vec<(u64, &analysis::annotations::TaskEvent)> = t
            .children
            .iter()
            .filter_map(|c| a.tasks.get(c))
            .flat_map(|c| c.events.iter().filter(|e| e.what.starts_with("task ")).map(move |e| (c.id, e)))
            .collect();
        if json {
            let doc = json!({
                "file": path.display().to_string(),
                "id": t.id,
                "type": t.name,
                "parent": t.parent,
                "children": t.children,
                "complete": t.complete(),
                "start_ns": t.start_ns,
                "end_ns": t.end_ns,
                "start_since_trace_ns": start - a.trace_start_ns,
                "duration_ns": end - start,
                "goroutines": t.goroutines,
                "events": t.events.iter().map(|e| json!({
                    "time_ns": e.time_ns,
                    "since_trace_ns": e.time_ns - a.trace_start_ns,
                    "since_task_ns": e.time_ns - start,
                    "goroutine": e.goroutine,
                    "what": e.what,
                })).collect::<Vec<_>>(),
                "child_events": child_events.iter().map(|(id, e)| json!({
                    "task": id,
                    "time_ns": e.time_ns,
                    "since_task_ns": e.time_ns - start,
                    "goroutine": e.goroutine,
                    "what": e.what,
                })).collect::<Vec<_>>(),
            });
            outln!("{}", serde_json::to_string_pretty(&doc)?);
        } else {
            outln!(
                "task {} {:?}  {}  {}  parent {}  children {}",
                t.id,
                t.name,
                if t.complete() { "complete" } else { "incomplete" },
                go_duration(end - start),
                t.parent.map_or("none".to_string(), |p| p.to_string()),
                if t.children.is_empty() {
                    "none".to_string()
                } else {
                    let ids = t.children.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(",");
                    format!("{} ({})", t.children.len(), trunc(&ids, 30))
                }
            );
            outln!("began {} after the trace start", go_duration(start - a.trace_start_ns));
            outln!("{:>14}  {:>6}  EVENT", "SINCE START", "G");
            let mut lines: Vec<(i64, i64, String)> =
                t.events.iter().map(|e| (e.time_ns, e.goroutine, e.what.clone())).collect();
            for (id, e) in &child_events {
                let what =
                    if e.what == "task end" { format!("child task {id} end") } else { format!("child {}", e.what) };
                lines.push((e.time_ns, e.goroutine, what));
            }
            lines.sort_by_key(|l| l.0);
            for (time, g, what) in lines {
                outln!("{:>14}  {:>6}  {}", go_duration(time - start), g, trunc(&what, 76));
            }
        }
        return Ok(outcome);
    }
    let types = a.task_types(fma);
    let mut slow: Vec<_> = a.tasks.values().collect();
    slow.sort_by_key(|t| {
        let (s, e) = a.task_interval(t);
        (std::cmp::Reverse(e - s), t.id)
    });
    slow.truncate(top);
    let mut by_cat: BTreeMap<&str, Vec<(u64, &str)>> = BTreeMap::new();
    for t in a.tasks.values() {
        for (c, m) in &t.logs {
            by_cat.entry(c.as_str()).or_default().push((t.id, m.as_str()));
        }
    }
    if json {
        let doc = json!({
            "file": path.display().to_string(),
            "trace_start_ns": a.trace_start_ns,
            "trace_end_ns": a.trace_end_ns,
            "types": types.iter().map(|t| json!({
                "type": t.name,
                "count": t.count,
                "complete": t.histogram.count,
                "histogram": hist_json(&t.histogram),
            })).collect::<Vec<_>>(),
            "tasks": a.tasks.values().map(|t| {
                let (s, e) = a.task_interval(t);
                json!({
                    "id": t.id, "type": t.name, "parent": t.parent, "children": t.children,
                    "complete": t.complete(), "start_ns": t.start_ns, "end_ns": t.end_ns,
                    "start_since_trace_ns": s - a.trace_start_ns, "duration_ns": e - s,
                    "regions": t.regions, "logs": t.logs.len(), "goroutines": t.goroutines,
                })
            }).collect::<Vec<_>>(),
            "slowest": slow.iter().map(|t| t.id).collect::<Vec<_>>(),
            "logs": by_cat.iter().map(|(c, v)| json!({
                "category": c,
                "count": v.len(),
                "messages": v.iter().map(|(id, m)| json!({"task": id, "message": m})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        });
        outln!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(outcome);
    }
    if a.tasks.is_empty() {
        outln!("no user tasks or logs in this trace (runtime/trace.NewTask, trace.Log)");
        return Ok(outcome);
    }
    outln!("Tasks by type (durations of complete tasks)");
    outln!("{:<32} {:>7} {:>9}", "TYPE", "COUNT", "COMPLETE");
    for t in &types {
        let name = if t.name.is_empty() { "(none: logs/regions outside tasks)".to_string() } else { t.name.clone() };
        outln!("{:<32} {:>7} {:>9}", trunc(&name, 32), t.count, t.histogram.count);
        out!("{}", hist_text(&t.histogram, "    "));
    }
    outln!();
    outln!("Slowest tasks (an incomplete task lasts to the trace's edge)");
    outln!("{:>8}  {:<24} {:>14}  {:<10} {:>7} {:>5}", "ID", "TYPE", "DURATION", "STATE", "REGIONS", "LOGS");
    for t in &slow {
        let (s, e) = a.task_interval(t);
        outln!(
            "{:>8}  {:<24} {:>14}  {:<10} {:>7} {:>5}",
            t.id,
            trunc(&t.name, 24),
            go_duration(e - s),
            if t.complete() { "complete" } else { "incomplete" },
            t.regions,
            t.logs.len()
        );
    }
    if logs {
        outln!();
        outln!("Logs by category");
        for (c, v) in &by_cat {
            let c = if c.is_empty() { "(no category)" } else { c };
            outln!("{}  {} logs", trunc(c, 40), v.len());
            for (id, m) in v.iter().take(top) {
                outln!("    task {:>6}  {}", id, trunc(m, 80));
            }
            if v.len() > top {
                outln!("    … {} more", v.len() - top);
            }
        }
    }
    outln!();
    outln!("One task's events: schedstat tasks --task ID TRACE");
    Ok(outcome)
}

/// `schedstat regions`.
pub fn run_regions(path: &Path, top: usize, json: bool) -> Result<Outcome, Box<dyn std::error::Error>> {
    let Some((a, outcome)) = load(path)? else { return Ok(Outcome::Unreadable) };
    let groups = a.region_groups(go_uses_fma());
    if json {
        let doc = json!({
            "file": path.display().to_string(),
            "groups": groups.iter().map(|g| {
                let mut sum: BTreeMap<String, i64> = BTreeMap::new();
                let mut total = 0;
                for &i in &g.members {
                    total += a.regions[i].stats.total_ns;
                    for (k, v) in a.regions[i].stats.non_overlapping() {
                        *sum.entry(k).or_insert(0) += v;
                    }
                }
                json!({
                    "type": g.name,
                    "func": g.frame.func,
                    "pc": g.frame.pc,
                    "file": g.frame.file,
                    "line": g.frame.line,
                    "count": g.count,
                    "histogram": hist_json(&g.histogram),
                    "total_ns": total,
                    "breakdown_ns": sum,
                    "regions": g.members.iter().map(|&i| {
                        let r = &a.regions[i];
                        let (s, e) = a.region_interval(r);
                        json!({
                            "goroutine": r.goroutine, "task": r.task,
                            "start_ns": r.start_ns, "end_ns": r.end_ns, "duration_ns": e - s,
                            "total_ns": r.stats.total_ns,
                            "stats": r.stats.non_overlapping(),
                            "ranges": r.stats.range_ns,
                        })
                    }).collect::<Vec<_>>(),
                })
            }).collect::<Vec<_>>(),
        });
        outln!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(outcome);
    }
    if groups.is_empty() {
        outln!("no user regions in this trace (runtime/trace.WithRegion, StartRegion)");
        return Ok(outcome);
    }
    outln!("Regions by type and where they began (the goroutine's entry function, as go tool trace)");
    for g in &groups {
        let mut sum: BTreeMap<String, i64> = BTreeMap::new();
        let mut total = 0;
        for &i in &g.members {
            total += a.regions[i].stats.total_ns;
            for (k, v) in a.regions[i].stats.non_overlapping() {
                *sum.entry(k).or_insert(0) += v;
            }
        }
        let name = if g.name.is_empty() { "(task inherited at goroutine creation)" } else { &g.name };
        outln!();
        outln!("{:?}  {} regions  {}", trunc(name, 40), g.count, go_duration(total));
        outln!("  {} @ {:#x}  {}:{}", trunc(&g.frame.func, 50), g.frame.pc, trunc(&g.frame.file, 30), g.frame.line);
        out!("{}", hist_text(&g.histogram, "    "));
        let mut parts: Vec<(String, i64)> = sum.into_iter().filter(|(_, v)| *v > 0).collect();
        parts.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        for (k, v) in parts.iter().take(top.max(3)) {
            let pct = if total > 0 { *v as f64 * 100.0 / total as f64 } else { 0.0 };
            outln!("    {:<34} {:>14} {:>6.1}%", trunc(k, 34), go_duration(*v), pct);
        }
    }
    Ok(outcome)
}
