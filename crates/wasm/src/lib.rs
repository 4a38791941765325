//! The web page's trace reader: our Go execution trace reader and table
//! builder compiled to WebAssembly, handing each table's columns to
//! JavaScript already laid out as Arrow buffers (values, validity bitmaps,
//! UTF-8 bytes plus offsets), so the page builds Arrow record batches for
//! DuckDB-WASM without touching rows one by one.
//!
//! The tables and their column order are the CLI's (`crates/db`'s loader):
//! the page runs the same `sql/*.sql` files on them, so both must agree.
//! Columns the CLI fills with constants or NULL (`stack_samples.type`,
//! `.value`, `.label_set_id`, `frames.inlined`) are filled the same way here.
//!
//! The layout code ([`columns`], [`Column`]) is plain Rust, tested natively;
//! only [`TraceParser`] and the conversion to JS values are wasm-specific.

#![warn(missing_docs)]

use schedstat_tables::delays::{ChunkedDelays, DelayRow, DelayedGoroutines, DelaysFacts, CAUSES, COLUMN_NAMES};
use schedstat_tables::goroutine_totals::{GoroutineTotal, GoroutineTotals};
use schedstat_tables::{State, TableBuilder, TraceTables};

mod js;
pub mod report;

pub use js::{TraceBuffer, TraceParser};

/// One column of one chunk, in Arrow's memory layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The schema's column name.
    pub name: &'static str,
    /// The values.
    pub data: Data,
    /// Arrow validity bitmap (bit i set = row i is not NULL, LSB first);
    /// `None` when no row is NULL.
    pub validity: Option<Vec<u8>>,
}

/// A column's values in Arrow's layout (NULL rows hold 0 / empty text).
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    /// Arrow Int64 (SQL BIGINT).
    I64(Vec<i64>),
    /// Arrow UInt64 (SQL UBIGINT).
    U64(Vec<u64>),
    /// Arrow Utf8 (SQL VARCHAR, or the `state` ENUM, which DuckDB casts on insert):
    /// the concatenated UTF-8 bytes and `rows + 1` offsets into them.
    Utf8 {
        /// Every row's text, back to back.
        bytes: Vec<u8>,
        /// Row i is `bytes[offsets[i]..offsets[i + 1]]`.
        offsets: Vec<i32>,
    },
    /// Arrow Bool (SQL BOOLEAN): bit-packed, LSB first.
    Bool(Vec<u8>),
    /// Arrow Dictionary<Int8, Utf8> for columns of a few distinct values
    /// (the `state` ENUM columns): one byte per row instead of the text,
    /// which also spares DuckDB a text-to-enum lookup per row.
    Dict {
        /// Row i is `values[indices[i]]`.
        indices: Vec<i8>,
        /// The values the indices point at (every state, for the state columns).
        values: Vec<&'static str>,
    },
}

/// One table of one chunk: its name in `sql/schema.sql`, row count and
/// columns in the schema's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Table name in `sql/schema.sql`.
    pub name: &'static str,
    /// Rows in this chunk.
    pub rows: usize,
    /// Columns, in the schema's order.
    pub columns: Vec<Column>,
}

fn bitmap(n: usize, valid: impl Fn(usize) -> bool) -> Option<Vec<u8>> {
    let mut any_null = false;
    let mut bits = vec![0u8; n.div_ceil(8)];
    for i in 0..n {
        if valid(i) {
            bits[i / 8] |= 1 << (i % 8);
        } else {
            any_null = true;
        }
    }
    any_null.then_some(bits)
}

fn col(name: &'static str, data: Data, validity: Option<Vec<u8>>) -> Column {
    Column { name, data, validity }
}

fn i64s(name: &'static str, v: &[i64]) -> Column {
    col(name, Data::I64(v.to_vec()), None)
}

fn opt_i64s(name: &'static str, v: &[Option<i64>]) -> Column {
    col(name, Data::I64(v.iter().map(|x| x.unwrap_or(0)).collect()), bitmap(v.len(), |i| v[i].is_some()))
}

