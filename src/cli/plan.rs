//! `folio plan`: Monte Carlo plans for retirement and goals, the solvers, and saved plans.

use std::path::PathBuf;
use std::time::Instant;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::output::{Report, json, outln};
use super::{BadInput, Ctx, load_book, today};
use crate::analytics::montecarlo::inputs::{Inputs, ModelName, StepsName, StrategyName};
use crate::analytics::montecarlo::{
    Asset, Control, Outcome, Percentiles, Spec, Withdrawal, round, run as simulate,
    solve_contribution, solve_rate,
};
use crate::format::money;
use crate::plans::{self, Portfolio, Ready};
use crate::store::SavedPlan;

#[derive(clap::Args, Debug, Default)]
#[command(allow_negative_numbers = true)]
pub struct Args {
    /// Starting value in today's dollars (1000000, 1,000,000, 250k, 1.5m)
    #[arg(long, value_name = "AMOUNT", value_parser = parse_money)]
    initial: Option<Decimal>,
    /// Assets, weights, returns and correlations from the holdings and their price history
    /// (and the starting value, unless --initial)
    #[arg(long)]
    from_portfolio: bool,
    /// With --from-portfolio: only this account's holdings and cash
    #[arg(long)]
    account: Option<String>,
    /// Years the plan runs [default: 30, or to --by]
    #[arg(long, value_parser = parse_years)]
    years: Option<usize>,
    /// Goal date (YYYY-MM-DD): the plan runs the whole years from today to it
    #[arg(long, value_parser = super::parse_date_arg)]
    by: Option<NaiveDate>,
    /// Target value at the horizon, in today's dollars: reports the probability of reaching it
    #[arg(long, value_name = "AMOUNT", value_parser = parse_money)]
    goal: Option<Decimal>,
    /// First year's withdrawal as a share of the value (0.04 or 4%)
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    withdrawal_rate: Option<f64>,
    /// First year's withdrawal in today's dollars
    #[arg(long, value_name = "AMOUNT", value_parser = parse_money)]
    withdrawal: Option<Decimal>,
    /// How each year's withdrawal is set
    #[arg(long, value_enum)]
    strategy: Option<StrategyName>,
    /// percent strategy: the least to take in a year (today's dollars)
    #[arg(long, value_name = "AMOUNT", value_parser = parse_money)]
    floor: Option<Decimal>,
    /// percent strategy: the most to take in a year (today's dollars)
    #[arg(long, value_name = "AMOUNT", value_parser = parse_money)]
    ceiling: Option<Decimal>,
    /// vpw strategy: the real return the payments assume [default: 0.04]
    #[arg(long, value_name = "RATE", value_parser = parse_signed_rate)]
    vpw_return: Option<f64>,
    /// Saving, in today's dollars, per year or per month: 18000, 18000/year, 1500/month
    #[arg(long, value_name = "AMOUNT[/PERIOD]", value_parser = parse_contribution)]
    contribution: Option<Contribution>,
    /// Contributions stop and withdrawals start after this many years [default: 0]
    #[arg(long, value_name = "YEARS", value_parser = parse_retire_in)]
    retire_in: Option<usize>,
    /// When a year's withdrawal is taken
    #[arg(long, value_enum, value_name = "WHEN")]
    withdraw_at: Option<WithdrawAt>,
    /// Weight of stocks (0.6 or 60%); the weights given must sum to 1 [default: 0.6 with bonds 0.4]
    #[arg(long, value_name = "WEIGHT", value_parser = parse_rate)]
    stocks: Option<f64>,
    /// Weight of bonds
    #[arg(long, value_name = "WEIGHT", value_parser = parse_rate)]
    bonds: Option<f64>,
    /// Weight of cash
    #[arg(long, value_name = "WEIGHT", value_parser = parse_rate)]
    cash: Option<f64>,
    /// An asset's expected yearly return, e.g. --mu stocks=0.07 (repeatable)
    #[arg(long, value_name = "ASSET=RATE", value_parser = parse_named)]
    mu: Vec<(String, f64)>,
    /// An asset's yearly volatility, e.g. --sigma stocks=0.18 (repeatable)
    #[arg(long, value_name = "ASSET=RATE", value_parser = parse_named)]
    sigma: Vec<(String, f64)>,
    /// A correlation, e.g. --corr stocks:bonds=0.2 (repeatable)
    #[arg(long, value_name = "A:B=CORR", value_parser = parse_pair)]
    corr: Vec<(String, String, f64)>,
    /// --from-portfolio: weight of the priors in the estimates, 0 to 1 [default: 0.5]
    #[arg(long, value_name = "WEIGHT", value_parser = parse_rate)]
    shrinkage: Option<f64>,
    /// Return model
    #[arg(long, value_enum)]
    model: Option<ModelName>,
    /// student-t: degrees of freedom [default: 5]
    #[arg(long)]
    nu: Option<f64>,
    /// block-bootstrap: years per block [default: 5]
    #[arg(long, value_parser = parse_years)]
    block: Option<usize>,
    /// Yearly returns CSV (year,stocks,bonds,inflation) for the history models
    /// [default: Shiller's US data, downloaded once]
    #[arg(long, value_name = "FILE")]
    history: Option<PathBuf>,
    /// Yearly inflation (0.025 or 2.5%) [default: 2.5%; the history's own for history models]
    #[arg(long, value_name = "RATE", value_parser = parse_signed_rate)]
    inflation: Option<f64>,
    /// Yearly fee as a share of the value (0.001 or 0.1%)
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    fee: Option<f64>,
    /// Buy and hold: never rebalance to the weights (flows are spread by the current holdings)
    #[arg(long)]
    no_rebalance: bool,
    /// Number of simulated paths [default: plan.paths, 10000]
    #[arg(long, value_parser = parse_paths, allow_hyphen_values = true)]
    paths: Option<usize>,
    /// Random seed: the same seed gives the same numbers [default: plan.seed, 42]
    #[arg(long)]
    seed: Option<u64>,
    /// Time step
    #[arg(long, value_enum)]
    steps: Option<StepsName>,
    /// Threads to run on [default: all cores]; the numbers do not depend on it
    #[arg(long, value_parser = parse_threads)]
    threads: Option<usize>,
    /// Solve for the withdrawal rate or the contribution that reaches --target-success
    #[arg(long, value_enum)]
    solve: Option<Solve>,
    /// The success rate (or goal probability) to solve for [default: 0.95 for withdrawal-rate,
    /// 0.9 for contribution]
    #[arg(long, value_name = "P", value_parser = parse_rate)]
    target_success: Option<f64>,
    /// Save the plan's inputs and results under this name
    #[arg(long, value_name = "NAME")]
    save: Option<String>,
    /// Run a saved plan (--paths, --seed and --threads may change)
    #[arg(long, value_name = "NAME", conflicts_with = "save")]
    load: Option<String>,
    /// List the saved plans
    #[arg(long)]
    list: bool,
    /// Delete a saved plan
    #[arg(long, value_name = "NAME", conflicts_with = "list")]
    delete: Option<String>,
}

