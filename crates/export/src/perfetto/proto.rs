//! Perfetto's own trace format: a `Trace` of `TracePacket`s carrying
//! `TrackEvent`s, as the Perfetto SDK writes them (see perfetto.dev, "Converting
//! arbitrary timestamped data to Perfetto", and `protos/perfetto/trace/` in the
//! Perfetto repository for the schema).
//!
//! The messages are [prost] derive structs written from Perfetto's published
//! `.proto` files (names, field numbers and types), like [`crate::pprof`]'s:
//! only the fields written here. The schema is `proto2`, so repeated scalars
//! are declared unpacked, as Perfetto's decoder expects them.
//!
//! # What the file holds
//!
//! - One packet sequence (`trusted_packet_sequence_id` 1). Its first packet
//!   clears the incremental state, sets the default clock of later packets to
//!   an incremental clock (id 64: each packet's `timestamp` is the delta from
//!   the previous one's) and ties that clock to `BOOTTIME` with a clock
//!   snapshot, both at 0: times are nanoseconds from the trace's first event,
//!   as in the JSON document. The rare slice that began before the trace
//!   writes its begin with an absolute `BOOTTIME` timestamp instead.
//! - A `TrackDescriptor` per group (a process, pid 1–5 as in the JSON) and per
//!   lane (a named child track of its group, named as the JSON's thread),
//!   written before the lane's first event. Lanes of the Procs, Threads, GC
//!   and Tasks groups are ordered by `sibling_order_rank` (the JSON's sort
//!   index); goroutine lanes by first appearance (`CHRONOLOGICAL`), which
//!   saves a number per goroutine. Lanes renamed later (a goroutine's label)
//!   are described again at the end with the final name. Async spans (tasks,
//!   sweeps per P) get a lane each; a goroutine's region or assist that began
//!   before the trace goes on a child lane of the goroutine's ("began before
//!   the trace"), since its begin would land behind what the lane already
//!   shows.
//! - `TrackEvent`s in time order: `TYPE_SLICE_BEGIN` when a slice begins,
//!   `TYPE_SLICE_END` when it ends (so slices on a lane nest by
//!   construction), `TYPE_INSTANT` for logs and for where an arrow starts
//!   (`flow_ids`); the arrow ends on the target's slice begin
//!   (`terminating_flow_ids`). Arguments are debug annotations. Slices on a
//!   P lane are named after the goroutine's function (`main.worker`, the
//!   goroutine's ID in their `g` argument) rather than `G12 main.worker`:
//!   one interned name per function instead of one per goroutine.
//!   Categories are left out (the names carry the same information).
//! - Event names, argument names and argument strings (reasons,
//!   stacks) are interned (`InternedData`, `SEQ_NEEDS_INCREMENTAL_STATE`):
//!   each string is written once, then referred to by a small id.
//! - Packets are gathered into chunks of about 1 MiB, each deflated (zlib) into
//!   one `compressed_packets` packet, which Perfetto inflates on load.
//!
//! Size: about 0.2–2 times the Go trace (0.7 over all the repository's
//! fixtures; the worst case is thousands of goroutines of a few events each).
//!
//! With `--from/--to`, slices begun before the window begin at its start (all
//! at once, outermost first, when the first thing inside it is written) and
//! those still open at its end end there.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use prost::Message;

use super::{Args, Counting, Sink, Track, Val, PID_GOROUTINES, PID_PROCS};

