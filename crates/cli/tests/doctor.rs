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
    // Generated for go1.21, go1.22 and go1.27 (the others are skipped).
    ("deadlock", "deadlock", &["lockOrderA", "lockOrderB"]),
    ("chanbottleneck", "channel-bottleneck", &["resultSender"]),
    ("ctxswitch", "context-switching", &["ringStage"]),
    ("saturation", "cpu-saturation", &["cpuCruncher"]),
    ("lockedthread", "idle-ps", &["lockedPonger"]),
];

/// Scenarios with nothing wrong planted: nothing above info.
const HEALTHY: &[&str] =
    &["annotations", "cpuprofile", "multigen", "flight", "http", "lockfree", "idleserver", "workerpool", "cpubatch"];

/// The scenarios added for the doctor exist for these versions only.
const NEW_SCENARIO_VERSIONS: [&str; 3] = ["go1.21", "go1.22", "go1.27"];

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
            if !Path::new(&fixture(v, scenario)).exists() {
                assert!(!NEW_SCENARIO_VERSIONS.contains(&v), "{v}/{scenario} missing");
                continue;
            }
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
                continue; // flight exists from Go 1.25 on; the doctor's own scenarios on three versions
            }
            let d = doctor(v, scenario);
            for f in d["findings"].as_array().unwrap() {
                assert_eq!(f["severity"], "info", "{v}/{scenario}: {}", f);
            }
            assert_eq!(d["checks"].as_array().unwrap().len(), 11, "{v}/{scenario}: every pattern checked");
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
    for (v, s) in [("go1.27", "storm"), ("go1.27", "mutex"), ("go1.19", "leak"), ("go1.27", "multigen"), ("go1.27", "chanbottleneck"), ("go1.21", "ctxswitch")] {
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
    for id in [
        "deadlock",
        "goroutine-leak",
        "p-hog",
        "launch-burst",
        "lock-contention",
        "channel-bottleneck",
        "gc-pressure",
        "context-switching",
        "cpu-saturation",
        "syscall-bound",
        "idle-ps",
    ] {
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

fn funcs_of(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect()
}

/// The pprof sync stack whose functions are `funcs`.
fn sync_stack<'a>(p: &'a Value, funcs: &[String]) -> &'a Value {
    p["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            let f: Vec<&str> = s["frames"].as_array().unwrap().iter().map(|fr| fr["func"].as_str().unwrap()).collect();
            f == funcs
        })
        .unwrap_or_else(|| panic!("{funcs:?} not in pprof sync"))
}

#[test]
fn channel_bottleneck_agrees_with_pprof_sync() {
    for v in NEW_SCENARIO_VERSIONS {
        let t = fixture(v, "chanbottleneck");
        let d = doctor(v, "chanbottleneck");
        let f = finding(&d, "channel-bottleneck");
        let blocked = funcs_of(&f["stacks"][0]["funcs"]);
        assert!(blocked.iter().any(|x| x == "runtime.chansend1"), "{v}: {blocked:?}");
        let p = json_of(&["pprof", "sync", "--json", &t]);
        let stack = sync_stack(&p, &blocked);
        assert_eq!(metric(f, "delay_ns"), stack["delay_ns"].as_f64().unwrap(), "{v}");
        assert_eq!(metric(f, "contentions"), stack["count"].as_f64().unwrap(), "{v}");
        assert_eq!(metric(f, "sync_delay_ns"), p["total_delay_ns"].as_f64().unwrap(), "{v}");
        // The SQL's completed waits are the profile's intervals.
        assert_eq!(metric(f, "waits"), metric(f, "contentions"), "{v}");
        // 8 senders; the other side is the one slowCollector.
        assert_eq!(metric(f, "goroutines"), 8.0, "{v}");
        assert_eq!(metric(f, "other_side_goroutines"), 1.0, "{v}");
        assert!(f["stacks"][1]["funcs"].to_string().contains("slowCollector"), "{v}: {}", f["stacks"][1]);
        let span = d["duration_ns"].as_f64().unwrap();
        assert!((metric(f, "avg_waiting") - metric(f, "blocked_ns") / span).abs() < 1e-9, "{v}");
        // Ranges are inside the trace.
        for r in f["ranges"].as_array().unwrap() {
            assert!(r["start_ns"].as_i64() >= d["start_ns"].as_i64() && r["end_ns"].as_i64() <= d["end_ns"].as_i64(), "{v}: {r}");
        }
    }
    // Raising the goroutine threshold above the 8 senders clears it.
    let d = json_of(&["doctor", "--json", "--threshold", "channel-bottleneck.min_goroutines=9", &fixture("go1.27", "chanbottleneck")]);
    assert!(d["findings"].as_array().unwrap().iter().all(|f| f["id"] != "channel-bottleneck"), "{d}");
}

