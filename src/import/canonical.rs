//! folio's canonical CSV: `date,account,action,symbol,quantity,price,fees,amount,currency,lot,note`.
//!
//! Only `date`, `account` and `action` are always required; the other columns as the action
//! needs them. Header names and actions are case-insensitive, columns may come in any order.

use rust_decimal::Decimal;

use super::table::{Table, parse_date, parse_decimal};
use super::{Batch, Occurrences, Problem, Rejection, Row, is_newest_first};
use crate::domain::{Action, Transaction, parse_currency, parse_symbol};

pub const HEADER: &str = "date,account,action,symbol,quantity,price,fees,amount,currency,lot,note";
const COLUMNS: [&str; 11] = [
    "date", "account", "action", "symbol", "quantity", "price", "fees", "amount", "currency",
    "lot", "note",
];

/// Parses and validates every row of a canonical CSV file. `default_currency` fills an empty
/// currency cell.
pub fn parse(source: &str, bytes: &[u8], default_currency: &str) -> Result<Batch, Rejection> {
    let table = Table::read(source, bytes, HEADER)?;
    table.require(source, &["date", "account", "action"], HEADER)?;
    let mut problems = Vec::new();
    for (i, h) in table.headers.iter().enumerate() {
        if !COLUMNS.contains(&h.as_str()) {
            problems.push(Problem::at(
                1,
                "header",
                format!("unknown column '{h}' (the columns are {HEADER})"),
            ));
        } else if table.headers[..i].contains(h) {
            problems.push(Problem::at(
                1,
                "header",
                format!("column '{h}' appears twice"),
            ));
        }
    }
    let col = |name: &str| table.col(name);
    let cols: Vec<Option<usize>> = COLUMNS.iter().map(|c| col(c)).collect();
    let mut rows = Vec::with_capacity(table.height());
    let mut occurrences = Occurrences::default();
    for r in 0..table.height() {
        if table.is_blank(r) {
            continue;
        }
        let line = table.line(r);
        let cell = |c: usize| cols[c].and_then(|i| table.cell(i, r));
        let before = problems.len();
        let mut field = |c: usize, required: bool| -> Option<&str> {
            let v = cell(c);
            if v.is_none() && required {
                problems.push(Problem::at(line, COLUMNS[c], "is empty but required"));
            }
            v
        };
        let date = field(0, true);
        let account = field(1, true);
        let action = field(2, true);
        let (symbol, quantity, price, fees, amount, currency, lot, note) = (
            field(3, false),
            field(4, false),
            field(5, false),
            field(6, false),
            field(7, false),
            field(8, false),
            field(9, false),
            field(10, false),
        );
        let mut bad =
            |c: usize, reason: String| problems.push(Problem::at(line, COLUMNS[c], reason));
        let date = date.and_then(|s| parse_date(s).map_err(|e| bad(0, e)).ok());
        let action = action.and_then(|s| s.parse::<Action>().map_err(|e| bad(2, e)).ok());
        let symbol = symbol.and_then(|s| parse_symbol(s).map_err(|e| bad(3, e)).ok());
        let mut num = |c: usize, v: Option<&str>| {
            v.and_then(|s| parse_decimal(s).map_err(|e| bad(c, e)).ok())
        };
        let quantity = num(4, quantity);
        let price = num(5, price);
        let fees = num(6, fees);
        let amount = num(7, amount);
        let currency = match currency {
            Some(c) => parse_currency(c).map_err(|e| bad(8, e)).ok(),
            None => Some(default_currency.to_string()),
        };
        let lot = lot.and_then(|s| {
            parse_date(s)
                .map_err(|e| bad(9, format!("{e} (the acquisition date of the lot)")))
                .ok()
        });
        if problems.len() > before {
            continue;
        }
        let (Some(date), Some(account), Some(action), Some(currency)) =
            (date, account, action, currency)
        else {
            continue;
        };
        // An FX row is priced in its quote currency: fill it in when the cell is empty.
        let currency = match (action, symbol.as_deref().and_then(crate::domain::fx_pair)) {
            (Action::Fx, Some((_, quote))) if cell(8).is_none() => quote.to_string(),
            _ => currency,
        };
        let mut txn = Transaction {
            id: 0,
            uid: String::new(),
            date,
            account: account.to_string(),
            action,
            symbol,
            quantity,
            price,
            fees: fees.unwrap_or(Decimal::ZERO),
            amount,
            currency,
            lot,
            relief: None,
            note: note.map(String::from),
        };
        for p in txn.check() {
            problems.push(Problem::at(line, p.column, p.reason));
        }
        txn.uid = occurrences.uid("csv", &txn);
        rows.push(Row {
            line,
            txn,
            also: None,
        });
    }
    if !problems.is_empty() {
        return Err(Rejection {
            file: source.to_string(),
            problems,
        });
    }
    let newest_first = is_newest_first(&rows);
    Ok(Batch {
        source: source.to_string(),
        format: "canonical",
        rows,
        newest_first,
        skipped: Vec::new(),
    })
}
