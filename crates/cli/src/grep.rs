//! `schedstat grep`: the events of a trace as etgrep (the Go Tracing
//! Toolbox) prints them, filtered by goroutine, time and a stack pattern
//! (`analysis::toolbox::grep`, `analysis::toolbox::pattern`).

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use analysis::toolbox::grep::{event_goroutine, ByGoroutine, Grep};
use analysis::toolbox::pattern::EventMatch;
use serde_json::json;

use crate::input::{open_trace, streaming_reader};
use crate::{report_read_error, Outcome};

/// Clap help for the subcommand.
pub const AFTER_HELP: &str = "\
Examples:
  schedstat grep trace.out                              every event, one line each
  schedstat grep --goroutine 42 --stacks trace.out      one goroutine's events with stacks
  schedstat grep --sort goroutine trace.out             grouped by goroutine
  schedstat grep --time 1140829729344 trace.out         the event(s) at that time
  schedstat grep --match 'StateTransition \"net/http...conn..serve\" \"ServeHTTP\" \"**\" \"sync...Mutex..Lock\"' trace.out
                                       HTTP handlers waiting for a mutex
  schedstat grep --match 'Any \"**\" \"runtime.mallocgc\" \"**\"' --stacks trace.out
  schedstat grep --json --goroutine 7 trace.out | jq -r .line

Lines are etgrep's (the first line of golang.org/x/exp/trace's Event.String):
`M=<thread> P=<proc> G=<goroutine> <Kind> Time=<ns>` and the kind's fields.
--stacks adds the event's stack, leaf first: `  <pc hex> <function> <file>:<line>`.

--match 'KIND \"SPEC\" \"SPEC\" ...': KIND is an event kind (Sync, Metric, Label,
StackSample, RangeBegin, RangeActive, RangeEnd, TaskBegin, TaskEnd, RegionBegin,
RegionEnd, Log, StateTransition, Experimental) or Any. Each SPEC (a Go string:
\"double quoted\" or `back quoted`) matches ONE stack frame, from the goroutine's
root to the leaf: a regular expression (Go/RE2 syntax, unanchored: use ^...$;
`.` stands in for `(*` and `)`), or \"**\" for any number of frames (at the end:
at least one). The whole stack must be consumed. Matching uses the stack of the
goroutine running the event. As in etgrep, a KIND without specs keeps only
events without a stack (`KIND \"**\"` keeps all of that kind), and a lone `Any`
keeps everything. A goroutine or time of 0 means no filter, as in etgrep.
Events without a goroutine are filed under the goroutine whose state changes.

Exit codes: 0 ok; 1 the trace could not be read; 2 usage or file error (a bad
--match names the bad token and its column); 3 the trace is damaged (events
before the damage are printed).";

/// How to order the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Sort {
    /// Trace order, streamed.
    Time,
    /// Grouped by goroutine (ascending; events of none first), a blank line between groups.
    Goroutine,
}

/// What to print.
pub struct GrepArgs {
    /// The trace file.
    pub trace: PathBuf,
    /// Print stacks.
    pub stacks: bool,
    /// Goroutine filter (0: none).
    pub goroutine: i64,
    /// Time filter (0: none).
    pub time: i64,
    /// Order.
    pub sort: Sort,
    /// The `--match` text.
    pub pattern: Option<String>,
    /// JSON lines instead of text.
    pub json: bool,
}

/// Runs the command.
pub fn run(a: &GrepArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    let pattern = match &a.pattern {
        Some(text) => match EventMatch::parse(text) {
            Ok(p) => Some(p),
            Err(e) => {
                eprintln!("schedstat: error: --match: {}", e.render(text));
                return Ok(Outcome::FileError);
            }
        },
        None => None,
    };
    let grep = Grep {
        goroutine: (a.goroutine != 0).then_some(a.goroutine),
        time: (a.time != 0).then_some(a.time),
        pattern,
        stacks: a.stacks,
    };
    let bytes = open_trace(&a.trace)?;
    let Some(mut reader) = streaming_reader(&a.trace, &bytes, None) else {
        return Ok(Outcome::Unreadable);
    };
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut grouped = ByGoroutine::default();
    let mut buf = Vec::with_capacity(4096);
    let res = loop {
        match reader.read_event() {
            Ok(Some(ev)) => {
                if a.json {
                    if grep.accepts(&ev) {
                        buf.clear();
                        analysis::toolbox::grep::write_line(&ev, &mut buf)?;
                        let stack: Vec<_> = ev
                            .stack()
                            .frames()
                            .map(|f| {
                                json!({"pc": f.pc, "func": String::from_utf8_lossy(f.func),
                                       "file": String::from_utf8_lossy(f.file), "line": f.line})
                            })
                            .collect();
                        let doc = json!({
                            "time": ev.time(), "kind": ev.kind().as_str(),
                            "m": ev.thread(), "p": ev.proc(), "g": ev.goroutine(),
                            "goroutine": event_goroutine(&ev),
                            "line": String::from_utf8_lossy(&buf), "stack": stack,
                        });
                        serde_json::to_writer(&mut out, &doc)?;
                        out.write_all(b"\n")?;
                    }
                } else if a.sort == Sort::Time {
                    buf.clear();
                    if grep.render(&ev, &mut buf) {
                        out.write_all(&buf)?;
                    }
                } else {
                    grouped.add(&grep, &ev);
                }
            }
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    if !a.json && a.sort == Sort::Goroutine {
        grouped.write(&mut out)?;
    }
    out.flush()?;
    match res {
        Ok(()) => Ok(Outcome::Ok),
        Err(e) => Ok(report_read_error(&a.trace, &reader, &e)),
    }
}
