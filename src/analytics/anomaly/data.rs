//! Limits and data checks: drawdowns past the user's limits, concentration, stale prices,
//! negative cash, broker positions the ledger cannot explain, and price jumps that look like an
//! unrecorded split.

use chrono::NaiveDate;

use super::{Check, Context, Finding, Prices, Severity, Thresholds};
use crate::analytics::risk;

/// How close a price ratio must be to a split ratio (relative) to look like one.
pub const SPLIT_TOLERANCE: f64 = 0.03;
/// Split ratios checked (and their inverses, for reverse splits).
const RATIOS: [f64; 9] = [2.0, 3.0, 4.0, 5.0, 8.0, 10.0, 15.0, 20.0, 1.5];
/// A recorded split within this many days of the jump explains it.
const SPLIT_SLACK_DAYS: i64 = 5;

fn finding(
    check: Check,
    subject: &str,
    date: NaiveDate,
    value: f64,
    threshold: f64,
    severity: Severity,
    reason: String,
) -> Finding {
    Finding {
        check,
        subject: subject.to_string(),
        date,
        value,
        threshold,
        severity,
        reason,
    }
}

/// The portfolio's and each holding's current fall from its peak against the limits; critical
/// past one and a half times the limit.
pub fn drawdowns(ctx: &Context, as_of: NaiveDate, th: &Thresholds) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut check = |subject: &str, levels: &[(NaiveDate, f64)], limit: f64| {
        let upto = levels.partition_point(|(d, _)| *d <= as_of);
        let values: Vec<f64> = levels[..upto].iter().map(|(_, v)| *v).collect();
        let Some(dd) = risk::current_drawdown(&values) else {
            return;
        };
        if -dd > limit {
            let peak = values
                .iter()
                .copied()
                .enumerate()
                .fold((0, f64::MIN), |a, (i, v)| if v > a.1 { (i, v) } else { a });
            out.push(finding(
                Check::Drawdown,
                subject,
                levels[upto - 1].0,
                -dd,
                limit,
                if -dd > 1.5 * limit {
                    Severity::Critical
                } else {
                    Severity::Warning
                },
                format!(
                    "{subject} is {:.1}% below its peak of {} (the limit is {:.0}%)",
                    -dd * 100.0,
                    levels[peak.0].0,
                    limit * 100.0
                ),
            ));
        }
    };
    check(
        "portfolio",
        ctx.portfolio_levels,
        th.portfolio_drawdown_limit,
    );
    let held: std::collections::HashSet<&str> =
        ctx.weights.iter().map(|(s, _)| s.as_str()).collect();
    for p in &ctx.prices {
        if held.contains(p.symbol) {
            check(p.symbol, p.closes, th.holding_drawdown_limit);
        }
    }
    out
}

/// The largest weight against `max_weight`, and the effective number of holdings
/// (1 / sum of squared weights) against `min_effective_holdings`.
pub fn concentration(values: &[(String, f64)], as_of: NaiveDate, th: &Thresholds) -> Vec<Finding> {
    let total: f64 = values.iter().map(|(_, v)| v.max(0.0)).sum();
    if total <= 0.0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    let weights: Vec<(&str, f64)> = values
        .iter()
        .map(|(s, v)| (s.as_str(), v.max(0.0) / total))
        .collect();
    if let Some((s, w)) = weights.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1))
        && w > th.max_weight
    {
        out.push(finding(
            Check::Concentration,
            s,
            as_of,
            w,
            th.max_weight,
            if w > 2.0 * th.max_weight {
                Severity::Critical
            } else {
                Severity::Warning
            },
            format!(
                "{s} is {:.1}% of the holdings (the limit is {:.0}%)",
                w * 100.0,
                th.max_weight * 100.0
            ),
        ));
    }
    let hhi: f64 = weights.iter().map(|(_, w)| w * w).sum();
    let effective = 1.0 / hhi;
    if weights.len() > 1 && effective < th.min_effective_holdings {
        out.push(finding(
            Check::Concentration,
            "portfolio",
            as_of,
            effective,
            th.min_effective_holdings,
            Severity::Info,
            format!(
                "the {} holdings spread risk like {effective:.1} equal ones (sum of squared weights {hhi:.3}; the floor is {})",
                weights.len(),
                th.min_effective_holdings
            ),
        ));
    }
    out
}

