//! The offline assistant's evaluation: common questions asked of `folio chat --provider
//! offline --json` over the demo, each answer checked against the command that shows the same
//! figures (`folio <command> --json` on the same day): the tools called, the key figures as the
//! command computes them, and no figure the number check could not find in the tool results.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use rust_decimal::Decimal;
use serde_json::Value;

use crate::common::Env;

/// The demo on a fixed day, so that the chat and the commands see the same figures.
const TODAY: &str = "2026-12-07";

/// Questions run side by side: each is two short runs of the binary.
const THREADS: usize = 4;

/// What one `folio chat --json` run said.
struct Chat {
    /// The tools called, in order.
    tools: Vec<String>,
    answer: String,
    done: Value,
}

/// The NDJSON events of a `--json` chat run, one object per line.
fn events(stdout: &str) -> Result<Vec<Value>, String> {
    stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).map_err(|e| format!("not JSON ({e}): {l}"))?;
            if v.get("event").and_then(Value::as_str).is_none() {
                return Err(format!("an event without \"event\": {l}"));
            }
            Ok(v)
        })
        .collect()
}

fn kind(e: &Value) -> &str {
    e.get("event").and_then(Value::as_str).unwrap_or("")
}

/// Asks the offline assistant `question` on the demo.
fn chat(env: &Env, question: &str) -> Result<Chat, String> {
    let out = env
        .command()
        .args([
            "--demo",
            "--today",
            TODAY,
            "chat",
            "--provider",
            "offline",
            "--json",
        ])
        .arg(question)
        .output()
        .map_err(|e| format!("cannot run folio: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "folio chat failed ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let events = events(&stdout)?;
    if let Some(e) = events.iter().find(|e| kind(e) == "error") {
        return Err(format!("an error event: {e}"));
    }
    let tools = events
        .iter()
        .filter(|e| kind(e) == "tool_call")
        .map(|e| e["name"].as_str().unwrap_or("").to_string())
        .collect();
    let results = events.iter().filter(|e| kind(e) == "tool_result").count();
    let done = events
        .iter()
        .find(|e| kind(e) == "done")
        .cloned()
        .ok_or_else(|| format!("no done event in:\n{stdout}"))?;
    let streamed: String = events
        .iter()
        .filter(|e| kind(e) == "message")
        .filter_map(|e| e["delta"].as_str())
        .collect();
    let answer = done["answer"].as_str().unwrap_or("").to_string();
    let chat = Chat {
        tools,
        answer,
        done,
    };
    if results != chat.tools.len() {
        return Err(format!(
            "{} tool calls but {results} results",
            chat.tools.len()
        ));
    }
    if streamed != chat.answer {
        return Err(format!(
            "the streamed text differs from done.answer:\n{streamed}\n---\n{}",
            chat.answer
        ));
    }
    Ok(chat)
}

/// The commands run so far, by arguments, with what each printed.
type Runs = HashMap<Vec<String>, Result<Value, String>>;

/// `folio --demo --today TODAY ARGS --json`: the report, or the error it printed. Several
/// questions check against the same command: each runs once.
fn cli(env: &Env, args: &[&str]) -> Result<Value, String> {
    static RUNS: OnceLock<Mutex<Runs>> = OnceLock::new();
    let key: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let runs = RUNS.get_or_init(Default::default);
    if let Some(r) = runs.lock().unwrap().get(&key) {
        return r.clone();
    }
    let out = env
        .command()
        .args(["--demo", "--today", TODAY])
        .args(args)
        .arg("--json")
        .output()
        .map_err(|e| format!("cannot run folio: {e}"))?;
    let r = if out.status.success() {
        serde_json::from_slice(&out.stdout).map_err(|e| format!("folio {args:?}: not JSON ({e})"))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    };
    runs.lock().unwrap().insert(key, r.clone());
    r
}

// ---------------------------------------------------------------------------------------------
// The command's figures, written the way the answer writes them

fn dec(v: &Value) -> Decimal {
    match v {
        Value::String(s) => s.parse().unwrap_or_else(|_| panic!("not a decimal: {v}")),
        Value::Number(n) => n.to_string().parse().unwrap(),
        _ => panic!("not a decimal: {v}"),
    }
}

/// `$1,234.50`, `-$12.00`.
fn usd(v: &Value) -> String {
    let d = dec(v);
    let s = folio::format::money(d.abs());
    if d.round_dp(2) < Decimal::ZERO {
        format!("-${s}")
    } else {
        format!("${s}")
    }
}

/// `+$1,234.50`, `-$12.00`, `$0.00`.
fn signed_usd(v: &Value) -> String {
    if dec(v).round_dp(2) > Decimal::ZERO {
        format!("+{}", usd(v))
    } else {
        usd(v)
    }
}

/// A percent field (12.5 is 12.50%).
fn pct(v: &Value) -> String {
    format!("{:.2}%", dec(v).round_dp(2))
}

/// A fraction (0.125 is 12.50%).
fn ratio(v: &Value) -> String {
    format!(
        "{:.2}%",
        v.as_f64().unwrap_or_else(|| panic!("not a number: {v}")) * 100.0
    )
}

fn price(v: &Value) -> String {
    format!("${}", folio::format::price(dec(v)))
}

fn qty(v: &Value) -> String {
    folio::format::qty(dec(v))
}

/// Every text of `wants` in the answer.
fn has_all(answer: &str, wants: &[String]) -> Result<(), String> {
    let missing: Vec<&String> = wants
        .iter()
        .filter(|w| !answer.contains(w.as_str()))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("missing {missing:?}"))
    }
}

