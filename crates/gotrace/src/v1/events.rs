//! The merged events of an old-format trace, held compactly between the merge
//! and the conversion.
//!
//! The old format must be merged and checked whole before its first event is
//! handed out, so every event is held at once. As 64-byte [`RawEvent`]s that
//! is 14× a trace's size, and the kernel's clearing of those fresh pages alone
//! cost a quarter of the reader's time. Here each event is a record of a type
//! byte, a flags byte and varints (about 10 bytes), written once by the merge
//! and read front to back twice: by the whole-trace checks and by the
//! conversion.
//!
//! Two things the merge decides are not in the record stream:
//! - Syscall exits placed at their real exit time (earlier, sometimes later,
//!   than where they were merged) wait in a side list, sorted by time; a
//!   [`Cursor`] interleaves them with the stream exactly as a stable sort of
//!   the whole merge by time would (the stream itself is sorted, or the merge
//!   failed with "time stamps out of order").
//! - What the checks learn about an event after the fact (its syscall
//!   blocked, it is a network unblock, its stack is unknown) is written into
//!   the record's flags byte in place, found by its [`Location`].
//!
//! Times stay in ticks in the stream; [`EventList::next`] converts them to
//! nanoseconds from the first event and applies the fake Ps of Go's
//! post-processing, so readers see the events as Go's parser leaves them.

use super::parse::RawEvent;
use super::spec::{ev, fake_p};
use crate::table::{go_f64_to_i64, IdMap};

/// Facts about an event that the checks learn after the merge wrote it.
pub(crate) mod flag {
    /// A `GoSysCall` whose goroutine's next event is a `GoSysBlock`.
    pub const SYSCALL_BLOCKED: u8 = 1;
    /// An unblock of a goroutine that waited on the network (fake P NETPOLL).
    pub const NETPOLL: u8 = 2;
    /// A GC start (fake P GC).
    pub const GC: u8 = 4;
    /// A stack ID the trace never defines (read as no stack).
    pub const NO_STACK: u8 = 8;
}

/// Where an event is held, for [`EventList::set_flag`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Location {
    /// The byte offset of its flags in the stream.
    Stream(usize),
    /// Its index in the side list.
    Moved(usize),
}

/// Whatever can set an event's flags once it is written (the list itself, or
/// the converted list of the parallel reader, which keeps only the syscall's).
pub(crate) trait SetFlag {
    fn set_flag(&mut self, at: Location, bit: u8);
}

/// A record an [`EventList`] holds: the merged old events ([`RawEvent`]), or
/// the converted ones of the parallel reader (`convert::Out`). Each starts
/// with [`put_head`].
pub(crate) trait Record: Copy + Default {
    /// Bytes to reserve per record: address space is only backed where
    /// written, and a list that outgrows it is copied whole.
    const RESERVE: usize;
    /// Whether a list of these keeps marks ([`EventList::cursor_at_mark`]):
    /// only the lists read from several places at once pay for them.
    const MARKED: bool;
    /// The time the final order sorts by.
    fn ts(&self) -> i64;
    /// Appends the record, beginning with [`put_head`] (the list finds the
    /// flags and the time there). `full` keeps the optional fields (the
    /// input offsets).
    fn encode(&self, prev_ts: i64, full: bool, out: &mut Vec<u8>);
    /// Reads what `encode` wrote at `pos` and moves past it.
    fn decode(bytes: &[u8], pos: &mut usize, prev_ts: i64, full: bool) -> Self;
}

/// An event the merge moved to its real time, with the number of stream
/// records merged before it (which decides ties) and its flags.
#[derive(Debug, Clone, Copy)]
struct Moved<R> {
    event: R,
    stream_before: usize,
    flags: u8,
}

/// Stream records between two [`EventList`] marks: where a reader can start
/// without reading what comes before (see [`EventList::cursor_at_mark`]).
#[cfg(not(test))]
pub(crate) const MARK_EVERY: usize = 4096;
/// In the unit tests, an odd small number, so that the fixtures cut into
/// many chunks, moved events fall at their edges, and both threads read.
#[cfg(test)]
pub(crate) const MARK_EVERY: usize = 61;

