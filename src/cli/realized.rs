//! `folio realized`: closed lots with proceeds, basis, gain and term, and yearly totals.

use std::collections::BTreeMap;

use chrono::Datelike;
use rust_decimal::Decimal;
use serde::Serialize;

use super::output::{Report, json, money, money_or_blank, outln, qty};
use super::{Ctx, load_book};
use crate::domain::Term;
use crate::ledger::Disposal;

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

#[derive(Serialize, Default)]
struct Total {
    currency: String,
    proceeds: Decimal,
    cost_basis: Decimal,
    short_term_gain: Decimal,
    long_term_gain: Decimal,
    total_gain: Decimal,
    wash_sale_disallowed: Decimal,
}

#[derive(Serialize)]
struct Out {
    year: Option<i32>,
    disposals: Vec<Disposal>,
    totals: Vec<Total>,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let loaded = load_book(&store, ctx, None, args.account.as_deref())?;
    let symbol = args.symbol.map(|s| s.trim().to_ascii_uppercase());
    let disposals: Vec<Disposal> = loaded
        .book
        .realized
        .iter()
        .filter(|d| loaded.wants(&d.account))
        .filter(|d| args.year.is_none_or(|y| d.sold.year() == y))
        .filter(|d| symbol.as_ref().is_none_or(|s| *s == d.symbol))
        .cloned()
        .collect();
    let mut totals: BTreeMap<&str, Total> = BTreeMap::new();
    for d in &disposals {
        let t = totals.entry(&d.currency).or_insert_with(|| Total {
            currency: d.currency.clone(),
            ..Total::default()
        });
        t.proceeds += d.proceeds;
        t.cost_basis += d.cost;
        match d.term {
            Term::Short => t.short_term_gain += d.gain,
            Term::Long => t.long_term_gain += d.gain,
        }
        t.total_gain += d.gain;
        t.wash_sale_disallowed += d.disallowed;
    }
    let totals: Vec<Total> = totals.into_values().collect();
    if ctx.json {
        return json(&Out {
            year: args.year,
            disposals,
            totals,
        });
    }
    if disposals.is_empty() {
        outln!(
            "No realized gains or losses{}.",
            args.year.map(|y| format!(" in {y}")).unwrap_or_default()
        );
        return Ok(());
    }
    let mut r = Report::new(&[
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
    for d in &disposals {
        r.row(vec![
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
    r.print()?;
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
    for x in &totals {
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
