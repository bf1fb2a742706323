//! The cockpit's one job runner: every question a pane asks goes to the query layer on a
//! blocking thread, and the answer comes back to the event loop as a message. Jobs of one kind
//! are numbered; the app keeps only the answer to the latest request of each kind (gitui's
//! async jobs work the same way), so a slow answer to an old request never overwrites a newer
//! one.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::app::Msg;
use super::portfolio::Portfolio;
use crate::analytics::montecarlo::Control;
use crate::app::anomalies::AnomaliesReport;
use crate::app::harvest::{HarvestParams, HarvestReport};
use crate::app::orders::{
    self, Confirmation, Desks, OrderParams, OrdersParams, OrdersReport, Placed, Ticket,
};
use crate::app::plan::{Inputs, Listed, PlanReport, RunOptions};
use crate::app::risk::{RiskAnswer, RiskCharts, RiskParams};
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
}

/// Which requests replace each other: a newer request of a kind makes older answers stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Load,
    Harvest,
    Risk,
    Anomalies,
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
}

impl Job {
    pub fn kind(&self) -> Kind {
        match self {
            Job::Load => Kind::Load,
            Job::Harvest => Kind::Harvest,
            Job::Risk { .. } => Kind::Risk,
            Job::Anomalies => Kind::Anomalies,
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
}

impl Done {
    pub fn kind(&self) -> Kind {
        match self {
            Done::Loaded(_) => Kind::Load,
            Done::Harvest(_) => Kind::Harvest,
            Done::Risk { .. } => Kind::Risk,
            Done::Anomalies(_) => Kind::Anomalies,
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
