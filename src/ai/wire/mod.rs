//! The providers' HTTP: one request per round, its answer streamed back as text pieces and
//! tool calls. Each wire (`chat_completions`, `anthropic`, `ollama`, `responses`) turns folio's
//! messages into its body and its stream into a [`Reply`]; this module sends, retries what is
//! worth retrying (429 with Retry-After, 5xx, 529) before anything has streamed, maps errors,
//! and gives up on a stream silent for longer than the timeout.

mod anthropic;
mod chat_completions;
mod ollama;
mod responses;

use futures_util::{Stream, StreamExt};
use serde_json::Value;

use super::error::{self, ChatError};
use super::provider::{Provider, Wire};
use super::{Message, ToolCall, ToolSpec};

/// One round's question: the instructions, the conversation and the tools on offer.
pub struct Request<'a> {
    pub system: &'a str,
    pub messages: &'a [Message],
    pub tools: &'a [ToolSpec],
    /// The last round: the tools are described (a conversation holding tool calls needs them)
    /// but the model may call none, so it must answer.
    pub answer_now: bool,
}

/// One round's answer.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Reply {
    pub text: String,
    pub calls: Vec<ToolCall>,
    /// Why the model stopped (stop, tool_calls, end_turn, length...), as the wire says it.
    pub finish: Option<String>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
}

/// What streams out of a round while it runs.
pub enum Streamed<'a> {
    Text(&'a str),
    /// A retry or another thing the user should see.
    Notice(String),
}

/// The HTTP client for chats: connection timeout from the provider; no overall timeout (an
/// answer may stream for minutes; silence is timed per chunk instead).
pub fn client(p: &Provider) -> Result<reqwest::Client, ChatError> {
    reqwest::Client::builder()
        .connect_timeout(p.connect_timeout)
        // A redirect could carry a key (Anthropic's x-api-key survives one) to another host.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("folio/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ChatError::Bad {
            provider: p.name().into(),
            message: format!("cannot set up HTTP: {e}"),
        })
}

/// Asks `p` one round of `req`, streaming text through `on`. Retries 429s and server errors
/// that came before any text, up to the provider's retries.
pub async fn ask(
    p: &Provider,
    http: &reqwest::Client,
    req: &Request<'_>,
    on: &mut (dyn FnMut(Streamed) + Send),
) -> Result<Reply, ChatError> {
    let mut attempt = 0;
    loop {
        let mut streamed = false;
        let result = {
            let mut tee = |s: Streamed| {
                if matches!(s, Streamed::Text(t) if !t.is_empty()) {
                    streamed = true;
                }
                on(s)
            };
            once(p, http, req, &mut tee).await
        };
        match result {
            Err(e) if !streamed && attempt < p.retries => match e.retry_after(attempt) {
                Some(wait) => {
                    attempt += 1;
                    on(Streamed::Notice(format!(
                        "{e}; trying again in {:.1} s ({attempt} of {})",
                        wait.as_secs_f64(),
                        p.retries
                    )));
                    tracing::warn!(provider = p.name(), %e, ?wait, "chat retry");
                    tokio::time::sleep(wait).await;
                }
                None => return Err(e),
            },
            other => return other,
        }
    }
}

async fn once(
    p: &Provider,
    http: &reqwest::Client,
    req: &Request<'_>,
    on: &mut (dyn FnMut(Streamed) + Send),
) -> Result<Reply, ChatError> {
    let (url, body) = match p.kind.wire() {
        Wire::ChatCompletions => chat_completions::request(p, req),
        Wire::Anthropic => anthropic::request(p, req),
        Wire::OllamaChat => ollama::request(p, req),
        Wire::Responses => responses::request(p, req),
    };
    let mut rb = http.post(&url).json(&body);
    if let Some((key, _)) = &p.key {
        rb = match p.kind.wire() {
            Wire::Anthropic => rb
                .header("x-api-key", key.expose())
                .header("anthropic-version", "2023-06-01"),
            _ => rb.bearer_auth(key.expose()),
        };
    } else if p.kind.wire() == Wire::Anthropic {
        rb = rb.header("anthropic-version", "2023-06-01");
    }
    if p.kind == super::ProviderKind::OpenRouter {
        rb = rb.header("X-Title", "folio");
    }
    let response = match tokio::time::timeout(p.timeout, rb.send()).await {
        Err(_) => return Err(timeout(p)),
        Ok(Err(e)) => return Err(transport(p, &url, &e)),
        Ok(Ok(r)) => r,
    };
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        let wait = error::retry_after(response.headers());
        let text = tokio::time::timeout(p.timeout, response.text())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        tracing::warn!(provider = p.name(), status, "chat provider refused");
        return Err(error::from_status(p.name(), &p.model, status, wait, &text));
    }
    let bytes = response.bytes_stream();
    match p.kind.wire() {
        Wire::OllamaChat => ollama::read(p, lines(bytes), on).await,
        Wire::ChatCompletions => chat_completions::read(p, events(bytes), on).await,
        Wire::Anthropic => anthropic::read(p, events(bytes), on).await,
        Wire::Responses => responses::read(p, events(bytes), on).await,
    }
}

fn timeout(p: &Provider) -> ChatError {
    ChatError::Timeout {
        provider: p.name().into(),
        secs: p.timeout.as_secs(),
    }
}

fn transport(p: &Provider, url: &str, e: &reqwest::Error) -> ChatError {
    if e.is_connect() {
        ChatError::Unreachable {
            provider: p.name().into(),
            url: p.base_url.clone(),
        }
    } else if e.is_timeout() {
        timeout(p)
    } else {
        tracing::warn!(provider = p.name(), url, error = %e, "chat transport");
        ChatError::Server {
            provider: p.name().into(),
            status: 0,
            message: "the connection failed while the answer was read".into(),
        }
    }
}

