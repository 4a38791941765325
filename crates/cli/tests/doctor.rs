//! `schedstat doctor` on the generator's fixtures, every version directory
//! (the old-format go1.19 and go1.21 included): each planted pattern's
//! scenario gets that finding first with the planted function in its
//! evidence; healthy scenarios get nothing above info; a finding's numbers
//! equal those of the command that shows them in detail (`leaks`,
//! `pprof sync`, `gc`, `--why`, `--bursts`, `goroutines`); thresholds, JSON
//! keys and exit codes behave as documented.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(version: &str, scenario: &str) -> String {
    root().join(format!("testdata/fixtures/{version}/{scenario}.trace")).display().to_string()
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schedstat")).args(args).output().unwrap()
}

fn json_of(args: &[&str]) -> Value {
    let o = run(args);
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn doctor(version: &str, scenario: &str) -> Value {
    json_of(&["doctor", "--json", &fixture(version, scenario)])
}

const VERSIONS: [&str; 8] = ["go1.19", "go1.21", "go1.22", "go1.23", "go1.24", "go1.25", "go1.26", "go1.27"];

/// Planted scenario → (expected first finding, functions one of which must be in its evidence).
const PLANTED: &[(&str, &str, &[&str])] = &[
    ("storm", "launch-burst", &["launchStorm"]),
    ("cpuhog", "p-hog", &["cpuHog"]),
    ("mutex", "lock-contention", &["contendedLock"]),
    ("contended", "lock-contention", &["pairLock"]),
    ("leak", "goroutine-leak", &["leakyWorker"]),
    ("gc", "gc-pressure", &["allocHeavy"]),
    ("regionsgc", "gc-pressure", &["allocHeavy"]),
    ("syscall", "syscall-bound", &["fileWriter", "fileReader", "urandomReader"]),
];

/// Scenarios with nothing wrong planted: nothing above info.
const HEALTHY: &[&str] = &["annotations", "cpuprofile", "multigen", "flight", "http", "lockfree"];

fn metric(f: &Value, k: &str) -> f64 {
    f["metrics"][k].as_f64().unwrap_or_else(|| panic!("metric {k} missing in {f}"))
}

fn finding<'a>(d: &'a Value, id: &str) -> &'a Value {
    d["findings"].as_array().unwrap().iter().find(|f| f["id"] == id).unwrap_or_else(|| panic!("no {id} in {d}"))
}

#[test]
fn planted_patterns_come_first_with_the_planted_function() {
    for v in VERSIONS {
        for (scenario, id, funcs) in PLANTED {
            let d = doctor(v, scenario);
            let first = &d["findings"][0];
            assert_eq!(first["id"], *id, "{v}/{scenario}: first finding {}", first);
            let text = format!("{}{}{}", first["verdict"], first["evidence"], first["stacks"]);
            assert!(funcs.iter().any(|f| text.contains(f)), "{v}/{scenario}: none of {funcs:?} in {text}");
            assert!(!first["advice"].as_array().unwrap().is_empty());
        }
    }
}

#[test]
fn healthy_scenarios_get_nothing_above_info() {
    for v in VERSIONS {
        for scenario in HEALTHY {
            if !Path::new(&fixture(v, scenario)).exists() {
                continue; // flight exists from Go 1.25 on
            }
            let d = doctor(v, scenario);
            for f in d["findings"].as_array().unwrap() {
                assert_eq!(f["severity"], "info", "{v}/{scenario}: {}", f);
            }
            assert_eq!(d["checks"].as_array().unwrap().len(), 9, "{v}/{scenario}: every pattern checked");
        }
    }
}

#[test]
fn leak_agrees_with_leaks() {
    for v in ["go1.19", "go1.22", "go1.27"] {
        let d = doctor(v, "leak");
        let f = finding(&d, "goroutine-leak");
        let l = json_of(&["leaks", "--json", &fixture(v, "leak")]);
        let g = &l["groups"][0];
        assert_eq!(metric(f, "goroutines"), g["count"].as_f64().unwrap(), "{v}");
        assert_eq!(metric(f, "median_wait_ns"), g["median_wait_ns"].as_f64().unwrap(), "{v}");
        assert_eq!(metric(f, "max_wait_ns"), g["max_wait_ns"].as_f64().unwrap(), "{v}");
        assert!(g["start_function"].as_str().unwrap().ends_with("leakyWorker"));
    }
}

