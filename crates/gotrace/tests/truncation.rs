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
