//! Ollama's native `/api/chat`: NDJSON lines, tool calls whole with their arguments as an
//! object (and often no id), `done: true` on the last line. The one Ollama endpoint that takes
//! the context size (`options.num_ctx`); its `/v1` shim silently cuts a long prompt from the
//! front, system prompt and tools first.

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
        "messages": messages,
        "options": {"num_ctx": p.context_size},
    });
    // Ollama has no tool_choice: the last round offers no tools (its history may still hold
    // calls; Ollama takes that).
    if !req.tools.is_empty() && !req.answer_now {
        body["tools"] = function_tools(req.tools);
    }
    (format!("{}/api/chat", p.base_url), body)
}

fn message(m: &Message) -> Value {
    match m.role {
        Role::User => json!({"role": "user", "content": m.content}),
        Role::Assistant if m.tool_calls.is_empty() => {
            json!({"role": "assistant", "content": m.content})
        }
        Role::Assistant => json!({
            "role": "assistant",
            "content": m.content,
            "tool_calls": m.tool_calls.iter().map(|c| json!({
                "function": {"name": c.name, "arguments": c.args_or_empty()}
            })).collect::<Vec<_>>(),
        }),
        Role::Tool => json!({
            "role": "tool",
            "content": m.content,
            "tool_name": m.tool_name,
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
        let v = json(p, &item.data)?;
        if let Some(e) = v.get("error").and_then(Value::as_str) {
            if error::no_tools(e) {
                return Err(ChatError::NoTools {
                    provider: p.name().into(),
                    model: p.model.clone(),
                });
            }
            return Err(error::in_stream(p.name(), &v).unwrap_or(ChatError::Server {
                provider: p.name().into(),
                status: 500,
                message: error::clean_message(e),
            }));
        }
        let m = &v["message"];
        if let Some(t) = m["content"].as_str().filter(|t| !t.is_empty()) {
            reply.text.push_str(t);
            on(Streamed::Text(t));
        }
        if let Some(list) = m["tool_calls"].as_array() {
            for c in list {
                let f = &c["function"];
                let args = match &f["arguments"] {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                calls.whole(c["id"].as_str(), f["name"].as_str().unwrap_or(""), args);
            }
        }
        if v["done"] == true {
            done = true;
            reply.finish = v["done_reason"].as_str().map(str::to_string);
            reply.input_tokens = v["prompt_eval_count"].as_u64();
            reply.output_tokens = v["eval_count"].as_u64();
            break;
        }
    }
    if !done {
        return Err(cut_short(p));
    }
    reply.calls = calls.finish();
    Ok(reply)
}
