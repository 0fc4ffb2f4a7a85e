//! The `digitnet` command: wires the library's pieces to the command line.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}
