//! What folio adds to a model's time (figures in BENCHMARKS.md), on the demo with a scripted
//! provider on 127.0.0.1 (the tests' fake, real HTTP and SSE):
//! - tool turnaround: from the last frame of a round that asks for a tool (written by the
//!   server) to the next request carrying the tool's result (read by the server): the stream's
//!   end parsed, the tool run on the demo, its result enveloped and sent back;
//! - first token: from the server writing a text frame to the `message` event reaching the
//!   consumer (the pane or the command line) of the chat's channel;
//! - the Chat pane: a token added to a 2,000-line thread and the frame drawn with it, and a
//!   frame of that thread scrolled (ratatui's TestBackend at 80x24 and 120x40).
//!
//! Run with `cargo bench --bench chat`.

#[path = "../tests/it/fake_llm.rs"]
#[allow(dead_code)]
mod fake_llm;

use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_llm::{Answer, FakeLlm, oai};
use folio::ai::Event;
use folio::ai::provider::Choice;
use folio::app::{Access, Clock, Session};
use serde_json::json;
use tokio_util::sync::CancellationToken;

const RUNS: usize = 30;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
    let session = Arc::new(
        Session::demo(Default::default(), Clock::Fixed(day), None, Access::Write).unwrap(),
    );
    for tool in ["cash", "holdings", "harvest_candidates", "risk"] {
        // Round 0 asks for the tool; round 1 answers after a pause, so the first token's
        // arrival is apart from the request's.
        let llm = FakeLlm::start(move |n, _| match n % 2 {
            0 => oai::calls(&[("c1", tool, json!({}))]),
            _ => Answer::Stream {
                content_type: "text/event-stream",
                frames: vec![
                    (Duration::from_millis(20), oai::text("Here")),
                    (Duration::ZERO, oai::finish("stop")),
                    (Duration::ZERO, oai::done()),
                ],
            },
        });
        let choice = Choice {
            provider: Some("openai-compatible".into()),
            model: Some("m".into()),
            base_url: Some(format!("{}/v1", llm.url)),
        };
        let provider = rt
            .block_on(folio::app::chat::provider(&session, &choice, None))
            .unwrap();
        let mut turnaround = Vec::new();
        let mut first_token = Vec::new();
        for run in 0..=RUNS {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let cancel = CancellationToken::new();
            let s = session.clone();
            let p = provider.clone();
            let task = rt
                .spawn(async move { folio::app::chat::ask(s, &p, "q", None, &tx, &cancel).await });
            let got_token = rt.block_on(async {
                let mut at = None;
                while let Some(e) = rx.recv().await {
                    if matches!(e, Event::Message { .. }) && at.is_none() {
                        at = Some(Instant::now());
                    }
                    if let Event::Error { message, .. } = &e {
                        panic!("{tool}: {message}");
                    }
                }
                at.unwrap()
            });
            rt.block_on(task).unwrap().unwrap();
            let reqs = llm.requests();
            let written = llm.written.lock().unwrap().clone();
            // This run's frames: 3 of round 0 (call, finish, done), then 3 of round 1.
            let base = run * 6;
            let round0_end = written[base + 2];
            let second = &reqs[run * 2 + 1];
            let token_written = written[base + 3];
            if run > 0 {
                // The first run warms the caches (the ledger's replay).
                turnaround.push(second.at - round0_end);
                first_token.push(got_token - token_written);
            }
        }
        report(
            &format!("{tool}: tool call to result sent"),
            &mut turnaround,
        );
        report(
            &format!("{tool}: first token to the channel"),
            &mut first_token,
        );
    }
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        pane(w, h);
    }
}

/// A long thread in the Chat pane: the first layout, a token arriving (wrapped and drawn), and
/// a plain frame.
fn pane(w: u16, h: u16) {
    use folio::tui::theme::Theme;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let mut t = folio::tui::ChatTranscript::new();
    let table = "| Symbol | Quantity | Value | Gain |\n|---|---|---|---|\n| VTI | 220 | $84,814.40 | +$29,697.55 |\n| BND | 736.38 | $52,769.13 | -$6,827.26 |\n";
    let answer = format!(
        "As of 2026-12-07, all accounts. **Holdings** follow, with their values and gains; the figures come from the holdings tool.\n\n{table}\n- one point\n- another point, long enough to wrap at eighty columns when the pane is narrow\n\n"
    )
    .repeat(3);
    for i in 0..60 {
        t.question(&format!(
            "question {i}: what do I hold, and what did it gain?"
        ));
        t.event(&Event::Message {
            delta: answer.clone(),
        });
    }
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let theme = Theme::from_env();
    let start = Instant::now();
    folio::tui::draw_chat_transcript(&mut term, &mut t, theme).unwrap();
    let first = start.elapsed();
    let mut token = Vec::new();
    let mut frame = Vec::new();
    for i in 0..200 {
        let s = Instant::now();
        t.event(&Event::Message {
            delta: format!("word{i} "),
        });
        folio::tui::draw_chat_transcript(&mut term, &mut t, theme).unwrap();
        token.push(s.elapsed());
        let s = Instant::now();
        folio::tui::draw_chat_transcript(&mut term, &mut t, theme).unwrap();
        frame.push(s.elapsed());
    }
    println!(
        "chat pane {w}x{h}: first layout of the thread ({} lines) {:.2} ms",
        t.lines(w.saturating_sub(2), theme).len(),
        first.as_secs_f64() * 1e3
    );
    report(
        &format!("chat pane {w}x{h}: a token added and drawn"),
        &mut token,
    );
    report(
        &format!("chat pane {w}x{h}: a frame of the thread"),
        &mut frame,
    );
}

fn report(what: &str, times: &mut [Duration]) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let n = times.len();
    println!(
        "{what:<45} median {:7.2} ms   p95 {:7.2} ms   max {:7.2} ms",
        ms(times[n / 2]),
        ms(times[n * 95 / 100]),
        ms(times[n - 1])
    );
}
