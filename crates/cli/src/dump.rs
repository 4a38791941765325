//! `schedstat dump`: the event stream, byte for byte as `go tool trace -d=parsed`.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::input::{explain, open_trace};
use crate::{report_read_error, Outcome};

/// Prints every event, then stops at the first error like Go does.
pub fn run(path: &Path) -> Result<Outcome, Box<dyn std::error::Error>> {
    let bytes = open_trace(path)?;
    let mut reader = match gotrace::Reader::new(bytes.as_slice()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("schedstat: error: {}: {}", path.display(), explain(&e));
            return Ok(Outcome::Unreadable);
        }
    };
    reader.on_generation_done(|upto| bytes.release_before(upto));
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let res = loop {
        match reader.read_event() {
            Ok(Some(ev)) => {
                let w = ev.write_parsed(&mut out).and_then(|_| out.write_all(b"\n"));
                if let Err(e) = w {
                    if e.kind() == io::ErrorKind::BrokenPipe {
                        return Ok(Outcome::Ok);
                    }
                    return Err(e.into());
                }
            }
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    match out.flush() {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(Outcome::Ok),
        r => r?,
    }
    match res {
        Ok(()) => Ok(Outcome::Ok),
        Err(e) => Ok(report_read_error(path, &reader, &e)),
    }
}
