//! `folio secret set|delete|status NAME`: API keys in the OS keyring (or, on a Linux server
//! without one, the kernel's session keyring, which keeps them until logout or reboot). A key
//! is typed without echo (or read from standard input in scripts) and never printed.

use std::io::{IsTerminal, Read};

use serde::Serialize;

use super::Ctx;
use super::output::{Report, json, outln};
use crate::app::bad;
use crate::secrets;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand, Debug)]
enum Action {
    /// Store a key: typed without echo, or read from standard input (`... | folio secret set openai`)
    Set { name: String },
    /// Remove a stored key
    Delete { name: String },
    /// Where each key would be found (never the key)
    Status { name: Option<String> },
}

#[derive(Serialize)]
struct Status {
    name: &'static str,
    found: bool,
    /// environment, keyring, session-keyring (null when not found)
    source: Option<&'static str>,
    env: Option<&'static str>,
}

fn source_name(s: secrets::Source) -> &'static str {
    match s {
        secrets::Source::Environment => "environment",
        secrets::Source::Keyring => "keyring",
        secrets::Source::SessionKeyring => "session-keyring",
        secrets::Source::Prompt => "prompt",
    }
}

pub async fn run(ctx: &Ctx<'_>, args: Args) -> anyhow::Result<()> {
    // Keyring calls block: they run on a blocking thread.
    let json_out = ctx.json;
    tokio::task::spawn_blocking(move || blocking(json_out, args)).await?
}

fn blocking(json_out: bool, args: Args) -> anyhow::Result<()> {
    match args.action {
        Action::Set { name } => {
            let name = secrets::check_name(&name).map_err(bad)?;
            let key = if std::io::stdin().is_terminal() {
                rpassword::prompt_password(format!("API key for {name} (not shown): "))?
            } else {
                let mut s = String::new();
                std::io::stdin().take(64 * 1024).read_to_string(&mut s)?;
                s
            };
            let key = key.trim();
            if key.is_empty() || key.contains(char::is_whitespace) {
                return Err(bad(format!(
                    "no key was given for {name} (an empty line, or one with spaces); nothing was stored"
                ))
                .into());
            }
            let place = secrets::set(name, key).map_err(bad)?;
            tracing::info!(secret = name, place = source_name(place), "secret stored");
            if json_out {
                return json(
                    &serde_json::json!({"name": name, "stored": true, "source": source_name(place)}),
                );
            }
            outln!("Stored the {name} key in the {}.", place.describe());
            if place == secrets::Source::SessionKeyring {
                outln!(
                    "This machine has no OS keyring: the session keyring keeps the key until you log out or the machine restarts. For a lasting key, set it in an environment variable in your shell's profile."
                );
            }
        }
        Action::Delete { name } => {
            let name = secrets::check_name(&name).map_err(bad)?;
            let removed = secrets::delete(name);
            if json_out {
                return json(&serde_json::json!({
                    "name": name,
                    "removed_from": removed.iter().map(|s| source_name(*s)).collect::<Vec<_>>(),
                }));
            }
            if removed.is_empty() {
                outln!("No {name} key was stored.");
            } else {
                for r in removed {
                    outln!("Removed the {name} key from the {}.", r.describe());
                }
            }
        }
        Action::Status { name } => {
            let names: Vec<&'static str> = match name {
                Some(n) => vec![secrets::check_name(&n).map_err(bad)?],
                None => secrets::NAMES.iter().map(|(n, _, _)| *n).collect(),
            };
            let rows: Vec<Status> = names
                .into_iter()
                .map(|n| {
                    let env = secrets::NAMES
                        .iter()
                        .find(|(x, _, _)| *x == n)
                        .and_then(|(_, e, _)| *e);
                    let found = secrets::find(n, env).map(|(_, s)| s);
                    Status {
                        name: n,
                        found: found.is_some(),
                        source: found.map(source_name),
                        env,
                    }
                })
                .collect();
            if json_out {
                return json(&rows);
            }
            let mut t = Report::new(&["Secret", "Found in", "Environment variable"]);
            for r in &rows {
                t.row(vec![
                    r.name.to_string(),
                    r.source.unwrap_or("not set").to_string(),
                    r.env.unwrap_or("").to_string(),
                ]);
            }
            t.print()?;
        }
    }
    Ok(())
}
