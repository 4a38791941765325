//! `schedstat grep`, `states`, `stw`, `requests` and `etviz` against the Go
//! Tracing Toolbox's etgrep, grstates, unstoppable, regiongraph and etviz,
//! whose outputs on our fixtures are
//! recorded under testdata/oracle/toolbox (by scripts/toolbox-oracle.sh; see
//! its README.md): line for line for grep and stw, node for node and edge for
//! edge (with counts, in grstates's order) for states. Also: the fixtures the
//! toolbox cannot read (Go 1.26+) are read, bad patterns get one-line errors
//! pointing at the bad token, and the documented exit codes.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn oracle() -> PathBuf {
    root().join("testdata/oracle/toolbox")
}

fn fixture(fx: &str) -> PathBuf {
    root().join("testdata/fixtures").join(format!("{fx}.trace"))
}

fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_schedstat")).args(args).output().unwrap()
}

fn ok_stdout(o: &Output, what: &str) -> String {
    assert!(o.status.success(), "{what}: exit {:?}, stderr {}", o.status, String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn gunzip(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut s = String::new();
    flate2::read::GzDecoder::new(bytes.as_slice()).read_to_string(&mut s).unwrap();
    s
}

/// Data lines of a recorded TSV, split on tabs.
fn tsv(name: &str) -> Vec<Vec<String>> {
    std::fs::read_to_string(oracle().join(name))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

/// The first line where two outputs differ, for a readable failure.
fn first_diff(want: &str, got: &str) -> String {
    for (i, (a, b)) in want.lines().zip(got.lines()).enumerate() {
        if a != b {
            return format!("line {}:\n  toolbox: {a}\n  ours:    {b}", i + 1);
        }
    }
    format!("line counts differ: toolbox {} ours {}", want.lines().count(), got.lines().count())
}

/// `fx` as in the recordings' names: `go1.22/http` → `go1.22-http`.
fn flat(fx: &str) -> String {
    fx.replace('/', "-")
}

#[test]
fn grep_equals_etgrep_on_every_fixture_it_reads() {
    let rows = tsv("etgrep.tsv");
    assert!(rows.len() >= 70, "recorded fixtures: {}", rows.len());
    for row in &rows {
        let (fx, lines, sha) = (&row[0], &row[1], &row[2]);
        let out = ok_stdout(&run([Path::new("grep"), Path::new("--stacks"), &fixture(fx)]), fx);
        let full = oracle().join("etgrep").join(format!("{}.txt.gz", flat(fx)));
        if full.exists() {
            let want = gunzip(&full);
            assert!(want == out, "{fx}: {}", first_diff(&want, &out));
        }
        assert_eq!(out.lines().count().to_string(), *lines, "{fx}: line count");
        assert_eq!(analysis::toolbox::stw::sha256_hex(out.as_bytes()), *sha, "{fx}: output digest");
    }
}

#[test]
fn grep_filters_equal_etgrep() {
    let times = tsv("grep-times.tsv");
    let cases = tsv("grep-cases.tsv");
    assert!(cases.len() >= 20);
    for c in &cases {
        let (name, fx) = (&c[0], &c[1]);
        let mut args: Vec<String> = vec!["grep".into()];
        for a in &c[2..] {
            if a == "TIME_OF_100TH" {
                let t = times.iter().find(|t| &t[0] == name && &t[1] == fx).expect("recorded time");
                args.push(t[2].clone());
            } else if let Some(flag) = a.strip_prefix('-').filter(|f| f.chars().all(|c| c.is_ascii_lowercase())) {
                // etgrep's single-dash flags are our double-dash ones.
                args.push(format!("--{flag}"));
            } else {
                args.push(a.clone());
            }
        }
        args.push(fixture(fx).display().to_string());
        let out = ok_stdout(&run(&args), &format!("{name} {fx}"));
        let want = gunzip(&oracle().join("grep").join(format!("{name}-{}.txt.gz", flat(fx))));
        assert!(want == out, "{name} {fx} ({args:?}): {}", first_diff(&want, &out));
    }
}

/// A DOT file without tooltips and comments (grstates labels most edges with
/// a zero event there; ours names the earliest event), line by line.
fn dot_graph(dot: &str) -> Vec<String> {
    dot.lines()
        .map(|l| match l.find(",tooltip=") {
            Some(i) if l.ends_with("];") => format!("{}];", &l[..i]),
            _ => l.to_string(),
        })
        .collect()
}

#[test]
fn states_equal_grstates_on_every_fixture_it_reads() {
    let mut n = 0;
    for row in tsv("etgrep.tsv") {
        let fx = &row[0];
        let want = gunzip(&oracle().join("grstates").join(format!("{}.dot.gz", flat(fx))));
        let out = ok_stdout(&run([Path::new("states"), &fixture(fx), Path::new("--dot"), Path::new("-")]), fx);
        let (w, g) = (dot_graph(&want), dot_graph(&out));
        assert!(w == g, "{fx}: {}", first_diff(&w.join("\n"), &g.join("\n")));
        n += 1;
        if !fx.starts_with("go1.25/") {
            continue;
        }
        // The JSON has the same edges.
        let json: serde_json::Value = serde_json::from_str(&ok_stdout(&run([Path::new("states"), Path::new("--json"), &fixture(fx)]), fx)).unwrap();
        let edges = json["edges"].as_array().unwrap().len();
        assert_eq!(edges, w.iter().filter(|l| l.contains(" -> ")).count(), "{fx}: JSON edges");
    }
    assert!(n >= 70);
}

/// `states --json` is the same on every run (hash maps iterate in a
/// different order in each process: an example stack or an edge order taken
/// from one would change from run to run), on every Go 1.21 and 1.25 fixture
/// and the toolbox's own traces.
#[test]
fn states_json_is_the_same_on_every_run() {
    let mut n = 0;
    // The webstack traces have stacks that differ only in PCs and draw as one
    // node (the case that once took its example from the map's order).
    let dirs = [
        root().join("testdata/fixtures/go1.21"),
        root().join("testdata/fixtures/go1.25"),
        oracle().join("traces/go1.21"),
        oracle().join("traces/go1.27"),
    ];
    for dir in dirs {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("trace") {
                continue;
            }
            let once = || ok_stdout(&run([Path::new("states"), Path::new("--json"), &path]), "states --json");
            let first = once();
            for _ in 0..3 {
                let again = once();
                assert!(again == first, "{}: {}", path.display(), first_diff(&first, &again));
            }
            n += 1;
        }
    }
    assert!(n >= 20, "only {n} fixtures");
}

#[test]
fn stw_equals_unstoppable_on_every_fixture_it_reads() {
    let mut with_ranges = 0;
    for row in tsv("etgrep.tsv") {
        let fx = &row[0];
        let want = std::fs::read_to_string(oracle().join("unstoppable").join(format!("{}.txt", flat(fx)))).unwrap();
        let out = ok_stdout(&run([Path::new("stw"), Path::new("--print-stacks"), &fixture(fx)]), fx);
        assert!(want == out, "{fx}: {}", first_diff(&want, &out));
        with_ranges += usize::from(!want.is_empty());
    }
    assert!(with_ranges >= 50, "fixtures with stop-the-world ranges: {with_ranges}");
}

#[test]
fn toolbox_limits_removed_for_go_1_26_and_later() {
    let refused = tsv("unreadable.tsv");
    assert!(refused.iter().any(|r| r[0].starts_with("go1.27/")), "the recordings say the toolbox refuses Go 1.26+");
    for r in &refused {
        let fx = &r[0];
        let g = ok_stdout(&run([Path::new("grep"), &fixture(fx)]), fx);
        assert!(g.lines().count() > 20, "{fx}: grep");
        let d = ok_stdout(&run([Path::new("states"), &fixture(fx)]), fx);
        assert!(d.starts_with("digraph A {\n") && d.contains(" -> "), "{fx}: states");
        ok_stdout(&run([Path::new("stw"), &fixture(fx)]), fx);
    }
}

#[test]
fn bad_patterns_point_at_the_token() {
    let f = fixture("go1.27/mutex");
    for (pat, needle) in [
        ("Foo \"**\"", "unknown event kind \"Foo\" (use Any or one of Sync, Metric"),
        ("Foo \"**\"", "at column 1 in: Foo"),
        ("Any \"**\" \"sync.(Mutex\"", "invalid regexp \"sync.(Mutex\""),
        ("Any \"**\" main.main", "at column 10"),
        ("Any \"a\\.b\"", "invalid escape \\."),
        ("Any \"open", "unterminated quoted stack spec"),
    ] {
        let o = run([Path::new("grep"), Path::new("--match"), Path::new(pat), &f]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{pat}: {err}");
        assert!(o.stdout.is_empty(), "{pat}");
        assert_eq!(err.lines().count(), 1, "{pat}: {err}");
        assert!(err.starts_with("schedstat: error: --match: ") && err.contains(needle), "{pat}: {err}");
    }
}

#[test]
fn svg_without_dot_is_a_one_line_hint() {
    let empty = std::env::temp_dir().join(format!("schedstat-toolbox-nopath-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let out = empty.join("g.svg");
    let o = Command::new(env!("CARGO_BIN_EXE_schedstat"))
        .env("PATH", &empty)
        .args([Path::new("states"), &fixture("go1.27/mutex"), Path::new("--svg"), &out])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("Graphviz") && err.contains("--dot"), "{err}");
    assert!(!out.exists());
    let _ = std::fs::remove_dir_all(&empty);
}

#[test]
fn stw_profile_and_json() {
    let dir = std::env::temp_dir().join(format!("schedstat-toolbox-stw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let prof = dir.join("stw.pb.gz");
    let f = fixture("go1.27/gc");
    let text = ok_stdout(&run([Path::new("stw"), Path::new("--profile"), &prof, &f]), "stw --profile");
    let p = export::pprof::decode(&std::fs::read(&prof).unwrap()).unwrap();
    let st = |i: i64| String::from_utf8_lossy(&p.string_table[i as usize]).into_owned();
    let types: Vec<String> = p.sample_type.iter().map(|v| format!("{}/{}", st(v.r#type), st(v.unit))).collect();
    assert_eq!(types, ["samples/count", "offset/nanoseconds"]);
    assert_eq!(st(p.default_sample_type), "samples");
    let json: serde_json::Value =
        serde_json::from_str(&ok_stdout(&run([Path::new("stw"), Path::new("--json"), &f]), "stw --json")).unwrap();
    let ranges = json.as_array().unwrap();
    assert_eq!(ranges.len(), text.lines().count());
    assert!(!ranges.is_empty());
    for r in ranges {
        let t = |k: &str| r[k].as_i64().unwrap();
        assert!(r["name"].as_str().unwrap().starts_with("stop-the-world ("), "{r}");
        assert!(t("request_ns") <= t("end_ns"));
        let samples: usize = r["samples"].as_array().unwrap().len();
        assert!(samples <= r["samples_total"].as_u64().unwrap() as usize);
    }
    assert_eq!(p.sample.len(), ranges.iter().map(|r| r["samples"].as_array().unwrap().len()).sum::<usize>());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Each sample of a pprof profile as `frames | values | labels`, sorted, so
/// two profiles compare sample for sample whatever their IDs and order.
fn samples_of(p: &export::pprof::pb::Profile) -> Vec<String> {
    let st = |i: i64| String::from_utf8_lossy(&p.string_table[i as usize]).into_owned();
    let funcs: std::collections::HashMap<u64, &export::pprof::pb::Function> = p.function.iter().map(|f| (f.id, f)).collect();
    let locs: std::collections::HashMap<u64, &export::pprof::pb::Location> = p.location.iter().map(|l| (l.id, l)).collect();
    let (funcs, locs, st) = (&funcs, &locs, &st);
    let mut out: Vec<String> = p
        .sample
        .iter()
        .map(|s| {
            let frames: Vec<String> = s
                .location_id
                .iter()
                .flat_map(|id| {
                    let l = locs[id];
                    l.line.iter().map(move |ln| {
                        let f = funcs[&ln.function_id];
                        format!("{:#x} {} {}:{}", l.address, st(f.name), st(f.filename), ln.line)
                    })
                })
                .collect();
            let mut labels: Vec<String> = s
                .label
                .iter()
                .map(|l| if l.str != 0 { format!("{}={}", st(l.key), st(l.str)) } else { format!("{}={}{}", st(l.key), l.num, st(l.num_unit)) })
                .collect();
            labels.sort();
            format!("{} | {:?} | {}", frames.join(" < "), s.value, labels.join(" "))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn stw_samples_and_profile_equal_unstoppable() {
    let trace = oracle().join("traces/go1.25/stwprofile.trace");
    let dir = std::env::temp_dir().join(format!("schedstat-toolbox-stwprof-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (flags, file) in [(vec![], "extra-go1.25-stwprofile.txt"), (vec!["--grace", "50us"], "extra-go1.25-stwprofile-grace50us.txt")] {
        let mut args: Vec<std::ffi::OsString> = vec!["stw".into(), "--print-stacks".into()];
        args.extend(flags.iter().map(Into::into));
        args.push(trace.clone().into());
        let out = ok_stdout(&run(&args), file);
        let want = std::fs::read_to_string(oracle().join("unstoppable").join(file)).unwrap();
        assert!(want == out, "{file}: {}", first_diff(&want, &out));
        assert!(out.lines().filter(|l| l.starts_with("pre-stop +")).count() >= 5, "{file}: samples in pre-stop parts");
    }
    let prof = dir.join("stw.pb.gz");
    ok_stdout(&run([Path::new("stw"), Path::new("--profile"), &prof, &trace]), "stw --profile");
    let ours = export::pprof::decode(&std::fs::read(&prof).unwrap()).unwrap();
    let theirs = export::pprof::decode(&std::fs::read(oracle().join("unstoppable/extra-go1.25-stwprofile.pb.gz")).unwrap()).unwrap();
    let (o, t) = (samples_of(&ours), samples_of(&theirs));
    assert!(!o.is_empty());
    assert!(o == t, "profiles differ:\n ours    {:?}\n toolbox {:?}", o.first(), t.first());
    assert_eq!(export::pprof::canonical_text(&ours).unwrap(), export::pprof::canonical_text(&theirs).unwrap());
    // Go 1.27, which unstoppable cannot read: samples found there too.
    let json: serde_json::Value = serde_json::from_str(&ok_stdout(
        &run([Path::new("stw"), Path::new("--json"), &oracle().join("traces/go1.27/stwprofile.trace")]),
        "go1.27 stwprofile",
    ))
    .unwrap();
    let samples: usize = json.as_array().unwrap().iter().map(|r| r["samples"].as_array().unwrap().len()).sum();
    assert!(samples >= 3, "samples in Go 1.27 stop-the-worlds: {samples}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn grep_json_lines_carry_the_text_lines() {
    for fx in ["go1.27/http", "go1.21/mutex"] {
        let text = ok_stdout(&run([Path::new("grep"), Path::new("--goroutine"), Path::new("1"), &fixture(fx)]), fx);
        let json = ok_stdout(&run([Path::new("grep"), Path::new("--json"), Path::new("--goroutine"), Path::new("1"), &fixture(fx)]), fx);
        let lines: Vec<String> = json
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                assert_eq!(v["goroutine"], 1, "{fx}: {l}");
                v["line"].as_str().unwrap().to_string()
            })
            .collect();
        assert!(!lines.is_empty());
        assert_eq!(lines.join("\n") + "\n", text, "{fx}");
    }
    let o = run([Path::new("grep"), Path::new("--json"), Path::new("--sort"), Path::new("goroutine"), &fixture("go1.27/http")]);
    assert_eq!(o.status.code(), Some(2));
}

/// With Graphviz installed (Debian's graphviz package), --svg draws every
/// node and edge of the DOT graph; without it, see `svg_without_dot_is_a_one_line_hint`.
#[test]
fn svg_has_every_node_and_edge_when_dot_is_installed() {
    let has_dot = std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("dot").is_file()));
    if !has_dot {
        eprintln!("svg_has_every_node_and_edge_when_dot_is_installed: Graphviz's dot is not on PATH; only the hint is tested");
        return;
    }
    let dir = std::env::temp_dir().join(format!("schedstat-toolbox-svg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("g.svg");
    let f = fixture("go1.27/http");
    let dot = ok_stdout(&run([Path::new("states"), &f, Path::new("--dot"), Path::new("-"), Path::new("--svg"), &svg]), "states --svg");
    let s = std::fs::read_to_string(&svg).unwrap();
    assert!(s.contains("<svg width=\"100%\" height=\"100%\""), "{}", &s[..s.len().min(400)]);
    // Graphviz titles each node with its name and each edge with `a->b`.
    let mut want: Vec<String> = dot
        .lines()
        .filter_map(|l| l.trim().split(' ').next().map(str::to_string).filter(|_| l.ends_with("];")))
        .collect();
    want.extend(dot.lines().filter(|l| l.contains(" -> ")).map(|l| {
        let mut w = l.trim().split(' ');
        let (a, _, b) = (w.next().unwrap(), w.next(), w.next().unwrap());
        format!("{a}&#45;&gt;{b}")
    }));
    want.retain(|w| w.starts_with('h'));
    want.sort();
    want.dedup();
    let mut got: Vec<String> = s
        .split("<title>")
        .skip(1)
        .filter_map(|t| t.split("</title>").next())
        .filter(|t| t.starts_with('h'))
        .map(str::to_string)
        .collect();
    got.sort();
    got.dedup();
    assert_eq!(got, want);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The flags of a regiongraph.tsv mode, ours.
fn requests_flags(mode: &str) -> &'static [&'static str] {
    match mode {
        "regions" => &["--show-regions"],
        "chains" => &["--show-chains"],
        "pairs" => &["--show-pairs"],
        "json" => &["--json"],
        "summarize" => &["--json", "--summarize"],
        other => panic!("unknown mode {other}"),
    }
}

/// `fixtures/go1.21/http.trace` → `go1.21-http`, `corpus/a/b` → `corpus-a-b`, as the recordings name them.
fn rg_name(trace: &str) -> String {
    trace
        .trim_start_matches("fixtures/")
        .trim_start_matches("oracle/toolbox/traces/")
        .trim_end_matches(".trace")
        .replace('/', "-")
}

#[test]
fn requests_equal_regiongraph_on_every_old_format_trace() {
    let rows = tsv("regiongraph.tsv");
    assert!(rows.len() >= 5 * 50, "recorded rows: {}", rows.len());
    let corpus = root().join("../shared/testdata/go-corpus");
    if !corpus.is_dir() {
        assert!(
            std::env::var_os("SCHEDSTAT_NO_SHARED_CORPUS").is_some(),
            "the shared corpus is missing at {}; place shared/ beside the clone or set SCHEDSTAT_NO_SHARED_CORPUS=1",
            corpus.display()
        );
    }
    let mut with_regions = 0;
    for row in &rows {
        let (trace, mode, lines, sha) = (&row[0], &row[1], &row[2], &row[3]);
        let path = match trace.strip_prefix("corpus/") {
            Some(rel) if corpus.is_dir() => corpus.join(rel),
            Some(_) => continue,
            None => root().join("testdata").join(trace),
        };
        let mut args: Vec<std::ffi::OsString> = vec!["requests".into()];
        args.extend(requests_flags(mode).iter().map(Into::into));
        args.push(path.into());
        let mut out = ok_stdout(&run(&args), &format!("{trace} {mode}"));
        if mode == "chains" || mode == "pairs" {
            // regiongraph prints these in Go's map order; the recording is sorted.
            let mut l: Vec<&str> = out.lines().collect();
            l.sort_unstable();
            out = l.iter().map(|s| format!("{s}\n")).collect();
        }
        let full = oracle().join("regiongraph").join(format!("{}.{mode}.txt.gz", rg_name(trace)));
        if full.exists() {
            with_regions += 1;
            let want = gunzip(&full);
            assert!(want == out, "{trace} {mode}: {}", first_diff(&want, &out));
        }
        assert_eq!(out.lines().count().to_string(), *lines, "{trace} {mode}: line count");
        assert_eq!(analysis::toolbox::stw::sha256_hex(out.as_bytes()), *sha, "{trace} {mode}: output digest");
    }
    assert!(with_regions >= 20, "traces with regions x modes: {with_regions}");
}

/// An SVG as etviz's structure: the header, then each band's elements (up
/// to its label, or a separator) as a sorted list. etviz draws a band's
/// waits and assists in Go's map order, which changes from run to run, so
/// only the order inside a band is left out.
fn svg_bands(svg: &str) -> Vec<Vec<String>> {
    let mut out = vec![svg.lines().take(5).map(str::to_string).collect::<Vec<_>>()];
    let mut cur: Vec<String> = Vec::new();
    for l in svg.lines().skip(5) {
        let sep = l.contains("fill=\"lightgrey\"");
        if sep && !cur.is_empty() {
            cur.sort();
            out.push(std::mem::take(&mut cur));
        }
        cur.push(l.to_string());
        if l.starts_with("<text") || sep || l == "</svg>" {
            cur.sort();
            out.push(std::mem::take(&mut cur));
        }
    }
    assert!(cur.is_empty(), "trailing elements");
    out
}

fn first_band_diff(want: &[Vec<String>], got: &[Vec<String>]) -> String {
    for (i, (a, b)) in want.iter().zip(got).enumerate() {
        if a != b {
            return format!("band {i}:\n  etviz: {a:?}\n  ours:  {b:?}");
        }
    }
    format!("band counts differ: etviz {} ours {}", want.len(), got.len())
}

#[test]
fn etviz_equals_etviz_band_for_band() {
    let dir = oracle().join("etviz");
    let mut n = 0;
    let tmp = std::env::temp_dir().join(format!("schedstat-etviz-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        let file = path.file_name().unwrap().to_str().unwrap().to_string();
        let (name, details) = match file.strip_suffix("-details.svg.gz") {
            Some(n) => (n.to_string(), true),
            None => (file.strip_suffix(".svg.gz").unwrap().to_string(), false),
        };
        let want = svg_bands(&gunzip(&path));
        // etviz's input: regiongraph's own JSON.
        let input = tmp.join(format!("{name}.json"));
        std::fs::write(&input, gunzip(&oracle().join("regiongraph").join(format!("{name}.summarize.txt.gz")))).unwrap();
        let svg = tmp.join(format!("{file}.svg"));
        let mut args: Vec<std::ffi::OsString> = vec!["etviz".into(), input.into(), "-o".into(), svg.clone().into()];
        if details {
            args.push("--details".into());
        }
        ok_stdout(&run(&args), &file);
        let got = svg_bands(&std::fs::read_to_string(&svg).unwrap());
        assert!(want == got, "{file}: {}", first_band_diff(&want, &got));
        // In one step from the trace.
        let (v, scenario) = name.split_once('-').unwrap();
        let fx = root().join("testdata/fixtures").join(v).join(format!("{scenario}.trace"));
        let trace = if fx.exists() { fx } else { oracle().join("traces").join(v).join(format!("{scenario}.trace")) };
        let mut args: Vec<std::ffi::OsString> = vec!["requests".into(), "--svg".into(), svg.clone().into()];
        if details {
            args.push("--details".into());
        }
        args.push(trace.into());
        ok_stdout(&run(&args), &file);
        let got = svg_bands(&std::fs::read_to_string(&svg).unwrap());
        assert!(want == got, "{file} (requests --svg): {}", first_band_diff(&want, &got));
        n += 1;
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(n >= 8, "recorded pictures: {n}");
}

#[test]
fn requests_read_what_regiongraph_cannot() {
    // regiongraph refuses the partitioned format (Go 1.22+).
    let refused = tsv("regiongraph-unreadable.tsv");
    assert!(refused.iter().all(|r| r[1].contains("unsupported trace file version")), "{refused:?}");
    // Ours reads every fixture, and finds HTTP requests in every version's http fixture.
    let mut versions = 0;
    for dir in std::fs::read_dir(root().join("testdata/fixtures")).unwrap() {
        let dir = dir.unwrap().path();
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "trace") {
                let o = run([Path::new("requests"), Path::new("--json"), Path::new("--summarize"), &p]);
                assert!(o.status.success() && o.stderr.is_empty(), "{}: {}", p.display(), String::from_utf8_lossy(&o.stderr));
            }
        }
        let http = dir.join("http.trace");
        let out = ok_stdout(&run([Path::new("requests"), Path::new("--show-regions"), &http]), "http");
        for kind in ["server/http_read(", "server/http(", "client/http_roundtrip(", "client/http_write(", "client/http_read("] {
            assert!(out.lines().filter(|l| l.starts_with(kind)).count() >= 250, "{}: {kind}", http.display());
        }
        versions += 1;
    }
    assert!(versions >= 8);
    // Go 1.27: inbound request -> outbound round trip -> dial -> DNS lookup, as on Go 1.21.
    for v in ["go1.21", "go1.27"] {
        let t = oracle().join("traces").join(v).join("webstack.trace");
        let chains = ok_stdout(&run([Path::new("requests"), Path::new("--show-chains"), &t]), v);
        let full = chains.lines().filter(|l| {
            let p = |k: &str| l.find(k);
            matches!((p("server/http("), p("client/http_roundtrip("), p("client/http_dial("), p("client/http_dns(")),
                (Some(a), Some(b), Some(c), Some(d)) if a < b && b < c && c < d)
        });
        assert!(full.count() >= 10, "{v}: chains server/http -> roundtrip -> dial -> dns");
    }
}

#[test]
fn pattern_files() {
    let http = fixture("go1.21/http");
    // The printed built-in file is the built-in set.
    let printed = ok_stdout(&run(["requests", "--print-patterns"]), "print");
    let tmp = std::env::temp_dir().join(format!("schedstat-patterns-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let file = tmp.join("default.patterns");
    std::fs::write(&file, &printed).unwrap();
    let a = ok_stdout(&run([Path::new("requests"), Path::new("--json"), &http]), "builtin");
    let b = ok_stdout(&run([Path::new("requests"), Path::new("--json"), Path::new("--patterns"), &file, &http]), "file");
    assert_eq!(a, b);
    // A kind of one's own, on a trace regiongraph cannot read: the generator's handler.
    let mine = tmp.join("mine.patterns");
    std::fs::write(
        &mine,
        "# the generator's HTTP handler, as a region\nkind app/handle\n  match \"**\" \"^main.handleRequest$\" \"**\"\n  single\n",
    )
    .unwrap();
    let out = ok_stdout(&run([Path::new("requests"), Path::new("--show-regions"), Path::new("--patterns"), &mine, &fixture("go1.27/http")]), "mine");
    // handleRequest shows on a stack when it sleeps (every 10th of 300 requests).
    assert!(out.lines().count() >= 20 && out.lines().all(|l| l.starts_with("app/handle(g=")), "{out}");
    // A bad token: one line naming the file, line and column.
    let bad = tmp.join("bad.patterns");
    std::fs::write(&bad, "kind a\n  match \"**\"\n  continue stackles matching\n").unwrap();
    let o = run([Path::new("requests"), Path::new("--patterns"), &bad, &http]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("bad.patterns:3:12: unknown condition \"stackles\""), "{err}");
    std::fs::write(&bad, "kind a\n  match \"**\" \"sync.(Mutex\"\n").unwrap();
    let o = run([Path::new("requests"), Path::new("--patterns"), &bad, &http]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.code() == Some(2) && err.contains("bad.patterns:2:14: invalid regexp \"sync.(Mutex\""), "{err}");
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn etviz_bad_input_is_one_line() {
    let tmp = std::env::temp_dir().join(format!("schedstat-etviz-bad-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let spans = tmp.join("spans.json");
    // Trees without summaries: etviz needs --summarize.
    let trees = ok_stdout(&run([Path::new("requests"), Path::new("--json"), &fixture("go1.21/idleserver")]), "json");
    std::fs::write(&spans, trees).unwrap();
    let o = run([Path::new("etviz"), &spans, Path::new("-o"), &tmp.join("x.svg")]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.lines().count() == 1 && err.contains("line 1") && err.contains("--summarize"), "{err}");
    let o = run([Path::new("etviz"), &tmp.join("missing.json"), Path::new("-o"), &tmp.join("x.svg")]);
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn tls_handshake_kinds_from_the_example_pattern_file() {
    // The README's example: the built-in kinds plus testdata/requests/tls.patterns.
    let mut text = ok_stdout(&run(["requests", "--print-patterns"]), "print");
    text.push_str(&std::fs::read_to_string(root().join("testdata/requests/tls.patterns")).unwrap());
    let file = std::env::temp_dir().join(format!("schedstat-tls-{}.patterns", std::process::id()));
    std::fs::write(&file, text).unwrap();
    for v in ["go1.21", "go1.27"] {
        let t = oracle().join("traces").join(v).join("webstack.trace");
        let regions = ok_stdout(&run([Path::new("requests"), Path::new("--show-regions"), Path::new("--patterns"), &file, &t]), v);
        for kind in ["client/tls_handshake(", "server/tls_handshake("] {
            // Every other one of the 48 backend calls dials anew (and the first pooled one).
            assert!(regions.lines().filter(|l| l.starts_with(kind)).count() >= 20, "{v}: {kind}");
        }
        let chains = ok_stdout(&run([Path::new("requests"), Path::new("--show-chains"), Path::new("--patterns"), &file, &t]), v);
        let n = chains
            .lines()
            .filter(|l| l.starts_with("server/http(") && l.contains("client/http_dial(") && l.contains("client/tls_handshake("))
            .count();
        assert!(n >= 10, "{v}: inbound request -> dial -> TLS handshake chains: {n}");
    }
    let _ = std::fs::remove_file(&file);
}
