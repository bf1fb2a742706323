//! `folio plan`: Monte Carlo plans for retirement and goals, the solvers, and saved plans.

use std::path::PathBuf;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::output::{Report, json, outln};
use super::{Ctx, named};
use crate::app::bad;
use crate::app::plan::{
    Inputs, ModelName, PlanReport, RunOptions, Solve, StepsName, StrategyName, delete, list,
    plan_name, rerun, run as run_plan, save,
};
use crate::format::money;

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
    #[arg(long, value_parser = named::<StrategyName>(), ignore_case = true)]
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
    #[arg(long, value_parser = named::<ModelName>(), ignore_case = true)]
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
    #[arg(long, value_parser = named::<StepsName>(), ignore_case = true)]
    steps: Option<StepsName>,
    /// Threads to run on [default: all cores]; the numbers do not depend on it
    #[arg(long, value_parser = parse_threads)]
    threads: Option<usize>,
    /// Solve for the withdrawal rate or the contribution that reaches --target-success
    #[arg(long, value_parser = named::<Solve>(), ignore_case = true)]
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
    crate::format::parse_rate(s)
}

/// A rate or a share from 0 to 1 (the one rule: 0.04 or 4%; a bare 4 is 400%, refused).
fn parse_rate(s: &str) -> Result<f64, String> {
    crate::format::rate_in(s, 0.0, 1.0)
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
        .filter(|p| (1..=crate::app::plan::MAX_PATHS as i64).contains(p))
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
            solve: self.solve,
            target_success: self.target_success,
        }
    }

    /// Saving or deleting a plan writes to the database.
    pub fn writes(&self) -> bool {
        self.save.is_some() || self.delete.is_some()
    }
}

pub async fn run(ctx: &Ctx<'_>, args: Args) -> anyhow::Result<()> {
    let s = ctx.session;
    if (args.list || args.delete.is_some())
        && (args.inputs() != Inputs::default() || args.save.is_some() || args.load.is_some())
    {
        return Err(bad(
            "--list and --delete go alone (with --json at most); run a plan separately",
        )
        .into());
    }
    if args.list {
        return print_list(ctx);
    }
    if let Some(name) = &args.delete {
        let r = delete(s, name)?;
        if ctx.json {
            return json(&r);
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
        if stated != Inputs::default() {
            return Err(bad(format!(
                "--load {name} runs the plan as saved; only --paths, --seed and --threads may change it"
            ))
            .into());
        }
        inputs = rerun(s, name, inputs.paths, inputs.seed)?;
    } else if inputs.initial.is_none()
        && !inputs.from_portfolio
        && inputs.contribution.is_none()
        && inputs.solve.is_none()
    {
        // The model's own words name no flags (the Plan pane shows them too).
        return Err(bad(
            "the plan starts with nothing and adds nothing; give --initial, --from-portfolio or --contribution",
        )
        .into());
    }
    let report = run_plan(
        s,
        &inputs,
        &RunOptions {
            threads: args.threads,
            ..RunOptions::default()
        },
    )
    .await?;
    if let Some(name) = &args.save {
        // A solved plan is saved with its answer, so that --load runs what was shown.
        save(s, name, &inputs, Some(&report))?;
    }
    if ctx.json {
        return json(&report);
    }
    print(&report, args.contribution.is_some_and(|c| c.monthly))?;
    if let Some(name) = &args.save {
        outln!("Saved as '{name}' (folio plan --load {name}).");
    }
    Ok(())
}

fn print_list(ctx: &Ctx) -> anyhow::Result<()> {
    let r = list(ctx.session)?;
    if ctx.json {
        return json(&r);
    }
    if r.plans.is_empty() {
        outln!("No saved plans. Save one with: folio plan ... --save NAME");
        return Ok(());
    }
    let mut t = Report::new(&[
        "Name",
        "Saved",
        "Years>",
        "Paths>",
        "Success>",
        "Median end>",
        "~Goal>",
    ]);
    for p in &r.plans {
        let s = p.summary.as_ref();
        t.row(vec![
            p.name.clone(),
            p.saved.get(..10).unwrap_or(&p.saved).to_string(),
            s.map_or(String::new(), |s| s.years.to_string()),
            s.map_or(String::new(), |s| s.paths.to_string()),
            s.map_or(String::new(), |s| pct1(s.success_rate)),
            s.map_or(String::new(), |s| money(s.median_terminal.round())),
            s.and_then(|s| s.goal_probability)
                .map_or(String::new(), pct1),
        ]);
    }
    t.print()?;
    Ok(())
}

fn pct1(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

use crate::format::whole_dollars as dollars;

fn print(out: &PlanReport, monthly: bool) -> anyhow::Result<()> {
    let f = |d: Decimal| d.to_f64().unwrap_or(0.0);
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
    let mut start = format!("Start {}", dollars(f(out.initial)));
    if out.contribution_per_year > Decimal::ZERO {
        start += &if monthly {
            format!(
                ", saving {}/month",
                dollars(f(out.contribution_per_year) / 12.0)
            )
        } else {
            format!(", saving {}/year", dollars(f(out.contribution_per_year)))
        };
        if out.retire_in > 0 {
            start += &format!(" for {} years", out.retire_in);
        }
    }
    outln!("{start}; {}", weights.join(", "));
    let withdraw = match (out.withdrawal_rate, out.withdrawal) {
        (Some(r), _) => format!("withdrawing {:.2}% a year ({})", r * 100.0, out.strategy),
        (_, Some(a)) => format!("withdrawing {} a year ({})", dollars(f(a)), out.strategy),
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
                dollars(r * f(out.initial))
            ),
            (Solve::Contribution, Some(c)) => outln!(
                "\nContribution for {}: {}",
                pct1(s.target_success),
                if monthly {
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
            dollars(f(g.target)),
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
            .map_or(String::new(), |w| dollars(f(w.p.p50)));
        r.row(vec![
            p.year.to_string(),
            dollars(f(p.p.p5)),
            dollars(f(p.p.p25)),
            dollars(f(p.p.p50)),
            dollars(f(p.p.p75)),
            dollars(f(p.p.p95)),
            w,
        ]);
    }
    r.print()?;
    outln!("Mean at the end: {}", dollars(f(out.terminal.mean)));
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
