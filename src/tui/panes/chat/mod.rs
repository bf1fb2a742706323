//! Chat: ask folio about the portfolio in words. A question goes to the chat backend
//! (`app::chat`: the configured model, or the offline assistant in the demo) as a job whose
//! events stream back one message at a time: the tool calls appear as they run, the answer as
//! it is written, laid out from its markdown, its unverified figures underlined. The title
//! says who answers and whether the figures leave the machine. Threads are kept in the
//! database: `t` lists them and opens one, and further questions continue it. An order the
//! model drafted opens in the ticket with `o`, to be confirmed there as always.

mod markdown;
mod transcript;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui_textarea::TextArea;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub use transcript::Transcript;

use super::{Handled, Pane, Prefill, Selection, View};
use crate::ai::Event;
use crate::ai::provider::Choice;
use crate::app::chat::ThreadRow;
use crate::domain::order::{BrokerKind, OrderType, Side, Tif};
use crate::domain::{Named, Relief};
use crate::tui::jobs::{ChatWho, Done, Job};
use crate::tui::theme::Theme;
use crate::tui::widgets::{Cursor, centered};

const HELP: &[(&str, &str)] = &[
    ("i / Enter", "type a question; Enter sends it"),
    ("Esc", "cancel the answer being written; stop typing"),
    (
        "↑ ↓ PgUp PgDn",
        "scroll the conversation (while typing too)",
    ),
    ("j k g G", "scroll; the top, the end"),
    ("x", "show / hide what the tools returned"),
    (
        "t",
        "stored threads: Enter opens one; questions continue it",
    ),
    ("n", "start a new thread"),
    (
        "o",
        "open the drafted order in the ticket (confirm it there)",
    ),
];

/// The question being answered.
struct Running {
    ask: u64,
    cancel: CancellationToken,
    started: DateTime<Utc>,
    /// Esc was pressed: the pane said so and waits for the backend's last event.
    cancelled: bool,
}

/// The stored threads, listed by `t`.
struct Threads {
    rows: Option<Result<Vec<ThreadRow>, String>>,
    cursor: Cursor,
}

pub struct ChatPane {
    transcript: Transcript,
    input: TextArea<'static>,
    typing: bool,
    /// The thread questions go to (None: the next question starts one).
    thread: Option<i64>,
    thread_title: Option<String>,
    /// Who answers (asked at the pane's first key; each answer says again).
    who: Option<Result<ChatWho, String>>,
    asked_who: bool,
    asks: u64,
    running: Option<Running>,
    /// The first line shown (None: the end, following the answer as it streams).
    scroll: Option<usize>,
    /// Lines of the conversation and rows shown at the last draw (for the scroll keys).
    total: usize,
    height: usize,
    threads: Option<Threads>,
    /// The thread being opened.
    opening: Option<i64>,
    /// The last answer's drafted orders.
    drafts: Vec<Value>,
    /// The order `o` asked to open (the app takes it).
    order: Option<Prefill>,
    /// A line under the input (an error when true).
    message: Option<(String, bool)>,
}

impl Default for ChatPane {
    fn default() -> Self {
        ChatPane {
            transcript: Transcript::new(),
            input: TextArea::default(),
            typing: false,
            thread: None,
            thread_title: None,
            who: None,
            asked_who: false,
            asks: 0,
            running: None,
            scroll: None,
            total: 0,
            height: 0,
            threads: None,
            opening: None,
            drafts: Vec::new(),
            order: None,
            message: None,
        }
    }
}

/// What a drafted order's ticket says (the `ticket` of a `draft_order` result).
#[derive(Deserialize)]
struct Drafted {
    side: Side,
    symbol: String,
    quantity: Decimal,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    order_type: Option<OrderType>,
    #[serde(default)]
    limit: Option<Decimal>,
    #[serde(default)]
    stop: Option<Decimal>,
    #[serde(default)]
    tif: Tif,
    #[serde(default)]
    relief: Option<Relief>,
    #[serde(default)]
    broker: Option<BrokerKind>,
}

