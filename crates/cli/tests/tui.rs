//! `schedstat tui` driven as a person drives it: the release binary in a real
//! terminal (tmux: `send-keys`, `capture-pane`), through every tab, a
//! drill-down, the window cursor, a zoom, a SQL query, a resize and `q`, on
//! committed fixture traces (Go 1.27 and the old format of Go 1.21). The
//! numbers on the captured screens are compared with the CLI's `--json` for
//! the same trace. With `SCHEDSTAT_TUI_CAPTURES=DIR`, each captured screen is
//! saved there (CI keeps them as artifacts). Skips, saying why, only when
//! tmux is not installed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use schedstat_tui::fmt::{dur, dur_i};
use schedstat_tui::timeline::{block, Grid, Lane, Runs, RunsBuilder, View, GOROUTINE_LANES};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_schedstat");

fn fixture(version: &str, scenario: &str) -> String {
    format!("{}/../../testdata/fixtures/{version}/{scenario}.trace", env!("CARGO_MANIFEST_DIR"))
}

fn json(args: &[&str]) -> Value {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn have_tmux() -> bool {
    Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success())
}

/// One tmux server of our own (its own socket), running the UI in one window.
struct Term {
    socket: String,
    exit_file: PathBuf,
    trace: String,
}

impl Term {
    fn start(trace: &str, w: u16, h: u16) -> Term {
        Term::start_with(trace, w, h, "")
    }

    /// [`Term::start`] with environment assignments (`NO_COLOR=1 `) before the command.
    fn start_with(trace: &str, w: u16, h: u16, env: &str) -> Term {
        let name = Path::new(trace).file_stem().unwrap().to_str().unwrap().to_string();
        static SESSIONS: AtomicUsize = AtomicUsize::new(0);
        let n = SESSIONS.fetch_add(1, Ordering::SeqCst);
        let socket = format!("schedstat-tui-test-{}-{n}-{name}", std::process::id());
        let exit_file = std::env::temp_dir().join(format!("{socket}.exit"));
        let _ = std::fs::remove_file(&exit_file);
        let cmd = format!("{env}{BIN} tui {trace}; echo $? > {}; sleep 60", exit_file.display());
        let t = Term { socket, exit_file, trace: name };
        t.tmux(&["-f", "/dev/null", "new-session", "-d", "-x", &w.to_string(), "-y", &h.to_string(), &cmd]);
        // Esc is a key of its own here, not the start of an Alt sequence.
        t.tmux(&["set-option", "-s", "escape-time", "0"]);
        t
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux").arg("-L").arg(&self.socket).args(args).output().unwrap();
        assert!(out.status.success(), "tmux {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", "-t", "0", k]);
        }
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "0"])
    }

    /// The screen with its escape sequences (colours, bold, reverse video).
    fn styled_screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-e", "-t", "0"])
    }

    /// Waits until the screen contains `what` (the UI answers asynchronously), returns it.
    fn wait_for(&self, what: &str) -> String {
        self.wait_until(what, |s| s.contains(what))
    }

    /// Waits until `ok` holds for the screen (`what` names it in the failure), returns it.
    fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "{}: never showed {what:?}; screen:\n{s}", self.trace);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Saves a screen under `SCHEDSTAT_TUI_CAPTURES`, if set.
    fn keep(&self, tab: &str, screen: &str) {
        if let Some(dir) = std::env::var_os("SCHEDSTAT_TUI_CAPTURES") {
            let dir = PathBuf::from(dir);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(format!("{}-{tab}.txt", self.trace)), screen).unwrap();
        }
    }

    /// Presses `q` and returns the exit code.
    fn quit(&self) -> i32 {
        self.keys(&["q"]);
        let started = Instant::now();
        loop {
            if let Ok(s) = std::fs::read_to_string(&self.exit_file) {
                if !s.trim().is_empty() {
                    return s.trim().parse().unwrap();
                }
            }
            assert!(started.elapsed() < Duration::from_secs(10), "q did not quit; screen:\n{}", self.screen());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        let _ = Command::new("tmux").arg("-L").arg(&self.socket).arg("kill-server").output();
        let _ = std::fs::remove_file(&self.exit_file);
    }
}

