//! `folio positions`: the broker's positions beside the ledger's, with the differences.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::Serialize;

use super::output::{Report, json, money, outln, qty};
use super::{Ctx, load_book, today};
use crate::market::ibkr::{self, BrokerPosition};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where the positions come from
    #[arg(long, value_enum, default_value_t = Source::Ibkr)]
    source: Source,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum Source {
    /// TWS or IB Gateway ([ibkr] in the config)
    Ibkr,
}

#[derive(Serialize, Debug, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Status {
    Agrees,
    Differs,
    /// The broker holds it; the ledger does not.
    MissingInLedger,
    /// The ledger holds it; the broker does not.
    MissingAtBroker,
}

#[derive(Serialize)]
struct Row {
    account: String,
    broker_account: String,
    symbol: String,
    broker: Decimal,
    ledger: Decimal,
    difference: Decimal,
    status: Status,
}

#[derive(Serialize)]
struct AccountOut {
    account: String,
    broker_account: String,
    net_liquidation: Option<Decimal>,
    cash: Option<Decimal>,
    currency: Option<String>,
}

#[derive(Serialize)]
struct Out {
    positions: Vec<Row>,
    accounts: Vec<AccountOut>,
    differences: usize,
    /// Ledger accounts with no broker account linked to them (not compared).
    not_compared: Vec<String>,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    let Source::Ibkr = args.source;
    let store = ctx.store()?;
    let loaded = load_book(&store, ctx, Some(today()), None)?;
    let out = fetch_and_compare(ctx, &loaded)?;
    if ctx.json {
        return json(&out);
    }
    if out.positions.is_empty() {
        outln!("Neither the broker nor the linked ledger accounts hold any position.");
    } else {
        let mut r = Report::new(&[
            "Account",
            "~Broker account",
            "Symbol",
            "Broker>",
            "Ledger>",
            "Difference>",
            "Status",
        ]);
        for p in &out.positions {
            r.row(vec![
                p.account.clone(),
                p.broker_account.clone(),
                p.symbol.clone(),
                qty(p.broker),
                qty(p.ledger),
                qty(p.difference),
                match p.status {
                    Status::Agrees => "ok",
                    Status::Differs => "differs",
                    Status::MissingInLedger => "not in the ledger",
                    Status::MissingAtBroker => "not at the broker",
                }
                .to_string(),
            ]);
        }
        r.print()?;
    }
    for a in &out.accounts {
        let cur = a.currency.as_deref().unwrap_or("");
        let v = |d: Option<Decimal>| {
            d.map(|d| format!("{} {cur}", money(d)))
                .unwrap_or_else(|| "-".into())
        };
        outln!(
            "{} ({}): net liquidation {}, cash {}",
            a.account,
            a.broker_account,
            v(a.net_liquidation),
            v(a.cash)
        );
    }
    match out.differences {
        0 => outln!("The ledger agrees with the broker."),
        n => outln!(
            "{n} position(s) differ: a trade, transfer or corporate action is probably missing from the imports (folio import --format ibkr-flex FILE)."
        ),
    }
    if !out.not_compared.is_empty() {
        outln!(
            "Not compared (no broker account linked; see [ibkr.accounts] in the config): {}",
            out.not_compared.join(", ")
        );
    }
    Ok(())
}

/// Asks the broker for its positions and compares them with `loaded`'s.
fn fetch_and_compare(ctx: &Ctx, loaded: &super::Loaded) -> anyhow::Result<Out> {
    let rt = super::broker::runtime()?;
    let (broker, summary) = rt.block_on(async {
        let (client, _) = ibkr::connect(&ctx.config.ibkr).await?;
        let positions = ibkr::positions(&client).await?;
        let summary = ibkr::account_summary(&client).await?;
        anyhow::Ok((positions, summary))
    })?;
    let ledger_name = |broker_account: &str| -> String {
        ctx.config
            .ibkr
            .accounts
            .get(broker_account)
            .cloned()
            .unwrap_or_else(|| broker_account.to_string())
    };
    Ok(compare(&broker, loaded, &summary, ledger_name))
}

/// The positions where the broker and the ledger differ: (ledger account, symbol, broker
/// quantity, ledger quantity). For `folio anomalies --broker`.
pub fn differences(
    ctx: &Ctx,
    loaded: &super::Loaded,
) -> anyhow::Result<Vec<(String, String, Decimal, Decimal)>> {
    let out = fetch_and_compare(ctx, loaded)?;
    Ok(out
        .positions
        .into_iter()
        .filter(|p| p.status != Status::Agrees)
        .map(|p| (p.account, p.symbol, p.broker, p.ledger))
        .collect())
}

fn compare(
    broker: &[BrokerPosition],
    loaded: &super::Loaded,
    summary: &[(String, String, Decimal, String)],
    ledger_name: impl Fn(&str) -> String,
) -> Out {
    // (ledger account, symbol) -> (broker account, broker qty, ledger qty)
    let mut rows: BTreeMap<(String, String), (String, Decimal, Decimal)> = BTreeMap::new();
    let mut linked: BTreeMap<String, String> = BTreeMap::new();
    for p in broker.iter().filter(|p| !p.quantity.is_zero()) {
        let account = ledger_name(&p.account);
        linked.insert(account.clone(), p.account.clone());
        let e = rows
            .entry((account, p.symbol.clone()))
            .or_insert_with(|| (p.account.clone(), Decimal::ZERO, Decimal::ZERO));
        e.1 += p.quantity;
    }
    for (broker_account, ..) in summary {
        linked.insert(ledger_name(broker_account), broker_account.clone());
    }
    let mut not_compared = BTreeSet::new();
    for p in loaded.book.positions() {
        let Some(broker_account) = linked.get(&p.account) else {
            not_compared.insert(p.account.clone());
            continue;
        };
        let e = rows
            .entry((p.account.clone(), p.symbol.clone()))
            .or_insert_with(|| (broker_account.clone(), Decimal::ZERO, Decimal::ZERO));
        e.2 += p.quantity;
    }
    let positions: Vec<Row> = rows
        .into_iter()
        .map(|((account, symbol), (broker_account, b, l))| Row {
            status: if b == l {
                Status::Agrees
            } else if l.is_zero() {
                Status::MissingInLedger
            } else if b.is_zero() {
                Status::MissingAtBroker
            } else {
                Status::Differs
            },
            difference: (b - l).normalize(),
            account,
            broker_account,
            symbol,
            broker: b.normalize(),
            ledger: l.normalize(),
        })
        .collect();
    let mut accounts: BTreeMap<String, AccountOut> = BTreeMap::new();
    for (broker_account, tag, value, currency) in summary {
        let a = accounts
            .entry(broker_account.clone())
            .or_insert_with(|| AccountOut {
                account: ledger_name(broker_account),
                broker_account: broker_account.clone(),
                net_liquidation: None,
                cash: None,
                currency: Some(currency.clone()),
            });
        match tag.as_str() {
            "NetLiquidation" => a.net_liquidation = Some(*value),
            "TotalCashValue" => a.cash = Some(*value),
            _ => {}
        }
    }
    Out {
        differences: positions
            .iter()
            .filter(|p| p.status != Status::Agrees)
            .count(),
        positions,
        accounts: accounts.into_values().collect(),
        not_compared: not_compared.into_iter().collect(),
    }
}
