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
use schedstat_tables::{State, TableBuilder};

/// Loads `bytes` into `db`, handing rows over every `chunk` rows as the CLI does.
fn load(db: &Database, bytes: &[u8], chunk: usize) {
    load_deriving(db, bytes, chunk, true)
}

/// [`load`], with `delays` derived while loading or when first read.
fn load_deriving(db: &Database, bytes: &[u8], chunk: usize, while_loading: bool) {
    db.create_schema().unwrap();
    db.derive_delays_while_loading(while_loading);
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
    // The delays view: derived from the packed rows in one pass, a join of
    // the file's tables.
    "select * from delays order by all",
    "select cause, count(*), count(cause_reason), count(made_runnable_by_g), count(creator_stack_id) from delays group by all order by all",
];

#[test]
fn packed_transitions_read_like_the_tables_of_a_database_file() {
    let dir = std::env::temp_dir().join(format!("schedstat-packed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (mut checked, mut delays) = (0, 0);
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
        assert!(packed.delays_derived_while_loading(), "{}: delays not derived while loading", p.display());
        let derived = "select count(*) from duckdb_views() where view_name = 'delays' and sql like '%schedstat_packed_delays%'";
        assert_eq!(rows(&packed, derived)[0][0].as_i64(), Some(1), "{}: delays not derived", p.display());
        assert_eq!(rows(&plain, derived)[0][0].as_i64(), Some(0), "{}: the file's delays derived", p.display());
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
        // The join that derives the delays of traces out of time order gives
        // the same rows as the one pass.
        let joined = Database::create(None).unwrap();
        load(&joined, &bytes, 1000);
        joined.derive_delays_by_join();
        let q = "select * from delays order by all";
        assert!(rows(&joined, q) == rows(&plain, q), "{}: delays by join differ", p.display());
        // And derived when first read rather than while loading.
        let lazily = Database::create(None).unwrap();
        load_deriving(&lazily, &bytes, 1000, false);
        assert!(!lazily.delays_derived_while_loading(), "{}: delays derived while loading", p.display());
        assert!(rows(&lazily, q) == rows(&plain, q), "{}: delays derived when read differ", p.display());
        delays += rows(&plain, "select count(*) from delays")[0][0].as_i64().unwrap();
        checked += rows(&plain, "select count(*) from g_transitions")[0][0].as_i64().unwrap();
        drop(plain);
        let _ = std::fs::remove_file(&file);
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(checked > 100_000, "only {checked} transitions compared");
    assert!(delays > 10_000, "only {delays} delays compared");
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
        g.from_state.push(if i % 2 == 0 { State::Runnable } else { State::Waiting });
        g.to_state.push(State::Running);
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
            Cell::Text(g.from_state[i].as_str().into()),
            Cell::Text(g.to_state[i].as_str().into()),
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
        "select count(*) from delays",
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
        g.from_state.push(State::Running);
        g.to_state.push(State::Waiting);
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

/// One goroutine transition for the hand-made traces below: goroutine, from,
/// to, reason, duration, end time, stack, source stack, source goroutine.
type Step = (Option<i64>, &'static str, &'static str, Option<&'static str>, i64, i64, Option<u64>, Option<u64>, Option<i64>);

fn transitions(steps: &[Step]) -> schedstat_tables::TraceTables {
    let mut t = schedstat_tables::TraceTables::default();
    let g = &mut t.g_transitions;
    for &(id, from, to, reason, duration, end, stack, src_stack, src_g) in steps {
        g.g.push(id);
        g.from_state.push(State::from_name(from).expect("a state"));
        g.to_state.push(State::from_name(to).expect("a state"));
        g.reason.push(reason.map(|r| match g.reasons.iter().position(|x| x == r) {
            Some(k) => k as u32,
            None => {
                g.reasons.push(r.to_string());
                g.reasons.len() as u32 - 1
            }
        }));
        g.duration_ns.push(duration);
        g.end_time_ns.push(end);
        g.stack_id.push(stack);
        g.src_stack_id.push(src_stack);
        g.src_g.push(src_g);
        g.src_m.push(None);
        g.src_p.push(id.map(|g| g % 3));
    }
    t
}

/// The delays a trace's transitions give where the one pass cannot rely on
/// time order (and falls back to the join) or must look at several
/// transitions of one instant: the rows of the view's own join, whichever
/// path derives them, the page's included.
#[test]
fn delays_of_unusual_transitions_are_the_views_rows() {
    let same_instant: &[Step] = &[
        // Three transitions at one instant: both transitions into runnable
        // ending then join both delays that begin then.
        (Some(1), "notexist", "runnable", None, 0, 10, Some(6), Some(5), Some(100)),
        (Some(1), "runnable", "running", None, 0, 10, None, None, Some(1)),
        (Some(1), "running", "runnable", Some("preempted"), 0, 10, Some(7), None, Some(1)),
        (Some(1), "runnable", "running", None, 10, 20, None, None, Some(1)),
    ];
    let created_after_a_delay: &[Step] = &[
        (Some(2), "waiting", "runnable", None, 0, 5, None, Some(8), Some(7)),
        (Some(2), "runnable", "running", None, 3, 8, None, None, Some(2)),
        (Some(2), "notexist", "runnable", None, 1, 9, Some(4), Some(3), Some(9)),
        (Some(2), "runnable", "running", None, 3, 12, None, None, Some(2)),
    ];
    let out_of_order: &[Step] = &[
        (Some(4), "waiting", "runnable", None, 0, 50, None, Some(8), Some(7)),
        (Some(4), "runnable", "running", None, -10, 40, None, None, Some(4)),
        (Some(5), "waiting", "runnable", None, 0, 45, None, Some(8), Some(7)),
        (Some(5), "runnable", "running", None, 5, 50, None, None, Some(5)),
    ];
    let ordinary: &[Step] = &[
        // Created twice at one instant: each field of the creation is its
        // earliest non-NULL value; both transitions join the delay.
        (Some(3), "notexist", "runnable", None, 0, 1, None, Some(4), None),
        (Some(3), "notexist", "runnable", None, 0, 1, Some(12), Some(13), Some(11)),
        (Some(3), "runnable", "running", None, 1, 2, None, None, Some(3)),
        // A delay of no goroutine.
        (None, "runnable", "running", None, 5, 30, None, None, None),
        // Every cause.
        (Some(6), "notexist", "runnable", None, 0, 100, Some(3), Some(2), Some(1)),
        (Some(6), "runnable", "running", None, 10, 110, None, None, Some(6)),
        (Some(6), "running", "runnable", Some("preempted"), 10, 120, Some(20), None, Some(6)),
        (Some(6), "runnable", "running", None, 5, 125, None, None, Some(6)),
        (Some(6), "running", "runnable", Some("yield"), 1, 126, Some(21), None, Some(6)),
        (Some(6), "runnable", "running", None, 2, 128, None, None, Some(6)),
        (Some(6), "running", "waiting", Some("chan receive"), 2, 130, Some(22), None, Some(6)),
        (Some(6), "waiting", "runnable", None, 10, 140, Some(23), Some(9), Some(8)),
        (Some(6), "runnable", "running", None, 10, 150, None, None, Some(6)),
        (Some(6), "running", "syscall", None, 10, 160, Some(24), None, Some(6)),
        (Some(6), "syscall", "runnable", None, 10, 170, None, None, Some(6)),
        (Some(6), "runnable", "runnable", None, 1, 171, None, None, Some(6)),
        (Some(6), "runnable", "running", None, 9, 180, None, None, Some(6)),
        // A goroutine that existed before the trace: no creation, no cause.
        (Some(7), "runnable", "running", None, 0, 200, None, None, Some(7)),
        // A zero-length delay, then the goroutine runs again later.
        (Some(8), "waiting", "runnable", None, 0, 300, None, Some(30), Some(6)),
        (Some(8), "runnable", "running", None, 0, 300, None, None, Some(8)),
        (Some(8), "running", "runnable", None, 5, 305, None, None, Some(8)),
        (Some(8), "runnable", "running", None, 5, 310, None, None, Some(8)),
    ];
    let dir = std::env::temp_dir().join(format!("schedstat-delays-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let q = "select * from delays order by all";
    for (i, steps) in [same_instant, created_after_a_delay, out_of_order, ordinary].iter().enumerate() {
        let t = transitions(steps);
        let file = dir.join(format!("{i}.duckdb"));
        let _ = std::fs::remove_file(&file);
        let plain = Database::create(Some(&file)).unwrap();
        plain.load(&t).unwrap();
        let want = rows(&plain, q);
        let delays = steps.iter().filter(|s| s.1 == "runnable" && s.2 == "running").count();
        assert!(want.len() >= delays, "trace {i}: {} rows for {delays} delays", want.len());
        // The page's pass gives these rows too, or gives up (on the first
        // three, which the one pass cannot take; the page then keeps the view).
        match page_delays(std::slice::from_ref(&t)) {
            Some(got) => assert_eq!(got, sorted(want.clone()), "trace {i}: the page's rows"),
            None => assert!(i < 3, "trace {i}: the page's pass gave up on an ordinary trace"),
        }
        for by_join in [false, true] {
            let packed = Database::create(None).unwrap();
            packed.load(&t).unwrap();
            if by_join {
                packed.derive_delays_by_join();
            }
            assert_eq!(rows(&packed, q), want, "trace {i}, by join: {by_join}");
            // A trace without reasons too (an enum of no reasons).
            let all = "select * from g_transitions order by all";
            assert_eq!(rows(&packed, all), rows(&plain, all), "trace {i}");
        }
        drop(plain);
        let _ = std::fs::remove_file(&file);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The `delays` rows as the page derives them while it loads a trace
/// ([`schedstat_tables::delays::ChunkedDelays`], chunk by chunk), as cells:
/// `None` where the pass gave up (the page then keeps the view).
fn page_delays(chunks: &[schedstat_tables::TraceTables]) -> Option<Vec<Vec<Cell>>> {
    use schedstat_tables::delays::{ChunkedDelays, CAUSES};
    let mut deriving = ChunkedDelays::default();
    let mut out = Vec::new();
    for t in chunks {
        let mut rows = Vec::new();
        deriving.add(&t.g_transitions, &mut rows);
        for r in rows {
            out.push(
                r.iter()
                    .enumerate()
                    .map(|(k, v)| match (k, v) {
                        (_, None) => Cell::Null,
                        (5, Some(c)) => Cell::Text(CAUSES[*c as usize].into()),
                        (6, Some(c)) => Cell::Text(t.g_transitions.reasons[*c as usize].clone()),
                        (8 | 9 | 11 | 12, Some(v)) => Cell::UInt(*v as u64),
                        (_, Some(v)) => Cell::Int(*v),
                    })
                    .collect(),
            );
        }
    }
    deriving.is_complete().then(|| sorted(out))
}

fn sorted(mut rows: Vec<Vec<Cell>>) -> Vec<Vec<Cell>> {
    rows.sort_by_cached_key(|r| format!("{r:?}"));
    rows
}

/// The page's derivations give the rows of the views in a database file
/// (`delays`' join and `goroutine_totals`' sums), on every fixture, read in
/// chunks as the page reads them.
#[test]
fn page_derived_delays_are_the_views_rows() {
    let dir = std::env::temp_dir().join(format!("schedstat-page-delays-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (mut compared, mut goroutines) = (0, 0);
    for (i, p) in fixtures().iter().enumerate() {
        let bytes = std::fs::read(p).unwrap();
        let mut r = gotrace::Reader::new(&bytes).unwrap();
        let mut b = TableBuilder::new();
        let mut chunks = Vec::new();
        while let Ok(Some(ev)) = r.read_event() {
            b.add(&ev);
            if b.pending_rows() >= 700 {
                chunks.push(b.take_rows());
            }
        }
        chunks.push(b.finish());
        let file = dir.join(format!("{i}.duckdb"));
        let _ = std::fs::remove_file(&file);
        let plain = Database::create(Some(&file)).unwrap();
        plain.create_schema().unwrap();
        for t in &chunks {
            plain.append(t).unwrap();
        }
        plain.finish(chunks.last().unwrap()).unwrap();
        let want = sorted(rows(&plain, "select * from delays"));
        let got = page_delays(&chunks).unwrap_or_else(|| panic!("{}: the pass gave up", p.display()));
        assert_eq!(got.len(), want.len(), "{}: row counts differ", p.display());
        assert!(got == want, "{}: rows differ", p.display());
        compared += got.len();
        let want = sorted(rows(&plain, GOROUTINE_TOTALS_AS_BIGINT));
        let got = page_goroutine_totals(&chunks);
        assert_eq!(got.len(), want.len(), "{}: goroutine counts differ", p.display());
        assert!(got == want, "{}: goroutine totals differ", p.display());
        goroutines += got.len();
        drop(plain);
        let _ = std::fs::remove_file(&file);
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(compared > 10_000, "only {compared} delays compared");
    assert!(goroutines > 1_000, "only {goroutines} goroutines compared");
}

/// `goroutine_totals` with its sums (HUGEINT in DuckDB) as BIGINT cells.
const GOROUTINE_TOTALS_AS_BIGINT: &str = "select g, first_stack, first_src_stack, system_wait, running_ns::bigint, \
    runnable_ns::bigint, syscall_ns::bigint, waiting_ns::bigint, total_ns::bigint, transitions from goroutine_totals";

/// The `goroutine_totals` rows as the page sums them while it loads a trace
/// ([`schedstat_tables::goroutine_totals::GoroutineTotals`]), as sorted cells.
fn page_goroutine_totals(chunks: &[schedstat_tables::TraceTables]) -> Vec<Vec<Cell>> {
    let mut totals = schedstat_tables::goroutine_totals::GoroutineTotals::default();
    for t in chunks {
        totals.add(&t.g_transitions);
    }
    let int = |v: Option<i64>| v.map_or(Cell::Null, Cell::Int);
    let stack = |v: Option<u64>| v.map_or(Cell::Null, Cell::UInt);
    sorted(
        totals
            .finish()
            .into_iter()
            .map(|r| {
                vec![
                    int(r.g),
                    stack(r.first_stack),
                    stack(r.first_src_stack),
                    r.system_wait.map_or(Cell::Null, Cell::Bool),
                    Cell::Int(r.running_ns),
                    Cell::Int(r.runnable_ns),
                    Cell::Int(r.syscall_ns),
                    Cell::Int(r.waiting_ns),
                    Cell::Int(r.total_ns),
                    Cell::Int(r.transitions),
                ]
            })
            .collect(),
    )
}

/// What `delays_shape` must say of a database's transitions, computed from
/// them (the view's definition in sql/views.sql).
const SHAPE_OF_THE_TRANSITIONS: &str = "select \
    (select count(*) from delays) = (select count(*) from g_transitions where from_state = 'runnable' and to_state = 'running'), \
    not exists (select g from g_transitions where from_state = 'notexist' and src_stack_id is not null and g is not null \
                group by g having count(*) > 1)";

/// `delayed_goroutines` counted from `delays` (its definition in
/// sql/views.sql), sorted.
const DELAYED_GOROUTINES_OF_THE_DELAYS: &str = "select creator_stack_id, count(distinct g), \
    count(distinct g) filter (where duration_ns > 1000000) from delays where g is not null group by all order by all";

/// Checks what the pass that derived the delays of `db` recorded:
/// `delays_shape` states what the transitions show, `delayed_goroutines`
/// is the count of the `delays` rows, the report's creator groups read with
/// those counts are the ones counted in SQL, and where the shape allows
/// the launchers to be read from `delays`, that gives the join's answer.
/// Returns whether it did.
fn check_delays_facts(db: &Database, what: &str) -> bool {
    use schedstat_report::sql::*;
    let said = rows(db, "select one_row_per_wait, one_creator_stack_per_goroutine from delays_shape");
    assert_eq!(said, rows(db, SHAPE_OF_THE_TRANSITIONS), "{what}: delays_shape");
    let derived = "select count(*) from duckdb_views() where view_name = 'delayed_goroutines' and sql like '%derived_delayed_goroutines%'";
    assert_eq!(rows(db, derived)[0][0].as_i64(), Some(1), "{what}: delayed_goroutines not the pass's");
    let counted = rows(db, "select * from delayed_goroutines order by all");
    assert_eq!(counted, rows(db, DELAYED_GOROUTINES_OF_THE_DELAYS), "{what}: delayed_goroutines");
    let params = [("limit", 1_000_000)];
    let by_creator = rows(db, &bind(DELAYS_BY_CREATOR, &params));
    assert_eq!(rows(db, &bind(DELAYS_BY_CREATOR_FROM_DELAYS, &params)), by_creator, "{what}: creator groups");
    let allowed = said[0].iter().all(|c| *c == Cell::Bool(true));
    if allowed {
        let joined = rows(db, &bind(WHO_LAUNCHED_DELAYED, &params));
        assert_eq!(rows(db, &bind(WHO_LAUNCHED_DELAYED_FROM_DELAYS, &params)), joined, "{what}: launchers");
    }
    allowed
}

/// What the pass records besides the rows is the transitions' (on every
/// fixture, and on hand-made traces that break each fact of the shape), and
/// the report's queries that read it give the answers of those that do
/// not; where nothing recorded it, the shape is NULL and the counts come
/// from `delays`.
#[test]
fn delays_facts_state_what_the_transitions_show() {
    let mut allowed = 0;
    for p in fixtures() {
        let bytes = std::fs::read(&p).unwrap();
        let db = Database::create(None).unwrap();
        load(&db, &bytes, 1000);
        allowed += check_delays_facts(&db, &p.display().to_string()) as usize;
    }
    assert!(allowed > 50, "only {allowed} fixtures read their launchers from delays");
    let two_into_runnable: &[Step] = &[
        (Some(9), "notexist", "runnable", None, 0, 5, Some(3), Some(2), Some(1)),
        (Some(9), "runnable", "running", None, 5, 2_000_010, None, None, Some(9)),
        (Some(9), "running", "waiting", Some("chan receive"), 0, 2_000_020, Some(22), None, Some(9)),
        (Some(9), "waiting", "runnable", None, 10, 2_000_030, Some(23), Some(9), Some(8)),
        (Some(9), "runnable", "runnable", None, 0, 2_000_030, None, None, Some(9)),
        (Some(9), "runnable", "running", None, 2_000_000, 4_000_030, None, None, Some(9)),
    ];
    let created_twice: &[Step] = &[
        (Some(3), "notexist", "runnable", None, 0, 1, None, Some(4), None),
        (Some(3), "notexist", "runnable", None, 1, 2, Some(12), Some(13), Some(11)),
        (Some(3), "runnable", "running", None, 2_000_000, 2_000_002, None, None, Some(3)),
    ];
    for (steps, want) in [(two_into_runnable, [false, true]), (created_twice, [true, false])] {
        let db = Database::create(None).unwrap();
        db.load(&transitions(steps)).unwrap();
        assert!(!check_delays_facts(&db, &format!("{want:?}")));
        let said = rows(&db, "select one_row_per_wait, one_creator_stack_per_goroutine from delays_shape");
        assert_eq!(said[0], want.map(Cell::Bool), "{want:?}");
    }
    // Delays derived when first read, and a database file: nothing recorded.
    let bytes = std::fs::read(&fixtures()[0]).unwrap();
    let lazily = Database::create(None).unwrap();
    load_deriving(&lazily, &bytes, 1000, false);
    let none = "select one_row_per_wait is null and one_creator_stack_per_goroutine is null from delays_shape";
    assert_eq!(rows(&lazily, none)[0][0], Cell::Bool(true));
    let counted = rows(&lazily, "select * from delayed_goroutines order by all");
    assert!(counted.len() > 1, "{counted:?}");
    assert_eq!(counted, rows(&lazily, DELAYED_GOROUTINES_OF_THE_DELAYS));
}
