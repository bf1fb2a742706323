//! The cockpit's panes. A pane renders from the shared [`View`] and its own state, and turns
//! keys into state changes. Adding one is a module here and a line in [`all`].

pub mod chat;
mod dashboard;
mod harvest;
mod holdings;
mod plan;
mod rebalance;
mod risk;
mod trades;

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, Utc};
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use rust_decimal::Decimal;

use super::app::RiskView;
use super::jobs::{Done, Job};
use super::portfolio::{Portfolio, Valued};
use super::quotes::Quotes;
use super::theme::Theme;
use crate::app::anomalies::AnomaliesReport;
use crate::app::harvest::HarvestReport;
use crate::app::orders::OrdersReport;
pub use crate::tui::ticket::{Prefill, Selection};

/// Everything a pane may read while drawing or handling a key: the query layer's answers as
/// they arrived, nothing to compute.
pub struct View<'a> {
    pub portfolio: &'a Portfolio,
    /// The holdings at the marks in force (live quote, else the latest close).
    pub valued: &'a Valued,
    /// The harvest scan (None until it answers).
    pub harvest: Option<&'a Result<Box<HarvestReport>, String>>,
    /// The latest risk report asked for.
    pub risk: Option<&'a RiskView>,
    pub anomalies: Option<&'a Result<Box<AnomaliesReport>, String>>,
    /// The order journal (None until it answers).
    pub orders: Option<&'a Result<Box<OrdersReport>, String>>,
    pub quotes: &'a Quotes,
    pub theme: Theme,
    pub now: DateTime<Utc>,
}

impl View<'_> {
    /// `base`, or the flash style when `symbol`'s price just changed.
    pub fn flashing(&self, symbol: &str, base: Style) -> Style {
        match self.quotes.flash(symbol, self.now) {
            Some(up) => self.theme.flash(up),
            None => base,
        }
    }
}

/// Whether a pane used a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Yes,
    No,
}

pub trait Pane {
    fn title(&self) -> &'static str;
    /// The pane's own keys, for the help overlay: (keys, what they do).
    fn help(&self) -> &'static [(&'static str, &'static str)];
    fn draw(&mut self, f: &mut Frame, area: Rect, view: &View);
    /// Turns a key into state changes and, for what needs the query layer, jobs.
    fn key(&mut self, key: KeyEvent, view: &View, jobs: &mut Vec<Job>) -> Handled;
    /// The data was (read again): the jobs the pane needs for it.
    fn loaded(&mut self, _view: &View, _jobs: &mut Vec<Job>) {}
    /// An answer to a job (every pane sees every answer; most ignore them).
    fn done(&mut self, _done: &Done, _view: &View, _jobs: &mut Vec<Job>) {}
    /// True while the pane takes text (a filter being typed): every key goes to it.
    fn typing(&self) -> bool {
        false
    }
    /// True while the pane has work running in the background (the loop then wakes often to
    /// show its progress).
    fn busy(&self) -> bool {
        false
    }
    /// Stops the pane's background work (the cockpit is closing).
    fn cancel(&mut self) {}
    /// What `b` / `s` would trade: the selected holding, lot or harvest (None: the keys are
    /// the pane's own).
    fn selection(&self, _view: &View) -> Option<Selection> {
        None
    }
    /// An order the pane asks to open in the ticket as it stands (the chat's drafted order),
    /// taken once after a key.
    fn take_order(&mut self) -> Option<Prefill> {
        None
    }
}

/// The panes in tab order (number keys 1, 2, 3...).
pub fn all() -> Vec<Box<dyn Pane>> {
    vec![
        Box::<dashboard::Dashboard>::default(),
        Box::<holdings::Holdings>::default(),
        Box::<trades::Trades>::default(),
        Box::<harvest::HarvestPane>::default(),
        Box::<risk::RiskPane>::default(),
        Box::<plan::PlanPane>::default(),
        Box::<chat::ChatPane>::default(),
        Box::<rebalance::RebalancePane>::default(),
    ]
}

/// A sortable value of a table cell.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key<'a> {
    Text(&'a str),
    /// None (unknown) sorts after every number either way.
    Num(Option<Decimal>),
}

/// The table's sort column and direction; `o` moves to the next column, `O` flips.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: usize,
    pub descending: bool,
}

impl Sort {
    pub fn next(&mut self, columns: usize) {
        self.column = (self.column + 1) % columns.max(1);
    }

    pub fn compare(&self, a: &Key, b: &Key) -> Ordering {
        let ord = match (a, b) {
            (Key::Num(None), Key::Num(None)) => Ordering::Equal,
            (Key::Num(None), _) => return Ordering::Greater,
            (_, Key::Num(None)) => return Ordering::Less,
            _ => a.cmp(b),
        };
        if self.descending { ord.reverse() } else { ord }
    }
}

/// The range of a chart: `r` cycles through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Span {
    M1,
    M6,
    #[default]
    Y1,
    Y5,
}

impl Span {
    pub fn next(self) -> Span {
        match self {
            Span::M1 => Span::M6,
            Span::M6 => Span::Y1,
            Span::Y1 => Span::Y5,
            Span::Y5 => Span::M1,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Span::M1 => "1M",
            Span::M6 => "6M",
            Span::Y1 => "1Y",
            Span::Y5 => "5Y",
        }
    }

    /// The first day shown when the series ends on `last`.
    pub fn start(self, last: NaiveDate) -> NaiveDate {
        let months = match self {
            Span::M1 => 1,
            Span::M6 => 6,
            Span::Y1 => 12,
            Span::Y5 => 60,
        };
        last.checked_sub_months(chrono::Months::new(months))
            .unwrap_or(NaiveDate::MIN)
    }

    /// The points of `series` (oldest first, dated by `date`) in this range.
    pub fn slice<T>(self, series: &[T], date: impl Fn(&T) -> NaiveDate) -> &[T] {
        let Some(last) = series.last() else {
            return series;
        };
        let from = self.start(date(last));
        &series[series.partition_point(|p| date(p) < from)..]
    }
}

/// Case-insensitive "contains" for filters.
pub fn matches(haystack: &str, needle_lower: &str) -> bool {
    haystack.to_lowercase().contains(needle_lower)
}
