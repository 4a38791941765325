//! `schedstat check`: a trace budget for CI pipelines.
//!
//! `check TRACE --budget FILE` holds one trace against the limits of a small
//! TOML file; `check BEFORE AFTER --max-regression p99=10%` holds AFTER
//! against BEFORE. No figure is computed here: latency, goroutine counts, GC
//! share and blocked time come from `diff`'s summary of each trace
//! (`schedstat_report::diff::side`, the report's latency query and
//! `sql/diff/`), findings from the doctor (`doctor::examine_db`, which loads
//! the database `side` then reads). This module parses the budget, compares
//! and renders.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use schedstat_report::diff::{self as rdiff, Side, StackWait};
use schedstat_report::doctor::{Diagnosis, Severity, Thresholds, PATTERNS};
use serde::Serialize;
use serde_json::{json, Value};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::goroutines::emit;
use crate::render::stack;
use crate::render::text::dur;
use crate::Outcome;

/// Clap help for the subcommand.
pub const AFTER_HELP: &str = "\
Examples:
  schedstat check trace.out --budget .schedstat-budget.toml
  schedstat check --json trace.out --budget budget.toml | jq '.results[0]'
  schedstat check before.out after.out --max-regression p99=10% --max-regression blocked.sync=25%
  schedstat check before.out after.out --max-regression max=2ms --budget budget.toml

A budget file (TOML; every key optional, at least one set):
  latency.p99 = \"5ms\"                 # also p50, p90, max, avg: scheduling latency (Go durations)
  blocked.sync.max_share = 0.2        # share of all blocked time; classes: sync, chan, select,
                                      # net, sleep, other (also blocked.CLASS.max = \"100ms\")
  goroutines.alive_end_max = 1000     # alive when the trace ends (also alive_peak_max)
  gc.max_share = 0.25                 # share of the trace in GC mark phases (also gc.stw_max)
  findings.forbid = [\"goroutine-leak\", \"deadlock\"]   # doctor finding ids
  findings.max_severity = \"warning\"   # no finding above this (info, warning, critical)

--max-regression METRIC=LIMIT (repeatable): METRIC is p50, p90, p99, max, avg,
blocked (all blocked time) or blocked.CLASS; LIMIT a share of BEFORE's value
(10% or 0.1) or an absolute increase (2ms). With two traces, --budget applies
to AFTER. The figures are those of `schedstat --json` (latency), `schedstat diff
--json` (goroutines, gc, blocking) and `schedstat doctor` (findings).

Exit codes: 0 within budget; 5 over budget (each breach printed with its
limit, value and evidence); 1 a trace could not be read; 2 usage or file error,
or a bad budget file (one line naming the line and the key); 3 a trace is
truncated and within budget (figures cover its complete generations; a breach
still exits 5); 4 a query failed.";

/// `schedstat check`'s arguments.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// The trace to check; or BEFORE and AFTER, compared with --max-regression.
    #[arg(value_name = "TRACE", required = true, num_args = 1..=2)]
    pub traces: Vec<PathBuf>,
    /// Budget file (TOML) with the limits the trace (AFTER, with two) must keep.
    #[arg(long, value_name = "FILE")]
    pub budget: Option<PathBuf>,
    /// METRIC=LIMIT: how much AFTER may be worse than BEFORE (p99=10%, max=2ms,
    /// blocked.sync=25%). Repeatable.
    #[arg(long = "max-regression", value_name = "METRIC=LIMIT")]
    pub max_regression: Vec<String>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Blocked-time classes, from the wait reason each blocked interval has in
/// `sql/diff/blocking.sql`.
pub const CLASSES: [&str; 6] = ["sync", "chan", "select", "net", "sleep", "other"];

/// The class of a wait reason: `chan send`/`chan receive` → chan, `select`
/// (and `select (no cases)`) → select, `sync` (Mutex, RWMutex, WaitGroup),
/// `sync.(*Cond).Wait`, `synctest` → sync, `network` → net, `sleep` → sleep,
/// anything else (runtime waits, GC waits, `unknown`) → other.
pub fn class_of(reason: &str) -> &'static str {
    if reason.contains("chan") {
        "chan"
    } else if reason.starts_with("select") {
        "select"
    } else if reason.contains("sync") {
        "sync"
    } else if reason == "network" {
        "net"
    } else if reason == "sleep" {
        "sleep"
    } else {
        "other"
    }
}

