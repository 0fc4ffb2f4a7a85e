//! Property tests of every parser that reads outside bytes: IDX and CSV files,
//! model files, image files, raw pixels and the server's JSON body.
//!
//! Each parser gets arbitrary bytes, a valid input with bytes flipped, a valid
//! small input cut at every length, and headers that claim huge sizes. The
//! property is always the same: no panic, and either a valid result or an error
//! whose message is not empty.

use std::io::{Cursor, Write};

use digitnet::Model;
use digitnet::data::csv::{self, CsvOptions};
use digitnet::data::idx::{self, IMAGES_MAGIC, LABELS_MAGIC};
use digitnet::model::{InputInfo, TrainingSummary};
use digitnet::nn::{Activation, Init, Mlp, NetSpec};
use digitnet::normalize::Normalizer;
use digitnet::preprocess::{self, Style, Target};
use digitnet::serve::input::{Payload, read_image};
use flate2::Compression;
use flate2::write::GzEncoder;
use image::{GrayImage, ImageFormat, Luma};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

/// Cases per property: enough to shake out panics, few enough for a dev build.
const CASES: u32 = 64;

/// Checks a parser's answer: `Ok` must pass `valid`, `Err` must say something.
fn check<T, E: std::fmt::Display>(result: Result<T, E>, valid: impl FnOnce(&T) -> bool) {
    match result {
        Ok(value) => assert!(valid(&value), "an Ok result that is not valid"),
        Err(e) => assert!(!e.to_string().trim().is_empty(), "an error with no message"),
    }
}

/// `bytes` with each `(position, mask)` xor-ed in (positions taken modulo the length).
fn flipped(bytes: &[u8], flips: &[(usize, u8)]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for &(at, mask) in flips {
        let i = at % out.len();
        out[i] ^= mask.max(1);
    }
    out
}

/// Up to eight random byte flips.
fn flips() -> impl Strategy<Value = Vec<(usize, u8)>> {
    prop::collection::vec((any::<usize>(), any::<u8>()), 1..8)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

// ---------------------------------------------------------------- IDX

/// An IDX header: `magic` then each dimension, big-endian.
fn idx_header(magic: u32, dims: &[u32]) -> Vec<u8> {
    let mut out = magic.to_be_bytes().to_vec();
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out
}

/// A valid image file of 3 pictures of 4x4 and a label file of 3 labels.
fn small_idx() -> (Vec<u8>, Vec<u8>) {
    let mut images = idx_header(IMAGES_MAGIC, &[3, 4, 4]);
    images.extend((0..48u8).map(|v| v * 5));
    let mut labels = idx_header(LABELS_MAGIC, &[3]);
    labels.extend([1, 7, 9]);
    (images, labels)
}

/// Runs both IDX readers on `bytes` and checks their answers.
fn check_idx(bytes: &[u8]) {
    let len = bytes.len() as u64;
    check(idx::images_from(Cursor::new(bytes), len, "fuzz"), |i| {
        i.pixels.len() == i.count * i.height * i.width
    });
    check(idx::labels_from(Cursor::new(bytes), len, "fuzz"), |_| true);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn idx_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        check_idx(&bytes);
        check_idx(&gzip(&bytes));
    }

    #[test]
    fn idx_valid_files_with_bytes_flipped(flips in flips()) {
        let (images, labels) = small_idx();
        for file in [images, labels] {
            check_idx(&flipped(&file, &flips));
            check_idx(&flipped(&gzip(&file), &flips));
        }
    }

    #[test]
    fn idx_headers_with_arbitrary_sizes(
        dims in prop::collection::vec(any::<u32>(), 3),
        tail in 0usize..100
    ) {
        let mut bytes = idx_header(IMAGES_MAGIC, &dims);
        bytes.extend(std::iter::repeat_n(7u8, tail));
        check_idx(&bytes);
    }
}

#[test]
fn idx_valid_files_truncated_at_every_length() {
    let (images, labels) = small_idx();
    for file in [images, labels] {
        let gz = gzip(&file);
        for cut in 0..file.len() {
            check_idx(&file[..cut]);
            assert!(idx::images_from(Cursor::new(&file[..cut]), cut as u64, "cut").is_err());
        }
        for cut in 0..gz.len() {
            check_idx(&gz[..cut]);
        }
        check_idx(&file);
    }
}

// ---------------------------------------------------------------- CSV

/// A valid CSV of four 2x2 images with a header row.
const SMALL_CSV: &str = "label,p0,p1,p2,p3\n3,0,255,12,40\n1,9,8,7,6\n0,255,255,0,0\n2,1,2,3,4\n";

