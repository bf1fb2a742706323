//! The cockpit's one job runner: every question a pane asks goes to the query layer on a
//! blocking thread, and the answer comes back to the event loop as a message. Jobs of one kind
//! are numbered; the app keeps only the answer to the latest request of each kind (gitui's
//! async jobs work the same way), so a slow answer to an old request never overwrites a newer
//! one.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::app::Msg;
use super::portfolio::Portfolio;
use crate::ai::Event;
use crate::ai::provider::Choice;
use crate::analytics::montecarlo::Control;
use crate::app::anomalies::AnomaliesReport;
use crate::app::chat::{ThreadReport, ThreadsReport};
use crate::app::frontier::{FrontierParams, FrontierReport};
use crate::app::harvest::{HarvestParams, HarvestReport};
use crate::app::orders::{
    self, Confirmation, Desks, OrderParams, OrdersParams, OrdersReport, Placed, Ticket,
};
use crate::app::plan::{Inputs, Listed, PlanReport, RunOptions};
use crate::app::rebalance::{RebalanceParams, RebalanceReport};
use crate::app::risk::{RiskAnswer, RiskCharts, RiskParams};
use crate::app::stress::{StressParams, StressReport};
use crate::app::{AppError, Session};
use crate::domain::Quote;
use crate::domain::order::{BrokerKind, Order};

/// What a pane (or the app) asks.
#[derive(Debug, Clone)]
pub enum Job {
    /// Everything the panes show (at start, after a refresh, after another process wrote).
    Load,
    Harvest,
    /// The risk report over a window (90d, 1y, all...) and the portfolio's return index.
    Risk {
        window: String,
    },
    Anomalies,
    /// The household's rebalancing plan with these options (the Rebalance pane).
    Rebalance(Box<RebalanceParams>),
    /// The efficient frontier with these options (the Risk pane's frontier view).
    Frontier(Box<FrontierParams>),
    /// The stress scenarios applied to the holdings (the Risk pane's stress view).
    Stress(Box<StressParams>),
    /// A plan run; `control` shows its progress and cancels it.
    Plan {
        inputs: Box<Inputs>,
        control: Arc<Control>,
    },
    /// Saves a plan (with the results shown, when they are its own) under a name.
    SavePlan {
        name: String,
        inputs: Box<Inputs>,
        report: Option<Box<PlanReport>>,
    },
    /// Whether the database changed since the last look.
    Version,
    /// Stores the latest quotes.
    SaveQuotes(Vec<Quote>),
    /// The order ticket's preview and checks, for what its fields say now.
    Ticket {
        params: Box<OrderParams>,
        quote: Option<Quote>,
        /// The cockpit's clock (the quote's age is counted to it).
        now: chrono::DateTime<chrono::Utc>,
    },
    /// Sends a confirmed order: its ticket is computed again at the latest quote and sent
    /// only when it still passes its checks and is the order shown.
    PlaceOrder {
        params: Box<OrderParams>,
        quote: Option<Quote>,
        now: chrono::DateTime<chrono::Utc>,
        shown: Box<Ticket>,
        confirmation: Confirmation,
    },
    CancelOrder(i64),
    /// The order journal (the Trades pane's orders).
    Orders,
    /// The paper broker works its open orders against these quotes.
    WorkPaper(Vec<Quote>),
    /// The journal brought to the brokers' truth (IBKR orders still open).
    SyncOrders,
    /// IBKR's what-if for an order about to be confirmed (commission and margin).
    WhatIf(Box<crate::domain::order::OrderRequest>),
    /// A question to the chat: its events stream back as [`Done::Chat`] messages, the last a
    /// `done` or an `error`; `cancel` stops it (the backend keeps the thread whole).
    Chat {
        /// The pane's number for this question (its events carry it).
        ask: u64,
        question: String,
        /// The thread it continues (None: a new one).
        thread: Option<i64>,
        choice: Choice,
        cancel: CancellationToken,
    },
    /// The stored chat threads.
    ChatThreads,
    /// One stored thread and its messages.
    ChatThread(i64),
    /// Who would answer a question now (the Chat pane's title says whether data leaves the
    /// machine before anything is asked).
    ChatProvider,
}

