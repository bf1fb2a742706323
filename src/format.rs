//! Numbers for people, shared by the CLI tables and the cockpit.

use rust_decimal::Decimal;

use crate::domain::order::{BrokerKind, OrderRequest, OrderType};

/// Money for people: 2 decimals and thousands separators, e.g. -12,345.60.
pub fn money(d: Decimal) -> String {
    group(d.round_dp(2), 2)
}

/// A quantity for people: as many decimals as it has, thousands separators.
/// Money, or nothing for zero (an adjustment column where most rows have none).
pub fn money_or_blank(d: Decimal) -> String {
    if d.is_zero() { String::new() } else { money(d) }
}

pub fn qty(d: Decimal) -> String {
    let n = d.normalize();
    group(n, n.scale())
}

/// A price for people: at least 2 decimals, up to 4.
pub fn price(d: Decimal) -> String {
    let n = d.round_dp(4).normalize();
    group(n, n.scale().max(2))
}

pub fn pct(d: Decimal) -> String {
    format!("{:.2}%", d.round_dp(2))
}

/// A signed change in percentage points, one decimal ("+2.5", "-0.4", "+0.0": never "-0.0").
pub fn points(d: Decimal) -> String {
    let r = d.round_dp(1);
    if r.is_zero() {
        "+0.0".to_string()
    } else {
        format!("{r:+.1}")
    }
}

pub fn opt(v: Option<Decimal>, f: fn(Decimal) -> String) -> String {
    v.map(f).unwrap_or_else(|| "-".to_string())
}

fn group(d: Decimal, scale: u32) -> String {
    let s = format!("{:.*}", scale as usize, d.abs());
    let (int, frac) = s
        .split_once('.')
        .map(|(a, b)| (a, Some(b)))
        .unwrap_or((&s, None));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    if d.is_sign_negative() && !d.is_zero() {
        format!("-{out}")
    } else {
        out
    }
}

/// A change with its sign: +1,234.50 or -12.00.
pub fn signed_money(d: Decimal) -> String {
    let s = money(d);
    if d.round_dp(2).is_sign_positive() && !d.round_dp(2).is_zero() {
        format!("+{s}")
    } else {
        s
    }
}

/// A percentage change with its sign: +1.25% or -0.40%.
pub fn signed_pct(d: Decimal) -> String {
    let d = d.round_dp(2);
    if d.is_sign_positive() && !d.is_zero() {
        format!("+{d:.2}%")
    } else {
        format!("{d:.2}%")
    }
}

/// A ratio (0.1234) as a signed percentage with `dp` places ("+12.34%"); "-" for None.
pub fn ratio_pct(x: Option<f64>, dp: usize) -> String {
    match x {
        Some(x) if x.is_finite() => format!("{:+.dp$}%", x * 100.0),
        _ => "-".into(),
    }
}

/// A statistic with `dp` places; "-" for None.
pub fn stat(x: Option<f64>, dp: usize) -> String {
    match x {
        Some(x) if x.is_finite() => format!("{x:.dp$}"),
        _ => "-".into(),
    }
}

/// An amount a person typed: 1000000, 1,000,000, $250k, 1.5m. None when it is not one, or
/// negative, or above 10^12.
pub fn parse_amount(s: &str) -> Option<Decimal> {
    let t: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | '_' | '$' | ' '))
        .collect();
    let (digits, factor) = match t.chars().last().map(|c| c.to_ascii_lowercase()) {
        Some('k') => (&t[..t.len() - 1], Decimal::from(1_000)),
        Some('m') => (&t[..t.len() - 1], Decimal::from(1_000_000)),
        _ => (t.as_str(), Decimal::ONE),
    };
    digits
        .parse::<Decimal>()
        .ok()
        .and_then(|d| d.checked_mul(factor))
        .filter(|d| *d >= Decimal::ZERO && *d <= Decimal::from(1_000_000_000_000i64))
}

/// A rate or a share as a person types it, read as a fraction by one rule everywhere (the
/// command line, the cockpit's fields, the MCP tools): a bare number is a fraction and a number
/// with `%` is a percent, so `0.04` and `4%` are both 0.04. Signs are kept; callers check ranges
/// with [`rate_in`].
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let t = s.trim();
    match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
        None => t.parse::<f64>(),
    }
    .ok()
    .filter(|v| v.is_finite())
    .ok_or_else(|| format!("'{t}' is not a rate; write a fraction (0.04) or a percent (4%)"))
}

