//! The tax-loss harvest scan: every open lot in a taxable account with an unrealized loss, what
//! selling it on its own today would allow after wash sales, what that is worth, what to buy
//! instead, and when the original may be bought back. Pure.

use std::collections::{HashMap, HashSet};

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use super::similarity::{self, Similarity};
use super::tax::{self, Rates, YearSummary};
use crate::domain::{AccountKind, Action, Term, Transaction, long_term_from, term};
use crate::ledger::{Book, Lot, Policy};

/// How far back prices are compared for replacements.
const SIMILARITY_DAYS: u64 = 365;
/// Replacements listed per candidate.
const MAX_REPLACEMENTS: usize = 5;

/// Thresholds and costs, from the `[tax]` config.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub rates: Rates,
    /// Only lots losing at least this much...
    pub min_loss: Decimal,
    /// ...and at least this percent of their value.
    pub min_loss_pct: Decimal,
    pub commission: Decimal,
    pub spread_bps: Decimal,
    /// The scan's currency: lots in others are left out.
    pub currency: String,
}

/// What the scan needs from the market: a price per symbol and daily closes (ascending) for the
/// replacement comparison.
pub struct Market<'a> {
    pub prices: &'a HashMap<String, Decimal>,
    pub closes: &'a HashMap<String, Vec<(NaiveDate, Decimal)>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WashStatus {
    /// Selling today realizes the whole loss.
    Clean,
    /// Some shares bought in the last 30 days (or a reinvestment due) would wash part of it.
    Partial,
    /// All of it would be washed.
    Full,
    /// Some of it would be washed by shares bought in an IRA or Roth IRA: lost for good.
    IraPermanent,
}

impl WashStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            WashStatus::Clean => "clean",
            WashStatus::Partial => "partial",
            WashStatus::Full => "full",
            WashStatus::IraPermanent => "IRA: lost",
        }
    }
}

/// Shares whose purchase would wash the loss.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Blocker {
    pub account: String,
    pub symbol: String,
    /// The purchase date, or the expected date of a dividend reinvestment.
    pub date: NaiveDate,
    pub quantity: Decimal,
    /// A reinvestment expected from the account's past ones, not a purchase made.
    pub expected: bool,
    /// In an IRA or Roth IRA.
    pub retirement: bool,
}

impl Blocker {
    /// "150 VWO bought 2026-05-12 in IRA", or the expected reinvestment.
    pub fn describe(&self) -> String {
        let q = crate::format::qty(self.quantity);
        if self.expected {
            format!(
                "a reinvestment of about {q} {} expected {} in {}",
                self.symbol, self.date, self.account
            )
        } else {
            format!(
                "{q} {} bought {} in {}",
                self.symbol, self.date, self.account
            )
        }
    }
}

