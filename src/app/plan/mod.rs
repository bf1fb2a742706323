//! "Will the money last? Will I reach the goal?": Monte Carlo plans, the solvers, and saved
//! plans. `folio plan`, the Plan pane and the MCP tool run the same [`run`].

pub mod inputs;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use inputs::{Inputs, ModelName, PlanParams, Solve, StepsName, StrategyName};

use super::{AppError, Result, Session, bad};
use crate::analytics::montecarlo::estimate::{Estimate, Holding, from_holdings};
use crate::analytics::montecarlo::{
    Asset, Control, Outcome, Percentiles, Spec, SpecError, Strategy, Withdrawal, round,
    run as simulate, solve_contribution, solve_rate,
};
use crate::domain::Action;
use crate::market::returns::{self, ReturnsError};
use crate::store::SavedPlan;

/// The estimate from the holdings, the value it starts from, and what was left out.
struct FromPortfolio {
    estimate: Estimate,
    value: f64,
    left_out: Vec<String>,
}

/// Holdings (all accounts, or one) valued at their latest close, with five years of their
/// daily history.
fn from_portfolio(s: &Session, p: &Inputs, today: NaiveDate) -> Result<FromPortfolio> {
    let ledger = s.ledger()?;
    let account = ledger.account_filter(p.account.as_deref())?;
    let since = today
        .checked_sub_months(chrono::Months::new(12 * 5))
        .unwrap_or(NaiveDate::MIN);
    let closes = s.read(|st| Ok(st.closes_since(since)?))?;
    let currency = s.currency();
    let book = ledger.book_at(today);
    let mut quantities: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut left_out = Vec::new();
    for pos in book.positions() {
        if account.as_deref().is_some_and(|a| a != pos.account) {
            continue;
        }
        if pos.currency != currency {
            left_out.push(format!(
                "{} in {} ({}): not in {currency}",
                pos.symbol, pos.account, pos.currency
            ));
            continue;
        }
        *quantities.entry(pos.symbol).or_default() += pos.quantity;
    }
    let series: Vec<(&str, Vec<(NaiveDate, f64)>)> = quantities
        .keys()
        .map(|sym| {
            let c = closes.get(sym).map_or_else(Vec::new, |c| {
                c.iter()
                    .filter(|(d, _)| *d <= today)
                    .filter_map(|(d, v)| v.to_f64().map(|v| (*d, v)))
                    .collect()
            });
            (sym.as_str(), c)
        })
        .collect();
    // Distributions of the last 12 months per symbol (dividends, reinvested ones too).
    let year_ago = today - chrono::Days::new(365);
    let mut income: HashMap<&str, Decimal> = HashMap::new();
    for t in ledger.until(today) {
        if !matches!(t.action, Action::Dividend | Action::Reinvest)
            || t.date <= year_ago
            || t.currency != currency
            || account.as_deref().is_some_and(|a| a != t.account)
        {
            continue;
        }
        let amount = t
            .amount
            .or_else(|| Some(t.quantity? * t.price?))
            .unwrap_or_default()
            .abs();
        if let Some(symbol) = &t.symbol {
            *income.entry(symbol.as_str()).or_default() += amount;
        }
    }
    let securities = &s.config().securities;
    let mut holdings = Vec::new();
    for ((symbol, series), qty) in series.iter().zip(quantities.values()) {
        let last = closes
            .get(*symbol)
            .and_then(|c| c.iter().rev().find(|(d, _)| *d <= today));
        let Some(last) = last else {
            left_out.push(format!("{symbol}: no price (folio prices import FILE)"));
            continue;
        };
        let value = (qty * last.1).to_f64().unwrap_or(0.0);
        if value <= 0.0 {
            left_out.push(format!("{symbol}: a short or empty position ({qty})"));
            continue;
        }
        let paid = income.get(symbol).and_then(|d| d.to_f64()).unwrap_or(0.0);
        holdings.push(Holding {
            symbol,
            class: securities.class_of(symbol),
            value,
            closes: series,
            income_yield: paid / value,
        });
    }
    let cash: f64 = book
        .cash()
        .filter(|(a, c, _)| *c == currency && account.as_deref().is_none_or(|x| x == *a))
        .map(|(_, _, amount)| amount.to_f64().unwrap_or(0.0))
        .sum();
    if cash < 0.0 {
        left_out.push(format!(
            "negative cash ({cash:.2} {currency}): the plan starts from the holdings alone"
        ));
    }
    if holdings.is_empty() {
        return Err(bad(
            "no priced holdings to plan from; import transactions and prices, or give a starting value and the weights (stocks, bonds)",
        ));
    }
    let value = holdings.iter().map(|h| h.value).sum::<f64>() + cash.max(0.0);
    Ok(FromPortfolio {
        estimate: from_holdings(&holdings, cash.max(0.0), p.shrinkage),
        value,
        left_out,
    })
}

