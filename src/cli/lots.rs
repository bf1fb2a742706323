//! `folio lots`: open tax lots with their term and, where priced, unrealized gain.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::output::{Report, json, money, opt, outln, price, qty};
use super::{Ctx, Scope};
use crate::domain::{Term, long_term_from, term};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only lots of this symbol
    symbol: Option<String>,
    #[command(flatten)]
    scope: Scope,
}

#[derive(Serialize)]
struct LotOut {
    account: String,
    symbol: String,
    acquired: NaiveDate,
    holding_period_from: NaiveDate,
    quantity: Decimal,
    cost_basis: Decimal,
    wash_sale_adjustment: Decimal,
    cost_per_share: Option<Decimal>,
    term: Term,
    long_term_on: NaiveDate,
    days_to_long_term: i64,
    price: Option<Decimal>,
    market_value: Option<Decimal>,
    unrealized_gain: Option<Decimal>,
    currency: String,
}

#[derive(Serialize)]
struct Out {
    as_of: NaiveDate,
    lots: Vec<LotOut>,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let (as_of, loaded) = args.scope.load(&store, ctx)?;
    let symbol = args.symbol.map(|s| s.trim().to_ascii_uppercase());
    let closes = store.latest_closes(as_of)?;
    let lots: Vec<LotOut> = loaded
        .book
        .lots()
        .filter(|(account, sym, _)| {
            loaded.wants(account) && symbol.as_deref().is_none_or(|s| s == *sym)
        })
        .map(|(account, sym, l)| {
            let close = closes.get(sym).map(|(_, c)| *c);
            let market_value = close.map(|c| (c * l.quantity).round_dp(2));
            let long_term_on = long_term_from(l.acquired);
            LotOut {
                account: account.to_string(),
                symbol: sym.to_string(),
                acquired: l.purchased,
                holding_period_from: l.acquired,
                quantity: l.quantity,
                cost_basis: l.cost,
                wash_sale_adjustment: l.wash_adjustment,
                cost_per_share: l.unit_cost().map(|c| c.round_dp(6)),
                term: term(l.acquired, as_of),
                long_term_on,
                days_to_long_term: (long_term_on - as_of).num_days().max(0),
                price: close,
                market_value,
                unrealized_gain: market_value.map(|v| v - l.cost),
                currency: l.currency.clone(),
            }
        })
        .collect();
    if ctx.json {
        return json(&Out { as_of, lots });
    }
    if lots.is_empty() {
        outln!(
            "No open lots{} as of {as_of}.",
            symbol.map(|s| format!(" of {s}")).unwrap_or_default()
        );
        return Ok(());
    }
    let mut r = Report::new(&[
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
    for l in &lots {
        let mark = if l.wash_sale_adjustment.is_zero() {
            ""
        } else {
            carried = true;
            " W"
        };
        r.row(vec![
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
    r.print()?;
    if carried {
        outln!(
            "W: a wash sale's disallowed loss is in the basis and the sold shares' holding period is carried over."
        );
    }
    Ok(())
}
