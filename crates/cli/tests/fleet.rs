//! `schedstat fleet` on real fixtures of several Go versions (the old format
//! included), a trace cut short, a file that is not a trace and one that only
//! looks like one: what lands in the Parquet dataset equals what the
//! single-trace commands say about each trace; reruns skip what is there; a
//! half-published trace is invisible and redone; --rank and --sql answer
//! across traces; bad input exits as documented.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

mod common;
use common::{fixture, Scratch};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schedstat")).args(args).output().unwrap()
}

fn json_of(args: &[&str]) -> Value {
    let o = run(args);
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Traces of three versions in two directories, a cut one, a broken one and a note.
fn inputs(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    let a = dir.join("hosts/a");
    let b = dir.join("hosts/b/nested");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let mut out = Vec::new();
    for (v, s, to) in [("go1.27", "storm", &a), ("go1.27", "gc", &a), ("go1.22", "mutex", &b), ("go1.21", "cpuhog", &b)] {
        let p = to.join(format!("{v}-{s}.trace"));
        std::fs::copy(fixture(v, s), &p).unwrap();
        out.push((p, "complete"));
    }
    let whole = std::fs::read(fixture("go1.27", "multigen")).unwrap();
    let cut = a.join("cut.trace");
    std::fs::write(&cut, &whole[..whole.len() * 7 / 10]).unwrap();
    out.push((cut, "cut"));
    let bad = b.join("bad.trace");
    std::fs::write(&bad, b"go 1.27 trace\0\0\0but nothing after").unwrap();
    out.push((bad, "unreadable"));
    std::fs::write(dir.join("hosts/README.txt"), "not a trace\n").unwrap();
    out
}

fn sql(dataset: &Path, q: &str) -> Vec<Value> {
    json_of(&["fleet", "--json", "--sql", q, dataset.to_str().unwrap()]).as_array().unwrap().clone()
}

#[test]
fn a_directory_of_traces_becomes_one_dataset_that_agrees_with_each_trace() {
    let scratch = Scratch::new("convert");
    let traces = inputs(&scratch.0);
    let dataset = scratch.0.join("dataset");
    let ds = dataset.to_str().unwrap();
    let hosts = scratch.0.join("hosts");

    let summary = json_of(&["fleet", "--json", "-j", "2", hosts.to_str().unwrap(), "-o", ds]);
    assert_eq!(summary["traces"], 6, "{summary}");
    assert_eq!((summary["added"].as_u64(), summary["cut"].as_u64(), summary["unreadable"].as_u64()), (Some(4), Some(1), Some(1)));
    assert!(summary["failed"].as_array().unwrap().is_empty(), "{summary}");
    assert!(!dataset.join(".staging").exists(), "staging left behind");

    // Per readable trace: its report's p99 and the share of its time goroutines spent blocked.
    let mut expected: Vec<(String, Option<f64>, f64)> = Vec::new();
    for (path, kind) in &traces {
        let p = path.to_str().unwrap();
        let rows = sql(&dataset, &format!("select complete, error, events, latency_count, p99_ns, procs, go_version from traces where file = '{p}'"));
        assert_eq!(rows.len(), 1, "{p}: {rows:?}");
        let row = &rows[0];
        match *kind {
            "unreadable" => {
                assert_eq!(row["complete"], false);
                assert!(row["error"].as_str().unwrap().contains("bad file format") || row["error"].as_str().unwrap().contains("trace"), "{row}");
                continue;
            }
            "cut" => {
                assert_eq!(row["complete"], false);
                assert!(row["error"].as_str().unwrap().contains("complete generations"), "{row}");
            }
            _ => {
                assert_eq!(row["complete"], true, "{p}");
                assert!(row["error"].is_null(), "{row}");
            }
        }
        // The single-trace report on the same file: same latency, same procs.
        let out = run(&["--json", p]);
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(row["latency_count"], report["latency"]["count"], "{p}");
        assert_eq!(row["p99_ns"].as_f64(), report["latency"]["p99_ns"].as_f64(), "{p}");
        assert_eq!(row["procs"], report["procs"], "{p}");
        assert_eq!(row["events"], report["events"], "{p}");
        let blocked = run(&["--json", "--sql", "select coalesce(sum(duration_ns), 0) as ns from g_transitions where from_state = 'waiting'", p]);
        let blocked: Value = serde_json::from_slice(&blocked.stdout).unwrap();
        let duration = report["trace_duration_ns"].as_f64().unwrap();
        expected.push((p.to_string(), report["latency"]["p99_ns"].as_f64(), blocked[0]["ns"].as_f64().unwrap() / duration));
        // Every transition of the trace is in the dataset, under its sha256.
        let ours = sql(&dataset, &format!(
            "select count(*) as n from g_transitions where trace = (select trace from traces where file = '{p}')"
        ));
        let single = run(&["--json", "--sql", "select count(*) as n from g_transitions", p]);
        let single: Value = serde_json::from_slice(&single.stdout).unwrap();
        assert_eq!(ours[0]["n"], single[0]["n"], "{p}");
        let version = row["go_version"].as_str().unwrap();
        assert!(version.starts_with("go 1."), "{p}: {version}");
    }

    // A rerun finds every trace there already.
    let again = json_of(&["fleet", "--json", hosts.to_str().unwrap(), "-o", ds]);
    assert_eq!((again["added"].as_u64(), again["skipped"].as_u64()), (Some(0), Some(6)), "{again}");

    // Ranking: the storm has by far the most goroutines runnable at once.
    let ranked = json_of(&["fleet", "--json", "--rank", "runnable", "-n", "2", ds]);
    let ranked = ranked.as_array().unwrap();
    assert_eq!(ranked.len(), 2);
    assert!(ranked[0]["file"].as_str().unwrap().ends_with("go1.27-storm.trace"), "{ranked:?}");
    assert!(ranked[0]["value"].as_f64().unwrap() > 1000.0, "{ranked:?}");
    assert!(ranked[0]["from_ms"].as_f64().unwrap() < ranked[0]["to_ms"].as_f64().unwrap());
    // GC: the gc scenario spends the largest share of its trace in GC.
    let gc = json_of(&["fleet", "--json", "--rank", "gc", "-n", "1", ds]);
    assert!(gc[0]["file"].as_str().unwrap().ends_with("go1.27-gc.trace"), "{gc}");
    let share = gc[0]["value"].as_f64().unwrap();
    assert!(share > 0.0 && share < 1.0, "{gc}");
    // p99 and blocked: every readable trace, highest first, each value the
    // single-trace figure, each range one window long.
    for (kind, figure) in [("p99", 1), ("blocked", 2)] {
        let ranked = json_of(&["fleet", "--json", "--rank", kind, "-n", "10", ds]);
        let ranked = ranked.as_array().unwrap();
        let mut want: Vec<(String, f64)> = expected
            .iter()
            .filter_map(|(f, p99, blocked)| Some((f.clone(), if figure == 1 { (*p99)? } else { *blocked })))
            .collect();
        want.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let got: Vec<&str> = ranked.iter().map(|r| r["file"].as_str().unwrap()).collect();
        let want_files: Vec<&str> = want.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(got, want_files, "{kind}");
        for (r, (_, v)) in ranked.iter().zip(&want) {
            let value = r["value"].as_f64().unwrap();
            assert!((value - v).abs() <= 1e-9 * v.abs().max(1.0), "{kind}: {r} vs {v}");
            assert_eq!(r["to_ms"].as_f64().unwrap() - r["from_ms"].as_f64().unwrap(), 100.0, "{kind}: {r}");
        }
        let out = run(&["fleet", "--rank", kind, ds]);
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("look at"), "{kind}");
    }
}

