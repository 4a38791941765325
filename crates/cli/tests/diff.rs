//! `schedstat diff`: a trace against itself changes nothing; the generator's
//! lockfree/contended pair (same code, one shared mutex) puts the contended
//! lock first; the side-by-side figures are the report's and Go's.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const VERSIONS: [&str; 6] = ["go1.22", "go1.23", "go1.24", "go1.25", "go1.26", "go1.27"];

fn fixture(v: &str, s: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures").join(v).join(format!("{s}.trace"))
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schedstat")).args(args).output().unwrap()
}

fn diff_json(a: &Path, b: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["diff", "--json"];
    args.extend_from_slice(extra);
    args.push(a.to_str().unwrap());
    args.push(b.to_str().unwrap());
    let o = run(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Go's own parse of the fixture (`go tool trace -d=parsed`, Go 1.27.3).
fn parsed(path: &Path) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path.with_extension("parsed.gz")).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text
}

fn funcs(row: &Value) -> Vec<&str> {
    row["funcs"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect()
}

#[test]
fn a_trace_against_itself_changes_nothing() {
    for v in VERSIONS {
        for s in ["mutex", "gc", "storm"] {
            let t = fixture(v, s);
            let d = diff_json(&t, &t, &[]);
            assert_eq!(d["before"], d["after"], "{v}/{s}");
            assert_eq!(d["blocking"], Value::Array(vec![]), "{v}/{s}");
            assert_eq!(d["sched"], Value::Array(vec![]), "{v}/{s}");
            assert_eq!((d["blocking_changed"].as_u64(), d["sched_changed"].as_u64()), (Some(0), Some(0)));
            // The summaries are not empty: there was something to compare.
            assert!(!d["before"]["blocking"].as_array().unwrap().is_empty());
            assert!(!d["before"]["sched"].as_array().unwrap().is_empty());
        }
    }
    // The text says so.
    let t = fixture("go1.27", "mutex");
    let o = run(&["diff", t.to_str().unwrap(), t.to_str().unwrap()]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("Blocked time by wait reason and stack: no change."), "{text}");
}

#[test]
fn the_contended_lock_tops_the_blocking_changes() {
    for v in VERSIONS {
        let (a, b) = (fixture(v, "lockfree"), fixture(v, "contended"));
        let d = diff_json(&a, &b, &["-n", "3"]);
        let top = &d["blocking"][0];
        assert_eq!(top["reason"], "sync", "{v}: {top}");
        let f = funcs(top);
        assert!(f.contains(&"main.pairLock") && f.contains(&"main.pairWorker"), "{v}: {f:?}");
        assert!(f[0].starts_with("sync.(*Mutex).Lock"), "{v}: {f:?}");
        assert_eq!(top["before_ns"], 0, "{v}: no contention before");
        assert!(top["delta_ns"].as_i64().unwrap() > 0 && top["ratio"].is_null());
        assert!(d["blocking"].as_array().unwrap().len() <= 3, "-n limits the list");
        // Reversed, the same stack tops the list as the biggest decrease.
        let r = diff_json(&b, &a, &["-n", "1"]);
        assert_eq!(funcs(&r["blocking"][0]), f);
        assert_eq!(r["blocking"][0]["delta_ns"].as_i64().unwrap(), -top["delta_ns"].as_i64().unwrap());
        assert_eq!(r["blocking"][0]["ratio"], 0.0);
        // Scheduling: goroutines woken by the lock's holder are new after.
        let sched = d["sched"].as_array().unwrap();
        let d_all = diff_json(&a, &b, &["-n", "1000"]);
        let woken = d_all["sched"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["reason"] == "unblocked" && funcs(r).contains(&"main.pairWorker"))
            .unwrap_or_else(|| panic!("{v}: {sched:?}"));
        assert_eq!(woken["before_ns"], 0);
        assert!(woken["after_count"].as_i64().unwrap() > 0);
    }
    // The text names the path.
    let o = run(&["diff", fixture("go1.27", "lockfree").to_str().unwrap(), fixture("go1.27", "contended").to_str().unwrap()]);
    let text = String::from_utf8(o.stdout).unwrap();
    let first = text.lines().skip_while(|l| !l.starts_with("Blocked time")).nth(2).unwrap();
    assert!(first.contains("pairWorker → pairLock") && first.contains("new") && first.contains("sync"), "{first}");
    assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
    let o = run(&["diff", "-n", "2", fixture("go1.27", "lockfree").to_str().unwrap(), fixture("go1.27", "contended").to_str().unwrap()]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
    assert!(text.contains(" more (-n to see them)"), "{text}");
}

#[test]
fn side_by_side_figures_equal_the_report_and_go() {
    for v in VERSIONS {
        let (a, b) = (fixture(v, "storm"), fixture(v, "gc"));
        let d = diff_json(&a, &b, &[]);
        for (side, t) in [("before", &a), ("after", &b)] {
            // Latency: the same figures as `schedstat --json`.
            let o = run(&["--json", t.to_str().unwrap()]);
            assert!(o.status.success());
            let rep: Value = serde_json::from_slice(&o.stdout).unwrap();
            for k in ["count", "p50_ns", "p90_ns", "p99_ns", "max_ns"] {
                assert_eq!(d[side]["latency"][k], rep["latency"][k], "{v} {side} {k}");
            }
            // Goroutines and GC against Go's own parse of the trace.
            let text = parsed(t);
            let mut ids = HashSet::new();
            let mut created = 0;
            for l in text.lines().filter(|l| l.contains(" StateTransition ") && l.contains(" GoID=")) {
                let rest = &l[l.find(" GoID=").unwrap() + 6..];
                ids.insert(rest[..rest.find(' ').unwrap()].to_string());
                created += l.contains(" NotExist->") as i64;
            }
            let g = &d[side]["goroutines"];
            assert_eq!(g["seen"].as_u64().unwrap() as usize, ids.len(), "{v} {side}");
            assert_eq!(g["created"].as_i64().unwrap(), created, "{v} {side}");
            assert!(g["max_alive"].as_i64().unwrap() >= g["alive_at_end"].as_i64().unwrap());
            let ranges = |name: &str| {
                text.lines().filter(|l| (l.contains(" RangeBegin ") || l.contains(" RangeActive ")) && l.contains(name)).count() as i64
            };
            let gc = &d[side]["gc"];
            assert_eq!(gc["gc_cycles"].as_i64().unwrap(), ranges("Name=\"GC concurrent mark phase\""), "{v} {side}");
            assert_eq!(gc["stw_count"].as_i64().unwrap(), ranges("Name=\"stop-the-world ("), "{v} {side}");
        }
        // storm: 2000 goroutines created by launchStorm, most alive at once; gc: GC time.
        assert!(d["before"]["goroutines"]["created"].as_i64().unwrap() >= 2000);
        assert!(d["before"]["goroutines"]["max_alive"].as_i64().unwrap() > 100);
        let frac = d["after"]["gc"]["gc_mark_fraction"].as_f64().unwrap();
        assert!(frac > 0.0 && frac <= 1.0, "{v}: {frac}");
        assert!(d["after"]["gc"]["stw_ns"].as_i64().unwrap() > d["before"]["gc"]["stw_ns"].as_i64().unwrap());
    }
}

#[test]
fn bad_input_is_one_line_and_a_documented_exit_code() {
    let good = fixture("go1.27", "mutex");
    let dir = std::env::temp_dir().join(format!("schedstat-diff-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.trace");
    std::fs::write(&bad, b"not a trace at all").unwrap();
    for (args, code) in [
        (vec!["diff", good.to_str().unwrap(), bad.to_str().unwrap()], 1),
        (vec!["diff", bad.to_str().unwrap(), good.to_str().unwrap()], 1),
        (vec!["diff", good.to_str().unwrap(), "/no/such/file.trace"], 2),
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(code), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("schedstat: error: "), "{err}");
        assert!(o.stdout.is_empty());
    }
    assert_eq!(run(&["diff", good.to_str().unwrap()]).status.code(), Some(2));
    assert_eq!(run(&["diff", "-n", "x", good.to_str().unwrap(), good.to_str().unwrap()]).status.code(), Some(2));
    // A damaged trace: exit 3, compared over its complete generations.
    let data = std::fs::read(fixture("go1.27", "multigen")).unwrap();
    let cut = dir.join("cut.trace");
    std::fs::write(&cut, &data[..data.len() * 3 / 4]).unwrap();
    let o = run(&["diff", "--json", fixture("go1.27", "multigen").to_str().unwrap(), cut.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    let d: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(d["after"]["gc"]["duration_ns"].as_i64().unwrap() < d["before"]["gc"]["duration_ns"].as_i64().unwrap());
    let _ = std::fs::remove_dir_all(&dir);

    let o = run(&["diff", "--help"]);
    let h = String::from_utf8(o.stdout).unwrap();
    assert!(h.contains("Examples:") && h.contains("Exit codes") && h.contains("-n"));
}
