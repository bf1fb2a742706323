//! Tests of the offline assistant: reading questions, the plans, the answers and the summaries.

use super::answer::unknown;
use super::*;

fn syms() -> Vec<String> {
    [
        "AAPL", "AGG", "BND", "IEFA", "IEMG", "ITOT", "JNJ", "MSFT", "ON", "VOO", "VTI", "VWO",
        "VXUS",
    ]
    .map(String::from)
    .to_vec()
}

fn accts() -> Vec<String> {
    ["IRA", "Taxable", "Roth IRA"].map(String::from).to_vec()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
}

fn plan_of(q: &str) -> Plan {
    let (s, a) = (syms(), accts());
    plan(
        q,
        &Context {
            today: today(),
            symbols: &s,
            accounts: &a,
        },
    )
}

fn tools(p: &Plan) -> Vec<&'static str> {
    p.lookups.iter().map(|l| l.tool).collect()
}

#[track_caller]
fn expect(q: &str, intent: Intent, tools_: &[&str]) -> Plan {
    let p = plan_of(q);
    assert_eq!(p.intent, intent, "intent of {q:?}");
    assert_eq!(tools(&p), tools_, "tools of {q:?}");
    p
}

#[test]
fn holdings_questions() {
    for q in [
        "What do I own?",
        "show my portfolio",
        "my positions",
        "Holdings",
        "what shares do I hold",
    ] {
        expect(q, Intent::Holdings, &["holdings"]);
    }
    let p = expect("what do I hold in my IRA?", Intent::Holdings, &["holdings"]);
    assert_eq!(p.lookups[0].args, json!({"account": "IRA"}));
    let p = expect("holdings in my roth ira", Intent::Holdings, &["holdings"]);
    assert_eq!(
        p.lookups[0].args,
        json!({"account": "Roth IRA"}),
        "the longest account name wins"
    );
    expect("vti", Intent::Holdings, &["holdings"]);
    let p = expect("show me my IRA", Intent::Holdings, &["holdings"]);
    assert_eq!(p.lookups[0].args, json!({"account": "IRA"}));
}

#[test]
fn cash_and_net_worth() {
    let p = expect(
        "How much cash do I have?",
        Intent::Cash,
        &["cash", "dashboard"],
    );
    assert_eq!(p.lookups[1].args, json!({"history": "7d"}));
    let p = expect("cash in taxable", Intent::Cash, &["cash"]);
    assert_eq!(p.lookups[0].args, json!({"account": "Taxable"}));
    for q in [
        "What's my net worth?",
        "show the dashboard",
        "what is my portfolio worth",
        "allocation?",
    ] {
        expect(q, Intent::NetWorth, &["dashboard"]);
    }
}

#[test]
fn gains_and_losses() {
    for q in [
        "What are my biggest gains?",
        "biggest losers",
        "top unrealized losses",
        "which holdings are losing money",
    ] {
        expect(q, Intent::Movers, &["dashboard"]);
    }
    expect("biggest gains in my IRA", Intent::Movers, &["holdings"]);
    let p = expect(
        "realized gains this year",
        Intent::Realized,
        &["realized_gains"],
    );
    assert_eq!(p.lookups[0].args, json!({"year": 2026}));
    let p = expect(
        "What did I realize last year?",
        Intent::Realized,
        &["realized_gains"],
    );
    assert_eq!(p.lookups[0].args, json!({"year": 2025}));
    let p = expect(
        "short and long term capital gains in 2024 for MSFT",
        Intent::Realized,
        &["realized_gains"],
    );
    assert_eq!(p.lookups[0].args, json!({"year": 2024, "symbol": "MSFT"}));
    let p = expect("realized gains", Intent::Realized, &["realized_gains"]);
    assert_eq!(
        p.lookups[0].args,
        json!({"year": 2026}),
        "this year by default"
    );
}

#[test]
fn harvest_and_tax() {
    for q in [
        "Can I harvest any losses?",
        "tax-loss harvesting candidates",
        "tax loss opportunities?",
    ] {
        expect(q, Intent::Harvest, &["harvest_candidates"]);
    }
    let p = expect("tax report for 2025", Intent::TaxReport, &["tax_report"]);
    assert_eq!(p.lookups[0].args, json!({"year": 2025}));
    let p = expect("how much tax do I owe?", Intent::TaxReport, &["tax_report"]);
    assert_eq!(p.lookups[0].args, json!({"year": 2026}));
}

