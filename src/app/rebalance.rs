//! "What is the cheapest way back to my targets?": the tax-aware rebalancing plan beside a
//! tax-blind proportional one. `folio rebalance`, the Rebalance pane and the chat's tool.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::holdings::base;
use super::targets::{TargetView, prepare, stored};
use super::{Result, Session, bad};
use crate::analytics::rebalance::{self, Plan, Settings};
use crate::domain::order::Side;
use crate::domain::{AccountKind, Named};

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RebalanceParams {
    /// New cash to invest first, in the report currency. Default: 0.
    #[serde(default)]
    pub cash: Option<Decimal>,
    /// The account the new cash goes into. Default: the largest taxable account.
    #[serde(default)]
    pub cash_account: Option<String>,
    /// Only buy (with cash): sell nothing.
    #[serde(default)]
    pub no_sell: bool,
    /// At most this many trades. Default: no limit.
    #[serde(default)]
    pub max_trades: Option<usize>,
    /// Ignore taxes: the proportional plan is the answer (the tax-aware one is still shown).
    #[serde(default)]
    pub ignore_taxes: bool,
    /// Let the tax-aware plan sell lots at a short-term gain when that is the only way back.
    #[serde(default)]
    pub allow_short_term: bool,
    /// Rebalance this account's own set. Default: the household's set.
    #[serde(default)]
    pub account: Option<String>,
    /// Trades smaller than this are left out. Default: [rebalance] min_trade.
    #[serde(default)]
    pub min_trade: Option<Decimal>,
    /// Plan at the end of this day (YYYY-MM-DD), at its closes. Default: today.
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RebalanceReport {
    pub as_of: NaiveDate,
    pub currency: String,
    /// The set rebalanced, before the plan (new cash included in its base).
    pub targets: TargetView,
    pub new_cash: Decimal,
    pub new_cash_account: Option<String>,
    /// The plan proposed: tax-aware unless ignore_taxes.
    pub plan: Plan,
    /// The other plan, for comparison.
    pub alternative: Plan,
    /// Tax the proposed plan saves against the alternative (negative: costs more).
    pub tax_saved: Decimal,
    pub warnings: Vec<String>,
}

/// The `folio order` command that places a trade (a sale names its lots).
pub fn order_command(t: &rebalance::Trade) -> String {
    let side = t.side.name();
    let account = if t.account.contains(char::is_whitespace) {
        format!("\"{}\"", t.account)
    } else {
        t.account.clone()
    };
    let mut cmd = format!(
        "folio order {side} {} {} --account {account}",
        t.symbol,
        t.quantity.normalize()
    );
    if t.side == Side::Sell && t.account_kind == AccountKind::Taxable && !t.lots.is_empty() {
        let dates: Vec<String> = t.lots.iter().map(|l| l.purchased.to_string()).collect();
        cmd.push_str(&format!(" --lots {}", dates.join(",")));
    }
    cmd
}

/// `folio rebalance`: the trades back to the targets at the least estimated tax.
pub fn rebalance(s: &Session, p: &RebalanceParams) -> Result<RebalanceReport> {
    let new_cash = p.cash.unwrap_or_default();
    if new_cash < Decimal::ZERO {
        return Err(bad(format!(
            "cash {new_cash}: new cash cannot be negative; give 0 or more"
        )));
    }
    let min_trade = p.min_trade.unwrap_or(s.config().rebalance.min_trade);
    if min_trade < Decimal::ZERO {
        return Err(bad(format!("min trade {min_trade}: use 0 or more")));
    }
    if p.max_trades == Some(0) {
        return Err(bad("max trades 0: allow at least 1 trade"));
    }
    let set = stored(s, p.account.as_deref())?
        .into_iter()
        .find(|t| p.account.is_some() || t.account.is_none())
        .ok_or_else(|| {
            bad("no household targets: set them with folio targets set \"US stocks=60,US bonds=40\" (or rebalance one account's set with --account)")
        })?;
    let b = base(s, None, p.as_of)?;
    let prepared = prepare(s, set, &b)?.with_taxes(s, &b)?;
    if prepared.holdings.is_empty()
        && prepared.accounts.iter().all(|a| a.cash.is_zero())
        && new_cash.is_zero()
    {
        return Err(bad(
            "nothing to rebalance: the book holds no priced positions and no cash; import transactions first (folio import FILE), or give new cash with --cash",
        ));
    }
    let ledger = s.ledger()?;
    let cash_account = match &p.cash_account {
        Some(a) => {
            let a = ledger.account(a)?;
            if !prepared.accounts.iter().any(|x| x.name == a) {
                return Err(bad(format!(
                    "cash account {a}: it is not in the set rebalanced ({})",
                    prepared.set.account.as_deref().unwrap_or("the household")
                )));
            }
            Some(a)
        }
        None if new_cash > Decimal::ZERO => {
            let value = |name: &str| -> Decimal {
                prepared
                    .holdings
                    .iter()
                    .filter(|h| h.account == name)
                    .map(rebalance::value_of)
                    .sum()
            };
            let mut accounts: Vec<&rebalance::Account> = prepared.accounts.iter().collect();
            accounts.sort_by(|a, b| {
                (
                    a.kind != AccountKind::Taxable,
                    std::cmp::Reverse(value(&a.name)),
                    &a.name,
                )
                    .cmp(&(
                        b.kind != AccountKind::Taxable,
                        std::cmp::Reverse(value(&b.name)),
                        &b.name,
                    ))
            });
            Some(accounts.first().map(|a| a.name.clone()).ok_or_else(|| {
                bad("new cash needs an account to go into, and there is none; import transactions first")
            })?)
        }
        None => None,
    };
    let input = prepared.input(new_cash, cash_account.as_deref());
    let settings = Settings {
        tax_aware: true,
        no_sell: p.no_sell,
        max_trades: p.max_trades,
        min_trade,
        fractional: s.config().rebalance.fractional,
        allow_short_term: p.allow_short_term,
    };
    let tax_aware = rebalance::plan(&input, &settings);
    let proportional = rebalance::plan(
        &input,
        &Settings {
            tax_aware: false,
            ..settings.clone()
        },
    );
    let (plan, alternative) = if p.ignore_taxes {
        (proportional, tax_aware)
    } else {
        (tax_aware, proportional)
    };
    Ok(RebalanceReport {
        as_of: b.as_of,
        currency: b.currency.clone(),
        targets: prepared.view(new_cash),
        new_cash,
        new_cash_account: cash_account,
        tax_saved: alternative.estimated_tax - plan.estimated_tax,
        plan,
        alternative,
        warnings: prepared.warnings.clone(),
    })
}
