//! The return models. They draw for a whole batch of paths at once (lockstep), so the inner
//! loops run over paths: straight arrays the compiler vectorises.

use rand::RngExt;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{ChiSquared, Distribution, StandardNormal};

use super::fastexp::exp_all;
use super::linalg::repaired_cholesky;
use super::{Column, Model, Spec};

pub type Rng = Xoshiro256PlusPlus;

/// A model's draws for a batch of paths. Cloned for every fold of batches.
pub trait Draw: Clone + Send + Sync {
    /// A batch of `len` paths starts; `first` is the index of its first path among all paths.
    fn start(&mut self, first: usize, len: usize);
    /// A new year starts for every path of the batch.
    fn year(&mut self, rng: &mut Rng, year: usize);
    /// One step: asset i's gross return for path p into `gross[i * len + p]`, the step's
    /// inflation factor into `inflation[p]`.
    fn step(&mut self, rng: &mut Rng, gross: &mut [f64], inflation: &mut [f64]);
}

/// GBM and Student-t: correlated lognormal steps.
#[derive(Clone)]
pub struct Parametric {
    n: usize,
    /// (mu - sigma^2 / 2) dt per asset.
    drift: Vec<f64>,
    /// The Cholesky factor with row i scaled by sigma_i sqrt(dt).
    factor: Vec<f64>,
    inflation: f64,
    student: Option<(f64, ChiSquared<f64>)>,
    len: usize,
    /// Shocks, asset-major like `gross`.
    z: Vec<f64>,
    /// Student-t scale per path.
    scale: Vec<f64>,
    arch: pulp::Arch,
}

impl Parametric {
    /// Also returns the shrinkage the correlation matrix needed to be positive definite.
    pub fn new(spec: &Spec) -> (Parametric, f64) {
        let n = spec.assets.len();
        let dt = 1.0 / spec.steps_per_year as f64;
        let (l, repair) = repaired_cholesky(&spec.corr, n);
        let mut factor = l;
        for (i, a) in spec.assets.iter().enumerate() {
            for k in 0..n {
                factor[i * n + k] *= a.sigma * dt.sqrt();
            }
        }
        let student = match spec.model {
            Model::StudentT { nu } => ChiSquared::new(nu).ok().map(|c| (nu, c)),
            _ => None,
        };
        let p = Parametric {
            n,
            drift: spec
                .assets
                .iter()
                .map(|a| (a.mu - a.sigma * a.sigma / 2.0) * dt)
                .collect(),
            factor,
            inflation: (1.0 + spec.inflation.unwrap_or(0.0)).powf(dt),
            student,
            len: 0,
            z: Vec::new(),
            scale: Vec::new(),
            arch: pulp::Arch::new(),
        };
        (p, repair)
    }
}

impl Draw for Parametric {
    fn start(&mut self, _first: usize, len: usize) {
        self.len = len;
        self.z.resize(self.n * len, 0.0);
        self.scale.resize(len, 1.0);
    }

    fn year(&mut self, _rng: &mut Rng, _year: usize) {}

    fn step(&mut self, rng: &mut Rng, gross: &mut [f64], inflation: &mut [f64]) {
        let (n, len) = (self.n, self.len);
        // Antithetic pairs: path p and path p + half get opposite shocks (half the random
        // numbers, and errors that cancel in the median). An odd last path draws its own.
        let half = len / 2;
        for i in 0..n {
            let z = &mut self.z[i * len..(i + 1) * len];
            for p in 0..half {
                let v: f64 = rng.sample(StandardNormal);
                z[p] = v;
                z[p + half] = -v;
            }
            if len % 2 == 1 {
                z[len - 1] = rng.sample(StandardNormal);
            }
        }
        if let Some((nu, chi)) = &self.student {
            // Multivariate t with unit variance: Z sqrt((nu - 2) / W), W ~ chi-squared(nu),
            // one W per path (shared by a pair).
            for p in 0..half {
                let s = ((nu - 2.0) / chi.sample(rng)).sqrt();
                self.scale[p] = s;
                self.scale[p + half] = s;
            }
            if len % 2 == 1 {
                self.scale[len - 1] = ((nu - 2.0) / chi.sample(rng)).sqrt();
            }
            for i in 0..n {
                for (z, s) in self.z[i * len..(i + 1) * len].iter_mut().zip(&self.scale) {
                    *z *= s;
                }
            }
        }
        // On the widest vector unit the CPU has (AVX2 where there is one). Element by element
        // the arithmetic is the same at any width, so the numbers do not depend on it.
        self.arch.dispatch(Kernel {
            n,
            len,
            drift: &self.drift,
            factor: &self.factor,
            z: &self.z,
            gross,
        });
        inflation[..len].fill(self.inflation);
    }
}

