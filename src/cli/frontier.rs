//! `folio frontier`: the long-only efficient frontier of the held symbols or asset classes, the
//! minimum-variance and maximum-Sharpe portfolios, and where today's mix stands.

use chrono::NaiveDate;

use super::output::{Report, json, outln, warnings};
use super::{Ctx, parse_date_arg};
use crate::app::frontier::{By, FrontierParams, FrontierReport, Mix, frontier};
use crate::format::{ratio_pct, stat};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// How far back the returns are measured: 1y, 3y, 5y, 90d... or all [default: 5y]
    #[arg(long, value_name = "WINDOW")]
    window: Option<String>,
    /// Least weight of every asset: 0.05 or 5% [default: 0]
    #[arg(long, value_name = "SHARE", value_parser = parse_share)]
    min_weight: Option<f64>,
    /// Greatest weight of every asset: 0.6 or 60% [default: 1, no limit]
    #[arg(long, value_name = "SHARE", value_parser = parse_share)]
    max_weight: Option<f64>,
    /// Mix the held symbols, or the asset classes (each class's symbols at today's weights)
    #[arg(long, value_enum, default_value_t = ByArg::Symbol)]
    by: ByArg,
    /// Portfolios on the curve, 2 to 200 [default: 50]
    #[arg(long, value_name = "N")]
    points: Option<usize>,
    /// Show every point of the curve (default: every 5th, and the last)
    #[arg(long)]
    all_points: bool,
    /// End of the window (YYYY-MM-DD) [default: the newest close of the holdings]
    #[arg(long, value_parser = parse_date_arg)]
    as_of: Option<NaiveDate>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum ByArg {
    Symbol,
    Class,
}

/// A share from 0 to 1, by the one rule (0.6 or 60%; a bare 60 is refused with what to write).
fn parse_share(s: &str) -> Result<f64, String> {
    crate::format::rate_in(s, 0.0, 1.0)
}

/// Every `step`-th point, and the last.
const STEP: usize = 5;

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let r = frontier(
        ctx.session,
        &FrontierParams {
            window: args.window,
            min_weight: args.min_weight,
            max_weight: args.max_weight,
            by: match args.by {
                ByArg::Symbol => By::Symbol,
                ByArg::Class => By::Class,
            },
            points: args.points,
            as_of: args.as_of,
        },
    )?;
    if ctx.json {
        return json(&r);
    }
    warnings(&r.warnings)?;
    print(&r, args.all_points)
}

fn pct(x: f64) -> String {
    ratio_pct(Some(x), 1)
}

