//! Interactive Brokers quotes through the `ibapi` async client: connecting (with a handshake
//! timeout and a small pool of client ids), one market-data subscription per symbol, and ticks
//! folded into one [`Quote`] per symbol.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ibapi::contracts::tick_types::TickType;
use ibapi::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use tokio::sync::mpsc;

use super::feed::FeedEvent;
use crate::config::Ibkr as Settings;
use crate::domain::{Freshness, Quote as FolioQuote, QuoteSource};

/// Why folio could not talk to the gateway, said so that the user knows what to do.
#[derive(Debug, thiserror::Error)]
pub enum IbkrError {
    #[error(
        "nothing is listening at {0}: start TWS or IB Gateway and enable API connections (Gateway paper 4002, live 4001; TWS paper 7497, live 7496), or set [ibkr] port in the config"
    )]
    Refused(String),
    #[error(
        "the gateway at {addr} accepted the connection but did not finish the API handshake within {secs} s: is TWS or IB Gateway logged in, with API connections enabled and 127.0.0.1 a trusted address?"
    )]
    HandshakeTimeout { addr: String, secs: u64 },
    #[error(
        "client ids {first} to {last} are all in use at {addr}: close the other API clients or set [ibkr] client_id to a free id"
    )]
    IdsInUse { addr: String, first: i32, last: i32 },
    #[error("the gateway at {addr}: {message}")]
    Other { addr: String, message: String },
}

/// Connects with the first free client id of the pool (`client_id` .. `client_id + id_pool`).
pub async fn connect(s: &Settings) -> Result<(Arc<Client>, i32), IbkrError> {
    let addr = format!("{}:{}", s.host, s.port);
    let timeout = Duration::from_secs(s.connect_timeout_secs);
    let last = s.client_id.saturating_add(i32::from(s.id_pool.max(1)) - 1);
    for id in s.client_id..=last {
        // The async client has no handshake timeout of its own: a gateway that accepts the
        // socket and never answers would hang here for ever.
        // folio reconnects itself (and subscribes again), so the client's own reconnection
        // is off: two of them would race for the client id.
        let attempt = Client::builder()
            .address(&addr)
            .client_id(id)
            .max_reconnect_attempts(0)
            .connect();
        match tokio::time::timeout(timeout, attempt).await {
            Err(_) => {
                return Err(IbkrError::HandshakeTimeout {
                    addr,
                    secs: s.connect_timeout_secs,
                });
            }
            Ok(Ok(client)) => {
                tracing::info!(%addr, client_id = id, "connected to the gateway");
                // Type 3: live data where the account has a subscription, delayed data (labelled
                // as such) where it has none, instead of no data at all.
                if let Err(e) = client
                    .switch_market_data_type(MarketDataType::Delayed)
                    .await
                {
                    tracing::warn!("cannot ask for delayed data as a fallback: {e}");
                }
                return Ok((Arc::new(client), id));
            }
            Ok(Err(Error::ClientIdInUse { .. })) => {
                tracing::warn!(%addr, client_id = id, "client id in use; trying the next");
                continue;
            }
            Ok(Err(Error::Io(e))) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                return Err(IbkrError::Refused(addr));
            }
            Ok(Err(e)) => {
                return Err(IbkrError::Other {
                    addr,
                    message: e.to_string(),
                });
            }
        }
    }
    Err(IbkrError::IdsInUse {
        addr,
        first: s.client_id,
        last,
    })
}

/// A price or size folio can hold: finite, above zero, at most [`crate::domain::MAX_VALUE`].
fn plausible(v: f64) -> bool {
    v.is_finite() && v > 0.0 && v <= 1e12
}

/// The latest of each tick for one symbol, turned into a quote.
#[derive(Debug, Clone, Default)]
pub struct Folder {
    bid: Option<f64>,
    ask: Option<f64>,
    last: Option<f64>,
    close: Option<f64>,
    volume: Option<f64>,
    /// Market data type 3/4, notice 10167 or delayed tick types seen.
    delayed: bool,
    frozen: bool,
}

