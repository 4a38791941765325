//! Spikes: the report's latency and runnable spikes (filtered to the
//! timeseries cursor's window); Enter opens one: the worst delay, what held
//! its P, the burst around it by cause, creators and unblockers.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use schedstat_report::stack::strip_location;

use crate::app::App;
use crate::fmt::{dur_i, opt_path, path};

/// Draws the tab.
pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let Some(r) = app.report() else {
        return super::pending(f, app, area, "the report", app.report.as_ref().and_then(|r| r.as_ref().err()).map(|s| s.as_str()));
    };
    let rows = app.spike_rows();
    let title = format!(
        "Spikes: {} latency (p99 > {} per {} window), {} runnable (> {}); sorted by {}",
        r.latency_spikes_total,
        dur_i(r.options.spike_threshold_ns),
        dur_i(r.options.window_ns),
        r.runnable_spikes_total,
        r.runnable_threshold,
        app.spike_sort.name()
    );
    let (list, detail) = if app.spike_open.is_some() {
        let [a, b] = Layout::vertical([Constraint::Length(6), Constraint::Min(4)]).areas(area);
        (a, Some(b))
    } else {
        (area, None)
    };
    let text: Vec<Vec<String>> = rows
        .iter()
        .map(|s| {
            vec![format!("[{}]", s.index), s.kind.to_string(), format!("+{:.0}ms", s.start_ms), s.shown.clone(), s.extra.clone()]
        })
        .collect();
    let empty = text.is_empty();
    super::table::draw(
        f,
        app.theme,
        list,
        &title,
        &["#", "kind", "window", "value", ""],
        &[Constraint::Length(5), Constraint::Length(9), Constraint::Length(10), Constraint::Length(22), Constraint::Min(10)],
        text,
        (!empty).then_some(app.sel()),
    );
    if let (Some(area), Some((index, kind))) = (detail, app.spike_open) {
        let lines = match r.spike_details.iter().find(|d| d.index == index && d.kind == kind) {
            Some(d) => detail_lines(r, d),
            None => vec![Line::raw("The report lists no details for this spike (only the top spikes are detailed).")],
        };
        let p = Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::default().borders(Borders::TOP).title(format!("Spike [{index}] ({kind})")).title_style(app.theme.heading()));
        f.render_widget(p, area);
    }
}

fn detail_lines(r: &schedstat_report::Report, d: &schedstat_report::SpikeDetail) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    if let Some(w) = &d.worst {
        out.push(Line::raw(format!(
            "worst delay: G{} waited {} from +{} on P{}",
            w.g,
            dur_i(w.duration_ns),
            dur_i(w.wait_start_ns - r.t0_ns),
            w.p.map_or("?".into(), |p| p.to_string())
        )));
        if let Some((g, len, funcs)) = &w.longest_run {
            out.push(Line::raw(format!("longest run on that P during the wait: G{g} ran {} — {}", dur_i(*len), path(funcs, 50))));
        }
        out.push(Line::raw(format!("on that P meanwhile: {} goroutines, {} runs", w.queue_goroutines, w.queue_runs)));
    }
    out.push(Line::raw(format!("burst: {} goroutines became runnable within ±1ms", d.burst_goroutines)));
    if let Some(b) = &d.breakdown {
        let cats: Vec<String> = b.categories.iter().map(|(c, n)| format!("{n} {c}")).collect();
        out.push(Line::raw(format!("  by cause: {}", cats.join(", "))));
        for (n, frames) in b.created_by.iter().take(3) {
            let funcs = frames.as_ref().map(|t| t.iter().map(|f| strip_location(f).to_string()).collect());
            out.push(Line::raw(format!("  created {n} by {}", opt_path(&funcs, 60))));
        }
        for (n, at) in b.unblocked_by.iter().take(3) {
            out.push(Line::raw(format!("  unblocked {n} at {at}")));
        }
        for (n, frames) in b.blocked_at.iter().take(2) {
            // Terse frames carry ` (file:line)`; the path wants function names.
            let funcs: Vec<String> = frames.iter().map(|f| strip_location(f).to_string()).collect();
            out.push(Line::raw(format!("  {n} had blocked at {}", path(&funcs, 60))));
        }
        for h in b.heavy_unblockers.iter().take(2) {
            out.push(Line::raw(format!("  G{} unblocked {}: {}", h.g, h.count, opt_path(&h.funcs, 60))));
        }
    }
    out
}
