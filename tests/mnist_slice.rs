//! The MNIST preset end to end on small slices of the embedded MNIST (never all of it:
//! tests stay fast), with and without augmentation.

use digitnet::data::{Dataset, mnist};
use digitnet::normalize::Normalizer;
use digitnet::train::{Recipe, Silent, TrainConfig};
use digitnet::{experiment, train};

/// The first `n` images of MNIST's test part, and the `m` after them.
fn slices(n: usize, m: usize) -> (Dataset, Dataset) {
    let all = mnist::test().unwrap();
    let first: Vec<usize> = (0..n).collect();
    let next: Vec<usize> = (n..n + m).collect();
    (all.subset(&first), all.subset(&next))
}

fn small(mut config: TrainConfig) -> TrainConfig {
    config.hidden = vec![64];
    config.dropout = 0.2;
    config.lr = 3e-3;
    config.epochs = 4;
    let Recipe::Standard(settings) = &mut config.recipe else {
        panic!("the MNIST presets are the standard recipe's");
    };
    settings.batch_size = 32;
    config
}

#[test]
fn mnist_preset_learns_a_slice_and_records_its_scaling() {
    let (train_set, test_set) = slices(2000, 1000);
    let config = small(TrainConfig::mnist());
    let run = experiment::fixed_split(&config, &train_set, test_set, &mut Silent).unwrap();
    assert_eq!(
        run.trained.normalizer,
        Normalizer::Scale { pixel_max: 255.0 }
    );
    assert_eq!(run.summary.train_size, 2000);
    assert!(
        run.summary.test_accuracy > 0.85,
        "accuracy {}",
        run.summary.test_accuracy
    );
}

#[test]
fn augmentation_changes_training_and_still_learns() {
    let (train_set, test_set) = slices(2000, 1000);
    let rows: Vec<usize> = (0..train_set.len()).collect();
    let plain = small(TrainConfig::mnist());
    let augmented = small(TrainConfig::mnist_augmented());
    assert!(matches!(&augmented.recipe, Recipe::Standard(s) if s.augment.is_some()));
    let a = train::train(&plain, &train_set, &rows, &mut Silent).unwrap();
    let b = train::train(&augmented, &train_set, &rows, &mut Silent).unwrap();
    let b2 = train::train(&augmented, &train_set, &rows, &mut Silent).unwrap();
    assert_ne!(a.net, b.net, "augmentation had no effect");
    assert_eq!(b.net, b2.net, "augmented training is not reproducible");
    let run = experiment::fixed_split(&augmented, &train_set, test_set, &mut Silent).unwrap();
    assert!(
        run.summary.test_accuracy > 0.8,
        "accuracy {}",
        run.summary.test_accuracy
    );
}

#[test]
fn a_pair_runs_on_its_official_split_and_refuses_folds() {
    let (train_set, test_set) = slices(300, 100);
    let data = digitnet::data::Loaded::Pair {
        train: train_set,
        test: test_set,
    };
    let config = small(TrainConfig::mnist());
    let err = experiment::cross_validate_loaded(&config, &data, 3, &mut Silent).unwrap_err();
    assert!(matches!(err, digitnet::Error::Config(_)), "{err}");
    let run = experiment::run(&config, &data, 0.25, &mut Silent).unwrap();
    assert_eq!((run.summary.train_size, run.summary.test_size), (300, 100));
    assert_eq!(data.primary().len(), 300);
}
