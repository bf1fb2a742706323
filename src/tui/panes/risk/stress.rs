//! The Risk pane's stress view: the scenarios `folio stress` applies to today's holdings (2008,
//! 2020, 2022 and the user's own), one row each with the change of the holdings and of net
//! worth with cash and how much of the loss the cash covers; below, the selected scenario's
//! changes by account and by holding (the largest loss first), the cash buffer, and the
//! unclassified holdings given the scenario's default.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};
use rust_decimal::Decimal;

use super::super::{Done, Handled, View};
use super::{Asked, label};
use crate::analytics::stress::Basis;
use crate::app::stress::{ScenarioRun, StressParams, StressReport};
use crate::format::{money, signed_money, signed_pct};
use crate::tui::jobs::Job;
use crate::tui::theme::Theme;
use crate::tui::widgets::{CellText, Column, draw_table, wrap_words};

const SCENARIO_COLUMNS: [Column; 6] = [
    Column::left("Scenario", 22, 0),
    Column::right("Change", 12, 0),
    Column::right("% hold.", 8, 0),
    Column::right("NW after", 12, 1),
    Column::right("% NW", 8, 0),
    Column::right("Cash covers", 11, 2),
];

const ACCOUNT_COLUMNS: [Column; 5] = [
    Column::left("Account", 10, 0),
    Column::right("Holdings", 12, 0),
    Column::right("Change", 12, 0),
    Column::right("Change %", 9, 0),
    Column::right("Cash", 11, 1),
];

const HOLDING_COLUMNS: [Column; 8] = [
    Column::left("Account", 10, 0),
    Column::left("Symbol", 6, 0),
    Column::left("Class", 16, 2),
    Column::right("Value", 11, 0),
    Column::right("Shock", 7, 0),
    Column::right("Change", 11, 0),
    Column::right("After", 11, 1),
    Column::left("Basis", 11, 3),
];

#[derive(Default)]
pub(super) struct StressView {
    answer: Asked<StressParams, StressReport>,
    /// The selected scenario.
    scenario: usize,
    /// The first holding shown, and how many the last frame showed (a page).
    first: usize,
    page: usize,
}

/// A percent as the scenario file writes it (one decimal): "-47.2%", "+2.2%", "-35%".
fn figure(x: Decimal) -> String {
    let x = x.normalize();
    if x > Decimal::ZERO {
        format!("+{x}%")
    } else {
        format!("{x}%")
    }
}

fn opt_pct(x: Option<Decimal>) -> String {
    x.map_or_else(|| "-".into(), signed_pct)
}

fn signed(t: Theme, d: Decimal) -> Style {
    t.signed(Some(d.cmp(&Decimal::ZERO)))
}

impl StressView {
    pub(super) fn ask(&mut self, jobs: &mut Vec<Job>) {
        // Every scenario, every account: `folio stress`.
        self.answer
            .ensure(StressParams::default(), jobs, Job::Stress);
    }

    pub(super) fn stale(&mut self) {
        self.answer.stale();
    }

    pub(super) fn answered(&mut self, done: &Done) {
        if let Done::Stress { result, .. } = done {
            self.answer.answered(result);
            let n = self.answer.report().map_or(0, |r| r.scenarios.len());
            self.scenario = self.scenario.min(n.saturating_sub(1));
        }
    }

    fn selected(&self) -> Option<&ScenarioRun> {
        let r = self.answer.report()?;
        r.scenarios
            .get(self.scenario.min(r.scenarios.len().saturating_sub(1)))
    }

    pub(super) fn key(&mut self, key: KeyEvent) -> Handled {
        let scenarios = self.answer.report().map_or(0, |r| r.scenarios.len());
        let holdings = self.selected().map_or(0, |s| s.result.holdings.len());
        let last = holdings.saturating_sub(self.page.max(1));
        match key.code {
            KeyCode::Up | KeyCode::Char('k') | KeyCode::Left | KeyCode::Char('h') => {
                self.scenario = self.scenario.saturating_sub(1);
                self.first = 0;
            }
            KeyCode::Down | KeyCode::Char('j') | KeyCode::Right | KeyCode::Char('l') => {
                self.scenario = (self.scenario + 1).min(scenarios.saturating_sub(1));
                self.first = 0;
            }
            KeyCode::PageDown => self.first = (self.first + self.page.max(1)).min(last),
            KeyCode::PageUp => self.first = self.first.saturating_sub(self.page.max(1)),
            KeyCode::Home | KeyCode::Char('g') => self.first = 0,
            KeyCode::End | KeyCode::Char('G') => self.first = last,
            _ => return Handled::No,
        }
        Handled::Yes
    }

