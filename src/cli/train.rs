//! `digitnet train`: split, train, evaluate, report.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use digitnet::train::{EpochLog, OptimizerKind, Recipe, Schedule, Stop, TrainConfig};
use digitnet::{data, experiment, nn::Activation, report};

use super::color::ColorChoice;
use super::interrupt::{Interrupt, Interruptible};
use super::progress::Progress;

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Training recipe: `standard` (correct gradients, Adam, early stopping) or
    /// `blog` (the original post's algorithm, quirks included).
    #[arg(long, default_value = "standard")]
    recipe: Recipe,
    /// Data set: `digits` (the embedded 8x8 set).
    #[arg(long, default_value = "digits")]
    dataset: String,
    /// Seed for the split, the initial weights, shuffling and dropout.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Fraction of the data held out for testing.
    #[arg(long, default_value_t = 0.25)]
    test_fraction: f64,
    /// Hidden layer sizes, comma-separated (`200`, or `256,128` for a deeper net).
    #[arg(long, value_delimiter = ',')]
    hidden: Option<Vec<usize>>,
    /// Hidden activation: tanh, relu or sigmoid.
    #[arg(long)]
    activation: Option<Activation>,
    /// Probability of dropping a hidden unit while training (0 turns dropout off).
    #[arg(long)]
    dropout: Option<f32>,
    /// Probability of dropping an input pixel while training (standard recipe).
    #[arg(long)]
    input_dropout: Option<f32>,
    /// The most epochs to run.
    #[arg(long)]
    epochs: Option<usize>,
    /// Learning rate.
    #[arg(long)]
    lr: Option<f32>,
    /// Rows per update (standard recipe).
    #[arg(long)]
    batch_size: Option<usize>,
    /// Optimizer: sgd, momentum, nesterov or adam (standard recipe).
    #[arg(long)]
    optimizer: Option<OptimizerKind>,
    /// L2 weight decay (standard recipe).
    #[arg(long)]
    weight_decay: Option<f32>,
    /// Cap on each unit's incoming weight norm (standard recipe).
    #[arg(long)]
    max_norm: Option<f32>,
    /// Learning-rate schedule: constant, step or cosine (standard recipe).
    #[arg(long)]
    schedule: Option<Schedule>,
    /// Fraction of the training rows held out to pick the best epoch (standard recipe).
    #[arg(long)]
    validation_fraction: Option<f64>,
    /// Stop after this many epochs without a better validation loss (standard recipe).
    #[arg(long)]
    patience: Option<usize>,
    /// Run stratified K-fold cross-validation instead of one hold-out split.
    #[arg(long)]
    folds: Option<usize>,
    /// Print exactly one JSON object on stdout instead of the text report.
    #[arg(long)]
    json: bool,
    /// No progress on stderr (no bar, no per-epoch lines).
    #[arg(long, short)]
    quiet: bool,
    /// Write one JSON object per epoch to FILE (epoch, train_loss, val_loss,
    /// val_accuracy, lr, seconds); the file appears whole when training ends.
    #[arg(long, value_name = "FILE")]
    log_json: Option<PathBuf>,
    /// Colour in the text report: auto (when stdout is a terminal and NO_COLOR is
    /// unset), always or never.
    #[arg(long, default_value = "auto", value_name = "WHEN")]
    color: ColorChoice,
    /// After training, write every picture (digits, confusion, curves, mistakes,
    /// weights) into DIR; `--out` alone means digitnet-out. Without --out no file is written.
    #[cfg(feature = "plot")]
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "digitnet-out")]
    out: Option<PathBuf>,
    /// Picture format for --out: png or svg.
    #[cfg(feature = "plot")]
    #[arg(long, default_value = "png")]
    format: digitnet::plot::Format,
}

