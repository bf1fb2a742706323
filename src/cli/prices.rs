//! `folio prices`: import daily closes, list what is stored, download them.

use std::path::PathBuf;

use chrono::NaiveDate;

use super::output::{Report, json, outln};
use super::{Ctx, named};
use crate::app::prices::{
    CoverageParams, FetchParams, FetchSource, ImportPricesParams, coverage, fetch, import,
};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Sub>,
}

impl Args {
    pub fn writes(&self) -> bool {
        match &self.command {
            Some(Sub::Import { dry_run, .. }) => !dry_run,
            Some(Sub::Fetch { .. }) => true,
            _ => false,
        }
    }
}

#[derive(clap::Subcommand, Debug)]
enum Sub {
    /// Import daily closes from CSV: date,symbol,close[,open,high,low,volume]
    Import {
        file: PathBuf,
        /// Check the file and say what would be stored, without writing
        #[arg(long)]
        dry_run: bool,
    },
    /// Per symbol: first and last date and the number of closes (the default)
    List,
    /// Download daily closes from the broker into the database
    Fetch {
        /// Ticker symbols (US stocks and ETFs on SMART, in USD)
        #[arg(required = true)]
        symbols: Vec<String>,
        /// Where the history comes from
        #[arg(long, value_parser = named::<FetchSource>(), ignore_case = true, default_value = "ibkr")]
        source: FetchSource,
        /// Years of history, counting back from today
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=30))]
        years: u32,
    },
}

pub async fn run(ctx: &Ctx<'_>, args: Args) -> anyhow::Result<()> {
    match args.command.unwrap_or(Sub::List) {
        Sub::Fetch {
            symbols,
            source,
            years,
        } => {
            let r = fetch(
                ctx.session,
                &FetchParams {
                    symbols,
                    source,
                    years: Some(years),
                },
            )
            .await?;
            if ctx.json {
                json(&r)?;
            } else {
                if !r.fetched.is_empty() {
                    let mut t = Report::new(&["Symbol", "Closes>", "First", "Last"]);
                    let d = |d: Option<NaiveDate>| {
                        d.map(|d| d.to_string()).unwrap_or_else(|| "-".into())
                    };
                    for f in &r.fetched {
                        t.row(vec![
                            f.symbol.clone(),
                            f.closes.to_string(),
                            d(f.first),
                            d(f.last),
                        ]);
                    }
                    t.print()?;
                }
                super::quotes::symbol_errors(&r.errors);
            }
            match r.failure() {
                Some(e) => Err(e.into()),
                None => Ok(()),
            }
        }
        Sub::Import { file, dry_run } => {
            let r = import(ctx.session, &ImportPricesParams { file, dry_run })?;
            if ctx.json {
                return json(&r);
            }
            let verb = if dry_run { "would store" } else { "stored" };
            outln!(
                "{}: {verb} {} closes of {} symbols.",
                r.file,
                r.rows,
                r.symbols
            );
            Ok(())
        }
        Sub::List => {
            let r = coverage(ctx.session, &CoverageParams {})?;
            if ctx.json {
                return json(&r);
            }
            if r.prices.is_empty() {
                outln!("No prices stored. Import daily closes with: folio prices import FILE");
                return Ok(());
            }
            let mut t = Report::new(&["Symbol", "First", "Last", "Closes>"]);
            for c in &r.prices {
                t.row(vec![
                    c.symbol.clone(),
                    c.first.to_string(),
                    c.last.to_string(),
                    c.closes.to_string(),
                ]);
            }
            t.print()?;
            Ok(())
        }
    }
}