/// A security to hold instead for the 31 days.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Idea {
    pub symbol: String,
    pub name: String,
    pub index: String,
    /// None without enough common price history.
    pub similarity: Option<Similarity>,
    /// Itself (or substantially identical to) a harvest candidate: buying it while selling
    /// that one at a loss would wash that loss. Listed after the others.
    pub also_a_candidate: bool,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Candidate {
    pub account: String,
    pub symbol: String,
    pub name: Option<String>,
    /// Trade date, and where the holding period starts (earlier after a wash sale).
    pub acquired: NaiveDate,
    pub holding_period_from: NaiveDate,
    pub term: Term,
    /// Days until the lot turns long term (0 once it is).
    pub days_to_long_term: i64,
    pub quantity: Decimal,
    pub cost_basis: Decimal,
    pub price: Decimal,
    pub value: Decimal,
    /// Positive.
    pub loss: Decimal,
    pub loss_pct: Decimal,
    pub wash_status: WashStatus,
    /// Shares whose loss a sale today would have disallowed.
    pub blocked_quantity: Decimal,
    pub blockers: Vec<Blocker>,
    pub allowed_loss: Decimal,
    pub estimated_saving: Decimal,
    pub trading_cost: Decimal,
    pub net_benefit: Decimal,
    /// The allowed loss reaches `min_loss` and the net benefit is positive: worth doing now.
    pub worth_harvesting: bool,
    /// The first day buying the symbol (or one substantially identical) back no longer washes
    /// a sale made today.
    pub safe_to_buy_back: NaiveDate,
    /// Buying any of these before `safe_to_buy_back` washes the loss.
    pub blocked_symbols: Vec<String>,
    pub replacements: Vec<Idea>,
    /// The transaction the lot's shares were bought by (a wash sale can split one purchase into
    /// two lots: the part that replaced sold shares and the rest).
    pub lot_transaction_id: i64,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Summary {
    /// The allowed loss of the candidates worth harvesting, summed (each estimated on its own:
    /// candidates can compete for the same blocking purchases).
    pub harvestable_loss: Decimal,
    /// Candidates worth harvesting.
    pub candidates: usize,
    /// Realized so far this year in taxable accounts, after wash sales, and its netting.
    pub realized: YearSummary,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Harvest {
    pub as_of: NaiveDate,
    pub currency: String,
    pub summary: Summary,
    /// Best net benefit first.
    pub candidates: Vec<Candidate>,
    /// Symbols held in taxable accounts with no price: their lots could not be checked.
    pub unpriced: Vec<String>,
}

/// Scans `book` (replayed up to `as_of`) for harvest candidates. `txns` are the transactions
/// the book came from (for dividend reinvestment schedules). Lots of one position that are all
/// candidates are taken to be sold together: none of them replaces another.
pub fn scan(
    book: &Book,
    policy: &Policy,
    txns: &[Transaction],
    market: &Market,
    as_of: NaiveDate,
    settings: &Settings,
) -> Harvest {
    let year = tax::year_to_date(book, policy, as_of, &settings.currency, &settings.rates);
    let unwashed_losses = book.unwashed_losses(as_of);
    let unwashed: HashSet<&str> = unwashed_losses.iter().map(|l| l.group.as_str()).collect();
    let since = as_of
        .checked_sub_days(Days::new(SIMILARITY_DAYS))
        .unwrap_or(NaiveDate::MIN);
    let safe = as_of
        .checked_add_days(Days::new(31))
        .unwrap_or(NaiveDate::MAX);

    // First pass: the lots whose loss passes the thresholds.
    struct Pre<'b> {
        account: &'b str,
        symbol: &'b str,
        lot: &'b Lot,
        price: Decimal,
        value: Decimal,
        loss: Decimal,
        loss_pct: Decimal,
    }
    let mut pre: Vec<Pre> = Vec::new();
    let mut unpriced: Vec<String> = Vec::new();
    for (account, symbol, lot) in book.lots() {
        if policy.kind(account) != AccountKind::Taxable || lot.currency != settings.currency {
            continue;
        }
        let Some(&price) = market.prices.get(symbol) else {
            if !unpriced.iter().any(|s| s == symbol) {
                unpriced.push(symbol.to_string());
            }
            continue;
        };
        let value = (price * lot.quantity).round_dp(2);
        let loss = lot.cost - value;
        if loss <= Decimal::ZERO || loss < settings.min_loss || value <= Decimal::ZERO {
            continue;
        }
        let loss_pct = (loss / value * Decimal::ONE_HUNDRED).round_dp(2);
        if loss_pct < settings.min_loss_pct {
            continue;
        }
        pre.push(Pre {
            account,
            symbol,
            lot,
            price,
            value,
            loss,
            loss_pct,
        });
    }
    let candidate_groups: HashSet<&str> = pre.iter().map(|p| policy.group(p.symbol)).collect();
    let reinvestments = expected_reinvestments(book, policy, txns, as_of, &unwashed_losses);
    let half_spread = settings.spread_bps / Decimal::from(20_000);

    // What selling a lot together with the lots `sold_with` of its position would realize.
    struct Assessed {
        status: WashStatus,
        blocked: Decimal,
        blockers: Vec<Blocker>,
        allowed: Decimal,
        saving: Decimal,
        cost: Decimal,
        worth: bool,
    }
    let assess = |p: &Pre, sold_with: &[i64], whole: bool| -> Assessed {
        let (account, symbol, lot) = (p.account, p.symbol, p.lot);
        // A reinvestment of a position sold whole does not happen.
        let due: Vec<&Expected> = reinvestments
            .iter()
            .filter(|e| {
                e.currency == lot.currency && !(whole && e.account == account && e.symbol == symbol)
            })
            .collect();
        let (status, blocked, blockers) =
            wash_status(book, policy, symbol, lot, sold_with, as_of, &due);
        let allowed = if blocked.is_zero() {
            p.loss
        } else {
            (p.loss * (lot.quantity - blocked) / lot.quantity).round_dp(2)
        };
        let saving =
            tax::marginal_saving(&year, allowed, term(lot.acquired, as_of), &settings.rates);
        let cost = (Decimal::TWO * (settings.commission + p.value * half_spread)).round_dp(2);
        Assessed {
            status,
            blocked,
            blockers,
            allowed,
            saving,
            cost,
            worth: allowed >= settings.min_loss && saving > cost,
        }
    };
    // The lots of a position worth harvesting are sold together: none replaces another. Start
    // with every lot past the thresholds and drop the ones not worth it until nothing changes
    // (fewer lots sold only adds blockers, so this ends).
    let mut by_position: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, p) in pre.iter().enumerate() {
        by_position
            .entry((p.account, p.symbol))
            .or_default()
            .push(i);
    }
    let mut sold: HashMap<(&str, &str), Vec<i64>> = by_position
        .iter()
        .map(|(k, ix)| (*k, ix.iter().map(|&i| pre[i].lot.opened_by).collect()))
        .collect();
    let mut assessed: Vec<Option<Assessed>> = (0..pre.len()).map(|_| None).collect();
    let mut dirty: Vec<(&str, &str)> = by_position.keys().copied().collect();
    for _round in 0..8 {
        let mut changed = Vec::new();
        for key in dirty {
            let ids = &sold[&key];
            let whole = book.lots_of(key.0, key.1).count() == ids.len();
            for &i in &by_position[&key] {
                let mut with = ids.clone();
                if !with.contains(&pre[i].lot.opened_by) {
                    with.push(pre[i].lot.opened_by);
                }
                assessed[i] = Some(assess(&pre[i], &with, whole));
            }
            let worth: Vec<i64> = by_position[&key]
                .iter()
                .filter(|&&i| assessed[i].as_ref().is_some_and(|a| a.worth))
                .map(|&i| pre[i].lot.opened_by)
                .collect();
            if &worth != ids {
                sold.insert(key, worth);
                changed.push(key);
            }
        }
        if changed.is_empty() {
            break;
        }
        dirty = changed;
    }

    let mut returns: HashMap<String, Vec<similarity::Return>> = HashMap::new();
    let mut ideas: HashMap<String, Vec<Idea>> = HashMap::new();
    let mut identical: HashMap<String, Vec<String>> = HashMap::new();
    let mut candidates = Vec::new();
    for (p, a) in pre.iter().zip(assessed) {
        let Some(a) = a else { continue };
        let (account, symbol, lot) = (p.account, p.symbol, p.lot);
        let replacements = ideas
            .entry(symbol.to_string())
            .or_insert_with(|| {
                replacement_ideas(
                    policy,
                    symbol,
                    market,
                    since,
                    &unwashed,
                    &candidate_groups,
                    &mut returns,
                )
            })
            .clone();
        candidates.push(Candidate {
            account: account.to_string(),
            symbol: symbol.to_string(),
            name: policy.securities().name_of(symbol).map(String::from),
            acquired: lot.purchased,
            holding_period_from: lot.acquired,
            term: term(lot.acquired, as_of),
            days_to_long_term: (long_term_from(lot.acquired) - as_of).num_days().max(0),
            quantity: lot.quantity,
            cost_basis: lot.cost,
            price: p.price,
            value: p.value,
            loss: p.loss,
            loss_pct: p.loss_pct,
            wash_status: a.status,
            blocked_quantity: a.blocked,
            blockers: a.blockers,
            allowed_loss: a.allowed,
            estimated_saving: a.saving,
            trading_cost: a.cost,
            net_benefit: a.saving - a.cost,
            worth_harvesting: a.worth,
            safe_to_buy_back: safe,
            blocked_symbols: identical
                .entry(symbol.to_string())
                .or_insert_with(|| policy.securities().identical_to(symbol))
                .clone(),
            replacements,
            lot_transaction_id: lot.opened_by,
        });
    }
    candidates.sort_by(|a, b| {
        b.net_benefit
            .cmp(&a.net_benefit)
            .then(b.loss.cmp(&a.loss))
            .then((&a.account, &a.symbol, a.acquired).cmp(&(&b.account, &b.symbol, b.acquired)))
    });
    unpriced.sort();
    let worth = || candidates.iter().filter(|c| c.worth_harvesting);
    Harvest {
        as_of,
        currency: settings.currency.clone(),
        summary: Summary {
            harvestable_loss: worth().map(|c| c.allowed_loss).sum(),
            candidates: worth().count(),
            realized: year,
        },
        candidates,
        unpriced,
    }
}

