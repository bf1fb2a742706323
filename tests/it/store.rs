//! The database file: private, WAL, foreign keys, migrated from empty, and refusing what it
//! cannot read.

use std::os::unix::fs::PermissionsExt;

use crate::common::{Env, SAMPLE};

#[test]
fn the_database_is_private_and_in_wal_mode() {
    let env = Env::new();
    env.import("s.csv", SAMPLE, &[]).ok();
    let mode = std::fs::metadata(env.db()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let conn = env.conn();
    let journal: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 6);
    // Transactions reference accounts: a dangling reference is refused.
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    let err = conn.execute("INSERT INTO transactions (uid, account_id, date, action, currency) VALUES ('x', 999, '2024-01-01', 'FEE', 'USD')", []);
    assert!(err.is_err());
}

#[test]
fn money_is_stored_as_exact_text() {
    let env = Env::new();
    env.import(
        "s.csv",
        "date,account,action,amount\n2024-01-02,A,DEPOSIT,0.1\n2024-01-02,A,DEPOSIT,0.2\n",
        &[],
    )
    .ok();
    let kinds: Vec<String> = env
        .conn()
        .prepare("SELECT typeof(amount) FROM transactions")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(kinds, vec!["text", "text"]);
    let c = env.run(&["cash", "--json"]).json();
    assert_eq!(c["balances"][0]["balance"], "0.3");
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_left_alone() {
    let env = Env::new();
    std::fs::write(env.db(), "these are my notes, not a database\n".repeat(100)).unwrap();
    let r = env.run(&["holdings"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("is not a folio database"), "{}", r.stderr);
    assert!(
        std::fs::read_to_string(env.db())
            .unwrap()
            .starts_with("these are my notes")
    );
}

#[test]
fn a_database_from_a_newer_folio_is_refused() {
    let env = Env::new();
    env.create_db();
    env.conn().pragma_update(None, "user_version", 99).unwrap();
    let r = env.run(&["accounts"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("was written by a newer version of folio"),
        "{}",
        r.stderr
    );
}

#[test]
fn quotes_round_trip_and_a_simulated_quote_never_replaces_a_market_one() {
    use folio::domain::{Freshness, Quote, QuoteSource};
    use rust_decimal_macros::dec;
    let env = Env::new();
    let mut store = folio::store::Store::open(&env.db()).unwrap();
    let quote = |symbol: &str, last, source| Quote {
        symbol: symbol.into(),
        last,
        bid: Some(last - dec!(0.01)),
        ask: None,
        prev_close: Some(dec!(100)),
        volume: Some(dec!(1200)),
        time: "2026-11-20T15:00:01.250Z".parse().unwrap(),
        source,
        freshness: Freshness::Delayed,
    };
    let save = |store: &mut folio::store::Store, q: Vec<Quote>| {
        store
            .write(|w| w.upsert_quotes(&q).map_err(anyhow::Error::from))
            .unwrap();
    };
    save(
        &mut store,
        vec![
            quote("VTI", dec!(101.25), QuoteSource::Ibkr),
            quote("BND", dec!(72.10), QuoteSource::Simulated),
        ],
    );
    assert_eq!(
        store.quotes().unwrap(),
        [
            quote("BND", dec!(72.10), QuoteSource::Simulated),
            quote("VTI", dec!(101.25), QuoteSource::Ibkr),
        ]
    );
    // Simulated over market: kept as it was; market over simulated and simulated over
    // simulated: replaced.
    save(
        &mut store,
        vec![
            quote("VTI", dec!(99), QuoteSource::Simulated),
            quote("BND", dec!(72.30), QuoteSource::Simulated),
        ],
    );
    save(
        &mut store,
        vec![quote("VTI", dec!(101.50), QuoteSource::Http)],
    );
    let got: Vec<(String, rust_decimal::Decimal, QuoteSource)> = store
        .quotes()
        .unwrap()
        .into_iter()
        .map(|q| (q.symbol, q.last, q.source))
        .collect();
    assert_eq!(
        got,
        [
            ("BND".to_string(), dec!(72.30), QuoteSource::Simulated),
            ("VTI".to_string(), dec!(101.50), QuoteSource::Http),
        ]
    );
}

/// Runs folio as a user who cannot write to `dir`: as root, the nobody user (root writes
/// anywhere); otherwise the current user, with the permissions taken away.
fn run_without_write_access(dir: &std::path::Path, args: &[&str]) -> crate::common::Run {
    use std::os::unix::fs::PermissionsExt;
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o444)).unwrap();
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let mut c = if root {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_folio"));
        c
    } else {
        std::process::Command::new(env!("CARGO_BIN_EXE_folio"))
    };
    let out = c
        .env("HOME", "/nonexistent")
        .env_remove("FOLIO_DB")
        .env_remove("FOLIO_CONFIG")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .args(args)
        .output()
        .unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    out.into()
}

#[test]
fn a_database_in_a_read_only_directory_can_be_read() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let dir = env.path("shared");
    std::fs::create_dir(&dir).unwrap();
    // Others must reach the directory (the temp dir is private).
    std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let db = dir.join("folio.db");
    let db_arg = db.to_str().unwrap();
    let csv = env.write("sample.csv", crate::common::SAMPLE);
    env.command()
        .args(["--db", db_arg, "import", csv.to_str().unwrap()])
        .output()
        .unwrap();
    let expected = env
        .command()
        .args([
            "--db",
            db_arg,
            "holdings",
            "--as-of",
            "2024-06-30",
            "--json",
        ])
        .output()
        .unwrap();
    let before = crate::common::snapshot(&db);
    let r = run_without_write_access(
        &dir,
        &[
            "--db",
            db_arg,
            "holdings",
            "--as-of",
            "2024-06-30",
            "--json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, String::from_utf8_lossy(&expected.stdout));
    // A write says why it cannot be made, once, and what to do; nothing changes.
    let r = run_without_write_access(&dir, &["--db", db_arg, "accounts", "set", "New"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stderr.matches("read-only").count(),
        1,
        "the cause once: {}",
        r.stderr
    );
    assert!(r.stderr.contains("check their permissions"), "{}", r.stderr);
    assert_eq!(crate::common::snapshot(&db), before);
}

#[test]
fn a_read_command_on_a_missing_database_creates_nothing() {
    let env = Env::new();
    let db = env.path("typo/folio.db");
    for args in [
        vec!["holdings"],
        vec!["accounts"],
        vec!["risk"],
        vec!["transactions", "--json"],
        vec!["import", "x.csv", "--dry-run"],
    ] {
        let mut all = vec!["--db", db.to_str().unwrap()];
        all.extend(&args);
        let r: crate::common::Run = env.command().args(&all).output().unwrap().into();
        if args[0] == "import" {
            // A dry run reads the file first: the missing file is the problem.
            assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        } else {
            assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
            assert!(
                r.stderr
                    .contains(&format!("there is no database at {}", db.display())),
                "{args:?}: {}",
                r.stderr
            );
        }
        assert!(!env.path("typo").exists(), "{args:?} created nothing");
    }
}

/// The session keeps the replayed ledger until the transactions, accounts or prices change:
/// saved quotes leave it, another process's import and the session's own account change do not.
#[test]
fn the_session_replays_the_ledger_only_when_its_contents_change() {
    use folio::app::{self, Access, Clock, Options, Session};
    use std::sync::Arc;

    let env = Env::new();
    env.import("sample.csv", SAMPLE, &[]).ok();
    let s = Session::new(Options {
        db_path: env.db(),
        access: Access::Write,
        config: folio::config::Config::default(),
        clock: Clock::Fixed(chrono::NaiveDate::from_ymd_opt(2024, 7, 2).unwrap()),
        data_dir: None,
    });
    let first = s.ledger().unwrap();
    assert_eq!(first.transactions.len(), 9);
    assert!(
        Arc::ptr_eq(&first, &s.ledger().unwrap()),
        "asked twice, replayed once"
    );

    let quote = folio::domain::quote::Quote {
        symbol: "VTI".into(),
        last: rust_decimal::Decimal::new(25_150, 2),
        bid: None,
        ask: None,
        prev_close: None,
        volume: None,
        time: chrono::Utc::now(),
        source: folio::domain::quote::QuoteSource::Simulated,
        freshness: folio::domain::quote::Freshness::Live,
    };
    app::quotes::save(&s, &[quote]).unwrap();
    assert!(
        Arc::ptr_eq(&first, &s.ledger().unwrap()),
        "a saved quote changes no transaction"
    );

    // Another process imports one more deposit.
    env.import(
        "more.csv",
        "date,account,action,amount\n2024-07-01,Brokerage,DEPOSIT,100\n",
        &[],
    )
    .ok();
    let second = s.ledger().unwrap();
    assert!(
        !Arc::ptr_eq(&first, &second),
        "another process's import is seen"
    );
    assert_eq!(second.transactions.len(), 10);
    assert!(Arc::ptr_eq(&second, &s.ledger().unwrap()));

    // The session's own change of an account's kind.
    app::accounts::set_account(
        &s,
        &app::accounts::SetAccountParams {
            name: "Brokerage".into(),
            kind: Some(folio::domain::AccountKind::Ira),
            lot_method: None,
        },
    )
    .unwrap();
    let third = s.ledger().unwrap();
    assert!(!Arc::ptr_eq(&second, &third), "its own write is seen");
    let brokerage = third
        .accounts
        .iter()
        .find(|a| a.name == "Brokerage")
        .unwrap();
    assert_eq!(brokerage.kind, folio::domain::AccountKind::Ira);
}
