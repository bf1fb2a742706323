//! Interactive Brokers Activity Flex Query exports (CSV).
//!
//! A Flex CSV holds several sections (Trades, Cash Transactions, Open Positions...), each
//! starting with its own header row, optionally wrapped in BOF/BOA/BOS/EOS/EOA/EOF records and
//! with HEADER/DATA descriptors. Several accounts may be stacked in one file. Columns are mapped
//! by name, never by position, because users pick them. `TransactionID` (with the account) is the
//! row identity. See ../shared/data/ibkr_flex/README.md for the format notes this follows.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Batch, Occurrences, Problem, Rejection, Row, is_newest_first};
use crate::domain::{Action, Transaction, fx_pair, parse_currency, parse_symbol};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Trades,
    Cash,
    /// A section folio does not import (Open Positions, Account Information...).
    Other,
}

struct Header {
    section: Section,
    columns: HashMap<String, usize>,
}

impl Header {
    fn new(cells: &[String]) -> Header {
        let columns: HashMap<String, usize> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| (norm(c), i))
            .collect();
        let has = |c: &str| columns.contains_key(c);
        let section = if has("buysell") && (has("tradeprice") || has("price")) {
            Section::Trades
        } else if has("type") && has("amount") {
            Section::Cash
        } else {
            Section::Other
        };
        Header { section, columns }
    }
}

/// Header names compared case-insensitively, without `/`, `_` and spaces.
fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '/' | '_' | ' '))
        .collect::<String>()
        .to_ascii_lowercase()
}

const KNOWN_COLUMNS: [&str; 12] = [
    "clientaccountid",
    "accountalias",
    "currencyprimary",
    "assetclass",
    "symbol",
    "buysell",
    "tradeprice",
    "tradedate",
    "datetime",
    "amount",
    "type",
    "transactionid",
];

fn looks_like_header(cells: &[String]) -> bool {
    let known = cells
        .iter()
        .filter(|c| KNOWN_COLUMNS.contains(&norm(c).as_str()))
        .count();
    norm(cells.first().map(String::as_str).unwrap_or("")) == "clientaccountid" || known >= 3
}

/// One data row of a section, with the line it came from.
struct Record<'a> {
    line: usize,
    header: &'a Header,
    cells: Vec<String>,
}

impl Record<'_> {
    /// The first non-empty cell among the named columns.
    fn get(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|n| {
            let i = *self.header.columns.get(*n)?;
            self.cells
                .get(i)
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
        })
    }
}

/// Parses an Activity Flex Query CSV export.
pub fn parse(source: &str, bytes: &[u8]) -> Result<Batch, Rejection> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Rejection::one(
            source,
            Problem::file("the file is empty; expected an IBKR Flex Query CSV export"),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut headers: Vec<Header> = Vec::new();
    let mut current: Option<usize> = None;
    let mut raw: Vec<(usize, usize, Vec<String>)> = Vec::new(); // (line, header index, cells)
    let mut problems = Vec::new();
    for result in reader.records() {
        let record = match result {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize);
                problems.push(Problem {
                    line,
                    column: None,
                    reason: format!("unreadable CSV: {e}"),
                });
                break;
            }
        };
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        let cells: Vec<String> = record.iter().map(|s| s.trim().to_string()).collect();
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        match cells[0].as_str() {
            "MSG" | "BOF" | "BOA" | "EOS" | "EOA" | "EOF" => {}
            "BOS" => current = None,
            "HEADER" => {
                headers.push(Header::new(cells.get(2..).unwrap_or(&[])));
                current = Some(headers.len() - 1);
            }
            "DATA" => match current {
                Some(h) => raw.push((line, h, cells.get(2..).unwrap_or(&[]).to_vec())),
                None => problems.push(Problem::at(
                    line,
                    "DATA",
                    "a DATA record comes before any HEADER record",
                )),
            },
            _ if looks_like_header(&cells) => {
                headers.push(Header::new(&cells));
                current = Some(headers.len() - 1);
            }
            _ => match current {
                Some(h) => raw.push((line, h, cells)),
                None => {
                    problems.push(Problem::at(
                        line,
                        "row",
                        "data before any header row: this is not a Flex Query CSV export with column headers (for folio's own format, drop --format ibkr-flex)",
                    ));
                    break;
                }
            },
        }
        if problems.len() > super::MAX_PROBLEMS_SHOWN {
            break;
        }
    }
    if !problems.is_empty() {
        return Err(Rejection {
            file: source.to_string(),
            problems,
        });
    }
    if !headers.iter().any(|h| h.section != Section::Other) {
        return Err(Rejection::one(
            source,
            Problem::file(
                "no Trades or Cash Transactions section found; the Flex Query needs at least one of them (with column headers on)",
            ),
        ));
    }
    let mut p = Parser::default();
    for (line, h, cells) in raw {
        let rec = Record {
            line,
            header: &headers[h],
            cells,
        };
        match rec.header.section {
            Section::Trades => p.trade(&rec),
            Section::Cash => p.cash(&rec),
            Section::Other => p.skip("rows of sections other than Trades and Cash Transactions (Open Positions and the like)"),
        }
    }
    p.finish(source)
}

