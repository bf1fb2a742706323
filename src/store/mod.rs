//! SQLite: opening, migrations and every query. The only module that writes SQL.

mod chat;
mod journal;
mod migrations;
mod targets;

pub use chat::{StoredMessage, Thread};
pub use targets::{TargetKind, TargetSet};

pub use journal::{OrderChange, Stored};

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use rust_decimal::Decimal;

use crate::domain::{
    Account, AccountKind, Action, Freshness, LotMethod, Quote, QuoteSource, Relief, Transaction,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "there is no database at {0}: check the path (--db, FOLIO_DB or [database] path), or create it by importing transactions: folio import FILE"
    )]
    Missing(PathBuf),
    #[error(
        "the database {0} was written by an older folio and must be upgraded first, which writes to it: run any folio command (folio holdings) once as a user who can write to it and its directory"
    )]
    NeedsUpgrade(PathBuf),
    #[error("cannot open the database {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error(
        "the database {0} cannot be written: the file or its directory is read-only for this user; check their permissions (commands that only read still work)"
    )]
    ReadOnly(PathBuf),
    #[error("the database {0} was written by a newer version of folio; upgrade folio to read it")]
    TooNew(PathBuf),
    /// Said once: the SQLite error is the message, not a cause repeated after it.
    #[error("database error: {0}")]
    Sql(rusqlite::Error),
    #[error(
        "the database holds a value folio cannot read: table {table}, row {id}, {column} = '{value}'"
    )]
    Corrupt {
        table: &'static str,
        id: i64,
        column: &'static str,
        value: String,
    },
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Sql(e)
    }
}

impl StoreError {
    /// A write refused because the file or its directory is read-only becomes
    /// [`StoreError::ReadOnly`]; anything else stays the SQLite error.
    fn writing(path: &Path, e: rusqlite::Error) -> StoreError {
        if is_read_only(&e) {
            StoreError::ReadOnly(path.to_path_buf())
        } else {
            StoreError::Sql(e)
        }
    }

