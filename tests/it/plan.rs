//! `folio plan`: reproducibility across thread counts, the history models on a fixture, the
//! download of the history over real HTTP on 127.0.0.1, saved plans and bad input.

use serde_json::Value;

use super::common::Env;
use super::http_peer::Peer;

/// The plan's JSON without what depends on the machine (time, threads).
fn numbers(mut v: Value) -> Value {
    let o = v.as_object_mut().unwrap();
    o.remove("elapsed_ms");
    o.remove("threads");
    v
}

#[test]
fn a_seed_gives_the_same_numbers_on_1_2_and_4_threads() {
    let env = Env::new();
    let run = |threads: &str, seed: &str| {
        numbers(
            env.run(&[
                "plan",
                "--initial",
                "1m",
                "--years",
                "30",
                "--withdrawal-rate",
                "0.04",
                "--stocks",
                "0.6",
                "--bonds",
                "0.3",
                "--cash",
                "0.1",
                "--model",
                "student-t",
                "--steps",
                "monthly",
                "--paths",
                "3000",
                "--seed",
                seed,
                "--threads",
                threads,
                "--json",
            ])
            .json(),
        )
    };
    let one = run("1", "7");
    assert_eq!(one, run("2", "7"));
    assert_eq!(one, run("4", "7"));
    assert_eq!(one["paths"], 3000);
    assert_eq!(one["seed"], 7);
    assert_eq!(one["model"], "student-t");
    let p = one["success_rate"].as_f64().unwrap();
    assert!(p > 0.3 && p < 1.0, "{p}");
    // Another seed, other numbers.
    assert_ne!(one, run("2", "8"));
}

