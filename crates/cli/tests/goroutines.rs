//! `schedstat goroutines` against go tool trace's /goroutines and /goroutine
//! pages, recorded from Go 1.27.3 by scripts/goroutines-oracle.py for every
//! fixture (testdata/oracle/goroutines/go1.X/<scenario>.json, the old-format
//! go1.19 and go1.21 ones included: Go's reader converts them); and
//! `schedstat leaks` against scenarios whose leak is known.
//!
//! Go prints durations with every nanosecond, so the comparison is exact.
//! Go sorts groups and goroutines with an unstable sort over map order, so
//! rows with equal sort keys may come in any order: we compare the sequence
//! of sort keys, and each row's figures by name or goroutine ID.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schedstat")).args(args).output().unwrap()
}

fn json_of(args: &[&str]) -> Value {
    let o = run(args);
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Every fixture directory: Go 1.19 and 1.21 write the old trace format.
const VERSIONS: [&str; 8] = ["go1.19", "go1.21", "go1.22", "go1.23", "go1.24", "go1.25", "go1.26", "go1.27"];

fn ns(v: &Value) -> i64 {
    v.as_i64().unwrap()
}

fn get_or_zero(m: &Value, k: &str) -> i64 {
    m.get(k).map_or(0, ns)
}

/// Every difference between Go's pages and our JSON.
fn differences(go: &Value, ours: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    let og = go["groups"].as_array().unwrap();
    let mine: BTreeMap<&str, &Value> =
        ours["groups"].as_array().unwrap().iter().map(|g| (g["name"].as_str().unwrap(), g)).collect();
    let mut go_names: Vec<&str> = og.iter().map(|g| g["name"].as_str().unwrap()).collect();
    go_names.sort();
    if go_names != mine.keys().copied().collect::<Vec<_>>() {
        errs.push(format!("group names: go {go_names:?} ours {:?}", mine.keys()));
        return errs;
    }
    for g in og {
        let m = mine[g["name"].as_str().unwrap()];
        if g["count"] != m["count"] || g["exec_ns"] != m["exec_ns"] {
            errs.push(format!("group {}: go {} {} ours {} {}", g["name"], g["count"], g["exec_ns"], m["count"], m["exec_ns"]));
        }
    }
    let keys = |v: &Value, k: &str| -> Vec<i64> { v.as_array().unwrap().iter().map(|g| ns(&g[k])).collect() };
    if keys(&go["groups"], "exec_ns") != keys(&ours["groups"], "exec_ns") {
        errs.push("group order by execution time".into());
    }
    for p in go["pages"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        let m = mine[name];
        for k in ["count", "exec_percent", "columns", "range_columns"] {
            if p[k] != m[k] {
                errs.push(format!("group {name}: {k}: go {} ours {}", p[k], m[k]));
            }
        }
        let gs: BTreeMap<i64, &Value> = m["goroutines"].as_array().unwrap().iter().map(|g| (ns(&g["id"]), g)).collect();
        let mut ids: Vec<i64> = p["goroutines"].as_array().unwrap().iter().map(|g| ns(&g["id"])).collect();
        ids.sort();
        if ids != gs.keys().copied().collect::<Vec<_>>() {
            errs.push(format!("group {name}: goroutine IDs"));
            continue;
        }
        if keys(&p["goroutines"], "total_ns") != keys(&m["goroutines"], "total_ns") {
            errs.push(format!("group {name}: goroutine order by total time"));
        }
        for g in p["goroutines"].as_array().unwrap() {
            let o = gs[&ns(&g["id"])];
            if g["total_ns"] != o["total_ns"] {
                errs.push(format!("{name} G{}: total go {} ours {}", g["id"], g["total_ns"], o["total_ns"]));
            }
            for (c, v) in g["breakdown"].as_object().unwrap() {
                if get_or_zero(&o["breakdown"], c) != ns(v) {
                    errs.push(format!("{name} G{}: {c}: go {v} ours {}", g["id"], get_or_zero(&o["breakdown"], c)));
                }
            }
        }
        let mut with_ranges: Vec<i64> = gs
            .iter()
            .filter(|(_, g)| g["range_ns"].as_object().unwrap().values().map(ns).sum::<i64>() != 0)
            .map(|(i, _)| *i)
            .collect();
        with_ranges.sort();
        let mut go_ranges: Vec<i64> = p["ranges"].as_array().unwrap().iter().map(|r| ns(&r["id"])).collect();
        go_ranges.sort();
        if with_ranges != go_ranges {
            errs.push(format!("group {name}: goroutines with special ranges: go {go_ranges:?} ours {with_ranges:?}"));
            continue;
        }
        for r in p["ranges"].as_array().unwrap() {
            let o = gs[&ns(&r["id"])];
            for (c, v) in r["range_ns"].as_object().unwrap() {
                if get_or_zero(&o["range_ns"], c) != ns(v) {
                    errs.push(format!("{name} G{}: {c}: go {v} ours {}", r["id"], get_or_zero(&o["range_ns"], c)));
                }
            }
        }
    }
    errs
}

#[test]
fn goroutine_pages_equal_go_tool_trace_on_every_fixture() {
    let dir = root().join("testdata/oracle/goroutines");
    let mut files = 0;
    let mut goroutines = 0;
    let mut ranged = 0;
    for ver in VERSIONS {
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(dir.join(ver)).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for f in entries.iter().filter(|p| p.extension().is_some_and(|e| e == "json")) {
            let go: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
            let trace = root().join(go["trace"].as_str().unwrap());
            let ours = json_of(&["goroutines", "--json", trace.to_str().unwrap()]);
            let errs = differences(&go, &ours);
            assert!(errs.is_empty(), "{}: {} differences:\n{}", f.display(), errs.len(), errs[..errs.len().min(20)].join("\n"));
            files += 1;
            goroutines += go["pages"].as_array().unwrap().iter().map(|p| p["count"].as_u64().unwrap()).sum::<u64>();
            ranged += go["pages"].as_array().unwrap().iter().map(|p| p["ranges"].as_array().unwrap().len()).sum::<usize>();
        }
    }
    // Every fixture has its recorded pages (scripts/goroutines-oracle.py).
    let fixtures: usize = VERSIONS
        .iter()
        .map(|v| {
            std::fs::read_dir(root().join("testdata/fixtures").join(v))
                .unwrap()
                .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "trace"))
                .count()
        })
        .sum();
    assert_eq!(files, fixtures);
    assert!(goroutines > 10_000, "{goroutines}");
    assert!(ranged > 50, "special ranges compared: {ranged}");
}