/// The history a history model needs: the inputs' file, else the cached download.
async fn history(s: &Session, p: &Inputs) -> Result<Option<returns::Loaded>> {
    let needed = p.model.uses_history();
    let err = |e: ReturnsError| match e {
        ReturnsError::File(m) => bad(m),
        ReturnsError::Download(e) => AppError::Failed(e),
    };
    if let Some(file) = &p.history {
        if !needed {
            return Err(bad(format!(
                "a history file is for the bootstrap, block-bootstrap and historical models; choose one of them or leave out the history file {}",
                file.display()
            )));
        }
        return returns::from_file(file).map(Some).map_err(err);
    }
    if !needed {
        return Ok(None);
    }
    let Some(dir) = s.data_dir() else {
        return Err(bad(
            "no data directory to keep the downloaded history in; give a history file",
        ));
    };
    let config = s.config();
    returns::cached_or_download(
        &config.plan.history_url,
        dir,
        Duration::from_secs(config.http.timeout_secs.max(30)),
    )
    .await
    .map(Some)
    .map_err(err)
}

/// A plan ready to run.
struct Ready {
    spec: Spec,
    history_source: Option<String>,
    estimate_days: Option<usize>,
    left_out: Vec<String>,
}

async fn prepare(s: &Session, p: &Inputs, today: NaiveDate) -> Result<Ready> {
    super::day(p.by, "the goal date")?;
    if p.account.is_some() && !p.from_portfolio {
        return Err(bad("an account is for a plan from the portfolio"));
    }
    let from = if p.from_portfolio {
        Some(from_portfolio(s, p, today)?)
    } else {
        None
    };
    let history = history(s, p).await?;
    let config = &s.config().plan;
    let spec = p
        .spec(
            today,
            from.as_ref().map(|f| &f.estimate),
            from.as_ref().map_or(0.0, |f| f.value),
            history.as_ref().map(|h| h.history.clone()),
            config.paths,
            config.seed,
        )
        .map_err(spec_error)?;
    spec.validate().map_err(spec_error)?;
    Ok(Ready {
        spec,
        history_source: history.map(|h| h.source),
        estimate_days: from.as_ref().map(|f| f.estimate.days),
        left_out: from.map(|f| f.left_out).unwrap_or_default(),
    })
}

fn spec_error(e: SpecError) -> AppError {
    bad(e.to_string())
}

/// What a solver found.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Solved {
    pub quantity: Solve,
    pub target_success: f64,
    /// The rate (fraction) or the yearly contribution; null when no value reaches the target.
    pub value: Option<f64>,
}

fn cancelled<T>(_: T) -> AppError {
    AppError::Failed(anyhow::anyhow!("the plan was cancelled"))
}

