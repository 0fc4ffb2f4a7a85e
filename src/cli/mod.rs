//! Command-line parsing and dispatch. One file per command; no maths here.

mod bench;
mod color;
mod eval;
mod help;
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

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand};

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
    #[command(flatten)]
    threads: Threads,
}

/// `--threads`, on the commands that run a network.
#[derive(Debug, Args)]
struct Threads {
    /// Threads for training and inference [default: every core, or MATMUL_NUM_THREADS].
    /// Results do not depend on it (see the README's "Threads" section).
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train a network and print the report (the default command).
    #[command(allow_negative_numbers = true)]
    Train {
        #[command(flatten)]
        args: Box<train::TrainArgs>,
        #[command(flatten)]
        threads: Threads,
    },
    /// Score a saved model on a data set.
    Eval {
        #[command(flatten)]
        args: eval::EvalArgs,
        #[command(flatten)]
        threads: Threads,
    },
    /// Show what a saved model is and how it was trained.
    Info(info::InfoArgs),
    /// Read the digit in image files with a saved model.
    #[command(allow_negative_numbers = true)]
    Predict {
        #[command(flatten)]
        args: predict::PredictArgs,
        #[command(flatten)]
        threads: Threads,
    },
    /// Draw a picture: the digit grid, or (after a quick training run) the confusion
    /// heatmap, training curves, misclassified images or hidden-unit weights.
    #[cfg(feature = "plot")]
    Plot {
        #[command(flatten)]
        args: plot::PlotArgs,
        #[command(flatten)]
        threads: Threads,
    },
    /// Serve a page to draw digits on, and a JSON API that reads them.
    #[cfg(feature = "serve")]
    #[command(allow_negative_numbers = true)]
    Serve {
        #[command(flatten)]
        args: serve::ServeArgs,
        #[command(flatten)]
        threads: Threads,
    },
    /// Time training epochs, inference and latency; print GFLOP/s next to the peak.
    Bench {
        #[command(flatten)]
        args: bench::BenchArgs,
        #[command(flatten)]
        threads: Threads,
    },
    /// Print a shell completion script on stdout, e.g.
    /// `digitnet completions bash > ~/.local/share/bash-completion/completions/digitnet`.
    Completions {
        /// The shell: bash, elvish, fish, powershell or zsh.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on stdout, e.g. `digitnet man | man -l -`.
    Man,
}

/// Exit code for a user's mistake in flags or settings (as clap uses).
const EXIT_USAGE: u8 = 2;

/// Help and version go to stdout, a flag error (clap's own message: what is wrong, a
/// "similar argument" tip, the usage line) to stderr with exit code 2.
fn usage_error(err: clap::Error) -> ExitCode {
    let _ = err.print();
    ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(EXIT_USAGE))
}

/// Flags that read naturally before the command (`digitnet -q train`,
/// `digitnet --threads 2 bench`) and belong to it: moved after its name, where the
/// command's parser finds them.
fn hoist_leading_flags(args: Vec<OsString>) -> Vec<OsString> {
    let cmd = Cli::command();
    let mut leading = Vec::new();
    let mut i = 1;
    while i < args.len() {
        match args[i].to_str() {
            Some("-q" | "--quiet") => leading.push(i),
            Some(a) if a.starts_with("--threads=") => leading.push(i),
            Some("--threads") if i + 1 < args.len() => {
                leading.extend([i, i + 1]);
                i += 1;
            }
            _ => break,
        }
        i += 1;
    }
    let Some(sub) = args.get(i).and_then(|a| a.to_str()) else {
        return args;
    };
    let Some(sub) = cmd.find_subcommand(sub) else {
        return args;
    };
    let takes = |flag: &str| sub.get_arguments().any(|a| a.get_long() == Some(flag));
    let movable = leading.iter().all(|&j| {
        let flag = args[j].to_str().unwrap_or("");
        match flag {
            "-q" | "--quiet" => takes("quiet"),
            f if f.starts_with("--threads") => takes("threads"),
            _ => true, // the value after --threads
        }
    });
    if leading.is_empty() || !movable {
        return args;
    }
    let mut out = vec![args[0].clone(), args[i].clone()];
    out.extend(leading.iter().map(|&j| args[j].clone()));
    out.extend(args[i + 1..].iter().cloned());
    out
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
        Some(path) => Ok((
            digitnet::Model::load(path)?,
            digitnet::error::shown_path(path),
        )),
        None => Ok((
            digitnet::Model::builtin_mnist()?,
            digitnet::model::builtin::MNIST_MODEL_NAME.to_string(),
        )),
    }
}

