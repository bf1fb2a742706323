//! The tools: the query layer's read-only questions as named functions over JSON, with their
//! argument schemas. `folio mcp` serves them to outside AI clients and the chat's model calls
//! them in-process, so both see the figures the command line and the cockpit show. Every
//! result is wrapped in an envelope that says the day it is as of, the currency and the scope,
//! and long lists are cut with a note.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::app::{self, AppError, Session, bad};

/// A tool's argument schema (a JSON object).
pub type JsonObject = Map<String, Value>;

/// Rows a list in a result keeps; the rest is cut with a note saying how to narrow the question.
pub const MAX_ROWS: usize = 200;
/// Transactions listed when the client asks for no limit.
const DEFAULT_TRANSACTIONS: usize = 50;

/// One app function as a tool: how to call it on a session with a client's arguments.
type Call = Arc<dyn Fn(&Session, Value) -> app::Result<Value> + Send + Sync>;

pub struct Def {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub schema: JsonObject,
    call: Call,
    /// What the answer covers when no account is named.
    scope: &'static str,
}

fn schema<P: JsonSchema>() -> JsonObject {
    match serde_json::to_value(schemars::schema_for!(P)) {
        Ok(Value::Object(m)) => m,
        _ => JsonObject::new(),
    }
}

/// The client's arguments as `P`: unknown or mistyped fields are refused with the reason and
/// the field's name.
fn params<P: DeserializeOwned>(args: Value) -> app::Result<P> {
    serde_path_to_error::deserialize(args).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path.is_empty() {
            bad(format!("the arguments do not fit: {inner}"))
        } else {
            bad(format!("the arguments do not fit: {path}: {inner}"))
        }
    })
}

fn to_value<R: Serialize>(r: &R) -> app::Result<Value> {
    serde_json::to_value(r).map_err(|e| AppError::failed(e, "cannot write the result"))
}

fn def<P, R>(
    name: &'static str,
    title: &'static str,
    description: &'static str,
    f: fn(&Session, &P) -> app::Result<R>,
) -> Def
where
    P: DeserializeOwned + JsonSchema + 'static,
    R: Serialize + 'static,
{
    Def {
        name,
        title,
        description,
        schema: schema::<P>(),
        call: Arc::new(move |s, args| to_value(&f(s, &params::<P>(args)?)?)),
        scope: "all accounts",
    }
}

impl Def {
    fn scope(mut self, scope: &'static str) -> Def {
        self.scope = scope;
        self
    }
}

fn anomalies(
    s: &Session,
    p: &app::anomalies::AnomaliesParams,
) -> app::Result<app::anomalies::AnomaliesReport> {
    if p.broker {
        return Err(bad(
            "this server never connects to the broker; leave out broker (folio anomalies --broker compares with it)",
        ));
    }
    // Runs on one of the server's blocking threads.
    tokio::runtime::Handle::current().block_on(app::anomalies::anomalies(s, p))
}

/// Paths a plan may ask for here (the command line allows more).
const MAX_PLAN_PATHS: usize = 100_000;
/// A plan run longer than this is stopped.
const PLAN_DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);

fn plan(s: &Session, p: &app::plan::PlanParams) -> app::Result<app::plan::PlanReport> {
    if let Some(file) = &p.history {
        return Err(bad(format!(
            "history: this server reads no file a client names ({}); the history models use the yearly returns folio downloaded and cached (leave out history)",
            file.display()
        )));
    }
    if p.paths.is_some_and(|n| n > MAX_PLAN_PATHS) {
        return Err(bad(format!(
            "paths: at most {MAX_PLAN_PATHS} here (folio plan --paths runs more)"
        )));
    }
    let opts = app::plan::RunOptions::default();
    // A run that outlives its deadline (or the client) is cancelled, not left to run.
    let control = opts.control.clone();
    let handle = tokio::runtime::Handle::current();
    let deadline = handle.spawn(async move {
        tokio::time::sleep(PLAN_DEADLINE).await;
        control
            .cancel
            .store(true, std::sync::atomic::Ordering::Relaxed);
    });
    // Runs on one of the server's blocking threads: the plan may read a cached history.
    let r = handle.block_on(app::plan::run(s, p, &opts));
    deadline.abort();
    r
}

fn transactions(
    s: &Session,
    p: &app::transactions::TransactionsParams,
) -> app::Result<app::transactions::TransactionsReport> {
    let mut p = p.clone();
    p.limit = Some(p.limit.unwrap_or(DEFAULT_TRANSACTIONS).min(MAX_ROWS));
    app::transactions::transactions(s, &p)
}

