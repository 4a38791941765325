//! Profiles: `schedstat pprof`'s four blocking profiles (net, sync, syscall,
//! sched) as top stack tables; ←/→ switches the kind.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use crate::app::App;
use crate::fmt::dur_i;

/// Draws the tab.
pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let Some(a) = &app.analyses else { return super::pending(f, app, area, "profiles", None) };
    let Some(p) = a.profiles.get(app.profile) else { return };
    let kinds: Vec<String> = a
        .profiles
        .iter()
        .enumerate()
        .map(|(i, q)| if i == app.profile { format!("[{}]", q.kind.as_str()) } else { q.kind.as_str().to_string() })
        .collect();
    let [list, detail] = Layout::vertical([Constraint::Min(4), Constraint::Length(6)]).areas(area);
    let total = p.total_delay_ns().max(1) as f64;
    let (range, sel) = super::table::visible(p.stacks.len(), app.sel(), list);
    let text = p.stacks[range]
        .iter()
        .map(|s| {
            let leaf = s.frames.first().map_or("(no stack)".to_string(), |f| f.func.clone());
            vec![
                dur_i(s.delay_ns),
                format!("{:.1}%", 100.0 * s.delay_ns as f64 / total),
                s.count.to_string(),
                leaf,
            ]
        })
        .collect();
    let title = format!(
        "{}   {} stacks, {} intervals, {} total",
        kinds.join(" "),
        p.stacks.len(),
        p.total_count(),
        dur_i(p.total_delay_ns())
    );
    let empty = p.stacks.is_empty();
    super::table::draw(
        f,
        app.theme,
        list,
        &title,
        &["delay", "share", "count", "blocking call (leaf)"],
        &[Constraint::Length(10), Constraint::Length(6), Constraint::Length(8), Constraint::Min(10)],
        text,
        (!empty).then_some(sel),
    );
    if let Some(s) = p.stacks.get(app.sel()) {
        let lines: Vec<Line> = s.frames.iter().take(5).map(|fr| Line::raw(format!("  {} {}:{}", fr.func, fr.file, fr.line))).collect();
        f.render_widget(
            Paragraph::new(lines).block(Block::default().borders(Borders::TOP).title("stack (leaf first)").title_style(app.theme.heading())),
            detail,
        );
    }
}
