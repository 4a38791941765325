//! Stack paths: a stack shown as the application frames that matter, from
//! entry point to leaf (`main → traced → runStorm.func1 → launchStorm`),
//! dropping runtime and standard-library frames. The rules are dt/schedstat's,
//! so its users read the same paths. Also goroutine labels and the report's
//! duration format. Shared by the CLI's renderers, the page's wasm report
//! (labels are in the JSON) and `schedstat tui`.

/// Whether a frame belongs to the application rather than the runtime or the
/// standard library: not `runtime.`, `sync.`, `syscall.`, `internal/`, and a
/// package path whose first element has a dot (a module path) or no slash.
pub fn is_app_frame(func: &str) -> bool {
    const RUNTIME: [&str; 5] = ["runtime.", "runtime/", "sync.", "syscall.", "internal/"];
    if RUNTIME.iter().any(|p| func.starts_with(p)) {
        return false;
    }
    match func.split_once('/') {
        Some((first, _)) => first.contains('.'),
        None => true,
    }
}

/// A function name without its package path: `(*Mutex).Unlock`, `runStorm.func1`.
pub fn short_name(func: &str) -> String {
    let f: String = func.chars().filter(|&c| c != '\'').collect();
    let last = f.rsplit('/').next().unwrap_or(&f);
    match last.split_once('.') {
        Some((pkg, rest)) => {
            if pkg.starts_with('(') || pkg.starts_with(|c: char| c.is_ascii_uppercase()) {
                last.to_string()
            } else {
                rest.to_string()
            }
        }
        None => last.to_string(),
    }
}

/// The package part of a shortened name, to show each package once.
fn package_of(short: &str) -> &str {
    match short.rfind('/') {
        Some(i) => &short[..i],
        None => short.split('.').next().unwrap_or(short),
    }
}

/// Renders a leaf-first stack as an application path no longer than `max_len`
/// bytes (the leaf is always kept). `(no stack)` for an empty stack; the leaf's
/// short name when no frame belongs to the application.
pub fn path(funcs: &[String], max_len: usize) -> String {
    path_keeping(funcs, 0, max_len)
}

/// [`path`], also keeping the first `keep` frames (leaf side) when they are
/// runtime or standard-library frames.
fn path_keeping(funcs: &[String], keep: usize, max_len: usize) -> String {
    if is_unknown(funcs) {
        return "(no stack)".into();
    }
    let app: Vec<String> = funcs
        .iter()
        .enumerate()
        .filter(|(i, f)| *i < keep || is_app_frame(f))
        .map(|(_, f)| short_name(f))
        .collect();
    match app.len() {
        0 => return short_name(&funcs[0]),
        1 => return app[0].clone(),
        _ => {}
    }
    let mut seen = vec![package_of(&app[0]).to_string()];
    let mut result = app[0].clone();
    for f in &app[1..] {
        let pkg = package_of(f);
        if seen.iter().any(|s| s == pkg) {
            continue;
        }
        let candidate = format!("{f} → {result}");
        if candidate.len() > max_len {
            break;
        }
        result = candidate;
        seen.push(pkg.to_string());
    }
    result
}

/// Whether a stack says nothing: no frames, or only frames whose function the
/// trace did not name (Go writes an empty name for a PC it could not
/// symbolize). dt/schedstat prints such stacks as it prints no stack.
pub fn is_unknown(funcs: &[String]) -> bool {
    funcs.iter().all(|f| f.is_empty())
}

/// A goroutine's label: the application path of `funcs` when it has an
/// application frame; otherwise the short name of the goroutine's start
/// function `start` (`runtime.bgsweep` → `bgsweep`), because the leaf of a
/// runtime-only stack (`gopark`, `chanrecv1`) says what every parked
/// goroutine is doing, not which goroutine this is. The leaf when the start
/// function is unknown too.
pub fn goroutine_label(funcs: Option<&[String]>, start: Option<&str>, max_len: usize) -> String {
    let has_app = funcs.is_some_and(|f| f.iter().any(|x| is_app_frame(x)));
    match (funcs, start) {
        (Some(f), _) if has_app => path(f, max_len),
        (_, Some(s)) if !s.is_empty() => short_name(s),
        (Some(f), _) => path(f, max_len),
        (None, _) => "(no stack)".into(),
    }
}