#[test]
fn trades_and_wash_sales() {
    let p = expect("What if I sell 10 VTI?", Intent::Trade, &["preview_trade"]);
    assert_eq!(
        p.lookups[0].args,
        json!({"side": "sell", "symbol": "VTI", "quantity": "10"})
    );
    let p = expect(
        "wash sale if I sell 12.5 shares of vwo in Taxable",
        Intent::Trade,
        &["preview_trade"],
    );
    assert_eq!(
        p.lookups[0].args,
        json!({"side": "sell", "symbol": "VWO", "quantity": "12.5", "account": "Taxable"})
    );
    let p = expect("wash sale buy VXUS", Intent::Trade, &["preview_trade"]);
    assert_eq!(
        p.lookups[0].args,
        json!({"side": "buy", "symbol": "VXUS", "quantity": "1"})
    );
    let p = expect("if I buy 1,000 VXUS", Intent::Trade, &["preview_trade"]);
    assert_eq!(p.lookups[0].args["quantity"], json!("1000"));
    let p = expect("sell VTI 5", Intent::Trade, &["preview_trade"]);
    assert_eq!(p.lookups[0].args["quantity"], json!("5"));
    let p = expect("if I sell VTI", Intent::Trade, &["lots"]);
    assert_eq!(p.lookups[0].args, json!({"symbol": "VTI"}));
    expect(
        "what happens if I sell VTI and buy it back",
        Intent::Trade,
        &["lots"],
    );
    let p = expect("any wash sales?", Intent::Trade, &["realized_gains"]);
    assert_eq!(p.lookups[0].args, json!({}));
    expect(
        "when did I buy VTI",
        Intent::Transactions,
        &["transactions"],
    );
}

#[test]
fn lots_risk_anomalies_plan() {
    let p = expect("show me the lots of VTI", Intent::Lots, &["lots"]);
    assert_eq!(p.lookups[0].args, json!({"symbol": "VTI"}));
    expect("cost basis of AAPL", Intent::Lots, &["lots"]);
    expect(
        "when do my IEMG shares turn long term?",
        Intent::Lots,
        &["lots"],
    );
    expect("how did I do today?", Intent::NetWorth, &["dashboard"]);
    expect("do I have any losses?", Intent::Movers, &["dashboard"]);
    let p = expect(
        "how much have I deposited?",
        Intent::Transactions,
        &["transactions"],
    );
    assert_eq!(p.lookups[0].args, json!({"limit": 10, "action": "DEPOSIT"}));
    for q in [
        "How risky is my portfolio?",
        "volatility",
        "max drawdown?",
        "what's my Sharpe ratio",
        "VaR",
    ] {
        expect(q, Intent::Risk, &["risk"]);
    }
    let p = expect("risk over 3 years", Intent::Risk, &["risk"]);
    assert_eq!(p.lookups[0].args, json!({"window": "3y"}));
    for q in [
        "Anything unusual?",
        "any alerts",
        "is something wrong with my portfolio",
    ] {
        expect(q, Intent::Anomalies, &["anomalies"]);
    }
    for q in [
        "Am I on track?",
        "can I retire",
        "will my money last?",
        "retirement",
    ] {
        let p = expect(q, Intent::Plan, &["plan"]);
        assert_eq!(
            p.lookups[0].args,
            json!({"from_portfolio": true, "withdrawal_rate": 0.04})
        );
    }
    let p = expect(
        "will my money last at 3.5% for 40 years?",
        Intent::Plan,
        &["plan"],
    );
    assert_eq!(
        p.lookups[0].args,
        json!({"from_portfolio": true, "withdrawal_rate": 0.035, "years": 40})
    );
}