/// What selling `lot` (with the purchases `sold_with`, its own included) on `as_of` would run
/// into: held shares bought in the last 30 days (in matching order), then reinvestments due in
/// the next 30.
fn wash_status(
    book: &Book,
    policy: &Policy,
    symbol: &str,
    lot: &Lot,
    sold_with: &[i64],
    as_of: NaiveDate,
    reinvestments: &[&Expected],
) -> (WashStatus, Decimal, Vec<Blocker>) {
    let group = policy.group(symbol);
    let mut blockers: Vec<Blocker> = book
        .replacements_for(policy, symbol, as_of, &lot.currency, sold_with)
        .into_iter()
        .map(|r| Blocker {
            account: r.account,
            symbol: r.symbol,
            date: r.purchased,
            quantity: r.quantity,
            expected: false,
            retirement: r.retirement,
        })
        .collect();
    blockers.extend(
        reinvestments
            .iter()
            .filter(|e| e.group == group)
            .map(|e| Blocker {
                account: e.account.clone(),
                symbol: e.symbol.clone(),
                date: e.date,
                quantity: e.quantity,
                expected: true,
                retirement: e.retirement,
            }),
    );
    let mut left = lot.quantity;
    let (mut blocked, mut permanent) = (Decimal::ZERO, false);
    let mut used = Vec::new();
    for b in blockers {
        if left.is_zero() {
            break;
        }
        let take = left.min(b.quantity);
        left -= take;
        blocked += take;
        permanent |= b.retirement;
        used.push(b);
    }
    let status = if blocked.is_zero() {
        WashStatus::Clean
    } else if permanent {
        WashStatus::IraPermanent
    } else if left.is_zero() {
        WashStatus::Full
    } else {
        WashStatus::Partial
    };
    (status, blocked, used)
}

