//! `folio anomalies`: every check with what it looked at, and each finding with its value,
//! threshold, severity and reason.

use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;

use super::output::{Report, json, outln};
use super::{Analysis, Ctx, parse_date_arg, today};
use crate::analysis::{self, float_closes};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Check as of the end of this day (YYYY-MM-DD) [default: today]
    #[arg(long, value_parser = parse_date_arg)]
    as_of: Option<NaiveDate>,
    /// Also compare the ledger with the broker's positions (TWS or IB Gateway, [ibkr] in the
    /// config)
    #[arg(long)]
    broker: bool,
    /// Also run the LSTM autoencoder detector (trains for a second or more; needs a build with
    /// `--features ml`)
    #[arg(long)]
    lstm: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let as_of = args.as_of.unwrap_or_else(today);
    if args.lstm && !cfg!(feature = "ml") {
        return Err(super::BadInput(
            "--lstm needs folio built with the ml feature: cargo install --path . --features ml (or cargo run --release --features ml -- anomalies --lstm)".into(),
        )
        .into());
    }
    let a = Analysis::load(ctx, None)?;
    let broker = if args.broker {
        Some(
            super::positions::differences(ctx, &a.loaded)?
                .into_iter()
                .map(|(acct, sym, b, l)| {
                    (
                        acct,
                        sym,
                        b.to_f64().unwrap_or(0.0),
                        l.to_f64().unwrap_or(0.0),
                    )
                })
                .collect(),
        )
    } else {
        None
    };
    let closes = float_closes(&a.closes);
    let th = &ctx.config.anomalies;
    let report = analysis::anomalies(&a.data(ctx), &closes, as_of, th, broker, args.lstm);
    if ctx.json {
        return json(&report);
    }
    outln!(
        "Anomaly checks as of {as_of} (days in the last {} days are reported)",
        th.lookback_days
    );
    outln!();
    let mut r = Report::new(&["Check", "Looked at>", "Found>", "~Threshold>", "~Note"]);
    for c in &report.checks {
        r.row(vec![
            c.check.as_str().replace('_', " "),
            c.subjects.to_string(),
            c.findings.to_string(),
            crate::format::stat(Some(c.threshold), 2)
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string(),
            c.note.clone().unwrap_or_default(),
        ]);
    }
    r.print()?;
    outln!();
    if report.findings.is_empty() {
        outln!("Nothing needs attention.");
        return Ok(());
    }
    for f in &report.findings {
        outln!(
            "{:<8} {} {} {}: {}",
            f.severity.as_str().to_uppercase(),
            f.date,
            f.check.as_str().replace('_', " "),
            f.subject,
            f.reason
        );
    }
    Ok(())
}
