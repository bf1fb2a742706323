//! "What would this order do, and may it go?" (the ticket: the notional, the commission, the
//! lots it relieves, the realized gain by term, every wash-sale consequence and the pre-trade
//! checks), "send it", "cancel it", and "what are my orders and fills?". The command line and
//! the cockpit's ticket call these same functions.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::tax::{TradeParams, TradePreview, trade_account};
use super::{AppError, Result, Session, bad};
use crate::broker::journal::{self, Applied, Context};
/// The broker interface and its preview, for the edges that hold a [`Desk`].
pub use crate::broker::{Broker, WhatIf};
use crate::broker::{BrokerError, BrokerEvent};
use crate::domain::order::{
    BrokerKind, Execution, Order, OrderRequest, OrderState, OrderType, Side, Tif, regular_hours,
    touch,
};
use crate::domain::{AccountKind, MAX_VALUE, Named, Quote, Relief, parse_symbol};
use crate::format::money;

/// An order as a person states it (`folio order buy VTI 10 --limit 250`, the ticket's fields).
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderParams {
    pub side: Side,
    pub symbol: String,
    /// Whole shares, more than 0.
    pub quantity: Decimal,
    /// The ledger account. Default: for a sale the one holding the symbol, for a purchase the
    /// first taxable account.
    #[serde(default)]
    pub account: Option<String>,
    /// A limit order at this price.
    #[serde(default)]
    pub limit: Option<Decimal>,
    /// A stop order triggered when the last trade reaches this price.
    #[serde(default)]
    pub stop: Option<Decimal>,
    /// With `stop`: a stop-limit order with this limit.
    #[serde(default)]
    pub stop_limit: Option<Decimal>,
    /// day (the default) or gtc.
    #[serde(default)]
    pub tif: Tif,
    /// May work outside regular hours (limit orders).
    #[serde(default)]
    pub outside_rth: bool,
    /// A sale: fifo, lifo, hifo, or the acquisition dates of the lots to sell
    /// (`2024-03-01,2024-06-03`). Default: the account's method.
    #[serde(default)]
    pub lots: Option<String>,
    /// paper or ibkr. Default: [broker] default in the config (paper).
    #[serde(default)]
    pub broker: Option<BrokerKind>,
    /// Place it even if the same order was placed within [broker] duplicate_secs.
    #[serde(default)]
    pub allow_duplicate: bool,
}

/// One pre-trade check: what it looked at and, when it fails, what to change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Check {
    /// quote, quantity, value, price_band, market_hours, holdings, ira_cash, duplicate, ledger.
    pub check: &'static str,
    pub ok: bool,
    pub message: String,
}

/// Everything the ticket shows before an order is confirmed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Ticket {
    #[serde(flatten)]
    pub request: OrderRequest,
    pub broker: BrokerKind,
    /// A real-money order (IBKR with [broker] live = true): it needs the typed confirmation.
    pub live: bool,
    /// The quote the checks and the estimate use.
    pub quote: Option<Quote>,
    pub quote_age_secs: Option<i64>,
    /// The price the estimate assumes: the limit, the stop, or the touch (ask to buy, bid to
    /// sell) for a market order.
    pub price: Option<Decimal>,
    /// Quantity x price.
    pub notional: Option<Decimal>,
    /// The commission on [broker]'s schedule (IBKR Fixed by default).
    pub commission: Option<Decimal>,
    /// The broker's own preview (IBKR's what-if), when asked for and offered.
    pub broker_preview: Option<WhatIf>,
    /// The tax consequences, exactly as `folio tax preview` computes them: the lots a sale
    /// relieves, the realized gain short and long term, the wash sales it triggers or suffers.
    pub tax: Option<TradePreview>,
    pub checks: Vec<Check>,
    /// Every check passed: the order may be confirmed.
    pub ready: bool,
    /// What to type to confirm a live order (SELL 100 VXUS).
    pub confirm: String,
    pub warnings: Vec<String>,
}

impl Ticket {
    /// The failed checks' messages, one per line.
    pub fn refusals(&self) -> Vec<&str> {
        self.checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.message.as_str())
            .collect()
    }
}

