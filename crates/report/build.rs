//! Puts the analysis SQL (`sql/report`, `sql/doctor`, `sql/diff`) where the
//! crate includes it from. For the web page's wasm the comments go (the
//! first line names the analysis in `SCHEDSTAT_TIMINGS`, which the page has
//! no environment to set), and so does each line's indentation (no string
//! literal in these files spans lines): the page downloads them, and its
//! reader has a size budget. Everywhere else the files are copied as they are.

use std::path::Path;

fn main() {
    // The manifest directory of this build, not of the one that compiled
    // the script: a shared target directory reuses build scripts across
    // checkouts.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest).join("../../sql");
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("sql");
    let strip = std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32");
    for dir in ["report", "doctor", "diff"] {
        let from = root.join(dir);
        println!("cargo:rerun-if-changed={}", from.display());
        std::fs::create_dir_all(out.join(dir)).expect("creating OUT_DIR/sql");
        for entry in std::fs::read_dir(&from).expect("reading the sql directory") {
            let path = entry.expect("listing the sql directory").path();
            if path.extension().and_then(|e| e.to_str()) != Some("sql") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("reading an sql file");
            let kept = if strip { without_comments(&text) } else { text };
            std::fs::write(
                out.join(dir).join(path.file_name().expect("a file name")),
                kept,
            )
            .expect("writing OUT_DIR/sql");
        }
    }
}

/// `sql` without its whole-line `--` comments and its indentation.
fn without_comments(sql: &str) -> String {
    let mut kept = String::new();
    for line in sql.lines().map(str::trim_start).filter(|l| !l.is_empty() && !l.starts_with("--")) {
        kept.push_str(line);
        kept.push('\n');
    }
    kept
}