/// The merged events, in their final order once [`EventList::finish`]ed.
pub(crate) struct EventList<R: Record = RawEvent> {
    bytes: Vec<u8>,
    stream_len: usize,
    /// Where stream record `k * MARK_EVERY` starts and the time before it
    /// (for records that are [`Record::MARKED`]).
    marks: Vec<(usize, i64)>,
    moved: Vec<Moved<R>>,
    last_ts: i64,
    with_offsets: bool,
    /// Tick of the first event and nanoseconds per tick; `None` when the
    /// times are nanoseconds already.
    time_base: Option<(i64, f64)>,
    /// The timer goroutines of traces before Go 1.14, whose unblocks get fake P TIMER.
    timer_goids: IdMap<u64, ()>,
}

impl<R: Record> Default for EventList<R> {
    fn default() -> Self {
        EventList {
            bytes: Vec::new(),
            stream_len: 0,
            marks: Vec::new(),
            moved: Vec::new(),
            last_ts: 0,
            with_offsets: false,
            time_base: None,
            timer_goids: IdMap::default(),
        }
    }
}

/// A position in an [`EventList`]'s final order.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Cursor {
    /// Where the next stream record starts.
    pos: usize,
    /// Stream records read so far.
    read: usize,
    /// Time of the last stream record read (the next one's is a delta).
    prev_ts: i64,
    next_moved: usize,
}

#[inline]
pub(crate) fn put(bytes: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        bytes.push(v as u8 | 0x80);
        v >>= 7;
    }
    bytes.push(v as u8);
}

/// A varint this module wrote (so well formed).
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
pub(crate) fn get(bytes: &[u8], pos: &mut usize) -> u64 {
    let b = bytes[*pos];
    *pos += 1;
    if b < 0x80 {
        return u64::from(b);
    }
    let mut x = u64::from(b & 0x7f);
    let mut shift = 7;
    loop {
        let b = bytes[*pos];
        *pos += 1;
        x |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return x;
        }
        shift += 7;
    }
}

#[inline]
pub(crate) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

#[inline]
pub(crate) fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Writes a time as its difference from the previous one.
#[inline]
pub(crate) fn put_delta(bytes: &mut Vec<u8>, ts: i64, prev_ts: i64) {
    put(bytes, zigzag(ts.wrapping_sub(prev_ts)));
}

/// Writes a record's first bytes: its type, the byte whose high four bits
/// say which arguments are non-zero (the low four are the flags, zero here),
/// and its time as [`put_delta`]; returns that mask for [`put_args`].
#[inline]
pub(crate) fn put_head(b: &mut Vec<u8>, typ: u8, args: &[u64; 4], ts: i64, prev_ts: i64) -> u8 {
    let mask = (0..4).fold(0u8, |m, i| m | (u8::from(args[i] != 0) << i));
    b.push(typ);
    b.push(mask << 4);
    put_delta(b, ts, prev_ts);
    mask
}

/// Reads what [`put_head`] wrote: the type, the argument mask and the time.
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
pub(crate) fn get_head(b: &[u8], pos: &mut usize, prev_ts: i64) -> (u8, u8, i64) {
    let (typ, mask) = (b[*pos], b[*pos + 1] >> 4);
    *pos += 2;
    (typ, mask, get_delta(b, pos, prev_ts))
}

/// Writes the arguments `mask` names (the non-zero ones).
#[inline]
pub(crate) fn put_args(b: &mut Vec<u8>, args: &[u64; 4], mask: u8) {
    for (i, &a) in args.iter().enumerate() {
        if mask & (1 << i) != 0 {
            put(b, a);
        }
    }
}

/// Reads what [`put_args`] wrote.
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
pub(crate) fn get_args(b: &[u8], pos: &mut usize, mask: u8) -> [u64; 4] {
    let mut args = [0; 4];
    for (i, a) in args.iter_mut().enumerate() {
        if mask & (1 << i) != 0 {
            *a = get(b, pos);
        }
    }
    args
}

/// Reads a time [`put_delta`] wrote.
#[inline]
pub(crate) fn get_delta(bytes: &[u8], pos: &mut usize, prev_ts: i64) -> i64 {
    prev_ts.wrapping_add(unzigzag(get(bytes, pos)))
}

impl Record for RawEvent {
    const RESERVE: usize = 12;
    const MARKED: bool = false;

    fn ts(&self) -> i64 {
        self.ts
    }

