//! Plan: a Monte Carlo plan of the portfolio's value with a stock/bond mix (starting at the
//! holdings' mix), fields edited in place, a run on background threads with a progress gauge
//! (Esc cancels), the fan chart of the percentile bands with the goal line, what-if keys that
//! re-run at once, and plans saved in the database.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, channel};

use chrono::NaiveDate;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, Paragraph};
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};

use super::{Handled, Pane, View};
use crate::analytics::montecarlo::inputs::{Inputs, ModelName, StepsName, StrategyName};
use crate::analytics::montecarlo::{Column as AssetColumn, run};
use crate::analytics::montecarlo::{Control, Outcome, Spec};
use crate::config::Config;
use crate::plans::{self, Portfolio as PlanPortfolio};
use crate::store::{SavedPlan, Store};
use crate::tui::theme::Theme;
use crate::tui::widgets::compact;

const HELP: &[(&str, &str)] = &[
    ("↑ ↓ j k", "choose a field"),
    (
        "Enter",
        "edit the field (Enter applies, Esc cancels); ← → change a choice",
    ),
    ("r", "run the plan again"),
    ("Esc", "cancel a run"),
    ("+ -", "what if: withdrawal rate up or down 0.25 point"),
    ("] [", "what if: stock share up or down 5 points"),
    ("S", "save the plan under a name"),
    ("o", "open the next saved plan"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Start,
    Years,
    Rate,
    Strategy,
    Stocks,
    Model,
    Steps,
    Inflation,
    Contribution,
    RetireIn,
    Goal,
    Paths,
    Seed,
}

const FIELDS: [Field; 13] = [
    Field::Start,
    Field::Years,
    Field::Rate,
    Field::Strategy,
    Field::Stocks,
    Field::Model,
    Field::Steps,
    Field::Inflation,
    Field::Contribution,
    Field::RetireIn,
    Field::Goal,
    Field::Paths,
    Field::Seed,
];

impl Field {
    fn label(self) -> &'static str {
        match self {
            Field::Start => "Start value",
            Field::Years => "Years",
            Field::Rate => "Withdrawal",
            Field::Strategy => "Strategy",
            Field::Stocks => "Stocks",
            Field::Model => "Model",
            Field::Steps => "Steps",
            Field::Inflation => "Inflation",
            Field::Contribution => "Saving/year",
            Field::RetireIn => "Retire in",
            Field::Goal => "Goal",
            Field::Paths => "Paths",
            Field::Seed => "Seed",
        }
    }

    /// Fields chosen from a list (← → cycle them).
    fn is_choice(self) -> bool {
        matches!(self, Field::Strategy | Field::Model | Field::Steps)
    }
}

/// What the background work sends back.
enum Done {
    Ran(Box<(Spec, Outcome)>),
    Failed(String),
    Cancelled,
    Saved(Result<(String, Vec<SavedPlan>), String>),
}

/// A run in the background.
struct Job {
    control: Arc<Control>,
    rx: Receiver<Done>,
    saving: bool,
}

pub struct PlanPane {
    inputs: Inputs,
    /// Set from the portfolio on first sight (value and mix).
    started: bool,
    selected: usize,
    /// The text being typed into the selected field (or the save name).
    editing: Option<String>,
    naming: bool,
    job: Option<Job>,
    result: Option<(Spec, Outcome)>,
    message: Option<(String, bool)>,
    saved: Vec<SavedPlan>,
    /// The saved plan `o` opens next.
    next_saved: usize,
}

impl Default for PlanPane {
    fn default() -> Self {
        PlanPane {
            inputs: Inputs {
                withdrawal_rate: Some(0.04),
                stocks: Some(0.6),
                bonds: Some(0.4),
                ..Inputs::default()
            },
            started: false,
            selected: 0,
            editing: None,
            naming: false,
            job: None,
            result: None,
            message: None,
            saved: Vec::new(),
            next_saved: 0,
        }
    }
}

fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

fn dollars(x: f64) -> String {
    Decimal::from_f64(x.round()).map_or_else(
        || format!("{x:.0}"),
        |d| crate::format::money(d).trim_end_matches(".00").to_string(),
    )
}

