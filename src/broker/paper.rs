//! folio's paper broker: deterministic fills against the quotes folio sees, as IBKR's paper
//! account fills from the top of the book (TRADING.md §3.5). A market order fills at the ask
//! (buy) or bid (sell) and is held while there is no opposite quote; a marketable limit fills at
//! the touch; a resting limit fills at its limit once the opposite quote reaches it; a stop
//! triggers when the last trade reaches it, then works as a market or limit order. Commission is
//! IBKR's fixed schedule, split across fills so they add up to the order's. It reports in the
//! same events as IBKR, so everything downstream is shared. Its book is the journal: it keeps
//! nothing of its own but the latest quotes.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use tokio::sync::mpsc;

use super::{Broker, BrokerError, BrokerEvent, OrderKey, WhatIf};
use crate::domain::Quote;
use crate::domain::order::{
    BrokerKind, Order, OrderRequest, OrderType, Schedule, Side, Tif, day_order_end, regular_hours,
};

/// The broker account paper fills are booked under.
pub const ACCOUNT: &str = "PAPER";

/// How the paper broker fills.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    pub schedule: Schedule,
    /// A quote older than this fills nothing.
    pub max_quote_age: chrono::Duration,
    /// The market is always open (the demo's simulated market).
    pub always_open: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            schedule: Schedule::IBKR_FIXED,
            max_quote_age: chrono::Duration::seconds(10),
            always_open: false,
        }
    }
}

fn key(o: &Order) -> OrderKey {
    OrderKey {
        reference: Some(o.reference.clone()),
        perm_id: None,
        client_id: Some(0),
        order_id: Some(o.id),
    }
}

fn status(o: &Order, text: &str, filled: Decimal) -> BrokerEvent {
    BrokerEvent::Status {
        key: key(o),
        status: text.into(),
        filled,
        remaining: (o.request.quantity - filled).max(Decimal::ZERO),
    }
}

/// What the paper broker does with open order `o` when it sees `quote` at `now`; `arrival` is
/// true when the order has just been placed (a marketable limit then fills at the touch).
pub fn work(
    o: &Order,
    quote: Option<&Quote>,
    now: DateTime<Utc>,
    arrival: bool,
    rules: &Rules,
) -> Vec<BrokerEvent> {
    let mut out = Vec::new();
    if !o.state.is_open() {
        return out;
    }
    let r = &o.request;
    if r.tif == Tif::Day && !rules.always_open && now >= day_order_end(o.created, r.outside_rth) {
        out.push(status(o, "Expired", o.filled));
        return out;
    }
    if !rules.always_open && !r.outside_rth && !regular_hours(now) {
        return out;
    }
    let Some(q) = quote.filter(|q| now - q.time <= rules.max_quote_age) else {
        return out;
    };
    let mut triggered = o.triggered;
    let mut arrival = arrival;
    if matches!(r.order_type, OrderType::Stop | OrderType::StopLimit) && !triggered {
        let stop = r.stop.unwrap_or_default();
        let reached = match r.side {
            Side::Buy => q.last >= stop,
            Side::Sell => q.last <= stop,
        };
        if !reached {
            return out;
        }
        triggered = true;
        // A triggered stop arrives at the market now.
        arrival = true;
        out.push(BrokerEvent::Triggered { key: key(o) });
    }
    let limit = match r.order_type {
        OrderType::Market => None,
        OrderType::Stop if triggered => None,
        OrderType::Limit | OrderType::StopLimit => r.limit,
        OrderType::Stop => return out,
    };
    let opposite = match r.side {
        Side::Buy => q.ask,
        Side::Sell => q.bid,
    };
    // Held while there is no opposite quote.
    let Some(touch) = opposite.filter(|p| *p > Decimal::ZERO) else {
        return out;
    };
    let price = match limit {
        None => touch,
        Some(l) => {
            let marketable = match r.side {
                Side::Buy => touch <= l,
                Side::Sell => touch >= l,
            };
            if !marketable {
                return out;
            }
            if arrival { touch } else { l }
        }
    };
    let shares = o.remaining();
    if shares <= Decimal::ZERO {
        return out;
    }
    let seq = fills_so_far(o) + 1;
    let exec_id = format!("P{}.{seq}.01", o.id);
    let before_value = o.avg_price.unwrap_or_default() * o.filled;
    let commission = rules
        .schedule
        .fill_charge((o.filled, before_value), shares, shares * price);
    out.push(BrokerEvent::Execution {
        key: key(o),
        exec_id: exec_id.clone(),
        account: ACCOUNT.into(),
        symbol: r.symbol.clone(),
        side: r.side,
        shares,
        price,
        time: now,
    });
    out.push(status(o, "Filled", o.filled + shares));
    out.push(BrokerEvent::Commission {
        exec_id,
        amount: commission,
        currency: "USD".into(),
    });
    out
}

/// How many fills an order has had (paper fills take all that is left, so 0 or 1; partial
/// fills come from IBKR).
fn fills_so_far(o: &Order) -> u32 {
    u32::from(o.filled > Decimal::ZERO)
}

