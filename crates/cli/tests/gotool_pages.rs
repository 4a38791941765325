//! `schedstat tasks`, `regions` and `gc` against what Go 1.27.3's
//! `go tool trace` web pages show for the same fixtures (recorded by
//! scripts/gotool-pages-oracle.py under testdata/oracle/gotool), and against
//! the ground truth of the generator's `annotations` scenario.
//!
//! MMU values and window sizes are compared as exact f64/i64: Go's JSON
//! prints floats in shortest round-trip form, so parsing gives Go's bits.
//! Window sizes and histogram bucket bounds go through Go's amd64 `math.Exp`,
//! whose result depends on whether the CPU has FMA. The main oracle was
//! recorded on a CPU with FMA, a second one with GODEBUG=cpu.fma=off; the
//! tests tell schedstat which Go to imitate (SCHEDSTAT_GO_FMA=1 or 0), so they
//! pass on any CPU.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Every fixture directory. Go 1.19 and 1.21 write the old trace format, which
/// Go's reader converts; a converted trace has no GOMAXPROCS metric unless the
/// program changed GOMAXPROCS or ran a GC, and on such a trace Go's /mmu page
/// panics (index out of range in traceviewer's HandlePlot), so the old-format
/// annotations, http and mutex fixtures have no recorded MMU (`schedstat gc`
/// says "no data" there; see `old_format_traces_without_gomaxprocs_have_no_mmu`).
const VERSIONS: [&str; 8] = ["go1.19", "go1.21", "go1.22", "go1.23", "go1.24", "go1.25", "go1.26", "go1.27"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(ver: &str, scenario: &str) -> PathBuf {
    root().join("testdata/fixtures").join(ver).join(format!("{scenario}.trace"))
}

fn oracle(ver: &str, scenario: &str, view: &str) -> Option<Value> {
    oracle_in("", ver, scenario, view)
}

/// `sub`: "" for the oracle recorded as Go runs on a CPU with FMA, "nofma"
/// for the one recorded with GODEBUG=cpu.fma=off.
fn oracle_in(sub: &str, ver: &str, scenario: &str, view: &str) -> Option<Value> {
    let p = root().join("testdata/oracle/gotool").join(sub).join(ver).join(format!("{scenario}.{view}.json"));
    let s = std::fs::read_to_string(p).ok()?;
    Some(serde_json::from_str(&s).unwrap())
}

/// Runs schedstat imitating Go on a CPU with FMA (the machine the main oracle
/// was recorded on), whatever this CPU has.
fn run(args: &[&str]) -> Output {
    run_fma(args, "1")
}

fn run_fma(args: &[&str], fma: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schedstat")).env("SCHEDSTAT_GO_FMA", fma).args(args).output().unwrap()
}

fn json_of(args: &[&str]) -> Value {
    json_fma(args, "1")
}

fn json_fma(args: &[&str], fma: &str) -> Value {
    let o = run_fma(args, fma);
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn check_mmu(sub: &str, fma: &str) -> usize {
    let mut checked = 0;
    for ver in VERSIONS {
        for scenario in ["gc", "annotations", "mutex", "http", "regionsgc"] {
            let Some(want) = oracle_in(sub, ver, scenario, "mmu") else { continue };
            let trace = fixture(ver, scenario);
            for (set, flags) in [("default", "stw,background,assist"), ("all", "perproc,stw,background,assist,sweep")] {
                let w = &want[set];
                let windows: Vec<&String> = w["worst"].as_object().unwrap().keys().collect();
                let at = windows.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",");
                let got = json_fma(&["gc", "--json", "--mmu-flags", flags, "--worst-at", &at, trace.to_str().unwrap()], fma);
                let m = &got["mmu"];
                let ctx = format!("{ver} {scenario} {set}");
                assert_eq!(m["x_min"].as_i64(), w["x_min"].as_i64(), "{ctx}");
                assert_eq!(m["x_max"].as_i64(), w["x_max"].as_i64(), "{ctx}");
                let gc = m["curve"].as_array().unwrap();
                let wc = w["curve"].as_array().unwrap();
                assert_eq!(gc.len(), wc.len(), "{ctx}");
                for (a, b) in gc.iter().zip(wc) {
                    assert_eq!(a[0].as_f64(), b[0].as_f64(), "{ctx} window");
                    assert_eq!(a[1].as_f64(), b[1].as_f64(), "{ctx} MMU at window {}", b[0]);
                }
                for entry in m["worst"].as_array().unwrap() {
                    let key = entry["window_ns"].as_i64().unwrap().to_string();
                    let got: Vec<(i64, f64)> = entry["windows"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|x| (x["time"].as_i64().unwrap(), x["mu"].as_f64().unwrap()))
                        .collect();
                    let exp: Vec<(i64, f64)> = w["worst"][&key]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|x| (x["time"].as_i64().unwrap(), x["mu"].as_f64().unwrap()))
                        .collect();
                    assert_eq!(got, exp, "{ctx} worst windows of {key} ns");
                    checked += 1;
                }
            }
        }
    }
    checked
}