/// Which requests replace each other: a newer request of a kind makes older answers stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Load,
    Harvest,
    Risk,
    Anomalies,
    Rebalance,
    Frontier,
    Stress,
    Plan,
    SavePlan,
    Version,
    SaveQuotes,
    Ticket,
    PlaceOrder,
    CancelOrder,
    Orders,
    /// Paper orders worked and IBKR's reports applied: both answer whether orders changed, and
    /// every answer counts (none is stale).
    WorkPaper,
    WhatIf,
    /// A question's events: every one counts (none is stale).
    Chat,
    ChatThreads,
    ChatThread,
    ChatProvider,
}

impl Job {
    pub fn kind(&self) -> Kind {
        match self {
            Job::Load => Kind::Load,
            Job::Harvest => Kind::Harvest,
            Job::Risk { .. } => Kind::Risk,
            Job::Anomalies => Kind::Anomalies,
            Job::Rebalance(_) => Kind::Rebalance,
            Job::Frontier(_) => Kind::Frontier,
            Job::Stress(_) => Kind::Stress,
            Job::Plan { .. } => Kind::Plan,
            Job::SavePlan { .. } => Kind::SavePlan,
            Job::Version => Kind::Version,
            Job::SaveQuotes(_) => Kind::SaveQuotes,
            Job::Ticket { .. } => Kind::Ticket,
            Job::PlaceOrder { .. } => Kind::PlaceOrder,
            Job::CancelOrder(_) => Kind::CancelOrder,
            Job::Orders => Kind::Orders,
            Job::WorkPaper(_) => Kind::WorkPaper,
            Job::SyncOrders => Kind::WorkPaper,
            Job::WhatIf(_) => Kind::WhatIf,
            Job::Chat { .. } => Kind::Chat,
            Job::ChatThreads => Kind::ChatThreads,
            Job::ChatThread(_) => Kind::ChatThread,
            Job::ChatProvider => Kind::ChatProvider,
        }
    }
}

/// An answer, with the error text a pane shows when there is none.
#[derive(Debug)]
pub enum Done {
    Loaded(Result<Box<Portfolio>, String>),
    Harvest(Result<Box<HarvestReport>, String>),
    Risk {
        window: String,
        result: Result<Box<(RiskAnswer, RiskCharts)>, String>,
    },
    Anomalies(Result<Box<AnomaliesReport>, String>),
    /// The plan for these options.
    Rebalance {
        params: Box<RebalanceParams>,
        result: Result<Box<RebalanceReport>, String>,
    },
    /// The frontier for these options.
    Frontier {
        params: Box<FrontierParams>,
        result: Result<Box<FrontierReport>, String>,
    },
    /// The stress test for these options.
    Stress {
        params: Box<StressParams>,
        result: Result<Box<StressReport>, String>,
    },
    Plan {
        inputs: Box<Inputs>,
        result: Result<Box<PlanReport>, String>,
        cancelled: bool,
    },
    Saved {
        name: String,
        result: Result<Vec<Listed>, String>,
    },
    /// [`Session::changes`]: it moves when another process changed what the panes show.
    Version(Result<u64, String>),
    SavedQuotes(Result<(), String>),
    Ticket(Result<Box<Ticket>, String>),
    Placed(Result<Box<Placed>, String>),
    Cancelled(Result<Box<Order>, String>),
    Orders(Result<Box<OrdersReport>, String>),
    /// Whether the orders changed.
    Worked(Result<bool, String>),
    WhatIf(Result<Option<orders::WhatIf>, String>),
    /// Events of the chat question `ask`, in order (those that arrived together).
    Chat {
        ask: u64,
        events: Vec<Event>,
    },
    ChatThreads(Result<Box<ThreadsReport>, String>),
    ChatThread {
        id: i64,
        result: Result<Box<ThreadReport>, String>,
    },
    ChatProvider(Result<ChatWho, String>),
}

/// Who answers the chat's questions, and whether what the tools find leaves the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatWho {
    pub provider: String,
    pub model: String,
    pub remote: bool,
    /// The privacy level in force (full, rounded, weights).
    pub privacy: String,
}

