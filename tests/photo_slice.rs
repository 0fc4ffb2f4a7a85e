//! A small slice of the photo benchmark (`examples/photo_bench.rs`): 100 seeded
//! synthetic photos of MNIST test digits (paper, light, grain, pens, rotation,
//! specks, JPEG), read with the built-in MNIST model. A change that breaks the
//! preparation of photos, or the model's reading of them, fails here.

use digitnet::data::mnist;
use digitnet::preprocess;
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
