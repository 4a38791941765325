//! Timeline: Ps and the busiest goroutines of the view as block characters
//! per time bucket (darker: more of the bucket running), zoom and pan.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use crate::app::App;
use crate::fmt::dur_i;
use crate::timeline::block;

/// Width of the lane names.
const LABEL: u16 = 8;

/// Draws the tab (and records its width, which the lanes' buckets follow).
pub fn draw(f: &mut Frame, app: &mut App, area: Rect) {
    let Some(v) = app.view else { return };
    let th = app.theme;
    let [head, body] = Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(area);
    app.timeline_width = body.width.saturating_sub(LABEL) as usize;
    let grid = v.grid(app.timeline_width);
    let title = format!(
        "+{} .. +{} of {}  ({} per column; ░▒▓█ = running <25/50/75/100%)",
        dur_i(v.from - v.start),
        dur_i(v.to - v.start),
        dur_i(v.end - v.start),
        dur_i(grid.width)
    );
    f.render_widget(
        Paragraph::new(Line::styled(title, th.heading())).block(Block::default().borders(Borders::NONE)),
        head,
    );
    if app.analyses.is_none() {
        return super::pending(f, app, body, "timeline", None);
    }
    let lines: Vec<Line> = match &app.lanes {
        // Until the first draw has told the width.
        None => Vec::new(),
        Some((g, lanes)) => {
            let mut out: Vec<Line> = lanes
                .iter()
                .skip(app.lane_scroll)
                .map(|l| {
                    let s: String = l.busy_ns.iter().map(|b| block(*b, g.width)).collect();
                    let style = if l.name.starts_with('P') { th.series_a() } else { th.series_b() };
                    Line::from(vec![Span::raw(format!("{:<7} ", l.name)), Span::styled(s, style)])
                })
                .collect();
            if lanes.is_empty() {
                out.push(Line::raw("nothing ran in this view"));
            }
            out
        }
    };
    f.render_widget(Paragraph::new(lines), body);
}
