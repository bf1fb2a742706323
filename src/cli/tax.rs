//! `folio tax report` (a year's closed lots, Form 8949 style) and `folio tax preview sell|buy`
//! (what a trade would realize and which wash sales it would trigger, before trading).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::output::{Report, json, money, money_or_blank, outln, price, qty, warnings};
use super::{Ctx, parse_date_arg};
use crate::analytics::tax::TermTotal;
use crate::app::tax::{BuyReport, SellReport, Side, TaxReportParams, TradeParams, TradePreview};
use crate::domain::{AccountKind, Term};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(clap::Subcommand, Debug)]
enum Sub {
    /// Every lot closed in a tax year in taxable accounts: proceeds, basis, wash-sale
    /// adjustments (code W), gain, term; totals by term and the year's netting
    Report(ReportArgs),
    /// What a sale or a purchase would realize and which wash sales it would trigger
    Preview {
        #[command(subcommand)]
        trade: Trade,
    },
}

#[derive(clap::Args, Debug)]
struct ReportArgs {
    /// The tax year
    #[arg(long)]
    year: i32,
    /// Print CSV (one row per closed lot) instead of a table
    #[arg(long, conflicts_with = "json")]
    csv: bool,
    /// Only this account
    #[arg(long)]
    account: Option<String>,
    #[arg(from_global)]
    json: bool,
}

#[derive(clap::Subcommand, Debug)]
enum Trade {
    /// Preview selling QUANTITY shares of SYMBOL
    Sell(TradeArgs),
    /// Preview buying QUANTITY shares of SYMBOL: which recent loss sales it would wash
    Buy(TradeArgs),
}

#[derive(clap::Args, Debug)]
struct TradeArgs {
    symbol: String,
    quantity: Decimal,
    /// The account [sell: the one holding SYMBOL; buy: the first taxable account]
    #[arg(long)]
    account: Option<String>,
    /// Sell: fifo, lifo, hifo, or the acquisition date of one lot [default: the account's method]
    #[arg(long, value_name = "METHOD|DATE")]
    lots: Option<String>,
    /// Price per share [default: the latest close]
    #[arg(long)]
    price: Option<Decimal>,
    /// Trade date (YYYY-MM-DD) [default: today]
    #[arg(long, value_parser = parse_date_arg)]
    date: Option<NaiveDate>,
}

