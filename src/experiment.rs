//! A whole experiment: split, train, evaluate, and the summary a report prints.

use serde::Serialize;

use crate::augment::Augment;
use crate::data::{Dataset, Loaded, shuffle_split, stratified_folds};
use crate::error::{Error, Result};
use crate::model::{InputInfo, Model, TrainingSummary};
use crate::score::metrics::Confusion;
use crate::score::{Evaluation, evaluate};
use crate::train::{self, EpochStats, Monitor, Recipe, RecipeKind, Stop, TrainConfig, Trained};

/// The outcome of one train/test run: what the text report and `--json` show.
#[derive(Clone, Debug, Serialize)]
pub struct RunSummary {
    pub dataset: String,
    pub recipe: RecipeKind,
    pub seed: u64,
    /// The trained net's hidden layer sizes and activation.
    pub hidden: Vec<usize>,
    pub activation: String,
    pub dropout: f32,
    pub input_dropout: f32,
    /// The random distortions of training batches, if any.
    pub augment: Option<Augment>,
    /// Rows given to the trainer, the validation rows held out of them to choose
    /// the epoch (trained on: the difference), and the test rows.
    pub train_size: usize,
    pub validation_size: usize,
    pub test_size: usize,
    pub epochs_run: usize,
    pub converged: bool,
    pub converged_epoch: Option<usize>,
    pub diverged: bool,
    pub interrupted: bool,
    /// The 0-based epoch whose weights were kept.
    pub kept_epoch: usize,
    pub stop: Stop,
    /// The kept epoch's training loss (blog: the post's epoch error).
    pub train_error: f64,
    /// Mean summed squared error on the test set.
    pub test_error: f64,
    pub test_accuracy: f64,
    pub strict_accuracy: f64,
    pub test_log_loss: f64,
    pub train_seconds: f64,
    pub confusion: Confusion,
    pub history: Vec<EpochStats>,
}

/// A finished run: the trained net, its scores, and the summary.
pub struct Run {
    pub trained: Trained,
    pub test: Dataset,
    pub evaluation: Evaluation,
    pub summary: RunSummary,
    /// The training images' input convention, for [`Run::model`].
    pub input: InputInfo,
    /// The training data's class names, in label order, for [`Run::model`].
    pub classes: Vec<String>,
}

impl Run {
    /// The trained network as a [`Model`], to save or to read pictures with: its
    /// normaliser, the training images' input convention and class names, and the
    /// record of this run.
    pub fn model(&self) -> Result<Model> {
        Model::new(
            self.trained.net.clone(),
            self.trained.normalizer.clone(),
            self.input.clone(),
            self.classes.clone(),
            TrainingSummary::from(&self.summary),
        )
    }
}

impl From<&RunSummary> for TrainingSummary {
    fn from(s: &RunSummary) -> Self {
        TrainingSummary {
            dataset: s.dataset.clone(),
            recipe: s.recipe.to_string(),
            seed: s.seed,
            epochs: s.epochs_run,
            train_size: s.train_size,
            test_size: s.test_size,
            test_accuracy: (s.test_size > 0).then_some(s.test_accuracy),
            dropout: s.dropout,
        }
    }
}

/// Splits `data` (seeded, `test_fraction` held out), trains with `config` and
/// scores the held-out part.
pub fn holdout(
    config: &TrainConfig,
    data: &Dataset,
    test_fraction: f64,
    monitor: &mut impl Monitor,
) -> Result<Run> {
    let split = shuffle_split(data.len(), test_fraction, config.seed)?;
    let trained = train::train(config, data, &split.train, monitor)?;
    let test = data.subset(&split.test);
    Ok(finish(config, data, split.train.len(), trained, test))
}

/// Runs one experiment on loaded data: a seeded hold-out of `test_fraction` for a
/// single data set, or the official split of a `(train, test)` pair.
pub fn run(
    config: &TrainConfig,
    data: &Loaded,
    test_fraction: f64,
    monitor: &mut impl Monitor,
) -> Result<Run> {
    match data {
        Loaded::One(data) => holdout(config, data, test_fraction, monitor),
        Loaded::Pair { train, test } => fixed_split(config, train, test.clone(), monitor),
    }
}

/// Cross-validation on loaded data: a pair is refused, since its test part is fixed.
pub fn cross_validate_loaded(
    config: &TrainConfig,
    data: &Loaded,
    k: usize,
    monitor: &mut impl Monitor,
) -> Result<CrossValidation> {
    match data {
        Loaded::One(data) => cross_validate(config, data, k, monitor),
        Loaded::Pair { train, .. } => Err(Error::config(format!(
            "--folds needs a single data set to fold, but {} comes with its own test set; \
             leave --folds out",
            train.name
        ))),
    }
}

