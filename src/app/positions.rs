//! "Does the ledger agree with the broker?": the broker's positions beside the ledger's.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AppError, Result, Session};
use crate::domain::Named;
use crate::ledger::Book;
use crate::market::ibkr::{self, BrokerPosition};

/// Where the positions come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BrokerSource {
    /// TWS or IB Gateway ([ibkr] in the config)
    #[default]
    Ibkr,
}

impl Named for BrokerSource {
    const ALL: &'static [(Self, &'static str, &'static str)] = &[(
        BrokerSource::Ibkr,
        "ibkr",
        "TWS or IB Gateway ([ibkr] in the config)",
    )];
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionsParams {
    #[serde(default)]
    pub source: BrokerSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Agrees,
    Differs,
    /// The broker holds it; the ledger does not.
    MissingInLedger,
    /// The ledger holds it; the broker does not.
    MissingAtBroker,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Agrees => "ok",
            Status::Differs => "differs",
            Status::MissingInLedger => "not in the ledger",
            Status::MissingAtBroker => "not at the broker",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Row {
    pub account: String,
    pub broker_account: String,
    pub symbol: String,
    pub broker: Decimal,
    pub ledger: Decimal,
    pub difference: Decimal,
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct BrokerAccountRow {
    pub account: String,
    pub broker_account: String,
    pub net_liquidation: Option<Decimal>,
    pub cash: Option<Decimal>,
    pub currency: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PositionsReport {
    pub positions: Vec<Row>,
    pub accounts: Vec<BrokerAccountRow>,
    /// Positions where the broker and the ledger differ.
    pub differences: usize,
    /// Ledger accounts with no broker account linked to them (not compared).
    pub not_compared: Vec<String>,
    pub warnings: Vec<String>,
}

/// `folio positions`: asks the broker for its positions and compares them with the ledger's
/// as of today.
pub async fn positions(s: &Session, _p: &PositionsParams) -> Result<PositionsReport> {
    let ledger = s.ledger()?;
    let book = ledger.book_at(s.today()).into_owned();
    let settings = &s.config().ibkr;
    let timeout = settings.answer_timeout();
    let (client, _) = ibkr::connect(settings)
        .await
        .map_err(|e| AppError::Failed(e.into()))?;
    let broker = ibkr::positions(&client, timeout)
        .await
        .map_err(|e| AppError::failed(e, "reading the broker's positions"))?;
    let summary = ibkr::account_summary(&client, timeout)
        .await
        .map_err(|e| AppError::failed(e, "reading the broker's account summary"))?;
    let ledger_name = |broker_account: &str| -> String {
        settings
            .accounts
            .get(broker_account)
            .cloned()
            .unwrap_or_else(|| broker_account.to_string())
    };
    let mut report = compare(&broker, &book, &summary, ledger_name);
    report.warnings = ledger.warnings();
    Ok(report)
}

/// The positions where the broker and the ledger differ, for the anomaly checks.
pub async fn differences(s: &Session) -> Result<Vec<Row>> {
    let report = positions(s, &PositionsParams::default()).await?;
    Ok(report
        .positions
        .into_iter()
        .filter(|p| p.status != Status::Agrees)
        .collect())
}

fn compare(
    broker: &[BrokerPosition],
    book: &Book,
    summary: &[(String, String, Decimal, String)],
    ledger_name: impl Fn(&str) -> String,
) -> PositionsReport {
    // (ledger account, symbol) -> (broker account, broker qty, ledger qty)
    let mut rows: BTreeMap<(String, String), (String, Decimal, Decimal)> = BTreeMap::new();
    let mut linked: BTreeMap<String, String> = BTreeMap::new();
    for p in broker.iter().filter(|p| !p.quantity.is_zero()) {
        let account = ledger_name(&p.account);
        linked.insert(account.clone(), p.account.clone());
        let e = rows
            .entry((account, p.symbol.clone()))
            .or_insert_with(|| (p.account.clone(), Decimal::ZERO, Decimal::ZERO));
        e.1 += p.quantity;
    }
    for (broker_account, ..) in summary {
        linked.insert(ledger_name(broker_account), broker_account.clone());
    }
    let mut not_compared = BTreeSet::new();
    for p in book.positions() {
        let Some(broker_account) = linked.get(&p.account) else {
            not_compared.insert(p.account.clone());
            continue;
        };
        let e = rows
            .entry((p.account.clone(), p.symbol.clone()))
            .or_insert_with(|| (broker_account.clone(), Decimal::ZERO, Decimal::ZERO));
        e.2 += p.quantity;
    }
    let positions: Vec<Row> = rows
        .into_iter()
        .map(|((account, symbol), (broker_account, b, l))| Row {
            status: if b == l {
                Status::Agrees
            } else if l.is_zero() {
                Status::MissingInLedger
            } else if b.is_zero() {
                Status::MissingAtBroker
            } else {
                Status::Differs
            },
            difference: (b - l).normalize(),
            account,
            broker_account,
            symbol,
            broker: b.normalize(),
            ledger: l.normalize(),
        })
        .collect();
    let mut accounts: BTreeMap<String, BrokerAccountRow> = BTreeMap::new();
    for (broker_account, tag, value, currency) in summary {
        let a = accounts
            .entry(broker_account.clone())
            .or_insert_with(|| BrokerAccountRow {
                account: ledger_name(broker_account),
                broker_account: broker_account.clone(),
                net_liquidation: None,
                cash: None,
                currency: Some(currency.clone()),
            });
        match tag.as_str() {
            "NetLiquidation" => a.net_liquidation = Some(*value),
            "TotalCashValue" => a.cash = Some(*value),
            _ => {}
        }
    }
    PositionsReport {
        differences: positions
            .iter()
            .filter(|p| p.status != Status::Agrees)
            .count(),
        positions,
        accounts: accounts.into_values().collect(),
        not_compared: not_compared.into_iter().collect(),
        warnings: Vec::new(),
    }
}
