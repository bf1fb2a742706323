//! Small building blocks shared by the panes: tables that drop low-priority columns to fit,
//! a scrolling cursor, text sparklines, a value chart and popups.

use std::ops::Range;

use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Flex, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, Cell, Chart, Clear, Dataset, GraphType, Paragraph, Row, Table, Wrap,
};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::theme::Theme;

/// A table column: its header, the width it needs, and how early it is dropped when the
/// table does not fit (0 is never dropped; higher numbers go first).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub title: &'static str,
    pub width: u16,
    pub priority: u8,
    pub right: bool,
}

impl Column {
    pub const fn left(title: &'static str, width: u16, priority: u8) -> Column {
        Column {
            title,
            width,
            priority,
            right: false,
        }
    }

    pub const fn right(title: &'static str, width: u16, priority: u8) -> Column {
        Column {
            title,
            width,
            priority,
            right: true,
        }
    }
}

/// The indices of the columns that fit in `width` (one space between columns), dropping the
/// highest priorities first (the rightmost among equals).
pub fn fit(columns: &[Column], width: u16) -> Vec<usize> {
    let mut keep: Vec<usize> = (0..columns.len()).collect();
    let need = |keep: &[usize]| -> u16 {
        keep.iter().map(|&i| columns[i].width).sum::<u16>() + keep.len().saturating_sub(1) as u16
    };
    while need(&keep) > width {
        let drop = keep
            .iter()
            .enumerate()
            .filter(|(_, i)| columns[**i].priority > 0)
            .max_by_key(|(pos, i)| (columns[**i].priority, *pos))
            .map(|(pos, _)| pos);
        match drop {
            Some(pos) => {
                keep.remove(pos);
            }
            None => break,
        }
    }
    keep
}

/// A cell's text and style.
pub type CellText = (String, Style);

/// Draws a table of `rows` (already windowed by a [`Cursor`]) with the columns that fit.
/// `sort` marks the sorted column (index, descending). `selected` is the row to highlight
/// within the window.
pub fn draw_table(
    f: &mut Frame,
    area: Rect,
    columns: &[Column],
    rows: Vec<Vec<CellText>>,
    selected: Option<usize>,
    sort: Option<(usize, bool)>,
    theme: Theme,
) {
    let keep = fit(columns, area.width);
    let header = Row::new(keep.iter().map(|&i| {
        let c = &columns[i];
        let mut t = c.title.to_string();
        if let Some((s, desc)) = sort
            && s == i
        {
            t.push(if desc { '▼' } else { '▲' });
        }
        let line = Line::from(t);
        Cell::from(if c.right { line.right_aligned() } else { line })
    }))
    .style(theme.header());
    let body = rows.into_iter().enumerate().map(|(n, cells)| {
        let row = Row::new(keep.iter().map(|&i| {
            let (text, style) = cells.get(i).cloned().unwrap_or_default();
            let line = Line::from(Span::styled(text, style));
            Cell::from(if columns[i].right {
                line.right_aligned()
            } else {
                line
            })
        }));
        if Some(n) == selected {
            row.style(theme.selected())
        } else {
            row
        }
    });
    // The last kept column takes what is left, so a wide terminal is used.
    let widths: Vec<Constraint> = keep
        .iter()
        .enumerate()
        .map(|(pos, &i)| {
            if pos + 1 == keep.len() && !columns[i].right {
                Constraint::Min(columns[i].width)
            } else {
                Constraint::Length(columns[i].width)
            }
        })
        .collect();
    let table = Table::new(body, widths).header(header).column_spacing(1);
    f.render_widget(table, area);
}

/// Selection and scroll position of a list whose rows are built only for the visible window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    pub selected: usize,
    pub offset: usize,
}

impl Cursor {
    /// Moves by `delta` rows, clamped to `len` rows.
    pub fn step(&mut self, delta: isize, len: usize) {
        if len == 0 {
            *self = Cursor::default();
            return;
        }
        self.selected = self.selected.saturating_add_signed(delta).min(len - 1);
    }

    pub fn home(&mut self) {
        self.selected = 0;
    }

    pub fn end(&mut self, len: usize) {
        self.selected = len.saturating_sub(1);
    }

    /// The rows to build for a view `height` rows high, keeping the selection in view.
    pub fn window(&mut self, len: usize, height: usize) -> Range<usize> {
        self.selected = self.selected.min(len.saturating_sub(1));
        let height = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        self.offset = self.offset.min(len.saturating_sub(height));
        self.offset..(self.offset + height).min(len)
    }

