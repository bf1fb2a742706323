//! The conversation as the Chat pane shows it: questions, one line per tool call (its
//! result's JSON under it when expanded), answers laid out from their markdown, and the notes
//! around them (unverified figures, the disclaimer, drafted orders, notices, errors).
//!
//! Laid out lines are kept per width: a frame lays out only what changed since the last one.
//! While an answer streams, only its new complete lines are laid out, and what is still open
//! (its last line, a table being written) again; a 2,000-line thread costs a frame only the
//! lines it shows.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use serde_json::Value;

use super::markdown::{Md, width, wrap};
use crate::ai::Event;
use crate::app::chat::ThreadReport;
use crate::tui::theme::Theme;

/// Lines of a tool's result shown when expanded.
const JSON_LINES: usize = 30;
/// A tool's arguments on its line, at most (characters).
const ARGS_CHARS: usize = 160;

#[derive(Debug, Clone)]
enum Entry {
    Question(String),
    Tool(Tool),
    Answer(Answer),
    Note(Note),
}

#[derive(Debug, Clone)]
struct Tool {
    id: String,
    name: String,
    /// The arguments, compact (empty for none).
    args: String,
    result: Option<ToolDone>,
}

#[derive(Debug, Clone)]
struct ToolDone {
    ok: bool,
    summary: String,
    /// The result as pretty JSON, its first lines, and how many more there are.
    json: Vec<String>,
    more: usize,
    /// None for a reopened thread.
    ms: Option<u64>,
}

#[derive(Debug, Clone)]
struct Answer {
    text: String,
    /// Figures found in no tool result (known when the answer is complete).
    flagged: Vec<String>,
    /// Still streaming.
    open: bool,
}

#[derive(Debug, Clone)]
enum Note {
    Notice(String),
    Error {
        message: String,
        fix: String,
    },
    /// Why an answer stopped early (`cancelled`).
    Stopped(String),
    Flagged(Vec<String>),
    Disclaimer(String),
    /// Drafted orders, described.
    Drafts(Vec<String>),
    Info(String),
}

/// Lines laid out at one width.
#[derive(Debug, Default)]
struct Cache {
    width: usize,
    theme: Option<Theme>,
    expanded: bool,
    lines: Vec<Line<'static>>,
    /// The first line of each entry laid out (the open answer's too).
    starts: Vec<usize>,
    /// The streaming answer (the last entry laid out): where it is in its text.
    open: Option<Open>,
}

#[derive(Debug)]
struct Open {
    md: Md,
    /// Lines of the answer that no longer change end here.
    settled: usize,
}

/// A conversation: what was asked and answered, in order.
#[derive(Debug, Default)]
pub struct Transcript {
    entries: Vec<Entry>,
    expanded: bool,
    cache: Cache,
    /// Entries from this one on must be laid out again.
    changed: usize,
}

