//! The `/` filter line of a table: typed with ratatui-textarea, applied as you type.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui_textarea::TextArea;

use super::theme::Theme;

/// What a key did to the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// The text changed: apply it.
    Changed,
    /// Enter: keep the filter, stop typing.
    Done,
    /// Esc: the filter was cleared.
    Cleared,
    /// Nothing happened.
    None,
}

#[derive(Debug, Default)]
pub struct Filter {
    input: TextArea<'static>,
    /// Keys go to the filter while this is true.
    pub typing: bool,
}

impl Filter {
    pub fn start(&mut self) {
        self.typing = true;
        self.input
            .set_cursor_line_style(ratatui::style::Style::new());
    }

    pub fn text(&self) -> &str {
        self.input.lines().first().map_or("", |l| l.trim())
    }

    pub fn is_active(&self) -> bool {
        self.typing || !self.text().is_empty()
    }

    pub fn clear(&mut self) {
        self.input = TextArea::default();
        self.typing = false;
    }

    pub fn key(&mut self, key: KeyEvent) -> Edit {
        match key.code {
            KeyCode::Enter => {
                self.typing = false;
                Edit::Done
            }
            KeyCode::Esc => {
                self.clear();
                Edit::Cleared
            }
            // One line only: no newline shortcuts.
            KeyCode::Char('m' | 'j') if key.modifiers.contains(KeyModifiers::CONTROL) => Edit::None,
            _ => {
                if self.input.input(key) {
                    Edit::Changed
                } else {
                    Edit::None
                }
            }
        }
    }

    /// Draws `/ text` (with the cursor while typing) and `note` at the right (an error or a
    /// match count).
    pub fn draw(&mut self, f: &mut Frame, area: Rect, note: Span, theme: Theme) {
        let [slash, text, right] = Layout::horizontal([
            Constraint::Length(2),
            Constraint::Fill(1),
            Constraint::Length(note.width() as u16),
        ])
        .areas(area);
        f.render_widget(Span::styled("/ ", theme.accent()), slash);
        if self.typing {
            self.input.set_cursor_style(
                ratatui::style::Style::new().add_modifier(ratatui::style::Modifier::REVERSED),
            );
        } else {
            self.input.set_cursor_style(ratatui::style::Style::new());
        }
        f.render_widget(&self.input, text);
        f.render_widget(note, right);
    }
}
