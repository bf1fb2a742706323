//! Typed TOML configuration and where files live.
//!
//! The config file is optional: a missing file means defaults. An unknown key or a wrong type is
//! an error naming the key and the line. Paths come from `directories` unless overridden.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::securities::Securities;
use crate::domain::{LotMethod, parse_currency};

/// The file beside the config file whose entries replace the bundled securities table.
pub const SECURITIES_FILE: &str = "securities.toml";
/// The file beside the config file whose scenarios replace or extend the bundled stress tests.
pub const STRESS_FILE: &str = "stress_scenarios.toml";

/// Environment variable that overrides the database path (the `--db` flag wins over it).
pub const DB_ENV: &str = "FOLIO_DB";
/// Environment variable that overrides the config file path (the `--config` flag wins over it).
pub const CONFIG_ENV: &str = "FOLIO_CONFIG";

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub general: General,
    pub database: Database,
    pub ledger: Ledger,
    pub quotes: Quotes,
    pub ibkr: Ibkr,
    pub broker: Broker,
    pub http: Http,
    pub tax: Tax,
    pub plan: Plan,
    pub risk: Risk,
    pub rebalance: Rebalance,
    pub anomalies: crate::analytics::anomaly::Thresholds,
    pub ai: Ai,
    pub log: Log,
    /// Reference data: the bundled table with `securities.toml` beside the config file over it.
    #[serde(skip)]
    pub securities: Securities,
    /// `folio stress`: the bundled scenarios with `stress_scenarios.toml` beside the config file
    /// over them.
    #[serde(skip)]
    pub stress_scenarios: crate::analytics::stress::Scenarios,
}

/// Rates and thresholds for the harvest scan and tax estimates. Rates are fractions (0.24 is
/// 24%), amounts in the default currency.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Tax {
    /// Marginal rate on short-term gains and ordinary income (federal plus state).
    pub short_term_rate: f64,
    /// Rate on long-term gains.
    pub long_term_rate: f64,
    /// Net capital loss deductible from ordinary income per year (1500 married filing
    /// separately).
    pub loss_offset_limit: f64,
    /// Capital losses carried into the first year of the ledger with sales, by character
    /// (positive); later years carry forward what the ledger computes.
    pub carryforward_short: f64,
    pub carryforward_long: f64,
    /// Harvest only lots losing at least this much...
    pub min_loss: f64,
    /// ...and at least this percent of their value.
    pub min_loss_pct: f64,
    /// Commission per trade.
    pub commission: f64,
    /// Bid-ask spread in basis points of price; a round trip pays half of it twice.
    pub spread_bps: f64,
}

impl Default for Tax {
    fn default() -> Self {
        Tax {
            short_term_rate: 0.32,
            long_term_rate: 0.15,
            loss_offset_limit: 3000.0,
            carryforward_short: 0.0,
            carryforward_long: 0.0,
            min_loss: 100.0,
            min_loss_pct: 5.0,
            commission: 0.0,
            spread_bps: 5.0,
        }
    }
}

/// `folio plan` and the Plan pane.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Plan {
    /// Robert Shiller's monthly data (the datahub CSV layout) or a CSV of yearly returns
    /// (`year,stocks,bonds,inflation`): downloaded once for the history models and cached in the
    /// data directory.
    pub history_url: String,
    /// Paths per run when `--paths` is not given.
    pub paths: usize,
    /// The seed when `--seed` is not given.
    pub seed: u64,
}

/// The datahub copy of Shiller's monthly data (see ../shared/data/README.md).
pub const SHILLER_URL: &str =
    "https://raw.githubusercontent.com/datasets/s-and-p-500/main/data/data.csv";

impl Default for Plan {
    fn default() -> Self {
        Plan {
            history_url: SHILLER_URL.into(),
            paths: 10_000,
            seed: 42,
        }
    }
}

/// `folio risk` and the Risk pane.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Risk {
    /// Annual risk-free rate for Sharpe, Sortino and beta (0.04 is 4%).
    pub risk_free_rate: f64,
    /// Symbol to measure beta and correlation against ("" for none).
    pub benchmark: String,
    /// Default window: a number with d, w, m or y (90d, 6m, 1y, 3y), or "all".
    pub window: String,
}

impl Default for Risk {
    fn default() -> Self {
        Risk {
            risk_free_rate: 0.04,
            benchmark: "VTI".into(),
            window: "1y".into(),
        }
    }
}