impl Folder {
    /// Takes a price tick; true when it changed something a quote shows.
    pub fn price(&mut self, tick: TickType, price: f64) -> bool {
        use TickType::*;
        // TWS sends -1 for "no price" (e.g. no bid outside market hours); anything not a
        // plausible price is dropped rather than trusted.
        let value = Some(price).filter(|p| plausible(*p));
        let slot = match tick {
            Bid => &mut self.bid,
            Ask => &mut self.ask,
            Last => &mut self.last,
            Close => &mut self.close,
            DelayedBid | DelayedAsk | DelayedLast | DelayedClose => {
                self.delayed = true;
                match tick {
                    DelayedBid => &mut self.bid,
                    DelayedAsk => &mut self.ask,
                    DelayedLast => &mut self.last,
                    _ => &mut self.close,
                }
            }
            _ => return false,
        };
        let changed = *slot != value;
        *slot = value;
        changed
    }

    pub fn size(&mut self, tick: TickType, size: f64) -> bool {
        match tick {
            TickType::Volume | TickType::DelayedVolume if plausible(size) || size == 0.0 => {
                self.delayed |= tick == TickType::DelayedVolume;
                let changed = self.volume != Some(size);
                self.volume = Some(size);
                changed
            }
            _ => false,
        }
    }

    pub fn market_data_type(&mut self, t: MarketDataType) {
        self.delayed = matches!(t, MarketDataType::Delayed | MarketDataType::DelayedFrozen);
        self.frozen = matches!(t, MarketDataType::Frozen | MarketDataType::DelayedFrozen);
    }

    pub fn mark_delayed(&mut self) {
        self.delayed = true;
    }

    /// The quote so far: the last trade, or the close before any trade today.
    pub fn quote(&self, symbol: &str, time: DateTime<Utc>) -> Option<FolioQuote> {
        let dec = |v: Option<f64>| {
            v.and_then(Decimal::from_f64)
                .map(|d| d.round_dp(4).normalize())
        };
        let last = dec(self.last.or(self.close))?;
        Some(FolioQuote {
            symbol: symbol.to_string(),
            last,
            bid: dec(self.bid),
            ask: dec(self.ask),
            prev_close: dec(self.close),
            volume: dec(self.volume),
            time,
            source: QuoteSource::Ibkr,
            freshness: if self.delayed {
                Freshness::Delayed
            } else if self.frozen || self.last.is_none() {
                Freshness::Frozen
            } else {
                Freshness::Live
            },
        })
    }
}

/// How a symbol's stream ended.
#[derive(Debug)]
pub enum Ended {
    /// The app stopped listening.
    Closed,
    /// The connection dropped: subscribe again once reconnected.
    ConnectionLost,
    /// The gateway refused the symbol (reported as a [`FeedEvent::SymbolError`]).
    Refused,
}

/// Streams one symbol's quotes into `events` until the subscription ends.
pub async fn stream_symbol(
    client: &Client,
    symbol: &str,
    events: &mpsc::Sender<FeedEvent>,
) -> Ended {
    let contract = Contract::stock(symbol).build();
    let mut sub = match client.market_data(&contract).subscribe().await {
        Ok(s) => s,
        Err(e) if lost(&e) => return Ended::ConnectionLost,
        Err(e) => return refuse(events, symbol, e).await,
    };
    let mut folder = Folder::default();
    while let Some(item) = sub.next().await {
        let changed = match item {
            Ok(SubscriptionItem::Data(TickTypes::Price(p))) => folder.price(p.tick_type, p.price),
            Ok(SubscriptionItem::Data(TickTypes::PriceSize(p))) => {
                folder.price(p.price_tick_type, p.price)
            }
            Ok(SubscriptionItem::Data(TickTypes::Size(s))) => folder.size(s.tick_type, s.size),
            Ok(SubscriptionItem::Data(TickTypes::MarketDataType(t))) => {
                folder.market_data_type(t);
                true
            }
            Ok(SubscriptionItem::Data(_)) => false,
            Ok(SubscriptionItem::Notice(n)) => {
                // 10167: no live subscription, delayed data shown instead.
                if n.code == 10167 {
                    folder.mark_delayed();
                }
                tracing::info!(symbol, code = n.code, "{}", n.message);
                n.code == 10167
            }
            Err(e) if lost(&e) => return Ended::ConnectionLost,
            Err(e) => return refuse(events, symbol, e).await,
        };
        if changed
            && let Some(q) = folder.quote(symbol, Utc::now())
            && events.send(FeedEvent::Quotes(vec![q])).await.is_err()
        {
            return Ended::Closed;
        }
    }
    Ended::ConnectionLost
}

