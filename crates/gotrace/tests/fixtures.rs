//! Conformance on the generator's fixtures: traces written by real Go 1.19,
//! 1.21 (the old format) and 1.22–1.27 programs (testdata/generator), each with
//! Go 1.27.3's `go tool trace -d=parsed` output recorded next to it by
//! scripts/gen-fixtures.sh. Old-format dumps are compared after `normalize_v1`
//! (Go's own output for them varies from run to run, see common.rs).

mod common;

use common::*;

#[test]
fn every_fixture_dumps_exactly_like_go() {
    let dir = repo_root().join("testdata/fixtures");
    let mut checked = Vec::new();
    for ver in std::fs::read_dir(&dir).unwrap() {
        let ver = ver.unwrap().path();
        if !ver.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&ver).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("trace") {
                continue;
            }
            let data = std::fs::read(&path).unwrap();
            assert!(data.len() <= 2 << 20, "{}: fixtures must stay under 2 MiB", path.display());
            let want = gunzip(&path.with_extension("parsed.gz"));
            let go_err = std::fs::read_to_string(path.with_extension("err")).ok();
            let (got, err) = dump(&data);
            let (want, got) =
                if is_old_format(&data) { (normalize_v1(&want), normalize_v1(&got)) } else { (want, got) };
            assert!(want == got, "{}: {}", path.display(), first_difference(&want, &got));
            assert_eq!(err.is_some(), go_err.is_some(), "{}: ours {err:?}, Go {go_err:?}", path.display());
            checked.push(path);
        }
    }
    // Eight Go versions, 13 scenarios each (flight recording from 1.25 on).
    assert!(checked.len() >= 104, "only {} fixtures found", checked.len());
    for v in ["go1.19", "go1.21", "go1.22", "go1.23", "go1.24", "go1.25", "go1.26", "go1.27"] {
        assert!(checked.iter().any(|p| p.parent().unwrap().ends_with(v)), "no fixtures for {v}");
    }
}

/// The header of each fixture names the format version its Go release writes.
#[test]
fn fixture_versions_follow_the_go_release() {
    let dir = repo_root().join("testdata/fixtures");
    let expect = [
        ("go1.19", gotrace::Version::Go119),
        ("go1.21", gotrace::Version::Go121),
        ("go1.22", gotrace::Version::Go122),
        ("go1.23", gotrace::Version::Go123),
        ("go1.24", gotrace::Version::Go123),
        ("go1.25", gotrace::Version::Go125),
        ("go1.26", gotrace::Version::Go126),
        ("go1.27", gotrace::Version::Go126),
    ];
    for (ver, want) in expect {
        let data = std::fs::read(dir.join(ver).join("mutex.trace")).unwrap();
        assert_eq!(gotrace::Reader::new(&data).unwrap().version(), want, "{ver}");
    }
}

/// Flight recordings and long traces span several generations, and every
/// generation boundary shows up as a Sync event.
#[test]
fn multi_generation_traces_have_several_syncs() {
    let dir = repo_root().join("testdata/fixtures");
    for name in ["go1.22/multigen.trace", "go1.27/multigen.trace", "go1.25/flight.trace", "go1.27/flight.trace"] {
        let data = std::fs::read(dir.join(name)).unwrap();
        let mut r = gotrace::Reader::new(&data).unwrap();
        let mut syncs = 0;
        while let Some(ev) = r.read_event().unwrap() {
            if ev.kind() == gotrace::EventKind::Sync {
                syncs += 1;
            }
        }
        assert!(syncs >= 3, "{name}: {syncs} syncs");
        assert_eq!(r.generations_done() + 1, syncs, "{name}");
        assert_eq!(r.valid_bytes(), data.len(), "{name}: a complete trace is valid to its end");
    }
}
