//! `digitnet plot KIND`: draw one picture. The digit grid needs only the data; the
//! others train a quick default run first (the `train` command's defaults).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use digitnet::experiment;
use digitnet::plot::{self, DigitGrid, Format, Kind};
use digitnet::train::{RecipeKind, TrainConfig};

use super::progress::Progress;
use super::train::{finish_monitor, load_dataset};

use super::out::errln;

#[derive(Debug, Args)]
pub struct PlotArgs {
    /// The picture: digits, confusion, curves, mistakes or weights.
    kind: Kind,
    /// Data set: `digits` (the embedded 8x8 set).
    #[arg(long, default_value = "digits")]
    dataset: std::ffi::OsString,
    /// png or svg [default: from the --out file's extension, else png].
    #[arg(long)]
    format: Option<Format>,
    /// The file to write, or a folder to write KIND.png (or .svg) into [default: KIND.png here].
    #[arg(long, value_name = "FILE or DIR")]
    out: Option<PathBuf>,
    /// Seed for the split and the training run (and for --random).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// digits: draw 100 images chosen at random (seeded by --seed) instead of the first 100.
    #[arg(long)]
    random: bool,
    /// The recipe of the training run the other pictures need: standard or blog.
    #[arg(long, default_value = "standard")]
    recipe: RecipeKind,
    /// The most epochs of that training run [default: the recipe's].
    #[arg(long)]
    epochs: Option<usize>,
    /// Nothing on stderr: no progress, no line naming the file written.
    #[arg(long, short)]
    quiet: bool,
}

/// Runs `digitnet plot`.
pub fn run(args: PlotArgs) -> Result<ExitCode> {
    let format = args
        .format
        .or_else(|| format_of(args.out.as_deref()))
        .unwrap_or_default();
    let path = target(args.out.as_deref(), args.kind, format);
    check_extension(&path, format)?;
    let data = load_dataset(&args.dataset)?;
    let bytes = if args.kind.needs_run() {
        let mut config = TrainConfig::for_recipe(args.recipe);
        config.seed = args.seed;
        config.epochs = args.epochs.unwrap_or(config.epochs);
        let mut monitor = (Progress::new(args.quiet), None);
        let run = experiment::holdout(&config, &data, 0.25, &mut monitor);
        let run = finish_monitor(monitor, run)?;
        plot::render_run(args.kind, &run, &data, format)?
    } else if args.random {
        plot::render(&DigitGrid::random(&data, 100, args.seed), format)?
    } else {
        plot::render(&DigitGrid::first(&data, 100), format)?
    };
    digitnet::atomic::write(&path, &bytes)
        .with_context(|| format!("writing the {} picture", args.kind))?;
    if !args.quiet {
        errln!(
            "wrote the {} picture to {}",
            args.kind,
            digitnet::error::shown_path(path)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The format a file name asks for (`.png`, `.svg`), if any.
fn format_of(out: Option<&Path>) -> Option<Format> {
    let extension = out?.extension()?.to_str()?;
    clap::ValueEnum::from_str(extension, true).ok()
}

/// Refuses a file name whose extension names another format than the one written
/// (`--out x.jpg` would get PNG bytes); a name without an extension is fine.
fn check_extension(path: &Path, format: Format) -> Result<(), digitnet::Error> {
    let Some(ext) = path.extension() else {
        return Ok(());
    };
    if format_of(Some(path)) == Some(format) {
        return Ok(());
    }
    Err(digitnet::Error::config(format!(
        "--out {}: the picture is written as {}, but the name ends in .{}; name it .png or \
         .svg (or give --format)",
        digitnet::error::shown_path(path),
        format.extension(),
        ext.to_string_lossy()
    )))
}

/// Where the picture goes: `out` itself, or `KIND.EXT` inside `out` when it is a folder.
fn target(out: Option<&Path>, kind: Kind, format: Format) -> PathBuf {
    match out {
        Some(dir) if dir.is_dir() => dir.join(kind.file_name(format)),
        Some(file) => file.to_path_buf(),
        None => PathBuf::from(kind.file_name(format)),
    }
}
