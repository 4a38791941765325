//! The one interface schedstat's analyses query through.
//!
//! `schedstat-report` builds its report by running `sql/report/*.sql` through
//! [`Sql`]; the CLI implements it over native DuckDB (`schedstat-db`), the web
//! page over DuckDB-WASM (`schedstat-wasm`, through a JavaScript callback). So
//! the report's logic exists once, and the page answers exactly what the CLI
//! answers. This crate has no dependencies, so it builds for wasm32 too.

#![warn(missing_docs)]

/// A failure from the database, with the statement it came from when known.
#[derive(Debug)]
pub struct DbError(pub String);

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DbError {}

/// Result of a query.
pub type Result<T> = std::result::Result<T, DbError>;

/// A SQL database holding one trace's tables (`sql/schema.sql`).
pub trait Sql {
    /// Runs statements that return nothing (DDL, the report's scratch tables, macros).
    fn execute_batch(&self, sql: &str) -> Result<()>;
    /// Runs one query and collects its result.
    fn query(&self, sql: &str) -> Result<QueryResult>;
    /// Another connection to the same database, for a second thread to
    /// query while this one does; `None` where there is none (the page's
    /// DuckDB-WASM answers one query at a time). The report shares its many
    /// small per-spike queries out between the two: each is too small for
    /// DuckDB's own threads, so one core idled while they ran.
    fn beside(&self) -> Option<Box<dyn Sql + Send + '_>> {
        None
    }
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

/// A cell as a result table shows it (the `--sql` table, the TUI's SQL tab):
/// NULL as `NULL`, lists as `[a, b]`, maps as `{k=v, ...}`.
impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let joined = |items: &mut dyn Iterator<Item = String>| items.collect::<Vec<_>>().join(", ");
        match self {
            Cell::Null => f.write_str("NULL"),
            Cell::Bool(b) => write!(f, "{b}"),
            Cell::Int(v) => write!(f, "{v}"),
            Cell::UInt(v) => write!(f, "{v}"),
            Cell::HugeInt(v) => write!(f, "{v}"),
            Cell::Float(v) => write!(f, "{v}"),
            Cell::Text(s) | Cell::Other(s) => f.write_str(s),
            Cell::List(items) => write!(f, "[{}]", joined(&mut items.iter().map(Cell::to_string))),
            Cell::Map(kv) => write!(f, "{{{}}}", joined(&mut kv.iter().map(|(k, v)| format!("{k}={v}")))),
        }
    }
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

