//! Transactions -> tax lots, realized gains and cash balances. Pure: no IO.
//!
//! [`replay`] walks the transactions in date order (ties by id, i.e. the order they were
//! recorded) and keeps, per account and symbol, the open lots in acquisition order. A sale
//! relieves lots by the account's [`LotMethod`] unless it names a lot; fees are added to the
//! basis of acquisitions and taken off the proceeds of sales. Money is kept exact: a partial lot
//! gives away a rounded share of its basis and keeps the rest, so basis is never created or lost.
//! Wash sales are applied as the replay goes (see [`wash`]): a loss sale in a taxable account is
//! matched with substantially identical shares acquired 30 days before or after it, in any
//! account, and the lots and disposals carry the adjusted basis and holding period.

pub mod history;
pub mod holdings;
pub mod preview;
mod wash;

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::domain::securities::Securities;
use crate::domain::{
    Account, AccountKind, Action, LotMethod, Relief, Term, Transaction, fx_pair, term,
};

pub use wash::{Replacement, UnwashedLoss};

/// Decimal places kept when a lot's basis or a sale's proceeds are split between pieces.
const SPLIT_DP: u32 = 8;

/// An open tax lot. Its account and symbol are the keys it is filed under in the [`Book`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Lot {
    /// Where the holding period starts: the purchase date, moved earlier by the holding period
    /// of shares whose wash-sale loss this lot absorbed.
    pub acquired: NaiveDate,
    /// The trade date (for shares transferred in, their original acquisition date). A sale
    /// names a lot by this date.
    pub purchased: NaiveDate,
    pub quantity: Decimal,
    /// Total cost basis, fees and wash-sale adjustments included, in `currency`.
    pub cost: Decimal,
    /// The part of `cost` that is disallowed wash-sale losses carried in.
    pub wash_adjustment: Decimal,
    pub currency: String,
    /// The transaction that opened the lot.
    pub opened_by: i64,
    /// Transferred in rather than bought: not an acquisition for the wash-sale rule.
    #[serde(skip)]
    pub transferred: bool,
    /// These shares already replaced shares sold at a loss (each share replaces at most one).
    #[serde(skip)]
    pub replaced: bool,
}

impl Lot {
    /// Basis per share; None for a lot too small to divide by (a dust remainder).
    pub fn unit_cost(&self) -> Option<Decimal> {
        self.cost.checked_div(self.quantity)
    }
}

/// A closed (part of a) lot: what a sale realized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Disposal {
    pub account: String,
    pub symbol: String,
    /// Start of the holding period (see [`Lot::acquired`]).
    #[serde(rename = "holding_period_from")]
    pub acquired: NaiveDate,
    /// The trade date of the shares sold.
    #[serde(rename = "acquired")]
    pub purchased: NaiveDate,
    pub sold: NaiveDate,
    pub quantity: Decimal,
    /// Proceeds net of this piece's share of the sale's fees.
    pub proceeds: Decimal,
    #[serde(rename = "cost_basis")]
    pub cost: Decimal,
    /// The loss disallowed by the wash-sale rule (Form 8949 code W), zero or positive.
    #[serde(rename = "wash_sale_disallowed")]
    pub disallowed: Decimal,
    /// The part of `disallowed` whose replacement shares were bought in an IRA or Roth IRA: lost
    /// for good instead of moving into a replacement's basis.
    #[serde(rename = "wash_sale_permanent")]
    pub permanent: Decimal,
    /// How many of the shares sold had their loss disallowed.
    #[serde(rename = "wash_sale_shares")]
    pub washed: Decimal,
    /// The shares sold had themselves replaced shares sold at a loss.
    #[serde(skip)]
    pub replacement: bool,
    /// The gain or loss recognized: proceeds - cost basis + disallowed loss.
    pub gain: Decimal,
    pub term: Term,
    pub currency: String,
    /// The SELL transaction's id.
    #[serde(rename = "sell_transaction_id")]
    pub sold_by: i64,
    /// The transaction that opened the lot sold.
    #[serde(rename = "lot_transaction_id")]
    pub opened_by: i64,
}

impl Disposal {
    /// Proceeds minus basis, before any wash-sale adjustment.
    pub fn economic_gain(&self) -> Decimal {
        self.proceeds - self.cost
    }
}

