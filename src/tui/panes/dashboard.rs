//! Dashboard: the headline figures, the holdings table (all accounts together), allocation by
//! asset class and by holding, and the portfolio's value over time.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span as TextSpan};
use ratatui::widgets::{Bar, BarChart, Block, Paragraph};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::{Handled, Key, Pane, Sort, Span, View, matches};
use crate::app::dashboard::{Share, Summary};
use crate::app::targets::TargetView;
use crate::format::{money, points, price, qty, signed_money, signed_pct};
use crate::ledger::holdings::Holding as Row;
use crate::tui::jobs::Job;
use crate::tui::list::{List, Rows};
use crate::tui::widgets::{CellText, Column, to_f64, value_chart};

const COLUMNS: [Column; 8] = [
    Column::left("Symbol", 6, 0),
    Column::right("Quantity", 10, 3),
    Column::right("Price", 9, 0),
    Column::right("Day %", 7, 1),
    Column::right("Value", 13, 0),
    Column::right("Weight", 6, 2),
    Column::right("Gain", 13, 1),
    Column::left("30 days", 30, 4),
];

const HELP: &[(&str, &str)] = &[
    ("↑ ↓ j k", "move in the holdings table"),
    ("PgUp PgDn g G", "page, first, last"),
    ("o / O", "order by the next column / reverse the order"),
    (
        "b / s",
        "buy / sell the selected holding (the order ticket)",
    ),
    ("/", "filter holdings by symbol or name (Esc clears)"),
    ("r", "value chart range: 1M, 6M, 1Y, 5Y"),
    ("c", "allocation: by asset class or by holding"),
    ("Enter", "the selected holding by account (Esc closes)"),
];

pub struct Dashboard {
    list: List,
    sort: Sort,
    range: Span,
    by_holding: bool,
    /// The symbol whose by-account breakdown is open.
    detail: Option<String>,
}

impl Default for Dashboard {
    fn default() -> Self {
        Dashboard {
            list: List::default(),
            sort: Sort {
                column: 4,
                descending: true,
            },
            range: Span::default(),
            by_holding: false,
            detail: None,
        }
    }
}

fn sort_key(r: &Row, column: usize) -> Key<'_> {
    let h = r;
    match column {
        0 | 7 => Key::Text(&h.symbol),
        1 => Key::Num(Some(h.quantity)),
        2 => Key::Num(h.price),
        3 => Key::Num(r.day_change_pct),
        4 => Key::Num(h.market_value),
        5 => Key::Num(h.weight_pct),
        _ => Key::Num(h.unrealized_gain),
    }
}

