//! The terminal: raw mode and the alternate screen for the UI's lifetime,
//! restored on every way out (return, error, panic: ratatui's `try_init`
//! installs a panic hook that restores first), and the event loop.

use std::io::Write;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self, Event};

use crate::app::App;
use crate::data::Session;
use crate::keys::{self, Effect};
use crate::theme::Theme;

/// How the UI ended, for the CLI's exit code and last words on stderr.
#[derive(Debug, Default)]
pub struct Ended {
    /// The reader's warning when the trace was cut or damaged (exit 3).
    pub warning: Option<String>,
    /// Why loading or an analysis failed, if it did (exit 4).
    pub failed: Option<String>,
}

/// Restores the terminal when dropped, so an early `?` return leaves it usable too.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Runs the UI until `q`: draws, reads keys, takes in the loading thread's updates.
pub fn run(session: Session) -> std::io::Result<Ended> {
    let mut terminal = ratatui::try_init()?;
    let _restore = Restore;
    let mut app = App::new(Theme::from_env());
    let mut log = match &session.latency_log {
        Some(p) => Some(std::fs::OpenOptions::new().create(true).append(true).open(p)?),
        None => None,
    };
    // The key being answered: when it was read, and its name for the log.
    let mut key_at: Option<(Instant, String)> = None;
    loop {
        while let Ok(u) = session.updates.try_recv() {
            app.update(u);
        }
        // The timeline's lanes follow its view and width, computed from memory
        // before drawing; a first draw (or a resize) tells the width, then a second one shows them.
        let mut lanes_changed = app.refresh_lanes();
        terminal.draw(|f| crate::views::draw(f, &mut app))?;
        if app.refresh_lanes() {
            lanes_changed = true;
            terminal.draw(|f| crate::views::draw(f, &mut app))?;
        }
        if let (Some((t, name)), Some(l)) = (key_at.take(), log.as_mut()) {
            let us = t.elapsed().as_micros();
            writeln!(l, "key {us} {name} {}", app.tab.title())?;
            if lanes_changed {
                writeln!(l, "timeline {us} {name} {}", app.tab.title())?;
            }
        }
        if app.quit {
            break;
        }
        if event::poll(Duration::from_millis(50))? {
            let ev = event::read()?;
            let t = Instant::now();
            if let Event::Key(k) = ev {
                key_at = Some((t, format!("{:?}", k.code).replace(' ', "")));
                if let Effect::Ask(q) = keys::handle(&mut app, k) {
                    let _ = session.queries.send(q);
                }
            }
        }
    }
    let failed = app
        .failed
        .clone()
        .or_else(|| app.report.as_ref().and_then(|r| r.as_ref().err()).map(|e| format!("the report failed: {e}")))
        .or_else(|| app.doctor.as_ref().and_then(|r| r.as_ref().err()).map(|e| format!("the doctor failed: {e}")));
    Ok(Ended { warning: app.basics.as_ref().and_then(|b| b.warning.clone()), failed })
}
