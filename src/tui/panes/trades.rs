//! Trades: the orders (working ones first, then the latest) above the transaction history,
//! newest first, filterable by account, symbol, action and date range; Enter shows every field
//! of a transaction; `b` / `s` open the order ticket; `c` cancels the selected working order.

use chrono::NaiveDate;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span as TextSpan};

use super::{Handled, Pane, View, matches};
use crate::domain::order::{Order, OrderState};
use crate::domain::{Action, Transaction};
use crate::format::{money, price, qty};
use crate::tui::filter::Edit;
use crate::tui::list::{List, Rows};
use crate::tui::widgets::{CellText, Column, Cursor, draw_table, popup};

const COLUMNS: [Column; 10] = [
    Column::left("Date", 10, 0),
    Column::left("Account", 10, 2),
    Column::left("Action", 11, 0),
    Column::left("Symbol", 7, 0),
    Column::right("Quantity", 10, 1),
    Column::right("Price", 9, 1),
    Column::right("Fees", 7, 4),
    Column::right("Amount", 12, 1),
    Column::left("Ccy", 3, 5),
    Column::left("Note", 16, 6),
];

const ORDER_COLUMNS: [Column; 8] = [
    Column::right("Id", 4, 0),
    Column::left("Placed", 8, 3),
    Column::left("Order", 30, 0),
    Column::left("State", 16, 0),
    Column::right("Filled", 8, 1),
    Column::right("Avg price", 9, 2),
    Column::right("Comm.", 6, 4),
    Column::left("Broker", 14, 5),
];

/// Rows of the orders table at most (the history gets the rest).
const ORDER_ROWS: usize = 6;

const HELP: &[(&str, &str)] = &[
    ("o", "move between the orders and the transactions"),
    ("c", "cancel the selected working order (y confirms)"),
    (
        "b / s",
        "buy / sell the selected row's symbol (the order ticket)",
    ),
    ("↑ ↓ j k", "move"),
    ("PgUp PgDn g G", "page, first, last"),
    ("Enter", "show every field of the transaction (Esc closes)"),
    ("/", "filter: words match account, symbol, action or note,"),
    ("", "or name a field: account:IRA symbol:VTI action:sell"),
    ("", "from:2024-01-01 to:2024-12-31"),
    ("Esc", "clear the filter"),
];

/// A parsed filter: every part must match.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Query {
    account: Option<String>,
    symbol: Option<String>,
    action: Option<Action>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    words: Vec<String>,
}

impl Query {
    /// Parses `account:X symbol:X action:X from:DATE to:DATE` and free words.
    pub fn parse(text: &str) -> Result<Query, String> {
        let mut q = Query::default();
        for token in text.split_whitespace() {
            let Some((field, value)) = token.split_once(':') else {
                q.words.push(token.to_lowercase());
                continue;
            };
            let date = |v: &str| {
                v.parse::<NaiveDate>()
                    .map_err(|_| format!("{field}: '{v}' is not a date (YYYY-MM-DD)"))
            };
            match field.to_lowercase().as_str() {
                "account" => q.account = Some(value.to_lowercase()),
                "symbol" => q.symbol = Some(value.to_lowercase()),
                "action" => {
                    q.action = Some(value.parse::<Action>().map_err(|_| {
                        format!("action: '{value}' is not an action (buy, sell, dividend...)")
                    })?)
                }
                "from" => q.from = Some(date(value)?),
                "to" => q.to = Some(date(value)?),
                other => {
                    return Err(format!(
                        "'{other}:' is not a filter field (account, symbol, action, from, to)"
                    ));
                }
            }
        }
        Ok(q)
    }

    pub fn matches(&self, t: &Transaction) -> bool {
        let symbol = t.symbol.as_deref().unwrap_or("");
        self.account
            .as_ref()
            .is_none_or(|a| t.account.to_lowercase() == *a)
            && self
                .symbol
                .as_ref()
                .is_none_or(|s| symbol.to_lowercase() == *s)
            && self.action.is_none_or(|a| t.action == a)
            && self.from.is_none_or(|d| t.date >= d)
            && self.to.is_none_or(|d| t.date <= d)
            && self.words.iter().all(|w| {
                matches(&t.account, w)
                    || matches(symbol, w)
                    || matches(t.action.as_str(), w)
                    || t.note.as_deref().is_some_and(|n| matches(n, w))
            })
    }
}