    /// The user named a file that is not there (exit status 2).
    pub fn is_bad_input(&self) -> bool {
        matches!(self, StoreError::Missing(_))
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// What the database holds, in brief: see [`Store::fingerprint`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fingerprint {
    /// Transactions (count, largest id) and the accounts' settings.
    pub ledger: (i64, i64, String),
    /// Prices (count, newest day).
    pub prices: (i64, String),
    /// Executions (count, sum of their versions): a commission or a correction booked into a
    /// transaction already there changes it.
    pub fills: (i64, i64),
    /// The target mixes, as text.
    pub targets: String,
}

/// Per symbol: its latest close on or before a day, that day, and the close before it.
pub type LastCloses = HashMap<String, (NaiveDate, Decimal, Option<Decimal>)>;

/// An open folio database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating it with mode 0600 if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        let open_err = |e: &dyn std::fmt::Display| StoreError::Open {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        let writing = |e: rusqlite::Error| StoreError::writing(path, e);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| open_err(&e))?;
        }
        // Create the file ourselves so it is private from the first byte; SQLite gives the
        // -wal and -shm files the same mode.
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Err(StoreError::ReadOnly(path.to_path_buf()));
            }
            Err(e) => return Err(open_err(&e)),
        }
        let mut conn = Connection::open(path).map_err(|e| open_err(&e))?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::NotADatabase =>
                {
                    open_err(&format!(
                        "{} is not a folio database (not SQLite)",
                        path.display()
                    ))
                }
                e => writing(e),
            })?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(mode, "SQLite refused WAL mode");
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(writing)?;
        // 32 MiB of page cache instead of 2: a 100,000-row import then writes each page once.
        conn.pragma_update(None, "cache_size", -32_000)?;
        migrations::migrations()
            .to_latest(&mut conn)
            .map_err(|e| match e {
                rusqlite_migration::Error::MigrationDefinition(
                    rusqlite_migration::MigrationDefinitionError::DatabaseTooFarAhead,
                ) => StoreError::TooNew(path.to_path_buf()),
                rusqlite_migration::Error::RusqliteError { err, .. } => writing(err),
                e => open_err(&e),
            })?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Opens an existing database for reading only: nothing is created or changed, and a
    /// database in a directory the user cannot write to (or a file they cannot write) is still
    /// read. A database of an older schema is upgraded first when it can be written.
    ///
    /// `upgrade` false never writes at all: an older schema is then an error (`folio mcp`).
    pub fn open_read_only(path: &Path, upgrade: bool) -> Result<Store> {
        // An empty file is not a database yet either: reading must not make it one.
        if std::fs::metadata(path).map_or(true, |m| m.len() == 0) {
            return Err(StoreError::Missing(path.to_path_buf()));
        }
        let conn = read_only_connection(path)?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let latest = migrations::STEPS.len() as i64;
        if version > latest {
            return Err(StoreError::TooNew(path.to_path_buf()));
        }
        if version < latest {
            drop(conn);
            if !upgrade {
                return Err(StoreError::NeedsUpgrade(path.to_path_buf()));
            }
            // Upgrading writes; a file the user cannot write stays as it is.
            return match Store::open(path) {
                Ok(_) => Store::open_read_only(path, false),
                Err(StoreError::ReadOnly(_)) => Err(StoreError::NeedsUpgrade(path.to_path_buf())),
                Err(StoreError::Sql(e)) if is_read_only(&e) => {
                    Err(StoreError::NeedsUpgrade(path.to_path_buf()))
                }
                Err(e) => Err(e),
            };
        }
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// SQLite's count of commits by other connections since this one opened: when it changes,
    /// another process (an import in another shell) changed the database.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn accounts(&self) -> Result<Vec<Account>> {
        accounts(&self.conn)
    }

    pub fn transactions(&self) -> Result<Vec<Transaction>> {
        transactions(&self.conn)
    }

    /// The accounts and the transactions as of one moment (a read transaction around both,
    /// so that an import committing in between cannot split them).
    pub fn ledger_rows(&self) -> Result<(Vec<Account>, Vec<Transaction>)> {
        let tx = self.conn.unchecked_transaction()?;
        let out = (accounts(&tx)?, transactions(&tx)?);
        tx.finish()?;
        Ok(out)
    }

    /// What identifies the contents without reading them: the transactions' count and
    /// largest id, every account's settings, and the prices' count and newest day. Cheap
    /// beside reading the rows; see [`Store::data_version`] for when to ask.
    pub fn fingerprint(&self) -> Result<Fingerprint> {
        let ledger: (i64, i64) = self.conn.query_row(
            "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM transactions",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let accounts: String = self.conn.query_row(
            "SELECT COALESCE(group_concat(name || '|' || kind || '|' || lot_method, ';'), '') FROM (SELECT * FROM accounts ORDER BY id)",
            [],
            |r| r.get(0),
        )?;
        let prices: (i64, String) = self.conn.query_row(
            "SELECT COUNT(*), COALESCE(MAX(date), '') FROM prices",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let fills: (i64, i64) = self.conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(version), 0) FROM executions",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let targets: String = self.conn.query_row(
            "SELECT COALESCE(group_concat(s.scope || '|' || s.kind || '|' || COALESCE(s.band_points, '') || '|' || COALESCE(s.band_pct, '') || '|' || (SELECT group_concat(t.name || '=' || t.weight, ',') FROM targets t WHERE t.scope = s.scope), ';'), '') FROM (SELECT * FROM target_sets ORDER BY scope) s",
            [],
            |r| r.get(0),
        )?;
        Ok(Fingerprint {
            targets,
            ledger: (ledger.0, ledger.1, accounts),
            prices,
            fills,
        })
    }

    /// Counts transactions per account name.
    pub fn transaction_counts(&self) -> Result<HashMap<String, i64>> {
        let mut stmt = self.conn.prepare(
            "SELECT a.name, COUNT(t.id) FROM accounts a LEFT JOIN transactions t ON t.account_id = a.id GROUP BY a.id",
        )?; // uses transactions_by_account
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Runs `f` inside one IMMEDIATE transaction: everything it writes is committed together when
    /// it returns Ok, and nothing is when it returns Err (or the process dies).
    pub fn write<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&Writer) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        self.writable()?;
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| StoreError::writing(&path, e))?;
        let w = Writer { tx };
        let out = f(&w)?;
        w.tx.commit().map_err(|e| StoreError::writing(&path, e))?;
        Ok(out)
    }

    /// Saved plans, by name.
    pub fn plans(&self) -> Result<Vec<SavedPlan>> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, saved, inputs, summary FROM plans ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            Ok(SavedPlan {
                name: r.get(0)?,
                saved: r.get(1)?,
                inputs: r.get(2)?,
                summary: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// An error when this connection cannot write (SQLite opened a file the user may not
    /// write read-only).
    fn writable(&self) -> Result<()> {
        if self.conn.is_readonly(rusqlite::MAIN_DB)? {
            return Err(StoreError::ReadOnly(self.path.clone()));
        }
        Ok(())
    }

    /// Saves a plan under its name, replacing one saved before under it.
    pub fn save_plan(&self, plan: &SavedPlan) -> Result<()> {
        self.writable()?;
        self.conn.execute(
            "INSERT INTO plans (name, saved, inputs, summary) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(name) DO UPDATE SET saved = ?2, inputs = ?3, summary = ?4",
            params![plan.name, plan.saved, plan.inputs, plan.summary],
        )?;
        Ok(())
    }

    /// Deletes a saved plan; false when there was none of that name.
    pub fn delete_plan(&self, name: &str) -> Result<bool> {
        self.writable()?;
        Ok(self
            .conn
            .execute("DELETE FROM plans WHERE name = ?1", params![name])?
            > 0)
    }

    /// Latest close on or before `as_of` for every symbol.
    pub fn latest_closes(&self, as_of: NaiveDate) -> Result<HashMap<String, (NaiveDate, Decimal)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.symbol, p.date, p.close FROM prices p
             JOIN (SELECT symbol, MAX(date) AS d FROM prices WHERE date <= ?1 GROUP BY symbol) m
               ON p.symbol = m.symbol AND p.date = m.d",
        )?;
        let rows = stmt.query_map([as_of.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = HashMap::new();
        for row in rows {
            let (symbol, date, close) = row?;
            let date = parse_date("prices", 0, "date", &date)?;
            let close = parse_decimal("prices", 0, "close", &close)?;
            out.insert(symbol, (date, close));
        }
        Ok(out)
    }

    /// For every symbol: its latest close on or before `as_of` and the close before that one.
    pub fn last_two_closes(&self, as_of: NaiveDate) -> Result<LastCloses> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.symbol, p.date, p.close,
                    (SELECT q.close FROM prices q WHERE q.symbol = p.symbol AND q.date < p.date
                     ORDER BY q.date DESC LIMIT 1)
             FROM prices p
             JOIN (SELECT symbol, MAX(date) AS d FROM prices WHERE date <= ?1 GROUP BY symbol) m
               ON p.symbol = m.symbol AND p.date = m.d",
        )?;
        let rows = stmt.query_map([as_of.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })?;
        let mut out = HashMap::new();
        for row in rows {
            let (symbol, date, close, prev) = row?;
            let date = parse_date("prices", 0, "date", &date)?;
            let close = parse_decimal("prices", 0, "close", &close)?;
            let prev = prev
                .map(|p| parse_decimal("prices", 0, "close", &p))
                .transpose()?;
            out.insert(symbol, (date, close, prev));
        }
        Ok(out)
    }

    /// SQLite's quick integrity check: "ok", or what is damaged.
    pub fn quick_check(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))?)
    }

    /// Every close on or after `since`, per symbol, in ascending date order.
    pub fn closes_since(
        &self,
        since: NaiveDate,
    ) -> Result<HashMap<String, Vec<(NaiveDate, Decimal)>>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT symbol, date, close FROM prices WHERE date >= ?1 ORDER BY symbol, date",
        )?; // the primary key's order: no sort step
        let mut rows = stmt.query([since.to_string()])?;
        let mut out: HashMap<String, Vec<(NaiveDate, Decimal)>> = HashMap::new();
        while let Some(r) = rows.next()? {
            let symbol = r.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
            let date = r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
            let close = r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
            let day = (
                parse_date("prices", 0, "date", date)?,
                parse_decimal("prices", 0, "close", close)?,
            );
            match out.get_mut(symbol) {
                Some(v) => v.push(day),
                None => {
                    out.insert(symbol.to_string(), vec![day]);
                }
            }
        }
        Ok(out)
    }

    /// The latest stored quote of every symbol.
    pub fn quotes(&self) -> Result<Vec<Quote>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT symbol, last, bid, ask, prev_close, volume, time, source, freshness FROM quotes ORDER BY symbol",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let text = |i: usize| -> Result<Option<String>> { Ok(r.get(i)?) };
            let dec = |i: usize, col: &'static str| -> Result<Option<Decimal>> {
                text(i)?
                    .map(|s| parse_decimal("quotes", 0, col, &s))
                    .transpose()
            };
            let time: String = r.get(6)?;
            let source: String = r.get(7)?;
            let freshness: String = r.get(8)?;
            out.push(Quote {
                symbol: r.get(0)?,
                last: dec(1, "last")?.unwrap_or_default(),
                bid: dec(2, "bid")?,
                ask: dec(3, "ask")?,
                prev_close: dec(4, "prev_close")?,
                volume: dec(5, "volume")?,
                time: DateTime::parse_from_rfc3339(&time)
                    .map_err(|_| corrupt("quotes", 0, "time", &time))?
                    .with_timezone(&Utc),
                source: QuoteSource::from_str(&source)
                    .map_err(|_| corrupt("quotes", 0, "source", &source))?,
                freshness: Freshness::from_str(&freshness)
                    .map_err(|_| corrupt("quotes", 0, "freshness", &freshness))?,
            });
        }
        Ok(out)
    }

    /// Per symbol: first and last price date and the number of closes.
    pub fn price_coverage(&self) -> Result<Vec<(String, NaiveDate, NaiveDate, i64)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT symbol, MIN(date), MAX(date), COUNT(*) FROM prices GROUP BY symbol ORDER BY symbol")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (s, a, b, n) = row?;
            out.push((
                s,
                parse_date("prices", 0, "date", &a)?,
                parse_date("prices", 0, "date", &b)?,
                n,
            ));
        }
        Ok(out)
    }
}

