//! OpenAI-compatible Chat Completions (Ollama's `/v1`, llama.cpp, LM Studio, vLLM, OpenRouter):
//! `data:` chunks of deltas, `[DONE]` at the end, tool calls in fragments put together by
//! [`Calls`], errors possibly inside a 200 stream, usage chunks with no (or null) choices.

use serde_json::{Value, json};

use super::{Items, Reply, Request, Streamed, cut_short, function_tools, json, next};
use crate::ai::assemble::Calls;
use crate::ai::error::{self, ChatError};
use crate::ai::provider::Provider;
use crate::ai::{Message, Role};

pub(super) fn request(p: &Provider, req: &Request) -> (String, Value) {
    let mut messages = vec![json!({"role": "system", "content": req.system})];
    messages.extend(req.messages.iter().map(message));
    let mut body = json!({
        "model": p.model,
        "stream": true,
        "stream_options": {"include_usage": true},
        "messages": messages,
    });
    if !req.tools.is_empty() {
        body["tools"] = function_tools(req.tools);
        if req.answer_now {
            body["tool_choice"] = json!("none");
        }
    }
    (format!("{}/chat/completions", p.base_url), body)
}

fn message(m: &Message) -> Value {
    match m.role {
        Role::User => json!({"role": "user", "content": m.content}),
        Role::Assistant if m.tool_calls.is_empty() => {
            json!({"role": "assistant", "content": m.content})
        }
        Role::Assistant => json!({
            "role": "assistant",
            "content": if m.content.is_empty() { Value::Null } else { Value::String(m.content.clone()) },
            "tool_calls": m.tool_calls.iter().map(|c| json!({
                "id": c.id, "type": "function",
                // Always valid JSON: llama.cpp and vLLM refuse a history with broken arguments
                // (the model was told what was wrong in the tool's result).
                "function": {"name": c.name, "arguments": c.args_or_empty().to_string()}
            })).collect::<Vec<_>>(),
        }),
        Role::Tool => json!({
            "role": "tool",
            "tool_call_id": m.tool_call_id,
            "content": m.content,
        }),
    }
}

pub(super) async fn read(
    p: &Provider,
    mut items: Items,
    on: &mut (dyn FnMut(Streamed) + Send),
) -> Result<Reply, ChatError> {
    let mut reply = Reply::default();
    let mut calls = Calls::default();
    let mut done = false;
    while let Some(item) = next(p, &mut items).await? {
        let data = item.data.trim();
        if data.is_empty() {
            continue;
        }
        if data == "[DONE]" {
            done = true;
            break;
        }
        let v = json(p, data)?;
        if let Some(e) = error::in_stream(p.name(), &v) {
            return Err(e);
        }
        if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
            reply.input_tokens = u.get("prompt_tokens").and_then(Value::as_u64);
            reply.output_tokens = u.get("completion_tokens").and_then(Value::as_u64);
        }
        let Some(choice) = v
            .get("choices")
            .and_then(Value::as_array)
            .and_then(|c| c.first())
        else {
            continue;
        };
        if let Some(delta) = choice.get("delta") {
            if let Some(text) = delta.get("content").and_then(Value::as_str)
                && !text.is_empty()
            {
                reply.text.push_str(text);
                on(Streamed::Text(text));
            }
            if let Some(list) = delta.get("tool_calls").and_then(Value::as_array) {
                for (position, c) in list.iter().enumerate() {
                    let f = c.get("function");
                    let arguments = f.and_then(|f| f.get("arguments")).map(|a| match a {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        // A server that sends the arguments as an object.
                        other => other.to_string(),
                    });
                    calls.push(
                        c.get("index").and_then(Value::as_u64),
                        position,
                        c.get("id").and_then(Value::as_str),
                        f.and_then(|f| f.get("name")).and_then(Value::as_str),
                        arguments.as_deref(),
                    );
                }
            }
        }
        if let Some(f) = choice.get("finish_reason").and_then(Value::as_str) {
            reply.finish = Some(f.to_string());
        }
    }
    // A body that ends with neither [DONE] nor a finish reason was cut off.
    if !done && reply.finish.is_none() {
        return Err(cut_short(p));
    }
    reply.calls = calls.finish();
    Ok(reply)
}
