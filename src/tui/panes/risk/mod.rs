//! Risk: the portfolio's and the selected holding's metrics, the portfolio's drawdown, the
//! holdings' correlation heatmap and the anomaly checks' findings. Enter on a finding shows its
//! detail and the chart around its day ([`metrics`] draws them). The same reports as
//! `folio risk` and `folio anomalies`.
//! Two more views, `v` cycling them: the efficient frontier (`folio frontier`, [`frontier`])
//! and the stress test (`folio stress`, [`stress`]).
//!
//! Views of this pane rather than panes of their own: the frontier and the stress test answer
//! risk questions, and the tab bar is full at 80 columns. One key cycles them, as `r` cycles a
//! chart's range elsewhere, so the pane's other keys stay free; each view names the next one in
//! its top-right corner, so the key is found without the help.

mod frontier;
mod metrics;
mod stress;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};

use self::metrics::{draw_detail, draw_findings, draw_heatmap, draw_metrics};
use super::{Done, Handled, Pane, View};
use crate::app::RiskReport;
use crate::app::anomalies::AnomaliesReport;
use crate::domain::Window;
use crate::tui::jobs::Job;
use crate::tui::widgets::{Cursor, line_chart};

const HELP: &[(&str, &str)] = &[
    ("v", "view: metrics, efficient frontier, stress test"),
    ("← → h l", "metrics: holdings (correlations) or anomalies"),
    ("↑ ↓ j k", "metrics: select a holding or a finding"),
    ("PgUp PgDn g G", "metrics: page, first, last"),
    (
        "Enter",
        "a finding: its detail and the chart around its day",
    ),
    ("Esc", "back from a finding, or to the metrics"),
    (
        "w",
        "window: 3M, 6M, 1Y, 3Y, all (frontier: 1Y, 3Y, 5Y, all)",
    ),
    ("c", "frontier: by symbol or by asset class"),
    ("↑ ↓ ← → j k", "stress: the scenario"),
    ("PgUp PgDn g G", "stress: scroll its holdings"),
];

/// The windows `w` cycles through: how the query layer reads each, and its label.
const WINDOWS: [(&str, &str); 5] = [
    ("3m", "3M"),
    ("6m", "6M"),
    ("1y", "1Y"),
    ("3y", "3Y"),
    ("all", "all"),
];

/// Width of a heatmap cell: a symbol of four letters and a space (correlations in
/// hundredths, "  97").
const CELL: u16 = 5;
/// Width of the heatmap's row labels.
const LABEL: u16 = 6;
/// Wide enough to show the heatmap and the anomalies side by side.
const SIDE_BY_SIDE: u16 = 110;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Focus {
    #[default]
    Holdings,
    Anomalies,
}

/// What the pane shows; `v` cycles them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Show {
    #[default]
    Metrics,
    Frontier,
    Stress,
}

impl Show {
    fn next(self) -> Show {
        match self {
            Show::Metrics => Show::Frontier,
            Show::Frontier => Show::Stress,
            Show::Stress => Show::Metrics,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Show::Metrics => "Metrics",
            Show::Frontier => "Frontier",
            Show::Stress => "Stress test",
        }
    }

    /// The top-right corner of a view: the key to the next one.
    fn hint(self, t: crate::tui::theme::Theme) -> Line<'static> {
        Line::styled(format!(" v {} ", self.next().name()), t.dim()).right_aligned()
    }
}

/// A view's answer from the query layer: asked for when the view is shown, once per read of
/// the data (a view not shown asks nothing), and again when its options change.
struct Asked<P, R> {
    /// The options of the latest request for the data as last read (None: not asked since).
    asked: Option<P>,
    /// A request is out and not answered yet.
    pending: bool,
    answer: Option<Result<Box<R>, String>>,
}

impl<P, R> Default for Asked<P, R> {
    fn default() -> Self {
        Asked {
            asked: None,
            pending: false,
            answer: None,
        }
    }
}

impl<P: Clone + PartialEq, R: Clone> Asked<P, R> {
    /// Asks for `params` unless they were asked for the data as it is.
    fn ensure(&mut self, params: P, jobs: &mut Vec<Job>, job: fn(Box<P>) -> Job) {
        if self.asked.as_ref() != Some(&params) {
            self.pending = true;
            self.asked = Some(params.clone());
            jobs.push(job(Box::new(params)));
        }
    }

    /// The data was read again: the answer shown stays until the view asks again.
    fn stale(&mut self) {
        self.asked = None;
    }

