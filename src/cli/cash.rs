//! `folio cash`: the cash balance of every account in every currency.

use super::output::{Report, json, money, outln, warnings};
use super::{Ctx, Scope};
use crate::app::holdings::{CashParams, cash};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    scope: Scope,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let r = cash(
        ctx.session,
        &CashParams {
            account: args.scope.account,
            as_of: args.scope.as_of,
        },
    )?;
    if ctx.json {
        return json(&r);
    }
    warnings(&r.warnings)?;
    if r.balances.is_empty() {
        outln!("No cash balances as of {}.", r.as_of);
        return Ok(());
    }
    let mut t = Report::new(&["Account", "Currency", "Balance>"]);
    for b in &r.balances {
        t.row(vec![
            b.account.clone(),
            b.currency.clone(),
            money(b.balance),
        ]);
    }
    t.print()?;
    if r.negative {
        outln!(
            "\nA negative balance means more went out than came in: a deposit or an FX conversion may be missing from the imports."
        );
    }
    Ok(())
}
