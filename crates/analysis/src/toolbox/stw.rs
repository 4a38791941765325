//! `schedstat stw`: each stop-the-world range split into its parts, with the
//! CPU-profile samples that arrived during it, as unstoppable (the Go Tracing
//! Toolbox) finds them.
//!
//! A trace marks when a stop-the-world is requested and when it ends, but not
//! when the world was actually stopped or when it started again; unstoppable
//! infers them from procs, and so do we:
//! - **pre-stop**: from the request (the range's begin) until only one proc
//!   is still running (the last time that happens before the restart, since
//!   procs not seen yet may still report in);
//! - **stopped**: from then until some proc runs again (or the range ends);
//! - **post-stop**: from then until the range ends.
//!
//! CPU samples that arrive in a part tell what held the world up (a slow
//! stop is usually a goroutine in a tight loop that could not be preempted,
//! or a long syscall). A part that was never seen counts from time 0, as in
//! unstoppable, so such ranges stand out in the output.

use gotrace::{Event, EventKind, ProcState, RangeName, Transition};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::profile::Frame;

/// A CPU-profile sample inside a part of a stop-the-world.
#[derive(Debug, Clone, Serialize)]
pub struct StwSample {
    /// `pre-stop`, `stopped` or `post-stop`.
    pub phase: &'static str,
    /// Sample time (ns).
    pub time_ns: i64,
    /// Time since the part began (ns).
    pub offset_ns: i64,
    /// The goroutine the sample interrupted (-1: none).
    pub g: i64,
    /// The sampled stack, leaf first.
    pub frames: Vec<Frame>,
}

/// One stop-the-world range and its parts (times in ns on the trace clock; 0
/// where a part boundary was never seen, as unstoppable counts it).
#[derive(Debug, Clone, Serialize)]
pub struct StwRange {
    /// The range's name (`stop-the-world (GC mark termination)`, ...).
    pub name: String,
    /// When it was requested (the range's begin).
    pub request_ns: i64,
    /// When the world was (last) seen stopped: one proc left running.
    pub stopped_ns: i64,
    /// When a proc ran again after that (or the range's end).
    pub resume_ns: i64,
    /// The range's end.
    pub end_ns: i64,
    /// Request time from the trace's first event, in ns.
    pub at_ns: i64,
    /// Every CPU sample between the request and the end (the summary's count).
    pub samples_total: usize,
    /// The samples counted in a part (after `grace`), in time order per part.
    pub samples: Vec<StwSample>,
}

impl StwRange {
    /// unstoppable's summary line: `STW @0.420s: 0+0.016+0 ms clock, 0 samples`
    /// (the parts in ms, `%.3g`, each truncated to whole microseconds first).
    pub fn summary(&self) -> String {
        let ms = |a: i64, b: i64| go_g3((b.wrapping_sub(a) / 1000) as f64 / 1000.0);
        format!(
            "STW @{:.3}s: {}+{}+{} ms clock, {} samples",
            go_seconds(self.at_ns),
            ms(self.request_ns, self.stopped_ns),
            ms(self.stopped_ns, self.resume_ns),
            ms(self.resume_ns, self.end_ns),
            self.samples_total
        )
    }
}

/// Why the stop-the-world ranges could not be followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StwError(pub String);

impl std::fmt::Display for StwError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StwError {}

/// A sample held until its range ends.
#[derive(Debug, Clone)]
struct Pending {
    time: i64,
    g: i64,
    frames: Vec<Frame>,
}

/// Follows procs and stop-the-world ranges over the event stream.
#[derive(Debug, Default)]
pub struct StwFinder {
    grace_ns: i64,
    first: Option<i64>,
    /// Procs in an executing state.
    active: std::collections::HashSet<i64>,
    request: Option<(i64, String)>,
    stopped: Option<i64>,
    resume: Option<i64>,
    pending: Vec<Pending>,
    ranges: Vec<StwRange>,
}

fn is_stw(ev: &Event<'_>) -> Option<String> {
    let r = ev.range()?;
    let name = match r.name {
        RangeName::StopTheWorld(_) => r.name.to_bytes(),
        _ => return None,
    };
    let name = String::from_utf8_lossy(&name).into_owned();
    // unstoppable: the name's first word is "stop-the-world".
    (name.split(' ').next() == Some("stop-the-world")).then_some(name)
}

impl StwFinder {
    /// A finder that ignores samples arriving less than `grace_ns` into a part.
    pub fn new(grace_ns: i64) -> StwFinder {
        StwFinder { grace_ns, ..Default::default() }
    }

