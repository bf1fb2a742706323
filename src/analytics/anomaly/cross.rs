//! Detectors on the holdings together: turbulence (Mahalanobis distance under a Ledoit-Wolf
//! covariance) and the correlation regime (the last quarter's correlations against the year's).

use nalgebra::{DMatrix, DVector};

use super::{Hit, Panel, Severity, robust_z};

/// Trailing returns a day is compared with.
pub const TRAIN: usize = 252;
/// The short correlation window.
pub const SHORT: usize = 63;
/// Fewest training days a multivariate detector runs on.
pub const MIN_TRAIN: usize = 60;

/// What a cross-sectional detector found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scan {
    pub hits: Vec<Hit>,
    /// Holdings it looked at.
    pub symbols: usize,
    /// The threshold the hits were compared with (the last one when it varies).
    pub threshold: f64,
}

/// The holdings' returns as dense rows over `lo..end`: the columns with a return on at least
/// 95% of those days, and the days on which all of them have one. Returns (columns, rows as
/// (panel index, values)).
pub fn dense(panel: &Panel, lo: usize, end: usize) -> (Vec<usize>, Vec<(usize, Vec<f64>)>) {
    let span = end.saturating_sub(lo);
    let cols: Vec<usize> = (0..panel.returns.len())
        .filter(|&i| {
            let have = panel.returns[i][lo..end]
                .iter()
                .filter(|v| v.is_finite())
                .count();
            span > 0 && have * 100 >= span * 95
        })
        .collect();
    let rows = (lo..end)
        .filter_map(|t| {
            let row: Vec<f64> = cols.iter().map(|&i| panel.returns[i][t]).collect();
            row.iter().all(|v| v.is_finite()).then_some((t, row))
        })
        .collect();
    (cols, rows)
}

/// The Ledoit-Wolf (2004) covariance of `rows` (each a day), shrunk toward a scaled identity by
/// the intensity that minimises the expected squared error; returns (mean, covariance).
pub fn ledoit_wolf(rows: &[&[f64]]) -> (DVector<f64>, DMatrix<f64>) {
    let t = rows.len();
    let n = rows.first().map_or(0, |r| r.len());
    let x = DMatrix::from_fn(t, n, |i, j| rows[i][j]);
    let mean = DVector::from_fn(n, |j, _| x.column(j).mean());
    let mut c = x;
    for j in 0..n {
        let m = mean[j];
        c.column_mut(j).add_scalar_mut(-m);
    }
    let s = c.tr_mul(&c) / t as f64;
    let m = s.trace() / n as f64;
    let target = DMatrix::<f64>::identity(n, n) * m;
    let d2 = (&s - &target).norm_squared() / n as f64;
    let s_norm2 = s.norm_squared();
    let mut b2 = 0.0;
    for i in 0..t {
        let row = c.row(i).transpose();
        let sq = row.norm_squared();
        let quad = (row.transpose() * &s * &row)[(0, 0)];
        b2 += sq * sq - 2.0 * quad + s_norm2;
    }
    let b2 = (b2 / (t as f64 * t as f64) / n as f64).min(d2);
    let shrink = if d2 > 0.0 { b2 / d2 } else { 1.0 };
    (mean, target * shrink + s * (1.0 - shrink))
}

