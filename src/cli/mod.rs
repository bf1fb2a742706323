//! The command line: parses arguments, opens a session, asks the query layer (`crate::app`) and
//! prints its report as a table or as `--json` (the report's own serialisation). One file per
//! subcommand; each turns its flags into the app's params and the report into text, nothing
//! else.

mod accounts;
mod anomalies;
mod cash;
mod chat;
mod dashboard;
mod doctor;
mod frontier;
mod harvest;
mod holdings;
mod import;
mod lots;
mod orders;
mod output;
mod performance;
mod plan;
mod positions;
mod prices;
mod quotes;
mod realized;
mod rebalance;
mod risk;
mod secret;
mod shell;
mod stress;
mod targets;
mod tax;
mod transactions;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand};

use crate::app::doctor::ConfigStatus;
use crate::app::{Access, AppError, Clock, Options, Session, bad};
use crate::config::{CONFIG_ENV, Config, DB_ENV, Dirs};
use crate::domain::Named;

/// Environment variable that fixes "today" (the `--today` flag wins over it).
pub const TODAY_ENV: &str = "FOLIO_TODAY";

#[derive(Parser, Debug)]
#[command(
    name = "folio",
    version,
    about = "A terminal portfolio cockpit: accounts, transactions and tax lots in one local SQLite file",
    long_about = "A terminal portfolio cockpit: accounts, transactions and tax lots in one local SQLite file.\n\nWith no command, folio opens the cockpit on your database (folio --demo: on a bundled demo portfolio). Every command prints a table, or JSON with --json."
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
    /// Run as if today were this day (YYYY-MM-DD): every default date, and the demo's calendar,
    /// follow it [default: today]
    #[arg(long, global = true, value_name = "DATE", env = TODAY_ENV, value_parser = parse_date_arg)]
    today: Option<NaiveDate>,
    /// Test hooks (debug builds only)
    #[cfg(debug_assertions)]
    #[arg(long, global = true, hide = true)]
    test_hook: Vec<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Import transactions from a CSV file (all rows or none)
    Import(import::Args),
    /// List accounts, or set an account's kind and lot method
    Accounts(accounts::Args),
    /// Import, list and download daily prices
    Prices(prices::Args),
    /// Live quotes from Interactive Brokers or the HTTP fallback, once or streaming
    Quotes(quotes::Args),
    /// The broker's positions beside the ledger's, with the differences
    Positions(positions::Args),
    /// Check the config, the database, the quote source and the secret stores
    Doctor(doctor::Args),
    /// Net worth, the day's change, allocation and the value over time (the Dashboard pane)
    Dashboard(dashboard::Args),
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
    /// The efficient frontier of the holdings: minimum-variance and maximum-Sharpe mixes, and
    /// where yours stands
    Frontier(frontier::Args),
    /// Stress tests: the 2008, 2020 and 2022 crashes, or your own shocks, applied to today's
    /// holdings
    Stress(stress::Args),
    /// Target mixes beside the current weights; `set` stores one, `clear` removes it
    Targets(targets::Args),
    /// The trades back to the targets at the least estimated tax, beside a tax-blind plan
    Rebalance(rebalance::Args),
    /// Anomaly checks on returns and data, each with its value, threshold and reason
    Anomalies(anomalies::Args),
    /// Monte Carlo plans: will the money last, will the goal be reached
    Plan(Box<plan::Args>),
    /// Place an order: the ticket with its checks and tax consequences, then the order once
    /// confirmed (paper by default)
    Order(orders::OrderArgs),
    /// The order journal: every order with its state, fills and commission
    Orders(orders::OrdersArgs),
    /// Cancel a working order
    Cancel(orders::CancelArgs),
    /// Executions and the ledger transactions they became
    Fills,
    /// The transaction history
    Transactions(transactions::Args),
    /// Cash balance per account and currency
    Cash(cash::Args),
    /// Ask about your portfolio: a local model (or the offline assistant) answers from your
    /// own figures through folio's tools
    Chat(chat::Args),
    /// API keys in the OS keyring: folio secret set|delete|status NAME
    Secret(secret::Args),
    /// A Model Context Protocol server on stdin/stdout: read-only tools over the ledger for AI
    /// clients (Claude Desktop, Claude Code, Cursor...)
    Mcp(crate::mcp::Args),
    /// Shell completions: folio completions bash|zsh|fish|elvish|powershell
    Completions(shell::CompletionArgs),
    /// The man page (roff): folio man > folio.1
    Man,
}

impl Command {
    fn talks_to_the_network(&self) -> bool {
        matches!(
            self,
            Command::Prices(_)
                | Command::Quotes(_)
                | Command::Positions(_)
                | Command::Doctor(_)
                | Command::Anomalies(_)
                | Command::Plan(_)
                | Command::Mcp(_)
                | Command::Chat(_)
                | Command::Secret(_)
                | Command::Order(_)
                | Command::Cancel(_)
        ) || matches!(self, Command::Orders(a) if a.sync())
    }

