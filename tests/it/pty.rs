//! End to end: the real `folio --demo` in a pseudo-terminal, its screen read through a
//! terminal emulator (vt100), driven with keys and signals like a person (or sshd) would.

use std::io::{Read, Write};
use std::process::{Child, ExitStatus};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::common::Env;

struct Tty {
    pty: Option<Arc<pty_process::blocking::Pty>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    screen: Arc<Mutex<vt100::Parser>>,
    child: Child,
    reader: Option<JoinHandle<()>>,
}

impl Tty {
    fn spawn(env: &Env, args: &[&str], rows: u16, cols: u16) -> Tty {
        Tty::spawn_with(env, args, rows, cols, &[])
    }

    fn spawn_with(env: &Env, args: &[&str], rows: u16, cols: u16, vars: &[(&str, &str)]) -> Tty {
        let (pty, pts) = pty_process::blocking::open().unwrap();
        pty.resize(pty_process::Size::new(rows, cols)).unwrap();
        let std = env.command();
        let mut cmd = pty_process::blocking::Command::new(std.get_program()).args(args);
        for (k, v) in std.get_envs() {
            cmd = match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        for (k, v) in vars {
            cmd = cmd.env(k, v);
        }
        let child = cmd.env("TERM", "xterm-256color").spawn(pts).unwrap();
        let pty = Arc::new(pty);
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            rows.try_into().unwrap(),
            cols.try_into().unwrap(),
            0,
        )));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = {
            let (pty, screen, stop) = (pty.clone(), screen.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                // Ends with EIO once the child has exited and closed the terminal, or after
                // the next output once asked to stop (to close the master side).
                while let Ok(n @ 1..) = (&*pty).read(&mut buf) {
                    screen.lock().unwrap().process(&buf[..n]);
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                }
            })
        };
        Tty {
            pty: Some(pty),
            stop,
            screen,
            child,
            reader: Some(reader),
        }
    }

    fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Waits until the screen shows every one of `texts`; returns the screen.
    #[track_caller]
    fn wait_for(&self, texts: &[&str]) -> String {
        let start = Instant::now();
        loop {
            let s = self.contents();
            if texts.iter().all(|t| s.contains(t)) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "timed out waiting for {texts:?}; the screen shows:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the screen no longer shows `text`.
    #[track_caller]
    fn wait_gone(&self, text: &str) {
        let start = Instant::now();
        while self.contents().contains(text) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "timed out waiting for {text:?} to go; the screen shows:\n{}",
                self.contents()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn keys(&self, bytes: &[u8]) {
        (&**self.pty.as_ref().unwrap()).write_all(bytes).unwrap();
    }

    /// Closes the master side of the terminal, as sshd does when a connection drops.
    fn hang_up(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        // The reader lets go of its handle after the next output (the cockpit ticks).
        if let Some(r) = self.reader.take() {
            r.join().unwrap();
        }
        self.pty = None;
    }

    #[track_caller]
    fn wait_exit(&mut self) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader take the last bytes.
                if let Some(r) = self.reader.take() {
                    r.join().unwrap();
                }
                return status;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "folio did not exit; the screen shows:\n{}",
                self.contents()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Alternate screen left and cursor visible: the shell is usable again.
    #[track_caller]
    fn assert_restored(&self) {
        let parser = self.screen.lock().unwrap();
        let screen = parser.screen();
        assert!(!screen.alternate_screen(), "still on the alternate screen");
        assert!(!screen.hide_cursor(), "the cursor is still hidden");
    }
}

impl Drop for Tty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_demo_cockpit_switches_panes_and_quits_restoring_the_terminal() {
    let env = Env::new();
    let mut tty = Tty::spawn(&env, &["--demo"], 24, 80);
    let dash = tty.wait_for(&[
        "1 Dashboard",
        "Net worth USD",
        "simulated quotes",
        "Value 1Y",
    ]);
    assert!(tty.screen.lock().unwrap().screen().alternate_screen());
    assert!(
        dash.contains("VTI") && dash.contains("Allocation"),
        "{dash}"
    );

    tty.keys(b"2");
    tty.wait_for(&["Account", "Gain %", "Taxable", "IRA"]);
    tty.keys(b"\r");
    tty.wait_for(&["Acquired", "To long term", "AGG in IRA"]);
    // Each lone Esc is seen to close its view before the next key goes: an Esc with a key
    // right behind it in the same read is Alt+key (and the lot table has a "Gain %" too).
    tty.keys(b"\x1b");
    tty.wait_gone("AGG in IRA");
    tty.wait_for(&["Gain %"]);
    // b opens the order ticket on the selected holding; Esc closes it, nothing sent.
    tty.keys(b"b");
    tty.wait_for(&["Paper order", "give a quantity"]);
    tty.keys(b"\x1b");
    tty.wait_gone("Paper order");
    tty.keys(b"3");
    tty.wait_for(&["Date", "Action", "No orders yet", "DIVIDEND"]);
    tty.keys(b"?");
    tty.wait_for(&["Keys", "from:2024-01-01 to:2024-12-31"]);
    tty.keys(b"\x1b");
    tty.wait_gone("Keys ─");
    tty.keys(b"\t");
    tty.wait_for(&["Harvestable", "VWO", "IEMG", "clean"]);
    tty.keys(b"\r");
    tty.wait_for(&["VWO in Taxable", "Buy back", "Replacements"]);
    tty.keys(b"\x1b");
    tty.wait_gone("VWO in Taxable");
    tty.wait_for(&["Harvestable"]);
    tty.keys(b"\t");
    tty.wait_for(&["Portfolio drawdown", "Correlations"]);
    tty.keys(b"\t");
    // The Plan pane runs its plan on its own; a what-if key runs it again.
    tty.wait_for(&["Assumptions", "Success", "13 holdings"]);
    tty.keys(b"+");
    tty.wait_for(&["4.25%"]);
    tty.keys(b"\t");
    // The Chat pane: the demo's offline assistant answers (the view follows the end).
    tty.wait_for(&["press i or Enter to ask"]);
    tty.keys(b"i");
    tty.wait_for(&["offline assistant · on this machine"]);
    tty.keys(b"what do I hold?\r");
    tty.wait_for(&["unrealized gain", "thread #1"]);
    tty.keys(b"\x1b");
    tty.wait_for(&["i ask · t threads"]);
    // The Rebalance pane: the household's plan back to the demo's targets, beside the
    // tax-blind one; b opens the ticket on the selected trade.
    tty.keys(b"\t");
    tty.wait_for(&[
        "8 Rebalance",
        "Tax-aware plan",
        "Tax-blind plan",
        "Goal",
        "→ After",
    ]);
    tty.keys(b"b");
    tty.wait_for(&["Paper order"]);
    tty.keys(b"\x1b");
    tty.wait_gone("Paper order");
    tty.keys(b"\t");
    tty.wait_for(&["Net worth USD"]);

    tty.keys(b"q");
    let status = tty.wait_exit();
    assert!(status.success(), "{status:?}");
    tty.assert_restored();
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() {
    for signal in ["-TERM", "-HUP"] {
        let env = Env::new();
        let mut tty = Tty::spawn(&env, &["--demo"], 40, 120);
        tty.wait_for(&["Net worth USD", "simulated quotes"]);
        let pid = tty.child.id().to_string();
        let kill = std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap();
        assert!(kill.success());
        let status = tty.wait_exit();
        assert!(status.success(), "{signal}: {status:?}");
        tty.assert_restored();
    }
}

#[test]
fn a_panic_restores_the_terminal_and_still_prints_its_message() {
    let env = Env::new();
    let mut tty = Tty::spawn_with(
        &env,
        &["--demo", "--test-hook", "panic-after-draw"],
        24,
        80,
        &[("RUST_BACKTRACE", "0")],
    );
    let status = tty.wait_exit();
    assert_eq!(status.code(), Some(101), "a panic exits with 101");
    tty.assert_restored();
    let screen = tty.contents();
    assert!(
        screen.contains("test panic requested by the panic-after-draw test hook"),
        "{screen}"
    );
}

#[test]
fn the_cockpit_on_a_new_database_welcomes_and_changes_nothing_but_the_schema() {
    let env = Env::new();
    let db = env.db();
    let mut tty = Tty::spawn(&env, &["--db", db.to_str().unwrap()], 24, 80);
    // The commands it suggests import into this database, not the default one.
    let import = format!("folio --db {} import transactions.csv", db.display());
    tty.wait_for(&["Welcome to folio", &import, "folio --demo"]);
    tty.keys(b"\x03"); // Ctrl-C
    assert!(tty.wait_exit().success());
    tty.assert_restored();
    // A new, empty database (created to show the welcome): no rows anywhere.
    for table in ["accounts", "transactions", "prices", "quotes", "imports"] {
        assert_eq!(env.count(table), 0, "{table}");
    }
}

#[test]
fn a_dropped_connection_ends_the_cockpit_quietly() {
    // Closing the terminal's master side is what sshd does when the network goes: the
    // process gets SIGHUP and every write to the terminal fails.
    let env = Env::new();
    let mut tty = Tty::spawn(&env, &["--demo"], 24, 80);
    tty.wait_for(&["Net worth USD", "simulated quotes"]);
    tty.hang_up();
    let status = tty.wait_exit();
    assert!(status.success(), "no panic, no error: {status:?}");
}

#[test]
fn simulated_quotes_on_a_users_database_are_saved_when_the_cockpit_closes() {
    let env = Env::new();
    env.import("t.csv", crate::common::SAMPLE, &[]).ok();
    env.write("p.csv", crate::common::SAMPLE_PRICES);
    env.run(&["prices", "import", env.path("p.csv").to_str().unwrap()])
        .ok();
    let config = env.write(
        "config.toml",
        "[quotes]\nsource = \"simulated\"\nsim_rate_hz = 20\nsim_seed = 3\n",
    );
    let db = env.db();
    let mut tty = Tty::spawn(
        &env,
        &[
            "--db",
            db.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ],
        24,
        80,
    );
    tty.wait_for(&["Net worth USD", "simulated quotes"]);
    // Let it tick for a while (quotes are saved at most once a second, and on the way out).
    std::thread::sleep(Duration::from_millis(1500));
    tty.keys(b"q");
    assert!(tty.wait_exit().success());
    tty.assert_restored();
    let held: Vec<String> = env.run(&["holdings", "--json"]).json()["holdings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["symbol"].as_str().unwrap().to_string())
        .collect();
    let conn = env.conn();
    let mut stmt = conn
        .prepare("SELECT symbol, source, freshness FROM quotes ORDER BY symbol")
        .unwrap();
    let rows: Vec<(String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut symbols: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let mut expected = held.clone();
    expected.sort();
    expected.dedup();
    symbols.sort();
    assert_eq!(symbols, expected, "one saved quote per held symbol");
    assert!(
        rows.iter().all(|r| r.1 == "simulated" && r.2 == "live"),
        "{rows:?}"
    );
}