fn u64s(name: &'static str, v: &[u64]) -> Column {
    col(name, Data::U64(v.to_vec()), None)
}

fn opt_u64s(name: &'static str, v: &[Option<u64>]) -> Column {
    col(name, Data::U64(v.iter().map(|x| x.unwrap_or(0)).collect()), bitmap(v.len(), |i| v[i].is_some()))
}

/// One instance for every text column (`dyn`: a copy per column would not
/// fit the reader's size budget; the reasons are the only long column).
fn utf8<'a>(name: &'static str, n: usize, row: &dyn Fn(usize) -> Option<&'a str>) -> Column {
    let mut bytes = Vec::new();
    let mut offsets = Vec::with_capacity(n + 1);
    offsets.push(0i32);
    for i in 0..n {
        if let Some(s) = row(i) {
            bytes.extend_from_slice(s.as_bytes());
        }
        offsets.push(bytes.len() as i32);
    }
    col(name, Data::Utf8 { bytes, offsets }, bitmap(n, |i| row(i).is_some()))
}

fn strs(name: &'static str, v: &[&'static str]) -> Column {
    utf8(name, v.len(), &|i| Some(v[i]))
}

/// A column of few distinct static strings (the states), dictionary-encoded.
fn states(name: &'static str, v: &[State]) -> Column {
    // Every state in the dictionary, at its code.
    let indices = v.iter().map(|&s| s.code() as i8).collect();
    col(name, Data::Dict { indices, values: State::ALL.map(State::as_str).to_vec() }, None)
}

fn strings(name: &'static str, v: &[String]) -> Column {
    utf8(name, v.len(), &|i| Some(v[i].as_str()))
}

fn all_null_u64(name: &'static str, n: usize) -> Column {
    col(name, Data::U64(vec![0; n]), Some(vec![0; n.div_ceil(8)]))
}

fn table(name: &'static str, columns: Vec<Column>) -> Table {
    let rows = match columns.first().map(|c| &c.data) {
        Some(Data::I64(v)) => v.len(),
        Some(Data::U64(v)) => v.len(),
        Some(Data::Utf8 { offsets, .. }) => offsets.len() - 1,
        Some(Data::Dict { indices, .. }) => indices.len(),
        // Bool is never a first column; its bit count is not its row count.
        Some(Data::Bool(_)) | None => 0,
    };
    Table { name, rows, columns }
}

