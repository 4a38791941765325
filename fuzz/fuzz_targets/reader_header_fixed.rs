//! A valid header chosen by the first input byte, then the rest of the input,
//! so the fuzzer spends its time in batches and events rather than the header.
//!
//! Seeds are real traces with their 16-byte header replaced by one selector
//! byte (0 = go 1.22, 1 = go 1.23, 2 = go 1.25, 3 = go 1.26); see scripts/fuzz.sh.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

const HEADERS: [&[u8; 16]; 4] =
    [b"go 1.22 trace\0\0\0", b"go 1.23 trace\0\0\0", b"go 1.25 trace\0\0\0", b"go 1.26 trace\0\0\0"];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else { return };
    let mut buf = Vec::with_capacity(16 + body.len());
    buf.extend_from_slice(HEADERS[usize::from(sel % 4)]);
    buf.extend_from_slice(body);
    common::read_all(&buf);
});
