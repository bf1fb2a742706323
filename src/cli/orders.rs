//! `folio order buy|sell` (the ticket, its checks and tax consequences, then the order once
//! confirmed), `folio orders` (the journal), `folio cancel ID` and `folio fills`.

use std::io::{BufRead, IsTerminal, Write};

use chrono::Utc;
use rust_decimal::Decimal;

use super::output::{json, money, outln, price, qty, warnings};
use super::{Ctx, named};
use crate::app::bad;
use crate::app::orders::{
    self, Broker, Confirmation, Desk, OrderParams, OrdersParams, Placed, Ticket,
};
use crate::app::tax::TradePreview;
use crate::domain::order::{BrokerKind, Order, OrderState, Side, Tif};
use crate::domain::{LotMethod, Named};

#[derive(clap::Args, Debug)]
pub struct OrderArgs {
    #[command(subcommand)]
    side: SideCmd,
}

#[derive(clap::Subcommand, Debug)]
enum SideCmd {
    /// Buy QUANTITY shares of SYMBOL
    Buy(TicketArgs),
    /// Sell QUANTITY shares of SYMBOL
    Sell(TicketArgs),
}

#[derive(clap::Args, Debug)]
struct TicketArgs {
    symbol: String,
    /// Whole shares
    #[arg(allow_negative_numbers = true)]
    quantity: Decimal,
    /// A limit order at this price [default: a market order]
    #[arg(long)]
    limit: Option<Decimal>,
    /// A stop order, triggered when the last trade reaches this price
    #[arg(long, conflicts_with = "limit")]
    stop: Option<Decimal>,
    /// With --stop: a stop-limit order with this limit
    #[arg(long, requires = "stop")]
    stop_limit: Option<Decimal>,
    /// The account [sell: the one holding SYMBOL; buy: the first taxable account]
    #[arg(long)]
    account: Option<String>,
    /// How long the order works
    #[arg(long, value_parser = named::<Tif>(), default_value = "day")]
    tif: Tif,
    /// A limit order may work outside regular hours
    #[arg(long)]
    outside_rth: bool,
    /// Sell these lots, by acquisition date (2024-03-01,2024-06-03)
    #[arg(long, value_name = "DATES", conflicts_with = "method")]
    lots: Option<String>,
    /// Sell by this lot method instead of the account's
    #[arg(long, value_parser = named::<LotMethod>())]
    method: Option<LotMethod>,
    /// Where the order goes [default: [broker] default, paper]
    #[arg(long, value_parser = named::<BrokerKind>())]
    broker: Option<BrokerKind>,
    /// Show the ticket and the checks, send nothing
    #[arg(long)]
    dry_run: bool,
    /// Send without asking (a paper order; a live order also needs --confirm)
    #[arg(long)]
    yes: bool,
    /// A live order's typed confirmation, for scripts: exactly as the ticket asks (SELL 100 VXUS)
    #[arg(long, value_name = "TEXT")]
    confirm: Option<String>,
    /// Place it even though the same order was placed within the last minute
    #[arg(long)]
    allow_duplicate: bool,
}

