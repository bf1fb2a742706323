//! Orders: the journal and its reconciliation against the fake gateway on 127.0.0.1 (TRADING.md
//! §1.6's scripts), the paper broker through the real binary, and the pre-trade checks.

use std::time::Duration;

use chrono::Utc;
use folio::app::orders::{self, Confirmation, OrderParams};
use folio::app::{Access, Clock, Options, Session};
use folio::config::Config;
use folio::domain::order::{BrokerKind, OrderState, Side, Tif};
use folio::domain::{Freshness, Quote, QuoteSource};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::common::Env;
use crate::fake_tws::{CancelAnswer, FakeTws, Fill, Script};

/// Cash, two VXUS lots (one a loss at 61), VTI, and an IRA.
pub const BOOK: &str = "date,account,action,symbol,quantity,price,fees,amount,currency,lot,note
2024-01-02,Taxable,DEPOSIT,,,,0,100000,USD,,
2024-01-03,Taxable,BUY,VTI,50,200,0,,USD,,
2024-03-01,Taxable,BUY,VXUS,100,55,0,,USD,,
2024-06-03,Taxable,BUY,VXUS,100,64,0,,USD,,
2024-01-02,IRA,DEPOSIT,,,,0,500,USD,,
";

fn env() -> Env {
    let env = Env::new();
    let csv = env.write("book.csv", BOOK);
    env.run(&["import", csv.to_str().unwrap()]).ok();
    env.run(&["accounts", "set", "IRA", "--kind", "ira"]).ok();
    env
}

fn session(env: &Env, port: u16, extra: &str) -> Session {
    let config = Config::parse(&format!(
        "[ibkr]\nport = {port}\nconnect_timeout_secs = 3\nanswer_timeout_secs = 5\n[broker]\nack_timeout_secs = 3\n{extra}"
    ))
    .unwrap();
    Session::new(Options {
        db_path: env.db(),
        access: Access::Write,
        config,
        clock: Clock::System,
        data_dir: None,
    })
}

fn quote(symbol: &str, bid: Decimal, ask: Decimal) -> Quote {
    Quote {
        symbol: symbol.into(),
        last: (bid + ask) / dec!(2),
        bid: Some(bid),
        ask: Some(ask),
        prev_close: None,
        volume: None,
        time: Utc::now(),
        source: QuoteSource::Ibkr,
        freshness: Freshness::Live,
    }
}

/// A limit order (market orders are refused outside regular hours, and tests run at any hour).
fn limit(side: Side, symbol: &str, quantity: Decimal, price: Decimal) -> OrderParams {
    OrderParams {
        side,
        symbol: symbol.into(),
        quantity,
        account: Some("Taxable".into()),
        limit: Some(price),
        stop: None,
        stop_limit: None,
        tif: Tif::Day,
        outside_rth: false,
        lots: None,
        broker: Some(BrokerKind::Ibkr),
        allow_duplicate: true,
    }
}

fn fake(script: Script) -> FakeTws {
    FakeTws::start(script)
}

/// The fake gateway running `script`, the book, and a session that trades through it.
fn gateway(script: Script) -> (FakeTws, Env, Session) {
    let fake = fake(script);
    let env = env();
    let s = session(&env, fake.addr.port(), "");
    (fake, env, s)
}

