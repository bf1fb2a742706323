//! Helpers: a private temp home per test, running the real binary, reading its database.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

pub struct Env {
    pub dir: TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn ok(&self) -> &Self {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Refused as bad input (exit status 2) with `message` in the error.
    #[track_caller]
    pub fn refused(&self, message: &str) -> &Self {
        assert_eq!(
            self.code, 2,
            "expected exit status 2\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        assert!(
            self.stderr.contains(message),
            "expected {message:?} in stderr:\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        self.ok();
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("folio.db")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The binary with a private home: its config and data dirs are inside the temp dir.
    pub fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_folio"));
        c.env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_DATA_HOME", self.path("data"))
            .env_remove("FOLIO_DB")
            .env_remove("FOLIO_CONFIG")
            .env("NO_COLOR", "1");
        c
    }

    /// Runs folio on this env's database.
    pub fn run(&self, args: &[&str]) -> Run {
        self.command()
            .arg("--db")
            .arg(self.db())
            .args(args)
            .output()
            .unwrap()
            .into()
    }

    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, contents).unwrap();
        p
    }

    /// Writes `contents` to `name` and imports it.
    pub fn import(&self, name: &str, contents: &str, extra: &[&str]) -> Run {
        let p = self.write(name, contents);
        let mut args = vec!["import", p.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    /// An empty folio database (the schema, no rows) at [`Env::db`].
    pub fn create_db(&self) {
        folio::store::Store::open(&self.db()).unwrap();
    }

    pub fn conn(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.db()).unwrap()
    }

    pub fn count(&self, table: &str) -> i64 {
        self.conn()
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    /// Every row of the user tables, as text: equal snapshots mean an unchanged database.
    pub fn snapshot(&self) -> String {
        snapshot(&self.db())
    }
}

pub fn snapshot(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut out = String::new();
    for table in ["accounts", "imports", "transactions", "prices"] {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2"))
            .unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                Ok((0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect::<Vec<_>>()
                    .join("|"))
            })
            .unwrap();
        for row in rows {
            out.push_str(&format!("{table}: {}\n", row.unwrap()));
        }
    }
    out
}

/// A JSON decimal string field as text.
#[track_caller]
pub fn s<'a>(v: &'a serde_json::Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {v}"))
}

/// A decimal string normalised (trailing zeros dropped) for comparisons.
#[track_caller]
pub fn dec(v: &serde_json::Value, key: &str) -> String {
    let d: rust_decimal::Decimal = s(v, key).parse().unwrap();
    d.normalize().to_string()
}

/// The folio canonical sample used by several tests (hand-computed expectations in cli.rs).
pub const SAMPLE: &str = "\
date,account,action,symbol,quantity,price,fees,amount,currency,lot,note
2024-01-02,Brokerage,DEPOSIT,,,,,10000,USD,,Opening deposit
2024-01-03,Brokerage,BUY,VTI,10,200,1,,USD,,
2024-02-01,Brokerage,BUY,VTI,5,220,1,,USD,,
2024-03-01,Brokerage,SELL,VTI,8,230,2,,USD,,
2024-03-28,Brokerage,REINVEST,VTI,0.04,237.5,,,USD,,Dividend reinvested
2024-04-01,Brokerage,FEE,,,,,5,USD,,Platform fee
2024-04-02,Roth,DEPOSIT,,,,,6500,,,Annual contribution
2024-04-03,Roth,BUY,AAPL,20,170,0,,,,
2024-06-10,Roth,SPLIT,AAPL,4,,,,,,4-for-1 split
";

pub const SAMPLE_PRICES: &str = "\
date,symbol,close
2024-06-27,VTI,248.10
2024-06-28,VTI,250
2024-06-28,AAPL,50
2024-07-01,VTI,251
";
