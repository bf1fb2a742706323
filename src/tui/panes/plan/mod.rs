//! Plan: a Monte Carlo plan of the portfolio, the same plan as `folio plan --from-portfolio
//! --withdrawal-rate 4%` when the pane opens (the holdings' own assets and estimates); fields
//! edited in place, a run on background threads with a progress gauge (Esc cancels), the fan
//! chart of the percentile bands with the goal line, what-if keys that re-run at once, and
//! plans saved in the database. Every run and save is a job for the query layer.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, Paragraph};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

mod chart;
mod fields;

use super::{Handled, Pane, View};
use crate::analytics::montecarlo::{Column as AssetColumn, Control, Percentiles};
use crate::app::plan::{Inputs, Listed, PlanReport};
use crate::tui::jobs::{Done, Job};
use crate::tui::theme::Theme;
use chart::fan_chart;
use fields::{FIELDS, dollars, short};

const HELP: &[(&str, &str)] = &[
    ("↑ ↓ j k", "choose a field"),
    (
        "Enter",
        "edit the field (Enter applies, Esc cancels); ← → change a choice",
    ),
    ("r", "run the plan again"),
    ("Esc", "cancel a run"),
    ("+ -", "what if: withdrawal rate up or down 0.25 point"),
    (
        "] [",
        "what if: stock share up or down 5 points (a stock/bond mix)",
    ),
    ("S", "save the plan under a name"),
    ("o", "open the next saved plan"),
];

/// A finished run: the plan as stated, what came out, and its bands as the chart draws them.
struct Ran {
    inputs: Inputs,
    report: Box<PlanReport>,
    values: Vec<Percentiles>,
}

impl Ran {
    fn new(inputs: Inputs, report: Box<PlanReport>) -> Ran {
        let f = |d: Decimal| d.to_f64().unwrap_or(0.0);
        let values = report
            .percentiles
            .iter()
            .map(|y| Percentiles {
                p5: f(y.p.p5),
                p25: f(y.p.p25),
                p50: f(y.p.p50),
                p75: f(y.p.p75),
                p95: f(y.p.p95),
            })
            .collect();
        Ran {
            inputs,
            report,
            values,
        }
    }

    /// The holdings' stock share (bond classes and cash count as bonds), rounded to 5 points.
    fn stock_share(&self) -> f64 {
        let s: f64 = self
            .report
            .assets
            .iter()
            .filter(|a| a.column == AssetColumn::Stocks)
            .map(|a| a.weight)
            .sum();
        (s * 20.0).round() / 20.0
    }
}

pub struct PlanPane {
    inputs: Inputs,
    /// The first run was asked for.
    started: bool,
    selected: usize,
    /// The text being typed into the selected field (or the save name).
    editing: Option<String>,
    naming: bool,
    /// The run going on: its progress and cancel switch.
    running: Option<Arc<Control>>,
    saving: bool,
    result: Option<Ran>,
    message: Option<(String, bool)>,
    saved: Vec<Listed>,
    /// The saved plan `o` opens next.
    next_saved: usize,
}

/// The plan the pane opens with: the portfolio's own, 4% constant-real withdrawals, 30 years.
pub fn default_inputs() -> Inputs {
    Inputs {
        from_portfolio: true,
        withdrawal_rate: Some(0.04),
        ..Inputs::default()
    }
}

impl Default for PlanPane {
    fn default() -> Self {
        PlanPane {
            inputs: default_inputs(),
            started: false,
            selected: 0,
            editing: None,
            naming: false,
            running: None,
            saving: false,
            result: None,
            message: None,
            saved: Vec::new(),
            next_saved: 0,
        }
    }
}

impl PlanPane {
    fn start_run(&mut self, jobs: &mut Vec<Job>) {
        if let Some(c) = self.running.take() {
            c.cancel.store(true, Ordering::Relaxed);
        }
        let control = Arc::new(Control::default());
        jobs.push(Job::Plan {
            inputs: Box::new(self.inputs.clone()),
            control: control.clone(),
        });
        self.running = Some(control);
        self.message = None;
    }