    #[inline]
    fn encode(&self, prev_ts: i64, full: bool, b: &mut Vec<u8>) {
        let mask = put_head(b, self.typ, &self.args, self.ts, prev_ts);
        put(b, zigzag(i64::from(self.p)));
        put(b, self.g);
        put(b, u64::from(self.stk));
        if full {
            put(b, u64::from(self.off));
        }
        put_args(b, &self.args, mask);
    }

    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn decode(b: &[u8], pos: &mut usize, prev_ts: i64, full: bool) -> Self {
        let (typ, mask, ts) = get_head(b, pos, prev_ts);
        let p = unzigzag(get(b, pos)) as i32;
        let g = get(b, pos);
        let stk = get(b, pos) as u32;
        let off = if full { get(b, pos) as u32 } else { 0 };
        let args = get_args(b, pos, mask);
        RawEvent { ts, g, args, stk, p, off, typ, syscall_blocked: false }
    }
}

impl<R: Record> EventList<R> {
    /// An empty list for about `events` events; `with_offsets` keeps each
    /// event's input offset (only Go 1.21's `-d` lines print it).
    pub fn new(events: usize, with_offsets: bool) -> Self {
        // Reserved address space is only backed where written.
        EventList { bytes: Vec::with_capacity(events.saturating_mul(R::RESERVE)), with_offsets, ..EventList::default() }
    }

    /// [`EventList::new`] in `bytes`'s memory (already backed, say).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub fn with_buffer(mut bytes: Vec<u8>, events: usize, with_offsets: bool) -> Self {
        bytes.clear();
        bytes.reserve(events.saturating_mul(R::RESERVE));
        EventList { bytes, with_offsets, ..EventList::default() }
    }

    /// Appends an event in merge order; returns where its flags are.
    #[inline]
    pub fn push(&mut self, e: &R) -> Location {
        if R::MARKED && self.stream_len % MARK_EVERY == 0 {
            self.marks.push((self.bytes.len(), self.last_ts));
        }
        let at = Location::Stream(self.bytes.len() + 1);
        e.encode(self.last_ts, self.with_offsets, &mut self.bytes);
        self.last_ts = e.ts();
        self.stream_len += 1;
        at
    }

    /// Where the next [`EventList::push`] puts its flags.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub fn next_location(&self) -> Location {
        Location::Stream(self.bytes.len() + 1)
    }

    /// Sets an event aside at its own time `e.ts`, placed when read as a
    /// stable sort of the whole merge by time would place it.
    /// Returns where its flags are until [`EventList::finish`] sorts the moved events.
    pub fn push_moved(&mut self, e: &R) -> Location {
        self.moved.push(Moved { event: *e, stream_before: self.stream_len, flags: 0 });
        Location::Moved(self.moved.len() - 1)
    }

    /// Ends the merge: sorts the moved events.
    pub fn finish(&mut self) {
        self.moved.sort_by_key(|m| m.event.ts());
    }

    /// Time of the first record in final order (once finished).
    pub fn first_ts(&self) -> Option<i64> {
        self.next_raw(&mut Cursor::default()).map(|(e, _)| e.ts())
    }

    /// Counts times in nanoseconds from `first_tick`.
    pub fn set_time_base(&mut self, first_tick: i64, ticks_per_sec: i64) {
        self.time_base = Some((first_tick, 1e9 / ticks_per_sec as f64));
    }

    /// Nanoseconds from the first event, for a time in ticks (as Go computes them).
    #[inline]
    pub fn nanoseconds(&self, ts: i64) -> i64 {
        match self.time_base {
            Some((min_ts, ns_per_tick)) => go_f64_to_i64(ts.wrapping_sub(min_ts) as f64 * ns_per_tick),
            None => ts,
        }
    }

    pub fn len(&self) -> usize {
        self.stream_len + self.moved.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads the stream record at the cursor (flags not applied) and moves
    /// past it; returns where its flags are.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn decode(&self, c: &mut Cursor) -> (R, usize) {
        let flags_at = c.pos + 1;
        let e = R::decode(&self.bytes, &mut c.pos, c.prev_ts, self.with_offsets);
        c.prev_ts = e.ts();
        c.read += 1;
        (e, flags_at)
    }

    /// Whether moved event `m` goes before the stream record at the cursor
    /// (there is one), as a stable sort of the merge by time places it.
    #[inline]
    fn goes_before(&self, m: &Moved<R>, c: &Cursor) -> bool {
        // Only the next record's time is needed to decide.
        let ts = get_delta(&self.bytes, &mut (c.pos + 2), c.prev_ts);
        m.event.ts() < ts || (m.event.ts() == ts && m.stream_before <= c.read)
    }

    /// The next record in final order and its flags (times as written);
    /// `None` at the end.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    pub fn next_raw(&self, c: &mut Cursor) -> Option<(R, Location)> {
        if let Some(m) = self.moved.get(c.next_moved) {
            if c.read == self.stream_len || self.goes_before(m, c) {
                c.next_moved += 1;
                return Some((m.event, Location::Moved(c.next_moved - 1)));
            }
        }
        if c.read == self.stream_len {
            return None;
        }
        let (e, at) = self.decode(c);
        Some((e, Location::Stream(at)))
    }

    /// Marks in the stream (one per [`MARK_EVERY`] records, at least one):
    /// the list read from mark `k` up to mark `k + 1` by
    /// [`EventList::next_raw_before_mark`], for every `k`, is the whole list.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub fn mark_count(&self) -> usize {
        self.marks.len().max(1)
    }

    /// A cursor at mark `k` (once finished): before stream record
    /// `k * MARK_EVERY` and the moved events that go before it.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub fn cursor_at_mark(&self, k: usize) -> Cursor {
        let Some(&(pos, prev_ts)) = self.marks.get(k).filter(|_| k > 0) else {
            return Cursor::default();
        };
        let mut c = Cursor { pos, read: k * MARK_EVERY, prev_ts, next_moved: 0 };
        // Moved events are sorted by time, ties in merge order, so those
        // that go before the record are a prefix.
        c.next_moved = self.moved.partition_point(|m| self.goes_before(m, &c));
        c
    }

    /// [`EventList::next_raw`], ending before mark `k + 1`'s stream record
    /// (at the list's end for the last mark), for a cursor from mark `k`.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    pub fn next_raw_before_mark(&self, c: &mut Cursor, k: usize) -> Option<(R, Location)> {
        let end = (k + 1).saturating_mul(MARK_EVERY);
        if c.read == end && end < self.stream_len {
            // Only moved events that go before that record are left.
            let m = self.moved.get(c.next_moved)?;
            if !self.goes_before(m, c) {
                return None;
            }
        }
        self.next_raw(c)
    }

    /// The flags of the record at `at`.
    #[inline]
    pub fn flags(&self, at: Location) -> u8 {
        match at {
            Location::Stream(i) => self.bytes[i] & 0x0f,
            Location::Moved(i) => self.moved[i].flags,
        }
    }
}

