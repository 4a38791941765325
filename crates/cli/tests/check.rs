//! `schedstat check`: a trace budget for CI. Each limit kind is breached on
//! the generator scenario that plants it (and kept on healthy ones), with exit
//! code 5 and the breach's evidence; the figures equal those of the commands
//! they come from (`schedstat --json`, `diff --json`, `doctor --json`); bad
//! budget files are one line naming the line and the key, exit 2; regression
//! mode finds the lock of the lockfree/contended pair and nothing in a trace
//! against itself.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

const VERSIONS: [&str; 6] = ["go1.22", "go1.23", "go1.24", "go1.25", "go1.26", "go1.27"];
const OVER_BUDGET: i32 = 5;

fn fixture(v: &str, s: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures").join(v).join(format!("{s}.trace"))
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schedstat")).args(args).output().unwrap()
}

/// Writes a budget file with this text; a fresh name each time.
fn budget(text: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!("schedstat-check-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("budget-{}.toml", N.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&p, text).unwrap();
    p
}

/// `schedstat check [--json] TRACE --budget FILE`: exit code, stdout, stderr.
fn check(trace: &Path, budget_text: &str, json: bool) -> (i32, String, String) {
    let b = budget(budget_text);
    let mut args = vec!["check"];
    if json {
        args.push("--json");
    }
    args.extend([trace.to_str().unwrap(), "--budget", b.to_str().unwrap()]);
    let o = run(&args);
    (o.status.code().unwrap(), String::from_utf8(o.stdout).unwrap(), String::from_utf8(o.stderr).unwrap())
}

fn check_json(trace: &Path, budget_text: &str) -> (i32, Value) {
    let (code, out, err) = check(trace, budget_text, true);
    assert!(err.is_empty(), "{err}");
    (code, serde_json::from_str(&out).unwrap())
}

fn json_of(args: &[&str]) -> Value {
    let o = run(args);
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The one result with this key.
fn result<'a>(d: &'a Value, key: &str) -> &'a Value {
    let rs: Vec<&Value> = d["results"].as_array().unwrap().iter().filter(|r| r["key"] == key).collect();
    assert_eq!(rs.len(), 1, "{key}: {d}");
    rs[0]
}

/// The text line of a key and the evidence line under it.
fn lines_of(text: &str, key: &str) -> (String, String) {
    let mut it = text.lines().skip_while(|l| !l.split_whitespace().nth(1).is_some_and(|k| k == format!("{key}:")));
    let head = it.next().unwrap_or_else(|| panic!("{key} not in\n{text}")).to_string();
    (head, it.next().unwrap_or("").to_string())
}

const GENEROUS: &str = r#"
# What a healthy program keeps.
latency.p99 = "50ms"
latency.max = "100ms"
blocked.sync.max_share = 0.5
goroutines.alive_end_max = 1000
findings.forbid = ["goroutine-leak", "deadlock"]
findings.max_severity = "info"
gc.max_share = 0.25
"#;

#[test]
fn healthy_traces_are_within_budget() {
    for v in VERSIONS {
        for s in ["http", "annotations", "multigen"] {
            let t = fixture(v, s);
            let (code, out, err) = check(&t, GENEROUS, false);
            assert_eq!(code, 0, "{v}/{s}: {out}{err}");
            assert!(err.is_empty(), "{err}");
            assert!(out.contains("Within budget: 8 check(s) passed."), "{v}/{s}: {out}");
            assert!(!out.contains("BREACH"), "{out}");
            let (head, evidence) = lines_of(&out, "findings.forbid.goroutine-leak");
            assert!(head.starts_with("ok ") && head.ends_with("not found"), "{head}");
            assert!(evidence.trim_start().starts_with("clear: "), "the doctor's check says what it saw: {evidence}");
        }
    }
}