const LATENCY_STATS: [&str; 5] = ["p50", "p90", "p99", "max", "avg"];

fn latency_of(side: &Side, stat: &str) -> f64 {
    let l = &side.latency;
    match stat {
        "p50" => l.p50_ns,
        "p90" => l.p90_ns,
        "p99" => l.p99_ns,
        "max" => l.max_ns,
        _ => l.avg_ns,
    }
}

/// Blocked time of one class (`None`: all of it).
fn blocked_ns(side: &Side, class: Option<&str>) -> i64 {
    side.blocking.iter().filter(|w| class.map_or(true, |c| class_of(&w.reason) == c)).map(|w| w.total_ns).sum()
}

/// One limit of a budget file.
#[derive(Debug, Clone, PartialEq)]
enum Limit {
    Latency(&'static str, f64),
    BlockedShare(&'static str, f64),
    BlockedTime(&'static str, f64),
    AliveEnd(i64),
    AlivePeak(i64),
    GcShare(f64),
    StwMax(f64),
    Forbid(Vec<String>),
    MaxSeverity(Severity),
}

/// A budget: its limits in file order, each with its key.
#[derive(Debug, Clone, PartialEq)]
pub struct Budget(Vec<(String, Limit)>);

/// The keys a budget file takes, for the unknown-key message.
const KEYS: &str = "latency.{p50,p90,p99,max,avg}, blocked.CLASS.{max_share,max} (CLASS: sync, chan, select, net, \
sleep, other), goroutines.{alive_end_max,alive_peak_max}, gc.{max_share,stw_max}, findings.{forbid,max_severity}";

fn line_of(src: &str, offset: usize) -> usize {
    src[..offset.min(src.len())].matches('\n').count() + 1
}

fn flatten<'a>(prefix: &str, t: &'a DeTable<'_>, out: &mut Vec<(String, usize, &'a Spanned<DeValue<'a>>)>) {
    for (k, v) in t {
        let key = if prefix.is_empty() { k.get_ref().to_string() } else { format!("{prefix}.{}", k.get_ref()) };
        match v.get_ref() {
            DeValue::Table(inner) => flatten(&key, inner, out),
            _ => out.push((key, k.span().start, v)),
        }
    }
}

fn duration_value(v: &DeValue<'_>) -> Result<f64, String> {
    match v {
        DeValue::String(s) => crate::parse_duration(s).map(|n| n as f64).map_err(|e| format!("bad duration: {e}")),
        other => Err(format!("bad type: expected a duration string such as \"5ms\", found {}", other.type_str())),
    }
}

fn share_value(v: &DeValue<'_>) -> Result<f64, String> {
    let x = match v {
        DeValue::Float(f) => f.as_str().parse::<f64>().ok(),
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok().map(|n| n as f64),
        DeValue::String(s) => match s.trim().strip_suffix('%') {
            Some(p) => p.trim().parse::<f64>().ok().map(|p| p / 100.0),
            None => return Err(format!("bad type: expected a number such as 0.2 (or \"20%\"), found string \"{s}\"")),
        },
        other => return Err(format!("bad type: expected a number such as 0.2, found {}", other.type_str())),
    };
    match x {
        Some(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err("bad share: expected a number from 0 to 1 (or a percentage such as \"20%\")".into()),
    }
}

fn count_value(v: &DeValue<'_>) -> Result<i64, String> {
    match v {
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) if n >= 0 => Ok(n),
            _ => Err("bad count: expected a whole number, 0 or more".into()),
        },
        other => Err(format!("bad type: expected a whole number such as 1000, found {}", other.type_str())),
    }
}

fn severity_value(v: &DeValue<'_>) -> Result<Severity, String> {
    let all = [Severity::Info, Severity::Warning, Severity::Critical];
    match v {
        DeValue::String(s) => all
            .into_iter()
            .find(|x| x.as_str() == s.as_ref())
            .ok_or_else(|| format!("bad severity \"{s}\": use info, warning or critical")),
        other => Err(format!("bad type: expected \"info\", \"warning\" or \"critical\", found {}", other.type_str())),
    }
}

fn forbid_value(v: &DeValue<'_>) -> Result<Vec<String>, String> {
    let DeValue::Array(items) = v else {
        return Err(format!("bad type: expected an array of finding ids such as [\"goroutine-leak\"], found {}", v.type_str()));
    };
    let mut ids = Vec::new();
    for item in items {
        let DeValue::String(s) = item.get_ref() else {
            return Err(format!("bad type: expected finding ids (strings), found {}", item.get_ref().type_str()));
        };
        if !PATTERNS.iter().any(|p| p.id == s.as_ref()) {
            let known: Vec<&str> = PATTERNS.iter().map(|p| p.id).collect();
            return Err(format!("unknown finding id \"{s}\" (known: {})", known.join(", ")));
        }
        ids.push(s.to_string());
    }
    Ok(ids)
}

/// One key of a budget file as a limit.
fn limit(key: &str, v: &DeValue<'_>) -> Result<Limit, String> {
    let parts: Vec<&str> = key.split('.').collect();
    let class = |c: &str| CLASSES.iter().copied().find(|x| *x == c);
    match parts.as_slice() {
        ["latency", stat] => match LATENCY_STATS.iter().copied().find(|s| s == stat) {
            Some(s) => Ok(Limit::Latency(s, duration_value(v)?)),
            None => Err(format!("unknown key (known: {KEYS})")),
        },
        ["blocked", c, "max_share"] if class(c).is_some() => Ok(Limit::BlockedShare(class(c).expect("known"), share_value(v)?)),
        ["blocked", c, "max"] if class(c).is_some() => Ok(Limit::BlockedTime(class(c).expect("known"), duration_value(v)?)),
        ["blocked", c, _] if class(c).is_none() => {
            Err(format!("unknown blocked-time class \"{c}\" (known: {}; syscall time is not blocked time: forbid the syscall-bound finding)", CLASSES.join(", ")))
        }
        ["goroutines", "alive_end_max"] => Ok(Limit::AliveEnd(count_value(v)?)),
        ["goroutines", "alive_peak_max"] => Ok(Limit::AlivePeak(count_value(v)?)),
        ["gc", "max_share"] => Ok(Limit::GcShare(share_value(v)?)),
        ["gc", "stw_max"] => Ok(Limit::StwMax(duration_value(v)?)),
        ["findings", "forbid"] => Ok(Limit::Forbid(forbid_value(v)?)),
        ["findings", "max_severity"] => Ok(Limit::MaxSeverity(severity_value(v)?)),
        _ => Err(format!("unknown key (known: {KEYS})")),
    }
}

impl Budget {
    /// Parses a budget file's text. The error is one line: `LINE: KEY: what is wrong`.
    pub fn parse(src: &str) -> Result<Budget, String> {
        let doc = DeTable::parse(src).map_err(|e| {
            let line = e.span().map_or(1, |s| line_of(src, s.start));
            let text = src.lines().nth(line - 1).unwrap_or("");
            let key = match text.trim().strip_prefix('[') {
                Some(header) => Some(header.trim_matches(|c| c == '[' || c == ']').trim()),
                None => text.split_once('=').map(|(k, _)| k.trim()),
            }
            .filter(|k| !k.is_empty());
            let msg = e.message().lines().next().unwrap_or("").trim().trim_end_matches('.');
            match key {
                Some(k) => format!("line {line}: {k}: bad TOML: {msg}"),
                None => format!("line {line}: bad TOML: {msg}"),
            }
        })?;
        let mut leaves = Vec::new();
        flatten("", doc.get_ref(), &mut leaves);
        leaves.sort_by_key(|l| l.1);
        let mut limits = Vec::new();
        for (key, at, v) in leaves {
            let l = limit(&key, v.get_ref()).map_err(|e| format!("line {}: {key}: {e}", line_of(src, at)))?;
            limits.push((key, l));
        }
        if limits.is_empty() {
            return Err(format!("no limits set (keys: {KEYS})"));
        }
        Ok(Budget(limits))
    }
}

/// How much AFTER may exceed BEFORE.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Allowance {
    /// A share of BEFORE's value.
    Relative(f64),
    /// An increase in ns.
    Absolute(f64),
}

