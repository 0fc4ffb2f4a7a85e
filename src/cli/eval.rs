//! `digitnet eval [--model M] [--dataset D]`: score a model (the built-in MNIST
//! model unless `--model` names another) on a data set.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use digitnet::score::Evaluation;
use digitnet::{Model, data, report};

use super::out::{errln, out, outln};

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A model file written by `digitnet train --save` (default: the built-in
    /// 28x28 MNIST model).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Data set: `digits` (the embedded 8x8 set, all of it), `mnist` (its 10,000 test
    /// images), a folder of IDX files under MNIST's names (its test files), a CSV file
    /// (every row), or a folder with one sub-folder of images per class (prepared as
    /// `predict` prepares a picture). Default: `digits` for an 8x8 model, `mnist`
    /// otherwise.
    #[arg(long)]
    dataset: Option<std::ffi::OsString>,
    /// Print exactly one JSON object on stdout instead of the text report.
    #[arg(long)]
    json: bool,
    /// With --json: add `predicted`, each image's most probable class, in data set order
    /// (to compare with another tool image by image).
    #[arg(long, requires = "json")]
    predictions: bool,
}

/// What `--json` prints.
#[derive(Serialize)]
struct EvalOutput<'a> {
    model: String,
    dataset: &'a str,
    images: usize,
    #[serde(flatten)]
    evaluation: &'a Evaluation,
    #[serde(skip_serializing_if = "Option::is_none")]
    predicted: Option<Vec<usize>>,
}

/// Runs `digitnet eval`.
pub fn run(args: EvalArgs) -> Result<ExitCode> {
    let (model, model_name) = super::load_model(args.model.as_deref())?;
    let dataset = args
        .dataset
        .unwrap_or_else(|| default_dataset(&model).into());
    let (data, part) = load_dataset(&dataset, &model)?;
    let evaluation = model.evaluate(&data)?;
    errln!("{}", scored_note(&data, part, &model.meta.training.dataset));
    if args.json {
        let out = EvalOutput {
            model: model_name,
            dataset: &data.name,
            images: data.len(),
            evaluation: &evaluation,
            predicted: args.predictions.then(|| {
                let classes = model.net.outputs();
                let rows = evaluation.probabilities.chunks_exact(classes);
                rows.map(digitnet::nn::argmax).collect()
            }),
        };
        outln!("{}", serde_json::to_string(&out)?);
    } else {
        let text =
            report::model::render_evaluation(&model_name, &data.name, data.len(), &evaluation);
        out!("{text}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The data set a model is scored on without `--dataset`: the one of its input size.
fn default_dataset(model: &Model) -> &'static str {
    let input = &model.meta.input;
    if (input.height, input.width) == (8, 8) {
        "digits"
    } else {
        "mnist"
    }
}

/// Which part of a data set `eval` scores.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Part {
    /// Every image (the digits, a CSV file, an image folder).
    All,
    /// The test part of an official pair (MNIST, an IDX folder).
    Test,
}

/// The line on stderr that says what was scored, and whether the model saw any of it.
fn scored_note(data: &data::Dataset, part: Part, trained_on: &str) -> String {
    let n = data.len();
    let images = if n == 1 { "image" } else { "images" };
    match part {
        Part::Test => format!(
            "scored the {n} test {images} of '{}' (its training images are left out)",
            data.name
        ),
        Part::All if data.name == trained_on => format!(
            "scored all {n} {images} of '{}'; the model was trained on part of it, so these \
             scores include its training images",
            data.name
        ),
        Part::All => format!("scored all {n} {images} of '{}'", data.name),
    }
}

/// `digits`, or an image folder read at the model's input shape with its class
/// names, or the test part of an official pair (MNIST, an IDX folder).
fn load_dataset(name: &std::ffi::OsStr, model: &Model) -> Result<(data::Dataset, Part)> {
    let source = data::DataSource::parse(name)?;
    if let data::DataSource::ImageFolder(dir) = &source {
        // Read a folder at the model's own shape, with its class names.
        let shape = (model.meta.input.height, model.meta.input.width);
        let data = data::folder::load_labelled(dir, shape, &model.meta.classes)?;
        return Ok((data, Part::All));
    }
    Ok(match source.load(&data::LoadOptions::default())? {
        data::Loaded::One(data) => (data, Part::All),
        // An official pair (MNIST, an IDX folder): score its test part.
        data::Loaded::Pair { test, .. } => (test, Part::Test),
    })
}
