//! The JavaScript face of the reader: [`TraceParser`] and the conversion of
//! [`Table`]s into plain JS objects holding typed arrays.

use js_sys::{Array, BigInt64Array, BigUint64Array, Function, Int32Array, Object, Reflect, Uint8Array};
use schedstat_query::{DbError, QueryResult, Sql};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::{columns, Data, Finished, Parse, Table};

/// The trace file, filled piece by piece (from `File.stream()` or a fetch
/// body) straight into wasm memory: the file's one full copy, with no
/// whole-file ArrayBuffer on the JavaScript side.
///
/// ```js
/// const buf = new TraceBuffer(file.size);
/// for await (const piece of file.stream()) buf.push(piece);
/// const p = TraceParser.from_buffer(buf);     // buf is consumed
/// ```
#[wasm_bindgen]
pub struct TraceBuffer {
    bytes: Vec<u8>,
}

#[wasm_bindgen]
impl TraceBuffer {
    /// Reserves `capacity` bytes (the file's size) up front, so pushing never
    /// reallocates and copies the file again.
    #[wasm_bindgen(constructor)]
    pub fn new(capacity: usize) -> TraceBuffer {
        TraceBuffer { bytes: Vec::with_capacity(capacity) }
    }

    /// Appends the next piece of the file.
    pub fn push(&mut self, piece: &[u8]) {
        self.bytes.extend_from_slice(piece);
    }

    /// Bytes pushed so far.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// True when nothing has been pushed.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// Parses one trace, step by step, so the page can show progress and stay
/// responsive. Takes the whole file (copied once into wasm memory).
///
/// ```js
/// const p = new TraceParser(bytes);          // throws Error("bad file format ...")
/// let chunk;
/// while ((chunk = p.next_chunk(200000)) !== undefined) { load(chunk); show(p.progress()); }
/// const last = p.finish();                   // { tables, first_time_ns, last_time_ns, events, warning, delays_facts_sql, doctor_evidence }
/// ```
#[wasm_bindgen]
pub struct TraceParser {
    // Field order: `parse` borrows `bytes` and is dropped first (see Drop).
    parse: Option<Parse<'static>>,
    bytes: *mut [u8],
}

#[wasm_bindgen]
impl TraceParser {
    /// Checks the header; throws the CLI's one-line message for a file that
    /// is not a Go execution trace (or of an unsupported version).
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: Vec<u8>) -> Result<TraceParser, JsError> {
        Self::from_vec(bytes)
    }

    /// Like the constructor, for a file pushed into a [`TraceBuffer`]; takes
    /// the buffer's bytes without copying them.
    pub fn from_buffer(buffer: TraceBuffer) -> Result<TraceParser, JsError> {
        Self::from_vec(buffer.bytes)
    }

    fn from_vec(bytes: Vec<u8>) -> Result<TraceParser, JsError> {
        let bytes: *mut [u8] = Box::into_raw(bytes.into_boxed_slice());
        // SAFETY: the box is freed only in Drop, after `parse` (the only
        // borrower) has been dropped; nothing else aliases it mutably.
        let slice: &'static [u8] = unsafe { &*bytes };
        match Parse::new(slice) {
            Ok(p) => Ok(TraceParser { parse: Some(p), bytes }),
            Err(msg) => {
                // SAFETY: nothing borrows the slice any more.
                drop(unsafe { Box::from_raw(bytes) });
                Err(JsError::new(&msg))
            }
        }
    }

    /// Reads up to `step` events; returns the rows completed so far as an
    /// array of `{name, rows, columns}` (see [`table_to_js`]), or `undefined`
    /// when the trace is read. Throws the reader's one-line message when the
    /// trace breaks before its first complete generation.
    pub fn next_chunk(&mut self, step: u32) -> Result<JsValue, JsError> {
        let Some(p) = self.parse.as_mut() else { return Ok(JsValue::UNDEFINED) };
        match p.step(step) {
            Ok(Some((t, delays))) => {
                let js = tables_to_js(&with_delays(&t, delays));
                // The rows are copied out to JS: the builder refills the same buffers.
                p.reuse(t);
                Ok(js.into())
            }
            Ok(None) => Ok(JsValue::UNDEFINED),
            Err(msg) => Err(JsError::new(&msg)),
        }
    }

