//! The summary header: the trace's size, the latency percentiles and the
//! headline verdicts (spike counts, the doctor's most severe finding).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::app::App;
use crate::fmt::{dur, dur_i};

/// Draws the three header lines.
pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let th = app.theme;
    let Some(b) = &app.basics else { return };
    let mut first = vec![
        Span::styled(b.file.clone(), th.heading()),
        Span::raw(format!(
            "  duration {}  events {}  goroutines {}  Ps {}",
            dur_i(b.end_ns - b.start_ns),
            b.events,
            b.goroutines,
            b.procs
        )),
    ];
    if let Some((w, (from, to))) = app.window.zip(app.window_span()) {
        let t0 = app.report().map_or(0, |r| r.t0_ns);
        first.push(Span::styled(
            format!("  [window {w}: +{}..+{}]", dur_i(from - t0), dur_i(to - t0)),
            th.cursor(),
        ));
    }
    let latency_line = |l: &schedstat_report::Latency| {
        Line::raw(format!(
            "latency n={}  p50 {}  p90 {}  p99 {}  max {}  avg {}",
            l.count,
            dur(l.p50_ns),
            dur(l.p90_ns),
            dur(l.p99_ns),
            dur(l.max_ns),
            dur(l.avg_ns)
        ))
    };
    let second = match (&app.report, &b.latency) {
        (Some(Err(e)), _) => Line::styled(format!("report failed: {e}"), th.bad()),
        (Some(Ok(r)), _) => latency_line(&r.latency),
        (None, Some(quick)) => latency_line(&quick.latency),
        (None, None) => Line::raw("latency: computing…"),
    };
    let mut third = Vec::new();
    if let Some(r) = app.report() {
        let style = if r.latency_spikes_total + r.runnable_spikes_total > 0 { th.warn() } else { th.dim() };
        third.push(Span::styled(
            format!("{} latency spikes, {} runnable spikes", r.latency_spikes_total, r.runnable_spikes_total),
            style,
        ));
    } else if let Some(e) = &app.failed {
        third.push(Span::styled(format!("failed: {e}"), th.bad()));
    } else if app.analyses.is_none() {
        third.push(Span::styled(format!("loading {}", app.loading_progress()), th.dim()));
    } else if app.report.is_none() {
        third.push(Span::styled("report: computing…", th.dim()));
    }
    match &app.doctor {
        Some(Ok(d)) => match d.findings.first() {
            Some(top) => third.push(Span::styled(format!("  ▸ {}: {}", top.id, top.title), th.bad())),
            None => third.push(Span::raw("  ▸ doctor: no findings")),
        },
        Some(Err(_)) => third.push(Span::styled("  ▸ doctor failed (tab 8)", th.bad())),
        None => third.push(Span::styled("  ▸ doctor: computing…", th.dim())),
    }
    f.render_widget(Paragraph::new(vec![Line::from(first), second, Line::from(third)]), area);
}