impl Transcript {
    pub fn new() -> Transcript {
        Transcript::default()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether tools' results are shown under their lines.
    pub fn expanded(&self) -> bool {
        self.expanded
    }

    pub fn set_expanded(&mut self, on: bool) {
        self.expanded = on;
    }

    fn changed(&mut self, i: usize) {
        self.changed = self.changed.min(i);
    }

    /// Adds an entry; an answer still open before it is complete.
    fn push(&mut self, e: Entry) {
        self.close();
        self.entries.push(e);
    }

    /// The streaming answer, if any, is complete.
    fn close(&mut self) {
        let n = self.entries.len();
        if let Some(Entry::Answer(a)) = self.entries.last_mut()
            && a.open
        {
            a.open = false;
            self.changed(n - 1);
        }
    }

    /// A question asked.
    pub fn question(&mut self, q: &str) {
        self.push(Entry::Question(q.to_string()));
    }

    /// A line of information (dim).
    pub fn info(&mut self, text: &str) {
        self.push(Entry::Note(Note::Info(text.to_string())));
    }

    /// The answer stopped early (`cancelled`).
    pub fn stopped(&mut self, why: &str) {
        self.push(Entry::Note(Note::Stopped(why.to_string())));
    }

    /// An event of the answer being written (`connected` is the pane's).
    pub fn event(&mut self, e: &Event) {
        match e {
            Event::Connected { .. } => {}
            Event::Notice { text } => self.push(Entry::Note(Note::Notice(text.clone()))),
            Event::Message { delta } => self.delta(delta),
            Event::ToolCall {
                id,
                name,
                arguments,
            } => self.push(Entry::Tool(Tool {
                id: id.clone(),
                name: name.clone(),
                args: compact(arguments),
                result: None,
            })),
            Event::ToolResult {
                id,
                name,
                ok,
                summary,
                result,
                ms,
            } => {
                let done = tool_done(*ok, summary.clone(), result, Some(*ms));
                self.tool_result(id, name, done);
            }
            Event::Done {
                answer,
                unverified,
                stopped,
                disclaimer,
                drafts,
                ..
            } => self.done(
                answer,
                unverified,
                stopped.as_deref(),
                disclaimer.as_deref(),
                drafts,
            ),
            Event::Error { message, fix } => self.push(Entry::Note(Note::Error {
                message: message.clone(),
                fix: fix.clone(),
            })),
        }
    }

    fn delta(&mut self, delta: &str) {
        if delta.is_empty() {
            return;
        }
        match self.entries.last_mut() {
            Some(Entry::Answer(a)) if a.open => a.text.push_str(delta),
            _ => self.push(Entry::Answer(Answer {
                text: delta.to_string(),
                flagged: Vec::new(),
                open: true,
            })),
        }
    }

    fn tool_result(&mut self, id: &str, name: &str, done: ToolDone) {
        self.close();
        let found = self
            .entries
            .iter()
            .rposition(|e| matches!(e, Entry::Tool(t) if t.id == id && t.result.is_none()));
        match found {
            Some(i) => {
                if let Entry::Tool(t) = &mut self.entries[i] {
                    t.result = Some(done);
                }
                self.changed(i);
            }
            None => self.push(Entry::Tool(Tool {
                id: id.to_string(),
                name: name.to_string(),
                args: String::new(),
                result: Some(done),
            })),
        }
    }

    fn done(
        &mut self,
        answer: &str,
        unverified: &[String],
        stopped: Option<&str>,
        disclaimer: Option<&str>,
        drafts: &[Value],
    ) {
        self.close();
        // The answer is the text after the turn's last tool call.
        let turn = self
            .entries
            .iter()
            .rposition(|e| matches!(e, Entry::Question(_)))
            .unwrap_or(0);
        let tools = self.entries[turn..]
            .iter()
            .rposition(|e| matches!(e, Entry::Tool(_)))
            .map_or(turn, |i| turn + i);
        let last = self.entries[tools..]
            .iter()
            .rposition(|e| matches!(e, Entry::Answer(_)))
            .map(|i| tools + i);
        match last {
            Some(i) => {
                if let Entry::Answer(a) = &mut self.entries[i] {
                    // The checked text (cleaned and trimmed) is the one kept.
                    if !answer.is_empty() {
                        a.text = answer.to_string();
                    }
                    a.flagged = unverified.to_vec();
                }
                self.changed(i);
            }
            None if !answer.is_empty() => self.push(Entry::Answer(Answer {
                text: answer.to_string(),
                flagged: unverified.to_vec(),
                open: false,
            })),
            None if stopped.is_none() => self.info("(no answer)"),
            None => {}
        }
        if let Some(why) = stopped {
            self.stopped(why);
        }
        if !unverified.is_empty() {
            self.push(Entry::Note(Note::Flagged(unverified.to_vec())));
        }
        if let Some(d) = disclaimer.filter(|d| !d.trim().is_empty()) {
            self.push(Entry::Note(Note::Disclaimer(d.to_string())));
        }
        if !drafts.is_empty() {
            let described = drafts
                .iter()
                .map(|d| {
                    super::prefill(d)
                        .map(|p| super::describe(&p))
                        .or_else(|| d.get("command").and_then(Value::as_str).map(str::to_string))
                        .unwrap_or_else(|| "an order".into())
                })
                .collect();
            self.push(Entry::Note(Note::Drafts(described)));
        }
    }

    /// A stored thread, as it was asked and answered.
    pub fn from_thread(report: &ThreadReport) -> Transcript {
        let mut t = Transcript::new();
        for m in &report.messages {
            match m.role.as_str() {
                "user" => t.question(&m.content),
                "assistant" => {
                    if !m.content.trim().is_empty() {
                        t.push(Entry::Answer(Answer {
                            text: m.content.clone(),
                            flagged: m.unverified.clone(),
                            open: false,
                        }));
                        if !m.unverified.is_empty() {
                            t.push(Entry::Note(Note::Flagged(m.unverified.clone())));
                        }
                    }
                    for c in &m.tool_calls {
                        let args = serde_json::from_str::<Value>(&c.arguments)
                            .unwrap_or_else(|_| Value::String(c.arguments.clone()));
                        t.push(Entry::Tool(Tool {
                            id: c.id.clone(),
                            name: c.name.clone(),
                            args: compact(&args),
                            result: None,
                        }));
                    }
                }
                "tool" => {
                    let name = m.tool_name.clone().unwrap_or_default();
                    let value = serde_json::from_str::<Value>(&m.content)
                        .unwrap_or_else(|_| Value::String(m.content.clone()));
                    let result = if m.is_error {
                        Err(value
                            .get("error")
                            .and_then(Value::as_str)
                            .unwrap_or(&m.content)
                            .to_string())
                    } else {
                        Ok(value.clone())
                    };
                    let summary = crate::ai::offline::summary(&name, &result);
                    let done = tool_done(!m.is_error, summary, &value, None);
                    // The first call of that tool still waiting for its result.
                    let waiting = t.entries.iter().position(
                        |e| matches!(e, Entry::Tool(x) if x.result.is_none() && x.name == name),
                    );
                    let id = waiting
                        .and_then(|i| match &t.entries[i] {
                            Entry::Tool(x) => Some(x.id.clone()),
                            _ => None,
                        })
                        .unwrap_or_default();
                    t.tool_result(&id, &name, done);
                }
                _ => {}
            }
        }
        t.close();
        t
    }

    /// The conversation laid out at `width` columns (only what changed is laid out again).
    pub fn lines(&mut self, width: u16, theme: Theme) -> &[Line<'static>] {
        let w = usize::from(width).max(8);
        let c = &mut self.cache;
        if c.width != w || c.theme != Some(theme) || c.expanded != self.expanded {
            *c = Cache {
                width: w,
                theme: Some(theme),
                expanded: self.expanded,
                ..Cache::default()
            };
        }
        let from = self.changed.min(c.starts.len());
        self.changed = usize::MAX;
        if from < c.starts.len() {
            c.lines.truncate(c.starts[from]);
            c.starts.truncate(from);
            c.open = None;
        }
        let n = self.entries.len();
        if let Some(open) = &mut c.open {
            let i = c.starts.len() - 1;
            match &self.entries[i] {
                Entry::Answer(a) if a.open && i + 1 == n => {
                    // Only the new complete lines, then what is still open.
                    c.lines.truncate(open.settled);
                    open.md.feed(&a.text, &mut c.lines);
                    open.settled = c.lines.len();
                    open.md.rest(&a.text, &mut c.lines);
                    return &c.lines;
                }
                _ => {
                    c.lines.truncate(c.starts[i]);
                    c.starts.pop();
                    c.open = None;
                }
            }
        }
        for i in c.starts.len()..n {
            c.starts.push(c.lines.len());
            match &self.entries[i] {
                Entry::Answer(a) if a.open && i + 1 == n => {
                    let mut md = Md::new(w, theme, &a.flagged);
                    md.feed(&a.text, &mut c.lines);
                    let settled = c.lines.len();
                    md.rest(&a.text, &mut c.lines);
                    c.open = Some(Open { md, settled });
                }
                e => lay_out(e, i, w, theme, self.expanded, &mut c.lines),
            }
        }
        &c.lines
    }

    /// Draws the lines from `top` (None: the last screenful) into `area`; returns the number
    /// of lines and the first shown.
    pub fn draw(
        &mut self,
        f: &mut Frame,
        area: Rect,
        top: Option<usize>,
        theme: Theme,
    ) -> (usize, usize) {
        let lines = self.lines(area.width, theme);
        let height = usize::from(area.height);
        let last = lines.len().saturating_sub(height);
        let top = top.map_or(last, |t| t.min(last));
        let buf = f.buffer_mut();
        for (row, line) in lines[top..].iter().take(height).enumerate() {
            buf.set_line(area.x, area.y + row as u16, line, area.width);
        }
        (lines.len(), top)
    }
}

fn compact(v: &Value) -> String {
    let s = match v {
        Value::Object(m) if m.is_empty() => return String::new(),
        Value::Null => return String::new(),
        Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    if s.chars().count() > ARGS_CHARS {
        format!("{}…", s.chars().take(ARGS_CHARS - 1).collect::<String>())
    } else {
        s
    }
}

fn tool_done(ok: bool, summary: String, result: &Value, ms: Option<u64>) -> ToolDone {
    let pretty = serde_json::to_string_pretty(result).unwrap_or_default();
    let total = pretty.lines().count();
    ToolDone {
        ok,
        summary,
        json: pretty
            .lines()
            .take(JSON_LINES)
            .map(str::to_string)
            .collect(),
        more: total.saturating_sub(JSON_LINES),
        ms,
    }
}

/// `text` cut to `w` columns, with an ellipsis where cut.
fn cut(text: &str, w: usize) -> String {
    if width(text) <= w {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let mut b = [0u8; 4];
        let cw = width(c.encode_utf8(&mut b));
        if used + cw + 1 > w {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push('…');
    out
}

fn lay_out(e: &Entry, i: usize, w: usize, t: Theme, expanded: bool, out: &mut Vec<Line<'static>>) {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    match e {
        Entry::Question(q) => {
            if i > 0 {
                out.push(Line::default());
            }
            let text: Vec<Span<'static>> = q
                .lines()
                .enumerate()
                .map(|(k, l)| {
                    Span::styled(
                        if k == 0 {
                            l.to_string()
                        } else {
                            format!(" {l}")
                        },
                        bold,
                    )
                })
                .collect();
            wrap(
                &text,
                w,
                &[Span::styled("› ", t.accent())],
                &[Span::raw("  ")],
                out,
            );
        }
        Entry::Tool(x) => {
            let mut spans = vec![Span::styled(x.name.clone(), t.accent())];
            if !x.args.is_empty() {
                spans.push(Span::styled(format!(" {}", x.args), t.dim()));
            }
            match &x.result {
                None => spans.push(Span::styled("  …", t.dim())),
                Some(r) => {
                    let (mark, style) = if r.ok {
                        ("  ✓ ", t.gain())
                    } else {
                        ("  ✗ ", t.error())
                    };
                    spans.push(Span::styled(mark, style));
                    let summary = if r.summary.is_empty() {
                        if r.ok { "done" } else { "failed" }
                    } else {
                        r.summary.as_str()
                    };
                    spans.push(Span::raw(summary.to_string()));
                    if let Some(ms) = r.ms {
                        spans.push(Span::styled(format!(" ({ms} ms)"), t.dim()));
                    }
                }
            }
            wrap(
                &spans,
                w,
                &[Span::styled("→ ", t.dim())],
                &[Span::raw("    ")],
                out,
            );
            if let (true, Some(r)) = (expanded, &x.result) {
                for l in &r.json {
                    let l = l.replace('\t', "    ");
                    out.push(Line::styled(
                        format!("    {}", cut(&l, w.saturating_sub(4))),
                        t.dim(),
                    ));
                }
                if r.more > 0 {
                    out.push(Line::styled(
                        format!("    … {} more lines", r.more),
                        t.dim(),
                    ));
                }
            }
        }
        Entry::Answer(a) => Md::new(w, t, &a.flagged).finish(&a.text, out),
        Entry::Note(n) => match n {
            Note::Notice(text) => wrap(
                &[Span::styled(text.clone(), t.warn())],
                w,
                &[Span::styled("· ", t.warn())],
                &[Span::raw("  ")],
                out,
            ),
            Note::Error { message, fix } => {
                wrap(
                    &[Span::styled(message.clone(), t.error())],
                    w,
                    &[Span::styled("✗ ", t.error())],
                    &[Span::raw("  ")],
                    out,
                );
                if !fix.trim().is_empty() {
                    wrap(
                        &[Span::raw(fix.clone())],
                        w,
                        &[Span::styled("  fix: ", t.accent())],
                        &[Span::raw("       ")],
                        out,
                    );
                }
            }
            Note::Stopped(why) => {
                let text = if why == "cancelled" {
                    "(cancelled)".to_string()
                } else {
                    format!("(stopped: {why})")
                };
                wrap(&[Span::styled(text, t.dim())], w, &[], &[], out);
            }
            Note::Flagged(figures) => wrap(
                &[
                    Span::styled(figures.join(", "), super::markdown::flagged_style(t)),
                    Span::styled(" (found in no tool result: check them)", t.warn()),
                ],
                w,
                &[Span::styled("⚠ unverified: ", t.warn())],
                &[Span::raw("  ")],
                out,
            ),
            Note::Disclaimer(text) => {
                wrap(&[Span::styled(text.clone(), t.dim())], w, &[], &[], out)
            }
            Note::Drafts(orders) => {
                let n = orders.len();
                for (k, d) in orders.iter().enumerate() {
                    let hint = if k == 0 {
                        " · o opens it in the ticket (nothing is sent)"
                    } else {
                        ""
                    };
                    let label = if n == 1 {
                        "✎ drafted order: ".to_string()
                    } else {
                        format!("✎ draft {}: ", k + 1)
                    };
                    wrap(
                        &[
                            Span::styled(d.clone(), t.accent()),
                            Span::styled(hint, t.dim()),
                        ],
                        w,
                        &[Span::styled(label, t.accent())],
                        &[Span::raw("  ")],
                        out,
                    );
                }
            }
            Note::Info(text) => wrap(&[Span::styled(text.clone(), t.dim())], w, &[], &[], out),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plain(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    const T: Theme = Theme { color: false };

    #[test]
    fn streamed_deltas_lay_out_like_the_whole_answer() {
        let answer = "You hold **3** funds:\n\n| Symbol | Value |\n|---|---:|\n| VTI | $1,000 |\n| BND | $20 |\n\nThat is all.";
        let mut streamed = Transcript::new();
        streamed.question("what do I hold?");
        let mut at = 0;
        for piece in answer.split_inclusive([' ', '\n']) {
            streamed.event(&Event::Message {
                delta: piece.to_string(),
            });
            at += 1;
            if at % 3 == 0 {
                streamed.lines(50, T);
            }
        }
        let mut whole = Transcript::new();
        whole.question("what do I hold?");
        whole.event(&Event::Message {
            delta: answer.to_string(),
        });
        assert_eq!(plain(streamed.lines(50, T)), plain(whole.lines(50, T)));
        // Narrower: laid out again.
        assert_eq!(plain(streamed.lines(30, T)), plain(whole.lines(30, T)));
    }

    #[test]
    fn tool_lines_show_their_result_and_expand() {
        let mut t = Transcript::new();
        t.question("q");
        t.event(&Event::ToolCall {
            id: "1".into(),
            name: "holdings".into(),
            arguments: json!({"account": "IRA"}),
        });
        assert_eq!(
            plain(t.lines(80, T))[1],
            "→ holdings {\"account\":\"IRA\"}  …"
        );
        t.event(&Event::ToolResult {
            id: "1".into(),
            name: "holdings".into(),
            ok: true,
            summary: "12 holdings".into(),
            result: json!({"rows": [1, 2]}),
            ms: 3,
        });
        assert_eq!(
            plain(t.lines(80, T))[1],
            "→ holdings {\"account\":\"IRA\"}  ✓ 12 holdings (3 ms)"
        );
        t.set_expanded(true);
        let lines = plain(t.lines(80, T));
        assert_eq!(lines[2], "    {");
        assert!(lines.len() > 5);
    }

    #[test]
    fn done_marks_unverified_figures_and_adds_the_notes() {
        let mut t = Transcript::new();
        t.question("q");
        t.event(&Event::Message {
            delta: "Cash is $99.".into(),
        });
        t.event(&Event::Done {
            thread: 1,
            answer: "Cash is $99.".into(),
            unverified: vec!["$99".into()],
            rounds: 1,
            stopped: None,
            provider: "offline".into(),
            disclaimer: Some("Estimates, not advice.".into()),
            drafts: vec![],
        });
        assert_eq!(
            plain(t.lines(80, T)),
            [
                "› q",
                "Cash is $99.",
                "⚠ unverified: $99 (found in no tool result: check them)",
                "Estimates, not advice."
            ]
        );
        let l = &t.lines(80, T)[1];
        assert!(
            l.spans
                .iter()
                .any(|s| s.content == "$99" && s.style.add_modifier.contains(Modifier::UNDERLINED))
        );
    }
}
