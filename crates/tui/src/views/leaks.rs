//! Leaks: `schedstat leaks`' application goroutines blocked at the end of
//! the trace, grouped by stack and reason, and the deadlock warning.

use analysis::leaks::LeakGroup;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use crate::app::App;
use crate::fmt::dur_i;

/// The groups shown: application ones (as `schedstat leaks` without `--all`).
pub fn groups(app: &App) -> Vec<&LeakGroup> {
    app.analyses.as_ref().map_or_else(Vec::new, |a| a.leaks.groups.iter().filter(|g| !g.system).collect())
}

/// Draws the tab.
pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let Some(a) = &app.analyses else { return super::pending(f, app, area, "leaks", None) };
    let r = &a.leaks;
    let gs = groups(app);
    let blocked: usize = gs.iter().map(|g| g.count).sum();
    let groups_word = if gs.len() == 1 { "group" } else { "groups" };
    let mut title = format!("{blocked} goroutines blocked at the end, in {} {groups_word} by stack and reason", gs.len());
    if r.possible_deadlock {
        title = format!("POSSIBLE DEADLOCK: all {} application goroutines blocked. {title}", r.app_alive_at_end);
    }
    let [list, detail] = Layout::vertical([Constraint::Min(4), Constraint::Length(7)]).areas(area);
    let text = gs
        .iter()
        .map(|g| {
            vec![
                g.count.to_string(),
                g.reason.clone(),
                format!("{}{}", if g.goroutines.iter().all(|b| b.since_known) { "" } else { ">=" }, dur_i(g.max_wait_ns)),
                g.start_function.clone(),
            ]
        })
        .collect();
    let empty = gs.is_empty();
    super::table::draw(
        f,
        app.theme,
        list,
        &title,
        &["count", "reason", "max wait", "start function"],
        &[Constraint::Length(6), Constraint::Length(16), Constraint::Length(11), Constraint::Min(10)],
        text,
        (!empty).then_some(app.sel()),
    );
    if let Some(g) = gs.get(app.sel()) {
        let mut lines: Vec<Line> =
            g.stack.iter().take(4).map(|fr| Line::raw(format!("  {} {}:{}", fr.func, fr.file, fr.line))).collect();
        let ids: Vec<String> = g.goroutines.iter().take(12).map(|b| format!("G{}", b.id)).collect();
        lines.push(Line::raw(format!("  goroutines: {}{}", ids.join(" "), if g.count > 12 { " …" } else { "" })));
        f.render_widget(
            Paragraph::new(lines).block(Block::default().borders(Borders::TOP).title("blocked at").title_style(app.theme.heading())),
            detail,
        );
    }
}
