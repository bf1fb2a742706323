//! `folio performance`, `folio risk` and `folio anomalies` on hand-built portfolios: the real
//! binary, real SQLite files, every expected figure worked out in the comments.

use chrono::{Datelike, NaiveDate};

use crate::common::{Env, dec, s};

/// Account A (all figures by hand):
/// - 01-02: deposit 10,000, buy 100 X at 100. Value 10,000; d = 10,000 / (0 + 10,000) - 1 = 0.
/// - 01-03: X closes at 110: d = 11,000 / 11,000... = 11,000 / 10,000 - 1 = +10%.
/// - 01-06: deposit 1,100 at the start of the day, buy 10 X at 110: 12,100; d = 12,100 / 12,100 - 1 = 0.
/// - 01-07: X closes at 99; sell 10 at 99 and withdraw the 990 at the end of the day: value 9,900,
///   d = (9,900 + 990) / 12,100 - 1 = -10%.
///
/// TWR = 1.1 x 0.9 - 1 = -1%. Gain = 9,900 - 0 - 11,100 + 990 = -210. The sale of 10 shares of
/// the 100 lot at 99 lost 10, but the 10 bought the day before replace them (a wash sale): the
/// ledger realizes 0 and moves the 10 into their basis, so unrealized is 9,900 - 10,110 = -210.
///
/// Account B deposits 1,000 and withdraws all of it the next day.
const LEDGER: &str = "\
date,account,action,symbol,quantity,price,fees,amount,currency,lot,note
2025-01-02,A,DEPOSIT,,,,,10000,USD,,
2025-01-02,A,BUY,X,100,100,,,USD,,
2025-01-06,A,DEPOSIT,,,,,1100,USD,,
2025-01-06,A,BUY,X,10,110,,,USD,,
2025-01-07,A,SELL,X,10,99,,,USD,,
2025-01-07,A,WITHDRAWAL,,,,,990,USD,,
2025-01-02,B,DEPOSIT,,,,,1000,USD,,
2025-01-03,B,WITHDRAWAL,,,,,1000,USD,,
";

const CLOSES: &str = "\
date,symbol,close
2025-01-02,X,100
2025-01-03,X,110
2025-01-06,X,110
2025-01-07,X,99
";

fn ledger() -> Env {
    let env = Env::new();
    env.import("ledger.csv", LEDGER, &[]).ok();
    let p = env.write("closes.csv", CLOSES);
    env.run(&["prices", "import", p.to_str().unwrap()]).ok();
    env
}

fn num(v: &serde_json::Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {v}"))
}

#[test]
fn performance_links_days_around_a_deposit_and_a_withdrawal() {
    let env = ledger();
    let v = env
        .run(&[
            "performance",
            "--account",
            "a",
            "--to",
            "2025-01-07",
            "--json",
        ])
        .json();
    assert_eq!(s(&v, "from"), "2025-01-02");
    let t = &v["total"];
    assert!((num(t, "twr") + 0.01).abs() < 1e-12, "{t}");
    assert!(
        t["twr_annualised"].is_null(),
        "under a year is not annualised"
    );
    assert!(t["cagr"].is_null());
    assert_eq!(dec(t, "start_value"), "0");
    assert_eq!(dec(t, "end_value"), "9900");
    assert_eq!(dec(t, "deposits"), "11100");
    assert_eq!(dec(t, "withdrawals"), "990");
    assert_eq!(dec(t, "gain"), "-210");
    assert_eq!(dec(t, "realized_gain"), "0");
    assert_eq!(dec(t, "unrealized_gain"), "-210");
    // The money-weighted return solves its own equation: -10,000 (day 0), -1,100 (day 4),
    // +990 + 9,900 (day 5).
    let r = num(t, "xirr");
    let npv =
        -10000.0 - 1100.0 / (1.0 + r).powf(4.0 / 365.0) + 10890.0 / (1.0 + r).powf(5.0 / 365.0);
    assert!(npv.abs() < 1e-6, "xirr {r}: npv {npv}");
    // X made +10% of the day-2 base and lost 1,210 of the day-4 base of 12,100.
    let x = &v["holdings"][0];
    assert_eq!(s(x, "symbol"), "X");
    assert!(num(x, "contribution").abs() < 1e-12, "{x}");
    assert_eq!(dec(x, "gain"), "-210");
    // One account asked for: no per-account rows.
    assert_eq!(v["accounts"].as_array().unwrap().len(), 0);
}