/// Every table of `t` in the schema's column order, as the CLI's loader
/// (`crates/db/src/chunk_load.rs`, `append_all`) appends them. Tables with no
/// rows in this chunk are left out.
pub fn columns(t: &TraceTables) -> Vec<Table> {
    let g = &t.g_transitions;
    let p = &t.p_transitions;
    let s = &t.stack_samples;
    let ns = s.end_time_ns.len();
    let m = &t.metrics;
    let sf = &t.stack_frames;
    let f = &t.frames;
    let fun = &t.functions;
    let r = &t.ranges;
    let tk = &t.tasks;
    let rg = &t.regions;
    let l = &t.logs;
    let tables = vec![
        table(
            "g_transitions",
            vec![
                opt_i64s("g", &g.g),
                states("from_state", &g.from_state),
                states("to_state", &g.to_state),
                utf8("reason", g.reason.len(), &|i| g.reason_text(i)),
                i64s("duration_ns", &g.duration_ns),
                i64s("end_time_ns", &g.end_time_ns),
                opt_u64s("stack_id", &g.stack_id),
                opt_u64s("src_stack_id", &g.src_stack_id),
                opt_i64s("src_g", &g.src_g),
                opt_i64s("src_m", &g.src_m),
                opt_i64s("src_p", &g.src_p),
            ],
        ),
        table(
            "p_transitions",
            vec![
                opt_i64s("p", &p.p),
                states("from_state", &p.from_state),
                states("to_state", &p.to_state),
                i64s("duration_ns", &p.duration_ns),
                i64s("end_time_ns", &p.end_time_ns),
                opt_i64s("src_p", &p.src_p),
                opt_i64s("src_g", &p.src_g),
                opt_i64s("src_m", &p.src_m),
            ],
        ),
        table(
            "stack_samples",
            vec![
                utf8("type", ns, &|_| Some("samples/count")),
                opt_u64s("src_stack_id", &s.src_stack_id),
                i64s("value", &vec![1; ns]),
                i64s("end_time_ns", &s.end_time_ns),
                all_null_u64("label_set_id", ns),
                opt_i64s("src_g", &s.src_g),
                opt_i64s("src_p", &s.src_p),
                opt_i64s("src_m", &s.src_m),
            ],
        ),
        table(
            "metrics",
            vec![
                i64s("end_time_ns", &m.end_time_ns),
                strs("name", &m.name),
                i64s("value", &m.value),
                opt_u64s("src_stack_id", &m.src_stack_id),
                opt_i64s("src_g", &m.src_g),
                opt_i64s("src_p", &m.src_p),
                opt_i64s("src_m", &m.src_m),
            ],
        ),
        table(
            "stack_frames",
            vec![u64s("stack_id", &sf.stack_id), u64s("frame_id", &sf.frame_id), u64s("position", &sf.position)],
        ),
        table(
            "frames",
            vec![
                u64s("frame_id", &f.frame_id),
                u64s("address", &f.address),
                u64s("function_id", &f.function_id),
                u64s("line", &f.line),
                {
                    let n = f.frame_id.len();
                    col("inlined", Data::Bool(vec![0; n.div_ceil(8)]), Some(vec![0; n.div_ceil(8)]))
                },
            ],
        ),
        table("functions", vec![u64s("function_id", &fun.function_id), strings("name", &fun.name), strings("file", &fun.file)]),
        table(
            "ranges",
            vec![
                strings("name", &r.name),
                utf8("scope", r.scope.len(), &|i| r.scope[i]),
                opt_i64s("scope_id", &r.scope_id),
                opt_i64s("start_time_ns", &r.start_time_ns),
                opt_i64s("end_time_ns", &r.end_time_ns),
                {
                    let v = &r.started_before;
                    let bits = bitmap(v.len(), |i| v[i]).unwrap_or_else(|| vec![0xff; v.len().div_ceil(8)]);
                    col("started_before", Data::Bool(bits), None)
                },
                opt_u64s("start_stack_id", &r.start_stack_id),
                opt_i64s("src_g", &r.src_g),
                opt_i64s("src_p", &r.src_p),
                opt_i64s("src_m", &r.src_m),
                opt_i64s("bytes_swept", &r.bytes_swept),
                opt_i64s("bytes_reclaimed", &r.bytes_reclaimed),
            ],
        ),
        table(
            "tasks",
            vec![
                u64s("task_id", &tk.task_id),
                opt_u64s("parent_id", &tk.parent_id),
                strings("type", &tk.type_),
                opt_i64s("start_time_ns", &tk.start_time_ns),
                opt_i64s("end_time_ns", &tk.end_time_ns),
                opt_i64s("start_g", &tk.start_g),
                opt_i64s("end_g", &tk.end_g),
                opt_u64s("start_stack_id", &tk.start_stack_id),
            ],
        ),
        table(
            "regions",
            vec![
                opt_i64s("g", &rg.g),
                u64s("task_id", &rg.task_id),
                strings("type", &rg.type_),
                opt_i64s("start_time_ns", &rg.start_time_ns),
                opt_i64s("end_time_ns", &rg.end_time_ns),
                i64s("depth", &rg.depth),
                opt_u64s("start_stack_id", &rg.start_stack_id),
            ],
        ),
        table(
            "logs",
            vec![
                i64s("end_time_ns", &l.end_time_ns),
                u64s("task_id", &l.task_id),
                strings("category", &l.category),
                strings("message", &l.message),
                opt_i64s("src_g", &l.src_g),
                opt_u64s("src_stack_id", &l.src_stack_id),
            ],
        ),
    ];
    tables.into_iter().filter(|t| t.rows > 0).collect()
}

