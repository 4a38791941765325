//! Traces older than Go 1.11 (headers `go 1.5` to `go 1.10`), which Go 1.27
//! refuses, against Go 1.21.13, the last Go that reads them: our parsed old
//! events (`gotrace::v1::go121_dump`) must be Go 1.21's `go tool trace -d`
//! lines, and the converted stream must read through.
//!
//! Go 1.21.13 runs at test time (`scripts/go-toolchain.sh 1.21.13`, which
//! installs it when it can); without it the test prints a note and passes.
//!
//! What is normalised before comparing, and nothing else:
//! - the order of lines with the same time: Go 1.21 merges events of equal
//!   time on different Ps in map order (random), so each run of lines with
//!   the same first field is sorted (every line names its file offset, so the
//!   lines themselves must be equal);
//! - in error messages, Go 1.21's offsets (" at offset 0x..", "offset N, "),
//!   which our messages (Go 1.27's wording) leave out.
//!
//! A `go 1.5` trace needs the program's binary in Go 1.21 (for symbols); its
//! `-d` lines carry no stacks, so Go's own `go` binary stands in for it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// Go 1.21.13's `go` binary, if installed (or installable).
fn go121() -> Option<PathBuf> {
    let script = repo_root().join("scripts/go-toolchain.sh");
    let out = Command::new("bash").arg(script).arg("1.21.13").output().ok()?;
    if !out.status.success() {
        eprintln!(
            "legacy: Go 1.21.13 is not installed and could not be installed ({}); skipping the comparison",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return None;
    }
    Some(PathBuf::from(String::from_utf8(out.stdout).ok()?.trim()))
}

/// The header's minor version.
fn minor(data: &[u8]) -> Option<u32> {
    let rest = data.strip_prefix(b"go 1.")?;
    let digits: Vec<u8> = rest.iter().copied().take_while(u8::is_ascii_digit).collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

/// Go 1.21's `go tool trace -d` on a trace: its lines, or its error.
fn go_dump(go: &Path, trace: &Path, ver: u32) -> Result<String, String> {
    let mut cmd = Command::new(go);
    cmd.env("GOTOOLCHAIN", "local").args(["tool", "trace", "-d"]);
    if ver < 7 {
        cmd.arg(go);
    }
    let out = cmd.arg(trace).output().expect("running go tool trace");
    let stderr = String::from_utf8_lossy(&out.stderr);
    match stderr.lines().rev().find_map(|l| l.strip_prefix("failed to parse trace: ")) {
        Some(e) => Err(e.to_string()),
        None if out.status.success() => Ok(String::from_utf8(out.stdout).unwrap()),
        None => panic!("{}: go tool trace failed: {stderr}", trace.display()),
    }
}

/// Sorts each run of lines that share their time (the first field).
fn sort_same_time(dump: &str) -> Vec<String> {
    let mut lines: Vec<String> = dump.lines().map(str::to_string).collect();
    let time = |l: &str| l.split(' ').next().unwrap_or("").to_string();
    let mut i = 0;
    while i < lines.len() {
        let t = time(&lines[i]);
        let mut j = i + 1;
        while j < lines.len() && time(&lines[j]) == t {
            j += 1;
        }
        lines[i..j].sort();
        i = j;
    }
    lines
}

/// Go 1.21's error without the offsets it adds.
fn without_offsets(msg: &str) -> String {
    let mut s = msg.to_string();
    if let Some(i) = s.find(" at offset 0x") {
        let end = s[i + 13..].find(|c: char| !c.is_ascii_hexdigit()).map_or(s.len(), |k| i + 13 + k);
        s.replace_range(i..end, "");
    }
    if let Some(i) = s.find("(offset ") {
        if let Some(k) = s[i..].find(", ") {
            s.replace_range(i + 1..i + k + 2, "");
        }
    }
    s
}

/// Every trace with a header older than 1.11 in the corpus, and the legacy
/// directory's `go 1.11` one.
fn legacy_traces(corpus: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["golang-go/legacy-internal-trace-testdata", "golang-go/traceparser-testdata"] {
        for entry in std::fs::read_dir(corpus.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            if minor(&data).is_some_and(|v| v < 11 || dir.starts_with("golang-go/legacy")) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn legacy_traces_parse_like_go_1_21() {
    let Some(corpus) = shared_corpus() else { return };
    let Some(go) = go121() else { return };
    let mut failures = Vec::new();
    let (mut same, mut rejected, mut read) = (0, 0, 0);
    for path in legacy_traces(&corpus) {
        let name = path.strip_prefix(&corpus).unwrap().display().to_string();
        let data = std::fs::read(&path).unwrap();
        let ver = minor(&data).unwrap();
        let ours = gotrace::v1::go121_dump(&data);
        match (go_dump(&go, &path, ver), &ours) {
            (Ok(want), Ok(got)) => {
                let (want, got) = (sort_same_time(&want), sort_same_time(got));
                if want != got {
                    let at = want.iter().zip(&got).position(|(a, b)| a != b).unwrap_or(want.len().min(got.len()));
                    failures.push(format!(
                        "{name}: line {} (of {} / {}):\n  go:   {}\n  ours: {}",
                        at + 1,
                        want.len(),
                        got.len(),
                        want.get(at).map_or("<end>", String::as_str),
                        got.get(at).map_or("<end>", String::as_str)
                    ));
                }
                same += 1;
            }
            (Err(want), Err(got)) => {
                if without_offsets(&want) != got.to_string() {
                    failures.push(format!("{name}: Go 1.21 says {want:?}, we say {:?}", got.to_string()));
                }
                rejected += 1;
            }
            (want, got) => {
                let (want, got) = (want.map(|_| "events"), got.as_ref().map(|_| "events"));
                failures.push(format!("{name}: Go 1.21 gives {want:?}, we give {got:?}"));
            }
        }
        // The converted stream: read through, or refused for want of symbols.
        if ours.is_ok() {
            let (_, err) = dump(&data);
            match (ver, err) {
                (7.., None) => read += 1,
                (..=6, Some(e)) if e.to_string() == gotrace::v1::NO_SYMBOLS => {}
                (_, e) => failures.push(format!("{name}: reading the converted events: {e:?}")),
            }
        }
    }
    eprintln!("legacy: {same} traces dump like Go 1.21, {rejected} rejected alike, {read} converted and read through");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(same >= 13 && rejected >= 6 && read >= 10, "only {same} dumps, {rejected} rejections, {read} reads");
}

#[test]
fn go_1_5_traces_are_refused_for_want_of_symbols() {
    let Some(corpus) = shared_corpus() else { return };
    let dir = corpus.join("golang-go/legacy-internal-trace-testdata");
    for (file, want) in [
        ("http_1_5_good", gotrace::v1::NO_SYMBOLS),
        ("stress_start_stop_1_5_good", gotrace::v1::NO_SYMBOLS),
        // Go 1.21 reports a broken trace before asking for the binary.
        ("stress_1_5_unordered", "time stamps out of order"),
    ] {
        let data = std::fs::read(dir.join(file)).unwrap();
        let err = gotrace::Reader::new(&data).err().unwrap_or_else(|| panic!("{file}: read"));
        assert_eq!(err.to_string(), want, "{file}");
        assert!(!err.to_string().contains('\n'));
    }
}

/// A few of Go 1.21.13's `-d` lines, recorded, so that the format is checked
/// even where Go 1.21 cannot run.
#[test]
fn recorded_go_1_21_lines() {
    let Some(corpus) = shared_corpus() else { return };
    let dir = corpus.join("golang-go/legacy-internal-trace-testdata");
    for (file, count, lines) in [
        (
            "http_1_5_good",
            7309,
            &["0 GoCreate p=0 g=0 off=26 g=1 stack=4378784", "9350 GoWaiting p=0 g=2 off=47 g=2"][..],
        ),
        (
            "http_1_7_good",
            38,
            &["12644 GoCreate p=0 g=0 off=30 g=17 stack=3", "27408 GoStart p=0 g=1 off=71 g=1 seq=0"],
        ),
        ("stress_start_stop_1_9_good", 1247, &["351019 STWStart p=0 g=0 off=469 kindid=0 kind=mark termination"]),
        ("stress_start_stop_1_10_good", 1237, &["246751 STWStart p=2 g=0 off=2100 kindid=1 kind=sweep termination"]),
    ] {
        let got = gotrace::v1::go121_dump(&std::fs::read(dir.join(file)).unwrap()).unwrap();
        assert_eq!(got.lines().count(), count, "{file}");
        for l in lines {
            assert!(got.lines().any(|g| g == *l), "{file}: no line {l:?}");
        }
    }
}
