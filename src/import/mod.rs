//! Files -> validated transactions. Nothing here writes: [`plan`] checks a parsed batch against
//! what the database already holds and says exactly what an import would add, or why not.

pub mod canonical;
pub mod flex;
pub mod prices;
mod table;

use std::collections::{HashMap, HashSet};
use std::fmt;

use sha2::{Digest, Sha256};

use crate::domain::{Account, LotMethod, Transaction};
use crate::ledger;

/// At most this many problems are listed when a file is rejected.
pub const MAX_PROBLEMS_SHOWN: usize = 50;

/// One thing wrong with an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line in the file, when the problem belongs to one.
    pub line: Option<usize>,
    pub column: Option<String>,
    pub reason: String,
}

impl Problem {
    pub fn file(reason: impl Into<String>) -> Self {
        Problem {
            line: None,
            column: None,
            reason: reason.into(),
        }
    }
    pub fn at(line: usize, column: impl Into<String>, reason: impl Into<String>) -> Self {
        Problem {
            line: Some(line),
            column: Some(column.into()),
            reason: reason.into(),
        }
    }
}

/// A file rejected whole: nothing of it was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Rejection {
    pub file: String,
    pub problems: Vec<Problem>,
}

impl Rejection {
    pub fn one(source: &str, problem: Problem) -> Self {
        Rejection {
            file: source.to_string(),
            problems: vec![problem],
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "{} was not imported: {n} problem{} found; nothing was written.",
            self.file,
            if n == 1 { "" } else { "s" }
        )?;
        for p in self.problems.iter().take(MAX_PROBLEMS_SHOWN) {
            write!(f, "{}", self.file)?;
            if let Some(line) = p.line {
                write!(f, ":{line}")?;
            }
            if let Some(col) = &p.column {
                write!(f, ": {col}")?;
            }
            writeln!(f, ": {}", p.reason)?;
        }
        if n > MAX_PROBLEMS_SHOWN {
            writeln!(f, "... and {} more", n - MAX_PROBLEMS_SHOWN)?;
        }
        write!(f, "Fix the file and import it again.")
    }
}

/// A transaction parsed from a file, with the line it came from.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: usize,
    pub txn: Transaction,
    /// Another uid under which the same trade may already be in the ledger: the one folio's
    /// order journal gave the execution it booked (`exec:<broker account>:<exec id key>`), so a
    /// statement of trades folio placed adds them no second time.
    pub also: Option<String>,
}

/// A parsed, row-by-row valid file, ready for [`plan`].
#[derive(Debug, Clone)]
pub struct Batch {
    pub source: String,
    pub format: &'static str,
    /// In the order the file lists them (see `newest_first`).
    pub rows: Vec<Row>,
    /// True when the file lists its rows newest first; rows of one day are then applied bottom-up.
    pub newest_first: bool,
    /// Rows left out on purpose, with the reason (summary rows, unsupported instruments...).
    pub skipped: Vec<String>,
}

/// What an import of a batch would add.
#[derive(Debug, Clone)]
pub struct Plan {
    /// New transactions, in the order they are to be inserted.
    pub new: Vec<Transaction>,
    /// Rows already in the database (or repeated in the file).
    pub already_present: usize,
    pub new_accounts: Vec<String>,
}

/// Checks `batch` against the database's `existing` transactions: drops rows already present
/// (same uid), replays the ledger with the rest and rejects the batch if any row cannot be applied
/// (a sale of shares not held, a missing lot). New rows get ids after the largest existing one.
pub fn plan(
    batch: &Batch,
    existing: &[Transaction],
    accounts: &[Account],
    default_method: LotMethod,
) -> Result<Plan, Rejection> {
    let mut seen: HashSet<&str> = existing.iter().map(|t| t.uid.as_str()).collect();
    let mut already_present = 0;
    let mut rows: Vec<&Row> = Vec::with_capacity(batch.rows.len());
    let ordered: Box<dyn Iterator<Item = &Row>> = if batch.newest_first {
        Box::new(batch.rows.iter().rev())
    } else {
        Box::new(batch.rows.iter())
    };
    for row in ordered {
        let booked = row.also.as_deref().is_some_and(|u| seen.contains(u));
        if !booked && seen.insert(&row.txn.uid) {
            rows.push(row);
        } else {
            already_present += 1;
        }
    }
    let next_id = existing.iter().map(|t| t.id).max().unwrap_or(0) + 1;
    let mut line_of: HashMap<i64, usize> = HashMap::with_capacity(rows.len());
    let mut new = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let id = next_id + i as i64;
        line_of.insert(id, row.line);
        new.push(Transaction {
            id,
            ..row.txn.clone()
        });
    }
    let (_, errors) = ledger::replay(
        existing.iter().chain(&new),
        &ledger::Policy::new(
            accounts,
            default_method,
            crate::domain::securities::Securities::empty(),
        )
        .without_wash_sales(),
    );
    if !errors.is_empty() {
        let mut problems: Vec<Problem> = errors
            .into_iter()
            .map(|e| match line_of.get(&e.id) {
                Some(&line) => Problem::at(line, e.column, e.message),
                None => Problem::file(format!(
                    "{} (a transaction already in the database, #{}, that this file's rows would no longer leave room for)",
                    e.message, e.id
                )),
            })
            .collect();
        problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
        return Err(Rejection {
            file: batch.source.clone(),
            problems,
        });
    }
    let mut new_accounts: Vec<String> = new
        .iter()
        .map(|t| t.account.clone())
        .filter(|name| !accounts.iter().any(|a| a.name == *name))
        .collect();
    new_accounts.sort();
    new_accounts.dedup();
    Ok(Plan {
        new,
        already_present,
        new_accounts,
    })
}

/// A deterministic identity for a row from its content: the same row in the same file (or in a
/// later export that repeats it) always gets the same uid. `occurrence` tells apart identical
/// rows within one file, such as two equal buys on one day.
pub fn content_uid(prefix: &str, t: &Transaction, occurrence: usize) -> String {
    let n =
        |d: Option<rust_decimal::Decimal>| d.map(|d| d.normalize().to_string()).unwrap_or_default();
    let key = format!(
        "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|#{}",
        t.date,
        t.account,
        t.action,
        t.symbol.as_deref().unwrap_or(""),
        n(t.quantity),
        n(t.price),
        n(Some(t.fees)),
        n(t.amount),
        t.currency,
        t.lot.map(|d| d.to_string()).unwrap_or_default(),
        occurrence
    );
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("{prefix}:{hex}")
}

/// Counts earlier identical rows so that [`content_uid`] tells them apart.
#[derive(Default)]
pub(crate) struct Occurrences(HashMap<String, usize>);

impl Occurrences {
    pub(crate) fn uid(&mut self, prefix: &str, t: &Transaction) -> String {
        let base = content_uid(prefix, t, 0);
        let n = self.0.entry(base.clone()).or_default();
        let uid = if *n == 0 {
            base
        } else {
            content_uid(prefix, t, *n)
        };
        *n += 1;
        uid
    }
}

/// True when the dates run from newest to oldest (and not all on one day).
pub(crate) fn is_newest_first(rows: &[Row]) -> bool {
    rows.windows(2).all(|w| w[0].txn.date >= w[1].txn.date)
        && rows.first().map(|r| r.txn.date) > rows.last().map(|r| r.txn.date)
}
