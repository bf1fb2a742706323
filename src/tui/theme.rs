//! Colours, or none: with `NO_COLOR` set (https://no-color.org) every distinction is made with
//! bold, reverse video and signs instead.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Colour unless `NO_COLOR` is set to a non-empty value.
    pub fn from_env() -> Theme {
        Theme {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn gain(self) -> Style {
        self.fg(Color::Green)
    }

    pub fn loss(self) -> Style {
        self.fg(Color::Red)
    }

    /// Green for a gain, red for a loss, plain for zero or unknown.
    pub fn signed(self, sign: Option<std::cmp::Ordering>) -> Style {
        match sign {
            Some(std::cmp::Ordering::Greater) => self.gain(),
            Some(std::cmp::Ordering::Less) => self.loss(),
            _ => Style::new(),
        }
    }

    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    pub fn accent(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn header(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    pub fn selected(self) -> Style {
        if self.color {
            Style::new()
                .bg(Color::DarkGray)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    pub fn warn(self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// A cell whose value just changed: up or down.
    pub fn flash(self, up: bool) -> Style {
        match (self.color, up) {
            (true, true) => Style::new().fg(Color::Black).bg(Color::Green),
            (true, false) => Style::new().fg(Color::Black).bg(Color::Red),
            (false, _) => Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        }
    }

    pub fn tab(self, active: bool) -> Style {
        if active {
            self.accent().add_modifier(Modifier::REVERSED)
        } else {
            Style::new()
        }
    }

    pub fn bar(self) -> Style {
        self.fg(Color::Blue)
    }

    /// A correlation in a heatmap: hotter the closer it is to 1, blue when negative.
    pub fn heat(self, c: f64) -> Style {
        if !self.color {
            return if c >= 0.7 {
                Style::new().add_modifier(Modifier::BOLD)
            } else {
                Style::new()
            };
        }
        match c {
            c if c >= 0.7 => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            c if c >= 0.4 => Style::new().fg(Color::LightRed),
            c if c >= 0.1 => Style::new().fg(Color::Yellow),
            c if c > -0.1 => Style::new().fg(Color::DarkGray),
            _ => Style::new().fg(Color::LightBlue),
        }
    }

    pub fn severity(self, s: crate::analytics::anomaly::Severity) -> Style {
        use crate::analytics::anomaly::Severity;
        match s {
            Severity::Critical => self.error(),
            Severity::Warning => self.warn(),
            Severity::Info => self.dim(),
        }
    }

    pub fn chart(self) -> Style {
        self.fg(Color::Cyan)
    }
}
