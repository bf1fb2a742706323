//! The chat: an analyst that speaks only from the user's own numbers. A question goes to a
//! model (a local Ollama by default, or a configured provider) with folio's tools; the tools
//! are the query layer's functions (`app::tools`, the same ones `folio mcp` serves), run here;
//! their results go back to the model, and its answer streams out as [`Event`]s, its figures
//! checked against the results. With no model, the offline assistant answers the common
//! questions from the same tools.
//!
//! `wire` speaks the providers' HTTP (OpenAI-compatible Chat Completions, Anthropic Messages,
//! Ollama's native chat, OpenAI Responses); `assemble` puts streamed tool calls together;
//! `turn` is the loop; `ground` the prompt, the number check and the text cleaning; `privacy`
//! what a remote provider may see; `offline` the model-free assistant.

pub mod assemble;
pub mod error;
pub mod ground;
pub mod offline;
pub mod privacy;
pub mod provider;
pub mod turn;
pub mod wire;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use error::ChatError;
pub use provider::{Provider, ProviderKind};

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
    /// A tool's result, answering the assistant's call with `tool_call_id`.
    Tool,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "user" => Some(Role::User),
            "assistant" => Some(Role::Assistant),
            "tool" => Some(Role::Tool),
            _ => None,
        }
    }
}

/// A tool call as the model made it. `arguments` is the JSON text as received (it may be
/// invalid: the loop then answers the model with an error naming what is wrong).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

impl ToolCall {
    /// The arguments as a JSON object (`""` is `{}`), or what is wrong with them.
    pub fn args(&self) -> Result<Value, String> {
        let text = self.arguments.trim();
        if text.is_empty() {
            return Ok(Value::Object(Default::default()));
        }
        match serde_json::from_str::<Value>(text) {
            Ok(v @ Value::Object(_)) => Ok(v),
            Ok(Value::Null) => Ok(Value::Object(Default::default())),
            Ok(other) => Err(format!(
                "the arguments must be a JSON object, not {}",
                kind_of(&other)
            )),
            Err(e) => Err(format!("the arguments are not valid JSON ({e}): {text}")),
        }
    }

    /// The arguments as an object for wires that replay them as one (Anthropic, Ollama):
    /// invalid ones as `{}`.
    pub fn args_or_empty(&self) -> Value {
        self.args()
            .unwrap_or_else(|_| Value::Object(Default::default()))
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One message of a conversation, in folio's own shape (each wire converts it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    /// The text (for a tool message: the result as JSON text, or the error).
    pub content: String,
    /// An assistant message's tool calls.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// A tool message: the call it answers, and the tool's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_name: Option<String>,
    /// A tool message that reports an error.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_error: bool,
}

impl Message {
    pub fn user(text: impl Into<String>) -> Message {
        Message {
            role: Role::User,
            content: text.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
            tool_name: None,
            is_error: false,
        }
    }

    pub fn assistant(text: impl Into<String>, calls: Vec<ToolCall>) -> Message {
        Message {
            role: Role::Assistant,
            content: text.into(),
            tool_calls: calls,
            tool_call_id: None,
            tool_name: None,
            is_error: false,
        }
    }

    pub fn tool(call: &ToolCall, content: String, is_error: bool) -> Message {
        Message {
            role: Role::Tool,
            content,
            tool_calls: Vec::new(),
            tool_call_id: Some(call.id.clone()),
            tool_name: Some(call.name.clone()),
            is_error,
        }
    }
}

/// A tool as offered to a model: name, what it answers, its argument schema.
#[derive(Debug, Clone)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub schema: Value,
}

/// What a chat reports while it answers (the pane draws these; `folio chat --json` prints one
/// per line, tagged by `event`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The provider is reached (or the offline assistant answers). `remote`: the tool results
    /// leave this machine, at this privacy level.
    Connected {
        provider: String,
        model: String,
        remote: bool,
        privacy: String,
        thread: i64,
    },
    /// Something the user should know on the way (a retry, a fallback).
    Notice { text: String },
    /// A piece of the answer's text, as it streams.
    Message { delta: String },
    /// The model asked for a tool.
    ToolCall {
        id: String,
        name: String,
        arguments: Value,
    },
    /// A tool's answer: `summary` is the line shown, `result` what the model was given.
    ToolResult {
        id: String,
        name: String,
        ok: bool,
        summary: String,
        result: Value,
        ms: u64,
    },
    /// The answer is complete. `unverified`: figures in it found in no tool result.
    Done {
        thread: i64,
        answer: String,
        unverified: Vec<String>,
        rounds: usize,
        /// Why the loop stopped early (rounds used up, a repeated call, cancelled), if it did.
        stopped: Option<String>,
        provider: String,
        /// The caveat shown under the answer (tax figures are estimates, no advice).
        disclaimer: Option<String>,
        /// Drafted orders the user may open in the ticket.
        drafts: Vec<Value>,
    },
    /// The turn failed: what happened and what to do.
    Error { message: String, fix: String },
}
