//! Quotes: the latest ones stored in the database, live ones from the broker or the HTTP
//! fallback (a snapshot or a stream), and storing the cockpit's.

use std::collections::BTreeMap;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::prices::{SymbolError, failure, symbol_errors, symbols as parse_symbols};
use super::{AppError, Result, Session};
use crate::domain::{Named, Quote};
use crate::market::feed::{FeedCommand, FeedEvent, FeedState, QuoteFeed};
use crate::market::{http, ibkr};

/// How long a snapshot keeps listening once every symbol has a first quote: a gateway sends a
/// symbol's first ticks as a burst (close, bid, ask, last...), and the snapshot shows all.
const SETTLE: Duration = Duration::from_millis(400);

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StoredQuotesParams {
    /// Only these symbols. Default: every symbol with a stored quote.
    #[serde(default)]
    pub symbols: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct StoredQuotesReport {
    /// The latest quote the cockpit stored for each symbol, with its time, source and whether
    /// it was live, delayed or frozen. Simulated quotes are marked so: they are not prices.
    pub quotes: Vec<Quote>,
    /// Symbols asked for that have no stored quote.
    pub missing: Vec<String>,
}

/// The latest quotes in the database (written by the cockpit while its feed runs).
pub fn stored(s: &Session, p: &StoredQuotesParams) -> Result<StoredQuotesReport> {
    let wanted = if p.symbols.is_empty() {
        Vec::new()
    } else {
        parse_symbols(&p.symbols)?
    };
    let mut quotes = s.read(|st| Ok(st.quotes()?))?;
    if !wanted.is_empty() {
        quotes.retain(|q| wanted.contains(&q.symbol));
    }
    let missing = wanted
        .into_iter()
        .filter(|w| !quotes.iter().any(|q| &q.symbol == w))
        .collect();
    Ok(StoredQuotesReport { quotes, missing })
}

/// Stores the cockpit's latest quotes (at most one row per symbol).
pub fn save(s: &Session, quotes: &[Quote]) -> Result<()> {
    s.write("saving quotes", |st| {
        st.write(|w| w.upsert_quotes(quotes))?;
        Ok(())
    })
}

/// Where live quotes come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LiveSource {
    /// TWS or IB Gateway ([ibkr] in the config)
    #[default]
    Ibkr,
    /// The HTTP fallback ([http] in the config; delayed quotes)
    Http,
}