fn solve_or_run(
    spec: &Spec,
    solve: Option<Solve>,
    target: Option<f64>,
    control: &Control,
) -> Result<(Spec, Outcome, Option<Solved>)> {
    let Some(quantity) = solve else {
        let o = simulate(spec, control)
            .map_err(cancelled)?
            .map_err(spec_error)?;
        return Ok((spec.clone(), o, None));
    };
    let target_success = target.unwrap_or(match quantity {
        Solve::WithdrawalRate => 0.95,
        Solve::Contribution => 0.9,
    });
    if !(0.0..=1.0).contains(&target_success) || target_success == 0.0 {
        return Err(bad(format!(
            "target success {target_success}: give a probability above 0 and at most 1 (0.95 or 95%)"
        )));
    }
    let mut spec = spec.clone();
    let found = match quantity {
        Solve::WithdrawalRate => {
            if matches!(spec.strategy, Strategy::Vpw { .. }) {
                return Err(bad(
                    "solving for the withdrawal rate: the vpw strategy sets its own rate; choose another strategy",
                ));
            }
            if spec.initial == 0.0 && spec.retire_in == 0 {
                return Err(bad(
                    "solving for the withdrawal rate needs a starting value (give one, or plan from the portfolio)",
                ));
            }
            let found = solve_rate(&spec, target_success, control)
                .map_err(cancelled)?
                .map_err(spec_error)?;
            if let Some((rate, _)) = &found {
                spec.withdrawal = Withdrawal::Rate(*rate);
            }
            found
        }
        Solve::Contribution => {
            if spec.goal.is_none() && !(spec.withdraws() && spec.retire_in > 0) {
                return Err(bad(
                    "solving for the contribution needs a target: a goal, or withdrawals that start later (a withdrawal rate or amount, and the years until retirement)",
                ));
            }
            let found = solve_contribution(&spec, target_success, control)
                .map_err(cancelled)?
                .map_err(spec_error)?;
            if let Some((c, _)) = &found {
                spec.contribution = *c;
            }
            found
        }
    };
    let (value, outcome) = match found {
        Some((v, o)) => (Some(v), o),
        None => (
            None,
            simulate(&spec, control)
                .map_err(cancelled)?
                .map_err(spec_error)?,
        ),
    };
    Ok((
        spec,
        outcome,
        Some(Solved {
            quantity,
            target_success,
            value,
        }),
    ))
}

/// Money as Decimal rounded to cents: the floats stay inside the statistics.
pub fn money(x: f64) -> Decimal {
    let mut d = Decimal::from_f64(x).unwrap_or_default().round_dp(2);
    d.rescale(2);
    d
}

/// Percentiles of money, in today's dollars.
#[derive(Debug, Serialize, Clone, Copy, PartialEq, JsonSchema)]
pub struct Bands {
    pub p5: Decimal,
    pub p25: Decimal,
    pub p50: Decimal,
    pub p75: Decimal,
    pub p95: Decimal,
}

impl From<Percentiles> for Bands {
    fn from(p: Percentiles) -> Bands {
        Bands {
            p5: money(p.p5),
            p25: money(p.p25),
            p50: money(p.p50),
            p75: money(p.p75),
            p95: money(p.p95),
        }
    }
}

#[derive(Debug, Serialize, Clone, PartialEq, JsonSchema)]
pub struct YearPercentiles {
    pub year: usize,
    #[serde(flatten)]
    pub p: Bands,
}

#[derive(Debug, Serialize, Clone, PartialEq, JsonSchema)]
pub struct Terminal {
    #[serde(flatten)]
    pub p: Bands,
    pub mean: Decimal,
}

#[derive(Debug, Serialize, Clone, PartialEq, JsonSchema)]
pub struct Failures {
    pub year: usize,
    pub paths: u64,
    /// Share of all paths that ran out by the end of this year.
    pub cumulative_rate: f64,
}

#[derive(Debug, Serialize, Clone, PartialEq, JsonSchema)]
pub struct Goal {
    pub target: Decimal,
    pub by: Option<NaiveDate>,
    pub probability: f64,
    pub ci95: [f64; 2],
}

