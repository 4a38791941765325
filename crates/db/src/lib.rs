//! schedstat's DuckDB side: creates the schema from the shared `.sql` files,
//! bulk-loads a trace's tables through DuckDB's appender, and runs queries.
//!
//! The SQL lives in the repository's `sql/` folder and is compiled in here
//! verbatim; the web page imports the same files.

#![warn(missing_docs)]

use std::path::Path;

mod chunk_load;
mod packed;

use duckdb::types::{TimeUnit, Value, ValueRef};
use duckdb::{params, Connection};
use schedstat_tables::TraceTables;

/// The table definitions (sqlprof's tables and ours).
pub const SCHEMA_SQL: &str = include_str!("../../../sql/schema.sql");
/// Views and macros over the tables.
pub const VIEWS_SQL: &str = include_str!("../../../sql/views.sql");
/// Standard-library package paths for `is_std()`.
pub const STD_PACKAGES: &str = include_str!("../../../sql/std_packages.txt");

pub use schedstat_query::{Cell, DbError, QueryResult, Sql};

/// DuckDB's error as ours. DuckDB messages can span lines; the first says
/// what went wrong.
pub(crate) fn db_err(e: duckdb::Error) -> DbError {
    let s = e.to_string();
    DbError(s.lines().next().unwrap_or("").to_string())
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
    /// Rows appended since the last checkpoint (see [`CHECKPOINT_ROWS`]).
    uncompressed: std::cell::Cell<usize>,
    /// Whether the tables live in the compressed in-memory catalog, which
    /// every further connection must `use`.
    in_memory: bool,
    /// An in-memory database's transition tables, which DuckDB reads from
    /// here (see `packed.rs`). Declared after `raw` so that it outlives the
    /// database that reads it.
    packed: std::cell::RefCell<Option<Box<packed::PackedTables>>>,
}