/// Trains on all of `train_set` and scores `test_set` (official splits such as MNIST's).
pub fn fixed_split(
    config: &TrainConfig,
    train_set: &Dataset,
    test_set: Dataset,
    monitor: &mut impl Monitor,
) -> Result<Run> {
    if train_set.features() != test_set.features() {
        return Err(Error::data(
            &test_set.name,
            format!(
                "test images are {}x{}, training images {}x{}",
                test_set.height, test_set.width, train_set.height, train_set.width
            ),
        ));
    }
    let rows: Vec<usize> = (0..train_set.len()).collect();
    let trained = train::train(config, train_set, &rows, monitor)?;
    Ok(finish(config, train_set, rows.len(), trained, test_set))
}

fn finish(
    config: &TrainConfig,
    data: &Dataset,
    train_size: usize,
    trained: Trained,
    test: Dataset,
) -> Run {
    let evaluation = evaluate(&trained.net, &trained.normalizer, &test);
    let converged_epoch = match trained.stop {
        Stop::Converged { epoch } => Some(epoch),
        _ => None,
    };
    let sizes = trained.net.sizes();
    let validation_size = config.validation_rows(train_size);
    let (input_dropout, augment) = match &config.recipe {
        Recipe::Standard(s) => (s.input_dropout, s.augment),
        Recipe::Blog(_) => (0.0, None),
    };
    let kept = trained.history.get(trained.kept_epoch);
    let summary = RunSummary {
        dataset: data.name.clone(),
        recipe: config.kind(),
        seed: config.seed,
        hidden: sizes[1..sizes.len() - 1].to_vec(),
        activation: trained.net.layers[0].activation.to_string(),
        dropout: config.dropout,
        input_dropout,
        augment,
        train_size,
        validation_size,
        test_size: test.len(),
        epochs_run: trained.epochs_run(),
        converged: converged_epoch.is_some(),
        converged_epoch,
        diverged: matches!(trained.stop, Stop::Diverged { .. }),
        interrupted: matches!(trained.stop, Stop::Interrupted { .. }),
        kept_epoch: trained.kept_epoch,
        stop: trained.stop,
        train_error: kept.map_or(f64::NAN, |h| h.train_loss),
        test_error: evaluation.squared_error,
        test_accuracy: evaluation.accuracy,
        strict_accuracy: evaluation.strict_accuracy,
        test_log_loss: evaluation.log_loss,
        train_seconds: trained.seconds,
        confusion: evaluation.confusion.clone(),
        history: trained.history.clone(),
    };
    Run {
        trained,
        test,
        evaluation,
        summary,
        input: InputInfo::of(data),
        classes: data.class_names.clone(),
    }
}

/// Stratified K-fold cross-validation: accuracy of each fold, their mean and
/// (population) standard deviation.
#[derive(Clone, Debug, Serialize)]
pub struct CrossValidation {
    pub dataset: String,
    pub recipe: RecipeKind,
    pub seed: u64,
    pub folds: Vec<f64>,
    pub mean: f64,
    pub std: f64,
}

/// Runs `k`-fold stratified cross-validation of `config` on `data`.
pub fn cross_validate(
    config: &TrainConfig,
    data: &Dataset,
    k: usize,
    monitor: &mut impl Monitor,
) -> Result<CrossValidation> {
    let splits = stratified_folds(&data.labels, data.classes, k, config.seed)?;
    let mut folds = Vec::with_capacity(k);
    for split in &splits {
        let trained = train::train(config, data, &split.train, monitor)?;
        let test = data.subset(&split.test);
        folds.push(evaluate(&trained.net, &trained.normalizer, &test).accuracy);
    }
    let mean = folds.iter().sum::<f64>() / k as f64;
    let std = (folds.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / k as f64).sqrt();
    Ok(CrossValidation {
        dataset: data.name.clone(),
        recipe: config.kind(),
        seed: config.seed,
        folds,
        mean,
        std,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::digits;
    use crate::preprocess::Target;
    use crate::train::Silent;

    #[test]
    fn a_run_s_model_loads_back_bit_for_bit_with_the_run_s_record() {
        let data = digits::load().unwrap();
        let config = TrainConfig {
            hidden: vec![16],
            epochs: 3,
            ..TrainConfig::standard()
        };
        let run = holdout(&config, &data, 0.25, &mut Silent).unwrap();
        let model = run.model().unwrap();
        let loaded = Model::from_bytes(&model.to_bytes("m").unwrap(), "m").unwrap();
        assert_eq!(loaded, model);
        let bits = |m: &Model| -> Vec<u32> {
            crate::score::probabilities(&m.net, m.normalizer(), &run.test)
                .iter()
                .map(|p| p.to_bits())
                .collect()
        };
        assert_eq!(bits(&loaded), bits(&model));
        assert_eq!(loaded.normalizer(), &run.trained.normalizer);
        let training = &loaded.meta.training;
        assert_eq!((training.dataset.as_str(), training.epochs), ("digits", 3));
        assert_eq!(training.test_accuracy, Some(run.summary.test_accuracy));
        assert_eq!(loaded.meta.classes, data.class_names);
        assert_eq!(loaded.target(), Target::OPTDIGITS);
    }
}
