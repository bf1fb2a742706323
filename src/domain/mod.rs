//! Plain types shared by every layer: actions, transactions, accounts, lots, quotes. No IO here.

mod named;
pub mod order;
pub mod quote;
pub mod securities;
pub mod weights;
mod window;

pub use named::Named;
pub use quote::{Freshness, Quote, QuoteSource};
pub use window::Window;

use std::fmt;
use std::str::FromStr;

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

/// What a transaction does. The canonical CSV spells these in upper snake case
/// (case-insensitive on input).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Action {
    Buy,
    Sell,
    Dividend,
    /// A dividend reinvested: income and an acquisition at once.
    Reinvest,
    Deposit,
    Withdrawal,
    Fee,
    Interest,
    /// Tax withheld at source (a negative amount is a refund).
    Tax,
    Split,
    TransferIn,
    TransferOut,
    /// A currency conversion: `symbol` is the pair BASE.QUOTE, `quantity` the signed amount of
    /// the base currency bought (+) or sold (-), `price` the rate in the quote currency.
    Fx,
}

impl Action {
    pub const ALL: [Action; 13] = [
        Action::Buy,
        Action::Sell,
        Action::Dividend,
        Action::Reinvest,
        Action::Deposit,
        Action::Withdrawal,
        Action::Fee,
        Action::Interest,
        Action::Tax,
        Action::Split,
        Action::TransferIn,
        Action::TransferOut,
        Action::Fx,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Buy => "BUY",
            Action::Sell => "SELL",
            Action::Dividend => "DIVIDEND",
            Action::Reinvest => "REINVEST",
            Action::Deposit => "DEPOSIT",
            Action::Withdrawal => "WITHDRAWAL",
            Action::Fee => "FEE",
            Action::Interest => "INTEREST",
            Action::Tax => "TAX",
            Action::Split => "SPLIT",
            Action::TransferIn => "TRANSFER_IN",
            Action::TransferOut => "TRANSFER_OUT",
            Action::Fx => "FX",
        }
    }

    /// Every action name, for error messages.
    pub fn names() -> String {
        Action::ALL.map(Action::as_str).join(", ")
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(a) = Action::ALL.into_iter().find(|a| a.as_str() == s) {
            return Ok(a);
        }
        let norm = s.trim().to_ascii_uppercase().replace([' ', '-'], "_");
        Action::ALL
            .into_iter()
            .find(|a| a.as_str() == norm)
            .ok_or_else(|| {
                format!(
                    "unknown action '{}' (expected one of {})",
                    s.trim().escape_debug(),
                    Action::names()
                )
            })
    }
}

/// Tax treatment of an account.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum AccountKind {
    #[default]
    Taxable,
    Ira,
    Roth,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Taxable => "taxable",
            AccountKind::Ira => "ira",
            AccountKind::Roth => "roth",
        }
    }
}

impl Named for AccountKind {
    const ALL: &'static [(Self, &'static str, &'static str)] = &[
        (
            AccountKind::Taxable,
            "taxable",
            "a taxable brokerage account",
        ),
        (
            AccountKind::Ira,
            "ira",
            "a traditional IRA: sales are not taxable events",
        ),
        (
            AccountKind::Roth,
            "roth",
            "a Roth IRA: sales are not taxable events",
        ),
    ];
}

impl FromStr for AccountKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "taxable" => Ok(AccountKind::Taxable),
            "ira" => Ok(AccountKind::Ira),
            "roth" => Ok(AccountKind::Roth),
            _ => Err(format!(
                "unknown account kind '{s}' (expected taxable, ira or roth)"
            )),
        }
    }
}

/// Which lots a sale relieves when the SELL row names no specific lot.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum LotMethod {
    #[default]
    Fifo,
    Lifo,
    Hifo,
}

impl LotMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            LotMethod::Fifo => "fifo",
            LotMethod::Lifo => "lifo",
            LotMethod::Hifo => "hifo",
        }
    }
}

impl Named for LotMethod {
    const ALL: &'static [(Self, &'static str, &'static str)] = &[
        (LotMethod::Fifo, "fifo", "first in, first out"),
        (LotMethod::Lifo, "lifo", "last in, first out"),
        (LotMethod::Hifo, "hifo", "highest cost first"),
    ];
}