/// Whole dollars below 10,000, else compact (81.2k, 1.23M).
fn short(x: f64) -> String {
    if x.abs() < 1e4 {
        dollars(x)
    } else {
        compact(x)
    }
}

fn parse_amount(s: &str) -> Option<Decimal> {
    let t: String = s
        .chars()
        .filter(|c| !matches!(c, ',' | '_' | '$' | ' '))
        .collect();
    let (digits, factor) = match t.chars().last().map(|c| c.to_ascii_lowercase()) {
        Some('k') => (&t[..t.len() - 1], Decimal::from(1_000)),
        Some('m') => (&t[..t.len() - 1], Decimal::from(1_000_000)),
        _ => (t.as_str(), Decimal::ONE),
    };
    digits
        .parse::<Decimal>()
        .ok()
        .and_then(|d| d.checked_mul(factor))
        .filter(|d| *d >= Decimal::ZERO && *d <= Decimal::from(1_000_000_000_000i64))
}

/// "4", "4%" and "0.04" all mean 4% (a number above 1 is a percent).
fn parse_percent(s: &str) -> Option<f64> {
    let t = s.trim().trim_end_matches('%').trim();
    let v = t.parse::<f64>().ok().filter(|v| v.is_finite())?;
    Some(if s.contains('%') || v.abs() > 1.0 {
        v / 100.0
    } else {
        v
    })
}

impl PlanPane {
    fn value(&self, field: Field) -> String {
        let i = &self.inputs;
        match field {
            Field::Start => i
                .initial
                .map_or("-".into(), |d| dollars(d.to_f64().unwrap_or(0.0))),
            Field::Years => i.years.unwrap_or(30).to_string(),
            Field::Rate => i.withdrawal_rate.map_or("none".into(), pct),
            Field::Strategy => match i.strategy {
                StrategyName::ConstantReal => "constant-real",
                StrategyName::ConstantNominal => "constant-nominal",
                StrategyName::Percent => "percent",
                StrategyName::GuytonKlinger => "guyton-klinger",
                StrategyName::Vpw => "vpw",
            }
            .into(),
            Field::Stocks => format!("{:.0}%", i.stocks.unwrap_or(0.0) * 100.0),
            Field::Model => match i.model {
                ModelName::Gbm => "gbm",
                ModelName::StudentT => "student-t",
                ModelName::Bootstrap => "bootstrap",
                ModelName::BlockBootstrap => "block-bootstrap",
                ModelName::Historical => "historical",
            }
            .into(),
            Field::Steps => match i.steps {
                StepsName::Monthly => "monthly",
                StepsName::Yearly => "yearly",
            }
            .into(),
            Field::Inflation => i.inflation.map_or(
                if matches!(i.model, ModelName::Gbm | ModelName::StudentT) {
                    "2.50%".into()
                } else {
                    "history".into()
                },
                pct,
            ),
            Field::Contribution => i
                .contribution
                .map_or("0".into(), |d| dollars(d.to_f64().unwrap_or(0.0))),
            Field::RetireIn => i.retire_in.unwrap_or(0).to_string(),
            Field::Goal => i
                .goal
                .map_or("none".into(), |d| dollars(d.to_f64().unwrap_or(0.0))),
            Field::Paths => i.paths.unwrap_or(10_000).to_string(),
            Field::Seed => i.seed.unwrap_or(42).to_string(),
        }
    }

