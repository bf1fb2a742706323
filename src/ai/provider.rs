//! Which model answers: the provider, its address, model, key and privacy level, from the
//! command line, the `[ai]` config and the providers' own environment variables (`OLLAMA_HOST`
//! read the way Ollama reads it, `OPENAI_API_KEY`, `OPENAI_BASE_URL`, `ANTHROPIC_API_KEY`,
//! `ANTHROPIC_BASE_URL`, `OPENROUTER_API_KEY`). Keys are held only in memory and never
//! printed: `Debug` shows where a key came from, not the key.

use std::time::Duration;

use super::privacy::Privacy;
use crate::config::Ai;

/// A provider folio can talk to, and the wire it speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// No model: the offline assistant.
    Offline,
    /// Ollama's native `/api/chat` (the one way to set the context size).
    Ollama,
    /// OpenAI's Responses API (its newer models call tools only there).
    OpenAi,
    /// Any OpenAI-compatible Chat Completions server: Ollama's `/v1`, llama.cpp, LM Studio, vLLM.
    OpenAiCompatible,
    /// OpenRouter's Chat Completions.
    OpenRouter,
    /// Anthropic's Messages API.
    Anthropic,
}

/// The wire formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    ChatCompletions,
    Anthropic,
    OllamaChat,
    Responses,
}

impl ProviderKind {
    pub const NAMES: &'static [&'static str] = &[
        "auto",
        "offline",
        "ollama",
        "openai",
        "openai-compatible",
        "openrouter",
        "anthropic",
    ];

    /// `None` is "auto".
    pub fn parse(s: &str) -> Result<Option<ProviderKind>, String> {
        Ok(Some(match s.trim().to_ascii_lowercase().as_str() {
            "auto" | "" => return Ok(None),
            "offline" => ProviderKind::Offline,
            "ollama" => ProviderKind::Ollama,
            "openai" => ProviderKind::OpenAi,
            "openai-compatible" | "openai_compatible" | "compatible" => {
                ProviderKind::OpenAiCompatible
            }
            "openrouter" => ProviderKind::OpenRouter,
            "anthropic" | "claude" => ProviderKind::Anthropic,
            other => {
                return Err(format!(
                    "'{other}' is not a provider; use one of {}",
                    Self::NAMES.join(", ")
                ));
            }
        }))
    }

    pub fn name(self) -> &'static str {
        match self {
            ProviderKind::Offline => "offline",
            ProviderKind::Ollama => "ollama",
            ProviderKind::OpenAi => "openai",
            ProviderKind::OpenAiCompatible => "openai-compatible",
            ProviderKind::OpenRouter => "openrouter",
            ProviderKind::Anthropic => "anthropic",
        }
    }

    pub fn wire(self) -> Wire {
        match self {
            ProviderKind::Ollama => Wire::OllamaChat,
            ProviderKind::OpenAi => Wire::Responses,
            ProviderKind::Anthropic => Wire::Anthropic,
            _ => Wire::ChatCompletions,
        }
    }

    /// The secret's name for `folio secret set NAME`.
    pub fn secret(self) -> &'static str {
        match self {
            ProviderKind::OpenAiCompatible => "openai-compatible",
            other => other.name(),
        }
    }

    fn default_base(self) -> Option<String> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        match self {
            ProviderKind::Offline => None,
            ProviderKind::Ollama => Some(ollama_host(env("OLLAMA_HOST").as_deref())),
            ProviderKind::OpenAi => {
                Some(env("OPENAI_BASE_URL").unwrap_or("https://api.openai.com/v1".into()))
            }
            ProviderKind::OpenAiCompatible => env("OPENAI_BASE_URL"),
            ProviderKind::OpenRouter => Some("https://openrouter.ai/api/v1".into()),
            ProviderKind::Anthropic => {
                Some(env("ANTHROPIC_BASE_URL").unwrap_or("https://api.anthropic.com".into()))
            }
        }
    }

    fn default_model(self) -> Option<&'static str> {
        match self {
            ProviderKind::Ollama => Some(DEFAULT_OLLAMA_MODEL),
            _ => None,
        }
    }

    /// Whether the provider cannot work without a key.
    fn needs_key(self) -> bool {
        matches!(
            self,
            ProviderKind::OpenAi | ProviderKind::OpenRouter | ProviderKind::Anthropic
        )
    }
}

/// The model asked of Ollama when none is configured (calls tools; fits 8 GB).
pub const DEFAULT_OLLAMA_MODEL: &str = "qwen3:8b";

/// The environment variable that holds a provider's key.
/// (The one table of secrets and their variables is [`crate::secrets::NAMES`].)
pub fn key_env(provider: &str) -> Option<&'static str> {
    crate::secrets::NAMES
        .iter()
        .find(|(name, _, _)| *name == provider)
        .and_then(|(_, env, _)| *env)
}

