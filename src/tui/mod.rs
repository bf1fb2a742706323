//! The cockpit: a ratatui app on tokio. One loop selects over terminal events, messages from
//! background work, the quote feed, signals and a timer; it drains whatever is pending, then
//! draws once if something changed, at most ~30 times a second. Idle, it sleeps. Every question
//! goes to the query layer through one job runner (`jobs`).

pub mod app;
mod filter;
pub mod jobs;
mod list;
mod panes;
pub mod portfolio;
mod quotes;
pub mod theme;
pub mod ticket;
mod widgets;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::Utc;
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures_util::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::Instant;

pub use app::{App, Effect, Msg, Setup};
pub use jobs::{Done, Job, run_now, run_shared, settle};
pub use panes::chat::{Transcript as ChatTranscript, draw_transcript as draw_chat_transcript};
pub use portfolio::Portfolio;

use crate::app::Session;
use crate::market::feed::FeedCommand;

/// The shortest time between two frames (about 30 fps).
const FRAME: Duration = Duration::from_millis(33);
/// Quotes are written back to the database at most this often.
const SAVE_EVERY: Duration = Duration::from_secs(1);

/// Runs the cockpit on `session` until the user quits or the terminal goes away.
pub fn run(session: Arc<Session>, setup: Setup) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let result = rt.block_on(run_async(session, setup));
    // A job still running (a long plan) must not keep the process after the user quit: its
    // work was cancelled; whatever is left is dropped with the process.
    rt.shutdown_timeout(Duration::from_millis(300));
    result
}

/// Leaves the alternate screen, shows the cursor and ends raw mode however the loop ends
/// (a panic too: ratatui's panic hook does the same before the message is printed). Errors
/// are ignored: after a hangup there is no terminal to restore.
struct RestoreOnDrop;

impl Drop for RestoreOnDrop {
    fn drop(&mut self) {
        let _ = ratatui::try_restore();
        let _ = crossterm::execute!(std::io::stdout(), crossterm::cursor::Show);
    }
}

