//! `folio mcp` answering from the client's side (figures in BENCHMARKS.md): the release binary
//! on the demo, driven by the SDK's client over its stdio; each tool called 50 times after a
//! warm-up call, timed from the request to the parsed result.
//!
//! Run with `cargo bench --bench mcp`.

use std::time::{Duration, Instant};

use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;

const CALLS: usize = 50;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let home = tempfile::tempdir().unwrap();
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_folio"));
        cmd.env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path())
            .args(["--demo", "--today", "2026-11-23", "mcp"]);
        let started = Instant::now();
        let client = ().serve(TokioChildProcess::new(cmd).unwrap()).await.unwrap();
        println!(
            "start and handshake (builds the demo): {:.1} ms",
            started.elapsed().as_secs_f64() * 1e3
        );
        for tool in [
            "holdings",
            "harvest_candidates",
            "risk",
            "dashboard",
            "anomalies",
        ] {
            let call = || CallToolRequestParams::new(tool);
            let warm = Instant::now();
            let r = client.call_tool(call()).await.unwrap();
            assert_eq!(r.is_error, Some(false), "{tool}: {r:?}");
            let first = warm.elapsed();
            let mut times: Vec<Duration> = Vec::with_capacity(CALLS);
            for _ in 0..CALLS {
                let t = Instant::now();
                let r = client.call_tool(call()).await.unwrap();
                times.push(t.elapsed());
                assert_eq!(r.is_error, Some(false));
            }
            times.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1e3;
            println!(
                "{tool:<20} first {:6.1} ms   median {:6.1} ms   p95 {:6.1} ms   max {:6.1} ms",
                ms(first),
                ms(times[CALLS / 2]),
                ms(times[CALLS * 95 / 100]),
                ms(times[CALLS - 1])
            );
        }
        client.cancel().await.unwrap();
    });
}