/// One `--max-regression METRIC=LIMIT`.
#[derive(Debug, Clone, PartialEq)]
struct Regression {
    metric: String,
    allow: Allowance,
}

fn parse_regression(s: &str) -> Result<Regression, String> {
    let usage = "expected METRIC=LIMIT, e.g. p99=10% or max=2ms";
    let (m, l) = s.split_once('=').ok_or_else(|| format!("--max-regression '{s}': {usage}"))?;
    let (m, l) = (m.trim(), l.trim());
    let known = m == "blocked"
        || LATENCY_STATS.contains(&m)
        || m.strip_prefix("blocked.").is_some_and(|c| CLASSES.contains(&c));
    if !known {
        return Err(format!(
            "--max-regression '{s}': unknown metric '{m}' (known: p50, p90, p99, max, avg, blocked, blocked.CLASS with CLASS one of {})",
            CLASSES.join(", ")
        ));
    }
    let allow = if let Some(p) = l.strip_suffix('%') {
        p.trim().parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0).map(|x| Allowance::Relative(x / 100.0))
    } else if let Ok(x) = l.parse::<f64>() {
        (x.is_finite() && x >= 0.0).then_some(Allowance::Relative(x))
    } else {
        crate::parse_duration(l).ok().map(|n| Allowance::Absolute(n as f64))
    };
    let allow = allow.ok_or_else(|| format!("--max-regression '{s}': bad limit '{l}' (a share such as 10% or 0.1, or a duration such as 2ms)"))?;
    Ok(Regression { metric: m.to_string(), allow })
}