#[test]
fn mmu_equals_go_tool_trace() {
    let checked = check_mmu("", "1");
    assert!(checked >= 6 * 5 * 2 * 3 - 10, "only {checked} worst-window lists checked");
    assert!(check_mmu("nofma", "0") >= 16, "the GODEBUG=cpu.fma=off oracle");
}

fn hist(v: &Value) -> Vec<(i64, u64)> {
    v["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["min_ns"].as_i64().unwrap(), b["count"].as_u64().unwrap()))
        .collect()
}

fn ohist(v: &Value) -> Vec<(i64, u64)> {
    v.as_array().unwrap().iter().map(|b| (b[0].as_i64().unwrap(), b[1].as_u64().unwrap())).collect()
}

fn check_tasks(sub: &str, fma: &str) -> usize {
    let mut checked = 0;
    for ver in VERSIONS {
        for scenario in ["annotations", "http", "regionsgc"] {
            let Some(want) = oracle_in(sub, ver, scenario, "tasks") else { continue };
            let trace = fixture(ver, scenario);
            let got = json_fma(&["tasks", "--json", trace.to_str().unwrap()], fma);
            let ctx = format!("{ver} {scenario}");
            let gt = got["types"].as_array().unwrap();
            let wt = want["types"].as_array().unwrap();
            assert_eq!(gt.len(), wt.len(), "{ctx}");
            for (a, b) in gt.iter().zip(wt) {
                assert_eq!(a["type"], b["type"], "{ctx}");
                assert_eq!(a["count"], b["count"], "{ctx} {}", b["type"]);
                assert_eq!(hist(&a["histogram"]), ohist(&b["histogram"]), "{ctx} {}", b["type"]);
            }
            let start = got["trace_start_ns"].as_i64().unwrap();
            for (ty, tasks) in want["tasks"].as_object().unwrap() {
                for wtask in tasks.as_array().unwrap() {
                    let id = wtask["id"].as_u64().unwrap();
                    let g = json_fma(&["tasks", "--json", "--task", &id.to_string(), trace.to_str().unwrap()], fma);
                    assert_eq!(g["type"].as_str(), Some(ty.as_str()), "{ctx} task {id}");
                    assert_eq!(g["complete"], wtask["complete"], "{ctx} task {id}");
                    assert_eq!(g["duration_ns"], wtask["duration_ns"], "{ctx} task {id}");
                    assert_eq!(g["start_since_trace_ns"], wtask["start_since_trace_ns"], "{ctx} task {id}");
                    let ge: Vec<(i64, i64, String)> = g["events"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|e| {
                            (
                                e["time_ns"].as_i64().unwrap() - start,
                                e["goroutine"].as_i64().unwrap(),
                                e["what"].as_str().unwrap().to_string(),
                            )
                        })
                        .collect();
                    let we: Vec<(i64, i64, String)> = wtask["events"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|e| {
                            (
                                e["since_start_ns"].as_i64().unwrap(),
                                e["goroutine"].as_i64().unwrap(),
                                e["what"].as_str().unwrap().to_string(),
                            )
                        })
                        .collect();
                    assert_eq!(ge, we, "{ctx} task {id} events");
                    checked += 1;
                }
            }
        }
    }
    checked
}

#[test]
fn tasks_equal_go_tool_trace() {
    let checked = check_tasks("", "1");
    assert!(checked >= 6 * (28 + 12), "only {checked} tasks checked");
    assert!(check_tasks("nofma", "0") >= 40, "the GODEBUG=cpu.fma=off oracle");
}

type Row = (i64, u64, i64, Vec<(String, i64)>);

fn rows(list: &Value, field: &str, cols: &[String]) -> Vec<Row> {
    let mut v: Vec<Row> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let m = r[field].as_object().unwrap();
            (
                r["goroutine"].as_i64().unwrap(),
                r["task"].as_u64().unwrap(),
                r["total_ns"].as_i64().unwrap(),
                cols.iter().map(|c| (c.clone(), m.get(c).and_then(|x| x.as_i64()).unwrap_or(0))).collect(),
            )
        })
        .collect();
    v.sort();
    v
}