fn check_csv(bytes: &[u8]) {
    for options in [
        CsvOptions::default(),
        CsvOptions {
            label: csv::LabelColumn::Last,
            shape: Some((2, 2)),
            pixel_max: None,
            classes: Some(10),
            ..CsvOptions::default()
        },
    ] {
        check(
            csv::parse(Cursor::new(bytes), "fuzz.csv", "fuzz", &options),
            |d| d.pixels.len() == d.len() * d.features() && !d.is_empty(),
        );
    }
}

/// A CSV line of numbers and a few things that are not quite numbers.
fn csv_field() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u16>().prop_map(|v| v.to_string()),
        any::<f32>().prop_map(|v| v.to_string()),
        Just(String::new()),
        Just("NaN".to_string()),
        Just("-1".to_string()),
        Just("1e40".to_string()),
        Just("label".to_string()),
        Just("\"3\"".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn csv_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        check_csv(&bytes);
        check_csv(&gzip(&bytes));
    }

    #[test]
    fn csv_arbitrary_rows(
        rows in prop::collection::vec(prop::collection::vec(csv_field(), 0..7), 0..6)
    ) {
        let text: String = rows.iter().map(|r| r.join(",") + "\n").collect();
        check_csv(text.as_bytes());
    }

    #[test]
    fn csv_valid_file_with_bytes_flipped(flips in flips()) {
        check_csv(&flipped(SMALL_CSV.as_bytes(), &flips));
        check_csv(&flipped(&gzip(SMALL_CSV.as_bytes()), &flips));
    }
}

#[test]
fn csv_valid_file_truncated_at_every_length() {
    let bytes = SMALL_CSV.as_bytes();
    let gz = gzip(bytes);
    for cut in 0..=bytes.len() {
        check_csv(&bytes[..cut]);
    }
    for cut in 0..gz.len() {
        check_csv(&gz[..cut]);
    }
    let full = csv::parse(Cursor::new(bytes), "ok.csv", "ok", &CsvOptions::default()).unwrap();
    assert_eq!(full.len(), 4);
}

// ---------------------------------------------------------------- model files

/// The bytes of a small untrained 16-4-10 model on 4x4 images.
fn small_model_bytes() -> Vec<u8> {
    let spec = NetSpec {
        sizes: vec![16, 4, 10],
        activation: Activation::Tanh,
        bias: true,
        init: Init::Scaled,
    };
    let net = Mlp::new(&spec, &mut Xoshiro256PlusPlus::seed_from_u64(1)).unwrap();
    let input = InputInfo {
        height: 4,
        width: 4,
        pixel_max: 255.0,
        preparation: Style::Mnist,
    };
    let training = TrainingSummary {
        dataset: "none".into(),
        recipe: "standard".into(),
        seed: 1,
        epochs: 0,
        train_size: 0,
        test_size: 0,
        test_accuracy: None,
        dropout: 0.0,
    };
    let normalizer = Normalizer::Scale { pixel_max: 255.0 };
    let classes = (0..net.outputs()).map(|c| c.to_string()).collect();
    let model = Model::new(net, normalizer, input, classes, training).unwrap();
    model.to_bytes("small").unwrap()
}