/// When a year's withdrawal is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WithdrawAt {
    /// At the start of the year, before its returns [default]
    Start,
    /// At the end of the year, after its returns (the Trinity study's timing)
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Solve {
    WithdrawalRate,
    Contribution,
}

/// A contribution and the period it was stated in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contribution {
    per_year: Decimal,
    monthly: bool,
}

fn parse_money(s: &str) -> Result<Decimal, String> {
    if s.trim().starts_with('-') {
        return Err(format!("'{s}': an amount cannot be negative"));
    }
    crate::format::parse_amount(s).ok_or_else(|| {
        format!(
            "'{s}' is not an amount; write it like 1000000, 1,000,000, 250k or 1.5m (at most 10^12)"
        )
    })
}

fn parse_signed_rate(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let v = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
        None => t.parse::<f64>(),
    }
    .ok()
    .filter(|v| v.is_finite())
    .ok_or_else(|| format!("'{s}' is not a rate; write a fraction (0.04) or a percent (4%)"))?;
    Ok(v)
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let v = parse_signed_rate(s)?;
    if v < 0.0 {
        return Err(format!("'{s}' cannot be negative"));
    }
    Ok(v)
}

fn parse_years(s: &str) -> Result<usize, String> {
    s.trim()
        .parse::<usize>()
        .ok()
        .filter(|y| (1..=100).contains(y))
        .ok_or_else(|| format!("'{s}' is not a number of years from 1 to 100"))
}

