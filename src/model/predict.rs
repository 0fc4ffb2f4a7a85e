//! Using a trained [`Model`] on pictures: the answer, how sure it is, the runners-up.
//!
//! A picture goes through [`crate::preprocess::prepare`] with the model's own
//! input convention, is normalised as in training, and runs through the net.
//! When no digit can be read (a blank picture) or the net is not sure enough
//! ([`Prediction::require_confidence`]), the answer is "no digit" (`?`, the
//! original post's -1) with a reason.

use serde::Serialize;

use crate::data::Dataset;
use crate::error::Result;
use crate::model::Model;
use crate::nn::argmax;
use crate::preprocess::{self, Gray, NoDigit, Prepared};
use crate::score::{self, Evaluation};

/// The model's answer for one picture.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Prediction {
    /// The class index of the answer, or `None` for "no digit" (`?`).
    pub digit: Option<usize>,
    /// The answer's class name (the digit itself for digit models).
    pub label: Option<String>,
    /// The probability of every class, in class order; empty when the picture
    /// held no digit to run the net on.
    pub probabilities: Vec<f32>,
    /// Why there is no answer, when there is none.
    pub reason: Option<String>,
    /// What the network saw (absent when no digit was found).
    #[serde(skip)]
    pub input: Option<Prepared>,
}

impl Prediction {
    /// The answer's probability (or `None` without an answer).
    pub fn probability(&self) -> Option<f32> {
        self.digit.map(|d| self.probabilities[d])
    }

    /// The `k` most probable classes with their probabilities, best first.
    pub fn top(&self, k: usize) -> Vec<(usize, f32)> {
        let mut ranked: Vec<(usize, f32)> =
            self.probabilities.iter().copied().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(k);
        ranked
    }

    /// Turns the answer into "no digit" when its probability is below `min`.
    pub fn require_confidence(mut self, min: f32) -> Self {
        if let Some(p) = self.probability().filter(|&p| p < min) {
            self.digit = None;
            self.label = None;
            self.reason = Some(format!(
                "the best probability {p:.3} is below the minimum confidence {min}"
            ));
        }
        self
    }
}

impl Model {
    /// Class probabilities for one image already in the model's input convention
    /// (`height * width` raw pixels, `0..=pixel_max`, as in its training set).
    pub fn probabilities(&self, pixels: &[f32]) -> Vec<f32> {
        let mut x = vec![0.0; pixels.len()];
        self.normalizer().apply(pixels, &mut x);
        self.net.predict_proba(&x)
    }

    /// Prepares `image` as the model's training images were and answers.
    pub fn predict(&self, image: &Gray) -> Prediction {
        self.predict_prepared(preprocess::prepare(image, self.target()))
    }

    /// The answer for an already prepared picture (or the reason it has none).
    pub fn predict_prepared(&self, prepared: Result<Prepared, NoDigit>) -> Prediction {
        match prepared {
            Ok(input) => {
                let probabilities = self.probabilities(&input.pixels);
                if !probabilities.iter().all(|p| p.is_finite()) {
                    // Never a digit from NaN: the answer says the model failed.
                    return Prediction {
                        digit: None,
                        label: None,
                        probabilities: Vec::new(),
                        reason: Some(
                            "the model's output is not a number for this picture; the model \
                             file is damaged or was trained on broken data"
                                .to_string(),
                        ),
                        input: Some(input),
                    };
                }
                let digit = argmax(&probabilities);
                Prediction {
                    digit: Some(digit),
                    label: self.meta.classes.get(digit).cloned(),
                    probabilities,
                    reason: None,
                    input: Some(input),
                }
            }
            Err(no) => Prediction {
                digit: None,
                label: None,
                probabilities: Vec::new(),
                reason: Some(no.reason),
                input: None,
            },
        }
    }

    /// Scores the model on `data`, after checking that its images are the kind
    /// the model was trained on.
    pub fn evaluate(&self, data: &Dataset) -> Result<Evaluation> {
        self.check_dataset(data)?;
        Ok(score::evaluate(&self.net, self.normalizer(), data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(probabilities: Vec<f32>) -> Prediction {
        Prediction {
            digit: Some(argmax(&probabilities)),
            label: Some(argmax(&probabilities).to_string()),
            probabilities,
            reason: None,
            input: None,
        }
    }

    #[test]
    fn top_ranks_the_most_probable_classes() {
        let p = answer(vec![0.1, 0.5, 0.05, 0.35]);
        assert_eq!(p.top(3), vec![(1, 0.5), (3, 0.35), (0, 0.1)]);
        assert_eq!(p.probability(), Some(0.5));
    }

    #[test]
    fn below_the_minimum_confidence_the_answer_is_no_digit() {
        let sure = answer(vec![0.1, 0.9]).require_confidence(0.8);
        assert_eq!(sure.digit, Some(1));
        let unsure = answer(vec![0.4, 0.6]).require_confidence(0.8);
        assert_eq!((unsure.digit, unsure.label.as_deref()), (None, None));
        assert!(unsure.reason.unwrap().contains("0.600 is below"));
    }

    #[test]
    fn a_blank_picture_gets_no_digit_with_a_reason() {
        let model = crate::model::file::tests_support::tiny_digits_model();
        let blank = Gray {
            width: 10,
            height: 10,
            pixels: vec![1.0; 100],
        };
        let p = model.predict(&blank);
        assert_eq!(p.digit, None);
        assert!(p.probabilities.is_empty());
        assert!(p.reason.unwrap().contains("blank"));
        let mut dot = blank.clone();
        dot.pixels[55] = 0.0;
        let p = model.predict(&dot);
        assert!(p.digit.is_some() && p.input.is_some());
        assert!((p.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }
}