/// The connection is gone (and folio should reconnect), as opposed to a refused request.
fn lost(e: &Error) -> bool {
    e.is_connection_lost() || matches!(e, Error::ConnectionFailed | Error::Shutdown)
}

async fn refuse(events: &mpsc::Sender<FeedEvent>, symbol: &str, e: Error) -> Ended {
    let message = match &e {
        Error::Notice(n) if n.code == 200 => {
            format!("IBKR knows no stock {symbol} on SMART in USD (error 200): check the symbol")
        }
        Error::Notice(n) => format!("IBKR error {}: {}", n.code, n.message),
        other => other.to_string(),
    };
    let _ = events
        .send(FeedEvent::SymbolError {
            symbol: symbol.to_string(),
            message,
        })
        .await;
    Ended::Refused
}

/// The next item of a subscription, or a timeout error once `deadline` has passed.
async fn next_before<S: futures_util::Stream + Unpin>(
    sub: &mut S,
    deadline: tokio::time::Instant,
    timeout: Duration,
    what: &str,
) -> Result<Option<S::Item>, Error> {
    tokio::time::timeout_at(deadline, futures_util::StreamExt::next(sub))
        .await
        .map_err(|_| {
            Error::Simple(format!(
                "the gateway did not send {what} within {} s ([ibkr] answer_timeout_secs)",
                timeout.as_secs()
            ))
        })
}

/// A position the broker reports.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BrokerPosition {
    pub account: String,
    pub symbol: String,
    pub quantity: Decimal,
    /// Average cost per share, commissions included, as the broker computes it.
    pub average_cost: Option<Decimal>,
}

/// Every position of every account the login can see, within `timeout`.
pub async fn positions(client: &Client, timeout: Duration) -> Result<Vec<BrokerPosition>, Error> {
    let mut sub = client.positions().await?;
    let deadline = tokio::time::Instant::now() + timeout;
    let mut out = Vec::new();
    while let Some(item) = next_before(&mut sub, deadline, timeout, "positions").await? {
        match item? {
            // Shares and ETFs only: options, futures and cash are not the ledger's holdings.
            SubscriptionItem::Data(PositionUpdate::Position(p))
                if p.contract.security_type == SecurityType::Stock =>
            {
                let Some(quantity) = Some(p.position)
                    .filter(|q| q.is_finite() && q.abs() <= 1e12)
                    .and_then(Decimal::from_f64)
                else {
                    tracing::warn!(symbol = %p.contract.symbol, "position {} ignored", p.position);
                    continue;
                };
                out.push(BrokerPosition {
                    account: p.account,
                    symbol: p.contract.symbol.to_string(),
                    quantity: quantity.round_dp(6).normalize(),
                    average_cost: Some(p.average_cost)
                        .filter(|c| plausible(*c))
                        .and_then(Decimal::from_f64)
                        .map(|d| d.round_dp(4).normalize()),
                });
            }
            SubscriptionItem::Data(PositionUpdate::Position(_)) => {}
            SubscriptionItem::Data(PositionUpdate::PositionEnd) => break,
            SubscriptionItem::Notice(n) => tracing::info!(code = n.code, "{}", n.message),
        }
    }
    Ok(out)
}

