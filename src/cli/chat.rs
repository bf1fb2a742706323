//! `folio chat`: a question answered from the user's own numbers, streamed as it comes (tool
//! calls and notices on stderr, the answer on stdout), or as one JSON event per line with
//! `--json`. `--thread ID` goes on with a stored conversation, `--list` lists them, `--show`
//! prints one.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Ctx;
use super::output::{Report, json, outln};
use crate::ai::Event;
use crate::ai::ground::clean;
use crate::ai::provider::Choice;
use crate::app::chat;
use crate::app::{AppError, Session, bad};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The question (several words are joined; quote it to keep your shell's hands off `?`)
    #[arg(value_name = "QUESTION")]
    question: Vec<String>,
    /// Who answers: auto, offline, ollama, openai, openai-compatible, openrouter, anthropic
    /// [default: [ai] provider, auto]
    #[arg(long, value_name = "NAME")]
    provider: Option<String>,
    /// The model (e.g. qwen3:8b) [default: [ai] model]
    #[arg(long)]
    model: Option<String>,
    /// The provider's address [default: [ai] base_url or the provider's own]
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Answer with the offline assistant (no model; same as --provider offline)
    #[arg(long, conflicts_with = "provider")]
    offline: bool,
    /// Go on with this stored conversation
    #[arg(long, value_name = "ID")]
    thread: Option<i64>,
    /// List the stored conversations
    #[arg(long, conflicts_with_all = ["question", "show"])]
    list: bool,
    /// Print the conversation given with --thread
    #[arg(long, requires = "thread", conflicts_with = "question")]
    show: bool,
}

impl Args {
    /// Listing and showing only read.
    pub fn writes(&self) -> bool {
        !(self.list || self.show)
    }
}

pub async fn run(ctx: &Ctx<'_>, session: Arc<Session>, args: Args) -> anyhow::Result<()> {
    if args.list {
        return list(ctx);
    }
    if args.show {
        return show(ctx, args.thread.unwrap_or_default());
    }
    let question = args.question.join(" ");
    if question.trim().is_empty() {
        return Err(bad(
            "ask a question, e.g. folio chat \"how much cash do I have?\" (folio chat --list shows past conversations)",
        )
        .into());
    }
    let choice = Choice {
        provider: if args.offline {
            Some("offline".into())
        } else {
            args.provider.clone()
        },
        model: args.model.clone(),
        base_url: args.base_url.clone(),
    };
    // A missing key is asked for on a terminal (not echoed); scripts get the error instead.
    let interactive =
        !ctx.json && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let prompt: Option<chat::KeyPrompt> = interactive.then(|| {
        Arc::new(|name: &str| {
            rpassword::prompt_password(format!(
                "API key for {name} (not shown; `folio secret set {name}` keeps it): "
            ))
            .ok()
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty())
        }) as chat::KeyPrompt
    });
    let provider = chat::provider(&session, &choice, prompt).await?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let task = {
        let (session, cancel, question, thread) = (
            session.clone(),
            cancel.clone(),
            question.clone(),
            args.thread,
        );
        tokio::spawn(
            async move { chat::ask(session, &provider, &question, thread, &tx, &cancel).await },
        )
    };
    let mut printer = Printer::new(ctx.json);
    let mut failed: Option<(String, String)> = None;
    let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
    loop {
        tokio::select! {
            event = rx.recv() => match event {
                Some(e) => {
                    if let Event::Error { message, fix } = &e {
                        failed = Some((message.clone(), fix.clone()));
                    }
                    printer.event(&e)?;
                }
                None => break,
            },
            _ = &mut ctrl_c, if !cancel.is_cancelled() => cancel.cancel(),
        }
    }
    task.await
        .map_err(|e| AppError::failed(e, "the chat stopped with an internal error"))??;
    if let Some((message, fix)) = failed {
        if ctx.json {
            // The error event said it; the exit status says it too.
            return Err(AppError::failed(anyhow::anyhow!("{message}"), "the chat failed").into());
        }
        return Err(anyhow::anyhow!("{message}\n  fix: {fix}"));
    }
    Ok(())
}

/// Prints events as text (answer on stdout, the rest on stderr) or as JSON lines.
struct Printer {
    json: bool,
    /// The answer's text ended without a newline.
    open_line: bool,
}

impl Printer {
    fn new(json: bool) -> Printer {
        Printer {
            json,
            open_line: false,
        }
    }

