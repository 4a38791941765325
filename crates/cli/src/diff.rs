//! `schedstat diff BEFORE AFTER`: latency, goroutines, GC share, and the
//! blocking and scheduling delays that changed most, per stack.

use std::fmt::Write;
use std::path::Path;

use schedstat_db::Database;
use schedstat_report::diff::{self, Diff, Side, StackDelta};

use crate::analyze::{load_trace, LoadError};
use crate::render::stack;
use crate::render::text::dur;
use crate::Outcome;

/// Clap help for the subcommand.
pub const AFTER_HELP: &str = "\
Examples:
  schedstat diff before.out after.out
  schedstat diff -n 20 before.out after.out
  schedstat diff --json before.out after.out | jq '.blocking[0]'

Compares: scheduling latency (count, p50, p90, p99, max: the same figures as
`schedstat --json`), goroutines (most alive at once, created), GC (share of the
trace in concurrent mark, stop-the-world total), then per (reason, stack): time
blocked (by wait reason and the stack that blocked) and scheduling delay (by
cause and the stack that made the goroutine runnable), biggest change first.
Stacks match across traces by their function names. Waits still in progress at
the end of a trace count up to its last event.

Exit codes: 0 ok; 1 a trace could not be read; 2 usage or file error;
3 a trace is damaged (its complete generations are compared); 4 a query failed.";

/// What the user asked for.
pub struct DiffArgs {
    /// Changes listed per section.
    pub top: usize,
    /// One JSON document instead of text.
    pub json: bool,
    /// Whole stacks instead of application paths.
    pub full_stacks: bool,
}

/// Loads one trace and summarizes it.
pub(crate) fn summarize(path: &Path) -> Result<(Side, Outcome), Outcome> {
    let fail = |m: String, o: Outcome| {
        eprintln!("schedstat: error: {m}");
        o
    };
    let db = Database::create(None).map_err(|e| fail(e.to_string(), Outcome::Failed))?;
    db.create_schema().map_err(|e| fail(e.to_string(), Outcome::Failed))?;
    let (_, outcome) = match load_trace(path, &db, false) {
        Ok(x) => x,
        Err(LoadError::Unreadable) => return Err(Outcome::Unreadable),
        Err(LoadError::File(m)) => return Err(fail(m, Outcome::FileError)),
        Err(LoadError::Db(m)) => return Err(fail(m, Outcome::Failed)),
    };
    let side = diff::side(&db).map_err(|e| fail(format!("{}: {e}", path.display()), Outcome::Failed))?;
    Ok((side, outcome))
}

