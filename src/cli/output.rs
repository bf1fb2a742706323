//! Output helpers: human tables and JSON.

use comfy_table::{Cell, CellAlignment, Table, presets};
use rust_decimal::Decimal;
use serde::Serialize;

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

/// Prints `value` as pretty JSON on stdout.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    write_line(format_args!("{}", serde_json::to_string_pretty(value)?))?;
    Ok(())
}

/// A plain table: a header row, right-aligned numeric columns.
pub struct Report {
    table: Table,
    numeric: Vec<bool>,
}

impl Report {
    /// `columns` are header names; a name ending in `>` is a right-aligned (numeric) column.
    pub fn new(columns: &[&str]) -> Report {
        let mut table = Table::new();
        table.load_style(presets::NOTHING);
        let numeric: Vec<bool> = columns.iter().map(|c| c.ends_with('>')).collect();
        table.set_header(columns.iter().map(|c| Cell::new(c.trim_end_matches('>'))));
        for (i, n) in numeric.iter().enumerate() {
            if *n && let Some(col) = table.column_mut(i) {
                col.set_cell_alignment(CellAlignment::Right);
            }
        }
        Report { table, numeric }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.numeric.len());
        self.table.add_row(cells);
    }

    pub fn print(&self) -> std::io::Result<()> {
        let text = self.table.to_string();
        let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
        write_line(format_args!("{}", lines.join("\n").trim_end()))
    }
}

/// Money for people: 2 decimals and thousands separators, e.g. -12,345.60.
pub fn money(d: Decimal) -> String {
    group(d.round_dp(2), 2)
}

/// A quantity for people: as many decimals as it has, thousands separators.
pub fn qty(d: Decimal) -> String {
    let n = d.normalize();
    group(n, n.scale())
}

/// A price for people: at least 2 decimals, up to 4.
pub fn price(d: Decimal) -> String {
    let n = d.round_dp(4).normalize();
    group(n, n.scale().max(2))
}

pub fn pct(d: Decimal) -> String {
    format!("{:.2}%", d.round_dp(2))
}

pub fn opt(v: Option<Decimal>, f: fn(Decimal) -> String) -> String {
    v.map(f).unwrap_or_else(|| "-".to_string())
}

fn group(d: Decimal, scale: u32) -> String {
    let s = format!("{:.*}", scale as usize, d.abs());
    let (int, frac) = s
        .split_once('.')
        .map(|(a, b)| (a, Some(b)))
        .unwrap_or((&s, None));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    if d.is_sign_negative() && !d.is_zero() {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn formats() {
        assert_eq!(money(dec!(-1234567.456)), "-1,234,567.46");
        assert_eq!(money(dec!(0.1)), "0.10");
        assert_eq!(qty(dec!(1000.500)), "1,000.5");
        assert_eq!(price(dec!(12.3)), "12.30");
        assert_eq!(price(dec!(0.123456)), "0.1235");
    }
}