    /// What the command may do to the database: only the commands that write may create it.
    fn access(&self) -> Access {
        match self {
            Command::Import(a) if !a.dry_run() => Access::Write,
            Command::Accounts(a) if a.writes() => Access::Write,
            Command::Prices(a) if a.writes() => Access::Write,
            Command::Plan(a) if a.writes() => Access::Write,
            Command::Targets(a) if a.writes() => Access::Write,
            Command::Order(a) if !a.dry_run() => Access::Write,
            Command::Cancel(_) => Access::Write,
            Command::Orders(a) if a.sync() => Access::Write,
            Command::Chat(a) if a.writes() => Access::Write,
            // The MCP server never writes, not even to upgrade an older schema.
            Command::Mcp(_) => Access::ReadOnly,
            _ => Access::Read,
        }
    }
}

/// What every subcommand gets: the session and the output mode.
pub struct Ctx<'a> {
    pub session: &'a Session,
    pub json: bool,
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
        Err(e) => {
            // A closed pipe (`folio lots | head`) is a quiet end, not a failure.
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            tracing::error!("{e:#}");
            // Not eprintln!: it panics when stderr is gone (a closed SSH session).
            let _ = writeln!(std::io::stderr(), "folio: {e:#}");
            ExitCode::from(exit_code(&e))
        }
    }
}

/// The one place errors become exit statuses: 2 for input the user can fix, 1 otherwise.
fn exit_code(e: &anyhow::Error) -> u8 {
    match e.downcast_ref::<AppError>() {
        Some(a) => a.exit_code(),
        None => 1,
    }
}

fn run(mut cli: Cli) -> anyhow::Result<()> {
    #[cfg(debug_assertions)]
    crate::test_hooks::set(&cli.test_hook).map_err(bad)?;
    let Some(command) = cli.command.take() else {
        return cockpit(cli);
    };
    // These need nothing but the command line itself.
    match &command {
        Command::Completions(a) => return shell::completions(a),
        Command::Man => return shell::man(),
        _ => {}
    }
    let dirs = Dirs::platform();
    let (config, status) = load_config(&cli, &dirs, matches!(command, Command::Doctor(_)))?;
    if let Some(d) = &dirs {
        init_logging(&d.data_dir, &config.log.level);
    }
    let access = command.access();
    let session = std::sync::Arc::new(open(&cli, &dirs, config, access)?);
    tracing::info!(db = %session.db_path().display(), ?command, "run");
    let ctx = Ctx {
        session: &session,
        json: cli.json,
    };
    let rt = runtime(command.talks_to_the_network())?;
    let result = rt.block_on(async {
        match command {
            Command::Import(a) => import::run(&ctx, a),
            Command::Accounts(a) => accounts::run(&ctx, a),
            Command::Prices(a) => prices::run(&ctx, a).await,
            Command::Holdings(a) => holdings::run(&ctx, a),
            Command::Dashboard(a) => dashboard::run(&ctx, a),
            Command::Quotes(a) => quotes::run(&ctx, a).await,
            Command::Positions(a) => positions::run(&ctx, a).await,
            Command::Doctor(a) => doctor::run(&ctx, a, &status).await,
            Command::Lots(a) => lots::run(&ctx, a),
            Command::Realized(a) => realized::run(&ctx, a),
            Command::Harvest(a) => harvest::run(&ctx, a),
            Command::Tax(a) => tax::run(&ctx, a),
            Command::Performance(a) => performance::run(&ctx, a),
            Command::Risk(a) => risk::run(&ctx, a),
            Command::Frontier(a) => frontier::run(&ctx, a),
            Command::Targets(a) => targets::run(&ctx, a),
            Command::Rebalance(a) => rebalance::run(&ctx, a),
            Command::Stress(a) => stress::run(&ctx, a),
            Command::Anomalies(a) => anomalies::run(&ctx, a).await,
            Command::Plan(a) => plan::run(&ctx, *a).await,
            Command::Order(a) => orders::order(&ctx, a).await,
            Command::Orders(a) => orders::list(&ctx, a).await,
            Command::Cancel(a) => orders::cancel(&ctx, a).await,
            Command::Fills => orders::fills(&ctx),
            Command::Transactions(a) => transactions::run(&ctx, a),
            Command::Cash(a) => cash::run(&ctx, a),
            Command::Mcp(a) => crate::mcp::serve(session.clone(), a).await,
            Command::Chat(a) => chat::run(&ctx, session.clone(), a).await,
            Command::Secret(a) => secret::run(&ctx, a).await,
            Command::Completions(_) | Command::Man => Ok(()),
        }
    });
    // Work a closed MCP client left running is not waited for.
    rt.shutdown_timeout(std::time::Duration::from_millis(300));
    result
}

