//! `folio accounts`: list accounts, or set one's kind and lot-relief method.

use serde::Serialize;

use super::output::{Report, json, outln};
use super::{BadInput, Ctx};
use crate::domain::{Account, AccountKind, LotMethod};
use crate::ledger;
use crate::store::Store;

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
        let account = set(ctx, &mut store, name.trim(), kind, lot_method)?;
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

/// Creates the account (matched case-insensitively to an existing one) or changes it. A new lot
/// method is refused if a stored sale could not be applied under it (a named lot it would have
/// sold already, for instance).
fn set(
    ctx: &Ctx,
    store: &mut Store,
    name: &str,
    kind: Option<AccountKind>,
    method: Option<LotMethod>,
) -> anyhow::Result<Account> {
    if name.is_empty() {
        return Err(BadInput("the account name is empty".into()).into());
    }
    let accounts = store.accounts()?;
    let mut account = accounts
        .iter()
        .find(|a| a.name == name)
        .or_else(|| accounts.iter().find(|a| a.name.eq_ignore_ascii_case(name)))
        .cloned()
        .unwrap_or(Account {
            name: name.to_string(),
            kind: AccountKind::default(),
            lot_method: ctx.config.ledger.lot_method,
        });
    if let Some(kind) = kind {
        account.kind = kind;
    }
    if let Some(method) = method.filter(|m| *m != account.lot_method) {
        let txns = store.transactions()?;
        let mut policy = ledger::Policy::new(
            &accounts,
            ctx.config.ledger.lot_method,
            crate::domain::securities::Securities::empty(),
        )
        .without_wash_sales();
        policy.set_method(&account.name, method);
        let (_, errors) = ledger::replay(&txns, &policy);
        if let Some(e) = errors.first() {
            let t = txns.iter().find(|t| t.id == e.id);
            let what = t
                .map(|t| {
                    format!(
                        "the {} of {} on {}",
                        t.action,
                        t.symbol.as_deref().unwrap_or(""),
                        t.date
                    )
                })
                .unwrap_or_default();
            return Err(BadInput(format!(
                "{} stays {}: under {}, {what} could not be applied ({}); sell named lots or keep the method",
                account.name,
                account.lot_method.as_str(),
                method.as_str(),
                e.message
            ))
            .into());
        }
        account.lot_method = method;
    }
    store.write(|w| w.set_account(&account))?;
    Ok(account)
}
