//! Quote throughput from Interactive Brokers (figures in BENCHMARKS.md): the fake gateway (in a
//! child process) streams 100 symbols every 20 ms, 5,000 ticks a second; the real IBKR feed
//! folds them and the cockpit's state takes every quote, as its event loop does. Each streamed
//! price encodes a sequence number and its send time, so missed ticks are counted and the lag
//! from gateway to app state is measured per quote.
//! CPU is this process's (feed + app state), not the fake's.
//!
//! Run with `cargo bench --bench ibkr_ticks`.

#[path = "support/db.rs"]
mod db;
#[allow(dead_code)]
#[path = "../tests/it/fake_tws.rs"]
mod fake_tws;
#[path = "support/proc_stat.rs"]
mod proc_stat;

use std::collections::HashMap;
use std::io::BufRead;
use std::time::{Duration, Instant};

use chrono::{Datelike, Days, NaiveDate, Utc};
use folio::config::Ibkr;
use folio::domain::{Account, AccountKind, Action, LotMethod, QuoteSource, Transaction};
use folio::market::feed::{FeedCommand, FeedEvent, QuoteFeed};
use folio::market::ibkr::IbkrFeed;
use folio::tui::theme::Theme;
use folio::tui::{App, Msg, Setup, settle};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SYMBOLS: usize = 100;
const EVERY: Duration = Duration::from_millis(20);

fn main() {
    if std::env::args().any(|a| a == "--serve-fake") {
        serve();
        return;
    }
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if filters.is_empty() || filters.iter().any(|f| "ibkr_ticks".contains(f.as_str())) {
        measure();
    }
}

fn symbol(i: usize) -> String {
    format!("S{i:03}")
}

fn serve() {
    let mut script = fake_tws::Script {
        tick_every: Some(EVERY),
        clock_prices: true,
        ..Default::default()
    };
    for i in 0..SYMBOLS {
        script.answers.insert(
            symbol(i),
            fake_tws::Answer::Ticks {
                prices: vec![(9, 100.0), (4, 100.0)],
                sizes: vec![],
                delayed: false,
                stream: true,
            },
        );
    }
    let fake = fake_tws::FakeTws::start(script);
    println!("{}", fake.addr.port());
    std::thread::sleep(Duration::from_secs(3600));
}

/// Ms since the Unix epoch modulo 1000, as the fake encodes it.
fn clock_ms() -> i64 {
    (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        % 1000) as i64
}

/// A portfolio holding the 100 streamed symbols, so that every quote revalues real holdings.
fn portfolio(dir: &std::path::Path) -> folio::app::Session {
    let start = NaiveDate::from_ymd_opt(2025, 11, 21).unwrap();
    let mut txns = Vec::new();
    let mut closes = HashMap::new();
    for i in 0..SYMBOLS {
        txns.push(Transaction {
            id: i as i64 + 1,
            uid: i.to_string(),
            date: start,
            account: "U1".into(),
            action: Action::Buy,
            symbol: Some(symbol(i)),
            quantity: Some(Decimal::from(10)),
            price: Some(Decimal::from(100)),
            fees: Decimal::ZERO,
            amount: None,
            currency: "USD".into(),
            lot: None,
            relief: None,
            note: None,
        });
        let days = (0..365)
            .map(|d| start + Days::new(d))
            .filter(|d| d.weekday().num_days_from_monday() < 5);
        closes.insert(symbol(i), days.map(|d| (d, Decimal::from(100))).collect());
    }
    let accounts = vec![Account {
        name: "U1".into(),
        kind: AccountKind::Taxable,
        lot_method: LotMethod::Fifo,
    }];
    db::session(dir, &accounts, &txns, &closes, start + Days::new(364))
}

fn measure() {
    let exe = std::env::current_exe().unwrap();
    let mut child = std::process::Command::new(exe)
        .arg("--serve-fake")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line.trim().parse().unwrap();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (warm, run) = (Duration::from_secs(3), Duration::from_secs(15));
    // The cockpit's state on the portfolio, its jobs answered (before the runtime starts).
    let dir = tempfile::tempdir().unwrap();
    let session = portfolio(dir.path());
    let mut app = App::new(
        Setup {
            db_label: "bench".into(),
            db_flag: String::new(),
            demo: false,
            feed: Some(QuoteSource::Ibkr),
            broker: folio::domain::order::BrokerKind::Paper,
        },
        Theme { color: false },
        Utc::now(),
        Utc::now().date_naive(),
    );
    settle(&mut app, &session);
    let (quotes, mut lags, cpu, missed) = rt.block_on(async {
        let settings = Ibkr {
            port,
            ..Default::default()
        };
        let (cmd_tx, cmd_rx) = tokio::sync::mpsc::unbounded_channel();
        let (ev_tx, mut ev_rx) = tokio::sync::mpsc::channel(256);
        Box::new(IbkrFeed::new(settings)).spawn(cmd_rx, ev_tx);
        cmd_tx
            .send(FeedCommand::Subscribe((0..SYMBOLS).map(symbol).collect()))
            .unwrap();
        let mut app = app;
        let start = Instant::now();
        let mut measuring = false;
        let (mut quotes, mut lags, mut cpu0) = (0usize, Vec::new(), 0.0);
        let mut last_seq: HashMap<String, i64> = HashMap::new();
        let mut missed = 0i64;
        loop {
            let event = match tokio::time::timeout(Duration::from_secs(5), ev_rx.recv()).await {
                Ok(Some(e)) => e,
                Ok(None) | Err(_) => panic!("the feed went silent"),
            };
            if !measuring && start.elapsed() >= warm {
                measuring = true;
                cpu0 = proc_stat::cpu_seconds("self");
            }
            if start.elapsed() >= warm + run {
                break;
            }
            let prices: Vec<(String, Decimal)> = match &event {
                FeedEvent::Quotes(q) => q.iter().map(|q| (q.symbol.clone(), q.last)).collect(),
                _ => vec![],
            };
            app.update(Msg::Feed(event));
            let now = clock_ms();
            for (symbol, p) in prices.into_iter().filter(|(_, p)| *p > Decimal::from(101)) {
                let x = p - Decimal::from(100);
                let seq = x.trunc().to_i64().unwrap();
                let sent = (x.fract() * Decimal::from(1000)).round().to_i64().unwrap();
                if let Some(prev) = last_seq.insert(symbol, seq)
                    && measuring
                {
                    missed += (seq - prev - 1).max(0);
                }
                if measuring {
                    lags.push((now - sent).rem_euclid(1000));
                    quotes += 1;
                }
            }
        }
        (quotes, lags, proc_stat::cpu_seconds("self") - cpu0, missed)
    });
    let _ = child.kill();
    let _ = child.wait();
    assert!(!lags.is_empty(), "no quote measured");
    lags.sort_unstable();
    let pct = |p: f64| lags[((lags.len() as f64 - 1.0) * p) as usize];
    let secs = run.as_secs_f64();
    println!(
        "ibkr ticks, {SYMBOLS} symbols every {EVERY:?}: {:.0} quotes/s folded into the app state over {secs:.0} s, {missed} ticks missed; lag gateway -> app state: median {} ms, p99 {} ms, max {} ms; CPU (feed + app state) {:.1}% of one core",
        quotes as f64 / secs,
        pct(0.5),
        pct(0.99),
        lags.last().unwrap(),
        cpu / secs * 100.0
    );
}