/// Application paths for a list of stacks, one each, never two alike: where
/// paths collide (the stacks differ only in runtime or standard-library
/// frames), each keeps its frames up to the innermost one that tells it apart
/// from the others (`main` and `main → (*WaitGroup).Go`), and `#k` is added
/// if that is not enough. `None` (no stack) is labelled `none`.
pub fn distinct_paths(stacks: &[Option<&[String]>], max_len: usize, none: &str) -> Vec<String> {
    let mut labels: Vec<String> = stacks.iter().map(|s| s.map_or_else(|| none.to_string(), |f| path(f, max_len))).collect();
    let plain = labels.clone();
    for (i, s) in stacks.iter().enumerate() {
        let Some(mine) = s else { continue };
        let rivals: Vec<&[String]> = (0..stacks.len())
            .filter(|&j| j != i && plain[j] == plain[i])
            .filter_map(|j| stacks[j])
            .collect();
        if rivals.is_empty() {
            continue;
        }
        // The innermost position where this stack differs from some rival.
        let at = (0..mine.len()).find(|&k| rivals.iter().any(|r| r.get(k) != Some(&mine[k])));
        if let Some(k) = at {
            labels[i] = path_keeping(mine, k + 1, max_len);
        }
    }
    // Still alike (a stack that is a prefix of two others): number them.
    for i in 0..labels.len() {
        let same: Vec<usize> = (0..labels.len()).filter(|&j| labels[j] == labels[i]).collect();
        if same.len() > 1 {
            for (k, &j) in same.iter().enumerate() {
                labels[j] = format!("{} #{}", labels[j], k + 1);
            }
        }
    }
    labels
}

/// Removes a trailing ` (file.go:line)` from a terse frame.
pub fn strip_location(frame: &str) -> &str {
    match frame.find(" (") {
        Some(i) => &frame[..i],
        None => frame,
    }
}

/// A duration as dt/schedstat prints it: ns, µs (1 decimal), ms or s (2
/// decimals). Here beside the stack paths because both are how the report
/// reads, in the CLI's text and in `schedstat tui` alike.
pub fn dur(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0}ns")
    } else if ns < 1e6 {
        format!("{:.1}µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2}ms", ns / 1e6)
    } else {
        format!("{:.2}s", ns / 1e9)
    }
}

/// Every frame, leaf first, for `--full-stacks`.
pub fn full(funcs: &[String]) -> String {
    if funcs.is_empty() {
        return "(no stack)".into();
    }
    funcs.join(" ← ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn paths_keep_application_frames_root_to_leaf() {
        let stack = v(&[
            "runtime.gopark",
            "sync.(*WaitGroup).Wait",
            "main.launchStorm",
            "main.runStorm.func1",
            "main.traced",
            "main.main",
            "runtime.main",
        ]);
        // Packages are judged on shortened names, so each main.* function counts as its own.
        assert_eq!(path(&stack, 80), "main → traced → runStorm.func1 → launchStorm");
        assert_eq!(path(&stack, 30), "runStorm.func1 → launchStorm");
        let stack = v(&["github.com/a/b.(*T).M", "example.com/x/y.Run", "main.main", "runtime.main"]);
        assert_eq!(path(&stack, 80), "main → Run → (*T).M");
        assert_eq!(path(&stack, 10), "(*T).M");
        assert_eq!(path(&v(&["runtime.gopark", "runtime.bgsweep"]), 80), "gopark");
        assert_eq!(path(&[], 80), "(no stack)");
        assert_eq!(path(&v(&[""]), 80), "(no stack)");
    }

    #[test]
    fn goroutines_without_application_frames_are_named_by_their_start_function() {
        let parked = v(&["runtime.gopark", "runtime.chanrecv1", "runtime.traceStartReadCPU.func1"]);
        assert_eq!(goroutine_label(Some(&parked), Some("runtime.traceStartReadCPU.func1"), 80), "traceStartReadCPU.func1");
        assert_eq!(goroutine_label(Some(&parked), None, 80), "gopark");
        let app = v(&["runtime.gopark", "main.worker", "main.main"]);
        assert_eq!(goroutine_label(Some(&app), Some("main.main"), 80), "main → worker");
        assert_eq!(goroutine_label(None, Some("runtime.bgsweep"), 80), "bgsweep");
        assert_eq!(goroutine_label(None, None, 80), "(no stack)");
    }

    #[test]
    fn colliding_paths_are_told_apart() {
        let a = v(&["main.main", "runtime.main"]);
        let b = v(&["sync.(*WaitGroup).Go", "main.main", "runtime.main"]);
        let c = v(&["main.spawn", "main.main", "runtime.main"]);
        let labels = distinct_paths(&[Some(&a), Some(&b), Some(&c), None], 80, "(before the trace)");
        assert_eq!(labels, ["main", "main → (*WaitGroup).Go", "main → spawn", "(before the trace)"]);
        let labels = distinct_paths(&[Some(&a), Some(&a)], 80, "-");
        assert_eq!(labels, ["main #1", "main #2"]);
    }

    #[test]
    fn names_and_frames() {
        assert_eq!(short_name("sync.(*Mutex).Unlock"), "(*Mutex).Unlock");
        assert_eq!(short_name("main.runStorm.func1"), "runStorm.func1");
        assert_eq!(short_name("a/b/pkg.(*T).M"), "(*T).M");
        assert!(is_app_frame("main.main"));
        assert!(is_app_frame("time.Sleep"));
        assert!(!is_app_frame("net/http.(*conn).serve"));
        assert!(is_app_frame("github.com/x/y.F"));
        assert!(!is_app_frame("internal/poll.(*FD).Read"));
        assert_eq!(strip_location("main.f (main.go:12)"), "main.f");
    }
}
