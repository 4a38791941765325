//! Hostile inputs must not make the reader allocate much more than they can back.
//!
//! Every length, count and ID on the wire is a varint the file chooses. A reader
//! that trusts one (a `Vec::with_capacity(nframes)`, a dense table sized by the
//! largest ID, a map per generation number) can be made to ask for gigabytes by
//! a file of a few bytes. These tests count heap bytes with a wrapping global
//! allocator and hand the reader small inputs built by hand, asserting that
//! `Reader::new` plus reading every event stays under a fixed budget and ends in
//! an error or a clean end, never a panic.
//!
//! Layouts follow `src/wire/spec.rs` (event codes and argument order) and the
//! framing of shared/docs/trace-format.md §1.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

use gotrace::wire::spec::ev;

// ---------------------------------------------------------------------------
// The counting allocator.

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

impl Counting {
    #[inline]
    fn grew(n: usize) {
        let now = CURRENT.fetch_add(n, Relaxed) + n;
        PEAK.fetch_max(now, Relaxed);
    }
    #[inline]
    fn shrank(n: usize) {
        CURRENT.fetch_sub(n, Relaxed);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            Self::grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            Self::grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        Self::shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            if new_size > layout.size() {
                Self::grew(new_size - layout.size());
            } else {
                Self::shrank(layout.size() - new_size);
            }
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The counters are process-wide, so measurements take turns.
static MEASURE: Mutex<()> = Mutex::new(());

/// The heap budget for reading one small input.
const BUDGET: usize = 1 << 20;

/// How reading an input ended.
#[derive(Debug)]
enum Outcome {
    /// `Reader::new` refused the input.
    Refused(String),
    /// Every event was read and the stream ended cleanly.
    End { events: usize },
    /// The stream stopped with an error after `events` events.
    Failed { events: usize, msg: String },
}

struct Measured {
    outcome: Outcome,
    /// Peak heap above what was live when reading began, in bytes.
    peak: usize,
}

/// Reads `data` to the end or the first error, formatting every event, and
/// reports how it ended and the peak heap it took. A panic fails the test with
/// the input in the message.
fn measure(data: &[u8]) -> Measured {
    let _turn = MEASURE.lock().unwrap_or_else(|e| e.into_inner());
    let base = CURRENT.load(Relaxed);
    PEAK.store(base, Relaxed);
    let run = catch_unwind(AssertUnwindSafe(|| {
        let mut r = match gotrace::Reader::new(data) {
            Ok(r) => r,
            Err(e) => return Outcome::Refused(e.to_string()),
        };
        let mut sink = io::sink();
        let mut events = 0;
        loop {
            match r.read_event() {
                Ok(Some(e)) => {
                    e.write_parsed(&mut sink).unwrap();
                    events += 1;
                }
                Ok(None) => return Outcome::End { events },
                Err(e) => return Outcome::Failed { events, msg: e.to_string() },
            }
        }
    }));
    let peak = PEAK.load(Relaxed).saturating_sub(base);
    match run {
        Ok(outcome) => Measured { outcome, peak },
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| p.downcast_ref::<&str>().copied())
                .unwrap_or("?");
            panic!("the reader panicked ({msg}) on input {}", hex(data));
        }
    }
}

/// Checks the budget and returns how reading ended.
fn check(name: &str, data: &[u8], max_len: usize) -> Outcome {
    assert!(data.len() < max_len, "{name}: the input is {} bytes, meant to stay under {max_len}", data.len());
    let m = measure(data);
    eprintln!("{name}: {} input bytes, peak heap {} bytes, {:?}", data.len(), m.peak, m.outcome);
    assert!(
        m.peak < BUDGET,
        "{name}: reading {} input bytes took {} heap bytes at peak (budget {BUDGET}); outcome {:?}; input {}",
        data.len(),
        m.peak,
        m.outcome,
        hex(data)
    );
    m.outcome
}

/// `check` for the inputs under 200 bytes.
fn check_small(name: &str, data: &[u8]) -> Outcome {
    check(name, data, 200)
}