#[test]
fn lock_contention_agrees_with_pprof_sync() {
    for v in ["go1.19", "go1.21", "go1.27"] {
        for scenario in ["mutex", "contended"] {
            let d = doctor(v, scenario);
            let f = finding(&d, "lock-contention");
            let p = json_of(&["pprof", "sync", "--json", &fixture(v, scenario)]);
            let blocked: Vec<String> = f["stacks"][0]["funcs"].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect();
            let stack = p["stacks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| {
                    let funcs: Vec<&str> = s["frames"].as_array().unwrap().iter().map(|fr| fr["func"].as_str().unwrap()).collect();
                    funcs == blocked
                })
                .unwrap_or_else(|| panic!("{v}/{scenario}: blocked stack not in pprof sync"));
            assert_eq!(metric(f, "delay_ns"), stack["delay_ns"].as_f64().unwrap(), "{v}/{scenario}");
            assert_eq!(metric(f, "contentions"), stack["count"].as_f64().unwrap(), "{v}/{scenario}");
            assert_eq!(metric(f, "sync_delay_ns"), p["total_delay_ns"].as_f64().unwrap(), "{v}/{scenario}");
        }
    }
}

#[test]
fn gc_pressure_agrees_with_gc() {
    for v in ["go1.19", "go1.25", "go1.27"] {
        let d = doctor(v, "gc");
        let f = finding(&d, "gc-pressure");
        let g = json_of(&["gc", "--json", &fixture(v, "gc")]);
        assert_eq!(metric(f, "gc_cycles"), g["gc_cycles"].as_f64().unwrap(), "{v}");
        assert_eq!(metric(f, "stw_ns"), g["stw_total_ns"].as_f64().unwrap(), "{v}");
        let assists: i64 = g["assists"].as_array().unwrap().iter().map(|a| a["total_ns"].as_i64().unwrap()).sum();
        assert_eq!(metric(f, "assist_ns"), assists as f64, "{v}");
        let marks: i64 = g["mark_phases"].as_array().unwrap().iter().map(|a| a["duration_ns"].as_i64().unwrap()).sum();
        assert_eq!(metric(f, "mark_ns"), marks as f64, "{v}");
    }
}

#[test]
fn p_hog_agrees_with_why() {
    for v in ["go1.19", "go1.22", "go1.27"] {
        let d = doctor(v, "cpuhog");
        let f = finding(&d, "p-hog");
        let r = json_of(&["--why=20", "--json", &fixture(v, "cpuhog")]);
        let g = metric(f, "goroutine") as i64;
        let holds: Vec<&Value> = r["why"].as_array().unwrap().iter().filter(|w| w["holder"]["g"].as_i64() == Some(g)).collect();
        assert!(holds.len() as f64 >= metric(f, "delays_held"), "{v}");
        let longest = holds.iter().map(|w| w["holder"]["overlap_ns"].as_i64().unwrap()).max().unwrap();
        assert_eq!(metric(f, "longest_hold_ns"), longest as f64, "{v}");
        assert!(holds.iter().any(|w| w["holder"]["funcs"].to_string().contains("cpuHog")), "{v}");
    }
}

#[test]
fn launch_burst_agrees_with_bursts() {
    for v in ["go1.19", "go1.27"] {
        let d = doctor(v, "storm");
        let f = finding(&d, "launch-burst");
        let r = json_of(&["--bursts", "--json", &fixture(v, "storm")]);
        let l = &r["launchers"][0];
        assert_eq!(metric(f, "goroutines"), l["goroutines"].as_f64().unwrap(), "{v}");
        assert_eq!(metric(f, "total_delay_ns"), l["total_ns"].as_f64().unwrap(), "{v}");
        assert_eq!(metric(f, "max_delay_ns"), l["max_ns"].as_f64().unwrap(), "{v}");
        assert!(l["funcs"].to_string().contains("launchStorm"));
    }
}

#[test]
fn syscall_bound_agrees_with_goroutines() {
    for v in ["go1.22", "go1.27"] {
        let d = doctor(v, "syscall");
        let f = finding(&d, "syscall-bound");
        assert_eq!(metric(f, "estimated"), 0.0);
        let g = json_of(&["goroutines", "--json", &fixture(v, "syscall")]);
        let (mut exec, mut sys) = (0i64, 0i64);
        for group in g["groups"].as_array().unwrap() {
            let name = group["name"].as_str().unwrap_or("");
            if name.starts_with("runtime.") || name.starts_with("runtime/trace.") {
                continue;
            }
            for gr in group["goroutines"].as_array().unwrap() {
                exec += gr["exec_ns"].as_i64().unwrap();
                sys += gr["syscall_ns"].as_i64().unwrap();
            }
        }
        assert_eq!(metric(f, "exec_ns"), exec as f64, "{v}");
        assert_eq!(metric(f, "syscall_ns"), sys as f64, "{v}");
        let p = json_of(&["pprof", "syscall", "--json", &fixture(v, "syscall")]);
        assert_eq!(metric(f, "profile_syscall_ns"), p["total_delay_ns"].as_f64().unwrap(), "{v}");
    }
}

