//! Helpers the CLI's test binaries share (each `mod common;` compiles its own
//! copy, so what one binary does not use is dead code there).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A committed fixture trace: testdata/fixtures/VERSION/SCENARIO.trace.
pub fn fixture(version: &str, scenario: &str) -> PathBuf {
    root().join(format!("testdata/fixtures/{version}/{scenario}.trace"))
}

/// A scratch directory, empty at the start and removed at the end of the test
/// (named by the test binary's process, so parallel tests do not collide).
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("schedstat-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
