//! Harvest: lots in taxable accounts whose loss is worth realizing, ranked by net benefit, with
//! their wash-sale status and the day the symbol may be bought back; Enter shows one lot: what
//! blocks it, what to hold instead and how similar that is.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span as TextSpan};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Handled, Pane, View, matches};
use crate::analytics::harvest::{Candidate, Harvest, WashStatus};
use crate::format::{money, price, qty, signed_money, signed_pct};
use crate::tui::list::{List, Rows};
use crate::tui::widgets::{CellText, Column, draw_table};

const COLUMNS: [Column; 12] = [
    Column::left("Account", 10, 1),
    Column::left("Symbol", 6, 0),
    Column::left("Acquired", 10, 3),
    Column::left("Term", 5, 2),
    Column::right("Quantity", 9, 2),
    Column::right("Loss", 11, 0),
    Column::right("Loss %", 7, 3),
    Column::left("Wash", 10, 0),
    Column::right("Saving", 9, 1),
    Column::right("Net", 9, 4),
    Column::left("Buy back", 10, 2),
    Column::left("Replace with", 12, 1),
];

const IDEA_COLUMNS: [Column; 6] = [
    Column::left("Symbol", 6, 0),
    Column::left("Index", 28, 2),
    Column::right("Score", 5, 0),
    Column::right("Corr", 5, 1),
    Column::right("Vol ratio", 9, 3),
    Column::right("Beta", 5, 3),
];

const HELP: &[(&str, &str)] = &[
    ("↑ ↓ j k", "move"),
    ("PgUp PgDn g G", "page, first, last"),
    (
        "Enter",
        "the lot: what blocks it, replacements and their similarity",
    ),
    ("Esc", "back to the list (or clear the filter)"),
    ("/", "filter by account, symbol or name"),
    (
        "s",
        "sell the lot (the order ticket), then r for the replacement buy",
    ),
    ("b", "buy the lot's first replacement"),
];

#[derive(Default)]
pub struct HarvestPane {
    list: List,
    /// The lot shown in detail: its index in the scan's candidates, and its account, symbol
    /// and purchase to check that it is still the same lot.
    detail: Option<(usize, String, String, i64)>,
}

impl Pane for HarvestPane {
    fn title(&self) -> &'static str {
        "Harvest"
    }

    fn help(&self) -> &'static [(&'static str, &'static str)] {
        HELP
    }

    fn typing(&self) -> bool {
        self.list.filter.typing
    }

    fn key(
        &mut self,
        key: KeyEvent,
        view: &View,
        _jobs: &mut Vec<crate::tui::jobs::Job>,
    ) -> Handled {
        if self.list.typed(key).is_some() {
            return Handled::Yes;
        }
        if self.detail.is_some() {
            return if key.code == KeyCode::Esc {
                self.detail = None;
                Handled::Yes
            } else {
                Handled::No
            };
        }
        let Some(Ok(h)) = view.harvest else {
            return Handled::No;
        };
        let h = &h.harvest;
        let rows = self.shown(h, view);
        if self.list.movement(&key, rows.len()) {
            return Handled::Yes;
        }
        match key.code {
            KeyCode::Enter => {
                if let Some((i, c)) = rows.get(self.list.cursor.selected) {
                    self.detail = Some((
                        *i,
                        c.account.clone(),
                        c.symbol.clone(),
                        c.lot_transaction_id,
                    ));
                }
            }
            KeyCode::Char('/') => self.list.filter.start(),
            KeyCode::Esc if self.list.filter.is_active() => self.list.filter.clear(),
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn selection(&self, view: &View) -> Option<super::Selection> {
        let Some(Ok(h)) = view.harvest else {
            return None;
        };
        let h = &h.harvest;
        let c = match &self.detail {
            Some((i, ..)) => h.candidates.get(*i)?,
            None => self.shown(h, view).get(self.list.cursor.selected)?.1,
        };
        Some(super::Selection {
            symbol: c.symbol.clone(),
            account: Some(c.account.clone()),
            quantity: Some(c.quantity),
            lots: Some(c.acquired.to_string()),
            replacement: c.replacements.first().map(|r| r.symbol.clone()),
        })
    }

    fn draw(&mut self, f: &mut Frame, area: Rect, view: &View) {
        let t = view.theme;
        let h = match view.harvest {
            None => {
                f.render_widget(Paragraph::new("Scanning lots...").style(t.dim()), area);
                return;
            }
            Some(Err(e)) => {
                f.render_widget(
                    Paragraph::new(format!("The harvest scan failed: {e}"))
                        .style(t.error())
                        .wrap(Wrap { trim: true }),
                    area,
                );
                return;
            }
            Some(Ok(h)) => &h.harvest,
        };
        if let Some((i, account, symbol, id)) = &self.detail {
            match h.candidates.get(*i).filter(|c| {
                &c.account == account && &c.symbol == symbol && c.lot_transaction_id == *id
            }) {
                Some(c) => return draw_detail(f, area, c, view),
                None => self.detail = None,
            }
        }
        let [summary_area, table_area] =
            Layout::vertical([Constraint::Length(2), Constraint::Fill(1)]).areas(area);
        draw_summary(f, summary_area, h, view);
        let rows = self.shown(h, view);
        if h.candidates.is_empty() {
            let text = if view.portfolio.is_empty() {
                "No lots yet: import transactions with `folio import FILE`.".to_string()
            } else {
                "No lot in a taxable account loses enough to be worth harvesting (thresholds: [tax] min_loss and min_loss_pct)."
                    .to_string()
            };
            f.render_widget(
                Paragraph::new(text)
                    .style(t.dim())
                    .wrap(Wrap { trim: true }),
                table_area,
            );
            return;
        }
        self.list.draw(
            f,
            table_area,
            Rows {
                columns: &COLUMNS,
                rows: &rows,
                total: h.candidates.len(),
                sort: None,
                note: None,
            },
            t,
            |(_, c)| cells(c, view),
        );
    }
}

impl HarvestPane {
    /// The candidates that pass the filter, with their index in the scan.
    fn shown<'h>(&self, h: &'h Harvest, view: &View) -> Vec<(usize, &'h Candidate)> {
        let needle = self.list.filter.text().to_lowercase();
        h.candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                needle.is_empty()
                    || matches(&c.symbol, &needle)
                    || matches(&c.account, &needle)
                    || view
                        .portfolio
                        .securities
                        .name_of(&c.symbol)
                        .is_some_and(|n| matches(n, &needle))
            })
            .collect()
    }
}

