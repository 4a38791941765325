//! Parsing an old-format trace: indexing its per-P batches, merging them into
//! one consistent sequence, and checking it, with the rules and messages of
//! Go 1.27's `internal/trace/internal/tracev1` (whose errors Go's reader
//! reports for these traces).
//!
//! Headers older than `go 1.11` (`go 1.5` to `go 1.10`), which Go 1.27
//! refuses, follow Go 1.21's `internal/trace/parser.go` where it differs: the
//! older argument layouts ([`super::spec::LAYOUT_CHANGES`]), the `go 1.5`
//! merge by global sequence number, per-P stop-the-world before 1.10, the
//! removal of futile wakeups, timer unblocks kept on the timer P, and its
//! extra errors ("trace is empty", "unknown STW kind").
//!
//! The old format has no generations, so the whole trace is indexed before the
//! first event can be known; the merged events are kept in an
//! [`EventList`], about 10 bytes each.

use std::collections::HashMap;

use super::checks::post_process;
use super::convert::Tables;
use super::dense::{DenseMap, StackSet};
use super::events::EventList;
#[cfg(not(target_arch = "wasm32"))]
use super::pipeline;
use super::spec::{arg_count, arg_offset, ev, fake_p, go121_name, EventType, SEQ_BEFORE_TIME_UNTIL, SPECS};
use crate::table::{IdMap, RawFrame};
use crate::wire::uvarint;
use crate::Error;

/// Where the merge hands its events, in merge order: straight into an
/// [`EventList`], or to the checks running beside it (`pipeline`).
///
/// The merge's changes to a loaded event come beside it rather than in a
/// copy: a copy changed in one byte and then read whole stalls the CPU until
/// that byte is written, on every event.
pub(super) trait MergeSink {
    /// The next event, whose type is `typ` (its P-local type made global).
    fn event(&mut self, e: &RawEvent, typ: EventType);
    /// A syscall exit (type `GoSysExit`) set at its own time `ts` (see
    /// [`EventList::push_moved`]).
    fn moved(&mut self, e: &RawEvent, ts: i64);
}

impl MergeSink for EventList {
    fn event(&mut self, e: &RawEvent, typ: EventType) {
        self.push(&RawEvent { typ, ..*e });
    }
    fn moved(&mut self, e: &RawEvent, ts: i64) {
        self.push_moved(&RawEvent { typ: ev::GO_SYSEXIT, ts, ..*e });
    }
}

/// One old-format event after merging, as Go's `tracev1.Event`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RawEvent {
    /// Ticks while merging; nanoseconds from the first event once parsed.
    pub ts: i64,
    /// The goroutine the event is about (see Go's `parseEvent`).
    pub g: u64,
    /// The arguments after the timestamp, without the stack.
    pub args: [u64; 4],
    pub stk: u32,
    /// The P, or one of the fake Ps in [`fake_p`].
    pub p: i32,
    /// Where the event starts in the input (saturated at `u32::MAX`), as
    /// Go 1.21's `-d` lines print it.
    pub off: u32,
    pub typ: EventType,
    /// For a `GoSysCall`: the goroutine's next event is a `GoSysBlock` (the
    /// syscall blocked). Set by the whole-trace checks, read by the conversion.
    pub syscall_blocked: bool,
}

/// First header minor version that Go 1.27 reads; older ones follow Go 1.21.
pub(super) const GO111: u32 = 11;

/// Everything [`parse`] learnt: the events in order and the tables their IDs
/// resolve against (strings point into the input).
pub(crate) struct Trace<'a> {
    pub events: EventList,
    pub tables: Tables<'a>,
}

const MALFORMED_VARINT: &str = "malformatted base-128 varint";
const TIME_ORDER: &str = "time stamps out of order";

/// Where a batch starts, and the P it belongs to.
#[derive(Debug, Clone, Copy)]
struct BatchOffset {
    offset: usize,
}

/// What `read_raw` decoded.
#[derive(Debug, Default)]
struct Raw<'a> {
    typ: EventType,
    /// Inline log message (UserLog only).
    message: Option<&'a [u8]>,
    batch_pid: i32,
    /// Where the record starts in the input.
    offset: usize,
}

/// Why `read_raw` stopped without an event.
enum Stop {
    /// The input ended where an event could start (Go's `io.EOF`).
    End,
    Err(Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Err(e)
    }
}

fn err(msg: impl Into<String>) -> Stop {
    Stop::Err(Error::new(msg))
}

fn cut(msg: impl Into<String>) -> Stop {
    Stop::Err(Error::truncated(msg))
}

const SKIP_ARGS: u8 = 1;
const SKIP_STRINGS: u8 = 2;

/// A goroutine's ordering state in the merge (Go's `gState`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct GState {
    seq: u64,
    status: u8,
}

pub(super) const G_DEAD: u8 = 0;
pub(super) const G_RUNNABLE: u8 = 1;
pub(super) const G_RUNNING: u8 = 2;
pub(super) const G_WAITING: u8 = 3;

const UNORDERED: u64 = u64::MAX;
const GARBAGE: u64 = u64::MAX - 1;
const NOSEQ: u64 = u64::MAX;
const SEQINC: u64 = u64::MAX - 1;

