//! The cockpit's state: panes, data, quotes, overlays. Pure of IO: the event loop (`super::run`)
//! feeds it keys and messages, carries out the [`Effect`]s it asks for, and draws it.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs, Wrap};
use rust_decimal::Decimal;

use super::panes::{self, Handled, Pane, View};
use super::portfolio::{Mark, Portfolio, marks};
use super::quotes::{Quotes, age, age_changes_at};
use super::theme::Theme;
use super::widgets::{centered, popup};
use crate::domain::{Quote, QuoteSource};
use crate::market::feed::{FeedEvent, FeedState};

/// Below this size the cockpit says the window is too small instead of drawing.
pub const MIN_WIDTH: u16 = 50;
pub const MIN_HEIGHT: u16 = 14;

/// What background work reports.
#[derive(Debug)]
pub enum Msg {
    /// The database was read (or could not be).
    Loaded(Result<Box<Portfolio>, String>),
    Feed(FeedEvent),
    /// Writing quotes back to the database failed.
    SaveFailed(String),
}

/// What the app asks the event loop to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Start the quote feed for these symbols, from these last closes.
    StartFeed {
        source: QuoteSource,
        symbols: Vec<String>,
        closes: HashMap<String, Decimal>,
    },
    PauseFeed(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overlay {
    None,
    Help,
    Alerts,
}

/// How the app was started: what the status bar says about the data.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The database, as shown in the status bar.
    pub db_label: String,
    pub demo: bool,
    /// The feed that will run, if any.
    pub feed: Option<QuoteSource>,
}

pub struct App {
    setup: Setup,
    panes: Vec<Box<dyn Pane>>,
    current: usize,
    data: Option<Result<Portfolio, String>>,
    quotes: Quotes,
    marks: HashMap<String, Mark>,
    overlay: Overlay,
    theme: Theme,
    now: DateTime<Utc>,
    today: NaiveDate,
    paused: bool,
    /// The last failure to save quotes, shown in the status bar.
    save_error: Option<String>,
    effects: Vec<Effect>,
    /// When something time-based on screen changes next (a flash ends, an age ticks).
    wake_at: Option<DateTime<Utc>>,
    pub quit: bool,
    /// Something changed since the last draw.
    pub dirty: bool,
}

impl App {
    pub fn new(setup: Setup, theme: Theme, now: DateTime<Utc>, today: NaiveDate) -> App {
        App {
            setup,
            panes: panes::all(),
            current: 0,
            data: None,
            quotes: Quotes::default(),
            marks: HashMap::new(),
            overlay: Overlay::None,
            theme,
            now,
            today,
            paused: false,
            save_error: None,
            effects: Vec::new(),
            wake_at: None,
            quit: false,
            dirty: true,
        }
    }

    /// Moves the clock; marks the screen dirty when a flash ended or an age label changed.
    pub fn set_now(&mut self, now: DateTime<Utc>, today: NaiveDate) {
        self.now = now;
        self.today = today;
        // Background work of the panes (a plan's run): take in what finished, move gauges;
        // the screen changes only when it is the pane on it.
        for (i, pane) in self.panes.iter_mut().enumerate() {
            if pane.poll() && i == self.current {
                self.dirty = true;
            }
        }
        if self.wake_at.is_some_and(|w| w <= now) {
            self.dirty = true;
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
        [self.wake_at, busy].into_iter().flatten().min()
    }

    fn plan_wake(&mut self) {
        let flash = self.quotes.expire(self.now);
        let age = self.quotes.newest().map(|t| age_changes_at(t, self.now));
        self.wake_at = [flash, age].into_iter().flatten().min();
    }

    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    pub fn take_unsaved_quotes(&mut self) -> Vec<Quote> {
        self.quotes.take_unsaved()
    }

    pub fn has_unsaved_quotes(&self) -> bool {
        self.quotes.has_unsaved()
    }

    pub fn current_pane(&self) -> &'static str {
        self.panes[self.current].title()
    }

