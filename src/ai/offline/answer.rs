//! The answers: `answer()` turns the look-ups' results into text, with one writer per intent,
//! and the helpers that read the tools' JSON and format its numbers (money, percents, tables).

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde_json::Value;

use super::{FOOTER, Intent, Plan, Question, TAX_NOTE, named};
use crate::format;

/// Said under answers about trades: the assistant describes, never recommends.
const NO_ADVICE: &str = "folio gives no buy or sell advice.";

/// Rows a table shows before it says that more were left out (an answer is read on a screen).
const MAX_TABLE_ROWS: usize = 15;

// ---------------------------------------------------------------------------------------------
// Reading results

/// A field as a decimal: money comes as a string, statistics as numbers.
pub(super) fn dec(v: &Value, key: &str) -> Option<Decimal> {
    to_dec(v.get(key)?)
}

fn to_dec(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n
            .to_string()
            .parse()
            .ok()
            .or_else(|| n.as_f64().and_then(Decimal::from_f64_retain)),
        _ => None,
    }
}

fn num(v: &Value, key: &str) -> Option<f64> {
    match v.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .filter(|x: &f64| x.is_finite())
}

pub(super) fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

pub(super) fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Money in the envelope's currency: `$1,234.50` for dollars, `1,234.50 EUR` otherwise.
pub(super) fn money(d: Decimal, currency: &str) -> String {
    let s = format::money(d.abs());
    let sign = if d.round_dp(2).is_sign_negative() && !d.round_dp(2).is_zero() {
        "-"
    } else {
        ""
    };
    match currency {
        "USD" | "" => format!("{sign}${s}"),
        c => format!("{sign}{s} {c}"),
    }
}

/// A gain with its sign: `+$1,234.50`, `-$12.00`.
fn signed(d: Decimal, currency: &str) -> String {
    let s = money(d, currency);
    if d.round_dp(2) > Decimal::ZERO {
        format!("+{s}")
    } else {
        s
    }
}

pub(super) fn money_at(v: &Value, key: &str, currency: &str) -> String {
    dec(v, key).map_or_else(|| "n/a".into(), |d| money(d, currency))
}

pub(super) fn signed_at(v: &Value, key: &str, currency: &str) -> String {
    dec(v, key).map_or_else(|| "n/a".into(), |d| signed(d, currency))
}

/// A field that already is a percent (12.5 is 12.5%).
fn pct_at(v: &Value, key: &str) -> String {
    dec(v, key).map_or_else(|| "n/a".into(), |d| format!("{:.2}%", d.round_dp(2)))
}

/// A field that is a fraction (0.125 is 12.50%).
pub(super) fn ratio_at(v: &Value, key: &str) -> String {
    ratio(num(v, key))
}

fn ratio(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".into(), |x| format!("{:.2}%", x * 100.0))
}

/// A plain statistic with 2 decimals.
fn stat_at(v: &Value, key: &str) -> String {
    num(v, key).map_or_else(|| "n/a".into(), |x| format!("{x:.2}"))
}

pub(super) fn qty_at(v: &Value, key: &str) -> String {
    dec(v, key).map_or_else(|| "n/a".into(), format::qty)
}

fn price_at(v: &Value, key: &str, currency: &str) -> String {
    match dec(v, key) {
        Some(d) if currency == "USD" || currency.is_empty() => format!("${}", format::price(d)),
        Some(d) => format!("{} {currency}", format::price(d)),
        None => "n/a".into(),
    }
}

/// A lookup's result split into what every answer needs.
pub(super) struct Found<'a> {
    as_of: &'a str,
    pub(super) currency: &'a str,
    scope: &'a str,
    pub(super) report: &'a Value,
    truncated: &'a [Value],
}

pub(super) fn found(v: &Value) -> Found<'_> {
    Found {
        as_of: text(v, "as_of"),
        currency: v.get("currency").and_then(Value::as_str).unwrap_or("USD"),
        scope: v
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or("all accounts"),
        report: v.get("report").unwrap_or(&Value::Null),
        truncated: list(v, "truncated"),
    }
}

/// A pipe table: a header row and rows of cells.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!("| {} |\n", header.join(" | "));
    out.push_str(&format!("|{}\n", " --- |".repeat(header.len())));
    for r in rows {
        out.push_str(&format!("| {} |\n", r.join(" | ")));
    }
    out
}

/// The first `MAX_TABLE_ROWS` of `rows`, and a line saying how to see the rest when cut.
fn capped<'a, T>(rows: &'a [T], hint: &str) -> (&'a [T], Option<String>) {
    if rows.len() > MAX_TABLE_ROWS {
        (
            &rows[..MAX_TABLE_ROWS],
            Some(format!("Only the first rows are shown; {hint}.")),
        )
    } else {
        (rows, None)
    }
}

// ---------------------------------------------------------------------------------------------
// Answering

/// The answer from the look-ups' results, in the same order as `plan.lookups`.
pub fn answer(question: &str, plan: &Plan, results: &[Result<Value, String>]) -> String {
    if plan.intent == Intent::Unknown || plan.lookups.is_empty() {
        return unknown();
    }
    let oks: Vec<Option<&Value>> = plan
        .lookups
        .iter()
        .enumerate()
        .map(|(i, _)| results.get(i).and_then(|r| r.as_ref().ok()))
        .collect();
    let Some(first) = oks.iter().flatten().next() else {
        return failed(plan, results);
    };
    let f = found(first);
    let mut out = format!("As of {}, {}:\n\n", f.as_of, f.scope);
    let body = match plan.intent {
        Intent::Holdings => holdings(&f, &held_named(question, &f)),
        Intent::Cash => cash(&f, oks.get(1).copied().flatten()),
        Intent::NetWorth => net_worth(&f),
        Intent::Movers => movers(&f),
        Intent::Realized => realized(&f),
        Intent::Harvest => harvest(&f),
        Intent::Trade => trade(&f, plan),
        Intent::Lots => lots(&f),
        Intent::Risk => risk(&f),
        Intent::Anomalies => anomalies(&f),
        Intent::Plan => monte_carlo(&f),
        Intent::Quotes => quotes(&oks, &symbol_args(plan)),
        Intent::Performance => performance(&f),
        Intent::Accounts => accounts(&f),
        Intent::Transactions => transactions(&f),
        Intent::TaxReport => tax_report(&f),
        Intent::Orders => orders(&f),
        Intent::Fills => fills(&f),
        Intent::Targets => targets(&f),
        Intent::Rebalance => rebalance(&f),
        Intent::Stress => stress(&f),
        Intent::Frontier => frontier(&f),
        Intent::Unknown => String::new(),
    };
    out.push_str(body.trim_end());
    out.push('\n');
    // A look-up that failed beside one that answered.
    for (l, r) in plan.lookups.iter().zip(results) {
        if let Err(e) = r {
            out.push_str(&format!("\n{} could not answer: {}\n", l.tool, one_line(e)));
        }
    }
    for t in f.truncated {
        if let Some(note) = t.get("note").and_then(Value::as_str) {
            out.push_str(&format!("\nNote: {note}.\n"));
        }
    }
    for w in list(f.report, "warnings")
        .iter()
        .filter_map(Value::as_str)
        .take(3)
    {
        out.push_str(&format!("\nWarning: {}\n", one_line(w)));
    }
    if matches!(
        plan.intent,
        Intent::Realized | Intent::Harvest | Intent::Trade | Intent::TaxReport | Intent::Rebalance
    ) {
        out.push_str(&format!("\n{TAX_NOTE}"));
        if matches!(plan.intent, Intent::Harvest | Intent::Trade) {
            out.push_str(&format!(" {NO_ADVICE}"));
        }
        out.push('\n');
    }
    out.push_str(&format!("\n{FOOTER}"));
    out
}

/// The held symbols the question names ("vti?" shows VTI's positions only): the holdings
/// look-up takes no symbol, so the answer narrows its rows.
fn held_named(question: &str, f: &Found) -> Vec<String> {
    let held: Vec<&str> = list(f.report, "holdings")
        .iter()
        .map(|h| text(h, "symbol"))
        .collect();
    named(&Question::new(question), &held)
}