fn parse_retire_in(s: &str) -> Result<usize, String> {
    s.trim()
        .parse::<usize>()
        .ok()
        .filter(|y| *y <= 100)
        .ok_or_else(|| format!("'{s}' is not a number of years from 0 to 100"))
}

fn parse_paths(s: &str) -> Result<usize, String> {
    s.trim()
        .parse::<i64>()
        .ok()
        .filter(|p| (1..=10_000_000).contains(p))
        .map(|p| p as usize)
        .ok_or_else(|| {
            format!("'{s}' is not a number of paths; give a whole number from 1 to 10000000")
        })
}

fn parse_threads(s: &str) -> Result<usize, String> {
    s.trim()
        .parse::<usize>()
        .ok()
        .filter(|t| (1..=256).contains(t))
        .ok_or_else(|| format!("'{s}' is not a thread count from 1 to 256"))
}

fn parse_contribution(s: &str) -> Result<Contribution, String> {
    let (amount, period) = match s.split_once('/') {
        Some((a, p)) => (a, p.trim().to_ascii_lowercase()),
        None => (s, "year".to_string()),
    };
    let v = parse_money(amount)?;
    match period.as_str() {
        "year" | "yr" | "y" | "annual" => Ok(Contribution {
            per_year: v,
            monthly: false,
        }),
        "month" | "mo" | "m" => Ok(Contribution {
            per_year: v * Decimal::from(12),
            monthly: true,
        }),
        _ => Err(format!(
            "'{s}': the period after / is month or year (1500/month, 18000/year)"
        )),
    }
}

fn parse_named(s: &str) -> Result<(String, f64), String> {
    let (name, v) = s
        .split_once('=')
        .ok_or_else(|| format!("'{s}' is not ASSET=RATE (e.g. stocks=0.07)"))?;
    Ok((name.trim().to_string(), parse_signed_rate(v)?))
}

fn parse_pair(s: &str) -> Result<(String, String, f64), String> {
    let bad = || format!("'{s}' is not A:B=CORR (e.g. stocks:bonds=0.2)");
    let (pair, v) = s.split_once('=').ok_or_else(bad)?;
    let (a, b) = pair.split_once(':').ok_or_else(bad)?;
    let c = parse_signed_rate(v)?;
    if !(-1.0..=1.0).contains(&c) {
        return Err(format!("'{s}': a correlation is between -1 and 1"));
    }
    Ok((a.trim().to_string(), b.trim().to_string(), c))
}