/// A dividend reinvestment expected in the next 30 days.
struct Expected {
    group: String,
    currency: String,
    account: String,
    symbol: String,
    date: NaiveDate,
    quantity: Decimal,
    retirement: bool,
}

/// Reinvestments due within 30 days after `as_of`, projected from each still-held position's
/// reinvestments of the last 400 days (the median gap between them; at least two needed), less
/// the shares that would go to losses already sold and still unwashed on that day (a purchase
/// replaces the earliest loss first).
fn expected_reinvestments(
    book: &Book,
    policy: &Policy,
    txns: &[Transaction],
    as_of: NaiveDate,
    unwashed: &[crate::ledger::UnwashedLoss],
) -> Vec<Expected> {
    let horizon = as_of
        .checked_add_days(Days::new(30))
        .unwrap_or(NaiveDate::MAX);
    let recent = as_of
        .checked_sub_days(Days::new(400))
        .unwrap_or(NaiveDate::MIN);
    // Per (account, symbol): (day, quantity, currency) of each reinvestment.
    type Reinvested<'t> = Vec<(NaiveDate, Decimal, &'t str)>;
    let mut by_position: HashMap<(&str, &str), Reinvested> = HashMap::new();
    for t in txns {
        if t.action == Action::Reinvest
            && t.date >= recent
            && t.date <= as_of
            && let Some(symbol) = t.symbol.as_deref()
        {
            by_position
                .entry((t.account.as_str(), symbol))
                .or_default()
                .push((t.date, t.quantity.unwrap_or_default(), t.currency.as_str()));
        }
    }
    let mut out = Vec::new();
    for ((account, symbol), mut days) in by_position {
        if days.len() < 2 || book.lots_of(account, symbol).next().is_none() {
            continue;
        }
        days.sort_by_key(|d| d.0);
        let mut gaps: Vec<i64> = days
            .windows(2)
            .map(|w| (w[1].0 - w[0].0).num_days())
            .collect();
        gaps.sort_unstable();
        let gap = gaps[gaps.len() / 2];
        if gap < 7 {
            continue; // not a dividend schedule
        }
        let (last, quantity, currency) = *days.last().expect("two or more");
        let mut next = Some(last);
        while let Some(day) = next.filter(|d| *d <= as_of) {
            next = day.checked_add_days(Days::new(gap as u64));
        }
        if let Some(next) = next.filter(|d| *d <= horizon) {
            let group = policy.group(symbol);
            let window = next
                .checked_sub_days(Days::new(30))
                .unwrap_or(NaiveDate::MIN);
            let taken: Decimal = unwashed
                .iter()
                .filter(|l| l.group == group && l.sold >= window)
                .map(|l| l.shares)
                .sum();
            let quantity = quantity - taken;
            if quantity <= Decimal::ZERO {
                continue;
            }
            out.push(Expected {
                group: policy.group(symbol).to_string(),
                currency: currency.to_string(),
                account: account.to_string(),
                symbol: symbol.to_string(),
                date: next,
                quantity,
                retirement: policy.kind(account) != AccountKind::Taxable,
            });
        }
    }
    out.sort_by(|a, b| (a.date, &a.account).cmp(&(b.date, &b.account)));
    out
}

