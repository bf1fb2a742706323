//! Cockpit benchmarks (figures in BENCHMARKS.md):
//! - one dashboard frame at 200x60 with 500 holdings, after a batch of quotes (divan);
//! - the real release binary in a pseudo-terminal: CPU and bytes written per second with 20
//!   symbols ticking at 4 Hz (120x40), then CPU with the feed paused ("pty", about 70 s).
//!
//! Run with `cargo bench --bench cockpit` (both), `-- dashboard` or `-- pty` (one).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Days, NaiveDate, Utc};
use divan::Bencher;
use folio::app::Session;
use folio::domain::{Account, AccountKind, Action, LotMethod, QuoteSource, Transaction};
use folio::market::feed::FeedEvent;
use folio::market::simfeed::SimWalk;
use folio::tui::theme::Theme;
use folio::tui::{App, Msg, Setup, settle};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

#[path = "support/db.rs"]
mod db;
#[path = "support/proc_stat.rs"]
mod proc_stat;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if filters.is_empty() || filters.iter().any(|f| f != "pty") {
        divan::main();
    }
    if filters.is_empty() || filters.iter().any(|f| f == "pty") {
        pty_figures();
    }
}

fn now() -> DateTime<Utc> {
    "2026-11-22T15:30:00Z".parse().unwrap()
}

/// 500 holdings over two accounts with five years of seeded daily closes each, in a database
/// in `dir`; the session reads it as of its last close.
fn big_portfolio(dir: &std::path::Path) -> Session {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(500);
    let start = NaiveDate::from_ymd_opt(2021, 11, 22).unwrap();
    let days: Vec<NaiveDate> = (0..1826)
        .map(|i| start + Days::new(i))
        .filter(|d| chrono::Datelike::weekday(d).num_days_from_monday() < 5)
        .collect();
    let mut closes = HashMap::new();
    let mut txns = Vec::new();
    let tx = |id: i64, account: &str, action, symbol: Option<String>, q, p, amount| Transaction {
        id,
        uid: id.to_string(),
        date: start,
        account: account.into(),
        action,
        symbol,
        quantity: q,
        price: p,
        fees: Decimal::ZERO,
        amount,
        currency: "USD".into(),
        lot: None,
        relief: None,
        note: None,
    };
    for (i, a) in ["Taxable", "IRA"].iter().enumerate() {
        txns.push(tx(
            i as i64 + 1,
            a,
            Action::Deposit,
            None,
            None,
            None,
            Some(Decimal::from(100_000_000)),
        ));
    }
    for s in 0..500 {
        let symbol = format!("S{s:03}");
        let mut price = rng.random_range(10.0..500.0f64);
        let first = Decimal::from_f64(price).unwrap().round_dp(2);
        let series: Vec<(NaiveDate, Decimal)> = days
            .iter()
            .map(|d| {
                price *= 1.0 + rng.random_range(-0.02..0.021);
                (*d, Decimal::from_f64(price).unwrap().round_dp(2))
            })
            .collect();
        closes.insert(symbol.clone(), series);
        let account = if s % 3 == 0 { "IRA" } else { "Taxable" };
        txns.push(tx(
            s + 10,
            account,
            Action::Buy,
            Some(symbol),
            Some(Decimal::from(rng.random_range(1..400))),
            Some(first),
            None,
        ));
    }
    let accounts = ["Taxable", "IRA"].map(|name| Account {
        name: name.into(),
        kind: AccountKind::Taxable,
        lot_method: LotMethod::Fifo,
    });
    db::session(dir, &accounts, &txns, &closes, *days.last().unwrap())
}

/// One dashboard frame after a batch of quotes (the cockpit's steady state with a live feed).
#[divan::bench(sample_count = 50)]
fn dashboard_frame_200x60_500_holdings(bencher: Bencher) {
    let dir = tempfile::tempdir().unwrap();
    let session = big_portfolio(dir.path());
    let mut app = App::new(
        Setup {
            db_label: "bench.db".into(),
            db_flag: String::new(),
            demo: false,
            feed: Some(QuoteSource::Simulated),
            broker: folio::domain::order::BrokerKind::Paper,
        },
        Theme { color: true },
        now(),
        now().date_naive(),
    );
    // The data, the harvest scan, risk and the plan: what the jobs answer when it opens.
    let mut walk = None;
    for e in settle(&mut app, &session) {
        if let folio::tui::Effect::StartFeed {
            symbols, closes, ..
        } = e
        {
            let mut w = SimWalk::new(1, closes);
            for s in &symbols {
                w.subscribe(s).unwrap();
            }
            walk = Some(w);
        }
    }
    let mut walk = walk.expect("the feed starts for the held symbols");
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    terminal.draw(|f| app.draw(f)).unwrap();
    // Quotes are made by the feed task, not the UI thread: generate them up front.
    let batches: Vec<_> = (0..64).map(|_| walk.step(now())).collect();
    let mut batches = batches.into_iter().cycle();
    bencher.bench_local(|| {
        let batch = batches.next().unwrap();
        app.update(Msg::Feed(FeedEvent::Quotes(batch)));
        terminal.draw(|f| app.draw(f)).unwrap();
    });
}

