//! The journal engine: the single writer that applies what a broker reports to the orders, the
//! event log, the executions and the ledger, idempotently. Duplicate statuses and executions
//! change nothing; a corrected execution replaces the one it corrects; a commission reaches its
//! fill's transaction whichever arrives first. Executions are the only source of ledger
//! transactions: each becomes exactly one BUY or SELL.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::json;

use super::{BrokerEvent, NoticeClass, OrderKey, classify};
use crate::domain::order::{
    BrokerKind, Execution, Order, OrderState, Side, exec_key, new_york_date,
};
use crate::domain::{Action, LotMethod, Transaction};
use crate::store::{OrderChange, StoreError, Stored, Writer};

/// How reports are matched and booked.
#[derive(Debug, Clone)]
pub struct Context {
    pub broker: BrokerKind,
    /// The API client id the reports come from (notices name only an order id).
    pub client_id: i64,
    /// The lot method of an account an execution creates (never, for folio's own orders).
    pub lot_method: LotMethod,
    /// Where the report came from, for the event log: broker, reconcile, paper.
    pub source: &'static str,
}

/// What applying some events changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// folio's orders the events concerned.
    pub orders: Vec<i64>,
    /// Ledger transactions were booked or rebooked.
    pub ledger: bool,
}

impl Applied {
    fn touch(&mut self, id: i64) {
        if !self.orders.contains(&id) {
            self.orders.push(id);
        }
    }

    /// Adds what `other` changed.
    pub fn merge(&mut self, other: Applied) {
        self.ledger |= other.ledger;
        for id in other.orders {
            self.touch(id);
        }
    }
}

/// Finds the journaled order a report is about: by reference, then permanent id, then the
/// broker's order id of this client.
pub fn find(w: &Writer, ctx: &Context, key: &OrderKey) -> Result<Option<Order>, StoreError> {
    if let Some(r) = key.reference.as_deref().filter(|r| r.starts_with("folio:"))
        && let Some(o) = w.order_by_reference(r)?
    {
        return Ok(Some(o));
    }
    if let Some(p) = key.perm_id.filter(|p| *p != 0)
        && let Some(o) = w.order_by_perm_id(p)?
    {
        return Ok(Some(o));
    }
    match key.order_id.filter(|i| *i > 0) {
        Some(id) => w.order_by_broker_id(ctx.broker, key.client_id.unwrap_or(ctx.client_id), id),
        None => Ok(None),
    }
}

/// The state an IBKR status text moves an order to (None: a status that says nothing).
fn from_status(status: &str, filled: Decimal) -> Option<OrderState> {
    Some(match status {
        "ApiPending" | "PendingSubmit" => OrderState::Submitted,
        "PreSubmitted" | "Submitted" | "PendingCancel" if filled > Decimal::ZERO => {
            OrderState::PartiallyFilled
        }
        "PreSubmitted" | "Submitted" | "PendingCancel" => OrderState::Working,
        "Filled" => OrderState::Filled,
        "Cancelled" | "ApiCancelled" => OrderState::Cancelled,
        "Inactive" => OrderState::Rejected,
        // The paper broker's day order past its close (IBKR reports those as Cancelled).
        "Expired" => OrderState::Expired,
        _ => return None,
    })
}

/// Whether an order in `now` may move to `next`: a filled order stays filled, and a late or
/// duplicate working status does not reopen a finished one (a lost or failed order the broker
/// turns out to have is whatever the broker says).
fn may_move(now: OrderState, next: OrderState) -> bool {
    use OrderState::*;
    match now {
        Filled => false,
        Cancelled | Rejected | Expired => !next.is_open() && next != now,
        _ => next != now,
    }
}

/// Moves `o` to the state a broker's status text says, where it may move.
fn move_by_status(
    w: &Writer,
    o: &Order,
    status: &str,
    filled: Decimal,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if let Some(next) = from_status(status, filled)
        && may_move(o.state, next)
    {
        w.update_order(
            o.id,
            &OrderChange {
                state: Some(next),
                ..OrderChange::default()
            },
            now,
        )?;
    }
    Ok(())
}

fn dedupe_status(o: i64, status: &str, filled: Decimal, remaining: Decimal) -> String {
    format!(
        "status|{o}|{status}|{}|{}",
        filled.normalize(),
        remaining.normalize()
    )
}

/// Applies `events` in order. Call inside one write: a crash leaves all of them or none.
pub fn apply(
    w: &Writer,
    ctx: &Context,
    events: &[BrokerEvent],
    now: DateTime<Utc>,
) -> Result<Applied, StoreError> {
    let mut out = Applied::default();
    for e in events {
        apply_one(w, ctx, e, now, &mut out)?;
    }
    Ok(out)
}

