//! "Which accounts are there?", and setting an account's kind and lot method.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Result, Session, bad};
use crate::domain::{Account, AccountKind, LotMethod};
use crate::ledger;

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountsParams {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct AccountRow {
    pub name: String,
    pub kind: AccountKind,
    /// Which lots a sale relieves when it names none.
    pub lot_method: LotMethod,
    pub transactions: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct AccountsReport {
    pub accounts: Vec<AccountRow>,
}

/// `folio accounts`: every account with its kind, lot method and number of transactions.
pub fn accounts(s: &Session, _p: &AccountsParams) -> Result<AccountsReport> {
    let (accounts, counts) = s.read(|st| Ok((st.accounts()?, st.transaction_counts()?)))?;
    Ok(AccountsReport {
        accounts: accounts
            .into_iter()
            .map(|a| AccountRow {
                transactions: counts.get(&a.name).copied().unwrap_or(0),
                name: a.name,
                kind: a.kind,
                lot_method: a.lot_method,
            })
            .collect(),
    })
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetAccountParams {
    /// The account name, as imports spell it (matched case-insensitively to an existing one).
    pub name: String,
    #[serde(default)]
    pub kind: Option<AccountKind>,
    #[serde(default)]
    pub lot_method: Option<LotMethod>,
}

/// `folio accounts set`: creates the account or changes it. A new lot method is refused if a
/// stored sale could not be applied under it (a named lot it would have sold already).
pub fn set_account(s: &Session, p: &SetAccountParams) -> Result<Account> {
    let name = p.name.trim();
    if name.is_empty() {
        return Err(bad("the account name is empty"));
    }
    let default_method = s.config().ledger.lot_method;
    s.write_contents("setting an account", |store| {
        let accounts = store.accounts()?;
        let mut account = accounts
            .iter()
            .find(|a| a.name == name)
            .or_else(|| accounts.iter().find(|a| a.name.eq_ignore_ascii_case(name)))
            .cloned()
            .unwrap_or(Account {
                name: name.to_string(),
                kind: AccountKind::default(),
                lot_method: default_method,
            });
        if let Some(kind) = p.kind {
            account.kind = kind;
        }
        if let Some(method) = p.lot_method.filter(|m| *m != account.lot_method) {
            let txns = store.transactions()?;
            let mut policy = ledger::Policy::new(
                &accounts,
                default_method,
                crate::domain::securities::Securities::empty(),
            )
            .without_wash_sales();
            policy.set_method(&account.name, method);
            let (_, errors) = ledger::replay(&txns, &policy);
            if let Some(e) = errors.first() {
                let what = txns
                    .iter()
                    .find(|t| t.id == e.id)
                    .map(|t| {
                        format!(
                            "the {} of {} on {}",
                            t.action,
                            t.symbol.as_deref().unwrap_or(""),
                            t.date
                        )
                    })
                    .unwrap_or_default();
                return Err(bad(format!(
                    "{} stays {}: under {}, {what} could not be applied ({}); sell named lots or keep the method",
                    account.name,
                    account.lot_method.as_str(),
                    method.as_str(),
                    e.message
                )));
            }
            account.lot_method = method;
        }
        store.write(|w| w.set_account(&account))?;
        Ok(account)
    })
}