#[test]
fn storm_breaches_latency_with_the_reports_figure() {
    for v in VERSIONS {
        let t = fixture(v, "storm");
        let (code, out, _) = check(&t, "latency.p99 = \"5ms\"\nlatency.p50 = \"1s\"\n", false);
        assert_eq!(code, OVER_BUDGET, "{v}: {out}");
        let (head, evidence) = lines_of(&out, "latency.p99");
        assert!(head.starts_with("BREACH latency.p99: ") && head.ends_with(", over the limit of 5.00ms"), "{head}");
        assert!(evidence.contains("scheduling latency p99 over"), "{evidence}");
        assert!(lines_of(&out, "latency.p50").0.starts_with("ok "), "{out}");
        assert!(out.contains("Over budget: 1 of 2 check(s) breached."), "{out}");

        let (code, d) = check_json(&t, "latency.p99 = \"5ms\"\n");
        assert_eq!(code, OVER_BUDGET);
        let r = result(&d, "latency.p99");
        let report = json_of(&["--json", t.to_str().unwrap()]);
        assert_eq!(r["value"], report["latency"]["p99_ns"], "{v}: the report's p99");
        assert_eq!((r["status"].as_str(), r["unit"].as_str(), r["limit"].as_i64()), (Some("breach"), Some("ns"), Some(5_000_000)));
        assert_eq!((d["within_budget"].as_bool(), d["breaches"].as_u64()), (Some(false), Some(1)));
    }
}

