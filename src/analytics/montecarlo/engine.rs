//! The simulation: paths in chunks on rayon's threads, one random stream per chunk (from the
//! seed and the chunk's index), results merged from integer counts, so a seed gives the same
//! numbers whatever the thread count. The solvers bisect over whole runs with the same seed
//! (common random numbers), so success moves monotonically with the quantity solved for.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rand::SeedableRng;
use rayon::prelude::*;
use serde::Serialize;

use super::draw::{Draw, Historic, Parametric, Rng};
use super::histogram::Grid;
use super::rules::{RuleState, yearly_withdrawal};
use super::{Model, Spec, SpecError, Strategy, Withdrawal, round};

/// Paths per chunk: one random stream each. Fixed, so that results do not depend on threads.
const CHUNK: usize = 256;

/// Progress and cancellation, shared with whoever watches a run.
#[derive(Debug, Default)]
pub struct Control {
    /// Paths simulated so far (over every run of a solver).
    pub done: AtomicUsize,
    /// The paths the watcher expects in all (set by whoever starts the work).
    pub total: AtomicUsize,
    pub cancel: AtomicBool,
}

impl Control {
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// The run was cancelled through its [`Control`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the plan was cancelled")]
pub struct Cancelled;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Percentiles {
    pub p5: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
}

/// What a run found. Values are in today's dollars.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Outcome {
    pub paths: usize,
    /// Share of paths that paid every withdrawal (money left at the horizon).
    pub success_rate: f64,
    /// Standard error sqrt(p (1 - p) / N).
    pub success_se: f64,
    /// success_rate -+ 1.96 standard errors, within 0..1.
    pub success_ci95: [f64; 2],
    /// Value percentiles at the start (index 0) and at the end of every year.
    pub values: Vec<Percentiles>,
    /// Each year's withdrawal percentiles (real); None for years without withdrawals.
    pub withdrawals: Vec<Option<Percentiles>>,
    pub terminal: Percentiles,
    pub terminal_mean: f64,
    /// Paths that ran out in each year (index 0 = year 1).
    pub failures_by_year: Vec<u64>,
    /// Share of paths at or above the goal at the horizon.
    pub goal_probability: Option<f64>,
    pub goal_ci95: Option<[f64; 2]>,
    /// How far the correlation matrix was shrunk toward the identity to factor it (0: not).
    pub correlation_repair: f64,
}

/// What one chunk (and then all of them) counted.
#[derive(Clone)]
struct Acc {
    values: Grid,
    withdrawals: Grid,
    successes: u64,
    failures: Vec<u64>,
    goal_hits: u64,
    /// Sum of terminal real values in cents: integers, so the sum is the same in any order.
    terminal_cents: i128,
    paths: u64,
}

impl Acc {
    fn new(spec: &Spec, reference: &[f64]) -> Acc {
        Acc {
            values: Grid::new(spec.years + 1, reference),
            withdrawals: Grid::new(spec.years, reference),
            successes: 0,
            failures: vec![0; spec.years],
            goal_hits: 0,
            terminal_cents: 0,
            paths: 0,
        }
    }

    fn merge(mut self, other: Acc) -> Acc {
        self.values.merge(&other.values);
        self.withdrawals.merge(&other.withdrawals);
        self.successes += other.successes;
        for (a, b) in self.failures.iter_mut().zip(&other.failures) {
            *a += b;
        }
        self.goal_hits += other.goal_hits;
        self.terminal_cents += other.terminal_cents;
        self.paths += other.paths;
        self
    }
}

/// Runs the plan on the current rayon pool.
pub fn run(spec: &Spec, control: &Control) -> Result<Result<Outcome, SpecError>, Cancelled> {
    if let Err(e) = spec.validate() {
        return Ok(Err(e));
    }
    let outcome = match spec.model {
        Model::Gbm | Model::StudentT { .. } => {
            let (draw, repair) = Parametric::new(spec);
            simulate(spec, draw, control)?.finish(spec, repair)
        }
        _ => simulate(spec, Historic::new(spec), control)?.finish(spec, 0.0),
    };
    Ok(Ok(outcome))
}

/// The scale the histograms are centred on.
/// The scale the histograms are centred on at each recorded point: the plan's size grown at
/// its expected real return (so that 80 years at 15% still fall inside the bins).
fn reference(spec: &Spec) -> Vec<f64> {
    let base = spec
        .initial
        .max(spec.contribution * spec.years as f64)
        .max(spec.goal.unwrap_or(0.0))
        .max(1.0);
    let mu: f64 = spec.assets.iter().map(|a| a.weight * a.mu).sum();
    let growth = (mu - spec.inflation.unwrap_or(0.025) - spec.fee).clamp(-0.2, 0.3);
    (0..=spec.years)
        .map(|t| base * (growth * t as f64).exp())
        .collect()
}

