//! Writes the seed corpora, `fuzz/corpus/<target>/seed-*`, from the project's own
//! data: a few small valid files per target (a few KB at most each).
//!
//! Run from `fuzz/`: `cargo run --example make_seeds`. The output is committed;
//! rerun it only when a format changes.

use std::fs;
use std::io::Cursor;
use std::path::Path;

use digitnet::data::{digits, idx};
use digitnet_fuzz::{gzip, small_digits_model, small_model};
use image::{GrayImage, ImageFormat, Luma};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let digits = digits::load()?;
    let mnist = idx::read_images(&root.join("../data/mnist/t10k-images-idx3-ubyte.gz"))?;
    let mnist_labels = idx::read_labels(&root.join("../data/mnist/t10k-labels-idx1-ubyte.gz"))?;

    let images = idx_images(&mnist.pixels[..2 * 784], 2, 28, 28);
    let labels = idx_labels(&mnist_labels[..2]);
    let small = idx_images(&digits.pixels[..3 * 64], 3, 8, 8);
    write(root, "idx_raw", "images-2x28x28.idx", &images)?;
    write(root, "idx_raw", "labels-2.idx", &labels)?;
    write(root, "idx_raw", "images-2x28x28.idx.gz", &gzip(&images))?;
    write(root, "idx_raw", "labels-2.idx.gz", &gzip(&labels))?;
    write(root, "idx_gzip", "images-2x28x28.idx", &images)?;
    write(root, "idx_gzip", "images-3x8x8.idx", &small)?;
    write(root, "idx_gzip", "labels-2.idx", &labels)?;
    // idx_pair: a selector byte (bit 0 gzip the images, bit 1 the labels), where the
    // labels end (u16, little-endian), the labels, the images.
    let small_labels = idx_labels(&digits.labels[..3]);
    for (name, selector, labels, images) in [
        ("pair-2x28x28.idx", 0u8, &labels, &images),
        ("pair-3x8x8-gzip.idx", 3, &small_labels, &small),
        ("pair-3-labels-2-images.idx", 1, &small_labels, &images),
    ] {
        let mut pair = vec![selector];
        pair.extend((labels.len() as u16).to_le_bytes());
        pair.extend_from_slice(labels);
        pair.extend_from_slice(images);
        write(root, "idx_pair", name, &pair)?;
    }

    let rows = digits_rows(&digits, 3);
    let header: Vec<String> = (0..64).map(|i| format!("p{i}")).collect();
    let named = format!("{},label\n{rows}", header.join(","));
    // Selector bits (see digitnet_fuzz::csv_options): 1 = label last,
    // 2 = label named "label", 8 = shape 8x8, 16 = pixels 0..16, 32 = 10 classes,
    // 64 = gzip the rest.
    write(root, "csv", "last.csv", &selected(1, rows.as_bytes()))?;
    write(root, "csv", "named.csv", &selected(2, named.as_bytes()))?;
    write(
        root,
        "csv",
        "all-options.csv",
        &selected(1 | 8 | 16 | 32, rows.as_bytes()),
    )?;
    write(root, "csv", "gzip.csv", &selected(1 | 64, rows.as_bytes()))?;
    write(
        root,
        "csv",
        "first.csv",
        &selected(0, b"label,a,b,c,d\n3,0,255,12,40\n1,9,8,7,6\n"),
    )?;

    write(root, "digits", "rows.csv", rows.as_bytes())?;
    write(root, "digits", "rows.csv.gz", &gzip(rows.as_bytes()))?;
    write(
        root,
        "digits",
        "spaced.csv",
        rows.replace(',', ", ").as_bytes(),
    )?;

    let model = small_digits_model()?;
    write(
        root,
        "model",
        "digits-64-8-10.safetensors",
        &model.to_bytes("seed")?,
    )?;
    // The blog recipe's kind of net: no biases.
    let blog = small_model(digitnet::train::TrainConfig::blog(), 4)?;
    write(
        root,
        "model",
        "blog-64-4-10.safetensors",
        &blog.to_bytes("seed")?,
    )?;

    let picture = digit_picture(&digits.pixels[..64]);
    for (name, format) in [
        ("digit.png", ImageFormat::Png),
        ("digit.jpg", ImageFormat::Jpeg),
        ("digit.bmp", ImageFormat::Bmp),
        ("digit.gif", ImageFormat::Gif),
        ("digit.pgm", ImageFormat::Pnm),
    ] {
        let mut out = Cursor::new(Vec::new());
        let picture = image::DynamicImage::ImageLuma8(picture.clone());
        if format == ImageFormat::Gif {
            // GIF holds colour only.
            picture.into_rgba8().write_to(&mut out, format)?;
        } else {
            picture.write_to(&mut out, format)?;
        }
        write(root, "image", name, out.get_ref())?;
    }

    let pixels: Vec<String> = picture.as_raw().iter().map(u8::to_string).collect();
    let body = format!(
        r#"{{"width":16,"height":16,"pixels":[{}]}}"#,
        pixels.join(",")
    );
    write(root, "serve_json", "digit-16x16.json", body.as_bytes())?;
    write(
        root,
        "serve_json",
        "bar-4x3.json",
        br#"{"width":4,"height":3,"pixels":[255,255,255,255,0,10,20,30,255,255,255,255]}"#,
    )?;
    Ok(())
}

/// Writes `fuzz/corpus/<target>/seed-<name>`.
fn write(root: &Path, target: &str, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let dir = root.join("corpus").join(target);
    fs::create_dir_all(&dir)?;
    fs::write(dir.join(format!("seed-{name}")), bytes)
}

/// An IDX image file of `count` images `h x w` (pixels 0..255 as `f32`).
fn idx_images(pixels: &[f32], count: u32, h: u32, w: u32) -> Vec<u8> {
    let mut out = idx::IMAGES_MAGIC.to_be_bytes().to_vec();
    for d in [count, h, w] {
        out.extend(d.to_be_bytes());
    }
    out.extend(pixels.iter().map(|&v| v as u8));
    out
}

fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut out = idx::LABELS_MAGIC.to_be_bytes().to_vec();
    out.extend((labels.len() as u32).to_be_bytes());
    out.extend_from_slice(labels);
    out
}

/// The first `n` digits as CSV rows: 64 values then the label.
fn digits_rows(d: &digitnet::data::Dataset, n: usize) -> String {
    (0..n)
        .map(|i| {
            let values: Vec<String> = d.image(i).iter().map(|v| v.to_string()).collect();
            format!("{},{}\n", values.join(","), d.labels[i])
        })
        .collect()
}

/// `rest` after the selector byte the CSV target reads first.
fn selected(selector: u8, rest: &[u8]) -> Vec<u8> {
    let mut out = vec![selector];
    out.extend_from_slice(rest);
    out
}

/// An 8x8 digit (ink counts 0..16) as a 16x16 dark-on-white picture.
fn digit_picture(ink: &[f32]) -> GrayImage {
    GrayImage::from_fn(16, 16, |x, y| {
        let v = ink[(y / 2 * 8 + x / 2) as usize];
        Luma([255 - (v * 255.0 / 16.0) as u8])
    })
}