    /// Handles the movement keys; true when the key was one.
    pub fn key(&mut self, key: &crossterm::event::KeyEvent, len: usize, page: usize) -> bool {
        use crossterm::event::KeyCode::*;
        let page = page.max(1) as isize;
        match key.code {
            Up | Char('k') => self.step(-1, len),
            Down | Char('j') => self.step(1, len),
            PageUp => self.step(-page, len),
            PageDown => self.step(page, len),
            Home | Char('g') => self.home(),
            End | Char('G') => self.end(len),
            _ => return false,
        }
        true
    }
}

/// The last `n` values as a line of block characters, scaled between their min and max.
pub fn sparkline(values: &[f64], n: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let tail = &values[values.len().saturating_sub(n)..];
    let (lo, hi) = tail
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    tail.iter()
        .map(|v| {
            if hi > lo {
                BARS[(((v - lo) / (hi - lo)) * 7.0).round().clamp(0.0, 7.0) as usize]
            } else {
                BARS[3]
            }
        })
        .collect()
}

/// A line chart of dated values, with the first and last date and the low and high on the axes.
pub fn value_chart(
    f: &mut Frame,
    area: Rect,
    block: Block,
    series: &[(NaiveDate, f64)],
    theme: Theme,
    empty_note: &str,
) {
    line_chart(f, area, block, series, theme, empty_note, compact, None);
}

/// [`value_chart`] with the value axis labelled by `label`, and a vertical line at `mark` (a
/// date in the series) when given.
#[allow(clippy::too_many_arguments)]
pub fn line_chart(
    f: &mut Frame,
    area: Rect,
    block: Block,
    series: &[(NaiveDate, f64)],
    theme: Theme,
    empty_note: &str,
    label: fn(f64) -> String,
    mark: Option<NaiveDate>,
) {
    let inner = block.inner(area);
    f.render_widget(block, area);
    let note = if series.len() < 2 {
        Some(empty_note)
    } else if inner.height < 3 || inner.width < 12 {
        Some("Too small for a chart: enlarge the window.")
    } else {
        None
    };
    if let Some(note) = note {
        f.render_widget(
            Paragraph::new(note)
                .style(theme.dim())
                .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    let first = series[0].0;
    let points: Vec<(f64, f64)> = series
        .iter()
        .map(|(d, v)| ((*d - first).num_days() as f64, *v))
        .collect();
    let (lo, hi) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, v)| {
            (lo.min(*v), hi.max(*v))
        });
    let pad = ((hi - lo) * 0.05).max(hi.abs() * 0.001).max(1e-4);
    let x_max = points.last().map_or(1.0, |p| p.0).max(1.0);
    let last = series[series.len() - 1].0;
    let mark_points: Vec<(f64, f64)> = mark
        .map(|d| {
            let x = (d - first).num_days() as f64;
            let steps = 40;
            (0..=steps)
                .map(|i| {
                    (
                        x,
                        lo - pad + (hi - lo + 2.0 * pad) * i as f64 / steps as f64,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut datasets = vec![
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.chart())
            .data(&points),
    ];
    if !mark_points.is_empty() {
        datasets.push(
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Scatter)
                .style(theme.warn())
                .data(&mark_points),
        );
    }
    let chart = Chart::new(datasets)
        .x_axis(
            Axis::default()
                .bounds([0.0, x_max])
                .labels([Span::raw(first.to_string()), Span::raw(last.to_string())])
                .style(theme.dim()),
        )
        .y_axis(
            Axis::default()
                .bounds([lo - pad, hi + pad])
                .labels([Span::raw(label(lo)), Span::raw(label(hi))])
                .style(theme.dim()),
        );
    f.render_widget(chart, inner);
}

/// `text` in lines of at most `width` columns, broken between words (a word longer than a line
/// is cut where it must be); empty text is no line.
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        if used > 0 && used + 1 + word.len() <= width {
            line.push(' ');
            line.push_str(&word.iter().collect::<String>());
            used += 1 + word.len();
            continue;
        }
        if used > 0 {
            lines.push(std::mem::take(&mut line));
        }
        while word.len() > width {
            lines.push(word.drain(..width).collect());
        }
        used = word.len();
        line = word.into_iter().collect();
    }
    if used > 0 {
        lines.push(line);
    }
    lines
}

/// 1234567.8 -> "1.23M", 81234 -> "81.2k", 12.5 -> "12.50".
pub fn compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.2}B", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.2}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.2}")
    }
}

pub fn to_f64(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// A rectangle of at most `width` x `height` centred in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [r] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(r);
    r
}

/// A bordered popup over everything else, sized to its lines (within `area`).
pub fn popup(f: &mut Frame, area: Rect, title: &str, lines: Vec<Line>, theme: Theme) {
    popup_scrolled(f, area, title, lines, 0, theme);
}