impl OrderArgs {
    pub fn dry_run(&self) -> bool {
        match &self.side {
            SideCmd::Buy(a) | SideCmd::Sell(a) => a.dry_run,
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct OrdersArgs {
    /// Only orders still able to fill
    #[arg(long)]
    open: bool,
    /// Bring the journal up to date first: work open paper orders against fresh quotes, and
    /// reconcile open IBKR orders with the gateway
    #[arg(long)]
    sync: bool,
}

impl OrdersArgs {
    pub fn sync(&self) -> bool {
        self.sync
    }
}

#[derive(clap::Args, Debug)]
pub struct CancelArgs {
    /// The order's id (see `folio orders`)
    id: i64,
}

pub async fn order(ctx: &Ctx<'_>, args: OrderArgs) -> anyhow::Result<()> {
    let (side, a) = match args.side {
        SideCmd::Buy(a) => (Side::Buy, a),
        SideCmd::Sell(a) => (Side::Sell, a),
    };
    let lots = match (&a.lots, a.method) {
        (Some(l), _) => Some(l.clone()),
        (None, Some(m)) => Some(m.name().to_string()),
        (None, None) => None,
    };
    let p = OrderParams {
        side,
        symbol: a.symbol.clone(),
        quantity: a.quantity,
        account: a.account.clone(),
        limit: a.limit,
        stop: a.stop,
        stop_limit: a.stop_limit,
        tif: a.tif,
        outside_rth: a.outside_rth,
        lots,
        broker: a.broker,
        allow_duplicate: a.allow_duplicate,
    };
    let s = ctx.session;
    // The fields first: a bad quantity or price is said before anything is fetched.
    orders::request(s, &p)?;
    match p.broker.unwrap_or(s.config().broker.default) {
        BrokerKind::Paper => {
            let desk = orders::paper_desk(s);
            let quote = orders::quote_for(s, &p.symbol, BrokerKind::Paper).await?;
            ticket_then_send(ctx, &desk, &p, quote, &a).await
        }
        BrokerKind::Ibkr => {
            let desk = orders::ibkr_desk(s).await?;
            // The journal at the broker's truth first: the checks count working orders.
            if !a.dry_run {
                orders::reconcile(s, &desk).await?;
            }
            let quote = orders::quote_for(s, &p.symbol, BrokerKind::Ibkr).await?;
            ticket_then_send(ctx, &desk, &p, quote, &a).await
        }
    }
}

async fn ticket_then_send<B: Broker>(
    ctx: &Ctx<'_>,
    desk: &Desk<B>,
    p: &OrderParams,
    quote: Option<crate::domain::Quote>,
    a: &TicketArgs,
) -> anyhow::Result<()> {
    let s = ctx.session;
    let ticket = orders::prepare(s, desk, p, quote.as_ref(), Utc::now()).await?;
    if a.dry_run {
        if ctx.json {
            json(&ticket)?;
        } else {
            show_ticket(&ticket)?;
        }
        if !ticket.ready {
            return Err(refused(&ticket));
        }
        return Ok(());
    }
    if !ticket.ready {
        if !ctx.json {
            show_ticket(&ticket)?;
        }
        return Err(refused(&ticket));
    }
    let confirmation = confirm(ctx, &ticket, a)?;
    let placed = orders::place(s, desk, &ticket, &confirmation).await?;
    if ctx.json {
        return json(&placed);
    }
    show_placed(&placed)
}

fn refused(t: &Ticket) -> anyhow::Error {
    bad(format!(
        "the order was not sent:\n  {}",
        t.refusals().join("\n  ")
    ))
    .into()
}

/// The confirmation: `--yes` (and `--confirm TEXT` for live), or asked on the terminal.
fn confirm(ctx: &Ctx, t: &Ticket, a: &TicketArgs) -> anyhow::Result<Confirmation> {
    if t.live {
        if let Some(c) = &a.confirm {
            return Ok(Confirmation::Typed(c.clone()));
        }
    } else if a.yes {
        return Ok(Confirmation::Yes);
    }
    let how = if t.live {
        format!("--confirm '{}'", t.confirm)
    } else {
        "--yes".to_string()
    };
    if !std::io::stdin().is_terminal() || ctx.json {
        return Err(bad(format!(
            "nothing was sent: there is no terminal to confirm the order on; to send it from a script pass {how} (or see it first with --dry-run)"
        ))
        .into());
    }
    show_ticket(t)?;
    let mut err = std::io::stderr().lock();
    if t.live {
        write!(
            err,
            "LIVE order with real money. Type {} to send it: ",
            t.confirm
        )?;
    } else {
        write!(err, "Send this paper order? [y/N] ")?;
    }
    err.flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let answer = line.trim();
    if t.live {
        if answer != t.confirm {
            return Err(bad(format!(
                "nothing was sent: the confirmation was not {}",
                t.confirm
            ))
            .into());
        }
        return Ok(Confirmation::Typed(answer.to_string()));
    }
    if matches!(answer, "y" | "Y" | "yes" | "YES" | "Yes") {
        Ok(Confirmation::Yes)
    } else {
        Err(bad("nothing was sent").into())
    }
}

/// The order with how long it works: `BUY 10 VTI limit 250.00 for the day`.
fn describe(o: &crate::domain::order::OrderRequest) -> String {
    format!(
        "{} {}{}",
        crate::format::order(o),
        match o.tif {
            Tif::Day => "for the day",
            Tif::Gtc => "good till cancelled",
        },
        if o.outside_rth {
            ", outside regular hours too"
        } else {
            ""
        }
    )
}

fn show_ticket(t: &Ticket) -> anyhow::Result<()> {
    warnings(&t.warnings)?;
    let r = &t.request;
    outln!(
        "{} order in {}: {}",
        crate::format::broker(t.broker, t.live),
        r.account,
        describe(r)
    );
    match &t.quote {
        Some(q) => outln!(
            "Quote {}: bid {} ask {} last {} ({}, {} s old)",
            q.symbol,
            q.bid.map_or("-".into(), price),
            q.ask.map_or("-".into(), price),
            price(q.last),
            q.source,
            t.quote_age_secs.unwrap_or_default()
        ),
        None => outln!("Quote {}: none", r.symbol),
    }
    if let (Some(n), Some(c)) = (t.notional, t.commission) {
        outln!(
            "Estimated value {} at {}, commission {}",
            money(n),
            price(t.price.unwrap_or_default()),
            money(c)
        );
    }
    if let Some(w) = &t.broker_preview
        && let Some(m) = w.init_margin_change
    {
        outln!("Broker's preview: initial margin change {}", money(m));
    }
    match &t.tax {
        Some(TradePreview::Sell(v)) => super::tax::sell(v, r.relief.is_some())?,
        Some(TradePreview::Buy(v)) => super::tax::buy(v)?,
        None => {}
    }
    // A refusal is the command's error (on stderr, with exit status 2).
    if t.ready {
        outln!("Checks passed.");
    }
    Ok(())
}

fn show_placed(p: &Placed) -> anyhow::Result<()> {
    let o = &p.order;
    outln!("Order {} {}: {}", o.id, o.state, describe(&o.request));
    for f in &p.fills {
        outln!(
            "Filled {} at {}{} (execution {})",
            qty(f.quantity),
            price(f.price),
            f.commission
                .map_or(String::new(), |c| format!(", commission {}", money(c))),
            f.exec_id
        );
    }
    if let Some(r) = &o.reason
        && o.state != OrderState::Filled
    {
        outln!("Broker: {r}");
    }
    Ok(())
}

pub async fn list(ctx: &Ctx<'_>, args: OrdersArgs) -> anyhow::Result<()> {
    if args.sync {
        let notes = orders::sync(ctx.session).await?;
        let mut err = std::io::stderr().lock();
        for n in notes {
            // What the sync did, beside the table (stdout keeps the table or the JSON).
            let _ = writeln!(err, "folio: {n}");
        }
    }
    let r = orders::orders(ctx.session, &OrdersParams { open: args.open })?;
    if ctx.json {
        return json(&r);
    }
    if r.orders.is_empty() {
        outln!(
            "{}",
            if args.open {
                "No working orders."
            } else {
                "No orders yet: place one with `folio order buy SYMBOL QUANTITY` (see --help)."
            }
        );
        return Ok(());
    }
    let mut t = super::output::Report::new(&[
        "Id>",
        "~Placed",
        "Broker",
        "Account",
        "Order",
        "State",
        "Filled>",
        "~Avg price>",
        "~Commission>",
        "~Note",
    ]);
    for o in &r.orders {
        t.row(row(o));
    }
    t.print()?;
    Ok(())
}

fn row(o: &Order) -> Vec<String> {
    vec![
        o.id.to_string(),
        o.created
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        crate::format::broker(o.broker, o.live).to_lowercase(),
        o.request.account.clone(),
        describe(&o.request),
        o.state.to_string(),
        qty(o.filled),
        o.avg_price.map_or(String::new(), price),
        money(o.commission),
        o.reason.clone().unwrap_or_default(),
    ]
}

pub async fn cancel(ctx: &Ctx<'_>, args: CancelArgs) -> anyhow::Result<()> {
    let s = ctx.session;
    let order = s
        .read(|st| Ok(st.order(args.id)?))?
        .ok_or_else(|| bad(format!("there is no order {}; see `folio orders`", args.id)))?;
    let o = match order.broker {
        BrokerKind::Paper => orders::cancel(s, &orders::paper_desk(s), args.id).await?,
        BrokerKind::Ibkr => {
            let desk = orders::ibkr_desk_as(s, order.client_id).await?;
            orders::reconcile(s, &desk).await?;
            orders::cancel(s, &desk, args.id).await?
        }
    };
    if ctx.json {
        return json(&o);
    }
    outln!("Order {} {}: {}", o.id, o.state, describe(&o.request));
    Ok(())
}

pub fn fills(ctx: &Ctx) -> anyhow::Result<()> {
    let r = orders::fills(ctx.session, &Default::default())?;
    if ctx.json {
        return json(&r);
    }
    if r.fills.is_empty() {
        outln!("No fills yet.");
        return Ok(());
    }
    let mut t = super::output::Report::new(&[
        "Time",
        "Order>",
        "Account",
        "Side",
        "Symbol",
        "Quantity>",
        "Price>",
        "Commission>",
        "Transaction>",
        "~Execution",
    ]);
    for f in &r.fills {
        let e = &f.execution;
        t.row(vec![
            e.time
                .with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            e.order.map_or(String::new(), |o| o.to_string()),
            f.account
                .clone()
                .unwrap_or_else(|| format!("{} (not booked)", e.broker_account)),
            e.side.upper().into(),
            e.symbol.clone(),
            qty(e.quantity),
            price(e.price),
            e.commission.map_or("pending".into(), money),
            e.transaction.map_or(String::new(), |t| t.to_string()),
            e.exec_id.clone(),
        ]);
    }
    t.print()?;
    Ok(())
}
