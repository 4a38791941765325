//! Keys → changes to [`App`], and the queries a key asks for. The keys are
//! the ones people expect: arrows or hjkl to move, Enter to open, Esc or
//! Backspace to go back, Tab to switch tabs, `+`/`-` and W/S/A/D (like the
//! web page) on the timeline, `?` for help, `q` to quit.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::app::{App, GoroutineLevel, SpikeSort, Tab};
use crate::data::Query;

/// The help text: (keys, what they do). Shown by `?`; the footer shows the open tab's part.
pub const HELP: &[(&str, &str)] = &[
    ("Tab / Shift-Tab", "next / previous tab"),
    ("1-9, 0, :", "open a tab by its number (`:` is SQL)"),
    ("↑↓ / j k, PgUp PgDn", "move the selection"),
    ("Enter", "open: a spike, a group, a goroutine, a finding"),
    ("Esc / Backspace", "back"),
    ("s", "Spikes: sort by rank, time, value"),
    ("← → / h l", "Profiles: kind; Series: move the window cursor"),
    ("a", "Series: all windows (drop the filter)"),
    ("+ - / w s", "Timeline: zoom in / out"),
    ("← → / h l / a d", "Timeline: pan"),
    ("↑↓ / j k", "Timeline: scroll lanes"),
    ("r", "Timeline: whole trace"),
    ("Enter", "SQL: type a query, Enter runs it; ↑↓ history; PgUp PgDn rows; ← → columns; Esc stops typing"),
    ("?", "this help (any key closes)"),
    ("q / Ctrl-C", "quit"),
];

/// What a key press needs besides the state change.
pub enum Effect {
    /// Nothing.
    None,
    /// Send this query.
    Ask(Query),
}

/// Handles one key.
pub fn handle(app: &mut App, k: KeyEvent) -> Effect {
    if k.kind == KeyEventKind::Release {
        return Effect::None;
    }
    // Esc and a key arriving together (a slow link, a fast typist) reach us
    // as Alt+key: take it as the two keys it was.
    if k.modifiers.contains(KeyModifiers::ALT) {
        if let KeyCode::Char(_) = k.code {
            let _ = handle_one(app, KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
            return handle_one(app, KeyEvent::new(k.code, k.modifiers - KeyModifiers::ALT));
        }
    }
    handle_one(app, k)
}

fn handle_one(app: &mut App, k: KeyEvent) -> Effect {
    if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL) {
        app.quit = true;
        return Effect::None;
    }
    if app.help {
        app.help = false;
        return Effect::None;
    }
    if app.tab == Tab::Sql && app.sql.editing {
        if !matches!(k.code, KeyCode::Tab | KeyCode::BackTab) {
            return sql_key(app, k);
        }
        app.sql.editing = false;
    }
    match k.code {
        KeyCode::Char('q') => {
            app.quit = true;
            return Effect::None;
        }
        KeyCode::Char('?') => {
            app.help = true;
            return Effect::None;
        }
        KeyCode::Tab => {
            app.tab = Tab::ALL[(Tab::ALL.iter().position(|t| *t == app.tab).unwrap_or(0) + 1) % Tab::ALL.len()];
            return Effect::None;
        }
        KeyCode::BackTab => {
            let i = Tab::ALL.iter().position(|t| *t == app.tab).unwrap_or(0);
            app.tab = Tab::ALL[(i + Tab::ALL.len() - 1) % Tab::ALL.len()];
            return Effect::None;
        }
        KeyCode::Char(c) => {
            if let Some(t) = Tab::ALL.iter().find(|t| t.key() == c) {
                app.tab = *t;
                if *t == Tab::Sql {
                    app.sql.editing = true;
                }
                return Effect::None;
            }
        }
        _ => {}
    }
    match app.tab {
        Tab::Timeline => timeline_key(app, k),
        Tab::Timeseries => series_key(app, k),
        Tab::Sql => {
            if k.code == KeyCode::Enter || k.code == KeyCode::Char('i') {
                app.sql.editing = true;
            }
            Effect::None
        }
        _ => table_key(app, k),
    }
}

/// Rows in the open tab's table (for moving the selection).
fn rows(app: &App) -> usize {
    let r = app.report();
    match app.tab {
        Tab::Spikes => app.spike_rows().len(),
        Tab::Delays => crate::views::delays::rows(app).len(),
        Tab::Waiters => r.and_then(|r| r.top_waiters.as_ref()).map_or(0, Vec::len),
        Tab::Goroutines => match (&app.goroutine_level, &app.analyses) {
            (GoroutineLevel::Groups, _) => app.groups.len(),
            (GoroutineLevel::Group(_), _) => app.members.len(),
            _ => 0,
        },
        Tab::Profiles => app.analyses.as_ref().and_then(|a| a.profiles.get(app.profile)).map_or(0, |p| p.stacks.len()),
        Tab::Gc => app.analyses.as_ref().map_or(0, |a| a.gc.stw.len()),
        Tab::Leaks => crate::views::leaks::groups(app).len(),
        Tab::Doctor => app.doctor.as_ref().and_then(|d| d.as_ref().ok()).map_or(0, |d| d.findings.len()),
        _ => 0,
    }
}