/// A write transaction in progress (see [`Store::write`]).
pub struct Writer<'a> {
    tx: rusqlite::Transaction<'a>,
}

/// A daily price row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRow {
    pub symbol: String,
    pub date: NaiveDate,
    pub close: Decimal,
    pub open: Option<Decimal>,
    pub high: Option<Decimal>,
    pub low: Option<Decimal>,
    pub volume: Option<Decimal>,
}

/// A plan saved by `folio plan --save` or the Plan pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedPlan {
    pub name: String,
    /// RFC 3339 time of the save.
    pub saved: String,
    /// The plan's inputs as JSON.
    pub inputs: String,
    /// The last run's headline figures as JSON.
    pub summary: String,
}

impl Writer<'_> {
    pub fn accounts(&self) -> Result<Vec<Account>> {
        accounts(&self.tx)
    }

    pub fn transactions(&self) -> Result<Vec<Transaction>> {
        transactions(&self.tx)
    }

    /// Records an import and inserts its transactions (creating accounts as needed, with
    /// `method` as their lot method). Ids follow the order of `txns`.
    pub fn insert_transactions(
        &self,
        source: &str,
        format: &str,
        txns: &[Transaction],
        method: LotMethod,
    ) -> Result<usize> {
        self.tx.execute(
            "INSERT INTO imports (source, format, rows_added) VALUES (?1, ?2, ?3)",
            params![source, format, txns.len() as i64],
        )?;
        let import_id = self.tx.last_insert_rowid();
        let mut account_ids: HashMap<&str, i64> = HashMap::new();
        for t in txns {
            if !account_ids.contains_key(t.account.as_str()) {
                account_ids.insert(&t.account, ensure_account(&self.tx, &t.account, method)?);
            }
        }
        let stall_at = test_stall_point();
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO transactions (uid, account_id, date, action, symbol, quantity, price, fees, amount, currency, lot, note, import_id, relief)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?;
        for (i, t) in txns.iter().enumerate() {
            if stall_at == Some(i) {
                stall();
            }
            stmt.execute(params![
                t.uid,
                account_ids[t.account.as_str()],
                t.date.to_string(),
                t.action.as_str(),
                t.symbol,
                t.quantity.map(|q| q.to_string()),
                t.price.map(|q| q.to_string()),
                t.fees.to_string(),
                t.amount.map(|q| q.to_string()),
                t.currency,
                t.lot.map(|d| d.to_string()),
                t.note,
                import_id,
                t.relief.as_ref().map(|r| r.to_string()),
            ])?;
        }
        Ok(txns.len())
    }

    /// Inserts or replaces daily prices (a later import of the same day wins).
    pub fn upsert_prices(&self, rows: &[PriceRow]) -> Result<usize> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT OR REPLACE INTO prices (symbol, date, close, open, high, low, volume) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        let s = |d: Option<Decimal>| d.map(|d| d.to_string());
        for r in rows {
            stmt.execute(params![
                r.symbol,
                r.date.to_string(),
                r.close.to_string(),
                s(r.open),
                s(r.high),
                s(r.low),
                s(r.volume)
            ])?;
        }
        Ok(rows.len())
    }

    /// Stores the latest quote of each symbol. A simulated quote never replaces a market one.
    pub fn upsert_quotes(&self, quotes: &[Quote]) -> Result<usize> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO quotes (symbol, last, bid, ask, prev_close, volume, time, source, freshness)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (symbol) DO UPDATE SET
               last = excluded.last, bid = excluded.bid, ask = excluded.ask,
               prev_close = excluded.prev_close, volume = excluded.volume, time = excluded.time,
               source = excluded.source, freshness = excluded.freshness
             WHERE excluded.source <> 'simulated' OR quotes.source = 'simulated'",
        )?;
        let s = |d: Option<Decimal>| d.map(|d| d.to_string());
        for q in quotes {
            stmt.execute(params![
                q.symbol,
                q.last.to_string(),
                s(q.bid),
                s(q.ask),
                s(q.prev_close),
                s(q.volume),
                q.time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                q.source.as_str(),
                q.freshness.as_str(),
            ])?;
        }
        Ok(quotes.len())
    }

    pub fn set_account(&self, account: &Account) -> Result<()> {
        ensure_account(&self.tx, &account.name, account.lot_method)?;
        self.tx.execute(
            "UPDATE accounts SET kind = ?1, lot_method = ?2 WHERE name = ?3",
            params![
                account.kind.as_str(),
                account.lot_method.as_str(),
                account.name
            ],
        )?;
        Ok(())
    }
}

