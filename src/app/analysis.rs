//! Glue between the ledger's data and the performance, risk and anomaly analytics: walks the
//! ledger, turns money into the series the statistics run on, and assembles the reports that
//! `folio performance|risk|anomalies` print and the Risk pane shows. No IO: the caller loads.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use crate::analytics::anomaly::{self, Panel, Prices, Thresholds};
use crate::analytics::performance::{self, FlowDay};
use crate::analytics::risk::{self, Metrics, Series};
use crate::domain::{Action, Transaction};
use crate::ledger::history::{Walk, walk};
use crate::ledger::{self, Policy};

/// What every report reads: the transactions, the ledger's rules, the daily closes and the
/// currency of the totals.
#[derive(Clone, Copy)]
pub struct Data<'a> {
    pub txns: &'a [Transaction],
    pub policy: &'a Policy,
    pub closes: &'a HashMap<String, Vec<(NaiveDate, Decimal)>>,
    pub currency: &'a str,
}

pub fn f64_of(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// Closes as floats, for the statistics.
pub fn float_closes(
    closes: &HashMap<String, Vec<(NaiveDate, Decimal)>>,
) -> HashMap<String, Series> {
    closes
        .iter()
        .map(|(s, v)| (s.clone(), v.iter().map(|(d, c)| (*d, f64_of(*c))).collect()))
        .collect()
}

impl<'a> Data<'a> {
    /// The transactions of one account (all when None).
    fn scope(&self, account: Option<&str>) -> Vec<&'a Transaction> {
        self.txns
            .iter()
            .filter(|t| account.is_none_or(|a| t.account == a))
            .collect()
    }

    /// The ledger day by day up to `to`: on every day with a close or a transaction, from the
    /// first transaction on.
    pub fn walk(&self, account: Option<&str>, to: NaiveDate) -> Walk {
        let txns = self.scope(account);
        let Some(first) = txns.iter().map(|t| t.date).min() else {
            return Walk::default();
        };
        let mut days: Vec<NaiveDate> = self
            .closes
            .values()
            .flatten()
            .map(|(d, _)| *d)
            .chain(txns.iter().map(|t| t.date))
            .filter(|d| *d >= first && *d <= to)
            .collect();
        days.sort_unstable();
        days.dedup();
        walk(txns, self.policy, self.closes, self.currency, &days)
    }

    /// Days with a close of any symbol (trading days).
    fn trading_days(&self) -> BTreeSet<NaiveDate> {
        self.closes.values().flatten().map(|(d, _)| *d).collect()
    }
}

fn flow_days(w: &Walk) -> Vec<FlowDay> {
    w.days
        .iter()
        .map(|d| FlowDay {
            date: d.date,
            value: f64_of(d.value()),
            inflow: f64_of(d.inflow),
            outflow: f64_of(d.outflow),
        })
        .collect()
}

/// The portfolio's time-weighted return index (1 before its first day) on trading days up to
/// `to`: the level series its risk is measured on, free of deposits and withdrawals.
pub fn return_index(data: &Data, w: &Walk) -> Series {
    let days = flow_days(w);
    let twr = performance::twr(0.0, &days);
    let trading = data.trading_days();
    let mut level = 1.0;
    let mut out = Vec::with_capacity(days.len());
    let mut started = false;
    for (d, r) in days.iter().zip(&twr.daily) {
        level *= 1.0 + r;
        // The index starts on the first day with money in it.
        started |= d.value > 0.0;
        if started && trading.contains(&d.date) {
            out.push((d.date, level));
        }
    }
    out
}