/// The goroutine an event orders on, the state it needs, and the state after it.
fn state_transition(e: &RawEvent) -> (u64, GState, GState) {
    let st = |seq, status| GState { seq, status };
    match e.typ {
        ev::GO_CREATE => (e.args[0], st(0, G_DEAD), st(1, G_RUNNABLE)),
        ev::GO_WAITING | ev::GO_IN_SYSCALL => (e.g, st(1, G_RUNNABLE), st(2, G_WAITING)),
        ev::GO_START | ev::GO_START_LABEL => (e.g, st(e.args[1], G_RUNNABLE), st(e.args[1].wrapping_add(1), G_RUNNING)),
        ev::GO_START_LOCAL => (e.g, st(NOSEQ, G_RUNNABLE), st(SEQINC, G_RUNNING)),
        ev::GO_BLOCK
        | ev::GO_BLOCK_SEND
        | ev::GO_BLOCK_RECV
        | ev::GO_BLOCK_SELECT
        | ev::GO_BLOCK_SYNC
        | ev::GO_BLOCK_COND
        | ev::GO_BLOCK_NET
        | ev::GO_SLEEP
        | ev::GO_SYSBLOCK
        | ev::GO_BLOCK_GC => (e.g, st(NOSEQ, G_RUNNING), st(NOSEQ, G_WAITING)),
        ev::GO_SCHED | ev::GO_PREEMPT => (e.g, st(NOSEQ, G_RUNNING), st(NOSEQ, G_RUNNABLE)),
        ev::GO_UNBLOCK | ev::GO_SYSEXIT => {
            (e.args[0], st(e.args[1], G_WAITING), st(e.args[1].wrapping_add(1), G_RUNNABLE))
        }
        ev::GO_UNBLOCK_LOCAL | ev::GO_SYSEXIT_LOCAL => (e.args[0], st(NOSEQ, G_WAITING), st(SEQINC, G_RUNNABLE)),
        ev::GC_START => (GARBAGE, st(e.args[0], G_DEAD), st(e.args[0].wrapping_add(1), G_DEAD)),
        _ => (UNORDERED, GState::default(), GState::default()),
    }
}

fn transition_ready(g: u64, curr: GState, init: GState) -> bool {
    g == UNORDERED || (init.seq == NOSEQ || init.seq == curr.seq) && init.status == curr.status
}

/// One P's side of the merge.
struct Proc {
    pid: i32,
    /// The loaded batch's events not merged yet (`events[next..]`).
    events: Vec<RawEvent>,
    next: usize,
    done: bool,
    /// [`state_transition`] of `events[next]`, kept from when it was looked at.
    head: (u64, GState, GState),
}

/// Ps whose next event waits for a goroutine's state, listed per goroutine
/// (a linked list through `next`), so an event wakes exactly the Ps waiting
/// on its goroutine instead of every P being retried.
struct Parked {
    head: DenseMap<usize>,
    next: Vec<usize>,
    /// How many Ps are parked (none, nearly always: then waking costs nothing).
    count: usize,
}

impl Parked {
    fn new(procs: usize) -> Self {
        Parked { head: DenseMap::default(), next: vec![usize::MAX; procs], count: 0 }
    }

    /// P `pi` waits for goroutine `g` to move.
    fn park(&mut self, g: u64, pi: usize) {
        self.next[pi] = self.head.insert(g, pi).unwrap_or(usize::MAX);
        self.count += 1;
    }

    /// Goroutine `g` moved: its waiting Ps become available again.
    #[inline]
    fn wake(&mut self, g: u64, available: &mut Vec<usize>) {
        if self.count == 0 {
            return;
        }
        let mut woken = self.head.remove(g).unwrap_or(usize::MAX);
        while woken != usize::MAX {
            available.push(woken);
            self.count -= 1;
            woken = self.next[woken];
        }
    }
}

/// The merge frontier: at most one event per P, a min-heap on time whose
/// sift rules are Go's (they decide ties). Entries are (time, P index): the
/// event itself stays at the head of its P's loaded batch until taken.
struct Frontier(Vec<(i64, usize)>);

impl Frontier {
    fn less(a: &(i64, usize), b: &(i64, usize)) -> bool {
        a.0 < b.0
    }

    #[inline]
    fn push(&mut self, x: (i64, usize)) {
        crate::goheap::push(&mut self.0, x, &Self::less);
    }

    #[inline]
    fn pop(&mut self) -> (i64, usize) {
        crate::goheap::pop(&mut self.0, &Self::less).expect("pop from a non-empty frontier")
    }
}

pub(super) struct Parser<'a> {
    ver: u32,
    data: &'a [u8],
    off: usize,

    strings: IdMap<u64, &'a [u8]>,
    inline_strings: Vec<&'a [u8]>,
    inline_ids: HashMap<&'a [u8], u64>,
    /// Each P's batches not loaded yet, in file order; Ps in first-seen order.
    batch_offsets: IdMap<i32, std::collections::VecDeque<BatchOffset>>,
    proc_order: Vec<i32>,
    stacks: IdMap<u32, (u32, u32)>,
    stack_pcs: Vec<u64>,
    ticks_per_sec: i64,
    pcs: IdMap<u64, RawFrame>,
    cpu_samples: Vec<RawEvent>,
    /// The global sequence number of `go 1.5` traces.
    last_seq: u64,
    timer_goids: IdMap<u64, ()>,
    /// Whether the trace names timer goroutines (Go 1.11–1.13), whose
    /// unblocks move to a fake P only once the merge has read every batch.
    has_timer_goroutines: bool,
    /// The stacks the trace defines (IDs with at least one frame), from the first pass.
    pub(super) known_stacks: StackSet,
    /// Records seen by the first pass: enough room for every event.
    pub(super) event_count: usize,

    args: Vec<u64>,
    /// By event type: how many values an event of the common shape carries
    /// (timestamp, arguments, stack; all inline), which [`Parser::fast_event`]
    /// decodes without the general path; 0 for the types that need it.
    fast_args: [u8; 64],
    /// By event type: whether the type exists in this version and, being
    /// neither a batch, a string nor a CPU sample, can be skipped by counting
    /// its inline values ([`Parser::fast_skip`]).
    skippable: [bool; 64],

    last_ts: i64,
    last_g: u64,
    last_gs: IdMap<i32, u64>,
    last_p: i32,
}

