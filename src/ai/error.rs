//! What goes wrong talking to a model, each mapped to one line a user can act on (AI_CHAT.md
//! §2.5): by HTTP status first, then the body's `type`/`code`. Raw JSON never reaches the
//! user, and neither does a key: messages are built from the provider's name and the fields
//! read here, and a provider's message is cut and stripped of anything that looks like a key.

use std::time::Duration;

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChatError {
    /// Nothing answers at the address.
    #[error("{provider} does not answer at {url}")]
    Unreachable { provider: String, url: String },
    #[error("{provider} refused the API key (401)")]
    Auth { provider: String },
    #[error("{provider} does not let this key do that (403): {message}")]
    Forbidden { provider: String, message: String },
    #[error("{provider} has no model '{model}' (404)")]
    NoModel { provider: String, model: String },
    /// 429 with a wait: retried after it.
    #[error("{provider} is rate limiting (429)")]
    RateLimited {
        provider: String,
        retry_after: Option<Duration>,
    },
    /// 429 or 402 for credits or a spend cap: not retried.
    #[error("{provider}: the account's quota or spend limit is used up")]
    Quota { provider: String },
    /// 5xx, 529 overloaded, or an `error` inside the stream.
    #[error("{provider} failed ({status}): {message}")]
    Server {
        provider: String,
        status: u16,
        message: String,
    },
    #[error("{provider} sent nothing for {secs} s")]
    Timeout { provider: String, secs: u64 },
    /// The model cannot call tools.
    #[error("the model '{model}' of {provider} does not support tools")]
    NoTools { provider: String, model: String },
    /// A 4xx not otherwise named, or an answer folio cannot read.
    #[error("{provider}: {message}")]
    Bad { provider: String, message: String },
    /// A key is needed and none was found.
    #[error("no API key for {provider}")]
    NoKey { provider: String, name: String },
    #[error("cancelled")]
    Cancelled,
}

impl ChatError {
    /// The one-line fix shown under the message.
    pub fn fix(&self) -> String {
        match self {
            ChatError::Unreachable { provider, .. } if provider == "ollama" => {
                "start Ollama (`ollama serve`), set OLLAMA_HOST to where it runs, or set [ai] provider in the config; `folio chat --provider offline` answers the common questions without a model".into()
            }
            ChatError::Unreachable { .. } => {
                "check [ai] base_url and that the server runs, or use `--provider offline`".into()
            }
            ChatError::Auth { provider } => format!(
                "set a valid key: `folio secret set {provider}` (or the {} environment variable)",
                super::provider::key_env(provider).unwrap_or("provider's key")
            ),
            ChatError::Forbidden { .. } => {
                "check the key's permissions and the model's availability in your region".into()
            }
            ChatError::NoModel { provider, model } if provider == "ollama" => {
                format!("pull it: `ollama pull {model}`, or choose another with --model")
            }
            ChatError::NoModel { .. } => {
                "check the model's name ([ai] model or --model)".into()
            }
            ChatError::RateLimited { .. } => {
                "wait a minute and ask again, or lower how often you ask".into()
            }
            ChatError::Quota { .. } => {
                "add credits or raise the spend limit in the provider's console".into()
            }
            ChatError::Server { .. } => {
                "the provider is having trouble: try again later, or use `--provider offline`"
                    .into()
            }
            ChatError::Timeout { .. } => {
                "raise [ai] timeout_secs, choose a smaller model, or try again".into()
            }
            ChatError::NoTools { .. } => {
                "choose a model that calls tools (qwen3:8b, gpt-oss:20b, mistral-small); the offline assistant answered instead".into()
            }
            ChatError::Bad { .. } => "see folio.log in the data directory for the details".into(),
            ChatError::NoKey { name, .. } => format!(
                "`folio secret set {name}` stores one in the OS keyring, or set its environment variable"
            ),
            ChatError::Cancelled => String::new(),
        }
    }

