//! What the cockpit shows: read from the database on a blocking thread, then valued at the
//! live quotes on every redraw.

use std::collections::HashMap;
use std::path::Path;

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;

use crate::analytics::harvest::{Harvest, Market, Settings, scan};
use crate::config::Config;
use crate::domain::securities::Securities;
use crate::domain::{Account, Quote, Transaction};
use crate::ledger::history::{DailyValue, daily_values};
use crate::ledger::holdings::{Holding, value};
use crate::ledger::{self, Book, LedgerError, Position};
use crate::store::Store;

/// A snapshot of the database.
#[derive(Debug, Clone)]
pub struct Portfolio {
    /// The currency of the totals and the value chart (`general.default_currency`).
    pub currency: String,
    pub accounts: Vec<Account>,
    /// Newest first.
    pub transactions: Vec<Transaction>,
    pub book: Book,
    pub ledger_errors: Vec<LedgerError>,
    /// Daily closes per symbol, oldest first, for the last five years.
    pub closes: HashMap<String, Vec<(NaiveDate, Decimal)>>,
    /// Holdings and cash in `currency` on every day with a close.
    pub values: Vec<DailyValue>,
    pub securities: Securities,
    /// The ledger's rules (lot methods, account kinds, substantially identical groups).
    pub policy: ledger::Policy,
    /// The harvest scan at the latest closes (None until [`Portfolio::load`] runs it).
    pub harvest: Option<Harvest>,
    /// The quotes the last session left in the database.
    pub stored_quotes: Vec<Quote>,
    /// Risk and anomaly checks as of the load (None until [`Portfolio::load`] runs them).
    pub risk: Option<Analysis>,
    /// The database file (None for a portfolio built in memory): the Plan pane saves there.
    pub db_path: Option<std::path::PathBuf>,
    /// Plans saved in the database, by name.
    pub saved_plans: Vec<crate::store::SavedPlan>,
    /// The config it was loaded with (the Plan pane runs with its `[plan]` section).
    pub config: crate::config::Config,
    /// The symbols with an open position, sorted (derived from `book` once, not per frame).
    held: Vec<String>,
}

impl Portfolio {
    /// Reads everything the cockpit needs. Runs on a blocking thread.
    pub fn load(db: &Path, config: &Config, today: NaiveDate) -> anyhow::Result<Portfolio> {
        let store = Store::open(db)?;
        let since = today
            .checked_sub_months(Months::new(12 * 5 + 1))
            .unwrap_or(NaiveDate::MIN);
        let mut p = Portfolio::new(
            config,
            store.accounts()?,
            store.transactions()?,
            store.closes_since(since)?,
            store.quotes()?,
        );
        p.harvest = Some(p.harvest_scan(config, today));
        p.risk = Some(p.analyse(config, today));
        p.saved_plans = store.plans()?;
        p.db_path = Some(db.to_path_buf());
        Ok(p)
    }