async fn run_async(session: Arc<Session>, setup: Setup) -> anyhow::Result<()> {
    let config = session.config().clone();
    // Signals first, so a SIGTERM during start-up is handled too.
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;

    // ratatui's `Terminal` shows the cursor when dropped and reports a failure with `eprintln!`,
    // which panics when the terminal is gone (a dropped SSH connection). `RestoreOnDrop` does
    // the same work ignoring errors, so the terminal itself is never dropped.
    let mut terminal =
        std::mem::ManuallyDrop::new(ratatui::try_init().context("cannot set up the terminal")?);
    let _restore = RestoreOnDrop;
    ui_panics_only_restore();
    let today = || session.clock().today();
    let mut app = App::new(setup, theme::Theme::from_env(), Utc::now(), today());

    let (tx, mut rx) = mpsc::channel::<Msg>(64);
    let runner = jobs::Runner::new(session.clone(), tx.clone());
    let (feed_tx, mut feed_rx) = mpsc::channel(256);
    let mut feed: Option<mpsc::UnboundedSender<FeedCommand>> = None;

    let mut events = EventStream::new();
    let mut last_draw: Option<Instant> = None;
    let mut last_save = Instant::now();
    let panic_for_test = crate::test_hooks::panic_after_draw();
    let result = loop {
        let wake = next_wake(&app, last_draw, last_save);
        let woke = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => Woke::Key(k),
                Some(Ok(Event::Resize(..))) => Woke::Resize,
                Some(Ok(_)) => Woke::Timer,
                Some(Err(e)) => break Err(anyhow::Error::from(e).context("cannot read the terminal")),
                // The terminal is gone (a dropped SSH connection).
                None => break Ok(()),
            },
            Some(msg) = rx.recv() => Woke::Msg(msg),
            Some(event) = feed_rx.recv() => Woke::Msg(Msg::Feed(event)),
            _ = tokio::time::sleep_until(wake) => Woke::Timer,
            _ = sigterm.recv() => break Ok(()),
            _ = sighup.recv() => break Ok(()),
            _ = sigint.recv() => break Ok(()),
        };
        // The clock first, so that what arrives now is stamped now (flash timing).
        app.set_now(Utc::now(), today());
        match woke {
            Woke::Key(k) => app.key(k),
            Woke::Resize => app.dirty = true,
            Woke::Msg(msg) => app.update(msg),
            Woke::Timer => {}
        }
        // Drain everything pending before drawing once.
        while let Ok(msg) = rx.try_recv() {
            app.update(msg);
        }
        while let Ok(event) = feed_rx.try_recv() {
            app.update(Msg::Feed(event));
        }
        for effect in app.take_effects() {
            match effect {
                Effect::StartFeed {
                    source,
                    symbols,
                    closes,
                } => {
                    let f = match crate::app::quotes::feed(&config, source, closes) {
                        Ok(f) => f,
                        Err(e) => {
                            // The status bar says so, instead of "starting" for ever.
                            tracing::error!("cannot start the quote feed: {e}");
                            app.update(Msg::Feed(crate::market::feed::FeedEvent::State(
                                crate::market::feed::FeedState::Offline(format!("{e:#}")),
                            )));
                            continue;
                        }
                    };
                    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
                    let _ = cmd_tx.send(FeedCommand::Subscribe(symbols));
                    f.spawn(cmd_rx, feed_tx.clone());
                    feed = Some(cmd_tx);
                }
                Effect::PauseFeed(p) => {
                    if let Some(f) = &feed {
                        let _ = f.send(FeedCommand::Pause(p));
                    }
                }
                Effect::Job { generation, job } => runner.start(generation, job),
            }
        }
        if app.quit {
            break Ok(());
        }
        if app.has_unsaved_quotes() && last_save.elapsed() >= SAVE_EVERY {
            app.save_quotes();
            last_save = Instant::now();
            for effect in app.take_effects() {
                if let Effect::Job { generation, job } = effect {
                    runner.start(generation, job);
                }
            }
        }
        if app.dirty && last_draw.is_none_or(|t| t.elapsed() >= FRAME) {
            if let Err(e) = terminal.draw(|f| app.draw(f)) {
                // The terminal went away under us (the SIGHUP may not have arrived yet):
                // there is nobody left to tell.
                tracing::warn!("cannot draw to the terminal, closing: {e}");
                break Ok(());
            }
            last_draw = Some(Instant::now());
            if panic_for_test {
                panic!("test panic requested by the panic-after-draw test hook");
            }
        }
    };
    drop(feed);
    app.cancel_work();
    // Quotes still in the channel are saved too, after a save still running (in order).
    while let Ok(event) = feed_rx.try_recv() {
        app.update(Msg::Feed(event));
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while app.saving_quotes() {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(msg)) => app.update(msg),
            _ => break,
        }
    }
    let last = app.take_unsaved_quotes();
    if !last.is_empty() {
        let session = session.clone();
        let _ = tokio::task::spawn_blocking(move || {
            jobs::run_now(&session, Job::SaveQuotes(last), None)
        })
        .await;
    }
    tracing::info!("cockpit closed");
    result
}

/// What woke the loop.
enum Woke {
    Key(crossterm::event::KeyEvent),
    Resize,
    Msg(Msg),
    Timer,
}

/// ratatui's panic hook restores the terminal: right for a panic on the UI thread, wrong for
/// one in a background thread (the UI would go on drawing into a restored terminal). Those
/// are logged, and the task that panicked reports an error instead.
fn ui_panics_only_restore() {
    let restore_and_print = std::panic::take_hook();
    let ui = std::thread::current().id();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == ui {
            restore_and_print(info);
        } else {
            tracing::error!("panic in a background thread: {info}");
        }
    }));
}

/// The next moment the loop must run even if nothing arrives: the next frame when the screen
/// is dirty, the next quote save, or the next time-based change on screen.
fn next_wake(app: &App, last_draw: Option<Instant>, last_save: Instant) -> Instant {
    let now = Instant::now();
    let mut wake = now + Duration::from_secs(3600);
    if app.dirty {
        wake = wake.min(last_draw.map_or(now, |t| t + FRAME));
    }
    if app.has_unsaved_quotes() {
        wake = wake.min(last_save + SAVE_EVERY);
    }
    if let Some(at) = app.wake_at() {
        let wait = (at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        wake = wake.min(now + wait);
    }
    wake
}
