//! What a proposed trade would realize and trigger, before it is placed: the whole history is
//! replayed with the trade added as the last transaction of its day, exactly as the ledger
//! would book it, so a preview and the booked trade cannot disagree (transactions already
//! recorded after the trade's date count too: a purchase recorded 10 days later washes a
//! previewed loss).

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use super::wash::WINDOW_DAYS;
use super::{Disposal, Policy, replay};
use crate::domain::{Action, Relief, Term, Transaction};

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
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SellPreview {
    pub account: String,
    pub symbol: String,
    pub date: NaiveDate,
    pub quantity: Decimal,
    pub price: Decimal,
    /// fifo, lifo, hifo, or specific (one lot named by its acquisition date).
    pub method: String,
    /// The lots relieved, each with its gain and any wash-sale disallowance from shares bought
    /// in the 30 days before or after (as recorded).
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
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Washed {
    pub account: String,
    pub symbol: String,
    pub sold: NaiveDate,
    /// The shares of that sale whose loss the purchase washes.
    pub quantity: Decimal,
    /// The part of the sale's loss the purchase disallows.
    pub disallowed: Decimal,
    /// The part of the sale's disallowed loss that becomes lost for good (the purchase is in an
    /// IRA or Roth IRA and takes it over from a replacement that would have carried it).
    pub permanent: Decimal,
}

/// A recorded sale whose lots change because of the purchase (it relieves other lots).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Changed {
    pub account: String,
    pub symbol: String,
    pub sold: NaiveDate,
    pub gain_before: Decimal,
    pub gain_after: Decimal,
}

/// What buying would do.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BuyPreview {
    pub account: String,
    pub symbol: String,
    pub date: NaiveDate,
    pub quantity: Decimal,
    pub price: Decimal,
    pub washes: Vec<Washed>,
    pub wash_sale_disallowed: Decimal,
    pub wash_sale_permanent: Decimal,
    /// Sales recorded after the purchase that would relieve other lots.
    pub other_changes: Vec<Changed>,
}