/// The checked request: the fields of `p` as an order, or the error at the field.
pub fn request(s: &Session, p: &OrderParams) -> Result<OrderRequest> {
    let symbol = parse_symbol(&p.symbol).map_err(bad)?;
    let q = p.quantity;
    if q <= Decimal::ZERO || q > MAX_VALUE {
        return Err(bad(format!(
            "quantity {q}: use a number of shares greater than 0"
        )));
    }
    if !q.fract().is_zero() {
        return Err(bad(format!(
            "quantity {q}: orders are for whole shares (IBKR takes no fractional shares through its API)"
        )));
    }
    let price = |v: Option<Decimal>, flag: &str| -> Result<Option<Decimal>> {
        match v {
            Some(x) if x <= Decimal::ZERO || x > MAX_VALUE => {
                Err(bad(format!("{flag} {x}: use a price greater than 0")))
            }
            Some(x) if x.scale() > 4 => {
                Err(bad(format!("{flag} {x}: use at most 4 decimal places")))
            }
            other => Ok(other),
        }
    };
    let limit = price(p.limit, "limit")?;
    let stop = price(p.stop, "stop")?;
    let stop_limit = price(p.stop_limit, "stop-limit")?;
    let (order_type, limit) = match (limit, stop, stop_limit) {
        (None, None, None) => (OrderType::Market, None),
        (Some(l), None, None) => (OrderType::Limit, Some(l)),
        (None, Some(_), None) => (OrderType::Stop, None),
        (None, Some(_), Some(l)) => (OrderType::StopLimit, Some(l)),
        (Some(_), Some(_), _) => {
            return Err(bad(
                "limit and stop together: for a stop-limit order give the stop and its limit as --stop and --stop-limit",
            ));
        }
        (_, None, Some(_)) => {
            return Err(bad("stop-limit needs a stop: give --stop too"));
        }
    };
    if p.outside_rth && matches!(order_type, OrderType::Market | OrderType::Stop) {
        return Err(bad(
            "outside-rth: only limit orders may work outside regular hours; give a limit",
        ));
    }
    let relief = match (&p.lots, p.side) {
        (None, _) => None,
        (Some(_), Side::Buy) => return Err(bad("lots are for choosing what a sale relieves")),
        (Some(x), Side::Sell) => Some(Relief::parse(x).map_err(bad)?),
    };
    let ledger = s.ledger()?;
    let account = trade_account(&ledger, p.side, &symbol, s.today(), p.account.as_deref())?;
    Ok(OrderRequest {
        account,
        symbol,
        side: p.side,
        quantity: q,
        order_type,
        limit,
        stop,
        tif: p.tif,
        outside_rth: p.outside_rth,
        relief,
    })
}

fn check(check: &'static str, failure: Option<String>) -> Check {
    Check {
        check,
        ok: failure.is_none(),
        message: failure.unwrap_or_default(),
    }
}

