//! `folio import`: a CSV file of transactions, all rows or none.

use std::path::PathBuf;

use super::output::{json, outln};
use super::{Ctx, named};
use crate::app::import::{Format, ImportParams, import};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The CSV file
    file: PathBuf,
    #[arg(long, value_parser = named::<Format>(), ignore_case = true, default_value = "canonical")]
    format: Format,
    /// Check the file and show what would be added, without writing
    #[arg(long)]
    dry_run: bool,
}

impl Args {
    pub fn dry_run(&self) -> bool {
        self.dry_run
    }
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let r = import(
        ctx.session,
        &ImportParams {
            file: args.file,
            format: args.format,
            dry_run: args.dry_run,
        },
    )?;
    if ctx.json {
        return json(&r);
    }
    if r.dry_run && !r.transactions.is_empty() {
        super::transactions::table(&r.transactions).print()?;
        outln!();
    }
    let verb = if r.dry_run { "would add" } else { "added" };
    outln!(
        "{}: {} rows read, {verb} {}, {} already present.",
        r.file,
        r.rows,
        r.added,
        r.already_present
    );
    if !r.new_accounts.is_empty() {
        outln!(
            "New accounts (taxable, {}): {}. Change with: folio accounts set NAME --kind ira|roth",
            ctx.session.config().ledger.lot_method.as_str(),
            r.new_accounts.join(", ")
        );
    }
    for s in &r.skipped {
        outln!("Skipped {s}.");
    }
    if r.dry_run {
        outln!("Dry run: nothing was written.");
    }
    Ok(())
}