/// Previews selling `p.quantity` shares under `method` (the account's own when None), or out
/// of the lot bought on `lot`.
pub fn sell(
    history: &[Transaction],
    policy: &Policy,
    p: &Proposal,
    relief: Option<&Relief>,
) -> Result<SellPreview, String> {
    let id = next_id(history)?;
    let history = &related(history, policy, &p.symbol);
    let txns = with_proposal(history, id, p, Action::Sell, relief);
    let book = replay_checked(&txns, policy, id, || replay(history, policy).1)?;
    let lots: Vec<Disposal> = book
        .realized
        .into_iter()
        .filter(|d| d.sold_by == id)
        .collect();
    let by_term =
        |term: Term| -> Decimal { lots.iter().filter(|d| d.term == term).map(|d| d.gain).sum() };
    let probe = txns.last().expect("the proposal");
    Ok(SellPreview {
        account: p.account.clone(),
        symbol: p.symbol.clone(),
        date: p.date,
        quantity: p.quantity,
        price: p.price,
        method: match relief {
            Some(Relief::Lots(_)) => "specific".into(),
            _ => policy.method_for(probe).as_str().into(),
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

/// Previews buying `p.quantity` shares: the loss sales it would wash (30 days before it, or
/// after it if already recorded).
pub fn buy(history: &[Transaction], policy: &Policy, p: &Proposal) -> Result<BuyPreview, String> {
    let id = next_id(history)?;
    let history = &related(history, policy, &p.symbol);
    let txns = with_proposal(history, id, p, Action::Buy, None);
    let (base, base_errors) = replay(history, policy);
    let book = replay_checked(&txns, policy, id, || base_errors)?;
    // Per sale: disallowed, shares washed, permanent, gain; before and after.
    #[derive(Default, Clone, Copy)]
    struct Sale {
        disallowed: Decimal,
        washed: Decimal,
        permanent: Decimal,
        gain: Decimal,
    }
    let totals = |ds: &[Disposal]| {
        let mut m: BTreeMap<i64, Sale> = BTreeMap::new();
        for d in ds {
            let e = m.entry(d.sold_by).or_default();
            e.disallowed += d.disallowed;
            e.washed += d.washed;
            e.permanent += d.permanent;
            e.gain += d.gain;
        }
        m
    };
    let before = totals(&base.realized);
    let after = totals(&book.realized);
    let mut washes: Vec<Washed> = Vec::new();
    let mut other_changes: Vec<Changed> = Vec::new();
    for (sale, a) in &after {
        let b = before.get(sale).copied().unwrap_or_default();
        let Some(d) = book.realized.iter().find(|d| d.sold_by == *sale) else {
            continue;
        };
        if a.disallowed > b.disallowed || a.permanent > b.permanent {
            washes.push(Washed {
                account: d.account.clone(),
                symbol: d.symbol.clone(),
                sold: d.sold,
                quantity: (a.washed - b.washed).max(Decimal::ZERO),
                disallowed: (a.disallowed - b.disallowed).max(Decimal::ZERO),
                permanent: (a.permanent - b.permanent).max(Decimal::ZERO),
            });
        }
        if a.gain - a.disallowed != b.gain - b.disallowed {
            other_changes.push(Changed {
                account: d.account.clone(),
                symbol: d.symbol.clone(),
                sold: d.sold,
                gain_before: b.gain,
                gain_after: a.gain,
            });
        }
    }
    washes.sort_by(|a, b| (a.sold, &a.symbol).cmp(&(b.sold, &b.symbol)));
    Ok(BuyPreview {
        account: p.account.clone(),
        symbol: p.symbol.clone(),
        date: p.date,
        quantity: p.quantity,
        price: p.price,
        wash_sale_disallowed: washes.iter().map(|w| w.disallowed).sum(),
        wash_sale_permanent: washes.iter().map(|w| w.permanent).sum(),
        washes,
        other_changes,
    })
}

/// Replays `txns` (the history with the proposal `id`); an error of the proposal, or one it
/// causes in a later transaction (a recorded sale left without shares), is the answer.
/// `history_errors` gives the errors of the history alone (asked only when there are errors).
fn replay_checked(
    txns: &[Transaction],
    policy: &Policy,
    id: i64,
    history_errors: impl FnOnce() -> Vec<super::LedgerError>,
) -> Result<super::Book, String> {
    let (book, errors) = replay(txns, policy);
    if let Some(e) = errors.iter().find(|e| e.id == id) {
        return Err(e.message.clone());
    }
    if errors.is_empty() {
        return Ok(book);
    }
    let before = history_errors();
    match errors.iter().find(|e| !before.iter().any(|b| b.id == e.id)) {
        Some(e) => Err(format!(
            "this trade would leave a transaction recorded after it unable to apply: {}",
            e.message
        )),
        None => Ok(book),
    }
}

/// The transactions of `symbol` and the symbols substantially identical to it: the only ones
/// whose lots and wash sales a trade of `symbol` can touch (the groups partition the symbols),
/// so a preview replays a few hundred rows instead of the whole history.
fn related(history: &[Transaction], policy: &Policy, symbol: &str) -> Vec<Transaction> {
    let group = policy.securities().identical_to(symbol);
    history
        .iter()
        .filter(|t| {
            t.symbol
                .as_deref()
                .is_some_and(|s| group.iter().any(|g| g == s))
        })
        .cloned()
        .collect()
}

/// The id the proposal gets: one past every recorded transaction's.
fn next_id(history: &[Transaction]) -> Result<i64, String> {
    history
        .iter()
        .map(|t| t.id)
        .max()
        .unwrap_or(0)
        .checked_add(1)
        .ok_or_else(|| "the database's transaction ids are exhausted".to_string())
}

/// The history with the proposal (transaction `id`) added as the last transaction of its day.
fn with_proposal(
    history: &[Transaction],
    id: i64,
    p: &Proposal,
    action: Action,
    relief: Option<&Relief>,
) -> Vec<Transaction> {
    let mut txns = history.to_vec();
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
        lot: None,
        relief: relief.cloned(),
        note: None,
    });
    txns
}
