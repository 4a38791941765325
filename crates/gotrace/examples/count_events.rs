//! Reads every event of a trace and prints, as one JSON line, how many and how
//! fast: the same measurement testdata/goreader makes of Go's reader (file
//! loaded first, only parsing timed), for scripts/bench.py.
//!
//! Usage: cargo run --release -p gotrace --example count_events -- FILE.trace

use std::time::Instant;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: count_events FILE.trace");
        std::process::exit(2);
    };
    let data = match std::fs::read(&path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("count_events: {path}: {e}");
            std::process::exit(1);
        }
    };
    let start = Instant::now();
    let mut events: u64 = 0;
    let result = gotrace::Reader::new(&data).and_then(|mut r| {
        while r.read_event()?.is_some() {
            events += 1;
        }
        Ok(())
    });
    let secs = start.elapsed().as_secs_f64();
    if let Err(e) = result {
        eprintln!("count_events: {path}: after {events} events: {e}");
        std::process::exit(1);
    }
    println!(
        "{{\"file\":\"{path}\",\"bytes\":{},\"events\":{events},\"seconds\":{secs},\"events_per_sec\":{}}}",
        data.len(),
        events as f64 / secs
    );
}
