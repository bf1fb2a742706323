//! The offline assistant: folio's chat when no model is configured or reachable (and always in
//! `folio --demo`). It recognises the common questions with plain rules (keywords, a symbol the
//! user has, an account name, a year), calls the same tools a model would, and answers with
//! their figures, copied verbatim or rounded, so that the number check passes and the answer
//! matches the command line. It never advises buying or selling and says plainly what it is
//! and how to connect a model. Pure code: the chat loop runs the look-ups.

use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::format;

/// The assistant's name, as the pane and `--json` show it.
pub const NAME: &str = "offline";

/// The last line of every answer: what answered and how to get a model.
pub const FOOTER: &str = "This is folio's offline assistant: for free-form questions start Ollama (`ollama serve`, `ollama pull qwen3:8b`) or set `provider` under [ai] in the config.";

/// Said under every answer with tax figures.
pub const TAX_NOTE: &str = "Tax figures are estimates, not tax advice.";

/// Said under answers about trades: the assistant describes, never recommends.
const NO_ADVICE: &str = "folio gives no buy or sell advice.";

/// Rows a table shows before it says that more were left out (an answer is read on a screen).
const MAX_TABLE_ROWS: usize = 15;

/// The first-year withdrawal rate a plan assumes when the question names none (the classic 4%
/// rule, so "am I on track" has a concrete meaning).
const DEFAULT_WITHDRAWAL_RATE: f64 = 0.04;

/// Transactions listed when the question asks for recent ones.
const RECENT_TRANSACTIONS: usize = 10;

/// The value history asked of the dashboard: the answers use only its summary, allocation and
/// holdings, so the series is kept a week long.
const DASHBOARD_HISTORY: &str = "7d";

/// One look-up the assistant makes: a tool of `app::tools` and its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    pub tool: &'static str,
    pub args: Value,
}

/// What a question is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// What do I own: positions by account.
    Holdings,
    Cash,
    /// Net worth, day change, allocation: the dashboard.
    NetWorth,
    /// The biggest unrealized gains and losses.
    Movers,
    /// Realized gains of a year (or every year, for wash sales).
    Realized,
    /// Tax-loss harvest candidates.
    Harvest,
    /// What selling or buying a symbol would do to taxes (wash sales).
    Trade,
    Lots,
    Risk,
    Anomalies,
    /// Will the money last: a Monte Carlo plan of the user's own holdings.
    Plan,
    Quotes,
    Performance,
    Accounts,
    Transactions,
    TaxReport,
    Orders,
    Fills,
    /// Not understood: no look-ups, an answer listing what can be asked.
    Unknown,
}

/// What the assistant understood.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub intent: Intent,
    pub lookups: Vec<Lookup>,
}

/// What the question may name: the symbols and accounts the user has.
pub struct Context<'a> {
    pub today: NaiveDate,
    pub symbols: &'a [String],
    pub accounts: &'a [String],
}

// ---------------------------------------------------------------------------------------------
// Reading the question

/// Words that are also tickers of real securities: read as a symbol only when typed in capitals
/// ("ON" the stock, "on" the word).
const COMMON_WORDS: &[&str] = &[
    "all", "am", "an", "and", "any", "are", "at", "be", "big", "by", "can", "cash", "do", "for",
    "fun", "go", "good", "has", "he", "key", "low", "me", "my", "new", "next", "now", "of", "on",
    "one", "or", "out", "pay", "real", "safe", "see", "so", "tax", "to", "two", "up", "us", "was",
    "we", "well", "win", "you",
];

/// Words never read as a symbol, whatever their case (the pronoun "I", the article "a").
const NEVER_SYMBOLS: &[&str] = &["i", "a"];

/// A question as tokens (as typed) and as a normalised lowercase text for phrase matching.
struct Question {
    tokens: Vec<String>,
    /// The lowercase tokens joined by single spaces, padded with a space at both ends, with
    /// hyphens as spaces ("tax-loss" matches "tax loss").
    text: String,
}

impl Question {
    fn new(question: &str) -> Question {
        // A comma between digits groups thousands; any other comma separates words.
        let chars: Vec<char> = question.chars().collect();
        let mut cleaned = String::with_capacity(question.len());
        for (i, &c) in chars.iter().enumerate() {
            let digit_at = |j: Option<usize>| {
                j.and_then(|j| chars.get(j))
                    .is_some_and(char::is_ascii_digit)
            };
            if c == ',' && digit_at(i.checked_sub(1)) && digit_at(Some(i + 1)) {
                continue;
            }
            cleaned.push(c);
        }
        let tokens: Vec<String> = cleaned
            .split(|c: char| {
                c.is_whitespace()
                    || matches!(
                        c,
                        '?' | '!' | ',' | ';' | '(' | ')' | '"' | '[' | ']' | '{' | '}' | '/'
                    )
            })
            .map(trim_token)
            .filter(|t| !t.is_empty())
            .collect();
        let mut text = String::from(" ");
        for t in &tokens {
            let lower = t.to_lowercase().replace(['-', '\u{2019}', '\''], " ");
            text.push_str(lower.trim());
            text.push(' ');
        }
        Question { tokens, text }
    }

    /// Whether the question holds `phrase` as whole words.
    fn has(&self, phrase: &str) -> bool {
        self.text.contains(&format!(" {phrase} "))
    }

    fn has_any(&self, phrases: &[&str]) -> bool {
        phrases.iter().any(|p| self.has(p))
    }

    /// Whether a word of the question starts with `stem` ("retir" finds retire, retirement).
    fn has_stem(&self, stem: &str) -> bool {
        self.text.split(' ').any(|w| w.starts_with(stem))
    }

    fn lower(&self, i: usize) -> Option<String> {
        self.tokens.get(i).map(|t| t.to_lowercase())
    }
}

/// A token without the punctuation around it (a `$` before and a `%` after are kept) and
/// without a possessive ("VTI's" is VTI).
fn trim_token(t: &str) -> String {
    let t = t.trim_start_matches(|c: char| !(c.is_alphanumeric() || c == '$'));
    let t = t.trim_end_matches(|c: char| !(c.is_alphanumeric() || c == '%'));
    let t = t
        .strip_suffix("'s")
        .or_else(|| t.strip_suffix("\u{2019}s"))
        .unwrap_or(t);
    t.to_string()
}

/// The known symbols the question names, in order: case-insensitive, except that a common
/// English word counts only when typed in capitals.
fn symbols(q: &Question, cx: &Context) -> Vec<String> {
    named(q, cx.symbols)
}

/// The `known` symbols the question names, by the rules of [`symbols`].
fn named<S: AsRef<str>>(q: &Question, known: &[S]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in &q.tokens {
        let lower = t.to_lowercase();
        if NEVER_SYMBOLS.contains(&lower.as_str()) {
            continue;
        }
        if COMMON_WORDS.contains(&lower.as_str()) && *t != t.to_uppercase() {
            continue;
        }
        if let Some(s) = known
            .iter()
            .map(AsRef::as_ref)
            .find(|s| s.eq_ignore_ascii_case(t))
            && !out.iter().any(|o| o == s)
        {
            out.push(s.to_string());
        }
    }
    out
}

/// The account the question names (the longest name that fits, so "Roth IRA" wins over "IRA").
fn account(q: &Question, cx: &Context) -> Option<String> {
    let mut names: Vec<&String> = cx.accounts.iter().collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    names.into_iter().find_map(|name| {
        let phrase = Question::new(name).text;
        let phrase = phrase.trim();
        (!phrase.is_empty() && q.has(phrase)).then(|| name.clone())
    })
}

/// The tax year the question names: "this year", "last year", or a year such as 2025.
fn year(q: &Question, today: NaiveDate) -> Option<i32> {
    if q.has_any(&["this year", "ytd", "year to date", "so far"]) {
        return Some(today.year());
    }
    if q.has_any(&["last year", "previous year", "prior year"]) {
        return Some(today.year() - 1);
    }
    q.tokens.iter().find_map(|t| {
        (t.len() == 4 && t.chars().all(|c| c.is_ascii_digit()))
            .then(|| t.parse::<i32>().ok())
            .flatten()
            .filter(|y| (1900..=2200).contains(y))
    })
}

/// Verbs that ask what a trade would do.
const TRADE_VERBS: &[&str] = &[
    "sell",
    "selling",
    "buy",
    "buying",
    "purchase",
    "purchasing",
    "rebuy",
    "repurchase",
];

/// The shares a trade question names: a number before "shares" or a symbol, or after a trade
/// verb or a symbol ("sell 10 VTI", "sell 10 shares of VTI", "sell VTI 10").
fn quantity(q: &Question, syms: &[String]) -> Option<Decimal> {
    let is_symbol = |i: usize| {
        q.tokens
            .get(i)
            .is_some_and(|t| syms.iter().any(|s| s.eq_ignore_ascii_case(t)))
    };
    q.tokens.iter().enumerate().find_map(|(i, t)| {
        let d = t.parse::<Decimal>().ok().filter(|d| *d > Decimal::ZERO)?;
        let next = q.lower(i + 1).unwrap_or_default();
        let prev = i
            .checked_sub(1)
            .and_then(|p| q.lower(p))
            .unwrap_or_default();
        let fits = matches!(next.as_str(), "shares" | "share" | "units")
            || is_symbol(i + 1)
            || TRADE_VERBS.contains(&prev.as_str())
            || i.checked_sub(1).is_some_and(is_symbol);
        fits.then_some(d)
    })
}

/// Buy or sell: the first trade verb in the question ("sell VTI and buy it back" is a sale).
fn side(q: &Question) -> &'static str {
    for t in &q.tokens {
        match t.to_lowercase().as_str() {
            "buy" | "buying" | "purchase" | "purchasing" | "rebuy" | "repurchase" => return "buy",
            "sell" | "selling" => return "sell",
            _ => {}
        }
    }
    "sell"
}

/// A rate the question names as a percent ("3.5%", "3.5 percent"), as a fraction.
fn rate(q: &Question) -> Option<f64> {
    q.tokens.iter().enumerate().find_map(|(i, t)| {
        let number = match t.strip_suffix('%') {
            Some(n) => n,
            None if q.lower(i + 1).as_deref() == Some("percent") => t.as_str(),
            None => return None,
        };
        number
            .parse::<f64>()
            .ok()
            .filter(|x| *x > 0.0 && *x < 100.0)
            .map(|x| x / 100.0)
    })
}

/// A span the question names: a number before days, months or years ("for 40 years").
fn span(q: &Question) -> Option<(u32, char)> {
    q.tokens.iter().enumerate().find_map(|(i, t)| {
        let n = t.parse::<u32>().ok().filter(|n| (1..=100).contains(n))?;
        let unit = match q.lower(i + 1)?.as_str() {
            "day" | "days" => 'd',
            "month" | "months" => 'm',
            "year" | "years" | "yr" | "yrs" => 'y',
            _ => return None,
        };
        Some((n, unit))
    })
}

// ---------------------------------------------------------------------------------------------
// Choosing the intent and the look-ups

