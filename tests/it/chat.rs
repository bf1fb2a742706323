//! `folio chat` against scripted providers on 127.0.0.1 (tests/it/fake_llm.rs): the wires, the
//! tool loop, every quirk and error of AI_CHAT.md §2, cancellation, threads, the number check
//! and the keyring. The real binary runs on the demo with the provider named on its command
//! line.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{Env, Run};
use crate::fake_llm::{Answer, FakeLlm, anthropic, now, oai, sse};

pub const TODAY: &str = "2026-12-07";

/// The events `folio chat --json` printed.
pub fn events(run: &Run) -> Vec<Value> {
    run.stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

pub fn of<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["event"] == kind).collect()
}

pub fn done(events: &[Value]) -> &Value {
    of(events, "done")
        .pop()
        .unwrap_or_else(|| panic!("no done event in {events:#?}"))
}

/// The text the message events streamed.
pub fn streamed(events: &[Value]) -> String {
    of(events, "message")
        .iter()
        .map(|e| e["delta"].as_str().unwrap().to_string())
        .collect()
}

/// An env with a config: `[ai]` lines added to fast retries.
fn env_with(ai: &str) -> Env {
    let env = Env::new();
    let retries = if ai.contains("retries") {
        ""
    } else {
        "retries = 2\n"
    };
    env.write("config.toml", &format!("[ai]\n{retries}{ai}\n"));
    env
}

/// `folio chat --json` asking `provider` at `base` (its whole base URL), on the demo or on the
/// env's database, with the env's config and no key or address from the environment.
fn chat_command(env: &Env, demo: bool, provider: &str, model: &str, base: &str) -> Command {
    let mut c = env.command();
    c.env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("OLLAMA_HOST")
        .env("FOLIO_KEYRING_SERVICE", "folio-test-none");
    if demo {
        c.args(["--demo", "--today", TODAY]);
    } else {
        c.arg("--db").arg(env.db());
    }
    c.arg("--config").arg(env.path("config.toml")).args([
        "chat",
        "--json",
        "--provider",
        provider,
        "--model",
        model,
        "--base-url",
        base,
    ]);
    c
}

/// `folio --demo chat --json` asking `provider` at `url` (a test key for Anthropic).
fn chat(env: &Env, provider: &str, url: &str, extra: &[&str], question: &str) -> Run {
    let base = match provider {
        "anthropic" | "ollama" => url.to_string(),
        _ => format!("{url}/v1"),
    };
    chat_command(env, true, provider, "m", &base)
        .env("ANTHROPIC_API_KEY", "sk-ant-test-key-0123456789")
        .args(extra)
        .arg(question)
        .output()
        .unwrap()
        .into()
}

/// Imports the common sample into the env's database.
fn with_sample(env: &Env) {
    env.run(&[
        "import",
        env.write("t.csv", crate::common::SAMPLE).to_str().unwrap(),
    ])
    .ok();
}

/// The tool messages a Chat Completions request carried back.
fn tool_messages(body: &Value) -> Vec<&Value> {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .collect()
}

