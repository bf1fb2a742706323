//! The Risk pane's frontier view: the efficient frontier `folio frontier` answers, as a chart
//! of expected return over volatility (the curve, each asset labelled where there is room,
//! today's mix, the minimum-variance and maximum-Sharpe portfolios, each with a marker of its
//! own so that it reads without colour), beside their figures and weights, above the report's
//! warning that the frontier is estimated from history. `w` changes the window, `c` mixes
//! asset classes instead of symbols.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span as TextSpan};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph, Wrap};

use super::super::{Done, Handled, View};
use super::{Asked, label};
use crate::app::frontier::{By, FrontierParams, FrontierReport, Mix};
use crate::tui::jobs::Job;
use crate::tui::theme::Theme;
use crate::tui::widgets::wrap_words;

/// The windows `w` cycles through: how the query layer reads each, and its label.
const WINDOWS: [(&str, &str); 4] = [("1y", "1Y"), ("3y", "3Y"), ("5y", "5Y"), ("all", "all")];
/// 5Y, `folio frontier`'s default: the view first shows what the command prints.
const DEFAULT_WINDOW: usize = 2;

/// The markers: a character each, so that they differ without colour too.
const CURRENT: char = '◆';
const MIN_VARIANCE: char = '▲';
const MAX_SHARPE: char = '★';
const ASSET: char = '•';

/// The side panel's width (its border included).
const PANEL: u16 = 38;

pub(super) struct FrontierView {
    /// An index into [`WINDOWS`].
    window: usize,
    by_class: bool,
    answer: Asked<FrontierParams, FrontierReport>,
}

impl Default for FrontierView {
    fn default() -> Self {
        FrontierView {
            window: DEFAULT_WINDOW,
            by_class: false,
            answer: Asked::default(),
        }
    }
}

/// A style in colour `c`, or none under NO_COLOR (the markers' characters tell them apart).
fn fg(t: Theme, c: Color) -> Style {
    if t.color {
        Style::new().fg(c)
    } else {
        Style::new()
    }
}

impl FrontierView {
    /// The options as the query layer takes them (the defaults: `folio frontier`).
    fn params(&self) -> FrontierParams {
        FrontierParams {
            window: Some(WINDOWS[self.window].0.to_string()),
            by: if self.by_class { By::Class } else { By::Symbol },
            ..FrontierParams::default()
        }
    }

    /// The options shown, as the title says them.
    fn label(&self) -> String {
        let by = if self.by_class { " by class" } else { "" };
        format!("{}{by}", WINDOWS[self.window].1)
    }

    pub(super) fn ask(&mut self, jobs: &mut Vec<Job>) {
        self.answer.ensure(self.params(), jobs, Job::Frontier);
    }

    pub(super) fn stale(&mut self) {
        self.answer.stale();
    }

    pub(super) fn answered(&mut self, done: &Done) {
        if let Done::Frontier { result, .. } = done {
            self.answer.answered(result);
        }
    }

    pub(super) fn key(&mut self, key: KeyEvent, jobs: &mut Vec<Job>) -> Handled {
        match key.code {
            KeyCode::Char('w') => self.window = (self.window + 1) % WINDOWS.len(),
            KeyCode::Char('c') => self.by_class = !self.by_class,
            _ => return Handled::No,
        }
        // The frontier comes back from a job: the key itself computes nothing.
        self.ask(jobs);
        Handled::Yes
    }

