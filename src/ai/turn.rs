//! One question answered: the loop between the model and the tools. It runs in a tokio task
//! and reports [`Event`]s over a channel as it goes. At most `max_rounds` requests (the last
//! one offers no tools, so the model must answer); a call repeated with the same arguments
//! stops the loop; a cancel drops the round in flight, so the messages returned never hold a
//! tool call without its result. The answer's figures are checked against the turn's tool
//! results. With no model (or when the default local one does not answer), the offline
//! assistant answers from the same tools.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::error::ChatError;
use super::privacy::Privacy;
use super::provider::{Provider, ProviderKind};
use super::wire::{self, Request, Streamed};
use super::{Event, Message, ToolCall, ToolSpec, ground, offline, privacy};

/// Runs one tool: name and arguments in, the enveloped result or the error for the model out.
/// Blocking (it reads the database and computes): the loop runs it on a blocking thread.
pub type ToolRunner = Arc<dyn Fn(&str, Value) -> Result<Value, String> + Send + Sync>;

/// What a turn needs besides the provider.
pub struct Setup {
    pub tools: Vec<ToolSpec>,
    pub run: ToolRunner,
    /// The system prompt.
    pub system: String,
    /// What the offline assistant may recognise in a question.
    pub today: chrono::NaiveDate,
    pub symbols: Vec<String>,
    pub accounts: Vec<String>,
}

/// How a turn ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The messages to keep: the question, every complete round, and the answer (or what was
    /// said before a cancel or an error).
    pub messages: Vec<Message>,
    pub answer: String,
    pub unverified: Vec<String>,
    pub rounds: usize,
    pub stopped: Option<String>,
    /// Who answered (`offline` after a fallback).
    pub provider: String,
    pub disclaimer: Option<String>,
    pub drafts: Vec<Value>,
    /// The error that ended the turn, if one did.
    pub error: Option<ChatError>,
}

/// Answers `question` after `history` (the thread so far).
pub async fn run(
    provider: &Provider,
    setup: &Setup,
    history: &[Message],
    question: &str,
    tx: &UnboundedSender<Event>,
    cancel: &CancellationToken,
) -> Outcome {
    let mut state = State::new(question);
    if provider.kind == ProviderKind::Offline {
        offline_answer(setup, question, &mut state, tx, cancel).await;
        return state.finish(offline::NAME);
    }
    let result = model(provider, setup, history, question, &mut state, tx, cancel).await;
    match result {
        Ok(()) => state.finish(provider.name()),
        Err(e) if fallback(provider, &e) && state.rounds <= 1 && state.answer.is_empty() => {
            let why = format!("{e}: {}", e.fix());
            let _ = tx.send(Event::Notice {
                text: format!("{why}. The offline assistant answers instead."),
            });
            state = State::new(question);
            offline_answer(setup, question, &mut state, tx, cancel).await;
            state.finish(offline::NAME)
        }
        Err(e) => {
            state.error = Some(e);
            state.finish(provider.name())
        }
    }
}

/// Errors after which the offline assistant answers: the default local model is not there,
/// or the model cannot call tools.
fn fallback(p: &Provider, e: &ChatError) -> bool {
    match e {
        ChatError::NoTools { .. } => true,
        ChatError::Unreachable { .. } | ChatError::NoModel { .. } => p.auto,
        _ => false,
    }
}

struct State {
    /// The question and the complete rounds.
    kept: Vec<Message>,
    /// What the rounds before the last said (kept in their own messages).
    said: String,
    /// The last round's text: the thread's answer.
    answer: String,
    rounds: usize,
    stopped: Option<String>,
    /// Every tool result of the turn, as computed and as sent.
    results: Vec<Value>,
    tools_used: Vec<String>,
    drafts: Vec<Value>,
    error: Option<ChatError>,
}

impl State {
    fn new(question: &str) -> State {
        State {
            kept: vec![Message::user(question)],
            said: String::new(),
            answer: String::new(),
            rounds: 0,
            stopped: None,
            results: Vec::new(),
            tools_used: Vec::new(),
            drafts: Vec::new(),
            error: None,
        }
    }

