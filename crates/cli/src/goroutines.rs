//! `schedstat goroutines`: `go tool trace`'s /goroutines and /goroutine pages
//! in the terminal and as JSON, with the same figures (see
//! `analysis::goroutines` for Go's bookkeeping and its quirks).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use analysis::goroutines::{ExecStats, GoroutineSummary, Summarizer, Summary};
use serde_json::{json, Value};

use crate::input::read_events;
use crate::render::text::{dur, go_duration};
use crate::Outcome;

/// What to show.
pub struct Args {
    /// One group (start function) instead of the list of groups.
    pub group: Option<String>,
    /// One goroutine.
    pub id: Option<i64>,
    /// Sort a group's goroutines by this column (Go's name or a short alias).
    pub sort: Option<String>,
    /// At most this many rows per listing.
    pub top: Option<usize>,
    /// JSON instead of text.
    pub json: bool,
}

/// Writes to stdout (a closed pipe ends the process by SIGPIPE; see main()).
pub fn emit(s: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes()).and_then(|_| out.flush())
}

/// The label /goroutines shows for a group.
fn label(name: &str) -> &str {
    if name.is_empty() {
        "(Inactive, no stack trace sampled)"
    } else {
        name
    }
}

/// Runs the command.
pub fn run(path: &Path, a: &Args) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut s = Summarizer::new();
    let Some(read) = read_events(path, |ev| s.event(ev))? else {
        return Ok(Outcome::Unreadable);
    };
    let sum = s.finish();
    let top = a.top.unwrap_or(usize::MAX);

    if let Some(id) = a.id {
        let Some(g) = sum.goroutines.get(&id) else {
            eprintln!("schedstat: error: {}: no goroutine {id} in the trace", path.display());
            return Ok(Outcome::FileError);
        };
        if a.json {
            let doc = json!({
                "trace": path.display().to_string(),
                "start_ns": read.start_ns,
                "end_ns": sum.end_ns,
                "goroutine": goroutine_json(g),
            });
            emit(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
        } else {
            emit(&render_one(g, read.start_ns, top))?;
        }
        return Ok(read.outcome);
    }

    let groups = sum.groups();
    let selected: Vec<&analysis::goroutines::Group> = match &a.group {
        Some(name) => {
            let Some(g) = groups.iter().find(|g| &g.name == name || label(&g.name) == name) else {
                eprintln!(
                    "schedstat: error: {}: no goroutine group {name:?}; `schedstat goroutines {}` lists them",
                    path.display(),
                    path.display()
                );
                return Ok(Outcome::FileError);
            };
            vec![g]
        }
        None => groups.iter().collect(),
    };
    let total = sum.total_exec_ns();

    // Resolve --sort against the columns of the group(s) shown.
    let mut lists: Vec<(&analysis::goroutines::Group, Vec<&GoroutineSummary>, Vec<String>, Vec<String>)> =
        Vec::new();
    for grp in &selected {
        let gs = sum.group(&grp.name);
        let (cols, ranges) = Summary::columns(&gs);
        lists.push((grp, gs, cols, ranges));
    }
    if let Some(key) = &a.sort {
        for (_, gs, cols, _) in lists.iter_mut() {
            let Some(col) = resolve_sort(key, cols) else {
                if a.group.is_some() {
                    eprintln!(
                        "schedstat: error: --sort {key:?}: not a column here; use total or one of: {}",
                        cols.iter().map(|c| alias(c)).collect::<Vec<_>>().join(", ")
                    );
                    return Ok(Outcome::FileError);
                }
                continue;
            };
            if col != "Total time" {
                gs.sort_by(|x, y| {
                    let vx = x.stats.non_overlapping().get(&col).copied().unwrap_or(0);
                    let vy = y.stats.non_overlapping().get(&col).copied().unwrap_or(0);
                    vy.cmp(&vx).then(x.id.cmp(&y.id))
                });
            }
        }
    }

    if a.json {
        let gj: Vec<Value> = lists
            .iter()
            .take(top)
            .map(|(grp, gs, cols, ranges)| {
                json!({
                    "name": grp.name,
                    "label": label(&grp.name),
                    "count": grp.count,
                    "exec_ns": grp.exec_ns,
                    "exec_percent": exec_percent(grp.exec_ns, total),
                    "columns": cols,
                    "range_columns": ranges,
                    "goroutines": gs.iter().take(top).map(|g| goroutine_json(g)).collect::<Vec<_>>(),
                })
            })
            .collect();
        let doc = json!({
            "trace": path.display().to_string(),
            "start_ns": read.start_ns,
            "end_ns": sum.end_ns,
            "goroutines": sum.goroutines.len(),
            "total_exec_ns": total,
            "groups": gj,
        });
        emit(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
        return Ok(read.outcome);
    }

    let mut o = String::new();
    if a.group.is_none() {
        o += &format!(
            "{} goroutines in {} groups by start location, {} execution time in all\n\n",
            sum.goroutines.len(),
            groups.len(),
            go_duration(total)
        );
        let rows: Vec<[String; 3]> = groups
            .iter()
            .take(top)
            .map(|g| [label(&g.name).to_string(), g.count.to_string(), go_duration(g.exec_ns)])
            .collect();
        let w1 = rows.iter().map(|r| r[1].len()).max().unwrap_or(0).max(5);
        let w2 = rows.iter().map(|r| r[2].len()).max().unwrap_or(0).max(14);
        let w0 = (100 - 2 - w1 - 2 - w2 - 2).min(rows.iter().map(|r| r[0].chars().count()).max().unwrap_or(0).max(14));
        o += &format!("{:<w0$}  {:>w1$}  {:>w2$}\n", "Start location", "Count", "Execution time");
        for r in &rows {
            o += &format!("{:<w0$}  {:>w1$}  {:>w2$}\n", fit_left(&r[0], w0), r[1], r[2]);
        }
        if groups.len() > rows.len() {
            o += &format!("({} more groups; -n shows more)\n", groups.len() - rows.len());
        }
        o += "\n`schedstat goroutines --group NAME TRACE` breaks a group down per goroutine.\n";
    } else {
        let (grp, gs, cols, ranges) = &lists[0];
        o += &format!("Goroutine start location: {}\n", label(&grp.name));
        o += &format!("Count: {}\n", grp.count);
        let pct = exec_percent(grp.exec_ns, total);
        o += &format!(
            "Execution time: {} ({} of total program execution time)\n\n",
            go_duration(grp.exec_ns),
            if pct.is_empty() { "-".to_string() } else { pct }
        );
        o += &breakdown_table(gs, cols, top);
        let with_ranges: Vec<&GoroutineSummary> =
            gs.iter().copied().filter(|g| g.stats.range_ns.values().fold(0i64, |a, v| a.wrapping_add(*v)) != 0).collect();
        if !with_ranges.is_empty() {
            o += "\nSpecial ranges (overlap the columns above):\n";
            o += &range_table(&with_ranges, ranges, top);
        }
    }
    emit(&o)?;
    Ok(read.outcome)
}

/// Go's "Execution Time: 12.34% of total program execution time" figure ("" when nothing ran).
fn exec_percent(exec: i64, total: i64) -> String {
    if total > 0 {
        format!("{:.2}%", exec as f64 / total as f64 * 100.0)
    } else {
        String::new()
    }
}

/// A short column header for a /goroutine page column.
fn alias(col: &str) -> String {
    match col {
        "Execution time" => "exec".into(),
        "Sched wait time" => "sched".into(),
        "Syscall execution time" => "syscall".into(),
        "Block time (syscall)" => "sys-block".into(),
        "Unknown time" => "unknown".into(),
        "Total time" => "total".into(),
        // The empty reason: waiting when first seen, reason not recorded.
        "Block time ()" => "block:initial".into(),
        c => match c.strip_prefix("Block time (").and_then(|r| r.strip_suffix(')')) {
            Some(reason) => format!("block:{reason}"),
            None => c.to_string(),
        },
    }
}

/// Maps a `--sort` argument (Go's column name or its alias) to Go's column name.
fn resolve_sort(key: &str, cols: &[String]) -> Option<String> {
    if key.eq_ignore_ascii_case("total") || key == "Total time" {
        return Some("Total time".into());
    }
    cols.iter().find(|c| c.as_str() == key || alias(c) == key).cloned()
}

/// Cuts a long name at the left (keeping the function at its end).
fn fit_left(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n <= w {
        return s.to_string();
    }
    let skip = n - (w - 1);
    format!("…{}", s.chars().skip(skip).collect::<String>())
}

/// Cuts a long header at the right.
fn fit_right(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        return s.to_string();
    }
    format!("{}…", s.chars().take(w - 1).collect::<String>())
}

