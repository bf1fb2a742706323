//! `folio harvest`, `folio tax report` and `folio tax preview` on a fixture portfolio with
//! wash sales across three accounts; every figure computed by hand below.

use crate::common::{Env, dec, s};

/// Taxable, Taxable2 and an IRA.
///
/// - VOO: 20 bought at 500, sold 2025-02-03 at 450 (loss 1,000, 50 a share, held 31 days).
///   Replacements in order: 5 IVV in the IRA (2025-02-20: 250 lost for good), 10 SPY in Taxable2
///   (02-25: 500 into their basis: 4,600 + 500 = 5,100, holding from 01-25), 8 VOO in Taxable
///   (02-27: 5 of them take the last 250: 2,225 + 250 = 2,475; 3 keep 1,335). All 1,000
///   disallowed, gain 0.
/// - VTI: 100 at 250; 40 sold 2025-06-02 at 270: +800 short term.
/// - QQQ: 10 at 500, sold 2025-11-20 at 450: -500, not washed (yet).
/// - ITOT: 50 at 120 on 2025-11-03.
const FIXTURE: &str = "\
date,account,action,symbol,quantity,price,fees,amount,currency,lot,note
2025-01-02,Taxable,DEPOSIT,,,,,100000,USD,,
2025-01-02,Taxable2,DEPOSIT,,,,,20000,USD,,
2025-01-02,IRA,DEPOSIT,,,,,20000,USD,,
2025-01-03,Taxable,BUY,VOO,20,500,,,USD,,
2025-01-03,Taxable,BUY,VTI,100,250,,,USD,,
2025-02-03,Taxable,SELL,VOO,20,450,,,USD,,
2025-02-20,IRA,BUY,IVV,5,455,,,USD,,
2025-02-25,Taxable2,BUY,SPY,10,460,,,USD,,
2025-02-27,Taxable,BUY,VOO,8,445,,,USD,,
2025-06-02,Taxable,SELL,VTI,40,270,,,USD,,
2025-10-01,Taxable,BUY,QQQ,10,500,,,USD,,
2025-11-03,Taxable,BUY,ITOT,50,120,,,USD,,
2025-11-20,Taxable,SELL,QQQ,10,450,,,USD,,
";

/// Daily closes from 2025-09-01 to 2025-12-01 (weekdays) built backwards from the last close
/// with known daily returns: VTI moves exactly like ITOT, the S&P 500 funds at 0.95 of it,
/// SCHB with noise of its own, QQQ much more and differently; plus closes on 2025-03-03.
fn closes() -> String {
    let start: chrono::NaiveDate = "2025-09-01".parse().unwrap();
    let end: chrono::NaiveDate = "2025-12-01".parse().unwrap();
    let days: Vec<chrono::NaiveDate> = start
        .iter_days()
        .take_while(|d| *d <= end)
        .filter(|d| chrono::Datelike::weekday(d).num_days_from_monday() < 5)
        .collect();
    let market = |t: f64| 0.01 * (0.9 * t).sin() + 0.004 * (2.3 * t).cos();
    type Returns = Box<dyn Fn(f64) -> f64>;
    let series: Vec<(&str, f64, Returns)> = vec![
        ("ITOT", 100.0, Box::new(market)),
        ("VTI", 240.0, Box::new(market)),
        (
            "SCHB",
            25.0,
            Box::new(move |t| market(t) + 0.003 * (5.1 * t).sin()),
        ),
        (
            "QQQ",
            480.0,
            Box::new(move |t| 1.6 * market(t) + 0.01 * (1.7 * t).cos()),
        ),
        (
            "QQQM",
            200.0,
            Box::new(move |t| 1.6 * market(t) + 0.01 * (1.7 * t).cos()),
        ),
        ("SPY", 440.0, Box::new(move |t| 0.95 * market(t))),
        ("VOO", 440.0, Box::new(move |t| 0.95 * market(t))),
        ("IVV", 440.0, Box::new(move |t| 0.95 * market(t))),
    ];
    let mut out = String::from(
        "date,symbol,close\n2025-03-03,SPY,430\n2025-03-03,VOO,430\n2025-03-03,VTI,240\n2025-03-03,IVV,430\n",
    );
    for (symbol, last, r) in &series {
        let mut price = *last;
        let mut rows = Vec::new();
        for (i, d) in days.iter().enumerate().rev() {
            rows.push(format!("{d},{symbol},{price:.4}"));
            price /= 1.0 + r(i as f64);
        }
        rows.reverse();
        for row in rows {
            out.push_str(&row);
            out.push('\n');
        }
    }
    out
}

