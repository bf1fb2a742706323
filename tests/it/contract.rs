//! The JSON contract: every report the query layer gives, on the demo as of a fixed day, as an
//! insta snapshot of the JSON the command line prints with `--json` (the same serialisation).
//! A field that changes shows here first; the README's field lists follow these.

use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;
use folio::app::{self, Access, Clock, Session};
use folio::config::Config;
use rust_decimal_macros::dec;
use serde::Serialize;
use serde_json::Value;

use crate::common::Env;
use crate::fake_tws::{Answer, FakeTws, Script};

/// The demo's prices end on Friday 2026-11-20.
fn today() -> NaiveDate {
    "2026-11-23".parse().unwrap()
}

fn demo() -> Arc<Session> {
    static DEMO: OnceLock<Arc<Session>> = OnceLock::new();
    DEMO.get_or_init(|| {
        Arc::new(
            Session::demo(Config::default(), Clock::Fixed(today()), None, Access::Read).unwrap(),
        )
    })
    .clone()
}

/// `v` with the fields that change from run to run (or machine to machine) replaced.
fn redacted(mut v: Value, fields: &[&str]) -> Value {
    fn walk(v: &mut Value, fields: &[&str]) {
        match v {
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    if fields.contains(&k.as_str()) {
                        *x = Value::String(format!("[{k}]"));
                    } else {
                        walk(x, fields);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| walk(x, fields)),
            _ => {}
        }
    }
    walk(&mut v, fields);
    v
}

#[track_caller]
fn snapshot<R: Serialize>(name: &str, report: &R, volatile: &[&str]) {
    let v = redacted(serde_json::to_value(report).unwrap(), volatile);
    insta::assert_snapshot!(name, serde_json::to_string_pretty(&v).unwrap());
}

#[test]
fn the_ledgers_reports() {
    let s = demo();
    snapshot(
        "accounts",
        &app::accounts::accounts(&s, &Default::default()).unwrap(),
        &[],
    );
    snapshot(
        "holdings",
        &app::holdings::holdings(&s, &Default::default()).unwrap(),
        &[],
    );
    snapshot(
        "holdings_ira",
        &app::holdings::holdings(
            &s,
            &app::holdings::HoldingsParams {
                account: Some("ira".into()),
                as_of: Some("2025-06-30".parse().unwrap()),
            },
        )
        .unwrap(),
        &[],
    );
    snapshot(
        "cash",
        &app::holdings::cash(&s, &Default::default()).unwrap(),
        &[],
    );
    snapshot(
        "lots",
        &app::lots::lots(&s, &Default::default()).unwrap(),
        &[],
    );
    snapshot(
        "realized",
        &app::realized::realized(&s, &Default::default()).unwrap(),
        &[],
    );
    snapshot(
        "transactions",
        &app::transactions::transactions(
            &s,
            &app::transactions::TransactionsParams {
                limit: Some(25),
                ..Default::default()
            },
        )
        .unwrap(),
        &[],
    );
    snapshot(
        "prices",
        &app::prices::coverage(&s, &Default::default()).unwrap(),
        &[],
    );
    snapshot(
        "stored_quotes",
        &app::quotes::stored(&s, &Default::default()).unwrap(),
        &[],
    );
    snapshot(
        "dashboard",
        &app::dashboard::dashboard(&s, &Default::default()).unwrap(),
        &[],
    );
}

#[test]
fn the_tax_reports() {
    let s = demo();
    snapshot(
        "harvest",
        &app::harvest::harvest(&s, &Default::default()).unwrap(),
        &[],
    );
    snapshot(
        "tax_report_2022",
        &app::tax::report(
            &s,
            &app::tax::TaxReportParams {
                year: 2022,
                account: None,
            },
        )
        .unwrap(),
        &[],
    );
    let trade = |side, symbol: &str, quantity, date: &str| app::tax::TradeParams {
        side,
        symbol: symbol.into(),
        quantity,
        account: Some("Taxable".into()),
        lots: None,
        price: None,
        date: Some(date.parse().unwrap()),
    };
    snapshot(
        "preview_sell",
        &app::tax::preview(
            &s,
            &trade(app::tax::Side::Sell, "VWO", dec!(400), "2026-05-20"),
        )
        .unwrap(),
        &[],
    );
    snapshot(
        "preview_buy",
        &app::tax::preview(
            &s,
            &trade(app::tax::Side::Buy, "VEA", dec!(100), "2022-06-20"),
        )
        .unwrap(),
        &[],
    );
}