/// The turbulence index d^2 = (r_t - mu)' Sigma^-1 (r_t - mu) of each day from `start`, with mu
/// and Sigma from the [`TRAIN`] days before it; flags days above the chi-square quantile `q`
/// with one degree of freedom per holding (critical above the 1 - (1 - q)/10 quantile).
pub fn turbulence(panel: &Panel, start: usize, q: f64) -> (Scan, Option<String>) {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    let end = panel.dates.len();
    let (cols, rows) = dense(panel, start.saturating_sub(TRAIN), end);
    let mut scan = Scan {
        symbols: cols.len(),
        ..Scan::default()
    };
    if cols.len() < 2 {
        return (
            scan,
            Some("needs at least two holdings with a common price history".into()),
        );
    }
    let Ok(chi) = ChiSquared::new(cols.len() as f64) else {
        return (scan, None);
    };
    let (warn, crit) = (chi.inverse_cdf(q), chi.inverse_cdf(1.0 - (1.0 - q) / 10.0));
    scan.threshold = warn;
    let first = rows.partition_point(|(t, _)| *t < start);
    let mut short = None;
    for k in first..rows.len() {
        let train: Vec<&[f64]> = rows[k.saturating_sub(TRAIN)..k]
            .iter()
            .map(|(_, r)| r.as_slice())
            .collect();
        if train.len() < MIN_TRAIN.max(cols.len() + 2) {
            short = Some(format!(
                "needs {} days of common history before a day; there were {}",
                MIN_TRAIN.max(cols.len() + 2),
                train.len()
            ));
            continue;
        }
        let (mu, sigma) = ledoit_wolf(&train);
        let Some(chol) = sigma.cholesky() else {
            continue;
        };
        let x = DVector::from_row_slice(&rows[k].1) - mu;
        let d2 = x.dot(&chol.solve(&x));
        if d2 > warn {
            scan.hits.push(Hit {
                t: rows[k].0,
                value: d2,
                threshold: warn,
                severity: if d2 > crit {
                    Severity::Critical
                } else {
                    Severity::Warning
                },
            });
        }
    }
    (scan, short)
}

/// Running sums of a window of rows, for correlations in O(n^2) a day.
struct Rolling {
    n: usize,
    count: usize,
    s: Vec<f64>,
    ss: Vec<f64>,
}

impl Rolling {
    fn new(n: usize) -> Rolling {
        Rolling {
            n,
            count: 0,
            s: vec![0.0; n],
            ss: vec![0.0; n * n],
        }
    }

    fn add(&mut self, row: &[f64], sign: f64) {
        self.count = if sign > 0.0 {
            self.count + 1
        } else {
            self.count - 1
        };
        for i in 0..self.n {
            self.s[i] += sign * row[i];
            for j in i..self.n {
                self.ss[i * self.n + j] += sign * row[i] * row[j];
            }
        }
    }

    /// Correlation of i and j (i < j).
    fn corr(&self, i: usize, j: usize) -> f64 {
        let c = self.count as f64;
        let cov = self.ss[i * self.n + j] - self.s[i] * self.s[j] / c;
        let vi = self.ss[i * self.n + i] - self.s[i] * self.s[i] / c;
        let vj = self.ss[j * self.n + j] - self.s[j] * self.s[j] / c;
        if vi > 0.0 && vj > 0.0 {
            cov / (vi * vj).sqrt()
        } else {
            0.0
        }
    }
}

