//! `folio doctor`: the config, the database, the quote source and the secret stores, each
//! ok or what to fix.

use std::os::unix::fs::PermissionsExt;

use serde::Serialize;

use super::Ctx;
use super::output::{Report, json, outln};
use crate::config::FeedKind;

#[derive(clap::Args, Debug)]
pub struct Args {}

#[derive(Serialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
enum Status {
    Ok,
    Warn,
    Fail,
}

#[derive(Serialize)]
struct Check {
    check: &'static str,
    status: Status,
    detail: String,
}

fn check(check: &'static str, status: Status, detail: impl Into<String>) -> Check {
    Check {
        check,
        status,
        detail: detail.into(),
    }
}

pub fn run(ctx: &Ctx, _args: Args) -> anyhow::Result<()> {
    let mut checks = vec![config(ctx), database(ctx)];
    checks.push(quotes(ctx));
    for s in crate::secrets::check_stores() {
        checks.push(match s.result {
            Ok(note) => check("secrets", Status::Ok, format!("{}: {note}", s.store)),
            // Environment variables always work: a missing store is a warning, not a failure.
            Err(why) => check("secrets", Status::Warn, format!("{}: {why}", s.store)),
        });
    }
    let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
    if ctx.json {
        json(&serde_json::json!({ "checks": checks }))?;
    } else {
        let mut r = Report::new(&["Check", "Status", "Detail"]);
        for c in &checks {
            let status = match c.status {
                Status::Ok => "ok",
                Status::Warn => "warn",
                Status::Fail => "FAIL",
            };
            r.row(vec![
                c.check.to_string(),
                status.to_string(),
                c.detail.clone(),
            ]);
        }
        r.print()?;
        let warned = checks.iter().filter(|c| c.status == Status::Warn).count();
        match (failed, warned) {
            (0, 0) => outln!("\nAll checks passed."),
            (0, w) => outln!("\nNo check failed; {w} warning(s) above."),
            _ => {}
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} check(s) failed; each says what to do");
    }
    Ok(())
}

fn config(ctx: &Ctx) -> Check {
    match (&ctx.config_problem, &ctx.config_file) {
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

fn database(ctx: &Ctx) -> Check {
    let path = ctx.db_path.display();
    let store = match ctx.store() {
        Ok(s) => s,
        Err(e) => return check("database", Status::Fail, format!("{e:#}")),
    };
    let detail = (|| -> anyhow::Result<(String, Status)> {
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
        if let Ok(meta) = std::fs::metadata(&ctx.db_path)
            && meta.permissions().mode() & 0o077 != 0
        {
            status = Status::Warn;
            detail.push_str(&format!("; other users can read it: chmod 600 {path}"));
        }
        Ok((detail, status))
    })();
    match detail {
        Ok((d, s)) => check("database", s, d),
        Err(e) => check("database", Status::Fail, format!("{path}: {e:#}")),
    }
}

fn quotes(ctx: &Ctx) -> Check {
    let source = if ctx.is_demo() {
        FeedKind::Simulated
    } else {
        ctx.config.quotes.source
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
            let k = &ctx.config.ibkr;
            let result = super::broker::runtime()
                .map_err(anyhow::Error::from)
                .and_then(|rt| rt.block_on(async { Ok(crate::market::ibkr::connect(k).await?) }));
            match result {
                Ok((_, id)) => check(
                    "quotes",
                    Status::Ok,
                    format!("ibkr: connected to {}:{} as client id {id}", k.host, k.port),
                ),
                Err(e) => check("quotes", Status::Fail, format!("ibkr: {e:#}")),
            }
        }
        FeedKind::Http => {
            let h = &ctx.config.http;
            let result = super::broker::runtime()
                .map_err(anyhow::Error::from)
                .and_then(|rt| {
                    rt.block_on(async {
                        let p = crate::market::http::Provider::new(h)?;
                        p.quote("SPY").await
                    })
                });
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
