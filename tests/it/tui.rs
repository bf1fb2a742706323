//! The cockpit through ratatui's TestBackend: whole screens as insta snapshots (demo data,
//! fixed clock, seeded quotes) and key handling driven through the app's state.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use folio::app::{Access, Clock, Options, Session};
use folio::config::Config;
use folio::domain::{Action, QuoteSource};
use folio::market::feed::FeedEvent;
use folio::market::simfeed::SimWalk;
use folio::tui::theme::Theme;
use folio::tui::{App, Done, Effect, Msg, Portfolio, Setup, run_now};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

fn now() -> DateTime<Utc> {
    "2026-11-22T15:30:00Z".parse().unwrap()
}

fn today() -> NaiveDate {
    "2026-11-22".parse().unwrap()
}

/// The demo portfolio as of `today()` (its last close 2026-11-20), built once per test run and
/// only read.
fn demo_session() -> Arc<Session> {
    static DEMO: OnceLock<Arc<Session>> = OnceLock::new();
    DEMO.get_or_init(|| {
        Arc::new(
            Session::demo(Config::default(), Clock::Fixed(today()), None, Access::Read).unwrap(),
        )
    })
    .clone()
}

/// What the cockpit's panes read, as the load job answers it.
fn demo() -> Portfolio {
    Portfolio::load(&demo_session()).unwrap()
}

fn setup() -> Setup {
    Setup {
        db_label: "demo (temporary database)".into(),
        db_flag: String::new(),
        demo: true,
        feed: Some(QuoteSource::Simulated),
        broker: folio::domain::order::BrokerKind::Paper,
    }
}

/// The app with its jobs run the way the event loop runs them: each on a thread of its own,
/// its answer fed back as a message. Jobs are answered before a frame is drawn.
struct Cockpit {
    app: App,
    session: Arc<Session>,
    running: Vec<JoinHandle<(u64, Done)>>,
    effects: Vec<Effect>,
}

impl Deref for Cockpit {
    type Target = App;
    fn deref(&self) -> &App {
        &self.app
    }
}

impl DerefMut for Cockpit {
    fn deref_mut(&mut self) -> &mut App {
        &mut self.app
    }
}

impl Cockpit {
    fn new(session: Arc<Session>, setup: Setup, theme: Theme) -> Cockpit {
        let mut c = Cockpit {
            app: App::new(setup, theme, now(), today()),
            session,
            running: Vec::new(),
            effects: Vec::new(),
        };
        c.settle();
        c
    }

    /// Starts the jobs asked for; keeps the other effects for [`Cockpit::take_effects`].
    fn pump(&mut self) {
        for e in self.app.take_effects() {
            match e {
                Effect::Job { generation, job } => {
                    let s = self.session.clone();
                    self.running.push(std::thread::spawn(move || {
                        (generation, run_now(&s, job, None))
                    }));
                }
                other => self.effects.push(other),
            }
        }
    }

    /// Waits for every job (and the jobs their answers ask for).
    fn settle(&mut self) {
        loop {
            self.pump();
            if self.running.is_empty() {
                return;
            }
            for h in std::mem::take(&mut self.running) {
                let (generation, done) = h.join().unwrap();
                self.app.update(Msg::Done { generation, done });
            }
        }
    }

    /// The effects other than jobs.
    fn take_effects(&mut self) -> Vec<Effect> {
        self.pump();
        std::mem::take(&mut self.effects)
    }
}

/// The app on the demo data, with `ticks` steps of the seeded simulated feed applied.
fn app_with(theme: Theme, ticks: usize) -> Cockpit {
    let mut app = Cockpit::new(demo_session(), setup(), theme);
    let p = demo();
    let closes = p.last_closes();
    let symbols = p.held_symbols().to_vec();
    let effects = app.take_effects();
    assert_eq!(
        effects,
        [Effect::StartFeed {
            source: QuoteSource::Simulated,
            symbols: symbols.clone(),
            closes: closes.clone()
        }],
        "the demo starts the feed for the held symbols"
    );
    let mut walk = SimWalk::new(7, closes);
    for s in &symbols {
        walk.subscribe(s).unwrap();
    }
    app.update(Msg::Feed(FeedEvent::State(
        folio::market::feed::FeedState::Simulated,
    )));
    for _ in 0..ticks {
        app.update(Msg::Feed(FeedEvent::Quotes(
            walk.step(now() - TimeDelta::seconds(3)),
        )));
    }
    app
}

fn app() -> Cockpit {
    app_with(Theme { color: false }, 20)
}

/// A frame, once the jobs asked for have answered.
fn draw(app: &mut Cockpit, w: u16, h: u16) -> Terminal<TestBackend> {
    app.settle();
    draw_now(app, w, h)
}

/// A frame as it is now (jobs may still be running).
fn draw_now(app: &mut Cockpit, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| app.app.draw(f)).unwrap();
    t
}