    /// One quick pass over the whole file, before the tables: the scheduling
    /// latency exactly as `latency_summary.sql` gives it, so the page can show
    /// its summary before DuckDB has the tables. Returns `{latency: {count,
    /// min_ns, avg_ns, p50_ns, p90_ns, p99_ns, max_ns, t0_ns, end_ns} | null,
    /// events, first_time_ns, last_time_ns, warning}` (times as BigInt); throws
    /// the one-line message for a trace that breaks before its first complete
    /// generation.
    pub fn summary(&self) -> Result<JsValue, JsError> {
        // SAFETY: `bytes` lives until Drop; this shared borrow ends here.
        let bytes: &[u8] = unsafe { &*self.bytes };
        let s = crate::quick_summary(bytes).map_err(|m| JsError::new(&m))?;
        let o = Object::new();
        let latency = match &s.latency {
            None => JsValue::NULL,
            Some(summary) => {
                let l = &summary.latency;
                let lo = Object::new();
                set(&lo, "count", &JsValue::from(l.count as f64));
                for (k, v) in [("min_ns", l.min_ns), ("avg_ns", l.avg_ns), ("p50_ns", l.p50_ns), ("p90_ns", l.p90_ns), ("p99_ns", l.p99_ns), ("max_ns", l.max_ns)] {
                    set(&lo, k, &JsValue::from(v));
                }
                set(&lo, "t0_ns", &JsValue::from(summary.t0_ns));
                set(&lo, "end_ns", &JsValue::from(summary.end_ns));
                lo.into()
            }
        };
        set(&o, "latency", &latency);
        set(&o, "events", &JsValue::from(s.events));
        set(&o, "first_time_ns", &JsValue::from(s.first_time_ns));
        set(&o, "last_time_ns", &JsValue::from(s.last_time_ns));
        set(&o, "warning", &s.warning.map_or(JsValue::NULL, |w| JsValue::from_str(&w)));
        Ok(o.into())
    }

    /// Fraction of the file read, 0 to 1 (moves at each complete generation).
    pub fn progress(&self) -> f64 {
        self.parse.as_ref().map_or(1.0, Parse::progress)
    }

    /// The one-line message when the trace was cut or broken after at least
    /// one complete generation (its events up to there are kept, as in the CLI).
    /// (Until [`TraceParser::finish`], which returns it too.)
    pub fn warning(&self) -> Option<String> {
        self.parse.as_ref().and_then(|p| p.warning().map(String::from))
    }

    /// Ends parsing: returns the remaining tables (ranges, completed only at
    /// the end, and the tasks and regions that never ended) and the trace-wide facts the schema's
    /// `trace_info` and `rel_time_ns` need: `{tables, first_time_ns,
    /// last_time_ns, events, warning}` (times as BigInt). Frees the file copy.
    pub fn finish(&mut self) -> Result<JsValue, JsError> {
        let Some(p) = self.parse.take() else { return Err(JsError::new("finish() was already called")) };
        let warning = p.warning().map(String::from);
        let Finished { tables: t, evidence, delays, delays_facts, goroutine_totals } = p.finish_all();
        let o = Object::new();
        let mut tables = with_delays(&t, delays);
        tables.extend(delays_facts.as_ref().map(|f| crate::delayed_goroutines_table(&f.delayed_goroutines)).filter(|t| t.rows > 0));
        tables.extend((goroutine_totals.rows > 0).then_some(goroutine_totals));
        set(&o, "tables", &tables_to_js(&tables));
        // The statements making `delays_shape` and `delayed_goroutines` say
        // what the pass saw; null when it gave up (the page then keeps the
        // views' joins).
        let facts_sql = delays_facts.map_or(JsValue::NULL, |f| JsValue::from_str(&f.views_sql()));
        set(&o, "delays_facts_sql", &facts_sql);
        set(&o, "first_time_ns", &JsValue::from(t.first_time_ns));
        set(&o, "last_time_ns", &JsValue::from(t.last_time_ns));
        set(&o, "events", &JsValue::from(t.events));
        set(&o, "warning", &warning.map_or(JsValue::NULL, |w| JsValue::from_str(&w)));
        // Kept in wasm memory (a handle the page hands back to `doctor`).
        set(&o, "doctor_evidence", &JsValue::from(DoctorEvidence { evidence }));
        Ok(o.into())
    }
}

impl Drop for TraceParser {
    fn drop(&mut self) {
        self.parse = None;
        // SAFETY: created by Box::into_raw in `new`; its only borrower is gone.
        drop(unsafe { Box::from_raw(self.bytes) });
    }
}

fn set(o: &Object, k: &str, v: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(o, &JsValue::from_str(k), v);
}

/// The tables of a chunk, `derived_delays` last (when it has rows).
fn with_delays(t: &schedstat_tables::TraceTables, delays: Table) -> Vec<Table> {
    let mut tables = columns(t);
    tables.extend((delays.rows > 0).then_some(delays));
    tables
}

fn tables_to_js(tables: &[Table]) -> Array {
    tables.iter().map(|t| JsValue::from(table_to_js(t))).collect()
}

