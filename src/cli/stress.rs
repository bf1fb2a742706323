//! `folio stress`: historical scenarios and custom shocks applied to today's holdings.

use rust_decimal::Decimal;

use super::output::{Report, json, money, outln, warnings};
use super::{Ctx, Scope};
use crate::analytics::stress::Basis;
use crate::app::stress::{ScenarioRun, StressParams, stress};
use crate::format::{signed_money, signed_pct};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A historical scenario: 2008, 2020, 2022 (or one of your stress_scenarios.toml), or all
    /// [default: all, unless --shock is given]
    #[arg(long, value_name = "ID")]
    scenario: Option<String>,
    /// Custom shocks in percent by asset class or symbol, e.g. "US stocks=-30,VTI=-40" (a
    /// symbol's shock wins over its class's; holdings neither names are not shocked)
    #[arg(long, value_name = "SHOCKS", allow_hyphen_values = true)]
    shock: Option<String>,
    #[command(flatten)]
    scope: Scope,
}

fn opt_pct(x: Option<Decimal>) -> String {
    x.map_or_else(|| "-".into(), signed_pct)
}

/// A percent from the scenario file, as written (one decimal): "-47.2%", "+2.2%".
fn figure(x: Decimal) -> String {
    let x = x.normalize();
    if x > Decimal::ZERO {
        format!("+{x}%")
    } else {
        format!("{x}%")
    }
}

fn print_run(run: &ScenarioRun) -> std::io::Result<()> {
    match (run.from, run.to) {
        (Some(from), Some(to)) => outln!("{} {}: {from} to {to}", run.id, run.title),
        _ => outln!("{}: {}", run.title, run.description),
    }
    outln!("Source: {}", run.source);
    let r = &run.result;
    let t = &r.totals;
    outln!(
        "Total: {} on {} of holdings ({}); {} of net worth with cash ({} -> {})",
        signed_money(t.change),
        money(t.holdings_value),
        opt_pct(t.pct_of_holdings),
        opt_pct(t.pct_of_net_worth),
        money(t.net_worth),
        money(t.net_worth_after)
    );
    outln!();
    let mut a = Report::new(&["Account", "Holdings>", "Change>", "Change %>", "Cash>"]);
    for x in &r.accounts {
        a.row(vec![
            x.account.clone(),
            money(x.value),
            signed_money(x.change),
            opt_pct(x.change_pct),
            money(x.cash),
        ]);
    }
    a.print()?;
    outln!();
    let mut h = Report::new(&[
        "Account", "Symbol", "~Class", "Value>", "Shock>", "Change>", "~After>", "~Basis",
    ]);
    for x in &r.holdings {
        h.row(vec![
            x.account.clone(),
            x.symbol.clone(),
            x.class.clone(),
            money(x.value),
            figure(x.shock_pct),
            signed_money(x.change),
            money(x.value_after),
            match x.basis {
                Basis::Symbol => "symbol",
                Basis::Class => "class",
                Basis::Default => "default",
                Basis::NotShocked => "not shocked",
            }
            .into(),
        ]);
    }
    h.print()?;
    if !r.defaulted.is_empty()
        && let Some(d) = run.default_pct
    {
        outln!(
            "Without a class figure, given the default {} ({}): {}",
            figure(d),
            run.default_note
                .as_deref()
                .unwrap_or("the scenario's default"),
            r.defaulted.join(", ")
        );
    }
    if !r.not_shocked.is_empty() {
        outln!(
            "Not shocked (no shock names them or their class): {}",
            r.not_shocked.join(", ")
        );
    }
    outln!("{}.", r.cash_buffer.describe());
    Ok(())
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let r = stress(
        ctx.session,
        &StressParams {
            scenario: args.scenario,
            shock: args.shock,
            account: args.scope.account,
            as_of: args.scope.as_of,
        },
    )?;
    if ctx.json {
        return json(&r);
    }
    warnings(&r.warnings)?;
    outln!(
        "Stress test of the holdings on {} in {} ({})",
        r.as_of,
        r.currency,
        r.account
            .as_deref()
            .map_or_else(|| "every account".to_string(), |a| format!("account {a}"))
    );
    for run in &r.scenarios {
        outln!();
        print_run(run)?;
    }
    Ok(())
}
