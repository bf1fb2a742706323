//! A fake TWS / IB Gateway on 127.0.0.1: the real handshake and the protobuf framing of the
//! TWS API (see ../shared/IBKR_PROTOCOL.md), scripted per test. Std threads, one per
//! connection; what the client asked for is recorded for assertions.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prost::Message;

/// Wire ids: message id + 200 marks a protobuf payload.
mod wire {
    pub const REQ_MARKET_DATA: i32 = 201;
    pub const CANCEL_MARKET_DATA: i32 = 202;
    pub const START_API: i32 = 271;
    pub const TICK_PRICE: i32 = 201;
    pub const TICK_SIZE: i32 = 202;
    pub const ERROR: i32 = 204;
    pub const NEXT_VALID_ID: i32 = 209;
    pub const MANAGED_ACCOUNTS: i32 = 215;
    pub const MARKET_DATA_TYPE: i32 = 258;
    pub const REQ_HISTORY: i32 = 220;
    pub const REQ_POSITIONS: i32 = 261;
    pub const REQ_ACCOUNT_SUMMARY: i32 = 262;
    pub const HISTORICAL_DATA: i32 = 217;
    pub const HISTORICAL_DATA_END: i32 = 308;
    pub const POSITION: i32 = 261;
    pub const POSITION_END: i32 = 262;
    pub const ACCOUNT_SUMMARY: i32 = 263;
    pub const ACCOUNT_SUMMARY_END: i32 = 264;
    // Orders (client -> server).
    pub const PLACE_ORDER: i32 = 203;
    pub const CANCEL_ORDER: i32 = 204;
    pub const REQ_OPEN_ORDERS: i32 = 205;
    pub const REQ_EXECUTIONS: i32 = 207;
    pub const REQ_ALL_OPEN_ORDERS: i32 = 216;
    pub const REQ_MANAGED_ACCOUNTS: i32 = 217;
    pub const REQ_COMPLETED_ORDERS: i32 = 299;
    // Orders (server -> client).
    pub const ORDER_STATUS: i32 = 203;
    pub const OPEN_ORDER: i32 = 205;
    pub const EXECUTION_DATA: i32 = 211;
    pub const OPEN_ORDER_END: i32 = 253;
    pub const EXECUTION_DATA_END: i32 = 255;
    pub const COMMISSION_REPORT: i32 = 259;
    pub const COMPLETED_ORDER: i32 = 301;
    pub const COMPLETED_ORDERS_END: i32 = 302;
}

