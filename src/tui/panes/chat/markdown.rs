//! Answers as a terminal shows them: the markdown models write (bold, italics, `code`, code
//! blocks, headings, `- ` and `1. ` lists, quotes and pipe tables) laid out in lines of a
//! given width. Words are kept whole where they fit; tables become aligned columns; figures
//! the grounding check could not find in the tools' results are underlined. Any text is taken:
//! wide characters, emoji, empty lines, unclosed markup.
//!
//! [`Md`] lays an answer out as it streams: a complete source line is laid out once, and only
//! what is still open (the table being written, the last line so far) is laid out again.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use crate::tui::theme::Theme;

/// The columns `s` takes on a terminal.
pub fn width(s: &str) -> usize {
    Span::raw(s).width()
}

fn char_width(c: char) -> usize {
    let mut b = [0u8; 4];
    width(c.encode_utf8(&mut b))
}

fn spans_width(spans: &[Span]) -> usize {
    spans.iter().map(Span::width).sum()
}

/// Appends `text` to `line`, joined to the last span when it has the same style.
fn push(line: &mut Vec<Span<'static>>, text: &str, style: Style) {
    if text.is_empty() {
        return;
    }
    match line.last_mut() {
        Some(last) if last.style == style => last.content.to_mut().push_str(text),
        _ => line.push(Span::styled(text.to_string(), style)),
    }
}