    pub(super) fn draw(&mut self, f: &mut Frame, area: Rect, view: &View, hint: Line<'static>) {
        let t = view.theme;
        let r = match &self.answer.answer {
            Some(Ok(r)) => r,
            Some(Err(e)) => {
                f.render_widget(
                    Paragraph::new(vec![
                        Line::styled("The stress test could not be run:", t.error()),
                        Line::raw(e.clone()),
                    ])
                    .block(Block::bordered().title(hint))
                    .wrap(Wrap { trim: true }),
                    area,
                );
                return;
            }
            None => {
                f.render_widget(
                    Paragraph::new("Applying the stress scenarios to the holdings…").style(t.dim()),
                    area,
                );
                return;
            }
        };
        let n = r.scenarios.len();
        let [top, bottom] =
            Layout::vertical([Constraint::Length(n as u16 + 3), Constraint::Fill(1)]).areas(area);
        let busy = if self.answer.pending {
            ", measuring…"
        } else {
            ""
        };
        let block = Block::bordered()
            .title(format!(
                " Stress test of the holdings on {} in {}{busy} ",
                r.as_of, r.currency
            ))
            .title(hint);
        let inner = block.inner(top);
        f.render_widget(block, top);
        // The scenario's name takes the width the figures leave, up to its whole name.
        let names: Vec<String> = r
            .scenarios
            .iter()
            .map(|s| format!("{} {}", s.id, s.title))
            .collect();
        let figures: u16 = SCENARIO_COLUMNS[1..].iter().map(|c| c.width + 1).sum();
        let longest = names.iter().map(|s| s.chars().count()).max().unwrap_or(0);
        let width = usize::from(inner.width.saturating_sub(figures))
            .min(longest)
            .max(usize::from(SCENARIO_COLUMNS[0].width));
        let rows: Vec<Vec<CellText>> = r
            .scenarios
            .iter()
            .zip(&names)
            .map(|(s, name)| {
                let x = &s.result.totals;
                let c = &s.result.cash_buffer;
                let covers = if c.loss.is_zero() {
                    "no loss".to_string()
                } else if c.covers_loss {
                    "all".to_string()
                } else {
                    c.pct_of_loss.map_or("-".into(), |p| format!("{p:.2}%"))
                };
                vec![
                    (label(name, width), Style::new()),
                    (signed_money(x.change), signed(t, x.change)),
                    (opt_pct(x.pct_of_holdings), signed(t, x.change)),
                    (money(x.net_worth_after), Style::new()),
                    (opt_pct(x.pct_of_net_worth), signed(t, x.change)),
                    (covers, Style::new()),
                ]
            })
            .collect();
        let selected = self.scenario.min(n.saturating_sub(1));
        let mut columns = SCENARIO_COLUMNS;
        columns[0].width = width as u16;
        draw_table(f, inner, &columns, rows, Some(selected), None, t);
        if let Some(s) = r.scenarios.get(selected) {
            let scroll = Scroll {
                first: &mut self.first,
                page: &mut self.page,
            };
            draw_scenario(f, bottom, s, &r.warnings, t, scroll);
        }
    }
}

/// Where the holdings table is scrolled to, and the page the frame shows.
struct Scroll<'a> {
    first: &'a mut usize,
    page: &'a mut usize,
}