fn fixture() -> Env {
    let env = Env::new();
    env.import("fixture.csv", FIXTURE, &[]).ok();
    let p = env.write("closes.csv", &closes());
    env.run(&["prices", "import", p.to_str().unwrap()]).ok();
    env.run(&["accounts", "set", "IRA", "--kind", "ira"]).ok();
    env
}

fn find<'a>(list: &'a serde_json::Value, symbol: &str) -> &'a serde_json::Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["symbol"] == symbol)
        .unwrap_or_else(|| panic!("no {symbol} in {list}"))
}

#[test]
fn realized_and_lots_carry_the_wash_sales_across_accounts() {
    let env = fixture();
    let r = env.run(&["realized", "--symbol", "VOO", "--json"]).json();
    let d = &r["disposals"][0];
    assert_eq!(
        (
            dec(d, "gain"),
            dec(d, "wash_sale_disallowed"),
            dec(d, "wash_sale_permanent"),
            dec(d, "wash_sale_shares")
        ),
        ("0".into(), "1000".into(), "250".into(), "20".into())
    );
    let lots = env.run(&["lots", "--as-of", "2025-12-01", "--json"]).json();
    let lots = lots["lots"].as_array().unwrap();
    let spy = lots.iter().find(|l| l["symbol"] == "SPY").unwrap();
    assert_eq!(dec(spy, "cost_basis"), "5100");
    assert_eq!(dec(spy, "wash_sale_adjustment"), "500");
    assert_eq!(
        (s(spy, "acquired"), s(spy, "holding_period_from")),
        ("2025-02-25", "2025-01-25")
    );
    let voo: Vec<(String, String)> = lots
        .iter()
        .filter(|l| l["symbol"] == "VOO")
        .map(|l| (dec(l, "quantity"), dec(l, "cost_basis")))
        .collect();
    assert_eq!(
        voo,
        [("5".into(), "2475".into()), ("3".into(), "1335".into())]
    );
    let ivv = lots.iter().find(|l| l["symbol"] == "IVV").unwrap();
    assert_eq!(dec(ivv, "cost_basis"), "2275", "an IRA basis never changes");
}