    /// Applies typed text to a field; an error says what the field takes.
    fn apply(&mut self, field: Field, text: &str) -> Result<(), String> {
        let t = text.trim();
        let i = &mut self.inputs;
        let bad = |what: &str| format!("{}: '{t}' is not {what}", field.label());
        match field {
            Field::Start => i.initial = Some(parse_amount(t).ok_or_else(|| bad("an amount"))?),
            Field::Years => {
                i.years = Some(
                    t.parse()
                        .ok()
                        .filter(|y| (1..=100).contains(y))
                        .ok_or_else(|| bad("1 to 100 years"))?,
                )
            }
            Field::Rate => {
                i.withdrawal_rate = if t.is_empty() || t == "0" || t == "none" {
                    None
                } else {
                    Some(
                        parse_percent(t)
                            .filter(|r| (0.0..=1.0).contains(r))
                            .ok_or_else(|| bad("a rate such as 4%"))?,
                    )
                }
            }
            Field::Stocks => {
                let s = parse_percent(t)
                    .filter(|r| (0.0..=1.0).contains(r))
                    .ok_or_else(|| bad("a share such as 60%"))?;
                i.stocks = Some(s);
                i.bonds = Some(1.0 - s);
            }
            Field::Inflation => {
                i.inflation = if t.is_empty() || t == "history" {
                    None
                } else {
                    Some(
                        parse_percent(t)
                            .filter(|r| (-0.5..=1.0).contains(r))
                            .ok_or_else(|| bad("a rate such as 2.5%"))?,
                    )
                }
            }
            Field::Contribution => {
                i.contribution = Some(parse_amount(t).ok_or_else(|| bad("an amount per year"))?)
                    .filter(|d| !d.is_zero())
            }
            Field::RetireIn => {
                i.retire_in = Some(
                    t.parse()
                        .ok()
                        .filter(|y| *y <= 100)
                        .ok_or_else(|| bad("a number of years"))?,
                )
            }
            Field::Goal => {
                i.goal = if t.is_empty() || t == "0" || t == "none" {
                    None
                } else {
                    Some(parse_amount(t).ok_or_else(|| bad("an amount"))?)
                }
            }
            Field::Paths => {
                i.paths = Some(
                    t.parse()
                        .ok()
                        .filter(|p| (1..=1_000_000).contains(p))
                        .ok_or_else(|| bad("1 to 1,000,000 paths"))?,
                )
            }
            Field::Seed => i.seed = Some(t.parse().map_err(|_| bad("a whole number"))?),
            Field::Strategy | Field::Model | Field::Steps => {}
        }
        Ok(())
    }

    fn cycle(&mut self, field: Field, forward: bool) {
        fn step<T: Copy + PartialEq>(all: &[T], now: T, forward: bool) -> T {
            let i = all.iter().position(|x| *x == now).unwrap_or(0);
            let n = all.len();
            all[if forward {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            }]
        }
        let i = &mut self.inputs;
        match field {
            Field::Strategy => {
                i.strategy = step(
                    &[
                        StrategyName::ConstantReal,
                        StrategyName::ConstantNominal,
                        StrategyName::Percent,
                        StrategyName::GuytonKlinger,
                        StrategyName::Vpw,
                    ],
                    i.strategy,
                    forward,
                )
            }
            Field::Model => {
                i.model = step(
                    &[
                        ModelName::Gbm,
                        ModelName::StudentT,
                        ModelName::Bootstrap,
                        ModelName::BlockBootstrap,
                        ModelName::Historical,
                    ],
                    i.model,
                    forward,
                )
            }
            Field::Steps => {
                i.steps = step(&[StepsName::Yearly, StepsName::Monthly], i.steps, forward)
            }
            _ => {}
        }
    }

    /// The portfolio's value and its stock share (bonds and cash as the rest), once.
    fn start_from(&mut self, view: &View) {
        if self.started {
            return;
        }
        self.started = true;
        self.saved = view.portfolio.saved_plans.clone();
        let p = view.portfolio;
        let portfolio = PlanPortfolio {
            book: &p.book,
            closes: &p.closes,
            securities: &p.securities,
            currency: &p.currency,
            account: None,
        };
        if let Ok(from) = plans::from_portfolio(&portfolio, 1.0) {
            let stocks: f64 = from
                .estimate
                .assets
                .iter()
                .filter(|a| a.column == AssetColumn::Stocks)
                .map(|a| a.weight)
                .sum();
            let stocks = (stocks * 20.0).round() / 20.0;
            self.inputs.initial = Decimal::from_f64(from.value.round());
            self.inputs.stocks = Some(stocks);
            self.inputs.bonds = Some(1.0 - stocks);
        } else {
            self.inputs.initial = Some(Decimal::from(1_000_000));
        }
        self.start_run(&p.config, view.today);
    }