    /// How long to wait before trying again, for the errors worth another try.
    pub fn retry_after(&self, attempt: u32) -> Option<Duration> {
        let backoff = || {
            // 0.5 s, 1 s, 2 s... with up to a quarter more, so clients do not retry in step.
            let base = 500u64 << attempt.min(5);
            let jitter = (std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos() as u64)
                .unwrap_or(0))
                % (base / 4 + 1);
            Duration::from_millis(base + jitter)
        };
        match self {
            // A longer wait than folio keeps a user waiting is reported, not waited for.
            ChatError::RateLimited {
                retry_after: Some(d),
                ..
            } => (*d <= MAX_WAIT).then_some(*d),
            ChatError::RateLimited { .. } => Some(backoff()),
            ChatError::Server { status, .. } if *status >= 500 || *status == 0 => Some(backoff()),
            _ => None,
        }
    }
}

/// The longest Retry-After folio waits for; a longer one is reported instead.
const MAX_WAIT: Duration = Duration::from_secs(60);

/// The error an HTTP answer with `status` and `body` means, for `provider` and `model`.
pub fn from_status(
    provider: &str,
    model: &str,
    status: u16,
    retry_after: Option<Duration>,
    body: &str,
) -> ChatError {
    let json: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let err = json.get("error").unwrap_or(&json);
    let field = |k: &str| -> String {
        err.get(k)
            .map(|v| match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            })
            .unwrap_or_default()
    };
    let kind = format!("{} {}", field("type"), field("code"));
    let details = err
        .get("details")
        .and_then(|d| d.get("error_code"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let message = clean_message(&{
        let m = field("message");
        if m.is_empty() {
            json.get("message")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| body.chars().take(200).collect())
        } else {
            m
        }
    });
    let provider = provider.to_string();
    let quota = kind.contains("insufficient_quota")
        || kind.contains("billing")
        || details.contains("spend_limit")
        || message.to_lowercase().contains("quota");
    // "This model takes no tools" comes as a 400 (Ollama, vLLM), a 404 (OpenRouter) or a 500
    // (llama.cpp without --jinja).
    if (400..600).contains(&status) && no_tools(&message) {
        return ChatError::NoTools {
            provider,
            model: model.to_string(),
        };
    }
    match status {
        401 => ChatError::Auth { provider },
        402 => ChatError::Quota { provider },
        403 => ChatError::Forbidden { provider, message },
        404 => ChatError::NoModel {
            provider,
            model: model.to_string(),
        },
        // Out of credits is not retried, whatever the Retry-After says.
        429 if quota => ChatError::Quota { provider },
        429 => ChatError::RateLimited {
            provider,
            retry_after,
        },
        s if s >= 500 => ChatError::Server {
            provider,
            status: s,
            message,
        },
        s => ChatError::Bad {
            provider,
            message: format!("{s}: {message}"),
        },
    }
}

/// Whether a provider's message says the model takes no tools (Ollama: "does not support
/// tools"; llama.cpp without Jinja: "tools param requires --jinja").
pub fn no_tools(message: &str) -> bool {
    let m = message.to_lowercase();
    [
        "does not support tools",
        "requires --jinja",
        "enable-auto-tool-choice",
        "support tool use",
        "tools are not supported",
    ]
    .iter()
    .any(|p| m.contains(p))
}