impl<R: Record> SetFlag for EventList<R> {
    /// Marks the event at `at` (see [`flag`]).
    fn set_flag(&mut self, at: Location, bit: u8) {
        match at {
            Location::Stream(i) => self.bytes[i] |= bit,
            Location::Moved(i) => self.moved[i].flags |= bit,
        }
    }
}

impl EventList<RawEvent> {
    /// Builds a list of events already in final order, with times in
    /// nanoseconds (the older formats' extra steps go through a vector).
    pub fn from_final(events: &[RawEvent], with_offsets: bool, timer_goids: IdMap<u64, ()>) -> Self {
        let mut list = EventList::new(events.len(), with_offsets);
        for e in events {
            list.push(e);
        }
        list.timer_goids = timer_goids;
        list
    }

    /// Gives the list the timer goroutines (known only once every batch is read).
    pub fn set_timer_goroutines(&mut self, goids: IdMap<u64, ()>) {
        self.timer_goids = goids;
    }

    /// The next event in final order, as Go's parser leaves it: times in
    /// nanoseconds from the first event, fake Ps applied, flags applied.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    pub fn next(&self, c: &mut Cursor) -> Option<(RawEvent, Location)> {
        let (mut e, at) = self.next_raw(c)?;
        e.ts = self.nanoseconds(e.ts);
        if e.typ == ev::GO_UNBLOCK && !self.timer_goids.is_empty() && self.timer_goids.contains_key(&e.g) {
            e.p = fake_p::TIMER;
        }
        if e.typ == ev::GO_SYSEXIT {
            e.p = fake_p::SYSCALL;
        }
        let flags = self.flags(at);
        if flags != 0 {
            e.syscall_blocked = flags & flag::SYSCALL_BLOCKED != 0;
            if flags & flag::NETPOLL != 0 {
                e.p = fake_p::NETPOLL;
            }
            if flags & flag::GC != 0 {
                e.p = fake_p::GC;
            }
            if flags & flag::NO_STACK != 0 {
                e.stk = 0;
            }
        }
        Some((e, at))
    }

    /// Every event in final order (see [`EventList::next`]).
    pub fn iter(&self) -> impl Iterator<Item = RawEvent> + '_ {
        let mut c = Cursor::default();
        std::iter::from_fn(move || self.next(&mut c).map(|(e, _)| e))
    }
}

