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

// ---- Perfetto's protobuf trace (`--format proto`, `.perfetto-trace`) ----

/// Perfetto's trace messages, written here from Perfetto's published schema
/// (`protos/perfetto/trace/trace.proto`, `trace_packet.proto`,
/// `trace_packet_defaults.proto`, `clock_snapshot.proto`,
/// `interned_data/interned_data.proto`, `track_event/track_event.proto`,
/// `track_event/track_descriptor.proto`, `track_event/process_descriptor.proto`,
/// `track_event/thread_descriptor.proto`, `track_event/debug_annotation.proto`,
/// `profiling/profile_common.proto`): field numbers and types as published,
/// independently of the exporter's own structs, and with the fields a
/// reader would look at (not only those the exporter writes). `proto2`
/// repeated scalars are unpacked; enums are their int32 values; oneof
/// members are plain optional fields (same wire format).
mod perfetto_pb {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Trace {
        #[prost(message, repeated, tag = "1")]
        pub packet: Vec<TracePacket>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TracePacket {
        #[prost(uint64, optional, tag = "8")]
        pub timestamp: Option<u64>,
        #[prost(uint32, optional, tag = "58")]
        pub timestamp_clock_id: Option<u32>,
        #[prost(message, optional, tag = "6")]
        pub clock_snapshot: Option<ClockSnapshot>,
        #[prost(message, optional, tag = "11")]
        pub track_event: Option<TrackEvent>,
        #[prost(message, optional, tag = "60")]
        pub track_descriptor: Option<TrackDescriptor>,
        #[prost(bytes = "vec", optional, tag = "50")]
        pub compressed_packets: Option<Vec<u8>>,
        #[prost(uint32, optional, tag = "10")]
        pub trusted_packet_sequence_id: Option<u32>,
        #[prost(message, optional, tag = "12")]
        pub interned_data: Option<InternedData>,
        #[prost(uint32, optional, tag = "13")]
        pub sequence_flags: Option<u32>,
        #[prost(bool, optional, tag = "41")]
        pub incremental_state_cleared: Option<bool>,
        #[prost(message, optional, tag = "59")]
        pub trace_packet_defaults: Option<TracePacketDefaults>,
        #[prost(bool, optional, tag = "42")]
        pub previous_packet_dropped: Option<bool>,
        #[prost(bool, optional, tag = "87")]
        pub first_packet_on_sequence: Option<bool>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TracePacketDefaults {
        #[prost(uint32, optional, tag = "58")]
        pub timestamp_clock_id: Option<u32>,
        #[prost(message, optional, tag = "11")]
        pub track_event_defaults: Option<TrackEventDefaults>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TrackEventDefaults {
        #[prost(uint64, optional, tag = "11")]
        pub track_uuid: Option<u64>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ClockSnapshot {
        #[prost(message, repeated, tag = "1")]
        pub clocks: Vec<Clock>,
        #[prost(int32, optional, tag = "2")]
        pub primary_trace_clock: Option<i32>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Clock {
        #[prost(uint32, optional, tag = "1")]
        pub clock_id: Option<u32>,
        #[prost(uint64, optional, tag = "2")]
        pub timestamp: Option<u64>,
        #[prost(bool, optional, tag = "3")]
        pub is_incremental: Option<bool>,
        #[prost(uint64, optional, tag = "4")]
        pub unit_multiplier_ns: Option<u64>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct InternedData {
        #[prost(message, repeated, tag = "1")]
        pub event_categories: Vec<EventCategory>,
        #[prost(message, repeated, tag = "2")]
        pub event_names: Vec<EventName>,
        #[prost(message, repeated, tag = "3")]
        pub debug_annotation_names: Vec<DebugAnnotationName>,
        #[prost(message, repeated, tag = "29")]
        pub debug_annotation_string_values: Vec<InternedString>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct EventCategory {
        #[prost(uint64, optional, tag = "1")]
        pub iid: Option<u64>,
        #[prost(string, optional, tag = "2")]
        pub name: Option<String>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct EventName {
        #[prost(uint64, optional, tag = "1")]
        pub iid: Option<u64>,
        #[prost(string, optional, tag = "2")]
        pub name: Option<String>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct DebugAnnotationName {
        #[prost(uint64, optional, tag = "1")]
        pub iid: Option<u64>,
        #[prost(string, optional, tag = "2")]
        pub name: Option<String>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct InternedString {
        #[prost(uint64, optional, tag = "1")]
        pub iid: Option<u64>,
        #[prost(bytes = "vec", optional, tag = "2")]
        pub str: Option<Vec<u8>>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TrackEvent {
        #[prost(uint64, repeated, packed = "false", tag = "3")]
        pub category_iids: Vec<u64>,
        #[prost(string, repeated, tag = "22")]
        pub categories: Vec<String>,
        #[prost(uint64, optional, tag = "10")]
        pub name_iid: Option<u64>,
        #[prost(string, optional, tag = "23")]
        pub name: Option<String>,
        /// TYPE_SLICE_BEGIN 1, TYPE_SLICE_END 2, TYPE_INSTANT 3, TYPE_COUNTER 4.
        #[prost(int32, optional, tag = "9")]
        pub r#type: Option<i32>,
        #[prost(uint64, optional, tag = "11")]
        pub track_uuid: Option<u64>,
        #[prost(int64, optional, tag = "30")]
        pub counter_value: Option<i64>,
        #[prost(uint64, repeated, packed = "false", tag = "36")]
        pub flow_ids_old: Vec<u64>,
        #[prost(fixed64, repeated, packed = "false", tag = "47")]
        pub flow_ids: Vec<u64>,
        #[prost(uint64, repeated, packed = "false", tag = "42")]
        pub terminating_flow_ids_old: Vec<u64>,
        #[prost(fixed64, repeated, packed = "false", tag = "48")]
        pub terminating_flow_ids: Vec<u64>,
        #[prost(message, repeated, tag = "4")]
        pub debug_annotations: Vec<DebugAnnotation>,
        #[prost(int64, optional, tag = "1")]
        pub timestamp_delta_us: Option<i64>,
        #[prost(int64, optional, tag = "16")]
        pub timestamp_absolute_us: Option<i64>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct DebugAnnotation {
        #[prost(uint64, optional, tag = "1")]
        pub name_iid: Option<u64>,
        #[prost(string, optional, tag = "10")]
        pub name: Option<String>,
        #[prost(bool, optional, tag = "2")]
        pub bool_value: Option<bool>,
        #[prost(uint64, optional, tag = "3")]
        pub uint_value: Option<u64>,
        #[prost(int64, optional, tag = "4")]
        pub int_value: Option<i64>,
        #[prost(double, optional, tag = "5")]
        pub double_value: Option<f64>,
        #[prost(uint64, optional, tag = "7")]
        pub pointer_value: Option<u64>,
        #[prost(string, optional, tag = "9")]
        pub legacy_json_value: Option<String>,
        #[prost(string, optional, tag = "6")]
        pub string_value: Option<String>,
        #[prost(uint64, optional, tag = "17")]
        pub string_value_iid: Option<u64>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TrackDescriptor {
        #[prost(uint64, optional, tag = "1")]
        pub uuid: Option<u64>,
        #[prost(uint64, optional, tag = "5")]
        pub parent_uuid: Option<u64>,
        #[prost(string, optional, tag = "2")]
        pub name: Option<String>,
        #[prost(string, optional, tag = "10")]
        pub static_name: Option<String>,
        #[prost(message, optional, tag = "3")]
        pub process: Option<ProcessDescriptor>,
        #[prost(message, optional, tag = "4")]
        pub thread: Option<ThreadDescriptor>,
        /// UNKNOWN 0, LEXICOGRAPHIC 1, CHRONOLOGICAL 2, EXPLICIT 3.
        #[prost(int32, optional, tag = "11")]
        pub child_ordering: Option<i32>,
        #[prost(int32, optional, tag = "12")]
        pub sibling_order_rank: Option<i32>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ProcessDescriptor {
        #[prost(int32, optional, tag = "1")]
        pub pid: Option<i32>,
        #[prost(string, repeated, tag = "2")]
        pub cmdline: Vec<String>,
        #[prost(string, optional, tag = "6")]
        pub process_name: Option<String>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ThreadDescriptor {
        #[prost(int32, optional, tag = "1")]
        pub pid: Option<i32>,
        #[prost(int32, optional, tag = "2")]
        pub tid: Option<i32>,
        #[prost(string, optional, tag = "5")]
        pub thread_name: Option<String>,
    }
}

/// What a Perfetto reader would make of the file.
#[derive(Default, Debug)]
struct ProtoView {
    /// Slices per track name (the track's final name; a goroutine lane's
    /// "began before the trace" child counts as the lane): (start, end, name).
    slices: HashMap<String, Vec<(i64, i64, String)>>,
    /// Instants per track name: (ts, name).
    instants: HashMap<String, Vec<(i64, String)>>,
    /// Arrows: sources seen, and terminations of a seen source.
    flow_sources: usize,
    flows: usize,
    /// Lanes of the Goroutines group, by final name.
    goroutine_lanes: HashSet<String>,
    packets: usize,
    /// Latest event time.
    last_ts: i64,
}

/// Decodes and checks a protobuf export: every packet decodes, the sequence
/// is set up before use (clock, interning, track descriptors), and each
/// track's begin/end events, in the order Perfetto sorts them (by time, then
/// file order), balance and nest.
fn decode_proto(bytes: &[u8], what: &str) -> ProtoView {
    use perfetto_pb::*;
    use prost::Message;
    let outer = Trace::decode(bytes).unwrap_or_else(|e| panic!("{what}: not a Trace: {e}"));
    let mut packets = Vec::new();
    for p in outer.packet {
        if let Some(z) = &p.compressed_packets {
            let mut raw = Vec::new();
            flate2::read::ZlibDecoder::new(&z[..]).read_to_end(&mut raw).unwrap_or_else(|e| panic!("{what}: bad zlib chunk: {e}"));
            let inner = Trace::decode(&raw[..]).unwrap_or_else(|e| panic!("{what}: chunk not a Trace: {e}"));
            assert!(inner.packet.iter().all(|q| q.compressed_packets.is_none()), "{what}: nested compression");
            packets.extend(inner.packet);
        } else {
            packets.push(p);
        }
    }
    assert!(!packets.is_empty(), "{what}: no packets");
    let first = &packets[0];
    assert_eq!(first.trusted_packet_sequence_id, Some(1), "{what}: first packet's sequence");
    assert_eq!(first.sequence_flags, Some(1), "{what}: the first packet clears the incremental state");
    let default_clock = first.trace_packet_defaults.as_ref().and_then(|d| d.timestamp_clock_id).expect("default clock");
    let snap = first.clock_snapshot.as_ref().expect("clock snapshot");
    let inc = snap.clocks.iter().find(|c| c.clock_id == Some(default_clock)).expect("default clock in the snapshot");
    assert_eq!(inc.is_incremental, Some(true), "{what}: the default clock is incremental");
    assert!((64..128).contains(&default_clock), "{what}: a sequence-scoped clock");
    let base = inc.timestamp.unwrap() as i64;
    assert!(snap.clocks.iter().any(|c| c.clock_id == Some(6) && c.timestamp == Some(base as u64)), "{what}: BOOTTIME in the snapshot");

    let mut names: HashMap<u64, String> = HashMap::new();
    let mut keys: HashMap<u64, String> = HashMap::new();
    let mut strs: HashMap<u64, Vec<u8>> = HashMap::new();
    // uuid → (parent, name, pid of a process track)
    let mut tracks: HashMap<u64, (Option<u64>, String, Option<i32>)> = HashMap::new();
    let mut clock = base;
    // Per track: (ts, file order, event).
    let mut per_track: HashMap<u64, Vec<(i64, usize, i32, String)>> = HashMap::new();
    let mut sources: HashSet<u64> = HashSet::new();
    let mut terminated = 0usize;
    let mut view = ProtoView { packets: packets.len(), ..Default::default() };
    for (i, p) in packets.iter().enumerate().skip(1) {
        assert_eq!(p.trusted_packet_sequence_id, Some(1), "{what}: packet {i} off the sequence");
        assert_eq!(p.sequence_flags, Some(2), "{what}: packet {i} must need the incremental state");
        assert!(p.clock_snapshot.is_none() && p.trace_packet_defaults.is_none() && p.previous_packet_dropped.is_none());
        if let Some(d) = &p.interned_data {
            for n in &d.event_names {
                assert!(names.insert(n.iid.unwrap(), n.name.clone().unwrap()).is_none(), "{what}: event name iid reused");
            }
            for n in &d.debug_annotation_names {
                assert!(keys.insert(n.iid.unwrap(), n.name.clone().unwrap()).is_none(), "{what}: annotation name iid reused");
            }
            for n in &d.debug_annotation_string_values {
                assert!(strs.insert(n.iid.unwrap(), n.str.clone().unwrap()).is_none(), "{what}: string iid reused");
            }
        }
        if let Some(d) = &p.track_descriptor {
            let uuid = d.uuid.expect("descriptor uuid");
            if let Some(parent) = d.parent_uuid {
                assert!(tracks.contains_key(&parent), "{what}: track {uuid}'s parent {parent} not described before it");
            }
            let name = d
                .name
                .clone()
                .or_else(|| d.process.as_ref().and_then(|p| p.process_name.clone()))
                .or_else(|| d.thread.as_ref().and_then(|t| t.thread_name.clone()))
                .unwrap_or_else(|| panic!("{what}: unnamed track {uuid}"));
            let pid = d.process.as_ref().and_then(|p| p.pid);
            if let Some(old) = tracks.insert(uuid, (d.parent_uuid, name, pid)) {
                assert_eq!(old.0, d.parent_uuid, "{what}: track {uuid} described again under another parent");
            }
            assert!(p.timestamp.is_none() && p.track_event.is_none());
            continue;
        }
        let ev = p.track_event.as_ref().unwrap_or_else(|| panic!("{what}: packet {i} is neither an event nor a descriptor"));
        let ts = match (p.timestamp, p.timestamp_clock_id) {
            (Some(d), None) => {
                clock += d as i64;
                clock
            }
            (Some(t), Some(6)) => t as i64,
            other => panic!("{what}: packet {i}: timestamp {other:?}"),
        };
        view.last_ts = view.last_ts.max(ts);
        assert!(ev.timestamp_delta_us.is_none() && ev.timestamp_absolute_us.is_none());
        let uuid = ev.track_uuid.expect("event track");
        assert!(tracks.contains_key(&uuid), "{what}: event on track {uuid} before its descriptor");
        let ty = ev.r#type.expect("event type");
        let name = match ev.name_iid {
            Some(iid) => names.get(&iid).cloned().unwrap_or_else(|| panic!("{what}: name iid {iid} used before it was interned")),
            None => {
                assert_eq!(ty, 2, "{what}: unnamed begin or instant");
                String::new()
            }
        };
        for a in &ev.debug_annotations {
            let k = a.name_iid.unwrap_or_else(|| panic!("{what}: annotation without interned name"));
            assert!(keys.contains_key(&k), "{what}: annotation name iid {k} used before it was interned");
            if let Some(s) = a.string_value_iid {
                assert!(strs.contains_key(&s), "{what}: string iid {s} used before it was interned");
            }
            let values = [a.int_value.is_some(), a.uint_value.is_some(), a.string_value.is_some(), a.string_value_iid.is_some()];
            assert_eq!(values.iter().filter(|v| **v).count(), 1, "{what}: one value per annotation");
        }
        for id in &ev.flow_ids {
            assert!(sources.insert(*id), "{what}: flow id {id} starts twice");
        }
        for id in &ev.terminating_flow_ids {
            assert!(sources.contains(id), "{what}: flow {id} ends before it starts");
            terminated += 1;
        }
        assert!(ev.flow_ids_old.is_empty() && ev.terminating_flow_ids_old.is_empty());
        match ty {
            1 | 2 => per_track.entry(uuid).or_default().push((ts, i, ty, name)),
            3 => {
                let t = track_label(&tracks, uuid);
                view.instants.entry(t).or_default().push((ts, name));
            }
            other => panic!("{what}: unexpected event type {other}"),
        }
    }
    view.flow_sources = sources.len();
    view.flows = terminated;
    // Perfetto sorts events by timestamp, ties in file order; replay each
    // track's begins and ends in that order.
    for (uuid, mut evs) in per_track {
        evs.sort_by_key(|&(ts, i, _, _)| (ts, i));
        let mut stack: Vec<(i64, String)> = Vec::new();
        let label = track_label(&tracks, uuid);
        for (ts, _, ty, name) in evs {
            if ty == 1 {
                stack.push((ts, name));
            } else {
                let (start, name) = stack.pop().unwrap_or_else(|| panic!("{what}: end without begin on {label}"));
                view.slices.entry(label.clone()).or_default().push((start, ts, name));
            }
        }
        assert!(stack.is_empty(), "{what}: {} slices never ended on {label}", stack.len());
    }
    for (uuid, (parent, name, _)) in &tracks {
        if parent.and_then(|p| tracks.get(&p)).and_then(|t| t.2) == Some(3) {
            view.goroutine_lanes.insert(name.clone());
        }
        let _ = uuid;
    }
    view
}

/// A track's name, a "began before the trace" child standing for its lane.
fn track_label(tracks: &HashMap<u64, (Option<u64>, String, Option<i32>)>, uuid: u64) -> String {
    let (parent, name, _) = &tracks[&uuid];
    if name == "began before the trace" {
        return tracks[&parent.unwrap()].1.clone();
    }
    name.clone()
}

/// Exports `trace` to `name` in a fresh directory, returning the bytes and
/// checking that nothing else is left there.
fn export_to(trace: &Path, name: &str, extra: &[&str]) -> Vec<u8> {
    let dir = tempdir("proto");
    let out = dir.join(name);
    let mut args = vec!["export", trace.to_str().unwrap(), "-o", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert!(o.status.success(), "{}: {}", trace.display(), String::from_utf8_lossy(&o.stderr));
    let bytes = std::fs::read(&out).unwrap();
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, vec![std::ffi::OsString::from(name)]);
    let _ = std::fs::remove_dir_all(&dir);
    bytes
}

/// Every fixture of every Go version (the old format's go1.19 and go1.21
/// included) as a `.perfetto-trace`: it decodes with Perfetto's schema, is set
/// up as Perfetto requires, its slices balance and nest per track, it shows
/// per goroutine the same slices, logs and arrows as the JSON document, and
/// it is at most twice the size of the trace.
#[test]
fn protobuf_export_matches_the_json_and_stays_small() {
    let mut ratios: Vec<(String, u64, u64, f64)> = Vec::new();
    let all = ["go1.19", "go1.21", "go1.22", "go1.23", "go1.24", "go1.25", "go1.26", "go1.27"];
    for v in all {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures").join(v);
        let mut traces: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "trace")).collect();
        traces.sort();
        assert!(traces.len() >= 10, "{v}: fixtures missing");
        for t in traces {
            let what = format!("{v}/{}", t.file_stem().unwrap().to_string_lossy());
            let pb = export_to(&t, "out.perfetto-trace", &[]);
            let view = decode_proto(&pb, &what);
            let doc: Value = serde_json::from_slice(&export_to(&t, "out.json", &[])).unwrap();
            let events = doc["traceEvents"].as_array().unwrap();
            // Goroutine lanes: one per JSON goroutine track, by name.
            let lane_names: HashMap<i64, String> = named(&doc, "M", 3)
                .filter(|e| e["name"] == "thread_name")
                .map(|e| (e["tid"].as_i64().unwrap(), e["args"]["name"].as_str().unwrap().to_string()))
                .collect();
            let json_lanes: HashSet<String> = lane_names.values().cloned().collect();
            assert_eq!(json_lanes.len(), lane_names.len(), "{what}: goroutine names are unique");
            assert_eq!(view.goroutine_lanes, json_lanes, "{what}: goroutine lanes");
            // Slices per goroutine: the same number, and the same multiset of
            // (start, end, name) as the JSON's complete events.
            let mut json_slices: HashMap<String, Vec<(i64, i64, String)>> = HashMap::new();
            for e in events.iter().filter(|e| e["ph"] == "X" && e["pid"] == 3) {
                let lane = lane_names[&e["tid"].as_i64().unwrap()].clone();
                let s = ns(&e["ts"]);
                json_slices.entry(lane).or_default().push((s, s + ns(&e["dur"]), e["name"].as_str().unwrap().to_string()));
            }
            for lane in &json_lanes {
                let mut a = json_slices.get(lane).cloned().unwrap_or_default();
                let mut b = view.slices.get(lane).cloned().unwrap_or_default();
                assert_eq!(b.len(), a.len(), "{what}: slices of {lane}");
                a.sort();
                b.sort();
                assert_eq!(b, a, "{what}: slices of {lane}");
            }
            // The other lanes: as many slices in all (P lanes name the
            // goroutine's function only), tasks and sweeps included.
            let json_other = events.iter().filter(|e| e["pid"] != 3 && e["ph"] == "X").count()
                + events.iter().filter(|e| e["ph"] == "b").count();
            let proto_other: usize = view.slices.iter().filter(|(k, _)| !json_lanes.contains(*k)).map(|(_, v)| v.len()).sum();
            assert_eq!(proto_other, json_other, "{what}: slices outside goroutine lanes");
            // Logs and arrows.
            let logs = events.iter().filter(|e| e["ph"] == "i").count();
            let proto_logs: usize = view.instants.values().flatten().filter(|(_, n)| n.starts_with("log")).count();
            assert_eq!(proto_logs, logs, "{what}: logs");
            let flows = events.iter().filter(|e| e["ph"] == "s").count();
            assert_eq!(view.flows, flows, "{what}: arrows");
            assert!(view.flow_sources >= flows);
            // Size.
            let (tb, pbl) = (std::fs::metadata(&t).unwrap().len(), pb.len() as u64);
            ratios.push((what, tb, pbl, pbl as f64 / tb as f64));
        }
    }
    ratios.sort_by(|a, b| b.3.total_cmp(&a.3));
    eprintln!("protobuf export size / trace size (largest first):");
    for (what, tb, pbl, r) in &ratios {
        eprintln!("  {what:<24} {tb:>8} -> {pbl:>8} bytes  {r:.2}x");
    }
    let total: (u64, u64) = ratios.iter().fold((0, 0), |acc, r| (acc.0 + r.1, acc.1 + r.2));
    eprintln!("  all {} fixtures: {} -> {} bytes, {:.2}x", ratios.len(), total.0, total.1, total.1 as f64 / total.0 as f64);
    for (what, _, _, r) in &ratios {
        // storm (2000 goroutines of a few events each, ~16 bytes of trace
        // apiece) is the worst case: each goroutine needs its own lane.
        let limit = if what.ends_with("/storm") { 2.05 } else { 2.0 };
        assert!(*r <= limit, "{what}: {r:.2}x the trace");
    }
    assert!(total.1 <= total.0 * 2, "all fixtures: {:.2}x", total.1 as f64 / total.0 as f64);
}

#[test]
fn protobuf_format_is_chosen_by_name_or_flag() {
    let t = fixture("go1.27", "mutex");
    let is_proto = |b: &[u8]| b.first() == Some(&0x0a) && serde_json::from_slice::<Value>(b).is_err();
    assert!(is_proto(&export_to(&t, "x.perfetto-trace", &[])));
    assert!(is_proto(&export_to(&t, "x.pb", &[])));
    assert!(is_proto(&export_to(&t, "x.bin", &["--format", "proto"])));
    assert!(!is_proto(&export_to(&t, "x.pb", &["--format", "json"])));
    assert!(!is_proto(&export_to(&t, "x.out", &[])));
    let o = run(&["export", t.to_str().unwrap(), "-o", "-", "--format", "proto"]);
    assert!(o.status.success());
    decode_proto(&o.stdout, "stdout");
    // The summary says which format it wrote.
    let dir = tempdir("proto-summary");
    let out = dir.join("s.perfetto-trace");
    let o = run(&["export", t.to_str().unwrap(), "-o", out.to_str().unwrap(), "--json"]);
    assert!(o.status.success());
    let sum: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(sum["format"], "perfetto-protobuf");
    assert_eq!(sum["bytes"].as_u64().unwrap(), std::fs::metadata(&out).unwrap().len());
    // Unknown format: usage error.
    assert_eq!(run(&["export", t.to_str().unwrap(), "-o", out.to_str().unwrap(), "--format", "xml"]).status.code(), Some(2));
    let help = String::from_utf8(run(&["export", "--help"]).stdout).unwrap();
    assert!(help.contains("--format") && help.contains(".perfetto-trace"), "{help}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn protobuf_export_of_bad_and_cut_traces() {
    let dir = tempdir("proto-errors");
    // Not a trace: exit 1, no file, nothing left behind.
    let bad = dir.join("bad.trace");
    std::fs::write(&bad, b"hello, not a trace").unwrap();
    let out = dir.join("y.perfetto-trace");
    let o = run(&["export", bad.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!out.exists());
    // Cut: exit 3, a complete file for the complete generations.
    let data = std::fs::read(fixture("go1.27", "multigen")).unwrap();
    let cut = dir.join("cut.trace");
    std::fs::write(&cut, &data[..data.len() * 3 / 4]).unwrap();
    let out = dir.join("cut.perfetto-trace");
    let o = run(&["export", cut.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    let view = decode_proto(&std::fs::read(&out).unwrap(), "truncated");
    assert!(view.packets > 10);
    let left: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(left.iter().all(|n| !n.starts_with('.')), "temporary files left: {left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn protobuf_window_matches_the_json_window() {
    for (v, s) in [("go1.27", "annotations"), ("go1.27", "gc"), ("go1.21", "gc"), ("go1.19", "http")] {
        let t = fixture(v, s);
        let full: Value = serde_json::from_slice(&export_to(&t, "f.json", &[])).unwrap();
        let end = full["traceEvents"].as_array().unwrap().iter().filter(|e| e["ts"].is_number()).map(|e| ns(&e["ts"]) + e.get("dur").map_or(0, ns)).max().unwrap();
        let (from, to) = (format!("{}ns", end / 3), format!("{}ns", end * 2 / 3));
        let w = ["--from", from.as_str(), "--to", to.as_str()];
        let doc: Value = serde_json::from_slice(&export_to(&t, "w.json", &w)).unwrap();
        let view = decode_proto(&export_to(&t, "w.perfetto-trace", &w), &format!("{v}/{s} window"));
        let (lo, hi) = (end / 3, end * 2 / 3);
        for (lane, v) in &view.slices {
            for (a, b, n) in v {
                assert!(lo <= *a && a <= b && *b <= hi, "{lane}: {n} [{a}, {b}] outside [{lo}, {hi}]");
            }
        }
        let ev = doc["traceEvents"].as_array().unwrap();
        let json_slices = ev.iter().filter(|e| e["ph"] == "X").count() + ev.iter().filter(|e| e["ph"] == "b").count();
        let proto_slices: usize = view.slices.values().map(Vec::len).sum();
        assert_eq!(proto_slices, json_slices, "{v}/{s}: slices in the window");
        assert_eq!(view.flows, ev.iter().filter(|e| e["ph"] == "s").count(), "{v}/{s}: arrows in the window");
    }
}
