//! The transition tables of an in-memory database, kept packed in this
//! process's memory and read by DuckDB through table functions.
//!
//! Appending millions of transition rows to DuckDB and checkpointing them
//! to compress was most of the report's time (DuckDB analyses every column
//! for its compression, keeps distinct-value statistics, and copies each
//! row twice). Here a row costs a few bytes and a few nanoseconds: every
//! column is cut into blocks of DuckDB's vector size, and each block keeps
//! its smallest value and the others as 0-, 1-, 2-, 4- or 8-byte offsets
//! from it. A scan widens a block straight into DuckDB's output vector, on
//! as many threads as DuckDB gives it, reading only the columns the query
//! names.
//!
//! `g_transitions` and `p_transitions` become views over these functions,
//! with the same column names, the same values and, for text, enums whose
//! values sort as the text does. A database written to a file (`--keep-db`)
//! keeps ordinary tables.

use std::ffi::{c_void, CString};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;

use duckdb::ffi;
use schedstat_tables::delays::DelaysFacts;
use schedstat_tables::{State, TraceTables};

use crate::{DbError, Result};

mod delays;

/// Rows per block: DuckDB's standard vector size, so that one block fills
/// one output chunk.
const BLOCK_ROWS: usize = 2048;

/// How a column's values reach DuckDB.
#[derive(Clone, Copy, PartialEq)]
enum Output {
    BigInt,
    UBigInt,
    /// Codes into the column's dictionary, written as an enum.
    Enum,
}

/// One block of a column: `rows` values, each `base` plus an unsigned
/// offset of `width` bytes stored from `offset` in the column's bytes.
#[derive(Clone, Copy)]
struct Block {
    base: i64,
    /// The largest value (NULLs aside): with `base`, what a scan of a time
    /// range skips blocks by.
    max: i64,
    offset: usize,
    rows: u16,
    width: u8,
    /// Index of the block's validity words in `PackedColumn::validity`, if
    /// any of its rows is NULL.
    nulls: Option<u32>,
}

/// A column of NULL-able 64-bit integers, packed block by block.
struct PackedColumn {
    name: &'static str,
    output: Output,
    blocks: Vec<Block>,
    bytes: Vec<u8>,
    /// DuckDB's validity layout: bit `r % 64` of word `r / 64` set when row
    /// `r` of the block is not NULL.
    validity: Vec<[u64; BLOCK_ROWS / 64]>,
    /// For [`Output::Enum`]: the text of each code, in first-seen order.
    dictionary: Vec<String>,
    /// The code of each text in `dictionary` (a damaged trace can hold
    /// any number of distinct reasons).
    codes: std::collections::HashMap<String, i64>,
    /// For `g_transitions.reason`: the column's code for each code of the
    /// tables' `reasons`.
    translated: Vec<i64>,
    /// For [`Output::Enum`]: the dictionary holds the enum's values in their
    /// declared order (the schema's `state` type, entered in advance) instead
    /// of being sorted into text order.
    declared_order: bool,
    /// For [`Output::Enum`], set by [`PackedTables::register`]: the enum's
    /// values, each code's position among them, and the integer type DuckDB
    /// stores such an enum as.
    enum_type: Option<EnumType>,
}

/// An enum column's type as the scan writes it.
#[derive(Clone)]
struct EnumType {
    values: Vec<String>,
    rank: Vec<u32>,
    internal: ffi::duckdb_type,
}

impl PackedColumn {
    fn new(name: &'static str, output: Output) -> Self {
        PackedColumn {
            name,
            output,
            blocks: Vec::new(),
            bytes: Vec::new(),
            validity: Vec::new(),
            dictionary: Vec::new(),
            codes: Default::default(),
            translated: Vec::new(),
            declared_order: false,
            enum_type: None,
        }
    }

    fn rows(&self) -> usize {
        self.blocks.iter().map(|b| b.rows as usize).sum()
    }

