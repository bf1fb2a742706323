//! Precision and recall of the day-scoring anomaly detectors (figures in BENCHMARKS.md and the
//! README): synthetic returns of 20 holdings driven by three factors over 2,000 days, with 30
//! anomalies of one kind planted after the first 300 days, scanned from day 300; three seeds,
//! counts pooled. Also the false alarms on the same panels with nothing planted.
//!
//! - jump: one holding moves 8-13% (6 to 10 of its usual days) on a day;
//! - decoupling: every holding moves a usual amount, half up and half down, against the
//!   factors they share (no single return stands out).
//!
//! Run with `cargo bench --bench anomaly_quality` (add `--features ml` for the LSTM).

use std::collections::BTreeSet;
use std::time::Instant;

use folio::analytics::anomaly::synthetic::{self, Kind};
use folio::analytics::anomaly::{Panel, cross, pca, series};

const DAYS: usize = 2000;
const HOLDINGS: usize = 20;
const WARMUP: usize = 300;
const PLANTED: usize = 30;
const SEEDS: [u64; 3] = [1, 2, 3];

type Detector = (&'static str, fn(&Panel) -> BTreeSet<usize>);

fn outliers(p: &Panel) -> BTreeSet<usize> {
    p.returns
        .iter()
        .flat_map(|r| series::return_outliers(r, WARMUP, 63, 3.5))
        .map(|h| h.t)
        .collect()
}

fn turbulence(p: &Panel) -> BTreeSet<usize> {
    cross::turbulence(p, WARMUP, 0.999)
        .0
        .hits
        .iter()
        .map(|h| h.t)
        .collect()
}

fn pca(p: &Panel) -> BTreeSet<usize> {
    pca::scan(p, WARMUP, 3.5)
        .0
        .hits
        .iter()
        .map(|h| h.t)
        .collect()
}

#[cfg(feature = "ml")]
fn lstm(p: &Panel) -> BTreeSet<usize> {
    folio::analytics::anomaly::lstm::scan(p, WARMUP, 3.5, 7)
        .0
        .hits
        .iter()
        .map(|h| h.t)
        .collect()
}

fn main() {
    #[cfg_attr(not(feature = "ml"), allow(unused_mut))]
    let mut detectors: Vec<Detector> = vec![
        ("return outlier (any holding)", outliers),
        ("turbulence (Mahalanobis, Ledoit-Wolf)", turbulence),
        ("PCA reconstruction", pca),
    ];
    #[cfg(feature = "ml")]
    detectors.push(("LSTM autoencoder", lstm));
    println!(
        "{HOLDINGS} holdings x {DAYS} days, {PLANTED} planted per panel, seeds {SEEDS:?}, scored from day {WARMUP}\n"
    );
    println!(
        "| detector | kind | precision | recall | false alarms per 1,000 clean days | time per panel |"
    );
    println!("|---|---|---|---|---|---|");
    for (name, detect) in &detectors {
        for kind in [Kind::Jump, Kind::Decoupling] {
            let (mut tp, mut fp, mut planted, mut clean_alarms) = (0, 0, 0, 0);
            let started = Instant::now();
            for seed in SEEDS {
                let clean = synthetic::factor_panel(seed, DAYS, HOLDINGS);
                clean_alarms += detect(&clean).len();
                let mut p = clean;
                let truth: BTreeSet<usize> =
                    synthetic::plant(&mut p, seed + 100, WARMUP, PLANTED, kind)
                        .into_iter()
                        .collect();
                let found = detect(&p);
                tp += found.intersection(&truth).count();
                fp += found.difference(&truth).count();
                planted += truth.len();
            }
            let per_panel = started.elapsed() / (2 * SEEDS.len() as u32);
            let precision = if tp + fp == 0 {
                "-".to_string()
            } else {
                format!("{:.2}", tp as f64 / (tp + fp) as f64)
            };
            let scored = SEEDS.len() * (DAYS - WARMUP);
            println!(
                "| {name} | {} | {precision} | {:.2} | {:.1} | {:.0} ms |",
                match kind {
                    Kind::Jump => "jump",
                    Kind::Decoupling => "decoupling",
                },
                tp as f64 / planted as f64,
                clean_alarms as f64 * 1000.0 / scored as f64,
                per_panel.as_secs_f64() * 1000.0
            );
        }
    }
}