/// The symbols a plan's look-ups name (to narrow an answer to what was asked).
fn symbol_args(plan: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    for l in &plan.lookups {
        if let Some(s) = l.args.get("symbol").and_then(Value::as_str) {
            out.push(s.to_string());
        }
        for s in list(&l.args, "symbols").iter().filter_map(Value::as_str) {
            out.push(s.to_string());
        }
    }
    out.dedup();
    out
}

fn one_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("").trim();
    line.trim_end_matches('.').to_string() + "."
}

/// Every look-up failed: say what the tools said (their errors say what to do).
fn failed(plan: &Plan, results: &[Result<Value, String>]) -> String {
    let mut out = String::from("I could not look that up:\n");
    for (l, r) in plan.lookups.iter().zip(results) {
        if let Err(e) = r {
            out.push_str(&format!("- {}: {}\n", l.tool, one_line(e)));
        }
    }
    if results.len() < plan.lookups.len() {
        out.push_str("- no result came back.\n");
    }
    out.push_str(&format!("\n{FOOTER}"));
    out
}

/// What the assistant can answer, for a question it did not understand.
pub(super) fn unknown() -> String {
    format!(
        "I can't answer that offline. I understand questions like these:\n\
- **Holdings**: what do I own? my positions; lots of VTI\n\
- **Cash and net worth**: how much cash do I have? what's my net worth?\n\
- **Gains**: biggest gains and losses; realized gains this year (or in 2025)\n\
- **Taxes**: can I harvest any losses? my tax report; wash sale if I sell VTI, or if I buy 10 VXUS\n\
- **Risk**: volatility, drawdown, Sharpe, VaR; anything unusual?\n\
- **Plans**: am I on track? will my money last for 40 years? (name a withdrawal rate in percent)\n\
- **Targets**: how far am I from my targets? how do I rebalance? rebalance with new cash (name the amount)\n\
- **Scenarios**: what would a crash do to me? the 2008 scenario; what if US stocks fall (name a percent)\n\
- **Frontier**: am I efficient? the efficient frontier; the max Sharpe and minimum variance mixes\n\
- **More**: price of VTI, performance this year, my accounts, recent transactions, orders, fills\n\
\n{FOOTER}"
    )
}

fn holdings(f: &Found, only: &[String]) -> String {
    let mut rows: Vec<&Value> = list(f.report, "holdings")
        .iter()
        .filter(|h| only.is_empty() || only.iter().any(|s| s == text(h, "symbol")))
        .collect();
    if rows.is_empty() {
        return if only.is_empty() {
            "No open positions.".into()
        } else {
            format!("No open position in {}.", only.join(", "))
        };
    }
    rows.sort_by_key(|h| std::cmp::Reverse(dec(h, "market_value")));
    let (shown, more) = capped(&rows, "name an account to see the rest");
    let cur = f.currency;
    let cells: Vec<Vec<String>> = shown
        .iter()
        .map(|h| {
            vec![
                text(h, "account").to_string(),
                text(h, "symbol").to_string(),
                qty_at(h, "quantity"),
                price_at(h, "price", text(h, "currency")),
                money_at(h, "market_value", text(h, "currency")),
                signed_at(h, "unrealized_gain", text(h, "currency")),
                pct_at(h, "unrealized_gain_pct"),
            ]
        })
        .collect();
    let mut out = table(
        &[
            "Account", "Symbol", "Quantity", "Price", "Value", "Gain", "Gain %",
        ],
        &cells,
    );
    if let Some(m) = more {
        out.push_str(&format!("\n{m}\n"));
    }
    if only.is_empty() {
        for t in list(f.report, "totals") {
            let c = t.get("currency").and_then(Value::as_str).unwrap_or(cur);
            out.push_str(&format!(
                "\n**Total**: market value {}, cost basis {}, unrealized gain {}.\n",
                money_at(t, "market_value", c),
                money_at(t, "cost_basis", c),
                signed_at(t, "unrealized_gain", c)
            ));
        }
    }
    out
}

fn cash(f: &Found, dashboard: Option<&Value>) -> String {
    let balances = list(f.report, "balances");
    if balances.is_empty() {
        return "No cash balance.".into();
    }
    let mut out = String::new();
    for b in balances {
        out.push_str(&format!(
            "- {}: {}\n",
            text(b, "account"),
            money_at(b, "balance", text(b, "currency"))
        ));
    }
    let total = dashboard
        .map(found)
        .and_then(|d| Some((dec(d.report.get("summary")?, "cash")?, d.currency)));
    if let Some((t, c)) = total {
        out.push_str(&format!("\n**Total cash**: {}.\n", money(t, c)));
    }
    if f.report.get("negative").and_then(Value::as_bool) == Some(true) {
        out.push_str("\nA negative balance usually means a deposit or an FX conversion is missing from the imports.\n");
    }
    out
}