#[derive(Clone, PartialEq, Message)]
pub struct OrderMsg {
    #[prost(int32, optional, tag = "1")]
    pub client_id: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub order_id: Option<i32>,
    #[prost(int64, optional, tag = "3")]
    pub perm_id: Option<i64>,
    #[prost(string, optional, tag = "5")]
    pub action: Option<String>,
    #[prost(string, optional, tag = "6")]
    pub total_quantity: Option<String>,
    #[prost(string, optional, tag = "8")]
    pub order_type: Option<String>,
    #[prost(double, optional, tag = "9")]
    pub lmt_price: Option<f64>,
    #[prost(double, optional, tag = "10")]
    pub aux_price: Option<f64>,
    #[prost(string, optional, tag = "11")]
    pub tif: Option<String>,
    #[prost(string, optional, tag = "12")]
    pub account: Option<String>,
    #[prost(string, optional, tag = "28")]
    pub order_ref: Option<String>,
    #[prost(bool, optional, tag = "65")]
    pub what_if: Option<bool>,
    #[prost(string, optional, tag = "115")]
    pub filled_quantity: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct PlaceOrderRequest {
    #[prost(int32, optional, tag = "1")]
    order_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    contract: Option<Contract>,
    #[prost(message, optional, tag = "3")]
    order: Option<OrderMsg>,
}

#[derive(Clone, PartialEq, Message)]
struct CancelOrderRequest {
    #[prost(int32, optional, tag = "1")]
    order_id: Option<i32>,
}

#[derive(Clone, PartialEq, Message)]
struct OrderStateMsg {
    #[prost(string, optional, tag = "1")]
    status: Option<String>,
    #[prost(double, optional, tag = "5")]
    init_margin_change: Option<f64>,
    #[prost(double, optional, tag = "8")]
    init_margin_after: Option<f64>,
    #[prost(double, optional, tag = "11")]
    commission_and_fees: Option<f64>,
    #[prost(string, optional, tag = "14")]
    commission_currency: Option<String>,
    #[prost(string, optional, tag = "29")]
    completed_time: Option<String>,
    #[prost(string, optional, tag = "30")]
    completed_status: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct OpenOrderMsg {
    #[prost(int32, optional, tag = "1")]
    order_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    contract: Option<Contract>,
    #[prost(message, optional, tag = "3")]
    order: Option<OrderMsg>,
    #[prost(message, optional, tag = "4")]
    order_state: Option<OrderStateMsg>,
}

#[derive(Clone, PartialEq, Message)]
struct CompletedOrderMsg {
    #[prost(message, optional, tag = "1")]
    contract: Option<Contract>,
    #[prost(message, optional, tag = "2")]
    order: Option<OrderMsg>,
    #[prost(message, optional, tag = "3")]
    order_state: Option<OrderStateMsg>,
}

#[derive(Clone, PartialEq, Message)]
struct OrderStatusMsg {
    #[prost(int32, optional, tag = "1")]
    order_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    status: Option<String>,
    #[prost(string, optional, tag = "3")]
    filled: Option<String>,
    #[prost(string, optional, tag = "4")]
    remaining: Option<String>,
    #[prost(double, optional, tag = "5")]
    avg_fill_price: Option<f64>,
    #[prost(int64, optional, tag = "6")]
    perm_id: Option<i64>,
    #[prost(double, optional, tag = "8")]
    last_fill_price: Option<f64>,
    #[prost(int32, optional, tag = "9")]
    client_id: Option<i32>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ExecutionMsg {
    #[prost(int32, optional, tag = "1")]
    pub order_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub exec_id: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub time: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub acct_number: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub exchange: Option<String>,
    #[prost(string, optional, tag = "6")]
    pub side: Option<String>,
    #[prost(string, optional, tag = "7")]
    pub shares: Option<String>,
    #[prost(double, optional, tag = "8")]
    pub price: Option<f64>,
    #[prost(int64, optional, tag = "9")]
    pub perm_id: Option<i64>,
    #[prost(int32, optional, tag = "10")]
    pub client_id: Option<i32>,
    #[prost(string, optional, tag = "12")]
    pub cum_qty: Option<String>,
    #[prost(double, optional, tag = "13")]
    pub avg_price: Option<f64>,
    #[prost(string, optional, tag = "14")]
    pub order_ref: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct ExecutionDetails {
    #[prost(int32, optional, tag = "1")]
    req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    contract: Option<Contract>,
    #[prost(message, optional, tag = "3")]
    execution: Option<ExecutionMsg>,
}

#[derive(Clone, PartialEq, Message)]
struct CommissionReport {
    #[prost(string, optional, tag = "1")]
    exec_id: Option<String>,
    #[prost(double, optional, tag = "2")]
    commission_and_fees: Option<f64>,
    #[prost(string, optional, tag = "3")]
    currency: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct ExecutionRequest {
    #[prost(int32, optional, tag = "1")]
    req_id: Option<i32>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Contract {
    #[prost(int32, optional, tag = "1")]
    pub con_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub symbol: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub sec_type: Option<String>,
    #[prost(string, optional, tag = "8")]
    pub exchange: Option<String>,
    #[prost(string, optional, tag = "10")]
    pub currency: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct StartApi {
    #[prost(int32, optional, tag = "1")]
    client_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    optional_capabilities: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct MarketDataRequest {
    #[prost(int32, optional, tag = "1")]
    req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    contract: Option<Contract>,
    #[prost(string, optional, tag = "3")]
    generic_tick_list: Option<String>,
    #[prost(bool, optional, tag = "4")]
    snapshot: Option<bool>,
}

#[derive(Clone, PartialEq, Message)]
struct CancelMarketData {
    #[prost(int32, optional, tag = "1")]
    req_id: Option<i32>,
}

#[derive(Clone, PartialEq, Message)]
struct TickPrice {
    #[prost(int32, optional, tag = "1")]
    req_id: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    tick_type: Option<i32>,
    #[prost(double, optional, tag = "3")]
    price: Option<f64>,
    #[prost(string, optional, tag = "4")]
    size: Option<String>,
    #[prost(int32, optional, tag = "5")]
    attr_mask: Option<i32>,
}

#[derive(Clone, PartialEq, Message)]
struct TickSize {
    #[prost(int32, optional, tag = "1")]
    req_id: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    tick_type: Option<i32>,
    #[prost(string, optional, tag = "3")]
    size: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct ErrorMessage {
    #[prost(int32, optional, tag = "1")]
    id: Option<i32>,
    #[prost(int64, optional, tag = "2")]
    error_time: Option<i64>,
    #[prost(int32, optional, tag = "3")]
    error_code: Option<i32>,
    #[prost(string, optional, tag = "4")]
    error_msg: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct NextValidId {
    #[prost(int32, optional, tag = "1")]
    order_id: Option<i32>,
}

#[derive(Clone, PartialEq, Message)]
struct ManagedAccounts {
    #[prost(string, optional, tag = "1")]
    accounts_list: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct MarketDataType {
    #[prost(int32, optional, tag = "1")]
    req_id: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    market_data_type: Option<i32>,
}

#[derive(Clone, PartialEq, Message)]
struct HistoricalDataRequest {
    #[prost(int32, optional, tag = "1")]
    req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    contract: Option<Contract>,
    #[prost(string, optional, tag = "4")]
    bar_size_setting: Option<String>,
    #[prost(string, optional, tag = "5")]
    duration: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct Bar {
    #[prost(string, optional, tag = "1")]
    date: Option<String>,
    #[prost(double, optional, tag = "2")]
    open: Option<f64>,
    #[prost(double, optional, tag = "3")]
    high: Option<f64>,
    #[prost(double, optional, tag = "4")]
    low: Option<f64>,
    #[prost(double, optional, tag = "5")]
    close: Option<f64>,
    #[prost(string, optional, tag = "6")]
    volume: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct HistoricalData {
    #[prost(int32, optional, tag = "1")]
    req_id: Option<i32>,
    #[prost(message, repeated, tag = "2")]
    bars: Vec<Bar>,
}

#[derive(Clone, PartialEq, Message)]
struct HistoricalDataEnd {
    #[prost(int32, optional, tag = "1")]
    req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    start: Option<String>,
    #[prost(string, optional, tag = "3")]
    end: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct Position {
    #[prost(string, optional, tag = "1")]
    account: Option<String>,
    #[prost(message, optional, tag = "2")]
    contract: Option<Contract>,
    #[prost(string, optional, tag = "3")]
    position: Option<String>,
    #[prost(double, optional, tag = "4")]
    avg_cost: Option<f64>,
}

#[derive(Clone, PartialEq, Message)]
struct Empty {}

#[derive(Clone, PartialEq, Message)]
struct AccountSummaryRequest {
    #[prost(int32, optional, tag = "1")]
    req_id: Option<i32>,
}

#[derive(Clone, PartialEq, Message)]
struct AccountSummary {
    #[prost(int32, optional, tag = "1")]
    req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    account: Option<String>,
    #[prost(string, optional, tag = "3")]
    tag: Option<String>,
    #[prost(string, optional, tag = "4")]
    value: Option<String>,
    #[prost(string, optional, tag = "5")]
    currency: Option<String>,
}

/// How the fake answers a market-data request for one symbol.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Ticks (tick type, price) and sizes (tick type, size); with `stream`, then a new last
    /// price every 100 ms while the connection lasts. `delayed` sends market data type 3 and
    /// notice 10167 first, and delayed tick types are expected in `prices`.
    Ticks {
        prices: Vec<(i32, f64)>,
        sizes: Vec<(i32, String)>,
        delayed: bool,
        stream: bool,
    },
    /// Error 200: no security definition.
    Unknown,
}

/// What the fake does; tests set it before connecting.
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub answers: HashMap<String, Answer>,
    /// Client ids the fake refuses with error 326 (in use).
    pub ids_in_use: Vec<i32>,
    /// Never answer the handshake.
    pub silent: bool,
    /// Daily bars per symbol: (YYYYMMDD, close). A symbol not listed gets error 200.
    pub history: HashMap<String, Vec<(String, f64)>>,
    /// (account, symbol, quantity, average cost).
    pub positions: Vec<(String, String, String, f64)>,
    /// (account, tag, value): NetLiquidation, TotalCashValue...
    pub summary: Vec<(String, String, String)>,
    /// Send the account summary's rows but never its end (a gateway that hangs).
    pub summary_never_ends: bool,
    /// Streaming symbols tick this often (default 100 ms).
    pub tick_every: Option<Duration>,
    /// Streamed last prices encode a sequence number and the send time instead of counting
    /// up (see [`clock_price`]).
    pub clock_prices: bool,
    /// How orders are answered.
    pub fill: Fill,
    /// The price orders fill at (default 100).
    pub fill_price: Option<f64>,
    /// The commission of each execution (default 1.00).
    pub commission: Option<f64>,
    pub cancel: CancelAnswer,
    /// The NextValidId of the handshake (default 1).
    pub next_valid_id: Option<i32>,
    /// The account the login manages (default DU1234567, a paper account).
    pub account: Option<String>,
    /// A what-if is first answered with a preliminary OpenOrder without margins or currency.
    pub preliminary_what_if: bool,
}

/// How the fake answers an order (TRADING.md §1.6).
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Fill {
    /// A: PreSubmitted, Submitted, the execution, Filled twice, then the commission.
    #[default]
    Whole,
    /// B: one execution, status and commission per slice; Filled when they add up.
    Slices(Vec<u32>),
    /// Works (Submitted) until cancelled, or filled by [`FakeTws::fill`].
    Rest,
    /// D1: error 201 and status Inactive.
    Reject201,
    /// Error 200 (no security definition), no status.
    Unknown,
    /// D4: 399 with a "Warning:" line, 2109 and 10349 around the PreSubmitted status; the
    /// order works.
    Warnings,
    /// K: nothing at all.
    Silent,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum CancelAnswer {
    /// C: PendingCancel, Cancelled, error 202.
    #[default]
    Cancels,
    /// C2: the rest fills first; error 10148.
    LosesToFill,
}

/// An order the fake gateway holds.
#[derive(Debug, Clone)]
pub struct Working {
    pub order_id: i32,
    pub perm_id: i64,
    pub client_id: i32,
    pub symbol: String,
    pub action: String,
    pub quantity: u32,
    pub filled: u32,
    pub order_ref: String,
    pub status: String,
    pub account: String,
}

/// What the gateway remembers across connections: its orders and executions.
#[derive(Debug, Default)]
pub struct Book {
    pub orders: Vec<Working>,
    /// (symbol, execution, commission)
    pub executions: Vec<(String, ExecutionMsg, f64)>,
    next_perm: i64,
    /// Permanent ids are unique across gateways (each fake starts its own range).
    perm_base: i64,
    next_exec: u32,
    /// Frames for the open connection.
    outbox: Vec<(i32, Vec<u8>)>,
    /// A connection is open.
    connected: bool,
}

fn frame(id: i32, msg: &impl Message) -> (i32, Vec<u8>) {
    let mut body = Vec::new();
    msg.encode(&mut body).unwrap();
    (id, body)
}

fn stock(symbol: &str) -> Contract {
    Contract {
        con_id: Some(1),
        symbol: Some(symbol.into()),
        sec_type: Some("STK".into()),
        exchange: Some("SMART".into()),
        currency: Some("USD".into()),
    }
}

fn error_frame(id: i32, code: i32, text: &str) -> (i32, Vec<u8>) {
    frame(
        wire::ERROR,
        &ErrorMessage {
            id: Some(id),
            error_time: Some(0),
            error_code: Some(code),
            error_msg: Some(text.into()),
        },
    )
}

/// An execution time as IBKR sends it: New York time with its zone.
fn exec_time() -> String {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::US::Eastern)
        .format("%Y%m%d %H:%M:%S US/Eastern")
        .to_string()
}

impl Working {
    fn order_msg(&self) -> OrderMsg {
        OrderMsg {
            client_id: Some(self.client_id),
            order_id: Some(self.order_id),
            perm_id: Some(self.perm_id),
            action: Some(self.action.clone()),
            total_quantity: Some(self.quantity.to_string()),
            order_type: Some("LMT".into()),
            account: Some(self.account.clone()),
            order_ref: Some(self.order_ref.clone()),
            ..OrderMsg::default()
        }
    }

    fn open(&self) -> (i32, Vec<u8>) {
        frame(
            wire::OPEN_ORDER,
            &OpenOrderMsg {
                order_id: Some(self.order_id),
                contract: Some(stock(&self.symbol)),
                order: Some(self.order_msg()),
                order_state: Some(OrderStateMsg {
                    status: Some(self.status.clone()),
                    ..OrderStateMsg::default()
                }),
            },
        )
    }

    fn status(&self) -> (i32, Vec<u8>) {
        frame(
            wire::ORDER_STATUS,
            &OrderStatusMsg {
                order_id: Some(self.order_id),
                status: Some(self.status.clone()),
                filled: Some(self.filled.to_string()),
                remaining: Some((self.quantity - self.filled).to_string()),
                avg_fill_price: Some(0.0),
                perm_id: Some(self.perm_id),
                last_fill_price: Some(0.0),
                client_id: Some(self.client_id),
            },
        )
    }
}

impl Book {
    fn execute(
        &mut self,
        i: usize,
        shares: u32,
        price: f64,
        commission: f64,
    ) -> Vec<(i32, Vec<u8>)> {
        self.next_exec += 1;
        let w = &mut self.orders[i];
        w.filled += shares;
        let exec = ExecutionMsg {
            order_id: Some(w.order_id),
            exec_id: Some(format!(
                "0000e{:03}.65{:04}.01.01",
                self.next_exec, w.order_id
            )),
            time: Some(exec_time()),
            acct_number: Some(w.account.clone()),
            exchange: Some("ISLAND".into()),
            side: Some(if w.action == "BUY" { "BOT" } else { "SLD" }.into()),
            shares: Some(shares.to_string()),
            price: Some(price),
            perm_id: Some(w.perm_id),
            client_id: Some(w.client_id),
            cum_qty: Some(w.filled.to_string()),
            avg_price: Some(price),
            order_ref: Some(w.order_ref.clone()),
        };
        w.status = if w.filled >= w.quantity {
            "Filled"
        } else {
            "Submitted"
        }
        .into();
        let symbol = w.symbol.clone();
        let status = w.status();
        let mut out = vec![
            frame(
                wire::EXECUTION_DATA,
                &ExecutionDetails {
                    req_id: Some(-1),
                    contract: Some(stock(&symbol)),
                    execution: Some(exec.clone()),
                },
            ),
            status.clone(),
        ];
        if self.orders[i].status == "Filled" {
            // Duplicate statuses are normal.
            out.push(status);
        }
        out.push(commission_frame(
            exec.exec_id.as_deref().unwrap_or_default(),
            commission,
        ));
        self.executions.push((symbol, exec, commission));
        out
    }

    /// The answer to a placed order.
    fn place(
        &mut self,
        client_id: i32,
        req: &PlaceOrderRequest,
        script: &Script,
    ) -> Vec<(i32, Vec<u8>)> {
        let order_id = req.order_id.unwrap_or(0);
        let o = req.order.clone().unwrap_or_default();
        let symbol = req
            .contract
            .as_ref()
            .and_then(|c| c.symbol.clone())
            .unwrap_or_default();
        match script.fill {
            Fill::Silent => return Vec::new(),
            Fill::Unknown => {
                return vec![error_frame(
                    order_id,
                    200,
                    "No security definition has been found for the request",
                )];
            }
            _ => {}
        }
        self.next_perm += 1;
        let qty: u32 = o
            .total_quantity
            .as_deref()
            .unwrap_or("0")
            .parse::<f64>()
            .unwrap_or(0.0) as u32;
        let w = Working {
            order_id,
            perm_id: self.perm_base + self.next_perm,
            client_id,
            symbol,
            action: o.action.clone().unwrap_or_default(),
            quantity: qty,
            filled: 0,
            order_ref: o.order_ref.clone().unwrap_or_default(),
            status: "PreSubmitted".into(),
            account: script.account.clone().unwrap_or_else(|| "DU1234567".into()),
        };
        self.orders.push(w);
        let i = self.orders.len() - 1;
        let price = script.fill_price.unwrap_or(100.0);
        let commission = script.commission.unwrap_or(1.0);
        let mut out = Vec::new();
        match &script.fill {
            Fill::Reject201 => {
                out.push(error_frame(
                    order_id,
                    201,
                    "Order rejected - reason:The account has insufficient funds",
                ));
                self.orders[i].status = "Inactive".into();
                out.push(self.orders[i].status());
                return out;
            }
            Fill::Warnings => {
                out.push(error_frame(
                    order_id,
                    399,
                    "Order Message:\nBUY 10 VTI ARCA\nWarning: your order will not be placed at the exchange until 2026-12-07 09:30:00 US/Eastern",
                ));
                out.push(error_frame(
                    order_id,
                    10349,
                    "Order TIF was set to DAY based on order preset.",
                ));
                out.push(self.orders[i].open());
                out.push(self.orders[i].status());
                out.push(error_frame(order_id, 2109, "Order Event Warning: Attribute 'Outside Regular Trading Hours' is ignored based on the order type and destination. PlaceOrder is now being processed."));
                return out;
            }
            _ => {}
        }
        out.push(self.orders[i].open());
        out.push(self.orders[i].status());
        self.orders[i].status = "Submitted".into();
        out.push(self.orders[i].status());
        match &script.fill {
            Fill::Whole => out.extend(self.execute(i, qty, price, commission)),
            Fill::Slices(slices) => {
                for (k, sl) in slices.iter().enumerate() {
                    out.extend(self.execute(i, *sl, price + k as f64 * 0.01, commission));
                }
            }
            _ => {}
        }
        out
    }

    fn cancel(&mut self, order_id: i32, script: &Script) -> Vec<(i32, Vec<u8>)> {
        let Some(i) = self.orders.iter().position(|w| {
            w.order_id == order_id
                && !matches!(w.status.as_str(), "Filled" | "Cancelled" | "Inactive")
        }) else {
            return vec![error_frame(
                order_id,
                10147,
                &format!("OrderId {order_id} that needs to be cancelled is not found."),
            )];
        };
        match script.cancel {
            CancelAnswer::Cancels => {
                self.orders[i].status = "PendingCancel".into();
                let mut out = vec![self.orders[i].status()];
                self.orders[i].status = "Cancelled".into();
                out.push(self.orders[i].status());
                out.push(error_frame(order_id, 202, "Order Canceled - reason:"));
                out
            }
            CancelAnswer::LosesToFill => {
                let rest = self.orders[i].quantity - self.orders[i].filled;
                let mut out = self.execute(
                    i,
                    rest,
                    script.fill_price.unwrap_or(100.0),
                    script.commission.unwrap_or(1.0),
                );
                out.push(error_frame(
                    order_id,
                    10148,
                    &format!("OrderId {order_id} that needs to be cancelled cannot be cancelled, state: Filled."),
                ));
                out
            }
        }
    }
}

fn commission_frame(exec_id: &str, amount: f64) -> (i32, Vec<u8>) {
    frame(
        wire::COMMISSION_REPORT,
        &CommissionReport {
            exec_id: Some(exec_id.into()),
            commission_and_fees: Some(amount),
            currency: Some("USD".into()),
        },
    )
}

/// What the fake saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// Client ids of successful StartApi messages, per connection, in order.
    pub client_ids: Vec<i32>,
    /// (connection number, symbol) of every market-data request.
    pub subscriptions: Vec<(usize, String)>,
    pub cancels: usize,
    /// (symbol, duration) of every history request.
    pub history: Vec<(String, String)>,
    /// Every order placed: (order id, order_ref, symbol, action, quantity, what-if).
    pub placed: Vec<(i32, String, String, String, String, bool)>,
    /// Order ids of every cancel.
    pub order_cancels: Vec<i32>,
}

pub struct FakeTws {
    pub addr: SocketAddr,
    pub script: Arc<Mutex<Script>>,
    pub seen: Arc<Mutex<Seen>>,
    /// Set to drop every open connection (the gateway restarting); new ones are accepted.
    drop_all: Arc<AtomicBool>,
    /// While false, connections are accepted and closed at once (the gateway is down).
    up: Arc<AtomicBool>,
    /// Global notices (id -1) to send on the open connections.
    notices: Arc<Mutex<Vec<(i32, String)>>>,
    /// The gateway's orders and executions (they outlive connections).
    pub book: Arc<Mutex<Book>>,
}

impl FakeTws {
    pub fn start(script: Script) -> FakeTws {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let fake = FakeTws {
            addr,
            script: Arc::new(Mutex::new(script)),
            seen: Arc::default(),
            drop_all: Arc::default(),
            up: Arc::new(AtomicBool::new(true)),
            notices: Arc::default(),
            book: Arc::new(Mutex::new(Book {
                perm_base: i64::from(addr.port()) * 1_000_000,
                ..Book::default()
            })),
        };
        let (script, seen, drop_all, up, notices, book) = (
            fake.script.clone(),
            fake.seen.clone(),
            fake.drop_all.clone(),
            fake.up.clone(),
            fake.notices.clone(),
            fake.book.clone(),
        );
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { continue };
                // Every frame goes out as it is written (a gateway that held small writes back
                // for the client's delayed ACK would add 40 ms to every answer).
                let _ = stream.set_nodelay(true);
                if !up.load(Ordering::SeqCst) {
                    drop(stream);
                    continue;
                }
                let (script, seen, drop_all, notices, book) = (
                    script.clone(),
                    seen.clone(),
                    drop_all.clone(),
                    notices.clone(),
                    book.clone(),
                );
                std::thread::spawn(move || {
                    let _ = serve(n, stream, &script, &seen, &drop_all, &notices, &book);
                    book.lock().unwrap().connected = false;
                });
            }
        });
        fake
    }

    /// The gateway goes down: every connection is closed and new ones are refused until
    /// [`FakeTws::restart`].
    pub fn go_down(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.drop_all.store(true, Ordering::SeqCst);
    }

    /// Sends a global notice (error message with id -1) on the open connection.
    pub fn notice(&self, code: i32, text: &str) {
        self.notices.lock().unwrap().push((code, text.into()));
    }

    pub fn restart(&self) {
        self.drop_all.store(false, Ordering::SeqCst);
        self.up.store(true, Ordering::SeqCst);
    }

    /// Fills `shares` of order `order_id` at `price`: sent on the open connection, or only
    /// remembered (for the executions reply) while none is open.
    pub fn fill(&self, order_id: i32, shares: u32, price: f64) {
        let mut b = self.book.lock().unwrap();
        let i = b
            .orders
            .iter()
            .rposition(|w| w.order_id == order_id)
            .expect("no such order");
        let frames = b.execute(i, shares, price, 1.0);
        if b.connected {
            b.outbox.extend(frames);
        }
    }

    /// Fills as [`FakeTws::fill`] but sends nothing: the client misses it (as during an outage
    /// of the gateway's own link) and finds it only in the executions reply.
    pub fn fill_unheard(&self, order_id: i32, shares: u32, price: f64) {
        let mut b = self.book.lock().unwrap();
        let i = b
            .orders
            .iter()
            .rposition(|w| w.order_id == order_id)
            .expect("no such order");
        b.execute(i, shares, price, 1.0);
    }

    /// Corrects execution `exec_id` (`.01` -> `.02`) to `price`, sent on the open connection.
    pub fn correct(&self, exec_id: &str, price: f64) -> String {
        let mut b = self.book.lock().unwrap();
        let (symbol, mut exec, commission) = b
            .executions
            .iter()
            .find(|(_, e, _)| e.exec_id.as_deref() == Some(exec_id))
            .cloned()
            .expect("no such execution");
        let base = exec_id.rsplit_once('.').unwrap().0;
        let id = format!("{base}.02");
        exec.exec_id = Some(id.clone());
        exec.price = Some(price);
        let frames = vec![
            frame(
                wire::EXECUTION_DATA,
                &ExecutionDetails {
                    req_id: Some(-1),
                    contract: Some(stock(&symbol)),
                    execution: Some(exec.clone()),
                },
            ),
            commission_frame(&id, commission),
        ];
        b.executions.push((symbol, exec, commission));
        if b.connected {
            b.outbox.extend(frames);
        }
        id
    }
}

/// 100 + the tick's sequence number + (Unix time in ms modulo 1000) / 1000: a reader can tell
/// a missed tick (a gap in the sequence) and how late a tick is (lags under a second).
pub fn clock_price(seq: u64) -> f64 {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    100.0 + seq as f64 + (ms % 1000) as f64 / 1000.0
}

fn read_frame(s: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len)?;
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    s.read_exact(&mut body)?;
    Ok(body)
}

fn write_frame(s: &mut TcpStream, body: &[u8]) -> std::io::Result<()> {
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(body);
    s.write_all(&out)
}

fn send(s: &mut TcpStream, id: i32, msg: &impl Message) -> std::io::Result<()> {
    let mut body = id.to_be_bytes().to_vec();
    msg.encode(&mut body).unwrap();
    write_frame(s, &body)
}

fn error(s: &mut TcpStream, id: i32, code: i32, text: &str) -> std::io::Result<()> {
    send(
        s,
        wire::ERROR,
        &ErrorMessage {
            id: Some(id),
            error_time: Some(0),
            error_code: Some(code),
            error_msg: Some(text.into()),
        },
    )
}

fn serve(
    n: usize,
    mut s: TcpStream,
    shared: &Mutex<Script>,
    seen: &Mutex<Seen>,
    drop_all: &AtomicBool,
    notices: &Mutex<Vec<(i32, String)>>,
    book: &Mutex<Book>,
) -> std::io::Result<()> {
    let mut api = [0u8; 4];
    s.read_exact(&mut api)?;
    assert_eq!(&api, b"API\0", "the handshake starts with API\\0");
    let versions = String::from_utf8(read_frame(&mut s)?).unwrap();
    assert!(versions.starts_with('v'), "{versions}");
    let script = shared.lock().unwrap().clone();
    if script.silent {
        // Hold the connection open without a word.
        std::thread::sleep(Duration::from_secs(60));
        return Ok(());
    }
    write_frame(&mut s, b"226\x0020260105 09:30:00 US/Eastern\x00")?;
    let start = read_frame(&mut s)?;
    let id = i32::from_be_bytes(start[..4].try_into().unwrap());
    assert_eq!(id, wire::START_API);
    let client_id = StartApi::decode(&start[4..])
        .unwrap()
        .client_id
        .unwrap_or(0);
    if script.ids_in_use.contains(&client_id) {
        error(
            &mut s,
            -1,
            326,
            "Unable to connect as the client id is already in use. Retry with a unique client id.",
        )?;
        std::thread::sleep(Duration::from_millis(200));
        return Ok(());
    }
    seen.lock().unwrap().client_ids.push(client_id);
    send(
        &mut s,
        wire::NEXT_VALID_ID,
        &NextValidId {
            order_id: Some(script.next_valid_id.unwrap_or(1)),
        },
    )?;
    let account = script.account.clone().unwrap_or_else(|| "DU1234567".into());
    send(
        &mut s,
        wire::MANAGED_ACCOUNTS,
        &ManagedAccounts {
            accounts_list: Some(account.clone()),
        },
    )?;
    book.lock().unwrap().connected = true;
    error(&mut s, -1, 2104, "Market data farm connection is OK:usfarm")?;

    // Requests are read on this thread; a ticker thread streams last prices.
    let streams: Arc<Mutex<Vec<(i32, f64, bool)>>> = Arc::default();
    let writer = Arc::new(Mutex::new(s.try_clone()?));
    let alive = Arc::new(AtomicBool::new(true));
    {
        let (streams, writer, alive) = (streams.clone(), writer.clone(), alive.clone());
        let every = script.tick_every.unwrap_or(Duration::from_millis(100));
        let clock = script.clock_prices;
        std::thread::spawn(move || {
            let mut step = 0.0;
            let mut seq = 0u64;
            // An absolute schedule, so that the time spent writing does not slow the rate.
            let mut next = std::time::Instant::now();
            while alive.load(Ordering::SeqCst) {
                next += every;
                if let Some(wait) = next.checked_duration_since(std::time::Instant::now()) {
                    std::thread::sleep(wait);
                }
                step += 0.01;
                seq += 1;
                let list = streams.lock().unwrap().clone();
                let mut w = writer.lock().unwrap();
                for (req_id, base, delayed) in list {
                    let tick = TickPrice {
                        req_id: Some(req_id),
                        tick_type: Some(if delayed { 68 } else { 4 }),
                        price: Some(if clock { clock_price(seq) } else { base + step }),
                        size: Some("100".into()),
                        attr_mask: Some(0),
                    };
                    if send(&mut w, wire::TICK_PRICE, &tick).is_err() {
                        return;
                    }
                }
            }
        });
    }
    s.set_read_timeout(Some(Duration::from_millis(50)))?;
    let result = loop {
        if drop_all.load(Ordering::SeqCst) {
            break Ok(());
        }
        let pending: Vec<(i32, String)> = notices.lock().unwrap().drain(..).collect();
        for (code, text) in pending {
            error(&mut writer.lock().unwrap(), -1, code, &text)?;
        }
        let out: Vec<(i32, Vec<u8>)> = book.lock().unwrap().outbox.drain(..).collect();
        write_all(&mut writer.lock().unwrap(), &out)?;
        let incoming = match read_frame(&mut s) {
            Ok(f) => f,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(e) => break Err(e),
        };
        let id = i32::from_be_bytes(incoming[..4].try_into().unwrap());
        let payload = &incoming[4..];
        match id {
            wire::REQ_MARKET_DATA => {
                let req = MarketDataRequest::decode(payload).unwrap();
                let req_id = req.req_id.unwrap_or(0);
                let symbol = req.contract.and_then(|c| c.symbol).unwrap_or_default();
                seen.lock().unwrap().subscriptions.push((n, symbol.clone()));
                let mut w = writer.lock().unwrap();
                match script.answers.get(&symbol) {
                    None | Some(Answer::Unknown) => {
                        error(
                            &mut w,
                            req_id,
                            200,
                            "No security definition has been found for the request",
                        )?;
                    }
                    Some(Answer::Ticks {
                        prices,
                        sizes,
                        delayed,
                        stream,
                    }) => {
                        if *delayed {
                            send(
                                &mut w,
                                wire::MARKET_DATA_TYPE,
                                &MarketDataType {
                                    req_id: Some(req_id),
                                    market_data_type: Some(3),
                                },
                            )?;
                            error(
                                &mut w,
                                req_id,
                                10167,
                                "Requested market data is not subscribed. Displaying delayed market data.",
                            )?;
                        }
                        for (tick_type, price) in prices {
                            send(
                                &mut w,
                                wire::TICK_PRICE,
                                &TickPrice {
                                    req_id: Some(req_id),
                                    tick_type: Some(*tick_type),
                                    price: Some(*price),
                                    size: None,
                                    attr_mask: Some(0),
                                },
                            )?;
                        }
                        for (tick_type, size) in sizes {
                            send(
                                &mut w,
                                wire::TICK_SIZE,
                                &TickSize {
                                    req_id: Some(req_id),
                                    tick_type: Some(*tick_type),
                                    size: Some(size.clone()),
                                },
                            )?;
                        }
                        let last = prices
                            .iter()
                            .find(|(t, _)| *t == 4 || *t == 68)
                            .map(|p| p.1);
                        if let Some(base) = last.filter(|_| *stream) {
                            streams.lock().unwrap().push((req_id, base, *delayed));
                        }
                    }
                }
            }
            wire::REQ_HISTORY => {
                let req = HistoricalDataRequest::decode(payload).unwrap();
                let req_id = req.req_id.unwrap_or(0);
                let symbol = req.contract.and_then(|c| c.symbol).unwrap_or_default();
                seen.lock()
                    .unwrap()
                    .history
                    .push((symbol.clone(), req.duration.unwrap_or_default()));
                let mut w = writer.lock().unwrap();
                match script.history.get(&symbol) {
                    None => error(
                        &mut w,
                        req_id,
                        200,
                        "No security definition has been found for the request",
                    )?,
                    Some(bars) => {
                        let bars = bars
                            .iter()
                            .map(|(date, close)| Bar {
                                date: Some(date.clone()),
                                open: Some(close - 1.0),
                                high: Some(close + 1.0),
                                low: Some(close - 2.0),
                                close: Some(*close),
                                volume: Some("1000".into()),
                            })
                            .collect();
                        send(
                            &mut w,
                            wire::HISTORICAL_DATA,
                            &HistoricalData {
                                req_id: Some(req_id),
                                bars,
                            },
                        )?;
                        send(
                            &mut w,
                            wire::HISTORICAL_DATA_END,
                            &HistoricalDataEnd {
                                req_id: Some(req_id),
                                start: Some("20211120-00:00:00".into()),
                                end: Some("20261120-00:00:00".into()),
                            },
                        )?;
                    }
                }
            }
            wire::REQ_POSITIONS => {
                let mut w = writer.lock().unwrap();
                for (account, symbol, qty, cost) in &script.positions {
                    let contract = Contract {
                        con_id: Some(1),
                        symbol: Some(symbol.clone()),
                        sec_type: Some("STK".into()),
                        exchange: None,
                        currency: Some("USD".into()),
                    };
                    send(
                        &mut w,
                        wire::POSITION,
                        &Position {
                            account: Some(account.clone()),
                            contract: Some(contract),
                            position: Some(qty.clone()),
                            avg_cost: Some(*cost),
                        },
                    )?;
                }
                send(&mut w, wire::POSITION_END, &Empty {})?;
            }
            wire::REQ_ACCOUNT_SUMMARY => {
                let req_id = AccountSummaryRequest::decode(payload).unwrap().req_id;
                let mut w = writer.lock().unwrap();
                for (account, tag, value) in &script.summary {
                    send(
                        &mut w,
                        wire::ACCOUNT_SUMMARY,
                        &AccountSummary {
                            req_id,
                            account: Some(account.clone()),
                            tag: Some(tag.clone()),
                            value: Some(value.clone()),
                            currency: Some("USD".into()),
                        },
                    )?;
                }
                if !script.summary_never_ends {
                    send(
                        &mut w,
                        wire::ACCOUNT_SUMMARY_END,
                        &AccountSummaryRequest { req_id },
                    )?;
                }
            }
            wire::CANCEL_MARKET_DATA => {
                let req_id = CancelMarketData::decode(payload).unwrap().req_id;
                seen.lock().unwrap().cancels += 1;
                streams
                    .lock()
                    .unwrap()
                    .retain(|(r, _, _)| Some(*r) != req_id);
            }
            wire::PLACE_ORDER => {
                let req = PlaceOrderRequest::decode(payload).unwrap();
                let o = req.order.clone().unwrap_or_default();
                let what_if = o.what_if.unwrap_or(false);
                seen.lock().unwrap().placed.push((
                    req.order_id.unwrap_or(0),
                    o.order_ref.clone().unwrap_or_default(),
                    req.contract
                        .as_ref()
                        .and_then(|c| c.symbol.clone())
                        .unwrap_or_default(),
                    o.action.clone().unwrap_or_default(),
                    o.total_quantity.clone().unwrap_or_default(),
                    what_if,
                ));
                // Orders follow the script as it is now (a test may change it mid-connection).
                let now = shared.lock().unwrap().clone();
                let frames = if what_if {
                    what_if_answer(&req, &now, client_id)
                } else {
                    book.lock().unwrap().place(client_id, &req, &now)
                };
                write_all(&mut writer.lock().unwrap(), &frames)?;
            }
            wire::CANCEL_ORDER => {
                let order_id = CancelOrderRequest::decode(payload)
                    .unwrap()
                    .order_id
                    .unwrap_or(0);
                seen.lock().unwrap().order_cancels.push(order_id);
                let now = shared.lock().unwrap().clone();
                let frames = book.lock().unwrap().cancel(order_id, &now);
                write_all(&mut writer.lock().unwrap(), &frames)?;
            }
            wire::REQ_OPEN_ORDERS | wire::REQ_ALL_OPEN_ORDERS => {
                let b = book.lock().unwrap();
                let mut frames = Vec::new();
                for w in b
                    .orders
                    .iter()
                    .filter(|w| matches!(w.status.as_str(), "PreSubmitted" | "Submitted"))
                {
                    frames.push(w.open());
                    frames.push(w.status());
                }
                frames.push(frame(wire::OPEN_ORDER_END, &Empty {}));
                write_all(&mut writer.lock().unwrap(), &frames)?;
            }
            wire::REQ_COMPLETED_ORDERS => {
                let b = book.lock().unwrap();
                let mut frames = Vec::new();
                for w in b
                    .orders
                    .iter()
                    .filter(|w| matches!(w.status.as_str(), "Filled" | "Cancelled" | "Inactive"))
                {
                    let mut o = w.order_msg();
                    // A completed order's total is what was left; its order id is not sent.
                    o.order_id = None;
                    o.total_quantity = Some((w.quantity - w.filled).to_string());
                    o.filled_quantity = Some(w.filled.to_string());
                    frames.push(frame(
                        wire::COMPLETED_ORDER,
                        &CompletedOrderMsg {
                            contract: Some(stock(&w.symbol)),
                            order: Some(o),
                            order_state: Some(OrderStateMsg {
                                status: Some(w.status.clone()),
                                completed_time: Some(exec_time()),
                                completed_status: Some(format!("{} Size: {}", w.status, w.filled)),
                                ..OrderStateMsg::default()
                            }),
                        },
                    ));
                }
                frames.push(frame(wire::COMPLETED_ORDERS_END, &Empty {}));
                write_all(&mut writer.lock().unwrap(), &frames)?;
            }
            wire::REQ_EXECUTIONS => {
                let req_id = ExecutionRequest::decode(payload).unwrap().req_id;
                let b = book.lock().unwrap();
                let mut frames = Vec::new();
                for (symbol, exec, commission) in &b.executions {
                    frames.push(frame(
                        wire::EXECUTION_DATA,
                        &ExecutionDetails {
                            req_id,
                            contract: Some(stock(symbol)),
                            execution: Some(exec.clone()),
                        },
                    ));
                    frames.push(commission_frame(
                        exec.exec_id.as_deref().unwrap_or_default(),
                        *commission,
                    ));
                }
                frames.push(frame(
                    wire::EXECUTION_DATA_END,
                    &ExecutionRequest { req_id },
                ));
                write_all(&mut writer.lock().unwrap(), &frames)?;
            }
            wire::REQ_MANAGED_ACCOUNTS => {
                send(
                    &mut writer.lock().unwrap(),
                    wire::MANAGED_ACCOUNTS,
                    &ManagedAccounts {
                        accounts_list: Some(account.clone()),
                    },
                )?;
            }
            // Market data type requests, current time and the rest: nothing to answer.
            _ => {}
        }
    };
    alive.store(false, Ordering::SeqCst);
    let _ = s.shutdown(std::net::Shutdown::Both);
    result
}

fn write_all(s: &mut TcpStream, frames: &[(i32, Vec<u8>)]) -> std::io::Result<()> {
    for (id, body) in frames {
        let mut all = id.to_be_bytes().to_vec();
        all.extend_from_slice(body);
        write_frame(s, &all)?;
    }
    Ok(())
}

/// E: a what-if's answer (a preliminary one first when scripted): margins and commission.
fn what_if_answer(req: &PlaceOrderRequest, script: &Script, client_id: i32) -> Vec<(i32, Vec<u8>)> {
    let mut o = req.order.clone().unwrap_or_default();
    o.client_id = Some(client_id);
    let msg = |state: OrderStateMsg| {
        frame(
            wire::OPEN_ORDER,
            &OpenOrderMsg {
                order_id: req.order_id,
                contract: req.contract.clone(),
                order: Some(o.clone()),
                order_state: Some(state),
            },
        )
    };
    let mut out = Vec::new();
    if script.preliminary_what_if {
        out.push(msg(OrderStateMsg {
            status: Some("PreSubmitted".into()),
            commission_and_fees: Some(0.0),
            ..OrderStateMsg::default()
        }));
    }
    out.push(msg(OrderStateMsg {
        status: Some("PreSubmitted".into()),
        init_margin_change: Some(1234.5),
        init_margin_after: Some(5234.5),
        commission_and_fees: Some(1.0),
        commission_currency: Some("USD".into()),
        ..OrderStateMsg::default()
    }));
    out
}
