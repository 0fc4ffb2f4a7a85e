//! Shared by the model and image tests: MNIST from data/mnist/, the fixture model
//! and pictures in tests/fixtures/, and how they are made.
//!
//! The IDX reader here is a tiny private one (the library's own IDX loader is being
//! added on another branch); it trusts the files shipped in the repository.

#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};

use digitnet::Model;
use digitnet::data::Dataset;
use digitnet::model::{InputInfo, TrainingSummary};
use digitnet::normalize::Normalizer;
use digitnet::train::{Recipe, Silent, StandardSettings, TrainConfig, standard};
use image::{GrayImage, Luma};

fn gunzip(path: &Path) -> Vec<u8> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// The first `n` images of an MNIST part (`train` or `t10k`), pixels 0..255.
pub fn mnist(part: &str, n: usize) -> Dataset {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
    let images = gunzip(&dir.join(format!("{part}-images-idx3-ubyte.gz")));
    let labels = gunzip(&dir.join(format!("{part}-labels-idx1-ubyte.gz")));
    assert_eq!(images[..4], [0, 0, 8, 3], "image magic");
    assert_eq!(labels[..4], [0, 0, 8, 1], "label magic");
    let pixels = images[16..16 + n * 784]
        .iter()
        .map(|&v| f32::from(v))
        .collect();
    let labels = labels[8..8 + n].to_vec();
    Dataset::new("mnist", pixels, labels, (28, 28), 255.0, 10).unwrap()
}

/// The MNIST model the image tests use: `tests/fixtures/mnist-784-128-10.safetensors`,
/// made by [`train_mnist_model`] (see `regenerate_the_fixture_model` in
/// tests/real_images.rs). A saved model keeps the tests fast: training one that reads
/// MNIST well enough takes about 25 s.
pub fn fixture_model() -> Model {
    Model::load(fixtures().join(MODEL_FIXTURE)).unwrap()
}

pub const MODEL_FIXTURE: &str = "mnist-784-128-10.safetensors";

/// Rendered MNIST test images in tests/fixtures/, with their test-set index.
pub const FIXTURE_PICTURES: &[(&str, usize)] = &[
    ("mnist-t10k-0-black-on-white.png", 0),
    ("mnist-t10k-1-black-on-white.jpg", 1),
    ("mnist-t10k-2-white-on-black.png", 2),
    ("mnist-t10k-3-white-on-black.jpg", 3),
];

/// tests/fixtures/
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A 784-`hidden`-10 net trained with the standard recipe (Adam, dropout 0.2,
/// seed 0) on the first `n` MNIST training images, inputs scaled to 0..1.
pub fn train_mnist_model(n: usize, hidden: usize, epochs: usize) -> Model {
    let data = mnist("train", n);
    let config = TrainConfig {
        hidden: vec![hidden],
        epochs,
        dropout: 0.2,
        recipe: Recipe::Standard(StandardSettings {
            validation_fraction: 0.0,
            patience: None,
            ..StandardSettings::digits()
        }),
        ..TrainConfig::standard()
    };
    let rows: Vec<usize> = (0..data.len()).collect();
    let scale = |_: &[usize]| Normalizer::Scale { pixel_max: 255.0 };
    let trained = standard::train_with(&config, &data, &rows, scale, &mut Silent).unwrap();
    let test = mnist("t10k", 10_000);
    let accuracy = digitnet::score::evaluate(&trained.net, &trained.normalizer, &test).accuracy;
    let summary = TrainingSummary {
        dataset: format!("mnist (first {n} training images)"),
        recipe: "standard".into(),
        seed: config.seed,
        epochs,
        train_size: data.len(),
        test_size: test.len(),
        test_accuracy: Some(accuracy),
        dropout: config.dropout,
    };
    Model::new(
        trained.net,
        trained.normalizer,
        InputInfo::of(&data),
        data.class_names.clone(),
        summary,
    )
    .unwrap()
}

/// MNIST test image `pixels` (28x28, 0..255) as a photo-like picture: 10x
/// upscaled (bilinear), inverted to black on white, placed off-centre on a wide
/// page whose size and offset vary with `i`.
pub fn render_page(pixels: &[f32], i: usize) -> GrayImage {
    let at = |x: usize, y: usize| pixels[y.min(27) * 28 + x.min(27)];
    let large = GrayImage::from_fn(280, 280, |x, y| {
        let sx = ((x as f32 + 0.5) / 10.0 - 0.5).max(0.0);
        let sy = ((y as f32 + 0.5) / 10.0 - 0.5).max(0.0);
        let (x0, y0) = (sx as usize, sy as usize);
        let (tx, ty) = (sx - x0 as f32, sy - y0 as f32);
        let top = at(x0, y0) * (1.0 - tx) + at(x0 + 1, y0) * tx;
        let bottom = at(x0, y0 + 1) * (1.0 - tx) + at(x0 + 1, y0 + 1) * tx;
        Luma([255 - (top * (1.0 - ty) + bottom * ty).round() as u8])
    });
    let (w, h) = (400 + (i % 7) as u32 * 30, 360 + (i % 5) as u32 * 40);
    let (x, y) = ((i * 37) as u32 % (w - 280), (i * 53) as u32 % (h - 280));
    let mut page = GrayImage::from_pixel(w, h, Luma([255]));
    image::imageops::replace(&mut page, &large, i64::from(x), i64::from(y));
    page
}
