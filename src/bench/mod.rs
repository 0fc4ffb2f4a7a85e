//! Benchmarks anyone can run (`digitnet bench`): training epochs, inference
//! throughput and single-image latency, with achieved GFLOP/s next to the machine's
//! peak. The workloads are those of `bench/torch_reference.py`, so the two can be
//! compared as ratios (`bench/compare.py`).
//!
//! Everything is timed through the same library calls the `train` command makes
//! ([`crate::train::standard::train_with`], [`Mlp::forward`]); nothing here is a
//! special fast path.

mod machine;

pub use machine::Machine;

use std::time::Instant;

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde::Serialize;

use crate::data::Dataset;
use crate::error::Result;
use crate::nn::{Activation, Mlp, Workspace, argmax};
use crate::normalize::Normalizer;
use crate::train::{Recipe, Silent, StandardSettings, TrainConfig, standard};

/// Floating-point operations of one training epoch over `rows` rows of a net of
/// `sizes`: per layer the forward product and the weight gradient (`2 n in out`
/// each), and the gradient pushed to the layer below (not for the first layer).
/// Activations, dropout and the optimizer are left out (they are `O(n out)`).
pub fn training_flops(sizes: &[usize], rows: usize) -> f64 {
    sizes
        .windows(2)
        .enumerate()
        .map(|(l, w)| {
            let products = if l == 0 { 2.0 } else { 3.0 };
            products * 2.0 * (rows * w[0] * w[1]) as f64
        })
        .sum()
}

/// Floating-point operations of one forward pass over `rows` rows.
pub fn inference_flops(sizes: &[usize], rows: usize) -> f64 {
    sizes
        .windows(2)
        .map(|w| 2.0 * (rows * w[0] * w[1]) as f64)
        .sum()
}

/// `rows` images of MNIST's shape (28x28, 0..255, 10 classes) with seeded random
/// pixels and labels: the timing of dense layers does not depend on the values.
pub fn synthetic_mnist(rows: usize, seed: u64) -> Result<Dataset> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let pixels = (0..rows * 784)
        .map(|_| f32::from(rng.random::<u8>()))
        .collect();
    let labels = (0..rows).map(|_| rng.random_range(0..10u8)).collect();
    Dataset::new("synthetic-mnist", pixels, labels, (28, 28), 255.0, 10)
}

/// The median of `values` (the mean of the middle two for an even count; NaN if empty).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Timing of training epochs on one workload.
#[derive(Clone, Debug, Serialize)]
pub struct EpochTiming {
    pub sizes: Vec<usize>,
    pub activation: Activation,
    pub rows: usize,
    pub batch: usize,
    /// Every timed epoch, seconds (the warm-up epoch is left out).
    pub seconds: Vec<f64>,
    pub median_s: f64,
    pub images_per_s: f64,
    pub gflops: f64,
}

/// The standard recipe's settings for a benchmark, as `bench/torch_reference.py`
/// trains: `hidden` units of `activation`, dropout 0.5 on them (none on the input),
/// Adam at a constant 1e-3, `batch` rows, no validation part, `epochs` epochs.
pub fn bench_config(
    hidden: usize,
    activation: Activation,
    batch: usize,
    epochs: usize,
) -> TrainConfig {
    let settings = StandardSettings {
        activation: activation
            .try_into()
            .expect("a benchmark workload has a hidden layer's activation"),
        input_dropout: 0.0,
        batch_size: batch,
        optimizer: crate::train::OptimizerKind::Adam,
        weight_decay: 0.0,
        max_norm: None,
        schedule: crate::train::Schedule::Constant,
        validation_fraction: 0.0,
        patience: None,
        ..StandardSettings::digits()
    };
    TrainConfig {
        hidden: vec![hidden],
        epochs,
        dropout: 0.5,
        lr: 1e-3,
        recipe: Recipe::Standard(settings),
        ..TrainConfig::standard()
    }
}

/// Trains `config` on all of `data` for one warm-up epoch plus `epochs` timed ones,
/// through the same trainer as `digitnet train`; returns the timing and the trained net.
pub fn time_training(
    config: &TrainConfig,
    data: &Dataset,
    normalizer: Normalizer,
    epochs: usize,
) -> Result<(EpochTiming, Mlp)> {
    let config = TrainConfig {
        epochs: epochs + 1,
        ..config.clone()
    };
    let settings = *config.standard_settings("bench::time_training")?;
    let rows: Vec<usize> = (0..data.len()).collect();
    let trained = standard::train_with(&config, data, &rows, |_| normalizer, &mut Silent)?;
    let ends: Vec<f64> = trained.history.iter().map(|h| h.seconds).collect();
    let seconds: Vec<f64> = ends.windows(2).map(|w| w[1] - w[0]).collect();
    let median_s = median(&seconds);
    let sizes = trained.net.sizes();
    let timing = EpochTiming {
        activation: settings.activation.into(),
        rows: data.len(),
        batch: settings.batch_size,
        images_per_s: data.len() as f64 / median_s,
        gflops: training_flops(&sizes, data.len()) / median_s / 1e9,
        sizes,
        seconds,
        median_s,
    };
    Ok((timing, trained.net))
}

