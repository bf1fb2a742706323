//! `folio quotes`: live quotes from Interactive Brokers, once or as a stream until Ctrl-C.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;

use super::Ctx;
use super::broker::{SymbolError, finish, runtime, symbol_errors, symbols as parse_symbols};
use super::output::{Report, json, opt, outln, price, qty};
use crate::domain::Quote;
use crate::format::signed_pct;
use crate::market::feed::FeedEvent;
use crate::market::ibkr;

/// How long a snapshot keeps listening once every symbol has a first quote.
const SETTLE: Duration = Duration::from_millis(400);

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Ticker symbols (US stocks and ETFs on SMART, in USD)
    #[arg(required = true)]
    symbols: Vec<String>,
    /// Where the quotes come from
    #[arg(long, value_enum, default_value_t = Source::Ibkr)]
    source: Source,
    /// Keep printing quotes as they change, until Ctrl-C
    #[arg(long)]
    stream: bool,
    /// Seconds to wait for every symbol's first quote
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=120))]
    wait: u64,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum Source {
    /// TWS or IB Gateway ([ibkr] in the config)
    Ibkr,
    /// The HTTP fallback ([http] in the config; delayed quotes)
    Http,
}

#[derive(Serialize)]
struct Out {
    quotes: Vec<Quote>,
    errors: Vec<SymbolError>,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let symbols = parse_symbols(&args.symbols)?;
    let rt = runtime()?;
    rt.block_on(run_feed(
        ctx,
        args.source,
        symbols,
        args.stream,
        Duration::from_secs(args.wait),
    ))
}

