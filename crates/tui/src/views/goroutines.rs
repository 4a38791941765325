//! Goroutines: `schedstat goroutines`' groups by start function; Enter shows
//! one group's goroutines, Enter again one goroutine's breakdown and regions.

use analysis::goroutines::{GoroutineSummary, Summary};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use crate::app::{App, GoroutineLevel};
use crate::fmt::dur_i;

/// The label `go tool trace` gives a group without a start function.
fn label(name: &str) -> &str {
    if name.is_empty() {
        "(Inactive, no stack trace sampled)"
    } else {
        name
    }
}

/// Draws the tab.
pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let Some(a) = &app.analyses else { return super::pending(f, app, area, "goroutines", None) };
    let th = app.theme;
    match &app.goroutine_level {
        GoroutineLevel::Groups => {
            let groups = &app.groups;
            let total = a.goroutines.total_exec_ns().max(1);
            let (range, sel) = super::table::visible(groups.len(), app.sel(), area);
            let text = groups[range]
                .iter()
                .map(|g| {
                    vec![
                        label(&g.name).to_string(),
                        g.count.to_string(),
                        dur_i(g.exec_ns),
                        format!("{:.1}%", 100.0 * g.exec_ns as f64 / total as f64),
                    ]
                })
                .collect();
            super::table::draw(
                f,
                th,
                area,
                &format!("{} goroutines in {} groups by start function (Enter: the group)", a.goroutines.goroutines.len(), groups.len()),
                &["start function", "goroutines", "execution", "of all"],
                &[Constraint::Min(20), Constraint::Length(10), Constraint::Length(10), Constraint::Length(7)],
                text,
                Some(sel),
            );
        }
        GoroutineLevel::Group(name) => {
            let (range, sel) = super::table::visible(app.members.len(), app.sel(), area);
            let text = app.members(range).iter().map(|g| row(g)).collect();
            super::table::draw(
                f,
                th,
                area,
                &format!("{}: {} goroutines (Enter: one, Esc: back)", label(name), app.members.len()),
                &["G", "total", "execution", "sched wait", "blocked", "syscall", "unknown"],
                &[
                    Constraint::Length(8),
                    Constraint::Length(10),
                    Constraint::Length(10),
                    Constraint::Length(10),
                    Constraint::Length(10),
                    Constraint::Length(10),
                    Constraint::Length(10),
                ],
                text,
                Some(sel),
            );
        }
        GoroutineLevel::One(_, id) => match a.goroutines.goroutines.get(id) {
            Some(g) => one(f, app, area, g),
            None => super::pending(f, app, area, "goroutine", Some("not in the trace")),
        },
    }
}

fn row(g: &GoroutineSummary) -> Vec<String> {
    let s = &g.stats;
    let blocked: i64 = s.block_ns.values().sum::<i64>() + s.syscall_block_ns;
    vec![
        format!("G{}", g.id),
        dur_i(s.total_ns),
        dur_i(s.exec_ns),
        dur_i(s.sched_wait_ns),
        dur_i(blocked),
        dur_i(s.syscall_ns),
        dur_i(s.unknown_ns()),
    ]
}

fn one(f: &mut Frame, app: &App, area: Rect, g: &GoroutineSummary) {
    let th = app.theme;
    let start = app.basics.as_ref().map_or(0, |b| b.start_ns);
    let (cols, ranges) = Summary::columns(&[g]);
    let stats = g.stats.non_overlapping();
    let [top, bottom] = Layout::vertical([Constraint::Min(4), Constraint::Length((g.regions.len().min(6) + 2) as u16)]).areas(area);
    let mut lines = vec![Line::raw(format!(
        "G{} {}  created +{}  total {}",
        g.id,
        label(&g.name),
        dur_i(g.creation_ns.max(start) - start),
        dur_i(g.stats.total_ns)
    ))];
    let total = g.stats.total_ns.max(1) as f64;
    for c in &cols {
        let v = stats.get(c).copied().unwrap_or(0);
        lines.push(Line::raw(format!("  {c:<34} {:>10} {:>6.1}%", dur_i(v), 100.0 * v as f64 / total)));
    }
    for r in &ranges {
        let v = g.stats.range_ns.get(r).copied().unwrap_or(0);
        lines.push(Line::raw(format!("  {r:<34} {:>10} (overlaps)", dur_i(v))));
    }
    f.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::TOP).title(format!("Goroutine G{} (Esc: back)", g.id)).title_style(th.heading())),
        top,
    );
    let text = g
        .regions
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                r.start_ns.map_or("-".into(), |s| format!("+{}", dur_i(s - start))),
                dur_i(r.stats.total_ns),
                dur_i(r.stats.exec_ns),
            ]
        })
        .collect();
    super::table::draw(
        f,
        th,
        bottom,
        &format!("{} regions", g.regions.len()),
        &["region", "start", "total", "execution"],
        &[Constraint::Min(16), Constraint::Length(20), Constraint::Length(10), Constraint::Length(10)],
        text,
        None,
    );
}
