//! Rebalance: the household's way back to its targets at the least estimated tax, as
//! `folio rebalance` answers it: the drift of each target before and after the plan, the
//! trades (the selected one's reason below them), the plan's estimated tax and turnover beside
//! the tax-blind plan's, the purchases deferred to avoid a wash sale, and the notes. Keys change
//! the options (new cash, no-sell, tax-aware or not, at most N trades) and ask again; Enter, `b`
//! or `s` opens the order ticket on the selected trade.
//!
//! Its own pane rather than a view in Harvest: a rebalance is a household-wide plan over every
//! account (tax-advantaged ones first) with its own drift table and tax comparison, while
//! Harvest works lot by lot within taxable accounts; kept apart, each pane's module stays
//! small.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span as TextSpan};
use ratatui::widgets::{Paragraph, Wrap};
use rust_decimal::Decimal;

use super::{Done, Handled, Pane, Prefill, Selection, View};
use crate::analytics::rebalance::{Drift, Method, Plan, Trade};
use crate::app::rebalance::{RebalanceParams, RebalanceReport};
use crate::domain::AccountKind;
use crate::domain::order::{OrderType, Side, Tif};
use crate::format::{money, points, price, qty, signed_money};
use crate::tui::jobs::Job;
use crate::tui::list::{List, Rows};
use crate::tui::theme::Theme;
use crate::tui::widgets::{CellText, Column, draw_table};

/// New cash `c` cycles through.
const CASH: [i64; 4] = [0, 1_000, 5_000, 10_000];
/// The most trades `m` cycles through (None: no limit).
const MAX_TRADES: [Option<usize>; 4] = [None, Some(3), Some(6), Some(10)];

const DRIFT_COLUMNS: [Column; 9] = [
    Column::left("Target", 20, 0),
    Column::right("Goal", 5, 0),
    Column::right("Now", 6, 0),
    Column::right("Drift", 6, 0),
    Column::right("Over/under", 11, 2),
    Column::right("→ After", 7, 0),
    Column::right("Drift", 6, 0),
    Column::right("Band", 5, 1),
    Column::right("Value after", 12, 3),
];

const TRADE_COLUMNS: [Column; 10] = [
    Column::left("", 4, 0),
    Column::left("Account", 10, 0),
    Column::left("Symbol", 6, 0),
    Column::right("Shares", 10, 0),
    Column::right("Price", 9, 2),
    Column::right("Amount", 10, 0),
    Column::right("Gain", 10, 1),
    Column::right("Tax", 9, 0),
    Column::left("For", 20, 3),
    Column::left("Lots", 10, 4),
];

const HELP: &[(&str, &str)] = &[
    ("↑ ↓ j k", "move in the trades"),
    ("PgUp PgDn g G", "page, first, last"),
    (
        "Enter b s",
        "the order ticket for the selected trade, as planned (its own side)",
    ),
    ("c", "new cash to invest: 0, 1,000, 5,000, 10,000"),
    ("n", "no-sell: only buy, with cash"),
    ("t", "the tax-aware plan or the tax-blind one"),
    ("m", "at most 3, 6 or 10 trades, or no limit"),
];

#[derive(Default)]
pub struct RebalancePane {
    list: List,
    /// Index in [`CASH`].
    cash: usize,
    no_sell: bool,
    ignore_taxes: bool,
    /// Index in [`MAX_TRADES`].
    max_trades: usize,
    /// Household targets are set (as of the last read); without them nothing is asked.
    targets: bool,
    /// A request is out and not answered yet.
    pending: bool,
    /// The latest answer.
    answer: Option<Result<Box<RebalanceReport>, String>>,
    /// The ticket Enter asked for, taken by the app.
    order: Option<Prefill>,
}

impl RebalancePane {
    /// The options as the query layer takes them (all defaults: `folio rebalance`).
    fn params(&self) -> RebalanceParams {
        let cash = Decimal::from(CASH[self.cash]);
        RebalanceParams {
            cash: (!cash.is_zero()).then_some(cash),
            no_sell: self.no_sell,
            max_trades: MAX_TRADES[self.max_trades],
            ignore_taxes: self.ignore_taxes,
            ..RebalanceParams::default()
        }
    }

    fn ask(&mut self, jobs: &mut Vec<Job>) {
        if self.targets {
            self.pending = true;
            jobs.push(Job::Rebalance(Box::new(self.params())));
        }
    }

    fn report(&self) -> Option<&RebalanceReport> {
        match &self.answer {
            Some(Ok(r)) => Some(r),
            _ => None,
        }
    }

    fn selected(&self) -> Option<&Trade> {
        self.report()?.plan.trades.get(self.list.cursor.selected)
    }
}

