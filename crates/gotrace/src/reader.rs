//! The reader: streams generations and merges their per-thread batches into
//! one valid event sequence, in the order Go's reader produces.

use std::sync::Arc;

use crate::event::Event;
use crate::generation::{read_generation, read_generation_with_spill, CpuSample, GenRead, Generation, Spill};
use crate::order::{BaseEvent, Ordering};
use crate::table::{ticks_to_ns, EvTable};
use crate::wire::spec::{ev, NUM_SPECS, SPECS};
use crate::wire::{read_header, uvarint, Batch, ByteCursor, Version};
use crate::Error;

/// A position in one thread's batches, holding that thread's next event.
#[derive(Debug, Clone, Copy)]
struct BatchCursor {
    m: i64,
    /// Index of the thread in the generation's batch lists.
    thread: usize,
    last_ts: i64,
    idx: usize,
    data_off: usize,
    ev: BaseEvent,
}

impl BatchCursor {
    /// Decodes the thread's next event; `Ok(false)` when its batches are exhausted.
    #[inline]
    fn next_event(&mut self, batches: &[Batch<'_>], ns_per_tick: f64) -> Result<bool, Error> {
        while self.idx < batches.len() && batches[self.idx].data.len() == self.data_off {
            self.idx += 1;
            self.data_off = 0;
            self.last_ts = 0;
        }
        if self.idx == batches.len() {
            return Ok(false);
        }
        let b = &batches[self.idx];
        if self.last_ts == 0 {
            self.last_ts = ticks_to_ns(ns_per_tick, b.time);
        }
        let (n, dt) = read_timed_event(&b.data[self.data_off..], &mut self.ev)?;
        self.ev.time = ticks_to_ns(ns_per_tick, dt).wrapping_add(self.last_ts);
        self.last_ts = self.ev.time;
        self.data_off += n;
        Ok(true)
    }
}

/// Decodes one timed event; arguments past the event's own count keep their old
/// values, as in Go (no consumer reads them).
#[inline]
fn read_timed_event(b: &[u8], e: &mut BaseEvent) -> Result<(usize, u64), Error> {
    let typ = b[0];
    if typ as usize >= NUM_SPECS {
        return Err(Error::new(format!("found invalid event type: {typ}")));
    }
    e.typ = typ;
    let spec = &SPECS[typ as usize];
    if spec.args.is_empty() || !spec.is_timed {
        return Err(Error::new(format!("found event without a timestamp: type={typ}")));
    }
    let mut n = 1;
    let (ts, nb) = uvarint(&b[n..]);
    if nb <= 0 {
        return Err(Error::new("found invalid uvarint for timestamp"));
    }
    n += nb as usize;
    for i in 0..spec.args.len() - 1 {
        let (arg, nb) = uvarint(&b[n..]);
        if nb <= 0 {
            return Err(Error::new("found invalid uvarint"));
        }
        e.args[i] = arg;
        n += nb as usize;
    }
    Ok((n, ts))
}

// The frontier is a binary min-heap on the next event's time. Its exact sift
// rules decide which thread wins a tie, so they follow Go's implementation.

fn heap_insert(h: &mut Vec<BatchCursor>, bc: BatchCursor) {
    h.push(bc);
    let i = h.len() - 1;
    heap_sift_up(h, i);
}

fn heap_update(h: &mut [BatchCursor], i: usize) {
    if heap_sift_up(h, i) != i {
        return;
    }
    heap_sift_down(h, i);
}

fn heap_remove(h: &mut Vec<BatchCursor>, mut i: usize) {
    while i > 0 {
        h.swap((i - 1) / 2, i);
        i = (i - 1) / 2;
    }
    let last = h.len() - 1;
    h.swap(0, last);
    h.pop();
    heap_sift_down(h, 0);
}

fn heap_sift_up(h: &mut [BatchCursor], mut i: usize) -> usize {
    while i > 0 && h[(i - 1) / 2].ev.time > h[i].ev.time {
        h.swap((i - 1) / 2, i);
        i = (i - 1) / 2;
    }
    i
}

fn heap_sift_down(h: &mut [BatchCursor], mut i: usize) {
    loop {
        let m = min3(h, i, 2 * i + 1, 2 * i + 2);
        if m == i {
            break;
        }
        h.swap(i, m);
        i = m;
    }
}

fn min3(h: &[BatchCursor], i0: usize, i1: usize, i2: usize) -> usize {
    let mut min_idx = i0;
    let mut min_t = i64::MAX;
    if i0 < h.len() {
        min_t = h[i0].ev.time;
    }
    if i1 < h.len() && h[i1].ev.time < min_t {
        min_t = h[i1].ev.time;
        min_idx = i1;
    }
    if i2 < h.len() && h[i2].ev.time < min_t {
        min_idx = i2;
    }
    min_idx
}

/// Sorts the frontier by time when the earliest thread cannot advance.
///
/// Go uses `slices.SortFunc` (pattern-defeating quicksort); for up to 12
/// threads that is an insertion sort, reproduced here. For more threads we use
/// a stable sort, which can differ from Go only in how it orders threads whose
/// next events have the same nanosecond.
fn sort_frontier(h: &mut [BatchCursor]) {
    if h.len() <= 12 {
        for i in 1..h.len() {
            let mut j = i;
            while j > 0 && h[j].ev.time < h[j - 1].ev.time {
                h.swap(j, j - 1);
                j -= 1;
            }
        }
    } else {
        h.sort_by_key(|c| c.ev.time);
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
    table: Option<Arc<EvTable<'a>>>,
    batches: Vec<Vec<Batch<'a>>>,
    frontier: Vec<BatchCursor>,
    cpu_samples: Vec<CpuSample>,
    next_sample: usize,
    gen_end: usize,
    gens_done: u64,
    valid_bytes: usize,

    // Go 1.26+: an error met while reading the next generation, reported after a Sync.
    read_gen_err: Option<Error>,
    // Before Go 1.26: the next generation's first batch, and an error met after this generation.
    spill: Option<Spill<'a>>,
    spill_err: Option<Error>,
    spill_err_sync: bool,

    on_generation_done: Option<Box<dyn FnMut(usize) + 'a>>,
}

impl<'a> Reader<'a> {
    /// Checks the header and prepares to read. Fails for files that are not
    /// traces and for versions this reader does not support.
    pub fn new(data: &'a [u8]) -> Result<Self, Error> {
        let (version, hdr) = read_header(data)?;
        Ok(Reader {
            data,
            cursor: ByteCursor::new(data, hdr),
            version,
            last_ts: 0,
            order: Ordering::new(version),
            syncs: 0,
            done: false,
            failed: None,
            has_gen: false,
            gen: 0,
            table: None,
            batches: Vec::new(),
            frontier: Vec::new(),
            cpu_samples: Vec::new(),
            next_sample: 0,
            gen_end: hdr,
            gens_done: 0,
            valid_bytes: hdr,
            read_gen_err: None,
            spill: None,
            spill_err: None,
            spill_err_sync: false,
            on_generation_done: None,
        })
    }

    /// Registers a function called with [`Reader::valid_bytes`] each time a
    /// generation's last event has been emitted, before the next generation
    /// is read. A caller that owns the bytes can use it to release what was
    /// consumed (e.g. `madvise` on a memory map); the reader itself does no I/O.
    pub fn on_generation_done(&mut self, f: impl FnMut(usize) + 'a) {
        self.on_generation_done = Some(Box::new(f));
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
    pub fn read_event(&mut self) -> Result<Option<Event<'a>>, Error> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.done {
            return Ok(None);
        }
        match self.next_inner() {
            Ok(Some(mut ev)) => {
                if let Err(e) = ev.validate_table_ids() {
                    self.failed = Some(e.clone());
                    return Err(e);
                }
                if ev.base.time <= self.last_ts {
                    ev.base.time = self.last_ts + 1;
                }
                self.last_ts = ev.base.time;
                Ok(Some(ev))
            }
            Ok(None) => Ok(None),
            Err(e) => {
                self.failed = Some(e.clone());
                Err(e)
            }
        }
    }

    fn sync_event(&mut self, table: Option<Arc<EvTable<'a>>>, time: i64) -> Event<'a> {
        self.syncs += 1;
        Event::sync(table, time, self.syncs)
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

    fn next_inner(&mut self) -> Result<Option<Event<'a>>, Error> {
        if let Some(ev) = self.order.next() {
            return Ok(Some(ev));
        }
        let samples_left = self.next_sample < self.cpu_samples.len();
        if self.frontier.is_empty() && !samples_left {
            self.generation_finished();
            if self.version < Version::Go126 {
                return self.next_gen_with_spill();
            }
            if let Some(e) = &self.read_gen_err {
                return Err(e.clone());
            }
            let start = self.cursor.pos();
            return match read_generation(&mut self.cursor, self.version) {
                Err(e) => {
                    self.read_gen_err = Some(e.at(start));
                    self.table = None;
                    Ok(Some(self.sync_event(None, self.last_ts)))
                }
                Ok(GenRead::End) => Ok(Some(self.install_end())),
                Ok(GenRead::Gen(g)) => {
                    let end = self.cursor.pos();
                    self.install_gen(g, end).map(Some)
                }
            };
        }
        let table = self.table.clone().expect("a generation is installed while events remain");
        if samples_left {
            let s = self.cpu_samples[self.next_sample];
            if self.frontier.is_empty() || s.time < self.frontier[0].ev.time {
                self.next_sample += 1;
                let ctx = crate::event::SchedCtx { g: s.g, p: s.p, m: s.m };
                let base = BaseEvent { typ: ev::CPU_SAMPLE, time: s.time, args: [s.stack, 0, 0, 0] };
                return Ok(Some(Event::new(Some(table), ctx, base, b"")));
            }
        }
        if self.frontier.is_empty() {
            return Err(Error::new(format!("broken trace: frontier is empty (gen={})", self.gen)));
        }
        if !self.try_advance(0, &table)? {
            sort_frontier(&mut self.frontier);
            let mut success = false;
            for i in 1..self.frontier.len() {
                if self.try_advance(i, &table)? {
                    success = true;
                    break;
                }
            }
            if !success {
                return Err(Error::new(format!(
                    "broken trace: failed to advance: no thread's next event can happen in generation {} ({})",
                    self.gen,
                    self.describe_frontier()
                )));
            }
        }
        match self.order.next() {
            Some(ev) => Ok(Some(ev)),
            None => Err(Error::new("internal error: advance successful, but queue is empty")),
        }
    }

    fn try_advance(&mut self, i: usize, table: &Arc<EvTable<'a>>) -> Result<bool, Error> {
        let bc = &mut self.frontier[i];
        if !self.order.advance(&mut bc.ev, table, bc.m, self.gen)? {
            return Ok(false);
        }
        let more = bc.next_event(&self.batches[bc.thread], table.freq)?;
        if more {
            heap_update(&mut self.frontier, i);
        } else {
            heap_remove(&mut self.frontier, i);
        }
        Ok(true)
    }

    fn describe_frontier(&self) -> String {
        let mut parts = Vec::new();
        for bc in self.frontier.iter().take(8) {
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

    fn next_gen_with_spill(&mut self) -> Result<Option<Event<'a>>, Error> {
        if let Some(e) = &self.spill_err {
            if self.spill_err_sync {
                return Err(e.clone());
            }
            self.spill_err_sync = true;
            return Ok(Some(self.sync_event(None, self.last_ts)));
        }
        if self.table.is_some() && self.spill.is_none() {
            return Ok(Some(self.install_end()));
        }
        let start = self.cursor.pos();
        match read_generation_with_spill(&mut self.cursor, self.spill.take(), self.version) {
            Err(e) => {
                self.table = None;
                self.spill_err = Some(e.at(start));
                self.spill_err_sync = true;
                Ok(Some(self.sync_event(None, self.last_ts)))
            }
            Ok((g, spill, err, end)) => {
                self.spill = spill;
                self.spill_err = err;
                self.install_gen(g, end).map(Some)
            }
        }
    }

    fn install_end(&mut self) -> Event<'a> {
        self.done = true;
        self.table = None;
        self.sync_event(None, self.last_ts)
    }

    fn install_gen(&mut self, mut g: Box<Generation<'a>>, end: usize) -> Result<Event<'a>, Error> {
        let table = Arc::new(std::mem::take(&mut g.table));
        self.gen = g.gen;
        self.has_gen = true;
        self.gen_end = end;
        self.cpu_samples = std::mem::take(&mut g.cpu_samples);
        self.next_sample = 0;
        self.batches = std::mem::take(&mut g.batches);
        self.frontier.clear();
        for (thread, &m) in g.batch_ms.iter().enumerate() {
            let mut bc = BatchCursor { m, thread, last_ts: 0, idx: 0, data_off: 0, ev: BaseEvent::default() };
            if bc.next_event(&self.batches[thread], table.freq)? {
                heap_insert(&mut self.frontier, bc);
            }
        }
        let time = ticks_to_ns(table.freq, g.min_ts);
        self.table = Some(table.clone());
        Ok(self.sync_event(Some(table), time))
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