/// [`parse_rate`] within `lo..=hi` (fractions). A bare number out of range that fits as a
/// percent is pointed out: "4" is 400%, and the message says to write 4% or 0.04.
pub fn rate_in(s: &str, lo: f64, hi: f64) -> Result<f64, String> {
    let v = parse_rate(s)?;
    if (lo..=hi).contains(&v) {
        return Ok(v);
    }
    let t = s.trim();
    let range = format!("{} to {}", percent_text(lo), percent_text(hi));
    if !t.ends_with('%') && (lo..=hi).contains(&(v / 100.0)) {
        return Err(format!(
            "'{t}' is {}; a bare number is a fraction, so write {t}% or {} (from {range})",
            percent_text(v),
            v / 100.0
        ));
    }
    Err(format!("'{t}' is {}: use {range}", percent_text(v)))
}

/// A fraction as a percent for messages: 0.04 -> "4%", 0.0025 -> "0.25%".
pub fn percent_text(x: f64) -> String {
    let p = (x * 100.0 * 1e6).round() / 1e6;
    format!("{p}%")
}

/// A statistic's amount in whole units with thousands separators: 1234567.8 -> "1,234,568".
pub fn whole_dollars(x: f64) -> String {
    use rust_decimal::prelude::FromPrimitive;
    Decimal::from_f64(x.round()).map_or_else(
        || format!("{x:.0}"),
        |d| money(d).trim_end_matches(".00").to_string(),
    )
}

/// An order in a few words: `BUY 10 VTI limit 250.00`, `SELL 5 AAPL stop 180.00 limit 179.00`,
/// `BUY 3 VTI at market`.
pub fn order(r: &OrderRequest) -> String {
    let p = |d: Option<Decimal>| price(d.unwrap_or_default());
    let how = match r.order_type {
        OrderType::Market => "at market".to_string(),
        OrderType::Limit => format!("limit {}", p(r.limit)),
        OrderType::Stop => format!("stop {}", p(r.stop)),
        OrderType::StopLimit => format!("stop {} limit {}", p(r.stop), p(r.limit)),
    };
    format!("{} {} {} {how}", r.side.upper(), qty(r.quantity), r.symbol)
}

/// Where an order goes, as a person reads it: Paper, IBKR, or LIVE IBKR (real money).
pub fn broker(kind: BrokerKind, live: bool) -> &'static str {
    match (kind, live) {
        (BrokerKind::Paper, _) => "Paper",
        (BrokerKind::Ibkr, false) => "IBKR",
        (BrokerKind::Ibkr, true) => "LIVE IBKR",
    }
}

/// Who answers a chat, and whether your figures leave the machine, as the command line and
/// the Chat pane both say it: `offline assistant · on this machine`, `ollama (qwen3:8b) · on
/// this machine`, `anthropic (claude-x) sees your figures · privacy rounded`.
pub fn chat_provider(provider: &str, model: &str, remote: bool, privacy: &str) -> String {
    let who = match (provider, model.is_empty()) {
        ("offline", _) => "offline assistant".to_string(),
        (p, true) => p.to_string(),
        (p, false) => format!("{p} ({model})"),
    };
    if remote {
        format!("{who} sees your figures · privacy {privacy}")
    } else {
        format!("{who} · on this machine")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn signed_values_carry_their_sign() {
        assert_eq!(signed_money(dec!(1234.5)), "+1,234.50");
        assert_eq!(signed_money(dec!(-12)), "-12.00");
        assert_eq!(signed_money(dec!(0.001)), "0.00");
        assert_eq!(signed_pct(dec!(1.254)), "+1.25%");
        assert_eq!(signed_pct(dec!(-0.4)), "-0.40%");
    }

    #[test]
    fn rates_are_fractions_unless_written_as_percents() {
        assert_eq!(parse_rate("0.04"), Ok(0.04));
        assert_eq!(parse_rate(" 4% "), Ok(0.04));
        assert_eq!(parse_rate("-1.5%"), Ok(-0.015));
        assert!(parse_rate("4 percent").unwrap_err().contains("not a rate"));
        assert!(parse_rate("NaN").is_err());
        assert_eq!(rate_in("0.5%", 0.0, 1.0), Ok(0.005));
        let err = rate_in("4", 0.0, 1.0).unwrap_err();
        assert!(
            err.contains("'4' is 400%") && err.contains("write 4% or 0.04"),
            "{err}"
        );
        let err = rate_in("250%", 0.0, 1.0).unwrap_err();
        assert_eq!(err, "'250%' is 250%: use 0% to 100%");
    }
}
