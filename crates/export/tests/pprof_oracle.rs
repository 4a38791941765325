//! Our blocking profiles against Go 1.27.3's `go tool trace -pprof=TYPE`,
//! recorded by `scripts/pprof-oracle.sh` as canonical text: every fixture of
//! every Go version (1.19 and 1.21, the old format, and 1.22–1.27), all four
//! types, compared exactly (per-stack contention counts and delay in ns,
//! frames, sample and period types).
//!
//! Our profile goes through the whole writer (prost encoding, gzip) and is
//! decoded again before it is compared, so the file a user gets is what is
//! tested. There are no deliberate differences from Go 1.27.3 to allow for:
//! its known-wrong behaviours are in older releases (see analysis::profile).

use std::path::{Path, PathBuf};

use analysis::profile::{profile_of_trace, ProfileKind};
use export::pprof;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn ours(trace: &Path, kind: ProfileKind) -> String {
    let bytes = std::fs::read(trace).unwrap();
    let (p, err) = profile_of_trace(&bytes, kind).unwrap();
    assert!(err.is_none(), "{}: {:?}", trace.display(), err);
    canonical(&p)
}

fn canonical(p: &analysis::profile::Profile) -> String {
    let file = pprof::encode(p);
    pprof::canonical_text(&pprof::decode(&file).unwrap()).unwrap()
}

/// Traces cut short (the first 70% of multigen, several generations): Go
/// keeps the complete generations and so do we; the recorded file name
/// carries the number of bytes kept.
#[test]
fn truncated_traces_equal_go_tool_trace_pprof() {
    let dir = root().join("testdata/oracle/pprof/truncated");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 12);
    for f in files {
        let name = f.file_name().unwrap().to_str().unwrap().to_string();
        // goVER.multigen.BYTES.TYPE.txt, with VER like "1.27".
        let parts: Vec<&str> = name.split('.').collect();
        let (ver, scen, cut, kind) = (format!("{}.{}", parts[0], parts[1]), parts[2], parts[3], parts[4]);
        let bytes = std::fs::read(root().join("testdata/fixtures").join(&ver).join(format!("{scen}.trace"))).unwrap();
        let cut: usize = cut.parse().unwrap();
        let (p, err) = profile_of_trace(&bytes[..cut], ProfileKind::parse(kind).unwrap()).unwrap();
        assert!(err.is_some(), "{name}: the cut trace should be reported as damaged");
        assert_eq!(canonical(&p), std::fs::read_to_string(&f).unwrap(), "{name}");
    }
}

#[test]
fn every_fixture_equals_go_tool_trace_pprof() {
    let mut compared = 0;
    let mut failures = Vec::new();
    for ver in ["go1.19", "go1.21", "go1.22", "go1.23", "go1.24", "go1.25", "go1.26", "go1.27"] {
        let dir = root().join("testdata/fixtures").join(ver);
        let mut traces: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "trace"))
            .collect();
        traces.sort();
        assert!(traces.len() >= 10, "{ver}: fixtures missing");
        for t in traces {
            let scen = t.file_stem().unwrap().to_str().unwrap().to_string();
            for kind in ProfileKind::ALL {
                let want_path = root().join("testdata/oracle/pprof").join(ver).join(format!("{scen}.{kind}.txt"));
                let want = std::fs::read_to_string(&want_path)
                    .unwrap_or_else(|e| panic!("{}: {e} (run scripts/pprof-oracle.sh)", want_path.display()));
                let got = ours(&t, kind);
                if got != want {
                    failures.push(format!("{ver}/{scen}.{kind}:\n--- go\n{want}+++ ours\n{got}"));
                }
                compared += 1;
            }
        }
    }
    assert!(failures.is_empty(), "{} of {compared} differ:\n{}", failures.len(), failures.join("\n"));
    // Every recorded profile was compared (no fixture went missing).
    let recorded: usize = std::fs::read_dir(root().join("testdata/oracle/pprof"))
        .unwrap()
        .map(|d| d.unwrap().path())
        .filter(|d| d.file_name().unwrap().to_str().unwrap().starts_with("go1."))
        .map(|d| std::fs::read_dir(d).unwrap().count())
        .sum();
    assert_eq!(compared, recorded);
    assert!(compared >= 6 * 4 * 10, "{compared}");
}

/// Ground truth: the generator's `mutex` scenario makes six goroutines fight
/// over one sync.Mutex in main.contendedLock. By contentions it is the top
/// stack of the sync profile on every version. (By delay it competes with
/// main.waitGroupWaiter, which by design waits for the whole run in one
/// interval, and with the select and channel waiters.)
#[test]
fn contended_mutex_tops_the_sync_profile() {
    for ver in ["go1.19", "go1.21", "go1.22", "go1.23", "go1.24", "go1.25", "go1.26", "go1.27"] {
        let bytes = std::fs::read(root().join("testdata/fixtures").join(ver).join("mutex.trace")).unwrap();
        let (p, _) = profile_of_trace(&bytes, ProfileKind::Sync).unwrap();
        let top = p.stacks.iter().max_by_key(|s| s.count).unwrap();
        let funcs: Vec<&str> = top.frames.iter().map(|f| f.func.as_str()).collect();
        assert_eq!(funcs[0], "sync.(*Mutex).Lock", "{ver}: {funcs:?}");
        assert_eq!(funcs[1], "main.contendedLock", "{ver}: {funcs:?}");
        // Most of 6 goroutines × 80 lock attempts block at least once... but
        // not all: the mutex spins before parking. Each is one contention.
        assert!(top.count >= 50 && top.count <= 480, "{ver}: {}", top.count);
        // Every wait in this profile is one the scenario planted.
        for s in &p.stacks {
            assert!(s.frames.iter().any(|f| f.func.starts_with("main.")), "{ver}: unplanted wait {:?}", s.frames);
        }
        // The net profile is empty: the scenario does no I/O.
        let (net, _) = profile_of_trace(&bytes, ProfileKind::Net).unwrap();
        assert!(net.stacks.is_empty(), "{ver}");
    }
}
