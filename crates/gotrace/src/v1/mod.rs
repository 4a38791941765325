//! The old trace format of Go 1.5–1.21 (headers `go 1.5`, `go 1.7`, `go 1.8`,
//! `go 1.9`, `go 1.10`, `go 1.11`, `go 1.19`, `go 1.21`), read into the same
//! [`Event`] model as the partitioned format, so nothing above the reader
//! knows which format it read.
//!
//! Go 1.27 reads the old format from `go 1.11` on; the older headers are read
//! as Go 1.21 read them (its `internal/trace/parser.go`), then converted by
//! Go 1.27's rules. A `go 1.5` trace (written by Go 1.5 or 1.6) is parsed but
//! not read: its stacks are bare PCs that only the program's binary can
//! symbolize, so [`crate::Reader`] refuses it ([`go121_dump`] still lists its
//! events).
//!
//! Layered as Go keeps it (`internal/trace/internal/tracev1` and
//! `internal/trace/tracev1.go`):
//! - [`spec`]: the old event table (data);
//! - `parse`: batch index, string and stack tables, the merge of the per-P
//!   batches into one valid order, and Go's whole-trace checks;
//! - `events`: the merged events held compactly until they are converted;
//! - `convert`: old events to new ones, one at a time.
//!
//! The old format is not partitioned: the whole trace must be indexed and
//! merged before its first event is known (as Go does), so every event is
//! held in memory, as a record of about 10 bytes (Go holds 64-byte events);
//! strings and stacks stay in the input. Per-goroutine and per-P state lives in
//! vectors indexed by ID, and Ps waiting on a goroutine are set aside until it
//! moves, so the merge stays linear in events even with many Ps.

#[cfg(not(target_arch = "wasm32"))]
mod ahead;
mod checks;
mod convert;
mod dense;
mod events;
mod parse;
#[cfg(not(target_arch = "wasm32"))]
mod pipeline;
pub mod spec;

use crate::event::Event;
use crate::wire::read_header;
use crate::Error;

/// Why a `go 1.5` trace is not read.
pub const NO_SYMBOLS: &str = "trace written by Go 1.5 or 1.6 (header go 1.5) has no symbols: \
     it needs the program's binary to symbolize its stacks, which schedstat cannot use";

/// Whether a second thread can help: not on a machine with one core.
#[cfg(not(target_arch = "wasm32"))]
fn worth_a_thread() -> bool {
    std::thread::available_parallelism().is_ok_and(|n| n.get() > 1)
}

/// An old-format trace as a stream of events, framed by two Sync events like
/// Go's reader frames it (one generation).
pub(crate) struct Stream<'a> {
    source: Source<'a>,
    syncs: u64,
    done: bool,
}

/// Where a [`Stream`]'s events come from.
// One per trace, matched per event: not boxed.
#[allow(clippy::large_enum_variant)]
enum Source<'a> {
    /// Converted as they are read.
    Events(convert::Converter<'a>),
    /// Converted beside the merge (see [`pipeline`]); never on wasm32.
    #[cfg(not(target_arch = "wasm32"))]
    Converted(ahead::Converted<'a>),
}

impl<'a> Source<'a> {
    fn table(&self) -> crate::shared::TableRef<'a> {
        match self {
            Source::Events(c) => c.table(),
            #[cfg(not(target_arch = "wasm32"))]
            Source::Converted(c) => c.table(),
        }
    }

    fn peek_time(&self) -> Option<i64> {
        match self {
            Source::Events(c) => c.peek_time(),
            #[cfg(not(target_arch = "wasm32"))]
            Source::Converted(c) => c.peek_time(),
        }
    }

    fn last_ts(&self) -> i64 {
        match self {
            Source::Events(c) => c.last_ts(),
            #[cfg(not(target_arch = "wasm32"))]
            Source::Converted(c) => c.last_ts(),
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn next(&mut self) -> Result<Option<Event<'a>>, Error> {
        match self {
            Source::Events(c) => c.next(),
            #[cfg(not(target_arch = "wasm32"))]
            Source::Converted(c) => c.next(),
        }
    }
}

impl<'a> Stream<'a> {
    /// Parses and checks the whole trace; the header of minor version `ver` ends at `start`.
    pub fn open(data: &'a [u8], start: usize, ver: u32) -> Result<Self, Error> {
        // Go 1.21 reports a broken trace before asking for the binary.
        if ver < spec::SEQ_BEFORE_TIME_UNTIL {
            parse::parse(data, start, ver, false).map_err(Error::in_old_format)?;
            return Err(Error::new(NO_SYMBOLS));
        }
        let source = match parse::parse_to_read(data, start, ver).map_err(Error::in_old_format)? {
            parse::Parsed::Events(trace) => Source::Events(convert::Converter::new(trace, ver)?),
            #[cfg(not(target_arch = "wasm32"))]
            parse::Parsed::Converted(converted) => Source::Converted(converted),
        };
        Ok(Stream { source, syncs: 0, done: false })
    }

    /// The next event; `Ok(None)` after the closing Sync.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    pub fn next(&mut self) -> Result<Option<Event<'a>>, Error> {
        if self.done {
            return Ok(None);
        }
        if self.syncs == 0 {
            if let Some(t) = self.source.peek_time() {
                self.syncs = 1;
                return Ok(Some(Event::sync(Some(self.source.table()), t - 1, 1)));
            }
        }
        match self.source.next()? {
            Some(e) => Ok(Some(e)),
            None => {
                self.done = true;
                self.syncs += 1;
                Ok(Some(Event::sync(None, self.source.last_ts() + 1, self.syncs)))
            }
        }
    }

    /// Whether the closing Sync has been handed out.
    pub fn is_done(&self) -> bool {
        self.done
    }
}