fn net_worth(f: &Found) -> String {
    let Some(s) = f.report.get("summary") else {
        return "The dashboard gave no summary.".into();
    };
    let c = f.currency;
    let mut out = format!(
        "**Net worth**: {} (holdings {} + cash {})\n- Day change: {} ({})\n- Unrealized gain: {}\n",
        money_at(s, "net_worth", c),
        money_at(s, "holdings_value", c),
        money_at(s, "cash", c),
        signed_at(s, "day_change", c),
        pct_at(s, "day_change_pct"),
        signed_at(s, "unrealized_gain", c),
    );
    let alloc = f.report.get("allocation").unwrap_or(&Value::Null);
    let classes = list(alloc, "by_class");
    if !classes.is_empty() {
        out.push_str("\n**Allocation by class**:\n");
        for x in classes {
            out.push_str(&format!(
                "- {}: {} ({})\n",
                text(x, "name"),
                pct_at(x, "pct"),
                money_at(x, "value", c)
            ));
        }
    }
    let top = list(alloc, "by_holding");
    if !top.is_empty() {
        out.push_str("\n**Largest holdings**: ");
        let names: Vec<String> = top
            .iter()
            .take(5)
            .map(|x| format!("{} {}", text(x, "name"), pct_at(x, "pct")))
            .collect();
        out.push_str(&names.join(", "));
        out.push('\n');
    }
    let unpriced = f
        .report
        .get("summary")
        .and_then(|s| s.get("unpriced"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    if unpriced > 0 {
        out.push_str("\nHoldings without a price are left out of the totals.\n");
    }
    out
}

/// The biggest unrealized gains and losses, from the dashboard (every account together) or
/// the holdings of one account.
fn movers(f: &Found) -> String {
    let mut rows: Vec<&Value> = list(f.report, "holdings")
        .iter()
        .filter(|h| dec(h, "unrealized_gain").is_some())
        .collect();
    rows.sort_by_key(|h| std::cmp::Reverse(dec(h, "unrealized_gain")));
    let line = |h: &Value| {
        let c = text(h, "currency");
        let who = match text(h, "account") {
            "" => text(h, "symbol").to_string(),
            a => format!("{} ({a})", text(h, "symbol")),
        };
        format!(
            "- {who}: {} ({}) on {}\n",
            signed_at(h, "unrealized_gain", c),
            pct_at(h, "unrealized_gain_pct"),
            money_at(h, "market_value", c)
        )
    };
    let gains: Vec<&&Value> = rows
        .iter()
        .filter(|h| dec(h, "unrealized_gain").unwrap_or_default() > Decimal::ZERO)
        .take(3)
        .collect();
    let losses: Vec<&&Value> = rows
        .iter()
        .rev()
        .filter(|h| dec(h, "unrealized_gain").unwrap_or_default() < Decimal::ZERO)
        .take(3)
        .collect();
    let mut out = String::from("**Biggest unrealized gains**:\n");
    if gains.is_empty() {
        out.push_str("- none: no holding is above its cost basis\n");
    }
    for h in gains {
        out.push_str(&line(h));
    }
    out.push_str("\n**Biggest unrealized losses**:\n");
    if losses.is_empty() {
        out.push_str("- none: no holding is below its cost basis\n");
    }
    for h in losses {
        out.push_str(&line(h));
    }
    let total = f
        .report
        .get("summary")
        .and_then(|s| dec(s, "unrealized_gain"))
        .or_else(|| {
            list(f.report, "totals")
                .first()
                .and_then(|t| dec(t, "unrealized_gain"))
        });
    if let Some(t) = total {
        out.push_str(&format!(
            "\n**Total unrealized gain**: {}.\n",
            signed(t, f.currency)
        ));
    }
    out
}

fn realized(f: &Found) -> String {
    let r = f.report;
    let period = match r.get("year").and_then(Value::as_i64) {
        Some(y) => format!("in {y}"),
        None => "in every year".into(),
    };
    let disposals = list(r, "disposals");
    if disposals.is_empty() {
        return format!("No lots were closed {period} (every account, IRAs included).");
    }
    let mut out = String::new();
    for t in list(r, "totals") {
        let c = text(t, "currency");
        out.push_str(&format!(
            "**Realized {period}**: {} in total: short term {}, long term {} (proceeds {}, cost basis {}).\n",
            signed_at(t, "total_gain", c),
            signed_at(t, "short_term_gain", c),
            signed_at(t, "long_term_gain", c),
            money_at(t, "proceeds", c),
            money_at(t, "cost_basis", c),
        ));
        if dec(t, "wash_sale_disallowed").is_some_and(|d| !d.is_zero()) {
            out.push_str(&format!(
                "- Wash sales disallowed {} of loss (added to the replacement shares' basis).\n",
                money_at(t, "wash_sale_disallowed", c)
            ));
        }
    }
    let mut rows: Vec<&Value> = disposals.iter().collect();
    rows.sort_by(|a, b| text(b, "sold").cmp(text(a, "sold")));
    let (shown, more) = capped(&rows, "name a symbol or an account to see the rest");
    let cells: Vec<Vec<String>> = shown
        .iter()
        .map(|d| {
            let c = text(d, "currency");
            vec![
                text(d, "sold").to_string(),
                text(d, "account").to_string(),
                text(d, "symbol").to_string(),
                qty_at(d, "quantity"),
                money_at(d, "proceeds", c),
                signed_at(d, "gain", c),
                text(d, "term").to_string(),
                money_at(d, "wash_sale_disallowed", c),
            ]
        })
        .collect();
    out.push('\n');
    out.push_str(&table(
        &[
            "Sold",
            "Account",
            "Symbol",
            "Quantity",
            "Proceeds",
            "Gain",
            "Term",
            "Wash disallowed",
        ],
        &cells,
    ));
    if let Some(m) = more {
        out.push_str(&format!("\n{m}\n"));
    }
    out.push_str("\nEvery account, IRAs included; the tax report shows what is taxable.\n");
    out
}

fn harvest(f: &Found) -> String {
    let r = f.report;
    let c = f.currency;
    let summary = r.get("summary").unwrap_or(&Value::Null);
    let candidates = list(r, "candidates");
    let mut out = if candidates.is_empty() {
        "No lot in a taxable account is losing enough to harvest at the configured thresholds.\n"
            .to_string()
    } else {
        format!(
            "**{}**, **{}** harvestable loss (what the lots worth harvesting would realize):\n\n",
            count(candidates.len(), "harvest candidate"),
            money_at(summary, "harvestable_loss", c)
        )
    };
    let (shown, more) = capped(candidates, "name an account to see the rest");
    if !shown.is_empty() {
        let cells: Vec<Vec<String>> = shown
            .iter()
            .map(|x| {
                vec![
                    text(x, "account").to_string(),
                    text(x, "symbol").to_string(),
                    text(x, "acquired").to_string(),
                    text(x, "term").to_string(),
                    qty_at(x, "quantity"),
                    money_at(x, "loss", c),
                    pct_at(x, "loss_pct"),
                    money_at(x, "estimated_saving", c),
                    if x.get("worth_harvesting").and_then(Value::as_bool) == Some(true) {
                        "yes"
                    } else {
                        "no"
                    }
                    .into(),
                    text(x, "safe_to_buy_back").to_string(),
                ]
            })
            .collect();
        out.push_str(&table(
            &[
                "Account",
                "Symbol",
                "Acquired",
                "Term",
                "Quantity",
                "Loss",
                "Loss %",
                "Est. tax saving",
                "Worth it",
                "Safe to buy back",
            ],
            &cells,
        ));
        if let Some(m) = more {
            out.push_str(&format!("\n{m}\n"));
        }
        let blocked: Vec<&str> = shown
            .iter()
            .filter(|x| text(x, "wash_status") != "clean" && !text(x, "wash_status").is_empty())
            .map(|x| text(x, "symbol"))
            .collect();
        if !blocked.is_empty() {
            out.push_str(&format!(
                "\nWash-sale limits apply to {} (recent purchases of it or a substantially identical fund).\n",
                blocked.join(", ")
            ));
        }
        out.push_str("\nBuying the same or a substantially identical fund before the safe day, in any account, would wash the loss; `folio harvest` lists replacement funds ranked by similarity.\n");
    }
    if let Some(y) = summary.get("realized")
        && let Some(year) = y.get("year").and_then(Value::as_i64)
    {
        out.push_str(&format!(
            "\nRealized so far in {year}: net short term {}, net long term {}.\n",
            signed_at(y, "net_short_term", c),
            signed_at(y, "net_long_term", c)
        ));
    }
    out
}

fn trade(f: &Found, plan: &Plan) -> String {
    match plan.lookups.first().map(|l| l.tool) {
        Some("preview_trade") => preview(f),
        Some("lots") => sale_without_quantity(f),
        Some("realized_gains") => realized(f),
        _ => String::new(),
    }
}

fn preview(f: &Found) -> String {
    let r = f.report;
    let c = text(r, "currency");
    let c = if c.is_empty() { f.currency } else { c };
    let is_sale = r.get("lots").is_some();
    let kind = text(r, "account_kind");
    let mut out = format!(
        "{} {} {} in {} ({kind}) at {} on {}:\n",
        if is_sale { "Selling" } else { "Buying" },
        qty_at(r, "quantity"),
        text(r, "symbol"),
        text(r, "account"),
        price_at(r, "price", c),
        text(r, "date"),
    );
    if is_sale {
        out.push_str(&format!(
            "- Proceeds {}, cost basis {} ({} lots)\n- Gain: short term {}, long term {}\n",
            money_at(r, "proceeds", c),
            money_at(r, "cost_basis", c),
            text(r, "method"),
            signed_at(r, "short_term_gain", c),
            signed_at(r, "long_term_gain", c),
        ));
        let washed = dec(r, "wash_sale_disallowed").unwrap_or_default();
        if washed.is_zero() {
            out.push_str("- Wash sale: none; no loss of this sale is disallowed.\n");
        } else {
            out.push_str(&format!(
                "- Wash sale: {} of the loss is disallowed (shares bought within 30 days before or after)\n",
                money_at(r, "wash_sale_disallowed", c)
            ));
        }
        let lots = list(r, "lots");
        if lots.len() > 1 {
            let cells: Vec<Vec<String>> = lots
                .iter()
                .map(|l| {
                    vec![
                        text(l, "acquired").to_string(),
                        qty_at(l, "quantity"),
                        money_at(l, "cost_basis", c),
                        signed_at(l, "gain", c),
                        text(l, "term").to_string(),
                    ]
                })
                .collect();
            out.push('\n');
            out.push_str(&table(
                &["Lot acquired", "Quantity", "Cost basis", "Gain", "Term"],
                &cells,
            ));
        }
        let identical: Vec<&str> = list(r, "substantially_identical")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        out.push_str(&format!(
            "\nBuying {} before {} would wash what is still a loss.\n",
            if identical.is_empty() {
                text(r, "symbol").to_string()
            } else {
                identical.join(" or ")
            },
            text(r, "safe_to_buy_back")
        ));
    } else {
        let washes = list(r, "washes");
        let identical: Vec<&str> = list(r, "substantially_identical")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        if washes.is_empty() {
            out.push_str(&format!(
                "- Wash sale: none; no loss sale of {} in the 30 days before would be washed.\n",
                if identical.is_empty() {
                    text(r, "symbol").to_string()
                } else {
                    identical.join(" or ")
                }
            ));
        } else {
            out.push_str(&format!(
                "- Wash sale: it would disallow {} of loss from these sales:\n",
                money_at(r, "wash_sale_disallowed", c)
            ));
            for w in washes {
                out.push_str(&format!(
                    "  - {} {} sold {} in {}: {} disallowed\n",
                    qty_at(w, "quantity"),
                    text(w, "symbol"),
                    text(w, "sold"),
                    text(w, "account"),
                    money_at(w, "disallowed", c)
                ));
            }
            if dec(r, "wash_sale_permanent").is_some_and(|d| !d.is_zero()) {
                out.push_str(&format!(
                    "- {} of it would be lost for good (the purchase is in an IRA).\n",
                    money_at(r, "wash_sale_permanent", c)
                ));
            }
        }
        if dec(r, "quantity") == Some(Decimal::ONE) {
            out.push_str("\nPreviewed for one share; name the shares for the whole purchase (\"wash sale if I buy 10 VXUS\").\n");
        }
    }
    if matches!(kind, "ira" | "roth") {
        out.push_str("\nIn an IRA or Roth IRA a sale is not a taxable event.\n");
    }
    out
}

/// "If I sell VTI" without the shares: the symbol's lots in every account. A lot bought in
/// the last 30 days is a purchase that would wash a loss taken now.
fn sale_without_quantity(f: &Found) -> String {
    let lots = list(f.report, "lots");
    let symbol = text(f.report, "symbol");
    if lots.is_empty() {
        return format!("No open lot of {symbol}: there is nothing to sell.");
    }
    let today = NaiveDate::parse_from_str(f.as_of, "%Y-%m-%d").ok();
    let recent = |l: &Value| {
        let acquired = NaiveDate::parse_from_str(text(l, "acquired"), "%Y-%m-%d").ok();
        matches!((acquired, today), (Some(a), Some(t)) if a > t - Duration::days(31) && a <= t)
    };
    let (shown, more) = capped(lots, "name an account to see the rest");
    let cells: Vec<Vec<String>> = shown
        .iter()
        .map(|l| {
            let c = text(l, "currency");
            vec![
                text(l, "account").to_string(),
                text(l, "acquired").to_string(),
                qty_at(l, "quantity"),
                money_at(l, "cost_basis", c),
                money_at(l, "market_value", c),
                signed_at(l, "unrealized_gain", c),
                text(l, "term").to_string(),
            ]
        })
        .collect();
    let mut out = format!("Open lots of {symbol}, every account:\n\n");
    out.push_str(&table(
        &[
            "Account",
            "Acquired",
            "Quantity",
            "Cost basis",
            "Value",
            "Gain",
            "Term",
        ],
        &cells,
    ));
    if let Some(m) = more {
        out.push_str(&format!("\n{m}\n"));
    }
    let bought: Vec<String> = lots
        .iter()
        .filter(|l| recent(l))
        .map(|l| {
            format!(
                "{} on {} in {}",
                qty_at(l, "quantity"),
                text(l, "acquired"),
                text(l, "account")
            )
        })
        .collect();
    let all_gains = lots
        .iter()
        .all(|l| dec(l, "unrealized_gain").is_some_and(|g| g >= Decimal::ZERO));
    if all_gains {
        out.push_str(
            "\nEvery lot is at or above its cost basis: a sale now would realize no loss, and a wash sale only disallows losses.\n",
        );
    } else if bought.is_empty() {
        out.push_str(&format!(
            "\nNo lot of {symbol} was bought in the last 30 days, so no earlier purchase of it would wash a loss taken now; buying it or a substantially identical fund in the 30 days after a loss sale, in any account, would.\n"
        ));
    } else {
        out.push_str(&format!(
            "\nBought in the last 30 days: {}. A loss on shares sold now would be washed by these purchases.\n",
            bought.join("; ")
        ));
    }
    out.push_str(&format!(
        "\nFor the exact preview (lots sold, gain by term, wash sales, the day buying back is safe), name the shares: \"if I sell 10 {symbol}\".\n"
    ));
    out
}

fn lots(f: &Found) -> String {
    let lots = list(f.report, "lots");
    if lots.is_empty() {
        return "No open lots.".into();
    }
    let (shown, more) = capped(lots, "name a symbol or an account to see the rest");
    let cells: Vec<Vec<String>> = shown
        .iter()
        .map(|l| {
            let c = text(l, "currency");
            vec![
                text(l, "account").to_string(),
                text(l, "symbol").to_string(),
                text(l, "acquired").to_string(),
                qty_at(l, "quantity"),
                money_at(l, "cost_basis", c),
                money_at(l, "market_value", c),
                signed_at(l, "unrealized_gain", c),
                text(l, "term").to_string(),
                text(l, "long_term_on").to_string(),
            ]
        })
        .collect();
    let mut out = table(
        &[
            "Account",
            "Symbol",
            "Acquired",
            "Quantity",
            "Cost basis",
            "Value",
            "Gain",
            "Term",
            "Long term on",
        ],
        &cells,
    );
    if let Some(m) = more {
        out.push_str(&format!("\n{m}\n"));
    }
    let adjusted = shown
        .iter()
        .any(|l| dec(l, "wash_sale_adjustment").is_some_and(|d| !d.is_zero()));
    if adjusted {
        out.push_str("\nSome lots carry a wash-sale adjustment in their cost basis.\n");
    }
    out
}

fn risk(f: &Found) -> String {
    let r = f.report;
    let Some(p) = r.get("portfolio") else {
        return "The risk report has no portfolio figures.".into();
    };
    let mut out = format!(
        "**Portfolio risk** over {} ({} to {}):\n- Volatility {} a year; total return {}\n- Sharpe {}, Sortino {}\n",
        text(r, "window"),
        text(r, "from"),
        text(r, "to"),
        ratio_at(p, "volatility"),
        ratio_at(p, "total_return"),
        stat_at(p, "sharpe"),
        stat_at(p, "sortino"),
    );
    if let Some(dd) = p.get("max_drawdown").filter(|d| d.is_object()) {
        let recovery = match text(dd, "recovery") {
            "" => "not recovered yet".to_string(),
            d => format!("recovered {d}"),
        };
        out.push_str(&format!(
            "- Maximum drawdown {} (peak {}, trough {}, {recovery}); current drawdown {}\n",
            ratio_at(dd, "depth"),
            text(dd, "peak"),
            text(dd, "trough"),
            ratio_at(p, "current_drawdown"),
        ));
    }
    for v in list(p, "var") {
        if num(v, "horizon_days") == Some(1.0) {
            out.push_str(&format!(
                "- VaR {} 1 day: {} historical, {} parametric (CVaR {})\n",
                ratio_at(v, "level").replace(".00%", "%"),
                ratio_at(v, "historical_var"),
                ratio_at(v, "parametric_var"),
                ratio_at(v, "historical_cvar"),
            ));
        }
    }
    if num(p, "beta").is_some() {
        out.push_str(&format!(
            "- Beta {} and correlation {} against {}\n",
            stat_at(p, "beta"),
            stat_at(p, "correlation"),
            text(r, "benchmark")
        ));
    }
    let holdings = list(r, "holdings");
    if !holdings.is_empty() {
        let mut rows: Vec<&Value> = holdings.iter().collect();
        rows.sort_by(|a, b| {
            num(b, "weight")
                .unwrap_or(0.0)
                .total_cmp(&num(a, "weight").unwrap_or(0.0))
        });
        let (shown, _) = capped(&rows, "");
        let cells: Vec<Vec<String>> = shown
            .iter()
            .map(|h| {
                let dd = h.get("max_drawdown").unwrap_or(&Value::Null);
                vec![
                    text(h, "symbol").to_string(),
                    ratio_at(h, "weight"),
                    ratio_at(h, "volatility"),
                    ratio_at(dd, "depth"),
                    stat_at(h, "beta"),
                ]
            })
            .collect();
        out.push('\n');
        out.push_str(&table(
            &["Holding", "Weight", "Volatility", "Max drawdown", "Beta"],
            &cells,
        ));
    }
    for u in list(p, "unavailable")
        .iter()
        .filter_map(Value::as_str)
        .take(3)
    {
        out.push_str(&format!("\nNot available: {}\n", one_line(u)));
    }
    out
}

fn anomalies(f: &Found) -> String {
    let r = f.report;
    let findings = list(r, "findings");
    if findings.is_empty() {
        let checks: Vec<&str> = list(r, "checks").iter().map(|c| text(c, "check")).collect();
        return format!(
            "Nothing unusual: no check found anything ({}).",
            checks.join(", ")
        );
    }
    let critical = findings
        .iter()
        .filter(|x| text(x, "severity") == "critical")
        .count();
    let mut out = format!(
        "**{}** ({critical} critical), over the last {} days:\n",
        count(findings.len(), "finding"),
        r.get("lookback_days").and_then(Value::as_i64).unwrap_or(0)
    );
    let mut rows: Vec<&Value> = findings.iter().collect();
    // Critical first, then as the report lists them.
    rows.sort_by_key(|x| text(x, "severity") != "critical");
    for x in rows.iter().take(MAX_TABLE_ROWS) {
        out.push_str(&format!(
            "- **{}** {} ({}, {}): {}\n",
            text(x, "severity"),
            text(x, "check").replace('_', " "),
            text(x, "subject"),
            text(x, "date"),
            one_line(text(x, "reason"))
        ));
    }
    if rows.len() > MAX_TABLE_ROWS {
        out.push_str("- more findings: `folio anomalies` lists them all\n");
    }
    out
}

fn monte_carlo(f: &Found) -> String {
    let r = f.report;
    let c = f.currency;
    let years = r.get("years").and_then(Value::as_u64).unwrap_or(0);
    let mut out = format!(
        "**Monte Carlo plan** of your holdings, starting at {}",
        money_at(r, "initial", c)
    );
    if let Some(w) = num(r, "withdrawal_rate") {
        out.push_str(&format!(
            ", withdrawing {} of it the first year",
            trim_pct(w)
        ));
        if let Some(first) = list(r, "withdrawals").first() {
            out.push_str(&format!(" ({})", money_at(first, "p50", c)));
        }
        out.push_str(" and then the same amount kept up with inflation");
    }
    out.push_str(&format!(
        ", for {years} years ({} paths, {} model):\n",
        r.get("paths")
            .and_then(Value::as_u64)
            .map_or_else(|| "n/a".into(), |p| format::qty(Decimal::from(p))),
        text(r, "model")
    ));
    out.push_str(&format!(
        "- **Success rate**: {}",
        ratio_at(r, "success_rate")
    ));
    if let [lo, hi] = list(r, "success_ci95") {
        out.push_str(&format!(
            " (95% interval {} to {})",
            ratio(lo.as_f64()),
            ratio(hi.as_f64())
        ));
    }
    out.push_str(": the share of paths where the money lasts\n");
    if let Some(t) = r.get("terminal") {
        out.push_str(&format!(
            "- Value after {years} years: median {}, 5th percentile {}, 95th percentile {}\n",
            money_at(t, "p50", c),
            money_at(t, "p5", c),
            money_at(t, "p95", c)
        ));
    }
    if r.get("goal").is_some_and(|g| !g.is_null()) {
        out.push_str(&format!(
            "- Goal {}: probability {}\n",
            money_at(r, "goal", c),
            ratio_at(r, "goal_probability")
        ));
    }
    out.push_str("\nName your own withdrawal rate (in percent) and years, e.g. \"will my money last for 40 years\", or run `folio plan --from-portfolio` with the options you want.\n");
    out
}

/// A rate as a short percent: 0.04 is "4%", 0.035 is "3.5%".
fn trim_pct(x: f64) -> String {
    let s = format!("{:.2}", x * 100.0);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}%")
}

fn quotes(oks: &[Option<&Value>], only: &[String]) -> String {
    let stored = oks.first().copied().flatten().map(found);
    let held = oks.get(1).copied().flatten().map(found);
    let mut out = String::new();
    let quotes: Vec<&Value> = stored
        .as_ref()
        .map(|s| list(s.report, "quotes").iter().collect())
        .unwrap_or_default();
    for q in &quotes {
        let c = text(q, "currency");
        out.push_str(&format!(
            "- {}: last {} ({}, {}, {})\n",
            text(q, "symbol"),
            price_at(q, "last", if c.is_empty() { "USD" } else { c }),
            text(q, "source"),
            text(q, "freshness"),
            text(q, "time"),
        ));
    }
    if quotes.iter().any(|q| text(q, "source") == "simulated") {
        out.push_str("Simulated quotes are the demo's, not market prices.\n");
    }
    // The latest close of each held symbol asked for (or of every one), once per symbol.
    let mut seen: Vec<&str> = Vec::new();
    let mut closes = String::new();
    if let Some(h) = &held {
        for x in list(h.report, "holdings") {
            let s = text(x, "symbol");
            if seen.contains(&s) || !(only.is_empty() || only.iter().any(|o| o == s)) {
                continue;
            }
            seen.push(s);
            closes.push_str(&format!(
                "- {s}: {} on {} (day change {})\n",
                price_at(x, "price", text(x, "currency")),
                text(x, "price_date"),
                pct_at(x, "day_change_pct"),
            ));
        }
    }
    if !closes.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str("**Latest closes**:\n");
        out.push_str(&closes);
    }
    let missing: Vec<&str> = only
        .iter()
        .map(String::as_str)
        .filter(|s| !seen.contains(s))
        .collect();
    let no_quote: Vec<&str> = missing
        .iter()
        .copied()
        .filter(|s| !quotes.iter().any(|q| text(q, "symbol") == *s))
        .collect();
    if !no_quote.is_empty() {
        out.push_str(&format!(
            "\nNo stored quote or held close for {}.\n",
            no_quote.join(", ")
        ));
    }
    if quotes.is_empty() {
        out.push_str("\nNo quote is stored (the cockpit stores them while its quote feed runs); `folio quotes SYMBOL` asks the feed.\n");
    }
    out
}

