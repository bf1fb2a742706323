//! `folio stress` on hand-built books: the real binary, real SQLite files, every expected figure
//! worked out in the comments, and each class shocked by exactly its figure in
//! assets/stress_scenarios.toml.

use serde_json::Value;

use crate::common::{Env, dec};

/// Brokerage deposits 4,450 and buys 10 VTI at 200 (2,000), 20 BND at 70 (1,400) and 5 XYZ (a
/// symbol the securities table does not list) at 90 (450): 600 of cash is left. Roth deposits
/// 1,350 and buys 10 VNQ at 95 (950): 400 left.
const BOOK: &str = "\
date,account,action,symbol,quantity,price,fees,amount,currency,lot,note
2026-01-02,Brokerage,DEPOSIT,,,,,4450,USD,,
2026-01-02,Brokerage,BUY,VTI,10,200,0,,USD,,
2026-01-02,Brokerage,BUY,BND,20,70,0,,USD,,
2026-01-02,Brokerage,BUY,XYZ,5,90,0,,USD,,
2026-01-02,Roth,DEPOSIT,,,,,1350,USD,,
2026-01-02,Roth,BUY,VNQ,10,95,0,,USD,,
";

/// At these closes the holdings are worth VTI 2,000, BND 1,500, XYZ 500 and VNQ 1,000: 5,000,
/// and 6,000 with the 1,000 of cash.
const CLOSES: &str = "\
date,symbol,close
2026-01-05,VTI,200
2026-01-05,BND,75
2026-01-05,XYZ,100
2026-01-05,VNQ,100
";

fn book() -> Env {
    let env = Env::new();
    env.import("book.csv", BOOK, &[]).ok();
    let prices = env.write("closes.csv", CLOSES);
    env.run(&["prices", "import", prices.to_str().unwrap()])
        .ok();
    env
}

fn stress(env: &Env, args: &[&str]) -> Value {
    let mut all = vec!["--today", "2026-01-06", "stress", "--json"];
    all.extend_from_slice(args);
    env.run(&all).json()
}

/// The run with `id` in a report.
fn run<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no run {id} in {v}"))
}

fn holding<'a>(run: &'a Value, symbol: &str) -> &'a Value {
    run["holdings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["symbol"] == symbol)
        .unwrap_or_else(|| panic!("no {symbol} in {run}"))
}

#[test]
fn a_custom_shock_gives_the_hand_computed_loss() {
    let env = book();
    let v = stress(&env, &["--shock", "US stocks=-30,BND=-5"]);
    assert_eq!(
        v["scenarios"].as_array().unwrap().len(),
        1,
        "only the shocks"
    );
    let r = run(&v, "custom");
    // VTI 2,000 x -30% (its class) = -600; BND 1,500 x -5% (its symbol) = -75; XYZ and VNQ are
    // named by neither: 0.
    for (symbol, change, basis) in [
        ("VTI", "-600", "class"),
        ("BND", "-75", "symbol"),
        ("XYZ", "0", "not_shocked"),
        ("VNQ", "0", "not_shocked"),
    ] {
        let h = holding(r, symbol);
        assert_eq!(dec(h, "change"), change, "{symbol}");
        assert_eq!(h["basis"], basis, "{symbol}");
    }
    assert_eq!(r["not_shocked"], serde_json::json!(["VNQ", "XYZ"]));
    // -675 of 5,000 is -13.5%; of 6,000 with the cash, -11.25%.
    let t = &r["totals"];
    assert_eq!(dec(t, "holdings_value"), "5000");
    assert_eq!(dec(t, "change"), "-675");
    assert_eq!(dec(t, "pct_of_holdings"), "-13.5");
    assert_eq!(dec(t, "net_worth"), "6000");
    assert_eq!(dec(t, "net_worth_after"), "5325");
    assert_eq!(dec(t, "pct_of_net_worth"), "-11.25");
    // Brokerage's 4,000 lose 675: -16.875%, shown -16.88%; Roth's 1,000 nothing.
    let accounts = r["accounts"].as_array().unwrap();
    assert_eq!(accounts[0]["account"], "Brokerage");
    assert_eq!(dec(&accounts[0], "change_pct"), "-16.88");
    assert_eq!(dec(&accounts[0], "cash"), "600");
    assert_eq!(dec(&accounts[1], "change"), "0");
    assert_eq!(dec(&accounts[1], "cash"), "400");
    // 1,000 of cash is 18.78% of the 5,325 left and covers the 675 lost.
    let c = &r["cash_buffer"];
    assert_eq!(dec(c, "cash"), "1000");
    assert_eq!(dec(c, "share_after_pct"), "18.78");
    assert_eq!(c["covers_loss"], true);
}

