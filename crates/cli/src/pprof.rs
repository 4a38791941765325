//! `schedstat pprof {net|sync|syscall|sched} TRACE`: the blocking profiles of
//! `go tool trace -pprof=TYPE`, with the same per-stack counts and delays
//! (see `analysis::profile` for what counts and why), as a pprof file
//! (`-o FILE`), as JSON (`--json`), or as a top-N table in the terminal.

use std::io::Write;
use std::path::{Path, PathBuf};

use analysis::profile::{Profile, ProfileBuilder, ProfileKind, StackTotal};

use crate::goroutines::emit;
use crate::input::read_events;
use crate::render::stack;
use crate::render::text::dur;
use crate::Outcome;

/// What the user asked for.
pub struct PprofArgs {
    /// Which profile.
    pub kind: ProfileKind,
    /// The trace file.
    pub trace: PathBuf,
    /// Where to write the gzipped profile (`-` for stdout).
    pub output: Option<PathBuf>,
    /// JSON on stdout.
    pub json: bool,
    /// Rows in the terminal table.
    pub top: usize,
    /// Every frame under each row.
    pub full_stacks: bool,
}

/// A failure that is the user's to fix (exit code 2), worded for them.
#[derive(Debug)]
struct UsageError(String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Builds the profile in one pass over the trace and writes or prints it.
pub fn run(a: &PprofArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    // Fail before the (possibly long) read when the output cannot be written.
    if let Some(out) = a.output.as_deref().filter(|o| *o != Path::new("-")) {
        check_output(out)?;
    }
    let mut b = ProfileBuilder::new(a.kind);
    let Some(outcome) = read_events(&a.trace, |ev| b.event(ev))?.map(|r| r.outcome) else {
        return Ok(Outcome::Unreadable);
    };
    let profile = b.finish();
    if let Some(out) = &a.output {
        let data = export::pprof::encode(&profile);
        if out == Path::new("-") {
            let mut so = std::io::stdout().lock();
            so.write_all(&data)?;
            so.flush()?;
        } else {
            write_atomically(out, &data)?;
            eprintln!(
                "schedstat: wrote the {} profile of {} ({} stacks, {} intervals, {} total) to {}",
                a.kind,
                a.trace.display(),
                profile.stacks.len(),
                profile.total_count(),
                dur(profile.total_delay_ns() as f64),
                out.display()
            );
        }
    }
    if a.json {
        let doc = serde_json::json!({
            "file": a.trace.display().to_string(),
            "type": a.kind,
            "complete": matches!(outcome, Outcome::Ok),
            "sample_types": ["contentions/count", "delay/nanoseconds"],
            "stacks_count": profile.stacks.len(),
            "total_count": profile.total_count(),
            "total_delay_ns": profile.total_delay_ns(),
            "stacks": profile.stacks,
        });
        emit(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
    } else if a.output.is_none() {
        emit(&table(&profile, &a.trace, a.top, a.full_stacks))?;
    }
    Ok(outcome)
}

/// Checks that `out` names a file in an existing directory.
fn check_output(out: &Path) -> Result<(), UsageError> {
    if out.is_dir() {
        return Err(UsageError(format!("{}: is a directory; give a file name such as sync.pb.gz", out.display())));
    }
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(UsageError(format!("{}: no such directory {}", out.display(), dir.display())));
    }
    Ok(())
}

/// Writes `data` to a temporary file beside `out` and renames it over `out`,
/// so a reader never sees a partial profile and a failure leaves nothing.
fn write_atomically(out: &Path, data: &[u8]) -> Result<(), UsageError> {
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let fail = |what: &str, e: std::io::Error| {
        let _ = std::fs::remove_file(&tmp);
        UsageError(format!("{}: cannot {what}: {e}", out.display()))
    };
    let mut f = std::fs::File::create(&tmp).map_err(|e| fail("create", e))?;
    f.write_all(data).map_err(|e| fail("write", e))?;
    f.sync_all().map_err(|e| fail("write", e))?;
    drop(f);
    std::fs::rename(&tmp, out).map_err(|e| fail("write", e))
}

/// A row's stack in a few words: the application path from entry to the
/// call that blocked, ending with the blocking call itself (`sync.Mutex.Lock`,
/// `chanrecv1`) when that is a runtime or library frame.
fn label(s: &StackTotal, max: usize) -> String {
    let funcs: Vec<String> = s.frames.iter().map(|f| f.func.clone()).collect();
    let Some(leaf) = funcs.first() else { return "(no stack)".into() };
    if stack::is_app_frame(leaf) || !funcs[1..].iter().any(|f| stack::is_app_frame(f)) {
        return stack::path(&funcs, max);
    }
    let leaf = stack::short_name(leaf);
    let room = max.saturating_sub(leaf.len() + 5);
    format!("{} → {leaf}", stack::path(&funcs[1..], room))
}

/// The terminal table: the `top` stacks by total delay.
fn table(p: &Profile, trace: &Path, top: usize, full: bool) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let total = p.total_delay_ns();
    let what = match p.kind {
        ProfileKind::Net => "blocked on the network",
        ProfileKind::Sync => "blocked on synchronization (channels, select, sync)",
        ProfileKind::Syscall => "in system calls",
        ProfileKind::Sched => "runnable but not running (charged to what made them runnable)",
    };
    let _ = writeln!(o, "{} profile: time goroutines spent {what}", p.kind);
    let _ = writeln!(
        o,
        "{}: {} intervals, {} in total, {} stacks (as go tool trace -pprof={})",
        trace.display(),
        p.total_count(),
        dur(total as f64),
        p.stacks.len(),
        p.kind
    );
    if p.stacks.is_empty() {
        return o;
    }
    let _ = writeln!(o, "\n{:>9} {:>6} {:>7} {:>9}  STACK", "DELAY", "%", "COUNT", "MEAN");
    for s in p.stacks.iter().take(top) {
        let pct = if total > 0 { s.delay_ns as f64 * 100.0 / total as f64 } else { 0.0 };
        let mean = s.delay_ns as f64 / s.count.max(1) as f64;
        let _ = writeln!(
            o,
            "{:>9} {:>5.1}% {:>7} {:>9}  {}",
            dur(s.delay_ns as f64),
            pct,
            s.count,
            dur(mean),
            label(s, 100 - 36)
        );
        if full {
            for f in &s.frames {
                let file = f.file.rsplit('/').next().unwrap_or(&f.file);
                let _ = writeln!(o, "{:38}{} ({file}:{})", "", f.func, f.line);
            }
        }
    }
    let rest = p.stacks.len().saturating_sub(top);
    if rest > 0 {
        let rest_ns: i64 = p.stacks.iter().skip(top).map(|s| s.delay_ns).sum();
        let _ = writeln!(o, "… {rest} more stacks ({}); -n N shows more", dur(rest_ns as f64));
    }
    let _ = writeln!(
        o,
        "\nWrite the profile with -o FILE and open it with `go tool pprof -top FILE`."
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use analysis::profile::Frame;

    fn st(funcs: &[&str]) -> StackTotal {
        let frames = funcs
            .iter()
            .map(|f| Frame { pc: 1, func: f.to_string(), file: "x.go".into(), line: 1 })
            .collect();
        StackTotal { frames, count: 1, delay_ns: 1 }
    }

    #[test]
    fn labels_end_with_the_blocking_call() {
        let s = st(&["sync.(*Mutex).Lock", "main.contendedLock", "main.runMutex.func1.1"]);
        assert_eq!(label(&s, 80), "runMutex.func1.1 → contendedLock → (*Mutex).Lock");
        assert_eq!(label(&st(&["main.spin", "main.main"]), 80), "main → spin");
        assert_eq!(label(&st(&["runtime.gopark", "runtime.bgsweep"]), 80), "gopark");
        assert_eq!(label(&st(&[]), 80), "(no stack)");
    }
}