impl TrainArgs {
    /// The recipe's defaults, overridden by every flag given.
    fn config(&self) -> TrainConfig {
        let mut c = TrainConfig::for_recipe(self.recipe);
        c.seed = self.seed;
        macro_rules! set {
            ($($field:ident),*) => { $( if let Some(v) = self.$field.clone() { c.$field = v; } )* };
        }
        set!(
            hidden,
            activation,
            dropout,
            input_dropout,
            epochs,
            lr,
            batch_size,
            optimizer,
            weight_decay,
            schedule,
            validation_fraction
        );
        if self.max_norm.is_some() {
            c.max_norm = self.max_norm;
        }
        if self.patience.is_some() {
            c.patience = self.patience;
        }
        if self.validation_fraction == Some(0.0) && self.patience.is_none() {
            c.patience = None;
        }
        c
    }
}

/// Runs `digitnet train` on `threads` threads.
pub fn run(args: TrainArgs, threads: usize) -> Result<ExitCode> {
    let mut config = args.config();
    config.threads = threads;
    #[cfg(feature = "plot")]
    if args.out.is_some() && args.folds.is_some() {
        anyhow::bail!(digitnet::Error::config(
            "--out draws the pictures of one hold-out run; it cannot be combined with --folds"
        ));
    }
    let data = load_dataset(&args.dataset)?;
    let log = args.log_json.as_deref().map(EpochLog::create).transpose()?;
    let interrupt = Interrupt::install()?;
    let mut monitor = Interruptible {
        inner: (Progress::new(args.quiet), log),
        interrupt: &interrupt,
    };
    if let Some(k) = args.folds {
        let cv = experiment::cross_validate(&config, &data, k, &mut monitor);
        let cv = finish_monitor(monitor.inner, cv)?;
        print_result(args.json, &cv, || report::render_cross_validation(&cv))?;
        if let Some(code) = interrupt.exit_code() {
            eprintln!("interrupted: the folds after the signal were cut short");
            return Ok(ExitCode::from(code));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let run = experiment::holdout(&config, &data, args.test_fraction, &mut monitor);
    let run = finish_monitor(monitor.inner, run)?;
    let color = args.color.enabled();
    print_result(args.json, &run.summary, || {
        report::render_colored(&run.summary, color)
    })?;
    #[cfg(feature = "plot")]
    if let Some(dir) = &args.out {
        let written = digitnet::plot::save_run(&run, &data, dir, args.format)
            .with_context(|| format!("writing pictures into {}", dir.display()))?;
        if !args.quiet {
            eprintln!("wrote {} pictures into {}", written.len(), dir.display());
        }
    }
    if let Some(code) = interrupt.exit_code() {
        eprintln!(
            "interrupted: stopped after the current batch; the report above is for the weights of epoch {}",
            run.summary.kept_epoch + 1
        );
        return Ok(ExitCode::from(code));
    }
    if let (Stop::Diverged { epoch, loss }, Recipe::Standard) = (run.summary.stop, config.recipe) {
        anyhow::bail!(digitnet::Error::Diverged {
            epoch: epoch + 1,
            value: loss,
        });
    }
    Ok(ExitCode::SUCCESS)
}

/// Clears the bar and moves the epoch log into place (only if training succeeded).
pub(super) fn finish_monitor<T>(
    (progress, log): (Progress, Option<EpochLog>),
    outcome: digitnet::Result<T>,
) -> Result<T> {
    progress.finish();
    let value = outcome?;
    if let Some(log) = log {
        log.finish().context("writing the --log-json file")?;
    }
    Ok(value)
}

pub(super) fn load_dataset(name: &str) -> Result<data::Dataset> {
    match name {
        "digits" => data::digits::load().context("loading the embedded digits"),
        other => Err(digitnet::Error::config(format!(
            "unknown data set '{other}', which should be 'digits'"
        )))?,
    }
}

fn print_result<T: serde::Serialize>(
    json: bool,
    value: &T,
    text: impl FnOnce() -> String,
) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string(value)?);
    } else {
        print!("{}", text());
    }
    Ok(())
}
