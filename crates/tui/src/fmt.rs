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

/// A leaf-first stack as the report prints it: the application frames from
/// entry point to leaf (`schedstat_report::stack::path`), at most `max` bytes.
pub fn path(funcs: &[String], max: usize) -> String {
    schedstat_report::stack::path(funcs, max)
}

/// An optional stack (`(unknown)` when the report has none).
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
}