const MAX_COLS: usize = 100;
const HEADER_MAX: usize = 14;

/// The per-goroutine breakdown as a table within 100 columns: all-zero
/// columns are left out, and if still too wide the smallest block-time
/// columns are summed into `block:other`.
fn breakdown_table(gs: &[&GoroutineSummary], cols: &[String], top: usize) -> String {
    let shown: Vec<&GoroutineSummary> = gs.iter().take(top).copied().collect();
    let stats: Vec<BTreeMap<String, i64>> = shown.iter().map(|g| g.stats.non_overlapping()).collect();
    let colsum = |c: &String| stats.iter().map(|m| m.get(c).copied().unwrap_or(0)).sum::<i64>();
    let mut keep: Vec<String> = cols.iter().filter(|c| colsum(c) != 0).cloned().collect();
    let mut dropped: Vec<String> = cols.iter().filter(|c| colsum(c) == 0).map(|c| alias(c)).collect();
    // Whole headers (up to 24 characters) when they fit, else cut at 14.
    let full = |cols: &[String]| 19 + cols.iter().map(|c| alias(c).chars().count().clamp(9, 24) + 1).sum::<usize>();
    let hmax = if full(&keep) <= MAX_COLS { 24 } else { HEADER_MAX };
    let width = |cols: &[String]| 19 + cols.iter().map(|c| alias(c).chars().count().clamp(9, hmax) + 1).sum::<usize>();
    let mut merged: Vec<String> = Vec::new();
    while width(&keep) + if merged.is_empty() { 0 } else { 12 } > MAX_COLS {
        // The smallest block column goes into "block:other".
        let Some((i, _)) = keep
            .iter()
            .enumerate()
            .filter(|(_, c)| c.starts_with("Block time (") && *c != "Block time (syscall)")
            .min_by_key(|(_, c)| colsum(c))
        else {
            break;
        };
        merged.push(keep.remove(i));
    }
    let mut o = String::new();
    let hdr = |c: &str| fit_right(c, hmax);
    let cw: Vec<usize> = keep.iter().map(|c| alias(c).chars().count().clamp(9, hmax)).collect();
    o += &format!("{:>9} {:>9}", "goroutine", "total");
    for (c, w) in keep.iter().zip(&cw) {
        o += &format!(" {:>w$}", hdr(&alias(c)));
    }
    if !merged.is_empty() {
        o += &format!(" {:>11}", "block:other");
    }
    o += "\n";
    for (g, m) in shown.iter().zip(&stats) {
        o += &format!("{:>9} {:>9}", g.id, dur(g.stats.total_ns as f64));
        for (c, w) in keep.iter().zip(&cw) {
            o += &format!(" {:>w$}", dur(m.get(c).copied().unwrap_or(0) as f64));
        }
        if !merged.is_empty() {
            let other: i64 = merged.iter().map(|c| m.get(c).copied().unwrap_or(0)).sum();
            o += &format!(" {:>11}", dur(other as f64));
        }
        o += "\n";
    }
    if gs.len() > shown.len() {
        o += &format!("({} more goroutines; -n shows more)\n", gs.len() - shown.len());
    }
    if !merged.is_empty() {
        let names: Vec<String> = merged.iter().map(|c| alias(c)).collect();
        o += &wrap(&format!("block:other = {}", names.join(", ")));
    }
    if !dropped.is_empty() {
        dropped.sort();
        o += &wrap(&format!("zero for all shown: {}", dropped.join(", ")));
    }
    o
}