/// A read-only connection. A WAL database needs its shared-memory file to be read; in a
/// directory the user cannot write to (where SQLite cannot create it) the file is opened as
/// immutable instead, which reads it without one.
fn read_only_connection(path: &Path) -> Result<Connection> {
    use rusqlite::OpenFlags;
    let open_err = |e: rusqlite::Error| StoreError::Open {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let check = |conn: Connection| -> rusqlite::Result<Connection> {
        conn.busy_timeout(Duration::from_secs(5))?;
        // The first read is where a missing shared-memory file or a non-database shows.
        conn.query_row("SELECT COUNT(*) FROM sqlite_master", [], |_| Ok(()))?;
        Ok(conn)
    };
    let not_sqlite = |e: &rusqlite::Error| matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase);
    match Connection::open_with_flags(path, flags).and_then(check) {
        Ok(conn) => Ok(conn),
        Err(e) if not_sqlite(&e) => Err(StoreError::Open {
            path: path.to_path_buf(),
            reason: format!("{} is not a folio database (not SQLite)", path.display()),
        }),
        // Only when SQLite could not make the shared-memory file beside a cleanly closed
        // database (nothing left in its -wal): read as immutable, which needs none. With a
        // -wal holding commits, immutable would not see them: that is an error instead.
        Err(first) if is_read_only(&first) && !wal_has_data(path) => {
            let uri = format!(
                "file:{}?immutable=1",
                percent_path(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
            );
            Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)
                .and_then(check)
                .map_err(|_| open_err(first))
        }
        Err(e) if is_read_only(&e) => Err(StoreError::Open {
            path: path.to_path_buf(),
            reason: format!(
                "{e}; the directory cannot be written and its -wal file holds changes not yet in the database: open it once where it can be written"
            ),
        }),
        Err(e) => Err(open_err(e)),
    }
}