#[test]
fn json_keys_are_stable() {
    let d = doctor("go1.27", "mutex");
    let keys: Vec<&String> = d.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["checks", "duration_ns", "end_ns", "findings", "procs", "start_ns", "thresholds", "trace"]);
    let f = &d["findings"][0];
    let keys: Vec<&String> = f.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["advice", "evidence", "id", "metrics", "ranges", "severity", "stacks", "title", "verdict"]);
    let keys: Vec<&String> = f["stacks"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["count", "funcs", "role", "total_ns"]);
    let keys: Vec<&String> = f["ranges"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["end_ns", "start_ns", "what"]);
    let keys: Vec<&String> = d["checks"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "note", "status"]);
    // Several traces: an array, one document each.
    let both = json_of(&["doctor", "--json", &fixture("go1.27", "leak"), &fixture("go1.27", "storm")]);
    assert_eq!(both.as_array().unwrap().len(), 2);
}

#[test]
fn thresholds_can_be_set_and_bad_ones_are_one_line_errors() {
    // Raising the leak threshold above the 37 planted goroutines clears it.
    let d = json_of(&["doctor", "--json", "--threshold", "goroutine-leak.min_goroutines=100", &fixture("go1.27", "leak")]);
    assert!(d["findings"].as_array().unwrap().iter().all(|f| f["id"] != "goroutine-leak"), "{d}");
    assert_eq!(d["thresholds"]["goroutine-leak.min_goroutines"], 100.0);
    // A pattern id alone sets its first threshold; percentages and durations parse.
    let d = json_of(&["doctor", "--json", "--threshold", "idle-ps=10%", "--threshold", "p-hog.min_hold=2ms", &fixture("go1.27", "cpuhog")]);
    assert_eq!(d["thresholds"]["idle-ps.min_share"], 0.1);
    assert_eq!(d["thresholds"]["p-hog.min_hold"], 2e6);
    for bad in ["nosuch=1", "p-hog.min_hold=fast", "p-hog", "goroutine-leak.min_goroutines=-1"] {
        let o = run(&["doctor", "--threshold", bad, &fixture("go1.27", "leak")]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{bad}: {err}");
        assert!(err.contains(bad), "{bad}: {err}");
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn text_fits_100_columns_and_says_what_was_checked() {
    for (v, s) in [("go1.27", "storm"), ("go1.27", "mutex"), ("go1.19", "leak"), ("go1.27", "multigen")] {
        let o = run(&["doctor", &fixture(v, s)]);
        assert!(o.status.success());
        let text = String::from_utf8(o.stdout).unwrap();
        for line in text.lines() {
            assert!(line.chars().count() <= 100, "{v}/{s}: {line}");
        }
        assert!(text.contains("Checked:"), "{text}");
    }
    let text = String::from_utf8(run(&["doctor", &fixture("go1.27", "multigen")]).stdout).unwrap();
    assert!(text.contains("No finding"), "{text}");
    for id in ["deadlock", "goroutine-leak", "p-hog", "launch-burst", "lock-contention", "gc-pressure", "cpu-saturation", "syscall-bound", "idle-ps"] {
        assert!(text.contains(id), "{id} not listed as checked");
    }
}

#[test]
fn exit_codes_and_help() {
    let o = run(&["doctor", "/nonexistent/trace.out"]);
    assert_eq!(o.status.code(), Some(2));
    let junk = std::env::temp_dir().join(format!("doctor-junk-{}.trace", std::process::id()));
    std::fs::write(&junk, b"not a trace at all").unwrap();
    let o = run(&["doctor", junk.to_str().unwrap()]);
    let _ = std::fs::remove_file(&junk);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1);
    let help = String::from_utf8(run(&["doctor", "--help"]).stdout).unwrap();
    assert!(help.contains("Examples:") && help.contains("--threshold") && help.contains("Exit codes"));
    let list = String::from_utf8(run(&["doctor", "--list"]).stdout).unwrap();
    assert!(list.contains("lock-contention.min_waiting"), "{list}");
}