/// The ticket's fields for a drafted order (`Done.drafts`), if it can be read.
pub fn prefill(draft: &Value) -> Option<Prefill> {
    let t: Drafted = serde_json::from_value(draft.get("ticket")?.clone()).ok()?;
    let lots = t.relief.map(|r| match r {
        Relief::Method(m) => m.as_str().to_string(),
        Relief::Lots(days) => days
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(","),
    });
    let kind = t.order_type.unwrap_or(if t.limit.is_some() {
        OrderType::Limit
    } else {
        OrderType::Market
    });
    Some(Prefill {
        side: t.side,
        selection: Selection {
            symbol: t.symbol,
            account: t.account.filter(|a| !a.is_empty()),
            quantity: Some(t.quantity),
            lots,
            replacement: None,
        },
        kind,
        limit: t.limit,
        stop: t.stop,
        tif: t.tif,
        broker: t.broker,
    })
}

/// A drafted order in words: `sell 10 VTI, limit 250 (IRA)`.
pub fn describe(p: &Prefill) -> String {
    let side = match p.side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    };
    let mut s = format!(
        "{side} {} {}",
        p.selection.quantity.unwrap_or_default().normalize(),
        p.selection.symbol
    );
    match (p.kind, p.limit, p.stop) {
        (OrderType::Limit, Some(l), _) => s.push_str(&format!(", limit {}", l.normalize())),
        (OrderType::Stop, _, Some(st)) => s.push_str(&format!(", stop {}", st.normalize())),
        (OrderType::StopLimit, Some(l), Some(st)) => s.push_str(&format!(
            ", stop {} limit {}",
            st.normalize(),
            l.normalize()
        )),
        _ => s.push_str(&format!(", {}", p.kind.name())),
    }
    if let Some(a) = &p.selection.account {
        s.push_str(&format!(" ({a})"));
    }
    s
}

/// The title's words on who answers: where the figures go, and at what privacy (the
/// command line says the same words).
pub fn badge(who: &ChatWho) -> String {
    let words = crate::format::chat_provider(&who.provider, &who.model, who.remote, &who.privacy);
    if who.remote {
        format!("⇅ {words}")
    } else {
        words
    }
}

impl ChatPane {
    fn input_text(&self) -> String {
        self.input.lines().join("\n")
    }

    fn clear_input(&mut self) {
        self.input = TextArea::default();
    }

    fn send(&mut self, view: &View, jobs: &mut Vec<Job>) {
        let question = self.input_text().trim().to_string();
        if question.is_empty() {
            return;
        }
        if self.running.is_some() {
            self.message = Some((
                "An answer is being written: wait for it, or Esc cancels it.".into(),
                true,
            ));
            return;
        }
        self.asks += 1;
        let cancel = CancellationToken::new();
        jobs.push(Job::Chat {
            ask: self.asks,
            question: question.clone(),
            thread: self.thread,
            choice: Choice::default(),
            cancel: cancel.clone(),
        });
        self.running = Some(Running {
            ask: self.asks,
            cancel,
            started: view.now,
            cancelled: false,
        });
        if self.thread.is_none() {
            self.thread_title = Some(question.clone());
        }
        self.transcript.question(&question);
        self.clear_input();
        self.drafts.clear();
        self.message = None;
        self.scroll = None;
    }

    /// Esc while an answer is written: the backend stops it; the pane says so at once.
    fn cancel_answer(&mut self) {
        if let Some(r) = &mut self.running
            && !r.cancelled
        {
            r.cancel.cancel();
            r.cancelled = true;
            self.transcript.stopped("cancelled");
        }
    }