#[cfg(test)]
mod tests {
    use super::super::convert::Out;
    use super::*;

    fn ev(ts: i64, g: u64) -> RawEvent {
        RawEvent { ts, g, typ: ev::GO_SCHED, ..RawEvent::default() }
    }

    /// Moved events land where a stable sort of the whole merge by time puts them.
    #[test]
    fn moved_events_land_where_a_stable_sort_puts_them() {
        // Merge order: times 10 20 20 30 [40 -> 20] 50 [60 -> 20] [70 -> 55] 80.
        let merged = [
            (10, 0, None),
            (20, 1, None),
            (20, 2, None),
            (30, 3, None),
            (40, 4, Some(20)),
            (50, 5, None),
            (60, 6, Some(20)),
            (70, 7, Some(55)),
            (80, 8, None),
        ];
        let mut list = EventList::new(0, false);
        let mut want = Vec::new();
        for &(ts, g, moved) in &merged {
            match moved {
                Some(t) => {
                    list.push_moved(&ev(t, g));
                    want.push((t, g));
                }
                None => {
                    list.push(&ev(ts, g));
                    want.push((ts, g));
                }
            }
        }
        want.sort_by_key(|&(t, _)| t);
        list.time_base = None;
        list.moved.sort_by_key(|m| m.event.ts);
        let got: Vec<(i64, u64)> = list.iter().map(|e| (e.ts, e.g)).collect();
        assert_eq!(got, want);
    }

    /// Read mark by mark, from a cursor made at each, the list is what one
    /// cursor reads front to back, with moved events (ties included) at
    /// every distance from the marks and past the last record.
    #[test]
    fn marks_cut_the_list_without_losing_or_repeating() {
        // Converted records: the ones read from marks.
        let ev = |ts: i64, g: u64| Out { ts, g: g as i64, typ: ev::GO_SCHED, ..Out::default() };
        let mut list = EventList::<Out>::new(0, false);
        let mut seed = 7u64;
        let mut ts = 0;
        for g in 0..3000u64 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ts += (seed >> 60) as i64 % 3;
            if (seed >> 33) % 5 == 0 {
                // Moved back or forward by up to 200 ticks (past the end too).
                list.push_moved(&ev(ts + 40 - (seed >> 40) as i64 % 240, g));
            } else if (seed >> 33) % 5 == 1 {
                // Moved by a tick or two: ties with the records around.
                list.push_moved(&ev(ts + 1 - (seed >> 40) as i64 % 3, g));
            } else {
                list.push(&ev(ts, g));
            }
        }
        list.push_moved(&ev(ts + 1000, 9999));
        list.finish();
        let mut front = Cursor::default();
        let whole: Vec<i64> = std::iter::from_fn(|| list.next_raw(&mut front)).map(|(e, _)| e.g).collect();
        assert_eq!(whole.len(), 3001);
        assert!(list.mark_count() > 20);
        let mut cut = Vec::new();
        for k in 0..list.mark_count() {
            let mut c = list.cursor_at_mark(k);
            while let Some((e, _)) = list.next_raw_before_mark(&mut c, k) {
                cut.push(e.g);
            }
        }
        assert_eq!(cut, whole);
    }

    /// Every field survives the record encoding, extreme values included.
    #[test]
    fn records_keep_every_field() {
        let e = RawEvent {
            ts: i64::MAX - 5,
            g: u64::MAX,
            args: [0, u64::MAX, 1, 1 << 40],
            stk: u32::MAX,
            p: -1,
            off: u32::MAX,
            typ: ev::GO_CREATE,
            syscall_blocked: false,
        };
        let mut list = EventList::new(1, true);
        list.push(&RawEvent { ts: -3, p: fake_p::PROFILE, ..e });
        list.push(&e);
        let got: Vec<RawEvent> = list.iter().collect();
        assert_eq!(format!("{:?}", got[1]), format!("{e:?}"));
        assert_eq!(got[0].ts, -3);
        assert_eq!(got[0].p, fake_p::PROFILE);
    }
}
