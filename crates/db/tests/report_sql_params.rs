//! What the report's SQL must do on any trace, not only on the fixtures'
//! shapes:
//! - every `sql/report/*.sql` file runs with parameters as large as a long
//!   trace gives them: times hours in, millisecond buckets in the millions,
//!   big windows. Integer literals in DuckDB are INT32 unless cast, so a
//!   product of two placeholders overflowed once a spike lay 2.1 s into the
//!   trace (`busiest_runnable_bucket.sql`); this catches any such product;
//! - a rewrite for speed (`burst_blocked.sql`) still gives the plain
//!   definition's rows, and `why_runs.sql` the `runs` view's;
//! - no statement or view is planned as a nested-loop join, whose cost is
//!   the product of its sides' sizes.

use std::path::Path;

use schedstat_db::Database;
use schedstat_report::sql::{bind, ALL, BURST_BLOCKED, BURST_ROWS, WHY_RUNS, WHY_WAITING};

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

/// `burst_blocked.sql` looks up the exit that began each wait and looks
/// further back only where that finds no stack; on every fixture, with every
/// unblock in `burst_rows`, each row must still be the plain definition: the
/// stack of the goroutine's last stack-bearing exit from 'running' at or
/// before the unblock (any of them when several share that instant), NULL
/// when there is none, and one row per unblocked goroutine and instant.
#[test]
fn burst_blocked_is_the_last_stack_before_each_unblock() {
    let mut looked_back = 0i64;
    let mut rows = 0i64;
    each_fixture(|name, db| {
        let every_row = bind(BURST_ROWS, &[("earliest_ns", 0)]).replace("{{in_windows}}", "true");
        db.execute_batch(&every_row).unwrap();
        db.execute_batch(BURST_BLOCKED).unwrap();
        let check = "
            with exits as (
                select g, end_time_ns, stack_id from g_transitions
                where from_state = 'running'::state and stack_id is not null
            ),
            unblocked as (
                select distinct g, end_time_ns as unblocked_ns from schedstat_scratch.burst_rows
                where from_state = 'waiting'::state and to_state = 'runnable'::state
            ),
            plain as (
                select u.g, u.unblocked_ns,
                    (select max(x.end_time_ns) from exits x where x.g = u.g and x.end_time_ns <= u.unblocked_ns) as last_ns
                from unblocked u
            )
            select
                (select count(*) from unblocked),
                (select count(*) from schedstat_scratch.burst_blocked),
                (select count(*) from (select distinct g, unblocked_ns from schedstat_scratch.burst_blocked)),
                (select count(*) from schedstat_scratch.burst_blocked b join plain p using (g, unblocked_ns)
                 where (p.last_ns is null and b.stack_id is null)
                    or exists (select 1 from exits x where x.g = b.g and x.end_time_ns = p.last_ns and x.stack_id = b.stack_id)),
                (select count(*) from schedstat_scratch.burst_rows r
                 where r.from_state = 'waiting'::state and r.to_state = 'runnable'::state
                   and not exists (select 1 from exits x where x.g = r.g and x.end_time_ns = r.start_ns))";
        let r = db.query(check).unwrap_or_else(|e| panic!("{name}: {e}")).rows;
        let n: Vec<i64> = r[0]
            .iter()
            .map(|c| match c {
                schedstat_db::Cell::Int(v) => *v,
                other => panic!("{name}: a count is {other:?}"),
            })
            .collect();
        assert_eq!(n[1], n[0], "{name}: one row per unblock");
        assert_eq!(n[2], n[0], "{name}: no unblock twice");
        assert_eq!(n[3], n[0], "{name}: every stack is the last before its unblock");
        rows += n[0];
        looked_back += n[4];
    });
    // The fixtures exercise both halves: the exit that began the wait, and
    // waits with no such exit (under way since before the trace).
    assert!(rows > 10_000, "only {rows} unblocks");
    assert!(looked_back > 100, "only {looked_back} waits looked further back");
}

/// The joins DuckDB runs by comparing every row of one side with every row
/// of the other: what a query over the transitions must never become.
const LOOP_JOINS: [&str; 2] = ["NESTED_LOOP_JOIN", "BLOCKWISE_NL_JOIN"];

