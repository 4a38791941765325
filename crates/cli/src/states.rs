//! `schedstat states`: the goroutine state-machine graph (grstates) as DOT,
//! SVG (through Graphviz's `dot`) or JSON; built by
//! `analysis::toolbox::states`, written by `export::dot`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use analysis::toolbox::states::StateBuilder;

use crate::input::read_events;
use crate::Outcome;

/// Clap help for the subcommand.
pub const AFTER_HELP: &str = "\
Examples:
  schedstat states trace.out --svg states.svg    draw it (needs Graphviz's dot)
  schedstat states trace.out --dot states.dot    the graph in DOT, for dot or xdot
  schedstat states trace.out > states.dot        DOT on stdout when no output is named
  schedstat states --json trace.out | jq '.edges | sort_by(-.count) | .[0]'

A node is a goroutine state and the stack the goroutine entered it with; an
edge counts transitions from one node to the next (line width grows with the
count). Goroutines start at \"New goroutine\" nodes and end at EXIT. As grstates
(the Go Tracing Toolbox): preemptions, GC-assist stacks (runtime.mallocgc) and
stacks hidden by go.dev/issue/68090 are left out; transitions without a stack
only shape the next edge. The DOT equals grstates's graph: same node IDs
(SHA-256 of the label), counts and order.

--svg runs `dot -T svg` (Graphviz; Debian/Ubuntu: apt-get install graphviz).
Exit codes: 0 ok; 1 the trace could not be read; 2 usage or file error (also
--svg without `dot` on PATH, checked before reading); 3 the trace is damaged
(the graph covers the events before the damage); 4 `dot` failed.";

/// What to write.
pub struct StatesArgs {
    /// The trace file.
    pub trace: PathBuf,
    /// DOT output (`-`: stdout).
    pub dot: Option<PathBuf>,
    /// SVG output.
    pub svg: Option<PathBuf>,
    /// JSON on stdout.
    pub json: bool,
}

/// Whether a program is on PATH.
fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
        .unwrap_or(false)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
    if path == Path::new("-") {
        let mut out = std::io::stdout().lock();
        out.write_all(bytes)?;
        out.flush()?;
        return Ok(());
    }
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()).into())
}

/// Runs the command.
pub fn run(a: &StatesArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    if a.svg.is_some() && !on_path("dot") {
        eprintln!(
            "schedstat: error: --svg needs Graphviz's `dot` on PATH (Debian/Ubuntu: apt-get install graphviz); --dot FILE writes the graph to render elsewhere"
        );
        return Ok(Outcome::FileError);
    }
    let mut b = StateBuilder::new();
    let Some(read) = read_events(&a.trace, |ev| b.event(ev))? else {
        return Ok(Outcome::Unreadable);
    };
    let graph = b.finish();
    let mut dot = Vec::new();
    export::dot::write_states(&graph, &mut dot)?;
    if a.json {
        let mut s = serde_json::to_string_pretty(&graph)?;
        s.push('\n');
        write_file(Path::new("-"), s.as_bytes())?;
    }
    if let Some(p) = &a.dot {
        write_file(p, &dot)?;
    }
    if let Some(p) = &a.svg {
        let mut child = Command::new("dot")
            .args(["-T", "svg"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("running dot: {e}"))?;
        let mut stdin = child.stdin.take().expect("piped");
        let writer = std::thread::spawn(move || stdin.write_all(&dot));
        let out = child.wait_with_output()?;
        let _ = writer.join();
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            eprintln!("schedstat: error: dot -T svg failed ({}): {}", out.status, err.lines().next().unwrap_or(""));
            return Ok(Outcome::Failed);
        }
        let svg = export::dot::massage_svg(&String::from_utf8_lossy(&out.stdout));
        write_file(p, svg.as_bytes())?;
    }
    if a.dot.is_none() && a.svg.is_none() && !a.json {
        let mut d = Vec::new();
        export::dot::write_states(&graph, &mut d)?;
        write_file(Path::new("-"), &d)?;
    }
    Ok(read.outcome)
}
