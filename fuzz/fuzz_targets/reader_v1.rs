//! The old (Go ≤ 1.21) format: a header chosen by the first input byte, then
//! the rest of the input, so the fuzzer's time goes to the old parser's batch
//! index, merge, checks and conversion rather than to headers.
//!
//! Seeds are real old-format traces with their 16-byte header replaced by one
//! selector byte (the index into `HEADERS`); see scripts/fuzz.sh.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

const HEADERS: [&[u8; 16]; 8] = [
    b"go 1.11 trace\0\0\0",
    b"go 1.19 trace\0\0\0",
    b"go 1.21 trace\0\0\0",
    b"go 1.5 trace\0\0\0\0",
    b"go 1.7 trace\0\0\0\0",
    b"go 1.8 trace\0\0\0\0",
    b"go 1.9 trace\0\0\0\0",
    b"go 1.10 trace\0\0\0",
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else { return };
    let mut buf = Vec::with_capacity(16 + body.len());
    buf.extend_from_slice(HEADERS[usize::from(sel) % HEADERS.len()]);
    buf.extend_from_slice(body);
    common::read_all(&buf);
});
