//! Orders: what a ticket asks for, the states an order goes through, executions, and the
//! commission and market-hours rules the checks and the paper broker share. No IO here.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::America::New_York;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Named, Quote, Relief};

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Buy,
    Sell,
}

impl Named for Side {
    const ALL: &'static [(Self, &'static str, &'static str)] = &[
        (Side::Buy, "buy", "a purchase"),
        (Side::Sell, "sell", "a sale"),
    ];
}

impl Side {
    /// BUY or SELL, as the broker and a typed confirmation spell it.
    pub fn upper(self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }
}

/// How the order is priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OrderType {
    Market,
    Limit,
    Stop,
    StopLimit,
}

impl Named for OrderType {
    const ALL: &'static [(Self, &'static str, &'static str)] = &[
        (OrderType::Market, "market", "at the best price available"),
        (OrderType::Limit, "limit", "at the limit price or better"),
        (
            OrderType::Stop,
            "stop",
            "a market order once the last trade reaches the stop",
        ),
        (
            OrderType::StopLimit,
            "stop-limit",
            "a limit order once the last trade reaches the stop",
        ),
    ];
}

impl OrderType {
    /// IBKR's name: MKT, LMT, STP, STP LMT.
    pub fn ibkr(self) -> &'static str {
        match self {
            OrderType::Market => "MKT",
            OrderType::Limit => "LMT",
            OrderType::Stop => "STP",
            OrderType::StopLimit => "STP LMT",
        }
    }
}

/// How long the order works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Tif {
    /// Until the close of the day it was placed (16:00 New York; 20:00 outside regular hours).
    #[default]
    Day,
    /// Until filled or cancelled.
    Gtc,
}

impl Named for Tif {
    const ALL: &'static [(Self, &'static str, &'static str)] = &[
        (Tif::Day, "day", "until today's close"),
        (Tif::Gtc, "gtc", "good till cancelled"),
    ];
}

/// Which broker an order goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BrokerKind {
    /// folio's own simulation: fills against the quotes folio sees, nothing leaves the machine.
    #[default]
    Paper,
    /// Interactive Brokers through TWS or IB Gateway ([ibkr] in the config).
    Ibkr,
}

impl Named for BrokerKind {
    const ALL: &'static [(Self, &'static str, &'static str)] = &[
        (
            BrokerKind::Paper,
            "paper",
            "folio's simulated broker (nothing leaves the machine)",
        ),
        (
            BrokerKind::Ibkr,
            "ibkr",
            "Interactive Brokers through TWS or IB Gateway",
        ),
    ];
}

/// Where an order is in its life. Journaled before anything is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OrderState {
    /// Journaled with its order id; the send is under way (or the process died during it).
    Submitting,
    /// The broker has it and has not said yet that it works.
    Submitted,
    /// Working at the broker (or held until its market opens or a quote arrives).
    Working,
    PartiallyFilled,
    Filled,
    Cancelled,
    Rejected,
    /// A day order that reached its close unfilled.
    Expired,
    /// The send failed before it reached the broker: never sent.
    SendFailed,
    /// Journaled, but the broker has no trace of it after reconciling: it may never have
    /// arrived. folio never resends it; place a new order if it is still wanted.
    Lost,
}

impl Named for OrderState {
    const ALL: &'static [(Self, &'static str, &'static str)] = &[
        (
            OrderState::Submitting,
            "submitting",
            "journaled, being sent",
        ),
        (OrderState::Submitted, "submitted", "at the broker"),
        (OrderState::Working, "working", "working at the broker"),
        (
            OrderState::PartiallyFilled,
            "partially-filled",
            "partly filled, the rest working",
        ),
        (OrderState::Filled, "filled", "filled"),
        (OrderState::Cancelled, "cancelled", "cancelled"),
        (OrderState::Rejected, "rejected", "refused by the broker"),
        (OrderState::Expired, "expired", "a day order past its close"),
        (
            OrderState::SendFailed,
            "send-failed",
            "never reached the broker",
        ),
        (
            OrderState::Lost,
            "lost",
            "no trace at the broker after reconciling",
        ),
    ];
}

impl OrderState {
    /// Still able to fill: shown as working, cancellable.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            OrderState::Submitting
                | OrderState::Submitted
                | OrderState::Working
                | OrderState::PartiallyFilled
        )
    }

    pub fn as_str(self) -> &'static str {
        self.name()
    }
}

impl fmt::Display for OrderState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrderState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::from_name(s).ok_or_else(|| format!("unknown order state '{s}'"))
    }
}

/// What a ticket asks for, checked field by field before anything is journaled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OrderRequest {
    /// The ledger account the order is for.
    pub account: String,
    pub symbol: String,
    pub side: Side,
    /// Whole shares, more than 0.
    pub quantity: Decimal,
    pub order_type: OrderType,
    /// Limit price (limit and stop-limit orders).
    pub limit: Option<Decimal>,
    /// Stop price (stop and stop-limit orders).
    pub stop: Option<Decimal>,
    pub tif: Tif,
    /// May work outside regular hours (limit-type orders only).
    pub outside_rth: bool,
    /// A sale: the lots it relieves (None: the account's method).
    pub relief: Option<Relief>,
}