fn screen_text(t: &Terminal<TestBackend>, w: u16, h: u16) -> String {
    let buf = t.backend().buffer();
    (0..h)
        .map(|y| {
            (0..w)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn text(app: &mut Cockpit, w: u16, h: u16) -> String {
    let t = draw(app, w, h);
    screen_text(&t, w, h)
}

fn text_now(app: &mut Cockpit, w: u16, h: u16) -> String {
    let t = draw_now(app, w, h);
    screen_text(&t, w, h)
}

fn press(app: &mut Cockpit, code: KeyCode) {
    app.key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn typed(app: &mut Cockpit, s: &str) {
    for c in s.chars() {
        press(app, KeyCode::Char(c));
    }
}

#[test]
fn snapshots_of_every_pane_at_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = app();
        insta::assert_snapshot!(format!("dashboard_{w}x{h}"), draw(&mut app, w, h).backend());
        press(&mut app, KeyCode::Char('2'));
        insta::assert_snapshot!(format!("holdings_{w}x{h}"), draw(&mut app, w, h).backend());
        press(&mut app, KeyCode::Down);
        press(&mut app, KeyCode::Enter);
        insta::assert_snapshot!(format!("lots_{w}x{h}"), draw(&mut app, w, h).backend());
        press(&mut app, KeyCode::Char('3'));
        insta::assert_snapshot!(format!("trades_{w}x{h}"), draw(&mut app, w, h).backend());
        press(&mut app, KeyCode::Enter);
        insta::assert_snapshot!(
            format!("trade_detail_{w}x{h}"),
            draw(&mut app, w, h).backend()
        );
        press(&mut app, KeyCode::Esc);
        press(&mut app, KeyCode::Char('?'));
        insta::assert_snapshot!(
            format!("help_trades_{w}x{h}"),
            draw(&mut app, w, h).backend()
        );
        press(&mut app, KeyCode::Esc);
        press(&mut app, KeyCode::Char('4'));
        insta::assert_snapshot!(format!("harvest_{w}x{h}"), draw(&mut app, w, h).backend());
        press(&mut app, KeyCode::Enter);
        insta::assert_snapshot!(
            format!("harvest_detail_{w}x{h}"),
            draw(&mut app, w, h).backend()
        );
        press(&mut app, KeyCode::Char('8'));
        insta::assert_snapshot!(format!("rebalance_{w}x{h}"), draw(&mut app, w, h).backend());
        press(&mut app, KeyCode::Char('5'));
        insta::assert_snapshot!(format!("risk_{w}x{h}"), draw(&mut app, w, h).backend());
        press(&mut app, KeyCode::Right);
        press(&mut app, KeyCode::Enter);
        insta::assert_snapshot!(
            format!("risk_finding_{w}x{h}"),
            draw(&mut app, w, h).backend()
        );
        press(&mut app, KeyCode::Esc);
        press(&mut app, KeyCode::Char('v'));
        insta::assert_snapshot!(
            format!("risk_frontier_{w}x{h}"),
            draw(&mut app, w, h).backend()
        );
        press(&mut app, KeyCode::Char('v'));
        insta::assert_snapshot!(
            format!("risk_stress_{w}x{h}"),
            draw(&mut app, w, h).backend()
        );
    }
}

#[test]
fn the_risk_pane_measures_the_holdings_and_lists_what_needs_attention() {
    let mut app = app();
    press(&mut app, KeyCode::Char('5'));
    assert_eq!(app.current_pane(), "Risk");
    let screen = text(&mut app, 80, 24);
    // 12 holdings' correlations fit in 80 columns: the last column is on screen.
    let header = screen
        .lines()
        .find(|l| l.contains("VTI  BND"))
        .expect(&screen);
    assert!(
        header.contains("JNJ") && header.chars().count() <= 80,
        "{screen}"
    );
    assert!(
        screen.contains("VTI 26%"),
        "the largest holding is selected first:\n{screen}"
    );
    // Moving down selects the next holding for the metrics column.
    press(&mut app, KeyCode::Down);
    assert!(text(&mut app, 80, 24).contains("BND 16%"));
    // At 80 columns the anomalies replace the heatmap; the demo's tech sell-off is found.
    press(&mut app, KeyCode::Right);
    let screen = text(&mut app, 80, 24);
    assert!(screen.contains("Anomalies, last 30 days (7)"), "{screen}");
    assert!(screen.contains("!! 11-12 turbulence"), "{screen}");
    assert!(screen.contains("11-12 return outlier     AAPL"), "{screen}");
    // Enter shows the finding and the chart around its day; Esc goes back.
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    let detail = text(&mut app, 80, 24);
    assert!(
        detail.contains("AAPL moved -6.3% on 2026-11-12"),
        "{detail}"
    );
    assert!(
        detail.contains("Closes of AAPL around 2026-11-12"),
        "{detail}"
    );
    press(&mut app, KeyCode::Esc);
    assert!(text(&mut app, 80, 24).contains("Anomalies, last 30 days"));
    // w changes the window and the numbers with it.
    press(&mut app, KeyCode::Char('w'));
    let three_years = text(&mut app, 80, 24);
    assert!(three_years.contains(" 3Y vs VTI "), "{three_years}");
    // The dashboard's alert count includes the findings.
    press(&mut app, KeyCode::Char('1'));
    assert!(text(&mut app, 80, 24).contains("5 alerts (a)"));
}

/// The part of each screen line left of column `width` (the frontier's chart, left of its
/// figures), inside the frame (its bottom border holds the legend).
fn left_of(screen: &str, width: usize) -> String {
    screen
        .lines()
        .filter(|l| l.starts_with('│'))
        .map(|l| l.chars().take(width).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

/// One round of the event loop: the jobs asked for so far answer, and no more.
fn step(app: &mut Cockpit) {
    app.pump();
    for h in std::mem::take(&mut app.running) {
        let (generation, done) = h.join().unwrap();
        app.app.update(Msg::Done { generation, done });
    }
}

#[test]
fn the_risk_pane_shows_the_frontier_and_the_stress_test_the_command_line_answers() {
    use folio::format::{money, signed_money, signed_pct};
    use rust_decimal::Decimal;
    // `folio frontier` and `folio stress` on the demo as of the cockpit's day: the same
    // questions, one answer each.
    let env = crate::common::Env::new();
    let cli = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["--demo", "--today", "2026-11-22"];
        all.extend_from_slice(args);
        all.push("--json");
        crate::common::Run::from(env.command().args(&all).output().unwrap()).json()
    };
    let frontier = cli(&["frontier"]);
    let stress = cli(&["stress"]);
    let dec = |v: &serde_json::Value| -> Decimal { v.as_str().unwrap().parse().unwrap() };
    let ret =
        |m: &serde_json::Value| format!("{:+.1}%", m["expected_return"].as_f64().unwrap() * 100.0);
    let vol = |m: &serde_json::Value| format!("{:.1}%", m["volatility"].as_f64().unwrap() * 100.0);

    let mut app = app();
    press(&mut app, KeyCode::Char('5'));
    let metrics = text(&mut app, 80, 24);
    assert!(
        metrics.contains(" v Frontier "),
        "the next view is named:\n{metrics}"
    );
    // The frontier is asked for when its view is first shown, and says so until it answers.
    press(&mut app, KeyCode::Char('v'));
    let asking = text_now(&mut app, 80, 24);
    assert!(
        asking.contains("Estimating the efficient frontier over 5Y…"),
        "{asking}"
    );
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = text(&mut app, w, h);
        // The maximum-Sharpe portfolio's expected return and volatility, as the command's.
        let line = |name: &str| -> &str {
            screen
                .lines()
                .find(|l| l.contains(name))
                .unwrap_or_else(|| panic!("no {name}:\n{screen}"))
        };
        let max_sharpe = line("★ Max Sharpe");
        let m = &frontier["max_sharpe"];
        assert!(
            max_sharpe.contains(&format!(" {} {}", ret(m), vol(m))),
            "{max_sharpe} shows {} {}",
            ret(m),
            vol(m)
        );
        let mine = line("◆ Your mix");
        let c = &frontier["current"]["mix"];
        assert!(mine.contains(&format!(" {} {}", ret(c), vol(c))), "{mine}");
        let best = line("Best, same vol");
        let b = &frontier["current"]["best_return_at_same_volatility"];
        assert!(best.contains(&format!(" {} {}", ret(b), vol(b))), "{best}");
        let min_var = line("▲ Min variance");
        assert!(
            min_var.contains(&ret(&frontier["min_variance"])),
            "{min_var}"
        );
        // The window and the days it used, and the warning that it is estimated from history.
        let days = frontier["days"].as_u64().unwrap();
        assert!(screen.contains(&format!(" 5Y · {days} days ")), "{screen}");
        let warning = screen.replace('\n', " ");
        assert!(
            warning.contains(&format!(
                "The frontier is estimated from history ({days} daily returns"
            )),
            "{screen}"
        );
        // The chart marks today's mix, the two landmarks and the assets, each once (the
        // figures beside it repeat the markers as the legend).
        let chart = left_of(&screen, usize::from(w) - 38);
        for mark in ['◆', '▲', '★'] {
            assert_eq!(chart.matches(mark).count(), 1, "{mark} in\n{chart}");
        }
        assert!(chart.matches('•').count() >= 6, "{chart}");
        assert!(
            chart.contains("volatility") && chart.contains("return"),
            "{chart}"
        );
    }
    // w changes the window and asks again, the last frontier titled so until the answer.
    press(&mut app, KeyCode::Char('w'));
    let asking = text_now(&mut app, 80, 24);
    assert!(
        asking.contains(" all ─") && asking.contains(" estimating… "),
        "{asking}"
    );
    let all = text(&mut app, 80, 24);
    assert!(all.contains(" all · "), "{all}");
    // c mixes asset classes instead.
    press(&mut app, KeyCode::Char('c'));
    let classes = text(&mut app, 80, 24);
    assert!(classes.contains("Efficient frontier by class"), "{classes}");
    assert!(classes.contains("US stocks"), "{classes}");
    // Reading the data again asks again for the view shown.
    press(&mut app, KeyCode::Char('R'));
    step(&mut app);
    let asking = text_now(&mut app, 80, 24);
    assert!(
        asking.contains(" all by class ─") && asking.contains(" estimating… "),
        "{asking}"
    );
    app.settle();

    // The stress test: each scenario's totals as `folio stress` gives them.
    press(&mut app, KeyCode::Char('v'));
    assert!(text_now(&mut app, 80, 24).contains("Applying the stress scenarios"));
    let screen = text(&mut app, 80, 24);
    let runs = stress["scenarios"].as_array().unwrap();
    let ids: Vec<&str> = runs.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["2008", "2020", "2022"]);
    for r in runs {
        let t = &r["totals"];
        let row = screen
            .lines()
            .find(|l| l.starts_with(&format!("│{} ", r["id"].as_str().unwrap())))
            .unwrap_or_else(|| panic!("no {} row:\n{screen}", r["id"]));
        for figure in [
            signed_money(dec(&t["change"])),
            signed_pct(dec(&t["pct_of_holdings"])),
            money(dec(&t["net_worth_after"])),
            signed_pct(dec(&t["pct_of_net_worth"])),
        ] {
            assert!(row.contains(&figure), "{row} shows {figure}");
        }
    }
    // The first scenario's accounts, holdings and cash buffer below.
    let crisis = &runs[0];
    assert!(
        screen.contains("2008 Global financial crisis: 2008-08-29 to 2009-03-09"),
        "{screen}"
    );
    let cash = &crisis["cash_buffer"];
    assert!(
        screen.contains(&format!(
            "Cash buffer {}: {:.2}% of net worth after; covers {:.2}% of the loss",
            money(dec(&cash["cash"])),
            dec(&cash["share_after_pct"]),
            dec(&cash["pct_of_loss"])
        )),
        "{screen}"
    );
    for a in crisis["accounts"].as_array().unwrap() {
        let row = screen
            .lines()
            .find(|l| l.starts_with(&format!("│{:<10}", a["account"].as_str().unwrap())))
            .unwrap_or_else(|| panic!("no {} row:\n{screen}", a["account"]));
        assert!(row.contains(&signed_money(dec(&a["change"]))), "{row}");
    }
    // The largest loss first; PgDn shows the rest.
    assert!(screen.contains("│Taxable    VTI "), "{screen}");
    assert!(screen.contains("more (PgDn)"), "{screen}");
    press(&mut app, KeyCode::PageDown);
    let rest = text(&mut app, 80, 24);
    assert!(rest.contains("│IRA        BND "), "{rest}");
    // j selects the next scenario.
    press(&mut app, KeyCode::Char('j'));
    let covid = text(&mut app, 80, 24);
    assert!(
        covid.contains("2020 COVID-19 crash: 2020-02-19 to 2020-03-23"),
        "{covid}"
    );
    let ira = &runs[1]["accounts"][0];
    assert!(
        covid.contains(&signed_money(dec(&ira["change"]))),
        "{covid}"
    );
    // v comes back to the metrics, and so does Esc.
    press(&mut app, KeyCode::Char('v'));
    assert!(text(&mut app, 80, 24).contains(" v Frontier "));
    press(&mut app, KeyCode::Char('v'));
    press(&mut app, KeyCode::Esc);
    assert!(text(&mut app, 80, 24).contains(" v Frontier "));
}

#[test]
fn the_risk_views_show_their_errors_and_the_unclassified_holdings() {
    // A book with a holding the securities table does not know, and two days of prices: too
    // little history for a frontier, enough for a stress test.
    let env = crate::common::Env::new();
    env.import(
        "book.csv",
        "date,account,action,symbol,quantity,price,fees,amount,currency,lot,note\n\
         2026-01-02,Brokerage,DEPOSIT,,,,,10000,USD,,\n\
         2026-01-05,Brokerage,BUY,VTI,10,300,0,,USD,,\n\
         2026-01-05,Brokerage,BUY,XYZ,20,50,0,,USD,,\n",
        &[],
    )
    .ok();
    let prices = env.write(
        "closes.csv",
        "date,symbol,close\n2026-01-05,VTI,300\n2026-01-05,XYZ,50\n2026-01-06,VTI,310\n2026-01-06,XYZ,52\n",
    );
    env.run(&["prices", "import", prices.to_str().unwrap()])
        .ok();
    let session = Session::new(Options {
        db_path: env.db(),
        access: Access::Read,
        config: Config::default(),
        clock: Clock::Fixed("2026-01-06".parse().unwrap()),
        data_dir: None,
    });
    let mut app = Cockpit::new(
        Arc::new(session),
        Setup {
            feed: None,
            demo: false,
            ..setup()
        },
        Theme { color: false },
    );
    press(&mut app, KeyCode::Char('5'));
    press(&mut app, KeyCode::Char('v'));
    let screen = text(&mut app, 80, 24).replace('\n', " ");
    assert!(
        screen.contains("The efficient frontier over 5Y could not be estimated:"),
        "{screen}"
    );
    assert!(
        screen.contains("only 1 days of common price history"),
        "{screen}"
    );
    press(&mut app, KeyCode::Char('v'));
    let screen = text(&mut app, 80, 24);
    assert!(
        screen.contains("Unclassified, given the default -47.2% (the US stocks figure): XYZ"),
        "{screen}"
    );
    let xyz = screen
        .lines()
        .find(|l| l.starts_with("│Brokerage  XYZ "))
        .expect(&screen);
    assert!(
        xyz.contains("Unclassified") && xyz.contains("-47.2%"),
        "{xyz}"
    );
}

#[test]
fn the_harvest_pane_ranks_lots_and_opens_the_one_under_the_cursor() {
    let mut app = app();
    press(&mut app, KeyCode::Char('4'));
    let screen = text(&mut app, 120, 40);
    let vwo = screen.find("Taxable    VWO").expect(&screen);
    let iemg = screen.find("Taxable    IEMG").expect(&screen);
    assert!(vwo < iemg, "ranked by net benefit:\n{screen}");
    assert!(
        screen.contains("Harvestable 7,235.00 USD in 2 lots"),
        "{screen}"
    );
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    let detail = text(&mut app, 120, 40);
    assert!(detail.contains("IEMG in Taxable"), "{detail}");
    assert!(detail.contains("do not buy IEMG"), "{detail}");
    // The suggested replacement is VWO, from the other index provider, with a score.
    assert!(
        detail
            .lines()
            .any(|l| l.starts_with("VWO") && l.contains("0.9")),
        "{detail}"
    );
    press(&mut app, KeyCode::Esc);
    assert!(text(&mut app, 120, 40).contains("Taxable    VWO"));
    // A filter that matches nothing keeps the pane and says so.
    press(&mut app, KeyCode::Char('/'));
    typed(&mut app, "zzz");
    press(&mut app, KeyCode::Enter);
    let filtered = text(&mut app, 120, 40);
    assert!(filtered.contains("0 of 2"), "{filtered}");
}

#[test]
fn an_empty_database_shows_the_welcome_screen_with_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let session = Session::new(Options {
        db_path: dir.path().join("empty.db"),
        access: Access::Write,
        config: Config::default(),
        clock: Clock::Fixed(today()),
        data_dir: None,
    });
    let mut app = Cockpit::new(
        Arc::new(session),
        Setup {
            db_label: "~/.local/share/folio/folio.db".into(),
            db_flag: String::new(),
            demo: false,
            feed: Some(QuoteSource::Simulated),
            broker: folio::domain::order::BrokerKind::Paper,
        },
        Theme { color: false },
    );
    assert_eq!(app.take_effects(), [], "no feed without holdings");
    insta::assert_snapshot!("welcome_80x24", draw(&mut app, 80, 24).backend());
    // Pane keys do nothing harmful on the welcome screen; q still quits.
    for c in ['2', '3', '/', 's', 'j'] {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Enter);
    assert!(text(&mut app, 80, 24).contains("folio import transactions.csv"));
    press(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}

#[test]
fn a_database_that_cannot_be_read_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("notes.db");
    std::fs::write(&db, "these are my notes, not a database\n".repeat(200)).unwrap();
    let session = Session::new(Options {
        db_path: db,
        access: Access::Write,
        config: Config::default(),
        clock: Clock::Fixed(today()),
        data_dir: None,
    });
    let mut app = Cockpit::new(Arc::new(session), setup(), Theme { color: false });
    let screen = text(&mut app, 80, 24);
    assert!(
        screen.contains("The database could not be read."),
        "{screen}"
    );
    assert!(
        screen.contains("not a folio database (not SQLite)"),
        "{screen}"
    );
}

