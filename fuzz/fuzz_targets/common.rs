//! What both targets do with the bytes they are given.

use std::io;

/// Reads every event of `data` until the end or the first error, formatting
/// each one the way `go tool trace -d=parsed` does (into a sink), so the
/// display code is exercised on whatever the reader lets through.
pub fn read_all(data: &[u8]) {
    let mut r = match gotrace::Reader::new(data) {
        Ok(r) => r,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let mut sink = io::sink();
    loop {
        match r.read_event() {
            Ok(Some(ev)) => {
                ev.write_parsed(&mut sink).expect("writing to a sink cannot fail");
            }
            Ok(None) => {
                // A finished reader stays finished.
                assert!(matches!(r.read_event(), Ok(None)), "reader produced events after its end");
                break;
            }
            Err(e) => {
                let _ = (e.to_string(), e.offset(), e.is_truncation());
                // A failed reader keeps reporting its error.
                assert!(r.read_event().is_err(), "reader recovered after an error");
                break;
            }
        }
    }
    assert!(r.valid_bytes() <= data.len(), "valid_bytes past the end of the input");
}