/// The `delays` rows the transitions of `t` complete, as a table.
fn derive_delays(deriving: &mut ChunkedDelays, t: &TraceTables) -> Table {
    let mut rows = Vec::new();
    deriving.add(&t.g_transitions, &mut rows);
    delays_table(&rows, &t.g_transitions.reasons)
}

/// What [`Parse::finish_all`] gives.
pub struct Finished {
    /// See [`Parse::finish`].
    pub tables: TraceTables,
    /// The doctor's evidence from the events (for [`report::doctor_json`]).
    pub evidence: schedstat_report::doctor::EventEvidence,
    /// The last `delays` rows (see [`delays_table`]).
    pub delays: Table,
    /// What the transitions showed when every `delays` row handed out is
    /// the view's; `None` when not, and the page drops them and keeps the
    /// views of sql/views.sql.
    pub delays_facts: Option<DelaysFacts>,
    /// Every goroutine's `goroutine_totals` row (see [`goroutine_totals_table`]).
    pub goroutine_totals: Table,
}

/// The `delays` view's rows as the page's `derived_delays` table
/// (sql/web/derived_delays.sql): `cause` by name, `cause_reason` as the
/// text of the transitions' reason code.
pub fn delays_table(rows: &[DelayRow], reasons: &[String]) -> Table {
    let columns = COLUMN_NAMES
        .iter()
        .enumerate()
        .map(|(k, &name)| match name {
            // The row's cause is already its index in CAUSES (always set).
            "cause" => {
                let indices = rows.iter().map(|r| r[k].unwrap_or_default() as i8).collect();
                col(name, Data::Dict { indices, values: CAUSES.to_vec() }, None)
            }
            "cause_reason" => utf8(name, rows.len(), &|i| rows[i][k].and_then(|c| reasons.get(c as usize)).map(String::as_str)),
            // Stack IDs are unsigned; the rows carry their bits.
            _ if name.ends_with("stack_id") => opt_u64s(name, &rows.iter().map(|r| r[k].map(|v| v as u64)).collect::<Vec<_>>()),
            _ => opt_i64s(name, &rows.iter().map(|r| r[k]).collect::<Vec<_>>()),
        })
        .collect();
    table("derived_delays", columns)
}

/// The pass's `goroutine_totals` rows as the page's `derived_goroutine_totals`
/// table (sql/web/derived_goroutine_totals.sql).
pub fn goroutine_totals_table(rows: &[GoroutineTotal]) -> Table {
    let n = rows.len();
    let opt_u64 = |name, f: fn(&GoroutineTotal) -> Option<u64>| opt_u64s(name, &rows.iter().map(f).collect::<Vec<_>>());
    let sums = |name, f: fn(&GoroutineTotal) -> i64| i64s(name, &rows.iter().map(f).collect::<Vec<_>>());
    let system_wait = {
        let bits = bitmap(n, |i| rows[i].system_wait == Some(true)).unwrap_or_else(|| vec![0xff; n.div_ceil(8)]);
        col("system_wait", Data::Bool(bits), bitmap(n, |i| rows[i].system_wait.is_some()))
    };
    table(
        "derived_goroutine_totals",
        vec![
            opt_i64s("g", &rows.iter().map(|r| r.g).collect::<Vec<_>>()),
            opt_u64("first_stack", |r| r.first_stack),
            opt_u64("first_src_stack", |r| r.first_src_stack),
            system_wait,
            sums("running_ns", |r| r.running_ns),
            sums("runnable_ns", |r| r.runnable_ns),
            sums("syscall_ns", |r| r.syscall_ns),
            sums("waiting_ns", |r| r.waiting_ns),
            sums("total_ns", |r| r.total_ns),
            sums("transitions", |r| r.transitions),
        ],
    )
}

