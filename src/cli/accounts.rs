//! `folio accounts`: list accounts, or set one's kind and lot-relief method.

use serde::Serialize;

use super::output::{Report, json, outln};
use super::{BadInput, Ctx};
use crate::domain::{AccountKind, LotMethod};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Sub>,
}

#[derive(clap::Subcommand, Debug)]
enum Sub {
    /// List the accounts (the default)
    List,
    /// Create an account or change its kind or lot method
    Set {
        /// The account name, as imports spell it
        name: String,
        /// taxable, ira or roth [new accounts: taxable]
        #[arg(long, value_parser = |s: &str| s.parse::<AccountKind>())]
        kind: Option<AccountKind>,
        /// fifo, lifo or hifo: which lots a sale relieves when it names none [new accounts: fifo]
        #[arg(long, value_parser = |s: &str| s.parse::<LotMethod>())]
        lot_method: Option<LotMethod>,
    },
}

#[derive(Serialize)]
struct AccountOut {
    name: String,
    kind: AccountKind,
    lot_method: LotMethod,
    transactions: i64,
}

#[derive(Serialize)]
struct Out {
    accounts: Vec<AccountOut>,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let mut store = ctx.store()?;
    if let Some(Sub::Set {
        name,
        kind,
        lot_method,
    }) = args.command
    {
        let name = name.trim();
        if name.is_empty() {
            return Err(BadInput("the account name is empty".into()).into());
        }
        let a = store.set_account(name, kind, lot_method)?;
        if !ctx.json {
            outln!(
                "{}: {}, lot method {}",
                a.name,
                a.kind.as_str(),
                a.lot_method.as_str()
            );
            return Ok(());
        }
    }
    let counts = store.transaction_counts()?;
    let accounts: Vec<AccountOut> = store
        .accounts()?
        .into_iter()
        .map(|a| AccountOut {
            transactions: counts.get(&a.name).copied().unwrap_or(0),
            name: a.name,
            kind: a.kind,
            lot_method: a.lot_method,
        })
        .collect();
    if ctx.json {
        return json(&Out { accounts });
    }
    if accounts.is_empty() {
        outln!(
            "No accounts yet. An import creates the accounts its rows name; or: folio accounts set NAME --kind taxable"
        );
        return Ok(());
    }
    let mut r = Report::new(&["Account", "Kind", "Lot method", "Transactions>"]);
    for a in &accounts {
        r.row(vec![
            a.name.clone(),
            a.kind.as_str().into(),
            a.lot_method.as_str().into(),
            a.transactions.to_string(),
        ]);
    }
    r.print()?;
    Ok(())
}
