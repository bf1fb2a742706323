//! `folio cash`: the cash balance of every account in every currency.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::output::{Report, json, money, outln};
use super::{Ctx, Scope};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    scope: Scope,
}

#[derive(Serialize)]
struct Balance {
    account: String,
    currency: String,
    balance: Decimal,
}

#[derive(Serialize)]
struct Out {
    as_of: NaiveDate,
    balances: Vec<Balance>,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let (as_of, loaded) = args.scope.load(&store, ctx)?;
    let balances: Vec<Balance> = loaded
        .book
        .cash()
        .filter(|(account, _, amount)| loaded.wants(account) && !amount.is_zero())
        .map(|(account, currency, balance)| Balance {
            account: account.to_string(),
            currency: currency.to_string(),
            balance,
        })
        .collect();
    if ctx.json {
        return json(&Out { as_of, balances });
    }
    if balances.is_empty() {
        outln!("No cash balances as of {as_of}.");
        return Ok(());
    }
    let mut r = Report::new(&["Account", "Currency", "Balance>"]);
    for b in &balances {
        r.row(vec![
            b.account.clone(),
            b.currency.clone(),
            money(b.balance),
        ]);
    }
    r.print()?;
    if balances.iter().any(|b| b.balance < Decimal::ZERO) {
        outln!(
            "\nA negative balance means more went out than came in: a deposit or an FX conversion may be missing from the imports."
        );
    }
    Ok(())
}