impl Pane for Dashboard {
    fn title(&self) -> &'static str {
        "Dashboard"
    }

    fn help(&self) -> &'static [(&'static str, &'static str)] {
        HELP
    }

    fn typing(&self) -> bool {
        self.list.filter.typing
    }

    fn key(&mut self, key: KeyEvent, view: &View, _jobs: &mut Vec<Job>) -> Handled {
        if self.list.typed(key).is_some() {
            return Handled::Yes;
        }
        if self.detail.is_some() {
            if matches!(key.code, KeyCode::Esc | KeyCode::Enter) {
                self.detail = None;
                return Handled::Yes;
            }
            return Handled::No;
        }
        let all_rows = &view.valued.overview.holdings;
        let rows = self.shown(all_rows, view);
        if self.list.movement(&key, rows.len()) {
            return Handled::Yes;
        }
        match key.code {
            KeyCode::Char('o') => self.sort.next(COLUMNS.len()),
            KeyCode::Char('O') => self.sort.descending = !self.sort.descending,
            KeyCode::Char('r') => self.range = self.range.next(),
            KeyCode::Char('c') => self.by_holding = !self.by_holding,
            KeyCode::Char('/') => self.list.filter.start(),
            KeyCode::Enter => {
                self.detail = rows
                    .get(self.list.cursor.selected)
                    .map(|r| r.symbol.clone())
            }
            KeyCode::Esc if self.list.filter.is_active() => self.list.filter.clear(),
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn selection(&self, view: &View) -> Option<super::Selection> {
        let rows = self.shown(&view.valued.overview.holdings, view);
        rows.get(self.list.cursor.selected)
            .map(|r| super::Selection {
                symbol: r.symbol.clone(),
                ..Default::default()
            })
    }

    fn draw(&mut self, f: &mut Frame, area: Rect, view: &View) {
        let p = view.portfolio;
        let o = &view.valued.overview;
        let all_rows = &o.holdings;
        let summary = &o.summary;
        let (classes, holdings) = (&o.allocation.by_class, &o.allocation.by_holding);

        let head = headline(summary, &p.currency, view, area.width);
        // The table takes what its rows need, up to three fifths; the charts the rest.
        let rest = area.height.saturating_sub(head.len() as u16);
        let table_h = (all_rows.len() as u16 + 1).min(rest * 3 / 5).max(2);
        let [head_area, table_area, bottom] = Layout::vertical([
            Constraint::Length(head.len() as u16),
            Constraint::Length(table_h + u16::from(self.list.filter.is_active())),
            Constraint::Fill(1),
        ])
        .areas(area);
        f.render_widget(Paragraph::new(head), head_area);

        let rows = self.shown(all_rows, view);
        let sort = self.sort;
        self.list.draw(
            f,
            table_area,
            Rows {
                columns: &COLUMNS,
                rows: &rows,
                total: all_rows.len(),
                sort: Some((sort.column, sort.descending)),
                note: None,
            },
            view.theme,
            |r| cells(r, view),
        );

        // Value chart and allocation.
        let alloc_w = (area.width * 2 / 5).clamp(24, 44);
        let [chart_area, alloc_area] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Length(alloc_w)]).areas(bottom);
        let series: Vec<_> = self
            .range
            .slice(&p.values, |v| v.date)
            .iter()
            .map(|v| (v.date, to_f64(v.total)))
            .collect();
        let title = Line::from(vec![
            TextSpan::styled(
                format!(" Value {} ", self.range.label()),
                view.theme.accent(),
            ),
            TextSpan::styled("r ", view.theme.dim()),
        ]);
        value_chart(
            f,
            chart_area,
            Block::bordered().title(title),
            &series,
            view.theme,
            "No price history yet: add daily closes with `folio prices import FILE`.",
        );
        self.draw_allocation(f, alloc_area, classes, holdings, view);
        if let Some(symbol) = &self.detail {
            breakdown(f, area, symbol, view);
        }
    }
}

/// A popup with one holding's position in each account.
fn breakdown(f: &mut Frame, area: Rect, symbol: &str, view: &View) {
    let p = view.portfolio;
    let t = view.theme;
    let mut lines = Vec::new();
    if let Some(sec) = p.securities.get(symbol) {
        lines.push(Line::from(format!("{} · {}", sec.name, sec.class)));
        if !sec.index.is_empty() {
            lines.push(Line::styled(format!("Tracks {}", sec.index), t.dim()));
        }
        lines.push(Line::raw(""));
    }
    let rows = view
        .valued
        .by_account
        .as_ref()
        .map_or(&[][..], |r| r.holdings.as_slice());
    for h in rows.iter().filter(|r| r.symbol == symbol) {
        let gain = h.unrealized_gain;
        lines.push(Line::from(vec![
            TextSpan::styled(format!("{:<12}", h.account), t.accent()),
            TextSpan::raw(format!(
                "{:>10} sh  value {:>13}  basis {:>13}  ",
                qty(h.quantity),
                h.market_value.map(money).unwrap_or_else(|| "-".into()),
                money(h.cost_basis),
            )),
            TextSpan::styled(
                gain.map(signed_money).unwrap_or_else(|| "-".into()),
                t.signed(gain.map(|g| g.cmp(&Decimal::ZERO))),
            ),
        ]));
    }
    crate::tui::widgets::popup(f, area, symbol, lines, t);
}