    fn answered(&mut self, result: &Result<Box<R>, String>) {
        self.pending = false;
        self.answer = Some(result.clone());
    }

    fn report(&self) -> Option<&R> {
        match &self.answer {
            Some(Ok(r)) => Some(r),
            _ => None,
        }
    }
}

#[derive(Default)]
pub struct RiskPane {
    show: Show,
    frontier: frontier::FrontierView,
    stress: stress::StressView,
    focus: Focus,
    holding: Cursor,
    finding: Cursor,
    /// The finding shown in detail (index into the report's findings).
    detail: Option<usize>,
    /// The window `w` chose (an index into [`WINDOWS`]); None: the config's.
    window: Option<usize>,
    /// The config's window, as the config writes it.
    config_window: String,
}

impl RiskPane {
    /// The window asked for, as the query layer reads it.
    fn window_param(&self) -> String {
        match self.window {
            Some(i) => WINDOWS[i].0.to_string(),
            None => self.config_window.clone(),
        }
    }

    /// The window shown: the one `w` chose, else the config's as written there (it may be one
    /// `w` does not offer, such as 90d).
    fn window_label(&self) -> String {
        match self.window {
            Some(i) => WINDOWS[i].1.to_string(),
            None => self.config_window.to_uppercase(),
        }
    }
}

/// Where `w` starts cycling from: the config's window, or 1Y when it is not one of the list.
fn index_of(config: &str) -> usize {
    let w: Option<Window> = config.parse().ok();
    WINDOWS
        .iter()
        .position(|(x, _)| x.parse::<Window>().ok() == w)
        .unwrap_or(2)
}

impl Pane for RiskPane {
    fn title(&self) -> &'static str {
        "Risk"
    }

    fn help(&self) -> &'static [(&'static str, &'static str)] {
        HELP
    }

    fn loaded(&mut self, view: &View, jobs: &mut Vec<Job>) {
        self.config_window = view.portfolio.config.risk.window.trim().to_string();
        jobs.push(Job::Risk {
            window: self.window_param(),
        });
        self.frontier.stale();
        self.stress.stale();
        self.ask_shown(jobs);
    }

    fn done(&mut self, done: &Done, _view: &View, _jobs: &mut Vec<Job>) {
        self.frontier.answered(done);
        self.stress.answered(done);
    }

    fn key(&mut self, key: KeyEvent, view: &View, jobs: &mut Vec<Job>) -> Handled {
        if self.show == Show::Metrics && self.detail.is_some() {
            return if key.code == KeyCode::Esc {
                self.detail = None;
                Handled::Yes
            } else {
                Handled::No
            };
        }
        match key.code {
            KeyCode::Char('v') => {
                self.show = self.show.next();
                self.ask_shown(jobs);
                return Handled::Yes;
            }
            KeyCode::Esc if self.show != Show::Metrics => {
                self.show = Show::Metrics;
                return Handled::Yes;
            }
            _ => {}
        }
        match self.show {
            Show::Metrics => self.metrics_key(key, view, jobs),
            Show::Frontier => self.frontier.key(key, jobs),
            Show::Stress => self.stress.key(key),
        }
    }

    fn draw(&mut self, f: &mut Frame, area: Rect, view: &View) {
        match self.show {
            Show::Metrics => self.draw_metrics_view(f, area, view),
            Show::Frontier => self
                .frontier
                .draw(f, area, view, Show::Frontier.hint(view.theme)),
            Show::Stress => self
                .stress
                .draw(f, area, view, Show::Stress.hint(view.theme)),
        }
    }
}

impl RiskPane {
    /// The shown view's question, when it was not asked for the data as it is.
    fn ask_shown(&mut self, jobs: &mut Vec<Job>) {
        match self.show {
            Show::Metrics => {}
            Show::Frontier => self.frontier.ask(jobs),
            Show::Stress => self.stress.ask(jobs),
        }
    }

    fn metrics_key(&mut self, key: KeyEvent, view: &View, jobs: &mut Vec<Job>) -> Handled {
        let holdings = report(view).map_or(0, |r| r.holdings.len());
        let findings = anomalies(view).map_or(0, |a| a.report.findings.len());
        match key.code {
            KeyCode::Left | KeyCode::Char('h') => self.focus = Focus::Holdings,
            KeyCode::Right | KeyCode::Char('l') => self.focus = Focus::Anomalies,
            KeyCode::Enter if self.focus == Focus::Anomalies && findings > 0 => {
                self.detail = Some(self.finding.selected.min(findings - 1));
            }
            KeyCode::Char('w') => {
                let current = self.window.unwrap_or_else(|| index_of(&self.config_window));
                self.window = Some((current + 1) % WINDOWS.len());
                // The report comes back from a job: the key itself computes nothing.
                jobs.push(Job::Risk {
                    window: self.window_param(),
                });
            }
            _ => {
                let moved = match self.focus {
                    Focus::Holdings => self.holding.key(&key, holdings, 5),
                    Focus::Anomalies => self.finding.key(&key, findings, 5),
                };
                if !moved {
                    return Handled::No;
                }
            }
        }
        Handled::Yes
    }