fn table_key(app: &mut App, k: KeyEvent) -> Effect {
    let n = rows(app);
    let sel = app.sel();
    match k.code {
        KeyCode::Down | KeyCode::Char('j') => app.set_sel(sel + 1, n),
        KeyCode::Up | KeyCode::Char('k') => app.set_sel(sel.saturating_sub(1), n),
        KeyCode::PageDown => app.set_sel(sel + 10, n),
        KeyCode::PageUp => app.set_sel(sel.saturating_sub(10), n),
        KeyCode::Home | KeyCode::Char('g') => app.set_sel(0, n),
        KeyCode::End | KeyCode::Char('G') => app.set_sel(n.saturating_sub(1), n),
        KeyCode::Char('s') if app.tab == Tab::Spikes => {
            app.spike_sort = match app.spike_sort {
                SpikeSort::Rank => SpikeSort::Time,
                SpikeSort::Time => SpikeSort::Value,
                SpikeSort::Value => SpikeSort::Rank,
            };
            app.spike_open = None;
        }
        KeyCode::Left | KeyCode::Char('h') if app.tab == Tab::Profiles => {
            app.profile = (app.profile + 3) % 4;
            app.set_sel(0, 1);
        }
        KeyCode::Right | KeyCode::Char('l') if app.tab == Tab::Profiles => {
            app.profile = (app.profile + 1) % 4;
            app.set_sel(0, 1);
        }
        KeyCode::Enter => enter(app),
        KeyCode::Esc | KeyCode::Backspace => back(app),
        _ => {}
    }
    // An open spike follows the selection.
    if app.tab == Tab::Spikes && app.spike_open.is_some() && app.sel() != sel {
        enter(app);
    }
    Effect::None
}

fn enter(app: &mut App) {
    match app.tab {
        Tab::Spikes => {
            if let Some(row) = app.spike_rows().get(app.sel()) {
                app.spike_open = Some((row.index, row.kind));
            }
        }
        Tab::Goroutines => {
            let sel = app.sel();
            let next = match &app.goroutine_level {
                GoroutineLevel::Groups => app.groups.get(sel).map(|g| GoroutineLevel::Group(g.name.clone())),
                GoroutineLevel::Group(name) => app.members.get(sel).map(|id| GoroutineLevel::One(name.clone(), *id)),
                GoroutineLevel::One(..) => None,
            };
            if let Some(level) = next {
                if let GoroutineLevel::Group(name) = &level {
                    app.open_group(&name.clone());
                }
                app.goroutine_rows.push(sel);
                app.goroutine_level = level;
                app.set_sel(0, 1);
            }
        }
        _ => {}
    }
}

fn back(app: &mut App) {
    match app.tab {
        Tab::Spikes => app.spike_open = None,
        Tab::Goroutines => {
            app.goroutine_level = match &app.goroutine_level {
                GoroutineLevel::One(name, _) => GoroutineLevel::Group(name.clone()),
                _ => GoroutineLevel::Groups,
            };
            let row = app.goroutine_rows.pop().unwrap_or(0);
            app.set_sel(row, usize::MAX);
        }
        _ => {}
    }
}

fn series_key(app: &mut App, k: KeyEvent) -> Effect {
    let windows = app.report().and_then(|r| r.timeseries.as_ref()).map_or(0, |t| t.len()) as i64;
    if windows == 0 {
        return Effect::None;
    }
    let w = app.window;
    app.window = match k.code {
        KeyCode::Right | KeyCode::Char('l') => Some(w.map_or(0, |w| (w + 1).min(windows - 1))),
        KeyCode::Left | KeyCode::Char('h') => Some(w.map_or(windows - 1, |w| (w - 1).max(0))),
        KeyCode::End => Some(windows - 1),
        KeyCode::Home => Some(0),
        KeyCode::Char('a') | KeyCode::Esc => None,
        _ => w,
    };
    if app.window != w {
        app.spike_open = None;
        app.selected = [0; 11];
    }
    Effect::None
}

