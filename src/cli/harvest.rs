//! `folio harvest`: tax-loss harvest candidates, ranked by net benefit.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::output::{Report, json, money, outln, pct, qty, warnings};
use super::{Ctx, parse_date_arg};
use crate::analytics::harvest::{Harvest, WashStatus};
use crate::app::harvest::{HarvestParams, harvest, settings};
use crate::format::signed_money;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Scan as of the end of this day (YYYY-MM-DD), at that day's closes [default: today]
    #[arg(long, value_parser = parse_date_arg)]
    as_of: Option<NaiveDate>,
    /// Only lots losing at least this much [default: tax.min_loss, 100]
    #[arg(long, value_name = "AMOUNT")]
    min_loss: Option<Decimal>,
    /// Only lots losing at least this percent of their value, 5 or 5% [default:
    /// tax.min_loss_pct, 5]
    #[arg(long, value_name = "PCT", value_parser = parse_pct)]
    min_loss_pct: Option<Decimal>,
    /// Only this account
    #[arg(long)]
    account: Option<String>,
}

/// A percent, as the flag's name says: 5 and 5% are both five percent.
fn parse_pct(s: &str) -> Result<Decimal, String> {
    let t = s.trim();
    t.strip_suffix('%')
        .unwrap_or(t)
        .trim()
        .parse::<Decimal>()
        .map_err(|_| format!("'{t}' is not a percent; write it like 5 or 5%"))
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let params = HarvestParams {
        as_of: args.as_of,
        min_loss: args.min_loss,
        min_loss_pct: args.min_loss_pct,
        account: args.account,
    };
    let r = harvest(ctx.session, &params)?;
    if ctx.json {
        return json(&r);
    }
    warnings(&r.warnings)?;
    print(&r.harvest, &settings(ctx.session, &params)?)
}

fn print(h: &Harvest, s: &crate::analytics::harvest::Settings) -> anyhow::Result<()> {
    let y = &h.summary.realized;
    let pct_of = |r: Decimal| format!("{}%", (r * Decimal::ONE_HUNDRED).normalize());
    outln!(
        "Harvest scan {} ({}, taxable accounts; tax {} short, {} long)",
        h.as_of,
        h.currency,
        pct_of(s.rates.short_term),
        pct_of(s.rates.long_term)
    );
    outln!(
        "Realized in {}: short term {} / {}, long term {} / {}; {} washed",
        y.year,
        signed_money(y.short_term_gains),
        signed_money(-y.short_term_losses),
        signed_money(y.long_term_gains),
        signed_money(-y.long_term_losses),
        money(y.wash_sale_disallowed)
    );
    outln!(
        "Offset against ordinary income: {} of {} used, {} unused",
        money(y.ordinary_offset_used),
        money(s.rates.offset_limit),
        money(y.ordinary_offset_unused)
    );
    outln!(
        "Worth harvesting: {} in {} lot{} (losses from {} and {}% of value)",
        money(h.summary.harvestable_loss),
        h.summary.candidates,
        if h.summary.candidates == 1 { "" } else { "s" },
        money(s.min_loss),
        s.min_loss_pct.normalize()
    );
    if !h.unpriced.is_empty() {
        outln!(
            "Not checked, no price: {} (import prices with `folio prices import`)",
            h.unpriced.join(", ")
        );
    }
    if h.candidates.is_empty() {
        return Ok(());
    }
    outln!();
    let mut r = Report::new(&[
        // Hidden from the right on a narrow terminal: the details go before the advice.
        "Account",
        "Symbol",
        "Loss>",
        "Wash",
        "Saving>",
        "Buy back",
        "~Replace with",
        "~Term",
        "~Quantity>",
        "~Loss %>",
        "~Acquired",
        "~Cost basis>",
        "~Value>",
        "~Net>",
    ]);
    for c in &h.candidates {
        let wash = match c.wash_status {
            WashStatus::Clean => "clean".to_string(),
            WashStatus::Full => "full".to_string(),
            WashStatus::Partial => format!("{} sh", qty(c.blocked_quantity)),
            WashStatus::IraPermanent => "IRA: lost".to_string(),
        };
        let ideas: Vec<String> = c
            .replacements
            .iter()
            .take(2)
            .map(|i| {
                let mark = if i.also_a_candidate { "*" } else { "" };
                match i.similarity {
                    Some(s) => format!("{}{mark} {:.2}", i.symbol, s.score),
                    None => format!("{}{mark}", i.symbol),
                }
            })
            .collect();
        r.row(vec![
            if c.worth_harvesting {
                c.account.clone()
            } else {
                format!("({})", c.account)
            },
            c.symbol.clone(),
            money(c.loss),
            wash,
            money(c.estimated_saving),
            c.safe_to_buy_back.to_string(),
            ideas.join(", "),
            c.term.as_str().into(),
            qty(c.quantity),
            pct(-c.loss_pct),
            c.acquired.to_string(),
            money(c.cost_basis),
            money(c.value),
            money(c.net_benefit),
        ]);
    }
    r.print()?;
    for c in h.candidates.iter().filter(|c| !c.blockers.is_empty()) {
        for b in &c.blockers {
            let what = b.describe();
            let effect = if b.retirement {
                "washes it for good (IRA)"
            } else {
                "washes it"
            };
            outln!(
                "{} {} {} ({} sh): {what} {effect}",
                c.account,
                c.symbol,
                c.acquired,
                qty(c.quantity)
            );
        }
    }
    if h.candidates.iter().any(|c| !c.worth_harvesting) {
        outln!(
            "(Account): not worth it now: after wash sales the loss is under the minimum or\ndoes not pay for the trades."
        );
    }
    if h.candidates
        .iter()
        .any(|c| c.replacements.iter().take(2).any(|i| i.also_a_candidate))
    {
        outln!("*: a candidate itself; buying it while harvesting it would wash that loss.");
    }
    outln!("Saving: estimated against this year's gains at the [tax] rates. Net: less costs.");
    outln!("A position's listed lots count as sold together. After selling, buy nothing");
    outln!("substantially identical before the buy-back date (`folio tax preview buy`).");
    Ok(())
}
