//! "What mixes of my holdings were efficient?": the long-only mean-variance frontier of the held
//! symbols (or asset classes) over a window, with the minimum-variance and maximum-Sharpe
//! portfolios and where today's mix stands against the curve. `folio frontier`.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::analysis::float_closes;
use super::holdings::{base, by_symbol};
use super::performance::Loaded;
use super::{AppError, Result, Session, bad};
use crate::analytics::frontier::{self as ef, FrontierError, Inputs, Portfolio};
use crate::domain::Window;

/// The window when none is asked for.
pub const DEFAULT_WINDOW: &str = "5y";
/// Points on the curve when none is asked for.
pub const DEFAULT_POINTS: usize = 50;
/// The most points a curve may have.
pub const MAX_POINTS: usize = 200;
/// The fewest days of common history a frontier is estimated from.
pub const MIN_DAYS: usize = 60;

/// What the frontier is a mix of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum By {
    /// Each held symbol.
    #[default]
    Symbol,
    /// Each asset class, its held symbols mixed at today's weights.
    Class,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FrontierParams {
    /// How far back the returns are measured: 1y, 3y, 5y, 90d... or all. Default: 5y.
    #[serde(default)]
    pub window: Option<String>,
    /// The least weight of every asset, a fraction from 0 to 1 (0.05 is 5%). Default: 0.
    #[serde(default)]
    pub min_weight: Option<f64>,
    /// The greatest weight of every asset, a fraction from 0 to 1 (0.6 is 60%). Default: 1
    /// (no limit).
    #[serde(default)]
    pub max_weight: Option<f64>,
    /// The assets: "symbol" (each held symbol; the default) or "class" (each asset class, its
    /// held symbols mixed at today's weights).
    #[serde(default)]
    pub by: By,
    /// How many portfolios on the curve, from the minimum-variance one to the maximum-return
    /// one, 2 to 200. Default: 50.
    #[serde(default)]
    pub points: Option<usize>,
    /// The window's last day (YYYY-MM-DD); the holdings and their weights are those at the end
    /// of it. Default: the newest close of the holdings.
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
}

/// One asset of the frontier and what history says of it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Asset {
    /// The symbol, or the asset class.
    pub name: String,
    /// The held symbols it stands for (one for a symbol).
    pub symbols: Vec<String>,
    /// Its share of the assets' value today (a fraction; cash is left out).
    pub weight: f64,
    /// Its annualised mean daily return over the window (mean x 252).
    pub expected_return: f64,
    /// Its annualised volatility (square root of the shrunk covariance's diagonal x 252).
    pub volatility: f64,
}

/// An asset's weight in a mix.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Weight {
    pub name: String,
    /// A fraction; the weights of a mix sum to 1.
    pub weight: f64,
}

/// A mix of the assets and what history says it gives.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Mix {
    /// Expected annual return (a fraction).
    pub expected_return: f64,
    /// Annual volatility (a fraction).
    pub volatility: f64,
    /// (expected return - risk-free rate) / volatility.
    pub sharpe: Option<f64>,
    /// One per asset, in the order of `assets`.
    pub weights: Vec<Weight>,
}

