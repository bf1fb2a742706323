//! Malformed files: each is rejected whole with exit status 2, a message a user can act on
//! (file:line: column: reason), and the database exactly as it was.

use crate::common::{Env, SAMPLE};

/// Imports `contents` into a database that already holds the sample; asserts the rejection and
/// that nothing changed; returns stderr.
#[track_caller]
fn rejected(contents: &[u8], extra: &[&str]) -> String {
    let env = Env::new();
    env.import("sample.csv", SAMPLE, &[]).ok();
    let before = env.snapshot();
    let path = env.path("bad.csv");
    std::fs::write(&path, contents).unwrap();
    let mut args = vec!["import", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    let r = env.run(&args);
    assert_eq!(
        r.code, 2,
        "expected exit 2\nstdout: {}\nstderr: {}",
        r.stdout, r.stderr
    );
    assert!(r.stderr.contains("nothing was written"), "{}", r.stderr);
    assert_eq!(env.snapshot(), before, "the database changed");
    // Both the table and the message name the file by the path the user gave.
    r.stderr.replace(path.to_str().unwrap(), "bad.csv")
}

#[track_caller]
fn assert_has(stderr: &str, expected: &str) {
    assert!(
        stderr.contains(expected),
        "expected {expected:?} in:\n{stderr}"
    );
}

#[test]
fn missing_column() {
    let e = rejected(
        b"date,account,symbol,quantity,price\n2024-01-02,A,VTI,1,10\n",
        &[],
    );
    assert_has(
        &e,
        "bad.csv:1: header: the header lacks the column action; expected a header like: date,account,action,",
    );
}

#[test]
fn bad_date() {
    let e = rejected(b"date,account,action,symbol,quantity,price\n2024-01-02,A,BUY,VTI,1,10\n2024-13-01,A,BUY,VTI,1,10\n03/04/2024,A,BUY,VTI,1,10\n", &[]);
    assert_has(
        &e,
        "bad.csv:3: date: '2024-13-01' is not a date; write dates as YYYY-MM-DD, e.g. 2024-03-15",
    );
    assert_has(&e, "bad.csv:4: date: '03/04/2024' is not a date");
    assert_has(&e, "2 problems found");
}

#[test]
fn bad_number() {
    let e = rejected(b"date,account,action,symbol,quantity,price\n2024-01-02,A,BUY,VTI,1O,10\n2024-01-02,A,BUY,VTI,1,\"$1,000.00\"\n", &[]);
    assert_has(
        &e,
        "bad.csv:2: quantity: '1O' is not a number; write plain numbers like 1234.56",
    );
    assert_has(&e, "bad.csv:3: price: '$1,000.00' is not a number");
}

#[test]
fn absurdly_large_numbers() {
    let e = rejected(b"date,account,action,symbol,quantity,price\n2024-01-02,A,BUY,VTI,99999999999999999,99999999999999999\n2024-01-02,A,BUY,VTI,1,99999999999999999999999999999999\n", &[]);
    assert_has(
        &e,
        "bad.csv:2: quantity: 99999999999999999 is too large: folio handles values up to 1,000,000,000,000",
    );
    assert_has(&e, "bad.csv:2: price: 99999999999999999 is too large");
    assert_has(
        &e,
        "bad.csv:3: price: '99999999999999999999999999999999' is too large",
    );
}

#[test]
fn unknown_action() {
    let e = rejected(
        b"date,account,action,symbol,quantity,price\n2024-01-02,A,BUYY,VTI,1,10\n",
        &[],
    );
    assert_has(
        &e,
        "bad.csv:2: action: unknown action 'BUYY' (expected one of BUY, SELL, DIVIDEND, REINVEST,",
    );
}

#[test]
fn sell_of_unheld_shares_names_the_row() {
    // The database holds 7.04 VTI in Brokerage after the sample.
    let e = rejected(b"date,account,action,symbol,quantity,price\n2024-07-01,Brokerage,BUY,VTI,1,250\n2024-07-02,Brokerage,SELL,VTI,50,251\n2024-07-02,Brokerage,SELL,MSFT,1,400\n", &[]);
    assert_has(
        &e,
        "bad.csv:3: quantity: sells 50 VTI from Brokerage on 2024-07-02, but only 8.04 are held",
    );
    assert_has(
        &e,
        "bad.csv:4: quantity: sells 1 MSFT from Brokerage on 2024-07-02, but the account holds none",
    );
}

#[test]
fn an_earlier_sale_that_starves_a_stored_one_is_rejected() {
    // Selling 8 VTI in February leaves 7, too little for the stored March sale of 8.
    let e = rejected(
        b"date,account,action,symbol,quantity,price\n2024-02-15,Brokerage,SELL,VTI,8,210\n",
        &[],
    );
    assert_has(
        &e,
        "sells 8 VTI from Brokerage on 2024-03-01, but only 7 are held (a transaction already in the database",
    );
}

#[test]
fn missing_fields_for_the_action() {
    let e = rejected(b"date,account,action,symbol,quantity,price,amount\n2024-01-02,A,BUY,,1,10,\n2024-01-02,A,DEPOSIT,,,,\n2024-01-02,A,SPLIT,VTI,,,\n,A,FEE,,,,1\n", &[]);
    assert_has(&e, "bad.csv:2: symbol: BUY needs a symbol");
    assert_has(
        &e,
        "bad.csv:3: amount: DEPOSIT needs amount (the cash moved)",
    );
    assert_has(
        &e,
        "bad.csv:4: quantity: SPLIT needs quantity (the split ratio, e.g. 4 for 4:1)",
    );
    assert_has(&e, "bad.csv:5: date: is empty but required");
}

#[test]
fn empty_file() {
    let e = rejected(b"", &[]);
    assert_has(
        &e,
        "bad.csv: the file is empty; expected a header row such as: date,account,action,symbol,quantity,price,fees,amount,currency,lot,note",
    );
}

#[test]
fn wrong_delimiter() {
    let e = rejected(
        b"date;account;action;symbol;quantity;price\n2024-01-02;A;BUY;VTI;1;10\n",
        &[],
    );
    assert_has(
        &e,
        "bad.csv:1: header: the header lacks the columns date, account, action; the file looks ';'-separated, but folio reads comma-separated CSV: export it with commas",
    );
}

#[test]
fn a_ragged_row_names_its_line() {
    let e = rejected(b"date,account,action,symbol,quantity,price\n2024-01-02,A,BUY,VTI,1,10\n2024-01-02,A,BUY,VTI,1,1,000.50\n", &[]);
    assert_has(
        &e,
        "bad.csv:3: row: has 7 fields but the header has 6; quote values that contain commas",
    );
}

#[test]
fn unknown_columns_are_refused() {
    let e = rejected(
        b"date,account,action,symbol,qty,price\n2024-01-02,A,BUY,VTI,1,10\n",
        &[],
    );
    assert_has(&e, "bad.csv:1: header: unknown column 'qty'");
}

#[test]
fn a_flex_file_with_us_dates_is_refused() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/flex/bad_us_dates.csv"
    ))
    .unwrap();
    let e = rejected(&bytes, &["--format", "ibkr-flex"]);
    assert_has(
        &e,
        "TradeDate: '03/04/2024' has an ambiguous day/month order; set the Flex Query's date format to yyyyMMdd or yyyy-MM-dd",
    );
}

