//! `folio rebalance`: the trades back to the targets at the least estimated tax, beside a
//! tax-blind proportional plan.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::output::{Report, json, money, outln, qty, warnings};
use super::{Ctx, parse_date_arg};
use crate::analytics::rebalance::{Method, Plan};
use crate::app::rebalance::{RebalanceParams, order_command, rebalance};
use crate::domain::Named;
use crate::domain::order::Side;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// New cash to invest first, in the default currency [default: 0]
    #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true)]
    cash: Option<Decimal>,
    /// The account new cash goes into [default: the largest taxable account]
    #[arg(long, value_name = "NAME")]
    cash_account: Option<String>,
    /// Only buy, with cash: sell nothing
    #[arg(long)]
    no_sell: bool,
    /// At most this many trades [default: no limit]
    #[arg(long, value_name = "N")]
    max_trades: Option<usize>,
    /// Plan at the least estimated tax (the default)
    #[arg(long, conflicts_with = "ignore_taxes")]
    tax_aware: bool,
    /// Propose the tax-blind proportional plan instead (the tax-aware one is still shown)
    #[arg(long)]
    ignore_taxes: bool,
    /// Let the tax-aware plan sell lots at a short-term gain when that is the only way back
    #[arg(long)]
    allow_short_term: bool,
    /// Rebalance this account's own set [default: the household's set]
    #[arg(long, value_name = "NAME")]
    account: Option<String>,
    /// Leave out trades smaller than this [default: rebalance.min_trade, 100]
    #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true)]
    min_trade: Option<Decimal>,
    /// Plan at the end of this day, at its closes (YYYY-MM-DD) [default: today]
    #[arg(long, value_parser = parse_date_arg)]
    as_of: Option<NaiveDate>,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let report = rebalance(
        ctx.session,
        &RebalanceParams {
            cash: args.cash,
            cash_account: args.cash_account,
            no_sell: args.no_sell,
            max_trades: args.max_trades,
            ignore_taxes: args.ignore_taxes,
            allow_short_term: args.allow_short_term,
            account: args.account,
            min_trade: args.min_trade,
            as_of: args.as_of,
        },
    )?;
    if ctx.json {
        return json(&report);
    }
    warnings(&report.warnings)?;
    super::targets::view(&report.targets, &report.currency, report.as_of)?;
    if report.new_cash > Decimal::ZERO {
        outln!(
            "New cash: {} into {}.",
            money(report.new_cash),
            report.new_cash_account.as_deref().unwrap_or("-")
        );
    }
    outln!();
    plan(&report.plan)?;
    outln!();
    let other = &report.alternative;
    outln!(
        "Beside it, the {} plan: {} trades, turnover {} ({:.1}%), estimated tax {}{}.",
        name(other.method),
        other.trades.len(),
        money(other.turnover),
        other.turnover_pct.round_dp(1),
        money(other.estimated_tax),
        if report.tax_saved > Decimal::ZERO {
            format!(
                ": the proposed plan saves {} of tax",
                money(report.tax_saved)
            )
        } else {
            String::new()
        }
    );
    Ok(())
}

fn name(m: Method) -> &'static str {
    match m {
        Method::TaxAware => "tax-aware",
        Method::Proportional => "tax-blind proportional",
    }
}

fn plan(p: &Plan) -> anyhow::Result<()> {
    outln!(
        "The {} plan: {} trades, sold {}, bought {}, turnover {} ({:.1}%), estimated tax {}",
        name(p.method),
        p.trades.len(),
        money(p.sold),
        money(p.bought),
        money(p.turnover),
        p.turnover_pct.round_dp(1),
        money(p.estimated_tax)
    );
    if !p.trades.is_empty() {
        let mut r = Report::new(&[
            "", "Account", "Symbol", "Shares>", "~Price>", "Amount>", "Gain>", "Tax>", "~Why",
        ]);
        for t in &p.trades {
            let gain = t.short_term_gain + t.long_term_gain;
            r.row(vec![
                t.side.name().into(),
                t.account.clone(),
                t.symbol.clone(),
                qty(t.quantity),
                money(t.price),
                money(t.amount),
                if t.side == Side::Sell {
                    money(gain)
                } else {
                    String::new()
                },
                if t.side == Side::Sell {
                    money(t.estimated_tax)
                } else {
                    String::new()
                },
                t.reason.clone(),
            ]);
        }
        r.print()?;
    }
    let left: Vec<String> = p
        .drift
        .iter()
        .map(|d| {
            format!(
                "{} {:.1}% ({})",
                d.target,
                d.pct_after.round_dp(1),
                crate::format::points(d.drift_after)
            )
        })
        .collect();
    outln!(
        "After it: {}; cash {}.",
        left.join(", "),
        money(p.cash_after)
    );
    for d in &p.deferred {
        outln!("{}.", d.describe());
    }
    for n in &p.notes {
        outln!("Note: {n}.");
    }
    if !p.trades.is_empty() {
        outln!("To place them (each asks for confirmation):");
        for t in &p.trades {
            outln!("  {}", order_command(t));
        }
    }
    Ok(())
}
