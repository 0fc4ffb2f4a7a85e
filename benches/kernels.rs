//! `cargo bench`: forward and backward passes at several batch sizes, whole training
//! epochs, and inference over 10,000 images. `digitnet bench` prints the same kind
//! of figures with GFLOP/s; these give criterion's statistics and history.
//! MNIST-size work uses the real (embedded) MNIST images: the first layer skips
//! their zero pixels, so random pixels would not time the same work.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

use digitnet::bench::{bench_config, time_training};
use digitnet::nn::{Activation, Dropout, Gradients, Init, Mlp, NetSpec, Workspace};
use digitnet::normalize::Normalizer;
use digitnet::train::{self, TrainConfig};

fn net(sizes: &[usize], activation: Activation) -> Mlp {
    let spec = NetSpec {
        sizes: sizes.to_vec(),
        activation,
        bias: true,
        init: Init::Scaled,
    };
    Mlp::new(&spec, &mut Xoshiro256PlusPlus::seed_from_u64(0)).unwrap()
}

/// `rows` normalised input rows of `features` values: the 8x8 digits standardised,
/// or MNIST's first training images scaled to 0..1.
fn inputs(features: usize, rows: usize) -> Vec<f32> {
    let all = if features == 784 {
        let (train, _) = digitnet::data::mnist::load().unwrap();
        Normalizer::Scale { pixel_max: 255.0 }.transform(&train)
    } else {
        let digits = digitnet::data::digits::load().unwrap();
        let every: Vec<usize> = (0..digits.len()).collect();
        Normalizer::fit_standardize(&digits, &every).transform(&digits)
    };
    all.chunks_exact(features)
        .cycle()
        .take(rows)
        .flatten()
        .copied()
        .collect()
}

/// Forward (training, with dropout) and backward at batch 1, 32, 128 and 1024.
fn passes(c: &mut Criterion) {
    for (name, sizes, act) in [
        ("64-200-10", [64, 200, 10], Activation::Tanh),
        ("784-800-10", [784, 800, 10], Activation::Relu),
    ] {
        let net = net(&sizes, act);
        let images = inputs(sizes[0], 1024);
        let mut group = c.benchmark_group(format!("pass {name}"));
        for batch in [1, 32, 128, 1024] {
            let x = &images[..batch * sizes[0]];
            let y: Vec<u8> = (0..batch).map(|i| (i % 10) as u8).collect();
            let mut ws = Workspace::new(&net, batch);
            let mut grads = Gradients::zeros_like(&net);
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
            let dropout = Dropout {
                input: 0.0,
                hidden: 0.5,
            };
            group.throughput(Throughput::Elements(batch as u64));
            group.bench_function(BenchmarkId::new("forward", batch), |b| {
                b.iter(|| net.forward_train(x, batch, &mut ws, dropout, &mut rng))
            });
            group.bench_function(BenchmarkId::new("backward", batch), |b| {
                net.forward_train(x, batch, &mut ws, dropout, &mut rng);
                b.iter(|| net.backward(x, &y, &mut ws, &mut grads))
            });
        }
        group.finish();
    }
}

/// One training epoch through the trainer: the digits (batch 32) and MNIST-size
/// sets (batch 128, both nets), and the blog recipe's per-sample epoch.
fn epochs(c: &mut Criterion) {
    let digits = digitnet::data::digits::load().unwrap();
    let all: Vec<usize> = (0..digits.len()).collect();
    let mut group = c.benchmark_group("epoch");
    group.sample_size(10);
    let standardize = Normalizer::fit_standardize(&digits, &all);
    let small = bench_config(200, Activation::Tanh, 32, 1);
    group.bench_function("digits 64-200-10 batch 32", |b| {
        b.iter(|| time_training(&small, &digits, standardize.clone(), 0).unwrap())
    });
    let mut blog = TrainConfig::blog();
    (blog.epochs, blog.dropout) = (1, 0.0);
    group.bench_function("digits blog recipe", |b| {
        b.iter(|| train::train(&blog, &digits, &all, &mut train::Silent).unwrap())
    });
    let (mnist, _) = digitnet::data::mnist::load().unwrap();
    let scale = Normalizer::Scale { pixel_max: 255.0 };
    for (name, hidden, act) in [
        ("mnist 784-800-10 relu batch 128", 800, Activation::Relu),
        ("mnist 784-200-10 tanh batch 128", 200, Activation::Tanh),
    ] {
        let config = bench_config(hidden, act, 128, 1);
        group.bench_function(name, |b| {
            b.iter(|| time_training(&config, &mnist, scale.clone(), 0).unwrap())
        });
    }
    group.finish();
}

/// Classifying MNIST's 10,000 test images in batches of 1000 with the 800-unit net.
fn inference(c: &mut Criterion) {
    let net = net(&[784, 800, 10], Activation::Relu);
    let (_, test) = digitnet::data::mnist::load().unwrap();
    let x = Normalizer::Scale { pixel_max: 255.0 }.transform(&test);
    let mut ws = Workspace::new(&net, 1000);
    let mut group = c.benchmark_group("inference");
    group.sample_size(20);
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("10000 images, batch 1000", |b| {
        b.iter(|| {
            x.chunks(1000 * 784)
                .map(|chunk| net.forward(chunk, 1000, &mut ws)[0])
                .sum::<f32>()
        })
    });
    group.finish();
}

criterion_group!(benches, passes, epochs, inference);
criterion_main!(benches);
