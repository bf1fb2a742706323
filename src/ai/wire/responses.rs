//! OpenAI's Responses API (its newer models call tools only here): SSE events with no
//! `[DONE]`; a call is an output item whose arguments stream by item id; the answer ends with
//! `response.completed`, `response.incomplete` or `response.failed`. Stateless: every round
//! sends the whole conversation and asks the server to keep nothing (`store: false`).

use serde_json::{Value, json};

use super::{Items, Reply, Request, Streamed, cut_short, json, next, parameters};
use crate::ai::ToolCall;
use crate::ai::error::{self, ChatError};
use crate::ai::provider::Provider;
use crate::ai::{Message, Role};

pub(super) fn request(p: &Provider, req: &Request) -> (String, Value) {
    let mut input = Vec::new();
    for m in req.messages {
        input.extend(items(m));
    }
    let mut body = json!({
        "model": p.model,
        "stream": true,
        "store": false,
        "instructions": req.system,
        "input": input,
    });
    if !req.tools.is_empty() {
        // Not strict: OpenAI's strict schemas want every property required, and folio's
        // arguments are mostly optional.
        body["tools"] = req
            .tools
            .iter()
            .map(|t| json!({"type": "function", "name": t.name, "description": t.description, "parameters": parameters(&t.schema), "strict": false}))
            .collect();
        if req.answer_now {
            body["tool_choice"] = json!("none");
        }
    }
    (format!("{}/responses", p.base_url), body)
}

fn items(m: &Message) -> Vec<Value> {
    match m.role {
        Role::User => vec![json!({"role": "user", "content": m.content})],
        Role::Assistant => {
            let mut out = Vec::new();
            if !m.content.is_empty() {
                out.push(json!({"role": "assistant", "content": m.content}));
            }
            out.extend(m.tool_calls.iter().map(|c| {
                json!({"type": "function_call", "call_id": c.id, "name": c.name, "arguments": c.args_or_empty().to_string()})
            }));
            out
        }
        Role::Tool => vec![json!({
            "type": "function_call_output",
            "call_id": m.tool_call_id,
            "output": m.content,
        })],
    }
}

pub(super) async fn read(
    p: &Provider,
    mut items: Items,
    on: &mut (dyn FnMut(Streamed) + Send),
) -> Result<Reply, ChatError> {
    let mut reply = Reply::default();
    // Calls by item id, in the order they were added: (item id, call).
    let mut calls: Vec<(String, ToolCall)> = Vec::new();
    let mut ended = false;
    while let Some(item) = next(p, &mut items).await? {
        let v = json(p, item.data.trim())?;
        let kind = v
            .get("type")
            .and_then(Value::as_str)
            .or(item.event.as_deref())
            .unwrap_or("")
            .to_string();
        match kind.as_str() {
            "response.output_text.delta" => {
                if let Some(t) = v["delta"].as_str() {
                    reply.text.push_str(t);
                    on(Streamed::Text(t));
                }
            }
            "response.output_item.added" => {
                let it = &v["item"];
                if it["type"] == "function_call" {
                    let item_id = it["id"].as_str().unwrap_or("").to_string();
                    let call_id = it["call_id"]
                        .as_str()
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("call_{}", calls.len() + 1));
                    calls.push((
                        item_id,
                        ToolCall {
                            id: call_id,
                            name: it["name"].as_str().unwrap_or("").to_string(),
                            arguments: it["arguments"].as_str().unwrap_or("").to_string(),
                        },
                    ));
                }
            }
            "response.function_call_arguments.delta" => {
                let id = v["item_id"].as_str().unwrap_or("");
                if let Some((_, c)) = calls
                    .iter_mut()
                    .rev()
                    .find(|(i, _)| i == id || id.is_empty())
                {
                    c.arguments.push_str(v["delta"].as_str().unwrap_or(""));
                }
            }
            "response.function_call_arguments.done" => {
                let id = v["item_id"].as_str().unwrap_or("");
                if let (Some((_, c)), Some(whole)) = (
                    calls
                        .iter_mut()
                        .rev()
                        .find(|(i, _)| i == id || id.is_empty()),
                    v["arguments"].as_str(),
                ) {
                    c.arguments = whole.to_string();
                }
            }
            "response.completed" | "response.incomplete" => {
                let r = &v["response"];
                reply.input_tokens = r.pointer("/usage/input_tokens").and_then(Value::as_u64);
                reply.output_tokens = r.pointer("/usage/output_tokens").and_then(Value::as_u64);
                reply.finish = Some(kind.trim_start_matches("response.").to_string());
                ended = true;
                break;
            }
            "response.failed" => {
                let e = v.pointer("/response/error").cloned().unwrap_or(Value::Null);
                return Err(error::in_stream(p.name(), &json!({"error": e})).unwrap_or(
                    ChatError::Server {
                        provider: p.name().into(),
                        status: 500,
                        message: "the response failed".into(),
                    },
                ));
            }
            "error" => {
                return Err(error::in_stream(p.name(), &json!({"error": v})).unwrap_or(
                    ChatError::Server {
                        provider: p.name().into(),
                        status: 500,
                        message: "an error inside the answer".into(),
                    },
                ));
            }
            _ => {}
        }
    }
    if !ended {
        return Err(cut_short(p));
    }
    reply.calls = calls.into_iter().map(|(_, c)| c).collect();
    Ok(reply)
}
