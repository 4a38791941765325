//! `schedstat export --perfetto`: the document obeys the trace-event format's
//! rules (the ones Perfetto's JSON importer relies on), and shows what the
//! generator's scenarios planted.

use std::collections::{BTreeMap, HashMap, HashSet};
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

fn tempdir(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("schedstat-export-test-{}-{n}-{tag}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Exports a fixture and parses the document.
fn export(v: &str, s: &str) -> Value {
    let dir = tempdir(&format!("{v}-{s}"));
    let out = dir.join("out.json");
    let o = run(&["export", "--perfetto", fixture(v, s).to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{v} {s}: {}", String::from_utf8_lossy(&o.stderr));
    let doc: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    // Nothing left behind but the file itself.
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, vec![std::ffi::OsString::from("out.json")]);
    let _ = std::fs::remove_dir_all(&dir);
    doc
}

/// Go's own parse of the fixture (`go tool trace -d=parsed`, recorded by gen-fixtures.sh).
fn parsed(v: &str, s: &str) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(fixture(v, s).with_extension("parsed.gz")).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// Microseconds (exact decimals with up to 3 fraction digits) to integer ns.
fn ns(v: &Value) -> i64 {
    let f = v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    (f * 1000.0).round() as i64
}

/// A track: (pid, tid).
type Track = (i64, i64);
/// B/E events of a track: (ts, name, is begin).
type BeEvents = Vec<(i64, String, bool)>;
/// Flow ends: (ts, track) of the s and of the f events.
type FlowEnds = (Vec<(i64, Track)>, Vec<(i64, Track)>);

/// Every rule of the format this exporter relies on; panics naming the first broken one.
fn check_format(doc: &Value, what: &str) {
    assert!(doc["displayTimeUnit"] == "ns" || doc["displayTimeUnit"] == "ms", "{what}: displayTimeUnit");
    let events = doc["traceEvents"].as_array().unwrap_or_else(|| panic!("{what}: no traceEvents array"));
    assert!(!events.is_empty());
    let mut slices: HashMap<(i64, i64), Vec<(i64, i64)>> = HashMap::new();
    let mut be: HashMap<Track, BeEvents> = HashMap::new();
    let mut asyncs: HashMap<(String, String), Vec<(i64, char)>> = HashMap::new();
    let mut flows: HashMap<String, FlowEnds> = HashMap::new();
    let mut used: HashSet<(i64, i64)> = HashSet::new();
    let mut thread_names: HashSet<(i64, i64)> = HashSet::new();
    let mut process_names: HashSet<i64> = HashSet::new();
    let mut tid_pid: HashMap<i64, i64> = HashMap::new();
    for e in events {
        let ph = e["ph"].as_str().unwrap_or_else(|| panic!("{what}: event without ph: {e}"));
        let pid = e["pid"].as_i64().unwrap_or_else(|| panic!("{what}: no pid: {e}"));
        let tid = e["tid"].as_i64().unwrap_or_else(|| panic!("{what}: no tid: {e}"));
        assert!((1..1 << 31).contains(&pid), "{what}: pid out of range: {e}");
        assert!((0..1 << 31).contains(&tid), "{what}: tid out of 31 bits: {e}");
        assert!(e["name"].is_string(), "{what}: no name: {e}");
        if ph == "M" {
            assert!(e.get("ts").is_none(), "{what}: metadata with ts: {e}");
            let args = &e["args"];
            match e["name"].as_str().unwrap() {
                "process_name" => {
                    assert!(args["name"].is_string());
                    process_names.insert(pid);
                }
                "thread_name" => {
                    assert!(args["name"].is_string());
                    thread_names.insert((pid, tid));
                }
                "process_sort_index" | "thread_sort_index" => assert!(args["sort_index"].is_i64()),
                n => panic!("{what}: unknown metadata {n}"),
            }
            continue;
        }
        assert!(tid > 0, "{what}: tid 0 on a track event: {e}");
        assert!(e["ts"].is_number(), "{what}: no ts: {e}");
        let ts = ns(&e["ts"]);
        assert!(ts >= 0, "{what}: negative ts: {e}");
        let k = (pid, tid);
        used.insert(k);
        if let Some(p) = tid_pid.insert(tid, pid) {
            assert_eq!(p, pid, "{what}: tid {tid} used in two groups");
        }
        match ph {
            "X" => {
                let dur = ns(&e["dur"]);
                assert!(dur >= 0, "{what}: negative dur: {e}");
                slices.entry(k).or_default().push((ts, ts + dur));
            }
            "B" | "E" => be.entry(k).or_default().push((ts, e["name"].as_str().unwrap().into(), ph == "B")),
            "i" | "I" => assert!(matches!(e["s"].as_str(), Some("t" | "p" | "g")), "{what}: instant scope: {e}"),
            "b" | "e" => {
                let cat = e["cat"].as_str().unwrap_or_else(|| panic!("{what}: async without cat: {e}"));
                assert!(e["id"].is_number() || e["id"].is_string(), "{what}: async without id: {e}");
                asyncs.entry((cat.into(), e["id"].to_string())).or_default().push((ts, ph.chars().next().unwrap()));
            }
            "s" | "f" => {
                let f = flows.entry(e["id"].to_string()).or_default();
                if ph == "s" { f.0.push((ts, k)) } else { f.1.push((ts, k)) }
            }
            other => panic!("{what}: unexpected phase {other}"),
        }
    }
    // Slices on one track nest: sorted by start (longest first on ties), each
    // one lies inside the innermost open slice or after it.
    for (k, v) in &mut slices {
        v.sort_by_key(|&(s, e)| (s, std::cmp::Reverse(e)));
        let mut stack: Vec<i64> = Vec::new();
        for &(s, e) in v.iter() {
            while stack.last().is_some_and(|&end| end <= s) {
                stack.pop();
            }
            if let Some(&end) = stack.last() {
                assert!(e <= end, "{what}: slices overlap on {k:?}: [{s}, {e}] crosses the end {end}");
            }
            stack.push(e);
        }
    }
    // B/E: balanced and nested per track, in time order.
    for (k, v) in &be {
        let mut stack: Vec<&str> = Vec::new();
        let mut last = i64::MIN;
        for (ts, name, begin) in v {
            assert!(*ts >= last, "{what}: B/E out of order on {k:?}");
            last = *ts;
            if *begin {
                stack.push(name);
            } else {
                assert_eq!(stack.pop(), Some(name.as_str()), "{what}: unbalanced E on {k:?}");
            }
        }
        assert!(stack.is_empty(), "{what}: unclosed B on {k:?}");
    }
    // Async: one b then one e per (cat, id) at a time, e not before b.
    for (k, v) in &asyncs {
        let mut v = v.clone();
        v.sort_by_key(|&(ts, ph)| (ts, ph == 'e'));
        let mut depth = 0i64;
        for (_, ph) in v {
            depth += if ph == 'b' { 1 } else { -1 };
            assert!(depth >= 0, "{what}: async e before b for {k:?}");
        }
        assert_eq!(depth, 0, "{what}: async b without e for {k:?}");
    }
    // Flows: one s and one f per id; s lies on a slice of its track, f where a
    // slice of its track begins (Perfetto binds s to the enclosing slice and f
    // to the next slice).
    for (id, (s, f)) in &flows {
        assert_eq!((s.len(), f.len()), (1, 1), "{what}: flow {id} not paired");
        let ((sts, sk), (fts, fk)) = (s[0], f[0]);
        assert!(fts >= sts, "{what}: flow {id} goes back in time");
        let on = |k: &(i64, i64), ts: i64| slices.get(k).is_some_and(|v| v.iter().any(|&(a, b)| a <= ts && ts <= b));
        assert!(on(&sk, sts), "{what}: flow {id} starts outside any slice");
        assert!(slices.get(&fk).is_some_and(|v| v.iter().any(|&(a, _)| a == fts)), "{what}: flow {id} ends where no slice starts");
    }
    // Metadata names every group and track used.
    for k in &used {
        assert!(thread_names.contains(k), "{what}: track {k:?} has no thread_name");
        assert!(process_names.contains(&k.0), "{what}: group {} has no process_name", k.0);
    }
}

fn named<'a>(doc: &'a Value, ph: &'a str, pid: i64) -> impl Iterator<Item = &'a Value> + 'a {
    doc["traceEvents"].as_array().unwrap().iter().filter(move |e| e["ph"] == ph && e["pid"] == pid)
}

fn count_by_name(doc: &Value, ph: &str, cat: &str) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for e in doc["traceEvents"].as_array().unwrap().iter().filter(|e| e["ph"] == ph && e["cat"] == cat) {
        *m.entry(e["name"].as_str().unwrap().to_string()).or_default() += 1;
    }
    m
}

/// Distinct goroutines in Go's parse of the trace (state transitions name them).
fn goroutines_in_go_parse(text: &str) -> usize {
    let mut ids = HashSet::new();
    for line in text.lines().filter(|l| l.contains(" StateTransition ")) {
        if let Some(i) = line.find(" GoID=") {
            let rest = &line[i + " GoID=".len()..];
            ids.insert(rest[..rest.find(' ').unwrap()].to_string());
        }
    }
    ids.len()
}

#[test]
fn every_scenario_of_every_go_version_obeys_the_format() {
    for v in VERSIONS {
        let scenarios = ["storm", "cpuhog", "mutex", "syscall", "http", "gc", "annotations", "cpuprofile", "multigen", "leak", "flight", "lockfree", "contended"];
        for s in scenarios {
            if !fixture(v, s).exists() {
                assert!(s == "flight" && v < "go1.25", "{v}/{s} missing");
                continue;
            }
            let doc = export(v, s);
            check_format(&doc, &format!("{v}/{s}"));
            // One goroutine track per goroutine of the trace.
            let tracks = named(&doc, "M", 3).filter(|e| e["name"] == "thread_name").count();
            assert_eq!(tracks, goroutines_in_go_parse(&parsed(v, s)), "{v}/{s}: goroutine tracks");
            // One goroutine per P at a time, one state per goroutine at a
            // time, one activity per thread at a time: those never even nest.
            let mut lanes: HashMap<Track, Vec<(i64, i64)>> = HashMap::new();
            for e in doc["traceEvents"].as_array().unwrap() {
                let exclusive = (e["pid"] == 1 && e["cat"] == "running") || e["pid"] == 2 || e["cat"] == "state";
                if e["ph"] == "X" && exclusive {
                    let k = (e["pid"].as_i64().unwrap(), e["tid"].as_i64().unwrap());
                    lanes.entry(k).or_default().push((ns(&e["ts"]), ns(&e["ts"]) + ns(&e["dur"])));
                }
            }
            for (k, mut spans) in lanes {
                spans.sort_unstable();
                for w in spans.windows(2) {
                    assert!(w[1].0 >= w[0].1, "{v}/{s}: {k:?}: {:?} and {:?} overlap", w[0], w[1]);
                }
            }
            // Every P and thread has its track, and goroutines ran on them.
            assert!(named(&doc, "X", 1).any(|e| e["cat"] == "running"), "{v}/{s}: no P slices");
            assert!(named(&doc, "X", 2).count() > 0, "{v}/{s}: no thread slices");
        }
    }
}

#[test]
fn gc_scenario_shows_every_mark_phase_and_pause() {
    for v in VERSIONS {
        let doc = export(v, "gc");
        check_format(&doc, &format!("{v}/gc"));
        let text = parsed(v, "gc");
        let begun = |name: &str| {
            text.lines().filter(|l| (l.contains(" RangeBegin ") || l.contains(" RangeActive ")) && l.contains(name)).count()
        };
        let marks = begun("Name=\"GC concurrent mark phase\"");
        let stws = begun("Name=\"stop-the-world (");
        assert!(marks >= 3 && stws >= 6, "{v}: the scenario collects several times");
        let gc = count_by_name(&doc, "X", "gc");
        assert_eq!(gc.get("GC concurrent mark phase").copied().unwrap_or(0), marks, "{v}: mark phases");
        let pauses: usize = gc.iter().filter(|(n, _)| n.starts_with("stop-the-world (")).map(|(_, c)| c).sum();
        assert_eq!(pauses, stws, "{v}: STW pauses");
        // The reasons Go gives, on the STW lane of the Procs group.
        assert!(gc.contains_key("stop-the-world (GC mark termination)"), "{v}: {gc:?}");
        assert!(gc.contains_key("stop-the-world (GC sweep termination)"), "{v}: {gc:?}");
        let assists = text.lines().filter(|l| l.contains(" RangeBegin ") && l.contains("GC mark assist")).count();
        assert!(gc.get("GC mark assist").copied().unwrap_or(0) >= assists, "{v}: mark assists");
    }
}

#[test]
fn annotations_scenario_has_its_tasks_regions_and_logs() {
    for v in VERSIONS {
        let doc = export(v, "annotations");
        check_format(&doc, &format!("{v}/annotations"));
        let text = parsed(v, "annotations");
        // Tasks as the program made them (generator/annotations.go): one async
        // slice each, including those never ended (closed at the trace's end).
        let tasks = count_by_name(&doc, "b", "task");
        let want: BTreeMap<String, usize> =
            [("background", 1), ("batch", 1), ("handoff", 1), ("item", 24)].iter().map(|(k, n)| (k.to_string(), *n)).collect();
        assert_eq!(tasks, want, "{v}: tasks");
        assert_eq!(count_by_name(&doc, "e", "task"), want, "{v}: task ends");
        let regions = count_by_name(&doc, "X", "region");
        let want: BTreeMap<String, usize> = [("decode", 24), ("dispatch", 1), ("parse", 24), ("stuck", 1), ("wait", 28)]
            .iter()
            .map(|(k, n)| (k.to_string(), *n))
            .collect();
        assert_eq!(regions, want, "{v}: regions");
        // Every parse lies inside a decode on the same goroutine track.
        let ev = doc["traceEvents"].as_array().unwrap();
        let of = |n: &'static str| ev.iter().filter(move |e| e["cat"] == "region" && e["name"] == n);
        for p in of("parse") {
            let (s, e) = (ns(&p["ts"]), ns(&p["ts"]) + ns(&p["dur"]));
            assert!(of("decode").any(|d| d["tid"] == p["tid"] && ns(&d["ts"]) <= s && e <= ns(&d["ts"]) + ns(&d["dur"])));
        }
        // One instant per log, with its message.
        let logs = text.lines().filter(|l| l.contains(" Log ")).count();
        let got: Vec<&Value> = ev.iter().filter(|e| e["ph"] == "i" && e["cat"] == "log").collect();
        assert_eq!(got.len(), logs, "{v}: logs");
        assert!(got.iter().any(|e| e["args"]["message"] == "untasked log message"));
        assert!(got.iter().any(|e| e["args"]["message"] == "workers=4 jobs=24" && e["name"] == "log: config"));
    }
}

#[test]
fn storm_flows_join_creator_to_each_goroutine() {
    let doc = export("go1.27", "storm");
    check_format(&doc, "storm");
    let names: HashMap<i64, String> = named(&doc, "M", 3)
        .filter(|e| e["name"] == "thread_name")
        .map(|e| (e["tid"].as_i64().unwrap(), e["args"]["name"].as_str().unwrap().to_string()))
        .collect();
    let workers = names.values().filter(|n| n.ends_with(" main.stormWorker")).count();
    assert_eq!(workers, 2000, "one track per storm goroutine, named by its function");
    let launcher = names.iter().find(|(_, n)| n.ends_with(" main.main") || n.contains("main.runStorm")).map(|(t, _)| *t);
    let go_flows_from: Vec<i64> =
        doc["traceEvents"].as_array().unwrap().iter().filter(|e| e["ph"] == "s" && e["name"] == "go").map(|e| e["tid"].as_i64().unwrap()).collect();
    let from_launcher = go_flows_from.iter().filter(|t| Some(**t) == launcher).count();
    assert!(from_launcher >= 1990, "creation arrows start at the launching goroutine: {from_launcher}");
}

#[test]
fn stdout_json_summary_and_errors() {
    // -o - streams the same document to stdout.
    let t = fixture("go1.27", "mutex");
    let o = run(&["export", t.to_str().unwrap(), "-o", "-"]);
    assert!(o.status.success());
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    check_format(&doc, "stdout");

    let dir = tempdir("errors");
    let out = dir.join("x.json");
    let o = run(&["export", t.to_str().unwrap(), "-o", out.to_str().unwrap(), "--json"]);
    assert!(o.status.success());
    let sum: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(sum["bytes"].as_u64().unwrap(), std::fs::metadata(&out).unwrap().len());
    assert_eq!(sum["complete"], true);

    // Not a trace: exit 1, one line, no file.
    let bad = dir.join("bad.trace");
    std::fs::write(&bad, b"hello, not a trace").unwrap();
    let out2 = dir.join("y.json");
    let o = run(&["export", bad.to_str().unwrap(), "-o", out2.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1);
    assert!(!out2.exists());
    // Missing trace, or an output directory that does not exist: exit 2.
    let o = run(&["export", dir.join("none.trace").to_str().unwrap(), "-o", out2.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1);
    let o = run(&["export", t.to_str().unwrap(), "-o", dir.join("no/such/dir/z.json").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1);
    // No -o: usage error.
    assert_eq!(run(&["export", t.to_str().unwrap()]).status.code(), Some(2));

    // A truncated trace: exit 3, a complete document for the complete generations.
    let data = std::fs::read(fixture("go1.27", "multigen")).unwrap();
    let cut = dir.join("cut.trace");
    std::fs::write(&cut, &data[..data.len() * 3 / 4]).unwrap();
    let out3 = dir.join("cut.json");
    let o = run(&["export", cut.to_str().unwrap(), "-o", out3.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    let doc: Value = serde_json::from_slice(&std::fs::read(&out3).unwrap()).unwrap();
    check_format(&doc, "truncated");
    let left: HashSet<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(left.iter().all(|n| !n.starts_with('.')), "temporary files left: {left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn help_has_examples_and_exit_codes() {
    let o = run(&["export", "--help"]);
    assert!(o.status.success());
    let h = String::from_utf8(o.stdout).unwrap();
    assert!(h.contains("Examples:") && h.contains("Exit codes") && h.contains("--perfetto"));
}

#[test]
fn a_window_keeps_only_what_overlaps_it_and_still_obeys_the_format() {
    let full = export("go1.27", "annotations");
    let events = full["traceEvents"].as_array().unwrap();
    let end = events.iter().filter(|e| e["ts"].is_number()).map(|e| ns(&e["ts"]) + e.get("dur").map_or(0, ns)).max().unwrap();
    let (from, to) = (end / 4, end / 2);
    let dir = tempdir("window");
    let out = dir.join("w.json");
    let t = fixture("go1.27", "annotations");
    let arg = |ns: i64| format!("{ns}ns");
    let o = run(&["export", t.to_str().unwrap(), "-o", out.to_str().unwrap(), "--from", &arg(from), "--to", &arg(to)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    check_format(&doc, "window");
    let cut = doc["traceEvents"].as_array().unwrap();
    for e in cut.iter().filter(|e| e["ts"].is_number()) {
        let (s, d) = (ns(&e["ts"]), e.get("dur").map_or(0, ns));
        assert!(s >= from && s + d <= to, "outside the window: {e}");
    }
    // Every full-document slice overlapping the window is there, clipped.
    let overlapping = events
        .iter()
        .filter(|e| e["ph"] == "X" && ns(&e["ts"]) <= to && ns(&e["ts"]) + ns(&e["dur"]) >= from)
        .count();
    assert_eq!(cut.iter().filter(|e| e["ph"] == "X").count(), overlapping);
    assert!(overlapping > 0 && overlapping < events.iter().filter(|e| e["ph"] == "X").count());
    // --from after --to is a usage error.
    let o = run(&["export", t.to_str().unwrap(), "-o", out.to_str().unwrap(), "--from", "2s", "--to", "1s"]);
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn blocked_slices_say_where_and_arrows_say_why() {
    for v in VERSIONS {
        let doc = export(v, "contended");
        let ev = doc["traceEvents"].as_array().unwrap();
        // The planted contention: blocked (sync) in pairLock, with its stack.
        let at_lock = ev
            .iter()
            .filter(|e| e["ph"] == "X" && e["name"] == "blocked (sync)")
            .filter(|e| e["args"]["stack"].as_str().is_some_and(|s| s.starts_with("sync.(*Mutex).Lock") && s.contains("main.pairLock")))
            .count();
        assert!(at_lock > 10, "{v}: {at_lock}");
        // Woken goroutines get an arrow named after what they waited for.
        assert!(ev.iter().any(|e| e["ph"] == "s" && e["name"] == "unblock (sync)"), "{v}");
        // Running slices name their P.
        assert!(ev.iter().filter(|e| e["ph"] == "X" && e["name"] == "running").all(|e| e["args"]["p"].is_i64()), "{v}");
    }
}