    pub(super) fn draw(&self, f: &mut Frame, area: Rect, view: &View, hint: Line<'static>) {
        let t = view.theme;
        let r = match &self.answer.answer {
            Some(Ok(r)) => r,
            Some(Err(e)) => {
                let lines = vec![
                    Line::styled(
                        format!(
                            "The efficient frontier over {} could not be estimated:",
                            self.label()
                        ),
                        t.error(),
                    ),
                    Line::raw(e.clone()),
                    Line::raw(""),
                    Line::styled(
                        "w: another window (1Y, 3Y, 5Y, all)  c: by symbol or by asset class  v: the next view",
                        t.dim(),
                    ),
                ];
                let busy = if self.answer.pending {
                    Line::styled(" estimating… ", t.dim())
                } else {
                    Line::raw("")
                };
                f.render_widget(
                    Paragraph::new(lines)
                        .block(Block::bordered().title(busy).title(hint))
                        .wrap(Wrap { trim: true }),
                    area,
                );
                return;
            }
            None => {
                f.render_widget(
                    Paragraph::new(format!(
                        "Estimating the efficient frontier over {}…",
                        self.label()
                    ))
                    .style(t.dim()),
                    area,
                );
                return;
            }
        };
        // Below: the warnings in full (the first says how unstable the estimate is) in up to a
        // third of the height, then the notes while all fits in a quarter.
        let mut texts: Vec<(String, Style)> =
            r.warnings.iter().map(|w| (sentence(w), t.warn())).collect();
        if let Some(why) = &r.max_sharpe_unavailable {
            texts.push((format!("No maximum-Sharpe portfolio: {why}."), t.warn()));
        }
        let room = usize::from((area.height / 3).max(2));
        let notes_room = usize::from(area.height / 4);
        let warnings = texts.len();
        texts.extend(
            r.notes
                .iter()
                .map(|n| (sentence(&format!("Note: {n}")), t.dim())),
        );
        let mut below: Vec<Line> = Vec::new();
        for (i, (text, style)) in texts.iter().enumerate() {
            let lines = wrap_words(text, usize::from(area.width));
            let limit = if i < warnings { room } else { notes_room };
            // The first warning always shows, cut if it must be.
            if i > 0 && below.len() + lines.len() > limit {
                continue;
            }
            below.extend(lines.into_iter().map(|l| Line::styled(l, *style)));
        }
        below.truncate(room);
        let [top, bottom] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(below.len() as u16)])
                .areas(area);
        f.render_widget(Paragraph::new(below), bottom);
        let [chart_area, panel_area] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Length(PANEL)]).areas(top);
        draw_chart(f, chart_area, r, t);
        // While other options are asked for, the last frontier stays, titled with them and
        // marked (below, the top border being short).
        let mut block = Block::bordered().title(hint);
        if self.answer.pending {
            block = block
                .title(format!(" {} ", self.label()))
                .title_bottom(Line::styled(" estimating… ", t.warn()));
        } else {
            let window = r.window.to_uppercase().replace("ALL", "all");
            block = block.title(format!(" {window} · {} days ", r.days));
        }
        draw_panel(f, panel_area, r, t, block);
    }
}

