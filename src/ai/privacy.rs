//! What a remote provider may see of a tool's result ([ai] privacy): everything (`full`),
//! amounts rounded to two significant figures (`rounded`), or only weights, ratios and returns
//! with every amount and quantity removed (`weights`, Ghostfolio's rule). Local providers
//! always get the full result.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Privacy {
    Full,
    #[default]
    Rounded,
    Weights,
}

impl Privacy {
    pub fn name(self) -> &'static str {
        match self {
            Privacy::Full => "full",
            Privacy::Rounded => "rounded",
            Privacy::Weights => "weights",
        }
    }

    pub fn parse(s: &str) -> Option<Privacy> {
        match s {
            "full" => Some(Privacy::Full),
            "rounded" => Some(Privacy::Rounded),
            "weights" => Some(Privacy::Weights),
            _ => None,
        }
    }
}

/// Keys whose numbers are ratios, weights, returns or counts: kept at every level.
fn is_ratio(key: &str) -> bool {
    let k = key.to_lowercase();
    [
        "weight",
        "pct",
        "percent",
        "return",
        "rate",
        "ratio",
        "volatility",
        "sharpe",
        "sortino",
        "beta",
        "correlation",
        "drawdown",
        "var",
        "cvar",
        "success",
        "probability",
        "share_of",
        "twr",
        "xirr",
        "cagr",
        "count",
        "days",
        "years",
        "severity",
        "threshold",
        "score",
        "paths",
        "seed",
    ]
    .iter()
    .any(|w| k == *w || k.contains(w))
}

/// Keys whose numbers are labels, not amounts: kept as they are (a year rounded to 2000, or
/// an order id to two figures, would be wrong, and says nothing of the portfolio's size).
fn is_label(key: &str) -> bool {
    let k = key.to_lowercase();
    k == "year" || k == "id" || k.ends_with("_id") || k.ends_with("_ids") || k == "symbol"
}

/// Keys of free text written for people (an anomaly's reason, a report's warnings): they may
/// quote amounts, so below `full` their figures are masked.
fn is_prose(key: &str) -> bool {
    matches!(
        key,
        "reason" | "warnings" | "warning" | "message" | "note" | "notes" | "detail" | "details"
    )
}

/// `text` with every figure in it (as the number check reads them: not dates, years or small
/// counts) replaced by `[amount]`.
fn mask(text: &str) -> String {
    let mut out = text.to_string();
    for f in super::ground::figure_texts(text) {
        out = out.replace(&f, "[amount]");
    }
    out
}

/// `result` as `level` lets it leave the machine.
pub fn apply(level: Privacy, result: &Value) -> Value {
    match level {
        Privacy::Full => result.clone(),
        Privacy::Rounded => walk(result, None, &|_, x| round2(x)),
        Privacy::Weights => walk(result, None, &|key, x| {
            if key.is_some_and(is_ratio) {
                Some(x)
            } else {
                None
            }
        }),
    }
}

/// Maps every numeric leaf (numbers, decimal strings) under its key; None removes the value.
fn walk(v: &Value, key: Option<&str>, f: &dyn Fn(Option<&str>, f64) -> Option<f64>) -> Value {
    if key.is_some_and(is_label) {
        return v.clone();
    }
    if key.is_some_and(is_prose) {
        return match v {
            Value::String(s) => Value::String(mask(s)),
            Value::Array(a) => Value::Array(a.iter().map(|x| walk(x, key, f)).collect()),
            other => walk(other, None, f),
        };
    }
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(x) if !key.is_some_and(is_ratio) => f(key, x).map_or(Value::Null, num),
            _ => v.clone(),
        },
        Value::String(s) => match s.trim().parse::<Decimal>().ok().and_then(|d| d.to_f64()) {
            Some(x) if !key.is_some_and(is_ratio) => {
                f(key, x).map_or(Value::Null, |y| Value::String(format!("{y}")))
            }
            _ => v.clone(),
        },
        Value::Array(a) => Value::Array(a.iter().map(|x| walk(x, key, f)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), walk(x, Some(k), f)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn num(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// Two significant figures (12,345.67 becomes 12,000); small amounts below 100 are kept whole.
fn round2(x: f64) -> Option<f64> {
    if x == 0.0 || x.abs() < 100.0 {
        return Some(x.round());
    }
    let magnitude = 10f64.powi(x.abs().log10().floor() as i32 - 1);
    Some((x / magnitude).round() * magnitude)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn levels_keep_what_they_promise() {
        let r = json!({"market_value": "12345.67", "weight": 0.1234, "quantity": "37", "symbol": "VTI", "as_of": "2026-12-07",
            "year": 2026, "order_id": 12345, "reason": "Taxable has $37,224.26 in cash, 10.2% of the portfolio"});
        assert_eq!(apply(Privacy::Full, &r), r);
        let rounded = apply(Privacy::Rounded, &r);
        assert_eq!(rounded["market_value"], "12000");
        assert_eq!(rounded["weight"], 0.1234);
        assert_eq!(rounded["as_of"], "2026-12-07");
        assert_eq!(
            (rounded["year"].as_i64(), rounded["order_id"].as_i64()),
            (Some(2026), Some(12345))
        );
        assert_eq!(
            rounded["reason"],
            "Taxable has $[amount] in cash, [amount] of the portfolio"
        );
        let weights = apply(Privacy::Weights, &r);
        assert_eq!(weights["market_value"], Value::Null);
        assert_eq!(weights["quantity"], Value::Null);
        assert_eq!(weights["weight"], 0.1234);
        assert_eq!(weights["symbol"], "VTI");
    }
}