/// Parses an old-format trace whose header (of minor version `ver`) ends at
/// `start` into its events in Go's order, on one thread. `with_offsets` keeps
/// where each event starts in the input (for [`super::go121_dump`]).
pub(crate) fn parse(data: &[u8], start: usize, ver: u32, with_offsets: bool) -> Result<Trace<'_>, Error> {
    let mut p = Parser::new(data, start, ver);
    p.collect_batches_and_cpu_samples()?;
    p.merge_and_check(with_offsets)
}

/// A parsed trace ready to read.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) enum Parsed<'a> {
    /// Merged and checked; converted as it is read.
    Events(Trace<'a>),
    /// Already converted on a second thread (see [`super::pipeline`]).
    #[cfg(not(target_arch = "wasm32"))]
    Converted(super::ahead::Converted<'a>),
}

/// How often [`parse_to_read`] had to parse again on one thread (for the tests).
#[cfg(test)]
pub(super) static FALLBACKS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Parses an old-format trace to read its events: merged, checked and
/// converted on two threads where that gives Go's result (the checks beside
/// the merge hold), else as [`parse`] does.
pub(crate) fn parse_to_read(data: &[u8], start: usize, ver: u32) -> Result<Parsed<'_>, Error> {
    #[cfg(not(target_arch = "wasm32"))]
    let two_threads = ver >= GO111 && super::worth_a_thread();
    // The second thread's memory, backed while the first pass runs.
    #[cfg(not(target_arch = "wasm32"))]
    let backed = two_threads.then(|| pipeline::Backed::start(data.len()));
    let mut p = Parser::new(data, start, ver);
    p.collect_batches_and_cpu_samples()?;
    // (No threads on wasm32: nothing of the two-thread way is built there.)
    #[cfg(not(target_arch = "wasm32"))]
    if two_threads && !p.has_timer_goroutines {
        let Some(outs) = pipeline::merge_and_convert(&mut p, ver, backed)? else {
            // Something the checks beside the merge cannot settle: Go's way.
            #[cfg(test)]
            FALLBACKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return parse(data, start, ver, false).map(Parsed::Events);
        };
        if p.ticks_per_sec == 0 {
            return Err(Error::new("no EvFrequency event"));
        }
        return Ok(Parsed::Converted(outs.finish(p.ticks_per_sec, p.into_tables())?));
    }
    p.merge_and_check(false).map(Parsed::Events)
}

impl<'a> Parser<'a> {
    fn new(data: &'a [u8], start: usize, ver: u32) -> Self {
        let mut p = Parser {
            ver,
            data,
            off: start,
            strings: IdMap::default(),
            inline_strings: Vec::new(),
            inline_ids: HashMap::new(),
            batch_offsets: IdMap::default(),
            proc_order: Vec::new(),
            stacks: IdMap::default(),
            stack_pcs: Vec::new(),
            ticks_per_sec: 0,
            pcs: IdMap::default(),
            cpu_samples: Vec::new(),
            last_seq: 0,
            timer_goids: IdMap::default(),
            event_count: 0,
            args: Vec::with_capacity(16),
            fast_args: [0; 64],
            skippable: [false; 64],
            last_ts: 0,
            last_g: 0,
            last_gs: IdMap::default(),
            last_p: 0,
            has_timer_goroutines: false,
            known_stacks: StackSet::default(),
        };
        p.plan_fast_paths();
        p
    }

    /// The tables the batches defined.
    fn into_tables(self) -> Tables<'a> {
        Tables {
            strings: self.strings,
            inline_strings: self.inline_strings,
            stacks: self.stacks,
            stack_pcs: self.stack_pcs,
            pcs: self.pcs,
        }
    }

    /// Merges the indexed batches and runs Go's checks over the result.
    fn merge_and_check(mut self, with_offsets: bool) -> Result<Trace<'a>, Error> {
        let ver = self.ver;
        let mut events = if ver < SEQ_BEFORE_TIME_UNTIL {
            let merged = self.merge_by_seq()?;
            let mut list = EventList::new(merged.len(), with_offsets);
            merged.iter().for_each(|e| {
                list.push(e);
            });
            list
        } else {
            let mut list = EventList::new(self.event_count, with_offsets);
            self.merge_batches(&mut list)?;
            list
        };
        if ver < GO111 && events.is_empty() {
            return Err(Error::new("trace is empty"));
        }
        if self.ticks_per_sec == 0 {
            return Err(Error::new("no EvFrequency event"));
        }
        events.finish();
        if let Some(first) = events.first_ts() {
            events.set_time_base(first, self.ticks_per_sec);
        }
        let timer_goids = std::mem::take(&mut self.timer_goids);
        if ver < GO111 && events.iter().any(|e| e.typ == ev::FUTILE_WAKEUP) {
            let mut all: Vec<RawEvent> = events.iter().collect();
            remove_futile(&mut all);
            events = EventList::from_final(&all, with_offsets, timer_goids);
        } else {
            events.set_timer_goroutines(timer_goids);
        }
        post_process(&mut events, &self.stacks, ver)?;
        Ok(Trace { events, tables: self.into_tables() })
    }
}

impl<'a> Parser<'a> {
    fn read_byte(&mut self) -> Option<u8> {
        let b = self.data.get(self.off).copied()?;
        self.off += 1;
        Some(b)
    }

    fn read_val(&mut self) -> Result<u64, Stop> {
        let (v, n) = uvarint(self.data.get(self.off..).unwrap_or(&[]));
        if n <= 0 {
            return Err(self.malformed());
        }
        self.off += n as usize;
        Ok(v)
    }

