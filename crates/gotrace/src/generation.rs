//! Reading one generation: classify its batches and build its tables.
//!
//! A generation is the unit of streaming. Its batches are borrowed from the
//! input; only the tables and the per-thread batch lists are allocated, so
//! memory follows the largest generation, not the file.

use std::collections::hash_map::Entry;

use crate::table::{
    ticks_to_ns, DataTable, EvTable, ExperimentalBatch, IdBits, IdMap, RawClockSnapshot, RawFrame, StackRef,
};
use crate::wire::spec::{ev, MAX_FRAMES_PER_STACK, MAX_STRING_SIZE};
use crate::wire::{read_batch, Batch, BatchRead, ByteCursor, Version};
use crate::Error;

/// A CPU profile sample, before it is merged into the event stream.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CpuSample {
    pub m: i64,
    pub p: i64,
    pub g: i64,
    /// Nanoseconds after conversion (ticks while being read).
    pub time: i64,
    pub stack: u64,
}

/// One generation's batches and tables.
pub(crate) struct Generation<'a> {
    pub gen: u64,
    /// Per-thread batch lists, in the order threads first appear in the file.
    pub batches: Vec<Vec<Batch<'a>>>,
    /// Thread ID of each entry of `batches`.
    pub batch_ms: Vec<i64>,
    pub cpu_samples: Vec<CpuSample>,
    pub min_ts: u64,
    pub table: EvTable<'a>,
    thread_index: IdMap<i64, usize>,
    has_freq: bool,
}

impl<'a> Generation<'a> {
    fn new() -> Self {
        Generation {
            gen: 0,
            batches: Vec::new(),
            batch_ms: Vec::new(),
            cpu_samples: Vec::new(),
            min_ts: 0,
            table: EvTable::default(),
            thread_index: IdMap::default(),
            has_freq: false,
        }
    }

    fn has_batches(&self) -> bool {
        // Go checks its per-thread map, which only holds ordinary event batches.
        !self.batch_ms.is_empty()
    }

    fn note_time(&mut self, t: u64) {
        if self.min_ts == 0 || t < self.min_ts {
            self.min_ts = t;
        }
    }

    fn process_batch(&mut self, b: Batch<'a>, ver: Version) -> Result<(), Error> {
        if b.is_strings() {
            add_strings(&mut self.table.strings, b)
        } else if b.is_stacks() {
            add_stacks(&mut self.table, b)
        } else if b.is_cpu_samples() {
            add_cpu_samples(&mut self.cpu_samples, b)
        } else if b.is_sync(ver) {
            self.set_sync(b, ver)
        } else if b.exp != 0 {
            match self.table.exp_batches.iter_mut().find(|(e, _)| *e == b.exp) {
                Some((_, v)) => v.push(ExperimentalBatch { thread: b.m, data: b.data }),
                None => self.table.exp_batches.push((b.exp, vec![ExperimentalBatch { thread: b.m, data: b.data }])),
            }
            Ok(())
        } else if b.is_end_of_generation() {
            Err(Error::new("internal error: unexpectedly processing EndOfGeneration; broken trace?"))
        } else {
            match self.thread_index.entry(b.m) {
                Entry::Occupied(e) => self.batches[*e.get()].push(b),
                Entry::Vacant(e) => {
                    e.insert(self.batches.len());
                    self.batch_ms.push(b.m);
                    self.batches.push(vec![b]);
                }
            }
            Ok(())
        }
    }

    fn set_sync(&mut self, b: Batch<'a>, ver: Version) -> Result<(), Error> {
        let mut r = ByteCursor::new(b.data, 0);
        if ver >= Version::Go125 {
            if r.byte() != Some(ev::SYNC) {
                return Err(Error::new("missing sync batch header"));
            }
        }
        let mut last_ts = b.time;
        while r.remaining() != 0 {
            let et = r.byte().unwrap_or(0);
            if et == ev::FREQUENCY {
                if self.has_freq {
                    return Err(Error::new("found multiple frequency events"));
                }
                let f = r.uvarint().map_err(Error::varint)?;
                self.table.freq = 1.0 / (f as f64 / 1e9);
                // Go tests `freq != 0` on the converted value, which is never 0 for finite f.
                self.has_freq = self.table.freq != 0.0;
            } else if et == ev::CLOCK_SNAPSHOT && ver >= Version::Go125 {
                if self.table.clock.is_some() {
                    return Err(Error::new("found multiple clock snapshot events"));
                }
                let tdiff = r.uvarint().map_err(Error::varint)?;
                last_ts = last_ts.wrapping_add(tdiff);
                let mono = r.uvarint().map_err(Error::varint)?;
                let sec = r.uvarint().map_err(Error::varint)?;
                let nsec = r.uvarint().map_err(Error::varint)?;
                self.table.clock = Some(RawClockSnapshot { ticks: last_ts, mono, sec, nsec });
            } else {
                return Err(Error::new(format!("expected frequency or clock snapshot event, got {et}")));
            }
        }
        Ok(())
    }