impl Args {
    /// The inputs the flags state.
    fn inputs(&self) -> Inputs {
        let d = Inputs::default();
        Inputs {
            initial: self.initial,
            from_portfolio: self.from_portfolio,
            account: self.account.clone(),
            years: self.years,
            by: self.by,
            withdrawal_rate: self.withdrawal_rate,
            withdrawal: self.withdrawal,
            strategy: self.strategy.unwrap_or(d.strategy),
            floor: self.floor,
            ceiling: self.ceiling,
            vpw_return: self.vpw_return.unwrap_or(d.vpw_return),
            stocks: self.stocks,
            bonds: self.bonds,
            cash: self.cash,
            mu: self.mu.clone(),
            sigma: self.sigma.clone(),
            corr: self.corr.clone(),
            model: self.model.unwrap_or(d.model),
            nu: self.nu.unwrap_or(d.nu),
            block: self.block.unwrap_or(d.block),
            // Kept absolute, so that a saved plan runs from any folder.
            history: self
                .history
                .as_ref()
                .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())),
            inflation: self.inflation,
            contribution: self.contribution.map(|c| c.per_year),
            retire_in: self.retire_in,
            withdraw_at_end: self.withdraw_at == Some(WithdrawAt::End),
            goal: self.goal,
            fee: self.fee.unwrap_or(d.fee),
            rebalance: !self.no_rebalance,
            paths: self.paths,
            seed: self.seed,
            steps: self.steps.unwrap_or(d.steps),
            shrinkage: self.shrinkage.unwrap_or(d.shrinkage),
        }
    }
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    if (args.list || args.delete.is_some())
        && (args.inputs() != Inputs::default()
            || args.save.is_some()
            || args.load.is_some()
            || args.solve.is_some())
    {
        return Err(BadInput(
            "--list and --delete go alone (with --json at most); run a plan separately".into(),
        )
        .into());
    }
    if args.list {
        return list(ctx);
    }
    if let Some(name) = &args.delete {
        let store = ctx.store()?;
        if !store.delete_plan(name)? {
            return Err(
                BadInput(format!("no saved plan named '{name}' (folio plan --list)")).into(),
            );
        }
        if ctx.json {
            return json(&serde_json::json!({ "deleted": name }));
        }
        outln!("Deleted the plan '{name}'.");
        return Ok(());
    }
    let mut inputs = args.inputs();
    if let Some(name) = &args.save {
        plan_name(name)?;
    }
    if let Some(name) = &args.load {
        let mut stated = inputs.clone();
        stated.paths = None;
        stated.seed = None;
        if stated != Inputs::default() || args.solve.is_some() {
            return Err(BadInput(format!(
                "--load {name} runs the plan as saved; only --paths, --seed and --threads may change it"
            ))
            .into());
        }
        let saved = ctx
            .store()?
            .plans()?
            .into_iter()
            .find(|p| &p.name == name)
            .ok_or_else(|| BadInput(format!("no saved plan named '{name}' (folio plan --list)")))?;
        let mut loaded: Inputs = serde_json::from_str(&saved.inputs)
            .map_err(|e| BadInput(format!("the saved plan '{name}' cannot be read: {e}")))?;
        loaded.paths = inputs.paths.or(loaded.paths);
        loaded.seed = inputs.seed.or(loaded.seed);
        inputs = loaded;
    }
    if inputs.account.is_some() && !inputs.from_portfolio {
        return Err(BadInput("--account goes with --from-portfolio".into()).into());
    }
    let today = today();
    let ready = prepare(ctx, &inputs, today)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()?;
    let threads = pool.current_num_threads();
    let started = Instant::now();
    let control = Control::default();
    let solved =
        pool.install(|| solve_or_run(&ready.spec, args.solve, args.target_success, &control))?;
    let elapsed_ms = (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0;
    let (spec, outcome, solve) = solved;
    if let Some(name) = &args.save {
        // A solved plan is saved with its answer, so that --load runs what was shown.
        let mut saved = inputs.clone();
        match solve
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
        save(ctx, name, &saved, &spec, &outcome)?;
    }
    let out = Out::new(
        &spec,
        &outcome,
        &ready,
        solve,
        args.contribution,
        threads,
        elapsed_ms,
        today,
    );
    if ctx.json {
        return json(&out);
    }
    print(&out, &spec)?;
    if let Some(name) = &args.save {
        outln!("Saved as '{name}' (folio plan --load {name}).");
    }
    Ok(())
}