#[test]
fn quotes_performance_and_lists() {
    let p = expect("price of VTI", Intent::Quotes, &["quotes", "holdings"]);
    assert_eq!(p.lookups[0].args, json!({"symbols": ["VTI"]}));
    expect(
        "How much is aapl worth?",
        Intent::Quotes,
        &["quotes", "holdings"],
    );
    let p = expect("quotes", Intent::Quotes, &["quotes", "holdings"]);
    assert_eq!(p.lookups[0].args, json!({}));
    expect(
        "How is my portfolio performing?",
        Intent::Performance,
        &["performance"],
    );
    let p = expect("returns in 2025", Intent::Performance, &["performance"]);
    assert_eq!(
        p.lookups[0].args,
        json!({"from": "2025-01-01", "to": "2025-12-31"})
    );
    let p = expect(
        "performance this year",
        Intent::Performance,
        &["performance"],
    );
    assert_eq!(p.lookups[0].args, json!({"from": "2026-01-01"}));
    expect("list my accounts", Intent::Accounts, &["accounts"]);
    let p = expect(
        "recent transactions",
        Intent::Transactions,
        &["transactions"],
    );
    assert_eq!(p.lookups[0].args, json!({"limit": 10}));
    let p = expect(
        "show transactions of VTI in the IRA",
        Intent::Transactions,
        &["transactions"],
    );
    assert_eq!(
        p.lookups[0].args,
        json!({"limit": 10, "symbol": "VTI", "account": "IRA"})
    );
    let p = expect("open orders", Intent::Orders, &["orders"]);
    assert_eq!(p.lookups[0].args, json!({"open": true}));
    expect("my orders", Intent::Orders, &["orders"]);
    expect("any fills today?", Intent::Fills, &["fills"]);
}

#[test]
fn targets_and_rebalancing_questions() {
    for q in [
        "How far am I from my targets?",
        "am I on target",
        "my allocation vs target",
        "drift",
        "has my mix drifted?",
    ] {
        let p = expect(q, Intent::Targets, &["targets"]);
        assert_eq!(p.lookups[0].args, json!({}), "{q}");
    }
    let p = expect(
        "how far is my IRA from its targets",
        Intent::Targets,
        &["targets"],
    );
    assert_eq!(p.lookups[0].args, json!({"account": "IRA"}));
    for q in [
        "How do I rebalance?",
        "what trades get me back to my targets",
        "cheapest way back to target",
        "rebalancing",
    ] {
        let p = expect(q, Intent::Rebalance, &["rebalance"]);
        assert_eq!(p.lookups[0].args, json!({}), "{q}");
    }
    let p = expect(
        "rebalance with 5000 new cash",
        Intent::Rebalance,
        &["rebalance"],
    );
    assert_eq!(p.lookups[0].args, json!({"cash": "5000"}));
    let p = expect(
        "rebalance with $5,000 in the IRA without selling",
        Intent::Rebalance,
        &["rebalance"],
    );
    assert_eq!(
        p.lookups[0].args,
        json!({"cash": "5000", "cash_account": "IRA", "no_sell": true})
    );
    let p = expect(
        "invest $2.5k and rebalance in at most 3 trades",
        Intent::Rebalance,
        &["rebalance"],
    );
    assert_eq!(p.lookups[0].args, json!({"cash": "2500", "max_trades": 3}));
    let p = expect(
        "rebalance with 2 funds in 4 trades",
        Intent::Rebalance,
        &["rebalance"],
    );
    assert_eq!(
        p.lookups[0].args,
        json!({"max_trades": 4}),
        "a count is no new cash"
    );
    let p = expect("rebalance my IRA", Intent::Rebalance, &["rebalance"]);
    assert_eq!(p.lookups[0].args, json!({"account": "IRA"}));
    // The older rules keep their questions.
    expect(
        "harvest losses while rebalancing",
        Intent::Harvest,
        &["harvest_candidates"],
    );
    expect("am I on target for retirement?", Intent::Plan, &["plan"]);
}