#[test]
fn leak_breaches_forbidden_findings_with_the_doctors_verdict() {
    for v in ["go1.19", "go1.21"].into_iter().chain(VERSIONS) {
        let t = fixture(v, "leak");
        let b = "findings.forbid = [\"goroutine-leak\", \"deadlock\"]\n";
        let (code, out, _) = check(&t, b, false);
        assert_eq!(code, OVER_BUDGET, "{v}: {out}");
        let (head, evidence) = lines_of(&out, "findings.forbid.goroutine-leak");
        assert_eq!(head, "BREACH findings.forbid.goroutine-leak: found (warning), forbidden");
        assert!(evidence.contains("leakyWorker"), "{v}: the planted function: {evidence}");
        assert!(lines_of(&out, "findings.forbid.deadlock").0.starts_with("ok "), "{out}");

        let (_, d) = check_json(&t, b);
        let doctor = json_of(&["doctor", "--json", t.to_str().unwrap()]);
        let leak = doctor["findings"].as_array().unwrap().iter().find(|f| f["id"] == "goroutine-leak").unwrap();
        let r = result(&d, "findings.forbid.goroutine-leak");
        assert_eq!(r["finding"]["verdict"], leak["verdict"], "{v}");
        assert_eq!(r["finding"]["severity"], leak["severity"]);
        assert_eq!(r["evidence"], leak["verdict"]);
        assert_eq!(result(&d, "findings.forbid.deadlock")["value"], Value::Null);
    }
    // The same leak within a budget that does not forbid it.
    let (code, out, _) = check(&fixture("go1.27", "leak"), "findings.forbid = [\"deadlock\"]\n", false);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn severities_above_the_maximum_are_breaches() {
    for v in VERSIONS {
        let (code, d) = check_json(&fixture(v, "storm"), "findings.max_severity = \"warning\"\n");
        assert_eq!(code, OVER_BUDGET, "{v}");
        let r = result(&d, "findings.max_severity");
        assert_eq!((r["finding"]["id"].as_str(), r["value"].as_str()), (Some("launch-burst"), Some("critical")), "{v}");
        assert!(r["evidence"].as_str().unwrap().contains("launchStorm"), "{r}");
        // The leak is a warning: within.
        let (code, d) = check_json(&fixture(v, "leak"), "findings.max_severity = \"warning\"\n");
        assert_eq!(code, 0, "{d}");
        assert_eq!(result(&d, "findings.max_severity")["value"], "warning");
    }
    let (_, out, _) = check(&fixture("go1.27", "storm"), "findings.max_severity = \"warning\"\n", false);
    assert!(out.contains("BREACH findings.max_severity: launch-burst is critical, above warning"), "{out}");
}

/// Blocked time in the sync class from `diff --json`'s rows, and all of it.
fn sync_blocked(t: &Path) -> (i64, i64) {
    let d = json_of(&["diff", "--json", t.to_str().unwrap(), t.to_str().unwrap()]);
    let rows = d["after"]["blocking"].as_array().unwrap();
    let total: i64 = rows.iter().map(|r| r["total_ns"].as_i64().unwrap()).sum();
    let sync: i64 = rows
        .iter()
        .filter(|r| {
            let reason = r["reason"].as_str().unwrap();
            reason.contains("sync") && !reason.contains("chan")
        })
        .map(|r| r["total_ns"].as_i64().unwrap())
        .sum();
    (sync, total)
}

#[test]
fn mutex_breaches_the_sync_share_of_blocked_time() {
    let b = "blocked.sync.max_share = 0.2\n";
    for v in ["go1.19", "go1.21"].into_iter().chain(VERSIONS) {
        let t = fixture(v, "mutex");
        let (code, d) = check_json(&t, b);
        assert_eq!(code, OVER_BUDGET, "{v}: {d}");
        let r = result(&d, "blocked.sync.max_share");
        let (sync, total) = sync_blocked(&t);
        let share = r["value"].as_f64().unwrap();
        assert!((share - sync as f64 / total as f64).abs() < 1e-12, "{v}: {share} vs {sync}/{total}");
        assert!(share > 0.2 && r["unit"] == "share");
        // And healthy: the HTTP server's sync share is small.
        let (code, d) = check_json(&fixture(v, "http"), b);
        assert_eq!(code, 0, "{v}: {d}");
    }
    let (_, out, _) = check(&fixture("go1.27", "mutex"), b, false);
    let (head, evidence) = lines_of(&out, "blocked.sync.max_share");
    assert!(head.starts_with("BREACH blocked.sync.max_share: ") && head.ends_with("over the limit of 20.0%"), "{head}");
    assert!(evidence.contains("blocked in class sync of") && evidence.contains("most at "), "{evidence}");
    // The same class as an absolute limit.
    let (code, d) = check_json(&fixture("go1.27", "contended"), "blocked.sync.max = \"100ms\"\n");
    assert_eq!(code, OVER_BUDGET);
    let r = result(&d, "blocked.sync.max");
    assert_eq!(r["value"].as_i64().unwrap(), sync_blocked(&fixture("go1.27", "contended")).0);
    assert!(r["evidence"].as_str().unwrap().contains("pairLock"), "{r}");
}

#[test]
fn goroutine_and_gc_limits_use_diffs_figures() {
    for v in VERSIONS {
        // leak: 37 blocked forever, so more than 40 alive at the end.
        let t = fixture(v, "leak");
        let (code, d) = check_json(&t, "goroutines.alive_end_max = 40\n");
        let diff = json_of(&["diff", "--json", t.to_str().unwrap(), t.to_str().unwrap()]);
        let r = result(&d, "goroutines.alive_end_max");
        assert_eq!(r["value"], diff["after"]["goroutines"]["alive_at_end"], "{v}");
        assert_eq!(code, OVER_BUDGET, "{v}: {r}");
        // storm: some 2000 alive at once.
        let t = fixture(v, "storm");
        let (code, d) = check_json(&t, "goroutines.alive_peak_max = 1000\n");
        let diff = json_of(&["diff", "--json", t.to_str().unwrap(), t.to_str().unwrap()]);
        assert_eq!(result(&d, "goroutines.alive_peak_max")["value"], diff["after"]["goroutines"]["max_alive"]);
        assert_eq!(code, OVER_BUDGET, "{v}");
        // gc: allocation-heavy, a large share of the trace in mark phases.
        let t = fixture(v, "gc");
        let (code, d) = check_json(&t, "gc.max_share = 0.1\ngc.stw_max = \"1s\"\n");
        let diff = json_of(&["diff", "--json", t.to_str().unwrap(), t.to_str().unwrap()]);
        assert_eq!(result(&d, "gc.max_share")["value"], diff["after"]["gc"]["gc_mark_fraction"], "{v}");
        assert_eq!(result(&d, "gc.max_share")["status"], "breach", "{v}");
        assert_eq!(result(&d, "gc.stw_max")["value"], diff["after"]["gc"]["stw_max_ns"]);
        assert_eq!(result(&d, "gc.stw_max")["status"], "ok");
        assert_eq!(code, OVER_BUDGET);
    }
}

#[test]
fn json_keys_are_stable() {
    let t = fixture("go1.27", "leak");
    let (_, d) = check_json(&t, GENEROUS);
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&d), ["before", "breaches", "budget", "results", "trace", "within_budget"]);
    assert_eq!(d["trace"], t.to_str().unwrap());
    assert_eq!(d["before"], Value::Null);
    for r in d["results"].as_array().unwrap() {
        assert_eq!(keys(r), ["before", "evidence", "finding", "key", "limit", "status", "unit", "value"], "{r}");
        assert!(["ok", "breach"].contains(&r["status"].as_str().unwrap()));
        assert!(["ns", "share", "count", "severity", "finding"].contains(&r["unit"].as_str().unwrap()), "{r}");
    }
    let f = &result(&d, "findings.forbid.goroutine-leak")["finding"];
    assert_eq!(keys(f), ["id", "severity", "verdict"]);
    // Results come in the budget file's order.
    let order: Vec<&str> = d["results"].as_array().unwrap().iter().map(|r| r["key"].as_str().unwrap()).collect();
    assert_eq!(
        order,
        [
            "latency.p99",
            "latency.max",
            "blocked.sync.max_share",
            "goroutines.alive_end_max",
            "findings.forbid.goroutine-leak",
            "findings.forbid.deadlock",
            "findings.max_severity",
            "gc.max_share"
        ]
    );
}