fn prepare(ctx: &Ctx, inputs: &Inputs, today: NaiveDate) -> anyhow::Result<Ready> {
    if !inputs.from_portfolio {
        return plans::prepare(inputs, &ctx.config, ctx.data_dir.as_deref(), None, today);
    }
    let store = ctx.store()?;
    let loaded = load_book(&store, ctx, Some(today), inputs.account.as_deref())?;
    let since = today
        .checked_sub_months(chrono::Months::new(12 * 5))
        .unwrap_or(NaiveDate::MIN);
    let closes = store.closes_since(since)?;
    let portfolio = Portfolio {
        book: &loaded.book,
        closes: &closes,
        securities: &ctx.config.securities,
        currency: &ctx.config.general.default_currency,
        account: loaded.account.as_deref(),
        transactions: &loaded.transactions,
        today,
    };
    plans::prepare(
        inputs,
        &ctx.config,
        ctx.data_dir.as_deref(),
        Some(&portfolio),
        today,
    )
}

/// What a solver found.
#[derive(Debug, Clone, Serialize)]
struct Solved {
    quantity: Solve,
    target_success: f64,
    /// The rate (fraction) or the yearly contribution; None when no value reaches the target.
    value: Option<f64>,
}

fn solve_or_run(
    spec: &Spec,
    solve: Option<Solve>,
    target: Option<f64>,
    control: &Control,
) -> anyhow::Result<(Spec, Outcome, Option<Solved>)> {
    let bad = |e: crate::analytics::montecarlo::SpecError| BadInput(e.to_string());
    let cancelled = |_| anyhow::anyhow!("the plan was cancelled");
    let Some(quantity) = solve else {
        let o = simulate(spec, control).map_err(cancelled)?.map_err(bad)?;
        return Ok((spec.clone(), o, None));
    };
    let target_success = target.unwrap_or(match quantity {
        Solve::WithdrawalRate => 0.95,
        Solve::Contribution => 0.9,
    });
    if !(0.0..=1.0).contains(&target_success) || target_success == 0.0 {
        return Err(BadInput(format!(
            "--target-success {target_success}: give a probability above 0 and at most 1 (0.95 or 95%)"
        ))
        .into());
    }
    let mut spec = spec.clone();
    let found = match quantity {
        Solve::WithdrawalRate => {
            if matches!(
                spec.strategy,
                crate::analytics::montecarlo::Strategy::Vpw { .. }
            ) {
                return Err(BadInput(
                    "--solve withdrawal-rate: the vpw strategy sets its own rate; choose another --strategy".into(),
                )
                .into());
            }
            if spec.initial == 0.0 && spec.retire_in == 0 {
                return Err(BadInput("--solve withdrawal-rate needs a starting value (--initial or --from-portfolio)".into()).into());
            }
            let found = solve_rate(&spec, target_success, control)
                .map_err(cancelled)?
                .map_err(bad)?;
            if let Some((rate, _)) = &found {
                spec.withdrawal = Withdrawal::Rate(*rate);
            }
            found
        }
        Solve::Contribution => {
            if spec.goal.is_none() && !(spec.withdraws() && spec.retire_in > 0) {
                return Err(BadInput(
                    "--solve contribution needs a target: a --goal, or withdrawals that start later (--withdrawal-rate or --withdrawal with --retire-in N)".into(),
                )
                .into());
            }
            let found = solve_contribution(&spec, target_success, control)
                .map_err(cancelled)?
                .map_err(bad)?;
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
            simulate(&spec, control).map_err(cancelled)?.map_err(bad)?,
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

/// A plan's name: 1 to 80 printable characters.
fn plan_name(name: &str) -> Result<&str, BadInput> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(BadInput(format!(
            "'{name}' cannot name a plan; use 1 to 80 printable characters"
        )));
    }
    Ok(name)
}

fn save(ctx: &Ctx, name: &str, inputs: &Inputs, spec: &Spec, o: &Outcome) -> anyhow::Result<()> {
    let name = plan_name(name)?;
    ctx.store()?.save_plan(&SavedPlan {
        name: name.to_string(),
        saved: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        inputs: serde_json::to_string(inputs)?,
        summary: serde_json::to_string(&plans::summary(spec, o))?,
    })?;
    Ok(())
}

#[derive(Serialize)]
struct Listed {
    name: String,
    saved: String,
    inputs: serde_json::Value,
    summary: serde_json::Value,
}

fn list(ctx: &Ctx) -> anyhow::Result<()> {
    let saved = ctx.store()?.plans()?;
    if ctx.json {
        let rows: Vec<Listed> = saved
            .into_iter()
            .map(|p| Listed {
                inputs: serde_json::from_str(&p.inputs).unwrap_or(serde_json::Value::Null),
                summary: serde_json::from_str(&p.summary).unwrap_or(serde_json::Value::Null),
                name: p.name,
                saved: p.saved,
            })
            .collect();
        return json(&rows);
    }
    if saved.is_empty() {
        outln!("No saved plans. Save one with: folio plan ... --save NAME");
        return Ok(());
    }
    let mut r = Report::new(&[
        "Name",
        "Saved",
        "Years>",
        "Paths>",
        "Success>",
        "Median end>",
        "~Goal>",
    ]);
    for p in saved {
        let s: Option<plans::Summary> = serde_json::from_str(&p.summary).ok();
        r.row(vec![
            p.name,
            p.saved.get(..10).unwrap_or(&p.saved).to_string(),
            s.as_ref().map_or(String::new(), |s| s.years.to_string()),
            s.as_ref().map_or(String::new(), |s| s.paths.to_string()),
            s.as_ref().map_or(String::new(), |s| pct1(s.success_rate)),
            s.as_ref()
                .map_or(String::new(), |s| money(s.median_terminal.round())),
            s.as_ref()
                .and_then(|s| s.goal_probability)
                .map_or(String::new(), pct1),
        ]);
    }
    r.print()?;
    Ok(())
}

#[derive(Serialize)]
struct YearPercentiles {
    year: usize,
    #[serde(flatten)]
    p: Bands,
}

/// Money leaves as Decimal (a string in the JSON, like every other command's), rounded to
/// cents: the floats stay inside the statistics.
fn as_money<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    use rust_decimal::prelude::FromPrimitive;
    let mut d = Decimal::from_f64(*x).unwrap_or_default().round_dp(2);
    d.rescale(2);
    serde::Serialize::serialize(&d, s)
}

