//! `schedstat dump`: the event stream, byte for byte as `go tool trace -d=parsed`.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::input::{open_trace, streaming_reader};
use crate::{report_read_error, Outcome};

/// Prints every event, then stops at the first error like Go does.
pub fn run(path: &Path) -> Result<Outcome, Box<dyn std::error::Error>> {
    let bytes = open_trace(path)?;
    let Some(mut reader) = streaming_reader(path, &bytes, None) else {
        return Ok(Outcome::Unreadable);
    };
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let res = loop {
        match reader.read_event() {
            Ok(Some(ev)) => ev.write_parsed(&mut out).and_then(|_| out.write_all(b"\n"))?,
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    out.flush()?;
    match res {
        Ok(()) => Ok(Outcome::Ok),
        Err(e) => Ok(report_read_error(path, &reader, &e)),
    }
}
