//! `folio accounts`: list accounts, or set one's kind and lot-relief method.

use super::output::{Report, json, outln};
use super::{Ctx, named};
use crate::app::accounts::{AccountsParams, SetAccountParams, accounts, set_account};
use crate::domain::{AccountKind, LotMethod};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Sub>,
}

impl Args {
    pub fn writes(&self) -> bool {
        matches!(self.command, Some(Sub::Set { .. }))
    }
}

#[derive(clap::Subcommand, Debug)]
enum Sub {
    /// List the accounts (the default)
    List,
    /// Create an account or change its kind or lot method
    Set {
        /// The account name, as imports spell it
        name: String,
        /// The account's tax treatment [new accounts: taxable]
        #[arg(long, value_parser = named::<AccountKind>(), ignore_case = true)]
        kind: Option<AccountKind>,
        /// Which lots a sale relieves when it names none [new accounts: fifo]
        #[arg(long, value_parser = named::<LotMethod>(), ignore_case = true)]
        lot_method: Option<LotMethod>,
    },
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    if let Some(Sub::Set {
        name,
        kind,
        lot_method,
    }) = args.command
    {
        let account = set_account(
            ctx.session,
            &SetAccountParams {
                name,
                kind,
                lot_method,
            },
        )?;
        if !ctx.json {
            outln!(
                "{}: {}, lot method {}",
                account.name,
                account.kind.as_str(),
                account.lot_method.as_str()
            );
            return Ok(());
        }
    }
    let r = accounts(ctx.session, &AccountsParams {})?;
    if ctx.json {
        return json(&r);
    }
    if r.accounts.is_empty() {
        outln!(
            "No accounts yet. An import creates the accounts its rows name; or: folio accounts set NAME --kind taxable"
        );
        return Ok(());
    }
    let mut t = Report::new(&["Account", "Kind", "Lot method", "Transactions>"]);
    for a in &r.accounts {
        t.row(vec![
            a.name.clone(),
            a.kind.as_str().into(),
            a.lot_method.as_str().into(),
            a.transactions.to_string(),
        ]);
    }
    t.print()?;
    Ok(())
}