    fn finish(mut self, provider: &str) -> Outcome {
        let last = ground::clean(self.answer.trim());
        // Everything shown is checked and reported; the thread keeps the last round's text
        // as the answer (the earlier ones are in their rounds' messages).
        let answer = ground::clean(format!("{}{}", self.said, self.answer).trim());
        // The figures the tools gave, and those the user wrote in the question.
        let question = Value::String(
            self.kept
                .first()
                .map(|m| m.content.clone())
                .unwrap_or_default(),
        );
        let mut sources: Vec<&Value> = self.results.iter().collect();
        sources.push(&question);
        let known = ground::numbers_in(&sources);
        let unverified = ground::unverified(&answer, &known);
        let tools: Vec<&str> = self.tools_used.iter().map(String::as_str).collect();
        let disclaimer = ground::disclaimer(&answer, &tools);
        // The thread keeps an answer for every question, so roles alternate when it goes on.
        let kept_answer = match (&self.error, &self.stopped, last.is_empty()) {
            (Some(e), _, true) => format!("(no answer: {e})"),
            (_, Some(why), true) => format!("(no answer: {why})"),
            (_, Some(why), false) if why == CANCELLED => format!("{last}\n\n(cancelled)"),
            _ => last,
        };
        self.kept.push(Message::assistant(kept_answer, Vec::new()));
        Outcome {
            messages: self.kept,
            answer,
            unverified,
            rounds: self.rounds,
            stopped: self.stopped,
            provider: provider.to_string(),
            disclaimer,
            drafts: self.drafts,
            error: self.error,
        }
    }
}

const CANCELLED: &str = "cancelled";

/// The rounds with a model.
async fn model(
    p: &Provider,
    setup: &Setup,
    history: &[Message],
    question: &str,
    state: &mut State,
    tx: &UnboundedSender<Event>,
    cancel: &CancellationToken,
) -> Result<(), ChatError> {
    let http = wire::client(p)?;
    let level = p.privacy_in_force();
    // The thread's earlier tool results were kept whole: they leave at this provider's level.
    let mut conversation: Vec<Message> = history.iter().map(|m| private(level, m)).collect();
    conversation.push(Message::user(question));
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let rounds = p.max_rounds.max(1);
    // A repeated call makes the next round the last: the model answers from what it has.
    let mut answer_now = false;
    for round in 1..=rounds {
        state.rounds = round;
        let last = round == rounds || answer_now;
        let req = Request {
            system: &setup.system,
            messages: &conversation,
            tools: &setup.tools,
            answer_now: last,
        };
        let mut text = String::new();
        let mut thinking = Thinking::default();
        let reply = {
            let gap = !state.said.is_empty();
            let mut on = |s: Streamed| match s {
                Streamed::Text(t) => {
                    let t = ground::clean(&thinking.strip(t));
                    if t.is_empty() {
                        return;
                    }
                    // Each round's words start a paragraph of their own.
                    let t = if gap && text.is_empty() {
                        format!("\n\n{}", t.trim_start())
                    } else {
                        t
                    };
                    text.push_str(&t);
                    let _ = tx.send(Event::Message { delta: t });
                }
                Streamed::Notice(n) => {
                    let _ = tx.send(Event::Notice { text: n });
                }
            };
            tokio::select! {
                biased;
                _ = cancel.cancelled() => None,
                r = wire::ask(p, &http, &req, &mut on) => Some(r),
            }
        };
        let Some(reply) = reply else {
            // What streamed before the cancel is kept as the answer; the round's calls are not.
            state.answer.push_str(&text);
            state.stopped = Some(CANCELLED.into());
            return Ok(());
        };
        // A last piece held back as a possible tag is text after all.
        let rest = ground::clean(&thinking.flush());
        if !rest.is_empty() {
            text.push_str(&rest);
            let _ = tx.send(Event::Message { delta: rest });
        }
        let reply = match reply {
            Ok(r) => r,
            Err(e) => {
                // What was said before the error is kept with it.
                state.answer.push_str(&text);
                return Err(e);
            }
        };
        if reply.calls.is_empty() || last {
            state.answer.push_str(&text);
            if !reply.calls.is_empty() && state.stopped.is_none() {
                state.stopped = Some(format!(
                    "the model still asked for tools after {round} rounds"
                ));
            }
            return Ok(());
        }
        // A call made before with the same arguments would loop: the next round asks for the
        // answer instead.
        if let Some(again) = reply.calls.iter().find(|c| seen.contains(&key(c))) {
            state.said.push_str(&text);
            state.stopped = Some(format!(
                "the model asked for {} again with the same arguments; it was asked to answer from what it had",
                ground::clean(&again.name)
            ));
            answer_now = true;
            continue;
        }
        seen.extend(reply.calls.iter().map(key));
        state.said.push_str(&text);
        let mut round_messages = vec![Message::assistant(
            ground::clean(&thinking.strip_all(&reply.text)),
            reply.calls.clone(),
        )];
        for call in &reply.calls {
            let args = call.args();
            let _ = tx.send(Event::ToolCall {
                id: ground::clean(&call.id),
                name: ground::clean(&call.name),
                arguments: args
                    .clone()
                    .unwrap_or(Value::String(ground::clean(&call.arguments))),
            });
            let started = Instant::now();
            let result = tokio::select! {
                biased;
                _ = cancel.cancelled() => None,
                r = run_tool(setup, call, args) => Some(r),
            };
            let Some(result) = result else {
                // The round's text is in `said`; its calls go unanswered, so the round is
                // dropped from the thread.
                state.stopped = Some(CANCELLED.into());
                return Ok(());
            };
            // Kept whole (the user's own thread); sent at the provider's level.
            let (content, is_error) = sent(Privacy::Full, &result);
            let (shown, _) = sent(level, &result);
            record(state, call, &result, &shown, started, tx);
            round_messages.push(Message::tool(call, content, is_error));
        }
        conversation.extend(round_messages.iter().map(|m| private(level, m)));
        state.kept.extend(round_messages);
    }
    Ok(())
}