#[test]
fn stress_and_frontier_questions() {
    for q in [
        "What would a crash do to me?",
        "stress test",
        "how bad would a bear market be",
    ] {
        let p = expect(q, Intent::Stress, &["stress"]);
        assert_eq!(p.lookups[0].args, json!({}), "{q}");
    }
    let p = expect("2008 scenario", Intent::Stress, &["stress"]);
    assert_eq!(p.lookups[0].args, json!({"scenario": "2008"}));
    let p = expect(
        "what would a covid crash do to my IRA",
        Intent::Stress,
        &["stress"],
    );
    assert_eq!(
        p.lookups[0].args,
        json!({"scenario": "2020", "account": "IRA"})
    );
    let p = expect("what if 2022 happens again", Intent::Stress, &["stress"]);
    assert_eq!(p.lookups[0].args, json!({"scenario": "2022"}));
    let shocks = [
        (
            "What if stocks fall 30%?",
            "US stocks=-30,International stocks=-30,Emerging markets=-30",
        ),
        ("what if US stocks fall 30 percent", "US stocks=-30"),
        (
            "what if VTI drops 40% and bonds rise 5%",
            "VTI=-40,US bonds=5,International bonds=5",
        ),
        (
            "a 25% drop in international stocks",
            "International stocks=-25",
        ),
        (
            "say emerging markets lose 12.5% and real estate 20%",
            "Emerging markets=-12.5,Real estate=-20",
        ),
    ];
    for (q, shock) in shocks {
        let p = expect(q, Intent::Stress, &["stress"]);
        assert_eq!(p.lookups[0].args, json!({"shock": shock}), "{q}");
    }
    let p = expect("what if everything falls 20%", Intent::Stress, &["stress"]);
    let shock = p.lookups[0].args["shock"].as_str().unwrap();
    assert!(
        shock.starts_with("US stocks=-20,") && shock.ends_with("Unclassified=-20"),
        "no class named: every class: {shock}"
    );
    for q in [
        "efficient frontier",
        "Am I efficient?",
        "max sharpe portfolio",
        "minimum variance",
        "what's the optimal mix of my holdings",
    ] {
        let p = expect(q, Intent::Frontier, &["frontier"]);
        assert_eq!(p.lookups[0].args, json!({}), "{q}");
    }
    let p = expect(
        "frontier by asset class over 3 years",
        Intent::Frontier,
        &["frontier"],
    );
    assert_eq!(p.lookups[0].args, json!({"window": "3y", "by": "class"}));
    // Plain risk questions stay risk, a year stays a tax year, a plan stays a plan.
    for q in [
        "what's my Sharpe ratio",
        "max drawdown?",
        "how much would I lose on a bad day (VaR)",
    ] {
        expect(q, Intent::Risk, &["risk"]);
    }
    let p = expect(
        "realized gains in 2022",
        Intent::Realized,
        &["realized_gains"],
    );
    assert_eq!(p.lookups[0].args, json!({"year": 2022}));
    expect(
        "is my portfolio tax efficient?",
        Intent::TaxReport,
        &["tax_report"],
    );
    expect(
        "if I withdraw 4% will my money last?",
        Intent::Plan,
        &["plan"],
    );
}

#[test]
fn symbols_are_known_ones_and_common_words_need_capitals() {
    let (s, a) = (syms(), accts());
    let cx = Context {
        today: today(),
        symbols: &s,
        accounts: &a,
    };
    let q = Question::new("what's on my plate, vti and ON?");
    assert_eq!(symbols(&q, &cx), ["VTI", "ON"]);
    let q = Question::new("price of TSLA");
    assert!(symbols(&q, &cx).is_empty(), "only symbols the user has");
    let q = Question::new("VTI's price");
    assert_eq!(symbols(&q, &cx), ["VTI"]);
}

#[test]
fn unknown_questions_look_nothing_up() {
    for q in [
        "",
        "   ",
        "hello",
        "what's the weather?",
        "tell me a joke",
        "???",
        "日本語",
    ] {
        let p = plan_of(q);
        assert_eq!(
            p,
            Plan {
                intent: Intent::Unknown,
                lookups: vec![]
            },
            "{q:?}"
        );
        let a = answer(q, &p, &[]);
        assert!(a.contains("I can't answer that offline"), "{a}");
        assert!(a.ends_with(FOOTER));
    }
}

fn envelope(report: Value) -> Value {
    json!({"as_of": "2026-12-07", "currency": "USD", "scope": "all accounts", "report": report})
}

/// Every figure of `answer` is found in the results (the loop's number check).
#[track_caller]
fn grounded(answer: &str, results: &[Result<Value, String>]) {
    let values: Vec<&Value> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    let known = crate::ai::ground::numbers_in(&values);
    let bad = crate::ai::ground::unverified(answer, &known);
    assert!(bad.is_empty(), "unverified {bad:?} in:\n{answer}");
}

#[test]
fn a_cash_answer_copies_the_balances_and_the_total() {
    let p = plan_of("how much cash do I have");
    let results = vec![
        Ok(envelope(json!({"balances": [
            {"account": "IRA", "currency": "USD", "balance": "3182.90"},
            {"account": "Taxable", "currency": "USD", "balance": "37224.26"},
            {"account": "Other", "currency": "USD", "balance": "1000.01"}
        ], "negative": false, "warnings": []}))),
        Ok(envelope(
            json!({"summary": {"cash": "41407.17", "net_worth": "1"}}),
        )),
    ];
    let a = answer("how much cash do I have", &p, &results);
    assert!(a.starts_with("As of 2026-12-07, all accounts:"), "{a}");
    assert!(
        a.contains("- IRA: $3,182.90") && a.contains("- Taxable: $37,224.26"),
        "{a}"
    );
    assert!(a.contains("**Total cash**: $41,407.17."), "{a}");
    assert!(a.ends_with(FOOTER));
    assert!(!a.contains(TAX_NOTE));
    grounded(&a, &results);
}

