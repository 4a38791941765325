//! Swimlanes for ui.perfetto.dev, written while the trace is read, in two
//! formats: Chrome trace-event JSON (the "JSON Object Format", also read by
//! chrome://tracing) and Perfetto's own protobuf trace (`TracePacket`s with
//! `TrackEvent`s, see [`proto`]).
//!
//! One walker ([`Exporter`]) turns Go events into per-lane state machines and
//! tells a [`Sink`] when a slice begins and ends; [`JsonSink`] writes each
//! slice whole when it ends (`ph: "X"`), [`ProtoSink`] writes a begin and an
//! end packet in time order.
//!
//! # Layout
//!
//! | pid | group        | tracks (tid)                                                        |
//! |-----|--------------|---------------------------------------------------------------------|
//! | 1   | `Procs`      | `GC` (mark phases), `STW` (pauses with reason), one per P: the goroutine running on it |
//! | 2   | `Threads`    | one per M: `P<n>` while it holds a P, `syscall` while in a syscall  |
//! | 3   | `Goroutines` | one per goroutine: `running`, `runnable`, `blocked (<reason>)`, `syscall` (args: reason, innermost frames of the stack), with user regions and GC mark assists as enclosing slices, and logs as instants |
//! | 4   | `GC sweeps`  | incremental sweeps per P (async slices)                              |
//! | 5   | `Tasks`      | one async track per user task, begin → end; logs outside a goroutine |
//!
//! Flow arrows join the goroutine that created or unblocked another to the
//! first run of that goroutine.
//!
//! # Rules kept (the pitfalls of the format, see the project's anchors.md §7)
//!
//! - Every slice on a track is a complete event (`ph: "X"`) written when it
//!   ends; slices on one track are either disjoint or strictly nested
//!   (Perfetto sends overlapping slices to an overflow track). A goroutine's
//!   state slices are split where a region or an assist begins or ends, so
//!   those enclose whole state slices.
//! - `ts` and `dur` are microseconds, written as exact decimals with three
//!   fraction digits (whole nanoseconds), counted from the first event, so no
//!   `ts` is negative.
//! - pids start at 1 (pid 0 is the idle "swapper" to Perfetto); tids are never
//!   0, fit in 31 bits and are unique across all groups (older UIs key
//!   threads by tid alone).
//! - Names and sort order come from metadata events (`ph: "M"`, no `ts`),
//!   written at the end, once every track and its final name are known.
//! - Async events (`b`/`e`) are matched by category and id; each category has
//!   its own id space (task ids, P ids).
//! - Nothing but the per-track state is kept in memory: events go out
//!   through the caller's writer as they complete.
//!
//! The rules below are the JSON document's; the protobuf trace keeps the same
//! lanes, names and nesting (see [`proto`] for its own).
//!
//! The writer does no file I/O of its own (any `io::Write`) and builds for
//! wasm32, so a web page can offer the same file.

use std::collections::HashMap;
use std::io::{self, Write};

use gotrace::{Event, EventKind, GoState, ProcState, RangeName, Resource, Transition};

pub mod proto;

pub use proto::ProtoSink;

/// The process groups, in display order.
const PID_PROCS: u32 = 1;
const PID_THREADS: u32 = 2;
const PID_GOROUTINES: u32 = 3;
const PID_GC: u32 = 4;
const PID_TASKS: u32 = 5;

/// The groups' names, in display order.
const GROUPS: [(u32, &str); 5] = [
    (PID_PROCS, "Procs"),
    (PID_THREADS, "Threads"),
    (PID_GOROUTINES, "Goroutines"),
    (PID_GC, "GC sweeps"),
    (PID_TASKS, "Tasks"),
];

/// tid ranges: goroutines use their own ID below `THREAD_BASE`.
const THREAD_BASE: i64 = 0x4000_0000;
const PROC_BASE: i64 = 0x6000_0000;
const SPECIAL_BASE: i64 = 0x7000_0000;
const TID_GC: i64 = SPECIAL_BASE;
const TID_STW: i64 = SPECIAL_BASE + 1;
const TID_SWEEPS: i64 = SPECIAL_BASE + 2;
const TID_TASKS: i64 = SPECIAL_BASE + 3;
/// tids handed out for IDs too large for their range.
const OVERFLOW_BASE: i64 = SPECIAL_BASE + 0x100;

/// What was written, for the command's summary line and for tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Records written: trace-event records (metadata included) for JSON,
    /// trace packets for the protobuf trace.
    pub records: u64,
    /// Goroutine tracks.
    pub goroutines: u64,
    /// Proc tracks.
    pub procs: u64,
    /// Thread tracks.
    pub threads: u64,
    /// User tasks (async slices).
    pub tasks: u64,
    /// User regions (slices on goroutine tracks).
    pub regions: u64,
    /// Flow arrows (create and unblock).
    pub flows: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// A counting wrapper, so the summary can say how big the file is.
pub(crate) struct Counting<W> {
    pub(crate) inner: W,
    pub(crate) bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// An argument's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A string.
    Str(String),
    /// JSON `null` (left out of the protobuf trace).
    Null,
}

/// A slice's arguments, in order: (key, value).
pub type Args = Vec<(&'static str, Val)>;

/// A lane: JSON's (pid, tid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Track {
    /// The group (`process`).
    pub pid: u32,
    /// The lane within it (`thread`), unique across groups.
    pub tid: i64,
}