#[derive(Debug, Serialize, Clone, PartialEq, JsonSchema)]
pub struct HistoryInfo {
    pub source: String,
    pub first_year: i32,
    pub last_year: i32,
}

/// A plan's run: what was simulated and what came out. Money is in today's dollars.
#[derive(Debug, Serialize, Clone, PartialEq, JsonSchema)]
pub struct PlanReport {
    pub model: String,
    pub strategy: String,
    pub paths: usize,
    pub seed: u64,
    pub steps: String,
    pub years: usize,
    /// Threads the run used (the numbers do not depend on it).
    pub threads: usize,
    pub elapsed_ms: f64,
    pub initial: Decimal,
    pub contribution_per_year: Decimal,
    pub retire_in: usize,
    pub withdrawal_rate: Option<f64>,
    pub withdrawal: Option<Decimal>,
    pub inflation: Option<f64>,
    pub fee: f64,
    pub rebalance: bool,
    pub assets: Vec<Asset>,
    pub correlations: Vec<Vec<f64>>,
    /// How far the correlations were shrunk toward 0 to be consistent (0: not at all).
    pub correlation_repair: f64,
    /// Days of common price history behind the holdings' estimates (a plan from the
    /// portfolio; 0: the class defaults).
    pub estimate_days: Option<usize>,
    pub left_out: Vec<String>,
    pub history: Option<HistoryInfo>,
    /// Paths on which every withdrawal was paid.
    pub success_rate: f64,
    pub success_se: f64,
    pub success_ci95: [f64; 2],
    /// The value's percentiles at the start (year 0) and at every year's end.
    pub percentiles: Vec<YearPercentiles>,
    pub terminal: Terminal,
    /// The real withdrawals' percentiles per year.
    pub withdrawals: Vec<YearPercentiles>,
    pub failures: Vec<Failures>,
    pub goal: Option<Goal>,
    pub solve: Option<Solved>,
}

