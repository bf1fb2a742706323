//! The cockpit: a ratatui app on tokio. One loop selects over terminal events, messages from
//! background work, the quote feed, signals and a timer; it drains whatever is pending, then
//! draws once if something changed, at most ~30 times a second. Idle, it sleeps.

pub mod app;
mod filter;
mod list;
mod panes;
pub mod portfolio;
mod quotes;
pub mod theme;
mod widgets;

use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{Local, Utc};
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures_util::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::Instant;

pub use app::{App, Effect, Msg, Setup};
pub use portfolio::Portfolio;

use crate::config::Config;
use crate::domain::{Quote, QuoteSource};
use crate::market::feed::{FeedCommand, QuoteFeed};
use crate::market::http::{HttpFeed, Provider};
use crate::market::ibkr::IbkrFeed;
use crate::market::simfeed::{SimFeed, SimWalk};
use crate::store::Store;

/// The shortest time between two frames (about 30 fps).
const FRAME: Duration = Duration::from_millis(33);
/// Quotes are written back to the database at most this often.
const SAVE_EVERY: Duration = Duration::from_secs(1);

pub struct Options {
    pub db_path: PathBuf,
    pub setup: Setup,
    pub config: Config,
}

/// Runs the cockpit until the user quits or the terminal goes away.
pub fn run(opts: Options) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(run_async(opts))
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

async fn run_async(opts: Options) -> anyhow::Result<()> {
    let Options {
        db_path,
        setup,
        config,
    } = opts;
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
    let mut app = App::new(
        setup,
        theme::Theme::from_env(),
        Utc::now(),
        Local::now().date_naive(),
    );

    let (tx, mut rx) = mpsc::channel::<Msg>(64);
    {
        let (tx, db_path, config) = (tx.clone(), db_path.clone(), config.clone());
        tokio::task::spawn_blocking(move || {
            let load = || Portfolio::load(&db_path, &config, Local::now().date_naive());
            let loaded = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(load)) {
                Ok(r) => r.map(Box::new).map_err(|e| format!("{e:#}")),
                Err(_) => {
                    Err("an internal error stopped the read (details are in folio.log)".into())
                }
            };
            let _ = tx.blocking_send(Msg::Loaded(loaded));
        });
    }
    let (feed_tx, mut feed_rx) = mpsc::channel(256);
    let mut feed: Option<mpsc::UnboundedSender<FeedCommand>> = None;
    let saver = Saver::start(db_path, tx.clone());

    let mut events = EventStream::new();
    let mut last_draw: Option<Instant> = None;
    let mut last_save = Instant::now();
    let panic_for_test = std::env::var_os("FOLIO_TEST_PANIC_AFTER_DRAW").is_some();
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
        app.set_now(Utc::now(), Local::now().date_naive());
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
                    let f: Box<dyn QuoteFeed> = match source {
                        QuoteSource::Ibkr => Box::new(IbkrFeed::new(config.ibkr.clone())),
                        QuoteSource::Simulated => {
                            let walk = SimWalk::new(config.quotes.sim_seed, closes);
                            Box::new(SimFeed::new(walk, config.quotes.sim_rate_hz))
                        }
                        QuoteSource::Http => match Provider::new(&config.http) {
                            Ok(p) => Box::new(HttpFeed::new(
                                p,
                                Duration::from_secs(config.http.poll_secs),
                            )),
                            Err(e) => {
                                tracing::error!("cannot start the HTTP feed: {e}");
                                continue;
                            }
                        },
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
            }
        }
        if app.quit {
            break Ok(());
        }
        if app.has_unsaved_quotes() && last_save.elapsed() >= SAVE_EVERY {
            saver.save(app.take_unsaved_quotes());
            last_save = Instant::now();
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
                panic!("test panic requested by FOLIO_TEST_PANIC_AFTER_DRAW");
            }
        }
    };
    drop(feed);
    // Quotes still in the channel are saved too.
    while let Ok(event) = feed_rx.try_recv() {
        app.update(Msg::Feed(event));
    }
    saver.save(app.take_unsaved_quotes());
    saver.finish();
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

/// Writes quotes to the database on its own thread and connection, so a slow disk or a busy
/// database never holds up the screen.
struct Saver {
    tx: std_mpsc::Sender<Vec<Quote>>,
    thread: JoinHandle<()>,
}

impl Saver {
    fn start(db_path: PathBuf, report: mpsc::Sender<Msg>) -> Saver {
        let (tx, rx) = std_mpsc::channel::<Vec<Quote>>();
        let thread = std::thread::spawn(move || {
            let mut store: Option<Store> = None;
            for quotes in rx {
                let result = (|| -> anyhow::Result<()> {
                    if store.is_none() {
                        store = Some(Store::open(&db_path)?);
                    }
                    if let Some(s) = store.as_mut() {
                        s.write(|w| w.upsert_quotes(&quotes))?;
                    }
                    Ok(())
                })();
                if let Err(e) = result {
                    tracing::warn!("saving quotes: {e:#}");
                    let _ = report.blocking_send(Msg::SaveFailed(format!("{e:#}")));
                }
            }
        });
        Saver { tx, thread }
    }

    fn save(&self, quotes: Vec<Quote>) {
        if !quotes.is_empty() {
            let _ = self.tx.send(quotes);
        }
    }

    /// Waits for the last writes to land.
    fn finish(self) {
        drop(self.tx);
        let _ = self.thread.join();
    }
}
