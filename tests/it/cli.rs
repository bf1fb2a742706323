//! The CLI on temp databases: each command's output checked against hand-computed figures.

use crate::common::{Env, SAMPLE, SAMPLE_PRICES, dec, s};

/// The sample imported, with closes up to 2024-07-01.
fn sample() -> Env {
    let env = Env::new();
    env.import("sample.csv", SAMPLE, &[]).ok();
    let p = env.write("closes.csv", SAMPLE_PRICES);
    env.run(&["prices", "import", p.to_str().unwrap()]).ok();
    env
}

#[test]
fn holdings_json_values_every_position() {
    let env = sample();
    let v = env
        .run(&["holdings", "--as-of", "2024-06-30", "--json"])
        .json();
    assert_eq!(s(&v, "as_of"), "2024-06-30");
    let h = v["holdings"].as_array().unwrap();
    assert_eq!(h.len(), 2);
    // Roth AAPL: 20 @ 170, then 4:1 -> 80 shares, basis 3400; close 50 -> 4000.
    let aapl = &h[1];
    assert_eq!((s(aapl, "account"), s(aapl, "symbol")), ("Roth", "AAPL"));
    assert_eq!(dec(aapl, "quantity"), "80");
    assert_eq!(dec(aapl, "cost_basis"), "3400");
    assert_eq!(dec(aapl, "market_value"), "4000");
    assert_eq!(dec(aapl, "unrealized_gain"), "600");
    assert_eq!(dec(aapl, "unrealized_gain_pct"), "17.65");
    assert_eq!(s(aapl, "price_date"), "2024-06-28");
    // Brokerage VTI: 2 left of lot 1 (400.2) + lot 2 (1101) + reinvested 0.04 (9.5).
    let vti = &h[0];
    assert_eq!(dec(vti, "quantity"), "7.04");
    assert_eq!(dec(vti, "cost_basis"), "1510.7");
    assert_eq!(dec(vti, "price"), "250");
    assert_eq!(dec(vti, "market_value"), "1760");
    assert_eq!(dec(vti, "unrealized_gain"), "249.3");
    assert_eq!(dec(vti, "weight_pct"), "30.56");
    assert_eq!(s(vti, "currency"), "USD");
    let t = &v["totals"][0];
    assert_eq!(
        (
            dec(t, "market_value"),
            dec(t, "cost_basis"),
            dec(t, "unrealized_gain")
        ),
        ("5760".into(), "4910.7".into(), "849.3".into())
    );
}

#[test]
fn holdings_as_of_an_earlier_day_and_for_one_account() {
    let env = sample();
    let v = env
        .run(&["holdings", "--as-of", "2024-02-15", "--json"])
        .json();
    let h = &v["holdings"][0];
    assert_eq!(v["holdings"].as_array().unwrap().len(), 1);
    assert_eq!(
        (dec(h, "quantity"), dec(h, "cost_basis")),
        ("15".into(), "3102".into())
    );
    assert!(
        h["market_value"].is_null(),
        "no close before 2024-06-27: {h}"
    );
    let v = env
        .run(&[
            "holdings",
            "--account",
            "roth",
            "--as-of",
            "2024-07-01",
            "--json",
        ])
        .json();
    let h = v["holdings"].as_array().unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(
        (s(&h[0], "symbol"), dec(&h[0], "weight_pct")),
        ("AAPL", "100".into())
    );
    let table = env.run(&["holdings", "--as-of", "2024-06-30"]);
    assert!(table.ok().stdout.contains("1,760.00"), "{}", table.stdout);
}