/// `OLLAMA_HOST` as Ollama reads it (`envconfig.Host`): quotes and spaces trimmed; no scheme
/// means http; a host with no port gets 11434, but `http://host` gets 80 and `https://host`
/// 443; `0.0.0.0` (a bind address) is dialled as 127.0.0.1; a trailing `/` goes.
pub fn ollama_host(value: Option<&str>) -> String {
    let raw = value
        .unwrap_or("")
        .trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .trim();
    if raw.is_empty() {
        return "http://127.0.0.1:11434".into();
    }
    let (scheme, rest, default_port) = match raw.split_once("://") {
        Some((s, r)) if s.eq_ignore_ascii_case("https") => ("https", r, "443"),
        Some((s, r)) if s.eq_ignore_ascii_case("http") => ("http", r, "80"),
        Some((_, r)) => ("http", r, "11434"),
        None => ("http", raw, "11434"),
    };
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    let (host, port) = if let Some(inner) = hostport.strip_prefix('[') {
        match inner.split_once(']') {
            Some((h, p)) => (
                format!("[{h}]"),
                p.strip_prefix(':').unwrap_or(default_port).to_string(),
            ),
            None => (hostport.to_string(), default_port.to_string()),
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) if !p.is_empty() => (h.to_string(), p.to_string()),
            _ => (
                hostport.trim_end_matches(':').to_string(),
                default_port.to_string(),
            ),
        }
    };
    let host = match host.as_str() {
        "" | "0.0.0.0" => "127.0.0.1".to_string(),
        "[::]" => "[::1]".to_string(),
        _ => host,
    };
    format!("{scheme}://{host}:{port}{path}")
}

/// Where a key came from (never the key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    Keyring,
    SessionKeyring,
    Prompt,
}

/// A key held in memory. Its `Debug` hides it.
#[derive(Clone)]
pub struct Key(String);

impl Key {
    pub fn new(s: String) -> Key {
        Key(s)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key([hidden])")
    }
}

/// One provider, ready to be asked.
#[derive(Debug, Clone)]
pub struct Provider {
    pub kind: ProviderKind,
    /// Chosen by "auto" (a failure to reach it falls back to the offline assistant).
    pub auto: bool,
    pub base_url: String,
    pub model: String,
    pub key: Option<(Key, KeySource)>,
    pub connect_timeout: Duration,
    /// The longest silence waited for while an answer streams.
    pub timeout: Duration,
    pub context_size: u32,
    pub privacy: Privacy,
    pub retries: u32,
    pub max_rounds: usize,
}

/// What the command line (or the pane) asks for over the config.
#[derive(Debug, Clone, Default)]
pub struct Choice {
    pub provider: Option<String>,
    pub model: Option<String>,
    pub base_url: Option<String>,
}

