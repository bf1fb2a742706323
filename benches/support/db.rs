//! A benchmark's portfolio written to a real database, and the session that reads it.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;
use folio::app::{Access, Clock, Options, Session};
use folio::config::Config;
use folio::domain::{Account, LotMethod, Transaction};
use folio::store::{PriceRow, Store};
use rust_decimal::Decimal;

/// Writes the accounts, transactions and closes to `dir/bench.db`; the session reads it as of
/// `today`.
pub fn session(
    dir: &Path,
    accounts: &[Account],
    txns: &[Transaction],
    closes: &HashMap<String, Vec<(NaiveDate, Decimal)>>,
    today: NaiveDate,
) -> Session {
    let db = dir.join("bench.db");
    let mut store = Store::open(&db).unwrap();
    let rows: Vec<PriceRow> = closes
        .iter()
        .flat_map(|(symbol, v)| {
            v.iter().map(|(date, close)| PriceRow {
                symbol: symbol.clone(),
                date: *date,
                close: *close,
                open: None,
                high: None,
                low: None,
                volume: None,
            })
        })
        .collect();
    store
        .write(|w| -> anyhow::Result<()> {
            for a in accounts {
                w.set_account(a)?;
            }
            w.upsert_prices(&rows)?;
            w.insert_transactions("bench", "canonical", txns, LotMethod::Fifo)?;
            Ok(())
        })
        .unwrap();
    Session::new(Options {
        db_path: db,
        access: Access::Read,
        config: Config::default(),
        clock: Clock::Fixed(today),
        data_dir: None,
    })
}