/// The ticket for `p` against `quote` (the latest the caller has) at `now`: the checks run
/// and the tax preview computed, nothing sent. Fast enough to run on every keystroke.
pub fn ticket(
    s: &Session,
    p: &OrderParams,
    quote: Option<&Quote>,
    now: DateTime<Utc>,
) -> Result<Ticket> {
    let r = request(s, p)?;
    let cfg = &s.config().broker;
    let broker = p.broker.unwrap_or(cfg.default);
    let live = broker == BrokerKind::Ibkr && cfg.live;
    let quote = quote.filter(|q| q.symbol == r.symbol);
    let ledger = s.ledger()?;
    if quote.is_none() {
        let known = s
            .read(|st| Ok(st.latest_closes(s.today())?))?
            .contains_key(&r.symbol)
            || ledger.policy.securities().get(&r.symbol).is_some();
        if !known {
            return Err(bad(format!(
                "unknown symbol {}: folio has no quote, price or listing for it; check the ticker",
                r.symbol
            )));
        }
    }
    // A stop on the wrong side of the market would trigger at once.
    if let (Some(stop), Some(q)) = (r.stop, quote) {
        match r.side {
            Side::Buy if stop <= q.last => {
                return Err(bad(format!(
                    "stop {stop}: a buy stop must be above the market ({}); to buy below it use a limit",
                    q.last
                )));
            }
            Side::Sell if stop >= q.last => {
                return Err(bad(format!(
                    "stop {stop}: a sell stop must be below the market ({}); to sell above it use a limit",
                    q.last
                )));
            }
            _ => {}
        }
    }
    let price = match r.order_type {
        OrderType::Limit | OrderType::StopLimit => r.limit,
        OrderType::Stop => r.stop,
        OrderType::Market => quote.map(|q| touch(r.side, q)),
    };
    let notional = price.map(|x| (x * r.quantity).round_dp(2));
    let commission = price.map(|x| cfg.schedule().commission(r.quantity, x * r.quantity));
    let age = quote.map(|q| (now - q.time).num_seconds());
    let mut checks = Vec::new();
    let max_age = i64::try_from(cfg.max_quote_age_secs).unwrap_or(i64::MAX);
    checks.push(check(
        "quote",
        match (quote, age) {
            (None, _) => Some(format!(
                "no quote for {}: folio does not place orders blind; run the cockpit with a quote feed, or set [quotes] source (ibkr or http)",
                r.symbol
            )),
            (Some(_), Some(a)) if a > max_age => Some(format!(
                "the quote for {} is {a} s old (the limit is {max_age} s, [broker] max_quote_age_secs): wait for a fresh quote",
                r.symbol
            )),
            _ => None,
        },
    ));
    checks.push(check(
        "quantity",
        (r.quantity > cfg.max_quantity).then(|| {
            format!(
                "{} shares is above [broker] max_quantity {}: lower the quantity, or raise the limit in the config",
                r.quantity, cfg.max_quantity
            )
        }),
    ));
    checks.push(check(
        "value",
        notional.filter(|n| *n > cfg.max_order_value).map(|n| {
            format!(
                "the order's value {} is above [broker] max_order_value {}: lower the quantity, or raise the limit in the config",
                money(n),
                money(cfg.max_order_value)
            )
        }),
    ));
    let band = cfg.price_band;
    checks.push(check(
        "price_band",
        match (r.limit, quote) {
            (Some(l), Some(q)) => {
                let reference = touch(r.side, q);
                let off = ((l - reference) / reference).abs();
                (reference > Decimal::ZERO && off > band).then(|| {
                    format!(
                        "the limit {l} is {}% from the quote {reference} (the band is {}%, [broker] price_band): use a limit nearer the market",
                        (off * Decimal::ONE_HUNDRED).round_dp(1),
                        (band * Decimal::ONE_HUNDRED).normalize()
                    )
                })
            }
            _ => None,
        },
    ));
    checks.push(check(
        "market_hours",
        (matches!(r.order_type, OrderType::Market | OrderType::Stop)
            && !s.is_demo()
            && !regular_hours(now))
        .then(|| {
            "a market order outside regular hours (09:30 to 16:00 New York): give a limit, or wait for the open".to_string()
        }),
    ));
    let journal = s.read(|st| Ok(st.orders(false)?))?;
    let open: Vec<&Order> = journal.iter().filter(|o| o.state.is_open()).collect();
    let pending = |side: Side| -> Decimal {
        open.iter()
            .filter(|o| {
                o.request.account == r.account
                    && o.request.symbol == r.symbol
                    && o.request.side == side
            })
            .map(|o| o.remaining())
            .sum()
    };
    let held: Decimal = ledger
        .book
        .lots_of(&r.account, &r.symbol)
        .map(|l| l.quantity)
        .sum();
    checks.push(check(
        "holdings",
        match r.side {
            Side::Sell if held.is_zero() => Some(format!(
                "{} holds no {}: folio does not sell short; check the account",
                r.account, r.symbol
            )),
            Side::Sell if r.quantity > held - pending(Side::Sell) => {
                let free = (held - pending(Side::Sell)).max(Decimal::ZERO);
                Some(format!(
                    "selling {} {} is more than {} holds free of working sales ({free} of {held}): sell at most {free}, or cancel a working sale (folio does not sell short)",
                    r.quantity, r.symbol, r.account
                ))
            }
            _ => None,
        },
    ));
    let kind = ledger.policy.kind(&r.account);
    checks.push(check(
        "ira_cash",
        match (r.side, kind, notional, commission) {
            (Side::Buy, AccountKind::Ira | AccountKind::Roth, Some(n), Some(c)) => {
                let working: Decimal = open
                    .iter()
                    .filter(|o| o.request.account == r.account && o.request.side == Side::Buy)
                    .filter_map(|o| o.request.limit.or(o.request.stop).map(|p| p * o.remaining()))
                    .sum();
                let cash = ledger.book.cash_in(&r.account, "USD") - working;
                (cash < n + c).then(|| {
                    format!(
                        "{} has {} USD free, less than the order's {} with commission: an IRA cannot borrow; lower the quantity or deposit cash",
                        r.account,
                        money(cash),
                        money(n + c)
                    )
                })
            }
            _ => None,
        },
    ));
    let window = chrono::Duration::seconds(i64::try_from(cfg.duplicate_secs).unwrap_or(0));
    let duplicate = journal.iter().rev().find(|o| {
        now - o.created < window
            && o.request.account == r.account
            && o.request.symbol == r.symbol
            && o.request.side == r.side
            && o.request.quantity == r.quantity
            && !matches!(
                o.state,
                OrderState::Rejected | OrderState::SendFailed | OrderState::Lost
            )
    });
    checks.push(check(
        "duplicate",
        duplicate.filter(|_| !p.allow_duplicate).map(|o| {
            format!(
                "the same order ({} {} {}) was placed {} s ago as order {}: to place it again, confirm it is wanted (--allow-duplicate)",
                r.side.upper(),
                r.quantity,
                r.symbol,
                (now - o.created).num_seconds(),
                o.id
            )
        }),
    ));
    let warnings = ledger.warnings();
    let tax = match price {
        Some(price) => {
            let t = TradeParams {
                side: r.side,
                symbol: r.symbol.clone(),
                quantity: r.quantity,
                account: Some(r.account.clone()),
                lots: r.relief.as_ref().map(|x| x.to_string()),
                price: Some(price),
                date: Some(s.today()),
            };
            // The preview replays the ledger with the trade in it: a trade it cannot apply
            // (lots that do not exist, more than is held) would be booked as one it leaves out.
            match super::tax::preview(s, &t) {
                Ok(v) => Some(v),
                Err(e) => {
                    checks.push(check(
                        "ledger",
                        Some(format!(
                            "the ledger could not book this trade: {e}; change the lots or the quantity"
                        )),
                    ));
                    None
                }
            }
        }
        None => None,
    };
    let ready = checks.iter().all(|c| c.ok);
    Ok(Ticket {
        confirm: format!("{} {} {}", r.side.upper(), r.quantity.normalize(), r.symbol),
        request: r,
        broker,
        live,
        quote: quote.cloned(),
        quote_age_secs: age,
        price,
        notional,
        commission,
        broker_preview: None,
        tax,
        checks,
        ready,
        warnings,
    })
}