impl Done {
    pub fn kind(&self) -> Kind {
        match self {
            Done::Loaded(_) => Kind::Load,
            Done::Harvest(_) => Kind::Harvest,
            Done::Risk { .. } => Kind::Risk,
            Done::Anomalies(_) => Kind::Anomalies,
            Done::Rebalance { .. } => Kind::Rebalance,
            Done::Frontier { .. } => Kind::Frontier,
            Done::Stress { .. } => Kind::Stress,
            Done::Plan { .. } => Kind::Plan,
            Done::Saved { .. } => Kind::SavePlan,
            Done::Version(_) => Kind::Version,
            Done::SavedQuotes(_) => Kind::SaveQuotes,
            Done::Ticket(_) => Kind::Ticket,
            Done::Placed(_) => Kind::PlaceOrder,
            Done::Cancelled(_) => Kind::CancelOrder,
            Done::Orders(_) => Kind::Orders,
            Done::Worked(_) => Kind::WorkPaper,
            Done::WhatIf(_) => Kind::WhatIf,
            Done::Chat { .. } => Kind::Chat,
            Done::ChatThreads(_) => Kind::ChatThreads,
            Done::ChatThread { .. } => Kind::ChatThread,
            Done::ChatProvider(_) => Kind::ChatProvider,
        }
    }
}

/// Runs a question that talks to a broker: on `handle` (the cockpit's runtime), or on a
/// runtime of its own (tests, which run jobs on their own thread).
fn block_on<T>(
    handle: Option<&tokio::runtime::Handle>,
    f: impl std::future::Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    match handle {
        Some(h) => h.block_on(f),
        None => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| AppError::failed(e, "cannot start a runtime"))?
            .block_on(f),
    }
}

/// The IBKR connection for a question: the cockpit's kept one (see [`orders::Desks`]), or one
/// of its own (reconciled first) where there is none to keep (tests, which run jobs alone).
async fn ibkr(
    s: &Session,
    desks: Option<&Desks>,
    client_id: Option<i64>,
) -> Result<std::sync::Arc<orders::IbkrDesk>, AppError> {
    match desks {
        Some(d) => d.ibkr(s, client_id).await,
        None => {
            let desk = orders::ibkr_desk_as(s, client_id).await?;
            orders::reconcile(s, &desk).await?;
            Ok(std::sync::Arc::new(desk))
        }
    }
}

/// Sends a confirmed order through the broker its ticket names.
async fn place(
    s: &Session,
    desks: Option<&Desks>,
    ticket: &Ticket,
    c: &Confirmation,
) -> Result<Placed, AppError> {
    match ticket.broker {
        BrokerKind::Paper => orders::place(s, &orders::paper_desk(s), ticket, c).await,
        BrokerKind::Ibkr => orders::place(s, &*ibkr(s, desks, None).await?, ticket, c).await,
    }
}

async fn cancel(s: &Session, desks: Option<&Desks>, id: i64) -> Result<Order, AppError> {
    let order = s.read(|st| Ok(st.order(id)?))?;
    match order.as_ref().map(|o| o.broker).unwrap_or_default() {
        BrokerKind::Paper => orders::cancel(s, &orders::paper_desk(s), id).await,
        BrokerKind::Ibkr => {
            let desk = ibkr(s, desks, order.and_then(|o| o.client_id)).await?;
            orders::cancel(s, &desk, id).await
        }
    }
}

fn text(e: AppError) -> String {
    format!("{e:#}")
}

/// Runs `job` on the calling thread: the runner's body, and what tests call directly.
/// Async questions are awaited on `handle` (this thread is not one of the runtime's workers).
pub fn run_now(s: &Session, job: Job, handle: Option<&tokio::runtime::Handle>) -> Done {
    run_with(s, job, handle, None)
}