/// The async runtime the command runs on (one per process; nothing below it starts another):
/// two worker threads for the commands that talk to a broker, a provider or an MCP client,
/// none for the others (they only read the database and compute).
fn runtime(network: bool) -> std::io::Result<tokio::runtime::Runtime> {
    if network {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    }
}

/// The config file named or found; `doctor` runs on with the defaults when it is bad (it
/// reports it as one of its checks), everything else stops on it.
fn load_config(
    cli: &Cli,
    dirs: &Option<Dirs>,
    doctor: bool,
) -> anyhow::Result<(Config, ConfigStatus)> {
    let file = cli
        .config
        .clone()
        .or_else(|| dirs.as_ref().map(|d| d.config_file.clone()));
    let loaded = match (&cli.config, dirs) {
        (Some(path), _) => Config::load(path, true),
        (None, Some(d)) => Config::load(&d.config_file, false),
        (None, None) => Ok(Config::default()),
    };
    match loaded {
        Ok(c) => Ok((
            c,
            ConfigStatus {
                file,
                problem: None,
            },
        )),
        Err(e) if doctor => Ok((
            Config::default(),
            ConfigStatus {
                file,
                problem: Some(e.to_string()),
            },
        )),
        Err(e) => Err(AppError::Config(e).into()),
    }
}

/// The session on the database the command line names (or the demo's).
fn open(cli: &Cli, dirs: &Option<Dirs>, config: Config, access: Access) -> anyhow::Result<Session> {
    let clock = cli.today.map_or(Clock::System, Clock::Fixed);
    let data_dir = dirs.as_ref().map(|d| d.data_dir.clone());
    if cli.demo {
        return Ok(Session::demo(config, clock, data_dir, access)?);
    }
    let db_path = cli
        .db
        .clone()
        .or_else(|| config.database.path.clone())
        .or_else(|| dirs.as_ref().map(|d| d.data_dir.join("folio.db")))
        .ok_or_else(|| bad("no home directory to keep the database in; pass --db PATH"))?;
    Ok(Session::new(Options {
        db_path,
        access,
        config,
        clock,
        data_dir,
    }))
}

/// `folio` with no command: the cockpit, on the demo (with simulated quotes) or the database.
fn cockpit(cli: Cli) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(bad(
            "the cockpit needs a terminal; in scripts use a command such as `folio holdings --json` (see `folio --help`)",
        )
        .into());
    }
    let dirs = Dirs::platform();
    let (config, _) = load_config(&cli, &dirs, false)?;
    if let Some(d) = &dirs {
        init_logging(&d.data_dir, &config.log.level);
    }
    use crate::config::FeedKind;
    use crate::domain::QuoteSource;
    let feed = match config.quotes.source {
        _ if cli.demo => Some(QuoteSource::Simulated),
        FeedKind::Simulated => Some(QuoteSource::Simulated),
        FeedKind::Ibkr => Some(QuoteSource::Ibkr),
        FeedKind::Http => Some(QuoteSource::Http),
        FeedKind::None => None,
    };
    // The cockpit writes (the quotes it streams, the plans saved in it): it may create the
    // database, and its welcome screen says how to fill it.
    let session = open(&cli, &dirs, config, Access::Write)?;
    let db_label = if session.is_demo() {
        "demo (temporary database)".to_string()
    } else {
        display_path(session.db_path())
    };
    // The command that imports into this very database (the welcome screen shows it).
    let db_flag = match (&cli.db, session.is_demo()) {
        (Some(p), false) => format!(" --db {}", shell_quote(&p.display().to_string())),
        _ => String::new(),
    };
    tracing::info!(db = %session.db_path().display(), "cockpit");
    let session_broker = session.config().broker.default;
    crate::tui::run(
        std::sync::Arc::new(session),
        crate::tui::Setup {
            db_label,
            db_flag,
            demo: cli.demo,
            feed,
            broker: session_broker,
        },
    )
}

/// A word for a shell command line: quoted when it holds anything but plain characters.
fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-~+=:,@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
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
    use chrono::Datelike;
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("'{s}' is not a date; use YYYY-MM-DD, e.g. 2025-12-31"))?;
    if crate::domain::YEARS.contains(&d.year()) {
        Ok(d)
    } else {
        Err(format!(
            "'{s}' is outside the years folio reckons with; use a day from 1900-01-01 to 9999-12-31"
        ))
    }
}

/// A flag whose value is one of a [`Named`] type's names (listed in `--help` and completions).
pub fn named<T: Named + Clone + Send + Sync>() -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(
        T::ALL
            .iter()
            .map(|(_, name, help)| PossibleValue::new(*name).help(*help)),
    )
    .map(|s| T::from_name(&s).unwrap_or(T::ALL[0].0))
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