/// The order journal, newest first, cut at [`MAX_ROWS`] orders.
fn orders(s: &Session, p: &app::orders::OrdersParams) -> app::Result<app::orders::OrdersReport> {
    let mut r = app::orders::orders(s, p)?;
    r.orders.truncate(MAX_ROWS);
    Ok(r)
}

/// The executions, newest first, cut at [`MAX_ROWS`].
fn fills(s: &Session, p: &app::orders::FillsParams) -> app::Result<app::orders::FillsReport> {
    let mut r = app::orders::fills(s, p)?;
    r.fills.truncate(MAX_ROWS);
    Ok(r)
}

/// Every tool, in the order they are listed.
pub fn all() -> Vec<Def> {
    use app::*;
    vec![
        def(
            "accounts",
            "Accounts",
            "The investor's accounts: name, kind (taxable, ira, roth), the lot method a sale relieves lots by (fifo, lifo, hifo), and how many transactions each has. Use the names in the other tools' account argument.",
            accounts::accounts,
        ),
        def(
            "dashboard",
            "Net worth and allocation",
            "Net worth (holdings at the latest close plus cash), the day's change, unrealized gain, cash, allocation by asset class and by holding, every holding with all accounts together, and the portfolio's value over time (history: 90d, 1y, all...; default 1y). Money is decimal strings in the report's currency.",
            dashboard::dashboard,
        ),
        def(
            "holdings",
            "Holdings",
            "Every position per account at the end of a day (default today): quantity, cost basis, the latest close on or before that day, market value, unrealized gain and its percent, weight, the day's change, and totals per currency. Holdings without a price have null values and are left out of the totals.",
            holdings::holdings,
        ),
        def(
            "lots",
            "Tax lots",
            "Open tax lots (of a symbol, of an account): acquired date, where the holding period starts (earlier after a wash sale), quantity, cost basis with any wash-sale adjustment, short or long term, the day it turns long term, and value and gain at the latest close.",
            lots::lots,
        ),
        def(
            "realized_gains",
            "Realized gains",
            "Closed lots (of a tax year, an account, a symbol) with proceeds, cost basis, the wash-sale loss disallowed, the recognized gain, short or long term, and totals per currency. Every account, IRAs included; for what is taxable use tax_report.",
            realized::realized,
        ),
        def(
            "transactions",
            "Transactions",
            "The transaction history, newest first, filtered by symbol, account, action (BUY, SELL, DIVIDEND...), and dates. At most 200 rows (50 unless limit says otherwise); matched says how many match.",
            transactions,
        ),
        def(
            "cash",
            "Cash",
            "The cash balance of every account in every currency at the end of a day (default today). A negative balance usually means a deposit or an FX conversion is missing from the imports.",
            holdings::cash,
        ),
        def(
            "harvest_candidates",
            "Tax-loss harvest candidates",
            "The tax-loss harvest scan: every lot in a taxable account losing at least min_loss and min_loss_pct, what selling it would realize after wash sales (purchases of it or a substantially identical fund within 30 days in any account, IRAs included, and expected dividend reinvestments), the estimated tax saving against this year's gains at the configured rates, the trading cost, whether it is worth harvesting, the first day it is safe to buy back, and replacement funds ranked by similarity. summary.harvestable_loss is what the lots worth harvesting would realize.",
            harvest::harvest,
        )
        .scope("taxable accounts"),
        def(
            "tax_report",
            "Tax report",
            "A tax year's closed lots in taxable accounts, Form 8949 style (description, acquired, sold, proceeds, cost basis, code W and the wash-sale adjustment, gain, term), totals by term, and the year's netting: net short and long term, the ordinary-income offset and the loss carried forward.",
            tax::report,
        )
        .scope("taxable accounts"),
        def(
            "preview_trade",
            "Trade preview (tax)",
            "What a sale or a purchase would do to taxes before it is placed: for a sale, the lots it relieves, proceeds, gains short and long term after wash sales, and the day from which buying back no longer washes the loss; for a purchase, which loss sales of the last 30 days it would wash and how much loss it disallows (in an IRA that loss is lost for good). Read-only: it places nothing.",
            tax::preview,
        ),
        def(
            "performance",
            "Performance",
            "Returns over a period (default: from the first transaction to today): time-weighted (TWR) and money-weighted (XIRR) returns, CAGR, deposits and withdrawals, realized and unrealized gain, dividends, interest, fees, per account, and each holding's contribution. Returns are fractions (0.1 is 10%).",
            performance::performance,
        ),
        def(
            "risk",
            "Risk",
            "Risk over a window (90d, 6m, 1y, 3y or all; default the configured one) ending at the newest close of the holdings: volatility, Sharpe, Sortino, maximum and current drawdown, historical and parametric VaR and CVaR at 95% and 99% over 1 and 10 days, beta and correlation against a benchmark, for the portfolio and each holding, and the holdings' correlation matrix. Ratios are fractions; null means not enough data (unavailable says why).",
            risk::risk,
        ),
        def(
            "frontier",
            "Efficient frontier",
            "The long-only mean-variance efficient frontier of the held symbols (by=symbol, the default) or asset classes (by=class) over a window (default 5y) ending at the newest close of the holdings: each asset's weight today, annualised mean return and volatility (Ledoit-Wolf shrunk covariance), the minimum-variance, maximum-Sharpe and maximum-return mixes, points evenly spaced in return between them (default 50), each weight within min_weight..max_weight (fractions, default 0..1), and today's mix against the curve (the best return at its volatility, the least volatility at its return). Returns, volatilities and weights are fractions. Estimated from history: unstable, not a forecast; warnings say so.",
            frontier::frontier,
        ),
        def(
            "stress",
            "Stress test",
            "Historical crashes applied to today's holdings (scenario 2008: 2008-08-29 to 2009-03-09; 2020: 2020-02-19 to 2020-03-23; 2022: the calendar year; or all, the default) or custom shocks in percent by asset class or symbol (shock: \"US stocks=-30,VTI=-40\"; a symbol's shock wins over its class's, holdings neither names are not shocked). Per run: each class's figure with its proxy fund and source, the change in money and percent per holding (with how its shock was chosen: symbol, class, or the scenario's default for an unclassified holding), per account and in total (of the holdings and of net worth with cash), and the cash buffer (unchanged cash, its share of net worth after the shock, whether it covers the loss). Money is decimal strings.",
            stress::stress,
        ),
        def(
            "targets",
            "Target mix and drift",
            "The stored target mixes (household-wide, or one account's), by asset class or by symbol, beside the current weights: for each name its target percent, value, current percent, drift in percentage points and in money (positive: over), its band (points either side) and whether it is within it. Names held without a target have a target of 0; cash is a row (\"Cash\") and counts in the base. Percents are numbers (12.5 is 12.5%); money is decimal strings. An error says how to set targets when there are none.",
            targets::targets,
        ),
        def(
            "rebalance",
            "Rebalancing plan",
            "The trades that bring the household back within its target bands at the least estimated tax: new cash (cash) and idle cash first, sales in IRAs before taxable accounts, taxable lots at a loss before long-term gains, short-term gains only with allow_short_term, no purchase that would wash a loss of the last 30 days or one the plan realizes, at most max_trades. Per trade: side, account, symbol, shares, amount, the lots sold with their gains and terms, the estimated tax after netting with the year so far, and why. The plan's tax, turnover, drift left, deferred purchases and notes (what it cannot reach and why), beside a tax-blind proportional plan (alternative) and the tax saved. Read-only: it places nothing; each trade is a suggestion the user confirms in the order ticket.",
            rebalance::rebalance,
        ),
        def(
            "anomalies",
            "Anomaly checks",
            "Anomaly checks as of a day (default today): return outliers, volatility spikes, market turbulence, correlation breaks, PCA reconstruction, drawdown limits, concentration, stale prices, negative cash and unrecorded splits, each check with what it looked at, and each finding with its value, threshold, severity and reason. (The broker comparison is not available here.)",
            anomalies,
        ),
        def(
            "plan",
            "Monte Carlo plan",
            "A Monte Carlo plan: will the money last, will a goal be reached. from_portfolio=true plans the user's own holdings with estimates from their price history; or give initial and weights (stocks, bonds, cash as fractions). withdrawal_rate 0.04 is 4% of the starting value, then kept up with inflation (strategy constant-real); goal is a target value in today's dollars. Returns the success rate with its 95% interval, percentiles of the value by year and at the end, and the goal's probability. solve=withdrawal-rate finds the highest safe rate for target_success.",
            plan,
        ),
        def(
            "quotes",
            "Latest stored quotes",
            "The latest quote of each symbol as the cockpit last stored it in the database (last, bid, ask, previous close, time, source, and whether it was live, delayed or frozen). Simulated quotes are marked as such and are not market prices. Nothing is fetched.",
            quotes::stored,
        ),
        def(
            "orders",
            "Orders",
            "The order journal, newest first (at most 200): every order folio placed (paper or IBKR) with its side, quantity, type, limit or stop, time in force, the lots a sale was to relieve, its state (submitting, submitted, working, partially-filled, filled, cancelled, rejected, expired, send-failed, lost), shares filled, average price, commission and the broker's last word. open=true lists only orders still able to fill. Read-only: it places and cancels nothing.",
            orders,
        ),
        def(
            "fills",
            "Fills",
            "Executions, newest first (at most 200): execution id, order, broker account, symbol, side, quantity, price, time, the New York trade date, commission (null until the broker reports it) and the ledger transaction each became (each fill is exactly one BUY or SELL, its commission as fees). account is null for fills of orders placed outside folio, which are not booked.",
            fills,
        ),
    ]
}

