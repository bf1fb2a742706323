//! Anthropic Messages: named SSE events; text and tool_use blocks by index, a tool's input as
//! `input_json_delta` fragments (none at all for a tool with no arguments); tool results go
//! back as the next user message's `tool_result` blocks, the assistant's `tool_use` blocks
//! replayed intact. Unknown events are skipped.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Items, Reply, Request, Streamed, cut_short, json, next, parameters};
use crate::ai::assemble::Calls;
use crate::ai::error::{self, ChatError};
use crate::ai::provider::Provider;
use crate::ai::{Message, Role};

/// The longest answer asked for.
const MAX_TOKENS: u32 = 4096;

pub(super) fn request(p: &Provider, req: &Request) -> (String, Value) {
    let mut body = json!({
        "model": p.model,
        "max_tokens": MAX_TOKENS,
        "stream": true,
        "system": req.system,
        "messages": messages(req.messages),
    });
    if !req.tools.is_empty() {
        body["tools"] = req
            .tools
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description, "input_schema": parameters(&t.schema)}))
            .collect();
        // Anthropic refuses tool_use blocks in a request without tools: the last round keeps
        // them and forbids their use instead.
        if req.answer_now {
            body["tool_choice"] = json!({"type": "none"});
        }
    }
    (format!("{}/v1/messages", p.base_url), body)
}

/// folio's messages as Anthropic's: roles alternate (tool results join the user turn that
/// follows the calls; two user texts in a row are one turn), and no block is empty.
fn messages(list: &[Message]) -> Vec<Value> {
    let mut out: Vec<(String, Vec<Value>)> = Vec::new();
    for m in list {
        let (role, blocks) = match m.role {
            Role::User => ("user", vec![json!({"type": "text", "text": m.content})]),
            Role::Tool => (
                "user",
                vec![json!({
                    "type": "tool_result",
                    "tool_use_id": m.tool_call_id,
                    "content": m.content,
                    "is_error": m.is_error,
                })],
            ),
            Role::Assistant => {
                let mut b = Vec::new();
                if !m.content.trim().is_empty() {
                    b.push(json!({"type": "text", "text": m.content}));
                }
                for c in &m.tool_calls {
                    b.push(json!({"type": "tool_use", "id": c.id, "name": c.name, "input": c.args_or_empty()}));
                }
                ("assistant", b)
            }
        };
        if blocks.is_empty() {
            continue;
        }
        match out.last_mut() {
            Some((r, b)) if r == role => {
                // tool_result blocks must come first in a user turn.
                if m.role == Role::Tool {
                    let at = b
                        .iter()
                        .position(|x| x["type"] != "tool_result")
                        .unwrap_or(b.len());
                    b.splice(at..at, blocks);
                } else {
                    b.extend(blocks);
                }
            }
            _ => out.push((role.to_string(), blocks)),
        }
    }
    out.into_iter()
        .map(|(role, content)| json!({"role": role, "content": content}))
        .collect()
}

pub(super) async fn read(
    p: &Provider,
    mut items: Items,
    on: &mut (dyn FnMut(Streamed) + Send),
) -> Result<Reply, ChatError> {
    let mut reply = Reply::default();
    // Tool blocks by index: id, name, input so far.
    let mut tools: BTreeMap<u64, (String, String, String)> = BTreeMap::new();
    let mut stopped = false;
    while let Some(item) = next(p, &mut items).await? {
        let v = json(p, item.data.trim())?;
        let kind = v
            .get("type")
            .and_then(Value::as_str)
            .or(item.event.as_deref())
            .unwrap_or("");
        match kind {
            "error" => {
                return Err(error::in_stream(p.name(), &v).unwrap_or(ChatError::Server {
                    provider: p.name().into(),
                    status: 500,
                    message: "an error inside the answer".into(),
                }));
            }
            "message_start" => {
                reply.input_tokens = v
                    .pointer("/message/usage/input_tokens")
                    .and_then(Value::as_u64);
            }
            "content_block_start" => {
                let block = &v["content_block"];
                if block["type"] == "tool_use" {
                    let index = v["index"].as_u64().unwrap_or(tools.len() as u64);
                    let input = match &block["input"] {
                        Value::Object(m) if !m.is_empty() => block["input"].to_string(),
                        _ => String::new(),
                    };
                    tools.insert(
                        index,
                        (
                            block["id"].as_str().unwrap_or("").to_string(),
                            block["name"].as_str().unwrap_or("").to_string(),
                            input,
                        ),
                    );
                } else if let Some(t) = block["text"].as_str().filter(|t| !t.is_empty()) {
                    reply.text.push_str(t);
                    on(Streamed::Text(t));
                }
            }
            "content_block_delta" => {
                let delta = &v["delta"];
                match delta["type"].as_str() {
                    Some("text_delta") => {
                        if let Some(t) = delta["text"].as_str() {
                            reply.text.push_str(t);
                            on(Streamed::Text(t));
                        }
                    }
                    Some("input_json_delta") => {
                        let index = v["index"].as_u64().unwrap_or(0);
                        if let (Some(t), Some(part)) =
                            (tools.get_mut(&index), delta["partial_json"].as_str())
                        {
                            t.2.push_str(part);
                        }
                    }
                    // thinking_delta, signature_delta and whatever comes next: not shown.
                    _ => {}
                }
            }
            "message_delta" => {
                if let Some(r) = v.pointer("/delta/stop_reason").and_then(Value::as_str) {
                    reply.finish = Some(r.to_string());
                }
                if let Some(n) = v.pointer("/usage/output_tokens").and_then(Value::as_u64) {
                    reply.output_tokens = Some(n);
                }
            }
            "message_stop" => {
                stopped = true;
                break;
            }
            // ping, content_block_stop and unknown events.
            _ => {}
        }
    }
    if !stopped && reply.finish.is_none() {
        return Err(cut_short(p));
    }
    let mut calls = Calls::default();
    for (_, (id, name, input)) in tools {
        calls.whole(Some(&id), &name, input);
    }
    reply.calls = calls.finish();
    Ok(reply)
}
