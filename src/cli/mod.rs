//! Command-line parsing and dispatch. One file per command; no maths here.

mod bench;
mod color;
mod eval;
mod info;
mod interrupt;
mod out;
#[cfg(feature = "plot")]
mod plot;
mod predict;
mod progress;
#[cfg(feature = "serve")]
mod serve;
mod train;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Train small neural networks to read handwritten digits.
///
/// With no command, `digitnet` trains on the embedded 8x8 digits (the `train`
/// command's defaults) and prints the report.
#[derive(Debug, Parser)]
#[command(
    name = "digitnet",
    version,
    args_conflicts_with_subcommands = true,
    allow_negative_numbers = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    train: train::TrainArgs,
    /// Threads for training and inference (default: every core). Results do not
    /// depend on it (see the README's "Threads" section).
    #[arg(long, global = true)]
    threads: Option<usize>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train a network and print the report (the default command).
    Train(Box<train::TrainArgs>),
    /// Score a saved model on a data set.
    Eval(eval::EvalArgs),
    /// Show what a saved model is and how it was trained.
    Info(info::InfoArgs),
    /// Read the digit in image files with a saved model.
    Predict(predict::PredictArgs),
    /// Draw a picture: the digit grid, or (after a quick training run) the confusion
    /// heatmap, training curves, misclassified images or hidden-unit weights.
    #[cfg(feature = "plot")]
    Plot(plot::PlotArgs),
    /// Serve a page to draw digits on, and a JSON API that reads them.
    #[cfg(feature = "serve")]
    Serve(serve::ServeArgs),
    /// Time training epochs, inference and latency; print GFLOP/s next to the peak.
    Bench(bench::BenchArgs),
}

/// Exit code for a user's mistake in flags or settings (as clap uses).
const EXIT_USAGE: u8 = 2;

/// Help and version go to stdout as usual; a flag error becomes one line on stderr
/// (clap's first line, without its usage block) and exit code 2.
fn usage_error(err: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        let _ = err.print();
        return ExitCode::SUCCESS;
    }
    let text = err.render().to_string();
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("error: invalid arguments");
    out::errln!("{line} (see --help)");
    ExitCode::from(EXIT_USAGE)
}

/// Checks a `--min-confidence` value (`predict`, `serve`): a probability from 0 to 1.
fn check_min_confidence(p: f32) -> Result<(), digitnet::Error> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(digitnet::Error::config(format!(
            "invalid --min-confidence {p}, which should be a probability from 0 to 1, e.g. 0.6"
        )))
    }
}

/// The model in `path` and its name for reports, or the built-in MNIST model.
fn load_model(
    path: Option<&std::path::Path>,
) -> Result<(digitnet::Model, String), digitnet::Error> {
    match path {
        Some(path) => Ok((digitnet::Model::load(path)?, path.display().to_string())),
        None => Ok((
            digitnet::Model::builtin_mnist()?,
            digitnet::builtin::MNIST_MODEL_NAME.to_string(),
        )),
    }
}

/// Parses the command line, runs the command and turns errors into messages and exit codes.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(err),
    };
    // DIGITNET_SIMD is read once; a bad value is a usage error before any work.
    if let Err(err) = digitnet::simd::configured() {
        out::errln!("error: {err}");
        return ExitCode::from(EXIT_USAGE);
    }
    let result = set_threads(cli.threads).and_then(|threads| match cli.command {
        Some(Command::Train(args)) => train::run(*args, threads),
        Some(Command::Eval(args)) => eval::run(args),
        Some(Command::Info(args)) => info::run(args),
        Some(Command::Predict(args)) => predict::run(args),
        #[cfg(feature = "plot")]
        Some(Command::Plot(args)) => plot::run(args),
        #[cfg(feature = "serve")]
        Some(Command::Serve(args)) => serve::run(args),
        Some(Command::Bench(args)) => bench::run(args, threads),
        None => train::run(cli.train, threads),
    });
    // A closed stdout is not an error; a full disk behind it is, once the work is done.
    let result = result.and_then(|code| match out::failure() {
        Some(e) => Err(anyhow::Error::new(e).context("writing to stdout")),
        None => Ok(code),
    });
    match result {
        Ok(code) => code,
        Err(err) => {
            out::errln!("error: {err:#}");
            match err.downcast_ref::<digitnet::Error>() {
                Some(digitnet::Error::Config(_)) => ExitCode::from(EXIT_USAGE),
                _ => ExitCode::FAILURE,
            }
        }
    }
}

/// Fixes the number of threads: `--threads`, else `MATMUL_NUM_THREADS` if set, else
/// every core. The GEMM crate reads `MATMUL_NUM_THREADS` once, at its first product.
fn set_threads(flag: Option<usize>) -> anyhow::Result<usize> {
    let from_env = || std::env::var("MATMUL_NUM_THREADS").ok()?.parse().ok();
    let threads = match flag {
        Some(0) => Err(digitnet::Error::config(
            "invalid --threads 0, which should be a number of threads of at least 1",
        ))?,
        Some(n) => n,
        None => from_env().unwrap_or_else(digitnet::linalg::default_threads),
    };
    // SAFETY: nothing has started a thread yet (this runs right after parsing the
    // command line), so no other thread can be reading the environment.
    unsafe { std::env::set_var("MATMUL_NUM_THREADS", threads.to_string()) };
    Ok(threads)
}
