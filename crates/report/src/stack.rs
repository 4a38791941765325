//! Stack paths: a stack shown as the application frames that matter, from
//! entry point to leaf (`main → traced → runStorm.func1 → launchStorm`),
//! dropping runtime and standard-library frames. The rules are dt/schedstat's,
//! so its users read the same paths. Also the report's duration format.
//! Shared by the CLI's renderers and `schedstat tui`.

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
    if funcs.is_empty() {
        return "(no stack)".into();
    }
    let app: Vec<String> = funcs.iter().filter(|f| is_app_frame(f)).map(|f| short_name(f)).collect();
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
