//! Every command on old-format traces (Go 1.19 and 1.21, written by the
//! generator with those toolchains): each one runs to the end with exit 0 and
//! says what it says on new traces, `--sql` sees the same tables, and `diff`
//! compares an old trace with a new one of the same program.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const OLD_VERSIONS: [&str; 2] = ["go1.19", "go1.21"];

fn fixture(v: &str, s: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures").join(v).join(format!("{s}.trace"))
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schedstat")).args(args).output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(o.status.success(), "{args:?}: exit {:?}: {}", o.status.code(), String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&ok(args)).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

#[test]
fn every_command_reads_old_traces() {
    let tmp = std::env::temp_dir().join(format!("schedstat-old-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    for v in OLD_VERSIONS {
        let storm = fixture(v, "storm");
        let s = storm.to_str().unwrap();

        let stats = json(&["stats", "--json", s]);
        assert_eq!(stats["generations"], 1, "{v}: an old trace is one generation: {stats}");
        assert!(stats["events"].as_u64().unwrap() > 1000, "{v}: {stats}");

        let report = json(&["--json", "--why", "--bursts", "--by-creator", "--gc", "--top-waiters", "--timeseries", "--worst=5", s]);
        assert!(report["latency"]["count"].as_u64().unwrap() > 100, "{v}: {}", report["latency"]);
        for key in ["why", "bursts", "by_creator", "gc", "top_waiters", "timeseries", "worst"] {
            assert!(!report[key].is_null(), "{v}: --json lacks {key}");
        }
        let text = ok(&["--why=1", s]);
        assert!(text.contains("Scheduling Latency") && text.contains("Verdict"), "{v}: {text}");

        // The database: sqlprof's tables, with the old trace's transitions in them.
        let rows = ok(&["--sql", "select count(*) as n from g_transitions where to_state = 'running'", s]);
        let n: u64 = rows.lines().filter_map(|l| l.trim_matches(|c: char| !c.is_ascii_digit()).parse().ok()).next().unwrap();
        assert!(n > 100, "{v}: {rows}");

        let goroutines = json(&["goroutines", "--json", s]);
        assert!(goroutines.to_string().contains("main.stormWorker"), "{v}: the storm's goroutines are grouped by their start");
        for kind in ["net", "sync", "syscall", "sched"] {
            let out = tmp.join(format!("{v}.{kind}.pb.gz"));
            ok(&["pprof", kind, s, "-o", out.to_str().unwrap()]);
            assert!(std::fs::metadata(&out).unwrap().len() > 0);
        }
        let out = tmp.join(format!("{v}.json"));
        ok(&["export", "--perfetto", "-o", out.to_str().unwrap(), s]);
        let trace: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert!(trace["traceEvents"].as_array().unwrap().len() > 100, "{v}");
        ok(&["gc", s]);
        ok(&["leaks", s]);
        ok(&["dump", s]);

        let ann = fixture(v, "annotations");
        let a = ann.to_str().unwrap();
        let tasks = ok(&["tasks", a]);
        let regions = ok(&["regions", a]);
        assert!(!tasks.trim().is_empty() && !regions.trim().is_empty(), "{v}: tasks and regions exist since Go 1.11");
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

/// `--keep-db` keeps the old trace's database, and a later `--sql` answered
/// from it gives what the trace gave; a cut old trace is one line
/// saying the file ends early, exit 1, and no database left behind.
#[test]
fn keep_db_and_cut_old_traces() {
    let tmp = std::env::temp_dir().join(format!("schedstat-old-db-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let trace = tmp.join("storm.trace");
    std::fs::copy(fixture("go1.21", "storm"), &trace).unwrap();
    let t = trace.to_str().unwrap();
    let q = "select count(*) as n from g_transitions";
    let from_trace = ok(&["--sql", q, t]);
    ok(&["--keep-db", t]);
    let db = tmp.join("storm.trace.duckdb");
    assert!(db.is_file(), "--keep-db writes TRACE.duckdb");
    // Now answered from the kept database.
    assert_eq!(ok(&["--sql", q, t]), from_trace);

    let data = std::fs::read(&trace).unwrap();
    let cut = tmp.join("cut.trace");
    std::fs::write(&cut, &data[..data.len() / 2]).unwrap();
    let o = run(&["--keep-db", cut.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cut.trace") && err.contains("ends early") && err.contains("none of it was read"), "{err}");
    assert!(!tmp.join("cut.trace.duckdb").exists());
    let _ = std::fs::remove_dir_all(&tmp);
}

/// The same program traced by an old and a new Go: `diff` pairs their stacks.
#[test]
fn diff_compares_an_old_trace_with_a_new_one() {
    for v in OLD_VERSIONS {
        let (a, b) = (fixture(v, "lockfree"), fixture("go1.27", "contended"));
        let d = json(&["diff", "--json", "-n", "3", a.to_str().unwrap(), b.to_str().unwrap()]);
        let top = &d["blocking"][0];
        assert_eq!(top["reason"], "sync", "{v}: {top}");
        let funcs: Vec<&str> = top["funcs"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
        assert!(funcs.contains(&"main.pairLock"), "{v}: {funcs:?}");
        // And the other way round: an old contended trace against a new lock-free one.
        let (a, b) = (fixture("go1.27", "lockfree"), fixture(v, "contended"));
        let d = json(&["diff", "--json", "-n", "1", a.to_str().unwrap(), b.to_str().unwrap()]);
        assert_eq!(d["blocking"][0]["reason"], "sync", "{v}: {}", d["blocking"][0]);
    }
}
