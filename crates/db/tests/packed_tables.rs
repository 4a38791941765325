//! An in-memory database keeps `g_transitions` and `p_transitions` packed in
//! the process and lets DuckDB read them through table functions; a database
//! file keeps ordinary tables. Every query must see the same rows either way:
//! checked on every fixture of every Go version, loaded in small chunks so
//! that blocks end mid-chunk and dictionaries grow between chunks; and a
//! stretch of the trace read through `g_transitions_ending` is the filter's
//! rows on both.

mod common;

use common::fixtures;

use schedstat_db::{Cell, Database};
use schedstat_tables::TableBuilder;

/// Loads `bytes` into `db`, handing rows over every `chunk` rows as the CLI does.
fn load(db: &Database, bytes: &[u8], chunk: usize) {
    db.create_schema().unwrap();
    let mut r = gotrace::Reader::new(bytes).unwrap();
    let mut b = TableBuilder::new();
    while let Ok(Some(ev)) = r.read_event() {
        b.add(&ev);
        if b.pending_rows() >= chunk {
            db.append(&b.take_rows()).unwrap();
        }
    }
    let rest = b.finish();
    db.append(&rest).unwrap();
    db.finish(&rest).unwrap();
}

fn rows(db: &Database, sql: &str) -> Vec<Vec<Cell>> {
    db.query(sql).unwrap_or_else(|e| panic!("{sql}: {e}")).rows
}

const QUERIES: &[&str] = &[
    "select * from g_transitions order by all",
    "select * from p_transitions order by all",
    // Text columns sort as text, whatever their storage.
    "select reason, from_state, to_state, count(*) from g_transitions group by all order by reason, from_state, to_state",
    "select from_state, count(*) from p_transitions group by all order by from_state",
    // Comparisons with text, NULL tests and the columns sqlprof's views read.
    "select count(*), sum(duration_ns) from g_transitions where from_state = 'runnable' and to_state = 'running'",
    "select count(*) from g_transitions where reason is null and stack_id is not null",
    "select count(*) from g_transitions where from_state like '%run%' or to_state = 'waiting'::state or reason like '%chan%'",
    "select count(*) from goroutines",
    "select * from procs order by all",
];

