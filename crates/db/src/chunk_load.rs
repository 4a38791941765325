//! Bulk loading straight into DuckDB's vectors.
//!
//! Each table's columns are copied, 2048 rows at a time, into data chunks
//! whose types are the table's own (read back from the appender), and handed
//! to DuckDB's appender. Going through Arrow instead cost two extra copies of
//! every column and a per-value call for every string, and could not fill
//! `ENUM` columns: the state columns are enums so that the millions of
//! transition rows hold one byte per state instead of a string.
//!
//! This is the crate's only `unsafe` code: DuckDB's C API, called with the
//! invariants its documentation states (vectors sized by `duckdb_vector_size`,
//! validity made writable before use, every handle destroyed once).

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use duckdb::ffi;
use schedstat_tables::TraceTables;

use crate::{DbError, Result};

/// One column of rows to append, borrowed from the tables.
pub enum Col<'a> {
    /// Non-null signed integers.
    I64(&'a [i64]),
    /// Signed integers, `None` as NULL.
    OptI64(&'a [Option<i64>]),
    /// Non-null unsigned integers.
    U64(&'a [u64]),
    /// Unsigned integers, `None` as NULL.
    OptU64(&'a [Option<u64>]),
    /// Text (into a VARCHAR or an ENUM column).
    Str(&'a [&'static str]),
    /// States (into a `state` ENUM column), by name.
    States(&'a [schedstat_tables::State]),
    /// Owned text.
    String(&'a [String]),
    /// `g_transitions.reason`: text by code (NULL as `None`).
    Reason(&'a schedstat_tables::GTransitions),
    /// Optional static text.
    OptStr(&'a [Option<&'static str>]),
    /// Booleans.
    Bool(&'a [bool]),
    /// The same text on every row.
    ConstStr(&'static str, usize),
    /// The same integer on every row.
    ConstI64(i64, usize),
    /// NULL on every row.
    Null(usize),
}

impl Col<'_> {
    fn len(&self) -> usize {
        match self {
            Col::I64(v) => v.len(),
            Col::OptI64(v) => v.len(),
            Col::U64(v) => v.len(),
            Col::OptU64(v) => v.len(),
            Col::Str(v) => v.len(),
            Col::States(v) => v.len(),
            Col::String(v) => v.len(),
            Col::Reason(g) => g.reason.len(),
            Col::OptStr(v) => v.len(),
            Col::Bool(v) => v.len(),
            Col::ConstStr(_, n) | Col::ConstI64(_, n) | Col::Null(n) => *n,
        }
    }

    /// Row `i` as text, if this is a text column (`Some(None)` is NULL).
    fn text(&self, i: usize) -> Option<Option<&str>> {
        match self {
            Col::Str(v) => Some(Some(v[i])),
            Col::States(v) => Some(Some(v[i].as_str())),
            Col::String(v) => Some(Some(v[i].as_str())),
            Col::Reason(g) => Some(g.reason_text(i)),
            Col::OptStr(v) => Some(v[i]),
            Col::ConstStr(s, _) => Some(Some(s)),
            Col::Null(_) => Some(None),
            _ => None,
        }
    }
}

/// The catalog an in-memory database keeps its tables in: attached with
/// DuckDB's `compress` option, so that [`RawDb::checkpoint`] can shrink what
/// was appended to about a tenth (DuckDB's default in-memory catalog never
/// compresses). The page's `web/src/load.ts` uses the same name and option.
pub const IN_MEMORY_CATALOG: &str = "trace";

/// The raw handles the loader needs: DuckDB's own database object (so a
/// second, raw connection can append while `duckdb::Connection` queries).
pub struct RawDb {
    db: ffi::duckdb_database,
    conn: ffi::duckdb_connection,
    appenders: std::cell::RefCell<Vec<Appender>>,
}

impl RawDb {
    /// Opens (or creates) the database at `path`, or an in-memory one.
    pub fn open(path: Option<&str>) -> Result<Self> {
        let c_path = match path {
            Some(p) => Some(CString::new(p).map_err(|_| DbError("database path contains a NUL byte".into()))?),
            None => None,
        };
        let mut db: ffi::duckdb_database = ptr::null_mut();
        let mut err: *mut c_char = ptr::null_mut();
        // SAFETY: out-pointers are valid; a NULL path opens an in-memory database.
        let rc = unsafe {
            ffi::duckdb_open_ext(c_path.as_ref().map_or(ptr::null(), |p| p.as_ptr()), &mut db, ptr::null_mut(), &mut err)
        };
        if rc != ffi::DuckDBSuccess {
            let msg = if err.is_null() {
                "could not open the database".to_string()
            } else {
                // SAFETY: DuckDB returned a NUL-terminated message that we must free.
                let m = unsafe { CStr::from_ptr(err) }.to_string_lossy().into_owned();
                unsafe { ffi::duckdb_free(err.cast()) };
                m
            };
            return Err(DbError(msg));
        }
        let mut conn: ffi::duckdb_connection = ptr::null_mut();
        // SAFETY: db is open.
        if unsafe { ffi::duckdb_connect(db, &mut conn) } != ffi::DuckDBSuccess {
            unsafe { ffi::duckdb_close(&mut db) };
            return Err(DbError("could not connect to the database".into()));
        }
        let raw = RawDb { db, conn, appenders: Default::default() };
        if path.is_none() {
            raw.exec(&format!("attach ':memory:' as {IN_MEMORY_CATALOG} (compress); use {IN_MEMORY_CATALOG};"))?;
        }
        Ok(raw)
    }

    /// Runs statements on the appending connection (no result rows).
    pub fn exec(&self, sql: &str) -> Result<()> {
        let c = CString::new(sql).map_err(|_| DbError("NUL in SQL".into()))?;
        let mut res: ffi::duckdb_result = unsafe { std::mem::zeroed() };
        let rc = unsafe { ffi::duckdb_query(self.conn, c.as_ptr(), &mut res) };
        let err = if rc != ffi::DuckDBSuccess {
            let p = unsafe { ffi::duckdb_result_error(&mut res) };
            Some(if p.is_null() { "query failed".to_string() } else { unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned() })
        } else {
            None
        };
        unsafe { ffi::duckdb_destroy_result(&mut res) };
        err.map_or(Ok(()), |e| Err(DbError(e)))
    }

    /// The appending connection, for registering functions.
    pub fn connection(&self) -> ffi::duckdb_connection {
        self.conn
    }

    /// The database handle, for `duckdb::Connection::open_from_raw`.
    pub fn database(&self) -> ffi::duckdb_database {
        self.db
    }
}

impl Drop for RawDb {
    fn drop(&mut self) {
        // SAFETY: both handles are ours and still open; `Database` drops its
        // `duckdb::Connection` before this (field order), and that one does
        // not close the database it was given.
        self.appenders.get_mut().clear();
        unsafe {
            ffi::duckdb_disconnect(&mut self.conn);
            ffi::duckdb_close(&mut self.db);
        }
    }
}

/// How one destination column is written.
enum Sink {
    I64,
    I32,
    U64,
    Bool,
    Varchar,
    /// An ENUM with at most 256 values: the text of each value, by index.
    Enum8(Vec<String>),
}

/// An open appender on one table, with its column types.
struct Appender {
    app: ffi::duckdb_appender,
    types: Vec<ffi::duckdb_logical_type>,
    sinks: Vec<Sink>,
    table: String,
}

impl Appender {
    fn new(raw: &RawDb, table: &str) -> Result<Self> {
        let c_table = CString::new(table).expect("table names have no NUL");
        let mut app: ffi::duckdb_appender = ptr::null_mut();
        // SAFETY: the connection is open; out-pointer valid.
        let rc = unsafe { ffi::duckdb_appender_create(raw.conn, ptr::null(), c_table.as_ptr(), &mut app) };
        let mut me = Appender { app, types: Vec::new(), sinks: Vec::new(), table: table.to_string() };
        if rc != ffi::DuckDBSuccess {
            return Err(me.error("opening an appender"));
        }
        // SAFETY: app is a valid appender from here on.
        let n = unsafe { ffi::duckdb_appender_column_count(app) };
        for i in 0..n {
            let ty = unsafe { ffi::duckdb_appender_column_type(app, i) };
            me.types.push(ty);
            let sink = match unsafe { ffi::duckdb_get_type_id(ty) } {
                ffi::DUCKDB_TYPE_DUCKDB_TYPE_BIGINT => Sink::I64,
                ffi::DUCKDB_TYPE_DUCKDB_TYPE_INTEGER => Sink::I32,
                ffi::DUCKDB_TYPE_DUCKDB_TYPE_UBIGINT => Sink::U64,
                ffi::DUCKDB_TYPE_DUCKDB_TYPE_BOOLEAN => Sink::Bool,
                ffi::DUCKDB_TYPE_DUCKDB_TYPE_VARCHAR => Sink::Varchar,
                ffi::DUCKDB_TYPE_DUCKDB_TYPE_ENUM
                    if unsafe { ffi::duckdb_enum_internal_type(ty) } == ffi::DUCKDB_TYPE_DUCKDB_TYPE_UTINYINT =>
                {
                    let size = unsafe { ffi::duckdb_enum_dictionary_size(ty) };
                    let values = (0..size as u64)
                        .map(|k| unsafe {
                            let v = ffi::duckdb_enum_dictionary_value(ty, k);
                            let s = CStr::from_ptr(v).to_string_lossy().into_owned();
                            ffi::duckdb_free(v.cast());
                            s
                        })
                        .collect();
                    Sink::Enum8(values)
                }
                other => return Err(DbError(format!("{table}: column {i} has a type the loader does not write ({other})"))),
            };
            me.sinks.push(sink);
        }
        Ok(me)
    }

    fn error(&self, doing: &str) -> DbError {
        let msg = if self.app.is_null() {
            "unknown error".to_string()
        } else {
            // SAFETY: app is valid; the message (if any) is owned by the appender.
            let p = unsafe { ffi::duckdb_appender_error(self.app) };
            if p.is_null() {
                "unknown error".to_string()
            } else {
                unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
            }
        };
        DbError(format!("{doing} {}: {msg}", self.table))
    }

    /// Appends every row of `cols` (one per table column, in table order).
    fn append(&mut self, cols: &[Col<'_>]) -> Result<()> {
        if cols.len() != self.sinks.len() {
            return Err(DbError(format!("{}: {} columns given for {}", self.table, cols.len(), self.sinks.len())));
        }
        let rows = cols.first().map_or(0, Col::len);
        if let Some(bad) = cols.iter().position(|c| c.len() != rows) {
            return Err(DbError(format!("{}: column {bad} has {} rows, not {rows}", self.table, cols[bad].len())));
        }
        let step = unsafe { ffi::duckdb_vector_size() } as usize;
        // SAFETY: types are the appender's own column types, one per column.
        let mut chunk = unsafe { ffi::duckdb_create_data_chunk(self.types.as_mut_ptr(), self.types.len() as u64) };
        let mut result = Ok(());
        let mut start = 0;
        while start < rows {
            let n = step.min(rows - start);
            unsafe { ffi::duckdb_data_chunk_reset(chunk) };
            for (i, (col, sink)) in cols.iter().zip(&self.sinks).enumerate() {
                // SAFETY: the chunk has this column, with room for `step` rows.
                let vector = unsafe { ffi::duckdb_data_chunk_get_vector(chunk, i as u64) };
                if let Err(e) = fill(vector, col, sink, start, n) {
                    result = Err(DbError(format!("{} column {i}: {}", self.table, e.0)));
                    break;
                }
            }
            if result.is_err() {
                break;
            }
            unsafe { ffi::duckdb_data_chunk_set_size(chunk, n as u64) };
            if unsafe { ffi::duckdb_append_data_chunk(self.app, chunk) } != ffi::DuckDBSuccess {
                result = Err(self.error("appending to"));
                break;
            }
            start += n;
        }
        unsafe { ffi::duckdb_destroy_data_chunk(&mut chunk) };
        result
    }

    fn close(self) -> Result<()> {
        // SAFETY: app is valid; close flushes, destroy (in Drop) frees.
        if unsafe { ffi::duckdb_appender_close(self.app) } != ffi::DuckDBSuccess {
            return Err(self.error("writing"));
        }
        Ok(())
    }
}

impl Drop for Appender {
    fn drop(&mut self) {
        // SAFETY: each handle is destroyed exactly once, here.
        unsafe {
            for ty in &mut self.types {
                ffi::duckdb_destroy_logical_type(ty);
            }
            ffi::duckdb_appender_destroy(&mut self.app);
        }
    }
}

/// A vector's validity mask, made writable on the first NULL.
struct Validity {
    vector: ffi::duckdb_vector,
    mask: *mut u64,
}

impl Validity {
    fn new(vector: ffi::duckdb_vector) -> Self {
        Validity { vector, mask: ptr::null_mut() }
    }

    /// Marks row `row` NULL.
    ///
    /// # Safety
    /// The vector is valid and writable, with more than `row` rows.
    unsafe fn set_null(&mut self, row: usize) {
        unsafe {
            if self.mask.is_null() {
                ffi::duckdb_vector_ensure_validity_writable(self.vector);
                self.mask = ffi::duckdb_vector_get_validity(self.vector);
            }
            *self.mask.add(row / 64) &= !(1u64 << (row % 64));
        }
    }
}

fn mismatch() -> DbError {
    DbError("the rows given do not fit the column's type".into())
}

/// Writes rows `start..start + n` of an integer column as `T`.
///
/// # Safety
/// `out` is the vector's data buffer, holding at least `n` values of `T`.
unsafe fn write_ints<T>(
    vector: ffi::duckdb_vector,
    out: *mut T,
    col: &Col<'_>,
    start: usize,
    n: usize,
    conv: impl Fn(i64) -> T,
) -> Result<()> {
    let mut validity = Validity::new(vector);
    unsafe {
        match col {
            Col::I64(v) => v[start..start + n].iter().enumerate().for_each(|(r, &x)| *out.add(r) = conv(x)),
            Col::U64(v) => v[start..start + n].iter().enumerate().for_each(|(r, &x)| *out.add(r) = conv(x as i64)),
            Col::OptI64(v) => {
                for (r, x) in v[start..start + n].iter().enumerate() {
                    match *x {
                        Some(x) => *out.add(r) = conv(x),
                        None => validity.set_null(r),
                    }
                }
            }
            Col::OptU64(v) => {
                for (r, x) in v[start..start + n].iter().enumerate() {
                    match *x {
                        Some(x) => *out.add(r) = conv(x as i64),
                        None => validity.set_null(r),
                    }
                }
            }
            Col::ConstI64(x, _) => (0..n).for_each(|r| *out.add(r) = conv(*x)),
            Col::Null(_) => (0..n).for_each(|r| validity.set_null(r)),
            _ => return Err(mismatch()),
        }
    }
    Ok(())
}

/// Writes rows `start..start + n` of `col` into `vector` as `sink` says.
fn fill(vector: ffi::duckdb_vector, col: &Col<'_>, sink: &Sink, start: usize, n: usize) -> Result<()> {
    // SAFETY (every block below): the vector was created for this column's
    // type with duckdb_vector_size() >= n rows, so its data buffer holds n
    // values of the matching Rust type.
    unsafe {
        let data = ffi::duckdb_vector_get_data(vector);
        match sink {
            Sink::I64 => write_ints(vector, data.cast::<i64>(), col, start, n, |x| x)?,
            Sink::U64 => write_ints(vector, data.cast::<u64>(), col, start, n, |x| x as u64)?,
            Sink::I32 => write_ints(vector, data.cast::<i32>(), col, start, n, |x| x as i32)?,
            Sink::Bool => {
                let mut validity = Validity::new(vector);
                match col {
                    Col::Bool(v) => {
                        v[start..start + n].iter().enumerate().for_each(|(r, &b)| *data.cast::<bool>().add(r) = b)
                    }
                    Col::Null(_) => (0..n).for_each(|r| validity.set_null(r)),
                    _ => return Err(mismatch()),
                }
            }
            Sink::Varchar => {
                let mut validity = Validity::new(vector);
                for r in 0..n {
                    match col.text(start + r).ok_or_else(mismatch)? {
                        Some(s) => ffi::duckdb_vector_assign_string_element_len(
                            vector,
                            r as u64,
                            s.as_ptr().cast(),
                            s.len() as u64,
                        ),
                        None => validity.set_null(r),
                    }
                }
            }
            Sink::Enum8(values) => {
                let mut validity = Validity::new(vector);
                let mut last: Option<(&str, u8)> = None;
                for r in 0..n {
                    match col.text(start + r).ok_or_else(mismatch)? {
                        Some(s) => {
                            let k = match last {
                                Some((t, k)) if t == s => k,
                                _ => {
                                    let k = values
                                        .iter()
                                        .position(|v| v == s)
                                        .ok_or_else(|| DbError(format!("'{s}' is not one of the column's values")))?
                                        as u8;
                                    last = Some((s, k));
                                    k
                                }
                            };
                            *data.cast::<u8>().add(r) = k;
                        }
                        None => validity.set_null(r),
                    }
                }
            }
        }
    }
    Ok(())
}

impl RawDb {
    /// Appends rows to one table, through an appender kept open across
    /// chunks: closing an appender commits, and committing after every chunk
    /// cost more than the appending.
    fn append(&self, table: &str, cols: &[Col<'_>]) -> Result<()> {
        if cols.first().map_or(0, Col::len) == 0 {
            return Ok(());
        }
        let mut open = self.appenders.borrow_mut();
        let k = match open.iter().position(|a| a.table == table) {
            Some(k) => k,
            None => {
                open.push(Appender::new(self, table)?);
                open.len() - 1
            }
        };
        open[k].append(cols)
    }

    /// Writes and commits everything appended so far.
    pub fn commit(&self) -> Result<()> {
        for a in self.appenders.borrow_mut().drain(..) {
            a.close()?;
        }
        Ok(())
    }

    /// Commits what was appended and checkpoints it: DuckDB compresses row
    /// groups only when it checkpoints, so until then every appended row is
    /// held uncompressed (about 110 bytes a transition).
    pub fn checkpoint(&self) -> Result<()> {
        self.commit()?;
        self.exec("force checkpoint;")
    }
}

/// Appends the rows of `t` to the matching tables; the transitions only
/// when `transitions` (an in-memory database packs them instead).
pub fn append_all(raw: &RawDb, t: &TraceTables, transitions: bool) -> Result<()> {
    if transitions {
        append_transitions(raw, t)?;
    }
    append_the_rest(raw, t)
}

fn append_transitions(raw: &RawDb, t: &TraceTables) -> Result<()> {
    use Col::*;
    let g = &t.g_transitions;
    raw.append(
        "g_transitions",
        &[
            OptI64(&g.g),
            States(&g.from_state),
            States(&g.to_state),
            Reason(g),
            I64(&g.duration_ns),
            I64(&g.end_time_ns),
            OptU64(&g.stack_id),
            OptU64(&g.src_stack_id),
            OptI64(&g.src_g),
            OptI64(&g.src_m),
            OptI64(&g.src_p),
        ],
    )?;
    let p = &t.p_transitions;
    raw.append(
        "p_transitions",
        &[
            OptI64(&p.p),
            States(&p.from_state),
            States(&p.to_state),
            I64(&p.duration_ns),
            I64(&p.end_time_ns),
            OptI64(&p.src_p),
            OptI64(&p.src_g),
            OptI64(&p.src_m),
        ],
    )
}

fn append_the_rest(raw: &RawDb, t: &TraceTables) -> Result<()> {
    use Col::*;
    let s = &t.stack_samples;
    let n = s.end_time_ns.len();
    raw.append(
        "stack_samples",
        &[
            ConstStr("samples/count", n),
            OptU64(&s.src_stack_id),
            ConstI64(1, n),
            I64(&s.end_time_ns),
            Null(n),
            OptI64(&s.src_g),
            OptI64(&s.src_p),
            OptI64(&s.src_m),
        ],
    )?;
    let m = &t.metrics;
    raw.append(
        "metrics",
        &[
            I64(&m.end_time_ns),
            Str(&m.name),
            I64(&m.value),
            OptU64(&m.src_stack_id),
            OptI64(&m.src_g),
            OptI64(&m.src_p),
            OptI64(&m.src_m),
        ],
    )?;
    let sf = &t.stack_frames;
    raw.append("stack_frames", &[U64(&sf.stack_id), U64(&sf.frame_id), U64(&sf.position)])?;
    let f = &t.frames;
    raw.append(
        "frames",
        &[U64(&f.frame_id), U64(&f.address), U64(&f.function_id), U64(&f.line), Null(f.frame_id.len())],
    )?;
    let fun = &t.functions;
    raw.append("functions", &[U64(&fun.function_id), String(&fun.name), String(&fun.file)])?;
    let r = &t.ranges;
    raw.append(
        "ranges",
        &[
            String(&r.name),
            OptStr(&r.scope),
            OptI64(&r.scope_id),
            OptI64(&r.start_time_ns),
            OptI64(&r.end_time_ns),
            Bool(&r.started_before),
            OptU64(&r.start_stack_id),
            OptI64(&r.src_g),
            OptI64(&r.src_p),
            OptI64(&r.src_m),
            OptI64(&r.bytes_swept),
            OptI64(&r.bytes_reclaimed),
        ],
    )?;
    let tk = &t.tasks;
    raw.append(
        "tasks",
        &[
            U64(&tk.task_id),
            OptU64(&tk.parent_id),
            String(&tk.type_),
            OptI64(&tk.start_time_ns),
            OptI64(&tk.end_time_ns),
            OptI64(&tk.start_g),
            OptI64(&tk.end_g),
            OptU64(&tk.start_stack_id),
        ],
    )?;
    let rg = &t.regions;
    raw.append(
        "regions",
        &[
            OptI64(&rg.g),
            U64(&rg.task_id),
            String(&rg.type_),
            OptI64(&rg.start_time_ns),
            OptI64(&rg.end_time_ns),
            I64(&rg.depth),
            OptU64(&rg.start_stack_id),
        ],
    )?;
    let l = &t.logs;
    raw.append(
        "logs",
        &[
            I64(&l.end_time_ns),
            U64(&l.task_id),
            String(&l.category),
            String(&l.message),
            OptI64(&l.src_g),
            OptU64(&l.src_stack_id),
        ],
    )
}