#[test]
fn the_analyses() {
    let s = demo();
    snapshot(
        "performance",
        &app::performance::performance(
            &s,
            &app::performance::PerformanceParams {
                from: Some("2026-01-01".parse().unwrap()),
                ..Default::default()
            },
        )
        .unwrap(),
        &[],
    );
    snapshot(
        "risk",
        &app::risk::risk(&s, &Default::default()).unwrap(),
        &[],
    );
    snapshot(
        "anomalies",
        &app::anomalies::checks(&s, None, None, false).unwrap(),
        &[],
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let plan = app::plan::Inputs {
        from_portfolio: true,
        withdrawal_rate: Some(0.04),
        paths: Some(2000),
        ..Default::default()
    };
    let report = rt
        .block_on(app::plan::run(&s, &plan, &Default::default()))
        .unwrap();
    snapshot("plan", &report, &["elapsed_ms", "threads"]);
    snapshot("plan_list", &app::plan::list(&s).unwrap(), &[]);
    snapshot(
        "stress",
        &app::stress::stress(&s, &Default::default()).unwrap(),
        &[],
    );
    snapshot(
        "frontier",
        &app::frontier::frontier(&s, &Default::default()).unwrap(),
        &[],
    );
    snapshot(
        "targets",
        &app::targets::targets(&s, &Default::default()).unwrap(),
        &[],
    );
    snapshot(
        "rebalance",
        &app::rebalance::rebalance(
            &s,
            &app::rebalance::RebalanceParams {
                cash: Some("5000".parse().unwrap()),
                max_trades: Some(6),
                ..Default::default()
            },
        )
        .unwrap(),
        &[],
    );
}

#[test]
fn the_reports_that_write_or_connect() {
    let env = Env::new();
    let rt = tokio::runtime::Runtime::new().unwrap();
    // On a copy of the demo that may be written, reading the broker from a fake gateway.
    let mut script = Script {
        positions: vec![
            ("U111".into(), "VTI".into(), "220".into(), 250.0),
            ("U111".into(), "MSFT".into(), "30".into(), 300.0),
        ],
        summary: vec![
            ("U111".into(), "NetLiquidation".into(), "260000.5".into()),
            ("U111".into(), "TotalCashValue".into(), "12000".into()),
        ],
        ..Script::default()
    };
    script.answers.insert(
        "VTI".into(),
        Answer::Ticks {
            prices: vec![(9, 385.0), (1, 385.5), (2, 385.6), (4, 385.55)],
            sizes: vec![],
            delayed: false,
            stream: false,
        },
    );
    script.history.insert(
        "VTI".into(),
        vec![("20261119".into(), 380.0), ("20261120".into(), 385.0)],
    );
    let fake = FakeTws::start(script);
    let mut config = Config::default();
    config.ibkr.port = fake.addr.port();
    config.ibkr.connect_timeout_secs = 5;
    config.ibkr.accounts.insert("U111".into(), "Taxable".into());
    let s = Session::demo(config, Clock::Fixed(today()), None, Access::Write).unwrap();
    snapshot(
        "positions",
        &rt.block_on(app::positions::positions(&s, &Default::default()))
            .unwrap(),
        &[],
    );
    let live = rt
        .block_on(app::quotes::live(
            &s,
            &app::quotes::LiveParams {
                symbols: vec!["VTI".into()],
                source: Default::default(),
                wait_secs: Some(5),
            },
        ))
        .unwrap();
    snapshot("live_quotes", &live, &["time"]);
    let fetched = rt
        .block_on(app::prices::fetch(
            &s,
            &app::prices::FetchParams {
                symbols: vec!["VTI".into(), "NOPE".into()],
                source: Default::default(),
                years: Some(1),
            },
        ))
        .unwrap();
    snapshot("fetch", &fetched, &[]);
    let file = env.write(
        "more.csv",
        "date,account,action,symbol,quantity,price,fees,amount,currency,lot,note\n2026-11-20,Taxable,DEPOSIT,,,,,1000,USD,,\n",
    );
    snapshot(
        "import_dry_run",
        &app::import::import(
            &s,
            &app::import::ImportParams {
                file: file.clone(),
                format: Default::default(),
                dry_run: true,
            },
        )
        .unwrap(),
        &["file", "uid"],
    );
    let prices = env.write("closes.csv", "date,symbol,close\n2026-11-20,ZZZ,10\n");
    snapshot(
        "prices_import",
        &app::prices::import(
            &s,
            &app::prices::ImportPricesParams {
                file: prices,
                dry_run: false,
            },
        )
        .unwrap(),
        &["file"],
    );
    let mut doctor = rt.block_on(app::doctor::doctor(&s, &Default::default()));
    // The secret stores are the machine's, not the demo's.
    doctor.checks.retain(|c| c.check != "secrets");
    snapshot("doctor", &doctor, &["detail"]);
}