#[derive(Default)]
struct Parser {
    rows: Vec<Row>,
    problems: Vec<Problem>,
    /// Why rows were left out, with counts.
    skipped: BTreeMap<String, usize>,
    /// TransactionIDs of cancelled trades, per account.
    cancelled: HashSet<(String, String)>,
    /// Row index by (account, TransactionID) for cancellations.
    trade_ids: HashMap<(String, String), Vec<usize>>,
    occurrences: Occurrences,
}

impl Parser {
    fn skip(&mut self, why: impl Into<String>) {
        *self.skipped.entry(why.into()).or_default() += 1;
    }

    fn bad(&mut self, rec: &Record, column: &str, reason: impl Into<String>) {
        self.problems.push(Problem::at(rec.line, column, reason));
    }

    fn account(&mut self, rec: &Record) -> Option<String> {
        match rec.get(&["clientaccountid", "accountid", "accountalias"]) {
            Some("-") => {
                self.skip("summary rows without an account");
                None
            }
            Some(a) => Some(a.to_string()),
            None => {
                self.bad(
                    rec,
                    "ClientAccountID",
                    "is empty; include ClientAccountID in the Flex Query",
                );
                None
            }
        }
    }

    fn date(&mut self, rec: &Record, names: &[&str], column: &str) -> Option<NaiveDate> {
        let Some(s) = rec.get(names) else {
            self.bad(rec, column, "is empty but required");
            return None;
        };
        parse_flex_date(s)
            .map_err(|e| self.bad(rec, column, e))
            .ok()
    }

    fn number(&mut self, rec: &Record, names: &[&str], column: &str) -> Option<Decimal> {
        let s = rec.get(names)?;
        parse_flex_number(s)
            .map_err(|e| self.bad(rec, column, e))
            .ok()
    }

    fn currency(&mut self, rec: &Record, names: &[&str], column: &str) -> Option<String> {
        let Some(s) = rec.get(names) else {
            self.bad(
                rec,
                column,
                "is empty; include CurrencyPrimary in the Flex Query",
            );
            return None;
        };
        parse_currency(s).map_err(|e| self.bad(rec, column, e)).ok()
    }

    fn push(&mut self, rec: &Record, mut txn: Transaction, id_suffix: &str) {
        for p in txn.check() {
            self.problems
                .push(Problem::at(rec.line, p.column, p.reason));
        }
        txn.uid = match rec.get(&["transactionid"]) {
            Some(id) => format!("ibkr:{}:{id}{id_suffix}", txn.account),
            None => self.occurrences.uid("ibkr", &txn),
        };
        // A trade folio placed was booked from its execution under this uid.
        let also = match (
            rec.get(&["clientaccountid", "accountid"]),
            rec.get(&["ibexecid"]),
        ) {
            (Some(acct), Some(exec)) if !exec.is_empty() => Some(format!(
                "exec:{acct}:{}",
                crate::domain::order::exec_key(exec).0
            )),
            _ => None,
        };
        self.rows.push(Row {
            line: rec.line,
            txn,
            also,
        });
    }

