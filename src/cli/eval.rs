//! `digitnet eval --model M --dataset D`: score a saved model on a data set.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use digitnet::evaluate::Evaluation;
use digitnet::{Model, data, model_report};

use super::out::{errln, out, outln};

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A model file written by `digitnet train --save`.
    #[arg(long)]
    model: PathBuf,
    /// Data set: `digits` (the embedded 8x8 set) or a folder with one sub-folder
    /// of images per class (prepared as `predict` prepares a picture).
    #[arg(long, default_value = "digits")]
    dataset: String,
    /// Print exactly one JSON object on stdout instead of the text report.
    #[arg(long)]
    json: bool,
}

/// What `--json` prints.
#[derive(Serialize)]
struct EvalOutput<'a> {
    model: String,
    dataset: &'a str,
    images: usize,
    #[serde(flatten)]
    evaluation: &'a Evaluation,
}

/// Runs `digitnet eval`.
pub fn run(args: EvalArgs) -> Result<ExitCode> {
    let model = Model::load(&args.model)?;
    let data = load_dataset(&args.dataset, &model)?;
    let evaluation = model.evaluate(&data)?;
    if data.name == model.meta.training.dataset {
        errln!(
            "note: the model was trained on part of '{}'; these scores include its training images",
            data.name
        );
    }
    let model_name = args.model.display().to_string();
    if args.json {
        let out = EvalOutput {
            model: model_name,
            dataset: &data.name,
            images: data.len(),
            evaluation: &evaluation,
        };
        outln!("{}", serde_json::to_string(&out)?);
    } else {
        let text =
            model_report::render_evaluation(&model_name, &data.name, data.len(), &evaluation);
        out!("{text}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `digits`, or an image folder read at the model's input shape with its class names.
fn load_dataset(name: &str, model: &Model) -> Result<data::Dataset> {
    let source = data::DataSource::parse(name)?;
    if let data::DataSource::ImageFolder(dir) = &source {
        // Read a folder at the model's own shape, with its class names.
        let shape = (model.meta.input.height, model.meta.input.width);
        return Ok(data::folder::load_labelled(
            dir,
            shape,
            &model.meta.classes,
        )?);
    }
    Ok(match source.load(&data::LoadOptions::default())? {
        data::Loaded::One(data) => data,
        // An official pair (MNIST, an IDX folder): score its test part.
        data::Loaded::Pair { test, .. } => test,
    })
}