impl Dashboard {
    /// The table's rows: filtered and sorted as the user asked.
    fn shown<'r>(&self, all_rows: &'r [Row], view: &View) -> Vec<&'r Row> {
        let p = view.portfolio;
        let needle = self.list.filter.text().to_lowercase();
        let mut rows: Vec<&Row> = all_rows
            .iter()
            .filter(|r| {
                needle.is_empty()
                    || matches(&r.symbol, &needle)
                    || p.securities
                        .name_of(&r.symbol)
                        .is_some_and(|n| matches(n, &needle))
            })
            .collect();
        let sort = self.sort;
        rows.sort_by(|a, b| {
            sort.compare(&sort_key(a, sort.column), &sort_key(b, sort.column))
                .then_with(|| a.symbol.cmp(&b.symbol))
        });
        rows
    }

    fn draw_allocation(
        &self,
        f: &mut Frame,
        area: Rect,
        classes: &[Share],
        holdings: &[Share],
        view: &View,
    ) {
        let targets = view.valued.targets.as_ref();
        let block = Block::bordered();
        let inner = block.inner(area);
        // By class: the targets (a header line when there is room for it) or the bars and a
        // line on how to set targets.
        let class_h = match targets {
            Some(tv) => tv.rows.len() + 1,
            None => classes.len() + 1,
        };
        // Both lists when they fit one above the other, else the one picked with `c`.
        let both = usize::from(inner.height) >= class_h + 1 + holdings.len().min(3);
        let by_class = if targets.is_some() {
            " Allocation vs targets "
        } else {
            " Allocation by class "
        };
        let title = if both {
            " Allocation ".to_string()
        } else if self.by_holding {
            " Allocation by holding ".to_string()
        } else {
            by_class.to_string()
        };
        let block = block.title(Line::from(vec![
            TextSpan::styled(title, view.theme.accent()),
            TextSpan::styled(if both { "" } else { "c " }, view.theme.dim()),
        ]));
        f.render_widget(block, area);
        let class_area = if both {
            let [top, _, rest] = Layout::vertical([
                Constraint::Length(class_h as u16),
                Constraint::Length(1),
                Constraint::Fill(1),
            ])
            .areas(inner);
            bars(f, rest, holdings, view);
            top
        } else if self.by_holding {
            bars(f, inner, holdings, view);
            return;
        } else {
            inner
        };
        match targets {
            Some(tv) => target_rows(f, class_area, tv, view),
            None => {
                let [bars_area, hint_area] = Layout::vertical([
                    Constraint::Fill(1),
                    Constraint::Length(u16::from(class_area.height >= 2)),
                ])
                .areas(class_area);
                bars(f, bars_area, classes, view);
                let hint = if class_area.width >= 46 {
                    "No targets: folio targets set \"US stocks=60,...\""
                } else {
                    "No targets: folio targets set"
                };
                f.render_widget(Paragraph::new(hint).style(view.theme.dim()), hint_area);
            }
        }
    }
}

/// Each class's weight beside its target and the drift in points; out of band in the warning
/// colour and marked `!`. A header line when the rows leave room for one.
fn target_rows(f: &mut Frame, area: Rect, tv: &TargetView, view: &View) {
    let t = view.theme;
    let width = usize::from(area.width);
    // Name, " 49.2%", "  50%", " -0.7", "!".
    let name_w = width.saturating_sub(19).clamp(4, 20);
    let mut lines = Vec::new();
    if usize::from(area.height) > tv.rows.len() {
        lines.push(Line::styled(
            format!("{:<name_w$} {:>6} {:>4} {:>5}", "", "Now", "Goal", "Drift"),
            t.dim(),
        ));
    }
    for r in &tv.rows {
        let goal = if r.untargeted {
            "-".to_string()
        } else {
            format!("{}%", r.target_pct.normalize())
        };
        let style = if r.in_band { Style::new() } else { t.warn() };
        lines.push(Line::from(vec![
            TextSpan::styled(format!("{:<name_w$}", cut(&r.name, name_w)), style),
            TextSpan::raw(format!(" {:>5.1}%", r.pct.round_dp(1))),
            TextSpan::styled(format!(" {goal:>4}"), t.dim()),
            TextSpan::styled(
                format!(
                    " {:>5}{}",
                    points(r.drift_points),
                    if r.in_band { " " } else { "!" }
                ),
                style,
            ),
        ]));
    }
    f.render_widget(Paragraph::new(lines), area);
}

