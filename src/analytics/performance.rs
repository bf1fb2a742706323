//! Returns: daily-linked time-weighted return, money-weighted XIRR, CAGR and the contribution of
//! each holding (../shared/TAX_AND_ANALYTICS.md section 4). Pure: the days come in as data.

use chrono::NaiveDate;

/// One valuation day: the value at its end and the external flows during it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlowDay {
    pub date: NaiveDate,
    pub value: f64,
    /// Deposits and transfers in, counted at the start of the day.
    pub inflow: f64,
    /// Withdrawals and transfers out, counted at its end.
    pub outflow: f64,
}

/// The time-weighted return of a period.
#[derive(Debug, Clone, PartialEq)]
pub struct Twr {
    /// Linked return over the period (0.1 is +10%).
    pub cumulative: f64,
    /// Each day's return, d_t; 0 on a day with nothing invested.
    pub daily: Vec<f64>,
    /// Days with nothing invested at their start (before the first deposit, after a full
    /// withdrawal, or with a value at or below zero): their return is 0, not -100%.
    pub idle_days: usize,
}

/// Daily-linked TWR: d_t = (V_t + Out_t) / (V_{t-1} + In_t) - 1, starting from `start` (the
/// value at the end of the day before the first). A day whose denominator is zero or negative
/// had nothing invested: it returns 0 and is counted in `idle_days`, so a full withdrawal ends
/// the series at the return earned until then instead of -100%.
pub fn twr(start: f64, days: &[FlowDay]) -> Twr {
    let mut prev = start;
    let mut growth = 1.0;
    let mut daily = Vec::with_capacity(days.len());
    let mut idle_days = 0;
    for d in days {
        let base = prev + d.inflow;
        let r = if base > 0.0 {
            (d.value + d.outflow) / base - 1.0
        } else {
            idle_days += 1;
            0.0
        };
        growth *= 1.0 + r;
        daily.push(r);
        prev = d.value;
    }
    Twr {
        cumulative: growth - 1.0,
        daily,
        idle_days,
    }
}

/// (1 + r)^(365 / days) - 1; None for a period shorter than a year, where annualising would
/// extrapolate a few weeks' luck (GIPS does not annualise those either).
pub fn annualise(r: f64, days: i64) -> Option<f64> {
    (days >= 365 && r > -1.0).then(|| (1.0 + r).powf(365.0 / days as f64) - 1.0)
}

/// Growth of the value itself, flows included: (end / start)^(365 / days) - 1. None without a
/// starting value or under a year.
pub fn cagr(start: f64, end: f64, days: i64) -> Option<f64> {
    if start <= 0.0 || end < 0.0 {
        return None;
    }
    annualise(end / start - 1.0, days)
}

/// The money-weighted return: the rate r with sum CF_i / (1 + r)^((d_i - d_0) / 365) = 0.
/// Deposits are negative, withdrawals and the final value positive. Newton's method from 10%,
/// falling back to bisection over a bracket where the sum changes sign; None when there is no
/// sign change (all flows one way) or no root, rather than a number that means nothing.
pub fn xirr(flows: &[(NaiveDate, f64)]) -> Option<f64> {
    let first = flows.iter().map(|(d, _)| *d).min()?;
    let cf: Vec<(f64, f64)> = flows
        .iter()
        .filter(|(_, a)| *a != 0.0)
        .map(|(d, a)| ((*d - first).num_days() as f64 / 365.0, *a))
        .collect();
    if !(cf.iter().any(|(_, a)| *a > 0.0) && cf.iter().any(|(_, a)| *a < 0.0)) {
        return None;
    }
    let npv = |r: f64| cf.iter().map(|(t, a)| a / (1.0 + r).powf(*t)).sum::<f64>();
    let slope = |r: f64| {
        cf.iter()
            .map(|(t, a)| -t * a / (1.0 + r).powf(t + 1.0))
            .sum::<f64>()
    };
    let close_enough = |r: f64| npv(r).abs() <= 1e-9 * cf.iter().map(|(_, a)| a.abs()).sum::<f64>();
    let mut r = 0.1;
    for _ in 0..50 {
        let (f, df) = (npv(r), slope(r));
        if !f.is_finite() || df == 0.0 || !df.is_finite() {
            break;
        }
        let next = r - f / df;
        if !next.is_finite() || next <= -1.0 {
            break;
        }
        if (next - r).abs() < 1e-12 {
            return close_enough(next).then_some(next);
        }
        r = next;
    }
    // Bisection: scan outward from 0 for a sign change, then halve it.
    let grid = [
        -0.999_999, -0.99, -0.9, -0.5, -0.2, 0.0, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0, 1e4, 1e6,
    ];
    let (mut lo, mut hi) = grid.windows(2).map(|w| (w[0], w[1])).find(|(a, b)| {
        let (fa, fb) = (npv(*a), npv(*b));
        fa.is_finite() && fb.is_finite() && fa.signum() != fb.signum()
    })?;
    let f_lo = npv(lo);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if npv(mid).signum() == f_lo.signum() {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-12 {
            break;
        }
    }
    let r = 0.5 * (lo + hi);
    close_enough(r).then_some(r)
}