/// What the question asks, by rules tried in order: the most specific words first (a harvest
/// or a trade names taxes and symbols that later rules would read as holdings).
fn intent(q: &Question, syms: &[String], named_account: bool) -> Intent {
    let past = q.has_any(&["did i", "when did", "have i", "bought", "sold"]);
    let trade_verb = TRADE_VERBS.iter().any(|v| q.has(v));
    let lots = q.has_any(&[
        "lots",
        "tax lot",
        "cost basis",
        "basis",
        "holding period",
        "turn long term",
        "turns long term",
        "become long term",
        "becomes long term",
    ]) || (q.has("lot") && !q.has("a lot"));
    let superlative = q.has_any(&[
        "biggest", "largest", "top", "best", "worst", "most", "greatest",
    ]);
    let gain_words = q.has_any(&[
        "gain",
        "gains",
        "loss",
        "losses",
        "winner",
        "winners",
        "loser",
        "losers",
        "gainers",
        "performers",
        "up",
        "down",
    ]);
    let rules: &[(bool, Intent)] = &[
        (
            q.has_any(&["harvest", "harvesting", "harvestable", "tax loss", "tlh"]),
            Intent::Harvest,
        ),
        (
            q.has("wash") || (trade_verb && !syms.is_empty() && !past),
            Intent::Trade,
        ),
        (q.has_any(&["order", "orders"]), Intent::Orders),
        (
            q.has_any(&[
                "fill",
                "fills",
                "filled",
                "execution",
                "executions",
                "executed",
            ]),
            Intent::Fills,
        ),
        (
            q.has_any(&["transaction", "transactions", "activity", "when did"]),
            Intent::Transactions,
        ),
        (lots, Intent::Lots),
        (
            q.has_any(&[
                "tax report",
                "8949",
                "schedule d",
                "tax return",
                "tax forms",
            ]),
            Intent::TaxReport,
        ),
        (
            q.has_any(&[
                "realized",
                "realised",
                "realize",
                "realise",
                "capital gain",
                "capital gains",
                "short term gains",
                "long term gains",
                "closed",
            ]),
            Intent::Realized,
        ),
        (
            q.has_any(&[
                "unrealized",
                "unrealised",
                "winners",
                "losers",
                "gainers",
                "losing",
                "down the most",
                "up the most",
            ]) || (superlative && gain_words),
            Intent::Movers,
        ),
        (
            q.has_any(&[
                "tax",
                "taxes",
                "owe",
                "irs",
                "carryforward",
                "carry forward",
                "carryover",
            ]),
            Intent::TaxReport,
        ),
        (
            q.has_any(&[
                "unusual",
                "anomaly",
                "anomalies",
                "anomalous",
                "alert",
                "alerts",
                "weird",
                "strange",
                "odd",
                "wrong",
                "outlier",
                "outliers",
                "concentrated",
                "concentration",
                "warnings",
            ]),
            Intent::Anomalies,
        ),
        (
            q.has_any(&[
                "risk",
                "risky",
                "volatility",
                "volatile",
                "drawdown",
                "drawdowns",
                "sharpe",
                "sortino",
                "var",
                "cvar",
                "value at risk",
                "beta",
                "downside",
            ]),
            Intent::Risk,
        ),
        (
            q.has_stem("retir")
                || q.has_any(&[
                    "on track",
                    "run out",
                    "money last",
                    "savings last",
                    "portfolio last",
                    "it last",
                    "outlive",
                    "monte carlo",
                    "withdrawal rate",
                    "safe withdrawal",
                    "fire",
                    "plan",
                    "goal",
                ]),
            Intent::Plan,
        ),
        (
            q.has_any(&["today", "day change", "this morning"])
                && !q.has_any(&["bought", "sold", "buy", "sell"]),
            Intent::NetWorth,
        ),
        (
            q.has_any(&[
                "performance",
                "perform",
                "performed",
                "performing",
                "return",
                "returns",
                "twr",
                "xirr",
                "irr",
                "cagr",
                "how am i doing",
                "how did i do",
                "how have i done",
                "doing",
                "dividends",
                "dividend",
                "income",
                "interest",
                "fees",
            ]),
            Intent::Performance,
        ),
        (
            q.has_any(&["gain", "gains", "loss", "losses", "lose", "lost"]),
            Intent::Movers,
        ),
        (
            q.has_any(&["price", "prices", "quote", "quotes", "trading at", "ticker"])
                || (!syms.is_empty() && q.has_any(&["worth", "how much is", "at"])),
            Intent::Quotes,
        ),
        (
            q.has_any(&["cash", "uninvested", "balance", "balances", "buying power"]),
            Intent::Cash,
        ),
        (
            q.has_any(&[
                "net worth",
                "worth",
                "dashboard",
                "overview",
                "summary",
                "allocation",
                "allocated",
                "total value",
                "how much do i have",
                "how much money",
                "day change",
                "today",
            ]),
            Intent::NetWorth,
        ),
        (
            q.has_any(&[
                "holdings",
                "hold",
                "holding",
                "own",
                "positions",
                "position",
                "portfolio",
                "invested",
                "shares",
                "stocks",
                "funds",
                "etfs",
            ]),
            Intent::Holdings,
        ),
        (q.has_any(&["account", "accounts"]), Intent::Accounts),
        (
            q.has_any(&[
                "recent",
                "recently",
                "history",
                "trades",
                "bought",
                "sold",
                "deposits",
                "deposit",
                "withdrawals",
                "deposited",
                "withdrew",
                "withdrawn",
                "latest",
            ]),
            Intent::Transactions,
        ),
        // A symbol or an account alone: what is held there.
        (!syms.is_empty() || named_account, Intent::Holdings),
    ];
    rules
        .iter()
        .find(|(fits, _)| *fits)
        .map(|(_, i)| *i)
        .unwrap_or(Intent::Unknown)
}

/// `args` as a JSON object with the account added when the question names one.
fn with_account(mut args: Map<String, Value>, account: &Option<String>) -> Value {
    if let Some(a) = account {
        args.insert("account".into(), json!(a));
    }
    Value::Object(args)
}

fn lookup(tool: &'static str, args: Value) -> Lookup {
    Lookup { tool, args }
}

/// An object from `json!` (which is always one here).
fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The look-ups for `question` (Intent::Unknown with none when it is not understood).
pub fn plan(question: &str, cx: &Context) -> Plan {
    let q = Question::new(question);
    let syms = symbols(&q, cx);
    let account = account(&q, cx);
    let intent = intent(&q, &syms, account.is_some());
    let lookups = lookups(intent, &q, cx, &syms, &account);
    Plan { intent, lookups }
}

fn lookups(
    intent: Intent,
    q: &Question,
    cx: &Context,
    syms: &[String],
    account: &Option<String>,
) -> Vec<Lookup> {
    let symbol = syms.first();
    let this_year = cx.today.year();
    match intent {
        Intent::Holdings => vec![lookup("holdings", with_account(Map::new(), account))],
        Intent::Cash if account.is_some() => {
            vec![lookup("cash", with_account(Map::new(), account))]
        }
        // The dashboard's summary gives the total, which a sum of many balances would not be
        // (the number check accepts a sum of two figures, not of any number).
        Intent::Cash => vec![
            lookup("cash", json!({})),
            lookup("dashboard", json!({"history": DASHBOARD_HISTORY})),
        ],
        Intent::NetWorth => vec![lookup("dashboard", json!({"history": DASHBOARD_HISTORY}))],
        Intent::Movers if account.is_some() => {
            vec![lookup("holdings", with_account(Map::new(), account))]
        }
        // The dashboard's holdings put every account's shares of a symbol together.
        Intent::Movers => vec![lookup("dashboard", json!({"history": DASHBOARD_HISTORY}))],
        Intent::Realized => {
            // Wash sales without a year: every year; otherwise this year unless one is named.
            let year = year(q, cx.today).or((!q.has("wash")).then_some(this_year));
            let mut args = Map::new();
            if let Some(y) = year {
                args.insert("year".into(), json!(y));
            }
            if let Some(s) = symbol {
                args.insert("symbol".into(), json!(s));
            }
            vec![lookup("realized_gains", with_account(args, account))]
        }
        Intent::Harvest => vec![lookup(
            "harvest_candidates",
            with_account(Map::new(), account),
        )],
        Intent::Trade => trade_lookups(q, cx, syms, account),
        Intent::Lots => {
            let mut args = Map::new();
            if let Some(s) = symbol {
                args.insert("symbol".into(), json!(s));
            }
            vec![lookup("lots", with_account(args, account))]
        }
        Intent::Risk => {
            let mut args = Map::new();
            if let Some((n, unit)) = span(q) {
                args.insert("window".into(), json!(format!("{n}{unit}")));
            } else if q.has_any(&["all time", "ever", "since the start"]) {
                args.insert("window".into(), json!("all"));
            }
            vec![lookup("risk", Value::Object(args))]
        }
        Intent::Anomalies => vec![lookup("anomalies", json!({}))],
        Intent::Plan => {
            let mut args = obj(json!({
                "from_portfolio": true,
                "withdrawal_rate": rate(q).unwrap_or(DEFAULT_WITHDRAWAL_RATE),
            }));
            if let Some((n, 'y')) = span(q) {
                args.insert("years".into(), json!(n));
            }
            vec![lookup("plan", with_account(args, account))]
        }
        Intent::Quotes => {
            let args = if syms.is_empty() {
                json!({})
            } else {
                json!({"symbols": syms})
            };
            // Stored quotes exist only while the cockpit's feed ran: the holdings give each
            // held symbol's latest close besides.
            vec![
                lookup("quotes", args),
                lookup("holdings", with_account(Map::new(), account)),
            ]
        }
        Intent::Performance => {
            let mut args = Map::new();
            if let Some(y) = year(q, cx.today) {
                if let Some(from) = NaiveDate::from_ymd_opt(y, 1, 1) {
                    args.insert("from".into(), json!(from.to_string()));
                }
                if y < this_year
                    && let Some(to) = NaiveDate::from_ymd_opt(y, 12, 31)
                {
                    args.insert("to".into(), json!(to.to_string()));
                }
            }
            vec![lookup("performance", with_account(args, account))]
        }
        Intent::Accounts => vec![lookup("accounts", json!({}))],
        Intent::Transactions => {
            let mut args = obj(json!({"limit": RECENT_TRANSACTIONS}));
            if let Some(s) = symbol {
                args.insert("symbol".into(), json!(s));
            }
            if let Some(action) = action(q) {
                args.insert("action".into(), json!(action));
            }
            if let Some(y) = year(q, cx.today)
                && let (Some(from), Some(to)) = (
                    NaiveDate::from_ymd_opt(y, 1, 1),
                    NaiveDate::from_ymd_opt(y, 12, 31),
                )
            {
                args.insert("from".into(), json!(from.to_string()));
                args.insert("to".into(), json!(to.min(cx.today).max(from).to_string()));
            }
            vec![lookup("transactions", with_account(args, account))]
        }
        Intent::TaxReport => {
            let y = year(q, cx.today).unwrap_or(this_year);
            vec![lookup(
                "tax_report",
                with_account(obj(json!({"year": y})), account),
            )]
        }
        Intent::Orders => {
            let open = q.has_any(&["open", "working", "pending", "live", "active"]);
            vec![lookup(
                "orders",
                if open {
                    json!({"open": true})
                } else {
                    json!({})
                },
            )]
        }
        Intent::Fills => vec![lookup("fills", json!({}))],
        Intent::Unknown => Vec::new(),
    }
}

/// The action a transactions question filters on ("what did I buy", "dividends").
fn action(q: &Question) -> Option<&'static str> {
    let table: &[(&[&str], &str)] = &[
        (&["buy", "bought", "buys", "purchases", "purchased"], "BUY"),
        (&["sell", "sold", "sells", "sales"], "SELL"),
        (&["dividend", "dividends"], "DIVIDEND"),
        (&["deposit", "deposits", "deposited"], "DEPOSIT"),
        (&["withdrawal", "withdrawals", "withdrew"], "WITHDRAWAL"),
        (&["fee", "fees"], "FEE"),
        (&["interest"], "INTEREST"),
    ];
    table
        .iter()
        .find(|(words, _)| q.has_any(words))
        .map(|(_, a)| *a)
}

