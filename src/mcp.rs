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
use serde_json::Value;

use crate::app::tools::{self, Def};
use crate::app::{AppError, Session, bad};

#[derive(clap::Args, Debug, Default)]
pub struct Args {
    /// Expose only these tools (comma-separated names; `folio mcp --list-tools` shows them)
    #[arg(long, value_name = "A,B,C", value_delimiter = ',')]
    tools: Vec<String>,
    /// List the tools with what each answers, and exit
    #[arg(long)]
    list_tools: bool,
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
        let mut defs = tools::all();
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
        let args = Value::Object(args.unwrap_or_default());
        let (session, defs) = (self.session.clone(), self.defs.clone());
        let started = std::time::Instant::now();
        let name_owned = name.to_string();
        let result =
            tokio::task::spawn_blocking(move || tools::call(&defs, &session, &name_owned, args))
                .await;
        tracing::info!(
            tool = name,
            ms = started.elapsed().as_millis() as u64,
            "mcp call"
        );
        match result {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(e),
            Err(_) => Err("the tool stopped with an internal error (see folio.log)".into()),
        }
    }
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
    tools::all()
        .into_iter()
        .map(|d| Cow::Borrowed(d.name))
        .collect()
}
