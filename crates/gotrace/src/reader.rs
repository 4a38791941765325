//! The reader: streams generations and merges their per-thread batches into
//! one valid event sequence, in the order Go's reader produces.

use crate::event::{validate_table_ids, Event};
use crate::generation::{
    read_generation, read_generation_with_spill, CpuSample, GenRead, Generation, ReleaseHint, Spill,
};
use crate::order::{BaseEvent, Ordered, Ordering, ThreadSlot};
use crate::shared::TableOwner;
use crate::table::{ticks_to_ns, Clock, EvTable};
use crate::wire::spec::{ev, INVALID_TYPE, SPECS, TIMED_ARGS, UNTIMED};
use crate::wire::{read_header, uvarint, Batch, ByteCursor, Version};
use crate::Error;

/// A position in one thread's batches, holding that thread's next event.
#[derive(Debug)]
struct BatchCursor<'a> {
    /// The thread's batches, in file order.
    batches: Vec<Batch<'a>>,
    m: i64,
    /// The thread's slot in the ordering's thread states.
    slot: ThreadSlot,
    last_ts: i64,
    /// The batch being read, in the thread's batch list.
    idx: usize,
    /// What is left of that batch.
    rest: &'a [u8],
    ev: BaseEvent,
}

impl<'a> BatchCursor<'a> {
    fn new(m: i64, slot: ThreadSlot, batches: Vec<Batch<'a>>) -> Self {
        let rest = batches.first().map_or(&[][..], |b| b.data);
        BatchCursor { batches, m, slot, last_ts: 0, idx: 0, rest, ev: BaseEvent::default() }
    }

    /// Decodes the thread's next event; `Ok(false)` when its batches are exhausted.
    #[inline(always)]
    fn next_event(&mut self, clock: Clock) -> Result<bool, Error> {
        while self.rest.is_empty() {
            self.idx += 1;
            self.last_ts = 0;
            match self.batches.get(self.idx) {
                Some(b) => self.rest = b.data,
                None => return Ok(false),
            }
        }
        if self.last_ts == 0 {
            // As in Go, also when the previous event's time came out as exactly 0.
            self.last_ts = clock.to_ns(self.batches[self.idx].time);
        }
        let (n, dt) = read_timed_event(self.rest, &mut self.ev)?;
        self.ev.time = clock.to_ns(dt).wrapping_add(self.last_ts);
        self.last_ts = self.ev.time;
        self.rest = &self.rest[n..];
        Ok(true)
    }
}

/// Decodes a varint at `*pos` like [`uvarint`], `None` where that fails.
///
/// Most varints in event batches are one byte, and nearly all the others are
/// far from the batch's end: both cases decode without per-byte bounds checks.
#[inline(always)]
fn varint_at(b: &[u8], pos: &mut usize) -> Option<u64> {
    let p = *pos;
    if let Some(&x) = b.get(p) {
        if x < 0x80 {
            *pos = p + 1;
            return Some(u64::from(x));
        }
    }
    if let Some(w) = b.get(p..p + 10) {
        let mut x = 0u64;
        for (i, &c) in w.iter().enumerate() {
            if c < 0x80 {
                if i == 9 && c > 1 {
                    return None;
                }
                *pos = p + i + 1;
                return Some(x | (u64::from(c) << (7 * i)));
            }
            x |= u64::from(c & 0x7f) << (7 * i);
        }
        return None;
    }
    let (v, n) = uvarint(&b[p..]);
    if n <= 0 {
        return None;
    }
    *pos = p + n as usize;
    Some(v)
}

#[cold]
#[inline(never)]
fn decode_error(typ: u8, what: u8) -> Error {
    match what {
        0 => Error::new(format!("found invalid event type: {typ}")),
        1 => Error::new(format!("found event without a timestamp: type={typ}")),
        2 => Error::new("found invalid uvarint for timestamp"),
        _ => Error::new("found invalid uvarint"),
    }
}

