//! A CSV file read by polars into string columns, with helpers for the cells.

use std::io::Cursor;
use std::str::FromStr;

use chrono::NaiveDate;
use polars::prelude::*;
use rust_decimal::Decimal;

use super::{Problem, Rejection};

/// A CSV file's header and cells, all read as text.
pub struct Table {
    /// Header names, trimmed and lower-cased.
    pub headers: Vec<String>,
    df: DataFrame,
    /// File line of each data row, when quoted fields span lines (else row + 2).
    lines: Option<Vec<usize>>,
}

impl Table {
    /// Reads `bytes` (the whole file) as comma-separated CSV with a header row.
    pub fn read(source: &str, bytes: &[u8], expected: &str) -> Result<Table, Rejection> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(Rejection::one(
                source,
                Problem::file(format!(
                    "the file is empty; expected a header row such as: {expected}"
                )),
            ));
        }
        if std::str::from_utf8(bytes).is_err() {
            return Err(Rejection::one(
                source,
                Problem::file("the file is not UTF-8 text; save it as UTF-8 CSV"),
            ));
        }
        let df = CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_raise_if_empty(false)
            .into_reader_with_file_handle(Cursor::new(bytes))
            .finish()
            .map_err(|e| Rejection::one(source, diagnose(bytes, &e)))?;
        let headers = df
            .get_column_names()
            .iter()
            .map(|n| n.trim().to_ascii_lowercase())
            .collect();
        let mut df = df;
        df.rechunk_mut();
        let lines = if bytes.contains(&b'"') {
            record_lines(bytes).filter(|l| l.len() == df.height())
        } else {
            None
        };
        Ok(Table { headers, df, lines })
    }

    pub fn height(&self) -> usize {
        self.df.height()
    }

    pub fn col(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    /// The text of a cell, trimmed; None when empty.
    pub fn cell(&self, col: usize, row: usize) -> Option<&str> {
        let c = self.df.columns()[col].str().ok()?;
        c.get(row).map(str::trim).filter(|s| !s.is_empty())
    }

    /// The file line of a data row (the header is line 1).
    pub fn line(&self, row: usize) -> usize {
        self.lines
            .as_ref()
            .and_then(|l| l.get(row).copied())
            .unwrap_or(row + 2)
    }

    /// True when every cell of the row is empty (a blank line).
    pub fn is_blank(&self, row: usize) -> bool {
        (0..self.headers.len()).all(|c| self.cell(c, row).is_none())
    }

    /// Rejects a header that lacks a required column, guessing a wrong delimiter.
    pub fn require(
        &self,
        source: &str,
        required: &[&str],
        expected: &str,
    ) -> Result<(), Rejection> {
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|c| self.col(c).is_none())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let mut reason = format!(
            "the header lacks the column{} {}",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", ")
        );
        if self.headers.len() == 1 {
            let h = &self.headers[0];
            if let Some(sep) = [';', '\t', '|'].into_iter().find(|s| h.contains(*s)) {
                let name = if sep == '\t' {
                    "tab".to_string()
                } else {
                    format!("'{sep}'")
                };
                reason.push_str(&format!(
                    "; the file looks {name}-separated, but folio reads comma-separated CSV: export it with commas"
                ));
            }
        }
        reason.push_str(&format!("; expected a header like: {expected}"));
        Err(Rejection::one(source, Problem::at(1, "header", reason)))
    }
}

/// The file line where each data record starts, read with the `csv` crate.
fn record_lines(bytes: &[u8]) -> Option<Vec<usize>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let mut out = Vec::new();
    for record in reader.byte_records() {
        out.push(record.ok()?.position()?.line() as usize);
    }
    Some(out)
}

/// Explains why polars could not read the file, with the line when it is a ragged row.
fn diagnose(bytes: &[u8], e: &PolarsError) -> Problem {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes);
    let width = reader.byte_headers().map(|h| h.len()).unwrap_or(0);
    for record in reader.byte_records() {
        match record {
            Ok(_) => {}
            Err(err) => {
                if let csv::ErrorKind::UnequalLengths {
                    pos: Some(pos),
                    len,
                    ..
                } = err.kind()
                {
                    return Problem::at(
                        pos.line() as usize,
                        "row",
                        format!(
                            "has {len} fields but the header has {width}; quote values that contain commas"
                        ),
                    );
                }
                break;
            }
        }
    }
    let msg = e.to_string();
    let first = msg
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("unreadable CSV")
        .trim()
        .to_string();
    Problem::file(format!(
        "the CSV could not be read ({first}); check that quotes are balanced"
    ))
}

/// Parses an ISO date (YYYY-MM-DD).
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("'{s}' is not a date; write dates as YYYY-MM-DD, e.g. 2024-03-15"))
}

/// Parses a plain decimal number such as 1234.56 or -0.5.
pub fn parse_decimal(s: &str) -> Result<Decimal, String> {
    let t = s.strip_prefix('+').unwrap_or(s);
    let digits = t.strip_prefix('-').unwrap_or(t);
    let plain = digits.bytes().any(|b| b.is_ascii_digit())
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|b| *b == b'.').count() <= 1;
    if !plain {
        return Err(format!(
            "'{s}' is not a number; write plain numbers like 1234.56 (no currency signs or thousands separators)"
        ));
    }
    Decimal::from_str(t)
        .map_err(|_| format!("'{s}' is too large: folio handles values up to 1,000,000,000,000"))
}