    /// What the analytics read (they put the transactions in date order themselves).
    fn data(&self) -> crate::analysis::Data<'_> {
        crate::analysis::Data {
            txns: &self.transactions,
            policy: &self.policy,
            closes: &self.closes,
            currency: &self.currency,
        }
    }

    /// The risk report over the config's window and the anomaly checks, as of `today`.
    pub fn analyse(&self, config: &Config, today: NaiveDate) -> Analysis {
        let closes = crate::analysis::float_closes(&self.closes);
        let data = self.data();
        // The config was checked when loaded; "all" is None.
        let window = crate::config::parse_window(&config.risk.window)
            .ok()
            .flatten();
        let benchmark = Some(config.risk.benchmark.as_str()).filter(|b| !b.is_empty());
        let walk = data.walk(None, today);
        let index = crate::analysis::return_index(&data, &walk);
        let risk = crate::analysis::risk(
            &data,
            &closes,
            today,
            window.map(|w| w.start(today)),
            benchmark,
            config.risk.risk_free_rate,
        );
        let anomalies =
            crate::analysis::anomalies(&data, &closes, today, &config.anomalies, None, false);
        Analysis {
            window,
            window_text: config.risk.window.trim().to_string(),
            today,
            risk,
            anomalies,
            index,
            closes,
        }
    }

    /// The risk report over another window (from `from`, or all history) as of the analysis'.
    pub fn risk_report(
        &self,
        a: &Analysis,
        from: Option<NaiveDate>,
    ) -> crate::analysis::RiskReport {
        let data = self.data();
        let benchmark = Some(self.config.risk.benchmark.as_str()).filter(|b| !b.is_empty());
        crate::analysis::risk(
            &data,
            &a.closes,
            a.today,
            from,
            benchmark,
            self.config.risk.risk_free_rate,
        )
    }

    /// The harvest scan as of `today` at each symbol's latest close.
    pub fn harvest_scan(&self, config: &Config, today: NaiveDate) -> Harvest {
        let prices: HashMap<String, Decimal> = self
            .closes
            .iter()
            .filter_map(|(s, c)| {
                let i = c.partition_point(|(d, _)| *d <= today);
                i.checked_sub(1).map(|i| (s.clone(), c[i].1))
            })
            .collect();
        let market = Market {
            prices: &prices,
            closes: &self.closes,
        };
        let settings = Settings::from_config(config);
        if self.transactions.iter().any(|t| t.date > today) {
            // Rows dated after today are not in today's lots (nor washing today's sales yet).
            let past: Vec<Transaction> = self
                .transactions
                .iter()
                .filter(|t| t.date <= today)
                .cloned()
                .collect();
            let (book, _) = ledger::replay(&past, &self.policy);
            return scan(&book, &self.policy, &past, &market, today, &settings);
        }
        scan(
            &self.book,
            &self.policy,
            &self.transactions,
            &market,
            today,
            &settings,
        )
    }

    /// Replays the ledger and values its history. Pure.
    pub fn new(
        config: &Config,
        accounts: Vec<Account>,
        mut transactions: Vec<Transaction>,
        closes: HashMap<String, Vec<(NaiveDate, Decimal)>>,
        stored_quotes: Vec<Quote>,
    ) -> Portfolio {
        let securities = config.securities.clone();
        let policy = ledger::Policy::new(&accounts, config.ledger.lot_method, securities.clone());
        let (book, ledger_errors) = ledger::replay(&transactions, &policy);
        let currency = config.general.default_currency.clone();
        let mut days: Vec<NaiveDate> = closes.values().flatten().map(|(d, _)| *d).collect();
        days.sort_unstable();
        days.dedup();
        let values = daily_values(&transactions, &policy, &closes, &currency, &days);
        transactions.sort_by_key(|t| std::cmp::Reverse((t.date, t.id)));
        let mut held: Vec<String> = book.lots().map(|(_, s, _)| s.to_string()).collect();
        held.sort();
        held.dedup();
        Portfolio {
            held,
            currency,
            accounts,
            transactions,
            book,
            ledger_errors,
            closes,
            values,
            securities,
            policy,
            harvest: None,
            risk: None,
            stored_quotes,
            db_path: None,
            saved_plans: Vec::new(),
            config: config.clone(),
        }
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
        self.closes
            .iter()
            .filter_map(|(s, v)| Some((s.clone(), v.last()?.1)))
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

/// What the Risk pane shows: the risk report, the anomaly checks, and the series behind them.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The config's window (None: all history).
    pub window: Option<crate::config::Window>,
    /// The window as the config writes it (1y, 90d...).
    pub window_text: String,
    pub today: NaiveDate,
    pub risk: crate::analysis::RiskReport,
    pub anomalies: crate::analytics::anomaly::Report,
    /// The portfolio's time-weighted return index.
    pub index: crate::analytics::risk::Series,
    /// Closes as floats.
    pub closes: HashMap<String, crate::analytics::risk::Series>,
}

/// A price to value a symbol at: the live quote, else the latest close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub date: NaiveDate,
    pub price: Decimal,
    /// The close before `price`'s session, for the day change.
    pub prev_close: Option<Decimal>,
}

/// Marks every symbol that has a quote or a close.
/// A close-based mark has a day change only when its close is from the newest session in the
/// database: a symbol whose prices stopped weeks ago has no change "today".
pub fn marks(p: &Portfolio, quotes: &HashMap<String, Quote>) -> HashMap<String, Mark> {
    let newest = p
        .closes
        .values()
        .filter_map(|v| v.last())
        .map(|(d, _)| *d)
        .max();
    let mut out: HashMap<String, Mark> = p
        .closes
        .iter()
        .filter_map(|(s, v)| {
            let (date, price) = *v.last()?;
            let prev_close = v
                .len()
                .checked_sub(2)
                .map(|i| v[i].1)
                .filter(|_| Some(date) == newest);
            Some((
                s.clone(),
                Mark {
                    date,
                    price,
                    prev_close,
                },
            ))
        })
        .collect();
    for (s, q) in quotes {
        let date = q.time.date_naive();
        let close = out.get(s).copied();
        // A quote's own previous close wins; else the latest close before the quote's day.
        let prev_close = q.prev_close.or_else(|| {
            close.and_then(|c| {
                if c.date < date {
                    Some(c.price)
                } else {
                    c.prev_close
                }
            })
        });
        out.insert(
            s.clone(),
            Mark {
                date,
                price: q.last,
                prev_close,
            },
        );
    }
    out
}