impl FromStr for LotMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fifo" => Ok(LotMethod::Fifo),
            "lifo" => Ok(LotMethod::Lifo),
            "hifo" => Ok(LotMethod::Hifo),
            _ => Err(format!(
                "unknown lot method '{s}' (expected fifo, lifo or hifo)"
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Account {
    pub name: String,
    pub kind: AccountKind,
    pub lot_method: LotMethod,
}

/// One ledger entry. Which optional fields are set depends on the action; [`Transaction::check`]
/// says whether a combination is valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Transaction {
    /// Database id, or the position in a batch not yet stored. Orders rows within a day.
    pub id: i64,
    /// Deterministic identity: importing the same row twice adds nothing.
    pub uid: String,
    pub date: NaiveDate,
    pub account: String,
    pub action: Action,
    pub symbol: Option<String>,
    pub quantity: Option<Decimal>,
    pub price: Option<Decimal>,
    pub fees: Decimal,
    pub amount: Option<Decimal>,
    pub currency: String,
    /// SELL / TRANSFER_OUT: the acquisition date of the lot to relieve (specific identification).
    /// TRANSFER_IN: the original acquisition date of the shares received.
    pub lot: Option<NaiveDate>,
    /// SELL: how the lots are chosen when `lot` names none (an order ticket's choice: a method,
    /// or several lots by acquisition date). None: the account's method.
    pub relief: Option<Relief>,
    pub note: Option<String>,
}

/// How a sale picks the lots it relieves.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Relief {
    /// fifo, lifo or hifo for this sale, whatever the account's method.
    Method(LotMethod),
    /// The lots acquired on these days, in this order (FIFO within a day); together they must
    /// hold the whole sale.
    Lots(Vec<NaiveDate>),
}

impl Relief {
    /// `hifo`, `fifo`, `lifo`, or acquisition dates separated by commas (`2024-03-01,2024-06-03`).
    pub fn parse(text: &str) -> Result<Relief, String> {
        let t = text.trim();
        if let Ok(m) = LotMethod::from_str(t) {
            return Ok(Relief::Method(m));
        }
        let mut dates = Vec::new();
        for part in t.split(',') {
            let part = part.trim();
            let d = NaiveDate::parse_from_str(part, "%Y-%m-%d").map_err(|_| {
                format!(
                    "lots '{text}': use fifo, lifo, hifo or acquisition dates of lots (YYYY-MM-DD, separated by commas)"
                )
            })?;
            if !dates.contains(&d) {
                dates.push(d);
            }
        }
        Ok(Relief::Lots(dates))
    }
}

impl fmt::Display for Relief {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Relief::Method(m) => f.write_str(m.as_str()),
            Relief::Lots(ds) => {
                let v: Vec<String> = ds.iter().map(|d| d.to_string()).collect();
                f.write_str(&v.join(","))
            }
        }
    }
}

/// The years a day given to folio may fall in (date arithmetic beyond them can overflow).
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;

/// The largest quantity, price, fee or amount folio accepts (a trillion).
pub const MAX_VALUE: Decimal = Decimal::from_parts(3567587328, 232, 0, false, 0);

/// A problem with one field of a transaction: the column it concerns and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub column: &'static str,
    pub reason: String,
}

fn problem(column: &'static str, reason: impl Into<String>) -> FieldProblem {
    FieldProblem {
        column,
        reason: reason.into(),
    }
}