/// `s` as a sentence: capitalised, ending with a full stop.
fn sentence(s: &str) -> String {
    let mut c = s.chars();
    let mut out: String = match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// A mix's point on the chart: (volatility, return) in percent.
fn point(m: &Mix) -> (f64, f64) {
    (m.volatility * 100.0, m.expected_return * 100.0)
}

/// The chart: the curve, the assets (labelled where there is room), today's mix and the two
/// landmark portfolios.
fn draw_chart(f: &mut Frame, area: Rect, r: &FrontierReport, t: Theme) {
    let title = match r.by {
        By::Symbol => " Efficient frontier ",
        By::Class => " Efficient frontier by class ",
    };
    let mut block = Block::bordered().title(title);
    let legend = format!(
        " {CURRENT} now  {MIN_VARIANCE} min variance  {MAX_SHARPE} max Sharpe  {ASSET} asset "
    );
    if legend.chars().count() + 2 <= usize::from(area.width) {
        block = block.title_bottom(Line::styled(legend, t.dim()));
    }
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.width < 24 || inner.height < 6 {
        f.render_widget(
            Paragraph::new("Too small for a chart: enlarge the window.")
                .style(t.dim())
                .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    let curve: Vec<(f64, f64)> = r.points.iter().map(point).collect();
    let assets: Vec<(f64, f64)> = r
        .assets
        .iter()
        .map(|a| (a.volatility * 100.0, a.expected_return * 100.0))
        .collect();
    let current = [point(&r.current.mix)];
    let min_var = [point(&r.min_variance)];
    let max_sharpe: Vec<(f64, f64)> = r.max_sharpe.iter().map(point).collect();
    let all = || {
        curve
            .iter()
            .chain(&assets)
            .chain(&current)
            .chain(&min_var)
            .chain(&max_sharpe)
    };
    let bounds = |v: &mut dyn Iterator<Item = f64>| {
        let (lo, hi) = v.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
        let pad = ((hi - lo) * 0.05).max(0.5);
        [lo - pad, hi + pad]
    };
    let xb = bounds(&mut all().map(|p| p.0));
    let yb = bounds(&mut all().map(|p| p.1));
    let x_labels = [xb[0], (xb[0] + xb[1]) / 2.0, xb[1]].map(|v| format!("{v:.0}%"));
    let y_texts = [yb[0], (yb[0] + yb[1]) / 2.0, yb[1]].map(|v| format!("{v:+.0}%"));
    // Every return label as wide as the widest, so that the plot starts where `plot` says.
    let y_width = y_texts.iter().map(|s| s.chars().count()).max().unwrap_or(0);
    let y_labels = y_texts.map(|s| format!("{s:>y_width$}"));
    let datasets = vec![
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(t.chart())
            .data(&curve),
        Dataset::default()
            .marker(Marker::Custom(ASSET))
            .graph_type(GraphType::Scatter)
            .data(&assets),
        Dataset::default()
            .marker(Marker::Custom(MIN_VARIANCE))
            .graph_type(GraphType::Scatter)
            .style(fg(t, Color::Green))
            .data(&min_var),
        Dataset::default()
            .marker(Marker::Custom(MAX_SHARPE))
            .graph_type(GraphType::Scatter)
            .style(fg(t, Color::Yellow))
            .data(&max_sharpe),
        // Today's mix last: on top when it sits on a landmark.
        Dataset::default()
            .marker(Marker::Custom(CURRENT))
            .graph_type(GraphType::Scatter)
            .style(fg(t, Color::Magenta))
            .data(&current),
    ];
    let chart = Chart::new(datasets)
        .legend_position(None)
        .x_axis(
            Axis::default()
                .title("volatility")
                .bounds(xb)
                .labels(x_labels.clone().map(TextSpan::raw))
                .style(t.dim()),
        )
        .y_axis(
            Axis::default()
                .title("return")
                .bounds(yb)
                .labels(y_labels.map(TextSpan::raw))
                .style(t.dim()),
        );
    f.render_widget(chart, inner);
    let plot = plot_area(inner, y_width as u16, x_labels[0].chars().count() as u16);
    let names: Vec<String> = r.assets.iter().map(|a| label(&a.name, 6)).collect();
    label_points(f.buffer_mut(), plot, xb, yb, &assets, &names, ASSET);
}

/// Where ratatui's `Chart` draws its points inside `inner`: right of the return labels (each
/// `y_width` wide) and the axis, above the axis and the volatility labels (the first
/// `x_first` wide, left-aligned under the axis).
fn plot_area(inner: Rect, y_width: u16, x_first: u16) -> Rect {
    let left = y_width.max(x_first.saturating_sub(1)).min(inner.width / 3);
    let x = inner.x + left + 1;
    Rect::new(
        x,
        inner.y,
        inner.right().saturating_sub(x),
        inner.height.saturating_sub(2),
    )
}

/// The cell of (x, y) in `plot`, as the chart places a point of a one-character marker.
fn cell(plot: Rect, xb: [f64; 2], yb: [f64; 2], (x, y): (f64, f64)) -> Option<(u16, u16)> {
    if plot.width == 0 || plot.height == 0 || !(xb[0]..=xb[1]).contains(&x) {
        return None;
    }
    if !(yb[0]..=yb[1]).contains(&y) {
        return None;
    }
    let col = ((x - xb[0]) * f64::from(plot.width - 1) / (xb[1] - xb[0])).round() as u16;
    let row = ((yb[1] - y) * f64::from(plot.height - 1) / (yb[1] - yb[0])).round() as u16;
    Some((plot.x + col, plot.y + row))
}

/// Writes each name beside its point, right of it or else left, where the cells are empty (a
/// name never covers a marker, the curve or another name); a point whose marker another
/// covers keeps no name.
fn label_points(
    buf: &mut Buffer,
    plot: Rect,
    xb: [f64; 2],
    yb: [f64; 2],
    points: &[(f64, f64)],
    names: &[String],
    marker: char,
) {
    let blank = |buf: &Buffer, x: u16, y: u16| matches!(buf[(x, y)].symbol(), " " | "\u{2800}");
    for (p, name) in points.iter().zip(names) {
        let Some((x, y)) = cell(plot, xb, yb, *p) else {
            continue;
        };
        if buf[(x, y)].symbol() != marker.to_string() {
            continue;
        }
        let n = name.chars().count() as u16;
        let fits = |from: u16| {
            from >= plot.x && from + n <= plot.right() && (from..from + n).all(|c| blank(buf, c, y))
        };
        let at = if fits(x + 1) {
            Some(x + 1)
        } else if x >= plot.x + n && fits(x - n) {
            Some(x - n)
        } else {
            None
        };
        if let Some(at) = at {
            buf.set_string(at, y, name, Style::new());
        }
    }
}

/// The figures beside the chart: today's mix against the curve, the landmark portfolios
/// (marked as on the chart: the legend), and the weights of each asset in them.
fn draw_panel(f: &mut Frame, area: Rect, r: &FrontierReport, t: Theme, block: Block) {
    let inner = block.inner(area);
    f.render_widget(block, area);
    let height = usize::from(inner.height);
    let row = |mark: char, name: &str, m: Option<&Mix>, style: Style| -> Line<'static> {
        let figures = match m {
            Some(m) => format!(
                "{:>7}{:>6}{:>7}",
                format!("{:+.1}%", m.expected_return * 100.0),
                format!("{:.1}%", m.volatility * 100.0),
                crate::format::stat(m.sharpe, 2)
            ),
            None => format!("{:>20}", "none"),
        };
        Line::from(vec![
            TextSpan::styled(format!("{mark} "), style),
            TextSpan::raw(format!("{name:<14}{figures}")),
        ])
    };
    let c = &r.current;
    let n = r.assets.len();
    // The calmest mix at today's return and the highest-return one show when there is room
    // for them and every asset's weights.
    let extra = height >= 1 + 6 + 2 + n;
    let mut lines = vec![Line::styled(
        format!("{:<16}{:>7}{:>6}{:>7}", "", "Return", "Vol", "Sharpe"),
        t.header(),
    )];
    lines.push(row(
        CURRENT,
        "Your mix",
        Some(&c.mix),
        fg(t, Color::Magenta),
    ));
    if let Some(m) = &c.best_return_at_same_volatility {
        lines.push(row(' ', "Best, same vol", Some(m), Style::new()));
    }
    if extra && let Some(m) = &c.least_volatility_at_same_return {
        lines.push(row(' ', "Calm, same ret", Some(m), Style::new()));
    }
    lines.push(row(
        MIN_VARIANCE,
        "Min variance",
        Some(&r.min_variance),
        fg(t, Color::Green),
    ));
    lines.push(row(
        MAX_SHARPE,
        "Max Sharpe",
        r.max_sharpe.as_ref(),
        fg(t, Color::Yellow),
    ));
    if extra {
        lines.push(row(' ', "Max return", Some(&r.max_return), Style::new()));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!("{:<18}{:>6}{:>6}{:>6}", "Weights", "Now", "MinV", "MaxS"),
        t.header(),
    ));
    // The assets in an efficient mix first (in the report's order, largest today first),
    // then the others while they fit; those left out are counted.
    let weight = |m: Option<&Mix>, i: usize| m.map_or(0.0, |m| m.weights[i].weight);
    let efficient = |i: &usize| {
        weight(Some(&r.min_variance), *i) >= 0.005 || weight(r.max_sharpe.as_ref(), *i) >= 0.005
    };
    let (mut order, rest): (Vec<usize>, Vec<usize>) = (0..n).partition(efficient);
    order.extend(rest);
    let room = height.saturating_sub(lines.len());
    let shown = if order.len() <= room {
        order.len()
    } else {
        room.saturating_sub(1)
    };
    let pct = |x: f64| format!("{:.0}%", x * 100.0);
    for &i in &order[..shown] {
        lines.push(Line::raw(format!(
            "{:<18}{:>6}{:>6}{:>6}",
            label(&r.assets[i].name, 17),
            pct(r.assets[i].weight),
            pct(weight(Some(&r.min_variance), i)),
            r.max_sharpe
                .as_ref()
                .map_or("-".to_string(), |m| pct(m.weights[i].weight)),
        )));
    }
    if shown < order.len() {
        let names: Vec<&str> = order[shown..]
            .iter()
            .map(|&i| r.assets[i].name.as_str())
            .collect();
        let more = format!("+{} more: {}", names.len(), names.join(" "));
        lines.push(Line::styled(
            label(&more, usize::from(inner.width)),
            t.dim(),
        ));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    #[test]
    fn the_labels_sit_beside_the_points_the_chart_draws() {
        let (w, h) = (40u16, 14u16);
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        let points = [(4.0, -5.0), (15.0, 10.7), (28.2, 15.0)];
        let (xb, yb) = ([3.0, 30.0], [-5.0, 15.0]);
        term.draw(|f| {
            let area = f.area();
            let chart = Chart::new(vec![
                Dataset::default()
                    .marker(Marker::Custom(ASSET))
                    .graph_type(GraphType::Scatter)
                    .data(&points),
            ])
            .legend_position(None)
            .x_axis(Axis::default().bounds(xb).labels(["3%", "17%", "30%"]))
            .y_axis(Axis::default().bounds(yb).labels(["-5%", " +5%", "+15%"]));
            f.render_widget(chart, area);
            let plot = plot_area(area, 4, 2);
            let names = ["AGG", "VTI", "AAPL"].map(String::from);
            label_points(f.buffer_mut(), plot, xb, yb, &points, &names, ASSET);
        })
        .unwrap();
        let buf = term.backend().buffer();
        let text: Vec<String> = (0..h)
            .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect())
            .collect();
        let screen = text.join("\n");
        // Each name right beside its point, or left of it at the right edge.
        assert!(screen.contains("•AGG"), "{screen}");
        assert!(screen.contains("•VTI"), "{screen}");
        assert!(screen.contains("AAPL•"), "{screen}");
        // The highest point is on the top row, the lowest on the last row above the axis.
        assert!(text[0].contains("AAPL•"), "{screen}");
        assert!(text[usize::from(h) - 3].contains("•AGG"), "{screen}");
    }
}