impl Provider {
    pub fn name(&self) -> &'static str {
        self.kind.name()
    }

    /// Whether tool results leave this machine: any host but loopback, and Ollama's cloud
    /// models (`gpt-oss:120b-cloud`), which a local Ollama forwards to ollama.com.
    pub fn remote(&self) -> bool {
        let cloud = self.kind == ProviderKind::Ollama
            && (self.model.ends_with("-cloud") || self.model.ends_with(":cloud"));
        self.kind != ProviderKind::Offline && (cloud || !is_loopback(&self.base_url))
    }

    /// The privacy level in force: remote providers get the configured one, local ones all.
    pub fn privacy_in_force(&self) -> Privacy {
        if self.remote() {
            self.privacy
        } else {
            Privacy::Full
        }
    }

    /// The provider `choice` and `config` name, with its key from `key` (called only for a
    /// provider that uses one). Errors name the setting to fix.
    pub fn resolve(
        config: &Ai,
        choice: &Choice,
        key: &mut dyn FnMut(ProviderKind, Option<&'static str>) -> Option<(Key, KeySource)>,
    ) -> Result<Provider, String> {
        let named = choice.provider.as_deref().unwrap_or(&config.provider);
        let kind = ProviderKind::parse(named).map_err(|e| {
            if choice.provider.is_some() {
                format!("--provider: {e}")
            } else {
                format!("[ai] provider: {e}")
            }
        })?;
        let auto = kind.is_none();
        let kind = kind.unwrap_or(ProviderKind::Ollama);
        let named_base = choice.base_url.is_some()
            || config
                .base_url
                .as_deref()
                .is_some_and(|s| !s.trim().is_empty());
        let base_url = choice
            .base_url
            .clone()
            .or_else(|| config.base_url.clone().filter(|s| !s.trim().is_empty()))
            .or_else(|| kind.default_base())
            .map(|u| u.trim().trim_end_matches('/').to_string())
            .unwrap_or_default();
        if kind != ProviderKind::Offline {
            if base_url.is_empty() {
                return Err(format!(
                    "{} needs an address: set [ai] base_url (e.g. \"http://127.0.0.1:8080/v1\" for llama.cpp) or OPENAI_BASE_URL",
                    kind.name()
                ));
            }
            if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
                let whence = if choice.base_url.is_some() {
                    "--base-url"
                } else {
                    "[ai] base_url"
                };
                return Err(format!(
                    "{whence} '{base_url}' is not an http:// or https:// address"
                ));
            }
        }
        let model = choice
            .model
            .clone()
            .or_else(|| config.model.clone().filter(|s| !s.trim().is_empty()))
            .or_else(|| kind.default_model().map(str::to_string))
            .unwrap_or_default();
        if model.is_empty() && kind != ProviderKind::Offline {
            return Err(format!(
                "{} needs a model: set [ai] model in the config or pass --model",
                kind.name()
            ));
        }
        let key = if kind == ProviderKind::Offline {
            None
        } else {
            // An OpenAI-compatible server gets OPENAI_API_KEY only when its address came from
            // OPENAI_BASE_URL beside it: a real OpenAI key never goes to a server named
            // elsewhere (it has its own secret, `openai-compatible`).
            let env = match kind {
                ProviderKind::OpenAiCompatible if named_base => None,
                k => key_env(k.name()),
            };
            key(kind, env)
        };
        if key.is_none() && kind.needs_key() {
            return Err(format!(
                "no API key for {}: run `folio secret set {}` or set {}",
                kind.name(),
                kind.secret(),
                key_env(kind.name()).unwrap_or("its environment variable")
            ));
        }
        Ok(Provider {
            kind,
            auto,
            base_url,
            model,
            key,
            connect_timeout: Duration::from_secs(config.connect_timeout_secs),
            timeout: Duration::from_secs(config.timeout_secs),
            context_size: config.context_size,
            privacy: config.privacy,
            retries: config.retries,
            max_rounds: config.max_rounds,
        })
    }

    /// The offline assistant, with the config's limits.
    pub fn offline(config: &Ai) -> Provider {
        Provider {
            kind: ProviderKind::Offline,
            auto: false,
            base_url: String::new(),
            model: String::new(),
            key: None,
            connect_timeout: Duration::from_secs(config.connect_timeout_secs),
            timeout: Duration::from_secs(config.timeout_secs),
            context_size: config.context_size,
            privacy: Privacy::Full,
            retries: 0,
            max_rounds: config.max_rounds,
        }
    }
}

/// Whether a URL's host is this machine.
pub fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let hostport = rest.split('/').next().unwrap_or("");
    let host = if let Some(inner) = hostport.strip_prefix('[') {
        inner.split(']').next().unwrap_or("")
    } else {
        hostport.rsplit_once(':').map_or(hostport, |(h, _)| h)
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ollama_host_is_read_as_ollama_reads_it() {
        assert_eq!(ollama_host(None), "http://127.0.0.1:11434");
        assert_eq!(ollama_host(Some(" \"10.0.0.5\" ")), "http://10.0.0.5:11434");
        assert_eq!(ollama_host(Some("10.0.0.5:9999")), "http://10.0.0.5:9999");
        assert_eq!(ollama_host(Some("http://box")), "http://box:80");
        assert_eq!(ollama_host(Some("https://box/")), "https://box:443");
        assert_eq!(ollama_host(Some("0.0.0.0")), "http://127.0.0.1:11434");
        assert_eq!(
            ollama_host(Some("http://box:8000/ollama/")),
            "http://box:8000/ollama"
        );
        assert_eq!(ollama_host(Some("[::1]:5000")), "http://[::1]:5000");
    }

    #[test]
    fn loopback_is_local_and_anything_else_remote() {
        assert!(is_loopback("http://127.0.0.1:11434"));
        assert!(is_loopback("http://localhost:8080/v1"));
        assert!(is_loopback("http://[::1]:1"));
        assert!(!is_loopback("https://api.anthropic.com"));
        assert!(!is_loopback("http://192.168.1.20:11434"));
        let mut key = |_: ProviderKind, _: Option<&'static str>| None;
        let ai = Ai {
            provider: "ollama".into(),
            base_url: Some("http://127.0.0.1:11434".into()),
            ..Ai::default()
        };
        let local = Provider::resolve(&ai, &Choice::default(), &mut key).unwrap();
        assert!(!local.remote());
        let cloud = Choice {
            model: Some("gpt-oss:120b-cloud".into()),
            ..Choice::default()
        };
        let cloud = Provider::resolve(&ai, &cloud, &mut key).unwrap();
        assert!(cloud.remote(), "Ollama forwards cloud models to ollama.com");
    }

    #[test]
    fn a_debugged_key_shows_no_key() {
        let k = Key::new("sk-secret".into());
        assert!(!format!("{k:?}").contains("secret"));
    }
}
