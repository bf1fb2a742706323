//! How closely one security tracks another over their common price history: the basis for
//! ranking harvest replacements. Pure; floats, as statistics.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

/// Fewer common daily returns than this and no score is given.
pub const MIN_OBSERVATIONS: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
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

/// Daily simple returns of a close series (ascending dates), keyed by the day they end.
pub fn returns(closes: &[(NaiveDate, Decimal)], since: NaiveDate) -> Vec<(NaiveDate, f64)> {
    closes
        .windows(2)
        .filter(|w| w[1].0 >= since)
        .filter_map(|w| {
            let (a, b) = (w[0].1.to_f64()?, w[1].1.to_f64()?);
            (a > 0.0).then(|| (w[1].0, b / a - 1.0))
        })
        .collect()
}

/// Compares `candidate` with `original` on the days both have a return. None with too few
/// common days or a flat series.
pub fn compare(
    original: &[(NaiveDate, f64)],
    candidate: &[(NaiveDate, f64)],
) -> Option<Similarity> {
    let (mut i, mut j) = (0, 0);
    let (mut n, mut sa, mut sb, mut saa, mut sbb, mut sab) = (0usize, 0.0, 0.0, 0.0, 0.0, 0.0);
    while i < original.len() && j < candidate.len() {
        match original[i].0.cmp(&candidate[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                let (a, b) = (original[i].1, candidate[j].1);
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

    fn series(values: &[f64]) -> Vec<(NaiveDate, f64)> {
        let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (start + chrono::Days::new(i as u64), *v))
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
        assert_eq!(r[0].0, d("2025-01-03"));
        assert!((r[0].1 - 0.1).abs() < 1e-12 && (r[1].1 + 0.1).abs() < 1e-12);
    }
}