/// The correlated log returns and their exponentials for a batch: gross[i] = exp(drift[i] +
/// sum over k <= i of factor[i][k] z[k]).
struct Kernel<'a> {
    n: usize,
    len: usize,
    drift: &'a [f64],
    factor: &'a [f64],
    z: &'a [f64],
    gross: &'a mut [f64],
}

impl pulp::WithSimd for Kernel<'_> {
    type Output = ();

    // Inlined into pulp's per-target functions, so the loops compile for each target.
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let (n, len) = (self.n, self.len);
        for i in 0..n {
            let x = &mut self.gross[i * len..(i + 1) * len];
            x.fill(self.drift[i]);
            for k in 0..=i {
                let l = self.factor[i * n + k];
                for (x, z) in x.iter_mut().zip(&self.z[k * len..(k + 1) * len]) {
                    *x += l * z;
                }
            }
            exp_all(x);
        }
    }
}

/// How a history model picks the year each path is in.
#[derive(Clone, Copy)]
enum Pick {
    Bootstrap,
    Block(usize),
    Rolling,
}

/// Bootstrap, block bootstrap and rolling windows over yearly returns.
#[derive(Clone)]
pub struct Historic {
    /// Per history year and asset: the gross return per step.
    gross: Vec<f64>,
    /// Per history year: the inflation factor per step.
    inflation: Vec<f64>,
    n: usize,
    rows: usize,
    pick: Pick,
    first: usize,
    /// Per path: the history year it is in, and (block bootstrap) the block's start.
    row: Vec<usize>,
    start: Vec<usize>,
}

impl Historic {
    pub fn new(spec: &Spec) -> Historic {
        let h = spec
            .history
            .as_ref()
            .expect("validated: a history model has a history");
        let dt = 1.0 / spec.steps_per_year as f64;
        let n = spec.assets.len();
        let mut gross = Vec::with_capacity(h.years.len() * n);
        let mut inflation = Vec::with_capacity(h.years.len());
        for y in &h.years {
            let infl = spec.inflation.unwrap_or(y.inflation);
            for a in &spec.assets {
                let r = match a.column {
                    Column::Stocks => y.stocks,
                    Column::Bonds => y.bonds,
                    Column::Cash => infl,
                };
                gross.push((1.0 + r).powf(dt));
            }
            inflation.push((1.0 + infl).powf(dt));
        }
        let pick = match spec.model {
            Model::BlockBootstrap { block } => Pick::Block(block),
            Model::Historical => Pick::Rolling,
            _ => Pick::Bootstrap,
        };
        Historic {
            gross,
            inflation,
            n,
            rows: h.years.len(),
            pick,
            first: 0,
            row: Vec::new(),
            start: Vec::new(),
        }
    }
}

impl Draw for Historic {
    fn start(&mut self, first: usize, len: usize) {
        self.first = first;
        self.row.resize(len, 0);
        self.start.resize(len, 0);
    }

    fn year(&mut self, rng: &mut Rng, year: usize) {
        for (p, row) in self.row.iter_mut().enumerate() {
            *row = match self.pick {
                Pick::Bootstrap => rng.random_range(0..self.rows),
                Pick::Block(block) => {
                    if year.is_multiple_of(block) {
                        self.start[p] = rng.random_range(0..self.rows);
                    }
                    (self.start[p] + year % block) % self.rows
                }
                Pick::Rolling => self.first + p + year,
            };
        }
    }

    fn step(&mut self, _rng: &mut Rng, gross: &mut [f64], inflation: &mut [f64]) {
        let len = self.row.len();
        for (p, &row) in self.row.iter().enumerate() {
            for i in 0..self.n {
                gross[i * len + p] = self.gross[row * self.n + i];
            }
            inflation[p] = self.inflation[row];
        }
    }
}
