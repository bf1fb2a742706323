//! Holdings and lots: every position by account; Enter shows its lots and its price chart.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span as TextSpan};
use ratatui::widgets::{Block, Paragraph};
use rust_decimal::Decimal;

use super::{Handled, Key, Pane, Sort, Span, View, matches};
use crate::domain::Term;
use crate::format::{money, price, qty, signed_money, signed_pct};
use crate::ledger::holdings::Holding as Row;
use crate::tui::jobs::Job;
use crate::tui::list::{List, Rows};
use crate::tui::widgets::{CellText, Column, Cursor, draw_table, to_f64, value_chart};

const COLUMNS: [Column; 10] = [
    Column::left("Account", 10, 0),
    Column::left("Symbol", 6, 0),
    Column::right("Quantity", 10, 2),
    Column::right("Price", 9, 0),
    Column::right("Value", 13, 0),
    Column::right("Cost basis", 13, 3),
    Column::right("Gain", 13, 1),
    Column::right("Gain %", 8, 2),
    Column::right("Day %", 7, 3),
    Column::right("Lots", 4, 4),
];

const LOT_COLUMNS: [Column; 7] = [
    Column::left("Acquired", 12, 0),
    Column::right("Quantity", 10, 0),
    Column::right("Basis", 11, 1),
    Column::right("Value", 11, 0),
    Column::right("Gain", 11, 0),
    Column::left("Term", 5, 2),
    Column::right("To long term", 12, 3),
];

const HELP: &[(&str, &str)] = &[
    ("↑ ↓ j k", "move"),
    ("PgUp PgDn g G", "page, first, last"),
    ("Enter", "show the holding's lots and price chart"),
    ("Esc", "back to the list (or clear the filter)"),
    ("o / O", "order by the next column / reverse the order"),
    (
        "b / s",
        "buy / sell the selected holding (the order ticket)",
    ),
    ("/", "filter by account, symbol or name"),
    ("r", "price chart range: 1M, 6M, 1Y, 5Y (in the lots view)"),
];

pub struct Holdings {
    list: List,
    sort: Sort,
    detail: Option<Detail>,
}

struct Detail {
    account: String,
    symbol: String,
    cursor: Cursor,
    range: Span,
    len: usize,
}

impl Default for Holdings {
    fn default() -> Self {
        Holdings {
            list: List::default(),
            sort: Sort {
                column: 0,
                descending: false,
            },
            detail: None,
        }
    }
}

fn sort_key(r: &Row, column: usize) -> Key<'_> {
    let h = r;
    match column {
        0 => Key::Text(&h.account),
        1 => Key::Text(&h.symbol),
        2 => Key::Num(Some(h.quantity)),
        3 => Key::Num(h.price),
        4 => Key::Num(h.market_value),
        5 => Key::Num(Some(h.cost_basis)),
        6 => Key::Num(h.unrealized_gain),
        7 => Key::Num(h.unrealized_gain_pct),
        8 => Key::Num(r.day_change_pct),
        _ => Key::Num(Some(Decimal::from(r.lots))),
    }
}

impl Pane for Holdings {
    fn title(&self) -> &'static str {
        "Holdings"
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
        if let Some(d) = &mut self.detail {
            if d.cursor.key(&key, d.len, 5) {
                return Handled::Yes;
            }
            match key.code {
                KeyCode::Esc => self.detail = None,
                KeyCode::Char('r') => d.range = d.range.next(),
                _ => return Handled::No,
            }
            return Handled::Yes;
        }
        let all_rows = all(view);
        let rows = self.shown(all_rows, view);
        if self.list.movement(&key, rows.len()) {
            return Handled::Yes;
        }
        match key.code {
            KeyCode::Enter => {
                if let Some(r) = rows.get(self.list.cursor.selected) {
                    let (account, symbol) = (r.account.clone(), r.symbol.clone());
                    self.detail = Some(Detail {
                        account,
                        symbol,
                        cursor: Cursor::default(),
                        range: Span::default(),
                        len: 0,
                    });
                }
            }
            KeyCode::Char('o') => self.sort.next(COLUMNS.len()),
            KeyCode::Char('O') => self.sort.descending = !self.sort.descending,
            KeyCode::Char('/') => self.list.filter.start(),
            KeyCode::Esc if self.list.filter.is_active() => self.list.filter.clear(),
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn selection(&self, view: &View) -> Option<super::Selection> {
        if let Some(d) = &self.detail {
            return Some(super::Selection {
                symbol: d.symbol.clone(),
                account: Some(d.account.clone()),
                ..Default::default()
            });
        }
        let rows = self.shown(all(view), view);
        rows.get(self.list.cursor.selected)
            .map(|r| super::Selection {
                symbol: r.symbol.clone(),
                account: Some(r.account.clone()),
                ..Default::default()
            })
    }

    fn draw(&mut self, f: &mut Frame, area: Rect, view: &View) {
        if let Some(d) = &mut self.detail {
            draw_detail(f, area, d, view);
            return;
        }
        let all_rows = all(view);
        let rows = self.shown(all_rows, view);
        let needle = self.list.filter.text();
        let sort = self.sort;
        if rows.is_empty() && needle.is_empty() {
            f.render_widget(
                Paragraph::new("No open positions.").style(view.theme.dim()),
                area,
            );
            return;
        }
        self.list.draw(
            f,
            area,
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
    }
}

impl Holdings {
    /// The table's rows: filtered and sorted as the user asked.
    fn shown<'r>(&self, all_rows: &'r [Row], view: &View) -> Vec<&'r Row> {
        let p = view.portfolio;
        let needle = self.list.filter.text().to_lowercase();
        let mut rows: Vec<&Row> = all_rows
            .iter()
            .filter(|r| {
                let h = r;
                needle.is_empty()
                    || matches(&h.symbol, &needle)
                    || matches(&h.account, &needle)
                    || p.securities
                        .name_of(&h.symbol)
                        .is_some_and(|n| matches(n, &needle))
            })
            .collect();
        let sort = self.sort;
        rows.sort_by(|a, b| {
            sort.compare(&sort_key(a, sort.column), &sort_key(b, sort.column))
                .then_with(|| a.account.cmp(&b.account))
                .then_with(|| a.symbol.cmp(&b.symbol))
        });
        rows
    }
}

