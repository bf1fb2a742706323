//! Monte Carlo plans: will the money last, will the goal be reached. Pure: a [`Spec`] in, an
//! [`Outcome`] out, on rayon's threads (see ../shared/TAX_AND_ANALYTICS.md section 6).
//!
//! Conventions (documented in the README, `folio plan`):
//! - Contributions come at the start of each step. A year's withdrawal is taken once, at the
//!   start of the year (or at its end with `withdraw_at_end`, the Trinity study's timing), in the
//!   price level of the year's start; rules look at the value when it is taken.
//! - Contributions and amounts are in today's dollars and grow with inflation.
//! - A path fails in the first year whose withdrawal it cannot pay in full; success is every
//!   withdrawal paid to the horizon (money left at the end; VPW, which spends down by design,
//!   may end at exactly 0).
//! - Values are recorded in real terms (today's dollars) at the start and at every year end.

mod draw;
mod engine;
pub mod estimate;
mod fastexp;
mod histogram;
pub mod history;
mod linalg;
mod rules;

pub use engine::{Cancelled, Control, Outcome, Percentiles, run, solve_contribution, solve_rate};
pub use history::{History, HistoryError, Year};
pub use rules::{RuleState, yearly_withdrawal};

use serde::Serialize;

/// How returns are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case", tag = "name")]
pub enum Model {
    /// Lognormal steps, correlated through the Cholesky factor of the covariance.
    Gbm,
    /// Like GBM with multivariate Student-t shocks scaled to unit variance.
    StudentT { nu: f64 },
    /// Whole historical years drawn at random (stocks, bonds and inflation together).
    Bootstrap,
    /// Runs of `block` consecutive historical years from a random start (circular).
    BlockBootstrap { block: usize },
    /// Every rolling window of the history once (one path per start year).
    Historical,
}

impl Model {
    pub fn uses_history(self) -> bool {
        matches!(
            self,
            Model::Bootstrap | Model::BlockBootstrap { .. } | Model::Historical
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            Model::Gbm => "gbm",
            Model::StudentT { .. } => "student-t",
            Model::Bootstrap => "bootstrap",
            Model::BlockBootstrap { .. } => "block-bootstrap",
            Model::Historical => "historical",
        }
    }
}

/// How each year's withdrawal is set.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case", tag = "name")]
pub enum Strategy {
    /// The first year's amount, then adjusted for inflation (the 4% rule).
    ConstantReal,
    /// The first year's amount, never adjusted.
    ConstantNominal,
    /// A share of the value at the start of each year, within a floor and a ceiling (real).
    Percent {
        floor: Option<f64>,
        ceiling: Option<f64>,
    },
    /// Inflation-adjusted, cut 10% when the rate is 20% above the initial one (more than 15
    /// years left), raised 10% when 20% below.
    GuytonKlinger,
    /// An annuity payment over the remaining years at this real return.
    Vpw { real_return: f64 },
}

impl Strategy {
    pub fn label(self) -> &'static str {
        match self {
            Strategy::ConstantReal => "constant-real",
            Strategy::ConstantNominal => "constant-nominal",
            Strategy::Percent { .. } => "percent",
            Strategy::GuytonKlinger => "guyton-klinger",
            Strategy::Vpw { .. } => "vpw",
        }
    }
}

/// The first withdrawal: a rate of the value when withdrawals start, or an amount in today's
/// dollars.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Withdrawal {
    None,
    Rate(f64),
    Amount(f64),
}

/// Where a history model takes an asset's returns from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    Stocks,
    Bonds,
    /// Earns inflation (no real return).
    Cash,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Asset {
    pub name: String,
    pub weight: f64,
    /// Expected annual return (arithmetic drift of the lognormal: E[V_T] = V_0 e^(mu T)).
    pub mu: f64,
    /// Annual volatility.
    pub sigma: f64,
    /// The history column a history model uses for it.
    pub column: Column,
}