/// [`run_now`] with the cockpit's kept broker connections.
fn run_with(
    s: &Session,
    job: Job,
    handle: Option<&tokio::runtime::Handle>,
    desks: Option<&Desks>,
) -> Done {
    match job {
        Job::Load => Done::Loaded(Portfolio::load(s).map(Box::new).map_err(text)),
        Job::Harvest => Done::Harvest(
            crate::app::harvest::harvest(s, &HarvestParams::default())
                .map(Box::new)
                .map_err(text),
        ),
        Job::Risk { window } => {
            let params = RiskParams {
                window: Some(window.clone()),
                ..RiskParams::default()
            };
            Done::Risk {
                window,
                result: crate::app::risk::risk_with_charts(s, &params)
                    .map(Box::new)
                    .map_err(text),
            }
        }
        Job::Anomalies => Done::Anomalies(
            crate::app::anomalies::checks(s, None, None, false)
                .map(Box::new)
                .map_err(text),
        ),
        Job::Rebalance(params) => Done::Rebalance {
            result: crate::app::rebalance::rebalance(s, &params)
                .map(Box::new)
                .map_err(text),
            params,
        },
        Job::Frontier(params) => Done::Frontier {
            result: crate::app::frontier::frontier(s, &params)
                .map(Box::new)
                .map_err(text),
            params,
        },
        Job::Stress(params) => Done::Stress {
            result: crate::app::stress::stress(s, &params)
                .map(Box::new)
                .map_err(text),
            params,
        },
        Job::Plan { inputs, control } => {
            let opts = RunOptions {
                threads: None,
                control: control.clone(),
            };
            let result = block_on(handle, crate::app::plan::run(s, &inputs, &opts));
            Done::Plan {
                inputs,
                cancelled: control.cancel.load(std::sync::atomic::Ordering::Relaxed),
                result: result.map(Box::new).map_err(text),
            }
        }
        Job::SavePlan {
            name,
            inputs,
            report,
        } => Done::Saved {
            result: crate::app::plan::save(s, &name, &inputs, report.as_deref())
                .map(|all| all.into_iter().map(crate::app::plan::listed).collect())
                .map_err(text),
            name,
        },
        Job::Version => Done::Version(s.changes().map_err(text)),
        Job::SaveQuotes(quotes) => {
            Done::SavedQuotes(crate::app::quotes::save(s, &quotes).map_err(text))
        }
        Job::Ticket { params, quote, now } => Done::Ticket(
            quote
                .map_or_else(|| orders::local_quote(s, &params.symbol), |q| Ok(Some(q)))
                .and_then(|quote| orders::ticket(s, &params, quote.as_ref(), now))
                .map(Box::new)
                .map_err(text),
        ),
        Job::PlaceOrder {
            params,
            quote,
            now,
            shown,
            confirmation,
        } => Done::Placed(
            quote
                .map_or_else(|| orders::local_quote(s, &params.symbol), |q| Ok(Some(q)))
                .and_then(|quote| orders::ticket(s, &params, quote.as_ref(), now))
                .and_then(|mut t| {
                    t.live |= shown.live;
                    if t.confirm != shown.confirm || t.request != shown.request {
                        return Err(crate::app::bad(
                            "the order changed since it was shown; look at it again",
                        ));
                    }
                    block_on(handle, place(s, desks, &t, &confirmation))
                })
                .map(Box::new)
                .map_err(text),
        ),
        Job::CancelOrder(id) => Done::Cancelled(
            block_on(handle, cancel(s, desks, id))
                .map(Box::new)
                .map_err(text),
        ),
        Job::Orders => Done::Orders(
            orders::orders(s, &OrdersParams::default())
                .map(Box::new)
                .map_err(text),
        ),
        Job::WorkPaper(quotes) => Done::Worked(
            block_on(handle, async {
                let desk = orders::paper_desk(s);
                orders::work_paper(s, &desk, &quotes).await
            })
            .map(|a| !a.orders.is_empty())
            .map_err(text),
        ),
        Job::WhatIf(request) => Done::WhatIf(
            block_on(handle, async {
                orders::what_if(&*ibkr(s, desks, None).await?, &request).await
            })
            .map_err(text),
        ),
        Job::SyncOrders => Done::Worked(
            match desks {
                // The cockpit: what the kept IBKR connection reported (paper orders are worked
                // as quotes arrive).
                Some(d) => block_on(handle, d.sync(s)),
                None => block_on(handle, orders::sync(s)).map(|notes| !notes.is_empty()),
            }
            .map_err(text),
        ),
        // A question needs the session shared with its task: see [`run_shared`].
        Job::Chat { ask, .. } => Done::Chat {
            ask,
            events: vec![Event::Error {
                message: "a chat question needs the shared session".into(),
                fix: "run it with jobs::run_shared".into(),
            }],
        },
        Job::ChatThreads => {
            Done::ChatThreads(crate::app::chat::threads(s).map(Box::new).map_err(text))
        }
        Job::ChatThread(id) => Done::ChatThread {
            id,
            result: crate::app::chat::thread(s, id).map(Box::new).map_err(text),
        },
        Job::ChatProvider => Done::ChatProvider(
            block_on(
                handle,
                crate::app::chat::provider(s, &Choice::default(), None),
            )
            .map(|p| ChatWho {
                provider: p.name().to_string(),
                model: p.model.clone(),
                remote: p.remote(),
                privacy: p.privacy_in_force().name().to_string(),
            })
            .map_err(text),
        ),
    }
}

