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

/// An event the merge moved to its real time, with the number of stream
/// records merged before it (which decides ties) and its flags.
#[derive(Debug, Clone, Copy)]
struct Moved {
    event: RawEvent,
    stream_before: usize,
    flags: u8,
}

/// The merged events, in their final order once [`EventList::finish`]ed.
#[derive(Default)]
pub(crate) struct EventList {
    bytes: Vec<u8>,
    stream_len: usize,
    moved: Vec<Moved>,
    last_ts: i64,
    with_offsets: bool,
    /// Tick of the first event and nanoseconds per tick; `None` when the
    /// times are nanoseconds already.
    time_base: Option<(i64, f64)>,
    /// The timer goroutines of traces before Go 1.14, whose unblocks get fake P TIMER.
    timer_goids: IdMap<u64, ()>,
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
fn put(bytes: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        bytes.push(v as u8 | 0x80);
        v >>= 7;
    }
    bytes.push(v as u8);
}

/// A varint this module wrote (so well formed).
#[inline]
fn get(bytes: &[u8], pos: &mut usize) -> u64 {
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
fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

#[inline]
fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

impl EventList {
    /// An empty list for about `events` events; `with_offsets` keeps each
    /// event's input offset (only Go 1.21's `-d` lines print it).
    pub fn new(events: usize, with_offsets: bool) -> Self {
        // Reserved address space is only backed where written.
        EventList { bytes: Vec::with_capacity(events.saturating_mul(12)), with_offsets, ..EventList::default() }
    }

    /// Appends an event in merge order.
    #[inline]
    pub fn push(&mut self, e: &RawEvent) {
        let b = &mut self.bytes;
        let mask = (0..4).fold(0u8, |m, i| m | (u8::from(e.args[i] != 0) << i));
        b.push(e.typ);
        b.push(mask << 4);
        put(b, zigzag(e.ts.wrapping_sub(self.last_ts)));
        self.last_ts = e.ts;
        put(b, zigzag(i64::from(e.p)));
        put(b, e.g);
        put(b, u64::from(e.stk));
        if self.with_offsets {
            put(b, u64::from(e.off));
        }
        for (i, &a) in e.args.iter().enumerate() {
            if mask & (1 << i) != 0 {
                put(b, a);
            }
        }
        self.stream_len += 1;
    }

    /// Sets an event aside at its own time `e.ts`, placed when read as a
    /// stable sort of the whole merge by time would place it.
    pub fn push_moved(&mut self, e: &RawEvent) {
        self.moved.push(Moved { event: *e, stream_before: self.stream_len, flags: 0 });
    }

    /// Ends the merge: sorts the moved events and fixes the time base (the
    /// first event's tick and the nanoseconds per tick).
    pub fn finish(&mut self, ticks_per_sec: i64) {
        self.moved.sort_by_key(|m| m.event.ts);
        let mut first = RawEvent::default();
        if self.next_raw(&mut Cursor::default(), &mut first).is_some() {
            self.time_base = Some((first.ts, 1e9 / ticks_per_sec as f64));
        }
    }

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

    pub fn len(&self) -> usize {
        self.stream_len + self.moved.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Marks the event at `at` (see [`flag`]).
    pub fn set_flag(&mut self, at: Location, bit: u8) {
        match at {
            Location::Stream(i) => self.bytes[i] |= bit,
            Location::Moved(i) => self.moved[i].flags |= bit,
        }
    }

    /// Reads the stream record at the cursor into `e` (times in ticks, flags
    /// not applied) and moves past it; returns where its flags are.
    #[inline(always)]
    fn decode(&self, c: &mut Cursor, e: &mut RawEvent) -> usize {
        let b = &self.bytes[..];
        let mut pos = c.pos;
        e.typ = b[pos];
        let flags_at = pos + 1;
        let mask = b[flags_at] >> 4;
        pos += 2;
        e.ts = c.prev_ts.wrapping_add(unzigzag(get(b, &mut pos)));
        e.p = unzigzag(get(b, &mut pos)) as i32;
        e.g = get(b, &mut pos);
        e.stk = get(b, &mut pos) as u32;
        e.off = if self.with_offsets { get(b, &mut pos) as u32 } else { 0 };
        for (i, a) in e.args.iter_mut().enumerate() {
            *a = if mask & (1 << i) != 0 { get(b, &mut pos) } else { 0 };
        }
        e.syscall_blocked = false;
        c.pos = pos;
        c.prev_ts = e.ts;
        c.read += 1;
        flags_at
    }

    /// Reads the next event in final order into `e` (times in ticks, flags
    /// not applied); `None` at the end.
    #[inline(always)]
    fn next_raw(&self, c: &mut Cursor, e: &mut RawEvent) -> Option<Location> {
        if let Some(m) = self.moved.get(c.next_moved) {
            let goes_first = c.read == self.stream_len || {
                // Only the next record's time is needed to decide.
                let mut ts_at = c.pos + 2;
                let ts = c.prev_ts.wrapping_add(unzigzag(get(&self.bytes, &mut ts_at)));
                m.event.ts < ts || (m.event.ts == ts && m.stream_before <= c.read)
            };
            if goes_first {
                *e = m.event;
                c.next_moved += 1;
                return Some(Location::Moved(c.next_moved - 1));
            }
        }
        if c.read == self.stream_len {
            return None;
        }
        Some(Location::Stream(self.decode(c, e)))
    }

    /// The next event in final order, as Go's parser leaves it: times in
    /// nanoseconds from the first event, fake Ps applied, flags applied.
    #[inline(always)]
    pub fn next(&self, c: &mut Cursor) -> Option<(RawEvent, Location)> {
        let mut e = RawEvent::default();
        let at = self.next_raw(c, &mut e)?;
        if let Some((min_ts, ns_per_tick)) = self.time_base {
            e.ts = go_f64_to_i64(e.ts.wrapping_sub(min_ts) as f64 * ns_per_tick);
        }
        if e.typ == ev::GO_UNBLOCK && !self.timer_goids.is_empty() && self.timer_goids.contains_key(&e.g) {
            e.p = fake_p::TIMER;
        }
        if e.typ == ev::GO_SYSEXIT {
            e.p = fake_p::SYSCALL;
        }
        let flags = match at {
            Location::Stream(i) => self.bytes[i] & 0x0f,
            Location::Moved(i) => self.moved[i].flags,
        };
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
    use super::*;

    fn ev(ts: i64, g: u64) -> RawEvent {
        RawEvent { ts, g, typ: ev::GO_SCHED, ..RawEvent::default() }
    }

    /// Moved events land where a stable sort of the whole merge by time puts them.
    #[test]
    fn moved_events_land_where_a_stable_sort_puts_them() {
        // Merge order: times 10 20 20 30 [40 -> 20] 50 [60 -> 20] [70 -> 55] 80.
        let merged = [(10, 0, None), (20, 1, None), (20, 2, None), (30, 3, None), (40, 4, Some(20)),
            (50, 5, None), (60, 6, Some(20)), (70, 7, Some(55)), (80, 8, None)];
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