#[derive(Default)]
pub struct Trades {
    list: List,
    query: Query,
    error: Option<String>,
    /// The id of the transaction whose detail is open.
    detail: Option<i64>,
    /// The orders table has the cursor (instead of the transactions).
    on_orders: bool,
    orders: Cursor,
    /// The working order a cancel is being confirmed for.
    cancelling: Option<Order>,
    /// The last cancel's outcome.
    message: Option<Result<String, String>>,
}

/// The orders to list: working ones first, then the latest others.
fn order_rows<'v>(view: &View<'v>) -> Vec<&'v Order> {
    let Some(Ok(r)) = view.orders else {
        return Vec::new();
    };
    let mut rows: Vec<&Order> = r.orders.iter().filter(|o| o.state.is_open()).collect();
    rows.extend(r.orders.iter().filter(|o| !o.state.is_open()).take(20));
    rows
}

impl Trades {
    /// The transactions the filter lets through, newest first.
    fn shown<'v>(query: &Query, view: &View<'v>) -> Vec<&'v Transaction> {
        view.portfolio
            .transactions
            .iter()
            .filter(|tx| query.matches(tx))
            .collect()
    }

    fn apply_filter(&mut self) {
        match Query::parse(self.list.filter.text()) {
            Ok(q) => {
                self.query = q;
                self.error = None;
            }
            // Keep the last good filter while the text is being fixed.
            Err(e) => self.error = Some(e),
        }
        self.list.cursor = Cursor::default();
    }
}

