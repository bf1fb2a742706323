//! Where API keys live: an environment variable first, then the platform's secret store (the
//! macOS keychain; the Secret Service of a Linux desktop), then, on Linux, the kernel's session
//! keyring (always there, even over SSH, but emptied at reboot). Keys are never written to the
//! config file, the database or the logs. So far folio only checks which stores work (for
//! `folio doctor`); the chat's providers will read their keys through here.

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
    use keyring_core::api::CredentialStoreApi as _;
    let store = linux_keyutils_keyring_store::Store::new().map_err(|e| e.to_string())?;
    let entry = store
        .build(PROBE.0, PROBE.1, None)
        .map_err(|e| e.to_string())?;
    answer(
        entry.get_password(),
        "available (keys kept here are lost at reboot)",
    )
    .map_err(|e| format!("not usable ({e}): give API keys in environment variables"))
}