/// Performance of a scope over a period. Money is in the report's currency; returns are
/// fractions (0.1 is 10%).
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Summary {
    pub start_value: Decimal,
    pub end_value: Decimal,
    pub deposits: Decimal,
    pub withdrawals: Decimal,
    /// end - start - deposits + withdrawals: what the investments earned.
    pub gain: Decimal,
    pub realized_gain: Decimal,
    /// Unrealized gain of the open positions at the end.
    pub unrealized_gain: Decimal,
    /// Its change over the period.
    pub unrealized_change: Decimal,
    pub dividends: Decimal,
    pub interest: Decimal,
    /// Fee rows plus commissions on trades.
    pub fees: Decimal,
    pub taxes_withheld: Decimal,
    pub twr: Option<f64>,
    pub twr_annualised: Option<f64>,
    pub xirr: Option<f64>,
    pub cagr: Option<f64>,
    /// Days with nothing invested (their return counts as 0).
    pub idle_days: usize,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct AccountSummary {
    pub account: String,
    #[serde(flatten)]
    pub summary: Summary,
}

/// A holding's part in the total's return.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Contribution {
    pub symbol: String,
    pub start_value: Decimal,
    pub end_value: Decimal,
    /// Bought (with fees) less sold over the period.
    pub net_invested: Decimal,
    pub dividends: Decimal,
    /// end - start - net invested + dividends.
    pub gain: Decimal,
    /// Its share of the daily returns, summed (see the README).
    pub contribution: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Performance {
    pub currency: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: i64,
    pub total: Summary,
    pub accounts: Vec<AccountSummary>,
    pub holdings: Vec<Contribution>,
    pub left_out: Vec<String>,
}

/// `folio performance`: the total (or one account) from `from` (default: the first
/// transaction) to `to`, with each account and each holding's contribution.
pub fn performance(
    data: &Data,
    account: Option<&str>,
    from: Option<NaiveDate>,
    to: NaiveDate,
) -> Performance {
    let scope = data.scope(account);
    let first = scope.iter().map(|t| t.date).min();
    // Asked to end before the first transaction: an empty period, not a backward one.
    let from = from.or(first).unwrap_or(to).min(to);
    let w = data.walk(account, to);
    let total = summary(data, account, &w, from, to);
    let accounts = if account.is_none() {
        let mut names: Vec<&str> = data.txns.iter().map(|t| t.account.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names
            .into_iter()
            .map(|a| AccountSummary {
                account: a.to_string(),
                summary: summary(data, Some(a), &data.walk(Some(a), to), from, to),
            })
            .collect()
    } else {
        Vec::new()
    };
    let holdings = contributions(&w, from);
    let mut left_out: BTreeSet<String> = BTreeSet::new();
    for t in scope
        .iter()
        .filter(|t| t.date <= to && t.currency != data.currency)
    {
        left_out.insert(format!(
            "{} transactions: only {} is measured (convert or report them separately)",
            t.currency, data.currency
        ));
    }
    Performance {
        currency: data.currency.to_string(),
        from,
        to,
        days: (to - from).num_days(),
        total,
        accounts,
        holdings,
        left_out: left_out.into_iter().collect(),
    }
}

/// Index of the first day on or after `from`, and the value at the end of the day before it.
fn period_start(w: &Walk, from: NaiveDate) -> (usize, Decimal) {
    let i = w.days.partition_point(|d| d.date < from);
    let start = i
        .checked_sub(1)
        .map(|j| w.days[j].value())
        .unwrap_or_default();
    (i, start)
}

fn summary(
    data: &Data,
    account: Option<&str>,
    w: &Walk,
    from: NaiveDate,
    to: NaiveDate,
) -> Summary {
    let (i, start_value) = period_start(w, from);
    let period = &w.days[i..];
    let end_value = period.last().map(|d| d.value()).unwrap_or(start_value);
    let deposits: Decimal = period.iter().map(|d| d.inflow).sum();
    let withdrawals: Decimal = period.iter().map(|d| d.outflow).sum();
    let mut notes = Vec::new();
    let flows = flow_days(w);
    let twr = (!period.is_empty()).then(|| performance::twr(f64_of(start_value), &flows[i..]));
    let days = (to - from).num_days();
    if period.is_empty() {
        notes.push(format!("no transactions or prices between {from} and {to}"));
    } else if days < 365 {
        notes.push("under a year: returns are not annualised".into());
    }
    let mut cash_flows: Vec<(NaiveDate, f64)> = Vec::new();
    if !start_value.is_zero() {
        cash_flows.push((from, -f64_of(start_value)));
    }
    for d in period {
        cash_flows.push((d.date, -f64_of(d.inflow) + f64_of(d.outflow)));
    }
    cash_flows.push((to, f64_of(end_value)));
    let xirr = (!period.is_empty())
        .then(|| performance::xirr(&cash_flows))
        .flatten();
    if xirr.is_none() && !period.is_empty() {
        notes.push("XIRR has no answer: the money only went one way".into());
    }
    let cagr = performance::cagr(f64_of(start_value), f64_of(end_value), days);
    if start_value <= Decimal::ZERO && days >= 365 && !period.is_empty() {
        notes.push(
            "CAGR needs a value at the start of the period; XIRR covers money added later".into(),
        );
    }
    if let Some(t) = &twr
        && t.idle_days > 0
        && t.daily.len() > t.idle_days
        && period.last().is_some_and(|d| d.value().is_zero())
    {
        notes.push("everything was withdrawn: the return stops at the withdrawal".into());
    }
    // Gains and income from the ledger itself.
    let scope: Vec<Transaction> = data
        .scope(account)
        .into_iter()
        .filter(|t| t.date <= to)
        .cloned()
        .collect();
    let (book, _) = ledger::replay(&scope, data.policy);
    let realized_gain: Decimal = book
        .realized
        .iter()
        .filter(|r| r.sold >= from && r.sold <= to && r.currency == data.currency)
        .map(|r| r.gain)
        .sum();
    let unrealized =
        |w_day: Option<&crate::ledger::history::Day>, book: &ledger::Book| -> Decimal {
            let value: Decimal = w_day
                .map(|d| d.market_values.iter().sum())
                .unwrap_or_default();
            let cost: Decimal = book
                .lots()
                .filter(|(_, _, l)| l.currency == data.currency)
                .map(|(_, _, l)| l.cost)
                .sum();
            value - cost
        };
    let unrealized_gain = unrealized(
        period.last().or(i.checked_sub(1).map(|j| &w.days[j])),
        &book,
    );
    let before: Vec<Transaction> = scope.iter().filter(|t| t.date < from).cloned().collect();
    let (book_before, _) = ledger::replay(&before, data.policy);
    let unrealized_start = unrealized(i.checked_sub(1).map(|j| &w.days[j]), &book_before);
    let (mut dividends, mut interest, mut fees, mut taxes) = Default::default();
    for t in scope
        .iter()
        .filter(|t| t.date >= from && t.currency == data.currency)
    {
        let amount = t.amount.unwrap_or_default();
        match t.action {
            Action::Dividend => dividends += amount,
            Action::Reinvest => dividends += t.gross(),
            Action::Interest => interest += amount,
            Action::Fee => fees += amount,
            Action::Tax => taxes += amount,
            _ => {}
        }
        fees += t.fees;
    }
    let dividends: Decimal = dividends;
    Summary {
        gain: end_value - start_value - deposits + withdrawals,
        start_value,
        end_value,
        deposits,
        withdrawals,
        realized_gain,
        unrealized_gain,
        unrealized_change: unrealized_gain - unrealized_start,
        dividends,
        interest,
        fees,
        taxes_withheld: taxes,
        twr: twr.as_ref().map(|t| t.cumulative),
        twr_annualised: twr
            .as_ref()
            .and_then(|t| performance::annualise(t.cumulative, days)),
        xirr,
        cagr,
        idle_days: twr.as_ref().map_or(0, |t| t.idle_days),
        notes,
    }
}

fn contributions(w: &Walk, from: NaiveDate) -> Vec<Contribution> {
    let (i, start) = period_start(w, from);
    let flows = flow_days(w);
    let days = &w.days[i..];
    let prev = |t: usize, s: usize| -> Decimal {
        match (i + t).checked_sub(1) {
            Some(j) => w.days[j].market_values[s],
            None => Decimal::ZERO,
        }
    };
    let profit = |t: usize, s: usize| -> f64 {
        let d = &days[t];
        f64_of(d.market_values[s] - prev(t, s) - d.invested[s] + d.income[s])
    };
    let share = performance::contributions(f64_of(start), &flows[i..], profit, w.symbols.len());
    let mut out: Vec<Contribution> = w
        .symbols
        .iter()
        .enumerate()
        .map(|(s, symbol)| {
            let start_value = prev(0, s);
            let end_value = days
                .last()
                .map(|d| d.market_values[s])
                .unwrap_or(start_value);
            let net_invested: Decimal = days.iter().map(|d| d.invested[s]).sum();
            let dividends: Decimal = days.iter().map(|d| d.income[s]).sum();
            Contribution {
                symbol: symbol.clone(),
                start_value,
                end_value,
                net_invested,
                dividends,
                gain: end_value - start_value - net_invested + dividends,
                contribution: share[s],
            }
        })
        .filter(|c| {
            !(c.start_value.is_zero()
                && c.end_value.is_zero()
                && c.net_invested.is_zero()
                && c.dividends.is_zero())
        })
        .collect();
    out.sort_by(|a, b| {
        b.contribution
            .total_cmp(&a.contribution)
            .then(a.symbol.cmp(&b.symbol))
    });
    out
}

/// A holding's risk, with its weight at the end of the window.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct HoldingRisk {
    pub symbol: String,
    pub weight: f64,
    #[serde(flatten)]
    pub metrics: Metrics,
}

#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Correlations {
    pub symbols: Vec<String>,
    /// Row-major, symmetric; null where a pair has too few common days.
    pub matrix: Vec<Vec<Option<f64>>>,
}

