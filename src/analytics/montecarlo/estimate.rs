//! The plan's assets from the user's holdings: weights from market values; expected returns,
//! volatilities and correlations from daily closes on common dates, shrunk toward priors
//! (means toward the asset class's default, correlations toward their average) and capped.

use chrono::NaiveDate;
use serde::Serialize;

use super::{Asset, Column};

/// Defaults when there are no flags and no price history (nominal, yearly).
pub const STOCKS: (f64, f64) = (0.085, 0.17);
pub const BONDS: (f64, f64) = (0.045, 0.06);
pub const CASH: (f64, f64) = (0.03, 0.01);
/// Correlation of stocks and bonds, and of cash with either.
pub const STOCKS_BONDS_CORR: f64 = 0.1;

/// Expected returns are kept within these bounds after shrinkage, volatilities too.
pub const MU_CAP: (f64, f64) = (-0.02, 0.15);
pub const SIGMA_CAP: (f64, f64) = (0.005, 0.8);
/// Fewer common days than this: the priors are used instead of the history.
pub const MIN_DAYS: usize = 120;
/// A day's log return beyond this (a 30% fall or a 42% rise) is taken for an unrecorded split
/// or a bad price and left out of the statistics.
pub const JUMP: f64 = 0.35;

/// One holding (all accounts together): its value and its daily closes, oldest first.
pub struct Holding<'a> {
    pub symbol: &'a str,
    pub class: &'a str,
    pub value: f64,
    /// Daily closes, oldest first: prices only (no distributions).
    pub closes: &'a [(NaiveDate, f64)],
    /// Distributions of the last 12 months over the value: added to the price return.
    pub income_yield: f64,
}

/// The estimates and how they were reached.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Estimate {
    pub assets: Vec<Asset>,
    pub corr: Vec<f64>,
    /// Common trading days the statistics come from (0: priors only).
    pub days: usize,
    pub shrinkage: f64,
}

/// The history column (and prior) for an asset class.
pub fn column_of(class: &str) -> Column {
    let c = class.to_ascii_lowercase();
    if c.contains("bond") || c.contains("fixed income") || c.contains("treasur") {
        Column::Bonds
    } else if c.contains("cash") || c.contains("money market") {
        Column::Cash
    } else {
        Column::Stocks
    }
}

pub fn prior(column: Column) -> (f64, f64) {
    match column {
        Column::Stocks => STOCKS,
        Column::Bonds => BONDS,
        Column::Cash => CASH,
    }
}

/// The prior correlation of two columns.
pub fn prior_corr(a: Column, b: Column) -> f64 {
    match (a, b) {
        _ if a == b && a != Column::Cash => 0.9,
        _ if a == b => 1.0,
        (Column::Stocks, Column::Bonds) | (Column::Bonds, Column::Stocks) => STOCKS_BONDS_CORR,
        _ => 0.0,
    }
}

/// The prior correlation matrix of these assets (row-major), from their columns.
pub fn prior_matrix(assets: &[Asset]) -> Vec<f64> {
    let n = assets.len();
    (0..n * n)
        .map(|k| {
            let (i, j) = (k / n, k % n);
            if i == j {
                1.0
            } else {
                prior_corr(assets[i].column, assets[j].column)
            }
        })
        .collect()
}

