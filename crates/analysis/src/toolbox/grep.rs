//! `schedstat grep`: events as etgrep (the Go Tracing Toolbox) prints them,
//! filtered by goroutine, time and an [`EventMatch`] pattern.
//!
//! etgrep prints the first line of `golang.org/x/exp/trace`'s `Event.String`,
//! which differs from `go tool trace -d=parsed` (what [`gotrace::Event`]'s
//! `Display` reproduces) in two places: a state transition names its resource
//! first (`Resource=Goroutine(7) Reason="" GoID=7 Running->Waiting`), and a
//! Sync's wall clock is RFC 3339 to the second. Users diff etgrep outputs and
//! keep scripts over them, so [`write_line`] prints exactly etgrep's line.

use std::io::{self, Write};

use gotrace::quote::GoQuoted;
use gotrace::event::NO_GOROUTINE;
use gotrace::{Event, EventKind, GoId, Resource, Transition};

use super::pattern::EventMatch;

/// The goroutine etgrep files an event under (for `--goroutine` and
/// `--sort goroutine`): the running goroutine, or, for an event outside any
/// goroutine, the goroutine whose state changes.
pub fn event_goroutine(ev: &Event<'_>) -> GoId {
    let g = ev.goroutine();
    if g != NO_GOROUTINE {
        return g;
    }
    match ev.state_transition().map(|s| s.transition) {
        Some(Transition::Goroutine { id, .. }) => id,
        _ => g,
    }
}

/// Writes the event's line as etgrep prints it (no newline).
pub fn write_line<W: Write>(ev: &Event<'_>, f: &mut W) -> io::Result<()> {
    let kind = ev.kind();
    if !matches!(kind, EventKind::StateTransition | EventKind::Sync) {
        // Every other kind prints as `go tool trace -d=parsed` does: that
        // line up to its stack block.
        let mut buf = Vec::with_capacity(128);
        ev.write_parsed(&mut buf)?;
        let end = buf.iter().position(|&b| b == b'\n').unwrap_or(buf.len());
        return f.write_all(&buf[..end]);
    }
    write!(f, "M={} P={} G={} {} Time={}", ev.thread(), ev.proc(), ev.goroutine(), kind, ev.time())?;
    if let Some(s) = ev.state_transition() {
        let res = match s.transition {
            Transition::Goroutine { id, .. } => Resource::Goroutine(id),
            Transition::Proc { id, .. } => Resource::Proc(id),
        };
        write!(f, " Resource={res} Reason={}", GoQuoted(s.reason))?;
        match s.transition {
            Transition::Goroutine { id, from, to } => write!(f, " GoID={id} {}->{}", from.as_str(), to.as_str())?,
            Transition::Proc { id, from, to } => write!(f, " ProcID={id} {}->{}", from.as_str(), to.as_str())?,
        }
    }
    if let Some(s) = ev.sync_info() {
        write!(f, " N={}", s.n)?;
        if let Some(c) = s.clock_snapshot {
            write!(f, " Trace={} Mono={} Wall=", c.trace, c.mono)?;
            // time.Unix(sec, nsec).Format(time.RFC3339): whole seconds (in UTC here).
            let sec = c.wall_sec.saturating_add(c.wall_nsec.div_euclid(1_000_000_000));
            gotrace::time::write_rfc3339_nano(f, sec, 0)?;
        }
    }
    Ok(())
}

/// Writes the event's stack as etgrep's `-stacks` does: one line per frame,
/// leaf first, `  PC(hex) function file:line`.
pub fn write_stack<W: Write>(ev: &Event<'_>, f: &mut W) -> io::Result<()> {
    for fr in ev.stack().frames() {
        write!(f, "  {:x} ", fr.pc)?;
        f.write_all(fr.func)?;
        f.write_all(b" ")?;
        f.write_all(fr.file)?;
        writeln!(f, ":{}", fr.line)?;
    }
    Ok(())
}

/// etgrep's filters and output options.
#[derive(Debug, Clone, Default)]
pub struct Grep {
    /// Keep only events filed under this goroutine ([`event_goroutine`]).
    pub goroutine: Option<GoId>,
    /// Keep only events at exactly this time (ns, as printed).
    pub time: Option<i64>,
    /// The `--match` pattern.
    pub pattern: Option<EventMatch>,
    /// Print each event's stack under its line.
    pub stacks: bool,
}

impl Grep {
    /// Whether the event passes every filter.
    pub fn accepts(&self, ev: &Event<'_>) -> bool {
        if self.goroutine.is_some_and(|g| g != event_goroutine(ev)) {
            return false;
        }
        if self.time.is_some_and(|t| t != ev.time()) {
            return false;
        }
        if let Some(p) = self.pattern.as_ref().filter(|p| p.is_active()) {
            let stack = ev.stack();
            let funcs: Vec<&[u8]> = stack.frames().map(|f| f.func).collect();
            if !p.accepts(ev.kind(), &funcs) {
                return false;
            }
        }
        true
    }

    /// Appends the event's output (its line, a newline, and its stack when
    /// asked) to `out` if it passes the filters; returns whether it did.
    pub fn render(&self, ev: &Event<'_>, out: &mut Vec<u8>) -> bool {
        if !self.accepts(ev) {
            return false;
        }
        // Writing to a Vec cannot fail.
        let _ = write_line(ev, out);
        out.push(b'\n');
        if self.stacks {
            let _ = write_stack(ev, out);
        }
        true
    }
}

/// `--sort goroutine`: rendered events grouped by goroutine (ascending, events
/// without one first), in time order inside each group.
#[derive(Debug, Default)]
pub struct ByGoroutine {
    groups: std::collections::BTreeMap<GoId, Vec<u8>>,
}

impl ByGoroutine {
    /// Files one event's output under its goroutine, if it passes `grep`.
    pub fn add(&mut self, grep: &Grep, ev: &Event<'_>) {
        let g = event_goroutine(ev);
        let buf = self.groups.entry(g).or_default();
        grep.render(ev, buf);
    }

    /// Writes the groups, a blank line between two groups as etgrep does
    /// (etgrep tracks the previous goroutine with 0 as "none yet", so no blank
    /// line ever precedes a group of goroutine 0).
    pub fn write<W: Write>(&self, out: &mut W) -> io::Result<()> {
        let mut prev: GoId = 0;
        for (&g, text) in &self.groups {
            if text.is_empty() {
                continue;
            }
            if prev != g {
                if prev != 0 {
                    out.write_all(b"\n")?;
                }
                prev = g;
            }
            out.write_all(text)?;
        }
        Ok(())
    }
}