/// Holdings whose latest close is more than `days` calendar days before `as_of`, or missing.
pub fn stale(last: &[(String, Option<NaiveDate>)], as_of: NaiveDate, days: i64) -> Vec<Finding> {
    last.iter()
        .filter_map(|(s, d)| match d {
            None => Some(finding(
                Check::StaleQuote,
                s,
                as_of,
                f64::INFINITY,
                days as f64,
                Severity::Warning,
                format!("{s} has no price at all: it is left out of values and risk (folio prices import FILE)"),
            )),
            Some(d) => {
                let age = (as_of - *d).num_days();
                (age > days).then(|| {
                    finding(
                        Check::StaleQuote,
                        s,
                        *d,
                        age as f64,
                        days as f64,
                        if age > 4 * days { Severity::Critical } else { Severity::Warning },
                        format!("{s}'s latest price is from {d}, {age} days before {as_of}: import newer prices or connect a quote source"),
                    )
                })
            }
        })
        .collect()
}

/// Every account and currency whose cash is below zero.
pub fn negative_cash(balances: &[(String, String, f64)], as_of: NaiveDate) -> Vec<Finding> {
    balances
        .iter()
        .filter(|(_, _, b)| *b < 0.0)
        .map(|(a, c, b)| {
            finding(
                Check::NegativeCash,
                &format!("{a} {c}"),
                as_of,
                *b,
                0.0,
                Severity::Warning,
                format!("{a} has {b:.2} {c} in cash: a deposit, dividend or sale is probably missing from the imports"),
            )
        })
        .collect()
}

/// Broker positions that differ from the ledger's.
pub fn unexplained(diffs: &[(String, String, f64, f64)], as_of: NaiveDate) -> Vec<Finding> {
    diffs
        .iter()
        .map(|(a, s, broker, ledger)| {
            finding(
                Check::UnexplainedPosition,
                s,
                as_of,
                broker - ledger,
                0.0,
                Severity::Critical,
                format!(
                    "the broker holds {broker} {s} in {a} and the ledger {ledger}: a trade, transfer or corporate action is missing (folio positions)"
                ),
            )
        })
        .collect()
}