/// A transaction the ledger could not apply, and why. The transaction is skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerError {
    pub id: i64,
    pub column: &'static str,
    pub message: String,
}

/// Everything derived from a list of transactions.
#[derive(Debug, Default, Clone)]
pub struct Book {
    /// Open lots per account and symbol, in acquisition order. (Nested maps, so that lookups
    /// borrow the transaction's strings instead of allocating a key per transaction.)
    positions: BTreeMap<String, BTreeMap<String, VecDeque<Lot>>>,
    pub realized: Vec<Disposal>,
    /// Cash per account and currency.
    cash: BTreeMap<String, BTreeMap<String, Decimal>>,
    wash: wash::State,
}

/// What the replay needs besides the transactions: each account's kind and lot-relief method,
/// and which symbols are substantially identical.
#[derive(Debug, Clone)]
pub struct Policy {
    accounts: HashMap<String, (AccountKind, LotMethod)>,
    default_method: LotMethod,
    securities: Securities,
    /// Apply the wash-sale rule (off when only the errors are wanted: it never causes one).
    wash_sales: bool,
}

impl Policy {
    /// Accounts not in `accounts` (new ones) are taxable and use `default_method`.
    pub fn new(accounts: &[Account], default_method: LotMethod, securities: Securities) -> Policy {
        Policy {
            accounts: accounts
                .iter()
                .map(|a| (a.name.clone(), (a.kind, a.lot_method)))
                .collect(),
            default_method,
            securities,
            wash_sales: true,
        }
    }

    /// This policy without the wash-sale rule: the same lots, quantities, cash and errors, with
    /// bases and holding periods unadjusted. For checks that only want the errors (an import,
    /// a change of lot method), which it makes several times faster on busy histories.
    pub fn without_wash_sales(mut self) -> Policy {
        self.wash_sales = false;
        self
    }

    /// Every account taxable with `method`; substantially identical groups from the bundled
    /// securities table.
    pub fn uniform(method: LotMethod) -> Policy {
        Policy::new(&[], method, Securities::bundled())
    }

    pub fn method(&self, account: &str) -> LotMethod {
        self.accounts
            .get(account)
            .map_or(self.default_method, |a| a.1)
    }

    /// Relieves `account`'s lots by `method`, for its whole history (what `folio accounts set`
    /// does).
    pub fn set_method(&mut self, account: &str, method: LotMethod) {
        let kind = self.kind(account);
        self.accounts.insert(account.to_string(), (kind, method));
    }

    /// The method that relieves `t`'s lots when it names none.
    pub fn method_for(&self, t: &Transaction) -> LotMethod {
        match &t.relief {
            Some(Relief::Method(m)) => *m,
            _ => self.method(&t.account),
        }
    }

    pub fn kind(&self, account: &str) -> AccountKind {
        self.accounts
            .get(account)
            .map_or_else(Default::default, |a| a.0)
    }

    pub fn securities(&self) -> &Securities {
        &self.securities
    }

    /// See [`Securities::group_of`].
    pub fn group<'a>(&'a self, symbol: &'a str) -> &'a str {
        self.securities.group_of(symbol)
    }
}

/// The sum of an account's open lots in one symbol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Position {
    pub account: String,
    pub symbol: String,
    pub currency: String,
    pub quantity: Decimal,
    pub cost: Decimal,
    pub lots: usize,
}

impl Book {
    /// Open lots as (account, symbol, lot), by account, symbol and acquisition order.
    pub fn lots(&self) -> impl Iterator<Item = (&str, &str, &Lot)> {
        self.positions.iter().flat_map(|(account, m)| {
            m.iter().flat_map(move |(symbol, lots)| {
                lots.iter()
                    .map(move |l| (account.as_str(), symbol.as_str(), l))
            })
        })
    }

    /// Cash balances as (account, currency, balance), by account and currency.
    pub fn cash(&self) -> impl Iterator<Item = (&str, &str, Decimal)> {
        self.cash
            .iter()
            .flat_map(|(a, m)| m.iter().map(move |(c, v)| (a.as_str(), c.as_str(), *v)))
    }

    /// One account's balance in one currency (0 when it never moved).
    pub fn cash_in(&self, account: &str, currency: &str) -> Decimal {
        self.cash
            .get(account)
            .and_then(|m| m.get(currency))
            .copied()
            .unwrap_or_default()
    }