/// Perfetto's wire messages (the fields this writer uses).
pub mod pb {
    /// `perfetto.protos.TracePacket`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TracePacket {
        /// The clock of `timestamp` (default: the sequence's default, else BOOTTIME).
        #[prost(uint32, optional, tag = "58")]
        pub timestamp_clock_id: Option<u32>,
        /// The packet sequence (a writer).
        #[prost(uint32, optional, tag = "10")]
        pub trusted_packet_sequence_id: Option<u32>,
        /// `SEQ_INCREMENTAL_STATE_CLEARED` = 1, `SEQ_NEEDS_INCREMENTAL_STATE` = 2.
        #[prost(uint32, optional, tag = "13")]
        pub sequence_flags: Option<u32>,
        /// Strings introduced by this packet.
        #[prost(message, optional, tag = "12")]
        pub interned_data: Option<InternedData>,
        /// Defaults for later packets of the sequence.
        #[prost(message, optional, tag = "59")]
        pub trace_packet_defaults: Option<TracePacketDefaults>,
        /// Clock readings tying clocks together.
        #[prost(message, optional, tag = "6")]
        pub clock_snapshot: Option<ClockSnapshot>,
        /// A slice begin/end, instant.
        #[prost(message, optional, tag = "11")]
        pub track_event: Option<TrackEvent>,
        /// A track (lane or group).
        #[prost(message, optional, tag = "60")]
        pub track_descriptor: Option<TrackDescriptor>,
        /// Timestamp in the packet's clock (ns; deltas on incremental clocks).
        #[prost(uint64, optional, tag = "8")]
        pub timestamp: Option<u64>,
        /// Deflated (zlib) serialized `Trace.packet` records.
        #[prost(bytes = "vec", optional, tag = "50")]
        pub compressed_packets: Option<Vec<u8>>,
    }

    /// `TracePacketDefaults`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TracePacketDefaults {
        /// Default clock of later packets.
        #[prost(uint32, optional, tag = "58")]
        pub timestamp_clock_id: Option<u32>,
    }

    /// `ClockSnapshot`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ClockSnapshot {
        /// Simultaneous readings.
        #[prost(message, repeated, tag = "1")]
        pub clocks: Vec<Clock>,
    }

    /// `ClockSnapshot.Clock`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Clock {
        /// 1–63 builtin (6 = BOOTTIME), 64–127 sequence-scoped.
        #[prost(uint32, optional, tag = "1")]
        pub clock_id: Option<u32>,
        /// Reading, ns.
        #[prost(uint64, optional, tag = "2")]
        pub timestamp: Option<u64>,
        /// Packets on this clock give deltas from the previous one.
        #[prost(bool, optional, tag = "3")]
        pub is_incremental: Option<bool>,
    }

    /// `TrackEvent`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TrackEvent {
        /// Interned category ids.
        #[prost(uint64, repeated, packed = "false", tag = "3")]
        pub category_iids: Vec<u64>,
        /// Interned name id.
        #[prost(uint64, optional, tag = "10")]
        pub name_iid: Option<u64>,
        /// 1 slice begin, 2 slice end, 3 instant, 4 counter.
        #[prost(int32, optional, tag = "9")]
        pub r#type: Option<i32>,
        /// The track's uuid.
        #[prost(uint64, optional, tag = "11")]
        pub track_uuid: Option<u64>,
        /// Arguments.
        #[prost(message, repeated, tag = "4")]
        pub debug_annotations: Vec<DebugAnnotation>,
        /// Arrows starting here.
        #[prost(fixed64, repeated, packed = "false", tag = "47")]
        pub flow_ids: Vec<u64>,
        /// Arrows ending here.
        #[prost(fixed64, repeated, packed = "false", tag = "48")]
        pub terminating_flow_ids: Vec<u64>,
    }

    /// `DebugAnnotation`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct DebugAnnotation {
        /// Interned name id.
        #[prost(uint64, optional, tag = "1")]
        pub name_iid: Option<u64>,
        /// Unsigned value.
        #[prost(uint64, optional, tag = "3")]
        pub uint_value: Option<u64>,
        /// Signed value.
        #[prost(int64, optional, tag = "4")]
        pub int_value: Option<i64>,
        /// String value, inline.
        #[prost(string, optional, tag = "6")]
        pub string_value: Option<String>,
        /// String value, interned (`debug_annotation_string_values`).
        #[prost(uint64, optional, tag = "17")]
        pub string_value_iid: Option<u64>,
    }

    /// `TrackDescriptor`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TrackDescriptor {
        /// Unique id of the track.
        #[prost(uint64, optional, tag = "1")]
        pub uuid: Option<u64>,
        /// The enclosing track.
        #[prost(uint64, optional, tag = "5")]
        pub parent_uuid: Option<u64>,
        /// Name (tracks that are not processes).
        #[prost(string, optional, tag = "2")]
        pub name: Option<String>,
        /// A process track.
        #[prost(message, optional, tag = "3")]
        pub process: Option<ProcessDescriptor>,
        /// How children are ordered (2: by first event, 3: by `sibling_order_rank`).
        #[prost(int32, optional, tag = "11")]
        pub child_ordering: Option<i32>,
        /// Rank among siblings.
        #[prost(int32, optional, tag = "12")]
        pub sibling_order_rank: Option<i32>,
    }

    /// `ProcessDescriptor`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ProcessDescriptor {
        /// pid.
        #[prost(int32, optional, tag = "1")]
        pub pid: Option<i32>,
        /// Name.
        #[prost(string, optional, tag = "6")]
        pub process_name: Option<String>,
    }

    /// `InternedData` (the tables used here).
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct InternedData {
        /// Categories.
        #[prost(message, repeated, tag = "1")]
        pub event_categories: Vec<Interned>,
        /// Event names.
        #[prost(message, repeated, tag = "2")]
        pub event_names: Vec<Interned>,
        /// Argument names.
        #[prost(message, repeated, tag = "3")]
        pub debug_annotation_names: Vec<Interned>,
        /// Argument string values (`InternedString`: `str` is bytes).
        #[prost(message, repeated, tag = "29")]
        pub debug_annotation_string_values: Vec<InternedBytes>,
    }

    /// `EventCategory`, `EventName`, `DebugAnnotationName`: (iid, name).
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Interned {
        /// Id.
        #[prost(uint64, optional, tag = "1")]
        pub iid: Option<u64>,
        /// Name.
        #[prost(string, optional, tag = "2")]
        pub name: Option<String>,
    }

    /// `InternedString`: (iid, bytes).
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct InternedBytes {
        /// Id.
        #[prost(uint64, optional, tag = "1")]
        pub iid: Option<u64>,
        /// The string.
        #[prost(bytes = "vec", optional, tag = "2")]
        pub str: Option<Vec<u8>>,
    }
}

