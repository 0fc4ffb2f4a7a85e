//! `digitnet serve`: the drawing page and the JSON API on a local address.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;

use digitnet::Model;
use digitnet::serve::{self, Classifier};

use super::out::{errln, outln};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A model saved by `digitnet train --save`. Without it, a model is trained on
    /// the embedded 8x8 digits at start-up (under a second).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Address to listen on. The default accepts connections from this machine only;
    /// port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Answer "not sure" when the best probability is below this (0 to 1).
    #[arg(long, default_value_t = 0.6)]
    min_confidence: f32,
}

/// Runs `digitnet serve` until Ctrl-C or SIGTERM.
pub fn run(args: ServeArgs) -> Result<ExitCode> {
    super::check_min_confidence(args.min_confidence)?;
    let classifier = load_classifier(&args)?;
    if !args.addr.ip().is_loopback() {
        errln!(
            "warning: listening on {}: the page and the API are open to the network, with \
             no authentication and no encryption",
            args.addr
        );
    }
    serve::run(args.addr, Arc::new(classifier), |url| {
        outln!("digitnet is serving the drawing page on {url}");
        if let Some(e) = super::out::failure() {
            // The server is still useful: say where it is on stderr instead.
            errln!("warning: writing to stdout: {e}; serving on {url}");
        }
        errln!("press Ctrl-C to stop");
    })?;
    errln!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// The model from `--model`, or one trained now on the embedded digits.
fn load_classifier(args: &ServeArgs) -> Result<Classifier> {
    match &args.model {
        Some(path) => {
            let model = Model::load(path)?;
            Ok(Classifier::new(
                model,
                path.display().to_string(),
                args.min_confidence,
            ))
        }
        None => {
            errln!("no --model given: training one on the embedded 8x8 digits...");
            Classifier::trained_on_digits(args.min_confidence).context("training the default model")
        }
    }
}
