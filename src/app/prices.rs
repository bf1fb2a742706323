//! Daily closes: what is stored, importing a file of them, downloading them, and a symbol's
//! history for charts.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::import::read_input;
use super::{AppError, Result, Session, bad};
use crate::domain::{Named, parse_symbol};

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CoverageParams {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Coverage {
    pub symbol: String,
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub closes: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CoverageReport {
    pub prices: Vec<Coverage>,
}

/// `folio prices`: per symbol, the first and last close stored and how many.
pub fn coverage(s: &Session, _p: &CoverageParams) -> Result<CoverageReport> {
    let rows = s.read(|st| Ok(st.price_coverage()?))?;
    Ok(CoverageReport {
        prices: rows
            .into_iter()
            .map(|(symbol, first, last, closes)| Coverage {
                symbol,
                first,
                last,
                closes,
            })
            .collect(),
    })
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportPricesParams {
    /// CSV: date,symbol,close[,open,high,low,volume]
    pub file: PathBuf,
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ImportPricesReport {
    pub file: String,
    pub dry_run: bool,
    pub rows: usize,
    pub symbols: usize,
}

/// `folio prices import`: every row checked, then stored (a day already stored is replaced).
pub fn import(s: &Session, p: &ImportPricesParams) -> Result<ImportPricesReport> {
    let (source, bytes) = read_input(&p.file)?;
    let rows = crate::import::prices::parse(&source, &bytes)?;
    if !p.dry_run {
        s.write_contents("a price import", |st| {
            st.write(|w| w.upsert_prices(&rows))?;
            Ok(())
        })?;
    }
    let mut symbols: Vec<&str> = rows.iter().map(|r| r.symbol.as_str()).collect();
    symbols.sort_unstable();
    symbols.dedup();
    Ok(ImportPricesReport {
        file: source,
        dry_run: p.dry_run,
        rows: rows.len(),
        symbols: symbols.len(),
    })
}

/// Where downloaded history comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FetchSource {
    /// TWS or IB Gateway ([ibkr] in the config)
    #[default]
    Ibkr,
    /// The HTTP fallback ([http] in the config)
    Http,
}

impl Named for FetchSource {
    const ALL: &'static [(Self, &'static str, &'static str)] = &[
        (
            FetchSource::Ibkr,
            "ibkr",
            "TWS or IB Gateway ([ibkr] in the config)",
        ),
        (
            FetchSource::Http,
            "http",
            "the HTTP fallback ([http] in the config)",
        ),
    ];
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FetchParams {
    /// Ticker symbols (US stocks and ETFs on SMART, in USD).
    pub symbols: Vec<String>,
    #[serde(default)]
    pub source: FetchSource,
    /// Years of history, counting back from today (1 to 30). Default: 5.
    #[serde(default)]
    pub years: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Fetched {
    pub symbol: String,
    pub closes: usize,
    pub first: Option<NaiveDate>,
    pub last: Option<NaiveDate>,
}

/// A symbol the broker or the provider could not serve, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SymbolError {
    pub symbol: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct FetchReport {
    pub fetched: Vec<Fetched>,
    pub errors: Vec<SymbolError>,
}

impl FetchReport {
    /// The failure to report after the report itself, if any symbol failed.
    pub fn failure(&self) -> Option<AppError> {
        failure(
            &self.errors,
            self.fetched.len() + self.errors.len(),
            "history",
        )
    }
}

/// After per-symbol work: a symbol the broker does not know is bad input; any other failure
/// is a runtime failure.
pub fn failure(errors: &[SymbolError], total: usize, what: &str) -> Option<AppError> {
    if errors.is_empty() {
        return None;
    }
    let msg = format!("{} of {total} symbol(s) without {what}", errors.len());
    let unknown = |m: &str| m.contains("error 200") || m.contains("does not know this symbol");
    Some(if errors.iter().any(|e| unknown(&e.message)) {
        bad(msg)
    } else {
        AppError::Failed(anyhow::anyhow!(msg))
    })
}

pub fn symbol_errors(errors: &BTreeMap<String, String>) -> Vec<SymbolError> {
    errors
        .iter()
        .map(|(symbol, message)| SymbolError {
            symbol: symbol.clone(),
            message: message.clone(),
        })
        .collect()
}

/// Upper-cased, checked and de-duplicated ticker arguments.
pub fn symbols(args: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for s in args {
        let s = parse_symbol(s).map_err(|e| bad(format!("{e}: give tickers such as VTI AAPL")))?;
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if out.is_empty() {
        return Err(bad("no symbols given: name tickers such as VTI AAPL"));
    }
    Ok(out)
}

/// `folio prices fetch`: daily closes from the broker or the HTTP fallback, each symbol stored
/// on its own (one that fails leaves the others).
pub async fn fetch(s: &Session, p: &FetchParams) -> Result<FetchReport> {
    use crate::market::{http, ibkr};
    let symbols = symbols(&p.symbols)?;
    let years = p.years.unwrap_or(5);
    if !(1..=30).contains(&years) {
        return Err(bad(format!("years {years}: use 1 to 30")));
    }
    enum Via {
        Ibkr(std::sync::Arc<ibapi::Client>),
        Http(http::Provider),
    }
    let via = match p.source {
        FetchSource::Ibkr => Via::Ibkr(
            ibkr::connect(&s.config().ibkr)
                .await
                .map_err(|e| AppError::Failed(e.into()))?
                .0,
        ),
        FetchSource::Http => Via::Http(
            http::Provider::new(&s.config().http)
                .map_err(|e| AppError::failed(e, "cannot set up the HTTP client"))?,
        ),
    };
    let mut fetched = Vec::new();
    let mut errors = BTreeMap::new();
    for sym in &symbols {
        let got = match &via {
            Via::Ibkr(client) => {
                ibkr::daily_history(client, sym, years, s.config().ibkr.answer_timeout()).await
            }
            Via::Http(p) => p.history(sym, years).await.map_err(|e| format!("{e:#}")),
        };
        match got {
            Ok(rows) => {
                s.write_contents("storing prices", |st| {
                    st.write(|w| w.upsert_prices(&rows))?;
                    Ok(())
                })?;
                fetched.push(Fetched {
                    symbol: sym.clone(),
                    closes: rows.len(),
                    first: rows.iter().map(|r| r.date).min(),
                    last: rows.iter().map(|r| r.date).max(),
                });
            }
            Err(message) => {
                errors.insert(sym.clone(), message);
            }
        }
    }
    Ok(FetchReport {
        fetched,
        errors: symbol_errors(&errors),
    })
}

/// Daily closes per symbol, oldest first.
pub type Closes = HashMap<String, Vec<(NaiveDate, Decimal)>>;

/// The closes of `symbols` (every symbol when empty) from `from` on: what charts draw.
pub fn history(s: &Session, symbols: &[String], from: NaiveDate) -> Result<Closes> {
    let mut closes = s.read(|st| Ok(st.closes_since(from)?))?;
    if !symbols.is_empty() {
        closes.retain(|k, _| symbols.contains(k));
    }
    Ok(closes)
}