/// Where today's mix stands against the curve.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Position {
    /// Today's mix of the assets (its weights may lie outside the bounds asked for).
    pub mix: Mix,
    /// The best expected return at no more than today's volatility (null: today's mix is less
    /// volatile than any mix within the bounds).
    pub best_return_at_same_volatility: Option<Mix>,
    /// The least volatility for at least today's expected return (null: no mix within the
    /// bounds is expected to return as much).
    pub least_volatility_at_same_return: Option<Mix>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct FrontierReport {
    /// The currency of the holdings included (positions in other currencies are left out).
    pub currency: String,
    pub by: By,
    /// The window as asked for (5y, 1y, all...).
    pub window: String,
    /// The first day of common price history used (the base of the first return).
    pub from: NaiveDate,
    /// The last day used.
    pub to: NaiveDate,
    /// Daily returns used: the days every asset has a close.
    pub days: usize,
    /// The annual risk-free rate of the Sharpe ratios ([risk] risk_free_rate).
    pub risk_free_rate: f64,
    /// The least weight of every asset.
    pub min_weight: f64,
    /// The greatest weight of every asset.
    pub max_weight: f64,
    pub assets: Vec<Asset>,
    /// The least volatile mix within the bounds: the curve's first point.
    pub min_variance: Mix,
    /// The mix with the highest Sharpe ratio (null when no mix beats the risk-free rate;
    /// max_sharpe_unavailable says so).
    pub max_sharpe: Option<Mix>,
    pub max_sharpe_unavailable: Option<String>,
    /// The highest-return mix within the bounds: the curve's last point.
    pub max_return: Mix,
    /// The efficient frontier: mixes evenly spaced in expected return from min_variance to
    /// max_return, each the least volatile at its return.
    pub points: Vec<Mix>,
    /// Today's mix against the curve.
    pub current: Position,
    pub notes: Vec<String>,
    /// That the frontier is estimated from history and unstable, holdings left out, and the
    /// transactions the ledger cannot apply.
    pub warnings: Vec<String>,
}

/// The warning every frontier carries.
pub fn unstable(days: usize, from: NaiveDate, to: NaiveDate) -> String {
    format!(
        "the frontier is estimated from history ({days} daily returns from {from} to {to}): past mean returns say little about future ones, and small changes in them move the optimal weights a lot; read it as a map of trade-offs, not a forecast or advice"
    )
}

fn share(x: f64) -> String {
    crate::format::percent_text(x)
}

