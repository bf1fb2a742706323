//! The order journal's tables (migration 4): orders, their append-only event log, executions,
//! commission reports and the order-id high-water mark.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use rust_decimal::Decimal;

use super::{Result, Store, StoreError, Writer, corrupt, ensure_account, parse_decimal};
use crate::domain::order::{
    BrokerKind, Execution, Order, OrderRequest, OrderState, OrderType, Side, Tif,
};
use crate::domain::{LotMethod, Named, Relief, Transaction};

/// Fields of an order to change (None: leave as it is).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderChange {
    pub state: Option<OrderState>,
    pub broker_order_id: Option<i64>,
    pub perm_id: Option<i64>,
    pub client_id: Option<i64>,
    pub broker_account: Option<String>,
    pub filled: Option<Decimal>,
    pub avg_price: Option<Decimal>,
    pub commission: Option<Decimal>,
    pub reason: Option<String>,
    pub cancel_requested: Option<bool>,
    pub triggered: Option<bool>,
}

/// What storing an execution did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// First seen.
    New,
    /// A higher revision replaced the one stored.
    Replaced,
    /// Seen before (a duplicate, or an older revision): nothing changed.
    Same,
}

/// An execution as stored, with its key and ledger transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredExecution {
    pub exec_id: String,
    pub revision: u32,
    pub transaction: Option<i64>,
}

fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_time(
    table: &'static str,
    id: i64,
    column: &'static str,
    s: &str,
) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| corrupt(table, id, column, s))
}

fn dec_text(d: Decimal) -> String {
    d.normalize().to_string()
}

const ORDER_COLUMNS: &str = "id, reference, created, updated, broker, live, account, symbol, side, quantity, order_type, limit_price, stop_price, tif, outside_rth, relief, state, broker_order_id, perm_id, client_id, broker_account, filled, avg_price, commission, reason, cancel_requested, triggered";

fn read_order(r: &Row) -> Result<Order> {
    let id: i64 = r.get(0)?;
    let text = |i: usize| -> Result<String> { Ok(r.get::<_, String>(i)?) };
    let opt = |i: usize| -> Result<Option<String>> { Ok(r.get::<_, Option<String>>(i)?) };
    let dec = |i: usize, col: &'static str| -> Result<Decimal> {
        parse_decimal("orders", id, col, &text(i)?)
    };
    let odec = |i: usize, col: &'static str| -> Result<Option<Decimal>> {
        opt(i)?
            .map(|s| parse_decimal("orders", id, col, &s))
            .transpose()
    };
    fn named<T: Named>(id: i64, col: &'static str, s: &str) -> Result<T> {
        T::from_name(s).ok_or_else(|| corrupt("orders", id, col, s))
    }
    Ok(Order {
        id,
        reference: text(1)?,
        created: parse_time("orders", id, "created", &text(2)?)?,
        updated: parse_time("orders", id, "updated", &text(3)?)?,
        broker: named::<BrokerKind>(id, "broker", &text(4)?)?,
        live: r.get(5)?,
        request: OrderRequest {
            account: text(6)?,
            symbol: text(7)?,
            side: named::<Side>(id, "side", &text(8)?)?,
            quantity: dec(9, "quantity")?,
            order_type: named::<OrderType>(id, "order_type", &text(10)?)?,
            limit: odec(11, "limit_price")?,
            stop: odec(12, "stop_price")?,
            tif: named::<Tif>(id, "tif", &text(13)?)?,
            outside_rth: r.get(14)?,
            relief: opt(15)?
                .map(|s| Relief::parse(&s).map_err(|_| corrupt("orders", id, "relief", &s)))
                .transpose()?,
        },
        state: named::<OrderState>(id, "state", &text(16)?)?,
        broker_order_id: r.get(17)?,
        perm_id: r.get(18)?,
        client_id: r.get(19)?,
        broker_account: opt(20)?,
        filled: dec(21, "filled")?,
        avg_price: odec(22, "avg_price")?,
        commission: dec(23, "commission")?,
        reason: opt(24)?,
        cancel_requested: r.get(25)?,
        triggered: r.get(26)?,
    })
}

