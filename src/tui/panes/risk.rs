//! Risk: the portfolio's and the selected holding's metrics, the portfolio's drawdown, the
//! holdings' correlation heatmap and the anomaly checks' findings. Enter on a finding shows its
//! detail and the chart around its day. The same reports as `folio risk` and `folio anomalies`.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span as TextSpan};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::{Handled, Pane, View};
use crate::analytics::anomaly::{Finding, Severity};
use crate::analytics::risk::{Metrics, Series};
use crate::app::RiskReport;
use crate::app::anomalies::AnomaliesReport;
use crate::domain::Window;
use crate::format::{ratio_pct, stat};
use crate::tui::jobs::Job;
use crate::tui::widgets::{Cursor, line_chart, to_f64};

const HELP: &[(&str, &str)] = &[
    ("← → h l", "holdings (correlations) or anomalies"),
    ("↑ ↓ j k", "select a holding or a finding"),
    ("PgUp PgDn g G", "page, first, last"),
    (
        "Enter",
        "a finding: its detail and the chart around its day",
    ),
    ("Esc", "back from a finding"),
    ("w", "window: 3M, 6M, 1Y, 3Y, all"),
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

#[derive(Default)]
pub struct RiskPane {
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
    }

    fn key(&mut self, key: KeyEvent, view: &View, jobs: &mut Vec<Job>) -> Handled {
        if self.detail.is_some() {
            return if key.code == KeyCode::Esc {
                self.detail = None;
                Handled::Yes
            } else {
                Handled::No
            };
        }
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

    fn draw(&mut self, f: &mut Frame, area: Rect, view: &View) {
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
            Block::bordered().title(" Portfolio drawdown "),
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

fn draw_heatmap(
    f: &mut Frame,
    area: Rect,
    report: &RiskReport,
    cursor: &mut Cursor,
    focused: bool,
    view: &View,
) {
    let t = view.theme;
    let block = Block::bordered()
        .title(" Correlations ")
        .border_style(if focused { t.accent() } else { Style::new() });
    let inner = block.inner(area);
    f.render_widget(block, area);
    let c = &report.correlation;
    let n = c.symbols.len();
    let rows_fit = usize::from(inner.height.saturating_sub(1));
    let cols_fit = usize::from(inner.width.saturating_sub(LABEL) / CELL).max(1);
    let rows = cursor.window(n, rows_fit);
    let sel = cursor.selected;
    // Columns scroll with the selected holding so that its own column stays in view.
    let first_col = (sel + 1)
        .saturating_sub(cols_fit)
        .min(n.saturating_sub(cols_fit));
    let cols = first_col..(first_col + cols_fit).min(n);
    let mut lines = Vec::with_capacity(rows.len() + 1);
    let mut header = vec![TextSpan::raw(" ".repeat(usize::from(LABEL)))];
    for j in cols.clone() {
        header.push(TextSpan::styled(
            format!("{:>5}", label(&c.symbols[j], 4)),
            if j == sel { t.accent() } else { t.header() },
        ));
    }
    lines.push(Line::from(header));
    for i in rows {
        let mut spans = vec![TextSpan::styled(
            format!("{:<6}", label(&c.symbols[i], 5)),
            if i == sel && focused {
                t.selected()
            } else if i == sel {
                t.accent()
            } else {
                t.header()
            },
        )];
        for j in cols.clone() {
            spans.push(match c.matrix[i][j] {
                Some(v) => {
                    TextSpan::styled(format!("{:>5}", (v * 100.0).round() as i64), t.heat(v))
                }
                None => TextSpan::styled("    -", t.dim()),
            });
        }
        lines.push(Line::from(spans));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn draw_findings(
    f: &mut Frame,
    area: Rect,
    a: Option<&AnomaliesReport>,
    cursor: &mut Cursor,
    focused: bool,
    view: &View,
) {
    let t = view.theme;
    let Some(a) = a else {
        let text = match view.anomalies {
            Some(Err(e)) => format!("The anomaly checks failed: {e}"),
            _ => "Running the anomaly checks...".to_string(),
        };
        f.render_widget(
            Paragraph::new(text)
                .style(t.dim())
                .wrap(Wrap { trim: true }),
            area,
        );
        return;
    };
    let findings = &a.report.findings;
    let title = format!(
        " Anomalies, last {} days ({}) ",
        a.lookback_days,
        findings.len()
    );
    let block = Block::bordered().title(title).border_style(if focused {
        t.accent()
    } else {
        Style::new()
    });
    let inner = block.inner(area);
    f.render_widget(block, area);
    if findings.is_empty() {
        f.render_widget(
            Paragraph::new("Nothing needs attention: every check is within its threshold.")
                .style(t.dim())
                .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    let rows = cursor.window(findings.len(), usize::from(inner.height));
    let lines: Vec<Line> = rows
        .map(|i| {
            let x = &findings[i];
            let mark = match x.severity {
                Severity::Critical => "!!",
                Severity::Warning => "! ",
                Severity::Info => "i ",
            };
            let mut text = format!(
                "{mark} {} {:<18} {:<9}",
                x.date.format("%m-%d"),
                x.check.as_str().replace('_', " "),
                x.subject
            );
            // With room to spare, the reason too (cut at the edge; Enter shows all of it).
            if inner.width >= 44 {
                text.push(' ');
                text.push_str(&x.reason);
            }
            let style = if focused && i == cursor.selected {
                t.selected()
            } else {
                t.severity(x.severity)
            };
            Line::styled(text, style)
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

fn draw_metrics(
    f: &mut Frame,
    area: Rect,
    report: &RiskReport,
    selected: Option<&crate::app::HoldingRisk>,
    compact: bool,
    window: &str,
    view: &View,
) {
    let t = view.theme;
    let title = format!(
        " {window}{} ",
        report
            .benchmark
            .as_ref()
            .map_or(String::new(), |b| format!(" vs {b}"))
    );
    let block = Block::new().borders(Borders::ALL).title(title);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let p = &report.portfolio;
    let h = selected.map(|h| &h.metrics);
    let var = |m: &Metrics, level: f64, days: usize, hist: bool| {
        m.var
            .iter()
            .find(|v| v.level == level && v.horizon_days == days)
            .and_then(|v| {
                if hist {
                    v.historical_var
                } else {
                    v.parametric_var
                }
            })
    };
    type Get = Box<dyn Fn(&Metrics) -> String>;
    let loss = |x: Option<f64>| ratio_pct(x, 2).trim_start_matches('+').to_string();
    let mut rows: Vec<(&str, Get)> = vec![
        (
            "Return",
            Box::new(|m: &Metrics| ratio_pct(m.annualised_return.or(m.total_return), 1)),
        ),
        (
            "Volatility",
            Box::new(|m: &Metrics| {
                ratio_pct(m.volatility, 1)
                    .trim_start_matches('+')
                    .to_string()
            }),
        ),
        ("Sharpe", Box::new(|m: &Metrics| stat(m.sharpe, 2))),
        ("Sortino", Box::new(|m: &Metrics| stat(m.sortino, 2))),
        (
            "Max drawdown",
            Box::new(|m: &Metrics| ratio_pct(m.max_drawdown.as_ref().map(|d| d.depth), 1)),
        ),
        (
            "Drawdown now",
            Box::new(|m: &Metrics| ratio_pct(m.current_drawdown, 1)),
        ),
        (
            "VaR 95% 1d",
            Box::new(move |m: &Metrics| loss(var(m, 0.95, 1, true))),
        ),
        (
            "CVaR 95% 1d",
            Box::new(move |m: &Metrics| {
                loss(
                    m.var
                        .iter()
                        .find(|v| v.level == 0.95 && v.horizon_days == 1)
                        .and_then(|v| v.historical_cvar),
                )
            }),
        ),
    ];
    if !compact {
        rows.push((
            "VaR 99% 1d",
            Box::new(move |m: &Metrics| loss(var(m, 0.99, 1, true))),
        ));
        rows.push((
            "VaR 99% 10d",
            Box::new(move |m: &Metrics| loss(var(m, 0.99, 10, true))),
        ));
        rows.push((
            "Gaussian 99% 10d",
            Box::new(move |m: &Metrics| loss(var(m, 0.99, 10, false))),
        ));
        rows.push(("Beta", Box::new(|m: &Metrics| stat(m.beta, 2))));
        rows.push((
            "Correlation",
            Box::new(|m: &Metrics| stat(m.correlation, 2)),
        ));
    } else {
        rows.push((
            "Beta, corr",
            Box::new(|m: &Metrics| format!("{} {}", stat(m.beta, 1), stat(m.correlation, 1))),
        ));
    }
    let name = selected.map_or("-".to_string(), |h| {
        format!("{} {:.0}%", label(&h.symbol, 6), h.weight * 100.0)
    });
    let mut lines = vec![Line::from(vec![
        TextSpan::raw(format!("{:<16}", "")),
        TextSpan::styled(format!("{:>10}", "Portfolio"), t.header()),
        TextSpan::styled(format!("{:>10}", name), t.accent()),
    ])];
    for (label, get) in &rows {
        lines.push(Line::from(vec![
            TextSpan::styled(format!("{label:<16}"), t.dim()),
            TextSpan::raw(format!("{:>10}", get(p))),
            TextSpan::raw(format!("{:>10}", h.map_or("-".to_string(), get))),
        ]));
    }
    if p.observations < crate::analytics::risk::MIN_RETURNS {
        lines.push(Line::styled(
            format!("{} days of returns: too few to measure", p.observations),
            t.warn(),
        ));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn draw_detail(f: &mut Frame, area: Rect, x: &Finding, index: &Series, view: &View) {
    let t = view.theme;
    let lines = vec![
        Line::from(vec![
            TextSpan::styled(
                format!("{} ", x.severity.as_str().to_uppercase()),
                t.severity(x.severity),
            ),
            TextSpan::styled(x.check.as_str().replace('_', " "), t.accent()),
            TextSpan::raw(format!("  {}  {}", x.subject, x.date)),
        ]),
        Line::raw(x.reason.clone()),
        Line::styled(
            format!(
                "Value {}, threshold {} ({}). Esc: back",
                stat(Some(x.value), 2),
                stat(Some(x.threshold), 2),
                x.check.describe()
            ),
            t.dim(),
        ),
    ];
    let width = usize::from(area.width.max(1));
    let needed: usize = lines.iter().map(|l| l.width().max(1).div_ceil(width)).sum();
    let [head, chart] = Layout::vertical([
        Constraint::Length((needed as u16).min(area.height.saturating_sub(4))),
        Constraint::Fill(1),
    ])
    .areas(area);
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), head);
    let closes: Option<Series> = view
        .portfolio
        .closes
        .get(&x.subject)
        .map(|c| c.iter().map(|(d, v)| (*d, to_f64(*v))).collect());
    let series = if x.subject == "portfolio" {
        Some(index)
    } else {
        closes.as_ref()
    };
    let (title, around) = match series {
        Some(s) => {
            let i = s.partition_point(|(d, _)| *d < x.date);
            let lo = i.saturating_sub(60);
            let hi = (i + 20).min(s.len());
            let name = if x.subject == "portfolio" {
                "Portfolio return index"
            } else {
                "Closes of"
            };
            (
                format!(
                    " {name} {} around {} ",
                    if x.subject == "portfolio" {
                        ""
                    } else {
                        &x.subject
                    },
                    x.date
                ),
                s[lo..hi].to_vec(),
            )
        }
        None => (" No series for this finding ".to_string(), Vec::new()),
    };
    line_chart(
        f,
        chart,
        Block::bordered().title(title.replace("  ", " ")),
        &around,
        t,
        "No prices around this day to chart.",
        crate::tui::widgets::compact,
        Some(x.date).filter(|d| {
            around.first().is_some_and(|(f, _)| f <= d)
                && around.last().is_some_and(|(l, _)| d <= l)
        }),
    );
}