fn hex(data: &[u8]) -> String {
    if data.len() > 256 {
        return format!("({} bytes)", data.len());
    }
    data.iter().map(|b| format!("{b:02x}")).collect()
}

fn expect_error(name: &str, o: &Outcome, needle: &str) {
    match o {
        Outcome::Failed { msg, .. } | Outcome::Refused(msg) => {
            assert!(msg.contains(needle), "{name}: wanted an error containing {needle:?}, got {msg:?}")
        }
        Outcome::End { .. } => panic!("{name}: wanted an error containing {needle:?}, the trace ended cleanly"),
    }
}

// ---------------------------------------------------------------------------
// A tiny trace writer.

const GO122: u32 = 22;
const GO126: u32 = 26;
const ALL_VERSIONS: [u32; 4] = [22, 23, 25, 26];
/// "No thread" / "no proc" as the runtime writes them.
const NONE: u64 = u64::MAX;
/// Ticks per second: 1 tick = 1 ns.
const FREQ: u64 = 1_000_000_000;

fn uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Builds a batch payload: raw bytes and varints in order.
#[derive(Default)]
struct Payload(Vec<u8>);

impl Payload {
    fn new(first: u8) -> Self {
        Payload(vec![first])
    }
    fn byte(mut self, b: u8) -> Self {
        self.0.push(b);
        self
    }
    fn uv(mut self, v: u64) -> Self {
        uvarint(&mut self.0, v);
        self
    }
    fn uvs(mut self, vs: &[u64]) -> Self {
        for &v in vs {
            uvarint(&mut self.0, v);
        }
        self
    }
    /// A timed event: type byte, `dt`, then its arguments.
    fn event(self, typ: u8, dt: u64, args: &[u64]) -> Self {
        self.byte(typ).uv(dt).uvs(args)
    }
}

struct Trace {
    minor: u32,
    out: Vec<u8>,
}

impl Trace {
    fn new(minor: u32) -> Self {
        Trace { minor, out: format!("go 1.{minor} trace\0\0\0").into_bytes() }
    }

    fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.out.extend_from_slice(bytes);
        self
    }

    /// A batch header that claims `size` bytes, followed by `data` (which may be shorter).
    fn batch_claiming(&mut self, gen: u64, m: u64, time: u64, size: u64, data: &[u8]) -> &mut Self {
        self.out.push(ev::EVENT_BATCH);
        for v in [gen, m, time, size] {
            uvarint(&mut self.out, v);
        }
        self.raw(data)
    }

    fn batch(&mut self, gen: u64, m: u64, time: u64, data: &Payload) -> &mut Self {
        self.batch_claiming(gen, m, time, data.0.len() as u64, &data.0)
    }

    /// The batch that makes a generation readable: frequency (and, from 1.25, a clock snapshot).
    fn sync(&mut self, gen: u64) -> &mut Self {
        let p = if self.minor >= 25 {
            Payload::new(ev::SYNC).byte(ev::FREQUENCY).uv(FREQ).byte(ev::CLOCK_SNAPSHOT).uvs(&[0, 1, 1, 1])
        } else {
            Payload::new(ev::FREQUENCY).uv(FREQ)
        };
        self.batch(gen, NONE, 1, &p)
    }

    /// Ends a generation (a lone marker byte from Go 1.26; nothing before).
    fn end_gen(&mut self) -> &mut Self {
        if self.minor >= 26 {
            self.out.push(ev::END_OF_GENERATION);
        }
        self
    }

    fn bytes(&self) -> Vec<u8> {
        self.out.clone()
    }
}

/// A string table entry.
fn string(p: Payload, id: u64, s: &[u8]) -> Payload {
    let mut p = p.byte(ev::STRING).uv(id).uv(s.len() as u64);
    p.0.extend_from_slice(s);
    p
}

// ---------------------------------------------------------------------------
// The writer itself, checked on a well-formed trace, so the hostile inputs
// below are known to get past framing into the parts they aim at.

