//! `schedstat scope` against the Go Tracing Toolbox's scope_tls and
//! scope_chart, whose outputs on every old-format trace we have are recorded
//! under testdata/oracle/toolbox/scope (by scripts/scope-oracle.sh; see its
//! README.md): the rows byte for byte, the chart byte for byte (one trace, and
//! two traces at once). Also, on the generator's tlsscope traces from Go 1.22
//! and 1.27, which scope_tls cannot read: the handshakes' samples, runtime/trace
//! regions (`--region rsaSign`, which lie inside the handshakes) and a
//! pattern-file kind; aggregation over several traces; errors and exit codes.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn recorded() -> PathBuf {
    root().join("testdata/oracle/toolbox/scope")
}

fn traces() -> PathBuf {
    root().join("testdata/oracle/toolbox/traces")
}

fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_schedstat")).current_dir(root()).args(args).output().unwrap()
}

fn ok_stdout(o: &Output, what: &str) -> String {
    assert!(o.status.success(), "{what}: exit {:?}, stderr {}", o.status, String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn first_diff(want: &str, got: &str) -> String {
    for (i, (a, b)) in want.lines().zip(got.lines()).enumerate() {
        if a != b {
            return format!("line {}:\n  toolbox: {a}\n  ours:    {b}", i + 1);
        }
    }
    format!("lengths differ: toolbox {} lines, ours {}", want.lines().count(), got.lines().count())
}

/// The tlsscope traces of every Go version we have.
fn tlsscope_traces() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for v in ["go1.21", "go1.22", "go1.25", "go1.27"] {
        for name in ["tlsscope.trace", "tlsscope-2.trace"] {
            let p = traces().join(v).join(name);
            if p.exists() {
                out.push(p);
            }
        }
    }
    assert!(out.len() >= 5, "tlsscope traces missing: {out:?}");
    out
}

/// One row: (region start, region length, frac as printed, stack).
fn parse_row(line: &str) -> (i64, i64, f64, Vec<String>) {
    let f: Vec<&str> = line.split(' ').collect();
    assert_eq!(f.len(), 8, "row with 8 fields (scope_chart skips others): {line}");
    assert_eq!((f[0], f[2], f[4], f[6]), ("start", "length", "frac", "stack"), "{line}");
    (f[1].parse().unwrap(), f[3].parse().unwrap(), f[5].parse().unwrap(), f[7].split(';').map(str::to_string).collect())
}

#[test]
fn rows_equal_scope_tls_on_every_old_format_trace() {
    let table = std::fs::read_to_string(recorded().join("scope.tsv")).unwrap();
    let mut with_rows = 0;
    let mut traces = 0;
    for line in table.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let trace = root().join("testdata").join(cols[0]);
        let got = ok_stdout(&run([Path::new("scope"), &trace]), cols[0]);
        let want_lines: usize = cols[1].parse().unwrap();
        let sha: String = Sha256::digest(got.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        if want_lines > 0 {
            let name =
                cols[0].trim_end_matches(".trace").replace("fixtures/", "").replace("oracle/toolbox/traces/", "");
            let want = std::fs::read_to_string(recorded().join(format!("{}.txt", name.replace('/', "-")))).unwrap();
            assert_eq!(want, got, "{}: {}", cols[0], first_diff(&want, &got));
            with_rows += 1;
        }
        assert_eq!((got.lines().count(), sha.as_str()), (want_lines, cols[2]), "{}", cols[0]);
        traces += 1;
    }
    assert!(traces >= 30, "{traces} traces recorded");
    assert!(with_rows >= 2, "{with_rows} traces with samples in handshakes");
}

#[test]
fn chart_equals_scope_chart() {
    for name in ["go1.21-tlsscope", "go1.21-tlsscope-2"] {
        let trace = traces().join(name.replacen('-', "/", 1) + ".trace");
        let got = ok_stdout(&run([Path::new("scope"), Path::new("--svg"), Path::new("-"), &trace]), name);
        let want = std::fs::read_to_string(recorded().join(format!("{name}.svg"))).unwrap();
        assert_eq!(want, got, "{name}: {}", first_diff(&want, &got));
    }
    // Across traces: a directory's traces, in sorted order, on one chart.
    let got =
        ok_stdout(&run([Path::new("scope"), Path::new("--svg"), Path::new("-"), &traces().join("go1.21")]), "dir");
    let want = std::fs::read_to_string(recorded().join("all-go1.21.svg")).unwrap();
    assert_eq!(want, got, "all-go1.21: {}", first_diff(&want, &got));
}

#[test]
fn several_traces_aggregate_in_order() {
    let a = traces().join("go1.21/tlsscope.trace");
    let b = traces().join("go1.27/tlsscope.trace");
    let one = ok_stdout(&run([Path::new("scope"), &a]), "a");
    let two = ok_stdout(&run([Path::new("scope"), &b]), "b");
    let both = ok_stdout(&run([Path::new("scope"), &a, &b]), "a b");
    assert_eq!(both, one.clone() + &two);
    // Read in parallel or one by one, a directory gives the same rows.
    let dir = traces();
    let serial = ok_stdout(&run([Path::new("scope"), Path::new("-j"), Path::new("1"), &dir]), "-j 1");
    let parallel = ok_stdout(&run([Path::new("scope"), Path::new("-j"), Path::new("3"), &dir]), "-j 3");
    assert_eq!(serial, parallel);
    assert!(serial.lines().count() >= 5 * 20);
    let json: serde_json::Value =
        serde_json::from_str(&ok_stdout(&run([Path::new("scope"), Path::new("--json"), &a, &b]), "json")).unwrap();
    let per_trace = json["traces"].as_array().unwrap();
    assert_eq!(per_trace.len(), 2);
    assert_eq!(per_trace[0]["samples"].as_u64().unwrap() as usize, one.lines().count());
    assert_eq!(per_trace[1]["samples"].as_u64().unwrap() as usize, two.lines().count());
    let samples = json["samples"].as_array().unwrap();
    assert_eq!(samples.len(), both.lines().count());
    for (s, row) in samples.iter().zip(both.lines()) {
        let (start, length, frac, stack) = parse_row(row);
        assert_eq!(s["region_start_ns"].as_i64().unwrap(), start);
        assert_eq!(s["region_length_ns"].as_i64().unwrap(), length);
        assert!((s["frac"].as_f64().unwrap() - frac).abs() <= 5e-7);
        let off = s["offset_ns"].as_i64().unwrap();
        assert!((0..length).contains(&off));
        assert_eq!(s["stack"].as_array().unwrap().len(), stack.len());
    }
}

/// The handshakes' samples are the client's CPU work: nearly all of them in
/// crypto/tls's client handshake, most signing (the RSA-3072 client key).
fn check_handshake_rows(what: &str, out: &str) {
    let rows: Vec<_> = out.lines().map(parse_row).collect();
    assert!(rows.len() >= 20, "{what}: {} samples in handshakes", rows.len());
    let in_handshake =
        rows.iter().filter(|r| r.3.iter().any(|f| f.starts_with("crypto/tls.(*clientHandshakeState)"))).count();
    let signing = rows.iter().filter(|r| r.3.iter().any(|f| f.starts_with("crypto/rsa."))).count();
    assert!(in_handshake * 10 >= rows.len() * 9, "{what}: {in_handshake} of {} in the handshake", rows.len());
    assert!(signing * 2 >= rows.len(), "{what}: {signing} of {} signing", rows.len());
    for r in &rows {
        assert!(r.1 > 0 && (0.0..=1.0).contains(&r.2), "{what}: {r:?}");
    }
}

#[test]
fn handshakes_on_every_trace_version() {
    for t in tlsscope_traces() {
        let out = ok_stdout(&run([Path::new("scope"), &t]), &t.display().to_string());
        check_handshake_rows(&t.display().to_string(), &out);
    }
}

/// (goroutine, absolute time) of each placed sample.
fn sample_set(json: &serde_json::Value) -> HashSet<(u64, i64)> {
    json["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["g"].as_u64().unwrap(), s["region_start_ns"].as_i64().unwrap() + s["offset_ns"].as_i64().unwrap()))
        .collect()
}

#[test]
fn runtime_trace_regions_and_pattern_kinds() {
    for t in tlsscope_traces() {
        let what = t.display().to_string();
        // Each handshake signs inside a region of type rsaSign, on its goroutine.
        let out = ok_stdout(&run([Path::new("scope"), Path::new("--region"), Path::new("rsaSign"), &t]), &what);
        let rows: Vec<_> = out.lines().map(parse_row).collect();
        assert!(rows.len() >= 20, "{what}: {} samples in rsaSign regions", rows.len());
        for r in &rows {
            assert!(r.3.iter().any(|f| f == "main.regionSigner.Sign"), "{what}: sample outside the signer: {r:?}");
        }
        // The other region type is on the client goroutines, which wait.
        let other = ok_stdout(&run([Path::new("scope"), Path::new("--region"), Path::new("noSuchRegion"), &t]), &what);
        assert!(other.is_empty());
        // New-format traces: the same times for both, so the signing regions'
        // samples are among the handshakes' (signing is inside scope_tls's window).
        if !what.contains("go1.21") {
            let json = |args: &[&str]| -> serde_json::Value {
                let mut a: Vec<&std::ffi::OsStr> = vec!["scope".as_ref(), "--json".as_ref()];
                a.extend(args.iter().map(|s| std::ffi::OsStr::new(*s)));
                a.push(t.as_os_str());
                serde_json::from_str(&ok_stdout(&run(a), &what)).unwrap()
            };
            let signing = sample_set(&json(&["--region", "rsaSign"]));
            let handshakes = sample_set(&json(&[]));
            assert!(signing.is_subset(&handshakes), "{what}: signing samples outside the handshakes");
            // The example pattern file's client handshake (from HandshakeContext's
            // start to its end) holds the scope_tls window, so all its samples.
            let kind =
                sample_set(&json(&["--kind", "client/tls_handshake", "--patterns", "testdata/requests/tls.patterns"]));
            assert!(handshakes.is_subset(&kind), "{what}: handshake samples outside client/tls_handshake regions");
        }
    }
}

#[test]
fn errors_are_one_line_with_documented_exit_codes() {
    let tmp = std::env::temp_dir().join(format!("schedstat-scope-test-{}", std::process::id()));
    std::fs::create_dir_all(tmp.join("empty")).unwrap();
    let p = |p: &Path| p.display().to_string();
    let not_trace = p(&tmp.join("not.trace"));
    std::fs::write(&not_trace, "hello\n").unwrap();
    let good = p(&traces().join("go1.27/tlsscope.trace"));
    let bad_patterns = p(&tmp.join("bad.patterns"));
    std::fs::write(&bad_patterns, "kind x\n  match \"(\"\n").unwrap();
    let empty = p(&tmp.join("empty"));
    let missing = p(&tmp.join("missing"));
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["scope", &empty], 2, "no trace files found"),
        (vec!["scope", &missing], 2, "missing"),
        (vec!["scope", "--kind", "nope", &good], 2, "no kind \"nope\""),
        (vec!["scope", "--kind", "x", "--patterns", &bad_patterns, &good], 2, "bad.patterns:2:"),
        (vec!["scope", &not_trace, &good], 1, "not a Go execution trace"),
        (vec!["scope", "--json", "--svg", "-", &good], 2, "both write to stdout"),
    ];
    for (args, code, msg) in cases {
        let o = run(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(msg), "{args:?}: {err}");
    }
    // The readable trace's rows are still printed after the bad one.
    let o = run(["scope", &not_trace, &good]);
    assert!(String::from_utf8_lossy(&o.stdout).lines().count() >= 20);
    // A trace cut after some complete generations: exit 3, the others still read.
    let whole = std::fs::read(root().join("testdata/fixtures/go1.27/multigen.trace")).unwrap();
    let cut = p(&tmp.join("cut.trace"));
    std::fs::write(&cut, &whole[..whole.len() * 7 / 10]).unwrap();
    let o = run(["scope", &cut, &good]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("complete generations"), "{err}");
    assert!(String::from_utf8_lossy(&o.stdout).lines().count() >= 20);
    std::fs::remove_dir_all(&tmp).unwrap();
}

