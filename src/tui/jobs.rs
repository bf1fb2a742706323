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
use crate::app::plan::{Inputs, Listed, PlanReport, RunOptions};
use crate::app::risk::{RiskAnswer, RiskCharts, RiskParams};
use crate::app::{AppError, Session};
use crate::domain::Quote;

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
}

fn text(e: AppError) -> String {
    format!("{e:#}")
}

/// Runs `job` on the calling thread: the runner's body, and what tests call directly.
/// Async questions are awaited on `handle` (this thread is not one of the runtime's workers).
pub fn run_now(s: &Session, job: Job, handle: Option<&tokio::runtime::Handle>) -> Done {
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
            let result = {
                let run = crate::app::plan::run(s, &inputs, &opts);
                match handle {
                    Some(h) => h.block_on(run),
                    None => match tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        Ok(rt) => rt.block_on(run),
                        Err(e) => Err(AppError::failed(e, "cannot start a runtime for the plan")),
                    },
                }
            };
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
    }
}

/// Starts jobs on the runtime's blocking threads and reports each answer as [`Msg::Done`].
pub struct Runner {
    session: Arc<Session>,
    handle: tokio::runtime::Handle,
    tx: mpsc::Sender<Msg>,
}

impl Runner {
    pub fn new(session: Arc<Session>, tx: mpsc::Sender<Msg>) -> Runner {
        Runner {
            session,
            handle: tokio::runtime::Handle::current(),
            tx,
        }
    }

    /// Runs `job` in the background; its answer carries `generation`.
    pub fn start(&self, generation: u64, job: Job) {
        let (session, handle, tx) = (self.session.clone(), self.handle.clone(), self.tx.clone());
        let kind = job.kind();
        self.handle.spawn_blocking(move || {
            let go = || run_now(&session, job, Some(&handle));
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
