//! The simulated quote feed of the demo: seeded random walks around each symbol's last close.
//!
//! [`SimWalk`] is the pure part (same seed, same steps, same quotes); [`SimFeed`] drives it on a
//! tokio timer. Each walk is mean-reverting in log space, so prices wander around the last close
//! by a fraction of a percent instead of drifting away over a long session.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::feed::{FeedCommand, FeedEvent, FeedState, QuoteFeed};
use crate::domain::{Freshness, Quote, QuoteSource};

/// Standard deviation of one tick's log move.
const TICK_VOL: f64 = 0.0006;
/// Share of the deviation from the last close given back each tick.
const REVERSION: f64 = 0.002;
/// Chance that a symbol trades on a given tick.
const TRADE_CHANCE: f64 = 0.8;

#[derive(Debug, Clone)]
struct Walk {
    prev_close: Decimal,
    deviation: f64,
    last: Decimal,
    volume: Decimal,
}

/// Random walks for a set of symbols, advanced one tick at a time.
#[derive(Debug, Clone)]
pub struct SimWalk {
    rng: Xoshiro256PlusPlus,
    reference: HashMap<String, Decimal>,
    walks: BTreeMap<String, Walk>,
}

impl SimWalk {
    /// `reference` holds each symbol's last close: the price its walk wanders around.
    pub fn new(seed: u64, reference: HashMap<String, Decimal>) -> SimWalk {
        SimWalk {
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            reference,
            walks: BTreeMap::new(),
        }
    }

    /// Starts walking `symbol`; an error when there is no close to start from.
    pub fn subscribe(&mut self, symbol: &str) -> Result<(), String> {
        if self.walks.contains_key(symbol) {
            return Ok(());
        }
        let close = self
            .reference
            .get(symbol)
            .copied()
            .filter(|c| c.is_sign_positive() && !c.is_zero())
            .ok_or_else(|| {
                format!("{symbol} has no stored close for the simulation to start from")
            })?;
        self.walks.insert(
            symbol.to_string(),
            Walk {
                prev_close: close,
                deviation: 0.0,
                last: close,
                volume: Decimal::ZERO,
            },
        );
        Ok(())
    }

    /// One tick: the quotes of the symbols whose price moved, stamped `now`.
    pub fn step(&mut self, now: DateTime<Utc>) -> Vec<Quote> {
        let mut out = Vec::new();
        for (symbol, w) in &mut self.walks {
            if self.rng.random::<f64>() >= TRADE_CHANCE {
                continue;
            }
            let z: f64 = self.rng.sample(StandardNormal);
            w.deviation = w.deviation * (1.0 - REVERSION) + TICK_VOL * z;
            let factor = Decimal::from_f64(w.deviation.exp()).unwrap_or(Decimal::ONE);
            let last = (w.prev_close * factor).round_dp(2);
            w.volume += Decimal::from(self.rng.random_range(1..=50u32) * 100);
            if last == w.last {
                continue;
            }
            w.last = last;
            let half_spread = Decimal::new(1, 2);
            out.push(Quote {
                symbol: symbol.clone(),
                last,
                bid: Some(last - half_spread),
                ask: Some(last + half_spread),
                prev_close: Some(w.prev_close),
                volume: Some(w.volume),
                time: now,
                source: QuoteSource::Simulated,
                freshness: Freshness::Live,
            });
        }
        out
    }
}

/// [`SimWalk`] on a timer: `rate_hz` ticks per second for every subscribed symbol.
pub struct SimFeed {
    walk: SimWalk,
    rate_hz: f64,
}

impl SimFeed {
    pub fn new(walk: SimWalk, rate_hz: f64) -> SimFeed {
        SimFeed { walk, rate_hz }
    }
}

impl QuoteFeed for SimFeed {
    fn spawn(
        self: Box<Self>,
        mut commands: mpsc::UnboundedReceiver<FeedCommand>,
        events: mpsc::Sender<FeedEvent>,
    ) -> JoinHandle<()> {
        let SimFeed { mut walk, rate_hz } = *self;
        tokio::spawn(async move {
            if events
                .send(FeedEvent::State(FeedState::Simulated))
                .await
                .is_err()
            {
                return;
            }
            let period = Duration::from_secs_f64(1.0 / rate_hz.clamp(0.1, 50.0));
            let mut timer = tokio::time::interval(period);
            timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            let mut paused = false;
            loop {
                let event = tokio::select! {
                    command = commands.recv() => match command {
                        None => return,
                        Some(FeedCommand::Subscribe(symbols)) => {
                            let mut errors = Vec::new();
                            for s in symbols {
                                if let Err(message) = walk.subscribe(&s) {
                                    errors.push(FeedEvent::SymbolError { symbol: s, message });
                                }
                            }
                            for e in errors {
                                if events.send(e).await.is_err() {
                                    return;
                                }
                            }
                            continue;
                        }
                        Some(FeedCommand::Pause(p)) => {
                            paused = p;
                            FeedEvent::State(if p { FeedState::Paused } else { FeedState::Simulated })
                        }
                    },
                    // While paused the timer is not polled: no wake-ups at all.
                    _ = timer.tick(), if !paused => {
                        let quotes = walk.step(Utc::now());
                        if quotes.is_empty() {
                            continue;
                        }
                        FeedEvent::Quotes(quotes)
                    }
                };
                if events.send(event).await.is_err() {
                    return;
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn walk(seed: u64) -> SimWalk {
        let mut w = SimWalk::new(
            seed,
            HashMap::from([
                ("VTI".to_string(), dec!(250.00)),
                ("BND".to_string(), dec!(72.10)),
            ]),
        );
        w.subscribe("VTI").unwrap();
        w.subscribe("BND").unwrap();
        w
    }

    #[test]
    fn the_same_seed_gives_the_same_quotes() {
        let now = DateTime::UNIX_EPOCH;
        let (mut a, mut b) = (walk(7), walk(7));
        for _ in 0..50 {
            assert_eq!(a.step(now), b.step(now));
        }
        let mut c = walk(8);
        let differs = (0..50).any(|_| a.step(now) != c.step(now));
        assert!(differs, "another seed gives other quotes");
    }

    #[test]
    fn prices_stay_near_the_last_close_over_a_long_session() {
        let mut w = walk(3);
        let now = DateTime::UNIX_EPOCH;
        let mut ticks = 0;
        // Eight hours at 4 ticks a second.
        for _ in 0..(8 * 3600 * 4) {
            for q in w.step(now) {
                ticks += 1;
                let close = q.prev_close.unwrap();
                let dev = ((q.last - close) / close).abs();
                assert!(
                    dev < dec!(0.05),
                    "{} drifted to {} from {close}",
                    q.symbol,
                    q.last
                );
                assert_eq!(q.last.scale(), 2.min(q.last.scale()));
                assert!(q.bid.unwrap() < q.ask.unwrap());
                assert_eq!(q.source, QuoteSource::Simulated);
            }
        }
        assert!(
            ticks > 8 * 3600 * 4,
            "both symbols tick most of the time: {ticks}"
        );
    }

    #[test]
    fn a_symbol_without_a_close_is_an_error() {
        let mut w = walk(1);
        let err = w.subscribe("NOPE").unwrap_err();
        assert!(err.contains("NOPE has no stored close"), "{err}");
    }
}
