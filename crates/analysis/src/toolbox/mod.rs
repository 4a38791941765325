//! The Go Tracing Toolbox (github.com/rhysh/go-tracing-toolbox) rebuilt on
//! our reader: the figures behind `schedstat grep` (etgrep), `states`
//! (grstates) and `stw` (unstoppable), for every trace version we read.
//!
//! Each module computes data from events; the CLI and `schedstat-export`
//! render it. [`pattern`] is the one stack-pattern matcher every toolbox
//! command shares.

pub mod grep;
pub mod pattern;
pub mod requests;
pub mod scope;
pub mod states;
pub mod stw;
