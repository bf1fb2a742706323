//! IBKR Flex Query CSV fixtures (tests/fixtures/flex, expected results in its README), each
//! imported into an empty database through the real binary.

use std::collections::BTreeMap;

use crate::common::{Env, dec, s};

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/flex/{name}", env!("CARGO_MANIFEST_DIR"))
}

struct Imported {
    env: Env,
    report: serde_json::Value,
}

fn import(name: &str) -> Imported {
    let env = Env::new();
    let report = env
        .run(&["import", &fixture(name), "--format", "ibkr-flex", "--json"])
        .json();
    Imported { env, report }
}

impl Imported {
    fn holdings(&self) -> BTreeMap<String, String> {
        let v = self.env.run(&["holdings", "--json"]).json();
        v["holdings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    format!("{} {}", s(h, "account"), s(h, "symbol")),
                    dec(h, "quantity"),
                )
            })
            .collect()
    }

    fn cash(&self) -> BTreeMap<String, String> {
        let v = self.env.run(&["cash", "--json"]).json();
        v["balances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                (
                    format!("{} {}", s(b, "account"), s(b, "currency")),
                    dec(b, "balance"),
                )
            })
            .collect()
    }

    fn transactions(&self) -> Vec<serde_json::Value> {
        let mut v = self.env.run(&["transactions", "--json"]).json()["transactions"]
            .as_array()
            .unwrap()
            .clone();
        v.reverse();
        v
    }
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Imports a fixture and checks the rows added, the holdings and the cash balances
/// ("ACCOUNT SYMBOL" -> quantity, "ACCOUNT CURRENCY" -> balance).
#[track_caller]
fn expect(name: &str, added: u64, holdings: &[(&str, &str)], cash: &[(&str, &str)]) -> Imported {
    let i = import(name);
    assert_eq!(i.report["added"].as_u64(), Some(added), "{}", i.report);
    assert_eq!(i.holdings(), map(holdings));
    assert_eq!(i.cash(), map(cash));
    i
}

#[test]
fn trades_plain() {
    let i = expect(
        "trades_plain.csv",
        9,
        &[
            ("U1234567 AAPL", "10"),
            ("U1234567 BND", "40"),
            ("U1234567 MSFT", "8"),
            ("U1234567 VTI", "18"),
            ("U1234567 VXUS", "50"),
        ],
        &[("U1234567 USD", "-15006.01")],
    );
    // The VTI sale carries commission and transaction tax as fees: 1 + 0.03.
    let sell = i
        .transactions()
        .into_iter()
        .find(|t| t["action"] == "SELL" && t["symbol"] == "VTI")
        .unwrap();
    assert_eq!(
        (
            dec(&sell, "quantity"),
            dec(&sell, "price"),
            dec(&sell, "fees")
        ),
        ("12".into(), "254.31".into(), "1.03".into())
    );
}

#[test]
fn cash_plain() {
    let i = expect(
        "cash_plain.csv",
        22,
        &[],
        &[("U1234567 EUR", "2018.07"), ("U1234567 USD", "8550.92")],
    );
    assert_eq!(
        i.report["skipped"],
        serde_json::json!(["1 cash rows at level SUMMARY (only DETAIL rows are imported)"])
    );
    let txns = i.transactions();
    let sum = |action: &str, ccy: &str| -> rust_decimal::Decimal {
        txns.iter()
            .filter(|t| t["action"] == action && t["currency"] == ccy)
            .map(|t| s(t, "amount").parse::<rust_decimal::Decimal>().unwrap())
            .sum()
    };
    assert_eq!(sum("DIVIDEND", "USD").to_string(), "57.00");
    assert_eq!(sum("TAX", "USD").to_string(), "8.55");
    // The reversal keeps its sign and its DateTime date, not the later ReportDate.
    assert!(txns.iter().any(|t| t["action"] == "DIVIDEND"
        && t["amount"] == "-14.61"
        && t["date"] == "2024-03-26"));
}

#[test]
fn multi_account_stacked() {
    let i = expect(
        "multi_account_stacked.csv",
        11,
        &[
            ("U1234567 AAPL", "5"),
            ("U1234567 VT", "30"),
            ("U7654321 BND", "25"),
            ("U7654321 MSFT", "6"),
        ],
        &[("U1234567 USD", "632.52"), ("U7654321 USD", "3740.65")],
    );
    assert_eq!(
        i.report["new_accounts"],
        serde_json::json!(["U1234567", "U7654321"])
    );
}

#[test]
fn bof_descriptors() {
    let i = expect(
        "bof_descriptors.csv",
        10,
        &[
            ("U1234567 VTI", "15"),
            ("U1234567 VXUS", "40"),
            ("U7654321 AAPL", "6"),
        ],
        &[("U1234567 USD", "3526.1"), ("U7654321 USD", "1612.56")],
    );
    assert_eq!(
        i.report["skipped"],
        serde_json::json!([
            "3 rows of sections other than Trades and Cash Transactions (Open Positions and the like)"
        ])
    );
}

#[test]
fn bof_bare() {
    let i = expect(
        "bof_bare.csv",
        8,
        &[("U7654321 AAPL", "12"), ("U7654321 VTI", "2")],
        &[("U7654321 USD", "1723.9")],
    );
    let interest = i
        .transactions()
        .into_iter()
        .find(|t| t["action"] == "INTEREST")
        .unwrap();
    assert_eq!(
        (dec(&interest, "amount"), s(&interest, "date")),
        ("-0.84".into(), "2024-11-04")
    );
}

#[test]
fn fx_and_non_usd() {
    // 6 rows; the USD.CHF conversion pays its commission in USD, not its CHF quote currency,
    // so that commission becomes a FEE row of its own: 7 transactions.
    let i = expect(
        "fx_nonusd.csv",
        7,
        &[("U1234567 NESN", "30"), ("U1234567 SAP", "15")],
        &[
            ("U1234567 CHF", "882.4"),
            ("U1234567 EUR", "2327.1"),
            ("U1234567 USD", "5568"),
        ],
    );
    let h = i.env.run(&["holdings", "--json"]).json();
    let ccys: Vec<&str> = h["holdings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| s(h, "currency"))
        .collect();
    assert_eq!(ccys, vec!["CHF", "EUR"]);
}

#[test]
fn skips_and_cancels() {
    let i = expect(
        "skips_and_cancels.csv",
        3,
        &[("U1234567 BND", "30"), ("U1234567 MSFT", "10")],
        &[("U1234567 USD", "-6311.28")],
    );
    let skipped: Vec<&str> = i.report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        skipped,
        vec![
            "1 OPT trades (folio tracks stocks, ETFs and cash)",
            "1 cancelled trades (the original and its cancellation)",
            "1 trade rows at level ORDER (only EXECUTION rows are imported)",
            "1 trade rows at level SYMBOL_SUMMARY (only EXECUTION rows are imported)",
        ]
    );
}

#[test]
fn overlapping_exports_are_deduplicated_by_transaction_id() {
    let env = Env::new();
    let flex = |name: &str| {
        env.run(&["import", &fixture(name), "--format", "ibkr-flex", "--json"])
            .json()
    };
    assert_eq!(flex("multi_account_stacked.csv")["added"], 11);
    let again = flex("multi_account_stacked.csv");
    assert_eq!(
        (again["added"].as_u64(), again["already_present"].as_u64()),
        (Some(0), Some(11))
    );
    // A second file for the same accounts adds only its own rows.
    assert_eq!(flex("bof_descriptors.csv")["added"], 10);
    assert_eq!(env.count("transactions"), 21);
}