/// Day-to-day price ratios within [`SPLIT_TOLERANCE`] of a split ratio (beyond the -30%/+42%
/// jump that no ordinary day makes), with no SPLIT recorded within a few days.
pub fn split_jumps(series: &[Prices]) -> Vec<Finding> {
    let mut out = Vec::new();
    for Prices {
        symbol,
        closes,
        splits,
    } in series
    {
        for w in closes.windows(2) {
            let ((_, a), (d, b)) = (w[0], w[1]);
            if a <= 0.0
                || b <= 0.0
                || (b / a).ln().abs() <= crate::analytics::montecarlo::estimate::JUMP
            {
                continue;
            }
            let ratio = a / b;
            let Some(split) = RATIOS
                .iter()
                .flat_map(|r| [*r, 1.0 / r])
                .find(|r| (ratio / r - 1.0).abs() <= SPLIT_TOLERANCE)
            else {
                continue;
            };
            if splits
                .iter()
                .any(|s| (*s - d).num_days().abs() <= SPLIT_SLACK_DAYS)
            {
                continue;
            }
            let (num, den) = if split >= 1.0 {
                (split, 1.0)
            } else {
                (1.0, 1.0 / split)
            };
            out.push(finding(
                Check::SplitJump,
                symbol,
                d,
                ratio,
                split,
                Severity::Critical,
                format!(
                    "{symbol} went from {a} to {b} on {d}, a {num}-for-{den} ratio, and the ledger has no SPLIT then: record it (action SPLIT, quantity {ratio:.4}) or fix the price"
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_price_halving_without_a_split_is_flagged_and_a_recorded_one_is_not() {
        let closes = [
            (d("2025-06-02"), 200.0),
            (d("2025-06-03"), 201.0),
            (d("2025-06-04"), 100.4),
            (d("2025-06-05"), 99.0),
        ];
        let f = split_jumps(&[Prices {
            symbol: "X",
            closes: &closes,
            splits: vec![],
        }]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].date, d("2025-06-04"));
        assert!(f[0].reason.contains("2-for-1"), "{}", f[0].reason);
        assert!(
            split_jumps(&[Prices {
                symbol: "X",
                closes: &closes,
                splits: vec![d("2025-06-04")]
            }])
            .is_empty()
        );
        // A 45% crash is not a split ratio; an ordinary day is not a jump.
        let crash = [
            (d("2025-06-02"), 100.0),
            (d("2025-06-03"), 55.0),
            (d("2025-06-04"), 56.0),
        ];
        assert!(
            split_jumps(&[Prices {
                symbol: "X",
                closes: &crash,
                splits: vec![]
            }])
            .is_empty()
        );
        // A 1-for-10 reverse split.
        let reverse = [(d("2025-06-02"), 1.5), (d("2025-06-03"), 15.2)];
        let f = split_jumps(&[Prices {
            symbol: "Y",
            closes: &reverse,
            splits: vec![],
        }]);
        assert!(f[0].reason.contains("1-for-10"), "{}", f[0].reason);
    }

    #[test]
    fn a_fall_past_the_limit_is_a_drawdown_and_a_rising_series_is_quiet() {
        let th = Thresholds::default();
        let days: Vec<NaiveDate> = (0..10)
            .map(|i| d("2025-01-01") + chrono::Days::new(i))
            .collect();
        let falling: Vec<(NaiveDate, f64)> = days
            .iter()
            .zip([
                100.0, 110.0, 120.0, 100.0, 90.0, 80.0, 78.0, 79.0, 80.0, 81.0,
            ])
            .map(|(d, v)| (*d, v))
            .collect();
        let rising: Vec<(NaiveDate, f64)> = days
            .iter()
            .enumerate()
            .map(|(i, d)| (*d, 100.0 + i as f64))
            .collect();
        let ctx = Context {
            weights: vec![("X".into(), 1.0), ("Y".into(), 1.0)],
            prices: vec![
                Prices {
                    symbol: "X",
                    closes: &falling,
                    splits: vec![],
                },
                Prices {
                    symbol: "Y",
                    closes: &rising,
                    splits: vec![],
                },
            ],
            portfolio_levels: &rising,
            ..Context::default()
        };
        let f = drawdowns(&ctx, d("2025-01-10"), &th);
        assert_eq!(f.len(), 1, "{f:?}");
        // 81 / 120 - 1 = -32.5%: past the 30% limit, not past 45%.
        assert_eq!(f[0].subject, "X");
        assert!((f[0].value - 0.325).abs() < 1e-12);
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(f[0].reason.contains("2025-01-03"), "{}", f[0].reason);
        // As of the trough's day it was -35%; before the fall, nothing.
        assert!((drawdowns(&ctx, d("2025-01-07"), &th)[0].value - 0.35).abs() < 1e-12);
        assert!(drawdowns(&ctx, d("2025-01-03"), &th).is_empty());
    }

    #[test]
    fn concentration_reports_the_largest_weight_and_the_effective_number() {
        let th = Thresholds::default();
        let v = vec![
            ("A".to_string(), 600.0),
            ("B".to_string(), 200.0),
            ("C".to_string(), 200.0),
        ];
        let f = concentration(&v, d("2025-01-01"), &th);
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].subject, "A");
        assert!((f[0].value - 0.6).abs() < 1e-12);
        assert_eq!(f[0].severity, Severity::Critical);
        // 1 / (0.36 + 0.04 + 0.04)
        assert!((f[1].value - 1.0 / 0.44).abs() < 1e-12);
        let even: Vec<(String, f64)> = (0..10).map(|i| (format!("S{i}"), 100.0)).collect();
        assert!(concentration(&even, d("2025-01-01"), &th).is_empty());
        assert!(concentration(&[], d("2025-01-01"), &th).is_empty());
    }

    #[test]
    fn stale_prices_negative_cash_and_broker_differences() {
        let as_of = d("2025-03-10");
        let last = vec![
            ("OK".to_string(), Some(d("2025-03-07"))),
            ("OLD".to_string(), Some(d("2025-02-20"))),
            ("NONE".to_string(), None),
        ];
        let f = stale(&last, as_of, 5);
        let subjects: Vec<&str> = f.iter().map(|f| f.subject.as_str()).collect();
        assert_eq!(subjects, ["OLD", "NONE"]);
        assert_eq!(f[0].value, 18.0);
        let f = negative_cash(&[("IRA".into(), "USD".into(), -12.5)], as_of);
        assert_eq!(f[0].subject, "IRA USD");
        let f = unexplained(&[("IRA".into(), "VTI".into(), 10.0, 0.0)], as_of);
        assert_eq!((f[0].value, f[0].severity), (10.0, Severity::Critical));
    }
}
