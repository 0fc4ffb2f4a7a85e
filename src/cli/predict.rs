//! `digitnet predict --model M IMAGE...`: read the digit in each picture.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use digitnet::predict::Prediction;
use digitnet::{Model, model_report, preprocess};

use super::out::{errln, out, outln};

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// A model file written by `digitnet train --save`.
    #[arg(long)]
    model: PathBuf,
    /// Pictures to read: PNG, JPEG, BMP, GIF or PGM, dark ink on light paper or the reverse.
    #[arg(required = true)]
    images: Vec<PathBuf>,
    /// Answer `?` (no digit) when the best probability is below this, 0..1.
    #[arg(long, default_value_t = 0.0)]
    min_confidence: f32,
    /// Print the prepared input (what the network saw) as a small text picture.
    #[arg(long)]
    show: bool,
    /// Print exactly one JSON object on stdout, with all class probabilities.
    #[arg(long)]
    json: bool,
}

/// A class and its probability.
#[derive(Serialize)]
struct Ranked {
    class: usize,
    probability: f32,
}

/// One picture's entry in `--json`.
#[derive(Serialize)]
struct Entry {
    file: String,
    #[serde(flatten)]
    prediction: Option<Prediction>,
    probability: Option<f32>,
    top3: Vec<Ranked>,
    /// Why the picture could not be read at all.
    error: Option<String>,
}

/// Runs `digitnet predict`. Every picture is tried; unreadable ones are reported
/// on stderr and make the exit code non-zero.
pub fn run(args: PredictArgs) -> Result<ExitCode> {
    super::check_min_confidence(args.min_confidence)?;
    let model = Model::load(&args.model)?;
    let mut entries = Vec::new();
    let mut failed = false;
    for path in &args.images {
        let file = path.display().to_string();
        let entry = match preprocess::open(path) {
            Ok(image) => {
                let p = model
                    .predict(&image)
                    .require_confidence(args.min_confidence);
                if !args.json {
                    out!("{}", model_report::render_prediction(&file, &p, args.show));
                }
                Entry {
                    file,
                    probability: p.probability(),
                    top3: p
                        .top(3)
                        .into_iter()
                        .map(|(class, probability)| Ranked { class, probability })
                        .collect(),
                    prediction: Some(p),
                    error: None,
                }
            }
            Err(err) => {
                errln!("error: {err}");
                failed = true;
                Entry {
                    file,
                    prediction: None,
                    probability: None,
                    top3: Vec::new(),
                    error: Some(err.to_string()),
                }
            }
        };
        entries.push(entry);
    }
    if args.json {
        let model_name = args.model.display().to_string();
        let out = serde_json::json!({ "model": model_name, "predictions": entries });
        outln!("{}", serde_json::to_string(&out)?);
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
