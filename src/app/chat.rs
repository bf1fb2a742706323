//! "Ask folio": a question answered by a model (or the offline assistant) from the tools,
//! in a thread kept in the database. The command line (`folio chat`) and the cockpit's Chat
//! pane both call [`provider`] then [`ask`], and list threads with [`threads`] and [`thread`].
//! The tools are [`super::tools::chat`]: the MCP server's, plus drafting an order.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::tools::{self, Def};
use super::{AppError, Result, Session, bad};
use crate::ai::provider::{Choice, Key, KeySource};
use crate::ai::turn::{self, Setup};
use crate::ai::{Event, Message, Provider, ProviderKind, Role, ToolCall, ToolSpec, ground};
use crate::store::StoredMessage;

/// Asks the user for a provider's key (the command line on a terminal); None: not given.
pub type KeyPrompt = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The longest question taken.
pub const MAX_QUESTION: usize = 4000;
/// How much of a thread's past goes with a new question (characters, newest first).
const HISTORY_BUDGET: usize = 48_000;

/// The provider a chat will use: `choice` over the `[ai]` config; the demo uses the offline
/// assistant unless a provider is named. A key comes from the environment, then the OS
/// keyring, then the session keyring, then `prompt` (the command line asks on a terminal).
/// Runs the keyring look-ups on a blocking thread.
pub async fn provider(s: &Session, choice: &Choice, prompt: Option<KeyPrompt>) -> Result<Provider> {
    let config = s.config().ai.clone();
    if s.is_demo() && choice.provider.is_none() {
        return Ok(Provider::offline(&config));
    }
    let choice = choice.clone();
    tokio::task::spawn_blocking(move || {
        let mut key = |kind: ProviderKind, env: Option<&'static str>| -> Option<(Key, KeySource)> {
            if let Some(found) = crate::secrets::find(kind.secret(), env) {
                return Some(found);
            }
            if matches!(kind, ProviderKind::Ollama | ProviderKind::OpenAiCompatible) {
                // Local servers take no key; never ask for one.
                return None;
            }
            let p = prompt.as_ref()?;
            p(kind.secret()).map(|k| (Key::new(k), KeySource::Prompt))
        };
        Provider::resolve(&config, &choice, &mut key).map_err(bad)
    })
    .await
    .map_err(|e| AppError::failed(e, "cannot look up the provider's key"))?
}

/// Answers `question` in `thread` (a new one when None) with `provider`, reporting [`Event`]s
/// on `tx` as it goes, and keeps the turn in the database. The turn's end is the last event:
/// `done` or `error`. Returns the thread's id.
pub async fn ask(
    s: Arc<Session>,
    provider: &Provider,
    question: &str,
    thread: Option<i64>,
    tx: &UnboundedSender<Event>,
    cancel: &CancellationToken,
) -> Result<i64> {
    let question = ground::clean(question.trim());
    if question.is_empty() {
        return Err(bad(
            "ask a question, e.g. folio chat \"how much cash do I have?\"",
        ));
    }
    if question.chars().count() > MAX_QUESTION {
        return Err(bad(format!(
            "the question is {} characters long; ask in at most {MAX_QUESTION}",
            question.chars().count()
        )));
    }
    let history = match thread {
        Some(id) => {
            let found = s.read(|st| Ok(st.thread(id)?))?;
            if found.is_none() {
                return Err(bad(format!(
                    "there is no chat thread {id}; `folio chat --list` shows the threads"
                )));
            }
            budget(s.read(|st| Ok(st.thread_messages(id)?))?)
        }
        None => Vec::new(),
    };
    let setup = setup(&s)?;
    let id = match thread {
        Some(id) => id,
        None => s.write("starting a chat thread", |st| {
            st.write(|w| Ok::<_, AppError>(w.new_thread(&title(&question))?))
        })?,
    };
    let _ = tx.send(Event::Connected {
        provider: provider.name().to_string(),
        model: provider.model.clone(),
        remote: provider.remote(),
        privacy: provider.privacy_in_force().name().to_string(),
        thread: id,
    });
    let outcome = turn::run(provider, &setup, &history, &question, tx, cancel).await;
    let unverified = outcome.unverified.clone();
    let stored: Vec<StoredMessage> = outcome
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let last = i + 1 == outcome.messages.len();
            stored(
                m,
                last.then_some(outcome.provider.as_str()),
                if last { &unverified } else { &[] },
            )
        })
        .collect();
    s.write("keeping the chat", |st| {
        st.write(|w| Ok::<_, AppError>(w.add_messages(id, &stored)?))
    })?;
    let _ = tx.send(match &outcome.error {
        Some(e) => Event::Error {
            message: e.to_string(),
            fix: e.fix(),
        },
        None => Event::Done {
            thread: id,
            answer: outcome.answer.clone(),
            unverified,
            rounds: outcome.rounds,
            stopped: outcome.stopped.clone(),
            provider: outcome.provider.clone(),
            disclaimer: outcome.disclaimer.clone(),
            drafts: outcome.drafts.clone(),
        },
    });
    Ok(id)
}

