//! Writers for the file formats other tools read: pprof's gzipped
//! `profile.proto` (for `go tool pprof`) and the Chrome trace-event JSON that
//! ui.perfetto.dev and chrome://tracing show.

#![warn(missing_docs)]

pub mod dot;
pub mod etviz;
pub mod pprof;
pub mod scope;
pub mod perfetto;