#[test]
fn before_the_data_arrives_the_screen_says_it_is_reading() {
    let mut app = Cockpit {
        app: App::new(setup(), Theme { color: false }, now(), today()),
        session: demo_session(),
        running: Vec::new(),
        effects: Vec::new(),
    };
    assert!(text_now(&mut app, 80, 24).contains("Reading demo (temporary database)…"));
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.current_pane(), "Holdings");
}

#[test]
fn tiny_windows_never_panic_and_say_they_are_too_small() {
    let mut app = app();
    let screen = text(&mut app, 20, 10).replace('\n', " ");
    assert!(
        screen.contains("The window is too small (20x10)"),
        "{screen}"
    );
    insta::assert_snapshot!("too_small_20x10", draw(&mut app, 20, 10).backend());
    for pane in ['1', '2', '3'] {
        press(&mut app, KeyCode::Char(pane));
        for (w, h) in [
            (1, 1),
            (20, 10),
            (49, 13),
            (50, 14),
            (60, 15),
            (79, 23),
            (200, 60),
        ] {
            draw(&mut app, w, h);
        }
    }
    // The lots view and the popups too.
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Enter);
    draw(&mut app, 50, 14);
    press(&mut app, KeyCode::Char('?'));
    draw(&mut app, 50, 14);
    draw(&mut app, 1, 1);
}

