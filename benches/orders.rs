//! Orders (figures in BENCHMARKS.md), on a database of 10,000 open lots (200 symbols, 50 lots
//! each, in a taxable account and an IRA; seeded):
//!
//! - the ticket's live preview (checks, lots, gains, wash-sale effects) as a keystroke asks it
//!   again, for a sale and a purchase;
//! - submit to acknowledgement through the fake gateway on 127.0.0.1 (the intent journaled
//!   with `synchronous = FULL`, the order written, its OpenOrder back and applied);
//! - a paper fill to the updated lots and dashboard (the fill journaled and booked, then what
//!   the cockpit reads again to show it).
//!
//! Run with `cargo bench --bench orders`.

#[allow(dead_code)]
#[path = "../tests/it/fake_tws.rs"]
mod fake_tws;

use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate, Utc};
use folio::app::orders::{self, Confirmation, OrderParams};
use folio::app::{Access, Clock, Options, Session};
use folio::config::Config;
use folio::domain::order::{BrokerKind, Side, Tif};
use folio::domain::{Action, Freshness, LotMethod, Quote, QuoteSource, Transaction};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rust_decimal::Decimal;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SYMBOLS: usize = 200;
const LOTS_PER_SYMBOL: usize = 50;

fn symbol(i: usize) -> String {
    format!("H{i:03}")
}

fn txn(id: usize, date: NaiveDate, account: &str, action: Action) -> Transaction {
    Transaction {
        id: id as i64,
        uid: format!("bench:{id}"),
        date,
        account: account.into(),
        action,
        symbol: None,
        quantity: None,
        price: None,
        fees: Decimal::ZERO,
        amount: None,
        currency: "USD".into(),
        lot: None,
        relief: None,
        note: None,
    }
}

fn database(path: &std::path::Path) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2026);
    let start = NaiveDate::from_ymd_opt(2022, 1, 3).unwrap();
    let mut txns = Vec::new();
    for account in ["Taxable", "IRA"] {
        let mut t = txn(txns.len() + 1, start, account, Action::Deposit);
        t.amount = Some(Decimal::from(50_000_000));
        txns.push(t);
    }
    for i in 0..SYMBOLS {
        for k in 0..LOTS_PER_SYMBOL {
            let account = if k % 5 == 4 { "IRA" } else { "Taxable" };
            let day = start + Days::new((k * 31 + i % 17) as u64);
            let mut t = txn(txns.len() + 1, day, account, Action::Buy);
            t.symbol = Some(symbol(i));
            t.quantity = Some(Decimal::from(rng.random_range(5..100u32)));
            t.price = Some(Decimal::new(rng.random_range(5_000..15_000i64), 2));
            txns.push(t);
        }
    }
    txns.sort_by_key(|t| t.date);
    let mut store = folio::store::Store::open(path).unwrap();
    store
        .write(|w| -> Result<usize, folio::store::StoreError> {
            w.insert_transactions("bench", "bench", &txns, LotMethod::Fifo)
        })
        .unwrap();
    store
        .write(|w| -> Result<(), folio::store::StoreError> {
            let mut a = w.accounts()?.into_iter().find(|a| a.name == "IRA").unwrap();
            a.kind = folio::domain::AccountKind::Ira;
            w.set_account(&a)
        })
        .unwrap();
}

fn quote(symbol: &str, bid: &str, ask: &str) -> Quote {
    let d = |s: &str| s.parse::<Decimal>().unwrap();
    Quote {
        symbol: symbol.into(),
        last: (d(bid) + d(ask)) / Decimal::TWO,
        bid: Some(d(bid)),
        ask: Some(d(ask)),
        prev_close: None,
        volume: None,
        time: Utc::now(),
        source: QuoteSource::Simulated,
        freshness: Freshness::Live,
    }
}