    fn event(&mut self, e: &Event) {
        let Some(r) = &self.running else { return };
        let cancelled = r.cancelled;
        match e {
            Event::Connected {
                provider,
                model,
                remote,
                privacy,
                thread,
            } => {
                self.who = Some(Ok(ChatWho {
                    provider: provider.clone(),
                    model: model.clone(),
                    remote: *remote,
                    privacy: privacy.clone(),
                }));
                self.thread = Some(*thread);
                return;
            }
            Event::Done {
                thread,
                provider,
                drafts,
                ..
            } => {
                self.running = None;
                self.thread = Some(*thread);
                // The offline assistant answered instead (the model was not there).
                if provider == crate::ai::offline::NAME
                    && self
                        .who
                        .as_ref()
                        .is_none_or(|w| w.as_ref().is_ok_and(|w| w.provider != *provider))
                {
                    self.who = Some(Ok(ChatWho {
                        provider: provider.clone(),
                        model: String::new(),
                        remote: false,
                        privacy: "full".into(),
                    }));
                }
                if cancelled {
                    return;
                }
                self.drafts = drafts.clone();
            }
            Event::Error { .. } => {
                self.running = None;
                if cancelled {
                    return;
                }
            }
            _ if cancelled => return,
            _ => {}
        }
        self.transcript.event(e);
    }

    fn scroll_by(&mut self, delta: isize) {
        let last = self.total.saturating_sub(self.height);
        let top = self
            .scroll
            .unwrap_or(last)
            .saturating_add_signed(delta)
            .min(last);
        self.scroll = (top < last).then_some(top);
    }

    fn page(&self) -> isize {
        self.height.saturating_sub(1).max(1) as isize
    }

    /// Keys of the thread list, while it is open.
    fn list_key(&mut self, key: KeyEvent, jobs: &mut Vec<Job>) {
        let Some(list) = &mut self.threads else {
            return;
        };
        let len = list
            .rows
            .as_ref()
            .and_then(|r| r.as_ref().ok())
            .map_or(0, Vec::len);
        match key.code {
            KeyCode::Esc | KeyCode::Char('t') => self.threads = None,
            KeyCode::Enter => {
                let Some(Ok(rows)) = &list.rows else { return };
                let Some(row) = rows.get(list.cursor.selected) else {
                    return;
                };
                if self.running.is_some() {
                    self.message = Some((
                        "An answer is being written: wait for it, or Esc cancels it.".into(),
                        true,
                    ));
                    return;
                }
                self.opening = Some(row.id);
                jobs.push(Job::ChatThread(row.id));
            }
            KeyCode::Char('n') => {
                self.threads = None;
                self.new_thread();
            }
            _ => {
                list.cursor.key(&key, len, 5);
            }
        }
    }

    fn new_thread(&mut self) {
        if self.running.is_some() {
            self.message = Some((
                "An answer is being written: wait for it, or Esc cancels it.".into(),
                true,
            ));
            return;
        }
        self.transcript = Transcript::new();
        self.thread = None;
        self.thread_title = None;
        self.drafts.clear();
        self.scroll = None;
        self.message = Some(("A new thread: the next question starts it.".into(), false));
    }

    fn open_order(&mut self) {
        match self.drafts.first() {
            None => {
                self.message = Some((
                    "The last answer drafted no order (ask, e.g., \"draft a sale of 10 VTI\")."
                        .into(),
                    true,
                ))
            }
            Some(d) => match prefill(d) {
                Some(p) => self.order = Some(p),
                None => self.message = Some(("The drafted order cannot be read.".into(), true)),
            },
        }
    }