#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct RiskReport {
    pub currency: String,
    pub to: NaiveDate,
    /// The window's first day (None: all history).
    pub from: Option<NaiveDate>,
    pub risk_free_rate: f64,
    pub benchmark: Option<String>,
    pub portfolio: Metrics,
    /// Largest weight first.
    pub holdings: Vec<HoldingRisk>,
    pub correlation: Correlations,
    pub notes: Vec<String>,
}

/// The levels on or after `from`.
fn since(levels: &[(NaiveDate, f64)], from: Option<NaiveDate>) -> &[(NaiveDate, f64)] {
    let i = from.map_or(0, |f| levels.partition_point(|(d, _)| *d < f));
    &levels[i..]
}

/// The value of each held symbol at the walk's last day, largest first.
fn held_values(w: &Walk) -> Vec<(String, f64)> {
    let Some(last) = w.days.last() else {
        return Vec::new();
    };
    let mut v: Vec<(String, f64)> = w
        .symbols
        .iter()
        .zip(&last.market_values)
        .filter(|(_, v)| **v > Decimal::ZERO)
        .map(|(s, v)| (s.clone(), f64_of(*v)))
        .collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// `folio risk`: the portfolio's and each holding's metrics over the window ending on `to`,
/// against `benchmark` when it has prices.
pub fn risk(
    data: &Data,
    closes: &HashMap<String, Series>,
    to: NaiveDate,
    from: Option<NaiveDate>,
    benchmark: Option<&str>,
    rf: f64,
) -> RiskReport {
    let w = data.walk(None, to);
    let index = return_index(data, &w);
    let mut notes = Vec::new();
    let bench = benchmark.and_then(|b| {
        let levels = closes.get(b).map(|v| since(v, from)).filter(|v| !v.is_empty());
        if levels.is_none() {
            notes.push(format!(
                "no prices for the benchmark {b} in the window: import them (folio prices import FILE) or pick another benchmark"
            ));
        }
        levels
    });
    let portfolio = risk::metrics(since(&index, from), bench, rf);
    let held = held_values(&w);
    let total: f64 = held.iter().map(|(_, v)| v).sum();
    let empty: Series = Vec::new();
    let series: Vec<&[(NaiveDate, f64)]> = held
        .iter()
        .map(|(s, _)| since(closes.get(s).unwrap_or(&empty), from))
        .collect();
    let holdings = held
        .iter()
        .zip(&series)
        .map(|((s, v), levels)| HoldingRisk {
            symbol: s.clone(),
            weight: if total > 0.0 { v / total } else { 0.0 },
            metrics: risk::metrics(levels, bench, rf),
        })
        .collect();
    if held.is_empty() {
        notes.push(format!("no open positions in {} on {to}", data.currency));
    }
    RiskReport {
        currency: data.currency.to_string(),
        to,
        from,
        risk_free_rate: rf,
        benchmark: bench.and(benchmark).map(str::to_string),
        portfolio,
        holdings,
        correlation: Correlations {
            symbols: held.iter().map(|(s, _)| s.clone()).collect(),
            matrix: risk::correlation_matrix(&series),
        },
        notes,
    }
}

/// Calendar days of history the anomaly suite reads before its lookback window: enough for the
/// correlation regime's two years of trading days and its history.
const ANOMALY_HISTORY_DAYS: u64 = 3 * 366;

/// `folio anomalies`: every check as of `as_of`. `broker` lists the broker positions that differ
/// from the ledger's, when a broker was asked.
pub fn anomalies(
    data: &Data,
    closes: &HashMap<String, Series>,
    as_of: NaiveDate,
    th: &Thresholds,
    broker: Option<Vec<(String, String, f64, f64)>>,
    learned: bool,
) -> anomaly::Report {
    let w = data.walk(None, as_of);
    let index = return_index(data, &w);
    let held = held_values(&w);
    let earliest = as_of - chrono::Days::new(ANOMALY_HISTORY_DAYS + th.lookback_days.max(0) as u64);
    let empty: Series = Vec::new();
    let upto = |s: &str| -> &[(NaiveDate, f64)] {
        let v = closes.get(s).unwrap_or(&empty);
        &v[..v.partition_point(|(d, _)| *d <= as_of)]
    };
    let panel_series: Vec<(String, Series)> = held
        .iter()
        .map(|(s, _)| (s.clone(), since(upto(s), Some(earliest)).to_vec()))
        .collect();
    let panel = Panel::from_levels(&panel_series, since(&index, Some(earliest)), as_of);
    let scope: Vec<Transaction> = data
        .txns
        .iter()
        .filter(|t| t.date <= as_of)
        .cloned()
        .collect();
    let (book, _) = ledger::replay(&scope, data.policy);
    let cash = book
        .cash()
        .map(|(a, c, b)| (a.to_string(), c.to_string(), f64_of(b)))
        .collect();
    let prices = w
        .symbols
        .iter()
        .map(|s| Prices {
            symbol: s,
            closes: upto(s),
            splits: data
                .txns
                .iter()
                .filter(|t| t.action == Action::Split && t.symbol.as_deref() == Some(s))
                .map(|t| t.date)
                .collect(),
        })
        .collect();
    let ctx = anomaly::Context {
        last_prices: held
            .iter()
            .map(|(s, _)| (s.clone(), upto(s).last().map(|(d, _)| *d)))
            .collect(),
        weights: held,
        cash,
        broker_differences: broker,
        prices,
        learned,
        portfolio_levels: &index,
    };
    anomaly::run(&panel, &ctx, as_of, th)
}