/// The ticket for `p` as `desk`'s broker sees it: a live account makes it live, and the
/// broker's own preview (IBKR's what-if) is attached where it gives one (a failed preview is a
/// warning: the order can still be placed).
pub async fn prepare<B: Broker>(
    s: &Session,
    desk: &Desk<B>,
    p: &OrderParams,
    quote: Option<&Quote>,
    now: DateTime<Utc>,
) -> Result<Ticket> {
    let mut t = ticket(s, p, quote, now)?;
    t.live |= desk.broker.live();
    match what_if(desk, &t.request).await {
        Ok(w) => t.broker_preview = w,
        Err(e) => t.warnings.push(format!("{e}")),
    }
    Ok(t)
}

/// The broker's own preview of `request` (IBKR's what-if: commission and margin).
pub async fn what_if<B: Broker>(desk: &Desk<B>, request: &OrderRequest) -> Result<Option<WhatIf>> {
    desk.broker
        .preview(request)
        .await
        .map_err(|e| AppError::Failed(anyhow::anyhow!("the broker's preview: {e}")))
}

/// The IBKR broker with its reports.
pub type IbkrDesk = Desk<crate::broker::ibkr::Ibkr>;

/// A broker with the stream of what it reports.
pub struct Desk<B> {
    pub broker: B,
    events: tokio::sync::Mutex<mpsc::UnboundedReceiver<BrokerEvent>>,
    /// How reports are matched and booked.
    pub client_id: i64,
}

impl<B: Broker> Desk<B> {
    pub fn new(broker: B, events: mpsc::UnboundedReceiver<BrokerEvent>, client_id: i64) -> Desk<B> {
        Desk {
            broker,
            events: tokio::sync::Mutex::new(events),
            client_id,
        }
    }

    fn context(&self, s: &Session, source: &'static str) -> Context {
        Context {
            broker: self.broker.kind(),
            client_id: self.client_id,
            lot_method: s.config().ledger.lot_method,
            source,
        }
    }

    /// Everything reported so far, without waiting.
    async fn drain(&self) -> Vec<BrokerEvent> {
        let mut rx = self.events.lock().await;
        let mut out = Vec::new();
        while let Ok(e) = rx.try_recv() {
            out.push(e);
        }
        out
    }

    /// What is reported until `enough` says so or `timeout` passes, then whatever else is
    /// already there.
    async fn collect(
        &self,
        timeout: Duration,
        mut enough: impl FnMut(&BrokerEvent) -> bool,
    ) -> Vec<BrokerEvent> {
        let mut rx = self.events.lock().await;
        let mut out = Vec::new();
        let deadline = tokio::time::Instant::now() + timeout;
        while let Ok(Some(e)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            let done = enough(&e);
            out.push(e);
            if done {
                break;
            }
        }
        while let Ok(e) = rx.try_recv() {
            out.push(e);
        }
        out
    }
}

/// Whether a report in flight names `o` (by its reference or its broker order id).
fn is_about(o: &Order, key: &crate::broker::OrderKey) -> bool {
    key.reference.as_deref() == Some(o.reference.as_str())
        || (key.order_id.is_some() && key.order_id == o.broker_order_id)
}

/// Waits on a placed order: for its acknowledgement, and for a marketable order also for its
/// end (filled with every fill's commission, cancelled, or refused), so that `folio order` can
/// say what happened.
struct Waiter<'a> {
    order: &'a Order,
    to_the_end: bool,
    acked: bool,
    filled: bool,
    executions: HashSet<String>,
    commissions: HashSet<String>,
}