/// The timeline's runs as the UI builds them: from the table rows, in chunks.
fn runs_of(trace: &str) -> Runs {
    let bytes = std::fs::read(trace).unwrap();
    let mut reader = gotrace::Reader::new(&bytes).unwrap();
    let (mut tables, mut runs) = (schedstat_tables::TableBuilder::new(), RunsBuilder::new());
    // A cut trace keeps the events before its damage, as the UI does.
    while let Ok(Some(ev)) = reader.read_event() {
        tables.add(&ev);
        if tables.pending_rows() >= 1000 {
            runs.add(&tables.take_rows().g_transitions);
        }
    }
    runs.add(&tables.finish().g_transitions);
    runs.finish()
}

/// `sql/tui/timeline.sql`'s lanes for each grid, run by `schedstat --sql` (one query for all).
fn timeline_sql(trace: &str, grids: &[Grid]) -> Vec<Vec<Lane>> {
    let text = std::fs::read_to_string(format!("{}/../../sql/tui/timeline.sql", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let parts: Vec<String> = grids
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let q = schedstat_report::sql::bind(
                &text,
                &[("from", g.from), ("to", g.to), ("width", g.width), ("buckets", g.buckets), ("goroutines", GOROUTINE_LANES as i64)],
            );
            format!("select {i} as grid, * from ({})", q.trim().trim_end_matches(';'))
        })
        .collect();
    let sql = format!("select * from ({}) order by grid, kind, id, bucket", parts.join(" union all "));
    let out = Command::new(BIN).args(["--json", "--sql", &sql, trace]).output().unwrap();
    assert!(matches!(out.status.code(), Some(0 | 3)), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut lanes: Vec<Vec<Lane>> = vec![Vec::new(); grids.len()];
    for r in rows.as_array().unwrap() {
        let (i, kind, id) = (r["grid"].as_u64().unwrap() as usize, r["kind"].as_i64().unwrap(), r["id"].as_i64().unwrap());
        let name = format!("{}{id}", if kind == 0 { 'P' } else { 'G' });
        if lanes[i].last().is_none_or(|l| l.name != name) {
            lanes[i].push(Lane { name, busy_ns: vec![0; grids[i].buckets as usize] });
        }
        let bucket = r["bucket"].as_u64().unwrap() as usize;
        lanes[i].last_mut().unwrap().busy_ns[bucket] = r["busy_ns"].as_i64().unwrap();
    }
    lanes
}

/// The screen's lines for `lanes` (lane name, then a block per bucket), without trailing blanks.
fn lane_lines(lanes: &[Lane], g: &Grid) -> Vec<String> {
    lanes
        .iter()
        .map(|l| format!("{:<7} {}", l.name, l.busy_ns.iter().map(|b| block(*b, g.width)).collect::<String>()).trim_end().to_string())
        .collect()
}

#[test]
fn timeline_lanes_equal_the_sql() {
    // Old format, one P, many Ps, many goroutines, several generations, a cut trace.
    let cut = std::env::temp_dir().join(format!("schedstat-tui-timeline-cut-{}.trace", std::process::id()));
    let bytes = std::fs::read(fixture("go1.27", "multigen")).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() * 3 / 4]).unwrap();
    let traces = [
        fixture("go1.21", "cpuhog"),
        fixture("go1.27", "cpuhog"),
        fixture("go1.27", "storm"),
        fixture("go1.27", "multigen"),
        fixture("go1.22", "lockedthread"),
        fixture("go1.27", "ctxswitch"),
        cut.to_str().unwrap().to_string(),
    ];
    for trace in &traces {
        // The cut trace exits 3 after its complete generations' output.
        let out = Command::new(BIN).args(["leaks", "--json", trace]).output().unwrap();
        let leaks: Value = serde_json::from_slice(&out.stdout).unwrap();
        let whole = View::whole(leaks["start_ns"].as_i64().unwrap(), leaks["end_ns"].as_i64().unwrap());
        // The views keys make: the whole trace, zooms, pans to both ends, the narrowest; odd widths.
        let mut views = vec![(whole, 92), (whole, 72), (whole, 1), (whole, 7)];
        let mut v = whole;
        for _ in 0..3 {
            v.zoom_in();
            views.push((v, 92));
        }
        v.pan(-0.25);
        views.push((v, 92));
        for _ in 0..6 {
            v.pan(0.25);
        }
        views.push((v, 72));
        for _ in 0..40 {
            v.zoom_in();
        }
        views.push((v, 92));
        let grids: Vec<Grid> = views.iter().map(|(v, b)| v.grid(*b)).collect();
        let want = timeline_sql(trace, &grids);
        let runs = runs_of(trace);
        for (g, want) in grids.iter().zip(&want) {
            assert_eq!(&runs.lanes(g, GOROUTINE_LANES), want, "{trace}: {g:?}");
        }
        assert!(want[0].len() > 1, "{trace}: no lanes in the whole view");
    }
    let _ = std::fs::remove_file(&cut);
}