/// An order as the journal knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Order {
    /// folio's order id (what `folio cancel ID` takes).
    pub id: i64,
    /// The order reference sent with it (`folio:<id>-<token>`): how the broker's records are
    /// matched to it, even after a crash or a gateway restart.
    pub reference: String,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub broker: BrokerKind,
    /// Sent to a live (real-money) account.
    pub live: bool,
    #[serde(flatten)]
    pub request: OrderRequest,
    pub state: OrderState,
    /// The broker's order id (IBKR: per API client id) and its permanent id.
    pub broker_order_id: Option<i64>,
    pub perm_id: Option<i64>,
    pub client_id: Option<i64>,
    /// The broker account (IBKR: DU1234567).
    pub broker_account: Option<String>,
    /// Shares filled so far and their average price (from the executions).
    pub filled: Decimal,
    pub avg_price: Option<Decimal>,
    /// Commission charged so far (from the commission reports).
    pub commission: Decimal,
    /// The broker's last word on it (a rejection's reason, a warning).
    pub reason: Option<String>,
    pub cancel_requested: bool,
    /// Paper stops: the stop was reached and the order now works as a market or limit order.
    pub triggered: bool,
}

impl Order {
    pub fn remaining(&self) -> Decimal {
        (self.request.quantity - self.filled).max(Decimal::ZERO)
    }
}

/// One fill, as the broker reported it. Keyed by the execution id up to its last '.': a
/// correction (`.02`) replaces the execution it corrects (`.01`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Execution {
    pub exec_id: String,
    /// folio's order id, when the fill is of a journaled order (None: placed elsewhere).
    pub order: Option<i64>,
    pub broker_account: String,
    pub symbol: String,
    pub side: Side,
    pub quantity: Decimal,
    pub price: Decimal,
    pub time: DateTime<Utc>,
    /// The trade date in New York (holding periods and wash-sale windows count from it).
    pub trade_date: NaiveDate,
    /// None until the commission report arrives.
    pub commission: Option<Decimal>,
    /// The ledger transaction it became.
    pub transaction: Option<i64>,
}

/// An execution id's key and revision: `0001f4e8.6560a1b2.01.02` is key `0001f4e8.6560a1b2.01`,
/// revision 2. An id without a numeric suffix is its own key, revision 0.
pub fn exec_key(exec_id: &str) -> (&str, u32) {
    match exec_id.rsplit_once('.') {
        Some((base, rev)) if !base.is_empty() => match rev.parse::<u32>() {
            Ok(n) => (base, n),
            Err(_) => (exec_id, 0),
        },
        _ => (exec_id, 0),
    }
}

/// A commission schedule per order: `per_share`, at least `minimum`, at most `max_rate` of the
/// trade's value (IBKR Pro Fixed for US stocks: 0.005, 1.00, 1%).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    pub per_share: Decimal,
    pub minimum: Decimal,
    pub max_rate: Decimal,
}

impl Schedule {
    pub const IBKR_FIXED: Schedule = Schedule {
        per_share: Decimal::from_parts(5, 0, 0, false, 3),
        minimum: Decimal::ONE,
        max_rate: Decimal::from_parts(1, 0, 0, false, 2),
    };

    /// The commission on an order of `shares` worth `value` in all.
    pub fn commission(&self, shares: Decimal, value: Decimal) -> Decimal {
        if shares <= Decimal::ZERO {
            return Decimal::ZERO;
        }
        let c = (self.per_share * shares).max(self.minimum);
        let cap = self.max_rate * value.abs();
        // The cap never takes the charge below zero, and a cent rounding keeps it payable.
        let mut c = if cap > Decimal::ZERO { c.min(cap) } else { c }.round_dp(2);
        c.rescale(2);
        c
    }

    /// The charge for one fill of an order: the schedule on everything filled so far minus what
    /// was charged before, so the fills of an order add up to the order's commission.
    pub fn fill_charge(
        &self,
        before: (Decimal, Decimal),
        fill_shares: Decimal,
        fill_value: Decimal,
    ) -> Decimal {
        let (shares, value) = before;
        self.commission(shares + fill_shares, value + fill_value) - self.commission(shares, value)
    }
}

/// The reference price of an order against a quote: what a market order would pay (the ask
/// to buy, the bid to sell), else the last trade.
pub fn touch(side: Side, q: &Quote) -> Decimal {
    match side {
        Side::Buy => q.ask.unwrap_or(q.last),
        Side::Sell => q.bid.unwrap_or(q.last),
    }
}

