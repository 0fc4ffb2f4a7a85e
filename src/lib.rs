//! digitnet trains small neural networks to read handwritten digits.
//!
//! It reproduces a classic experiment (a 64-200-10 network, tanh hidden layer,
//! softmax output and dropout, on the 8x8 "digits" set) faithfully, and trains the
//! same architecture correctly and much better.
//!
//! When to use which piece:
//! - [`data`]: load a [`data::Dataset`] (the embedded 8x8 digits with
//!   [`data::digits::load`]) and split it ([`data::shuffle_split`], [`data::stratified_folds`]).
//! - [`train`]: pick a [`train::TrainConfig`] (`blog` or `standard`: the shared settings,
//!   and the recipe's own in a [`train::Recipe`]) and call [`train::train`]; a
//!   [`train::Monitor`] receives progress.
//! - [`experiment`]: the whole split / train / evaluate cycle in one call, with the
//!   summary that reports and `--json` print; [`experiment::Run::model`] makes the model.
//! - [`nn`]: the network itself ([`nn::Mlp`]), forward and backward on batches.
//! - [`score`]: accuracy, the post's strict accuracy, confusion ([`score::metrics`]).
//! - [`model`]: keep a trained network ([`Model`]: weights, input convention,
//!   training record) in a safetensors file ([`model::file`]) and load it back; the
//!   28x28 MNIST model built into the library ([`Model::builtin_mnist`]), which the
//!   CLI uses when no model file is given.
//! - [`report`]: the text of a run's report and of `info`, `eval` and `predict`.
//! - [`preprocess`] and [`model::predict`]: turn a photo, scan or canvas into the network's
//!   input the way its training images were prepared, and answer with a digit, its
//!   probability and the runners-up (or "no digit" with a reason).
//! - [`number`]: read a whole number, a row of 1 to 8 digits in one picture
//!   ([`Model::read_number`]): each digit with its probability and box.
//! - `synth` (feature `images`): seeded synthetic photos of MNIST digits and numbers
//!   (paper, light, grain, pens, rotation, JPEG) for measuring how photos are read.
//! - `plot` (feature `plot`): the pictures of a run (digit grid, confusion heatmap,
//!   curves, mistakes, weights) as PNG or SVG, drawn with an embedded font.
//! - `serve` (feature `serve`): the drawing page and JSON API behind `digitnet serve`.
//! - [`bench`](mod@bench): the timings `digitnet bench` prints (epochs, inference, GFLOP/s).
//! - [`estimator`]: scikit-learn's names, [`Classifier`] with `fit`, `predict`,
//!   `predict_proba` and `score` on whole data sets.
//!
//! Train, save, load and predict, under scikit-learn's names:
//!
//! ```
//! use digitnet::{Classifier, Model, data, train::TrainConfig};
//!
//! let digits = data::digits::load()?;
//! let split = data::shuffle_split(digits.len(), 0.25, 0)?;
//! let (train_set, test_set) = (digits.subset(&split.train), digits.subset(&split.test));
//!
//! let mut config = TrainConfig::standard();
//! config.epochs = 5; // keep the doctest short
//! let mut clf = Classifier::new(config);
//! clf.fit(&train_set)?;
//! println!("accuracy {:.3}", clf.score(&test_set)?);
//!
//! let path = std::env::temp_dir().join(format!("digitnet-sk-{}.safetensors", std::process::id()));
//! clf.model()?.save(&path)?;
//! let loaded = Classifier::from_model(Model::load(&path)?);
//! # std::fs::remove_file(&path).unwrap();
//! let digits_read: Vec<usize> = loaded.predict(&test_set)?;
//! let probabilities: Vec<Vec<f32>> = loaded.predict_proba(&test_set)?;
//! assert_eq!(digits_read, clf.predict(&test_set)?);
//! assert_eq!(probabilities[0].len(), 10);
//! assert!(loaded.score(&test_set)? > 0.8);
//! # Ok::<(), digitnet::Error>(())
//! ```
//!
//! The same with the library's own pieces: a hold-out experiment in one call.
//!
//! ```
//! use digitnet::{data, experiment, train};
//!
//! let digits = data::digits::load()?;
//! let mut config = train::TrainConfig::standard();
//! config.epochs = 5; // keep the doctest short
//! let run = experiment::holdout(&config, &digits, 0.25, &mut train::Silent)?;
//! assert!(run.summary.test_accuracy > 0.8);
//! # Ok::<(), digitnet::Error>(())
//! ```
//!
//! Keep the model, load it later and read a picture with it (`preprocess::open`
//! reads PNG, JPEG, BMP, GIF and PGM files with the `images` feature; here the
//! picture is drawn in memory):
//!
//! ```
//! # use digitnet::{data, experiment, train};
//! # let digits = data::digits::load()?;
//! # let mut config = train::TrainConfig::standard();
//! # config.epochs = 5;
//! # let run = experiment::holdout(&config, &digits, 0.25, &mut train::Silent)?;
//! # let dir = std::env::temp_dir().join(format!("digitnet-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! # let path = dir.join("model.safetensors");
//! use digitnet::{Model, preprocess::Gray};
//!
//! run.model()?.save(&path)?;
//!
//! let model = Model::load(&path)?;
//! // A white 60x60 page with a black vertical stroke: a "1".
//! let mut page = Gray::new(60, 60, vec![1.0; 3600]);
//! for y in 10..50 {
//!     page.pixels_mut()[y * 60 + 29..y * 60 + 32].fill(0.0);
//! }
//! let answer = model.predict(&page);
//! match (&answer.label, answer.probability()) {
//!     (Some(digit), Some(p)) => println!("{digit} ({:.0}%)", 100.0 * p),
//!     _ => println!("? ({})", answer.reason.as_deref().unwrap_or("")),
//! }
//! assert_eq!(answer.top(3).len(), 3);
//! # std::fs::remove_dir_all(dir).unwrap();
//! # Ok::<(), digitnet::Error>(())
//! ```

pub mod atomic;
pub mod augment;
pub mod bench;
pub mod data;
pub mod error;
pub mod estimator;
pub mod experiment;
pub mod linalg;
pub mod model;
pub mod nn;
pub mod normalize;
pub mod number;
#[cfg(feature = "plot")]
pub mod plot;
pub mod preprocess;
pub mod report;
pub mod score;
#[cfg(feature = "serve")]
pub mod serve;
pub mod simd;
#[cfg(feature = "images")]
pub mod synth;
#[cfg(test)]
mod test_support;
pub mod train;

pub use error::{Error, Result};
pub use estimator::Classifier;
pub use model::Model;