#[test]
fn panes_switch_with_numbers_and_tab() {
    let mut app = app();
    assert_eq!(app.current_pane(), "Dashboard");
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.current_pane(), "Holdings");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.current_pane(), "Harvest");
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.current_pane(), "Risk");
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.current_pane(), "Plan");
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.current_pane(), "Chat");
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.current_pane(), "Rebalance");
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.current_pane(), "Dashboard");
    press(&mut app, KeyCode::BackTab);
    assert_eq!(app.current_pane(), "Rebalance");
    press(&mut app, KeyCode::Char('8'));
    assert_eq!(app.current_pane(), "Rebalance");
    press(&mut app, KeyCode::Char('2'));
    assert_eq!(app.current_pane(), "Holdings");
    press(&mut app, KeyCode::Char('9'));
    assert_eq!(app.current_pane(), "Holdings", "no ninth pane");
    assert!(!app.quit);
    press(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
    let mut app = self::app();
    app.key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(app.quit, "Ctrl-C quits");
}

#[test]
fn the_trades_filter_takes_fields_and_typing_q_does_not_quit() {
    let mut app = app();
    let p = demo();
    let total = p.transactions.len();
    let sells: Vec<_> = p
        .transactions
        .iter()
        .filter(|t| t.action == Action::Sell)
        .collect();
    press(&mut app, KeyCode::Char('3'));
    press(&mut app, KeyCode::Char('/'));
    typed(&mut app, "action:sell");
    let screen = text(&mut app, 120, 40);
    assert!(
        screen.contains(&format!("{} of {total}", sells.len())),
        "{screen}"
    );
    let rows = screen.lines().filter(|l| l.contains(" SELL ")).count();
    assert_eq!(rows, sells.len(), "{screen}");
    // The newest sale first (under the orders' line and the header).
    let first = screen.lines().nth(3).unwrap();
    assert!(first.starts_with(&sells[0].date.to_string()), "{first}");

    // Keys that are global elsewhere are text while typing.
    typed(&mut app, " q2");
    assert!(!app.quit);
    assert_eq!(app.current_pane(), "Trades");
    let screen = text(&mut app, 120, 40);
    assert!(screen.contains(&format!("0 of {total}")), "{screen}");
    for _ in 0..3 {
        press(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, " from:2024-13-01");
    let screen = text(&mut app, 120, 40);
    assert!(
        screen.contains("from: '2024-13-01' is not a date (YYYY-MM-DD)"),
        "{screen}"
    );
    // Enter keeps the filter and gives the keys back; Esc clears it.
    for _ in 0.." from:2024-13-01".len() {
        press(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, " from:2024-01-01 to:2024-12-31");
    press(&mut app, KeyCode::Enter);
    let in_2024 = sells
        .iter()
        .filter(|t| t.date.to_string().starts_with("2024"))
        .count();
    let screen = text(&mut app, 120, 40);
    assert!(
        screen.contains(&format!("{in_2024} of {total}")),
        "{screen}"
    );
    press(&mut app, KeyCode::Esc);
    let screen = text(&mut app, 120, 40);
    assert!(
        !screen.contains(&format!("of {total}")),
        "filter line gone: {screen}"
    );
    press(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}

#[test]
fn enter_opens_details_and_esc_goes_back() {
    let mut app = app();
    press(&mut app, KeyCode::Char('2'));
    let list = text(&mut app, 120, 40);
    assert!(list.contains("Cost basis"), "{list}");
    press(&mut app, KeyCode::End);
    press(&mut app, KeyCode::Enter);
    let lots = text(&mut app, 120, 40);
    assert!(
        lots.contains("To long term") && lots.contains("VXUS in Taxable"),
        "{lots}"
    );
    press(&mut app, KeyCode::Char('r'));
    assert!(text(&mut app, 120, 40).contains("VXUS 5Y"));
    press(&mut app, KeyCode::Esc);
    assert_eq!(text(&mut app, 120, 40), list);

    // The dashboard's Enter shows the holding by account.
    press(&mut app, KeyCode::Char('1'));
    text(&mut app, 120, 40);
    press(&mut app, KeyCode::Enter);
    let detail = text(&mut app, 120, 40);
    assert!(
        detail.contains("Vanguard Total Stock Market ETF · US stocks")
            && detail.contains("Tracks CRSP US Total Market")
            && detail.contains("Taxable")
            && detail.contains("220 sh"),
        "VTI is the largest: {detail}"
    );
    press(&mut app, KeyCode::Esc);
    assert!(!text(&mut app, 120, 40).contains("Esc closes"));
}

#[test]
fn the_dashboard_sorts_by_any_column_and_cycles_the_chart_range() {
    let mut app = app();
    let first_row = |app: &mut Cockpit| text(app, 120, 40).lines().nth(3).unwrap().to_string();
    assert!(
        first_row(&mut app).starts_with("VTI "),
        "largest value first"
    );
    press(&mut app, KeyCode::Char('O'));
    assert!(
        first_row(&mut app).starts_with("JNJ "),
        "smallest value first"
    );
    // Next column: weight (same order); then gain.
    press(&mut app, KeyCode::Char('o'));
    press(&mut app, KeyCode::Char('o'));
    let screen = text(&mut app, 120, 40);
    assert!(screen.contains("Gain▲"), "{screen}");
    assert!(
        first_row(&mut app).starts_with("BND "),
        "largest loss first: {screen}"
    );
    assert!(screen.contains("Value 1Y"));
    press(&mut app, KeyCode::Char('r'));
    assert!(text(&mut app, 120, 40).contains("Value 5Y"));
    press(&mut app, KeyCode::Char('r'));
    assert!(text(&mut app, 120, 40).contains("Value 1M"));
    // The holdings filter.
    press(&mut app, KeyCode::Char('/'));
    typed(&mut app, "bond");
    let screen = text(&mut app, 120, 40);
    assert!(screen.contains("2 of 12"), "BND and AGG by name: {screen}");
}

#[test]
fn help_lists_the_keys_of_the_current_pane() {
    let mut app = app();
    press(&mut app, KeyCode::Char('?'));
    let screen = text(&mut app, 120, 40);
    assert!(screen.contains("value chart range"), "{screen}");
    assert!(screen.contains("pause / resume quotes"), "{screen}");
    press(&mut app, KeyCode::Char('2'));
    assert_eq!(app.current_pane(), "Dashboard", "keys go to the overlay");
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('?'));
    let screen = text(&mut app, 120, 40);
    assert!(screen.contains("show the holding's lots"), "{screen}");
}

#[test]
fn quotes_move_the_values_and_changed_cells_flash_briefly() {
    let mut app = app_with(Theme { color: true }, 20);
    // Move the selection off VTI so that its row shows plain styles.
    text(&mut app, 120, 40);
    press(&mut app, KeyCode::Down);
    let before = text(&mut app, 120, 40);
    let _ = app.take_unsaved_quotes();
    let mut walk = SimWalk::new(99, demo().last_closes());
    walk.subscribe("VTI").unwrap();
    let mut moved = Vec::new();
    while moved.is_empty() {
        moved = walk.step(now());
    }
    moved[0].last += rust_decimal::Decimal::ONE; // surely different from the last tick
    let vti = moved[0].last;
    app.update(Msg::Feed(FeedEvent::Quotes(moved)));
    let t = draw(&mut app, 120, 40);
    let after = text(&mut app, 120, 40);
    assert_ne!(before, after);
    let row = after.lines().position(|l| l.starts_with("VTI ")).unwrap() as u16;
    let line = after.lines().nth(row.into()).unwrap();
    let price = folio::format::price(vti);
    assert!(line.contains(&price), "{line} has {price}");
    let x = line.find(&price).unwrap() as u16;
    let cell = &t.backend().buffer()[(x, row)];
    assert!(
        matches!(cell.bg, Color::Green | Color::Red),
        "flashing: {cell:?}"
    );
    // The flash ends: the app asks to be woken for it and redraws.
    let wake = app.wake_at().expect("a wake-up for the flash");
    assert!(wake <= now() + TimeDelta::seconds(1));
    app.dirty = false;
    app.set_now(now() + TimeDelta::seconds(1), today());
    assert!(app.dirty);
    let t = draw(&mut app, 120, 40);
    assert_eq!(t.backend().buffer()[(x, row)].bg, Color::Reset);
    // Quotes are handed to the database writer once each.
    let unsaved = app.take_unsaved_quotes();
    assert_eq!(unsaved.len(), 1);
    assert_eq!(unsaved[0].symbol, "VTI");
    assert!(app.take_unsaved_quotes().is_empty());
}

#[test]
fn no_color_means_no_colours() {
    let mut app = app_with(Theme { color: false }, 5);
    for pane in ['1', '2', '3'] {
        press(&mut app, KeyCode::Char(pane));
        let t = draw(&mut app, 120, 40);
        for cell in t.backend().buffer().content() {
            assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{cell:?}");
        }
    }
}

#[test]
fn pausing_the_feed_is_an_effect_and_the_status_bar_says_so() {
    let mut app = app();
    assert!(text(&mut app, 120, 40).contains("simulated quotes 3s ago"));
    press(&mut app, KeyCode::Char('p'));
    assert_eq!(app.take_effects(), [Effect::PauseFeed(true)]);
    app.update(Msg::Feed(FeedEvent::State(
        folio::market::feed::FeedState::Paused,
    )));
    assert!(text(&mut app, 120, 40).contains("simulated: paused 3s ago"));
    press(&mut app, KeyCode::Char('p'));
    assert_eq!(app.take_effects(), [Effect::PauseFeed(false)]);
}

#[test]
fn alerts_list_what_needs_attention() {
    let mut app = app();
    // The demo's risk findings: the tech sell-off, two drawdowns, VTI's weight.
    assert!(text(&mut app, 120, 40).contains("5 alerts (a)"));
    app.update(Msg::Feed(FeedEvent::SymbolError {
        symbol: "XYZ".into(),
        message: "no security definition has been found".into(),
    }));
    assert!(text(&mut app, 120, 40).contains("6 alerts (a)"));
    press(&mut app, KeyCode::Char('a'));
    let screen = text(&mut app, 120, 40);
    assert!(
        screen.contains("Quotes for XYZ: no security definition has been found"),
        "{screen}"
    );
    assert!(
        screen.contains("Risk: AAPL moved -6.3% on 2026-11-12"),
        "{screen}"
    );
}

#[test]
fn keys_faster_than_frames_act_on_what_they_would_see() {
    // A paste or a fast typist: no frame is drawn between the keys.
    let mut app = app();
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('/'));
    typed(&mut app, "vxus");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    let screen = text(&mut app, 120, 40);
    assert!(screen.contains("VXUS in Taxable"), "{screen}");
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('3'));
    press(&mut app, KeyCode::Char('G'));
    press(&mut app, KeyCode::Enter);
    let oldest = demo().transactions.last().unwrap().id;
    let screen = text(&mut app, 120, 40);
    assert!(
        screen.contains(&format!("Transaction #{oldest}")),
        "{screen}"
    );
}