/// A trade question: the tax preview when it names the shares; without them, a sale shows the
/// symbol's lots in every account (a lot bought in the last 30 days is what would wash a loss)
/// and a purchase is previewed for one share (any purchase washes the loss sales it follows).
fn trade_lookups(
    q: &Question,
    cx: &Context,
    syms: &[String],
    account: &Option<String>,
) -> Vec<Lookup> {
    let Some(symbol) = syms.first() else {
        // Wash sales in general: the realized gains show what was disallowed.
        let mut args = Map::new();
        if let Some(y) = year(q, cx.today) {
            args.insert("year".into(), json!(y));
        }
        return vec![lookup("realized_gains", with_account(args, account))];
    };
    let side = side(q);
    match (side, quantity(q, syms)) {
        ("sell", None) => vec![lookup("lots", json!({"symbol": symbol}))],
        (_, qty) => {
            let qty = qty.unwrap_or(Decimal::ONE).normalize().to_string();
            let args = obj(json!({"side": side, "symbol": symbol, "quantity": qty}));
            vec![lookup("preview_trade", with_account(args, account))]
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading results

/// A field as a decimal: money comes as a string, statistics as numbers.
fn dec(v: &Value, key: &str) -> Option<Decimal> {
    to_dec(v.get(key)?)
}

fn to_dec(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n
            .to_string()
            .parse()
            .ok()
            .or_else(|| n.as_f64().and_then(Decimal::from_f64_retain)),
        _ => None,
    }
}

fn num(v: &Value, key: &str) -> Option<f64> {
    match v.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .filter(|x: &f64| x.is_finite())
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Money in the envelope's currency: `$1,234.50` for dollars, `1,234.50 EUR` otherwise.
fn money(d: Decimal, currency: &str) -> String {
    let s = format::money(d.abs());
    let sign = if d.round_dp(2).is_sign_negative() && !d.round_dp(2).is_zero() {
        "-"
    } else {
        ""
    };
    match currency {
        "USD" | "" => format!("{sign}${s}"),
        c => format!("{sign}{s} {c}"),
    }
}

/// A gain with its sign: `+$1,234.50`, `-$12.00`.
fn signed(d: Decimal, currency: &str) -> String {
    let s = money(d, currency);
    if d.round_dp(2) > Decimal::ZERO {
        format!("+{s}")
    } else {
        s
    }
}

fn money_at(v: &Value, key: &str, currency: &str) -> String {
    dec(v, key).map_or_else(|| "n/a".into(), |d| money(d, currency))
}

fn signed_at(v: &Value, key: &str, currency: &str) -> String {
    dec(v, key).map_or_else(|| "n/a".into(), |d| signed(d, currency))
}

/// A field that already is a percent (12.5 is 12.5%).
fn pct_at(v: &Value, key: &str) -> String {
    dec(v, key).map_or_else(|| "n/a".into(), |d| format!("{:.2}%", d.round_dp(2)))
}

/// A field that is a fraction (0.125 is 12.50%).
fn ratio_at(v: &Value, key: &str) -> String {
    ratio(num(v, key))
}

fn ratio(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".into(), |x| format!("{:.2}%", x * 100.0))
}

/// A plain statistic with 2 decimals.
fn stat_at(v: &Value, key: &str) -> String {
    num(v, key).map_or_else(|| "n/a".into(), |x| format!("{x:.2}"))
}

fn qty_at(v: &Value, key: &str) -> String {
    dec(v, key).map_or_else(|| "n/a".into(), format::qty)
}

fn price_at(v: &Value, key: &str, currency: &str) -> String {
    match dec(v, key) {
        Some(d) if currency == "USD" || currency.is_empty() => format!("${}", format::price(d)),
        Some(d) => format!("{} {currency}", format::price(d)),
        None => "n/a".into(),
    }
}

/// A lookup's result split into what every answer needs.
struct Found<'a> {
    as_of: &'a str,
    currency: &'a str,
    scope: &'a str,
    report: &'a Value,
    truncated: &'a [Value],
}

fn found(v: &Value) -> Found<'_> {
    Found {
        as_of: text(v, "as_of"),
        currency: v.get("currency").and_then(Value::as_str).unwrap_or("USD"),
        scope: v
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or("all accounts"),
        report: v.get("report").unwrap_or(&Value::Null),
        truncated: list(v, "truncated"),
    }
}

/// A pipe table: a header row and rows of cells.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!("| {} |\n", header.join(" | "));
    out.push_str(&format!("|{}\n", " --- |".repeat(header.len())));
    for r in rows {
        out.push_str(&format!("| {} |\n", r.join(" | ")));
    }
    out
}

/// The first `MAX_TABLE_ROWS` of `rows`, and a line saying how to see the rest when cut.
fn capped<'a, T>(rows: &'a [T], hint: &str) -> (&'a [T], Option<String>) {
    if rows.len() > MAX_TABLE_ROWS {
        (
            &rows[..MAX_TABLE_ROWS],
            Some(format!("Only the first rows are shown; {hint}.")),
        )
    } else {
        (rows, None)
    }
}

// ---------------------------------------------------------------------------------------------
// Answering

/// The answer from the look-ups' results, in the same order as `plan.lookups`.
pub fn answer(question: &str, plan: &Plan, results: &[Result<Value, String>]) -> String {
    if plan.intent == Intent::Unknown || plan.lookups.is_empty() {
        return unknown();
    }
    let oks: Vec<Option<&Value>> = plan
        .lookups
        .iter()
        .enumerate()
        .map(|(i, _)| results.get(i).and_then(|r| r.as_ref().ok()))
        .collect();
    let Some(first) = oks.iter().flatten().next() else {
        return failed(plan, results);
    };
    let f = found(first);
    let mut out = format!("As of {}, {}:\n\n", f.as_of, f.scope);
    let body = match plan.intent {
        Intent::Holdings => holdings(&f, &held_named(question, &f)),
        Intent::Cash => cash(&f, oks.get(1).copied().flatten()),
        Intent::NetWorth => net_worth(&f),
        Intent::Movers => movers(&f),
        Intent::Realized => realized(&f),
        Intent::Harvest => harvest(&f),
        Intent::Trade => trade(&f, plan),
        Intent::Lots => lots(&f),
        Intent::Risk => risk(&f),
        Intent::Anomalies => anomalies(&f),
        Intent::Plan => monte_carlo(&f),
        Intent::Quotes => quotes(&oks, &symbol_args(plan)),
        Intent::Performance => performance(&f),
        Intent::Accounts => accounts(&f),
        Intent::Transactions => transactions(&f),
        Intent::TaxReport => tax_report(&f),
        Intent::Orders => orders(&f),
        Intent::Fills => fills(&f),
        Intent::Unknown => String::new(),
    };
    out.push_str(body.trim_end());
    out.push('\n');
    // A look-up that failed beside one that answered.
    for (l, r) in plan.lookups.iter().zip(results) {
        if let Err(e) = r {
            out.push_str(&format!("\n{} could not answer: {}\n", l.tool, one_line(e)));
        }
    }
    for t in f.truncated {
        if let Some(note) = t.get("note").and_then(Value::as_str) {
            out.push_str(&format!("\nNote: {note}.\n"));
        }
    }
    for w in list(f.report, "warnings")
        .iter()
        .filter_map(Value::as_str)
        .take(3)
    {
        out.push_str(&format!("\nWarning: {}\n", one_line(w)));
    }
    if matches!(
        plan.intent,
        Intent::Realized | Intent::Harvest | Intent::Trade | Intent::TaxReport
    ) {
        out.push_str(&format!("\n{TAX_NOTE}"));
        if matches!(plan.intent, Intent::Harvest | Intent::Trade) {
            out.push_str(&format!(" {NO_ADVICE}"));
        }
        out.push('\n');
    }
    out.push_str(&format!("\n{FOOTER}"));
    out
}

/// The held symbols the question names ("vti?" shows VTI's positions only): the holdings
/// look-up takes no symbol, so the answer narrows its rows.
fn held_named(question: &str, f: &Found) -> Vec<String> {
    let held: Vec<&str> = list(f.report, "holdings")
        .iter()
        .map(|h| text(h, "symbol"))
        .collect();
    named(&Question::new(question), &held)
}

/// The symbols a plan's look-ups name (to narrow an answer to what was asked).
fn symbol_args(plan: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    for l in &plan.lookups {
        if let Some(s) = l.args.get("symbol").and_then(Value::as_str) {
            out.push(s.to_string());
        }
        for s in list(&l.args, "symbols").iter().filter_map(Value::as_str) {
            out.push(s.to_string());
        }
    }
    out.dedup();
    out
}

fn one_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("").trim();
    line.trim_end_matches('.').to_string() + "."
}

/// Every look-up failed: say what the tools said (their errors say what to do).
fn failed(plan: &Plan, results: &[Result<Value, String>]) -> String {
    let mut out = String::from("I could not look that up:\n");
    for (l, r) in plan.lookups.iter().zip(results) {
        if let Err(e) = r {
            out.push_str(&format!("- {}: {}\n", l.tool, one_line(e)));
        }
    }
    if results.len() < plan.lookups.len() {
        out.push_str("- no result came back.\n");
    }
    out.push_str(&format!("\n{FOOTER}"));
    out
}

/// What the assistant can answer, for a question it did not understand.
fn unknown() -> String {
    format!(
        "I can't answer that offline. I understand questions like these:\n\
- **Holdings**: what do I own? my positions; lots of VTI\n\
- **Cash and net worth**: how much cash do I have? what's my net worth?\n\
- **Gains**: biggest gains and losses; realized gains this year (or in 2025)\n\
- **Taxes**: can I harvest any losses? my tax report; wash sale if I sell VTI, or if I buy 10 VXUS\n\
- **Risk**: volatility, drawdown, Sharpe, VaR; anything unusual?\n\
- **Plans**: am I on track? will my money last for 40 years? (name a withdrawal rate in percent)\n\
- **More**: price of VTI, performance this year, my accounts, recent transactions, orders, fills\n\
\n{FOOTER}"
    )
}

fn holdings(f: &Found, only: &[String]) -> String {
    let mut rows: Vec<&Value> = list(f.report, "holdings")
        .iter()
        .filter(|h| only.is_empty() || only.iter().any(|s| s == text(h, "symbol")))
        .collect();
    if rows.is_empty() {
        return if only.is_empty() {
            "No open positions.".into()
        } else {
            format!("No open position in {}.", only.join(", "))
        };
    }
    rows.sort_by_key(|h| std::cmp::Reverse(dec(h, "market_value")));
    let (shown, more) = capped(&rows, "name an account to see the rest");
    let cur = f.currency;
    let cells: Vec<Vec<String>> = shown
        .iter()
        .map(|h| {
            vec![
                text(h, "account").to_string(),
                text(h, "symbol").to_string(),
                qty_at(h, "quantity"),
                price_at(h, "price", text(h, "currency")),
                money_at(h, "market_value", text(h, "currency")),
                signed_at(h, "unrealized_gain", text(h, "currency")),
                pct_at(h, "unrealized_gain_pct"),
            ]
        })
        .collect();
    let mut out = table(
        &[
            "Account", "Symbol", "Quantity", "Price", "Value", "Gain", "Gain %",
        ],
        &cells,
    );
    if let Some(m) = more {
        out.push_str(&format!("\n{m}\n"));
    }
    if only.is_empty() {
        for t in list(f.report, "totals") {
            let c = t.get("currency").and_then(Value::as_str).unwrap_or(cur);
            out.push_str(&format!(
                "\n**Total**: market value {}, cost basis {}, unrealized gain {}.\n",
                money_at(t, "market_value", c),
                money_at(t, "cost_basis", c),
                signed_at(t, "unrealized_gain", c)
            ));
        }
    }
    out
}

