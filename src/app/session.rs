//! What every question is asked of: the database (opened on first use, to read or to write),
//! the config, a clock, and the ledger replayed once and kept while the database is unchanged.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::NaiveDate;

use super::error::{AppError, Result};
use crate::config::Config;
use crate::domain::{Account, Transaction};
use crate::ledger::{self, Book, LedgerError, Policy};
use crate::store::Store;

/// What a session may do to the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read an existing database; a missing one is an error and nothing is created (every
    /// command that only reads). A database of an older schema is upgraded first.
    Read,
    /// Read and never write, not even to upgrade an older schema (`folio mcp`).
    ReadOnly,
    /// Create the database if needed and write to it (imports, settings, saved plans, the
    /// cockpit's quotes).
    Write,
}

/// Where "today" comes from: the system clock, or a day fixed by `--today` (reproducible
/// reports, and the demo's calendar with them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    System,
    Fixed(NaiveDate),
}

impl Clock {
    /// Today in the local time zone (or the fixed day).
    pub fn today(self) -> NaiveDate {
        match self {
            Clock::System => chrono::Local::now().date_naive(),
            Clock::Fixed(d) => d,
        }
    }
}

/// How to open a session.
#[derive(Debug, Clone)]
pub struct Options {
    pub db_path: PathBuf,
    pub access: Access,
    pub config: Config,
    pub clock: Clock,
    /// Where downloads are cached (None without a home directory).
    pub data_dir: Option<PathBuf>,
}

/// The transactions, the rules they are replayed under and the book they make.
#[derive(Debug)]
pub struct Ledger {
    pub accounts: Vec<Account>,
    /// In date order (ties in the order recorded).
    pub transactions: Vec<Transaction>,
    pub policy: Policy,
    /// Every transaction replayed.
    pub book: Book,
    /// Transactions the ledger could not apply (left out of every figure).
    pub errors: Vec<LedgerError>,
}

impl Ledger {
    /// The transactions up to the end of `as_of`.
    pub fn until(&self, as_of: NaiveDate) -> &[Transaction] {
        let n = self.transactions.partition_point(|t| t.date <= as_of);
        &self.transactions[..n]
    }

    /// The book at the end of `as_of`: the replayed one when nothing is dated later.
    pub fn book_at(&self, as_of: NaiveDate) -> std::borrow::Cow<'_, Book> {
        let txns = self.until(as_of);
        if txns.len() == self.transactions.len() {
            std::borrow::Cow::Borrowed(&self.book)
        } else {
            std::borrow::Cow::Owned(ledger::replay(txns, &self.policy).0)
        }
    }

    /// One line per transaction the ledger cannot apply, for a report's warnings.
    pub fn warnings(&self) -> Vec<String> {
        self.errors
            .iter()
            .map(|e| {
                format!(
                    "transaction #{} in the database cannot be applied and is left out: {}",
                    e.id, e.message
                )
            })
            .collect()
    }

    /// The account named `name`, spelled as stored (matched case-insensitively).
    pub fn account(&self, name: &str) -> Result<String> {
        resolve_account(&self.accounts, name)
    }

    /// An account filter resolved as [`Ledger::account`] (none given: every account).
    pub fn account_filter(&self, name: Option<&str>) -> Result<Option<String>> {
        name.map(|a| self.account(a)).transpose()
    }
}

/// `name` spelled as an account in `accounts` (exact first, then case-insensitively).
pub fn resolve_account(accounts: &[Account], name: &str) -> Result<String> {
    let name = name.trim();
    let exact = accounts.iter().find(|a| a.name == name);
    if let Some(a) = exact.or_else(|| accounts.iter().find(|a| a.name.eq_ignore_ascii_case(name))) {
        return Ok(a.name.clone());
    }
    let known: Vec<&str> = accounts.iter().map(|a| a.name.as_str()).collect();
    Err(super::bad(if known.is_empty() {
        format!(
            "no account named '{name}': the database has no accounts yet; import transactions first"
        )
    } else {
        format!(
            "no account named '{name}'; the accounts are: {}",
            known.join(", ")
        )
    }))
}

/// A replayed ledger and the contents it was read from.
struct Cached {
    changes: u64,
    ledger: Arc<Ledger>,
}

/// What the session last saw of the database: SQLite's data_version (it moves on every
/// commit of another connection, quotes saved by a cockpit too) and the contents' fingerprint
/// then (it moves only when transactions, accounts or prices change).
#[derive(Default)]
struct Seen {
    data_version: Option<i64>,
    fingerprint: crate::store::Fingerprint,
    /// Content changes seen so far (by another process, or by this session's own writes).
    changes: u64,
}

/// One investor's database, config and clock. Shared by reference (it is `Sync`): the cockpit's
/// jobs and the MCP server's tool calls use one session; the database connection is used by
/// one of them at a time.
pub struct Session {
    config: Config,
    clock: Clock,
    db_path: PathBuf,
    access: Access,
    data_dir: Option<PathBuf>,
    /// Keeps the demo's temporary database alive for the session.
    demo: Option<tempfile::TempDir>,
    store: Mutex<Option<Store>>,
    ledger: Mutex<Option<Cached>>,
    seen: Mutex<Seen>,
    /// Writes of transactions, accounts or prices made through this session (SQLite's
    /// data_version counts only other connections').
    writes: AtomicU64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("db_path", &self.db_path)
            .field("access", &self.access)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session on `opts.db_path`. Nothing is opened until a question needs the database.
    pub fn new(opts: Options) -> Session {
        Session {
            config: opts.config,
            clock: opts.clock,
            db_path: opts.db_path,
            access: opts.access,
            data_dir: opts.data_dir,
            demo: None,
            store: Mutex::new(None),
            ledger: Mutex::new(None),
            seen: Mutex::new(Seen::default()),
            writes: AtomicU64::new(0),
        }
    }

