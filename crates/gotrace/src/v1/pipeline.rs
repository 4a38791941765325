//! The merge on one thread; Go's whole-trace checks and the conversion on a
//! second.
//!
//! Go merges the whole trace, then checks it front to back in its final
//! order, then converts it: three passes, one after the other, before the
//! first event is known. Here the merge hands its events in chunks to a
//! second thread, which checks ([`Checks`]) and converts ([`Conversion`])
//! each as it arrives and keeps the converted events ([`Out`]s) in an
//! [`EventList`]; once the merge ends, both threads read them
//! ([`super::ahead`]). On a machine with two cores the checks and the
//! conversion cost little time of their own.
//!
//! The second thread sees the events in merge order, which is the final order
//! except for the syscall exits the merge sets at their own (earlier,
//! sometimes later) time. An exit only touches its own goroutine's state, and
//! between its goroutine's block and its next event nothing else involves
//! that goroutine, so both orders give the same verdict, flags and new events
//! as long as the goroutine's next event does not come before the exit's own
//! time; the converted exit is then set at its time in the list like the old
//! one would be, and the times are made strictly increasing as they are read,
//! in the final order. That condition is checked here. Where it fails, or a
//! check or the conversion fails, the caller parses the trace again the
//! one-thread way ([`super::parse::parse`]), which gives Go's verdict and
//! message exactly. What the checks cannot know beside the merge is settled
//! before it starts: the stacks the trace defines come from the first pass,
//! and traces with timer goroutines (Go 1.11–1.13) take the one-thread way.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use super::checks::Checks;
use super::ahead::Converted;
use super::convert::{Conversion, Out, Tables};
use super::dense::{DenseMap, StackSet};
use super::events::{flag, EventList, Location, SetFlag};
use super::parse::{MergeSink, Parser, RawEvent};
use super::spec::{ev, fake_p, EventType};
use crate::Error;

/// Events per chunk handed from the merge to the second thread: small enough
/// to stay in cache between the two, large enough that handing one over costs
/// nothing next to its events.
const CHUNK: usize = 8192;

/// Chunks in flight between the threads (bounds the memory of the hand-over).
const IN_FLIGHT: usize = 4;

/// The converted events of a merged trace, in ticks until [`ConvertedList::finish`].
pub(super) struct ConvertedList {
    outs: EventList<Out>,
    /// The tick of the first old event, which times count from.
    first_tick: Option<i64>,
}

impl ConvertedList {
    /// Sorts the moved exits in and builds the table the events refer to.
    pub(super) fn finish<'a>(mut self, ticks_per_sec: i64, tables: Tables<'a>) -> Result<Converted<'a>, Error> {
        self.outs.finish();
        if let Some(first) = self.first_tick {
            self.outs.set_time_base(first, ticks_per_sec);
        }
        Converted::new(self.outs, self.first_tick.is_some(), tables)
    }
}

/// Memory for the converted events, made resident on a thread of its own
/// while the first pass over the file runs (and the second core would
/// idle): the kernel's filling of fresh pages was a sixth of the second
/// thread's time.
pub(super) struct Backed(std::thread::JoinHandle<Vec<u8>>);

impl Backed {
    /// Converted records take about 2.6 bytes per byte of a trace (11.8 per
    /// event); pages past twice the file's size are backed as they are written.
    pub fn start(file_len: usize) -> Self {
        Backed(std::thread::spawn(move || {
            let len = file_len.saturating_mul(2);
            // Written, not `vec![0; len]`: calloc's pages stay unbacked until
            // first written, which is what this is to get out of the way.
            #[allow(clippy::slow_vector_initialization)]
            let mut bytes = Vec::with_capacity(len);
            bytes.resize(len, 0u8);
            std::hint::black_box(&mut bytes);
            bytes.clear();
            bytes
        }))
    }

    /// The backed buffer (empty if its thread failed).
    pub fn take(self) -> Vec<u8> {
        self.0.join().unwrap_or_default()
    }
}