/// Decodes one timed event; arguments past the event's own count keep their old
/// values, as in Go (no consumer reads them).
#[inline(always)]
fn read_timed_event(b: &[u8], e: &mut BaseEvent) -> Result<(usize, u64), Error> {
    let typ = b[0];
    let nargs = TIMED_ARGS[typ as usize];
    if nargs == INVALID_TYPE {
        return Err(decode_error(typ, 0));
    }
    e.typ = typ;
    if nargs == UNTIMED {
        return Err(decode_error(typ, 1));
    }
    let mut n = 1;
    let Some(ts) = varint_at(b, &mut n) else {
        return Err(decode_error(typ, 2));
    };
    for arg in e.args.iter_mut().take(nargs as usize) {
        let Some(v) = varint_at(b, &mut n) else {
            return Err(decode_error(typ, 3));
        };
        *arg = v;
    }
    Ok((n, ts))
}

/// One thread in the frontier: the time of its next event, and its cursor.
///
/// The heap moves these small entries rather than the cursors themselves.
#[derive(Debug, Clone, Copy)]
struct Front {
    time: i64,
    cursor: usize,
}

// The frontier is a binary min-heap on the next event's time. Its exact sift
// rules decide which thread wins a tie, so they follow Go's implementation
// (`heapInsert`, `heapUpdate`, `heapRemove`, `heapSiftDown`). The entry being
// placed is held aside while the others move into the hole it leaves, rather
// than swapped step by step: an entry whose time was just written and that a
// swap then copies whole makes the CPU wait for that write, on every event.

fn heap_insert(h: &mut Vec<Front>, f: Front) {
    h.push(f);
    let last = h.len() - 1;
    let i = hole_up(h, last, f.time);
    h[i] = f;
}

/// Gives entry `i` a new time and restores the heap (sifting up, else down).
#[inline]
fn heap_set_time(h: &mut [Front], i: usize, time: i64) {
    let moving = Front { time, cursor: h[i].cursor };
    let mut at = hole_up(h, i, time);
    if at == i {
        at = hole_down(h, i, time);
    }
    h[at] = moving;
}