    /// Go's varint error, marked as a truncation when the input ran out inside it.
    fn malformed(&self) -> Stop {
        let rest = self.data.get(self.off..).unwrap_or(&[]);
        if rest.len() < 10 && rest.iter().all(|&b| b >= 0x80) {
            cut(MALFORMED_VARINT)
        } else {
            err(MALFORMED_VARINT)
        }
    }

    fn read_full(&mut self, n: u64) -> Result<&'a [u8], Stop> {
        let len = self.data.len();
        if self.off >= len || n > (len - self.off) as u64 {
            return Err(cut("failed to read trace: unexpected EOF"));
        }
        let b = &self.data[self.off..self.off + n as usize];
        self.off += n as usize;
        Ok(b)
    }

    fn discard(&mut self, n: u64) -> bool {
        if n > (self.data.len() - self.off) as u64 {
            return false;
        }
        self.off += n as usize;
        true
    }

    /// Reads one raw event into `raw` (arguments into `self.args`), as Go's `readRawEvent`.
    fn read_raw(&mut self, flags: u8, raw: &mut Raw<'a>) -> Result<(), Stop> {
        // `go 1.5` traces have one more value per event (a sequence number).
        let seq = u8::from(self.ver < SEQ_BEFORE_TIME_UNTIL);
        let inline_args = 3 + seq;
        raw.offset = self.off;
        let Some(b) = self.read_byte() else {
            return Err(Stop::End);
        };
        let typ = b & 0x3f;
        let narg = (b >> 6) + 1 + seq;
        if typ == ev::NONE || typ >= ev::COUNT || SPECS[typ as usize].min_version > self.ver {
            return Err(err(format!("unknown event type {typ}")));
        }
        self.args.clear();
        raw.message = None;
        match typ {
            ev::STRING => {
                if flags & SKIP_STRINGS != 0 {
                    self.read_val()?;
                    let ln = self.read_val()?;
                    if !self.discard(ln) {
                        return Err(cut("failed to read trace: EOF"));
                    }
                } else {
                    let id = self.read_val()?;
                    if id == 0 {
                        return Err(err("string has invalid id 0"));
                    }
                    if self.strings.get(&id).is_some_and(|s| !s.is_empty()) {
                        return Err(err(format!("string has duplicate id {id}")));
                    }
                    let ln = self.read_val()?;
                    if ln == 0 {
                        return Err(err("string has invalid length 0"));
                    }
                    if ln > 1_000_000 {
                        return Err(err(format!("string has too large length {ln}")));
                    }
                    let s = self.read_full(ln)?;
                    self.strings.insert(id, s);
                }
                raw.typ = ev::NONE;
                Ok(())
            }
            ev::BATCH => {
                if narg != 2 + seq {
                    return Err(err(format!("EvBatch has wrong number of arguments: got {narg}, want {}", 2 + seq)));
                }
                let pid = self.read_val()?;
                if pid != u64::MAX && pid > i32::MAX as u64 {
                    return Err(err(format!("processor ID {pid} is larger than maximum of {}", u64::MAX)));
                }
                let pid32 = if pid == u64::MAX { -1 } else { pid as i32 };
                self.args.push(pid);
                for _ in 0..1 + seq {
                    let v = self.read_val()?;
                    self.args.push(v);
                }
                raw.typ = ev::BATCH;
                raw.batch_pid = pid32;
                Ok(())
            }
            _ => {
                raw.typ = typ;
                let arg_err = |s: Stop| match s {
                    Stop::Err(e) => {
                        let msg = format!("failed to read event {typ} argument: {}", e.message());
                        if e.is_truncation() {
                            cut(msg)
                        } else {
                            err(msg)
                        }
                    }
                    Stop::End => err(format!("failed to read event {typ} argument: EOF")),
                };
                if narg <= inline_args {
                    for _ in 0..narg {
                        let v = self.read_val().map_err(arg_err)?;
                        if flags & SKIP_ARGS == 0 {
                            self.args.push(v);
                        }
                    }
                } else {
                    let v = self.read_val().map_err(arg_err)?;
                    if v > 2048 {
                        return Err(err(format!(
                            "failed to read event {typ} argument: length-prefixed argument too big: {v} bytes, limit is 2048"
                        )));
                    }
                    if flags & SKIP_ARGS == 0 || typ == ev::CPU_SAMPLE {
                        let mut buf = self.read_full(v)?;
                        while !buf.is_empty() {
                            let (x, n) = uvarint(buf);
                            if n <= 0 {
                                return Err(err(MALFORMED_VARINT));
                            }
                            self.args.push(x);
                            buf = &buf[n as usize..];
                        }
                    } else {
                        if typ == ev::STACK {
                            // Its ID and frame count (any error is the merge's to report).
                            if let Some(buf) = self.data.get(self.off..).and_then(|b| b.get(..v as usize)) {
                                let (id, n) = uvarint(buf);
                                let (size, m) = if n > 0 { uvarint(&buf[n as usize..]) } else { (0, 0) };
                                if m > 0 {
                                    self.args.extend([id, size]);
                                }
                            }
                        }
                        if !self.discard(v) {
                            return Err(cut("failed to read trace: EOF"));
                        }
                    }
                    if typ == ev::USER_LOG {
                        if flags & SKIP_ARGS == 0 {
                            let sz = self.read_val()?;
                            if sz > 1_000_000 {
                                return Err(err(format!("string is too large (len={sz})")));
                            }
                            raw.message = Some(if sz == 0 { &[][..] } else { self.read_full(sz)? });
                        } else {
                            let sz = self.read_val()?;
                            if !self.discard(sz) {
                                // Go returns io.EOF here, which ends indexing quietly.
                                return Err(Stop::End);
                            }
                        }
                    }
                }
                Ok(())
            }
        }
    }

    /// Fills the tables of the fast paths for this version. `go 1.5` traces
    /// (a sequence number on every event) always take the general path.
    fn plan_fast_paths(&mut self) {
        if self.ver < SEQ_BEFORE_TIME_UNTIL {
            return;
        }
        for typ in 1..ev::COUNT {
            if SPECS[typ as usize].min_version > self.ver {
                continue;
            }
            self.skippable[typ as usize] =
                !matches!(typ, ev::STRING | ev::BATCH | ev::CPU_SAMPLE | ev::TIMER_GOROUTINE);
            let special = matches!(
                typ,
                ev::BATCH
                    | ev::FREQUENCY
                    | ev::STACK
                    | ev::STRING
                    | ev::TIMER_GOROUTINE
                    | ev::CPU_SAMPLE
                    | ev::USER_LOG
            ) || (typ == ev::STW_START && self.ver < GO111);
            let want = arg_count(typ, 0, self.ver);
            if !special && want <= 3 {
                self.fast_args[typ as usize] = want as u8;
            }
        }
    }

    /// Skips the event at `self.off` when it has the common shape (a known
    /// type, inline values only, every varint well formed); `false` leaves
    /// `self.off` alone for the general path, which also reports any error.
    #[inline]
    fn fast_skip(&mut self) -> bool {
        let data = self.data;
        let Some(&b) = data.get(self.off) else {
            return false;
        };
        let typ = b & 0x3f;
        let narg = (b >> 6) + 1;
        if !self.skippable[typ as usize] || narg > 3 {
            return false;
        }
        let mut off = self.off + 1;
        for _ in 0..narg {
            match skip_varint(data, off) {
                Some(next) => off = next,
                None => return false,
            }
        }
        self.off = off;
        true
    }

    /// Decodes the event at `self.off` straight into a [`RawEvent`] when it
    /// has the common shape (see `fast_args`), with the same result as
    /// `read_raw` then `parse_event`; `None` leaves `self.off` alone for the
    /// general path, which also reports any error.
    #[inline]
    fn fast_event(&mut self) -> Option<RawEvent> {
        let data = self.data;
        let start = self.off;
        let b = *data.get(start)?;
        let typ = b & 0x3f;
        let want = self.fast_args[typ as usize];
        let narg = (b >> 6) + 1;
        if want == 0 || narg != want {
            return None;
        }
        let mut vals = [0u64; 3];
        let mut off = start + 1;
        for v in vals.iter_mut().take(narg as usize) {
            let (x, next) = read_varint(data, off)?;
            *v = x;
            off = next;
        }
        self.off = off;
        let mut e = RawEvent {
            typ,
            p: self.last_p,
            g: self.last_g,
            off: u32::try_from(start).unwrap_or(u32::MAX),
            ..RawEvent::default()
        };
        e.ts = self.last_ts.wrapping_add(vals[0] as i64);
        self.last_ts = e.ts;
        let n = narg as usize;
        let stack = SPECS[typ as usize].stack;
        for i in 1..n {
            if i == n - 1 && stack {
                e.stk = vals[i] as u32;
            } else {
                e.args[i - 1] = vals[i];
            }
        }
        self.follow_goroutine(&mut e);
        Some(e)
    }

    /// The goroutine an event is about, as Go's `parseEvent` tracks it: a
    /// start sets the P's current goroutine, a stop or block clears it, and
    /// events about another goroutine name it in their first argument.
    #[inline]
    fn follow_goroutine(&mut self, e: &mut RawEvent) {
        match e.typ {
            ev::GO_START | ev::GO_START_LOCAL | ev::GO_START_LABEL => {
                self.last_g = e.args[0];
                e.g = self.last_g;
            }
            ev::GO_END
            | ev::GO_STOP
            | ev::GO_SCHED
            | ev::GO_PREEMPT
            | ev::GO_SLEEP
            | ev::GO_BLOCK
            | ev::GO_BLOCK_SEND
            | ev::GO_BLOCK_RECV
            | ev::GO_BLOCK_SELECT
            | ev::GO_BLOCK_SYNC
            | ev::GO_BLOCK_COND
            | ev::GO_BLOCK_NET
            | ev::GO_SYSBLOCK
            | ev::GO_BLOCK_GC => self.last_g = 0,
            ev::GO_SYSEXIT | ev::GO_WAITING | ev::GO_IN_SYSCALL => e.g = e.args[0],
            _ => {}
        }
    }

    /// First pass: where each P's batches start, and the CPU samples.
    #[inline(never)]
    fn collect_batches_and_cpu_samples(&mut self) -> Result<(), Error> {
        let mut raw = Raw::default();
        let mut cur_p = 0i32;
        // Whether `cur_p` has a batch (a P's batch list only grows here).
        let mut cur_has_batch = false;
        loop {
            if cur_has_batch && self.fast_skip() {
                self.event_count += 1;
                continue;
            }
            match self.read_raw(SKIP_ARGS | SKIP_STRINGS, &mut raw) {
                Ok(()) => {}
                Err(Stop::End) => break,
                Err(Stop::Err(e)) => return Err(e.at(self.off)),
            }
            if raw.typ == ev::NONE {
                continue;
            }
            if raw.typ == ev::BATCH {
                let pid = raw.batch_pid;
                let list = self.batch_offsets.entry(pid).or_default();
                if list.is_empty() && !self.proc_order.contains(&pid) {
                    self.proc_order.push(pid);
                }
                list.push_back(BatchOffset { offset: raw.offset });
                cur_p = pid;
                cur_has_batch = true;
            }
            self.event_count += 1;
            if !cur_has_batch {
                return Err(Error::new(format!(
                    "read event {} with current P of {cur_p}, but P has no batches yet",
                    raw.typ
                )));
            }
            match raw.typ {
                ev::TIMER_GOROUTINE => self.has_timer_goroutines = true,
                // As the merge will define them (it also checks them).
                ev::STACK if self.args.len() >= 2 && self.args[0] != 0 && self.args[1] > 0 => {
                    self.known_stacks.insert(self.args[0] as u32);
                }
                _ => {}
            }
            if raw.typ == ev::CPU_SAMPLE {
                let narg = arg_count(raw.typ, self.args.len(), self.ver);
                if self.args.len() != narg {
                    return Err(Error::new(format!(
                        "CPU sample has wrong number of arguments: want {narg}, got {}",
                        self.args.len()
                    )));
                }
                let a = &self.args;
                self.cpu_samples.push(RawEvent {
                    typ: ev::CPU_SAMPLE,
                    ts: a[1] as i64,
                    p: a[2] as i32,
                    g: a[3],
                    stk: a[4] as u32,
                    args: [0; 4],
                    off: u32::try_from(raw.offset).unwrap_or(u32::MAX),
                    syscall_blocked: false,
                });
            }
        }
        Ok(())
    }

    /// Loads the next batch of `pid` into `out`; `Ok(false)` when it has none left.
    fn load_batch(&mut self, pid: i32, out: &mut Vec<RawEvent>) -> Result<bool, Error> {
        let Some(off) = self.batch_offsets.get_mut(&pid).and_then(|l| l.pop_front()) else {
            return Ok(false);
        };
        self.off = off.offset;
        out.clear();
        let mut got_header = false;
        let mut raw = Raw::default();
        loop {
            if got_header {
                if let Some(e) = self.fast_event() {
                    out.push(e);
                    continue;
                }
            }
            match self.read_raw(0, &mut raw) {
                Ok(()) => {}
                Err(Stop::End) => break,
                Err(Stop::Err(e)) => return Err(e.at(self.off)),
            }
            if raw.typ == ev::NONE || raw.typ == ev::CPU_SAMPLE {
                continue;
            }
            if raw.typ == ev::BATCH {
                if got_header {
                    break;
                }
                got_header = true;
            }
            if let Some(e) = self.parse_event(&raw)? {
                out.push(e);
            }
        }
        Ok(true)
    }

    /// Go's `parseEvent`: tables and per-P state for the structural records, an
    /// event for the others.
    fn parse_event(&mut self, raw: &Raw<'a>) -> Result<Option<RawEvent>, Error> {
        let spec = &SPECS[raw.typ as usize];
        let a = &self.args;
        let narg = arg_count(raw.typ, a.len(), self.ver);
        if a.len() != narg {
            let name = if self.ver < GO111 { go121_name(raw.typ) } else { spec.name };
            return Err(Error::new(format!("{name} has wrong number of arguments: want {narg}, got {}", a.len())));
        }
        match raw.typ {
            ev::BATCH => {
                self.last_gs.insert(self.last_p, self.last_g);
                if a[0] != u64::MAX && a[0] > i32::MAX as u64 {
                    return Err(Error::new(format!("processor ID {} is larger than maximum of {}", a[0], i32::MAX)));
                }
                self.last_p = if a[0] == u64::MAX { -1 } else { a[0] as i32 };
                self.last_g = self.last_gs.get(&self.last_p).copied().unwrap_or(0);
                if self.ver < SEQ_BEFORE_TIME_UNTIL {
                    self.last_seq = a[1];
                }
                self.last_ts = a[narg - 1] as i64;
                Ok(None)
            }
            ev::FREQUENCY => {
                self.ticks_per_sec = a[0] as i64;
                if self.ticks_per_sec <= 0 {
                    return Err(Error::new(TIME_ORDER));
                }
                Ok(None)
            }
            ev::TIMER_GOROUTINE => {
                self.timer_goids.insert(a[0], ());
                Ok(None)
            }
            ev::STACK => {
                if a.len() < 2 {
                    return Err(Error::new(format!(
                        "EvStack has wrong number of arguments: want at least 2, got {}",
                        a.len()
                    )));
                }
                let size = a[1];
                if size > 1000 {
                    return Err(Error::new(format!("EvStack has bad number of frames: {size}")));
                }
                // Frames are {PC, func, file, line}; bare PCs before 1.7.
                let per_frame = if self.ver < SEQ_BEFORE_TIME_UNTIL { 1 } else { 4 };
                let want = 2 + per_frame * size;
                if a.len() as u64 != want {
                    return Err(Error::new(format!(
                        "EvStack has wrong number of arguments: want {want}, got {}",
                        a.len()
                    )));
                }
                let id = a[0] as u32;
                if id != 0 && size > 0 {
                    let start = self.stack_pcs.len() as u32;
                    for f in a[2..].chunks_exact(per_frame as usize) {
                        self.stack_pcs.push(f[0]);
                        let (func, file, line) = if f.len() == 4 { (f[1], f[2], f[3]) } else { (0, 0, 0) };
                        self.pcs.entry(f[0]).or_insert(RawFrame { pc: f[0], func, file, line });
                    }
                    self.stacks.insert(id, (start, size as u32));
                }
                Ok(None)
            }
            ev::CPU_SAMPLE => Ok(None),
            _ => {
                let off = u32::try_from(raw.offset).unwrap_or(u32::MAX);
                let mut e = RawEvent { typ: raw.typ, p: self.last_p, g: self.last_g, off, ..RawEvent::default() };
                let first = arg_offset(self.ver);
                if first == 2 {
                    // `go 1.5`: [seq delta, time delta, ...]; the sequence
                    // number waits in the unused fourth argument for the merge.
                    self.last_seq = self.last_seq.wrapping_add(a[0]);
                    e.args[3] = self.last_seq;
                }
                e.ts = self.last_ts.wrapping_add(a[first - 1] as i64);
                self.last_ts = e.ts;
                for i in first..narg {
                    if i == narg - 1 && spec.stack {
                        e.stk = a[i] as u32;
                    } else {
                        e.args[i - first] = a[i];
                    }
                }
                if raw.typ == ev::STW_START && self.ver < GO111 && e.args[0] > 1 {
                    return Err(Error::new(format!("unknown STW kind {}", e.args[0])));
                }
                self.follow_goroutine(&mut e);
                if raw.typ == ev::USER_LOG {
                    // Log messages are inline: number them in first-seen order.
                    let msg = raw.message.unwrap_or(&[]);
                    let next = self.inline_strings.len() as u64;
                    let id = *self.inline_ids.entry(msg).or_insert(next);
                    if id == next {
                        self.inline_strings.push(msg);
                    }
                    e.args[3] = id;
                }
                Ok(Some(e))
            }
        }
    }

    /// Merges the `go 1.5` batches: every event carries a global sequence
    /// number, so the order is by it, syscall exits taking the number and time
    /// recorded when the syscall returned (Go 1.21's `order1005`). The times
    /// must then go up.
    fn merge_by_seq(&mut self) -> Result<Vec<RawEvent>, Error> {
        let mut events = Vec::new();
        let mut batch = Vec::new();
        for pid in self.proc_order.clone() {
            while self.load_batch(pid, &mut batch)? {
                events.append(&mut batch);
            }
        }
        for e in &mut events {
            if e.typ == ev::GO_SYSEXIT {
                e.args[3] = e.args[1];
                if e.args[2] != 0 {
                    e.ts = e.args[2] as i64;
                }
            }
        }
        events.sort_by_key(|e| e.args[3] as i64);
        if events.windows(2).any(|w| w[1].ts < w[0].ts) {
            return Err(Error::new(TIME_ORDER));
        }
        for e in &mut events {
            e.args[3] = 0;
        }
        Ok(events)
    }

    /// Merges the Ps' batches into one sequence in which every goroutine's
    /// transitions are possible, taking the earliest ready event each time
    /// (Go's `parseEventBatches`), then gives syscall exits their real times.
    /// Whether `proc` has a next event (`proc.events[proc.next]`), loading
    /// its next batch when the loaded one is used up; `false` (and
    /// `proc.done`) once the P has no batches left.
    #[inline]
    fn has_head(&mut self, proc: &mut Proc) -> Result<bool, Error> {
        while proc.next == proc.events.len() {
            proc.next = 0;
            if !self.load_batch(proc.pid, &mut proc.events)? {
                proc.events.clear();
                proc.done = true;
                return Ok(false);
            }
        }
        Ok(true)
    }

    #[inline(never)]
    pub(super) fn merge_batches(&mut self, out: &mut impl MergeSink) -> Result<(), Error> {
        self.cpu_samples.sort_by_key(|e| e.ts);
        let mut procs: Vec<Proc> = self
            .proc_order
            .iter()
            .map(|&pid| Proc { pid, events: Vec::new(), next: 0, done: false, head: Default::default() })
            .collect();
        procs.push(Proc {
            pid: fake_p::PROFILE,
            events: std::mem::take(&mut self.cpu_samples),
            next: 0,
            done: false,
            head: Default::default(),
        });
        let mut gs: DenseMap<GState> = DenseMap::default();
        let mut frontier = Frontier(Vec::with_capacity(procs.len()));
        let mut available: Vec<usize> = (0..procs.len()).collect();
        let mut parked = Parked::new(procs.len());
        let mut prev_ts = i64::MIN;
        let mut unsorted = false;
        let mut exit_err: Option<Error> = None;
        let mut last_sys_block: DenseMap<i64> = DenseMap::default();
        // A P whose next event goes next without a trip through the frontier:
        // it is ready and earlier than every event there. Go would push it
        // and pop it straight back; only the frontier's order among equal
        // times (which Go leaves to map order) can differ.
        let mut direct: Option<usize> = None;
        loop {
            while let Some(pi) = available.pop() {
                let proc = &mut procs[pi];
                if !self.has_head(proc)? {
                    continue;
                }
                let e = &proc.events[proc.next];
                proc.head = state_transition(e);
                let (g, init, _) = proc.head;
                if !transition_ready(g, gs.get_or_default(g), init) {
                    parked.park(g, pi);
                    continue;
                }
                frontier.push((e.ts, pi));
            }
            let pi = match direct.take() {
                Some(pi) => pi,
                None => {
                    if frontier.0.is_empty() {
                        if procs.iter().any(|p| !p.done) {
                            return Err(Error::new("no consistent ordering of events possible"));
                        }
                        break;
                    }
                    frontier.pop().1
                }
            };
            let proc = &mut procs[pi];
            let e = &proc.events[proc.next];
            proc.next += 1;
            let (g, init, mut next) = proc.head;
            let typ = match e.typ {
                ev::GO_START_LOCAL => ev::GO_START,
                ev::GO_UNBLOCK_LOCAL => ev::GO_UNBLOCK,
                ev::GO_SYSEXIT_LOCAL => ev::GO_SYSEXIT,
                t => t,
            };
            unsorted |= e.ts < prev_ts;
            prev_ts = e.ts;
            let mut moved_to = None;
            if exit_err.is_none() {
                match typ {
                    ev::GO_SYSBLOCK | ev::GO_IN_SYSCALL => {
                        last_sys_block.insert(e.g, e.ts);
                    }
                    ev::GO_SYSEXIT if e.args[2] != 0 => {
                        let ts = e.args[2] as i64;
                        let block = last_sys_block.get_or_default(e.g);
                        if block == 0 {
                            exit_err = Some(Error::new("stray syscall exit"));
                        } else if ts < block {
                            exit_err = Some(Error::new(TIME_ORDER));
                        } else if ts != e.ts {
                            moved_to = Some(ts);
                        }
                    }
                    _ => {}
                }
            }
            match moved_to {
                Some(ts) => out.moved(e, ts),
                None => out.event(e, typ),
            }
            if g != UNORDERED {
                let curr = gs.get_or_default(g);
                if !transition_ready(g, curr, init) {
                    return Err(Error::new("encountered impossible goroutine state transition"));
                }
                match next.seq {
                    NOSEQ => next.seq = curr.seq,
                    SEQINC => next.seq = curr.seq.wrapping_add(1),
                    _ => {}
                }
                gs.insert(g, next);
                parked.wake(g, &mut available);
            }
            if !available.is_empty() {
                available.push(pi);
                continue;
            }
            // Nothing woke: this P's next event either goes straight on,
            // joins the frontier, or waits for its goroutine.
            let proc = &mut procs[pi];
            if !self.has_head(proc)? {
                continue;
            }
            let e = &proc.events[proc.next];
            proc.head = state_transition(e);
            let (g, init, _) = proc.head;
            if !transition_ready(g, gs.get_or_default(g), init) {
                parked.park(g, pi);
            } else if frontier.0.first().map_or(true, |&(ts, _)| e.ts < ts) {
                direct = Some(pi);
            } else {
                frontier.push((e.ts, pi));
            }
        }

        if unsorted {
            return Err(Error::new(TIME_ORDER));
        }
        if let Some(e) = exit_err {
            return Err(e);
        }
        Ok(())
    }
}