/// `folio frontier`: the efficient frontier of the holdings over the window.
pub fn frontier(s: &Session, p: &FrontierParams) -> Result<FrontierReport> {
    let window_text = p.window.as_deref().unwrap_or(DEFAULT_WINDOW);
    let window: Window = window_text
        .parse()
        .map_err(|e| bad(format!("window: {e}")))?;
    let points = p.points.unwrap_or(DEFAULT_POINTS);
    if !(2..=MAX_POINTS).contains(&points) {
        return Err(bad(format!(
            "points {points}: ask for 2 to {MAX_POINTS} points on the curve"
        )));
    }
    let lo = p.min_weight.unwrap_or(0.0);
    let hi = p.max_weight.unwrap_or(1.0);
    for (name, v) in [("min weight", lo), ("max weight", hi)] {
        if !(0.0..=1.0).contains(&v) {
            return Err(bad(format!(
                "{name} {v} ({}) is outside 0% to 100%: the frontier is long only; write a fraction (0.6) or a percent (60%)",
                share(v)
            )));
        }
    }
    if lo > hi {
        return Err(bad(format!(
            "min weight {} is above max weight {}: no mix fits; give a min weight at most the max weight",
            share(lo),
            share(hi)
        )));
    }
    let as_of = super::day(p.as_of, "as of")?;
    let b = base(s, None, as_of)?;
    let currency = s.currency().to_string();
    let securities = &s.config().securities;
    let mut warnings = Vec::new();

    // Today's held symbols and their values.
    let mut held: Vec<(String, f64)> = Vec::new();
    let mut elsewhere: Vec<String> = Vec::new();
    for pos in by_symbol(&b.positions) {
        if pos.currency != currency {
            elsewhere.push(format!("{} ({})", pos.symbol, pos.currency));
            continue;
        }
        let Some(mark) = b.marks.get(&pos.symbol) else {
            warnings.push(format!(
                "{} has no price on or before {}: left out (import its prices with folio prices import FILE)",
                pos.symbol, b.as_of
            ));
            continue;
        };
        let value = (pos.quantity * mark.price).to_f64().unwrap_or(0.0);
        if value > 0.0 {
            held.push((pos.symbol.clone(), value));
        } else {
            warnings.push(format!(
                "{} is worth {value:.2} {currency}: a long-only frontier leaves it out",
                pos.symbol
            ));
        }
    }
    if !elsewhere.is_empty() {
        warnings.push(format!(
            "positions in other currencies are left out (the frontier is in {currency}): {}",
            elsewhere.join(", ")
        ));
    }
    if held.is_empty() {
        return Err(bad(format!(
            "no open positions in {currency} with a price on {}: there is nothing to build a frontier from (import transactions with folio import FILE)",
            b.as_of
        )));
    }
    held.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let total: f64 = held.iter().map(|(_, v)| v).sum();

    // The assets: each symbol, or each class with its symbols' values.
    let mut groups: Vec<(String, Vec<(String, f64)>)> = Vec::new();
    match p.by {
        By::Symbol => {
            for (sym, v) in &held {
                groups.push((sym.clone(), vec![(sym.clone(), *v)]));
            }
        }
        By::Class => {
            let mut by_class: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
            for (sym, v) in &held {
                by_class
                    .entry(securities.class_of(sym).to_string())
                    .or_default()
                    .push((sym.clone(), *v));
            }
            groups = by_class.into_iter().collect();
            groups.sort_by(|a, b| {
                let va: f64 = a.1.iter().map(|x| x.1).sum();
                let vb: f64 = b.1.iter().map(|x| x.1).sum();
                vb.total_cmp(&va).then(a.0.cmp(&b.0))
            });
        }
    }
    let n = groups.len();
    if n < 2 {
        let what = match p.by {
            By::Symbol => format!("one holding, {}", groups[0].0),
            By::Class => format!("one asset class, {} (ask by symbol instead)", groups[0].0),
        };
        return Err(bad(format!(
            "a frontier needs at least two assets to mix, and the holdings on {} are {what}",
            b.as_of
        )));
    }
    let names: Vec<String> = groups.iter().map(|g| g.0.clone()).collect();
    let nf = n as f64;
    if lo * nf > 1.0 + 1e-12 {
        return Err(bad(format!(
            "min weight {} x {n} assets is {}, more than 100%: no mix fits; give a min weight of at most {}",
            share(lo),
            share(lo * nf),
            share((1.0 / nf * 1e4).floor() / 1e4)
        )));
    }
    if hi * nf < 1.0 - 1e-12 {
        return Err(bad(format!(
            "max weight {} x {n} assets is {}, less than 100%: no mix fits; give a max weight of at least {}",
            share(hi),
            share(hi * nf),
            share((1.0 / nf * 1e4).ceil() / 1e4)
        )));
    }

    // The window and the closes.
    let loaded = Loaded::load(s)?;
    let today = s.today();
    let mut notes = Vec::new();
    let to = match as_of {
        Some(d) => d,
        None => {
            let newest = held
                .iter()
                .filter_map(|(sym, _)| {
                    loaded
                        .closes
                        .get(sym)?
                        .iter()
                        .rev()
                        .find(|(d, _)| *d <= today)
                        .map(|(d, _)| *d)
                })
                .max()
                .unwrap_or(today);
            if newest < today {
                notes.push(format!(
                    "the window ends on {newest}, the newest close of the holdings (ask for another day with as_of)"
                ));
            }
            newest
        }
    };
    let start = window.start(to);
    let floats = float_closes(&loaded.closes);
    let in_window = |sym: &str| -> HashMap<NaiveDate, f64> {
        floats
            .get(sym)
            .map(|v| {
                v.iter()
                    .filter(|(d, c)| *d <= to && start.is_none_or(|f| *d >= f) && *c > 0.0)
                    .copied()
                    .collect()
            })
            .unwrap_or_default()
    };
    let series: Vec<(String, HashMap<NaiveDate, f64>)> = held
        .iter()
        .map(|(sym, _)| (sym.clone(), in_window(sym)))
        .collect();
    let mut dates: Vec<NaiveDate> = series[0].1.keys().copied().collect();
    dates.retain(|d| series.iter().all(|(_, m)| m.contains_key(d)));
    dates.sort_unstable();
    let days = dates.len().saturating_sub(1);
    let need = MIN_DAYS.max(n + 2);
    if days < need {
        // The holding that cuts the history short, when one does.
        let most = series.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
        let shortest = series
            .iter()
            .min_by_key(|(_, m)| m.len())
            .filter(|(_, m)| m.len() < most)
            .map(|(sym, m)| match m.keys().min() {
                Some(first) => format!(
                    " ({sym} has {} closes in the window, from {first})",
                    m.len()
                ),
                None => format!(" ({sym} has no closes in the window)"),
            })
            .unwrap_or_default();
        let symbols: Vec<&str> = held.iter().map(|(s, _)| s.as_str()).collect();
        return Err(bad(format!(
            "window {window}: only {days} days of common price history for {}{shortest}; the frontier needs at least {need}: use a longer window or import prices (folio prices import FILE)",
            symbols.join(", ")
        )));
    }

    // Daily simple returns on the common days; a class's is its symbols' mixed at today's
    // weights.
    let index: HashMap<&str, usize> = series
        .iter()
        .enumerate()
        .map(|(i, (s, _))| (s.as_str(), i))
        .collect();
    let rows: Vec<Vec<f64>> = dates
        .windows(2)
        .map(|w| {
            let r: Vec<f64> = series
                .iter()
                .map(|(_, m)| m[&w[1]] / m[&w[0]] - 1.0)
                .collect();
            groups
                .iter()
                .map(|(_, members)| {
                    let value: f64 = members.iter().map(|x| x.1).sum();
                    members
                        .iter()
                        .map(|(sym, v)| v / value * r[index[sym.as_str()]])
                        .sum()
                })
                .collect()
        })
        .collect();
    let refs: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
    let (means, cov) = ef::estimate(&refs);
    let current: Vec<f64> = groups
        .iter()
        .map(|(_, m)| m.iter().map(|x| x.1).sum::<f64>() / total)
        .collect();
    let rf = s.config().risk.risk_free_rate;
    let (lower, upper) = (vec![lo; n], vec![hi; n]);
    let inp = Inputs {
        means: &means,
        cov: &cov,
        lower: &lower,
        upper: &upper,
        risk_free: rf,
    };
    let curve = ef::frontier(&inp, points).map_err(solver_error)?;
    let placed = ef::place(&inp, &curve, &current).map_err(solver_error)?;

    let mix = |p: &Portfolio| Mix {
        expected_return: p.ret,
        volatility: p.volatility,
        sharpe: p.sharpe,
        weights: names
            .iter()
            .zip(&p.weights)
            .map(|(name, w)| Weight {
                name: name.clone(),
                weight: *w,
            })
            .collect(),
    };
    let assets = groups
        .iter()
        .enumerate()
        .map(|(i, (name, members))| Asset {
            name: name.clone(),
            symbols: members.iter().map(|m| m.0.clone()).collect(),
            weight: current[i],
            expected_return: means[i],
            volatility: cov[(i, i)].max(0.0).sqrt(),
        })
        .collect();
    let (from, last) = (dates[0], dates[dates.len() - 1]);
    let mut all_warnings = vec![unstable(days, from, last)];
    all_warnings.append(&mut warnings);
    all_warnings.extend(loaded.ledger.warnings());
    let (max_sharpe, max_sharpe_unavailable) = match &curve.max_sharpe {
        Ok(p) => (Some(mix(p)), None),
        Err(why) => (None, Some(why.clone())),
    };
    Ok(FrontierReport {
        currency,
        by: p.by,
        window: window.to_string(),
        from,
        to: last,
        days,
        risk_free_rate: rf,
        min_weight: lo,
        max_weight: hi,
        assets,
        min_variance: mix(&curve.min_variance),
        max_sharpe,
        max_sharpe_unavailable,
        max_return: mix(&curve.max_return),
        points: curve.points.iter().map(mix).collect(),
        current: Position {
            mix: mix(&placed.current),
            best_return_at_same_volatility: placed.best_return_at_volatility.as_ref().map(mix),
            least_volatility_at_same_return: placed.least_volatility_at_return.as_ref().map(mix),
        },
        notes,
        warnings: all_warnings,
    })
}

/// Bounds no mix fits are the user's to change (exit 2); a solver that gives up is a failure.
fn solver_error(e: FrontierError) -> AppError {
    match e {
        FrontierError::Input(m) | FrontierError::Infeasible(m) => bad(m),
        e @ FrontierError::Solver { .. } => AppError::failed(e, "building the efficient frontier"),
    }
}