/// Estimates from holdings (value > 0) and cash (an asset of its own when above 0).
/// `shrinkage` (0..=1) is the weight of the priors.
pub fn from_holdings(holdings: &[Holding], cash: f64, shrinkage: f64) -> Estimate {
    let total: f64 = holdings.iter().map(|h| h.value).sum::<f64>() + cash.max(0.0);
    // Daily log returns on the dates every holding has.
    let mut dates: Vec<NaiveDate> = holdings
        .first()
        .map(|h| h.closes.iter().map(|c| c.0).collect())
        .unwrap_or_default();
    for h in &holdings[1.min(holdings.len())..] {
        let mine: std::collections::HashSet<NaiveDate> = h.closes.iter().map(|c| c.0).collect();
        dates.retain(|d| mine.contains(d));
    }
    let returns: Vec<Vec<f64>> = holdings
        .iter()
        .map(|h| {
            let by_date: std::collections::HashMap<NaiveDate, f64> =
                h.closes.iter().copied().collect();
            let px: Vec<f64> = dates.iter().map(|d| by_date[d]).collect();
            px.windows(2)
                .map(|w| {
                    let r = if w[0] > 0.0 && w[1] > 0.0 {
                        (w[1] / w[0]).ln()
                    } else {
                        0.0
                    };
                    if r.abs() > JUMP { 0.0 } else { r }
                })
                .collect()
        })
        .collect();
    let days = returns.first().map_or(0, Vec::len);
    let enough = days >= MIN_DAYS;
    let n = holdings.len();
    let columns: Vec<Column> = holdings.iter().map(|h| column_of(h.class)).collect();
    let means: Vec<f64> = returns
        .iter()
        .map(|r| r.iter().sum::<f64>() / r.len().max(1) as f64)
        .collect();
    let mut cov = vec![0.0; n * n];
    if enough {
        for i in 0..n {
            for j in 0..=i {
                let c = returns[i]
                    .iter()
                    .zip(&returns[j])
                    .map(|(a, b)| (a - means[i]) * (b - means[j]))
                    .sum::<f64>()
                    / (days - 1) as f64;
                cov[i * n + j] = c;
                cov[j * n + i] = c;
            }
        }
    }
    let mut assets = Vec::with_capacity(n + 1);
    for (i, h) in holdings.iter().enumerate() {
        let (mu0, sigma0) = prior(columns[i]);
        let (mu, sigma) = if enough {
            let sigma_h = (cov[i * n + i] * 252.0).sqrt();
            let mu_h = means[i] * 252.0 + sigma_h * sigma_h / 2.0 + h.income_yield.clamp(0.0, 0.15);
            (
                shrinkage * mu0 + (1.0 - shrinkage) * mu_h,
                shrinkage * sigma0 + (1.0 - shrinkage) * sigma_h,
            )
        } else {
            (mu0, sigma0)
        };
        assets.push(Asset {
            name: h.symbol.to_string(),
            weight: h.value / total,
            mu: mu.clamp(MU_CAP.0, MU_CAP.1),
            sigma: sigma.clamp(SIGMA_CAP.0, SIGMA_CAP.1),
            column: columns[i],
        });
    }
    // Correlations: the sample's, shrunk toward their average (constant correlation).
    let mut corr = vec![0.0; n * n];
    let sample = |i: usize, j: usize| {
        let d = (cov[i * n + i] * cov[j * n + j]).sqrt();
        if d > 0.0 { cov[i * n + j] / d } else { 0.0 }
    };
    let pairs: Vec<f64> = (0..n)
        .flat_map(|i| (0..i).map(move |j| (i, j)))
        .map(|(i, j)| sample(i, j))
        .collect();
    let average = pairs.iter().sum::<f64>() / pairs.len().max(1) as f64;
    for i in 0..n {
        for j in 0..n {
            corr[i * n + j] = if i == j {
                1.0
            } else if enough {
                (shrinkage * average + (1.0 - shrinkage) * sample(i, j)).clamp(-0.99, 0.99)
            } else {
                prior_corr(columns[i], columns[j])
            };
        }
    }
    if cash > 0.0 {
        corr = with_cash_row(&corr, n);
        assets.push(Asset {
            name: "cash".into(),
            weight: cash / total,
            mu: CASH.0,
            sigma: CASH.1,
            column: Column::Cash,
        });
    }
    Estimate {
        assets,
        corr,
        days: if enough { days } else { 0 },
        shrinkage,
    }
}

/// The n x n matrix grown by an uncorrelated asset.
fn with_cash_row(corr: &[f64], n: usize) -> Vec<f64> {
    let m = n + 1;
    let mut out = vec![0.0; m * m];
    for i in 0..n {
        out[i * m..i * m + n].copy_from_slice(&corr[i * n..(i + 1) * n]);
    }
    out[m * m - 1] = 1.0;
    out
}

