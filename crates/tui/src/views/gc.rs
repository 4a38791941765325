//! GC: `schedstat gc`'s stop-the-world pauses and mark phases, and its MMU
//! curve (minimum mutator utilization by window size) as a chart.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::Line;
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph};
use ratatui::Frame;

use crate::app::App;
use crate::fmt::dur_i;

/// Draws the tab.
pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let Some(a) = &app.analyses else { return super::pending(f, app, area, "GC", None) };
    let th = app.theme;
    let s = &a.gc;
    let [left, right] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
    let [sum, pauses, marks] =
        Layout::vertical([Constraint::Length(4), Constraint::Percentage(50), Constraint::Min(3)]).areas(left);
    let mark_ns: i64 = s.mark_phases.iter().map(|m| m.duration_ns).sum();
    let stw_ns: i64 = s.stw.iter().map(|p| p.duration_ns).sum();
    let assist_ns: i64 = s.assists.iter().map(|x| x.total_ns).sum();
    let lines = vec![
        Line::raw(format!("{} mark phases, {} marking", s.mark_phases.len(), dur_i(mark_ns))),
        Line::raw(format!("{} stop-the-world pauses, {} in all", s.stw.len(), dur_i(stw_ns))),
        Line::raw(format!("mark assists: {} goroutines, {}", s.assists.len(), dur_i(assist_ns))),
    ];
    f.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::TOP).title("GC").title_style(th.heading())),
        sum,
    );
    let text = s
        .stw
        .iter()
        .map(|p| vec![format!("+{}", dur_i(p.start_ns - s.trace_start_ns)), dur_i(p.duration_ns), p.reason.clone()])
        .collect();
    let empty = s.stw.is_empty();
    super::table::draw(
        f,
        th,
        pauses,
        "Stop-the-world pauses",
        &["at", "paused", "reason"],
        &[Constraint::Length(10), Constraint::Length(9), Constraint::Min(8)],
        text,
        (!empty).then_some(app.sel()),
    );
    let (range, _) = super::table::visible(s.mark_phases.len(), 0, marks);
    let text = s.mark_phases[range]
        .iter()
        .map(|m| {
            vec![
                format!("+{}", dur_i(m.start_ns - s.trace_start_ns)),
                dur_i(m.duration_ns),
                if m.complete { String::new() } else { "(began before or ended after the trace)".into() },
            ]
        })
        .collect();
    super::table::draw(
        f,
        th,
        marks,
        "Mark phases",
        &["at", "marking", ""],
        &[Constraint::Length(10), Constraint::Length(9), Constraint::Min(8)],
        text,
        None,
    );
    // The MMU against log10(window): windows span 1 ns to seconds.
    let points: Vec<(f64, f64)> =
        a.mmu.curve.iter().filter(|(w, _)| *w > 0).map(|(w, u)| ((*w as f64).log10(), *u)).collect();
    let block = Block::default().borders(Borders::TOP).title("MMU (STW, background, assist)").title_style(th.heading());
    if points.is_empty() {
        f.render_widget(Paragraph::new("no GC work in the trace: utilization is 1 at every window").block(block), right);
        return;
    }
    let (x0, x1) = (points[0].0, points[points.len() - 1].0.max(points[0].0 + 1.0));
    let ds = Dataset::default().marker(Marker::Braille).graph_type(GraphType::Line).style(th.series_a()).data(&points);
    let chart = Chart::new(vec![ds])
        .block(block)
        .x_axis(Axis::default().bounds([x0, x1]).labels(vec![
            Line::raw(dur_i(10f64.powf(x0).round() as i64)),
            Line::raw(dur_i(10f64.powf(x1).round() as i64)),
        ]))
        .y_axis(Axis::default().bounds([0.0, 1.0]).labels(vec![Line::raw("0"), Line::raw("0.5"), Line::raw("1")]));
    f.render_widget(chart, right);
}