#[test]
fn writer_makes_a_readable_trace() {
    for minor in ALL_VERSIONS {
        let mut t = Trace::new(minor);
        let events = Payload::new(ev::PROC_STATUS)
            .uvs(&[1, 0, 1]) // dt, p, Running
            .event(ev::GO_STATUS, 1, &[1, 1, 2]) // g 1 on m 1, Running
            .event(ev::GO_STOP, 1, &[1, 1]); // reason string 1, stack 1
        t.sync(1).batch(1, 1, 10, &events);
        t.batch(1, NONE, 1, &string(string(Payload::new(ev::STRINGS), 1, b"sleep"), 2, b"main.go"));
        t.batch(1, NONE, 1, &Payload::new(ev::STACKS).byte(ev::STACK).uvs(&[1, 1, 0x401000, 1, 2, 7]));
        t.end_gen();
        let name = format!("go1.{minor} well-formed");
        match check_small(&name, &t.bytes()) {
            Outcome::End { events } => assert_eq!(events, 5, "{name}: Sync, 3 events, Sync"),
            o => panic!("{name}: the hand-written trace does not read: {o:?}"),
        }
    }
}

// ---------------------------------------------------------------------------
// Framing.

#[test]
fn batch_claiming_2_pow_40_bytes() {
    for minor in ALL_VERSIONS {
        let mut t = Trace::new(minor);
        t.batch_claiming(1, 1, 1, 1 << 40, &[0x55; 10]);
        let o = check_small(&format!("go1.{minor} batch size 2^40"), &t.bytes());
        expect_error("batch size 2^40", &o, "invalid batch size");
    }
}

#[test]
fn batch_claiming_64_kib_with_10_bytes() {
    for minor in ALL_VERSIONS {
        // First batch of the file, and a short one after a complete generation.
        let mut t = Trace::new(minor);
        t.batch_claiming(1, 1, 1, 65536, &[0x55; 10]);
        let o = check_small(&format!("go1.{minor} first batch 65536/10"), &t.bytes());
        expect_error("batch 65536/10", &o, "failed to read full batch");

        let mut t = Trace::new(minor);
        t.sync(1).end_gen().batch_claiming(2, 1, 1, 65536, &[0x55; 10]);
        let o = check_small(&format!("go1.{minor} second-generation batch 65536/10"), &t.bytes());
        expect_error("batch 65536/10", &o, "failed to read full batch");
        // The complete generation before it still comes out (its Sync, then the error's).
        assert!(matches!(o, Outcome::Failed { events: 2, .. }), "batch 65536/10 after a generation: {o:?}");
    }
}

// ---------------------------------------------------------------------------
// Stack and string tables.

#[test]
fn stack_claiming_2_pow_60_frames() {
    for minor in ALL_VERSIONS {
        let mut t = Trace::new(minor);
        t.sync(1).batch(1, NONE, 1, &Payload::new(ev::STACKS).byte(ev::STACK).uvs(&[1, 1 << 60])).end_gen();
        let o = check_small(&format!("go1.{minor} stack of 2^60 frames"), &t.bytes());
        expect_error("2^60 frames", &o, "invalid stack size");
    }
}

#[test]
fn stack_claiming_128_frames_without_data() {
    for minor in ALL_VERSIONS {
        let mut t = Trace::new(minor);
        t.sync(1).batch(1, NONE, 1, &Payload::new(ev::STACKS).byte(ev::STACK).uvs(&[1, 128])).end_gen();
        let o = check_small(&format!("go1.{minor} 128 frames, no data"), &t.bytes());
        expect_error("128 frames, no data", &o, "reading frame 1's PC for stack 1");

        // The same with the batch itself claiming the frames' worth of bytes.
        let mut t = Trace::new(minor);
        let p = Payload::new(ev::STACKS).byte(ev::STACK).uvs(&[1, 128]);
        t.sync(1).batch_claiming(1, NONE, 1, 128 * 4, &p.0);
        let o = check_small(&format!("go1.{minor} 128 frames, short batch"), &t.bytes());
        expect_error("128 frames, short batch", &o, "failed to read full batch");
    }
}