#[test]
fn text_deltas_stream_into_the_answer() {
    let llm = FakeLlm::start(|_, _| {
        sse(vec![
            oai::chunk(json!({"role": "assistant", "content": null}), None),
            oai::text("Hello"),
            oai::text(", investor."),
            oai::finish("stop"),
            oai::usage(),
            oai::done(),
        ])
    });
    let env = env_with("");
    let run = chat(&env, "openai-compatible", &llm.url, &[], "hi");
    run.ok();
    let ev = events(&run);
    assert_eq!(ev[0]["event"], "connected");
    assert_eq!(ev[0]["remote"], false, "127.0.0.1 is this machine");
    assert_eq!(streamed(&ev), "Hello, investor.");
    assert_eq!(done(&ev)["answer"], "Hello, investor.");
    let req = &llm.requests()[0];
    assert_eq!(req.path, "/v1/chat/completions");
    assert_eq!(req.body["stream"], true);
    assert_eq!(req.body["messages"][0]["role"], "system");
    assert!(
        req.body["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("Today is 2026-12-07")
    );
    let tools: Vec<&str> = req.body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert!(
        tools.contains(&"holdings") && tools.contains(&"draft_order"),
        "{tools:?}"
    );
}

#[test]
fn a_tool_call_in_fragments_runs_and_its_result_goes_back() {
    let llm = FakeLlm::start(|n, _| match n {
        0 => sse(vec![
            oai::call(Some(0), Some("call_a"), Some("cash"), ""),
            oai::call(Some(0), None, None, "{\"acco"),
            oai::call(Some(0), None, None, "unt\":\"IRA\"}"),
            oai::finish("tool_calls"),
            oai::done(),
        ]),
        _ => oai::answer("As of 2026-12-07 the IRA holds $3,182.90 in cash."),
    });
    let env = env_with("");
    let run = chat(&env, "openai-compatible", &llm.url, &[], "cash in the IRA?");
    run.ok();
    let ev = events(&run);
    let call = of(&ev, "tool_call")[0];
    assert_eq!(
        (call["name"].as_str(), &call["arguments"]),
        (Some("cash"), &json!({"account": "IRA"}))
    );
    let result = of(&ev, "tool_result")[0];
    assert_eq!(result["ok"], true);
    assert_eq!(
        result["result"]["report"]["balances"][0]["balance"],
        "3182.90"
    );
    let reqs = llm.requests();
    assert_eq!(reqs.len(), 2);
    // The second request replays the call and carries its result.
    let msgs = reqs[1].body["messages"].as_array().unwrap();
    let assistant = msgs.iter().find(|m| m["role"] == "assistant").unwrap();
    assert_eq!(assistant["tool_calls"][0]["id"], "call_a");
    assert_eq!(
        assistant["tool_calls"][0]["function"]["arguments"],
        "{\"account\":\"IRA\"}"
    );
    let tool = tool_messages(&reqs[1].body)[0];
    assert_eq!(tool["tool_call_id"], "call_a");
    let content: Value = serde_json::from_str(tool["content"].as_str().unwrap()).unwrap();
    assert_eq!(content["scope"], "account IRA");
    assert_eq!(content["as_of"], TODAY);
    assert_eq!(content["report"]["balances"][0]["balance"], "3182.90");
    let d = done(&ev);
    assert_eq!(
        d["unverified"],
        json!([]),
        "every figure came from the tool"
    );
    assert_eq!(d["rounds"], 2);
}

#[test]
fn two_parallel_calls_both_answer() {
    let llm = FakeLlm::start(|n, _| match n {
        0 => sse(vec![
            oai::call(Some(0), Some("c1"), Some("cash"), ""),
            oai::call(Some(1), Some("c2"), Some("accounts"), ""),
            oai::call(Some(1), None, None, "{}"),
            oai::call(Some(0), None, None, "{}"),
            oai::finish("tool_calls"),
            oai::done(),
        ]),
        _ => oai::answer("Two accounts."),
    });
    let env = env_with("");
    let run = chat(
        &env,
        "openai-compatible",
        &llm.url,
        &[],
        "accounts and cash",
    );
    run.ok();
    let ev = events(&run);
    let names: Vec<&str> = of(&ev, "tool_result")
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cash", "accounts"]);
    let reqs = llm.requests();
    let ids: Vec<&str> = tool_messages(&reqs[1].body)
        .iter()
        .map(|m| m["tool_call_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["c1", "c2"]);
}

#[test]
fn ollama_v1_quirks_whole_calls_at_index_zero_without_ids_and_usage_with_null_choices() {
    let llm = FakeLlm::start(|n, _| {
        match n {
        0 => sse(vec![
            // Ollama sends role and empty content on every chunk, and each call whole at index 0.
            oai::chunk(json!({"role": "assistant", "content": "", "tool_calls": [{"index": 0, "function": {"name": "cash", "arguments": "{}"}}]}), None),
            oai::chunk(json!({"role": "assistant", "content": "", "tool_calls": [{"index": 0, "function": {"name": "accounts", "arguments": "{}"}}]}), None),
            oai::finish("tool_calls"),
            // vLLM's usage chunk: choices null.
            "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"choices\":null,\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}\n\n".into(),
            oai::done(),
        ]),
        _ => oai::answer("Done."),
    }
    });
    let env = env_with("");
    let run = chat(&env, "openai-compatible", &llm.url, &[], "q");
    run.ok();
    let ev = events(&run);
    let calls: Vec<(&str, &str)> = of(&ev, "tool_call")
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), e["id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        calls,
        [("cash", "call_1"), ("accounts", "call_2")],
        "two calls, ids made up"
    );
    let reqs = llm.requests();
    let ids: Vec<&str> = tool_messages(&reqs[1].body)
        .iter()
        .map(|m| m["tool_call_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["call_1", "call_2"]);
}

#[test]
fn openrouter_comment_lines_and_a_first_delta_without_id_are_tolerated() {
    let llm = FakeLlm::start(|n, _| match n {
        0 => sse(vec![
            ": OPENROUTER PROCESSING\n\n".into(),
            oai::call(Some(0), None, Some("accounts"), ""),
            ": OPENROUTER PROCESSING\n\n".into(),
            oai::call(Some(0), None, None, "{}"),
            oai::finish("tool_calls"),
            oai::done(),
        ]),
        _ => sse(vec![
            ": keep-alive\n\n".into(),
            oai::text("ok"),
            oai::finish("stop"),
            oai::done(),
        ]),
    });
    let env = env_with("");
    let run = chat(&env, "openai-compatible", &llm.url, &[], "q");
    run.ok();
    let ev = events(&run);
    assert_eq!(of(&ev, "tool_result")[0]["name"], "accounts");
    assert_eq!(done(&ev)["answer"], "ok");
}

#[test]
fn an_error_inside_a_200_stream_is_reported() {
    let llm = FakeLlm::start(|_, _| {
        sse(vec![
            oai::text("Let me"),
            "data: {\"error\":{\"message\":\"Provider returned error\",\"code\":502}}\n\n".into(),
        ])
    });
    let env = env_with("");
    let run = chat(&env, "openai-compatible", &llm.url, &[], "q");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let ev = events(&run);
    let err = of(&ev, "error")[0];
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("Provider returned error"),
        "{err}"
    );
    assert_eq!(llm.requests().len(), 1, "text had streamed: not retried");
}

#[test]
fn a_stream_that_ends_without_a_finish_is_an_error_not_an_answer() {
    let llm = FakeLlm::start(|_, _| sse(vec![oai::text("Half an ans")]));
    let env = env_with("retries = 0");
    let run = chat(&env, "openai-compatible", &llm.url, &[], "q");
    assert_eq!(run.code, 1);
    let ev = events(&run);
    assert!(
        of(&ev, "error")[0]["message"]
            .as_str()
            .unwrap()
            .contains("ended before it was complete")
    );
    assert!(of(&ev, "done").is_empty());
}

#[test]
fn errors_map_to_one_line_fixes_and_only_some_are_retried() {
    let key_body = r#"{"error":{"message":"Incorrect API key provided: sk-proj-abcdefghijklmnopqrstuvwxyz123456","type":"invalid_request_error","code":"invalid_api_key"}}"#;
    // 401: the key, not retried; the key in the provider's message is never shown.
    let llm = FakeLlm::start(move |_, _| Answer::Status(401, key_body.into(), vec![]));
    let env = env_with("");
    let run = chat(&env, "openai-compatible", &llm.url, &[], "q");
    assert_eq!(run.code, 1);
    let err = of(&events(&run), "error")[0].clone();
    assert!(
        err["fix"].as_str().unwrap().contains("folio secret set"),
        "{err}"
    );
    assert!(!run.stdout.contains("abcdefghijklmnop") && !run.stderr.contains("abcdefghijklmnop"));
    assert_eq!(llm.requests().len(), 1);

    // 429 quota: not retried.
    let llm = FakeLlm::start(|_, _| {
        Answer::Status(429, r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#.into(), vec![])
    });
    let run = chat(&env, "openai-compatible", &llm.url, &[], "q");
    assert_eq!(run.code, 1);
    assert!(
        of(&events(&run), "error")[0]["message"]
            .as_str()
            .unwrap()
            .contains("quota")
    );
    assert_eq!(llm.requests().len(), 1);

    // 429 with Retry-After, then success: waited for and retried.
    let llm = FakeLlm::start(|n, _| match n {
        0 => Answer::Status(
            429,
            r#"{"error":{"message":"Rate limit","type":"rate_limit_exceeded"}}"#.into(),
            vec![("Retry-After", "1".into())],
        ),
        _ => oai::answer("Fine."),
    });
    let started = std::time::Instant::now();
    let run = chat(&env, "openai-compatible", &llm.url, &[], "q");
    run.ok();
    let ev = events(&run);
    assert!(
        of(&ev, "notice")[0]["text"]
            .as_str()
            .unwrap()
            .contains("trying again in 1.0 s")
    );
    assert_eq!(done(&ev)["answer"], "Fine.");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the Retry-After was honoured"
    );
    let reqs = llm.requests();
    assert!(
        reqs[1].at - reqs[0].at >= Duration::from_secs(1),
        "retried after the wait"
    );

    // 500: retried twice ([ai] retries = 2), then reported.
    let llm = FakeLlm::start(|_, _| {
        Answer::Status(
            500,
            r#"{"error":{"message":"The server had an error","type":"server_error"}}"#.into(),
            vec![],
        )
    });
    let run = chat(&env, "openai-compatible", &llm.url, &[], "q");
    assert_eq!(run.code, 1);
    assert_eq!(llm.requests().len(), 3);
    assert!(
        of(&events(&run), "error")[0]["fix"]
            .as_str()
            .unwrap()
            .contains("try again later")
    );

    // 404: the model.
    let llm = FakeLlm::start(|_, _| {
        Answer::Status(
            404,
            r#"{"error":{"message":"model 'm' not found","type":"not_found_error"}}"#.into(),
            vec![],
        )
    });
    let run = chat(&env, "openai-compatible", &llm.url, &[], "q");
    assert!(
        of(&events(&run), "error")[0]["message"]
            .as_str()
            .unwrap()
            .contains("no model 'm'")
    );
}

#[test]
fn a_stall_past_the_timeout_is_reported() {
    let llm = FakeLlm::start(|_, _| Answer::Stream {
        content_type: "text/event-stream",
        frames: vec![
            (Duration::ZERO, oai::text("Thinking")),
            (Duration::from_secs(4), oai::finish("stop")),
        ],
    });
    let env = env_with("timeout_secs = 1\nretries = 0");
    let started = std::time::Instant::now();
    let run = chat(&env, "openai-compatible", &llm.url, &[], "q");
    assert_eq!(run.code, 1);
    let err = of(&events(&run), "error")[0].clone();
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("sent nothing for 1 s"),
        "{err}"
    );
    assert!(err["fix"].as_str().unwrap().contains("timeout_secs"));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "it did not wait for the stall"
    );
    assert_eq!(
        llm.written.lock().unwrap().len(),
        1,
        "only the first frame had been sent"
    );
}

#[test]
fn malformed_arguments_and_an_unknown_tool_go_back_to_the_model_as_errors() {
    let llm = FakeLlm::start(|n, _| match n {
        0 => oai::calls(&[
            ("c1", "holdings", json!("{\"account\": IRA}")),
            ("c2", "get_weather", json!({})),
        ]),
        _ => oai::answer("Sorry."),
    });
    // The arguments above are a JSON string holding invalid JSON.
    let env = env_with("");
    let run = chat(&env, "openai-compatible", &llm.url, &[], "q");
    run.ok();
    let ev = events(&run);
    let results = of(&ev, "tool_result");
    assert_eq!(
        (results[0]["ok"].as_bool(), results[1]["ok"].as_bool()),
        (Some(false), Some(false))
    );
    let reqs = llm.requests();
    // The broken arguments go back as valid JSON (llama.cpp and vLLM refuse a history without).
    let assistant = reqs[1].body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "assistant")
        .unwrap()
        .clone();
    assert_eq!(assistant["tool_calls"][0]["function"]["arguments"], "{}");
    let sent = tool_messages(&reqs[1].body);
    let first = sent[0]["content"].as_str().unwrap();
    assert!(
        first.contains("not valid JSON") || first.contains("must be a JSON object"),
        "{first}"
    );
    let second = sent[1]["content"].as_str().unwrap();
    assert!(
        second.contains("no tool named 'get_weather'") && second.contains("holdings"),
        "{second}"
    );
}

