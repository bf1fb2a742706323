//! The Plan pane's fields: what each shows, what typing into it means, and the choices.

use rust_decimal::prelude::ToPrimitive;

use crate::analytics::montecarlo::inputs::Inputs;
use crate::format::parse_amount;
use crate::tui::widgets::compact;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
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

pub const FIELDS: [Field; 13] = [
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
        matches!(self, Field::Strategy | Field::Model | Field::Steps)
    }
}

impl Field {
    pub fn value(self, i: &Inputs) -> String {
        let field = self;
        match field {
            Field::Start => i
                .initial
                .map_or("-".into(), |d| dollars(d.to_f64().unwrap_or(0.0))),
            Field::Years => i.years.unwrap_or(30).to_string(),
            Field::Rate => i.withdrawal_rate.map_or("none".into(), pct),
            Field::Strategy => name(i.strategy),
            Field::Stocks => format!("{:.0}%", i.stocks.unwrap_or(0.0) * 100.0),
            Field::Model => name(i.model),
            Field::Steps => name(i.steps),
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

    /// Applies typed text to a field; an error says what the field takes.
    /// Applies typed text; an error says what the field takes and changes nothing.
    pub fn apply(self, i: &mut Inputs, text: &str) -> Result<(), String> {
        let field = self;
        let t = text.trim();
        let bad = |what: &str| format!("{}: '{t}' is not {what}", field.label());
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
                    Some(
                        parse_percent(t)
                            .filter(|r| (0.0..=1.0).contains(r))
                            .ok_or_else(|| bad("a rate such as 4%"))?,
                    )
                }
            }
            Field::Stocks => {
                let s = parse_percent(t)
                    .filter(|r| (0.0..=1.0).contains(r))
                    .ok_or_else(|| bad("a share such as 60%"))?;
                i.stocks = Some(s);
                i.bonds = Some(1.0 - s);
            }
            Field::Inflation => {
                i.inflation = if t.is_empty() || t == "history" {
                    None
                } else {
                    Some(
                        parse_percent(t)
                            .filter(|r| (-0.5..=1.0).contains(r))
                            .ok_or_else(|| bad("a rate such as 2.5%"))?,
                    )
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
                        .filter(|p| (1..=1_000_000).contains(p))
                        .ok_or_else(|| bad("1 to 1,000,000 paths"))?,
                )
            }
            Field::Seed => i.seed = Some(t.parse().map_err(|_| bad("a whole number"))?),
            Field::Strategy | Field::Model | Field::Steps => {}
        }
        Ok(())
    }

    /// The next (or previous) choice of a choice field.
    pub fn cycle(self, i: &mut Inputs, forward: bool) {
        match self {
            Field::Strategy => i.strategy = step(i.strategy, forward),
            Field::Model => i.model = step(i.model, forward),
            Field::Steps => i.steps = step(i.steps, forward),
            _ => {}
        }
    }
}

/// A choice's name as the command line spells it.
fn name<T: clap::ValueEnum>(v: T) -> String {
    v.to_possible_value()
        .map_or_else(String::new, |p| p.get_name().to_string())
}

/// The next (or previous) choice, in the command line's order.
fn step<T: clap::ValueEnum + PartialEq + Clone>(now: T, forward: bool) -> T {
    let all = T::value_variants();
    let i = all.iter().position(|x| *x == now).unwrap_or(0);
    let n = all.len();
    all[if forward {
        (i + 1) % n
    } else {
        (i + n - 1) % n
    }]
    .clone()
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

/// A percent as typed: "4" and "4%" both mean 4%, "0.5" means 0.5%.
pub fn parse_percent(s: &str) -> Option<f64> {
    let t = s.trim().trim_end_matches('%').trim();
    let v = t.parse::<f64>().ok().filter(|v| v.is_finite())?;
    Some(v / 100.0)
}

/// Whether the pane shows every setting of these inputs (plans saved from the command line
/// may have more: those are run with `folio plan --load`).
pub fn editable(i: &Inputs) -> bool {
    !i.from_portfolio
        && i.account.is_none()
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
}