    pub fn update(&mut self, msg: Msg) {
        match msg {
            Msg::Loaded(Ok(p)) => {
                let p = *p;
                // Quotes left by an earlier session: real ones newer than the closes only.
                let stored = p
                    .stored_quotes
                    .iter()
                    .filter(|q| q.source != QuoteSource::Simulated)
                    .filter(|q| {
                        p.closes
                            .get(&q.symbol)
                            .and_then(|c| c.last())
                            .is_none_or(|(d, _)| q.time.date_naive() > *d)
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
                self.data = Some(Ok(p));
                self.revalue();
            }
            Msg::Loaded(Err(e)) => self.data = Some(Err(e)),
            Msg::Feed(FeedEvent::Quotes(q)) => {
                self.quotes.apply(q, self.now);
                self.revalue();
            }
            Msg::Feed(FeedEvent::State(s)) => self.quotes.state = Some(s),
            Msg::Feed(FeedEvent::Accounts(a)) => self.quotes.accounts = a,
            Msg::Feed(FeedEvent::SymbolError { symbol, message }) => {
                self.quotes.errors.insert(symbol, message);
            }
            Msg::SaveFailed(e) => self.save_error = Some(e),
        }
        self.plan_wake();
        self.dirty = true;
    }

    fn revalue(&mut self) {
        if let Some(Ok(p)) = &self.data {
            self.marks = marks(p, &self.quotes.latest);
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
        if self.overlay != Overlay::None {
            match key.code {
                KeyCode::Esc | KeyCode::Char('?') | KeyCode::Enter => self.overlay = Overlay::None,
                KeyCode::Char('a') if self.overlay == Overlay::Alerts => {
                    self.overlay = Overlay::None
                }
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
        if self.with_pane(|pane, view| pane.key(key, view)) == Some(Handled::No) {
            self.dirty = was_dirty;
        }
    }

    /// Runs `f` on the current pane with a view of the loaded data (None before it arrives).
    fn with_pane<R>(&mut self, f: impl FnOnce(&mut dyn Pane, &View) -> R) -> Option<R> {
        let Some(Ok(portfolio)) = self.data.as_ref() else {
            return None;
        };
        let view = View {
            portfolio,
            quotes: &self.quotes,
            marks: &self.marks,
            theme: self.theme,
            now: self.now,
            today: self.today,
        };
        Some(f(self.panes[self.current].as_mut(), &view))
    }

    fn global_key(&mut self, key: KeyEvent) -> bool {
        match key.code {
            KeyCode::Char('q') => self.quit = true,
            KeyCode::Char('?') => self.overlay = Overlay::Help,
            KeyCode::Char('a') => self.overlay = Overlay::Alerts,
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

    /// Everything that needs a person's attention, one line each.
    pub fn alerts(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(p) = self.portfolio() {
            for e in &p.ledger_errors {
                out.push(format!(
                    "Transaction #{} cannot be applied and is left out: {}",
                    e.id, e.message
                ));
            }
            for symbol in p.held_symbols() {
                if !self.marks.contains_key(symbol) {
                    out.push(format!(
                        "{symbol} has no price: it is left out of the totals (folio prices import FILE)"
                    ));
                }
            }
            // The Risk pane's findings that need attention (info ones stay in the pane).
            if let Some(a) = &p.risk {
                for x in a
                    .anomalies
                    .findings
                    .iter()
                    .filter(|x| x.severity >= crate::analytics::anomaly::Severity::Warning)
                {
                    out.push(format!("Risk: {}", x.reason));
                }
            }
        }
        for (symbol, message) in &self.quotes.errors {
            out.push(format!("Quotes for {symbol}: {message}"));
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
            Some(Ok(_)) => {
                self.with_pane(|pane, view| pane.draw(f, body, view));
            }
        }
        match self.overlay {
            Overlay::None => {}
            Overlay::Help => popup(f, area, "Keys", self.help_lines(), self.theme),
            Overlay::Alerts => {
                let alerts = self.alerts();
                let lines = if alerts.is_empty() {
                    vec![Line::raw("Nothing needs your attention.")]
                } else {
                    alerts.into_iter().map(Line::raw).collect()
                };
                popup(f, area, "Alerts", lines, self.theme)
            }
        }
    }

    fn draw_tabs(&self, f: &mut Frame, area: Rect) {
        let titles = self
            .panes
            .iter()
            .enumerate()
            .map(|(i, p)| Line::from(format!("{} {}", i + 1, p.title())));
        let tag = if self.setup.demo {
            " folio demo "
        } else {
            " folio "
        };
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
        lines.push(key("1-9", &names.join(", ")));
        lines.push(key("Tab Shift-Tab", "next / previous pane"));
        if self.quotes.source.is_some() {
            lines.push(key("p", "pause / resume quotes"));
        }
        lines.push(key("a", "alerts"));
        lines.push(key("?", "this help"));
        lines.push(key("q Ctrl-C", "quit"));
        lines
    }

    fn draw_welcome(&self, f: &mut Frame, area: Rect) {
        let t = self.theme;
        let cmd = |c: &str, what: &str| {
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
                Line::raw("Import your history (quit with q first):"),
                Line::raw(""),
            ],
            cmd(
                "folio import transactions.csv",
                "folio's own CSV format (see the README)",
            )
            .to_vec(),
            cmd(
                "folio import --format ibkr-flex statement.csv",
                "an Interactive Brokers Flex Query export",
            )
            .to_vec(),
            cmd(
                "folio prices import closes.csv",
                "daily closes, to value the holdings",
            )
            .to_vec(),
            vec![
                Line::raw(""),
                Line::raw("Or try every pane on a sample portfolio:"),
                Line::raw(""),
            ],
            cmd("folio --demo", "simulated prices; nothing is saved").to_vec(),
        ]
        .concat();
        let width = lines.iter().map(Line::width).max().unwrap_or(0) as u16;
        let r = centered(area, width, lines.len() as u16);
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), r);
    }
}
