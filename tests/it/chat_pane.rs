//! The cockpit's Chat pane: questions answered by the demo's offline assistant through the
//! real chat backend (run to the end as the test's jobs), the events of a remote model fed
//! through the app as the event loop would feed them, threads reopened with `t`, Esc
//! cancelling an answer, a drafted order opened in the ticket, and the job runner streaming a
//! question's events. Whole screens as insta snapshots at 80x24 and 120x40, no colour.

use std::sync::Arc;
use std::thread::JoinHandle;

use chrono::{DateTime, NaiveDate, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use folio::ai::Event;
use folio::app::{Access, Clock, Session};
use folio::config::Config;
use folio::tui::theme::Theme;
use folio::tui::{App, ChatTranscript, Done, Effect, Job, Msg, Setup, run_shared};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;
use tokio_util::sync::CancellationToken;

fn today() -> NaiveDate {
    "2026-12-07".parse().unwrap()
}

fn now() -> DateTime<Utc> {
    "2026-12-07T15:30:00Z".parse().unwrap()
}

/// A demo session of its own (the chat writes its threads into it).
fn session() -> Arc<Session> {
    Arc::new(
        Session::demo(
            Config::default(),
            Clock::Fixed(today()),
            None,
            Access::Write,
        )
        .unwrap(),
    )
}

fn setup() -> Setup {
    Setup {
        db_label: "demo (temporary database)".into(),
        db_flag: String::new(),
        demo: true,
        feed: None,
        broker: folio::domain::order::BrokerKind::Paper,
    }
}

/// The app with its jobs run to the end on threads of their own (a chat question with all
/// its events), each answer fed back as a message.
struct Cockpit {
    app: App,
    session: Arc<Session>,
}

impl Cockpit {
    fn new() -> Cockpit {
        let mut c = Cockpit {
            app: App::new(setup(), Theme { color: false }, now(), today()),
            session: session(),
        };
        c.settle();
        c
    }

    fn settle(&mut self) {
        loop {
            let running: Vec<JoinHandle<(u64, Done)>> = self
                .app
                .take_effects()
                .into_iter()
                .filter_map(|e| match e {
                    Effect::Job { generation, job } => {
                        let s = self.session.clone();
                        Some(std::thread::spawn(move || {
                            (generation, run_shared(&s, job, None))
                        }))
                    }
                    _ => None,
                })
                .collect();
            if running.is_empty() {
                return;
            }
            for h in running {
                let (generation, done) = h.join().unwrap();
                self.app.update(Msg::Done { generation, done });
            }
        }
    }

    fn press(&mut self, code: KeyCode) {
        self.app.key(KeyEvent::new(code, KeyModifiers::NONE));
    }

    fn typed(&mut self, s: &str) {
        for c in s.chars() {
            self.press(KeyCode::Char(c));
        }
    }

    /// Opens the Chat pane, types `question` and sends it.
    fn ask(&mut self, question: &str) {
        self.press(KeyCode::Char('7'));
        assert_eq!(self.app.current_pane(), "Chat");
        self.press(KeyCode::Char('i'));
        self.typed(question);
        self.press(KeyCode::Enter);
    }

    /// The chat question just asked, not run: (generation, ask, thread, cancel).
    fn pending_chat(&mut self) -> (u64, u64, Option<i64>, CancellationToken) {
        let mut found = None;
        for e in self.app.take_effects() {
            if let Effect::Job {
                generation,
                job:
                    Job::Chat {
                        ask,
                        thread,
                        cancel,
                        question,
                        ..
                    },
            } = e
            {
                assert!(!question.is_empty());
                found = Some((generation, ask, thread, cancel));
            }
        }
        found.expect("the pane asked a chat question")
    }

    fn feed(&mut self, generation: u64, ask: u64, events: Vec<Event>) {
        self.app.update(Msg::Done {
            generation,
            done: Done::Chat { ask, events },
        });
    }

    fn frame(&mut self, w: u16, h: u16) -> Terminal<TestBackend> {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| self.app.draw(f)).unwrap();
        t
    }

    /// The screen as text, the tools' timings (which vary from run to run) as `N ms`.
    fn screen(&mut self, w: u16, h: u16) -> String {
        let t = self.frame(w, h);
        let buf = t.backend().buffer();
        (0..h)
            .map(|y| {
                let row: String = (0..w).map(|x| buf[(x, y)].symbol()).collect();
                redact_ms(row.trim_end())
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// `(12 ms)` as `(N ms)`.
fn redact_ms(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = rest.find('(') {
        out.push_str(&rest[..=i]);
        rest = &rest[i + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && rest[digits..].starts_with(" ms)") {
            // As wide as it was, so that the line keeps its length.
            out.push_str("N ms)");
            out.push_str(&" ".repeat(digits - 1));
            rest = &rest[digits + 4..];
        }
    }
    out.push_str(rest);
    out
}

/// Every `2026-12-08` as `YYYY-MM-DD`.
fn redact_dates(screen: &str) -> String {
    let chars: Vec<char> = screen.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let date = chars.len() >= i + 10
            && chars[i..i + 10].iter().enumerate().all(|(k, c)| {
                if k == 4 || k == 7 {
                    *c == '-'
                } else {
                    c.is_ascii_digit()
                }
            });
        if date {
            out.push_str("YYYY-MM-DD");
            i += 10;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn connected_remote(thread: i64) -> Event {
    Event::Connected {
        provider: "anthropic".into(),
        model: "claude-x".into(),
        remote: true,
        privacy: "rounded".into(),
        thread,
    }
}

fn delta(text: &str) -> Event {
    Event::Message { delta: text.into() }
}

fn done(answer: &str, unverified: &[&str], stopped: Option<&str>) -> Event {
    Event::Done {
        thread: 7,
        answer: answer.into(),
        unverified: unverified.iter().map(|s| s.to_string()).collect(),
        rounds: 2,
        stopped: stopped.map(str::to_string),
        provider: "anthropic".into(),
        disclaimer: Some("Tax figures are estimates, not tax advice.".into()),
        drafts: vec![],
    }
}

#[test]
fn the_offline_assistant_answers_in_the_pane_with_its_tool_lines_and_a_table() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut c = Cockpit::new();
        c.ask("what do I hold?");
        c.settle();
        let screen = c.screen(w, h);
        assert!(
            screen.contains("offline assistant · on this machine"),
            "{screen}"
        );
        assert!(
            !screen.contains("answering"),
            "the answer is complete:\n{screen}"
        );
        insta::assert_snapshot!(format!("chat_answer_{w}x{h}"), screen);
        // From the top: the question, the tool's line, the table's columns.
        c.press(KeyCode::Esc);
        c.press(KeyCode::Char('g'));
        let top = c.screen(w, h);
        assert!(top.contains("› what do I hold?"), "{top}");
        assert!(top.contains("→ holdings"), "{top}");
        assert!(top.contains("✓ 14 holdings"), "{top}");
        let header = top
            .lines()
            .find(|l| l.contains("Account") && l.contains("Symbol"))
            .expect("the table's header");
        assert!(
            !header.contains('|'),
            "drawn as columns, not pipes: {header}"
        );
        insta::assert_snapshot!(format!("chat_answer_top_{w}x{h}"), top);
        // `x` shows what the tool returned, as JSON.
        c.press(KeyCode::Char('x'));
        c.press(KeyCode::Char('g'));
        let expanded = c.screen(w, h);
        assert!(expanded.contains("\"as_of\": \"2026-12-07\""), "{expanded}");
    }
}

#[test]
fn a_remote_model_is_named_as_seeing_the_figures_and_its_answer_streams() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut c = Cockpit::new();
        c.ask("how am I doing this year?");
        let (generation, ask, thread, _cancel) = c.pending_chat();
        assert_eq!(thread, None, "a new thread");
        c.feed(generation, ask, vec![connected_remote(7)]);
        c.feed(
            generation,
            ask,
            vec![Event::ToolCall {
                id: "t1".into(),
                name: "performance".into(),
                arguments: json!({"period": "ytd"}),
            }],
        );
        c.feed(
            generation,
            ask,
            vec![Event::ToolResult {
                id: "t1".into(),
                name: "performance".into(),
                ok: true,
                summary: "ytd +4.2%".into(),
                result: json!({"twr_pct": "4.2"}),
                ms: 12,
            }],
        );
        c.feed(
            generation,
            ask,
            vec![
                delta("You are **up 4.2%** this year"),
                delta(", and the IRA grew most:\n\n| Account | Value |\n|---|---:|\n"),
                delta("| IRA | $120,000 |\n| Tax"),
            ],
        );
        let streaming = c.screen(w, h);
        assert!(
            streaming.contains("⇅ anthropic (claude-x) sees your figures · privacy rounded"),
            "{streaming}"
        );
        assert!(
            streaming.contains("answering… 0s · Esc cancels"),
            "{streaming}"
        );
        assert!(
            streaming.lines().any(|l| l.starts_with("│Tax ")),
            "the row being written shows as it comes:\n{streaming}"
        );
        insta::assert_snapshot!(format!("chat_remote_streaming_{w}x{h}"), streaming);
        let answer = "You are **up 4.2%** this year, and the IRA grew most:\n\n| Account | Value |\n|---|---:|\n| IRA | $120,000 |\n| Taxable | $205,672 |\n\n1. Bonds lagged.\n2. Cash is `$1,234` idle.";
        c.feed(
            generation,
            ask,
            vec![
                delta("able | $205,672 |\n\n1. Bonds lagged.\n2. Cash is `$1,234` idle."),
                done(answer, &["$205,672"], None),
            ],
        );
        let screen = c.screen(w, h);
        assert!(screen.contains("⚠ unverified: $205,672"), "{screen}");
        assert!(
            screen.contains("Account     Value"),
            "a right-aligned column:\n{screen}"
        );
        assert!(!screen.contains("answering"), "{screen}");
        assert!(screen.contains("thread #7"), "{screen}");
        insta::assert_snapshot!(format!("chat_remote_{w}x{h}"), screen);
        // The figure is underlined in the answer.
        let t = c.frame(w, h);
        let buf = t.backend().buffer();
        let underlined = (0..h).any(|y| {
            (0..w).any(|x| {
                buf[(x, y)].symbol() == "$"
                    && buf[(x, y)]
                        .modifier
                        .contains(ratatui::style::Modifier::UNDERLINED)
            })
        });
        assert!(underlined, "the unverified figure is underlined");
        // The smallest window the cockpit draws in, and odd sizes: nothing panics.
        for (w, h) in [(50, 14), (51, 15), (79, 23), (200, 60)] {
            c.frame(w, h);
        }
        // The next question continues the thread.
        c.typed("and last year?");
        c.press(KeyCode::Enter);
        let (_, _, thread, _) = c.pending_chat();
        assert_eq!(thread, Some(7));
    }
}

#[test]
fn t_lists_the_threads_and_reopens_one_that_further_questions_continue() {
    let mut c = Cockpit::new();
    c.ask("what do I hold?");
    c.settle();
    c.typed("how much cash do I have?");
    c.press(KeyCode::Enter);
    c.settle();
    // A new thread, then the list.
    c.press(KeyCode::Esc);
    c.press(KeyCode::Char('n'));
    assert!(c.screen(80, 24).contains("new thread"));
    c.press(KeyCode::Char('t'));
    c.settle();
    let list = c.screen(80, 24);
    assert!(list.contains("#1"), "{list}");
    assert!(list.contains("what do I hold?"), "{list}");
    assert!(list.contains("2 questions"), "{list}");
    // When a thread was last used is the wall clock's day.
    insta::assert_snapshot!("chat_threads_80x24", redact_dates(&list));
    c.press(KeyCode::Enter);
    c.settle();
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = c.screen(w, h);
        assert!(screen.contains("thread #1: what do I hold?"), "{screen}");
        assert!(screen.contains("(thread #1 as stored"), "{screen}");
        insta::assert_snapshot!(format!("chat_thread_reopened_{w}x{h}"), screen);
    }
    c.press(KeyCode::Char('g'));
    let top = c.screen(120, 40);
    assert!(top.contains("› what do I hold?"), "{top}");
    assert!(
        top.contains("→ holdings"),
        "the stored tool calls are shown:\n{top}"
    );
    // A question continues it.
    c.press(KeyCode::Char('i'));
    c.typed("what are my gains?");
    c.press(KeyCode::Enter);
    c.settle();
    let threads = folio::app::chat::threads(&c.session).unwrap().threads;
    assert_eq!(threads.len(), 1, "{threads:?}");
    assert_eq!(threads[0].questions, 3);
}

#[test]
fn esc_cancels_a_running_answer_and_the_pane_says_so() {
    let mut c = Cockpit::new();
    c.ask("what do I hold?");
    let (generation, ask, _, cancel) = c.pending_chat();
    // A stream that never ends by itself: a few words, then nothing.
    c.feed(
        generation,
        ask,
        vec![connected_remote(3), delta("Let me count your ")],
    );
    assert!(c.app.busy());
    assert!(c.screen(80, 24).contains("Esc cancels"));
    c.press(KeyCode::Esc);
    assert!(cancel.is_cancelled(), "Esc cancels the question");
    let screen = c.screen(80, 24);
    assert!(screen.contains("(cancelled)"), "{screen}");
    assert!(screen.contains("stopping…"), "{screen}");
    // What the backend still sends of it is not shown; its end frees the pane.
    c.feed(generation, ask, vec![delta("holdings")]);
    assert!(!c.screen(80, 24).contains("holdings"));
    c.feed(
        generation,
        ask,
        vec![done("Let me count your", &[], Some("cancelled"))],
    );
    assert!(!c.app.busy());
    let screen = c.screen(80, 24);
    assert_eq!(screen.matches("(cancelled)").count(), 1, "{screen}");
    assert!(!screen.contains("stopping"), "{screen}");
    assert!(
        screen.contains("thread #7"),
        "the thread is kept:\n{screen}"
    );
    // Esc again leaves the input; q then quits.
    c.press(KeyCode::Esc);
    c.press(KeyCode::Char('q'));
    assert!(c.app.quit);
}

#[test]
fn keys_typed_into_the_question_are_not_commands() {
    let mut c = Cockpit::new();
    c.press(KeyCode::Char('7'));
    assert!(!c.screen(80, 24).contains("offline assistant"));
    c.press(KeyCode::Char('i'));
    c.settle();
    assert!(
        c.screen(80, 24)
            .contains("offline assistant · on this machine"),
        "who answers is said before anything is asked"
    );
    c.typed("q1 ? a R t");
    assert!(!c.app.quit);
    assert_eq!(c.app.current_pane(), "Chat");
    assert!(c.screen(80, 24).contains("q1 ? a R t"));
    c.press(KeyCode::Esc);
    c.press(KeyCode::Char('1'));
    assert_eq!(
        c.app.current_pane(),
        "Dashboard",
        "outside the input, numbers switch panes"
    );
    c.press(KeyCode::Char('7'));
    c.press(KeyCode::Char('?'));
    let help = c.screen(120, 40);
    assert!(help.contains("stored threads"), "{help}");
    assert!(
        help.contains("open the drafted order in the ticket"),
        "{help}"
    );
}

#[test]
fn o_opens_the_drafted_order_in_the_ticket_to_be_confirmed_there() {
    let mut c = Cockpit::new();
    let params: folio::app::tools::DraftParams = serde_json::from_value(json!({
        "side": "sell", "symbol": "VTI", "quantity": "10", "account": "Taxable",
        "limit": "390", "lots": "hifo"
    }))
    .unwrap();
    let draft =
        serde_json::to_value(folio::app::tools::draft_order(&c.session, &params).unwrap()).unwrap();
    c.press(KeyCode::Char('7'));
    c.press(KeyCode::Char('o'));
    assert!(
        c.screen(80, 24).contains("drafted no order"),
        "no draft yet"
    );
    c.ask("draft a sale of 10 VTI at 390");
    let (generation, ask, _, _) = c.pending_chat();
    let mut end = done("Here is the draft: sell 10 VTI at $390.", &[], None);
    if let Event::Done { drafts, .. } = &mut end {
        drafts.push(draft);
    }
    c.feed(
        generation,
        ask,
        vec![
            Event::Connected {
                provider: "ollama".into(),
                model: "qwen3:8b".into(),
                remote: false,
                privacy: "full".into(),
                thread: 7,
            },
            end,
        ],
    );
    let screen = c.screen(120, 40);
    assert!(
        screen.contains("ollama (qwen3:8b) · on this machine"),
        "{screen}"
    );
    assert!(
        screen.contains("✎ drafted order: sell 10 VTI, limit 390 (Taxable)"),
        "{screen}"
    );
    insta::assert_snapshot!("chat_draft_120x40", screen);
    // Out of the input, `o` opens it.
    c.press(KeyCode::Esc);
    c.press(KeyCode::Char('o'));
    c.settle();
    let ticket = c.screen(120, 40);
    assert!(ticket.contains("Paper order"), "{ticket}");
    assert!(ticket.contains("SELL"), "{ticket}");
    assert!(ticket.contains("VTI"), "{ticket}");
    assert!(ticket.contains(" 390 "), "{ticket}");
    assert!(ticket.contains("hifo"), "{ticket}");
    assert!(ticket.contains("Taxable"), "{ticket}");
    // Nothing was sent: the journal is empty.
    let orders = folio::app::orders::orders(&c.session, &Default::default()).unwrap();
    assert!(orders.orders.is_empty());
}

#[test]
fn the_runner_streams_a_questions_events_and_a_cancelled_one_ends_too() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let s = session();
    rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::channel(64);
        let runner = folio::tui::jobs::Runner::new(s.clone(), tx);
        let ask = |ask: u64, cancel: CancellationToken| Job::Chat {
            ask,
            question: "what do I hold?".into(),
            thread: None,
            choice: Default::default(),
            cancel,
        };
        runner.start(41, ask(1, CancellationToken::new()));
        let mut events = Vec::new();
        while !matches!(
            events.last(),
            Some(Event::Done { .. } | Event::Error { .. })
        ) {
            let msg = tokio::time::timeout(std::time::Duration::from_secs(60), rx.recv())
                .await
                .expect("the answer comes")
                .unwrap();
            let Msg::Done {
                generation,
                done: Done::Chat { ask, events: batch },
            } = msg
            else {
                panic!("a chat message")
            };
            assert_eq!((generation, ask), (41, 1));
            assert!(!batch.is_empty());
            events.extend(batch);
        }
        assert!(
            matches!(events[0], Event::Connected { remote: false, .. }),
            "{:?}",
            events[0]
        );
        assert!(events.iter().any(|e| matches!(e, Event::ToolResult { .. })));
        assert!(matches!(
            events.last(),
            Some(Event::Done { stopped: None, .. })
        ));
        // Cancelled before it starts: it still ends, with `cancelled`.
        let cancel = CancellationToken::new();
        cancel.cancel();
        runner.start(42, ask(2, cancel));
        let mut last = None;
        while !matches!(last, Some(Event::Done { .. } | Event::Error { .. })) {
            let msg = tokio::time::timeout(std::time::Duration::from_secs(60), rx.recv())
                .await
                .expect("the end comes")
                .unwrap();
            if let Msg::Done {
                done: Done::Chat { events, .. },
                ..
            } = msg
            {
                last = events.last().cloned();
            }
        }
        match last {
            Some(Event::Done { stopped, .. }) => assert_eq!(stopped.as_deref(), Some("cancelled")),
            other => panic!("{other:?}"),
        }
    });
}

