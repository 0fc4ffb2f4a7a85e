//! `digitnet predict [--model M] IMAGE...`: read the digit in each picture, with
//! the built-in MNIST model unless `--model` names another, or with `--number` the
//! row of digits (a whole number) in each.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use digitnet::model::Prediction;
use digitnet::number::{MAX_DIGITS, NumberReading};
use digitnet::preprocess::Gray;
use digitnet::{Model, preprocess, report};

use super::out::{errln, out, outln};

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// A model file written by `digitnet train --save` (default: the built-in
    /// 28x28 MNIST model).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Pictures to read: PNG, JPEG, BMP, GIF or PGM, dark ink on light paper or the reverse.
    #[arg(required = true)]
    images: Vec<PathBuf>,
    /// Answer `?` (no digit) when the best probability is below this, 0..1; with
    /// `--number`, call the number uncertain when a digit is below it [default: 0
    /// for one digit, 0.6 with --number].
    #[arg(long)]
    min_confidence: Option<f32>,
    /// Print the prepared input (what the network saw) as a small text picture.
    #[arg(long)]
    show: bool,
    /// Print exactly one JSON object on stdout, with all class probabilities.
    #[arg(long)]
    json: bool,
    /// Read a whole number: a row of 1 to 8 handwritten digits, left to right, with
    /// each digit's probability and box.
    #[arg(long)]
    number: bool,
    /// With --number: draw the picture with each digit's box and the reading (PNG).
    #[cfg(feature = "plot")]
    #[arg(long, value_name = "FILE.png", requires = "number")]
    out: Option<PathBuf>,
}

/// The `--min-confidence` of a number when the flag is not given.
const NUMBER_MIN_CONFIDENCE: f32 = 0.6;

/// A class (its index and the model's name for it) and its probability.
#[derive(Serialize)]
struct Ranked {
    class: usize,
    label: String,
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
    if args.number {
        return run_number(args);
    }
    let min_confidence = args.min_confidence.unwrap_or(0.0);
    super::check_min_confidence(min_confidence)?;
    let (model, model_name) = super::load_model(args.model.as_deref())?;
    let mut entries = Vec::new();
    let mut failed = false;
    for path in &args.images {
        let file = digitnet::error::shown_path(path);
        let entry = match preprocess::open(path) {
            Ok(image) => {
                let p = model.predict(&image).require_confidence(min_confidence);
                let classes = &model.meta.classes;
                if !args.json {
                    let line = report::model::render_prediction(&file, &p, classes, args.show);
                    out!("{line}");
                }
                Entry {
                    file,
                    probability: p.probability(),
                    top3: p
                        .top(3)
                        .into_iter()
                        .map(|(class, probability)| Ranked {
                            class,
                            label: report::model::class_name(classes, class),
                            probability,
                        })
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
    finish(args.json, &model_name, &entries, failed)
}

/// One picture's entry in `--number --json`: the reading, or why it has none.
#[derive(Serialize)]
struct NumberEntry {
    file: String,
    #[serde(flatten)]
    reading: Option<NumberReading>,
    /// Why the picture could not be read, or was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// `digitnet predict --number`: the row of digits in each picture. Unreadable
/// pictures, and pictures with more marks than a number holds, are reported on
/// stderr and make the exit code non-zero; the others are still read.
fn run_number(args: PredictArgs) -> Result<ExitCode> {
    let min_confidence = args.min_confidence.unwrap_or(NUMBER_MIN_CONFIDENCE);
    super::check_min_confidence(min_confidence)?;
    #[cfg(feature = "plot")]
    if args.out.is_some() && args.images.len() > 1 {
        Err(digitnet::Error::config(format!(
            "--out draws one picture, but {} pictures were given: give one with --out",
            args.images.len()
        )))?;
    }
    let (model, model_name) = super::load_model(args.model.as_deref())?;
    let mut entries = Vec::new();
    let mut failed = false;
    for path in &args.images {
        let file = digitnet::error::shown_path(path);
        let read = preprocess::open(path)
            .map_err(|e| e.to_string())
            .and_then(|image| read_number(&model, &image, min_confidence, &file, &args));
        match &read {
            Ok(reading) if !args.json => out!("{}", reading.to_text(&file, args.show)),
            Ok(_) => {}
            Err(err) => {
                errln!("error: {err}");
                failed = true;
            }
        }
        let (reading, error) = match read {
            Ok(r) => (Some(r), None),
            Err(e) => (None, Some(e)),
        };
        entries.push(NumberEntry {
            file,
            reading,
            error,
        });
    }
    finish(args.json, &model_name, &entries, failed)
}

/// Reads the number in `image` (from `file`) and draws it when `--out` asks.
fn read_number(
    model: &Model,
    image: &Gray,
    min_confidence: f32,
    file: &str,
    args: &PredictArgs,
) -> Result<NumberReading, String> {
    let reading = model.read_number(image, min_confidence).map_err(|e| {
        format!(
            "{file}: {} separate digit-like marks; --number reads one row of 1 to {MAX_DIGITS} \
             handwritten digits",
            e.count
        )
    })?;
    #[cfg(feature = "plot")]
    if let Some(out) = &args.out {
        let picture = digitnet::plot::NumberPicture::new(image, &reading, min_confidence);
        digitnet::plot::save(&picture, digitnet::plot::Format::Png, out)
            .map_err(|e| e.to_string())?;
    }
    #[cfg(not(feature = "plot"))]
    let _ = args;
    Ok(reading)
}

/// Prints `--json`'s one object (the model and every picture's entry), then exits
/// with failure when any picture could not be read.
fn finish(json: bool, model: &str, entries: &impl Serialize, failed: bool) -> Result<ExitCode> {
    if json {
        let out = serde_json::json!({ "model": model, "predictions": entries });
        outln!("{}", serde_json::to_string(&out)?);
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
