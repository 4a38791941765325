//! A reader for Go execution traces (`runtime/trace`, `go test -trace`,
//! `/debug/pprof/trace`, flight recordings), written to give exactly the
//! events Go's own reader gives.
//!
//! Supported: the partitioned format of Go 1.22 and later (headers
//! `go 1.22 trace`, `go 1.23 trace` for Go 1.23 and 1.24, `go 1.25 trace`,
//! `go 1.26 trace` for Go 1.26 and 1.27), and the old format of Go 1.7–1.21
//! (`go 1.7` … `go 1.21`), converted into the same events as Go's reader
//! converts the 1.11–1.21 ones ([`v1`]). Go 1.5/1.6 traces, which carry no
//! symbols, are refused with a message saying they need the binary.
//!
//! The crate is layered like Go's `internal/trace`:
//! - [`wire`]: header, varints, batch framing and the per-version event
//!   tables (data, not code);
//! - generations: one generation's batches classified and its string, stack and
//!   CPU-sample tables built;
//! - ordering: the state machine that merges per-thread batches using the
//!   goroutine and proc sequence numbers, with Go's validation;
//! - [`Reader`] on top, yielding [`Event`]s whose `Display` is the line
//!   `go tool trace -d=parsed` prints.
//!
//! It does no I/O of its own (it reads a byte slice), knows nothing of SQL or
//! terminals, and builds for `wasm32-unknown-unknown`.

#![warn(missing_docs)]

mod display;
pub mod event;
mod generation;
pub mod goheap;
mod gtable;
mod order;
pub mod quote;
mod reader;
mod shared;
pub mod table;
pub mod time;
pub mod v1;
pub mod wire;

pub use event::{
    ClockSnapshot, Event, EventKind, Frame, GoId, GoState, Log, Metric, ProcId, ProcState, Range, RangeName,
    Region, Resource, SchedCtx, Stack, StateTransition, Sync, Task, TaskId, ThreadId, Transition,
};
pub use reader::Reader;
pub use wire::Version;

/// Why a trace could not be read (further).
///
/// The message is Go's wording where Go has one, so it can be compared with
/// `go tool trace`; [`Error::offset`] says where in the file the problem began
/// when that is known.
///
/// The details sit behind a box so that an `Error` is one pointer: every
/// internal `Result` on the per-event path then fits in registers.
#[derive(Clone, PartialEq, Eq)]
pub struct Error(Box<ErrorInner>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct ErrorInner {
    msg: String,
    offset: Option<usize>,
    truncated: bool,
    /// Met while indexing an old-format trace, which is read whole or not at all.
    old_format: bool,
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Error")
            .field("msg", &self.0.msg)
            .field("offset", &self.0.offset)
            .field("truncated", &self.0.truncated)
            .finish()
    }
}

impl Error {
    #[cold]
    pub(crate) fn new(msg: impl Into<String>) -> Self {
        Error(Box::new(ErrorInner { msg: msg.into(), offset: None, truncated: false, old_format: false }))
    }

    #[cold]
    pub(crate) fn truncated(msg: impl Into<String>) -> Self {
        Error(Box::new(ErrorInner { msg: msg.into(), offset: None, truncated: true, old_format: false }))
    }

    /// Marks an error of an old-format trace's whole-file indexing.
    pub(crate) fn in_old_format(mut self) -> Self {
        self.0.old_format = true;
        self
    }

    pub(crate) fn varint(e: wire::VarintError) -> Self {
        Error::new(e.to_string())
    }

    pub(crate) fn at(mut self, offset: usize) -> Self {
        if self.0.offset.is_none() {
            self.0.offset = Some(offset);
        }
        self
    }

    /// Go's message for the error.
    pub fn message(&self) -> &str {
        &self.0.msg
    }

    /// Byte offset of the generation or batch where reading failed, if known.
    pub fn offset(&self) -> Option<usize> {
        self.0.offset
    }

    /// True when the file simply ends early (a crashed process, a cut copy).
    pub fn is_truncation(&self) -> bool {
        self.0.truncated
    }

    /// The message with a hint for the two cases users meet most (a file that
    /// is not a trace, a trace cut short), so every front end (terminal, web
    /// page) says the same thing.
    pub fn explained(&self) -> String {
        let msg = self.message();
        if msg.starts_with("bad file format") {
            format!("{msg} (expected a file written by runtime/trace, e.g. `go test -trace=trace.out`)")
        } else if self.is_truncation() && self.0.old_format {
            format!(
                "{msg}: the file ends early (was the traced process killed, or the copy cut short?); \
                 an old-format trace (Go 1.21 or older) is only readable whole, as in Go, so none of it was read"
            )
        } else if self.is_truncation() && !msg.contains("truncated") {
            format!("{msg}: the file ends early (was the traced process killed, or the copy cut short?)")
        } else {
            msg.to_string()
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.msg)
    }
}

impl std::error::Error for Error {}