async fn run_feed(
    ctx: &Ctx,
    source: Source,
    symbols: Vec<String>,
    stream: bool,
    wait: Duration,
) -> anyhow::Result<()> {
    let (tx, mut rx) = mpsc::channel(1024);
    // Kept alive while quotes are read: dropping it stops the HTTP feed.
    let mut _feed_commands = None;
    match source {
        Source::Ibkr => {
            let (client, _id) = ibkr::connect(&ctx.config.ibkr).await?;
            for s in &symbols {
                let (client, s, tx) = (client.clone(), s.clone(), tx.clone());
                tokio::spawn(async move { ibkr::stream_symbol(&client, &s, &tx).await });
            }
        }
        // A snapshot asks for each symbol once and reports each failure as it is; the feed
        // (for --stream) polls.
        Source::Http if !stream => {
            let provider =
                std::sync::Arc::new(crate::market::http::Provider::new(&ctx.config.http)?);
            for s in &symbols {
                let (provider, s, tx) = (provider.clone(), s.clone(), tx.clone());
                tokio::spawn(async move {
                    let event = match provider.quote(&s).await {
                        Ok(q) => FeedEvent::Quotes(vec![q]),
                        Err(e) => FeedEvent::SymbolError {
                            symbol: s,
                            message: format!("{e:#}"),
                        },
                    };
                    let _ = tx.send(event).await;
                });
            }
        }
        Source::Http => {
            use crate::market::feed::{FeedCommand, QuoteFeed};
            let h = &ctx.config.http;
            let provider = crate::market::http::Provider::new(h)?;
            let feed =
                crate::market::http::HttpFeed::new(provider, Duration::from_secs(h.poll_secs));
            let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
            cmd_tx.send(FeedCommand::Subscribe(symbols.clone()))?;
            Box::new(feed).spawn(cmd_rx, tx.clone());
            _feed_commands = Some(cmd_tx);
        }
    }
    drop(tx);
    let mut quotes: BTreeMap<String, Quote> = BTreeMap::new();
    let mut errors: BTreeMap<String, String> = BTreeMap::new();
    if stream {
        let header = !ctx.json;
        if header {
            outln!(
                "{:<8} {:>12} {:>12} {:>12} {:>8}  {:<8} time",
                "symbol",
                "last",
                "bid",
                "ask",
                "change",
                "data"
            );
        }
        loop {
            tokio::select! {
                event = rx.recv() => match event {
                    Some(FeedEvent::Quotes(qs)) => {
                        for q in qs {
                            if ctx.json {
                                outln!("{}", serde_json::to_string(&q)?);
                            } else {
                                outln!("{}", line(&q));
                            }
                        }
                    }
                    Some(FeedEvent::SymbolError { symbol, message }) => {
                        eprintln!("folio: {symbol}: {message}");
                        errors.insert(symbol, message);
                    }
                    Some(FeedEvent::State(crate::market::feed::FeedState::Offline(why))) => {
                        eprintln!("folio: {why}");
                    }
                    Some(FeedEvent::State(_) | FeedEvent::Accounts(_)) => {}
                    // Every stream ended: the gateway went away.
                    None if errors.len() < symbols.len() => {
                        return Err(anyhow::anyhow!(
                            "the connection to the gateway was lost; run the command again once it is back (the cockpit reconnects by itself)"
                        ));
                    }
                    None => break,
                },
                _ = tokio::signal::ctrl_c() => break,
            }
            if errors.len() == symbols.len() {
                break;
            }
        }
        return finish(&errors, symbols.len(), "a quote");
    }
    // Wait for every symbol, then a moment more: a gateway sends a symbol's first ticks as a
    // burst (close, bid, ask, last...), and the snapshot should show all of them.
    // HTTP has its own timeouts and retries; the wait is for a gateway's first ticks.
    let wait = match source {
        Source::Ibkr => wait,
        Source::Http => wait.max(Duration::from_secs(
            ctx.config.http.timeout_secs * u64::from(ctx.config.http.attempts) + 30,
        )),
    };
    let mut deadline = tokio::time::Instant::now() + wait;
    let mut settling = false;
    loop {
        if !settling && quotes.len() + errors.len() == symbols.len() {
            settling = true;
            deadline = deadline.min(tokio::time::Instant::now() + SETTLE);
        }
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(FeedEvent::Quotes(qs))) => {
                for q in qs {
                    quotes.insert(q.symbol.clone(), q);
                }
            }
            Ok(Some(FeedEvent::SymbolError { symbol, message })) => {
                errors.insert(symbol, message);
            }
            Ok(Some(FeedEvent::State(crate::market::feed::FeedState::Offline(why)))) => {
                for s in &symbols {
                    if !quotes.contains_key(s) {
                        errors.entry(s.clone()).or_insert_with(|| why.clone());
                    }
                }
            }
            Ok(Some(FeedEvent::State(_) | FeedEvent::Accounts(_))) => {}
            Ok(None) | Err(_) => break,
        }
    }
    for s in &symbols {
        if !quotes.contains_key(s) && !errors.contains_key(s) {
            errors.insert(
                s.clone(),
                format!(
                    "no quote within {} s (is the market data farm connected?)",
                    wait.as_secs()
                ),
            );
        }
    }
    if ctx.json {
        json(&Out {
            quotes: quotes.values().cloned().collect(),
            errors: symbol_errors(&errors),
        })?;
    } else {
        let mut r = Report::new(&[
            "Symbol",
            "Last>",
            "~Bid>",
            "~Ask>",
            "Change %>",
            "~Volume>",
            "Data",
            "~Time",
        ]);
        for q in quotes.values() {
            r.row(vec![
                q.symbol.clone(),
                price(q.last),
                opt(q.bid, price),
                opt(q.ask, price),
                opt(change_pct(q), signed_pct),
                opt(q.volume, qty),
                q.freshness.as_str().to_string(),
                q.time.format("%H:%M:%S UTC").to_string(),
            ]);
        }
        if !quotes.is_empty() {
            r.print()?;
        }
        for (s, m) in &errors {
            eprintln!("folio: {s}: {m}");
        }
    }
    finish(&errors, symbols.len(), "a quote")
}

fn change_pct(q: &Quote) -> Option<rust_decimal::Decimal> {
    (q.change()? * rust_decimal::Decimal::ONE_HUNDRED)
        .checked_div(q.prev_close?)
        .map(|r| r.round_dp(2))
}

fn line(q: &Quote) -> String {
    format!(
        "{:<8} {:>12} {:>12} {:>12} {:>8}  {:<8} {}",
        q.symbol,
        price(q.last),
        opt(q.bid, price),
        opt(q.ask, price),
        opt(change_pct(q), signed_pct),
        q.freshness.as_str(),
        q.time.format("%H:%M:%S%.3f UTC"),
    )
}