#[test]
fn a_figure_no_tool_returned_is_flagged() {
    let llm = FakeLlm::start(|n, _| match n {
        0 => oai::calls(&[("c1", "cash", json!({}))]),
        _ => oai::answer(
            "The IRA holds $3,182.90 and the Taxable account $37,224.26; you also have $51,234.00 in crypto.",
        ),
    });
    let env = env_with("");
    let run = chat(&env, "openai-compatible", &llm.url, &[], "cash?");
    run.ok();
    assert_eq!(done(&events(&run))["unverified"], json!(["51,234.00"]));
}

#[test]
fn a_repeated_identical_call_stops_the_loop_and_rounds_are_capped() {
    let llm = FakeLlm::start(|_, _| oai::calls(&[("c", "cash", json!({"account": "IRA"}))]));
    let env = env_with("");
    let run = chat(&env, "openai-compatible", &llm.url, &[], "q");
    run.ok();
    let d = done(&events(&run)).clone();
    assert!(d["stopped"].as_str().unwrap().contains("cash again"), "{d}");
    // The repeat is not run: the next round asks for the answer (tools described, none to call).
    let reqs = llm.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[2].body["tool_choice"], "none");
    assert_eq!(
        tool_messages(&reqs[2].body).len(),
        1,
        "the first call's result only"
    );

    // A model that always asks for something new gets max_rounds requests, the last offering
    // no tools.
    let llm = FakeLlm::start(|n, _| {
        let symbol = ["VTI", "BND", "VXUS", "VEA", "VWO", "AAPL"][n % 6];
        oai::calls(&[("c", "lots", json!({ "symbol": symbol }))])
    });
    let env = env_with("max_rounds = 3");
    let run = chat(&env, "openai-compatible", &llm.url, &[], "q");
    run.ok();
    let reqs = llm.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(
        reqs[2].body["tool_choice"], "none",
        "the last round lets the model call no tool"
    );
    assert!(
        reqs[2].body["tools"].is_array(),
        "but describes them, for the history"
    );
    assert!(
        done(&events(&run))["stopped"]
            .as_str()
            .unwrap()
            .contains("after 3 rounds")
    );
}