/// The pass's `delayed_goroutines` counts as the page's
/// `derived_delayed_goroutines` table (sql/derived_delayed_goroutines.sql).
pub fn delayed_goroutines_table(rows: &[DelayedGoroutines]) -> Table {
    let stacks: Vec<Option<u64>> = rows.iter().map(|r| r.creator_stack_id.map(|v| v as u64)).collect();
    let goroutines: Vec<i64> = rows.iter().map(|r| r.goroutines).collect();
    let over: Vec<i64> = rows.iter().map(|r| r.goroutines_over_1ms).collect();
    table(
        "derived_delayed_goroutines",
        vec![opt_u64s("creator_stack_id", &stacks), i64s("goroutines", &goroutines), i64s("goroutines_over_1ms", &over)],
    )
}

/// Reads a trace's events in steps, stopping as the CLI does: a read error
/// before the first complete generation is the one-line message; after one,
/// reading ends with [`Pass::warning`] set and what was read is kept.
pub struct Pass<'a> {
    reader: gotrace::Reader<'a>,
    done: bool,
    /// The one-line message when the trace ended in an error after at least
    /// one complete generation (the CLI's exit code 2 case).
    pub warning: Option<String>,
}

impl<'a> Pass<'a> {
    /// Checks the header; the error is the one-line message for a file that
    /// is not a trace (or of a version the reader does not support).
    pub fn new(bytes: &'a [u8]) -> Result<Self, String> {
        let reader = gotrace::Reader::new(bytes).map_err(|e| e.explained())?;
        Ok(Pass { reader, done: false, warning: None })
    }

    /// Hands up to `step` events to `f`.
    pub fn step(&mut self, step: u32, mut f: impl FnMut(&gotrace::Event<'_>)) -> Result<(), String> {
        for _ in 0..step {
            if self.done {
                break;
            }
            match self.reader.read_event() {
                Ok(Some(ev)) => f(&ev),
                Ok(None) => self.done = true,
                Err(e) => {
                    self.done = true;
                    if self.reader.generations_done() == 0 {
                        return Err(e.explained());
                    }
                    let total = self.reader.len();
                    let lost = total.saturating_sub(self.reader.valid_bytes());
                    self.warning = Some(format!(
                        "{} (kept {} complete generations; lost {:.2}% of the trace: {} of {} bytes)",
                        e.explained(),
                        self.reader.generations_done(),
                        lost as f64 * 100.0 / total.max(1) as f64,
                        lost,
                        total
                    ));
                }
            }
        }
        Ok(())
    }

    /// True once the whole trace (or everything before an error) is read.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Fraction of the file read so far, counted in complete generations (0 to 1).
    pub fn progress(&self) -> f64 {
        if self.done {
            return 1.0;
        }
        self.reader.valid_bytes() as f64 / self.reader.len().max(1) as f64
    }

    /// Generations read completely so far.
    pub fn generations(&self) -> u64 {
        self.reader.generations_done()
    }
}

/// Reads a trace in steps of at most `step` events, building tables; the
/// wasm [`TraceParser`] wraps it. Plain Rust so it is tested natively.
pub struct Parse<'a> {
    pass: Pass<'a>,
    builder: TableBuilder,
    /// The doctor's event analyses, fed in the same pass (the CLI's collector).
    doctor: analysis::doctor::Collector,
    /// The `delays` view's rows, derived as the transitions come (the
    /// page's DuckDB then reads them instead of computing the view's join).
    delays: ChunkedDelays,
    /// The `goroutine_totals` view's rows, summed as the transitions come.
    totals: GoroutineTotals,
}

impl<'a> Parse<'a> {
    /// Checks the header (see [`Pass::new`]).
    pub fn new(bytes: &'a [u8]) -> Result<Self, String> {
        Ok(Parse {
            pass: Pass::new(bytes)?,
            builder: TableBuilder::new(),
            doctor: analysis::doctor::Collector::new(),
            delays: ChunkedDelays::default(),
            totals: GoroutineTotals::default(),
        })
    }