#[test]
fn bad_budget_files_are_one_line_naming_line_and_key() {
    let t = fixture("go1.27", "mutex");
    for (text, line, key, what) in [
        ("latency.p99 = \"5ms\"\nlatency.p98 = \"1ms\"\n", 2, "latency.p98", "unknown key"),
        ("[latency]\np99 = \"5 parsecs\"\n", 2, "latency.p99", "bad duration"),
        ("latency.p99 = 5\n", 1, "latency.p99", "bad type"),
        ("\n[goroutines]\nalive_end_max = \"many\"\n", 3, "goroutines.alive_end_max", "bad type"),
        ("goroutines.alive_end_max = -1\n", 1, "goroutines.alive_end_max", "bad count"),
        ("blocked.sync.max_share = 1.5\n", 1, "blocked.sync.max_share", "bad share"),
        ("blocked.syscall.max_share = 0.1\n", 1, "blocked.syscall.max_share", "unknown blocked-time class"),
        ("findings.forbid = [\"leak\"]\n", 1, "findings.forbid", "unknown finding id \"leak\""),
        ("findings.forbid = \"deadlock\"\n", 1, "findings.forbid", "bad type"),
        ("findings.max_severity = \"fatal\"\n", 1, "findings.max_severity", "bad severity"),
        ("gc.max_share = 0.1\nlatency.p99 = \"5ms\n", 2, "latency.p99", "bad TOML"),
        ("latency.p99 = \"5ms\"\nlatency.p99 = \"6ms\"\n", 2, "latency.p99", "bad TOML: duplicate key"),
    ] {
        let b = budget(text);
        let o = run(&["check", t.to_str().unwrap(), "--budget", b.to_str().unwrap()]);
        let err = String::from_utf8(o.stderr).unwrap();
        assert_eq!(o.status.code(), Some(2), "{text:?}: {err}");
        assert!(o.stdout.is_empty(), "{text:?}");
        assert_eq!(err.lines().count(), 1, "{err}");
        let want = format!("schedstat: error: {}: line {line}: {key}: {what}", b.display());
        assert!(err.starts_with(&want), "{text:?}:\n{err}\nwanted {want}");
    }
    // No limit at all is an error too; a missing file is a file error.
    let (code, _, err) = check(&t, "# nothing here\n", false);
    assert_eq!(code, 2);
    assert!(err.contains("no limits set") && err.lines().count() == 1, "{err}");
    let o = run(&["check", t.to_str().unwrap(), "--budget", "/nonexistent/budget.toml"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn usage_errors_and_unreadable_traces() {
    let t = fixture("go1.27", "mutex");
    let t = t.to_str().unwrap();
    let b = budget("latency.p99 = \"5ms\"\n");
    let b = b.to_str().unwrap();
    for args in [
        vec!["check", t],
        vec!["check", t, "--budget", b, "--max-regression", "p99=10%"],
        vec!["check", t, t],
        vec!["check", t, t, "--max-regression", "p98=10%"],
        vec!["check", t, t, "--max-regression", "p99=fast"],
        vec!["check", t, t, "--max-regression", "p99"],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert_eq!(String::from_utf8(o.stderr).unwrap().lines().count(), 1, "{args:?}");
    }
    // Three traces: clap's usage error.
    assert_eq!(run(&["check", t, t, t, "--max-regression", "p99=10%"]).status.code(), Some(2));
    // Not a trace: exit 1, as everywhere.
    let junk = std::env::temp_dir().join(format!("schedstat-check-junk-{}.trace", std::process::id()));
    std::fs::write(&junk, b"not a trace at all").unwrap();
    let o = run(&["check", junk.to_str().unwrap(), "--budget", b]);
    assert_eq!(o.status.code(), Some(1));
    // The help shows examples and the exit code.
    let o = run(&["check", "--help"]);
    let help = String::from_utf8(o.stdout).unwrap();
    assert!(help.contains("--max-regression p99=10%") && help.contains("5 over budget"), "{help}");
}

#[test]
fn the_contended_lock_is_a_regression() {
    for v in VERSIONS {
        let (a, b) = (fixture(v, "lockfree"), fixture(v, "contended"));
        let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
        let args = ["check", "--json", a, b, "--max-regression", "blocked.sync=10%", "--max-regression", "p99=10%"];
        let o = run(&args);
        assert_eq!(o.status.code(), Some(OVER_BUDGET), "{v}");
        let d: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!((d["before"].as_str(), d["trace"].as_str(), d["budget"].as_str()), (Some(a), Some(b), None));
        let r = result(&d, "regression.blocked.sync");
        assert_eq!(r["status"], "breach", "{v}: {r}");
        assert!(r["evidence"].as_str().unwrap().contains("pairWorker → pairLock"), "{v}: {r}");
        assert_eq!(r["limit"]["share"], 0.1);
        // The figures are diff's.
        assert_eq!(r["before"].as_f64().unwrap() as i64, sync_blocked(&fixture(v, "lockfree")).0);
        assert_eq!(r["value"].as_f64().unwrap() as i64, sync_blocked(&fixture(v, "contended")).0);
        let diff = json_of(&["diff", "--json", a, b]);
        let p = result(&d, "regression.p99");
        assert_eq!((&p["before"], &p["value"]), (&diff["before"]["latency"]["p99_ns"], &diff["after"]["latency"]["p99_ns"]));
        // The lock takes turns: the scheduling latency tail got shorter, not longer.
        assert_eq!(p["status"], "ok", "{v}: {p}");
        // Backwards, the tail latency is what regressed.
        let o = run(&["check", b, a, "--max-regression", "p99=10%", "--max-regression", "blocked.sync=10%"]);
        assert_eq!(o.status.code(), Some(OVER_BUDGET), "{v}");
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(lines_of(&text, "regression.p99").0.starts_with("BREACH regression.p99: "), "{text}");
        assert!(lines_of(&text, "regression.blocked.sync").0.starts_with("ok "), "{text}");
    }
    // An absolute allowance.
    let (a, b) = (fixture("go1.27", "lockfree"), fixture("go1.27", "contended"));
    let o = run(&["check", a.to_str().unwrap(), b.to_str().unwrap(), "--max-regression", "blocked=1s"]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(lines_of(&text, "regression.blocked").0.ends_with("within +1.00s"), "{text}");
}

#[test]
fn a_trace_against_itself_has_no_regression() {
    let all = ["p50", "p90", "p99", "max", "avg", "blocked", "blocked.sync", "blocked.chan", "blocked.select", "blocked.net", "blocked.sleep", "blocked.other"];
    for v in VERSIONS {
        for s in ["mutex", "storm", "contended"] {
            let t = fixture(v, s);
            let t = t.to_str().unwrap();
            let mut args = vec!["check", "--json", t, t];
            let limits: Vec<String> = all.iter().map(|m| format!("{m}=0%")).collect();
            for l in &limits {
                args.extend(["--max-regression", l.as_str()]);
            }
            let o = run(&args);
            assert_eq!(o.status.code(), Some(0), "{v}/{s}: {}", String::from_utf8_lossy(&o.stdout));
            let d: Value = serde_json::from_slice(&o.stdout).unwrap();
            assert_eq!(d["results"].as_array().unwrap().len(), all.len());
            for r in d["results"].as_array().unwrap() {
                assert_eq!(r["before"], r["value"], "{v}/{s}: {r}");
            }
        }
    }
    let t = fixture("go1.27", "mutex");
    let o = run(&["check", t.to_str().unwrap(), t.to_str().unwrap(), "--max-regression", "p99=0%"]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("(no change), within +0.0%") && text.contains("Within budget: 1 check(s) passed."), "{text}");
}

#[test]
fn a_budget_applies_to_after_in_regression_mode() {
    let (a, b) = (fixture("go1.27", "lockfree"), fixture("go1.27", "contended"));
    let bf = budget("findings.forbid = [\"lock-contention\"]\n");
    let o = run(&["check", "--json", a.to_str().unwrap(), b.to_str().unwrap(), "--budget", bf.to_str().unwrap(), "--max-regression", "p99=10%"]);
    assert_eq!(o.status.code(), Some(OVER_BUDGET));
    let d: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(result(&d, "findings.forbid.lock-contention")["status"], "breach");
    assert_eq!(result(&d, "regression.p99")["status"], "ok");
    assert_eq!(d["breaches"], 1);
}
