//! `--sql`: one query, or an interactive prompt, on the trace's database.

use std::path::Path;

use rustyline::error::ReadlineError;
use schedstat_db::{Cell, Database};

use crate::render::table;
use crate::Outcome;

const HELP: &str = "\
Enter SQL ending with ';'. Commands: .tables  .schema [TABLE]  .help  .quit
Tables: g_transitions p_transitions stack_samples metrics stack_frames frames functions
        label_sets ranges tasks regions logs; views: stacks goroutines procs
        goroutine_groups goroutine_totals delays delays_shape delayed_goroutines runs; macros:
        funcs(stack_id) stack_terse stack_full root_func leaf_func is_std rel_time_ns
Example: select name, count(*), sum(runnable_ns) from goroutines group by 1 order by 3 desc limit 10;";

/// Runs `query` (its rows as a JSON array of objects with `json`), or a
/// prompt when it is empty.
pub fn run(db: &Database, query: &str, path: Option<&Path>, json: bool) -> Result<Outcome, Box<dyn std::error::Error>> {
    if !query.trim().is_empty() {
        let result = if json { rows_json(db, query).map(|v| format!("{}\n", serde_json::Value::Array(v))) } else { one(db, query) };
        return Ok(match result {
            Ok(text) => {
                print!("{text}");
                Outcome::Ok
            }
            Err(e) => {
                eprintln!("schedstat: error: {e}");
                Outcome::Failed
            }
        });
    }
    if let Some(p) = path {
        println!("schedstat SQL on {} (DuckDB). .help for help, .quit to leave.", p.display());
    }
    let mut rl = rustyline::DefaultEditor::new()?;
    let history = std::env::var_os("HOME").map(|h| Path::new(&h).join(".schedstat_history"));
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    let mut buf = String::new();
    loop {
        let prompt = if buf.is_empty() { "schedstat> " } else { "      ...> " };
        match rl.readline(prompt) {
            Ok(line) => {
                let t = line.trim();
                if buf.is_empty() && t.starts_with('.') {
                    let _ = rl.add_history_entry(t);
                    match dot(db, t) {
                        Some(out) => print!("{out}"),
                        None => break,
                    }
                    continue;
                }
                buf.push_str(&line);
                buf.push('\n');
                if t.ends_with(';') {
                    let q = std::mem::take(&mut buf);
                    let _ = rl.add_history_entry(q.trim());
                    match one(db, &q) {
                        Ok(text) => print!("{text}"),
                        Err(e) => println!("Error: {e}"),
                    }
                }
            }
            Err(ReadlineError::Interrupted) => buf.clear(),
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(h) = &history {
        let _ = rl.save_history(h);
    }
    Ok(Outcome::Ok)
}

fn one(db: &Database, q: &str) -> Result<String, String> {
    let q = q.trim().trim_end_matches(';');
    let r = db.query(q).map_err(|e| e.to_string())?;
    Ok(table::render(&r, 120))
}

/// A query's rows as JSON objects (column → value), for scripts.
fn rows_json(db: &Database, q: &str) -> Result<Vec<serde_json::Value>, String> {
    let r = db.query(q.trim().trim_end_matches(';')).map_err(|e| e.to_string())?;
    Ok(r.rows
        .iter()
        .map(|row| serde_json::Value::Object(r.columns.iter().cloned().zip(row.iter().map(cell_json)).collect()))
        .collect())
}

/// One value as JSON: integers as numbers (128-bit ones beyond 64 bits as
/// text), non-finite floats as null, lists as arrays, maps as [key, value] pairs.
fn cell_json(c: &Cell) -> serde_json::Value {
    use serde_json::Value;
    match c {
        Cell::Null => Value::Null,
        Cell::Bool(b) => Value::Bool(*b),
        Cell::Int(v) => Value::from(*v),
        Cell::UInt(v) => Value::from(*v),
        Cell::HugeInt(v) => i64::try_from(*v).map(Value::from).unwrap_or_else(|_| Value::String(v.to_string())),
        Cell::Float(v) => serde_json::Number::from_f64(*v).map_or(Value::Null, Value::Number),
        Cell::Text(s) | Cell::Other(s) => Value::String(s.clone()),
        Cell::List(items) => Value::Array(items.iter().map(cell_json).collect()),
        Cell::Map(kv) => Value::Array(kv.iter().map(|(k, v)| Value::Array(vec![cell_json(k), cell_json(v)])).collect()),
    }
}

/// Dot commands; `None` means quit.
fn dot(db: &Database, cmd: &str) -> Option<String> {
    let mut parts = cmd.split_whitespace();
    match parts.next()? {
        ".quit" | ".exit" | ".q" => None,
        ".help" => Some(format!("{HELP}\n")),
        ".tables" => Some(
            one(db, "select table_name as name, table_type as type from information_schema.tables order by 2, 1")
                .unwrap_or_else(|e| format!("Error: {e}\n")),
        ),
        ".schema" => {
            let q = match parts.next() {
                Some(t) => format!(
                    "select column_name, data_type from information_schema.columns where table_name = '{}' order by ordinal_position",
                    t.replace('\'', "''")
                ),
                None => "select table_name, string_agg(column_name || ' ' || data_type, ', ' order by ordinal_position) as columns \
                         from information_schema.columns group by 1 order by 1"
                    .into(),
            };
            Some(one(db, &q).unwrap_or_else(|e| format!("Error: {e}\n")))
        }
        other => Some(format!("unknown command {other}; try .help\n")),
    }
}
