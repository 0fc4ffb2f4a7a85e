//! Command-line parsing and dispatch. One file per command; no maths here.

mod color;
mod interrupt;
#[cfg(feature = "plot")]
mod plot;
mod progress;
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
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train a network and print the report (the default command).
    Train(Box<train::TrainArgs>),
    /// Draw a picture: the digit grid, or (after a quick training run) the confusion
    /// heatmap, training curves, misclassified images or hidden-unit weights.
    #[cfg(feature = "plot")]
    Plot(plot::PlotArgs),
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
    eprintln!("{line} (see --help)");
    ExitCode::from(EXIT_USAGE)
}

/// Parses the command line, runs the command and turns errors into messages and exit codes.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(err),
    };
    let result = match cli.command {
        Some(Command::Train(args)) => train::run(*args),
        #[cfg(feature = "plot")]
        Some(Command::Plot(args)) => plot::run(args),
        None => train::run(cli.train),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            match err.downcast_ref::<digitnet::Error>() {
                Some(digitnet::Error::Config(_)) => ExitCode::from(EXIT_USAGE),
                _ => ExitCode::FAILURE,
            }
        }
    }
}