fn heap_remove(h: &mut Vec<Front>, mut i: usize) {
    // Go swaps the entry up to the root, swaps the root with the last entry,
    // drops the last and sifts the root down.
    while i > 0 {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    let Some(last) = h.pop() else { return };
    if !h.is_empty() {
        let at = hole_down(h, 0, last.time);
        h[at] = last;
    }
}

/// Moves the hole at `i` up past the parents later than `time`; where an
/// entry of that time belongs.
#[inline]
fn hole_up(h: &mut [Front], mut i: usize, time: i64) -> usize {
    while i > 0 && h[(i - 1) / 2].time > time {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    i
}

/// Moves the hole at `i` down past the children earlier than `time` (the
/// earlier of two, the left one on a tie; a child only as early stays);
/// where an entry of that time belongs.
#[inline]
fn hole_down(h: &mut [Front], mut i: usize, time: i64) -> usize {
    loop {
        let (l, r) = (2 * i + 1, 2 * i + 2);
        let mut m = i;
        let mut min_t = time;
        if l < h.len() && h[l].time < min_t {
            min_t = h[l].time;
            m = l;
        }
        if r < h.len() && h[r].time < min_t {
            m = r;
        }
        if m == i {
            return i;
        }
        h[i] = h[m];
        i = m;
    }
}

/// Sorts the frontier by time when the earliest thread cannot advance.
///
/// Go uses `slices.SortFunc` (pattern-defeating quicksort); for up to 12
/// threads that is an insertion sort, reproduced here. For more threads we use
/// a stable sort, which can differ from Go only in how it orders threads whose
/// next events have the same nanosecond.
fn sort_frontier(h: &mut [Front]) {
    if h.len() <= 12 {
        for i in 1..h.len() {
            let mut j = i;
            while j > 0 && h[j].time < h[j - 1].time {
                h.swap(j, j - 1);
                j -= 1;
            }
        }
    } else {
        h.sort_by_key(|c| c.time);
    }
}

/// Reads a Go execution trace event by event.
///
/// Works on a byte slice (a memory-mapped file, or the bytes a browser
/// handed over) and holds one generation at a time. Events come out in the
/// same order and with the same values as from Go's `internal/trace.Reader`;
/// the first error ends the stream, after every event of the complete
/// generations before it.
///
/// ```no_run
/// let data = std::fs::read("trace.out").unwrap();
/// let mut r = gotrace::Reader::new(&data).unwrap();
/// while let Some(ev) = r.read_event().unwrap() {
///     println!("{ev}");
/// }
/// ```
pub struct Reader<'a> {
    data: &'a [u8],
    cursor: ByteCursor<'a>,
    version: Version,
    last_ts: i64,
    order: Ordering<'a>,
    syncs: u64,
    done: bool,
    failed: Option<Error>,

    // The generation being emitted.
    has_gen: bool,
    gen: u64,
    /// The current generation's table; events get counted handles to it.
    table: Option<TableOwner<'a>>,
    threads: Threads<'a>,
    cpu_samples: Vec<CpuSample>,
    next_sample: usize,
    gen_end: usize,
    gens_done: u64,
    valid_bytes: usize,

    // An error met while ordering ahead, reported once the events before it are out.
    pending_err: Option<Error>,
    // Go 1.26+: an error met while reading the next generation, reported after a Sync.
    read_gen_err: Option<Error>,
    // Before Go 1.26: the next generation's first batch, and an error met after this generation.
    spill: Option<Spill<'a>>,
    spill_err: Option<Error>,
    spill_err_sync: bool,

    on_generation_done: Option<Box<dyn FnMut(usize) + 'a>>,
    on_release_hint: Option<Box<dyn FnMut(usize) + 'a>>,
    events_since_hint: u32,

    /// An old-format trace, parsed whole when the reader was made.
    v1: Option<Box<crate::v1::Stream<'a>>>,
}

/// The per-thread side of the generation being emitted.
#[derive(Default)]
struct Threads<'a> {
    /// Each thread's position, in the order threads first appear in the file.
    cursors: Vec<BatchCursor<'a>>,
    /// The threads that have events left, as a heap on their next event's time.
    frontier: Vec<Front>,
    /// The generation's tick conversion.
    clock: Clock,
}

impl<'a> Threads<'a> {
    /// Tries to advance the next event of the thread at `frontier[i]`; on
    /// success decodes that thread's following event and restores the heap.
    #[inline(always)]
    fn try_advance(&mut self, i: usize, order: &mut Ordering<'a>, table: &EvTable<'a>, gen: u64) -> Result<bool, Error> {
        let ci = self.frontier[i].cursor;
        let bc = &mut self.cursors[ci];
        if !order.advance(&mut bc.ev, table, bc.m, bc.slot, gen)? {
            return Ok(false);
        }
        if bc.next_event(self.clock)? {
            heap_set_time(&mut self.frontier, i, bc.ev.time);
        } else {
            heap_remove(&mut self.frontier, i);
        }
        Ok(true)
    }

    fn describe_frontier(&self) -> String {
        let mut parts = Vec::new();
        for f in self.frontier.iter().take(8) {
            let bc = &self.cursors[f.cursor];
            let spec = &SPECS[bc.ev.typ as usize];
            let mut s = format!("M {} [{} time={}", bc.m, spec.name, bc.ev.time);
            for (i, arg) in spec.args.iter().skip(1).enumerate() {
                s.push_str(&format!(" {arg}={}", bc.ev.args[i]));
            }
            s.push(']');
            parts.push(s);
        }
        if self.frontier.len() > 8 {
            parts.push(format!("and {} more threads", self.frontier.len() - 8));
        }
        parts.join(", ")
    }
}

/// What the slow path of [`Reader::read_event`] found.
enum Step<'a> {
    /// The ordering's queue holds the next event (of the current generation).
    Queued,
    /// A generation boundary.
    Sync(Event<'a>),
    /// The clean end of the trace.
    End,
}