/// Net liquidation value and cash per account: (account, tag, value, currency), within
/// `timeout` (a gateway that never ends the summary is an error, not a hang).
pub async fn account_summary(
    client: &Client,
    timeout: Duration,
) -> Result<Vec<(String, String, Decimal, String)>, Error> {
    let tags = [
        AccountSummaryTags::NET_LIQUIDATION,
        AccountSummaryTags::TOTAL_CASH_VALUE,
    ];
    let mut sub = client
        .account_summary(&AccountGroup("All".into()), &tags)
        .await?;
    let deadline = tokio::time::Instant::now() + timeout;
    let mut out = Vec::new();
    while let Some(item) = next_before(&mut sub, deadline, timeout, "the account summary").await? {
        match item? {
            SubscriptionItem::Data(AccountSummaryResult::Summary(s)) => {
                if let Ok(v) = s.value.parse::<Decimal>()
                    && v.abs() <= crate::domain::MAX_VALUE
                {
                    out.push((s.account, s.tag, v, s.currency));
                }
            }
            SubscriptionItem::Data(AccountSummaryResult::End) => break,
            SubscriptionItem::Notice(n) => tracing::info!(code = n.code, "{}", n.message),
        }
    }
    Ok(out)
}

/// The account summary folded into one [`BrokerAccount`] per account.
pub fn fold_accounts(
    rows: &[(String, String, Decimal, String)],
) -> Vec<super::feed::BrokerAccount> {
    let mut out: std::collections::BTreeMap<&str, super::feed::BrokerAccount> = Default::default();
    for (account, tag, value, currency) in rows {
        let a = out
            .entry(account)
            .or_insert_with(|| super::feed::BrokerAccount {
                account: account.clone(),
                net_liquidation: None,
                cash: None,
                currency: currency.clone(),
            });
        match tag.as_str() {
            "NetLiquidation" => a.net_liquidation = Some(*value),
            "TotalCashValue" => a.cash = Some(*value),
            _ => {}
        }
    }
    out.into_values().collect()
}

/// Daily closes (trades, regular hours, not adjusted) for the last `years` years.
pub async fn daily_history(
    client: &Client,
    symbol: &str,
    years: u32,
    timeout: Duration,
) -> Result<Vec<crate::store::PriceRow>, String> {
    let contract = Contract::stock(symbol).build();
    let request = client
        .historical_data(&contract, HistoricalBarSize::Day)
        .duration((years as i32).years())
        .what_to_show(HistoricalWhatToShow::Trades)
        .trading_hours(TradingHours::Regular)
        .fetch();
    let data = tokio::time::timeout(timeout, request)
        .await
        .map_err(|_| {
            format!(
                "the gateway sent no history for {symbol} within {} s (is its historical data farm connected?)",
                timeout.as_secs()
            )
        })?
        .map_err(|e| match e {
            Error::Notice(n) if n.code == 200 => {
                format!(
                    "IBKR knows no stock {symbol} on SMART in USD (error 200): check the symbol"
                )
            }
            Error::Notice(n) => format!("IBKR error {}: {}", n.code, n.message),
            other => other.to_string(),
        })?;
    let dec = |v: f64| Decimal::from_f64(v).map(|d| d.round_dp(4).normalize());
    let mut rows = Vec::with_capacity(data.bars.len());
    for bar in data.bars {
        let date = match bar.date {
            ibapi::market_data::historical::BarTimestamp::Date(d) => d,
            ibapi::market_data::historical::BarTimestamp::DateTime(t) => t.date(),
        };
        let Some(date) = chrono::NaiveDate::from_ymd_opt(
            date.year(),
            u32::from(u8::from(date.month())),
            u32::from(date.day()),
        ) else {
            continue;
        };
        let Some(close) = dec(bar.close).filter(|_| plausible(bar.close)) else {
            return Err(format!(
                "IBKR sent a bar for {symbol} on {date} without a usable close ({})",
                bar.close
            ));
        };
        rows.push(crate::store::PriceRow {
            symbol: symbol.to_string(),
            date,
            close,
            open: dec(bar.open),
            high: dec(bar.high),
            low: dec(bar.low),
            volume: dec(bar.volume).filter(|_| plausible(bar.volume)),
        });
    }
    Ok(rows)
}