/// Inference speed of one net on one set of inputs.
#[derive(Clone, Debug, Serialize)]
pub struct InferenceTiming {
    pub rows: usize,
    pub batch: usize,
    /// Median over the repetitions of the whole set, in batches of `batch`.
    pub images_per_s: f64,
    pub gflops: f64,
    /// Median time to classify one image (forward at batch 1 and argmax).
    pub latency_us: f64,
}

/// Classifies all rows of the normalised `x` in batches of `batch`, `reps` times,
/// then times `latency_images` single-image predictions.
pub fn time_inference(
    net: &Mlp,
    x: &[f32],
    batch: usize,
    reps: usize,
    latency_images: usize,
) -> InferenceTiming {
    let features = net.inputs();
    let rows = x.len() / features;
    let mut ws = Workspace::new(net, batch);
    let mut labels = vec![0usize; rows];
    let mut pass = |ws: &mut Workspace| {
        let started = Instant::now();
        for (chunk, out) in x.chunks(batch * features).zip(labels.chunks_mut(batch)) {
            let n = chunk.len() / features;
            let probs = net.forward(chunk, n, ws);
            for (o, p) in out.iter_mut().zip(probs.chunks_exact(net.outputs())) {
                *o = argmax(p);
            }
        }
        started.elapsed().as_secs_f64()
    };
    pass(&mut ws); // warm-up
    let times: Vec<f64> = (0..reps).map(|_| pass(&mut ws)).collect();
    let per_pass = median(&times);
    let latency: Vec<f64> = x
        .chunks_exact(features)
        .cycle()
        .take(latency_images)
        .map(|image| {
            let started = Instant::now();
            std::hint::black_box(argmax(net.forward(image, 1, &mut ws)));
            started.elapsed().as_secs_f64()
        })
        .collect();
    InferenceTiming {
        rows,
        batch,
        images_per_s: rows as f64 / per_pass,
        gflops: inference_flops(&net.sizes(), rows) / per_pass / 1e9,
        latency_us: median(&latency) * 1e6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_800_unit_epoch_is_about_151_gflop() {
        // forward 2*60000*(784*800 + 800*10), weight gradients the same, and the
        // hidden layer's input gradient 2*60000*800*10.
        let f = training_flops(&[784, 800, 10], 60_000);
        assert_eq!(f, 2.0 * 60_000.0 * (2.0 * 627_200.0 + 3.0 * 8_000.0));
        assert!((f / 1e9 - 153.4).abs() < 0.1);
        assert_eq!(inference_flops(&[2, 3, 4], 5), 2.0 * 5.0 * (6.0 + 12.0));
    }

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn synthetic_mnist_has_mnist_shape_and_is_seeded() {
        let a = synthetic_mnist(50, 1).unwrap();
        assert_eq!((a.len(), a.features(), a.pixel_max), (50, 784, 255.0));
        assert_eq!(a, synthetic_mnist(50, 1).unwrap());
        assert_ne!(a.pixels, synthetic_mnist(50, 2).unwrap().pixels);
    }

    #[test]
    fn timing_a_tiny_run_reports_every_epoch_and_consistent_rates() {
        let data = synthetic_mnist(64, 0).unwrap();
        let config = bench_config(16, Activation::Relu, 32, 1);
        let scale = Normalizer::Scale { pixel_max: 255.0 };
        let (t, net) = time_training(&config, &data, scale, 2).unwrap();
        assert_eq!((t.seconds.len(), t.sizes.clone()), (2, vec![784, 16, 10]));
        assert!((t.images_per_s * t.median_s - 64.0).abs() < 1e-6);
        assert_eq!(net.sizes(), t.sizes);
        let x = Normalizer::Scale { pixel_max: 255.0 }.transform(&data);
        let inf = time_inference(&net, &x, 10, 2, 5);
        assert_eq!((inf.rows, inf.batch), (64, 10));
        assert!(inf.images_per_s > 0.0 && inf.latency_us > 0.0);
    }
}
