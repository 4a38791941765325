//! The report on the page: `schedstat-report`'s own code, run against
//! DuckDB-WASM. Query results cross from JavaScript as JSON text (integers as
//! bare digits, so 64-bit values arrive exact) and become the same [`Cell`]s
//! the CLI's DuckDB gives, so the report's logic and numbers are the CLI's.

use schedstat_query::{Cell, DbError, QueryResult, Sql};
use std::collections::BTreeMap;

use schedstat_report::doctor::{diagnose, EventEvidence, Thresholds, THRESHOLDS};
use schedstat_report::Options;
use serde_json::Value;

/// Parses a query result sent by the page: `{"columns": [..], "rows": [[..], ..]}`.
pub fn result_from_json(text: &str) -> Result<QueryResult, DbError> {
    let v: Value = serde_json::from_str(text).map_err(|e| DbError(format!("query result from the page is not JSON: {e}")))?;
    let columns = match v.get("columns") {
        Some(Value::Array(c)) => c.iter().map(|x| x.as_str().unwrap_or_default().to_string()).collect(),
        _ => return Err(DbError("query result from the page lacks its columns".into())),
    };
    let rows = match v.get("rows") {
        Some(Value::Array(rows)) => rows
            .iter()
            .map(|r| match r {
                Value::Array(cells) => cells.iter().map(cell).collect(),
                _ => Vec::new(),
            })
            .collect(),
        _ => return Err(DbError("query result from the page lacks its rows".into())),
    };
    Ok(QueryResult { columns, rows })
}

/// One JSON value as the CLI's DuckDB reader would have given it.
fn cell(v: &Value) -> Cell {
    match v {
        Value::Null => Cell::Null,
        Value::Bool(b) => Cell::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Cell::Int(i)
            } else if let Some(u) = n.as_u64() {
                Cell::UInt(u)
            } else {
                Cell::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::String(s) => Cell::Text(s.clone()),
        Value::Array(items) => Cell::List(items.iter().map(cell).collect()),
        Value::Object(_) => Cell::Other(v.to_string()),
    }
}

/// Views of `sql/views.sql` that the report's queries read again and again.
const REREAD_VIEWS: &[&str] = &["stacks", "goroutines", "delays"];

/// Where [`materialize_views`] puts them: a schema searched before `main`.
const CACHE_SCHEMA: &str = "report_cache";

/// Computes [`REREAD_VIEWS`] once into tables of the same names in
/// [`CACHE_SCHEMA`], which is put first on the search path: the same rows,
/// so the same answers. The page's DuckDB runs on one thread, where
/// recomputing the views for each of the report's queries took minutes; the
/// tables go into the trace's compressed database (not temporary tables,
/// which are not compressed and made a 200 MB trace run out of memory).
///
/// `delays` is left alone when the reader derived its rows into a table
/// (sql/web/derived_delays.sql): the view only renames that table.
fn materialize_views(db: &dyn Sql) -> schedstat_query::Result<()> {
    let derived = db.query(
        "select 1 from duckdb_tables() where database_name = current_database() and table_name = 'derived_delays'",
    )?;
    let mut sql = format!("create schema if not exists {CACHE_SCHEMA};");
    for v in REREAD_VIEWS.iter().filter(|v| derived.rows.is_empty() || **v != "delays") {
        sql.push_str(&format!("create or replace table {CACHE_SCHEMA}.{v} as select * from main.{v};"));
    }
    sql.push_str(&format!("set search_path = '{CACHE_SCHEMA},main';"));
    db.execute_batch(&sql)
}

/// Runs the whole report with `options_json` (the CLI's [`Options`] as
/// JSON; absent fields take the CLI's defaults) and returns it as the JSON
/// `schedstat --json` prints (without the CLI's `file` and `events`, which
/// the page knows itself).
pub fn report_json(db: &dyn Sql, options_json: &str) -> Result<String, String> {
    let opts: Options = serde_json::from_str(options_json).map_err(|e| format!("report options: {e}"))?;
    materialize_views(db).map_err(|e| e.to_string())?;
    let report = schedstat_report::build(db, &opts).map_err(|e| e.to_string())?;
    serde_json::to_string(&report).map_err(|e| e.to_string())
}

/// The doctor on the page: `schedstat_report::doctor::diagnose` with the
/// events' evidence (from the same collector the CLI runs) and threshold
/// overrides (`{"id": value}`), as the JSON document `schedstat doctor
/// --json` prints, less its `trace` (the file path).
pub fn doctor_json(db: &dyn Sql, ev: &EventEvidence, thresholds_json: &str) -> Result<String, String> {
    let overrides: BTreeMap<String, f64> = serde_json::from_str(thresholds_json).map_err(|e| format!("doctor thresholds: {e}"))?;
    // Values arrive as numbers (ns, fractions, counts), not the CLI's text.
    let mut th = Thresholds::default();
    for (k, v) in overrides {
        if !THRESHOLDS.iter().any(|t| t.id == k) || !(v.is_finite() && v >= 0.0) {
            return Err(format!("doctor thresholds: bad threshold {k}={v}"));
        }
        th.0.insert(k, v);
    }
    materialize_views(db).map_err(|e| e.to_string())?;
    let d = diagnose(db, ev, &th).map_err(|e| e.to_string())?;
    serde_json::to_string(&d.document(None)).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_stay_exact_and_kinds_follow_the_json() {
        let r = result_from_json(
            r#"{"columns":["a","b","c","d","e","f"],"rows":[[9223372036854775807,18446744073709551615,0.1,"x",null,[1,"y"]]]}"#,
        )
        .unwrap();
        assert_eq!(r.columns, ["a", "b", "c", "d", "e", "f"]);
        assert_eq!(
            r.rows[0],
            vec![
                Cell::Int(i64::MAX),
                Cell::UInt(u64::MAX),
                Cell::Float(0.1),
                Cell::Text("x".into()),
                Cell::Null,
                Cell::List(vec![Cell::Int(1), Cell::Text("y".into())]),
            ]
        );
    }

    #[test]
    fn a_malformed_result_is_an_error_not_a_panic() {
        assert!(result_from_json("not json").is_err());
        assert!(result_from_json(r#"{"rows":[]}"#).is_err());
    }

    #[test]
    fn bad_options_say_which_field() {
        struct NoDb;
        impl Sql for NoDb {
            fn execute_batch(&self, _: &str) -> schedstat_query::Result<()> {
                unreachable!()
            }
            fn query(&self, _: &str) -> schedstat_query::Result<QueryResult> {
                unreachable!()
            }
        }
        let e = report_json(&NoDb, r#"{"window_ns":"soon"}"#).unwrap_err();
        assert!(e.starts_with("report options:") && e.contains("window_ns") || e.contains("invalid type"), "{e}");
    }
}