/// Wraps a note at 100 columns.
fn wrap(s: &str) -> String {
    let mut o = String::new();
    let mut line = String::new();
    for word in s.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > MAX_COLS {
            o += &line;
            o += "\n";
            line = format!("  {word}");
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line += word;
        }
    }
    o += &line;
    o += "\n";
    o
}

/// A short header for a range name.
fn range_alias(name: &str) -> String {
    match name {
        "GC mark assist" => "mark assist".into(),
        "GC incremental sweep" => "sweep".into(),
        n => match n.strip_prefix("stop-the-world (").and_then(|r| r.strip_suffix(')')) {
            Some(k) => format!("stw:{k}"),
            None => n.to_string(),
        },
    }
}

/// The special-ranges table; stop-the-world kinds that do not fit are summed into `stw:other`.
fn range_table(gs: &[&GoroutineSummary], ranges: &[String], top: usize) -> String {
    const RANGE_MAX: usize = 24;
    let cw = |r: &String| range_alias(r).chars().count().clamp(9, RANGE_MAX);
    let mut keep: Vec<String> = ranges.to_vec();
    let mut merged: Vec<String> = Vec::new();
    let width = |keep: &[String], merged: bool| 19 + keep.iter().map(|r| cw(r) + 1).sum::<usize>() + if merged { 10 } else { 0 };
    while width(&keep, !merged.is_empty()) > MAX_COLS {
        let Some(i) = keep.iter().rposition(|r| r.starts_with("stop-the-world")) else { break };
        merged.push(keep.remove(i));
    }
    let mut o = format!("{:>9} {:>9}", "goroutine", "total");
    for r in &keep {
        o += &format!(" {:>w$}", fit_right(&range_alias(r), RANGE_MAX), w = cw(r));
    }
    if !merged.is_empty() {
        o += &format!(" {:>9}", "stw:other");
    }
    o += "\n";
    for g in gs.iter().take(top) {
        o += &format!("{:>9} {:>9}", g.id, dur(g.stats.total_ns as f64));
        for r in &keep {
            o += &format!(" {:>w$}", dur(g.stats.range_ns.get(r).copied().unwrap_or(0) as f64), w = cw(r));
        }
        if !merged.is_empty() {
            let v: i64 = merged.iter().map(|r| g.stats.range_ns.get(r).copied().unwrap_or(0)).sum();
            o += &format!(" {:>9}", dur(v as f64));
        }
        o += "\n";
    }
    if gs.len() > top {
        o += &format!("({} more goroutines; -n shows more)\n", gs.len() - top);
    }
    if !merged.is_empty() {
        let names: Vec<String> = merged.iter().map(|r| range_alias(r)).collect();
        o += &wrap(&format!("stw:other = {}", names.join(", ")));
    }
    o
}

