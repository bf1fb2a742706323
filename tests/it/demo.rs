//! The demo portfolio: deterministic, and holding everything the issue promises.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::common::{Env, dec, s};

fn demo(env: &Env, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--demo"];
    all.extend_from_slice(args);
    all.push("--json");
    env.command()
        .args(&all)
        .output()
        .map(crate::common::Run::from)
        .unwrap()
        .json()
}

#[test]
fn the_demo_is_deterministic() {
    let env = Env::new();
    assert_eq!(
        demo(&env, &["holdings", "--as-of", "2026-11-20"]),
        demo(&env, &["holdings", "--as-of", "2026-11-20"])
    );
    assert_eq!(demo(&env, &["transactions"]), demo(&env, &["transactions"]));
}

#[test]
fn the_demo_has_what_the_cockpit_needs() {
    let env = Env::new();
    let prices = demo(&env, &["prices"]);
    let p = prices["prices"].as_array().unwrap();
    assert!(p.len() >= 12, "{} symbols", p.len());
    for c in p {
        let (first, last): (NaiveDate, NaiveDate) = (
            s(c, "first").parse().unwrap(),
            s(c, "last").parse().unwrap(),
        );
        assert!((last - first).num_days() >= 5 * 365, "{c}");
        assert!(c["closes"].as_i64().unwrap() > 1250, "{c}");
    }
    let last_day = s(&p[0], "last").to_string();

    let accounts = demo(&env, &["accounts"]);
    let kinds: BTreeSet<&str> = accounts["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| s(a, "kind"))
        .collect();
    assert!(
        kinds.contains("taxable") && kinds.contains("ira"),
        "{kinds:?}"
    );

    let txns = demo(&env, &["transactions"]);
    let txns = txns["transactions"].as_array().unwrap();
    assert!(
        txns.iter().any(|t| t["action"] == "REINVEST"),
        "reinvested dividends"
    );
    assert!(txns.iter().any(|t| t["action"] == "DIVIDEND"));

    let realized = demo(&env, &["realized"]);
    let gains: Vec<Decimal> = realized["disposals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| dec(d, "gain").parse().unwrap())
        .collect();
    assert!(
        gains.iter().any(|g| *g > Decimal::ZERO) && gains.iter().any(|g| *g < Decimal::ZERO),
        "gains and losses: {gains:?}"
    );

    // A wash sale: a taxable sale at a loss with the same symbol bought within 30 days; the
    // ledger disallows the loss and says so.
    let wash = realized["disposals"].as_array().unwrap().iter().find(|d| {
        let sold: NaiveDate = s(d, "sold").parse().unwrap();
        dec(d, "wash_sale_disallowed") != "0"
            && txns.iter().any(|t| {
                t["account"] == "Taxable"
                    && t["symbol"] == d["symbol"]
                    && t["action"] == "BUY"
                    && (s(t, "date").parse::<NaiveDate>().unwrap() - sold)
                        .num_days()
                        .abs()
                        <= 30
            })
    });
    let wash = wash.is_some();
    assert!(wash, "the demo should contain a wash sale");

    let lots = demo(&env, &["lots", "--as-of", &last_day]);
    let losing = lots["lots"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| {
            l["unrealized_gain"]
                .as_str()
                .is_some_and(|g| g.starts_with('-'))
        })
        .count();
    assert!(losing >= 2, "open lots with unrealized losses: {losing}");

    let cash = demo(&env, &["cash"]);
    assert!(
        cash["balances"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| !s(b, "balance").starts_with('-')),
        "{cash}"
    );
}

#[test]
fn the_demo_writes_nothing_to_the_users_database() {
    let env = Env::new();
    demo(&env, &["holdings"]);
    assert!(!env.path("data/folio/folio.db").exists());
}
