//! `folio holdings`: positions per account, valued at the latest close.

use super::output::{Report, json, money, opt, outln, pct, price, qty, warnings};
use super::{Ctx, Scope};
use crate::app::holdings::{HoldingsParams, holdings};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    scope: Scope,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let r = holdings(
        ctx.session,
        &HoldingsParams {
            account: args.scope.account,
            as_of: args.scope.as_of,
        },
    )?;
    if ctx.json {
        return json(&r);
    }
    warnings(&r.warnings)?;
    if r.holdings.is_empty() {
        outln!(
            "No holdings as of {}. Import transactions with: folio import FILE",
            r.as_of
        );
        return Ok(());
    }
    let mut t = Report::new(&[
        "Account",
        "Symbol",
        "Quantity>",
        "Price>",
        "Value>",
        "~Cost basis>",
        "Gain>",
        "~Gain %>",
        "~Weight>",
        "~Ccy",
    ]);
    for h in &r.holdings {
        t.row(vec![
            h.account.clone(),
            h.symbol.clone(),
            qty(h.quantity),
            opt(h.price, price),
            opt(h.market_value, money),
            money(h.cost_basis),
            opt(h.unrealized_gain, money),
            opt(h.unrealized_gain_pct, pct),
            opt(h.weight_pct, pct),
            h.currency.clone(),
        ]);
    }
    for x in &r.totals {
        t.row(vec![
            "Total".into(),
            String::new(),
            String::new(),
            String::new(),
            money(x.market_value),
            money(x.cost_basis),
            money(x.unrealized_gain),
            String::new(),
            String::new(),
            x.currency.clone(),
        ]);
    }
    t.print()?;
    let unpriced: usize = r.totals.iter().map(|x| x.unpriced).sum();
    if unpriced > 0 {
        outln!(
            "\n{unpriced} holding(s) have no price on or before {} and are left out of the totals; add closes with: folio prices import FILE",
            r.as_of
        );
    }
    Ok(())
}
