//! A tax year's realized gains: netting by term, the ordinary-income offset and carry-forward,
//! the marginal saving of one more loss, and the Form 8949-style report. Pure.
//!
//! Netting follows Schedule D: short-term losses against short-term gains, long-term against
//! long-term, then the two nets against each other; a net loss offsets ordinary income up to the
//! yearly limit (short-term first) and the rest carries forward keeping its character. Losses
//! carried in from earlier years enter their own term's net.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::domain::{AccountKind, Term};
use crate::ledger::{Book, Disposal, Policy};

/// Rates as fractions and amounts in the report currency.
#[derive(Debug, Clone, PartialEq)]
pub struct Rates {
    /// On short-term gains and ordinary income.
    pub short_term: Decimal,
    pub long_term: Decimal,
    /// Net capital loss deductible from ordinary income per year.
    pub offset_limit: Decimal,
    /// Losses carried into the first year of the ledger with sales, from before it (positive);
    /// later years carry forward what the ledger computes.
    pub carry_in_short: Decimal,
    pub carry_in_long: Decimal,
}

/// One year's realized figures in taxable accounts, after wash sales, and what they net to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct YearSummary {
    pub year: i32,
    pub short_term_gains: Decimal,
    /// Positive amounts.
    pub short_term_losses: Decimal,
    pub long_term_gains: Decimal,
    pub long_term_losses: Decimal,
    /// Losses disallowed by wash sales this year (not in the losses above).
    pub wash_sale_disallowed: Decimal,
    pub carried_in_short: Decimal,
    pub carried_in_long: Decimal,
    /// Net short and long term, carry-ins included.
    pub net_short_term: Decimal,
    pub net_long_term: Decimal,
    /// Net loss deducted from ordinary income, and what is left of the yearly limit.
    pub ordinary_offset_used: Decimal,
    pub ordinary_offset_unused: Decimal,
    /// Loss carried into next year, by character (positive).
    pub carry_out_short: Decimal,
    pub carry_out_long: Decimal,
}

/// The year's disposals in taxable accounts (sales inside IRAs and Roth IRAs are not taxable
/// events).
pub fn taxable_disposals<'a>(
    book: &'a Book,
    policy: &'a Policy,
    year: i32,
) -> impl Iterator<Item = &'a Disposal> {
    book.realized
        .iter()
        .filter(move |d| d.sold.year() == year && policy.kind(&d.account) == AccountKind::Taxable)
}

/// The year's figures from its disposals and the losses carried in `(short, long)`.
pub fn year_summary<'a>(
    disposals: impl IntoIterator<Item = &'a Disposal>,
    year: i32,
    rates: &Rates,
    carried_in: (Decimal, Decimal),
) -> YearSummary {
    let mut s = YearSummary {
        year,
        carried_in_short: carried_in.0,
        carried_in_long: carried_in.1,
        ..YearSummary::default()
    };
    for d in disposals {
        let (gains, losses) = match d.term {
            Term::Short => (&mut s.short_term_gains, &mut s.short_term_losses),
            Term::Long => (&mut s.long_term_gains, &mut s.long_term_losses),
        };
        if d.gain >= Decimal::ZERO {
            *gains += d.gain;
        } else {
            *losses -= d.gain;
        }
        s.wash_sale_disallowed += d.disallowed;
    }
    s.net_short_term = s.short_term_gains - s.short_term_losses - s.carried_in_short;
    s.net_long_term = s.long_term_gains - s.long_term_losses - s.carried_in_long;
    let n = net(s.net_short_term, s.net_long_term, rates.offset_limit);
    s.ordinary_offset_used = n.offset;
    s.ordinary_offset_unused = rates.offset_limit - n.offset;
    s.carry_out_short = n.carry_short;
    s.carry_out_long = n.carry_long;
    s
}

