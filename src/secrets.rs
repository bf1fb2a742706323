//! Where API keys live: an environment variable first, then the platform's secret store (the
//! macOS keychain; the Secret Service of a Linux desktop), then, on Linux, the kernel's session
//! keyring (always there, even over SSH, but emptied at reboot). Keys are never written to the
//! config file, the database or the logs; `folio secret set|delete|status NAME` manages them
//! and the chat's providers read them through [`find`]. Keyring calls block (the Secret
//! Service is D-Bus): call them on a blocking thread, never on the async runtime's.

/// Whether one secret store works on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreCheck {
    pub store: &'static str,
    /// Ok with a note, or what is wrong and what to do.
    pub result: Result<String, String>,
}

/// The entry probed: it never exists, so "no entry" means the store answered.
const PROBE: (&str, &str) = ("folio", "doctor-probe");

/// Probes every store by reading an entry that does not exist.
pub fn check_stores() -> Vec<StoreCheck> {
    let mut out = vec![StoreCheck {
        store: "platform secret store",
        result: platform(),
    }];
    #[cfg(target_os = "linux")]
    out.push(StoreCheck {
        store: "session keyring (keyutils)",
        result: keyutils(),
    });
    out
}

fn answer(r: keyring::Result<String>, ok: &str) -> Result<String, String> {
    match r {
        Ok(_) | Err(keyring::Error::NoEntry) => Ok(ok.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

fn platform() -> Result<String, String> {
    if let Err(e) = keyring::Entry::store_status() {
        return Err(format!(
            "not available ({e}); on a server without a desktop session this is normal: give API keys in environment variables{}",
            if cfg!(target_os = "linux") {
                " or the session keyring"
            } else {
                ""
            }
        ));
    }
    let entry = keyring::Entry::new(PROBE.0, PROBE.1).map_err(|e| e.to_string())?;
    answer(entry.get_password(), "available").map_err(|e| {
        format!("not usable ({e}): unlock it, or give API keys in environment variables")
    })
}

#[cfg(target_os = "linux")]
fn keyutils() -> Result<String, String> {
    session::usable()
        .map(|_| "available (keys kept here are lost at logout or reboot)".to_string())
        .map_err(|e| format!("not usable ({e}): give API keys in environment variables"))
}

/// The secrets folio keeps, with the environment variable that overrides each.
pub const NAMES: &[(&str, Option<&str>, &str)] = &[
    (
        "anthropic",
        Some("ANTHROPIC_API_KEY"),
        "Anthropic API key (folio chat --provider anthropic)",
    ),
    (
        "openai",
        Some("OPENAI_API_KEY"),
        "OpenAI API key (folio chat --provider openai)",
    ),
    (
        "openrouter",
        Some("OPENROUTER_API_KEY"),
        "OpenRouter API key",
    ),
    (
        "openai-compatible",
        Some("OPENAI_API_KEY"),
        "key of an OpenAI-compatible server that wants one",
    ),
    (
        "ollama",
        Some("OLLAMA_API_KEY"),
        "Ollama cloud key (a local Ollama needs none)",
    ),
];

/// The keyring service the secrets are kept under (`FOLIO_KEYRING_SERVICE` changes it, so tests
/// never touch a user's keys).
pub fn service() -> String {
    std::env::var("FOLIO_KEYRING_SERVICE")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "folio".to_string())
}

/// `name` checked against [`NAMES`].
pub fn check_name(name: &str) -> Result<&'static str, String> {
    NAMES
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name.trim()))
        .map(|(n, _, _)| *n)
        .ok_or_else(|| {
            format!(
                "no secret named '{name}'; folio keeps {}",
                NAMES
                    .iter()
                    .map(|(n, _, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// Where a secret was found or put.
pub use crate::ai::provider::KeySource as Source;

impl Source {
    pub fn describe(self) -> &'static str {
        match self {
            Source::Environment => "environment variable",
            Source::Keyring => "OS keyring",
            Source::SessionKeyring => "session keyring (kept until logout or reboot)",
            Source::Prompt => "typed for this run",
        }
    }
}

/// The secret `name`: the environment variable `env` first, then the platform store, then the
/// session keyring. None when none has it (or a store fails: that is logged, never the key).
pub fn find(name: &str, env: Option<&str>) -> Option<(crate::ai::provider::Key, Source)> {
    use crate::ai::provider::Key;
    if let Some(v) = env
        .and_then(|e| std::env::var(e).ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
    {
        return Some((Key::new(v), Source::Environment));
    }
    let service = service();
    if keyring::Entry::store_status().is_ok()
        && let Ok(entry) = keyring::Entry::new(&service, name)
    {
        match entry.get_password() {
            Ok(v) if !v.is_empty() => return Some((Key::new(v), Source::Keyring)),
            Ok(_) | Err(keyring::Error::NoEntry) => {}
            Err(e) => tracing::warn!(secret = name, "the OS keyring failed: {e}"),
        }
    }
    #[cfg(target_os = "linux")]
    if let Some(v) = session::get(&service, name) {
        return Some((Key::new(v), Source::SessionKeyring));
    }
    None
}

/// The kernel's session keyring, read and written through `linux-keyutils` with the
/// descriptions keyring's keyutils store uses (`keyring:NAME@SERVICE`), so either finds the
/// other's keys. The persistent keyring is left alone: where the kernel refuses links into it
/// (containers), asking for it makes even the session keyring's keys unreadable for the rest of
/// the process (seen here: every read then fails with EACCES).
#[cfg(target_os = "linux")]
mod session {
    use linux_keyutils::{KeyRing, KeyRingIdentifier};

    fn description(service: &str, name: &str) -> String {
        format!("keyring:{name}@{service}")
    }

    fn ring() -> Option<KeyRing> {
        KeyRing::from_special_id(KeyRingIdentifier::Session, false).ok()
    }

    /// Whether the session keyring can be reached (for `folio doctor`).
    pub fn usable() -> Result<(), String> {
        KeyRing::from_special_id(KeyRingIdentifier::Session, false)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    pub fn get(service: &str, name: &str) -> Option<String> {
        let key = ring()?.search(&description(service, name)).ok()?;
        String::from_utf8(key.read_to_vec().ok()?)
            .ok()
            .filter(|s| !s.is_empty())
    }

    pub fn set(service: &str, name: &str, value: &str) -> Result<(), String> {
        let ring = ring().ok_or("there is no session keyring")?;
        ring.add_key(&description(service, name), value)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    pub fn delete(service: &str, name: &str) -> bool {
        ring()
            .and_then(|r| r.search(&description(service, name)).ok())
            .is_some_and(|k| k.invalidate().is_ok())
    }
}

/// Keeps `value` as the secret `name`: in the OS keyring when there is one, else in the
/// session keyring. Says where.
pub fn set(name: &str, value: &str) -> Result<Source, String> {
    let service = service();
    let platform = keyring::Entry::store_status()
        .as_ref()
        .map(|_| ())
        .map_err(|e| e.to_string())
        .and_then(|_| keyring::Entry::new(&service, name).map_err(|e| e.to_string()))
        .and_then(|e| e.set_password(value).map_err(|e| e.to_string()));
    match platform {
        Ok(()) => Ok(Source::Keyring),
        #[cfg(target_os = "linux")]
        Err(why) => {
            tracing::info!("no OS keyring ({why}); using the session keyring");
            session::set(&service, name, value).map_err(|e| {
                format!("neither the OS keyring nor the session keyring takes the key here ({e}); set it in an environment variable instead")
            })?;
            Ok(Source::SessionKeyring)
        }
        #[cfg(not(target_os = "linux"))]
        Err(why) => Err(format!(
            "the OS keyring cannot be used ({why}); set the key in an environment variable instead"
        )),
    }
}

/// Removes the secret `name` from every store that has it; which ones did.
pub fn delete(name: &str) -> Vec<Source> {
    let service = service();
    let mut out = Vec::new();
    if keyring::Entry::store_status().is_ok()
        && let Ok(e) = keyring::Entry::new(&service, name)
        && e.delete_credential().is_ok()
    {
        out.push(Source::Keyring);
    }
    #[cfg(target_os = "linux")]
    if session::delete(&service, name) {
        out.push(Source::SessionKeyring);
    }
    out
}
