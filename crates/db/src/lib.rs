//! schedstat's DuckDB side: creates the schema from the shared `.sql` files,
//! bulk-loads a trace's tables through DuckDB's appender, and runs queries.
//!
//! The SQL lives in the repository's `sql/` folder and is compiled in here
//! verbatim; the web page imports the same files.

#![warn(missing_docs)]

use std::path::Path;

mod chunk_load;

use duckdb::types::{TimeUnit, Value, ValueRef};
use duckdb::{params, Connection};
use schedstat_tables::TraceTables;

/// The table definitions (sqlprof's tables and ours).
pub const SCHEMA_SQL: &str = include_str!("../../../sql/schema.sql");
/// Views and macros over the tables.
pub const VIEWS_SQL: &str = include_str!("../../../sql/views.sql");
/// Standard-library package paths for `is_std()`.
pub const STD_PACKAGES: &str = include_str!("../../../sql/std_packages.txt");

/// A failure from DuckDB, with the statement it came from when known.
#[derive(Debug)]
pub struct DbError(pub String);

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DbError {}

impl From<duckdb::Error> for DbError {
    fn from(e: duckdb::Error) -> Self {
        // DuckDB messages can span lines; keep the first, which says what went wrong.
        let s = e.to_string();
        DbError(s.lines().next().unwrap_or("").to_string())
    }
}

/// Result of [`Database`] operations.
pub type Result<T> = std::result::Result<T, DbError>;

/// A DuckDB database holding one trace.
pub struct Database {
    // Field order matters: the connection must close before the raw database.
    conn: Connection,
    /// The raw handles that appending needs; only a database this process
    /// creates has them.
    raw: Option<chunk_load::RawDb>,
}

/// A query's result, with every value converted to an owned [`Cell`].
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<Cell>>,
}

/// One value of a result, in the few shapes schedstat's output needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// SQL NULL.
    Null,
    /// Booleans.
    Bool(bool),
    /// Signed integers of any width.
    Int(i64),
    /// Unsigned integers of any width (UBIGINT and friends).
    UInt(u64),
    /// 128-bit integers (sums of BIGINTs).
    HugeInt(i128),
    /// Floating point and decimals.
    Float(f64),
    /// Text.
    Text(String),
    /// Lists (stack function lists).
    List(Vec<Cell>),
    /// Maps, as key/value pairs.
    Map(Vec<(Cell, Cell)>),
    /// Anything else, as DuckDB prints it.
    Other(String),
}

impl Cell {
    /// As a signed integer, if it is a number.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Cell::Int(v) => Some(*v),
            Cell::UInt(v) => i64::try_from(*v).ok(),
            Cell::HugeInt(v) => i64::try_from(*v).ok(),
            Cell::Float(v) => Some(*v as i64),
            _ => None,
        }
    }

    /// As a float, if it is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Cell::Int(v) => Some(*v as f64),
            Cell::UInt(v) => Some(*v as f64),
            Cell::HugeInt(v) => Some(*v as f64),
            Cell::Float(v) => Some(*v),
            _ => None,
        }
    }

    /// As text, if it is text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Cell::Text(s) => Some(s),
            _ => None,
        }
    }
}

fn cell(v: ValueRef<'_>) -> Cell {
    cell_owned(v.to_owned())
}

fn cell_owned(v: Value) -> Cell {
    match v {
        Value::Null => Cell::Null,
        Value::Boolean(b) => Cell::Bool(b),
        Value::TinyInt(x) => Cell::Int(x.into()),
        Value::SmallInt(x) => Cell::Int(x.into()),
        Value::Int(x) => Cell::Int(x.into()),
        Value::BigInt(x) => Cell::Int(x),
        Value::Enum(s) => Cell::Text(s),
        Value::HugeInt(x) => Cell::HugeInt(x),
        Value::UTinyInt(x) => Cell::UInt(x.into()),
        Value::USmallInt(x) => Cell::UInt(x.into()),
        Value::UInt(x) => Cell::UInt(x.into()),
        Value::UBigInt(x) => Cell::UInt(x),
        Value::Float(x) => Cell::Float(x.into()),
        Value::Double(x) => Cell::Float(x),
        Value::Decimal(d) => Cell::Float(d.to_string().parse().unwrap_or(f64::NAN)),
        Value::Text(s) => Cell::Text(s),
        Value::List(items) | Value::Array(items) => Cell::List(items.into_iter().map(cell_owned).collect()),
        Value::Map(m) => Cell::Map(m.iter().map(|(k, v)| (cell_owned(k.clone()), cell_owned(v.clone()))).collect()),
        Value::Timestamp(TimeUnit::Nanosecond, n) => Cell::Int(n),
        other => Cell::Other(format!("{other:?}")),
    }
}