/// Lays `spans` out in lines of at most `width` columns, breaking between words (a word wider
/// than a line is broken where it must). The first line starts with `first`, the others with
/// `rest` (a hanging indent). Spaces at a break are dropped; an empty text is one line.
pub fn wrap(
    spans: &[Span<'static>],
    width: usize,
    first: &[Span<'static>],
    rest: &[Span<'static>],
    out: &mut Vec<Line<'static>>,
) {
    let mut w = Wrapper {
        width: width.max(spans_width(rest) + 2).max(spans_width(first) + 2),
        rest,
        line: nonempty(first),
        used: spans_width(first),
        content: false,
        space: None,
        out,
    };
    let mut word: Vec<Span<'static>> = Vec::new();
    for span in spans {
        for c in span.content.chars() {
            if c == ' ' || c == '\t' {
                if !word.is_empty() {
                    w.word(&std::mem::take(&mut word));
                }
                let s = w.space.get_or_insert_with(|| (String::new(), span.style));
                s.0.push(' ');
            } else {
                let mut b = [0u8; 4];
                push(&mut word, c.encode_utf8(&mut b), span.style);
            }
        }
    }
    if !word.is_empty() {
        w.word(&word);
    }
    let line = std::mem::take(&mut w.line);
    w.out.push(Line::from(line));
}

fn nonempty(spans: &[Span<'static>]) -> Vec<Span<'static>> {
    spans
        .iter()
        .filter(|s| !s.content.is_empty())
        .cloned()
        .collect()
}

struct Wrapper<'a> {
    width: usize,
    rest: &'a [Span<'static>],
    line: Vec<Span<'static>>,
    /// Columns used on the line, its prefix included.
    used: usize,
    /// The line has text besides its prefix.
    content: bool,
    /// Spaces before the next word (dropped at a break).
    space: Option<(String, Style)>,
    out: &'a mut Vec<Line<'static>>,
}

impl Wrapper<'_> {
    fn break_line(&mut self) {
        let line = std::mem::replace(&mut self.line, nonempty(self.rest));
        self.out.push(Line::from(line));
        self.used = spans_width(self.rest);
        self.content = false;
    }

    fn word(&mut self, word: &[Span<'static>]) {
        let ww = spans_width(word);
        let space = self.space.take();
        let sw = space.as_ref().map_or(0, |s| width(&s.0));
        if self.content {
            if self.used + sw + ww > self.width {
                self.break_line();
            } else if let Some((s, style)) = &space {
                push(&mut self.line, s, *style);
                self.used += sw;
            }
        }
        if self.used + ww <= self.width {
            for s in word {
                push(&mut self.line, &s.content, s.style);
            }
            self.used += ww;
            self.content = true;
            return;
        }
        // Wider than a line: broken at the columns.
        for s in word {
            for c in s.content.chars() {
                let cw = char_width(c);
                if self.content && self.used + cw > self.width {
                    self.break_line();
                }
                let mut b = [0u8; 4];
                push(&mut self.line, c.encode_utf8(&mut b), s.style);
                self.used += cw;
                self.content = true;
            }
        }
    }
}

/// `text` cut into lines of `width` columns exactly as it is (spaces kept: code), each
/// starting with `prefix`.
fn hard_wrap(
    text: &str,
    style: Style,
    width: usize,
    prefix: &[Span<'static>],
    out: &mut Vec<Line<'static>>,
) {
    let pw = spans_width(prefix);
    let width = width.max(pw + 2);
    let mut line = prefix.to_vec();
    let mut used = pw;
    let mut content = false;
    for c in text.chars() {
        let (c, n) = if c == '\t' { (' ', 4) } else { (c, 1) };
        for _ in 0..n {
            let cw = char_width(c);
            if content && used + cw > width {
                out.push(Line::from(std::mem::replace(&mut line, prefix.to_vec())));
                used = pw;
            }
            let mut b = [0u8; 4];
            push(&mut line, c.encode_utf8(&mut b), style);
            used += cw;
            content = true;
        }
    }
    out.push(Line::from(line));
}

/// Styles of the inline markup.
#[derive(Debug, Clone, Copy)]
struct Marks {
    bold: bool,
    italic: bool,
}

/// One line's inline markup as spans over `base`: `**bold**`, `*italic*`, `` `code` ``;
/// figures in `flagged` are underlined in the warning style. Unclosed markup stays as text.
pub fn inline(text: &str, base: Style, theme: Theme, flagged: &[String]) -> Vec<Span<'static>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut m = Marks {
        bold: false,
        italic: false,
    };
    let style = |m: Marks| {
        let mut s = base;
        if m.bold {
            s = s.add_modifier(Modifier::BOLD);
        }
        if m.italic {
            s = s.add_modifier(Modifier::ITALIC);
        }
        s
    };
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        if let Some(after) = rest.strip_prefix('`')
            && let Some(end) = after.find('`')
            && end > 0
        {
            flagged_spans(
                &std::mem::take(&mut cur),
                style(m),
                theme,
                flagged,
                &mut out,
            );
            out.push(Span::styled(after[..end].to_string(), code_style(theme)));
            i += end + 2;
            continue;
        }
        if let Some(after) = rest.strip_prefix("**")
            && (m.bold || after.contains("**"))
        {
            flagged_spans(
                &std::mem::take(&mut cur),
                style(m),
                theme,
                flagged,
                &mut out,
            );
            m.bold = !m.bold;
            i += 2;
            continue;
        }
        if let Some(after) = rest.strip_prefix('*') {
            let opens =
                after.chars().next().is_some_and(|c| !c.is_whitespace()) && after.contains('*');
            let closes = m.italic && !cur.ends_with(' ');
            if closes || (!m.italic && opens) {
                flagged_spans(
                    &std::mem::take(&mut cur),
                    style(m),
                    theme,
                    flagged,
                    &mut out,
                );
                m.italic = !m.italic;
                i += 1;
                continue;
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        cur.push(c);
        i += c.len_utf8().max(1);
    }
    flagged_spans(&cur, style(m), theme, flagged, &mut out);
    out
}

pub fn code_style(theme: Theme) -> Style {
    theme.chart()
}

/// The style of a figure found in no tool result.
pub fn flagged_style(theme: Theme) -> Style {
    theme.warn().add_modifier(Modifier::UNDERLINED)
}

/// `text` in `style`, with each figure of `flagged` in it (not inside a longer number)
/// underlined.
fn flagged_spans(
    text: &str,
    style: Style,
    theme: Theme,
    flagged: &[String],
    out: &mut Vec<Span<'static>>,
) {
    if text.is_empty() {
        return;
    }
    let mut from = 0;
    let mut i = 0;
    while i < text.len() {
        let hit = flagged.iter().filter(|f| !f.is_empty()).find(|f| {
            text[i..].starts_with(f.as_str()) && {
                let before = text[..i].chars().next_back();
                let after = text[i + f.len()..].chars().next();
                !before.is_some_and(|c| c.is_ascii_digit() || c == '.' || c == ',' || c == '$')
                    && !after.is_some_and(|c| c.is_ascii_digit())
            }
        });
        if let Some(f) = hit {
            if from < i {
                out.push(Span::styled(text[from..i].to_string(), style));
            }
            out.push(Span::styled(f.clone(), style.patch(flagged_style(theme))));
            i += f.len();
            from = i;
        } else {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    if from < text.len() {
        out.push(Span::styled(text[from..].to_string(), style));
    }
}

/// How a table column is aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
    Center,
}

/// An answer being laid out, line by line.
#[derive(Debug, Clone)]
pub struct Md {
    width: usize,
    theme: Theme,
    /// Figures to underline (known when the answer is complete).
    flagged: Vec<String>,
    /// Bytes of the text laid out so far (whole lines).
    consumed: usize,
    /// Inside a ``` block.
    code: bool,
    /// The rows of the table being read.
    table: Vec<String>,
    /// The last line out was blank, or nothing is out yet (blank lines are not repeated).
    blank: bool,
}

impl Md {
    pub fn new(width: usize, theme: Theme, flagged: &[String]) -> Md {
        Md {
            width: width.max(4),
            theme,
            flagged: flagged.to_vec(),
            consumed: 0,
            code: false,
            table: Vec::new(),
            blank: true,
        }
    }

    /// Lays out the complete lines of `text` not laid out yet (`text` only grows).
    pub fn feed(&mut self, text: &str, out: &mut Vec<Line<'static>>) {
        let rest = text.get(self.consumed..).unwrap_or("");
        let Some(end) = rest.rfind('\n') else {
            return;
        };
        for line in rest[..end].split('\n') {
            self.line(line, out);
        }
        self.consumed += end + 1;
    }

    /// What is still open (the table being written, the last line so far), as it stands.
    pub fn rest(&self, text: &str, out: &mut Vec<Line<'static>>) {
        let mut md = self.clone();
        md.finish_tail(text, out);
    }

    /// The whole of `text`, laid out: the lines not yet laid out and the last one.
    pub fn finish(mut self, text: &str, out: &mut Vec<Line<'static>>) {
        let start = out.len();
        self.feed(text, out);
        self.finish_tail(text, out);
        while out.len() > start && out.last().is_some_and(|l| l.width() == 0) {
            out.pop();
        }
    }

    fn finish_tail(&mut self, text: &str, out: &mut Vec<Line<'static>>) {
        let tail = text.get(self.consumed..).unwrap_or("");
        if !tail.is_empty() {
            self.line(tail, out);
        }
        self.flush(out);
    }

    fn line(&mut self, line: &str, out: &mut Vec<Line<'static>>) {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            self.flush(out);
            self.code = !self.code;
            self.blank = false;
            return;
        }
        let t = self.theme;
        if self.code {
            hard_wrap(
                line,
                code_style(t),
                self.width,
                &[Span::styled("│ ", t.dim())],
                out,
            );
            self.blank = false;
            return;
        }
        if trimmed.starts_with('|') && trimmed.len() > 1 {
            self.table.push(trimmed.trim_end().to_string());
            return;
        }
        self.flush(out);
        if trimmed.trim_end().is_empty() {
            if !self.blank {
                out.push(Line::default());
                self.blank = true;
            }
            return;
        }
        self.blank = false;
        let expanded;
        let line = if line.contains('\t') {
            expanded = line.replace('\t', "    ");
            expanded.as_str()
        } else {
            line
        };
        let trimmed = line.trim_start();
        let indent = (line.len() - trimmed.len()).min(12).min(self.width / 4);
        let pad = " ".repeat(indent);
        let w = self.width;
        // A heading.
        let hashes = trimmed.bytes().take_while(|b| *b == b'#').count();
        if (1..=6).contains(&hashes) && trimmed[hashes..].starts_with(' ') {
            let spans = inline(trimmed[hashes..].trim(), t.header(), t, &self.flagged);
            wrap(&spans, w, &[], &[], out);
            return;
        }
        // A rule.
        let body: String = trimmed.chars().filter(|c| !c.is_whitespace()).collect();
        if body.len() >= 3
            && (body.chars().all(|c| c == '-')
                || body.chars().all(|c| c == '*')
                || body.chars().all(|c| c == '_'))
        {
            out.push(Line::styled("─".repeat(w.min(60)), t.dim()));
            return;
        }
        // A quote.
        if let Some(q) = trimmed.strip_prefix('>') {
            let spans = inline(q.trim_start(), Style::new(), t, &self.flagged);
            let gutter = [Span::styled(format!("{pad}│ "), t.dim())];
            wrap(&spans, w, &gutter, &gutter, out);
            return;
        }
        // A list item.
        let marker = if let Some(rest) = ["- ", "* ", "+ "]
            .iter()
            .find_map(|m| trimmed.strip_prefix(m))
        {
            Some(("• ".to_string(), rest))
        } else {
            let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
            let after = &trimmed[digits..];
            if (1..=3).contains(&digits) && (after.starts_with(". ") || after.starts_with(") ")) {
                Some((format!("{}. ", &trimmed[..digits]), &after[2..]))
            } else {
                None
            }
        };
        if let Some((m, rest)) = marker {
            let spans = inline(rest.trim_start(), Style::new(), t, &self.flagged);
            let hang = " ".repeat(indent + width(&m));
            wrap(
                &spans,
                w,
                &[Span::raw(pad), Span::styled(m, t.accent())],
                &[Span::raw(hang)],
                out,
            );
            return;
        }
        let spans = inline(trimmed, Style::new(), t, &self.flagged);
        let prefix = [Span::raw(pad)];
        wrap(&spans, w, &prefix, &prefix, out);
    }

    /// Lays out the table read so far.
    fn flush(&mut self, out: &mut Vec<Line<'static>>) {
        if self.table.is_empty() {
            return;
        }
        let rows = std::mem::take(&mut self.table);
        self.blank = false;
        table(&rows, self.width, self.theme, &self.flagged, out);
    }
}

fn split_row(row: &str) -> Vec<&str> {
    let r = row.trim();
    let r = r.strip_prefix('|').unwrap_or(r);
    let r = r.strip_suffix('|').unwrap_or(r);
    r.split('|').map(str::trim).collect()
}

/// `|---|:--:|--:|`: the line under a table's header, and its alignments.
fn separator(cells: &[&str]) -> Option<Vec<Option<Align>>> {
    let mut aligns = Vec::new();
    for c in cells {
        let c = c.trim();
        let dashes = c.trim_matches(':');
        if dashes.is_empty() || !dashes.chars().all(|x| x == '-') {
            return None;
        }
        aligns.push(match (c.starts_with(':'), c.ends_with(':')) {
            (true, true) => Some(Align::Center),
            (false, true) => Some(Align::Right),
            (true, false) => Some(Align::Left),
            (false, false) => None,
        });
    }
    Some(aligns)
}

/// A cell that reads as a figure ($1,234.50, -3.2%, 12): right-aligned unless said otherwise.
fn numeric(cell: &str) -> bool {
    let c = cell.trim().trim_matches('*');
    !c.is_empty()
        && c.chars().any(|x| x.is_ascii_digit())
        && c.chars()
            .all(|x| x.is_ascii_digit() || "$€£¥-+−.,%() xk MBK".contains(x))
}

/// The cell's spans cut to `w` columns (an ellipsis where cut) and padded to `w`.
fn cell_line(spans: &[Span<'static>], w: usize, align: Align, line: &mut Vec<Span<'static>>) {
    let mut cut: Vec<Span<'static>> = Vec::new();
    let total = spans_width(spans);
    let mut used = 0;
    if total <= w {
        cut = spans.to_vec();
        used = total;
    } else {
        'outer: for s in spans {
            for c in s.content.chars() {
                let cw = char_width(c);
                if used + cw > w.saturating_sub(1) {
                    break 'outer;
                }
                let mut b = [0u8; 4];
                push(&mut cut, c.encode_utf8(&mut b), s.style);
                used += cw;
            }
        }
        let style = spans.last().map_or(Style::new(), |s| s.style);
        push(&mut cut, "…", style);
        used += 1;
    }
    let pad = w.saturating_sub(used);
    let (left, right) = match align {
        Align::Left => (0, pad),
        Align::Right => (pad, 0),
        Align::Center => (pad / 2, pad - pad / 2),
    };
    if left > 0 {
        line.push(Span::raw(" ".repeat(left)));
    }
    line.extend(cut);
    if right > 0 {
        line.push(Span::raw(" ".repeat(right)));
    }
}

const GAP: usize = 2;

/// A pipe table as aligned columns: the header in bold over a rule, the widest columns
/// narrowed (their cells cut) when the table is wider than the pane.
fn table(
    rows: &[String],
    width: usize,
    theme: Theme,
    flagged: &[String],
    out: &mut Vec<Line<'static>>,
) {
    let cells: Vec<Vec<&str>> = rows.iter().map(|r| split_row(r)).collect();
    let sep = cells.iter().position(|r| separator(r).is_some());
    let aligns = sep.and_then(|i| separator(&cells[i])).unwrap_or_default();
    let header = (sep == Some(1)).then(|| &cells[0]);
    let body: Vec<&Vec<&str>> = cells
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != sep && !(header.is_some() && *i == 0))
        .map(|(_, r)| r)
        .collect();
    let n = cells.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let align: Vec<Align> = (0..n)
        .map(|c| {
            aligns.get(c).copied().flatten().unwrap_or_else(|| {
                let mut figures = body
                    .iter()
                    .filter_map(|r| r.get(c))
                    .filter(|x| !x.is_empty());
                let any = figures.clone().next().is_some();
                if any && figures.all(|x| numeric(x)) {
                    Align::Right
                } else {
                    Align::Left
                }
            })
        })
        .collect();
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let spans_of = |r: &Vec<&str>, base: Style| -> Vec<Vec<Span<'static>>> {
        (0..n)
            .map(|c| inline(r.get(c).copied().unwrap_or(""), base, theme, flagged))
            .collect()
    };
    let head = header.map(|h| spans_of(h, bold));
    let rows: Vec<Vec<Vec<Span<'static>>>> =
        body.iter().map(|r| spans_of(r, Style::new())).collect();
    let mut widths = vec![1usize; n];
    for r in head.iter().chain(rows.iter()) {
        for (c, s) in r.iter().enumerate() {
            widths[c] = widths[c].max(spans_width(s));
        }
    }
    let total = |w: &[usize]| w.iter().sum::<usize>() + GAP * (n - 1);
    while total(&widths) > width {
        let Some((c, _)) = widths
            .iter()
            .enumerate()
            .filter(|(_, w)| **w > 4)
            .max_by_key(|(_, w)| **w)
        else {
            break;
        };
        widths[c] -= 1;
    }
    if total(&widths) > width {
        // Too many columns for the pane: each row as one line of cells.
        for r in head.iter().chain(rows.iter()) {
            let mut spans = Vec::new();
            for (c, s) in r.iter().enumerate() {
                if c > 0 {
                    spans.push(Span::styled(" · ", theme.dim()));
                }
                spans.extend(s.iter().cloned());
            }
            wrap(&spans, width, &[], &[Span::raw("  ")], out);
        }
        return;
    }
    let row_line = |r: &Vec<Vec<Span<'static>>>| {
        let mut line = Vec::new();
        for (c, s) in r.iter().enumerate() {
            if c > 0 {
                line.push(Span::raw(" ".repeat(GAP)));
            }
            cell_line(s, widths[c], align[c], &mut line);
        }
        // No trailing spaces.
        while line.last().is_some_and(|s| s.content.trim().is_empty()) {
            line.pop();
        }
        Line::from(line)
    };
    if let Some(h) = &head {
        out.push(row_line(h));
        let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
        out.push(Line::styled(rule.join(&" ".repeat(GAP)), theme.dim()));
    }
    for r in &rows {
        out.push(row_line(r));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    fn render(text: &str, w: usize) -> Vec<String> {
        let mut out = Vec::new();
        Md::new(w, Theme { color: false }, &[]).finish(text, &mut out);
        plain(&out)
    }

    #[test]
    fn paragraphs_wrap_between_words_and_long_words_break() {
        assert_eq!(
            render("the quick brown fox jumps over the lazy dog", 16),
            ["the quick brown", "fox jumps over", "the lazy dog"]
        );
        assert_eq!(render("abcdefghijklmnop", 6), ["abcdef", "ghijkl", "mnop"]);
        assert_eq!(render("", 10), Vec::<String>::new());
    }

    #[test]
    fn bold_code_and_lists_are_marked_up() {
        let mut out = Vec::new();
        Md::new(40, Theme { color: false }, &[])
            .finish("**VTI** is `big`\n- one\n12. two words", &mut out);
        assert_eq!(plain(&out), ["VTI is big", "• one", "12. two words"]);
        assert!(out[0].spans[0].style.add_modifier.contains(Modifier::BOLD));
        assert_eq!(
            render("- a long item that wraps", 12),
            ["• a long", "  item that", "  wraps"]
        );
    }

    #[test]
    fn tables_become_aligned_columns() {
        let t = "| Symbol | Value |\n|---|---|\n| VTI | $1,234.50 |\n| BND | $12.00 |";
        assert_eq!(
            render(t, 40),
            [
                "Symbol      Value",
                "──────  ─────────",
                "VTI     $1,234.50",
                "BND        $12.00"
            ]
        );
        // Narrower than the table: the widest column is cut.
        let r = render("| a | bbbbbbbbbbbbbbbbbbbb |\n|---|---|\n| 1 | x |", 12);
        assert!(r.iter().all(|l| width(l) <= 12), "{r:?}");
    }

    #[test]
    fn code_blocks_keep_their_spaces() {
        assert_eq!(render("```\n  a  b\n```\nafter", 20), ["│   a  b", "after"]);
    }

    #[test]
    fn any_text_lays_out_without_panicking() {
        for text in [
            "🙂🙂🙂🙂🙂🙂",
            "日本語のテキストです",
            "**",
            "`",
            "*",
            "|",
            "| |",
            "|\n|---",
            "\n\n\n",
            "a\u{301}b",
            "\t\tx",
        ] {
            for w in [1, 2, 3, 5, 80] {
                let r = render(text, w);
                assert!(
                    r.iter().all(|l| width(l) <= w.max(4)),
                    "{text:?} at {w}: {r:?}"
                );
            }
        }
    }

    #[test]
    fn streaming_lays_out_only_what_is_new_and_matches_the_whole() {
        let text =
            "Hello **there**\n| a | b |\n|--|--|\n| 1 | 2 |\nnext line is long enough to wrap";
        let mut md = Md::new(14, Theme { color: false }, &[]);
        let mut settled = Vec::new();
        let mut shown = Vec::new();
        for end in 1..=text.len() {
            if !text.is_char_boundary(end) {
                continue;
            }
            md.feed(&text[..end], &mut settled);
            shown = settled.clone();
            md.rest(&text[..end], &mut shown);
        }
        assert_eq!(plain(&shown), render(text, 14));
    }

    #[test]
    fn flagged_figures_are_underlined_but_not_inside_longer_numbers() {
        let mut out = Vec::new();
        Md::new(60, Theme { color: false }, &["$12".to_string()])
            .finish("$12 and $1,120 and $120", &mut out);
        let flagged: Vec<&str> = out[0]
            .spans
            .iter()
            .filter(|s| s.style.add_modifier.contains(Modifier::UNDERLINED))
            .map(|s| s.content.as_ref())
            .collect();
        assert_eq!(flagged, ["$12"]);
    }
}
