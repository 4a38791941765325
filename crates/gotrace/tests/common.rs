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

/// Whether a trace is in the old (Go 1.11–1.21) format.
pub fn is_old_format(data: &[u8]) -> bool {
    matches!(&data.get(..8), Some(b"go 1.11 ") | Some(b"go 1.19 ") | Some(b"go 1.21 "))
}

/// Makes an old-format dump comparable across runs of Go: at the end of an old
/// trace's initialisation Go emits a "runnable" status for each goroutine it
/// saw created but in no state, in Go's map order, which changes from run to
/// run. We emit them by goroutine ID. Within each run of such lines (same
/// shape, consecutive times) the IDs are sorted here, times kept in place.
pub fn normalize_v1_status_runs(dump: &[u8]) -> Vec<u8> {
    const PREFIX: &str = "M=-1 P=-1 G=-1 StateTransition Time=";
    const SUFFIX: &str = " Undetermined->Runnable Reason=\"\"";
    let text = String::from_utf8_lossy(dump);
    let lines: Vec<&str> = text.split('\n').collect();
    let parse = |l: &str| -> Option<(String, u64)> {
        let rest = l.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
        let (time, id) = rest.split_once(" GoID=")?;
        Some((time.to_string(), id.parse().ok()?))
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let mut j = i;
        while j < lines.len() && parse(lines[j]).is_some() {
            j += 1;
        }
        if j > i {
            let mut ids: Vec<u64> = lines[i..j].iter().map(|l| parse(l).unwrap().1).collect();
            ids.sort_unstable();
            for (l, id) in lines[i..j].iter().zip(ids) {
                out.push(format!("{PREFIX}{} GoID={id}{SUFFIX}", parse(l).unwrap().0));
            }
            i = j;
        } else {
            out.push(lines[i].to_string());
            i += 1;
        }
    }
    out.join("\n").into_bytes()
}

/// Makes an old-format dump comparable where Go's own output is not fixed:
/// when two Ps have events at the same tick, Go's merge takes them in its map
/// order, which changes between runs (the same file gives two different
/// dumps), and the later one is moved 1 ns on. In each run of events whose
/// times go up by exactly 1 ns, the events (with their stacks) are sorted and
/// given the run's first time, so any of Go's orders compares equal to ours.
/// Also applies [`normalize_v1_status_runs`].
pub fn normalize_v1(dump: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(&normalize_v1_status_runs(dump)).into_owned();
    // Blocks: an event line and the stack lines after it.
    let mut blocks: Vec<(Option<i64>, String)> = Vec::new();
    for line in text.split('\n') {
        if line.starts_with("M=") || blocks.is_empty() {
            let time = line.split(" Time=").nth(1).and_then(|r| r.split(' ').next()).and_then(|t| t.parse().ok());
            blocks.push((time, format!("{line}\n")));
        } else {
            blocks.last_mut().unwrap().1.push_str(&format!("{line}\n"));
        }
    }
    let mut out = String::new();
    let mut i = 0;
    while i < blocks.len() {
        let mut j = i + 1;
        while let (Some(a), Some(b)) = (blocks[j - 1].0, blocks.get(j).and_then(|b| b.0)) {
            if b != a + 1 {
                break;
            }
            j += 1;
        }
        let mut run: Vec<String> = blocks[i..j]
            .iter()
            .map(|(t, b)| match (t, blocks[i].0) {
                (Some(t), Some(start)) => b.replacen(&format!(" Time={t}"), &format!(" Time={start}"), 1),
                _ => b.clone(),
            })
            .collect();
        run.sort();
        out.extend(run);
        i = j;
    }
    out.into_bytes()
}
