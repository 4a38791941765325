//! `schedstat bundles` against apshuffle (Go Tracing Toolbox) on the
//! committed Autoprof bundles (testdata/bundles, written by
//! testdata/bundlegen from real runtime/pprof profiles): for every flag
//! combination recorded in testdata/oracle/toolbox/apshuffle/cases.tsv, the
//! same bundles in the same order with the same values, read from the zips
//! as autoprof writes them and from the unpacked directories apshuffle reads;
//! `--write-links` makes apshuffle's links and nothing half-made; bundles
//! inside archives; `--json`; bad input exits as documented.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

mod common;
use common::{root, Scratch};

fn bundles_dir() -> PathBuf {
    root().join("testdata/bundles")
}

fn oracle() -> PathBuf {
    root().join("testdata/oracle/toolbox/apshuffle")
}

/// `schedstat bundles ARGS` run in DIR.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schedstat")).arg("bundles").args(args).current_dir(dir).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every bundle zip under testdata/bundles, as paths relative to it, sorted.
fn bundle_files() -> Vec<String> {
    fn walk(dir: &Path, rel: &str, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap();
            let r = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
            if e.file_type().unwrap().is_dir() {
                walk(&e.path(), &r, out);
            } else {
                out.push(r);
            }
        }
    }
    let mut out = Vec::new();
    walk(&bundles_dir(), "", &mut out);
    out.sort();
    out
}

/// The bundles unpacked into TO, each zip into a directory of the same
/// relative path (what apshuffle-oracle.sh gives apshuffle).
fn unpack_all(to: &Path) {
    for f in bundle_files() {
        let dest = to.join(&f);
        std::fs::create_dir_all(&dest).unwrap();
        let mut z = zip::ZipArchive::new(std::fs::File::open(bundles_dir().join(&f)).unwrap()).unwrap();
        z.extract(&dest).unwrap();
    }
}

/// The recorded cases: name and apshuffle's flags (`-flag` → our `--flag`).
fn cases() -> Vec<(String, Vec<String>)> {
    let tsv = std::fs::read_to_string(oracle().join("cases.tsv")).unwrap();
    tsv.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let mut cols = l.split('\t');
            let name = cols.next().unwrap().to_string();
            let args = cols.map(|a| if a.starts_with('-') { format!("-{a}") } else { a.to_string() }).collect();
            (name, args)
        })
        .collect()
}

fn check_cases_in(dir: &Path) {
    let cases = cases();
    assert!(cases.len() >= 25, "cases.tsv has {} cases", cases.len());
    for (name, args) in cases {
        let mut argv: Vec<&str> = args.iter().map(String::as_str).collect();
        argv.push(".");
        let o = run_in(dir, &argv);
        assert!(o.status.success(), "{name}: {argv:?}: {}", stderr(&o));
        let want = std::fs::read_to_string(oracle().join(format!("{name}.txt"))).unwrap();
        assert_eq!(stdout(&o), want, "{name}: `schedstat bundles {}` in {} differs from apshuffle", argv.join(" "), dir.display());
    }
}

#[test]
fn zipped_bundles_sort_as_apshuffle_sorts_them_unpacked() {
    // The zips' paths are the unpacked directories' paths (no extension, as
    // autoprof's storage keys), so the lines are apshuffle's byte for byte.
    check_cases_in(&bundles_dir());
}

#[test]
fn unpacked_bundles_sort_as_apshuffle() {
    let s = Scratch::new("unpacked");
    unpack_all(&s.0);
    check_cases_in(&s.0);
}

#[test]
fn the_fleet_is_what_the_recordings_need() {
    // Load that changes between snapshots: the goroutine totals of one
    // process differ, and the duplicate copy is the one kept (first in walk order).
    let goroutine = std::fs::read_to_string(oracle().join("goroutine.txt")).unwrap();
    let values: std::collections::BTreeSet<&str> = goroutine.lines().map(|l| l.rsplit(' ').next().unwrap()).collect();
    assert!(values.len() >= 5, "{goroutine}");
    assert!(goroutine.lines().any(|l| l.starts_with("copies/")));
    assert_eq!(goroutine.lines().count() + 1, bundle_files().len(), "one duplicate dropped");
    let with_trace = std::fs::read_to_string(oracle().join("goroutine-with-trace.txt")).unwrap();
    assert!((1..goroutine.lines().count()).contains(&with_trace.lines().count()));
    // Committed bundles stay small.
    let total: u64 = bundle_files().iter().map(|f| std::fs::metadata(bundles_dir().join(f)).unwrap().len()).sum();
    assert!(total < 1_500_000, "testdata/bundles is {total} bytes");
}