#[test]
fn string_claiming_2_pow_40_bytes() {
    for minor in ALL_VERSIONS {
        let mut t = Trace::new(minor);
        let p = Payload::new(ev::STRINGS).byte(ev::STRING).uvs(&[1, 1 << 40]).byte(b'x');
        t.sync(1).batch(1, NONE, 1, &p).end_gen();
        let o = check_small(&format!("go1.{minor} string of 2^40 bytes"), &t.bytes());
        expect_error("string 2^40", &o, "invalid string size");

        // Within the limit but longer than the batch.
        let mut t = Trace::new(minor);
        let p = Payload::new(ev::STRINGS).byte(ev::STRING).uvs(&[1, 1024]).byte(b'x');
        t.sync(1).batch(1, NONE, 1, &p).end_gen();
        let o = check_small(&format!("go1.{minor} string of 1024 bytes, 1 present"), &t.bytes());
        expect_error("string 1024", &o, "failed to read full string");
    }
}

/// Strings and stacks whose IDs sit at the top of the u64 range, used by events,
/// so that a table indexed by ID would have to be astronomically large.
#[test]
fn string_and_stack_ids_near_u64_max() {
    const S1: u64 = u64::MAX;
    const S2: u64 = 1 << 63;
    for minor in ALL_VERSIONS {
        let strings = string(string(Payload::new(ev::STRINGS), S1, b"k"), S2, b"v");
        let running = Payload::new(ev::PROC_STATUS).uvs(&[1, 0, 1]).event(ev::GO_STATUS, 1, &[1, 1, 2]);

        // String IDs: a log record and a stop reason.
        let mut t = Trace::new(minor);
        let events = Payload(running.0.clone())
            .event(ev::USER_LOG, 1, &[0, S1, S2, 0]) // task, key, value, stack
            .event(ev::GO_STOP, 1, &[S2, 0]); // reason, stack
        t.sync(1).batch(1, 1, 10, &events).batch(1, NONE, 1, &strings).end_gen();
        let name = format!("go1.{minor} string IDs near u64::MAX");
        match check_small(&name, &t.bytes()) {
            Outcome::End { events } => assert_eq!(events, 6, "{name}"),
            o => panic!("{name}: wanted a clean read, got {o:?}"),
        }

        // A stack ID (and its PC) at u64::MAX, its frame naming those strings.
        let mut t = Trace::new(minor);
        let stacks = Payload::new(ev::STACKS).byte(ev::STACK).uvs(&[u64::MAX, 1, u64::MAX, S1, S2, 1]);
        let events = Payload(running.0.clone()).event(ev::GO_STOP, 1, &[0, u64::MAX]);
        t.sync(1).batch(1, 1, 10, &events).batch(1, NONE, 1, &strings).batch(1, NONE, 1, &stacks).end_gen();
        let name = format!("go1.{minor} stack ID near u64::MAX");
        match check_small(&name, &t.bytes()) {
            Outcome::End { events } => assert_eq!(events, 5, "{name}"),
            o => panic!("{name}: wanted a clean read, got {o:?}"),
        }

        // The same IDs used without being defined.
        let mut t = Trace::new(minor);
        let events = Payload(running.0.clone()).event(ev::USER_LOG, 1, &[0, S1, S2, u64::MAX - 1]);
        t.sync(1).batch(1, 1, 10, &events).end_gen();
        let o = check_small(&format!("go1.{minor} undefined IDs near u64::MAX"), &t.bytes());
        assert!(matches!(o, Outcome::Failed { .. }), "undefined IDs near u64::MAX: {o:?}");

        // As many distinct huge string IDs as fit.
        let mut t = Trace::new(minor);
        let mut p = Payload::new(ev::STRINGS);
        for i in 0..10 {
            p = string(p, u64::MAX - i * (1 << 50), b"");
        }
        t.sync(1).batch(1, NONE, 1, &p).end_gen();
        let o = check_small(&format!("go1.{minor} 10 strings with huge IDs"), &t.bytes());
        assert!(matches!(o, Outcome::End { .. }), "10 huge string IDs: {o:?}");
    }
}

// ---------------------------------------------------------------------------
// CPU samples.

