//! The wash-sale rule (IRC section 1091, IRS Publication 550), applied during the replay.
//!
//! A loss sale in a taxable account is matched with replacement shares: substantially identical
//! shares (same [`Policy::group`]) bought or reinvested in any account from 30 days before to 30
//! days after the sale, in calendar days.
//!
//! - Sold loss shares are matched in the order they were acquired, with replacement shares in
//!   the order they were bought, earliest first; each replacement share absorbs the loss of at
//!   most one sold share ([`Lot::replaced`]), and only the matched part of a loss is disallowed.
//! - Shares bought before the sale count while still held at the sale (doubling up); the rest of
//!   the very purchase being sold never counts (the original purchase is not its own
//!   replacement), nor do shares transferred in (not an acquisition).
//! - At the sale, held shares bought in the 30 days before are matched; what is left waits in
//!   [`State::pending`] for purchases in the 30 days after, which are matched as they are
//!   replayed. The loss disallowed moves into the replacement's basis and the sold shares'
//!   holding period is added to its own; a replacement in an IRA or Roth IRA keeps its basis
//!   and the loss is lost for good (Rev. Rul. 2008-5).
//! - A replacement must be in the sold shares' currency (a disallowed loss in one currency is
//!   not added to a basis kept in another).

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;

use super::{Book, Disposal, Lot, Policy, SPLIT_DP, split_off};
use crate::domain::{AccountKind, Transaction};

/// The window on each side of a sale, in calendar days.
pub const WINDOW_DAYS: u64 = 30;

#[derive(Debug, Default, Clone)]
pub(super) struct State {
    /// Per group: loss shares sold in the last 30 days that no replacement has absorbed yet, in
    /// sale order.
    pending: HashMap<String, Vec<Pending>>,
    /// Per group: the symbols seen so far, so that a sale looks only where replacements can be.
    members: HashMap<String, Vec<String>>,
    /// Splits applied to pending losses, by symbol and day (a split recorded in several
    /// accounts happens once).
    splits: std::collections::HashSet<(String, NaiveDate)>,
}

#[derive(Debug, Clone)]
struct Pending {
    sold: NaiveDate,
    /// The symbol sold, and how many of its shares now stand for one share sold (the splits
    /// since the sale).
    symbol: String,
    ratio: Decimal,
    /// Index of the sale's [`Disposal`] in [`Book::realized`].
    disposal: usize,
    /// Loss shares not matched yet, and the loss on them (positive).
    shares: Decimal,
    loss: Decimal,
    /// Days the sold shares were held (counting from their own, possibly carried-over, start).
    held_days: u64,
    currency: String,
}

/// Shares sold at a loss in the last 30 days that a purchase of `group` would still wash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnwashedLoss {
    pub group: String,
    pub sold: NaiveDate,
    pub shares: Decimal,
}

/// Shares that would replace shares sold at a loss.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pub account: String,
    pub symbol: String,
    pub purchased: NaiveDate,
    pub quantity: Decimal,
    /// Bought in an IRA or Roth IRA: the loss it absorbs is lost for good.
    pub retirement: bool,
}

fn window_start(date: NaiveDate) -> NaiveDate {
    date.checked_sub_days(Days::new(WINDOW_DAYS))
        .unwrap_or(NaiveDate::MIN)
}

fn retirement(policy: &Policy, account: &str) -> bool {
    policy.kind(account) != AccountKind::Taxable
}

/// Called after a BUY or REINVEST opened its lot: the new shares absorb losses sold in the 30
/// days before, oldest sale first.
pub(super) fn on_acquire(book: &mut Book, policy: &Policy, t: &Transaction) {
    let symbol = t.symbol.as_deref().unwrap_or_default();
    let group = policy.group(symbol);
    // Looked up before inserting: no key allocated for every acquisition.
    match book.wash.members.get_mut(group) {
        Some(m) if m.iter().any(|s| s == symbol) => {}
        Some(m) => m.push(symbol.to_string()),
        None => {
            book.wash
                .members
                .insert(group.to_string(), vec![symbol.to_string()]);
        }
    }
    let Some(pending) = book.wash.pending.get_mut(group) else {
        return;
    };
    let from = window_start(t.date);
    pending.retain(|p| p.sold >= from && !p.shares.is_zero());
    let ira = retirement(policy, &t.account);
    let Some(lots) = book
        .positions
        .get_mut(&t.account)
        .and_then(|m| m.get_mut(symbol))
    else {
        return;
    };
    for p in pending.iter_mut().filter(|p| p.currency == t.currency) {
        let Some(i) = unreplaced(lots, t.date, t.id) else {
            break;
        };
        // Shares of the very symbol sold count in its units at the sale (after a 2-for-1
        // split, two new shares replace one sold); other symbols share for share.
        let ratio = if p.symbol == symbol {
            p.ratio
        } else {
            Decimal::ONE
        };
        absorb(lots, i, p, &mut book.realized, ira, ratio);
    }
}

