//! Keeping answers grounded: the system prompt, the check that every figure in an answer came
//! from a tool result of its turn, the caveat under tax and trade answers, and the cleaning of
//! model text before it reaches a terminal (an escape sequence in an answer could repaint the
//! screen).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::Value;

/// The instructions every model gets (Maybe's and Ghostfolio's rules, AI_CHAT.md §5).
pub fn system_prompt(today: NaiveDate, currency: &str, accounts: &[String]) -> String {
    format!(
        "You are folio's analyst: a neutral assistant inside the investor's own portfolio tool. Today is {today}. Money is in {currency} unless a result says otherwise. The investor's accounts: {}.\n\
Rules:\n\
1. Answer only from the results of the tools in this conversation. Call a tool for every figure you state; never estimate, invent or remember a figure. If the tools do not give what is asked, say \"I don't have that\" and which question folio can answer instead.\n\
2. Say the date (as_of) and scope (accounts, period) of the figures you give.\n\
3. Do not tell the user to buy or sell any security. You may describe what a trade would do using the preview_trade tool, and draft an order with draft_order only when the user asks you to prepare one: the user confirms it in folio's order ticket.\n\
4. Tax figures are estimates, not tax advice: say so when you give one.\n\
5. Be brief. Use short paragraphs, lists and small tables. Copy figures as the tools give them (rounding is fine); ratios are fractions (0.04 is 4%).",
        if accounts.is_empty() {
            "none yet".to_string()
        } else {
            accounts.join(", ")
        }
    )
}

/// The caveat shown under an answer that touches taxes or trades.
pub fn disclaimer(answer: &str, tools: &[&str]) -> Option<String> {
    let lower = answer.to_lowercase();
    // Whole words: "Taxable", an account's name, is no tax figure.
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .collect();
    let taxy = tools.iter().any(|t| {
        matches!(
            *t,
            "realized_gains"
                | "tax_report"
                | "harvest_candidates"
                | "preview_trade"
                | "draft_order"
        )
    }) || words.iter().any(|w| {
        matches!(
            *w,
            "tax" | "taxes" | "wash" | "wash-sale" | "harvest" | "harvesting"
        )
    });
    // An answer that already says it (the offline assistant's) needs no second caveat.
    (taxy && !lower.contains("not tax advice")).then(|| {
        "Tax figures are estimates from your ledger at the configured rates, not tax advice; folio gives no buy or sell advice.".to_string()
    })
}

/// `text` with every control character removed but newlines and tabs (so no escape sequence,
/// OSC or bidirectional override a model writes reaches the terminal).
pub fn clean(text: &str) -> String {
    text.chars()
        .filter(|&c| {
            c == '\n'
                || c == '\t'
                || !(c.is_control()
                    || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
        })
        .collect()
}

/// A figure as written in an answer.
#[derive(Debug, Clone, PartialEq)]
struct Figure {
    text: String,
    value: f64,
    /// Half a unit of the last digit written (what rounding may hide).
    tolerance: f64,
    percent: bool,
}

/// The figures written in `text`: numbers with their `$`, `,`, `%` and k/M/B, leaving out what
/// is not a figure (dates, years, list numbers, small counts, and numbers inside words such as
/// `qwen3` or `401k`).
fn figures(text: &str) -> Vec<Figure> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts = c.is_ascii_digit()
            && (i == 0
                || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '.' || chars[i - 1] == '_'));
        if !starts {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = String::new();
        let mut decimals: Option<u32> = None;
        while i < chars.len() {
            let ch = chars[i];
            let next_digit = chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
            if ch.is_ascii_digit() {
                digits.push(ch);
                if let Some(d) = decimals.as_mut() {
                    *d += 1;
                }
            } else if ch == ',' && next_digit && decimals.is_none() {
            } else if ch == '.' && next_digit && decimals.is_none() {
                digits.push('.');
                decimals = Some(0);
            } else {
                break;
            }
            i += 1;
        }
        let raw: String = chars[start..i].iter().collect();
        // Dates and times (2026-12-07, 12/07, 10:30) and version-like strings are no figures.
        let next = chars.get(i).copied();
        let prev = start.checked_sub(1).map(|p| chars[p]);
        let in_date = matches!(next, Some('-' | '/' | ':'))
            && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit())
            || matches!(prev, Some('-' | '/' | ':'))
                && start >= 2
                && chars[start - 2].is_ascii_digit();
        let (mut scale, mut percent) = (1.0, false);
        let mut j = i;
        if next == Some('%') {
            percent = true;
            j += 1;
        } else if let Some(s) = next {
            let after = chars.get(i + 1).copied();
            let word_ends = after.is_none_or(|a| !a.is_alphanumeric());
            if word_ends {
                match s {
                    'k' | 'K' => scale = 1e3,
                    'm' | 'M' => scale = 1e6,
                    'b' | 'B' => scale = 1e9,
                    _ => {}
                }
                if scale > 1.0 {
                    j += 1;
                }
            }
            // Retirement plans are names, not amounts: 401k, 403b, 457b.
            if scale > 1.0 && decimals.is_none() && matches!(raw.as_str(), "401" | "403" | "457") {
                i = j;
                continue;
            }
            // A number glued to letters (`3x`, `7B` models aside) is a name.
            if scale == 1.0 && s.is_alphabetic() {
                i = j.max(i + 1);
                continue;
            }
        }
        i = j.max(i);
        if in_date {
            continue;
        }
        let Ok(value) = digits.parse::<f64>() else {
            continue;
        };
        let value = value * scale;
        let year_like = decimals.is_none()
            && !raw.contains(',')
            && (1900.0..=2100.0).contains(&value)
            && !percent
            && scale == 1.0;
        // List numbers, small counts and years say nothing about the portfolio.
        if year_like || (decimals.is_none() && !percent && scale == 1.0 && value < 100.0) {
            continue;
        }
        let tolerance = 0.5 * 10f64.powi(-(decimals.unwrap_or(0) as i32)) * scale;
        let suffix = match (percent, scale > 1.0, next) {
            (true, _, _) => "%".to_string(),
            (false, true, Some(s)) => s.to_string(),
            _ => String::new(),
        };
        out.push(Figure {
            text: format!("{raw}{suffix}"),
            value,
            tolerance,
            percent,
        });
    }
    out
}

