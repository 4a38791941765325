//! sqlprof's own queries, unchanged, on our database of sqlprof's test trace
//! must return the results sqlprof recorded (testdata/queries/*.txtar.sql in
//! its repository, copied into the shared corpus).

use std::path::{Path, PathBuf};

use schedstat_db::{Cell, Database};

fn corpus() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/go-corpus/sqlprof");
    assert!(p.is_dir(), "the shared corpus must sit beside the clone: {}", p.display());
    p
}

fn load() -> Database {
    let data = std::fs::read(corpus().join("testprog/go1.23.3.trace")).unwrap();
    let mut r = gotrace::Reader::new(&data).unwrap();
    let mut b = schedstat_tables::TableBuilder::new();
    while let Some(ev) = r.read_event().unwrap() {
        b.add(&ev);
    }
    let db = Database::create(None).unwrap();
    db.load(&b.finish()).unwrap();
    db
}

/// A value as sqlprof prints it: Go's `%v` of what database/sql scanned.
fn go_fmt(c: &Cell) -> String {
    match c {
        Cell::Null => "<nil>".into(),
        Cell::Bool(b) => b.to_string(),
        Cell::Int(v) => v.to_string(),
        Cell::UInt(v) => v.to_string(),
        Cell::HugeInt(v) => v.to_string(),
        Cell::Float(v) => {
            if v.fract() == 0.0 && v.abs() < 1e21 {
                format!("{v:.0}")
            } else {
                v.to_string()
            }
        }
        Cell::Text(s) => s.clone(),
        Cell::List(items) => format!("[{}]", items.iter().map(go_fmt).collect::<Vec<_>>().join(" ")),
        Cell::Map(kv) => format!(
            "map[{}]",
            kv.iter().map(|(k, v)| format!("{}:{}", go_fmt(k), go_fmt(v))).collect::<Vec<_>>().join(" ")
        ),
        Cell::Other(s) => s.clone(),
    }
}

/// The sections of a txtar file, by name.
fn txtar(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("-- ").and_then(|l| l.strip_suffix(" --")) {
            out.push((name.to_string(), String::new()));
        } else if let Some(last) = out.last_mut() {
            last.1.push_str(line);
            last.1.push('\n');
        }
    }
    out
}

/// The table printed for the .trace profile: header and rows of trimmed cells.
fn expected_table(txt: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut in_trace = false;
    let mut lines = Vec::new();
    for line in txt.lines() {
        if line.ends_with(':') && !line.starts_with('|') && !line.starts_with('+') {
            in_trace = line.ends_with(".trace:");
            continue;
        }
        if in_trace && line.starts_with('|') {
            lines.push(line);
        }
    }
    let split = |l: &str| -> Vec<String> {
        let inner = l.trim().trim_start_matches('|').trim_end_matches('|');
        inner.split('|').map(|c| c.trim().to_string()).collect()
    };
    let mut it = lines.into_iter();
    let header = it.next().map(split).unwrap_or_default();
    (header, it.map(split).collect())
}

#[test]
fn sqlprof_queries_return_sqlprofs_results() {
    let db = load();
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(corpus().join("queries")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let sections = txtar(&text);
        for (name, sql) in &sections {
            let Some(stem) = name.strip_suffix(".sql") else { continue };
            let Some((_, txt)) = sections.iter().find(|(n, _)| n == &format!("{stem}.txt")) else { continue };
            let (want_header, want_rows) = expected_table(txt);
            // A script may define helper macros first: run all but its last statement as a batch.
            let stmts: Vec<&str> = sql.split(';').map(str::trim).filter(|s| !s.is_empty() && !s.lines().all(|l| l.trim().starts_with("--"))).collect();
            let (setup, query) = stmts.split_at(stmts.len() - 1);
            for s in setup {
                db.execute_batch(&format!("{s};")).unwrap();
            }
            let got = match db.query(query[0]) {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("{}/{name}: {e}", path.file_name().unwrap().to_str().unwrap()));
                    continue;
                }
            };
            let got_rows: Vec<Vec<String>> = got.rows.iter().map(|r| r.iter().map(go_fmt).collect()).collect();
            let label = format!("{}/{name}", path.file_name().unwrap().to_str().unwrap());
            if !want_header.is_empty() && got.columns != want_header {
                failures.push(format!("{label}: columns {:?}, sqlprof {:?}", got.columns, want_header));
            }
            if got_rows != want_rows {
                failures.push(format!("{label}: rows differ\n  ours:    {got_rows:?}\n  sqlprof: {want_rows:?}"));
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} queries checked");
    assert!(failures.is_empty(), "{} of {checked} queries differ:\n{}", failures.len(), failures.join("\n"));
}