impl Named for LiveSource {
    const ALL: &'static [(Self, &'static str, &'static str)] = &[
        (
            LiveSource::Ibkr,
            "ibkr",
            "TWS or IB Gateway ([ibkr] in the config)",
        ),
        (
            LiveSource::Http,
            "http",
            "the HTTP fallback ([http] in the config; delayed quotes)",
        ),
    ];
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LiveParams {
    /// Ticker symbols (US stocks and ETFs on SMART, in USD).
    pub symbols: Vec<String>,
    #[serde(default)]
    pub source: LiveSource,
    /// Seconds to wait for every symbol's first quote (1 to 120). Default: 5.
    #[serde(default)]
    pub wait_secs: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LiveReport {
    pub quotes: Vec<Quote>,
    pub errors: Vec<SymbolError>,
}

impl LiveReport {
    /// The failure to report after the quotes, if a symbol had none.
    pub fn failure(&self) -> Option<AppError> {
        failure(
            &self.errors,
            self.quotes.len() + self.errors.len(),
            "a quote",
        )
    }
}

/// The cockpit's live feed from `source`, for `closes` (the simulated one walks from them).
pub fn feed(
    config: &crate::config::Config,
    source: crate::domain::QuoteSource,
    closes: std::collections::HashMap<String, rust_decimal::Decimal>,
) -> Result<Box<dyn QuoteFeed>> {
    use crate::domain::QuoteSource;
    use crate::market::simfeed::{SimFeed, SimWalk};
    Ok(match source {
        QuoteSource::Ibkr => Box::new(ibkr::IbkrFeed::new(config.ibkr.clone())),
        QuoteSource::Simulated => {
            let walk = SimWalk::new(config.quotes.sim_seed, closes);
            Box::new(SimFeed::new(walk, config.quotes.sim_rate_hz))
        }
        QuoteSource::Http => {
            let p = http::Provider::new(&config.http)
                .map_err(|e| AppError::failed(e, "cannot set up the HTTP client"))?;
            Box::new(http::HttpFeed::new(
                p,
                Duration::from_secs(config.http.poll_secs),
            ))
        }
    })
}

/// A running feed: its events, and what keeps it running.
pub struct QuoteStream {
    rx: mpsc::Receiver<FeedEvent>,
    /// Dropping it stops the HTTP feed.
    _commands: Option<mpsc::UnboundedSender<FeedCommand>>,
    pub symbols: Vec<String>,
}

impl QuoteStream {
    pub async fn recv(&mut self) -> Option<FeedEvent> {
        self.rx.recv().await
    }
}

/// Starts quotes for `p.symbols`: `stream` polls or subscribes for as long as the stream is
/// read; otherwise each symbol is asked once.
pub async fn start(s: &Session, p: &LiveParams, stream: bool) -> Result<QuoteStream> {
    let symbols = parse_symbols(&p.symbols)?;
    let (tx, rx) = mpsc::channel(1024);
    let mut commands = None;
    let config = s.config();
    match p.source {
        LiveSource::Ibkr => {
            let (client, _id) = ibkr::connect(&config.ibkr)
                .await
                .map_err(|e| AppError::Failed(e.into()))?;
            for sym in &symbols {
                let (client, sym, tx) = (client.clone(), sym.clone(), tx.clone());
                tokio::spawn(async move { ibkr::stream_symbol(&client, &sym, &tx).await });
            }
        }
        // A snapshot asks for each symbol once and reports each failure as it is; the feed
        // (for a stream) polls.
        LiveSource::Http if !stream => {
            let provider = std::sync::Arc::new(
                http::Provider::new(&config.http)
                    .map_err(|e| AppError::failed(e, "cannot set up the HTTP client"))?,
            );
            for sym in &symbols {
                let (provider, sym, tx) = (provider.clone(), sym.clone(), tx.clone());
                tokio::spawn(async move {
                    let event = match provider.quote(&sym).await {
                        Ok(q) => FeedEvent::Quotes(vec![q]),
                        Err(e) => FeedEvent::SymbolError {
                            symbol: sym,
                            message: format!("{e:#}"),
                        },
                    };
                    let _ = tx.send(event).await;
                });
            }
        }
        LiveSource::Http => {
            let h = &config.http;
            let provider = http::Provider::new(h)
                .map_err(|e| AppError::failed(e, "cannot set up the HTTP client"))?;
            let feed = http::HttpFeed::new(provider, Duration::from_secs(h.poll_secs));
            let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
            let _ = cmd_tx.send(FeedCommand::Subscribe(symbols.clone()));
            Box::new(feed).spawn(cmd_rx, tx.clone());
            commands = Some(cmd_tx);
        }
    }
    Ok(QuoteStream {
        rx,
        _commands: commands,
        symbols,
    })
}

/// `folio quotes`: one quote per symbol, waiting up to `wait_secs` for each.
pub async fn live(s: &Session, p: &LiveParams) -> Result<LiveReport> {
    let wait = Duration::from_secs(p.wait_secs.unwrap_or(5));
    if !(1..=120).contains(&wait.as_secs()) {
        return Err(super::bad(format!(
            "wait {} s: use 1 to 120 seconds",
            wait.as_secs()
        )));
    }
    let mut feed = start(s, p, false).await?;
    let symbols = feed.symbols.clone();
    // HTTP has its own timeouts and retries; the wait is for a gateway's first ticks.
    let h = &s.config().http;
    let wait = match p.source {
        LiveSource::Ibkr => wait,
        LiveSource::Http => wait.max(Duration::from_secs(
            h.timeout_secs * u64::from(h.attempts) + 30,
        )),
    };
    let mut quotes: BTreeMap<String, Quote> = BTreeMap::new();
    let mut errors: BTreeMap<String, String> = BTreeMap::new();
    let mut deadline = tokio::time::Instant::now() + wait;
    let mut settling = false;
    loop {
        if !settling && quotes.len() + errors.len() == symbols.len() {
            settling = true;
            deadline = deadline.min(tokio::time::Instant::now() + SETTLE);
        }
        match tokio::time::timeout_at(deadline, feed.recv()).await {
            Ok(Some(FeedEvent::Quotes(qs))) => {
                for q in qs {
                    quotes.insert(q.symbol.clone(), q);
                }
            }
            Ok(Some(FeedEvent::SymbolError { symbol, message })) => {
                errors.insert(symbol, message);
            }
            Ok(Some(FeedEvent::State(FeedState::Offline(why)))) => {
                for sym in &symbols {
                    if !quotes.contains_key(sym) {
                        errors.entry(sym.clone()).or_insert_with(|| why.clone());
                    }
                }
            }
            Ok(Some(FeedEvent::State(_) | FeedEvent::Accounts(_))) => {}
            Ok(None) | Err(_) => break,
        }
    }
    for sym in &symbols {
        if !quotes.contains_key(sym) && !errors.contains_key(sym) {
            errors.insert(
                sym.clone(),
                format!(
                    "no quote within {} s (is the market data farm connected?)",
                    wait.as_secs()
                ),
            );
        }
    }
    Ok(LiveReport {
        quotes: quotes.into_values().collect(),
        errors: symbol_errors(&errors),
    })
}
