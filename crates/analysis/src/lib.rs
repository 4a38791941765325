//! Analyses of a Go execution trace that must equal `go tool trace`'s figures
//! exactly, computed in one pass over the reader's events.
//!
//! Why not SQL: these views follow Go's own bookkeeping event by event (which
//! state a goroutine left, which ranges were open at that moment, which stack
//! a blocking event carried). Written against [`gotrace::Event`] they stay
//! exact, stream in one generation's memory, and build for wasm32, so the web
//! page computes the same numbers as the CLI. Nothing here does I/O, SQL or
//! terminal output: renderers live in the CLI and in `schedstat-export`.

#![warn(missing_docs)]

pub mod profile;
pub mod goroutines;
pub mod leaks;
pub mod annotations;
pub mod gc;
pub mod mmu;
pub mod toolbox;
pub mod doctor;