    /// Pushes a row made from a trade, remembering its TransactionID for cancellations.
    fn push_trade(&mut self, rec: &Record, txn: Transaction, id_suffix: &str) {
        if let Some(id) = rec.get(&["transactionid"]) {
            let key = (txn.account.clone(), id.to_string());
            self.trade_ids.entry(key).or_default().push(self.rows.len());
        }
        self.push(rec, txn, id_suffix);
    }

    /// Skips (and counts) a row whose LevelOfDetail is not `wanted`; true when skipped.
    fn skip_level(&mut self, rec: &Record, wanted: &str, what: &str) -> bool {
        match rec.get(&["levelofdetail"]) {
            Some(level) if !level.eq_ignore_ascii_case(wanted) => {
                self.skip(format!(
                    "{what} rows at level {level} (only {wanted} rows are imported)"
                ));
                true
            }
            _ => false,
        }
    }

    fn trade(&mut self, rec: &Record) {
        if self.skip_level(rec, "EXECUTION", "trade") {
            return;
        }
        let asset = rec
            .get(&["assetclass", "assetcategory"])
            .unwrap_or("STK")
            .to_ascii_uppercase();
        if asset != "STK" && asset != "CASH" {
            self.skip(format!(
                "{asset} trades (folio tracks stocks, ETFs and cash)"
            ));
            return;
        }
        let Some(account) = self.account(rec) else {
            return;
        };
        let side = rec.get(&["buysell"]).unwrap_or("").to_ascii_uppercase();
        let kind = rec.get(&["transactiontype"]).unwrap_or("");
        if side.contains("(CA.)") || kind.eq_ignore_ascii_case("TradeCancel") {
            match rec.get(&["origtransactionid"]) {
                Some(orig) => {
                    self.cancelled.insert((account, orig.to_string()));
                }
                None => self.bad(rec, "OrigTransactionID", "a cancellation must name the trade it cancels; include OrigTransactionID in the Flex Query"),
            }
            return;
        }
        let date = self.date(rec, &["tradedate", "datetime", "date"], "TradeDate");
        let currency = self.currency(rec, &["currencyprimary", "currency"], "CurrencyPrimary");
        let quantity = self.number(rec, &["quantity"], "Quantity");
        let price = self.number(rec, &["tradeprice", "price"], "TradePrice");
        let commission = self
            .number(rec, &["ibcommission", "commission"], "IBCommission")
            .unwrap_or_default();
        let taxes = self.number(rec, &["taxes"], "Taxes").unwrap_or_default();
        let commission_currency = match rec.get(&["ibcommissioncurrency", "commissioncurrency"]) {
            Some(c) => parse_currency(c)
                .map_err(|e| self.bad(rec, "IBCommissionCurrency", e))
                .ok(),
            None => currency.clone(),
        };
        let symbol = match rec.get(&["symbol"]) {
            Some(s) => parse_symbol(s).map_err(|e| self.bad(rec, "Symbol", e)).ok(),
            None => {
                self.bad(rec, "Symbol", "is empty; include Symbol in the Flex Query");
                None
            }
        };
        let (
            Some(date),
            Some(currency),
            Some(quantity),
            Some(price),
            Some(symbol),
            Some(commission_currency),
        ) = (date, currency, quantity, price, symbol, commission_currency)
        else {
            if quantity.is_none() && rec.get(&["quantity"]).is_none() {
                self.bad(rec, "Quantity", "is empty but required");
            }
            return;
        };
        let action = match (asset.as_str(), side.as_str()) {
            ("CASH", _) => Action::Fx,
            (_, "BUY") => Action::Buy,
            (_, "SELL") => Action::Sell,
            _ if quantity > Decimal::ZERO => Action::Buy,
            _ => Action::Sell,
        };
        // IBKR commissions and taxes are negative costs; a positive one is a rebate.
        let same_currency = commission_currency == currency;
        let mut fees = -taxes;
        if same_currency {
            fees -= commission;
        }
        let refund = (fees < Decimal::ZERO).then_some(fees);
        let txn = Transaction {
            id: 0,
            uid: String::new(),
            date,
            account: account.clone(),
            action,
            quantity: Some(if action == Action::Fx {
                quantity
            } else {
                quantity.abs()
            }),
            price: Some(price),
            fees: fees.max(Decimal::ZERO),
            amount: None,
            currency: currency.clone(),
            lot: None,
            relief: None,
            note: rec.get(&["description"]).map(String::from),
            symbol: Some(symbol.clone()),
        };
        if action == Action::Fx && fx_pair(&symbol).is_none() {
            self.bad(rec, "Symbol", format!("'{symbol}' is an FX trade (AssetClass CASH) but not a currency pair like EUR.USD"));
            return;
        }
        self.push_trade(rec, txn, "");
        let extra_fee = |amount: Decimal, currency: String| Transaction {
            id: 0,
            uid: String::new(),
            date,
            account: account.clone(),
            action: Action::Fee,
            symbol: Some(symbol.clone()),
            quantity: None,
            price: None,
            fees: Decimal::ZERO,
            amount: Some(amount),
            currency,
            lot: None,
            relief: None,
            note: Some(format!(
                "IBKR commission for {} {symbol}",
                action.as_str().to_lowercase()
            )),
        };
        if !same_currency && !commission.is_zero() {
            self.push_trade(
                rec,
                extra_fee(-commission, commission_currency),
                ":commission",
            );
        }
        if let Some(refund) = refund {
            self.push_trade(rec, extra_fee(refund, currency), ":rebate");
        }
    }