#[test]
fn packed_transitions_read_like_the_tables_of_a_database_file() {
    let dir = std::env::temp_dir().join(format!("schedstat-packed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut checked = 0;
    for (i, p) in fixtures().iter().enumerate() {
        let bytes = std::fs::read(p).unwrap();
        let packed = Database::create(None).unwrap();
        load(&packed, &bytes, 1000);
        let file = dir.join(format!("{i}.duckdb"));
        let _ = std::fs::remove_file(&file);
        let plain = Database::create(Some(&file)).unwrap();
        load(&plain, &bytes, 1000);
        // Two different storages are compared: packed views in memory, tables in the file.
        let views = "select count(*) from duckdb_views() where view_name in ('g_transitions', 'p_transitions')";
        assert_eq!(rows(&packed, views)[0][0].as_i64(), Some(2), "{}: not the packed views", p.display());
        assert_eq!(rows(&plain, views)[0][0].as_i64(), Some(0), "{}: the file has views", p.display());
        for q in QUERIES {
            let (a, b) = (rows(&packed, q), rows(&plain, q));
            assert_eq!(a.len(), b.len(), "{}: {q}: row counts differ", p.display());
            assert!(a == b, "{}: {q}: rows differ", p.display());
        }
        // A stretch of the trace read through g_transitions_ending, which the
        // packed tables answer by skipping blocks: the same rows as a filter.
        let span = rows(&plain, "select min(end_time_ns), max(end_time_ns) from g_transitions");
        if let (Some(first), Some(last)) = (span[0][0].as_i64(), span[0][1].as_i64()) {
            let (lo, hi) = (first + (last - first) / 3, first + 2 * (last - first) / 3);
            let q = format!("select * from g_transitions_ending({lo}, {hi}) order by all");
            let (a, b) = (rows(&packed, &q), rows(&plain, &q));
            assert!(a == b, "{}: {q}: rows differ", p.display());
            let want = format!("select * from g_transitions where end_time_ns between {lo} and {hi} order by all");
            assert!(a == rows(&plain, &want), "{}: {q} is not the filter", p.display());
        }
        checked += rows(&plain, "select count(*) from g_transitions")[0][0].as_i64().unwrap();
        drop(plain);
        let _ = std::fs::remove_file(&file);
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(checked > 100_000, "only {checked} transitions compared");
}

#[test]
fn extreme_values_and_nulls_survive_packing() {
    use schedstat_tables::TraceTables;
    let mut t = TraceTables::default();
    let g = &mut t.g_transitions;
    let n = 5000;
    for i in 0..n {
        let big = if i % 3 == 0 { i64::MIN + i as i64 } else { i64::MAX - i as i64 };
        g.g.push((i % 7 != 0).then_some(big));
        g.from_state.push(if i % 2 == 0 { "runnable" } else { "waiting" });
        g.to_state.push("running");
        g.reason.push((i % 5 != 0).then_some((i % 3) as u32));
        g.duration_ns.push(i as i64 * 1_000_000_007);
        g.end_time_ns.push(if i == 4097 { 0 } else { 1 << 40 });
        g.stack_id.push((i % 11 != 0).then_some(if i % 2 == 0 { u64::MAX - i as u64 } else { i as u64 }));
        g.src_stack_id.push(None);
        g.src_g.push(Some(i as i64 % 300));
        g.src_m.push(Some(-5));
        g.src_p.push((i > 2500).then_some(70_000));
    }
    g.reasons = vec!["zeta\0".into(), "alpha".into(), "mid".into()];
    let db = Database::create(None).unwrap();
    db.create_schema().unwrap();
    db.append(&t).unwrap();
    db.finish(&t).unwrap();
    let got = rows(&db, "select * from g_transitions");
    assert_eq!(got.len(), n);
    let g = &t.g_transitions;
    let int = |v: Option<i64>| v.map_or(Cell::Null, Cell::Int);
    let uint = |v: Option<u64>| v.map_or(Cell::Null, Cell::UInt);
    let mut seen = vec![false; n];
    for row in &got {
        // Rows come back in any order; the duration names the row.
        let i = (row[4].as_i64().unwrap() / 1_000_000_007) as usize;
        seen[i] = true;
        let want = vec![
            int(g.g[i]),
            Cell::Text(g.from_state[i].into()),
            Cell::Text(g.to_state[i].into()),
            g.reason_text(i).map_or(Cell::Null, |r| Cell::Text(r.replace('\0', ""))),
            Cell::Int(g.duration_ns[i]),
            Cell::Int(g.end_time_ns[i]),
            uint(g.stack_id[i]),
            uint(g.src_stack_id[i]),
            int(g.src_g[i]),
            int(g.src_m[i]),
            int(g.src_p[i]),
        ];
        assert_eq!(row, &want, "row {i}");
    }
    assert!(seen.iter().all(|&s| s));
    // The reasons' enum sorts as their text.
    let order = rows(&db, "select distinct reason from g_transitions order by reason nulls last");
    let order: Vec<Cell> = order.into_iter().map(|r| r[0].clone()).collect();
    assert_eq!(order, vec![Cell::Text("alpha".into()), Cell::Text("mid".into()), Cell::Text("zeta".into()), Cell::Null]);
    // Nothing can be added once DuckDB reads the tables.
    assert!(db.append(&t).is_err());
}

#[test]
fn a_trace_without_transitions_gives_empty_views() {
    let t = schedstat_tables::TraceTables::default();
    let db = Database::create(None).unwrap();
    db.create_schema().unwrap();
    db.append(&t).unwrap();
    db.finish(&t).unwrap();
    for q in [
        "select count(*) from g_transitions",
        "select count(*) from p_transitions",
        "select count(*) from g_transitions where reason = 'select' or from_state = 'running'::state",
        "select count(*) from g_transitions_ending(0, 100)",
    ] {
        assert_eq!(rows(&db, q)[0][0].as_i64(), Some(0), "{q}");
    }
}

/// A damaged trace can carry any number of distinct reasons: each is its
/// own enum value, in text order, and loading stays linear in them.
#[test]
fn many_distinct_reasons_stay_distinct_and_sorted() {
    let mut t = schedstat_tables::TraceTables::default();
    let n = 60_000u32;
    let g = &mut t.g_transitions;
    for i in 0..n {
        g.g.push(Some(1));
        g.from_state.push("running");
        g.to_state.push("waiting");
        g.reason.push(Some(i));
        g.duration_ns.push(i as i64);
        g.end_time_ns.push(i as i64);
        g.stack_id.push(None);
        g.src_stack_id.push(None);
        g.src_g.push(None);
        g.src_m.push(None);
        g.src_p.push(None);
    }
    g.reasons = (0..n).map(|i| format!("reason {:05}", n - 1 - i)).collect();
    let db = Database::create(None).unwrap();
    db.create_schema().unwrap();
    db.append(&t).unwrap();
    db.finish(&t).unwrap();
    assert_eq!(rows(&db, "select count(distinct reason) from g_transitions")[0][0].as_i64(), Some(n as i64));
    // Text order is the reverse of the rows' order here.
    let first = rows(&db, "select reason, duration_ns from g_transitions order by reason limit 1");
    assert_eq!(first[0], vec![Cell::Text("reason 00000".into()), Cell::Int(n as i64 - 1)]);
}
