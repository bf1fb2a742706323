//! Getting a plan ready to run: the holdings' estimate for `--from-portfolio`, the history for
//! the history models, and the headline figures kept with a saved plan. Shared by `folio plan`
//! and the Plan pane.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use crate::analytics::montecarlo::estimate::{Estimate, Holding, from_holdings};
use crate::analytics::montecarlo::inputs::Inputs;
use crate::analytics::montecarlo::{Outcome, Spec};
use crate::cli::BadInput;
use crate::config::Config;
use crate::domain::securities::Securities;
use crate::ledger::Book;
use crate::market::returns;

/// The holdings a plan starts from.
pub struct Portfolio<'a> {
    pub book: &'a Book,
    /// Daily closes per symbol, oldest first.
    pub closes: &'a HashMap<String, Vec<(NaiveDate, Decimal)>>,
    pub securities: &'a Securities,
    /// Only holdings and cash in this currency count.
    pub currency: &'a str,
    pub account: Option<&'a str>,
    /// The ledger's transactions (for the last 12 months' distributions).
    pub transactions: &'a [crate::domain::Transaction],
    pub today: NaiveDate,
}

/// The estimate, the value it starts from, and what was left out.
pub struct FromPortfolio {
    pub estimate: Estimate,
    pub value: f64,
    pub left_out: Vec<String>,
}

/// Holdings (all accounts, or one) valued at their latest close, with their daily history.
pub fn from_portfolio(p: &Portfolio, shrinkage: f64) -> Result<FromPortfolio, BadInput> {
    let mut quantities: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut left_out = Vec::new();
    for pos in p.book.positions() {
        if p.account.is_some_and(|a| a != pos.account) {
            continue;
        }
        if pos.currency != p.currency {
            left_out.push(format!(
                "{} in {} ({}): not in {}",
                pos.symbol, pos.account, pos.currency, p.currency
            ));
            continue;
        }
        *quantities.entry(pos.symbol).or_default() += pos.quantity;
    }
    let series: Vec<(&str, Vec<(NaiveDate, f64)>)> = quantities
        .keys()
        .map(|s| {
            let closes = p.closes.get(s).map_or_else(Vec::new, |c| {
                c.iter()
                    .filter_map(|(d, v)| v.to_f64().map(|v| (*d, v)))
                    .collect()
            });
            (s.as_str(), closes)
        })
        .collect();
    // Distributions of the last 12 months per symbol (dividends, reinvested ones too).
    let year_ago = p.today - chrono::Days::new(365);
    let mut income: HashMap<&str, Decimal> = HashMap::new();
    for t in p.transactions {
        use crate::domain::Action;
        if !matches!(t.action, Action::Dividend | Action::Reinvest)
            || t.date <= year_ago
            || t.date > p.today
            || t.currency != p.currency
            || p.account.is_some_and(|a| a != t.account)
        {
            continue;
        }
        let amount = t
            .amount
            .or_else(|| Some(t.quantity? * t.price?))
            .unwrap_or_default()
            .abs();
        if let Some(symbol) = &t.symbol {
            *income.entry(symbol.as_str()).or_default() += amount;
        }
    }
    let mut holdings = Vec::new();
    for ((symbol, closes), qty) in series.iter().zip(quantities.values()) {
        let Some(last) = p.closes.get(*symbol).and_then(|c| c.last()) else {
            left_out.push(format!("{symbol}: no price (folio prices import FILE)"));
            continue;
        };
        let value = (qty * last.1).to_f64().unwrap_or(0.0);
        if value <= 0.0 {
            left_out.push(format!("{symbol}: a short or empty position ({qty})"));
            continue;
        }
        let paid = income.get(symbol).and_then(|d| d.to_f64()).unwrap_or(0.0);
        holdings.push(Holding {
            symbol,
            class: p.securities.class_of(symbol),
            value,
            closes,
            income_yield: paid / value,
        });
    }
    let cash: f64 = p
        .book
        .cash()
        .filter(|(account, currency, _)| {
            *currency == p.currency && p.account.is_none_or(|a| a == *account)
        })
        .map(|(_, _, amount)| amount.to_f64().unwrap_or(0.0))
        .sum();
    if cash < 0.0 {
        left_out.push(format!(
            "negative cash ({cash:.2} {}): the plan starts from the holdings alone",
            p.currency
        ));
    }
    if holdings.is_empty() {
        return Err(BadInput(
            "--from-portfolio: no priced holdings to plan with; import transactions and prices, or give --initial and the weights (--stocks, --bonds)"
                .into(),
        ));
    }
    let value = holdings.iter().map(|h| h.value).sum::<f64>() + cash.max(0.0);
    Ok(FromPortfolio {
        estimate: from_holdings(&holdings, cash.max(0.0), shrinkage),
        value,
        left_out,
    })
}

