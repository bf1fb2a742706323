//! A plan as the user states it (the `folio plan` flags, the Plan pane's fields, an MCP tool's
//! arguments, a saved plan), and the [`Spec`] built from it with the portfolio's estimates and a
//! history.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use crate::analytics::montecarlo::estimate::{Estimate, by_column, prior, prior_matrix};
use crate::analytics::montecarlo::{
    Asset, Column, History, Model, Spec, SpecError, Strategy, Withdrawal,
};
use crate::domain::Named;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ModelName {
    #[default]
    Gbm,
    StudentT,
    Bootstrap,
    BlockBootstrap,
    Historical,
}

impl Named for ModelName {
    const ALL: &'static [(Self, &'static str, &'static str)] = &[
        (
            ModelName::Gbm,
            "gbm",
            "geometric Brownian motion: lognormal, correlated",
        ),
        (
            ModelName::StudentT,
            "student-t",
            "fat tails: multivariate Student-t",
        ),
        (
            ModelName::Bootstrap,
            "bootstrap",
            "whole years drawn from the history",
        ),
        (
            ModelName::BlockBootstrap,
            "block-bootstrap",
            "runs of years drawn from the history",
        ),
        (
            ModelName::Historical,
            "historical",
            "every start year of the history once",
        ),
    ];
}

impl Named for StrategyName {
    const ALL: &'static [(Self, &'static str, &'static str)] = &[
        (
            StrategyName::ConstantReal,
            "constant-real",
            "the first year's amount, kept up with inflation",
        ),
        (
            StrategyName::ConstantNominal,
            "constant-nominal",
            "the first year's amount in dollars",
        ),
        (
            StrategyName::Percent,
            "percent",
            "the rate of each year's value, within a floor and a ceiling",
        ),
        (
            StrategyName::GuytonKlinger,
            "guyton-klinger",
            "guardrails: cut or raise by 10% when the rate drifts",
        ),
        (
            StrategyName::Vpw,
            "vpw",
            "variable percentage: an annuity over the years left",
        ),
    ];
}

impl Named for StepsName {
    const ALL: &'static [(Self, &'static str, &'static str)] = &[
        (StepsName::Monthly, "monthly", "twelve steps a year"),
        (StepsName::Yearly, "yearly", "one step a year"),
    ];
}

impl ModelName {
    /// The bootstrap, block-bootstrap and historical models read yearly returns.
    pub fn uses_history(self) -> bool {
        matches!(
            self,
            ModelName::Bootstrap | ModelName::BlockBootstrap | ModelName::Historical
        )
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum StrategyName {
    #[default]
    ConstantReal,
    ConstantNominal,
    Percent,
    GuytonKlinger,
    Vpw,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum StepsName {
    Monthly,
    #[default]
    Yearly,
}

/// What a solver looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Solve {
    /// The highest first-year withdrawal rate that keeps the success rate at the target.
    WithdrawalRate,
    /// The lowest yearly contribution that reaches the target.
    Contribution,
}

impl Named for Solve {
    const ALL: &'static [(Self, &'static str, &'static str)] = &[
        (
            Solve::WithdrawalRate,
            "withdrawal-rate",
            "the first year's withdrawal rate that reaches the target success",
        ),
        (
            Solve::Contribution,
            "contribution",
            "the yearly contribution that reaches the target",
        ),
    ];
}

/// The plan as stated. Amounts are in today's dollars; rates and weights are yearly fractions
/// (0.04 is 4%).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Inputs {
    pub initial: Option<Decimal>,
    /// Assets, weights and statistics from the holdings (the value too, unless `initial`).
    pub from_portfolio: bool,
    /// With `from_portfolio`: only this account's holdings and cash.
    pub account: Option<String>,
    pub years: Option<usize>,
    /// A goal date: the plan runs the whole years from today to it.
    pub by: Option<NaiveDate>,
    pub withdrawal_rate: Option<f64>,
    pub withdrawal: Option<Decimal>,
    pub strategy: StrategyName,
    pub floor: Option<Decimal>,
    pub ceiling: Option<Decimal>,
    pub vpw_return: f64,
    pub stocks: Option<f64>,
    pub bonds: Option<f64>,
    pub cash: Option<f64>,
    /// Overrides: expected return, volatility per asset name; correlation per pair.
    pub mu: Vec<(String, f64)>,
    pub sigma: Vec<(String, f64)>,
    pub corr: Vec<(String, String, f64)>,
    pub model: ModelName,
    pub nu: f64,
    pub block: usize,
    /// Yearly returns for the history models (else the cached download).
    pub history: Option<std::path::PathBuf>,
    /// A fixed inflation rate; None: 2.5% for GBM and Student-t, the history's for the others.
    pub inflation: Option<f64>,
    /// Per year.
    pub contribution: Option<Decimal>,
    pub retire_in: Option<usize>,
    /// Withdraw at the end of each year (the Trinity study's timing).
    pub withdraw_at_end: bool,
    pub goal: Option<Decimal>,
    pub fee: f64,
    pub rebalance: bool,
    pub paths: Option<usize>,
    pub seed: Option<u64>,
    pub steps: StepsName,
    /// Weight of the priors in the portfolio's estimates (0..=1).
    pub shrinkage: f64,
    /// Solve for this instead of running the plan as stated.
    pub solve: Option<Solve>,
    /// The success rate (or goal probability) to solve for. Default: 0.95 for the withdrawal
    /// rate, 0.9 for the contribution.
    pub target_success: Option<f64>,
}