fn simulate<D: Draw>(spec: &Spec, draw: D, control: &Control) -> Result<Acc, Cancelled> {
    let paths = spec.path_count();
    let chunks = paths.div_ceil(CHUNK);
    let reference = reference(spec);
    // A few chunks per fold at least: each fold has its own histograms to fill and merge.
    let per_fold = chunks.div_ceil(4 * rayon::current_num_threads()).max(1);
    let acc = (0..chunks)
        .into_par_iter()
        .with_min_len(per_fold)
        .fold(
            || (Acc::new(spec, &reference), draw.clone(), Batch::default()),
            |(mut acc, mut draw, mut batch), chunk| {
                if !control.cancelled() {
                    let from = chunk * CHUNK;
                    let to = (from + CHUNK).min(paths);
                    let mut rng = Rng::seed_from_u64(chunk_seed(spec.seed, chunk as u64));
                    batch.run(spec, &mut draw, &mut rng, from, to - from, &mut acc);
                    control.done.fetch_add(to - from, Ordering::Relaxed);
                }
                (acc, draw, batch)
            },
        )
        .map(|(acc, _, _)| acc)
        .reduce(|| Acc::new(spec, &reference), Acc::merge);
    if control.cancelled() {
        return Err(Cancelled);
    }
    Ok(acc)
}

/// The seed of a chunk's stream: the seed and the chunk's index through SplitMix64's
/// finalizer twice, so neighbouring chunks (and neighbouring seeds) start far apart.
fn chunk_seed(seed: u64, chunk: u64) -> u64 {
    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    mix(mix(seed) ^ chunk)
}

/// A batch of paths simulated in lockstep; the buffers are reused from batch to batch.
#[derive(Default)]
struct Batch {
    value: Vec<f64>,
    cpi: Vec<f64>,
    /// The price level and the value at the start of the year.
    year_cpi: Vec<f64>,
    year_value: Vec<f64>,
    failed: Vec<bool>,
    state: Vec<RuleState>,
    gross: Vec<f64>,
    inflation: Vec<f64>,
    /// Asset-major, like `gross` (buy and hold only).
    holdings: Vec<f64>,
    growth: Vec<f64>,
    /// Each asset's weight times the step's fee factor.
    weights: Vec<f64>,
    arch: pulp::Arch,
}

/// value *= sum of weight_i x gross_i, over a batch (vectorised like the draws' kernel).
struct Rebalance<'a> {
    weights: &'a [f64],
    gross: &'a [f64],
    growth: &'a mut [f64],
    value: &'a mut [f64],
}

impl pulp::WithSimd for Rebalance<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let len = self.value.len();
        self.growth.fill(0.0);
        for (i, w) in self.weights.iter().enumerate() {
            for (g, x) in self
                .growth
                .iter_mut()
                .zip(&self.gross[i * len..(i + 1) * len])
            {
                *g += w * x;
            }
        }
        for (v, g) in self.value.iter_mut().zip(self.growth.iter()) {
            *v *= g;
        }
    }
}

impl Batch {
    fn run<D: Draw>(
        &mut self,
        spec: &Spec,
        draw: &mut D,
        rng: &mut Rng,
        first: usize,
        len: usize,
        acc: &mut Acc,
    ) {
        let n = spec.assets.len();
        let steps = spec.steps_per_year;
        let fee = (1.0 - spec.fee).powf(1.0 / steps as f64);
        let reset = |v: &mut Vec<f64>, size: usize, x: f64| {
            v.clear();
            v.resize(size, x);
        };
        reset(&mut self.value, len, spec.initial);
        reset(&mut self.cpi, len, 1.0);
        reset(&mut self.gross, n * len, 0.0);
        reset(&mut self.inflation, len, 1.0);
        reset(&mut self.growth, len, 0.0);
        self.failed.clear();
        self.failed.resize(len, false);
        self.weights = spec.assets.iter().map(|a| a.weight * fee).collect();
        self.state.clear();
        self.state.resize(len, RuleState::default());
        if !spec.rebalance {
            self.holdings.clear();
            for a in &spec.assets {
                self.holdings
                    .extend(std::iter::repeat_n(spec.initial * a.weight, len));
            }
        }
        draw.start(first, len);
        let withdraws = spec.withdraws();
        for &v in &self.value {
            acc.values.add(0, v);
        }
        for year in 0..spec.years {
            draw.year(rng, year);
            let withdrawing = withdraws && year >= spec.retire_in;
            if withdrawing {
                self.year_cpi.clone_from(&self.cpi);
                if spec.withdraw_at_end {
                    self.year_value.clone_from(&self.value);
                } else {
                    self.withdraw(spec, year, acc);
                }
            }
            let contributing = (year < spec.retire_in || !withdraws) && spec.contribution > 0.0;
            for _ in 0..steps {
                if contributing {
                    self.contribute(spec, spec.contribution / steps as f64);
                }
                draw.step(rng, &mut self.gross, &mut self.inflation);
                if spec.rebalance {
                    // The portfolio's gross return with the weights restored every step.
                    self.arch.dispatch(Rebalance {
                        weights: &self.weights,
                        gross: &self.gross,
                        growth: &mut self.growth,
                        value: &mut self.value,
                    });
                } else {
                    for (h, x) in self.holdings.iter_mut().zip(&self.gross) {
                        *h *= x * fee;
                    }
                    self.value.fill(0.0);
                    for i in 0..n {
                        for (v, h) in self
                            .value
                            .iter_mut()
                            .zip(&self.holdings[i * len..(i + 1) * len])
                        {
                            *v += h;
                        }
                    }
                }
                for (c, f) in self.cpi.iter_mut().zip(&self.inflation) {
                    *c *= f;
                }
            }
            if withdrawing && spec.withdraw_at_end {
                self.withdraw(spec, year, acc);
            }
            for (v, c) in self.value.iter().zip(&self.cpi) {
                acc.values.add(year + 1, v / c);
            }
        }
        for p in 0..len {
            let real = self.value[p] / self.cpi[p];
            acc.paths += 1;
            if !self.failed[p] {
                acc.successes += 1;
            }
            if spec.goal.is_some_and(|g| real >= g) {
                acc.goal_hits += 1;
            }
            acc.terminal_cents += (real * 100.0).round() as i128;
        }
    }