/// The paper broker: the latest quotes it has seen, and the events it reports.
pub struct Paper {
    rules: Rules,
    quotes: Mutex<HashMap<String, Quote>>,
    tx: mpsc::UnboundedSender<BrokerEvent>,
    now: fn() -> DateTime<Utc>,
}

impl Paper {
    /// A paper broker and the receiver of its events.
    pub fn new(rules: Rules) -> (Paper, mpsc::UnboundedReceiver<BrokerEvent>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (
            Paper {
                rules,
                quotes: Mutex::new(HashMap::new()),
                tx,
                now: Utc::now,
            },
            rx,
        )
    }

    pub fn quote(&self, symbol: &str) -> Option<Quote> {
        self.quotes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(symbol)
            .cloned()
    }

    /// Works the open orders against the latest quotes: the fills, expiries and triggers.
    pub fn work_open(&self, open: &[Order]) {
        let now = (self.now)();
        for o in open.iter().filter(|o| o.broker == BrokerKind::Paper) {
            let q = self.quote(&o.request.symbol);
            for e in work(o, q.as_ref(), now, false, &self.rules) {
                let _ = self.tx.send(e);
            }
        }
    }
}

impl Broker for Paper {
    fn kind(&self) -> BrokerKind {
        BrokerKind::Paper
    }

    /// Remembers the latest quote of each symbol.
    fn see(&self, quotes: &[Quote]) {
        let mut m = self.quotes.lock().unwrap_or_else(|p| p.into_inner());
        for q in quotes {
            m.insert(q.symbol.clone(), q.clone());
        }
    }

    /// The commission on the fixed schedule at the quote (the paper broker has no margin).
    async fn preview(&self, request: &OrderRequest) -> Result<Option<WhatIf>, BrokerError> {
        let price = request.limit.or_else(|| {
            self.quote(&request.symbol)
                .map(|q| crate::domain::order::touch(request.side, &q))
        });
        Ok(price.map(|p| WhatIf {
            commission: Some(
                self.rules
                    .schedule
                    .commission(request.quantity, request.quantity * p),
            ),
            commission_currency: Some("USD".into()),
            ..WhatIf::default()
        }))
    }

    async fn submit(&self, o: &Order) -> Result<(), BrokerError> {
        let now = (self.now)();
        let held = !self.rules.always_open && !o.request.outside_rth && !regular_hours(now);
        let send = |e: BrokerEvent| {
            let _ = self.tx.send(e);
        };
        send(BrokerEvent::Open {
            key: key(o),
            status: if held { "PreSubmitted" } else { "Submitted" }.into(),
            account: Some(ACCOUNT.into()),
            symbol: o.request.symbol.clone(),
            side: o.request.side,
            quantity: o.request.quantity,
        });
        if held {
            send(BrokerEvent::Notice {
                order_id: Some(o.id),
                code: 399,
                text: "Order Message:\nWarning: your order will not be placed at the exchange until the regular session opens (09:30 New York)".into(),
            });
        }
        let q = self.quote(&o.request.symbol);
        for e in work(o, q.as_ref(), now, true, &self.rules) {
            send(e);
        }
        Ok(())
    }

    async fn cancel(&self, o: &Order) -> Result<(), BrokerError> {
        if o.state.is_open() {
            let _ = self.tx.send(status(o, "Cancelled", o.filled));
            let _ = self.tx.send(BrokerEvent::Notice {
                order_id: Some(o.id),
                code: 202,
                text: "Order Canceled - reason:".into(),
            });
        } else {
            let _ = self.tx.send(BrokerEvent::Notice {
                order_id: Some(o.id),
                code: 10148,
                text: format!(
                    "OrderId {} that needs to be cancelled cannot be cancelled, state: {}.",
                    o.id, o.state
                ),
            });
        }
        Ok(())
    }