/// A batch of merged events and which of them are moved syscall exits.
struct Chunk {
    events: Vec<RawEvent>,
    /// Indices into `events`, ascending.
    moved: Vec<u32>,
}

impl Chunk {
    fn new() -> Self {
        Chunk { events: Vec::with_capacity(CHUNK), moved: Vec::new() }
    }
}

/// The merge's side of the hand-over. Besides handing the events over it
/// does the per-event work that needs no state of the checks or the
/// conversion, which keeps the two threads' shares close.
struct Handover<'s> {
    chunk: Chunk,
    full: SyncSender<Chunk>,
    empty: Receiver<Chunk>,
    /// The stacks the trace defines (references to others read as none).
    known_stacks: &'s StackSet,
    /// The tick of the first event not moved, which times count from.
    first_tick: Option<i64>,
    /// Goroutines whose syscall exit was moved to this time (ticks), until
    /// their next event, which must not come before it.
    exits: DenseMap<i64>,
    open_exits: usize,
    /// Every moved exit kept its place (see the module).
    in_place: bool,
}

impl<'s> Handover<'s> {
    fn new(full: SyncSender<Chunk>, empty: Receiver<Chunk>, known_stacks: &'s StackSet) -> Self {
        Handover {
            chunk: Chunk::new(),
            full,
            empty,
            known_stacks,
            first_tick: None,
            exits: DenseMap::default(),
            open_exits: 0,
            in_place: true,
        }
    }

    /// Copies `e` whole, then writes what the merge changed into the copy.
    #[inline]
    fn push(&mut self, e: &RawEvent, typ: EventType, ts: i64, moved: bool) {
        if self.open_exits > 0 {
            for g in involved(typ, e) {
                if let Some(exit) = self.exits.remove(g) {
                    self.open_exits -= 1;
                    self.in_place &= ts >= exit;
                }
            }
        }
        if moved {
            self.chunk.moved.push(self.chunk.events.len() as u32);
            if self.exits.insert(e.g, ts).is_none() {
                self.open_exits += 1;
            }
        } else if self.first_tick.is_none() {
            self.first_tick = Some(ts);
        }
        let unknown_stack = e.stk != 0 && !self.known_stacks.contains(e.stk);
        self.chunk.events.push(*e);
        if let Some(last) = self.chunk.events.last_mut() {
            last.typ = typ;
            last.ts = ts;
            if typ == ev::GO_SYSEXIT {
                last.p = fake_p::SYSCALL;
            }
            if unknown_stack {
                last.stk = 0;
            }
        }
        if self.chunk.events.len() == CHUNK {
            self.send();
        }
    }

    fn send(&mut self) {
        // A spent chunk back from the second thread, or a new one as large
        // (not an empty one that would grow by doubling on the merge's path).
        let mut next = self.empty.try_recv().unwrap_or_else(|_| Chunk::new());
        next.events.clear();
        next.moved.clear();
        let full = std::mem::replace(&mut self.chunk, next);
        // The checker only stops early by panicking, which the join reports.
        let _ = self.full.send(full);
    }
}

impl MergeSink for Handover<'_> {
    #[inline]
    fn event(&mut self, e: &RawEvent, typ: EventType) {
        self.push(e, typ, e.ts, false);
    }

    fn moved(&mut self, e: &RawEvent, ts: i64) {
        self.push(e, ev::GO_SYSEXIT, ts, true);
    }
}