/// Holdings folded into the history columns (stocks, bonds, cash) for the history models:
/// weights by column, correlations from the priors.
pub fn by_column(assets: &[Asset]) -> (Vec<Asset>, Vec<f64>) {
    let mut out: Vec<Asset> = Vec::new();
    for col in [Column::Stocks, Column::Bonds, Column::Cash] {
        let weight: f64 = assets
            .iter()
            .filter(|a| a.column == col)
            .map(|a| a.weight)
            .sum();
        if weight > 0.0 {
            let (mu, sigma) = prior(col);
            let name = match col {
                Column::Stocks => "stocks",
                Column::Bonds => "bonds",
                Column::Cash => "cash",
            };
            out.push(Asset {
                name: name.into(),
                weight,
                mu,
                sigma,
                column: col,
            });
        }
    }
    let corr = prior_matrix(&out);
    (out, corr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(start: NaiveDate, daily: &[f64]) -> Vec<(NaiveDate, f64)> {
        let mut p = 100.0;
        let mut out = vec![(start, p)];
        for (k, r) in daily.iter().enumerate() {
            p *= r.exp();
            out.push((start + chrono::Days::new(k as u64 + 1), p));
        }
        out
    }

    #[test]
    fn statistics_come_from_common_days_and_are_shrunk() {
        let d0 = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        // A alternates +-1% (sigma_daily 1%), B the same, C the opposite.
        let a: Vec<f64> = (0..300)
            .map(|k| if k % 2 == 0 { 0.01 } else { -0.01 })
            .collect();
        let c: Vec<f64> = a.iter().map(|x| -x).collect();
        let (sa, sb, sc) = (series(d0, &a), series(d0, &a), series(d0, &c));
        let hs = [
            Holding {
                symbol: "A",
                class: "US equities",
                value: 600.0,
                closes: &sa,
                income_yield: 0.0,
            },
            Holding {
                symbol: "B",
                class: "US bonds",
                value: 300.0,
                closes: &sb,
                income_yield: 0.0,
            },
            Holding {
                symbol: "C",
                class: "US equities",
                value: 100.0,
                closes: &sc,
                income_yield: 0.0,
            },
        ];
        let e = from_holdings(&hs, 0.0, 0.0);
        assert_eq!(e.days, 300);
        assert!((e.assets[0].weight - 0.6).abs() < 1e-12);
        // Sample sigma sqrt(300/299) 1% a day, x sqrt(252).
        let sigma = (0.0001f64 * 300.0 / 299.0 * 252.0).sqrt();
        assert!(
            (e.assets[0].sigma - sigma).abs() < 1e-9,
            "{}",
            e.assets[0].sigma
        );
        assert!(
            (e.corr[1] - 0.99).abs() < 1e-9,
            "capped at 0.99: {}",
            e.corr[1]
        );
        assert!((e.corr[2] + 0.99).abs() < 1e-9);
        // Full shrinkage: the class priors, correlations at their average (1 - 1 - 1) / 3.
        let e = from_holdings(&hs, 0.0, 1.0);
        assert_eq!((e.assets[1].mu, e.assets[1].sigma), BONDS);
        assert!((e.corr[1] + 1.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn a_split_like_jump_is_left_out_and_income_adds_to_the_return() {
        let d0 = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        let mut daily: Vec<f64> = (0..300)
            .map(|k| if k % 2 == 0 { 0.01 } else { -0.01 })
            .collect();
        let clean = series(d0, &daily);
        daily[150] = (0.5f64).ln(); // a 2-for-1 split the prices were not adjusted for
        let split = series(d0, &daily);
        let one = |closes, income_yield| {
            from_holdings(
                &[Holding {
                    symbol: "A",
                    class: "US equities",
                    value: 1.0,
                    closes,
                    income_yield,
                }],
                0.0,
                0.0,
            )
            .assets[0]
                .clone()
        };
        let (a, b) = (one(&clean, 0.0), one(&split, 0.0));
        assert!(
            (a.sigma - b.sigma).abs() < 0.002,
            "{} vs {}",
            a.sigma,
            b.sigma
        );
        assert!((a.mu - b.mu).abs() < 0.02, "{} vs {}", a.mu, b.mu);
        let c = one(&clean, 0.03);
        assert!((c.mu - a.mu - 0.03).abs() < 1e-12);
    }

    #[test]
    fn a_short_history_uses_the_priors_and_cash_is_its_own_asset() {
        let d0 = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        let s = series(d0, &[0.01; 10]);
        let hs = [Holding {
            symbol: "A",
            class: "US equities",
            value: 750.0,
            closes: &s,
            income_yield: 0.0,
        }];
        let e = from_holdings(&hs, 250.0, 0.5);
        assert_eq!(e.days, 0);
        assert_eq!(e.assets.len(), 2);
        assert_eq!((e.assets[0].mu, e.assets[0].sigma), STOCKS);
        assert_eq!(e.assets[1].name, "cash");
        assert!((e.assets[1].weight - 0.25).abs() < 1e-12);
        assert_eq!(e.corr, vec![1.0, 0.0, 0.0, 1.0]);
        let (cols, corr) = by_column(&e.assets);
        assert_eq!(cols.len(), 2);
        assert_eq!(corr.len(), 4);
    }
}