/// Called for a SPLIT of `t.symbol` by `ratio`: loss shares of that symbol sold before it (every
/// one still pending was, in replay order) and still waiting for replacements remember the
/// split, so that a later purchase of the symbol replaces as many old shares as it is worth (a
/// 2-for-1 split: 100 new shares replace 50 sold). Other symbols of the group are not affected.
pub(super) fn on_split(book: &mut Book, t: &Transaction, ratio: Decimal) {
    let symbol = t.symbol.as_deref().unwrap_or_default();
    if !book.wash.splits.insert((symbol.to_string(), t.date)) {
        return;
    }
    for p in book.wash.pending.values_mut().flatten() {
        if p.symbol == symbol
            && let Some(r) = p.ratio.checked_mul(ratio)
        {
            p.ratio = r;
        }
    }
}

/// Called after a SELL recorded its disposals (from index `first` of `book.realized`): the loss
/// pieces are matched with replacement shares held now and bought in the 30 days before; what
/// is left waits for purchases in the 30 days after.
pub(super) fn on_sale(book: &mut Book, policy: &Policy, t: &Transaction, first: usize) {
    if retirement(policy, &t.account) {
        return; // a loss inside an IRA is not recognized in the first place
    }
    let symbol = t.symbol.as_deref().unwrap_or_default();
    let group = policy.group(symbol);
    let mut losses: Vec<(usize, &Disposal)> = book.realized[first..]
        .iter()
        .enumerate()
        .map(|(i, d)| (first + i, d))
        .filter(|(_, d)| d.gain < Decimal::ZERO)
        .collect();
    if losses.is_empty() {
        return;
    }
    // Sold shares in the order they were acquired (bought), as the replacements are.
    losses.sort_by_key(|(i, d)| (d.purchased, d.opened_by, *i));
    let sold_purchases: Vec<i64> = losses.iter().map(|(_, d)| d.opened_by).collect();
    let mut pending: Vec<Pending> = losses
        .iter()
        .map(|&(i, d)| Pending {
            sold: t.date,
            symbol: d.symbol.clone(),
            ratio: Decimal::ONE,
            disposal: i,
            shares: d.quantity,
            loss: -d.gain,
            held_days: (t.date - d.acquired).num_days().max(0) as u64,
            currency: d.currency.clone(),
        })
        .collect();

    let candidates = replacements(book, policy, group, t.date, &t.currency, &sold_purchases);
    for c in candidates {
        let ira = c.retirement;
        let Some(lots) = book
            .positions
            .get_mut(&c.account)
            .and_then(|m| m.get_mut(&c.symbol))
        else {
            continue;
        };
        for p in pending.iter_mut().filter(|p| !p.shares.is_zero()) {
            let Some(i) = unreplaced(lots, c.purchased, c.opened_by) else {
                break;
            };
            absorb(lots, i, p, &mut book.realized, ira, Decimal::ONE);
        }
    }
    pending.retain(|p| !p.shares.is_zero());
    if !pending.is_empty() {
        book.wash
            .pending
            .entry(group.to_string())
            .or_default()
            .extend(pending);
    }
}

struct Candidate {
    account: String,
    symbol: String,
    purchased: NaiveDate,
    opened_by: i64,
    retirement: bool,
}

/// The position of the unused part of the lot bought by `opened_by` on `purchased`. Lots are in
/// purchase order, so this is a binary search and a short scan, not a walk over every lot.
fn unreplaced(
    lots: &std::collections::VecDeque<Lot>,
    purchased: NaiveDate,
    opened_by: i64,
) -> Option<usize> {
    let from = lots.partition_point(|l| l.purchased < purchased);
    (from..lots.len())
        .take_while(|&i| lots[i].purchased == purchased)
        .find(|&i| lots[i].opened_by == opened_by && !lots[i].replaced)
}

/// Held, unused replacement shares of `group` bought from 30 days before `date` up to `date`,
/// in purchase order, leaving out the purchases being sold (`sold_purchases`).
fn replacements(
    book: &Book,
    policy: &Policy,
    group: &str,
    date: NaiveDate,
    currency: &str,
    sold_purchases: &[i64],
) -> Vec<Candidate> {
    let from = window_start(date);
    let Some(members) = book.wash.members.get(group) else {
        return Vec::new();
    };
    let mut found: Vec<(NaiveDate, i64, Candidate)> = Vec::new();
    for (account, by_symbol) in &book.positions {
        for symbol in members {
            let Some(lots) = by_symbol.get(symbol) else {
                continue;
            };
            let first = lots.partition_point(|l| l.purchased < from);
            for l in lots.range(first..).take_while(|l| l.purchased <= date) {
                if l.transferred
                    || l.replaced
                    || l.currency != currency
                    || sold_purchases.contains(&l.opened_by)
                {
                    continue;
                }
                found.push((
                    l.purchased,
                    l.opened_by,
                    Candidate {
                        account: account.clone(),
                        symbol: symbol.clone(),
                        purchased: l.purchased,
                        opened_by: l.opened_by,
                        retirement: retirement(policy, account),
                    },
                ));
            }
        }
    }
    found.sort_by_key(|(d, id, _)| (*d, *id));
    found.into_iter().map(|(_, _, c)| c).collect()
}

