//! "How far am I from my targets?": the stored target mixes beside the current weights, with
//! the drift in points and money. `folio targets`, the Dashboard's allocation and the base of
//! every rebalancing plan (`super::rebalance`), which reads the same figures.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::holdings::{Base, base};
use super::{Result, Session, bad};
use crate::analytics::rebalance::{self, CASH, Candidate, Holding, LotIn};
use crate::analytics::tax::{self, YearSummary};
use crate::domain::securities::Securities;
use crate::domain::{AccountKind, parse_symbol};
use crate::store::{TargetKind, TargetSet};

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetsParams {
    /// Only the set of this account. Default: every stored set (the household's first).
    #[serde(default)]
    pub account: Option<String>,
    /// At the end of this day (YYYY-MM-DD), at the latest closes. Default: today.
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
}

/// What `folio targets set` stores.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetTargetsParams {
    /// The mix: "US stocks=50,International stocks=20,US bonds=30". Percents summing to 100;
    /// "Cash" may be named.
    pub weights: String,
    /// What the names are: "class" (asset classes, the default) or "symbol".
    #[serde(default)]
    pub by: Option<String>,
    /// The set of one account (default: the household, every account together).
    #[serde(default)]
    pub account: Option<String>,
    /// Band in percentage points for this set. Default: [rebalance] band_points.
    #[serde(default)]
    pub band_points: Option<Decimal>,
    /// Band in percent of each target for this set. Default: [rebalance] band_pct.
    #[serde(default)]
    pub band_pct: Option<Decimal>,
}

/// One name of a set: its target beside where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct TargetRow {
    /// The class or symbol ("Cash" for cash).
    pub name: String,
    /// 0 for a name held without a target.
    pub target_pct: Decimal,
    pub value: Decimal,
    pub pct: Decimal,
    /// pct - target_pct, in percentage points.
    pub drift_points: Decimal,
    /// value - the target's value (positive: over).
    pub drift_value: Decimal,
    /// The allowed drift either side, in points.
    pub band_points: Decimal,
    pub in_band: bool,
    /// Held (or cash) without a target.
    pub untargeted: bool,
}

/// A stored set measured against the holdings.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct TargetView {
    /// None: the household.
    pub account: Option<String>,
    pub by: TargetKind,
    /// The bands in force: points, and percent of each target.
    pub band_points: Decimal,
    pub band_pct: Decimal,
    /// What the weights are of: holdings with a price plus cash, in the report currency.
    pub base: Decimal,
    /// Targets in the order set, then names held without a target.
    pub rows: Vec<TargetRow>,
    pub within_bands: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct TargetsReport {
    pub as_of: NaiveDate,
    pub currency: String,
    pub sets: Vec<TargetView>,
    pub warnings: Vec<String>,
}

/// The band of a target: `points`, narrowed to `pct` percent of the target itself (a name
/// without a target keeps `points`).
pub fn band(target: Decimal, points: Decimal, pct: Decimal) -> Decimal {
    if target > Decimal::ZERO {
        points.min(target * pct / Decimal::ONE_HUNDRED)
    } else {
        points
    }
}

/// Everything a set is measured and rebalanced with: the analytics' inputs. The cockpit keeps
/// the household's and measures it again at live quotes with [`Prepared::view_at`].
#[derive(Debug, Clone)]
pub struct Prepared {
    pub set: TargetSet,
    pub band_points: Decimal,
    pub band_pct: Decimal,
    pub today: NaiveDate,
    pub accounts: Vec<rebalance::Account>,
    pub holdings: Vec<Holding>,
    pub targets: Vec<rebalance::Target>,
    pub candidates: HashMap<String, Vec<Candidate>>,
    pub blocked: HashMap<String, NaiveDate>,
    pub year: YearSummary,
    pub rates: tax::Rates,
    pub warnings: Vec<String>,
}

