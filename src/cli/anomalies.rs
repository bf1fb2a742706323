//! `folio anomalies`: every check with what it looked at, and each finding with its value,
//! threshold, severity and reason.

use chrono::NaiveDate;

use super::output::{Report, json, outln, warnings};
use super::{Ctx, parse_date_arg};
use crate::app::anomalies::{AnomaliesParams, anomalies};

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

pub async fn run(ctx: &Ctx<'_>, args: Args) -> anyhow::Result<()> {
    let broker = args.broker;
    let r = anomalies(
        ctx.session,
        &AnomaliesParams {
            as_of: args.as_of,
            broker: args.broker,
            lstm: args.lstm,
        },
    )
    .await?;
    if ctx.json {
        return json(&r);
    }
    warnings(&r.warnings)?;
    let as_of = r.report.as_of;
    let report = &r.report;
    outln!(
        "Anomaly checks as of {as_of} (days in the last {} days are reported)",
        r.lookback_days
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
    if !broker {
        outln!("(--broker also compares the ledger with the broker's positions.)");
    }
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