fn bind(
    w: &Writer,
    o: &Order,
    key: &OrderKey,
    account: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    // A permanent id is the broker's durable key; one already bound to another order (a
    // gateway that reuses them) is not bound twice.
    let perm_id = match key.perm_id.filter(|p| *p != 0 && o.perm_id.is_none()) {
        Some(p) if w.order_by_perm_id(p)?.is_none() => Some(p),
        _ => None,
    };
    let change = OrderChange {
        perm_id,
        broker_account: account
            .filter(|a| !a.is_empty() && o.broker_account.is_none())
            .map(String::from),
        ..OrderChange::default()
    };
    if change != OrderChange::default() {
        w.update_order(o.id, &change, now)?;
    }
    Ok(())
}

fn apply_one(
    w: &Writer,
    ctx: &Context,
    e: &BrokerEvent,
    now: DateTime<Utc>,
    out: &mut Applied,
) -> Result<(), StoreError> {
    let src = ctx.source;
    match e {
        BrokerEvent::Status {
            key,
            status,
            filled,
            remaining,
        } => {
            let order = find(w, ctx, key)?;
            let id = order.as_ref().map(|o| o.id);
            let detail = json!({"status": status, "filled": filled, "remaining": remaining, "perm_id": key.perm_id, "order_id": key.order_id}).to_string();
            let dedupe = dedupe_status(id.unwrap_or(-1), status, *filled, *remaining);
            if !w.log_event(id, now, src, "status", &detail, Some(&dedupe))? {
                return Ok(());
            }
            let Some(o) = order else { return Ok(()) };
            out.touch(o.id);
            bind(w, &o, key, None, now)?;
            move_by_status(w, &o, status, *filled, now)?;
        }
        BrokerEvent::Open {
            key,
            status,
            account,
            ..
        } => {
            let order = find(w, ctx, key)?;
            let id = order.as_ref().map(|o| o.id);
            let detail = json!({"status": status, "perm_id": key.perm_id, "order_id": key.order_id, "reference": key.reference, "account": account}).to_string();
            let dedupe = format!(
                "open|{}|{}|{}",
                id.unwrap_or(-1),
                key.perm_id.unwrap_or(0),
                status
            );
            if !w.log_event(id, now, src, "open", &detail, Some(&dedupe))? {
                return Ok(());
            }
            let Some(o) = order else { return Ok(()) };
            out.touch(o.id);
            bind(w, &o, key, account.as_deref(), now)?;
            let o = w.order(o.id)?.unwrap_or(o);
            move_by_status(w, &o, status, o.filled, now)?;
        }
        BrokerEvent::Execution {
            key,
            exec_id,
            account,
            symbol,
            side,
            shares,
            price,
            time,
        } => {
            let order = find(w, ctx, key)?;
            let id = order.as_ref().map(|o| o.id);
            let detail = json!({"exec_id": exec_id, "account": account, "symbol": symbol, "side": side, "shares": shares, "price": price, "time": time}).to_string();
            if !w.log_event(
                id,
                now,
                src,
                "execution",
                &detail,
                Some(&format!("exec|{exec_id}")),
            )? {
                return Ok(());
            }
            let (k, revision) = exec_key(exec_id);
            let exec = Execution {
                exec_id: exec_id.clone(),
                order: id,
                broker_account: account.clone(),
                symbol: symbol.clone(),
                side: *side,
                quantity: *shares,
                price: *price,
                time: *time,
                trade_date: new_york_date(*time),
                commission: None,
                transaction: None,
            };
            let before = w.execution(account, k)?;
            let stored = w.store_execution(&exec, k, revision)?;
            if stored == Stored::Same {
                return Ok(());
            }
            if let Some(o) = &order {
                out.touch(o.id);
                bind(w, o, key, Some(account), now)?;
                // A correction keeps the commission of the execution it corrects until its
                // own is reported.
                let fees = match w.commission(exec_id)? {
                    Some(c) => c,
                    None => match &before {
                        Some(b) => w.commission(&b.exec_id)?.unwrap_or_default(),
                        None => Decimal::ZERO,
                    },
                };
                let t = transaction(o, &exec, k, fees);
                match w.execution(account, k)?.and_then(|s| s.transaction) {
                    Some(txn) => w.rebook_execution(txn, &t)?,
                    None => {
                        w.book_execution(&t, ctx.lot_method, account, k)?;
                    }
                }
                out.ledger = true;
                refresh(w, o.id, now)?;
            }
        }
        BrokerEvent::Commission {
            exec_id,
            amount,
            currency,
        } => {
            let exec = w.execution_by_id(exec_id)?;
            let id = exec.as_ref().and_then(|x| x.order);
            let detail =
                json!({"exec_id": exec_id, "amount": amount, "currency": currency}).to_string();
            w.log_event(
                id,
                now,
                src,
                "commission",
                &detail,
                Some(&format!("commission|{exec_id}|{}", amount.normalize())),
            )?;
            if !w.store_commission(exec_id, *amount, currency)? {
                return Ok(());
            }
            let Some(exec) = exec else { return Ok(()) };
            w.touch_execution(exec_id)?;
            if let (Some(txn), Some(oid)) = (exec.transaction, exec.order)
                && let Some(o) = w.order(oid)?
            {
                let (k, _) = exec_key(exec_id);
                w.rebook_execution(txn, &transaction(&o, &exec, k, *amount))?;
                out.ledger = true;
                out.touch(oid);
                refresh(w, oid, now)?;
            }
        }
        BrokerEvent::Notice {
            order_id,
            code,
            text,
        } => {
            let key = OrderKey {
                order_id: *order_id,
                ..OrderKey::default()
            };
            let order = match order_id {
                Some(_) => find(w, ctx, &key)?,
                None => None,
            };
            let id = order.as_ref().map(|o| o.id);
            let class = classify(*code, text);
            let detail =
                json!({"code": code, "text": text, "class": format!("{class:?}")}).to_string();
            w.log_event(id, now, src, "notice", &detail, None)?;
            let Some(o) = order else { return Ok(()) };
            out.touch(o.id);
            let reason = Some(format!("{code}: {}", text.trim()));
            let state = match class {
                NoticeClass::Rejected if o.state.is_open() && o.filled.is_zero() => {
                    Some(OrderState::Rejected)
                }
                NoticeClass::Cancelled if o.state.is_open() => Some(OrderState::Cancelled),
                _ => None,
            };
            w.update_order(
                o.id,
                &OrderChange {
                    state,
                    reason,
                    ..OrderChange::default()
                },
                now,
            )?;
        }
        BrokerEvent::Triggered { key } => {
            if let Some(o) = find(w, ctx, key)? {
                out.touch(o.id);
                w.log_event(
                    Some(o.id),
                    now,
                    src,
                    "triggered",
                    "{}",
                    Some(&format!("triggered|{}", o.id)),
                )?;
                w.update_order(
                    o.id,
                    &OrderChange {
                        triggered: Some(true),
                        ..OrderChange::default()
                    },
                    now,
                )?;
            }
        }
    }
    Ok(())
}

