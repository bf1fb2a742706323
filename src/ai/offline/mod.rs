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
    /// The target mixes beside the current weights: the drift.
    Targets,
    /// The trades back to the targets at the least estimated tax.
    Rebalance,
    /// Historical crashes or custom shocks applied to today's holdings.
    Stress,
    /// The efficient frontier of the holdings and today's mix against it.
    Frontier,
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

/// The asset classes folio's securities table ships with (a custom shock names them).
const STOCK_CLASSES: &[&str] = &["US stocks", "International stocks", "Emerging markets"];
const BOND_CLASSES: &[&str] = &["US bonds", "International bonds"];
const EVERY_CLASS: &[&str] = &[
    "US stocks",
    "International stocks",
    "Emerging markets",
    "US bonds",
    "International bonds",
    "Real estate",
    "Commodities",
    "Unclassified",
];

/// The words that name asset classes in a stress question, a phrase before any phrase it
/// starts with ("emerging markets" before "markets"). Plain "stocks" is every stock class.
const CLASS_WORDS: &[(&str, &[&str])] = &[
    ("us stocks", &["US stocks"]),
    ("us stock", &["US stocks"]),
    ("us equities", &["US stocks"]),
    ("american stocks", &["US stocks"]),
    ("international stocks", &["International stocks"]),
    ("international equities", &["International stocks"]),
    ("foreign stocks", &["International stocks"]),
    ("developed markets", &["International stocks"]),
    ("emerging markets", &["Emerging markets"]),
    ("emerging market", &["Emerging markets"]),
    ("international bonds", &["International bonds"]),
    ("foreign bonds", &["International bonds"]),
    ("us bonds", &["US bonds"]),
    ("real estate", &["Real estate"]),
    ("stock market", STOCK_CLASSES),
    ("fixed income", BOND_CLASSES),
    ("emerging", &["Emerging markets"]),
    ("international", &["International stocks"]),
    ("treasuries", &["US bonds"]),
    ("treasury", &["US bonds"]),
    ("reits", &["Real estate"]),
    ("reit", &["Real estate"]),
    ("commodities", &["Commodities"]),
    ("gold", &["Commodities"]),
    ("stocks", STOCK_CLASSES),
    ("stock", STOCK_CLASSES),
    ("equities", STOCK_CLASSES),
    ("equity", STOCK_CLASSES),
    ("market", STOCK_CLASSES),
    ("markets", STOCK_CLASSES),
    ("bonds", BOND_CLASSES),
    ("bond", BOND_CLASSES),
];

/// Words that say prices go down (a shock's sign), and up.
const FALL_WORDS: &[&str] = &[
    "fall",
    "falls",
    "fell",
    "falling",
    "drop",
    "drops",
    "dropped",
    "dropping",
    "plunge",
    "plunges",
    "tank",
    "tanks",
    "decline",
    "declines",
    "lose",
    "loses",
    "sink",
    "sinks",
    "slump",
    "slumps",
    "crash",
    "crashes",
    "down",
    "collapse",
    "collapses",
    "correction",
];
const RISE_WORDS: &[&str] = &[
    "rise", "rises", "rose", "rally", "rallies", "jump", "jumps", "climb", "climbs", "soar",
    "soars", "surge", "surges", "grow", "grows", "up", "gain", "gains",
];

/// The question's words in order, split at hyphens and apostrophes: as typed and lowercase.
fn words(q: &Question) -> Vec<(String, String)> {
    q.tokens
        .iter()
        .flat_map(|t| t.split(['-', '\u{2019}', '\'']))
        .map(trim_token)
        .filter(|w| !w.is_empty())
        .map(|w| {
            let lower = w.to_lowercase();
            (w, lower)
        })
        .collect()
}

/// A percent the word is, with the next word ("30%", "30 percent"), as a positive number.
fn percent_at(words: &[(String, String)], i: usize) -> Option<Decimal> {
    let (_, w) = words.get(i)?;
    let number = match w.strip_suffix('%') {
        Some(n) => n,
        None if words
            .get(i + 1)
            .is_some_and(|(_, n)| matches!(n.as_str(), "percent" | "pct")) =>
        {
            w.as_str()
        }
        None => return None,
    };
    number
        .parse::<Decimal>()
        .ok()
        .filter(|d| *d > Decimal::ZERO && *d < Decimal::from(1000))
}