#[test]
fn chords_are_not_pane_keys_and_ignored_keys_keep_a_pending_redraw() {
    let mut app = app();
    let before = text(&mut app, 120, 40);
    app.key(KeyEvent::new(KeyCode::Char('o'), KeyModifiers::CONTROL));
    app.key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::ALT));
    assert!(!app.quit);
    assert_eq!(text(&mut app, 120, 40), before, "Ctrl-O did not sort");
    assert!(!app.dirty);
    press(&mut app, KeyCode::Char('x'));
    assert!(!app.dirty, "an unused key asks for no redraw");
    app.dirty = true; // e.g. a resize just arrived
    press(&mut app, KeyCode::Char('x'));
    assert!(app.dirty, "and does not cancel one that is pending");
}

#[test]
fn the_status_bar_follows_the_broker_connection() {
    use folio::market::feed::FeedState;
    let mut app = Cockpit::new(
        demo_session(),
        Setup {
            db_label: "~/folio.db".into(),
            db_flag: String::new(),
            demo: false,
            feed: Some(QuoteSource::Ibkr),
            broker: folio::domain::order::BrokerKind::Paper,
        },
        Theme { color: false },
    );
    assert!(matches!(
        app.take_effects().as_slice(),
        [Effect::StartFeed {
            source: QuoteSource::Ibkr,
            ..
        }]
    ));
    let status = |app: &mut Cockpit| text(app, 120, 40).lines().last().unwrap().to_string();
    assert!(
        status(&mut app).contains("ibkr: starting"),
        "{}",
        status(&mut app)
    );
    for (state, shown) in [
        (FeedState::Connecting, "ibkr: connecting"),
        (FeedState::Connected, "ibkr: connected"),
        (
            FeedState::Reconnecting { attempt: 2 },
            "ibkr: reconnecting (attempt 2)",
        ),
        (
            FeedState::Interrupted("data farm disconnected: usfarm (2103)".into()),
            "ibkr: interrupted: data farm disconnected: usfarm (2103)",
        ),
        (
            FeedState::Offline("nothing is listening at 127.0.0.1:4002".into()),
            "ibkr: offline: nothing is listening at 127.0.0.1:4002",
        ),
    ] {
        app.update(Msg::Feed(FeedEvent::State(state)));
        let s = status(&mut app);
        assert!(s.contains(shown), "{s}");
    }
}

#[test]
fn the_dashboard_shows_the_brokers_valuation_beside_the_ledgers() {
    use folio::market::feed::BrokerAccount;
    use rust_decimal_macros::dec;
    let mut app = app();
    assert!(!text(&mut app, 120, 40).contains("Broker "));
    app.update(Msg::Feed(FeedEvent::Accounts(vec![
        BrokerAccount {
            account: "U111".into(),
            net_liquidation: Some(dec!(12345.67)),
            cash: Some(dec!(100.5)),
            currency: "USD".into(),
        },
        BrokerAccount {
            account: "U222".into(),
            net_liquidation: Some(dec!(1000)),
            cash: None,
            currency: "USD".into(),
        },
    ])));
    let screen = text(&mut app, 120, 40);
    assert!(
        screen.contains("Broker net liquidation USD 13,345.67   cash 100.50   U111, U222"),
        "{screen}"
    );
}

#[test]
fn snapshots_of_the_plan_pane() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = app();
        press(&mut app, KeyCode::Char('6'));
        insta::assert_snapshot!(format!("plan_{w}x{h}"), draw(&mut app, w, h).backend());
    }
}

/// The success rate the pane shows, as a number.
fn success(screen: &str) -> f64 {
    let line = screen
        .lines()
        .find_map(|l| l.split("Success ").nth(1))
        .unwrap_or_else(|| panic!("no success rate:\n{screen}"));
    line.split('%').next().unwrap().trim().parse().unwrap()
}

#[test]
fn the_plan_pane_runs_on_its_own_and_what_if_keys_run_again() {
    let mut app = app();
    press(&mut app, KeyCode::Char('6'));
    draw(&mut app, 120, 40);
    app.settle();
    let first = text(&mut app, 120, 40);
    assert!(first.contains("Withdrawal   4.00%"), "{first}");
    assert!(first.contains("10,000 paths"), "{first}");
    let base = success(&first);
    // More withdrawn: a lower success rate.
    press(&mut app, KeyCode::Char('+'));
    assert!(app.busy(), "the key starts a run");
    app.settle();
    let more = text(&mut app, 120, 40);
    assert!(more.contains("Withdrawal   4.25%"), "{more}");
    assert!(success(&more) < base, "{base} -> {more}");
    press(&mut app, KeyCode::Char('-'));
    press(&mut app, KeyCode::Char('-'));
    app.settle();
    let less = text(&mut app, 120, 40);
    assert!(less.contains("Withdrawal   3.75%"), "{less}");
    assert!(success(&less) > base, "{base} -> {less}");
    // The stock share moves by 5 points.
    let stocks = |s: &str| {
        s.lines()
            .find(|l| l.contains("Stocks"))
            .unwrap()
            .to_string()
    };
    let before = stocks(&less);
    press(&mut app, KeyCode::Char(']'));
    app.settle();
    assert_ne!(stocks(&text(&mut app, 120, 40)), before);
    // Editing a field in place: Years to 20.
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    typed(&mut app, "20");
    press(&mut app, KeyCode::Enter);
    app.settle();
    let twenty = text(&mut app, 120, 40);
    assert!(twenty.contains("Years        20"), "{twenty}");
    assert!(twenty.contains("year 20"), "{twenty}");
    // Bad text changes nothing and says what the field takes; q while typing is text.
    press(&mut app, KeyCode::Enter);
    typed(&mut app, "lots q");
    press(&mut app, KeyCode::Enter);
    assert!(!app.quit);
    let bad = text(&mut app, 120, 40);
    assert!(bad.contains("Years: 'lots q' is not 1 to 100"), "{bad}");
    assert!(bad.contains("Years        20"), "{bad}");
    // A choice cycles with the arrows: the model.
    for _ in 0..4 {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Right);
    app.settle();
    assert!(text(&mut app, 120, 40).contains("student-t"));
}

