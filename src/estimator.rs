//! scikit-learn's names for the whole cycle: [`Classifier::fit`], [`Classifier::predict`],
//! [`Classifier::predict_proba`] and [`Classifier::score`], on whole data sets.
//!
//! A [`Classifier`] is a [`TrainConfig`] and, once fitted, the [`Model`] it trained: the
//! same model `digitnet train --save` writes, so [`Classifier::model`] saves it and
//! [`Classifier::from_model`] wraps one loaded from a file. Unlike scikit-learn's
//! `MLPClassifier`, `fit` holds out the configuration's validation fraction of the
//! rows it is given to pick the epoch it keeps (see
//! [`StandardSettings::validation_fraction`](crate::train::StandardSettings::validation_fraction)).

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::model::{InputInfo, Model, TrainingSummary};
use crate::nn::argmax;
use crate::score;
use crate::train::{self, Silent, TrainConfig};

/// A network to train on a data set and to ask about others, under scikit-learn's names.
#[derive(Clone, Debug)]
pub struct Classifier {
    /// The settings `fit` trains with.
    pub config: TrainConfig,
    model: Option<Model>,
}

impl Classifier {
    /// A classifier that [`fit`](Self::fit) trains with `config`.
    pub fn new(config: TrainConfig) -> Self {
        Classifier {
            config,
            model: None,
        }
    }

    /// A fitted classifier around a model (one loaded with [`Model::load`], say).
    pub fn from_model(model: Model) -> Self {
        let mut config = TrainConfig::standard();
        config.hidden = model.net.layers[..model.net.layers.len() - 1]
            .iter()
            .map(|l| l.outputs)
            .collect();
        Classifier {
            config,
            model: Some(model),
        }
    }

    /// Trains on every image of `data` (its validation part included) and keeps the model.
    pub fn fit(&mut self, data: &Dataset) -> Result<&mut Self> {
        let rows: Vec<usize> = (0..data.len()).collect();
        let trained = train::train(&self.config, data, &rows, &mut Silent)?;
        let training = TrainingSummary {
            dataset: data.name.clone(),
            recipe: self.config.kind().to_string(),
            seed: self.config.seed,
            epochs: trained.epochs_run(),
            train_size: rows.len(),
            test_size: 0,
            test_accuracy: None,
            dropout: self.config.dropout,
        };
        self.model = Some(Model::new(
            trained.net,
            trained.normalizer,
            InputInfo::of(data),
            data.class_names.clone(),
            training,
        )?);
        Ok(self)
    }

    /// The fitted model (to save it, or to read pictures with [`Model::predict`]).
    pub fn model(&self) -> Result<&Model> {
        self.model
            .as_ref()
            .ok_or_else(|| Error::config("this classifier is not fitted yet: call fit first"))
    }

    /// Each image's class probabilities: one row of `classes` values per image.
    pub fn predict_proba(&self, data: &Dataset) -> Result<Vec<Vec<f32>>> {
        let model = self.model()?;
        model.check_dataset(data)?;
        let probs = score::probabilities(&model.net, model.normalizer(), data);
        let classes = model.net.outputs();
        Ok(probs.chunks(classes).map(<[f32]>::to_vec).collect())
    }

    /// Each image's most probable class.
    pub fn predict(&self, data: &Dataset) -> Result<Vec<usize>> {
        Ok(self
            .predict_proba(data)?
            .iter()
            .map(|p| argmax(p))
            .collect())
    }

    /// The fraction of `data`'s images whose most probable class is their label
    /// (scikit-learn's `score`: argmax accuracy, 0..1).
    pub fn score(&self, data: &Dataset) -> Result<f64> {
        let predicted = self.predict(data)?;
        let right = predicted
            .iter()
            .zip(&data.labels)
            .filter(|&(&p, &l)| p == usize::from(l))
            .count();
        Ok(right as f64 / data.len().max(1) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{digits, shuffle_split};

    fn quick_config() -> TrainConfig {
        let mut config = TrainConfig::standard();
        config.epochs = 4;
        config
    }

    #[test]
    fn fit_then_score_agrees_with_evaluate_and_predict_with_predict_proba() {
        let all = digits::load().unwrap();
        let split = shuffle_split(all.len(), 0.25, 0).unwrap();
        let (train_set, test_set) = (all.subset(&split.train), all.subset(&split.test));
        let mut clf = Classifier::new(quick_config());
        clf.fit(&train_set).unwrap();
        let score = clf.score(&test_set).unwrap();
        let model = clf.model().unwrap();
        let evaluation = model.evaluate(&test_set).unwrap();
        assert!((score - evaluation.accuracy).abs() < 1e-12, "{score}");
        assert!(score > 0.8, "{score}");
        let proba = clf.predict_proba(&test_set).unwrap();
        let predicted = clf.predict(&test_set).unwrap();
        assert_eq!(
            (proba.len(), predicted.len()),
            (test_set.len(), test_set.len())
        );
        for (p, &c) in proba.iter().zip(&predicted) {
            assert_eq!(p.len(), 10);
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4);
            assert!(p.iter().all(|&q| q <= p[c]));
        }
    }

    #[test]
    fn an_unfitted_classifier_says_to_fit_first() {
        let clf = Classifier::new(quick_config());
        let err = clf.score(&digits::load().unwrap()).unwrap_err();
        assert!(err.to_string().contains("call fit first"), "{err}");
    }
}