/// The sequence all packets belong to.
const SEQUENCE: u32 = 1;
const SEQ_INCREMENTAL_STATE_CLEARED: u32 = 1;
const SEQ_NEEDS_INCREMENTAL_STATE: u32 = 2;
/// BOOTTIME, the default trace clock.
const CLOCK_BOOTTIME: u32 = 6;
/// Our incremental, sequence-scoped clock.
const CLOCK_INCREMENTAL: u32 = 64;
const TYPE_SLICE_BEGIN: i32 = 1;
const TYPE_SLICE_END: i32 = 2;
const TYPE_INSTANT: i32 = 3;
/// `TrackDescriptor.ChildTracksOrdering`: by first event, by `sibling_order_rank`.
const ORDER_CHRONOLOGICAL: i32 = 2;
const ORDER_EXPLICIT: i32 = 3;
/// Uncompressed bytes gathered before a chunk is deflated.
const CHUNK: usize = 1 << 20;

/// What a track is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Key {
    /// A group (process).
    Group(u32),
    /// A JSON lane (a thread there).
    Lane(Track),
    /// An async span's lane: (group, category, id).
    Async(u32, String, u64),
    /// Slices of a goroutine that began before the trace (they cannot be
    /// begun on its lane after what it already shows).
    Before(Track),
}

/// A slice on a track's stack.
enum Frame {
    /// Its begin was written.
    Begun,
    /// Begun before the window: written at the window's start if it reaches it.
    Pending(Box<pb::TrackEvent>),
    /// Begun after the window: never written.
    Skipped,
}

/// Interned strings of one table.
#[derive(Default)]
struct Table {
    ids: HashMap<String, u64>,
}

impl Table {
    /// The id of `s`, and whether it is new.
    fn get(&mut self, s: &str) -> (u64, bool) {
        if let Some(&id) = self.ids.get(s) {
            return (id, false);
        }
        let id = self.ids.len() as u64 + 1;
        self.ids.insert(s.to_string(), id);
        (id, true)
    }
}

/// A described track.
struct Desc {
    uuid: u64,
    /// The name it was last described with.
    name: String,
}

/// Writes Perfetto's protobuf trace (see the module doc).
pub struct ProtoSink<W: Write> {
    out: Counting<W>,
    chunk: Vec<u8>,
    packets: u64,
    window: (i64, i64),
    /// Whether the window's start was reached (pending begins written).
    started: bool,
    /// The incremental clock's reading.
    last_ts: i64,
    names: Table,
    keys: Table,
    strs: Table,
    /// Interned entries not yet written: they go with the next packet.
    interned: pb::InternedData,
    descs: HashMap<Key, Desc>,
    /// Current names and sort keys of the JSON lanes.
    declared: HashMap<Track, (String, i64)>,
    stacks: BTreeMap<u64, Vec<Frame>>,
    /// Arrows waiting for their target's slice begin: uuid → (ts, id).
    flow_in: HashMap<u64, (i64, u64)>,
    /// Names of async lanes not yet described.
    async_names: HashMap<Key, String>,
    next_flow: u64,
    next_uuid: u64,
}

