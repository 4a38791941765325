//! How the views print numbers and stacks: through the report's own
//! formatters (`schedstat_report::stack`), so the screen reads as `schedstat TRACE` does.

/// A duration in ns as the report's text prints it (`20.22ms`): the CLI's
/// own formatter, so a number on screen reads as in `schedstat TRACE`.
pub fn dur(ns: f64) -> String {
    schedstat_report::stack::dur(ns)
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

/// A count for a progress line: exact below 10 000, else rounded (`2.4 M`, `56.1 k`).
pub fn count(n: u64) -> String {
    match n {
        n if n < 10_000 => n.to_string(),
        n if n < 1_000_000 => format!("{:.1} k", n as f64 / 1e3),
        n => format!("{:.1} M", n as f64 / 1e6),
    }
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
    fn counts_round_past_ten_thousand() {
        assert_eq!(count(9_999), "9999");
        assert_eq!(count(56_100), "56.1 k");
        assert_eq!(count(5_714_148), "5.7 M");
    }
}
