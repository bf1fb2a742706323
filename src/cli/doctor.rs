//! `folio doctor`: the config, the database, the quote source and the secret stores, each
//! ok or what to fix.

use super::Ctx;
use super::output::{Report, json, outln};
use crate::app::doctor::{ConfigStatus, Status, doctor};

#[derive(clap::Args, Debug)]
pub struct Args {}

pub async fn run(ctx: &Ctx<'_>, _args: Args, config: &ConfigStatus) -> anyhow::Result<()> {
    let r = doctor(ctx.session, config).await;
    let failed = r.count(Status::Fail);
    if ctx.json {
        json(&r)?;
    } else {
        let mut t = Report::new(&["Check", "Status", "Detail"]);
        for c in &r.checks {
            t.row(vec![
                c.check.clone(),
                c.status.as_str().to_string(),
                c.detail.clone(),
            ]);
        }
        t.print()?;
        match (failed, r.count(Status::Warn)) {
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