fn cash(f: &Found, dashboard: Option<&Value>) -> String {
    let balances = list(f.report, "balances");
    if balances.is_empty() {
        return "No cash balance.".into();
    }
    let mut out = String::new();
    for b in balances {
        out.push_str(&format!(
            "- {}: {}\n",
            text(b, "account"),
            money_at(b, "balance", text(b, "currency"))
        ));
    }
    let total = dashboard
        .map(found)
        .and_then(|d| Some((dec(d.report.get("summary")?, "cash")?, d.currency)));
    if let Some((t, c)) = total {
        out.push_str(&format!("\n**Total cash**: {}.\n", money(t, c)));
    }
    if f.report.get("negative").and_then(Value::as_bool) == Some(true) {
        out.push_str("\nA negative balance usually means a deposit or an FX conversion is missing from the imports.\n");
    }
    out
}

fn net_worth(f: &Found) -> String {
    let Some(s) = f.report.get("summary") else {
        return "The dashboard gave no summary.".into();
    };
    let c = f.currency;
    let mut out = format!(
        "**Net worth**: {} (holdings {} + cash {})\n- Day change: {} ({})\n- Unrealized gain: {}\n",
        money_at(s, "net_worth", c),
        money_at(s, "holdings_value", c),
        money_at(s, "cash", c),
        signed_at(s, "day_change", c),
        pct_at(s, "day_change_pct"),
        signed_at(s, "unrealized_gain", c),
    );
    let alloc = f.report.get("allocation").unwrap_or(&Value::Null);
    let classes = list(alloc, "by_class");
    if !classes.is_empty() {
        out.push_str("\n**Allocation by class**:\n");
        for x in classes {
            out.push_str(&format!(
                "- {}: {} ({})\n",
                text(x, "name"),
                pct_at(x, "pct"),
                money_at(x, "value", c)
            ));
        }
    }
    let top = list(alloc, "by_holding");
    if !top.is_empty() {
        out.push_str("\n**Largest holdings**: ");
        let names: Vec<String> = top
            .iter()
            .take(5)
            .map(|x| format!("{} {}", text(x, "name"), pct_at(x, "pct")))
            .collect();
        out.push_str(&names.join(", "));
        out.push('\n');
    }
    let unpriced = f
        .report
        .get("summary")
        .and_then(|s| s.get("unpriced"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    if unpriced > 0 {
        out.push_str("\nHoldings without a price are left out of the totals.\n");
    }
    out
}

/// The biggest unrealized gains and losses, from the dashboard (every account together) or
/// the holdings of one account.
fn movers(f: &Found) -> String {
    let mut rows: Vec<&Value> = list(f.report, "holdings")
        .iter()
        .filter(|h| dec(h, "unrealized_gain").is_some())
        .collect();
    rows.sort_by_key(|h| std::cmp::Reverse(dec(h, "unrealized_gain")));
    let line = |h: &Value| {
        let c = text(h, "currency");
        let who = match text(h, "account") {
            "" => text(h, "symbol").to_string(),
            a => format!("{} ({a})", text(h, "symbol")),
        };
        format!(
            "- {who}: {} ({}) on {}\n",
            signed_at(h, "unrealized_gain", c),
            pct_at(h, "unrealized_gain_pct"),
            money_at(h, "market_value", c)
        )
    };
    let gains: Vec<&&Value> = rows
        .iter()
        .filter(|h| dec(h, "unrealized_gain").unwrap_or_default() > Decimal::ZERO)
        .take(3)
        .collect();
    let losses: Vec<&&Value> = rows
        .iter()
        .rev()
        .filter(|h| dec(h, "unrealized_gain").unwrap_or_default() < Decimal::ZERO)
        .take(3)
        .collect();
    let mut out = String::from("**Biggest unrealized gains**:\n");
    if gains.is_empty() {
        out.push_str("- none: no holding is above its cost basis\n");
    }
    for h in gains {
        out.push_str(&line(h));
    }
    out.push_str("\n**Biggest unrealized losses**:\n");
    if losses.is_empty() {
        out.push_str("- none: no holding is below its cost basis\n");
    }
    for h in losses {
        out.push_str(&line(h));
    }
    let total = f
        .report
        .get("summary")
        .and_then(|s| dec(s, "unrealized_gain"))
        .or_else(|| {
            list(f.report, "totals")
                .first()
                .and_then(|t| dec(t, "unrealized_gain"))
        });
    if let Some(t) = total {
        out.push_str(&format!(
            "\n**Total unrealized gain**: {}.\n",
            signed(t, f.currency)
        ));
    }
    out
}

fn realized(f: &Found) -> String {
    let r = f.report;
    let period = match r.get("year").and_then(Value::as_i64) {
        Some(y) => format!("in {y}"),
        None => "in every year".into(),
    };
    let disposals = list(r, "disposals");
    if disposals.is_empty() {
        return format!("No lots were closed {period} (every account, IRAs included).");
    }
    let mut out = String::new();
    for t in list(r, "totals") {
        let c = text(t, "currency");
        out.push_str(&format!(
            "**Realized {period}**: {} in total: short term {}, long term {} (proceeds {}, cost basis {}).\n",
            signed_at(t, "total_gain", c),
            signed_at(t, "short_term_gain", c),
            signed_at(t, "long_term_gain", c),
            money_at(t, "proceeds", c),
            money_at(t, "cost_basis", c),
        ));
        if dec(t, "wash_sale_disallowed").is_some_and(|d| !d.is_zero()) {
            out.push_str(&format!(
                "- Wash sales disallowed {} of loss (added to the replacement shares' basis).\n",
                money_at(t, "wash_sale_disallowed", c)
            ));
        }
    }
    let mut rows: Vec<&Value> = disposals.iter().collect();
    rows.sort_by(|a, b| text(b, "sold").cmp(text(a, "sold")));
    let (shown, more) = capped(&rows, "name a symbol or an account to see the rest");
    let cells: Vec<Vec<String>> = shown
        .iter()
        .map(|d| {
            let c = text(d, "currency");
            vec![
                text(d, "sold").to_string(),
                text(d, "account").to_string(),
                text(d, "symbol").to_string(),
                qty_at(d, "quantity"),
                money_at(d, "proceeds", c),
                signed_at(d, "gain", c),
                text(d, "term").to_string(),
                money_at(d, "wash_sale_disallowed", c),
            ]
        })
        .collect();
    out.push('\n');
    out.push_str(&table(
        &[
            "Sold",
            "Account",
            "Symbol",
            "Quantity",
            "Proceeds",
            "Gain",
            "Term",
            "Wash disallowed",
        ],
        &cells,
    ));
    if let Some(m) = more {
        out.push_str(&format!("\n{m}\n"));
    }
    out.push_str("\nEvery account, IRAs included; the tax report shows what is taxable.\n");
    out
}

fn harvest(f: &Found) -> String {
    let r = f.report;
    let c = f.currency;
    let summary = r.get("summary").unwrap_or(&Value::Null);
    let candidates = list(r, "candidates");
    let mut out = if candidates.is_empty() {
        "No lot in a taxable account is losing enough to harvest at the configured thresholds.\n"
            .to_string()
    } else {
        format!(
            "**{}**, **{}** harvestable loss (what the lots worth harvesting would realize):\n\n",
            count(candidates.len(), "harvest candidate"),
            money_at(summary, "harvestable_loss", c)
        )
    };
    let (shown, more) = capped(candidates, "name an account to see the rest");
    if !shown.is_empty() {
        let cells: Vec<Vec<String>> = shown
            .iter()
            .map(|x| {
                vec![
                    text(x, "account").to_string(),
                    text(x, "symbol").to_string(),
                    text(x, "acquired").to_string(),
                    text(x, "term").to_string(),
                    qty_at(x, "quantity"),
                    money_at(x, "loss", c),
                    pct_at(x, "loss_pct"),
                    money_at(x, "estimated_saving", c),
                    if x.get("worth_harvesting").and_then(Value::as_bool) == Some(true) {
                        "yes"
                    } else {
                        "no"
                    }
                    .into(),
                    text(x, "safe_to_buy_back").to_string(),
                ]
            })
            .collect();
        out.push_str(&table(
            &[
                "Account",
                "Symbol",
                "Acquired",
                "Term",
                "Quantity",
                "Loss",
                "Loss %",
                "Est. tax saving",
                "Worth it",
                "Safe to buy back",
            ],
            &cells,
        ));
        if let Some(m) = more {
            out.push_str(&format!("\n{m}\n"));
        }
        let blocked: Vec<&str> = shown
            .iter()
            .filter(|x| text(x, "wash_status") != "clean" && !text(x, "wash_status").is_empty())
            .map(|x| text(x, "symbol"))
            .collect();
        if !blocked.is_empty() {
            out.push_str(&format!(
                "\nWash-sale limits apply to {} (recent purchases of it or a substantially identical fund).\n",
                blocked.join(", ")
            ));
        }
        out.push_str("\nBuying the same or a substantially identical fund before the safe day, in any account, would wash the loss; `folio harvest` lists replacement funds ranked by similarity.\n");
    }
    if let Some(y) = summary.get("realized")
        && let Some(year) = y.get("year").and_then(Value::as_i64)
    {
        out.push_str(&format!(
            "\nRealized so far in {year}: net short term {}, net long term {}.\n",
            signed_at(y, "net_short_term", c),
            signed_at(y, "net_long_term", c)
        ));
    }
    out
}

fn trade(f: &Found, plan: &Plan) -> String {
    match plan.lookups.first().map(|l| l.tool) {
        Some("preview_trade") => preview(f),
        Some("lots") => sale_without_quantity(f),
        Some("realized_gains") => realized(f),
        _ => String::new(),
    }
}

fn preview(f: &Found) -> String {
    let r = f.report;
    let c = text(r, "currency");
    let c = if c.is_empty() { f.currency } else { c };
    let is_sale = r.get("lots").is_some();
    let kind = text(r, "account_kind");
    let mut out = format!(
        "{} {} {} in {} ({kind}) at {} on {}:\n",
        if is_sale { "Selling" } else { "Buying" },
        qty_at(r, "quantity"),
        text(r, "symbol"),
        text(r, "account"),
        price_at(r, "price", c),
        text(r, "date"),
    );
    if is_sale {
        out.push_str(&format!(
            "- Proceeds {}, cost basis {} ({} lots)\n- Gain: short term {}, long term {}\n",
            money_at(r, "proceeds", c),
            money_at(r, "cost_basis", c),
            text(r, "method"),
            signed_at(r, "short_term_gain", c),
            signed_at(r, "long_term_gain", c),
        ));
        let washed = dec(r, "wash_sale_disallowed").unwrap_or_default();
        if washed.is_zero() {
            out.push_str("- Wash sale: none; no loss of this sale is disallowed.\n");
        } else {
            out.push_str(&format!(
                "- Wash sale: {} of the loss is disallowed (shares bought within 30 days before or after)\n",
                money_at(r, "wash_sale_disallowed", c)
            ));
        }
        let lots = list(r, "lots");
        if lots.len() > 1 {
            let cells: Vec<Vec<String>> = lots
                .iter()
                .map(|l| {
                    vec![
                        text(l, "acquired").to_string(),
                        qty_at(l, "quantity"),
                        money_at(l, "cost_basis", c),
                        signed_at(l, "gain", c),
                        text(l, "term").to_string(),
                    ]
                })
                .collect();
            out.push('\n');
            out.push_str(&table(
                &["Lot acquired", "Quantity", "Cost basis", "Gain", "Term"],
                &cells,
            ));
        }
        let identical: Vec<&str> = list(r, "substantially_identical")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        out.push_str(&format!(
            "\nBuying {} before {} would wash what is still a loss.\n",
            if identical.is_empty() {
                text(r, "symbol").to_string()
            } else {
                identical.join(" or ")
            },
            text(r, "safe_to_buy_back")
        ));
    } else {
        let washes = list(r, "washes");
        let identical: Vec<&str> = list(r, "substantially_identical")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        if washes.is_empty() {
            out.push_str(&format!(
                "- Wash sale: none; no loss sale of {} in the 30 days before would be washed.\n",
                if identical.is_empty() {
                    text(r, "symbol").to_string()
                } else {
                    identical.join(" or ")
                }
            ));
        } else {
            out.push_str(&format!(
                "- Wash sale: it would disallow {} of loss from these sales:\n",
                money_at(r, "wash_sale_disallowed", c)
            ));
            for w in washes {
                out.push_str(&format!(
                    "  - {} {} sold {} in {}: {} disallowed\n",
                    qty_at(w, "quantity"),
                    text(w, "symbol"),
                    text(w, "sold"),
                    text(w, "account"),
                    money_at(w, "disallowed", c)
                ));
            }
            if dec(r, "wash_sale_permanent").is_some_and(|d| !d.is_zero()) {
                out.push_str(&format!(
                    "- {} of it would be lost for good (the purchase is in an IRA).\n",
                    money_at(r, "wash_sale_permanent", c)
                ));
            }
        }
        if dec(r, "quantity") == Some(Decimal::ONE) {
            out.push_str("\nPreviewed for one share; name the shares for the whole purchase (\"wash sale if I buy 10 VXUS\").\n");
        }
    }
    if matches!(kind, "ira" | "roth") {
        out.push_str("\nIn an IRA or Roth IRA a sale is not a taxable event.\n");
    }
    out
}

/// "If I sell VTI" without the shares: the symbol's lots in every account. A lot bought in
/// the last 30 days is a purchase that would wash a loss taken now.
fn sale_without_quantity(f: &Found) -> String {
    let lots = list(f.report, "lots");
    let symbol = text(f.report, "symbol");
    if lots.is_empty() {
        return format!("No open lot of {symbol}: there is nothing to sell.");
    }
    let today = NaiveDate::parse_from_str(f.as_of, "%Y-%m-%d").ok();
    let recent = |l: &Value| {
        let acquired = NaiveDate::parse_from_str(text(l, "acquired"), "%Y-%m-%d").ok();
        matches!((acquired, today), (Some(a), Some(t)) if a > t - Duration::days(31) && a <= t)
    };
    let (shown, more) = capped(lots, "name an account to see the rest");
    let cells: Vec<Vec<String>> = shown
        .iter()
        .map(|l| {
            let c = text(l, "currency");
            vec![
                text(l, "account").to_string(),
                text(l, "acquired").to_string(),
                qty_at(l, "quantity"),
                money_at(l, "cost_basis", c),
                money_at(l, "market_value", c),
                signed_at(l, "unrealized_gain", c),
                text(l, "term").to_string(),
            ]
        })
        .collect();
    let mut out = format!("Open lots of {symbol}, every account:\n\n");
    out.push_str(&table(
        &[
            "Account",
            "Acquired",
            "Quantity",
            "Cost basis",
            "Value",
            "Gain",
            "Term",
        ],
        &cells,
    ));
    if let Some(m) = more {
        out.push_str(&format!("\n{m}\n"));
    }
    let bought: Vec<String> = lots
        .iter()
        .filter(|l| recent(l))
        .map(|l| {
            format!(
                "{} on {} in {}",
                qty_at(l, "quantity"),
                text(l, "acquired"),
                text(l, "account")
            )
        })
        .collect();
    let all_gains = lots
        .iter()
        .all(|l| dec(l, "unrealized_gain").is_some_and(|g| g >= Decimal::ZERO));
    if all_gains {
        out.push_str(
            "\nEvery lot is at or above its cost basis: a sale now would realize no loss, and a wash sale only disallows losses.\n",
        );
    } else if bought.is_empty() {
        out.push_str(&format!(
            "\nNo lot of {symbol} was bought in the last 30 days, so no earlier purchase of it would wash a loss taken now; buying it or a substantially identical fund in the 30 days after a loss sale, in any account, would.\n"
        ));
    } else {
        out.push_str(&format!(
            "\nBought in the last 30 days: {}. A loss on shares sold now would be washed by these purchases.\n",
            bought.join("; ")
        ));
    }
    out.push_str(&format!(
        "\nFor the exact preview (lots sold, gain by term, wash sales, the day buying back is safe), name the shares: \"if I sell 10 {symbol}\".\n"
    ));
    out
}

fn lots(f: &Found) -> String {
    let lots = list(f.report, "lots");
    if lots.is_empty() {
        return "No open lots.".into();
    }
    let (shown, more) = capped(lots, "name a symbol or an account to see the rest");
    let cells: Vec<Vec<String>> = shown
        .iter()
        .map(|l| {
            let c = text(l, "currency");
            vec![
                text(l, "account").to_string(),
                text(l, "symbol").to_string(),
                text(l, "acquired").to_string(),
                qty_at(l, "quantity"),
                money_at(l, "cost_basis", c),
                money_at(l, "market_value", c),
                signed_at(l, "unrealized_gain", c),
                text(l, "term").to_string(),
                text(l, "long_term_on").to_string(),
            ]
        })
        .collect();
    let mut out = table(
        &[
            "Account",
            "Symbol",
            "Acquired",
            "Quantity",
            "Cost basis",
            "Value",
            "Gain",
            "Term",
            "Long term on",
        ],
        &cells,
    );
    if let Some(m) = more {
        out.push_str(&format!("\n{m}\n"));
    }
    let adjusted = shown
        .iter()
        .any(|l| dec(l, "wash_sale_adjustment").is_some_and(|d| !d.is_zero()));
    if adjusted {
        out.push_str("\nSome lots carry a wash-sale adjustment in their cost basis.\n");
    }
    out
}

fn risk(f: &Found) -> String {
    let r = f.report;
    let Some(p) = r.get("portfolio") else {
        return "The risk report has no portfolio figures.".into();
    };
    let mut out = format!(
        "**Portfolio risk** over {} ({} to {}):\n- Volatility {} a year; total return {}\n- Sharpe {}, Sortino {}\n",
        text(r, "window"),
        text(r, "from"),
        text(r, "to"),
        ratio_at(p, "volatility"),
        ratio_at(p, "total_return"),
        stat_at(p, "sharpe"),
        stat_at(p, "sortino"),
    );
    if let Some(dd) = p.get("max_drawdown").filter(|d| d.is_object()) {
        let recovery = match text(dd, "recovery") {
            "" => "not recovered yet".to_string(),
            d => format!("recovered {d}"),
        };
        out.push_str(&format!(
            "- Maximum drawdown {} (peak {}, trough {}, {recovery}); current drawdown {}\n",
            ratio_at(dd, "depth"),
            text(dd, "peak"),
            text(dd, "trough"),
            ratio_at(p, "current_drawdown"),
        ));
    }
    for v in list(p, "var") {
        if num(v, "horizon_days") == Some(1.0) {
            out.push_str(&format!(
                "- VaR {} 1 day: {} historical, {} parametric (CVaR {})\n",
                ratio_at(v, "level").replace(".00%", "%"),
                ratio_at(v, "historical_var"),
                ratio_at(v, "parametric_var"),
                ratio_at(v, "historical_cvar"),
            ));
        }
    }
    if num(p, "beta").is_some() {
        out.push_str(&format!(
            "- Beta {} and correlation {} against {}\n",
            stat_at(p, "beta"),
            stat_at(p, "correlation"),
            text(r, "benchmark")
        ));
    }
    let holdings = list(r, "holdings");
    if !holdings.is_empty() {
        let mut rows: Vec<&Value> = holdings.iter().collect();
        rows.sort_by(|a, b| {
            num(b, "weight")
                .unwrap_or(0.0)
                .total_cmp(&num(a, "weight").unwrap_or(0.0))
        });
        let (shown, _) = capped(&rows, "");
        let cells: Vec<Vec<String>> = shown
            .iter()
            .map(|h| {
                let dd = h.get("max_drawdown").unwrap_or(&Value::Null);
                vec![
                    text(h, "symbol").to_string(),
                    ratio_at(h, "weight"),
                    ratio_at(h, "volatility"),
                    ratio_at(dd, "depth"),
                    stat_at(h, "beta"),
                ]
            })
            .collect();
        out.push('\n');
        out.push_str(&table(
            &["Holding", "Weight", "Volatility", "Max drawdown", "Beta"],
            &cells,
        ));
    }
    for u in list(p, "unavailable")
        .iter()
        .filter_map(Value::as_str)
        .take(3)
    {
        out.push_str(&format!("\nNot available: {}\n", one_line(u)));
    }
    out
}

fn anomalies(f: &Found) -> String {
    let r = f.report;
    let findings = list(r, "findings");
    if findings.is_empty() {
        let checks: Vec<&str> = list(r, "checks").iter().map(|c| text(c, "check")).collect();
        return format!(
            "Nothing unusual: no check found anything ({}).",
            checks.join(", ")
        );
    }
    let critical = findings
        .iter()
        .filter(|x| text(x, "severity") == "critical")
        .count();
    let mut out = format!(
        "**{}** ({critical} critical), over the last {} days:\n",
        count(findings.len(), "finding"),
        r.get("lookback_days").and_then(Value::as_i64).unwrap_or(0)
    );
    let mut rows: Vec<&Value> = findings.iter().collect();
    // Critical first, then as the report lists them.
    rows.sort_by_key(|x| text(x, "severity") != "critical");
    for x in rows.iter().take(MAX_TABLE_ROWS) {
        out.push_str(&format!(
            "- **{}** {} ({}, {}): {}\n",
            text(x, "severity"),
            text(x, "check").replace('_', " "),
            text(x, "subject"),
            text(x, "date"),
            one_line(text(x, "reason"))
        ));
    }
    if rows.len() > MAX_TABLE_ROWS {
        out.push_str("- more findings: `folio anomalies` lists them all\n");
    }
    out
}

fn monte_carlo(f: &Found) -> String {
    let r = f.report;
    let c = f.currency;
    let years = r.get("years").and_then(Value::as_u64).unwrap_or(0);
    let mut out = format!(
        "**Monte Carlo plan** of your holdings, starting at {}",
        money_at(r, "initial", c)
    );
    if let Some(w) = num(r, "withdrawal_rate") {
        out.push_str(&format!(
            ", withdrawing {} of it the first year",
            trim_pct(w)
        ));
        if let Some(first) = list(r, "withdrawals").first() {
            out.push_str(&format!(" ({})", money_at(first, "p50", c)));
        }
        out.push_str(" and then the same amount kept up with inflation");
    }
    out.push_str(&format!(
        ", for {years} years ({} paths, {} model):\n",
        r.get("paths")
            .and_then(Value::as_u64)
            .map_or_else(|| "n/a".into(), |p| format::qty(Decimal::from(p))),
        text(r, "model")
    ));
    out.push_str(&format!(
        "- **Success rate**: {}",
        ratio_at(r, "success_rate")
    ));
    if let [lo, hi] = list(r, "success_ci95") {
        out.push_str(&format!(
            " (95% interval {} to {})",
            ratio(lo.as_f64()),
            ratio(hi.as_f64())
        ));
    }
    out.push_str(": the share of paths where the money lasts\n");
    if let Some(t) = r.get("terminal") {
        out.push_str(&format!(
            "- Value after {years} years: median {}, 5th percentile {}, 95th percentile {}\n",
            money_at(t, "p50", c),
            money_at(t, "p5", c),
            money_at(t, "p95", c)
        ));
    }
    if r.get("goal").is_some_and(|g| !g.is_null()) {
        out.push_str(&format!(
            "- Goal {}: probability {}\n",
            money_at(r, "goal", c),
            ratio_at(r, "goal_probability")
        ));
    }
    out.push_str("\nName your own withdrawal rate (in percent) and years, e.g. \"will my money last for 40 years\", or run `folio plan --from-portfolio` with the options you want.\n");
    out
}

/// A rate as a short percent: 0.04 is "4%", 0.035 is "3.5%".
fn trim_pct(x: f64) -> String {
    let s = format!("{:.2}", x * 100.0);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}%")
}

fn quotes(oks: &[Option<&Value>], only: &[String]) -> String {
    let stored = oks.first().copied().flatten().map(found);
    let held = oks.get(1).copied().flatten().map(found);
    let mut out = String::new();
    let quotes: Vec<&Value> = stored
        .as_ref()
        .map(|s| list(s.report, "quotes").iter().collect())
        .unwrap_or_default();
    for q in &quotes {
        let c = text(q, "currency");
        out.push_str(&format!(
            "- {}: last {} ({}, {}, {})\n",
            text(q, "symbol"),
            price_at(q, "last", if c.is_empty() { "USD" } else { c }),
            text(q, "source"),
            text(q, "freshness"),
            text(q, "time"),
        ));
    }
    if quotes.iter().any(|q| text(q, "source") == "simulated") {
        out.push_str("Simulated quotes are the demo's, not market prices.\n");
    }
    // The latest close of each held symbol asked for (or of every one), once per symbol.
    let mut seen: Vec<&str> = Vec::new();
    let mut closes = String::new();
    if let Some(h) = &held {
        for x in list(h.report, "holdings") {
            let s = text(x, "symbol");
            if seen.contains(&s) || !(only.is_empty() || only.iter().any(|o| o == s)) {
                continue;
            }
            seen.push(s);
            closes.push_str(&format!(
                "- {s}: {} on {} (day change {})\n",
                price_at(x, "price", text(x, "currency")),
                text(x, "price_date"),
                pct_at(x, "day_change_pct"),
            ));
        }
    }
    if !closes.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str("**Latest closes**:\n");
        out.push_str(&closes);
    }
    let missing: Vec<&str> = only
        .iter()
        .map(String::as_str)
        .filter(|s| !seen.contains(s))
        .collect();
    let no_quote: Vec<&str> = missing
        .iter()
        .copied()
        .filter(|s| !quotes.iter().any(|q| text(q, "symbol") == *s))
        .collect();
    if !no_quote.is_empty() {
        out.push_str(&format!(
            "\nNo stored quote or held close for {}.\n",
            no_quote.join(", ")
        ));
    }
    if quotes.is_empty() {
        out.push_str("\nNo quote is stored (the cockpit stores them while its quote feed runs); `folio quotes SYMBOL` asks the feed.\n");
    }
    out
}