// ---------------------------------------------------------------------------------------------
// The checks: one per question, each running the matching command

pub type Check = fn(&Env, &str) -> Result<(), String>;

fn holdings_all(env: &Env, a: &str) -> Result<(), String> {
    let r = cli(env, &["holdings"])?;
    let t = &r["totals"][0];
    let top = r["holdings"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|h| dec(&h["market_value"]))
        .unwrap();
    has_all(
        a,
        &[
            format!("**Total**: market value {}", usd(&t["market_value"])),
            format!("cost basis {}", usd(&t["cost_basis"])),
            format!("unrealized gain {}", signed_usd(&t["unrealized_gain"])),
            format!(
                "| {} | {} | {} | {} | {} |",
                top["account"].as_str().unwrap(),
                top["symbol"].as_str().unwrap(),
                qty(&top["quantity"]),
                price(&top["price"]),
                usd(&top["market_value"])
            ),
        ],
    )
}

fn holdings_ira(env: &Env, a: &str) -> Result<(), String> {
    let r = cli(env, &["holdings", "--account", "IRA"])?;
    let mut wants = vec![format!(
        "**Total**: market value {}",
        usd(&r["totals"][0]["market_value"])
    )];
    for h in r["holdings"].as_array().unwrap() {
        wants.push(format!(
            "| IRA | {} | {} |",
            h["symbol"].as_str().unwrap(),
            qty(&h["quantity"])
        ));
    }
    if a.contains("| Taxable |") {
        return Err("a Taxable row in an IRA answer".into());
    }
    has_all(a, &wants)
}

fn holdings_vti(env: &Env, a: &str) -> Result<(), String> {
    let r = cli(env, &["holdings"])?;
    let mut wants = Vec::new();
    for h in r["holdings"].as_array().unwrap() {
        let row = format!(
            "| {} | {} | {} | {} | {} | {} |",
            h["account"].as_str().unwrap(),
            h["symbol"].as_str().unwrap(),
            qty(&h["quantity"]),
            price(&h["price"]),
            usd(&h["market_value"]),
            signed_usd(&h["unrealized_gain"])
        );
        if h["symbol"] == "VTI" {
            wants.push(row);
        } else if a.contains(&row) {
            return Err(format!("a row of another symbol: {row}"));
        }
    }
    has_all(a, &wants)
}

fn cash_all(env: &Env, a: &str) -> Result<(), String> {
    let r = cli(env, &["cash"])?;
    let d = cli(env, &["dashboard"])?;
    let mut wants: Vec<String> = r["balances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            format!(
                "- {}: {}",
                b["account"].as_str().unwrap(),
                usd(&b["balance"])
            )
        })
        .collect();
    wants.push(format!("**Total cash**: {}", usd(&d["summary"]["cash"])));
    has_all(a, &wants)
}

fn cash_taxable(env: &Env, a: &str) -> Result<(), String> {
    let r = cli(env, &["cash", "--account", "Taxable"])?;
    let b = &r["balances"][0];
    has_all(
        a,
        &[
            "As of 2026-12-07, account Taxable:".into(),
            format!("- Taxable: {}", usd(&b["balance"])),
        ],
    )
}

fn net_worth(env: &Env, a: &str) -> Result<(), String> {
    let s = cli(env, &["dashboard"])?["summary"].clone();
    has_all(
        a,
        &[
            format!(
                "**Net worth**: {} (holdings {} + cash {})",
                usd(&s["net_worth"]),
                usd(&s["holdings_value"]),
                usd(&s["cash"])
            ),
            format!(
                "Day change: {} ({})",
                signed_usd(&s["day_change"]),
                pct(&s["day_change_pct"])
            ),
            format!("Unrealized gain: {}", signed_usd(&s["unrealized_gain"])),
        ],
    )
}