    fn title(&self, theme: Theme) -> Line<'static> {
        let mut spans = vec![Span::styled(" Chat ", theme.header())];
        match &self.who {
            Some(Ok(w)) => {
                let style = if w.remote {
                    theme.warn().add_modifier(Modifier::BOLD)
                } else {
                    theme.dim()
                };
                spans.push(Span::styled(format!("· {} ", badge(w)), style));
            }
            Some(Err(_)) => spans.push(Span::styled("· no provider (see below) ", theme.error())),
            None => {}
        }
        Line::from(spans)
    }

    fn draw_threads(&mut self, f: &mut Frame, area: Rect, theme: Theme) {
        let Some(list) = &mut self.threads else {
            return;
        };
        let width = area.width.saturating_sub(4).min(90);
        let rows_len = match &list.rows {
            Some(Ok(r)) => r.len().max(1),
            _ => 1,
        };
        let height = (rows_len as u16 + 2)
            .min(area.height.saturating_sub(2))
            .max(3);
        let r = centered(area, width, height);
        f.render_widget(Clear, r);
        let block = Block::bordered()
            .title(Line::styled(" Threads ", theme.accent()))
            .title_bottom(
                Line::styled(" Enter opens · n new · Esc closes ", theme.dim())
                    .alignment(Alignment::Right),
            )
            .border_style(theme.accent());
        let inner = block.inner(r);
        f.render_widget(block, r);
        let lines: Vec<Line> = match &list.rows {
            None => vec![Line::styled("Reading the threads…", theme.dim())],
            Some(Err(e)) => vec![Line::styled(e.clone(), theme.error())],
            Some(Ok(rows)) if rows.is_empty() => vec![Line::styled(
                "No threads yet: ask a question to start one.",
                theme.dim(),
            )],
            Some(Ok(rows)) => {
                let window = list.cursor.window(rows.len(), usize::from(inner.height));
                let w = usize::from(inner.width);
                window
                    .map(|i| {
                        let row = &rows[i];
                        let when = row.updated_at.get(..10).unwrap_or(&row.updated_at);
                        let n = if row.questions == 1 {
                            "1 question".to_string()
                        } else {
                            format!("{} questions", row.questions)
                        };
                        let head = format!("#{:<4} {when}  ", row.id);
                        let tail = format!("  {n}");
                        let room =
                            w.saturating_sub(markdown::width(&head) + markdown::width(&tail));
                        let title = fit(&row.title, room);
                        let pad = room.saturating_sub(markdown::width(&title));
                        let text = format!("{head}{title}{}{tail}", " ".repeat(pad));
                        if i == list.cursor.selected {
                            Line::styled(text, theme.selected())
                        } else {
                            Line::raw(text)
                        }
                    })
                    .collect()
            }
        };
        f.render_widget(Paragraph::new(lines), inner);
    }

    fn draw_input(&mut self, f: &mut Frame, area: Rect, view: &View) {
        let t = view.theme;
        let mut block = Block::bordered()
            .title(Line::styled(
                " Ask ",
                if self.typing { t.accent() } else { t.dim() },
            ))
            .border_style(if self.typing {
                t.accent()
            } else {
                Style::new()
            });
        let status = match &self.running {
            Some(r) if r.cancelled => Some(Span::styled(" stopping… ", t.warn())),
            Some(r) => {
                let secs = (view.now - r.started).num_seconds().max(0);
                Some(Span::styled(
                    format!(" answering… {secs}s · Esc cancels "),
                    t.warn(),
                ))
            }
            None => None,
        };
        if let Some(s) = status {
            block = block.title(Line::from(s).alignment(Alignment::Right));
        }
        let bottom = match &self.message {
            Some((m, true)) => Some(Span::styled(format!(" {m} "), t.error())),
            Some((m, false)) => Some(Span::styled(format!(" {m} "), t.dim())),
            None if !self.typing => Some(Span::styled(
                " i ask · t threads · n new · x tool results · ? keys ",
                t.dim(),
            )),
            None => None,
        };
        if let Some(b) = bottom {
            block = block.title_bottom(Line::from(b));
        }
        let inner = block.inner(area);
        f.render_widget(block, area);
        self.input.set_cursor_line_style(Style::new());
        if self.typing {
            self.input
                .set_cursor_style(Style::new().add_modifier(Modifier::REVERSED));
            self.input
                .set_placeholder_text("ask about your portfolio; Enter sends, Esc stops typing");
        } else {
            self.input.set_cursor_style(Style::new());
            self.input
                .set_placeholder_text("press i or Enter to ask about your portfolio");
        }
        self.input.set_placeholder_style(t.dim());
        f.render_widget(&self.input, inner);
    }

    fn placeholder(&self, theme: Theme) -> Vec<Line<'static>> {
        let mut lines = vec![
            Line::raw("Ask about your portfolio: what you hold, gains and taxes, risk, a trade."),
            Line::styled(
                "Answers come from folio's own tools over your data; figures found in no tool result are underlined.",
                theme.dim(),
            ),
        ];
        if let Some(Err(e)) = &self.who {
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                format!("The chat cannot start: {e}"),
                theme.error(),
            ));
        }
        lines
    }
}