/// The finding a result is about.
#[derive(Debug, Clone, Serialize)]
struct FindingRef {
    id: String,
    severity: &'static str,
    verdict: String,
}

/// One limit held against the figures: JSON's `results[]`.
#[derive(Debug, Clone, Serialize)]
struct Checked {
    /// The budget key or `regression.METRIC`.
    key: String,
    /// `ok` or `breach`.
    status: &'static str,
    /// `ns`, `share`, `count`, `severity` or `finding`.
    unit: &'static str,
    limit: Value,
    value: Value,
    /// BEFORE's value (regressions only).
    before: Option<Value>,
    /// Where the value comes from and what it is made of.
    evidence: String,
    finding: Option<FindingRef>,
    /// The text line after the key.
    #[serde(skip)]
    shown: String,
}

/// `VALUE, over the limit of LIMIT` or `VALUE, within LIMIT`.
fn against(value: String, limit: String, breach: bool) -> String {
    if breach {
        format!("{value}, over the limit of {limit}")
    } else {
        format!("{value}, within {limit}")
    }
}

fn result(key: &str, breach: bool, unit: &'static str, limit: Value, value: Value, shown: String, evidence: String) -> Checked {
    Checked {
        key: key.to_string(),
        status: if breach { "breach" } else { "ok" },
        unit,
        limit,
        value,
        before: None,
        evidence,
        finding: None,
        shown,
    }
}

