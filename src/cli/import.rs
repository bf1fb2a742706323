//! `folio import`: a CSV file of transactions, all rows or none.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::output::{json, outln};
use super::{BadInput, Ctx};
use crate::domain::Transaction;
use crate::import::{self, Batch, Plan};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// folio's CSV: date,account,action,symbol,quantity,price,fees,amount,currency,lot,note
    Canonical,
    /// An Interactive Brokers Activity Flex Query exported as CSV
    IbkrFlex,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The CSV file
    file: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Canonical)]
    format: Format,
    /// Check the file and show what would be added, without writing
    #[arg(long)]
    dry_run: bool,
}

#[derive(Serialize)]
struct Out<'a> {
    file: &'a str,
    format: &'a str,
    dry_run: bool,
    rows: usize,
    added: usize,
    already_present: usize,
    new_accounts: &'a [String],
    skipped: &'a [String],
    transactions: &'a [Transaction],
}

/// Reads a whole input file; a missing or unreadable file is bad input.
pub fn read_input(path: &Path) -> anyhow::Result<(String, Vec<u8>)> {
    let source = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => Ok((source, bytes)),
        Err(e) => Err(BadInput(format!("cannot read {source}: {e}")).into()),
    }
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let (source, bytes) = read_input(&args.file)?;
    let batch = match args.format {
        Format::Canonical => {
            import::canonical::parse(&source, &bytes, &ctx.config.general.default_currency)?
        }
        Format::IbkrFlex => import::flex::parse(&source, &bytes)?,
    };
    let mut store = ctx.store()?;
    let method = ctx.config.ledger.lot_method;
    let plan = if args.dry_run {
        import::plan(&batch, &store.transactions()?, &store.accounts()?, method)?
    } else {
        store.write(|w| -> anyhow::Result<Plan> {
            let plan = import::plan(&batch, &w.transactions()?, &w.accounts()?, method)?;
            if !plan.new.is_empty() {
                w.insert_transactions(&batch.source, batch.format, &plan.new, method)?;
            }
            Ok(plan)
        })?
    };
    tracing::info!(file = %source, added = plan.new.len(), dry_run = args.dry_run, "import");
    report(ctx, &batch, &plan, args.dry_run)
}

fn report(ctx: &Ctx, batch: &Batch, plan: &Plan, dry_run: bool) -> anyhow::Result<()> {
    if ctx.json {
        return json(&Out {
            file: &batch.source,
            format: batch.format,
            dry_run,
            rows: batch.rows.len(),
            added: plan.new.len(),
            already_present: plan.already_present,
            new_accounts: &plan.new_accounts,
            skipped: &batch.skipped,
            transactions: if dry_run { &plan.new } else { &[] },
        });
    }
    if dry_run && !plan.new.is_empty() {
        super::transactions::table(&plan.new).print()?;
        outln!();
    }
    let verb = if dry_run { "would add" } else { "added" };
    outln!(
        "{}: {} rows read, {verb} {}, {} already present.",
        batch.source,
        batch.rows.len(),
        plan.new.len(),
        plan.already_present
    );
    if !plan.new_accounts.is_empty() {
        outln!(
            "New accounts (taxable, {}): {}. Change with: folio accounts set NAME --kind ira|roth",
            ctx.config.ledger.lot_method.as_str(),
            plan.new_accounts.join(", ")
        );
    }
    for s in &batch.skipped {
        outln!("Skipped {s}.");
    }
    if dry_run {
        outln!("Dry run: nothing was written.");
    }
    Ok(())
}