    fn event(&mut self, e: &Event) -> anyhow::Result<()> {
        if self.json {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", serde_json::to_string(e)?)?;
            out.flush()?;
            return Ok(());
        }
        let mut err = std::io::stderr().lock();
        match e {
            Event::Connected {
                provider,
                model,
                remote,
                privacy,
                ..
            } => {
                let _ = writeln!(
                    err,
                    "[{}]",
                    crate::format::chat_provider(provider, model, *remote, privacy)
                );
            }
            Event::Notice { text } => {
                self.end_line()?;
                let _ = writeln!(err, "note: {text}");
            }
            Event::Message { delta } => {
                let mut out = std::io::stdout().lock();
                out.write_all(delta.as_bytes())?;
                out.flush()?;
                self.open_line = !delta.ends_with('\n');
            }
            Event::ToolCall {
                name, arguments, ..
            } => {
                self.end_line()?;
                let _ = writeln!(err, "→ {name} {}", compact(arguments));
            }
            Event::ToolResult {
                ok, summary, ms, ..
            } => {
                let _ = writeln!(err, "  {} {summary} ({ms} ms)", if *ok { "✓" } else { "✗" });
            }
            Event::Done {
                thread,
                unverified,
                stopped,
                disclaimer,
                drafts,
                ..
            } => {
                self.end_line()?;
                if let Some(why) = stopped {
                    let _ = writeln!(err, "(stopped: {why})");
                }
                if !unverified.is_empty() {
                    let _ = writeln!(
                        err,
                        "⚠ unverified: {} (found in no tool result; check them)",
                        unverified.join(", ")
                    );
                }
                for d in drafts {
                    if let Some(c) = d.get("command").and_then(|c| c.as_str()) {
                        let _ = writeln!(err, "draft order (not sent): {c}");
                    }
                }
                if let Some(d) = disclaimer {
                    let _ = writeln!(err, "{d}");
                }
                let _ = writeln!(
                    err,
                    "[thread {thread}: folio chat --thread {thread} \"...\" goes on]"
                );
            }
            Event::Error { .. } => self.end_line()?,
        }
        Ok(())
    }

    fn end_line(&mut self) -> std::io::Result<()> {
        if self.open_line {
            let mut out = std::io::stdout().lock();
            out.write_all(b"\n")?;
            out.flush()?;
            self.open_line = false;
        }
        Ok(())
    }
}

/// Arguments on one line, cut to fit.
fn compact(v: &serde_json::Value) -> String {
    let s = match v {
        serde_json::Value::Object(m) if m.is_empty() => String::new(),
        other => other.to_string(),
    };
    if s.chars().count() > 100 {
        format!("{}…", s.chars().take(99).collect::<String>())
    } else {
        s
    }
}

fn list(ctx: &Ctx) -> anyhow::Result<()> {
    let r = chat::threads(ctx.session)?;
    if ctx.json {
        return json(&r);
    }
    if r.threads.is_empty() {
        outln!("No conversations yet: folio chat \"how much cash do I have?\" starts one.");
        return Ok(());
    }
    let mut t = Report::new(&["Thread>", "Last used", "Questions>", "Title"]);
    for th in &r.threads {
        t.row(vec![
            th.id.to_string(),
            th.updated_at
                .chars()
                .take(16)
                .collect::<String>()
                .replace('T', " "),
            th.questions.to_string(),
            th.title.clone(),
        ]);
    }
    t.print()?;
    Ok(())
}

fn show(ctx: &Ctx, id: i64) -> anyhow::Result<()> {
    let r = chat::thread(ctx.session, id)?;
    if ctx.json {
        return json(&r);
    }
    outln!("Thread {}: {}", r.thread.id, r.thread.title);
    for m in &r.messages {
        match m.role.as_str() {
            "user" => outln!("\n> {}", clean(&m.content)),
            "assistant" => {
                // What a model wrote is cleaned again here: an older thread may hold anything.
                for c in &m.tool_calls {
                    outln!("→ {} {}", clean(&c.name), clean(&c.arguments));
                }
                if !m.content.is_empty() {
                    outln!("\n{}", clean(&m.content));
                }
                if !m.unverified.is_empty() {
                    outln!("⚠ unverified: {}", m.unverified.join(", "));
                }
            }
            _ => {}
        }
    }
    Ok(())
}