/// Whether the database's write-ahead log holds anything.
fn wal_has_data(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(std::path::PathBuf::from(wal)).is_ok_and(|m| m.len() > 0)
}

/// A path for a SQLite URI: the characters URIs reserve are escaped.
fn percent_path(path: &Path) -> String {
    let mut out = String::new();
    for b in path.as_os_str().as_encoded_bytes() {
        match b {
            b'%' | b'?' | b'#' => out.push_str(&format!("%{b:02X}")),
            b if b.is_ascii() => out.push(*b as char),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn is_read_only(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if matches!(f.code, rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::PermissionDenied))
}

/// Where an import stops for the crash-safety test (debug builds only, set by the test-only
/// `--test-hook stall-import-at=N`).
fn test_stall_point() -> Option<usize> {
    crate::test_hooks::stall_import_at()
}

fn stall() {
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        b"folio: stalled mid-import (test hook)\n",
    );
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

fn ensure_account(conn: &Connection, name: &str, method: LotMethod) -> Result<i64> {
    let id = conn
        .query_row("SELECT id FROM accounts WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(id) = id {
        return Ok(id);
    }
    conn.execute(
        "INSERT INTO accounts (name, lot_method) VALUES (?1, ?2)",
        params![name, method.as_str()],
    )?;
    Ok(conn.last_insert_rowid())
}

fn accounts(conn: &Connection) -> Result<Vec<Account>> {
    let mut stmt =
        conn.prepare_cached("SELECT id, name, kind, lot_method FROM accounts ORDER BY name")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, name, kind, method) = row?;
        let kind =
            AccountKind::from_str(&kind).map_err(|_| corrupt("accounts", id, "kind", &kind))?;
        let lot_method = LotMethod::from_str(&method)
            .map_err(|_| corrupt("accounts", id, "lot_method", &method))?;
        out.push(Account {
            name,
            kind,
            lot_method,
        });
    }
    Ok(out)
}

