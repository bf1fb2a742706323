//! The fan chart: percentile bands of the value over the years, drawn into the buffer.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::analytics::montecarlo::Percentiles;
use crate::tui::theme::Theme;
use crate::tui::widgets::compact;

/// The 5-95 and 25-75 bands of the value over the years, the median line and the goal line,
/// one column per step of the x axis, y from 0 to the highest 95th percentile (or the goal).
pub fn fan_chart(
    buf: &mut Buffer,
    area: Rect,
    values: &[Percentiles],
    goal: Option<f64>,
    theme: Theme,
) {
    let label_width = 7u16;
    if values.is_empty() || area.width < label_width + 10 || area.height < 4 {
        return;
    }
    let plot = Rect {
        x: area.x + label_width,
        y: area.y,
        width: area.width - label_width,
        height: area.height - 1,
    };
    let top = values
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
    let years = values.len().saturating_sub(1).max(1);
    for c in 0..plot.width {
        let t = f64::from(c) / f64::from((plot.width - 1).max(1)) * years as f64;
        let (i, frac) = (t.floor() as usize, t.fract());
        let at = |g: fn(&crate::analytics::montecarlo::Percentiles) -> f64| {
            let a = g(&values[i.min(years)]);
            let b = g(&values[(i + 1).min(years)]);
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