impl Pane for Trades {
    fn title(&self) -> &'static str {
        "Trades"
    }

    fn help(&self) -> &'static [(&'static str, &'static str)] {
        HELP
    }

    fn typing(&self) -> bool {
        self.list.filter.typing
    }

    fn key(
        &mut self,
        key: KeyEvent,
        view: &View,
        jobs: &mut Vec<crate::tui::jobs::Job>,
    ) -> Handled {
        if let Some(o) = &self.cancelling {
            match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    jobs.push(crate::tui::jobs::Job::CancelOrder(o.id));
                    self.message = Some(Ok(format!("Cancelling order {}…", o.id)));
                    self.cancelling = None;
                }
                _ => self.cancelling = None,
            }
            return Handled::Yes;
        }
        if let Some(edit) = self.list.typed(key) {
            if matches!(edit, Edit::Changed | Edit::Cleared) {
                self.apply_filter();
            }
            return Handled::Yes;
        }
        if self.detail.is_some() {
            if matches!(key.code, KeyCode::Esc | KeyCode::Enter) {
                self.detail = None;
                return Handled::Yes;
            }
            return Handled::No;
        }
        let orders = order_rows(view);
        if key.code == KeyCode::Char('o') {
            self.on_orders = !self.on_orders && !orders.is_empty();
            return Handled::Yes;
        }
        if self.on_orders {
            if self.orders.key(&key, orders.len(), ORDER_ROWS) {
                return Handled::Yes;
            }
            if key.code == KeyCode::Char('c') {
                match orders.get(self.orders.selected) {
                    Some(o) if o.state.is_open() => self.cancelling = Some((*o).clone()),
                    Some(o) => {
                        self.message = Some(Err(format!(
                            "order {} is {}: nothing to cancel",
                            o.id, o.state
                        )))
                    }
                    None => {}
                }
                return Handled::Yes;
            }
            return Handled::No;
        }
        let rows = Trades::shown(&self.query, view);
        if self.list.movement(&key, rows.len()) {
            return Handled::Yes;
        }
        match key.code {
            KeyCode::Enter => self.detail = rows.get(self.list.cursor.selected).map(|tx| tx.id),
            KeyCode::Char('/') => self.list.filter.start(),
            KeyCode::Char('c') => {
                self.message = Some(Err(
                    "press o to move to the orders, then c cancels the selected one".into(),
                ))
            }
            KeyCode::Esc if self.list.filter.is_active() => {
                self.list.filter.clear();
                self.apply_filter();
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn done(
        &mut self,
        done: &crate::tui::jobs::Done,
        _view: &View,
        _jobs: &mut Vec<crate::tui::jobs::Job>,
    ) {
        if let crate::tui::jobs::Done::Cancelled(r) = done {
            self.message = Some(match r {
                Ok(o) => Ok(format!("Order {} {}", o.id, o.state)),
                Err(e) => Err(e.clone()),
            });
        }
    }

    fn selection(&self, view: &View) -> Option<super::Selection> {
        if self.on_orders {
            let orders = order_rows(view);
            let o = orders.get(self.orders.selected)?;
            return Some(super::Selection {
                symbol: o.request.symbol.clone(),
                account: Some(o.request.account.clone()),
                ..Default::default()
            });
        }
        let rows = Trades::shown(&self.query, view);
        let tx = rows.get(self.list.cursor.selected)?;
        Some(super::Selection {
            symbol: tx.symbol.clone()?,
            account: Some(tx.account.clone()),
            ..Default::default()
        })
    }

    fn draw(&mut self, f: &mut Frame, area: Rect, view: &View) {
        let t = view.theme;
        let orders = order_rows(view);
        let shown_orders = orders.len().min(ORDER_ROWS);
        let orders_h = if orders.is_empty() {
            1
        } else {
            shown_orders as u16 + 2
        };
        let [orders_area, main] =
            Layout::vertical([Constraint::Length(orders_h), Constraint::Fill(1)]).areas(area);
        self.draw_orders(f, orders_area, &orders, view);
        let all = &view.portfolio.transactions;
        let rows = Trades::shown(&self.query, view);
        let note = self
            .error
            .as_ref()
            .map(|e| TextSpan::styled(format!(" {e} "), t.error()));
        self.list.draw(
            f,
            main,
            Rows {
                columns: &COLUMNS,
                rows: &rows,
                total: all.len(),
                sort: None,
                note,
            },
            t,
            |tx| cells(tx),
        );

        if let Some(o) = &self.cancelling {
            popup(
                f,
                area,
                "Cancel",
                vec![
                    Line::raw(format!(
                        "Cancel order {}: {}?",
                        o.id,
                        crate::format::order(&o.request)
                    )),
                    Line::styled("y cancels it, any other key keeps it", t.dim()),
                ],
                t,
            );
        }
        if let Some(tx) = self.detail.and_then(|id| all.iter().find(|tx| tx.id == id)) {
            popup(
                f,
                area,
                &format!("Transaction #{}", tx.id),
                detail(tx, view),
                t,
            );
        }
    }
}

impl Trades {
    fn draw_orders(&mut self, f: &mut Frame, area: Rect, orders: &[&Order], view: &View) {
        let t = view.theme;
        let title = |extra: String| {
            Line::from(vec![
                TextSpan::styled(
                    " Orders ",
                    if self.on_orders { t.header() } else { t.dim() },
                ),
                TextSpan::styled(extra, t.dim()),
            ])
        };
        let message = match &self.message {
            Some(Ok(m)) => TextSpan::styled(format!(" {m} "), t.gain()),
            Some(Err(e)) => TextSpan::styled(format!(" {e} "), t.error()),
            None => TextSpan::raw(""),
        };
        if orders.is_empty() {
            let text = match view.orders {
                Some(Err(e)) => TextSpan::styled(format!("Orders: {e}"), t.error()),
                _ => TextSpan::styled(
                    "No orders yet: b or s on a holding opens the order ticket.",
                    t.dim(),
                ),
            };
            f.render_widget(Line::from(vec![text, message]), area);
            return;
        }
        let working = orders.iter().filter(|o| o.state.is_open()).count();
        let [head, table] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
        let mut line = title(format!(
            "{working} working, {} shown (o moves here, c cancels) ",
            orders.len()
        ));
        line.spans.push(message);
        f.render_widget(line, head);
        let window = self.orders.window(orders.len(), ORDER_ROWS);
        let selected = self.on_orders.then(|| self.orders.selected - window.start);
        let body = orders[window]
            .iter()
            .map(|o| order_cells(o, view))
            .collect();
        draw_table(f, table, &ORDER_COLUMNS, body, selected, None, t);
    }
}

fn order_cells(o: &Order, view: &View) -> Vec<CellText> {
    let t = view.theme;
    let state_style = match o.state {
        OrderState::Filled => t.gain(),
        OrderState::Rejected | OrderState::Lost | OrderState::SendFailed => t.error(),
        s if s.is_open() => t.warn(),
        _ => t.dim(),
    };
    vec![
        (o.id.to_string(), Style::new()),
        (
            o.created
                .with_timezone(&chrono::Local)
                .format("%H:%M:%S")
                .to_string(),
            t.dim(),
        ),
        (crate::format::order(&o.request), Style::new()),
        (o.state.to_string(), state_style),
        (qty(o.filled), Style::new()),
        (o.avg_price.map(price).unwrap_or_default(), Style::new()),
        (money(o.commission), Style::new()),
        (
            format!(
                "{} {}",
                crate::format::broker(o.broker, o.live),
                o.request.account
            ),
            if o.live { t.error() } else { t.dim() },
        ),
    ]
}

fn amount(tx: &Transaction) -> Option<rust_decimal::Decimal> {
    match tx.action {
        Action::Buy | Action::Sell | Action::Reinvest => Some(tx.gross()),
        _ => tx.amount,
    }
}

fn cells(tx: &Transaction) -> Vec<CellText> {
    let s = |v: String| (v, Style::new());
    let opt = |d: Option<rust_decimal::Decimal>, fmt: fn(rust_decimal::Decimal) -> String| {
        d.map(fmt).unwrap_or_default()
    };
    vec![
        s(tx.date.to_string()),
        s(tx.account.clone()),
        s(tx.action.as_str().to_string()),
        s(tx.symbol.clone().unwrap_or_default()),
        s(opt(tx.quantity, qty)),
        s(opt(tx.price, price)),
        s(if tx.fees.is_zero() {
            String::new()
        } else {
            money(tx.fees)
        }),
        s(opt(amount(tx), money)),
        s(tx.currency.clone()),
        s(tx.note.clone().unwrap_or_default()),
    ]
}

fn detail(tx: &Transaction, view: &View) -> Vec<Line<'static>> {
    let t = view.theme;
    let field = |k: &str, v: String| {
        Line::from(vec![
            TextSpan::styled(format!("{k:<10} "), t.dim()),
            TextSpan::raw(v),
        ])
    };
    let opt = |d: Option<rust_decimal::Decimal>| {
        d.map(|d| d.normalize().to_string())
            .unwrap_or_else(|| "-".into())
    };
    let mut lines = vec![
        field("Date", tx.date.to_string()),
        field("Account", tx.account.clone()),
        field("Action", tx.action.as_str().to_string()),
        field("Symbol", tx.symbol.clone().unwrap_or_else(|| "-".into())),
        field("Quantity", opt(tx.quantity)),
        field("Price", opt(tx.price)),
        field("Fees", tx.fees.normalize().to_string()),
        field("Amount", opt(amount(tx))),
        field("Currency", tx.currency.clone()),
    ];
    if let Some(s) = &tx.symbol
        && let Some(name) = view.portfolio.securities.name_of(s)
    {
        lines.insert(4, field("Name", name.to_string()));
    }
    if let Some(lot) = tx.lot {
        lines.push(field("Lot", lot.to_string()));
    }
    if let Some(n) = &tx.note {
        lines.push(field("Note", n.clone()));
    }
    lines.push(field("Id", format!("{} (uid {})", tx.id, tx.uid)));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse_fields_and_words() {
        let q =
            Query::parse("account:IRA symbol:vti action:sell from:2024-01-01 to:2024-12-31 drip")
                .unwrap();
        assert_eq!(q.account.as_deref(), Some("ira"));
        assert_eq!(q.symbol.as_deref(), Some("vti"));
        assert_eq!(q.action, Some(Action::Sell));
        assert_eq!(q.from, "2024-01-01".parse().ok());
        assert_eq!(q.to, "2024-12-31".parse().ok());
        assert_eq!(q.words, ["drip"]);
        assert_eq!(Query::parse("  ").unwrap(), Query::default());
    }

    #[test]
    fn bad_queries_say_what_is_wrong() {
        let e = Query::parse("from:2024-13-01").unwrap_err();
        assert_eq!(e, "from: '2024-13-01' is not a date (YYYY-MM-DD)");
        let e = Query::parse("action:steal").unwrap_err();
        assert!(e.starts_with("action: 'steal' is not an action"), "{e}");
        let e = Query::parse("colour:red").unwrap_err();
        assert!(e.contains("'colour:' is not a filter field"), "{e}");
    }
}
