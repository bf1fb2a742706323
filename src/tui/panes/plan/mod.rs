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
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, Paragraph};
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

mod chart;
mod fields;

use super::{Handled, Pane, View};
use crate::analytics::montecarlo::inputs::Inputs;
use crate::analytics::montecarlo::{Column as AssetColumn, run};
use crate::analytics::montecarlo::{Control, Outcome, Spec};
use crate::config::Config;
use crate::plans::{self, Portfolio as PlanPortfolio};
use crate::store::{SavedPlan, Store};
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
    ("] [", "what if: stock share up or down 5 points"),
    ("S", "save the plan under a name"),
    ("o", "open the next saved plan"),
];

/// What a run sends back.
enum Done {
    Ran(Box<Ran>),
    Failed(String),
    Cancelled,
}

/// A finished run and the inputs it was run with.
struct Ran {
    inputs: Inputs,
    spec: Spec,
    outcome: Outcome,
}

/// A run in the background.
struct Job {
    control: Arc<Control>,
    rx: Receiver<Done>,
}

/// A save in the background: the name, then the saved plans or what went wrong.
type Saving = Receiver<Result<(String, Vec<SavedPlan>), String>>;

pub struct PlanPane {
    inputs: Inputs,
    /// Set from the portfolio on first sight (value and mix).
    started: bool,
    selected: usize,
    /// The text being typed into the selected field (or the save name).
    editing: Option<String>,
    naming: bool,
    job: Option<Job>,
    saving: Option<Saving>,
    result: Option<Ran>,
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
            saving: None,
            result: None,
            message: None,
            saved: Vec::new(),
            next_saved: 0,
        }
    }
}

impl PlanPane {
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
            transactions: &p.transactions,
            today: view.today,
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
        self.inputs.paths = Some(p.config.plan.paths);
        self.inputs.seed = Some(p.config.plan.seed);
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
                        Ok(Ok(outcome)) => Done::Ran(Box::new(Ran {
                            inputs,
                            spec: ready.spec,
                            outcome,
                        })),
                    }
                }
            };
            let _ = tx.send(done);
        });
        self.job = Some(Job { control, rx });
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
        if self.job.is_some() {
            self.message = Some((
                "A run is in progress: save when it has finished (Esc cancels it).".into(),
                true,
            ));
            return;
        }
        // The results are kept only when they are those of the inputs saved.
        let summary = self
            .result
            .as_ref()
            .filter(|r| r.inputs == self.inputs)
            .map(|r| serde_json::to_string(&plans::summary(&r.spec, &r.outcome)))
            .and_then(Result::ok)
            .unwrap_or_else(|| "null".into());
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
            let _ = tx.send(saved);
        });
        self.saving = Some(rx);
    }

    fn open_next_saved(&mut self) -> bool {
        if self.saved.is_empty() {
            self.message = Some(("No saved plans yet: S saves this one.".into(), false));
            return false;
        }
        let plan = &self.saved[self.next_saved % self.saved.len()];
        self.next_saved = (self.next_saved + 1) % self.saved.len();
        match serde_json::from_str::<Inputs>(&plan.inputs) {
            Ok(mut inputs) if fields::editable(&inputs) => {
                if inputs.stocks.is_none() && inputs.bonds.is_none() {
                    inputs.stocks = Some(0.6);
                    inputs.bonds = Some(0.4);
                }
                self.inputs = inputs;
                self.message = Some((format!("Opened '{}'.", plan.name), false));
                true
            }
            Ok(_) => {
                self.message = Some((
                    format!(
                        "'{}' uses settings this pane does not show (holdings' estimates, an amount, cash, a date, a history file...): run it with folio plan --load",
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
        self.job.is_some() || self.saving.is_some()
    }

    fn poll(&mut self) -> bool {
        use std::sync::mpsc::TryRecvError;
        let mut changed = false;
        if let Some(rx) = &self.saving {
            let done = match rx.try_recv() {
                Ok(Ok((name, all))) => {
                    self.saved = all;
                    Some((format!("Saved as '{name}'."), false))
                }
                Ok(Err(e)) => Some((format!("Cannot save: {e}"), true)),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => Some((
                    "The save stopped with an internal error (see folio.log).".into(),
                    true,
                )),
            };
            if let Some(m) = done {
                self.saving = None;
                self.message = Some(m);
                changed = true;
            }
        }
        if let Some(job) = &self.job {
            changed = true; // the gauge moves
            match job.rx.try_recv() {
                Ok(done) => {
                    self.job = None;
                    match done {
                        Done::Ran(r) => self.result = Some(*r),
                        Done::Failed(e) => self.message = Some((e, true)),
                        Done::Cancelled => self.message = Some(("Cancelled.".into(), false)),
                    }
                }
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => {
                    self.job = None;
                    self.message = Some((
                        "The run stopped with an internal error (see folio.log).".into(),
                        true,
                    ));
                }
            }
        }
        changed
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
                        match FIELDS[self.selected].apply(&mut self.inputs, &text) {
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
            KeyCode::Esc if self.job.is_some() => {
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
                field.cycle(&mut self.inputs, key.code == KeyCode::Right);
                self.start_run(config, view.today);
            }
            KeyCode::Enter if field.is_choice() => {
                field.cycle(&mut self.inputs, true);
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
        if let Some(job) = &self.job {
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
        if let Some(Ran {
            spec, outcome: o, ..
        }) = &self.result
        {
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
        if let Some(Ran {
            spec, outcome: o, ..
        }) = &self.result
        {
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
            // Results of other inputs (a run failed, was cancelled or is still going).
            Some(r) if r.inputs != self.inputs => format!(
                " previous run: {} paths · {} · {} ",
                dollars(r.outcome.paths as f64),
                r.spec.model.label(),
                r.spec.strategy.label()
            ),
            Some(r) => format!(
                " {} paths · {} · {} ",
                dollars(r.outcome.paths as f64),
                r.spec.model.label(),
                r.spec.strategy.label()
            ),
            None => " Value in today's dollars ".into(),
        };
        let block = Block::default().borders(Borders::ALL).title(title);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let Some(Ran {
            spec, outcome: o, ..
        }) = &self.result
        else {
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
