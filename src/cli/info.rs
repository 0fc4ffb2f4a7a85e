//! `digitnet info MODEL`: what a saved model is and how it was trained.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use digitnet::{Model, report};

use super::out::{out, outln};

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// A model file written by `digitnet train --save`.
    model: PathBuf,
    /// Print the metadata as one JSON object.
    #[arg(long)]
    json: bool,
}

/// Runs `digitnet info`.
pub fn run(args: InfoArgs) -> Result<ExitCode> {
    let model = Model::load(&args.model)?;
    if args.json {
        outln!("{}", serde_json::to_string(&model.meta)?);
    } else {
        let path = digitnet::error::shown_path(&args.model);
        out!("{}", report::model::render_info(&path, &model.meta));
    }
    Ok(ExitCode::SUCCESS)
}
