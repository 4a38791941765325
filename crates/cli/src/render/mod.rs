//! Renderers: the only code that knows how a report looks.

pub use schedstat_report::stack;
pub mod table;
pub mod text;