fn timeline_key(app: &mut App, k: KeyEvent) -> Effect {
    let Some(view) = app.view.as_mut() else { return Effect::None };
    match k.code {
        KeyCode::Char('+') | KeyCode::Char('=') | KeyCode::Char('w') | KeyCode::Char('W') => view.zoom_in(),
        KeyCode::Char('-') | KeyCode::Char('s') | KeyCode::Char('S') => view.zoom_out(),
        KeyCode::Left | KeyCode::Char('h') | KeyCode::Char('a') | KeyCode::Char('A') => view.pan(-0.25),
        KeyCode::Right | KeyCode::Char('l') | KeyCode::Char('d') | KeyCode::Char('D') => view.pan(0.25),
        KeyCode::Char('r') => *view = crate::timeline::View::whole(view.start, view.end),
        KeyCode::Down | KeyCode::Char('j') => app.lane_scroll += 1,
        KeyCode::Up | KeyCode::Char('k') => app.lane_scroll = app.lane_scroll.saturating_sub(1),
        _ => {}
    }
    if let Some((_, lanes)) = &app.lanes {
        app.lane_scroll = app.lane_scroll.min(lanes.len().saturating_sub(1));
    }
    Effect::None
}

fn sql_key(app: &mut App, k: KeyEvent) -> Effect {
    let s = &mut app.sql;
    let page = 10;
    match k.code {
        KeyCode::Esc => s.editing = false,
        KeyCode::Enter => {
            let q = s.input.trim().to_string();
            if q.is_empty() || s.running {
                return Effect::None;
            }
            if s.history.last() != Some(&q) {
                s.history.push(q.clone());
            }
            s.history_pos = None;
            s.input.clear();
            s.running = true;
            return Effect::Ask(Query { sql: q });
        }
        KeyCode::Backspace => {
            s.input.pop();
        }
        KeyCode::Up => {
            let pos = match s.history_pos {
                None => s.history.len().checked_sub(1),
                Some(p) => Some(p.saturating_sub(1)),
            };
            if let Some(p) = pos {
                s.history_pos = Some(p);
                s.input = s.history[p].clone();
            }
        }
        KeyCode::Down => match s.history_pos {
            Some(p) if p + 1 < s.history.len() => {
                s.history_pos = Some(p + 1);
                s.input = s.history[p + 1].clone();
            }
            Some(_) => {
                s.history_pos = None;
                s.input.clear();
            }
            None => {}
        },
        KeyCode::PageDown => {
            let n = s.result.as_ref().and_then(|(r, _)| r.as_ref().ok()).map_or(0, |r| r.rows.len());
            s.scroll = (s.scroll + page).min(n.saturating_sub(1));
        }
        KeyCode::PageUp => s.scroll = s.scroll.saturating_sub(page),
        KeyCode::Right => {
            let n = s.result.as_ref().and_then(|(r, _)| r.as_ref().ok()).map_or(0, |r| r.columns.len());
            s.col_scroll = (s.col_scroll + 1).min(n.saturating_sub(1));
        }
        KeyCode::Left => s.col_scroll = s.col_scroll.saturating_sub(1),
        KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => s.input.push(c),
        _ => {}
    }
    Effect::None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theme::Theme;

    fn press(app: &mut App, code: KeyCode) -> Effect {
        handle(app, KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn tabs_cycle_and_open_by_key() {
        let mut app = App::new(Theme { color: false });
        press(&mut app, KeyCode::BackTab);
        assert_eq!(app.tab, Tab::Sql);
        press(&mut app, KeyCode::Tab);
        assert_eq!(app.tab, Tab::Spikes);
        press(&mut app, KeyCode::Char('0'));
        assert_eq!(app.tab, Tab::Timeline);
        press(&mut app, KeyCode::Char('?'));
        assert!(app.help);
        press(&mut app, KeyCode::Char('q'));
        assert!(!app.quit && !app.help, "the first key only closes the help");
        press(&mut app, KeyCode::Char('q'));
        assert!(app.quit);
    }

    #[test]
    fn sql_typing_history_and_quitting() {
        let mut app = App::new(Theme { color: false });
        press(&mut app, KeyCode::Char(':'));
        assert!(app.tab == Tab::Sql && app.sql.editing);
        for c in "select 1 -- q".chars() {
            press(&mut app, KeyCode::Char(c));
        }
        assert!(!app.quit, "q is text while typing");
        let Effect::Ask(q) = press(&mut app, KeyCode::Enter) else { panic!("Enter runs the query") };
        assert_eq!(q.sql, "select 1 -- q");
        assert!(app.sql.running && app.sql.input.is_empty());
        press(&mut app, KeyCode::Up);
        assert_eq!(app.sql.input, "select 1 -- q");
        press(&mut app, KeyCode::Down);
        assert_eq!(app.sql.input, "");
        // Esc and q arriving as one Alt+q: stop typing, then quit.
        handle(&mut app, KeyEvent::new(KeyCode::Char('q'), KeyModifiers::ALT));
        assert!(!app.sql.editing && app.quit);
    }

    #[test]
    fn ctrl_c_quits_even_while_typing() {
        let mut app = App::new(Theme { color: false });
        press(&mut app, KeyCode::Char(':'));
        handle(&mut app, KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
        assert!(app.quit);
    }
}