/// The history a history model needs: the inputs' file, else the cached download.
pub fn history(
    inputs: &Inputs,
    config: &Config,
    data_dir: Option<&Path>,
) -> anyhow::Result<Option<returns::Loaded>> {
    let needed = inputs.model.uses_history();
    if let Some(file) = &inputs.history {
        if !needed {
            return Err(BadInput(format!(
                "--history is for the bootstrap, block-bootstrap and historical models; add --model historical (or bootstrap) or leave out --history {}",
                file.display()
            ))
            .into());
        }
        return returns::from_file(file).map(Some);
    }
    if !needed {
        return Ok(None);
    }
    let Some(dir) = data_dir else {
        return Err(BadInput(
            "no data directory to keep the downloaded history in; give --history FILE".into(),
        )
        .into());
    };
    returns::cached_or_download(
        &config.plan.history_url,
        dir,
        Duration::from_secs(config.http.timeout_secs.max(30)),
    )
    .map(Some)
}

/// A plan ready to run.
pub struct Ready {
    pub spec: Spec,
    pub history_source: Option<String>,
    /// Days of common history behind the estimates (`--from-portfolio`).
    pub estimate_days: Option<usize>,
    pub left_out: Vec<String>,
}

/// Builds the spec from the inputs. `portfolio` is needed with `from_portfolio`.
pub fn prepare(
    inputs: &Inputs,
    config: &Config,
    data_dir: Option<&Path>,
    portfolio: Option<&Portfolio>,
    today: NaiveDate,
) -> anyhow::Result<Ready> {
    let from = match (inputs.from_portfolio, portfolio) {
        (true, Some(p)) => Some(from_portfolio(p, inputs.shrinkage)?),
        (true, None) => return Err(BadInput("no portfolio to plan from".into()).into()),
        (false, _) => None,
    };
    let history = history(inputs, config, data_dir)?;
    let spec = inputs
        .spec(
            today,
            from.as_ref().map(|f| &f.estimate),
            from.as_ref().map_or(0.0, |f| f.value),
            history.as_ref().map(|h| h.history.clone()),
            config.plan.paths,
            config.plan.seed,
        )
        .map_err(|e| BadInput(e.to_string()))?;
    spec.validate().map_err(|e| BadInput(e.to_string()))?;
    Ok(Ready {
        spec,
        history_source: history.map(|h| h.source),
        estimate_days: from.as_ref().map(|f| f.estimate.days),
        left_out: from.map(|f| f.left_out).unwrap_or_default(),
    })
}

/// What a saved plan keeps of its last run.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Summary {
    pub success_rate: f64,
    /// Today's dollars.
    pub median_terminal: Decimal,
    pub goal_probability: Option<f64>,
    pub years: usize,
    pub paths: usize,
}

pub fn summary(spec: &Spec, o: &Outcome) -> Summary {
    Summary {
        success_rate: o.success_rate,
        median_terminal: <Decimal as rust_decimal::prelude::FromPrimitive>::from_f64(
            o.terminal.p50,
        )
        .unwrap_or_default()
        .round_dp(2),
        goal_probability: o.goal_probability,
        years: spec.years,
        paths: o.paths,
    }
}