impl<'a> Waiter<'a> {
    /// `marketable`: the order should fill at once (a market order, or a limit through the
    /// quote), so its fill is waited for too.
    fn new(order: &'a Order, marketable: bool) -> Waiter<'a> {
        Waiter {
            order,
            to_the_end: marketable,
            acked: false,
            filled: false,
            executions: HashSet::new(),
            commissions: HashSet::new(),
        }
    }

    fn mine(&self, key: &crate::broker::OrderKey) -> bool {
        is_about(self.order, key)
    }

    /// Whether enough has been heard.
    fn hear(&mut self, e: &BrokerEvent) -> bool {
        match e {
            BrokerEvent::Open { key, status, .. } | BrokerEvent::Status { key, status, .. }
                if self.mine(key) =>
            {
                self.acked = true;
                match status.as_str() {
                    "Filled" => self.filled = true,
                    "Cancelled" | "ApiCancelled" | "Inactive" => return true,
                    _ => {}
                }
            }
            BrokerEvent::Notice {
                order_id: Some(id),
                code,
                text,
            } if Some(*id) == self.order.broker_order_id => {
                self.acked = true;
                if crate::broker::classify(*code, text) == crate::broker::NoticeClass::Rejected {
                    return true;
                }
            }
            BrokerEvent::Execution { key, exec_id, .. } if self.mine(key) => {
                self.executions.insert(exec_id.clone());
            }
            BrokerEvent::Commission { exec_id, .. } => {
                self.commissions.insert(exec_id.clone());
            }
            _ => {}
        }
        self.acked
            && (!self.to_the_end
                || (self.filled && self.executions.iter().all(|x| self.commissions.contains(x))))
    }
}

/// The paper broker, with the session's rules (the demo's market never closes).
pub fn paper_desk(s: &Session) -> Desk<crate::broker::paper::Paper> {
    let cfg = &s.config().broker;
    let (p, rx) = crate::broker::paper::Paper::new(crate::broker::paper::Rules {
        schedule: cfg.schedule(),
        max_quote_age: chrono::Duration::seconds(
            i64::try_from(cfg.max_quote_age_secs).unwrap_or(10),
        ),
        always_open: s.is_demo(),
    });
    Desk::new(p, rx, 0)
}

/// A connection to IBKR taking orders ([ibkr] in the config), its accounts checked against
/// [broker] (live trading only when turned on, to the accounts listed).
pub async fn ibkr_desk(s: &Session) -> Result<IbkrDesk> {
    ibkr_desk_as(s, None).await
}

/// [`ibkr_desk`] with API client id `client_id` only (IBKR lets only the client id that
/// placed an order cancel it), or the `[ibkr]` pool when None.
pub async fn ibkr_desk_as(s: &Session, client_id: Option<i64>) -> Result<IbkrDesk> {
    let (tx, rx) = mpsc::unbounded_channel();
    let cfg = s.config();
    let mut settings = cfg.ibkr.clone();
    if let Some(id) = client_id.and_then(|c| i32::try_from(c).ok()) {
        settings.client_id = id;
        settings.id_pool = 1;
    }
    let ib = crate::broker::ibkr::Ibkr::connect(&settings, &cfg.broker, tx)
        .await
        .map_err(|e| AppError::Failed(anyhow::anyhow!("{e}")))?;
    let id = ib.client_id();
    Ok(Desk::new(ib, rx, id))
}

/// The cockpit's IBKR connection for orders, kept between questions: opened on first use and
/// reconciled when opened; what the gateway reports in between is applied by [`Desks::sync`]
/// (after a 1101/1102 "connection restored" notice, with a full reconcile); a lost connection is
/// opened anew, and reconciled, by its next use.
#[derive(Default)]
pub struct Desks {
    ibkr: tokio::sync::Mutex<Option<std::sync::Arc<IbkrDesk>>>,
}

impl Desks {
    /// The kept connection, or a new one (reconciled first). `client_id` asks for the one
    /// client id that may cancel an order; another id than the kept one's is a connection of
    /// its own, not kept.
    pub async fn ibkr(
        &self,
        s: &Session,
        client_id: Option<i64>,
    ) -> Result<std::sync::Arc<IbkrDesk>> {
        let mut kept = self.ibkr.lock().await;
        match kept.as_ref().filter(|d| d.broker.connected()) {
            Some(d) if client_id.is_none_or(|c| c == d.client_id) => Ok(d.clone()),
            Some(_) => Ok(opened(s, client_id).await?.0),
            None => {
                let (d, _) = opened(s, client_id).await?;
                *kept = Some(d.clone());
                Ok(d)
            }
        }
    }

    /// Applies what the kept connection reported since it was last asked (a full reconcile
    /// after the gateway says its connection was restored); with no live connection, opens
    /// one (which reconciles). Returns whether orders changed.
    pub async fn sync(&self, s: &Session) -> Result<bool> {
        let mut kept = self.ibkr.lock().await;
        let Some(d) = kept.clone().filter(|d| d.broker.connected()) else {
            let (d, applied) = opened(s, None).await?;
            *kept = Some(d);
            return Ok(!applied.orders.is_empty());
        };
        drop(kept);
        let events = d.drain().await;
        let restored = events.iter().any(|e| {
            matches!(
                e,
                BrokerEvent::Notice {
                    order_id: None,
                    code: 1101 | 1102,
                    ..
                }
            )
        });
        let mut applied = record(s, &d.context(s, "broker"), &events)?;
        if restored {
            applied.merge(reconcile(s, &d).await?);
        }
        Ok(!applied.orders.is_empty())
    }
}

/// A new IBKR connection, reconciled: what the reconcile changed with it.
async fn opened(
    s: &Session,
    client_id: Option<i64>,
) -> Result<(std::sync::Arc<IbkrDesk>, Applied)> {
    let d = ibkr_desk_as(s, client_id).await?;
    let applied = reconcile(s, &d).await?;
    Ok((std::sync::Arc::new(d), applied))
}

/// Applies reported events to the journal (and the ledger): one transaction up to and including
/// each execution, so that a fill is on the disk before what follows it.
pub fn record(s: &Session, ctx: &Context, events: &[BrokerEvent]) -> Result<Applied> {
    let mut applied = Applied::default();
    for chunk in events.split_inclusive(|e| matches!(e, BrokerEvent::Execution { .. })) {
        let books = chunk.iter().any(|e| {
            matches!(
                e,
                BrokerEvent::Execution { .. } | BrokerEvent::Commission { .. }
            )
        });
        let now = Utc::now();
        let apply = |st: &mut crate::store::Store| -> Result<Applied> {
            st.write(|w| -> Result<Applied> { Ok(journal::apply(w, ctx, chunk, now)?) })
        };
        let a = if books {
            s.write_contents("recording fills", apply)?
        } else {
            s.write("recording order events", apply)?
        };
        applied.merge(a);
        if matches!(chunk.last(), Some(BrokerEvent::Execution { .. })) {
            crate::test_hooks::crash_point("after-execution");
        }
    }
    Ok(applied)
}

/// How an order was confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// A paper order: yes at the prompt, Enter on the ticket's confirmation, or `--yes`.
    Yes,
    /// What the user typed for a live order: must be the ticket's `confirm` exactly.
    Typed(String),
}

