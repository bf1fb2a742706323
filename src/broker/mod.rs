//! Order routing: the broker interface, folio's paper broker and Interactive Brokers, and the
//! journal that turns what a broker reports into order states and ledger transactions.
//!
//! Both brokers report in the same shapes ([`BrokerEvent`], modelled on IBKR's messages), so
//! the journal, the ledger, the tax engine and the wash-sale checks run one path for both.

pub mod ibkr;
pub mod journal;
pub mod paper;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::domain::Quote;
use crate::domain::order::{BrokerKind, Order, OrderRequest, Side};

/// How a broker names an order in a report: any of its keys may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderKey {
    /// folio's order reference (`folio:<id>-<token>`), when the report carries it.
    pub reference: Option<String>,
    pub perm_id: Option<i64>,
    pub client_id: Option<i64>,
    pub order_id: Option<i64>,
}

/// One thing a broker reported.
#[derive(Debug, Clone, PartialEq)]
pub enum BrokerEvent {
    /// An order's status (IBKR's OrderStatus): `status` as IBKR spells it (PreSubmitted,
    /// Submitted, Filled, Cancelled, Inactive...). A hint: executions are the truth of fills.
    Status {
        key: OrderKey,
        status: String,
        filled: Decimal,
        remaining: Decimal,
    },
    /// An order the broker has (IBKR's OpenOrder or CompletedOrder, live or in a snapshot).
    Open {
        key: OrderKey,
        status: String,
        account: Option<String>,
        symbol: String,
        side: Side,
        quantity: Decimal,
    },
    /// A fill.
    Execution {
        key: OrderKey,
        exec_id: String,
        account: String,
        symbol: String,
        side: Side,
        shares: Decimal,
        price: Decimal,
        time: DateTime<Utc>,
    },
    /// The commission of a fill, joined to it by execution id (it may come before or after it).
    Commission {
        exec_id: String,
        amount: Decimal,
        currency: String,
    },
    /// A message about an order (`order_id` Some) or the connection: IBKR's error codes.
    Notice {
        order_id: Option<i64>,
        code: i32,
        text: String,
    },
    /// The paper broker's stop order reached its stop (it now works as market or limit).
    Triggered { key: OrderKey },
}

/// What a notice means for an order (TRADING.md §1.5: IBKR's own classes are not enough).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeClass {
    /// The order is refused and will not work (201, 110, 200, a 399 without "Warning:"...).
    Rejected,
    /// A cancel's confirmation or a price check that cancels (202).
    Cancelled,
    /// A cancel that could not be done (10147 unknown id, 10148 already done, 161): the order's
    /// state is whatever the broker reports next, never concluded from the code.
    CancelFailed,
    /// Informational: the order lives (399 "Warning:", 2109, 10349, the 2100s).
    Warning,
    /// The connection to the broker (1100 lost, 1101/1102 restored: reconcile).
    Connectivity,
}

/// Classifies an IBKR message code and text.
pub fn classify(code: i32, text: &str) -> NoticeClass {
    match code {
        202 => NoticeClass::Cancelled,
        10147 | 10148 | 161 => NoticeClass::CancelFailed,
        1100 | 1101 | 1102 | 1300 | 2110 => NoticeClass::Connectivity,
        399 if text.lines().any(|l| l.trim_start().starts_with("Warning:")) => NoticeClass::Warning,
        103 | 109 | 110 | 200 | 201 | 203 | 321 | 383 | 399 | 451 | 10243 => NoticeClass::Rejected,
        _ => NoticeClass::Warning,
    }
}

/// What a broker says an order would cost before it is sent (IBKR's what-if).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct WhatIf {
    pub commission: Option<Decimal>,
    pub commission_currency: Option<String>,
    /// Initial margin after the order, and its change.
    pub init_margin_change: Option<Decimal>,
    pub init_margin_after: Option<Decimal>,
    pub maint_margin_after: Option<Decimal>,
    pub equity_with_loan_after: Option<Decimal>,
    /// The broker's warning, if it gave one.
    pub warning: Option<String>,
}

/// A broker could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// Nothing was sent (not connected, refused before the write).
    #[error("{0}")]
    NotSent(String),
    /// The broker refused or failed after the request went out.
    #[error("{0}")]
    Failed(String),
}

/// The broker interface: the paper broker and IBKR answer the same questions and report in
/// the same events. `submit` never retries by itself: an order goes out once, and only after
/// its intent is journaled.
#[allow(async_fn_in_trait)]
pub trait Broker {
    fn kind(&self) -> BrokerKind;
    /// The order id to send an order with, at least `floor` (the journal's high-water mark
    /// plus one). The paper broker uses folio's own order id and never asks.
    fn next_order_id(&self, floor: i64) -> i64 {
        floor
    }
    /// Orders go to a real-money account: each needs the typed confirmation.
    fn live(&self) -> bool {
        false
    }
    /// The quotes the order is priced on (the paper broker fills against them; a real broker
    /// has its own market).
    fn see(&self, _quotes: &[Quote]) {}
    /// The broker's own preview (commission, margin), where it offers one.
    async fn preview(&self, request: &OrderRequest) -> Result<Option<WhatIf>, BrokerError>;
    /// Sends the journaled `order` (its reference and broker order id are set).
    async fn submit(&self, order: &Order) -> Result<(), BrokerError>;
    async fn cancel(&self, order: &Order) -> Result<(), BrokerError>;
    /// Everything the broker knows now: open and completed orders, executions and their
    /// commissions (reconciliation applies it idempotently).
    async fn snapshot(&self) -> Result<Vec<BrokerEvent>, BrokerError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_that_look_like_errors_keep_the_order_alive() {
        assert_eq!(
            classify(
                399,
                "Order Message:\nBUY 10 AAPL NASDAQ.NMS\nWarning: your order will not be placed at the exchange until 2026-12-07 09:30:00 US/Eastern"
            ),
            NoticeClass::Warning
        );
        assert_eq!(
            classify(399, "Order Message:\nsomething else"),
            NoticeClass::Rejected
        );
        assert_eq!(
            classify(10349, "Order TIF was set to DAY based on order preset"),
            NoticeClass::Warning
        );
        assert_eq!(
            classify(2109, "Outside RTH order warning"),
            NoticeClass::Warning
        );
        assert_eq!(
            classify(201, "Order rejected - reason: margin"),
            NoticeClass::Rejected
        );
        assert_eq!(
            classify(10148, "cannot be cancelled, state: Filled."),
            NoticeClass::CancelFailed
        );
        assert_eq!(
            classify(202, "Order Canceled - reason:"),
            NoticeClass::Cancelled
        );
    }
}