fn allocation(env: &Env, a: &str) -> Result<(), String> {
    let d = cli(env, &["dashboard"])?;
    let wants = d["allocation"]["by_class"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "- {}: {} ({})",
                c["name"].as_str().unwrap(),
                pct(&c["pct"]),
                usd(&c["value"])
            )
        })
        .collect::<Vec<_>>();
    has_all(a, &wants)
}

/// The holding with the biggest gain and the one with the biggest loss, as the answer lists
/// them.
fn extremes(holdings: &Value, with_account: bool) -> Vec<String> {
    let rows = holdings.as_array().unwrap();
    let name = |h: &Value| {
        if with_account {
            format!(
                "{} ({})",
                h["symbol"].as_str().unwrap(),
                h["account"].as_str().unwrap()
            )
        } else {
            h["symbol"].as_str().unwrap().to_string()
        }
    };
    let best = rows
        .iter()
        .max_by_key(|h| dec(&h["unrealized_gain"]))
        .unwrap();
    let worst = rows
        .iter()
        .min_by_key(|h| dec(&h["unrealized_gain"]))
        .unwrap();
    [best, worst]
        .iter()
        .map(|h| {
            format!(
                "- {}: {} ({})",
                name(h),
                signed_usd(&h["unrealized_gain"]),
                pct(&h["unrealized_gain_pct"])
            )
        })
        .collect()
}

fn movers_all(env: &Env, a: &str) -> Result<(), String> {
    let d = cli(env, &["dashboard"])?;
    let mut wants = extremes(&d["holdings"], false);
    wants.push(format!(
        "**Total unrealized gain**: {}",
        signed_usd(&d["summary"]["unrealized_gain"])
    ));
    has_all(a, &wants)
}

fn movers_taxable(env: &Env, a: &str) -> Result<(), String> {
    let h = cli(env, &["holdings", "--account", "Taxable"])?;
    has_all(a, &extremes(&h["holdings"], true))
}

fn realized_year(env: &Env, a: &str, year: &str) -> Result<(), String> {
    let r = cli(env, &["realized", "--year", year])?;
    let Some(t) = r["totals"].as_array().unwrap().first() else {
        return has_all(a, &[format!("No lots were closed in {year}")]);
    };
    let mut wants = vec![
        format!(
            "**Realized in {year}**: {} in total: short term {}, long term {}",
            signed_usd(&t["total_gain"]),
            signed_usd(&t["short_term_gain"]),
            signed_usd(&t["long_term_gain"])
        ),
        format!("proceeds {}", usd(&t["proceeds"])),
        "Tax figures are estimates, not tax advice.".into(),
    ];
    for d in r["disposals"].as_array().unwrap().iter().take(3) {
        wants.push(signed_usd(&d["gain"]));
    }
    has_all(a, &wants)
}

fn realized_this_year(env: &Env, a: &str) -> Result<(), String> {
    realized_year(env, a, "2026")
}

fn realized_last_year(env: &Env, a: &str) -> Result<(), String> {
    realized_year(env, a, "2025")
}

fn realized_2024(env: &Env, a: &str) -> Result<(), String> {
    realized_year(env, a, "2024")
}

fn wash_sales(env: &Env, a: &str) -> Result<(), String> {
    let r = cli(env, &["realized"])?;
    let t = &r["totals"][0];
    has_all(
        a,
        &[
            "**Realized in every year**".into(),
            format!(
                "Wash sales disallowed {} of loss",
                usd(&t["wash_sale_disallowed"])
            ),
        ],
    )
}

fn harvest_with(env: &Env, a: &str, args: &[&str]) -> Result<(), String> {
    let r = cli(env, args)?;
    let mut wants = vec![
        format!(
            "**{}** harvestable loss",
            usd(&r["summary"]["harvestable_loss"])
        ),
        "Tax figures are estimates, not tax advice.".into(),
        "folio gives no buy or sell advice.".into(),
    ];
    for c in r["candidates"].as_array().unwrap() {
        wants.push(format!(
            "| {} | {} | {} | {} | {} | {} |",
            c["account"].as_str().unwrap(),
            c["symbol"].as_str().unwrap(),
            c["acquired"].as_str().unwrap(),
            c["term"].as_str().unwrap(),
            qty(&c["quantity"]),
            usd(&c["loss"])
        ));
        wants.push(usd(&c["estimated_saving"]));
    }
    has_all(a, &wants)
}

fn harvest_all(env: &Env, a: &str) -> Result<(), String> {
    harvest_with(env, a, &["harvest"])
}

fn harvest_taxable(env: &Env, a: &str) -> Result<(), String> {
    harvest_with(env, a, &["harvest", "--account", "Taxable"])
}