/// The row of `screen` that contains `what`.
fn line<'a>(screen: &'a str, what: &str) -> &'a str {
    screen.lines().find(|l| l.contains(what)).unwrap_or_else(|| panic!("no line with {what:?} in:\n{screen}"))
}

#[test]
fn every_tab_shows_the_clis_numbers() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed (the TUI tests drive the binary in tmux)");
        return;
    }
    let trace = fixture("go1.27", "cpuhog");
    let report = json(&["--json", "--timeseries", "--why=20", "--top-waiters", "-n", "20", &trace]);
    let hold = std::env::temp_dir().join(format!("schedstat-tui-hold-{}", std::process::id()));
    let _ = std::fs::remove_file(&hold);
    let t = Term::start_with(&trace, 100, 30, &format!("SCHEDSTAT_TUI_HOLD={} ", hold.display()));

    // The first screen, from the quick pass alone (the loading pass is held):
    // the header's figures are the CLI's, the tabs say they wait, keys work.
    let s = t.wait_for("latency n=");
    let stats = json(&["stats", "--json", &trace]);
    let goroutines = json(&["goroutines", "--json", &trace]);
    let want = format!(
        "duration {}  events {}  goroutines {}  Ps {}",
        dur_i(stats["duration_ns"].as_i64().unwrap()),
        stats["events"],
        goroutines["goroutines"],
        report["procs"]
    );
    assert!(line(&s, "duration").contains(&want), "{want} not in\n{s}");
    let header = line(&s, "latency n=");
    assert!(header.contains(&format!("n={}", report["latency"]["count"])), "{header}");
    for k in ["p50", "p90", "p99", "max", "avg"] {
        let want = format!("{k} {}", dur(report["latency"][format!("{k}_ns")].as_f64().unwrap()));
        assert!(header.contains(&want), "{want} not in {header}");
    }
    assert!(line(&s, "▸").contains("loading 0% (0 of "), "{s}");
    assert!(s.contains("the report: loading the trace, 0%"), "{s}");
    t.keep("0-first-screen", &s);
    t.keys(&["4"]);
    t.wait_for("goroutines: loading the trace");
    t.keys(&["0"]);
    t.wait_for("timeline: loading the trace");
    t.keys(&["?"]);
    t.wait_for("Keys (any key closes)");
    t.keys(&["x", "1"]);
    t.wait_for("the report: loading the trace");
    std::fs::write(&hold, "").unwrap();

    // Summary header: the report's percentiles and spike count, the doctor's first finding.
    let s = t.wait_for("▸");
    let s = if s.contains("computing") { t.wait_for(" latency spikes") } else { s };
    let lat = &report["latency"];
    let header = line(&s, "latency n=");
    assert!(header.contains(&format!("n={}", lat["count"])), "{header}");
    for k in ["p50", "p90", "p99", "max"] {
        let want = format!("{k} {}", dur(lat[format!("{k}_ns")].as_f64().unwrap()));
        assert!(header.contains(&want), "{want} not in {header}");
    }
    let doctor = json(&["doctor", "--json", &trace]);
    let s = t.wait_for(&format!("▸ {}", doctor["findings"][0]["id"].as_str().unwrap()));
    assert!(s.contains(&format!("{} latency spikes", report["latency_spikes_total"])), "{s}");
    assert!(line(&s, "duration").contains(&format!("Ps {}", report["procs"])));
    t.keep("1-spikes", &s);

    // Spikes: one row per latency spike, the first one's p99; Enter opens its worst delay.
    let spikes = report["latency_spikes"].as_array().unwrap();
    for sp in spikes {
        let row = line(&s, &format!("[{}]", sp["index"]));
        assert!(row.contains(&format!("p99 {}", dur(sp["p99_ns"].as_f64().unwrap()))), "{row}");
    }
    t.keys(&["Enter"]);
    let detail = &report["spike_details"][0]["worst"];
    let s = t.wait_for("worst delay:");
    let want = format!("worst delay: G{} waited {}", detail["g"], dur_i(detail["duration_ns"].as_i64().unwrap()));
    assert!(s.contains(&want), "{want} not in\n{s}");
    t.keep("1-spike-open", &s);
    t.keys(&["Escape"]);
    t.wait_until("the spike closed", |s| !s.contains("worst delay:"));
    t.keys(&["s"]);
    t.wait_for("sorted by time");

    // Delays: the --why verdicts.
    t.keys(&["2"]);
    let s = t.wait_for("worst delays, explained");
    let why = &report["why"][0];
    let row = line(&s, &format!("G{} ", why["delay"]["g"]));
    assert!(row.contains(&dur_i(why["delay"]["duration_ns"].as_i64().unwrap())), "{row}");
    assert!(row.contains(why["verdict"].as_str().unwrap()), "{row}");
    t.keep("2-delays", &s);

    // Waiters.
    t.keys(&["3"]);
    let s = t.wait_for("most scheduling wait");
    let w = &report["top_waiters"][0];
    let row = line(&s, &format!("G{} ", w["g"]));
    assert!(row.contains(&dur_i(w["total_ns"].as_i64().unwrap())), "{row}");
    t.keep("3-waiters", &s);

    // Goroutines: groups → the first group → its first goroutine.
    let g = json(&["goroutines", "--json", &trace]);
    t.keys(&["4"]);
    let s = t.wait_for("groups by start function");
    let first = &g["groups"][0];
    let name = first["name"].as_str().unwrap();
    let row = line(&s, name);
    assert!(row.contains(&format!(" {} ", first["count"])), "{row}");
    t.keep("4-goroutines", &s);
    t.keys(&["Enter"]);
    let s = t.wait_for(&format!("{name}: {} goroutines", first["count"]));
    t.keep("4-group", &s);
    t.keys(&["Enter"]);
    let s = t.wait_for("Execution time");
    t.keep("4-goroutine", &s);
    t.keys(&["Escape"]);
    t.wait_for("(Enter: one, Esc: back)");
    t.keys(&["Escape"]);
    t.wait_for("groups by start function");

    // Profiles: sync, as `schedstat pprof sync --json`.
    let p = json(&["pprof", "sync", "--json", &trace]);
    t.keys(&["5"]);
    let s = t.wait_for("[sync]");
    let want = format!("{} stacks, {} intervals, {} total", p["stacks_count"], p["total_count"], dur_i(p["total_delay_ns"].as_i64().unwrap()));
    assert!(s.contains(&want), "{want} not in\n{s}");
    t.keep("5-profiles", &s);

    // GC: `schedstat gc --json`'s pauses and mark phases.
    let gc = json(&["gc", "--json", &trace]);
    t.keys(&["6"]);
    let s = t.wait_for("stop-the-world pauses,");
    let want = format!("{} stop-the-world pauses, {} in all", gc["stw"].as_array().unwrap().len(), dur_i(gc["stw_total_ns"].as_i64().unwrap()));
    assert!(s.contains(&want), "{want} not in\n{s}");
    assert!(s.contains(&format!("{} mark phases", gc["gc_cycles"])), "{s}");
    let mark = &gc["mark_phases"][0];
    let row = line(&s, &format!("+{}", dur_i(mark["start_ns"].as_i64().unwrap() - gc["trace_start_ns"].as_i64().unwrap())));
    assert!(row.contains(&dur_i(mark["duration_ns"].as_i64().unwrap())), "{row}");
    assert!(s.contains("MMU"));
    t.keep("6-gc", &s);

    // Leaks and doctor.
    let leaks = json(&["leaks", "--json", &trace]);
    t.keys(&["7"]);
    let s = t.wait_for("blocked at the end");
    assert!(s.contains(&format!("{} goroutines blocked at the end", leaks["blocked_shown"])), "{s}");
    t.keep("7-leaks", &s);
    t.keys(&["8"]);
    let s = t.wait_for("findings (");
    for f in doctor["findings"].as_array().unwrap() {
        assert!(s.contains(f["title"].as_str().unwrap()), "{} not in\n{s}", f["title"]);
    }
    t.keep("8-doctor", &s);

    // Series: the cursor on window 0 filters the spikes tab to that window.
    t.keys(&["9"]);
    let s = t.wait_for("windows of");
    t.keep("9-series", &s);
    t.keys(&["l"]);
    let w0 = &report["timeseries"][0];
    let s = t.wait_for("window 0 (");
    assert!(s.contains(&format!("p99 {}", dur(w0["p99_ns"].as_f64().unwrap()))), "{s}");
    t.keep("9-series-cursor", &s);
    t.keys(&["1"]);
    let s = t.wait_for("sorted by");
    let in_window: Vec<&Value> = spikes.iter().filter(|sp| sp["window"] == 0).collect();
    let rows = s.lines().filter(|l| l.contains("latency   +")).count();
    assert_eq!(rows, in_window.len(), "{s}");
    t.keys(&["9", "a"]);
    t.wait_for("a: all");

    // Timeline: the whole trace, then zoomed in twice (a quarter of it).
    t.keys(&["0"]);
    let span = leaks["end_ns"].as_i64().unwrap() - leaks["start_ns"].as_i64().unwrap();
    let s = t.wait_for(&format!("+0ns .. +{} of {}", dur_i(span), dur_i(span)));
    let s = if s.contains("P0 ") { s } else { t.wait_for("P0 ") };
    t.keep("0-timeline", &s);
    // Its lanes are `sql/tui/timeline.sql`'s for the same view (100 columns, 8 for the names).
    let whole_view = View::whole(leaks["start_ns"].as_i64().unwrap(), leaks["end_ns"].as_i64().unwrap());
    let mut zoomed = whole_view;
    zoomed.zoom_in();
    zoomed.zoom_in();
    let grids = [whole_view.grid(92), zoomed.grid(92)];
    let want = timeline_sql(&trace, &grids);
    let shown = |s: &str| s.lines().filter(|l| l.starts_with('P') || l.starts_with('G')).map(|l| l.trim_end().to_string()).collect::<Vec<_>>();
    assert_eq!(shown(&s), lane_lines(&want[0], &grids[0]), "{s}");
    t.keys(&["+", "+"]);
    let whole = format!("+0ns .. +{} of", dur_i(span));
    let s = t.wait_until("a zoomed view", |s| s.contains(&format!(" of {} ", dur_i(span))) && !s.contains(&whole));
    assert!(s.contains("P0 "), "{s}");
    assert_eq!(shown(&s), lane_lines(&want[1], &grids[1]), "{s}");
    t.keep("0-timeline-zoom", &s);

    // SQL: a count(*), as `schedstat --sql --json` answers it.
    let want = json(&["--json", "--sql", "select count(*) as n from g_transitions", &trace]);
    t.keys(&[":", "select count(*) as n from g_transitions", "Enter"]);
    let s = t.wait_for("rows, 1 columns");
    let n = want[0]["n"].to_string();
    assert!(s.lines().any(|l| l.trim() == n), "{n} not in\n{s}");
    t.keep("sql", &s);
    t.keys(&["Escape"]);
    t.wait_for("Enter type a query");

    // Resize to 80×24: still a header, tab bar and footer, nothing wider than 80.
    t.tmux(&["resize-window", "-t", "0", "-x", "80", "-y", "24"]);
    t.keys(&["1"]);
    let s = t.wait_until("the spikes tab at 80x24", |s| s.contains("kind      window") && s.contains("q quit"));
    assert!(s.lines().count() <= 24 && s.lines().all(|l| l.chars().count() <= 80), "{s}");
    assert!(s.contains("latency n=") && s.contains("Spikes"), "{s}");
    t.keep("resized-80x24", &s);
    t.keys(&["?"]);
    let s = t.wait_for("Keys (any key closes)");
    t.keep("help", &s);
    t.keys(&["x"]);
    assert_eq!(t.quit(), 0);
    let _ = std::fs::remove_file(&hold);
}