/// The arguments of a plan run: the plan as stated.
pub type PlanParams = Inputs;

pub const DEFAULT_YEARS: usize = 30;
pub const DEFAULT_INFLATION: f64 = 0.025;

impl Default for Inputs {
    fn default() -> Self {
        Inputs {
            initial: None,
            from_portfolio: false,
            account: None,
            years: None,
            by: None,
            withdrawal_rate: None,
            withdrawal: None,
            strategy: StrategyName::ConstantReal,
            floor: None,
            ceiling: None,
            vpw_return: 0.04,
            stocks: None,
            bonds: None,
            cash: None,
            mu: Vec::new(),
            sigma: Vec::new(),
            corr: Vec::new(),
            model: ModelName::Gbm,
            nu: 5.0,
            block: 5,
            history: None,
            inflation: None,
            contribution: None,
            retire_in: None,
            withdraw_at_end: false,
            goal: None,
            fee: 0.0,
            rebalance: true,
            paths: None,
            seed: None,
            steps: StepsName::Yearly,
            shrinkage: 0.5,
            solve: None,
            target_success: None,
        }
    }
}

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

fn invalid(s: impl Into<String>) -> SpecError {
    SpecError::Invalid(s.into())
}

/// Whole years from `today` to `by` (at least 1).
pub fn years_until(today: NaiveDate, by: NaiveDate) -> Result<usize, SpecError> {
    if by <= today {
        return Err(invalid(format!(
            "the goal date {by} is not after today ({today})"
        )));
    }
    let mut years = by.year() - today.year();
    if (by.month(), by.day()) < (today.month(), today.day()) {
        years -= 1;
    }
    Ok(years.max(1) as usize)
}

impl Inputs {
    /// The years the plan runs.
    pub fn horizon(&self, today: NaiveDate) -> Result<usize, SpecError> {
        match (self.years, self.by) {
            (Some(_), Some(_)) => Err(invalid(
                "give the plan's length in years or as a goal date, not both",
            )),
            (Some(y), None) => Ok(y),
            (None, Some(by)) => years_until(today, by),
            (None, None) => Ok(DEFAULT_YEARS),
        }
    }