/// Argument keys whose strings are not interned (mostly unique).
const INLINE_KEYS: [&str; 1] = ["message"];

/// A P lane's slice is named after the goroutine's function ("G12 main.worker"
/// → "main.worker"; the goroutine's ID is its `g` argument): one interned
/// name per function instead of one per goroutine.
fn proc_slice_name(name: &str) -> &str {
    match name.split_once(' ') {
        Some((g, rest)) if g.len() > 1 && g.starts_with('G') && g[1..].bytes().all(|b| b.is_ascii_digit()) => rest,
        _ => name,
    }
}

fn group_name(pid: u32) -> &'static str {
    super::GROUPS.iter().find(|(p, _)| *p == pid).map(|(_, n)| *n).unwrap_or("Group")
}

impl<W: Write> ProtoSink<W> {
    /// Starts the trace on `out`.
    pub fn new(out: W) -> io::Result<Self> {
        let mut s = ProtoSink {
            out: Counting { inner: out, bytes: 0 },
            chunk: Vec::with_capacity(CHUNK + (64 << 10)),
            packets: 0,
            window: (0, i64::MAX),
            started: true,
            last_ts: 0,
            names: Table::default(),
            keys: Table::default(),
            strs: Table::default(),
            interned: pb::InternedData::default(),
            descs: HashMap::new(),
            declared: HashMap::new(),
            stacks: BTreeMap::new(),
            flow_in: HashMap::new(),
            async_names: HashMap::new(),
            next_flow: 1,
            next_uuid: 1,
        };
        let first = pb::TracePacket {
            timestamp: Some(0),
            timestamp_clock_id: Some(CLOCK_BOOTTIME),
            trusted_packet_sequence_id: Some(SEQUENCE),
            sequence_flags: Some(SEQ_INCREMENTAL_STATE_CLEARED),
            trace_packet_defaults: Some(pb::TracePacketDefaults { timestamp_clock_id: Some(CLOCK_INCREMENTAL) }),
            clock_snapshot: Some(pb::ClockSnapshot {
                clocks: vec![
                    pb::Clock { clock_id: Some(CLOCK_BOOTTIME), timestamp: Some(0), is_incremental: None },
                    pb::Clock { clock_id: Some(CLOCK_INCREMENTAL), timestamp: Some(0), is_incremental: Some(true) },
                ],
            }),
            ..Default::default()
        };
        s.push(&first)?;
        Ok(s)
    }

    /// Appends one packet to the chunk (deflating the chunk when full).
    fn push(&mut self, p: &pb::TracePacket) -> io::Result<()> {
        self.chunk.push(0x0a); // Trace.packet, length-delimited
        p.encode_length_delimited(&mut self.chunk).map_err(io::Error::other)?;
        self.packets += 1;
        if self.chunk.len() >= CHUNK {
            self.flush_chunk()?;
        }
        Ok(())
    }