/// Whether the question names a percent.
fn has_percent(q: &Question) -> bool {
    let w = words(q);
    (0..w.len()).any(|i| percent_at(&w, i).is_some())
}

/// Whether a percent is followed by a move of prices ("a 25% drop", "a 10 percent rally").
fn percent_move(q: &Question) -> bool {
    const MOVES: &[&str] = &[
        "drop",
        "fall",
        "decline",
        "crash",
        "plunge",
        "correction",
        "selloff",
        "slump",
        "collapse",
        "rise",
        "rally",
        "jump",
        "surge",
    ];
    let w = words(q);
    (0..w.len()).any(|i| {
        percent_at(&w, i).is_some() && {
            let next = if w[i].1.ends_with('%') { i + 1 } else { i + 2 };
            w.get(next)
                .is_some_and(|(_, n)| MOVES.contains(&n.as_str()))
        }
    })
}

/// The custom shocks a stress question names ("what if stocks fall 30%", "VTI drops 40% and
/// bonds 10%"): each percent goes to the classes and held symbols said just before it (or,
/// when none, just after it), falling unless a word beside it says it rises. A percent with
/// no class or symbol shocks every class. As the tool reads it: "US stocks=-30,VTI=-40".
fn shocks(q: &Question, cx: &Context) -> Option<String> {
    let words = words(q);
    // In order: a subject (its names) or a percent (its word index).
    enum Item {
        Names(Vec<String>),
        Pct(usize, Decimal),
    }
    let mut items = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if let Some(p) = percent_at(&words, i) {
            items.push(Item::Pct(i, p));
            i += 1;
            continue;
        }
        let phrase = CLASS_WORDS.iter().find(|(phrase, _)| {
            let parts: Vec<&str> = phrase.split(' ').collect();
            parts
                .iter()
                .enumerate()
                .all(|(k, part)| words.get(i + k).is_some_and(|(_, w)| w == part))
        });
        if let Some((phrase, classes)) = phrase {
            items.push(Item::Names(classes.iter().map(|c| c.to_string()).collect()));
            i += phrase.split(' ').count();
            continue;
        }
        let (typed, lower) = &words[i];
        let common = COMMON_WORDS.contains(&lower.as_str()) && *typed != typed.to_uppercase();
        if !common
            && !NEVER_SYMBOLS.contains(&lower.as_str())
            && let Some(s) = cx.symbols.iter().find(|s| s.eq_ignore_ascii_case(typed))
        {
            items.push(Item::Names(vec![s.clone()]));
        }
        i += 1;
    }
    let pcts: Vec<usize> = items
        .iter()
        .filter_map(|x| match x {
            Item::Pct(i, _) => Some(*i),
            Item::Names(_) => None,
        })
        .collect();
    // The sign of the percent at word `at`: the nearest direction word between its
    // neighbouring percents.
    let sign = |at: usize| -> Decimal {
        let lo = pcts.iter().rev().find(|p| **p < at).map_or(0, |p| p + 1);
        let hi = pcts
            .iter()
            .find(|p| **p > at)
            .copied()
            .unwrap_or(words.len());
        let rises = (lo..hi)
            .filter(|k| {
                let w = words[*k].1.as_str();
                FALL_WORDS.contains(&w) || RISE_WORDS.contains(&w)
            })
            .min_by_key(|k| k.abs_diff(at))
            .is_some_and(|k| RISE_WORDS.contains(&words[k].1.as_str()));
        if rises { Decimal::ONE } else { -Decimal::ONE }
    };
    let mut out: Vec<(String, Decimal)> = Vec::new();
    let mut pending_names: Vec<String> = Vec::new();
    let mut pending_pct: Option<Decimal> = None;
    let mut first_pct: Option<Decimal> = None;
    let give = |names: &[String], pct: Decimal, out: &mut Vec<(String, Decimal)>| {
        for n in names {
            if !out.iter().any(|(o, _)| o == n) {
                out.push((n.clone(), pct));
            }
        }
    };
    for item in items {
        match item {
            Item::Pct(at, p) => {
                let pct = p * sign(at);
                first_pct.get_or_insert(pct);
                if pending_names.is_empty() {
                    pending_pct = Some(pct);
                } else {
                    give(&pending_names, pct, &mut out);
                    pending_names.clear();
                    pending_pct = None;
                }
            }
            Item::Names(names) => match pending_pct.take() {
                Some(pct) => give(&names, pct, &mut out),
                None => pending_names.extend(names),
            },
        }
    }
    let first = first_pct?;
    if out.is_empty() {
        let every: Vec<String> = EVERY_CLASS.iter().map(|c| c.to_string()).collect();
        give(&every, first, &mut out);
    }
    Some(
        out.iter()
            .map(|(n, p)| format!("{n}={}", p.normalize()))
            .collect::<Vec<_>>()
            .join(","),
    )
}