    fn cash(&mut self, rec: &Record) {
        if self.skip_level(rec, "DETAIL", "cash") {
            return;
        }
        let Some(account) = self.account(rec) else {
            return;
        };
        let date = match rec.get(&["datetime", "date"]) {
            Some(_) => self.date(rec, &["datetime", "date"], "DateTime"),
            None => self.date(rec, &["settledate", "reportdate"], "SettleDate"),
        };
        let currency = self.currency(rec, &["currencyprimary", "currency"], "CurrencyPrimary");
        let Some(amount) = self.number(rec, &["amount"], "Amount") else {
            if rec.get(&["amount"]).is_none() {
                self.bad(rec, "Amount", "is empty but required");
            }
            return;
        };
        let kind = rec.get(&["type"]).unwrap_or("").to_string();
        let symbol = rec.get(&["symbol"]).and_then(|s| parse_symbol(s).ok());
        let (Some(date), Some(currency)) = (date, currency) else {
            return;
        };
        if amount.is_zero() {
            self.skip("cash rows with a zero amount");
            return;
        }
        let lower = kind.to_ascii_lowercase();
        let (action, amount) = if lower.contains("withholding") {
            (Action::Tax, -amount)
        } else if lower.contains("dividend") {
            (Action::Dividend, amount)
        } else if lower.starts_with("deposit") || lower.starts_with("withdrawal") {
            if amount > Decimal::ZERO {
                (Action::Deposit, amount)
            } else {
                (Action::Withdrawal, -amount)
            }
        } else if lower.contains("interest") {
            (Action::Interest, amount)
        } else {
            // Other Fees, Broker Fees, Advisor Fees, Commission Adjustments and any other type:
            // keep the cash right as a fee (negative = money received).
            (Action::Fee, -amount)
        };
        let description = rec.get(&["description"]).unwrap_or("");
        let note = if description.is_empty() {
            kind.clone()
        } else {
            format!("{kind}: {description}")
        };
        let txn = Transaction {
            id: 0,
            uid: String::new(),
            date,
            account,
            action,
            symbol,
            quantity: None,
            price: None,
            fees: Decimal::ZERO,
            amount: Some(amount),
            currency,
            lot: None,
            relief: None,
            note: Some(note),
        };
        self.push(rec, txn, "");
    }