fn sale_preview(env: &Env, a: &str, args: &[&str]) -> Result<(), String> {
    let r = cli(env, args)?;
    has_all(
        a,
        &[
            format!(
                "Selling {} {} in {} ({}) at {} on {}",
                qty(&r["quantity"]),
                r["symbol"].as_str().unwrap(),
                r["account"].as_str().unwrap(),
                r["account_kind"].as_str().unwrap(),
                price(&r["price"]),
                r["date"].as_str().unwrap()
            ),
            format!(
                "Proceeds {}, cost basis {}",
                usd(&r["proceeds"]),
                usd(&r["cost_basis"])
            ),
            format!(
                "Gain: short term {}, long term {}",
                signed_usd(&r["short_term_gain"]),
                signed_usd(&r["long_term_gain"])
            ),
            format!("before {}", r["safe_to_buy_back"].as_str().unwrap()),
            "Tax figures are estimates, not tax advice.".into(),
        ],
    )
}

fn sell_10_vti(env: &Env, a: &str) -> Result<(), String> {
    sale_preview(env, a, &["tax", "preview", "sell", "VTI", "10"])
}

fn sell_100_vwo_taxable(env: &Env, a: &str) -> Result<(), String> {
    sale_preview(
        env,
        a,
        &[
            "tax",
            "preview",
            "sell",
            "VWO",
            "100",
            "--account",
            "Taxable",
        ],
    )
}

fn sell_vwo_needs_an_account(env: &Env, a: &str) -> Result<(), String> {
    let err = match cli(env, &["tax", "preview", "sell", "VWO", "10"]) {
        Ok(_) => return Err("the command was expected to refuse".into()),
        Err(e) => e,
    };
    let message = err.trim_start_matches("folio: ").trim_end_matches('.');
    has_all(a, &["I could not look that up".into(), message.to_string()])
}

fn buy_5_vxus(env: &Env, a: &str) -> Result<(), String> {
    let r = cli(env, &["tax", "preview", "buy", "VXUS", "5"])?;
    let mut wants = vec![format!(
        "Buying 5 VXUS in {} ({}) at {}",
        r["account"].as_str().unwrap(),
        r["account_kind"].as_str().unwrap(),
        price(&r["price"])
    )];
    if r["washes"].as_array().unwrap().is_empty() {
        wants.push("Wash sale: none".into());
    } else {
        wants.push(format!(
            "it would disallow {} of loss",
            usd(&r["wash_sale_disallowed"])
        ));
    }
    has_all(a, &wants)
}

fn sell_vti_without_shares(env: &Env, a: &str) -> Result<(), String> {
    let r = cli(env, &["lots", "VTI"])?;
    let mut wants = vec![
        "Open lots of VTI, every account".to_string(),
        "\"if I sell 10 VTI\"".into(),
    ];
    for l in r["lots"].as_array().unwrap().iter().take(10) {
        wants.push(format!(
            "| {} | {} | {} | {} |",
            l["account"].as_str().unwrap(),
            l["acquired"].as_str().unwrap(),
            qty(&l["quantity"]),
            usd(&l["cost_basis"])
        ));
    }
    has_all(a, &wants)
}

fn lots_aapl(env: &Env, a: &str) -> Result<(), String> {
    let r = cli(env, &["lots", "AAPL"])?;
    let wants = r["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            format!(
                "| {} | AAPL | {} | {} | {} | {} | {} | {} |",
                l["account"].as_str().unwrap(),
                l["acquired"].as_str().unwrap(),
                qty(&l["quantity"]),
                usd(&l["cost_basis"]),
                usd(&l["market_value"]),
                signed_usd(&l["unrealized_gain"]),
                l["term"].as_str().unwrap()
            )
        })
        .collect::<Vec<_>>();
    if wants.is_empty() {
        return Err("the demo has no AAPL lot".into());
    }
    has_all(a, &wants)
}

fn risk_default(env: &Env, a: &str) -> Result<(), String> {
    let r = cli(env, &["risk"])?;
    let p = &r["portfolio"];
    has_all(
        a,
        &[
            format!("As of {}, all accounts:", r["to"].as_str().unwrap()),
            format!("Volatility {} a year", ratio(&p["volatility"])),
            format!(
                "Sharpe {:.2}, Sortino {:.2}",
                p["sharpe"].as_f64().unwrap(),
                p["sortino"].as_f64().unwrap()
            ),
            format!("Maximum drawdown {}", ratio(&p["max_drawdown"]["depth"])),
        ],
    )
}