    /// Reads up to `step` events and returns the rows completed so far
    /// (`None` once the trace is read) with the `delays` rows they complete
    /// (see [`delays_table`]); errors as in [`Pass::step`].
    pub fn step(&mut self, step: u32) -> Result<Option<(TraceTables, Table)>, String> {
        if self.pass.is_done() {
            return Ok(None);
        }
        let (b, d) = (&mut self.builder, &mut self.doctor);
        self.pass.step(step, |ev| {
            b.add(ev);
            d.event(ev);
        })?;
        let t = self.builder.take_rows();
        let delays = derive_delays(&mut self.delays, &t);
        self.totals.add(&t.g_transitions);
        Ok(Some((t, delays)))
    }

    /// Hands a chunk's rows back once they have been copied out, so the next
    /// steps fill the same buffers instead of growing fresh ones.
    pub fn reuse(&mut self, spent: TraceTables) {
        self.builder.reuse(spent);
    }

    /// The warning of a trace cut after at least one complete generation.
    pub fn warning(&self) -> Option<&str> {
        self.pass.warning.as_deref()
    }

    /// True once the whole trace (or everything before an error) is read.
    pub fn is_done(&self) -> bool {
        self.pass.is_done()
    }

    /// Fraction of the file read so far (see [`Pass::progress`]).
    pub fn progress(&self) -> f64 {
        self.pass.progress()
    }

    /// Generations read completely so far.
    pub fn generations(&self) -> u64 {
        self.pass.generations()
    }

    /// The rows kept until the end (ranges, and the tasks and regions that
    /// never ended) plus trace-wide
    /// facts (`first_time_ns`, `last_time_ns`, `events`).
    pub fn finish(self) -> TraceTables {
        self.finish_all().tables
    }

    /// [`Parse::finish`], with the doctor's evidence and the last `delays` rows.
    pub fn finish_all(self) -> Finished {
        let Parse { builder, doctor, delays: mut deriving, mut totals, .. } = self;
        let tables = builder.finish();
        let delays = derive_delays(&mut deriving, &tables);
        totals.add(&tables.g_transitions);
        let goroutine_totals = goroutine_totals_table(&totals.finish());
        Finished { tables, evidence: doctor.finish(), delays, delays_facts: deriving.facts(), goroutine_totals }
    }
}

/// What the page shows first, from one quick pass over the file without
/// building tables (the collector `schedstat tui` uses too).
pub use schedstat_tables::QuickSummary;

