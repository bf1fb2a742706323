//! Detectors on one series of daily returns: return outliers and volatility spikes. NaN marks a
//! day without a return and is skipped.

use super::{Hit, Severity, median, robust_z};

/// Robust z = (r_t - median) / (1.4826 x MAD) over the `window` returns before day t (day t
/// excluded); flags |z| > `z` from index `start` on (critical past twice the threshold).
pub fn return_outliers(r: &[f64], start: usize, window: usize, z: f64) -> Vec<Hit> {
    let mut hits = Vec::new();
    let mut past: Vec<f64> = Vec::with_capacity(window);
    for t in start..r.len() {
        if !r[t].is_finite() {
            continue;
        }
        past.clear();
        past.extend(r[..t].iter().rev().filter(|v| v.is_finite()).take(window));
        if past.len() < window {
            continue;
        }
        let Some(score) = robust_z(r[t], &past) else {
            continue;
        };
        hits.extend(Hit::exceeding(t, score, score.abs(), z));
    }
    hits
}

/// The EWMA decay of RiskMetrics.
pub const LAMBDA: f64 = 0.94;
/// The long window the EWMA volatility is compared with.
pub const LONG_WINDOW: usize = 252;

/// sqrt(EWMA variance, lambda 0.94) / the sample volatility of the 252 returns before day t.
/// Flags ratios above `warning` (critical above `critical`) from index `start` on. The EWMA
/// starts from the first window's variance; days without a return leave it unchanged.
pub fn volatility_spikes(r: &[f64], start: usize, warning: f64, critical: f64) -> Vec<Hit> {
    let ratios = volatility_ratios(r);
    ratios
        .iter()
        .enumerate()
        .skip(start)
        .filter_map(|(t, ratio)| {
            let ratio = (*ratio)?;
            (ratio > warning).then_some(Hit {
                t,
                value: ratio,
                threshold: warning,
                severity: if ratio > critical {
                    Severity::Critical
                } else {
                    Severity::Warning
                },
            })
        })
        .collect()
}

/// The EWMA-to-long volatility ratio on every day with a full long window behind it.
pub fn volatility_ratios(r: &[f64]) -> Vec<Option<f64>> {
    let mut out = vec![None; r.len()];
    // Rolling sums over the last LONG_WINDOW finite returns (day t excluded).
    let mut window: std::collections::VecDeque<f64> = std::collections::VecDeque::new();
    let (mut s, mut s2) = (0.0, 0.0);
    let mut ewma: Option<f64> = None;
    for t in 0..r.len() {
        let x = r[t];
        if !x.is_finite() {
            continue;
        }
        if window.len() == LONG_WINDOW {
            let n = LONG_WINDOW as f64;
            let var = (s2 - s * s / n) / (n - 1.0);
            let prior = *ewma.get_or_insert(var);
            let now = LAMBDA * prior + (1.0 - LAMBDA) * x * x;
            ewma = Some(now);
            if var > 0.0 {
                out[t] = Some((now / var).sqrt());
            }
            let old = window.pop_front().unwrap_or_default();
            s -= old;
            s2 -= old * old;
        }
        window.push_back(x);
        s += x;
        s2 += x * x;
    }
    out
}

/// The median of the finite values (for reasons and charts).
pub fn finite_median(r: &[f64]) -> f64 {
    let mut v: Vec<f64> = r.iter().copied().filter(|v| v.is_finite()).collect();
    median(&mut v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::anomaly::synthetic;

    #[test]
    fn a_planted_jump_is_an_outlier_and_clean_data_is_quiet() {
        let clean = synthetic::normal_series(7, 400, 0.01);
        assert!(return_outliers(&clean, 300, 63, 3.5).is_empty());
        let mut planted = clean.clone();
        planted[350] = -0.1;
        let hits = return_outliers(&planted, 300, 63, 3.5);
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].t, 350);
        assert!(hits[0].value < -3.5);
        assert_eq!(hits[0].severity, Severity::Critical);
        // NaN days are skipped, not counted.
        planted[340] = f64::NAN;
        assert_eq!(return_outliers(&planted, 300, 63, 3.5).len(), 1);
    }

    #[test]
    fn a_volatility_burst_is_a_spike_and_clean_data_is_quiet() {
        let clean = synthetic::normal_series(11, 600, 0.01);
        assert!(volatility_spikes(&clean, 300, 1.5, 2.0).is_empty());
        let mut planted = clean.clone();
        for v in &mut planted[500..520] {
            *v *= 4.0;
        }
        let hits = volatility_spikes(&planted, 300, 1.5, 2.0);
        assert!(!hits.is_empty());
        assert!(hits.iter().all(|h| h.t >= 500 && h.t < 560), "{hits:?}");
        assert!(hits.iter().any(|h| h.severity == Severity::Critical));
    }

    #[test]
    fn short_series_find_nothing_and_do_not_panic() {
        for n in [0, 1, 5, 62, 63, 64] {
            let r = synthetic::normal_series(1, n, 0.01);
            assert!(return_outliers(&r, 0, 63, 3.5).is_empty());
            assert!(volatility_spikes(&r, 0, 1.5, 2.0).is_empty());
        }
        assert!(return_outliers(&[f64::NAN; 100], 0, 63, 3.5).is_empty());
        // A series that never moves has no spread to measure against.
        assert!(return_outliers(&[0.0; 100], 0, 63, 3.5).is_empty());
        assert!(volatility_spikes(&[0.0; 300], 0, 1.5, 2.0).is_empty());
    }
}
