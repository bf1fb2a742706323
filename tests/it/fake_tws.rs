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
        };
        let (script, seen, drop_all, up, notices) = (
            fake.script.clone(),
            fake.seen.clone(),
            fake.drop_all.clone(),
            fake.up.clone(),
            fake.notices.clone(),
        );
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { continue };
                if !up.load(Ordering::SeqCst) {
                    drop(stream);
                    continue;
                }
                let (script, seen, drop_all, notices) = (
                    script.clone(),
                    seen.clone(),
                    drop_all.clone(),
                    notices.clone(),
                );
                std::thread::spawn(move || {
                    let _ = serve(n, stream, &script, &seen, &drop_all, &notices);
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
    script: &Mutex<Script>,
    seen: &Mutex<Seen>,
    drop_all: &AtomicBool,
    notices: &Mutex<Vec<(i32, String)>>,
) -> std::io::Result<()> {
    let mut api = [0u8; 4];
    s.read_exact(&mut api)?;
    assert_eq!(&api, b"API\0", "the handshake starts with API\\0");
    let versions = String::from_utf8(read_frame(&mut s)?).unwrap();
    assert!(versions.starts_with('v'), "{versions}");
    let script = script.lock().unwrap().clone();
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
        &NextValidId { order_id: Some(1) },
    )?;
    send(
        &mut s,
        wire::MANAGED_ACCOUNTS,
        &ManagedAccounts {
            accounts_list: Some("DU1234567".into()),
        },
    )?;
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
        let frame = match read_frame(&mut s) {
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
        let id = i32::from_be_bytes(frame[..4].try_into().unwrap());
        let payload = &frame[4..];
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
            // Market data type requests, current time and the rest: nothing to answer.
            _ => {}
        }
    };
    alive.store(false, Ordering::SeqCst);
    let _ = s.shutdown(std::net::Shutdown::Both);
    result
}
