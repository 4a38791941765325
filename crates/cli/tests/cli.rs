//! The `schedstat` binary as a user runs it: output, errors and exit codes.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::Scratch;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_schedstat"))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures")
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn gunzip(path: &Path) -> Vec<u8> {
    let mut v = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()).read_to_end(&mut v).unwrap();
    v
}

#[test]
fn dump_prints_what_go_tool_trace_prints() {
    for ver in ["go1.22", "go1.25", "go1.27"] {
        let t = fixtures().join(ver).join("annotations.trace");
        let o = run(&["dump", t.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(o.stdout, gunzip(&t.with_extension("parsed.gz")), "{ver}");
        assert!(o.stderr.is_empty());
    }
}

#[test]
fn stats_counts_every_event_by_kind() {
    let t = fixtures().join("go1.27/mutex.trace");
    let o = run(&["stats", "--json", t.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // Recount from Go's own dump: one event per line that starts with "M=".
    let golden = gunzip(&t.with_extension("parsed.gz"));
    let golden = String::from_utf8(golden).unwrap();
    let mut want = std::collections::BTreeMap::<String, u64>::new();
    for line in golden.lines().filter(|l| l.starts_with("M=")) {
        let kind = line.split_whitespace().nth(3).unwrap();
        *want.entry(kind.to_string()).or_default() += 1;
    }
    let kinds = doc["kinds"].as_object().unwrap();
    let got: std::collections::BTreeMap<String, u64> =
        kinds.iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap())).collect();
    assert_eq!(got, want);
    assert_eq!(doc["events"].as_u64().unwrap(), want.values().sum::<u64>());
    assert_eq!(doc["format_version"], "go1.26");
    assert_eq!(doc["complete"], true);
    let syncs = want["Sync"];
    assert_eq!(doc["generations"].as_u64().unwrap(), syncs - 1);
    assert!(doc["duration_ns"].as_i64().unwrap() > 0);

    let text = run(&["stats", t.to_str().unwrap()]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains(&format!("StateTransition  {}", want["StateTransition"])), "{text}");
    assert!(text.contains("go 1.26 trace (written by Go 1.26–1.27)"));
    assert!(text.lines().all(|l| l.chars().count() <= 100));
}

fn assert_one_line_error(o: &Output, code: i32, needle: &str) {
    assert_eq!(o.status.code(), Some(code), "stderr: {}", stderr(o));
    let e = stderr(o);
    assert_eq!(e.lines().count(), 1, "error must be one line: {e}");
    assert!(e.contains(needle), "{e}");
    assert!(!e.contains("panicked"));
}

#[test]
fn bad_inputs_get_one_line_errors() {
    let dir = tempdir();
    let empty = dir.join("empty.trace");
    std::fs::write(&empty, b"").unwrap();
    let text = dir.join("notes.txt");
    std::fs::write(&text, b"hello, this is not a trace\n").unwrap();
    let old = dir.join("old.trace");
    std::fs::write(&old, b"go 1.21 trace\0\0\0\x01\x02").unwrap();
    let ancient = dir.join("ancient.trace");
    std::fs::write(&ancient, b"go 1.6 trace\0\0\0\0").unwrap();
    for cmd in ["dump", "stats"] {
        for (path, code, needle) in [
            (&empty, 1, "not a Go execution trace"),
            (&text, 1, "not a Go execution trace"),
            // An old-format trace is read whole before any event: its damage is Go's message, exit 1.
            (&old, 1, "EvBatch has wrong number of arguments: got 1, want 2"),
            (&ancient, 1, "unknown or unsupported trace version go 1.6"),
        ] {
            let o = run(&[cmd, path.to_str().unwrap()]);
            assert_one_line_error(&o, code, needle);
            assert!(stderr(&o).contains(path.file_name().unwrap().to_str().unwrap()), "names the file");
            assert!(o.stdout.is_empty());
        }
        assert_one_line_error(&run(&[cmd, dir.to_str().unwrap()]), 2, "is a directory");
        assert_one_line_error(&run(&[cmd, dir.join("missing").to_str().unwrap()]), 2, "no such file");
        // A file that opens but cannot be read.
        assert_one_line_error(&run(&[cmd, "/proc/self/mem"]), 2, "/proc/self/mem");
    }
}

#[test]
fn truncated_trace_keeps_complete_generations_and_says_what_was_lost() {
    let t = fixtures().join("go1.27/multigen.trace");
    let data = std::fs::read(&t).unwrap();
    let dir = tempdir();
    let cut = dir.join("cut.trace");
    std::fs::write(&cut, &data[..data.len() * 3 / 4]).unwrap();
    let o = run(&["dump", cut.to_str().unwrap()]);
    assert_one_line_error(&o, 3, "lost");
    assert!(stderr(&o).contains("ends early"), "{}", stderr(&o));
    // Everything printed is the start of the full dump.
    let full = gunzip(&t.with_extension("parsed.gz"));
    let printed = &o.stdout[..o.stdout.len()];
    let last_sync = printed.windows(5).rposition(|w| w == b"Sync ").unwrap();
    let line_start = printed[..last_sync].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    assert_eq!(&printed[..line_start], &full[..line_start]);

    let s = run(&["stats", "--json", cut.to_str().unwrap()]);
    assert_eq!(s.status.code(), Some(3));
    let doc: serde_json::Value = serde_json::from_slice(&s.stdout).unwrap();
    assert_eq!(doc["complete"], false);
    assert!(doc["generations"].as_u64().unwrap() >= 1);
    assert!(doc["valid_bytes"].as_u64().unwrap() < doc["file_bytes"].as_u64().unwrap());
}

#[test]
fn usage_errors_exit_2_and_help_has_examples() {
    let o = run(&["dump"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["--help"]);
    assert!(o.status.success());
    let h = String::from_utf8(o.stdout).unwrap();
    assert!(h.contains("Examples:") && h.contains("Exit codes"));
}

fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("schedstat-cli-test-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0);
    h.finish()
}

#[test]
fn sql_with_json_prints_the_rows_as_json_objects() {
    let trace = fixtures().join("go1.27/storm.trace");
    let t = trace.to_str().unwrap();
    let q = "select count(*) as n, max(duration_ns) as longest, 'x' as s from g_transitions";
    let o = run(&["--json", "--sql", q, t]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).expect("stdout is one JSON document");
    let text = run(&["--sql", "select count(*) as n from g_transitions", t]);
    let n: i64 = String::from_utf8_lossy(&text.stdout)
        .lines()
        .find_map(|l| l.trim_matches(|c: char| c == '|' || c.is_whitespace()).parse().ok())
        .expect("the text table shows the count");
    assert_eq!(rows[0]["n"], n);
    assert!(rows[0]["longest"].as_i64().unwrap() > 0);
    assert_eq!(rows[0]["s"], "x");
    assert_eq!(rows.as_array().unwrap().len(), 1);
}

/// The commands that need no SQL run in the `schedstat` binary itself, which
/// does not link DuckDB: libduckdb.so is never loaded for them (the dynamic
/// loader's log says which libraries it opens). The report is handed to
/// `schedstat-sql`, which loads it.
#[test]
fn commands_without_sql_load_no_duckdb() {
    let dir = Scratch::new("nosql");
    let out = dir.0.join("t.json");
    for ver in ["go1.21", "go1.27"] {
        let t = fixtures().join(ver).join("contended.trace");
        let t = t.to_str().unwrap();
        let cases: [&[&str]; 9] = [
            &["dump", t],
            &["stats", "--json", t],
            &["pprof", "sync", t],
            &["goroutines", t],
            &["leaks", t],
            &["tasks", t],
            &["regions", t],
            &["gc", t],
            &["export", t, "-o", out.to_str().unwrap()],
        ];
        for args in cases {
            let o = bin().args(args).env("LD_DEBUG", "libs").output().unwrap();
            assert!(o.status.success(), "{args:?}: {}", stderr(&o));
            assert!(!stderr(&o).contains("libduckdb"), "{args:?} loaded DuckDB");
            // The same output as the whole CLI's.
            let whole = Command::new(env!("CARGO_BIN_EXE_schedstat-sql")).args(args).output().unwrap();
            assert_eq!(o.stdout, whole.stdout, "{args:?}");
        }
        let o = bin().args(["--json", t]).env("LD_DEBUG", "libs").output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stderr(&o).contains("libduckdb"), "the report runs in schedstat-sql");
    }
}

/// Installed alone (no schedstat-sql beside it, so no DuckDB either),
/// `schedstat` still runs the commands without SQL, and for the others says
/// in one line what is missing, with exit code 2.
#[test]
fn schedstat_alone_runs_the_commands_without_sql() {
    let dir = Scratch::new("alone");
    let alone = dir.0.join("schedstat");
    std::fs::copy(env!("CARGO_BIN_EXE_schedstat"), &alone).unwrap();
    let t = fixtures().join("go1.27").join("contended.trace");
    let o = Command::new(&alone).args(["stats", t.to_str().unwrap()]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("events"));
    let o = Command::new(&alone).arg(&t).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("needs schedstat-sql") && err.contains("scripts/install.sh"), "{err}");
}