#[test]
fn anthropic_streams_text_and_tool_use_and_takes_tool_results_in_the_next_user_turn() {
    let llm = FakeLlm::start(|n, _| {
        let mut f = vec![anthropic::start()];
        match n {
            0 => {
                f.extend(anthropic::text_block(0, "Let me check."));
                f.extend(anthropic::tool_block(
                    1,
                    "toolu_01",
                    "cash",
                    &["", "{\"account\":", "\"IRA\"}"],
                ));
                f.extend(anthropic::tool_block(2, "toolu_02", "accounts", &[]));
                f.extend(anthropic::stop("tool_use"));
            }
            _ => {
                f.push(anthropic::event("ping", json!({"type": "ping"})));
                f.push(anthropic::event(
                    "some_new_event",
                    json!({"type": "some_new_event"}),
                ));
                f.extend(anthropic::text_block(0, "The IRA holds $3,182.90."));
                f.extend(anthropic::stop("end_turn"));
            }
        }
        sse(f)
    });
    let env = env_with("");
    let run = chat(&env, "anthropic", &llm.url, &[], "IRA cash?");
    run.ok();
    let ev = events(&run);
    assert_eq!(ev[0]["remote"], false);
    let calls: Vec<(&str, &Value)> = of(&ev, "tool_call")
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), &e["arguments"]))
        .collect();
    assert_eq!(
        calls,
        [
            ("cash", &json!({"account": "IRA"})),
            ("accounts", &json!({}))
        ]
    );
    let reqs = llm.requests();
    assert_eq!(reqs[0].path, "/v1/messages");
    assert_eq!(
        reqs[0].header("x-api-key"),
        Some("sk-ant-test-key-0123456789")
    );
    assert_eq!(reqs[0].header("anthropic-version"), Some("2023-06-01"));
    let msgs = reqs[1].body["messages"].as_array().unwrap();
    let roles: Vec<&str> = msgs.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["user", "assistant", "user"]);
    let assistant = &msgs[1]["content"];
    assert_eq!(assistant[0]["type"], "text");
    assert_eq!(assistant[1]["type"], "tool_use");
    assert_eq!(assistant[1]["input"], json!({"account": "IRA"}));
    assert_eq!(assistant[2]["input"], json!({}));
    let results = msgs[2]["content"].as_array().unwrap();
    assert_eq!(results[0]["type"], "tool_result");
    assert_eq!(results[0]["tool_use_id"], "toolu_01");
    assert_eq!(results[1]["tool_use_id"], "toolu_02");
    assert!(results[0]["content"].as_str().unwrap().contains("3182.90"));
    assert_eq!(
        done(&ev)["answer"],
        "Let me check.\n\nThe IRA holds $3,182.90."
    );
}

#[test]
fn anthropic_overloaded_is_retried_and_an_error_event_is_reported() {
    let llm = FakeLlm::start(|n, _| {
        match n {
        0 => Answer::Status(529, r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_1"}"#.into(), vec![]),
        1 => sse(vec![anthropic::start(), anthropic::event("error", json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}))]),
        _ => {
            let mut f = vec![anthropic::start()];
            f.extend(anthropic::text_block(0, "Here."));
            f.extend(anthropic::stop("end_turn"));
            sse(f)
        }
    }
    });
    let env = env_with("");
    let run = chat(&env, "anthropic", &llm.url, &[], "q");
    run.ok();
    let ev = events(&run);
    assert_eq!(of(&ev, "notice").len(), 2, "{ev:#?}");
    assert_eq!(done(&ev)["answer"], "Here.");
    assert_eq!(llm.requests().len(), 3);
}