/// One goroutine, every figure exact.
fn render_one(g: &GoroutineSummary, start: i64, top: usize) -> String {
    let rel = |t: i64| if t == 0 { "-".to_string() } else { format!("+{}", go_duration(t - start)) };
    let mut o = format!("Goroutine {}  {}\n", g.id, label(&g.name));
    o += &format!(
        "created {}  first ran {}  {}\n\n",
        rel(g.creation_ns),
        rel(g.start_ns),
        if g.end_ns == 0 { "still alive at the end".to_string() } else { format!("ended {}", rel(g.end_ns)) }
    );
    o += &stats_lines(&g.stats);
    if !g.regions.is_empty() {
        o += &format!("\nRegions ({}):\n", g.regions.len());
        o += &format!("{:<30} {:>6} {:>12} {:>10} {:>10} {:>10} {:>10}\n", "region", "task", "start", "total", "exec", "block", "sched");
        for r in g.regions.iter().take(top) {
            let name = if r.name.is_empty() { "(inherited from creator)" } else { &r.name };
            let block: i64 = r.stats.block_ns.values().sum::<i64>() + r.stats.syscall_block_ns;
            o += &format!(
                "{:<30} {:>6} {:>12} {:>10} {:>10} {:>10} {:>10}\n",
                fit_right(name, 30),
                r.task,
                r.start_ns.map_or("-".to_string(), |t| format!("+{}", dur((t - start) as f64))),
                dur(r.stats.total_ns as f64),
                dur(r.stats.exec_ns as f64),
                dur(block as f64),
                dur(r.stats.sched_wait_ns as f64)
            );
        }
        if g.regions.len() > top {
            o += &format!("({} more regions; -n shows more)\n", g.regions.len() - top);
        }
    }
    o
}

fn stats_lines(s: &ExecStats) -> String {
    let pct = |v: i64| if s.total_ns > 0 { format!("{:5.1}%", v as f64 * 100.0 / s.total_ns as f64) } else { String::new() };
    let mut o = format!("{:<44} {:>16}\n", "Total time", go_duration(s.total_ns));
    let mut cols: Vec<String> = s.non_overlapping().into_keys().collect();
    analysis::goroutines::sort_columns(&mut cols);
    let m = s.non_overlapping();
    for c in &cols {
        o += &format!("  {:<42} {:>16} {}\n", fit_right(c, 42), go_duration(m[c]), pct(m[c]));
    }
    if !s.range_ns.is_empty() {
        o += "Special ranges (overlap the above):\n";
        for (r, v) in &s.range_ns {
            o += &format!("  {:<42} {:>16} {}\n", fit_right(r, 42), go_duration(*v), pct(*v));
        }
    }
    o
}

/// A goroutine with every figure in ns, under stable keys.
fn goroutine_json(g: &GoroutineSummary) -> Value {
    let s = &g.stats;
    json!({
        "id": g.id,
        "name": g.name,
        "pc": g.pc,
        "creation_ns": g.creation_ns,
        "start_ns": g.start_ns,
        "end_ns": g.end_ns,
        "total_ns": s.total_ns,
        "exec_ns": s.exec_ns,
        "sched_wait_ns": s.sched_wait_ns,
        "syscall_ns": s.syscall_ns,
        "syscall_block_ns": s.syscall_block_ns,
        "block_ns": s.block_ns,
        "unknown_ns": s.unknown_ns(),
        "range_ns": s.range_ns,
        "breakdown": s.non_overlapping(),
        "regions": g.regions,
    })
}