#[test]
fn a_sale_preview_says_the_gain_and_the_wash_sale_with_the_tax_note() {
    let p = plan_of("if I sell 10 VTI");
    let results = vec![Ok(envelope(json!({
        "account": "Taxable", "symbol": "VTI", "date": "2026-12-07", "quantity": "10",
        "price": "386.49", "method": "fifo",
        "lots": [{"acquired": "2021-12-07", "quantity": "10", "cost_basis": "2359.25", "gain": "1505.65", "term": "long"}],
        "proceeds": "3864.90", "cost_basis": "2359.25000000", "short_term_gain": "0",
        "long_term_gain": "1505.65000000", "wash_sale_disallowed": "0", "wash_sale_permanent": "0",
        "substantially_identical": ["VTI", "VTSAX"], "safe_to_buy_back": "2027-01-07",
        "account_kind": "taxable", "warnings": []
    })))];
    let a = answer("if I sell 10 VTI", &p, &results);
    for want in [
        "Selling 10 VTI in Taxable",
        "$386.49",
        "Proceeds $3,864.90",
        "long term +$1,505.65",
        "VTI or VTSAX before 2027-01-07",
        TAX_NOTE,
    ] {
        assert!(a.contains(want), "{want:?} in:\n{a}");
    }
    grounded(&a, &results);
}

#[test]
fn a_symbol_narrows_the_holdings_to_its_rows() {
    let p = plan_of("how many vti shares do I hold?");
    let results = vec![Ok(envelope(json!({"holdings": [
        {"account": "Taxable", "symbol": "VTI", "currency": "USD", "quantity": "220", "price": "386.49", "market_value": "85027.80", "unrealized_gain": "29910.95", "unrealized_gain_pct": "54.27"},
        {"account": "IRA", "symbol": "BND", "currency": "USD", "quantity": "586.3819", "price": "71.73", "market_value": "42061.17", "unrealized_gain": "-6737.22", "unrealized_gain_pct": "-13.81"}
    ], "totals": [{"currency": "USD", "market_value": "127088.97", "cost_basis": "1", "unrealized_gain": "1"}]})))];
    let a = answer("how many vti shares do I hold?", &p, &results);
    assert!(
        a.contains("| Taxable | VTI | 220 | $386.49 | $85,027.80 | +$29,910.95 | 54.27% |"),
        "{a}"
    );
    assert!(!a.contains("BND") && !a.contains("**Total**"), "{a}");
    grounded(&a, &results);
}

#[test]
fn a_failed_lookup_is_told_with_its_error() {
    let p = plan_of("if I sell 10 VWO");
    let results = vec![Err(
        "VWO is held in IRA and Taxable; name the account".to_string()
    )];
    let a = answer("if I sell 10 VWO", &p, &results);
    assert!(
        a.contains("VWO is held in IRA and Taxable; name the account."),
        "{a}"
    );
    assert!(a.ends_with(FOOTER));
    // Fewer results than look-ups (a cancelled turn) is no panic either.
    let a = answer("if I sell 10 VWO", &p, &[]);
    assert!(a.contains("no result came back"), "{a}");
}

#[test]
fn answers_survive_results_of_any_shape() {
    let shapes = [
        json!(null),
        json!({}),
        json!({"report": null}),
        json!({"report": {"summary": 3, "holdings": "x", "totals": [1], "portfolio": []}}),
        json!({"report": {"lots": [{}], "disposals": [{}], "candidates": [{}], "findings": [{}], "transactions": [{}], "orders": [{}], "fills": [{}], "accounts": [{}], "balances": [{}], "quotes": [{}], "holdings": [{}]}}),
    ];
    let questions = [
        "what do I own",
        "cash",
        "net worth",
        "biggest gains",
        "realized this year",
        "harvest",
        "if I sell 10 VTI",
        "if I sell VTI",
        "wash sale buy VXUS",
        "lots of VTI",
        "risk",
        "anything unusual",
        "am I on track",
        "price of VTI",
        "performance",
        "accounts",
        "recent transactions",
        "tax report",
        "orders",
        "fills",
        "how far am I from my targets",
        "how do I rebalance",
        "stress test",
        "what if stocks fall 30%",
        "efficient frontier",
    ];
    for q in questions {
        let p = plan_of(q);
        assert_ne!(p.intent, Intent::Unknown, "{q}");
        for s in &shapes {
            let results: Vec<Result<Value, String>> =
                p.lookups.iter().map(|_| Ok(s.clone())).collect();
            let a = answer(q, &p, &results);
            assert!(a.ends_with(FOOTER), "{q}: {a}");
            for l in &p.lookups {
                let _ = summary(l.tool, &Ok(s.clone()));
            }
        }
    }
}