fn performance(f: &Found) -> String {
    let r = f.report;
    let c = f.currency;
    let Some(t) = r.get("total") else {
        return "The performance report has no totals.".into();
    };
    let mut out = format!(
        "**Performance** from {} to {}:\n",
        text(r, "from"),
        text(r, "to")
    );
    out.push_str(&format!("- Time-weighted return {}", ratio_at(t, "twr")));
    if num(t, "twr_annualised").is_some() {
        out.push_str(&format!(" ({} a year)", ratio_at(t, "twr_annualised")));
    }
    out.push('\n');
    if num(t, "xirr").is_some() {
        out.push_str(&format!(
            "- Money-weighted return (XIRR) {} a year\n",
            ratio_at(t, "xirr")
        ));
    }
    out.push_str(&format!(
        "- Gain {}: realized {}, unrealized change {}, dividends {}, interest {}, fees {}\n- Deposits {}, withdrawals {}; value {} at the start, {} at the end\n",
        signed_at(t, "gain", c),
        signed_at(t, "realized_gain", c),
        signed_at(t, "unrealized_change", c),
        money_at(t, "dividends", c),
        money_at(t, "interest", c),
        money_at(t, "fees", c),
        money_at(t, "deposits", c),
        money_at(t, "withdrawals", c),
        money_at(t, "start_value", c),
        money_at(t, "end_value", c),
    ));
    let accounts = list(r, "accounts");
    if accounts.len() > 1 {
        let cells: Vec<Vec<String>> = accounts
            .iter()
            .map(|a| {
                vec![
                    text(a, "account").to_string(),
                    ratio_at(a, "twr"),
                    ratio_at(a, "xirr"),
                    signed_at(a, "gain", c),
                ]
            })
            .collect();
        out.push('\n');
        out.push_str(&table(&["Account", "TWR", "XIRR", "Gain"], &cells));
    }
    let mut holdings: Vec<&Value> = list(r, "holdings").iter().collect();
    holdings.sort_by(|a, b| {
        num(b, "contribution")
            .unwrap_or(0.0)
            .total_cmp(&num(a, "contribution").unwrap_or(0.0))
    });
    if !holdings.is_empty() {
        let top: Vec<String> = holdings
            .iter()
            .take(3)
            .map(|h| format!("{} {}", text(h, "symbol"), ratio_at(h, "contribution")))
            .collect();
        out.push_str(&format!(
            "\nLargest contributions to the return: {}.\n",
            top.join(", ")
        ));
    }
    for n in list(t, "notes").iter().filter_map(Value::as_str) {
        out.push_str(&format!("\nNote: {}\n", one_line(n)));
    }
    out
}

