//! Renderers: the only code that knows how a report looks.

pub mod stack;
pub mod table;
pub mod text;
