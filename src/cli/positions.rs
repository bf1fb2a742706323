//! `folio positions`: the broker's positions beside the ledger's, with the differences.

use rust_decimal::Decimal;

use super::output::{Report, json, money, outln, qty, warnings};
use super::{Ctx, named};
use crate::app::positions::{BrokerSource, PositionsParams, positions};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where the positions come from
    #[arg(long, value_parser = named::<BrokerSource>(), ignore_case = true, default_value = "ibkr")]
    source: BrokerSource,
}

pub async fn run(ctx: &Ctx<'_>, args: Args) -> anyhow::Result<()> {
    let r = positions(
        ctx.session,
        &PositionsParams {
            source: args.source,
        },
    )
    .await?;
    if ctx.json {
        return json(&r);
    }
    warnings(&r.warnings)?;
    if r.positions.is_empty() {
        outln!("Neither the broker nor the linked ledger accounts hold any position.");
    } else {
        let mut t = Report::new(&[
            "Account",
            "~Broker account",
            "Symbol",
            "Broker>",
            "Ledger>",
            "Difference>",
            "Status",
        ]);
        for p in &r.positions {
            t.row(vec![
                p.account.clone(),
                p.broker_account.clone(),
                p.symbol.clone(),
                qty(p.broker),
                qty(p.ledger),
                qty(p.difference),
                p.status.as_str().to_string(),
            ]);
        }
        t.print()?;
    }
    for a in &r.accounts {
        let cur = a.currency.as_deref().unwrap_or("");
        let v = |d: Option<Decimal>| {
            d.map(|d| format!("{} {cur}", money(d)))
                .unwrap_or_else(|| "-".into())
        };
        outln!(
            "{} ({}): net liquidation {}, cash {}",
            a.account,
            a.broker_account,
            v(a.net_liquidation),
            v(a.cash)
        );
    }
    match r.differences {
        0 => outln!("The ledger agrees with the broker."),
        n => outln!(
            "{n} position(s) differ: a trade, transfer or corporate action is probably missing from the imports (folio import --format ibkr-flex FILE)."
        ),
    }
    if !r.not_compared.is_empty() {
        outln!(
            "Not compared (no broker account linked; see [ibkr.accounts] in the config): {}",
            r.not_compared.join(", ")
        );
    }
    Ok(())
}