fn accounts(f: &Found) -> String {
    let rows = list(f.report, "accounts");
    if rows.is_empty() {
        return "No accounts yet: `folio import` creates them from your statements.".into();
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|a| {
            vec![
                text(a, "name").to_string(),
                text(a, "kind").to_string(),
                text(a, "lot_method").to_string(),
                a.get("transactions")
                    .map(Value::to_string)
                    .unwrap_or_default(),
            ]
        })
        .collect();
    table(&["Account", "Kind", "Lot method", "Transactions"], &cells)
}

fn transactions(f: &Found) -> String {
    let r = f.report;
    let rows = list(r, "transactions");
    let matched = r
        .get("matched")
        .and_then(Value::as_u64)
        .unwrap_or(rows.len() as u64);
    if rows.is_empty() {
        return "No transactions match.".into();
    }
    let mut out = format!(
        "The latest {} of {} matching transactions, newest first:\n\n",
        rows.len(),
        matched
    );
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|t| {
            let c = text(t, "currency");
            vec![
                text(t, "date").to_string(),
                text(t, "account").to_string(),
                text(t, "action").to_string(),
                text(t, "symbol").to_string(),
                dec(t, "quantity").map(format::qty).unwrap_or_default(),
                dec(t, "price")
                    .map(|_| price_at(t, "price", c))
                    .unwrap_or_default(),
                dec(t, "amount").map(|d| money(d, c)).unwrap_or_default(),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "Date", "Account", "Action", "Symbol", "Quantity", "Price", "Amount",
        ],
        &cells,
    ));
    out
}