/// The figures of `text` as written (for masking them).
pub fn figure_texts(text: &str) -> Vec<String> {
    figures(text).into_iter().map(|f| f.text).collect()
}

/// Every number in `results` (numbers, and numbers inside strings), as magnitudes.
pub fn numbers_in(results: &[&Value]) -> Vec<f64> {
    fn walk(v: &Value, out: &mut Vec<f64>) {
        match v {
            Value::Number(n) => {
                if let Some(x) = n.as_f64() {
                    out.push(x.abs());
                }
            }
            Value::String(s) => {
                if let Ok(d) = s.trim().parse::<Decimal>() {
                    if let Some(x) = d.to_f64() {
                        out.push(x.abs());
                    }
                } else if s.len() <= 4000 {
                    out.extend(figures(s).into_iter().map(|f| f.value));
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Object(m) => m.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for r in results {
        walk(r, &mut out);
    }
    out.retain(|x| x.is_finite());
    out.sort_by(f64::total_cmp);
    out.dedup();
    out
}

/// The figures in `answer` found in no tool result of the turn (`known`, from [`numbers_in`]):
/// not as written, not as a percent of a fraction, and not as a sum or difference of two of
/// them, within the rounding the answer shows.
pub fn unverified(answer: &str, known: &[f64]) -> Vec<String> {
    let near = |target: f64, tol: f64| -> bool {
        let lo = known.partition_point(|x| *x < target - tol - 1e-9);
        known.get(lo).is_some_and(|x| *x <= target + tol + 1e-9)
    };
    let mut out = Vec::new();
    for f in figures(answer) {
        let candidates: Vec<(f64, f64)> = if f.percent {
            vec![
                (f.value, f.tolerance),
                (f.value / 100.0, f.tolerance / 100.0),
            ]
        } else {
            vec![(f.value, f.tolerance)]
        };
        let found = candidates.iter().any(|&(v, tol)| {
            near(v, tol)
                || (known.len() <= 5000
                    && known
                        .iter()
                        .any(|&a| near(v - a, tol) || near(a - v, tol) || near(a + v, tol)))
        });
        if !found && !out.contains(&f.text) {
            out.push(f.text);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn figures_skip_dates_years_names_and_list_numbers() {
        let f: Vec<String> = figures(
            "1. As of 2026-12-07 in 2026, qwen3 says $12,345.67 and 4.5% and 1.2k, 401k, 7 lots",
        )
        .into_iter()
        .map(|f| f.text)
        .collect();
        assert_eq!(f, ["12,345.67", "4.5%", "1.2k"]);
    }

    #[test]
    fn a_figure_no_tool_returned_is_flagged() {
        let r = json!({"report": {"total": "12345.67", "weight": 0.1234, "rows": [{"gain": "-200.50"}, {"gain": "300"}]}});
        let known = numbers_in(&[&r]);
        assert!(unverified("Your total is $12,345.67 (12.34% in VTI).", &known).is_empty());
        assert!(
            unverified("About $12,346 in all.", &known).is_empty(),
            "rounding is fine"
        );
        assert!(
            unverified("Gains net to $99.50.", &known).is_empty(),
            "a difference of two"
        );
        assert_eq!(
            unverified("You also hold $98,765.43 in bonds.", &known),
            ["98,765.43"]
        );
    }

    #[test]
    fn control_characters_are_removed() {
        assert_eq!(clean("a\u{1b}[31mred\u{7}\n\tb\u{202e}c"), "a[31mred\n\tbc");
    }
}