fn vol(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn weight(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The largest weights of a mix, largest first: "BND 62%, AGG 21%, JNJ 9% +3 more".
fn top(m: &Mix, most: usize) -> String {
    let mut w: Vec<(&str, f64)> = m
        .weights
        .iter()
        .filter(|w| w.weight >= 0.005)
        .map(|w| (w.name.as_str(), w.weight))
        .collect();
    w.sort_by(|a, b| b.1.total_cmp(&a.1));
    let more = w.len().saturating_sub(most);
    let mut text = w
        .iter()
        .take(most)
        .map(|(n, x)| format!("{n} {:.0}%", x * 100.0))
        .collect::<Vec<_>>()
        .join(", ");
    if more > 0 {
        text.push_str(&format!(" +{more} more"));
    }
    text
}

fn print(r: &FrontierReport, all_points: bool) -> anyhow::Result<()> {
    let what = match r.by {
        By::Symbol => "holdings",
        By::Class => "asset classes",
    };
    let bounds = if r.min_weight > 0.0 || r.max_weight < 1.0 {
        format!(
            ", each weight {} to {}",
            crate::format::percent_text(r.min_weight),
            crate::format::percent_text(r.max_weight)
        )
    } else {
        String::new()
    };
    outln!(
        "Efficient frontier of {} {what} in {} over {} ({} to {}, {} days), risk-free rate {:.2}%{bounds}",
        r.assets.len(),
        r.currency,
        r.window,
        r.from,
        r.to,
        r.days,
        r.risk_free_rate * 100.0
    );
    outln!();
    // The assets, with their weight today and in the three landmark portfolios.
    let mut t = Report::new(&[
        "",
        "Return>",
        "Volatility>",
        "Now>",
        "Min var>",
        "Max Sharpe>",
        "~Max return>",
    ]);
    let at = |m: Option<&Mix>, i: usize| m.map_or("-".to_string(), |m| weight(m.weights[i].weight));
    for (i, a) in r.assets.iter().enumerate() {
        t.row(vec![
            a.name.clone(),
            pct(a.expected_return),
            vol(a.volatility),
            weight(a.weight),
            at(Some(&r.min_variance), i),
            at(r.max_sharpe.as_ref(), i),
            at(Some(&r.max_return), i),
        ]);
    }
    t.print()?;
    outln!(
        "Return is the annualised mean daily return; volatility from the Ledoit-Wolf shrunk covariance."
    );
    outln!();
    let mut t = Report::new(&["Portfolio", "Return>", "Volatility>", "Sharpe>"]);
    let mut row = |name: &str, m: &Mix| {
        t.row(vec![
            name.to_string(),
            pct(m.expected_return),
            vol(m.volatility),
            stat(m.sharpe, 2),
        ]);
    };
    let c = &r.current;
    row("Your mix", &c.mix);
    row("Minimum variance", &r.min_variance);
    if let Some(m) = &r.max_sharpe {
        row("Maximum Sharpe", m);
    }
    row("Maximum return", &r.max_return);
    if let Some(m) = &c.best_return_at_same_volatility {
        row("Best at your volatility", m);
    }
    if let Some(m) = &c.least_volatility_at_same_return {
        row("Calmest at your return", m);
    }
    t.print()?;
    if let Some(why) = &r.max_sharpe_unavailable {
        outln!("No maximum-Sharpe portfolio: {why}.");
    }
    outln!();
    let n = r.points.len();
    if all_points || n <= 2 * STEP {
        outln!("The frontier ({n} points):");
    } else {
        outln!("The frontier (every {STEP}th of {n} points; --all-points shows all):");
    }
    let mut t = Report::new(&[
        "#>",
        "Return>",
        "Volatility>",
        "Sharpe>",
        "~Largest weights",
    ]);
    for (i, p) in r.points.iter().enumerate() {
        if !(all_points || n <= 2 * STEP || i % STEP == 0 || i + 1 == n) {
            continue;
        }
        t.row(vec![
            (i + 1).to_string(),
            pct(p.expected_return),
            vol(p.volatility),
            stat(p.sharpe, 2),
            top(p, 4),
        ]);
    }
    t.print()?;
    outln!();
    outln!("{}", position(r));
    for n in &r.notes {
        outln!("Note: {n}");
    }
    Ok(())
}

/// Today's mix against the curve, in a sentence.
fn position(r: &FrontierReport) -> String {
    let c = &r.current;
    let mut s = format!(
        "Your mix: {:.1}% return at {:.1}% volatility",
        c.mix.expected_return * 100.0,
        c.mix.volatility * 100.0
    );
    let better = c
        .best_return_at_same_volatility
        .as_ref()
        .map(|m| format!("{:.1}% at the same volatility", m.expected_return * 100.0));
    let calmer = c
        .least_volatility_at_same_return
        .as_ref()
        .map(|m| format!("the same return at {:.1}%", m.volatility * 100.0));
    match (better, calmer) {
        (Some(b), Some(c)) => s.push_str(&format!("; the curve gives {b}, or {c}.")),
        (Some(b), None) => s.push_str(&format!(
            "; the curve gives {b} (no mix within the bounds is expected to return as much as yours)."
        )),
        (None, Some(c)) => s.push_str(&format!(
            "; the curve gives {c} (no mix within the bounds is as calm as yours)."
        )),
        (None, None) => s.push('.'),
    }
    s
}