    /// A session on a fresh copy of the demo portfolio, whose last close is the last weekday
    /// before the clock's today. `access` says what it may do to that copy.
    pub fn demo(
        config: Config,
        clock: Clock,
        data_dir: Option<PathBuf>,
        access: Access,
    ) -> Result<Session> {
        let dir = tempfile::Builder::new()
            .prefix("folio-demo-")
            .tempdir()
            .map_err(|e| AppError::failed(e, "cannot create a temporary directory for the demo"))?;
        let path = dir.path().join("demo.db");
        crate::demo::build(&path, crate::demo::last_close_before(clock.today()))
            .map_err(|e| AppError::failed(e, "cannot build the demo database"))?;
        let mut s = Session::new(Options {
            db_path: path,
            access,
            config,
            clock,
            data_dir,
        });
        s.demo = Some(dir);
        Ok(s)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn today(&self) -> NaiveDate {
        self.clock.today()
    }

    pub fn clock(&self) -> Clock {
        self.clock
    }

    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    pub fn access(&self) -> Access {
        self.access
    }

    pub fn is_demo(&self) -> bool {
        self.demo.is_some()
    }

    pub fn data_dir(&self) -> Option<&Path> {
        self.data_dir.as_deref()
    }

    /// The currency totals are kept in.
    pub fn currency(&self) -> &str {
        &self.config.general.default_currency
    }

    fn open(&self) -> Result<MutexGuard<'_, Option<Store>>> {
        // A question that panicked mid-read leaves nothing half-written: the lock is usable.
        let mut guard = self.store.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            let store = match self.access {
                Access::Read => Store::open_read_only(&self.db_path, true)?,
                Access::ReadOnly => Store::open_read_only(&self.db_path, false)?,
                // A database this user cannot write is still read (the cockpit shows it; a
                // write then says why it cannot be made).
                Access::Write => match Store::open(&self.db_path) {
                    Err(crate::store::StoreError::ReadOnly(_)) => {
                        Store::open_read_only(&self.db_path, false)?
                    }
                    other => other?,
                },
            };
            *guard = Some(store);
        }
        Ok(guard)
    }

    /// Runs `f` on the database (opened on first use).
    pub fn read<T>(&self, f: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        let guard = self.open()?;
        match guard.as_ref() {
            Some(store) => f(store),
            None => unreachable!("opened above"),
        }
    }

    /// Runs `f` on the database to write to it; `what` names the change for the error a
    /// read-only session gives. For writes that leave transactions, accounts and prices as
    /// they are (saved quotes and plans).
    pub fn write<T>(&self, what: &str, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        if self.access != Access::Write {
            return Err(AppError::ReadOnly {
                what: what.to_string(),
            });
        }
        let mut guard = self.open()?;
        match guard.as_mut() {
            Some(store) => f(store),
            None => unreachable!("opened above"),
        }
    }

    /// [`Session::write`] for writes of transactions, accounts or prices: what the session
    /// read before is read again.
    pub fn write_contents<T>(
        &self,
        what: &str,
        f: impl FnOnce(&mut Store) -> Result<T>,
    ) -> Result<T> {
        let out = self.write(what, f);
        self.writes.fetch_add(1, Ordering::SeqCst);
        out
    }

    /// A number that moves whenever the transactions, the accounts or the prices change
    /// (another process's import, this session's own writes), and not for saved quotes or
    /// plans. Cheap when nothing changed: one pragma.
    pub fn changes(&self) -> Result<u64> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let dv = self.read(|s| Ok(s.data_version()?))?;
        if seen.data_version != Some(dv) {
            let fp = self.read(|s| Ok(s.fingerprint()?))?;
            if seen.data_version.is_some() && fp != seen.fingerprint {
                seen.changes += 1;
            }
            seen.data_version = Some(dv);
            seen.fingerprint = fp;
        }
        Ok(seen.changes + self.writes.load(Ordering::SeqCst))
    }

    /// The ledger, replayed from the database once and kept until its contents change.
    pub fn ledger(&self) -> Result<Arc<Ledger>> {
        let mut cache = self.ledger.lock().unwrap_or_else(|p| p.into_inner());
        let changes = self.changes()?;
        if let Some(c) = cache.as_ref()
            && c.changes == changes
        {
            return Ok(c.ledger.clone());
        }
        let (accounts, transactions) = self.read(|s| Ok(s.ledger_rows()?))?;
        let policy = Policy::new(
            &accounts,
            self.config.ledger.lot_method,
            self.config.securities.clone(),
        );
        let (book, errors) = ledger::replay(&transactions, &policy);
        for e in &errors {
            tracing::warn!(id = e.id, "{}", e.message);
        }
        let ledger = Arc::new(Ledger {
            accounts,
            transactions,
            policy,
            book,
            errors,
        });
        *cache = Some(Cached {
            changes,
            ledger: ledger.clone(),
        });
        Ok(ledger)
    }
}
