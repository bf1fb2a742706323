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
    /// Download daily closes from the broker into the database
    Fetch {
        /// Ticker symbols (US stocks and ETFs on SMART, in USD)
        #[arg(required = true)]
        symbols: Vec<String>,
        /// Where the history comes from
        #[arg(long, value_enum, default_value_t = FetchSource::Ibkr)]
        source: FetchSource,
        /// Years of history, counting back from today
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=30))]
        years: u32,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum FetchSource {
    /// TWS or IB Gateway ([ibkr] in the config)
    Ibkr,
    /// The HTTP fallback ([http] in the config)
    Http,
}

#[derive(Serialize)]
struct Fetched {
    symbol: String,
    closes: usize,
    first: Option<NaiveDate>,
    last: Option<NaiveDate>,
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
        Sub::Fetch {
            symbols,
            source,
            years,
        } => fetch(
            ctx,
            &mut store,
            source,
            &super::broker::symbols(&symbols)?,
            years,
        ),
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

/// Each symbol's history is stored in its own transaction: one that fails leaves the others.
fn fetch(
    ctx: &Ctx,
    store: &mut crate::store::Store,
    source: FetchSource,
    symbols: &[String],
    years: u32,
) -> anyhow::Result<()> {
    use crate::market::{http, ibkr};
    let rt = super::broker::runtime()?;
    let mut fetched = Vec::new();
    let mut errors = std::collections::BTreeMap::new();
    rt.block_on(async {
        enum Via {
            Ibkr(std::sync::Arc<ibapi::Client>),
            Http(http::Provider),
        }
        let via = match source {
            FetchSource::Ibkr => Via::Ibkr(ibkr::connect(&ctx.config.ibkr).await?.0),
            FetchSource::Http => Via::Http(http::Provider::new(&ctx.config.http)?),
        };
        for s in symbols {
            let got = match &via {
                Via::Ibkr(client) => ibkr::daily_history(client, s, years).await,
                Via::Http(p) => p.history(s, years).await.map_err(|e| format!("{e:#}")),
            };
            match got {
                Ok(rows) => {
                    store.write(|w| w.upsert_prices(&rows))?;
                    fetched.push(Fetched {
                        symbol: s.clone(),
                        closes: rows.len(),
                        first: rows.iter().map(|r| r.date).min(),
                        last: rows.iter().map(|r| r.date).max(),
                    });
                }
                Err(message) => {
                    errors.insert(s.clone(), message);
                }
            }
        }
        anyhow::Ok(())
    })?;
    if ctx.json {
        json(&serde_json::json!({
            "fetched": fetched,
            "errors": super::broker::symbol_errors(&errors),
        }))?;
    } else {
        if !fetched.is_empty() {
            let mut r = Report::new(&["Symbol", "Closes>", "First", "Last"]);
            let d = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_else(|| "-".into());
            for f in &fetched {
                r.row(vec![
                    f.symbol.clone(),
                    f.closes.to_string(),
                    d(f.first),
                    d(f.last),
                ]);
            }
            r.print()?;
        }
        for (s, m) in &errors {
            eprintln!("folio: {s}: {m}");
        }
    }
    super::broker::finish(&errors, symbols.len(), "history")
}
