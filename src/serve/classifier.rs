//! The model as the server uses it: a picture in, an [`Answer`] out.
//!
//! One `Classifier` is built at start-up and shared read-only by every request
//! (behind an `Arc`); [`Classifier::answer`] takes `&self` and allocates its
//! small buffers per request (the forward pass's workspace included), so
//! requests never wait on a lock.

use serde::Serialize;

use crate::data;
use crate::experiment;
use crate::model::Model;
use crate::number::{NumberReading, TooManyMarks};
use crate::preprocess::Gray;
use crate::train::{self, TrainConfig};

/// What `POST /api/predict` answers.
///
/// A picture with no ink (a blank canvas) is an answer, not an error: `digit`
/// is `null`, `reason` says why, `uncertain` is true and the lists are empty.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Answer {
    /// The index of the most probable class (the digit itself for a digit model), or
    /// `None` when the picture holds no digit.
    pub digit: Option<usize>,
    /// The model's name for that class ("7" for a digit model, a folder's name for a
    /// model trained on an image folder).
    pub label: Option<String>,
    /// One probability per class, in class order: ten, for digits 0..9, with a digit
    /// model (`GET /api/model` lists the model's `classes`).
    pub probabilities: Vec<f32>,
    /// The probability of `digit` (0 without a digit).
    pub confidence: f32,
    /// Whether `confidence` is below the server's threshold ("not sure").
    pub uncertain: bool,
    /// The prepared input the network read, row by row, `0..=input_max`.
    pub input: Vec<f32>,
    pub input_width: usize,
    pub input_height: usize,
    /// The largest value an input pixel takes (16 for 8x8 digits, 255 for MNIST).
    pub input_max: f32,
    /// Why there is no digit, when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A model plus the server's "not sure" threshold.
#[derive(Clone, Debug)]
pub struct Classifier {
    model: Model,
    /// Below this best probability the answer is flagged as uncertain.
    min_confidence: f32,
    /// Where the model came from, for `GET /api/model` (a path, or the built-in model).
    source: String,
}

impl Classifier {
    /// Serves `model`; `source` says where it came from (a file name, say).
    pub fn new(model: Model, source: impl Into<String>, min_confidence: f32) -> Self {
        Classifier {
            model,
            min_confidence,
            source: source.into(),
        }
    }

    /// Trains the default net on the embedded 8x8 digits (the `standard` recipe,
    /// seed 0, a 75/25 split): well under a second in a release build, the same
    /// bits every time, and always in step with the code that reads it.
    pub fn trained_on_digits(min_confidence: f32) -> crate::Result<Self> {
        let digits = data::digits::load()?;
        let config = TrainConfig::standard();
        let run = experiment::holdout(&config, &digits, 0.25, &mut train::Silent)?;
        let model = run.model()?;
        Ok(Self::new(
            model,
            "trained at start-up on the embedded digits (standard recipe, seed 0)",
            min_confidence,
        ))
    }

    /// The same model with another "not sure" threshold.
    pub fn with_min_confidence(mut self, min_confidence: f32) -> Self {
        self.min_confidence = min_confidence;
        self
    }

    /// The model being served.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The model's description for `GET /api/model`: its file metadata, plus
    /// `sizes`, `source` and the server's `min_confidence`.
    pub fn description(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(&self.model.meta).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            map.insert("sizes".into(), self.model.net.sizes().into());
            map.insert("source".into(), self.source.clone().into());
            // Through its shortest decimal form, so 0.6 shows as 0.6, not 0.6000000238.
            let threshold: f64 = self.min_confidence.to_string().parse().unwrap_or_default();
            map.insert("min_confidence".into(), threshold.into());
        }
        value
    }

    /// Reads `image` with [`Model::predict`] (the preparation `digitnet predict` uses).
    pub fn answer(&self, image: &Gray) -> Answer {
        let target = self.model.target();
        let prediction = self.model.predict(image);
        let confidence = prediction.probability().unwrap_or(0.0);
        Answer {
            digit: prediction.digit,
            label: prediction.label,
            confidence,
            uncertain: prediction.digit.is_none() || confidence < self.min_confidence,
            probabilities: prediction.probabilities,
            input: prediction.input.map(|p| p.pixels).unwrap_or_default(),
            input_width: target.width,
            input_height: target.height,
            input_max: target.pixel_max(),
            reason: prediction.reason,
        }
    }
}

impl Classifier {
    /// Reads the row of digits in `image` ([`Model::read_number`]) with the server's
    /// "not sure" threshold.
    pub fn read_number(&self, image: &Gray) -> Result<NumberReading, TooManyMarks> {
        self.model.read_number(image, self.min_confidence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::bar;

    fn classifier() -> Classifier {
        Classifier::trained_on_digits(0.6).unwrap()
    }

    #[test]
    fn answers_with_the_prepared_input_and_the_best_probability() {
        let c = classifier();
        let a = c.answer(&bar());
        let digit = a.digit.unwrap();
        assert_eq!(a.confidence, a.probabilities[digit]);
        assert_eq!(a.probabilities.len(), 10);
        assert_eq!(a.label, Some(digit.to_string()));
        assert_eq!((a.input_width, a.input_height, a.input_max), (8, 8, 16.0));
        assert_eq!(a.input.len(), 64);
        assert!(a.input.iter().any(|&v| v > 0.0));
        assert_eq!(a.uncertain, a.confidence < 0.6);
    }

    #[test]
    fn the_threshold_decides_uncertain() {
        let c = classifier();
        assert!(c.clone().with_min_confidence(1.01).answer(&bar()).uncertain);
        assert!(!c.with_min_confidence(0.0).answer(&bar()).uncertain);
    }

    #[test]
    fn the_description_carries_the_metadata_and_the_server_settings() {
        let d = classifier().with_min_confidence(0.25).description();
        assert_eq!(d["sizes"], serde_json::json!([64, 200, 10]));
        assert_eq!(d["input"]["width"], 8);
        assert_eq!(d["training"]["dataset"], "digits");
        assert_eq!(d["min_confidence"], 0.25);
        let d = classifier().with_min_confidence(0.6).description();
        assert_eq!(d["min_confidence"], 0.6);
        assert!(d["source"].as_str().unwrap().contains("start-up"));
    }
}
