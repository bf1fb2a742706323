//! A live quote: the latest price of one symbol from one source.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

/// Where a quote came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum QuoteSource {
    /// The seeded random walk of the demo (not a market price).
    Simulated,
    Ibkr,
    Http,
}

impl QuoteSource {
    pub fn as_str(self) -> &'static str {
        match self {
            QuoteSource::Simulated => "simulated",
            QuoteSource::Ibkr => "ibkr",
            QuoteSource::Http => "http",
        }
    }
}

impl fmt::Display for QuoteSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for QuoteSource {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "simulated" => Ok(QuoteSource::Simulated),
            "ibkr" => Ok(QuoteSource::Ibkr),
            "http" => Ok(QuoteSource::Http),
            _ => Err(format!("unknown quote source '{s}'")),
        }
    }
}

/// How current a quote is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Freshness {
    Live,
    /// Delayed market data (typically 15 minutes), where the account has no live subscription.
    Delayed,
    /// The last price before the market closed.
    Frozen,
}

impl Freshness {
    pub fn as_str(self) -> &'static str {
        match self {
            Freshness::Live => "live",
            Freshness::Delayed => "delayed",
            Freshness::Frozen => "frozen",
        }
    }
}

impl FromStr for Freshness {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "live" => Ok(Freshness::Live),
            "delayed" => Ok(Freshness::Delayed),
            "frozen" => Ok(Freshness::Frozen),
            _ => Err(format!("unknown quote freshness '{s}'")),
        }
    }
}

/// The latest known state of one symbol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Quote {
    pub symbol: String,
    pub last: Decimal,
    pub bid: Option<Decimal>,
    pub ask: Option<Decimal>,
    /// The previous session's close: the day change is `last - prev_close`.
    pub prev_close: Option<Decimal>,
    pub volume: Option<Decimal>,
    pub time: DateTime<Utc>,
    pub source: QuoteSource,
    pub freshness: Freshness,
}

impl Quote {
    /// `last - prev_close`, when the previous close is known.
    pub fn change(&self) -> Option<Decimal> {
        self.prev_close.map(|c| self.last - c)
    }
}