    /// The year's withdrawal on every path still paying (at the start of the year, or at its
    /// end with `withdraw_at_end`).
    fn withdraw(&mut self, spec: &Spec, year: usize, acc: &mut Acc) {
        let len = self.value.len();
        for p in 0..len {
            if self.failed[p] {
                acc.withdrawals.add(year, 0.0);
                continue;
            }
            // The year's budget is set in the price level of the year's start.
            let (value, cpi) = (self.value[p], self.year_cpi[p]);
            // A first-year rate applies to the value when the year starts, whenever it is paid.
            let first = match spec.withdrawal {
                Withdrawal::Rate(r)
                    if spec.withdraw_at_end
                        && year == spec.retire_in
                        && !matches!(spec.strategy, Strategy::Percent { .. }) =>
                {
                    Withdrawal::Amount(r * self.year_value[p] / cpi)
                }
                w => w,
            };
            let w = yearly_withdrawal(
                spec.strategy,
                first,
                &mut self.state[p],
                year - spec.retire_in,
                spec.years - year,
                value,
                cpi,
            );
            if spec.withdraw_at_end && year == spec.retire_in && self.year_value[p] > 0.0 {
                // Paid at the year's end: the rule's first rate is against the year's start.
                self.state[p].initial_rate = w / self.year_value[p];
            }
            let left = if w > value * (1.0 + 1e-12) + 1e-9 {
                self.failed[p] = true;
                acc.failures[year] += 1;
                acc.withdrawals.add(year, 0.0);
                0.0
            } else {
                acc.withdrawals.add(year, w / cpi);
                (value - w).max(0.0)
            };
            if !spec.rebalance {
                let keep = if value > 0.0 { left / value } else { 0.0 };
                for i in 0..spec.assets.len() {
                    self.holdings[i * len + p] *= keep;
                }
            }
            self.value[p] = left;
        }
    }

    /// Adds `real` today's dollars (grown with each path's inflation) to every path.
    fn contribute(&mut self, spec: &Spec, real: f64) {
        let len = self.value.len();
        for p in 0..len {
            if self.failed[p] {
                continue;
            }
            let add = real * self.cpi[p];
            self.value[p] += add;
            if !spec.rebalance {
                for (i, a) in spec.assets.iter().enumerate() {
                    self.holdings[i * len + p] += add * a.weight;
                }
            }
        }
    }
}

fn percentiles(grid: &Grid, point: usize) -> Percentiles {
    let q = |p| round(grid.quantile(point, p), 2);
    Percentiles {
        p5: q(0.05),
        p25: q(0.25),
        p50: q(0.5),
        p75: q(0.75),
        p95: q(0.95),
    }
}

/// p and its normal-approximation 95% interval.
fn interval(hits: u64, n: u64) -> (f64, f64, [f64; 2]) {
    let n = n.max(1) as f64;
    let p = hits as f64 / n;
    let se = (p * (1.0 - p) / n).sqrt();
    (
        round(p, 6),
        round(se, 6),
        [
            round((p - 1.96 * se).max(0.0), 6),
            round((p + 1.96 * se).min(1.0), 6),
        ],
    )
}