fn performance(f: &Found) -> String {
    let r = f.report;
    let c = f.currency;
    let Some(t) = r.get("total") else {
        return "The performance report has no totals.".into();
    };
    let mut out = format!(
        "**Performance** from {} to {}:\n",
        text(r, "from"),
        text(r, "to")
    );
    out.push_str(&format!("- Time-weighted return {}", ratio_at(t, "twr")));
    if num(t, "twr_annualised").is_some() {
        out.push_str(&format!(" ({} a year)", ratio_at(t, "twr_annualised")));
    }
    out.push('\n');
    if num(t, "xirr").is_some() {
        out.push_str(&format!(
            "- Money-weighted return (XIRR) {} a year\n",
            ratio_at(t, "xirr")
        ));
    }
    out.push_str(&format!(
        "- Gain {}: realized {}, unrealized change {}, dividends {}, interest {}, fees {}\n- Deposits {}, withdrawals {}; value {} at the start, {} at the end\n",
        signed_at(t, "gain", c),
        signed_at(t, "realized_gain", c),
        signed_at(t, "unrealized_change", c),
        money_at(t, "dividends", c),
        money_at(t, "interest", c),
        money_at(t, "fees", c),
        money_at(t, "deposits", c),
        money_at(t, "withdrawals", c),
        money_at(t, "start_value", c),
        money_at(t, "end_value", c),
    ));
    let accounts = list(r, "accounts");
    if accounts.len() > 1 {
        let cells: Vec<Vec<String>> = accounts
            .iter()
            .map(|a| {
                vec![
                    text(a, "account").to_string(),
                    ratio_at(a, "twr"),
                    ratio_at(a, "xirr"),
                    signed_at(a, "gain", c),
                ]
            })
            .collect();
        out.push('\n');
        out.push_str(&table(&["Account", "TWR", "XIRR", "Gain"], &cells));
    }
    let mut holdings: Vec<&Value> = list(r, "holdings").iter().collect();
    holdings.sort_by(|a, b| {
        num(b, "contribution")
            .unwrap_or(0.0)
            .total_cmp(&num(a, "contribution").unwrap_or(0.0))
    });
    if !holdings.is_empty() {
        let top: Vec<String> = holdings
            .iter()
            .take(3)
            .map(|h| format!("{} {}", text(h, "symbol"), ratio_at(h, "contribution")))
            .collect();
        out.push_str(&format!(
            "\nLargest contributions to the return: {}.\n",
            top.join(", ")
        ));
    }
    for n in list(t, "notes").iter().filter_map(Value::as_str) {
        out.push_str(&format!("\nNote: {}\n", one_line(n)));
    }
    out
}