/// Rows appended to DuckDB between two checkpoints, which compress them:
/// memory then holds the compressed tables (about a tenth of their plain
/// size) and at most this many uncompressed rows. Fewer means less memory
/// and more time (measured when the transitions still went to DuckDB, on a
/// 30 MB trace of 5.7 M of them: every 512 Ki rows, 0.29 GB peak and a fifth
/// more CPU; every 1 Mi, 0.40 GB; never, 0.76 GB). An in-memory database's
/// transitions are packed instead (`packed.rs`) and do not count.
pub const CHECKPOINT_ROWS: usize = 1 << 19;

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
        let conn = unsafe { Connection::open_from_raw(raw.database()).map_err(db_err)? };
        if path.is_none() {
            conn.execute_batch(&format!("use {};", chunk_load::IN_MEMORY_CATALOG)).map_err(db_err)?;
        }
        Ok(Database { conn, raw: Some(raw), uncompressed: Default::default(), in_memory: path.is_none(), packed: Default::default() })
    }

    /// Opens an existing database file.
    pub fn open(path: &Path) -> Result<Self> {
        Ok(Database {
            conn: Connection::open(path).map_err(db_err)?,
            raw: None,
            uncompressed: Default::default(),
            in_memory: false,
            packed: Default::default(),
        })
    }

    /// Opens an existing database file without taking the write lock or changing it.
    pub fn open_read_only(path: &Path) -> Result<Self> {
        let cfg = duckdb::Config::default().access_mode(duckdb::AccessMode::ReadOnly).map_err(db_err)?;
        Ok(Database {
            conn: Connection::open_with_flags(path, cfg).map_err(db_err)?,
            raw: None,
            uncompressed: Default::default(),
            in_memory: false,
            packed: Default::default(),
        })
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
        self.conn.execute_batch(SCHEMA_SQL).map_err(db_err)?;
        if self.in_memory && self.raw.is_some() {
            *self.packed.borrow_mut() = Some(Box::new(packed::PackedTables::new()));
        }
        Ok(())
    }

    /// Appends a chunk of rows to every table: an in-memory database packs
    /// the transitions (`packed.rs`), the rest goes straight into DuckDB
    /// vectors, and every [`CHECKPOINT_ROWS`] rows DuckDB compresses what was
    /// appended, so that whoever loads a trace chunk by chunk holds packed and
    /// compressed tables, not the trace's rows.
    pub fn append(&self, t: &TraceTables) -> Result<()> {
        let raw = self.raw.as_ref().ok_or_else(|| DbError("rows can only be added to a database this process created".into()))?;
        let mut packed = self.packed.borrow_mut();
        chunk_load::append_all(raw, t, packed.is_none())?;
        let mut rows = t.rows();
        if let Some(packed) = packed.as_mut() {
            packed.append(t)?;
            rows -= t.g_transitions.g.len() + t.p_transitions.p.len();
        }
        let pending = self.uncompressed.get() + rows;
        if pending >= CHECKPOINT_ROWS {
            self.uncompressed.set(0);
            raw.checkpoint()
        } else {
            self.uncompressed.set(pending);
            Ok(())
        }
    }

    /// Adds what needs the whole trace: facts about it, `std_packages`, and
    /// the views and macros. `t` supplies the trace-wide facts only.
    pub fn finish(&self, t: &TraceTables) -> Result<()> {
        if let Some(raw) = &self.raw {
            raw.commit()?;
            if let Some(packed) = self.packed.borrow_mut().as_mut() {
                packed.register(raw)?;
                if std::env::var_os("SCHEDSTAT_TIMINGS").is_some() {
                    eprintln!("packed transitions: {} MB", packed.size_bytes() >> 20);
                }
            }
        }
        let c = &self.conn;
        {
            let mut a = c.appender("std_packages").map_err(db_err)?;
            for line in STD_PACKAGES.lines().filter(|l| !l.is_empty()) {
                a.append_row(params![line]).map_err(db_err)?;
            }
        }
        {
            let mut a = c.appender("trace_info").map_err(db_err)?;
            for (k, v) in [
                ("created_by", "schedstat".to_string()),
                ("first_time_ns", t.first_time_ns.to_string()),
                ("last_time_ns", t.last_time_ns.to_string()),
                ("events", t.events.to_string()),
            ] {
                a.append_row(params![k, v]).map_err(db_err)?;
            }
        }
        c.execute_batch(VIEWS_SQL).map_err(db_err)?;
        if self.packed.borrow().is_some() {
            c.execute_batch(packed::PackedTables::RANGE_MACRO).map_err(db_err)?;
            c.execute_batch(packed::PackedTables::DELAYS_VIEW).map_err(db_err)?;
        }
        if let Some(facts) = self.packed.borrow().as_ref().and_then(|p| p.delays_facts()) {
            c.execute_batch(schedstat_tables::delays::DELAYED_GOROUTINES_TABLE).map_err(db_err)?;
            let mut a = c.appender("derived_delayed_goroutines").map_err(db_err)?;
            for r in &facts.delayed_goroutines {
                a.append_row(params![r.creator_stack_id.map(|v| v as u64), r.goroutines, r.goroutines_over_1ms]).map_err(db_err)?;
            }
            a.flush().map_err(db_err)?;
            drop(a);
            c.execute_batch(&facts.views_sql()).map_err(db_err)?;
        }
        // sqlprof's rel_time_ns: time since the trace's first event.
        c.execute_batch(&format!("create macro rel_time_ns(_t_) as (_t_ - {});", t.first_time_ns)).map_err(db_err)?;
        Ok(())
    }

    /// The names of the trace's tables (not the views over them), sorted:
    /// the transitions read from packed memory count as tables.
    pub fn table_names(&self) -> Result<Vec<String>> {
        let q = self.query("select table_name from duckdb_tables() where database_name = current_database()")?;
        let mut names: Vec<String> = q.rows.iter().filter_map(|r| r.first().and_then(|c| c.as_str()).map(str::to_string)).collect();
        if self.packed.borrow().is_some() {
            names.extend(packed::PackedTables::NAMES.iter().map(|n| n.to_string()));
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// Whether an in-memory database derives the `delays` view's rows while
    /// the transitions are appended (the default), so that the first query
    /// reading them does not wait; without, they are derived when first read,
    /// and a load whose queries never read them holds no copy. Call between
    /// [`Database::create_schema`] and the first [`Database::append`].
    pub fn derive_delays_while_loading(&self, yes: bool) {
        if let Some(p) = self.packed.borrow_mut().as_mut() {
            p.derive_delays_while_loading(yes);
        }
    }

    /// Whether the load derived the `delays` rows and no query has read
    /// them yet: for tests that the load, not the first query, derived them.
    #[doc(hidden)]
    pub fn delays_derived_while_loading(&self) -> bool {
        self.packed.borrow().as_ref().is_some_and(|p| p.delays_derived_while_loading())
    }

    /// Has an in-memory database derive the `delays` view's rows by the
    /// view's join, the path taken for traces out of time order, even where
    /// one pass would do: for tests that both paths give the view's rows.
    /// Call before any query reads `delays`.
    #[doc(hidden)]
    pub fn derive_delays_by_join(&self) {
        if let Some(p) = self.packed.borrow().as_ref() {
            p.derive_delays_by_join();
        }
    }

    /// Runs statements that return nothing (DDL, macros).
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql).map_err(db_err)
    }

    /// Runs one query and collects its result.
    pub fn query(&self, sql: &str) -> Result<QueryResult> {
        query_on(&self.conn, sql)
    }

    /// Another connection to this database, for a second thread: its queries
    /// run beside this connection's (`schedstat tui` answers the SQL tab while
    /// the report is still being built). It borrows the database, so it closes
    /// before the database does.
    pub fn second_connection(&self) -> Result<SecondConnection<'_>> {
        let conn = self.conn.try_clone().map_err(db_err)?;
        if self.in_memory {
            conn.execute_batch(&format!("use {};", chunk_load::IN_MEMORY_CATALOG)).map_err(db_err)?;
        }
        Ok(SecondConnection { conn, _db: std::marker::PhantomData })
    }
}