/// [`run_now`] for every job, a chat question too: its events are collected until its end
/// and answered together (tests and scripted screens; the cockpit streams them).
pub fn run_shared(s: &Arc<Session>, job: Job, handle: Option<&tokio::runtime::Handle>) -> Done {
    let Job::Chat {
        ask,
        question,
        thread,
        choice,
        cancel,
    } = job
    else {
        return run_now(s, job, handle);
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let go = chat(s.clone(), question, thread, choice, cancel, tx);
    let ran = match handle {
        Some(h) => {
            h.block_on(go);
            Ok(())
        }
        None => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map(|rt| rt.block_on(go)),
    };
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    if let Err(e) = ran {
        events.push(Event::Error {
            message: format!("cannot start a runtime: {e}"),
            fix: String::new(),
        });
    }
    ended(&mut events);
    Done::Chat { ask, events }
}

/// Asks `question`: the provider the config names (the demo's offline assistant), then the
/// backend's turn, every event sent on `out` as it comes. An error before the turn starts (a
/// provider without a key, an empty question, the database) is sent as an error event.
async fn chat(
    s: Arc<Session>,
    question: String,
    thread: Option<i64>,
    choice: Choice,
    cancel: CancellationToken,
    out: mpsc::UnboundedSender<Event>,
) {
    let provider = match crate::app::chat::provider(&s, &choice, None).await {
        Ok(p) => p,
        Err(e) => {
            let _ = out.send(error_event(&e));
            return;
        }
    };
    if let Err(e) = crate::app::chat::ask(s, &provider, &question, thread, &out, &cancel).await {
        let _ = out.send(error_event(&e));
    }
}

/// The query layer's error as the last event (its message already says what to do).
fn error_event(e: &AppError) -> Event {
    Event::Error {
        message: format!("{e:#}"),
        fix: String::new(),
    }
}

/// A question's events end with `done` or `error`: when no more will come and they stopped
/// without one (the task failed), an error says so.
fn ended(events: &mut Vec<Event>) {
    let finished = matches!(
        events.last(),
        Some(Event::Done { .. } | Event::Error { .. })
    );
    if !finished {
        events.push(Event::Error {
            message: "the answer stopped with an internal error".into(),
            fix: "details are in folio.log; ask again".into(),
        });
    }
}

/// Starts jobs on the runtime's blocking threads and reports each answer as [`Msg::Done`].
pub struct Runner {
    session: Arc<Session>,
    handle: tokio::runtime::Handle,
    tx: mpsc::Sender<Msg>,
    desks: Arc<Desks>,
}

impl Runner {
    pub fn new(session: Arc<Session>, tx: mpsc::Sender<Msg>) -> Runner {
        Runner {
            session,
            handle: tokio::runtime::Handle::current(),
            tx,
            desks: Arc::default(),
        }
    }

    /// Runs `job` in the background; its answer carries `generation`.
    pub fn start(&self, generation: u64, job: Job) {
        if let Job::Chat { .. } = job {
            self.chat(generation, job);
            return;
        }
        let (session, handle, tx) = (self.session.clone(), self.handle.clone(), self.tx.clone());
        let desks = self.desks.clone();
        let kind = job.kind();
        self.handle.spawn_blocking(move || {
            let go = || run_with(&session, job, Some(&handle), Some(&desks));
            let done = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(go)) {
                Ok(d) => d,
                Err(_) => failed(kind),
            };
            let _ = tx.blocking_send(Msg::Done { generation, done });
        });
    }
}