    pub fn positions(&self) -> Vec<Position> {
        self.positions
            .iter()
            .flat_map(|(account, m)| m.iter().map(move |(symbol, lots)| (account, symbol, lots)))
            .filter(|(_, _, lots)| !lots.is_empty())
            .map(|(account, symbol, lots)| Position {
                account: account.clone(),
                symbol: symbol.clone(),
                currency: lots[0].currency.clone(),
                quantity: lots.iter().map(|l| l.quantity).sum(),
                cost: lots.iter().map(|l| l.cost).sum(),
                lots: lots.len(),
            })
            .collect()
    }

    /// The open lots of one account in one symbol, in purchase order.
    pub fn lots_of(&self, account: &str, symbol: &str) -> impl Iterator<Item = &Lot> {
        self.positions
            .get(account)
            .and_then(|m| m.get(symbol))
            .into_iter()
            .flatten()
    }

    fn cash_mut(&mut self, account: &str, currency: &str) -> &mut Decimal {
        entry(entry(&mut self.cash, account), currency)
    }

    fn lots_mut(&mut self, account: &str, symbol: &str) -> Option<&mut VecDeque<Lot>> {
        self.positions.get_mut(account)?.get_mut(symbol)
    }
}

/// Replays `txns` (in any order) into a [`Book`] under `policy` (lot methods, account kinds,
/// substantially identical symbols). Transactions that cannot be applied (selling more than is
/// held, a named lot that does not exist) are skipped and reported; the book reflects every
/// other transaction.
pub fn replay<'a>(
    txns: impl IntoIterator<Item = &'a Transaction>,
    policy: &Policy,
) -> (Book, Vec<LedgerError>) {
    let mut order: Vec<&Transaction> = txns.into_iter().collect();
    order.sort_by_key(|t| (t.date, t.id));
    let mut book = Book::default();
    let mut errors = Vec::new();
    for t in order {
        if let Err((column, message)) = apply(&mut book, t, policy) {
            errors.push(LedgerError {
                id: t.id,
                column,
                message,
            });
        }
    }
    (book, errors)
}