#[test]
fn a_full_withdrawal_stops_the_return_instead_of_making_it_minus_100() {
    let env = ledger();
    let v = env
        .run(&[
            "performance",
            "--account",
            "B",
            "--to",
            "2025-01-07",
            "--json",
        ])
        .json();
    let t = &v["total"];
    assert_eq!(num(t, "twr"), 0.0);
    assert!(num(t, "idle_days") >= 1.0);
    assert!(
        t["notes"].to_string().contains("everything was withdrawn"),
        "{t}"
    );
    // The total holds both accounts, listed apart.
    let v = env
        .run(&["performance", "--to", "2025-01-07", "--json"])
        .json();
    let names: Vec<&str> = v["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| s(a, "account"))
        .collect();
    assert_eq!(names, ["A", "B"]);
    // A period with nothing in it says so rather than inventing a return.
    let v = env
        .run(&[
            "performance",
            "--from",
            "2025-03-01",
            "--to",
            "2025-03-02",
            "--json",
        ])
        .json();
    assert!(v["total"]["twr"].is_null() && v["total"]["xirr"].is_null());
    let text = env.run(&["performance", "--from", "2025-03-01", "--to", "2025-03-02"]);
    assert!(
        text.ok()
            .stdout
            .contains("no transactions or prices between")
    );
}

#[test]
fn performance_refuses_a_backward_period_and_an_unknown_account() {
    let env = ledger();
    let before = env.snapshot();
    let r = env.run(&["performance", "--from", "2025-02-01", "--to", "2025-01-01"]);
    r.refused("from 2025-02-01 is after to 2025-01-01");
    let r = env.run(&["performance", "--account", "Nope"]);
    r.refused("no account named 'Nope'");
    assert_eq!(env.snapshot(), before);
}

/// The series the risk unit tests check against NumPy, as daily closes of a held symbol (P) and
/// a benchmark (B) on 23 weekdays.
const P: [f64; 23] = [
    100.0, 101.0, 99.5, 100.2, 102.0, 101.1, 103.5, 102.8, 104.0, 99.0, 97.5, 98.8, 100.5, 101.9,
    101.0, 103.2, 104.1, 103.6, 105.0, 106.2, 105.4, 104.9, 106.8,
];
const B: [f64; 23] = [
    50.0, 50.4, 49.8, 50.1, 50.9, 50.6, 51.5, 51.2, 51.9, 49.9, 49.1, 49.7, 50.4, 51.1, 50.8, 51.6,
    52.0, 51.8, 52.5, 53.0, 52.7, 52.6, 53.3,
];

/// Account A deposits 10,000 and buys 100 P at 100 on 2025-03-03.
fn buy_p(env: &Env) {
    env.import(
        "l.csv",
        "date,account,action,symbol,quantity,price,fees,amount,currency,lot,note\n\
         2025-03-03,A,DEPOSIT,,,,,10000,USD,,\n\
         2025-03-03,A,BUY,P,100,100,,,USD,,\n",
        &[],
    )
    .ok();
}

fn weekdays(from: &str, n: usize) -> Vec<NaiveDate> {
    let mut d: NaiveDate = from.parse().unwrap();
    let mut out = Vec::new();
    while out.len() < n {
        if d.weekday().num_days_from_monday() < 5 {
            out.push(d);
        }
        d = d.succ_opt().unwrap();
    }
    out
}

fn prices_csv(series: &[(&str, &[f64])], days: &[NaiveDate]) -> String {
    let mut csv = String::from("date,symbol,close\n");
    for (symbol, closes) in series {
        for (d, c) in days.iter().zip(*closes) {
            csv.push_str(&format!("{d},{symbol},{c}\n"));
        }
    }
    csv
}

#[test]
fn risk_of_a_holding_matches_numpy_through_the_whole_stack() {
    let env = Env::new();
    let days = weekdays("2025-03-03", 23);
    buy_p(&env);
    let p = env.write("p.csv", &prices_csv(&[("P", &P), ("BENCH", &B)], &days));
    env.run(&["prices", "import", p.to_str().unwrap()]).ok();
    let to = days[22].to_string();
    let v = env
        .run(&[
            "risk",
            "--window",
            "all",
            "--benchmark",
            "bench",
            "--as-of",
            &to,
            "--json",
        ])
        .json();
    assert_eq!(s(&v, "benchmark"), "BENCH");
    let h = &v["holdings"][0];
    assert_eq!(s(h, "symbol"), "P");
    assert_eq!(num(h, "weight"), 1.0);
    let close = |key: &str, want: f64| {
        let got = num(h, key);
        assert!((got - want).abs() < 1e-9, "{key}: {got} != {want}");
    };
    close("volatility", 0.26566781560562824);
    close("sharpe", 2.818420800012044);
    close("sortino", 3.9711874803803315);
    close("beta", 1.2039610407087746);
    close("correlation", 0.9924826847634225);
    assert!((num(&h["max_drawdown"], "depth") + 0.0625).abs() < 1e-12);
    // The portfolio is all P with no cash: the same numbers.
    let p = &v["portfolio"];
    assert!(
        (num(p, "volatility") - 0.26566781560562824).abs() < 1e-9,
        "{p}"
    );
    assert_eq!(v["correlation"]["symbols"][0], "P");
}

#[test]
fn short_and_empty_histories_say_what_they_cannot_compute() {
    let env = Env::new();
    // An empty database: nothing to measure, and no panic.
    env.create_db();
    let r = env.run(&["risk"]);
    r.ok();
    assert!(r.stdout.contains("no open positions"), "{}", r.stdout);
    env.run(&["performance"]).ok();
    let r = env.run(&["anomalies"]);
    assert!(
        r.ok().stdout.contains("Nothing needs attention"),
        "{}",
        r.stdout
    );
    // Five days of one holding, and a benchmark missing two of them.
    let days = weekdays("2025-03-03", 5);
    buy_p(&env);
    let mut csv = prices_csv(&[("P", &P[..5]), ("BENCH", &B[..5])], &days);
    csv = csv
        .lines()
        .filter(|l| {
            !l.starts_with(&format!("{},BENCH", days[2]))
                && !l.starts_with(&format!("{},BENCH", days[3]))
        })
        .collect::<Vec<_>>()
        .join("\n");
    let p = env.write("p.csv", &csv);
    env.run(&["prices", "import", p.to_str().unwrap()]).ok();
    let to = days[4].to_string();
    let v = env
        .run(&["risk", "--benchmark", "BENCH", "--as-of", &to, "--json"])
        .json();
    let p = &v["portfolio"];
    assert!(p["volatility"].is_null() && p["beta"].is_null());
    assert_eq!(num(p, "benchmark_observations"), 2.0);
    let why = p["unavailable"].to_string();
    assert!(why.contains("at least 20 daily returns"), "{why}");
    let text = env.run(&["risk", "--benchmark", "BENCH", "--as-of", &to]);
    assert!(
        text.ok().stdout.contains("Note: beta and correlation need"),
        "{}",
        text.stdout
    );
    // One holding and five days: the cross-sectional checks say what they need.
    let r = env.run(&["anomalies", "--as-of", &to]);
    assert!(
        r.ok().stdout.contains("needs at least two holdings"),
        "{}",
        r.stdout
    );
    env.run(&["performance", "--to", &to]).ok();
}

#[test]
fn risk_refuses_a_bad_window_and_a_benchmark_without_prices() {
    let env = ledger();
    let r = env.run(&["risk", "--window", "5x"]);
    r.refused("'5x' is not a window");
    let r = env.run(&["risk", "--benchmark", "SPY"]);
    r.refused("no prices for it");
    // The config's benchmark without prices is a note, not an error.
    let r = env.run(&["risk", "--as-of", "2025-01-07"]);
    assert!(
        r.ok().stdout.contains("no prices for the benchmark VTI"),
        "{}",
        r.stdout
    );
    let r = env.run(&[
        "risk",
        "--benchmark",
        "none",
        "--as-of",
        "2025-01-07",
        "--json",
    ]);
    assert!(r.json()["benchmark"].is_null());
}

/// 120 weekdays of a symbol with smooth, varied returns, a -12% day near the end, and a 2-for-1
/// price drop with no SPLIT in the ledger; the account's cash goes negative.
fn anomalous() -> (Env, String) {
    let env = Env::new();
    let days = weekdays("2025-01-01", 120);
    let mut level = 100.0;
    let mut closes = Vec::new();
    for t in 0..120 {
        let r = match t {
            110 => -0.12,
            _ => 0.01 * (1.7 * t as f64).sin() + 0.004 * (3.1 * t as f64).cos(),
        };
        level *= 1.0 + r;
        closes.push(level);
    }
    // Y halves on day 60 and keeps going from there.
    let y: Vec<f64> = (0..120)
        .map(|t| {
            let base = 80.0 + 0.1 * (t as f64 * 0.7).sin();
            if t >= 60 { base / 2.0 } else { base }
        })
        .collect();
    let csv = prices_csv(&[("X", &closes), ("Y", &y)], &days);
    let p = env.write("p.csv", &csv);
    env.import(
        "l.csv",
        &format!(
            "date,account,action,symbol,quantity,price,fees,amount,currency,lot,note\n\
             {0},A,DEPOSIT,,,,,10000,USD,,\n\
             {0},A,BUY,X,50,100,,,USD,,\n\
             {0},A,BUY,Y,100,80,,,USD,,\n\
             {0},A,BUY,X,10,100,,,USD,,\n",
            days[0]
        ),
        &[],
    )
    .ok();
    env.run(&["prices", "import", p.to_str().unwrap()]).ok();
    (env, days[119].to_string())
}

#[test]
fn anomalies_find_a_planted_outlier_a_split_jump_and_negative_cash() {
    let (env, as_of) = anomalous();
    let v = env.run(&["anomalies", "--as-of", &as_of, "--json"]).json();
    let findings = v["findings"].as_array().unwrap();
    let find = |check: &str, subject: &str| {
        findings
            .iter()
            .find(|f| s(f, "check") == check && s(f, "subject") == subject)
            .unwrap_or_else(|| panic!("no {check} for {subject} in {findings:#?}"))
    };
    let outlier = find("return_outlier", "X");
    assert!(num(outlier, "value") < -3.5);
    assert_eq!(num(outlier, "threshold"), 3.5);
    assert!(s(outlier, "reason").contains("-12.0%"), "{outlier}");
    let split = find("split_jump", "Y");
    assert_eq!(s(split, "severity"), "critical");
    assert!(s(split, "reason").contains("2-for-1"), "{split}");
    // 10,000 - 5,000 - 8,000 - 1,000 = -4,000.
    let cash = find("negative_cash", "A USD");
    assert_eq!(num(cash, "value"), -4000.0);
    // Every check is listed, with what it looked at.
    let checks: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| s(c, "check"))
        .collect();
    assert_eq!(checks.len(), 11);
    assert!(checks.contains(&"turbulence") && checks.contains(&"unexplained_position"));
    // The table names each finding with its severity.
    let text = env.run(&["anomalies", "--as-of", &as_of]);
    assert!(text.ok().stdout.contains("CRITICAL"), "{}", text.stdout);
    // Thresholds come from the config: a z of 20 lets the day through.
    let config = env.write("config.toml", "[anomalies]\noutlier_z = 20.0\n");
    let v = env
        .run(&[
            "--config",
            config.to_str().unwrap(),
            "anomalies",
            "--as-of",
            &as_of,
            "--json",
        ])
        .json();
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| s(f, "check") != "return_outlier"),
        "{v}"
    );
    // A bad threshold is refused with the key named.
    let config = env.write("bad.toml", "[anomalies]\nmax_weight = 3\n");
    let r = env.run(&["--config", config.to_str().unwrap(), "anomalies"]);
    r.refused("anomalies.max_weight");
}