/// An order the chat's model proposes: never sent, only a draft the user opens in the ticket.
#[derive(Debug, Clone, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftParams {
    /// buy or sell.
    pub side: crate::domain::order::Side,
    pub symbol: String,
    /// Whole shares, more than 0.
    pub quantity: rust_decimal::Decimal,
    /// The account (default: for a sale the one holding the symbol, for a purchase the first
    /// taxable account).
    #[serde(default)]
    pub account: Option<String>,
    /// A limit price (default: a market order).
    #[serde(default)]
    pub limit: Option<rust_decimal::Decimal>,
    /// For a sale: fifo, lifo, hifo, or the acquisition dates of the lots to sell.
    #[serde(default)]
    pub lots: Option<String>,
}

impl DraftParams {
    /// The ticket's fields for this draft (paper or the configured broker; day order).
    pub fn order(&self) -> app::orders::OrderParams {
        app::orders::OrderParams {
            side: self.side,
            symbol: self.symbol.clone(),
            quantity: self.quantity,
            account: self.account.clone(),
            limit: self.limit,
            stop: None,
            stop_limit: None,
            tif: Default::default(),
            outside_rth: false,
            lots: self.lots.clone(),
            broker: None,
            allow_duplicate: false,
        }
    }
}

/// A drafted order: the ticket it would open, and that nothing was sent.
#[derive(Debug, Serialize)]
pub struct Draft {
    pub draft: bool,
    pub sent: bool,
    /// The command that opens the same order for confirmation.
    pub command: String,
    pub ticket: app::orders::Ticket,
    pub note: &'static str,
}