/// Every transaction, by date and id. The table is read in storage order and sorted here:
/// walking the date index instead costs a random seek per row (twice as slow at 100,000 rows).
fn transactions(conn: &Connection) -> Result<Vec<Transaction>> {
    let names: HashMap<i64, String> = {
        let mut stmt = conn.prepare_cached("SELECT id, name FROM accounts")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut stmt = conn.prepare_cached(
        "SELECT id, uid, date, account_id, action, symbol, quantity, price, fees, amount, currency, lot, note, relief
         FROM transactions",
    )?;
    // Size the vector up front: growing it by doubling copies every row several times.
    let capacity: i64 =
        conn.query_row("SELECT COALESCE(MAX(id), 0) FROM transactions", [], |r| {
            r.get(0)
        })?;
    let mut out = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        out.push(read_transaction(r, &names)?);
    }
    out.sort_by_key(|t| (t.date, t.id));
    Ok(out)
}

fn read_transaction(r: &Row, names: &HashMap<i64, String>) -> Result<Transaction> {
    let id: i64 = r.get(0)?;
    // Borrow the text of the columns that are parsed, instead of allocating a String for each:
    // this is the hot loop of every command (100,000 rows in well under 100 ms).
    let text = |i: usize| -> Result<Option<&str>> {
        Ok(r.get_ref(i)?
            .as_str_or_null()
            .map_err(rusqlite::Error::from)?)
    };
    let dec = |i: usize, col: &'static str| -> Result<Option<Decimal>> {
        text(i)?
            .map(|s| parse_decimal("transactions", id, col, s))
            .transpose()
    };
    let date = |i: usize, col: &'static str| -> Result<Option<NaiveDate>> {
        text(i)?
            .map(|s| parse_date("transactions", id, col, s))
            .transpose()
    };
    let action = text(4)?.unwrap_or_default();
    Ok(Transaction {
        id,
        uid: r.get(1)?,
        date: date(2, "date")?.ok_or_else(|| corrupt("transactions", id, "date", ""))?,
        account: {
            let account_id: i64 = r.get(3)?;
            names
                .get(&account_id)
                .cloned()
                .ok_or_else(|| corrupt("transactions", id, "account_id", &account_id.to_string()))?
        },
        action: Action::from_str(action)
            .map_err(|_| corrupt("transactions", id, "action", action))?,
        symbol: r.get(5)?,
        quantity: dec(6, "quantity")?,
        price: dec(7, "price")?,
        fees: dec(8, "fees")?.unwrap_or_default(),
        amount: dec(9, "amount")?,
        currency: r.get(10)?,
        lot: date(11, "lot")?,
        relief: text(13)?
            .map(|x| Relief::parse(x).map_err(|_| corrupt("transactions", id, "relief", x)))
            .transpose()?,
        note: r.get(12)?,
    })
}

fn corrupt(table: &'static str, id: i64, column: &'static str, value: &str) -> StoreError {
    StoreError::Corrupt {
        table,
        id,
        column,
        value: value.to_string(),
    }
}

fn parse_decimal(table: &'static str, id: i64, column: &'static str, s: &str) -> Result<Decimal> {
    Decimal::from_str(s).map_err(|_| corrupt(table, id, column, s))
}

fn parse_date(table: &'static str, id: i64, column: &'static str, s: &str) -> Result<NaiveDate> {
    // `FromStr` is chrono's fixed ISO parser: several times faster than a format string.
    s.parse::<NaiveDate>()
        .map_err(|_| corrupt(table, id, column, s))
}