/// Each holding's contribution to the return: the sum over days of its profit that day
/// (change in value, less money put in, plus income) over what was invested at the day's
/// start (V_{t-1} + In_t). The contributions of all holdings and of cash add up to the sum of the
/// daily returns (not exactly to the linked return, which compounds).
pub fn contributions(
    start: f64,
    days: &[FlowDay],
    profit: impl Fn(usize, usize) -> f64,
    n: usize,
) -> Vec<f64> {
    let mut out = vec![0.0; n];
    let mut prev = start;
    for (t, d) in days.iter().enumerate() {
        let base = prev + d.inflow;
        if base > 0.0 {
            for (i, c) in out.iter_mut().enumerate() {
                *c += profit(t, i) / base;
            }
        }
        prev = d.value;
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
    fn xirr_matches_excels_example() {
        let flows = [
            (d("2008-01-01"), -10000.0),
            (d("2008-03-01"), 2750.0),
            (d("2008-10-30"), 4250.0),
            (d("2009-02-15"), 3250.0),
            (d("2009-04-01"), 2750.0),
        ];
        let r = xirr(&flows).unwrap();
        assert!((r - 0.373362535).abs() < 1e-8, "{r}");
        // The order of the flows does not matter.
        let mut rev = flows;
        rev.reverse();
        assert!((xirr(&rev).unwrap() - r).abs() < 1e-12);
    }

    #[test]
    fn xirr_without_a_sign_change_has_no_answer() {
        assert_eq!(
            xirr(&[(d("2020-01-01"), -100.0), (d("2021-01-01"), -5.0)]),
            None
        );
        assert_eq!(xirr(&[]), None);
        // Nearly everything lost: Newton overshoots below -100%, bisection finds -99.5%.
        let r = xirr(&[(d("2020-01-01"), -100.0), (d("2020-12-31"), 0.5)]).unwrap();
        assert!((r + 0.995).abs() < 1e-9, "{r}");
        // Money doubled in a year.
        let r = xirr(&[(d("2020-01-01"), -100.0), (d("2020-12-31"), 200.0)]).unwrap();
        assert!((r - 1.0).abs() < 1e-9, "{r}");
    }

    /// By hand: 1000 at the start; +10% on day 1; a 500 deposit at the start of day 2, which
    /// then returns (1600 / 1600) = 0; day 3 +5% with 400 withdrawn at its end:
    /// d3 = (1280 + 400) / 1600 - 1 = 0.05. Linked: 1.1 x 1.0 x 1.05 - 1 = 0.155.
    #[test]
    fn twr_links_days_around_a_deposit_and_a_withdrawal() {
        let days = [
            FlowDay {
                date: d("2025-01-02"),
                value: 1100.0,
                inflow: 0.0,
                outflow: 0.0,
            },
            FlowDay {
                date: d("2025-01-03"),
                value: 1600.0,
                inflow: 500.0,
                outflow: 0.0,
            },
            FlowDay {
                date: d("2025-01-06"),
                value: 1280.0,
                inflow: 0.0,
                outflow: 400.0,
            },
        ];
        let t = twr(1000.0, &days);
        assert!((t.cumulative - 0.155).abs() < 1e-12, "{}", t.cumulative);
        assert!((t.daily[0] - 0.1).abs() < 1e-12);
        assert!(t.daily[1].abs() < 1e-12);
        assert!((t.daily[2] - 0.05).abs() < 1e-12);
        assert_eq!(t.idle_days, 0);
    }

    #[test]
    fn a_full_withdrawal_ends_the_return_instead_of_making_it_minus_100() {
        let days = [
            FlowDay {
                date: d("2025-01-02"),
                value: 1100.0,
                inflow: 0.0,
                outflow: 0.0,
            },
            // Everything taken out at the end of a +1% day.
            FlowDay {
                date: d("2025-01-03"),
                value: 0.0,
                inflow: 0.0,
                outflow: 1111.0,
            },
            FlowDay {
                date: d("2025-01-06"),
                value: 0.0,
                inflow: 0.0,
                outflow: 0.0,
            },
        ];
        let t = twr(1000.0, &days);
        assert!((t.cumulative - 0.111).abs() < 1e-12, "{}", t.cumulative);
        assert_eq!(t.idle_days, 1);
        // Starting from nothing: the first deposit is the base.
        let days = [
            FlowDay {
                date: d("2025-01-02"),
                value: 0.0,
                inflow: 0.0,
                outflow: 0.0,
            },
            FlowDay {
                date: d("2025-01-03"),
                value: 1020.0,
                inflow: 1000.0,
                outflow: 0.0,
            },
        ];
        let t = twr(0.0, &days);
        assert!((t.cumulative - 0.02).abs() < 1e-12);
        assert_eq!(t.idle_days, 1);
        assert_eq!(twr(0.0, &[]).cumulative, 0.0);
    }

    #[test]
    fn annualising_needs_a_year() {
        assert_eq!(annualise(0.1, 200), None);
        assert!((annualise(0.21, 730).unwrap() - 0.1).abs() < 1e-3);
        assert!((cagr(100.0, 121.0, 730).unwrap() - 0.1).abs() < 1e-3);
        assert_eq!(cagr(0.0, 121.0, 730), None);
    }

    #[test]
    fn contributions_add_up_to_the_daily_returns() {
        // Two holdings and no cash: 600 + 400, then 660 (+60) and 380 (-20).
        let days = [FlowDay {
            date: d("2025-01-02"),
            value: 1040.0,
            inflow: 0.0,
            outflow: 0.0,
        }];
        let profit = [[60.0, -20.0]];
        let c = contributions(1000.0, &days, |t, i| profit[t][i], 2);
        assert!((c[0] - 0.06).abs() < 1e-12 && (c[1] + 0.02).abs() < 1e-12);
        assert!((c.iter().sum::<f64>() - twr(1000.0, &days).cumulative).abs() < 1e-12);
    }
}