impl PlanReport {
    fn new(
        spec: &Spec,
        o: &Outcome,
        ready: &Ready,
        solve: Option<Solved>,
        threads: usize,
        elapsed_ms: f64,
        today: NaiveDate,
    ) -> PlanReport {
        let n = spec.assets.len();
        let mut cumulative = 0;
        let failures = o
            .failures_by_year
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(y, c)| {
                cumulative += c;
                Failures {
                    year: y + 1,
                    paths: *c,
                    cumulative_rate: round(cumulative as f64 / o.paths.max(1) as f64, 6),
                }
            })
            .collect();
        // The horizon: whole years from today (with a goal date, the last whole year before it).
        let by = spec
            .goal
            .and_then(|_| today.checked_add_months(chrono::Months::new(12 * spec.years as u32)));
        PlanReport {
            model: spec.model.label().into(),
            strategy: spec.strategy.label().into(),
            paths: o.paths,
            seed: spec.seed,
            steps: if spec.steps_per_year == 12 {
                "monthly"
            } else {
                "yearly"
            }
            .into(),
            years: spec.years,
            threads,
            elapsed_ms,
            initial: money(spec.initial),
            contribution_per_year: money(spec.contribution),
            retire_in: spec.retire_in,
            withdrawal_rate: match spec.withdrawal {
                Withdrawal::Rate(r) => Some(r),
                _ => None,
            },
            withdrawal: match spec.withdrawal {
                Withdrawal::Amount(a) => Some(money(a)),
                _ => None,
            },
            inflation: spec.inflation,
            fee: spec.fee,
            rebalance: spec.rebalance,
            assets: spec
                .assets
                .iter()
                .map(|a| Asset {
                    weight: round(a.weight, 6),
                    mu: round(a.mu, 6),
                    sigma: round(a.sigma, 6),
                    ..a.clone()
                })
                .collect(),
            correlations: (0..n)
                .map(|i| {
                    spec.corr[i * n..(i + 1) * n]
                        .iter()
                        .map(|c| round(*c, 6))
                        .collect()
                })
                .collect(),
            correlation_repair: o.correlation_repair,
            estimate_days: ready.estimate_days,
            left_out: ready.left_out.clone(),
            history: ready.history_source.as_ref().and_then(|source| {
                spec.history.as_ref().map(|h| HistoryInfo {
                    source: source.clone(),
                    first_year: h.first_year(),
                    last_year: h.last_year(),
                })
            }),
            success_rate: o.success_rate,
            success_se: o.success_se,
            success_ci95: o.success_ci95,
            percentiles: o
                .values
                .iter()
                .enumerate()
                .map(|(year, p)| YearPercentiles {
                    year,
                    p: (*p).into(),
                })
                .collect(),
            terminal: Terminal {
                p: o.terminal.into(),
                mean: money(o.terminal_mean),
            },
            withdrawals: o
                .withdrawals
                .iter()
                .enumerate()
                .filter_map(|(y, p)| {
                    p.map(|p| YearPercentiles {
                        year: y + 1,
                        p: p.into(),
                    })
                })
                .collect(),
            failures,
            goal: spec.goal.map(|target| Goal {
                target: money(target),
                by,
                probability: o.goal_probability.unwrap_or(0.0),
                ci95: o.goal_ci95.unwrap_or([0.0, 0.0]),
            }),
            solve,
        }
    }

    /// The plan as it ran: a solved plan with its answer in place (what a saved plan keeps).
    pub fn as_run(&self, p: &Inputs) -> Inputs {
        let mut saved = p.clone();
        match self
            .solve
            .as_ref()
            .and_then(|s| s.value.map(|v| (s.quantity, v)))
        {
            Some((Solve::WithdrawalRate, rate)) => {
                saved.withdrawal_rate = Some(rate);
                saved.withdrawal = None;
            }
            Some((Solve::Contribution, c)) => {
                saved.contribution = Decimal::from_f64_retain(c).map(|d| d.round_dp(2));
            }
            None => {}
        }
        saved.solve = None;
        saved.target_success = None;
        saved
    }

    /// The headline figures a saved plan keeps.
    pub fn summary(&self) -> Summary {
        Summary {
            success_rate: self.success_rate,
            median_terminal: self.terminal.p.p50,
            goal_probability: self.goal.as_ref().map(|g| g.probability),
            years: self.years,
            paths: self.paths,
        }
    }
}

/// How a run goes: on how many threads, and a handle to follow and cancel it.
#[derive(Debug, Default)]
pub struct RunOptions {
    /// Threads to run on (None: all cores); the numbers do not depend on it.
    pub threads: Option<usize>,
    /// Progress and cancellation (the cockpit's gauge and Esc).
    pub control: std::sync::Arc<Control>,
}

/// `folio plan`: runs the plan (or solves for its rate or contribution).
pub async fn run(s: &Session, p: &PlanParams, opts: &RunOptions) -> Result<PlanReport> {
    let today = s.today();
    let ready = prepare(s, p, today).await?;
    if let Some(t) = opts.threads
        && !(1..=256).contains(&t)
    {
        return Err(bad(format!("threads {t}: use 1 to 256")));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.unwrap_or(0))
        .build()
        .map_err(|e| AppError::failed(e, "cannot start the plan's threads"))?;
    let threads = pool.current_num_threads();
    opts.control.total.store(
        ready.spec.path_count(),
        std::sync::atomic::Ordering::Relaxed,
    );
    let started = Instant::now();
    let (spec, outcome, solved) =
        pool.install(|| solve_or_run(&ready.spec, p.solve, p.target_success, &opts.control))?;
    let elapsed_ms = (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0;
    Ok(PlanReport::new(
        &spec, &outcome, &ready, solved, threads, elapsed_ms, today,
    ))
}

/// The most paths a plan may run.
pub const MAX_PATHS: usize = 10_000_000;

/// What a saved plan keeps of its last run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Summary {
    pub success_rate: f64,
    /// Today's dollars.
    pub median_terminal: Decimal,
    pub goal_probability: Option<f64>,
    pub years: usize,
    pub paths: usize,
}

