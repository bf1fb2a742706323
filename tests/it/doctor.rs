//! `folio doctor`: every check says ok, warn or what failed, and the exit status follows.

use std::os::unix::fs::PermissionsExt;

use crate::common::Env;
use crate::fake_tws::{FakeTws, Script};
use crate::http_peer::Peer;

fn checks(out: &serde_json::Value) -> Vec<(String, String, String)> {
    out["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["check"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
                c["detail"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn find<'a>(all: &'a [(String, String, String)], name: &str) -> &'a (String, String, String) {
    all.iter()
        .find(|c| c.0 == name)
        .unwrap_or_else(|| panic!("no {name} check: {all:?}"))
}

#[test]
fn a_fresh_setup_passes_and_says_what_it_found() {
    let env = Env::new();
    env.import("t.csv", crate::common::SAMPLE, &[]).ok();
    let out = env.run(&["doctor", "--json"]).json();
    let all = checks(&out);
    let config = find(&all, "config");
    assert_eq!(config.1, "ok");
    assert!(config.2.contains("the defaults apply"), "{config:?}");
    let db = find(&all, "database");
    assert_eq!(db.1, "ok");
    assert!(db.2.contains("9 transactions in 2 account(s)"), "{db:?}");
    let quotes = find(&all, "quotes");
    assert_eq!(quotes.1, "ok");
    assert!(quotes.2.starts_with("off:"), "{quotes:?}");
    // The secret stores depend on the machine: each is checked and never a failure.
    let secrets: Vec<_> = all.iter().filter(|c| c.0 == "secrets").collect();
    assert!(!secrets.is_empty());
    assert!(
        secrets.iter().all(|c| c.1 != "fail" && !c.2.is_empty()),
        "{secrets:?}"
    );

    // A database others can read is a warning with the fix.
    std::fs::set_permissions(env.db(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = env.run(&["doctor", "--json"]).json();
    let db = checks(&out)
        .into_iter()
        .find(|c| c.0 == "database")
        .unwrap();
    assert_eq!(db.1, "warn");
    assert!(db.2.contains("chmod 600"), "{db:?}");
}

#[test]
fn a_bad_config_is_a_failed_check_and_the_others_still_run() {
    let env = Env::new();
    let cfg = env.write("config.toml", "[quotes]\nsourse = \"ibkr\"\n");
    let r = env.run(&["--config", cfg.to_str().unwrap(), "doctor", "--json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let out: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let all = checks(&out);
    let config = find(&all, "config");
    assert_eq!(config.1, "fail");
    assert!(
        config.2.contains("line 2") && config.2.contains("sourse"),
        "{config:?}"
    );
    assert_eq!(find(&all, "database").1, "ok");
    assert!(r.stderr.contains("1 check(s) failed"), "{}", r.stderr);
}

#[test]
fn the_quote_source_is_tried() {
    let fake = FakeTws::start(Script::default());
    let env = Env::new();
    let cfg = env.write(
        "ibkr.toml",
        &format!(
            "[quotes]\nsource = \"ibkr\"\n[ibkr]\nport = {}\nconnect_timeout_secs = 2\n",
            fake.addr.port()
        ),
    );
    let out = env
        .run(&["--config", cfg.to_str().unwrap(), "doctor", "--json"])
        .json();
    let q = checks(&out).into_iter().find(|c| c.0 == "quotes").unwrap();
    assert_eq!(q.1, "ok");
    assert!(
        q.2 == format!(
            "ibkr: connected to 127.0.0.1:{} as client id 17",
            fake.addr.port()
        ),
        "{q:?}"
    );

    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cfg = env.write(
        "down.toml",
        &format!("[quotes]\nsource = \"ibkr\"\n[ibkr]\nport = {port}\n"),
    );
    let r = env.run(&["--config", cfg.to_str().unwrap(), "doctor"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("FAIL") && r.stdout.contains("nothing is listening"),
        "{}",
        r.stdout
    );

    let peer = Peer::start(|_, _| (200, crate::http::VTI_CHART.to_string(), vec![]));
    let cfg = env.write(
        "http.toml",
        &format!(
            "[quotes]\nsource = \"http\"\n[http]\nbase_url = \"{}\"\n",
            peer.url
        ),
    );
    let out = env
        .run(&["--config", cfg.to_str().unwrap(), "doctor", "--json"])
        .json();
    let q = checks(&out).into_iter().find(|c| c.0 == "quotes").unwrap();
    assert_eq!(q.1, "ok", "{q:?}");
    assert!(q.2.contains("answers (SPY 251.15)"), "{q:?}");
}