#[test]
fn a_long_thread_lays_out_once_and_draws_from_its_cache() {
    let mut t = ChatTranscript::new();
    for k in 0..200 {
        t.question(&format!("question {k} with 🙂 and 日本語"));
        t.event(&delta(&format!(
            "Answer {k}: **bold**, `code`, and a table:\n\n| a | b |\n|---|--:|\n| x | {k} |\n\n- one\n- two\n\n```\nlet x = {k};\n```\n"
        )));
    }
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    folio::tui::draw_chat_transcript(&mut term, &mut t, Theme { color: false }).unwrap();
    let lines = t.lines(78, Theme { color: false }).len();
    assert!(lines > 2000, "{lines} lines");
    let start = std::time::Instant::now();
    for _ in 0..50 {
        folio::tui::draw_chat_transcript(&mut term, &mut t, Theme { color: false }).unwrap();
    }
    // Generous even for a debug build: a frame draws the visible lines only.
    assert!(start.elapsed().as_millis() < 2000, "{:?}", start.elapsed());
    // Narrow and wide, every width from 80 columns on: nothing panics.
    for w in [50u16, 80, 81, 120, 200] {
        let mut term = Terminal::new(TestBackend::new(w, 30)).unwrap();
        folio::tui::draw_chat_transcript(&mut term, &mut t, Theme { color: true }).unwrap();
    }
}