impl Pane for RebalancePane {
    fn title(&self) -> &'static str {
        "Rebalance"
    }

    fn help(&self) -> &'static [(&'static str, &'static str)] {
        HELP
    }

    fn loaded(&mut self, view: &View, jobs: &mut Vec<Job>) {
        self.targets = view.portfolio.targets.is_some();
        if !self.targets {
            self.pending = false;
            self.answer = None;
        }
        self.ask(jobs);
    }

    fn done(&mut self, done: &Done, _view: &View, _jobs: &mut Vec<Job>) {
        if let Done::Rebalance { result, .. } = done {
            self.pending = false;
            self.answer = Some(result.clone());
            let trades = self.report().map_or(0, |r| r.plan.trades.len());
            let cursor = &mut self.list.cursor;
            cursor.selected = cursor.selected.min(trades.saturating_sub(1));
        }
    }

    fn key(&mut self, key: KeyEvent, view: &View, jobs: &mut Vec<Job>) -> Handled {
        let trades = self.report().map_or(0, |r| r.plan.trades.len());
        if self.list.movement(&key, trades) {
            return Handled::Yes;
        }
        match key.code {
            // b and s open the trade as planned too: a sale of the plan never opens as a
            // purchase (which would wash the very loss it realizes).
            KeyCode::Enter | KeyCode::Char('b' | 's') => {
                let Some(t) = self.selected() else {
                    return Handled::No;
                };
                let reference = view
                    .quotes
                    .latest
                    .get(&t.symbol)
                    .map(|q| crate::domain::order::touch(t.side, q).round_dp(2));
                self.order = Some(Prefill {
                    side: t.side,
                    selection: selection(t),
                    kind: if reference.is_some() {
                        OrderType::Limit
                    } else {
                        OrderType::Market
                    },
                    limit: reference,
                    stop: None,
                    tif: Tif::Day,
                    broker: None,
                });
            }
            KeyCode::Char(c @ ('c' | 'n' | 't' | 'm')) if self.targets => {
                match c {
                    'c' => self.cash = (self.cash + 1) % CASH.len(),
                    'n' => self.no_sell = !self.no_sell,
                    't' => self.ignore_taxes = !self.ignore_taxes,
                    _ => self.max_trades = (self.max_trades + 1) % MAX_TRADES.len(),
                }
                self.ask(jobs);
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn take_order(&mut self) -> Option<Prefill> {
        self.order.take()
    }

    fn draw(&mut self, f: &mut Frame, area: Rect, view: &View) {
        let t = view.theme;
        if !self.targets {
            let lines = vec![
                Line::styled(
                    "No household targets are set: nothing to rebalance to.",
                    t.header(),
                ),
                Line::raw(""),
                Line::raw("Set them from a shell, in percent of everything held (cash included):"),
                Line::styled(
                    "  folio targets set \"US stocks=60,International stocks=20,US bonds=20\"",
                    t.accent(),
                ),
                Line::raw(""),
                Line::styled(
                    "The names are asset classes (assets/securities.toml); `folio targets` shows them against the holdings. The cockpit reads them as soon as they are saved (R reads again).",
                    t.dim(),
                ),
            ];
            f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
            return;
        }
        let r = match &self.answer {
            None => {
                f.render_widget(
                    Paragraph::new("Planning the rebalance…").style(t.dim()),
                    area,
                );
                return;
            }
            Some(Err(e)) => {
                let lines = vec![
                    Line::styled("The rebalance could not be planned:", t.error()),
                    Line::raw(e.clone()),
                    Line::raw(""),
                    options_line(self, t),
                ];
                f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
                return;
            }
            Some(Ok(r)) => r,
        };
        let plan = &r.plan;
        // A shorter plan than the last: the selection stays on a trade.
        let cursor = &mut self.list.cursor;
        cursor.selected = cursor.selected.min(plan.trades.len().saturating_sub(1));
        let width = usize::from(area.width.max(1));
        let wrapped = |lines: &[Line]| -> u16 {
            lines
                .iter()
                .map(|l| l.width().max(1).div_ceil(width) as u16)
                .sum()
        };
        let head = vec![
            totals(plan, true, r, t, width),
            totals(&r.alternative, false, r, t, width),
            options_line(self, t),
        ];
        let detail = match plan.trades.get(self.list.cursor.selected) {
            Some(tr) => vec![detail_line(tr, t)],
            None => Vec::new(),
        };
        let notes = notes(r, t);
        // Below the totals and above the selected trade's reason: the drift table, then the
        // trades (their header and three rows at least), then as many notes as fit.
        let detail_h = wrapped(&detail).min(2);
        let rest = area.height.saturating_sub(head.len() as u16 + detail_h);
        let drift_h = (plan.drift.len() as u16 + 1).min(rest.saturating_sub(4).max(2));
        let trades_min = (plan.trades.len() as u16 + 1).clamp(1, 4);
        let notes_h = wrapped(&notes).min(rest.saturating_sub(drift_h + trades_min));
        let trades_h = (plan.trades.len() as u16 + 1 + u16::from(self.list.filter.is_active()))
            .min(rest.saturating_sub(drift_h + notes_h))
            .max(trades_min);
        let [head_area, drift_area, trades_area, detail_area, notes_area] = Layout::vertical([
            Constraint::Length(head.len() as u16),
            Constraint::Length(drift_h),
            Constraint::Length(trades_h),
            Constraint::Length(detail_h),
            Constraint::Fill(1),
        ])
        .areas(area);
        f.render_widget(Paragraph::new(head), head_area);
        draw_drift(f, drift_area, r, t);
        if plan.trades.is_empty() {
            let text = if plan.within_bands {
                "No trades: every target is within its band."
            } else {
                "No trades: the plan found none within these options (see the notes)."
            };
            f.render_widget(Paragraph::new(text).style(t.dim()), trades_area);
        } else {
            self.list.draw(
                f,
                trades_area,
                Rows {
                    columns: &TRADE_COLUMNS,
                    rows: &plan.trades,
                    total: plan.trades.len(),
                    sort: None,
                    note: None,
                },
                t,
                |tr| trade_cells(tr, t),
            );
        }
        f.render_widget(
            Paragraph::new(detail).wrap(Wrap { trim: true }),
            detail_area,
        );
        f.render_widget(Paragraph::new(notes).wrap(Wrap { trim: true }), notes_area);
    }
}

/// What the ticket opens with for `t`: its account and shares, and a taxable sale's lots.
fn selection(t: &Trade) -> Selection {
    let lots =
        (t.side == Side::Sell && t.account_kind == AccountKind::Taxable && !t.lots.is_empty())
            .then(|| {
                t.lots
                    .iter()
                    .map(|l| l.purchased.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            });
    Selection {
        symbol: t.symbol.clone(),
        account: Some(t.account.clone()),
        quantity: Some(t.quantity),
        lots,
        replacement: None,
    }
}

fn method(m: Method) -> &'static str {
    match m {
        Method::TaxAware => "Tax-aware",
        Method::Proportional => "Tax-blind",
    }
}

/// A plan's totals in a line: the proposed one with its turnover and cash left, the other
/// with what the proposed one saves against it. What does not fit `width` is left out.
fn totals<'a>(p: &Plan, proposed: bool, r: &RebalanceReport, t: Theme, width: usize) -> Line<'a> {
    let tax_style = t.signed(Some(Decimal::ZERO.cmp(&p.estimated_tax)));
    let mut spans = vec![
        TextSpan::styled(
            format!("{} plan  ", method(p.method)),
            if proposed { t.header() } else { t.dim() },
        ),
        TextSpan::raw(format!("{:>2} trades  ", p.trades.len())),
        TextSpan::styled("Estimated tax ", t.dim()),
        TextSpan::styled(signed_money(p.estimated_tax), tax_style),
    ];
    let mut more: Vec<[TextSpan; 2]> = Vec::new();
    if !proposed {
        let (what, amount) = if r.tax_saved >= Decimal::ZERO {
            ("  Tax saved ", r.tax_saved)
        } else {
            ("  Costs more tax ", -r.tax_saved)
        };
        more.push([
            TextSpan::styled(what, t.dim()),
            TextSpan::styled(
                money(amount),
                if r.tax_saved > Decimal::ZERO {
                    t.gain()
                } else {
                    Style::new()
                },
            ),
        ]);
    }
    more.push([
        TextSpan::styled("  Turnover ", t.dim()),
        TextSpan::raw(format!("{} ({:.1}%)", money(p.turnover), p.turnover_pct)),
    ]);
    more.push([
        TextSpan::styled("  Cash after ", t.dim()),
        TextSpan::raw(money(p.cash_after)),
    ]);
    let mut used: usize = spans.iter().map(TextSpan::width).sum();
    for pair in more {
        let w: usize = pair.iter().map(TextSpan::width).sum();
        if used + w > width {
            break;
        }
        used += w;
        spans.extend(pair);
    }
    Line::from(spans)
}

/// The options in force, each with its key; "planning…" while a request is out.
fn options_line<'a>(p: &RebalancePane, t: Theme) -> Line<'a> {
    let key = |k: &'static str| TextSpan::styled(k, t.accent());
    let cash = CASH[p.cash];
    let mut spans = vec![
        key("c"),
        TextSpan::raw(format!(
            " new cash {}  ",
            if cash == 0 {
                "0".to_string()
            } else {
                money(Decimal::from(cash))
            }
        )),
        key("n"),
        TextSpan::raw(if p.no_sell {
            " buys only  "
        } else {
            " sells too  "
        }),
        key("t"),
        TextSpan::raw(if p.ignore_taxes {
            " tax-blind  "
        } else {
            " tax-aware  "
        }),
        key("m"),
        TextSpan::raw(match MAX_TRADES[p.max_trades] {
            None => " any number of trades".to_string(),
            Some(n) => format!(" at most {n} trades"),
        }),
    ];
    if p.pending {
        spans.push(TextSpan::styled("  planning…", t.warn()));
    }
    Line::from(spans)
}

/// The drift of each target before and after the plan, in the order the set names them.
fn draw_drift(f: &mut Frame, area: Rect, r: &RebalanceReport, t: Theme) {
    let point = |d: Decimal, in_band: bool| {
        (
            format!("{}{}", points(d), if in_band { " " } else { "!" }),
            if in_band { Style::new() } else { t.warn() },
        )
    };
    // The targets' rows are in the set's order and say which names have no target (an
    // explicit 0% target shows as 0%, as on the Dashboard); the plan's drift says where each
    // ends up.
    let rows = r
        .targets
        .rows
        .iter()
        .filter_map(|row| {
            let d: &Drift = r.plan.drift.iter().find(|d| d.target == row.name)?;
            let goal = if row.untargeted {
                "-".to_string()
            } else {
                format!("{}%", d.target_pct.normalize())
            };
            Some(vec![
                (
                    d.target.clone(),
                    if d.in_band_before {
                        Style::new()
                    } else {
                        t.warn()
                    },
                ),
                (goal, Style::new()),
                (format!("{:.1}%", d.pct_before.round_dp(1)), Style::new()),
                point(d.pct_before - d.target_pct, d.in_band_before),
                (signed_money(row.drift_value), Style::new()),
                (format!("{:.1}%", d.pct_after.round_dp(1)), t.accent()),
                point(d.drift_after, d.in_band_after),
                (format!("±{}", d.band_points.normalize()), t.dim()),
                (money(d.value_after), Style::new()),
            ])
        })
        .collect();
    draw_table(f, area, &DRIFT_COLUMNS, rows, None, None, t);
}

fn trade_cells(tr: &Trade, t: Theme) -> Vec<CellText> {
    let sell = tr.side == Side::Sell;
    let gain = tr.short_term_gain + tr.long_term_gain;
    let lots = match tr.lots.as_slice() {
        [] => String::new(),
        [one] => one.purchased.to_string(),
        [first, more @ ..] => format!("{} +{}", first.purchased, more.len()),
    };
    vec![
        (
            if sell { "sell" } else { "buy" }.to_string(),
            if sell { t.loss() } else { t.gain() },
        ),
        (tr.account.clone(), Style::new()),
        (tr.symbol.clone(), Style::new()),
        (qty(tr.quantity), Style::new()),
        (price(tr.price), Style::new()),
        (money(tr.amount), Style::new()),
        if sell {
            (signed_money(gain), t.signed(Some(gain.cmp(&Decimal::ZERO))))
        } else {
            (String::new(), Style::new())
        },
        if sell {
            (
                signed_money(tr.estimated_tax),
                t.signed(Some(Decimal::ZERO.cmp(&tr.estimated_tax))),
            )
        } else {
            (String::new(), Style::new())
        },
        (tr.target.clone(), t.dim()),
        (lots, t.dim()),
    ]
}

/// The selected trade's reason, and a sale's lots.
fn detail_line<'a>(tr: &Trade, t: Theme) -> Line<'a> {
    let mut spans = vec![
        TextSpan::styled("› ", t.accent()),
        TextSpan::raw(tr.reason.clone()),
    ];
    if !tr.lots.is_empty() {
        let lots: Vec<String> = tr
            .lots
            .iter()
            .map(|l| format!("{} ({} sh)", l.purchased, qty(l.quantity)))
            .collect();
        spans.push(TextSpan::styled(
            format!("; lots {}", lots.join(", ")),
            t.dim(),
        ));
    }
    Line::from(spans)
}

/// The deferred purchases, the plan's notes and the report's warnings, a line each.
fn notes<'a>(r: &RebalanceReport, t: Theme) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    for d in &r.plan.deferred {
        lines.push(Line::styled(d.describe(), t.warn()));
    }
    for n in &r.plan.notes {
        lines.push(Line::styled(format!("Note: {n}"), t.dim()));
    }
    for w in &r.warnings {
        lines.push(Line::styled(w.clone(), t.warn()));
    }
    lines.push(Line::styled(
        format!(
            "At the closes as of {}, as folio rebalance plans: {} {} in all.",
            r.as_of,
            r.currency,
            money(r.targets.base)
        ),
        t.dim(),
    ));
    if r.new_cash > Decimal::ZERO {
        lines.push(Line::styled(
            format!(
                "New cash {} into {}.",
                money(r.new_cash),
                r.new_cash_account.as_deref().unwrap_or("-")
            ),
            t.dim(),
        ));
    }
    lines
}
