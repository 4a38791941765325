//! Delays: the worst scheduling delays with the `--why` verdict (one
//! goroutine held the P, or the run queue was saturated), filtered to the
//! timeseries cursor's window.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;
use schedstat_report::Why;

use crate::app::App;
use crate::fmt::{dur_i, opt_path};

/// The explained delays shown: those starting in the cursor's window, or all.
pub fn rows(app: &App) -> Vec<&Why> {
    let Some(whys) = app.report().and_then(|r| r.why.as_ref()) else { return Vec::new() };
    let span = app.window_span();
    whys.iter().filter(|w| span.is_none_or(|(a, b)| w.delay.start_ns >= a && w.delay.start_ns < b)).collect()
}

/// Draws the tab.
pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let Some(r) = app.report() else {
        return super::pending(f, app, area, "the report", app.report.as_ref().and_then(|r| r.as_ref().err()).map(|s| s.as_str()));
    };
    let whys = rows(app);
    let [list, detail] = Layout::vertical([Constraint::Percentage(50), Constraint::Min(4)]).areas(area);
    let text: Vec<Vec<String>> = whys
        .iter()
        .enumerate()
        .map(|(i, y)| {
            let d = &y.delay;
            vec![
                format!("{}", i + 1),
                format!("G{}", d.g),
                dur_i(d.duration_ns),
                format!("+{}", dur_i(d.start_ns - r.t0_ns)),
                d.p.map_or("-".into(), |p| format!("P{p}")),
                y.verdict.to_string(),
                d.cause.clone(),
            ]
        })
        .collect();
    let empty = text.is_empty();
    super::table::draw(
        f,
        app.theme,
        list,
        &format!("The {} worst delays, explained", whys.len()),
        &["#", "G", "waited", "from", "P", "verdict", "runnable since"],
        &[
            Constraint::Length(3),
            Constraint::Length(7),
            Constraint::Length(9),
            Constraint::Length(10),
            Constraint::Length(4),
            Constraint::Length(10),
            Constraint::Min(10),
        ],
        text,
        (!empty).then_some(app.sel()),
    );
    let Some(y) = whys.get(app.sel()) else { return };
    let mut lines = vec![Line::raw(format!("waiting at: {}", opt_path(&y.delay.last_funcs, 90)))];
    match (y.verdict, &y.holder) {
        ("held", Some(h)) => {
            let pct = 100.0 * h.overlap_ns as f64 / y.delay.duration_ns.max(1) as f64;
            lines.push(Line::styled(
                format!("Verdict: P{} was held by G{} for {} ({pct:.0}% of the wait)", h.p, h.g, dur_i(h.overlap_ns)),
                app.theme.bad(),
            ));
            lines.push(Line::raw(format!("  {}", opt_path(&h.funcs, 90))));
        }
        ("saturated", _) => {
            lines.push(Line::styled(
                format!(
                    "Verdict: run queue saturated: {} other goroutine(s) runnable on {} P(s) when the wait began",
                    y.runnable_total, r.procs
                ),
                app.theme.bad(),
            ));
            for (cause, n, funcs) in y.runnable_at_start.iter().take(3) {
                lines.push(Line::raw(format!("  {n} {cause}, mostly by {}", opt_path(funcs, 70))));
            }
        }
        (v, _) => lines.push(Line::raw(format!("Verdict: {v}"))),
    }
    if let Some(by) = y.delay.made_runnable_by_g {
        lines.push(Line::raw(format!("made runnable by G{by}: {}", opt_path(&y.delay.made_runnable_by_funcs, 80))));
    }
    let p = Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(Block::default().borders(Borders::TOP).title("Why").title_style(app.theme.heading()));
    f.render_widget(p, detail);
}