/// A profile sample: its function names root first, and its numeric labels
/// region_start, region_length, sample_offset as (key, value, unit).
type ProfileSample = (Vec<String>, Vec<(String, i64, String)>);

/// Each sample of a pprof profile.
fn profile_samples(path: &Path, leaf_first: bool) -> Vec<ProfileSample> {
    let p = export::pprof::decode(&std::fs::read(path).unwrap()).unwrap();
    let s = |i: i64| String::from_utf8_lossy(&p.string_table[i as usize]).into_owned();
    let func = |loc: u64| {
        let l = p.location.iter().find(|l| l.id == loc).unwrap();
        let f = p.function.iter().find(|f| f.id == l.line[0].function_id).unwrap();
        s(f.name)
    };
    let mut out: Vec<_> = p
        .sample
        .iter()
        .map(|smp| {
            let mut funcs: Vec<String> = smp.location_id.iter().map(|&l| func(l)).collect();
            if leaf_first {
                funcs.reverse();
            }
            let mut labels: Vec<(String, i64, String)> = smp
                .label
                .iter()
                .map(|l| (s(l.key), l.num, s(l.num_unit)))
                .filter(|l| ["region_start", "region_length", "sample_offset"].contains(&l.0.as_str()))
                .collect();
            labels.sort();
            assert_eq!(smp.value, vec![1, 10_000_000]);
            (funcs, labels)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn profile_equals_scope_tls_output() {
    // scope_tls writes each stack root first (pprof's order is leaf first, ours).
    for name in ["go1.21-tlsscope", "go1.21-tlsscope-2"] {
        let trace = traces().join(name.replacen('-', "/", 1) + ".trace");
        let out = std::env::temp_dir().join(format!("schedstat-scope-{name}-{}.pb.gz", std::process::id()));
        ok_stdout(&run([Path::new("scope"), Path::new("--output"), &out, &trace]), name);
        let ours = profile_samples(&out, true);
        let theirs = profile_samples(&recorded().join(format!("{name}.pb.gz")), false);
        assert!(ours.len() >= 20, "{name}: {} samples", ours.len());
        assert_eq!(ours, theirs, "{name}");
        std::fs::remove_file(&out).unwrap();
    }
}