impl<'a> Reader<'a> {
    /// Checks the header and prepares to read. Fails for files that are not
    /// traces and for versions this reader does not support.
    ///
    /// An old-format trace (Go 1.11–1.21) is parsed and checked whole here,
    /// as Go's reader does: its errors come from this call.
    pub fn new(data: &'a [u8]) -> Result<Self, Error> {
        let (version, hdr) = read_header(data)?;
        let v1 = if version.is_old_format() {
            Some(Box::new(crate::v1::Stream::open(data, hdr, version.minor())?))
        } else {
            None
        };
        Ok(Reader {
            data,
            cursor: ByteCursor::new(data, hdr),
            version,
            last_ts: 0,
            order: Ordering::new(version),
            syncs: 0,
            done: false,
            failed: None,
            // An old-format trace is one generation, the whole file, from the start.
            has_gen: v1.is_some(),
            gen: 0,
            table: None,
            threads: Threads::default(),
            cpu_samples: Vec::new(),
            next_sample: 0,
            gen_end: if v1.is_some() { data.len() } else { hdr },
            gens_done: 0,
            valid_bytes: hdr,
            pending_err: None,
            read_gen_err: None,
            spill: None,
            spill_err: None,
            spill_err_sync: false,
            on_generation_done: None,
            on_release_hint: None,
            events_since_hint: 0,
            v1,
        })
    }

    /// Registers a function called with [`Reader::valid_bytes`] each time a
    /// generation's last event has been emitted, before the next generation
    /// is read. A caller that owns the bytes can use it to release what was
    /// consumed (e.g. `madvise` on a memory map); the reader itself does no I/O.
    pub fn on_generation_done(&mut self, f: impl FnMut(usize) + 'a) {
        self.on_generation_done = Some(Box::new(f));
    }

    /// Registers a function called with an offset before which the reader
    /// does not need the input to stay resident: about every megabyte while a
    /// generation is read, and every 2^18 events with the current
    /// generation's end. The bytes must stay readable (the reader may touch
    /// them again, e.g. to print a stack): this is for `madvise(DONTNEED)` on a
    /// file mapping, whose pages come back from the page cache on demand, so
    /// resident memory follows what the reader is working on rather than
    /// whole generations.
    pub fn on_release_hint(&mut self, f: impl FnMut(usize) + 'a) {
        self.on_release_hint = Some(Box::new(f));
    }

    /// The trace format version from the header.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Bytes of the input covered by generations whose events were all emitted.
    /// After an error, `len - valid_bytes()` is how much of the trace was lost.
    pub fn valid_bytes(&self) -> usize {
        self.valid_bytes
    }

    /// Number of generations whose events were all emitted.
    pub fn generations_done(&self) -> u64 {
        self.gens_done
    }

