//! Training: the two recipes, their settings, and what a run reports as it goes.
//!
//! - [`Recipe::Blog`] reproduces the original post's program, quirks included
//!   (see [`blog`]), so its numbers can be reproduced and explained.
//! - [`Recipe::Standard`] trains the same architecture correctly (see [`standard`]).
//!
//! A [`TrainConfig`] holds the settings both recipes use and, in its [`Recipe`],
//! the chosen recipe's own; [`train`] runs it.

pub mod blog;
mod config;
mod log;
mod optim;
mod preset;
pub mod standard;

pub use config::{
    BlogSettings, MAX_EPOCHS, Recipe, RecipeKind, StandardSettings, TrainConfig, validation_len,
};
pub use log::EpochLog;
pub use optim::{Optimizer, OptimizerKind, Schedule, apply_max_norm};

use serde::Serialize;

use crate::data::Dataset;
use crate::error::Result;
use crate::nn::Mlp;
use crate::normalize::Normalizer;

/// What happened in one epoch.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EpochStats {
    /// 0-based.
    pub epoch: usize,
    /// Mean training loss: cross-entropy (standard) or the post's epoch error (blog).
    pub train_loss: f64,
    pub val_loss: Option<f64>,
    pub val_accuracy: Option<f64>,
    pub lr: f32,
    /// Seconds since training started.
    pub seconds: f64,
}

/// Whether to go on after an epoch or batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Stop now (for example on Ctrl-C), keeping the best weights so far.
    Stop,
}

/// Receives progress while a run trains. Every method has a do-nothing default.
pub trait Monitor {
    /// Called once before the first epoch with the number of epochs and of batches per epoch.
    fn start(&mut self, _epochs: usize, _batches: usize) {}
    /// Called after every batch.
    fn batch(&mut self, _epoch: usize, _batch: usize, _loss: f32) -> Flow {
        Flow::Continue
    }
    /// Called after every epoch.
    fn epoch(&mut self, _stats: &EpochStats) -> Flow {
        Flow::Continue
    }
}

/// A monitor that ignores everything.
pub struct Silent;
impl Monitor for Silent {}

/// Two monitors in one (a progress bar and a log, say): both hear everything, and
/// either can stop the run.
impl<A: Monitor, B: Monitor> Monitor for (A, B) {
    fn start(&mut self, epochs: usize, batches: usize) {
        self.0.start(epochs, batches);
        self.1.start(epochs, batches);
    }
    fn batch(&mut self, epoch: usize, batch: usize, loss: f32) -> Flow {
        let a = self.0.batch(epoch, batch, loss);
        let b = self.1.batch(epoch, batch, loss);
        if a == Flow::Stop { a } else { b }
    }
    fn epoch(&mut self, stats: &EpochStats) -> Flow {
        let a = self.0.epoch(stats);
        let b = self.1.epoch(stats);
        if a == Flow::Stop { a } else { b }
    }
}

/// A monitor that may be absent (an optional log): forwards only when present.
impl<M: Monitor> Monitor for Option<M> {
    fn start(&mut self, epochs: usize, batches: usize) {
        if let Some(m) = self {
            m.start(epochs, batches);
        }
    }
    fn batch(&mut self, epoch: usize, batch: usize, loss: f32) -> Flow {
        self.as_mut()
            .map_or(Flow::Continue, |m| m.batch(epoch, batch, loss))
    }
    fn epoch(&mut self, stats: &EpochStats) -> Flow {
        self.as_mut().map_or(Flow::Continue, |m| m.epoch(stats))
    }
}

/// Why training ended.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Stop {
    /// The blog recipe's error reached its target at this 0-based epoch.
    Converged { epoch: usize },
    /// All epochs ran.
    EpochLimit,
    /// Validation loss stopped improving.
    EarlyStopped { epoch: usize },
    /// A value became NaN or infinite during this 0-based epoch; `loss` is the
    /// offending value (NaN or infinite).
    Diverged { epoch: usize, loss: f32 },
    /// The monitor asked to stop during this epoch.
    Interrupted { epoch: usize },
}

/// A trained network and how it got there.
#[derive(Clone, Debug)]
pub struct Trained {
    pub net: Mlp,
    pub normalizer: Normalizer,
    pub history: Vec<EpochStats>,
    pub stop: Stop,
    /// The 0-based epoch whose weights were kept.
    pub kept_epoch: usize,
    pub seconds: f64,
}

impl Trained {
    /// Number of epochs that ran (fully or partly).
    pub fn epochs_run(&self) -> usize {
        match self.stop {
            Stop::Diverged { epoch, .. } | Stop::Interrupted { epoch } => epoch + 1,
            _ => self.history.len(),
        }
    }
}

/// Trains on `rows` of `data` with `config`, reporting progress to `monitor`.
///
/// `data` is the whole data set: the blog recipe fits its normalisation and divides
/// its error by the size of all of it, as the post did.
pub fn train(
    config: &TrainConfig,
    data: &Dataset,
    rows: &[usize],
    monitor: &mut impl Monitor,
) -> Result<Trained> {
    config.validate(rows.len())?;
    match &config.recipe {
        Recipe::Blog(b) if b.reference => blog::reference::train(config, data, rows, monitor),
        Recipe::Blog(_) => blog::train(config, data, rows, monitor),
        Recipe::Standard(_) => standard::train(config, data, rows, monitor),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts epochs and asks to stop after `stop_after` of them.
    struct Counter {
        epochs: usize,
        stop_after: usize,
    }

    impl Monitor for Counter {
        fn epoch(&mut self, _: &EpochStats) -> Flow {
            self.epochs += 1;
            if self.epochs >= self.stop_after {
                Flow::Stop
            } else {
                Flow::Continue
            }
        }
    }

    fn counter(stop_after: usize) -> Counter {
        Counter {
            epochs: 0,
            stop_after,
        }
    }

    #[test]
    fn a_pair_of_monitors_both_hear_and_either_stops() {
        let stats = EpochStats {
            epoch: 0,
            train_loss: 1.0,
            val_loss: None,
            val_accuracy: None,
            lr: 0.1,
            seconds: 0.0,
        };
        let mut pair = (counter(1), Some(counter(9)));
        assert_eq!(pair.epoch(&stats), Flow::Stop);
        assert_eq!((pair.0.epochs, pair.1.as_ref().unwrap().epochs), (1, 1));
        let mut none: (Silent, Option<Counter>) = (Silent, None);
        assert_eq!(none.epoch(&stats), Flow::Continue);
    }
}