#[test]
fn lots_show_basis_term_and_days_to_long_term() {
    let env = sample();
    let v = env
        .run(&["lots", "vti", "--as-of", "2024-06-30", "--json"])
        .json();
    let lots = v["lots"].as_array().unwrap();
    let got: Vec<(String, String, String)> = lots
        .iter()
        .map(|l| {
            (
                s(l, "acquired").to_string(),
                dec(l, "quantity"),
                dec(l, "cost_basis"),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("2024-01-03".into(), "2".into(), "400.2".into()),
            ("2024-02-01".into(), "5".into(), "1101".into()),
            ("2024-03-28".into(), "0.04".into(), "9.5".into()),
        ]
    );
    assert_eq!(s(&lots[0], "term"), "short");
    assert_eq!(s(&lots[0], "long_term_on"), "2025-01-04");
    assert_eq!(lots[0]["days_to_long_term"], 188);
    assert_eq!(dec(&lots[0], "market_value"), "500");
    let later = env
        .run(&["lots", "VTI", "--as-of", "2025-01-04", "--json"])
        .json();
    assert_eq!(s(&later["lots"][0], "term"), "long");
    assert_eq!(later["lots"][0]["days_to_long_term"], 0);
}

#[test]
fn realized_lists_closed_lots_with_term_and_totals() {
    let env = sample();
    let v = env.run(&["realized", "--year", "2024", "--json"]).json();
    let d = &v["disposals"][0];
    assert_eq!(v["disposals"].as_array().unwrap().len(), 1);
    assert_eq!(
        (s(d, "acquired"), s(d, "sold"), s(d, "term")),
        ("2024-01-03", "2024-03-01", "short")
    );
    // 8 of lot 1: basis 2001 x 8/10 = 1600.8; proceeds 8 x 230 - 2 = 1838.
    assert_eq!(
        (
            dec(d, "quantity"),
            dec(d, "proceeds"),
            dec(d, "cost_basis"),
            dec(d, "gain")
        ),
        ("8".into(), "1838".into(), "1600.8".into(), "237.2".into())
    );
    let t = &v["totals"][0];
    assert_eq!(
        (
            dec(t, "short_term_gain"),
            dec(t, "long_term_gain"),
            dec(t, "total_gain")
        ),
        ("237.2".into(), "0".into(), "237.2".into())
    );
    let none = env.run(&["realized", "--year", "2023", "--json"]).json();
    assert_eq!(none["disposals"].as_array().unwrap().len(), 0);
}

#[test]
fn cash_follows_every_transaction() {
    let env = sample();
    let v = env.run(&["cash", "--json"]).json();
    let b: Vec<(String, String, String)> = v["balances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                s(b, "account").into(),
                s(b, "currency").into(),
                dec(b, "balance"),
            )
        })
        .collect();
    // Brokerage: 10000 - 2001 - 1101 + 1838 - 5; Roth: 6500 - 3400.
    assert_eq!(
        b,
        vec![
            ("Brokerage".into(), "USD".into(), "8731".into()),
            ("Roth".into(), "USD".into(), "3100".into())
        ]
    );
}

