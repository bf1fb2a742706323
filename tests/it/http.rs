//! The HTTP fallback (`--source http`) against a local server that answers like the provider.

use crate::common::{Env, Run};
use crate::http_peer::{Peer, Reply};

/// A chart answer as the provider sends it (a day without a close included).
pub const VTI_CHART: &str = r#"{"chart":{"result":[{"meta":{"currency":"USD","symbol":"VTI","exchangeName":"PCX","regularMarketPrice":251.15,"chartPreviousClose":250.0,"regularMarketTime":1763755200,"regularMarketVolume":3456789,"gmtoffset":-18000,"exchangeTimezoneName":"America/New_York"},"timestamp":[1763389800,1763476200,1763562600,1763649000],"indicators":{"quote":[{"open":[249.0,250.5,null,251.0],"high":[251.0,252.0,null,251.5],"low":[248.5,250.0,null,248.75],"close":[250.0,251.5,null,249.25],"volume":[1000,2000,null,3000]}]}}],"error":null}}"#;

const NOT_FOUND: &str = r#"{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}"#;

fn ok(body: &str) -> Reply {
    (200, body.to_string(), vec![])
}

fn provider(path: &str, _n: usize) -> Reply {
    if path.starts_with("/v8/finance/chart/VTI") {
        ok(VTI_CHART)
    } else {
        (404, NOT_FOUND.to_string(), vec![])
    }
}

fn config(env: &Env, peer: &Peer) -> String {
    env.write(
        "config.toml",
        &format!(
            "[http]\nbase_url = \"{}/\"\ntimeout_secs = 5\nattempts = 3\n",
            peer.url
        ),
    )
    .to_str()
    .unwrap()
    .to_string()
}

fn run(env: &Env, cfg: &str, args: &[&str]) -> Run {
    let mut all = vec!["--config", cfg];
    all.extend_from_slice(args);
    env.run(&all)
}

#[test]
fn history_and_quotes_come_from_the_provider() {
    let peer = Peer::start(provider);
    let env = Env::new();
    let cfg = config(&env, &peer);
    let out = run(
        &env,
        &cfg,
        &[
            "prices", "fetch", "VTI", "--source", "http", "--years", "1", "--json",
        ],
    )
    .json();
    assert_eq!(out["fetched"][0]["closes"], 3, "{out}");
    let conn = env.conn();
    let mut stmt = conn
        .prepare("SELECT date, close, open, volume FROM prices WHERE symbol = 'VTI' ORDER BY date")
        .unwrap();
    let rows: Vec<(String, String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let row = |d: &str, c: &str, o: &str, v: &str| {
        (d.to_string(), c.to_string(), o.to_string(), v.to_string())
    };
    assert_eq!(
        rows,
        [
            // Bar times are 09:30 New York: the exchange's own dates.
            row("2025-11-17", "250", "249", "1000"),
            row("2025-11-18", "251.5", "250.5", "2000"),
            row("2025-11-20", "249.25", "251", "3000"),
        ]
    );
    assert_eq!(peer.hits(), ["/v8/finance/chart/VTI?range=1y&interval=1d"]);

    let q = run(&env, &cfg, &["quotes", "VTI", "--source", "http", "--json"]).json();
    let v = &q["quotes"][0];
    assert_eq!(v["last"], "251.15");
    assert_eq!(v["prev_close"], "250");
    assert_eq!(v["volume"], "3456789");
    assert_eq!(v["source"], "http");
    assert_eq!(v["freshness"], "delayed");
    assert_eq!(v["time"], "2025-11-21T20:00:00Z");

    // An unknown symbol: exit 2, the message says so, the known one is still stored.
    let r = run(
        &env,
        &cfg,
        &["prices", "fetch", "NOPE", "VTI", "--source", "http"],
    );
    r.refused("NOPE: the quote provider does not know this symbol");
    let r = run(&env, &cfg, &["quotes", "NOPE", "--source", "http"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn too_many_requests_is_retried_and_then_succeeds() {
    let peer = Peer::start(|path, n| {
        if n == 0 {
            (
                429,
                "Too Many Requests".into(),
                vec![("Retry-After", "1".into())],
            )
        } else {
            provider(path, n)
        }
    });
    let env = Env::new();
    let cfg = config(&env, &peer);
    let start = std::time::Instant::now();
    let out = run(&env, &cfg, &["quotes", "VTI", "--source", "http", "--json"]).json();
    assert_eq!(out["quotes"][0]["last"], "251.15");
    assert_eq!(peer.hits().len(), 2);
    assert!(
        start.elapsed() >= std::time::Duration::from_secs(1),
        "Retry-After honoured"
    );
}

#[test]
fn a_provider_that_keeps_failing_is_given_up_with_a_message() {
    let peer = Peer::start(|_, _| (500, "oops".into(), vec![]));
    let env = Env::new();
    let cfg = config(&env, &peer);
    let r = run(&env, &cfg, &["prices", "fetch", "VTI", "--source", "http"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("still answers 500 Internal Server Error after 3 attempts")
            && r.stderr.contains("[http] base_url"),
        "{}",
        r.stderr
    );
    assert_eq!(peer.hits().len(), 3, "three attempts, no more");
}

#[test]
fn a_changed_format_is_reported_as_such() {
    for body in [
        "<html><body>We moved!</body></html>",
        r#"{"chart":{"result":[{"meta":{"currency":"USD"}}],"error":null}}"#,
        r#"{"data":{"prices":[1,2,3]}}"#,
        // A price no market has: not stored, not shown.
        r#"{"chart":{"result":[{"meta":{"regularMarketPrice":1e30,"regularMarketTime":1763755200},"timestamp":[1763389800],"indicators":{"quote":[{"close":[1e30]}]}}],"error":null}}"#,
    ] {
        let peer = Peer::start(move |_, _| ok(body));
        let env = Env::new();
        let cfg = config(&env, &peer);
        let r = run(&env, &cfg, &["quotes", "VTI", "--source", "http"]);
        assert_eq!(r.code, 1, "{body}: {}", r.stderr);
        assert!(
            r.stderr
                .contains("not in the format folio reads (the provider may have changed it)"),
            "{body}: {}",
            r.stderr
        );
        let r = run(&env, &cfg, &["prices", "fetch", "VTI", "--source", "http"]);
        assert_eq!(r.code, 1);
        assert!(r.stderr.contains("may have changed it"), "{}", r.stderr);
        assert!(
            !env.db().exists(),
            "nothing stored from a bad answer: the database was not even created"
        );
    }
}

#[test]
fn a_symbol_is_one_encoded_path_segment() {
    let peer = Peer::start(provider);
    let env = Env::new();
    let cfg = config(&env, &peer);
    let r = run(&env, &cfg, &["quotes", "BRK/B", "--source", "http"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = run(&env, &cfg, &["prices", "fetch", "..", "--source", "http"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        peer.hits(),
        ["/v8/finance/chart/BRK%2FB?range=1d&interval=1d"],
        "'..' never reaches the server"
    );
}