/// DuckDB plans a join as a nested loop when it cannot take equality keys
/// from its condition (a LEFT join whose condition also tested the left side
/// alone did, in the `runs` view: a minute on a 17 MB trace of 900 k
/// syscalls, invisible on traces with few). Every report and doctor query
/// and every view is planned here, on a fixture with syscalls, and none may
/// loop.
#[test]
fn no_report_query_or_view_is_planned_as_a_nested_loop() {
    // Plans follow the tables' sizes: a syscall-heavy fixture and a storm.
    for fixture in ["go1.27/syscall.trace", "go1.27/storm.trace"] {
        let (planned, looping) = loop_joins_planned(fixture);
        eprintln!("{fixture}: planned {planned}; looping: {looping:?}");
        assert!(planned >= 50, "{fixture}: only {planned} statements planned");
        assert!(looping.is_empty(), "{fixture}: planned as nested loops: {looping:?}");
    }
}

/// Plans every report and doctor statement and every view on `fixture`:
/// how many, and which had a loop join.
fn loop_joins_planned(fixture: &str) -> (usize, Vec<String>) {
    let (db, first) = load(fixture);
    // DuckDB runs an ASOF join whose probe side is small (64 rows) as a loop
    // on purpose; the fixture is small, so that rewrite is turned off here.
    db.execute_batch("set asof_loop_join_threshold = 0").unwrap();
    let late = first + 1_000_000;
    let params = [
        ("t0_ns", first),
        ("center_ns", late),
        ("earliest_ns", first),
        ("start_ns", first),
        ("end_ns", late),
        ("t_ns", late),
        ("lo_ns", first),
        ("hi_ns", late),
        ("ends_by_ns", late),
        ("lo_bucket", 0),
        ("hi_bucket", 10),
        ("window_ns", 1_000_000),
        ("limit", 5),
        ("g", 1),
        ("p", 0),
    ];
    let windows = format!("(end_time_ns > {first} and start_time_ns < {late})");
    let plan = |what: &str, sql: &str| -> String {
        let rows = db.query(&format!("explain {sql}")).unwrap_or_else(|e| panic!("{what}: {e}")).rows;
        rows.iter().flatten().map(|c| format!("{c:?}")).collect::<Vec<_>>().join("\n")
    };
    let mut looping = Vec::new();
    let mut planned = 0;
    let doctor = schedstat_report::doctor::sql::ALL.iter().map(|(file, sql)| (*file, bind(sql, &[("procs", 2), ("buckets", 10)])));
    for (file, sql) in ALL.iter().map(|(file, sql)| (*file, sql.to_string())).chain(doctor) {
        let in_windows = if file == "burst_rows.sql" { format!("start_ns between {first} and {late}") } else { windows.clone() };
        let q = bind(&sql, &params).replace("{{in_windows}}", &in_windows);
        for statement in statements(&q) {
            let statement = statement.as_str();
            // The scratch database the made tables go into (nothing to plan).
            if statement.starts_with("attach ") {
                db.execute_batch(statement).unwrap_or_else(|e| panic!("{file}: {e}"));
                continue;
            }
            let p = plan(file, statement);
            planned += 1;
            if LOOP_JOINS.iter().any(|j| p.contains(j)) {
                looping.push(file.to_string());
            }
            // Make tables the next files read (burst_rows, why_runs, ...).
            if statement.to_lowercase().contains("create or replace table schedstat_scratch.") {
                db.execute_batch(statement).unwrap_or_else(|e| panic!("{file}: {e}"));
            }
        }
    }
    let views = db.query("select view_name from duckdb_views() where not internal").unwrap().rows;
    for v in &views {
        let schedstat_db::Cell::Text(name) = &v[0] else { panic!("a view name is {:?}", v[0]) };
        let p = plan(name, &format!("select * from {name}"));
        planned += 1;
        if LOOP_JOINS.iter().any(|j| p.contains(j)) {
            looping.push(format!("view {name}"));
        }
    }
    assert!(views.len() >= 10, "only {} views", views.len());
    (planned, looping)
}