/// The shared corpus's hand-made traces (procs stolen from syscalls, across
/// generation boundaries, bare Ms, ...) exercise Go's syscall bookkeeping.
#[test]
fn goroutine_pages_equal_go_tool_trace_on_the_shared_corpus() {
    let corpus = root().join("../shared/testdata/go-corpus");
    if !corpus.is_dir() {
        assert!(
            std::env::var_os("SCHEDSTAT_NO_SHARED_CORPUS").is_some(),
            "the shared corpus is missing at {}; place shared/ beside the clone or set SCHEDSTAT_NO_SHARED_CORPUS=1",
            corpus.display()
        );
        return;
    }
    let dir = root().join("testdata/oracle/goroutines/corpus");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let f = e.unwrap().path();
        let go: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        let trace = root().join(go["trace"].as_str().unwrap());
        let o = run(&["goroutines", "--json", trace.to_str().unwrap()]);
        // Go's server shows what it read before a damage; so do we (exit 3).
        assert!(matches!(o.status.code(), Some(0 | 3)), "{}: {}", f.display(), String::from_utf8_lossy(&o.stderr));
        let ours: Value = serde_json::from_slice(&o.stdout).unwrap();
        let errs = differences(&go, &ours);
        assert!(errs.is_empty(), "{}: {}", f.display(), errs.join("\n"));
        n += 1;
    }
    assert_eq!(n, 22);
}

/// The comparison catches a changed figure (it is not vacuous).
#[test]
fn comparison_detects_a_wrong_figure() {
    let f = root().join("testdata/oracle/goroutines/go1.27/gc.json");
    let go: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
    let trace = root().join(go["trace"].as_str().unwrap());
    let mut ours = json_of(&["goroutines", "--json", trace.to_str().unwrap()]);
    assert!(differences(&go, &ours).is_empty());
    let g = &mut ours["groups"][0]["goroutines"][0];
    let v = ns(&g["range_ns"]["GC mark assist"]);
    g["range_ns"]["GC mark assist"] = (v + 1).into();
    assert_eq!(differences(&go, &ours).len(), 1);
}

