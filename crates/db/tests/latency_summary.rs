//! The latency summary computed while reading (`schedstat_tables::LatencyCollector`,
//! which the web page shows before its database is loaded) must equal
//! `sql/report/latency_summary.sql` over the loaded tables, bit for bit, on
//! every fixture of every Go version (cut traces included, since both sides
//! see only the complete generations).

mod common;

use common::fixtures;

use gotrace::Reader;
use schedstat_db::Database;
use schedstat_tables::{LatencyCollector, TableBuilder};

const LATENCY_SUMMARY_SQL: &str = include_str!("../../../sql/report/latency_summary.sql");

fn check(bytes: &[u8], what: &str) -> bool {
    let mut r = Reader::new(bytes).unwrap();
    let mut b = TableBuilder::new();
    let mut c = LatencyCollector::new();
    while let Ok(Some(ev)) = r.read_event() {
        b.add(&ev);
        c.add(&ev);
    }
    let t = b.finish();
    let db = Database::create(None).unwrap();
    db.load(&t).unwrap();
    let q = db.query(LATENCY_SUMMARY_SQL).unwrap();
    let row = &q.rows[0];
    let f = |i: usize| row[i].as_f64().unwrap_or(f64::NAN);
    let Some(s) = c.finish() else {
        assert_eq!(row[0].as_i64(), Some(0), "{what}: SQL found waits the collector did not");
        return false;
    };
    let l = &s.latency;
    let got = [l.count as f64, l.min_ns, l.avg_ns, l.p50_ns, l.p90_ns, l.p99_ns, l.max_ns, s.t0_ns as f64, s.end_ns as f64];
    let want = [f(0), f(1), f(2), f(3), f(4), f(5), f(6), f(7), f(8)];
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.to_bits(), w.to_bits(), "{what}: column {} ({}) collector {g} vs SQL {w}", i, q.columns[i]);
    }
    true
}

#[test]
fn the_collector_equals_latency_summary_sql_on_every_fixture() {
    let mut with_waits = 0;
    for p in fixtures() {
        let bytes = std::fs::read(&p).unwrap();
        if check(&bytes, &p.display().to_string()) {
            with_waits += 1;
        }
        // A cut copy: only complete generations count, on both sides.
        if bytes.len() > 4096 {
            let cut = &bytes[..bytes.len() * 2 / 3];
            if Reader::new(cut).is_ok() {
                check(cut, &format!("{} (cut at 2/3)", p.display()));
            }
        }
    }
    assert!(with_waits >= 60, "only {with_waits} fixtures had scheduling waits");
}
