//! Orders through Interactive Brokers (`ibapi`): one order-update stream for this client id
//! and the gateway's notices beside it, orders placed with folio's reference in `order_ref`,
//! snapshots of open orders, completed orders and executions for reconciliation, and the
//! what-if preview (TRADING.md §1).
//!
//! The broker gets its own connection, with a client id from the `[ibkr]` pool: order ids
//! belong to a client id, and a cancel or a modify must come from the id that placed the
//! order, so orders must not ride on whatever id the quote feed happened to get. The
//! connection's client id is journaled with each order.

use std::sync::Arc;
use std::time::Duration;

use ibapi::orders::{
    Action, ExecutionFilter, ExecutionSide, OrderData, OrderStatus as IbStatus, OrderUpdate,
    Orders, TimeInForce,
};
use ibapi::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use tokio::sync::mpsc;

use super::{Broker, BrokerError, BrokerEvent, OrderKey, WhatIf};
use crate::domain::order::{
    BrokerKind, Order, OrderRequest, OrderType, Side, Tif, parse_broker_time,
};

/// IBKR's paper accounts start DU (individual) or DF (advisor); any other is real money.
pub fn is_paper_account(id: &str) -> bool {
    id.starts_with("DU") || id.starts_with("DF")
}

/// An IBKR connection taking orders.
pub struct Ibkr {
    client: Arc<Client>,
    client_id: i64,
    /// The account orders go to (the first the login manages).
    account: String,
    live: bool,
    answer_timeout: Duration,
    _stream: tokio::task::JoinHandle<()>,
    _notices: tokio::task::JoinHandle<()>,
}

fn dec(v: f64) -> Decimal {
    Decimal::from_f64(v)
        .unwrap_or_default()
        .round_dp(8)
        .normalize()
}

fn side_of(a: &Action) -> Side {
    match a {
        Action::Buy => Side::Buy,
        _ => Side::Sell,
    }
}

fn status_text(s: &ibapi::orders::OrderStatusKind) -> String {
    s.as_str().to_string()
}

fn key(reference: &str, perm_id: i64, client_id: i32, order_id: i32) -> OrderKey {
    OrderKey {
        reference: Some(reference.to_string()).filter(|r| !r.is_empty()),
        perm_id: Some(perm_id).filter(|p| *p != 0),
        client_id: Some(i64::from(client_id)).filter(|c| *c != 0 || order_id > 0),
        order_id: Some(i64::from(order_id)).filter(|i| *i > 0),
    }
}

fn open_event(d: &OrderData) -> BrokerEvent {
    let o = &d.order;
    // A completed order's total_quantity is what was left unfilled (ibapi 5.5).
    let quantity = dec(o.total_quantity + o.filled_quantity);
    BrokerEvent::Open {
        key: key(
            &o.order_ref,
            o.perm_id,
            o.client_id,
            d.order_id.max(o.order_id),
        ),
        status: status_text(&d.order_state.status),
        account: Some(o.account.clone()).filter(|a| !a.is_empty()),
        symbol: d.contract.symbol.to_string(),
        side: side_of(&o.action),
        quantity,
    }
}

fn status_event(s: &IbStatus) -> BrokerEvent {
    BrokerEvent::Status {
        key: key("", s.perm_id, s.client_id, s.order_id),
        status: status_text(&s.status),
        filled: dec(s.filled),
        remaining: dec(s.remaining),
    }
}

fn execution_event(e: &ibapi::orders::ExecutionData) -> BrokerEvent {
    let x = &e.execution;
    let time = parse_broker_time(&x.time).unwrap_or_else(|| {
        tracing::warn!(time = %x.time, exec_id = %x.execution_id, "unreadable execution time; using now");
        chrono::Utc::now()
    });
    BrokerEvent::Execution {
        key: key(&x.order_reference, x.perm_id, x.client_id, x.order_id),
        exec_id: x.execution_id.clone(),
        account: x.account_number.clone(),
        symbol: e.contract.symbol.to_string(),
        side: match x.side {
            ExecutionSide::Bought => Side::Buy,
            ExecutionSide::Sold => Side::Sell,
        },
        shares: dec(x.shares),
        price: dec(x.price),
        time,
    }
}

