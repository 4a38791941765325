//! `Display` for events: the line (and stack block) `go tool trace -d=parsed`
//! prints, byte for byte, so conformance with Go is a plain diff.

use std::fmt;
use std::io::{self, Write};

use crate::event::{Event, EventKind, Stack, Transition};
use crate::quote::GoQuoted;

impl fmt::Display for Event<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = Vec::with_capacity(128);
        self.write_parsed(&mut buf).map_err(|_| fmt::Error)?;
        f.write_str(&String::from_utf8_lossy(&buf))
    }
}

impl Event<'_> {
    /// Writes the event exactly as Go's `Event.String` does, raw bytes included
    /// (names that are not valid UTF-8 come out unchanged, as Go prints them).
    pub fn write_parsed<W: Write>(&self, f: &mut W) -> io::Result<()> {
        write!(f, "M={} P={} G={}", self.thread(), self.proc(), self.goroutine())?;
        let kind = self.kind();
        write!(f, " {} Time={}", kind, self.time())?;
        match kind {
            EventKind::Metric => {
                if let Some(m) = self.metric() {
                    write!(f, " Name={} Value=Value{{Uint64({})}}", GoQuoted(m.name.as_bytes()), m.value)?;
                }
            }
            EventKind::Label => {
                if let Some((label, res)) = self.label() {
                    write!(f, " Label={} Resource={}", GoQuoted(label), res)?;
                }
            }
            EventKind::RangeBegin | EventKind::RangeActive | EventKind::RangeEnd => {
                if let Some(r) = self.range() {
                    write!(f, " Name={} Scope={}", GoQuoted(&r.name.to_bytes()), r.scope)?;
                }
                if kind == EventKind::RangeEnd {
                    f.write_all(" Attributes=[".as_bytes())?;
                    for (i, (name, value)) in self.range_attributes().iter().enumerate() {
                        if i != 0 {
                            f.write_all(b" ")?;
                        }
                        write!(f, "{}=Value{{Uint64({value})}}", GoQuoted(name.as_bytes()))?;
                    }
                    f.write_all(b"]")?;
                }
            }
            EventKind::TaskBegin | EventKind::TaskEnd => {
                if let Some(t) = self.task() {
                    write!(f, " ID={} Parent={} Type={}", t.id, t.parent, GoQuoted(t.kind))?;
                }
            }
            EventKind::RegionBegin | EventKind::RegionEnd => {
                if let Some(r) = self.region() {
                    write!(f, " Task={} Type={}", r.task, GoQuoted(r.kind))?;
                }
            }
            EventKind::Log => {
                if let Some(l) = self.log() {
                    write!(
                        f,
                        " Task={} Category={} Message={}",
                        l.task,
                        GoQuoted(l.category),
                        GoQuoted(l.message)
                    )?;
                }
            }
            EventKind::StateTransition => {
                if let Some(s) = self.state_transition() {
                    match s.transition {
                        Transition::Goroutine { id, from, to } => {
                            write!(f, " GoID={id} {}->{}", from.as_str(), to.as_str())?
                        }
                        Transition::Proc { id, from, to } => {
                            write!(f, " ProcID={id} {}->{}", from.as_str(), to.as_str())?
                        }
                    }
                    write!(f, " Reason={}", GoQuoted(s.reason))?;
                    if !s.stack.is_none() {
                        f.write_all("\nTransitionStack=\n".as_bytes())?;
                        write_stack(f, &s.stack)?;
                    }
                }
            }
            EventKind::Experimental => {
                if let Some(x) = self.experimental() {
                    write!(f, " Name={} Args=[", x.name)?;
                    for (i, (name, value)) in x.args.iter().enumerate() {
                        if i != 0 {
                            f.write_all(", ".as_bytes())?;
                        }
                        // No experimental argument is a string today, so every value prints as a number.
                        write!(f, "{name}=Value{{Uint64({value})}}")?;
                    }
                    f.write_all(b"]")?;
                }
            }
            EventKind::Sync => {
                if let Some(s) = self.sync_info() {
                    write!(f, " N={}", s.n)?;
                    if let Some(c) = s.clock_snapshot {
                        write!(f, " Trace={} Mono={} Wall=", c.trace, c.mono)?;
                        crate::time::write_rfc3339_nano(f, c.wall_sec, c.wall_nsec)?;
                    }
                }
            }
            EventKind::StackSample | EventKind::Bad => {}
        }
        let stack = self.stack();
        if !stack.is_none() {
            f.write_all("\nStack=\n".as_bytes())?;
            write_stack(f, &stack)?;
        }
        Ok(())
    }
}

fn write_stack<W: Write>(f: &mut W, s: &Stack<'_, '_>) -> io::Result<()> {
    for fr in s.frames() {
        f.write_all(b"\t")?;
        f.write_all(fr.func)?;
        write!(f, " @ {:#x}\n\t\t", fr.pc)?;
        f.write_all(fr.file)?;
        writeln!(f, ":{}", fr.line)?;
    }
    Ok(())
}