    fn save(&mut self, name: String, jobs: &mut Vec<Job>) {
        if self.running.is_some() {
            self.message = Some((
                "A run is in progress: save when it has finished (Esc cancels it).".into(),
                true,
            ));
            return;
        }
        // The results are kept only when they are those of the inputs saved.
        let report = self
            .result
            .as_ref()
            .filter(|r| r.inputs == self.inputs)
            .map(|r| r.report.clone());
        jobs.push(Job::SavePlan {
            name,
            inputs: Box::new(self.inputs.clone()),
            report,
        });
        self.saving = true;
    }

    fn open_next_saved(&mut self) -> bool {
        if self.saved.is_empty() {
            self.message = Some(("No saved plans yet: S saves this one.".into(), false));
            return false;
        }
        let plan = &self.saved[self.next_saved % self.saved.len()];
        self.next_saved = (self.next_saved + 1) % self.saved.len();
        match &plan.inputs {
            Some(inputs) if fields::editable(inputs) => {
                let mut inputs = inputs.clone();
                if !inputs.from_portfolio && inputs.stocks.is_none() && inputs.bonds.is_none() {
                    inputs.stocks = Some(0.6);
                    inputs.bonds = Some(0.4);
                }
                self.inputs = inputs;
                self.message = Some((format!("Opened '{}'.", plan.name), false));
                true
            }
            Some(_) => {
                self.message = Some((
                    format!(
                        "'{}' uses settings this pane does not show (an account, an amount, cash, a date, a history file...): run it with folio plan --load",
                        plan.name
                    ),
                    true,
                ));
                false
            }
            None => {
                self.message = Some((format!("'{}' cannot be read.", plan.name), true));
                false
            }
        }
    }

    /// From the holdings' own assets to a stock/bond mix at the class defaults, starting at
    /// the holdings' value and stock share.
    fn use_mix(&mut self) {
        if !self.inputs.from_portfolio {
            return;
        }
        let last = self.result.as_ref();
        self.inputs.from_portfolio = false;
        if self.inputs.initial.is_none() {
            self.inputs.initial =
                Some(last.map_or(Decimal::from(1_000_000), |r| r.report.initial.round()));
        }
        let stocks = last.map_or(0.6, Ran::stock_share);
        self.inputs.stocks = Some(stocks);
        self.inputs.bonds = Some(1.0 - stocks);
    }

    /// Back to the holdings' own assets (the value too, unless one was typed).
    fn use_holdings(&mut self) {
        self.inputs.from_portfolio = true;
        self.inputs.stocks = None;
        self.inputs.bonds = None;
        self.inputs.cash = None;
    }

    fn what_if(&mut self, key: char) {
        match key {
            '+' | '-' => {
                let i = &mut self.inputs;
                let r =
                    i.withdrawal_rate.unwrap_or(0.0) + if key == '+' { 0.0025 } else { -0.0025 };
                let r = (r.clamp(0.0, 1.0) * 10_000.0).round() / 10_000.0;
                i.withdrawal_rate = (r > 0.0).then_some(r);
            }
            _ => {
                self.use_mix();
                let i = &mut self.inputs;
                let s = i.stocks.unwrap_or(0.6) + if key == ']' { 0.05 } else { -0.05 };
                let s = (s.clamp(0.0, 1.0) * 20.0).round() / 20.0;
                i.stocks = Some(s);
                i.bonds = Some(1.0 - s);
            }
        }
    }

    /// What the chart's title says was run: the model, the assets and the withdrawals.
    fn described(r: &Ran) -> String {
        let assets = if r.inputs.from_portfolio {
            format!("{} holdings", r.report.assets.len())
        } else {
            r.report
                .assets
                .iter()
                .map(|a| format!("{} {:.0}%", a.name, a.weight * 100.0))
                .collect::<Vec<_>>()
                .join("/")
        };
        format!(
            "{assets} · {} · {} · {} paths",
            r.report.model,
            r.report.strategy,
            dollars(r.report.paths as f64)
        )
    }
}

