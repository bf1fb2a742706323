//! "Does anything look wrong?": the anomaly checks on returns and on the data.

use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::analysis::{self, float_closes};
use super::performance::Loaded;
use super::{Result, Session, bad};
use crate::analytics::anomaly::Report;

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnomaliesParams {
    /// Check as of the end of this day (YYYY-MM-DD). Default: today.
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
    /// Also compare the ledger with the broker's positions (TWS or IB Gateway).
    #[serde(default)]
    pub broker: bool,
    /// Also run the LSTM autoencoder detector (needs a build with the ml feature).
    #[serde(default)]
    pub lstm: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct AnomaliesReport {
    /// Days in the last this many days are reported ([anomalies] lookback_days).
    pub lookback_days: i64,
    #[serde(flatten)]
    pub report: Report,
    pub warnings: Vec<String>,
}

/// `folio anomalies`: every check with what it looked at, and each finding with its value,
/// threshold, severity and reason.
pub async fn anomalies(s: &Session, p: &AnomaliesParams) -> Result<AnomaliesReport> {
    if p.lstm && !cfg!(feature = "ml") {
        return Err(bad(
            "the LSTM detector needs folio built with the ml feature: cargo install --path . --features ml (or cargo run --release --features ml -- anomalies --lstm)",
        ));
    }
    let broker = if p.broker {
        Some(
            super::positions::differences(s)
                .await?
                .into_iter()
                .map(|r| {
                    (
                        r.account,
                        r.symbol,
                        r.broker.to_f64().unwrap_or(0.0),
                        r.ledger.to_f64().unwrap_or(0.0),
                    )
                })
                .collect(),
        )
    } else {
        None
    };
    checks(s, p.as_of, broker, p.lstm)
}

/// The checks without the broker (what the cockpit runs on its own).
pub fn checks(
    s: &Session,
    as_of: Option<NaiveDate>,
    broker: Option<Vec<(String, String, f64, f64)>>,
    lstm: bool,
) -> Result<AnomaliesReport> {
    let as_of = super::day(as_of, "as of")?.unwrap_or_else(|| s.today());
    let loaded = Loaded::load(s)?;
    let closes = float_closes(&loaded.closes);
    let th = &s.config().anomalies;
    let report = analysis::anomalies(&loaded.data(s.currency()), &closes, as_of, th, broker, lstm);
    Ok(AnomaliesReport {
        lookback_days: th.lookback_days,
        report,
        warnings: loaded.ledger.warnings(),
    })
}