    /// Appends `values` as blocks of at most [`BLOCK_ROWS`], each value read
    /// by `get` (NULL as `None`).
    fn push<T>(&mut self, values: &[T], mut get: impl FnMut(&T) -> Option<i64>) {
        for block in values.chunks(BLOCK_ROWS) {
            self.push_block(block, &mut get);
        }
    }

    fn push_block<T>(&mut self, values: &[T], get: &mut impl FnMut(&T) -> Option<i64>) {
        let (mut min, mut max, mut any_null) = (i64::MAX, i64::MIN, false);
        // Without branches on NULL: where NULLs come and go at random (the
        // stack IDs, the delays' causes) a branch per value mispredicted
        // often enough to double this loop's time.
        for v in values {
            let x = get(v);
            let (lo, hi) = x.map_or((i64::MAX, i64::MIN), |x| (x, x));
            min = min.min(lo);
            max = max.max(hi);
            any_null |= x.is_none();
        }
        if min > max {
            (min, max) = (0, 0);
        }
        let width: u8 = match max.wrapping_sub(min) as u64 {
            0 => 0,
            1..=0xff => 1,
            0x100..=0xffff => 2,
            0x1_0000..=0xffff_ffff => 4,
            _ => 8,
        };
        let offset = self.bytes.len();
        self.bytes.resize(offset + values.len() * width as usize, 0);
        let out = &mut self.bytes[offset..];
        let mut off = |v: &T| get(v).map_or(0, |x| x.wrapping_sub(min) as u64);
        match width {
            0 => {}
            1 => out.iter_mut().zip(values).for_each(|(o, v)| *o = off(v) as u8),
            2 => out.chunks_exact_mut(2).zip(values).for_each(|(o, v)| o.copy_from_slice(&(off(v) as u16).to_le_bytes())),
            4 => out.chunks_exact_mut(4).zip(values).for_each(|(o, v)| o.copy_from_slice(&(off(v) as u32).to_le_bytes())),
            _ => out.chunks_exact_mut(8).zip(values).for_each(|(o, v)| o.copy_from_slice(&off(v).to_le_bytes())),
        }
        let nulls = any_null.then(|| {
            let mut words = [0u64; BLOCK_ROWS / 64];
            for (r, v) in values.iter().enumerate() {
                if get(v).is_some() {
                    words[r / 64] |= 1 << (r % 64);
                }
            }
            self.validity.push(words);
            (self.validity.len() - 1) as u32
        });
        self.blocks.push(Block { base: min, max, offset, rows: values.len() as u16, width, nulls });
    }

    /// The code of `text` in the column's dictionary, added if new. DuckDB's
    /// enum values hold no NUL; a trace's strings could.
    fn code(&mut self, text: &str) -> i64 {
        let cleaned;
        let text = if text.contains('\0') {
            cleaned = text.replace('\0', "");
            cleaned.as_str()
        } else {
            text
        };
        if let Some(&k) = self.codes.get(text) {
            return k;
        }
        let k = self.dictionary.len() as i64;
        self.dictionary.push(text.to_string());
        self.codes.insert(text.to_string(), k);
        k
    }

    /// Appends states by their codes, which are this column's (its
    /// dictionary is the states in code order: see [`PackedTables::new`]).
    fn push_states(&mut self, values: &[State]) {
        self.push(values, |&s| Some(s.code()));
    }

    /// Appends `g_transitions.reason`, whose codes index `reasons`.
    fn push_reasons(&mut self, g: &schedstat_tables::GTransitions) {
        let known = self.translated.len();
        for k in known..g.reasons.len() {
            let code = self.code(&g.reasons[k]);
            self.translated.push(code);
        }
        let translated = std::mem::take(&mut self.translated);
        self.push(&g.reason, |r| r.map(|k| translated[k as usize]));
        self.translated = translated;
    }