/// Where the walker's slices go. Times are nanoseconds from the trace's
/// first event, never decreasing from one call to the next except for the
/// `start` of slices that ended (which the sink may clip to its window).
///
/// Slices on one track are announced with [`Sink::begin`] and closed with
/// [`Sink::end`] (`announced`) in stack order: the last begun is the first
/// ended. Slices found only when they end (begun before the trace) come with
/// `announced == false` and no `begin`.
pub trait Sink {
    /// Only what overlaps `[from, to]` is written (slices clipped to it).
    fn set_window(&mut self, window: (i64, i64));
    /// A lane's name and sort key, as known now (they may change until
    /// [`Sink::finish`], which has the final ones).
    fn declare(&mut self, tr: Track, name: &str, sort: i64);
    /// A slice begins at `ts`.
    fn begin(&mut self, tr: Track, ts: i64, cat: &str, name: &str, args: Option<&Args>) -> io::Result<()>;
    /// A slice `[start, end]` ends; `extra` are arguments known only now.
    #[allow(clippy::too_many_arguments)]
    fn end(&mut self, tr: Track, announced: bool, cat: &str, name: &str, start: i64, end: i64, args: Option<&Args>, extra: &[(&'static str, Val)]) -> io::Result<()>;
    /// An async span (`cat`, `id`) begins, on its own lane `lane` in `tr`'s group.
    #[allow(clippy::too_many_arguments)]
    fn async_begin(&mut self, tr: Track, lane: &str, cat: &str, id: u64, ts: i64, name: &str, args: &Args) -> io::Result<()>;
    /// An async span ends.
    #[allow(clippy::too_many_arguments)]
    fn async_end(&mut self, tr: Track, lane: &str, announced: bool, cat: &str, id: u64, name: &str, start: i64, end: i64, begin_args: &Args, end_args: &Args) -> io::Result<()>;
    /// An instant (inside the window).
    fn instant(&mut self, tr: Track, ts: i64, cat: &str, name: &str, args: &Args) -> io::Result<()>;
    /// Where a flow arrow may start (inside the window); returns the sink's
    /// id for it (0: none), handed back to [`Sink::flow`] if it completes.
    fn flow_source(&mut self, tr: Track, ts: i64, name: &str) -> io::Result<u64>;
    /// A flow arrow from `(from, from_ts)` to the slice beginning at
    /// `(to, to_ts)`, which is begun right after this call.
    #[allow(clippy::too_many_arguments)]
    fn flow(&mut self, from: Track, from_ts: i64, to: Track, to_ts: i64, name: &str, id: u64, sink_id: u64) -> io::Result<()>;
    /// Ends the file: `groups` used and every lane with its final name and
    /// sort key, ordered by (pid, sort, tid). Returns (records, bytes).
    fn finish(self, groups: &[(u32, &str)], tracks: &[(Track, String, i64)]) -> io::Result<(u64, u64)>;
}

/// An open slice on an exclusive track (one state at a time).
#[derive(Debug, Clone)]
struct Open {
    name: String,
    start: i64,
    args: Option<Args>,
}

/// An enclosing slice (region or mark assist) open on a goroutine track.
#[derive(Debug, Clone)]
struct Enclosing {
    name: String,
    cat: &'static str,
    start: i64,
    args: Args,
}

/// A flow arrow waiting for its target goroutine to run.
#[derive(Debug, Clone)]
struct PendingFlow {
    name: String,
    from_tid: i64,
    ts: i64,
    sink_id: u64,
}

/// Everything known about one goroutine.
#[derive(Debug)]
struct GInfo {
    tid: i64,
    /// `G<id> <root function>` once a stack was seen.
    name: String,
    named: bool,
    label: Option<String>,
    /// First time the goroutine was seen: the start of its track.
    first: i64,
    state: Option<Open>,
    /// Regions and assists, outermost first.
    enclosing: Vec<Enclosing>,
    /// The proc it is executing on (running or in a syscall while holding it).
    on_proc: Option<i64>,
    /// The thread it is executing on.
    on_thread: Option<i64>,
    flow: Option<PendingFlow>,
}

impl GInfo {
    fn display_name(&self) -> String {
        match &self.label {
            Some(l) => format!("{} ({l})", self.name),
            None => self.name.clone(),
        }
    }
}

/// What a thread track shows right now.
#[derive(Debug, Default)]
struct MInfo {
    tid: i64,
    held_proc: Option<i64>,
    in_syscall: bool,
    state: Option<Open>,
}

/// An async span in progress (task or sweep), written whole when it ends.
#[derive(Debug, Clone)]
struct OpenSpan {
    name: String,
    start: i64,
    args: Args,
    /// Begun in the trace (told to the sink), not before it.
    announced: bool,
}

/// A track's metadata.
struct TrackMeta {
    pid: u32,
    name: String,
    sort: i64,
}

/// Streams swimlanes from Go trace events into a [`Sink`].
///
/// Feed every event in the reader's order to [`Exporter::event`], then call
/// [`Exporter::finish`], which closes whatever is still open at the last
/// event's time, writes the metadata and ends the file. Dropping the
/// exporter without `finish` leaves an unterminated file: callers write to
/// a temporary file and rename it only after `finish` succeeded.
pub struct Exporter<S: Sink> {
    sink: S,
    base: Option<i64>,
    last: i64,
    gs: HashMap<i64, GInfo>,
    ms: HashMap<i64, MInfo>,
    /// Goroutine running on each proc: (goroutine, start).
    procs: HashMap<i64, Option<(i64, i64)>>,
    /// Which thread holds each proc.
    proc_thread: HashMap<i64, i64>,
    gc_mark: Option<i64>,
    stw: Option<(i64, String)>,
    /// Sweeps in progress, per proc.
    sweeps: HashMap<i64, OpenSpan>,
    /// Tasks in progress.
    tasks: HashMap<u64, OpenSpan>,
    /// Only what overlaps this window (ns from the first event) is written.
    window: (i64, i64),
    tracks: HashMap<i64, TrackMeta>,
    overflow: HashMap<(u32, i64), i64>,
    next_flow: u64,
    summary: Summary,
}

/// The JSON writer (the format `--perfetto` has always written).
pub type PerfettoWriter<W> = Exporter<JsonSink<W>>;

/// Microseconds with three exact fraction digits.
struct Us(i64);

impl std::fmt::Display for Us {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.0.max(0);
        write!(f, "{}.{:03}", v / 1000, v % 1000)
    }
}

/// A JSON string literal (bytes that are not UTF-8 are replaced).
fn js(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Renders arguments as a JSON object.
fn render_args<'a>(fields: impl Iterator<Item = &'a (&'static str, Val)>) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&js(k));
        out.push(':');
        match v {
            Val::Int(n) => out.push_str(&n.to_string()),
            Val::UInt(n) => out.push_str(&n.to_string()),
            Val::Str(s) => out.push_str(&js(s)),
            Val::Null => out.push_str("null"),
        }
    }
    out.push('}');
    out
}

/// `"began": "before the trace"` / `"ended": "after the trace"`.
fn note(key: &'static str, when: &str) -> (&'static str, Val) {
    (key, Val::Str(when.to_string()))
}

/// Frames shown in a slice's `stack` argument.
const STACK_FRAMES: usize = 6;

/// The innermost frames of a stack, leaf first (`a ← b ← c`); `None` without one.
fn stack_arg(stack: &gotrace::Stack<'_, '_>) -> Option<String> {
    if stack.is_none() {
        return None;
    }
    let frames: Vec<String> = stack.frames().take(STACK_FRAMES).map(|f| lossy(f.func)).collect();
    (!frames.is_empty()).then(|| frames.join(" ← "))
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Writes Chrome trace-event JSON: each slice whole (`ph: "X"`) when it ends,
/// async spans as `b`/`e` pairs, flows as `s`/`f`, names as metadata at the end.
pub struct JsonSink<W: Write> {
    out: Counting<W>,
    first_record: bool,
    records: u64,
    window: (i64, i64),
}

impl<W: Write> JsonSink<W> {
    /// Starts the document on `out`.
    pub fn new(out: W) -> io::Result<Self> {
        let mut out = Counting { inner: out, bytes: 0 };
        out.write_all(b"{\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":\"schedstat export --perfetto\"},\n\"traceEvents\":[\n")?;
        Ok(JsonSink { out, first_record: true, records: 0, window: (0, i64::MAX) })
    }

    /// Writes one record (a JSON object's body, without braces).
    fn record(&mut self, body: std::fmt::Arguments<'_>) -> io::Result<()> {
        if self.first_record {
            self.first_record = false;
        } else {
            self.out.write_all(b",\n")?;
        }
        self.out.write_all(b"{")?;
        self.out.write_fmt(body)?;
        self.out.write_all(b"}")?;
        self.records += 1;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn async_event(&mut self, ph: char, tr: Track, cat: &str, id: u64, name: &str, ts: i64, args: &Args) -> io::Result<()> {
        let args = format!(",\"args\":{}", render_args(args.iter()));
        self.record(format_args!(
            "\"ph\":\"{ph}\",\"pid\":{},\"tid\":{},\"ts\":{},\"cat\":{},\"id\":{id},\"name\":{}{args}",
            tr.pid,
            tr.tid,
            Us(ts),
            js(cat),
            js(name)
        ))
    }
}

impl<W: Write> Sink for JsonSink<W> {
    fn set_window(&mut self, window: (i64, i64)) {
        self.window = window;
    }

    fn declare(&mut self, _tr: Track, _name: &str, _sort: i64) {}

    fn begin(&mut self, _tr: Track, _ts: i64, _cat: &str, _name: &str, _args: Option<&Args>) -> io::Result<()> {
        Ok(())
    }

    fn end(&mut self, tr: Track, _announced: bool, cat: &str, name: &str, start: i64, end: i64, args: Option<&Args>, extra: &[(&'static str, Val)]) -> io::Result<()> {
        let (s, e) = (start.max(self.window.0), end.min(self.window.1));
        if e < s {
            return Ok(());
        }
        let (ts, dur) = (s, e - s);
        let args = if args.is_none() && extra.is_empty() {
            String::new()
        } else {
            format!(",\"args\":{}", render_args(args.into_iter().flatten().chain(extra.iter())))
        };
        self.record(format_args!(
            "\"ph\":\"X\",\"pid\":{},\"tid\":{},\"ts\":{},\"dur\":{},\"cat\":{},\"name\":{}{args}",
            tr.pid,
            tr.tid,
            Us(ts),
            Us(dur),
            js(cat),
            js(name)
        ))
    }

    fn async_begin(&mut self, _tr: Track, _lane: &str, _cat: &str, _id: u64, _ts: i64, _name: &str, _args: &Args) -> io::Result<()> {
        Ok(())
    }

    fn async_end(&mut self, tr: Track, _lane: &str, _announced: bool, cat: &str, id: u64, name: &str, start: i64, end: i64, begin_args: &Args, end_args: &Args) -> io::Result<()> {
        let (s, e) = (start.max(self.window.0), end.min(self.window.1));
        if e < s {
            return Ok(());
        }
        self.async_event('b', tr, cat, id, name, s, begin_args)?;
        self.async_event('e', tr, cat, id, name, e, end_args)
    }

    fn instant(&mut self, tr: Track, ts: i64, cat: &str, name: &str, args: &Args) -> io::Result<()> {
        self.record(format_args!(
            "\"ph\":\"i\",\"s\":\"t\",\"pid\":{},\"tid\":{},\"ts\":{},\"cat\":{},\"name\":{},\"args\":{}",
            tr.pid,
            tr.tid,
            Us(ts),
            js(cat),
            js(name),
            render_args(args.iter())
        ))
    }

    fn flow_source(&mut self, _tr: Track, _ts: i64, _name: &str) -> io::Result<u64> {
        Ok(0)
    }

    fn flow(&mut self, from: Track, from_ts: i64, to: Track, to_ts: i64, name: &str, id: u64, _sink_id: u64) -> io::Result<()> {
        self.record(format_args!(
            "\"ph\":\"s\",\"pid\":{},\"tid\":{},\"ts\":{},\"cat\":\"flow\",\"name\":{},\"id\":{id}",
            from.pid,
            from.tid,
            Us(from_ts),
            js(name)
        ))?;
        self.record(format_args!(
            "\"ph\":\"f\",\"pid\":{},\"tid\":{},\"ts\":{},\"cat\":\"flow\",\"name\":{},\"id\":{id}",
            to.pid,
            to.tid,
            Us(to_ts),
            js(name)
        ))
    }

    fn finish(mut self, groups: &[(u32, &str)], tracks: &[(Track, String, i64)]) -> io::Result<(u64, u64)> {
        for &(pid, name) in groups {
            self.record(format_args!("\"ph\":\"M\",\"pid\":{pid},\"tid\":0,\"name\":\"process_name\",\"args\":{{\"name\":{}}}", js(name)))?;
            self.record(format_args!("\"ph\":\"M\",\"pid\":{pid},\"tid\":0,\"name\":\"process_sort_index\",\"args\":{{\"sort_index\":{pid}}}"))?;
        }
        for (tr, name, sort) in tracks {
            let (pid, tid) = (tr.pid, tr.tid);
            self.record(format_args!("\"ph\":\"M\",\"pid\":{pid},\"tid\":{tid},\"name\":\"thread_name\",\"args\":{{\"name\":{}}}", js(name)))?;
            self.record(format_args!("\"ph\":\"M\",\"pid\":{pid},\"tid\":{tid},\"name\":\"thread_sort_index\",\"args\":{{\"sort_index\":{sort}}}"))?;
        }
        self.out.write_all(b"\n]}\n")?;
        self.out.flush()?;
        Ok((self.records, self.out.bytes))
    }
}

impl<W: Write> Exporter<JsonSink<W>> {
    /// Starts a JSON document on `out` (wrap files in a `BufWriter`).
    pub fn new(out: W) -> io::Result<Self> {
        Ok(Exporter::with_sink(JsonSink::new(out)?))
    }
}

impl<W: Write> Exporter<ProtoSink<W>> {
    /// Starts a Perfetto protobuf trace on `out` (wrap files in a `BufWriter`).
    pub fn new_proto(out: W) -> io::Result<Self> {
        Ok(Exporter::with_sink(ProtoSink::new(out)?))
    }
}

/// Chooses the track for `tr` in proc/thread/goroutine groups.
fn tr(pid: u32, tid: i64) -> Track {
    Track { pid, tid }
}

impl<S: Sink> Exporter<S> {
    /// Walks events into `sink`.
    pub fn with_sink(sink: S) -> Self {
        Exporter {
            sink,
            base: None,
            last: 0,
            gs: HashMap::new(),
            ms: HashMap::new(),
            procs: HashMap::new(),
            proc_thread: HashMap::new(),
            gc_mark: None,
            stw: None,
            sweeps: HashMap::new(),
            tasks: HashMap::new(),
            window: (0, i64::MAX),
            tracks: HashMap::new(),
            overflow: HashMap::new(),
            next_flow: 1,
            summary: Summary::default(),
        }
    }

    /// Writes only what overlaps `[from_ns, to_ns]`, in nanoseconds from the
    /// trace's first event (slices are clipped to it; instants and arrows
    /// outside it are left out): the way to cut a huge trace down to a size
    /// the viewer can load.
    pub fn window(mut self, from_ns: Option<i64>, to_ns: Option<i64>) -> Self {
        self.window = (from_ns.unwrap_or(0).max(0), to_ns.unwrap_or(i64::MAX));
        self.sink_window();
        self
    }

    fn sink_window(&mut self) {
        let w = self.window;
        self.sink.set_window(w);
    }

    fn in_window(&self, rel: i64) -> bool {
        self.window.0 <= rel && rel <= self.window.1
    }

    fn rel(&self, t: i64) -> i64 {
        t - self.base.unwrap_or(t)
    }

    /// Ends an announced slice.
    #[allow(clippy::too_many_arguments)]
    fn end_slice(&mut self, tr: Track, cat: &str, name: &str, start: i64, end: i64, args: Option<&Args>, extra: &[(&'static str, Val)]) -> io::Result<()> {
        let (s, e) = (self.rel(start), self.rel(end));
        self.sink.end(tr, true, cat, name, s, e, args, extra)
    }

    /// A slice found only at its end (begun before the trace).
    fn whole_slice(&mut self, tr: Track, cat: &str, name: &str, start: i64, end: i64, args: Option<&Args>) -> io::Result<()> {
        let (s, e) = (self.rel(start), self.rel(end));
        self.sink.end(tr, false, cat, name, s, e, args, &[])
    }

    fn begin_slice(&mut self, tr: Track, t: i64, cat: &str, name: &str, args: Option<&Args>) -> io::Result<()> {
        let ts = self.rel(t);
        self.sink.begin(tr, ts, cat, name, args)
    }

    /// A tid in a range, or an overflow tid when the ID does not fit.
    fn tid_in(&mut self, pid: u32, base: i64, limit: i64, id: i64) -> i64 {
        if id >= 0 && id < limit - base && (base != 0 || id > 0) {
            return base + id;
        }
        let next = OVERFLOW_BASE + self.overflow.len() as i64;
        *self.overflow.entry((pid, id)).or_insert(next)
    }

    fn track(&mut self, tid: i64, pid: u32, name: String, sort: i64) {
        if !self.tracks.contains_key(&tid) {
            self.sink.declare(tr(pid, tid), &name, sort);
            self.tracks.insert(tid, TrackMeta { pid, name, sort });
        }
    }

    // ---- goroutines ----

    fn g(&mut self, id: i64, t: i64) -> &mut GInfo {
        if !self.gs.contains_key(&id) {
            let tid = self.tid_in(PID_GOROUTINES, 0, THREAD_BASE, id);
            let name = format!("G{id}");
            self.sink.declare(tr(PID_GOROUTINES, tid), &name, id);
            self.gs.insert(
                id,
                GInfo {
                    tid,
                    name,
                    named: false,
                    label: None,
                    first: t,
                    state: None,
                    enclosing: Vec::new(),
                    on_proc: None,
                    on_thread: None,
                    flow: None,
                },
            );
        }
        self.gs.get_mut(&id).expect("inserted above")
    }

    /// Tells the sink the goroutine's current display name.
    fn g_declare(&mut self, id: i64) {
        if let Some(g) = self.gs.get(&id) {
            let name = g.display_name();
            self.sink.declare(tr(PID_GOROUTINES, g.tid), &name, id);
        }
    }

    /// Ends the goroutine's state slice at `t`.
    fn g_close_state(&mut self, id: i64, t: i64) -> io::Result<()> {
        let Some(g) = self.gs.get_mut(&id) else { return Ok(()) };
        let tid = g.tid;
        if let Some(open) = g.state.take() {
            self.end_slice(tr(PID_GOROUTINES, tid), "state", &open.name, open.start, t, open.args.as_ref(), &[])?;
        }
        Ok(())
    }

    /// Tells the sink that the goroutine's current state slice began.
    fn g_begin_state(&mut self, id: i64) -> io::Result<()> {
        let Some(g) = self.gs.get(&id) else { return Ok(()) };
        let tid = g.tid;
        if let Some(open) = g.state.clone() {
            self.begin_slice(tr(PID_GOROUTINES, tid), open.start, "state", &open.name, open.args.as_ref())?;
        }
        Ok(())
    }

    /// Splits the state slice at `t` (so that an enclosing slice can begin or end there).
    fn g_split(&mut self, id: i64, t: i64) -> io::Result<Option<Open>> {
        let cur = self.gs.get(&id).and_then(|g| g.state.clone());
        self.g_close_state(id, t)?;
        Ok(cur.map(|mut o| {
            o.start = t;
            o
        }))
    }

    fn g_push(&mut self, id: i64, t: i64, e: Enclosing) -> io::Result<()> {
        self.g(id, t);
        let cur = self.g_split(id, t)?;
        let tid = self.gs[&id].tid;
        self.begin_slice(tr(PID_GOROUTINES, tid), e.start, e.cat, &e.name, Some(&e.args))?;
        let g = self.gs.get_mut(&id).expect("created above");
        g.enclosing.push(e);
        g.state = cur;
        self.g_begin_state(id)
    }

    /// Ends the innermost enclosing slice named `name` (and any opened inside it).
    /// One that began before the trace covers the goroutine's track from its
    /// start when nothing else is open; otherwise it is dropped (it could not nest).
    fn g_pop(&mut self, id: i64, t: i64, name: &str, cat: &'static str, args: Args) -> io::Result<bool> {
        self.g(id, t);
        let g = &self.gs[&id];
        let pos = g.enclosing.iter().rposition(|e| e.name == name && e.cat == cat);
        let before_trace = pos.is_none() && g.enclosing.is_empty();
        if pos.is_none() && !before_trace {
            return Ok(false);
        }
        let (tid, first) = (g.tid, g.first);
        let cur = self.g_split(id, t)?;
        let track = tr(PID_GOROUTINES, tid);
        match pos {
            Some(p) => {
                let closed: Vec<Enclosing> = self.gs.get_mut(&id).expect("exists").enclosing.drain(p..).collect();
                for e in closed.into_iter().rev() {
                    self.end_slice(track, e.cat, &e.name, e.start, t, Some(&e.args), &[])?;
                }
            }
            None => {
                let mut args = args;
                args.push(note("began", "before the trace"));
                self.whole_slice(track, cat, name, first, t, Some(&args))?;
            }
        }
        self.gs.get_mut(&id).expect("exists").state = cur;
        self.g_begin_state(id)?;
        Ok(true)
    }

    fn g_name_from(&mut self, id: i64, stack: &gotrace::Stack<'_, '_>) {
        let Some(g) = self.gs.get_mut(&id) else { return };
        if g.named || stack.is_none() {
            return;
        }
        if let Some(root) = stack.frames().last() {
            g.name = format!("G{id} {}", lossy(root.func));
            g.named = true;
            self.g_declare(id);
        }
    }

    // ---- procs and threads ----

    fn p_close(&mut self, p: i64, t: i64) -> io::Result<()> {
        if let Some(Some((g, start))) = self.procs.get(&p).cloned() {
            self.procs.insert(p, None);
            let name = self.gs.get(&g).map(|g| g.display_name()).unwrap_or_else(|| format!("G{g}"));
            let tid = self.proc_tid(p);
            let args = vec![("g", Val::Int(g))];
            self.end_slice(tr(PID_PROCS, tid), "running", &name, start, t, Some(&args), &[])?;
            if let Some(gi) = self.gs.get_mut(&g) {
                if gi.on_proc == Some(p) {
                    gi.on_proc = None;
                }
            }
        }
        Ok(())
    }

    /// Goroutine `g` starts running on proc `p` at `t`.
    fn p_open(&mut self, p: i64, g: i64, t: i64) -> io::Result<()> {
        self.procs.insert(p, Some((g, t)));
        let tid = self.proc_tid(p);
        let name = self.gs.get(&g).map(|g| g.display_name()).unwrap_or_else(|| format!("G{g}"));
        let args = vec![("g", Val::Int(g))];
        self.begin_slice(tr(PID_PROCS, tid), t, "running", &name, Some(&args))
    }

    fn proc_tid(&mut self, p: i64) -> i64 {
        let tid = self.tid_in(PID_PROCS, PROC_BASE, SPECIAL_BASE, p);
        self.track(tid, PID_PROCS, format!("Proc {p}"), p);
        tid
    }

    fn m(&mut self, m: i64) -> &mut MInfo {
        if !self.ms.contains_key(&m) {
            let tid = self.tid_in(PID_THREADS, THREAD_BASE, PROC_BASE, m);
            self.track(tid, PID_THREADS, format!("Thread {m}"), m);
            self.ms.insert(m, MInfo { tid, ..MInfo::default() });
        }
        self.ms.get_mut(&m).expect("inserted above")
    }

    /// Re-derives what the thread's track shows at `t` from its state.
    fn m_refresh(&mut self, m: i64, t: i64) -> io::Result<()> {
        let mi = self.m(m);
        let want: Option<String> = if mi.in_syscall {
            Some("syscall".into())
        } else {
            mi.held_proc.map(|p| format!("P{p}"))
        };
        if mi.state.as_ref().map(|o| &o.name) == want.as_ref() {
            return Ok(());
        }
        let tid = mi.tid;
        let prev = mi.state.take();
        mi.state = want.clone().map(|name| Open { name, start: t, args: None });
        let cat_of = |n: &str| if n == "syscall" { "syscall" } else { "running" };
        if let Some(o) = prev {
            self.end_slice(tr(PID_THREADS, tid), cat_of(&o.name), &o.name, o.start, t, None, &[])?;
        }
        if let Some(name) = want {
            self.begin_slice(tr(PID_THREADS, tid), t, cat_of(&name), &name, None)?;
        }
        Ok(())
    }

    // ---- events ----

    /// Adds one event (in the reader's order).
    pub fn event(&mut self, ev: &Event<'_>) -> io::Result<()> {
        let t = ev.time();
        if self.base.is_none() {
            self.base = Some(t);
        }
        let t = t.max(self.last);
        self.last = t;
        match ev.kind() {
            EventKind::StateTransition => self.transition(ev, t),
            EventKind::RangeBegin | EventKind::RangeActive | EventKind::RangeEnd => self.range(ev, t),
            EventKind::TaskBegin | EventKind::TaskEnd => self.task(ev, t),
            EventKind::RegionBegin | EventKind::RegionEnd => self.region(ev, t),
            EventKind::Log => self.log(ev, t),
            EventKind::Label => {
                if let Some((label, Resource::Goroutine(g))) = ev.label() {
                    if g >= 0 {
                        self.g(g, t).label = Some(lossy(label));
                        self.g_declare(g);
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn transition(&mut self, ev: &Event<'_>, t: i64) -> io::Result<()> {
        let Some(st) = ev.state_transition() else { return Ok(()) };
        match st.transition {
            Transition::Proc { id, from, to } => {
                if from == to {
                    return Ok(());
                }
                if to == ProcState::Running {
                    let m = ev.thread();
                    if m >= 0 {
                        self.proc_thread.insert(id, m);
                        self.m(m).held_proc = Some(id);
                        self.m_refresh(m, t)?;
                    }
                    self.proc_tid(id);
                } else if from == ProcState::Running {
                    // ProcStop by its own thread, or ProcSteal from a thread in a syscall.
                    self.p_close(id, t)?;
                    if let Some(m) = self.proc_thread.remove(&id) {
                        if self.m(m).held_proc == Some(id) {
                            self.m(m).held_proc = None;
                        }
                        self.m_refresh(m, t)?;
                    }
                }
                Ok(())
            }
            Transition::Goroutine { id, from, to } => {
                let fresh = !self.gs.contains_key(&id);
                self.g(id, t);
                self.g_name_from(id, &st.stack);
                if from == to && !fresh {
                    return Ok(());
                }
                let reason = lossy(st.reason);
                // Arrows: who made it runnable.
                if to == GoState::Runnable && matches!(from, GoState::NotExist | GoState::Waiting) {
                    let src = ev.goroutine();
                    if src >= 0 && src != id && self.gs.contains_key(&src) {
                        let from_tid = self.gs[&src].tid;
                        // Named like go tool trace's arrows: "go", "unblock (chan receive)".
                        let blocked = self.gs[&id].state.as_ref().and_then(|o| o.name.strip_prefix("blocked ").map(str::to_string));
                        let name = match (from, blocked) {
                            (GoState::NotExist, _) => "go".to_string(),
                            (_, Some(why)) => format!("unblock {why}"),
                            _ => "unblock".to_string(),
                        };
                        let rel = self.rel(t);
                        let sink_id = if self.in_window(rel) { self.sink.flow_source(tr(PID_GOROUTINES, from_tid), rel, &name)? } else { 0 };
                        self.gs.get_mut(&id).expect("exists").flow = Some(PendingFlow { name, from_tid, ts: t, sink_id });
                    } else {
                        self.gs.get_mut(&id).expect("exists").flow = None;
                    }
                }
                // Where it blocked, entered the syscall or was preempted: the
                // innermost frames of the transition's stack.
                let stack = stack_arg(&st.stack);
                let open = |name: String, fields: Args| {
                    let mut fields = fields;
                    if let Some(s) = &stack {
                        fields.push(("stack", Val::Str(s.clone())));
                    }
                    let args = (!fields.is_empty()).then_some(fields);
                    Some(Open { name, start: t, args })
                };
                let p = ev.proc();
                let next = match to {
                    GoState::Running => open("running".into(), if p >= 0 { vec![("p", Val::Int(p))] } else { vec![] }),
                    GoState::Runnable => {
                        let f = if reason.is_empty() { vec![] } else { vec![("reason", Val::Str(reason.clone()))] };
                        open("runnable".into(), f)
                    }
                    GoState::Waiting => {
                        // A goroutine found waiting at a generation start has no reason on record.
                        let why = if reason.is_empty() { "unknown".to_string() } else { reason.clone() };
                        open(format!("blocked ({why})"), vec![("reason", Val::Str(why))])
                    }
                    GoState::Syscall => open("syscall".into(), vec![]),
                    GoState::NotExist | GoState::Undetermined => None,
                };
                if to == GoState::NotExist {
                    // Close regions and assists still open on a dying goroutine.
                    let g = self.gs.get_mut(&id).expect("exists");
                    let tid = g.tid;
                    let open_enc: Vec<Enclosing> = g.enclosing.drain(..).collect();
                    self.g_close_state(id, t)?;
                    for e in open_enc.into_iter().rev() {
                        self.end_slice(tr(PID_GOROUTINES, tid), e.cat, &e.name, e.start, t, Some(&e.args), &[])?;
                    }
                } else {
                    self.g_close_state(id, t)?;
                    self.gs.get_mut(&id).expect("exists").state = next;
                }
                // The flow ends where the goroutine starts running.
                if to == GoState::Running {
                    let flow = self.gs.get_mut(&id).expect("exists").flow.take();
                    if let Some(f) = flow.filter(|f| self.in_window(self.rel(f.ts)) && self.in_window(self.rel(t))) {
                        let to_tid = self.gs[&id].tid;
                        let fid = self.next_flow;
                        self.next_flow += 1;
                        let (from_ts, to_ts) = (self.rel(f.ts), self.rel(t));
                        self.sink.flow(tr(PID_GOROUTINES, f.from_tid), from_ts, tr(PID_GOROUTINES, to_tid), to_ts, &f.name, fid, f.sink_id)?;
                        self.summary.flows += 1;
                    }
                }
                if to != GoState::NotExist {
                    self.g_begin_state(id)?;
                }
                // Procs: which goroutine holds each P.
                let executing = to.executing();
                let p = ev.proc();
                let cur_p = self.gs[&id].on_proc;
                if executing {
                    if p >= 0 && cur_p != Some(p) {
                        if let Some(old) = cur_p {
                            self.p_close(old, t)?;
                        }
                        self.p_close(p, t)?;
                        self.p_open(p, id, t)?;
                        self.gs.get_mut(&id).expect("exists").on_proc = Some(p);
                    }
                } else if let Some(old) = cur_p {
                    self.p_close(old, t)?;
                }
                // Threads: syscalls.
                let m = ev.thread();
                if to == GoState::Syscall && m >= 0 {
                    self.gs.get_mut(&id).expect("exists").on_thread = Some(m);
                    self.m(m).in_syscall = true;
                    self.m_refresh(m, t)?;
                } else if from == GoState::Syscall || (to != GoState::Syscall && self.gs[&id].on_thread.is_some()) {
                    if let Some(m) = self.gs.get_mut(&id).expect("exists").on_thread.take() {
                        self.m(m).in_syscall = false;
                        self.m_refresh(m, t)?;
                    }
                }
                Ok(())
            }
        }
    }

    fn range(&mut self, ev: &Event<'_>, t: i64) -> io::Result<()> {
        let Some(r) = ev.range() else { return Ok(()) };
        let kind = ev.kind();
        match r.name {
            RangeName::GcMark => match kind {
                EventKind::RangeEnd => {
                    let begun = self.gc_mark.take();
                    self.track(TID_GC, PID_PROCS, "GC".into(), -2);
                    let start = begun.unwrap_or(0);
                    let start = if start == 0 { self.base.unwrap_or(t) } else { start };
                    let track = tr(PID_PROCS, TID_GC);
                    const NAME: &str = "GC concurrent mark phase";
                    if begun.is_some() {
                        self.end_slice(track, "gc", NAME, start, t, None, &[])?;
                    } else {
                        self.whole_slice(track, "gc", NAME, start, t, None)?;
                    }
                }
                _ => {
                    if self.gc_mark.is_none() {
                        self.gc_mark = Some(t);
                        self.track(TID_GC, PID_PROCS, "GC".into(), -2);
                        self.begin_slice(tr(PID_PROCS, TID_GC), t, "gc", "GC concurrent mark phase", None)?;
                    }
                }
            },
            RangeName::StopTheWorld(reason) => {
                let name = format!("stop-the-world ({})", lossy(reason));
                let track = tr(PID_PROCS, TID_STW);
                match kind {
                    EventKind::RangeEnd => {
                        let begun = self.stw.take();
                        let announced = begun.is_some();
                        let (start, name) = begun.unwrap_or((self.base.unwrap_or(t), name));
                        self.track(TID_STW, PID_PROCS, "STW".into(), -1);
                        let args = vec![("reason", Val::Str(lossy(reason)))];
                        if announced {
                            self.end_slice(track, "gc", &name, start, t, Some(&args), &[])?;
                        } else {
                            self.whole_slice(track, "gc", &name, start, t, Some(&args))?;
                        }
                    }
                    _ => {
                        if self.stw.is_none() {
                            self.track(TID_STW, PID_PROCS, "STW".into(), -1);
                            let args = vec![("reason", Val::Str(lossy(reason)))];
                            self.begin_slice(track, t, "gc", &name, Some(&args))?;
                            self.stw = Some((t, name));
                        }
                    }
                }
            }
            RangeName::GcMarkAssist => {
                let Resource::Goroutine(g) = r.scope else { return Ok(()) };
                if g < 0 {
                    return Ok(());
                }
                const NAME: &str = "GC mark assist";
                match kind {
                    EventKind::RangeEnd => {
                        self.g_pop(g, t, NAME, "gc", Vec::new())?;
                    }
                    _ => {
                        let already = self.gs.get(&g).is_some_and(|gi| gi.enclosing.iter().any(|e| e.name == NAME));
                        if !already {
                            self.g_push(g, t, Enclosing { name: NAME.into(), cat: "gc", start: t, args: Vec::new() })?;
                        }
                    }
                }
            }
            RangeName::GcSweep => {
                let Resource::Proc(p) = r.scope else { return Ok(()) };
                if p < 0 {
                    return Ok(());
                }
                self.track(TID_SWEEPS, PID_GC, "Sweeps".into(), 0);
                let lane = format!("Sweeps P{p}");
                match kind {
                    EventKind::RangeEnd => {
                        // One begun before the trace spans from its start.
                        let base = self.base.unwrap_or(t);
                        let open = self.sweeps.remove(&p).unwrap_or_else(|| OpenSpan {
                            name: "GC incremental sweep".into(),
                            start: base,
                            args: vec![("p", Val::Int(p)), note("began", "before the trace")],
                            announced: false,
                        });
                        let attrs: Args = ev.range_attributes().into_iter().map(|(k, v)| (k, Val::UInt(v))).collect();
                        self.span(PID_GC, TID_SWEEPS, &lane, "gc.sweep", p as u64, &open, t, &attrs)?;
                    }
                    _ => {
                        if !self.sweeps.contains_key(&p) {
                            let open = OpenSpan { name: "GC incremental sweep".into(), start: t, args: vec![("p", Val::Int(p))], announced: true };
                            let ts = self.rel(t);
                            self.sink.async_begin(tr(PID_GC, TID_SWEEPS), &lane, "gc.sweep", p as u64, ts, &open.name, &open.args)?;
                            self.sweeps.insert(p, open);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// An async span (`b` and `e` with the same category and id), clipped to the window.
    #[allow(clippy::too_many_arguments)]
    fn span(&mut self, pid: u32, tid: i64, lane: &str, cat: &str, id: u64, open: &OpenSpan, end: i64, end_args: &Args) -> io::Result<()> {
        let (s, e) = (self.rel(open.start), self.rel(end));
        self.sink.async_end(tr(pid, tid), lane, open.announced, cat, id, &open.name, s, e, &open.args, end_args)
    }

    fn task_lane(id: u64, name: &str) -> String {
        format!("Task {id} {name}")
    }

    fn task(&mut self, ev: &Event<'_>, t: i64) -> io::Result<()> {
        let Some(task) = ev.task() else { return Ok(()) };
        let name = if task.kind.is_empty() { "(unnamed task)".to_string() } else { lossy(task.kind) };
        self.track(TID_TASKS, PID_TASKS, "Tasks".into(), 0);
        let parent = if task.parent == gotrace::event::NO_TASK { Val::Null } else { Val::UInt(task.parent) };
        let lane = Self::task_lane(task.id, &name);
        if ev.kind() == EventKind::TaskBegin {
            if !self.tasks.contains_key(&task.id) {
                self.summary.tasks += 1;
                let args = vec![("task", Val::UInt(task.id)), ("parent", parent), ("g", Val::Int(ev.goroutine()))];
                let open = OpenSpan { name, start: t, args, announced: true };
                let ts = self.rel(t);
                self.sink.async_begin(tr(PID_TASKS, TID_TASKS), &lane, "task", task.id, ts, &open.name, &open.args)?;
                self.tasks.insert(task.id, open);
            }
        } else {
            let open = match self.tasks.remove(&task.id) {
                Some(o) => o,
                None => {
                    // Begun before the trace: it spans from the trace's start.
                    self.summary.tasks += 1;
                    let args = vec![("task", Val::UInt(task.id)), note("began", "before the trace")];
                    OpenSpan { name, start: self.base.unwrap_or(t), args, announced: false }
                }
            };
            let lane = Self::task_lane(task.id, &open.name);
            let args = vec![("ended_by_g", Val::Int(ev.goroutine()))];
            self.span(PID_TASKS, TID_TASKS, &lane, "task", task.id, &open, t, &args)?;
        }
        Ok(())
    }

    fn region(&mut self, ev: &Event<'_>, t: i64) -> io::Result<()> {
        let Some(r) = ev.region() else { return Ok(()) };
        let g = ev.goroutine();
        if g < 0 {
            return Ok(());
        }
        let name = lossy(r.kind);
        let args = vec![("task", Val::UInt(r.task))];
        if ev.kind() == EventKind::RegionBegin {
            self.summary.regions += 1;
            self.g_push(g, t, Enclosing { name, cat: "region", start: t, args })?;
        } else {
            let counted = self.gs.get(&g).is_some_and(|gi| gi.enclosing.iter().any(|e| e.name == name && e.cat == "region"));
            if self.g_pop(g, t, &name, "region", args)? && !counted {
                self.summary.regions += 1;
            }
        }
        Ok(())
    }

    fn log(&mut self, ev: &Event<'_>, t: i64) -> io::Result<()> {
        let Some(l) = ev.log() else { return Ok(()) };
        let cat = lossy(l.category);
        let name = if cat.is_empty() { "log".to_string() } else { format!("log: {cat}") };
        let task = if l.task == gotrace::event::NO_TASK { Val::Null } else { Val::UInt(l.task) };
        let args = vec![("category", Val::Str(cat)), ("message", Val::Str(lossy(l.message))), ("task", task)];
        let g = ev.goroutine();
        let ts = self.rel(t);
        if !self.in_window(ts) {
            return Ok(());
        }
        let track = if g >= 0 {
            self.g(g, t);
            tr(PID_GOROUTINES, self.gs[&g].tid)
        } else {
            self.track(TID_TASKS, PID_TASKS, "Tasks".into(), 0);
            tr(PID_TASKS, TID_TASKS)
        };
        self.sink.instant(track, ts, "log", &name, &args)
    }

    /// Closes everything still open at the last event's time, writes the
    /// metadata (group and track names, sort order), ends the file and
    /// flushes. Returns what was written.
    pub fn finish(mut self) -> io::Result<Summary> {
        let end = self.last;
        let after = [note("ended", "after the trace")];
        // Goroutines: states, then enclosing slices innermost first.
        let mut ids: Vec<i64> = self.gs.keys().copied().collect();
        ids.sort_unstable();
        for &id in &ids {
            self.g_close_state(id, end)?;
            let g = self.gs.get_mut(&id).expect("listed");
            let tid = g.tid;
            let enc: Vec<Enclosing> = g.enclosing.drain(..).collect();
            for e in enc.into_iter().rev() {
                self.end_slice(tr(PID_GOROUTINES, tid), e.cat, &e.name, e.start, end, Some(&e.args), &after)?;
            }
        }
        let mut ps: Vec<i64> = self.procs.keys().copied().collect();
        ps.sort_unstable();
        for p in ps {
            self.p_close(p, end)?;
        }
        let mut ms: Vec<i64> = self.ms.keys().copied().collect();
        ms.sort_unstable();
        for m in &ms {
            let mi = self.ms.get_mut(m).expect("listed");
            mi.in_syscall = false;
            mi.held_proc = None;
            self.m_refresh(*m, end)?;
        }
        if let Some(start) = self.gc_mark.take() {
            self.track(TID_GC, PID_PROCS, "GC".into(), -2);
            self.end_slice(tr(PID_PROCS, TID_GC), "gc", "GC concurrent mark phase", start, end, None, &after)?;
        }
        if let Some((start, name)) = self.stw.take() {
            self.track(TID_STW, PID_PROCS, "STW".into(), -1);
            // The JSON document has always shown only the note here.
            self.end_slice(tr(PID_PROCS, TID_STW), "gc", &name, start, end, None, &after)?;
        }
        let after_args: Args = after.to_vec();
        let mut sw: Vec<(i64, OpenSpan)> = self.sweeps.drain().collect();
        sw.sort_by_key(|(p, _)| *p);
        for (p, open) in sw {
            self.span(PID_GC, TID_SWEEPS, &format!("Sweeps P{p}"), "gc.sweep", p as u64, &open, end, &after_args)?;
        }
        let mut open_tasks: Vec<(u64, OpenSpan)> = self.tasks.drain().collect();
        open_tasks.sort_by_key(|(id, _)| *id);
        for (id, open) in open_tasks {
            let lane = Self::task_lane(id, &open.name);
            self.span(PID_TASKS, TID_TASKS, &lane, "task", id, &open, end, &after_args)?;
        }
        // Metadata.
        for id in ids {
            let (tid, name) = {
                let g = &self.gs[&id];
                (g.tid, g.display_name())
            };
            self.tracks.insert(tid, TrackMeta { pid: PID_GOROUTINES, name, sort: id });
        }
        self.summary.goroutines = self.gs.len() as u64;
        self.summary.procs = self.tracks.values().filter(|m| m.pid == PID_PROCS).count() as u64
            - [TID_GC, TID_STW].iter().filter(|t| self.tracks.contains_key(t)).count() as u64;
        self.summary.threads = self.ms.len() as u64;
        let groups: Vec<(u32, &str)> = GROUPS.iter().copied().filter(|(pid, _)| self.tracks.values().any(|m| m.pid == *pid)).collect();
        let mut tracks: Vec<(i64, TrackMeta)> = self.tracks.drain().collect();
        tracks.sort_by_key(|(tid, m)| (m.pid, m.sort, *tid));
        let tracks: Vec<(Track, String, i64)> = tracks.into_iter().map(|(tid, m)| (tr(m.pid, tid), m.name, m.sort)).collect();
        let (records, bytes) = self.sink.finish(&groups, &tracks)?;
        self.summary.records = records;
        self.summary.bytes = bytes;
        Ok(self.summary)
    }
}
