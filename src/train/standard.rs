//! The same architecture trained correctly: softmax with cross-entropy, biases,
//! Glorot/He initialisation, shuffled mini-batches, momentum or Adam, inverted
//! dropout, optional L2 and max-norm, and a validation split with early stopping.

use std::time::Instant;

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;

use super::{
    EpochStats, Flow, Monitor, Optimizer, Stop, TrainConfig, Trained, apply_max_norm,
    validation_len,
};
use crate::augment::Distorter;
use crate::data::Dataset;
use crate::error::Result;
use crate::nn::{Dropout, Gradients, Init, Mlp, NetSpec, Workspace};
use crate::normalize::Normalizer;
use crate::score::metrics;

/// Mixed into the seed of the augmentation's generator.
const AUGMENT_STREAM: u64 = 0xA5A5_5A5A_0F0F_F0F0;

/// Trains with mini-batches on `rows` of `data` (see the module docs). The inputs
/// are normalised as the settings' `normalization` says, fitted on the rows actually
/// trained on (not the validation part, not the test set).
pub fn train(
    config: &TrainConfig,
    data: &Dataset,
    rows: &[usize],
    monitor: &mut impl Monitor,
) -> Result<Trained> {
    let normalization = config.standard_settings("standard::train")?.normalization;
    let normalizer = |fit_rows: &[usize]| normalization.fit(data, fit_rows);
    train_with(config, data, rows, normalizer, monitor)
}