/// `draft_order`: the ticket for a proposed order at the freshest local quote, sent nowhere.
pub fn draft_order(s: &Session, p: &DraftParams) -> app::Result<Draft> {
    let order = p.order();
    let quote = app::orders::local_quote(s, &p.symbol)?;
    let ticket = app::orders::ticket(s, &order, quote.as_ref(), chrono::Utc::now())?;
    let side = match p.side {
        crate::domain::order::Side::Buy => "buy",
        crate::domain::order::Side::Sell => "sell",
    };
    let mut command = format!(
        "folio order {side} {} {}",
        ticket.request.symbol, p.quantity
    );
    if let Some(l) = p.limit {
        command.push_str(&format!(" --limit {l}"));
    }
    command.push_str(&format!(" --account {}", ticket.request.account));
    if let Some(lots) = &p.lots {
        command.push_str(&format!(" --lots {lots}"));
    }
    Ok(Draft {
        draft: true,
        sent: false,
        command,
        ticket,
        note: "A draft only: nothing was sent. The user reviews it in the order ticket and confirms it there, or not.",
    })
}

/// The chat's tools: every MCP tool, and `draft_order`, which proposes an order as a draft the
/// user confirms in the ticket (the MCP server keeps to questions).
pub fn chat() -> Vec<Def> {
    let mut defs = all();
    defs.push(def(
        "draft_order",
        "Draft an order",
        "Proposes an order as a draft for the user to review: returns the order ticket (checks, cost, the lots a sale relieves and its tax consequences) and never sends anything. Use only when the user asks to prepare a trade; the user confirms it in the order ticket.",
        draft_order,
    ));
    defs
}

