//! The HTTP fallback for quotes and daily history: Yahoo Finance's chart API (the endpoint most
//! open-source portfolio trackers use) at a configurable base URL. Public quote APIs change and
//! throttle without notice, so every answer is checked, 429 and 5xx are retried with backoff,
//! and a changed format is reported as such instead of misread.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use serde::Deserialize;

use crate::config::Http as Settings;
use crate::domain::{Freshness, Quote, QuoteSource};
use crate::store::PriceRow;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("the quote provider does not know this symbol ({message})")]
    UnknownSymbol { symbol: String, message: String },
    #[error(
        "{url}: the quote provider still answers {status} after {attempts} attempts; try again later, or set [http] base_url to another server"
    )]
    GaveUp {
        url: String,
        status: String,
        attempts: u32,
    },
    #[error(
        "{url}: the answer is not in the format folio reads (the provider may have changed it): {detail}"
    )]
    Format { url: String, detail: String },
}

/// A client for one provider base URL.
pub struct Provider {
    client: reqwest::Client,
    base: String,
    attempts: u32,
    backoff: Duration,
}

// The parts of the chart API's answer that folio reads.
#[derive(Deserialize)]
struct Answer {
    chart: Chart,
}

#[derive(Deserialize)]
struct Chart {
    result: Option<Vec<ChartResult>>,
    error: Option<ChartError>,
}

#[derive(Deserialize)]
struct ChartError {
    code: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChartResult {
    meta: Meta,
    #[serde(default)]
    timestamp: Vec<i64>,
    indicators: Option<Indicators>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Meta {
    currency: Option<String>,
    regular_market_price: Option<f64>,
    chart_previous_close: Option<f64>,
    previous_close: Option<f64>,
    regular_market_time: Option<i64>,
    regular_market_volume: Option<f64>,
    /// Seconds east of UTC of the exchange: bar timestamps are in exchange time.
    #[serde(default)]
    gmtoffset: i64,
}

#[derive(Deserialize)]
struct Indicators {
    quote: Vec<Bars>,
}

#[derive(Deserialize)]
struct Bars {
    #[serde(default)]
    open: Vec<Option<f64>>,
    #[serde(default)]
    high: Vec<Option<f64>>,
    #[serde(default)]
    low: Vec<Option<f64>>,
    #[serde(default)]
    close: Vec<Option<f64>>,
    #[serde(default)]
    volume: Vec<Option<f64>>,
}

/// A price or volume folio can hold: finite, above zero, at most `MAX_VALUE`; else None.
fn dec(v: Option<f64>) -> Option<Decimal> {
    v.filter(|v| v.is_finite() && *v > 0.0 && *v <= 1e12)
        .and_then(Decimal::from_f64)
        .map(|d| d.round_dp(4).normalize())
}

impl Provider {
    pub fn new(s: &Settings) -> Result<Provider, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(s.timeout_secs))
            .connect_timeout(Duration::from_secs(s.timeout_secs.min(10)))
            .user_agent(concat!(
                "Mozilla/5.0 (compatible; folio/",
                env!("CARGO_PKG_VERSION"),
                ")"
            ))
            .build()?;
        Ok(Provider {
            client,
            base: s.base_url.trim_end_matches('/').to_string(),
            attempts: s.attempts.max(1),
            backoff: Duration::from_millis(500),
        })
    }

