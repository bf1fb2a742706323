//! The little linear algebra the draws need: a Cholesky factor, with a repair for a
//! correlation matrix that is not positive definite.

/// The lower Cholesky factor of a symmetric n x n matrix (row-major), or None when it is not
/// positive definite.
pub fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if s <= 1e-12 {
                    return None;
                }
                l[i * n + i] = s.sqrt();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// The Cholesky factor of a correlation matrix, repaired when needed by shrinking it toward
/// the identity (`(1 - s) C + s I`, the smallest s in steps of 1% that works). Returns the
/// factor and the shrinkage used (0 when the matrix was fine).
pub fn repaired_cholesky(corr: &[f64], n: usize) -> (Vec<f64>, f64) {
    for step in 0..=100 {
        let s = f64::from(step) / 100.0;
        let blended: Vec<f64> = corr
            .iter()
            .enumerate()
            .map(|(k, c)| if k / n == k % n { 1.0 } else { c * (1.0 - s) })
            .collect();
        if let Some(l) = cholesky(&blended, n) {
            return (l, s);
        }
    }
    // The identity always factors; this is not reached for a matrix with a unit diagonal.
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        l[i * n + i] = 1.0;
    }
    (l, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_and_repairs() {
        let c = [1.0, 0.5, 0.5, 1.0];
        let l = cholesky(&c, 2).unwrap();
        assert!((l[2] - 0.5).abs() < 1e-12 && (l[3] - 0.75f64.sqrt()).abs() < 1e-12);
        // Three assets each perfectly tied to the others but one opposite: not PSD.
        let bad = [1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0];
        assert!(cholesky(&bad, 3).is_none());
        let (l, s) = repaired_cholesky(&bad, 3);
        assert!(s > 0.0 && s < 1.0, "{s}");
        // L L^T has a unit diagonal.
        for i in 0..3 {
            let d: f64 = (0..3).map(|k| l[i * 3 + k] * l[i * 3 + k]).sum();
            assert!((d - 1.0).abs() < 1e-9);
        }
    }
}
