//! The command line: parses arguments, opens the database, runs one subcommand.
//! One file per subcommand; each gathers its data, then prints a table or `--json`.

mod accounts;
mod anomalies;
mod broker;
mod cash;
mod doctor;
mod harvest;
mod holdings;
mod import;
mod lots;
mod output;
mod performance;
mod plan;
mod positions;
mod prices;
mod quotes;
mod realized;
mod risk;
mod tax;
mod transactions;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use crate::config::{CONFIG_ENV, Config, ConfigError, DB_ENV, Dirs};
use crate::store::Store;

/// Input the user can fix: reported with exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

#[derive(Parser, Debug)]
#[command(
    name = "folio",
    version,
    about = "A terminal portfolio cockpit: accounts, transactions and tax lots in one local SQLite file"
)]
pub struct Cli {
    /// Run on a fresh copy of the bundled demo portfolio (simulated prices; nothing is saved)
    #[arg(long, global = true)]
    demo: bool,
    /// Database file [default: folio.db in the data directory]
    #[arg(long, global = true, value_name = "PATH", env = DB_ENV)]
    db: Option<PathBuf>,
    /// Config file [default: config.toml in the config directory]
    #[arg(long, global = true, value_name = "PATH", env = CONFIG_ENV)]
    config: Option<PathBuf>,
    /// Print JSON instead of a table
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Import transactions from a CSV file (all rows or none)
    Import(import::Args),
    /// List accounts, or set an account's kind and lot method
    Accounts(accounts::Args),
    /// Import and list daily prices
    Prices(prices::Args),
    /// Live quotes from Interactive Brokers, once or streaming
    Quotes(quotes::Args),
    /// The broker's positions beside the ledger's, with the differences
    Positions(positions::Args),
    /// Check the config, the database, the quote source and the secret stores
    Doctor(doctor::Args),
    /// Positions per account with market value and unrealized gain
    Holdings(holdings::Args),
    /// Open tax lots: acquired, quantity, basis, term
    Lots(lots::Args),
    /// Closed lots: proceeds, basis, gain, short or long term
    Realized(realized::Args),
    /// Tax-loss harvest candidates: losses to realize, wash-sale blocks, replacements
    Harvest(harvest::Args),
    /// The tax year's report (Form 8949 style), and previews of a sale or a purchase
    Tax(tax::Args),
    /// Returns: time-weighted, money-weighted (XIRR), CAGR, gains, income, per account and holding
    Performance(performance::Args),
    /// Risk: volatility, Sharpe, Sortino, drawdowns, VaR and CVaR, beta, correlations
    Risk(risk::Args),
    /// Anomaly checks on returns and data, each with its value, threshold and reason
    Anomalies(anomalies::Args),
    /// Monte Carlo plans: will the money last, will the goal be reached
    Plan(Box<plan::Args>),
    /// The transaction history
    Transactions(transactions::Args),
    /// Cash balance per account and currency
    Cash(cash::Args),
}

/// What every subcommand gets: the config, where the database is, and the output mode.
pub struct Ctx {
    pub config: Config,
    /// The config file read or looked for.
    pub config_file: Option<PathBuf>,
    /// Why the config could not be used (only `doctor` runs on with the defaults).
    pub config_problem: Option<String>,
    pub db_path: PathBuf,
    /// Where downloads are cached (None without a home directory).
    pub data_dir: Option<PathBuf>,
    pub json: bool,
    /// Keeps the demo database alive for the run.
    _demo: Option<tempfile::TempDir>,
}

impl Ctx {
    pub fn store(&self) -> anyhow::Result<Store> {
        Ok(Store::open(&self.db_path)?)
    }

    /// The ledger's rules for these accounts: lot methods, kinds, substantially identical groups.
    pub fn policy(&self, accounts: &[crate::domain::Account]) -> crate::ledger::Policy {
        crate::ledger::Policy::new(
            accounts,
            self.config.ledger.lot_method,
            self.config.securities.clone(),
        )
    }

    pub fn is_demo(&self) -> bool {
        self._demo.is_some()
    }
}