/// The cockpit's IBKR feed: connects, streams every subscribed symbol, and when the connection
/// drops (a gateway restart) reconnects with backoff and subscribes everything again, once.
pub struct IbkrFeed {
    settings: Settings,
}

impl IbkrFeed {
    pub fn new(settings: Settings) -> IbkrFeed {
        IbkrFeed { settings }
    }
}

/// The gateway's health as its global notices describe it: the link to IBKR (1100 lost;
/// 1101/1102 restored) and each data farm (2103/2105/2157 broken, 2104/2106/2158 OK, named after
/// the colon of the message, e.g. "usfarm").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Health {
    link_down: bool,
    broken_farms: std::collections::BTreeMap<String, i32>,
}

impl Health {
    /// Takes a notice; true when market data was lost and every symbol must be subscribed again.
    pub fn notice(&mut self, code: i32, message: &str) -> bool {
        let farm = || {
            message
                .rsplit_once(':')
                .map_or(message, |(_, f)| f)
                .trim()
                .to_string()
        };
        match code {
            1100 => self.link_down = true,
            1101 => {
                self.link_down = false;
                return true;
            }
            1102 => self.link_down = false,
            2103 | 2105 | 2157 => {
                self.broken_farms.insert(farm(), code);
            }
            2104 | 2106 | 2158 => {
                self.broken_farms.remove(&farm());
            }
            _ => {}
        }
        false
    }

    pub fn state(&self) -> super::feed::FeedState {
        use super::feed::FeedState::*;
        if self.link_down {
            return Interrupted("the gateway lost its connection to IBKR (1100)".into());
        }
        if self.broken_farms.is_empty() {
            return Connected;
        }
        let farms: Vec<String> = self
            .broken_farms
            .iter()
            .map(|(f, code)| format!("{f} ({code})"))
            .collect();
        Interrupted(format!("data farm disconnected: {}", farms.join(", ")))
    }
}

/// Waits between reconnection attempts: short at first, then every 4 s.
fn backoff(attempt: u32) -> Duration {
    match attempt {
        0 | 1 => Duration::from_millis(500),
        2 => Duration::from_secs(1),
        3 => Duration::from_secs(2),
        _ => Duration::from_secs(4),
    }
}