#[test]
fn cpu_sample_batch() {
    for minor in ALL_VERSIONS {
        // Samples with extreme times, threads, procs, goroutines and stacks.
        let mut t = Trace::new(minor);
        let p = Payload::new(ev::CPU_SAMPLES)
            .byte(ev::CPU_SAMPLE)
            .uvs(&[u64::MAX, 1, 0, 1, 0])
            .byte(ev::CPU_SAMPLE)
            .uvs(&[5, NONE, NONE, 0, 0])
            .byte(ev::CPU_SAMPLE)
            .uvs(&[1 << 63, u64::MAX - 1, u64::MAX - 1, u64::MAX, 0])
            .byte(ev::CPU_SAMPLE)
            .uvs(&[7, 1, 2, 3, u64::MAX]); // unknown stack: an error when emitted
        t.sync(1).batch(1, NONE, 1, &p).end_gen();
        let o = check_small(&format!("go1.{minor} CPU samples, extreme values"), &t.bytes());
        assert!(!matches!(o, Outcome::Refused(_)), "{o:?}");

        // Many small samples.
        let mut t = Trace::new(minor);
        let mut p = Payload::new(ev::CPU_SAMPLES);
        for i in 0..20 {
            p = p.byte(ev::CPU_SAMPLE).uvs(&[i + 2, i, 0, i, 0]);
        }
        t.sync(1).batch(1, NONE, 1, &p).end_gen();
        match check_small(&format!("go1.{minor} 20 CPU samples"), &t.bytes()) {
            Outcome::End { events } => assert_eq!(events, 22),
            o => panic!("20 CPU samples: {o:?}"),
        }

        // A sample record cut short.
        let mut t = Trace::new(minor);
        t.sync(1).batch(1, NONE, 1, &Payload::new(ev::CPU_SAMPLES).byte(ev::CPU_SAMPLE).uvs(&[1, 2])).end_gen();
        let o = check_small(&format!("go1.{minor} truncated CPU sample"), &t.bytes());
        expect_error("truncated CPU sample", &o, "EOF");
    }
}

// ---------------------------------------------------------------------------
// Many threads.

/// Heap bytes per input byte allowed where the input itself carries the records
/// the reader must keep state for (threads, procs). Measured on the inputs below:
/// about 32 per byte for one-event batches from distinct threads and 35 per byte
/// for status events of distinct procs, most of it hash-map doubling.
const PER_INPUT_BYTE: usize = 64;

/// Like `check`, for inputs whose every few bytes name a new thread or proc: the
/// reader legitimately keeps per-thread and per-proc state, so the bound is
/// linear in the input size rather than fixed.
fn check_linear(name: &str, data: &[u8]) -> Outcome {
    let m = measure(data);
    let limit = PER_INPUT_BYTE * data.len();
    eprintln!(
        "{name}: {} input bytes, peak heap {} bytes ({:.1} per input byte), {:?}",
        data.len(),
        m.peak,
        m.peak as f64 / data.len() as f64,
        m.outcome
    );
    assert!(
        m.peak < limit,
        "{name}: reading {} input bytes took {} heap bytes at peak (limit {limit}, {PER_INPUT_BYTE} per input byte); outcome {:?}",
        data.len(),
        m.peak,
        m.outcome
    );
    m.outcome
}

/// Thousands of tiny batches, each from its own thread. The reader keeps state
/// per thread (its batch list, a frontier cursor, its scheduling context), so
/// memory grows with the number of batches, which the input size bounds: a batch
/// here is 6 to 12 bytes.
#[test]
fn thousands_of_tiny_batches_from_distinct_threads() {
    const N: u64 = 4000;
    for minor in [GO122, GO126] {
        // One ProcStatus(p = m, Idle) each: valid on any thread in the first generation.
        let mut t = Trace::new(minor);
        t.sync(1);
        for m in 0..N {
            t.batch(1, m, 2 + m, &Payload::new(ev::PROC_STATUS).uvs(&[1, m, 2]));
        }
        t.end_gen();
        let name = format!("go1.{minor} {N} single-event batches from distinct threads");
        match check_linear(&name, &t.bytes()) {
            Outcome::End { events } => assert_eq!(events as u64, N + 2, "{name}"),
            o => panic!("{name}: wanted a clean read, got {o:?}"),
        }

        // Empty batches: no events, but one thread entry each.
        let mut t = Trace::new(minor);
        t.sync(1);
        for m in 0..N {
            t.batch_claiming(1, m, 1, 0, &[]);
        }
        t.end_gen();
        let name = format!("go1.{minor} {N} empty batches from distinct threads");
        let o = check_linear(&name, &t.bytes());
        assert!(matches!(o, Outcome::End { .. }), "{name}: {o:?}");

        // One thread announcing thousands of distinct procs.
        let mut t = Trace::new(minor);
        let mut p = Payload::new(ev::PROC_STATUS).uvs(&[1, 0, 2]);
        for pid in 1..N {
            p = p.event(ev::PROC_STATUS, 1, &[pid, 2]);
        }
        t.sync(1).batch(1, 1, 2, &p).end_gen();
        let name = format!("go1.{minor} {N} procs from one thread");
        match check_linear(&name, &t.bytes()) {
            Outcome::End { events } => assert_eq!(events as u64, N + 2, "{name}"),
            o => panic!("{name}: wanted a clean read, got {o:?}"),
        }
    }
}

