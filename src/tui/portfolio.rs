//! What the cockpit shows, as the query layer answers it: a snapshot read on a background job,
//! and the holdings valued again at the live quotes (in `App::update`, never in `draw`).

use std::collections::HashMap;

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;

use crate::app::dashboard::{Overview, ValuePoint, history, overview};
use crate::app::holdings::{Base, HoldingsReport, Marks, base, holdings_at, with_quotes};
use crate::app::lots::{LotRow, LotsParams, lots};
use crate::app::plan::{Listed, list};
use crate::app::quotes::{StoredQuotesParams, stored};
use crate::app::transactions::{TransactionsParams, transactions};
use crate::app::{Result, Session};
use crate::config::Config;
use crate::domain::Window;
use crate::domain::securities::Securities;
use crate::domain::{Quote, Transaction};

/// A snapshot of the database, as of the session's today.
#[derive(Debug, Clone)]
pub struct Portfolio {
    /// The currency of the totals and the value chart (`general.default_currency`).
    pub currency: String,
    pub today: NaiveDate,
    /// Positions, cash and the latest closes (rows dated after today are not in them).
    pub base: Base,
    /// Every open lot, at the latest closes.
    pub lots: Vec<LotRow>,
    /// Newest first (every row, those dated ahead too).
    pub transactions: Vec<Transaction>,
    /// Holdings and cash in `currency` on every day with a close, over five years.
    pub values: Vec<ValuePoint>,
    /// Daily closes per symbol, oldest first, for the last five years (charts, sparklines).
    pub closes: HashMap<String, Vec<(NaiveDate, Decimal)>>,
    pub securities: Securities,
    /// The quotes the last session left in the database.
    pub stored_quotes: Vec<Quote>,
    /// Plans saved in the database, by name.
    pub saved_plans: Vec<Listed>,
    /// The config the session runs with (the Plan pane's `[plan]`, the anomalies' lookback).
    pub config: Config,
    /// The household's targets (None: none set), measured again at live quotes.
    pub targets: Option<crate::app::targets::Prepared>,
    /// Transactions the ledger cannot apply.
    pub warnings: Vec<String>,
    /// The symbols with an open position, sorted (derived once, not per frame).
    held: Vec<String>,
}

impl Portfolio {
    /// Reads everything the panes show at once. Runs on a background job.
    pub fn load(s: &Session) -> Result<Portfolio> {
        let today = s.today();
        let since = today
            .checked_sub_months(Months::new(12 * 5 + 1))
            .unwrap_or(NaiveDate::MIN);
        let base = base(s, None, Some(today))?;
        let lots = lots(
            s,
            &LotsParams {
                as_of: Some(today),
                ..LotsParams::default()
            },
        )?
        .lots;
        let transactions = transactions(s, &TransactionsParams::default())?.transactions;
        // The chart's five years, as `folio dashboard --history 5y` reports them.
        let values = history(s, Window::Months(60), today)?;
        let closes = crate::app::prices::history(s, &[], since)?;
        let stored_quotes = stored(s, &StoredQuotesParams::default())?.quotes;
        let saved_plans = list(s)?.plans;
        let targets = crate::app::targets::household(s, &base)?;
        let mut held: Vec<String> = base.positions.iter().map(|p| p.symbol.clone()).collect();
        held.sort();
        held.dedup();
        Ok(Portfolio {
            currency: s.currency().to_string(),
            today,
            warnings: base.warnings.clone(),
            base,
            lots,
            transactions,
            values,
            closes,
            securities: s.config().securities.clone(),
            stored_quotes,
            saved_plans,
            targets,
            config: s.config().clone(),
            held,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.transactions.is_empty()
    }

    /// The symbols with an open position, sorted.
    pub fn held_symbols(&self) -> &[String] {
        &self.held
    }

    /// The latest close of every symbol.
    pub fn last_closes(&self) -> HashMap<String, Decimal> {
        self.base
            .marks
            .iter()
            .map(|(s, m)| (s.clone(), m.price))
            .collect()
    }

    /// The last `n` closes of `symbol` as floats (for sparklines).
    pub fn recent_closes(&self, symbol: &str, n: usize) -> Vec<f64> {
        let v = self.closes.get(symbol).map(Vec::as_slice).unwrap_or(&[]);
        v[v.len().saturating_sub(n)..]
            .iter()
            .map(|(_, c)| super::widgets::to_f64(*c))
            .collect()
    }
}

/// The holdings valued at the marks in force (the latest closes, live quotes over them).
#[derive(Debug, Clone, Default)]
pub struct Valued {
    pub marks: Marks,
    /// The dashboard: every account's shares of a symbol together.
    pub overview: Overview,
    /// The Holdings pane: by account and symbol.
    pub by_account: Option<HoldingsReport>,
    /// The household's targets at these marks (`folio targets` at the closes).
    pub targets: Option<crate::app::targets::TargetView>,
}

impl Valued {
    /// The portfolio valued at its closes with `quotes` over them.
    pub fn at(p: &Portfolio, quotes: &HashMap<String, Quote>) -> Valued {
        let marks = with_quotes(&p.base.marks, quotes);
        Valued {
            overview: overview(&p.base, &marks, &p.securities),
            by_account: Some(holdings_at(&p.base, &marks)),
            targets: p.targets.as_ref().map(|t| t.view_at(&marks)),
            marks,
        }
    }
}