impl Pane for PlanPane {
    fn title(&self) -> &'static str {
        "Plan"
    }

    fn help(&self) -> &'static [(&'static str, &'static str)] {
        HELP
    }

    fn typing(&self) -> bool {
        self.editing.is_some()
    }

    fn busy(&self) -> bool {
        self.running.is_some() || self.saving
    }

    fn cancel(&mut self) {
        if let Some(c) = &self.running {
            c.cancel.store(true, Ordering::Relaxed);
        }
    }

    fn loaded(&mut self, view: &View, jobs: &mut Vec<Job>) {
        self.saved = view.portfolio.saved_plans.clone();
        // The first time, and again when the holdings it plans from changed.
        if !self.started || self.inputs.from_portfolio {
            if !self.started {
                // The fields show what runs: the config's paths and seed.
                let plan = &view.portfolio.config.plan;
                self.inputs.paths.get_or_insert(plan.paths);
                self.inputs.seed.get_or_insert(plan.seed);
            }
            self.started = true;
            self.start_run(jobs);
        }
    }

    fn done(&mut self, done: &Done, _view: &View, _jobs: &mut Vec<Job>) {
        match done {
            Done::Plan {
                inputs,
                result,
                cancelled,
            } => {
                self.running = None;
                match result {
                    Ok(r) => self.result = Some(Ran::new((**inputs).clone(), r.clone())),
                    Err(_) if *cancelled => self.message = Some(("Cancelled.".into(), false)),
                    Err(e) => self.message = Some((e.clone(), true)),
                }
            }
            Done::Saved { name, result } => {
                self.saving = false;
                self.message = Some(match result {
                    Ok(all) => {
                        self.saved = all.clone();
                        (format!("Saved as '{name}'."), false)
                    }
                    Err(e) => (format!("Cannot save: {e}"), true),
                });
            }
            _ => {}
        }
    }

    fn key(&mut self, key: KeyEvent, _view: &View, jobs: &mut Vec<Job>) -> Handled {
        if let Some(text) = &mut self.editing {
            match key.code {
                KeyCode::Esc => {
                    self.editing = None;
                    self.naming = false;
                }
                KeyCode::Enter => {
                    let text = std::mem::take(text);
                    self.editing = None;
                    if std::mem::take(&mut self.naming) {
                        let name = text.trim().to_string();
                        if name.is_empty() || name.chars().count() > 80 {
                            self.message =
                                Some(("A plan's name is 1 to 80 characters.".into(), true));
                        } else {
                            self.save(name, jobs);
                        }
                    } else {
                        let field = FIELDS[self.selected];
                        let mut inputs = self.inputs.clone();
                        if field == fields::Field::Stocks && inputs.from_portfolio {
                            self.use_mix();
                            inputs = self.inputs.clone();
                        }
                        match field.apply(&mut inputs, &text) {
                            Ok(()) => {
                                self.inputs = inputs;
                                self.start_run(jobs);
                            }
                            Err(e) => self.message = Some((e, true)),
                        }
                    }
                }
                KeyCode::Backspace => {
                    text.pop();
                }
                KeyCode::Char(c) if text.chars().count() < 40 && !c.is_control() => text.push(c),
                _ => {}
            }
            return Handled::Yes;
        }
        let field = FIELDS[self.selected];
        match key.code {
            KeyCode::Esc if self.running.is_some() => {
                if let Some(c) = &self.running {
                    c.cancel.store(true, Ordering::Relaxed);
                }
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.selected = (self.selected + 1) % FIELDS.len()
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.selected = (self.selected + FIELDS.len() - 1) % FIELDS.len()
            }
            KeyCode::Left | KeyCode::Right | KeyCode::Enter if field == fields::Field::Assets => {
                if self.inputs.from_portfolio {
                    self.use_mix();
                } else {
                    self.use_holdings();
                }
                self.start_run(jobs);
            }
            KeyCode::Left | KeyCode::Right if field.is_choice() => {
                field.cycle(&mut self.inputs, key.code == KeyCode::Right);
                self.start_run(jobs);
            }
            KeyCode::Enter if field.is_choice() => {
                field.cycle(&mut self.inputs, true);
                self.start_run(jobs);
            }
            KeyCode::Enter => self.editing = Some(String::new()),
            KeyCode::Char('r') => self.start_run(jobs),
            KeyCode::Char(c @ ('+' | '-' | '[' | ']')) => {
                self.what_if(c);
                self.start_run(jobs);
            }
            KeyCode::Char('S') => {
                self.naming = true;
                self.editing = Some(String::new());
            }
            KeyCode::Char('o') => {
                if self.open_next_saved() {
                    self.start_run(jobs);
                }
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn draw(&mut self, f: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme;
        let left_width = 34.min(area.width / 2);
        let [left, right] =
            Layout::horizontal([Constraint::Length(left_width), Constraint::Min(10)]).areas(area);
        let fields_height = FIELDS.len() as u16 + 2;
        let [fields_area, summary_area] = Layout::vertical([
            Constraint::Length(fields_height.min(left.height)),
            Constraint::Min(0),
        ])
        .areas(left);
        self.draw_fields(f, fields_area, theme);
        self.draw_summary(f, summary_area, theme);
        self.draw_chart(f, right, theme);
    }
}

impl PlanPane {
    fn draw_fields(&self, f: &mut Frame, area: Rect, theme: Theme) {
        let block = Block::default()
            .borders(Borders::ALL)
            .title(" Assumptions ");
        let inner = block.inner(area);
        f.render_widget(block, area);
        let lines: Vec<Line> = FIELDS
            .iter()
            .enumerate()
            .map(|(k, field)| {
                let chosen = k == self.selected;
                let value = match (&self.editing, chosen && !self.naming) {
                    (Some(text), true) => format!("{text}▏"),
                    _ => field.value(&self.inputs),
                };
                let style = if chosen {
                    theme.selected()
                } else {
                    Style::new()
                };
                let arrows = if chosen && field.is_choice() {
                    " ‹›"
                } else {
                    ""
                };
                Line::from(vec![
                    Span::styled(format!("{:<12}", field.label()), style),
                    Span::styled(
                        format!(" {value}{arrows}"),
                        if chosen { style } else { theme.accent() },
                    ),
                ])
            })
            .collect();
        f.render_widget(Paragraph::new(lines), inner);
    }

    fn draw_summary(&self, f: &mut Frame, area: Rect, theme: Theme) {
        if area.height == 0 {
            return;
        }
        let mut lines: Vec<Line> = Vec::new();
        if let Some(control) = &self.running {
            let total = control.total.load(Ordering::Relaxed).max(1);
            let done = control.done.load(Ordering::Relaxed).min(total);
            let gauge_area = Rect { height: 1, ..area };
            f.render_widget(
                Gauge::default()
                    .ratio(done as f64 / total as f64)
                    .label(format!("{}% · Esc cancels", done * 100 / total))
                    .gauge_style(theme.accent()),
                gauge_area,
            );
            lines.push(Line::raw(""));
        }
        if let Some(name) = self.naming.then_some(()).and(self.editing.as_ref()) {
            lines.push(Line::styled(format!("Save as: {name}▏"), theme.accent()));
        }
        let f64_of = |d: Decimal| d.to_f64().unwrap_or(0.0);
        if let Some(Ran { report: o, .. }) = &self.result {
            if !o.withdrawals.is_empty() {
                lines.push(Line::from(vec![
                    Span::raw("Success "),
                    Span::styled(
                        format!("{:.1}%", o.success_rate * 100.0),
                        if o.success_rate >= 0.9 {
                            theme.gain()
                        } else if o.success_rate >= 0.75 {
                            theme.warn()
                        } else {
                            theme.loss()
                        },
                    ),
                    Span::styled(
                        format!(
                            " ({:.1}-{:.1})",
                            o.success_ci95[0] * 100.0,
                            o.success_ci95[1] * 100.0
                        ),
                        theme.dim(),
                    ),
                ]));
            }
            if let Some(g) = &o.goal {
                lines.push(Line::raw(format!(
                    "Goal reached {:.1}% ({:.1}-{:.1})",
                    g.probability * 100.0,
                    g.ci95[0] * 100.0,
                    g.ci95[1] * 100.0
                )));
            }
            lines.push(Line::raw(format!(
                "Year {} median {} (today's $)",
                o.years,
                short(f64_of(o.terminal.p.p50))
            )));
            lines.push(Line::styled(
                format!(
                    "5%-95%: {} - {}",
                    short(f64_of(o.terminal.p.p5)),
                    short(f64_of(o.terminal.p.p95))
                ),
                theme.dim(),
            ));
            lines.push(Line::styled(
                match o.estimate_days {
                    Some(0) => format!("Start {} · class defaults", short(f64_of(o.initial))),
                    Some(days) => format!(
                        "Start {} · {} price days",
                        short(f64_of(o.initial)),
                        dollars(days as f64)
                    ),
                    None => format!("Start {}", short(f64_of(o.initial))),
                },
                theme.dim(),
            ));
        }
        if let Some((m, error)) = &self.message {
            lines.push(Line::styled(
                m.clone(),
                if *error { theme.error() } else { theme.dim() },
            ));
        }
        if !self.saved.is_empty() {
            let names: Vec<&str> = self.saved.iter().map(|p| p.name.as_str()).collect();
            lines.push(Line::styled(
                format!("Saved (o): {}", names.join(", ")),
                theme.dim(),
            ));
        }
        // With room to spare, the bands as numbers.
        if let Some(r) = &self.result {
            let room = usize::from(area.height).saturating_sub(lines.len() + 2);
            let years = r.report.years;
            let step = [1, 2, 5, 10, 20, 25, 50, 100]
                .into_iter()
                .find(|s| years / s < room)
                .unwrap_or(usize::MAX);
            if room >= 4 && step != usize::MAX {
                lines.push(Line::raw(""));
                lines.push(Line::styled(
                    format!("{:>4} {:>9} {:>9} {:>9}", "Year", "5%", "Median", "95%"),
                    theme.header(),
                ));
                for (y, p) in r.values.iter().enumerate() {
                    if y % step == 0 || y == years {
                        lines.push(Line::raw(format!(
                            "{y:>4} {:>9} {:>9} {:>9}",
                            short(p.p5),
                            short(p.p50),
                            short(p.p95)
                        )));
                    }
                }
            }
        }
        f.render_widget(
            Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }),
            area,
        );
    }

    fn draw_chart(&self, f: &mut Frame, area: Rect, theme: Theme) {
        let title = match &self.result {
            // Results of other inputs (a run failed, was cancelled or is still going).
            Some(r) if r.inputs != self.inputs => {
                format!(" previous run: {} ", PlanPane::described(r))
            }
            Some(r) => format!(" {} ", PlanPane::described(r)),
            None => " Value in today's dollars ".into(),
        };
        let block = Block::default().borders(Borders::ALL).title(title);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let Some(r) = &self.result else {
            let note = if self.running.is_some() {
                "Running..."
            } else {
                "No run yet: press r."
            };
            f.render_widget(Paragraph::new(note).style(theme.dim()), inner);
            return;
        };
        let goal = r.report.goal.as_ref().and_then(|g| g.target.to_f64());
        fan_chart(f.buffer_mut(), inner, &r.values, goal, theme);
    }
}
