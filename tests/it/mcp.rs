//! `folio mcp` driven by the official SDK's own client over the real binary's stdio, and by
//! hand to see that stdout carries nothing but JSON-RPC.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};

use crate::common::Env;

/// The demo on a fixed day, so that figures can be compared across processes.
const TODAY: &str = "2026-11-23";

type Client = rmcp::service::RunningService<rmcp::RoleClient, ()>;

/// The SDK's client, connected to `folio ARGS` started as a child process.
async fn client<S: AsRef<std::ffi::OsStr>>(env: &Env, args: &[S]) -> Client {
    let mut cmd = tokio::process::Command::from(env.command());
    cmd.args(args);
    ().serve(TokioChildProcess::new(cmd).unwrap())
        .await
        .unwrap()
}

/// [`client`] on the demo.
async fn demo_client(env: &Env) -> Client {
    client(env, &["--demo", "--today", TODAY, "mcp"]).await
}

fn args(v: Value) -> rmcp::model::JsonObject {
    v.as_object().unwrap().clone()
}

/// The tool's result as JSON, with the error flag.
fn result(r: &rmcp::model::CallToolResult) -> (bool, String) {
    let text = r
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("");
    (r.is_error == Some(true), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcp_client_lists_read_only_tools_and_gets_the_clis_figures() {
    let env = Env::new();
    let client = demo_client(&env).await;
    let info = client.peer_info().expect("the server introduced itself");
    assert_eq!(info.server_info.as_ref().unwrap().name, "folio");
    assert!(info.capabilities.tools.is_some());

    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    for want in [
        "accounts",
        "holdings",
        "lots",
        "realized_gains",
        "transactions",
        "cash",
        "harvest_candidates",
        "tax_report",
        "preview_trade",
        "performance",
        "risk",
        "frontier",
        "stress",
        "targets",
        "rebalance",
        "anomalies",
        "plan",
        "quotes",
        "orders",
        "fills",
    ] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
    for t in &tools {
        let a = t.annotations.as_ref().expect("annotations");
        assert_eq!(a.read_only_hint, Some(true), "{} is read-only", t.name);
        assert_eq!(a.destructive_hint, Some(false), "{}", t.name);
        assert_eq!(
            t.input_schema.get("type"),
            Some(&json!("object")),
            "{} has an object schema",
            t.name
        );
        assert!(
            t.description.as_deref().is_some_and(|d| d.len() > 80),
            "{} is described for a model",
            t.name
        );
    }
    let holdings = tools.iter().find(|t| t.name == "holdings").unwrap();
    assert!(holdings.input_schema["properties"].get("account").is_some());

    // The same figures as the command line, for the same question.
    let r = client
        .call_tool(CallToolRequestParams::new("holdings").with_arguments(args(json!({}))))
        .await
        .unwrap();
    let (error, text) = result(&r);
    assert!(!error, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["as_of"], TODAY);
    assert_eq!(v["currency"], "USD");
    assert_eq!(v["scope"], "all accounts");
    assert_eq!(r.structured_content.as_ref(), Some(&v));
    let cli = env
        .command()
        .args(["--demo", "--today", TODAY, "holdings", "--json"])
        .output()
        .unwrap();
    let cli: Value = serde_json::from_slice(&cli.stdout).unwrap();
    assert_eq!(
        v["report"], cli,
        "the MCP tool and folio holdings --json agree"
    );

    // One account: the scope says which.
    let r = client
        .call_tool(
            CallToolRequestParams::new("cash").with_arguments(args(json!({"account": "taxable"}))),
        )
        .await
        .unwrap();
    let v: Value = serde_json::from_str(&result(&r).1).unwrap();
    assert_eq!(v["scope"], "account Taxable");

    // Bad arguments are a tool error with the reason, not a crash.
    for (tool, bad, says) in [
        (
            "holdings",
            json!({"acount": "IRA"}),
            "unknown field `acount`",
        ),
        (
            "holdings",
            json!({"as_of": "yesterday"}),
            "the arguments do not fit",
        ),
        ("risk", json!({"window": "3é"}), "is not a window"),
        (
            "lots",
            json!({"account": "Nope"}),
            "no account named 'Nope'",
        ),
        (
            "anomalies",
            json!({"broker": true}),
            "never connects to the broker",
        ),
    ] {
        let r = client
            .call_tool(CallToolRequestParams::new(tool).with_arguments(args(bad.clone())))
            .await
            .unwrap();
        let (error, text) = result(&r);
        assert!(error, "{tool} {bad}: {text}");
        assert!(text.contains(says), "{tool} {bad}: {text}");
    }
    // The server is still there after them.
    let r = client
        .call_tool(CallToolRequestParams::new("accounts"))
        .await
        .unwrap();
    assert!(!result(&r).0);
    client.cancel().await.unwrap();
}

#[test]
fn stdout_carries_only_json_rpc_and_tools_can_be_limited() {
    let env = Env::new();
    let mut child = env
        .command()
        .args([
            "--demo",
            "--today",
            TODAY,
            "mcp",
            "--tools",
            "holdings,risk",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let messages = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "risk", "arguments": {}}}),
        json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "harvest_candidates", "arguments": {}}}),
    ];
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut lines = stdout.lines();
    let mut answers = Vec::new();
    for m in &messages {
        writeln!(stdin, "{m}").unwrap();
        stdin.flush().unwrap();
        if m.get("id").is_some() {
            let line = lines.next().unwrap().unwrap();
            answers.push(line);
        }
    }
    drop(stdin);
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = child.wait().unwrap();
    assert!(status.success());
    for line in answers.iter().chain(&rest) {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not JSON-RPC on stdout ({e}): {line}"));
        assert_eq!(v["jsonrpc"], "2.0", "{line}");
    }
    let list: Value = serde_json::from_str(&answers[1]).unwrap();
    let names: Vec<&str> = list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["holdings", "risk"],
        "--tools limits what is exposed"
    );
    let risk: Value = serde_json::from_str(&answers[2]).unwrap();
    assert_eq!(risk["result"]["isError"], false, "{risk}");
    let hidden: Value = serde_json::from_str(&answers[3]).unwrap();
    assert_eq!(hidden["result"]["isError"], true, "{hidden}");
    assert!(
        hidden["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("no tool named 'harvest_candidates'"),
        "{hidden}"
    );

    let r = env.run(&["mcp", "--tools", "holdings,bogus"]);
    r.refused("no tool named 'bogus'");
}