    fn draw_metrics_view(&mut self, f: &mut Frame, area: Rect, view: &View) {
        let t = view.theme;
        let label = self.window_label();
        let (answer, charts) = match view.risk.map(|r| (&r.window, &r.result)) {
            Some((_, Ok(r))) => (&r.0, &r.1),
            Some((_, Err(e))) => {
                f.render_widget(
                    Paragraph::new(format!("Risk could not be measured: {e}"))
                        .style(t.error())
                        .wrap(Wrap { trim: true }),
                    area,
                );
                return;
            }
            None => {
                f.render_widget(
                    Paragraph::new(format!("Measuring risk over {label}...")).style(t.dim()),
                    area,
                );
                return;
            }
        };
        let report = &answer.report;
        // A window asked for and not answered yet: the last report stays, titled so.
        let label = match view.risk {
            Some(r) if r.window != self.window_param() => format!("{label}, measuring"),
            _ => label,
        };
        if let Some(i) = self.detail {
            match anomalies(view).and_then(|a| a.report.findings.get(i)) {
                Some(finding) => return draw_detail(f, area, finding, &charts.index, view),
                None => self.detail = None,
            }
        }
        if report.holdings.is_empty() {
            let text = if view.portfolio.is_empty() {
                "No transactions yet: import them with `folio import FILE`, and daily prices with `folio prices import FILE`.".to_string()
            } else {
                format!(
                    "No open positions in {} to measure.",
                    view.portfolio.currency
                )
            };
            f.render_widget(
                Paragraph::new(text)
                    .style(t.dim())
                    .wrap(Wrap { trim: true }),
                area,
            );
            return;
        }
        let compact = area.height < 30;
        let metric_rows = if compact { 9 } else { 13 };
        let [top, bottom] =
            Layout::vertical([Constraint::Length(metric_rows + 3), Constraint::Fill(1)])
                .areas(area);
        let [metrics_area, chart_area] =
            Layout::horizontal([Constraint::Length(38), Constraint::Fill(1)]).areas(top);
        let selected = report
            .holdings
            .get(self.holding.selected.min(report.holdings.len() - 1));
        draw_metrics(f, metrics_area, report, selected, compact, &label, view);
        line_chart(
            f,
            chart_area,
            Block::bordered()
                .title(" Portfolio drawdown ")
                .title(Show::Metrics.hint(t)),
            &charts.drawdown,
            t,
            "Not enough history for a drawdown chart.",
            |v| format!("{:.1}%", v * 100.0),
            None,
        );
        let heat_width = LABEL + CELL * report.holdings.len().min(12) as u16 + 2;
        if area.width >= SIDE_BY_SIDE {
            let [h, an] = Layout::horizontal([Constraint::Length(heat_width), Constraint::Fill(1)])
                .areas(bottom);
            draw_heatmap(
                f,
                h,
                report,
                &mut self.holding,
                self.focus == Focus::Holdings,
                view,
            );
            draw_findings(
                f,
                an,
                anomalies(view),
                &mut self.finding,
                self.focus == Focus::Anomalies,
                view,
            );
        } else {
            match self.focus {
                Focus::Holdings => draw_heatmap(f, bottom, report, &mut self.holding, true, view),
                Focus::Anomalies => {
                    draw_findings(f, bottom, anomalies(view), &mut self.finding, true, view)
                }
            }
        }
    }
}

/// The risk report in the view, when there is one.
fn report<'a>(view: &View<'a>) -> Option<&'a RiskReport> {
    match view.risk.map(|r| &r.result) {
        Some(Ok(r)) => Some(&r.0.report),
        _ => None,
    }
}

fn anomalies<'a>(view: &View<'a>) -> Option<&'a AnomaliesReport> {
    match view.anomalies {
        Some(Ok(a)) => Some(a),
        _ => None,
    }
}

/// A symbol in at most `n` characters; a longer one ends with "…" so that a cut symbol never
/// reads as another one (IEFA is not IEF).
fn label(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let cut: String = s.chars().take(n.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}
