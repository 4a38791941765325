//! Conformance on the shared corpus: byte-identical to Go 1.27.3's
//! `go tool trace -d=parsed` on every v2 trace Go accepts, and the same
//! rejections (with the same stdout before the error) on those it refuses.

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
fn v2_traces_dump_exactly_like_go() {
    let Some(corpus) = shared_corpus() else { return };
    let mut checked = 0;
    let mut old_format = 0;
    for entry in std::fs::read_dir(corpus.join("expected-parsed")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let Some(stem) = name.strip_suffix(".parsed.gz") else { continue };
        let src = source_of(&corpus, stem);
        let data = std::fs::read(&src).unwrap();
        if matches!(&data.get(..8), Some(b"go 1.11 ") | Some(b"go 1.19 ") | Some(b"go 1.21 ")) {
            // The old format is not read yet: it must be refused plainly, never misread.
            let (out, err) = dump(&data);
            assert!(out.is_empty(), "{stem}: old-format trace produced events");
            let msg = err.expect("old-format trace must be refused").to_string();
            assert!(msg.contains("old trace format"), "{stem}: {msg}");
            old_format += 1;
            continue;
        }
        let want = gunzip(&path);
        let (got, err) = dump(&data);
        assert!(err.is_none(), "{stem}: unexpected error {err:?}");
        assert!(want == got, "{stem}: differs from go tool trace -d=parsed at {}", first_difference(&want, &got));
        checked += 1;
    }
    assert!(checked >= 22, "only {checked} v2 traces checked");
    assert!(old_format >= 10);
}

#[test]
fn rejections_match_go() {
    let Some(corpus) = shared_corpus() else { return };
    let errors = std::fs::read_to_string(corpus.join("expected-parsed/ERRORS.txt")).unwrap();
    let mut checked = 0;
    for line in errors.lines() {
        let Some((file, go_err)) = line.split_once(": ") else { continue };
        let data = std::fs::read(corpus.join(file)).unwrap();
        let (out, err) = dump(&data);
        let err = err.unwrap_or_else(|| panic!("{file}: Go rejects it ({go_err}) but we read it"));
        let ours = err.to_string();
        if go_err.starts_with("unknown or unsupported trace version") || go_err.starts_with("bad file format") {
            assert_eq!(ours, go_err, "{file}");
            assert!(out.is_empty());
        } else if file.starts_with("derived-from-txtar/") {
            // v2 traces Go rejects while ordering: same message (the stdout before it
            // is compared in go_fuzz_corpus_and_rejections_match_recorded_go_output).
            assert_eq!(ours, go_err, "{file}");
            assert!(!out.is_empty(), "{file}");
        } else {
            // Old-format files Go rejects for old-format reasons: we refuse the format itself.
            assert!(ours.contains("old trace format"), "{file}: {ours}");
        }
        checked += 1;
    }
    assert!(checked > 40, "only {checked} rejections checked");
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
            let v1 = trace.starts_with(b"go 1.11 ") || trace.starts_with(b"go 1.19 ") || trace.starts_with(b"go 1.21 ");
            if !v1 {
                assert!(want == got, "{stem}: {}", first_difference(&want, &got));
            }
            match (want_err, err) {
                (None, None) => {}
                (Some(w), Some(e)) => {
                    let w = w.trim_end();
                    if v1 {
                        assert!(e.to_string().contains("old trace format"), "{stem}: {e}");
                    } else if w.starts_with("broken trace: failed to advance") {
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
