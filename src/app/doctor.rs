//! "Is everything set up?": the config, the database, the quote source, the chat's model and
//! the secret stores, each ok or what to fix.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Serialize;

use super::Session;
use crate::config::FeedKind;

#[derive(Serialize, Clone, Copy, PartialEq, Eq, Debug, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        }
    }
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
pub struct Check {
    pub check: String,
    pub status: Status,
    pub detail: String,
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
pub struct DoctorReport {
    pub checks: Vec<Check>,
}

impl DoctorReport {
    pub fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }
}

/// Which config file was read, and why it could not be used (the session then runs on the
/// defaults).
#[derive(Debug, Clone, Default)]
pub struct ConfigStatus {
    pub file: Option<PathBuf>,
    pub problem: Option<String>,
}

fn check(check: &str, status: Status, detail: impl Into<String>) -> Check {
    Check {
        check: check.to_string(),
        status,
        detail: detail.into(),
    }
}

/// `folio doctor`: every check; connecting to the quote source is part of it.
pub async fn doctor(s: &Session, config: &ConfigStatus) -> DoctorReport {
    let mut checks = vec![
        config_check(config),
        database(s),
        quotes(s).await,
        chat(s).await,
    ];
    for st in crate::secrets::check_stores() {
        checks.push(match st.result {
            Ok(note) => check("secrets", Status::Ok, format!("{}: {note}", st.store)),
            // Environment variables always work: a missing store is a warning, not a failure.
            Err(why) => check("secrets", Status::Warn, format!("{}: {why}", st.store)),
        });
    }
    DoctorReport { checks }
}

fn config_check(c: &ConfigStatus) -> Check {
    match (&c.problem, &c.file) {
        (Some(problem), _) => check("config", Status::Fail, problem.clone()),
        (None, Some(path)) if path.exists() => {
            check("config", Status::Ok, format!("{} read", path.display()))
        }
        (None, Some(path)) => check(
            "config",
            Status::Ok,
            format!(
                "no file at {}: the defaults apply (see config.example.toml)",
                path.display()
            ),
        ),
        (None, None) => check(
            "config",
            Status::Ok,
            "no home directory: the defaults apply",
        ),
    }
}

fn database(s: &Session) -> Check {
    let path = s.db_path().display().to_string();
    if !s.db_path().exists() {
        return check(
            "database",
            Status::Ok,
            format!("no database at {path} yet: `folio import FILE` creates it"),
        );
    }
    let detail = s.read(|store| {
        let integrity = store.quick_check()?;
        if integrity != "ok" {
            return Ok((
                format!("{path}: SQLite reports damage ({integrity}); restore a backup"),
                Status::Fail,
            ));
        }
        let counts = store.transaction_counts()?;
        let n: i64 = counts.values().sum();
        let last_price = store.price_coverage()?.iter().map(|c| c.2).max();
        let mut detail = format!(
            "{path}: {n} transactions in {} account(s), prices up to {}",
            counts.len(),
            last_price.map_or("-".to_string(), |d| d.to_string())
        );
        let mut status = Status::Ok;
        if let Ok(meta) = std::fs::metadata(s.db_path())
            && meta.permissions().mode() & 0o077 != 0
        {
            status = Status::Warn;
            detail.push_str(&format!("; other users can read it: chmod 600 {path}"));
        }
        Ok((detail, status))
    });
    match detail {
        Ok((d, st)) => check("database", st, d),
        Err(e) => check("database", Status::Fail, format!("{e:#}")),
    }
}

/// Who answers `folio chat`, where its key comes from (never the key), and whether a local
/// model is there. Without one, the offline assistant answers: a warning, not a failure.
async fn chat(s: &Session) -> Check {
    use crate::ai::ProviderKind;
    let p = match super::chat::provider(s, &Default::default(), None).await {
        Ok(p) => p,
        Err(e) => return check("chat", Status::Warn, format!("{e}")),
    };
    if p.kind == ProviderKind::Offline {
        return check(
            "chat",
            Status::Ok,
            "the offline assistant (no model); set [ai] provider for free-form questions",
        );
    }
    let key = match &p.key {
        Some((_, source)) => format!(
            "; key from the {}",
            crate::secrets::Source::describe(*source)
        ),
        None => String::new(),
    };
    let remote = if p.remote() {
        format!(
            "; your figures leave this machine (privacy {})",
            p.privacy.name()
        )
    } else {
        String::new()
    };
    match crate::ai::wire::probe(&p).await {
        Ok(note) => check("chat", Status::Ok, format!("{note}{key}{remote}")),
        Err(e) if p.auto => check(
            "chat",
            Status::Warn,
            format!("{e}: the offline assistant answers; {}", e.fix()),
        ),
        Err(e) => check("chat", Status::Fail, format!("{e}: {}", e.fix())),
    }
}

async fn quotes(s: &Session) -> Check {
    let config = s.config();
    let source = if s.is_demo() {
        FeedKind::Simulated
    } else {
        config.quotes.source
    };
    match source {
        FeedKind::None => check(
            "quotes",
            Status::Ok,
            "off: holdings are valued at the latest stored close (set [quotes] source to ibkr or http for live quotes)",
        ),
        FeedKind::Simulated => check(
            "quotes",
            Status::Warn,
            "simulated: random walks around the last close, not market prices",
        ),
        FeedKind::Ibkr => {
            let k = &config.ibkr;
            match crate::market::ibkr::connect(k).await {
                Ok((_, id)) => check(
                    "quotes",
                    Status::Ok,
                    format!("ibkr: connected to {}:{} as client id {id}", k.host, k.port),
                ),
                Err(e) => check("quotes", Status::Fail, format!("ibkr: {e:#}")),
            }
        }
        FeedKind::Http => {
            let h = &config.http;
            let result = async {
                let p = crate::market::http::Provider::new(h)?;
                p.quote("SPY").await
            }
            .await;
            match result {
                Ok(q) => check(
                    "quotes",
                    Status::Ok,
                    format!("http: {} answers (SPY {})", h.base_url, q.last),
                ),
                Err(e) => check("quotes", Status::Fail, format!("http: {e:#}")),
            }
        }
    }
}
