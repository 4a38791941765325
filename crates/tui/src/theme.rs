//! Styles, with no colour at all when `NO_COLOR` is set (no-color.org): then
//! only bold and reverse video mark the selection and headings.

use ratatui::style::{Color, Modifier, Style};

/// The styles the views use.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    /// Whether colours may be used.
    pub color: bool,
}

impl Theme {
    /// Colour unless `NO_COLOR` is set to a non-empty value.
    pub fn from_env() -> Self {
        Theme { color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) }
    }

    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }

    /// Headings and table headers.
    pub fn heading(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    /// The selected row or tab.
    pub fn selected(self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }
    /// Something wrong (a spike, a critical finding, an error).
    pub fn bad(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    /// A warning.
    pub fn warn(self) -> Style {
        self.fg(Color::Yellow)
    }
    /// Secondary text (the footer, hints).
    pub fn dim(self) -> Style {
        if self.color {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default()
        }
    }
    /// The first chart series (p99, busy).
    pub fn series_a(self) -> Style {
        self.fg(Color::Yellow)
    }
    /// The second chart series (runnable goroutines).
    pub fn series_b(self) -> Style {
        self.fg(Color::Cyan)
    }
    /// The chart cursor.
    pub fn cursor(self) -> Style {
        self.fg(Color::Magenta).add_modifier(Modifier::BOLD)
    }
}