impl TradeArgs {
    fn params(self, side: Side) -> TradeParams {
        TradeParams {
            side,
            symbol: self.symbol,
            quantity: self.quantity,
            account: self.account,
            lots: self.lots,
            price: self.price,
            date: self.date,
        }
    }
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<()> {
    match args.command {
        Sub::Report(a) => report(ctx, a),
        Sub::Preview { trade } => {
            let params = match trade {
                Trade::Sell(a) => a.params(Side::Sell),
                Trade::Buy(a) => a.params(Side::Buy),
            };
            let v = crate::app::tax::preview(ctx.session, &params)?;
            if ctx.json {
                return json(&v);
            }
            match v {
                TradePreview::Sell(v) => sell(&v, params.lots.is_some()),
                TradePreview::Buy(v) => buy(&v),
            }
        }
    }
}

fn report(ctx: &Ctx, args: ReportArgs) -> anyhow::Result<()> {
    let t = crate::app::tax::report(
        ctx.session,
        &TaxReportParams {
            year: args.year,
            account: args.account,
        },
    )?;
    let r = &t.report;
    if args.csv {
        let mut w = csv::Writer::from_writer(std::io::stdout().lock());
        for row in &r.rows {
            w.serialize(row)?;
        }
        w.flush()?;
        return Ok(());
    }
    if ctx.json {
        return json(&t);
    }
    warnings(&t.warnings)?;
    let currency = &t.currency;
    let carried_in = r
        .summary
        .as_ref()
        .is_some_and(|s| !(s.carried_in_short.is_zero() && s.carried_in_long.is_zero()));
    if r.rows.is_empty() {
        outln!(
            "No sales in taxable accounts in {}. (Sales inside IRAs are not taxable; see `folio realized`.)",
            args.year
        );
        if !carried_in {
            return Ok(());
        }
    }
    for (term, title, total) in [
        (Term::Short, "Short term (Form 8949 Part I)", &r.short_term),
        (Term::Long, "Long term (Form 8949 Part II)", &r.long_term),
    ] {
        let rows: Vec<_> = r.rows.iter().filter(|x| x.term == term).collect();
        if rows.is_empty() {
            continue;
        }
        outln!("{title}");
        let mut t = Report::new(&[
            "Description",
            "~Account",
            "Acquired",
            "Sold",
            "Proceeds>",
            "Cost basis>",
            "Code",
            "Adjustment>",
            "Gain>",
        ]);
        for x in rows {
            t.row(vec![
                x.description.clone(),
                x.account.clone(),
                x.acquired.to_string(),
                x.sold.to_string(),
                money(x.proceeds),
                money(x.cost_basis),
                x.code.clone(),
                money_or_blank(x.adjustment),
                money(x.gain),
            ]);
        }
        total_row(&mut t, total, currency);
        t.print()?;
        outln!();
    }
    let Some(s) = &r.summary else {
        outln!("Netting and carry-forward are for the whole return: run without --account.");
        return Ok(());
    };
    outln!(
        "Net short term {}, net long term {}{}",
        money(s.net_short_term),
        money(s.net_long_term),
        if s.carried_in_short.is_zero() && s.carried_in_long.is_zero() {
            String::new()
        } else {
            format!(
                " (after losses carried in: {} short, {} long)",
                money(s.carried_in_short),
                money(s.carried_in_long)
            )
        }
    );
    if !s.ordinary_offset_used.is_zero() {
        outln!(
            "Net capital loss against ordinary income: {}; carried to {}: {} short term, {} long term",
            money(s.ordinary_offset_used),
            args.year + 1,
            money(s.carry_out_short),
            money(s.carry_out_long)
        );
    }
    if !r.other_currencies.is_empty() {
        outln!(
            "Rows in {} are listed but not in the totals (totals are in {currency}).",
            r.other_currencies.join(", ")
        );
    }
    Ok(())
}

fn total_row(t: &mut Report, total: &TermTotal, currency: &str) {
    t.row(vec![
        format!("Total ({currency})"),
        String::new(),
        String::new(),
        String::new(),
        money(total.proceeds),
        money(total.cost_basis),
        String::new(),
        money(total.adjustment),
        money(total.gain),
    ]);
}

pub(super) fn sell(r: &SellReport, named_lot: bool) -> anyhow::Result<()> {
    warnings(&r.warnings)?;
    let v = &r.preview;
    let how = match (named_lot, v.method.as_str()) {
        (true, "specific") => format!(
            "the lot acquired {}",
            v.lots
                .first()
                .map_or(String::new(), |d| d.purchased.to_string())
        ),
        (_, m) => m.to_ascii_uppercase(),
    };
    outln!(
        "Selling {} {} from {} on {} at {} ({how})",
        qty(v.quantity),
        v.symbol,
        v.account,
        v.date,
        price(v.price)
    );
    let mut t = Report::new(&[
        "Acquired",
        "Quantity>",
        "Cost basis>",
        "Proceeds>",
        "Wash sale>",
        "Gain>",
        "Term",
    ]);
    for d in &v.lots {
        t.row(vec![
            d.purchased.to_string(),
            qty(d.quantity),
            money(d.cost),
            money(d.proceeds),
            money_or_blank(d.disallowed),
            money(d.gain),
            d.term.as_str().into(),
        ]);
    }
    t.print()?;
    outln!(
        "Proceeds {}, cost basis {}: short-term gain {}, long-term gain {}",
        money(v.proceeds),
        money(v.cost_basis),
        money(v.short_term_gain),
        money(v.long_term_gain)
    );
    if r.account_kind != AccountKind::Taxable {
        outln!(
            "{} is a retirement account: the sale is not a taxable event.",
            v.account
        );
        return Ok(());
    }
    if v.wash_sale_disallowed.is_zero() {
        outln!("Wash sale: none from purchases recorded within 30 days before or after.");
    } else {
        outln!(
            "Wash sale: {} of the loss is disallowed by shares bought within 30 days before or after{}.",
            money(v.wash_sale_disallowed),
            if v.wash_sale_permanent.is_zero() {
                String::new()
            } else {
                format!(
                    " ({} of it lost for good: the shares are in an IRA)",
                    money(v.wash_sale_permanent)
                )
            }
        );
    }
    if v.lots.iter().any(|d| d.gain < Decimal::ZERO) {
        outln!(
            "Buying {} before {} would wash the loss that remains.",
            v.substantially_identical.join(" or "),
            v.safe_to_buy_back
        );
    }
    Ok(())
}

pub(super) fn buy(r: &BuyReport) -> anyhow::Result<()> {
    warnings(&r.warnings)?;
    let v = &r.preview;
    outln!(
        "Buying {} {} in {} on {} at {}",
        qty(v.quantity),
        v.symbol,
        v.account,
        v.date,
        price(v.price)
    );
    for c in &v.other_changes {
        outln!(
            "The {} sale of {} in {} would relieve other lots: its gain goes from {} to {}.",
            c.sold,
            c.symbol,
            c.account,
            money(c.gain_before),
            money(c.gain_after)
        );
    }
    if v.washes.is_empty() {
        outln!(
            "Washes no loss: nothing substantially identical ({}) was sold at a loss within 30 days that is not already washed.",
            r.substantially_identical.join(", ")
        );
        return Ok(());
    }
    let mut t = Report::new(&[
        "Account",
        "Symbol",
        "Sold",
        "Quantity>",
        "Disallowed>",
        "Lost for good>",
    ]);
    for w in &v.washes {
        t.row(vec![
            w.account.clone(),
            w.symbol.clone(),
            w.sold.to_string(),
            qty(w.quantity),
            money(w.disallowed),
            money(w.permanent),
        ]);
    }
    t.print()?;
    if !v.wash_sale_disallowed.is_zero() {
        outln!(
            "This purchase would disallow {} of loss{}.",
            money(v.wash_sale_disallowed),
            if v.wash_sale_permanent.is_zero() {
                " (it moves into the new shares' basis and is deducted when they are sold)"
            } else {
                ""
            }
        );
    }
    if !v.wash_sale_permanent.is_zero() {
        outln!(
            "{} of disallowed loss would be lost for good: {} is a retirement account, so the loss does not move into its basis.",
            money(v.wash_sale_permanent),
            v.account
        );
    }
    Ok(())
}