fn risk_3y(env: &Env, a: &str) -> Result<(), String> {
    let r = cli(env, &["risk", "--window", "3y"])?;
    let p = &r["portfolio"];
    has_all(
        a,
        &[
            format!(
                "over 3y ({} to {})",
                r["from"].as_str().unwrap(),
                r["to"].as_str().unwrap()
            ),
            format!("Maximum drawdown {}", ratio(&p["max_drawdown"]["depth"])),
            format!("current drawdown {}", ratio(&p["current_drawdown"])),
        ],
    )
}

fn anomalies(env: &Env, a: &str) -> Result<(), String> {
    let r = cli(env, &["anomalies"])?;
    let findings = r["findings"].as_array().unwrap();
    let critical = findings
        .iter()
        .filter(|f| f["severity"] == "critical")
        .count();
    let mut wants = vec![format!(
        "**{} findings** ({critical} critical)",
        findings.len()
    )];
    for f in findings {
        wants.push(format!(
            "{} ({}, {})",
            f["check"].as_str().unwrap().replace('_', " "),
            f["subject"].as_str().unwrap(),
            f["date"].as_str().unwrap()
        ));
    }
    has_all(a, &wants)
}

fn plan_with(env: &Env, a: &str, args: &[&str], rate: &str) -> Result<(), String> {
    let r = cli(env, args)?;
    let ci = r["success_ci95"].as_array().unwrap();
    has_all(
        a,
        &[
            format!("starting at {}", usd(&r["initial"])),
            format!("withdrawing {rate} of it the first year"),
            format!(
                "for {} years ({} paths",
                r["years"],
                folio::format::qty(dec(&r["paths"]))
            ),
            format!(
                "**Success rate**: {} (95% interval {} to {})",
                ratio(&r["success_rate"]),
                ratio(&ci[0]),
                ratio(&ci[1])
            ),
            format!("median {}", usd(&r["terminal"]["p50"])),
        ],
    )
}

fn on_track(env: &Env, a: &str) -> Result<(), String> {
    plan_with(
        env,
        a,
        &["plan", "--from-portfolio", "--withdrawal-rate", "0.04"],
        "4%",
    )
}

fn last_40_years(env: &Env, a: &str) -> Result<(), String> {
    plan_with(
        env,
        a,
        &[
            "plan",
            "--from-portfolio",
            "--withdrawal-rate",
            "0.035",
            "--years",
            "40",
        ],
        "3.5%",
    )
}

fn price_of(env: &Env, a: &str, symbols: &[&str]) -> Result<(), String> {
    let r = cli(env, &["holdings"])?;
    let mut wants = Vec::new();
    for s in symbols {
        let h = r["holdings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["symbol"] == *s)
            .ok_or_else(|| format!("the demo holds no {s}"))?;
        wants.push(format!(
            "- {s}: {} on {} (day change {})",
            price(&h["price"]),
            h["price_date"].as_str().unwrap(),
            pct(&h["day_change_pct"])
        ));
    }
    has_all(a, &wants)
}

fn price_vti(env: &Env, a: &str) -> Result<(), String> {
    price_of(env, a, &["VTI"])
}

fn price_msft_aapl(env: &Env, a: &str) -> Result<(), String> {
    price_of(env, a, &["MSFT", "AAPL"])
}

fn performance_with(env: &Env, a: &str, args: &[&str]) -> Result<(), String> {
    let r = cli(env, args)?;
    let t = &r["total"];
    let mut wants = vec![
        format!(
            "**Performance** from {} to {}",
            r["from"].as_str().unwrap(),
            r["to"].as_str().unwrap()
        ),
        format!("Time-weighted return {}", ratio(&t["twr"])),
        format!("Gain {}", signed_usd(&t["gain"])),
        format!("dividends {}", usd(&t["dividends"])),
    ];
    if t["xirr"].is_number() {
        wants.push(format!(
            "Money-weighted return (XIRR) {}",
            ratio(&t["xirr"])
        ));
    }
    has_all(a, &wants)
}

fn performance_all(env: &Env, a: &str) -> Result<(), String> {
    performance_with(env, a, &["performance"])
}

fn performance_2025(env: &Env, a: &str) -> Result<(), String> {
    performance_with(
        env,
        a,
        &["performance", "--from", "2025-01-01", "--to", "2025-12-31"],
    )
}

fn accounts(env: &Env, a: &str) -> Result<(), String> {
    let r = cli(env, &["accounts"])?;
    let wants = r["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            format!(
                "| {} | {} | {} | {} |",
                x["name"].as_str().unwrap(),
                x["kind"].as_str().unwrap(),
                x["lot_method"].as_str().unwrap(),
                x["transactions"]
            )
        })
        .collect::<Vec<_>>();
    has_all(a, &wants)
}