    /// The paper broker's book is the journal: there is nothing else to reconcile.
    async fn snapshot(&self) -> Result<Vec<BrokerEvent>, BrokerError> {
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::order::OrderState;
    use crate::domain::{Freshness, QuoteSource};
    use rust_decimal_macros::dec;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    // Friday 2026-12-04, 10:00 New York.
    const OPEN: &str = "2026-12-04T15:00:00Z";

    fn order(side: Side, t: OrderType, limit: Option<Decimal>, stop: Option<Decimal>) -> Order {
        Order {
            id: 7,
            reference: "folio:7-abc".into(),
            created: at(OPEN),
            updated: at(OPEN),
            broker: BrokerKind::Paper,
            live: false,
            request: OrderRequest {
                account: "Taxable".into(),
                symbol: "VTI".into(),
                side,
                quantity: dec!(10),
                order_type: t,
                limit,
                stop,
                tif: Tif::Day,
                outside_rth: false,
                relief: None,
            },
            state: OrderState::Working,
            broker_order_id: Some(7),
            perm_id: None,
            client_id: Some(0),
            broker_account: None,
            filled: dec!(0),
            avg_price: None,
            commission: dec!(0),
            reason: None,
            cancel_requested: false,
            triggered: false,
        }
    }

    fn quote(bid: Option<Decimal>, ask: Option<Decimal>, last: Decimal) -> Quote {
        Quote {
            symbol: "VTI".into(),
            last,
            bid,
            ask,
            prev_close: None,
            volume: None,
            time: at(OPEN),
            source: QuoteSource::Simulated,
            freshness: Freshness::Live,
        }
    }

    fn fill(events: &[BrokerEvent]) -> Option<(Decimal, Decimal)> {
        events.iter().find_map(|e| match e {
            BrokerEvent::Execution { shares, price, .. } => Some((*shares, *price)),
            _ => None,
        })
    }

    fn commission(events: &[BrokerEvent]) -> Option<Decimal> {
        events.iter().find_map(|e| match e {
            BrokerEvent::Commission { amount, .. } => Some(*amount),
            _ => None,
        })
    }

    #[test]
    fn market_orders_fill_at_the_touch_and_wait_for_an_opposite_quote() {
        let r = Rules::default();
        let q = quote(Some(dec!(249.90)), Some(dec!(250.10)), dec!(250));
        let buy = order(Side::Buy, OrderType::Market, None, None);
        let e = work(&buy, Some(&q), at(OPEN), true, &r);
        assert_eq!(fill(&e), Some((dec!(10), dec!(250.10))));
        // 10 shares: 0.05 is below the USD 1 minimum.
        assert_eq!(commission(&e), Some(dec!(1.00)));
        let sell = order(Side::Sell, OrderType::Market, None, None);
        assert_eq!(
            fill(&work(&sell, Some(&q), at(OPEN), true, &r)),
            Some((dec!(10), dec!(249.90)))
        );
        // No bid: the sale is held.
        let no_bid = quote(None, Some(dec!(250.10)), dec!(250));
        assert!(work(&sell, Some(&no_bid), at(OPEN), true, &r).is_empty());
        // A stale quote fills nothing.
        assert!(work(&buy, Some(&q), at("2026-12-04T15:00:11Z"), true, &r).is_empty());
    }

    #[test]
    fn limits_rest_then_fill_at_their_limit_when_the_quote_reaches_them() {
        let r = Rules::default();
        let buy = order(Side::Buy, OrderType::Limit, Some(dec!(249)), None);
        let far = quote(Some(dec!(249.90)), Some(dec!(250.10)), dec!(250));
        assert!(work(&buy, Some(&far), at(OPEN), true, &r).is_empty());
        // The ask comes down through the limit: the resting order fills at its limit.
        let through = quote(Some(dec!(248.50)), Some(dec!(248.70)), dec!(248.60));
        assert_eq!(
            fill(&work(&buy, Some(&through), at(OPEN), false, &r)),
            Some((dec!(10), dec!(249)))
        );
        // On arrival a marketable limit fills at the touch (price improvement).
        assert_eq!(
            fill(&work(&buy, Some(&through), at(OPEN), true, &r)),
            Some((dec!(10), dec!(248.70)))
        );
        // A trade print at the limit alone does not fill it.
        let print = quote(Some(dec!(248.90)), Some(dec!(249.10)), dec!(249));
        assert!(work(&buy, Some(&print), at(OPEN), false, &r).is_empty());
    }

    #[test]
    fn stops_trigger_on_the_last_trade() {
        let r = Rules::default();
        let stop = order(Side::Sell, OrderType::Stop, None, Some(dec!(180)));
        let above = quote(Some(dec!(180.40)), Some(dec!(180.60)), dec!(180.50));
        assert!(work(&stop, Some(&above), at(OPEN), false, &r).is_empty());
        let hit = quote(Some(dec!(179.80)), Some(dec!(180.00)), dec!(179.90));
        let e = work(&stop, Some(&hit), at(OPEN), false, &r);
        assert!(matches!(e[0], BrokerEvent::Triggered { .. }));
        assert_eq!(fill(&e), Some((dec!(10), dec!(179.80))));
        // A stop-limit whose limit the bid is below triggers and rests.
        let sl = order(
            Side::Sell,
            OrderType::StopLimit,
            Some(dec!(179.90)),
            Some(dec!(180)),
        );
        let e = work(&sl, Some(&hit), at(OPEN), false, &r);
        assert!(matches!(e[..], [BrokerEvent::Triggered { .. }]));
    }

    #[test]
    fn day_orders_expire_at_the_close_and_wait_outside_hours() {
        let r = Rules::default();
        let buy = order(Side::Buy, OrderType::Market, None, None);
        let q = quote(Some(dec!(249.90)), Some(dec!(250.10)), dec!(250));
        let after_close = at("2026-12-04T21:30:00Z");
        let e = work(&buy, Some(&q), after_close, false, &r);
        assert!(matches!(&e[..], [BrokerEvent::Status { status, .. }] if status == "Expired"));
        let mut gtc = buy.clone();
        gtc.request.tif = Tif::Gtc;
        assert!(work(&gtc, Some(&q), after_close, false, &r).is_empty());
        // The demo's market never closes.
        let demo = Rules {
            always_open: true,
            max_quote_age: chrono::Duration::days(1),
            ..r
        };
        assert!(fill(&work(&buy, Some(&q), after_close, false, &demo)).is_some());
    }
}
