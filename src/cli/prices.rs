//! `folio prices`: import daily closes, list what is stored.

use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Serialize;

use super::output::{Report, json, outln};
use super::{Ctx, import::read_input};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Sub>,
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
}

#[derive(Serialize)]
struct Coverage {
    symbol: String,
    first: NaiveDate,
    last: NaiveDate,
    closes: i64,
}

#[derive(Serialize)]
struct ImportOut {
    file: String,
    dry_run: bool,
    rows: usize,
    symbols: usize,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let mut store = ctx.store()?;
    match args.command.unwrap_or(Sub::List) {
        Sub::Import { file, dry_run } => {
            let (source, bytes) = read_input(&file)?;
            let rows = crate::import::prices::parse(&source, &bytes)?;
            if !dry_run {
                store.write(|w| w.upsert_prices(&rows))?;
            }
            let mut symbols: Vec<&str> = rows.iter().map(|r| r.symbol.as_str()).collect();
            symbols.sort_unstable();
            symbols.dedup();
            let out = ImportOut {
                file: source,
                dry_run,
                rows: rows.len(),
                symbols: symbols.len(),
            };
            if ctx.json {
                return json(&out);
            }
            let verb = if dry_run { "would store" } else { "stored" };
            outln!(
                "{}: {verb} {} closes of {} symbols.",
                out.file,
                out.rows,
                out.symbols
            );
            Ok(())
        }
        Sub::List => {
            let coverage: Vec<Coverage> = store
                .price_coverage()?
                .into_iter()
                .map(|(symbol, first, last, closes)| Coverage {
                    symbol,
                    first,
                    last,
                    closes,
                })
                .collect();
            if ctx.json {
                return json(&serde_json::json!({ "prices": coverage }));
            }
            if coverage.is_empty() {
                outln!("No prices stored. Import daily closes with: folio prices import FILE");
                return Ok(());
            }
            let mut r = Report::new(&["Symbol", "First", "Last", "Closes>"]);
            for c in &coverage {
                r.row(vec![
                    c.symbol.clone(),
                    c.first.to_string(),
                    c.last.to_string(),
                    c.closes.to_string(),
                ]);
            }
            r.print()?;
            Ok(())
        }
    }
}
