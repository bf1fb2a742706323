//! The offline assistant: folio's chat when no model is configured or reachable (and always in
//! `folio --demo`). It recognises the common questions with plain rules (keywords, a symbol the
//! user has, an account name, a year), calls the same tools a model would, and answers with
//! their figures, copied verbatim or rounded, so that the number check passes and the answer
//! matches the command line. It never advises buying or selling and says plainly what it is
//! and how to connect a model. Pure code: the chat loop runs the look-ups.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

mod answer;
mod summary;
#[cfg(test)]
mod tests;

pub use answer::answer;
pub use summary::summary;

/// The assistant's name, as the pane and `--json` show it.
pub const NAME: &str = "offline";

/// The last line of every answer: what answered and how to get a model.
pub const FOOTER: &str = "This is folio's offline assistant: for free-form questions start Ollama (`ollama serve`, `ollama pull qwen3:8b`) or set `provider` under [ai] in the config.";

/// Said under every answer with tax figures.
pub const TAX_NOTE: &str = "Tax figures are estimates, not tax advice.";

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
