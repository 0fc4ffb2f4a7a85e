//! Using a trained [`Model`] on pictures: the answer, how sure it is, the runners-up.
//!
//! A picture goes through [`crate::preprocess::prepare`] with the model's own
//! input convention, is put on the pixel scale of the model's training images
//! ([`Model::scaled_input`]), is normalised as in training, and runs through the net.
//! An output that is not a number (a damaged model) is never an answer.
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
        self.digit.and_then(|d| self.probabilities.get(d).copied())
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

/// The reason given instead of an answer when the model's output is not a number.
pub const NOT_A_NUMBER: &str = "the model's output is not a number for this picture; the \
     model file is damaged or was trained on broken data";

impl Model {
    /// Class probabilities for one image already in the model's input convention
    /// (`height * width` raw pixels, `0..=pixel_max`, as in its training set).
    pub fn probabilities(&self, pixels: &[f32]) -> Vec<f32> {
        let mut x = vec![0.0; pixels.len()];
        self.normalizer().apply(pixels, &mut x);
        self.net.predict_proba(&x)
    }

    /// Class probabilities for a prepared picture, on the model's pixel scale
    /// ([`Model::scaled_input`]).
    pub fn probabilities_of(&self, prepared: &Prepared) -> Vec<f32> {
        self.probabilities(&self.scaled_input(prepared))
    }

    /// A prepared picture's pixels on the scale of the model's training images.
    /// Preparation gives 0..255 (MNIST-style) or 0..16 (block counts); a model
    /// trained on other pixels (a CSV scaled to 0..1, say) gets them rescaled to its
    /// `pixel_max`, as its training set was, rather than values it never saw.
    pub fn scaled_input(&self, prepared: &Prepared) -> Vec<f32> {
        let from = prepared.target.pixel_max();
        let to = self.meta.input.pixel_max;
        if from == to {
            return prepared.pixels.clone();
        }
        prepared.pixels.iter().map(|&v| v / from * to).collect()
    }

    /// Prepares `image` as the model's training images were and answers.
    pub fn predict(&self, image: &Gray) -> Prediction {
        self.predict_prepared(preprocess::prepare(image, self.target()))
    }

    /// The answer for an already prepared picture (or the reason it has none).
    pub fn predict_prepared(&self, prepared: Result<Prepared, NoDigit>) -> Prediction {
        match prepared {
            Ok(input) => {
                let probabilities = self.probabilities_of(&input);
                if !probabilities.iter().all(|p| p.is_finite()) {
                    // Never a digit from NaN: the answer says the model failed.
                    return Prediction {
                        digit: None,
                        label: None,
                        probabilities: Vec::new(),
                        reason: Some(NOT_A_NUMBER.to_string()),
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
    use crate::normalize::Normalizer;
    use crate::test_support::bar;

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
    fn a_model_trained_on_pixels_of_0_to_1_reads_pictures_on_that_scale() {
        let model = crate::model::file::tests_support::tiny_digits_model();
        // The same function of the picture, for training images scaled to 0..1.
        let mut unit = model.clone();
        unit.meta.input.pixel_max = 1.0;
        unit.meta.normalizer = Normalizer::Scale { pixel_max: 1.0 };
        let (p16, p1) = (model.predict(&bar()), unit.predict(&bar()));
        assert_eq!(p1.probabilities, p16.probabilities);
        assert_eq!(p1.digit, p16.digit);
        // Fed 0..16 as it is prepared, the 0..1 model would answer something else.
        let prepared = p1.input.unwrap();
        assert_ne!(unit.probabilities(&prepared.pixels), p1.probabilities);
        assert!(
            unit.scaled_input(&prepared)
                .iter()
                .all(|&v| (0.0..=1.0).contains(&v))
        );
    }

    /// A model whose weights overflow to infinity for any picture with ink.
    fn overflowing_model() -> Model {
        let mut model = crate::model::file::tests_support::tiny_digits_model();
        for layer in &mut model.net.layers {
            layer.weight.fill(3e38);
        }
        model
    }

    #[test]
    fn an_output_that_is_not_a_number_is_never_a_digit() {
        let p = overflowing_model().predict(&bar());
        assert_eq!((p.digit, p.label.as_deref()), (None, None));
        assert!(p.probabilities.is_empty());
        assert_eq!(p.reason.as_deref(), Some(NOT_A_NUMBER));
        assert_eq!(p.probability(), None);
    }

    #[test]
    fn an_output_that_is_not_a_number_is_never_a_number() {
        let reading = overflowing_model().read_number(&bar(), 0.6).unwrap();
        assert_eq!(reading.number, None);
        assert!(reading.uncertain);
        assert_eq!(reading.reason.as_deref(), Some(NOT_A_NUMBER));
    }

    #[test]
    fn a_blank_picture_gets_no_digit_with_a_reason() {
        let model = crate::model::file::tests_support::tiny_digits_model();
        let blank = Gray::new(10, 10, vec![1.0; 100]);
        let p = model.predict(&blank);
        assert_eq!(p.digit, None);
        assert!(p.probabilities.is_empty());
        assert!(p.reason.unwrap().contains("blank"));
        let mut dot = blank.clone();
        dot.pixels_mut()[55] = 0.0;
        let p = model.predict(&dot);
        assert!(p.digit.is_some() && p.input.is_some());
        assert!((p.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }
}