fn as_money_opt<S: serde::Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match x {
        Some(x) => as_money(x, s),
        None => s.serialize_none(),
    }
}

/// Percentiles of money.
#[derive(Serialize, Clone, Copy)]
struct Bands {
    #[serde(serialize_with = "as_money")]
    p5: f64,
    #[serde(serialize_with = "as_money")]
    p25: f64,
    #[serde(serialize_with = "as_money")]
    p50: f64,
    #[serde(serialize_with = "as_money")]
    p75: f64,
    #[serde(serialize_with = "as_money")]
    p95: f64,
}

impl From<Percentiles> for Bands {
    fn from(p: Percentiles) -> Bands {
        Bands {
            p5: p.p5,
            p25: p.p25,
            p50: p.p50,
            p75: p.p75,
            p95: p.p95,
        }
    }
}

#[derive(Serialize)]
struct Terminal {
    #[serde(flatten)]
    p: Bands,
    #[serde(serialize_with = "as_money")]
    mean: f64,
}

#[derive(Serialize)]
struct Failures {
    year: usize,
    paths: u64,
    /// Share of all paths that ran out by the end of this year.
    cumulative_rate: f64,
}

#[derive(Serialize)]
struct Goal {
    #[serde(serialize_with = "as_money")]
    target: f64,
    by: Option<NaiveDate>,
    probability: f64,
    ci95: [f64; 2],
}

#[derive(Serialize)]
struct HistoryInfo {
    source: String,
    first_year: i32,
    last_year: i32,
}