type ApplyResult = Result<(), (&'static str, String)>;

fn apply(book: &mut Book, t: &Transaction, policy: &Policy) -> ApplyResult {
    use Action::*;
    if let Some(p) = t.check().into_iter().next() {
        return Err((p.column, p.reason));
    }
    let touches_lots = matches!(t.action, Buy | Sell | Reinvest)
        || (matches!(t.action, TransferIn | TransferOut) && t.symbol.is_some());
    if touches_lots {
        same_currency(book, t)?;
    }
    let amount = t.amount.unwrap_or_default();
    let cash_delta = match t.action {
        Buy | Reinvest => {
            open_lot(book, t, t.gross() + t.fees, t.date, false);
            if policy.wash_sales {
                wash::on_acquire(book, policy, t);
            }
            if t.action == Buy {
                -(t.gross() + t.fees)
            } else {
                -t.fees
            }
        }
        Sell => {
            let proceeds = t.gross() - t.fees;
            let pieces = relieve(book, t, policy)?;
            let first = book.realized.len();
            let total_qty = t.quantity.unwrap_or_default();
            let mut left = proceeds;
            let n = pieces.len();
            for (i, lot) in pieces.into_iter().enumerate() {
                let share = if i + 1 == n {
                    left
                } else {
                    (proceeds * (lot.quantity / total_qty)).round_dp(SPLIT_DP)
                };
                left -= share;
                book.realized.push(Disposal {
                    term: term(lot.acquired, t.date),
                    gain: share - lot.cost,
                    account: t.account.clone(),
                    symbol: t.symbol.clone().unwrap_or_default(),
                    acquired: lot.acquired,
                    purchased: lot.purchased,
                    sold: t.date,
                    quantity: lot.quantity,
                    proceeds: share,
                    cost: lot.cost,
                    disallowed: Decimal::ZERO,
                    permanent: Decimal::ZERO,
                    washed: Decimal::ZERO,
                    replacement: lot.replaced,
                    currency: lot.currency,
                    sold_by: t.id,
                    opened_by: lot.opened_by,
                });
            }
            if policy.wash_sales {
                wash::on_sale(book, policy, t, first);
            }
            proceeds
        }
        Dividend | Interest | Deposit => amount,
        Fee | Tax | Withdrawal => -amount,
        Split => {
            let ratio = t.quantity.unwrap_or(Decimal::ONE);
            if let Some(lots) = book.lots_mut(&t.account, t.symbol.as_deref().unwrap_or_default()) {
                let scaled: Option<Vec<Decimal>> =
                    lots.iter().map(|l| l.quantity.checked_mul(ratio)).collect();
                let scaled = scaled
                    .filter(|q| q.iter().all(|q| *q <= crate::domain::MAX_VALUE))
                    .ok_or((
                        "quantity",
                        format!(
                            "a {ratio}-for-1 split would make the position too large for folio"
                        ),
                    ))?;
                for (lot, q) in lots.iter_mut().zip(scaled) {
                    lot.quantity = q;
                }
            }
            if policy.wash_sales {
                wash::on_split(book, t, ratio);
            }
            -t.fees
        }
        TransferIn if t.symbol.is_some() => {
            let basis = t.amount.unwrap_or_else(|| t.gross());
            open_lot(book, t, basis, t.lot.unwrap_or(t.date), true);
            -t.fees
        }
        TransferOut if t.symbol.is_some() => {
            relieve(book, t, policy)?;
            -t.fees
        }
        TransferIn => amount - t.fees,
        TransferOut => -amount - t.fees,
        Fx => {
            let symbol = t.symbol.as_deref().unwrap_or_default();
            let (base, _) =
                fx_pair(symbol).ok_or(("symbol", format!("'{symbol}' is not a currency pair")))?;
            *book.cash_mut(&t.account, base) += t.quantity.unwrap_or_default();
            -(t.gross() + t.fees)
        }
    };
    *book.cash_mut(&t.account, &t.currency) += cash_delta;
    Ok(())
}

/// A security keeps one currency per account: a row in another currency than the lots held
/// would mix amounts of different money.
fn same_currency(book: &mut Book, t: &Transaction) -> ApplyResult {
    let symbol = t.symbol.as_deref().unwrap_or_default();
    match book.lots_mut(&t.account, symbol).and_then(|l| l.front()) {
        Some(lot) if lot.currency != t.currency => Err((
            "currency",
            format!(
                "{symbol} is held in {} in {}, but this row is in {}; a security keeps one currency per account",
                lot.currency, t.account, t.currency
            ),
        )),
        _ => Ok(()),
    }
}

/// `map.entry(key).or_default()` without allocating the key when it is present.
fn entry<'m, V: Default>(map: &'m mut BTreeMap<String, V>, key: &str) -> &'m mut V {
    if !map.contains_key(key) {
        map.insert(key.to_string(), V::default());
    }
    map.get_mut(key).expect("inserted above")
}

fn open_lot(
    book: &mut Book,
    t: &Transaction,
    cost: Decimal,
    acquired: NaiveDate,
    transferred: bool,
) {
    let symbol = t.symbol.as_deref().unwrap_or_default();
    let lots = entry(entry(&mut book.positions, &t.account), symbol);
    let lot = Lot {
        acquired,
        purchased: acquired,
        quantity: t.quantity.unwrap_or_default(),
        cost,
        wash_adjustment: Decimal::ZERO,
        currency: t.currency.clone(),
        opened_by: t.id,
        transferred,
        replaced: false,
    };
    // Keep purchase order; a transferred-in lot may be older than lots already held.
    let at = lots.partition_point(|l| (l.purchased, l.opened_by) <= (lot.purchased, lot.opened_by));
    lots.insert(at, lot);
}

/// Splits `quantity` shares off `lot`, with their share of its basis and wash adjustment; `lot`
/// keeps the rest. Basis is neither created nor lost.
fn split_off(lot: &mut Lot, quantity: Decimal) -> Lot {
    let (cost, adjustment) = if quantity == lot.quantity {
        (lot.cost, lot.wash_adjustment)
    } else {
        let share = quantity / lot.quantity;
        (
            (lot.cost * share).round_dp(SPLIT_DP),
            (lot.wash_adjustment * share).round_dp(SPLIT_DP),
        )
    };
    lot.quantity -= quantity;
    lot.cost -= cost;
    lot.wash_adjustment -= adjustment;
    Lot {
        quantity,
        cost,
        wash_adjustment: adjustment,
        ..lot.clone()
    }
}

