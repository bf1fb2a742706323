//! Benchmarks of the hot paths named in the foundation issue (figures in BENCHMARKS.md):
//! importing a 100,000-row canonical CSV into a fresh database, rebuilding all lots from
//! 100,000 transactions, and `folio holdings --json` on that database as a whole process.
//!
//! Run with `cargo bench --bench hot_paths`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use chrono::{Days, NaiveDate};
use folio::domain::LotMethod;
use folio::import::{self, canonical};
use folio::store::Store;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

const ROWS: usize = 100_000;

// The same allocator as the folio binary, so in-process figures match the product.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

/// A realistic 100,000-row canonical CSV: 4 accounts, 60 symbols, about 7 years of buys,
/// sells (never more than held), dividends, fees and deposits. Seeded.
fn csv() -> &'static str {
    static CSV: OnceLock<String> = OnceLock::new();
    CSV.get_or_init(|| {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(100_000);
        let accounts = ["Taxable", "Joint", "IRA", "Roth"];
        let mut held: BTreeMap<(usize, usize), u64> = BTreeMap::new();
        let start = NaiveDate::from_ymd_opt(2018, 1, 2).unwrap();
        let mut out = String::from(
            "date,account,action,symbol,quantity,price,fees,amount,currency,lot,note\n",
        );
        for a in accounts {
            out.push_str(&format!("{start},{a},DEPOSIT,,,,,50000000,USD,,\n"));
        }
        for i in accounts.len()..ROWS {
            let date = start + Days::new((i / 40) as u64);
            let (a, s) = (
                rng.random_range(0..accounts.len()),
                rng.random_range(0..60usize),
            );
            let price = format!(
                "{}.{:02}",
                rng.random_range(5..900),
                rng.random_range(0..100)
            );
            let roll = rng.random_range(0..100);
            let have = held.get(&(a, s)).copied().unwrap_or(0);
            let line = if roll < 30 && have > 0 {
                let q = rng.random_range(1..=have);
                held.insert((a, s), have - q);
                format!("{date},{},SELL,S{s:02},{q},{price},1,,USD,,", accounts[a])
            } else if roll < 40 && have > 0 {
                format!(
                    "{date},{},DIVIDEND,S{s:02},,,,{}.{:02},USD,,",
                    accounts[a],
                    rng.random_range(1..500),
                    rng.random_range(0..100)
                )
            } else if roll < 42 {
                format!(
                    "{date},{},FEE,,,,,{}.50,USD,,",
                    accounts[a],
                    rng.random_range(1..20)
                )
            } else {
                let q = rng.random_range(1..200u64);
                *held.entry((a, s)).or_default() += q;
                format!("{date},{},BUY,S{s:02},{q},{price},1,,USD,,", accounts[a])
            };
            out.push_str(&line);
            out.push('\n');
        }
        out
    })
}

/// Parse, validate (ledger replay included) and write the file into a fresh database.
fn import_into(db: &Path) -> usize {
    let batch = canonical::parse("bench.csv", csv().as_bytes(), "USD").unwrap();
    let mut store = Store::open(db).unwrap();
    store
        .write(|w| -> anyhow::Result<usize> {
            let plan = import::plan(&batch, &w.transactions()?, &w.accounts()?, LotMethod::Fifo)?;
            Ok(w.insert_transactions("bench.csv", "canonical", &plan.new, LotMethod::Fifo)?)
        })
        .unwrap()
}

#[divan::bench(sample_count = 10)]
fn import_100k_rows_into_a_fresh_database(bencher: divan::Bencher) {
    csv();
    bencher
        .with_inputs(|| tempfile::tempdir().unwrap())
        .bench_local_values(|dir| {
            let n = import_into(&dir.path().join("bench.db"));
            assert_eq!(n, ROWS);
            dir
        });
}

/// A database holding the 100,000 transactions, built once.
fn database() -> &'static PathBuf {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("bench.db");
        import_into(&db);
        (dir, db)
    })
    .1
}

/// How many lots and disposals the replay makes of `txns` (wash sales split lots).
fn print_pieces(txns: &[folio::domain::Transaction]) {
    let (book, _) = folio::ledger::replay(txns, &folio::ledger::Policy::uniform(LotMethod::Fifo));
    let washed = book
        .realized
        .iter()
        .filter(|d| !d.disallowed.is_zero())
        .count();
    eprintln!(
        "{} open lots, {} disposals, {washed} of them wash sales",
        book.lots().count(),
        book.realized.len()
    );
}

#[divan::bench(sample_count = 20)]
fn rebuild_all_lots_from_100k_transactions(bencher: divan::Bencher) {
    let txns = Store::open(database()).unwrap().transactions().unwrap();
    assert_eq!(txns.len(), ROWS);
    print_pieces(&txns);
    bencher.bench_local(|| {
        let (book, errors) =
            folio::ledger::replay(&txns, &folio::ledger::Policy::uniform(LotMethod::Fifo));
        assert!(errors.is_empty());
        book
    });
}

/// The same 100,000 transactions with each symbol's trade prices on a random walk (about 1% a
/// day) instead of drawn anew for every trade (5 to 900): fewer, smaller losses, as in a real
/// history, so far fewer wash-sale pieces.
#[divan::bench(sample_count = 20)]
fn rebuild_all_lots_random_walk_prices(bencher: divan::Bencher) {
    let mut txns = Store::open(database()).unwrap().transactions().unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let mut level: BTreeMap<String, f64> = BTreeMap::new();
    let mut last_day: BTreeMap<String, NaiveDate> = BTreeMap::new();
    txns.sort_by_key(|t| (t.date, t.id));
    for t in txns.iter_mut().filter(|t| t.price.is_some()) {
        let sym = t.symbol.clone().unwrap_or_default();
        let days = last_day
            .insert(sym.clone(), t.date)
            .map_or(0, |d| (t.date - d).num_days());
        let p = level.entry(sym).or_insert(100.0);
        for _ in 0..days {
            *p *= 1.0 + rng.random_range(-0.017..0.0175);
        }
        t.price = Some(rust_decimal::Decimal::try_from(*p).unwrap().round_dp(2));
    }
    print_pieces(&txns);
    bencher.bench_local(|| {
        folio::ledger::replay(&txns, &folio::ledger::Policy::uniform(LotMethod::Fifo))
    });
}

#[divan::bench(sample_count = 20)]
fn load_and_rebuild_lots_from_the_database(bencher: divan::Bencher) {
    let db = database();
    bencher.bench_local(|| {
        let txns = Store::open(db).unwrap().transactions().unwrap();
        folio::ledger::replay(&txns, &folio::ledger::Policy::uniform(LotMethod::Fifo))
    });
}

#[divan::bench(sample_count = 10)]
fn holdings_json_process_on_100k_transactions(bencher: divan::Bencher) {
    let db = database();
    let home = tempfile::tempdir().unwrap();
    bencher.bench_local(|| {
        let out = Command::new(env!("CARGO_BIN_EXE_folio"))
            .env("XDG_DATA_HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path())
            .arg("--db")
            .arg(db)
            .args(["holdings", "--json"])
            .output()
            .unwrap();
        assert!(out.status.success());
        out.stdout.len()
    });
}
