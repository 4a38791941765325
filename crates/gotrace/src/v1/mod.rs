//! The old trace format of Go 1.11–1.21 (headers `go 1.11`, `go 1.19`,
//! `go 1.21`), read into the same [`Event`] model as the partitioned format,
//! so nothing above the reader knows which format it read.
//!
//! Layered as Go keeps it (`internal/trace/internal/tracev1` and
//! `internal/trace/tracev1.go`):
//! - [`spec`]: the old event table (data);
//! - `parse`: batch index, string and stack tables, the merge of the per-P
//!   batches into one valid order, and Go's whole-trace checks;
//! - `convert`: old events to new ones, one at a time.
//!
//! The old format is not partitioned: the whole trace must be indexed and
//! merged before its first event is known (as Go does), so the events are held
//! in memory, 40 bytes each; strings and stacks stay in the input.

mod convert;
mod parse;
pub mod spec;

use crate::event::Event;
use crate::Error;

/// An old-format trace as a stream of events, framed by two Sync events like
/// Go's reader frames it (one generation).
pub(crate) struct Stream<'a> {
    conv: convert::Converter<'a>,
    syncs: u64,
    done: bool,
}

impl<'a> Stream<'a> {
    /// Parses and checks the whole trace; the header of minor version `ver` ends at `start`.
    pub fn open(data: &'a [u8], start: usize, ver: u32) -> Result<Self, Error> {
        let trace = parse::parse(data, start, ver)?;
        Ok(Stream { conv: convert::Converter::new(trace, ver)?, syncs: 0, done: false })
    }

    /// The next event; `Ok(None)` after the closing Sync.
    pub fn next(&mut self) -> Result<Option<Event<'a>>, Error> {
        if self.done {
            return Ok(None);
        }
        if self.syncs == 0 {
            if let Some(t) = self.conv.peek_time() {
                self.syncs = 1;
                return Ok(Some(Event::sync(Some(self.conv.table()), t - 1, 1)));
            }
        }
        match self.conv.next()? {
            Some(e) => Ok(Some(e)),
            None => {
                self.done = true;
                self.syncs += 1;
                Ok(Some(Event::sync(None, self.conv.last_ts + 1, self.syncs)))
            }
        }
    }

    /// Whether the closing Sync has been handed out.
    pub fn is_done(&self) -> bool {
        self.done
    }
}