    /// Checks and finishes the tables once every batch is in.
    fn finish(&mut self, ver: Version) -> Result<(), Error> {
        if !self.has_freq {
            return Err(Error::new("no frequency event found"));
        }
        if ver >= Version::Go125 && self.table.clock.is_none() {
            return Err(Error::new("no clock snapshot event found"));
        }
        self.table.stacks.compactify();
        self.table.strings.compactify();
        self.table.stack_bits = IdBits::of(&self.table.stacks);
        self.table.string_bits = IdBits::of(&self.table.strings);
        validate_stack_strings(&self.table)?;
        let f = self.table.freq;
        for s in &mut self.cpu_samples {
            s.time = ticks_to_ns(f, s.time as u64);
        }
        self.cpu_samples.sort_by_key(|s| s.time);
        Ok(())
    }
}

/// What the file holds after the last complete generation.
pub(crate) enum GenRead<'a> {
    /// A generation (for pre-1.26 traces, possibly followed by an error to report after it).
    Gen(Box<Generation<'a>>),
    /// The file ended cleanly.
    End,
}

/// Reads a Go 1.26+ generation, which ends with an explicit marker.
pub(crate) fn read_generation<'a>(
    c: &mut ByteCursor<'a>,
    ver: Version,
    hint: &mut ReleaseHint<'_, 'a>,
) -> Result<GenRead<'a>, Error> {
    let mut g = Generation::new();
    loop {
        hint.progress(c.pos());
        let (b, gen) = match read_batch(c)? {
            BatchRead::Eof => {
                if g.has_batches() {
                    return Err(Error::truncated("incomplete generation found; trace likely truncated"));
                }
                return Ok(GenRead::End);
            }
            BatchRead::Batch(b, gen) => (b, gen),
        };
        if g.gen == 0 {
            g.gen = gen;
        }
        if b.is_end_of_generation() {
            break;
        }
        if gen == 0 {
            return Err(Error::new(format!("invalid generation number {gen}")));
        }
        if gen != g.gen {
            return Err(Error::new(
                "broken trace: missing end-of-generation event, or generations are interleaved",
            ));
        }
        g.note_time(b.time);
        g.process_batch(b, ver)?;
    }
    g.finish(ver)?;
    Ok(GenRead::Gen(Box::new(g)))
}

/// Tells the owner of the bytes, every megabyte or so of a generation read,
/// that the reader need not keep what lies before the cursor resident.
pub(crate) struct ReleaseHint<'h, 'a> {
    pub f: Option<&'h mut (dyn FnMut(usize) + 'a)>,
    pub last: usize,
}

impl ReleaseHint<'_, '_> {
    /// Bytes read between two hints.
    const STEP: usize = 1 << 20;

    #[inline]
    pub fn progress(&mut self, pos: usize) {
        if pos >= self.last + Self::STEP {
            self.last = pos;
            if let Some(f) = self.f.as_mut() {
                f(pos);
            }
        }
    }
}

/// A batch of the next generation, read while looking for the end of this one.
pub(crate) struct Spill<'a> {
    pub gen: u64,
    pub batch: Batch<'a>,
}

/// Reads a pre-1.26 generation, which ends where a batch of the next one begins.
///
/// Returns the generation, the spilled first batch of the next one, and an
/// error met after at least one batch was read (reported after the generation).
#[allow(clippy::type_complexity)]
pub(crate) fn read_generation_with_spill<'a>(
    c: &mut ByteCursor<'a>,
    spill: Option<Spill<'a>>,
    ver: Version,
    hint: &mut ReleaseHint<'_, 'a>,
) -> Result<(Box<Generation<'a>>, Option<Spill<'a>>, Option<Error>, usize), Error> {
    let mut g = Generation::new();
    if let Some(s) = spill {
        g.gen = s.gen;
        g.min_ts = s.batch.time;
        g.process_batch(s.batch, ver)?;
    }
    let mut next_spill = None;
    let mut spill_err = None;
    let mut end;
    loop {
        end = c.pos();
        hint.progress(end);
        let (b, gen) = match read_batch(c) {
            Ok(BatchRead::Eof) => break,
            Ok(BatchRead::Batch(b, gen)) => (b, gen),
            Err(e) => {
                if g.gen != 0 {
                    spill_err = Some(e.at(end));
                    break;
                }
                return Err(e);
            }
        };
        if gen == 0 {
            return Err(Error::new(format!("invalid generation number {gen}")));
        }
        if g.gen == 0 {
            g.gen = gen;
        }
        if gen == g.gen.wrapping_add(1) {
            next_spill = Some(Spill { gen, batch: b });
            break;
        }
        if gen != g.gen {
            return Err(Error::new("generations out of order"));
        }
        g.note_time(b.time);
        g.process_batch(b, ver)?;
    }
    if next_spill.is_none() && spill_err.is_none() {
        end = c.pos();
    }
    g.finish(ver)?;
    Ok((Box::new(g), next_spill, spill_err, end))
}