/// A message as a provider at `level` may see it: a tool's result cut to the level.
fn private(level: Privacy, m: &Message) -> Message {
    if level == Privacy::Full || m.role != super::Role::Tool || m.is_error {
        return m.clone();
    }
    let mut out = m.clone();
    out.content = match serde_json::from_str::<Value>(&m.content) {
        Ok(v) => privacy::apply(level, &v).to_string(),
        // Not JSON: not a result folio wrote; nothing of it goes.
        Err(_) => "{}".to_string(),
    };
    out
}

/// Drops `<think>...</think>` reasoning that some servers put in the answer's text (llama.cpp
/// with `--reasoning-format none`, Qwen3 templates), across the chunks it streams in.
#[derive(Debug, Default)]
struct Thinking {
    inside: bool,
    /// The end of the text so far that may be the start of a tag.
    pending: String,
}

impl Thinking {
    const OPEN: &'static str = "<think>";
    const CLOSE: &'static str = "</think>";

    /// The part of `chunk` outside reasoning that can be shown now.
    fn strip(&mut self, chunk: &str) -> String {
        let mut text = std::mem::take(&mut self.pending);
        text.push_str(chunk);
        let mut out = String::new();
        loop {
            let tag = if self.inside { Self::CLOSE } else { Self::OPEN };
            if let Some(i) = text.find(tag) {
                if !self.inside {
                    out.push_str(&text[..i]);
                }
                text = text[i + tag.len()..].to_string();
                self.inside = !self.inside;
                continue;
            }
            // Keep back what could be the start of the tag.
            let keep = (1..tag.len())
                .rev()
                .find(|&n| text.ends_with(&tag[..n]))
                .unwrap_or(0);
            let cut = text.len() - keep;
            if !self.inside {
                out.push_str(&text[..cut]);
            }
            self.pending = text[cut..].to_string();
            return out;
        }
    }

    /// What was held back as a possible tag, at the end of the text.
    fn flush(&mut self) -> String {
        let rest = std::mem::take(&mut self.pending);
        if self.inside { String::new() } else { rest }
    }

    /// A whole text without its reasoning.
    fn strip_all(&self, text: &str) -> String {
        let mut t = Thinking::default();
        let mut out = t.strip(text);
        if !t.inside {
            out.push_str(&t.pending);
        }
        out
    }
}

/// The call's identity for the repeat check: its name and arguments (as parsed, so spacing
/// does not matter).
fn key(c: &ToolCall) -> (String, String) {
    let args = c
        .args()
        .map(|v| v.to_string())
        .unwrap_or_else(|_| c.arguments.clone());
    (c.name.clone(), args)
}

async fn run_tool(
    setup: &Setup,
    call: &ToolCall,
    args: Result<Value, String>,
) -> Result<Value, String> {
    let args = args.map_err(|e| {
        format!(
            "{e}. Call {} again with a JSON object of its arguments (see its schema).",
            call.name
        )
    })?;
    let run = setup.run.clone();
    let name = call.name.clone();
    tokio::task::spawn_blocking(move || run(&name, args))
        .await
        .unwrap_or_else(|_| Err("the tool stopped with an internal error (see folio.log)".into()))
}