    /// The enum's values, and each dictionary code's position among them:
    /// the declared values in their order, or the dictionary sorted (so that
    /// ordering by the column orders as the text would).
    fn enum_values(&self) -> (Vec<String>, Vec<u32>) {
        let mut values = self.dictionary.clone();
        if !self.declared_order {
            values.sort();
        }
        // DuckDB's enums have at least one value; a column of NULLs only
        // (a trace without reasons) gets one no row holds.
        if values.is_empty() {
            values.push(String::new());
        }
        let position: std::collections::HashMap<&str, u32> =
            values.iter().enumerate().map(|(k, v)| (v.as_str(), k as u32)).collect();
        let rank = self.dictionary.iter().map(|d| position.get(d.as_str()).copied().unwrap_or(0)).collect();
        (values, rank)
    }
}

/// One table's packed columns.
pub struct PackedTable {
    name: &'static str,
    columns: Vec<PackedColumn>,
    /// Rows before each block (for `rowid`), filled when the table is registered.
    block_starts: Vec<u64>,
}

impl PackedTable {
    fn new(name: &'static str, columns: &[(&'static str, Output)]) -> Self {
        PackedTable {
            name,
            columns: columns.iter().map(|&(n, o)| PackedColumn::new(n, o)).collect(),
            block_starts: Vec::new(),
        }
    }

    fn column(&mut self, name: &str) -> &mut PackedColumn {
        self.columns.iter_mut().find(|c| c.name == name).expect("a packed table's own column")
    }

    fn get(&self, name: &str) -> &PackedColumn {
        self.columns.iter().find(|c| c.name == name).expect("a packed table's own column")
    }

    fn blocks(&self) -> usize {
        self.columns.first().map_or(0, |c| c.blocks.len())
    }

    fn rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.rows())
    }

    /// The table function's name.
    fn function_name(&self) -> String {
        function_name(self.name)
    }

    /// Readies a table for scans once all its rows are in: where each block
    /// starts, and the enum types of columns that have none yet.
    fn seal(&mut self) {
        let mut start = 0u64;
        self.block_starts = (0..self.blocks())
            .map(|b| {
                let s = start;
                start += self.columns[0].blocks[b].rows as u64;
                s
            })
            .collect();
        debug_assert!(self.columns.iter().all(|c| c.rows() == start as usize));
        for c in self.columns.iter_mut().filter(|c| c.output == Output::Enum && c.enum_type.is_none()) {
            let (values, rank) = c.enum_values();
            // SAFETY: the type is created and destroyed here.
            let internal = unsafe {
                let mut ty = enum_logical_type(&values);
                let internal = ffi::duckdb_enum_internal_type(ty);
                ffi::duckdb_destroy_logical_type(&mut ty);
                internal
            };
            c.enum_type = Some(EnumType { values, rank, internal });
        }
    }
}

/// The name of the table function that reads table `table`.
fn function_name(table: &str) -> String {
    format!("schedstat_packed_{table}")
}

/// Which table a registered table function reads.
#[derive(Clone, Copy)]
enum Which {
    G,
    P,
    Delays,
}

/// A table function's extra info: the tables, and which one it reads.
struct FunctionData {
    tables: *const PackedTables,
    which: Which,
}

/// `g_transitions` and `p_transitions`, packed as they are appended, and
/// the rows of the `delays` view, derived from them when first read.
pub struct PackedTables {
    g: PackedTable,
    p: PackedTable,
    delays: OnceLock<PackedTable>,
    /// `delays` as it is derived while the transitions are appended.
    delays_while_loading: Option<delays::WhileLoading>,
    /// What that gave, handed to `delays` when first read.
    delays_loaded: std::sync::Mutex<Option<PackedTable>>,
    /// `delays` without rows, for binding before it is derived.
    delays_schema: Option<PackedTable>,
    /// What the transitions showed the pass that derived `delays` while
    /// they were appended; `None` when nothing was derived then.
    delays_facts: Option<DelaysFacts>,
    /// Derive `delays` by the view's join even where one pass would do
    /// (for tests of that path).
    delays_by_join: AtomicBool,
    /// DuckDB reads the tables from here on: they must not change.
    registered: bool,
}