/// What placing an order did.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Placed {
    pub order: Order,
    /// Fills already reported.
    pub fills: Vec<Execution>,
}

/// Sends the order `ticket` describes, once: the order is journaled (committed to the disk)
/// before it is written to the broker, and never resent by folio. Refused when a check fails,
/// when the ticket is for another broker, or when a live order's typed confirmation differs.
pub async fn place<B: Broker>(
    s: &Session,
    desk: &Desk<B>,
    ticket: &Ticket,
    confirmation: &Confirmation,
) -> Result<Placed> {
    if !ticket.ready {
        return Err(bad(format!(
            "the order was not sent:\n  {}",
            ticket.refusals().join("\n  ")
        )));
    }
    if ticket.broker != desk.broker.kind() {
        return Err(bad(format!(
            "the ticket is for the {} broker, not {}",
            ticket.broker.name(),
            desk.broker.kind().name()
        )));
    }
    if ticket.live || desk.broker.live() {
        match confirmation {
            Confirmation::Typed(t) if t.trim() == ticket.confirm => {}
            _ => {
                return Err(bad(format!(
                    "a live order needs its confirmation typed exactly: {}",
                    ticket.confirm
                )));
            }
        }
    }
    let now = Utc::now();
    let token = token(now);
    let detail = serde_json::to_string(ticket).unwrap_or_default();
    let kind = desk.broker.kind();
    let client_id = desk.client_id;
    let order = s.write("journaling an order", |st| {
        st.write_durably(|w| -> Result<Order> {
            let id = w.insert_order(&ticket.request, kind, ticket.live, &token, now, &detail)?;
            let broker_id = match kind {
                BrokerKind::Paper => id,
                BrokerKind::Ibkr => {
                    let floor = w.max_order_id(kind, client_id)?.map_or(1, |m| m + 1);
                    desk.broker.next_order_id(floor)
                }
            };
            w.update_order(
                id,
                &crate::store::OrderChange {
                    broker_order_id: Some(broker_id),
                    client_id: Some(client_id),
                    ..Default::default()
                },
                now,
            )?;
            w.raise_order_id(kind, client_id, broker_id)?;
            w.log_event(Some(id), now, "cli", "journaled", &detail, None)?;
            w.order(id)?.ok_or_else(|| {
                AppError::Failed(anyhow::anyhow!("order {id} vanished from the journal"))
            })
        })
    })?;
    crate::test_hooks::crash_point("after-journal");
    if let Some(q) = &ticket.quote {
        desk.broker.see(std::slice::from_ref(q));
    }
    let sent = desk.broker.submit(&order).await;
    let ctx = desk.context(s, "broker");
    let state = match &sent {
        Ok(()) => Some(OrderState::Submitted),
        Err(BrokerError::NotSent(_)) => Some(OrderState::SendFailed),
        // The request may have gone out: it stays submitting, and reconciliation decides.
        Err(BrokerError::Failed(_)) => None,
    };
    s.write("recording an order's send", |st| {
        st.write(|w| -> Result<()> {
            w.update_order(
                order.id,
                &crate::store::OrderChange {
                    state,
                    reason: sent.as_ref().err().map(|e| e.to_string()),
                    ..Default::default()
                },
                Utc::now(),
            )?;
            Ok(())
        })
    })?;
    if let Err(e) = sent {
        return Err(AppError::Failed(anyhow::anyhow!(
            "order {} was not sent: {e}",
            order.id
        )));
    }
    let timeout = Duration::from_secs(s.config().broker.ack_timeout_secs);
    let marketable = match (order.request.order_type, order.request.limit, &ticket.quote) {
        (OrderType::Market, ..) => true,
        (OrderType::Limit, Some(l), Some(q)) => match order.request.side {
            Side::Buy => q.ask.is_some_and(|a| a <= l),
            Side::Sell => q.bid.is_some_and(|b| b >= l),
        },
        _ => false,
    };
    let mut waiter = Waiter::new(&order, marketable);
    let events = desk.collect(timeout, |e| waiter.hear(e)).await;
    record(s, &ctx, &events)?;
    let (now_order, fills) = s.read(|st| Ok((st.order(order.id)?, st.executions_of(order.id)?)))?;
    Ok(Placed {
        order: now_order.unwrap_or(order),
        fills,
    })
}

/// A reference token: unique across databases and restarts (the time, and the process).
fn token(now: DateTime<Utc>) -> String {
    format!(
        "{:x}{:04x}",
        now.timestamp_micros(),
        std::process::id() & 0xffff
    )
}