/// The selected scenario: its totals and cash buffer, its accounts, its holdings.
fn draw_scenario(
    f: &mut Frame,
    area: Rect,
    s: &ScenarioRun,
    warnings: &[String],
    t: Theme,
    scroll: Scroll,
) {
    let x = &s.result.totals;
    let c = &s.result.cash_buffer;
    let title = match (s.from, s.to) {
        (Some(from), Some(to)) => format!(" {} {}: {from} to {to} ", s.id, s.title),
        _ => format!(" {} ", s.title),
    };
    let mut block = Block::bordered().title(title);
    let inner = block.inner(area);
    let width = usize::from(inner.width);
    let mut lines: Vec<Line> = vec![
        Line::raw(format!(
            "Holdings {} → {}: {} ({})",
            money(x.holdings_value),
            money(x.holdings_after),
            signed_money(x.change),
            opt_pct(x.pct_of_holdings)
        )),
        Line::raw(format!(
            "Net worth with cash {} → {} ({})",
            money(x.net_worth),
            money(x.net_worth_after),
            opt_pct(x.pct_of_net_worth)
        )),
    ];
    let mut notes: Vec<(String, Style)> = vec![(c.describe(), Style::new())];
    if !s.result.defaulted.is_empty() {
        let d = s
            .default_pct
            .map_or(String::new(), |d| format!(" {}", figure(d)));
        let why = s
            .default_note
            .as_deref()
            .map_or(String::new(), |n| format!(" ({n})"));
        notes.push((
            format!(
                "Unclassified, given the default{d}{why}: {}",
                s.result.defaulted.join(", ")
            ),
            t.warn(),
        ));
    }
    if !s.result.not_shocked.is_empty() {
        notes.push((
            format!(
                "Not shocked (no shock names them or their class): {}",
                s.result.not_shocked.join(", ")
            ),
            t.dim(),
        ));
    }
    notes.extend(warnings.iter().map(|w| (w.clone(), t.warn())));
    for (text, style) in notes {
        lines.extend(
            wrap_words(&text, width)
                .into_iter()
                .map(|l| Line::styled(l, style)),
        );
    }
    let accounts = s.result.accounts.len();
    let holdings = s.result.holdings.len();
    // The summary, the accounts and at least a few holdings; the description and its
    // source when everything else fits.
    let fixed = lines.len() + 1 + accounts;
    let about: Vec<Line> = [(&s.description, t.dim()), (&s.source, t.dim())]
        .into_iter()
        .flat_map(|(text, style)| {
            wrap_words(text, width)
                .into_iter()
                .map(move |l| Line::styled(l, style))
        })
        .collect();
    if fixed + 1 + holdings + about.len() <= usize::from(inner.height) {
        lines.extend(about);
    }
    let summary = (lines.len() as u16).min(inner.height.saturating_sub(4));
    let [head, acc, hold] = Layout::vertical([
        Constraint::Length(summary),
        Constraint::Length(1 + accounts as u16),
        Constraint::Fill(1),
    ])
    .areas(inner);
    // The holdings, the largest loss first, from `first` on.
    let mut order: Vec<usize> = (0..holdings).collect();
    order.sort_by(|a, b| {
        let (a, b) = (&s.result.holdings[*a], &s.result.holdings[*b]);
        a.change
            .cmp(&b.change)
            .then_with(|| a.account.cmp(&b.account))
            .then_with(|| a.symbol.cmp(&b.symbol))
    });
    let page = usize::from(hold.height.saturating_sub(1));
    *scroll.page = page;
    *scroll.first = (*scroll.first).min(holdings.saturating_sub(page.max(1)));
    let shown = *scroll.first..(*scroll.first + page).min(holdings);
    let (above, below) = (shown.start, holdings - shown.end);
    if above + below > 0 {
        let more = match (above, below) {
            (0, b) => format!(" ↓ {b} more (PgDn) "),
            (a, 0) => format!(" ↑ {a} more (PgUp) "),
            (a, b) => format!(" ↑ {a} ↓ {b} more "),
        };
        block = block.title_bottom(Line::styled(more, t.warn()).right_aligned());
    }
    f.render_widget(block, area);
    f.render_widget(Paragraph::new(lines), head);
    let rows: Vec<Vec<CellText>> = s
        .result
        .accounts
        .iter()
        .map(|a| {
            vec![
                (a.account.clone(), Style::new()),
                (money(a.value), Style::new()),
                (signed_money(a.change), signed(t, a.change)),
                (opt_pct(a.change_pct), signed(t, a.change)),
                (money(a.cash), Style::new()),
            ]
        })
        .collect();
    draw_table(f, acc, &ACCOUNT_COLUMNS, rows, None, None, t);
    let rows: Vec<Vec<CellText>> = order[shown]
        .iter()
        .map(|&i| {
            let h = &s.result.holdings[i];
            let basis = match h.basis {
                Basis::Symbol => "symbol",
                Basis::Class => "class",
                Basis::Default => "default",
                Basis::NotShocked => "not shocked",
            };
            vec![
                (h.account.clone(), Style::new()),
                (h.symbol.clone(), Style::new()),
                (label(&h.class, 16), t.dim()),
                (money(h.value), Style::new()),
                (
                    figure(h.shock_pct),
                    if h.basis == Basis::Default {
                        t.warn()
                    } else {
                        Style::new()
                    },
                ),
                (signed_money(h.change), signed(t, h.change)),
                (money(h.value_after), Style::new()),
                (basis.to_string(), t.dim()),
            ]
        })
        .collect();
    draw_table(f, hold, &HOLDING_COLUMNS, rows, None, None, t);
}
