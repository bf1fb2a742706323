//! The learned reconstruction detector the seed design asks for: an LSTM autoencoder trained on
//! the CPU (candle) on windows of the holdings' standardised daily returns. The encoder reads a
//! window of [`WINDOW`] days into a code of [`HIDDEN`] numbers; the decoder rebuilds the window
//! from it; a day is scored by how badly the window ending on it is rebuilt on that day. PCA's
//! reconstruction error ([`super::pca`]) is the linear baseline it has to beat: the benchmark
//! `anomaly_quality` reports both. Behind the `ml` cargo feature.
//!
//! Same protocol as PCA: standardise with the training year's mean and sd, refit every
//! [`REFIT`] days on the [`TRAIN`] days before, score on the log scale as a robust z against the
//! training days' scores. Deterministic: candle cannot seed its CPU generator, so the weights
//! are initialised from a seeded Xoshiro stream (PyTorch's LSTM rule, uniform in +-1/sqrt(h)).

use candle_core::{DType, Device, Tensor};
use candle_nn::rnn::{LSTM, LSTMConfig, RNN, lstm};
use candle_nn::{AdamW, Linear, Module, Optimizer, ParamsAdamW, VarBuilder, VarMap, linear};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

use super::cross::{MIN_TRAIN, Scan, TRAIN, dense};
use super::{Hit, Panel, robust_z};

/// Days in a window.
pub const WINDOW: usize = 10;
/// Size of the code (and of both LSTMs' state).
pub const HIDDEN: usize = 16;
/// Full-batch training steps per fit.
pub const EPOCHS: usize = 80;
/// Refit on the trailing year every this many days (training is the costly part).
pub const REFIT: usize = 126;

struct Model {
    encoder: LSTM,
    decoder: LSTM,
    out: Linear,
}

impl Model {
    fn new(vb: VarBuilder, n: usize) -> candle_core::Result<Model> {
        Ok(Model {
            encoder: lstm(n, HIDDEN, LSTMConfig::default(), vb.pp("encoder"))?,
            decoder: lstm(HIDDEN, HIDDEN, LSTMConfig::default(), vb.pp("decoder"))?,
            out: linear(HIDDEN, n, vb.pp("out"))?,
        })
    }

    /// (batch, WINDOW, n) in, the rebuilt windows out.
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let states = self.encoder.seq(x)?;
        let code = states
            .last()
            .ok_or_else(|| candle_core::Error::Msg("an empty window".into()))?
            .h();
        let repeated = code.unsqueeze(1)?.repeat((1, WINDOW, 1))?;
        let decoded = self.decoder.seq(&repeated)?;
        let hs = self.decoder.states_to_tensor(&decoded)?;
        self.out.forward(&hs)
    }

    /// Squared error of each window's last day, averaged over the holdings.
    fn last_day_errors(&self, x: &Tensor) -> candle_core::Result<Vec<f64>> {
        let rebuilt = self.forward(x)?;
        let last = |t: &Tensor| t.narrow(1, WINDOW - 1, 1);
        let err = (last(&rebuilt)? - last(x)?)?.sqr()?.mean_keepdim(2)?;
        err.flatten_all()?.to_vec1::<f64>()
    }
}

/// Trains a model on the windows in `x` (batch, WINDOW, n), from seeded weights.
fn fit(x: &Tensor, n: usize, seed: u64) -> candle_core::Result<Model> {
    let device = Device::Cpu;
    let varmap = VarMap::new();
    let model = Model::new(VarBuilder::from_varmap(&varmap, DType::F64, &device), n)?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let bound = 1.0 / (HIDDEN as f64).sqrt();
    let mut vars: Vec<(String, candle_core::Var)> = varmap
        .data()
        .lock()
        .map_err(|_| candle_core::Error::Msg("the weights' lock is poisoned".into()))?
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, var) in &vars {
        let shape = var.shape().clone();
        let values: Vec<f64> = (0..shape.elem_count())
            .map(|_| rng.random_range(-bound..bound))
            .collect();
        var.set(&Tensor::from_vec(values, shape, &device)?)?;
    }
    let params = ParamsAdamW {
        lr: 0.01,
        weight_decay: 0.0,
        ..ParamsAdamW::default()
    };
    let mut opt = AdamW::new(vars.into_iter().map(|(_, v)| v).collect(), params)?;
    for _ in 0..EPOCHS {
        let loss = candle_nn::loss::mse(&model.forward(x)?, x)?;
        opt.backward_step(&loss)?;
    }
    Ok(model)
}

/// The windows ending at each of `ends` (indices into `z`, each >= WINDOW - 1), as a tensor.
fn windows(z: &[Vec<f64>], ends: &[usize], n: usize) -> candle_core::Result<Tensor> {
    let mut flat = Vec::with_capacity(ends.len() * WINDOW * n);
    for &e in ends {
        for row in &z[e + 1 - WINDOW..=e] {
            flat.extend_from_slice(row);
        }
    }
    Tensor::from_vec(flat, (ends.len(), WINDOW, n), &Device::Cpu)
}