impl Runner {
    /// A chat question on a task of its own; its events are forwarded as they arrive (those
    /// pending together in one message), so the first words reach the screen at once.
    fn chat(&self, generation: u64, job: Job) {
        let Job::Chat {
            ask,
            question,
            thread,
            choice,
            cancel,
        } = job
        else {
            return;
        };
        let (session, tx) = (self.session.clone(), self.tx.clone());
        let (out, mut events) = mpsc::unbounded_channel();
        let task = self
            .handle
            .spawn(chat(session, question, thread, choice, cancel.clone(), out));
        self.handle.spawn(async move {
            let mut finished = false;
            while let Some(first) = events.recv().await {
                let mut batch = vec![first];
                while let Ok(e) = events.try_recv() {
                    batch.push(e);
                }
                finished = matches!(batch.last(), Some(Event::Done { .. } | Event::Error { .. }));
                let done = Done::Chat { ask, events: batch };
                if tx.send(Msg::Done { generation, done }).await.is_err() {
                    // The cockpit is closing: stop the question too.
                    cancel.cancel();
                    return;
                }
            }
            if task.await.is_err() {
                tracing::error!("the chat task stopped with an internal error");
            }
            if !finished {
                let mut events = Vec::new();
                ended(&mut events);
                let done = Done::Chat { ask, events };
                let _ = tx.send(Msg::Done { generation, done }).await;
            }
        });
    }
}

/// The answer of a job that panicked: an error naming the log.
fn failed(kind: Kind) -> Done {
    fn e<T>() -> Result<T, String> {
        Err("an internal error stopped it (details are in folio.log)".to_string())
    }
    match kind {
        Kind::Load => Done::Loaded(e()),
        Kind::Harvest => Done::Harvest(e()),
        Kind::Risk => Done::Risk {
            window: String::new(),
            result: e(),
        },
        Kind::Anomalies => Done::Anomalies(e()),
        Kind::Rebalance => Done::Rebalance {
            params: Box::default(),
            result: e(),
        },
        Kind::Frontier => Done::Frontier {
            params: Box::default(),
            result: e(),
        },
        Kind::Stress => Done::Stress {
            params: Box::default(),
            result: e(),
        },
        Kind::Plan => Done::Plan {
            inputs: Box::default(),
            result: e(),
            cancelled: false,
        },
        Kind::SavePlan => Done::Saved {
            name: String::new(),
            result: e(),
        },
        Kind::Version => Done::Version(e()),
        Kind::SaveQuotes => Done::SavedQuotes(e()),
        Kind::Ticket => Done::Ticket(e()),
        Kind::PlaceOrder => Done::Placed(e()),
        Kind::CancelOrder => Done::Cancelled(e()),
        Kind::Orders => Done::Orders(e()),
        Kind::WorkPaper => Done::Worked(e()),
        Kind::WhatIf => Done::WhatIf(e()),
        Kind::Chat => Done::Chat {
            ask: 0,
            events: Vec::new(),
        },
        Kind::ChatThreads => Done::ChatThreads(e()),
        Kind::ChatThread => Done::ChatThread { id: 0, result: e() },
        Kind::ChatProvider => Done::ChatProvider(e()),
    }
}

/// Runs every job `app` asks for on this thread, feeding each answer back, until it asks for
/// no more; returns its other effects (starting the feed...). What the event loop does in the
/// background, done in order: for tests, benchmarks and scripted screens.
pub fn settle(app: &mut super::App, s: &Session) -> Vec<super::Effect> {
    let mut others = Vec::new();
    loop {
        let effects = app.take_effects();
        if effects.is_empty() {
            return others;
        }
        for e in effects {
            match e {
                super::Effect::Job { generation, job } => {
                    let done = run_now(s, job, None);
                    app.update(Msg::Done { generation, done });
                }
                other => others.push(other),
            }
        }
    }
}