fn accounts(f: &Found) -> String {
    let rows = list(f.report, "accounts");
    if rows.is_empty() {
        return "No accounts yet: `folio import` creates them from your statements.".into();
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|a| {
            vec![
                text(a, "name").to_string(),
                text(a, "kind").to_string(),
                text(a, "lot_method").to_string(),
                a.get("transactions")
                    .map(Value::to_string)
                    .unwrap_or_default(),
            ]
        })
        .collect();
    table(&["Account", "Kind", "Lot method", "Transactions"], &cells)
}

fn transactions(f: &Found) -> String {
    let r = f.report;
    let rows = list(r, "transactions");
    let matched = r
        .get("matched")
        .and_then(Value::as_u64)
        .unwrap_or(rows.len() as u64);
    if rows.is_empty() {
        return "No transactions match.".into();
    }
    let mut out = format!(
        "The latest {} of {} matching transactions, newest first:\n\n",
        rows.len(),
        matched
    );
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|t| {
            let c = text(t, "currency");
            vec![
                text(t, "date").to_string(),
                text(t, "account").to_string(),
                text(t, "action").to_string(),
                text(t, "symbol").to_string(),
                dec(t, "quantity").map(format::qty).unwrap_or_default(),
                dec(t, "price")
                    .map(|_| price_at(t, "price", c))
                    .unwrap_or_default(),
                dec(t, "amount").map(|d| money(d, c)).unwrap_or_default(),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "Date", "Account", "Action", "Symbol", "Quantity", "Price", "Amount",
        ],
        &cells,
    ));
    out
}

fn tax_report(f: &Found) -> String {
    let r = f.report;
    let c = f.currency;
    let year = r.get("year").and_then(Value::as_i64).unwrap_or(0);
    let rows = list(r, "rows");
    let mut out = format!("**Tax year {year}**, taxable accounts:\n");
    if rows.is_empty() {
        out.push_str(&format!(
            "- No lot was closed in a taxable account in {year}.\n"
        ));
    }
    for (name, key) in [("Short term", "short_term"), ("Long term", "long_term")] {
        let Some(t) = r.get(key) else { continue };
        if rows.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "- {name}: proceeds {}, cost basis {}, wash-sale adjustment {}, gain {}\n",
            money_at(t, "proceeds", c),
            money_at(t, "cost_basis", c),
            money_at(t, "adjustment", c),
            signed_at(t, "gain", c),
        ));
    }
    if let Some(s) = r.get("summary") {
        out.push_str(&format!(
            "- Netting: net short term {}, net long term {}; ordinary income offset {}; carried forward {} short term, {} long term\n",
            signed_at(s, "net_short_term", c),
            signed_at(s, "net_long_term", c),
            money_at(s, "ordinary_offset_used", c),
            money_at(s, "carry_out_short", c),
            money_at(s, "carry_out_long", c),
        ));
    }
    out
}

