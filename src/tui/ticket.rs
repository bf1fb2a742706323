//! The order ticket: a form over the panes (`b` / `s` on a holding, a lot or a harvest), whose
//! preview (the value, the commission, the lots a sale relieves, the realized gain by term,
//! every wash-sale consequence and the pre-trade checks) is the query layer's answer to the
//! fields as they are, asked again on every change. Enter asks for the confirmation (a typed
//! one for a live order); nothing is sent before it.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use rust_decimal::Decimal;

use super::theme::Theme;
use super::widgets::centered;
use crate::app::orders::{Confirmation, OrderParams, Placed, Ticket};
use crate::app::tax::TradePreview;
use crate::domain::order::{BrokerKind, OrderType, Side, Tif};
use crate::domain::{AccountKind, Named};
use crate::format::{money, price, qty, signed_money};

/// What a pane offers to trade: the selected holding, lot or harvest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    pub symbol: String,
    pub account: Option<String>,
    /// Shares to prefill (a lot's, a harvest's).
    pub quantity: Option<Decimal>,
    /// A sale of these lots (acquisition dates, comma-separated).
    pub lots: Option<String>,
    /// Harvest: the replacement to buy after the sale.
    pub replacement: Option<String>,
}

/// An order drafted elsewhere (the chat's `draft_order`): the ticket opens with every field
/// as drafted, and the user confirms it there as always.
#[derive(Debug, Clone, PartialEq)]
pub struct Prefill {
    pub side: Side,
    /// Symbol, account, quantity and (a sale) the lots.
    pub selection: Selection,
    pub kind: OrderType,
    pub limit: Option<Decimal>,
    pub stop: Option<Decimal>,
    pub tif: Tif,
    /// None: the broker the ticket would use anyway.
    pub broker: Option<BrokerKind>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Side,
    Symbol,
    Quantity,
    Type,
    Limit,
    Stop,
    Tif,
    Account,
    Lots,
    Broker,
}

const FIELDS: [Field; 10] = [
    Field::Side,
    Field::Symbol,
    Field::Quantity,
    Field::Type,
    Field::Limit,
    Field::Stop,
    Field::Tif,
    Field::Account,
    Field::Lots,
    Field::Broker,
];

/// Where the ticket is.
#[derive(Debug, Clone)]
enum Stage {
    Editing,
    /// Asking for the confirmation; a live order's typed text so far.
    Confirm(String),
    Sending,
    Done(Result<Box<Placed>, String>),
}

/// What a key did to the ticket, for the app to act on.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    None,
    /// The fields changed: ask for a new preview.
    Changed,
    /// Send it.
    Send(Confirmation),
    Close,
    /// Open the replacement buy (after a harvest's sale).
    Replacement(Selection),
    /// The confirmation is asked: an IBKR order's what-if can be asked of the broker now.
    Confirming,
}

pub struct TicketForm {
    side: Side,
    symbol: String,
    quantity: String,
    kind: OrderType,
    limit: String,
    stop: String,
    tif: Tif,
    account: String,
    lots: String,
    broker: BrokerKind,
    field: usize,
    stage: Stage,
    /// The latest preview (None while the first is computed).
    pub preview: Option<Result<Box<Ticket>, String>>,
    /// A field that is not a number, said instead of asking.
    field_error: Option<String>,
    /// The fields changed since the preview shown was asked for (Enter waits for the new one).
    pending: bool,
    replacement: Option<String>,
    /// IBKR's what-if for the order being confirmed (None until asked; Some(None) while asked).
    what_if: Option<Option<Result<Option<crate::app::orders::WhatIf>, String>>>,
}

fn number(text: &str, what: &str) -> Result<Option<Decimal>, String> {
    let t = text.trim().replace(',', "");
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<Decimal>()
        .map(Some)
        .map_err(|_| format!("{what} '{text}' is not a number"))
}