/// Merges `p`'s batches while a second thread checks and converts them; the
/// merge's own errors come first, as in Go (it checks only a merged trace).
/// `Ok(None)`: the trace must be parsed again on one thread (see the module).
pub(super) fn merge_and_convert(
    p: &mut Parser<'_>,
    ver: u32,
    backed: Option<Backed>,
) -> Result<Option<ConvertedList>, Error> {
    let capacity = p.event_count;
    let buffer = backed.map(Backed::take).unwrap_or_default();
    let (full_tx, full_rx) = sync_channel::<Chunk>(IN_FLIGHT);
    let (empty_tx, empty_rx) = sync_channel::<Chunk>(IN_FLIGHT + 2);
    let known_stacks = std::mem::take(&mut p.known_stacks);
    std::thread::scope(|s| {
        let second = s.spawn(|| check_and_convert(full_rx, empty_tx, buffer, capacity, ver));
        let mut out = Handover::new(full_tx, empty_rx, &known_stacks);
        let merged = p.merge_batches(&mut out);
        if merged.is_ok() {
            out.send();
        }
        let (first_tick, in_place) = (out.first_tick, out.in_place);
        // Hanging up ends the second thread's loop.
        drop(out);
        let converted = match second.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        merged.map(|()| converted.filter(|_| in_place).map(|outs| ConvertedList { outs, first_tick }))
    })
}

/// The second thread's flags: only a syscall's (the others change the event
/// itself before it is converted).
struct SyscallFlags<'x>(&'x mut EventList<Out>);

impl SetFlag for SyscallFlags<'_> {
    fn set_flag(&mut self, at: Location, bit: u8) {
        if bit == flag::SYSCALL_BLOCKED {
            self.0.set_flag(at, bit);
        }
    }
}

/// The second thread: checks and converts each event in merge order;
/// `None` when the one-thread way must decide.
fn check_and_convert(
    chunks: Receiver<Chunk>,
    spent: SyncSender<Chunk>,
    buffer: Vec<u8>,
    capacity: usize,
    ver: u32,
) -> Option<EventList<Out>> {
    let mut outs = EventList::<Out>::with_buffer(buffer, capacity, false);
    let mut checks = Checks::new(ver);
    let mut conversion = Conversion::new(ver);
    let mut clean = true;
    for chunk in chunks {
        if !clean {
            continue;
        }
        let mut moved = chunk.moved.iter().peekable();
        for (i, e) in chunk.events.iter().enumerate() {
            let is_moved = moved.next_if(|&&m| m as usize == i).is_some();
            let mut e = *e;
            // A syscall's converted event is the next one written.
            let at = outs.next_location();
            clean &= checks.step(&mut e, at, &mut SyscallFlags(&mut outs)).is_ok();
            clean &= conversion
                .convert(&e, &mut |o| {
                    if is_moved {
                        outs.push_moved(&o);
                    } else {
                        outs.push(&o);
                    }
                })
                .is_ok();
            if !clean {
                break;
            }
        }
        let _ = spent.try_send(chunk);
    }
    clean.then_some(outs)
}

