//! Traces cut short (a crashed process, a copy taken while writing): every
//! complete generation is still read, the result is what Go's reader gives on
//! the same bytes, and nothing panics.

mod common;

use common::*;
use sha2::{Digest, Sha256};

/// Cuts recorded with Go 1.27.3 by scripts/truncation-oracle.py.
#[test]
fn cut_traces_give_what_go_gives() {
    let root = repo_root();
    let table = std::fs::read_to_string(root.join("testdata/oracle/truncation.tsv")).unwrap();
    let mut rows = 0;
    for line in table.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let (fixture, offset, hash, go_exit) = (f[0], f[1].parse::<usize>().unwrap(), f[2], f[4]);
        let data = std::fs::read(root.join("testdata/fixtures").join(fixture)).unwrap();
        let (out, err) = dump(&data[..offset]);
        let got = format!("{:x}", Sha256::digest(&out));
        assert_eq!(got, hash, "{fixture} cut at {offset}: stdout differs from Go's ({} lines)", out.split(|&b| b == b'\n').count() - 1);
        assert_eq!(err.is_some(), go_exit != "0", "{fixture} cut at {offset}: error {err:?}, Go exit {go_exit}");
        if let Some(e) = err {
            assert!(!e.to_string().contains('\n'), "{fixture} at {offset}: multi-line error {e}");
        }
        rows += 1;
    }
    assert!(rows > 500, "only {rows} cuts checked");
}

/// Every byte offset of a small trace of each Go release: no panic, and an
/// error, when there is one, in one line. (Which cuts are errors is Go's call,
/// checked against Go itself in `cut_traces_give_what_go_gives`: Go accepts a
/// cut at a generation boundary, or before the first event batch of a
/// generation, as a shorter complete trace.)
#[test]
fn every_cut_is_handled() {
    let root = repo_root();
    for ver in ["go1.22", "go1.23", "go1.24", "go1.25", "go1.26", "go1.27"] {
        let name = format!("{ver}/leak.trace");
        let data = std::fs::read(root.join("testdata/fixtures").join(&name)).unwrap();
        let (_, err) = dump(&data);
        assert!(err.is_none());
        let mut errors = 0;
        for cut in 0..data.len() {
            let (_, err) = dump(&data[..cut]);
            if let Some(e) = err {
                assert!(!e.to_string().contains('\n'), "{name} cut at {cut}: multi-line error {e}");
                errors += 1;
            }
        }
        assert!(errors > data.len() / 2, "{name}: most cuts must be reported ({errors} of {})", data.len());
    }
}

/// Old-format traces cut short, recorded with Go 1.27.3 by
/// scripts/truncation-oracle-v1.py: an old trace is indexed whole before its
/// first event, so a cut one is refused with Go's message and no events, or
/// (cut where it is still consistent) read whole. Where Go itself crashes
/// (exit 2: printing the creation stack of a goroutine whose stack record the
/// cut removed), we read the trace and print that stack empty: the lines Go
/// printed before crashing must be our first lines.
#[test]
fn cut_old_format_traces_give_what_go_gives() {
    let Some(corpus) = shared_corpus() else { return };
    let table = std::fs::read_to_string(repo_root().join("testdata/oracle/truncation-v1.tsv")).unwrap();
    let mut rows = 0;
    for line in table.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let f: Vec<&str> = line.splitn(5, '\t').collect();
        let (trace, offset, go_exit, go_lines, go_msg) =
            (f[0], f[1].parse::<usize>().unwrap(), f[2], f[3].parse::<usize>().unwrap(), f[4]);
        let data = std::fs::read(corpus.join(trace)).unwrap();
        let (out, err) = dump(&data[..offset]);
        let lines = out.iter().filter(|&&b| b == b'\n').count();
        match go_exit {
            "0" => {
                assert!(err.is_none(), "{trace} cut at {offset}: Go reads it, we say {err:?}");
                assert_eq!(lines, go_lines, "{trace} cut at {offset}");
            }
            "1" => {
                let e = err.unwrap_or_else(|| panic!("{trace} cut at {offset}: Go says {go_msg}, we read it"));
                assert_eq!(e.to_string(), go_msg, "{trace} cut at {offset}");
                assert!(out.is_empty(), "{trace} cut at {offset}: events before an old-format error");
            }
            _ => {
                assert!(go_msg.starts_with("panic: expected id"), "{trace} cut at {offset}: {go_msg}");
                assert!(err.is_none(), "{trace} cut at {offset}: {err:?}");
                assert!(lines > go_lines, "{trace} cut at {offset}");
            }
        }
        rows += 1;
    }
    assert!(rows > 200, "only {rows} cuts checked");
}

/// Every byte offset of a small old-format trace: no panic, no hang, and one-line errors.
#[test]
fn every_cut_of_an_old_format_trace_is_handled() {
    let Some(corpus) = shared_corpus() else { return };
    let data = std::fs::read(corpus.join("golang-go/tracev1-testdata/user_task_region_1_21_good")).unwrap();
    let mut errors = 0;
    for cut in 0..data.len() {
        let (_, err) = dump(&data[..cut]);
        if let Some(e) = err {
            assert!(!e.to_string().contains('\n'), "cut at {cut}: multi-line error {e}");
            errors += 1;
        }
    }
    assert!(errors > data.len() / 2, "most cuts must be reported ({errors} of {})", data.len());
}