    /// `{base}/v8/finance/chart/{symbol}?{query}`, the symbol as one percent-encoded path
    /// segment: a symbol may hold `/` or `.`, and must never walk the path.
    fn url(&self, symbol: &str, query: &str) -> Result<String, anyhow::Error> {
        if symbol.is_empty() || symbol.chars().all(|c| c == '.') {
            return Err(HttpError::UnknownSymbol {
                symbol: symbol.into(),
                message: format!("'{symbol}' is not a ticker"),
            }
            .into());
        }
        let mut segment = String::new();
        for b in symbol.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                segment.push(char::from(b));
            } else {
                segment.push_str(&format!("%{b:02X}"));
            }
        }
        Ok(format!("{}/v8/finance/chart/{segment}?{query}", self.base))
    }

    /// The latest price and the previous close (the provider's data is typically delayed).
    pub async fn quote(&self, symbol: &str) -> Result<Quote, anyhow::Error> {
        let url = self.url(symbol, "range=1d&interval=1d")?;
        let r = self.chart(symbol, &url).await?;
        let format = |detail: &str| HttpError::Format {
            url: url.clone(),
            detail: detail.into(),
        };
        let last = dec(r.meta.regular_market_price)
            .ok_or_else(|| format("no usable regularMarketPrice"))?;
        let time = r
            .meta
            .regular_market_time
            .and_then(|t| DateTime::<Utc>::from_timestamp(t, 0))
            .ok_or_else(|| format("no regularMarketTime"))?;
        Ok(Quote {
            symbol: symbol.to_string(),
            last,
            bid: None,
            ask: None,
            prev_close: dec(r.meta.chart_previous_close.or(r.meta.previous_close)),
            volume: dec(r.meta.regular_market_volume),
            time,
            source: QuoteSource::Http,
            freshness: Freshness::Delayed,
        })
    }

    /// Daily bars for the last `years` years; days without a close are skipped.
    pub async fn history(&self, symbol: &str, years: u32) -> Result<Vec<PriceRow>, anyhow::Error> {
        let url = self.url(symbol, &format!("range={years}y&interval=1d"))?;
        let r = self.chart(symbol, &url).await?;
        let format = |detail: String| HttpError::Format {
            url: url.clone(),
            detail,
        };
        if let Some(c) = r.meta.currency.as_deref().filter(|c| *c != "USD") {
            tracing::info!(symbol, currency = c, "history in a currency other than USD");
        }
        let bars = r
            .indicators
            .and_then(|i| i.quote.into_iter().next())
            .ok_or_else(|| format("no indicators.quote".into()))?;
        let n = r.timestamp.len();
        if bars.close.len() != n {
            return Err(format(format!("{n} timestamps but {} closes", bars.close.len())).into());
        }
        let at = |v: &Vec<Option<f64>>, i: usize| dec(v.get(i).copied().flatten());
        let mut rows = Vec::with_capacity(n);
        for (i, t) in r.timestamp.iter().enumerate() {
            let raw = bars.close.get(i).copied().flatten();
            let Some(close) = at(&bars.close, i) else {
                if let Some(v) = raw {
                    return Err(format(format!("a close of {v} on bar {i} is not a price")).into());
                }
                continue;
            };
            let date: NaiveDate = t
                .checked_add(r.meta.gmtoffset)
                .and_then(|t| DateTime::<Utc>::from_timestamp(t, 0))
                .ok_or_else(|| format(format!("timestamp {t} is out of range")))?
                .date_naive();
            rows.push(PriceRow {
                symbol: symbol.to_string(),
                date,
                close,
                open: at(&bars.open, i),
                high: at(&bars.high, i),
                low: at(&bars.low, i),
                volume: at(&bars.volume, i),
            });
        }
        // The provider may repeat today's bar as it updates: the last one of a day wins.
        rows.dedup_by(|later, earlier| {
            if later.date == earlier.date {
                *earlier = later.clone();
                true
            } else {
                false
            }
        });
        Ok(rows)
    }

    /// GETs a chart answer, retrying 429 and 5xx with backoff (honouring Retry-After).
    async fn chart(&self, symbol: &str, url: &str) -> Result<ChartResult, anyhow::Error> {
        let mut last_status = String::new();
        for attempt in 1..=self.attempts {
            let wait = match self.client.get(url).send().await {
                Ok(resp) => {
                    let status = resp.status();
                    let retry_after = resp
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(|s| Duration::from_secs(s.min(10)));
                    if status.as_u16() == 429 || status.is_server_error() {
                        last_status = status.to_string();
                        retry_after.unwrap_or(self.backoff * 2u32.pow((attempt - 1).min(5)))
                    } else {
                        let body = resp.bytes().await.map_err(|e| HttpError::Format {
                            url: url.into(),
                            detail: format!("cannot read the body: {e}"),
                        })?;
                        return parse(symbol, url, status, &body);
                    }
                }
                Err(e) if e.is_timeout() || e.is_connect() || e.is_request() => {
                    last_status = format!("no answer ({e})");
                    self.backoff * 2u32.pow((attempt - 1).min(5))
                }
                Err(e) => return Err(e.into()),
            };
            if attempt < self.attempts {
                tracing::warn!(url, attempt, "{last_status}; retrying in {wait:?}");
                tokio::time::sleep(wait).await;
            }
        }
        Err(HttpError::GaveUp {
            url: url.into(),
            status: last_status,
            attempts: self.attempts,
        }
        .into())
    }
}