/// New York's regular session, 09:30 to 16:00 on weekdays (exchange holidays are not known).
pub fn regular_hours(at: DateTime<Utc>) -> bool {
    let ny = at.with_timezone(&New_York);
    let t = ny.time();
    !matches!(ny.weekday(), Weekday::Sat | Weekday::Sun)
        && t >= NaiveTime::from_hms_opt(9, 30, 0).unwrap_or_default()
        && t < NaiveTime::from_hms_opt(16, 0, 0).unwrap_or_default()
}

/// The day in New York at `at` (the trade date of a fill).
pub fn new_york_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&New_York).date_naive()
}

/// When a day order placed at `placed` stops working: 16:00 New York on its trading day, or
/// 20:00 when it may work outside regular hours. Placed after that, the next weekday's.
pub fn day_order_end(placed: DateTime<Utc>, outside_rth: bool) -> DateTime<Utc> {
    let close = if outside_rth { 20 } else { 16 };
    let ny = placed.with_timezone(&New_York);
    let mut day = ny.date_naive();
    if ny.time() >= NaiveTime::from_hms_opt(close, 0, 0).unwrap_or_default() {
        day = day.succ_opt().unwrap_or(day);
    }
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day = day.succ_opt().unwrap_or(day);
    }
    let end = day.and_hms_opt(close, 0, 0).unwrap_or_default();
    New_York
        .from_local_datetime(&end)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(placed)
}

/// IBKR's execution time, e.g. `20261105 10:31:02 US/Eastern` (or without a zone, taken as
/// New York; or epoch seconds).
pub fn parse_broker_time(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(secs) = t.parse::<i64>() {
        return DateTime::from_timestamp(secs, 0);
    }
    let mut parts = t.split_whitespace();
    let day = parts.next()?;
    let time = parts.next()?;
    let zone = parts.next();
    let local = chrono::NaiveDateTime::parse_from_str(&format!("{day} {time}"), "%Y%m%d %H:%M:%S")
        .or_else(|_| {
            chrono::NaiveDateTime::parse_from_str(&format!("{day} {time}"), "%Y%m%d-%H:%M:%S")
        })
        .ok()?;
    let tz: chrono_tz::Tz = match zone {
        None => New_York,
        Some(z) => z.parse().ok()?,
    };
    tz.from_local_datetime(&local)
        .earliest()
        .map(|x| x.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn fixed_commission_has_a_floor_and_a_cap() {
        let s = Schedule::IBKR_FIXED;
        assert_eq!(s.commission(dec!(100), dec!(25000)), dec!(1.00));
        assert_eq!(s.commission(dec!(1000), dec!(250000)), dec!(5.00));
        // 1% of a $50 trade caps the $1 minimum.
        assert_eq!(s.commission(dec!(10), dec!(50)), dec!(0.50));
        assert_eq!(s.commission(dec!(0), dec!(0)), dec!(0));
    }

    #[test]
    fn fill_charges_add_up_to_the_order_commission() {
        let s = Schedule::IBKR_FIXED;
        let fills = [
            (dec!(150), dec!(15000)),
            (dec!(250), dec!(25000)),
            (dec!(600), dec!(60000)),
        ];
        let mut before = (dec!(0), dec!(0));
        let mut total = dec!(0);
        for (q, v) in fills {
            total += s.fill_charge(before, q, v);
            before = (before.0 + q, before.1 + v);
        }
        assert_eq!(total, s.commission(dec!(1000), dec!(100000)));
        assert_eq!(total, dec!(5.00));
    }

    #[test]
    fn exec_ids_key_by_prefix() {
        assert_eq!(
            exec_key("0001f4e8.6560a1b2.01.02"),
            ("0001f4e8.6560a1b2.01", 2)
        );
        assert_eq!(exec_key("P7.1.01"), ("P7.1", 1));
        assert_eq!(exec_key("abc"), ("abc", 0));
        assert_eq!(exec_key("x.yz"), ("x.yz", 0));
    }

    #[test]
    fn hours_and_day_ends_are_new_york_time() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // 2026-12-04 is a Friday; New York is UTC-5 in December.
        assert!(regular_hours(t("2026-12-04T15:00:00Z")));
        assert!(!regular_hours(t("2026-12-04T14:00:00Z")));
        assert!(!regular_hours(t("2026-12-05T15:00:00Z")));
        assert_eq!(
            day_order_end(t("2026-12-04T15:00:00Z"), false),
            t("2026-12-04T21:00:00Z")
        );
        // After the close on Friday: Monday's close.
        assert_eq!(
            day_order_end(t("2026-12-04T22:00:00Z"), false),
            t("2026-12-07T21:00:00Z")
        );
        assert_eq!(
            day_order_end(t("2026-12-04T22:00:00Z"), true),
            t("2026-12-05T01:00:00Z")
        );
        assert_eq!(
            parse_broker_time("20261204 10:31:02 US/Eastern"),
            Some(t("2026-12-04T15:31:02Z"))
        );
        assert_eq!(
            new_york_date(t("2026-12-05T03:00:00Z")).to_string(),
            "2026-12-04"
        );
    }
}