impl TicketForm {
    /// A ticket for `side` of `sel`, priced at `reference` (the quote's touch) for a limit.
    pub fn new(
        side: Side,
        sel: &Selection,
        reference: Option<Decimal>,
        broker: BrokerKind,
    ) -> TicketForm {
        let mut t = TicketForm {
            side,
            symbol: sel.symbol.clone(),
            quantity: sel
                .quantity
                .map(|q| q.normalize().to_string())
                .unwrap_or_default(),
            kind: if reference.is_some() {
                OrderType::Limit
            } else {
                OrderType::Market
            },
            limit: reference
                .map(|p| p.round_dp(2).to_string())
                .unwrap_or_default(),
            stop: String::new(),
            tif: Tif::Day,
            account: sel.account.clone().unwrap_or_default(),
            lots: if side == Side::Sell {
                sel.lots.clone().unwrap_or_default()
            } else {
                String::new()
            },
            broker,
            field: 2,
            stage: Stage::Editing,
            preview: None,
            field_error: None,
            pending: true,
            replacement: sel.replacement.clone(),
            what_if: None,
        };
        t.field_error = t.params().err();
        t
    }

    /// A ticket with the fields of a drafted order.
    pub fn prefilled(p: &Prefill, broker: BrokerKind) -> TicketForm {
        let mut t = TicketForm::new(p.side, &p.selection, None, p.broker.unwrap_or(broker));
        let text = |d: Option<Decimal>| d.map(|x| x.normalize().to_string()).unwrap_or_default();
        t.kind = p.kind;
        t.limit = text(p.limit);
        t.stop = text(p.stop);
        t.tif = p.tif;
        t.field_error = t.params().err();
        t
    }

    pub fn symbol(&self) -> &str {
        &self.symbol
    }

    pub fn side(&self) -> Side {
        self.side
    }

    /// The order the fields describe, or what is wrong with one of them.
    pub fn params(&self) -> Result<OrderParams, String> {
        let quantity = number(&self.quantity, "quantity")?.ok_or("give a quantity")?;
        let limit = number(&self.limit, "limit")?;
        let stop = number(&self.stop, "stop")?;
        let (limit, stop, stop_limit) = match self.kind {
            OrderType::Market => (None, None, None),
            OrderType::Limit => (Some(limit.ok_or("give a limit price")?), None, None),
            OrderType::Stop => (None, Some(stop.ok_or("give a stop price")?), None),
            OrderType::StopLimit => (
                None,
                Some(stop.ok_or("give a stop price")?),
                Some(limit.ok_or("give a limit price")?),
            ),
        };
        Ok(OrderParams {
            side: self.side,
            symbol: self.symbol.trim().to_uppercase(),
            quantity,
            account: Some(self.account.trim().to_string()).filter(|a| !a.is_empty()),
            limit,
            stop,
            stop_limit,
            tif: self.tif,
            outside_rth: false,
            lots: Some(self.lots.trim().to_string())
                .filter(|l| !l.is_empty() && self.side == Side::Sell),
            broker: Some(self.broker),
            allow_duplicate: false,
        })
    }

    /// The fields changed: their error, or a new preview to ask for.
    fn changed(&mut self) -> Action {
        match self.params() {
            Ok(_) => {
                self.field_error = None;
                self.pending = true;
                self.what_if = None;
                Action::Changed
            }
            Err(e) => {
                self.field_error = Some(e);
                Action::None
            }
        }
    }

    /// The preview of the fields as they were last asked about (older answers never reach
    /// here: the cockpit keeps the latest request's only).
    pub fn set_preview(&mut self, r: Result<Box<Ticket>, String>) {
        self.preview = Some(r);
        self.pending = false;
    }

    pub fn set_what_if(&mut self, r: Result<Option<crate::app::orders::WhatIf>, String>) {
        if self.what_if.is_some() {
            self.what_if = Some(Some(r));
        }
    }