#[test]
fn the_server_needs_a_database_and_opens_it_read_only() {
    let env = Env::new();
    let r = env.run(&["mcp"]);
    r.refused("there is no database at");
    assert!(!env.db().exists(), "nothing was created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tool_leaves_the_database_as_it_was() {
    let env = Env::new();
    env.import("sample.csv", crate::common::SAMPLE, &[]).ok();
    let prices = env.write("prices.csv", crate::common::SAMPLE_PRICES);
    env.run(&["prices", "import", prices.to_str().unwrap()])
        .ok();
    env.run(&["targets", "set", "US stocks=80,US bonds=20"])
        .ok();
    let db = env.db();
    let before = std::fs::read(&db).unwrap();
    let modified = std::fs::metadata(&db).unwrap().modified().unwrap();

    let client = client(
        &env,
        &[std::ffi::OsStr::new("--db"), db.as_os_str(), "mcp".as_ref()],
    )
    .await;
    let tools = client.list_all_tools().await.unwrap();
    let mut failed = Vec::new();
    for t in &tools {
        let a = match t.name.as_ref() {
            "preview_trade" => json!({"symbol": "AAPL", "side": "sell", "quantity": 1}),
            "plan" => json!({"paths": 500, "from_portfolio": true}),
            "tax_report" => json!({"year": 2024}),
            "dashboard" => json!({"history": "all"}),
            _ => json!({}),
        };
        let r = client
            .call_tool(CallToolRequestParams::new(t.name.clone()).with_arguments(args(a)))
            .await
            .unwrap();
        let (error, text) = result(&r);
        // The sample has four days of prices: the frontier says it needs more (and changes
        // nothing either).
        let too_short = t.name == "frontier" && text.contains("days of common price history");
        if error && !too_short {
            failed.push(format!("{}: {text}", t.name));
        }
        if t.name == "dashboard" {
            let v: Value = serde_json::from_str(&text).unwrap();
            let days = v["report"]["value_history"].as_array().unwrap();
            let last = days.last().unwrap()["date"].as_str().unwrap();
            assert!(last > days[0]["date"].as_str().unwrap(), "oldest first");
        }
    }
    client.cancel().await.unwrap();
    assert_eq!(failed, Vec::<String>::new());
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "the database's bytes are unchanged"
    );
    assert_eq!(
        std::fs::metadata(&db).unwrap().modified().unwrap(),
        modified
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_value_history_keeps_its_newest_days() {
    let env = Env::new();
    let client = demo_client(&env).await;
    let r = client
        .call_tool(
            CallToolRequestParams::new("dashboard").with_arguments(args(json!({"history": "5y"}))),
        )
        .await
        .unwrap();
    let (error, text) = result(&r);
    assert!(!error, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    let days = v["report"]["value_history"].as_array().unwrap();
    assert_eq!(days.len(), 200);
    assert_eq!(v["truncated"][0]["field"], "value_history");
    assert!(v["truncated"][0]["total"].as_u64().unwrap() > 1000);
    let cli = env
        .command()
        .args([
            "--demo",
            "--today",
            TODAY,
            "dashboard",
            "--json",
            "--history",
            "5y",
        ])
        .output()
        .unwrap();
    let cli: Value = serde_json::from_slice(&cli.stdout).unwrap();
    assert_eq!(
        days.last(),
        cli["value_history"].as_array().unwrap().last(),
        "the newest day is the command line's newest"
    );
    client.cancel().await.unwrap();
}