/// The end of the well-formed varint at `off` (at most 10 bytes, the tenth
/// at most 1, as Go's `binary.Uvarint` accepts); `None` otherwise.
#[inline]
fn skip_varint(data: &[u8], off: usize) -> Option<usize> {
    let bytes = data.get(off..)?;
    for (i, &b) in bytes.iter().take(10).enumerate() {
        if b < 0x80 {
            return if i == 9 && b > 1 { None } else { Some(off + i + 1) };
        }
    }
    None
}

/// The well-formed varint at `off` and where it ends (see [`skip_varint`]).
#[inline]
fn read_varint(data: &[u8], off: usize) -> Option<(u64, usize)> {
    let &first = data.get(off)?;
    if first < 0x80 {
        return Some((u64::from(first), off + 1));
    }
    let mut x = u64::from(first & 0x7f);
    let mut shift = 7;
    for (i, &b) in data.get(off + 1..)?.iter().take(9).enumerate() {
        if b < 0x80 {
            if i == 8 && b > 1 {
                return None;
            }
            return Some((x | (u64::from(b) << shift), off + i + 2));
        }
        x |= u64::from(b & 0x7f) << shift;
        shift += 7;
    }
    None
}

/// Drops futile wakeups (Go 1.21's `removeFutile`, for traces before 1.11): a
/// goroutine woken, started (and maybe preempted) and marked `FutileWakeup`
/// that blocks again loses the whole wakeup, its block included.
fn remove_futile(events: &mut Vec<RawEvent>) {
    if !events.iter().any(|e| e.typ == ev::FUTILE_WAKEUP) {
        return;
    }
    #[derive(Default)]
    struct Wakeup {
        futile: bool,
        events: Vec<usize>,
    }
    let mut gs: IdMap<u64, Wakeup> = IdMap::default();
    let mut drop = vec![false; events.len()];
    for (i, e) in events.iter().enumerate() {
        match e.typ {
            ev::GO_UNBLOCK => gs.entry(e.args[0]).or_default().events = vec![i],
            ev::GO_START | ev::GO_PREEMPT | ev::FUTILE_WAKEUP => {
                let w = gs.entry(e.g).or_default();
                w.events.push(i);
                w.futile |= e.typ == ev::FUTILE_WAKEUP;
            }
            ev::GO_BLOCK
            | ev::GO_BLOCK_SEND
            | ev::GO_BLOCK_RECV
            | ev::GO_BLOCK_SELECT
            | ev::GO_BLOCK_SYNC
            | ev::GO_BLOCK_COND => {
                if let Some(w) = gs.remove(&e.g) {
                    if w.futile {
                        drop[i] = true;
                        for j in w.events {
                            drop[j] = true;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let mut i = 0;
    events.retain(|_| {
        i += 1;
        !drop[i - 1]
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push(v as u8 | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    /// Thousands of Ps whose first event waits for a goroutine state that never
    /// comes, beside one P with many events that can go: the waiting Ps are set
    /// aside instead of being rescanned after each event, so this finishes at
    /// once (Go's merge does 10^9 checks here) with Go's verdict.
    #[test]
    fn waiting_ps_do_not_make_the_merge_quadratic() {
        let mut t = b"go 1.21 trace\0\0\0".to_vec();
        // P0: the frequency and 50,000 heap samples that are always ready.
        t.extend([0x41, 0, 1, 0x02, 100]);
        for _ in 0..50_000 {
            t.extend([0x61, 1, 5]);
        }
        // 20,000 Ps, each starting goroutine 1 at a sequence number it never reaches.
        for p in 1..=20_000u64 {
            t.push(0x41);
            varint(&mut t, p);
            t.push(1);
            t.extend([0x8e, 1, 1, 5]);
        }
        let err = parse(&t, 16, 21, false).err().expect("no consistent order exists");
        assert_eq!(err.message(), "no consistent ordering of events possible");
    }
}