/// Trains on the windows ending at `train` and returns the last-day errors of those windows and
/// of the windows ending at `score`.
fn fit_and_score(
    z: &[Vec<f64>],
    train: &[usize],
    score: &[usize],
    n: usize,
    seed: u64,
) -> candle_core::Result<(Vec<f64>, Vec<f64>)> {
    let x = windows(z, train, n)?;
    let model = fit(&x, n, seed)?;
    let history = model.last_day_errors(&x)?;
    let scored = model.last_day_errors(&windows(z, score, n)?)?;
    Ok((history, scored))
}

/// Scores every day from `start` like [`super::pca::scan`], with the LSTM autoencoder.
pub fn scan(panel: &Panel, start: usize, z: f64, seed: u64) -> (Scan, Option<String>) {
    let end = panel.dates.len();
    let (cols, rows) = dense(panel, start.saturating_sub(TRAIN + WINDOW), end);
    let n = cols.len();
    let mut scan = Scan {
        symbols: n,
        threshold: z,
        ..Scan::default()
    };
    if n < 3 {
        return (
            scan,
            Some("needs at least three holdings with a common price history".into()),
        );
    }
    let first = rows.partition_point(|(t, _)| *t < start);
    if first < MIN_TRAIN + WINDOW {
        return (
            scan,
            Some(format!(
                "needs {} days of common history before the days it scores; there are {first}",
                MIN_TRAIN + WINDOW
            )),
        );
    }
    let mut k = first;
    while k < rows.len() {
        let block = k..(k + REFIT).min(rows.len());
        let train_from = k.saturating_sub(TRAIN).max(WINDOW - 1);
        k = block.end;
        // Standardise with the training days' mean and sd.
        let train = &rows[train_from..block.start];
        let mean: Vec<f64> = (0..n)
            .map(|j| train.iter().map(|(_, r)| r[j]).sum::<f64>() / train.len() as f64)
            .collect();
        let sd: Vec<f64> = (0..n)
            .map(|j| {
                let v = train
                    .iter()
                    .map(|(_, r)| (r[j] - mean[j]).powi(2))
                    .sum::<f64>();
                (v / (train.len() - 1) as f64).sqrt()
            })
            .collect();
        if sd.iter().any(|s| *s <= 0.0) {
            continue;
        }
        let zrows: Vec<Vec<f64>> = rows[..block.end]
            .iter()
            .map(|(_, r)| (0..n).map(|j| (r[j] - mean[j]) / sd[j]).collect())
            .collect();
        let train_ends: Vec<usize> = (train_from..block.start).collect();
        let block_ends: Vec<usize> = block.clone().collect();
        let result = fit_and_score(
            &zrows,
            &train_ends,
            &block_ends,
            n,
            seed ^ block.start as u64,
        );
        let (history, scored) = match result {
            Ok(v) => v,
            Err(e) => return (scan, Some(format!("the LSTM could not be trained: {e}"))),
        };
        let history: Vec<f64> = history.iter().map(|e| e.ln()).collect();
        for (i, e) in block.zip(scored) {
            let Some(score) = robust_z(e.ln(), &history) else {
                continue;
            };
            scan.hits.extend(Hit::exceeding(rows[i].0, score, score, z));
        }
    }
    (scan, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::anomaly::synthetic::{self, Kind};

    #[test]
    fn a_shock_outside_the_factors_is_badly_reconstructed_and_clean_data_is_quiet() {
        let clean = synthetic::factor_panel(3, 600, 10);
        let (s, note) = scan(&clean, 400, 3.5, 1);
        assert_eq!(note, None);
        assert!(s.hits.is_empty(), "{:?}", s.hits);
        let mut planted = clean.clone();
        let days = synthetic::plant(&mut planted, 5, 400, 3, Kind::Jump);
        let (p, _) = scan(&planted, 400, 3.5, 1);
        let found: Vec<usize> = p.hits.iter().map(|h| h.t).collect();
        assert_eq!(found, days);
        // The same seed gives the same answer.
        assert_eq!(scan(&planted, 400, 3.5, 1).0, p);
    }

    #[test]
    fn short_or_narrow_panels_say_so() {
        assert!(
            scan(&synthetic::factor_panel(1, 50, 5), 40, 3.5, 1)
                .1
                .is_some()
        );
        assert!(
            scan(&synthetic::factor_panel(1, 400, 2), 300, 3.5, 1)
                .1
                .is_some()
        );
        assert!(scan(&Panel::default(), 0, 3.5, 1).1.is_some());
    }
}