impl Prepared {
    pub fn input<'a>(
        &'a self,
        new_cash: Decimal,
        new_cash_account: Option<&'a str>,
    ) -> rebalance::Input<'a> {
        rebalance::Input {
            today: self.today,
            accounts: &self.accounts,
            holdings: &self.holdings,
            targets: &self.targets,
            default_band: self.band_points,
            new_cash,
            new_cash_account,
            candidates: &self.candidates,
            blocked: &self.blocked,
            year: &self.year,
            rates: &self.rates,
        }
    }

    /// The set against the holdings (and `new_cash`, when a plan adds some).
    pub fn view(&self, new_cash: Decimal) -> TargetView {
        self.view_priced(new_cash, &|h| h.price)
    }

    /// The set against the holdings at `marks` (the cockpit's live quotes; a holding without
    /// one keeps its close), without copying the set.
    pub fn view_at(&self, marks: &super::holdings::Marks) -> TargetView {
        self.view_priced(Decimal::ZERO, &|h| {
            marks.get(&h.symbol).map_or(h.price, |m| m.price)
        })
    }

    fn view_priced(&self, new_cash: Decimal, price: &dyn Fn(&Holding) -> Decimal) -> TargetView {
        let input = self.input(new_cash, None);
        let total = rebalance::base_at(&input, price);
        let values = rebalance::values_at(&input, price);
        let mut rows: Vec<TargetRow> = Vec::new();
        let mut names: Vec<(&str, bool)> = self
            .targets
            .iter()
            .map(|t| (t.key.as_str(), false))
            .collect();
        let mut extra: Vec<&str> = values
            .keys()
            .map(String::as_str)
            .filter(|k| !self.targets.iter().any(|t| t.key == *k))
            .collect();
        extra.sort_by_key(|k| (*k == CASH, *k));
        names.extend(extra.into_iter().map(|k| (k, true)));
        for (name, untargeted) in names {
            let value = values.get(name).copied().unwrap_or_default();
            let (target, band) = self
                .targets
                .iter()
                .find(|t| t.key == name)
                .map_or((Decimal::ZERO, self.band_points), |t| (t.pct, t.band));
            let pct = rebalance::pct(value, total);
            let drift = pct - target;
            rows.push(TargetRow {
                name: name.to_string(),
                target_pct: target,
                value: value.round_dp(2),
                pct,
                drift_points: drift,
                drift_value: (value - target * total / Decimal::ONE_HUNDRED).round_dp(2),
                band_points: band.round_dp(2),
                in_band: drift.abs() <= band,
                untargeted,
            });
        }
        TargetView {
            account: self.set.account.clone(),
            by: self.set.kind,
            band_points: self.band_points,
            band_pct: self.band_pct,
            base: total.round_dp(2),
            within_bands: rows.iter().all(|r| r.in_band),
            rows,
        }
    }
}

/// The key a held symbol is targeted by in a set of `kind`.
fn key_of(kind: TargetKind, symbol: &str, securities: &Securities) -> String {
    match kind {
        TargetKind::Class => securities.class_of(symbol).to_string(),
        TargetKind::Symbol => symbol.to_string(),
    }
}