/// Parses the command line, runs the command and turns errors into messages and exit codes.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse_from(hoist_leading_flags(std::env::args_os().collect())) {
        Ok(cli) => cli,
        Err(err) => return usage_error(err),
    };
    // DIGITNET_SIMD is read once; a bad value is a usage error before any work.
    if let Err(err) = digitnet::simd::configured() {
        out::errln!("error: {err}");
        return ExitCode::from(EXIT_USAGE);
    }
    let threads = |t: Threads| set_threads(t.threads);
    let result = match cli.command {
        Some(Command::Train { args, threads: t }) => threads(t).and_then(|n| train::run(*args, n)),
        Some(Command::Eval { args, threads: t }) => threads(t).and_then(|_| eval::run(args)),
        Some(Command::Info(args)) => info::run(args),
        Some(Command::Predict { args, threads: t }) => threads(t).and_then(|_| predict::run(args)),
        #[cfg(feature = "plot")]
        Some(Command::Plot { args, threads: t }) => threads(t).and_then(|_| plot::run(args)),
        #[cfg(feature = "serve")]
        Some(Command::Serve { args, threads: t }) => threads(t).and_then(|_| serve::run(args)),
        Some(Command::Bench { args, threads: t }) => threads(t).and_then(|n| bench::run(args, n)),
        Some(Command::Completions { shell }) => print_completions(shell),
        Some(Command::Man) => print_man_page(),
        None => threads(cli.threads).and_then(|n| train::run(cli.train, n)),
    };
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

/// `digitnet completions SHELL`: the completion script on stdout.
fn print_completions(shell: clap_complete::Shell) -> anyhow::Result<ExitCode> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "digitnet", &mut out);
    write_stdout(&out)
}

/// `digitnet man`: the manual page (roff) on stdout.
fn print_man_page() -> anyhow::Result<ExitCode> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    write_stdout(&out)
}

/// Writes `bytes` to stdout; a closed pipe (`| head`) ends quietly.
fn write_stdout(bytes: &[u8]) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// The most threads `--threads` may ask for, per core: more only queue behind each other
/// (MNIST trains 30x slower with 100,000 threads on two cores).
const THREADS_PER_CORE: usize = 4;

/// Fixes the number of threads: `--threads`, else `MATMUL_NUM_THREADS` if set, else
/// every core; at most [`THREADS_PER_CORE`] per core, with a note when capped. The count
/// reaches every product through [`digitnet::linalg::set_threads`], and training through
/// its configuration.
fn set_threads(flag: Option<usize>) -> anyhow::Result<usize> {
    let from_env = || std::env::var("MATMUL_NUM_THREADS").ok()?.parse().ok();
    let cores = digitnet::linalg::default_threads();
    let (threads, origin) = match flag {
        Some(0) => Err(digitnet::Error::config(
            "invalid --threads 0, which should be a number of threads of at least 1",
        ))?,
        Some(n) => (n, "--threads"),
        None => match from_env() {
            Some(n) if n > 0 => (n, "MATMUL_NUM_THREADS"),
            _ => (cores, "cores"),
        },
    };
    let cap = cores.saturating_mul(THREADS_PER_CORE).max(1);
    let threads = if threads > cap {
        out::errln!(
            "note: {origin} {threads} is more than {THREADS_PER_CORE} threads for each of \
             the {cores} cores; using {cap}"
        );
        cap
    } else {
        threads
    };
    // SAFETY: nothing has started a thread yet (this runs right after parsing the
    // command line), so no other thread can be reading the environment.
    unsafe { digitnet::linalg::set_threads(threads) };
    Ok(threads)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hoisted(args: &[&str]) -> Vec<String> {
        let args = args.iter().map(OsString::from).collect();
        hoist_leading_flags(args)
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn leading_quiet_and_threads_move_after_the_command_that_takes_them() {
        assert_eq!(
            hoisted(&["d", "-q", "train", "--epochs", "1"]),
            ["d", "train", "-q", "--epochs", "1"]
        );
        assert_eq!(
            hoisted(&["d", "--threads", "2", "bench"]),
            ["d", "bench", "--threads", "2"]
        );
        assert_eq!(
            hoisted(&["d", "--threads=2", "-q", "plot", "digits"]),
            ["d", "plot", "--threads=2", "-q", "digits"]
        );
    }

    #[test]
    fn flags_a_command_does_not_take_stay_for_clap_to_refuse() {
        for args in [
            &["d", "--threads", "2", "info", "m"][..],
            &["d", "-q", "eval", "--model", "m"],
            &["d", "-q", "--epochs", "1"],
            &["d", "--threads", "2"],
        ] {
            assert_eq!(hoisted(args), args);
        }
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