fn add_strings<'a>(table: &mut DataTable<&'a [u8]>, b: Batch<'a>) -> Result<(), Error> {
    let mut r = ByteCursor::new(b.data, 1);
    while r.remaining() != 0 {
        let e = r.byte().unwrap_or(0);
        if e != ev::STRING {
            return Err(Error::new(format!("expected string event, got {e}")));
        }
        let id = r.uvarint().map_err(Error::varint)?;
        let len = r.uvarint().map_err(Error::varint)?;
        if len > MAX_STRING_SIZE {
            return Err(Error::new(format!("invalid string size {len}, maximum is {MAX_STRING_SIZE}")));
        }
        let s = r.take_up_to(len);
        if s.len() as u64 != len {
            return Err(Error::new(format!("failed to read full string: read {} but wanted {len}", s.len())));
        }
        if table.insert(id, s).is_err() {
            let existing = table.get(id).copied().unwrap_or(b"");
            return Err(Error::new(format!(
                "multiple strings with the same ID: id={id}, new={}, existing={}",
                String::from_utf8_lossy(s),
                String::from_utf8_lossy(existing)
            )));
        }
    }
    Ok(())
}

fn add_stacks(t: &mut EvTable<'_>, b: Batch<'_>) -> Result<(), Error> {
    let mut r = ByteCursor::new(b.data, 1);
    while r.remaining() != 0 {
        let e = r.byte().unwrap_or(0);
        if e != ev::STACK {
            return Err(Error::new(format!("expected stack event, got {e}")));
        }
        let id = r.uvarint().map_err(Error::varint)?;
        let nframes = r.uvarint().map_err(Error::varint)?;
        if nframes > MAX_FRAMES_PER_STACK {
            return Err(Error::new(format!(
                "invalid stack size {nframes}, maximum is {MAX_FRAMES_PER_STACK}"
            )));
        }
        let start = t.stack_pcs.len();
        for i in 0..nframes {
            let field = |r: &mut ByteCursor<'_>, what: &str| {
                r.uvarint().map_err(|e| {
                    Error::new(format!("reading frame {}'s {what} for stack {id}: {e}", i + 1))
                })
            };
            let pc = field(&mut r, "PC")?;
            let func = field(&mut r, "funcID")?;
            let file = field(&mut r, "fileID")?;
            let line = field(&mut r, "line")?;
            t.stack_pcs.push(pc);
            t.pcs.entry(pc).or_insert(RawFrame { pc, func, file, line });
        }
        let sr = StackRef { start: start as u32, len: nframes as u32 };
        if t.stacks.insert(id, sr).is_err() {
            t.stack_pcs.truncate(start);
            return Err(Error::new(format!("multiple stacks with the same ID: id={id}")));
        }
    }
    Ok(())
}

fn add_cpu_samples(samples: &mut Vec<CpuSample>, b: Batch<'_>) -> Result<(), Error> {
    let mut r = ByteCursor::new(b.data, 1);
    while r.remaining() != 0 {
        let e = r.byte().unwrap_or(0);
        if e != ev::CPU_SAMPLE {
            return Err(Error::new(format!("expected CPU sample event, got {e}")));
        }
        let ts = r.uvarint().map_err(Error::varint)?;
        let m = r.uvarint().map_err(Error::varint)?;
        let p = r.uvarint().map_err(Error::varint)?;
        let g = r.uvarint().map_err(Error::varint)?;
        let stack = r.uvarint().map_err(Error::varint)?;
        samples.push(CpuSample {
            m: m as i64,
            p: p as i64,
            g: if g == 0 { -1 } else { g as i64 },
            time: ts as i64,
            stack,
        });
    }
    Ok(())
}

fn validate_stack_strings(t: &EvTable<'_>) -> Result<(), Error> {
    let mut err = None;
    t.stacks.for_each(|id, sr| {
        for &pc in &t.stack_pcs[sr.start as usize..(sr.start + sr.len) as usize] {
            let Some(f) = t.pcs.get(&pc) else {
                err = Some(Error::new(format!("found unknown pc {pc:x} for stack {id}")));
                return false;
            };
            if t.string(f.func).is_none() {
                err = Some(Error::new(format!("found invalid func string ID {} for stack {id}", f.func)));
                return false;
            }
            if t.string(f.file).is_none() {
                err = Some(Error::new(format!("found invalid file string ID {} for stack {id}", f.file)));
                return false;
            }
        }
        true
    });
    match err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
