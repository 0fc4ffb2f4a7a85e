//! MNIST test digits turned into "real-looking" pictures (10x larger, black on
//! white, off-centre, wide margins, PNG and JPEG) must be read as the in-memory
//! test images are: the preparation in `preprocess` is what makes that true.
//!
//! The model is tests/fixtures/mnist-784-128-10.safetensors (97.6% on the MNIST
//! test set), made by `regenerate_the_fixtures` below.

mod mnist_support;

use std::io::Cursor;

use image::{GrayImage, ImageFormat};

use digitnet::nn::argmax;
use digitnet::{Model, preprocess};

/// The fixed sample: the first 1000 MNIST test images.
const SAMPLE: usize = 1000;

fn encode(image: &GrayImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// The fraction of the sample whose picture, saved in the format `format_of(i)`
/// and read back, gets the answer the in-memory image gets.
fn agreement(model: &Model, format_of: impl Fn(usize) -> ImageFormat) -> f64 {
    let test = mnist_support::mnist("t10k", SAMPLE);
    let mut agree = 0;
    for i in 0..test.len() {
        let expected = argmax(&model.probabilities(test.image(i)));
        let bytes = encode(&mnist_support::render_page(test.image(i), i), format_of(i));
        let gray = preprocess::decode(&bytes, "page").unwrap();
        if model.predict(&gray).digit == Some(expected) {
            agree += 1;
        }
    }
    agree as f64 / test.len() as f64
}

#[test]
fn rendered_test_digits_are_read_as_the_in_memory_ones() {
    // Every other picture PNG, the rest JPEG (both formats for all: the ignored test).
    let alternate = |i: usize| {
        if i.is_multiple_of(2) {
            ImageFormat::Png
        } else {
            ImageFormat::Jpeg
        }
    };
    let rate = agreement(&mnist_support::fixture_model(), alternate);
    eprintln!("agreement on {SAMPLE} pictures (PNG and JPEG alternating): {rate:.3}");
    assert!(rate >= 0.97, "only {rate} of the pictures agree");
}

#[test]
#[ignore = "slower: every picture in both formats (about 10 s in the dev profile)"]
fn rendered_test_digits_agree_in_both_formats() {
    let model = mnist_support::fixture_model();
    for format in [ImageFormat::Png, ImageFormat::Jpeg] {
        let rate = agreement(&model, |_| format);
        eprintln!("{format:?}: {rate:.3}");
        assert!(rate >= 0.97, "{format:?}: only {rate} agree");
    }
}

#[test]
fn the_fixture_pictures_are_read_as_their_source_images() {
    let model = mnist_support::fixture_model();
    let test = mnist_support::mnist("t10k", 10);
    for (name, index) in mnist_support::FIXTURE_PICTURES {
        let image = preprocess::open(&mnist_support::fixtures().join(name)).unwrap();
        let expected = argmax(&model.probabilities(test.image(*index)));
        assert_eq!(model.predict(&image).digit, Some(expected), "{name}");
    }
}

/// Writes the fixture model and pictures again (run by hand after changing the
/// trainer or the rendering; takes about 25 s):
/// `cargo test --test real_images -- --ignored regenerate_the_fixtures`
#[test]
#[ignore = "writes tests/fixtures/"]
fn regenerate_the_fixtures() {
    let model = mnist_support::train_mnist_model(60_000, 128, 8);
    model
        .save(mnist_support::fixtures().join(mnist_support::MODEL_FIXTURE))
        .unwrap();
    let test = mnist_support::mnist("t10k", 10);
    for (name, index) in mnist_support::FIXTURE_PICTURES {
        let mut page = mnist_support::render_page(test.image(*index), *index);
        if name.contains("white-on-black") {
            image::imageops::invert(&mut page);
        }
        page.save(mnist_support::fixtures().join(name)).unwrap();
    }
}