/// Asks the broker to cancel working order `id`; its state follows what the broker reports.
pub async fn cancel<B: Broker>(s: &Session, desk: &Desk<B>, id: i64) -> Result<Order> {
    let order = s
        .read(|st| Ok(st.order(id)?))?
        .ok_or_else(|| bad(format!("there is no order {id}; see `folio orders`")))?;
    if !order.state.is_open() {
        return Err(bad(format!(
            "order {id} is {} and cannot be cancelled",
            order.state
        )));
    }
    if order.broker != desk.broker.kind() {
        return Err(bad(format!(
            "order {id} is at the {} broker; cancel it with --broker {}",
            order.broker.name(),
            order.broker.name()
        )));
    }
    let now = Utc::now();
    s.write("recording a cancel request", |st| {
        st.write(|w| -> Result<()> {
            w.update_order(
                id,
                &crate::store::OrderChange {
                    cancel_requested: Some(true),
                    ..Default::default()
                },
                now,
            )?;
            w.log_event(Some(id), now, "cli", "cancel", "{}", None)?;
            Ok(())
        })
    })?;
    desk.broker
        .cancel(&order)
        .await
        .map_err(|e| AppError::Failed(anyhow::anyhow!("cancelling order {id}: {e}")))?;
    let timeout = Duration::from_secs(s.config().broker.ack_timeout_secs);
    let events = desk
        .collect(timeout, |e| match e {
            // A fill that beat the cancel is followed by its 10148: that is the answer.
            BrokerEvent::Status { key, status, .. } => {
                is_about(&order, key) && matches!(status.as_str(), "Cancelled" | "ApiCancelled")
            }
            BrokerEvent::Notice { order_id, code, .. } => {
                *order_id == order.broker_order_id && matches!(code, 10147 | 10148 | 161)
            }
            _ => false,
        })
        .await;
    record(s, &desk.context(s, "broker"), &events)?;
    Ok(s.read(|st| Ok(st.order(id)?))?.unwrap_or(order))
}

/// Brings the journal to the broker's truth: everything it reports now is applied; an order
/// journaled as being sent that it has no trace of becomes `lost`. Never resends anything.
pub async fn reconcile<B: Broker>(s: &Session, desk: &Desk<B>) -> Result<Applied> {
    let snapshot = desk
        .broker
        .snapshot()
        .await
        .map_err(|e| AppError::Failed(anyhow::anyhow!("reconciling with the broker: {e}")))?;
    let mut events = desk.drain().await;
    events.extend(snapshot);
    let ctx = desk.context(s, "reconcile");
    let mut applied = record(s, &ctx, &events)?;
    let seen: HashSet<i64> = applied.orders.iter().copied().collect();
    let lost = s.write("reconciling orders", |st| {
        st.write(|w| -> Result<Vec<i64>> {
            Ok(journal::mark_lost(
                w,
                &ctx,
                &seen,
                Utc::now(),
                chrono::Duration::seconds(30),
            )?)
        })
    })?;
    applied.merge(Applied {
        orders: lost,
        ledger: false,
    });
    Ok(applied)
}

