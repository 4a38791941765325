//! How the views print numbers: durations as the text report prints them
//! (`20.22ms`), so a number on screen reads the same as in `schedstat TRACE`.

/// A duration in ns as the report prints it: ns, µs with one decimal, ms and
/// s with two.
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

/// An integer duration in ns, as [`dur`].
pub fn dur_i(ns: i64) -> String {
    dur(ns as f64)
}

/// A stack's functions (leaf last) as one path `a → b → c`, keeping the
/// last `max` characters (the leaf is what one looks for).
pub fn path(funcs: &[String], max: usize) -> String {
    if funcs.is_empty() {
        return "(no stack)".into();
    }
    let s = funcs.join(" → ");
    let n = s.chars().count();
    if n <= max || max < 2 {
        s
    } else {
        let tail: String = s.chars().skip(n - (max - 1)).collect();
        format!("…{tail}")
    }
}

/// An optional stack.
pub fn opt_path(funcs: &Option<Vec<String>>, max: usize) -> String {
    funcs.as_deref().map_or_else(|| "(unknown)".into(), |f| path(f, max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_the_report() {
        assert_eq!(dur(704.0), "704ns");
        assert_eq!(dur(366_800.0), "366.8µs");
        assert_eq!(dur(20_220_000.0), "20.22ms");
        assert_eq!(dur(1_500_000_000.0), "1.50s");
    }

    #[test]
    fn long_paths_keep_the_leaf() {
        let f: Vec<String> = ["main", "worker", "lock"].iter().map(|s| s.to_string()).collect();
        assert_eq!(path(&f, 100), "main → worker → lock");
        assert!(path(&f, 8).ends_with("lock"));
        assert_eq!(path(&f, 8).chars().count(), 8);
    }
}
