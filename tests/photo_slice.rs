//! A small slice of the photo benchmark (`examples/photo_bench.rs`): 100 seeded
//! synthetic photos of MNIST test digits (paper, light, grain, pens, rotation,
//! specks, JPEG), read with the built-in MNIST model. A change that breaks the
//! preparation of photos, or the model's reading of them, fails here.

use digitnet::data::mnist;
use digitnet::preprocess::{self, Gray, Target};
use digitnet::synth::{self, Frame};
use digitnet::{Model, model::Prediction};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

/// Small frames keep the slice fast; the preparation sees the same conditions.
const FRAME: Frame = Frame {
    min_side: 120,
    max_side: 400,
};

/// The benchmark's target is 97% of single digits; the slice is 100 photos, so it
/// allows three more misreads than that.
const LEAST_RIGHT: usize = 94;

#[test]
fn photos_of_test_digits_are_read() {
    let model = Model::builtin_mnist().unwrap();
    let test = mnist::test().unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(15);
    let mut right = 0;
    let mut wrong = Vec::new();
    for _ in 0..100 {
        let i = rng.random_range(0..test.len());
        let label = test.labels[i];
        let photo = synth::single(test.image(i), label, FRAME, &mut rng);
        let gray = preprocess::decode(&photo.jpeg, "photo").unwrap();
        let answer: Prediction = model.predict(&gray);
        if answer.digit == Some(usize::from(label)) {
            right += 1;
        } else {
            wrong.push((i, label, answer.digit));
        }
    }
    eprintln!("{right}/100 right; wrong (test index, label, answer): {wrong:?}");
    assert!(right >= LEAST_RIGHT, "{right}/100 right: {wrong:?}");
}

#[test]
fn a_blank_noisy_photo_has_no_digit() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let blank = vec![0.0f32; 784];
    let model = Model::builtin_mnist().unwrap();
    for _ in 0..5 {
        let photo = synth::single(&blank, 0, FRAME, &mut rng);
        let gray = preprocess::decode(&photo.jpeg, "blank").unwrap();
        let answer = model.predict(&gray);
        assert_eq!(answer.digit, None, "{:?}", answer.reason);
    }
}

/// The luma of a JPEG file at its full size, as stored (no EXIF turn), read with the
/// JPEG decoder alone: the reference for `preprocess::decode`, which shrinks it.
fn full_size_luma(jpeg: &[u8]) -> Gray {
    use zune_jpeg::zune_core::{bytestream::ZCursor, colorspace::ColorSpace};
    let options = zune_jpeg::zune_core::options::DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::Luma);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(jpeg), options);
    let luma = decoder.decode().unwrap();
    let (w, h) = decoder.dimensions().unwrap();
    Gray::new(w, h, luma.iter().map(|&v| f32::from(v) / 255.0).collect())
}

/// Whether the centre of `found` lies in `truth`, both `(x, y, width, height)`.
fn centre_inside(found: [usize; 4], truth: (usize, usize, usize, usize)) -> bool {
    let (cx, cy) = (found[0] + found[2] / 2, found[1] + found[3] / 2);
    let (x, y, w, h) = truth;
    (x..x + w).contains(&cx) && (y..y + h).contains(&cy)
}

/// A 12-megapixel photo is decoded shrunk to the analysis resolution; prepared, it
/// gives the box (in the file's pixels) and nearly the input of the same photo
/// prepared at its full size.
#[test]
fn a_large_photo_read_shrunk_is_prepared_as_at_full_size() {
    let test = mnist::test().unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let size = (4000, 3000);
    let photo = synth::single_with(
        test.image(0),
        test.labels[0],
        size,
        Some((10.0, 95)),
        &mut rng,
    );
    let shrunk = preprocess::decode(&photo.jpeg, "large").unwrap();
    assert_eq!((shrunk.width(), shrunk.height()), (1000, 750));
    assert_eq!((shrunk.factor(), shrunk.source_size()), (4, size));
    let full = full_size_luma(&photo.jpeg);
    let small = preprocess::prepare(&shrunk, Target::MNIST).unwrap();
    let large = preprocess::prepare(&full, Target::MNIST).unwrap();
    assert_eq!(
        (small.ink_box, small.dark_ink),
        (large.ink_box, large.dark_ink)
    );
    let (x, y, w, h) = small.ink_box;
    assert!(
        centre_inside([x, y, w, h], photo.digits[0].bbox),
        "{:?}",
        small.ink_box
    );
    let worst = small
        .pixels
        .iter()
        .zip(&large.pixels)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(worst <= 1.0, "prepared values differ by {worst} of 255");
}

/// The digits of a large photo of a number (2100 to 2600 pixels a side, shrunk by
/// 3 with blocks cut by its edges) are read from the shrunk photo in the file's
/// pixels, where they were drawn.
#[test]
fn a_large_number_read_shrunk_has_its_boxes_in_the_files_pixels() {
    let model = Model::builtin_mnist().unwrap();
    let test = mnist::test().unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
    let chosen: Vec<(&[f32], u8)> = (0..3).map(|i| (test.image(i), test.labels[i])).collect();
    let frame = Frame {
        min_side: 2100,
        max_side: 2600,
    };
    let photo = synth::number(&chosen, frame, &mut rng);
    let shrunk = preprocess::decode(&photo.jpeg, "number").unwrap();
    assert_eq!(shrunk.factor(), 3, "{}x{}", photo.width, photo.height);
    let small = model.read_number(&shrunk, 0.6).unwrap();
    let large = model
        .read_number(&full_size_luma(&photo.jpeg), 0.6)
        .unwrap();
    let boxes = |r: &digitnet::number::NumberReading| -> Vec<[usize; 4]> {
        r.digits.iter().map(|d| d.rect).collect()
    };
    assert_eq!(boxes(&small), boxes(&large));
    assert_eq!(small.digits.len(), photo.digits.len());
    for (found, placed) in small.digits.iter().zip(&photo.digits) {
        assert!(
            centre_inside(found.rect, placed.bbox),
            "{:?} vs {:?}",
            found.rect,
            placed.bbox
        );
    }
}