#[test]
fn the_demo_runs_every_analytics_command() {
    let env = Env::new();
    for cmd in ["performance", "risk", "anomalies"] {
        let v = env
            .command()
            .args(["--demo", cmd, "--json"])
            .output()
            .unwrap();
        assert!(
            v.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&v.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
        assert!(json.is_object(), "{cmd}");
    }
}

/// `--lstm` runs the LSTM autoencoder in an `ml` build and says how to get one otherwise.
#[test]
fn the_lstm_check_runs_only_in_an_ml_build() {
    let (env, as_of) = anomalous();
    let r = env.run(&["anomalies", "--as-of", &as_of, "--lstm", "--json"]);
    if cfg!(feature = "ml") {
        let v = r.json();
        let lstm = v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| s(c, "check") == "lstm_reconstruction")
            .unwrap_or_else(|| panic!("{v}"));
        // Two holdings are too few for the cross-sectional model: it says so.
        assert!(
            s(lstm, "note").contains("at least three holdings"),
            "{lstm}"
        );
    } else {
        r.refused("--features ml");
        // Without the flag the check is not listed at all.
        let v = env.run(&["anomalies", "--as-of", &as_of, "--json"]).json();
        assert!(!v.to_string().contains("lstm_reconstruction"));
    }
}

#[test]
fn the_default_risk_window_ends_at_the_newest_close_of_the_holdings() {
    // Prices that stop in 2023: measured up to their last day, not to today.
    let env = Env::new();
    env.import(
        "t.csv",
        "date,account,action,symbol,quantity,price,fees,amount,currency,lot,note\n2022-01-03,A,DEPOSIT,,,,,10000,USD,,\n2022-01-03,A,BUY,P,100,50,,,USD,,\n",
        &[],
    )
    .ok();
    let mut closes = String::from("date,symbol,close\n");
    let mut day = NaiveDate::from_ymd_opt(2022, 1, 3).unwrap();
    let (mut p, mut b) = (50.0f64, 100.0f64);
    let mut i = 0u32;
    while day <= NaiveDate::from_ymd_opt(2023, 6, 30).unwrap() {
        if day.weekday().num_days_from_monday() < 5 {
            let wiggle = ((i * 7919) % 13) as f64 / 13.0 - 0.5;
            p *= 1.0 + wiggle * 0.02;
            b *= 1.0 + wiggle * 0.015 + 0.0002;
            closes.push_str(&format!("{day},P,{p:.2}\n{day},BNCH,{b:.2}\n"));
            i += 1;
        }
        day = day.succ_opt().unwrap();
    }
    let f = env.write("closes.csv", &closes);
    env.run(&["prices", "import", f.to_str().unwrap()]).ok();
    let cfg = env.write("config.toml", "[risk]\nbenchmark = \"BNCH\"\n");
    let v = env
        .run(&["--config", cfg.to_str().unwrap(), "risk", "--json"])
        .json();
    assert_eq!(s(&v, "to"), "2023-06-30");
    assert_eq!(s(&v, "benchmark"), "BNCH");
    assert!(
        v["portfolio"]["volatility"].is_number(),
        "{}",
        v["portfolio"]
    );
    assert!(v["portfolio"]["beta"].is_number(), "{}", v["portfolio"]);
    let notes: Vec<&str> = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("ends on 2023-06-30, the newest close of the holdings")),
        "{notes:?}"
    );
    assert!(
        !notes
            .iter()
            .any(|n| n.contains("no prices for the benchmark")),
        "{notes:?}"
    );
    // --as-of still says where the window ends.
    let v = env
        .run(&[
            "--config",
            cfg.to_str().unwrap(),
            "risk",
            "--as-of",
            "2023-03-31",
            "--json",
        ])
        .json();
    assert_eq!(s(&v, "to"), "2023-03-31");
}

#[test]
fn a_window_that_is_not_one_is_refused_whatever_its_characters() {
    let env = ledger();
    for w in ["3é", "é", "1x", "0d", "三"] {
        let r = env.run(&["risk", "--window", w]);
        assert_eq!(r.code, 2, "{w}: {}", r.stderr);
        assert!(r.stderr.contains("is not a window"), "{w}: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{w}: {}", r.stderr);
    }
}