fn parse(
    symbol: &str,
    url: &str,
    status: reqwest::StatusCode,
    body: &[u8],
) -> Result<ChartResult, anyhow::Error> {
    let format = |detail: String| HttpError::Format {
        url: url.into(),
        detail,
    };
    let answer: Answer = serde_json::from_slice(body).map_err(|e| {
        let start = String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned();
        format(format!("HTTP {status}, {e}; the body starts: {start:?}"))
    })?;
    if let Some(err) = answer.chart.error {
        let message = [err.code, err.description]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(": ");
        if status.as_u16() == 404 || message.contains("Not Found") {
            return Err(HttpError::UnknownSymbol {
                symbol: symbol.into(),
                message,
            }
            .into());
        }
        return Err(format(format!("HTTP {status}: {message}")).into());
    }
    if !status.is_success() {
        return Err(format(format!("HTTP {status} without an error message")).into());
    }
    answer
        .chart
        .result
        .and_then(|r| r.into_iter().next())
        .ok_or_else(|| format("chart.result is empty".into()).into())
}

/// The cockpit's HTTP feed: a round of quotes for every subscribed symbol every `poll`.
pub struct HttpFeed {
    provider: Provider,
    poll: Duration,
}

impl HttpFeed {
    pub fn new(provider: Provider, poll: Duration) -> HttpFeed {
        HttpFeed { provider, poll }
    }
}

impl super::feed::QuoteFeed for HttpFeed {
    fn spawn(
        self: Box<Self>,
        mut commands: tokio::sync::mpsc::UnboundedReceiver<super::feed::FeedCommand>,
        events: tokio::sync::mpsc::Sender<super::feed::FeedEvent>,
    ) -> tokio::task::JoinHandle<()> {
        use super::feed::{FeedCommand, FeedEvent, FeedState};
        let HttpFeed { provider, poll } = *self;
        tokio::spawn(async move {
            let mut symbols: std::collections::BTreeSet<String> = Default::default();
            let mut paused = false;
            let mut state: Option<FeedState> = None;
            let mut next_round = tokio::time::Instant::now();
            loop {
                tokio::select! {
                    c = commands.recv() => match c {
                        None => return,
                        Some(FeedCommand::Subscribe(s)) => {
                            // The first symbols are fetched at once; later ones join the next
                            // round (a round per subscription would invite 429s).
                            if symbols.is_empty() {
                                next_round = tokio::time::Instant::now();
                            }
                            symbols.extend(s);
                        }
                        Some(FeedCommand::Pause(p)) => {
                            paused = p;
                            let s = if p { FeedState::Paused } else { FeedState::Connecting };
                            state = Some(s.clone());
                            if events.send(FeedEvent::State(s)).await.is_err() {
                                return;
                            }
                            next_round = tokio::time::Instant::now();
                        }
                    },
                    _ = tokio::time::sleep_until(next_round), if !paused && !symbols.is_empty() => {
                        next_round = tokio::time::Instant::now() + poll;
                        let mut quotes = Vec::new();
                        let mut failure = None;
                        let mut unknown = Vec::new();
                        for s in &symbols {
                            match provider.quote(s).await {
                                Ok(q) => quotes.push(q),
                                Err(e) => match e.downcast_ref::<HttpError>() {
                                    Some(HttpError::UnknownSymbol { .. }) => unknown.push((s.clone(), e.to_string())),
                                    _ => failure = Some(format!("{e:#}")),
                                },
                            }
                        }
                        for (s, message) in unknown {
                            symbols.remove(&s);
                            if events.send(FeedEvent::SymbolError { symbol: s, message }).await.is_err() {
                                return;
                            }
                        }
                        let s = match failure {
                            Some(why) if quotes.is_empty() => FeedState::Offline(why),
                            Some(why) => FeedState::Interrupted(why),
                            None => FeedState::Connected,
                        };
                        if state.as_ref() != Some(&s) {
                            state = Some(s.clone());
                            if events.send(FeedEvent::State(s)).await.is_err() {
                                return;
                            }
                        }
                        if !quotes.is_empty() && events.send(FeedEvent::Quotes(quotes)).await.is_err() {
                            return;
                        }
                    }
                }
            }
        })
    }
}