#[test]
fn the_footer_and_the_unknown_answer_carry_no_figure() {
    grounded(&unknown(), &[]);
    grounded(FOOTER, &[]);
}

#[test]
fn summaries_are_one_short_line() {
    let r = Ok(envelope(
        json!({"holdings": [{}, {}], "totals": [{"market_value": "123456.78"}]}),
    ));
    assert_eq!(
        summary("holdings", &r),
        "2 holdings, $123,456.78 market value"
    );
    let r = Ok(envelope(
        json!({"summary": {"harvestable_loss": "4210"}, "candidates": [{}, {}, {}]}),
    ));
    assert_eq!(
        summary("harvest_candidates", &r),
        "3 candidates, $4,210.00 harvestable loss"
    );
    assert_eq!(
        summary("cash", &Err("no such account\nmore".into())),
        "error: no such account"
    );
    let r = Ok(envelope(json!({"total": {"twr": 0.3036, "xirr": 0.0572}})));
    assert_eq!(summary("performance", &r), "TWR 30.36%, XIRR 5.72%");
    let r = Ok(envelope(
        json!({"command": "folio order buy VTI 1 --account Taxable"}),
    ));
    assert_eq!(
        summary("draft_order", &r),
        "draft only, nothing sent: folio order buy VTI 1 --account Taxable"
    );
    for t in crate::app::tools::chat() {
        let s = summary(t.name, &Ok(envelope(json!({}))));
        assert!(!s.is_empty() && !s.contains('\n'), "{}: {s}", t.name);
    }
}

// ---------------------------------------------------------------------------------------------
// The new topics on the demo: the tools' real results, and the answer's figures from them

/// The demo (with its household targets) on a fixed day, shared by the tests.
fn demo() -> &'static crate::app::Session {
    use crate::app::{Access, Clock, Session};
    static DEMO: std::sync::OnceLock<Session> = std::sync::OnceLock::new();
    DEMO.get_or_init(|| {
        Session::demo(
            crate::config::Config::default(),
            Clock::Fixed(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()),
            None,
            Access::Read,
        )
        .expect("the demo")
    })
}

/// Asks `q` of the offline assistant on the demo: the plan, the tools' results and the answer,
/// which must pass the number check.
#[track_caller]
fn ask_demo(q: &str) -> (Plan, Vec<Result<Value, String>>, String) {
    let p = plan_of(q);
    let defs = crate::app::tools::chat();
    let results: Vec<Result<Value, String>> = p
        .lookups
        .iter()
        .map(|l| crate::app::tools::call(&defs, demo(), l.tool, l.args.clone()))
        .collect();
    let a = answer(q, &p, &results);
    grounded(&a, &results);
    assert!(a.ends_with(FOOTER), "{a}");
    (p, results, a)
}

fn report(results: &[Result<Value, String>]) -> &Value {
    &results[0].as_ref().expect("the tool answered")["report"]
}

fn d(v: &Value) -> Decimal {
    match v {
        Value::String(s) => s.parse().unwrap(),
        other => panic!("not a decimal: {other}"),
    }
}

fn usd(v: &Value) -> String {
    super::answer::money(d(v), "USD")
}

fn signed_usd(v: &Value) -> String {
    let s = usd(v);
    if d(v).round_dp(2) > Decimal::ZERO {
        format!("+{s}")
    } else {
        s
    }
}

fn frac(v: &Value) -> String {
    format!("{:.2}%", v.as_f64().unwrap() * 100.0)
}

#[track_caller]
fn has_all(a: &str, wants: &[String]) {
    for w in wants {
        assert!(a.contains(w.as_str()), "{w:?} in:\n{a}");
    }
}

