//! `folio risk`: volatility, Sharpe, Sortino, drawdowns, VaR and CVaR, beta and correlations of
//! the portfolio and each holding.

use chrono::NaiveDate;

use super::output::{Report, json, outln, warnings};
use super::{Ctx, parse_date_arg};
use crate::analytics::risk::Metrics;
use crate::app::risk::{RiskParams, risk};
use crate::format::{ratio_pct, stat};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Symbol to measure beta and correlation against, or "none" [default: risk.benchmark, VTI]
    #[arg(long, value_name = "SYMBOL")]
    benchmark: Option<String>,
    /// How far back: 90d, 6m, 1y, 3y... or all [default: risk.window, 1y]
    #[arg(long, value_name = "WINDOW")]
    window: Option<String>,
    /// End of the window (YYYY-MM-DD) [default: the newest close of the holdings]
    #[arg(long, value_parser = parse_date_arg)]
    as_of: Option<NaiveDate>,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let answer = risk(
        ctx.session,
        &RiskParams {
            benchmark: args.benchmark,
            window: args.window,
            as_of: args.as_of,
        },
    )?;
    if ctx.json {
        return json(&answer);
    }
    warnings(&answer.warnings)?;
    let report = &answer.report;
    let window_text = &answer.window;
    let rf = report.risk_free_rate;
    let p = &report.portfolio;
    outln!(
        "Risk in {} over {} ({} to {}), risk-free rate {:.2}%{}",
        report.currency,
        window_text,
        p.from.map_or("-".into(), |d| d.to_string()),
        p.to.map_or("-".into(), |d| d.to_string()),
        rf * 100.0,
        report
            .benchmark
            .as_ref()
            .map_or(String::new(), |b| format!(", against {b}"))
    );
    outln!();
    let mut r = Report::new(&[
        "",
        "~Weight>",
        "Return>",
        "Volatility>",
        "Sharpe>",
        "~Sortino>",
        "Max DD>",
        "~Now>",
        "VaR95>",
        "~CVaR95>",
        "~Beta>",
        "~Corr>",
    ]);
    let mut row = |name: &str, weight: Option<f64>, m: &Metrics| {
        let one_day = m
            .var
            .iter()
            .find(|v| v.level == 0.95 && v.horizon_days == 1);
        r.row(vec![
            name.to_string(),
            weight.map_or(String::new(), |w| format!("{:.1}%", w * 100.0)),
            ratio_pct(m.annualised_return.or(m.total_return), 1),
            ratio_pct(m.volatility, 1)
                .trim_start_matches('+')
                .to_string(),
            stat(m.sharpe, 2),
            stat(m.sortino, 2),
            ratio_pct(m.max_drawdown.as_ref().map(|d| d.depth), 1),
            ratio_pct(m.current_drawdown, 1),
            ratio_pct(one_day.and_then(|v| v.historical_var), 2)
                .trim_start_matches('+')
                .to_string(),
            ratio_pct(one_day.and_then(|v| v.historical_cvar), 2)
                .trim_start_matches('+')
                .to_string(),
            stat(m.beta, 2),
            stat(m.correlation, 2),
        ]);
    };
    row("Portfolio", None, p);
    for h in &report.holdings {
        row(&h.symbol, Some(h.weight), &h.metrics);
    }
    r.print()?;
    outln!(
        "Return is annualised over a year or more; VaR95 and CVaR95 are 1-day historical losses."
    );
    if let Some(d) = &p.max_drawdown {
        outln!();
        outln!(
            "Portfolio's deepest drawdown: {:.1}% from the peak on {} to the trough on {}, {}.",
            d.depth * 100.0,
            d.peak,
            d.trough,
            match d.recovery {
                Some(r) => format!("recovered on {r} ({} days from the peak)", d.duration_days),
                None => format!("not recovered ({} days so far)", d.duration_days),
            }
        );
    }
    outln!();
    let mut r = Report::new(&[
        "Portfolio VaR",
        "Horizon>",
        "Historical>",
        "CVaR>",
        "Parametric>",
        "~Param. CVaR>",
    ]);
    for v in &p.var {
        let f = |x: Option<f64>| ratio_pct(x, 2).trim_start_matches('+').to_string();
        r.row(vec![
            format!("{:.0}%", v.level * 100.0),
            format!(
                "{} day{}",
                v.horizon_days,
                if v.horizon_days == 1 { "" } else { "s" }
            ),
            f(v.historical_var),
            f(v.historical_cvar),
            f(v.parametric_var),
            f(v.parametric_cvar),
        ]);
    }
    r.print()?;
    let c = &report.correlation;
    let any_pair = c
        .matrix
        .iter()
        .enumerate()
        .any(|(i, row)| row.iter().enumerate().any(|(j, x)| i != j && x.is_some()));
    if c.symbols.len() > 1 && !any_pair {
        outln!();
        outln!("No correlations: no pair of holdings has enough days in common in the window.");
    } else if c.symbols.len() > 1 {
        outln!();
        outln!("Correlations of daily returns (pairs on the days both have prices):");
        let mut header = vec!["".to_string()];
        header.extend(c.symbols.iter().map(|s| format!("{s}>")));
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let mut r = Report::new(&header);
        for (s, cells) in c.symbols.iter().zip(&c.matrix) {
            let mut row = vec![s.clone()];
            row.extend(cells.iter().map(|x| stat(*x, 2)));
            r.row(row);
        }
        r.print()?;
    }
    for n in report.notes.iter().chain(&p.unavailable) {
        outln!("Note: {n}");
    }
    Ok(())
}