impl Database {
    /// An empty database in memory, or in a file at `path` (which must not exist).
    pub fn create(path: Option<&Path>) -> Result<Self> {
        let path = match path {
            Some(p) => Some(p.to_str().ok_or_else(|| DbError(format!("{}: path is not UTF-8", p.display())))?),
            None => None,
        };
        let raw = chunk_load::RawDb::open(path)?;
        // SAFETY: the database stays open until `raw` drops, after `conn`.
        let conn = unsafe { Connection::open_from_raw(raw.database())? };
        Ok(Database { conn, raw: Some(raw) })
    }

    /// Opens an existing database file.
    pub fn open(path: &Path) -> Result<Self> {
        Ok(Database { conn: Connection::open(path)?, raw: None })
    }

    /// Opens an existing database file without taking the write lock or changing it.
    pub fn open_read_only(path: &Path) -> Result<Self> {
        let cfg = duckdb::Config::default().access_mode(duckdb::AccessMode::ReadOnly)?;
        Ok(Database { conn: Connection::open_with_flags(path, cfg)?, raw: None })
    }

    /// Creates the schema and loads a trace's tables into it, in one go.
    pub fn load(&self, t: &TraceTables) -> Result<()> {
        self.create_schema()?;
        self.append(t)?;
        self.finish(t)
    }

    /// Creates the empty tables; then [`Database::append`] rows as they come
    /// and [`Database::finish`] once.
    pub fn create_schema(&self) -> Result<()> {
        Ok(self.conn.execute_batch(SCHEMA_SQL)?)
    }

    /// Appends a chunk of rows to every table (straight into DuckDB vectors).
    pub fn append(&self, t: &TraceTables) -> Result<()> {
        let raw = self.raw.as_ref().ok_or_else(|| DbError("rows can only be added to a database this process created".into()))?;
        chunk_load::append_all(raw, t)
    }

    /// Adds what needs the whole trace: facts about it, `std_packages`, and
    /// the views and macros. `t` supplies the trace-wide facts only.
    pub fn finish(&self, t: &TraceTables) -> Result<()> {
        if let Some(raw) = &self.raw {
            raw.commit()?;
        }
        let c = &self.conn;
        {
            let mut a = c.appender("std_packages")?;
            for line in STD_PACKAGES.lines().filter(|l| !l.is_empty()) {
                a.append_row(params![line])?;
            }
        }
        {
            let mut a = c.appender("trace_info")?;
            for (k, v) in [
                ("created_by", "schedstat".to_string()),
                ("first_time_ns", t.first_time_ns.to_string()),
                ("last_time_ns", t.last_time_ns.to_string()),
                ("events", t.events.to_string()),
            ] {
                a.append_row(params![k, v])?;
            }
        }
        c.execute_batch(VIEWS_SQL)?;
        // sqlprof's rel_time_ns: time since the trace's first event.
        c.execute_batch(&format!("create macro rel_time_ns(_t_) as (_t_ - {});", t.first_time_ns))?;
        Ok(())
    }

    /// Runs statements that return nothing (DDL, macros).
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        Ok(self.conn.execute_batch(sql)?)
    }

    /// Runs one query and collects its result.
    pub fn query(&self, sql: &str) -> Result<QueryResult> {
        let mut stmt = self.conn.prepare(sql)?;
        let mut rows_out = Vec::new();
        let mut rows = stmt.query([])?;
        let mut columns: Option<Vec<String>> = None;
        while let Some(row) = rows.next()? {
            let st = row.as_ref();
            let n = st.column_count();
            if columns.is_none() {
                columns = Some((0..n).map(|i| st.column_name(i).map(|s| s.to_string()).unwrap_or_default()).collect());
            }
            let mut r = Vec::with_capacity(n);
            for i in 0..n {
                r.push(cell(row.get_ref(i)?));
            }
            rows_out.push(r);
        }
        drop(rows);
        let columns = match columns {
            Some(c) => c,
            None => stmt.column_names(),
        };
        Ok(QueryResult { columns, rows: rows_out })
    }

}
