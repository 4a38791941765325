//! SQL: the `--sql` prompt inside the UI: a query on the trace's database
//! (sqlprof's tables and schedstat's views), the rows as a scrollable table,
//! and the history on ↑/↓.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;
use schedstat_query::Cell;

use crate::app::App;

/// Draws the tab.
pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let th = app.theme;
    let s = &app.sql;
    let [input, info, rows] = Layout::vertical([Constraint::Length(3), Constraint::Length(1), Constraint::Min(2)]).areas(area);
    let prompt = if s.editing { format!("sql> {}█", s.input) } else { format!("sql> {}", s.input) };
    let title = if s.editing { "query (Enter runs, Esc stops typing)" } else { "query (Enter to type)" };
    f.render_widget(
        Paragraph::new(prompt)
            .wrap(Wrap { trim: false })
            .block(Block::default().borders(Borders::ALL).title(title).title_style(th.heading())),
        input,
    );
    let status = match &s.result {
        _ if app.analyses.is_none() && app.failed.is_some() => Line::styled(
            format!("the database could not be loaded: {}", app.failed.as_deref().unwrap_or_default()),
            th.bad(),
        ),
        // Queries wait in line until the database is loaded.
        _ if s.running && app.analyses.is_none() => {
            Line::raw(format!("waiting for the database to load: {}…", app.loading_progress()))
        }
        _ if s.running => Line::raw("running…"),
        None if app.analyses.is_none() => Line::styled(
            format!("the database is loading: {}; a query runs once it is in", app.loading_progress()),
            th.dim(),
        ),
        None => Line::styled(
            format!("tables: g_transitions p_transitions goroutines procs stacks delays runs ranges … ({} in history)", s.history.len()),
            th.dim(),
        ),
        Some((Err(e), _)) => Line::styled(format!("error: {e}"), th.bad()),
        Some((Ok(r), t)) => Line::raw(format!(
            "{} rows, {} columns in {:.1} ms; rows {}-{}",
            r.rows.len(),
            r.columns.len(),
            t.as_secs_f64() * 1e3,
            (s.scroll + 1).min(r.rows.len()),
            (s.scroll + rows.height.saturating_sub(2) as usize).min(r.rows.len())
        )),
    };
    f.render_widget(Paragraph::new(status), info);
    if let Some((Ok(r), _)) = &s.result {
        let cols: Vec<&str> = r.columns.iter().skip(s.col_scroll).map(String::as_str).collect();
        let text: Vec<Vec<String>> = r
            .rows
            .iter()
            .skip(s.scroll)
            .take(rows.height as usize)
            .map(|row| row.iter().skip(s.col_scroll).map(Cell::to_string).collect())
            .collect();
        let widths: Vec<Constraint> = cols
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let w = text.iter().filter_map(|r| r.get(i)).map(|v| v.chars().count()).max().unwrap_or(0).max(c.chars().count());
                Constraint::Length(w.min(60) as u16)
            })
            .collect();
        super::table::draw(f, th, rows, "result", &cols, &widths, text, None);
    }
}