/// Reads what a set needs at the end of `as_of`: positions, lots, cash, prices, the year's
/// realized figures and the losses a purchase would wash.
pub fn prepare(s: &Session, set: TargetSet, b: &Base) -> Result<Prepared> {
    let config = &s.config().rebalance;
    let securities = &s.config().securities;
    let ledger = s.ledger()?;
    let book = ledger.book_at(b.as_of);
    let policy = &ledger.policy;
    let currency = b.currency.as_str();
    let today = b.as_of;
    let band_points = set.band_points.unwrap_or(config.band_points);
    let band_pct = set.band_pct.unwrap_or(config.band_pct);
    let scope = |a: &str| set.account.as_deref().is_none_or(|x| x == a);

    let mut accounts: Vec<rebalance::Account> = ledger
        .accounts
        .iter()
        .filter(|a| scope(&a.name))
        .map(|a| rebalance::Account {
            name: a.name.clone(),
            kind: policy.kind(&a.name),
            cash: book.cash_in(&a.name, currency),
        })
        .collect();
    accounts.sort_by(|a, b| a.name.cmp(&b.name));

    let mut holdings: Vec<Holding> = Vec::new();
    let mut unpriced: Vec<String> = Vec::new();
    for p in b
        .positions
        .iter()
        .filter(|p| p.currency == currency && scope(&p.account))
    {
        let Some(mark) = b.marks.get(&p.symbol) else {
            unpriced.push(format!("{} in {}", p.symbol, p.account));
            continue;
        };
        let lots = book
            .lots_of(&p.account, &p.symbol)
            .map(|l| LotIn {
                purchased: l.purchased,
                holding_from: l.acquired,
                quantity: l.quantity,
                cost: l.cost,
                // Known once the plan asks: [`Prepared::with_taxes`].
                replacements: Decimal::ZERO,
            })
            .collect();
        holdings.push(Holding {
            account: p.account.clone(),
            symbol: p.symbol.clone(),
            group: policy.group(&p.symbol).to_string(),
            key: key_of(set.kind, &p.symbol, securities),
            price: mark.price,
            lots,
        });
    }

    let targets: Vec<rebalance::Target> = set
        .weights
        .iter()
        .map(|(name, pct)| rebalance::Target {
            key: name.clone(),
            pct: *pct,
            band: band(*pct, band_points, band_pct),
        })
        .collect();

    // What to buy for each target: what the household holds of it (largest first), then the
    // listed symbols of the class (or, by symbol, the symbol and its non-identical peers).
    let mut held_value: HashMap<&str, Decimal> = HashMap::new();
    for h in &holdings {
        *held_value.entry(h.symbol.as_str()).or_default() += rebalance::value_of(h);
    }
    let mut candidates: HashMap<String, Vec<Candidate>> = HashMap::new();
    for t in &targets {
        if t.key == CASH {
            continue;
        }
        let mut symbols: Vec<String> = Vec::new();
        match set.kind {
            TargetKind::Class => {
                let mut held: Vec<(&str, Decimal)> = held_value
                    .iter()
                    .filter(|(sym, _)| securities.class_of(sym) == t.key)
                    .map(|(s, v)| (*s, *v))
                    .collect();
                held.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
                symbols.extend(held.iter().map(|(s, _)| s.to_string()));
                symbols.extend(securities.in_class(&t.key).iter().cloned());
            }
            TargetKind::Symbol => {
                symbols.push(t.key.clone());
                symbols.extend(securities.peers(&t.key).iter().map(|s| s.to_string()));
            }
        }
        let mut seen = std::collections::HashSet::new();
        let list: Vec<Candidate> = symbols
            .into_iter()
            .filter(|sym| seen.insert(sym.clone()))
            .filter_map(|sym| {
                let price = b.marks.get(&sym)?.price;
                Some(Candidate {
                    group: policy.group(&sym).to_string(),
                    symbol: sym,
                    price,
                })
            })
            .collect();
        candidates.insert(t.key.clone(), list);
    }

    let mut warnings = b.warnings.clone();
    let mut foreign: Vec<&str> = b
        .positions
        .iter()
        .filter(|p| p.currency != currency && scope(&p.account))
        .map(|p| p.symbol.as_str())
        .collect();
    foreign.sort_unstable();
    foreign.dedup();
    if !foreign.is_empty() {
        warnings.push(format!(
            "{} in other currencies than {currency}: left out of the weights and the trades",
            foreign.join(", ")
        ));
    }
    if !unpriced.is_empty() {
        warnings.push(format!(
            "no price for {}: left out of the weights (import prices: folio prices import FILE)",
            unpriced.join(", ")
        ));
    }
    Ok(Prepared {
        set,
        band_points,
        band_pct,
        today,
        accounts,
        holdings,
        targets,
        candidates,
        blocked: HashMap::new(),
        year: YearSummary::default(),
        rates: s.config().harvest_settings().rates,
        warnings,
    })
}