fn share_text(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The biggest (reason, stack) of a class in one trace, for evidence.
fn top_stack(rows: &[StackWait], class: &str) -> Option<String> {
    rows.iter()
        .filter(|w| class_of(&w.reason) == class)
        .max_by_key(|w| w.total_ns)
        .map(|w| format!("most at {} ({}, {})", stack::path(&w.funcs, 60), w.reason, dur(w.total_ns as f64)))
}

fn evaluate(budget: &Budget, side: &Side, d: &Diagnosis) -> Vec<Checked> {
    let mut out = Vec::new();
    for (key, l) in &budget.0 {
        match l {
            Limit::Latency(stat, max) => {
                let v = latency_of(side, stat);
                out.push(result(
                    key,
                    v > *max,
                    "ns",
                    json!(*max as i64),
                    json!(v),
                    against(dur(v), dur(*max), v > *max),
                    format!("scheduling latency {stat} over {} runnable → running delays (`schedstat --json` .latency.{stat}_ns)", side.latency.count),
                ));
            }
            Limit::BlockedShare(class, max) | Limit::BlockedTime(class, max) => {
                let (ns, total) = (blocked_ns(side, Some(class)), blocked_ns(side, None));
                let share = if total > 0 { ns as f64 / total as f64 } else { 0.0 };
                let mut ev = format!("{} blocked in class {class} of {} blocked in all", dur(ns as f64), dur(total as f64));
                if let Some(t) = top_stack(&side.blocking, class) {
                    ev += &format!("; {t}");
                }
                ev += " (`schedstat diff --json` .after.blocking)";
                out.push(if matches!(l, Limit::BlockedShare(..)) {
                    result(key, share > *max, "share", json!(max), json!(share), against(share_text(share), share_text(*max), share > *max), ev)
                } else {
                    let breach = ns as f64 > *max;
                    result(key, breach, "ns", json!(*max as i64), json!(ns), against(dur(ns as f64), dur(*max), breach), ev)
                });
            }
            Limit::AliveEnd(max) | Limit::AlivePeak(max) => {
                let g = &side.goroutines;
                let (v, what) = if matches!(l, Limit::AliveEnd(_)) {
                    (g.alive_at_end, "goroutines alive when the trace ends (`schedstat diff --json` .after.goroutines.alive_at_end)")
                } else {
                    (g.max_alive, "most goroutines alive at once (`schedstat diff --json` .after.goroutines.max_alive)")
                };
                out.push(result(key, v > *max, "count", json!(max), json!(v), against(v.to_string(), max.to_string(), v > *max), what.into()));
            }
            Limit::GcShare(max) => {
                let gc = &side.gc;
                let ev = format!(
                    "{} in {} GC mark phase(s) of a {} trace (`schedstat diff --json` .after.gc.gc_mark_fraction)",
                    dur(gc.gc_mark_ns as f64),
                    gc.gc_cycles,
                    dur(gc.duration_ns as f64)
                );
                let v = gc.gc_mark_fraction;
                out.push(result(key, v > *max, "share", json!(max), json!(v), against(share_text(v), share_text(*max), v > *max), ev));
            }
            Limit::StwMax(max) => {
                let gc = &side.gc;
                let v = gc.stw_max_ns;
                let ev = format!("longest of {} stop-the-world pause(s) (`schedstat diff --json` .after.gc.stw_max_ns)", gc.stw_count);
                let breach = v as f64 > *max;
                out.push(result(key, breach, "ns", json!(*max as i64), json!(v), against(dur(v as f64), dur(*max), breach), ev));
            }
            Limit::Forbid(ids) => {
                for id in ids {
                    let key = format!("{key}.{id}");
                    match d.findings.iter().find(|f| &f.id == id) {
                        Some(f) => {
                            let mut r = result(&key, true, "finding", json!(id), json!(f.severity.as_str()), format!("found ({}), forbidden", f.severity.as_str()), f.verdict.clone());
                            r.finding = Some(FindingRef { id: f.id.clone(), severity: f.severity.as_str(), verdict: f.verdict.clone() });
                            out.push(r);
                        }
                        None => {
                            let note = d.checks.iter().find(|c| &c.id == id).map(|c| format!("{}: {}", c.status, c.note)).unwrap_or_default();
                            out.push(result(&key, false, "finding", json!(id), Value::Null, "not found".into(), note));
                        }
                    }
                }
            }
            Limit::MaxSeverity(max) => {
                let over: Vec<_> = d.findings.iter().filter(|f| f.severity > *max).collect();
                for f in &over {
                    let mut r = result(key, true, "severity", json!(max.as_str()), json!(f.severity.as_str()), format!("{} is {}, above {}", f.id, f.severity.as_str(), max.as_str()), f.verdict.clone());
                    r.finding = Some(FindingRef { id: f.id.clone(), severity: f.severity.as_str(), verdict: f.verdict.clone() });
                    out.push(r);
                }
                if over.is_empty() {
                    let top = d.findings.iter().map(|f| f.severity).max();
                    let ev = match d.findings.first() {
                        Some(f) => format!("most severe finding: {} [{}]", f.id, f.severity.as_str()),
                        None => "no finding".into(),
                    };
                    let shown = top.map_or("no finding".into(), |s| format!("at most {}", s.as_str()));
                    let value = top.map_or(Value::Null, |s| json!(s.as_str()));
                    out.push(result(key, false, "severity", json!(max.as_str()), value, against(shown, max.as_str().into(), false), ev));
                }
            }
        }
    }
    out
}

fn regressions(regs: &[Regression], before: &Side, after: &Side) -> Vec<Checked> {
    // diff's pairing of (reason, stack) rows: the evidence names the biggest increase.
    let (blocking, sched) = (rdiff::deltas(&before.blocking, &after.blocking), rdiff::deltas(&before.sched, &after.sched));
    let mut out = Vec::new();
    for r in regs {
        let key = format!("regression.{}", r.metric);
        let class = r.metric.strip_prefix("blocked.");
        let blocked = r.metric == "blocked" || class.is_some();
        let (b, a, mut ev) = if blocked {
            let what = class.map_or(String::new(), |c| format!(" in class {c}"));
            (blocked_ns(before, class) as f64, blocked_ns(after, class) as f64, format!("blocked time{what} (`schedstat diff --json` .before/.after.blocking)"))
        } else {
            let ev = format!(
                "scheduling latency {m} over {} → {} delays (`schedstat diff --json` .before/.after.latency.{m}_ns)",
                before.latency.count,
                after.latency.count,
                m = r.metric
            );
            (latency_of(before, &r.metric), latency_of(after, &r.metric), ev)
        };
        let allowed = match r.allow {
            Allowance::Relative(x) => b * x,
            Allowance::Absolute(ns) => ns,
        };
        let breach = a - b > allowed;
        let change = if a == b {
            "no change".to_string()
        } else if b > 0.0 {
            format!("{:+.1}%", (a - b) / b * 100.0)
        } else {
            "new".into()
        };
        let rows = if blocked { &blocking } else { &sched };
        if let Some(top) = rows.iter().find(|d| d.delta_ns > 0 && class.map_or(true, |c| class_of(&d.reason) == c)) {
            let what = if blocked { "blocked" } else { "scheduling delay" };
            ev += &format!("; biggest increase in {what}: {} at {} (+{})", top.reason, stack::path(&top.funcs, 60), dur(top.delta_ns as f64));
        }
        let (limit, limit_text) = match r.allow {
            Allowance::Relative(x) => (json!({ "share": x }), format!("+{:.1}%", x * 100.0)),
            Allowance::Absolute(ns) => (json!({ "ns": ns as i64 }), format!("+{}", dur(ns))),
        };
        let shown = against(format!("{} → {} ({change})", dur(b), dur(a)), limit_text, breach);
        let mut o = result(&key, breach, "ns", limit, json!(a), shown, ev);
        o.before = Some(json!(b));
        out.push(o);
    }
    out
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned())
}

