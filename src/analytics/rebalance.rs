//! Rebalancing a household back to its targets: which trades, in which accounts, selling which
//! lots, at what estimated tax. Pure: the app layer gathers the positions, lots, cash, targets,
//! buy candidates and the year's realized figures; this module plans.
//!
//! The tax-aware plan, in order of cost:
//! 1. Cash first: idle cash above its target and new cash (`--cash`) buy what is underweight.
//! 2. Sales of what is over its band come from tax-advantaged accounts first (no tax), then from
//!    taxable lots at a loss (largest loss per dollar first), then long-term gains (smallest gain
//!    per dollar first), and short-term gains only when allowed. The proceeds buy what is
//!    underweight in the same account (cash cannot move between accounts).
//! 3. No purchase of a symbol substantially identical to one sold at a loss in the last 30 days
//!    (it would wash that loss) or to one this plan sells at a loss; a non-identical symbol of
//!    the same class is bought instead, or the purchase is deferred to the safe day. A loss lot
//!    whose group this plan buys is not sold.
//! 4. Trades below the minimum size are dropped and `max_trades` is honoured (the smallest trade
//!    goes first), planning again without them each time.
//!
//! The tax-blind proportional plan trades each out-of-band class back to its target pro rata
//! across the accounts that hold it, first lots first, for comparison.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use schemars::JsonSchema;
use serde::Serialize;

use super::tax::{Rates, YearSummary, added_tax};
use crate::domain::order::Side;
use crate::domain::{AccountKind, Term, long_term_from, term};

/// The key cash is targeted by.
pub const CASH: &str = "Cash";

/// Decimal places of a fractional share quantity.
const QTY_DP: u32 = 4;

#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub name: String,
    pub kind: AccountKind,
    /// Cash in the plan's currency (new cash not included).
    pub cash: Decimal,
}

/// A held symbol in one account.
#[derive(Debug, Clone, PartialEq)]
pub struct Holding {
    pub account: String,
    pub symbol: String,
    /// Its group of substantially identical symbols.
    pub group: String,
    /// What the targets call it: its asset class, or its symbol.
    pub key: String,
    pub price: Decimal,
    /// Open lots, oldest first.
    pub lots: Vec<LotIn>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LotIn {
    /// The trade date: what a sale names the lot by.
    pub purchased: NaiveDate,
    /// Where the holding period starts (earlier after a wash sale).
    pub holding_from: NaiveDate,
    pub quantity: Decimal,
    pub cost: Decimal,
    /// Shares bought in the 30 days before today (in any account) that would wash a loss on
    /// this lot sold today; 0 when none.
    pub replacements: Decimal,
}

/// A target weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub key: String,
    /// Percent of the base.
    pub pct: Decimal,
    /// Allowed drift either side, in percentage points.
    pub band: Decimal,
}

/// A symbol the plan may buy for a key.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub symbol: String,
    pub group: String,
    pub price: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub tax_aware: bool,
    pub no_sell: bool,
    pub max_trades: Option<usize>,
    /// Trades smaller than this (in money) are not proposed.
    pub min_trade: Decimal,
    /// Fractional shares (else whole shares).
    pub fractional: bool,
    /// Let the tax-aware plan sell lots at a short-term gain.
    pub allow_short_term: bool,
}

pub struct Input<'a> {
    pub today: NaiveDate,
    pub accounts: &'a [Account],
    pub holdings: &'a [Holding],
    pub targets: &'a [Target],
    /// Band (points) of a key with no target (or a target of 0).
    pub default_band: Decimal,
    pub new_cash: Decimal,
    /// The account new cash is deposited into.
    pub new_cash_account: Option<&'a str>,
    /// Per key, the symbols to buy in order of preference (held ones first).
    pub candidates: &'a HashMap<String, Vec<Candidate>>,
    /// Groups a purchase of which today would wash a loss realized in the last 30 days, with
    /// the first day a purchase no longer does.
    pub blocked: &'a HashMap<String, NaiveDate>,
    pub year: &'a YearSummary,
    pub rates: &'a Rates,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Cash first, tax-advantaged accounts before taxable ones, losses before gains, long term
    /// before short term, no wash sales.
    TaxAware,
    /// Every out-of-band class back to its target pro rata across accounts, first lots first.
    Proportional,
}