fn orders(f: &Found) -> String {
    let rows = list(f.report, "orders");
    if rows.is_empty() {
        return "No orders in the journal.".into();
    }
    let (shown, more) = capped(rows, "`folio orders` lists them all");
    let cells: Vec<Vec<String>> = shown
        .iter()
        .map(|o| {
            vec![
                o.get("id").map(Value::to_string).unwrap_or_default(),
                text(o, "created")
                    .chars()
                    .take(16)
                    .collect::<String>()
                    .replace('T', " "),
                format!(
                    "{} {} {} ({})",
                    text(o, "side"),
                    qty_at(o, "quantity"),
                    text(o, "symbol"),
                    o.get("limit").and_then(to_dec).map_or_else(
                        || "market".to_string(),
                        |l| format!("limit {}", format::price(l))
                    )
                ),
                text(o, "account").to_string(),
                text(o, "state").to_string(),
                qty_at(o, "filled"),
                o.get("avg_price")
                    .and_then(to_dec)
                    .map(format::price)
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let mut out = table(
        &[
            "Id",
            "Created (UTC)",
            "Order",
            "Account",
            "State",
            "Filled",
            "Avg price",
        ],
        &cells,
    );
    if let Some(m) = more {
        out.push_str(&format!("\n{m}\n"));
    }
    out
}

fn fills(f: &Found) -> String {
    let rows = list(f.report, "fills");
    if rows.is_empty() {
        return "No fills recorded.".into();
    }
    let (shown, more) = capped(rows, "`folio fills` lists them all");
    let cells: Vec<Vec<String>> = shown
        .iter()
        .map(|x| {
            vec![
                text(x, "trade_date").to_string(),
                text(x, "symbol").to_string(),
                text(x, "side").to_string(),
                qty_at(x, "quantity"),
                x.get("price")
                    .and_then(to_dec)
                    .map(format::price)
                    .unwrap_or_default(),
                x.get("commission")
                    .and_then(to_dec)
                    .map(format::money)
                    .unwrap_or_else(|| "pending".into()),
                x.get("account")
                    .and_then(Value::as_str)
                    .unwrap_or("not booked")
                    .to_string(),
            ]
        })
        .collect();
    let mut out = table(
        &[
            "Trade date",
            "Symbol",
            "Side",
            "Quantity",
            "Price",
            "Commission",
            "Account",
        ],
        &cells,
    );
    if let Some(m) = more {
        out.push_str(&format!("\n{m}\n"));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Summaries

/// One short line for a tool result, shown beside the tool call in the pane.
pub fn summary(tool: &str, result: &Result<Value, String>) -> String {
    let v = match result {
        Err(e) => {
            return format!(
                "error: {}",
                first_chars(e.lines().next().unwrap_or(""), 120)
            );
        }
        Ok(v) => v,
    };
    let f = found(v);
    let r = f.report;
    let c = f.currency;
    let n = |key: &str| list(r, key).len();
    let line = match tool {
        "accounts" => count(n("accounts"), "account"),
        "dashboard" => r
            .get("summary")
            .map(|s| {
                format!(
                    "net worth {}, day {}",
                    money_at(s, "net_worth", c),
                    signed_at(s, "day_change", c)
                )
            })
            .unwrap_or_default(),
        "holdings" => {
            let value = list(r, "totals")
                .first()
                .map(|t| format!(", {} market value", money_at(t, "market_value", c)));
            format!(
                "{}{}",
                count(n("holdings"), "holding"),
                value.unwrap_or_default()
            )
        }
        "lots" => count(n("lots"), "open lot"),
        "realized_gains" => {
            let gain = list(r, "totals")
                .first()
                .map(|t| format!(", {} gain", signed_at(t, "total_gain", c)));
            format!(
                "{}{}",
                count(n("disposals"), "closed lot"),
                gain.unwrap_or_default()
            )
        }
        "transactions" => format!(
            "{} of {} transactions",
            n("transactions"),
            r.get("matched").and_then(Value::as_u64).unwrap_or(0)
        ),
        "cash" => {
            let total: Decimal = list(r, "balances")
                .iter()
                .filter(|b| text(b, "currency") == c)
                .filter_map(|b| dec(b, "balance"))
                .sum();
            format!(
                "{}, {} in {c}",
                count(n("balances"), "balance"),
                money(total, c)
            )
        }
        "harvest_candidates" => {
            let loss = r
                .get("summary")
                .map(|s| money_at(s, "harvestable_loss", c))
                .unwrap_or_default();
            format!(
                "{}, {loss} harvestable loss",
                count(n("candidates"), "candidate")
            )
        }
        "tax_report" => r
            .get("summary")
            .map(|s| {
                format!(
                    "{}: net short term {}, net long term {}",
                    r.get("year").map(Value::to_string).unwrap_or_default(),
                    signed_at(s, "net_short_term", c),
                    signed_at(s, "net_long_term", c)
                )
            })
            .unwrap_or_default(),
        "preview_trade" => {
            let side = if r.get("lots").is_some() {
                "sell"
            } else {
                "buy"
            };
            let head = format!("{side} {} {}", qty_at(r, "quantity"), text(r, "symbol"));
            if side == "sell" {
                format!(
                    "{head}: gain {} short, {} long, wash {}",
                    signed_at(r, "short_term_gain", c),
                    signed_at(r, "long_term_gain", c),
                    money_at(r, "wash_sale_disallowed", c)
                )
            } else {
                format!(
                    "{head}: washes {}, {} disallowed",
                    count(n("washes"), "sale"),
                    money_at(r, "wash_sale_disallowed", c)
                )
            }
        }
        "performance" => r
            .get("total")
            .map(|t| format!("TWR {}, XIRR {}", ratio_at(t, "twr"), ratio_at(t, "xirr")))
            .unwrap_or_default(),
        "risk" => r
            .get("portfolio")
            .map(|p| {
                format!(
                    "volatility {}, max drawdown {}",
                    ratio_at(p, "volatility"),
                    ratio_at(p.get("max_drawdown").unwrap_or(&Value::Null), "depth")
                )
            })
            .unwrap_or_default(),
        "anomalies" => {
            let findings = list(r, "findings");
            let critical = findings
                .iter()
                .filter(|x| text(x, "severity") == "critical")
                .count();
            format!("{} ({critical} critical)", count(findings.len(), "finding"))
        }
        "plan" => format!(
            "success {} over {} years",
            ratio_at(r, "success_rate"),
            r.get("years").map(Value::to_string).unwrap_or_default()
        ),
        "quotes" => {
            let missing = n("missing");
            if missing > 0 {
                format!("{}, {missing} missing", count(n("quotes"), "quote"))
            } else {
                count(n("quotes"), "quote")
            }
        }
        "orders" => {
            let open = list(r, "orders")
                .iter()
                .filter(|o| {
                    matches!(
                        text(o, "state"),
                        "submitting" | "submitted" | "working" | "partially-filled"
                    )
                })
                .count();
            format!("{} ({open} open)", count(n("orders"), "order"))
        }
        "fills" => count(n("fills"), "fill"),
        "draft_order" => format!("draft only, nothing sent: {}", text(r, "command")),
        _ => String::new(),
    };
    if line.is_empty() { "ok".into() } else { line }
}

/// "1 holding", "12 holdings".
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn first_chars(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syms() -> Vec<String> {
        [
            "AAPL", "AGG", "BND", "IEFA", "IEMG", "ITOT", "JNJ", "MSFT", "ON", "VOO", "VTI", "VWO",
            "VXUS",
        ]
        .map(String::from)
        .to_vec()
    }

    fn accts() -> Vec<String> {
        ["IRA", "Taxable", "Roth IRA"].map(String::from).to_vec()
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
    }

    fn plan_of(q: &str) -> Plan {
        let (s, a) = (syms(), accts());
        plan(
            q,
            &Context {
                today: today(),
                symbols: &s,
                accounts: &a,
            },
        )
    }

    fn tools(p: &Plan) -> Vec<&'static str> {
        p.lookups.iter().map(|l| l.tool).collect()
    }

    #[track_caller]
    fn expect(q: &str, intent: Intent, tools_: &[&str]) -> Plan {
        let p = plan_of(q);
        assert_eq!(p.intent, intent, "intent of {q:?}");
        assert_eq!(tools(&p), tools_, "tools of {q:?}");
        p
    }

    #[test]
    fn holdings_questions() {
        for q in [
            "What do I own?",
            "show my portfolio",
            "my positions",
            "Holdings",
            "what shares do I hold",
        ] {
            expect(q, Intent::Holdings, &["holdings"]);
        }
        let p = expect("what do I hold in my IRA?", Intent::Holdings, &["holdings"]);
        assert_eq!(p.lookups[0].args, json!({"account": "IRA"}));
        let p = expect("holdings in my roth ira", Intent::Holdings, &["holdings"]);
        assert_eq!(
            p.lookups[0].args,
            json!({"account": "Roth IRA"}),
            "the longest account name wins"
        );
        expect("vti", Intent::Holdings, &["holdings"]);
        let p = expect("show me my IRA", Intent::Holdings, &["holdings"]);
        assert_eq!(p.lookups[0].args, json!({"account": "IRA"}));
    }

    #[test]
    fn cash_and_net_worth() {
        let p = expect(
            "How much cash do I have?",
            Intent::Cash,
            &["cash", "dashboard"],
        );
        assert_eq!(p.lookups[1].args, json!({"history": "7d"}));
        let p = expect("cash in taxable", Intent::Cash, &["cash"]);
        assert_eq!(p.lookups[0].args, json!({"account": "Taxable"}));
        for q in [
            "What's my net worth?",
            "show the dashboard",
            "what is my portfolio worth",
            "allocation?",
        ] {
            expect(q, Intent::NetWorth, &["dashboard"]);
        }
    }

    #[test]
    fn gains_and_losses() {
        for q in [
            "What are my biggest gains?",
            "biggest losers",
            "top unrealized losses",
            "which holdings are losing money",
        ] {
            expect(q, Intent::Movers, &["dashboard"]);
        }
        expect("biggest gains in my IRA", Intent::Movers, &["holdings"]);
        let p = expect(
            "realized gains this year",
            Intent::Realized,
            &["realized_gains"],
        );
        assert_eq!(p.lookups[0].args, json!({"year": 2026}));
        let p = expect(
            "What did I realize last year?",
            Intent::Realized,
            &["realized_gains"],
        );
        assert_eq!(p.lookups[0].args, json!({"year": 2025}));
        let p = expect(
            "short and long term capital gains in 2024 for MSFT",
            Intent::Realized,
            &["realized_gains"],
        );
        assert_eq!(p.lookups[0].args, json!({"year": 2024, "symbol": "MSFT"}));
        let p = expect("realized gains", Intent::Realized, &["realized_gains"]);
        assert_eq!(
            p.lookups[0].args,
            json!({"year": 2026}),
            "this year by default"
        );
    }

    #[test]
    fn harvest_and_tax() {
        for q in [
            "Can I harvest any losses?",
            "tax-loss harvesting candidates",
            "tax loss opportunities?",
        ] {
            expect(q, Intent::Harvest, &["harvest_candidates"]);
        }
        let p = expect("tax report for 2025", Intent::TaxReport, &["tax_report"]);
        assert_eq!(p.lookups[0].args, json!({"year": 2025}));
        let p = expect("how much tax do I owe?", Intent::TaxReport, &["tax_report"]);
        assert_eq!(p.lookups[0].args, json!({"year": 2026}));
    }

    #[test]
    fn trades_and_wash_sales() {
        let p = expect("What if I sell 10 VTI?", Intent::Trade, &["preview_trade"]);
        assert_eq!(
            p.lookups[0].args,
            json!({"side": "sell", "symbol": "VTI", "quantity": "10"})
        );
        let p = expect(
            "wash sale if I sell 12.5 shares of vwo in Taxable",
            Intent::Trade,
            &["preview_trade"],
        );
        assert_eq!(
            p.lookups[0].args,
            json!({"side": "sell", "symbol": "VWO", "quantity": "12.5", "account": "Taxable"})
        );
        let p = expect("wash sale buy VXUS", Intent::Trade, &["preview_trade"]);
        assert_eq!(
            p.lookups[0].args,
            json!({"side": "buy", "symbol": "VXUS", "quantity": "1"})
        );
        let p = expect("if I buy 1,000 VXUS", Intent::Trade, &["preview_trade"]);
        assert_eq!(p.lookups[0].args["quantity"], json!("1000"));
        let p = expect("sell VTI 5", Intent::Trade, &["preview_trade"]);
        assert_eq!(p.lookups[0].args["quantity"], json!("5"));
        let p = expect("if I sell VTI", Intent::Trade, &["lots"]);
        assert_eq!(p.lookups[0].args, json!({"symbol": "VTI"}));
        expect(
            "what happens if I sell VTI and buy it back",
            Intent::Trade,
            &["lots"],
        );
        let p = expect("any wash sales?", Intent::Trade, &["realized_gains"]);
        assert_eq!(p.lookups[0].args, json!({}));
        expect(
            "when did I buy VTI",
            Intent::Transactions,
            &["transactions"],
        );
    }

    #[test]
    fn lots_risk_anomalies_plan() {
        let p = expect("show me the lots of VTI", Intent::Lots, &["lots"]);
        assert_eq!(p.lookups[0].args, json!({"symbol": "VTI"}));
        expect("cost basis of AAPL", Intent::Lots, &["lots"]);
        expect(
            "when do my IEMG shares turn long term?",
            Intent::Lots,
            &["lots"],
        );
        expect("how did I do today?", Intent::NetWorth, &["dashboard"]);
        expect("do I have any losses?", Intent::Movers, &["dashboard"]);
        let p = expect(
            "how much have I deposited?",
            Intent::Transactions,
            &["transactions"],
        );
        assert_eq!(p.lookups[0].args, json!({"limit": 10, "action": "DEPOSIT"}));
        for q in [
            "How risky is my portfolio?",
            "volatility",
            "max drawdown?",
            "what's my Sharpe ratio",
            "VaR",
        ] {
            expect(q, Intent::Risk, &["risk"]);
        }
        let p = expect("risk over 3 years", Intent::Risk, &["risk"]);
        assert_eq!(p.lookups[0].args, json!({"window": "3y"}));
        for q in [
            "Anything unusual?",
            "any alerts",
            "is something wrong with my portfolio",
        ] {
            expect(q, Intent::Anomalies, &["anomalies"]);
        }
        for q in [
            "Am I on track?",
            "can I retire",
            "will my money last?",
            "retirement",
        ] {
            let p = expect(q, Intent::Plan, &["plan"]);
            assert_eq!(
                p.lookups[0].args,
                json!({"from_portfolio": true, "withdrawal_rate": 0.04})
            );
        }
        let p = expect(
            "will my money last at 3.5% for 40 years?",
            Intent::Plan,
            &["plan"],
        );
        assert_eq!(
            p.lookups[0].args,
            json!({"from_portfolio": true, "withdrawal_rate": 0.035, "years": 40})
        );
    }

    #[test]
    fn quotes_performance_and_lists() {
        let p = expect("price of VTI", Intent::Quotes, &["quotes", "holdings"]);
        assert_eq!(p.lookups[0].args, json!({"symbols": ["VTI"]}));
        expect(
            "How much is aapl worth?",
            Intent::Quotes,
            &["quotes", "holdings"],
        );
        let p = expect("quotes", Intent::Quotes, &["quotes", "holdings"]);
        assert_eq!(p.lookups[0].args, json!({}));
        expect(
            "How is my portfolio performing?",
            Intent::Performance,
            &["performance"],
        );
        let p = expect("returns in 2025", Intent::Performance, &["performance"]);
        assert_eq!(
            p.lookups[0].args,
            json!({"from": "2025-01-01", "to": "2025-12-31"})
        );
        let p = expect(
            "performance this year",
            Intent::Performance,
            &["performance"],
        );
        assert_eq!(p.lookups[0].args, json!({"from": "2026-01-01"}));
        expect("list my accounts", Intent::Accounts, &["accounts"]);
        let p = expect(
            "recent transactions",
            Intent::Transactions,
            &["transactions"],
        );
        assert_eq!(p.lookups[0].args, json!({"limit": 10}));
        let p = expect(
            "show transactions of VTI in the IRA",
            Intent::Transactions,
            &["transactions"],
        );
        assert_eq!(
            p.lookups[0].args,
            json!({"limit": 10, "symbol": "VTI", "account": "IRA"})
        );
        let p = expect("open orders", Intent::Orders, &["orders"]);
        assert_eq!(p.lookups[0].args, json!({"open": true}));
        expect("my orders", Intent::Orders, &["orders"]);
        expect("any fills today?", Intent::Fills, &["fills"]);
    }

    #[test]
    fn symbols_are_known_ones_and_common_words_need_capitals() {
        let (s, a) = (syms(), accts());
        let cx = Context {
            today: today(),
            symbols: &s,
            accounts: &a,
        };
        let q = Question::new("what's on my plate, vti and ON?");
        assert_eq!(symbols(&q, &cx), ["VTI", "ON"]);
        let q = Question::new("price of TSLA");
        assert!(symbols(&q, &cx).is_empty(), "only symbols the user has");
        let q = Question::new("VTI's price");
        assert_eq!(symbols(&q, &cx), ["VTI"]);
    }

    #[test]
    fn unknown_questions_look_nothing_up() {
        for q in [
            "",
            "   ",
            "hello",
            "what's the weather?",
            "tell me a joke",
            "???",
            "日本語",
        ] {
            let p = plan_of(q);
            assert_eq!(
                p,
                Plan {
                    intent: Intent::Unknown,
                    lookups: vec![]
                },
                "{q:?}"
            );
            let a = answer(q, &p, &[]);
            assert!(a.contains("I can't answer that offline"), "{a}");
            assert!(a.ends_with(FOOTER));
        }
    }

    fn envelope(report: Value) -> Value {
        json!({"as_of": "2026-12-07", "currency": "USD", "scope": "all accounts", "report": report})
    }

    /// Every figure of `answer` is found in the results (the loop's number check).
    #[track_caller]
    fn grounded(answer: &str, results: &[Result<Value, String>]) {
        let values: Vec<&Value> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        let known = crate::ai::ground::numbers_in(&values);
        let bad = crate::ai::ground::unverified(answer, &known);
        assert!(bad.is_empty(), "unverified {bad:?} in:\n{answer}");
    }

    #[test]
    fn a_cash_answer_copies_the_balances_and_the_total() {
        let p = plan_of("how much cash do I have");
        let results = vec![
            Ok(envelope(json!({"balances": [
                {"account": "IRA", "currency": "USD", "balance": "3182.90"},
                {"account": "Taxable", "currency": "USD", "balance": "37224.26"},
                {"account": "Other", "currency": "USD", "balance": "1000.01"}
            ], "negative": false, "warnings": []}))),
            Ok(envelope(
                json!({"summary": {"cash": "41407.17", "net_worth": "1"}}),
            )),
        ];
        let a = answer("how much cash do I have", &p, &results);
        assert!(a.starts_with("As of 2026-12-07, all accounts:"), "{a}");
        assert!(
            a.contains("- IRA: $3,182.90") && a.contains("- Taxable: $37,224.26"),
            "{a}"
        );
        assert!(a.contains("**Total cash**: $41,407.17."), "{a}");
        assert!(a.ends_with(FOOTER));
        assert!(!a.contains(TAX_NOTE));
        grounded(&a, &results);
    }

    #[test]
    fn a_sale_preview_says_the_gain_and_the_wash_sale_with_the_tax_note() {
        let p = plan_of("if I sell 10 VTI");
        let results = vec![Ok(envelope(json!({
            "account": "Taxable", "symbol": "VTI", "date": "2026-12-07", "quantity": "10",
            "price": "386.49", "method": "fifo",
            "lots": [{"acquired": "2021-12-07", "quantity": "10", "cost_basis": "2359.25", "gain": "1505.65", "term": "long"}],
            "proceeds": "3864.90", "cost_basis": "2359.25000000", "short_term_gain": "0",
            "long_term_gain": "1505.65000000", "wash_sale_disallowed": "0", "wash_sale_permanent": "0",
            "substantially_identical": ["VTI", "VTSAX"], "safe_to_buy_back": "2027-01-07",
            "account_kind": "taxable", "warnings": []
        })))];
        let a = answer("if I sell 10 VTI", &p, &results);
        for want in [
            "Selling 10 VTI in Taxable",
            "$386.49",
            "Proceeds $3,864.90",
            "long term +$1,505.65",
            "VTI or VTSAX before 2027-01-07",
            TAX_NOTE,
        ] {
            assert!(a.contains(want), "{want:?} in:\n{a}");
        }
        grounded(&a, &results);
    }

    #[test]
    fn a_symbol_narrows_the_holdings_to_its_rows() {
        let p = plan_of("how many vti shares do I hold?");
        let results = vec![Ok(envelope(json!({"holdings": [
            {"account": "Taxable", "symbol": "VTI", "currency": "USD", "quantity": "220", "price": "386.49", "market_value": "85027.80", "unrealized_gain": "29910.95", "unrealized_gain_pct": "54.27"},
            {"account": "IRA", "symbol": "BND", "currency": "USD", "quantity": "586.3819", "price": "71.73", "market_value": "42061.17", "unrealized_gain": "-6737.22", "unrealized_gain_pct": "-13.81"}
        ], "totals": [{"currency": "USD", "market_value": "127088.97", "cost_basis": "1", "unrealized_gain": "1"}]})))];
        let a = answer("how many vti shares do I hold?", &p, &results);
        assert!(
            a.contains("| Taxable | VTI | 220 | $386.49 | $85,027.80 | +$29,910.95 | 54.27% |"),
            "{a}"
        );
        assert!(!a.contains("BND") && !a.contains("**Total**"), "{a}");
        grounded(&a, &results);
    }

    #[test]
    fn a_failed_lookup_is_told_with_its_error() {
        let p = plan_of("if I sell 10 VWO");
        let results = vec![Err(
            "VWO is held in IRA and Taxable; name the account".to_string()
        )];
        let a = answer("if I sell 10 VWO", &p, &results);
        assert!(
            a.contains("VWO is held in IRA and Taxable; name the account."),
            "{a}"
        );
        assert!(a.ends_with(FOOTER));
        // Fewer results than look-ups (a cancelled turn) is no panic either.
        let a = answer("if I sell 10 VWO", &p, &[]);
        assert!(a.contains("no result came back"), "{a}");
    }

    #[test]
    fn answers_survive_results_of_any_shape() {
        let shapes = [
            json!(null),
            json!({}),
            json!({"report": null}),
            json!({"report": {"summary": 3, "holdings": "x", "totals": [1], "portfolio": []}}),
            json!({"report": {"lots": [{}], "disposals": [{}], "candidates": [{}], "findings": [{}], "transactions": [{}], "orders": [{}], "fills": [{}], "accounts": [{}], "balances": [{}], "quotes": [{}], "holdings": [{}]}}),
        ];
        let questions = [
            "what do I own",
            "cash",
            "net worth",
            "biggest gains",
            "realized this year",
            "harvest",
            "if I sell 10 VTI",
            "if I sell VTI",
            "wash sale buy VXUS",
            "lots of VTI",
            "risk",
            "anything unusual",
            "am I on track",
            "price of VTI",
            "performance",
            "accounts",
            "recent transactions",
            "tax report",
            "orders",
            "fills",
        ];
        for q in questions {
            let p = plan_of(q);
            assert_ne!(p.intent, Intent::Unknown, "{q}");
            for s in &shapes {
                let results: Vec<Result<Value, String>> =
                    p.lookups.iter().map(|_| Ok(s.clone())).collect();
                let a = answer(q, &p, &results);
                assert!(a.ends_with(FOOTER), "{q}: {a}");
                for l in &p.lookups {
                    let _ = summary(l.tool, &Ok(s.clone()));
                }
            }
        }
    }

    #[test]
    fn the_footer_and_the_unknown_answer_carry_no_figure() {
        grounded(&unknown(), &[]);
        grounded(FOOTER, &[]);
    }

    #[test]
    fn summaries_are_one_short_line() {
        let r = Ok(envelope(
            json!({"holdings": [{}, {}], "totals": [{"market_value": "123456.78"}]}),
        ));
        assert_eq!(
            summary("holdings", &r),
            "2 holdings, $123,456.78 market value"
        );
        let r = Ok(envelope(
            json!({"summary": {"harvestable_loss": "4210"}, "candidates": [{}, {}, {}]}),
        ));
        assert_eq!(
            summary("harvest_candidates", &r),
            "3 candidates, $4,210.00 harvestable loss"
        );
        assert_eq!(
            summary("cash", &Err("no such account\nmore".into())),
            "error: no such account"
        );
        let r = Ok(envelope(json!({"total": {"twr": 0.3036, "xirr": 0.0572}})));
        assert_eq!(summary("performance", &r), "TWR 30.36%, XIRR 5.72%");
        let r = Ok(envelope(
            json!({"command": "folio order buy VTI 1 --account Taxable"}),
        ));
        assert_eq!(
            summary("draft_order", &r),
            "draft only, nothing sent: folio order buy VTI 1 --account Taxable"
        );
        for t in crate::app::tools::chat() {
            let s = summary(t.name, &Ok(envelope(json!({}))));
            assert!(!s.is_empty() && !s.contains('\n'), "{}: {s}", t.name);
        }
    }
}