/// Every position by account, at the marks in force.
fn all<'a>(view: &View<'a>) -> &'a [Row] {
    view.valued
        .by_account
        .as_ref()
        .map_or(&[][..], |r| r.holdings.as_slice())
}

fn cells(r: &Row, view: &View) -> Vec<CellText> {
    let t = view.theme;
    let h = r;
    let flash = |base: Style| view.flashing(&h.symbol, base);
    let sign = |d: Option<Decimal>| t.signed(d.map(|d| d.cmp(&Decimal::ZERO)));
    let opt =
        |d: Option<Decimal>, fmt: fn(Decimal) -> String| d.map(fmt).unwrap_or_else(|| "-".into());
    vec![
        (h.account.clone(), Style::new()),
        (h.symbol.clone(), Style::new()),
        (qty(h.quantity), Style::new()),
        (opt(h.price, price), flash(Style::new())),
        (opt(h.market_value, money), flash(Style::new())),
        (money(h.cost_basis), Style::new()),
        (
            opt(h.unrealized_gain, signed_money),
            sign(h.unrealized_gain),
        ),
        (
            opt(h.unrealized_gain_pct, signed_pct),
            sign(h.unrealized_gain_pct),
        ),
        (
            opt(r.day_change_pct, signed_pct),
            flash(sign(r.day_change_pct)),
        ),
        (r.lots.to_string(), Style::new()),
    ]
}

fn draw_detail(f: &mut Frame, area: Rect, d: &mut Detail, view: &View) {
    let p = view.portfolio;
    let t = view.theme;
    let mark = view.valued.marks.get(&d.symbol);
    let lots: Vec<_> = p
        .lots
        .iter()
        .filter(|l| l.account == d.account && l.symbol == d.symbol)
        .collect();
    d.len = lots.len();

    let name = p.securities.name_of(&d.symbol).unwrap_or("");
    let mut head = vec![
        TextSpan::styled(format!("{} ", d.symbol), t.accent()),
        TextSpan::raw(format!("in {}", d.account)),
    ];
    if !name.is_empty() {
        head.push(TextSpan::styled(format!("  {name}"), t.dim()));
    }
    if let Some(m) = mark {
        head.push(TextSpan::raw(format!("  at {}", price(m.price))));
    }
    let lots_h = (lots.len() as u16 + 1).clamp(2, area.height.saturating_sub(1) / 2);
    let [head_area, lots_area, chart_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(lots_h),
        Constraint::Fill(1),
    ])
    .areas(area);
    f.render_widget(Line::from(head), head_area);

    if lots.is_empty() {
        f.render_widget(
            Paragraph::new("This position is closed.").style(t.dim()),
            lots_area,
        );
    } else {
        let height = usize::from(lots_area.height.saturating_sub(1));
        let window = d.cursor.window(lots.len(), height);
        let selected = Some(d.cursor.selected - window.start);
        let rows = lots[window]
            .iter()
            .map(|l| {
                let value = mark.map(|m| (l.quantity * m.price).round_dp(2));
                let gain = value.map(|v| v - l.cost_basis);
                let held = l.term;
                let to_long = match held {
                    Term::Long => "-".to_string(),
                    Term::Short => format!("{} days", l.days_to_long_term),
                };
                vec![
                    (
                        if l.wash_sale_adjustment.is_zero() {
                            l.acquired.to_string()
                        } else {
                            format!("{} W", l.acquired)
                        },
                        Style::new(),
                    ),
                    (qty(l.quantity), Style::new()),
                    (money(l.cost_basis), Style::new()),
                    (value.map(money).unwrap_or_else(|| "-".into()), Style::new()),
                    (
                        gain.map(signed_money).unwrap_or_else(|| "-".into()),
                        t.signed(gain.map(|g| g.cmp(&Decimal::ZERO))),
                    ),
                    (held.as_str().to_string(), Style::new()),
                    (to_long, Style::new()),
                ]
            })
            .collect();
        draw_table(f, lots_area, &LOT_COLUMNS, rows, selected, None, t);
    }

    let closes = p.closes.get(&d.symbol).map(Vec::as_slice).unwrap_or(&[]);
    let series: Vec<_> = d
        .range
        .slice(closes, |c| c.0)
        .iter()
        .map(|(day, c)| (*day, to_f64(*c)))
        .collect();
    let title = Line::from(vec![
        TextSpan::styled(format!(" {} {} ", d.symbol, d.range.label()), t.accent()),
        TextSpan::styled("r ", t.dim()),
    ]);
    value_chart(
        f,
        chart_area,
        Block::bordered().title(title),
        &series,
        t,
        "No closes for this symbol: add them with `folio prices import FILE`.",
    );
}
