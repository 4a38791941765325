//! Conformance on the shared corpus: byte-identical to Go 1.27.3's
//! `go tool trace -d=parsed` on every trace Go accepts, old format included,
//! and the same rejections (with the same stdout before the error) on those it
//! refuses, except the traces older than Go 1.11 that Go 1.27 refuses by
//! version: those follow Go 1.21.13 (see tests/legacy.rs).

mod common;

use std::path::Path;

use common::*;

/// Maps an expected-parsed file name back to its trace inside the corpus.
fn source_of(corpus: &Path, name: &str) -> std::path::PathBuf {
    let prefixes = [
        ("derived-from-txtar_", "derived-from-txtar/"),
        ("sqlprof_testprog_", "sqlprof/testprog/"),
        ("golang-go_tracev1-testdata_", "golang-go/tracev1-testdata/"),
        ("golang-go_legacy-internal-trace-testdata_", "golang-go/legacy-internal-trace-testdata/"),
        ("golang-go_traceparser-testdata_", "golang-go/traceparser-testdata/"),
        ("gotraceui_trace-testdata_", "gotraceui/trace-testdata/"),
    ];
    for (p, dir) in prefixes {
        if let Some(rest) = name.strip_prefix(p) {
            return corpus.join(dir).join(rest);
        }
    }
    panic!("unknown corpus file name {name}");
}

