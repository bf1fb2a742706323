//! `folio transactions`: the history, newest first, with filters.

use chrono::NaiveDate;
use serde::Serialize;

use super::output::{Report, json, money, opt, outln, price, qty};
use super::{BadInput, Ctx, parse_date_arg, resolve_account};
use crate::domain::{Action, Transaction};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only this symbol
    #[arg(long)]
    symbol: Option<String>,
    /// Only this account
    #[arg(long)]
    account: Option<String>,
    /// Only this action (BUY, SELL, DIVIDEND, ...)
    #[arg(long)]
    action: Option<String>,
    /// From this day on (YYYY-MM-DD)
    #[arg(long, value_parser = parse_date_arg)]
    from: Option<NaiveDate>,
    /// Up to and including this day (YYYY-MM-DD)
    #[arg(long, value_parser = parse_date_arg)]
    to: Option<NaiveDate>,
    /// At most this many rows (the newest)
    #[arg(long)]
    limit: Option<usize>,
}

#[derive(Serialize)]
struct Out {
    transactions: Vec<Transaction>,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let account = match &args.account {
        Some(a) => Some(resolve_account(&store.accounts()?, a)?),
        None => None,
    };
    let action = args
        .action
        .as_deref()
        .map(str::parse::<Action>)
        .transpose()
        .map_err(BadInput)?;
    let symbol = args.symbol.map(|s| s.trim().to_ascii_uppercase());
    let mut txns: Vec<Transaction> = store
        .transactions()?
        .into_iter()
        .filter(|t| account.as_ref().is_none_or(|a| *a == t.account))
        .filter(|t| action.is_none_or(|a| a == t.action))
        .filter(|t| symbol.is_none() || t.symbol == symbol)
        .filter(|t| args.from.is_none_or(|d| t.date >= d) && args.to.is_none_or(|d| t.date <= d))
        .collect();
    txns.reverse();
    if let Some(n) = args.limit {
        txns.truncate(n);
    }
    if ctx.json {
        return json(&Out { transactions: txns });
    }
    if txns.is_empty() {
        outln!("No transactions match.");
        return Ok(());
    }
    let r = table(&txns);
    r.print()?;
    Ok(())
}

/// The transactions as a table (also used by `import --dry-run`).
pub fn table(txns: &[Transaction]) -> Report {
    let mut r = Report::new(&[
        "Date",
        "Account",
        "Action",
        "Symbol",
        "Quantity>",
        "Price>",
        "~Fees>",
        "Amount>",
        "~Ccy",
        "~Note",
    ]);
    for t in txns {
        let trade_value = (t.quantity.is_some() && t.price.is_some()).then(|| t.gross());
        r.row(vec![
            t.date.to_string(),
            t.account.clone(),
            t.action.to_string(),
            t.symbol.clone().unwrap_or_default(),
            t.quantity.map(qty).unwrap_or_default(),
            t.price.map(price).unwrap_or_default(),
            if t.fees.is_zero() {
                String::new()
            } else {
                money(t.fees)
            },
            opt(t.amount.or(trade_value), money),
            t.currency.clone(),
            t.note.clone().unwrap_or_default(),
        ]);
    }
    r
}