fn check_regions(sub: &str, fma: &str) -> usize {
    let mut checked = 0;
    for ver in VERSIONS {
        for scenario in ["annotations", "http", "regionsgc"] {
            let Some(want) = oracle_in(sub, ver, scenario, "regions") else { continue };
            let trace = fixture(ver, scenario);
            let got = json_fma(&["regions", "--json", trace.to_str().unwrap()], fma);
            let ctx = format!("{ver} {scenario}");
            let gg = got["groups"].as_array().unwrap();
            let wg = want["groups"].as_array().unwrap();
            assert_eq!(gg.len(), wg.len(), "{ctx}");
            for (a, b) in gg.iter().zip(wg) {
                for k in ["type", "func", "pc", "file", "line", "count"] {
                    assert_eq!(a[k], b[k], "{ctx} {} {k}", b["type"]);
                }
                assert_eq!(hist(&a["histogram"]), ohist(&b["histogram"]), "{ctx} {}", b["type"]);
                // Breakdown: Go's columns are the union over the group; a
                // region without a column has 0 there.
                let cols: Vec<String> = {
                    let mut c = BTreeMap::new();
                    for r in b["regions"].as_array().unwrap() {
                        for k in r["stats"].as_object().unwrap().keys() {
                            c.insert(k.clone(), ());
                        }
                    }
                    c.into_keys().collect()
                };
                for r in a["regions"].as_array().unwrap() {
                    for k in r["stats"].as_object().unwrap().keys() {
                        assert!(cols.contains(k), "{ctx} {}: column {k} not on Go's page", b["type"]);
                    }
                }
                assert_eq!(
                    rows(&a["regions"], "stats", &cols),
                    rows(&b["regions"], "stats", &cols),
                    "{ctx} {}",
                    b["type"]
                );
                // Special ranges: Go lists only regions with some range time.
                let rcols: Vec<String> = {
                    let mut c = BTreeMap::new();
                    for r in b["range_rows"].as_array().unwrap() {
                        for k in r["ranges"].as_object().unwrap().keys() {
                            c.insert(k.clone(), ());
                        }
                    }
                    c.into_keys().collect()
                };
                let with_ranges: Vec<Value> = a["regions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|r| r["ranges"].as_object().unwrap().values().any(|v| v.as_i64() != Some(0)))
                    .cloned()
                    .collect();
                assert_eq!(
                    rows(&Value::Array(with_ranges), "ranges", &rcols),
                    rows(&b["range_rows"], "ranges", &rcols),
                    "{ctx} {} special ranges",
                    b["type"]
                );
                checked += 1;
            }
        }
    }
    checked
}

#[test]
fn regions_equal_go_tool_trace() {
    let checked = check_regions("", "1");
    assert!(checked >= 6 * (5 + 3), "only {checked} region groups checked");
    assert!(check_regions("nofma", "0") >= 8, "the GODEBUG=cpu.fma=off oracle");
}

/// The annotations scenario makes known tasks, regions and logs
/// (testdata/generator/annotations.go); every Go version must report exactly those.
#[test]
fn annotations_ground_truth() {
    for ver in VERSIONS {
        let trace = fixture(ver, "annotations");
        let t = json_of(&["tasks", "--json", trace.to_str().unwrap()]);
        let types: BTreeMap<String, (u64, u64)> = t["types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["type"].as_str().unwrap().to_string(),
                    (x["count"].as_u64().unwrap(), x["complete"].as_u64().unwrap()),
                )
            })
            .collect();
        let want: BTreeMap<String, (u64, u64)> = [
            ("", (1, 0)),           // the background task (ID 0) holding the untasked log
            ("background", (1, 0)), // never ended
            ("batch", (1, 1)),
            ("handoff", (1, 1)),
            ("item", (24, 18)), // every 4th of 24 left open
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(types, want, "{ver}");
        // Every "item" is a child of "batch", and so is "handoff".
        let tasks = t["tasks"].as_array().unwrap();
        let batch = tasks.iter().find(|x| x["type"] == "batch").unwrap();
        let batch_id = batch["id"].as_u64().unwrap();
        let children = tasks.iter().filter(|x| x["parent"].as_u64() == Some(batch_id)).count();
        assert_eq!(children, 25, "{ver}");
        assert_eq!(batch["children"].as_array().unwrap().len(), 25, "{ver}");
        // `--task` on batch: its own events as Go lists them, plus the 25
        // children's begins and the 19 ends (18 items and handoff).
        let one = json_of(&["tasks", "--json", "--task", &batch_id.to_string(), trace.to_str().unwrap()]);
        let ce = one["child_events"].as_array().unwrap();
        assert_eq!(ce.iter().filter(|e| e["what"] != "task end").count(), 25, "{ver}");
        assert_eq!(ce.iter().filter(|e| e["what"] == "task end").count(), 19, "{ver}");
        let what: Vec<&str> = one["events"].as_array().unwrap().iter().map(|e| e["what"].as_str().unwrap()).collect();
        assert!(what[0].starts_with("task \"batch\""), "{ver}");
        assert_eq!(*what.last().unwrap(), "task end", "{ver}");
        assert_eq!(what.iter().filter(|w| **w == "region \"wait\" begin").count(), 28, "{ver}");
        // The handoff task ended on another goroutine than it began on.
        let handoff = tasks.iter().find(|x| x["type"] == "handoff").unwrap();
        assert_eq!(handoff["goroutines"].as_array().unwrap().len(), 2, "{ver}");
        let logs: BTreeMap<String, u64> = t["logs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| (x["category"].as_str().unwrap().to_string(), x["count"].as_u64().unwrap()))
            .collect();
        let want_logs: BTreeMap<String, u64> = [("", 1), ("config", 1), ("handoff", 1), ("job", 24), ("result", 24)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        assert_eq!(logs, want_logs, "{ver}");

        let r = json_of(&["regions", "--json", trace.to_str().unwrap()]);
        let mut regions: BTreeMap<String, u64> = BTreeMap::new();
        for g in r["groups"].as_array().unwrap() {
            *regions.entry(g["type"].as_str().unwrap().to_string()).or_insert(0) += g["count"].as_u64().unwrap();
        }
        let want_regions: BTreeMap<String, u64> =
            [("decode", 24), ("parse", 24), ("wait", 28), ("dispatch", 1), ("stuck", 1)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
        assert_eq!(regions, want_regions, "{ver}");
        // "stuck" is still open when tracing stops, blocked on a channel receive.
        let stuck = r["groups"].as_array().unwrap().iter().find(|g| g["type"] == "stuck").unwrap();
        let reg = &stuck["regions"][0];
        assert!(reg["end_ns"].is_null(), "{ver}");
        assert!(stuck["func"].as_str().unwrap().ends_with("annotatedStuck"), "{ver}");
        let blocked = stuck["breakdown_ns"]["Block time (chan receive)"].as_i64().unwrap();
        assert!(blocked * 10 > stuck["total_ns"].as_i64().unwrap() * 9, "{ver}: stuck mostly blocked");
        // "parse" only spins: nearly all execution.
        let parse = r["groups"].as_array().unwrap().iter().find(|g| g["type"] == "parse").unwrap();
        let exec = parse["breakdown_ns"]["Execution time"].as_i64().unwrap();
        assert!(exec * 2 > parse["total_ns"].as_i64().unwrap(), "{ver}: parse mostly executes");
    }
}

/// STW pauses and mark phases equal the ranges in Go's own `-d=parsed` dump.
#[test]
fn gc_ranges_equal_go_parsed_dump() {
    use std::io::Read;
    for ver in VERSIONS {
        let trace = fixture(ver, "gc");
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(trace.with_extension("parsed.gz")).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        let mut open: BTreeMap<String, (i64, String)> = BTreeMap::new();
        let mut stw: Vec<(i64, i64, String)> = Vec::new();
        let mut marks = 0;
        let mut assist_open: BTreeMap<String, i64> = BTreeMap::new();
        let mut assists: BTreeMap<i64, (u64, i64)> = BTreeMap::new();
        for line in text.lines() {
            let kind = if line.contains(" RangeBegin ") {
                "b"
            } else if line.contains(" RangeEnd ") {
                "e"
            } else {
                continue;
            };
            let time: i64 = line.split("Time=").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
            let name = line.split("Name=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
            let scope = line.split("Scope=").nth(1).unwrap().split(' ').next().unwrap().to_string();
            if let Some(reason) = name.strip_prefix("stop-the-world (").and_then(|r| r.strip_suffix(')')) {
                if kind == "b" {
                    open.insert(scope, (time, reason.to_string()));
                } else if let Some((s, r)) = open.remove(&scope) {
                    stw.push((s, time - s, r));
                }
            } else if name == "GC concurrent mark phase" && kind == "b" {
                marks += 1;
            } else if name == "GC mark assist" {
                if kind == "b" {
                    assist_open.insert(scope, time);
                } else if let Some(s) = assist_open.remove(&scope) {
                    let g: i64 = scope.trim_start_matches("Goroutine(").trim_end_matches(')').parse().unwrap();
                    let e = assists.entry(g).or_insert((0, 0));
                    e.0 += 1;
                    e.1 += time - s;
                }
            }
        }
        let got = json_of(&["gc", "--json", trace.to_str().unwrap()]);
        let ours: Vec<(i64, i64, String)> = got["stw"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["complete"] == true)
            .map(|p| {
                (
                    p["start_ns"].as_i64().unwrap(),
                    p["duration_ns"].as_i64().unwrap(),
                    p["reason"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert!(!stw.is_empty(), "{ver}");
        assert_eq!(ours, stw, "{ver}");
        let complete_marks = got["mark_phases"].as_array().unwrap().iter().filter(|m| m["complete"] == true).count();
        assert!(complete_marks <= marks && marks <= complete_marks + 1, "{ver}: {complete_marks} vs {marks}");
        // The gc scenario allocates from worker goroutines: some assist, and
        // per goroutine the count and total equal the dump's assist ranges.
        assert!(!assists.is_empty(), "{ver}");
        // Assists still running at the end count to the last event.
        let last_time: i64 = text
            .lines()
            .rev()
            .find_map(|l| l.split("Time=").nth(1))
            .map(|t| t.split(' ').next().unwrap().parse().unwrap())
            .unwrap();
        for (scope, s) in &assist_open {
            let g: i64 = scope.trim_start_matches("Goroutine(").trim_end_matches(')').parse().unwrap();
            let e = assists.entry(g).or_insert((0, 0));
            e.0 += 1;
            e.1 += last_time - s;
        }
        {
            let ours: BTreeMap<i64, (u64, i64)> = got["assists"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    (a["goroutine"].as_i64().unwrap(), (a["count"].as_u64().unwrap(), a["total_ns"].as_i64().unwrap()))
                })
                .collect();
            assert_eq!(ours, assists, "{ver}");
        }
    }
}

#[test]
fn bad_input_is_one_line_and_documented_exit_code() {
    let dir = std::env::temp_dir().join(format!("schedstat-gcann-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let junk = dir.join("junk.trace");
    std::fs::write(&junk, b"this is not a trace at all\n").unwrap();
    for cmd in ["tasks", "regions", "gc"] {
        let o = run(&[cmd, junk.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{cmd}");
        assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1, "{cmd}");
        assert!(o.stdout.is_empty(), "{cmd}");
        let o = run(&[cmd, dir.join("missing.trace").to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1, "{cmd}");
    }
    let ann = fixture("go1.27", "annotations");
    let o = run(&["tasks", "--task", "999999", ann.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1);
    let o = run(&["gc", "--mmu-flags", "stw,bogus", ann.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["gc", "--worst-at", "soon", ann.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn text_output_fits_100_columns() {
    let ann = fixture("go1.27", "annotations");
    let gc = fixture("go1.27", "gc");
    for args in [
        vec!["tasks", "--logs", ann.to_str().unwrap()],
        vec!["tasks", "--task", "1", ann.to_str().unwrap()],
        vec!["regions", ann.to_str().unwrap()],
        vec!["gc", gc.to_str().unwrap()],
        vec!["gc", "--mmu-flags", "perproc,stw,background,assist,sweep", gc.to_str().unwrap()],
    ] {
        let o = run(&args);
        assert!(o.status.success(), "{args:?}");
        let out = String::from_utf8(o.stdout).unwrap();
        assert!(!out.is_empty());
        for l in out.lines() {
            assert!(l.chars().count() <= 100, "{args:?}: {l}");
        }
    }
}

/// Go's /mmu books a background worker's P once more on every worker run
/// (label event + start transition, one release at stop), so on the gc
/// scenario its utilization sinks to 0 for good early in the trace; the
/// default model reproduces that (the test above checks it equals Go) and
/// says so. `--mmu-model fixed` must not get stuck, and must equal Go's model
/// whenever background workers are not counted.
#[test]
fn mmu_fixed_worker_model() {
    for ver in VERSIONS {
        let trace = fixture(ver, "gc");
        let t = trace.to_str().unwrap();
        let go = json_of(&["gc", "--json", t]);
        assert!(go["mmu"]["utilization_stuck_at_zero_ns"].is_i64(), "{ver}: Go's model is expected to get stuck");
        let fixed = json_of(&["gc", "--json", "--mmu-model", "fixed", t]);
        assert!(fixed["mmu"]["utilization_stuck_at_zero_ns"].is_null(), "{ver}");
        assert_eq!(fixed["mmu"]["model"], "fixed");
        // The whole-trace window: 1 - mean GC share, strictly between 0 and 1.
        let curve = fixed["mmu"]["curve"].as_array().unwrap();
        let last = curve.last().unwrap()[1].as_f64().unwrap();
        assert!(last > 0.0 && last < 1.0, "{ver}: {last}");
        for flags in ["stw", "stw,assist", "stw,assist,sweep,perproc"] {
            let a = json_of(&["gc", "--json", "--mmu-flags", flags, t]);
            let b = json_of(&["gc", "--json", "--mmu-flags", flags, "--mmu-model", "fixed", t]);
            assert_eq!(a["mmu"]["curve"], b["mmu"]["curve"], "{ver} {flags}");
            assert_eq!(a["mmu"]["worst"], b["mmu"]["worst"], "{ver} {flags}");
        }
    }
}

/// The fixed worker model's whole-trace utilization with only background
/// workers counted equals 1 − (time non-idle workers ran)/(GOMAXPROCS × span),
/// computed here straight from Go's `-d=parsed` dump of the fixture.
#[test]
fn mmu_fixed_model_matches_worker_time_from_go_dump() {
    use std::collections::HashMap;
    use std::io::Read;
    for ver in VERSIONS {
        let trace = fixture(ver, "gc");
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(trace.with_extension("parsed.gz")).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        let field = |l: &str, k: &str| -> Option<String> {
            let i = l.find(k)? + k.len();
            Some(l[i..].split(' ').next().unwrap().to_string())
        };
        let executing = |s: &str| s == "Running" || s == "Syscall";
        let (mut first, mut last, mut procs) = (None, 0i64, 0i64);
        let mut counts: HashMap<i64, bool> = HashMap::new();
        let mut since: HashMap<i64, i64> = HashMap::new();
        let mut total = 0i64;
        for l in text.lines() {
            let Some(t) = field(l, "Time=").and_then(|t| t.parse::<i64>().ok()) else { continue };
            last = t;
            if l.contains("/sched/gomaxprocs:threads") {
                first.get_or_insert(t);
                procs = l.split("Uint64(").nth(1).unwrap().split(')').next().unwrap().parse().unwrap();
            }
            if l.contains(" Label ") {
                let g: i64 = field(l, " G=").unwrap().parse().unwrap();
                let label = l.split("Label=\"").nth(1).unwrap().split('"').next().unwrap();
                let c = label.starts_with("GC ") && label != "GC (idle)";
                counts.insert(g, c);
                if c {
                    since.entry(g).or_insert(t);
                } else if let Some(s) = since.remove(&g) {
                    total += t - s;
                }
            } else if let Some(gs) = field(l, "GoID=") {
                let g: i64 = gs.parse().unwrap();
                let tr = l.split(&format!("GoID={g} ")).nth(1).unwrap().split(' ').next().unwrap();
                let (a, b) = tr.split_once("->").unwrap();
                if !executing(a) && executing(b) && counts.get(&g) == Some(&true) {
                    since.entry(g).or_insert(t);
                } else if executing(a) && !executing(b) {
                    if let Some(s) = since.remove(&g) {
                        total += t - s;
                    }
                }
            }
        }
        total += since.values().map(|s| last - s).sum::<i64>();
        let span = last - first.unwrap();
        let want = 1.0 - total as f64 / (procs * span) as f64;
        let got = json_of(&[
            "gc",
            "--json",
            "--mmu-flags",
            "background",
            "--mmu-model",
            "fixed",
            "--worst-at",
            &span.to_string(),
            trace.to_str().unwrap(),
        ]);
        let mu = got["mmu"]["worst"][0]["windows"][0]["mu"].as_f64().unwrap();
        assert!((mu - want).abs() < 1e-9, "{ver}: {mu} vs {want}");
    }
}

/// A trace cut short: exit code 3, one line on stderr, and the MMU over the
/// complete generations equals what go tool trace serves for the same bytes.
#[test]
fn truncated_trace_mmu_equals_go_and_exits_3() {
    let want = oracle("go1.27", "multigen.cut24000", "mmu").unwrap();
    let bytes = std::fs::read(fixture("go1.27", "multigen")).unwrap();
    let dir = std::env::temp_dir().join(format!("schedstat-gcann-cut-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cut = dir.join("cut.trace");
    std::fs::write(&cut, &bytes[..24000]).unwrap();
    let o = run(&["gc", "--json", cut.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1);
    let got: Value = serde_json::from_slice(&o.stdout).unwrap();
    let pts = |v: &Value| -> Vec<(f64, f64)> {
        v.as_array().unwrap().iter().map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap())).collect()
    };
    assert_eq!(pts(&got["mmu"]["curve"]), pts(&want["default"]["curve"]));
    assert_eq!(got["mmu"]["x_max"], want["default"]["x_max"]);
    for cmd in ["tasks", "regions"] {
        let o = run(&[cmd, cut.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(3), "{cmd}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The regionsgc scenario (testdata/generator/regionsgc.go): 12 "request"
/// tasks, each with regions alloc, write and sleep, under GC pressure, and a
/// task "spawn" whose region "spawner" starts two goroutines.
#[test]
fn regionsgc_ground_truth() {
    for ver in VERSIONS {
        let trace = fixture(ver, "regionsgc");
        let t = json_of(&["tasks", "--json", trace.to_str().unwrap()]);
        let types: Vec<(String, u64, u64)> = t["types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (x["type"].as_str().unwrap().into(), x["count"].as_u64().unwrap(), x["complete"].as_u64().unwrap())
            })
            .collect();
        let mut want = vec![("request".to_string(), 12, 12), ("spawn".to_string(), 1, 1)];
        if ver == "go1.19" || ver == "go1.21" {
            // On old-format traces Go's task pages also list a nameless task 0,
            // never ended, with every task as its child (recorded in
            // testdata/oracle/gotool/go1.19/regionsgc.tasks.json); so do we.
            want.insert(0, (String::new(), 1, 0));
        }
        assert_eq!(types, want, "{ver}");
        let r = json_of(&["regions", "--json", trace.to_str().unwrap()]);
        let groups = r["groups"].as_array().unwrap();
        let counts: Vec<(&str, u64)> =
            groups.iter().map(|g| (g["type"].as_str().unwrap(), g["count"].as_u64().unwrap())).collect();
        // Two goroutines created inside "spawner" inherit task "spawn": Go
        // lists each as a nameless region, located at the creator's entry.
        assert_eq!(counts, vec![("", 2), ("alloc", 12), ("sleep", 12), ("spawner", 1), ("write", 12)], "{ver}");
        let spawn_id = t["tasks"].as_array().unwrap().iter().find(|x| x["type"] == "spawn").unwrap()["id"].clone();
        for r in groups[0]["regions"].as_array().unwrap() {
            assert_eq!(r["task"], spawn_id, "{ver}");
            assert!(r["end_ns"].is_i64(), "{ver}: ends when the goroutine exits");
        }
        let group = |name: &str| groups.iter().find(|g| g["type"] == name).unwrap();
        // Allocation under GOGC=50 drafts the allocating goroutines into mark assists.
        let assisted = group("alloc")["regions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["ranges"]["GC mark assist"].as_i64().unwrap_or(0) > 0)
            .count();
        assert!(assisted > 0, "{ver}: no alloc region saw a mark assist");
        let sleep = group("sleep");
        let slept = sleep["breakdown_ns"]["Block time (sleep)"].as_i64().unwrap();
        assert!(slept >= 12 * 100_000, "{ver}: {slept}");
        let write = group("write");
        assert!(write["breakdown_ns"]["Syscall execution time"].as_i64().unwrap() > 0, "{ver}");
    }
}

/// Where Go's /mmu page cannot be recorded (old-format traces that never state
/// GOMAXPROCS, see VERSIONS), schedstat has no curve either, and says so.
#[test]
fn old_format_traces_without_gomaxprocs_have_no_mmu() {
    for ver in ["go1.19", "go1.21"] {
        for scenario in ["annotations", "http", "mutex"] {
            assert!(oracle(ver, scenario, "mmu").is_none(), "{ver} {scenario}: an MMU was recorded after all");
            let trace = fixture(ver, scenario);
            let doc = json_of(&["gc", "--json", trace.to_str().unwrap()]);
            let curve = doc["mmu"]["curve"].as_array();
            assert!(curve.is_none_or(|c| c.is_empty()), "{ver} {scenario}: {}", doc["mmu"]);
            let o = run(&["gc", trace.to_str().unwrap()]);
            let text = String::from_utf8_lossy(&o.stdout);
            assert!(text.contains("no data (no GOMAXPROCS in the trace)"), "{ver} {scenario}: {text}");
        }
    }
}