fn transactions_with(env: &Env, a: &str, args: &[&str]) -> Result<(), String> {
    let r = cli(env, args)?;
    let rows = r["transactions"].as_array().unwrap();
    if rows.is_empty() {
        return has_all(a, &["No transactions match.".into()]);
    }
    let mut wants = vec![format!(
        "The latest {} of {} matching transactions",
        rows.len(),
        r["matched"]
    )];
    for t in rows {
        wants.push(format!(
            "| {} | {} | {} |",
            t["date"].as_str().unwrap(),
            t["account"].as_str().unwrap(),
            t["action"].as_str().unwrap()
        ));
    }
    has_all(a, &wants)
}

fn recent_transactions(env: &Env, a: &str) -> Result<(), String> {
    transactions_with(env, a, &["transactions", "--limit", "10"])
}

fn voo_transactions_ira(env: &Env, a: &str) -> Result<(), String> {
    transactions_with(
        env,
        a,
        &[
            "transactions",
            "--limit",
            "10",
            "--symbol",
            "VOO",
            "--account",
            "IRA",
        ],
    )
}

fn tax_report_2025(env: &Env, a: &str) -> Result<(), String> {
    let r = cli(env, &["tax", "report", "--year", "2025"])?;
    let s = &r["summary"];
    has_all(
        a,
        &[
            "**Tax year 2025**".into(),
            format!(
                "Long term: proceeds {}, cost basis {}",
                usd(&r["long_term"]["proceeds"]),
                usd(&r["long_term"]["cost_basis"])
            ),
            format!(
                "net short term {}, net long term {}",
                signed_usd(&s["net_short_term"]),
                signed_usd(&s["net_long_term"])
            ),
            "Tax figures are estimates, not tax advice.".into(),
        ],
    )
}

fn orders_open(env: &Env, a: &str) -> Result<(), String> {
    let r = cli(env, &["orders", "--open"])?;
    match r["orders"].as_array().unwrap().len() {
        0 => has_all(a, &["No orders in the journal.".into()]),
        n => Err(format!(
            "the demo has {n} open orders; this check expects none"
        )),
    }
}

fn fills(env: &Env, a: &str) -> Result<(), String> {
    let r = cli(env, &["fills"])?;
    match r["fills"].as_array().unwrap().len() {
        0 => has_all(a, &["No fills recorded.".into()]),
        n => Err(format!("the demo has {n} fills; this check expects none")),
    }
}

fn not_understood(_: &Env, a: &str) -> Result<(), String> {
    has_all(
        a,
        &[
            "I can't answer that offline".into(),
            "am I on track?".into(),
        ],
    )
}

/// A signed number of points with 2 decimals (`+4.80`, `-0.78`, `0.00`).
fn points(v: &Value) -> String {
    let d = dec(v).round_dp(2);
    if d.is_zero() {
        "0.00".into()
    } else {
        format!("{d:+.2}")
    }
}

/// A percent field with its sign, as written (`-47.2%`, `+2.2%`).
fn signed_pct(v: &Value) -> String {
    let d = dec(v).normalize();
    if d > Decimal::ZERO {
        format!("+{d}%")
    } else {
        format!("{d}%")
    }
}

fn targets(env: &Env, a: &str) -> Result<(), String> {
    let r = cli(env, &["targets"])?;
    let set = &r["sets"][0];
    let mut wants = vec![format!("{} in all", usd(&set["base"]))];
    let mut out_of_band = false;
    for row in set["rows"].as_array().unwrap() {
        wants.push(format!(
            "| {} | {} | {} | {} | {} |",
            row["name"].as_str().unwrap(),
            if row["untargeted"] == true {
                "none".to_string()
            } else {
                pct(&row["target_pct"])
            },
            pct(&row["pct"]),
            points(&row["drift_points"]),
            signed_usd(&row["drift_value"])
        ));
        out_of_band |= row["in_band"] == false;
    }
    if out_of_band {
        wants.push("`folio rebalance` proposes the trades back".into());
    }
    has_all(a, &wants)
}