    /// The order being confirmed (what the what-if is asked about).
    pub fn confirming(&self) -> Option<&crate::domain::order::OrderRequest> {
        match (&self.stage, &self.preview) {
            (Stage::Confirm(_), Some(Ok(t))) => Some(&t.request),
            _ => None,
        }
    }

    pub fn sent(&mut self, r: Result<Box<Placed>, String>) {
        self.stage = Stage::Done(r);
    }

    /// The fields are being edited (not confirming, sending or showing the outcome).
    pub fn editing(&self) -> bool {
        matches!(self.stage, Stage::Editing)
    }

    fn shown_fields(&self) -> Vec<Field> {
        FIELDS
            .iter()
            .copied()
            .filter(|f| match f {
                Field::Limit => matches!(self.kind, OrderType::Limit | OrderType::StopLimit),
                Field::Stop => matches!(self.kind, OrderType::Stop | OrderType::StopLimit),
                Field::Lots => self.side == Side::Sell,
                _ => true,
            })
            .collect()
    }

    fn text_mut(&mut self, f: Field) -> Option<&mut String> {
        match f {
            Field::Symbol => Some(&mut self.symbol),
            Field::Quantity => Some(&mut self.quantity),
            Field::Limit => Some(&mut self.limit),
            Field::Stop => Some(&mut self.stop),
            Field::Account => Some(&mut self.account),
            Field::Lots => Some(&mut self.lots),
            _ => None,
        }
    }

    fn ready(&self) -> Option<&Ticket> {
        match &self.preview {
            Some(Ok(t)) if t.ready && self.field_error.is_none() && !self.pending => Some(t),
            _ => None,
        }
    }

