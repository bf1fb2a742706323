//! The cockpit's state: panes, data, quotes, overlays. Pure of IO: the event loop (`super::run`)
//! feeds it keys and messages, carries out the [`Effect`]s it asks for (jobs for the query
//! layer among them), and draws it. Nothing is computed in `draw`: answers arrive as messages
//! and the holdings are valued again at the live quotes when quotes arrive.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs, Wrap};
use rust_decimal::Decimal;

use super::jobs::{Done, Job, Kind};
use super::panes::{self, Handled, Pane, View};
use super::portfolio::{Portfolio, Valued};
use super::quotes::{Quotes, age, age_changes_at};
use super::theme::Theme;
use super::ticket::{Action as TicketAction, Selection, TicketForm};
use super::widgets::{centered, popup_scrolled};
use crate::analytics::anomaly::{Check, Finding, Severity};
use crate::app::anomalies::AnomaliesReport;
use crate::app::harvest::HarvestReport;
use crate::app::orders::OrdersReport;
use crate::app::risk::{RiskAnswer, RiskCharts};
use crate::domain::order::{BrokerKind, Side};
use crate::domain::{Quote, QuoteSource};
use crate::market::feed::{FeedEvent, FeedState};

/// Below this size the cockpit says the window is too small instead of drawing.
pub const MIN_WIDTH: u16 = 50;
pub const MIN_HEIGHT: u16 = 14;

/// How often the cockpit asks whether another process changed the database.
const VERSION_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(2);

/// How often what the gateway reported about working IBKR orders is applied while the cockpit
/// runs (the connection is kept; each look reads what it received since).
const SYNC_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(2);

/// What background work reports.
#[derive(Debug)]
pub enum Msg {
    /// A job's answer, with the number of the request it answers.
    Done {
        generation: u64,
        done: Done,
    },
    Feed(FeedEvent),
}

/// What the app asks the event loop to do.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Start the quote feed for these symbols, from these last closes.
    StartFeed {
        source: QuoteSource,
        symbols: Vec<String>,
        closes: HashMap<String, Decimal>,
    },
    PauseFeed(bool),
    /// Run a job; its answer comes back as [`Msg::Done`] with this generation.
    Job {
        generation: u64,
        job: Job,
    },
}