/// The ledger transaction an execution of `o` becomes.
fn transaction(o: &Order, e: &Execution, key: &str, fees: Decimal) -> Transaction {
    Transaction {
        id: 0,
        uid: format!("exec:{}:{key}", e.broker_account),
        date: e.trade_date,
        account: o.request.account.clone(),
        action: match e.side {
            Side::Buy => Action::Buy,
            Side::Sell => Action::Sell,
        },
        symbol: Some(e.symbol.clone()),
        quantity: Some(e.quantity),
        price: Some(e.price),
        fees,
        amount: None,
        currency: "USD".into(),
        lot: None,
        relief: match e.side {
            Side::Sell => o.request.relief.clone(),
            Side::Buy => None,
        },
        note: Some(format!("order {} execution {}", o.id, e.exec_id)),
    }
}

/// Sets an order's filled quantity, average price and commission from its executions (the
/// truth of fills), and its state when they fill it.
fn refresh(w: &Writer, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
    let Some(o) = w.order(id)? else {
        return Ok(());
    };
    let execs = w.executions_of(id)?;
    let filled: Decimal = execs.iter().map(|e| e.quantity).sum();
    let value: Decimal = execs.iter().map(|e| e.quantity * e.price).sum();
    let commission: Decimal = execs.iter().filter_map(|e| e.commission).sum();
    let avg = (filled > Decimal::ZERO).then(|| (value / filled).round_dp(6));
    let state = if filled >= o.request.quantity {
        Some(OrderState::Filled)
    } else if filled > Decimal::ZERO && o.state.is_open() {
        Some(OrderState::PartiallyFilled)
    } else {
        None
    };
    w.update_order(
        id,
        &OrderChange {
            state: state.filter(|s| *s != o.state),
            filled: Some(filled),
            avg_price: avg,
            commission: Some(commission),
            ..OrderChange::default()
        },
        now,
    )?;
    Ok(())
}

