//! What the database's integration tests share.

use std::path::{Path, PathBuf};

/// Every committed fixture trace (all Go versions), sorted.
pub fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures");
    let mut out = Vec::new();
    for v in std::fs::read_dir(&root).unwrap() {
        for f in std::fs::read_dir(v.unwrap().path()).unwrap() {
            let p = f.unwrap().path();
            if p.extension().is_some_and(|e| e == "trace") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