#[test]
fn ollama_native_sends_the_context_size_and_reads_ndjson() {
    let llm = FakeLlm::start(|n, _| {
        let lines = match n {
            0 => vec![
                json!({"model": "m", "message": {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "cash", "arguments": {"account": "IRA"}}}]}, "done": false}),
                json!({"model": "m", "message": {"role": "assistant", "content": ""}, "done": true, "done_reason": "stop", "prompt_eval_count": 900, "eval_count": 20}),
            ],
            _ => vec![
                json!({"model": "m", "message": {"role": "assistant", "content": "IRA cash: "}, "done": false}),
                json!({"model": "m", "message": {"role": "assistant", "content": "$3,182.90."}, "done": false}),
                json!({"model": "m", "message": {"role": "assistant", "content": ""}, "done": true, "done_reason": "stop"}),
            ],
        };
        Answer::Stream {
            content_type: "application/x-ndjson",
            frames: now(lines.into_iter().map(|l| format!("{l}\n")).collect()),
        }
    });
    let env = env_with("context_size = 32768");
    let run = chat(&env, "ollama", &llm.url, &[], "IRA cash?");
    run.ok();
    let ev = events(&run);
    assert_eq!(done(&ev)["answer"], "IRA cash: $3,182.90.");
    let reqs = llm.requests();
    assert_eq!(reqs[0].path, "/api/chat");
    assert_eq!(reqs[0].body["options"]["num_ctx"], 32768);
    let tool = reqs[1].body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .unwrap()
        .clone();
    assert_eq!(tool["tool_name"], "cash");
    let assistant = reqs[1].body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "assistant")
        .unwrap()
        .clone();
    assert_eq!(
        assistant["tool_calls"][0]["function"]["arguments"],
        json!({"account": "IRA"}),
        "arguments go back as an object"
    );
}

#[test]
fn openai_responses_wire_streams_calls_by_item_and_sends_outputs_back() {
    let llm = FakeLlm::start(|n, _| {
        let ev = |kind: &str, mut data: Value| {
            data["type"] = json!(kind);
            format!("event: {kind}\ndata: {data}\n\n")
        };
        sse(match n {
            0 => vec![
                ev("response.created", json!({"response": {"id": "r1"}})),
                ev(
                    "response.output_item.added",
                    json!({"output_index": 0, "item": {"type": "function_call", "id": "fc_1", "call_id": "call_9", "name": "cash", "arguments": ""}}),
                ),
                ev(
                    "response.function_call_arguments.delta",
                    json!({"item_id": "fc_1", "output_index": 0, "delta": "{\"account\""}),
                ),
                ev(
                    "response.function_call_arguments.delta",
                    json!({"item_id": "fc_1", "output_index": 0, "delta": ":\"IRA\"}"}),
                ),
                ev(
                    "response.function_call_arguments.done",
                    json!({"item_id": "fc_1", "output_index": 0, "arguments": "{\"account\":\"IRA\"}"}),
                ),
                ev(
                    "response.completed",
                    json!({"response": {"usage": {"input_tokens": 10, "output_tokens": 5}}}),
                ),
            ],
            _ => vec![
                ev(
                    "response.output_text.delta",
                    json!({"delta": "IRA: $3,182.90"}),
                ),
                ev("response.completed", json!({"response": {}})),
            ],
        })
    });
    let env = env_with("");
    let run = chat_command(&env, true, "openai", "gpt-x", &format!("{}/v1", llm.url))
        .env("OPENAI_API_KEY", "sk-test-openai-key")
        .arg("IRA cash?")
        .output()
        .unwrap();
    let run: Run = run.into();
    run.ok();
    let ev = events(&run);
    assert_eq!(done(&ev)["answer"], "IRA: $3,182.90");
    let reqs = llm.requests();
    assert_eq!(reqs[0].path, "/v1/responses");
    assert_eq!(
        reqs[0].header("authorization"),
        Some("Bearer sk-test-openai-key")
    );
    assert_eq!(reqs[0].body["store"], false);
    let input = reqs[1].body["input"].as_array().unwrap();
    let call = input.iter().find(|i| i["type"] == "function_call").unwrap();
    assert_eq!(
        (call["call_id"].as_str(), call["arguments"].as_str()),
        (Some("call_9"), Some("{\"account\":\"IRA\"}"))
    );
    let out = input
        .iter()
        .find(|i| i["type"] == "function_call_output")
        .unwrap();
    assert_eq!(out["call_id"], "call_9");
    assert!(out["output"].as_str().unwrap().contains("3182.90"));
}

#[test]
fn a_model_without_tools_falls_back_to_the_offline_assistant() {
    let llm = FakeLlm::start(|_, _| {
        Answer::Status(400, r#"{"error":{"message":"registry.ollama.ai/library/gemma3:4b does not support tools","type":"invalid_request_error"}}"#.into(), vec![])
    });
    let env = env_with("");
    let run = chat(
        &env,
        "openai-compatible",
        &llm.url,
        &[],
        "how much cash do I have?",
    );
    run.ok();
    let ev = events(&run);
    assert!(
        of(&ev, "notice")[0]["text"]
            .as_str()
            .unwrap()
            .contains("does not support tools")
    );
    assert_eq!(done(&ev)["provider"], "offline");
}

#[test]
fn no_server_says_how_to_start_one_and_auto_falls_back_to_offline() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let env = env_with("");
    let run = chat(&env, "ollama", &url, &[], "q");
    assert_eq!(run.code, 1);
    let err = of(&events(&run), "error")[0].clone();
    assert!(
        err["message"].as_str().unwrap().contains("does not answer"),
        "{err}"
    );
    assert!(err["fix"].as_str().unwrap().contains("ollama serve"));
    // The default (auto, with no --demo) asks Ollama at OLLAMA_HOST, and answers offline.
    with_sample(&env);
    let run: Run = env
        .command()
        .env("OLLAMA_HOST", format!("127.0.0.1:{port}"))
        .args(["--db"])
        .arg(env.db())
        .args(["--config"])
        .arg(env.path("config.toml"))
        .args(["chat", "--json", "how much cash do I have?"])
        .output()
        .unwrap()
        .into();
    run.ok();
    let ev = events(&run);
    assert!(
        of(&ev, "notice")[0]["text"]
            .as_str()
            .unwrap()
            .contains("offline assistant")
    );
    assert_eq!(done(&ev)["provider"], "offline");
}