#[test]
fn the_json_carries_every_result() {
    let env = Env::new();
    let v = env
        .run(&[
            "plan",
            "--initial",
            "1000000",
            "--years",
            "30",
            "--withdrawal-rate",
            "0.04",
            "--stocks",
            "0.6",
            "--bonds",
            "0.4",
            "--paths",
            "2000",
            "--json",
        ])
        .json();
    for key in [
        "paths",
        "seed",
        "model",
        "elapsed_ms",
        "success_rate",
        "success_ci95",
        "percentiles",
        "terminal",
        "failures",
        "withdrawals",
        "assets",
        "correlations",
    ] {
        assert!(v.get(key).is_some(), "{key} missing: {v}");
    }
    assert_eq!(v["seed"], 42, "the default seed");
    let percentiles = v["percentiles"].as_array().unwrap();
    assert_eq!(percentiles.len(), 31);
    assert_eq!(
        percentiles[0]["p50"], "1000000.00",
        "money is a decimal string"
    );
    let p = v["success_rate"].as_f64().unwrap();
    let ci = v["success_ci95"].as_array().unwrap();
    let se = (p * (1.0 - p) / 2000.0).sqrt();
    assert!((ci[0].as_f64().unwrap() - (p - 1.96 * se)).abs() < 1e-5);
    // The bands are ordered at every year.
    for y in percentiles {
        let q: Vec<f64> = ["p5", "p25", "p50", "p75", "p95"]
            .iter()
            .map(|k| y[k].as_str().unwrap().parse().unwrap())
            .collect();
        assert!(q.windows(2).all(|w| w[0] <= w[1]), "{y}");
    }
    // Failures add up to the paths that did not succeed.
    let failed: u64 = v["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["paths"].as_u64().unwrap())
        .sum();
    assert_eq!(failed as f64, ((1.0 - p) * 2000.0).round());
}

const FIXTURE: &str = "year,stocks,bonds,inflation
2000,0.10,0.00,0.00
2001,-0.50,0.00,0.10
2002,0.20,0.00,0.00
2003,0.00,0.00,0.00
2004,0.50,0.00,0.00
";

#[test]
fn historical_windows_are_each_start_year_once_and_success_is_money_left() {
    let env = Env::new();
    let file = env.write("returns.csv", FIXTURE);
    let run = |rate: &str| {
        env.run(&[
            "plan",
            "--model",
            "historical",
            "--history",
            file.to_str().unwrap(),
            "--initial",
            "100",
            "--years",
            "3",
            "--stocks",
            "1",
            "--withdrawal-rate",
            rate,
            "--json",
        ])
        .json()
    };
    // Windows 2000-02, 2001-03, 2002-04, withdrawing 30 (real) at the start of each year:
    // 2000: 77 -> 23.5 -> cannot pay 33; 2001: 35 -> 2.4 -> cannot pay 33; 2002: 84 -> 54 -> 36.
    let v = run("0.3");
    assert_eq!(v["paths"], 3);
    assert_eq!(v["history"]["first_year"], 2000);
    assert_eq!(v["history"]["last_year"], 2004);
    assert!((v["success_rate"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-6);
    assert_eq!(v["failures"][0]["year"], 3);
    assert_eq!(v["failures"][0]["paths"], 2);
    // At 15%: 2000: 93.5 -> 39.25 -> 27.3; 2001: 42.5 -> 31.2 -> 14.7; 2002: 102 -> 87 -> 108:
    // every window has money left.
    let v = run("0.15");
    assert_eq!(v["success_rate"], 1.0);
    assert_eq!(
        v["inflation"],
        Value::Null,
        "inflation comes from the history"
    );
}

#[test]
fn the_history_is_downloaded_once_and_cached() {
    // Shiller's monthly layout for 1990-01 to 1996-01 (made-up numbers): six yearly returns.
    let mut monthly = String::from(
        "Date,SP500,Dividend,Earnings,Consumer Price Index,Long Interest Rate,Real Price,Real Dividend,Real Earnings,PE10\n",
    );
    for k in 0..=72 {
        let (y, m) = (1990 + k / 12, k % 12 + 1);
        let price = 100.0 + f64::from(k) * if (k / 12) % 2 == 0 { 1.0 } else { -0.5 };
        monthly.push_str(&format!(
            "{y}-{m:02}-01,{price},3,5,{},5,0,0,0,0\n",
            100 + k
        ));
    }
    monthly.push_str("1996-02-01,150,0,0,0,0,0,0,0,0\n");
    let peer = Peer::start(move |_, _| (200, monthly.clone(), Vec::new()));
    let env = Env::new();
    let url = format!("{}/data.csv", peer.url);
    let config = env.write("config.toml", &format!("[plan]\nhistory_url = \"{url}\"\n"));
    let args = [
        "--config",
        config.to_str().unwrap(),
        "plan",
        "--model",
        "historical",
        "--initial",
        "1000",
        "--years",
        "2",
        "--withdrawal-rate",
        "0.04",
        "--json",
    ];
    let v = env.run(&args).json();
    assert_eq!(v["history"]["first_year"], 1990);
    assert_eq!(v["history"]["last_year"], 1995);
    assert_eq!(v["paths"], 5, "six years hold five 2-year windows");
    assert!(
        v["history"]["source"]
            .as_str()
            .unwrap()
            .contains("downloaded now")
    );
    let cached: Vec<_> = std::fs::read_dir(env.path("data/folio"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("yearly-returns-"))
        .collect();
    assert_eq!(cached.len(), 1, "{cached:?}");
    let again = env.run(&args).json();
    assert!(
        again["history"]["source"]
            .as_str()
            .unwrap()
            .contains("cached")
    );
    assert_eq!(peer.hits().len(), 1, "downloaded once");
    assert_eq!(
        numbers(v.clone())["success_rate"],
        numbers(again)["success_rate"]
    );
}

#[test]
fn offline_without_a_cache_says_what_to_do() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = Env::new();
    let config = env.write(
        "config.toml",
        &format!("[plan]\nhistory_url = \"http://127.0.0.1:{port}/data.csv\"\n"),
    );
    let r = env.run(&[
        "--config",
        config.to_str().unwrap(),
        "plan",
        "--model",
        "bootstrap",
        "--initial",
        "1000",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("cannot download US yearly returns")
            && r.stderr.contains("--history FILE"),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_input_is_refused_with_exit_status_2() {
    let env = Env::new();
    let fixture = env.write(
        "missing.csv",
        "year,stocks,bonds,inflation\n2000,0.1,0,0\n2002,0.1,0,0\n",
    );
    let malformed = env.write(
        "malformed.csv",
        "year,stocks,bonds,inflation\n2000,0.1,0,0\n2001,ten,0,0\n",
    );
    let cases: &[(&[&str], &str)] = &[
        (
            &["plan", "--initial", "1m", "--paths", "-5"],
            "'-5' is not a number of paths",
        ),
        (
            &[
                "plan",
                "--initial",
                "1m",
                "--stocks",
                "0.5",
                "--bonds",
                "0.4",
            ],
            "the weights sum to 0.9 (stocks 0.5, bonds 0.4); they must sum to 1",
        ),
        (
            &[
                "plan",
                "--initial",
                "1m",
                "--model",
                "historical",
                "--history",
                fixture.to_str().unwrap(),
            ],
            "year 2001 is missing (between 2000 on line 2 and 2002 on line 3)",
        ),
        (
            &[
                "plan",
                "--initial",
                "1m",
                "--model",
                "bootstrap",
                "--history",
                malformed.to_str().unwrap(),
            ],
            "line 3: 'ten' in column stocks is not a number",
        ),
        (&["plan", "--initial", "-3"], "an amount cannot be negative"),
        (
            &[
                "plan",
                "--initial",
                "1m",
                "--withdrawal-rate",
                "0.04",
                "--withdrawal",
                "40000",
            ],
            "not both",
        ),
        (
            &[
                "plan",
                "--initial",
                "1m",
                "--history",
                fixture.to_str().unwrap(),
            ],
            "a history file is for the",
        ),
        (&["plan", "--load", "nothing"], "there is no database"),
        // What to type, in flags: the model's own words name none.
        (
            &["plan", "--years", "20"],
            "give --initial, --from-portfolio or --contribution",
        ),
    ];
    for (args, message) in cases {
        let r = env.run(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(message), "{args:?}: {}", r.stderr);
    }
}

#[test]
fn plans_are_saved_listed_loaded_and_deleted() {
    let env = Env::new();
    let first = env
        .run(&[
            "plan",
            "--initial",
            "500k",
            "--years",
            "20",
            "--withdrawal-rate",
            "0.05",
            "--paths",
            "1000",
            "--save",
            "early",
            "--json",
        ])
        .json();
    let list = env.run(&["plan", "--list", "--json"]).json();
    let list = &list["plans"];
    assert_eq!(list[0]["name"], "early");
    assert_eq!(list[0]["inputs"]["withdrawal_rate"], 0.05);
    assert_eq!(list[0]["summary"]["success_rate"], first["success_rate"]);
    let loaded = env.run(&["plan", "--load", "early", "--json"]).json();
    assert_eq!(numbers(first), numbers(loaded));
    let r = env.run(&["plan", "--load", "early", "--years", "5"]);
    r.refused("runs the plan as saved");
    let text = env.run(&["plan", "--list"]);
    assert!(text.ok().stdout.contains("early"), "{}", text.stdout);
    // A solved plan is saved with its answer.
    let solved = env
        .run(&[
            "plan",
            "--initial",
            "500k",
            "--withdrawal-rate",
            "0.04",
            "--paths",
            "500",
            "--retire-in",
            "0",
            "--solve",
            "withdrawal-rate",
            "--save",
            "solved",
            "--json",
        ])
        .json();
    let list = env.run(&["plan", "--list", "--json"]).json();
    let saved = list["plans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "solved")
        .unwrap();
    assert_eq!(saved["inputs"]["withdrawal_rate"], solved["solve"]["value"]);
    env.run(&["plan", "--delete", "solved"]).ok();
    env.run(&["plan", "--delete", "early"]).ok();
    assert_eq!(
        env.run(&["plan", "--list", "--json"]).json(),
        serde_json::json!({ "plans": [] })
    );
    let r = env.run(&["plan", "--delete", "early"]);
    r.refused("no saved plan named 'early'");
    let r = env.run(&["plan", "--delete", "early", "--json"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
}

#[test]
fn deleting_a_plan_where_there_is_no_database_creates_none() {
    let env = Env::new();
    let r = env.run(&["plan", "--delete", "early"]);
    r.refused("no saved plan named 'early'");
    assert!(!env.db().exists());
    let r = env.run(&["plan", "--list", "--json"]);
    r.refused("there is no database at");
    assert!(!env.db().exists());
}

#[test]
fn the_demo_plans_from_its_holdings_and_the_solvers_hit_their_targets() {
    let env = Env::new();
    let v = env
        .command()
        .args([
            "--demo",
            "plan",
            "--from-portfolio",
            "--years",
            "25",
            "--withdrawal",
            "15000",
            "--strategy",
            "guyton-klinger",
            "--paths",
            "2000",
            "--json",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&v.stdout).unwrap();
    let assets = v["assets"].as_array().unwrap();
    assert!(assets.len() > 5, "{assets:?}");
    let weights: f64 = assets.iter().map(|a| a["weight"].as_f64().unwrap()).sum();
    assert!((weights - 1.0).abs() < 1e-4);
    assert!(v["estimate_days"].as_u64().unwrap() > 250);
    assert!(v["initial"].as_str().unwrap().parse::<f64>().unwrap() > 100_000.0);
    // The safe withdrawal rate for 90%: success at it is at least 90%.
    let s = env
        .run(&[
            "plan",
            "--initial",
            "1m",
            "--withdrawal-rate",
            "0.04",
            "--paths",
            "2000",
            "--solve",
            "withdrawal-rate",
            "--target-success",
            "0.9",
            "--json",
        ])
        .json();
    let rate = s["solve"]["value"].as_f64().unwrap();
    assert!(rate > 0.02 && rate < 0.08, "{rate}");
    assert_eq!(s["withdrawal_rate"], rate);
    assert!(s["success_rate"].as_f64().unwrap() >= 0.9);
    let c = env
        .run(&[
            "plan",
            "--initial",
            "10000",
            "--goal",
            "250000",
            "--years",
            "10",
            "--contribution",
            "1000/month",
            "--paths",
            "2000",
            "--solve",
            "contribution",
            "--json",
        ])
        .json();
    assert!(c["goal"]["probability"].as_f64().unwrap() >= 0.9);
    assert_eq!(c["solve"]["target_success"], 0.9);
    let per_year: f64 = c["contribution_per_year"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(per_year, c["solve"]["value"].as_f64().unwrap());
}