#[test]
fn on_the_demo_the_targets_answer_gives_each_rows_drift() {
    let (p, results, a) = ask_demo("how far am I from my targets?");
    assert_eq!(p.intent, Intent::Targets);
    let set = &report(&results)["sets"][0];
    let mut wants = vec![
        format!("{} in all", usd(&set["base"])),
        "`folio rebalance` proposes the trades back".to_string(),
    ];
    let rows = set["rows"].as_array().unwrap();
    assert!(
        rows.iter().any(|r| r["in_band"] == false),
        "the demo's mix is out of band"
    );
    for r in rows {
        let drift: Decimal = d(&r["drift_points"]).round_dp(2);
        wants.push(format!(
            "| {} | {} | {:.2}% | {} | {} |",
            r["name"].as_str().unwrap(),
            if r["untargeted"] == true {
                "none".to_string()
            } else {
                format!("{:.2}%", d(&r["target_pct"]))
            },
            d(&r["pct"]),
            if drift.is_zero() {
                "0.00".to_string()
            } else {
                format!("{drift:+.2}")
            },
            signed_usd(&r["drift_value"]),
        ));
        if r["in_band"] == false {
            wants.push(format!("{} (", r["name"].as_str().unwrap()));
        }
    }
    has_all(&a, &wants);
}

#[test]
fn without_targets_the_answer_passes_on_how_to_set_them() {
    let p = plan_of("am I on target?");
    let results = vec![Err(
        "no targets yet: set them with folio targets set \"US stocks=60,International stocks=20,US bonds=20\"".to_string(),
    )];
    let a = answer("am I on target?", &p, &results);
    assert!(
        a.contains("- targets: no targets yet: set them with folio targets set \"US stocks=60,International stocks=20,US bonds=20\"."),
        "{a}"
    );
    assert!(a.ends_with(FOOTER));
    grounded(&a, &[]);
}

#[test]
fn on_the_demo_the_rebalancing_answer_gives_the_plans_trades_and_tax() {
    let (p, results, a) = ask_demo("how do I rebalance?");
    assert_eq!(p.intent, Intent::Rebalance);
    let r = report(&results);
    let plan = &r["plan"];
    let trades = plan["trades"].as_array().unwrap();
    assert!(!trades.is_empty(), "the demo is out of band");
    let mut wants = vec![
        format!(
            "**Estimated tax of the plan**: {}",
            usd(&plan["estimated_tax"])
        ),
        format!(
            "turnover {} ({:.2}% of the base)",
            usd(&plan["turnover"]),
            d(&plan["turnover_pct"])
        ),
        format!(
            "estimated tax {}): this plan saves **{}** of tax",
            usd(&r["alternative"]["estimated_tax"]),
            usd(&r["tax_saved"])
        ),
        "Nothing is placed".to_string(),
        TAX_NOTE.to_string(),
    ];
    for t in trades {
        let side = t["side"].as_str().unwrap();
        wants.push(format!(
            "| {side} | {} | {} | {} | {} | {} |",
            crate::format::qty(d(&t["quantity"])),
            t["symbol"].as_str().unwrap(),
            t["account"].as_str().unwrap(),
            usd(&t["amount"]),
            if side == "sell" {
                usd(&t["estimated_tax"])
            } else {
                String::new()
            }
        ));
        wants.push(format!(
            "`folio order {side} {} {} --account {}",
            t["symbol"].as_str().unwrap(),
            d(&t["quantity"]).normalize(),
            t["account"].as_str().unwrap()
        ));
    }
    has_all(&a, &wants);
    assert!(d(&r["tax_saved"]) > Decimal::ZERO, "{a}");

    let (p, results, a) = ask_demo("rebalance with 5000 new cash");
    assert_eq!(p.lookups[0].args, json!({"cash": "5000"}));
    let r = report(&results);
    has_all(
        &a,
        &[
            format!(
                "New cash $5,000.00 goes into {} first.",
                r["new_cash_account"].as_str().unwrap()
            ),
            format!(
                "**Estimated tax of the plan**: {}",
                usd(&r["plan"]["estimated_tax"])
            ),
        ],
    );
}