    /// Length of the input.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True for an empty input (never the case for a reader that was created).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next event; `Ok(None)` at the clean end of the trace.
    #[inline]
    pub fn read_event(&mut self) -> Result<Option<Event<'a>>, Error> {
        // Events left over from the last advance come first (the queue is
        // emptied when reading fails, so nothing follows an error).
        if self.order.is_empty() {
            if self.v1.is_some() {
                return self.read_v1_event();
            }
            match self.next_inner() {
                Ok(Step::Queued) => {}
                Ok(Step::Sync(mut ev)) => {
                    self.stamp(&mut ev.base);
                    return Ok(Some(ev));
                }
                Ok(Step::End) => return Ok(None),
                Err(e) => return Err(self.fail(e)),
            }
        }
        let Some((o, task_name)) = self.order.next() else {
            return Err(self.fail(Error::new("internal error: advance successful, but queue is empty")));
        };
        let Some(table) = self.table.as_ref() else {
            return Err(self.fail(Error::new("internal error: an event without a generation")));
        };
        if let Err(e) = validate_table_ids(table, &o.base) {
            return Err(self.fail(e));
        }
        let table = Some(table.handle());
        self.events_since_hint += 1;
        if self.events_since_hint == 1 << 18 {
            self.events_since_hint = 0;
            if let Some(f) = &mut self.on_release_hint {
                f(self.gen_end);
            }
        }
        // Times strictly increase, as in Go.
        let mut time = o.base.time;
        if time <= self.last_ts {
            time = self.last_ts + 1;
        }
        self.last_ts = time;
        Ok(Some(Event::new(table, o.ctx, BaseEvent { time, ..o.base }, task_name)))
    }

    /// The next event of an old-format trace (out of line: the partitioned
    /// format's path stays small, and this one is not cold for old traces).
    #[inline(never)]
    fn read_v1_event(&mut self) -> Result<Option<Event<'a>>, Error> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let Some(stream) = self.v1.as_mut() else { return Ok(None) };
        match stream.next() {
            Ok(ev) => {
                if ev.is_some() && stream.is_done() {
                    // The closing Sync: the one generation is complete.
                    self.generation_finished();
                }
                Ok(ev)
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Makes times strictly increasing, as Go does.
    #[inline]
    fn stamp(&mut self, base: &mut BaseEvent) {
        if base.time <= self.last_ts {
            base.time = self.last_ts + 1;
        }
        self.last_ts = base.time;
    }

    /// Records the error that ends the stream.
    #[cold]
    fn fail(&mut self, e: Error) -> Error {
        self.order.clear_queue();
        self.failed = Some(e.clone());
        e
    }

    fn sync_event(&mut self, table: Option<crate::shared::TableRef<'a>>, time: i64) -> Step<'a> {
        self.syncs += 1;
        Step::Sync(Event::sync(table, time, self.syncs))
    }

    fn generation_finished(&mut self) {
        if self.has_gen {
            self.has_gen = false;
            self.gens_done += 1;
            self.valid_bytes = self.gen_end;
            if let Some(f) = &mut self.on_generation_done {
                f(self.valid_bytes);
            }
        }
    }

    /// Orders a run of the current generation's next events into the ordering's
    /// queue, or moves on to the next generation.
    ///
    /// Ordering runs a few dozen events ahead of what the caller has taken, so
    /// the checks and calls around each advance are paid once per run. Nothing
    /// the caller sees changes: events come out of the queue in the same order,
    /// an error met while ordering ahead is reported only after every event
    /// ordered before it (an event whose own advance failed is dropped, as Go
    /// drops it), and the next generation is read only once the queue is empty.
    fn next_inner(&mut self) -> Result<Step<'a>, Error> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if let Some(e) = self.pending_err.take() {
            return Err(e);
        }
        if self.done {
            return Ok(Step::End);
        }
        if self.threads.frontier.is_empty() && self.next_sample == self.cpu_samples.len() {
            return self.next_generation();
        }
        while self.order.has_room() {
            let before = self.order.len();
            match self.order_one() {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    self.order.truncate(before);
                    if self.order.is_empty() {
                        return Err(e);
                    }
                    self.pending_err = Some(e);
                    break;
                }
            }
        }
        Ok(Step::Queued)
    }

    /// Orders the current generation's next event (or CPU sample) into the
    /// queue; `Ok(false)` when the generation has none left.
    #[inline(always)]
    fn order_one(&mut self) -> Result<bool, Error> {
        let samples_left = self.next_sample < self.cpu_samples.len();
        if self.threads.frontier.is_empty() && !samples_left {
            return Ok(false);
        }
        if samples_left {
            let s = self.cpu_samples[self.next_sample];
            if self.threads.frontier.is_empty() || s.time < self.threads.frontier[0].time {
                self.next_sample += 1;
                let ctx = crate::event::SchedCtx { g: s.g, p: s.p, m: s.m };
                let base = BaseEvent { typ: ev::CPU_SAMPLE, time: s.time, args: [s.stack, 0, 0, 0] };
                self.order.enqueue(Ordered { ctx, base });
                return Ok(true);
            }
        }
        let Some(table) = self.table.as_deref() else {
            return Err(Error::new("internal error: events without a generation"));
        };
        let t = &mut self.threads;
        // Usually the earliest thread can go; if not, try the others by time, as Go does.
        if !t.try_advance(0, &mut self.order, table, self.gen)? {
            sort_frontier(&mut t.frontier);
            let mut success = false;
            for i in 1..t.frontier.len() {
                if t.try_advance(i, &mut self.order, table, self.gen)? {
                    success = true;
                    break;
                }
            }
            if !success {
                return Err(Error::new(format!(
                    "broken trace: failed to advance: no thread's next event can happen in generation {} ({})",
                    self.gen,
                    t.describe_frontier()
                )));
            }
        }
        Ok(true)
    }

    /// The current generation is done: reads the next one and returns its Sync
    /// (or the Sync that precedes an error, or the final Sync).
    #[cold]
    fn next_generation(&mut self) -> Result<Step<'a>, Error> {
        self.generation_finished();
        if self.version < Version::Go126 {
            return self.next_gen_with_spill();
        }
        if let Some(e) = &self.read_gen_err {
            return Err(e.clone());
        }
        let start = self.cursor.pos();
        let mut hint = ReleaseHint { f: self.on_release_hint.as_deref_mut(), last: start };
        match read_generation(&mut self.cursor, self.version, &mut hint) {
            Err(e) => {
                self.read_gen_err = Some(e.at(start));
                self.table = None;
                Ok(self.sync_event(None, self.last_ts))
            }
            Ok(GenRead::End) => Ok(self.install_end()),
            Ok(GenRead::Gen(g)) => {
                let end = self.cursor.pos();
                self.install_gen(g, end)
            }
        }
    }

    fn next_gen_with_spill(&mut self) -> Result<Step<'a>, Error> {
        if let Some(e) = &self.spill_err {
            if self.spill_err_sync {
                return Err(e.clone());
            }
            self.spill_err_sync = true;
            return Ok(self.sync_event(None, self.last_ts));
        }
        if self.table.is_some() && self.spill.is_none() {
            return Ok(self.install_end());
        }
        let start = self.cursor.pos();
        let mut hint = ReleaseHint { f: self.on_release_hint.as_deref_mut(), last: start };
        match read_generation_with_spill(&mut self.cursor, self.spill.take(), self.version, &mut hint) {
            Err(e) => {
                self.table = None;
                self.spill_err = Some(e.at(start));
                self.spill_err_sync = true;
                Ok(self.sync_event(None, self.last_ts))
            }
            Ok((g, spill, err, end)) => {
                self.spill = spill;
                self.spill_err = err;
                self.install_gen(g, end)
            }
        }
    }

    fn install_end(&mut self) -> Step<'a> {
        self.done = true;
        self.table = None;
        self.sync_event(None, self.last_ts)
    }

    fn install_gen(&mut self, mut g: Box<Generation<'a>>, end: usize) -> Result<Step<'a>, Error> {
        let table = TableOwner::new(std::mem::take(&mut g.table));
        self.gen = g.gen;
        self.has_gen = true;
        self.gen_end = end;
        self.cpu_samples = std::mem::take(&mut g.cpu_samples);
        self.next_sample = 0;
        let t = &mut self.threads;
        t.clock = Clock::new(table.freq);
        t.cursors.clear();
        t.frontier.clear();
        let batches = std::mem::take(&mut g.batches);
        for (thread, (batches, &m)) in batches.into_iter().zip(&g.batch_ms).enumerate() {
            let slot = self.order.thread_slot(m);
            let mut bc = BatchCursor::new(m, slot, batches);
            let more = bc.next_event(t.clock)?;
            if more {
                heap_insert(&mut t.frontier, Front { time: bc.ev.time, cursor: thread });
            }
            t.cursors.push(bc);
        }
        let time = ticks_to_ns(table.freq, g.min_ts);
        let handle = table.handle();
        self.table = Some(table);
        Ok(self.sync_event(Some(handle), time))
    }
}

impl<'a> Iterator for Reader<'a> {
    type Item = Result<Event<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed.is_some() {
            return None;
        }
        self.read_event().transpose()
    }
}