#[test]
fn the_2008_scenario_gives_the_hand_computed_loss_and_names_the_unclassified_holding() {
    let env = book();
    let v = stress(&env, &["--scenario", "2008"]);
    let r = run(&v, "2008");
    // VTI 2,000 x -47.2% = -944; BND 1,500 x +2.2% = +33; XYZ 500 x -47.2% (the default: the
    // US stocks figure) = -236; VNQ 1,000 x -63.5% = -635. Total -1,782: -35.64% of 5,000,
    // -29.70% of 6,000.
    for (symbol, change) in [
        ("VTI", "-944"),
        ("BND", "33"),
        ("XYZ", "-236"),
        ("VNQ", "-635"),
    ] {
        assert_eq!(dec(holding(r, symbol), "change"), change, "{symbol}");
    }
    assert_eq!(holding(r, "XYZ")["basis"], "default");
    assert_eq!(holding(r, "XYZ")["class"], "Unclassified");
    assert_eq!(r["defaulted"], serde_json::json!(["XYZ"]));
    assert_eq!(dec(r, "default_pct"), "-47.2");
    assert_eq!(dec(&r["totals"], "change"), "-1782");
    assert_eq!(dec(&r["totals"], "pct_of_holdings"), "-35.64");
    assert_eq!(dec(&r["totals"], "pct_of_net_worth"), "-29.7");
    // 1,000 of cash does not cover the 1,782 lost (56.12% of it).
    assert_eq!(r["cash_buffer"]["covers_loss"], false);
    assert_eq!(dec(&r["cash_buffer"], "pct_of_loss"), "56.12");

    // The table says the same, and names the unclassified holding with the default it got.
    let t = env.run(&["--today", "2026-01-06", "stress", "--scenario", "2008"]);
    t.ok();
    assert!(
        t.stdout
            .contains("2008 Global financial crisis: 2008-08-29 to 2009-03-09"),
        "{}",
        t.stdout
    );
    assert!(
        t.stdout
            .contains("Total: -1,782.00 on 5,000.00 of holdings (-35.64%); -29.70% of net worth"),
        "{}",
        t.stdout
    );
    assert!(
        t.stdout.contains(
            "Without a class figure, given the default -47.2% (the US stocks figure): XYZ"
        ),
        "{}",
        t.stdout
    );
    assert!(
        t.stdout.contains(
            "Cash buffer 1,000.00: 23.71% of net worth after; covers 56.12% of the loss."
        ),
        "{}",
        t.stdout
    );
}

/// A scenario of the assets file: its id, (class, percent) per class and its default, each
/// percent a normalised decimal string.
type Documented = (String, Vec<(String, String)>, String);

/// Each figure of the assets file, read with the toml crate (not folio's parser).
fn documented() -> Vec<Documented> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stress_scenarios.toml");
    let file: toml::Table = std::fs::read_to_string(path).unwrap().parse().unwrap();
    let number = |v: &toml::Value| -> String {
        let d: rust_decimal::Decimal = match v {
            toml::Value::Float(f) => f.to_string().parse().unwrap(),
            toml::Value::Integer(i) => (*i).into(),
            other => panic!("not a number: {other}"),
        };
        d.normalize().to_string()
    };
    file.iter()
        .map(|(id, s)| {
            let returns = s["returns"]
                .as_table()
                .unwrap()
                .iter()
                .map(|(class, r)| (class.clone(), number(&r["pct"])))
                .collect();
            (id.clone(), returns, number(&s["default"]))
        })
        .collect()
}

