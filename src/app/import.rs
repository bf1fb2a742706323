//! Importing a statement: every row of the file is checked, then all are stored or none.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Result, Session, bad};
use crate::domain::{Named, Transaction};
use crate::import::{self, Plan};

/// A statement's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// folio's CSV: date,account,action,symbol,quantity,price,fees,amount,currency,lot,note
    #[default]
    Canonical,
    /// An Interactive Brokers Activity Flex Query exported as CSV
    IbkrFlex,
}

impl Named for Format {
    const ALL: &'static [(Self, &'static str, &'static str)] = &[
        (
            Format::Canonical,
            "canonical",
            "folio's CSV: date,account,action,symbol,quantity,price,fees,amount,currency,lot,note",
        ),
        (
            Format::IbkrFlex,
            "ibkr-flex",
            "an Interactive Brokers Activity Flex Query exported as CSV",
        ),
    ];
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    pub file: PathBuf,
    #[serde(default)]
    pub format: Format,
    /// Check the file and say what would be added, without writing.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ImportReport {
    pub file: String,
    pub format: String,
    pub dry_run: bool,
    /// Rows read from the file.
    pub rows: usize,
    pub added: usize,
    pub already_present: usize,
    /// Accounts the import creates (taxable, with the config's lot method).
    pub new_accounts: Vec<String>,
    /// Rows left out on purpose, with the reason.
    pub skipped: Vec<String>,
    /// The rows that would be added, on a dry run (empty otherwise).
    pub transactions: Vec<Transaction>,
}

/// Reads a whole input file; a missing or unreadable file is bad input.
pub fn read_input(path: &Path) -> Result<(String, Vec<u8>)> {
    let source = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => Ok((source, bytes)),
        Err(e) => Err(bad(format!("cannot read {source}: {e}"))),
    }
}

/// `folio import`: a statement's transactions, all or none. Importing a file twice adds nothing.
pub fn import(s: &Session, p: &ImportParams) -> Result<ImportReport> {
    let (source, bytes) = read_input(&p.file)?;
    let batch = match p.format {
        Format::Canonical => import::canonical::parse(&source, &bytes, s.currency())?,
        Format::IbkrFlex => import::flex::parse(&source, &bytes)?,
    };
    let method = s.config().ledger.lot_method;
    let plan = if p.dry_run && !s.db_path().exists() {
        // Nothing stored yet: every row is new.
        import::plan(&batch, &[], &[], method)?
    } else if p.dry_run {
        s.read(|st| {
            Ok(import::plan(
                &batch,
                &st.transactions()?,
                &st.accounts()?,
                method,
            )?)
        })?
    } else {
        s.write_contents("an import", |st| {
            st.write(|w| -> Result<Plan> {
                let plan = import::plan(&batch, &w.transactions()?, &w.accounts()?, method)?;
                if !plan.new.is_empty() {
                    w.insert_transactions(&batch.source, batch.format, &plan.new, method)?;
                }
                Ok(plan)
            })
        })?
    };
    tracing::info!(file = %source, added = plan.new.len(), dry_run = p.dry_run, "import");
    Ok(ImportReport {
        file: batch.source.clone(),
        format: batch.format.to_string(),
        dry_run: p.dry_run,
        rows: batch.rows.len(),
        added: plan.new.len(),
        already_present: plan.already_present,
        new_accounts: plan.new_accounts,
        skipped: batch.skipped,
        transactions: if p.dry_run { plan.new } else { Vec::new() },
    })
}