#[test]
fn a_thread_goes_on_with_its_history_and_is_listed() {
    let llm = FakeLlm::start(|n, _| match n {
        0 => oai::calls(&[("c1", "cash", json!({}))]),
        1 => oai::answer("First answer."),
        _ => oai::answer("Second answer."),
    });
    let env = env_with("");
    // The demo's database is a fresh copy per run: keep one with --db instead.
    with_sample(&env);
    let base = format!("{}/v1", llm.url);
    let ask = |extra: &[&str], q: &str| -> Run {
        chat_command(&env, false, "openai-compatible", "m", &base)
            .args(extra)
            .arg(q)
            .output()
            .unwrap()
            .into()
    };

    let first = ask(&[], "cash?");
    first.ok();
    let thread = done(&events(&first))["thread"].as_i64().unwrap();
    let second = ask(&["--thread", &thread.to_string()], "and in the IRA?");
    second.ok();
    let msgs = llm.requests()[2].body["messages"].clone();
    let texts: Vec<(&str, &str)> = msgs
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap(),
                m["content"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(texts[1], ("user", "cash?"));
    assert!(
        texts.iter().any(|(r, _)| *r == "tool"),
        "the earlier tool round goes with it"
    );
    assert!(texts.contains(&("assistant", "First answer.")));
    assert_eq!(texts.last().unwrap(), &("user", "and in the IRA?"));
    let list = env.run(&["chat", "--list", "--json"]).json();
    assert_eq!(list["threads"][0]["id"], thread);
    assert_eq!(list["threads"][0]["questions"], 2);
    assert_eq!(list["threads"][0]["title"], "cash?");
    let shown = env.run(&["chat", "--thread", &thread.to_string(), "--show"]);
    shown.ok();
    assert!(
        shown.stdout.contains("> and in the IRA?") && shown.stdout.contains("Second answer."),
        "{}",
        shown.stdout
    );
    env.run(&["chat", "--thread", "999", "--show"])
        .refused("no chat thread 999");
    env.run(&["chat", "--provider", "nonsense", "q"])
        .refused("'nonsense' is not a provider");
}

#[test]
fn a_cancel_mid_stream_keeps_the_thread_whole() {
    let llm = FakeLlm::start(|n, _| match n {
        0 => oai::calls(&[("c1", "cash", json!({}))]),
        _ => Answer::Stream {
            content_type: "text/event-stream",
            frames: vec![
                (Duration::ZERO, oai::text("The cash is")),
                (Duration::from_secs(30), oai::finish("stop")),
            ],
        },
    });
    let env = env_with("");
    with_sample(&env);
    let mut child = chat_command(
        &env,
        false,
        "openai-compatible",
        "m",
        &format!("{}/v1", llm.url),
    )
    .arg("cash?")
    .stdout(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    // Wait for the first words, then Ctrl-C.
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(
            std::io::BufRead::read_line(&mut out, &mut line).unwrap() > 0,
            "ended early: {seen}"
        );
        seen.push_str(&line);
        if line.contains("\"message\"") && line.contains("The cash is") {
            break;
        }
    }
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{rest}");
    let d: Value = rest
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|e| e["event"] == "done")
        .unwrap();
    assert_eq!(d["stopped"], "cancelled");
    // Stored: the question, the complete tool round, and what was said before the cancel.
    let conn = env.conn();
    let mut stmt = conn
        .prepare("SELECT role, content, tool_calls FROM chat_messages ORDER BY id")
        .unwrap();
    let rows: Vec<(String, String, Option<String>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let roles: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(roles, ["user", "assistant", "tool", "assistant"]);
    assert!(rows[1].2.as_deref().unwrap().contains("c1"));
    assert!(
        rows[3].1.starts_with("The cash is") && rows[3].1.ends_with("(cancelled)"),
        "{:?}",
        rows[3]
    );
}

#[test]
fn model_text_is_stripped_of_control_characters() {
    let llm = FakeLlm::start(|_, _| oai::answer("safe\u{1b}]0;pwned\u{7}\u{1b}[2J text"));
    let env = env_with("");
    let run = chat(&env, "openai-compatible", &llm.url, &[], "q");
    run.ok();
    let ev = events(&run);
    let answer = done(&ev)["answer"].as_str().unwrap().to_string();
    assert!(
        !answer.contains('\u{1b}') && !answer.contains('\u{7}'),
        "{answer:?}"
    );
    assert!(!streamed(&ev).contains('\u{1b}'));
}

#[test]
fn a_remote_provider_gets_rounded_figures_and_is_marked() {
    // Addressed as 0.0.0.0, which Linux dials as this host but which is no loopback address:
    // to folio a provider there is remote, so no test traffic leaves the machine.
    let llm = FakeLlm::start(|n, _| match n {
        0 => oai::calls(&[("c1", "cash", json!({}))]),
        _ => oai::answer("About $37,000 in Taxable."),
    });
    let port = llm.url.rsplit(':').next().unwrap().to_string();
    let env = env_with("privacy = \"rounded\"");
    let run = chat(
        &env,
        "openai-compatible",
        &format!("http://0.0.0.0:{port}"),
        &[],
        "cash?",
    );
    run.ok();
    let ev = events(&run);
    assert_eq!(ev[0]["remote"], true, "{:?}", ev[0]);
    assert_eq!(ev[0]["privacy"], "rounded");
    let sent = tool_messages(&llm.requests()[1].body)[0]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        sent.contains("37000") && !sent.contains("37224.26"),
        "{sent}"
    );
    // The user's own view (the event) keeps the exact figure; the answer's rounded figure checks.
    assert_eq!(
        of(&ev, "tool_result")[0]["result"]["report"]["balances"][1]["balance"],
        "37224.26"
    );
    assert_eq!(done(&ev)["unverified"], json!([]));
}