fn check_model(bytes: &[u8]) {
    check(Model::from_bytes(bytes, "fuzz.safetensors"), |m| {
        m.target().features() == 16
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn model_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        check_model(&bytes);
    }

    #[test]
    fn model_file_with_bytes_flipped(flips in flips()) {
        check_model(&flipped(&small_model_bytes(), &flips));
    }

    #[test]
    fn model_header_length_claiming_anything(claim in any::<u64>()) {
        let mut bytes = small_model_bytes();
        bytes[..8].copy_from_slice(&claim.to_le_bytes());
        check_model(&bytes);
    }
}

#[test]
fn model_file_truncated_at_every_length() {
    let bytes = small_model_bytes();
    for cut in 0..bytes.len() {
        let err = Model::from_bytes(&bytes[..cut], "cut.safetensors").unwrap_err();
        assert!(!err.to_string().is_empty());
    }
    check_model(&bytes);
    assert!(Model::from_bytes(&bytes, "whole").is_ok());
}

// ---------------------------------------------------------------- images and pixels

/// A small PNG: a dark bar on white paper.
fn small_png() -> Vec<u8> {
    let picture = GrayImage::from_fn(12, 12, |x, y| {
        Luma([if (4..8).contains(&x) && (2..10).contains(&y) {
            20
        } else {
            250
        }])
    });
    let mut out = Cursor::new(Vec::new());
    picture.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Decodes `bytes` (as a file and as a server upload) and prepares any picture.
fn check_image(bytes: &[u8]) {
    let decoded = preprocess::decode(bytes, "fuzz.png");
    if let Ok(gray) = &decoded {
        for target in [Target::for_shape(8, 8), Target::for_shape(28, 28)] {
            check(preprocess::prepare(gray, target), |p| {
                p.pixels.len() == target.features()
            });
        }
    }
    check(decoded, |g| g.pixels().len() == g.width() * g.height());
    check(
        read_image(Payload::Image, bytes).map_err(|e| e.message),
        |g| g.pixels().len() == g.width() * g.height(),
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn image_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        check_image(&bytes);
    }

    #[test]
    fn image_png_with_bytes_flipped(flips in flips()) {
        check_image(&flipped(&small_png(), &flips));
    }

    #[test]
    fn image_png_claiming_any_size(width in any::<u32>(), height in any::<u32>()) {
        // The IHDR chunk's width and height sit at bytes 16..24 (its CRC is then wrong,
        // which the decoder may or may not notice first).
        let mut bytes = small_png();
        bytes[16..20].copy_from_slice(&width.to_be_bytes());
        bytes[20..24].copy_from_slice(&height.to_be_bytes());
        check_image(&bytes);
    }

    #[test]
    fn pixels_of_any_shape(width in 0usize..40, height in 0usize..40, extra in 0usize..3,
                           seed in any::<u64>(), wide in any::<bool>()) {
        let len = (width * height + extra).min(2000);
        let values: Vec<u8> = (0..len)
            .map(|i| (seed.wrapping_mul(i as u64 + 1) >> 13) as u8)
            .collect();
        let target = if wide { Target::for_shape(28, 28) } else { Target::for_shape(8, 8) };
        check(preprocess::prepare_pixels(width, height, &values, target), |p| {
            p.pixels.len() == target.features()
                && p.pixels.iter().all(|v| v.is_finite() && (0.0..=target.pixel_max()).contains(v))
        });
    }

    #[test]
    fn pixels_with_absurd_sizes(width in any::<usize>(), height in any::<usize>(),
                                values in prop::collection::vec(any::<u8>(), 0..64)) {
        check(preprocess::prepare_pixels(width, height, &values, Target::for_shape(8, 8)), |p| {
            p.pixels.len() == 64
        });
    }
}

#[test]
fn image_png_truncated_at_every_length() {
    let png = small_png();
    for cut in 0..png.len() {
        check_image(&png[..cut]);
    }
    check_image(&png);
    assert!(preprocess::decode(&png, "whole.png").is_ok());
}

#[test]
fn blank_and_flat_pictures_are_no_digit() {
    for value in [0u8, 128, 255] {
        let err =
            preprocess::prepare_pixels(8, 8, &[value; 64], Target::for_shape(8, 8)).unwrap_err();
        assert!(!err.reason.is_empty());
    }
}

// ---------------------------------------------------------------- the server's JSON body

fn check_json(bytes: &[u8]) {
    check(
        read_image(Payload::Json, bytes).map_err(|e| e.message),
        |g| {
            g.pixels().len() == g.width() * g.height()
                && g.pixels().iter().all(|v| (0.0..=1.0).contains(v))
        },
    );
}

/// A JSON value of the body's shape with any numbers in it.
fn json_body() -> impl Strategy<Value = String> {
    (
        any::<i64>(),
        0u32..6,
        prop::collection::vec(
            prop_oneof![
                any::<f32>().prop_map(|v| v.to_string()),
                Just("null".into()),
                Just("\"7\"".into())
            ],
            0..40,
        ),
    )
        .prop_map(|(width, height, pixels)| {
            format!(
                "{{\"width\":{width},\"height\":{height},\"pixels\":[{}]}}",
                pixels.join(",")
            )
        })
}

/// A valid body: a 4x3 picture.
const SMALL_JSON: &str =
    r#"{"width":4,"height":3,"pixels":[255,255,255,255,0,10,20,30,255,255,255,255]}"#;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn json_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        check_json(&bytes);
    }

    #[test]
    fn json_arbitrary_bodies(body in json_body()) {
        check_json(body.as_bytes());
    }

    #[test]
    fn json_valid_body_with_bytes_flipped(flips in flips()) {
        check_json(&flipped(SMALL_JSON.as_bytes(), &flips));
    }

    #[test]
    fn json_claiming_huge_sides(width in any::<u32>(), height in any::<u32>()) {
        let body = format!("{{\"width\":{width},\"height\":{height},\"pixels\":[1,2,3]}}");
        check_json(body.as_bytes());
    }
}

#[test]
fn json_valid_body_truncated_at_every_length() {
    let bytes = SMALL_JSON.as_bytes();
    for cut in 0..bytes.len() {
        let err = read_image(Payload::Json, &bytes[..cut]).unwrap_err();
        assert!(!err.message.is_empty());
    }
    let gray = read_image(Payload::Json, bytes).unwrap();
    assert_eq!((gray.width(), gray.height()), (4, 3));
}