impl Acc {
    fn finish(self, spec: &Spec, repair: f64) -> Outcome {
        let (success_rate, success_se, success_ci95) = interval(self.successes, self.paths);
        let withdraws = spec.withdraws();
        let goal = spec.goal.map(|_| interval(self.goal_hits, self.paths));
        Outcome {
            paths: self.paths as usize,
            success_rate,
            success_se,
            success_ci95,
            values: (0..self.values.points())
                .map(|p| percentiles(&self.values, p))
                .collect(),
            withdrawals: (0..spec.years)
                .map(|y| {
                    (withdraws && y >= spec.retire_in).then(|| percentiles(&self.withdrawals, y))
                })
                .collect(),
            terminal: percentiles(&self.values, spec.years),
            terminal_mean: round(
                self.terminal_cents as f64 / 100.0 / self.paths.max(1) as f64,
                2,
            ),
            failures_by_year: self.failures,
            goal_probability: goal.map(|g| g.0),
            goal_ci95: goal.map(|g| g.2),
            correlation_repair: repair,
        }
    }
}

/// The metric a solver aims at: the goal's probability when there is a goal, else success.
fn metric(spec: &Spec, o: &Outcome) -> f64 {
    match spec.goal {
        Some(_) => o.goal_probability.unwrap_or(0.0),
        None => o.success_rate,
    }
}

/// The highest first-year withdrawal rate (to 0.01 points) whose success rate is at least
/// `target`, with the run at that rate. None when even a rate of 0.01% misses the target.
pub fn solve_rate(
    spec: &Spec,
    target: f64,
    control: &Control,
) -> Result<Result<Option<(f64, Outcome)>, SpecError>, Cancelled> {
    let mut s = spec.clone();
    let at = |s: &mut Spec, rate: f64| {
        s.withdrawal = Withdrawal::Rate(rate);
        run(s, control)
    };
    let (mut lo, mut hi) = (0.0001, 0.5);
    let mut best = match at(&mut s, lo)? {
        Ok(o) if o.success_rate >= target => o,
        Ok(_) => return Ok(Ok(None)),
        Err(e) => return Ok(Err(e)),
    };
    match at(&mut s, hi)? {
        Ok(o) if o.success_rate >= target => return Ok(Ok(Some((hi, o)))),
        Ok(_) => {}
        Err(e) => return Ok(Err(e)),
    }
    while hi - lo > 0.00005 {
        let mid = (lo + hi) / 2.0;
        match at(&mut s, mid)? {
            Ok(o) if o.success_rate >= target => {
                lo = mid;
                best = o;
            }
            Ok(_) => hi = mid,
            Err(e) => return Ok(Err(e)),
        }
    }
    // Reported to 0.01 point, rounded down (still meeting the target), with its own run.
    let rate = (lo * 10_000.0).floor() / 10_000.0;
    if rate != lo {
        best = match at(&mut s, rate)? {
            Ok(o) => o,
            Err(e) => return Ok(Err(e)),
        };
    }
    Ok(Ok(Some((rate, best))))
}

/// The lowest yearly contribution (to $1) that reaches `target`: the goal's probability when
/// the plan has a goal, else the success rate. None when $100,000,000 a year does not.
pub fn solve_contribution(
    spec: &Spec,
    target: f64,
    control: &Control,
) -> Result<Result<Option<(f64, Outcome)>, SpecError>, Cancelled> {
    let mut s = spec.clone();
    let at = |s: &mut Spec, c: f64| {
        s.contribution = c;
        run(s, control)
    };
    let mut hi = (spec.goal.unwrap_or(spec.initial) / spec.years as f64).max(1000.0);
    let mut best = loop {
        match at(&mut s, hi)? {
            Ok(o) if metric(spec, &o) >= target => break o,
            Ok(_) if hi < 1e8 => hi *= 2.0,
            Ok(_) => return Ok(Ok(None)),
            Err(e) => return Ok(Err(e)),
        }
    };
    let mut lo = 0.0;
    if spec.initial > 0.0
        && let Ok(o) = at(&mut s, 0.0)?
        && metric(spec, &o) >= target
    {
        return Ok(Ok(Some((0.0, o))));
    }
    while hi - lo > 1.0 {
        let mid = (lo + hi) / 2.0;
        match at(&mut s, mid)? {
            Ok(o) if metric(spec, &o) >= target => {
                hi = mid;
                best = o;
            }
            Ok(_) => lo = mid,
            Err(e) => return Ok(Err(e)),
        }
    }
    // Reported in whole dollars, rounded up (still meeting the target), with its own run.
    let amount = hi.ceil();
    if amount != hi {
        best = match at(&mut s, amount)? {
            Ok(o) => o,
            Err(e) => return Ok(Err(e)),
        };
    }
    Ok(Ok(Some((amount, best))))
}
