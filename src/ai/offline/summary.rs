//! `summary()`: the one-line summary of a tool result shown beside the tool call in the pane.

use rust_decimal::Decimal;
use serde_json::Value;

use super::answer::{count, dec, found, list, money, money_at, qty_at, ratio_at, signed_at, text};

/// One short line for a tool result, shown beside the tool call in the pane.
pub fn summary(tool: &str, result: &Result<Value, String>) -> String {
    let v = match result {
        Err(e) => {
            return format!(
                "error: {}",
                first_chars(e.lines().next().unwrap_or(""), 120)
            );
        }
        Ok(v) => v,
    };
    let f = found(v);
    let r = f.report;
    let c = f.currency;
    let n = |key: &str| list(r, key).len();
    let line = match tool {
        "accounts" => count(n("accounts"), "account"),
        "dashboard" => r
            .get("summary")
            .map(|s| {
                format!(
                    "net worth {}, day {}",
                    money_at(s, "net_worth", c),
                    signed_at(s, "day_change", c)
                )
            })
            .unwrap_or_default(),
        "holdings" => {
            let value = list(r, "totals")
                .first()
                .map(|t| format!(", {} market value", money_at(t, "market_value", c)));
            format!(
                "{}{}",
                count(n("holdings"), "holding"),
                value.unwrap_or_default()
            )
        }
        "lots" => count(n("lots"), "open lot"),
        "realized_gains" => {
            let gain = list(r, "totals")
                .first()
                .map(|t| format!(", {} gain", signed_at(t, "total_gain", c)));
            format!(
                "{}{}",
                count(n("disposals"), "closed lot"),
                gain.unwrap_or_default()
            )
        }
        "transactions" => format!(
            "{} of {} transactions",
            n("transactions"),
            r.get("matched").and_then(Value::as_u64).unwrap_or(0)
        ),
        "cash" => {
            let total: Decimal = list(r, "balances")
                .iter()
                .filter(|b| text(b, "currency") == c)
                .filter_map(|b| dec(b, "balance"))
                .sum();
            format!(
                "{}, {} in {c}",
                count(n("balances"), "balance"),
                money(total, c)
            )
        }
        "harvest_candidates" => {
            let loss = r
                .get("summary")
                .map(|s| money_at(s, "harvestable_loss", c))
                .unwrap_or_default();
            format!(
                "{}, {loss} harvestable loss",
                count(n("candidates"), "candidate")
            )
        }
        "tax_report" => r
            .get("summary")
            .map(|s| {
                format!(
                    "{}: net short term {}, net long term {}",
                    r.get("year").map(Value::to_string).unwrap_or_default(),
                    signed_at(s, "net_short_term", c),
                    signed_at(s, "net_long_term", c)
                )
            })
            .unwrap_or_default(),
        "preview_trade" => {
            let side = if r.get("lots").is_some() {
                "sell"
            } else {
                "buy"
            };
            let head = format!("{side} {} {}", qty_at(r, "quantity"), text(r, "symbol"));
            if side == "sell" {
                format!(
                    "{head}: gain {} short, {} long, wash {}",
                    signed_at(r, "short_term_gain", c),
                    signed_at(r, "long_term_gain", c),
                    money_at(r, "wash_sale_disallowed", c)
                )
            } else {
                format!(
                    "{head}: washes {}, {} disallowed",
                    count(n("washes"), "sale"),
                    money_at(r, "wash_sale_disallowed", c)
                )
            }
        }
        "performance" => r
            .get("total")
            .map(|t| format!("TWR {}, XIRR {}", ratio_at(t, "twr"), ratio_at(t, "xirr")))
            .unwrap_or_default(),
        "risk" => r
            .get("portfolio")
            .map(|p| {
                format!(
                    "volatility {}, max drawdown {}",
                    ratio_at(p, "volatility"),
                    ratio_at(p.get("max_drawdown").unwrap_or(&Value::Null), "depth")
                )
            })
            .unwrap_or_default(),
        "anomalies" => {
            let findings = list(r, "findings");
            let critical = findings
                .iter()
                .filter(|x| text(x, "severity") == "critical")
                .count();
            format!("{} ({critical} critical)", count(findings.len(), "finding"))
        }
        "plan" => format!(
            "success {} over {} years",
            ratio_at(r, "success_rate"),
            r.get("years").map(Value::to_string).unwrap_or_default()
        ),
        "quotes" => {
            let missing = n("missing");
            if missing > 0 {
                format!("{}, {missing} missing", count(n("quotes"), "quote"))
            } else {
                count(n("quotes"), "quote")
            }
        }
        "orders" => {
            let open = list(r, "orders")
                .iter()
                .filter(|o| {
                    matches!(
                        text(o, "state"),
                        "submitting" | "submitted" | "working" | "partially-filled"
                    )
                })
                .count();
            format!("{} ({open} open)", count(n("orders"), "order"))
        }
        "fills" => count(n("fills"), "fill"),
        "draft_order" => format!("draft only, nothing sent: {}", text(r, "command")),
        "targets" => list(r, "sets")
            .first()
            .map(|set| {
                let rows = list(set, "rows");
                let out = rows
                    .iter()
                    .filter(|x| x.get("in_band").and_then(Value::as_bool) == Some(false))
                    .count();
                if out == 0 {
                    format!(
                        "{}, all within their bands",
                        count(rows.len(), "target row")
                    )
                } else {
                    format!("{out} of {} out of band", count(rows.len(), "target row"))
                }
            })
            .unwrap_or_default(),
        "rebalance" => r
            .get("plan")
            .filter(|p| p.is_object())
            .map(|p| {
                format!(
                    "{}, estimated tax {}, {} saved",
                    count(list(p, "trades").len(), "trade"),
                    money_at(p, "estimated_tax", c),
                    money_at(r, "tax_saved", c)
                )
            })
            .unwrap_or_default(),
        "stress" => list(r, "scenarios")
            .iter()
            .map(|s| {
                let pct = s
                    .get("totals")
                    .and_then(|t| dec(t, "pct_of_holdings"))
                    .map_or_else(|| "n/a".into(), |d| format!("{}%", d.normalize()));
                format!("{} {pct}", text(s, "id"))
            })
            .collect::<Vec<_>>()
            .join(", "),
        "frontier" => r
            .get("current")
            .and_then(|x| x.get("mix"))
            .filter(|m| m.is_object())
            .map(|m| {
                format!(
                    "now {} at {} volatility",
                    ratio_at(m, "expected_return"),
                    ratio_at(m, "volatility")
                )
            })
            .unwrap_or_default(),
        _ => String::new(),
    };
    if line.is_empty() { "ok".into() } else { line }
}

fn first_chars(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}
