//! `folio dashboard`: the Dashboard pane's figures: net worth, the day's change, unrealized
//! gain, cash, allocation, the holdings of all accounts together, and the value over time.

use chrono::NaiveDate;

use super::output::{Report, json, money, opt, outln, price, qty, warnings};
use super::{Ctx, parse_date_arg};
use crate::app::dashboard::{DashboardParams, Share, dashboard};
use crate::format::{signed_money, signed_pct};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// At the end of this day (YYYY-MM-DD) [default: today]
    #[arg(long, value_parser = parse_date_arg)]
    as_of: Option<NaiveDate>,
    /// How much value history the JSON carries: 90d, 6m, 1y, 5y... or all [default: 1y]
    #[arg(long, value_name = "WINDOW")]
    history: Option<String>,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let r = dashboard(
        ctx.session,
        &DashboardParams {
            as_of: args.as_of,
            history: args.history,
        },
    )?;
    if ctx.json {
        return json(&r);
    }
    warnings(&r.warnings)?;
    let s = &r.overview.summary;
    let day = match s.day_change_pct {
        Some(p) => format!("{} ({})", signed_money(s.day_change), signed_pct(p)),
        None => signed_money(s.day_change),
    };
    outln!(
        "Net worth {} {} as of {}: holdings {}, cash {}",
        r.currency,
        money(s.net_worth),
        r.as_of,
        money(s.holdings_value),
        money(s.cash)
    );
    outln!("Day {day}   Unrealized {}", signed_money(s.unrealized_gain));
    if s.unpriced > 0 {
        outln!(
            "{} holding(s) without a price are left out of the totals (folio prices import FILE).",
            s.unpriced
        );
    }
    if !s.other_currencies.is_empty() {
        outln!(
            "{} holdings and cash are not in these totals.",
            s.other_currencies.join(", ")
        );
    }
    if r.overview.holdings.is_empty() {
        return Ok(());
    }
    outln!();
    let mut t = Report::new(&[
        "Symbol",
        "Quantity>",
        "Price>",
        "Day %>",
        "Value>",
        "~Weight>",
        "Gain>",
        "~Ccy",
    ]);
    // Largest first, as the Dashboard pane sorts them.
    let mut rows: Vec<_> = r.overview.holdings.iter().collect();
    rows.sort_by(|a, b| {
        b.market_value
            .cmp(&a.market_value)
            .then(a.symbol.cmp(&b.symbol))
    });
    for h in rows {
        t.row(vec![
            h.symbol.clone(),
            qty(h.quantity),
            opt(h.price, price),
            opt(h.day_change_pct, signed_pct),
            opt(h.market_value, money),
            opt(h.weight_pct, |w| format!("{w:.1}%")),
            opt(h.unrealized_gain, signed_money),
            h.currency.clone(),
        ]);
    }
    t.print()?;
    outln!();
    shares("Asset class", &r.overview.allocation.by_class)?;
    Ok(())
}

fn shares(title: &str, v: &[Share]) -> anyhow::Result<()> {
    let mut t = Report::new(&[title, "Value>", "Share>"]);
    for x in v {
        t.row(vec![
            x.name.clone(),
            money(x.value),
            format!("{:.1}%", x.pct),
        ]);
    }
    t.print()?;
    Ok(())
}