#[test]
fn a_half_published_trace_is_invisible_and_redone() {
    let scratch = Scratch::new("interrupted");
    let dir = scratch.0.join("in");
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("storm.trace");
    std::fs::copy(fixture("go1.27", "storm"), &trace).unwrap();
    let dataset = scratch.0.join("dataset");
    let ds = dataset.to_str().unwrap();
    json_of(&["fleet", "--json", trace.to_str().unwrap(), "-o", ds]);
    let sha = sql(&dataset, "select trace from traces")[0]["trace"].as_str().unwrap().to_string();
    // As if the run had died after publishing the tables but before the traces row.
    std::fs::remove_dir_all(dataset.join("traces").join(format!("trace={sha}"))).unwrap();
    std::fs::create_dir_all(dataset.join("traces")).unwrap();
    // The other trace keeps the traces table readable.
    let other = dir.join("mutex.trace");
    std::fs::copy(fixture("go1.27", "mutex"), &other).unwrap();
    json_of(&["fleet", "--json", other.to_str().unwrap(), "-o", ds]);
    let n = sql(&dataset, &format!("select count(*) as n from g_transitions where trace = '{sha}'"));
    assert_eq!(n[0]["n"], 0, "rows of an unpublished trace are visible");
    let again = json_of(&["fleet", "--json", dir.to_str().unwrap(), "-o", ds]);
    assert_eq!((again["added"].as_u64(), again["skipped"].as_u64()), (Some(1), Some(1)), "{again}");
    let n = sql(&dataset, &format!("select count(*) as n from g_transitions where trace = '{sha}'"));
    assert!(n[0]["n"].as_u64().unwrap() > 0);
}

#[test]
fn bad_input_gets_one_line_and_the_documented_exit_code() {
    let scratch = Scratch::new("bad");
    let empty = scratch.0.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = run(&["fleet", empty.to_str().unwrap(), "-o", scratch.0.join("ds").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no trace files found"), "{err}");

    let out = run(&["fleet", "--rank", "p99", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a fleet dataset"));

    let out = run(&["fleet", "--rank", "nonsense", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}