/// A holding valued at its mark, with the day's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub holding: Holding,
    /// Change of the position's value since the previous close.
    pub day_change: Option<Decimal>,
    pub day_change_pct: Option<Decimal>,
    /// Open lots behind the row.
    pub lots: usize,
}

/// Holdings valued at `marks`: one row per account and symbol, or per symbol (all accounts
/// together) when `by_account` is false.
pub fn rows(p: &Portfolio, marks: &HashMap<String, Mark>, by_account: bool) -> Vec<Row> {
    let mut positions = p.book.positions();
    if !by_account {
        let mut merged: HashMap<(&str, &str), usize> = HashMap::new();
        let mut out: Vec<Position> = Vec::with_capacity(positions.len());
        for pos in &positions {
            match merged.get(&(pos.symbol.as_str(), pos.currency.as_str())) {
                Some(&i) => {
                    let m = &mut out[i];
                    m.quantity += pos.quantity;
                    m.cost += pos.cost;
                    m.lots += pos.lots;
                }
                None => {
                    merged.insert((&pos.symbol, &pos.currency), out.len());
                    out.push(Position {
                        account: String::new(),
                        ..pos.clone()
                    });
                }
            }
        }
        drop(merged);
        positions = out;
    }
    let lots: Vec<usize> = positions.iter().map(|p| p.lots).collect();
    let (holdings, _) = value(positions, |s| marks.get(s).map(|m| (m.date, m.price)));
    holdings
        .into_iter()
        .zip(lots)
        .map(|(h, lots)| {
            let m = marks.get(&h.symbol);
            let prev = m.and_then(|m| m.prev_close);
            let day_change = m
                .zip(prev)
                .map(|(m, c)| (h.quantity * (m.price - c)).round_dp(2));
            let day_change_pct = m.zip(prev).and_then(|(m, c)| {
                ((m.price - c) * Decimal::ONE_HUNDRED)
                    .checked_div(c)
                    .map(|r| r.round_dp(2))
            });
            Row {
                holding: h,
                day_change,
                day_change_pct,
                lots,
            }
        })
        .collect()
}

/// The dashboard's headline figures, in the portfolio's currency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub net_worth: Decimal,
    pub day_change: Decimal,
    /// Day change as a percentage of yesterday's holdings value (None when that was 0).
    pub day_change_pct: Option<Decimal>,
    pub unrealized: Decimal,
    pub cash: Decimal,
    /// Holdings in the currency that have no price and are left out.
    pub unpriced: usize,
    /// Other currencies present (left out of the totals).
    pub other_currencies: Vec<String>,
}

pub fn summary(p: &Portfolio, rows: &[Row]) -> Summary {
    let mut s = Summary::default();
    let mut others: Vec<String> = Vec::new();
    let mut yesterday = Decimal::ZERO;
    for r in rows {
        let h = &r.holding;
        if h.currency != p.currency {
            others.push(h.currency.clone());
            continue;
        }
        match h.market_value {
            Some(v) => {
                s.net_worth += v;
                s.unrealized += v - h.cost_basis;
                let change = r.day_change.unwrap_or_default();
                s.day_change += change;
                yesterday += v - change;
            }
            None => s.unpriced += 1,
        }
    }
    for (_, currency, balance) in p.book.cash() {
        if currency == p.currency {
            s.cash += balance;
        } else if !balance.is_zero() {
            others.push(currency.to_string());
        }
    }
    s.net_worth += s.cash;
    s.day_change_pct = (s.day_change * Decimal::ONE_HUNDRED)
        .checked_div(yesterday)
        .filter(|_| !yesterday.is_zero())
        .map(|r| r.round_dp(2));
    others.sort();
    others.dedup();
    s.other_currencies = others;
    s
}

/// Names with their share of the holdings' value in percent, largest first.
pub type Shares = Vec<(String, Decimal)>;

/// Shares per asset class and per symbol.
pub fn allocation(p: &Portfolio, rows: &[Row]) -> (Shares, Shares) {
    let mut classes: HashMap<&str, Decimal> = HashMap::new();
    let mut symbols: HashMap<&str, Decimal> = HashMap::new();
    let mut total = Decimal::ZERO;
    for r in rows.iter().filter(|r| r.holding.currency == p.currency) {
        let Some(v) = r.holding.market_value else {
            continue;
        };
        total += v;
        *classes
            .entry(p.securities.class_of(&r.holding.symbol))
            .or_default() += v;
        *symbols.entry(&r.holding.symbol).or_default() += v;
    }
    let share = |m: HashMap<&str, Decimal>| -> Shares {
        let mut v: Shares = m
            .into_iter()
            .map(|(k, v)| {
                let pct = (v * Decimal::ONE_HUNDRED)
                    .checked_div(total)
                    .unwrap_or_default();
                (k.to_string(), pct.round_dp(1))
            })
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    };
    (share(classes), share(symbols))
}
