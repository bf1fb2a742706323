//! The interface every quote source implements (simulated now; IBKR and HTTP later), and the
//! typed events a feed reports to the app.

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::domain::Quote;

/// The transport state a feed reports; the status bar shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedState {
    Connecting,
    Connected,
    Reconnecting {
        attempt: u32,
    },
    /// Connected to the gateway, but data is interrupted (a notice such as 1100 or 2103).
    Interrupted(String),
    Offline(String),
    /// The demo's random walks: running, but not market prices.
    Simulated,
    /// Stopped by the user (`p`); the last quotes stay on screen.
    Paused,
}

impl FeedState {
    pub fn label(&self) -> String {
        match self {
            FeedState::Connecting => "connecting".into(),
            FeedState::Connected => "connected".into(),
            FeedState::Reconnecting { attempt } => format!("reconnecting (attempt {attempt})"),
            FeedState::Interrupted(why) => format!("interrupted: {why}"),
            FeedState::Offline(why) => format!("offline: {why}"),
            FeedState::Simulated => "simulated".into(),
            FeedState::Paused => "paused".into(),
        }
    }
}

/// What a feed reports.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedEvent {
    /// New quotes, at most one per symbol per event.
    Quotes(Vec<Quote>),
    State(FeedState),
    /// One symbol cannot be streamed; the others go on.
    SymbolError {
        symbol: String,
        message: String,
    },
    /// The broker's view of its accounts.
    Accounts(Vec<BrokerAccount>),
}

/// An account as the broker values it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerAccount {
    pub account: String,
    pub net_liquidation: Option<rust_decimal::Decimal>,
    pub cash: Option<rust_decimal::Decimal>,
    pub currency: String,
}

/// What the app asks of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedCommand {
    /// Stream these symbols too (already streamed ones are ignored).
    Subscribe(Vec<String>),
    /// Stop (true) or resume (false) sending quotes.
    Pause(bool),
}

/// A source of live quotes. `spawn` starts it on the current tokio runtime; it reports on
/// `events` and stops when `commands` is closed (the app dropped its sender) or `events` is.
pub trait QuoteFeed: Send + 'static {
    fn spawn(
        self: Box<Self>,
        commands: mpsc::UnboundedReceiver<FeedCommand>,
        events: mpsc::Sender<FeedEvent>,
    ) -> JoinHandle<()>;
}