/// Reads the whole trace once for [`QuickSummary`].
pub fn quick_summary(bytes: &[u8]) -> Result<QuickSummary, String> {
    let mut pass = Pass::new(bytes)?;
    let mut summary = schedstat_tables::SummaryCollector::new();
    while !pass.is_done() {
        pass.step(1 << 20, |ev| summary.add(ev))?;
    }
    Ok(summary.finish(pass.warning))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(v: &str, name: &str) -> Vec<u8> {
        let p = format!("{}/../../testdata/fixtures/{v}/{name}.trace", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(p).unwrap()
    }

    #[test]
    fn chunks_add_up_to_the_whole_table() {
        let bytes = fixture("go1.27", "storm");
        let whole = {
            let mut b = TableBuilder::new();
            let mut r = gotrace::Reader::new(&bytes).unwrap();
            while let Some(ev) = r.read_event().unwrap() {
                b.add(&ev);
            }
            b.finish()
        };
        let mut p = Parse::new(&bytes).unwrap();
        let mut g_rows = 0;
        while let Some((t, _)) = p.step(10_000).unwrap() {
            g_rows += columns(&t).iter().find(|t| t.name == "g_transitions").map_or(0, |t| t.rows);
        }
        assert!(p.warning().is_none());
        assert_eq!(g_rows, whole.g_transitions.g.len());
        let last = p.finish();
        assert_eq!(last.events, whole.events);
        assert_eq!(last.ranges.name.len(), whole.ranges.name.len());
    }

    /// The page hands each chunk's buffers back to the builder once they are
    /// copied out: the chunks that follow are the ones fresh buffers give.
    #[test]
    fn reused_buffers_give_the_same_chunks() {
        for (v, name) in [("go1.27", "storm"), ("go1.22", "ctxswitch"), ("go1.21", "storm")] {
            let bytes = fixture(v, name);
            let chunks = |reuse: bool| {
                let mut p = Parse::new(&bytes).unwrap();
                let mut out = Vec::new();
                while let Some((t, d)) = p.step(1_000).unwrap() {
                    out.push((columns(&t), d));
                    if reuse {
                        p.reuse(t);
                    }
                }
                out.push((columns(&p.finish()), Table { name: "", rows: 0, columns: Vec::new() }));
                out
            };
            let fresh = chunks(false);
            assert!(fresh.len() > 3, "{v}/{name}: {} chunks", fresh.len());
            assert!(fresh == chunks(true), "{v}/{name}");
        }
    }

    /// The page moves the doctor's evidence from the parsing worker to the
    /// query worker as JSON, read back by hand (see `EventEvidence::from_json`):
    /// it must come back whole, and read as the derived reader reads it.
    #[test]
    fn doctor_evidence_crosses_as_json() {
        for (v, name) in [("go1.27", "leak"), ("go1.27", "mutex"), ("go1.27", "gc"), ("go1.21", "deadlock"), ("go1.22", "ctxswitch")] {
            let bytes = fixture(v, name);
            let mut p = Parse::new(&bytes).unwrap();
            while p.step(50_000).unwrap().is_some() {}
            let evidence = p.finish_all().evidence;
            let json = evidence.to_json();
            let derived: schedstat_report::doctor::EventEvidence = serde_json::from_str(&json).unwrap();
            assert_eq!(derived, evidence, "{v}/{name}");
            assert_eq!(schedstat_report::doctor::EventEvidence::from_json(&json).unwrap(), evidence, "{v}/{name}");
        }
        let empty = schedstat_report::doctor::EventEvidence::default();
        assert_eq!(schedstat_report::doctor::EventEvidence::from_json(&empty.to_json()).unwrap(), empty);
        assert!(schedstat_report::doctor::EventEvidence::from_json(r#"{"start_ns": 1}"#).is_err());
        assert!(schedstat_report::doctor::EventEvidence::from_json("[").is_err());
    }

    /// The page creates `derived_delays` from sql/web/derived_delays.sql and
    /// appends the reader's columns to it by position: the same names in
    /// the same order, and every delay of the trace in one of the chunks.
    #[test]
    fn derived_delays_match_their_table() {
        let sql = std::fs::read_to_string(format!("{}/../../sql/web/derived_delays.sql", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let declared: Vec<&str> = sql
            .lines()
            .filter(|l| l.starts_with("    "))
            .map(|l| l.split_whitespace().next().unwrap())
            .collect();
        let bytes = fixture("go1.27", "storm");
        let mut p = Parse::new(&bytes).unwrap();
        let (mut rows, mut delays) = (0, 0);
        while let Some((t, d)) = p.step(10_000).unwrap() {
            assert_eq!(d.name, "derived_delays");
            assert_eq!(d.columns.iter().map(|c| c.name).collect::<Vec<_>>(), declared);
            rows += d.rows;
            let g = &t.g_transitions;
            delays += (0..g.g.len()).filter(|&i| g.from_state[i] == State::Runnable && g.to_state[i] == State::Running).count();
        }
        let last = p.finish_all();
        assert!(last.delays_facts.is_some());
        rows += last.delays.rows;
        // At least one row per delay (more where two transitions made it runnable).
        assert!(delays > 100 && rows >= delays, "{rows} rows for {delays} delays");
    }

    /// The page creates `derived_goroutine_totals` from
    /// sql/web/derived_goroutine_totals.sql and appends the reader's columns
    /// by position; one row per goroutine, summed over every chunk (the
    /// sums themselves are held to the view's by crates/db/tests/packed_tables.rs).
    #[test]
    fn goroutine_totals_match_their_table() {
        let sql = std::fs::read_to_string(format!("{}/../../sql/web/derived_goroutine_totals.sql", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let declared: Vec<&str> = sql.lines().filter(|l| l.starts_with("    ")).map(|l| l.split_whitespace().next().unwrap()).collect();
        let bytes = fixture("go1.27", "storm");
        let mut p = Parse::new(&bytes).unwrap();
        let (mut goroutines, mut transitions) = (std::collections::HashSet::new(), 0usize);
        while let Some((t, _)) = p.step(1_000).unwrap() {
            goroutines.extend(t.g_transitions.g.iter().copied());
            transitions += t.g_transitions.g.len();
        }
        let last = p.finish_all();
        goroutines.extend(last.tables.g_transitions.g.iter().copied());
        transitions += last.tables.g_transitions.g.len();
        let t = &last.goroutine_totals;
        assert_eq!(t.name, "derived_goroutine_totals");
        assert_eq!(t.columns.iter().map(|c| c.name).collect::<Vec<_>>(), declared);
        assert_eq!(t.rows, goroutines.len());
        let Data::I64(counts) = &t.columns[9].data else { panic!("transitions is not BIGINT") };
        assert_eq!(counts.iter().sum::<i64>() as usize, transitions);
        assert!(t.rows > 100, "{} goroutines", t.rows);
    }

    #[test]
    fn not_a_trace_is_a_one_line_error() {
        let err = Parse::new(b"hello, this is not a trace").err().unwrap();
        assert!(err.starts_with("bad file format"), "{err}");
        assert!(!err.contains('\n'));
    }

    #[test]
    fn truncated_trace_keeps_complete_generations() {
        let bytes = fixture("go1.27", "multigen");
        let cut = &bytes[..bytes.len() * 2 / 3];
        let mut p = Parse::new(cut).unwrap();
        while p.step(100_000).unwrap().is_some() {}
        let w = p.warning().expect("a warning for a cut trace").to_string();
        assert!(w.contains("complete generations"), "{w}");
        assert!(p.generations() > 0);
        let events = p.finish().events;
        // The quick pass stops at the same place, with the same message.
        let q = quick_summary(cut).unwrap();
        assert_eq!(q.warning.as_deref(), Some(w.as_str()));
        assert_eq!(q.events, events);
    }

    #[test]
    fn quick_summary_has_the_tables_facts() {
        let bytes = fixture("go1.27", "storm");
        let mut p = Parse::new(&bytes).unwrap();
        while p.step(100_000).unwrap().is_some() {}
        let t = p.finish();
        let q = quick_summary(&bytes).unwrap();
        assert_eq!((q.events, q.first_time_ns, q.last_time_ns), (t.events, t.first_time_ns, t.last_time_ns));
        assert!(q.latency.expect("storm has waits").latency.count > 1000);
        assert!(quick_summary(b"not a trace").unwrap_err().starts_with("bad file format"));
    }

    #[test]
    fn nullable_columns_get_bitmaps() {
        let c = opt_i64s("x", &[Some(1), None, Some(3)]);
        assert_eq!(c.validity, Some(vec![0b101]));
        let s = utf8("s", 3, &|i| (i != 1).then_some("ab"));
        assert_eq!(s.data, Data::Utf8 { bytes: b"abab".to_vec(), offsets: vec![0, 2, 2, 4] });
        assert_eq!(s.validity, Some(vec![0b101]));
    }

    #[test]
    fn state_columns_are_dictionary_encoded() {
        let c = states("from_state", &[State::Running, State::Waiting, State::Running, State::Runnable]);
        let Data::Dict { indices, values } = &c.data else { panic!("{:?}", c.data) };
        let text: Vec<&str> = indices.iter().map(|&k| values[k as usize]).collect();
        assert_eq!(text, ["running", "waiting", "running", "runnable"]);
        assert_eq!(c.validity, None);
    }
}
