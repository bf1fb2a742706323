//! What a proposed trade would realize and trigger, before it is placed: the same replay as the
//! real ledger with the trade appended, so a preview and the booked trade can never disagree.

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use super::wash::WINDOW_DAYS;
use super::{Disposal, Policy, replay};
use crate::domain::{Action, LotMethod, Term, Transaction};

/// A trade to preview.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub date: NaiveDate,
    pub account: String,
    pub symbol: String,
    pub quantity: Decimal,
    /// Price per share in `currency`.
    pub price: Decimal,
    pub fees: Decimal,
    pub currency: String,
}

/// What selling would do.
#[derive(Debug, Clone, Serialize)]
pub struct SellPreview {
    pub account: String,
    pub symbol: String,
    pub date: NaiveDate,
    pub quantity: Decimal,
    pub price: Decimal,
    pub method: LotMethod,
    /// The lots relieved, each with its gain and any wash-sale disallowance from shares bought
    /// in the 30 days before.
    pub lots: Vec<Disposal>,
    pub proceeds: Decimal,
    pub cost_basis: Decimal,
    /// Recognized gains after wash sales, by term.
    pub short_term_gain: Decimal,
    pub long_term_gain: Decimal,
    pub wash_sale_disallowed: Decimal,
    pub wash_sale_permanent: Decimal,
    /// Buying any of these before `safe_to_buy_back` washes what is still a loss.
    pub substantially_identical: Vec<String>,
    pub safe_to_buy_back: NaiveDate,
}

/// A loss sale a purchase would wash.
#[derive(Debug, Clone, Serialize)]
pub struct Washed {
    pub account: String,
    pub symbol: String,
    pub sold: NaiveDate,
    /// The shares of that sale whose loss the purchase washes.
    pub quantity: Decimal,
    /// The part of the sale's loss the purchase disallows.
    pub disallowed: Decimal,
    /// Bought in an IRA or Roth IRA: that loss is lost for good.
    pub permanent: bool,
}

/// What buying would do.
#[derive(Debug, Clone, Serialize)]
pub struct BuyPreview {
    pub account: String,
    pub symbol: String,
    pub date: NaiveDate,
    pub quantity: Decimal,
    pub price: Decimal,
    pub washes: Vec<Washed>,
    pub wash_sale_disallowed: Decimal,
}

/// Previews selling `p.quantity` shares under `method` (the account's own when None), or out
/// of the lot bought on `lot`. `history` is every transaction; those after `p.date` are left out.
pub fn sell(
    history: &[Transaction],
    policy: &Policy,
    p: &Proposal,
    method: Option<LotMethod>,
    lot: Option<NaiveDate>,
) -> Result<SellPreview, String> {
    let mut policy = policy.clone();
    if let Some(m) = method {
        policy.set_method(&p.account, m);
    }
    let (txns, id) = with_proposal(history, p, Action::Sell, lot);
    let (book, errors) = replay(&txns, &policy);
    if let Some(e) = errors.iter().find(|e| e.id == id) {
        return Err(e.message.clone());
    }
    let lots: Vec<Disposal> = book
        .realized
        .into_iter()
        .filter(|d| d.sold_by == id)
        .collect();
    let by_term =
        |term: Term| -> Decimal { lots.iter().filter(|d| d.term == term).map(|d| d.gain).sum() };
    Ok(SellPreview {
        account: p.account.clone(),
        symbol: p.symbol.clone(),
        date: p.date,
        quantity: p.quantity,
        price: p.price,
        method: if lot.is_some() {
            LotMethod::Fifo
        } else {
            policy.method(&p.account)
        },
        proceeds: lots.iter().map(|d| d.proceeds).sum(),
        cost_basis: lots.iter().map(|d| d.cost).sum(),
        short_term_gain: by_term(Term::Short),
        long_term_gain: by_term(Term::Long),
        wash_sale_disallowed: lots.iter().map(|d| d.disallowed).sum(),
        wash_sale_permanent: lots.iter().map(|d| d.permanent).sum(),
        substantially_identical: policy.securities().identical_to(&p.symbol),
        safe_to_buy_back: p
            .date
            .checked_add_days(Days::new(WINDOW_DAYS + 1))
            .unwrap_or(NaiveDate::MAX),
        lots,
    })
}

/// Previews buying `p.quantity` shares: the loss sales of the 30 days before that it would wash.
pub fn buy(history: &[Transaction], policy: &Policy, p: &Proposal) -> Result<BuyPreview, String> {
    let before: Vec<Transaction> = history
        .iter()
        .filter(|t| t.date <= p.date)
        .cloned()
        .collect();
    let (base, _) = replay(&before, policy);
    let (txns, id) = with_proposal(history, p, Action::Buy, None);
    let (book, errors) = replay(&txns, policy);
    if let Some(e) = errors.iter().find(|e| e.id == id) {
        return Err(e.message.clone());
    }
    let kind = policy.kind(&p.account);
    let washes: Vec<Washed> = base
        .realized
        .iter()
        .zip(&book.realized)
        .filter(|(a, b)| b.disallowed > a.disallowed)
        .map(|(a, b)| Washed {
            account: b.account.clone(),
            symbol: b.symbol.clone(),
            sold: b.sold,
            quantity: b.washed - a.washed,
            disallowed: b.disallowed - a.disallowed,
            permanent: kind != crate::domain::AccountKind::Taxable,
        })
        .collect();
    Ok(BuyPreview {
        account: p.account.clone(),
        symbol: p.symbol.clone(),
        date: p.date,
        quantity: p.quantity,
        price: p.price,
        wash_sale_disallowed: washes.iter().map(|w| w.disallowed).sum(),
        washes,
    })
}

/// The history up to `p.date` with the proposal appended as the day's last transaction; returns
/// the proposal's id.
fn with_proposal(
    history: &[Transaction],
    p: &Proposal,
    action: Action,
    lot: Option<NaiveDate>,
) -> (Vec<Transaction>, i64) {
    let mut txns: Vec<Transaction> = history
        .iter()
        .filter(|t| t.date <= p.date)
        .cloned()
        .collect();
    let id = history.iter().map(|t| t.id).max().unwrap_or(0) + 1;
    txns.push(Transaction {
        id,
        uid: "preview".into(),
        date: p.date,
        account: p.account.clone(),
        action,
        symbol: Some(p.symbol.clone()),
        quantity: Some(p.quantity),
        price: Some(p.price),
        fees: p.fees,
        amount: None,
        currency: p.currency.clone(),
        lot,
        note: None,
    });
    (txns, id)
}
