//! `folio performance`: time-weighted and money-weighted returns, CAGR, gains and income, per
//! account and per holding.

use chrono::NaiveDate;

use super::output::{Report, json, money, outln};
use super::{Analysis, BadInput, Ctx, parse_date_arg, today};
use crate::analysis::{self, Summary};
use crate::format::{ratio_pct, signed_money};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only this account
    #[arg(long)]
    account: Option<String>,
    /// First day of the period (YYYY-MM-DD) [default: the first transaction]
    #[arg(long, value_parser = parse_date_arg)]
    from: Option<NaiveDate>,
    /// Last day of the period (YYYY-MM-DD) [default: today]
    #[arg(long, value_parser = parse_date_arg)]
    to: Option<NaiveDate>,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let to = args.to.unwrap_or_else(today);
    if let Some(from) = args.from
        && from > to
    {
        return Err(BadInput(format!(
            "--from {from} is after --to {to}; give a period that runs forward"
        ))
        .into());
    }
    let a = Analysis::load(ctx, args.account.as_deref())?;
    let account = a.loaded.account.clone();
    let p = analysis::performance(&a.data(ctx), account.as_deref(), args.from, to);
    if ctx.json {
        return json(&p);
    }
    outln!(
        "Performance in {} from {} to {} ({} days)",
        p.currency,
        p.from,
        p.to,
        p.days
    );
    outln!();
    let mut r = Report::new(&[
        "",
        "Start>",
        "End>",
        "~Deposits>",
        "~Withdrawals>",
        "Gain>",
        "TWR>",
        "~TWR/yr>",
        "XIRR>",
        "~CAGR>",
    ]);
    let mut row = |name: &str, s: &Summary| {
        r.row(vec![
            name.to_string(),
            money(s.start_value),
            money(s.end_value),
            money(s.deposits),
            money(s.withdrawals),
            signed_money(s.gain),
            ratio_pct(s.twr, 2),
            ratio_pct(s.twr_annualised, 2),
            ratio_pct(s.xirr, 2),
            ratio_pct(s.cagr, 2),
        ]);
    };
    row(account.as_deref().unwrap_or("Total"), &p.total);
    for a in &p.accounts {
        row(&a.account, &a.summary);
    }
    r.print()?;
    let t = &p.total;
    outln!();
    outln!(
        "Realized gain {}, unrealized {} ({} over the period); dividends {}, interest {}; fees {}, taxes withheld {}.",
        signed_money(t.realized_gain),
        signed_money(t.unrealized_gain),
        signed_money(t.unrealized_change),
        money(t.dividends),
        money(t.interest),
        money(t.fees),
        money(t.taxes_withheld)
    );
    if !p.holdings.is_empty() {
        outln!();
        let mut r = Report::new(&[
            "Holding",
            "~Start>",
            "End>",
            "~Net invested>",
            "~Dividends>",
            "Gain>",
            "Contribution>",
        ]);
        for h in &p.holdings {
            r.row(vec![
                h.symbol.clone(),
                money(h.start_value),
                money(h.end_value),
                signed_money(h.net_invested),
                money(h.dividends),
                signed_money(h.gain),
                ratio_pct(Some(h.contribution), 2),
            ]);
        }
        r.print()?;
    }
    for n in t.notes.iter().chain(&p.left_out) {
        outln!("Note: {n}");
    }
    Ok(())
}
