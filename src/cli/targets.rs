//! `folio targets`: the target mixes beside the current weights; `set` and `clear` change them.

use rust_decimal::Decimal;

use super::Ctx;
use super::output::{Report, json, money, outln, warnings};
use crate::app::targets::{
    SetTargetsParams, TargetView, TargetsParams, TargetsReport, clear_targets, set_targets, targets,
};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Sub>,
    /// Only the set of this account [default: every set]
    #[arg(long, value_name = "NAME")]
    account: Option<String>,
}

impl Args {
    pub fn writes(&self) -> bool {
        matches!(self.command, Some(Sub::Set { .. } | Sub::Clear { .. }))
    }
}

#[derive(clap::Subcommand, Debug)]
enum Sub {
    /// Store a target mix (replacing the one of its scope): "US stocks=60,US bonds=40"
    Set {
        /// NAME=PERCENT pairs summing to 100; names are asset classes (or symbols with
        /// --by symbol), and "Cash" may be one
        weights: String,
        /// What the names are: class or symbol [default: class]
        #[arg(long, value_name = "class|symbol")]
        by: Option<String>,
        /// The set of one account [default: the household, every account together]
        #[arg(long, value_name = "NAME")]
        account: Option<String>,
        /// Drift band in percentage points [default: rebalance.band_points, 5]
        #[arg(long, value_name = "POINTS", allow_negative_numbers = true)]
        band_points: Option<Decimal>,
        /// Drift band in percent of each target [default: rebalance.band_pct, 25]
        #[arg(long, value_name = "PCT", allow_negative_numbers = true)]
        band_pct: Option<Decimal>,
    },
    /// Remove the household's set (or one account's)
    Clear {
        #[arg(long, value_name = "NAME")]
        account: Option<String>,
    },
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let report = match args.command {
        Some(Sub::Set {
            weights,
            by,
            account,
            band_points,
            band_pct,
        }) => set_targets(
            ctx.session,
            &SetTargetsParams {
                weights,
                by,
                account,
                band_points,
                band_pct,
            },
        )?,
        Some(Sub::Clear { account }) => {
            let had = clear_targets(ctx.session, account.as_deref())?;
            let scope = account.map_or("the household".to_string(), |a| format!("account {a}"));
            if ctx.json {
                return json(&serde_json::json!({ "cleared": had }));
            }
            outln!(
                "{}",
                if had {
                    format!("Targets of {scope} removed.")
                } else {
                    format!("{scope} had no targets.")
                }
            );
            return Ok(());
        }
        None => targets(
            ctx.session,
            &TargetsParams {
                account: args.account,
                as_of: None,
            },
        )?,
    };
    if ctx.json {
        return json(&report);
    }
    print(&report)
}

fn print(report: &TargetsReport) -> anyhow::Result<()> {
    warnings(&report.warnings)?;
    for (i, set) in report.sets.iter().enumerate() {
        if i > 0 {
            outln!();
        }
        view(set, &report.currency, report.as_of)?;
    }
    Ok(())
}

/// One set as a table (shared with `folio rebalance`).
pub fn view(set: &TargetView, currency: &str, as_of: chrono::NaiveDate) -> anyhow::Result<()> {
    outln!(
        "Targets of {} by {} on {as_of}: {} {currency}, bands {} points or {}% of the target",
        set.account.as_deref().unwrap_or("the household"),
        set.by.as_str(),
        money(set.base),
        set.band_points.normalize(),
        set.band_pct.normalize(),
    );
    let mut r = Report::new(&[
        "",
        "Target>",
        "Now>",
        "Drift>",
        "~Value>",
        "Over/under>",
        "~Band>",
        "",
    ]);
    for row in &set.rows {
        r.row(vec![
            row.name.clone(),
            if row.untargeted {
                "-".into()
            } else {
                format!("{}%", row.target_pct.normalize())
            },
            format!("{:.1}%", row.pct.round_dp(1)),
            crate::format::points(row.drift_points),
            money(row.value),
            money(row.drift_value),
            format!("±{}", row.band_points.round_dp(2).normalize()),
            if row.in_band { "" } else { "out of band" }.into(),
        ]);
    }
    r.print()?;
    outln!(
        "{}",
        if set.within_bands {
            "Every target is within its band."
        } else {
            "Out of band: folio rebalance proposes the trades back."
        }
    );
    Ok(())
}
