//! Helpers shared by the conformance tests.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// The shared Go trace corpus that sits beside the clone (`../shared`), which CI always provides.
pub fn shared_corpus() -> Option<PathBuf> {
    let p = repo_root().join("../shared/testdata/go-corpus");
    if p.is_dir() {
        return Some(p);
    }
    if std::env::var_os("SCHEDSTAT_NO_SHARED_CORPUS").is_some() {
        return None;
    }
    panic!(
        "the shared corpus is missing at {}; place shared/ beside the clone or set SCHEDSTAT_NO_SHARED_CORPUS=1",
        p.display()
    );
}

/// Reads a gzipped file.
pub fn gunzip(path: &Path) -> Vec<u8> {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(f).read_to_end(&mut out).unwrap();
    out
}

/// What our reader prints for a trace, `go tool trace -d=parsed` style, and the error if any.
pub fn dump(data: &[u8]) -> (Vec<u8>, Option<gotrace::Error>) {
    let mut out = Vec::new();
    let mut r = match gotrace::Reader::new(data) {
        Ok(r) => r,
        Err(e) => return (out, Some(e)),
    };
    loop {
        match r.read_event() {
            Ok(Some(ev)) => {
                ev.write_parsed(&mut out).unwrap();
                out.push(b'\n');
            }
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

/// The first line where two outputs differ, for a readable failure.
pub fn first_difference(want: &[u8], got: &[u8]) -> String {
    let w: Vec<&[u8]> = want.split(|&b| b == b'\n').collect();
    let g: Vec<&[u8]> = got.split(|&b| b == b'\n').collect();
    for i in 0..w.len().max(g.len()) {
        let a = w.get(i).copied().unwrap_or(b"<end>");
        let b = g.get(i).copied().unwrap_or(b"<end>");
        if a != b {
            return format!(
                "line {}:\n  go:   {}\n  ours: {}",
                i + 1,
                String::from_utf8_lossy(a),
                String::from_utf8_lossy(b)
            );
        }
    }
    "identical".into()
}