/// The tools, the runner that calls them on this session, and the prompt.
fn setup(s: &Arc<Session>) -> Result<Setup> {
    let defs: Arc<Vec<Def>> = Arc::new(tools::chat());
    let specs = defs
        .iter()
        .map(|d| ToolSpec {
            name: d.name.to_string(),
            description: d.description.to_string(),
            schema: Value::Object(d.schema.clone()),
        })
        .collect();
    let session = s.clone();
    let runner_defs = defs.clone();
    let run: turn::ToolRunner = Arc::new(move |name: &str, args: Value| {
        let started = std::time::Instant::now();
        let r = tools::call(&runner_defs, &session, name, args);
        tracing::info!(
            tool = name,
            ok = r.is_ok(),
            ms = started.elapsed().as_millis() as u64,
            "chat tool"
        );
        r
    });
    let (accounts, symbols) = match s.ledger() {
        Ok(l) => {
            let mut symbols: Vec<String> = l
                .transactions
                .iter()
                .filter_map(|t| t.symbol.clone())
                .collect();
            symbols.sort();
            symbols.dedup();
            (l.accounts.iter().map(|a| a.name.clone()).collect(), symbols)
        }
        // An empty database still chats (the tools say there is nothing yet).
        Err(AppError::Store(crate::store::StoreError::Missing(_))) => (Vec::new(), Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(Setup {
        tools: specs,
        run,
        system: ground::system_prompt(s.today(), s.currency(), &accounts),
        today: s.today(),
        symbols,
        accounts,
    })
}

/// A thread's title: the first question, cut to fit a list.
fn title(question: &str) -> String {
    let one = question.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 60 {
        format!("{}…", one.chars().take(59).collect::<String>())
    } else {
        one
    }
}

fn stored(m: &Message, provider: Option<&str>, unverified: &[String]) -> StoredMessage {
    StoredMessage {
        role: m.role.name().to_string(),
        content: m.content.clone(),
        tool_calls: (!m.tool_calls.is_empty())
            .then(|| serde_json::to_string(&m.tool_calls).unwrap_or_default()),
        tool_call_id: m.tool_call_id.clone(),
        tool_name: m.tool_name.clone(),
        is_error: m.is_error,
        provider: provider.map(str::to_string),
        unverified: (!unverified.is_empty())
            .then(|| serde_json::to_string(unverified).unwrap_or_default()),
        created_at: String::new(),
    }
}

/// A list kept as JSON text in a message row (tool calls, unverified figures); none if absent.
fn stored_json<T: serde::de::DeserializeOwned>(text: &Option<String>) -> Vec<T> {
    text.as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default()
}

fn message(m: &StoredMessage) -> Option<Message> {
    let role = Role::parse(&m.role)?;
    Some(Message {
        role,
        content: m.content.clone(),
        tool_calls: stored_json(&m.tool_calls),
        tool_call_id: m.tool_call_id.clone(),
        tool_name: m.tool_name.clone(),
        is_error: m.is_error,
    })
}

/// The newest part of a thread that fits the budget, starting at a question (so no tool
/// result is sent without its call).
fn budget(stored: Vec<StoredMessage>) -> Vec<Message> {
    let all: Vec<Message> = stored.iter().filter_map(message).collect();
    let mut size = 0;
    let mut start = all.len();
    for (i, m) in all.iter().enumerate().rev() {
        size += m.content.len()
            + m.tool_calls
                .iter()
                .map(|c| c.arguments.len() + 32)
                .sum::<usize>();
        if size > HISTORY_BUDGET {
            break;
        }
        if m.role == Role::User {
            start = i;
        }
    }
    all[start..].to_vec()
}

/// A stored thread as listed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ThreadRow {
    pub id: i64,
    pub title: String,
    pub created_at: String,
    pub updated_at: String,
    pub questions: i64,
}

impl From<crate::store::Thread> for ThreadRow {
    fn from(t: crate::store::Thread) -> ThreadRow {
        ThreadRow {
            id: t.id,
            title: t.title,
            created_at: t.created_at,
            updated_at: t.updated_at,
            questions: t.questions,
        }
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ThreadsReport {
    pub threads: Vec<ThreadRow>,
}

/// `folio chat --list`: every thread, the most recently used first.
pub fn threads(s: &Session) -> Result<ThreadsReport> {
    let rows = s.read(|st| Ok(st.threads()?))?;
    Ok(ThreadsReport {
        threads: rows.into_iter().map(ThreadRow::from).collect(),
    })
}

/// One message of a thread as shown.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ThreadMessage {
    /// user, assistant or tool.
    pub role: String,
    pub content: String,
    /// An assistant's tool calls: name and arguments.
    #[schemars(with = "Vec<serde_json::Value>")]
    pub tool_calls: Vec<ToolCall>,
    pub tool_name: Option<String>,
    pub is_error: bool,
    /// Who answered (on answers).
    pub provider: Option<String>,
    /// Figures of the answer found in no tool result.
    pub unverified: Vec<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ThreadReport {
    pub thread: ThreadRow,
    pub messages: Vec<ThreadMessage>,
}

/// `folio chat --thread ID --show`: a thread's messages.
pub fn thread(s: &Session, id: i64) -> Result<ThreadReport> {
    let Some(t) = s.read(|st| Ok(st.thread(id)?))? else {
        return Err(bad(format!(
            "there is no chat thread {id}; `folio chat --list` shows the threads"
        )));
    };
    let messages = s.read(|st| Ok(st.thread_messages(id)?))?;
    Ok(ThreadReport {
        thread: ThreadRow::from(t),
        messages: messages
            .iter()
            .map(|m| ThreadMessage {
                role: m.role.clone(),
                content: m.content.clone(),
                tool_calls: stored_json(&m.tool_calls),
                tool_name: m.tool_name.clone(),
                is_error: m.is_error,
                provider: m.provider.clone(),
                unverified: stored_json(&m.unverified),
                created_at: m.created_at.clone(),
            })
            .collect(),
    })
}
