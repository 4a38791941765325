//! `--sql`: one query, or an interactive prompt, on the trace's database.

use std::path::Path;

use rustyline::error::ReadlineError;
use schedstat_db::Database;

use crate::render::table;
use crate::Outcome;

const HELP: &str = "\
Enter SQL ending with ';'. Commands: .tables  .schema [TABLE]  .help  .quit
Tables: g_transitions p_transitions stack_samples metrics stack_frames frames functions
        label_sets ranges tasks regions logs; views: stacks goroutines procs
        goroutine_groups delays runs; macros: funcs(stack_id) stack_terse stack_full
        root_func leaf_func is_std rel_time_ns
Example: select name, count(*), sum(runnable_ns) from goroutines group by 1 order by 3 desc limit 10;";

/// Runs `query`, or a prompt when it is empty.
pub fn run(db: &Database, query: &str, path: Option<&Path>) -> Result<Outcome, Box<dyn std::error::Error>> {
    if !query.trim().is_empty() {
        return Ok(match one(db, query) {
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