fn orders_where(conn: &Connection, clause: &str, p: impl rusqlite::Params) -> Result<Vec<Order>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ORDER_COLUMNS} FROM orders {clause} ORDER BY id"
    ))?;
    let mut rows = stmt.query(p)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(read_order(r)?);
    }
    Ok(out)
}

const OPEN: &str = "WHERE state IN ('submitting', 'submitted', 'working', 'partially-filled')";

fn read_execution(r: &Row) -> Result<Execution> {
    let exec_id: String = r.get(0)?;
    let bad = |col: &'static str, v: &str| StoreError::Corrupt {
        table: "executions",
        id: 0,
        column: col,
        value: format!("{v} (execution {exec_id})"),
    };
    let side: String = r.get(4)?;
    let q: String = r.get(5)?;
    let p: String = r.get(6)?;
    let t: String = r.get(7)?;
    let d: String = r.get(8)?;
    let c: Option<String> = r.get(10)?;
    Ok(Execution {
        order: r.get(1)?,
        broker_account: r.get(2)?,
        symbol: r.get(3)?,
        side: Side::from_name(&side).ok_or_else(|| bad("side", &side))?,
        quantity: Decimal::from_str(&q).map_err(|_| bad("quantity", &q))?,
        price: Decimal::from_str(&p).map_err(|_| bad("price", &p))?,
        time: DateTime::parse_from_rfc3339(&t)
            .map(|x| x.with_timezone(&Utc))
            .map_err(|_| bad("time", &t))?,
        trade_date: d.parse::<NaiveDate>().map_err(|_| bad("trade_date", &d))?,
        transaction: r.get(9)?,
        commission: c
            .map(|c| Decimal::from_str(&c).map_err(|_| bad("commission", &c)))
            .transpose()?,
        exec_id,
    })
}

fn executions_where(
    conn: &Connection,
    clause: &str,
    p: impl rusqlite::Params,
) -> Result<Vec<Execution>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT e.exec_id, e.order_id, e.broker_account, e.symbol, e.side, e.quantity, e.price, e.time, e.trade_date, e.transaction_id, c.amount
         FROM executions e LEFT JOIN commissions c ON c.exec_id = e.exec_id {clause} ORDER BY e.time, e.exec_id"
    ))?;
    let mut rows = stmt.query(p)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(read_execution(r)?);
    }
    Ok(out)
}

impl Store {
    /// Every order, oldest first; only those still able to fill when `open_only`.
    pub fn orders(&self, open_only: bool) -> Result<Vec<Order>> {
        orders_where(&self.conn, if open_only { OPEN } else { "" }, [])
    }

    pub fn order(&self, id: i64) -> Result<Option<Order>> {
        Ok(orders_where(&self.conn, "WHERE id = ?1", [id])?.pop())
    }

    /// Every execution, oldest first, with its commission when reported.
    pub fn executions(&self) -> Result<Vec<Execution>> {
        executions_where(&self.conn, "", [])
    }

    /// The executions of order `id`, oldest first.
    pub fn executions_of(&self, order_id: i64) -> Result<Vec<Execution>> {
        executions_where(&self.conn, "WHERE e.order_id = ?1", [order_id])
    }

    /// Runs `f` in one transaction committed with `synchronous = FULL`: when it returns, the
    /// journal's row is on the disk, not only in the OS's cache (an order is sent after this).
    pub fn write_durably<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&Writer) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let path = self.path.clone();
        let set = |conn: &Connection, mode: &str| {
            conn.pragma_update(None, "synchronous", mode)
                .map_err(|e| StoreError::writing(&path, e))
        };
        set(&self.conn, "FULL")?;
        let out = self.write(f);
        set(&self.conn, "NORMAL")?;
        out
    }
}

