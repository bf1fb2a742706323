//! `folio realized`: closed lots with proceeds, basis, gain and term, and yearly totals.

use super::Ctx;
use super::output::{Report, json, money, money_or_blank, outln, qty, warnings};
use crate::app::realized::{RealizedParams, realized};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only sales in this tax year
    #[arg(long)]
    year: Option<i32>,
    /// Only this account
    #[arg(long)]
    account: Option<String>,
    /// Only this symbol
    #[arg(long)]
    symbol: Option<String>,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let r = realized(
        ctx.session,
        &RealizedParams {
            year: args.year,
            account: args.account,
            symbol: args.symbol,
        },
    )?;
    if ctx.json {
        return json(&r);
    }
    warnings(&r.warnings)?;
    if r.disposals.is_empty() {
        outln!(
            "No realized gains or losses{}.",
            r.year.map(|y| format!(" in {y}")).unwrap_or_default()
        );
        return Ok(());
    }
    let mut t = Report::new(&[
        "Account",
        "Symbol",
        "~Acquired",
        "Sold",
        "Quantity>",
        "Proceeds>",
        "Cost basis>",
        "Wash sale>",
        "Gain>",
        "Term",
        "~Ccy",
    ]);
    for d in &r.disposals {
        t.row(vec![
            d.account.clone(),
            d.symbol.clone(),
            d.purchased.to_string(),
            d.sold.to_string(),
            qty(d.quantity),
            money(d.proceeds),
            money(d.cost),
            money_or_blank(d.disallowed),
            money(d.gain),
            d.term.as_str().into(),
            d.currency.clone(),
        ]);
    }
    t.print()?;
    outln!();
    let mut t = Report::new(&[
        "Currency",
        "Proceeds>",
        "Cost basis>",
        "Short-term gain>",
        "Long-term gain>",
        "Total gain>",
        "Wash sale>",
    ]);
    for x in &r.totals {
        t.row(vec![
            x.currency.clone(),
            money(x.proceeds),
            money(x.cost_basis),
            money(x.short_term_gain),
            money(x.long_term_gain),
            money(x.total_gain),
            money(x.wash_sale_disallowed),
        ]);
    }
    t.print()?;
    Ok(())
}