#[test]
fn transactions_filter_and_list_newest_first() {
    let env = sample();
    let v = env
        .run(&["transactions", "--symbol", "VTI", "--json"])
        .json();
    let actions: Vec<&str> = v["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| s(t, "action"))
        .collect();
    assert_eq!(actions, vec!["REINVEST", "SELL", "BUY", "BUY"]);
    let v = env
        .run(&[
            "transactions",
            "--account",
            "Roth",
            "--action",
            "split",
            "--json",
        ])
        .json();
    let t = &v["transactions"][0];
    assert_eq!(
        (s(t, "date"), dec(t, "quantity"), s(t, "note")),
        ("2024-06-10", "4".into(), "4-for-1 split")
    );
    let v = env
        .run(&[
            "transactions",
            "--from",
            "2024-04-01",
            "--to",
            "2024-04-02",
            "--json",
        ])
        .json();
    assert_eq!(v["transactions"].as_array().unwrap().len(), 2);
    let bad = env.run(&["transactions", "--action", "bye"]);
    bad.refused("unknown action 'bye'");
}

#[test]
fn importing_the_same_file_twice_adds_nothing() {
    let env = sample();
    let before = env.snapshot();
    let again = env.import("sample.csv", SAMPLE, &["--json"]).json();
    assert_eq!(
        (again["added"].as_u64(), again["already_present"].as_u64()),
        (Some(0), Some(9))
    );
    // The imports table gains no row either: nothing was written.
    assert_eq!(env.snapshot(), before);
    assert_eq!(env.count("transactions"), 9);
}

#[test]
fn identical_rows_in_one_file_are_kept_apart() {
    let env = Env::new();
    let csv = "date,account,action,symbol,quantity,price\n2024-01-02,A,BUY,VTI,1,10\n2024-01-02,A,BUY,VTI,1,10\n";
    let v = env.import("twice.csv", csv, &["--json"]).json();
    assert_eq!(v["added"], 2);
    let v = env.import("twice.csv", csv, &["--json"]).json();
    assert_eq!(
        (v["added"].as_u64(), v["already_present"].as_u64()),
        (Some(0), Some(2))
    );
    // A later export that repeats the rows and adds one more adds only the new row.
    let more = format!("{csv}2024-01-03,A,SELL,VTI,2,11\n");
    let v = env.import("more.csv", &more, &["--json"]).json();
    assert_eq!(
        (v["added"].as_u64(), v["already_present"].as_u64()),
        (Some(1), Some(2))
    );
}

#[test]
fn dry_run_shows_what_would_be_added_and_writes_nothing() {
    let env = Env::new();
    env.create_db();
    let before = env.snapshot();
    let v = env
        .import("sample.csv", SAMPLE, &["--dry-run", "--json"])
        .json();
    assert_eq!(
        (v["dry_run"].as_bool(), v["added"].as_u64()),
        (Some(true), Some(9))
    );
    assert_eq!(v["transactions"].as_array().unwrap().len(), 9);
    assert_eq!(v["new_accounts"], serde_json::json!(["Brokerage", "Roth"]));
    assert_eq!(env.snapshot(), before);
    let human = env.import("sample.csv", SAMPLE, &["--dry-run"]);
    assert!(
        human.ok().stdout.contains("would add 9"),
        "{}",
        human.stdout
    );
}

#[test]
fn account_kind_and_lot_method_can_be_set() {
    let env = Env::new();
    env.run(&["accounts", "set", "Brokerage", "--lot-method", "hifo"])
        .ok();
    env.import("sample.csv", SAMPLE, &[]).ok();
    let out = env.run(&["accounts", "set", "Roth", "--kind", "roth"]);
    assert!(
        out.ok().stdout.contains("Roth: roth, lot method fifo"),
        "{}",
        out.stdout
    );
    let v = env.run(&["accounts", "--json"]).json();
    let a = v["accounts"].as_array().unwrap();
    assert_eq!(
        (s(&a[0], "name"), s(&a[0], "kind"), s(&a[0], "lot_method")),
        ("Brokerage", "taxable", "hifo")
    );
    assert_eq!(a[0]["transactions"], 6);
    assert_eq!((s(&a[1], "name"), s(&a[1], "kind")), ("Roth", "roth"));
    // HIFO sold the 220 lot first: 5 x (basis 1101), then 3 of the 200 lot (2001 x 3/10 = 600.3).
    let r = env.run(&["realized", "--json"]).json();
    let costs: Vec<String> = r["disposals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| dec(d, "cost_basis"))
        .collect();
    assert_eq!(costs, vec!["1101", "600.3"]);
    let bad = env.run(&["accounts", "set", "Roth", "--kind", "401k"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr
            .contains("invalid value '401k' for '--kind <KIND>'")
            && bad.stderr.contains("[possible values: taxable, ira, roth]"),
        "{}",
        bad.stderr
    );
}

#[test]
fn a_sell_can_name_its_lot() {
    let env = Env::new();
    let csv = "date,account,action,symbol,quantity,price,lot\n\
               2023-01-05,A,BUY,VTI,10,200,\n2023-06-05,A,BUY,VTI,10,180,\n2024-03-01,A,SELL,VTI,4,230,2023-06-05\n";
    env.import("lots.csv", csv, &[]).ok();
    let r = env.run(&["realized", "--json"]).json();
    let d = &r["disposals"][0];
    assert_eq!(
        (s(d, "acquired"), dec(d, "cost_basis"), s(d, "term")),
        ("2023-06-05", "720".into(), "short")
    );
}

#[test]
fn a_newest_first_file_is_applied_oldest_first() {
    let env = Env::new();
    // Brokers often list newest first; the same-day buy must come before the sell.
    let csv = "date,account,action,symbol,quantity,price\n2024-02-01,A,SELL,VTI,5,12\n2024-01-02,A,SELL,VTI,5,11\n2024-01-02,A,BUY,VTI,10,10\n";
    env.import("newest.csv", csv, &[]).ok();
    let r = env.run(&["realized", "--json"]).json();
    assert_eq!(r["disposals"].as_array().unwrap().len(), 2);
}

#[test]
fn bad_flags_and_missing_files_exit_2_with_a_message() {
    let env = sample();
    let r = env.run(&["holdings", "--as-of", "2024-13-01"]);
    r.refused("'2024-13-01' is not a date; use YYYY-MM-DD");
    let r = env.run(&["holdings", "--as-of", "1066-10-14"]);
    r.refused("use a day from 1900-01-01 to 9999-12-31");
    let r = env.run(&["holdings", "--account", "Nope"]);
    r.refused("no account named 'Nope'; the accounts are: Brokerage, Roth");
    let r = env.run(&["import", "/nonexistent/trades.csv"]);
    r.refused("cannot read /nonexistent/trades.csv");
    let r = env.run(&["frobnicate"]);
    assert_eq!(r.code, 2);
    // No command opens the cockpit, which needs a terminal: without one, a clear error.
    let r = env.run(&[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("the cockpit needs a terminal")
            && r.stderr.contains("folio holdings --json"),
        "{}",
        r.stderr
    );
    assert_eq!(
        env.run(&["--version"]).ok().stdout.trim(),
        format!("folio {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn prices_import_upserts_and_lists_coverage() {
    let env = sample();
    let v = env.run(&["prices", "--json"]).json();
    let p = v["prices"].as_array().unwrap();
    assert_eq!(
        (
            s(&p[1], "symbol"),
            s(&p[1], "first"),
            s(&p[1], "last"),
            p[1]["closes"].as_i64()
        ),
        ("VTI", "2024-06-27", "2024-07-01", Some(3))
    );
    // Re-importing a day replaces its close.
    let f = env.write(
        "fix.csv",
        "date,symbol,close,open,high,low,volume\n2024-06-28,VTI,249.5,248,251,247.2,3100000\n",
    );
    env.run(&["prices", "import", f.to_str().unwrap()]).ok();
    assert_eq!(env.count("prices"), 4);
    let h = env
        .run(&["holdings", "--as-of", "2024-06-28", "--json"])
        .json();
    assert_eq!(dec(&h["holdings"][0], "price"), "249.5");
    let bad = env.write(
        "bad.csv",
        "date,symbol,close\n2024-06-28,VTI,-1\n2024-06-29,,3\n",
    );
    let before = env.snapshot();
    let r = env.run(&["prices", "import", bad.to_str().unwrap()]);
    r.refused("bad.csv:2: close: must be greater than 0, got -1");
    assert!(
        r.stderr
            .contains("bad.csv:3: symbol: is empty but required"),
        "{}",
        r.stderr
    );
    assert_eq!(env.snapshot(), before);
}

#[test]
fn every_command_prints_a_table_on_the_sample() {
    let env = sample();
    for args in [
        &["holdings"][..],
        &["lots"],
        &["realized"],
        &["transactions"],
        &["cash"],
        &["accounts"],
        &["prices"],
    ] {
        let r = env.run(args);
        r.ok();
        assert!(r.stdout.lines().count() >= 2, "{args:?}: {}", r.stdout);
    }
}

#[test]
fn a_lot_method_that_would_break_a_stored_sale_is_refused() {
    let env = Env::new();
    let csv = "date,account,action,symbol,quantity,price,lot\n\
               2024-01-01,A,BUY,VTI,10,100,\n2024-02-01,A,BUY,VTI,10,110,\n\
               2024-03-01,A,SELL,VTI,10,120,\n2024-04-01,A,SELL,VTI,10,125,2024-02-01\n";
    env.import("lots.csv", csv, &[]).ok();
    let before = env.snapshot();
    // Under LIFO the March sale would take the February lot that the April sale names.
    let r = env.run(&["accounts", "set", "a", "--lot-method", "lifo"]);
    r.refused("A stays fifo: under lifo, the SELL of VTI on 2024-04-01 could not be applied");
    assert_eq!(env.snapshot(), before);
    // A harmless change goes through, and `set` finds the account whatever the case.
    env.run(&["accounts", "set", "a", "--kind", "ira"]).ok();
    let v = env.run(&["accounts", "--json"]).json();
    assert_eq!(v["accounts"].as_array().unwrap().len(), 1);
    assert_eq!(
        (s(&v["accounts"][0], "name"), s(&v["accounts"][0], "kind")),
        ("A", "ira")
    );
}

#[test]
fn odd_but_valid_rows_are_checked_for_sense() {
    let env = Env::new();
    let csv = "date,account,action,symbol,quantity,price,amount,currency,lot\n\
               2024-01-04,A,TRANSFER_IN,VTI,5,-10,,USD,2023-01-01\n2024-01-05,A,TRANSFER_IN,BND,5,70,,USD,2025-01-01\n";
    let r = env.import("odd.csv", csv, &[]);
    r.refused(":2: price: a cost basis cannot be negative, got -10");
    assert!(
        r.stderr
            .contains(":3: lot: the original acquisition date is after the transfer"),
        "{}",
        r.stderr
    );
    // Rows that are fine one by one but mix currencies in one holding are refused by the ledger.
    let csv = "date,account,action,symbol,quantity,price,currency\n2024-01-02,A,BUY,SAP,10,100,EUR\n2024-01-03,A,BUY,SAP,1,101,USD\n";
    let r = env.import("mixed.csv", csv, &[]);
    r.refused(":3: currency: SAP is held in EUR in A, but this row is in USD");
    assert!(!env.db().exists() || env.count("transactions") == 0);
}

#[test]
fn shell_completions_and_the_man_page_name_every_subcommand() {
    let env = Env::new();
    let subcommands = [
        "import",
        "accounts",
        "prices",
        "quotes",
        "positions",
        "doctor",
        "dashboard",
        "holdings",
        "lots",
        "realized",
        "harvest",
        "tax",
        "performance",
        "risk",
        "frontier",
        "stress",
        "targets",
        "rebalance",
        "anomalies",
        "plan",
        "transactions",
        "cash",
        "mcp",
        "completions",
        "man",
    ];
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let r = env.run(&["completions", shell]);
        r.ok();
        for s in subcommands {
            assert!(r.stdout.contains(s), "{shell} completes {s}");
        }
    }
    let man = env.run(&["man"]);
    man.ok();
    assert!(
        man.stdout.starts_with(".ie") || man.stdout.contains(".TH"),
        "roff"
    );
    for s in subcommands {
        assert!(man.stdout.contains(s), "the man page names {s}");
    }
    assert!(!env.db().exists(), "neither needs a database");
    let r = env.run(&["completions", "tcsh"]);
    assert_eq!(r.code, 2);
}

#[test]
fn the_demo_ends_on_the_last_weekday_before_today_with_the_same_numbers() {
    let env = Env::new();
    let demo = |today: &str, args: &[&str]| -> serde_json::Value {
        let mut all = vec!["--demo", "--today", today];
        all.extend_from_slice(args);
        all.push("--json");
        crate::common::Run::from(env.command().args(&all).output().unwrap()).json()
    };
    for (today, last) in [
        ("2026-11-23", "2026-11-20"),
        ("2026-12-04", "2026-12-03"),
        ("2027-03-17", "2027-03-16"),
    ] {
        let prices = demo(today, &["prices"]);
        for p in prices["prices"].as_array().unwrap() {
            assert_eq!(p["last"], last, "{today}: {p}");
        }
        // Nothing is stale on the day after the last close.
        let a = demo(today, &["anomalies"]);
        assert!(
            !a["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["check"] == "stale_quote"),
            "{today}: {a}"
        );
    }
    // The same numbers, on other dates.
    let a = demo("2026-11-23", &["holdings"]);
    let b = demo("2027-03-17", &["holdings"]);
    let values = |v: &serde_json::Value| -> Vec<(String, String)> {
        v["holdings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (s(h, "symbol").to_string(), s(h, "market_value").to_string()))
            .collect()
    };
    assert_eq!(values(&a), values(&b));
    assert_eq!(a["totals"], b["totals"]);
    // The story the demo tells survives the move: its wash sale and its harvest.
    for args in [&["realized"][..], &["harvest"][..]] {
        let (a, b) = (demo("2026-11-23", args), demo("2028-02-29", args));
        let key = if args[0] == "realized" {
            "totals"
        } else {
            "summary"
        };
        let (a, b) = (&a[key], &b[key]);
        if args[0] == "realized" {
            assert_eq!(a, b, "{args:?}");
        } else {
            assert_eq!(a["harvestable_loss"], b["harvestable_loss"]);
            assert_eq!(a["candidates"], b["candidates"]);
        }
    }
}

#[test]
fn rows_the_ledger_cannot_apply_are_warnings_in_the_report() {
    let env = sample();
    // A sale of more than is held, written past the import checks.
    env.conn()
        .execute(
            "INSERT INTO transactions (uid, account_id, date, action, symbol, quantity, price, fees, currency)
             SELECT 'x1', id, '2024-06-01', 'SELL', 'VTI', '999', '250', '0', 'USD' FROM accounts WHERE name = 'Brokerage'",
            [],
        )
        .unwrap();
    let r = env.run(&["holdings", "--json"]);
    let v = r.json();
    let w = v["warnings"].as_array().unwrap();
    assert_eq!(w.len(), 1, "{v}");
    assert!(
        w[0].as_str()
            .unwrap()
            .contains("cannot be applied and is left out"),
        "{w:?}"
    );
    assert!(
        r.stderr.is_empty(),
        "JSON carries it; stderr stays quiet: {}",
        r.stderr
    );
    let r = env.run(&["holdings"]);
    r.ok();
    assert_eq!(
        r.stderr.matches("cannot be applied").count(),
        1,
        "{}",
        r.stderr
    );
}
