//! The Risk pane's metrics view, drawn: the metrics of the portfolio and of the selected
//! holding, the correlation heatmap, the anomaly checks' findings and a finding's detail.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span as TextSpan};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::super::View;
use super::{CELL, LABEL, label};
use crate::analytics::anomaly::{Finding, Severity};
use crate::analytics::risk::{Metrics, Series};
use crate::app::RiskReport;
use crate::app::anomalies::AnomaliesReport;
use crate::format::{ratio_pct, stat};
use crate::tui::widgets::{Cursor, line_chart, to_f64};

pub(super) fn draw_heatmap(
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

pub(super) fn draw_findings(
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

pub(super) fn draw_metrics(
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

pub(super) fn draw_detail(f: &mut Frame, area: Rect, x: &Finding, index: &Series, view: &View) {
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