/// A lot (or part of one) a sale relieves.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SoldLot {
    pub purchased: NaiveDate,
    pub holding_period_from: NaiveDate,
    pub quantity: Decimal,
    pub cost_basis: Decimal,
    pub proceeds: Decimal,
    /// Proceeds - basis (before any wash-sale disallowance).
    pub gain: Decimal,
    pub term: Term,
    /// The part of a loss that recent purchases would disallow (positive).
    pub wash_disallowed: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Trade {
    pub side: Side,
    pub account: String,
    pub account_kind: AccountKind,
    pub symbol: String,
    /// The class (or symbol) target it serves.
    pub target: String,
    pub quantity: Decimal,
    /// The price assumed (the latest close or quote).
    pub price: Decimal,
    /// Quantity x price.
    pub amount: Decimal,
    /// A sale's lots (empty for a purchase).
    pub lots: Vec<SoldLot>,
    /// Realized in a taxable account (0 elsewhere).
    pub short_term_gain: Decimal,
    pub long_term_gain: Decimal,
    /// The tax this trade adds to the year after netting, in plan order (negative: it saves).
    pub estimated_tax: Decimal,
    /// Why it is there and what it costs.
    pub reason: String,
}

/// A key's weight before and after the plan.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Drift {
    pub target: String,
    pub target_pct: Decimal,
    pub band_points: Decimal,
    pub value_before: Decimal,
    pub pct_before: Decimal,
    pub value_after: Decimal,
    pub pct_after: Decimal,
    /// pct_after - target_pct, in points.
    pub drift_after: Decimal,
    pub in_band_before: bool,
    pub in_band_after: bool,
}

/// A purchase the plan would make but does not, and when it can.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Deferred {
    pub target: String,
    pub account: String,
    pub amount: Decimal,
    /// The first day the blocked symbols can be bought without a wash sale.
    pub safe_from: Option<NaiveDate>,
    pub reason: String,
}