/// Runs the comparison and prints it.
pub fn run(before: &Path, after: &Path, args: &DiffArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    let (b, ob) = match summarize(before) {
        Ok(x) => x,
        Err(o) => return Ok(o),
    };
    let (a, oa) = match summarize(after) {
        Ok(x) => x,
        Err(o) => return Ok(o),
    };
    let outcome = if ob.code() >= oa.code() { ob } else { oa };
    let d = diff::diff(b, a, args.top);
    if args.json {
        let mut v = serde_json::to_value(&d)?;
        if let Some(obj) = v.as_object_mut() {
            obj.insert("before_file".into(), before.display().to_string().into());
            obj.insert("after_file".into(), after.display().to_string().into());
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", render(&d, before, after, args));
    }
    Ok(outcome)
}

/// A signed duration change.
fn sdur(ns: f64) -> String {
    if ns == 0.0 {
        "0".into()
    } else if ns > 0.0 {
        format!("+{}", dur(ns))
    } else {
        format!("-{}", dur(-ns))
    }
}

fn ratio(before: f64, after: f64) -> String {
    if before == after {
        String::new()
    } else if before > 0.0 {
        let r = after / before;
        if r == 0.0 {
            "×0".into()
        } else if r < 0.001 {
            "<×0.001".into()
        } else if r < 0.1 {
            format!("×{r:.3}")
        } else {
            format!("×{r:.2}")
        }
    } else {
        "new".into()
    }
}

fn count_change(before: i64, after: i64) -> String {
    match after - before {
        0 => "0".into(),
        d if d > 0 => format!("+{d}"),
        d => d.to_string(),
    }
}

/// The text layout (fits 100 columns).
fn render(d: &Diff, before: &Path, after: &Path, args: &DiffArgs) -> String {
    let mut o = String::new();
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let _ = writeln!(o, "schedstat diff: {} → {}", name(before), name(after));
    let _ = writeln!(o);
    let row = |o: &mut String, label: &str, b: String, a: String, c: String, r: String| {
        let line = format!("  {label:<24} {b:>12} {a:>12} {c:>12} {r:>8}");
        let _ = writeln!(o, "{}", line.trim_end());
    };
    let _ = writeln!(o, "  {:<24} {:>12} {:>12} {:>12} {:>8}", "", "before", "after", "change", "ratio");
    let (bl, al) = (&d.before.latency, &d.after.latency);
    let _ = writeln!(o, "Scheduling latency (runnable → running)");
    row(&mut o, "delays", bl.count.to_string(), al.count.to_string(), count_change(bl.count, al.count), ratio(bl.count as f64, al.count as f64));
    for (label, b, a) in [
        ("p50", bl.p50_ns, al.p50_ns),
        ("p90", bl.p90_ns, al.p90_ns),
        ("p99", bl.p99_ns, al.p99_ns),
        ("max", bl.max_ns, al.max_ns),
    ] {
        row(&mut o, label, dur(b), dur(a), sdur(a - b), ratio(b, a));
    }
    let (bg, ag) = (&d.before.goroutines, &d.after.goroutines);
    let _ = writeln!(o, "Goroutines");
    for (label, b, a) in [("most alive at once", bg.max_alive, ag.max_alive), ("created", bg.created, ag.created), ("seen", bg.seen, ag.seen)] {
        row(&mut o, label, b.to_string(), a.to_string(), count_change(b, a), ratio(b as f64, a as f64));
    }
    let (bc, ac) = (&d.before.gc, &d.after.gc);
    let _ = writeln!(o, "GC");
    row(
        &mut o,
        "time in mark phase",
        format!("{:.1}%", bc.gc_mark_fraction * 100.0),
        format!("{:.1}%", ac.gc_mark_fraction * 100.0),
        format!("{:+.1} pts", (ac.gc_mark_fraction - bc.gc_mark_fraction) * 100.0),
        String::new(),
    );
    row(&mut o, "GC cycles", bc.gc_cycles.to_string(), ac.gc_cycles.to_string(), count_change(bc.gc_cycles, ac.gc_cycles), String::new());
    row(&mut o, "stop-the-world total", dur(bc.stw_ns as f64), dur(ac.stw_ns as f64), sdur((ac.stw_ns - bc.stw_ns) as f64), ratio(bc.stw_ns as f64, ac.stw_ns as f64));
    row(&mut o, "stop-the-world pauses", bc.stw_count.to_string(), ac.stw_count.to_string(), count_change(bc.stw_count, ac.stw_count), String::new());
    row(&mut o, "trace length", dur(bc.duration_ns as f64), dur(ac.duration_ns as f64), sdur((ac.duration_ns - bc.duration_ns) as f64), ratio(bc.duration_ns as f64, ac.duration_ns as f64));
    section(&mut o, "Blocked time by wait reason and stack", &d.blocking, d.blocking_changed, args);
    section(&mut o, "Scheduling delay by cause and the stack that made it runnable", &d.sched, d.sched_changed, args);
    o
}

fn section(o: &mut String, title: &str, rows: &[StackDelta], total: usize, args: &DiffArgs) {
    let _ = writeln!(o);
    if rows.is_empty() {
        let _ = writeln!(o, "{title}: no change.");
        return;
    }
    let _ = writeln!(o, "{title}, biggest change first:");
    let _ = writeln!(o, "  {:>9} {:>9} {:>10} {:>7}  {:<18} stack", "before", "after", "change", "ratio", "reason");
    for r in rows {
        let reason: String = if r.reason.chars().count() > 18 { r.reason.chars().take(17).collect::<String>() + "…" } else { r.reason.clone() };
        let stack = if args.full_stacks { stack::full(&r.funcs) } else { stack::path(&r.funcs, 38) };
        let _ = writeln!(
            o,
            "  {:>9} {:>9} {:>10} {:>7}  {:<18} {stack}",
            dur(r.before_ns as f64),
            dur(r.after_ns as f64),
            sdur(r.delta_ns as f64),
            ratio(r.before_ns as f64, r.after_ns as f64),
            reason
        );
    }
    if total > rows.len() {
        let _ = writeln!(o, "  … {} more (-n to see them)", total - rows.len());
    }
}