fn commission_event(c: &ibapi::orders::CommissionReport) -> BrokerEvent {
    BrokerEvent::Commission {
        exec_id: c.execution_id.clone(),
        amount: dec(c.commission),
        currency: c.currency.clone(),
    }
}

fn failed(e: impl std::fmt::Display) -> BrokerError {
    BrokerError::Failed(e.to_string())
}

impl Ibkr {
    /// Connects (a client id from the pool), checks the accounts the login manages against
    /// `[broker]` (a live account needs `live = true` and to be listed in `accounts`), and
    /// starts the order-update stream. Events go to `tx`.
    pub async fn connect(
        settings: &crate::config::Ibkr,
        broker: &crate::config::Broker,
        tx: mpsc::UnboundedSender<BrokerEvent>,
    ) -> Result<Ibkr, BrokerError> {
        let (client, client_id) = crate::market::ibkr::connect(settings)
            .await
            .map_err(|e| BrokerError::NotSent(e.to_string()))?;
        let accounts = tokio::time::timeout(settings.answer_timeout(), client.managed_accounts())
            .await
            .map_err(|_| {
                BrokerError::NotSent("the gateway did not say which accounts it manages".into())
            })?
            .map_err(|e| BrokerError::NotSent(format!("the gateway's accounts: {e}")))?;
        let Some(account) = accounts.iter().find(|a| !a.is_empty()).cloned() else {
            return Err(BrokerError::NotSent(
                "the gateway manages no account; is it logged in?".into(),
            ));
        };
        let live = !is_paper_account(&account);
        if live && !broker.live {
            return Err(BrokerError::NotSent(format!(
                "the gateway is logged in to {account}, a live (real-money) account, and live trading is off: folio trades live only with [broker] live = true and {account} in [broker] accounts; log the gateway in to a paper account (DU...) to practise"
            )));
        }
        if live && !broker.accounts.iter().any(|a| a == &account) {
            return Err(BrokerError::NotSent(format!(
                "the gateway is logged in to the live account {account}, which is not in [broker] accounts: add it there to trade it"
            )));
        }
        // The one order-update stream, live before anything is sent or snapshotted.
        let mut updates = client
            .order_update_stream()
            .await
            .map_err(|e| BrokerError::NotSent(format!("the gateway's order updates: {e}")))?;
        let stream_tx = tx.clone();
        let stream = tokio::spawn(async move {
            while let Some(item) = updates.next().await {
                let event = match item {
                    Ok(SubscriptionItem::Data(OrderUpdate::OrderStatus(s))) => status_event(&s),
                    Ok(SubscriptionItem::Data(OrderUpdate::OpenOrder(d))) => open_event(&d),
                    Ok(SubscriptionItem::Data(OrderUpdate::ExecutionData(e))) => {
                        execution_event(&e)
                    }
                    Ok(SubscriptionItem::Data(OrderUpdate::CommissionReport(c))) => {
                        commission_event(&c)
                    }
                    Ok(SubscriptionItem::Data(OrderUpdate::OrderBound(_))) => continue,
                    Ok(SubscriptionItem::Notice(n)) => BrokerEvent::Notice {
                        order_id: n.request_id.map(i64::from),
                        code: n.code,
                        text: n.message,
                    },
                    Err(e) => {
                        tracing::warn!("the order-update stream ended: {e}");
                        break;
                    }
                };
                if stream_tx.send(event).is_err() {
                    break;
                }
            }
        });
        let mut notices = client
            .notice_stream()
            .map_err(|e| BrokerError::NotSent(format!("the gateway's notices: {e}")))?;
        let notices = tokio::spawn(async move {
            while let Some(n) = notices.next().await {
                if n.request_id.is_some_and(|id| id >= 0) {
                    // Order and request errors come through their own streams.
                    continue;
                }
                if tx
                    .send(BrokerEvent::Notice {
                        order_id: None,
                        code: n.code,
                        text: n.message,
                    })
                    .is_err()
                {
                    break;
                }
            }
        });
        Ok(Ibkr {
            client,
            client_id: i64::from(client_id),
            account,
            live,
            answer_timeout: settings.answer_timeout(),
            _stream: stream,
            _notices: notices,
        })
    }

