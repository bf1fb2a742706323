//! "What do I owe on this year's sales?" (the Form 8949-style report) and "what would this
//! trade do to my taxes?" (the pre-trade check the order ticket shows).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Ledger, Result, Session, bad};
use crate::analytics::tax;
use crate::domain::{AccountKind, MAX_VALUE, Relief, parse_symbol};
use crate::ledger::preview::{self, BuyPreview, Proposal, SellPreview};

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaxReportParams {
    /// The tax year.
    pub year: i32,
    /// Only this account's sales (the netting is then left out: it is the whole return's).
    #[serde(default)]
    pub account: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TaxReport {
    #[serde(flatten)]
    pub report: tax::Report,
    pub currency: String,
    pub account: Option<String>,
    pub warnings: Vec<String>,
}

/// `folio tax report`: every lot closed in the year in taxable accounts, with totals by term
/// and the year's netting and carry-forward.
pub fn report(s: &Session, p: &TaxReportParams) -> Result<TaxReport> {
    if !(1900..=2200).contains(&p.year) {
        return Err(bad(format!("year {}: use a year such as 2025", p.year)));
    }
    let ledger = s.ledger()?;
    let account = ledger.account_filter(p.account.as_deref())?;
    let currency = s.currency();
    let report = tax::report(
        &ledger.book,
        &ledger.policy,
        p.year,
        currency,
        &s.config().tax.rates(),
        account.as_deref(),
    );
    Ok(TaxReport {
        report,
        currency: currency.to_string(),
        account,
        warnings: ledger.warnings(),
    })
}

pub use crate::domain::order::Side;

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TradeParams {
    pub side: Side,
    pub symbol: String,
    /// Shares, more than 0.
    pub quantity: Decimal,
    /// The account. Default: for a sale the one holding the symbol on the trade's day, for a
    /// purchase the first taxable account.
    #[serde(default)]
    pub account: Option<String>,
    /// Sale only: fifo, lifo, hifo, or the acquisition dates (YYYY-MM-DD, separated by commas)
    /// of the lots to sell. Default: the account's method.
    #[serde(default)]
    pub lots: Option<String>,
    /// Price per share. Default: the latest close on or before the trade's day.
    #[serde(default)]
    pub price: Option<Decimal>,
    /// Trade date (YYYY-MM-DD). Default: today.
    #[serde(default)]
    pub date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SellReport {
    #[serde(flatten)]
    pub preview: SellPreview,
    /// The account's kind: in an IRA or Roth IRA a sale is not a taxable event.
    pub account_kind: AccountKind,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BuyReport {
    #[serde(flatten)]
    pub preview: BuyPreview,
    pub account_kind: AccountKind,
    /// The symbol and those substantially identical to it: a loss sale of any of them within
    /// 30 days is what a purchase washes.
    pub substantially_identical: Vec<String>,
    pub warnings: Vec<String>,
}

/// A trade's tax consequences, as `folio tax preview sell|buy` prints them.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum TradePreview {
    Sell(SellReport),
    Buy(BuyReport),
}

/// `folio tax preview`: what a trade would realize and which wash sales it would trigger,
/// computed by replaying the whole ledger with the trade added as the last transaction of its
/// day, so that the preview and the booked trade cannot disagree.
pub fn preview(s: &Session, p: &TradeParams) -> Result<TradePreview> {
    let ledger = s.ledger()?;
    let symbol = parse_symbol(&p.symbol).map_err(bad)?;
    if p.quantity <= Decimal::ZERO || p.quantity > MAX_VALUE {
        return Err(bad(format!(
            "quantity {}: use a number of shares greater than 0",
            p.quantity
        )));
    }
    let date = super::day(p.date, "date")?.unwrap_or_else(|| s.today());
    let account = trade_account(&ledger, p.side, &symbol, date, p.account.as_deref())?;
    let price = match p.price {
        Some(x) if x <= Decimal::ZERO || x > MAX_VALUE => {
            return Err(bad(format!("price {x}: use a price greater than 0")));
        }
        Some(x) => x,
        None => s
            .read(|st| Ok(st.latest_closes(date)?))?
            .get(&symbol)
            .map(|(_, c)| *c)
            .ok_or_else(|| {
                bad(format!(
                    "no price for {symbol} on or before {date}; give a price or import prices"
                ))
            })?,
    };
    let currency = ledger
        .book
        .lots_of(&account, &symbol)
        .next()
        .map(|l| l.currency.clone())
        .unwrap_or_else(|| s.currency().to_string());
    let proposal = Proposal {
        date,
        account: account.clone(),
        symbol: symbol.clone(),
        quantity: p.quantity,
        price,
        fees: Decimal::ZERO,
        currency,
    };
    let account_kind = ledger.policy.kind(&account);
    match p.side {
        Side::Sell => {
            let relief = p
                .lots
                .as_deref()
                .map(Relief::parse)
                .transpose()
                .map_err(bad)?;
            let v = preview::sell(
                &ledger.transactions,
                &ledger.policy,
                &proposal,
                relief.as_ref(),
            )
            .map_err(bad)?;
            Ok(TradePreview::Sell(SellReport {
                preview: v,
                account_kind,
                warnings: ledger.warnings(),
            }))
        }
        Side::Buy => {
            if p.lots.is_some() {
                return Err(bad("lots are for previewing a sale"));
            }
            let v = preview::buy(&ledger.transactions, &ledger.policy, &proposal).map_err(bad)?;
            Ok(TradePreview::Buy(BuyReport {
                substantially_identical: ledger.policy.securities().identical_to(&symbol),
                preview: v,
                account_kind,
                warnings: ledger.warnings(),
            }))
        }
    }
}

/// The account a trade is for: the one named, else for a sale the one holding the symbol on
/// the trade's day, for a purchase the first taxable account.
pub fn trade_account(
    ledger: &Ledger,
    side: Side,
    symbol: &str,
    date: NaiveDate,
    account: Option<&str>,
) -> Result<String> {
    Ok(match (account, side) {
        (Some(name), _) => ledger.account(name)?,
        (None, Side::Sell) => {
            // Who holds it on the trade's day, not today.
            let held = ledger.book_at(date);
            let holders: Vec<String> = held
                .positions()
                .into_iter()
                .filter(|x| x.symbol == symbol)
                .map(|x| x.account)
                .collect();
            match holders.as_slice() {
                [one] => one.clone(),
                [] => {
                    return Err(bad(format!(
                        "no account holds {symbol} on {date}; check the symbol with `folio holdings`"
                    )));
                }
                many => {
                    return Err(bad(format!(
                        "{symbol} is held in {}; name the account",
                        many.join(" and ")
                    )));
                }
            }
        }
        (None, Side::Buy) => {
            let mut taxable: Vec<&str> = ledger
                .accounts
                .iter()
                .filter(|x| x.kind == AccountKind::Taxable)
                .map(|x| x.name.as_str())
                .collect();
            taxable.sort_unstable();
            taxable
                .first()
                .map(|x| x.to_string())
                .ok_or_else(|| bad("no taxable account to buy in; name the account"))?
        }
    })
}
