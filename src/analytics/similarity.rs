//! How closely one security tracks another over their common price history: the basis for
//! ranking harvest replacements. Pure; floats, as statistics.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

/// Fewer common daily returns than this and no score is given.
pub const MIN_OBSERVATIONS: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Similarity {
    /// Correlation of daily returns.
    pub correlation: f64,
    /// Volatility of the candidate over that of the original.
    pub volatility_ratio: f64,
    /// The candidate's beta to the original.
    pub beta: f64,
    /// 0.5 x correlation + 0.25 x min(ratio, 1/ratio) + 0.25 x max(0, 1 - |beta - 1|): 1 for a
    /// perfect twin, lower the more the candidate's moves differ in direction or size.
    pub score: f64,
    /// The daily returns compared.
    pub observations: usize,
}

/// A simple return from one close to the next: (day of the first close, day of the second,
/// return).
pub type Return = (NaiveDate, NaiveDate, f64);

/// Simple returns between consecutive closes of a series (ascending dates) ending on or after
/// `since`.
pub fn returns(closes: &[(NaiveDate, Decimal)], since: NaiveDate) -> Vec<Return> {
    closes
        .windows(2)
        .filter(|w| w[1].0 >= since)
        .filter_map(|w| {
            let (a, b) = (w[0].1.to_f64()?, w[1].1.to_f64()?);
            (a > 0.0).then(|| (w[0].0, w[1].0, b / a - 1.0))
        })
        .collect()
}

/// Compares `candidate` with `original` over the periods both measure alike (same first and
/// last day: a series missing a close does not pair its two-day return with a one-day one).
/// None with too few common periods or a flat series.
pub fn compare(original: &[Return], candidate: &[Return]) -> Option<Similarity> {
    let (mut i, mut j) = (0, 0);
    let (mut n, mut sa, mut sb, mut saa, mut sbb, mut sab) = (0usize, 0.0, 0.0, 0.0, 0.0, 0.0);
    while i < original.len() && j < candidate.len() {
        match original[i].1.cmp(&candidate[j].1) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal if original[i].0 != candidate[j].0 => {
                i += 1;
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                let (a, b) = (original[i].2, candidate[j].2);
                n += 1;
                sa += a;
                sb += b;
                saa += a * a;
                sbb += b * b;
                sab += a * b;
                i += 1;
                j += 1;
            }
        }
    }
    if n < MIN_OBSERVATIONS {
        return None;
    }
    let nf = n as f64;
    let var_a = (saa - sa * sa / nf) / (nf - 1.0);
    let var_b = (sbb - sb * sb / nf) / (nf - 1.0);
    let cov = (sab - sa * sb / nf) / (nf - 1.0);
    if !(var_a > 1e-18 && var_b > 1e-18) {
        return None;
    }
    let correlation = (cov / (var_a * var_b).sqrt()).clamp(-1.0, 1.0);
    let volatility_ratio = (var_b / var_a).sqrt();
    let beta = cov / var_a;
    let score = 0.5 * correlation
        + 0.25 * volatility_ratio.min(1.0 / volatility_ratio)
        + 0.25 * (1.0 - (beta - 1.0).abs()).max(0.0);
    Some(Similarity {
        correlation,
        volatility_ratio,
        beta,
        score,
        observations: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    fn series(values: &[f64]) -> Vec<Return> {
        let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let day = |i: usize| start + chrono::Days::new(i as u64);
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (day(i), day(i + 1), *v))
            .collect()
    }

    #[test]
    fn a_twin_scores_one_and_a_scaled_copy_less() {
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(7);
        let a: Vec<f64> = (0..250).map(|_| rng.random_range(-0.02..0.02)).collect();
        let twin = compare(&series(&a), &series(&a)).unwrap();
        assert!((twin.correlation - 1.0).abs() < 1e-12 && (twin.score - 1.0).abs() < 1e-12);
        let doubled: Vec<f64> = a.iter().map(|x| 2.0 * x).collect();
        let s = compare(&series(&a), &series(&doubled)).unwrap();
        assert!((s.beta - 2.0).abs() < 1e-9 && (s.volatility_ratio - 2.0).abs() < 1e-9);
        // 0.5 x 1 + 0.25 x 0.5 + 0.25 x 0 = 0.625
        assert!((s.score - 0.625).abs() < 1e-9, "{s:?}");
        let noise: Vec<f64> = (0..250).map(|_| rng.random_range(-0.02..0.02)).collect();
        let unrelated = compare(&series(&a), &series(&noise)).unwrap();
        assert!(unrelated.correlation.abs() < 0.2 && unrelated.score < s.score);
    }

    #[test]
    fn too_little_overlap_or_a_flat_series_gives_no_score() {
        assert!(compare(&series(&[0.01; 10]), &series(&[0.01; 10])).is_none());
        let flat = vec![0.0; 100];
        let moving: Vec<f64> = (0..100)
            .map(|i| if i % 2 == 0 { 0.01 } else { -0.01 })
            .collect();
        assert!(compare(&series(&flat), &series(&moving)).is_none());
    }

    #[test]
    fn returns_are_simple_and_dated_by_their_last_day() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let closes = vec![
            (d("2025-01-02"), Decimal::from(100)),
            (d("2025-01-03"), Decimal::from(110)),
            (d("2025-01-06"), Decimal::from(99)),
        ];
        let r = returns(&closes, d("2025-01-01"));
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].0, r[0].1), (d("2025-01-02"), d("2025-01-03")));
        assert!((r[0].2 - 0.1).abs() < 1e-12 && (r[1].2 + 0.1).abs() < 1e-12);
    }

    #[test]
    fn a_missing_close_is_not_paired_with_a_one_day_return() {
        // The same series twice, the candidate without one close: its return over the gap
        // spans two days and is left out rather than compared with a one-day return.
        let d0 = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let closes = |skip: Option<u64>| -> Vec<(NaiveDate, Decimal)> {
            (0..40u64)
                .filter(|i| Some(*i) != skip)
                .map(|i| {
                    let wiggle = if i % 2 == 0 { 1.0 } else { 1.02 };
                    (
                        d0 + chrono::Days::new(i),
                        Decimal::try_from(100.0 * wiggle * 1.001f64.powi(i as i32))
                            .unwrap()
                            .round_dp(4),
                    )
                })
                .collect()
        };
        let a = returns(&closes(None), d0);
        let b = returns(&closes(Some(20)), d0);
        let s = compare(&a, &b).unwrap();
        // 39 one-day returns; the candidate misses the two around day 20 and has one over
        // the gap instead: 37 compared.
        assert_eq!(s.observations, 37);
        assert!(s.correlation > 0.9999, "{s:?}");
    }
}