#[test]
fn old_format_trace_and_leaks() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed (the TUI tests drive the binary in tmux)");
        return;
    }
    // Go 1.21's format: the header's figures equal the report's.
    let trace = fixture("go1.21", "cpuhog");
    let report = json(&["--json", &trace]);
    let t = Term::start(&trace, 100, 30);
    let s = t.wait_for("latency n=");
    let header = line(&s, "latency n=");
    assert!(header.contains(&format!("p99 {}", dur(report["latency"]["p99_ns"].as_f64().unwrap()))), "{header}");
    t.keep("header", &s);
    t.keys(&["4"]);
    let s = t.wait_for("groups by start function");
    let g = json(&["goroutines", "--json", &trace]);
    assert!(s.contains(&format!("{} goroutines in {} groups", g["goroutines"], g["groups"].as_array().unwrap().len())), "{s}");
    assert_eq!(t.quit(), 0);

    // A leak: the leaks tab's groups and counts, as `schedstat leaks --json`.
    let trace = fixture("go1.27", "leak");
    let leaks = json(&["leaks", "--json", &trace]);
    let t = Term::start(&trace, 100, 30);
    t.wait_for("latency n=");
    t.keys(&["7"]);
    let s = t.wait_for("blocked at the end");
    assert!(s.contains(&format!("{} goroutines blocked at the end", leaks["blocked_shown"])), "{s}");
    let g0 = &leaks["groups"][0];
    let row = line(&s, g0["start_function"].as_str().unwrap());
    assert!(row.trim_start().starts_with(&g0["count"].to_string()), "{row}");
    t.keep("7-leaks", &s);
    assert_eq!(t.quit(), 0);
}

