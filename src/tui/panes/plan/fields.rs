//! The Plan pane's fields: what each shows, what typing into it means, and the choices.

use rust_decimal::prelude::ToPrimitive;

use crate::app::plan::Inputs;
use crate::domain::Named;
use crate::format::{parse_amount, rate_in};
use crate::tui::widgets::compact;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The holdings' own assets and estimates, or a stock/bond mix at the class defaults.
    Assets,
    Start,
    Years,
    Rate,
    Strategy,
    Stocks,
    Model,
    Steps,
    Inflation,
    Contribution,
    RetireIn,
    Goal,
    Paths,
    Seed,
}

pub const FIELDS: [Field; 14] = [
    Field::Assets,
    Field::Start,
    Field::Years,
    Field::Rate,
    Field::Strategy,
    Field::Stocks,
    Field::Model,
    Field::Steps,
    Field::Inflation,
    Field::Contribution,
    Field::RetireIn,
    Field::Goal,
    Field::Paths,
    Field::Seed,
];

impl Field {
    pub fn label(self) -> &'static str {
        match self {
            Field::Assets => "Assets",
            Field::Start => "Start value",
            Field::Years => "Years",
            Field::Rate => "Withdrawal",
            Field::Strategy => "Strategy",
            Field::Stocks => "Stocks",
            Field::Model => "Model",
            Field::Steps => "Steps",
            Field::Inflation => "Inflation",
            Field::Contribution => "Saving/year",
            Field::RetireIn => "Retire in",
            Field::Goal => "Goal",
            Field::Paths => "Paths",
            Field::Seed => "Seed",
        }
    }

    /// Fields chosen from a list (← → cycle them).
    pub fn is_choice(self) -> bool {
        matches!(
            self,
            Field::Assets | Field::Strategy | Field::Model | Field::Steps
        )
    }
}

impl Field {
    pub fn value(self, i: &Inputs) -> String {
        let field = self;
        match field {
            Field::Assets if i.from_portfolio => "your holdings".into(),
            Field::Assets => "stock/bond mix".into(),
            Field::Start => i.initial.map_or(
                if i.from_portfolio {
                    "holdings' value".into()
                } else {
                    "-".into()
                },
                |d| dollars(d.to_f64().unwrap_or(0.0)),
            ),
            Field::Years => i.years.unwrap_or(30).to_string(),
            Field::Rate => i.withdrawal_rate.map_or("none".into(), pct),
            Field::Strategy => i.strategy.name().to_string(),
            Field::Stocks if i.from_portfolio => "as held".into(),
            Field::Stocks => format!("{:.0}%", i.stocks.unwrap_or(0.0) * 100.0),
            Field::Model => i.model.name().to_string(),
            Field::Steps => i.steps.name().to_string(),
            Field::Inflation => i.inflation.map_or(
                if !i.model.uses_history() {
                    "2.50%".into()
                } else {
                    "history".into()
                },
                pct,
            ),
            Field::Contribution => i
                .contribution
                .map_or("0".into(), |d| dollars(d.to_f64().unwrap_or(0.0))),
            Field::RetireIn => i.retire_in.unwrap_or(0).to_string(),
            Field::Goal => i
                .goal
                .map_or("none".into(), |d| dollars(d.to_f64().unwrap_or(0.0))),
            Field::Paths => i.paths.unwrap_or(10_000).to_string(),
            Field::Seed => i.seed.unwrap_or(42).to_string(),
        }
    }

    /// Applies typed text; an error says what the field takes and changes nothing. Rates and
    /// shares are read as everywhere in folio: a bare number is a fraction, `%` a percent
    /// (`0.04` and `4%` are both 4%).
    pub fn apply(self, i: &mut Inputs, text: &str) -> Result<(), String> {
        let field = self;
        let t = text.trim();
        let bad = |what: &str| format!("{}: '{t}' is not {what}", field.label());
        let rate =
            |lo: f64, hi: f64| rate_in(t, lo, hi).map_err(|e| format!("{}: {e}", field.label()));
        match field {
            Field::Start => i.initial = Some(parse_amount(t).ok_or_else(|| bad("an amount"))?),
            Field::Years => {
                i.years = Some(
                    t.parse()
                        .ok()
                        .filter(|y| (1..=100).contains(y))
                        .ok_or_else(|| bad("1 to 100 years"))?,
                )
            }
            Field::Rate => {
                i.withdrawal_rate = if t.is_empty() || t == "0" || t == "none" {
                    None
                } else {
                    Some(rate(0.0, 1.0)?)
                }
            }
            Field::Stocks => {
                let s = rate(0.0, 1.0)?;
                i.stocks = Some(s);
                i.bonds = Some(1.0 - s);
            }
            Field::Inflation => {
                i.inflation = if t.is_empty() || t == "history" {
                    None
                } else {
                    Some(rate(-0.5, 1.0)?)
                }
            }
            Field::Contribution => {
                i.contribution = Some(parse_amount(t).ok_or_else(|| bad("an amount per year"))?)
                    .filter(|d| !d.is_zero())
            }
            Field::RetireIn => {
                i.retire_in = Some(
                    t.parse()
                        .ok()
                        .filter(|y| *y <= 100)
                        .ok_or_else(|| bad("a number of years"))?,
                )
            }
            Field::Goal => {
                i.goal = if t.is_empty() || t == "0" || t == "none" {
                    None
                } else {
                    Some(parse_amount(t).ok_or_else(|| bad("an amount"))?)
                }
            }
            Field::Paths => {
                i.paths = Some(
                    t.parse()
                        .ok()
                        .filter(|p| (1..=crate::app::plan::MAX_PATHS).contains(p))
                        .ok_or_else(|| bad("1 to 10,000,000 paths"))?,
                )
            }
            Field::Seed => i.seed = Some(t.parse().map_err(|_| bad("a whole number"))?),
            Field::Assets | Field::Strategy | Field::Model | Field::Steps => {}
        }
        Ok(())
    }

    /// The next (or previous) choice of a choice field.
    pub fn cycle(self, i: &mut Inputs, forward: bool) {
        match self {
            Field::Strategy => i.strategy = i.strategy.cycle(forward),
            Field::Model => i.model = i.model.cycle(forward),
            Field::Steps => i.steps = i.steps.cycle(forward),
            _ => {}
        }
    }
}

pub fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

pub use crate::format::whole_dollars as dollars;

/// Whole dollars below 10,000, else compact (81.2k, 1.23M).
pub fn short(x: f64) -> String {
    if x.abs() < 1e4 {
        dollars(x)
    } else {
        compact(x)
    }
}

/// Whether the pane shows every setting of these inputs (plans saved from the command line
/// may have more: those are run with `folio plan --load`).
pub fn editable(i: &Inputs) -> bool {
    i.account.is_none()
        && i.withdrawal.is_none()
        && i.cash.is_none_or(|c| c == 0.0)
        && i.by.is_none()
        && i.floor.is_none()
        && i.ceiling.is_none()
        && i.mu.is_empty()
        && i.sigma.is_empty()
        && i.corr.is_empty()
        && i.history.is_none()
        && i.fee == 0.0
        && i.rebalance
        && !i.withdraw_at_end
        && i.solve.is_none()
}