#[test]
fn a_key_set_in_the_keyring_is_used_and_never_written_anywhere() {
    let key = "sk-ant-api03-keyring-test-5f2a9c0b7d1e";
    // A keyring service of this test's own, so no user's key is touched.
    let service = format!("folio-test-{}", std::process::id());
    let env = env_with("");
    let secret = |args: &[&str], stdin: &str| -> Run {
        use std::io::Write;
        let mut child = env
            .command()
            .env("FOLIO_KEYRING_SERVICE", &service)
            .env_remove("ANTHROPIC_API_KEY")
            .arg("secret")
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap().into()
    };
    secret(&["set", "nonsense"], key).refused("no secret named 'nonsense'");
    secret(&["set", "anthropic"], "\n").refused("no key was given");
    let set = secret(&["set", "anthropic"], &format!("{key}\n"));
    set.ok();
    assert!(!set.stdout.contains(key) && !set.stderr.contains(key));
    let status = secret(&["status", "anthropic", "--json"], "");
    let status = status.json();
    assert_eq!(status[0]["found"], true, "{status}");
    assert!(
        ["keyring", "session-keyring"].contains(&status[0]["source"].as_str().unwrap()),
        "{status}"
    );

    let llm = FakeLlm::start(|n, _| {
        let mut f = vec![anthropic::start()];
        if n == 0 {
            f.extend(anthropic::tool_block(0, "toolu_1", "cash", &["{}"]));
            f.extend(anthropic::stop("tool_use"));
        } else {
            f.extend(anthropic::text_block(0, "IRA $3,182.90."));
            f.extend(anthropic::stop("end_turn"));
        }
        sse(f)
    });
    with_sample(&env);
    let run: Run = chat_command(&env, false, "anthropic", "claude-x", &llm.url)
        .env("FOLIO_KEYRING_SERVICE", &service)
        .arg("cash?")
        .output()
        .unwrap()
        .into();
    run.ok();
    assert_eq!(
        llm.requests()[0].header("x-api-key"),
        Some(key),
        "the keyring's key was sent"
    );
    assert!(!run.stdout.contains(key) && !run.stderr.contains(key));
    // Nowhere on disk: the database (and its WAL), the config, the log.
    let mut files = vec![env.db(), env.path("folio.db-wal"), env.path("config.toml")];
    for dir in [env.path("data"), env.path("config")] {
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    files.extend(std::fs::read_dir(&p).unwrap().flatten().map(|e| e.path()));
                } else {
                    files.push(p);
                }
            }
        }
    }
    let log = files.iter().any(|f| f.ends_with("folio.log"));
    assert!(log, "the log was written: {files:?}");
    for f in files.iter().filter(|f| f.is_file()) {
        let bytes = std::fs::read(f).unwrap();
        assert!(
            !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
            "the key is in {}",
            f.display()
        );
    }
    let deleted = secret(&["delete", "anthropic"], "");
    deleted.ok();
    assert!(deleted.stdout.contains("Removed the anthropic key"));
    assert_eq!(
        secret(&["status", "anthropic", "--json"], "").json()[0]["found"],
        false
    );
}

#[test]
fn doctor_says_who_answers_the_chat() {
    let llm = FakeLlm::start(|_, r| {
        assert_eq!(r.path, "/api/tags");
        Answer::Status(
            200,
            r#"{"models":[{"name":"qwen3:8b"},{"name":"llama3.2:latest"}]}"#.into(),
            vec![],
        )
    });
    let env = Env::new();
    let check = |model: &str| -> Value {
        env.write(
            "config.toml",
            &format!(
                "[ai]\nprovider = \"ollama\"\nbase_url = \"{}\"\nmodel = \"{model}\"\n",
                llm.url
            ),
        );
        let run: Run = env
            .command()
            .args(["--config"])
            .arg(env.path("config.toml"))
            .args(["doctor", "--json"])
            .output()
            .unwrap()
            .into();
        let v: Value = serde_json::from_str(&run.stdout).unwrap();
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == "chat")
            .unwrap()
            .clone()
    };
    let ok = check("qwen3:8b");
    assert_eq!(ok["status"], "ok", "{ok}");
    assert_eq!(
        check("llama3.2")["status"],
        "ok",
        "a bare name is NAME:latest"
    );
    let missing = check("gpt-oss:20b");
    assert_eq!(missing["status"], "fail");
    assert!(
        missing["detail"]
            .as_str()
            .unwrap()
            .contains("ollama pull gpt-oss:20b"),
        "{missing}"
    );
}

