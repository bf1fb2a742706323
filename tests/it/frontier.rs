//! `folio frontier`: the demo's curve checked for what every efficient frontier must satisfy,
//! and each bad input refused (exit status 2) with the value named.

use chrono::{Datelike, NaiveDate};
use serde_json::Value;

use crate::common::Env;

const TODAY: &str = "2026-11-23";

fn demo(env: &Env, args: &[&str]) -> crate::common::Run {
    env.command()
        .args(["--demo", "--today", TODAY, "frontier"])
        .args(args)
        .output()
        .unwrap()
        .into()
}

fn num(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {v}"))
}

/// A mix's weights, checked to sum to 1 and to lie within `lo..=hi`.
#[track_caller]
fn weights(m: &Value, names: &[String], lo: f64, hi: f64) -> Vec<f64> {
    let ws = m["weights"].as_array().expect("weights");
    let got: Vec<&str> = ws.iter().map(|w| w["name"].as_str().unwrap()).collect();
    assert_eq!(got, names, "weights in the order of the assets");
    let w: Vec<f64> = ws.iter().map(|w| num(w, "weight")).collect();
    let sum: f64 = w.iter().sum();
    assert!((sum - 1.0).abs() < 1e-9, "weights sum to {sum}: {m}");
    for x in &w {
        assert!(
            *x >= lo - 1e-12 && *x <= hi + 1e-12,
            "{x} outside {lo}..{hi}"
        );
    }
    w
}