/// The small-input version: as many distinct-thread batches as fit under 200 bytes.
#[test]
fn tiny_batches_from_distinct_threads_small_input() {
    for minor in ALL_VERSIONS {
        let mut t = Trace::new(minor);
        t.sync(1);
        let mut m = 1u64;
        while t.out.len() < 170 {
            t.batch_claiming(1, u64::MAX - m, 1, 0, &[]);
            m += 1;
        }
        t.end_gen();
        let o = check_small(&format!("go1.{minor} empty batches, distinct huge thread IDs"), &t.bytes());
        assert!(matches!(o, Outcome::End { .. }), "{o:?}");
    }
}

// ---------------------------------------------------------------------------
// Generation numbers.

#[test]
fn generation_numbers_near_u64_max() {
    for minor in ALL_VERSIONS {
        // Two complete generations at the very top of the range.
        let mut t = Trace::new(minor);
        t.sync(u64::MAX - 1).end_gen().sync(u64::MAX).end_gen();
        let name = format!("go1.{minor} generations MAX-1, MAX");
        match check_small(&name, &t.bytes()) {
            Outcome::End { events } => assert_eq!(events, 3, "{name}"),
            o => panic!("{name}: {o:?}"),
        }

        // ...followed by a wrap to 0 (never valid) and to 1 (out of order before 1.26).
        for next in [0, 1] {
            let mut t = Trace::new(minor);
            t.sync(u64::MAX).end_gen().sync(next).end_gen();
            let o = check_small(&format!("go1.{minor} generation MAX then {next}"), &t.bytes());
            if next == 0 {
                expect_error("generation 0 after MAX", &o, "invalid generation number 0");
            } else {
                assert!(!matches!(o, Outcome::Refused(_)), "{o:?}");
            }
        }

        // Events whose sequence numbers sit at the top too.
        let mut t = Trace::new(minor);
        let events = Payload::new(ev::PROC_STATUS)
            .uvs(&[1, 5, 2]) // p 5 Idle
            .event(ev::PROC_START, 1, &[5, 1])
            .event(ev::GO_STATUS, 1, &[9, NONE, 1]) // g 9 Runnable
            .event(ev::GO_START, 1, &[9, u64::MAX]);
        t.sync(u64::MAX).batch(u64::MAX, 1, 10, &events).end_gen();
        let o = check_small(&format!("go1.{minor} generation MAX with events"), &t.bytes());
        assert!(!matches!(o, Outcome::Refused(_)), "{o:?}");

        // Every batch of a different huge generation.
        let mut t = Trace::new(minor);
        for i in 0..5 {
            t.sync(u64::MAX - (i << 40));
        }
        let o = check_small(&format!("go1.{minor} interleaved huge generations"), &t.bytes());
        assert!(!matches!(o, Outcome::Refused(_)), "{o:?}");
    }
}

// ---------------------------------------------------------------------------
// Goroutine and proc IDs.