/// `{name, rows, columns: [{name, type, data, offsets?, dictionary?, validity?}]}` where
/// `type` is `"i64"` (BigInt64Array), `"u64"` (BigUint64Array), `"utf8"`
/// (Uint8Array of UTF-8 plus Int32Array offsets), `"dict"` (Int8Array of
/// indices into `dictionary`, an array of strings) or `"bool"` (bit-packed
/// Uint8Array), and `validity` (Uint8Array bitmap) is present only when some
/// row is NULL: exactly what Arrow's `makeData` takes.
fn table_to_js(t: &Table) -> Object {
    let o = Object::new();
    set(&o, "name", &JsValue::from_str(t.name));
    set(&o, "rows", &JsValue::from(t.rows as u32));
    let cols: Array = t
        .columns
        .iter()
        .map(|c| {
            let co = Object::new();
            set(&co, "name", &JsValue::from_str(c.name));
            let (ty, data): (&str, JsValue) = match &c.data {
                Data::I64(v) => ("i64", BigInt64Array::from(&v[..]).into()),
                Data::U64(v) => ("u64", BigUint64Array::from(&v[..]).into()),
                Data::Bool(v) => ("bool", Uint8Array::from(&v[..]).into()),
                Data::Dict { indices, values } => {
                    let dict: Array = values.iter().map(|v| JsValue::from_str(v)).collect();
                    set(&co, "dictionary", &dict);
                    ("dict", js_sys::Int8Array::from(&indices[..]).into())
                }
                Data::Utf8 { bytes, offsets } => {
                    set(&co, "offsets", &Int32Array::from(&offsets[..]));
                    ("utf8", Uint8Array::from(&bytes[..]).into())
                }
            };
            set(&co, "type", &JsValue::from_str(ty));
            set(&co, "data", &data);
            if let Some(v) = &c.validity {
                set(&co, "validity", &Uint8Array::from(&v[..]));
            }
            JsValue::from(co)
        })
        .collect();
    set(&o, "columns", &cols);
    o
}

/// The page's DuckDB-WASM as the report's database: `execute(sql)` runs
/// statements, `query(sql)` returns the result as JSON text (see
/// [`crate::report::result_from_json`]); both throw on failure.
struct JsSql {
    execute: Function,
    query: Function,
}

fn js_error(v: JsValue) -> DbError {
    let msg = match v.dyn_ref::<js_sys::Error>() {
        Some(e) => String::from(e.message()),
        None => v.as_string().unwrap_or_else(|| format!("{v:?}")),
    };
    DbError(msg)
}

impl Sql for JsSql {
    fn execute_batch(&self, sql: &str) -> schedstat_query::Result<()> {
        self.execute.call1(&JsValue::NULL, &JsValue::from_str(sql)).map(|_| ()).map_err(js_error)
    }

    fn query(&self, sql: &str) -> schedstat_query::Result<QueryResult> {
        let v = self.query.call1(&JsValue::NULL, &JsValue::from_str(sql)).map_err(js_error)?;
        let text = v.as_string().ok_or_else(|| DbError("query callback returned no JSON text".into()))?;
        crate::report::result_from_json(&text)
    }
}

/// Builds the CLI's report (`schedstat-report`, the same code and SQL files)
/// over the page's database, and returns the JSON `schedstat --json` prints.
/// `options` is the CLI's options as JSON (`{"worst": 10, "why": 5, ...}`;
/// absent fields take the CLI's defaults). Throws the report's error message,
/// e.g. for a trace with no scheduling events.
#[wasm_bindgen]
pub fn report(options: &str, execute: Function, query: Function) -> Result<String, JsError> {
    let db = JsSql { execute, query };
    crate::report::report_json(&db, options).map_err(|e| JsError::new(&e))
}

/// The doctor's evidence from the events of one trace, computed while
/// [`TraceParser`] read it and kept in wasm memory (no JSON round trip: its
/// figures stay exact and the glue stays small) until the page frees it.
#[wasm_bindgen]
pub struct DoctorEvidence {
    evidence: schedstat_report::doctor::EventEvidence,
}

#[wasm_bindgen]
impl DoctorEvidence {
    /// The evidence as JSON, to move it to another worker's reader (the page
    /// parses in one worker and queries in another); integers stay exact.
    pub fn to_json(&self) -> String {
        self.evidence.to_json()
    }

    /// The evidence back from [`DoctorEvidence::to_json`]'s text.
    pub fn from_json(json: &str) -> Result<DoctorEvidence, JsError> {
        let evidence = schedstat_report::doctor::EventEvidence::from_json(json).map_err(|e| JsError::new(&e))?;
        Ok(DoctorEvidence { evidence })
    }
}

/// Runs `schedstat doctor` (`schedstat-report`'s checks and `sql/doctor/`)
/// over the page's database with the evidence [`TraceParser::finish`] gave
/// (`doctor_evidence`), and returns the JSON `schedstat doctor --json`
/// prints without its `trace` key. `thresholds` is a JSON object of
/// threshold overrides by id (`{}`: the defaults).
#[wasm_bindgen]
pub fn doctor(evidence: &DoctorEvidence, thresholds: &str, execute: Function, query: Function) -> Result<String, JsError> {
    let db = JsSql { execute, query };
    crate::report::doctor_json(&db, &evidence.evidence, thresholds).map_err(|e| JsError::new(&e))
}