#[test]
fn traces_dump_exactly_like_go() {
    let Some(corpus) = shared_corpus() else { return };
    let mut checked = 0;
    let mut old_format = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(corpus.join("expected-parsed")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let Some(stem) = name.strip_suffix(".parsed.gz") else { continue };
        let src = source_of(&corpus, stem);
        let data = std::fs::read(&src).unwrap();
        let mut want = gunzip(&path);
        let (mut got, err) = dump(&data);
        assert!(err.is_none(), "{stem}: unexpected error {err:?}");
        if is_old_format(&data) {
            want = normalize_v1(&want);
            got = normalize_v1(&got);
            old_format += 1;
        }
        if want != got {
            failures.push(format!("{stem}: differs from go tool trace -d=parsed at {}", first_difference(&want, &got)));
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 38, "only {checked} traces checked");
    assert!(old_format >= 16, "only {old_format} old-format traces checked");
}

/// Go 1.21.13's verdicts on the corpus traces with headers older than
/// `go 1.11`, which Go 1.27 refuses by version ("unknown or unsupported trace
/// version") and we read as Go 1.21 did: `None` where Go 1.21 reads the trace
/// (so must we), else its error without the offsets it adds. Recorded from
/// `go tool trace -d`; tests/legacy.rs checks them against Go 1.21.13 live.
const GO121_VERDICTS: &[(&str, Option<&str>)] = &[
    ("http_1_10_good", None),
    ("http_1_7_good", None),
    ("http_1_9_good", None),
    ("stress_1_10_good", None),
    ("stress_1_7_good", None),
    ("stress_1_9_good", None),
    ("stress_start_stop_1_10_good", None),
    ("stress_start_stop_1_7_good", None),
    ("stress_start_stop_1_9_good", None),
    // Go 1.21 reads `go 1.5` traces only with the program's binary, which we
    // cannot use (it reports a broken trace first).
    ("http_1_5_good", Some(gotrace::v1::NO_SYMBOLS)),
    ("stress_1_5_good", Some(gotrace::v1::NO_SYMBOLS)),
    ("stress_start_stop_1_5_good", Some(gotrace::v1::NO_SYMBOLS)),
    ("stress_1_5_unordered", Some("time stamps out of order")),
    (
        "34f92cd2ae08f558c494b2ef79e80b574c9f096c-8.weird",
        Some("GoSysExit has wrong number of arguments: want 4, got 20"),
    ),
    (
        "4557f81f6aae617eeec8dd920997ea27b3dda12b.weird",
        Some("GoPreempt has wrong number of arguments: want 2, got 1"),
    ),
    (
        "94347dc6ca9c22daec04c5f2530b16ea60bb0ba2-7.weird",
        Some("GoSysExit has wrong number of arguments: want 4, got 20"),
    ),
    (
        "d28fcef078c7dc722867d781b1fd7f37ca965372-7.weird",
        Some("GoSysExitLocal has wrong number of arguments: want 3, got 6"),
    ),
    (
        "d70f178a3813df03f2aed0d47f6d9bc844b8cb57-4.weird",
        Some("GoSysExit has wrong number of arguments: want 4, got 11"),
    ),
];

#[test]
fn rejections_match_go() {
    let Some(corpus) = shared_corpus() else { return };
    let errors = std::fs::read_to_string(corpus.join("expected-parsed/ERRORS.txt")).unwrap();
    let mut checked = 0;
    let mut legacy = 0;
    for line in errors.lines() {
        let Some((file, go_err)) = line.split_once(": ") else { continue };
        let data = std::fs::read(corpus.join(file)).unwrap();
        let (out, err) = dump(&data);
        let legacy_version = go_err
            .strip_prefix("unknown or unsupported trace version go 1.")
            .and_then(|v| v.parse::<u32>().ok())
            .is_some_and(|v| v < 11);
        if legacy_version {
            let base = file.rsplit('/').next().unwrap();
            let verdict = GO121_VERDICTS.iter().find(|(f, _)| *f == base);
            let &(_, want) = verdict.unwrap_or_else(|| panic!("{file}: no recorded Go 1.21 verdict"));
            match (want, err) {
                (None, None) => assert!(!out.is_empty(), "{file}"),
                (Some(w), Some(e)) => {
                    assert_eq!(e.to_string(), w, "{file}");
                    assert!(out.is_empty(), "{file}");
                }
                (w, e) => panic!("{file}: Go 1.21 says {w:?}, we say {e:?}"),
            }
            legacy += 1;
            checked += 1;
            continue;
        }
        let err = err.unwrap_or_else(|| panic!("{file}: Go rejects it ({go_err}) but we read it"));
        let ours = err.to_string();
        assert_eq!(ours, go_err, "{file}");
        if go_err.starts_with("unknown or unsupported trace version") || go_err.starts_with("bad file format") {
            assert!(out.is_empty());
        } else if file.starts_with("derived-from-txtar/") {
            // v2 traces Go rejects while ordering (the stdout before the error
            // is compared in go_fuzz_corpus_and_rejections_match_recorded_go_output).
            assert!(!out.is_empty(), "{file}");
        }
        checked += 1;
    }
    assert!(checked > 40, "only {checked} rejections checked");
    assert_eq!(legacy, GO121_VERDICTS.len(), "legacy traces checked against Go 1.21's verdicts");
}

/// Go's fuzz corpus for its reader (inputs that once crashed it) and the v2
/// traces it rejects: same stdout, same error, no panic. The verdicts were
/// recorded from Go 1.27.3 by scripts/corpus-oracle.sh.
#[test]
fn go_fuzz_corpus_and_rejections_match_recorded_go_output() {
    let dir = repo_root().join("testdata/oracle/corpus");
    let mut checked = 0;
    for sub in ["fuzz", "rejected"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            let Some(stem) = path.to_str().unwrap().strip_suffix(".parsed") else { continue };
            let trace = if sub == "fuzz" {
                std::fs::read(format!("{stem}.trace")).unwrap()
            } else {
                let Some(corpus) = shared_corpus() else { continue };
                let name = Path::new(stem).file_name().unwrap().to_str().unwrap().to_string();
                std::fs::read(corpus.join("derived-from-txtar").join(name + ".trace")).unwrap()
            };
            let want = std::fs::read(&path).unwrap();
            let want_err = std::fs::read_to_string(format!("{stem}.err")).ok();
            let (got, err) = dump(&trace);
            let (want, got) = if is_old_format(&trace) {
                (normalize_v1(&want), normalize_v1(&got))
            } else {
                (want, got)
            };
            assert!(want == got, "{stem}: {}", first_difference(&want, &got));
            match (want_err, err) {
                (None, None) => {}
                (Some(w), Some(e)) => {
                    let w = w.trim_end();
                    if w.starts_with("broken trace: failed to advance") {
                        // Go prints a multi-line dump of its internal state; we say it in one line.
                        assert!(e.to_string().starts_with("broken trace: failed to advance"), "{stem}: {e}");
                    } else {
                        assert_eq!(e.to_string(), w, "{stem}");
                    }
                }
                (w, e) => panic!("{stem}: Go error {w:?}, ours {e:?}"),
            }
            checked += 1;
        }
    }
    assert!(checked >= 17, "only {checked} recorded inputs checked");
}