/// Runs the tool `name` on `args` and wraps its report in the envelope. Blocking: call it on a
/// blocking thread inside a tokio runtime (the anomaly and plan tools wait on async work).
/// The error is the text a client (or a model) is given: what was wrong and what to do.
pub fn call(defs: &[Def], s: &Session, name: &str, args: Value) -> Result<Value, String> {
    let Some(d) = defs.iter().find(|d| d.name == name) else {
        return Err(format!(
            "no tool named '{name}'; the tools are {}",
            defs.iter().map(|d| d.name).collect::<Vec<_>>().join(", ")
        ));
    };
    let args = match args {
        Value::Null => Value::Object(JsonObject::new()),
        Value::Object(m) => Value::Object(m),
        other => {
            return Err(format!(
                "the arguments of {name} must be a JSON object, not {other}"
            ));
        }
    };
    let report = (d.call)(s, args.clone()).map_err(|e| format!("{e:#}"))?;
    Ok(envelope(s, &args, report, d.scope))
}

/// The report with what every answer says: the day it is as of, the currency, the scope, and
/// what was cut to keep it short.
fn envelope(s: &Session, args: &Value, mut report: Value, all: &str) -> Value {
    let as_of = ["as_of", "to"]
        .iter()
        .find_map(|k| report.get(k).and_then(Value::as_str).map(str::to_string))
        .or_else(|| {
            ["as_of", "date", "to"]
                .iter()
                .find_map(|k| args.get(k).and_then(Value::as_str).map(str::to_string))
        })
        .unwrap_or_else(|| s.today().to_string());
    // The account as stored (the report's), else as asked.
    let account = report
        .get("account")
        .and_then(Value::as_str)
        .or_else(|| args.get("account").and_then(Value::as_str));
    let scope = match account {
        Some(a) => format!("account {a}"),
        None => all.to_string(),
    };
    let cut = cap(&mut report);
    let mut out = json!({
        "as_of": as_of,
        "currency": s.currency(),
        "scope": scope,
        "report": report,
    });
    if !cut.is_empty() {
        out["truncated"] = Value::Array(cut);
    }
    out
}

/// Cuts every list in the report (at any depth) to [`MAX_ROWS`], saying what was cut. A
/// series in date order keeps its newest days; any other list its first rows.
fn cap(v: &mut Value) -> Vec<Value> {
    fn walk(path: &str, v: &mut Value, cut: &mut Vec<Value>) {
        match v {
            Value::Array(items) => {
                if items.len() > MAX_ROWS {
                    let date =
                        |x: &Value| x.get("date").and_then(Value::as_str).map(str::to_string);
                    let oldest_first = matches!(
                        (items.first().and_then(date), items.last().and_then(date)),
                        (Some(a), Some(b)) if a < b
                    );
                    let total = items.len();
                    let note = if oldest_first {
                        items.drain(..total - MAX_ROWS);
                        format!(
                            "only the newest {MAX_ROWS} of {total} days are listed; ask for a shorter period to see it whole"
                        )
                    } else {
                        items.truncate(MAX_ROWS);
                        format!(
                            "only the first {MAX_ROWS} of {total} are listed; narrow the question (an account, a symbol, a year, dates) to see the rest"
                        )
                    };
                    cut.push(json!({
                        "field": path,
                        "shown": MAX_ROWS,
                        "total": total,
                        "note": note,
                    }));
                }
                for x in items.iter_mut() {
                    walk(path, x, cut);
                }
            }
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(&p, x, cut);
                }
            }
            _ => {}
        }
    }
    let mut cut = Vec::new();
    walk("", v, &mut cut);
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_date_series_keeps_its_newest_days_and_other_lists_their_first_rows() {
        let days: Vec<Value> = (0..MAX_ROWS + 50)
            .map(|i| json!({"date": format!("2026-{:02}-{:02}", 1 + i / 28 % 12, 1 + i % 28), "i": i}))
            .collect();
        let rows: Vec<Value> = (0..MAX_ROWS + 3).map(|i| json!({"i": i})).collect();
        let mut report = json!({"history": days, "inner": {"rows": rows}, "short": [1, 2]});
        let cut = cap(&mut report);
        let history = report["history"].as_array().unwrap();
        assert_eq!(history.len(), MAX_ROWS);
        assert_eq!(history.first().unwrap()["i"], 50, "the oldest 50 went");
        assert_eq!(
            history.last().unwrap()["i"],
            MAX_ROWS + 49,
            "the newest stayed"
        );
        let rows = report["inner"]["rows"].as_array().unwrap();
        assert_eq!((rows[0]["i"].as_u64(), rows.len()), (Some(0), MAX_ROWS));
        assert_eq!(report["short"], json!([1, 2]));
        let fields: Vec<&str> = cut.iter().map(|c| c["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["history", "inner.rows"]);
        assert_eq!(cut[0]["total"], MAX_ROWS + 50);
        assert!(cut[0]["note"].as_str().unwrap().contains("newest"));
    }
}
