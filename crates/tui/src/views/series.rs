//! Series: the report's p99 per window and the average runnable goroutines
//! per window (`--timeseries`), with a cursor (←/→) selecting a window that
//! filters the spikes and delays tabs.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::Line;
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph};
use ratatui::Frame;

use crate::app::App;
use crate::fmt::dur;
use crate::theme::Theme;

/// Draws the tab.
pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let Some(r) = app.report() else {
        return super::pending(f, app, area, "the report", app.report.as_ref().and_then(|r| r.as_ref().err()).map(|s| s.as_str()));
    };
    let (Some(ts), Some(ctx)) = (&r.timeseries, &r.window_context) else { return };
    let th = app.theme;
    let [status, top, bottom] = Layout::vertical([Constraint::Length(2), Constraint::Percentage(50), Constraint::Min(4)]).areas(area);
    let status_line = match app.window.and_then(|w| ts.iter().find(|x| x.window == w)) {
        Some(w) => {
            let c = ctx.iter().find(|c| c.window == w.window);
            format!(
                "window {} (+{:.0}ms..+{:.0}ms): p99 {}, max {}, {} delays, avg runnable {:.1}, idle Ps {:.1}, GC {:.0}%{}",
                w.window,
                w.start_ms,
                w.end_ms,
                dur(w.p99_ns),
                dur(w.max_ns as f64),
                w.events,
                c.map_or(0.0, |c| c.avg_runnable),
                c.map_or(0.0, |c| c.avg_idle_procs),
                c.map_or(0.0, |c| c.gc_share * 100.0),
                if w.spike { "  SPIKE" } else { "" }
            )
        }
        None => format!("{} windows of {}; ←/→ selects one (it filters Spikes and Delays), a: all", ts.len(), dur(r.options.window_ns as f64)),
    };
    f.render_widget(Paragraph::new(Line::styled(status_line, th.cursor())), status);
    let p99: Vec<(f64, f64)> = ts.iter().map(|w| (w.window as f64, w.p99_ns / 1e6)).collect();
    let runnable: Vec<(f64, f64)> = ctx.iter().map(|c| (c.window as f64, c.avg_runnable)).collect();
    let n = ts.len().max(2) as f64 - 1.0;
    chart(f, th, top, "p99 latency per window (ms)", &p99, n, app.window, th.series_a());
    chart(f, th, bottom, "average runnable goroutines per window", &runnable, n, app.window, th.series_b());
}

#[allow(clippy::too_many_arguments)]
fn chart(f: &mut Frame, th: Theme, area: Rect, title: &str, data: &[(f64, f64)], x_max: f64, cursor: Option<i64>, style: ratatui::style::Style) {
    let y_max = data.iter().map(|p| p.1).fold(0.0, f64::max).max(1e-9) * 1.1;
    let cur: Vec<(f64, f64)> = cursor.map_or_else(Vec::new, |w| vec![(w as f64, 0.0), (w as f64, y_max)]);
    let mut sets = vec![Dataset::default().marker(Marker::Braille).graph_type(GraphType::Line).style(style).data(data)];
    if !cur.is_empty() {
        sets.push(Dataset::default().marker(Marker::Braille).graph_type(GraphType::Line).style(th.cursor()).data(&cur));
    }
    let c = Chart::new(sets)
        .block(Block::default().borders(Borders::TOP).title(title.to_string()).title_style(th.heading()))
        .x_axis(Axis::default().bounds([0.0, x_max]).labels(vec![Line::raw("0"), Line::raw(format!("{x_max:.0}"))]))
        .y_axis(Axis::default().bounds([0.0, y_max]).labels(vec![Line::raw("0"), Line::raw(format!("{y_max:.1}"))]));
    f.render_widget(c, area);
}