#[track_caller]
fn check_curve(v: &Value, lo: f64, hi: f64) {
    let names: Vec<String> = v["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.len() >= 2);
    let now: f64 = v["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| num(a, "weight"))
        .sum();
    assert!((now - 1.0).abs() < 1e-9, "today's weights sum to {now}");
    let mv = &v["min_variance"];
    let ms = &v["max_sharpe"];
    weights(mv, &names, lo, hi);
    weights(ms, &names, lo, hi);
    weights(&v["max_return"], &names, lo, hi);
    let points = v["points"].as_array().unwrap();
    let (mv_vol, ms_sharpe) = (num(mv, "volatility"), num(ms, "sharpe"));
    for p in points {
        weights(p, &names, lo, hi);
        assert!(mv_vol <= num(p, "volatility") + 1e-9, "{p}");
        assert!(ms_sharpe >= num(p, "sharpe") - 1e-6, "{p}");
    }
    for w in points.windows(2) {
        assert!(num(&w[1], "expected_return") > num(&w[0], "expected_return"));
        assert!(num(&w[1], "volatility") >= num(&w[0], "volatility") - 1e-9);
    }
    assert_eq!(points[0]["expected_return"], mv["expected_return"]);
    assert_eq!(
        points.last().unwrap()["expected_return"],
        v["max_return"]["expected_return"]
    );
    let c = &v["current"];
    assert!(num(&c["mix"], "volatility") >= mv_vol - 1e-9, "{c}");
    let better = &c["best_return_at_same_volatility"];
    assert!(num(better, "expected_return") >= num(&c["mix"], "expected_return") - 1e-9);
    assert!(num(better, "volatility") <= num(&c["mix"], "volatility") + 1e-6);
    let calmer = &c["least_volatility_at_same_return"];
    assert!(num(calmer, "volatility") <= num(&c["mix"], "volatility") + 1e-9);
    let warnings = v["warnings"].to_string();
    assert!(
        warnings.contains("estimated from history"),
        "the frontier always says it is estimated: {warnings}"
    );
}

#[test]
fn the_demos_frontier_keeps_its_promises() {
    let env = Env::new();
    let v = demo(&env, &["--json"]).json();
    assert_eq!(v["window"], "5y");
    assert_eq!(v["by"], "symbol");
    assert_eq!(v["to"], "2026-11-20");
    assert_eq!(v["points"].as_array().unwrap().len(), 50);
    assert_eq!(v["assets"].as_array().unwrap().len(), 12);
    assert!(num(&v, "days") > 1000.0);
    assert_eq!(num(&v, "risk_free_rate"), 0.04);
    check_curve(&v, 0.0, 1.0);

    // Bounded, and by asset class.
    let v = demo(
        &env,
        &["--json", "--max-weight", "60%", "--min-weight", "0.02"],
    )
    .json();
    assert_eq!(num(&v, "max_weight"), 0.6);
    check_curve(&v, 0.02, 0.6);
    let v = demo(&env, &["--json", "--by", "class", "--points", "12"]).json();
    assert_eq!(v["by"], "class");
    assert_eq!(v["points"].as_array().unwrap().len(), 12);
    let classes: Vec<&str> = v["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(classes.contains(&"US bonds"), "{classes:?}");
    check_curve(&v, 0.0, 1.0);

    // The table: the landmarks, the points and the sentence; the warning on stderr.
    let r = demo(&env, &[]);
    r.ok();
    for want in [
        "Efficient frontier of 12 holdings in USD over 5y",
        "Minimum variance",
        "Maximum Sharpe",
        "every 5th of 50 points",
        "Your mix: ",
        "the curve gives",
    ] {
        assert!(r.stdout.contains(want), "{want} in\n{}", r.stdout);
    }
    assert!(
        r.stderr
            .contains("warning: the frontier is estimated from history"),
        "{}",
        r.stderr
    );
    let all = demo(&env, &["--all-points"]);
    assert_eq!(
        all.ok().stdout.lines().count(),
        r.stdout.lines().count() + 50 - 11,
        "--all-points shows every point"
    );
}

#[test]
fn a_window_with_too_little_history_is_refused() {
    let env = Env::new();
    let r = demo(&env, &["--window", "30d"]);
    r.refused("window 30d: only ")
        .refused("days of common price history for VTI, BND, VOO")
        .refused("the frontier needs at least 60: use a longer window or import prices");
    // Two holdings with 40 days of prices: 39 returns.
    let env = Env::new();
    env.import(
        "l.csv",
        "date,account,action,symbol,quantity,price,fees,amount,currency,lot,note\n\
         2025-03-03,A,DEPOSIT,,,,,10000,USD,,\n\
         2025-03-03,A,BUY,P,50,100,,,USD,,\n\
         2025-03-03,A,BUY,Q,100,50,,,USD,,\n",
        &[],
    )
    .ok();
    let mut csv = String::from("date,symbol,close\n");
    let mut d: NaiveDate = "2025-03-03".parse().unwrap();
    let mut n = 0;
    while n < 40 {
        if d.weekday().num_days_from_monday() < 5 {
            let x = n as f64;
            csv.push_str(&format!(
                "{d},P,{}\n",
                100.0 + (x * 0.7).sin() * 3.0 + x * 0.1
            ));
            csv.push_str(&format!("{d},Q,{}\n", 50.0 + (x * 1.3).cos() * 1.5));
            n += 1;
        }
        d = d.succ_opt().unwrap();
    }
    let p = env.write("p.csv", &csv);
    env.run(&["prices", "import", p.to_str().unwrap()]).ok();
    let r = env.run(&["--today", "2025-05-01", "frontier", "--window", "all"]);
    r.refused("window all: only 39 days of common price history for P, Q");
    // One holding is nothing to mix.
    let env1 = Env::new();
    env1.import(
        "l.csv",
        "date,account,action,symbol,quantity,price,fees,amount,currency,lot,note\n\
         2025-03-03,A,DEPOSIT,,,,,10000,USD,,\n\
         2025-03-03,A,BUY,P,50,100,,,USD,,\n",
        &[],
    )
    .ok();
    env1.run(&["prices", "import", p.to_str().unwrap()]).ok();
    let r = env1.run(&["--today", "2025-05-01", "frontier"]);
    r.refused("at least two assets to mix, and the holdings on 2025-05-01 are one holding, P");
}

#[test]
fn bounds_no_mix_fits_are_refused() {
    let env = Env::new();
    demo(&env, &["--min-weight", "0.1"])
        .refused("min weight 10% x 12 assets is 120%, more than 100%: no mix fits");
    demo(&env, &["--max-weight", "5%"])
        .refused("max weight 5% x 12 assets is 60%, less than 100%: no mix fits");
    demo(&env, &["--min-weight", "0.3", "--max-weight", "0.2"])
        .refused("min weight 30% is above max weight 20%");
    demo(&env, &["--max-weight", "1.5"]).refused("'1.5' is 150%");
    demo(&env, &["--min-weight=-0.1"]).refused("'-0.1' is -10%");
    demo(&env, &["--max-weight", "60"]).refused("write 60% or 0.6");
    // By class there are four assets: 30% each is 120%.
    demo(&env, &["--by", "class", "--min-weight", "30%"])
        .refused("min weight 30% x 4 assets is 120%");
    demo(&env, &["--points", "1"]).refused("points 1: ask for 2 to 200");
}

#[test]
fn the_query_layer_checks_the_weights_an_mcp_client_sends() {
    use folio::app::frontier::{FrontierParams, frontier};
    use folio::app::{Access, Clock, Session};
    let s = Session::demo(
        folio::config::Config::default(),
        Clock::Fixed(TODAY.parse().unwrap()),
        None,
        Access::Read,
    )
    .unwrap();
    let e = frontier(
        &s,
        &FrontierParams {
            max_weight: Some(1.5),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(e.is_bad_input());
    assert!(
        e.to_string()
            .contains("max weight 1.5 (150%) is outside 0% to 100%"),
        "{e}"
    );
    let e = frontier(
        &s,
        &FrontierParams {
            min_weight: Some(-0.2),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("min weight -0.2 (-20%)"), "{e}");
}

#[test]
fn a_bad_window_is_refused() {
    let env = Env::new();
    demo(&env, &["--window", "5x"]).refused("window: '5x' is not a window");
    demo(&env, &["--window", "0y"]).refused("'0y' is not a window");
}

#[test]
fn an_empty_book_is_refused() {
    let env = Env::new();
    env.create_db();
    env.run(&["--today", TODAY, "frontier"])
        .refused("no open positions in USD with a price on 2026-11-23");
}

#[test]
fn the_tool_gives_the_command_lines_figures() {
    use folio::app::tools;
    use folio::app::{Access, Clock, Session};
    let defs = tools::all();
    let def = defs
        .iter()
        .find(|d| d.name == "frontier")
        .expect("a frontier tool");
    let props = def.schema["properties"].as_object().unwrap();
    for field in [
        "window",
        "min_weight",
        "max_weight",
        "by",
        "points",
        "as_of",
    ] {
        assert!(props.contains_key(field), "{field} in {props:?}");
    }
    let s = Session::demo(
        folio::config::Config::default(),
        Clock::Fixed(TODAY.parse().unwrap()),
        None,
        Access::Read,
    )
    .unwrap();
    let args = serde_json::json!({"max_weight": 0.6, "points": 10});
    let v = tools::call(&defs, &s, "frontier", args).unwrap();
    let cli = demo(
        &Env::new(),
        &["--max-weight", "0.6", "--points", "10", "--json"],
    )
    .json();
    assert_eq!(v["report"], cli, "the tool and folio frontier --json agree");
    let e = tools::call(&defs, &s, "frontier", serde_json::json!({"max_weight": 2})).unwrap_err();
    assert!(e.contains("max weight 2 (200%)"), "{e}");
    let e = tools::call(&defs, &s, "frontier", serde_json::json!({"by": "sector"})).unwrap_err();
    assert!(e.contains("by"), "{e}");
}