fn wash_label(c: &Candidate) -> String {
    match c.wash_status {
        WashStatus::Clean => "clean".into(),
        WashStatus::Full => "full".into(),
        WashStatus::Partial => format!("{} sh", qty(c.blocked_quantity)),
        WashStatus::IraPermanent => "IRA: lost".into(),
    }
}

fn cells(c: &Candidate, view: &View) -> Vec<CellText> {
    let t = view.theme;
    let wash_style = match c.wash_status {
        WashStatus::Clean => Style::new(),
        WashStatus::Partial => t.warn(),
        WashStatus::Full | WashStatus::IraPermanent => t.error(),
    };
    let ideas: Vec<String> = c
        .replacements
        .iter()
        .take(2)
        .map(|i| format!("{}{}", i.symbol, if i.also_a_candidate { "*" } else { "" }))
        .collect();
    let base = if c.worth_harvesting {
        Style::new()
    } else {
        t.dim()
    };
    vec![
        (c.account.clone(), base),
        (c.symbol.clone(), Style::new()),
        (c.acquired.to_string(), Style::new()),
        (c.term.as_str().into(), Style::new()),
        (qty(c.quantity), Style::new()),
        (signed_money(-c.loss), t.loss()),
        (signed_pct(-c.loss_pct), t.loss()),
        (wash_label(c), wash_style),
        (money(c.estimated_saving), t.gain()),
        (signed_money(c.net_benefit), base),
        (c.safe_to_buy_back.to_string(), Style::new()),
        (ideas.join(" "), Style::new()),
    ]
}

fn draw_summary(f: &mut Frame, area: Rect, h: &Harvest, view: &View) {
    let t = view.theme;
    let y = &h.summary.realized;
    let lines = vec![
        Line::from(vec![
            TextSpan::styled("Harvestable ", t.dim()),
            TextSpan::styled(money(h.summary.harvestable_loss), t.accent()),
            TextSpan::styled(
                format!(" {} in {} lots worth it", h.currency, h.summary.candidates),
                t.dim(),
            ),
            TextSpan::styled("   offset unused ", t.dim()),
            TextSpan::raw(format!(
                "{} of {}",
                money(y.ordinary_offset_unused),
                money(y.ordinary_offset_used + y.ordinary_offset_unused)
            )),
        ]),
        Line::from(vec![
            TextSpan::styled(format!("Realized {}  short ", y.year), t.dim()),
            TextSpan::raw(format!(
                "{} {}",
                signed_money(y.short_term_gains),
                signed_money(-y.short_term_losses)
            )),
            TextSpan::styled("  long ", t.dim()),
            TextSpan::raw(format!(
                "{} {}",
                signed_money(y.long_term_gains),
                signed_money(-y.long_term_losses)
            )),
            TextSpan::styled("  washed ", t.dim()),
            TextSpan::raw(money(y.wash_sale_disallowed)),
        ]),
    ];
    f.render_widget(Paragraph::new(lines), area);
}

