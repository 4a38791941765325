//! Renderers: the only code that knows how a report looks.

pub use schedstat_report::stack;
pub mod table;
pub mod text;

/// Writes an output file, or stdout for `-` (flushed, so an error shows).
pub fn write_output(path: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    if path == std::path::Path::new("-") {
        let mut o = std::io::stdout().lock();
        return o.write_all(bytes).and_then(|_| o.flush()).map_err(|e| e.to_string());
    }
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}