/// A provider's message made safe to show: one line, at most 200 characters, control
/// characters out, and anything shaped like a key (`sk-...`, long tokens) masked.
pub fn clean_message(m: &str) -> String {
    let one: String = super::ground::clean(m)
        .split_whitespace()
        .map(|w| {
            let token = w.trim_matches(|c: char| !c.is_ascii_alphanumeric());
            if token.starts_with("sk-")
                || (token.len() >= 32
                    && token
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            {
                "[key hidden]".to_string()
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    one.chars().take(200).collect()
}

/// The Retry-After header in seconds (the HTTP date form is not used by the LLM providers).
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        // Too long to hold in a Duration is too long to wait.
        .map(|s| Duration::try_from_secs_f64(s).unwrap_or(Duration::MAX))
}

/// An error object inside a 200 stream (OpenAI, OpenRouter, SGLang: `{"error":{...}}`; vLLM:
/// `{"object":"error","message":...}`; Anthropic: `{"type":"error","error":{...}}`).
pub fn in_stream(provider: &str, v: &Value) -> Option<ChatError> {
    let err = if let Some(e) = v.get("error").filter(|e| !e.is_null()) {
        e
    } else if v.get("object").and_then(Value::as_str) == Some("error") {
        v
    } else {
        return None;
    };
    let message = match err {
        Value::String(s) => s.clone(),
        _ => err
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("an error inside the answer")
            .to_string(),
    };
    let kind = err.get("type").and_then(Value::as_str).unwrap_or("");
    let code = err.get("code").and_then(Value::as_u64).unwrap_or(0) as u16;
    let status = match kind {
        "overloaded_error" => 529,
        "rate_limit_error" => 429,
        _ if code >= 400 => code,
        _ => 500,
    };
    Some(if status == 429 {
        ChatError::RateLimited {
            provider: provider.to_string(),
            retry_after: None,
        }
    } else {
        ChatError::Server {
            provider: provider.to_string(),
            status,
            message: clean_message(&message),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_what_to_do() {
        let e = from_status(
            "openai",
            "m",
            401,
            None,
            r#"{"error":{"message":"Incorrect API key provided: sk-abc123","type":"invalid_request_error","code":"invalid_api_key"}}"#,
        );
        assert_eq!(
            e,
            ChatError::Auth {
                provider: "openai".into()
            }
        );
        assert!(e.fix().contains("folio secret set openai"));
        let q = from_status(
            "openai",
            "m",
            429,
            None,
            r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#,
        );
        assert_eq!(
            q,
            ChatError::Quota {
                provider: "openai".into()
            }
        );
        assert!(q.retry_after(0).is_none());
        let r = from_status(
            "anthropic",
            "m",
            429,
            Some(Duration::from_secs(2)),
            r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#,
        );
        assert_eq!(r.retry_after(0), Some(Duration::from_secs(2)));
        let spend = from_status(
            "anthropic",
            "m",
            429,
            None,
            r#"{"type":"error","error":{"type":"rate_limit_error","message":"limit","details":{"error_code":"enforced_spend_limit_reached"}}}"#,
        );
        assert_eq!(
            spend,
            ChatError::Quota {
                provider: "anthropic".into()
            }
        );
        let o = from_status(
            "anthropic",
            "m",
            529,
            None,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        );
        assert!(matches!(o, ChatError::Server { status: 529, .. }));
        assert!(o.retry_after(1).is_some());
        let nm = from_status(
            "ollama",
            "qwen3:8b",
            404,
            None,
            r#"{"error":"model not found"}"#,
        );
        assert!(nm.fix().contains("ollama pull qwen3:8b"));
        let nt = from_status(
            "ollama",
            "gemma3",
            400,
            None,
            r#"{"error":{"message":"registry.ollama.ai/library/gemma3 does not support tools","type":"invalid_request_error"}}"#,
        );
        assert!(matches!(nt, ChatError::NoTools { .. }));
        for (status, body) in [
            (
                500,
                r#"{"error":{"code":500,"message":"tools param requires --jinja flag"}}"#,
            ),
            (
                400,
                r#"{"object":"error","message":"\"auto\" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set"}"#,
            ),
            (
                404,
                r#"{"error":{"code":404,"message":"No endpoints found that support tool use."}}"#,
            ),
        ] {
            let e = from_status("x", "m", status, None, body);
            assert!(matches!(e, ChatError::NoTools { .. }), "{status}: {e:?}");
        }
        let long = from_status("x", "m", 429, Some(Duration::from_secs(3600)), "{}");
        assert_eq!(
            long.retry_after(0),
            None,
            "an hour is reported, not waited for"
        );
    }

    #[test]
    fn a_key_in_a_provider_message_is_masked() {
        let m = clean_message("Incorrect API key provided: sk-proj-abcdefghijklmnop1234567890.");
        assert!(!m.contains("abcdefghijklmnop"), "{m}");
        assert!(m.contains("[key hidden]"));
    }
}
