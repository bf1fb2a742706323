//! A scrolling, filterable table: the cursor, the `/` filter line and the page size, shared by
//! every pane that lists rows.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;

use super::filter::{Edit, Filter};
use super::theme::Theme;
use super::widgets::{CellText, Column, Cursor, draw_table};

#[derive(Debug, Default)]
pub struct List {
    pub cursor: Cursor,
    pub filter: Filter,
    /// Rows that fit at the last draw (for PgUp/PgDn).
    page: usize,
}

/// What to draw: the rows that pass the filter, in order, and how to show them.
pub struct Rows<'a, T> {
    pub columns: &'a [Column],
    pub rows: &'a [T],
    /// Rows before filtering (for "n of total").
    pub total: usize,
    pub sort: Option<(usize, bool)>,
    /// Shown beside the filter instead of the count (an error in the filter text).
    pub note: Option<Span<'a>>,
}

impl List {
    /// While the filter is being typed, the key goes to it (and the cursor back to the top
    /// when the text changes); None when the filter is not being typed.
    pub fn typed(&mut self, key: KeyEvent) -> Option<Edit> {
        if !self.filter.typing {
            return None;
        }
        let edit = self.filter.key(key);
        if matches!(edit, Edit::Changed | Edit::Cleared) {
            self.cursor = Cursor::default();
        }
        Some(edit)
    }

    /// Moves the cursor for the movement keys; true when the key was one.
    pub fn movement(&mut self, key: &KeyEvent, len: usize) -> bool {
        self.cursor.key(key, len, self.page.max(1))
    }

    /// The rows around the cursor as a table in `area`, with the filter line under it while
    /// a filter is set or being typed.
    pub fn draw<T>(
        &mut self,
        f: &mut Frame,
        area: Rect,
        r: Rows<T>,
        theme: Theme,
        cells: impl Fn(&T) -> Vec<CellText>,
    ) {
        let filter_h = u16::from(self.filter.is_active());
        let [table_area, filter_area] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(filter_h)]).areas(area);
        let height = usize::from(table_area.height.saturating_sub(1));
        self.page = height;
        let window = self.cursor.window(r.rows.len(), height);
        let selected = Some(self.cursor.selected - window.start);
        let body = r.rows[window].iter().map(cells).collect();
        draw_table(f, table_area, r.columns, body, selected, r.sort, theme);
        if filter_h > 0 {
            let note = r.note.unwrap_or_else(|| {
                Span::styled(format!(" {} of {} ", r.rows.len(), r.total), theme.dim())
            });
            self.filter.draw(f, filter_area, note, theme);
        }
    }
}
