//! Drawing: the header, the tab bar, the open tab and the footer. One module
//! per tab; each reads [`App`] and prints what the report and analyses hold,
//! formatting only.

pub mod delays;
mod doctor;
mod gc;
mod goroutines;
mod header;
mod help;
pub mod leaks;
mod profiles;
mod series;
mod spikes;
mod sql;
mod table;
mod timeline;
mod waiters;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph, Wrap};
use ratatui::Frame;

use crate::app::{App, Tab};

/// Draws the whole screen.
pub fn draw(f: &mut Frame, app: &mut App) {
    let area = f.area();
    if app.basics.is_none() {
        loading(f, app, area);
        return;
    }
    // A cut trace's warning gets lines of its own under the header.
    let warning = app.basics.as_ref().and_then(|b| b.warning.clone());
    let warn_rows = warning.as_ref().map_or(0, |w| (w.chars().count() as u16 + 2).div_ceil(area.width.max(1)).min(3));
    let [head, warn, tabs, body, foot] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(warn_rows),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    header::draw(f, app, head);
    if let Some(w) = warning {
        f.render_widget(Paragraph::new(Line::styled(format!("! {w}"), app.theme.bad())).wrap(Wrap { trim: true }), warn);
    }
    tab_bar(f, app, tabs);
    match app.tab {
        Tab::Spikes => spikes::draw(f, app, body),
        Tab::Delays => delays::draw(f, app, body),
        Tab::Waiters => waiters::draw(f, app, body),
        Tab::Goroutines => goroutines::draw(f, app, body),
        Tab::Profiles => profiles::draw(f, app, body),
        Tab::Gc => gc::draw(f, app, body),
        Tab::Leaks => leaks::draw(f, app, body),
        Tab::Doctor => doctor::draw(f, app, body),
        Tab::Timeseries => series::draw(f, app, body),
        Tab::Timeline => timeline::draw(f, app, body),
        Tab::Sql => sql::draw(f, app, body),
    }
    footer(f, app, foot);
    if app.help {
        help::draw(f, app, body);
    }
}

/// Before the quick pass has the summary: the file's progress, or why loading failed.
fn loading(f: &mut Frame, app: &App, area: Rect) {
    let [_, msg, bar, _] =
        Layout::vertical([Constraint::Percentage(40), Constraint::Length(2), Constraint::Length(1), Constraint::Min(0)])
            .areas(area);
    if let Some(e) = &app.failed {
        let p = Paragraph::new(vec![Line::styled(e.clone(), app.theme.bad()), Line::raw("q quits")])
            .wrap(Wrap { trim: true });
        f.render_widget(p, msg);
        return;
    }
    let (done, total, events) = app.progress;
    let ratio = if total > 0 { (done as f64 / total as f64).clamp(0.0, 1.0) } else { 0.0 };
    f.render_widget(Paragraph::new("Reading the trace for its summary… (q quits)").centered(), msg);
    let label = format!("{:.0}% of {:.1} MB, {events} events read", ratio * 100.0, total as f64 / 1e6);
    f.render_widget(Gauge::default().ratio(ratio).label(label).gauge_style(app.theme.series_a()), bar);
}

fn tab_bar(f: &mut Frame, app: &App, area: Rect) {
    let wide = area.width >= 96;
    let mut spans = Vec::new();
    for t in Tab::ALL {
        let text = if wide { format!("{}:{}", t.key(), t.title()) } else { t.title().to_string() };
        let style = if t == app.tab { app.theme.selected() } else { app.theme.heading() };
        spans.push(Span::styled(text, style));
        spans.push(Span::raw(" "));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn footer(f: &mut Frame, app: &App, area: Rect) {
    let keys = match app.tab {
        Tab::Spikes if app.spike_open.is_some() => "Esc back  ↑↓ spike  s sort",
        Tab::Spikes => "↑↓ select  Enter open  s sort",
        Tab::Goroutines => "↑↓ select  Enter open  Esc back",
        Tab::Profiles => "←→ kind  ↑↓ select",
        Tab::Timeseries => "←→ window  a all windows",
        Tab::Timeline => "+- zoom  ←→/AD pan  ↑↓ lanes  r reset",
        Tab::Sql if app.sql.editing => "Enter run  ↑↓ history  PgUp/PgDn rows  ←→ cols  Esc stop typing",
        Tab::Sql => "Enter type a query",
        _ => "↑↓ select",
    };
    let quit = if app.tab == Tab::Sql && app.sql.editing { "Ctrl-C quit" } else { "Tab next  ? help  q quit" };
    let line = Line::from(vec![Span::styled(format!(" {keys}  │  {quit}"), app.theme.dim())]);
    f.render_widget(Paragraph::new(line), area);
}

/// A centred message for a tab whose data has not arrived or failed.
pub fn pending(f: &mut Frame, app: &App, area: Rect, what: &str, err: Option<&str>) {
    let line = match err {
        Some(e) => Line::styled(format!("{what} failed: {e}"), app.theme.bad()),
        None if app.analyses.is_none() && app.failed.is_some() => {
            Line::styled(format!("{what}: loading failed: {}", app.failed.as_deref().unwrap_or_default()), app.theme.bad())
        }
        None if app.analyses.is_none() => Line::raw(format!("{what}: loading the trace, {}…", app.loading_progress())),
        None => Line::raw(format!("{what}: computing…")),
    };
    f.render_widget(Paragraph::new(line).wrap(Wrap { trim: true }), area);
}