#[derive(Serialize)]
struct Out {
    model: &'static str,
    strategy: &'static str,
    paths: usize,
    seed: u64,
    steps: &'static str,
    years: usize,
    threads: usize,
    elapsed_ms: f64,
    #[serde(serialize_with = "as_money")]
    initial: f64,
    #[serde(serialize_with = "as_money")]
    contribution_per_year: f64,
    retire_in: usize,
    withdrawal_rate: Option<f64>,
    #[serde(serialize_with = "as_money_opt")]
    withdrawal: Option<f64>,
    inflation: Option<f64>,
    fee: f64,
    rebalance: bool,
    assets: Vec<Asset>,
    correlations: Vec<Vec<f64>>,
    correlation_repair: f64,
    estimate_days: Option<usize>,
    left_out: Vec<String>,
    history: Option<HistoryInfo>,
    success_rate: f64,
    success_se: f64,
    success_ci95: [f64; 2],
    percentiles: Vec<YearPercentiles>,
    terminal: Terminal,
    withdrawals: Vec<YearPercentiles>,
    failures: Vec<Failures>,
    goal: Option<Goal>,
    solve: Option<Solved>,
    #[serde(skip)]
    contribution_monthly: bool,
}

impl Out {
    #[allow(clippy::too_many_arguments)]
    fn new(
        spec: &Spec,
        o: &Outcome,
        ready: &Ready,
        solve: Option<Solved>,
        contribution: Option<Contribution>,
        threads: usize,
        elapsed_ms: f64,
        today: NaiveDate,
    ) -> Out {
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
        // The horizon: whole years from today (with --by, the last whole year before it).
        let by = spec
            .goal
            .and_then(|_| today.checked_add_months(chrono::Months::new(12 * spec.years as u32)));
        Out {
            model: spec.model.label(),
            strategy: spec.strategy.label(),
            paths: o.paths,
            seed: spec.seed,
            steps: if spec.steps_per_year == 12 {
                "monthly"
            } else {
                "yearly"
            },
            years: spec.years,
            threads,
            elapsed_ms,
            initial: round(spec.initial, 2),
            contribution_per_year: round(spec.contribution, 2),
            retire_in: spec.retire_in,
            withdrawal_rate: match spec.withdrawal {
                Withdrawal::Rate(r) => Some(r),
                _ => None,
            },
            withdrawal: match spec.withdrawal {
                Withdrawal::Amount(a) => Some(round(a, 2)),
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
                mean: o.terminal_mean,
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
                target,
                by,
                probability: o.goal_probability.unwrap_or(0.0),
                ci95: o.goal_ci95.unwrap_or([0.0, 0.0]),
            }),
            solve,
            contribution_monthly: contribution.is_some_and(|c| c.monthly),
        }
    }
}