fn params(side: Side, symbol: &str, quantity: i64, limit: &str, broker: BrokerKind) -> OrderParams {
    OrderParams {
        side,
        symbol: symbol.into(),
        quantity: Decimal::from(quantity),
        account: Some("Taxable".into()),
        limit: Some(limit.parse().unwrap()),
        stop: None,
        stop_limit: None,
        tif: Tif::Gtc,
        outside_rth: true,
        lots: None,
        broker: Some(broker),
        allow_duplicate: true,
    }
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let n = times.len();
    println!(
        "{what}: median {:.2} ms, p95 {:.2} ms, max {:.2} ms ({n} runs)",
        ms(times[n / 2]),
        ms(times[n * 95 / 100]),
        ms(times[n - 1])
    );
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    database(&db);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let fake = fake_tws::FakeTws::start(fake_tws::Script {
        fill: fake_tws::Fill::Rest,
        ..fake_tws::Script::default()
    });
    let config = Config::parse(&format!(
        "[ibkr]\nport = {}\n[broker]\nmax_order_value = 100000000\nmax_quantity = 1000000\nprice_band = 0.5\n",
        fake.addr.port()
    ))
    .unwrap();
    let s = Session::new(Options {
        db_path: db,
        access: Access::Write,
        config,
        clock: Clock::System,
        data_dir: None,
    });
    let ledger = s.ledger().unwrap();
    println!(
        "fixture: {} transactions, {} open lots",
        ledger.transactions.len(),
        ledger.book.lots().count()
    );
    let sym = symbol(7);

    // The ticket on a keystroke: a sale of 30 lots' worth, and a purchase.
    for (what, side, qty) in [
        ("ticket preview, sale", Side::Sell, 1500),
        ("ticket preview, purchase", Side::Buy, 100),
    ] {
        let q = quote(&sym, "99.90", "100.10");
        let p = params(side, &sym, qty, "100", BrokerKind::Paper);
        let t = orders::ticket(&s, &p, Some(&q), Utc::now()).unwrap();
        assert!(t.tax.is_some(), "{:?}", t.warnings);
        let times = (0..200)
            .map(|_| {
                let started = Instant::now();
                orders::ticket(&s, &p, Some(&q), Utc::now()).unwrap();
                started.elapsed()
            })
            .collect();
        report(what, times);
    }

    // Submit to acknowledgement through the fake gateway.
    rt.block_on(async {
        let desk = orders::ibkr_desk(&s).await.unwrap();
        orders::reconcile(&s, &desk).await.unwrap();
        let q = quote(&sym, "99.90", "100.10");
        let p = params(Side::Buy, &sym, 1, "99", BrokerKind::Ibkr);
        let mut times = Vec::new();
        for _ in 0..100 {
            let t = orders::ticket(&s, &p, Some(&q), Utc::now()).unwrap();
            let started = Instant::now();
            let placed = orders::place(&s, &desk, &t, &Confirmation::Yes)
                .await
                .unwrap();
            times.push(started.elapsed());
            assert_eq!(placed.order.state.to_string(), "working");
        }
        report(
            "submit to acknowledgement (journal, send, OpenOrder applied)",
            times,
        );
    });

    // A paper fill to the lots and the dashboard the cockpit shows.
    rt.block_on(async {
        let desk = orders::paper_desk(&s);
        let mut times = Vec::new();
        for _ in 0..50 {
            let q = quote(&sym, "99.90", "100.10");
            let t = orders::ticket(
                &s,
                &params(Side::Buy, &sym, 10, "99", BrokerKind::Paper),
                Some(&q),
                Utc::now(),
            )
            .unwrap();
            let placed = orders::place(&s, &desk, &t, &Confirmation::Yes)
                .await
                .unwrap();
            assert_eq!(placed.order.state.to_string(), "working");
            let crossing = quote(&sym, "98.80", "98.90");
            let started = Instant::now();
            let applied = orders::work_paper(&s, &desk, &[crossing]).await.unwrap();
            assert!(applied.ledger);
            folio::tui::portfolio::Portfolio::load(&s).unwrap();
            times.push(started.elapsed());
        }
        report("paper fill to updated lots and dashboard", times);
    });
}