#[test]
fn a_plan_run_can_be_cancelled_and_a_plan_saved() {
    let session = Arc::new(
        Session::demo(
            Config::default(),
            Clock::Fixed(today()),
            None,
            Access::Write,
        )
        .unwrap(),
    );
    let db = session.db_path().to_path_buf();
    let mut app = Cockpit::new(session, setup(), Theme { color: false });
    press(&mut app, KeyCode::Char('6'));
    draw(&mut app, 100, 30);
    // A million paths, cancelled at once.
    for _ in 0..12 {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Enter);
    typed(&mut app, "1000000");
    press(&mut app, KeyCode::Enter);
    assert!(app.busy());
    let running = text_now(&mut app, 100, 30);
    assert!(running.contains("Esc cancels"), "{running}");
    press(&mut app, KeyCode::Esc);
    app.settle();
    assert!(text(&mut app, 100, 30).contains("Cancelled."));
    // Save under a name: in the database, and listed.
    press(&mut app, KeyCode::Char('S'));
    typed(&mut app, "early retirement");
    press(&mut app, KeyCode::Enter);
    app.settle();
    let saved = text(&mut app, 100, 30);
    assert!(saved.contains("Saved as 'early retirement'."), "{saved}");
    assert!(saved.contains("Saved (o): early retirement"), "{saved}");
    let plans = folio::store::Store::open(&db).unwrap().plans().unwrap();
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].name, "early retirement");
    assert!(
        plans[0].inputs.contains("\"paths\":1000000"),
        "{}",
        plans[0].inputs
    );
}

/// The value after `label` on the screen, as a decimal ("Net worth USD 365,666.42" -> 365666.42).
fn figure(screen: &str, label: &str) -> rust_decimal::Decimal {
    let rest = screen
        .split(label)
        .nth(1)
        .unwrap_or_else(|| panic!("no '{label}' on the screen:\n{screen}"));
    let number: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '-' | '+'))
        .filter(|c| *c != ',' && *c != '+')
        .collect();
    number
        .trim_end_matches('.')
        .parse()
        .unwrap_or_else(|e| panic!("'{number}' after '{label}': {e}"))
}

#[test]
fn the_cockpit_and_the_command_line_show_the_same_figures() {
    use rust_decimal::Decimal;
    // Both on the demo as of the same day, the cockpit without a feed (valued at the closes,
    // like the command line).
    let env = crate::common::Env::new();
    let cli = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["--demo", "--today", "2026-11-22"];
        all.extend_from_slice(args);
        all.push("--json");
        crate::common::Run::from(env.command().args(&all).output().unwrap()).json()
    };
    let dec = |v: &serde_json::Value| -> Decimal { v.as_str().unwrap().parse().unwrap() };
    let mut app = Cockpit::new(
        demo_session(),
        Setup {
            feed: None,
            broker: folio::domain::order::BrokerKind::Paper,
            ..setup()
        },
        Theme { color: false },
    );

    // Net worth.
    let dashboard = cli(&["dashboard"]);
    let screen = text(&mut app, 120, 40);
    assert_eq!(
        figure(&screen, "Net worth USD"),
        dec(&dashboard["summary"]["net_worth"]),
        "{screen}"
    );
    assert_eq!(
        figure(&screen, "Cash"),
        dec(&dashboard["summary"]["cash"]).round_dp(2)
    );

    // Every holding's value, account by account.
    let holdings = cli(&["holdings"]);
    press(&mut app, KeyCode::Char('2'));
    let screen = text(&mut app, 160, 60);
    for h in holdings["holdings"].as_array().unwrap() {
        let (account, symbol) = (
            h["account"].as_str().unwrap(),
            h["symbol"].as_str().unwrap(),
        );
        let value = folio::format::money(dec(&h["market_value"]));
        let row = screen
            .lines()
            .find(|l| l.starts_with(&format!("{account:<10} {symbol} ")))
            .unwrap_or_else(|| panic!("no {account} {symbol} row:\n{screen}"));
        assert!(row.contains(&value), "{row} shows {value}");
    }

    // The harvestable loss.
    let harvest = cli(&["harvest"]);
    press(&mut app, KeyCode::Char('4'));
    let screen = text(&mut app, 120, 40);
    assert_eq!(
        figure(&screen, "Harvestable"),
        dec(&harvest["summary"]["harvestable_loss"]),
        "{screen}"
    );

    // A risk figure: the portfolio's volatility over the configured window.
    let risk = cli(&["risk"]);
    press(&mut app, KeyCode::Char('5'));
    let screen = text(&mut app, 120, 40);
    let volatility = risk["portfolio"]["volatility"].as_f64().unwrap();
    assert_eq!(
        figure(&screen, "Volatility"),
        Decimal::try_from(volatility * 100.0).unwrap().round_dp(1),
        "{screen}"
    );

    // The plan's success: the pane's first run is `folio plan --from-portfolio
    // --withdrawal-rate 0.04`.
    let plan = cli(&["plan", "--from-portfolio", "--withdrawal-rate", "0.04"]);
    press(&mut app, KeyCode::Char('6'));
    let screen = text(&mut app, 120, 40);
    let success = plan["success_rate"].as_f64().unwrap();
    assert_eq!(
        figure(&screen, "Success"),
        Decimal::try_from(success * 100.0).unwrap().round_dp(1),
        "{screen}"
    );
}

