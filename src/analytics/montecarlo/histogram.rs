//! Streaming percentiles: a fixed log-spaced histogram per recorded point (year), so memory
//! does not grow with the number of paths, and counts (integers) merge exactly in any order:
//! the same paths give the same percentiles whatever the thread count.
//!
//! Bins span 1/10,000 to 10,000 times a reference value per point (the plan's scale grown at
//! its expected real return, so the bins follow the values over long horizons) in 4,096 steps of
//! 0.45% each; a percentile is interpolated inside its bin (log-linear), which keeps the error
//! far below the bin width. Values outside the span count in the first or last bin.

pub const BINS: usize = 4096;
const SPAN: f64 = 9.210_340_371_976_184; // ln(10,000)
const WIDTH: f64 = 2.0 * SPAN / BINS as f64;

/// Histograms for `points` recorded points; each point has a count of zeros (a depleted
/// portfolio) and BINS log-spaced bins.
#[derive(Debug, Clone)]
pub struct Grid {
    points: usize,
    reference: Vec<f64>,
    zeros: Vec<u32>,
    counts: Vec<u32>,
    /// The smallest and largest value above zero at each point: a percentile is kept inside
    /// them, so a point where every path has the same value reports it exactly.
    low: Vec<f64>,
    high: Vec<f64>,
}

impl Grid {
    /// `reference` has one value per point (the last one repeats when it is shorter).
    pub fn new(points: usize, reference: &[f64]) -> Grid {
        let last = reference.last().copied().unwrap_or(1.0);
        Grid {
            points,
            reference: (0..points)
                .map(|p| reference.get(p).copied().unwrap_or(last))
                .collect(),
            zeros: vec![0; points],
            counts: vec![0; points * BINS],
            low: vec![f64::INFINITY; points],
            high: vec![0.0; points],
        }
    }

    #[inline]
    pub fn add(&mut self, point: usize, value: f64) {
        if value <= 0.0 || value.is_nan() {
            self.zeros[point] += 1;
            return;
        }
        let u = ((value / self.reference[point]).ln() + SPAN) / WIDTH;
        let bin = if u <= 0.0 {
            0
        } else {
            (u as usize).min(BINS - 1)
        };
        self.counts[point * BINS + bin] += 1;
        self.low[point] = self.low[point].min(value);
        self.high[point] = self.high[point].max(value);
    }

    pub fn merge(&mut self, other: &Grid) {
        for (a, b) in self.zeros.iter_mut().zip(&other.zeros) {
            *a += b;
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        for (a, b) in self.low.iter_mut().zip(&other.low) {
            *a = a.min(*b);
        }
        for (a, b) in self.high.iter_mut().zip(&other.high) {
            *a = a.max(*b);
        }
    }

    /// The p-quantile (0..=1) at a point: 0 when it falls among the zeros.
    pub fn quantile(&self, point: usize, p: f64) -> f64 {
        let bins = &self.counts[point * BINS..(point + 1) * BINS];
        let zeros = f64::from(self.zeros[point]);
        let total = zeros + bins.iter().map(|&c| f64::from(c)).sum::<f64>();
        if total == 0.0 {
            return 0.0;
        }
        let rank = p.clamp(0.0, 1.0) * total;
        if rank <= zeros && zeros > 0.0 {
            return 0.0;
        }
        let mut below = zeros;
        for (b, &c) in bins.iter().enumerate() {
            let c = f64::from(c);
            if c > 0.0 && below + c >= rank {
                let f = ((rank - below) / c).clamp(0.0, 1.0);
                let v = self.reference[point] * ((b as f64 + f) * WIDTH - SPAN).exp();
                return v.clamp(self.low[point], self.high[point]);
            }
            below += c;
        }
        self.high[point]
    }

    pub fn points(&self) -> usize {
        self.points
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_a_known_spread_are_close() {
        let mut g = Grid::new(1, &[100.0]);
        // 1..=10,000: the median is about 5,000.
        for v in 1..=10_000 {
            g.add(0, f64::from(v));
        }
        let m = g.quantile(0, 0.5);
        assert!((m / 5000.0 - 1.0).abs() < 0.002, "{m}");
        let p95 = g.quantile(0, 0.95);
        assert!((p95 / 9500.0 - 1.0).abs() < 0.002, "{p95}");
    }

    #[test]
    fn zeros_come_first_and_merge_adds() {
        let mut a = Grid::new(2, &[1.0]);
        let mut b = Grid::new(2, &[1.0]);
        a.add(1, 0.0);
        a.add(1, 0.0);
        b.add(1, 3.0);
        a.merge(&b);
        assert_eq!(a.quantile(1, 0.5), 0.0);
        assert!((a.quantile(1, 1.0) / 3.0 - 1.0).abs() < 0.01);
        assert_eq!(a.quantile(0, 0.5), 0.0);
    }
}