impl Prepared {
    /// What a plan needs besides the weights (left out of `folio targets` and the Dashboard,
    /// which do not plan): the losses of the last 30 days a purchase would wash, the shares
    /// that would wash a loss sale of each lot today, and the year's realized figures.
    pub(super) fn with_taxes(mut self, s: &Session, b: &Base) -> Result<Prepared> {
        let ledger = s.ledger()?;
        let book = ledger.book_at(b.as_of);
        let policy = &ledger.policy;
        let currency = b.currency.as_str();
        let today = self.today;
        // Shares whose purchase (in the last 30 days, or a dividend reinvestment due in the next
        // 30) would wash a loss sale today: the harvest scan's answer for every lot at a loss.
        let washable: HashMap<(String, String, NaiveDate), Decimal> = {
            let mut settings = s.config().harvest_settings();
            settings.min_loss = Decimal::ZERO;
            settings.min_loss_pct = Decimal::ZERO;
            settings.currency = currency.to_string();
            let prices: HashMap<String, Decimal> =
                b.marks.iter().map(|(s, m)| (s.clone(), m.price)).collect();
            let closes = HashMap::new();
            let market = crate::analytics::harvest::Market {
                prices: &prices,
                closes: &closes,
            };
            crate::analytics::harvest::scan(
                &book,
                policy,
                ledger.until(today),
                &market,
                today,
                &settings,
            )
            .candidates
            .into_iter()
            .map(|c| ((c.account, c.symbol, c.acquired), c.blocked_quantity))
            .collect()
        };
        for h in &mut self.holdings {
            if policy.kind(&h.account) != AccountKind::Taxable {
                continue;
            }
            for l in &mut h.lots {
                l.replacements = washable
                    .get(&(h.account.clone(), h.symbol.clone(), l.purchased))
                    .copied()
                    .unwrap_or_default();
            }
        }
        self.blocked.clear();
        for l in book.unwashed_losses(today) {
            let safe = l.sold.checked_add_days(Days::new(31)).unwrap_or(l.sold);
            let e = self.blocked.entry(l.group).or_insert(safe);
            *e = (*e).max(safe);
        }
        self.year = tax::year_to_date(&book, policy, today, currency, &self.rates);
        Ok(self)
    }
}

/// The stored sets, or the one of `account`; an error says how to set one when there is none.
pub(super) fn stored(s: &Session, account: Option<&str>) -> Result<Vec<TargetSet>> {
    let ledger = s.ledger()?;
    let account = ledger.account_filter(account)?;
    let sets = s.read(|st| Ok(st.target_sets()?))?;
    let sets: Vec<TargetSet> = match &account {
        Some(a) => sets
            .into_iter()
            .filter(|t| t.account.as_deref() == Some(a.as_str()))
            .collect(),
        None => sets,
    };
    if sets.is_empty() {
        return Err(bad(match account {
            Some(a) => format!(
                "no targets for account {a}: set them with folio targets set \"US stocks=60,US bonds=40\" --account {a}"
            ),
            None => "no targets yet: set them with folio targets set \"US stocks=60,International stocks=20,US bonds=20\"".to_string(),
        }));
    }
    Ok(sets)
}

