//! `folio performance`: time-weighted and money-weighted returns, CAGR, gains and income, per
//! account and per holding.

use chrono::NaiveDate;

use super::output::{Report, json, money, outln, warnings};
use super::{Ctx, parse_date_arg};
use crate::app::Summary;
use crate::app::performance::{PerformanceParams, performance};
use crate::format::{ratio_pct, signed_money};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only this account
    #[arg(long)]
    account: Option<String>,
    /// First day of the period (YYYY-MM-DD) [default: the first transaction]
    #[arg(long, value_parser = parse_date_arg)]
    from: Option<NaiveDate>,
    /// Last day of the period (YYYY-MM-DD) [default: today]
    #[arg(long, value_parser = parse_date_arg)]
    to: Option<NaiveDate>,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let r = performance(
        ctx.session,
        &PerformanceParams {
            account: args.account,
            from: args.from,
            to: args.to,
        },
    )?;
    if ctx.json {
        return json(&r);
    }
    warnings(&r.warnings)?;
    let account = r.account.clone();
    let p = &r.performance;
    outln!(
        "Performance in {} from {} to {} ({} days)",
        p.currency,
        p.from,
        p.to,
        p.days
    );
    outln!();
    let mut r = Report::new(&[
        "",
        "Start>",
        "End>",
        "~Deposits>",
        "~Withdrawals>",
        "Gain>",
        "TWR>",
        "~TWR/yr>",
        "XIRR>",
        "~CAGR>",
    ]);
    let mut row = |name: &str, s: &Summary| {
        r.row(vec![
            name.to_string(),
            money(s.start_value),
            money(s.end_value),
            money(s.deposits),
            money(s.withdrawals),
            signed_money(s.gain),
            ratio_pct(s.twr, 2),
            ratio_pct(s.twr_annualised, 2),
            ratio_pct(s.xirr, 2),
            ratio_pct(s.cagr, 2),
        ]);
    };
    row(account.as_deref().unwrap_or("Total"), &p.total);
    for a in &p.accounts {
        row(&a.account, &a.summary);
    }
    r.print()?;
    let t = &p.total;
    outln!();
    outln!(
        "Realized gain {}, unrealized {} ({} over the period); dividends {}, interest {}; fees {}, taxes withheld {}.",
        signed_money(t.realized_gain),
        signed_money(t.unrealized_gain),
        signed_money(t.unrealized_change),
        money(t.dividends),
        money(t.interest),
        money(t.fees),
        money(t.taxes_withheld)
    );
    if !p.holdings.is_empty() {
        outln!();
        let mut r = Report::new(&[
            "Holding",
            "~Start>",
            "End>",
            "~Net invested>",
            "~Dividends>",
            "Gain>",
            "Contribution>",
        ]);
        for h in &p.holdings {
            r.row(vec![
                h.symbol.clone(),
                money(h.start_value),
                money(h.end_value),
                signed_money(h.net_invested),
                money(h.dividends),
                signed_money(h.gain),
                ratio_pct(Some(h.contribution), 2),
            ]);
        }
        r.print()?;
    }
    for n in t.notes.iter().chain(&p.left_out) {
        outln!("Note: {n}");
    }
    Ok(())
}