#[test]
fn text_lists_groups_like_the_goroutines_page() {
    let t = root().join("testdata/fixtures/go1.27/mutex.trace");
    let go: Value =
        serde_json::from_slice(&std::fs::read(root().join("testdata/oracle/goroutines/go1.27/mutex.json")).unwrap())
            .unwrap();
    let o = run(&["goroutines", t.to_str().unwrap()]);
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
    // Each group's row: name, count and Go's exact duration string.
    let first = &go["groups"][0];
    let row = text.lines().find(|l| l.starts_with(first["name"].as_str().unwrap())).unwrap();
    assert!(row.ends_with("23.791488ms") || row.contains(&format!(" {} ", first["count"])), "{row}");
    let names: Vec<&str> = go["groups"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    for n in &names {
        assert!(text.contains(n), "{n} missing");
    }
    // -n limits the rows.
    let o = run(&["goroutines", "-n", "3", t.to_str().unwrap()]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains(&format!("({} more groups", names.len() - 3)), "{text}");
}

#[test]
fn group_breakdown_sort_and_one_goroutine() {
    let t = root().join("testdata/fixtures/go1.27/gc.trace");
    let t = t.to_str().unwrap();
    let go: Value =
        serde_json::from_slice(&std::fs::read(root().join("testdata/oracle/goroutines/go1.27/gc.json")).unwrap())
            .unwrap();
    let page = go["pages"].as_array().unwrap().iter().find(|p| p["name"] == "main.runGC.func1.1").unwrap();
    let o = run(&["goroutines", "--group", "main.runGC.func1.1", t]);
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
    assert!(text.contains(&format!("Count: {}", page["count"])));
    assert!(text.contains(&format!("{} of total program execution time", page["exec_percent"].as_str().unwrap())));
    assert!(text.contains("Special ranges") && text.contains("mark assist"), "{text}");
    for g in page["goroutines"].as_array().unwrap() {
        assert!(text.lines().any(|l| l.trim_start().starts_with(&format!("{} ", g["id"]))), "G{} missing", g["id"]);
    }

    // --sort by a column orders by that column, biggest first (Go's ?sortby=).
    let doc = json_of(&["goroutines", "--json", "-g", "main.runGC.func1.1", "--sort", "block:sync", t]);
    let gs = doc["groups"][0]["goroutines"].as_array().unwrap();
    let v: Vec<i64> = gs.iter().map(|g| get_or_zero(&g["breakdown"], "Block time (sync)")).collect();
    assert!(v.windows(2).all(|w| w[0] >= w[1]), "{v:?}");
    assert_eq!(doc["groups"].as_array().unwrap().len(), 1);
    let bad = run(&["goroutines", "-g", "main.runGC.func1.1", "--sort", "nonsense", t]);
    assert_eq!(bad.status.code(), Some(2));

    // --id: one goroutine, Go's exact figures.
    let g = &page["goroutines"][0];
    let id = g["id"].to_string();
    let doc = json_of(&["goroutines", "--json", "--id", &id, t]);
    assert_eq!(doc["goroutine"]["total_ns"], g["total_ns"]);
    for (c, v) in g["breakdown"].as_object().unwrap() {
        assert_eq!(get_or_zero(&doc["goroutine"]["breakdown"], c), ns(v), "{c}");
    }
    let o = run(&["goroutines", "--id", &id, t]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.starts_with(&format!("Goroutine {id}  main.runGC.func1.1")), "{text}");
    assert!(text.contains("GC mark assist"));
    assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
    let missing = run(&["goroutines", "--id", "999999", t]);
    assert_eq!(missing.status.code(), Some(2));
    let missing = run(&["goroutines", "--group", "main.nothing", t]);
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&missing.stderr).lines().count(), 1);
}

/// Regions carry the goroutine's stats inside them (annotations scenario:
/// 4 annotatedWorker goroutines, started by a closure in runAnnotations).
#[test]
fn regions_of_a_goroutine() {
    let t = root().join("testdata/fixtures/go1.27/annotations.trace");
    let doc = json_of(&["goroutines", "--json", "-g", "main.runAnnotations.func1.1", t.to_str().unwrap()]);
    let gs = doc["groups"][0]["goroutines"].as_array().unwrap();
    assert_eq!(gs.len(), 4);
    for g in gs {
        let regions = g["regions"].as_array().unwrap();
        let names: Vec<&str> = regions.iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert!(names.contains(&"decode") && names.contains(&"parse"), "{names:?}");
        for r in regions {
            let s = &r["stats"];
            if let (Some(a), Some(b)) = (r["start_ns"].as_i64(), r["end_ns"].as_i64()) {
                assert_eq!(ns(&s["total_ns"]), b - a);
            }
        }
    }
}