fn rebalance_with(env: &Env, a: &str, args: &[&str]) -> Result<(), String> {
    let r = cli(env, args)?;
    let plan = &r["plan"];
    let mut wants = vec![
        format!(
            "**Estimated tax of the plan**: {}",
            usd(&plan["estimated_tax"])
        ),
        format!(
            "turnover {} ({} of the base)",
            usd(&plan["turnover"]),
            pct(&plan["turnover_pct"])
        ),
        format!("estimated tax {})", usd(&r["alternative"]["estimated_tax"])),
        "Nothing is placed".into(),
    ];
    let saved = dec(&r["tax_saved"]);
    if saved > Decimal::ZERO {
        wants.push(format!("saves **{}** of tax", usd(&r["tax_saved"])));
    }
    if dec(&r["new_cash"]) > Decimal::ZERO {
        wants.push(format!(
            "New cash {} goes into {} first",
            usd(&r["new_cash"]),
            r["new_cash_account"].as_str().unwrap()
        ));
    }
    for t in plan["trades"].as_array().unwrap() {
        wants.push(format!(
            "| {} | {} | {} | {} | {} |",
            t["side"].as_str().unwrap(),
            qty(&t["quantity"]),
            t["symbol"].as_str().unwrap(),
            t["account"].as_str().unwrap(),
            usd(&t["amount"])
        ));
    }
    has_all(a, &wants)
}

fn rebalance(env: &Env, a: &str) -> Result<(), String> {
    rebalance_with(env, a, &["rebalance"])
}

fn rebalance_cash(env: &Env, a: &str) -> Result<(), String> {
    rebalance_with(env, a, &["rebalance", "--cash", "5000"])
}

fn stress_with(env: &Env, a: &str, args: &[&str]) -> Result<(), String> {
    let r = cli(env, args)?;
    let mut wants = Vec::new();
    for run in r["scenarios"].as_array().unwrap() {
        let t = &run["totals"];
        let b = &run["cash_buffer"];
        wants.push(format!(
            "- Total: {} on {} of holdings ({})",
            signed_usd(&t["change"]),
            usd(&t["holdings_value"]),
            signed_pct(&t["pct_of_holdings"])
        ));
        wants.push(format!(
            "net worth {} becomes {} ({} with cash)",
            usd(&t["net_worth"]),
            usd(&t["net_worth_after"]),
            signed_pct(&t["pct_of_net_worth"])
        ));
        wants.push(format!(
            "- Cash buffer: {}, {} of net worth after the shock",
            usd(&b["cash"]),
            pct(&b["share_after_pct"])
        ));
        let worst = run["holdings"]
            .as_array()
            .unwrap()
            .iter()
            .min_by_key(|h| dec(&h["change"]))
            .unwrap();
        wants.push(format!(
            "- Worst holdings: {} in {} {} ({})",
            worst["symbol"].as_str().unwrap(),
            worst["account"].as_str().unwrap(),
            signed_usd(&worst["change"]),
            signed_pct(&worst["shock_pct"])
        ));
    }
    has_all(a, &wants)
}

fn stress_2008(env: &Env, a: &str) -> Result<(), String> {
    stress_with(env, a, &["stress", "--scenario", "2008"])
}

fn stress_us_stocks(env: &Env, a: &str) -> Result<(), String> {
    stress_with(env, a, &["stress", "--shock", "US stocks=-30"])
}

fn frontier(env: &Env, a: &str) -> Result<(), String> {
    let r = cli(env, &["frontier"])?;
    let cur = &r["current"];
    has_all(
        a,
        &[
            format!(
                "- **Your mix today**: return {} a year, volatility {}",
                ratio(&cur["mix"]["expected_return"]),
                ratio(&cur["mix"]["volatility"])
            ),
            format!(
                "at the same volatility: return {}",
                ratio(&cur["best_return_at_same_volatility"]["expected_return"])
            ),
            format!(
                "at the same return: volatility {}",
                ratio(&cur["least_volatility_at_same_return"]["volatility"])
            ),
            format!(
                "- **Minimum variance**: return {} a year, volatility {}",
                ratio(&r["min_variance"]["expected_return"]),
                ratio(&r["min_variance"]["volatility"])
            ),
            format!(
                "- **Maximum Sharpe**: return {} a year, volatility {}",
                ratio(&r["max_sharpe"]["expected_return"]),
                ratio(&r["max_sharpe"]["volatility"])
            ),
            "Warning: the frontier is estimated from history".into(),
        ],
    )
}