impl super::feed::QuoteFeed for IbkrFeed {
    fn spawn(
        self: Box<Self>,
        mut commands: mpsc::UnboundedReceiver<super::feed::FeedCommand>,
        events: mpsc::Sender<FeedEvent>,
    ) -> tokio::task::JoinHandle<()> {
        use super::feed::{FeedCommand, FeedState};
        use std::collections::BTreeSet;
        let settings = self.settings;
        let timeout = settings.answer_timeout();
        tokio::spawn(async move {
            let mut symbols: BTreeSet<String> = BTreeSet::new();
            let mut paused = false;
            let mut attempt: u32 = 0;
            let state = |s: FeedState| FeedEvent::State(s);
            loop {
                let s = if attempt == 0 {
                    FeedState::Connecting
                } else {
                    FeedState::Reconnecting { attempt }
                };
                if events.send(state(s)).await.is_err() {
                    return;
                }
                let client = match connect(&settings).await {
                    Ok((client, _)) => client,
                    Err(e) => {
                        tracing::warn!("{e}");
                        if attempt == 0
                            && events
                                .send(state(FeedState::Offline(e.to_string())))
                                .await
                                .is_err()
                        {
                            return;
                        }
                        attempt += 1;
                        // Keep taking commands while waiting to retry.
                        let wait = tokio::time::sleep(backoff(attempt));
                        tokio::pin!(wait);
                        loop {
                            tokio::select! {
                                _ = &mut wait => break,
                                c = commands.recv() => match c {
                                    None => return,
                                    Some(FeedCommand::Subscribe(s)) => symbols.extend(s),
                                    Some(FeedCommand::Pause(p)) => {
                                        paused = p;
                                        if p && events.send(state(FeedState::Paused)).await.is_err() {
                                            return;
                                        }
                                    }
                                },
                            }
                        }
                        continue;
                    }
                };
                // Listen for the gateway's notices before saying "connected": one sent right
                // after would otherwise be lost (the stream only carries what comes after it).
                let mut notices = client.notice_stream().ok();
                let first = if paused {
                    FeedState::Paused
                } else {
                    FeedState::Connected
                };
                if events.send(state(first)).await.is_err() {
                    return;
                }
                // The accounts' net liquidation and cash, now and every minute (a JoinSet, so
                // that every way out of this connection stops it).
                let mut accounts = tokio::task::JoinSet::new();
                {
                    let (client, events) = (client.clone(), events.clone());
                    accounts.spawn(async move {
                        loop {
                            match account_summary(&client, timeout).await {
                                Ok(rows) => {
                                    let folded = fold_accounts(&rows);
                                    if events.send(FeedEvent::Accounts(folded)).await.is_err() {
                                        return;
                                    }
                                }
                                Err(e) => tracing::warn!("account summary: {e}"),
                            }
                            tokio::time::sleep(Duration::from_secs(60)).await;
                        }
                    });
                }
                // The state last reported: a notice that repeats it is not news.
                let mut current = FeedState::Connected;
                let mut health = Health::default();
                let mut tasks = tokio::task::JoinSet::new();
                let start = |tasks: &mut tokio::task::JoinSet<Ended>, s: &str| {
                    let (client, s, events) = (client.clone(), s.to_string(), events.clone());
                    tasks.spawn(async move { stream_symbol(&client, &s, &events).await });
                };
                if !paused {
                    for s in &symbols {
                        start(&mut tasks, s);
                    }
                }
                // Until the connection is lost (every other way out returns).
                loop {
                    tokio::select! {
                        c = commands.recv() => match c {
                            None => return,
                            Some(FeedCommand::Subscribe(new)) => {
                                for s in new {
                                    if symbols.insert(s.clone()) && !paused {
                                        start(&mut tasks, &s);
                                    }
                                }
                            }
                            Some(FeedCommand::Pause(p)) if p != paused => {
                                paused = p;
                                if p {
                                    // Dropping the subscriptions cancels them at the gateway.
                                    tasks.abort_all();
                                    current = FeedState::Paused;
                                    let _ = events.send(state(FeedState::Paused)).await;
                                } else {
                                    for s in &symbols {
                                        start(&mut tasks, s);
                                    }
                                    current = FeedState::Connected;
                                    let _ = events.send(state(FeedState::Connected)).await;
                                }
                            }
                            Some(FeedCommand::Pause(_)) => {}
                        },
                        notice = async {
                            match notices.as_mut() {
                                Some(n) => n.next().await,
                                None => std::future::pending().await,
                            }
                        } => {
                            // The notice stream ends with the connection, even when no symbol
                            // task is running to notice it.
                            let Some(n) = notice else { break };
                            tracing::info!(code = n.code, "{}", n.message);
                            if health.notice(n.code, &n.message) {
                                tasks.abort_all();
                                while tasks.join_next().await.is_some() {}
                                if !paused {
                                    for s in &symbols {
                                        start(&mut tasks, s);
                                    }
                                }
                            }
                            let s = if paused { FeedState::Paused } else { health.state() };
                            if s != current {
                                current = s.clone();
                                let _ = events.send(state(s)).await;
                            }
                        }
                        Some(done) = tasks.join_next() => match done {
                            Ok(Ended::ConnectionLost) => break,
                            Ok(Ended::Closed) => return,
                            Ok(Ended::Refused) | Err(_) => {}
                        },
                    }
                }
                accounts.abort_all();
                tracing::warn!("lost the gateway connection; reconnecting");
                tasks.abort_all();
                drop(client);
                attempt = 1;
                tokio::time::sleep(backoff(attempt)).await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_fold_into_one_quote_and_delayed_ticks_label_it() {
        let mut f = Folder::default();
        let t = DateTime::UNIX_EPOCH;
        assert!(f.quote("VTI", t).is_none(), "nothing yet");
        assert!(f.price(TickType::Close, 250.0));
        let q = f.quote("VTI", t).unwrap();
        assert_eq!(
            (q.last, q.freshness),
            (Decimal::from(250), Freshness::Frozen)
        );
        f.price(TickType::Bid, 251.1);
        f.price(TickType::Ask, 251.2);
        f.price(TickType::Last, 251.15);
        f.size(TickType::Volume, 12345.0);
        assert!(
            !f.price(TickType::Last, 251.15),
            "same price: nothing changed"
        );
        assert!(!f.price(TickType::High, 252.0), "not shown");
        let q = f.quote("VTI", t).unwrap();
        assert_eq!(q.last.to_string(), "251.15");
        assert_eq!(q.bid.unwrap().to_string(), "251.1");
        assert_eq!(q.ask.unwrap().to_string(), "251.2");
        assert_eq!(q.prev_close, Some(Decimal::from(250)));
        assert_eq!(q.volume, Some(Decimal::from(12345)));
        assert_eq!(q.freshness, Freshness::Live);
        assert_eq!(q.source, QuoteSource::Ibkr);
        // No bid outside market hours arrives as -1: cleared, not a price.
        f.price(TickType::Bid, -1.0);
        assert_eq!(f.quote("VTI", t).unwrap().bid, None);

        let mut d = Folder::default();
        d.price(TickType::DelayedLast, 99.5);
        assert_eq!(d.quote("X", t).unwrap().freshness, Freshness::Delayed);
        let mut m = Folder::default();
        m.market_data_type(MarketDataType::Delayed);
        m.price(TickType::Last, 10.0);
        assert_eq!(m.quote("X", t).unwrap().freshness, Freshness::Delayed);
    }

    #[test]
    fn global_notices_track_the_link_and_each_farm() {
        use crate::market::feed::FeedState;
        let mut h = Health::default();
        assert_eq!(h.state(), FeedState::Connected);
        assert!(!h.notice(2103, "Market data farm connection is broken:usfarm"));
        assert!(!h.notice(2103, "Market data farm connection is broken:cashfarm"));
        // Another farm coming back does not hide the one still down.
        h.notice(2104, "Market data farm connection is OK:cashfarm");
        assert_eq!(
            h.state(),
            FeedState::Interrupted("data farm disconnected: usfarm (2103)".into())
        );
        h.notice(2104, "Market data farm connection is OK:usfarm");
        assert_eq!(h.state(), FeedState::Connected);
        h.notice(1100, "Connectivity between IB and TWS has been lost.");
        assert!(matches!(h.state(), FeedState::Interrupted(m) if m.contains("1100")));
        assert!(h.notice(1101, "restored - data lost"), "subscribe again");
        assert_eq!(h.state(), FeedState::Connected);
        h.notice(1100, "lost");
        assert!(!h.notice(1102, "restored - data maintained"));
        assert_eq!(h.state(), FeedState::Connected);
        assert!(!h.notice(2119, "Market data farm is connecting:usfarm"));
    }
}
