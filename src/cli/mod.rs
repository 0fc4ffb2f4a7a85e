//! Command-line parsing and dispatch. One file per command; no maths here.

mod progress;
mod train;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Train small neural networks to read handwritten digits.
///
/// With no command, `digitnet` trains on the embedded 8x8 digits (the `train`
/// command's defaults) and prints the report.
#[derive(Debug, Parser)]
#[command(name = "digitnet", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    train: train::TrainArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train a network and print the report (the default command).
    Train(train::TrainArgs),
}

/// Exit code for a user's mistake in flags or settings (as clap uses).
const EXIT_USAGE: u8 = 2;

/// Parses the command line, runs the command and turns errors into messages and exit codes.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Train(args)) => train::run(args),
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