/// The offline assistant's evaluation set (tests/it/chat_eval.rs) asked through a scripted
/// model: for each question the model asks for the look-ups the assistant's rules choose, and
/// the loop must run exactly those tools, in order, and send each result back as the user saw
/// it (a local provider gets it whole).
#[test]
fn the_evaluation_set_through_a_scripted_model_makes_the_expected_tool_calls() {
    use folio::ai::offline;
    let env = Env::new();
    let holdings = env
        .run(&["--demo", "--today", TODAY, "holdings", "--json"])
        .json();
    let mut symbols: Vec<String> = holdings["holdings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["symbol"].as_str().unwrap().to_string())
        .collect();
    symbols.sort();
    symbols.dedup();
    let accounts = vec!["IRA".to_string(), "Taxable".to_string()];
    let today = chrono::NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap();
    let cases = crate::chat_eval::CASES;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                while let Some((question, tools, _)) =
                    cases.get(next.fetch_add(1, std::sync::atomic::Ordering::SeqCst))
                {
                    let cx = offline::Context {
                        today,
                        symbols: &symbols,
                        accounts: &accounts,
                    };
                    let calls: Vec<(String, String, Value)> = offline::plan(question, &cx)
                        .lookups
                        .into_iter()
                        .enumerate()
                        .map(|(i, l)| (format!("c{i}"), l.tool.to_string(), l.args))
                        .collect();
                    let scripted = calls.clone();
                    let llm = FakeLlm::start(move |n, _| match n {
                        0 => {
                            let list: Vec<(&str, &str, Value)> = scripted
                                .iter()
                                .map(|(id, name, args)| (id.as_str(), name.as_str(), args.clone()))
                                .collect();
                            oai::calls(&list)
                        }
                        _ => oai::answer("Done."),
                    });
                    let env = env_with("");
                    let run = chat(&env, "openai-compatible", &llm.url, &[], question);
                    let result = (|| -> Result<(), String> {
                        if run.code != 0 {
                            return Err(format!("exit {}: {}", run.code, run.stderr));
                        }
                        let ev = events(&run);
                        let ran: Vec<&str> = of(&ev, "tool_result")
                            .iter()
                            .map(|e| e["name"].as_str().unwrap())
                            .collect();
                        if ran != *tools {
                            return Err(format!("ran {ran:?}, expected {tools:?}"));
                        }
                        let reqs = llm.requests();
                        if tools.is_empty() {
                            // A question the rules do not know: nothing to send back.
                            return match reqs.len() {
                                1 => Ok(()),
                                n => Err(format!("{n} requests for no tool call")),
                            };
                        }
                        let sent = tool_messages(&reqs[1].body);
                        for (e, m) in of(&ev, "tool_result").iter().zip(sent) {
                            let content: Value =
                                serde_json::from_str(m["content"].as_str().unwrap()).unwrap();
                            if content != e["result"] {
                                return Err(format!("{} was sent back changed", e["name"]));
                            }
                            // Each result says what it is as of, its currency and scope (a
                            // risk window ends at the newest close, a year at its end).
                            let envelope = ["as_of", "currency", "scope"]
                                .iter()
                                .all(|k| content[k].is_string());
                            if e["ok"] == true && !envelope {
                                return Err(format!(
                                    "{} lacks as_of, currency or scope",
                                    e["name"]
                                ));
                            }
                        }
                        Ok(())
                    })();
                    if let Err(e) = result {
                        failures.lock().unwrap().push(format!("{question}: {e}"));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_threads_earlier_results_leave_at_a_remote_providers_level() {
    let llm = FakeLlm::start(|n, _| match n {
        0 => oai::calls(&[("c1", "cash", json!({}))]),
        _ => oai::answer("Noted."),
    });
    let env = env_with("privacy = \"weights\"");
    with_sample(&env);
    let port = llm.url.rsplit(':').next().unwrap().to_string();
    // First on this machine (127.0.0.1): the exact balance is kept in the thread.
    let first: Run = chat_command(
        &env,
        false,
        "openai-compatible",
        "m",
        &format!("{}/v1", llm.url),
    )
    .arg("cash?")
    .output()
    .unwrap()
    .into();
    let thread = done(&events(&first))["thread"].as_i64().unwrap();
    // Then to a provider on "another machine" (0.0.0.0, no loopback address to folio).
    let second: Run = chat_command(
        &env,
        false,
        "openai-compatible",
        "m",
        &format!("http://0.0.0.0:{port}/v1"),
    )
    .args(["--thread", &thread.to_string(), "and now?"])
    .output()
    .unwrap()
    .into();
    second.ok();
    assert_eq!(events(&second)[0]["privacy"], "weights");
    let reqs = llm.requests();
    let earlier = tool_messages(&reqs[2].body)[0]["content"]
        .as_str()
        .unwrap()
        .to_string();
    let exact = tool_messages(&reqs[1].body)[0]["content"]
        .as_str()
        .unwrap()
        .to_string();
    let exact: Value = serde_json::from_str(&exact).unwrap();
    assert!(
        exact["report"]["balances"][0]["balance"].is_string(),
        "on this machine the balance went whole: {exact}"
    );
    let v: Value = serde_json::from_str(&earlier).unwrap();
    assert_eq!(
        v["report"]["balances"][0]["balance"],
        Value::Null,
        "{earlier}"
    );
}

#[test]
fn a_retry_after_too_long_to_wait_is_reported_not_waited_for() {
    let llm = FakeLlm::start(|_, _| {
        Answer::Status(
            429,
            r#"{"error":{"message":"Rate limit","type":"rate_limit_exceeded"}}"#.into(),
            vec![("Retry-After", "1e20".into())],
        )
    });
    let env = env_with("");
    let started = std::time::Instant::now();
    let run = chat(&env, "openai-compatible", &llm.url, &[], "q");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        of(&events(&run), "error")[0]["message"]
            .as_str()
            .unwrap()
            .contains("rate limiting")
    );
    assert_eq!(llm.requests().len(), 1);
    assert!(started.elapsed() < Duration::from_secs(30));
}