/// After a snapshot of everything the broker has: an order journaled as being sent that the
/// broker never mentioned, and that no process is sending any more (older than `grace`), is
/// `lost`. It is shown, never resent.
pub fn mark_lost(
    w: &Writer,
    ctx: &Context,
    seen: &HashSet<i64>,
    now: DateTime<Utc>,
    grace: chrono::Duration,
) -> Result<Vec<i64>, StoreError> {
    let mut lost = Vec::new();
    for o in w.open_orders()? {
        if o.broker != ctx.broker
            || seen.contains(&o.id)
            || !matches!(o.state, OrderState::Submitting | OrderState::Submitted)
            || now - o.updated < grace
        {
            continue;
        }
        w.update_order(
            o.id,
            &OrderChange {
                state: Some(OrderState::Lost),
                reason: Some(
                    "the broker has no trace of this order: it may never have arrived; folio does not resend it, place a new order if it is still wanted"
                        .into(),
                ),
                ..OrderChange::default()
            },
            now,
        )?;
        w.log_event(Some(o.id), now, ctx.source, "lost", "{}", None)?;
        lost.push(o.id);
    }
    Ok(lost)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::order::{OrderRequest, OrderType, Tif};
    use crate::store::Store;
    use rust_decimal_macros::dec;

    fn ctx() -> Context {
        Context {
            broker: BrokerKind::Ibkr,
            client_id: 17,
            lot_method: LotMethod::Fifo,
            source: "test",
        }
    }

    fn exec(id: &str, reference: &str, price: Decimal) -> BrokerEvent {
        BrokerEvent::Execution {
            key: OrderKey {
                reference: Some(reference.into()),
                ..OrderKey::default()
            },
            exec_id: id.into(),
            account: "DU1".into(),
            symbol: "VTI".into(),
            side: Side::Buy,
            shares: dec!(10),
            price,
            time: DateTime::parse_from_rfc3339("2026-12-04T15:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
        }
    }

    fn commission(id: &str, amount: Decimal) -> BrokerEvent {
        BrokerEvent::Commission {
            exec_id: id.into(),
            amount,
            currency: "USD".into(),
        }
    }

    /// (quantity, price, fees) of every booked transaction.
    fn booked(st: &Store) -> Vec<(Decimal, Decimal, Decimal)> {
        st.transactions()
            .unwrap()
            .iter()
            .map(|t| (t.quantity.unwrap(), t.price.unwrap(), t.fees))
            .collect()
    }

    #[test]
    fn fills_book_once_corrections_replace_and_commissions_join_in_any_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut st = Store::open(&dir.path().join("j.db")).unwrap();
        let now = Utc::now();
        let request = OrderRequest {
            account: "Taxable".into(),
            symbol: "VTI".into(),
            side: Side::Buy,
            quantity: dec!(20),
            order_type: OrderType::Limit,
            limit: Some(dec!(101)),
            stop: None,
            tif: Tif::Day,
            outside_rth: false,
            relief: None,
        };
        let id = st
            .write(|w| w.insert_order(&request, BrokerKind::Ibkr, false, "t", now, "{}"))
            .unwrap();
        let r = format!("folio:{id}-t");
        let apply = |st: &mut Store, events: Vec<BrokerEvent>| {
            st.write(|w| apply(w, &ctx(), &events, now)).unwrap();
        };
        apply(
            &mut st,
            vec![exec("A.01", &r, dec!(100)), commission("A.01", dec!(1.25))],
        );
        // The same execution again (a snapshot after a reconnect) books nothing.
        apply(
            &mut st,
            vec![exec("A.01", &r, dec!(100)), commission("A.01", dec!(1.25))],
        );
        // A correction replaces it and keeps its commission until its own arrives.
        apply(&mut st, vec![exec("A.02", &r, dec!(100.05))]);
        // A commission that comes before its execution waits for it.
        apply(
            &mut st,
            vec![commission("B.01", dec!(0.75)), exec("B.01", &r, dec!(99))],
        );
        assert_eq!(
            booked(&st),
            vec![
                (dec!(10), dec!(100.05), dec!(1.25)),
                (dec!(10), dec!(99), dec!(0.75))
            ]
        );
        apply(&mut st, vec![commission("A.02", dec!(1.3))]);
        assert_eq!(booked(&st)[0].2, dec!(1.3));
        // An older revision arriving late changes nothing.
        apply(&mut st, vec![exec("A.01", &r, dec!(100))]);
        assert_eq!(booked(&st)[0].1, dec!(100.05));
        let o = st.order(id).unwrap().unwrap();
        assert_eq!((o.state, o.filled), (OrderState::Filled, dec!(20)));
        assert_eq!(o.commission, dec!(2.05));
    }
}