/// `name` in at most `w` columns, cut with `…`.
fn cut(name: &str, w: usize) -> String {
    if name.chars().count() > w {
        let cut: String = name.chars().take(w.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        name.to_string()
    }
}

/// One horizontal bar per share (as many as fit), labelled with the name and percentage.
fn bars(f: &mut Frame, area: Rect, shares: &[Share], view: &View) {
    let name_w = usize::from(area.width.saturating_sub(8) / 2).min(13);
    let bars: Vec<Bar> = shares
        .iter()
        .take(usize::from(area.height))
        .map(|Share { name, pct, .. }| {
            let name = cut(name, name_w);
            Bar::default()
                .label(Line::from(format!("{name:<name_w$} {pct:>5.1}%")))
                .value((pct * Decimal::TEN).to_u64().unwrap_or(0))
                .text_value(String::new())
        })
        .collect();
    let chart = BarChart::horizontal(bars)
        .bar_width(1)
        .bar_gap(0)
        .max(1000)
        .bar_style(view.theme.bar());
    f.render_widget(chart, area);
}

/// Net worth, day change, unrealized gain and cash: one line when it fits, else two.
fn headline(s: &Summary, currency: &str, view: &View, width: u16) -> Vec<Line<'static>> {
    let t = view.theme;
    let sign = |d: Decimal| t.signed(Some(d.cmp(&Decimal::ZERO)));
    let day = match s.day_change_pct {
        Some(p) => format!("{} ({})", signed_money(s.day_change), signed_pct(p)),
        None => signed_money(s.day_change),
    };
    let items: [Vec<TextSpan<'static>>; 4] = [
        vec![
            TextSpan::styled("Net worth ", t.dim()),
            TextSpan::styled(format!("{currency} {}", money(s.net_worth)), t.accent()),
        ],
        vec![
            TextSpan::styled("Day ", t.dim()),
            TextSpan::styled(day, sign(s.day_change)),
        ],
        vec![
            TextSpan::styled("Unrealized ", t.dim()),
            TextSpan::styled(signed_money(s.unrealized_gain), sign(s.unrealized_gain)),
        ],
        vec![
            TextSpan::styled("Cash ", t.dim()),
            TextSpan::raw(money(s.cash)),
        ],
    ];
    let gap = || TextSpan::raw("   ");
    let w = |v: &[TextSpan]| v.iter().map(TextSpan::width).sum::<usize>();
    let total: usize = items.iter().map(|i| w(i)).sum::<usize>() + 9;
    let mut lines: Vec<Line<'static>> = if total <= usize::from(width) {
        let mut spans = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                spans.push(gap());
            }
            spans.extend(item);
        }
        vec![Line::from(spans)]
    } else {
        let [a, b, c, d] = items;
        vec![
            Line::from([a, vec![gap()], d].concat()),
            Line::from([b, vec![gap()], c].concat()),
        ]
    };
    // The broker's own valuation, beside the ledger's.
    let broker = &view.quotes.accounts;
    if !broker.is_empty() {
        let sum = |f: fn(&crate::market::feed::BrokerAccount) -> Option<Decimal>| {
            broker
                .iter()
                .filter(|a| a.currency == currency)
                .filter_map(f)
                .sum::<Decimal>()
        };
        let names: Vec<&str> = broker.iter().map(|a| a.account.as_str()).collect();
        lines.push(Line::from(vec![
            TextSpan::styled("Broker ", t.dim()),
            TextSpan::raw(format!(
                "net liquidation {currency} {}   cash {}",
                money(sum(|a| a.net_liquidation)),
                money(sum(|a| a.cash))
            )),
            TextSpan::styled(format!("   {}", names.join(", ")), t.dim()),
        ]));
    }
    let mut notes = Vec::new();
    if s.unpriced > 0 {
        notes.push(format!(
            "{} holding(s) without a price are left out",
            s.unpriced
        ));
    }
    if !s.other_currencies.is_empty() {
        notes.push(format!(
            "{} holdings and cash are not in these totals",
            s.other_currencies.join(", ")
        ));
    }
    if !notes.is_empty() {
        lines.push(Line::styled(notes.join("; "), t.warn()));
    }
    lines
}

fn cells(r: &Row, view: &View) -> Vec<CellText> {
    let t = view.theme;
    let h = r;
    let flash = |base: Style| view.flashing(&h.symbol, base);
    let sign = |d: Option<Decimal>| t.signed(d.map(|d| d.cmp(&Decimal::ZERO)));
    let opt =
        |d: Option<Decimal>, fmt: fn(Decimal) -> String| d.map(fmt).unwrap_or_else(|| "-".into());
    vec![
        (h.symbol.clone(), Style::new()),
        (qty(h.quantity), Style::new()),
        (opt(h.price, price), flash(Style::new())),
        (
            opt(r.day_change_pct, signed_pct),
            flash(sign(r.day_change_pct)),
        ),
        (opt(h.market_value, money), flash(Style::new())),
        (opt(h.weight_pct, |w| format!("{w:.1}%")), Style::new()),
        (
            opt(h.unrealized_gain, signed_money),
            sign(h.unrealized_gain),
        ),
        (
            crate::tui::widgets::sparkline(&view.portfolio.recent_closes(&h.symbol, 30), 30),
            t.chart(),
        ),
    ]
}
