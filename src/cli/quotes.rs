//! `folio quotes`: live quotes from Interactive Brokers or the HTTP fallback, once or as a
//! stream until Ctrl-C.

use super::output::{Report, json, opt, outln, price, qty};
use super::{Ctx, named};
use crate::app::prices::SymbolError;
use crate::app::quotes::{LiveParams, LiveSource, live, start};
use crate::domain::Quote;
use crate::format::signed_pct;
use crate::market::feed::{FeedEvent, FeedState};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Ticker symbols (US stocks and ETFs on SMART, in USD)
    #[arg(required = true)]
    symbols: Vec<String>,
    /// Where the quotes come from
    #[arg(long, value_parser = named::<LiveSource>(), ignore_case = true, default_value = "ibkr")]
    source: LiveSource,
    /// Keep printing quotes as they change, until Ctrl-C
    #[arg(long)]
    stream: bool,
    /// Seconds to wait for every symbol's first quote
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=120))]
    wait: u64,
}

/// Per-symbol failures, on stderr after the table.
pub fn symbol_errors(errors: &[SymbolError]) {
    for e in errors {
        err_line(&format!("{}: {}", e.symbol, e.message));
    }
}

fn err_line(s: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "folio: {s}");
}

pub async fn run(ctx: &Ctx<'_>, args: Args) -> anyhow::Result<()> {
    let params = LiveParams {
        symbols: args.symbols,
        source: args.source,
        wait_secs: Some(args.wait),
    };
    if args.stream {
        return stream(ctx, &params).await;
    }
    let r = live(ctx.session, &params).await?;
    if ctx.json {
        json(&r)?;
    } else {
        let mut t = Report::new(&[
            "Symbol",
            "Last>",
            "~Bid>",
            "~Ask>",
            "Change %>",
            "~Volume>",
            "Data",
            "~Time",
        ]);
        for q in &r.quotes {
            t.row(vec![
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
        if !r.quotes.is_empty() {
            t.print()?;
        }
        symbol_errors(&r.errors);
    }
    match r.failure() {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// Prints every quote as it arrives until Ctrl-C, or until no symbol can stream any more.
async fn stream(ctx: &Ctx<'_>, params: &LiveParams) -> anyhow::Result<()> {
    let mut feed = start(ctx.session, params, true).await?;
    let total = feed.symbols.len();
    let mut errors: Vec<SymbolError> = Vec::new();
    if !ctx.json {
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
            event = feed.recv() => match event {
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
                    err_line(&format!("{symbol}: {message}"));
                    if !errors.iter().any(|e| e.symbol == symbol) {
                        errors.push(SymbolError { symbol, message });
                    }
                }
                Some(FeedEvent::State(FeedState::Offline(why))) => err_line(&why),
                Some(FeedEvent::State(_) | FeedEvent::Accounts(_)) => {}
                // Every stream ended: the gateway went away.
                None if errors.len() < total => {
                    return Err(anyhow::anyhow!(
                        "the connection to the gateway was lost; run the command again once it is back (the cockpit reconnects by itself)"
                    ));
                }
                None => break,
            },
            _ = tokio::signal::ctrl_c() => break,
        }
        if errors.len() == total {
            break;
        }
    }
    match crate::app::prices::failure(&errors, total, "a quote") {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
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