/// Losses carried into `year`: the configured carry-in enters the first year with taxable sales
/// in `currency`, and each year's carry-out is the next year's carry-in.
pub fn carried_into(
    book: &Book,
    policy: &Policy,
    year: i32,
    currency: &str,
    rates: &Rates,
) -> (Decimal, Decimal) {
    let first = book
        .realized
        .iter()
        .filter(|d| d.currency == currency && policy.kind(&d.account) == AccountKind::Taxable)
        .map(|d| d.sold.year())
        .min()
        .unwrap_or(year);
    if year < first {
        return (Decimal::ZERO, Decimal::ZERO);
    }
    let mut carry = (rates.carry_in_short, rates.carry_in_long);
    for y in first..year {
        let s = year_summary(
            taxable_disposals(book, policy, y).filter(|d| d.currency == currency),
            y,
            rates,
            carry,
        );
        carry = (s.carry_out_short, s.carry_out_long);
    }
    carry
}

/// The year of `as_of` up to that day.
pub fn year_to_date(
    book: &Book,
    policy: &Policy,
    as_of: NaiveDate,
    currency: &str,
    rates: &Rates,
) -> YearSummary {
    let year = as_of.year();
    year_summary(
        taxable_disposals(book, policy, year).filter(|d| d.sold <= as_of && d.currency == currency),
        year,
        rates,
        carried_into(book, policy, year, currency, rates),
    )
}

/// The result of netting one year's short- and long-term nets.
struct Netted {
    /// Net gains left taxable.
    short_gain: Decimal,
    long_gain: Decimal,
    /// Ordinary income offset by a net loss.
    offset: Decimal,
    carry_short: Decimal,
    carry_long: Decimal,
}

fn net(st: Decimal, lt: Decimal, limit: Decimal) -> Netted {
    let zero = Decimal::ZERO;
    let mut out = Netted {
        short_gain: zero,
        long_gain: zero,
        offset: zero,
        carry_short: zero,
        carry_long: zero,
    };
    match (st >= zero, lt >= zero) {
        (true, true) => {
            out.short_gain = st;
            out.long_gain = lt;
        }
        (false, true) | (true, false) if st + lt >= zero => {
            // One net absorbs the other: what remains keeps the character of the gain.
            if st >= zero {
                out.short_gain = st + lt;
            } else {
                out.long_gain = st + lt;
            }
        }
        _ => {
            // A net loss: short-term loss is used against ordinary income first.
            let short_loss = (-st).max(zero) - lt.max(zero).min((-st).max(zero));
            let long_loss = (-lt).max(zero) - st.max(zero).min((-lt).max(zero));
            let short_used = short_loss.min(limit);
            let long_used = long_loss.min(limit - short_used);
            out.offset = short_used + long_used;
            out.carry_short = short_loss - short_used;
            out.carry_long = long_loss - long_used;
        }
    }
    out
}

/// The tax the year's net position costs (negative: saves), valuing ordinary income offset at
/// the short-term rate and losses carried forward at the long-term rate (a conservative value
/// for a deduction that comes later).
fn tax_effect(st: Decimal, lt: Decimal, rates: &Rates) -> Decimal {
    let n = net(st, lt, rates.offset_limit);
    n.short_gain * rates.short_term + n.long_gain * rates.long_term
        - n.offset * rates.short_term
        - (n.carry_short + n.carry_long) * rates.long_term
}

/// The tax that realizing `short` and `long` more (gains positive, losses negative) adds to the
/// year so far, after netting (negative: it saves tax).
pub fn added_tax(year: &YearSummary, short: Decimal, long: Decimal, rates: &Rates) -> Decimal {
    let (st, lt) = (year.net_short_term, year.net_long_term);
    (tax_effect(st + short, lt + long, rates) - tax_effect(st, lt, rates)).round_dp(2)
}

/// The tax saved by realizing `loss` (positive) of `term` on top of the year so far: it offsets
/// short-term gains, then long-term gains, then ordinary income up to the limit, then carries
/// forward, each at its own rate (a long-term loss meets long-term gains first).
pub fn marginal_saving(year: &YearSummary, loss: Decimal, term: Term, rates: &Rates) -> Decimal {
    let (st, lt) = (year.net_short_term, year.net_long_term);
    let after = match term {
        Term::Short => tax_effect(st - loss, lt, rates),
        Term::Long => tax_effect(st, lt - loss, rates),
    };
    (tax_effect(st, lt, rates) - after).round_dp(2)
}

