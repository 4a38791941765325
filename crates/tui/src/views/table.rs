//! The one table all tabs use: a header, rows of text, the selection kept in
//! view.

use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Block, Borders, Row, Table, TableState};
use ratatui::Frame;

use crate::theme::Theme;

/// Draws `rows` under `header` in `area`, with row `sel` highlighted (`None`: no selection).
#[allow(clippy::too_many_arguments)] // each is one thing every table has; a struct would only rename them
pub fn draw(
    f: &mut Frame,
    theme: Theme,
    area: Rect,
    title: &str,
    header: &[&str],
    widths: &[Constraint],
    rows: Vec<Vec<String>>,
    sel: Option<usize>,
) {
    let rows: Vec<Row> = rows.into_iter().map(Row::new).collect();
    let t = Table::new(rows, widths.to_vec())
        .header(Row::new(header.iter().map(|h| h.to_string()).collect::<Vec<_>>()).style(theme.heading()))
        .block(Block::default().borders(Borders::TOP).title(title.to_string()).title_style(theme.heading()))
        .row_highlight_style(theme.selected())
        .column_spacing(1);
    let mut state = TableState::default().with_selected(sel);
    f.render_stateful_widget(t, area, &mut state);
}

/// The rows of a `len`-row table worth formatting in `area` with row `sel`
/// selected: those on screen (big traces have thousands of goroutines or
/// stacks; formatting all of them on every frame would slow each key press).
/// Returns the range and the selection within it.
pub fn visible(len: usize, sel: usize, area: Rect) -> (std::ops::Range<usize>, usize) {
    // The border line and the header take two rows.
    let h = (area.height as usize).saturating_sub(2).max(1);
    let start = sel.saturating_sub(h - 1).min(len.saturating_sub(h));
    let end = (start + h).min(len);
    (start..end, sel.saturating_sub(start))
}