/// One item of a stream: an SSE event's name and data, or one NDJSON line as `data`.
pub struct Item {
    pub event: Option<String>,
    pub data: String,
}

type Items = std::pin::Pin<Box<dyn Stream<Item = Result<Item, String>> + Send>>;

/// The SSE events of a body (comment lines and keep-alives skipped by the parser).
fn events<S>(bytes: S) -> Items
where
    S: Stream<Item = reqwest::Result<bytes::Bytes>> + Send + 'static,
{
    Box::pin(
        sse_stream::SseByteStream::new(bytes).filter_map(|r| async move {
            match r {
                Ok(sse) => sse.data.map(|data| {
                    Ok(Item {
                        event: sse.event,
                        data,
                    })
                }),
                Err(e) => Some(Err(e.to_string())),
            }
        }),
    )
}

/// The non-empty lines of an NDJSON body.
fn lines<S>(bytes: S) -> Items
where
    S: Stream<Item = reqwest::Result<bytes::Bytes>> + Send + 'static,
{
    let state = (Box::pin(bytes), Vec::<u8>::new(), false);
    Box::pin(futures_util::stream::unfold(
        state,
        |(mut bytes, mut buf, mut ended)| async move {
            loop {
                if let Some(i) = buf.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = buf.drain(..=i).collect();
                    let text = String::from_utf8_lossy(&line).trim().to_string();
                    if text.is_empty() {
                        continue;
                    }
                    return Some((
                        Ok(Item {
                            event: None,
                            data: text,
                        }),
                        (bytes, buf, ended),
                    ));
                }
                if ended {
                    let text = String::from_utf8_lossy(&buf).trim().to_string();
                    buf.clear();
                    if text.is_empty() {
                        return None;
                    }
                    return Some((
                        Ok(Item {
                            event: None,
                            data: text,
                        }),
                        (bytes, buf, ended),
                    ));
                }
                match bytes.next().await {
                    Some(Ok(chunk)) => buf.extend_from_slice(&chunk),
                    Some(Err(e)) => {
                        return Some((Err(e.to_string()), (bytes, Vec::new(), true)));
                    }
                    None => ended = true,
                }
            }
        },
    ))
}

/// The next item, or a timeout when the stream is silent past the provider's limit. `None`
/// is the end of the body.
async fn next(p: &Provider, items: &mut Items) -> Result<Option<Item>, ChatError> {
    match tokio::time::timeout(p.timeout, items.next()).await {
        Err(_) => Err(timeout(p)),
        Ok(None) => Ok(None),
        Ok(Some(Ok(item))) => Ok(Some(item)),
        Ok(Some(Err(e))) => {
            tracing::warn!(provider = p.name(), error = %e, "chat stream broke");
            Err(ChatError::Server {
                provider: p.name().into(),
                status: 0,
                message: "the connection broke while the answer streamed".into(),
            })
        }
    }
}

/// An item's data as JSON, or the error naming the wire.
fn json(p: &Provider, data: &str) -> Result<Value, ChatError> {
    serde_json::from_str(data).map_err(|e| ChatError::Bad {
        provider: p.name().into(),
        message: format!("an answer folio cannot read ({e})"),
    })
}

/// The end of a body before the answer said it was complete.
fn cut_short(p: &Provider) -> ChatError {
    ChatError::Server {
        provider: p.name().into(),
        status: 0,
        message: "the answer ended before it was complete".into(),
    }
}

/// The tools in the `{"type": "function", "function": {...}}` shape that Chat Completions and
/// Ollama's native chat share.
fn function_tools(tools: &[super::ToolSpec]) -> Value {
    tools
        .iter()
        .map(|t| {
            serde_json::json!({"type": "function", "function": {
                "name": t.name, "description": t.description, "parameters": parameters(&t.schema)
            }})
        })
        .collect()
}

/// A tool's schema as the wires want it: an object schema (schemars' `$schema` and title out).
fn parameters(schema: &Value) -> Value {
    let mut s = schema.clone();
    if let Value::Object(m) = &mut s {
        m.remove("$schema");
        m.remove("title");
        m.entry("type").or_insert(Value::String("object".into()));
        m.entry("properties")
            .or_insert(Value::Object(Default::default()));
    }
    s
}

/// Whether `p` can answer, without asking it anything that costs: Ollama lists its models
/// (the one configured must be there); a paid provider is not called.
pub async fn probe(p: &Provider) -> Result<String, ChatError> {
    if p.kind.wire() != Wire::OllamaChat {
        return Ok(format!(
            "{} at {}, model {} (not asked: a question may cost money)",
            p.name(),
            p.base_url,
            p.model
        ));
    }
    let http = client(p)?;
    let url = format!("{}/api/tags", p.base_url);
    let response = match tokio::time::timeout(p.timeout, http.get(&url).send()).await {
        Err(_) => return Err(timeout(p)),
        Ok(Err(e)) => return Err(transport(p, &url, &e)),
        Ok(Ok(r)) => r,
    };
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    if status != 200 {
        return Err(error::from_status(p.name(), &p.model, status, None, &text));
    }
    let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let names: Vec<&str> = v["models"]
        .as_array()
        .map(|m| m.iter().filter_map(|x| x["name"].as_str()).collect())
        .unwrap_or_default();
    // Ollama names a model without a tag as NAME:latest.
    let wanted = if p.model.contains(':') {
        p.model.clone()
    } else {
        format!("{}:latest", p.model)
    };
    if names.iter().any(|n| *n == wanted) {
        Ok(format!("ollama at {} has {}", p.base_url, p.model))
    } else {
        Err(ChatError::NoModel {
            provider: p.name().into(),
            model: p.model.clone(),
        })
    }
}
