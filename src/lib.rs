//! digitnet trains small neural networks to read handwritten digits.
//!
//! It reproduces a classic experiment (a 64-200-10 network, tanh hidden layer,
//! softmax output and dropout, on the 8x8 "digits" set) faithfully, and trains the
//! same architecture correctly and much better.
//!
//! When to use which piece:
//! - [`data`]: load a [`data::Dataset`] (the embedded 8x8 digits with
//!   [`data::digits::load`]) and split it ([`data::shuffle_split`], [`data::stratified_folds`]).
//! - [`train`]: pick a [`train::TrainConfig`] (`blog` or `standard`) and call
//!   [`train::train`]; a [`train::Monitor`] receives progress.
//! - [`experiment`]: the whole split / train / evaluate cycle in one call, with the
//!   summary that reports and `--json` print.
//! - [`nn`]: the network itself ([`nn::Mlp`]), forward and backward on batches.
//! - [`metrics`] and [`evaluate`]: accuracy, the post's strict accuracy, confusion.
//! - `plot` (feature `plot`): the pictures of a run (digit grid, confusion heatmap,
//!   curves, mistakes, weights) as PNG or SVG, drawn with an embedded font.
//! - [`bench`]: the timings `digitnet bench` prints (epochs, inference, GFLOP/s).
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

pub mod atomic;
pub mod bench;
pub mod data;
pub mod error;
pub mod evaluate;
pub mod experiment;
pub mod linalg;
pub mod metrics;
pub mod nn;
pub mod normalize;
#[cfg(feature = "plot")]
pub mod plot;
pub mod report;
mod simd;
pub mod train;

pub use error::{Error, Result};