fn tax_report(f: &Found) -> String {
    let r = f.report;
    let c = f.currency;
    let year = r.get("year").and_then(Value::as_i64).unwrap_or(0);
    let rows = list(r, "rows");
    let mut out = format!("**Tax year {year}**, taxable accounts:\n");
    if rows.is_empty() {
        out.push_str(&format!(
            "- No lot was closed in a taxable account in {year}.\n"
        ));
    }
    for (name, key) in [("Short term", "short_term"), ("Long term", "long_term")] {
        let Some(t) = r.get(key) else { continue };
        if rows.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "- {name}: proceeds {}, cost basis {}, wash-sale adjustment {}, gain {}\n",
            money_at(t, "proceeds", c),
            money_at(t, "cost_basis", c),
            money_at(t, "adjustment", c),
            signed_at(t, "gain", c),
        ));
    }
    if let Some(s) = r.get("summary") {
        out.push_str(&format!(
            "- Netting: net short term {}, net long term {}; ordinary income offset {}; carried forward {} short term, {} long term\n",
            signed_at(s, "net_short_term", c),
            signed_at(s, "net_long_term", c),
            money_at(s, "ordinary_offset_used", c),
            money_at(s, "carry_out_short", c),
            money_at(s, "carry_out_long", c),
        ));
    }
    out
}