/// The result as the model is given it: JSON text at the privacy level, or the error.
fn sent(level: Privacy, result: &Result<Value, String>) -> (String, bool) {
    match result {
        Ok(v) => (privacy::apply(level, v).to_string(), false),
        Err(e) => (json!({"error": e}).to_string(), true),
    }
}

/// Notes a tool's result in the turn and reports it.
fn record(
    state: &mut State,
    call: &ToolCall,
    result: &Result<Value, String>,
    content: &str,
    started: Instant,
    tx: &UnboundedSender<Event>,
) {
    state.tools_used.push(call.name.clone());
    if let Ok(v) = result {
        state.results.push(v.clone());
        if let Ok(sent) = serde_json::from_str::<Value>(content) {
            state.results.push(sent);
        }
        if call.name == "draft_order" {
            state
                .drafts
                .push(v.get("report").cloned().unwrap_or(v.clone()));
        }
    }
    let _ = tx.send(Event::ToolResult {
        id: ground::clean(&call.id),
        name: ground::clean(&call.name),
        ok: result.is_ok(),
        summary: ground::clean(&offline::summary(&call.name, result)),
        result: match result {
            Ok(v) => v.clone(),
            Err(e) => json!({"error": e}),
        },
        ms: started.elapsed().as_millis() as u64,
    });
}

/// The offline assistant: the look-ups its rules choose, then its answer from their results.
async fn offline_answer(
    setup: &Setup,
    question: &str,
    state: &mut State,
    tx: &UnboundedSender<Event>,
    cancel: &CancellationToken,
) {
    let cx = offline::Context {
        today: setup.today,
        symbols: &setup.symbols,
        accounts: &setup.accounts,
    };
    let plan = offline::plan(question, &cx);
    let mut results = Vec::with_capacity(plan.lookups.len());
    let mut calls = Vec::new();
    let mut replies = Vec::new();
    state.rounds = usize::from(!plan.lookups.is_empty());
    for (n, lookup) in plan.lookups.iter().enumerate() {
        let call = ToolCall {
            id: format!("offline_{}", n + 1),
            name: lookup.tool.to_string(),
            arguments: lookup.args.to_string(),
        };
        let _ = tx.send(Event::ToolCall {
            id: call.id.clone(),
            name: call.name.clone(),
            arguments: lookup.args.clone(),
        });
        let started = Instant::now();
        let result = tokio::select! {
            biased;
            _ = cancel.cancelled() => {
                state.stopped = Some(CANCELLED.into());
                return;
            }
            r = run_tool(setup, &call, Ok(lookup.args.clone())) => r,
        };
        let (content, is_error) = sent(Privacy::Full, &result);
        record(state, &call, &result, &content, started, tx);
        replies.push(Message::tool(&call, content, is_error));
        calls.push(call);
        results.push(result);
    }
    // The look-ups are kept like a model's round, so a reopened thread shows them.
    if !calls.is_empty() {
        state.kept.push(Message::assistant(String::new(), calls));
        state.kept.extend(replies);
    }
    let answer = offline::answer(question, &plan, &results);
    let _ = tx.send(Event::Message {
        delta: answer.clone(),
    });
    state.answer = answer;
}

#[cfg(test)]
mod tests {
    use super::Thinking;

    #[test]
    fn reasoning_in_think_tags_is_dropped_across_chunks() {
        let mut t = Thinking::default();
        let chunks = [
            "Hel",
            "lo <thi",
            "nk>let me see 12,345",
            "</th",
            "ink> world",
            " <",
            "b>",
        ];
        let out: String = chunks.iter().map(|c| t.strip(c)).collect();
        assert_eq!(out, "Hello  world <b>");
        assert_eq!(t.strip("x <thi"), " x".trim_start().to_string() + " ");
        assert_eq!(
            t.flush(),
            "<thi",
            "held back as a possible tag, given at the end"
        );
        assert_eq!(Thinking::default().strip_all("a<think>b</think>c"), "ac");
        assert_eq!(
            Thinking::default().strip_all("no tags, 3 < 4"),
            "no tags, 3 < 4"
        );
    }
}
