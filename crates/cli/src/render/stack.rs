//! Stack paths: the rules live in `schedstat_report::stack`, shared with
//! `schedstat tui`, so a stack reads the same in the report and in the terminal UI.

pub use schedstat_report::stack::*;