/// Parses the command line and runs it; returns the process exit status
/// (0 ok, 1 runtime failure, 2 bad input).
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            let bad_input = e.is::<BadInput>()
                || e.is::<crate::import::Rejection>()
                || matches!(
                    e.downcast_ref::<ConfigError>(),
                    Some(ConfigError::Invalid { .. } | ConfigError::Missing(_))
                );
            tracing::error!("{e:#}");
            // Not eprintln!: it panics when stderr is gone (a closed SSH session).
            let _ = writeln!(std::io::stderr(), "folio: {e:#}");
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let dirs = Dirs::platform();
    let config_file = cli
        .config
        .clone()
        .or_else(|| dirs.as_ref().map(|d| d.config_file.clone()));
    let loaded = match (&cli.config, &dirs) {
        (Some(path), _) => Config::load(path, true),
        (None, Some(d)) => Config::load(&d.config_file, false),
        (None, None) => Ok(Config::default()),
    };
    // `folio doctor` reports a bad config as one of its checks; everything else stops on it.
    let (config, config_problem) = match loaded {
        Ok(c) => (c, None),
        Err(e) if matches!(cli.command, Some(Command::Doctor(_))) => {
            (Config::default(), Some(e.to_string()))
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(d) = &dirs {
        init_logging(&d.data_dir, &config.log.level);
    }
    let (db_path, demo) = if cli.demo {
        let dir = tempfile::Builder::new()
            .prefix("folio-demo-")
            .tempdir()
            .context("cannot create a temporary directory for the demo")?;
        let path = dir.path().join("demo.db");
        crate::demo::build(&path).context("cannot build the demo database")?;
        (path, Some(dir))
    } else {
        let path = cli
            .db
            .or_else(|| config.database.path.clone())
            .or_else(|| dirs.as_ref().map(|d| d.data_dir.join("folio.db")))
            .ok_or_else(|| {
                BadInput("no home directory to keep the database in; pass --db PATH".into())
            })?;
        (path, None)
    };
    let Some(command) = cli.command else {
        return cockpit(config, db_path, demo);
    };
    tracing::info!(db = %db_path.display(), ?command, "run");
    let ctx = Ctx {
        config,
        config_file,
        config_problem,
        db_path,
        data_dir: dirs.as_ref().map(|d| d.data_dir.clone()),
        json: cli.json,
        _demo: demo,
    };
    match command {
        Command::Import(a) => import::run(&ctx, a),
        Command::Accounts(a) => accounts::run(&ctx, a),
        Command::Prices(a) => prices::run(&ctx, a),
        Command::Holdings(a) => holdings::run(&ctx, a),
        Command::Quotes(a) => quotes::run(&ctx, a),
        Command::Positions(a) => positions::run(&ctx, a),
        Command::Doctor(a) => doctor::run(&ctx, a),
        Command::Lots(a) => lots::run(&ctx, a),
        Command::Realized(a) => realized::run(&ctx, a),
        Command::Harvest(a) => harvest::run(&ctx, a),
        Command::Tax(a) => tax::run(&ctx, a),
        Command::Performance(a) => performance::run(&ctx, a),
        Command::Risk(a) => risk::run(&ctx, a),
        Command::Anomalies(a) => anomalies::run(&ctx, a),
        Command::Plan(a) => plan::run(&ctx, *a),
        Command::Transactions(a) => transactions::run(&ctx, a),
        Command::Cash(a) => cash::run(&ctx, a),
    }
}

/// `folio` with no command: the cockpit, on the demo (with simulated quotes) or the database.
fn cockpit(
    config: Config,
    db_path: PathBuf,
    demo: Option<tempfile::TempDir>,
) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(BadInput(
            "the cockpit needs a terminal; in scripts use a command such as `folio holdings --json` (see `folio --help`)".into(),
        )
        .into());
    }
    use crate::config::FeedKind;
    use crate::domain::QuoteSource;
    let feed = match config.quotes.source {
        _ if demo.is_some() => Some(QuoteSource::Simulated),
        FeedKind::Simulated => Some(QuoteSource::Simulated),
        FeedKind::Ibkr => Some(QuoteSource::Ibkr),
        FeedKind::Http => Some(QuoteSource::Http),
        FeedKind::None => None,
    };
    let db_label = if demo.is_some() {
        "demo (temporary database)".to_string()
    } else {
        display_path(&db_path)
    };
    tracing::info!(db = %db_path.display(), "cockpit");
    let result = crate::tui::run(crate::tui::Options {
        db_path,
        setup: crate::tui::Setup {
            db_label,
            demo: demo.is_some(),
            feed,
        },
        config,
    });
    drop(demo);
    result
}

/// A path with the home directory shortened to `~`.
fn display_path(path: &std::path::Path) -> String {
    let home = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf());
    match home.and_then(|h| path.strip_prefix(h).ok().map(std::path::Path::to_path_buf)) {
        Some(rest) => format!("~/{}", rest.display()),
        None => path.display().to_string(),
    }
}

