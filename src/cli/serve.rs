//! `digitnet serve`: the drawing page and the JSON API on a local address.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use clap::Args;

use digitnet::serve::{self, Classifier};

use super::out::{errln, outln};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A model saved by `digitnet train --save` (default: the built-in 28x28 MNIST
    /// model, which reads drawings at 28x28).
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

/// The model from `--model`, or the built-in MNIST model.
fn load_classifier(args: &ServeArgs) -> Result<Classifier> {
    let (model, source) = super::load_model(args.model.as_deref())?;
    Ok(Classifier::new(model, source, args.min_confidence))
}