/// Takes `t.quantity` shares out of the account's lots and returns the pieces taken, each with
/// its share of the basis. Leaves the book untouched on error.
fn relieve(
    book: &mut Book,
    t: &Transaction,
    policy: &Policy,
) -> Result<Vec<Lot>, (&'static str, String)> {
    let want = t.quantity.unwrap_or_default();
    let symbol = t.symbol.as_deref().unwrap_or_default();
    let verb = if t.action == Action::Sell {
        "sells"
    } else {
        "transfers out"
    };
    let Some(lots) = book.lots_mut(&t.account, symbol).filter(|l| !l.is_empty()) else {
        return Err((
            "quantity",
            format!(
                "{verb} {want} {symbol} from {} on {}, but the account holds none",
                t.account, t.date
            ),
        ));
    };
    let named: Option<&[NaiveDate]> = match (&t.lot, &t.relief) {
        (Some(date), _) => Some(std::slice::from_ref(date)),
        (None, Some(Relief::Lots(dates))) => Some(dates),
        _ => None,
    };
    let mut order: Vec<usize> = match named {
        // The named days in their order; FIFO within a day.
        Some(dates) => {
            let lots = &*lots;
            dates
                .iter()
                .flat_map(|d| (0..lots.len()).filter(move |&i| lots[i].purchased == *d))
                .collect()
        }
        None => (0..lots.len()).collect(),
    };
    match (named, policy.method_for(t)) {
        (Some(_), _) | (None, LotMethod::Fifo) => {}
        (None, LotMethod::Lifo) => order.reverse(),
        (None, LotMethod::Hifo) => order.sort_by(|&a, &b| {
            lots[b]
                .unit_cost()
                .unwrap_or(Decimal::MAX)
                .cmp(&lots[a].unit_cost().unwrap_or(Decimal::MAX))
                .then(a.cmp(&b))
        }),
    }
    let available: Decimal = order.iter().map(|&i| lots[i].quantity).sum();
    if available < want {
        let message = match t
            .lot
            .or_else(|| named.filter(|d| d.len() == 1).map(|d| d[0]))
        {
            None if named.is_some() => format!(
                "{verb} {want} {symbol} from the lots acquired {}, but they hold only {available}",
                named
                    .unwrap_or_default()
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Some(date) if available.is_zero() => format!(
                "{verb} {want} {symbol} from the lot acquired {date}, but {} holds no {symbol} lot acquired that day",
                t.account
            ),
            Some(date) => format!(
                "{verb} {want} {symbol} from the lot acquired {date}, but that lot holds only {available}"
            ),
            None => format!(
                "{verb} {want} {symbol} from {} on {}, but only {available} are held",
                t.account, t.date
            ),
        };
        return Err(("quantity", message));
    }
    let mut left = want;
    let mut pieces = Vec::new();
    for i in order {
        if left.is_zero() {
            break;
        }
        let take = left.min(lots[i].quantity);
        left -= take;
        pieces.push(split_off(&mut lots[i], take));
    }
    // Sold-out lots are at the front (FIFO) or back (LIFO) most of the time: pop them there
    // rather than shifting every lot left.
    while lots.front().is_some_and(|l| l.quantity.is_zero()) {
        lots.pop_front();
    }
    while lots.back().is_some_and(|l| l.quantity.is_zero()) {
        lots.pop_back();
    }
    if lots.iter().any(|l| l.quantity.is_zero()) {
        lots.retain(|l| !l.quantity.is_zero());
    }
    Ok(pieces)
}

/// For tests: accounts "Taxable" and "Taxable2" (taxable), "IRA" and "Roth", all FIFO, with the
/// bundled securities table.
#[cfg(test)]
pub(crate) fn test_policy() -> Policy {
    let account = |name: &str, kind| Account {
        name: name.into(),
        kind,
        lot_method: LotMethod::Fifo,
    };
    Policy::new(
        &[
            account("Taxable", AccountKind::Taxable),
            account("Taxable2", AccountKind::Taxable),
            account("IRA", AccountKind::Ira),
            account("Roth", AccountKind::Roth),
        ],
        LotMethod::Fifo,
        Securities::bundled(),
    )
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod wash_tests;
