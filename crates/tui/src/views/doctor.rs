//! Doctor: `schedstat doctor`'s findings, most severe first; the selected
//! one's verdict, evidence and advice below.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use crate::app::App;

/// Draws the tab.
pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let d = match &app.doctor {
        Some(Ok(d)) => d,
        Some(Err(e)) => return super::pending(f, app, area, "the doctor", Some(e)),
        None => return super::pending(f, app, area, "the doctor", None),
    };
    let [list, detail] = Layout::vertical([Constraint::Length((d.findings.len() as u16 + 2).min(8)), Constraint::Min(3)]).areas(area);
    let text = d
        .findings
        .iter()
        .map(|x| vec![format!("{:?}", x.severity).to_lowercase(), x.id.clone(), x.title.clone()])
        .collect();
    super::table::draw(
        f,
        app.theme,
        list,
        &format!("{} findings ({} checks)", d.findings.len(), d.checks.len()),
        &["severity", "pattern", "finding"],
        &[Constraint::Length(8), Constraint::Length(16), Constraint::Min(10)],
        text,
        (!d.findings.is_empty()).then_some(app.sel()),
    );
    let lines: Vec<Line> = match d.findings.get(app.sel()) {
        Some(x) => {
            let mut l = vec![Line::styled(x.verdict.clone(), app.theme.bad())];
            l.extend(x.evidence.iter().map(|e| Line::raw(format!("• {e}"))));
            l.extend(x.advice.iter().map(|a| Line::raw(format!("→ {a}"))));
            l
        }
        None => vec![Line::raw("Nothing above the thresholds: no pattern found.")],
    };
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::default().borders(Borders::TOP).title("verdict, evidence, advice").title_style(app.theme.heading())),
        detail,
    );
}