#[test]
fn every_historical_scenario_shocks_each_class_by_exactly_its_documented_figure() {
    // One holding of every class (the securities table's), and one it does not list.
    let symbols = [
        ("VTI", "US stocks"),
        ("VXUS", "International stocks"),
        ("VWO", "Emerging markets"),
        ("BND", "US bonds"),
        ("BNDX", "International bonds"),
        ("VNQ", "Real estate"),
        ("GLD", "Commodities"),
        ("XYZ", "Unclassified"),
    ];
    let env = Env::new();
    let mut csv = String::from(
        "date,account,action,symbol,quantity,price,fees,amount,currency,lot,note\n\
         2026-01-02,A,DEPOSIT,,,,,8000,USD,,\n",
    );
    let mut closes = String::from("date,symbol,close\n");
    for (s, _) in symbols {
        csv.push_str(&format!("2026-01-02,A,BUY,{s},10,100,0,,USD,,\n"));
        closes.push_str(&format!("2026-01-05,{s},100\n"));
    }
    env.import("all.csv", &csv, &[]).ok();
    let p = env.write("closes.csv", &closes);
    env.run(&["prices", "import", p.to_str().unwrap()]).ok();
    let v = stress(&env, &["--scenario", "all"]);
    let docs = documented();
    let ids: Vec<&str> = docs.iter().map(|(id, ..)| id.as_str()).collect();
    assert_eq!(ids, ["2008", "2020", "2022"]);
    for (id, returns, default) in &docs {
        let r = run(&v, id);
        assert_eq!(returns.len(), 7, "{id}: a figure for every class");
        for (symbol, class) in symbols {
            let h = holding(r, symbol);
            assert_eq!(h["class"], class, "{symbol}");
            let expected = if class == "Unclassified" {
                default
            } else {
                &returns.iter().find(|(c, _)| c == class).unwrap().1
            };
            assert_eq!(&dec(h, "shock_pct"), expected, "{id} {symbol}");
            // 1,000 of it moves by the figure exactly: 10 x the percent.
            let figure: rust_decimal::Decimal = expected.parse().unwrap();
            assert_eq!(
                dec(h, "change"),
                (figure * rust_decimal::Decimal::TEN)
                    .normalize()
                    .to_string(),
                "{id} {symbol}"
            );
        }
        // The figures shown with the run are the file's, each with its proxy and source.
        for f in r["shocks"].as_array().unwrap() {
            let class = f["name"].as_str().unwrap();
            let doc = &returns.iter().find(|(c, _)| c == class).unwrap().1;
            assert_eq!(&dec(f, "pct"), doc, "{id} {class}");
            assert!(f["proxy"].as_str().is_some_and(|p| !p.is_empty()));
            assert!(f["source"].as_str().is_some_and(|p| !p.is_empty()));
        }
    }
    // With no flag every scenario runs.
    assert_eq!(stress(&env, &[])["scenarios"].as_array().unwrap().len(), 3);
}

#[test]
fn bad_input_is_refused_with_the_value_named_and_nothing_stored() {
    let env = book();
    let before = env.snapshot();
    for (args, says) in [
        (
            vec!["--shock", "US stocks=-120"],
            "shock US stocks=-120%: a holding cannot lose more than all of it; use -100 or more",
        ),
        (
            vec!["--shock", "Crypto=-20"],
            "shock \"Crypto\" is neither a symbol held or listed in the securities table nor an asset class",
        ),
        (
            vec!["--shock", "VTI=-10,NOPE=-5"],
            "shock \"NOPE\" is neither a symbol",
        ),
        (
            vec!["--scenario", "1987"],
            "unknown scenario \"1987\": the scenarios are 2008, 2020, 2022 (or all)",
        ),
        (
            vec!["--shock", "US stocks -30"],
            "\"US stocks -30\": write NAME=NUMBER pairs",
        ),
        (vec!["--shock", "VTI=a lot"], "\"a lot\" is not a number"),
        (vec!["--shock", ""], "shock: nothing given"),
    ] {
        let mut all = vec!["--today", "2026-01-06", "stress"];
        all.extend_from_slice(&args);
        env.run(&all).refused(says);
    }
    assert_eq!(env.snapshot(), before, "nothing was stored");
}

#[test]
fn an_empty_book_has_nothing_to_stress() {
    let env = Env::new();
    env.create_db();
    env.run(&["--today", "2026-01-06", "stress"])
        .refused("nothing held to stress on 2026-01-06")
        .refused("import transactions first");
    // Holdings without any close: named, and nothing to stress either.
    env.import("book.csv", BOOK, &[]).ok();
    env.run(&["--today", "2026-01-06", "stress"])
        .refused("no holding in USD has a price on or before 2026-01-06");
}