impl PartialEq for Effect {
    fn eq(&self, other: &Effect) -> bool {
        match (self, other) {
            (
                Effect::StartFeed {
                    source: a,
                    symbols: b,
                    closes: c,
                },
                Effect::StartFeed {
                    source: x,
                    symbols: y,
                    closes: z,
                },
            ) => a == x && b == y && c == z,
            (Effect::PauseFeed(a), Effect::PauseFeed(b)) => a == b,
            (Effect::Job { generation: a, .. }, Effect::Job { generation: b, .. }) => a == b,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overlay {
    None,
    Help,
    /// The alerts, scrolled by this many lines.
    Alerts(usize),
}

/// How the app was started: what the status bar says about the data.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The database, as shown in the status bar.
    pub db_label: String,
    /// ` --db PATH` when the cockpit was opened on a database named on the command line: the
    /// welcome screen's commands then import into it.
    pub db_flag: String,
    pub demo: bool,
    /// The feed that will run, if any.
    pub feed: Option<QuoteSource>,
    /// Where the ticket sends orders unless changed on it ([broker] default).
    pub broker: BrokerKind,
}

/// The Risk pane's report over a window, as last answered.
#[derive(Debug, Clone)]
pub struct RiskView {
    /// The window asked for.
    pub window: String,
    pub result: Result<Box<(RiskAnswer, RiskCharts)>, String>,
}

/// The panes' view of the app's data, from its fields (so that the panes themselves can be
/// borrowed mutably beside it).
macro_rules! view {
    ($app:ident, $p:expr) => {
        View {
            portfolio: $p,
            valued: &$app.valued,
            harvest: $app.harvest.as_ref(),
            risk: $app.risk.as_ref(),
            anomalies: $app.anomalies.as_ref(),
            orders: $app.orders.as_ref(),
            quotes: &$app.quotes,
            theme: $app.theme,
            now: $app.now,
        }
    };
}

pub struct App {
    setup: Setup,
    panes: Vec<Box<dyn Pane>>,
    current: usize,
    data: Option<Result<Portfolio, String>>,
    /// The holdings at the marks in force (recomputed when quotes arrive).
    valued: Valued,
    harvest: Option<Result<Box<HarvestReport>, String>>,
    risk: Option<RiskView>,
    anomalies: Option<Result<Box<AnomaliesReport>, String>>,
    /// The order journal, as last read.
    orders: Option<Result<Box<OrdersReport>, String>>,
    /// The order ticket, while it is open.
    ticket: Option<TicketForm>,
    /// When the ticket's preview was last asked for (a new quote asks again, at most each second).
    ticket_asked: Option<DateTime<Utc>>,
    /// When IBKR's open orders are asked about next.
    next_sync: Option<DateTime<Utc>>,
    quotes: Quotes,
    overlay: Overlay,
    theme: Theme,
    now: DateTime<Utc>,
    today: NaiveDate,
    paused: bool,
    /// The last failure to save quotes, shown in the status bar.
    save_error: Option<String>,
    effects: Vec<Effect>,
    /// The latest request of each kind: older answers are dropped.
    latest: HashMap<Kind, u64>,
    generation: u64,
    /// A quote save is running (they go one at a time, in order).
    saving_quotes: bool,
    /// The database's contents' version when last read, and when to look again.
    version: Option<u64>,
    next_version_check: Option<DateTime<Utc>>,
    /// When something time-based on screen changes next (a flash ends, an age ticks).
    wake_at: Option<DateTime<Utc>>,
    /// What needs attention, as of the last message (not rebuilt per frame).
    alerts: Vec<String>,
    pub quit: bool,
    /// Something changed since the last draw.
    pub dirty: bool,
}

impl App {
    /// The app, asking for the data at once (see [`App::take_effects`]).
    pub fn new(setup: Setup, theme: Theme, now: DateTime<Utc>, today: NaiveDate) -> App {
        let mut app = App {
            setup,
            panes: panes::all(),
            current: 0,
            data: None,
            valued: Valued::default(),
            harvest: None,
            risk: None,
            anomalies: None,
            orders: None,
            ticket: None,
            ticket_asked: None,
            next_sync: None,
            quotes: Quotes::default(),
            overlay: Overlay::None,
            theme,
            now,
            today,
            paused: false,
            save_error: None,
            effects: Vec::new(),
            latest: HashMap::new(),
            generation: 0,
            saving_quotes: false,
            version: None,
            next_version_check: None,
            wake_at: None,
            alerts: Vec::new(),
            quit: false,
            dirty: true,
        };
        app.request(Job::Version);
        app.request(Job::Load);
        app
    }

    /// Asks for a job; a newer request of its kind makes this one's answer stale.
    fn request(&mut self, job: Job) {
        self.generation += 1;
        self.latest.insert(job.kind(), self.generation);
        self.effects.push(Effect::Job {
            generation: self.generation,
            job,
        });
    }

    /// Moves the clock; marks the screen dirty when a flash ended or an age label changed.
    pub fn set_now(&mut self, now: DateTime<Utc>, today: NaiveDate) {
        self.now = now;
        self.today = today;
        // A pane with work going (a plan's run) redraws its progress while it is on screen.
        if self.panes[self.current].busy() {
            self.dirty = true;
        }
        if self.wake_at.is_some_and(|w| w <= now) {
            self.dirty = true;
        }
        if self.next_version_check.is_some_and(|t| t <= now) {
            self.next_version_check = None;
            self.request(Job::Version);
        }
        if self.next_sync.is_some_and(|t| t <= now) {
            self.next_sync = None;
            self.request(Job::SyncOrders);
        }
        self.plan_wake();
    }

    /// True while a pane has work running in the background.
    pub fn busy(&self) -> bool {
        self.panes.iter().any(|p| p.busy())
    }

    /// When the loop should wake even if nothing arrives.
    pub fn wake_at(&self) -> Option<DateTime<Utc>> {
        // A pane working in the background is looked at ten times a second.
        let busy = self
            .busy()
            .then(|| self.now + chrono::Duration::milliseconds(100));
        [self.wake_at, busy, self.next_version_check, self.next_sync]
            .into_iter()
            .flatten()
            .min()
    }

    fn plan_wake(&mut self) {
        let flash = self.quotes.expire(self.now);
        let age = self.quotes.newest().map(|t| age_changes_at(t, self.now));
        self.wake_at = [flash, age].into_iter().flatten().min();
    }

    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    /// Quotes not yet written, when no write is running: the loop saves them (one save at a
    /// time, so that they land in order).
    pub fn save_quotes(&mut self) {
        if self.saving_quotes || !self.quotes.has_unsaved() {
            return;
        }
        self.saving_quotes = true;
        let q = self.quotes.take_unsaved();
        self.request(Job::SaveQuotes(q));
    }

    pub fn take_unsaved_quotes(&mut self) -> Vec<Quote> {
        self.quotes.take_unsaved()
    }

    pub fn has_unsaved_quotes(&self) -> bool {
        self.quotes.has_unsaved()
    }

    /// A quote save is running.
    pub fn saving_quotes(&self) -> bool {
        self.saving_quotes
    }

    pub fn current_pane(&self) -> &'static str {
        self.panes[self.current].title()
    }

    pub fn update(&mut self, msg: Msg) {
        match msg {
            Msg::Done { generation, done } => self.done(generation, done),
            Msg::Feed(FeedEvent::Quotes(q)) => {
                self.work_paper(&q);
                self.quote_for_ticket(&q);
                self.quotes.apply(q, self.now);
                self.revalue();
            }
            Msg::Feed(FeedEvent::State(s)) => self.quotes.state = Some(s),
            Msg::Feed(FeedEvent::Accounts(a)) => self.quotes.accounts = a,
            Msg::Feed(FeedEvent::SymbolError { symbol, message }) => {
                self.quotes.errors.insert(symbol, message);
            }
        }
        self.alerts = self.find_alerts();
        self.plan_wake();
        self.dirty = true;
    }

    fn done(&mut self, generation: u64, done: Done) {
        let kind = done.kind();
        if let Done::SavedQuotes(r) = &done {
            // Every save counts, in order; only the error shown is the latest.
            self.saving_quotes = false;
            self.save_error = r.as_ref().err().cloned();
            return;
        }
        // Every answer that orders changed counts (the latest is not enough: each says so).
        if let Done::Worked(r) = &done {
            if r.as_ref().is_ok_and(|changed| *changed) {
                self.orders_changed();
            }
            return;
        }
        // A chat question's events all count (each is a piece of the answer).
        if kind != Kind::Chat && self.latest.get(&kind) != Some(&generation) {
            return;
        }
        match done {
            Done::Loaded(Ok(p)) => self.loaded(*p),
            Done::Loaded(Err(e)) => self.data = Some(Err(e)),
            Done::Harvest(r) => self.harvest = Some(r),
            Done::Risk { window, result } => self.risk = Some(RiskView { window, result }),
            Done::Anomalies(r) => self.anomalies = Some(r),
            Done::Orders(r) => {
                let ibkr_open = r.as_ref().is_ok_and(|o| {
                    o.orders
                        .iter()
                        .any(|x| x.broker == BrokerKind::Ibkr && x.state.is_open())
                });
                self.next_sync = ibkr_open.then(|| self.now + SYNC_EVERY);
                self.orders = Some(r);
            }
            Done::Ticket(r) => {
                if let Some(t) = &mut self.ticket {
                    t.set_preview(r);
                }
            }
            Done::WhatIf(r) => {
                if let Some(t) = &mut self.ticket {
                    t.set_what_if(r);
                }
            }
            Done::Placed(r) => {
                if let Some(t) = &mut self.ticket {
                    t.sent(r);
                }
                self.orders_changed();
            }
            Done::Cancelled(r) => {
                self.orders_changed();
                let mut jobs = Vec::new();
                if let Some(Ok(p)) = &self.data {
                    let view = view!(self, p);
                    let done = Done::Cancelled(r);
                    for pane in &mut self.panes {
                        pane.done(&done, &view, &mut jobs);
                    }
                }
                for j in jobs {
                    self.request(j);
                }
            }
            Done::Version(r) => {
                if let Ok(v) = r {
                    // Another process wrote (an import in another shell): read everything again.
                    if self.version.is_some_and(|old| old != v) {
                        self.refresh();
                    }
                    self.version = Some(v);
                }
                self.next_version_check = Some(self.now + VERSION_EVERY);
            }
            other => {
                let mut jobs = Vec::new();
                if let Some(Ok(p)) = &self.data {
                    let view = view!(self, p);
                    for pane in &mut self.panes {
                        pane.done(&other, &view, &mut jobs);
                    }
                }
                for j in jobs {
                    self.request(j);
                }
            }
        }
    }

    /// Stops the panes' background work (the cockpit is closing).
    pub fn cancel_work(&mut self) {
        for pane in &mut self.panes {
            pane.cancel();
        }
    }

    /// Reads everything again (the refresh key, or a change made by another process).
    pub fn refresh(&mut self) {
        self.request(Job::Load);
    }

    fn loaded(&mut self, p: Portfolio) {
        let first = !matches!(self.data, Some(Ok(_)));
        if first {
            // Quotes left by an earlier session: real ones newer than the closes only.
            let stored = p
                .stored_quotes
                .iter()
                .filter(|q| q.source != QuoteSource::Simulated)
                .filter(|q| {
                    p.base
                        .marks
                        .get(&q.symbol)
                        .is_none_or(|m| q.time.date_naive() > m.date)
                })
                .cloned()
                .collect();
            self.quotes.restore(stored);
            let symbols = p.held_symbols().to_vec();
            if let Some(source) = self.setup.feed
                && !symbols.is_empty()
            {
                self.quotes.source = Some(source);
                self.effects.push(Effect::StartFeed {
                    source,
                    symbols,
                    closes: p.last_closes(),
                });
            }
        }
        self.data = Some(Ok(p));
        self.revalue();
        self.request(Job::Orders);
        // The analyses follow the data they were computed from (the Risk pane asks for its
        // window, the Plan pane for its run).
        self.request(Job::Harvest);
        self.request(Job::Anomalies);
        let mut jobs = Vec::new();
        if let Some(Ok(p)) = &self.data {
            let view = view!(self, p);
            for pane in &mut self.panes {
                pane.loaded(&view, &mut jobs);
            }
        }
        for j in jobs {
            self.request(j);
        }
    }

    fn revalue(&mut self) {
        if let Some(Ok(p)) = &self.data {
            self.valued = Valued::at(p, &self.quotes.latest);
        }
    }

    fn portfolio(&self) -> Option<&Portfolio> {
        self.data.as_ref().and_then(|d| d.as_ref().ok())
    }

    /// Whether the panes have something to show (data loaded and not empty, or the demo).
    fn ready(&self) -> bool {
        self.portfolio().is_some_and(|p| !p.is_empty())
    }

    pub fn key(&mut self, key: KeyEvent) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        let was_dirty = self.dirty;
        self.dirty = true;
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && matches!(key.code, KeyCode::Char('c')) {
            self.quit = true;
            return;
        }
        if let Overlay::Alerts(scroll) = self.overlay {
            let n = self.alerts.len();
            let page = 10;
            let scroll = match key.code {
                KeyCode::Down | KeyCode::Char('j') => scroll + 1,
                KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
                KeyCode::PageDown | KeyCode::Char(' ') => scroll + page,
                KeyCode::PageUp => scroll.saturating_sub(page),
                KeyCode::Home | KeyCode::Char('g') => 0,
                KeyCode::End | KeyCode::Char('G') => n,
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('a') | KeyCode::Char('?') => {
                    self.overlay = Overlay::None;
                    return;
                }
                KeyCode::Char('q') => {
                    self.quit = true;
                    return;
                }
                _ => {
                    self.dirty = was_dirty;
                    return;
                }
            };
            self.overlay = Overlay::Alerts(scroll.min(n.saturating_sub(1)));
            return;
        }
        if self.ticket.is_some() {
            self.ticket_key(key);
            return;
        }
        if self.overlay == Overlay::Help {
            match key.code {
                KeyCode::Esc | KeyCode::Char('?') | KeyCode::Enter => self.overlay = Overlay::None,
                KeyCode::Char('q') => self.quit = true,
                _ => {}
            }
            return;
        }
        let typing = self.ready() && self.panes[self.current].typing();
        // Outside a text field, Ctrl and Alt chords are not pane keys (Ctrl-S is not `s`).
        if !typing
            && key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            self.dirty = was_dirty;
            return;
        }
        if !typing && self.global_key(key) {
            return;
        }
        if !self.ready() {
            return;
        }
        if !typing && let KeyCode::Char(c @ ('b' | 's')) = key.code {
            let side = if c == 'b' { Side::Buy } else { Side::Sell };
            let sel = match &self.data {
                Some(Ok(p)) => {
                    let view = view!(self, p);
                    self.panes[self.current].selection(&view)
                }
                _ => None,
            };
            if let Some(mut sel) = sel {
                // A harvest's buy is of its replacement.
                if side == Side::Buy
                    && let Some(r) = sel.replacement.take()
                {
                    sel = Selection {
                        symbol: r,
                        account: sel.account,
                        ..Selection::default()
                    };
                }
                self.open_ticket(side, &sel);
                return;
            }
        }
        let mut jobs = Vec::new();
        let handled = match &self.data {
            Some(Ok(p)) => {
                let view = view!(self, p);
                self.panes[self.current].key(key, &view, &mut jobs)
            }
            _ => Handled::No,
        };
        for j in jobs {
            self.request(j);
        }
        // An order the pane drafted (the chat's) opens in the ticket, to be confirmed there.
        if let Some(draft) = self.panes[self.current].take_order() {
            self.ticket = Some(TicketForm::prefilled(&draft, self.setup.broker));
            self.ask_ticket();
            return;
        }
        if handled == Handled::No {
            self.dirty = was_dirty;
        }
    }

    fn global_key(&mut self, key: KeyEvent) -> bool {
        match key.code {
            KeyCode::Char('q') => self.quit = true,
            KeyCode::Char('?') => self.overlay = Overlay::Help,
            KeyCode::Char('a') => self.overlay = Overlay::Alerts(0),
            KeyCode::Char('R') | KeyCode::F(5) => self.refresh(),
            KeyCode::Char('p') if self.quotes.source.is_some() => {
                self.paused = !self.paused;
                self.effects.push(Effect::PauseFeed(self.paused));
            }
            KeyCode::Tab => self.current = (self.current + 1) % self.panes.len(),
            KeyCode::BackTab => {
                self.current = (self.current + self.panes.len() - 1) % self.panes.len()
            }
            KeyCode::Char(c @ '1'..='9') => {
                let i = c as usize - '1' as usize;
                if i < self.panes.len() {
                    self.current = i;
                }
            }
            _ => return false,
        }
        true
    }

    /// Opens the order ticket for `side` of `sel`, a limit at the quote's touch when there is
    /// one.
    fn open_ticket(&mut self, side: Side, sel: &Selection) {
        let quote = self.quotes.latest.get(&sel.symbol);
        let reference = quote.map(|q| crate::domain::order::touch(side, q));
        let broker = self.setup.broker;
        self.ticket = Some(TicketForm::new(side, sel, reference, broker));
        self.ask_ticket();
    }

    /// Asks for the ticket's preview at the latest quote.
    fn ask_ticket(&mut self) {
        let Some(t) = &self.ticket else { return };
        let Ok(params) = t.params() else { return };
        let quote = self.quotes.latest.get(&params.symbol).cloned();
        self.ticket_asked = Some(self.now);
        self.request(Job::Ticket {
            params: Box::new(params),
            quote,
            now: self.now,
        });
    }

    fn ticket_key(&mut self, key: KeyEvent) {
        let Some(t) = &mut self.ticket else { return };
        match t.key(key) {
            TicketAction::None => {}
            TicketAction::Changed => self.ask_ticket(),
            TicketAction::Close => self.ticket = None,
            TicketAction::Confirming => {
                if let Some(r) = t.confirming().cloned() {
                    self.request(Job::WhatIf(Box::new(r)));
                }
            }
            TicketAction::Replacement(sel) => self.open_ticket(Side::Buy, &sel),
            TicketAction::Send(confirmation) => {
                let ready = match (t.params(), &t.preview) {
                    (Ok(params), Some(Ok(shown))) => Some((params, shown.clone())),
                    _ => None,
                };
                match ready {
                    Some((params, shown)) => {
                        let quote = self.quotes.latest.get(&params.symbol).cloned();
                        let now = self.now;
                        self.request(Job::PlaceOrder {
                            params: Box::new(params),
                            quote,
                            now,
                            shown,
                            confirmation,
                        });
                    }
                    None => t.sent(Err("the ticket has no preview to send".into())),
                }
            }
        }
    }

    /// A new quote for the ticket's symbol refreshes its preview (at most once a second).
    fn quote_for_ticket(&mut self, quotes: &[Quote]) {
        let Some(t) = &self.ticket else { return };
        if !t.editing() || !quotes.iter().any(|q| q.symbol == t.symbol()) {
            return;
        }
        if self
            .ticket_asked
            .is_none_or(|at| self.now - at >= chrono::Duration::seconds(1))
        {
            self.ask_ticket();
        }
    }

    /// Open paper orders are worked against the quotes of their symbols as they arrive.
    fn work_paper(&mut self, quotes: &[Quote]) {
        let Some(Ok(o)) = &self.orders else { return };
        let symbols: Vec<&str> = o
            .orders
            .iter()
            .filter(|x| x.broker == BrokerKind::Paper && x.state.is_open())
            .map(|x| x.request.symbol.as_str())
            .collect();
        let mine: Vec<Quote> = quotes
            .iter()
            .filter(|q| symbols.contains(&q.symbol.as_str()))
            .cloned()
            .collect();
        if !mine.is_empty() {
            self.request(Job::WorkPaper(mine));
        }
    }

    /// Orders changed (a fill, a cancel, a new order): the journal and the book are read again.
    fn orders_changed(&mut self) {
        self.request(Job::Orders);
        self.refresh();
    }

    /// Everything that needs a person's attention, one line per kind of problem.
    pub fn alerts(&self) -> &[String] {
        &self.alerts
    }

    fn find_alerts(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(p) = self.portfolio() {
            out.extend(p.warnings.iter().map(|w| {
                let mut w = w.clone();
                if let Some(c) = w.get_mut(0..1) {
                    c.make_ascii_uppercase();
                }
                w
            }));
            let unpriced: Vec<&str> = p
                .held_symbols()
                .iter()
                .filter(|s| !self.valued.marks.contains_key(*s))
                .map(String::as_str)
                .collect();
            if !unpriced.is_empty() {
                out.push(format!(
                    "{} {} no price and {} left out of the totals: {} (folio prices import FILE)",
                    count(unpriced.len(), "holding"),
                    if unpriced.len() == 1 { "has" } else { "have" },
                    if unpriced.len() == 1 { "is" } else { "are" },
                    unpriced.join(", ")
                ));
            }
            // The Risk pane's findings that need attention (info ones stay in the pane).
            if let Some(Ok(a)) = &self.anomalies {
                out.extend(risk_alerts(a));
            }
        }
        // Symbols the feed cannot stream, grouped by reason.
        let mut by_reason: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (symbol, message) in &self.quotes.errors {
            by_reason.entry(message).or_default().push(symbol);
        }
        for (message, symbols) in by_reason {
            out.push(format!("Quotes for {}: {message}", symbols.join(", ")));
        }
        if let Some(e) = &self.save_error {
            out.push(format!("Quotes could not be saved: {e}"));
        }
        out
    }

    pub fn draw(&mut self, f: &mut Frame) {
        self.dirty = false;
        let area = f.area();
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            let text = format!(
                "The window is too small ({}x{}). folio needs at least {MIN_WIDTH}x{MIN_HEIGHT}. Enlarge it, or press q to quit.",
                area.width, area.height
            );
            f.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: true })
                    .alignment(Alignment::Center),
                area,
            );
            return;
        }
        let [tabs, body, status] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(area);
        self.draw_tabs(f, tabs);
        self.draw_status(f, status);
        match &self.data {
            None => f.render_widget(
                Paragraph::new(format!("Reading {}…", self.setup.db_label)).style(self.theme.dim()),
                body,
            ),
            Some(Err(e)) => f.render_widget(
                Paragraph::new(vec![
                    Line::styled("The database could not be read.", self.theme.error()),
                    Line::raw(""),
                    Line::raw(e.clone()),
                    Line::raw(""),
                    Line::raw("Press q to quit. `folio --db PATH` opens another database."),
                ])
                .wrap(Wrap { trim: true }),
                body,
            ),
            Some(Ok(p)) if p.is_empty() => self.draw_welcome(f, body),
            Some(Ok(p)) => {
                let view = view!(self, p);
                self.panes[self.current].draw(f, body, &view);
            }
        }
        if let Some(t) = &self.ticket {
            t.draw(f, area, self.theme);
        }
        match self.overlay {
            Overlay::None => {}
            Overlay::Help => {
                popup_scrolled(f, area, "Keys", self.help_lines(), 0, self.theme);
            }
            Overlay::Alerts(scroll) => {
                let lines = if self.alerts.is_empty() {
                    vec![Line::raw("Nothing needs your attention.")]
                } else {
                    self.alerts.iter().cloned().map(Line::raw).collect()
                };
                let shown = popup_scrolled(f, area, "Alerts", lines, scroll, self.theme);
                self.overlay = Overlay::Alerts(shown);
            }
        }
    }

    fn draw_tabs(&self, f: &mut Frame, area: Rect) {
        let titles: Vec<Line> = self
            .panes
            .iter()
            .enumerate()
            .map(|(i, p)| Line::from(format!("{} {}", i + 1, p.title())))
            .collect();
        // The tabs (one space between them) come first: the tag shortens to leave them room
        // (at 80 columns the demo's is " demo ", and the status bar names the database).
        let tabs_w = titles.iter().map(Line::width).sum::<usize>() + titles.len() - 1;
        let room = usize::from(area.width).saturating_sub(tabs_w);
        let (full, short) = if self.setup.demo {
            (" folio demo ", " demo ")
        } else {
            (" folio ", "")
        };
        let tag = if room >= full.len() { full } else { short };
        let [left, right] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Length(tag.len() as u16)])
                .areas(area);
        f.render_widget(
            Tabs::new(titles)
                .select(self.current)
                .highlight_style(self.theme.tab(true))
                .divider(" ")
                .padding("", ""),
            left,
        );
        f.render_widget(Span::styled(tag, self.theme.accent()), right);
    }

    fn draw_status(&self, f: &mut Frame, area: Rect) {
        let t = self.theme;
        let sep = || Span::styled(" │ ", t.dim());
        let mut spans = vec![Span::raw(self.setup.db_label.clone()), sep()];
        let quotes = match (&self.quotes.source, &self.quotes.state) {
            (None, _) => Span::styled("quotes off: last close", t.dim()),
            (Some(s), None) => Span::raw(format!("{s}: starting")),
            (Some(QuoteSource::Simulated), Some(FeedState::Simulated)) => {
                Span::styled("simulated quotes", t.warn())
            }
            (Some(s), Some(state)) => {
                let style = match state {
                    FeedState::Connected => t.gain(),
                    FeedState::Offline(_) | FeedState::Interrupted(_) => t.error(),
                    _ => t.warn(),
                };
                Span::styled(format!("{s}: {}", state.label()), style)
            }
        };
        spans.push(quotes);
        if let Some(newest) = self.quotes.newest() {
            spans.push(Span::raw(format!(" {}", age(newest, self.now))));
        }
        spans.push(sep());
        let n = self.alerts().len();
        spans.push(match n {
            0 => Span::styled("no alerts", t.dim()),
            1 => Span::styled("1 alert (a)", t.warn()),
            n => Span::styled(format!("{n} alerts (a)"), t.warn()),
        });
        let line = Line::from(spans);
        let hint = Span::styled("  ? help  q quit ", t.dim());
        if line.width() + hint.width() <= usize::from(area.width) {
            let [left, right] =
                Layout::horizontal([Constraint::Fill(1), Constraint::Length(hint.width() as u16)])
                    .areas(area);
            f.render_widget(line, left);
            f.render_widget(hint, right);
        } else {
            f.render_widget(line, area);
        }
    }

    fn help_lines(&self) -> Vec<Line<'static>> {
        let t = self.theme;
        let key = |k: &str, what: &str| {
            Line::from(vec![
                Span::styled(format!("{k:<14}"), t.accent()),
                Span::raw(what.to_string()),
            ])
        };
        let pane = &self.panes[self.current];
        let mut lines = vec![Line::styled(pane.title().to_string(), t.header())];
        lines.extend(pane.help().iter().map(|(k, w)| key(k, w)));
        lines.push(Line::raw(""));
        lines.push(Line::styled("Everywhere", t.header()));
        let names: Vec<String> = self
            .panes
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{} {}", i + 1, p.title()))
            .collect();
        // As the tab bar says it, in lines that fit 80 columns beside the keys.
        let mut rows: Vec<String> = Vec::new();
        for name in names {
            match rows.last_mut() {
                Some(row) if row.chars().count() + 1 + name.chars().count() <= 60 => {
                    row.push(' ');
                    row.push_str(&name);
                }
                _ => rows.push(name),
            }
        }
        let numbers = format!("1-{}", self.panes.len().min(9));
        for (i, row) in rows.iter().enumerate() {
            lines.push(key(if i == 0 { &numbers } else { "" }, row));
        }
        lines.push(key("Tab Shift-Tab", "next / previous pane"));
        if self.quotes.source.is_some() {
            lines.push(key("p", "pause / resume quotes"));
        }
        lines.push(key("a", "alerts (↑ ↓ PgUp PgDn scroll them)"));
        lines.push(key("R F5", "read the database again"));
        lines.push(key("?", "this help"));
        lines.push(key("q Ctrl-C", "quit"));
        lines
    }

    fn draw_welcome(&self, f: &mut Frame, area: Rect) {
        let t = self.theme;
        let db = &self.setup.db_flag;
        let cmd = |c: String, what: &str| {
            [
                Line::styled(format!("  {c}"), t.accent()),
                Line::styled(format!("      {what}"), t.dim()),
            ]
        };
        let lines: Vec<Line> = [
            vec![
                Line::styled("Welcome to folio", t.header()),
                Line::raw(""),
                Line::raw(format!("{} has no transactions yet.", self.setup.db_label)),
                Line::raw("Import your history from another shell (the cockpit reads it"),
                Line::raw("as it arrives), or quit with q first:"),
                Line::raw(""),
            ],
            cmd(
                format!("folio{db} import transactions.csv"),
                "folio's own CSV format (see the README)",
            )
            .to_vec(),
            cmd(
                format!("folio{db} import --format ibkr-flex statement.csv"),
                "an Interactive Brokers Flex Query export",
            )
            .to_vec(),
            cmd(
                format!("folio{db} prices import closes.csv"),
                "daily closes, to value the holdings",
            )
            .to_vec(),
            vec![
                Line::raw(""),
                Line::raw("Or try every pane on a sample portfolio:"),
                Line::raw(""),
            ],
            cmd("folio --demo".into(), "simulated prices; nothing is saved").to_vec(),
        ]
        .concat();
        let width = lines.iter().map(Line::width).max().unwrap_or(0) as u16;
        let r = centered(area, width, lines.len() as u16);
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), r);
    }
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// The anomaly findings that need attention, one line per kind: prices that stopped on one
/// day in one line, every other check's findings together when there are several.
fn risk_alerts(a: &AnomaliesReport) -> Vec<String> {
    let serious: Vec<_> = a
        .report
        .findings
        .iter()
        .filter(|x| x.severity >= Severity::Warning)
        .collect();
    let mut out = Vec::new();
    // Stale prices, by the day they stopped (None: no price at all).
    let mut stale: BTreeMap<Option<NaiveDate>, Vec<&str>> = BTreeMap::new();
    let mut by_check: Vec<(Check, Vec<&Finding>)> = Vec::new();
    for x in serious {
        if x.check == Check::StaleQuote {
            let day = x.value.is_finite().then_some(x.date);
            stale.entry(day).or_default().push(&x.subject);
            continue;
        }
        match by_check.iter_mut().find(|(c, _)| *c == x.check) {
            Some((_, v)) => v.push(x),
            None => by_check.push((x.check, vec![x])),
        }
    }
    for (day, symbols) in stale {
        let n = symbols.len();
        out.push(match day {
            Some(d) => format!(
                "Risk: {} {} no price since {d}: {} (import newer prices or connect a quote source)",
                count(n, "holding"),
                if n == 1 { "has" } else { "have" },
                symbols.join(", ")
            ),
            None => format!(
                "Risk: {} {} no price at all: {} (folio prices import FILE)",
                count(n, "holding"),
                if n == 1 { "has" } else { "have" },
                symbols.join(", ")
            ),
        });
    }
    for (_, found) in by_check {
        if let [one] = found.as_slice() {
            out.push(format!("Risk: {}", one.reason));
            continue;
        }
        // The worst in full, the others named (the Risk pane lists each).
        let mut others: Vec<&str> = found[1..]
            .iter()
            .map(|x| x.subject.as_str())
            .filter(|s| *s != found[0].subject)
            .collect();
        others.dedup();
        out.push(if others.is_empty() {
            format!("Risk: {} ({} days like it)", found[0].reason, found.len())
        } else {
            format!("Risk: {} (also {})", found[0].reason, others.join(", "))
        });
    }
    out
}
