//! `folio transactions`: the history, newest first, with filters.

use chrono::NaiveDate;

use super::output::{Report, json, money, opt, outln, price, qty};
use super::{Ctx, parse_date_arg};
use crate::app::transactions::{TransactionsParams, transactions};
use crate::domain::Transaction;

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

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let r = transactions(
        ctx.session,
        &TransactionsParams {
            symbol: args.symbol,
            account: args.account,
            action: args.action,
            from: args.from,
            to: args.to,
            limit: args.limit,
        },
    )?;
    if ctx.json {
        return json(&r);
    }
    if r.transactions.is_empty() {
        outln!("No transactions match.");
        return Ok(());
    }
    table(&r.transactions).print()?;
    if r.matched > r.transactions.len() {
        outln!(
            "The newest {} of {} matching transactions.",
            r.transactions.len(),
            r.matched
        );
    }
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