/// CPU and terminal bytes of the real binary in a pseudo-terminal.
fn pty_figures() {
    let dir = tempfile::tempdir().unwrap();
    let path = |n: &str| dir.path().join(n);
    // A portfolio of 20 symbols with a year of closes.
    let mut trades =
        String::from("date,account,action,symbol,quantity,price,fees,amount,currency,lot,note\n");
    trades.push_str("2025-01-02,Taxable,DEPOSIT,,,,,1000000,USD,,\n");
    let mut prices = String::from("date,symbol,close\n");
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(20);
    let start = NaiveDate::from_ymd_opt(2025, 11, 20).unwrap();
    for s in 0..20 {
        let mut p = rng.random_range(20.0..400.0f64);
        trades.push_str(&format!(
            "2025-11-20,Taxable,BUY,T{s:02},{},{p:.2},1,,USD,,\n",
            10 + s
        ));
        for d in 0..366 {
            p *= 1.0 + rng.random_range(-0.015..0.016);
            prices.push_str(&format!("{},T{s:02},{p:.2}\n", start + Days::new(d)));
        }
    }
    std::fs::write(path("t.csv"), trades).unwrap();
    std::fs::write(path("p.csv"), prices).unwrap();
    std::fs::write(
        path("config.toml"),
        "[quotes]\nsource = \"simulated\"\nsim_rate_hz = 4\n",
    )
    .unwrap();
    let folio = env!("CARGO_BIN_EXE_folio");
    let db = path("bench.db");
    let config = path("config.toml");
    let base = |c: &mut std::process::Command| {
        c.env("HOME", dir.path())
            .arg("--db")
            .arg(&db)
            .arg("--config")
            .arg(&config);
    };
    for args in [vec!["import", "t.csv"], vec!["prices", "import", "p.csv"]] {
        let mut c = std::process::Command::new(folio);
        base(&mut c);
        let out = c.current_dir(dir.path()).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let (pty, pts) = pty_process::blocking::open().unwrap();
    pty.resize(pty_process::Size::new(40, 120)).unwrap();
    let child = pty_process::blocking::Command::new(folio)
        .env("HOME", dir.path())
        .env("TERM", "xterm-256color")
        .arg("--db")
        .arg(&db)
        .arg("--config")
        .arg(&config)
        .spawn(pts)
        .unwrap();
    let pty = Arc::new(pty);
    let bytes = Arc::new(AtomicU64::new(0));
    {
        let (pty, bytes) = (pty.clone(), bytes.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n @ 1..) = (&*pty).read(&mut buf) {
                bytes.fetch_add(n as u64, Ordering::Relaxed);
            }
        });
    }
    let cpu = |pid: u32| proc_stat::cpu_seconds(&pid.to_string());
    let measure = |what: &str, secs: u64| {
        let (c0, b0, t0) = (
            cpu(child.id()),
            bytes.load(Ordering::Relaxed),
            Instant::now(),
        );
        std::thread::sleep(Duration::from_secs(secs));
        let dt = t0.elapsed().as_secs_f64();
        let (c1, b1) = (cpu(child.id()), bytes.load(Ordering::Relaxed));
        println!(
            "{what}: CPU {:.2}% of one core, {:.0} bytes/s to the terminal ({secs} s)",
            (c1 - c0) / dt * 100.0,
            (b1 - b0) as f64 / dt
        );
    };
    std::thread::sleep(Duration::from_secs(3));
    measure("20 symbols ticking at 4 Hz, 120x40", 30);
    (&*pty).write_all(b"p").unwrap();
    std::thread::sleep(Duration::from_secs(2));
    measure("feed paused, 120x40", 30);
    (&*pty).write_all(b"q").unwrap();
    let mut child = child;
    let status = child.wait().unwrap();
    assert!(status.success());
}
