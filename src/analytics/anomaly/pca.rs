//! The linear baseline of the reconstruction detectors: standardise the holdings' returns over
//! the trailing year, keep the principal components that explain more than one holding's share of the variance (Kaiser's rule), and score
//! each day by how much of it they leave unexplained. A day the usual co-movement cannot
//! reconstruct is unusual even when no single return is.

use nalgebra::{DMatrix, DVector, SymmetricEigen};

use super::cross::{MIN_TRAIN, Scan, TRAIN, dense};
use super::{Hit, Panel, robust_z};

/// The model is refitted on the trailing year every this many days.
pub const REFIT: usize = 63;

/// A fitted linear autoencoder: standardisation and the kept components.
pub struct Fit {
    mean: DVector<f64>,
    sd: DVector<f64>,
    /// Columns are the kept components.
    basis: DMatrix<f64>,
}

impl Fit {
    /// Fits on `rows` (days x holdings); None when a holding does not move.
    pub fn new(rows: &[&[f64]]) -> Option<Fit> {
        let (t, n) = (rows.len(), rows.first()?.len());
        let x = DMatrix::from_fn(t, n, |i, j| rows[i][j]);
        let mean = DVector::from_fn(n, |j, _| x.column(j).mean());
        let sd = DVector::from_fn(n, |j, _| x.column(j).variance().sqrt());
        if sd.iter().any(|s| *s <= 0.0) {
            return None;
        }
        let z = DMatrix::from_fn(t, n, |i, j| (x[(i, j)] - mean[j]) / sd[j]);
        let corr = z.tr_mul(&z) / t as f64;
        let eig = SymmetricEigen::new(corr);
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|a, b| eig.eigenvalues[*b].total_cmp(&eig.eigenvalues[*a]));
        // Kaiser's rule: the components that explain more than one holding's worth of variance.
        let kept = order
            .iter()
            .take_while(|&&i| eig.eigenvalues[i] > 1.0)
            .count()
            .clamp(1, n - 1);
        let basis = DMatrix::from_fn(n, kept, |i, k| eig.eigenvectors[(i, order[k])]);
        Some(Fit { mean, sd, basis })
    }

    /// Mean squared reconstruction error of one day's standardised returns.
    pub fn score(&self, row: &[f64]) -> f64 {
        let z = DVector::from_fn(row.len(), |j, _| (row[j] - self.mean[j]) / self.sd[j]);
        let back = &self.basis * (self.basis.tr_mul(&z));
        (z - back).norm_squared() / row.len() as f64
    }
}

/// Scores every day from `start` with a model fitted on the [`TRAIN`] days before its block of
/// [`REFIT`] days; flags a day whose log score's robust z against the training days' scores exceeds `z`.
pub fn scan(panel: &Panel, start: usize, z: f64) -> (Scan, Option<String>) {
    let end = panel.dates.len();
    let (cols, rows) = dense(panel, start.saturating_sub(TRAIN), end);
    let mut scan = Scan {
        symbols: cols.len(),
        threshold: z,
        ..Scan::default()
    };
    if cols.len() < 3 {
        return (
            scan,
            Some("needs at least three holdings with a common price history".into()),
        );
    }
    let first = rows.partition_point(|(t, _)| *t < start);
    if first < MIN_TRAIN {
        return (
            scan,
            Some(format!(
                "needs {MIN_TRAIN} days of common history before the days it scores; there are {first}"
            )),
        );
    }
    let mut k = first;
    while k < rows.len() {
        let train: Vec<&[f64]> = rows[k.saturating_sub(TRAIN)..k]
            .iter()
            .map(|(_, r)| r.as_slice())
            .collect();
        let block = k..(k + REFIT).min(rows.len());
        k = block.end;
        let Some(fit) = Fit::new(&train) else {
            continue;
        };
        // On the log scale: errors are sums of squares (chi-square-like, skewed right); their
        // logs are nearly symmetric, so a robust z means the same in both tails.
        let history: Vec<f64> = train.iter().map(|r| fit.score(r).ln()).collect();
        for (t, row) in &rows[block] {
            let Some(score) = robust_z(fit.score(row).ln(), &history) else {
                continue;
            };
            scan.hits.extend(Hit::exceeding(*t, score, score, z));
        }
    }
    (scan, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::anomaly::synthetic::{self, Kind};

    #[test]
    fn a_shock_outside_the_factors_is_badly_reconstructed_and_clean_data_is_quiet() {
        let clean = synthetic::factor_panel(3, 600, 10);
        let (s, note) = scan(&clean, 400, 3.5);
        assert_eq!(note, None);
        let mut planted = clean.clone();
        let days = synthetic::plant(&mut planted, 5, 400, 3, Kind::Jump);
        let (p, _) = scan(&planted, 400, 3.5);
        let found: Vec<usize> = p.hits.iter().map(|h| h.t).collect();
        for d in &days {
            assert!(
                found.contains(d),
                "{d} not in {found:?} ({days:?}, clean {:?})",
                s.hits
            );
        }
        assert!(s.hits.is_empty(), "{:?}", s.hits);
        assert_eq!(found, days);
    }

    #[test]
    fn short_or_narrow_panels_say_so() {
        assert!(
            scan(&synthetic::factor_panel(1, 50, 5), 40, 3.5)
                .1
                .is_some()
        );
        assert!(
            scan(&synthetic::factor_panel(1, 400, 2), 300, 3.5)
                .1
                .is_some()
        );
        assert!(scan(&Panel::default(), 0, 3.5).1.is_some());
    }
}
