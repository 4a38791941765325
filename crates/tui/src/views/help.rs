//! `?`: every key, over the open tab.

use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Block, Borders, Clear, Row, Table};
use ratatui::Frame;

use crate::app::App;
use crate::keys::HELP;

/// Draws the help box over `area`.
pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    f.render_widget(Clear, area);
    let rows: Vec<Row> = HELP.iter().map(|(k, what)| Row::new(vec![k.to_string(), what.to_string()])).collect();
    let t = Table::new(rows, [Constraint::Length(22), Constraint::Min(20)]).block(
        Block::default().borders(Borders::ALL).title("Keys (any key closes)").title_style(app.theme.heading()),
    );
    f.render_widget(t, area);
}