    fn finish(mut self, source: &str) -> Result<Batch, Rejection> {
        let mut drop: HashSet<usize> = HashSet::new();
        let cancelled: Vec<(String, String)> = self.cancelled.iter().cloned().collect();
        for key in cancelled {
            match self.trade_ids.get(&key) {
                Some(rows) => {
                    drop.extend(rows.iter().copied());
                    self.skip("cancelled trades (the original and its cancellation)");
                }
                None => self.skip(format!(
                    "cancellations of trades not in this file (account {}, TransactionID {}); remove the original by hand if it was imported",
                    key.0, key.1
                )),
            }
        }
        if !self.problems.is_empty() {
            self.problems.sort_by_key(|p| p.line);
            return Err(Rejection {
                file: source.to_string(),
                problems: self.problems,
            });
        }
        let rows: Vec<Row> = self
            .rows
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !drop.contains(i))
            .map(|(_, r)| r)
            .collect();
        let skipped = self
            .skipped
            .into_iter()
            .map(|(why, n)| format!("{n} {why}"))
            .collect();
        Ok(Batch {
            source: source.to_string(),
            format: "ibkr-flex",
            newest_first: is_newest_first(&rows),
            rows,
            skipped,
        })
    }
}

/// Flex dates: `yyyyMMdd` or `yyyy-MM-dd`, optionally followed by a time (`;HHmmss`,
/// `;HH:mm:ss`, ` HH:mm:ss EST`...). Day/month orders with slashes are ambiguous and refused.
pub fn parse_flex_date(s: &str) -> Result<NaiveDate, String> {
    let s = s.trim();
    if s.contains('/') {
        return Err(format!(
            "'{s}' has an ambiguous day/month order; set the Flex Query's date format to yyyyMMdd or yyyy-MM-dd and export again"
        ));
    }
    let date_part: String = if s.len() >= 10 && s.as_bytes()[4] == b'-' {
        s.get(..10).unwrap_or(s).to_string()
    } else {
        s.chars().take(8).collect()
    };
    let fmt = if date_part.contains('-') {
        "%Y-%m-%d"
    } else {
        "%Y%m%d"
    };
    NaiveDate::parse_from_str(&date_part, fmt)
        .map_err(|_| format!("'{s}' is not a date in yyyyMMdd or yyyy-MM-dd form"))
}

/// Flex numbers are plain decimals; a thousands comma (1,234.56) is tolerated.
pub fn parse_flex_number(s: &str) -> Result<Decimal, String> {
    let t = s.trim();
    let cleaned = if t.contains(',') && t.contains('.') && t.find(',') < t.find('.') {
        t.replace(',', "")
    } else {
        t.to_string()
    };
    super::table::parse_decimal(&cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flex_dates() {
        let d = |s: &str| parse_flex_date(s).unwrap().to_string();
        assert_eq!(d("20230522"), "2023-05-22");
        assert_eq!(d("20220331;202000"), "2022-03-31");
        assert_eq!(d("2026-01-15;17:00:00 EST"), "2026-01-15");
        assert_eq!(d("2026-01-15 17:00:00"), "2026-01-15");
        assert!(
            parse_flex_date("05/22/2023")
                .unwrap_err()
                .contains("ambiguous")
        );
    }

    #[test]
    fn flex_numbers() {
        assert_eq!(
            parse_flex_number("-46,868.64").unwrap().to_string(),
            "-46868.64"
        );
        assert_eq!(
            parse_flex_number("-1.79924").unwrap().to_string(),
            "-1.79924"
        );
        assert!(parse_flex_number("1,5").is_err());
    }
}