fn pct1(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

use crate::format::whole_dollars as dollars;

fn print(out: &Out, spec: &Spec) -> anyhow::Result<()> {
    let weights: Vec<String> = out
        .assets
        .iter()
        .map(|a| format!("{} {:.0}%", a.name, a.weight * 100.0))
        .collect();
    outln!(
        "{} years, {} steps, {} model, {} paths, seed {} ({} ms on {} threads)",
        out.years,
        out.steps,
        out.model,
        out.paths,
        out.seed,
        out.elapsed_ms,
        out.threads
    );
    let mut start = format!("Start {}", dollars(out.initial));
    if out.contribution_per_year > 0.0 {
        start += &if out.contribution_monthly {
            format!(
                ", saving {}/month",
                dollars(out.contribution_per_year / 12.0)
            )
        } else {
            format!(", saving {}/year", dollars(out.contribution_per_year))
        };
        if out.retire_in > 0 {
            start += &format!(" for {} years", out.retire_in);
        }
    }
    outln!("{start}; {}", weights.join(", "));
    let withdraw = match (out.withdrawal_rate, out.withdrawal) {
        (Some(r), _) => format!("withdrawing {:.2}% a year ({})", r * 100.0, out.strategy),
        (_, Some(a)) => format!("withdrawing {} a year ({})", dollars(a), out.strategy),
        _ if out.strategy == "vpw" => "withdrawing by VPW".to_string(),
        _ => "no withdrawals".to_string(),
    };
    let inflation = match (out.inflation, &out.history) {
        (Some(i), _) => format!("inflation {:.2}%", i * 100.0),
        (None, Some(h)) => format!(
            "inflation from the history {}-{}",
            h.first_year, h.last_year
        ),
        (None, None) => String::new(),
    };
    outln!("{withdraw}; {inflation}");
    if let Some(h) = &out.history {
        outln!("History: {} ({}-{})", h.source, h.first_year, h.last_year);
    }
    if let Some(days) = out.estimate_days {
        outln!(
            "From the holdings: {}",
            if days > 0 {
                format!("{days} days of common prices, shrunk toward the class defaults")
            } else {
                "too little common price history: the class defaults".to_string()
            }
        );
    }
    for l in &out.left_out {
        outln!("  left out: {l}");
    }
    if let Some(s) = &out.solve {
        match (s.quantity, s.value) {
            (Solve::WithdrawalRate, Some(r)) => outln!(
                "\nSafe withdrawal rate for {} success: {:.2}% ({} in the first year)",
                pct1(s.target_success),
                r * 100.0,
                dollars(r * spec.initial)
            ),
            (Solve::Contribution, Some(c)) => outln!(
                "\nContribution for {}: {}",
                pct1(s.target_success),
                if out.contribution_monthly {
                    format!("{}/month ({}/year)", dollars((c / 12.0).ceil()), dollars(c))
                } else {
                    format!("{}/year", dollars(c))
                }
            ),
            (_, None) => outln!(
                "\nNo value reaches {}: the plan below is the closest the solver tried.",
                pct1(s.target_success)
            ),
        }
    }
    outln!();
    if !out.withdrawals.is_empty() {
        outln!(
            "Success {} (95% CI {} to {}): paths with money left after {} years",
            pct1(out.success_rate),
            pct1(out.success_ci95[0]),
            pct1(out.success_ci95[1]),
            out.years
        );
    }
    if let Some(g) = &out.goal {
        outln!(
            "Goal {}{}: reached on {} of paths (95% CI {} to {})",
            dollars(g.target),
            g.by.map(|d| format!(" by {d}")).unwrap_or_default(),
            pct1(g.probability),
            pct1(g.ci95[0]),
            pct1(g.ci95[1])
        );
    }
    outln!("\nValue in today's dollars");
    let mut r = Report::new(&[
        "Year>",
        "5%>",
        "25%>",
        "Median>",
        "75%>",
        "95%>",
        "~Withdrawal (median)>",
    ]);
    let step = if out.years > 20 {
        5
    } else if out.years > 10 {
        2
    } else {
        1
    };
    for p in &out.percentiles {
        if p.year % step != 0 && p.year != out.years {
            continue;
        }
        let w = out
            .withdrawals
            .iter()
            .find(|w| w.year == p.year.max(1))
            .map_or(String::new(), |w| dollars(w.p.p50));
        r.row(vec![
            p.year.to_string(),
            dollars(p.p.p5),
            dollars(p.p.p25),
            dollars(p.p.p50),
            dollars(p.p.p75),
            dollars(p.p.p95),
            w,
        ]);
    }
    r.print()?;
    outln!("Mean at the end: {}", dollars(out.terminal.mean));
    if let Some(first) = out.failures.first() {
        let last = out.failures.last().map_or(0.0, |f| f.cumulative_rate);
        outln!(
            "Ran out: first in year {}, {} of paths by year {}",
            first.year,
            pct1(last),
            out.years
        );
    }
    if out.correlation_repair > 0.0 {
        outln!(
            "Note: the correlations were not consistent; they were shrunk {:.0}% toward 0 to run.",
            out.correlation_repair * 100.0
        );
    }
    Ok(())
}