/// `folio targets`: every stored set beside the current weights.
pub fn targets(s: &Session, p: &TargetsParams) -> Result<TargetsReport> {
    let sets = stored(s, p.account.as_deref())?;
    let b = base(s, None, p.as_of)?;
    let mut warnings = Vec::new();
    let mut views = Vec::new();
    for set in sets {
        let prepared = prepare(s, set, &b)?;
        views.push(prepared.view(Decimal::ZERO));
        for w in prepared.warnings {
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
    }
    Ok(TargetsReport {
        as_of: b.as_of,
        currency: b.currency.clone(),
        sets: views,
        warnings,
    })
}

/// The household's set, ready to be measured at `b`'s marks or live ones (None when no
/// household set is stored): what the Dashboard's allocation shows.
pub fn household(s: &Session, b: &Base) -> Result<Option<Prepared>> {
    let sets = s.read(|st| Ok(st.target_sets()?))?;
    match sets.into_iter().find(|t| t.account.is_none()) {
        Some(set) => Ok(Some(prepare(s, set, b)?)),
        None => Ok(None),
    }
}

/// Checks a mix and resolves its names: classes to their listed spelling, symbols to
/// upper case (held or listed ones only), "Cash" in either.
fn check(s: &Session, kind: TargetKind, text: &str) -> Result<Vec<(String, Decimal)>> {
    let pairs =
        crate::domain::weights::parse_pairs(text).map_err(|e| bad(format!("targets {e}")))?;
    let securities = &s.config().securities;
    let ledger = s.ledger()?;
    let mut out: Vec<(String, Decimal)> = Vec::with_capacity(pairs.len());
    for (name, weight) in pairs {
        if weight < Decimal::ZERO {
            return Err(bad(format!(
                "target {name}={weight}: a weight cannot be negative; use 0 or more"
            )));
        }
        let resolved = if name.eq_ignore_ascii_case(CASH) {
            CASH.to_string()
        } else {
            match kind {
                TargetKind::Class => securities.resolve_class(&name).map_err(bad)?,
                TargetKind::Symbol => {
                    let sym =
                        parse_symbol(&name).map_err(|e| bad(format!("target {name}: {e}")))?;
                    let held = ledger.book.positions().iter().any(|p| p.symbol == sym);
                    if !held && securities.get(&sym).is_none() {
                        return Err(bad(format!(
                            "unknown symbol {sym}: it is neither held nor listed in the securities table; check the spelling, or add it to a securities.toml beside your config"
                        )));
                    }
                    sym
                }
            }
        };
        if out.iter().any(|(n, _)| *n == resolved) {
            return Err(bad(format!(
                "targets: {resolved} is given twice; give each name once"
            )));
        }
        out.push((resolved, weight));
    }
    let sum: Decimal = out.iter().map(|(_, w)| *w).sum();
    if sum != Decimal::ONE_HUNDRED {
        return Err(bad(format!(
            "targets sum to {}, not 100: {}; adjust them so they add up to 100",
            sum.normalize(),
            out.iter()
                .map(|(n, w)| format!("{n}={}", w.normalize()))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(out)
}

/// `folio targets set`: checks and stores a set (replacing the scope's), then reports it.
pub fn set_targets(s: &Session, p: &SetTargetsParams) -> Result<TargetsReport> {
    let kind: TargetKind = match p.by.as_deref() {
        Some(b) => b.parse().map_err(|e| bad(format!("by: {e}")))?,
        None => TargetKind::Class,
    };
    for (what, v) in [("band points", p.band_points), ("band pct", p.band_pct)] {
        if let Some(v) = v
            && !(Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&v)
        {
            return Err(bad(format!("{what} {v}: use 0 to 100")));
        }
    }
    let account = s.ledger()?.account_filter(p.account.as_deref())?;
    let weights = check(s, kind, &p.weights)?;
    let set = TargetSet {
        account: account.clone(),
        kind,
        weights,
        band_points: p.band_points,
        band_pct: p.band_pct,
    };
    s.write("set targets", |st| Ok(st.set_targets(&set)?))?;
    targets(
        s,
        &TargetsParams {
            account,
            as_of: None,
        },
    )
}

/// `folio targets clear`: removes a scope's set; false when there was none.
pub fn clear_targets(s: &Session, account: Option<&str>) -> Result<bool> {
    let account = s.ledger()?.account_filter(account)?;
    s.write("clear targets", |st| {
        Ok(st.clear_targets(account.as_deref())?)
    })
}