/// `text` on one line, cut to `w` columns.
fn fit(text: &str, w: usize) -> String {
    let one = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if markdown::width(&one) <= w {
        return one;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in one.chars() {
        let cw = markdown::width(c.encode_utf8(&mut [0u8; 4]));
        if used + cw + 1 > w {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push('…');
    out
}

impl Pane for ChatPane {
    fn title(&self) -> &'static str {
        "Chat"
    }

    fn help(&self) -> &'static [(&'static str, &'static str)] {
        HELP
    }

    fn typing(&self) -> bool {
        self.typing
    }

    fn busy(&self) -> bool {
        self.running.is_some()
    }

    fn cancel(&mut self) {
        if let Some(r) = &self.running {
            r.cancel.cancel();
        }
    }

    fn done(&mut self, done: &Done, _view: &View, _jobs: &mut Vec<Job>) {
        match done {
            Done::Chat { ask, events } if self.running.as_ref().is_some_and(|r| r.ask == *ask) => {
                for e in events {
                    self.event(e);
                }
            }
            // An answer's own word on who answered wins over the first look.
            Done::ChatProvider(r) if !matches!(self.who, Some(Ok(_))) => {
                self.who = Some(r.clone());
            }
            Done::ChatThreads(r) => {
                if let Some(list) = &mut self.threads {
                    list.rows = Some(r.as_ref().map(|t| t.threads.clone()).map_err(Clone::clone));
                }
            }
            Done::ChatThread { id, result } if self.opening == Some(*id) => {
                self.opening = None;
                match result {
                    Ok(report) => {
                        self.transcript = Transcript::from_thread(report);
                        self.transcript.info(&format!(
                            "(thread #{id} as stored; a question continues it, n starts a new one)"
                        ));
                        self.thread = Some(*id);
                        self.thread_title = Some(report.thread.title.clone());
                        self.drafts.clear();
                        self.scroll = None;
                        self.threads = None;
                        self.message = None;
                    }
                    Err(e) => self.message = Some((e.clone(), true)),
                }
            }
            _ => {}
        }
    }

    fn key(&mut self, key: KeyEvent, view: &View, jobs: &mut Vec<Job>) -> Handled {
        // Who would answer, asked once the pane is used (not at start: it may read the
        // keyring), so that the title says it before anything is sent.
        if !self.asked_who {
            self.asked_who = true;
            jobs.push(Job::ChatProvider);
        }
        if self.threads.is_some() && !self.typing {
            self.list_key(key, jobs);
            return Handled::Yes;
        }
        // The conversation scrolls whatever has the keys.
        match key.code {
            KeyCode::PageUp => {
                self.scroll_by(-self.page());
                return Handled::Yes;
            }
            KeyCode::PageDown => {
                self.scroll_by(self.page());
                return Handled::Yes;
            }
            KeyCode::Up => {
                self.scroll_by(-1);
                return Handled::Yes;
            }
            KeyCode::Down => {
                self.scroll_by(1);
                return Handled::Yes;
            }
            _ => {}
        }
        if self.typing {
            let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
            match key.code {
                KeyCode::Esc if self.running.as_ref().is_some_and(|r| !r.cancelled) => {
                    self.cancel_answer()
                }
                KeyCode::Esc => self.typing = false,
                KeyCode::Enter => self.send(view, jobs),
                // One line only: no newline shortcuts.
                KeyCode::Char('m' | 'j') if ctrl => {}
                _ => {
                    if self.input.input(key) {
                        self.message = None;
                    }
                }
            }
            return Handled::Yes;
        }
        match key.code {
            KeyCode::Esc if self.running.as_ref().is_some_and(|r| !r.cancelled) => {
                self.cancel_answer()
            }
            KeyCode::Char('i' | '/') | KeyCode::Enter => {
                self.typing = true;
                self.message = None;
            }
            KeyCode::Char('k') => self.scroll_by(-1),
            KeyCode::Char('j') => self.scroll_by(1),
            KeyCode::Char('g') | KeyCode::Home => self.scroll = Some(0),
            KeyCode::Char('G') | KeyCode::End => self.scroll = None,
            KeyCode::Char(' ') => self.scroll_by(self.page()),
            KeyCode::Char('x') => {
                let on = !self.transcript.expanded();
                self.transcript.set_expanded(on);
            }
            KeyCode::Char('t') => {
                self.threads = Some(Threads {
                    rows: None,
                    cursor: Cursor::default(),
                });
                jobs.push(Job::ChatThreads);
            }
            KeyCode::Char('n') => self.new_thread(),
            KeyCode::Char('o') => self.open_order(),
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn take_order(&mut self) -> Option<Prefill> {
        self.order.take()
    }

    fn draw(&mut self, f: &mut Frame, area: Rect, view: &View) {
        let t = view.theme;
        let [main, input] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(3)]).areas(area);
        let mut block = Block::bordered().title(self.title(t));
        let thread = match (self.thread, &self.thread_title) {
            (Some(id), Some(title)) => format!(" thread #{id}: {} ", fit(title, 40)),
            (Some(id), None) => format!(" thread #{id} "),
            (None, Some(title)) => format!(" new thread: {} ", fit(title, 40)),
            (None, None) => " new thread ".into(),
        };
        block = block.title_bottom(Line::styled(thread, t.dim()));
        let inner = block.inner(main);
        if self.transcript.is_empty() {
            f.render_widget(block, main);
            f.render_widget(
                Paragraph::new(self.placeholder(t)).wrap(Wrap { trim: true }),
                inner,
            );
            self.total = 0;
        } else {
            let (total, top) = self.transcript.draw(f, inner, self.scroll, t);
            self.total = total;
            let below = total.saturating_sub(top + usize::from(inner.height));
            if self.scroll.is_some() && below > 0 {
                block = block.title_bottom(
                    Line::styled(format!(" ↓ {below} more lines · G the end "), t.warn())
                        .alignment(Alignment::Right),
                );
            } else if self.scroll.is_some() {
                // Scrolled to the end by hand: follow the answer again.
                self.scroll = None;
            }
            f.render_widget(block, main);
        }
        self.height = usize::from(inner.height);
        self.draw_input(f, input, view);
        self.draw_threads(f, main, t);
    }
}

/// Draws `transcript` as the Chat pane shows it (its last screenful, in `theme`), filling
/// `terminal`: what the benchmark times, on a `TestBackend`. The transcript keeps its layout
/// between calls, as the pane does between frames.
pub fn draw_transcript<B: ratatui::backend::Backend>(
    terminal: &mut ratatui::Terminal<B>,
    transcript: &mut Transcript,
    theme: Theme,
) -> Result<(), B::Error> {
    terminal
        .draw(|f| {
            let area = f.area();
            let block = Block::bordered().title(" Chat ");
            let inner = block.inner(area);
            f.render_widget(block, area);
            transcript.draw(f, inner, None, theme);
        })
        .map(|_| ())
}