/// Logs go to `folio.log` in the data directory, never to the terminal. Failing to open the log
/// is not worth failing the command for.
fn init_logging(data_dir: &std::path::Path, level: &str) {
    let open = || -> std::io::Result<std::fs::File> {
        std::fs::create_dir_all(data_dir)?;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data_dir.join("folio.log"))
    };
    let Ok(file) = open() else { return };
    let level = level
        .parse::<tracing::Level>()
        .unwrap_or(tracing::Level::INFO);
    let _ = tracing_subscriber::fmt()
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .with_max_level(level)
        .try_init();
}

/// Parses a `--as-of` / `--from` style date argument.
pub fn parse_date_arg(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("'{s}' is not a date; use YYYY-MM-DD, e.g. 2025-12-31"))
}

/// Today in the local time zone.
pub fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// `--account` and `--as-of`: the commands that show the portfolio at a point in time.
#[derive(clap::Args, Debug)]
pub struct Scope {
    /// Only this account
    #[arg(long)]
    account: Option<String>,
    /// At the end of this day (YYYY-MM-DD) [default: today]
    #[arg(long, value_parser = parse_date_arg)]
    as_of: Option<NaiveDate>,
}

impl Scope {
    /// The as-of day and the ledger replayed up to it.
    pub fn load(&self, store: &Store, ctx: &Ctx) -> anyhow::Result<(NaiveDate, Loaded)> {
        let as_of = self.as_of.unwrap_or_else(today);
        Ok((
            as_of,
            load_book(store, ctx, Some(as_of), self.account.as_deref())?,
        ))
    }
}

/// The ledger replayed from the database, with the account filter a command was given.
pub struct Loaded {
    pub book: crate::ledger::Book,
    /// The transactions replayed (up to the as-of day).
    pub transactions: Vec<crate::domain::Transaction>,
    pub policy: crate::ledger::Policy,
    pub accounts: Vec<crate::domain::Account>,
    /// The account asked for, spelled as stored.
    pub account: Option<String>,
}

impl Loaded {
    pub fn wants(&self, account: &str) -> bool {
        self.account.as_deref().is_none_or(|a| a == account)
    }
}

/// Replays every transaction up to `as_of` (all when None). Checks that `account`, if given,
/// exists (case-insensitively).
pub fn load_book(
    store: &Store,
    ctx: &Ctx,
    as_of: Option<NaiveDate>,
    account: Option<&str>,
) -> anyhow::Result<Loaded> {
    let accounts = store.accounts()?;
    let account = account.map(|a| resolve_account(&accounts, a)).transpose()?;
    let mut txns = store.transactions()?;
    if let Some(d) = as_of {
        txns.retain(|t| t.date <= d);
    }
    let policy = ctx.policy(&accounts);
    let (book, errors) = crate::ledger::replay(&txns, &policy);
    for e in errors {
        tracing::warn!(id = e.id, "{}", e.message);
        eprintln!(
            "folio: warning: transaction #{} in the database cannot be applied and is left out: {}",
            e.id, e.message
        );
    }
    Ok(Loaded {
        book,
        transactions: txns,
        policy,
        accounts,
        account,
    })
}

/// What the performance, risk and anomaly commands read: the whole ledger (checked, with the
/// account resolved) and every close.
pub struct Analysis {
    pub loaded: Loaded,
    pub closes: std::collections::HashMap<String, Vec<(NaiveDate, rust_decimal::Decimal)>>,
}

impl Analysis {
    pub fn load(ctx: &Ctx, account: Option<&str>) -> anyhow::Result<Analysis> {
        let store = ctx.store()?;
        let loaded = load_book(&store, ctx, None, account)?;
        let closes = store.closes_since(NaiveDate::MIN)?;
        Ok(Analysis { loaded, closes })
    }

    pub fn data<'a>(&'a self, ctx: &'a Ctx) -> crate::analysis::Data<'a> {
        crate::analysis::Data {
            txns: &self.loaded.transactions,
            policy: &self.loaded.policy,
            closes: &self.closes,
            currency: &ctx.config.general.default_currency,
        }
    }
}

pub fn resolve_account(
    accounts: &[crate::domain::Account],
    name: &str,
) -> Result<String, BadInput> {
    let exact = accounts.iter().find(|a| a.name == name);
    if let Some(a) = exact.or_else(|| accounts.iter().find(|a| a.name.eq_ignore_ascii_case(name))) {
        return Ok(a.name.clone());
    }
    let known: Vec<&str> = accounts.iter().map(|a| a.name.as_str()).collect();
    Err(BadInput(if known.is_empty() {
        format!(
            "no account named '{name}': the database has no accounts yet; import transactions first"
        )
    } else {
        format!(
            "no account named '{name}'; the accounts are: {}",
            known.join(", ")
        )
    }))
}