/// Same asset class, another group, not one whose purchase would wash a recent loss; ranked by
/// similarity of daily returns over the last year (those without enough history last).
fn replacement_ideas(
    policy: &Policy,
    symbol: &str,
    market: &Market,
    since: NaiveDate,
    unwashed_groups: &HashSet<&str>,
    candidate_groups: &HashSet<&str>,
    returns: &mut HashMap<String, Vec<similarity::Return>>,
) -> Vec<Idea> {
    let securities = policy.securities();
    let peers: Vec<&str> = securities
        .peers(symbol)
        .into_iter()
        .filter(|p| !unwashed_groups.contains(securities.group_of(p)))
        .collect();
    for s in peers.iter().copied().chain([symbol]) {
        if !returns.contains_key(s) {
            let r = market
                .closes
                .get(s)
                .map(|c| similarity::returns(c, since))
                .unwrap_or_default();
            returns.insert(s.to_string(), r);
        }
    }
    let original = &returns[symbol];
    let mut out: Vec<Idea> = peers
        .into_iter()
        .map(|p| {
            let sec = securities.get(p).expect("peers are listed");
            Idea {
                symbol: p.to_string(),
                name: sec.name.clone(),
                index: sec.index.clone(),
                similarity: similarity::compare(original, &returns[p]),
                also_a_candidate: candidate_groups.contains(securities.group_of(p)),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        let score = |i: &Idea| i.similarity.map_or(f64::NEG_INFINITY, |s| s.score);
        a.also_a_candidate
            .cmp(&b.also_a_candidate)
            .then_with(|| score(b).total_cmp(&score(a)))
            .then_with(|| a.symbol.cmp(&b.symbol))
    });
    out.truncate(MAX_REPLACEMENTS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::replay;
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn txn(
        id: i64,
        date: &str,
        account: &str,
        action: Action,
        symbol: &str,
        qty: Decimal,
    ) -> Transaction {
        Transaction {
            id,
            uid: format!("t{id}"),
            date: d(date),
            account: account.into(),
            action,
            symbol: Some(symbol.into()),
            quantity: Some(qty),
            price: Some(dec!(100)),
            fees: Decimal::ZERO,
            amount: None,
            currency: "USD".into(),
            lot: None,
            relief: None,
            note: None,
        }
    }

    /// The config's defaults (the config is not the analytics' to read).
    fn settings() -> Settings {
        Settings {
            rates: Rates {
                short_term: dec!(0.32),
                long_term: dec!(0.15),
                offset_limit: dec!(3000),
                carry_in_short: Decimal::ZERO,
                carry_in_long: Decimal::ZERO,
            },
            min_loss: dec!(100),
            min_loss_pct: dec!(5),
            commission: Decimal::ZERO,
            spread_bps: dec!(5),
            currency: "USD".into(),
        }
    }

    fn run(txns: &[Transaction], price: Decimal, as_of: &str) -> Harvest {
        let policy = crate::ledger::test_policy();
        let (book, errors) = replay(txns, &policy);
        assert!(errors.is_empty(), "{errors:?}");
        let prices: HashMap<String, Decimal> = ["VTI", "VOO", "IVV"]
            .iter()
            .map(|s| (s.to_string(), price))
            .collect();
        let closes = HashMap::new();
        let market = Market {
            prices: &prices,
            closes: &closes,
        };
        scan(&book, &policy, txns, &market, d(as_of), &settings())
    }

    #[test]
    fn quarterly_ira_reinvestments_due_within_30_days_make_a_loss_permanent() {
        // VOO at a loss in Taxable; IVV (same index) reinvested quarterly in the IRA, the last
        // on 2025-09-30: the next is expected a median gap (91 and 92 days: 92) later, on
        // 2025-12-31, within 30 days of 12-10.
        let mut t = vec![txn(
            1,
            "2025-01-02",
            "Taxable",
            Action::Buy,
            "VOO",
            dec!(10),
        )];
        for (i, day) in ["2025-03-31", "2025-06-30", "2025-09-30"]
            .iter()
            .enumerate()
        {
            t.push(txn(
                2 + i as i64,
                day,
                "IRA",
                Action::Reinvest,
                "IVV",
                dec!(0.5),
            ));
        }
        let h = run(&t, dec!(80), "2025-12-10");
        let c = &h.candidates[0];
        assert_eq!(c.symbol, "VOO");
        assert_eq!(c.wash_status, WashStatus::IraPermanent);
        assert_eq!(c.blocked_quantity, dec!(0.5));
        assert_eq!(c.allowed_loss, dec!(190)); // 200 x 9.5 / 10
        let b = &c.blockers[0];
        assert!(b.expected && b.retirement && b.symbol == "IVV", "{b:?}");
        assert_eq!(b.date, d("2025-12-31"));
        // On 11-20 the next reinvestment (12-31) is more than 30 days away: clean.
        let h = run(&t, dec!(80), "2025-11-20");
        assert_eq!(h.candidates[0].wash_status, WashStatus::Clean);
    }

    #[test]
    fn a_recent_purchase_kept_washes_the_lot_but_a_position_sold_whole_is_clean() {
        // January 10 VTI at 100, November 10 more at 70; VTI at 80 on 12-01: the November lot
        // gains and stays, so it replaces the January lot's shares: fully washed, and not worth
        // harvesting.
        let mut nov = txn(2, "2025-11-25", "Taxable", Action::Buy, "VTI", dec!(10));
        nov.price = Some(dec!(70));
        let t = vec![
            txn(1, "2025-01-02", "Taxable", Action::Buy, "VTI", dec!(10)),
            nov,
            txn(3, "2025-01-02", "IRA", Action::Buy, "VOO", dec!(10)),
        ];
        let h = run(&t, dec!(80), "2025-12-01");
        assert_eq!(h.candidates.len(), 1, "the IRA's VOO is never a candidate");
        let c = &h.candidates[0];
        assert_eq!(
            (c.wash_status, c.blocked_quantity),
            (WashStatus::Full, dec!(10))
        );
        assert_eq!((c.allowed_loss, c.estimated_saving), (dec!(0), dec!(0)));
        assert!(!c.worth_harvesting && c.net_benefit < Decimal::ZERO);
        assert_eq!(
            (h.summary.candidates, h.summary.harvestable_loss),
            (0, dec!(0))
        );
        // Bought in November at 100 too, both lots lose: the position is sold whole and
        // neither lot replaces the other.
        let t = vec![
            txn(1, "2025-01-02", "Taxable", Action::Buy, "VTI", dec!(10)),
            txn(2, "2025-11-25", "Taxable", Action::Buy, "VTI", dec!(10)),
        ];
        let h = run(&t, dec!(80), "2025-12-01");
        let status: Vec<WashStatus> = h.candidates.iter().map(|c| c.wash_status).collect();
        assert_eq!(status, [WashStatus::Clean, WashStatus::Clean]);
        assert_eq!(
            (h.summary.candidates, h.summary.harvestable_loss),
            (2, dec!(400))
        );
    }

    #[test]
    fn a_lot_not_worth_harvesting_stays_held_and_washes_the_rest_of_its_position() {
        // A: 1,000 VTI bought in January at 100; B: 10 more on 11-21 at 100; C: 10 in another
        // account on 11-26 at 75. At 80 on 12-01, B is fully washed by C (not worth selling),
        // so it stays, and selling A alone is washed by both B and C: 20 shares, not 10.
        let mut c = txn(3, "2025-11-26", "Taxable2", Action::Buy, "VTI", dec!(10));
        c.price = Some(dec!(75));
        let t = vec![
            txn(1, "2025-01-02", "Taxable", Action::Buy, "VTI", dec!(1000)),
            txn(2, "2025-11-21", "Taxable", Action::Buy, "VTI", dec!(10)),
            c,
        ];
        let h = run(&t, dec!(80), "2025-12-01");
        let a = h
            .candidates
            .iter()
            .find(|c| c.quantity == dec!(1000))
            .unwrap();
        assert_eq!(
            (a.wash_status, a.blocked_quantity),
            (WashStatus::Partial, dec!(20))
        );
        assert_eq!(a.allowed_loss, dec!(19600));
        let b = h
            .candidates
            .iter()
            .find(|c| c.quantity == dec!(10))
            .unwrap();
        assert!(
            !b.worth_harvesting && b.wash_status == WashStatus::Full,
            "{b:?}"
        );
        assert_eq!(
            (h.summary.candidates, h.summary.harvestable_loss),
            (1, dec!(19600))
        );
    }
}