fn draw_detail(f: &mut Frame, area: Rect, c: &Candidate, view: &View) {
    let t = view.theme;
    let mut lines = vec![Line::from(vec![
        TextSpan::styled(format!("{} ", c.symbol), t.accent()),
        TextSpan::raw(format!("in {}", c.account)),
        TextSpan::styled(
            c.name
                .as_deref()
                .map(|n| format!("  {n}"))
                .unwrap_or_default(),
            t.dim(),
        ),
    ])];
    let holding = if c.holding_period_from == c.acquired {
        String::new()
    } else {
        format!(" (held from {}: wash sale)", c.holding_period_from)
    };
    let term = if c.days_to_long_term > 0 {
        format!("short term, long term in {} days", c.days_to_long_term)
    } else {
        "long term".into()
    };
    lines.push(Line::raw(format!(
        "{} sh acquired {}{holding}, {term}",
        qty(c.quantity),
        c.acquired
    )));
    lines.push(Line::from(vec![
        TextSpan::raw(format!(
            "Basis {}  Value {} at {}  ",
            money(c.cost_basis),
            money(c.value),
            price(c.price)
        )),
        TextSpan::styled(
            format!(
                "Loss {} ({})",
                signed_money(-c.loss),
                signed_pct(-c.loss_pct)
            ),
            t.loss(),
        ),
    ]));
    let wash = match c.wash_status {
        WashStatus::Clean => "clean: the whole loss is allowed".to_string(),
        WashStatus::Partial => format!(
            "partial: the loss on {} of {} sh would be disallowed",
            qty(c.blocked_quantity),
            qty(c.quantity)
        ),
        WashStatus::Full => "full: the whole loss would be disallowed".to_string(),
        WashStatus::IraPermanent => format!(
            "{} sh washed by IRA purchases: that loss would be lost for good",
            qty(c.blocked_quantity)
        ),
    };
    lines.push(Line::from(vec![
        TextSpan::styled("Sold today  ", t.header()),
        TextSpan::raw(format!("wash sale {wash}")),
    ]));
    lines.push(Line::raw(format!(
        "            allowed loss {}, saving {}, costs {}, net {}",
        money(c.allowed_loss),
        money(c.estimated_saving),
        money(c.trading_cost),
        signed_money(c.net_benefit)
    )));
    for b in &c.blockers {
        let what = b.describe();
        lines.push(Line::styled(
            format!("            blocked by {what}"),
            if b.retirement { t.error() } else { t.warn() },
        ));
    }
    lines.push(Line::from(vec![
        TextSpan::styled("Buy back    ", t.header()),
        TextSpan::raw(format!(
            "on {} or later; until then do not buy {}",
            c.safe_to_buy_back,
            c.blocked_symbols.join(", ")
        )),
    ]));
    if !c.worth_harvesting {
        lines.push(Line::styled(
            "Not worth harvesting now: the loss left after wash sales is under the minimum or does not pay for the trades.",
            t.warn(),
        ));
    }
    lines.push(Line::styled(
        "Replacements: other index, same class; similarity, last year; * a candidate too",
        t.dim(),
    ));
    // Wrapped lines take more rows: count them at this width.
    let width = usize::from(area.width.max(1));
    let rows_needed: usize = lines.iter().map(|l| l.width().max(1).div_ceil(width)).sum();
    let head_h = (rows_needed as u16).min(area.height.saturating_sub(2));
    let [head_area, ideas_area] =
        Layout::vertical([Constraint::Length(head_h), Constraint::Fill(1)]).areas(area);
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), head_area);
    if c.replacements.is_empty() {
        f.render_widget(
            Paragraph::new(format!(
                "No replacement known for {}: give it a class and index in securities.toml beside the config file.",
                c.symbol
            ))
            .style(t.dim())
            .wrap(Wrap { trim: true }),
            ideas_area,
        );
        return;
    }
    let rows = c
        .replacements
        .iter()
        .map(|i| {
            let num = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.2}"));
            let s = i.similarity;
            vec![
                (
                    format!("{}{}", i.symbol, if i.also_a_candidate { "*" } else { "" }),
                    if i.also_a_candidate {
                        t.dim()
                    } else {
                        Style::new()
                    },
                ),
                (i.index.clone(), Style::new()),
                (num(s.map(|s| s.score)), t.accent()),
                (num(s.map(|s| s.correlation)), Style::new()),
                (num(s.map(|s| s.volatility_ratio)), Style::new()),
                (num(s.map(|s| s.beta)), Style::new()),
            ]
        })
        .collect();
    draw_table(f, ideas_area, &IDEA_COLUMNS, rows, None, None, t);
}