/// Question, the tools it must call (in order), and the check of the answer's figures.
pub const CASES: &[(&str, &[&str], Check)] = &[
    ("What do I own?", &["holdings"], holdings_all),
    ("show my positions in the IRA", &["holdings"], holdings_ira),
    (
        "how many VTI shares do I hold?",
        &["holdings"],
        holdings_vti,
    ),
    ("How much cash do I have?", &["cash", "dashboard"], cash_all),
    ("cash in my taxable account", &["cash"], cash_taxable),
    ("What's my net worth?", &["dashboard"], net_worth),
    ("show me my allocation", &["dashboard"], allocation),
    (
        "What are my biggest gains and losses?",
        &["dashboard"],
        movers_all,
    ),
    (
        "biggest unrealized losses in Taxable",
        &["holdings"],
        movers_taxable,
    ),
    (
        "realized gains this year",
        &["realized_gains"],
        realized_this_year,
    ),
    (
        "What did I realize last year?",
        &["realized_gains"],
        realized_last_year,
    ),
    (
        "short and long term capital gains in 2024",
        &["realized_gains"],
        realized_2024,
    ),
    (
        "did I have any wash sales?",
        &["realized_gains"],
        wash_sales,
    ),
    (
        "Can I harvest any losses?",
        &["harvest_candidates"],
        harvest_all,
    ),
    (
        "tax-loss harvesting in Taxable",
        &["harvest_candidates"],
        harvest_taxable,
    ),
    ("What if I sell 10 VTI?", &["preview_trade"], sell_10_vti),
    (
        "wash sale risk if I sell 100 shares of VWO in Taxable",
        &["preview_trade"],
        sell_100_vwo_taxable,
    ),
    (
        "if I sell 10 VWO",
        &["preview_trade"],
        sell_vwo_needs_an_account,
    ),
    ("wash sale if I buy 5 VXUS", &["preview_trade"], buy_5_vxus),
    ("if I sell VTI", &["lots"], sell_vti_without_shares),
    ("show me the lots of AAPL", &["lots"], lots_aapl),
    ("How risky is my portfolio?", &["risk"], risk_default),
    ("what's my max drawdown over 3 years", &["risk"], risk_3y),
    ("Anything unusual?", &["anomalies"], anomalies),
    ("Am I on track for retirement?", &["plan"], on_track),
    (
        "will my money last at 3.5% for 40 years?",
        &["plan"],
        last_40_years,
    ),
    ("price of VTI", &["quotes", "holdings"], price_vti),
    (
        "what are msft and aapl trading at",
        &["quotes", "holdings"],
        price_msft_aapl,
    ),
    (
        "How is my portfolio performing?",
        &["performance"],
        performance_all,
    ),
    ("returns in 2025", &["performance"], performance_2025),
    ("list my accounts", &["accounts"], accounts),
    (
        "recent transactions",
        &["transactions"],
        recent_transactions,
    ),
    (
        "show transactions of VOO in the IRA",
        &["transactions"],
        voo_transactions_ira,
    ),
    ("tax report for 2025", &["tax_report"], tax_report_2025),
    ("any open orders?", &["orders"], orders_open),
    ("show my fills", &["fills"], fills),
    ("How far am I from my targets?", &["targets"], targets),
    ("How do I rebalance?", &["rebalance"], rebalance),
    (
        "rebalance with 5000 new cash",
        &["rebalance"],
        rebalance_cash,
    ),
    (
        "What would a 2008 crash do to me?",
        &["stress"],
        stress_2008,
    ),
    ("what if US stocks fall 30%?", &["stress"], stress_us_stocks),
    ("Am I efficient?", &["frontier"], frontier),
    ("what's the weather like?", &[], not_understood),
];

/// One question: the tools, the number check, the opening and closing lines, the figures.
fn run_case(env: &Env, (question, tools, check): &(&str, &[&str], Check)) -> Result<(), String> {
    let c = chat(env, question)?;
    if c.tools != *tools {
        return Err(format!("tools {:?}, expected {tools:?}", c.tools));
    }
    let unverified = c.done["unverified"].as_array().cloned().unwrap_or_default();
    if !unverified.is_empty() {
        return Err(format!(
            "unverified figures {unverified:?} in:\n{}",
            c.answer
        ));
    }
    if c.done["provider"] != "offline" {
        return Err(format!("provider {}, expected offline", c.done["provider"]));
    }
    if !tools.is_empty() && !c.answer.starts_with("As of ") && !c.answer.starts_with("I could not")
    {
        return Err(format!(
            "no opening line with the date and scope:\n{}",
            c.answer
        ));
    }
    if !c.answer.trim_end().ends_with("in the config.") || !c.answer.contains("offline assistant") {
        return Err(format!(
            "no closing line on the offline assistant:\n{}",
            c.answer
        ));
    }
    check(env, &c.answer).map_err(|e| format!("{e}\nin the answer:\n{}", c.answer))
}

#[test]
fn the_offline_assistant_answers_common_questions_with_the_commands_figures() {
    assert!(CASES.len() >= 30);
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                // Each thread its own home, so that no two runs share a file.
                let env = Env::new();
                while let Some(case) = CASES.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let outcome = catch_unwind(AssertUnwindSafe(|| run_case(&env, case)))
                        .unwrap_or_else(|_| Err("the check panicked".into()));
                    if let Err(e) = outcome {
                        failures.lock().unwrap().push(format!("{:?}: {e}", case.0));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} questions failed:\n\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n\n")
    );
}