/// One line of the report: a closed lot in a taxable account.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ReportRow {
    /// "50 sh VTI".
    pub description: String,
    pub account: String,
    pub symbol: String,
    pub quantity: Decimal,
    /// Trade date of the shares sold.
    pub acquired: NaiveDate,
    /// Where the holding period starts (earlier when carried over from a wash sale).
    pub holding_period_from: NaiveDate,
    pub sold: NaiveDate,
    pub proceeds: Decimal,
    pub cost_basis: Decimal,
    /// "W" for a wash sale, empty otherwise.
    pub code: String,
    /// The disallowed loss, added back (positive).
    pub adjustment: Decimal,
    pub gain: Decimal,
    pub term: Term,
    pub currency: String,
}

#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct TermTotal {
    pub proceeds: Decimal,
    pub cost_basis: Decimal,
    pub adjustment: Decimal,
    pub gain: Decimal,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Report {
    pub year: i32,
    pub rows: Vec<ReportRow>,
    pub short_term: TermTotal,
    pub long_term: TermTotal,
    /// The year's netting; None for a report on one account.
    pub summary: Option<YearSummary>,
    /// Currencies other than the report's whose rows are listed but left out of the totals.
    pub other_currencies: Vec<String>,
}

/// Every lot closed in `year` in a taxable account (in `account` only, when given), ordered by
/// sale date, with totals by term in `currency`, and the year's netting (the whole return's:
/// None for one account).
pub fn report(
    book: &Book,
    policy: &Policy,
    year: i32,
    currency: &str,
    rates: &Rates,
    account: Option<&str>,
) -> Report {
    let mut rows: Vec<ReportRow> = taxable_disposals(book, policy, year)
        .filter(|d| account.is_none_or(|a| d.account == a))
        .map(|d| ReportRow {
            description: format!("{} sh {}", d.quantity.normalize(), d.symbol),
            account: d.account.clone(),
            symbol: d.symbol.clone(),
            quantity: d.quantity,
            acquired: d.purchased,
            holding_period_from: d.acquired,
            sold: d.sold,
            proceeds: d.proceeds,
            cost_basis: d.cost,
            code: if d.disallowed.is_zero() { "" } else { "W" }.into(),
            adjustment: d.disallowed,
            gain: d.gain,
            term: d.term,
            currency: d.currency.clone(),
        })
        .collect();
    rows.sort_by(|a, b| (a.sold, &a.symbol, a.acquired).cmp(&(b.sold, &b.symbol, b.acquired)));
    let mut short_term = TermTotal::default();
    let mut long_term = TermTotal::default();
    let mut other_currencies: Vec<String> = Vec::new();
    for r in &rows {
        if r.currency != currency {
            if !other_currencies.contains(&r.currency) {
                other_currencies.push(r.currency.clone());
            }
            continue;
        }
        let t = match r.term {
            Term::Short => &mut short_term,
            Term::Long => &mut long_term,
        };
        t.proceeds += r.proceeds;
        t.cost_basis += r.cost_basis;
        t.adjustment += r.adjustment;
        t.gain += r.gain;
    }
    let summary = account.is_none().then(|| {
        year_summary(
            taxable_disposals(book, policy, year).filter(|d| d.currency == currency),
            year,
            rates,
            carried_into(book, policy, year, currency, rates),
        )
    });
    Report {
        year,
        rows,
        short_term,
        long_term,
        summary,
        other_currencies,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn rates() -> Rates {
        Rates {
            short_term: dec!(0.30),
            long_term: dec!(0.15),
            offset_limit: dec!(3000),
            carry_in_short: dec!(0),
            carry_in_long: dec!(0),
        }
    }

    fn year(st: Decimal, lt: Decimal) -> YearSummary {
        YearSummary {
            net_short_term: st,
            net_long_term: lt,
            ..YearSummary::default()
        }
    }

    #[test]
    fn netting_follows_schedule_d() {
        // Short-term loss 10,000 against long-term gain 4,000: 6,000 net short-term loss,
        // 3,000 against ordinary income, 3,000 carried forward short-term.
        let n = net(dec!(-10000), dec!(4000), dec!(3000));
        assert_eq!(
            (n.offset, n.carry_short, n.carry_long),
            (dec!(3000), dec!(3000), dec!(0))
        );
        // Both nets losses: the short-term loss uses the limit first.
        let n = net(dec!(-2000), dec!(-5000), dec!(3000));
        assert_eq!(
            (n.offset, n.carry_short, n.carry_long),
            (dec!(3000), dec!(0), dec!(4000))
        );
        // A long-term loss smaller than the short-term gain leaves a short-term gain.
        let n = net(dec!(5000), dec!(-2000), dec!(3000));
        assert_eq!(
            (n.short_gain, n.long_gain, n.offset),
            (dec!(3000), dec!(0), dec!(0))
        );
        // Married filing separately: 1,500.
        let n = net(dec!(-2000), dec!(0), dec!(1500));
        assert_eq!((n.offset, n.carry_short), (dec!(1500), dec!(500)));
    }

    #[test]
    fn a_loss_saves_at_the_rate_of_what_it_offsets_in_order() {
        let r = rates();
        // 1,000 of short-term gains: a 1,000 short-term loss saves 30%.
        assert_eq!(
            marginal_saving(&year(dec!(1000), dec!(0)), dec!(1000), Term::Short, &r),
            dec!(300)
        );
        // Only long-term gains: a short-term loss offsets them at 15%.
        assert_eq!(
            marginal_saving(&year(dec!(0), dec!(1000)), dec!(1000), Term::Short, &r),
            dec!(150)
        );
        // 500 short-term gain, then 3,000 ordinary income, then carry-forward:
        // 500 x 0.30 + 3,000 x 0.30 + 1,500 x 0.15 = 1,275.
        assert_eq!(
            marginal_saving(&year(dec!(500), dec!(0)), dec!(5000), Term::Short, &r),
            dec!(1275)
        );
        // A long-term loss meets long-term gains first (15%), then short-term gains (30%).
        assert_eq!(
            marginal_saving(&year(dec!(1000), dec!(1000)), dec!(2000), Term::Long, &r),
            dec!(450)
        );
        // The yearly offset already used up: only carry-forward value.
        assert_eq!(
            marginal_saving(&year(dec!(-3000), dec!(0)), dec!(1000), Term::Short, &r),
            dec!(150)
        );
    }

    #[test]
    fn the_summary_counts_wash_adjusted_gains_and_carry_ins() {
        let r = rates();
        let d = |gain: Decimal, term, disallowed: Decimal| Disposal {
            account: "T".into(),
            symbol: "X".into(),
            acquired: NaiveDate::MIN,
            purchased: NaiveDate::MIN,
            sold: NaiveDate::MIN,
            quantity: dec!(1),
            proceeds: dec!(0),
            cost: dec!(0),
            disallowed,
            permanent: dec!(0),
            washed: dec!(0),
            replacement: false,
            gain,
            term,
            currency: "USD".into(),
            sold_by: 1,
            opened_by: 1,
        };
        let ds = [
            d(dec!(1200), Term::Short, dec!(0)),
            d(dec!(-4000), Term::Short, dec!(0)),
            d(dec!(0), Term::Short, dec!(700)),
            d(dec!(300), Term::Long, dec!(0)),
        ];
        let s = year_summary(&ds, 2025, &r, (dec!(0), dec!(500)));
        assert_eq!(
            (s.short_term_gains, s.short_term_losses, s.long_term_gains),
            (dec!(1200), dec!(4000), dec!(300))
        );
        assert_eq!(s.wash_sale_disallowed, dec!(700));
        // ST -2,800; LT 300 - 500 = -200; net loss 3,000: the whole offset, nothing carried.
        assert_eq!(
            (s.net_short_term, s.net_long_term),
            (dec!(-2800), dec!(-200))
        );
        assert_eq!(
            (
                s.ordinary_offset_used,
                s.ordinary_offset_unused,
                s.carry_out_short,
                s.carry_out_long
            ),
            (dec!(3000), dec!(0), dec!(0), dec!(0))
        );
    }
}
