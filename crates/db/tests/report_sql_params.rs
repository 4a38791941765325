//! Every `sql/report/*.sql` file runs with parameters as large as a long
//! trace gives them: times hours in, millisecond buckets in the millions, big
//! windows. Integer literals in DuckDB are INT32 unless cast, so a product of
//! two placeholders overflowed once a spike lay 2.1 s into the trace
//! (`busiest_runnable_bucket.sql`); this catches any such product anywhere.

use std::path::Path;

use schedstat_db::Database;
use schedstat_report::sql::{bind, ALL, BURST_ROWS, WHY_RUNS, WHY_WAITING};

fn load(name: &str) -> (Database, i64) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures").join(name);
    let data = std::fs::read(p).unwrap();
    let mut r = gotrace::Reader::new(&data).unwrap();
    let mut b = schedstat_tables::TableBuilder::new();
    while let Some(ev) = r.read_event().unwrap() {
        b.add(&ev);
    }
    let t = b.finish();
    let first = t.first_time_ns;
    let db = Database::create(None).unwrap();
    db.load(&t).unwrap();
    (db, first)
}

#[test]
fn report_queries_take_long_trace_parameters() {
    let (db, first) = load("go1.27/storm.trace");
    // Three hours of trace, in ns; bucket numbers and windows to match.
    let late = first + 3 * 3600 * 1_000_000_000;
    let params = [
        ("t0_ns", first),
        ("center_ns", late),
        ("earliest_ns", late - 1_000_000),
        ("start_ns", late),
        ("end_ns", late + 5_000_000_000),
        ("t_ns", late),
        ("lo_ns", late),
        ("hi_ns", late + 100_000_000),
        ("ends_by_ns", late + 10_000_000_000),
        ("lo_bucket", 10_800_000),
        ("hi_bucket", 10_800_100),
        ("window_ns", 3_000_000_000),
        ("limit", 5),
        ("g", 1),
        ("p", 0),
    ];
    let burst_rows = bind(BURST_ROWS, &params).replace("{{in_windows}}", &format!("start_ns between {} and {}", late - 1_000_000, late + 1_000_000));
    db.execute_batch(&burst_rows).unwrap();
    let why_runs = bind(WHY_RUNS, &params).replace("{{in_windows}}", &format!("(end_time_ns > {late} and start_time_ns < {})", late + 5_000_000_000));
    db.execute_batch(&why_runs).unwrap();
    let why_waiting = bind(WHY_WAITING, &params).replace("{{in_windows}}", &format!("(start_time_ns <= {late} and end_time_ns > {late})"));
    db.execute_batch(&why_waiting).unwrap();
    for (file, sql) in ALL {
        if ["burst_rows.sql", "why_runs.sql", "why_waiting.sql"].contains(file) {
            continue;
        }
        let q = bind(sql, &params);
        assert!(!q.contains("{{"), "{file}: a placeholder this test does not fill");
        if let Err(e) = db.query(&q) {
            panic!("{file}: {e}");
        }
    }
}
