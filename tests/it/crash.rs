//! Crash safety: a real child process killed with SIGKILL in the middle of an import leaves the
//! database whole, with all of the import or none of it.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use crate::common::{Env, SAMPLE};

const ROWS: usize = 20_000;

fn big_file(env: &Env) -> std::path::PathBuf {
    let mut csv = String::from(
        "date,account,action,symbol,quantity,price,fees,amount\n2020-01-02,Big,DEPOSIT,,,,,100000000\n",
    );
    for i in 1..ROWS {
        let day = chrono::NaiveDate::from_ymd_opt(2020, 1, 3).unwrap()
            + chrono::Days::new((i / 10) as u64);
        csv.push_str(&format!(
            "{day},Big,BUY,SYM{},1,{}.25,0.5,\n",
            i % 40,
            10 + i % 90
        ));
    }
    env.write("big.csv", &csv)
}

fn integrity(env: &Env) -> String {
    env.conn()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn sigkill_mid_import_leaves_none_of_it() {
    let env = Env::new();
    env.import("sample.csv", SAMPLE, &[]).ok();
    let before = env.snapshot();
    let file = big_file(&env);
    let mut child = env
        .command()
        .arg("--db")
        .arg(env.db())
        .args(["--test-hook", "stall-import-at=10000"])
        .args(["import", file.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    // Kill the child even if an assertion below fails, so no stalled process outlives the test.
    let mut child = KillOnDrop(child);
    // Wait until the child says it has written 10,000 rows inside its transaction.
    let mut stderr = BufReader::new(stderr);
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains("stalled mid-import"), "child said: {line}");
    child.0.kill().unwrap(); // SIGKILL
    let status = child.0.wait().unwrap();
    assert!(!status.success());
    assert_eq!(integrity(&env), "ok");
    assert_eq!(
        env.snapshot(),
        before,
        "a killed import must leave nothing behind"
    );
    // The same file then imports whole.
    let v = env
        .run(&["import", file.to_str().unwrap(), "--json"])
        .json();
    assert_eq!(v["added"], ROWS);
    assert_eq!(env.count("transactions"), 9 + ROWS as i64);
}

#[test]
fn sigkill_at_any_moment_is_all_or_nothing() {
    let env = Env::new();
    let file = big_file(&env);
    for delay_ms in [5u64, 40, 120, 400] {
        let before = env.count_or_zero();
        let mut child = env
            .command()
            .arg("--db")
            .arg(env.db())
            .args(["import", file.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        child.wait().unwrap();
        if env.db().exists() {
            assert_eq!(integrity(&env), "ok");
            let after = env.count_or_zero();
            assert!(
                after == before || after == before + ROWS as i64,
                "partial import: {before} -> {after}"
            );
        }
    }
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Env {
    fn count_or_zero(&self) -> i64 {
        if !self.db().exists() {
            return 0;
        }
        self.conn()
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'transactions'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .ok()
            .filter(|n| *n == 1)
            .map(|_| self.count("transactions"))
            .unwrap_or(0)
    }
}

#[test]
fn the_old_test_hook_variables_do_nothing() {
    // The hooks were once environment variables: a user who happens to have them set must get
    // an ordinary import, not one that stalls.
    let env = Env::new();
    let file = env.write("sample.csv", SAMPLE);
    let out = env
        .command()
        .arg("--db")
        .arg(env.db())
        .env("FOLIO_TEST_STALL_IMPORT_AT", "1")
        .env("FOLIO_TEST_PANIC_AFTER_DRAW", "1")
        .args(["import", file.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let run: crate::common::Run = out.into();
    assert_eq!(run.json()["added"], 9);
    assert!(!run.stderr.contains("stalled"), "{}", run.stderr);
}