/// The parsed events of an old-format trace (any header from `go 1.5` to
/// `go 1.21`), before conversion to the v2 model, one line each in the form of
/// Go 1.21's `go tool trace -d` (its `Event.String`):
/// `TIME NAME p=P g=G off=OFFSET` then ` ARG=VALUE` for each argument Go 1.21
/// names for the type and ` SARG=STRING` for its string arguments (the STW
/// kind, a goroutine label, a task or region name, a log's category and
/// message). Times are nanoseconds from the first event; `off` is where the
/// event starts in `data`.
///
/// The events are those [`crate::Reader`] converts, in the same order; as in
/// Go 1.21's lines, GC and stop-the-world events show `g=0`. For a trace that
/// both parsers accept, the lines equal Go 1.21's except for the order of
/// events with the same time (Go 1.21's merge takes events of equal time on
/// different Ps in a random order) and, from `go 1.11` on, where Go 1.27's
/// parser (which this reader follows there) differs from Go 1.21's. Unlike the
/// reader, this lists `go 1.5` traces too (it needs no symbols).
pub fn go121_dump(data: &[u8]) -> Result<String, Error> {
    use std::fmt::Write;
    let mut out = String::new();
    visit_go121(data, |e, trace, ver| {
        let _ = write!(out, "{} {} p={} g={} off={}", e.ts, e.name, e.p, e.g, e.off);
        for (name, v) in e.arg_names.iter().zip(e.args) {
            let _ = write!(out, " {name}={v}");
        }
        let string = |id: u64| String::from_utf8_lossy(trace.tables.strings.get(&id).copied().unwrap_or(b"")).into_owned();
        let a = e.raw_args;
        match e.typ {
            spec::ev::STW_START => {
                let kind = match (ver, a[0]) {
                    (..=20, 0) => "mark termination",
                    (..=20, 1) => "sweep termination",
                    (21, 0) => "unknown",
                    (21, 6) => "all goroutines stack trace",
                    (21, k) if (k as usize) < spec::STW_REASONS.len() => spec::STW_REASONS[k as usize],
                    _ => "unknown",
                };
                let _ = write!(out, " kind={kind}");
            }
            spec::ev::GO_START_LABEL => {
                let _ = write!(out, " label={}", string(a[2]));
            }
            spec::ev::USER_TASK_CREATE | spec::ev::USER_REGION => {
                let _ = write!(out, " name={}", string(a[2]));
            }
            spec::ev::USER_LOG => {
                let msg = trace.tables.inline_strings.get(a[3] as usize).copied().unwrap_or(b"");
                let _ = write!(out, " category={} message={}", string(a[1]), String::from_utf8_lossy(msg));
            }
            _ => {}
        }
        out.push('\n');
    })?;
    Ok(out)
}

/// One old-format event as Go 1.21 parsed it: what a line of [`go121_dump`]
/// shows, without its string arguments.
#[derive(Debug, Clone, Copy)]
pub struct Go121Event {
    /// Nanoseconds from the first event.
    pub ts: i64,
    /// The event type ([`spec::ev`]).
    pub typ: spec::EventType,
    /// Go 1.21's name of the type.
    pub name: &'static str,
    /// The P, or a fake one ([`spec::fake_p`]).
    pub p: i32,
    /// 0 for GC and stop-the-world events, as Go 1.21 prints them.
    pub g: u64,
    /// Where the event starts in the input.
    pub off: u32,
    /// The arguments Go 1.21 names, in the order of `arg_names`.
    pub args: [u64; 4],
    /// Go 1.21's names of the arguments.
    pub arg_names: &'static [&'static str],
    /// The arguments as parsed (a CPU sample's differ from what is printed).
    raw_args: [u64; 4],
}

impl Go121Event {
    /// The first argument called `name`, if the type has one.
    pub fn arg(&self, name: &str) -> Option<u64> {
        self.arg_names.iter().position(|n| *n == name).map(|i| self.args[i])
    }
}

/// Every event of an old-format trace (any header from `go 1.5` to `go 1.21`)
/// as Go 1.21 parsed it, in [`go121_dump`]'s order, without building its text.
pub fn go121_each(data: &[u8], mut f: impl FnMut(&Go121Event)) -> Result<(), Error> {
    visit_go121(data, |e, _, _| f(e))
}

fn visit_go121(data: &[u8], mut f: impl FnMut(&Go121Event, &parse::Trace<'_>, u32)) -> Result<(), Error> {
    let (version, start) = read_header(data)?;
    if !version.is_old_format() {
        return Err(Error::new(format!("go 1.{} is not an old-format trace", version.minor())));
    }
    let ver = version.minor();
    let trace = parse::parse(data, start, ver, true)?;
    for e in trace.events.iter() {
        let g = match e.typ {
            spec::ev::STW_START | spec::ev::STW_DONE | spec::ev::GC_START | spec::ev::GC_DONE => 0,
            _ => e.g,
        };
        let args = if e.typ == spec::ev::CPU_SAMPLE { [0, e.p as i64 as u64, e.g, 0] } else { e.args };
        let event = Go121Event {
            ts: e.ts,
            typ: e.typ,
            name: spec::go121_name(e.typ),
            p: e.p,
            g,
            off: e.off,
            args,
            arg_names: spec::SPECS[e.typ as usize].args,
            raw_args: e.args,
        };
        f(&event, &trace, ver);
    }
    Ok(())
}