#[test]
fn bad_input_is_a_one_line_error() {
    let dir = std::env::temp_dir().join(format!("schedstat-goroutines-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("not-a-trace.txt");
    std::fs::write(&f, b"hello, this is not a Go trace\n").unwrap();
    for cmd in ["goroutines", "leaks"] {
        let o = run(&[cmd, f.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{cmd}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(e.lines().count(), 1, "{e}");
        assert!(!e.contains("panicked"));
        assert!(o.stdout.is_empty());
        let o = run(&[cmd, dir.join("missing.trace").to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1);
    }
    // A trace cut short: figures for what was read, exit 3.
    let whole = std::fs::read(root().join("testdata/fixtures/go1.27/multigen.trace")).unwrap();
    let cut = dir.join("cut.trace");
    std::fs::write(&cut, &whole[..whole.len() * 2 / 3]).unwrap();
    for cmd in ["goroutines", "leaks"] {
        let o = run(&[cmd, "--json", cut.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(3), "{cmd}");
        let _: Value = serde_json::from_slice(&o.stdout).unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- leaks -------------------------------------------------------------

/// The generator's leak scenario leaks exactly 37 goroutines in leakyWorker,
/// blocked in a channel receive (testdata/generator/leak.go: leakCount).
#[test]
fn leak_scenario_reports_exactly_its_leaked_goroutines() {
    for ver in VERSIONS {
        let t = root().join(format!("testdata/fixtures/{ver}/leak.trace"));
        let doc = json_of(&["leaks", "--json", t.to_str().unwrap()]);
        let groups = doc["groups"].as_array().unwrap();
        let at_worker: Vec<&Value> = groups
            .iter()
            .filter(|g| g["stack"].as_array().unwrap().iter().any(|f| f["func"] == "main.leakyWorker"))
            .collect();
        assert_eq!(at_worker.len(), 1, "{ver}: one group at leakyWorker");
        let g = at_worker[0];
        assert_eq!(g["count"], 37, "{ver}");
        assert_eq!(g["reason"], "chan receive", "{ver}");
        assert_eq!(groups[0]["count"], 37, "{ver}: the biggest group comes first");
        assert_eq!(g["goroutines"].as_array().unwrap().len(), 37);
        // Each waited from its receive until the end: at least the 20 ms sleep.
        assert!(ns(&g["min_wait_ns"]) >= 20_000_000, "{ver}: {}", g["min_wait_ns"]);
        assert!(ns(&g["min_wait_ns"]) <= ns(&g["median_wait_ns"]) && ns(&g["median_wait_ns"]) <= ns(&g["max_wait_ns"]));
        let longest = &g["goroutines"][0];
        assert_eq!(longest["id"], g["longest_id"]);
        assert_eq!(longest["waited_ns"], g["max_wait_ns"]);
        assert_eq!(ns(&longest["waited_ns"]), ns(&doc["end_ns"]) - ns(&longest["since_ns"]));
        // No other application goroutine is blocked; main is still running, so no deadlock.
        assert_eq!(doc["blocked_shown"], 37, "{ver}");
        assert_eq!(doc["possible_deadlock"], false, "{ver}");
        // The alive count over time reaches the 37 workers plus main.
        let tl = doc["timeline"].as_array().unwrap();
        assert!(tl.len() >= 19 && tl.len() <= 21, "{ver}: {} windows", tl.len());
        assert!(tl.iter().map(|w| ns(&w["max_alive"])).max().unwrap() >= 38);
        assert_eq!(ns(&tl.last().unwrap()["end_ns"]), ns(&doc["end_ns"]));

        let o = run(&["leaks", t.to_str().unwrap()]);
        assert!(o.status.success());
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
        let first = text.lines().find(|l| l.starts_with(" 1.")).unwrap();
        assert!(first.contains("37 goroutines") && first.contains("chan receive"), "{first}");
        assert!(text.contains("leakyWorker at leak.go:"), "{text}");
        assert!(!text.contains("WARNING"));
    }
}

/// Healthy scenarios: nothing blocked like the leak, and no deadlock warning.
#[test]
fn healthy_scenarios_report_no_leak() {
    for ver in VERSIONS {
        for sc in ["cpuhog", "storm"] {
            let t = root().join(format!("testdata/fixtures/{ver}/{sc}.trace"));
            let doc = json_of(&["leaks", "--json", t.to_str().unwrap()]);
            assert_eq!(doc["possible_deadlock"], false, "{ver} {sc}");
            for g in doc["groups"].as_array().unwrap() {
                assert!(ns(&g["count"]) < 10, "{ver} {sc}: unexpected big blocked group {g}");
                assert_ne!(g["reason"], "chan receive", "{ver} {sc}: {g}");
            }
            let o = run(&["leaks", t.to_str().unwrap()]);
            assert!(!String::from_utf8(o.stdout).unwrap().contains("WARNING"));
        }
    }
}

#[test]
fn leaks_window_flag_and_all() {
    let t = root().join("testdata/fixtures/go1.27/leak.trace");
    let t = t.to_str().unwrap();
    let doc = json_of(&["leaks", "--json", "-w", "1ms", t]);
    assert_eq!(doc["window_ns"], 1_000_000);
    let span = ns(&doc["end_ns"]) - ns(&doc["start_ns"]);
    assert_eq!(doc["timeline"].as_array().unwrap().len() as i64, (span + 999_999) / 1_000_000);
    // --all adds the runtime's own blocked goroutines (sweeper, scavenger, ...).
    let all = json_of(&["leaks", "--json", "--all", t]);
    let n = |d: &Value| d["groups"].as_array().unwrap().iter().map(|g| ns(&g["count"])).sum::<i64>();
    assert_eq!(n(&all), n(&doc) + ns(&doc["system_blocked"]));
    assert!(ns(&doc["system_blocked"]) > 0);
    let bad = run(&["leaks", "-w", "soon", t]);
    assert_eq!(bad.status.code(), Some(2));
}

/// Causes the generator planted, seen through the goroutine breakdown on every
/// Go version: the 6 contendedLock goroutines lead by execution time and wait
/// mostly on the mutex (`sync`); the syscall workers carry the syscall time;
/// the 3 allocHeavy goroutines carry the GC mark assists.
#[test]
fn planted_causes_show_in_the_breakdown() {
    let sum = |gs: &Value, f: &dyn Fn(&Value) -> i64| gs.as_array().unwrap().iter().map(f).sum::<i64>();
    for ver in VERSIONS {
        let fx = |s: &str| root().join(format!("testdata/fixtures/{ver}/{s}.trace"));
        let doc = json_of(&["goroutines", "--json", fx("mutex").to_str().unwrap()]);
        let top = &doc["groups"][0];
        assert_eq!((top["name"].as_str().unwrap(), top["count"].as_i64().unwrap()), ("main.runMutex.func1.1", 6), "{ver}");
        let mut by_reason: BTreeMap<String, i64> = BTreeMap::new();
        for g in top["goroutines"].as_array().unwrap() {
            for (r, v) in g["block_ns"].as_object().unwrap() {
                *by_reason.entry(r.clone()).or_default() += ns(v);
            }
        }
        let worst = by_reason.iter().max_by_key(|(_, v)| **v).unwrap();
        assert_eq!(worst.0, "sync", "{ver}: {by_reason:?}");

        let doc = json_of(&["goroutines", "--json", fx("syscall").to_str().unwrap()]);
        // Goroutines that existed before the trace began have no start function
        // (group ""). In an old-format trace one may sit in a syscall for the
        // whole trace without running (go1.21: G17), which is not the planted cause.
        let most = doc["groups"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|g| g["name"] != "")
            .max_by_key(|g| sum(&g["goroutines"], &|x| ns(&x["syscall_ns"]) + ns(&x["syscall_block_ns"])))
            .unwrap();
        assert!(most["name"].as_str().unwrap().starts_with("main.runSyscall"), "{ver}: {}", most["name"]);
        assert!(sum(&most["goroutines"], &|x| ns(&x["syscall_ns"])) > 1_000_000, "{ver}");

        let doc = json_of(&["goroutines", "--json", "-g", "main.runGC.func1.1", fx("gc").to_str().unwrap()]);
        let g = &doc["groups"][0];
        assert_eq!(g["count"], 3, "{ver}");
        assert!(sum(&g["goroutines"], &|x| get_or_zero(&x["range_ns"], "GC mark assist")) > 0, "{ver}");
    }
}