/// Lets lot `i` of `lots` absorb as much of `p` as it can: the matched shares are split off as
/// their own lot (marked replaced; basis and holding period adjusted unless in an IRA), and the
/// sale's disposal records the disallowed loss. `ratio` is how many of the lot's shares stand
/// for one share sold (splits since the sale).
fn absorb(
    lots: &mut std::collections::VecDeque<Lot>,
    i: usize,
    p: &mut Pending,
    realized: &mut [Disposal],
    ira: bool,
    ratio: Decimal,
) {
    let held = lots[i].quantity;
    // In shares sold, and in shares of this lot.
    let (sold, taken) = if ratio == Decimal::ONE {
        let n = p.shares.min(held);
        (n, n)
    } else {
        let worth = (held / ratio).round_dp(SPLIT_DP);
        if p.shares >= worth {
            (worth, held)
        } else {
            (p.shares, (p.shares * ratio).round_dp(SPLIT_DP).min(held))
        }
    };
    if sold.is_zero() || taken.is_zero() {
        return;
    }
    let amount = if sold == p.shares {
        p.loss
    } else {
        // Multiply first for precision; divide first where the product would overflow.
        p.loss
            .checked_mul(sold)
            .map_or_else(|| p.loss / p.shares * sold, |x| x / p.shares)
            .round_dp(SPLIT_DP)
    };
    p.shares -= sold;
    p.loss -= amount;
    let d = &mut realized[p.disposal];
    d.disallowed += amount;
    d.washed += sold;
    d.gain += amount;
    if ira {
        d.permanent += amount;
    }
    let mut piece = split_off(&mut lots[i], taken);
    piece.replaced = true;
    if !ira {
        piece.cost += amount;
        piece.wash_adjustment += amount;
        piece.acquired = piece
            .purchased
            .checked_sub_days(Days::new(p.held_days))
            .unwrap_or(NaiveDate::MIN);
    }
    // Shares of one purchase that took losses with the same holding period and now have the
    // same basis per share cannot be told apart: merge with the piece split off just before
    // rather than fragmenting the position further.
    let same = |l: &Lot| {
        l.replaced
            && l.opened_by == piece.opened_by
            && l.purchased == piece.purchased
            && l.acquired == piece.acquired
            && matches!(
                (l.cost.checked_mul(piece.quantity), piece.cost.checked_mul(l.quantity)),
                (Some(a), Some(b)) if a == b
            )
    };
    if let Some(prev) = i
        .checked_sub(1)
        .and_then(|j| lots.get_mut(j))
        .filter(|l| same(l))
    {
        prev.quantity += piece.quantity;
        prev.cost += piece.cost;
        prev.wash_adjustment += piece.wash_adjustment;
        if lots[i].quantity.is_zero() {
            lots.remove(i);
        }
    } else if lots[i].quantity.is_zero() {
        lots[i] = piece;
    } else {
        lots.insert(i, piece);
    }
}

impl Book {
    /// Losses sold up to `date` within the 30 days before it that no purchase has washed yet:
    /// buying a substantially identical symbol on `date` would wash them.
    pub fn unwashed_losses(&self, date: NaiveDate) -> Vec<UnwashedLoss> {
        let from = window_start(date);
        let mut out: Vec<UnwashedLoss> = self
            .wash
            .pending
            .iter()
            .flat_map(|(group, ps)| ps.iter().map(move |p| (group, p)))
            .filter(|(_, p)| p.sold >= from && p.sold <= date && !p.shares.is_zero())
            .map(|(group, p)| UnwashedLoss {
                group: group.clone(),
                sold: p.sold,
                shares: p.shares,
            })
            .collect();
        out.sort_by(|a, b| (a.sold, &a.group).cmp(&(b.sold, &b.group)));
        out
    }

    /// The shares that would replace a sale on `date` of shares of `symbol` bought by the
    /// transactions `sold_purchases`: held, unused, substantially identical shares bought in
    /// the 30 days up to `date`, in any account, in matching order.
    pub fn replacements_for(
        &self,
        policy: &Policy,
        symbol: &str,
        date: NaiveDate,
        currency: &str,
        sold_purchases: &[i64],
    ) -> Vec<Replacement> {
        let group = policy.group(symbol);
        replacements(self, policy, group, date, currency, sold_purchases)
            .into_iter()
            .filter_map(|c| {
                let lots = self.positions.get(&c.account)?.get(&c.symbol)?;
                let lot = &lots[unreplaced(lots, c.purchased, c.opened_by)?];
                Some(Replacement {
                    purchased: lot.purchased,
                    quantity: lot.quantity,
                    retirement: c.retirement,
                    account: c.account,
                    symbol: c.symbol,
                })
            })
            .collect()
    }
}