impl Writer<'_> {
    /// Journals a new order in state `submitting` and returns its id. `token` makes the
    /// reference unique beyond this database (`folio:<id>-<token>`).
    pub fn insert_order(
        &self,
        request: &OrderRequest,
        broker: BrokerKind,
        live: bool,
        token: &str,
        now: DateTime<Utc>,
        ticket: &str,
    ) -> Result<i64> {
        let r = request;
        self.tx.execute(
            "INSERT INTO orders (reference, created, updated, broker, live, account, symbol, side, quantity, order_type, limit_price, stop_price, tif, outside_rth, relief, state, ticket)
             VALUES ('pending:' || ?15, ?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'submitting', ?14)",
            params![
                time_text(now),
                broker.name(),
                live,
                r.account,
                r.symbol,
                r.side.name(),
                dec_text(r.quantity),
                r.order_type.name(),
                r.limit.map(dec_text),
                r.stop.map(dec_text),
                r.tif.name(),
                r.outside_rth,
                r.relief.as_ref().map(|x| x.to_string()),
                ticket,
                token,
            ],
        )?;
        let id = self.tx.last_insert_rowid();
        self.tx.execute(
            "UPDATE orders SET reference = ?1 WHERE id = ?2",
            params![format!("folio:{id}-{token}"), id],
        )?;
        Ok(id)
    }

    pub fn order(&self, id: i64) -> Result<Option<Order>> {
        Ok(orders_where(&self.tx, "WHERE id = ?1", [id])?.pop())
    }

    pub fn open_orders(&self) -> Result<Vec<Order>> {
        orders_where(&self.tx, OPEN, [])
    }

    pub fn order_by_reference(&self, reference: &str) -> Result<Option<Order>> {
        Ok(orders_where(&self.tx, "WHERE reference = ?1", [reference])?.pop())
    }

    pub fn order_by_perm_id(&self, perm_id: i64) -> Result<Option<Order>> {
        Ok(orders_where(&self.tx, "WHERE perm_id = ?1", [perm_id])?.pop())
    }

    /// The latest order given `order_id` by `client_id` at `broker` (ids can be reused after a
    /// gateway restart: the newest wins).
    pub fn order_by_broker_id(
        &self,
        broker: BrokerKind,
        client_id: i64,
        order_id: i64,
    ) -> Result<Option<Order>> {
        Ok(orders_where(
            &self.tx,
            "WHERE broker = ?1 AND client_id = ?2 AND broker_order_id = ?3",
            params![broker.name(), client_id, order_id],
        )?
        .pop())
    }

    /// Applies `c` to order `id`; returns whether anything changed.
    pub fn update_order(&self, id: i64, c: &OrderChange, now: DateTime<Utc>) -> Result<bool> {
        let n = self.tx.execute(
            "UPDATE orders SET
               state = COALESCE(?2, state),
               broker_order_id = COALESCE(?3, broker_order_id),
               perm_id = COALESCE(?4, perm_id),
               client_id = COALESCE(?5, client_id),
               broker_account = COALESCE(?6, broker_account),
               filled = COALESCE(?7, filled),
               avg_price = COALESCE(?8, avg_price),
               commission = COALESCE(?9, commission),
               reason = COALESCE(?10, reason),
               cancel_requested = COALESCE(?11, cancel_requested),
               triggered = COALESCE(?12, triggered),
               updated = ?13
             WHERE id = ?1 AND (
               state IS NOT COALESCE(?2, state) OR broker_order_id IS NOT COALESCE(?3, broker_order_id)
               OR perm_id IS NOT COALESCE(?4, perm_id) OR client_id IS NOT COALESCE(?5, client_id)
               OR broker_account IS NOT COALESCE(?6, broker_account) OR filled IS NOT COALESCE(?7, filled)
               OR avg_price IS NOT COALESCE(?8, avg_price) OR commission IS NOT COALESCE(?9, commission)
               OR reason IS NOT COALESCE(?10, reason) OR cancel_requested IS NOT COALESCE(?11, cancel_requested)
               OR triggered IS NOT COALESCE(?12, triggered))",
            params![
                id,
                c.state.map(|s| s.name()),
                c.broker_order_id,
                c.perm_id,
                c.client_id,
                c.broker_account,
                c.filled.map(dec_text),
                c.avg_price.map(dec_text),
                c.commission.map(dec_text),
                c.reason,
                c.cancel_requested,
                c.triggered,
                time_text(now),
            ],
        )?;
        Ok(n > 0)
    }

    /// Appends to the event log. With a `dedupe` key an event already logged is not logged
    /// again: returns false (a duplicate status from the broker).
    pub fn log_event(
        &self,
        order_id: Option<i64>,
        now: DateTime<Utc>,
        source: &str,
        kind: &str,
        detail: &str,
        dedupe: Option<&str>,
    ) -> Result<bool> {
        let n = self.tx.execute(
            "INSERT OR IGNORE INTO order_events (order_id, time, source, kind, detail, dedupe)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![order_id, time_text(now), source, kind, detail, dedupe],
        )?;
        Ok(n > 0)
    }

    /// The execution stored under `(broker_account, key)`.
    pub fn execution(&self, broker_account: &str, key: &str) -> Result<Option<StoredExecution>> {
        Ok(self
            .tx
            .query_row(
                "SELECT exec_id, revision, transaction_id FROM executions WHERE broker_account = ?1 AND exec_key = ?2",
                params![broker_account, key],
                |r| {
                    Ok(StoredExecution {
                        exec_id: r.get(0)?,
                        revision: r.get(1)?,
                        transaction: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// Stores `e` under `key` at `revision`: a new key is added, a higher revision replaces the
    /// stored one (keeping its ledger transaction), anything else changes nothing.
    pub fn store_execution(&self, e: &Execution, key: &str, revision: u32) -> Result<Stored> {
        let before = self.execution(&e.broker_account, key)?;
        let stored = match &before {
            None => Stored::New,
            Some(b) if revision > b.revision => Stored::Replaced,
            Some(_) => return Ok(Stored::Same),
        };
        self.tx.execute(
            "INSERT INTO executions (broker_account, exec_key, exec_id, revision, order_id, symbol, side, quantity, price, time, trade_date, transaction_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
             ON CONFLICT (broker_account, exec_key) DO UPDATE SET
               exec_id = excluded.exec_id, revision = excluded.revision, order_id = excluded.order_id,
               symbol = excluded.symbol, side = excluded.side, quantity = excluded.quantity,
               price = excluded.price, time = excluded.time, trade_date = excluded.trade_date,
               version = executions.version + 1",
            params![
                e.broker_account,
                key,
                e.exec_id,
                revision,
                e.order,
                e.symbol,
                e.side.name(),
                dec_text(e.quantity),
                dec_text(e.price),
                time_text(e.time),
                e.trade_date.to_string(),
                before.and_then(|b| b.transaction),
            ],
        )?;
        Ok(stored)
    }

    /// The executions of order `id`, with their commissions.
    pub fn executions_of(&self, order_id: i64) -> Result<Vec<Execution>> {
        executions_where(&self.tx, "WHERE e.order_id = ?1", [order_id])
    }

    /// The execution whose id is `exec_id` (its current revision).
    pub fn execution_by_id(&self, exec_id: &str) -> Result<Option<Execution>> {
        Ok(executions_where(&self.tx, "WHERE e.exec_id = ?1", [exec_id])?.pop())
    }

    /// The commission reported for `exec_id`, if any.
    pub fn commission(&self, exec_id: &str) -> Result<Option<Decimal>> {
        let text: Option<String> = self
            .tx
            .query_row(
                "SELECT amount FROM commissions WHERE exec_id = ?1",
                [exec_id],
                |r| r.get(0),
            )
            .optional()?;
        text.map(|t| {
            Decimal::from_str(&t).map_err(|_| StoreError::Corrupt {
                table: "commissions",
                id: 0,
                column: "amount",
                value: format!("{t} (execution {exec_id})"),
            })
        })
        .transpose()
    }

    /// Records a commission report; returns false when the same amount was already recorded.
    pub fn store_commission(&self, exec_id: &str, amount: Decimal, currency: &str) -> Result<bool> {
        let n = self.tx.execute(
            "INSERT INTO commissions (exec_id, amount, currency) VALUES (?1, ?2, ?3)
             ON CONFLICT (exec_id) DO UPDATE SET amount = excluded.amount, currency = excluded.currency
             WHERE commissions.amount <> excluded.amount OR commissions.currency <> excluded.currency",
            params![exec_id, dec_text(amount), currency],
        )?;
        Ok(n > 0)
    }

    /// Marks the execution changed (its commission arrived): the ledger is read again.
    pub fn touch_execution(&self, exec_id: &str) -> Result<()> {
        self.tx.execute(
            "UPDATE executions SET version = version + 1 WHERE exec_id = ?1",
            [exec_id],
        )?;
        Ok(())
    }

    /// Books `t` (an execution's BUY or SELL) into the ledger, creating its account if needed
    /// with `method`; returns its id. Links it to the execution under `(account, key)`.
    pub fn book_execution(
        &self,
        t: &Transaction,
        method: LotMethod,
        broker_account: &str,
        key: &str,
    ) -> Result<i64> {
        let account_id = ensure_account(&self.tx, &t.account, method)?;
        self.tx.execute(
            "INSERT INTO transactions (uid, account_id, date, action, symbol, quantity, price, fees, amount, currency, lot, note, relief)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, ?9, NULL, ?10, ?11)",
            params![
                t.uid,
                account_id,
                t.date.to_string(),
                t.action.as_str(),
                t.symbol,
                t.quantity.map(dec_text),
                t.price.map(dec_text),
                dec_text(t.fees),
                t.currency,
                t.note,
                t.relief.as_ref().map(|r| r.to_string()),
            ],
        )?;
        let id = self.tx.last_insert_rowid();
        self.tx.execute(
            "UPDATE executions SET transaction_id = ?1, version = version + 1 WHERE broker_account = ?2 AND exec_key = ?3",
            params![id, broker_account, key],
        )?;
        Ok(id)
    }

    /// Rewrites an execution's transaction after a correction or its commission report.
    pub fn rebook_execution(&self, id: i64, t: &Transaction) -> Result<()> {
        self.tx.execute(
            "UPDATE transactions SET date = ?2, quantity = ?3, price = ?4, fees = ?5, note = ?6 WHERE id = ?1",
            params![
                id,
                t.date.to_string(),
                t.quantity.map(dec_text),
                t.price.map(dec_text),
                dec_text(t.fees),
                t.note,
            ],
        )?;
        Ok(())
    }

    /// Raises the high-water mark of order ids used with `client_id` to at least `order_id`.
    pub fn raise_order_id(&self, broker: BrokerKind, client_id: i64, order_id: i64) -> Result<()> {
        self.tx.execute(
            "INSERT INTO order_ids (broker, client_id, max_order_id) VALUES (?1, ?2, ?3)
             ON CONFLICT (broker, client_id) DO UPDATE SET max_order_id = MAX(max_order_id, excluded.max_order_id)",
            params![broker.name(), client_id, order_id],
        )?;
        Ok(())
    }

    pub fn max_order_id(&self, broker: BrokerKind, client_id: i64) -> Result<Option<i64>> {
        Ok(self
            .tx
            .query_row(
                "SELECT max_order_id FROM order_ids WHERE broker = ?1 AND client_id = ?2",
                params![broker.name(), client_id],
                |r| r.get(0),
            )
            .optional()?)
    }
}
