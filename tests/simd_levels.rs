//! Every vector path gives the same bits: the portable code (what an aarch64 build
//! compiles, here SSE2 without FMA instructions), AVX2 and AVX-512, each forced with
//! `simd::with_level` (the test runs the levels this processor has), and through
//! `DIGITNET_SIMD` on the command line.
//!
//! Our kernels compute each value with the same operations in the same order on
//! every path, and `f32::mul_add` rounds once everywhere, so the comparison is exact:
//! no tolerance. (The dense GEMM is `matrixmultiply`'s, the same kernel at every
//! level of ours, so it does not vary here.)

mod common;

use digitnet::data::{Dataset, digits, mnist};
use digitnet::nn::{Hidden, Mlp, Workspace};
use digitnet::normalize::Normalizer;
use digitnet::simd::{self, Level};
use digitnet::train::{self, Recipe, Silent, StandardSettings, TrainConfig};

/// Trains `config` on `data` at every supported level; the nets must be identical.
fn same_net_at_every_level(config: &TrainConfig, data: &Dataset) -> Mlp {
    let rows: Vec<usize> = (0..data.len()).collect();
    let nets: Vec<(Level, Mlp)> = simd::supported_levels()
        .into_iter()
        .map(|level| {
            let trained = simd::with_level(level, || {
                train::standard::train(config, data, &rows, &mut Silent).expect("trains")
            });
            (level, trained.net)
        })
        .collect();
    let (first, net) = &nets[0];
    for (level, other) in &nets[1..] {
        assert!(
            other == net,
            "{} and {} trained different nets",
            first.name(),
            level.name()
        );
    }
    net.clone()
}

#[test]
fn sparse_mnist_training_and_inference_give_the_same_bits_at_every_level() {
    let all = mnist::test().unwrap();
    let data = all.subset(&(0..700).collect::<Vec<_>>());
    // Batches of 600 take the grouped forward product (from 512 rows on), the
    // remainder of 100 the row-by-row one; raw pixels are mostly zeros, so both go
    // through the sparse products, and the weight gradient through the by-column one.
    for (batch, hidden) in [(600, 70), (64, 24)] {
        let config = TrainConfig {
            hidden: vec![hidden],
            epochs: 2,
            recipe: Recipe::Standard(StandardSettings {
                batch_size: batch,
                validation_fraction: 0.0,
                patience: None,
                ..StandardSettings::mnist()
            }),
            ..TrainConfig::mnist()
        };
        let net = same_net_at_every_level(&config, &data);

        let x = Normalizer::Scale { pixel_max: 255.0 }.transform(&data);
        let outputs: Vec<Vec<f32>> = simd::supported_levels()
            .into_iter()
            .map(|level| {
                simd::with_level(level, || {
                    let mut ws = Workspace::new(&net, 600);
                    let mut out = net.forward(&x[..600 * 784], 600, &mut ws).to_vec();
                    out.extend_from_slice(net.forward(&x[..784], 1, &mut ws));
                    out
                })
            })
            .collect();
        assert!(outputs.iter().all(|o| o == &outputs[0]), "batch {batch}");
        assert!(outputs[0].iter().all(|p| p.is_finite() && *p > 0.0));
    }
}

#[test]
fn dense_digits_training_gives_the_same_bits_at_every_level() {
    // Standardised digits are dense: the GEMM products, with the activations, the
    // dropout derivative and Adam compiled for each level.
    let data = digits::load().unwrap();
    for activation in [Hidden::Tanh, Hidden::Relu] {
        let config = TrainConfig {
            epochs: 3,
            recipe: Recipe::Standard(StandardSettings {
                activation,
                ..StandardSettings::digits()
            }),
            ..TrainConfig::standard()
        };
        let net = same_net_at_every_level(&config, &data);
        assert!(net.is_finite());
    }
}

#[test]
fn digitnet_simd_selects_the_kernels_and_keeps_the_results() {
    let run = |level: &str| {
        let args = [
            "train",
            "--json",
            "--seed",
            "2",
            "--epochs",
            "3",
            "--threads",
            "2",
        ];
        let out = common::digitnet_in(std::path::Path::new("."), &args, &[(simd::ENV, level)]);
        assert!(
            out.status.success(),
            "{level}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        common::without_timings(serde_json::from_slice(&out.stdout).unwrap())
    };
    let best = run("");
    for level in simd::supported_levels() {
        assert_eq!(
            run(level.setting()),
            best,
            "DIGITNET_SIMD={}",
            level.setting()
        );
    }
}

#[test]
fn a_bad_or_unsupported_digitnet_simd_is_a_usage_error() {
    let mut refused = vec!["sse9".to_string()];
    refused.extend(
        Level::ALL
            .iter()
            .filter(|l| !l.supported())
            .map(|l| l.setting().to_string()),
    );
    for value in refused {
        let out = common::digitnet_in(
            std::path::Path::new("."),
            &["--epochs", "1"],
            &[(simd::ENV, &value)],
        );
        assert_eq!(out.status.code(), Some(2), "{value}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("DIGITNET_SIMD={value}")), "{err}");
    }
}

#[test]
fn blog_training_gives_the_same_bits_at_every_level() {
    // The blog recipe's per-sample fast path (its sweep, tanh and softmax compiled for
    // each level), with and without dropout, on 400 digits for 3 epochs.
    let data = digits::load().unwrap();
    let rows: Vec<usize> = (0..400).collect();
    for dropout in [0.0, 0.5] {
        let config = TrainConfig {
            epochs: 3,
            dropout,
            ..TrainConfig::blog()
        };
        let nets: Vec<Mlp> = simd::supported_levels()
            .into_iter()
            .map(|level| {
                simd::with_level(level, || {
                    let trained = train::blog::train(&config, &data, &rows, &mut Silent);
                    trained.expect("trains").net
                })
            })
            .collect();
        assert!(nets.iter().all(|n| n == &nets[0]), "dropout {dropout}");
        assert!(nets[0].is_finite());
    }
}
