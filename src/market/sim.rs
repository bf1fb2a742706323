//! A seeded simulator of daily closes with realistic drift, volatility and correlation.
//!
//! Each security's daily log return is a factor model: shared factors (broad market, regions,
//! bonds...) with their own volatilities, the security's loadings on them, and an idiosyncratic
//! part. Securities with the same loadings and a small idiosyncratic volatility (two funds on
//! the same asset class) move almost together; different asset classes move apart. Scripted
//! "episodes" bend a factor's drift over a window (a bear market, a bond sell-off). Pure: the
//! same spec and seed always give the same prices.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Weekday};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Distribution, StandardNormal};
use rust_decimal::Decimal;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub seed: u64,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub factors: Vec<Factor>,
    pub securities: Vec<Security>,
    #[serde(default)]
    pub episodes: Vec<Episode>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Factor {
    pub name: String,
    /// Annualised volatility.
    pub vol: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Security {
    pub symbol: String,
    pub start_price: f64,
    /// Expected annual price return (dividends excluded).
    pub drift: f64,
    /// Loadings on the factors, by factor name.
    pub loadings: BTreeMap<String, f64>,
    /// Annualised idiosyncratic volatility.
    pub idio_vol: f64,
    /// Annual dividend yield, paid quarterly.
    #[serde(default)]
    pub dividend_yield: f64,
    /// Draw this security's own noise from a stream of this seed instead of the shared one, so
    /// that adding it leaves every other security's prices as they were.
    #[serde(default)]
    pub seed: Option<u64>,
}

/// A factor's extra log return, spread evenly over a window.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Episode {
    pub factor: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Total extra simple return over the window, e.g. -0.2.
    pub total: f64,
}

/// Weekdays from `start` to `end`, without New Year's Day, Independence Day and Christmas.
pub fn trading_days(start: NaiveDate, end: NaiveDate) -> Vec<NaiveDate> {
    start
        .iter_days()
        .take_while(|d| *d <= end)
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .filter(|d| !matches!((d.month(), d.day()), (1, 1) | (7, 4) | (12, 25)))
        .collect()
}

/// Simulated closes per symbol, one per trading day, rounded to cents.
pub fn simulate(spec: &Spec) -> Result<BTreeMap<String, Vec<(NaiveDate, Decimal)>>, String> {
    let days = trading_days(spec.start, spec.end);
    let factor_index: BTreeMap<&str, usize> = spec
        .factors
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.as_str(), i))
        .collect();
    for s in &spec.securities {
        if let Some(name) = s
            .loadings
            .keys()
            .find(|k| !factor_index.contains_key(k.as_str()))
        {
            return Err(format!("{} loads on unknown factor '{name}'", s.symbol));
        }
    }
    for e in &spec.episodes {
        if !factor_index.contains_key(e.factor.as_str()) {
            return Err(format!("an episode names unknown factor '{}'", e.factor));
        }
    }
    let dt: f64 = 1.0 / 252.0;
    let episode_days: Vec<f64> = spec
        .episodes
        .iter()
        .map(|e| {
            days.iter()
                .filter(|d| **d >= e.from && **d <= e.to)
                .count()
                .max(1) as f64
        })
        .collect();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(spec.seed);
    let mut level: Vec<f64> = spec.securities.iter().map(|s| s.start_price.ln()).collect();
    let mut own: Vec<Option<Xoshiro256PlusPlus>> = spec
        .securities
        .iter()
        .map(|s| s.seed.map(Xoshiro256PlusPlus::seed_from_u64))
        .collect();
    let mut out: BTreeMap<String, Vec<(NaiveDate, Decimal)>> = BTreeMap::new();
    for (i, day) in days.iter().enumerate() {
        let shocks: Vec<f64> = spec
            .factors
            .iter()
            .map(|_| StandardNormal.sample(&mut rng))
            .collect();
        let mut factor_move: Vec<f64> = spec
            .factors
            .iter()
            .zip(&shocks)
            .map(|(f, z): (&Factor, &f64)| f.vol * dt.sqrt() * z)
            .collect();
        for (e, n) in spec.episodes.iter().zip(&episode_days) {
            if *day >= e.from && *day <= e.to {
                factor_move[factor_index[e.factor.as_str()]] += (1.0 + e.total).ln() / n;
            }
        }
        for (k, s) in spec.securities.iter().enumerate() {
            let z: f64 = match &mut own[k] {
                Some(r) => StandardNormal.sample(r),
                None => StandardNormal.sample(&mut rng),
            };
            if i > 0 {
                let var: f64 = s
                    .loadings
                    .iter()
                    .map(|(f, b)| (b * spec.factors[factor_index[f.as_str()]].vol).powi(2))
                    .sum::<f64>()
                    + s.idio_vol.powi(2);
                let common: f64 = s
                    .loadings
                    .iter()
                    .map(|(f, b)| b * factor_move[factor_index[f.as_str()]])
                    .sum();
                level[k] += (s.drift - 0.5 * var) * dt + common + s.idio_vol * dt.sqrt() * z;
            }
            let close = Decimal::from_f64_retain(level[k].exp())
                .unwrap_or(Decimal::ONE)
                .round_dp(2)
                .max(Decimal::new(1, 2));
            out.entry(s.symbol.clone()).or_default().push((*day, close));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Spec {
        toml::from_str(include_str!("../../assets/demo/market.toml")).unwrap()
    }

    fn log_returns(p: &[(NaiveDate, Decimal)]) -> Vec<f64> {
        use rust_decimal::prelude::ToPrimitive;
        p.windows(2)
            .map(|w| (w[1].1.to_f64().unwrap() / w[0].1.to_f64().unwrap()).ln())
            .collect()
    }

    fn corr(a: &[f64], b: &[f64]) -> f64 {
        let n = a.len() as f64;
        let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
        let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
        let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
        let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
        cov / (va * vb).sqrt()
    }

    #[test]
    fn the_same_seed_gives_the_same_prices() {
        assert_eq!(simulate(&spec()).unwrap(), simulate(&spec()).unwrap());
    }

    #[test]
    fn the_demo_market_is_realistic() {
        let s = spec();
        let prices = simulate(&s).unwrap();
        let r = |sym: &str| log_returns(&prices[sym]);
        // Funds of one asset class that track different indexes move almost together...
        assert!(corr(&r("VTI"), &r("ITOT")) > 0.95);
        assert!(corr(&r("VWO"), &r("IEMG")) > 0.9);
        // ...US stocks and bonds do not.
        assert!(corr(&r("VTI"), &r("BND")).abs() < 0.4);
        // Annualised volatility in a realistic band.
        let vol = |sym: &str| {
            let x = r(sym);
            let m = x.iter().sum::<f64>() / x.len() as f64;
            (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64 * 252.0).sqrt()
        };
        assert!((0.12..0.25).contains(&vol("VTI")), "VTI vol {}", vol("VTI"));
        assert!((0.03..0.10).contains(&vol("BND")), "BND vol {}", vol("BND"));
        assert!(prices.len() >= 12 && prices["VTI"].len() > 5 * 250);
    }
}
