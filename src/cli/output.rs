//! Output helpers: human tables and JSON.

use comfy_table::{Cell, CellAlignment, ColumnConstraint, Table, presets};
use serde::Serialize;

pub use crate::format::{money, money_or_blank, opt, pct, price, qty};

/// Writes one line to stdout. A closed pipe (`folio lots | head`) is an io error that `main`
/// turns into a quiet exit, never a panic.
pub fn write_line(args: std::fmt::Arguments) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_fmt(args)?;
    out.write_all(b"\n")
}

/// `println!` for command output: returns the write error instead of panicking.
macro_rules! outln {
    () => { $crate::cli::output::write_line(format_args!(""))? };
    ($($t:tt)*) => { $crate::cli::output::write_line(format_args!($($t)*))? };
}
pub(crate) use outln;

/// The report's warnings, one line each, on stderr (where they do not mix with the table).
pub fn warnings(lines: &[String]) -> std::io::Result<()> {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    for l in lines {
        // A closed stderr is no reason to fail the command.
        let _ = writeln!(err, "folio: warning: {l}");
    }
    Ok(())
}

/// Prints `value` as pretty JSON on stdout.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    write_line(format_args!("{}", serde_json::to_string_pretty(value)?))?;
    Ok(())
}

/// A plain table: a header row, right-aligned numeric columns. On a terminal too narrow for it,
/// optional columns are hidden (rightmost first) rather than letting every row wrap.
pub struct Report {
    table: Table,
    /// Header name and whether the column may be hidden, per column.
    columns: Vec<(String, bool)>,
}

impl Report {
    /// `columns` are header names; a name ending in `>` is a right-aligned (numeric) column, one
    /// starting with `~` may be hidden to fit a narrow terminal.
    pub fn new(columns: &[&str]) -> Report {
        let mut table = Table::new();
        table.load_style(presets::NOTHING);
        let names = columns
            .iter()
            .map(|c| c.trim_start_matches('~').trim_end_matches('>'));
        table.set_header(names.clone().map(Cell::new));
        for (i, c) in columns.iter().enumerate() {
            if c.ends_with('>')
                && let Some(col) = table.column_mut(i)
            {
                col.set_cell_alignment(CellAlignment::Right);
            }
        }
        let columns = names
            .zip(columns)
            .map(|(n, c)| (n.to_string(), c.starts_with('~')))
            .collect();
        Report { table, columns }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.columns.len());
        self.table.add_row(cells);
    }

    /// Prints the table, fitted to the terminal when stdout is one.
    pub fn print(self) -> std::io::Result<()> {
        let width = terminal_size::terminal_size().map(|(w, _)| usize::from(w.0));
        write_line(format_args!("{}", self.render(width)))
    }

    /// The table as text no wider than `width` where hiding optional columns allows, with a
    /// note naming what was hidden.
    fn render(mut self, width: Option<usize>) -> String {
        let text = |t: &Table| -> String {
            let s = t.to_string();
            s.lines()
                .map(str::trim_end)
                .collect::<Vec<_>>()
                .join("\n")
                .trim_end()
                .to_string()
        };
        let fits = |s: &str| width.is_none_or(|w| s.lines().all(|l| l.chars().count() <= w));
        let mut out = text(&self.table);
        let mut hidden = Vec::new();
        for i in (0..self.columns.len()).rev() {
            if fits(&out) {
                break;
            }
            if self.columns[i].1
                && let Some(col) = self.table.column_mut(i)
            {
                col.set_constraint(ColumnConstraint::Hidden);
                hidden.insert(0, self.columns[i].0.as_str());
                out = text(&self.table);
            }
        }
        if !hidden.is_empty() {
            out.push_str(&format!(
                "\n({} hidden to fit the terminal; --json has every field)",
                hidden.join(", ")
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn narrow_terminals_hide_optional_columns_rightmost_first() {
        let report = || {
            let mut r = Report::new(&["Symbol", "~Note", "Value>", "~Ccy"]);
            r.row(vec![
                "VTI".into(),
                "a long note about this row".into(),
                "1,234.00".into(),
                "USD".into(),
            ]);
            r
        };
        let wide = report().render(None);
        assert!(
            wide.contains("a long note") && wide.contains("USD") && !wide.contains("hidden"),
            "{wide}"
        );
        let narrow = report().render(Some(30));
        assert!(
            !narrow.contains("a long note")
                && !narrow.contains("USD")
                && narrow.contains("1,234.00"),
            "{narrow}"
        );
        assert!(
            narrow.ends_with("(Note, Ccy hidden to fit the terminal; --json has every field)"),
            "{narrow}"
        );
        let table_lines = narrow.lines().count() - 1;
        assert!(
            narrow
                .lines()
                .take(table_lines)
                .all(|l| l.chars().count() <= 30),
            "{narrow}"
        );
    }

    #[test]
    fn formats() {
        assert_eq!(money(dec!(-1234567.456)), "-1,234,567.46");
        assert_eq!(money(dec!(0.1)), "0.10");
        assert_eq!(qty(dec!(1000.500)), "1,000.5");
        assert_eq!(price(dec!(12.3)), "12.30");
        assert_eq!(price(dec!(0.123456)), "0.1235");
    }
}