/// A connection from [`Database::second_connection`].
pub struct SecondConnection<'a> {
    conn: Connection,
    // The database must outlive the connection; `&()` keeps the type `Send`.
    _db: std::marker::PhantomData<&'a ()>,
}

impl Sql for SecondConnection<'_> {
    fn execute_batch(&self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql).map_err(db_err)
    }

    fn query(&self, sql: &str) -> Result<QueryResult> {
        query_on(&self.conn, sql)
    }
}

/// Runs one query on `conn` and collects its result.
fn query_on(conn: &Connection, sql: &str) -> Result<QueryResult> {
    let mut stmt = conn.prepare(sql).map_err(db_err)?;
    let mut rows_out = Vec::new();
    let mut rows = stmt.query([]).map_err(db_err)?;
    let mut columns: Option<Vec<String>> = None;
    while let Some(row) = rows.next().map_err(db_err)? {
        let st = row.as_ref();
        let n = st.column_count();
        if columns.is_none() {
            columns = Some((0..n).map(|i| st.column_name(i).map(|s| s.to_string()).unwrap_or_default()).collect());
        }
        let mut r = Vec::with_capacity(n);
        for i in 0..n {
            r.push(cell(row.get_ref(i).map_err(db_err)?));
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

impl Sql for Database {
    fn execute_batch(&self, sql: &str) -> Result<()> {
        Database::execute_batch(self, sql)
    }

    fn query(&self, sql: &str) -> Result<QueryResult> {
        Database::query(self, sql)
    }

    fn beside(&self) -> Option<Box<dyn Sql + Send + '_>> {
        // Without a second connection the work stays on this one.
        self.second_connection().ok().map(|c| Box::new(c) as Box<dyn Sql + Send + '_>)
    }
}