#[test]
fn the_rebalance_pane_shows_the_plan_the_command_line_proposes_and_opens_its_trades() {
    use rust_decimal::Decimal;
    // `folio rebalance` on the demo as of the cockpit's day: the same question, one answer.
    let env = crate::common::Env::new();
    let cli = crate::common::Run::from(
        env.command()
            .args(["--demo", "--today", "2026-11-22", "rebalance", "--json"])
            .output()
            .unwrap(),
    )
    .json();
    let dec = |v: &serde_json::Value| -> Decimal { v.as_str().unwrap().parse().unwrap() };
    let plan = &cli["plan"];
    let trades = plan["trades"].as_array().unwrap();
    assert!(trades.len() >= 2, "{cli}");

    // With quotes streaming: the plan is at the closes, as the command's is.
    let mut app = app();
    press(&mut app, KeyCode::Char('8'));
    assert_eq!(app.current_pane(), "Rebalance");
    let screen = text(&mut app, 80, 24);
    assert_eq!(
        figure(&screen, "Estimated tax"),
        dec(&plan["estimated_tax"]),
        "{screen}"
    );
    assert!(
        screen.contains(&format!(
            "Tax saved {}",
            folio::format::money(dec(&cli["tax_saved"]))
        )),
        "{screen}"
    );
    // Every trade of the plan is a row: side, account, symbol, shares, amount.
    for t in trades {
        let row = format!(
            "{:<4} {:<10} {:<6}",
            t["side"].as_str().unwrap(),
            t["account"].as_str().unwrap(),
            t["symbol"].as_str().unwrap()
        );
        let line = screen
            .lines()
            .find(|l| l.starts_with(&row))
            .unwrap_or_else(|| panic!("no row {row:?}:\n{screen}"));
        assert!(
            line.contains(&folio::format::qty(dec(&t["quantity"]))),
            "{line}"
        );
        assert!(
            line.contains(&folio::format::money(dec(&t["amount"]))),
            "{line}"
        );
    }
    // The drift table: out-of-band targets are marked, and the plan brings them back.
    let bonds = screen
        .lines()
        .find(|l| l.starts_with("US bonds"))
        .expect(&screen);
    assert!(bonds.contains("25%") && bonds.contains('!'), "{bonds}");
    // The first trade's reason is the detail line.
    let reason: String = trades[0]["reason"]
        .as_str()
        .unwrap()
        .chars()
        .take(30)
        .collect();
    assert!(screen.contains(&format!("› {reason}")), "{screen}");

    // b on a buy opens the ticket with its symbol, shares and account; Esc closes it.
    let buy = trades
        .iter()
        .position(|t| t["side"] == "buy")
        .expect("the demo's plan buys");
    for _ in 0..buy {
        press(&mut app, KeyCode::Char('j'));
    }
    press(&mut app, KeyCode::Char('b'));
    let ticket = text(&mut app, 80, 24);
    let t = &trades[buy];
    assert!(ticket.contains("Paper order"), "{ticket}");
    assert!(ticket.contains("Side  BUY"), "{ticket}");
    assert!(
        ticket.contains(&format!("Symbol  {}", t["symbol"].as_str().unwrap())),
        "{ticket}"
    );
    assert!(
        ticket.contains(&format!("Qty [{}]", dec(&t["quantity"]).normalize())),
        "{ticket}"
    );
    assert!(
        ticket.contains(&format!("Account  {}", t["account"].as_str().unwrap())),
        "{ticket}"
    );
    press(&mut app, KeyCode::Esc);
    assert!(!text(&mut app, 80, 24).contains("Paper order"));

    // Enter on a taxable sale opens it as planned: a sale of its lots.
    let sale = trades
        .iter()
        .position(|t| t["side"] == "sell" && t["account_kind"] == "taxable")
        .expect("the demo's plan sells in the taxable account");
    press(&mut app, KeyCode::Char('g'));
    for _ in 0..sale {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Enter);
    let ticket = text(&mut app, 80, 24);
    let t = &trades[sale];
    assert!(ticket.contains("Side  SELL"), "{ticket}");
    assert!(
        ticket.contains(&format!("Qty [{}]", dec(&t["quantity"]).normalize())),
        "{ticket}"
    );
    let lots = t["lots"][0]["purchased"].as_str().unwrap();
    assert!(ticket.contains(&format!("Lots  {lots}")), "{ticket}");
    press(&mut app, KeyCode::Esc);
    // b on that sale opens the sale too, never a purchase that would wash its loss.
    press(&mut app, KeyCode::Char('b'));
    let ticket = text(&mut app, 80, 24);
    assert!(ticket.contains("Side  SELL"), "{ticket}");
    assert!(ticket.contains(&format!("Lots  {lots}")), "{ticket}");
    press(&mut app, KeyCode::Esc);

    // The options ask again; the last plan stays on screen, marked, until the answer.
    press(&mut app, KeyCode::Char('c'));
    let asking = text_now(&mut app, 80, 24);
    assert!(asking.contains("planning…"), "{asking}");
    let screen = text(&mut app, 80, 24);
    assert!(!screen.contains("planning…"), "{screen}");
    assert!(screen.contains("new cash 1,000.00"), "{screen}");
    press(&mut app, KeyCode::Char('n'));
    let screen = text(&mut app, 80, 24);
    assert!(screen.contains("buys only"), "{screen}");
    assert!(
        !screen.lines().any(|l| l.starts_with("sell ")),
        "no-sell sells nothing:\n{screen}"
    );
    // The tax-blind plan is the one proposed when asked for.
    press(&mut app, KeyCode::Char('n'));
    press(&mut app, KeyCode::Char('c'));
    press(&mut app, KeyCode::Char('c'));
    press(&mut app, KeyCode::Char('c'));
    press(&mut app, KeyCode::Char('t'));
    let screen = text(&mut app, 80, 24);
    assert!(screen.contains("new cash 0"), "{screen}");
    assert_eq!(
        figure(&screen, "Tax-blind plan"),
        Decimal::from(cli["alternative"]["trades"].as_array().unwrap().len()),
        "{screen}"
    );
    assert_eq!(
        figure(&screen, "Estimated tax"),
        dec(&cli["alternative"]["estimated_tax"]),
        "{screen}"
    );
    press(&mut app, KeyCode::Char('m'));
    let screen = text(&mut app, 80, 24);
    assert!(screen.contains("at most 3 trades"), "{screen}");
    let rows = screen
        .lines()
        .filter(|l| l.starts_with("sell ") || l.starts_with("buy "))
        .count();
    assert!(rows <= 3, "{screen}");
}

#[test]
fn the_dashboard_shows_each_class_beside_its_target_and_marks_the_drift() {
    let mut app = app();
    let screen = text(&mut app, 80, 24);
    assert!(screen.contains("Allocation vs targets"), "{screen}");
    let row = |name: &str| -> String {
        screen
            .lines()
            .filter_map(|l| l.split("││").nth(1))
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} row:\n{screen}"))
            .to_string()
    };
    // The demo's targets: US bonds 25% and under it by more than its band, marked with ! so
    // that it shows without colour; US stocks within its band, unmarked.
    let bonds = row("US bonds");
    assert!(bonds.contains(" 25% "), "{bonds}");
    assert!(bonds.trim_end_matches('│').ends_with('!'), "{bonds}");
    assert!(bonds.contains(" -7."), "{bonds}");
    let stocks = row("US stocks");
    assert!(stocks.contains(" 50% "), "{stocks}");
    assert!(!stocks.contains('!'), "{stocks}");
    // Cash has no target and counts in the weights, as in `folio targets`.
    assert!(row("Cash").contains(" - "), "{screen}");
    // In colour, out of band is in the warning colour too.
    let mut app = app_with(Theme { color: true }, 20);
    let t = draw(&mut app, 80, 24);
    let buf = t.backend().buffer();
    let at = (0..24)
        .flat_map(|y| (0..80).map(move |x| (x, y)))
        .find(|&(x, y)| {
            x > 50 && buf[(x, y)].symbol() == "!" && buf[(x.saturating_sub(1), y)].symbol() != " "
        })
        .expect("a marked row");
    assert_eq!(buf[at].fg, Color::Yellow);
}

#[test]
fn without_targets_the_dashboard_and_the_rebalance_pane_say_how_to_set_them() {
    let s = Session::demo(
        Config::default(),
        Clock::Fixed(today()),
        None,
        Access::Write,
    )
    .unwrap();
    assert!(folio::app::targets::clear_targets(&s, None).unwrap());
    let mut app = Cockpit::new(Arc::new(s), setup(), Theme { color: false });
    let screen = text(&mut app, 80, 24);
    assert!(screen.contains("Allocation by class"), "{screen}");
    assert!(screen.contains("No targets: folio targets set"), "{screen}");
    press(&mut app, KeyCode::Char('8'));
    let screen = text(&mut app, 80, 24);
    assert!(screen.contains("No household targets are set"), "{screen}");
    assert!(
        screen.contains("folio targets set \"US stocks=60"),
        "{screen}"
    );
    // Nothing was asked: no plan, no error.
    assert!(!screen.contains("could not be planned"), "{screen}");
}

#[test]
fn stale_prices_are_one_alert_and_the_alerts_scroll() {
    // The demo as it was built on 2026-11-23, opened three weeks later: every price is stale.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old-demo.db");
    folio::demo::build(&db, "2026-11-20".parse().unwrap()).unwrap();
    let session = Session::new(Options {
        db_path: db,
        access: Access::Read,
        config: Config::default(),
        clock: Clock::Fixed("2026-12-11".parse().unwrap()),
        data_dir: None,
    });
    let mut app = Cockpit::new(Arc::new(session), setup(), Theme { color: false });
    for i in 0..12 {
        app.update(Msg::Feed(FeedEvent::SymbolError {
            symbol: format!("X{i:02}"),
            message: format!("error {i:02}: no security definition"),
        }));
    }
    let alerts = app.alerts();
    let stale: Vec<&String> = alerts
        .iter()
        .filter(|a| a.contains("no price since"))
        .collect();
    assert_eq!(
        stale.len(),
        1,
        "one line for every stale price: {alerts:#?}"
    );
    assert!(
        stale[0].starts_with("Risk: 12 holdings have no price since 2026-11-20: "),
        "{}",
        stale[0]
    );
    // More alerts than fit at 80x24: a marker says so and the keys reach the last one.
    press(&mut app, KeyCode::Char('a'));
    let first = text(&mut app, 80, 24);
    assert!(first.contains("more (↓ PgDn)"), "{first}");
    assert!(!first.contains("error 11:"), "{first}");
    press(&mut app, KeyCode::Char('G'));
    let last = text(&mut app, 80, 24);
    assert!(last.contains("error 11:"), "{last}");
    assert!(last.contains("more (↑ PgUp)"), "{last}");
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(text(&mut app, 80, 24), first);
    press(&mut app, KeyCode::Down);
    assert_ne!(text(&mut app, 80, 24), first, "one line down");
    press(&mut app, KeyCode::Esc);
    assert!(!text(&mut app, 80, 24).contains("Esc closes"));
}