    /// Takes one event; errors when a stop-the-world begins inside another
    /// (unstoppable refuses such traces too).
    pub fn event(&mut self, ev: &Event<'_>) -> Result<(), StwError> {
        self.first.get_or_insert(ev.time());
        match ev.kind() {
            EventKind::StateTransition => {
                let Some(Transition::Proc { id, to, .. }) = ev.state_transition().map(|s| s.transition) else {
                    return Ok(());
                };
                let executing = to == ProcState::Running;
                if executing {
                    self.active.insert(id);
                } else {
                    self.active.remove(&id);
                }
                if self.request.is_some() && self.resume.is_none() {
                    if !executing && self.active.len() == 1 {
                        self.stopped = Some(ev.time());
                    }
                    if self.stopped.is_some() && executing {
                        self.resume = Some(ev.time());
                    }
                }
            }
            EventKind::RangeBegin => {
                if let Some(name) = is_stw(ev) {
                    if let Some((t, had)) = &self.request {
                        return Err(StwError(format!(
                            "stop-the-world {name:?} begins at {} while {had:?} (begun at {t}) is still active",
                            ev.time()
                        )));
                    }
                    self.request = Some((ev.time(), name));
                    if self.active.len() == 1 {
                        self.stopped = Some(ev.time());
                    }
                }
            }
            EventKind::RangeEnd => {
                if let Some(end_name) = is_stw(ev) {
                    self.end_range(ev.time(), end_name);
                }
            }
            EventKind::StackSample => {
                if self.request.is_some() {
                    let frames = ev.stack().frames().map(|f| Frame::of(&f)).collect();
                    self.pending.push(Pending { time: ev.time(), g: ev.goroutine(), frames });
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn end_range(&mut self, end: i64, end_name: String) {
        let resume = *self.resume.get_or_insert(end);
        let (request, name) = self.request.take().unwrap_or((0, end_name));
        let stopped = self.stopped.unwrap_or(0);
        let mut samples = Vec::new();
        for (phase, start, stop) in [("pre-stop", request, stopped), ("stopped", stopped, resume), ("post-stop", resume, end)] {
            for s in &self.pending {
                if s.time < start {
                    continue;
                }
                if s.time >= stop {
                    break;
                }
                let offset = s.time - start;
                if offset < self.grace_ns {
                    continue;
                }
                samples.push(StwSample { phase, time_ns: s.time, offset_ns: offset, g: s.g, frames: s.frames.clone() });
            }
        }
        self.ranges.push(StwRange {
            name,
            request_ns: request,
            stopped_ns: stopped,
            resume_ns: resume,
            end_ns: end,
            at_ns: request.wrapping_sub(self.first.unwrap_or(0)),
            samples_total: self.pending.len(),
            samples,
        });
        self.stopped = None;
        self.resume = None;
        self.pending.clear();
    }

    /// The ranges that ended, in order.
    pub fn finish(self) -> Vec<StwRange> {
        self.ranges
    }
}

/// The SHA-256 of the trace file in hex, which unstoppable attaches to every
/// sample of its profile (label `trace-sha256`) so profiles from many traces
/// can be merged and still traced back.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Go's `time.Duration(ns).Seconds()`.
fn go_seconds(ns: i64) -> f64 {
    (ns / 1_000_000_000) as f64 + (ns % 1_000_000_000) as f64 / 1e9
}

/// Go's `fmt.Sprintf("%.3g", x)`: three significant digits, trailing zeros
/// dropped, exponent form (`1.23e+03`) outside 1e-4 ≤ |x| < 1e3.
pub fn go_g3(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    let neg = x.is_sign_negative() && x != 0.0;
    let prec: i32 = 3;
    // Correctly rounded significant digits and exponent.
    let e = format!("{:.*e}", (prec - 1) as usize, x.abs());
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: Vec<u8> = mant.bytes().filter(|b| b.is_ascii_digit()).collect();
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    let nd = digits.len() as i32;
    let dp = if nd == 0 { 0 } else { exp + 1 };
    let mut eprec = prec;
    if eprec > nd && nd >= dp {
        eprec = nd;
    }
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let digit = |i: i32| -> char {
        if i >= 0 && i < nd {
            digits[i as usize] as char
        } else {
            '0'
        }
    };
    let x_exp = dp - 1;
    if x_exp < -4 || x_exp >= eprec {
        let p = prec.min(nd) - 1;
        out.push(digit(0));
        if p > 0 {
            out.push('.');
            for i in 1..=p {
                out.push(digit(i));
            }
        }
        let e = if nd == 0 { 0 } else { dp - 1 };
        out.push('e');
        out.push(if e < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", e.abs()));
        return out;
    }
    let p = if prec > dp { nd } else { prec };
    let decimals = (p - dp).max(0);
    if dp > 0 {
        for i in 0..dp {
            out.push(digit(i));
        }
    } else {
        out.push('0');
    }
    if decimals > 0 {
        out.push('.');
        for i in 0..decimals {
            out.push(digit(dp + i));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::go_g3;

    #[test]
    fn percent_g3_as_go() {
        for (x, s) in [
            (0.0, "0"),
            (0.029, "0.029"),
            (4.03, "4.03"),
            (0.848, "0.848"),
            (0.02, "0.02"),
            (12.345, "12.3"),
            (100.0, "100"),
            (120.0, "120"),
            (999.4, "999"),
            (999.6, "1e+03"),
            (1000.0, "1e+03"),
            (1234.5, "1.23e+03"),
            (0.0001, "0.0001"),
            (0.00001234, "1.23e-05"),
            (-2.5, "-2.5"),
            (1.0, "1"),
            (-1e9, "-1e+09"),
        ] {
            assert_eq!(go_g3(x), s, "{x}");
        }
    }
}