/// Targets' drift bands and the rebalancing plan's limits.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Rebalance {
    /// A target is in band while its weight is within this many percentage points of it...
    pub band_points: rust_decimal::Decimal,
    /// ...and within this percent of the target itself (5 and 25: a 20% target may drift
    /// from 15% to 25%, a 10% target from 7.5% to 12.5%).
    pub band_pct: rust_decimal::Decimal,
    /// Trades smaller than this, in the default currency, are not proposed.
    pub min_trade: rust_decimal::Decimal,
    /// Propose fractional shares (else whole shares).
    pub fractional: bool,
}

impl Default for Rebalance {
    fn default() -> Self {
        Rebalance {
            band_points: rust_decimal::Decimal::from(5),
            band_pct: rust_decimal::Decimal::from(25),
            min_trade: rust_decimal::Decimal::from(100),
            fractional: false,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct General {
    /// Currency of rows that name none.
    pub default_currency: String,
}

impl Default for General {
    fn default() -> Self {
        General {
            default_currency: "USD".into(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Database {
    /// Database file; empty means `folio.db` in the data directory.
    pub path: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Ledger {
    /// Lot relief for accounts created by an import.
    pub lot_method: LotMethod,
}

/// The cockpit's quote feed.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Quotes {
    /// Where live quotes come from. `--demo` always uses the simulated feed.
    pub source: FeedKind,
    /// Simulated feed: ticks per second per symbol.
    pub sim_rate_hz: f64,
    /// Simulated feed: the seed of its random walks.
    pub sim_seed: u64,
}

impl Default for Quotes {
    fn default() -> Self {
        Quotes {
            source: FeedKind::None,
            sim_rate_hz: 4.0,
            sim_seed: 1,
        }
    }
}

/// Where TWS or IB Gateway listens, and how folio identifies itself.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Ibkr {
    /// Use 127.0.0.1, not localhost (the gateway's trusted address).
    pub host: String,
    /// IB Gateway: 4002 paper, 4001 live. TWS: 7497 paper, 7496 live.
    pub port: u16,
    /// The first API client id tried; when it is in use, the next ones up to `id_pool` ids.
    pub client_id: i32,
    pub id_pool: u8,
    /// How long the API handshake may take before folio gives up.
    pub connect_timeout_secs: u64,
    /// How long a one-off answer (positions, the account summary, a price history) may take.
    pub answer_timeout_secs: u64,
    /// Broker account id -> ledger account name, where they differ (for `folio positions`).
    pub accounts: std::collections::BTreeMap<String, String>,
}

impl Default for Ibkr {
    fn default() -> Self {
        Ibkr {
            host: "127.0.0.1".into(),
            port: 4002,
            client_id: 17,
            id_pool: 3,
            connect_timeout_secs: 10,
            answer_timeout_secs: 30,
            accounts: Default::default(),
        }
    }
}

impl Ibkr {
    pub fn answer_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.answer_timeout_secs)
    }
}

/// Orders: which broker, live trading, and the pre-trade checks' limits.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Broker {
    /// Where `folio order` and the ticket send orders unless told: paper or ibkr.
    pub default: crate::domain::order::BrokerKind,
    /// Live (real-money) trading through IBKR. Off unless set, and then only to `accounts`.
    pub live: bool,
    /// The IBKR account ids live orders may go to (U1234567). Paper accounts (DU...) need none.
    pub accounts: Vec<String>,
    /// The largest order, by its value at the quote, in the default currency.
    pub max_order_value: rust_decimal::Decimal,
    /// The most shares in one order.
    pub max_quantity: rust_decimal::Decimal,
    /// How far a limit may be from the quote, as a fraction (0.05 is 5%).
    pub price_band: rust_decimal::Decimal,
    /// A quote older than this is stale: no order is placed on it (seconds).
    pub max_quote_age_secs: u64,
    /// The same order (account, symbol, side, quantity) again within this many seconds is
    /// refused as a duplicate unless asked for.
    pub duplicate_secs: u64,
    /// Commission per share, its minimum per order, and its cap as a fraction of the trade's
    /// value (IBKR Pro Fixed: 0.005, 1.00, 0.01).
    pub commission_per_share: rust_decimal::Decimal,
    pub commission_min: rust_decimal::Decimal,
    pub commission_max_rate: rust_decimal::Decimal,
    /// How long `folio order` waits for the broker's acknowledgement (seconds).
    pub ack_timeout_secs: u64,
}

impl Default for Broker {
    fn default() -> Self {
        use rust_decimal::Decimal;
        let s = crate::domain::order::Schedule::IBKR_FIXED;
        Broker {
            default: crate::domain::order::BrokerKind::Paper,
            live: false,
            accounts: Vec::new(),
            max_order_value: Decimal::from(25_000),
            max_quantity: Decimal::from(10_000),
            price_band: Decimal::new(5, 2),
            max_quote_age_secs: 10,
            duplicate_secs: 60,
            commission_per_share: s.per_share,
            commission_min: s.minimum,
            commission_max_rate: s.max_rate,
            ack_timeout_secs: 10,
        }
    }
}

impl Broker {
    pub fn schedule(&self) -> crate::domain::order::Schedule {
        crate::domain::order::Schedule {
            per_share: self.commission_per_share,
            minimum: self.commission_min,
            max_rate: self.commission_max_rate,
        }
    }
}

/// The HTTP fallback for quotes and history (Yahoo Finance's chart API or a server that
/// answers like it).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Http {
    pub base_url: String,
    /// Seconds before a request is given up (then retried).
    pub timeout_secs: u64,
    /// Tries per request when the provider answers 429 or 5xx or does not answer.
    pub attempts: u32,
    /// The cockpit's HTTP feed: seconds between two rounds of quotes.
    pub poll_secs: u64,
}

impl Default for Http {
    fn default() -> Self {
        Http {
            base_url: "https://query1.finance.yahoo.com".into(),
            timeout_secs: 10,
            attempts: 3,
            poll_secs: 60,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FeedKind {
    /// No live quotes: values use the latest stored close.
    None,
    /// Seeded random walks around the last close (for trying the cockpit; not market prices).
    Simulated,
    /// TWS or IB Gateway, as set in `[ibkr]`.
    Ibkr,
    /// The HTTP fallback, as set in `[http]` (delayed quotes, polled).
    Http,
}

/// The chat's model. Keys are never here: they come from the environment or the OS keyring
/// (`folio secret set NAME`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Ai {
    /// auto (Ollama at OLLAMA_HOST, else the offline assistant), offline, ollama, openai,
    /// openai-compatible, openrouter or anthropic.
    pub provider: String,
    /// The provider's address (default: its own, or OLLAMA_HOST, OPENAI_BASE_URL,
    /// ANTHROPIC_BASE_URL).
    pub base_url: Option<String>,
    /// The model (default for Ollama: qwen3:8b; the others need one).
    pub model: Option<String>,
    /// Seconds to wait for a connection.
    pub connect_timeout_secs: u64,
    /// The longest silence, in seconds, waited for while an answer streams.
    pub timeout_secs: u64,
    /// The context size asked of Ollama (num_ctx), in tokens.
    pub context_size: u32,
    /// What a remote provider sees of the tool results: full, rounded or weights.
    pub privacy: crate::ai::privacy::Privacy,
    /// Tries after a 429 or a 5xx before giving up.
    pub retries: u32,
    /// Tool rounds per question.
    pub max_rounds: usize,
}

impl Default for Ai {
    fn default() -> Self {
        Ai {
            provider: "auto".into(),
            base_url: None,
            model: None,
            connect_timeout_secs: 3,
            timeout_secs: 60,
            context_size: 16_384,
            privacy: crate::ai::privacy::Privacy::Rounded,
            retries: 2,
            max_rounds: 5,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Log {
    /// One of error, warn, info, debug, trace.
    pub level: String,
}

impl Default for Log {
    fn default() -> Self {
        Log {
            level: "info".into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the config file {0} does not exist; check the path given to --config or FOLIO_CONFIG")]
    Missing(PathBuf),
    #[error("cannot read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "config file {path}: {message}\nSee config.example.toml in folio's repository for every key and its default."
    )]
    Invalid { path: PathBuf, message: String },
}

impl Config {
    /// Reads the config at `path`. A missing file is fine only when `required` is false (the
    /// default location); a path the user named must exist.
    /// Also reads `securities.toml` and `stress_scenarios.toml` beside it when they are there.
    pub fn load(path: &Path, required: bool) -> Result<Config, ConfigError> {
        let mut config = match read(path)? {
            None if required => return Err(ConfigError::Missing(path.to_path_buf())),
            None => Config::default(),
            Some(text) => Config::parse(&text).map_err(|message| ConfigError::Invalid {
                path: path.to_path_buf(),
                message,
            })?,
        };
        let table = path.with_file_name(SECURITIES_FILE);
        if let Some(text) = read(&table)? {
            let user = Securities::parse(&text).map_err(|e| ConfigError::Invalid {
                path: table.clone(),
                message: describe(&text, &e),
            })?;
            config.securities = config.securities.merged(user);
        }
        let scenarios = path.with_file_name(STRESS_FILE);
        if let Some(text) = read(&scenarios)? {
            let user = crate::analytics::stress::Scenarios::parse(&text).map_err(|e| {
                ConfigError::Invalid {
                    path: scenarios.clone(),
                    message: e.describe(&text),
                }
            })?;
            config.stress_scenarios = config.stress_scenarios.merged(user);
        }
        Ok(config)
    }

    /// Parses config text; the error names the key and line.
    pub fn parse(text: &str) -> Result<Config, String> {
        let mut config: Config = toml::from_str(text).map_err(|e| describe(text, &e))?;
        config.general.default_currency = parse_currency(&config.general.default_currency)
            .map_err(|e| format!("general.default_currency: {e}"))?;
        if config
            .database
            .path
            .as_ref()
            .is_some_and(|p| p.as_os_str().is_empty())
        {
            config.database.path = None;
        }
        let rate = config.quotes.sim_rate_hz;
        if !(0.1..=50.0).contains(&rate) {
            return Err(format!(
                "quotes.sim_rate_hz: {rate} is out of range; use a rate from 0.1 to 50 ticks per second"
            ));
        }
        let k = &config.ibkr;
        if k.id_pool == 0
            || !(1..=120).contains(&k.connect_timeout_secs)
            || !(1..=600).contains(&k.answer_timeout_secs)
            || !(0..=1_000_000_000).contains(&k.client_id)
        {
            return Err(format!(
                "ibkr: client_id must be 0 to 1000000000 (it is {}), id_pool at least 1 (it is {}), connect_timeout_secs 1 to 120 (it is {}) and answer_timeout_secs 1 to 600 (it is {})",
                k.client_id, k.id_pool, k.connect_timeout_secs, k.answer_timeout_secs
            ));
        }
        let b = &config.broker;
        let zero = rust_decimal::Decimal::ZERO;
        if b.max_order_value <= zero
            || b.max_quantity <= zero
            || b.price_band <= zero
            || b.price_band >= rust_decimal::Decimal::ONE
            || !(1..=3600).contains(&b.max_quote_age_secs)
            || b.duplicate_secs > 86_400
            || b.commission_per_share < zero
            || b.commission_min < zero
            || b.commission_max_rate < zero
            || b.commission_max_rate > rust_decimal::Decimal::ONE
            || !(1..=300).contains(&b.ack_timeout_secs)
        {
            return Err(format!(
                "broker: max_order_value and max_quantity must be above 0 (they are {} and {}), price_band a fraction between 0 and 1 (it is {}; 0.05 is 5%), max_quote_age_secs 1 to 3600 (it is {}), duplicate_secs at most 86400, the commission figures 0 or more with commission_max_rate at most 1, and ack_timeout_secs 1 to 300",
                b.max_order_value, b.max_quantity, b.price_band, b.max_quote_age_secs
            ));
        }
        if let Some(a) = b
            .accounts
            .iter()
            .find(|a| a.trim().is_empty() || a.contains(char::is_whitespace))
        {
            return Err(format!(
                "broker.accounts: '{a}' is not an IBKR account id; write ids such as \"U1234567\""
            ));
        }
        for v in [&mut config.ai.base_url, &mut config.ai.model] {
            if v.as_deref().is_some_and(|s| s.trim().is_empty()) {
                *v = None;
            }
        }
        let a = &config.ai;
        crate::ai::ProviderKind::parse(&a.provider).map_err(|e| format!("ai.provider: {e}"))?;
        if !(1..=120).contains(&a.connect_timeout_secs)
            || !(1..=3600).contains(&a.timeout_secs)
            || !(2048..=1_048_576).contains(&a.context_size)
            || a.retries > 10
            || !(1..=10).contains(&a.max_rounds)
        {
            return Err(format!(
                "ai: connect_timeout_secs must be 1 to 120 (it is {}), timeout_secs 1 to 3600 (it is {}), context_size 2048 to 1048576 (it is {}), retries 0 to 10 (it is {}) and max_rounds 1 to 10 (it is {})",
                a.connect_timeout_secs, a.timeout_secs, a.context_size, a.retries, a.max_rounds
            ));
        }
        if let Some(u) = a.base_url.as_deref().filter(|u| !u.trim().is_empty())
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            return Err(format!(
                "ai.base_url: '{u}' is not an http:// or https:// address"
            ));
        }
        let h = &config.http;
        if !(h.base_url.starts_with("http://") || h.base_url.starts_with("https://"))
            || !(1..=120).contains(&h.timeout_secs)
            || !(1..=10).contains(&h.attempts)
            || !(5..=3600).contains(&h.poll_secs)
        {
            return Err(format!(
                "http: base_url must start with http:// or https:// (it is '{}'), timeout_secs be 1 to 120, attempts 1 to 10 and poll_secs 5 to 3600",
                h.base_url
            ));
        }
        let r = &config.rebalance;
        let hundred = rust_decimal::Decimal::ONE_HUNDRED;
        if !(zero..=hundred).contains(&r.band_points)
            || !(zero..=hundred).contains(&r.band_pct)
            || r.min_trade < zero
        {
            return Err(format!(
                "rebalance: band_points and band_pct must be 0 to 100 (they are {} and {}) and min_trade 0 or more (it is {})",
                r.band_points, r.band_pct, r.min_trade
            ));
        }
        let t = &config.tax;
        let rates = [
            ("short_term_rate", t.short_term_rate),
            ("long_term_rate", t.long_term_rate),
        ];
        if let Some((key, v)) = rates.iter().find(|(_, v)| !(0.0..=0.9).contains(v)) {
            return Err(format!(
                "tax.{key}: {v} is not a tax rate; write it as a fraction from 0 to 0.9 (0.24 is 24%)"
            ));
        }
        let amounts = [
            ("loss_offset_limit", t.loss_offset_limit),
            ("carryforward_short", t.carryforward_short),
            ("carryforward_long", t.carryforward_long),
            ("min_loss", t.min_loss),
            ("commission", t.commission),
        ];
        if let Some((key, v)) = amounts.iter().find(|(_, v)| !(0.0..=1e12).contains(v)) {
            return Err(format!(
                "tax.{key}: {v} is out of range; use an amount from 0 up (a loss carried forward is written as a positive number)"
            ));
        }
        if !(0.0..=100.0).contains(&t.min_loss_pct) || !(0.0..=1000.0).contains(&t.spread_bps) {
            return Err(format!(
                "tax: min_loss_pct must be 0 to 100 (it is {}) and spread_bps 0 to 1000 (it is {})",
                t.min_loss_pct, t.spread_bps
            ));
        }
        let p = &config.plan;
        if !(p.history_url.starts_with("http://") || p.history_url.starts_with("https://"))
            || !(1..=10_000_000).contains(&p.paths)
        {
            return Err(format!(
                "plan: history_url must start with http:// or https:// (it is '{}') and paths be 1 to 10000000 (it is {})",
                p.history_url, p.paths
            ));
        }
        let r = &config.risk;
        if !(-0.05..=0.5).contains(&r.risk_free_rate) {
            return Err(format!(
                "risk.risk_free_rate: {} is not a rate; write it as a fraction (0.04 is 4%)",
                r.risk_free_rate
            ));
        }
        r.window
            .parse::<crate::domain::Window>()
            .map_err(|e| format!("risk.window: {e}"))?;
        config.risk.benchmark = config.risk.benchmark.trim().to_ascii_uppercase();
        config.anomalies.check()?;
        if !["error", "warn", "info", "debug", "trace"].contains(&config.log.level.as_str()) {
            return Err(format!(
                "log.level: '{}' is not a log level (expected error, warn, info, debug or trace)",
                config.log.level
            ));
        }
        Ok(config)
    }
}

/// The file's text; None when it does not exist.
fn read(path: &Path) -> Result<Option<String>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Turns a TOML error into one line: where and what.
fn describe(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim().to_string();
    match e.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            let snippet = text.lines().nth(line - 1).unwrap_or("").trim();
            // A secret written here by mistake is not echoed back (nor logged with the error).
            let secret = snippet.split('=').next().is_some_and(|k| {
                let k = k.to_ascii_lowercase();
                ["key", "token", "secret", "password"]
                    .iter()
                    .any(|w| k.contains(w))
            });
            if secret {
                let name = snippet.split('=').next().unwrap_or("").trim();
                format!(
                    "line {line} (`{name} = ...`): {message}. Keys never go in the config: `folio secret set NAME` keeps one in the OS keyring, or use its environment variable"
                )
            } else {
                format!("line {line} (`{snippet}`): {message}")
            }
        }
        None => message,
    }
}

impl Tax {
    /// The rates the tax analytics use.
    pub fn rates(&self) -> crate::analytics::tax::Rates {
        let d = |x: f64| {
            rust_decimal::Decimal::try_from(x)
                .unwrap_or_default()
                .round_dp(6)
        };
        crate::analytics::tax::Rates {
            short_term: d(self.short_term_rate),
            long_term: d(self.long_term_rate),
            offset_limit: d(self.loss_offset_limit).round_dp(2),
            carry_in_short: d(self.carryforward_short).round_dp(2),
            carry_in_long: d(self.carryforward_long).round_dp(2),
        }
    }
}

impl Config {
    /// The harvest scan's thresholds and costs.
    pub fn harvest_settings(&self) -> crate::analytics::harvest::Settings {
        let d = |x: f64| {
            rust_decimal::Decimal::try_from(x)
                .unwrap_or_default()
                .round_dp(4)
        };
        crate::analytics::harvest::Settings {
            rates: self.tax.rates(),
            min_loss: d(self.tax.min_loss),
            min_loss_pct: d(self.tax.min_loss_pct),
            commission: d(self.tax.commission),
            spread_bps: d(self.tax.spread_bps),
            currency: self.general.default_currency.clone(),
        }
    }
}

/// Where folio keeps its files by default.
pub struct Dirs {
    pub config_file: PathBuf,
    pub data_dir: PathBuf,
}

impl Dirs {
    pub fn platform() -> Option<Dirs> {
        let p = directories::ProjectDirs::from("", "", "folio")?;
        Some(Dirs {
            config_file: p.config_dir().join("config.toml"),
            data_dir: p.data_dir().to_path_buf(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_is_the_default() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
    }

    #[test]
    fn a_key_written_into_the_config_is_not_echoed() {
        let e = Config::parse("[ai]\napi_key = \"sk-ant-secret-123\"\n").unwrap_err();
        assert!(!e.contains("sk-ant-secret-123"), "{e}");
        assert!(
            e.contains("api_key = ...") && e.contains("folio secret set"),
            "{e}"
        );
        let e = Config::parse("[ai]\nprovider = \"nope\"\n").unwrap_err();
        assert!(e.contains("'nope' is not a provider"), "{e}");
    }

    #[test]
    fn the_example_config_parses_to_the_defaults() {
        let text = include_str!("../config.example.toml");
        assert_eq!(Config::parse(text).unwrap(), Config::default());
    }

    #[test]
    fn unknown_keys_name_the_key_and_line() {
        let err = Config::parse("[general]\ndefault_currency = \"EUR\"\ncolour = 3\n").unwrap_err();
        assert!(
            err.starts_with("line 3 (`colour = 3`): unknown field `colour`"),
            "{err}"
        );
    }

    #[test]
    fn out_of_range_values_are_refused() {
        for (text, key) in [
            ("[ibkr]\nclient_id = 2147483647\n", "client_id"),
            ("[ibkr]\nid_pool = 0\n", "id_pool"),
            ("[http]\nbase_url = \"ftp://x\"\n", "base_url"),
            ("[quotes]\nsim_rate_hz = 0\n", "sim_rate_hz"),
        ] {
            let err = Config::parse(text).unwrap_err();
            assert!(err.contains(key), "{text}: {err}");
        }
    }

    #[test]
    fn wrong_types_name_the_key_and_line() {
        let err = Config::parse("[ledger]\nlot_method = 3\n").unwrap_err();
        assert!(err.starts_with("line 2 (`lot_method = 3`)"), "{err}");
        let err = Config::parse("[ledger]\nlot_method = \"average\"\n").unwrap_err();
        assert!(err.contains("unknown variant `average`"), "{err}");
    }
}