/// The statements of a SQL file: split at semicolons outside quotes and
/// comments (both may hold one), comments dropped.
fn statements(sql: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let (mut quoted, mut chars) = (false, sql.chars().peekable());
    while let Some(c) = chars.next() {
        match c {
            '\'' => quoted = !quoted,
            '-' if !quoted && chars.peek() == Some(&'-') => {
                while chars.next_if(|&n| n != '\n').is_some() {}
                continue;
            }
            ';' if !quoted => {
                out.push(String::new());
                continue;
            }
            _ => {}
        }
        out.last_mut().expect("one").push(c);
    }
    out.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

/// `why_runs.sql` keeps the `runs` view's executions in the waits' windows;
/// with one window over the whole trace they must be the view's, on every
/// fixture, whatever the view or the table's filters become.
#[test]
fn why_runs_holds_the_runs_views_rows() {
    let mut rows = 0i64;
    each_fixture(|name, db| {
        let whole = bind(WHY_RUNS, &[("earliest_ns", 0)]).replace("{{in_windows}}", "true");
        db.execute_batch(&whole).unwrap_or_else(|e| panic!("{name}: {e}"));
        let columns = "g, p, start_time_ns, end_time_ns, duration_ns, state, to_state, reason, stack_id";
        let count = |sql: &str| db.query(sql).unwrap_or_else(|e| panic!("{name}: {e}")).rows[0][0].clone();
        let view = format!("select {columns} from runs where end_time_ns > 0 and p is not null");
        let table = format!("select {columns} from schedstat_scratch.why_runs");
        assert_eq!(count(&format!("select count(*) from ({table})")), count(&format!("select count(*) from ({view})")), "{name}");
        let differ = count(&format!("select count(*) from (({table}) except all ({view}))"));
        assert!(matches!(differ, schedstat_db::Cell::Int(0)), "{name}: {differ:?} rows differ from the view's");
        if let schedstat_db::Cell::Int(n) = count(&format!("select count(*) from ({table})")) {
            rows += n;
        }
    });
    assert!(rows > 10_000, "only {rows} executions");
}

/// Runs `check` on each committed fixture (all Go versions), loaded, with
/// its name for messages.
fn each_fixture(mut check: impl FnMut(&str, Database)) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures");
    for version in std::fs::read_dir(&root).unwrap() {
        for f in std::fs::read_dir(version.unwrap().path()).unwrap() {
            let path = f.unwrap().path();
            if path.extension().is_some_and(|e| e == "trace") {
                let name = path.strip_prefix(&root).unwrap().to_str().unwrap().to_string();
                let (db, _) = load(&name);
                check(&name, db);
            }
        }
    }
}

/// The CLI's database through [`Sql`] without its second connection: the
/// report then runs every query on one thread, as the page does.
struct OneConnection<'a>(&'a Database);

impl schedstat_query::Sql for OneConnection<'_> {
    fn execute_batch(&self, sql: &str) -> schedstat_query::Result<()> {
        self.0.execute_batch(sql)
    }

    fn query(&self, sql: &str) -> schedstat_query::Result<schedstat_query::QueryResult> {
        self.0.query(sql)
    }
}

/// The report shares its per-spike and `--why` queries out between two
/// connections (`Sql::beside`): what it says must not depend on that, nor
/// on which thread made `burst_blocked` or asked for the longest run.
#[test]
fn the_report_on_two_connections_equals_the_report_on_one() {
    let opts = schedstat_report::Options {
        window_ns: 1_000_000,
        timeseries: true,
        by_creator: true,
        gc: true,
        bursts: true,
        worst: 5,
        top_waiters: true,
        why: 5,
        ..Default::default()
    };
    for name in ["go1.27/storm.trace", "go1.26/mutex.trace", "go1.27/saturation.trace", "go1.21/saturation.trace", "go1.19/storm.trace"] {
        let (db, _) = load(name);
        assert!(schedstat_query::Sql::beside(&db).is_some(), "{name}: the database offers no second connection");
        let shared = schedstat_report::build(&db, &opts).unwrap();
        let alone = schedstat_report::build(&OneConnection(&db), &opts).unwrap();
        // Not vacuous: several spikes and explained delays were shared out.
        assert!(shared.spike_details.len() > 2, "{name}: {} spike details", shared.spike_details.len());
        assert!(shared.why.as_ref().is_some_and(|w| w.len() > 1), "{name}: no delays explained");
        assert!(shared.spike_details.iter().any(|d| d.breakdown.is_some()), "{name}: no burst broken down");
        assert_eq!(serde_json::to_string(&shared).unwrap(), serde_json::to_string(&alone).unwrap(), "{name}");
    }
}