/// As [`train`], with the input normalisation chosen by `fit_normalizer` from the
/// rows trained on (MNIST uses plain 0..1 scaling).
pub fn train_with(
    config: &TrainConfig,
    data: &Dataset,
    rows: &[usize],
    fit_normalizer: impl FnOnce(&[usize]) -> Normalizer,
    monitor: &mut impl Monitor,
) -> Result<Trained> {
    let settings = config.standard_settings("standard::train_with")?;
    let started = Instant::now();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(config.seed);
    let mut order = rows.to_vec();
    order.shuffle(&mut rng);
    let val_rows =
        order.split_off(order.len() - validation_len(order.len(), settings.validation_fraction));
    let normalizer = fit_normalizer(&order);

    let spec = NetSpec {
        sizes: [data.features()]
            .into_iter()
            .chain(config.hidden.iter().copied())
            .chain([data.classes])
            .collect(),
        activation: settings.activation.into(),
        bias: true,
        init: Init::Scaled,
    };
    let mut net = Mlp::new(&spec, &mut rng)?;
    let mut opt = Optimizer::new(settings.optimizer, &net);
    let batch = settings.batch_size.min(order.len());
    let mut ws = Workspace::new(&net, batch).with_threads(config.threads);
    let mut grads = Gradients::zeros_like(&net);
    let mut x = vec![0.0; batch * data.features()];
    let mut y = vec![0u8; batch];
    let validation = Scorer::new(data, &val_rows, &normalizer);
    // Distortions draw from their own generator, so turning them on leaves the
    // weights, shuffles and dropout masks of a run the same.
    let mut augment = settings.augment.map(|a| {
        let rng = Xoshiro256PlusPlus::seed_from_u64(config.seed ^ AUGMENT_STREAM);
        (Distorter::new(a, (data.height, data.width)), rng)
    });
    let mut scratch = vec![
        0.0;
        if augment.is_some() {
            data.features()
        } else {
            0
        }
    ];
    let dropout = Dropout {
        input: settings.input_dropout,
        hidden: config.dropout,
    };

    let batches = order.len().div_ceil(batch);
    monitor.start(config.epochs, batches);
    let mut history: Vec<EpochStats> = Vec::new();
    let mut best: Option<(f64, usize, Mlp)> = None;
    let mut stop = Stop::EpochLimit;
    let mut last_good = net.clone();
    'epochs: for epoch in 0..config.epochs {
        // The weights at the end of the last finite epoch: what a diverging run keeps.
        last_good.clone_from(&net);
        order.shuffle(&mut rng);
        let lr = settings.schedule.rate(config.lr, epoch, config.epochs);
        let mut loss_sum = 0.0f64;
        for (b, chunk) in order.chunks(batch).enumerate() {
            let n = chunk.len();
            let batch_x = &mut x[..n * data.features()];
            match &mut augment {
                None => normalizer.gather(data, chunk, batch_x),
                Some((distorter, arng)) => {
                    for (out, &r) in batch_x.chunks_exact_mut(data.features()).zip(chunk) {
                        distorter.distort(data.image(r), &mut scratch, arng);
                        normalizer.apply(&scratch, out);
                    }
                }
            }
            for (t, &r) in y.iter_mut().zip(chunk) {
                *t = data.labels[r];
            }
            net.forward_train(&x[..n * data.features()], n, &mut ws, dropout, &mut rng);
            let loss = net.backward(&x[..n * data.features()], &y[..n], &mut ws, &mut grads);
            if !loss.is_finite() {
                net.clone_from(&last_good);
                stop = Stop::Diverged { epoch, loss };
                break 'epochs;
            }
            opt.step(&mut net, &grads, lr, settings.weight_decay);
            if let Some(c) = settings.max_norm {
                apply_max_norm(&mut net, c);
            }
            loss_sum += f64::from(loss) * n as f64;
            if monitor.batch(epoch, b, loss) == Flow::Stop {
                stop = Stop::Interrupted { epoch };
                break 'epochs;
            }
        }
        if !net.is_finite() {
            net.clone_from(&last_good);
            stop = Stop::Diverged {
                epoch,
                loss: f32::NAN,
            };
            break;
        }
        let (val_loss, val_accuracy) = validation.score(&net, &mut ws).unzip();
        let stats = EpochStats {
            epoch,
            train_loss: loss_sum / order.len() as f64,
            val_loss,
            val_accuracy,
            lr,
            seconds: started.elapsed().as_secs_f64(),
        };
        let improved = match (&best, val_loss) {
            (_, None) => false,
            (None, Some(v)) => v.is_finite(),
            (Some((b, _, _)), Some(v)) => v < *b,
        };
        if improved {
            best = Some((val_loss.unwrap_or(f64::INFINITY), epoch, net.clone()));
        }
        history.push(stats);
        if monitor.epoch(&history[epoch]) == Flow::Stop {
            stop = Stop::Interrupted { epoch };
            break;
        }
        if let (Some(p), Some((_, best_epoch, _))) = (settings.patience, &best)
            && epoch - best_epoch >= p
        {
            stop = Stop::EarlyStopped { epoch };
            break;
        }
    }
    let (net, kept_epoch) = match best {
        Some((_, epoch, best_net)) => (best_net, epoch),
        None => (net, history.len().saturating_sub(1)),
    };
    Ok(Trained {
        net,
        normalizer,
        history,
        stop,
        kept_epoch,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Scores a fixed set of rows (normalised once) after each epoch.
struct Scorer {
    x: Vec<f32>,
    labels: Vec<u8>,
}

impl Scorer {
    fn new(data: &Dataset, rows: &[usize], normalizer: &Normalizer) -> Self {
        let mut x = vec![0.0; rows.len() * data.features()];
        normalizer.gather(data, rows, &mut x);
        Scorer {
            x,
            labels: rows.iter().map(|&r| data.labels[r]).collect(),
        }
    }

    /// Mean cross-entropy and accuracy, or `None` when there are no rows.
    fn score(&self, net: &Mlp, ws: &mut Workspace) -> Option<(f64, f64)> {
        if self.labels.is_empty() {
            return None;
        }
        let probs = net.predict_rows(&self.x, ws);
        Some((
            metrics::log_loss(&probs, &self.labels),
            metrics::accuracy(&probs, &self.labels),
        ))
    }
}
