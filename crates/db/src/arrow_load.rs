//! Bulk loading: each table's columns become one Arrow record batch handed to
//! DuckDB's appender, instead of a call per value.

use std::sync::Arc;

use duckdb::arrow::array::{ArrayRef, BooleanArray, Int64Array, StringArray, UInt64Array};
use duckdb::arrow::datatypes::{Field, Schema};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::Connection;
use schedstat_tables::TraceTables;

use crate::{DbError, Result};

fn i64s(v: &[i64]) -> ArrayRef {
    Arc::new(Int64Array::from(v.to_vec()))
}
fn oi64s(v: &[Option<i64>]) -> ArrayRef {
    Arc::new(Int64Array::from(v.to_vec()))
}
fn u64s(v: &[u64]) -> ArrayRef {
    Arc::new(UInt64Array::from(v.to_vec()))
}
fn ou64s(v: &[Option<u64>]) -> ArrayRef {
    Arc::new(UInt64Array::from(v.to_vec()))
}
fn strs(v: &[&str]) -> ArrayRef {
    Arc::new(StringArray::from(v.to_vec()))
}
fn ostrs<S: AsRef<str>>(v: &[Option<S>]) -> ArrayRef {
    Arc::new(StringArray::from(v.iter().map(|s| s.as_ref().map(|x| x.as_ref())).collect::<Vec<Option<&str>>>()))
}
fn strings(v: &[String]) -> ArrayRef {
    Arc::new(StringArray::from(v.iter().map(String::as_str).collect::<Vec<&str>>()))
}
fn bools(v: &[bool]) -> ArrayRef {
    Arc::new(BooleanArray::from(v.to_vec()))
}
fn constant_str(s: &str, n: usize) -> ArrayRef {
    Arc::new(StringArray::from(vec![s; n]))
}
fn constant_i64(x: i64, n: usize) -> ArrayRef {
    Arc::new(Int64Array::from(vec![x; n]))
}
fn null_u64(n: usize) -> ArrayRef {
    Arc::new(UInt64Array::from(vec![None; n]))
}
fn null_bool(n: usize) -> ArrayRef {
    Arc::new(BooleanArray::from(vec![None; n]))
}

/// Appends one batch; the appender matches columns by position.
fn append(conn: &Connection, table: &str, cols: Vec<ArrayRef>) -> Result<()> {
    let rows = cols.first().map_or(0, |c| c.len());
    if rows == 0 {
        return Ok(());
    }
    let fields: Vec<Field> =
        cols.iter().enumerate().map(|(i, c)| Field::new(format!("c{i}"), c.data_type().clone(), true)).collect();
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)
        .map_err(|e| DbError(format!("building {table} rows: {e}")))?;
    let mut a = conn.appender(table)?;
    a.append_record_batch(batch)?;
    Ok(())
}

/// Appends every row of `t` to the matching tables.
pub fn append_all(conn: &Connection, t: &TraceTables) -> Result<()> {
    let g = &t.g_transitions;
    append(
        conn,
        "g_transitions",
        vec![
            oi64s(&g.g),
            strs(&g.from_state),
            strs(&g.to_state),
            ostrs(&g.reason),
            i64s(&g.duration_ns),
            i64s(&g.end_time_ns),
            ou64s(&g.stack_id),
            ou64s(&g.src_stack_id),
            oi64s(&g.src_g),
            oi64s(&g.src_m),
            oi64s(&g.src_p),
        ],
    )?;
    let p = &t.p_transitions;
    append(
        conn,
        "p_transitions",
        vec![
            oi64s(&p.p),
            strs(&p.from_state),
            strs(&p.to_state),
            i64s(&p.duration_ns),
            i64s(&p.end_time_ns),
            oi64s(&p.src_p),
            oi64s(&p.src_g),
            oi64s(&p.src_m),
        ],
    )?;
    let s = &t.stack_samples;
    let n = s.end_time_ns.len();
    append(
        conn,
        "stack_samples",
        vec![
            constant_str("samples/count", n),
            ou64s(&s.src_stack_id),
            constant_i64(1, n),
            i64s(&s.end_time_ns),
            null_u64(n),
            oi64s(&s.src_g),
            oi64s(&s.src_p),
            oi64s(&s.src_m),
        ],
    )?;
    let m = &t.metrics;
    append(
        conn,
        "metrics",
        vec![
            i64s(&m.end_time_ns),
            strs(&m.name),
            i64s(&m.value),
            ou64s(&m.src_stack_id),
            oi64s(&m.src_g),
            oi64s(&m.src_p),
            oi64s(&m.src_m),
        ],
    )?;
    let sf = &t.stack_frames;
    append(conn, "stack_frames", vec![u64s(&sf.stack_id), u64s(&sf.frame_id), u64s(&sf.position)])?;
    let f = &t.frames;
    append(
        conn,
        "frames",
        vec![u64s(&f.frame_id), u64s(&f.address), u64s(&f.function_id), u64s(&f.line), null_bool(f.frame_id.len())],
    )?;
    let fun = &t.functions;
    append(conn, "functions", vec![u64s(&fun.function_id), strings(&fun.name), strings(&fun.file)])?;
    let r = &t.ranges;
    append(
        conn,
        "ranges",
        vec![
            strings(&r.name),
            ostrs(&r.scope),
            oi64s(&r.scope_id),
            oi64s(&r.start_time_ns),
            oi64s(&r.end_time_ns),
            bools(&r.started_before),
            ou64s(&r.start_stack_id),
            oi64s(&r.src_g),
            oi64s(&r.src_p),
            oi64s(&r.src_m),
            oi64s(&r.bytes_swept),
            oi64s(&r.bytes_reclaimed),
        ],
    )?;
    let tk = &t.tasks;
    append(
        conn,
        "tasks",
        vec![
            u64s(&tk.task_id),
            ou64s(&tk.parent_id),
            strings(&tk.type_),
            oi64s(&tk.start_time_ns),
            oi64s(&tk.end_time_ns),
            oi64s(&tk.start_g),
            oi64s(&tk.end_g),
            ou64s(&tk.start_stack_id),
        ],
    )?;
    let rg = &t.regions;
    append(
        conn,
        "regions",
        vec![
            oi64s(&rg.g),
            u64s(&rg.task_id),
            strings(&rg.type_),
            oi64s(&rg.start_time_ns),
            oi64s(&rg.end_time_ns),
            i64s(&rg.depth),
            ou64s(&rg.start_stack_id),
        ],
    )?;
    let l = &t.logs;
    append(
        conn,
        "logs",
        vec![
            i64s(&l.end_time_ns),
            u64s(&l.task_id),
            strings(&l.category),
            strings(&l.message),
            oi64s(&l.src_g),
            ou64s(&l.src_stack_id),
        ],
    )?;
    Ok(())
}