#[test]
fn on_the_demo_the_stress_answer_gives_each_scenarios_total_and_cash_buffer() {
    let (p, results, a) = ask_demo("what would a crash do to me?");
    assert_eq!(p.lookups[0].args, json!({}));
    let runs = report(&results)["scenarios"].as_array().unwrap();
    let ids: Vec<&str> = runs.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["2008", "2020", "2022"]);
    for run in runs {
        let t = &run["totals"];
        let b = &run["cash_buffer"];
        let worst = run["holdings"]
            .as_array()
            .unwrap()
            .iter()
            .min_by_key(|h| d(&h["change"]))
            .unwrap();
        has_all(
            &a,
            &[
                format!(
                    "**{}: {}** ({} to {})",
                    run["id"].as_str().unwrap(),
                    run["title"].as_str().unwrap(),
                    run["from"].as_str().unwrap(),
                    run["to"].as_str().unwrap()
                ),
                format!(
                    "- Total: {} on {} of holdings ({}%)",
                    signed_usd(&t["change"]),
                    usd(&t["holdings_value"]),
                    d(&t["pct_of_holdings"]).normalize()
                ),
                format!("({}% with cash)", d(&t["pct_of_net_worth"]).normalize()),
                format!(
                    "- Worst holdings: {} in {} {}",
                    worst["symbol"].as_str().unwrap(),
                    worst["account"].as_str().unwrap(),
                    signed_usd(&worst["change"])
                ),
                format!(
                    "- Cash buffer: {}, {:.2}% of net worth after the shock; it covers {:.2}% of the loss",
                    usd(&b["cash"]),
                    d(&b["share_after_pct"]),
                    d(&b["pct_of_loss"])
                ),
            ],
        );
    }

    let (p, results, a) = ask_demo("What if US stocks fall 30%?");
    assert_eq!(p.lookups[0].args, json!({"shock": "US stocks=-30"}));
    let run = &report(&results)["scenarios"][0];
    assert_eq!(run["id"], "custom");
    has_all(
        &a,
        &[
            "**Custom shocks**: US stocks -30%".to_string(),
            format!(
                "- Total: {} on {} of holdings ({}%)",
                signed_usd(&run["totals"]["change"]),
                usd(&run["totals"]["holdings_value"]),
                d(&run["totals"]["pct_of_holdings"]).normalize()
            ),
            "- Not shocked (no shock names them or their class): ".to_string(),
        ],
    );
}

#[test]
fn on_the_demo_the_frontier_answer_sets_todays_mix_against_the_curve() {
    let (p, results, a) = ask_demo("am I efficient?");
    assert_eq!(p.intent, Intent::Frontier);
    let r = report(&results);
    let cur = &r["current"];
    let top = |mix: &Value| -> String {
        let w = mix["weights"]
            .as_array()
            .unwrap()
            .iter()
            .max_by(|a, b| {
                a["weight"]
                    .as_f64()
                    .unwrap()
                    .total_cmp(&b["weight"].as_f64().unwrap())
            })
            .unwrap();
        format!(
            "weights {} {}",
            w["name"].as_str().unwrap(),
            frac(&w["weight"])
        )
    };
    has_all(
        &a,
        &[
            format!(
                "- **Your mix today**: return {} a year, volatility {}",
                frac(&cur["mix"]["expected_return"]),
                frac(&cur["mix"]["volatility"])
            ),
            format!(
                "at the same volatility: return {}",
                frac(&cur["best_return_at_same_volatility"]["expected_return"])
            ),
            format!(
                "at the same return: volatility {}",
                frac(&cur["least_volatility_at_same_return"]["volatility"])
            ),
            format!(
                "- **Minimum variance**: return {}, volatility {}",
                frac(&r["min_variance"]["expected_return"]),
                frac(&r["min_variance"]["volatility"])
            )
            .replace(", volatility", " a year, volatility"),
            top(&r["min_variance"]),
            format!(
                "- **Maximum Sharpe**: return {} a year, volatility {}",
                frac(&r["max_sharpe"]["expected_return"]),
                frac(&r["max_sharpe"]["volatility"])
            ),
            top(&r["max_sharpe"]),
            "Warning: the frontier is estimated from history".to_string(),
        ],
    );
}

#[test]
fn summaries_of_the_new_tools_on_the_demo() {
    let defs = crate::app::tools::chat();
    let call = |tool: &str| crate::app::tools::call(&defs, demo(), tool, json!({}));
    let r = call("rebalance");
    let plan = &r.as_ref().unwrap()["report"]["plan"];
    assert_eq!(
        summary("rebalance", &r),
        format!(
            "{} trades, estimated tax {}, {} saved",
            plan["trades"].as_array().unwrap().len(),
            usd(&plan["estimated_tax"]),
            usd(&r.as_ref().unwrap()["report"]["tax_saved"])
        )
    );
    assert!(summary("stress", &call("stress")).starts_with("2008 -"));
    assert!(summary("targets", &call("targets")).ends_with("out of band"));
    assert!(summary("frontier", &call("frontier")).starts_with("now "));
}
