//! Waiters: goroutines with the most total scheduling wait (`--top-waiters`).

use ratatui::layout::{Constraint, Rect};
use ratatui::Frame;

use crate::app::App;
use crate::fmt::{dur_i, opt_path};

/// Draws the tab.
pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let Some(ws) = app.report().and_then(|r| r.top_waiters.as_ref()) else {
        return super::pending(f, app, area, "the report", app.report.as_ref().and_then(|r| r.as_ref().err()).map(|s| s.as_str()));
    };
    let text: Vec<Vec<String>> = ws
        .iter()
        .map(|w| {
            vec![
                format!("G{}", w.g),
                w.schedulings.to_string(),
                dur_i(w.total_ns),
                dur_i(w.max_ns),
                opt_path(&w.funcs, 200),
            ]
        })
        .collect();
    let empty = text.is_empty();
    super::table::draw(
        f,
        app.theme,
        area,
        "Goroutines with the most scheduling wait (whole trace)",
        &["G", "waits", "total", "max", "stack"],
        &[Constraint::Length(8), Constraint::Length(7), Constraint::Length(10), Constraint::Length(10), Constraint::Min(10)],
        text,
        (!empty).then_some(app.sel()),
    );
}