fn render(results: &[Checked], traces: &[PathBuf], budget: Option<&Path>) -> String {
    let mut o = String::new();
    let what = match traces {
        [b, a] => format!("{} → {}", file_name(b), file_name(a)),
        _ => file_name(&traces[0]),
    };
    let against = budget.map(|b| format!(" against {}", file_name(b))).unwrap_or_default();
    let _ = writeln!(o, "schedstat check: {what}{against}\n");
    for r in results {
        let mark = if r.status == "breach" { "BREACH" } else { "ok" };
        let _ = writeln!(o, "{mark:<6} {}: {}", r.key, r.shown);
        if !r.evidence.is_empty() {
            let _ = writeln!(o, "       {}", r.evidence);
        }
    }
    let n = results.iter().filter(|r| r.status == "breach").count();
    let _ = writeln!(o);
    if n == 0 {
        let _ = writeln!(o, "Within budget: {} check(s) passed.", results.len());
    } else {
        let _ = writeln!(o, "Over budget: {n} of {} check(s) breached.", results.len());
    }
    o
}

/// Runs the command.
pub fn run(a: &CheckArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    let usage = |m: &str| {
        eprintln!("schedstat: error: {m}");
        Ok(Outcome::FileError)
    };
    match (a.traces.len(), a.budget.is_some(), a.max_regression.is_empty()) {
        (1, false, _) => return usage("check needs --budget FILE (or two traces and --max-regression METRIC=LIMIT)"),
        (1, true, false) => return usage("--max-regression compares two traces: schedstat check BEFORE AFTER --max-regression p99=10%"),
        (2, _, true) => return usage("two traces are compared with --max-regression METRIC=LIMIT, e.g. p99=10%"),
        _ => {}
    }
    let mut regs = Vec::new();
    for s in &a.max_regression {
        match parse_regression(s) {
            Ok(r) => regs.push(r),
            Err(e) => return usage(&e),
        }
    }
    let budget = match &a.budget {
        Some(p) => {
            let src = match std::fs::read_to_string(p) {
                Ok(s) => s,
                Err(e) => return usage(&format!("{}: {e}", p.display())),
            };
            match Budget::parse(&src) {
                Ok(b) => Some(b),
                Err(e) => return usage(&format!("{}: {e}", p.display())),
            }
        }
        None => None,
    };

    let mut worst = Outcome::Ok;
    let mut keep = |o: Outcome| {
        if o.code() > worst.code() {
            worst = o;
        }
    };
    let before = match a.traces.as_slice() {
        [b, _] => match crate::diff::summarize(b) {
            Ok((side, o)) => {
                keep(o);
                Some(side)
            }
            Err(o) => return Ok(o),
        },
        _ => None,
    };
    let after_path = a.traces.last().expect("one or two traces");
    let after = if let Some(budget) = &budget {
        let (d, db, o) = match crate::doctor::examine_db(after_path, &Thresholds::default()) {
            Ok(x) => x,
            Err(o) => return Ok(o),
        };
        keep(o);
        let side = match rdiff::side(&db) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("schedstat: error: {}: {e}", after_path.display());
                return Ok(Outcome::Failed);
            }
        };
        (side.clone(), evaluate(budget, &side, &d))
    } else {
        match crate::diff::summarize(after_path) {
            Ok((side, o)) => {
                keep(o);
                (side, Vec::new())
            }
            Err(o) => return Ok(o),
        }
    };
    let (after_side, mut results) = after;
    if let Some(b) = &before {
        results.extend(regressions(&regs, b, &after_side));
    }
    let breaches = results.iter().filter(|r| r.status == "breach").count();
    if a.json {
        let doc = json!({
            "trace": after_path.display().to_string(),
            "before": a.traces.get(1).map(|_| a.traces[0].display().to_string()),
            "budget": a.budget.as_ref().map(|b| b.display().to_string()),
            "within_budget": breaches == 0,
            "breaches": breaches,
            "results": results,
        });
        emit(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
    } else {
        emit(&render(&results, &a.traces, a.budget.as_deref()))?;
    }
    if breaches > 0 {
        return Ok(Outcome::OverBudget);
    }
    Ok(worst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_files_parse_and_fail_on_one_line() {
        let b = Budget::parse("latency.p99 = \"5ms\"\n[blocked.sync]\nmax_share = \"20%\"\n[findings]\nforbid = [\"deadlock\"]\n").unwrap();
        assert_eq!(
            b.0,
            vec![
                ("latency.p99".into(), Limit::Latency("p99", 5e6)),
                ("blocked.sync.max_share".into(), Limit::BlockedShare("sync", 0.2)),
                ("findings.forbid".into(), Limit::Forbid(vec!["deadlock".into()])),
            ]
        );
        let e = Budget::parse("\n\nlatency.p98 = \"5ms\"\n").unwrap_err();
        assert!(e.starts_with("line 3: latency.p98: unknown key"), "{e}");
        let e = Budget::parse("latency.p99 = 5\n").unwrap_err();
        assert!(e.starts_with("line 1: latency.p99: bad type"), "{e}");
        let e = Budget::parse("a = 1\nlatency.p99 = \"5 parsecs\n").unwrap_err();
        assert!(e.starts_with("line 2: latency.p99: bad TOML"), "{e}");
        assert!(!e.contains('\n'));
        assert!(Budget::parse("").is_err());
    }

    #[test]
    fn regressions_parse() {
        assert_eq!(parse_regression("p99=10%").unwrap().allow, Allowance::Relative(0.1));
        assert_eq!(parse_regression("max=2ms").unwrap().allow, Allowance::Absolute(2e6));
        assert_eq!(parse_regression("blocked.sync=0.5").unwrap().allow, Allowance::Relative(0.5));
        assert!(parse_regression("p98=10%").is_err());
        assert!(parse_regression("p99=fast").is_err());
        assert!(parse_regression("p99").is_err());
    }

    #[test]
    fn wait_reasons_fall_in_classes() {
        for (r, c) in [
            ("sync", "sync"),
            ("sync.(*Cond).Wait", "sync"),
            ("chan receive", "chan"),
            ("chan send", "chan"),
            ("select", "select"),
            ("select (no cases)", "select"),
            ("network", "net"),
            ("sleep", "sleep"),
            ("system goroutine wait", "other"),
            ("unknown", "other"),
        ] {
            assert_eq!(class_of(r), c, "{r}");
        }
    }
}