/// A plan's name: 1 to 80 printable characters.
pub fn plan_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(bad(format!(
            "'{name}' cannot name a plan; use 1 to 80 printable characters"
        )));
    }
    Ok(name)
}

/// Saves `p` under `name` with the summary of `report` (None when the results shown are not
/// those of `p`), replacing a plan saved before under that name. Returns every saved plan.
pub fn save(
    s: &Session,
    name: &str,
    p: &Inputs,
    report: Option<&PlanReport>,
) -> Result<Vec<SavedPlan>> {
    let name = plan_name(name)?;
    let plan = SavedPlan {
        name: name.to_string(),
        saved: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        inputs: serde_json::to_string(&report.map_or_else(|| p.clone(), |r| r.as_run(p)))
            .map_err(|e| AppError::failed(e, "cannot write the plan"))?,
        summary: match report {
            Some(r) => serde_json::to_string(&r.summary())
                .map_err(|e| AppError::failed(e, "cannot write the plan"))?,
            None => "null".into(),
        },
    };
    s.write("saving a plan", |st| {
        st.save_plan(&plan)?;
        Ok(st.plans()?)
    })
}

/// A saved plan, read back.
#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct Listed {
    pub name: String,
    pub saved: String,
    /// The plan as saved (null when it cannot be read).
    pub inputs: Option<Inputs>,
    /// Its last run's headline figures (null when it was saved without results).
    pub summary: Option<Summary>,
}

#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct PlanList {
    pub plans: Vec<Listed>,
}

/// `folio plan --list`: the saved plans, by name.
pub fn list(s: &Session) -> Result<PlanList> {
    let saved = s.read(|st| Ok(st.plans()?))?;
    Ok(PlanList {
        plans: saved.into_iter().map(listed).collect(),
    })
}

pub fn listed(p: SavedPlan) -> Listed {
    Listed {
        inputs: serde_json::from_str(&p.inputs).ok(),
        summary: serde_json::from_str(&p.summary).ok(),
        name: p.name,
        saved: p.saved,
    }
}

/// The saved plan called `name`.
pub fn load(s: &Session, name: &str) -> Result<Inputs> {
    let saved = s
        .read(|st| Ok(st.plans()?))?
        .into_iter()
        .find(|p| p.name == name)
        .ok_or_else(|| bad(format!("no saved plan named '{name}' (folio plan --list)")))?;
    serde_json::from_str(&saved.inputs)
        .map_err(|e| bad(format!("the saved plan '{name}' cannot be read: {e}")))
}

/// What `folio plan --delete` did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, JsonSchema)]
pub struct Deleted {
    pub deleted: String,
}

/// `folio plan --delete`: an error when there is no plan of that name (and no database is
/// created to find that out).
pub fn delete(s: &Session, name: &str) -> Result<Deleted> {
    let none = || bad(format!("no saved plan named '{name}' (folio plan --list)"));
    if !s.is_demo() && !s.db_path().exists() {
        return Err(none());
    }
    if !s.write("deleting a plan", |st| Ok(st.delete_plan(name)?))? {
        return Err(none());
    }
    Ok(Deleted {
        deleted: name.to_string(),
    })
}

/// The saved plan `name` to run again, with other `paths` or `seed` when given.
pub fn rerun(s: &Session, name: &str, paths: Option<usize>, seed: Option<u64>) -> Result<Inputs> {
    let mut p = load(s, name)?;
    p.paths = paths.or(p.paths);
    p.seed = seed.or(p.seed);
    Ok(p)
}