/// The historical scenario a stress question names: 2008, 2020 or 2022 (None for none, or
/// for more than one: every scenario is run).
fn scenario(q: &Question) -> Option<&'static str> {
    let table: &[(&str, &[&str])] = &[
        (
            "2008",
            &[
                "2008",
                "2009",
                "gfc",
                "financial crisis",
                "great recession",
                "lehman",
            ],
        ),
        (
            "2020",
            &["2020", "covid", "covid 19", "pandemic", "coronavirus"],
        ),
        (
            "2022",
            &[
                "2022",
                "inflation",
                "rate shock",
                "rate hikes",
                "rising rates",
            ],
        ),
    ];
    let named: Vec<&str> = table
        .iter()
        .filter(|(_, words)| q.has_any(words))
        .map(|(id, _)| *id)
        .collect();
    match named.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

/// New cash a rebalancing question names ("with 5000 new cash", "invest $5k"), in money.
fn new_cash(q: &Question) -> Option<Decimal> {
    const BEFORE: &[&str] = &[
        "with",
        "add",
        "adding",
        "added",
        "invest",
        "investing",
        "deposit",
        "depositing",
        "put",
        "putting",
        "contribute",
        "contributing",
        "plus",
    ];
    const AFTER: &[&str] = &[
        "new",
        "more",
        "cash",
        "dollars",
        "dollar",
        "usd",
        "extra",
        "fresh",
        "additional",
        "bucks",
    ];
    q.tokens.iter().enumerate().find_map(|(i, t)| {
        let dollar = t.starts_with('$');
        let t = t.trim_start_matches('$');
        let (number, scale) = match t.strip_suffix(['k', 'K']) {
            Some(n) => (n, Decimal::from(1000)),
            None => (t, Decimal::ONE),
        };
        let d = number
            .parse::<Decimal>()
            .ok()
            .filter(|d| *d > Decimal::ZERO)?
            * scale;
        let next = q.lower(i + 1).unwrap_or_default();
        let prev = i
            .checked_sub(1)
            .and_then(|p| q.lower(p))
            .unwrap_or_default();
        let fits = dollar
            || scale > Decimal::ONE
            || AFTER.contains(&next.as_str())
            // After "with" alone, a small count is no amount ("with 2 funds").
            || (BEFORE.contains(&prev.as_str()) && d >= Decimal::ONE_HUNDRED);
        fits.then(|| d.normalize())
    })
}