#[test]
fn status_events_for_ids_near_u64_max() {
    for minor in ALL_VERSIONS {
        let mut t = Trace::new(minor);
        let events = Payload::new(ev::PROC_STATUS)
            .uvs(&[1, u64::MAX - 1, 1]) // p MAX-1 Running
            .event(ev::GO_STATUS, 1, &[u64::MAX - 1, 1, 2]) // g MAX-1 Running on m 1
            .event(ev::GO_STATUS, 1, &[1 << 63, NONE, 4]) // g i64::MIN Waiting
            .event(ev::GO_STATUS, 1, &[u64::MAX - 3, NONE, 1]);
        let other = Payload::new(ev::PROC_STATUS)
            .uvs(&[1, u64::MAX - 2, 2]) // p MAX-2 Idle
            .event(ev::PROC_STATUS, 1, &[1 << 63, 4]); // SyscallAbandoned
        t.sync(1).batch(1, u64::MAX - 1, 10, &events).batch(1, 1 << 62, 10, &other).end_gen();
        let o = check_small(&format!("go1.{minor} statuses for IDs near u64::MAX"), &t.bytes());
        assert!(!matches!(o, Outcome::Refused(_)), "{o:?}");

        // IDs equal to the "none" sentinels (-1 as i64).
        let mut t = Trace::new(minor);
        let events = Payload::new(ev::PROC_STATUS)
            .uvs(&[1, u64::MAX, 1])
            .event(ev::GO_STATUS, 1, &[u64::MAX, u64::MAX, 2])
            .event(ev::GO_STATUS, 1, &[u64::MAX, u64::MAX, 3])
            .event(ev::GO_STATUS_STACK, 1, &[u64::MAX, 1, 3, 0]);
        t.sync(1).batch(1, NONE, 10, &events).batch(1, 1, 10, &Payload::new(ev::PROC_STATUS).uvs(&[1, u64::MAX, 3]));
        t.end_gen();
        let o = check_small(&format!("go1.{minor} statuses for sentinel IDs"), &t.bytes());
        assert!(!matches!(o, Outcome::Refused(_)), "{o:?}");

        // The same statuses repeated in a second generation.
        let mut t = Trace::new(minor);
        let events =
            Payload::new(ev::PROC_STATUS).uvs(&[1, u64::MAX - 1, 2]).event(ev::GO_STATUS, 1, &[u64::MAX - 1, NONE, 4]);
        t.sync(1).batch(1, 7, 10, &events).end_gen().sync(2).batch(2, 7, 10, &events).end_gen();
        let name = format!("go1.{minor} statuses near u64::MAX over two generations");
        match check_small(&name, &t.bytes()) {
            Outcome::End { events } => assert_eq!(events, 7, "{name}"),
            o => panic!("{name}: {o:?}"),
        }
    }
}

// ---------------------------------------------------------------------------
// Odds and ends a fuzzer finds first.

#[test]
fn experimental_batches_and_odd_framing() {
    for minor in ALL_VERSIONS {
        let mut t = Trace::new(minor);
        t.sync(1);
        for exp in 1..=12u8 {
            t.raw(&[ev::EXPERIMENTAL_BATCH, exp, 1, 1, 1, 1, 0]);
        }
        t.end_gen();
        let o = check_small(&format!("go1.{minor} experimental batches"), &t.bytes());
        assert!(!matches!(o, Outcome::Refused(_)), "{o:?}");

        for tail in [&[ev::EVENT_BATCH][..], &[ev::EXPERIMENTAL_BATCH], &[0xff; 11], &[ev::END_OF_GENERATION; 8]] {
            let mut t = Trace::new(minor);
            t.sync(1).end_gen().raw(tail);
            let o = check_small(&format!("go1.{minor} tail {}", hex(tail)), &t.bytes());
            assert!(!matches!(o, Outcome::Refused(_)), "{o:?}");
        }

        // Timed events whose varints run past the end of their batch.
        let mut t = Trace::new(minor);
        t.sync(1).batch_claiming(1, 1, 1, 3, &[ev::GO_STATUS, 0x81, 0x81]).end_gen();
        let o = check_small(&format!("go1.{minor} event varint past batch end"), &t.bytes());
        assert!(matches!(o, Outcome::Failed { .. }), "{o:?}");
    }
}