    pub fn client_id(&self) -> i64 {
        self.client_id
    }

    /// The connection is up (a lost one is opened anew, and reconciled, by its next use).
    pub fn connected(&self) -> bool {
        self.client.is_connected()
    }

    fn order(&self, r: &OrderRequest) -> Result<ibapi::orders::Order, BrokerError> {
        let qty = r
            .quantity
            .to_f64()
            .ok_or_else(|| BrokerError::NotSent(format!("quantity {}", r.quantity)))?;
        let px = |d: Option<Decimal>| d.and_then(|x| x.to_f64());
        let action = match r.side {
            Side::Buy => Action::Buy,
            Side::Sell => Action::Sell,
        };
        let mut o = ibapi::orders::order_builder::market_order(action, qty);
        o.order_type = r.order_type.ibkr().to_string();
        match r.order_type {
            OrderType::Market => {}
            OrderType::Limit => o.limit_price = px(r.limit),
            OrderType::Stop => o.aux_price = px(r.stop),
            OrderType::StopLimit => {
                o.limit_price = px(r.limit);
                o.aux_price = px(r.stop);
            }
        }
        o.tif = match r.tif {
            Tif::Day => TimeInForce::Day,
            Tif::Gtc => TimeInForce::GoodTillCanceled,
        };
        o.outside_rth = r.outside_rth;
        o.account = self.account.clone();
        o.transmit = true;
        Ok(o)
    }

    /// The contract folio trades: a US stock or ETF on SMART in USD.
    fn contract(symbol: &str) -> Contract {
        Contract::stock(symbol).build()
    }

    async fn collect(
        &self,
        mut sub: Subscription<Orders>,
        out: &mut Vec<BrokerEvent>,
        what: &str,
    ) -> Result<(), BrokerError> {
        let deadline = tokio::time::Instant::now() + self.answer_timeout;
        loop {
            match tokio::time::timeout_at(deadline, sub.next()).await {
                Err(_) => return Err(failed(format!("the gateway did not finish sending {what}"))),
                Ok(None) => return Ok(()),
                Ok(Some(Ok(SubscriptionItem::Data(Orders::OrderData(d))))) => {
                    if self.ours(&d.order.order_ref, d.order.client_id) {
                        out.push(open_event(&d));
                    }
                }
                Ok(Some(Ok(SubscriptionItem::Data(Orders::OrderStatus(s))))) => {
                    if i64::from(s.client_id) == self.client_id || s.client_id == 0 {
                        out.push(status_event(&s));
                    }
                }
                Ok(Some(Ok(SubscriptionItem::Notice(_)))) => {}
                Ok(Some(Err(e))) => return Err(failed(format!("{what}: {e}"))),
            }
        }
    }

    /// folio's own orders: its reference, or this client id's.
    fn ours(&self, order_ref: &str, client_id: i32) -> bool {
        order_ref.starts_with("folio:") || i64::from(client_id) == self.client_id
    }
}

impl Broker for Ibkr {
    fn kind(&self) -> BrokerKind {
        BrokerKind::Ibkr
    }

    fn next_order_id(&self, floor: i64) -> i64 {
        i64::from(self.client.next_order_id()).max(floor)
    }

    fn live(&self) -> bool {
        self.live
    }