#[test]
fn keys_and_quit_work_on_the_first_screen() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed (the TUI tests drive the binary in tmux)");
        return;
    }
    // The loading pass never starts (its hold file is never made): the first
    // screen alone answers tab keys and help, and q quits cleanly.
    let hold = std::env::temp_dir().join(format!("schedstat-tui-never-{}", std::process::id()));
    let t = Term::start_with(&fixture("go1.21", "cpuhog"), 80, 24, &format!("SCHEDSTAT_TUI_HOLD={} ", hold.display()));
    t.wait_for("latency n=");
    t.keys(&["7"]);
    t.wait_for("leaks: loading the trace, 0%");
    t.keys(&[":"]);
    t.wait_for("the database is loading: 0%");
    t.keys(&["Escape", "?"]);
    t.wait_for("Keys (any key closes)");
    t.keys(&["x", "Tab"]);
    t.wait_for("the report: loading the trace");
    assert_eq!(t.quit(), 0);
}

/// An SGR sequence setting a foreground or background colour (`ESC[31m`, `ESC[38;5;8m`, `ESC[1;36m`...).
fn has_colour(screen: &str) -> bool {
    screen.split('\x1b').skip(1).filter_map(|seq| seq.strip_prefix('[')).filter_map(|seq| seq.split_once('m')).any(|(params, _)| {
        params.split(';').any(|p| matches!(p.parse::<u32>(), Ok(30..=38 | 40..=48 | 90..=97 | 100..=107)))
    })
}

