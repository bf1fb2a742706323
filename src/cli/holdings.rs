//! `folio holdings`: positions per account, valued at the latest close.

use chrono::NaiveDate;
use serde::Serialize;

use super::output::{Report, json, money, opt, outln, pct, price, qty};
use super::{Ctx, Scope};
use crate::ledger::holdings::{Holding, Totals, value};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    scope: Scope,
}

#[derive(Serialize)]
struct Out {
    as_of: NaiveDate,
    holdings: Vec<Holding>,
    totals: Vec<Totals>,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let (as_of, loaded) = args.scope.load(&store, ctx)?;
    let positions = loaded
        .book
        .positions()
        .into_iter()
        .filter(|p| loaded.wants(&p.account))
        .collect();
    let closes = store.latest_closes(as_of)?;
    let (holdings, totals) = value(positions, |s| closes.get(s).copied());
    if ctx.json {
        return json(&Out {
            as_of,
            holdings,
            totals,
        });
    }
    if holdings.is_empty() {
        outln!("No holdings as of {as_of}. Import transactions with: folio import FILE");
        return Ok(());
    }
    let mut r = Report::new(&[
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
    for h in &holdings {
        r.row(vec![
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
    for t in &totals {
        r.row(vec![
            "Total".into(),
            String::new(),
            String::new(),
            String::new(),
            money(t.market_value),
            money(t.cost_basis),
            money(t.unrealized_gain),
            String::new(),
            String::new(),
            t.currency.clone(),
        ]);
    }
    r.print()?;
    let unpriced: usize = totals.iter().map(|t| t.unpriced).sum();
    if unpriced > 0 {
        outln!(
            "\n{unpriced} holding(s) have no price on or before {as_of} and are left out of the totals; add closes with: folio prices import FILE"
        );
    }
    Ok(())
}