/// The root-mean-square difference between the [`SHORT`]-day and [`TRAIN`]-day correlation
/// matrices on each day, measured as a robust z against the same distance over the year before;
/// flags z above `z` from `start` on (critical past twice that).
pub fn correlation_regime(panel: &Panel, start: usize, z: f64) -> (Scan, Option<String>) {
    let end = panel.dates.len();
    let (cols, rows) = dense(panel, start.saturating_sub(2 * TRAIN), end);
    let n = cols.len();
    let mut scan = Scan {
        symbols: n,
        threshold: z,
        ..Scan::default()
    };
    if n < 2 {
        return (
            scan,
            Some("needs at least two holdings with a common price history".into()),
        );
    }
    let (mut long, mut short) = (Rolling::new(n), Rolling::new(n));
    let mut distance: Vec<(usize, f64)> = Vec::new();
    for k in 0..rows.len() {
        long.add(&rows[k].1, 1.0);
        short.add(&rows[k].1, 1.0);
        if k >= TRAIN {
            long.add(&rows[k - TRAIN].1, -1.0);
        }
        if k >= SHORT {
            short.add(&rows[k - SHORT].1, -1.0);
        }
        if long.count < TRAIN {
            continue;
        }
        let mut sum = 0.0;
        for i in 0..n {
            for j in i + 1..n {
                sum += (short.corr(i, j) - long.corr(i, j)).powi(2);
            }
        }
        distance.push((rows[k].0, (sum / (n * (n - 1) / 2) as f64).sqrt()));
    }
    let first = distance.partition_point(|(t, _)| *t < start);
    if first < MIN_TRAIN {
        return (
            scan,
            Some(format!(
                "needs {} days of history ({} for the year's correlations and {MIN_TRAIN} to compare with); there are fewer",
                TRAIN + MIN_TRAIN,
                TRAIN
            )),
        );
    }
    for k in first..distance.len() {
        let history: Vec<f64> = distance[k.saturating_sub(TRAIN)..k]
            .iter()
            .map(|d| d.1)
            .collect();
        let Some(score) = robust_z(distance[k].1, &history) else {
            continue;
        };
        scan.hits
            .extend(Hit::exceeding(distance[k].0, score, score, z));
    }
    (scan, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::anomaly::synthetic::{self, Kind};

    #[test]
    fn a_day_against_the_factors_is_turbulent_and_clean_data_is_quiet() {
        let clean = synthetic::factor_panel(3, 600, 8);
        let (scan, note) = turbulence(&clean, 400, 0.999);
        assert_eq!(note, None);
        assert_eq!(scan.symbols, 8);
        assert!(scan.hits.is_empty(), "{:?}", scan.hits);
        let mut planted = clean.clone();
        let days = synthetic::plant(&mut planted, 5, 400, 3, Kind::Decoupling);
        let (scan, _) = turbulence(&planted, 400, 0.999);
        let found: Vec<usize> = scan.hits.iter().map(|h| h.t).collect();
        assert_eq!(found, days);
    }

    #[test]
    fn ledoit_wolf_shrinks_toward_the_identity_when_days_are_few() {
        let p = synthetic::factor_panel(9, 30, 20);
        let (_, rows) = dense(&p, 0, 30);
        let rows: Vec<&[f64]> = rows.iter().map(|(_, r)| r.as_slice()).collect();
        let (_, sigma) = ledoit_wolf(&rows);
        // 30 days cannot estimate 20 x 20: the sample matrix is singular, the shrunk one is not.
        assert!(sigma.clone().cholesky().is_some());
        assert!((sigma.transpose() - &sigma).norm() < 1e-15);
    }

    #[test]
    fn a_correlation_break_is_a_regime_change() {
        let clean = synthetic::factor_panel(4, 900, 6);
        let (scan, note) = correlation_regime(&clean, 800, 5.0);
        assert_eq!(note, None);
        assert!(scan.hits.is_empty(), "{:?}", scan.hits);
        // From day 820 the holdings stop sharing their factors: independent noise of the same size.
        let mut planted = clean.clone();
        let noise = synthetic::normal_series(8, 6 * 80, 0.0125);
        for (i, series) in planted.returns.iter_mut().enumerate() {
            for t in 820..900 {
                series[t] = noise[i * 80 + t - 820];
            }
        }
        let (scan, _) = correlation_regime(&planted, 800, 5.0);
        assert!(!scan.hits.is_empty());
        assert!(scan.hits.iter().all(|h| h.t >= 820), "{:?}", scan.hits);
    }

    #[test]
    fn too_little_history_says_so() {
        let p = synthetic::factor_panel(1, 40, 3);
        let (scan, note) = turbulence(&p, 30, 0.999);
        assert!(scan.hits.is_empty() && note.is_some());
        let (scan, note) = correlation_regime(&p, 30, 3.5);
        assert!(scan.hits.is_empty() && note.is_some());
        let one = synthetic::factor_panel(1, 400, 1);
        assert!(turbulence(&one, 300, 0.999).1.is_some());
        assert!(turbulence(&Panel::default(), 0, 0.999).1.is_some());
    }
}
