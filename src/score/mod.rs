//! Scoring a trained network on a data set ([`evaluate`]), with the scores of
//! [`metrics`]: accuracy, the post's strict accuracy, log loss, confusion.

pub mod metrics;

use serde::Serialize;

use crate::data::Dataset;
use crate::nn::Mlp;
use crate::normalize::Normalizer;
use metrics::{ClassScores, Confusion};

/// Everything measured on one data set.
#[derive(Clone, Debug, Serialize)]
pub struct Evaluation {
    /// Argmax accuracy, 0..1.
    pub accuracy: f64,
    /// The post's strict accuracy (rounded outputs equal the one-hot target), 0..1.
    pub strict_accuracy: f64,
    /// Mean cross-entropy.
    pub log_loss: f64,
    /// Mean summed squared error (the post's "average test set error").
    pub squared_error: f64,
    /// Strict-rule confusion matrix with the "no digit" class -1.
    pub confusion: Confusion,
    pub per_class: Vec<ClassScores>,
    /// `len x classes` probabilities, row-major (not serialised).
    #[serde(skip)]
    pub probabilities: Vec<f32>,
}

/// Class probabilities for every image of `data`, normalised as the net was trained.
pub fn probabilities(net: &Mlp, normalizer: &Normalizer, data: &Dataset) -> Vec<f32> {
    net.predict_proba(&normalizer.transform(data))
}

/// Scores `net` on every image of `data`.
pub fn evaluate(net: &Mlp, normalizer: &Normalizer, data: &Dataset) -> Evaluation {
    let probs = probabilities(net, normalizer, data);
    let labels = &data.labels;
    Evaluation {
        accuracy: metrics::accuracy(&probs, labels),
        strict_accuracy: metrics::strict_accuracy(&probs, labels),
        log_loss: metrics::log_loss(&probs, labels),
        squared_error: metrics::mean_squared_error(&probs, labels),
        confusion: Confusion::strict(&probs, labels, data.classes),
        per_class: metrics::per_class(&probs, labels, data.classes),
        probabilities: probs,
    }
}