#[test]
fn context_switching_agrees_with_goroutines() {
    for v in NEW_SCENARIO_VERSIONS {
        let t = fixture(v, "ctxswitch");
        let d = doctor(v, "ctxswitch");
        let f = finding(&d, "context-switching");
        assert!(metric(f, "median_slice_ns") <= d["thresholds"]["context-switching.max_median_slice"].as_f64().unwrap());
        let span_s = d["duration_ns"].as_f64().unwrap() / 1e9;
        let per_p = metric(f, "handoffs") / span_s / d["procs"].as_f64().unwrap();
        assert!((per_p - metric(f, "handoffs_per_s_per_p")).abs() < 1e-6, "{v}");
        // 4 ringStage goroutines, 12 000 hops: at least that many handoffs among them.
        assert_eq!(metric(f, "top_group_goroutines"), 4.0, "{v}");
        assert!(metric(f, "top_group_handoffs") >= 11_000.0, "{v}: {}", metric(f, "top_group_handoffs"));
        // The group's execution time is `schedstat goroutines`' for it.
        let g = json_of(&["goroutines", "--json", &t]);
        let group = g["groups"].as_array().unwrap().iter().find(|x| x["name"] == "main.ringStage").expect("ringStage group");
        let exec: i64 = group["goroutines"].as_array().unwrap().iter().map(|x| x["exec_ns"].as_i64().unwrap()).sum();
        assert_eq!(metric(f, "top_group_exec_ns"), exec as f64, "{v}");
        // The run slices counted are those the database has.
        let q = json_of(&[
            "--json",
            "--sql",
            "select count(*) as n from g_transitions t join goroutines g using (g) \
             where g.name = 'main.ringStage' and t.from_state = 'running' and t.to_state = 'waiting'",
            &t,
        ]);
        assert_eq!(metric(f, "top_group_handoffs"), q[0]["n"].as_f64().unwrap(), "{v}");
    }
    let d = json_of(&["doctor", "--json", "--threshold", "context-switching.max_median_slice=100ns", &fixture("go1.27", "ctxswitch")]);
    assert!(d["findings"].as_array().unwrap().iter().all(|f| f["id"] != "context-switching"), "{d}");
}

#[test]
fn deadlock_names_the_lock_cycle() {
    for v in NEW_SCENARIO_VERSIONS {
        let t = fixture(v, "deadlock");
        let d = doctor(v, "deadlock");
        let f = finding(&d, "deadlock");
        assert_eq!(f["severity"], "critical");
        // lockOrderA, lockOrderB and the 4 lockWaiters, as `leaks` counts them.
        assert_eq!(metric(f, "lock_blocked"), 6.0, "{v}");
        let l = json_of(&["leaks", "--json", &t]);
        assert_eq!(metric(f, "app_blocked_at_end"), l["app_blocked_at_end"].as_f64().unwrap(), "{v}");
        let text = f["stacks"].to_string();
        assert!(text.contains("lockOrderA") && text.contains("lockOrderB") && text.contains("lockWaiter"), "{v}: {text}");
    }
}

#[test]
fn cpu_saturation_names_the_busy_group() {
    for v in NEW_SCENARIO_VERSIONS {
        let d = doctor(v, "saturation");
        let f = finding(&d, "cpu-saturation");
        assert_eq!(f["severity"], "warning", "{v}");
        assert!(metric(f, "runnable_per_p") >= 4.0, "{v}");
        assert!(f["evidence"].to_string().contains("cpuCruncher (24 goroutines"), "{v}: {}", f["evidence"]);
    }
}

#[test]
fn lock_contention_ranges_are_where_waits_crowd() {
    for v in ["go1.21", "go1.27"] {
        let d = doctor(v, "mutex");
        let f = finding(&d, "lock-contention");
        let (s, e) = (d["start_ns"].as_i64().unwrap(), d["end_ns"].as_i64().unwrap());
        let ranges = f["ranges"].as_array().unwrap();
        assert!(!ranges.is_empty() && ranges.len() <= 3, "{v}");
        let covered: i64 = ranges.iter().map(|r| r["end_ns"].as_i64().unwrap() - r["start_ns"].as_i64().unwrap()).sum();
        assert!(covered < e - s, "{v}: ranges cover the whole trace");
        for r in ranges {
            assert!(r["start_ns"].as_i64().unwrap() >= s && r["end_ns"].as_i64().unwrap() <= e, "{v}: {r}");
        }
        // contendedLock's 6 goroutines: no window averages more waiting than them.
        for r in ranges {
            let what = r["what"].as_str().unwrap();
            let avg: f64 = what.rsplit(": ").next().unwrap().split(' ').next().unwrap().parse().unwrap();
            assert!(avg <= 6.0, "{v}: {what}");
        }
    }
}

#[test]
fn idle_ps_names_who_waited() {
    for v in NEW_SCENARIO_VERSIONS {
        let d = doctor(v, "lockedthread");
        let f = finding(&d, "idle-ps");
        assert!(metric(f, "share") >= 0.25, "{v}");
        let s = &f["stacks"][0];
        assert_eq!(s["funcs"][0], "main.lockedPonger", "{v}: {s}");
        assert_eq!(s["count"], 3, "{v}: the 3 locked goroutines");
        // Each wait counted is one of the goroutines' runnable stretches in the database.
        let q = json_of(&[
            "--json",
            "--sql",
            "select count(*) as n from g_transitions t join goroutines g using (g) \
             where g.name = 'main.lockedPonger' and t.from_state = 'runnable' and t.duration_ns > 0",
            &fixture(v, "lockedthread"),
        ]);
        let waits: f64 = f["evidence"][1].as_str().unwrap().split(" waits").next().unwrap().rsplit(' ').next().unwrap().parse().unwrap();
        assert!(waits <= q[0]["n"].as_f64().unwrap() && waits > 0.0, "{v}: {waits}");
    }
}

#[test]
fn old_format_syscall_time_is_marked_estimated() {
    for v in ["go1.19", "go1.21"] {
        let d = doctor(v, "syscall");
        let f = finding(&d, "syscall-bound");
        assert_eq!(metric(f, "estimated"), 1.0, "{v}");
        assert_eq!(f["severity"], "info", "{v}");
        assert!(f["evidence"][0].as_str().unwrap().starts_with("application goroutines: about"), "{v}");
        assert!(f["evidence"][0].as_str().unwrap().contains("estimated"), "{v}");
    }
}
