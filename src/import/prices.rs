//! Daily closes: `date,symbol,close[,open,high,low,volume]`.

use super::table::{Table, parse_date, parse_decimal};
use super::{Problem, Rejection};
use crate::domain::parse_symbol;
use crate::store::PriceRow;

pub const HEADER: &str = "date,symbol,close,open,high,low,volume";
const COLUMNS: [&str; 7] = ["date", "symbol", "close", "open", "high", "low", "volume"];

/// Parses and validates every row of a daily price file.
pub fn parse(source: &str, bytes: &[u8]) -> Result<Vec<PriceRow>, Rejection> {
    let table = Table::read(source, bytes, HEADER)?;
    table.require(
        source,
        &["date", "symbol", "close"],
        "date,symbol,close[,open,high,low,volume]",
    )?;
    let mut problems = Vec::new();
    for h in &table.headers {
        if !COLUMNS.contains(&h.as_str()) {
            problems.push(Problem::at(
                1,
                "header",
                format!("unknown column '{h}' (the columns are {HEADER})"),
            ));
        }
    }
    let cols: Vec<Option<usize>> = COLUMNS.iter().map(|c| table.col(c)).collect();
    let mut out = Vec::with_capacity(table.height());
    for r in 0..table.height() {
        if table.is_blank(r) {
            continue;
        }
        let line = table.line(r);
        let before = problems.len();
        let cell = |c: usize| cols[c].and_then(|i| table.cell(i, r));
        let mut bad =
            |c: usize, reason: String| problems.push(Problem::at(line, COLUMNS[c], reason));
        let date = match cell(0) {
            Some(s) => parse_date(s).map_err(|e| bad(0, e)).ok(),
            None => {
                bad(0, "is empty but required".into());
                None
            }
        };
        let symbol = match cell(1) {
            Some(s) => parse_symbol(s).map_err(|e| bad(1, e)).ok(),
            None => {
                bad(1, "is empty but required".into());
                None
            }
        };
        let mut num = |c: usize| -> Option<rust_decimal::Decimal> {
            let v = parse_decimal(cell(c)?).map_err(|e| bad(c, e)).ok()?;
            if c != 6 && v > crate::domain::MAX_VALUE {
                bad(
                    c,
                    format!("{v} is too large: folio handles prices up to 1,000,000,000,000"),
                );
                return None;
            }
            if v.is_sign_negative() || (c == 2 && v.is_zero()) {
                bad(
                    c,
                    format!(
                        "must be {}, got {v}",
                        if c == 2 {
                            "greater than 0"
                        } else {
                            "0 or more"
                        }
                    ),
                );
                return None;
            }
            Some(v)
        };
        let close = num(2);
        let (open, high, low, volume) = (num(3), num(4), num(5), num(6));
        if close.is_none() && cell(2).is_none() {
            problems.push(Problem::at(line, "close", "is empty but required"));
        }
        if problems.len() > before {
            continue;
        }
        if let (Some(date), Some(symbol), Some(close)) = (date, symbol, close) {
            out.push(PriceRow {
                symbol,
                date,
                close,
                open,
                high,
                low,
                volume,
            });
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(Rejection {
            file: source.to_string(),
            problems,
        })
    }
}
