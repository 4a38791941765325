//! Arbitrary bytes straight into `gotrace::Reader` (header included).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::read_all(data);
});