#[test]
fn a_stress_scenarios_toml_beside_the_config_adds_scenarios_and_a_bad_one_is_named() {
    let env = book();
    let cfg = env.write("config.toml", "");
    let with = |env: &Env, args: &[&str]| {
        let mut all = vec![
            "--config",
            cfg.to_str().unwrap(),
            "--today",
            "2026-01-06",
            "stress",
        ];
        all.extend_from_slice(args);
        env.run(&all)
    };
    env.write(
        "stress_scenarios.toml",
        "[dotcom]\ntitle = \"Dot-com bust\"\nfrom = \"2000-03-24\"\nto = \"2002-10-09\"\n\
         description = \"d\"\nsource = \"mine\"\ndefault = -49\ndefault_note = \"n\"\n\
         [dotcom.returns.\"US stocks\"]\npct = -50\nproxy = \"p\"\nsource = \"s\"\n",
    );
    let v = with(&env, &["--scenario", "DotCom", "--json"]).json();
    let r = run(&v, "dotcom");
    // VTI 2,000 x -50% = -1,000; the classes it gives no figure get its default, -49%: BND
    // -735, XYZ -245, VNQ -490.
    assert_eq!(dec(holding(r, "VTI"), "change"), "-1000");
    assert_eq!(dec(holding(r, "BND"), "change"), "-735");
    assert_eq!(r["defaulted"], serde_json::json!(["BND", "VNQ", "XYZ"]));
    let all = with(&env, &["--json"]).json();
    assert_eq!(all["scenarios"].as_array().unwrap().len(), 4);
    // A mistake stops folio with the file and line.
    env.write(
        "stress_scenarios.toml",
        "[x]\ntitle = \"t\"\nfrom = \"2000-01-01\"\nto = \"2000-12-31\"\ndescription = \"d\"\n\
         source = \"s\"\ndefault = -10\ndefault_note = \"n\"\n[x.returns.\"US stocks\"]\n\
         pct = -150\nproxy = \"p\"\nsource = \"s\"\n",
    );
    with(&env, &[])
        .refused("stress_scenarios.toml: line 10 (`pct = -150`): scenario x, US stocks: -150% is below -100%");
}

#[test]
fn the_demo_is_stressed_by_every_scenario_and_by_custom_shocks() {
    let env = Env::new();
    let demo = |args: &[&str]| {
        let mut all = vec!["--demo", "--today", "2026-11-23", "stress"];
        all.extend_from_slice(args);
        crate::common::Run::from(env.command().args(&all).output().unwrap())
    };
    let v = demo(&["--json"]).json();
    let runs = v["scenarios"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    for r in runs {
        let t = &r["totals"];
        // Every one loses, and the per-holding changes add up to the total.
        let change: rust_decimal::Decimal = t["change"].as_str().unwrap().parse().unwrap();
        assert!(change < rust_decimal::Decimal::ZERO, "{}", r["id"]);
        let sum: rust_decimal::Decimal = r["holdings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                h["change"]
                    .as_str()
                    .unwrap()
                    .parse::<rust_decimal::Decimal>()
                    .unwrap()
            })
            .sum();
        assert_eq!(sum, change, "{}", r["id"]);
        let accounts: rust_decimal::Decimal = r["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                a["change"]
                    .as_str()
                    .unwrap()
                    .parse::<rust_decimal::Decimal>()
                    .unwrap()
            })
            .sum();
        assert_eq!(accounts, change, "{}", r["id"]);
    }
    // 2008 hurts more than 2020, which hurts more than 2022.
    let pct = |id: &str| -> rust_decimal::Decimal {
        run(&v, id)["totals"]["pct_of_holdings"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(pct("2008") < pct("2020") && pct("2020") < pct("2022"));
    let r = demo(&[
        "--scenario",
        "2022",
        "--shock",
        "US stocks=-10",
        "--account",
        "ira",
    ]);
    r.ok();
    assert!(
        r.stdout
            .contains("2022 Inflation and rate shock: 2021-12-31 to 2022-12-30")
    );
    assert!(
        r.stdout.contains("Custom shocks: US stocks -10%"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("(account IRA)"), "{}", r.stdout);
}