    fn start_run(&mut self, config: &Config, today: NaiveDate) {
        if let Some(job) = self.job.take() {
            job.control.cancel.store(true, Ordering::Relaxed);
        }
        let control = Arc::new(Control::default());
        let (tx, rx) = channel();
        let (inputs, config, watch) = (self.inputs.clone(), config.clone(), control.clone());
        std::thread::spawn(move || {
            let data_dir = crate::config::Dirs::platform().map(|d| d.data_dir);
            let done = match plans::prepare(&inputs, &config, data_dir.as_deref(), None, today) {
                Err(e) => Done::Failed(format!("{e:#}")),
                Ok(ready) => {
                    watch
                        .total
                        .store(ready.spec.path_count(), Ordering::Relaxed);
                    match run(&ready.spec, &watch) {
                        Err(_) => Done::Cancelled,
                        Ok(Err(e)) => Done::Failed(e.to_string()),
                        Ok(Ok(o)) => Done::Ran(Box::new((ready.spec, o))),
                    }
                }
            };
            let _ = tx.send(done);
        });
        self.job = Some(Job {
            control,
            rx,
            saving: false,
        });
        self.message = None;
    }

    fn save(&mut self, name: String, db: Option<std::path::PathBuf>) {
        let Some(db) = db else {
            self.message = Some((
                "This portfolio has no database to save plans in.".into(),
                true,
            ));
            return;
        };
        let summary = self
            .result
            .as_ref()
            .map(|(s, o)| serde_json::to_string(&plans::summary(s, o)).unwrap_or_default())
            .unwrap_or_else(|| "{}".into());
        let plan = SavedPlan {
            name: name.clone(),
            saved: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            inputs: serde_json::to_string(&self.inputs).unwrap_or_default(),
            summary,
        };
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let saved = Store::open(&db)
                .map_err(|e| e.to_string())
                .and_then(|s| {
                    s.save_plan(&plan).map_err(|e| e.to_string())?;
                    s.plans().map_err(|e| e.to_string())
                })
                .map(|all| (name, all));
            let _ = tx.send(Done::Saved(saved));
        });
        self.job = Some(Job {
            control: Arc::new(Control::default()),
            rx,
            saving: true,
        });
    }

    fn open_next_saved(&mut self) -> bool {
        if self.saved.is_empty() {
            self.message = Some(("No saved plans yet: S saves this one.".into(), false));
            return false;
        }
        let plan = &self.saved[self.next_saved % self.saved.len()];
        self.next_saved = (self.next_saved + 1) % self.saved.len();
        match serde_json::from_str::<Inputs>(&plan.inputs) {
            Ok(inputs) if !inputs.from_portfolio => {
                self.inputs = inputs;
                self.message = Some((format!("Opened '{}'.", plan.name), false));
                true
            }
            Ok(_) => {
                self.message = Some((
                    format!(
                        "'{}' plans from the holdings' estimates: run it with folio plan --load",
                        plan.name
                    ),
                    true,
                ));
                false
            }
            Err(e) => {
                self.message = Some((format!("'{}' cannot be read: {e}", plan.name), true));
                false
            }
        }
    }

    fn what_if(&mut self, key: char) {
        let i = &mut self.inputs;
        match key {
            '+' | '-' => {
                let r =
                    i.withdrawal_rate.unwrap_or(0.0) + if key == '+' { 0.0025 } else { -0.0025 };
                let r = (r.clamp(0.0, 1.0) * 10_000.0).round() / 10_000.0;
                i.withdrawal_rate = (r > 0.0).then_some(r);
            }
            _ => {
                let s = i.stocks.unwrap_or(0.6) + if key == ']' { 0.05 } else { -0.05 };
                let s = (s.clamp(0.0, 1.0) * 20.0).round() / 20.0;
                i.stocks = Some(s);
                i.bonds = Some(1.0 - s);
            }
        }
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
        self.job.is_some()
    }

    fn poll(&mut self) -> bool {
        let Some(job) = &self.job else { return false };
        match job.rx.try_recv() {
            Ok(done) => {
                self.job = None;
                match done {
                    Done::Ran(r) => self.result = Some(*r),
                    Done::Failed(e) => self.message = Some((e, true)),
                    Done::Cancelled => self.message = Some(("Cancelled.".into(), false)),
                    Done::Saved(Ok((name, all))) => {
                        self.saved = all;
                        self.message = Some((format!("Saved as '{name}'."), false));
                    }
                    Done::Saved(Err(e)) => self.message = Some((format!("Cannot save: {e}"), true)),
                }
                true
            }
            // A run in progress: the gauge moves.
            Err(std::sync::mpsc::TryRecvError::Empty) => !job.saving,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                self.job = None;
                self.message = Some((
                    "The run stopped with an internal error (see folio.log).".into(),
                    true,
                ));
                true
            }
        }
    }

    fn key(&mut self, key: KeyEvent, view: &View) -> Handled {
        self.start_from(view);
        let config = &view.portfolio.config;
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
                        if name.is_empty() || name.len() > 80 {
                            self.message =
                                Some(("A plan's name is 1 to 80 characters.".into(), true));
                        } else {
                            self.save(name, view.portfolio.db_path.clone());
                        }
                    } else {
                        match self.apply(FIELDS[self.selected], &text) {
                            Ok(()) => self.start_run(config, view.today),
                            Err(e) => self.message = Some((e, true)),
                        }
                    }
                }
                KeyCode::Backspace => {
                    text.pop();
                }
                KeyCode::Char(c) if text.len() < 40 && !c.is_control() => text.push(c),
                _ => {}
            }
            return Handled::Yes;
        }
        let field = FIELDS[self.selected];
        match key.code {
            KeyCode::Esc if self.job.as_ref().is_some_and(|j| !j.saving) => {
                if let Some(job) = &self.job {
                    job.control.cancel.store(true, Ordering::Relaxed);
                }
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.selected = (self.selected + 1) % FIELDS.len()
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.selected = (self.selected + FIELDS.len() - 1) % FIELDS.len()
            }
            KeyCode::Left | KeyCode::Right if field.is_choice() => {
                self.cycle(field, key.code == KeyCode::Right);
                self.start_run(config, view.today);
            }
            KeyCode::Enter if field.is_choice() => {
                self.cycle(field, true);
                self.start_run(config, view.today);
            }
            KeyCode::Enter => self.editing = Some(String::new()),
            KeyCode::Char('r') => self.start_run(config, view.today),
            KeyCode::Char(c @ ('+' | '-' | '[' | ']')) => {
                self.what_if(c);
                self.start_run(config, view.today);
            }
            KeyCode::Char('S') => {
                self.naming = true;
                self.editing = Some(String::new());
            }
            KeyCode::Char('o') => {
                if self.open_next_saved() {
                    self.start_run(config, view.today);
                }
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn draw(&mut self, f: &mut Frame, area: Rect, view: &View) {
        if !self.started {
            self.start_from(view);
        }
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
                    _ => self.value(*field),
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
        if let Some(job) = &self.job
            && !job.saving
        {
            let total = job.control.total.load(Ordering::Relaxed).max(1);
            let done = job.control.done.load(Ordering::Relaxed).min(total);
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
        if let Some((spec, o)) = &self.result {
            let withdraws = o.withdrawals.iter().any(Option::is_some);
            if withdraws {
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
            if let Some(g) = o.goal_probability {
                lines.push(Line::raw(format!(
                    "Goal reached {:.1}% ({:.1}-{:.1})",
                    g * 100.0,
                    o.goal_ci95.map_or(0.0, |c| c[0] * 100.0),
                    o.goal_ci95.map_or(0.0, |c| c[1] * 100.0)
                )));
            }
            lines.push(Line::raw(format!(
                "Year {} median {} (today's $)",
                spec.years,
                short(o.terminal.p50)
            )));
            lines.push(Line::styled(
                format!(
                    "5%-95%: {} - {}",
                    short(o.terminal.p5),
                    short(o.terminal.p95)
                ),
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
        if let Some((spec, o)) = &self.result {
            let room = usize::from(area.height).saturating_sub(lines.len() + 2);
            let step = [1, 2, 5, 10, 20, 25, 50, 100]
                .into_iter()
                .find(|s| spec.years / s < room)
                .unwrap_or(usize::MAX);
            if room >= 4 && step != usize::MAX {
                lines.push(Line::raw(""));
                lines.push(Line::styled(
                    format!("{:>4} {:>9} {:>9} {:>9}", "Year", "5%", "Median", "95%"),
                    theme.header(),
                ));
                for (y, p) in o.values.iter().enumerate() {
                    if y % step == 0 || y == spec.years {
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
            Some((spec, o)) => format!(
                " {} paths · {} · {} ",
                dollars(o.paths as f64),
                spec.model.label(),
                spec.strategy.label()
            ),
            None => " Value in today's dollars ".into(),
        };
        let block = Block::default().borders(Borders::ALL).title(title);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let Some((spec, o)) = &self.result else {
            let note = if self.job.is_some() {
                "Running..."
            } else {
                "No run yet: press r."
            };
            f.render_widget(Paragraph::new(note).style(theme.dim()), inner);
            return;
        };
        fan_chart(f.buffer_mut(), inner, o, spec.goal, theme);
    }
}

/// The 5-95 and 25-75 bands of the value over the years, the median line and the goal line,
/// one column per step of the x axis, y from 0 to the highest 95th percentile (or the goal).
fn fan_chart(buf: &mut Buffer, area: Rect, o: &Outcome, goal: Option<f64>, theme: Theme) {
    let label_width = 7u16;
    if area.width < label_width + 10 || area.height < 4 {
        return;
    }
    let plot = Rect {
        x: area.x + label_width,
        y: area.y,
        width: area.width - label_width,
        height: area.height - 1,
    };
    let top = o
        .values
        .iter()
        .map(|p| p.p95)
        .fold(goal.unwrap_or(0.0), f64::max)
        .max(1.0)
        * 1.05;
    let rows = f64::from(plot.height);
    // The row (0 = top) a value falls in.
    let row_of = |v: f64| -> u16 {
        let r = ((1.0 - v / top) * rows).floor().clamp(0.0, rows - 1.0);
        r as u16
    };
    let years = o.values.len().saturating_sub(1).max(1);
    for c in 0..plot.width {
        let t = f64::from(c) / f64::from((plot.width - 1).max(1)) * years as f64;
        let (i, frac) = (t.floor() as usize, t.fract());
        let at = |g: fn(&crate::analytics::montecarlo::Percentiles) -> f64| {
            let a = g(&o.values[i.min(years)]);
            let b = g(&o.values[(i + 1).min(years)]);
            a + (b - a) * frac
        };
        let (p5, p25, p50, p75, p95) = (
            at(|p| p.p5),
            at(|p| p.p25),
            at(|p| p.p50),
            at(|p| p.p75),
            at(|p| p.p95),
        );
        let x = plot.x + c;
        for r in row_of(p95)..=row_of(p5) {
            buf[(x, plot.y + r)].set_char('░').set_style(theme.dim());
        }
        for r in row_of(p75)..=row_of(p25) {
            buf[(x, plot.y + r)].set_char('▒').set_style(theme.chart());
        }
        buf[(x, plot.y + row_of(p50))]
            .set_char('━')
            .set_style(theme.accent());
    }
    if let Some(g) = goal {
        let r = row_of(g);
        for c in 0..plot.width {
            let cell = &mut buf[(plot.x + c, plot.y + r)];
            if cell.symbol() != "━" {
                cell.set_char('┄').set_style(theme.warn());
            }
        }
        buf.set_string(area.x, plot.y + r, format!("{:>6}", "goal"), theme.warn());
    }
    // Axis labels: the top, the middle and 0; the first, middle and last year.
    for (v, r) in [
        (top, 0),
        (top / 2.0, plot.height / 2),
        (0.0, plot.height - 1),
    ] {
        let label = if v == 0.0 {
            "0".to_string()
        } else {
            compact(v)
        };
        buf.set_string(area.x, plot.y + r, format!("{label:>6}"), theme.dim());
    }
    let bottom = area.y + area.height - 1;
    buf.set_string(plot.x, bottom, "0", theme.dim());
    let end = format!("year {years}");
    let w = end.len() as u16;
    buf.set_string(
        plot.x + plot.width.saturating_sub(w),
        bottom,
        &end,
        theme.dim(),
    );
    let legend = "░ 5-95%  ▒ 25-75%  ━ median";
    if plot.width as usize > legend.chars().count() + 16 {
        buf.set_string(plot.x + 3, bottom, legend, theme.dim());
    }
}