#[test]
fn a_canonical_file_given_as_flex_is_refused() {
    let e = rejected(SAMPLE.as_bytes(), &["--format", "ibkr-flex"]);
    assert_has(
        &e,
        "bad.csv:1: row: data before any header row: this is not a Flex Query CSV export with column headers (for folio's own format, drop --format ibkr-flex)",
    );
    assert_has(&e, "1 problem found");
}

#[test]
fn at_most_fifty_problems_are_listed() {
    let mut csv = String::from("date,account,action,symbol,quantity,price\n");
    for _ in 0..70 {
        csv.push_str("2024-01-02,A,BUYY,VTI,1,10\n");
    }
    let e = rejected(csv.as_bytes(), &[]);
    assert_has(&e, "70 problems found");
    assert_has(&e, "bad.csv:51: action");
    assert!(!e.contains("bad.csv:52: action"), "{e}");
    assert_has(&e, "... and 20 more");
}

#[test]
fn a_utf8_bom_and_odd_spelling_are_accepted() {
    let env = Env::new();
    let csv = "\u{feff}Date,ACCOUNT, Action ,Symbol,Quantity,Price,Fees\n2024-01-02,A,buy,vti,1,10,0\n\n2024-01-03,A,Transfer_Out,vti,1,,\n";
    let r = env.import("bom.csv", csv, &["--json"]).json();
    assert_eq!(r["added"], 2);
    let t = env.run(&["transactions", "--json"]).json();
    assert_eq!(t["transactions"][1]["symbol"], "VTI");
    assert_eq!(t["transactions"][0]["action"], "TRANSFER_OUT");
}

#[test]
fn a_flex_file_without_trades_or_cash_is_refused() {
    let positions = "\"ClientAccountID\",\"CurrencyPrimary\",\"Symbol\",\"Quantity\",\"MarkPrice\",\"PositionValue\"\n\"U1234567\",\"USD\",\"VTI\",\"10\",\"250\",\"2500\"\n";
    let e = rejected(positions.as_bytes(), &["--format", "ibkr-flex"]);
    assert_has(
        &e,
        "bad.csv: no Trades or Cash Transactions section found; the Flex Query needs at least one of them",
    );
}