impl Transaction {
    /// Checks that the fields this action needs are present and sensible.
    pub fn check(&self) -> Vec<FieldProblem> {
        use Action::*;
        let mut out = Vec::new();
        let a = self.action;
        let need_symbol = |out: &mut Vec<FieldProblem>| {
            if self.symbol.is_none() {
                out.push(problem("symbol", format!("{a} needs a symbol")));
            }
        };
        let positive = |out: &mut Vec<FieldProblem>,
                        col: &'static str,
                        v: Option<Decimal>,
                        what: &str| match v {
            None => out.push(problem(col, format!("{a} needs {col} ({what})"))),
            Some(v) if v <= Decimal::ZERO => out.push(problem(
                col,
                format!("{col} must be greater than 0 for {a}, got {v}"),
            )),
            _ => {}
        };
        let nonzero_amount = |out: &mut Vec<FieldProblem>| match self.amount {
            None => out.push(problem("amount", format!("{a} needs an amount"))),
            Some(v) if v.is_zero() => {
                out.push(problem("amount", format!("{a} amount must not be 0")))
            }
            _ => {}
        };
        if self.fees < Decimal::ZERO {
            out.push(problem(
                "fees",
                format!("fees must not be negative, got {}", self.fees),
            ));
        }
        // Keep every product and sum the ledger forms far inside Decimal's range (about 7.9e28),
        // so arithmetic on input can never overflow.
        for (column, value) in [
            ("quantity", self.quantity),
            ("price", self.price),
            ("fees", Some(self.fees)),
            ("amount", self.amount),
        ] {
            if value.is_some_and(|v| v.abs() > MAX_VALUE) {
                out.push(problem(
                    column,
                    format!(
                        "{} is too large: folio handles values up to 1,000,000,000,000",
                        value.unwrap_or_default()
                    ),
                ));
            }
        }
        if let (Some(q), Some(p)) = (self.quantity, self.price)
            && q.checked_mul(p).is_none_or(|g| g.abs() > MAX_VALUE)
        {
            out.push(problem(
                "quantity",
                format!("quantity x price ({q} x {p}) is over a trillion: folio cannot hold it"),
            ));
        }
        match a {
            Buy | Sell | Reinvest => {
                need_symbol(&mut out);
                positive(&mut out, "quantity", self.quantity, "the number of shares");
                match self.price {
                    None => out.push(problem("price", format!("{a} needs a price per share"))),
                    Some(p) if p < Decimal::ZERO => out.push(problem(
                        "price",
                        format!("price must not be negative, got {p}"),
                    )),
                    _ => {}
                }
            }
            Dividend | Fee | Interest | Tax => nonzero_amount(&mut out),
            Deposit | Withdrawal => positive(&mut out, "amount", self.amount, "the cash moved"),
            Split => {
                need_symbol(&mut out);
                positive(
                    &mut out,
                    "quantity",
                    self.quantity,
                    "the split ratio, e.g. 4 for 4:1",
                );
            }
            TransferIn | TransferOut => {
                if self.symbol.is_some() {
                    positive(
                        &mut out,
                        "quantity",
                        self.quantity,
                        "the number of shares moved",
                    );
                    if a == TransferIn && self.price.is_none() && self.amount.is_none() {
                        out.push(problem(
                            "price",
                            "TRANSFER_IN of shares needs their cost basis: price (per share) or amount (total)",
                        ));
                    }
                    for (column, v) in [("price", self.price), ("amount", self.amount)] {
                        if v.is_some_and(|v| v < Decimal::ZERO) {
                            out.push(problem(
                                column,
                                format!(
                                    "a cost basis cannot be negative, got {}",
                                    v.unwrap_or_default()
                                ),
                            ));
                        }
                    }
                    if a == TransferIn && self.lot.is_some_and(|l| l > self.date) {
                        out.push(problem(
                            "lot",
                            "the original acquisition date is after the transfer",
                        ));
                    }
                } else {
                    positive(
                        &mut out,
                        "amount",
                        self.amount,
                        "the cash moved; or give a symbol to move shares",
                    );
                }
            }
            Fx => {
                match self.symbol.as_deref().map(fx_pair) {
                    None => out.push(problem(
                        "symbol",
                        "FX needs the currency pair as symbol, e.g. EUR.USD",
                    )),
                    Some(None) => out.push(problem(
                        "symbol",
                        format!(
                            "'{}' is not a currency pair like EUR.USD",
                            self.symbol.as_deref().unwrap_or("")
                        ),
                    )),
                    Some(Some((_, quote))) if quote != self.currency => out.push(problem(
                        "currency",
                        format!(
                            "FX {} is priced in {quote}, but the row's currency is {}",
                            self.symbol.as_deref().unwrap_or(""),
                            self.currency
                        ),
                    )),
                    _ => {}
                }
                match self.quantity {
                    None => out.push(problem(
                        "quantity",
                        "FX needs quantity: the base currency bought (+) or sold (-)",
                    )),
                    Some(q) if q.is_zero() => {
                        out.push(problem("quantity", "FX quantity must not be 0"))
                    }
                    _ => {}
                }
                positive(&mut out, "price", self.price, "the exchange rate");
            }
        }
        if self.relief.is_some() && a != Sell {
            out.push(problem(
                "lots",
                format!("a lot choice is only used on SELL, not on {a}"),
            ));
        }
        if self.lot.is_some() && !matches!(a, Sell | TransferOut | TransferIn) {
            out.push(problem(
                "lot",
                format!("lot is only used on SELL, TRANSFER_OUT and TRANSFER_IN, not on {a}"),
            ));
        }
        out
    }