    pub fn key(&mut self, key: KeyEvent) -> Action {
        match &mut self.stage {
            Stage::Sending => return Action::None,
            Stage::Done(r) => {
                return match (key.code, r.is_ok(), &self.replacement) {
                    (KeyCode::Char('r'), true, Some(sym)) => Action::Replacement(Selection {
                        symbol: sym.clone(),
                        account: Some(self.account.clone()),
                        ..Selection::default()
                    }),
                    _ => Action::Close,
                };
            }
            Stage::Confirm(typed) => {
                let live = self
                    .preview
                    .as_ref()
                    .is_some_and(|p| p.as_ref().is_ok_and(|t| t.live));
                match key.code {
                    KeyCode::Esc => {
                        self.stage = Stage::Editing;
                        self.what_if = None;
                    }
                    KeyCode::Char('y') | KeyCode::Char('Y') if !live => {
                        self.stage = Stage::Sending;
                        return Action::Send(Confirmation::Yes);
                    }
                    KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Enter if !live => {
                        self.stage = Stage::Editing;
                    }
                    KeyCode::Char(c) if live => typed.push(c),
                    KeyCode::Backspace if live => {
                        typed.pop();
                    }
                    KeyCode::Enter if live => {
                        let text = std::mem::take(typed);
                        self.stage = Stage::Sending;
                        return Action::Send(Confirmation::Typed(text));
                    }
                    _ => {}
                }
                return Action::None;
            }
            Stage::Editing => {}
        }
        let fields = self.shown_fields();
        let at = self.field.min(fields.len() - 1);
        let f = fields[at];
        match key.code {
            KeyCode::Esc => return Action::Close,
            KeyCode::Tab | KeyCode::Down => self.field = (at + 1) % fields.len(),
            KeyCode::BackTab | KeyCode::Up => self.field = (at + fields.len() - 1) % fields.len(),
            KeyCode::Enter if self.ready().is_some() => {
                self.stage = Stage::Confirm(String::new());
                if self.broker == BrokerKind::Ibkr {
                    self.what_if = Some(None);
                    return Action::Confirming;
                }
            }
            KeyCode::Left | KeyCode::Right => {
                let fwd = key.code == KeyCode::Right;
                match f {
                    Field::Side => self.side = self.side.cycle(fwd),
                    Field::Type => self.kind = self.kind.cycle(fwd),
                    Field::Tif => self.tif = self.tif.cycle(fwd),
                    Field::Broker => self.broker = self.broker.cycle(fwd),
                    _ => return Action::None,
                }
                // The focus stays on the field it was on.
                let now = self.shown_fields();
                self.field = now.iter().position(|x| *x == f).unwrap_or(0);
                return self.changed();
            }
            KeyCode::Backspace => {
                if let Some(t) = self.text_mut(f) {
                    t.pop();
                    return self.changed();
                }
            }
            KeyCode::Char(c) if !c.is_control() => {
                if let Some(t) = self.text_mut(f) {
                    if t.len() < 40 {
                        t.push(c);
                    }
                    return self.changed();
                }
                if c == ' ' {
                    return self.key(KeyEvent::from(KeyCode::Right));
                }
            }
            _ => {}
        }
        Action::None
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, theme: Theme) {
        let live = self
            .preview
            .as_ref()
            .is_some_and(|p| p.as_ref().is_ok_and(|t| t.live));
        let width = area.width.saturating_sub(2).min(86);
        let height = area.height.saturating_sub(2).min(24);
        let r = centered(area, width, height);
        f.render_widget(Clear, r);
        let title = format!(" {} order ", crate::format::broker(self.broker, live));
        let title_style = if live {
            theme
                .error()
                .add_modifier(ratatui::style::Modifier::REVERSED)
        } else {
            theme.header()
        };
        let block = Block::bordered()
            .title(Span::styled(title, title_style))
            .border_style(if live { theme.error() } else { theme.accent() });
        let mut lines = self.field_lines(theme);
        lines.push(Line::raw(""));
        lines.extend(self.preview_lines(theme));
        let footer = self.footer(theme, live);
        let inner = block.inner(r);
        f.render_widget(block, r);
        let body_h = inner.height.saturating_sub(1);
        f.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }),
            Rect {
                height: body_h,
                ..inner
            },
        );
        f.render_widget(
            Paragraph::new(footer),
            Rect {
                y: inner.y + body_h,
                height: 1,
                ..inner
            },
        );
    }

    fn field_lines(&self, t: Theme) -> Vec<Line<'static>> {
        let fields = self.shown_fields();
        let at = self.field.min(fields.len() - 1);
        let cell = |f: Field, label: &str, value: String| -> Vec<Span<'static>> {
            let focused = fields.get(at) == Some(&f);
            let shown = if value.is_empty() {
                "_".to_string()
            } else {
                value
            };
            vec![
                Span::styled(format!("{label} "), t.dim()),
                Span::styled(
                    if focused {
                        format!("[{shown}]")
                    } else {
                        format!(" {shown} ")
                    },
                    if focused { t.selected() } else { Style::new() },
                ),
                Span::raw("  "),
            ]
        };
        let mut first = Vec::new();
        first.extend(cell(Field::Side, "Side", self.side.upper().to_string()));
        first.extend(cell(Field::Symbol, "Symbol", self.symbol.clone()));
        first.extend(cell(Field::Quantity, "Qty", self.quantity.clone()));
        first.extend(cell(Field::Account, "Account", self.account.clone()));
        let mut second = Vec::new();
        second.extend(cell(Field::Type, "Type", self.kind.name().to_string()));
        if fields.contains(&Field::Limit) {
            second.extend(cell(Field::Limit, "Limit", self.limit.clone()));
        }
        if fields.contains(&Field::Stop) {
            second.extend(cell(Field::Stop, "Stop", self.stop.clone()));
        }
        second.extend(cell(Field::Tif, "TIF", self.tif.name().to_string()));
        second.extend(cell(
            Field::Broker,
            "Broker",
            self.broker.name().to_string(),
        ));
        let mut out = vec![Line::from(first), Line::from(second)];
        if fields.contains(&Field::Lots) {
            let mut third = cell(
                Field::Lots,
                "Lots",
                if self.lots.is_empty() {
                    "account's method".into()
                } else {
                    self.lots.clone()
                },
            );
            third.push(Span::styled(
                "fifo, lifo, hifo or dates 2024-03-01,2024-06-03",
                t.dim(),
            ));
            out.push(Line::from(third));
        }
        out
    }

    fn preview_lines(&self, t: Theme) -> Vec<Line<'static>> {
        if let Some(e) = &self.field_error {
            return vec![Line::styled(e.clone(), t.error())];
        }
        let p = match &self.preview {
            None => return vec![Line::styled("Computing…", t.dim())],
            Some(Err(e)) => return vec![Line::styled(e.clone(), t.error())],
            Some(Ok(p)) => p,
        };
        let mut out = Vec::new();
        match &p.quote {
            Some(q) => out.push(Line::from(vec![
                Span::styled("Quote ", t.dim()),
                Span::raw(format!(
                    "bid {}  ask {}  last {}",
                    q.bid.map_or("-".into(), price),
                    q.ask.map_or("-".into(), price),
                    price(q.last)
                )),
                Span::styled(
                    format!("  {} {} s", q.source, p.quote_age_secs.unwrap_or_default()),
                    t.dim(),
                ),
            ])),
            None => out.push(Line::styled("No quote", t.warn())),
        }
        if let (Some(n), Some(c)) = (p.notional, p.commission) {
            out.push(Line::from(vec![
                Span::styled("Value ", t.dim()),
                Span::raw(money(n)),
                Span::styled("  commission ", t.dim()),
                Span::raw(money(c)),
            ]));
        }
        match &p.tax {
            Some(TradePreview::Sell(s)) => {
                let v = &s.preview;
                for d in v.lots.iter().take(4) {
                    out.push(Line::from(vec![
                        Span::styled(format!("  lot {} ", d.purchased), t.dim()),
                        Span::raw(format!("{:>8} ", qty(d.quantity))),
                        Span::styled(
                            format!("{:>12}", signed_money(d.gain)),
                            t.signed(Some(d.gain.cmp(&Decimal::ZERO))),
                        ),
                        Span::styled(format!(" {}", d.term.as_str()), t.dim()),
                        if d.disallowed.is_zero() {
                            Span::raw("")
                        } else {
                            Span::styled(format!("  wash sale {}", money(d.disallowed)), t.warn())
                        },
                    ]));
                }
                if v.lots.len() > 4 {
                    out.push(Line::styled(
                        format!("  and {} more lots", v.lots.len() - 4),
                        t.dim(),
                    ));
                }
                out.push(Line::from(vec![
                    Span::styled("Realized ", t.dim()),
                    Span::styled(
                        format!("short {}", signed_money(v.short_term_gain)),
                        t.signed(Some(v.short_term_gain.cmp(&Decimal::ZERO))),
                    ),
                    Span::raw("  "),
                    Span::styled(
                        format!("long {}", signed_money(v.long_term_gain)),
                        t.signed(Some(v.long_term_gain.cmp(&Decimal::ZERO))),
                    ),
                    Span::styled(format!("  ({})", v.method), t.dim()),
                ]));
                if s.account_kind != AccountKind::Taxable {
                    out.push(Line::styled(
                        "A retirement account: not a taxable sale.",
                        t.dim(),
                    ));
                } else if !v.wash_sale_disallowed.is_zero() {
                    let style = if v.wash_sale_permanent.is_zero() {
                        t.warn()
                    } else {
                        t.error()
                    };
                    out.push(Line::styled(
                        format!(
                            "Wash sale: {} of the loss disallowed by purchases within 30 days{}",
                            money(v.wash_sale_disallowed),
                            if v.wash_sale_permanent.is_zero() {
                                String::new()
                            } else {
                                format!(", {} lost for good (IRA)", money(v.wash_sale_permanent))
                            }
                        ),
                        style,
                    ));
                }
                if v.lots.iter().any(|d| d.gain < Decimal::ZERO)
                    && s.account_kind == AccountKind::Taxable
                {
                    out.push(Line::styled(
                        format!(
                            "Buying {} before {} would wash the loss",
                            v.substantially_identical.join(", "),
                            v.safe_to_buy_back
                        ),
                        t.dim(),
                    ));
                }
            }
            Some(TradePreview::Buy(b)) => {
                let v = &b.preview;
                if v.washes.is_empty() {
                    out.push(Line::styled("Washes no recent loss sale.", t.dim()));
                }
                for w in v.washes.iter().take(4) {
                    // A loss an IRA purchase washes is lost for good: in red.
                    let ira = !w.permanent.is_zero();
                    out.push(Line::styled(
                        format!(
                            "Washes the {} sale of {} {} in {}: {} disallowed{}",
                            w.sold,
                            qty(w.quantity),
                            w.symbol,
                            w.account,
                            money(w.disallowed),
                            if ira {
                                format!(", {} lost for good", money(w.permanent))
                            } else {
                                String::new()
                            }
                        ),
                        if ira || b.account_kind != AccountKind::Taxable {
                            t.error()
                        } else {
                            t.warn()
                        },
                    ));
                }
            }
            None => {}
        }
        for w in &p.warnings {
            out.push(Line::styled(w.clone(), t.warn()));
        }
        let failed: Vec<_> = p.checks.iter().filter(|c| !c.ok).collect();
        if failed.is_empty() {
            out.push(Line::styled("✓ checks passed", t.gain()));
        }
        for c in failed {
            out.push(Line::styled(format!("✗ {}", c.message), t.error()));
        }
        match &self.what_if {
            Some(None) => out.push(Line::styled("Asking IBKR for its what-if…", t.dim())),
            Some(Some(Ok(Some(w)))) => out.push(Line::raw(format!(
                "IBKR what-if: commission {}, initial margin change {}",
                w.commission.map_or("-".into(), money),
                w.init_margin_change.map_or("-".into(), money)
            ))),
            Some(Some(Ok(None))) => out.push(Line::styled(
                "IBKR gave no what-if for this order.",
                t.dim(),
            )),
            Some(Some(Err(e))) => out.push(Line::styled(format!("IBKR what-if: {e}"), t.warn())),
            None => {}
        }
        out
    }

    fn footer(&self, t: Theme, live: bool) -> Line<'static> {
        match &self.stage {
            Stage::Editing => Line::styled(
                if self.ready().is_some() {
                    "Tab ↑↓ field  ←→ change  Enter send…  Esc close"
                } else {
                    "Tab ↑↓ field  ←→ change  Esc close"
                },
                t.dim(),
            ),
            Stage::Confirm(typed) if live => Line::from(vec![
                Span::styled(
                    format!(
                        "LIVE: type {} and Enter: ",
                        self.ready().map(|t| t.confirm.clone()).unwrap_or_default()
                    ),
                    t.error(),
                ),
                Span::styled(format!("{typed}_"), t.selected()),
            ]),
            Stage::Confirm(_) => Line::styled("Send this order? y / N", t.warn()),
            Stage::Sending => Line::styled("Sending…", t.warn()),
            Stage::Done(Ok(p)) => {
                let o = &p.order;
                let mut text = format!(
                    "Order {} {}: {} {} {}",
                    o.id,
                    o.state,
                    o.request.side.upper(),
                    qty(o.request.quantity),
                    o.request.symbol
                );
                if let Some(a) = o.avg_price {
                    text.push_str(&format!(" at {}", price(a)));
                }
                if self.replacement.is_some() {
                    text.push_str("  r: the replacement buy");
                }
                Line::styled(text, t.gain())
            }
            Stage::Done(Err(e)) => Line::styled(format!("Not sent: {e}"), t.error()),
        }
    }
}
