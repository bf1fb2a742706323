//! `folio mcp`: the query layer's read-only questions as Model Context Protocol tools over
//! stdin/stdout, for AI clients on the user's own machine (Claude Desktop, Claude Code, Cursor).
//! Each tool is one `app` function: its arguments are that function's `Params` (and their JSON
//! Schema), its result that function's report, so a client sees the figures the command line
//! and the cockpit show. The database is opened read-only; the server never talks to the
//! broker; stdout carries nothing but JSON-RPC (logs go to the log file).

use std::borrow::Cow;
use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, ServiceExt};
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::app::{self, AppError, Session, bad};

/// Rows a list in a result keeps; the rest is cut with a note saying how to narrow the question.
const MAX_ROWS: usize = 200;
/// Transactions listed when the client asks for no limit.
const DEFAULT_TRANSACTIONS: usize = 50;

#[derive(clap::Args, Debug, Default)]
pub struct Args {
    /// Expose only these tools (comma-separated names; `folio mcp --list-tools` shows them)
    #[arg(long, value_name = "A,B,C", value_delimiter = ',')]
    tools: Vec<String>,
    /// List the tools with what each answers, and exit
    #[arg(long)]
    list_tools: bool,
}

/// One app function as a tool: how to call it on a session with a client's arguments.
type Call = Arc<dyn Fn(&Session, Value) -> app::Result<Value> + Send + Sync>;

struct Def {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    schema: JsonObject,
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
fn all() -> Vec<Def> {
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

/// The server: the session and the tools it exposes.
struct Folio {
    session: Arc<Session>,
    defs: Arc<Vec<Def>>,
    tools: Vec<Tool>,
}

fn annotations(title: &str) -> ToolAnnotations {
    ToolAnnotations::with_title(title)
        .read_only(true)
        .destructive(false)
        .idempotent(true)
        .open_world(false)
}

impl Folio {
    fn new(session: Arc<Session>, only: &[String]) -> Result<Folio, AppError> {
        let mut defs = all();
        let known: Vec<&str> = defs.iter().map(|d| d.name).collect();
        if let Some(unknown) = only
            .iter()
            .map(|t| t.trim())
            .find(|t| !t.is_empty() && !known.contains(t))
        {
            return Err(bad(format!(
                "--tools: no tool named '{unknown}'; the tools are {}",
                known.join(", ")
            )));
        }
        if only.iter().any(|t| !t.trim().is_empty()) {
            defs.retain(|d| only.iter().any(|t| t.trim() == d.name));
        }
        let tools = defs
            .iter()
            .map(|d| {
                Tool::new(d.name, d.description, d.schema.clone())
                    .with_title(d.title)
                    .with_annotations(annotations(d.title))
            })
            .collect();
        Ok(Folio {
            session,
            defs: Arc::new(defs),
            tools,
        })
    }

    /// Runs a tool on a blocking thread (the questions read SQLite and compute).
    async fn call(&self, name: &str, args: Option<JsonObject>) -> Result<Value, String> {
        let Some(i) = self.defs.iter().position(|d| d.name == name) else {
            return Err(format!(
                "no tool named '{name}'; the tools are {}",
                self.defs
                    .iter()
                    .map(|d| d.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        let args = Value::Object(args.unwrap_or_default());
        let (session, defs) = (self.session.clone(), self.defs.clone());
        let started = std::time::Instant::now();
        let result = tokio::task::spawn_blocking(move || {
            let call = defs[i].call.clone();
            let report = call(&session, args.clone())?;
            Ok::<Value, AppError>(envelope(&session, &args, report, defs[i].scope))
        })
        .await;
        tracing::info!(
            tool = name,
            ms = started.elapsed().as_millis() as u64,
            "mcp call"
        );
        match result {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(format!("{e:#}")),
            Err(_) => Err("the tool stopped with an internal error (see folio.log)".into()),
        }
    }
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

impl ServerHandler for Folio {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("folio", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "folio answers from the investor's own ledger on this machine: accounts, holdings, tax lots, realized gains, cash, tax-loss harvest candidates, the tax report, a trade's tax consequences, performance, risk, anomalies and Monte Carlo plans. Every result says the day it is as of, its currency and its scope. Money is exact decimal strings; ratios are fractions (0.04 is 4%). The tools only read; nothing here places orders.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(self.tools.clone()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let CallToolRequestParams {
            name, arguments, ..
        } = request;
        Ok(match self.call(&name, arguments).await {
            Ok(v) => CallToolResult::structured(v).into(),
            Err(reason) => CallToolResult::error(vec![ContentBlock::text(reason)]).into(),
        })
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.iter().find(|t| t.name == name).cloned()
    }
}

/// `folio mcp`: serves until the client closes stdin.
pub async fn serve(session: Arc<Session>, args: Args) -> anyhow::Result<()> {
    let server = Folio::new(session.clone(), &args.tools)?;
    if args.list_tools {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        for d in server.defs.iter() {
            writeln!(out, "{:<20} {}", d.name, d.title)?;
        }
        return Ok(());
    }
    if !session.is_demo() && !session.db_path().exists() {
        return Err(AppError::Store(crate::store::StoreError::Missing(
            session.db_path().to_path_buf(),
        ))
        .into());
    }
    tracing::info!(db = %session.db_path().display(), tools = server.tools.len(), "mcp serving");
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| anyhow::anyhow!("the MCP client did not complete the handshake: {e}"))?;
    let reason = running.waiting().await?;
    tracing::info!(?reason, "mcp closed");
    Ok(())
}

/// The tools' names, for the README's list and the tests.
pub fn tool_names() -> Vec<Cow<'static, str>> {
    all().into_iter().map(|d| Cow::Borrowed(d.name)).collect()
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