    /// The gross value of a trade: quantity x price.
    pub fn gross(&self) -> Decimal {
        self.quantity.unwrap_or_default() * self.price.unwrap_or_default()
    }
}

/// Splits a currency pair such as `EUR.USD` into (base, quote).
pub fn fx_pair(symbol: &str) -> Option<(&str, &str)> {
    let (base, quote) = symbol.split_once('.')?;
    let ok = |c: &str| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase());
    (ok(base) && ok(quote) && base != quote).then_some((base, quote))
}

/// Short or long term, as the IRS counts it: long when held more than one year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Term {
    Short,
    Long,
}

impl Term {
    pub fn as_str(self) -> &'static str {
        match self {
            Term::Short => "short",
            Term::Long => "long",
        }
    }
}

/// The first day on which shares acquired on `acquired` count as long-term holdings: the day after
/// the one-year anniversary (Feb 29 anniversaries fall on Feb 28).
pub fn long_term_from(acquired: NaiveDate) -> NaiveDate {
    let anniversary = acquired
        .checked_add_months(Months::new(12))
        .unwrap_or(NaiveDate::MAX);
    anniversary.succ_opt().unwrap_or(NaiveDate::MAX)
}

/// The holding-period term of shares acquired on `acquired` and disposed of on `disposed`.
pub fn term(acquired: NaiveDate, disposed: NaiveDate) -> Term {
    if disposed >= long_term_from(acquired) {
        Term::Long
    } else {
        Term::Short
    }
}

/// A currency code: three ASCII letters, stored upper case.
pub fn parse_currency(s: &str) -> Result<String, String> {
    let c = s.trim().to_ascii_uppercase();
    if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(c)
    } else {
        Err(format!(
            "'{}' is not a currency code (three letters, e.g. USD)",
            s.trim()
        ))
    }
}

/// A ticker symbol: trimmed, upper case, letters, digits and `.-/^` only.
pub fn parse_symbol(s: &str) -> Result<String, String> {
    let t = s.trim().to_ascii_uppercase();
    if t.is_empty() {
        return Err("symbol is empty".into());
    }
    if t.len() > 24
        || !t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/^ ".contains(&b))
    {
        return Err(format!("'{}' is not a ticker symbol", s.trim()));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn long_term_starts_the_day_after_the_anniversary() {
        assert_eq!(term(d("2024-03-15"), d("2025-03-15")), Term::Short);
        assert_eq!(term(d("2024-03-15"), d("2025-03-16")), Term::Long);
        assert_eq!(long_term_from(d("2024-02-29")), d("2025-03-01"));
    }

    #[test]
    fn actions_parse_case_insensitively() {
        assert_eq!("transfer_in".parse::<Action>(), Ok(Action::TransferIn));
        assert_eq!(" Buy ".parse::<Action>(), Ok(Action::Buy));
        assert!(
            "BUYY"
                .parse::<Action>()
                .unwrap_err()
                .contains("unknown action 'BUYY'")
        );
    }

    #[test]
    fn fx_pairs() {
        assert_eq!(fx_pair("EUR.USD"), Some(("EUR", "USD")));
        assert_eq!(fx_pair("EURUSD"), None);
        assert_eq!(fx_pair("EUR.EUR"), None);
    }
}