    /// IBKR's what-if: commission and margin. TWS may first send a preliminary answer without
    /// the margin figures; folio waits for the one that has them.
    async fn preview(&self, request: &OrderRequest) -> Result<Option<WhatIf>, BrokerError> {
        let mut o = self.order(request)?;
        o.what_if = true;
        let id = self.client.next_order_id();
        let contract = Self::contract(&request.symbol);
        let mut sub = self
            .client
            .place_order(id, &contract, &o)
            .await
            .map_err(failed)?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
        let mut best: Option<WhatIf> = None;
        loop {
            match tokio::time::timeout_at(deadline, sub.next()).await {
                Err(_) | Ok(None) => return Ok(best),
                Ok(Some(Ok(SubscriptionItem::Data(ibapi::orders::PlaceOrder::OpenOrder(d))))) => {
                    let s = &d.order_state;
                    let unset =
                        |v: Option<f64>| v.filter(|x| x.is_finite() && x.abs() < 1e300).map(dec);
                    let w = WhatIf {
                        commission: unset(s.commission),
                        commission_currency: Some(s.commission_currency.clone())
                            .filter(|c| !c.is_empty()),
                        init_margin_change: unset(s.initial_margin_change),
                        init_margin_after: unset(s.initial_margin_after),
                        maint_margin_after: unset(s.maintenance_margin_after),
                        equity_with_loan_after: unset(s.equity_with_loan_after),
                        warning: Some(s.warning_text.clone()).filter(|t| !t.is_empty()),
                    };
                    let done = w.init_margin_change.is_some();
                    best = Some(w);
                    if done {
                        return Ok(best);
                    }
                }
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(e))) => return Err(failed(format!("the broker's preview: {e}"))),
            }
        }
    }

    async fn submit(&self, order: &Order) -> Result<(), BrokerError> {
        let id = order
            .broker_order_id
            .and_then(|i| i32::try_from(i).ok())
            .ok_or_else(|| BrokerError::NotSent("the order has no broker order id".into()))?;
        let mut o = self.order(&order.request)?;
        o.order_ref = order.reference.clone();
        // Err means the request was refused before it reached the socket: nothing was sent.
        self.client
            .submit_order(id, &Self::contract(&order.request.symbol), &o)
            .await
            .map_err(|e| BrokerError::NotSent(e.to_string()))
    }

    async fn cancel(&self, order: &Order) -> Result<(), BrokerError> {
        let id = order
            .broker_order_id
            .and_then(|i| i32::try_from(i).ok())
            .ok_or_else(|| BrokerError::NotSent("the order has no broker order id".into()))?;
        if order.client_id.is_some_and(|c| c != self.client_id) {
            return Err(BrokerError::NotSent(format!(
                "order {} was placed by API client id {}, and only that id can cancel it: free that id or cancel it in TWS",
                order.id,
                order.client_id.unwrap_or_default()
            )));
        }
        // The answers (statuses, 202, 10147, 10148) come on the order-update stream.
        let sub = self.client.cancel_order(id, "").await.map_err(failed)?;
        drop(sub);
        Ok(())
    }

    /// Open orders, completed orders, then the executions of the last week with their
    /// commissions (after the orders, so fills attach to known orders).
    async fn snapshot(&self) -> Result<Vec<BrokerEvent>, BrokerError> {
        let mut out = Vec::new();
        let open = self.client.all_open_orders().await.map_err(failed)?;
        self.collect(open, &mut out, "the open orders").await?;
        let done = self.client.completed_orders(false).await.map_err(failed)?;
        self.collect(done, &mut out, "the completed orders").await?;
        let filter = ExecutionFilter {
            last_n_days: 7,
            ..ExecutionFilter::default()
        };
        let mut sub = self.client.executions(filter).await.map_err(failed)?;
        let deadline = tokio::time::Instant::now() + self.answer_timeout;
        let mut mine = std::collections::HashSet::new();
        loop {
            match tokio::time::timeout_at(deadline, sub.next()).await {
                Err(_) => return Err(failed("the gateway did not finish sending the executions")),
                Ok(None) => break,
                Ok(Some(Ok(SubscriptionItem::Data(ibapi::orders::Executions::ExecutionData(
                    e,
                ))))) => {
                    if self.ours(&e.execution.order_reference, e.execution.client_id) {
                        mine.insert(e.execution.execution_id.clone());
                        out.push(execution_event(&e));
                    }
                }
                Ok(Some(Ok(SubscriptionItem::Data(
                    ibapi::orders::Executions::CommissionReport(c),
                )))) => {
                    if mine.contains(&c.execution_id) {
                        out.push(commission_event(&c));
                    }
                }
                Ok(Some(Ok(SubscriptionItem::Notice(_)))) => {}
                Ok(Some(Err(e))) => return Err(failed(format!("the executions: {e}"))),
            }
        }
        Ok(out)
    }
}
