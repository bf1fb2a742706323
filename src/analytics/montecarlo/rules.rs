//! The withdrawal rules: each year's withdrawal, decided at the start of the year from the
//! value then, the price level and what the rule did before.

use super::{Strategy, Withdrawal};

/// What a rule remembers from year to year on one path.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RuleState {
    /// Last year's withdrawal (nominal).
    pub last: f64,
    /// The price level last year.
    pub last_cpi: f64,
    /// The first year's withdrawal rate (withdrawal / value).
    pub initial_rate: f64,
    /// Real amount of the first withdrawal (constant-real).
    pub real: f64,
}

/// The nominal withdrawal for a year.
/// `k`: years since withdrawals started (0 the first); `left`: the years left in the plan,
/// this one included; `value`: the portfolio at the start of the year (nominal); `cpi`: the
/// price level now (1 today).
pub fn yearly_withdrawal(
    strategy: Strategy,
    first: Withdrawal,
    state: &mut RuleState,
    k: usize,
    left: usize,
    value: f64,
    cpi: f64,
) -> f64 {
    let opening = |value: f64| match first {
        Withdrawal::None => 0.0,
        Withdrawal::Rate(r) => r * value,
        Withdrawal::Amount(a) => a * cpi,
    };
    let w = match strategy {
        Strategy::ConstantReal => {
            if k == 0 {
                state.real = opening(value) / cpi;
            }
            state.real * cpi
        }
        Strategy::ConstantNominal => {
            if k == 0 {
                opening(value)
            } else {
                state.last
            }
        }
        Strategy::Percent { floor, ceiling } => {
            let rate = match first {
                Withdrawal::Rate(r) => r,
                _ => 0.0,
            };
            let mut w = rate * value;
            if let Some(c) = ceiling {
                w = w.min(c * cpi);
            }
            if let Some(f) = floor {
                w = w.max(f * cpi);
            }
            w
        }
        Strategy::GuytonKlinger => {
            if k == 0 {
                let w = opening(value);
                state.initial_rate = if value > 0.0 { w / value } else { 0.0 };
                w
            } else {
                let planned = state.last * cpi / state.last_cpi;
                let rate = if value > 0.0 {
                    planned / value
                } else {
                    f64::INFINITY
                };
                if rate > state.initial_rate * 1.2 && left > 15 {
                    planned * 0.9
                } else if rate < state.initial_rate * 0.8 {
                    planned * 1.1
                } else {
                    planned
                }
            }
        }
        Strategy::Vpw { real_return } => {
            // The payment at the start of each year that spends `value` over `left` years.
            let n = left.max(1) as f64;
            let rate = if real_return.abs() < 1e-12 {
                1.0 / n
            } else {
                let r = real_return;
                r / ((1.0 + r) * (1.0 - (1.0 + r).powf(-n)))
            };
            rate * value
        }
    };
    state.last = w;
    state.last_cpi = cpi;
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a rule over a fixed path: returns per year, inflation per year; withdrawals at the
    /// start of each year. Returns (withdrawals, end values).
    fn walk(
        strategy: Strategy,
        first: Withdrawal,
        start: f64,
        returns: &[f64],
        inflation: &[f64],
    ) -> (Vec<f64>, Vec<f64>) {
        let mut state = RuleState::default();
        let (mut v, mut cpi) = (start, 1.0);
        let (mut ws, mut vs) = (Vec::new(), Vec::new());
        for (k, (r, i)) in returns.iter().zip(inflation).enumerate() {
            let w = yearly_withdrawal(strategy, first, &mut state, k, returns.len() - k, v, cpi);
            v = (v - w) * (1.0 + r);
            cpi *= 1.0 + i;
            ws.push(w);
            vs.push(v);
        }
        (ws, vs)
    }

    fn close(a: &[f64], b: &[f64]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-6, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn constant_real_follows_inflation() {
        // 4% of 1,000,000; inflation 10% then 0%: 40,000, 44,000, 44,000.
        let (w, v) = walk(
            Strategy::ConstantReal,
            Withdrawal::Rate(0.04),
            1_000_000.0,
            &[0.1, -0.2, 0.0],
            &[0.1, 0.0, 0.0],
        );
        close(&w, &[40_000.0, 44_000.0, 44_000.0]);
        // (1,000,000 - 40,000) 1.1 = 1,056,000; (1,056,000 - 44,000) 0.8 = 809,600; - 44,000.
        close(&v, &[1_056_000.0, 809_600.0, 765_600.0]);
    }

    #[test]
    fn constant_nominal_ignores_inflation() {
        let (w, _) = walk(
            Strategy::ConstantNominal,
            Withdrawal::Amount(30_000.0),
            500_000.0,
            &[0.05, 0.05],
            &[0.1, 0.1],
        );
        close(&w, &[30_000.0, 30_000.0]);
    }

    #[test]
    fn percent_has_a_floor_and_a_ceiling_in_real_dollars() {
        // 5% of 1,000,000 = 50,000 (ceiling 45,000); then value (955,000) 0.5 = 477,500:
        // 5% = 23,875, under the floor 30,000 x 1.1 (inflation) = 33,000.
        let (w, v) = walk(
            Strategy::Percent {
                floor: Some(30_000.0),
                ceiling: Some(45_000.0),
            },
            Withdrawal::Rate(0.05),
            1_000_000.0,
            &[-0.5, 0.0, 0.0],
            &[0.1, 0.0, 0.0],
        );
        close(&w[..2], &[45_000.0, 33_000.0]);
        close(&v[..2], &[477_500.0, 444_500.0]);
        // 5% of 444,500 = 22,225 < 33,000: the floor again.
        close(&w[2..], &[33_000.0]);
    }

    #[test]
    fn guyton_klinger_cuts_and_raises() {
        // 30 years. Year 0: 5% of 1,000,000 = 50,000, initial rate 5%.
        // Year 1: value (950,000) 0.6 = 570,000; planned 50,000 x 1.02 = 51,000; rate 8.9% > 6%
        // and 29 years left: cut 10% -> 45,900.
        // Year 2: value (570,000 - 45,900) 2 = 1,048,200; planned 45,900 (no inflation); rate
        // 4.38%: inside the guardrails -> 45,900.
        // Year 3: value (1,048,200 - 45,900) 1.5 = 1,503,450; rate 3.05% < 4%: raise 10% -> 50,490.
        let mut returns = vec![-0.4, 1.0, 0.5];
        let mut inflation = vec![0.02, 0.0, 0.0];
        returns.resize(30, 0.0);
        inflation.resize(30, 0.0);
        let (w, _) = walk(
            Strategy::GuytonKlinger,
            Withdrawal::Rate(0.05),
            1_000_000.0,
            &returns,
            &inflation,
        );
        close(&w[..4], &[50_000.0, 45_900.0, 45_900.0, 50_490.0]);
    }

    #[test]
    fn guyton_klinger_stops_cutting_in_the_last_15_years() {
        // 15 years in all: a rate far above the guardrail is adjusted for inflation only.
        let mut returns = vec![-0.5];
        let mut inflation = vec![0.1];
        returns.resize(15, 0.0);
        inflation.resize(15, 0.0);
        let (w, _) = walk(
            Strategy::GuytonKlinger,
            Withdrawal::Rate(0.05),
            1_000_000.0,
            &returns,
            &inflation,
        );
        close(&w[..2], &[50_000.0, 55_000.0]);
    }

    #[test]
    fn vpw_pays_an_annuity_over_the_years_left() {
        // 3 years at 0% real: 1/3, then 1/2, then all of what is left.
        let (w, v) = walk(
            Strategy::Vpw { real_return: 0.0 },
            Withdrawal::None,
            900.0,
            &[0.0, 0.0, 0.0],
            &[0.0, 0.0, 0.0],
        );
        close(&w, &[300.0, 300.0, 300.0]);
        close(&v, &[600.0, 300.0, 0.0]);
        // 2 years at 10%: 1,000 x 0.1 / (1.1 (1 - 1.1^-2)) = 523.81; flat returns make the
        // second payment 476.19 x 1.0 (all that is left).
        let (w, _) = walk(
            Strategy::Vpw { real_return: 0.1 },
            Withdrawal::None,
            1000.0,
            &[0.0, 0.0],
            &[0.0, 0.0],
        );
        close(&w, &[523.809524, 476.190476]);
    }
}