#[test]
fn an_import_from_another_shell_shows_up_and_r_reads_again() {
    let env = crate::common::Env::new();
    env.import("first.csv", crate::common::SAMPLE, &[]).ok();
    let prices = env.write("p.csv", crate::common::SAMPLE_PRICES);
    env.run(&["prices", "import", prices.to_str().unwrap()])
        .ok();
    let session = Session::new(Options {
        db_path: env.db(),
        access: Access::Write,
        config: Config::default(),
        clock: Clock::Fixed("2024-07-02".parse().unwrap()),
        data_dir: None,
    });
    let mut app = Cockpit::new(
        Arc::new(session),
        Setup {
            feed: None,
            broker: folio::domain::order::BrokerKind::Paper,
            ..setup()
        },
        Theme { color: false },
    );
    press(&mut app, KeyCode::Char('2'));
    assert!(!text(&mut app, 120, 40).contains("MSFT"));
    // Another process imports a purchase.
    env.import(
        "more.csv",
        "date,account,action,symbol,quantity,price,fees,amount,currency,lot,note\n2024-07-01,Brokerage,BUY,MSFT,2,400,0,,USD,,\n",
        &[],
    )
    .ok();
    // The cockpit looks every two seconds: the next look sees it and reads everything again.
    app.set_now(now() + TimeDelta::seconds(3), today());
    app.settle();
    app.set_now(now() + TimeDelta::seconds(6), today());
    let screen = text(&mut app, 120, 40);
    assert!(screen.contains("MSFT"), "{screen}");
    // R reads again on demand (here: nothing new, the same screen).
    press(&mut app, KeyCode::Char('R'));
    assert_eq!(text(&mut app, 120, 40), screen);
}

/// A quote stamped now (the ticket's checks count its age to the cockpit's clock).
fn fresh(symbol: &str, bid: &str, ask: &str) -> folio::domain::Quote {
    let d = |s: &str| s.parse::<rust_decimal::Decimal>().unwrap();
    folio::domain::Quote {
        symbol: symbol.into(),
        last: (d(bid) + d(ask)) / rust_decimal::Decimal::TWO,
        bid: Some(d(bid)),
        ask: Some(d(ask)),
        prev_close: None,
        volume: None,
        time: Utc::now(),
        source: QuoteSource::Simulated,
        freshness: folio::domain::Freshness::Live,
    }
}

/// A writable demo cockpit with a fresh VTI quote, its ticket open for a purchase of VTI: on
/// Holdings, filtered to VTI, `b` opens it priced at the ask.
fn trading() -> Cockpit {
    trading_with(Config::default(), setup())
}

fn trading_with(config: Config, setup: Setup) -> Cockpit {
    let s = Arc::new(Session::demo(config, Clock::Fixed(today()), None, Access::Write).unwrap());
    let mut app = Cockpit::new(s, setup, Theme { color: false });
    let _ = app.take_effects();
    app.set_now(Utc::now(), today());
    app.update(Msg::Feed(FeedEvent::Quotes(vec![fresh(
        "VTI", "386.00", "386.10",
    )])));
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('/'));
    typed(&mut app, "VTI");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('b'));
    app
}

#[test]
fn the_ticket_previews_as_the_fields_change_sends_on_confirmation_and_trades_cancels() {
    let mut app = trading();
    let screen = text(&mut app, 80, 24);
    assert!(screen.contains("Paper order"), "{screen}");
    assert!(screen.contains("give a quantity"), "{screen}");
    typed(&mut app, "5");
    let screen = text(&mut app, 80, 24);
    assert!(screen.contains("Limit  386.10"), "{screen}");
    assert!(
        screen.contains("Value 1,930.50  commission 1.00"),
        "{screen}"
    );
    assert!(screen.contains("✓ checks passed"), "{screen}");
    // Enter asks; anything but y goes back; y sends.
    press(&mut app, KeyCode::Enter);
    assert!(text(&mut app, 80, 24).contains("Send this order? y / N"));
    press(&mut app, KeyCode::Char('n'));
    assert!(!text(&mut app, 80, 24).contains("Send this order?"));
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('y'));
    let screen = text(&mut app, 80, 24);
    assert!(
        screen.contains("Order 1 filled: BUY 5 VTI at 386.10"),
        "{screen}"
    );
    press(&mut app, KeyCode::Esc);
    // A resting order: the band check first refuses a limit too far away, at the field.
    press(&mut app, KeyCode::Char('b'));
    typed(&mut app, "3");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    for _ in 0..6 {
        press(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "300");
    assert!(text(&mut app, 80, 24).contains("the band is 5%"));
    for _ in 0..3 {
        press(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "380");
    // Enter waits for the preview of what the fields say now.
    press(&mut app, KeyCode::Enter);
    assert!(!text_now(&mut app, 80, 24).contains("Send this order?"));
    assert!(text(&mut app, 80, 24).contains("✓ checks passed"));
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('y'));
    let screen = text(&mut app, 80, 24);
    assert!(screen.contains("Order 2 working"), "{screen}");
    press(&mut app, KeyCode::Esc);
    // The Trades pane lists both; o moves to the orders, c and y cancel the working one.
    press(&mut app, KeyCode::Char('3'));
    let screen = text(&mut app, 80, 24);
    assert!(screen.contains("1 working, 2 shown"), "{screen}");
    assert!(screen.contains("BUY 3 VTI limit 380.00"), "{screen}");
    press(&mut app, KeyCode::Char('o'));
    press(&mut app, KeyCode::Char('c'));
    assert!(text(&mut app, 80, 24).contains("Cancel order 2"));
    press(&mut app, KeyCode::Char('y'));
    let screen = text(&mut app, 80, 24);
    assert!(screen.contains("Order 2 cancelled"), "{screen}");
    assert!(screen.contains("0 working, 2 shown"), "{screen}");
    // The fill became a transaction in the ledger the panes read.
    assert!(screen.contains("BUY"), "{screen}");
}

#[test]
fn a_resting_paper_order_fills_when_the_feed_reaches_it() {
    let mut app = trading();
    typed(&mut app, "2");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    for _ in 0..6 {
        press(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "385");
    assert!(text(&mut app, 80, 24).contains("✓ checks passed"));
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('y'));
    assert!(text(&mut app, 80, 24).contains("Order 1 working"));
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('3'));
    // The ask comes down to the limit: the order fills at its limit.
    app.update(Msg::Feed(FeedEvent::Quotes(vec![fresh(
        "VTI", "384.80", "384.90",
    )])));
    let screen = text(&mut app, 80, 24);
    assert!(screen.contains("0 working, 1 shown"), "{screen}");
    assert!(screen.contains("filled"), "{screen}");
    assert!(screen.contains("385.00"), "{screen}");
}

#[test]
fn an_ibkr_ticket_shows_the_brokers_what_if_before_it_is_confirmed() {
    use crate::fake_tws::{FakeTws, Fill, Script};
    let fake = FakeTws::start(Script {
        fill: Fill::Rest,
        ..Script::default()
    });
    let config = Config::parse(&format!(
        "[ibkr]\nport = {}\nconnect_timeout_secs = 3\n[broker]\ndefault = \"ibkr\"\nack_timeout_secs = 3\n",
        fake.addr.port()
    ))
    .unwrap();
    let mut app = trading_with(
        config,
        Setup {
            broker: folio::domain::order::BrokerKind::Ibkr,
            ..setup()
        },
    );
    typed(&mut app, "2");
    let screen = text(&mut app, 80, 24);
    assert!(screen.contains("IBKR order"), "{screen}");
    assert!(screen.contains("✓ checks passed"), "{screen}");
    press(&mut app, KeyCode::Enter);
    let screen = text(&mut app, 80, 24);
    assert!(
        screen.contains("IBKR what-if: commission 1.00, initial margin change 1,234.50"),
        "{screen}"
    );
    assert!(screen.contains("Send this order? y / N"), "{screen}");
    press(&mut app, KeyCode::Char('y'));
    let screen = text(&mut app, 80, 24);
    assert!(screen.contains("Order 1 working: BUY 2 VTI"), "{screen}");
    let placed = fake.seen.lock().unwrap().placed.clone();
    assert_eq!(placed.iter().filter(|p| !p.5).count(), 1, "{placed:?}");
    assert!(placed.iter().any(|p| p.5), "the what-if went first");
}
