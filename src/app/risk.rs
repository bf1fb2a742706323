//! "How risky is it?": volatility, Sharpe, Sortino, drawdowns, VaR and CVaR, beta and the
//! correlations of the portfolio and each holding. `folio risk` and the Risk pane.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::analysis::{self, RiskReport, float_closes, return_index};
use super::performance::Loaded;
use super::{Result, Session, bad};
use crate::analytics::risk::Series;
use crate::domain::Window;

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskParams {
    /// The symbol to measure beta and correlation against, or "none". Default: [risk]
    /// benchmark (VTI).
    #[serde(default)]
    pub benchmark: Option<String>,
    /// How far back: 90d, 6m, 1y, 3y... or all. Default: [risk] window (1y).
    #[serde(default)]
    pub window: Option<String>,
    /// The window's last day (YYYY-MM-DD). Default: the newest close of the holdings.
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RiskAnswer {
    #[serde(flatten)]
    pub report: RiskReport,
    /// The window as asked for (90d, 1y, all...).
    pub window: String,
    pub warnings: Vec<String>,
}

/// The day a window ends on by default: the newest close of the symbols held then (today's
/// positions), so that a database whose prices stop earlier is measured where its prices are.
fn newest_close(loaded: &Loaded, today: NaiveDate) -> Option<NaiveDate> {
    let book = loaded.ledger.book_at(today);
    book.positions()
        .iter()
        .filter_map(|p| {
            loaded
                .closes
                .get(&p.symbol)?
                .iter()
                .rev()
                .find(|(d, _)| *d <= today)
        })
        .map(|(d, _)| *d)
        .max()
}

/// The series the Risk pane charts beside the report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RiskCharts {
    /// The portfolio's time-weighted return index (every day there is).
    pub index: Series,
    /// Its drawdown over the report's window.
    pub drawdown: Series,
}

/// The risk report and what the Risk pane charts with it.
pub fn risk_with_charts(s: &Session, p: &RiskParams) -> Result<(RiskAnswer, RiskCharts)> {
    let (answer, index) = measure(s, p, true)?;
    let index = index.unwrap_or_default();
    let drawdown = crate::analytics::risk::drawdown_series(&index, answer.report.portfolio.from);
    Ok((answer, RiskCharts { index, drawdown }))
}

fn measure(s: &Session, p: &RiskParams, with_index: bool) -> Result<(RiskAnswer, Option<Series>)> {
    let config = &s.config().risk;
    let window_text = p.window.clone().unwrap_or_else(|| config.window.clone());
    let window: Window = window_text
        .parse()
        .map_err(|e| bad(format!("window: {e}")))?;
    let loaded = Loaded::load(s)?;
    let today = s.today();
    let mut notes = Vec::new();
    let to = match super::day(p.as_of, "as of")? {
        Some(d) => d,
        None => match newest_close(&loaded, today) {
            Some(d) => {
                if d < today {
                    notes.push(format!(
                        "the window ends on {d}, the newest close of the holdings (ask for another day with as_of)"
                    ));
                }
                d
            }
            None => today,
        },
    };
    let from = window.start(to);
    let closes = float_closes(&loaded.closes);
    let benchmark = match p.benchmark.as_deref().map(str::trim) {
        Some(b) if b.eq_ignore_ascii_case("none") || b.is_empty() => None,
        Some(b) => {
            let b = b.to_ascii_uppercase();
            if !closes.contains_key(&b) {
                return Err(bad(format!(
                    "benchmark {b}: the database has no prices for it; import them first (folio prices import FILE) or ask for none"
                )));
            }
            Some(b)
        }
        None => Some(config.benchmark.clone()).filter(|b| !b.is_empty()),
    };
    let data = loaded.data(s.currency());
    let mut report = analysis::risk(
        &data,
        &closes,
        to,
        from,
        benchmark.as_deref(),
        config.risk_free_rate,
    );
    notes.append(&mut report.notes);
    report.notes = notes;
    let index = with_index.then(|| return_index(&data, &data.walk(None, to)));
    Ok((
        RiskAnswer {
            report,
            window: window.to_string(),
            warnings: loaded.ledger.warnings(),
        },
        index,
    ))
}

/// `folio risk`: the portfolio's and each holding's metrics over the window.
pub fn risk(s: &Session, p: &RiskParams) -> Result<RiskAnswer> {
    Ok(measure(s, p, false)?.0)
}