/// The most trades a rebalancing question allows ("in at most 3 trades").
fn max_trades(q: &Question) -> Option<u64> {
    q.tokens.iter().enumerate().find_map(|(i, t)| {
        let n = t.parse::<u64>().ok().filter(|n| *n >= 1)?;
        matches!(q.lower(i + 1)?.as_str(), "trade" | "trades").then_some(n)
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
    // Targets of the mix, not of a retirement plan ("will I reach my target").
    let targets = q.has_any(&[
        "target",
        "targets",
        "targeted",
        "drift",
        "drifted",
        "drifting",
        "out of band",
        "outside the band",
        "outside its band",
        "bands",
    ]) && !q.has_stem("retir")
        && !q.has_any(&["on track", "reach", "goal", "run out", "price target"]);
    let rebalance = q.has_stem("rebalanc")
        || q.has_any(&[
            "back to target",
            "back to targets",
            "back to my target",
            "back to my targets",
            "back on target",
            "back to my allocation",
            "back within",
            "back in band",
            "back into band",
        ])
        || (targets
            && q.has_any(&[
                "trade",
                "trades",
                "buy",
                "sell",
                "cheapest",
                "least tax",
                "how do i get",
                "fix",
            ]));
    let hypothetical = q.has_any(&["if", "would", "suppose", "imagine", "say"]);
    let stress = q.has_any(&[
        "stress",
        "stress test",
        "stressed",
        "crash",
        "crashes",
        "crashed",
        "scenario",
        "scenarios",
        "shock",
        "shocks",
        "bear market",
        "recession",
        "financial crisis",
        "gfc",
        "covid",
        "pandemic",
        "meltdown",
        "worst case",
        "black swan",
    ]) || (has_percent(q)
        && hypothetical
        && !q.has_stem("retir")
        && (q.has_any(FALL_WORDS) || q.has_any(RISE_WORDS)))
        || percent_move(q)
        || (q.has_any(&["2008", "2020", "2022"])
            && q.has_any(&[
                "do to", "happen", "happened", "again", "repeat", "repeats", "replay", "like",
                "hit", "hits",
            ]));
    let frontier = q.has_any(&[
        "frontier",
        "max sharpe",
        "maximum sharpe",
        "highest sharpe",
        "best sharpe",
        "sharpe portfolio",
        "sharpe mix",
        "tangency",
        "minimum variance",
        "min variance",
        "lowest variance",
        "mean variance",
        "markowitz",
        "optimal portfolio",
        "optimal mix",
        "optimal allocation",
    ]) || (q.has_any(&["efficient", "efficiency", "optimize", "optimise"])
        && !q.has_any(&["tax", "taxes"]));
    let rules: &[(bool, Intent)] = &[
        (
            q.has_any(&["harvest", "harvesting", "harvestable", "tax loss", "tlh"]),
            Intent::Harvest,
        ),
        (rebalance, Intent::Rebalance),
        (
            q.has("wash") || (trade_verb && !syms.is_empty() && !past),
            Intent::Trade,
        ),
        (targets, Intent::Targets),
        (stress, Intent::Stress),
        (frontier, Intent::Frontier),
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
        Intent::Targets => vec![lookup("targets", with_account(Map::new(), account))],
        Intent::Rebalance => {
            let mut args = Map::new();
            let cash = new_cash(q);
            if let Some(c) = cash {
                args.insert("cash".into(), json!(c.to_string()));
            }
            if let Some(n) = max_trades(q) {
                args.insert("max_trades".into(), json!(n));
            }
            if q.has_any(&[
                "without selling",
                "no selling",
                "no sales",
                "no sells",
                "dont sell",
                "don t sell",
                "not sell",
                "never sell",
                "only buy",
                "only buying",
                "buy only",
                "just buy",
            ]) {
                args.insert("no_sell".into(), json!(true));
            }
            // An account with new cash is where it goes; without, the account's own set.
            if let Some(a) = account {
                let key = if cash.is_some() {
                    "cash_account"
                } else {
                    "account"
                };
                args.insert(key.into(), json!(a));
            }
            vec![lookup("rebalance", Value::Object(args))]
        }
        Intent::Stress => {
            let mut args = Map::new();
            if let Some(s) = scenario(q) {
                args.insert("scenario".into(), json!(s));
            }
            if let Some(s) = shocks(q, cx) {
                args.insert("shock".into(), json!(s));
            }
            vec![lookup("stress", with_account(args, account))]
        }
        Intent::Frontier => {
            let mut args = Map::new();
            if let Some((n, unit)) = span(q) {
                args.insert("window".into(), json!(format!("{n}{unit}")));
            } else if q.has_any(&["all time", "ever", "since the start"]) {
                args.insert("window".into(), json!("all"));
            }
            if q.has_any(&["by class", "asset class", "asset classes", "classes"]) {
                args.insert("by".into(), json!("class"));
            }
            vec![lookup("frontier", Value::Object(args))]
        }
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