#[test]
fn harvest_ranks_candidates_with_wash_status_saving_and_replacements() {
    let env = fixture();
    let h = env
        .run(&["harvest", "--as-of", "2025-12-01", "--json"])
        .json();
    let c = h["candidates"].as_array().unwrap();
    let order: Vec<&str> = c.iter().map(|c| s(c, "symbol")).collect();
    // VTI loses 600 = 4.17% of its value: under the 5% threshold. The 3 VOO losing 15: under
    // 100. The IRA's IVV: never.
    assert_eq!(order, ["ITOT", "SPY", "VOO"]);
    let itot = &c[0];
    assert_eq!(
        (
            dec(itot, "loss"),
            dec(itot, "loss_pct"),
            s(itot, "wash_status"),
            dec(itot, "allowed_loss")
        ),
        ("1000".into(), "20".into(), "clean", "1000".into())
    );
    // 1,000 short-term loss at 32% (300 of gains, then ordinary income); round trip 2 x 5000 x
    // 2.5 bp = 2.50.
    assert_eq!(
        (
            dec(itot, "estimated_saving"),
            dec(itot, "trading_cost"),
            dec(itot, "net_benefit")
        ),
        ("320".into(), "2.5".into(), "317.5".into())
    );
    assert_eq!(s(itot, "safe_to_buy_back"), "2026-01-01");
    assert_eq!(itot["blocked_symbols"], serde_json::json!(["ITOT"]));
    // Replacements: same class, another index, ranked by similarity. VTI moves exactly like
    // ITOT; QQQ and QQQM are left out because buying them would wash the QQQ loss of 11-20.
    let ideas: Vec<&str> = itot["replacements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| s(i, "symbol"))
        .collect();
    assert_eq!(ideas[0], "VTI", "{ideas:?}");
    assert!(!ideas.contains(&"QQQ") && !ideas.contains(&"QQQM") && !ideas.contains(&"ITOT"));
    let vti = &itot["replacements"][0]["similarity"];
    assert!(vti["correlation"].as_f64().unwrap() > 0.999, "{vti}");
    assert!(vti["score"].as_f64().unwrap() > 0.99, "{vti}");

    let spy = find(&h["candidates"], "SPY");
    assert_eq!(
        (s(spy, "account"), dec(spy, "loss"), s(spy, "term")),
        ("Taxable2", "700".into(), "short")
    );
    assert_eq!(s(spy, "holding_period_from"), "2025-01-25");
    assert_eq!(
        spy["blocked_symbols"],
        serde_json::json!(["IVV", "SPLG", "SPY", "VFIAX", "VOO"])
    );
    let summary = &h["summary"];
    assert_eq!(dec(summary, "harvestable_loss"), "1975");
    assert_eq!(summary["candidates"], 3);
    let y = &summary["realized"];
    assert_eq!(
        (
            dec(y, "short_term_gains"),
            dec(y, "short_term_losses"),
            dec(y, "wash_sale_disallowed"),
            dec(y, "net_short_term"),
            dec(y, "ordinary_offset_unused")
        ),
        (
            "800".into(),
            "500".into(),
            "1000".into(),
            "300".into(),
            "3000".into()
        )
    );

    // Lower thresholds bring VTI in; the table names the columns and the wash status.
    let all = env
        .run(&[
            "harvest",
            "--as-of",
            "2025-12-01",
            "--min-loss-pct",
            "0",
            "--json",
        ])
        .json();
    assert!(
        all["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["symbol"] == "VTI")
    );
    let table = env.run(&["harvest", "--as-of", "2025-12-01"]);
    table.ok();
    assert!(
        table
            .stdout
            .contains("Worth harvesting: 1,975.00 in 3 lots"),
        "{}",
        table.stdout
    );
}

#[test]
fn harvest_sees_a_partial_wash_from_a_recent_purchase_in_another_account() {
    let env = fixture();
    let h = env
        .run(&["harvest", "--as-of", "2025-03-03", "--json"])
        .json();
    // Selling Taxable2's SPY (basis 5,100, value 4,300) on 03-03: the 3 VOO bought 02-27 that
    // replaced nothing are substantially identical and would wash 3 of its 10 shares.
    let spy = find(&h["candidates"], "SPY");
    assert_eq!(s(spy, "wash_status"), "partial");
    assert_eq!(dec(spy, "blocked_quantity"), "3");
    assert_eq!(dec(spy, "allowed_loss"), "560");
    let b = &spy["blockers"][0];
    assert_eq!(
        (
            s(b, "account"),
            s(b, "symbol"),
            s(b, "date"),
            dec(b, "quantity")
        ),
        ("Taxable", "VOO", "2025-02-27", "3".into())
    );
    assert_eq!(b["expected"], false);
    // The 5 VOO that took the February loss: their own purchase's other 3 shares are not
    // their replacement, so selling them is clean.
    let voo = find(&h["candidates"], "VOO");
    assert_eq!(
        (s(voo, "wash_status"), dec(voo, "loss")),
        ("clean", "325".into())
    );
    // Rates from the config.
    let config = env.write(
        "config.toml",
        "[tax]\nshort_term_rate = 0.4\nspread_bps = 0\n",
    );
    let h = env
        .run(&[
            "--config",
            config.to_str().unwrap(),
            "harvest",
            "--as-of",
            "2025-03-03",
            "--json",
        ])
        .json();
    let spy = find(&h["candidates"], "SPY");
    assert_eq!(
        (dec(spy, "estimated_saving"), dec(spy, "net_benefit")),
        ("224".into(), "224".into())
    );
}

#[test]
fn tax_report_lists_taxable_sales_with_code_w_and_totals_by_term() {
    let env = fixture();
    let r = env
        .run(&["tax", "report", "--year", "2025", "--json"])
        .json();
    let rows = r["rows"].as_array().unwrap();
    let described: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|x| (s(x, "description"), s(x, "code"), s(x, "sold")))
        .collect();
    assert_eq!(
        described,
        [
            ("20 sh VOO", "W", "2025-02-03"),
            ("40 sh VTI", "", "2025-06-02"),
            ("10 sh QQQ", "", "2025-11-20")
        ]
    );
    assert_eq!(dec(&rows[0], "adjustment"), "1000");
    assert_eq!(dec(&rows[0], "gain"), "0");
    let st = &r["short_term"];
    assert_eq!(
        (
            dec(st, "proceeds"),
            dec(st, "cost_basis"),
            dec(st, "adjustment"),
            dec(st, "gain")
        ),
        ("24300".into(), "25000".into(), "1000".into(), "300".into())
    );
    assert_eq!(dec(&r["long_term"], "gain"), "0");

    let csv = env.run(&["tax", "report", "--year", "2025", "--csv"]);
    csv.ok();
    let mut lines = csv.stdout.lines();
    assert_eq!(
        lines.next(),
        Some(
            "description,account,symbol,quantity,acquired,holding_period_from,sold,proceeds,cost_basis,code,adjustment,gain,term,currency"
        )
    );
    assert_eq!(
        lines.next(),
        Some(
            "20 sh VOO,Taxable,VOO,20,2025-01-03,2025-01-03,2025-02-03,9000,10000,W,1000,0,short,USD"
        )
    );
    let table = env.run(&["tax", "report", "--year", "2025"]);
    table.ok();
    assert!(
        table.stdout.contains("Short term (Form 8949 Part I)"),
        "{}",
        table.stdout
    );
    let empty = env.run(&["tax", "report", "--year", "2024"]);
    assert!(
        empty
            .ok()
            .stdout
            .contains("No sales in taxable accounts in 2024")
    );
    let bad = env.run(&["tax", "report", "--year", "25"]);
    bad.refused("year 25: use a year such as 2025");
}

#[test]
fn tax_preview_sell_shows_lots_gains_and_wash_consequences() {
    let env = fixture();
    let v = env
        .run(&[
            "tax",
            "preview",
            "sell",
            "VTI",
            "60",
            "--date",
            "2025-12-01",
            "--json",
        ])
        .json();
    assert_eq!(s(&v, "account"), "Taxable");
    assert_eq!(dec(&v, "price"), "240");
    assert_eq!(
        (
            dec(&v, "proceeds"),
            dec(&v, "cost_basis"),
            dec(&v, "short_term_gain"),
            dec(&v, "wash_sale_disallowed")
        ),
        ("14400".into(), "15000".into(), "-600".into(), "0".into())
    );
    assert_eq!(s(&v, "safe_to_buy_back"), "2026-01-01");
    assert_eq!(
        v["substantially_identical"],
        serde_json::json!(["VTI", "VTSAX"])
    );
    // SPY sold at a loss of 600 (60 a share) on 03-01: the IVV bought 02-20 and 5 of the VOO
    // bought 02-27 already replaced the February loss and cannot wash this one too; the other
    // 3 VOO can: 180 disallowed.
    let v = env
        .run(&[
            "tax",
            "preview",
            "sell",
            "SPY",
            "10",
            "--date",
            "2025-03-01",
            "--price",
            "450",
            "--json",
        ])
        .json();
    assert_eq!(dec(&v, "short_term_gain"), "-420");
    assert_eq!(dec(&v, "wash_sale_disallowed"), "180");
    // Specific lot and HIFO.
    let v = env
        .run(&[
            "tax",
            "preview",
            "sell",
            "VOO",
            "3",
            "--lots",
            "hifo",
            "--date",
            "2025-12-01",
            "--json",
        ])
        .json();
    assert_eq!(s(&v, "method"), "hifo");
    assert_eq!(dec(&v["lots"][0], "cost_basis"), "1485");
    // Errors change nothing and say what to do.
    for (args, says) in [
        (vec!["VTI", "1000"], "only 60 are held"),
        (vec!["NOPE", "1"], "no account holds NOPE"),
        (
            vec!["VTI", "1", "--lots", "average"],
            "use fifo, lifo, hifo",
        ),
        (vec!["VTI", "0"], "greater than 0"),
    ] {
        let mut a = vec!["tax", "preview", "sell"];
        a.extend(&args);
        let before = env.snapshot();
        let out = env.run(&a);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
        assert_eq!(env.snapshot(), before);
    }
}

#[test]
fn tax_preview_buy_says_which_losses_it_would_wash() {
    // QQQM tracks QQQ's index: buying 4 on 12-01 washes 4 shares (200) of the 11-20 loss.
    let v = env_preview(&["QQQM", "4", "--date", "2025-12-01"]);
    assert_eq!(s(&v, "account"), "Taxable");
    let w = &v["washes"][0];
    assert_eq!(
        (
            s(w, "symbol"),
            s(w, "sold"),
            dec(w, "quantity"),
            dec(w, "disallowed")
        ),
        ("QQQ", "2025-11-20", "4".into(), "200".into())
    );
    assert_eq!(dec(w, "permanent"), "0");
    // The same in the IRA: lost for good.
    let v = env_preview(&["QQQM", "4", "--account", "ira", "--date", "2025-12-01"]);
    assert_eq!(dec(&v["washes"][0], "permanent"), "200");
    assert_eq!(dec(&v, "wash_sale_permanent"), "200");
    assert_eq!(dec(&v, "wash_sale_disallowed"), "200");
    // On 02-10 the VOO loss of 02-03 is open, but the purchases already recorded after that
    // day (IVV 02-20, SPY 02-25, VOO 02-27) wash all of it: 10 more add nothing.
    let v = env_preview(&["VOO", "10", "--date", "2025-02-10", "--price", "450"]);
    assert_eq!(v["washes"], serde_json::json!([]));
    // After the window, nothing either.
    let v = env_preview(&["QQQ", "1", "--date", "2025-12-21"]);
    assert_eq!(v["washes"], serde_json::json!([]));
    let env = fixture();
    let table = env.run(&["tax", "preview", "buy", "QQQ", "4", "--date", "2025-12-01"]);
    assert!(
        table.ok().stdout.contains("would disallow 200.00"),
        "{}",
        table.stdout
    );
}

/// `folio tax preview buy ARGS --json` on the fixture.
fn env_preview(args: &[&str]) -> serde_json::Value {
    let env = fixture();
    let mut a = vec!["tax", "preview", "buy"];
    a.extend(args);
    a.push("--json");
    env.run(&a).json()
}

#[test]
fn a_years_carry_forward_feeds_the_next_year() {
    // The demo's 2022: a net short-term loss of 5,007.00: 3,000 against ordinary income and
    // 2,007.00 carried into 2023, where it meets 2023's long-term gain of 2,556.12.
    let env = Env::new();
    let run = |year: &str| {
        env.command()
            .args(["--demo", "--json", "tax", "report", "--year", year])
            .output()
            .unwrap()
    };
    let v: serde_json::Value = serde_json::from_slice(&run("2022").stdout).unwrap();
    assert_eq!(dec(&v["summary"], "carry_out_short"), "2007");
    let v: serde_json::Value = serde_json::from_slice(&run("2023").stdout).unwrap();
    let s = &v["summary"];
    assert_eq!(dec(s, "carried_in_short"), "2007");
    assert_eq!(
        (
            dec(s, "net_short_term"),
            dec(s, "net_long_term"),
            dec(s, "carry_out_short")
        ),
        ("-2007".into(), "2556.125".into(), "0".into())
    );
}