/// `LINK -> TARGET` for every symlink under DIR, relative to it, sorted.
fn links_under(dir: &Path) -> String {
    fn walk(dir: &Path, rel: &str, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap();
            let r = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
            let ty = e.file_type().unwrap();
            if ty.is_symlink() {
                out.push(format!("{r} -> {}", std::fs::read_link(e.path()).unwrap().display()));
            } else if ty.is_dir() {
                walk(&e.path(), &r, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out.sort();
    out.iter().map(|l| format!("{l}\n")).collect()
}

#[test]
fn write_links_makes_apshuffles_links_and_nothing_half_made() {
    let s = Scratch::new("links");
    unpack_all(&s.0);
    let want = std::fs::read_to_string(oracle().join("links.txt")).unwrap();
    let o = run_in(&s.0, &["--write-links", "."]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(links_under(&s.0), want);
    // What it prints is what it made.
    let printed_text = stdout(&o);
    let mut printed: Vec<&str> = printed_text.lines().collect();
    printed.sort();
    assert_eq!(printed.iter().map(|l| format!("{l}\n")).collect::<String>(), want);
    // No temporary names left behind; a second run replaces the links with the same.
    let o = run_in(&s.0, &["--write-links", "--json", "."]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["links"].as_array().unwrap().len(), want.lines().count());
    assert_eq!(links_under(&s.0), want);
    // The links lead where go tool pprof -base needs them: the previous bundle's profile.
    let first_prev = want.lines().find(|l| l.contains("/_link/prev ->")).unwrap();
    let link = first_prev.split(" -> ").next().unwrap();
    assert!(s.0.join(link).join("pprof/heap").is_file(), "{link}");

    // A `prev` that is not a symlink is left alone, and then nothing is written.
    let s2 = Scratch::new("links-conflict");
    unpack_all(&s2.0);
    let bundle = want.lines().rev().find(|l| l.contains("/_link/prev ->")).unwrap().split("/_link/").next().unwrap();
    std::fs::create_dir_all(s2.0.join(bundle).join("_link")).unwrap();
    std::fs::write(s2.0.join(bundle).join("_link/prev"), "mine").unwrap();
    let o = run_in(&s2.0, &["--write-links", "."]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("is not a symlink"), "{}", stderr(&o));
    assert_eq!(links_under(&s2.0), "");
    assert_eq!(std::fs::read_to_string(s2.0.join(bundle).join("_link/prev")).unwrap(), "mine");

    // Zipped bundles have no directory to link from: refused, nothing written.
    let o = run_in(&bundles_dir(), &["--write-links", "."]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is a zip"), "{}", stderr(&o));
    assert_eq!(links_under(&bundles_dir()), "");
}

#[test]
fn bundles_inside_archives() {
    // An archive (deflated, as `zip -r` makes) holding one host's bundle zips,
    // and one holding another host's bundles unpacked, both inside a third.
    let s = Scratch::new("archives");
    let files = bundle_files();
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut zipped = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for f in files.iter().filter(|f| f.starts_with("api-2.")) {
        zipped.start_file(f.as_str(), opts).unwrap();
        zipped.write_all(&std::fs::read(bundles_dir().join(f)).unwrap()).unwrap();
    }
    let zipped = zipped.finish().unwrap().into_inner();
    let mut unpacked = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for f in files.iter().filter(|f| f.starts_with("db-1.")) {
        let mut z = zip::ZipArchive::new(std::fs::File::open(bundles_dir().join(f)).unwrap()).unwrap();
        for i in 0..z.len() {
            let mut e = z.by_index(i).unwrap();
            unpacked.start_file(format!("{f}/{}", e.name().unwrap()), opts).unwrap();
            std::io::copy(&mut e, &mut unpacked).unwrap();
        }
    }
    let unpacked = unpacked.finish().unwrap().into_inner();
    let mut outer = zip::ZipWriter::new(std::fs::File::create(s.0.join("fleet.zip")).unwrap());
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    outer.start_file("a/api-2.zip", stored).unwrap();
    outer.write_all(&zipped).unwrap();
    outer.start_file("b/db-1.zip", opts).unwrap();
    outer.write_all(&unpacked).unwrap();
    outer.finish().unwrap();

    let o = run_in(&s.0, &["--profile-sort", "goroutine", "fleet.zip"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let want: String = std::fs::read_to_string(oracle().join("goroutine.txt"))
        .unwrap()
        .lines()
        .map(|l| match l.strip_prefix("copies/") {
            // The archive has the original of the copy apshuffle kept.
            Some(copy) => {
                let stamp = copy.split(' ').next().unwrap();
                let original = files.iter().find(|f| f.starts_with("db-1.") && f.ends_with(stamp)).unwrap();
                format!("{original}{}", &copy[stamp.len()..])
            }
            None => l.to_string(),
        })
        .filter_map(|l| {
            if l.starts_with("api-2.") {
                Some(format!("fleet.zip/a/api-2.zip/{l}\n"))
            } else if l.starts_with("db-1.") {
                Some(format!("fleet.zip/b/db-1.zip/{l}\n"))
            } else {
                None
            }
        })
        .collect();
    assert_eq!(stdout(&o), want);
    // --with-trace looks inside the archives too.
    let o = run_in(&s.0, &["--with-trace", "--hosts", "fleet.zip"]);
    assert_eq!(stdout(&o), "db-1.eu-west.example.com\napi-2.us-east.example.com\n");
}

#[test]
fn json_carries_the_text_values_and_the_bundles_meta() {
    let dir = bundles_dir();
    let text = stdout(&run_in(&dir, &["--profile-sort", "heap", "--sample-type", "inuse_space", "--vs-prev", "."]));
    let o = run_in(&dir, &["--json", "--profile-sort", "heap", "--sample-type", "inuse_space", "--vs-prev", "."]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["profile"], "heap");
    let rows = doc["bundles"].as_array().unwrap();
    let from_json: String = rows.iter().map(|r| format!("{} {}\n", r["path"].as_str().unwrap(), r["value"])).collect();
    assert_eq!(from_json, text);
    for r in rows {
        assert_eq!(r["sample_type"], "inuse_space");
        let prev = r["prev"].as_str().unwrap();
        assert!(prev != r["path"].as_str().unwrap());
        assert!(r["proc_id"].as_str().unwrap().starts_with("1-"));
    }

    // Without an action: every bundle once, in capture order, with its meta.
    let o = run_in(&dir, &["--json", "."]);
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    let list = doc["bundles"].as_array().unwrap();
    assert_eq!(list.len(), bundle_files().len() - 1);
    let times: Vec<&str> = list.iter().map(|b| b["capture_time"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert!(list.iter().any(|b| b["has_trace"] == true) && list.iter().any(|b| b["has_trace"] == false));
    assert!(list.iter().any(|b| b["go_version"] == "go1.25.5") && list.iter().any(|b| b["go_version"] == "go1.27.3"));
    let text = stdout(&run_in(&dir, &["."]));
    assert_eq!(text.lines().count(), list.len());

    let hosts: Value = serde_json::from_slice(&run_in(&dir, &["--json", "--hosts", "."]).stdout).unwrap();
    let want: Vec<String> = std::fs::read_to_string(oracle().join("hosts.txt")).unwrap().lines().map(String::from).collect();
    assert_eq!(hosts["hosts"], serde_json::json!(want));
}

#[test]
fn bad_input_is_one_line_and_the_documented_exit_code() {
    let s = Scratch::new("errors");
    let one_line = |o: &Output, code: i32, needle: &str| {
        assert_eq!(o.status.code(), Some(code), "{}", stderr(o));
        let e = stderr(o);
        assert_eq!(e.lines().count(), 1, "{e}");
        assert!(e.starts_with("schedstat: error: ") && e.contains(needle), "{e}");
        assert!(o.stdout.is_empty());
    };
    one_line(&run_in(&s.0, &["no/such/dir"]), 2, "no/such/dir");
    one_line(&run_in(&s.0, &["."]), 2, "no bundles under");
    one_line(&run_in(&bundles_dir(), &["--profile-sort", "goroutine", "--focus", "(", "."]), 2, "--focus");
    one_line(&run_in(&bundles_dir(), &["--profile-sort", "../meta", "."]), 2, "--profile-sort");
    std::fs::write(s.0.join("notes.txt"), "not a bundle").unwrap();
    one_line(&run_in(&s.0, &["notes.txt"]), 2, "neither a directory nor a zip");

    // A bundle whose meta is not autoprof's JSON, or a zip cut short: exit 1.
    let broken = s.0.join("broken/b1");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("meta"), "{\"proc_id\": ").unwrap();
    one_line(&run_in(&s.0, &["broken"]), 1, "broken/b1/meta");
    std::fs::write(broken.join("meta"), r#"{"proc_id":"1-x-1","capture_time":"last tuesday"}"#).unwrap();
    one_line(&run_in(&s.0, &["broken"]), 1, "RFC 3339");
    let first = bundle_files().into_iter().next().unwrap();
    let bytes = std::fs::read(bundles_dir().join(&first)).unwrap();
    std::fs::create_dir_all(s.0.join("cut")).unwrap();
    std::fs::write(s.0.join("cut/bundle"), &bytes[..bytes.len() / 2]).unwrap();
    one_line(&run_in(&s.0, &["cut/bundle"]), 1, "not a readable zip");
    // Met while searching, it is no bundle: a one-line warning, and the others are read.
    std::fs::write(s.0.join("cut/whole"), &bytes).unwrap();
    let o = run_in(&s.0, &["cut"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 1);
    assert!(stdout(&o).starts_with("cut/whole "));
    assert_eq!(stderr(&o).lines().count(), 1);
    assert!(stderr(&o).starts_with("schedstat: warning: skipped 1 file that start"), "{}", stderr(&o));
    // Inside a bundle, a file that starts like a zip is the bundle's data (a custom source).
    let custom = s.0.join("custom/b1");
    std::fs::create_dir_all(custom.join("custom")).unwrap();
    std::fs::write(custom.join("meta"), r#"{"proc_id":"1-x-1","capture_time":"2026-01-02T03:04:05.000Z"}"#).unwrap();
    std::fs::write(custom.join("custom/blob"), b"PK\x03\x04 and then no zip").unwrap();
    let o = run_in(&s.0, &["custom"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(0), ""));
    assert_eq!(stdout(&o), "custom/b1 2026-01-02T03:04:05.000Z - 1-x-1\n");

    // A profile that does not parse is left out with a one-line warning.
    let bad_profile = s.0.join("badprofile/b1");
    std::fs::create_dir_all(bad_profile.join("pprof")).unwrap();
    std::fs::write(bad_profile.join("meta"), r#"{"proc_id":"1-x-1","capture_time":"2026-01-02T03:04:05.000Z"}"#).unwrap();
    std::fs::write(bad_profile.join("pprof/goroutine"), [0x1f, 0x8b, 0, 1, 2]).unwrap();
    let o = run_in(&s.0, &["--profile-sort", "goroutine", "badprofile"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
    assert_eq!(stderr(&o).lines().count(), 1);
    assert!(stderr(&o).starts_with("schedstat: warning: left out 1 bundle whose pprof/goroutine does not parse"), "{}", stderr(&o));

    // Flags that only mean something with --profile-sort, and actions that exclude each other.
    for args in [&["--vs-prev", "."][..], &["--sample-type", "delay", "."], &["--focus", "x", "."], &["--hosts", "--write-links", "."]] {
        let o = run_in(&bundles_dir(), args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
}

/// The load each host's processes ran under (scripts/gen-bundles.sh) shows in
/// the goroutine totals, in capture order: rising on api-1, falling on api-2,
/// one spike in the middle on db-1. Checked on the committed bundles, and on
/// freshly written ones when SCHEDSTAT_LIVE_BUNDLES names a directory
/// `scripts/gen-bundles.sh DIR` wrote (scripts/test.sh does, with Go 1.27.3
/// and 1.25.5).
#[test]
fn each_processs_load_shows_in_its_goroutine_totals() {
    check_load_shapes(&bundles_dir());
    if let Some(dir) = std::env::var_os("SCHEDSTAT_LIVE_BUNDLES") {
        check_load_shapes(Path::new(&dir));
    }
}

fn check_load_shapes(dir: &Path) {
    let o = run_in(dir, &["--json", "--profile-sort", "goroutine", "."]);
    assert!(o.status.success(), "{}: {}", dir.display(), stderr(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    // proc_id → (hostname, [(capture_time, goroutines)])
    let mut procs: std::collections::BTreeMap<String, (String, Vec<(String, i64)>)> = Default::default();
    for b in doc["bundles"].as_array().unwrap() {
        let e = procs.entry(b["proc_id"].as_str().unwrap().to_string()).or_insert_with(|| (b["hostname"].as_str().unwrap().to_string(), vec![]));
        e.1.push((b["capture_time"].as_str().unwrap().to_string(), b["value"].as_i64().unwrap()));
    }
    assert_eq!(procs.len(), 4, "{}: four processes", dir.display());
    for (proc_id, (host, mut snaps)) in procs {
        snaps.sort();
        let counts: Vec<i64> = snaps.iter().map(|s| s.1).collect();
        let ok = if host.starts_with("api-1.") {
            counts.windows(2).all(|w| w[0] < w[1])
        } else if host.starts_with("api-2.") {
            counts.windows(2).all(|w| w[0] > w[1])
        } else {
            let mid = counts.len() / 2;
            counts.iter().enumerate().all(|(i, &c)| i == mid || c < counts[mid])
        };
        assert!(ok, "{}: {host} {proc_id}: goroutines {counts:?}", dir.display());
    }
}