impl PackedTables {
    /// The tables kept here.
    pub const NAMES: [&'static str; 2] = ["g_transitions", "p_transitions"];

    /// Empty tables whose state columns are enums of the schema's `state`
    /// type, its values in their declared order ([`State::ALL`]), so that a
    /// state's code in them is [`State::code`].
    pub fn new() -> Self {
        use Output::*;
        let mut g = PackedTable::new(
            "g_transitions",
            &[
                ("g", BigInt),
                ("from_state", Enum),
                ("to_state", Enum),
                ("reason", Enum),
                ("duration_ns", BigInt),
                ("end_time_ns", BigInt),
                ("stack_id", UBigInt),
                ("src_stack_id", UBigInt),
                ("src_g", BigInt),
                ("src_m", BigInt),
                ("src_p", BigInt),
            ],
        );
        let mut p = PackedTable::new(
            "p_transitions",
            &[
                ("p", BigInt),
                ("from_state", Enum),
                ("to_state", Enum),
                ("duration_ns", BigInt),
                ("end_time_ns", BigInt),
                ("src_p", BigInt),
                ("src_g", BigInt),
                ("src_m", BigInt),
            ],
        );
        for t in [&mut g, &mut p] {
            for c in ["from_state", "to_state"] {
                let col = t.column(c);
                col.declared_order = true;
                for state in State::ALL {
                    col.code(state.as_str());
                }
            }
        }
        let delays_while_loading = Some(delays::WhileLoading::new(&g));
        PackedTables {
            g,
            p,
            delays: OnceLock::new(),
            delays_while_loading,
            delays_loaded: Default::default(),
            delays_schema: None,
            delays_facts: None,
            delays_by_join: AtomicBool::new(false),
            registered: false,
        }
    }

    /// Packs the transitions of `t`.
    pub fn append(&mut self, t: &TraceTables) -> Result<()> {
        if self.registered {
            return Err(DbError("rows cannot be added after the database is finished".into()));
        }
        let s = &t.g_transitions;
        let g = &mut self.g;
        g.column("g").push(&s.g, |&v| v);
        g.column("from_state").push_states(&s.from_state);
        g.column("to_state").push_states(&s.to_state);
        g.column("reason").push_reasons(s);
        g.column("duration_ns").push(&s.duration_ns, |&v| Some(v));
        g.column("end_time_ns").push(&s.end_time_ns, |&v| Some(v));
        g.column("stack_id").push(&s.stack_id, |&v| v.map(|v| v as i64));
        g.column("src_stack_id").push(&s.src_stack_id, |&v| v.map(|v| v as i64));
        g.column("src_g").push(&s.src_g, |&v| v);
        g.column("src_m").push(&s.src_m, |&v| v);
        g.column("src_p").push(&s.src_p, |&v| v);
        if let Some(d) = self.delays_while_loading.as_mut() {
            d.add(&self.g, s);
        }
        let s = &t.p_transitions;
        let p = &mut self.p;
        p.column("p").push(&s.p, |&v| v);
        p.column("from_state").push_states(&s.from_state);
        p.column("to_state").push_states(&s.to_state);
        p.column("duration_ns").push(&s.duration_ns, |&v| Some(v));
        p.column("end_time_ns").push(&s.end_time_ns, |&v| Some(v));
        p.column("src_p").push(&s.src_p, |&v| v);
        p.column("src_g").push(&s.src_g, |&v| v);
        p.column("src_m").push(&s.src_m, |&v| v);
        Ok(())
    }

    /// Bytes held, for the curious (`SCHEDSTAT_TIMINGS`).
    pub fn size_bytes(&self) -> usize {
        [&self.g, &self.p]
            .iter()
            .flat_map(|t| &t.columns)
            .map(|c| {
                c.bytes.len()
                    + std::mem::size_of_val(c.validity.as_slice())
                    + std::mem::size_of_val(c.blocks.as_slice())
            })
            .sum()
    }

    /// Makes the tables readable: registers one table function per table on
    /// `conn` and replaces the schema's empty tables of the same names with
    /// views over them. `self` must stay where it is, unchanged, for as long
    /// as the database is open.
    pub fn register(&mut self, raw: &crate::chunk_load::RawDb) -> Result<()> {
        if self.registered {
            return Err(DbError("the database is already finished".into()));
        }
        self.registered = true;
        self.g.seal();
        self.p.seal();
        let (loaded, facts) = self.delays_while_loading.take().and_then(|d| d.finish(&self.g)).unzip();
        *self.loaded_delays() = loaded;
        self.delays_facts = facts;
        self.delays_schema = Some(delays::empty(&self.g));
        for (which, name) in [(Which::G, "g_transitions"), (Which::P, "p_transitions"), (Which::Delays, "delays")] {
            let function = function_name(name);
            let name = CString::new(function.as_str()).expect("no NUL in names");
            let data = Box::new(FunctionData { tables: self as *const PackedTables, which });
            // SAFETY: the function is created, configured and registered on
            // an open connection; `self` outlives the database (see above).
            unsafe {
                let mut f = ffi::duckdb_create_table_function();
                ffi::duckdb_table_function_set_name(f, name.as_ptr());
                ffi::duckdb_table_function_set_extra_info(f, Box::into_raw(data).cast(), Some(drop_boxed::<FunctionData>));
                ffi::duckdb_table_function_set_bind(f, Some(bind));
                ffi::duckdb_table_function_set_init(f, Some(init));
                ffi::duckdb_table_function_set_function(f, Some(scan));
                ffi::duckdb_table_function_supports_projection_pushdown(f, true);
                for name in [c"lo", c"hi"] {
                    let mut ty = ffi::duckdb_create_logical_type(ffi::DUCKDB_TYPE_DUCKDB_TYPE_BIGINT);
                    ffi::duckdb_table_function_add_named_parameter(f, name.as_ptr(), ty);
                    ffi::duckdb_destroy_logical_type(&mut ty);
                }
                let rc = ffi::duckdb_register_table_function(raw.connection(), f);
                ffi::duckdb_destroy_table_function(&mut f);
                if rc != ffi::DuckDBSuccess {
                    return Err(DbError(format!("could not register {function}")));
                }
            }
        }
        for t in [&self.g, &self.p] {
            raw.exec(&format!("drop table {0}; create view {0} as select * from {1}();", t.name, t.function_name()))?;
        }
        Ok(())
    }

    /// The table a function binds to: its columns and types, and its rows
    /// where they are known.
    fn schema(&self, which: Which) -> &PackedTable {
        match (which, &self.delays_schema) {
            (Which::Delays, Some(empty)) => self.delays.get().unwrap_or(empty),
            _ => self.table(which),
        }
    }

    /// The rows `which` holds, and whether that is exact: before `delays`
    /// is derived, a guess of a few transitions per delay.
    fn cardinality(&self, which: Which) -> (u64, bool) {
        match which {
            Which::Delays if self.delays.get().is_none() => match self.loaded_delays().as_ref() {
                Some(t) => (t.rows() as u64, true),
                None => (self.g.rows() as u64 / 4, false),
            },
            _ => (self.table(which).rows() as u64, true),
        }
    }

    /// The table a function reads; `delays` is derived on the first call.
    fn table(&self, which: Which) -> &PackedTable {
        match which {
            Which::G => &self.g,
            Which::P => &self.p,
            Which::Delays => self.delays.get_or_init(|| {
                if let Some(t) = self.loaded_delays().take() {
                    return t;
                }
                let started = std::time::Instant::now();
                let t = delays::derive(&self.g, self.delays_by_join.load(Ordering::Relaxed));
                if std::env::var_os("SCHEDSTAT_TIMINGS").is_some() {
                    eprintln!("delays: {} rows derived in {:?}", t.rows(), started.elapsed());
                }
                t
            }),
        }
    }

    /// Whether `delays` is derived as the transitions are appended (see
    /// [`crate::Database::derive_delays_while_loading`]).
    pub fn derive_delays_while_loading(&mut self, yes: bool) {
        self.delays_while_loading = yes.then(|| delays::WhileLoading::new(&self.g));
    }

    /// Makes `delays` come from the view's join (for tests of that path);
    /// call before any query reads it.
    pub fn derive_delays_by_join(&self) {
        self.delays_by_join.store(true, Ordering::Relaxed);
        *self.loaded_delays() = None;
    }

    /// The rows derived while loading, until `delays` takes them.
    fn loaded_delays(&self) -> std::sync::MutexGuard<'_, Option<PackedTable>> {
        self.delays_loaded.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `delays` has rows derived while loading waiting to be read
    /// (for tests that the load derived them).
    #[doc(hidden)]
    pub fn delays_derived_while_loading(&self) -> bool {
        self.loaded_delays().is_some()
    }

    /// What the transitions showed the pass deriving `delays` while they
    /// were appended (for the views `delays_shape` and `delayed_goroutines`);
    /// `None` when it did not.
    pub fn delays_facts(&self) -> Option<&DelaysFacts> {
        self.delays_facts.as_ref()
    }

    /// Replaces the `delays` view of sql/views.sql by one reading the rows
    /// derived here. Run after the views.
    pub const DELAYS_VIEW: &'static str = delays::VIEW;

    /// Replaces the views' `g_transitions_ending(lo, hi)` (the transitions
    /// whose `end_time_ns` is in `[lo, hi]`) by one that reads only the
    /// blocks whose end times reach into the range: DuckDB's own tables skip
    /// row groups by their min/max, the packed scan cannot see the filter.
    /// Run after the views.
    pub const RANGE_MACRO: &'static str = "create or replace macro g_transitions_ending(lo, hi) as table \
        select * from schedstat_packed_g_transitions(lo := lo, hi := hi) where end_time_ns between lo and hi;";
}

/// An enum type of `values`, which hold no NUL (the caller destroys it).
///
/// # Safety
/// Calls DuckDB's C API; always safe to call.
unsafe fn enum_logical_type(values: &[String]) -> ffi::duckdb_logical_type {
    let values: Vec<CString> = values.iter().map(|v| CString::new(v.as_str()).expect("no NUL in values")).collect();
    let mut ptrs: Vec<*const std::ffi::c_char> = values.iter().map(|v| v.as_ptr()).collect();
    // SAFETY: the pointers are valid NUL-terminated strings for the call.
    unsafe { ffi::duckdb_create_enum_type(ptrs.as_mut_ptr(), ptrs.len() as u64) }
}

/// The `end_time_ns` range a scan was asked for (`lo := ..., hi := ...`).
#[derive(Clone, Copy)]
struct TimeRange {
    lo: i64,
    hi: i64,
}

/// What a scan's threads share: the blocks to read, the next of them, and
/// the columns asked for.
struct ScanState {
    table: *const PackedTable,
    blocks: Vec<u32>,
    next_block: AtomicUsize,
    /// Table column index per output column (`None`: the row id).
    columns: Vec<Option<usize>>,
}

unsafe extern "C" fn drop_boxed<T>(p: *mut c_void) {
    // SAFETY: `p` came from Box::into_raw of a T, and DuckDB frees it once.
    drop(unsafe { Box::from_raw(p.cast::<T>()) });
}

/// A scan's bind data: the table it reads and the range asked for.
struct BindData {
    tables: *const PackedTables,
    which: Which,
    range: TimeRange,
}

unsafe extern "C" fn bind(info: ffi::duckdb_bind_info) {
    // SAFETY: the extra info is the FunctionData registered with the
    // function, whose tables outlive the database.
    let data = unsafe { &*ffi::duckdb_bind_get_extra_info(info).cast::<FunctionData>() };
    // SAFETY: as above.
    let t = unsafe { (*data.tables).schema(data.which) };
    for c in &t.columns {
        let name = CString::new(c.name).expect("no NUL in names");
        // SAFETY: types are created here and destroyed after DuckDB copied them.
        unsafe {
            let mut ty = match c.output {
                Output::BigInt => ffi::duckdb_create_logical_type(ffi::DUCKDB_TYPE_DUCKDB_TYPE_BIGINT),
                Output::UBigInt => ffi::duckdb_create_logical_type(ffi::DUCKDB_TYPE_DUCKDB_TYPE_UBIGINT),
                Output::Enum => enum_logical_type(&c.enum_type.as_ref().expect("set when registered").values),
            };
            ffi::duckdb_bind_add_result_column(info, name.as_ptr(), ty);
            ffi::duckdb_destroy_logical_type(&mut ty);
        }
    }
    // SAFETY: as above.
    let (rows, known) = unsafe { (*data.tables).cardinality(data.which) };
    let mut range = TimeRange { lo: i64::MIN, hi: i64::MAX };
    // SAFETY: info is valid during bind; each value is destroyed once.
    unsafe {
        for (name, bound) in [(c"lo", &mut range.lo), (c"hi", &mut range.hi)] {
            let mut v = ffi::duckdb_bind_get_named_parameter(info, name.as_ptr());
            if !v.is_null() {
                if !ffi::duckdb_is_null_value(v) {
                    *bound = ffi::duckdb_get_int64(v);
                }
                ffi::duckdb_destroy_value(&mut v);
            }
        }
        ffi::duckdb_bind_set_cardinality(info, rows, known && range.lo == i64::MIN && range.hi == i64::MAX);
        let data = BindData { tables: data.tables, which: data.which, range };
        ffi::duckdb_bind_set_bind_data(info, Box::into_raw(Box::new(data)).cast(), Some(drop_boxed::<BindData>));
    }
}

unsafe extern "C" fn init(info: ffi::duckdb_init_info) {
    // SAFETY: as in `bind`; info is valid during init.
    unsafe {
        let data = &*ffi::duckdb_init_get_bind_data(info).cast::<BindData>();
        let (t, range) = ((*data.tables).table(data.which), data.range);
        let n = ffi::duckdb_init_get_column_count(info);
        let columns =
            (0..n).map(|i| ffi::duckdb_init_get_column_index(info, i) as usize).map(|k| (k < t.columns.len()).then_some(k)).collect();
        let blocks: Vec<u32> = match t.columns.iter().find(|c| c.name == "end_time_ns") {
            Some(c) if range.lo != i64::MIN || range.hi != i64::MAX => (0..t.blocks())
                .filter(|&b| c.blocks[b].base <= range.hi && c.blocks[b].max >= range.lo)
                .map(|b| b as u32)
                .collect(),
            _ => (0..t.blocks() as u32).collect(),
        };
        let threads = blocks.len().clamp(1, 64) as u64;
        let state = Box::new(ScanState { table: t, blocks, next_block: AtomicUsize::new(0), columns });
        ffi::duckdb_init_set_init_data(info, Box::into_raw(state).cast(), Some(drop_boxed::<ScanState>));
        ffi::duckdb_init_set_max_threads(info, threads);
    }
}

/// Fills `output` with the next unread block (no rows when none is left).
unsafe extern "C" fn scan(info: ffi::duckdb_function_info, output: ffi::duckdb_data_chunk) {
    // SAFETY: bind and init data are ours (see `bind`, `init`); the output
    // chunk has one vector per requested column, of the types `bind`
    // declared, with room for BLOCK_ROWS rows.
    unsafe {
        let state = &*ffi::duckdb_function_get_init_data(info).cast::<ScanState>();
        let t = &*state.table;
        let Some(&b) = state.blocks.get(state.next_block.fetch_add(1, Ordering::Relaxed)) else {
            ffi::duckdb_data_chunk_set_size(output, 0);
            return;
        };
        let b = b as usize;
        let rows = t.columns[0].blocks[b].rows as usize;
        for (i, col) in state.columns.iter().enumerate() {
            let vector = ffi::duckdb_data_chunk_get_vector(output, i as u64);
            match col {
                Some(k) => write_block(&t.columns[*k], b, vector),
                None => {
                    let out = ffi::duckdb_vector_get_data(vector).cast::<i64>();
                    let first = t.block_starts[b] as i64;
                    (0..rows).for_each(|r| *out.add(r) = first + r as i64);
                }
            }
        }
        ffi::duckdb_data_chunk_set_size(output, rows as u64);
    }
}

/// Widens block `b` of `c` into `vector`.
///
/// # Safety
/// `vector` is an output vector of the type `bind` declared for `c`, with
/// room for the block's rows.
unsafe fn write_block(c: &PackedColumn, b: usize, vector: ffi::duckdb_vector) {
    let block = c.blocks[b];
    let rows = block.rows as usize;
    let data = &c.bytes[block.offset..block.offset + rows * block.width as usize];
    // SAFETY: see the function's contract.
    unsafe {
        let out = ffi::duckdb_vector_get_data(vector);
        match c.output {
            Output::BigInt | Output::UBigInt => widen(data, block, std::slice::from_raw_parts_mut(out.cast::<i64>(), rows)),
            Output::Enum => {
                // Codes are few; widen them, then map each to its enum position.
                let mut codes = [0i64; BLOCK_ROWS];
                widen(data, block, &mut codes[..rows]);
                let e = c.enum_type.as_ref().expect("set when registered");
                let at = |code: i64| e.rank.get(code as usize).copied().unwrap_or(0);
                match e.internal {
                    ffi::DUCKDB_TYPE_DUCKDB_TYPE_UTINYINT => {
                        let out = out.cast::<u8>();
                        (0..rows).for_each(|r| *out.add(r) = at(codes[r]) as u8)
                    }
                    ffi::DUCKDB_TYPE_DUCKDB_TYPE_USMALLINT => {
                        let out = out.cast::<u16>();
                        (0..rows).for_each(|r| *out.add(r) = at(codes[r]) as u16)
                    }
                    _ => {
                        let out = out.cast::<u32>();
                        (0..rows).for_each(|r| *out.add(r) = at(codes[r]))
                    }
                }
            }
        }
        if let Some(k) = block.nulls {
            ffi::duckdb_vector_ensure_validity_writable(vector);
            let mask = ffi::duckdb_vector_get_validity(vector);
            let words = &c.validity[k as usize];
            std::ptr::copy_nonoverlapping(words.as_ptr(), mask, rows.div_ceil(64));
        }
    }
}

impl PackedColumn {
    /// Widens block `b` into `out`; returns its validity words if any of
    /// its rows is NULL.
    fn read_block(&self, b: usize, out: &mut [i64; BLOCK_ROWS]) -> Option<[u64; BLOCK_ROWS / 64]> {
        let block = self.blocks[b];
        let rows = block.rows as usize;
        widen(&self.bytes[block.offset..block.offset + rows * block.width as usize], block, &mut out[..rows]);
        block.nulls.map(|k| self.validity[k as usize])
    }
}

/// `base + offset` for each of a block's rows.
fn widen(data: &[u8], block: Block, out: &mut [i64]) {
    let base = block.base;
    match block.width {
        0 => out.fill(base),
        1 => out.iter_mut().zip(data).for_each(|(o, &d)| *o = base.wrapping_add(d as i64)),
        2 => out
            .iter_mut()
            .zip(data.chunks_exact(2))
            .for_each(|(o, d)| *o = base.wrapping_add(u16::from_le_bytes([d[0], d[1]]) as i64)),
        4 => out
            .iter_mut()
            .zip(data.chunks_exact(4))
            .for_each(|(o, d)| *o = base.wrapping_add(u32::from_le_bytes([d[0], d[1], d[2], d[3]]) as i64)),
        _ => out
            .iter_mut()
            .zip(data.chunks_exact(8))
            .for_each(|(o, d)| *o = base.wrapping_add(u64::from_le_bytes(d.try_into().expect("8 bytes")) as i64)),
    }
}