/// The paper broker sees `quotes` and works the open paper orders against them (fills,
/// triggers, expiries).
pub async fn work_paper(
    s: &Session,
    desk: &Desk<crate::broker::paper::Paper>,
    quotes: &[Quote],
) -> Result<Applied> {
    desk.broker.see(quotes);
    let open: Vec<Order> = s
        .read(|st| Ok(st.orders(true)?))?
        .into_iter()
        .filter(|o| o.broker == BrokerKind::Paper)
        .collect();
    if open.is_empty() {
        return Ok(Applied::default());
    }
    desk.broker.work_open(&open);
    let events = desk.drain().await;
    record(s, &desk.context(s, "paper"), &events)
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrdersParams {
    /// Only orders still able to fill.
    #[serde(default)]
    pub open: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct OrdersReport {
    pub orders: Vec<Order>,
}

/// `folio orders`: the journal, newest first.
pub fn orders(s: &Session, p: &OrdersParams) -> Result<OrdersReport> {
    let mut orders = s.read(|st| Ok(st.orders(p.open)?))?;
    orders.reverse();
    Ok(OrdersReport { orders })
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Fill {
    #[serde(flatten)]
    pub execution: Execution,
    /// The ledger account it was booked in (None: an execution of an order placed outside
    /// folio, which is not booked; import it from a statement).
    pub account: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FillsReport {
    pub fills: Vec<Fill>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FillsParams {}

/// `folio fills`: every execution, newest first, with the ledger transaction it became.
pub fn fills(s: &Session, _p: &FillsParams) -> Result<FillsReport> {
    let (orders, execs) = s.read(|st| Ok((st.orders(false)?, st.executions()?)))?;
    let account_of: std::collections::HashMap<i64, &str> = orders
        .iter()
        .map(|o| (o.id, o.request.account.as_str()))
        .collect();
    let mut fills: Vec<Fill> = execs
        .into_iter()
        .map(|e| Fill {
            account: e
                .order
                .and_then(|id| account_of.get(&id))
                .map(|a| a.to_string()),
            execution: e,
        })
        .collect();
    fills.reverse();
    Ok(FillsReport { fills })
}

/// The quote a cockpit stored for `symbol` (however old).
fn stored_quote(s: &Session, symbol: &str) -> Result<Option<Quote>> {
    Ok(s.read(|st| Ok(st.quotes()?))?
        .into_iter()
        .find(|q| q.symbol == symbol))
}

/// The quotes are simulated here (the demo, or `[quotes] source = "simulated"`).
fn simulated(s: &Session) -> bool {
    s.is_demo() || s.config().quotes.source == crate::config::FeedKind::Simulated
}

/// `stored` when it is fresh enough to trade on, else where the quotes are simulated one step
/// of the simulated walk from the latest close.
fn local(s: &Session, symbol: &str, stored: Option<Quote>) -> Result<Option<Quote>> {
    let max_age = i64::try_from(s.config().broker.max_quote_age_secs).unwrap_or(i64::MAX);
    if let Some(q) = stored.filter(|q| (Utc::now() - q.time).num_seconds() <= max_age) {
        return Ok(Some(q));
    }
    if !simulated(s) {
        return Ok(None);
    }
    let closes = s.read(|st| Ok(st.latest_closes(s.today())?))?;
    let Some((_, close)) = closes.get(symbol) else {
        return Ok(None);
    };
    let mut walk = crate::market::simfeed::SimWalk::new(
        s.config().quotes.sim_seed,
        [(symbol.to_string(), *close)].into(),
    );
    walk.subscribe(symbol).map_err(bad)?;
    let now = Utc::now();
    Ok((0..1000).find_map(|_| walk.step(now).into_iter().find(|q| q.symbol == symbol)))
}

/// A quote for `symbol` without asking the network: a fresh one a cockpit saved, or, where
/// the quotes are simulated (the demo), one step of the simulated walk from its latest close.
/// (The cockpit's ticket asks this for a symbol its feed does not stream: a harvest's
/// replacement.)
pub fn local_quote(s: &Session, symbol: &str) -> Result<Option<Quote>> {
    let symbol = parse_symbol(symbol).map_err(bad)?;
    local(s, &symbol, stored_quote(s, &symbol)?)
}

/// The freshest quote folio can get for `symbol` without a running cockpit: [`local_quote`]'s,
/// else one from the configured source ([quotes] source; IBKR's for an order to IBKR when none
/// is set). Else the stored one however old, or None (the ticket's quote check says so).
pub async fn quote_for(s: &Session, symbol: &str, broker: BrokerKind) -> Result<Option<Quote>> {
    use super::quotes::{LiveParams, LiveSource, live};
    use crate::config::FeedKind;
    let symbol = parse_symbol(symbol).map_err(bad)?;
    let stored = stored_quote(s, &symbol)?;
    if let Some(q) = local(s, &symbol, stored.clone())? {
        return Ok(Some(q));
    }
    let source = match (s.config().quotes.source, broker) {
        _ if simulated(s) => None,
        (FeedKind::Ibkr, _) => Some(LiveSource::Ibkr),
        // An order to IBKR is priced on IBKR's own quote when no other source is set.
        (FeedKind::None, BrokerKind::Ibkr) => Some(LiveSource::Ibkr),
        (FeedKind::Http, _) => Some(LiveSource::Http),
        (FeedKind::None | FeedKind::Simulated, _) => None,
    };
    let Some(source) = source else {
        return Ok(stored);
    };
    let p = LiveParams {
        symbols: vec![symbol],
        source,
        wait_secs: Some(5),
    };
    Ok(live(s, &p).await?.quotes.into_iter().next().or(stored))
}

/// `folio orders --sync`: brings the journal up to date with the brokers. Open paper orders
/// are worked against fresh quotes (fills, triggers, day orders past their close); when the
/// journal has IBKR orders still open (or lost), or fills still waiting for their commission,
/// the gateway is asked for its orders and executions. Returns what was done, for the user.
pub async fn sync(s: &Session) -> Result<Vec<String>> {
    let all = s.read(|st| Ok(st.orders(false)?))?;
    let mut notes = Vec::new();
    let paper: Vec<&Order> = all
        .iter()
        .filter(|o| o.broker == BrokerKind::Paper && o.state.is_open())
        .collect();
    if !paper.is_empty() {
        let desk = paper_desk(s);
        let mut symbols: Vec<&str> = paper.iter().map(|o| o.request.symbol.as_str()).collect();
        symbols.sort_unstable();
        symbols.dedup();
        let mut quotes = Vec::new();
        for sym in symbols {
            if let Some(q) = quote_for(s, sym, BrokerKind::Paper).await? {
                quotes.push(q);
            }
        }
        let applied = work_paper(s, &desk, &quotes).await?;
        notes.push(format!(
            "paper: {} open order(s) worked against {} quote(s); {} changed",
            paper.len(),
            quotes.len(),
            applied.orders.len()
        ));
    }
    let ibkr = |id: Option<i64>| {
        all.iter()
            .any(|o| Some(o.id) == id && o.broker == BrokerKind::Ibkr)
    };
    let awaiting_commission = s
        .read(|st| Ok(st.executions()?))?
        .iter()
        .any(|e| e.commission.is_none() && ibkr(e.order));
    if awaiting_commission
        || all.iter().any(|o| {
            o.broker == BrokerKind::Ibkr && (o.state.is_open() || o.state == OrderState::Lost)
        })
    {
        let desk = ibkr_desk(s).await?;
        let applied = reconcile(s, &desk).await?;
        notes.push(format!(
            "ibkr: reconciled with the gateway (client id {}); {} order(s) changed",
            desk.client_id,
            applied.orders.len()
        ));
    }
    Ok(notes)
}