    /// The spec: `portfolio` is the holdings' estimate (needed with `from_portfolio`), `history`
    /// the yearly returns (needed by the history models); `paths` and `seed` fill what the
    /// inputs leave open.
    pub fn spec(
        &self,
        today: NaiveDate,
        portfolio: Option<&Estimate>,
        portfolio_value: f64,
        history: Option<History>,
        paths: usize,
        seed: u64,
    ) -> Result<Spec, SpecError> {
        let (mut assets, mut corr) = if self.from_portfolio {
            let e = portfolio.ok_or_else(|| invalid("no portfolio estimate"))?;
            if self.stocks.is_some() || self.bonds.is_some() || self.cash.is_some() {
                return Err(invalid(
                    "a plan from the portfolio takes its weights from the holdings; leave out the stocks, bonds and cash weights",
                ));
            }
            (e.assets.clone(), e.corr.clone())
        } else {
            self.mix()?
        };
        let model = match self.model {
            ModelName::Gbm => Model::Gbm,
            ModelName::StudentT => Model::StudentT { nu: self.nu },
            ModelName::Bootstrap => Model::Bootstrap,
            ModelName::BlockBootstrap => Model::BlockBootstrap { block: self.block },
            ModelName::Historical => Model::Historical,
        };
        if model.uses_history() && self.from_portfolio {
            (assets, corr) = by_column(&assets);
        }
        self.apply_overrides(&mut assets, &mut corr)?;
        let initial = match (self.initial, self.from_portfolio) {
            (Some(v), _) => f(v),
            (None, true) => portfolio_value,
            (None, false) => 0.0,
        };
        let withdrawal = match (self.withdrawal_rate, self.withdrawal) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "give a withdrawal rate or a withdrawal amount, not both",
                ));
            }
            (Some(r), None) => Withdrawal::Rate(r),
            (None, Some(a)) => Withdrawal::Amount(f(a)),
            (None, None) => Withdrawal::None,
        };
        let strategy = match self.strategy {
            StrategyName::ConstantReal => Strategy::ConstantReal,
            StrategyName::ConstantNominal => Strategy::ConstantNominal,
            StrategyName::Percent => Strategy::Percent {
                floor: self.floor.map(f),
                ceiling: self.ceiling.map(f),
            },
            StrategyName::GuytonKlinger => Strategy::GuytonKlinger,
            StrategyName::Vpw => Strategy::Vpw {
                real_return: self.vpw_return,
            },
        };
        if (self.floor.is_some() || self.ceiling.is_some())
            && self.strategy != StrategyName::Percent
        {
            return Err(invalid(
                "a floor and a ceiling apply to the percent strategy only",
            ));
        }
        if !(0.0..=1.0).contains(&self.shrinkage) {
            return Err(invalid(format!(
                "the shrinkage is {}; give 0 (the holdings' own history) to 1 (the priors)",
                self.shrinkage
            )));
        }
        let years = self.horizon(today)?;
        let inflation = match (self.inflation, model.uses_history()) {
            (Some(i), _) => Some(i),
            (None, true) => None,
            (None, false) => Some(DEFAULT_INFLATION),
        };
        Ok(Spec {
            assets,
            corr,
            model,
            history: if model.uses_history() { history } else { None },
            inflation,
            years,
            steps_per_year: match self.steps {
                StepsName::Monthly => 12,
                StepsName::Yearly => 1,
            },
            initial,
            contribution: self.contribution.map_or(0.0, f),
            withdrawal,
            strategy,
            retire_in: self.retire_in.unwrap_or(0),
            withdraw_at_end: self.withdraw_at_end,
            fee: self.fee,
            rebalance: self.rebalance,
            goal: self.goal.map(f),
            paths: self.paths.unwrap_or(paths),
            seed: self.seed.unwrap_or(seed),
        })
    }

    /// Stocks, bonds and cash from the flags (60/40 when none is given), with the defaults'
    /// statistics.
    fn mix(&self) -> Result<(Vec<Asset>, Vec<f64>), SpecError> {
        let given = [
            ("stocks", self.stocks, Column::Stocks),
            ("bonds", self.bonds, Column::Bonds),
            ("cash", self.cash, Column::Cash),
        ];
        let any = given.iter().any(|g| g.1.is_some());
        let mut assets = Vec::new();
        for (name, w, column) in given {
            let weight = match (any, w, column) {
                (true, w, _) => w.unwrap_or(0.0),
                (false, _, Column::Stocks) => 0.6,
                (false, _, Column::Bonds) => 0.4,
                (false, _, Column::Cash) => 0.0,
            };
            if !weight.is_finite() || weight < 0.0 {
                return Err(invalid(format!(
                    "the {name} weight is {weight}; a weight is a fraction from 0 to 1"
                )));
            }
            if weight > 0.0 {
                let (mu, sigma) = prior(column);
                assets.push(Asset {
                    name: name.into(),
                    weight,
                    mu,
                    sigma,
                    column,
                });
            }
        }
        if assets.is_empty() {
            return Err(invalid(
                "every weight is 0; give stocks, bonds or cash weights summing to 1",
            ));
        }
        let corr = prior_matrix(&assets);
        Ok((assets, corr))
    }

    fn apply_overrides(&self, assets: &mut [Asset], corr: &mut [f64]) -> Result<(), SpecError> {
        let names: Vec<String> = assets.iter().map(|a| a.name.clone()).collect();
        let find = |name: &str| {
            names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    invalid(format!(
                        "no asset '{name}' in the plan; its assets are {}",
                        names.join(", ")
                    ))
                })
        };
        for (name, mu) in &self.mu {
            assets[find(name)?].mu = *mu;
        }
        for (name, sigma) in &self.sigma {
            assets[find(name)?].sigma = *sigma;
        }
        let n = assets.len();
        for (a, b, c) in &self.corr {
            let (i, j) = (find(a)?, find(b)?);
            if i == j {
                return Err(invalid(format!(
                    "the correlation {a}:{b}: an asset's correlation with itself is 1"
                )));
            }
            corr[i * n + j] = *c;
            corr[j * n + i] = *c;
        }
        Ok(())
    }
}