fn orders(f: &Found) -> String {
    let rows = list(f.report, "orders");
    if rows.is_empty() {
        return "No orders in the journal.".into();
    }
    let (shown, more) = capped(rows, "`folio orders` lists them all");
    let cells: Vec<Vec<String>> = shown
        .iter()
        .map(|o| {
            vec![
                o.get("id").map(Value::to_string).unwrap_or_default(),
                text(o, "created")
                    .chars()
                    .take(16)
                    .collect::<String>()
                    .replace('T', " "),
                format!(
                    "{} {} {} ({})",
                    text(o, "side"),
                    qty_at(o, "quantity"),
                    text(o, "symbol"),
                    o.get("limit").and_then(to_dec).map_or_else(
                        || "market".to_string(),
                        |l| format!("limit {}", format::price(l))
                    )
                ),
                text(o, "account").to_string(),
                text(o, "state").to_string(),
                qty_at(o, "filled"),
                o.get("avg_price")
                    .and_then(to_dec)
                    .map(format::price)
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let mut out = table(
        &[
            "Id",
            "Created (UTC)",
            "Order",
            "Account",
            "State",
            "Filled",
            "Avg price",
        ],
        &cells,
    );
    if let Some(m) = more {
        out.push_str(&format!("\n{m}\n"));
    }
    out
}

fn fills(f: &Found) -> String {
    let rows = list(f.report, "fills");
    if rows.is_empty() {
        return "No fills recorded.".into();
    }
    let (shown, more) = capped(rows, "`folio fills` lists them all");
    let cells: Vec<Vec<String>> = shown
        .iter()
        .map(|x| {
            vec![
                text(x, "trade_date").to_string(),
                text(x, "symbol").to_string(),
                text(x, "side").to_string(),
                qty_at(x, "quantity"),
                x.get("price")
                    .and_then(to_dec)
                    .map(format::price)
                    .unwrap_or_default(),
                x.get("commission")
                    .and_then(to_dec)
                    .map(format::money)
                    .unwrap_or_else(|| "pending".into()),
                x.get("account")
                    .and_then(Value::as_str)
                    .unwrap_or("not booked")
                    .to_string(),
            ]
        })
        .collect();
    let mut out = table(
        &[
            "Trade date",
            "Symbol",
            "Side",
            "Quantity",
            "Price",
            "Commission",
            "Account",
        ],
        &cells,
    );
    if let Some(m) = more {
        out.push_str(&format!("\n{m}\n"));
    }
    out
}

/// A decimal field as written, without trailing zeros ("5", "1.25").
fn plain_at(v: &Value, key: &str) -> String {
    dec(v, key).map_or_else(|| "n/a".into(), |d| d.normalize().to_string())
}

/// A field in percentage points with its sign and 2 decimals ("+4.80", "-0.78").
fn points_at(v: &Value, key: &str) -> String {
    dec(v, key).map_or_else(
        || "n/a".into(),
        |d| {
            let d = d.round_dp(2);
            if d.is_zero() {
                "0.00".into()
            } else {
                format!("{d:+.2}")
            }
        },
    )
}

/// A percent field with its sign, as written ("-47.2%", "+2.2%", "-38.12%").
fn signed_pct_at(v: &Value, key: &str) -> String {
    dec(v, key).map_or_else(
        || "n/a".into(),
        |d| {
            let d = d.normalize();
            if d > Decimal::ZERO {
                format!("+{d}%")
            } else {
                format!("{d}%")
            }
        },
    )
}

/// Whose set a target view is: the household's or one account's.
fn set_owner(set: &Value) -> String {
    match set.get("account").and_then(Value::as_str) {
        Some(a) => format!("account {a}"),
        None => "the household (every account together)".into(),
    }
}

/// "How far am I from my targets?": the household's set (or the one account asked for), row by
/// row, and what is out of band.
fn targets(f: &Found) -> String {
    let sets = list(f.report, "sets");
    let Some(set) = sets
        .iter()
        .find(|s| s.get("account").is_none_or(Value::is_null))
        .or(sets.first())
    else {
        return "No target mix is stored: `folio targets set \"US stocks=60,US bonds=40\"` sets one."
            .into();
    };
    let c = f.currency;
    let mut out = format!(
        "**Targets of {}** by {}: {} in all (holdings with a price plus cash); bands {} points either side, or {} of a target when that is narrower.\n\n",
        set_owner(set),
        text(set, "by"),
        money_at(set, "base", c),
        plain_at(set, "band_points"),
        pct_at(set, "band_pct").replace(".00%", "%"),
    );
    let rows = list(set, "rows");
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|x| {
            let untargeted = x.get("untargeted").and_then(Value::as_bool) == Some(true);
            vec![
                text(x, "name").to_string(),
                if untargeted {
                    "none".into()
                } else {
                    pct_at(x, "target_pct")
                },
                pct_at(x, "pct"),
                points_at(x, "drift_points"),
                signed_at(x, "drift_value", c),
                format!("±{}", plain_at(x, "band_points")),
                if x.get("in_band").and_then(Value::as_bool) == Some(false) {
                    "**out of band**".into()
                } else {
                    "in band".into()
                },
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "Name",
            "Target",
            "Now",
            "Drift (points)",
            "Over (+) / under (-)",
            "Band",
            "Status",
        ],
        &cells,
    ));
    let outside: Vec<String> = rows
        .iter()
        .filter(|x| x.get("in_band").and_then(Value::as_bool) == Some(false))
        .map(|x| {
            format!(
                "{} ({} points, {})",
                text(x, "name"),
                points_at(x, "drift_points"),
                signed_at(x, "drift_value", c)
            )
        })
        .collect();
    if outside.is_empty() {
        out.push_str("\nEvery name is within its band: there is nothing to rebalance.\n");
    } else {
        out.push_str(&format!(
            "\n**Out of band**: {}. `folio rebalance` proposes the trades back (ask \"how do I rebalance?\").\n",
            outside.join(", ")
        ));
    }
    let others: Vec<String> = sets
        .iter()
        .filter(|s| !std::ptr::eq(*s, set))
        .map(set_owner)
        .collect();
    if !others.is_empty() {
        out.push_str(&format!(
            "\nAlso stored: the targets of {}; name the account to see them.\n",
            others.join(", ")
        ));
    }
    out
}

/// The `folio order` command of a proposed trade (a taxable sale names its lots), as
/// `folio rebalance` prints it.
fn order_command(t: &Value) -> String {
    let account = text(t, "account");
    let account = if account.contains(char::is_whitespace) {
        format!("\"{account}\"")
    } else {
        account.to_string()
    };
    let mut cmd = format!(
        "folio order {} {} {} --account {account}",
        text(t, "side"),
        text(t, "symbol"),
        plain_at(t, "quantity"),
    );
    let lots: Vec<&str> = list(t, "lots")
        .iter()
        .map(|l| text(l, "purchased"))
        .collect();
    if text(t, "side") == "sell" && text(t, "account_kind") == "taxable" && !lots.is_empty() {
        cmd.push_str(&format!(" --lots {}", lots.join(",")));
    }
    cmd
}

fn method_name(plan: &Value) -> &str {
    match text(plan, "method") {
        "tax_aware" => "tax-aware",
        "proportional" => "tax-blind proportional",
        m => m,
    }
}

/// "How do I rebalance?": the plan's trades, its tax and turnover, the tax saved against the
/// tax-blind plan, what it could not do, and that nothing is placed.
fn rebalance(f: &Found) -> String {
    let r = f.report;
    let c = f.currency;
    let Some(plan) = r.get("plan").filter(|p| p.is_object()) else {
        return "The rebalancing report has no plan.".into();
    };
    let set = r.get("targets").unwrap_or(&Value::Null);
    let trades = list(plan, "trades");
    let mut out = format!(
        "**Rebalancing plan** ({}) for the targets of {} by {}: {}.\n",
        method_name(plan),
        set_owner(set),
        text(set, "by"),
        count(trades.len(), "trade"),
    );
    if dec(r, "new_cash").is_some_and(|d| d > Decimal::ZERO) {
        out.push_str(&format!(
            "New cash {} goes into {} first.\n",
            money_at(r, "new_cash", c),
            r.get("new_cash_account")
                .and_then(Value::as_str)
                .unwrap_or("the largest taxable account")
        ));
    }
    if trades.is_empty() {
        out.push_str(
            if plan.get("within_bands").and_then(Value::as_bool) == Some(true) {
                "\nEvery target is within its band: no trade is needed.\n"
            } else {
                "\nThe plan found no trade it can make (the notes say why).\n"
            },
        );
    } else {
        let (shown, more) = capped(trades, "`folio rebalance` lists them all");
        let cells: Vec<Vec<String>> = shown
            .iter()
            .map(|t| {
                vec![
                    text(t, "side").to_string(),
                    qty_at(t, "quantity"),
                    text(t, "symbol").to_string(),
                    text(t, "account").to_string(),
                    money_at(t, "amount", c),
                    if text(t, "side") == "sell" {
                        money_at(t, "estimated_tax", c)
                    } else {
                        String::new()
                    },
                ]
            })
            .collect();
        out.push('\n');
        out.push_str(&table(
            &["Side", "Shares", "Symbol", "Account", "Amount", "Est. tax"],
            &cells,
        ));
        if let Some(m) = more {
            out.push_str(&format!("\n{m}\n"));
        }
        out.push_str(&format!(
            "\n- Sold {}, bought {}: turnover {} ({} of the base)\n",
            money_at(plan, "sold", c),
            money_at(plan, "bought", c),
            money_at(plan, "turnover", c),
            pct_at(plan, "turnover_pct"),
        ));
    }
    out.push_str(&format!(
        "- **Estimated tax of the plan**: {} (it realizes short term {}, long term {}; a negative tax is a saving)\n",
        money_at(plan, "estimated_tax", c),
        signed_at(plan, "short_term_gain", c),
        signed_at(plan, "long_term_gain", c),
    ));
    if let Some(alt) = r.get("alternative").filter(|a| a.is_object()) {
        let saved = dec(r, "tax_saved").unwrap_or_default();
        let verdict = if saved > Decimal::ZERO {
            format!("this plan saves **{}** of tax", money(saved, c))
        } else if saved < Decimal::ZERO {
            format!("this plan costs {} more tax", money(saved.abs(), c))
        } else {
            "the same estimated tax".into()
        };
        out.push_str(&format!(
            "- Beside the {} plan ({}, turnover {}, estimated tax {}): {verdict}\n",
            method_name(alt),
            count(list(alt, "trades").len(), "trade"),
            money_at(alt, "turnover", c),
            money_at(alt, "estimated_tax", c),
        ));
    }
    let still: Vec<String> = list(plan, "drift")
        .iter()
        .filter(|d| d.get("in_band_after").and_then(Value::as_bool) == Some(false))
        .map(|d| {
            format!(
                "{} ({} points)",
                text(d, "target"),
                points_at(d, "drift_after")
            )
        })
        .collect();
    if still.is_empty() {
        out.push_str(&format!(
            "- After it every target is within its band; cash left {}\n",
            money_at(plan, "cash_after", c)
        ));
    } else {
        out.push_str(&format!(
            "- Still out of band after it: {}; cash left {}\n",
            still.join(", "),
            money_at(plan, "cash_after", c)
        ));
    }
    let deferred = list(plan, "deferred");
    if !deferred.is_empty() {
        out.push_str("\n**Deferred purchases**:\n");
        for d in deferred {
            let safe = match text(d, "safe_from") {
                "" => String::new(),
                day => format!(", safe to buy from {day}"),
            };
            out.push_str(&format!(
                "- {} in {}: {}{safe} ({})\n",
                text(d, "target"),
                text(d, "account"),
                money_at(d, "amount", c),
                one_line(text(d, "reason")).trim_end_matches('.')
            ));
        }
    }
    for n in list(plan, "notes").iter().filter_map(Value::as_str) {
        out.push_str(&format!("\nNote: {}\n", one_line(n)));
    }
    out.push_str(
        "\nNothing is placed: each trade is a proposal you review and confirm in the order ticket, one at a time",
    );
    let commands: Vec<String> = capped(trades, "")
        .0
        .iter()
        .map(|t| format!("- `{}`", order_command(t)))
        .collect();
    if commands.is_empty() {
        out.push_str(" (`folio order ...`).\n");
    } else {
        out.push_str(":\n");
        out.push_str(&commands.join("\n"));
        out.push('\n');
    }
    out
}

/// "What would a crash do to me?": per scenario (or the custom shocks) the change in total,
/// the holdings that lose most, and the cash buffer.
fn stress(f: &Found) -> String {
    let runs = list(f.report, "scenarios");
    if runs.is_empty() {
        return "The stress test ran no scenario.".into();
    }
    let c = f.currency;
    let mut out = String::from("**Stress test** of today's holdings (cash stays as it is):\n");
    for run in runs {
        let head = match text(run, "id") {
            "custom" => format!(
                "**Custom shocks**: {} (holdings they do not name are not shocked)",
                text(run, "description")
            ),
            id => format!(
                "**{id}: {}** ({} to {})",
                text(run, "title"),
                text(run, "from"),
                text(run, "to")
            ),
        };
        out.push_str(&format!("\n{head}\n"));
        let t = run.get("totals").unwrap_or(&Value::Null);
        out.push_str(&format!(
            "- Total: {} on {} of holdings ({}); net worth {} becomes {} ({} with cash)\n",
            signed_at(t, "change", c),
            money_at(t, "holdings_value", c),
            signed_pct_at(t, "pct_of_holdings"),
            money_at(t, "net_worth", c),
            money_at(t, "net_worth_after", c),
            signed_pct_at(t, "pct_of_net_worth"),
        ));
        let mut losers: Vec<&Value> = list(run, "holdings")
            .iter()
            .filter(|h| dec(h, "change").is_some_and(|d| d < Decimal::ZERO))
            .collect();
        losers.sort_by_key(|h| dec(h, "change"));
        if losers.is_empty() {
            out.push_str("- No holding loses.\n");
        } else {
            let worst: Vec<String> = losers
                .iter()
                .take(3)
                .map(|h| {
                    format!(
                        "{} in {} {} ({})",
                        text(h, "symbol"),
                        text(h, "account"),
                        signed_at(h, "change", c),
                        signed_pct_at(h, "shock_pct")
                    )
                })
                .collect();
            out.push_str(&format!("- Worst holdings: {}\n", worst.join(", ")));
        }
        if let Some(b) = run.get("cash_buffer").filter(|b| b.is_object()) {
            let covers = if b.get("covers_loss").and_then(Value::as_bool) == Some(true) {
                "it covers the whole loss".to_string()
            } else if dec(b, "loss").is_some_and(|d| d > Decimal::ZERO) {
                format!("it covers {} of the loss", pct_at(b, "pct_of_loss"))
            } else {
                "there is no loss to cover".to_string()
            };
            out.push_str(&format!(
                "- Cash buffer: {}, {} of net worth after the shock; {covers}\n",
                money_at(b, "cash", c),
                pct_at(b, "share_after_pct"),
            ));
        }
        let names =
            |key: &str| -> Vec<&str> { list(run, key).iter().filter_map(Value::as_str).collect() };
        let defaulted = names("defaulted");
        if !defaulted.is_empty() {
            out.push_str(&format!(
                "- Without a figure for their class, {} get {} ({})\n",
                defaulted.join(", "),
                signed_pct_at(run, "default_pct"),
                text(run, "default_note")
            ));
        }
        let not_shocked = names("not_shocked");
        if !not_shocked.is_empty() {
            out.push_str(&format!(
                "- Not shocked (no shock names them or their class): {}\n",
                not_shocked.join(", ")
            ));
        }
    }
    out.push_str("\nA historical scenario applies each asset class's return over the episode to today's holdings; `folio stress` shows every holding and account with the sources. Ask for one scenario (2008, 2020, 2022), or give a shock: \"what if US stocks fall\" and a percent.\n");
    out
}

/// A mix's largest weights: "VTI 87.31%, AAPL 12.69%" (weights under half a percent left out).
fn weights(mix: &Value) -> String {
    let mut ws: Vec<&Value> = list(mix, "weights")
        .iter()
        .filter(|w| num(w, "weight").is_some_and(|x| x >= 0.005))
        .collect();
    ws.sort_by(|a, b| {
        num(b, "weight")
            .unwrap_or(0.0)
            .total_cmp(&num(a, "weight").unwrap_or(0.0))
    });
    let mut parts: Vec<String> = ws
        .iter()
        .take(5)
        .map(|w| format!("{} {}", text(w, "name"), ratio_at(w, "weight")))
        .collect();
    if ws.len() > 5 {
        parts.push(format!("and {} more", ws.len() - 5));
    }
    parts.join(", ")
}

/// A mix's return, volatility and Sharpe ratio.
fn mix_line(mix: &Value) -> String {
    format!(
        "return {} a year, volatility {} (Sharpe {})",
        ratio_at(mix, "expected_return"),
        ratio_at(mix, "volatility"),
        stat_at(mix, "sharpe")
    )
}

/// "Am I efficient?": today's mix against the curve, the minimum-variance and maximum-Sharpe
/// mixes (the report's warning, that history is no forecast, follows the answer).
fn frontier(f: &Found) -> String {
    let r = f.report;
    let n = list(r, "assets").len();
    let what = if text(r, "by") == "class" {
        if n == 1 {
            "1 asset class".to_string()
        } else {
            format!("{n} asset classes")
        }
    } else {
        count(n, "holding")
    };
    let mut out = format!(
        "**Efficient frontier** of {what} over {} ({} to {}, {} days of returns), risk-free rate {}:\n",
        text(r, "window"),
        text(r, "from"),
        text(r, "to"),
        r.get("days").map(Value::to_string).unwrap_or_default(),
        ratio_at(r, "risk_free_rate"),
    );
    if let Some(cur) = r.get("current").filter(|x| x.is_object()) {
        if let Some(mix) = cur.get("mix").filter(|x| x.is_object()) {
            out.push_str(&format!("- **Your mix today**: {}\n", mix_line(mix)));
        }
        if let Some(best) = cur
            .get("best_return_at_same_volatility")
            .filter(|x| x.is_object())
        {
            out.push_str(&format!(
                "- On the curve at the same volatility: return {} a year (Sharpe {})\n",
                ratio_at(best, "expected_return"),
                stat_at(best, "sharpe")
            ));
        }
        if let Some(calm) = cur
            .get("least_volatility_at_same_return")
            .filter(|x| x.is_object())
        {
            out.push_str(&format!(
                "- On the curve at the same return: volatility {}\n",
                ratio_at(calm, "volatility")
            ));
        }
    }
    if let Some(m) = r.get("min_variance").filter(|x| x.is_object()) {
        out.push_str(&format!(
            "- **Minimum variance**: {}; weights {}\n",
            mix_line(m),
            weights(m)
        ));
    }
    match r.get("max_sharpe").filter(|x| x.is_object()) {
        Some(m) => out.push_str(&format!(
            "- **Maximum Sharpe**: {}; weights {}\n",
            mix_line(m),
            weights(m)
        )),
        None => {
            let why = text(r, "max_sharpe_unavailable");
            out.push_str(&format!(
                "- **Maximum Sharpe**: not available{}\n",
                if why.is_empty() {
                    String::new()
                } else {
                    format!(": {}", one_line(why).trim_end_matches('.'))
                }
            ));
        }
    }
    for n in list(r, "notes").iter().filter_map(Value::as_str) {
        out.push_str(&format!("\nNote: {}\n", one_line(n)));
    }
    out.push_str("\nReturns are the window's annualised mean daily returns: a map of trade-offs, not a forecast; `folio frontier` shows the whole curve.\n");
    out
}

/// "1 holding", "12 holdings".
pub(super) fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