    fn flush_chunk(&mut self) -> io::Result<()> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        let mut z = flate2::write::ZlibEncoder::new(Vec::with_capacity(self.chunk.len() / 4), flate2::Compression::default());
        z.write_all(&self.chunk)?;
        let data = z.finish()?;
        self.chunk.clear();
        let outer = pb::TracePacket { compressed_packets: Some(data), ..Default::default() };
        let mut buf = Vec::with_capacity(outer.encoded_len() + 8);
        buf.push(0x0a);
        outer.encode_length_delimited(&mut buf).map_err(io::Error::other)?;
        self.out.write_all(&buf)
    }

    /// A packet of the sequence, with pending interned data.
    fn packet(&mut self) -> pb::TracePacket {
        let interned = std::mem::take(&mut self.interned);
        let has = !(interned.event_categories.is_empty()
            && interned.event_names.is_empty()
            && interned.debug_annotation_names.is_empty()
            && interned.debug_annotation_string_values.is_empty());
        pb::TracePacket {
            trusted_packet_sequence_id: Some(SEQUENCE),
            sequence_flags: Some(SEQ_NEEDS_INCREMENTAL_STATE),
            interned_data: has.then_some(interned),
            ..Default::default()
        }
    }

    /// Writes a track event at `ts` (on the incremental clock when time has
    /// not gone back, else with an absolute BOOTTIME timestamp).
    fn emit(&mut self, ts: i64, ev: pb::TrackEvent) -> io::Result<()> {
        let mut p = self.packet();
        let ts = ts.max(0);
        if ts >= self.last_ts {
            p.timestamp = Some((ts - self.last_ts) as u64);
            self.last_ts = ts;
        } else {
            p.timestamp = Some(ts as u64);
            p.timestamp_clock_id = Some(CLOCK_BOOTTIME);
        }
        p.track_event = Some(ev);
        self.push(&p)
    }

    fn name_iid(&mut self, name: &str) -> u64 {
        let (id, new) = self.names.get(name);
        if new {
            self.interned.event_names.push(pb::Interned { iid: Some(id), name: Some(name.to_string()) });
        }
        id
    }

    fn annotations(&mut self, args: &[(&'static str, Val)]) -> Vec<pb::DebugAnnotation> {
        let mut out = Vec::with_capacity(args.len());
        for (k, v) in args {
            let (kid, new) = self.keys.get(k);
            if new {
                self.interned.debug_annotation_names.push(pb::Interned { iid: Some(kid), name: Some(k.to_string()) });
            }
            let mut a = pb::DebugAnnotation { name_iid: Some(kid), ..Default::default() };
            match v {
                Val::Int(n) => a.int_value = Some(*n),
                Val::UInt(n) => a.uint_value = Some(*n),
                Val::Null => continue,
                Val::Str(s) if INLINE_KEYS.contains(k) => a.string_value = Some(s.clone()),
                Val::Str(s) => {
                    let (sid, new) = self.strs.get(s);
                    if new {
                        self.interned.debug_annotation_string_values.push(pb::InternedBytes { iid: Some(sid), str: Some(s.clone().into_bytes()) });
                    }
                    a.string_value_iid = Some(sid);
                }
            }
            out.push(a);
        }
        out
    }

    fn uuid(&mut self) -> u64 {
        let u = self.next_uuid;
        self.next_uuid += 1;
        u
    }

    /// The track's uuid, described first if new.
    fn track(&mut self, key: Key) -> io::Result<u64> {
        if let Some(d) = self.descs.get(&key) {
            return Ok(d.uuid);
        }
        let uuid = self.uuid();
        let (desc, name) = match &key {
            Key::Group(pid) => {
                let name = group_name(*pid).to_string();
                let d = pb::TrackDescriptor {
                    uuid: Some(uuid),
                    process: Some(pb::ProcessDescriptor { pid: Some(*pid as i32), process_name: Some(name.clone()) }),
                    // Goroutines in order of appearance; other lanes by rank.
                    child_ordering: Some(if *pid == PID_GOROUTINES { ORDER_CHRONOLOGICAL } else { ORDER_EXPLICIT }),
                    ..Default::default()
                };
                (d, name)
            }
            Key::Lane(tr) => {
                let parent = self.track(Key::Group(tr.pid))?;
                let (name, sort) = self.declared.get(tr).cloned().unwrap_or_else(|| (format!("{}", tr.tid), 0));
                (self.lane_desc(uuid, parent, *tr, &name, sort), name)
            }
            Key::Async(pid, _, id) => {
                let parent = self.track(Key::Group(*pid))?;
                // Named by the caller through `async_lane` before first use.
                let name = self.async_names.remove(&key).unwrap_or_default();
                let d = pb::TrackDescriptor {
                    uuid: Some(uuid),
                    parent_uuid: Some(parent),
                    name: Some(name.clone()),
                    sibling_order_rank: Some((*id).min(i32::MAX as u64) as i32),
                    ..Default::default()
                };
                (d, name)
            }
            Key::Before(tr) => {
                let parent = self.track(Key::Lane(*tr))?;
                let name = "began before the trace".to_string();
                let d = pb::TrackDescriptor { uuid: Some(uuid), parent_uuid: Some(parent), name: Some(name.clone()), ..Default::default() };
                (d, name)
            }
        };
        self.describe(desc)?;
        self.descs.insert(key, Desc { uuid, name });
        Ok(uuid)
    }

    fn lane_desc(&self, uuid: u64, parent: u64, tr: Track, name: &str, sort: i64) -> pb::TrackDescriptor {
        pb::TrackDescriptor {
            uuid: Some(uuid),
            parent_uuid: Some(parent),
            name: Some(name.to_string()),
            sibling_order_rank: (tr.pid != PID_GOROUTINES).then(|| sort.clamp(i32::MIN as i64, i32::MAX as i64) as i32),
            ..Default::default()
        }
    }

    fn describe(&mut self, d: pb::TrackDescriptor) -> io::Result<()> {
        let mut p = self.packet();
        p.track_descriptor = Some(d);
        self.push(&p)
    }

    /// Writes the begins of slices begun before the window, once something
    /// inside it is written.
    fn start(&mut self) -> io::Result<()> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        let w0 = self.window.0;
        let mut todo: Vec<pb::TrackEvent> = Vec::new();
        for frames in self.stacks.values_mut() {
            for f in frames.iter_mut() {
                if matches!(f, Frame::Pending(_)) {
                    if let Frame::Pending(ev) = std::mem::replace(f, Frame::Begun) {
                        todo.push(*ev);
                    }
                }
            }
        }
        for ev in todo {
            self.emit(w0, ev)?;
        }
        Ok(())
    }

    fn begin_event(&mut self, uuid: u64, ts: i64, cat: &str, name: &str, args: &[(&'static str, Val)]) -> pb::TrackEvent {
        let _ = cat; // categories are left out: they cost bytes and add nothing the names lack
        let name_iid = self.name_iid(name);
        let debug_annotations = self.annotations(args);
        let mut ev = pb::TrackEvent {
            name_iid: Some(name_iid),
            r#type: Some(TYPE_SLICE_BEGIN),
            track_uuid: Some(uuid),
            debug_annotations,
            ..Default::default()
        };
        if let Some(&(at, id)) = self.flow_in.get(&uuid) {
            if at == ts {
                ev.terminating_flow_ids.push(id);
            }
            self.flow_in.remove(&uuid);
        }
        ev
    }

    /// Begins a slice on `uuid` at `ts`, honouring the window.
    fn open(&mut self, uuid: u64, ts: i64, cat: &str, name: &str, args: &[(&'static str, Val)]) -> io::Result<()> {
        let (w0, w1) = self.window;
        let frame = if ts > w1 {
            Frame::Skipped
        } else if ts < w0 {
            Frame::Pending(Box::new(self.begin_event(uuid, ts, cat, name, args)))
        } else {
            self.start()?;
            let ev = self.begin_event(uuid, ts, cat, name, args);
            self.emit(ts, ev)?;
            Frame::Begun
        };
        self.stacks.entry(uuid).or_default().push(frame);
        Ok(())
    }

    /// Ends the innermost slice on `uuid` at `end`.
    fn close(&mut self, uuid: u64, end: i64, extra: &[(&'static str, Val)]) -> io::Result<()> {
        if end >= self.window.0 {
            self.start()?;
        }
        let frame = self.stacks.get_mut(&uuid).and_then(|v| v.pop());
        if let Some(Frame::Begun) = frame {
            let debug_annotations = self.annotations(extra);
            let ev = pb::TrackEvent { r#type: Some(TYPE_SLICE_END), track_uuid: Some(uuid), debug_annotations, ..Default::default() };
            self.emit(end.min(self.window.1), ev)?;
        }
        Ok(())
    }

    /// A slice known only at its end: begun with an absolute timestamp.
    #[allow(clippy::too_many_arguments)]
    fn whole(&mut self, uuid: u64, cat: &str, name: &str, start: i64, end: i64, args: &[(&'static str, Val)], extra: &[(&'static str, Val)]) -> io::Result<()> {
        let (s, e) = (start.max(self.window.0), end.min(self.window.1));
        if e < s {
            return Ok(());
        }
        self.start()?;
        let ev = self.begin_event(uuid, s, cat, name, args);
        self.emit(s, ev)?;
        self.stacks.entry(uuid).or_default().push(Frame::Begun);
        self.close(uuid, e, extra)
    }

    fn async_key(&mut self, tr: Track, lane: &str, cat: &str, id: u64) -> Key {
        let key = Key::Async(tr.pid, cat.to_string(), id);
        if !self.descs.contains_key(&key) {
            self.async_names.insert(key.clone(), lane.to_string());
        }
        key
    }
}

impl<W: Write> Sink for ProtoSink<W> {
    fn set_window(&mut self, window: (i64, i64)) {
        self.window = window;
        self.started = window.0 <= 0;
    }

    fn declare(&mut self, tr: Track, name: &str, sort: i64) {
        self.declared.insert(tr, (name.to_string(), sort));
    }

    fn begin(&mut self, tr: Track, ts: i64, cat: &str, name: &str, args: Option<&Args>) -> io::Result<()> {
        let uuid = self.track(Key::Lane(tr))?;
        let name = if tr.pid == PID_PROCS { proc_slice_name(name) } else { name };
        self.open(uuid, ts, cat, name, args.map(|a| a.as_slice()).unwrap_or(&[]))
    }

    fn end(&mut self, tr: Track, announced: bool, cat: &str, name: &str, start: i64, end: i64, args: Option<&Args>, extra: &[(&'static str, Val)]) -> io::Result<()> {
        if announced {
            let uuid = self.track(Key::Lane(tr))?;
            return self.close(uuid, end, extra);
        }
        let key = if tr.pid == PID_GOROUTINES { Key::Before(tr) } else { Key::Lane(tr) };
        let uuid = self.track(key)?;
        self.whole(uuid, cat, name, start, end, args.map(|a| a.as_slice()).unwrap_or(&[]), extra)
    }

    fn async_begin(&mut self, tr: Track, lane: &str, cat: &str, id: u64, ts: i64, name: &str, args: &Args) -> io::Result<()> {
        let key = self.async_key(tr, lane, cat, id);
        let uuid = self.track(key)?;
        self.open(uuid, ts, cat, name, args)
    }

    fn async_end(&mut self, tr: Track, lane: &str, announced: bool, cat: &str, id: u64, name: &str, start: i64, end: i64, begin_args: &Args, end_args: &Args) -> io::Result<()> {
        let key = self.async_key(tr, lane, cat, id);
        let uuid = self.track(key)?;
        if announced {
            self.close(uuid, end, end_args)
        } else {
            self.whole(uuid, cat, name, start, end, begin_args, end_args)
        }
    }

    fn instant(&mut self, tr: Track, ts: i64, cat: &str, name: &str, args: &Args) -> io::Result<()> {
        self.start()?;
        let uuid = self.track(Key::Lane(tr))?;
        let mut ev = self.begin_event(uuid, ts, cat, name, args);
        ev.r#type = Some(TYPE_INSTANT);
        self.emit(ts, ev)
    }

    fn flow_source(&mut self, tr: Track, ts: i64, name: &str) -> io::Result<u64> {
        self.start()?;
        let uuid = self.track(Key::Lane(tr))?;
        let id = self.next_flow;
        self.next_flow += 1;
        let mut ev = self.begin_event(uuid, ts, "flow", name, &[]);
        ev.r#type = Some(TYPE_INSTANT);
        ev.flow_ids.push(id);
        self.emit(ts, ev)?;
        Ok(id)
    }

    fn flow(&mut self, _from: Track, _from_ts: i64, to: Track, to_ts: i64, _name: &str, _id: u64, sink_id: u64) -> io::Result<()> {
        if sink_id != 0 {
            let uuid = self.track(Key::Lane(to))?;
            self.flow_in.insert(uuid, (to_ts, sink_id));
        }
        Ok(())
    }

    fn finish(mut self, _groups: &[(u32, &str)], tracks: &[(Track, String, i64)]) -> io::Result<(u64, u64)> {
        // Every goroutine has its lane, as in the JSON; lanes renamed since
        // they were described are described again with the final name.
        for (tr, name, sort) in tracks {
            let key = Key::Lane(*tr);
            self.declared.insert(*tr, (name.clone(), *sort));
            match self.descs.get(&key) {
                None if tr.pid == PID_GOROUTINES => {
                    self.track(key)?;
                }
                Some(d) if d.name != *name => {
                    let (uuid, parent) = (d.uuid, self.track(Key::Group(tr.pid))?);
                    let desc = self.lane_desc(uuid, parent, *tr, name, *sort);
                    self.describe(desc)?;
                    self.descs.get_mut(&key).expect("described").name = name.clone();
                }
                _ => {}
            }
        }
        self.flush_chunk()?;
        self.out.flush()?;
        Ok((self.packets, self.out.bytes))
    }
}