/// Everything a run needs. Build one, [`Spec::validate`] it, [`run`] it.
#[derive(Debug, Clone)]
pub struct Spec {
    pub assets: Vec<Asset>,
    /// Correlations, row-major n x n.
    pub corr: Vec<f64>,
    pub model: Model,
    /// Years of returns for the history models.
    pub history: Option<History>,
    /// A fixed yearly inflation rate; None takes it from the history.
    pub inflation: Option<f64>,
    pub years: usize,
    pub steps_per_year: usize,
    pub initial: f64,
    /// Per year, in today's dollars.
    pub contribution: f64,
    pub withdrawal: Withdrawal,
    pub strategy: Strategy,
    /// Contributions stop and withdrawals start at this year (0 = now).
    pub retire_in: usize,
    /// Withdraw at the end of each year (the Trinity study's timing) instead of the start.
    pub withdraw_at_end: bool,
    /// Yearly fee as a fraction of the value.
    pub fee: f64,
    /// Rebalance to the target weights every step (else buy and hold, flows pro rata).
    pub rebalance: bool,
    /// A target value in today's dollars at the horizon.
    pub goal: Option<f64>,
    pub paths: usize,
    pub seed: u64,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SpecError {
    #[error("{0}")]
    Invalid(String),
}

fn invalid(s: impl Into<String>) -> SpecError {
    SpecError::Invalid(s.into())
}

impl Spec {
    /// Checks everything a user could get wrong, with what to do about it.
    pub fn validate(&self) -> Result<(), SpecError> {
        let finite = |name: &str, v: f64| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(invalid(format!("{name} must be a number, not {v}")))
            }
        };
        if self.assets.is_empty() {
            return Err(invalid(
                "the plan has no assets; give stocks and bonds weights",
            ));
        }
        let mut sum = 0.0;
        for a in &self.assets {
            finite(&a.name, a.weight)?;
            finite(&a.name, a.mu)?;
            finite(&a.name, a.sigma)?;
            if a.weight < 0.0 {
                return Err(invalid(format!(
                    "the weight of {} is {}; weights cannot be negative",
                    a.name, a.weight
                )));
            }
            if !(0.0..=2.0).contains(&a.sigma) {
                return Err(invalid(format!(
                    "the volatility of {} is {}; give a yearly fraction between 0 and 2 (0.16 = 16%)",
                    a.name, a.sigma
                )));
            }
            if !(-0.5..=1.0).contains(&a.mu) {
                return Err(invalid(format!(
                    "the expected return of {} is {}; give a yearly fraction between -0.5 and 1 (0.07 = 7%)",
                    a.name, a.mu
                )));
            }
            sum += a.weight;
        }
        if (sum - 1.0).abs() > 1e-6 {
            let list: Vec<String> = self
                .assets
                .iter()
                .map(|a| format!("{} {}", a.name, a.weight))
                .collect();
            return Err(invalid(format!(
                "the weights sum to {} ({}); they must sum to 1",
                round(sum, 6),
                list.join(", ")
            )));
        }
        let n = self.assets.len();
        if self.corr.len() != n * n {
            return Err(invalid("the correlation matrix does not match the assets"));
        }
        for (k, c) in self.corr.iter().enumerate() {
            let (i, j) = (k / n, k % n);
            if !c.is_finite() || !(-1.0..=1.0).contains(c) || (i == j && (c - 1.0).abs() > 1e-9) {
                return Err(invalid(format!(
                    "the correlation of {} and {} is {c}; it must be between -1 and 1 (1 with itself)",
                    self.assets[i].name, self.assets[j].name
                )));
            }
            if (c - self.corr[j * n + i]).abs() > 1e-9 {
                return Err(invalid("the correlation matrix is not symmetric"));
            }
        }
        if self.years == 0 || self.years > 100 {
            return Err(invalid(format!(
                "the plan runs {} years; give 1 to 100",
                self.years
            )));
        }
        if !matches!(self.steps_per_year, 1 | 12) {
            return Err(invalid("steps must be monthly or yearly"));
        }
        if self.paths == 0 || self.paths > 10_000_000 {
            return Err(invalid(format!(
                "{} paths; give 1 to 10,000,000",
                self.paths
            )));
        }
        for (name, v) in [
            ("the initial value", self.initial),
            ("the contribution", self.contribution),
        ] {
            finite(name, v)?;
            if v < 0.0 {
                return Err(invalid(format!("{name} is {v}; it cannot be negative")));
            }
        }
        if self.initial == 0.0 && self.contribution == 0.0 {
            return Err(invalid(
                "the plan starts with nothing and adds nothing; give a starting value, plan from the portfolio, or add contributions",
            ));
        }
        match self.withdrawal {
            Withdrawal::Rate(r) if !(r.is_finite() && (0.0..=1.0).contains(&r)) => {
                return Err(invalid(format!(
                    "the withdrawal rate is {r}; give a fraction between 0 and 1 (0.04 = 4%)"
                )));
            }
            Withdrawal::Amount(a) if !(a.is_finite() && a >= 0.0) => {
                return Err(invalid(format!(
                    "the withdrawal is {a}; it cannot be negative"
                )));
            }
            _ => {}
        }
        if let Strategy::Percent { floor, ceiling } = self.strategy {
            if !matches!(self.withdrawal, Withdrawal::Rate(_)) {
                return Err(invalid(
                    "the percent strategy needs a withdrawal rate (the share taken each year)",
                ));
            }
            if let (Some(f), Some(c)) = (floor, ceiling)
                && f > c
            {
                return Err(invalid(format!(
                    "the floor ({f}) is above the ceiling ({c})"
                )));
            }
        }
        if let Strategy::Vpw { real_return } = self.strategy
            && !(real_return.is_finite() && (-0.5..=0.5).contains(&real_return))
        {
            return Err(invalid(format!(
                "the VPW return is {real_return}; give a real yearly fraction such as 0.04"
            )));
        }
        if self.contribution > 0.0 && self.withdraws() && self.retire_in == 0 {
            return Err(invalid(
                "contributions stop when withdrawals start, and these start now; give the years until they start (retire in)",
            ));
        }
        if self.retire_in > self.years {
            return Err(invalid(format!(
                "retirement in {} years is after the plan's end ({} years)",
                self.retire_in, self.years
            )));
        }
        if !(self.fee.is_finite() && (0.0..0.5).contains(&self.fee)) {
            return Err(invalid(format!(
                "the fee is {}; give a yearly fraction such as 0.001 (0.1%)",
                self.fee
            )));
        }
        if let Some(i) = self.inflation
            && !(i.is_finite() && (-0.5..=1.0).contains(&i))
        {
            return Err(invalid(format!(
                "inflation is {i}; give a yearly fraction such as 0.025"
            )));
        }
        if let Some(g) = self.goal
            && !(g.is_finite() && g > 0.0)
        {
            return Err(invalid(format!("the goal is {g}; it must be above 0")));
        }
        if let Model::StudentT { nu } = self.model
            && !(nu.is_finite() && nu > 2.0)
        {
            return Err(invalid(format!(
                "Student-t degrees of freedom are {nu}; give a number above 2 (e.g. 5)"
            )));
        }
        if self.model.uses_history() {
            let Some(h) = &self.history else {
                return Err(invalid(format!(
                    "the {} model needs a history of yearly returns (a history file)",
                    self.model.label()
                )));
            };
            if let Model::BlockBootstrap { block } = self.model
                && (block == 0 || block > h.years.len())
            {
                return Err(invalid(format!(
                    "the block is {block} years; give 1 to {} (the history's length)",
                    h.years.len()
                )));
            }
            if self.model == Model::Historical && self.years > h.years.len() {
                return Err(invalid(format!(
                    "the history has {} years ({}-{}); a {}-year plan has no full window in it",
                    h.years.len(),
                    h.first_year(),
                    h.last_year(),
                    self.years
                )));
            }
        } else if self.inflation.is_none() {
            return Err(invalid("the parametric models need an inflation rate"));
        }
        Ok(())
    }

    /// Whether the plan takes withdrawals (VPW sets its own).
    pub fn withdraws(&self) -> bool {
        !matches!(self.withdrawal, Withdrawal::None)
            || matches!(self.strategy, Strategy::Vpw { .. })
    }

    /// The number of paths a run makes (one per start year for the historical model).
    pub fn path_count(&self) -> usize {
        match (&self.model, &self.history) {
            (Model::Historical, Some(h)) => h.years.len() + 1 - self.years.min(h.years.len()),
            _ => self.paths,
        }
    }
}

/// `x` rounded to `places` decimals (for output: cents, or six places for rates).
pub fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

#[cfg(test)]
mod tests;
