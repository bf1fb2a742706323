//! `folio lots`: open tax lots with their term and, where priced, unrealized gain.

use super::output::{Report, json, money, opt, outln, price, qty, warnings};
use super::{Ctx, Scope};
use crate::app::lots::{LotsParams, lots};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only lots of this symbol
    symbol: Option<String>,
    #[command(flatten)]
    scope: Scope,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let r = lots(
        ctx.session,
        &LotsParams {
            symbol: args.symbol,
            account: args.scope.account,
            as_of: args.scope.as_of,
        },
    )?;
    if ctx.json {
        return json(&r);
    }
    warnings(&r.warnings)?;
    if r.lots.is_empty() {
        outln!(
            "No open lots{} as of {}.",
            r.symbol
                .as_ref()
                .map(|s| format!(" of {s}"))
                .unwrap_or_default(),
            r.as_of
        );
        return Ok(());
    }
    let mut t = Report::new(&[
        "Account",
        "Symbol",
        "Acquired",
        "Quantity>",
        "~Cost/share>",
        "Cost basis>",
        "~Value>",
        "Gain>",
        "Term",
        "~Long term in>",
    ]);
    let mut carried = false;
    for l in &r.lots {
        let mark = if l.wash_sale_adjustment.is_zero() {
            ""
        } else {
            carried = true;
            " W"
        };
        t.row(vec![
            l.account.clone(),
            l.symbol.clone(),
            format!("{}{mark}", l.acquired),
            qty(l.quantity),
            opt(l.cost_per_share, price),
            money(l.cost_basis),
            opt(l.market_value, money),
            opt(l.unrealized_gain, money),
            l.term.as_str().into(),
            if l.days_to_long_term == 0 {
                String::new()
            } else {
                format!("{} d", l.days_to_long_term)
            },
        ]);
    }
    t.print()?;
    if carried {
        outln!(
            "W: a wash sale's disallowed loss is in the basis and the sold shares' holding period is carried over."
        );
    }
    Ok(())
}