impl Deferred {
    /// "Deferred: 1,000.00 of US bonds in Taxable: BND would wash ...; safe to buy from ...".
    pub fn describe(&self) -> String {
        format!(
            "Deferred: {} of {} in {}: {}{}",
            crate::format::money(self.amount),
            self.target,
            self.account,
            self.reason,
            self.safe_from
                .map_or(String::new(), |s| format!("; safe to buy from {s}"))
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Plan {
    pub method: Method,
    pub trades: Vec<Trade>,
    pub sold: Decimal,
    pub bought: Decimal,
    /// Bought plus sold, and that as a percent of the base.
    pub turnover: Decimal,
    pub turnover_pct: Decimal,
    /// The year's tax change, after netting with what is realized so far (negative: saves).
    pub estimated_tax: Decimal,
    pub short_term_gain: Decimal,
    pub long_term_gain: Decimal,
    /// Cash left after the plan (new cash included).
    pub cash_after: Decimal,
    pub drift: Vec<Drift>,
    /// Every target within its band after the plan.
    pub within_bands: bool,
    pub deferred: Vec<Deferred>,
    /// What the plan could not do and why, and the cheapest way further.
    pub notes: Vec<String>,
}

/// Total value the targets are weights of: holdings, cash and new cash.
pub fn base(input: &Input) -> Decimal {
    base_at(input, &|h| h.price)
}

/// [`base`] with each holding at `price` (the cockpit's live quotes).
pub fn base_at(input: &Input, price: &dyn Fn(&Holding) -> Decimal) -> Decimal {
    input
        .holdings
        .iter()
        .map(|h| quantity_of(h) * price(h))
        .chain(input.accounts.iter().map(|a| a.cash))
        .sum::<Decimal>()
        + input.new_cash
}

fn quantity_of(h: &Holding) -> Decimal {
    h.lots.iter().map(|l| l.quantity).sum()
}

/// A holding's value at its price.
pub fn value_of(h: &Holding) -> Decimal {
    quantity_of(h) * h.price
}

/// Value per key now (cash under [`CASH`], new cash included).
pub fn values(input: &Input) -> BTreeMap<String, Decimal> {
    values_at(input, &|h| h.price)
}

/// [`values`] with each holding at `price`.
pub fn values_at(input: &Input, price: &dyn Fn(&Holding) -> Decimal) -> BTreeMap<String, Decimal> {
    let mut v: BTreeMap<String, Decimal> = BTreeMap::new();
    for t in input.targets {
        v.entry(t.key.clone()).or_default();
    }
    for h in input.holdings {
        *v.entry(h.key.clone()).or_default() += quantity_of(h) * price(h);
    }
    let cash = input.accounts.iter().map(|a| a.cash).sum::<Decimal>() + input.new_cash;
    if !cash.is_zero() || v.contains_key(CASH) {
        *v.entry(CASH.to_string()).or_default() += cash;
    }
    v
}

/// `part` as a percent of `whole`, two decimals (0 when `whole` is 0).
pub fn pct(part: Decimal, whole: Decimal) -> Decimal {
    (part * Decimal::ONE_HUNDRED)
        .checked_div(whole)
        .unwrap_or_default()
        .round_dp(2)
}

/// What the targets say of one key: (target percent, band points).
fn target_of(input: &Input, key: &str) -> (Decimal, Decimal) {
    input
        .targets
        .iter()
        .find(|t| t.key == key)
        .map_or((Decimal::ZERO, input.default_band), |t| (t.pct, t.band))
}

/// Trades excluded by an earlier pass (too small, or over the trade limit).
#[derive(Default, Clone)]
struct Excluded {
    sells: HashSet<(String, String)>,
    buys: HashSet<(String, String)>,
}

/// One lot-level sale or one purchase, before merging into trades.
struct Leg {
    side: Side,
    account: String,
    symbol: String,
    key: String,
    quantity: Decimal,
    price: Decimal,
    lot: Option<SoldLot>,
    why: &'static str,
}

struct Draft {
    legs: Vec<Leg>,
    deferred: Vec<Deferred>,
    /// Short-term gain lots the tax-aware plan left unsold, earliest long-term day first.
    skipped_short: Vec<NaiveDate>,
    /// Loss lots not sold because the plan buys their group.
    skipped_wash: Vec<String>,
}

/// Plans the trades. With `settings.tax_aware` false the proportional plan is the answer.
pub fn plan(input: &Input, settings: &Settings) -> Plan {
    let method = if settings.tax_aware {
        Method::TaxAware
    } else {
        Method::Proportional
    };
    let mut excluded = Excluded::default();
    let mut cut_by_limit = false;
    let mut dropped_small = false;
    loop {
        let draft = build(input, settings, method, &excluded);
        let trades = merge(input, &draft.legs);
        let smallest = |filter: &dyn Fn(&Trade) -> bool| {
            trades
                .iter()
                .filter(|t| filter(t))
                .min_by(|a, b| a.amount.cmp(&b.amount))
                .cloned()
        };
        let drop = if let Some(t) = smallest(&|t: &Trade| t.amount < settings.min_trade) {
            dropped_small = true;
            Some(t)
        } else if settings.max_trades.is_some_and(|m| trades.len() > m) {
            cut_by_limit = true;
            smallest(&|_| true)
        } else {
            None
        };
        match drop {
            Some(t) => {
                match t.side {
                    Side::Sell => excluded.sells.insert((t.account, t.symbol)),
                    Side::Buy => excluded.buys.insert((t.account, t.target)),
                };
            }
            None => {
                return finish(
                    input,
                    settings,
                    method,
                    trades,
                    draft,
                    cut_by_limit,
                    dropped_small,
                );
            }
        }
    }
}

fn round_qty(q: Decimal, fractional: bool, up: bool) -> Decimal {
    let (dp, strategy) = if fractional {
        (QTY_DP, RoundingStrategy::ToZero)
    } else if up {
        (0, RoundingStrategy::AwayFromZero)
    } else {
        (0, RoundingStrategy::ToZero)
    };
    q.round_dp_with_strategy(dp, strategy)
}

/// A taxable lot's place in the order of sale: 1 losses, 2 long-term gains, 3 short-term gains.
fn tier(lot: &LotIn, price: Decimal, today: NaiveDate) -> u8 {
    if lot.quantity * price <= lot.cost {
        1
    } else if term(lot.holding_from, today) == Term::Long {
        2
    } else {
        3
    }
}

fn build(input: &Input, settings: &Settings, method: Method, excluded: &Excluded) -> Draft {
    let total = base(input);
    let now = values(input);
    let kind = |a: &str| {
        input
            .accounts
            .iter()
            .find(|x| x.name == a)
            .map_or(AccountKind::Taxable, |x| x.kind)
    };
    let mut draft = Draft {
        legs: Vec::new(),
        deferred: Vec::new(),
        skipped_short: Vec::new(),
        skipped_wash: Vec::new(),
    };
    if total <= Decimal::ZERO {
        return draft;
    }
    let target_value = |k: &str| target_of(input, k).0 * total / Decimal::ONE_HUNDRED;
    let out_of_band = |k: &str, v: Decimal| {
        let (t, band) = target_of(input, k);
        (pct(v, total) - t).abs() > band
    };
    // Cash each account may spend.
    let mut cash: BTreeMap<String, Decimal> = BTreeMap::new();
    let cash_now = now.get(CASH).copied().unwrap_or_default();
    let spend_cash = input.new_cash > Decimal::ZERO || out_of_band(CASH, cash_now);
    let mut investable = if spend_cash {
        (cash_now - target_value(CASH)).max(Decimal::ZERO)
    } else {
        Decimal::ZERO
    };
    let mut order: Vec<(&str, Decimal)> = input
        .accounts
        .iter()
        .map(|a| {
            let new = if Some(a.name.as_str()) == input.new_cash_account {
                input.new_cash
            } else {
                Decimal::ZERO
            };
            (a.name.as_str(), a.cash + new)
        })
        .collect();
    order.sort_by(|a, b| {
        let first = |n: &str| Some(n) != input.new_cash_account;
        (first(a.0), b.1).cmp(&(first(b.0), a.1))
    });
    for (name, c) in order {
        let take = c.max(Decimal::ZERO).min(investable);
        investable -= take;
        cash.insert(name.to_string(), take);
    }

    // What is underweight, and the groups the plan means to buy (their loss lots stay unsold).
    let mut deficit: BTreeMap<String, Decimal> = now
        .iter()
        .filter(|(k, _)| k.as_str() != CASH)
        .map(|(k, v)| (k.clone(), target_value(k) - *v))
        .filter(|(_, d)| *d > Decimal::ZERO)
        .collect();
    let buy_groups: HashSet<&str> = deficit
        .keys()
        .filter_map(|k| {
            input
                .candidates
                .get(k)?
                .iter()
                .find(|c| !input.blocked.contains_key(&c.group))
                .map(|c| c.group.as_str())
        })
        .collect();

    // Sales.
    let mut sold_at_loss: HashSet<String> = HashSet::new();
    if !settings.no_sell {
        let mut over: Vec<(&String, Decimal)> = now
            .iter()
            .filter(|(k, v)| k.as_str() != CASH && out_of_band(k, **v))
            .map(|(k, v)| (k, *v - target_value(k)))
            .filter(|(_, e)| *e > Decimal::ZERO)
            .collect();
        over.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        for (key, excess) in over {
            let holdings: Vec<&Holding> = input
                .holdings
                .iter()
                .filter(|h| &h.key == key)
                .filter(|h| {
                    !excluded
                        .sells
                        .contains(&(h.account.clone(), h.symbol.clone()))
                })
                .collect();
            let before = draft.legs.len();
            match method {
                Method::TaxAware => sell_tax_aware(
                    input,
                    settings,
                    &holdings,
                    excess,
                    &kind,
                    &buy_groups,
                    &mut draft,
                ),
                Method::Proportional => {
                    sell_proportional(input, settings, &holdings, excess, &mut draft)
                }
            }
            for leg in &draft.legs[before..] {
                *cash.entry(leg.account.clone()).or_default() += leg.quantity * leg.price;
                if let Some(l) = &leg.lot
                    && l.gain < Decimal::ZERO
                    && kind(&leg.account) == AccountKind::Taxable
                {
                    let group = input
                        .holdings
                        .iter()
                        .find(|h| h.symbol == leg.symbol)
                        .map_or(leg.symbol.clone(), |h| h.group.clone());
                    sold_at_loss.insert(group);
                }
            }
        }
    }

    // Purchases: out-of-band deficits first, then the rest, largest first.
    let mut wanted: Vec<(String, Decimal)> = deficit.iter().map(|(k, d)| (k.clone(), *d)).collect();
    wanted.sort_by(|a, b| {
        let oob = |k: &str, d: Decimal| !out_of_band(k, target_value(k) - d);
        (oob(&a.0, a.1), b.1, &a.0).cmp(&(oob(&b.0, b.1), a.1, &b.0))
    });
    let mut accounts: Vec<(String, Decimal)> = cash.iter().map(|(a, c)| (a.clone(), *c)).collect();
    accounts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (account, _) in accounts {
        for (key, _) in &wanted {
            let available = cash[&account];
            let remaining = deficit[key];
            let amount = available.min(remaining);
            if amount <= Decimal::ZERO {
                continue;
            }
            if excluded.buys.contains(&(account.clone(), key.clone())) {
                continue;
            }
            let Some(options) = input.candidates.get(key) else {
                draft.deferred.push(Deferred {
                    target: key.clone(),
                    account: account.clone(),
                    amount,
                    safe_from: None,
                    reason: format!(
                        "nothing to buy for {key}: no listed symbol of that class has a price"
                    ),
                });
                continue;
            };
            let held_here = |c: &Candidate| {
                input
                    .holdings
                    .iter()
                    .any(|h| h.account == account && h.symbol == c.symbol)
            };
            let mut ordered: Vec<&Candidate> = options.iter().filter(|c| held_here(c)).collect();
            ordered.extend(options.iter().filter(|c| !held_here(c)));
            let mut blocked_by: Vec<String> = Vec::new();
            let mut safe: Option<NaiveDate> = None;
            let chosen = ordered.into_iter().find(|c| {
                if method == Method::TaxAware {
                    if let Some(d) = input.blocked.get(&c.group) {
                        blocked_by.push(format!(
                            "{} would wash a loss realized in the last 30 days",
                            c.symbol
                        ));
                        safe = Some(safe.map_or(*d, |s: NaiveDate| s.min(*d)));
                        return false;
                    }
                    if sold_at_loss.contains(&c.group) {
                        blocked_by
                            .push(format!("{} would wash a loss this plan realizes", c.symbol));
                        return false;
                    }
                }
                c.price > Decimal::ZERO
            });
            let Some(c) = chosen else {
                draft.deferred.push(Deferred {
                    target: key.clone(),
                    account: account.clone(),
                    amount,
                    safe_from: safe,
                    reason: if blocked_by.is_empty() {
                        format!("nothing to buy for {key}: no listed symbol has a price")
                    } else {
                        blocked_by.join("; ")
                    },
                });
                continue;
            };
            let q = round_qty(amount / c.price, settings.fractional, false);
            if q <= Decimal::ZERO {
                continue;
            }
            let cost = q * c.price;
            *cash.get_mut(&account).expect("listed") -= cost;
            *deficit.get_mut(key).expect("listed") -= cost;
            let why = if blocked_by.is_empty() {
                "buy"
            } else {
                "replacement"
            };
            draft.legs.push(Leg {
                side: Side::Buy,
                account: account.clone(),
                symbol: c.symbol.clone(),
                key: key.clone(),
                quantity: q,
                price: c.price,
                lot: None,
                why,
            });
        }
    }
    draft
}

fn sale(lot: &LotIn, q: Decimal, price: Decimal, today: NaiveDate, taxable: bool) -> SoldLot {
    let cost = if q == lot.quantity {
        lot.cost
    } else {
        (lot.cost * q / lot.quantity).round_dp(2)
    };
    let proceeds = q * price;
    let gain = proceeds - cost;
    let washed_shares = lot.replacements.min(q);
    let wash_disallowed = if taxable && gain < Decimal::ZERO && !washed_shares.is_zero() {
        (-gain * washed_shares / q).round_dp(2)
    } else {
        Decimal::ZERO
    };
    SoldLot {
        purchased: lot.purchased,
        holding_period_from: lot.holding_from,
        quantity: q,
        cost_basis: cost,
        proceeds,
        gain,
        term: term(lot.holding_from, today),
        wash_disallowed,
    }
}

fn sell_tax_aware(
    input: &Input,
    settings: &Settings,
    holdings: &[&Holding],
    excess: Decimal,
    kind: &dyn Fn(&str) -> AccountKind,
    buy_groups: &HashSet<&str>,
    draft: &mut Draft,
) {
    // (tier, gain per dollar, holding, lot index)
    let mut sources: Vec<(u8, Decimal, usize, usize)> = Vec::new();
    for (hi, h) in holdings.iter().enumerate() {
        let taxable = kind(&h.account) == AccountKind::Taxable;
        for (li, lot) in h.lots.iter().enumerate() {
            let value = lot.quantity * h.price;
            if value <= Decimal::ZERO {
                continue;
            }
            if !taxable {
                // Tax-advantaged: the biggest positions first; lots only name the shares.
                sources.push((0, -value, hi, li));
                continue;
            }
            let t = tier(lot, h.price, input.today);
            if t == 1 && buy_groups.contains(h.group.as_str()) {
                draft.skipped_wash.push(h.symbol.clone());
                continue;
            }
            if t == 3 && !settings.allow_short_term {
                draft.skipped_short.push(long_term_from(lot.holding_from));
                continue;
            }
            let mut gain = value - lot.cost;
            if t == 1 && !lot.replacements.is_zero() {
                // The washed part of a loss saves nothing now.
                gain *= Decimal::ONE - (lot.replacements / lot.quantity).min(Decimal::ONE);
            }
            sources.push((t, gain / value, hi, li));
        }
    }
    sources.sort_by_key(|s| (s.0, s.1));
    let mut left = excess;
    for (t, _, hi, li) in sources {
        if left <= Decimal::ZERO {
            break;
        }
        let h = holdings[hi];
        let lot = &h.lots[li];
        let why = match t {
            0 => "advantaged",
            1 => "loss",
            2 => "long-term",
            _ => "short-term",
        };
        left -= sell_lot(input, settings, h, lot, left, t != 0, why, draft);
    }
}

/// Sells shares of `lot` worth about `amount` (rounded up to whole shares unless fractional,
/// never more than the lot); returns the proceeds.
#[allow(clippy::too_many_arguments)]
fn sell_lot(
    input: &Input,
    settings: &Settings,
    h: &Holding,
    lot: &LotIn,
    amount: Decimal,
    taxable: bool,
    why: &'static str,
    draft: &mut Draft,
) -> Decimal {
    let quantity = round_qty(amount / h.price, settings.fractional, true).min(lot.quantity);
    if quantity <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    let sold = sale(lot, quantity, h.price, input.today, taxable);
    let proceeds = sold.proceeds;
    draft.legs.push(Leg {
        side: Side::Sell,
        account: h.account.clone(),
        symbol: h.symbol.clone(),
        key: h.key.clone(),
        quantity,
        price: h.price,
        lot: Some(sold),
        why,
    });
    proceeds
}

fn sell_proportional(
    input: &Input,
    settings: &Settings,
    holdings: &[&Holding],
    excess: Decimal,
    draft: &mut Draft,
) {
    let total: Decimal = holdings.iter().copied().map(value_of).sum();
    if total <= Decimal::ZERO {
        return;
    }
    for h in holdings {
        let taxable = input
            .accounts
            .iter()
            .find(|a| a.name == h.account)
            .is_none_or(|a| a.kind == AccountKind::Taxable);
        let mut left = excess * value_of(h) / total;
        for lot in &h.lots {
            if left <= Decimal::ZERO {
                break;
            }
            left -= sell_lot(
                input,
                settings,
                h,
                lot,
                left,
                taxable,
                "proportional",
                draft,
            );
        }
    }
}

/// Legs to trades: one per account, symbol and side, sales first (they fund the purchases),
/// each with its tax after netting in that order.
fn merge(input: &Input, legs: &[Leg]) -> Vec<Trade> {
    let mut trades: Vec<Trade> = Vec::new();
    let mut reasons: Vec<Vec<&'static str>> = Vec::new();
    let selling: HashSet<&str> = legs
        .iter()
        .filter(|l| l.side == Side::Sell)
        .map(|l| l.account.as_str())
        .collect();
    for leg in legs {
        let at = trades
            .iter()
            .position(|t| t.side == leg.side && t.account == leg.account && t.symbol == leg.symbol);
        let i = match at {
            Some(i) => i,
            None => {
                let kind = input
                    .accounts
                    .iter()
                    .find(|a| a.name == leg.account)
                    .map_or(AccountKind::Taxable, |a| a.kind);
                trades.push(Trade {
                    side: leg.side,
                    account: leg.account.clone(),
                    account_kind: kind,
                    symbol: leg.symbol.clone(),
                    target: leg.key.clone(),
                    quantity: Decimal::ZERO,
                    price: leg.price,
                    amount: Decimal::ZERO,
                    lots: Vec::new(),
                    short_term_gain: Decimal::ZERO,
                    long_term_gain: Decimal::ZERO,
                    estimated_tax: Decimal::ZERO,
                    reason: String::new(),
                });
                reasons.push(Vec::new());
                trades.len() - 1
            }
        };
        let t = &mut trades[i];
        t.quantity += leg.quantity;
        t.amount = (t.quantity * t.price).round_dp(2);
        if !reasons[i].contains(&leg.why) {
            reasons[i].push(leg.why);
        }
        if leg.side == Side::Buy
            && !selling.contains(leg.account.as_str())
            && !reasons[i].contains(&"cash")
        {
            reasons[i].push("cash");
        }
        if let Some(l) = &leg.lot {
            if t.account_kind == AccountKind::Taxable {
                let recognized = l.gain + l.wash_disallowed;
                match l.term {
                    Term::Short => t.short_term_gain += recognized,
                    Term::Long => t.long_term_gain += recognized,
                }
            }
            t.lots.push(l.clone());
        }
    }
    let mut order: Vec<usize> = (0..trades.len()).collect();
    order.sort_by_key(|&i| (trades[i].side == Side::Buy, i));
    let mut trades: Vec<(Trade, Vec<&'static str>)> = order
        .into_iter()
        .map(|i| (trades[i].clone(), reasons[i].clone()))
        .collect();
    let (mut st, mut lt) = (Decimal::ZERO, Decimal::ZERO);
    let mut taxed = Decimal::ZERO;
    for (t, why) in &mut trades {
        st += t.short_term_gain;
        lt += t.long_term_gain;
        let total = added_tax(input.year, st, lt, input.rates);
        t.estimated_tax = total - taxed;
        taxed = total;
        t.reason = describe(t, why);
    }
    trades.into_iter().map(|(t, _)| t).collect()
}

fn describe(t: &Trade, why: &[&str]) -> String {
    let money = crate::format::money;
    match t.side {
        Side::Buy => {
            let mut s = format!("{} is under its target", t.target);
            if why.contains(&"replacement") {
                s.push_str(
                    "; bought instead of a substantially identical symbol that would wash a loss",
                );
            }
            if why.contains(&"cash") {
                s.push_str("; paid from cash");
            } else {
                s.push_str("; paid from this account's sales (and its cash)");
            }
            s
        }
        Side::Sell => {
            let base = format!("{} is over its band", t.target);
            if t.account_kind != AccountKind::Taxable {
                return format!("{base}; sold in a tax-advantaged account: no tax");
            }
            let gain = t.short_term_gain + t.long_term_gain;
            let washed: Decimal = t.lots.iter().map(|l| l.wash_disallowed).sum();
            let mut s = if why.contains(&"proportional") {
                format!("{base}; sold pro rata, first lots first")
            } else if gain < Decimal::ZERO {
                format!("{base}; lots at a loss: realizes {} loss", money(-gain))
            } else if t.short_term_gain > Decimal::ZERO {
                format!(
                    "{base}; short-term lots: realizes {} short-term gain",
                    money(t.short_term_gain)
                )
            } else {
                format!(
                    "{base}; long-term lots with the least gain: realizes {} gain",
                    money(gain)
                )
            };
            if washed > Decimal::ZERO {
                s.push_str(&format!(
                    " ({} of the loss disallowed by recent purchases)",
                    money(washed)
                ));
            }
            s.push_str(&format!(", tax {}", money(t.estimated_tax)));
            s
        }
    }
}

fn finish(
    input: &Input,
    settings: &Settings,
    method: Method,
    trades: Vec<Trade>,
    draft: Draft,
    cut_by_limit: bool,
    dropped_small: bool,
) -> Plan {
    let total = base(input);
    let before = values(input);
    let mut after = before.clone();
    let (mut sold, mut bought) = (Decimal::ZERO, Decimal::ZERO);
    for t in &trades {
        let delta = match t.side {
            Side::Sell => {
                sold += t.amount;
                -t.amount
            }
            Side::Buy => {
                bought += t.amount;
                t.amount
            }
        };
        *after.entry(t.target.clone()).or_default() += delta;
        *after.entry(CASH.to_string()).or_default() -= delta;
    }
    let drift: Vec<Drift> = after
        .iter()
        .map(|(k, v)| {
            let (t, band) = target_of(input, k);
            let b = before.get(k).copied().unwrap_or_default();
            let (pb, pa) = (pct(b, total), pct(*v, total));
            Drift {
                target: k.clone(),
                target_pct: t,
                band_points: band,
                value_before: b.round_dp(2),
                pct_before: pb,
                value_after: v.round_dp(2),
                pct_after: pa,
                drift_after: pa - t,
                in_band_before: (pb - t).abs() <= band,
                in_band_after: (pa - t).abs() <= band,
            }
        })
        .collect();
    let within_bands = drift.iter().all(|d| d.in_band_after);
    let mut notes = Vec::new();
    if trades.is_empty() && drift.iter().all(|d| d.in_band_before) {
        notes.push("every target is within its band: nothing to trade".to_string());
    }
    if !within_bands {
        let outside: Vec<String> = drift
            .iter()
            .filter(|d| !d.in_band_after)
            .map(|d| format!("{} {}", d.target, crate::format::points(d.drift_after)))
            .collect();
        notes.push(format!(
            "the plan cannot bring every target within its band (drift left in points: {})",
            outside.join(", ")
        ));
        if settings.no_sell {
            notes.push("without sales only cash can move the mix; run without --no-sell to sell what is over".into());
        }
        if let Some(first) = draft.skipped_short.iter().min() {
            notes.push(format!(
                "the rest would mean selling lots at a short-term gain; this plan is the cheapest compromise (the next lot turns long term on {first}; --allow-short-term plans the sales)"
            ));
        }
        if cut_by_limit {
            notes.push(format!(
                "held to {} trades (--max-trades)",
                settings.max_trades.unwrap_or_default()
            ));
        }
    }
    if !draft.skipped_wash.is_empty() {
        let mut s = draft.skipped_wash.clone();
        s.sort();
        s.dedup();
        notes.push(format!(
            "lots of {} at a loss were not sold: this plan buys a substantially identical symbol, which would wash the loss",
            s.join(", ")
        ));
    }
    if dropped_small {
        notes.push(format!(
            "trades under {} were left out (min trade)",
            crate::format::money(settings.min_trade)
        ));
    }
    let st: Decimal = trades.iter().map(|t| t.short_term_gain).sum();
    let lt: Decimal = trades.iter().map(|t| t.long_term_gain).sum();
    let cash_after = after.get(CASH).copied().unwrap_or_default();
    let turnover = sold + bought;
    Plan {
        method,
        estimated_tax: added_tax(input.year, st, lt, input.rates),
        short_term_gain: st.round_dp(2),
        long_term_gain: lt.round_dp(2),
        trades,
        sold,
        bought,
        turnover,
        turnover_pct: pct(turnover, total),
        cash_after: cash_after.round_dp(2),
        drift,
        within_bands,
        deferred: draft.deferred,
        notes,
    }
}

#[cfg(test)]
#[path = "rebalance_tests.rs"]
mod tests;