#[test]
fn no_color_and_a_truncated_trace() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed (the TUI tests drive the binary in tmux)");
        return;
    }
    // Colour by default, none with NO_COLOR; bold and reverse video remain.
    let trace = fixture("go1.27", "cpuhog");
    let t = Term::start(&trace, 100, 30);
    t.wait_for("latency n=");
    assert!(has_colour(&t.styled_screen()), "no colour:\n{}", t.styled_screen());
    assert_eq!(t.quit(), 0);
    let t = Term::start_with(&trace, 100, 30, "NO_COLOR=1 ");
    t.wait_for("latency n=");
    let styled = t.styled_screen();
    assert!(!has_colour(&styled), "colour despite NO_COLOR:\n{styled}");
    assert!(styled.contains("\x1b[7m") || styled.contains(";7m"), "no reverse video for the selection:\n{styled}");
    assert_eq!(t.quit(), 0);

    // A trace cut short: the header says what was lost, the tabs cover the
    // complete generations (the report's figures on the same file), exit 3.
    let cut = std::env::temp_dir().join(format!("schedstat-tui-cut-{}.trace", std::process::id()));
    let bytes = std::fs::read(fixture("go1.27", "multigen")).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() * 3 / 4]).unwrap();
    let out = Command::new(BIN).args(["--json", cut.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = Term::start(cut.to_str().unwrap(), 100, 30);
    let s = t.wait_for("latency n=");
    let words = s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("! ") && words.contains("the file ends early") && words.contains("complete generations"), "{s}");
    assert!(line(&s, "latency n=").contains(&format!("p99 {}", dur(report["latency"]["p99_ns"].as_f64().unwrap()))), "{s}");
    assert_eq!(t.quit(), 3);
    let _ = std::fs::remove_file(&cut);
}

#[test]
fn bad_files_are_one_line_errors_before_the_screen_opens() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed (the TUI tests drive the binary in tmux)");
        return;
    }
    // A missing file: exit 2; a file that is no trace: exit 1; one line each.
    let t = Term::start("/nonexistent/x.trace", 100, 30);
    let s = t.wait_for("schedstat: error:");
    assert!(line(&s, "schedstat: error:").contains("/nonexistent/x.trace"), "{s}");
    assert_eq!(t.quit(), 2);
    let t = Term::start(&format!("{}/Cargo.toml", env!("CARGO_MANIFEST_DIR")), 100, 30);
    let s = t.wait_for("schedstat: error:");
    assert_eq!(s.lines().filter(|l| l.contains("schedstat: error:")).count(), 1, "{s}");
    assert_eq!(t.quit(), 1);
}

#[test]
fn not_a_terminal_is_a_one_line_error() {
    let out = Command::new(BIN).args(["tui", &fixture("go1.27", "cpuhog")]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("tui needs a terminal"), "{err}");
    // --tui is the same command.
    let out = Command::new(BIN).args(["--tui", &fixture("go1.27", "cpuhog")]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tui needs a terminal"));
}