/// A popup whose lines start at `scroll`; when they do not all fit, the frame says how many
/// are above and below and which keys move them. Returns the first line shown (`scroll` held
/// to the last screenful).
pub fn popup_scrolled(
    f: &mut Frame,
    area: Rect,
    title: &str,
    lines: Vec<Line>,
    scroll: usize,
    theme: Theme,
) -> usize {
    let widest = lines
        .iter()
        .map(Line::width)
        .max()
        .unwrap_or(0)
        .max(title.len() + 4);
    let width = u16::try_from(widest).unwrap_or(u16::MAX).saturating_add(4);
    // Lines wider than the screen wrap: count the rows they take.
    let inner = usize::from(width.min(area.width).saturating_sub(2).max(1));
    let rows_of = |l: &Line| l.width().max(1).div_ceil(inner);
    let rows: usize = lines.iter().map(rows_of).sum();
    let height = u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(2);
    let r = centered(area, width, height);
    // The lines that fit from `scroll` on; scrolling stops at the last screenful.
    let room = usize::from(r.height.saturating_sub(2)).max(1);
    let fits = |from: usize| {
        let mut used = 0;
        lines[from..]
            .iter()
            .take_while(|l| {
                used += rows_of(l);
                used <= room
            })
            .count()
            .max(1)
    };
    let mut last_screen = lines.len();
    let mut used = 0;
    while last_screen > 0 && used + rows_of(&lines[last_screen - 1]) <= room {
        used += rows_of(&lines[last_screen - 1]);
        last_screen -= 1;
    }
    let start = scroll.min(last_screen).min(lines.len().saturating_sub(1));
    let shown = if lines.is_empty() { 0 } else { fits(start) };
    let (above, below) = (start, lines.len().saturating_sub(start + shown));
    f.render_widget(Clear, r);
    let mut block = Block::bordered()
        .title(Line::styled(format!(" {title} "), theme.accent()))
        .title_bottom(Line::styled(" Esc closes ", theme.dim()).alignment(Alignment::Right));
    if above + below > 0 {
        let more = match (above, below) {
            (0, b) => format!(" ↓ {b} more (↓ PgDn) "),
            (a, 0) => format!(" ↑ {a} more (↑ PgUp) "),
            (a, b) => format!(" ↑ {a} ↓ {b} more "),
        };
        block = block.title_bottom(Line::styled(more, theme.warn()).alignment(Alignment::Left));
    }
    let visible: Vec<Line> = lines.into_iter().skip(start).take(shown).collect();
    f.render_widget(
        Paragraph::new(visible)
            .block(block)
            .wrap(Wrap { trim: false }),
        r,
    );
    start
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: [Column; 4] = [
        Column::left("Symbol", 6, 0),
        Column::right("Value", 10, 0),
        Column::right("Qty", 8, 2),
        Column::left("Spark", 12, 3),
    ];

    #[test]
    fn columns_are_dropped_by_priority_to_fit() {
        assert_eq!(fit(&COLS, 80), [0, 1, 2, 3]);
        assert_eq!(fit(&COLS, 39), [0, 1, 2, 3]);
        assert_eq!(fit(&COLS, 38), [0, 1, 2]);
        assert_eq!(fit(&COLS, 20), [0, 1]);
        // Never below the columns that cannot go.
        assert_eq!(fit(&COLS, 3), [0, 1]);
    }

    #[test]
    fn the_cursor_keeps_the_selection_in_the_window() {
        let mut c = Cursor::default();
        assert_eq!(c.window(100, 10), 0..10);
        c.step(15, 100);
        assert_eq!(c.window(100, 10), 6..16);
        c.end(100);
        assert_eq!(c.window(100, 10), 90..100);
        // Scrolling up moves the window just enough.
        c.step(-95, 100);
        assert_eq!(c.window(100, 10), 4..14);
        // The list shrank under the cursor.
        c.end(100);
        assert_eq!(c.window(3, 10), 0..3);
        assert_eq!(c.selected, 2);
        assert_eq!(Cursor::default().window(0, 10), 0..0);
    }

    #[test]
    fn words_wrap_at_the_width_and_long_words_are_cut() {
        assert_eq!(
            wrap_words("the frontier is  estimated from history", 16),
            ["the frontier is", "estimated from", "history"]
        );
        assert_eq!(wrap_words("abcdefghij k", 4), ["abcd", "efgh", "ij k"]);
        assert!(wrap_words("  ", 10).is_empty());
    }

    #[test]
    fn sparklines_scale_between_min_and_max() {
        assert_eq!(
            sparkline(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], 8),
            "▁▂▃▄▅▆▇█"
        );
        assert_eq!(sparkline(&[5.0, 5.0], 30), "▄▄");
        assert_eq!(sparkline(&[1.0, 2.0, 3.0], 2), "▁█");
        assert_eq!(sparkline(&[], 30), "");
    }
}
