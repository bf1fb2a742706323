//! "How have I done?": time-weighted and money-weighted returns, gains and income, per account
//! and per holding.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::analysis::{self, Data, Performance};
use super::session::Ledger;
use super::{Result, Session, bad};

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PerformanceParams {
    /// Only this account. Default: every account.
    #[serde(default)]
    pub account: Option<String>,
    /// First day of the period (YYYY-MM-DD). Default: the first transaction.
    #[serde(default)]
    pub from: Option<NaiveDate>,
    /// Last day of the period (YYYY-MM-DD). Default: today.
    #[serde(default)]
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct PerformanceReport {
    #[serde(flatten)]
    pub performance: Performance,
    pub account: Option<String>,
    pub warnings: Vec<String>,
}

/// What the performance, risk and anomaly analytics read: the ledger and every close.
pub(super) struct Loaded {
    pub ledger: std::sync::Arc<Ledger>,
    pub closes: HashMap<String, Vec<(NaiveDate, Decimal)>>,
}

impl Loaded {
    pub fn load(s: &Session) -> Result<Loaded> {
        Ok(Loaded {
            ledger: s.ledger()?,
            closes: s.read(|st| Ok(st.closes_since(NaiveDate::MIN)?))?,
        })
    }

    pub fn data<'a>(&'a self, currency: &'a str) -> Data<'a> {
        Data {
            txns: &self.ledger.transactions,
            policy: &self.ledger.policy,
            closes: &self.closes,
            currency,
        }
    }
}

/// `folio performance`: the returns of the total (or one account) over a period, with each
/// account and each holding's contribution.
pub fn performance(s: &Session, p: &PerformanceParams) -> Result<PerformanceReport> {
    super::day(p.from, "from")?;
    let to = super::day(p.to, "to")?.unwrap_or_else(|| s.today());
    if let Some(from) = p.from
        && from > to
    {
        return Err(bad(format!(
            "from {from} is after to {to}; give a period that runs forward"
        )));
    }
    let loaded = Loaded::load(s)?;
    let account = p
        .account
        .as_deref()
        .map(|a| loaded.ledger.account(a))
        .transpose()?;
    let performance =
        analysis::performance(&loaded.data(s.currency()), account.as_deref(), p.from, to);
    Ok(PerformanceReport {
        performance,
        account,
        warnings: loaded.ledger.warnings(),
    })
}