/// The goroutines an event involves: the one it is about and the one it
/// creates, wakes or lets out of a syscall (the same one twice is harmless).
#[inline]
fn involved(typ: EventType, e: &RawEvent) -> [u64; 2] {
    match typ {
        ev::GO_CREATE | ev::GO_UNBLOCK | ev::GO_SYSEXIT => [e.g, e.args[0]],
        _ => [e.g, e.g],
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::super::convert::Converter;
    use super::super::parse::{parse, parse_to_read, Parsed};
    use crate::wire::read_header;

    /// Every event of a parse, as text, then the error that ended it.
    fn events_of(mut next: impl FnMut() -> Result<Option<crate::Event<'static>>, crate::Error>) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            match next() {
                Ok(Some(e)) => out.push(format!("{e:?}")),
                Ok(None) => return out,
                Err(e) => {
                    out.push(format!("error: {}", e.message()));
                    return out;
                }
            }
        }
    }

    fn old_traces(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                old_traces(&path, out);
            } else if let Ok(data) = std::fs::read(&path) {
                if read_header(&data).is_ok_and(|(v, _)| v.is_old_format() && v.minor() >= 11) {
                    out.push(path);
                }
            }
        }
    }

    /// A moved syscall exit must come no later than its goroutine's next
    /// event, in merge order; one that does not sends the trace the
    /// one-thread way (no real trace does this, so the fixtures cannot show it).
    #[test]
    fn a_moved_exit_after_its_goroutines_next_event_is_noticed() {
        use super::super::dense::StackSet;
        use super::super::parse::{MergeSink, RawEvent};
        use super::super::spec::ev;
        use super::Handover;
        let stacks = StackSet::default();
        let run = |next_ts: i64, next_g: u64| {
            let (full, _full_rx) = std::sync::mpsc::sync_channel(64);
            let (_empty_tx, empty) = std::sync::mpsc::sync_channel(1);
            let mut h = Handover::new(full, empty, &stacks);
            let start = RawEvent { ts: 10, g: 7, typ: ev::GO_START, ..Default::default() };
            h.event(&start, ev::GO_START);
            // Merged at 60, it exited at 50.
            let exit = RawEvent { ts: 60, g: 7, typ: ev::GO_SYSEXIT, ..Default::default() };
            h.moved(&exit, 50);
            let next = RawEvent { ts: next_ts, g: next_g, typ: ev::GO_START, ..Default::default() };
            h.event(&next, ev::GO_START);
            assert_eq!(h.first_tick, Some(10));
            assert_eq!(h.chunk.moved, [1]);
            h.in_place
        };
        assert!(run(70, 7));
        assert!(run(50, 7), "the same time keeps the place");
        assert!(!run(45, 7), "goroutine 7 ran before its exit");
        assert!(run(45, 8), "another goroutine's event");
    }

    /// The two-thread reader gives the one-thread reader's events and errors,
    /// event for event, on every old-format trace here (the generator's
    /// fixtures, and the shared corpus with its broken and unusual traces),
    /// and takes the two-thread way on the generator's traces.
    #[test]
    fn two_threads_read_what_one_thread_reads() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut traces = Vec::new();
        old_traces(&root.join("testdata/fixtures"), &mut traces);
        let fixtures = traces.len();
        old_traces(&root.join("../shared/testdata/go-corpus"), &mut traces);
        assert!(fixtures >= 20, "only {fixtures} old-format fixtures");
        let mut two_threads = 0;
        let mut fixtures_two_threads = 0;
        for (i, path) in traces.iter().enumerate() {
            let data: &'static [u8] = Box::leak(std::fs::read(path).unwrap().into_boxed_slice());
            let (version, start) = read_header(data).unwrap();
            let ver = version.minor();
            let one = match parse(data, start, ver, false) {
                Ok(trace) => match Converter::new(trace, ver) {
                    Ok(mut c) => events_of(|| c.next()),
                    Err(e) => vec![format!("error: {}", e.message())],
                },
                Err(e) => vec![format!("error: {}", e.message())],
            };
            let two = match parse_to_read(data, start, ver) {
                Ok(Parsed::Converted(mut c)) => {
                    two_threads += 1;
                    fixtures_two_threads += usize::from(i < fixtures);
                    events_of(|| c.next())
                }
                Ok(Parsed::Events(trace)) => match Converter::new(trace, ver) {
                    Ok(mut c) => events_of(|| c.next()),
                    Err(e) => vec![format!("error: {}", e.message())],
                },
                Err(e) => vec![format!("error: {}", e.message())],
            };
            if one != two {
                let at = one.iter().zip(&two).position(|(a, b)| a != b).unwrap_or(one.len().min(two.len()));
                panic!(
                    "{}: event {at} differs: one thread {:?}, two threads {:?}",
                    path.display(),
                    one.get(at),
                    two.get(at)
                );
            }
        }
        // Fixtures that Go refuses (or that hold nothing to merge) may not.
        assert!(fixtures_two_threads + 2 >= fixtures, "two threads on {fixtures_two_threads} of {fixtures} fixtures");
        if traces.len() > fixtures {
            // The corpus: more traces read on two threads, and one whose
            // checks fail beside the merge, read again on one thread.
            assert!(two_threads > fixtures_two_threads);
            assert!(super::super::parse::FALLBACKS.load(std::sync::atomic::Ordering::Relaxed) > 0);
        }
    }
}