fn ledger_trades(env: &Env) -> Vec<(String, String, String, String)> {
    let conn = env.conn();
    let mut stmt = conn
        .prepare("SELECT action, quantity, price, fees FROM transactions WHERE uid LIKE 'exec:%' ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Places `p` against `q` through IBKR on `s` and gives the gateway a moment to say the rest.
async fn place(
    s: &Session,
    p: &OrderParams,
    q: &Quote,
) -> (
    orders::Desk<folio::broker::ibkr::Ibkr>,
    folio::domain::order::Order,
) {
    let desk = orders::ibkr_desk(s).await.unwrap();
    orders::reconcile(s, &desk).await.unwrap();
    let t = orders::ticket(s, p, Some(q), Utc::now()).unwrap();
    assert!(t.ready, "{:?}", t.refusals());
    let placed = orders::place(s, &desk, &t, &Confirmation::Yes)
        .await
        .unwrap();
    (desk, placed.order)
}

/// Buys `quantity` VTI at a limit of 100 against a 99.90/100.10 quote.
async fn buy_vti(
    s: &Session,
    quantity: Decimal,
) -> (
    orders::Desk<folio::broker::ibkr::Ibkr>,
    folio::domain::order::Order,
) {
    place(
        s,
        &limit(Side::Buy, "VTI", quantity, dec!(100)),
        &vti_quote(),
    )
    .await
}

fn vti_quote() -> Quote {
    quote("VTI", dec!(99.9), dec!(100.1))
}

/// The ticket of a VTI purchase at a limit of 100.
fn vti_ticket(s: &Session, quantity: Decimal) -> orders::Ticket {
    orders::ticket(
        s,
        &limit(Side::Buy, "VTI", quantity, dec!(100)),
        Some(&vti_quote()),
        Utc::now(),
    )
    .unwrap()
}

/// Waits until the events reported so far are journaled (a reconcile applies them).
async fn settle(
    s: &Session,
    desk: &orders::Desk<folio::broker::ibkr::Ibkr>,
) -> folio::domain::order::Order {
    tokio::time::sleep(Duration::from_millis(300)).await;
    orders::reconcile(s, desk).await.unwrap();
    let mut all = orders::orders(s, &Default::default()).unwrap().orders;
    all.remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fill_books_one_transaction_with_its_commission_however_often_it_is_reported() {
    let (fake, env, s) = gateway(Script {
        fill_price: Some(250.0),
        commission: Some(1.25),
        ..Script::default()
    });
    let (desk, o) = place(
        &s,
        &limit(Side::Buy, "VTI", dec!(10), dec!(251)),
        &quote("VTI", dec!(249.9), dec!(250.1)),
    )
    .await;
    let seen = fake.seen.lock().unwrap().placed.clone();
    // The order went out once, with folio's reference.
    let ours: Vec<_> = seen.iter().filter(|p| !p.5).collect();
    assert_eq!(ours.len(), 1, "{seen:?}");
    assert_eq!(ours[0].1, o.reference);
    assert!(o.reference.starts_with(&format!("folio:{}-", o.id)));
    let o = settle(&s, &desk).await;
    assert_eq!(o.state, OrderState::Filled);
    assert_eq!(o.filled, dec!(10));
    assert_eq!(o.commission, dec!(1.25));
    // The live execution, its duplicate Filled status, and the same execution again in the
    // reconcile's snapshot: one transaction.
    assert_eq!(
        ledger_trades(&env),
        vec![("BUY".into(), "10".into(), "250".into(), "1.25".into())]
    );
    let statuses: i64 = env
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM order_events WHERE kind = 'status' AND instr(detail, '\"status\":\"Filled\"') > 0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        statuses,
        1,
        "a duplicate status is logged once:\n{}",
        events(&env)
    );
    // The lots see it at once.
    let lots = env.run(&["lots", "--json"]).json();
    let vti: Vec<_> = lots["lots"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["symbol"] == "VTI")
        .collect();
    assert_eq!(vti.len(), 2, "{lots}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_fills_then_a_cancel_keep_what_filled() {
    let (fake, env, s) = gateway(Script {
        fill: Fill::Slices(vec![3, 3]),
        ..Script::default()
    });
    let (desk, o) = buy_vti(&s, dec!(10)).await;
    let o2 = settle(&s, &desk).await;
    assert_eq!(
        (o2.state, o2.filled),
        (OrderState::PartiallyFilled, dec!(6))
    );
    let c = orders::cancel(&s, &desk, o.id).await.unwrap();
    assert_eq!(c.state, OrderState::Cancelled, "{c:?}");
    assert_eq!(c.filled, dec!(6));
    assert_eq!(c.commission, dec!(2));
    assert_eq!(ledger_trades(&env).len(), 2);
    assert_eq!(
        fake.seen.lock().unwrap().order_cancels,
        vec![o.broker_order_id.unwrap() as i32]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_that_loses_to_a_fill_is_filled_and_an_unknown_one_changes_nothing() {
    let (fake, env, s) = gateway(Script {
        fill: Fill::Rest,
        cancel: CancelAnswer::LosesToFill,
        ..Script::default()
    });
    let (desk, o) = buy_vti(&s, dec!(5)).await;
    assert_eq!(o.state, OrderState::Working);
    orders::cancel(&s, &desk, o.id).await.unwrap();
    let c = settle(&s, &desk).await;
    assert_eq!(c.state, OrderState::Filled, "{c:?}");
    assert!(
        c.reason.as_deref().unwrap_or_default().contains("10148"),
        "{c:?}"
    );
    assert_eq!(ledger_trades(&env).len(), 1);

    // An order the gateway never heard of (it was silent): the cancel gets 10147, the order
    // keeps its state, and the reconcile finds no trace of it: lost, never resent.
    fake.script.lock().unwrap().fill = Fill::Silent;
    let t = vti_ticket(&s, dec!(7));
    let p = orders::place(&s, &desk, &t, &Confirmation::Yes)
        .await
        .unwrap();
    assert_eq!(p.order.state, OrderState::Submitted, "{}", events(&env));
    let c = orders::cancel(&s, &desk, p.order.id).await.unwrap();
    assert_eq!(c.state, OrderState::Submitted, "{c:?}");
    assert!(
        c.reason.as_deref().unwrap_or_default().contains("10147"),
        "{c:?}"
    );
    let placed_before = fake.seen.lock().unwrap().placed.len();
    // Lost only after the grace period: age the order in the journal.
    env.conn()
        .execute(
            "UPDATE orders SET updated = '2020-01-01T00:00:00.000Z' WHERE id = ?1",
            [p.order.id],
        )
        .unwrap();
    orders::reconcile(&s, &desk).await.unwrap();
    let lost = orders::orders(&s, &Default::default())
        .unwrap()
        .orders
        .remove(0);
    assert_eq!(lost.state, OrderState::Lost);
    assert_eq!(
        fake.seen.lock().unwrap().placed.len(),
        placed_before,
        "nothing resent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejections_are_final_and_warnings_are_not() {
    let (fake, _env, s) = gateway(Script {
        fill: Fill::Reject201,
        ..Script::default()
    });
    let (_desk, o) = buy_vti(&s, dec!(5)).await;
    assert_eq!(o.state, OrderState::Rejected, "{o:?}");
    assert!(
        o.reason
            .as_deref()
            .unwrap_or_default()
            .contains("insufficient funds"),
        "{o:?}"
    );

    fake.script.lock().unwrap().fill = Fill::Warnings;
    let (desk, o) = buy_vti(&s, dec!(6)).await;
    let o = if o.state == OrderState::Working {
        o
    } else {
        settle(&s, &desk).await
    };
    // 399 with a Warning: line, 10349 and 2109: the order works.
    assert_eq!(o.state, OrderState::Working, "{o:?}");

    fake.script.lock().unwrap().fill = Fill::Unknown;
    let (_desk, o) = buy_vti(&s, dec!(4)).await;
    assert_eq!(o.state, OrderState::Rejected, "{o:?}");
    assert!(
        o.reason.as_deref().unwrap_or_default().starts_with("200:"),
        "{o:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_what_if_waits_past_a_preliminary_answer() {
    use folio::broker::Broker;
    let (_fake, env, s) = gateway(Script {
        preliminary_what_if: true,
        ..Script::default()
    });
    let desk = orders::ibkr_desk(&s).await.unwrap();
    let t = vti_ticket(&s, dec!(5));
    let w = desk.broker.preview(&t.request).await.unwrap().unwrap();
    assert_eq!(w.init_margin_change, Some(dec!(1234.5)));
    assert_eq!(w.commission, Some(dec!(1)));
    assert_eq!(w.commission_currency.as_deref(), Some("USD"));
    // A what-if is never journaled as an order.
    assert_eq!(env.count("orders"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_disconnect_the_reconcile_finds_the_fill_made_during_the_outage() {
    let (fake, env, s) = gateway(Script {
        fill: Fill::Rest,
        ..Script::default()
    });
    let (desk, o) = place(
        &s,
        &limit(Side::Sell, "VXUS", dec!(50), dec!(61)),
        &quote("VXUS", dec!(60.9), dec!(61.1)),
    )
    .await;
    assert_eq!(o.state, OrderState::Working);
    fake.go_down();
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(desk);
    // Filled while folio could not hear it.
    fake.fill(o.broker_order_id.unwrap() as i32, 50, 61.0);
    fake.restart();
    let desk = orders::ibkr_desk(&s).await.unwrap();
    orders::reconcile(&s, &desk).await.unwrap();
    let o = orders::orders(&s, &Default::default())
        .unwrap()
        .orders
        .remove(0);
    assert_eq!((o.state, o.filled), (OrderState::Filled, dec!(50)), "{o:?}");
    assert_eq!(
        ledger_trades(&env),
        vec![("SELL".into(), "50".into(), "61".into(), "1".into())]
    );
    // A second reconcile books nothing twice.
    orders::reconcile(&s, &desk).await.unwrap();
    assert_eq!(ledger_trades(&env).len(), 1);
    // The sale relieved the first lot (FIFO) and realized its gain.
    let realized = env.run(&["realized", "--json"]).json();
    let rows = realized["disposals"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 1, "{realized}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrected_execution_replaces_the_one_it_corrects() {
    let (fake, env, s) = gateway(Script::default());
    let (desk, _) = place(
        &s,
        &limit(Side::Buy, "VTI", dec!(10), dec!(101)),
        &quote("VTI", dec!(100.9), dec!(101.1)),
    )
    .await;
    settle(&s, &desk).await;
    let exec = fake.book.lock().unwrap().executions[0]
        .1
        .exec_id
        .clone()
        .unwrap();
    assert!(exec.ends_with(".01"));
    let corrected = fake.correct(&exec, 100.05);
    let o = settle(&s, &desk).await;
    assert_eq!(
        ledger_trades(&env),
        vec![("BUY".into(), "10".into(), "100.05".into(), "1".into())]
    );
    assert_eq!(o.avg_price, Some(dec!(100.05)));
    let fills = orders::fills(&s, &Default::default()).unwrap().fills;
    assert_eq!(fills.len(), 1);
    assert_eq!(fills[0].execution.exec_id, corrected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_ids_never_go_back_when_the_gateway_restarts_lower() {
    let (_fake, env, s) = gateway(Script {
        next_valid_id: Some(50),
        ..Script::default()
    });
    let (_d, first) = buy_vti(&s, dec!(1)).await;
    assert!(first.broker_order_id.unwrap() >= 50);
    drop(_d);
    // The gateway restarts and hands out ids it used before.
    let fake2 = FakeTws::start(Script {
        next_valid_id: Some(10),
        ..Script::default()
    });
    let s = session(&env, fake2.addr.port(), "");
    let (_d, second) = buy_vti(&s, dec!(2)).await;
    assert!(
        second.broker_order_id.unwrap() > first.broker_order_id.unwrap(),
        "{second:?} after {first:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_account_is_refused_unless_live_trading_is_on_for_it() {
    let (fake, env, s) = gateway(Script {
        account: Some("U7654321".into()),
        ..Script::default()
    });
    let err = orders::ibkr_desk(&s).await.err().unwrap().to_string();
    assert!(err.contains("live trading is off"), "{err}");
    let s = session(&env, fake.addr.port(), "live = true\n");
    let err = orders::ibkr_desk(&s).await.err().unwrap().to_string();
    assert!(err.contains("not in [broker] accounts"), "{err}");
    let s = session(
        &env,
        fake.addr.port(),
        "live = true\naccounts = [\"U7654321\"]\n",
    );
    let desk = orders::ibkr_desk(&s).await.unwrap();
    let t = vti_ticket(&s, dec!(3));
    assert!(t.live);
    assert_eq!(t.confirm, "BUY 3 VTI");
    // A live order needs its confirmation typed: yes is not enough, a wrong text neither.
    for c in [Confirmation::Yes, Confirmation::Typed("BUY 30 VTI".into())] {
        let err = orders::place(&s, &desk, &t, &c)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("typed exactly: BUY 3 VTI"), "{err}");
    }
    assert_eq!(env.count("orders"), 0, "nothing journaled");
    orders::place(&s, &desk, &t, &Confirmation::Typed("BUY 3 VTI".into()))
        .await
        .unwrap();
    assert!(fake.seen.lock().unwrap().placed.iter().any(|p| !p.5));
}

fn events(env: &Env) -> String {
    let conn = env.conn();
    let mut stmt = conn
        .prepare("SELECT seq, order_id, source, kind, detail FROM order_events ORDER BY seq")
        .unwrap();
    stmt.query_map([], |r| {
        Ok(format!(
            "{:?} {:?} {} {} {}",
            r.get::<_, i64>(0)?,
            r.get::<_, Option<i64>>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?
        ))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect::<Vec<_>>()
    .join("\n")
}

/// A fresh quote in the database, as a running cockpit saves it (the binary's ticket reads it).
fn save_quote(env: &Env, symbol: &str, bid: &str, ask: &str) {
    let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    env.conn()
        .execute(
            "INSERT OR REPLACE INTO quotes (symbol, last, bid, ask, time, source, freshness) VALUES (?1, ?2, ?2, ?3, ?4, 'ibkr', 'live')",
            rusqlite::params![symbol, bid, ask, now],
        )
        .unwrap();
}

fn ibkr_config(env: &Env, port: u16) -> String {
    env.write(
        "config.toml",
        &format!("[ibkr]\nport = {port}\nconnect_timeout_secs = 3\nanswer_timeout_secs = 5\n[broker]\ndefault = \"ibkr\"\nack_timeout_secs = 3\n"),
    )
    .to_str()
    .unwrap()
    .to_string()
}

/// Runs `folio` with `args` until it says it stalled at `point`, then kills it (SIGKILL).
fn kill_at(env: &Env, config: &str, point: &str, args: &[&str]) {
    use std::io::BufRead;
    let mut child = env
        .command()
        .arg("--db")
        .arg(env.db())
        .args([
            "--config",
            config,
            "--test-hook",
            &format!("stall-at={point}"),
        ])
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        line.contains(&format!("stalled at {point}")),
        "the child said: {line}"
    );
}

fn fills_and_fees(env: &Env) -> Vec<(String, String)> {
    ledger_trades(env)
        .into_iter()
        .map(|(_, q, _, f)| (q, f))
        .collect()
}

#[test]
fn killed_between_journaling_and_sending_nothing_is_resent_and_one_order_fills() {
    let fake = fake(Script::default());
    let env = env();
    let cfg = ibkr_config(&env, fake.addr.port());
    save_quote(&env, "VTI", "99.90", "100.10");
    let order = ["order", "buy", "VTI", "5", "--limit", "100.50", "--yes"];
    kill_at(&env, &cfg, "after-journal", &order);
    // Journaled, never sent.
    let state: String = env
        .conn()
        .query_row("SELECT state FROM orders", [], |r| r.get(0))
        .unwrap();
    assert_eq!(state, "submitting");
    let sent = || {
        fake.seen
            .lock()
            .unwrap()
            .placed
            .iter()
            .filter(|p| !p.5)
            .count()
    };
    assert_eq!(sent(), 0);
    // Restarted later: the reconcile finds no trace of it at the broker and says so; it sends
    // nothing by itself.
    env.conn()
        .execute("UPDATE orders SET updated = '2020-01-01T00:00:00.000Z'", [])
        .unwrap();
    env.run(&["--config", &cfg, "orders", "--sync"]).ok();
    let o = env.run(&["--config", &cfg, "orders", "--json"]).json();
    assert_eq!(o["orders"][0]["state"], "lost", "{o}");
    assert_eq!(sent(), 0, "nothing resent");
    // The user places it again: exactly one order at the broker, one transaction with its
    // commission.
    save_quote(&env, "VTI", "99.90", "100.10");
    let placed = env
        .run(&[
            "--config", &cfg, "order", "buy", "VTI", "5", "--limit", "100.50", "--yes", "--json",
        ])
        .ok()
        .json();
    assert_eq!(placed["order"]["state"], "filled", "{placed}");
    assert_eq!(sent(), 1);
    assert_eq!(fills_and_fees(&env), vec![("5".into(), "1".into())]);
}

#[test]
fn killed_between_a_fill_and_its_commission_the_restart_books_it_once_with_the_commission() {
    let fake = fake(Script {
        commission: Some(1.35),
        ..Script::default()
    });
    let env = env();
    let cfg = ibkr_config(&env, fake.addr.port());
    save_quote(&env, "VTI", "99.90", "100.10");
    // A marketable limit: `folio order` waits for its fill, and dies right after booking it.
    kill_at(
        &env,
        &cfg,
        "after-execution",
        &["order", "buy", "VTI", "5", "--limit", "100.50", "--yes"],
    );
    assert_eq!(
        fills_and_fees(&env),
        vec![("5".into(), "0".into())],
        "booked, commission not yet"
    );
    env.run(&["--config", &cfg, "orders", "--sync"]).ok();
    assert_eq!(
        fake.seen
            .lock()
            .unwrap()
            .placed
            .iter()
            .filter(|p| !p.5)
            .count(),
        1
    );
    assert_eq!(fills_and_fees(&env), vec![("5".into(), "1.35".into())]);
    let o = env.run(&["--config", &cfg, "orders", "--json"]).json();
    assert_eq!(o["orders"][0]["state"], "filled", "{o}");
    assert_eq!(o["orders"][0]["commission"], "1.35", "{o}");
}

// The paper broker through the real binary.

fn paper(env: &Env, args: &[&str]) -> crate::common::Run {
    env.run(args)
}

#[test]
fn bad_fields_are_refused_at_the_field_and_nothing_is_journaled() {
    let env = env();
    save_quote(&env, "VTI", "99.90", "100.10");
    for (args, says) in [
        (
            vec!["order", "buy", "VTI", "0"],
            "quantity 0: use a number of shares greater than 0",
        ),
        (vec!["order", "buy", "VTI", "-5"], "quantity -5"),
        (
            vec!["order", "buy", "VTI", "10.5"],
            "orders are for whole shares",
        ),
        (
            vec!["order", "buy", "VTI", "10", "--limit", "0"],
            "limit 0: use a price greater than 0",
        ),
        (vec!["order", "buy", "ZZZZ", "10"], "unknown symbol ZZZZ"),
        (
            vec!["order", "buy", "VTI", "10", "--stop", "90"],
            "a buy stop must be above the market",
        ),
        (
            vec!["order", "sell", "VTI", "10", "--stop-limit", "90"],
            "--stop",
        ),
        (
            vec!["order", "buy", "VTI", "10", "--lots", "hifo"],
            "lots are for choosing what a sale relieves",
        ),
        (
            vec!["order", "sell", "VXUS", "10", "--lots", "March"],
            "use fifo, lifo, hifo or acquisition dates",
        ),
        (
            vec!["order", "buy", "VTI", "10", "--yes", "--tif", "week"],
            "week",
        ),
    ] {
        paper(&env, &args).refused(says);
    }
    assert_eq!(env.count("orders"), 0);
}

#[test]
fn without_yes_and_without_a_terminal_nothing_is_sent_and_a_dry_run_sends_nothing() {
    let env = env();
    save_quote(&env, "VXUS", "60.50", "60.70");
    paper(&env, &["order", "sell", "VXUS", "100", "--limit", "60.50"]).refused("pass --yes");
    let t = paper(
        &env,
        &[
            "order",
            "sell",
            "VXUS",
            "100",
            "--lots",
            "2024-06-03",
            "--limit",
            "60.50",
            "--dry-run",
            "--json",
        ],
    )
    .ok()
    .json();
    assert_eq!(t["ready"], true, "{t}");
    assert_eq!(t["notional"], "6050.00");
    assert_eq!(t["commission"], "1.00");
    // The tax consequences are `folio tax preview`'s: the 2024-06-03 lot, at a loss.
    let tax = &t["tax"];
    assert_eq!(tax["method"], "specific");
    assert_eq!(tax["lots"][0]["acquired"], "2024-06-03", "{tax}");
    assert_eq!(tax["long_term_gain"], "-350.00", "{tax}");
    let preview = paper(
        &env,
        &[
            "tax",
            "preview",
            "sell",
            "VXUS",
            "100",
            "--lots",
            "2024-06-03",
            "--price",
            "60.50",
            "--json",
        ],
    )
    .ok()
    .json();
    assert_eq!(preview["long_term_gain"], tax["long_term_gain"]);
    assert_eq!(env.count("orders"), 0);
}

#[test]
fn a_paper_limit_rests_then_fills_at_its_limit_and_the_lots_follow() {
    let env = env();
    save_quote(&env, "VXUS", "60.50", "60.70");
    let placed = paper(
        &env,
        &[
            "order",
            "sell",
            "VXUS",
            "100",
            "--lots",
            "2024-06-03",
            "--limit",
            "61",
            "--outside-rth",
            "--tif",
            "gtc",
            "--yes",
            "--json",
        ],
    )
    .ok()
    .json();
    assert_eq!(placed["order"]["state"], "working", "{placed}");
    let id = placed["order"]["id"].as_i64().unwrap();
    let open = paper(&env, &["orders", "--open", "--json"]).ok().json();
    assert_eq!(open["orders"].as_array().unwrap().len(), 1);
    // The bid reaches the limit: the resting sale fills at its limit, not the better bid.
    save_quote(&env, "VXUS", "61.20", "61.40");
    paper(&env, &["orders", "--sync"]).ok();
    let o = paper(&env, &["orders", "--json"]).ok().json();
    assert_eq!(o["orders"][0]["state"], "filled", "{o}");
    assert_eq!(o["orders"][0]["avg_price"], "61");
    let fills = paper(&env, &["fills", "--json"]).ok().json();
    let f = &fills["fills"][0];
    assert_eq!(
        (
            f["order"].as_i64(),
            f["price"].as_str(),
            f["commission"].as_str()
        ),
        (Some(id), Some("61"), Some("1"))
    );
    assert!(f["transaction"].as_i64().is_some(), "{f}");
    // The named lot was sold; the other remains; the loss (less commission) is realized.
    let lots = paper(&env, &["lots", "--json"]).ok().json();
    let vxus: Vec<&str> = lots["lots"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["symbol"] == "VXUS")
        .map(|l| l["acquired"].as_str().unwrap())
        .collect();
    assert_eq!(vxus, vec!["2024-03-01"]);
    let realized = paper(&env, &["realized", "--json"]).ok().json();
    assert_eq!(realized["disposals"][0]["gain"], "-301", "{realized}");
    assert_eq!(realized["disposals"][0]["acquired"], "2024-06-03");
    // A filled order cannot be cancelled.
    paper(&env, &["cancel", &id.to_string()]).refused("cannot be cancelled");
}

#[test]
fn a_working_paper_order_is_cancelled() {
    let env = env();
    save_quote(&env, "VTI", "99.90", "100.10");
    let placed = paper(
        &env,
        &[
            "order",
            "buy",
            "VTI",
            "5",
            "--limit",
            "99",
            "--outside-rth",
            "--yes",
            "--json",
        ],
    )
    .ok()
    .json();
    let id = placed["order"]["id"].as_i64().unwrap().to_string();
    let c = paper(&env, &["cancel", &id, "--json"]).ok().json();
    assert_eq!(c["state"], "cancelled", "{c}");
    paper(&env, &["cancel", &id]).refused("is cancelled and cannot be cancelled");
    paper(&env, &["cancel", "999"]).refused("there is no order 999");
    assert_eq!(env.count("executions"), 0);
}

#[test]
fn pre_trade_checks_refuse_with_what_to_change() {
    let env = env();
    save_quote(&env, "VTI", "99.90", "100.10");
    save_quote(&env, "VXUS", "60.50", "60.70");
    for (args, says) in [
        (
            vec!["order", "sell", "VXUS", "300", "--limit", "60.5", "--yes"],
            "sell at most 200",
        ),
        (
            vec![
                "order",
                "sell",
                "AAPL",
                "1",
                "--account",
                "Taxable",
                "--limit",
                "200",
                "--yes",
            ],
            "folio does not sell short",
        ),
        (
            vec![
                "order",
                "buy",
                "VTI",
                "10",
                "--account",
                "IRA",
                "--limit",
                "100",
                "--yes",
            ],
            "an IRA cannot borrow",
        ),
        (
            vec!["order", "buy", "VTI", "300", "--limit", "100", "--yes"],
            "above [broker] max_order_value 25,000.00",
        ),
        (
            vec!["order", "buy", "VTI", "10", "--limit", "90", "--yes"],
            "the band is 5%",
        ),
        (
            vec![
                "order",
                "sell",
                "VXUS",
                "50",
                "--lots",
                "2019-01-01",
                "--limit",
                "60.5",
                "--yes",
            ],
            "the ledger could not book this trade",
        ),
    ] {
        paper(&env, &args).refused(says);
    }
    assert_eq!(env.count("orders"), 0);
    // The same order twice within a minute: the second is refused unless asked for.
    let once = [
        "order",
        "buy",
        "VTI",
        "5",
        "--limit",
        "99",
        "--outside-rth",
        "--yes",
    ];
    paper(&env, &once).ok();
    paper(&env, &once).refused("--allow-duplicate");
    let mut again = once.to_vec();
    again.push("--allow-duplicate");
    paper(&env, &again).ok();
    assert_eq!(env.count("orders"), 2);
    // A quote older than [broker] max_quote_age_secs places nothing.
    env.conn()
        .execute("UPDATE quotes SET time = '2020-01-01T00:00:00.000Z'", [])
        .unwrap();
    paper(
        &env,
        &["order", "buy", "VTI", "1", "--limit", "99", "--yes"],
    )
    .refused("wait for a fresh quote");
}

#[test]
fn on_the_demo_a_market_order_fills_at_the_ask_with_ibkr_fixed_commission() {
    let env = Env::new();
    let out = env
        .run(&["--demo", "order", "buy", "VTI", "10", "--yes", "--json"])
        .ok()
        .json();
    assert_eq!(out["order"]["state"], "filled", "{out}");
    let fill = &out["fills"][0];
    // The demo's simulated quote is seeded: the ticket of the same order shows the ask the
    // market order pays.
    let ticket = env
        .run(&["--demo", "order", "buy", "VTI", "10", "--dry-run", "--json"])
        .ok()
        .json();
    assert_eq!(
        fill["price"]
            .as_str()
            .map(|p| p.parse::<Decimal>().unwrap()),
        ticket["quote"]["ask"]
            .as_str()
            .map(|p| p.parse::<Decimal>().unwrap()),
        "{fill} {ticket}"
    );
    assert_eq!(fill["commission"], "1");
    assert!(
        fill["exec_id"].as_str().unwrap().starts_with("P1.1"),
        "{fill}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_of_trades_folio_placed_adds_them_no_second_time() {
    let (fake, env, s) = gateway(Script {
        fill_price: Some(100.0),
        ..Script::default()
    });
    let (desk, _) = buy_vti(&s, dec!(10)).await;
    settle(&s, &desk).await;
    assert_eq!(ledger_trades(&env).len(), 1);
    let exec = fake.book.lock().unwrap().executions[0]
        .1
        .exec_id
        .clone()
        .unwrap();
    // The same fill in an IBKR Flex statement (ClientAccountID and IBExecID name it), beside a
    // trade folio did not place.
    let day = chrono::Local::now().format("%Y%m%d").to_string();
    let header = "\"ClientAccountID\",\"CurrencyPrimary\",\"AssetClass\",\"Symbol\",\"Description\",\"DateTime\",\"TradeDate\",\"TransactionType\",\"Quantity\",\"TradePrice\",\"Proceeds\",\"IBCommission\",\"IBCommissionCurrency\",\"Buy/Sell\",\"TransactionID\",\"IBExecID\",\"LevelOfDetail\"";
    let row = |qty: &str, txid: &str, exec: &str| {
        format!(
            "\"DU1234567\",\"USD\",\"STK\",\"VTI\",\"VANGUARD TOTAL STOCK MKT ETF\",\"{day};101126\",\"{day}\",\"ExchTrade\",\"{qty}\",\"100\",\"-{qty}00\",\"-1\",\"USD\",\"BUY\",\"{txid}\",\"{exec}\",\"EXECUTION\""
        )
    };
    let csv = format!(
        "{header}\n{}\n{}\n",
        row("10", "900001", &exec),
        row("3", "900002", "0000ffff.6500aaaa.01.01")
    );
    let file = env.write("flex.csv", &csv);
    let r = env
        .run(&[
            "import",
            file.to_str().unwrap(),
            "--format",
            "ibkr-flex",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(
        (r["added"].as_i64(), r["already_present"].as_i64()),
        (Some(1), Some(1)),
        "{r}"
    );
    let conn = env.conn();
    let vti: i64 = conn
        .query_row("SELECT COUNT(*) FROM transactions WHERE symbol = 'VTI' AND action = 'BUY' AND date >= '2025-01-01'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(vti, 2, "folio's fill once, the other trade once");
}

#[test]
fn a_live_order_from_the_command_line_is_priced_on_ibkrs_quote_and_needs_its_confirmation_typed() {
    let mut script = Script {
        account: Some("U7654321".into()),
        ..Script::default()
    };
    script.answers.insert(
        "VTI".into(),
        crate::fake_tws::Answer::Ticks {
            prices: vec![(1, 99.9), (2, 100.1), (4, 100.0)],
            sizes: vec![],
            delayed: false,
            stream: false,
        },
    );
    let fake = fake(script);
    let env = env();
    let cfg = env
        .write(
            "config.toml",
            &format!(
                "[ibkr]\nport = {}\nconnect_timeout_secs = 3\n[broker]\ndefault = \"ibkr\"\nlive = true\naccounts = [\"U7654321\"]\nack_timeout_secs = 3\n",
                fake.addr.port()
            ),
        )
        .to_str()
        .unwrap()
        .to_string();
    let order = [
        "--config", &cfg, "order", "buy", "VTI", "3", "--limit", "100.20",
    ];
    let with = |extra: &[&str]| {
        let mut a = order.to_vec();
        a.extend_from_slice(extra);
        env.run(&a)
    };
    // --yes is not enough for real money.
    with(&["--yes"]).refused("pass --confirm 'BUY 3 VTI'");
    with(&["--confirm", "BUY 30 VTI"]).refused("typed exactly: BUY 3 VTI");
    assert_eq!(env.count("orders"), 0);
    let t = with(&["--dry-run", "--json"]).ok().json();
    assert_eq!(t["live"], true);
    assert_eq!(t["quote"]["source"], "ibkr", "{t}");
    assert_eq!(t["quote"]["ask"], "100.1");
    assert_eq!(
        t["broker_preview"]["init_margin_change"], "1234.5",
        "IBKR's what-if: {t}"
    );
    let placed = with(&["--confirm", "BUY 3 VTI", "--json"]).ok().json();
    assert_eq!(placed["order"]["live"], true);
    assert_eq!(placed["order"]["state"], "filled", "{placed}");
    assert_eq!(
        fake.seen
            .lock()
            .unwrap()
            .placed
            .iter()
            .filter(|p| !p.5)
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cockpits_kept_connection_applies_what_the_gateway_reports_and_reconciles_after_1101() {
    let (fake, env, s) = gateway(Script {
        fill: Fill::Rest,
        ..Script::default()
    });
    let desks = orders::Desks::default();
    let desk = desks.ibkr(&s, None).await.unwrap();
    let t = vti_ticket(&s, dec!(4));
    let o = orders::place(&s, &desk, &t, &Confirmation::Yes)
        .await
        .unwrap()
        .order;
    assert_eq!(o.state, OrderState::Working);
    // A fill the gateway sends on the open connection: the next look applies it.
    fake.fill(o.broker_order_id.unwrap() as i32, 4, 99.5);
    let mut changed = false;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        changed |= desks.sync(&s).await.unwrap();
        if ledger_trades(&env).len() == 1 {
            break;
        }
    }
    assert!(changed);
    assert_eq!(
        ledger_trades(&env),
        vec![("BUY".into(), "4".into(), "99.5".into(), "1".into())]
    );
    let connections = fake.seen.lock().unwrap().client_ids.len();
    // The same connection serves the next order.
    let again = desks.ibkr(&s, None).await.unwrap();
    assert_eq!(again.client_id, desk.client_id);
    assert_eq!(
        fake.seen.lock().unwrap().client_ids.len(),
        connections,
        "no new connection"
    );
    // A second order fills while the gateway's own link is down; 1101 (restored, data lost)
    // makes the next look reconcile, which finds the fill.
    let t = vti_ticket(&s, dec!(6));
    let o2 = orders::place(&s, &desk, &t, &Confirmation::Yes)
        .await
        .unwrap()
        .order;
    fake.fill_unheard(o2.broker_order_id.unwrap() as i32, 6, 99.0);
    fake.notice(
        1101,
        "Connectivity between IB and Trader Workstation has been restored - data lost.",
    );
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        desks.sync(&s).await.unwrap();
        if ledger_trades(&env).len() == 2 {
            break;
        }
    }
    assert_eq!(ledger_trades(&env).len(), 2, "{}", events(&env));
}
