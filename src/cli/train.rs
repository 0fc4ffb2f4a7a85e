//! `digitnet train`: split, train, evaluate, report.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use digitnet::data::csv::LabelColumn;
use digitnet::data::source::{IdxFiles, parse_shape};
use digitnet::data::{self as data, DataSource, LoadOptions, Loaded};
use digitnet::normalize::Normalization;
use digitnet::train::{
    EpochLog, OptimizerKind, Recipe, RecipeKind, Schedule, StandardSettings, Stop, TrainConfig,
};
use digitnet::{augment, experiment, nn::Hidden, report};

use super::color::ColorChoice;
use super::help::{DATA, NETWORK, OUTPUT, TRAINING};
use super::interrupt::{Interrupt, Interruptible};
use super::progress::Progress;

use super::out::{errln, out, outln};

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Data set: `digits` (the embedded 8x8 set), `mnist` (embedded,
    /// official 60,000/10,000 split), a folder of IDX files under MNIST's names
    /// (train-images-idx3-ubyte[.gz], ..., t10k-labels-idx1-ubyte[.gz]), or a CSV
    /// file (one row per image; split by --test-fraction) [default: digits]
    #[arg(help_heading = DATA, long)]
    dataset: Option<std::ffi::OsString>,
    /// IDX training images (with --train-labels, --test-images, --test-labels).
    #[arg(help_heading = DATA)]
    #[arg(
        long,
        conflicts_with = "dataset",
        requires_all = ["train_labels", "test_images", "test_labels"]
    )]
    train_images: Option<PathBuf>,
    /// IDX training labels.
    #[arg(help_heading = DATA, long, requires = "train_images")]
    train_labels: Option<PathBuf>,
    /// IDX test images.
    #[arg(help_heading = DATA, long, requires = "train_images")]
    test_images: Option<PathBuf>,
    /// IDX test labels.
    #[arg(help_heading = DATA, long, requires = "train_images")]
    test_labels: Option<PathBuf>,
    /// CSV: the label column, `first`, `last`, a column name from the header, or `auto`:
    /// a header column named label, class, target or y; else the first, then the last
    /// column whose values are whole numbers 0..=255 with 3 to 100 distinct values.
    #[arg(help_heading = DATA, long, default_value = "auto", value_parser = label_column())]
    label_column: LabelColumn,
    /// CSV: whether the first row is a header.
    #[arg(help_heading = DATA, long, default_value = "auto")]
    header: digitnet::data::csv::Header,
    /// CSV: image shape HEIGHTxWIDTH (inferred when the pixel count is a square)
    /// [default: inferred]
    #[arg(help_heading = DATA, long, value_parser = parse_shape)]
    shape: Option<(usize, usize)>,
    /// CSV: the largest pixel value (inferred: 1, 16 or 255, from the largest value found)
    /// [default: inferred]
    #[arg(help_heading = DATA, long)]
    pixel_max: Option<f32>,
    /// Number of classes (inferred as one more than the largest training label)
    /// [default: inferred]
    #[arg(help_heading = DATA, long)]
    classes: Option<usize>,
    /// Training recipe. Flags marked "standard recipe" are refused with the blog recipe,
    /// which trains the post's net by its own fixed rules.
    #[arg(help_heading = TRAINING, long, default_value = "standard")]
    recipe: RecipeKind,
    /// Randomly distort every training batch (seeded; standard recipe); the MNIST preset
    /// then runs 60 epochs with lighter dropout. `--augment` alone means shapes.
    #[arg(
        help_heading = TRAINING,
        long,
        num_args = 0..=1,
        default_missing_value = "shapes",
        value_name = "KIND"
    )]
    augment: Option<augment::Kind>,
    /// Input normalisation (standard recipe)
    /// [default: standardize for the 8x8 digits, scale otherwise]
    #[arg(help_heading = DATA, long)]
    normalize: Option<Normalization>,
    /// Seed for the split, the initial weights, shuffling and dropout.
    #[arg(help_heading = TRAINING, long, default_value_t = 0)]
    seed: u64,
    /// Fraction of the data held out for testing.
    #[arg(help_heading = DATA, long, default_value_t = 0.25)]
    test_fraction: f64,
    /// Hidden layer sizes, comma-separated (`200`, or `256,128` for a deeper net)
    /// [default: 200; 800 for MNIST-like data]
    #[arg(help_heading = NETWORK, long, value_delimiter = ',')]
    hidden: Option<Vec<usize>>,
    /// Hidden activation (standard recipe; the blog recipe's is tanh)
    /// [default: tanh; relu for MNIST-like data]
    #[arg(help_heading = NETWORK, long)]
    activation: Option<Hidden>,
    /// Probability of dropping a hidden unit while training (0 turns dropout off)
    /// [default: 0.5; 0.3 for MNIST-like data with --augment]
    #[arg(help_heading = NETWORK, long)]
    dropout: Option<f32>,
    /// Probability of dropping an input pixel while training (standard recipe)
    /// [default: 0.2; 0 for MNIST-like data with --augment]
    #[arg(help_heading = NETWORK, long)]
    input_dropout: Option<f32>,
    /// The most epochs to run
    /// [default: 100; 24 for MNIST-like data, 60 with --augment; 200 with --recipe blog]
    #[arg(help_heading = TRAINING, long)]
    epochs: Option<usize>,
    /// Learning rate [default: 0.002; 0.1 with --recipe blog]
    #[arg(help_heading = TRAINING, long)]
    lr: Option<f32>,
    /// Rows per update (standard recipe; the blog recipe updates after every row)
    /// [default: 32; 256 for MNIST-like data, at most the rows trained on]
    #[arg(help_heading = TRAINING, long)]
    batch_size: Option<usize>,
    /// Optimizer (standard recipe; the blog recipe's is plain SGD) [default: adam]
    #[arg(help_heading = TRAINING, long)]
    optimizer: Option<OptimizerKind>,
    /// L2 weight decay (standard recipe) [default: 0]
    #[arg(help_heading = TRAINING, long)]
    weight_decay: Option<f32>,
    /// Cap on each unit's incoming weight norm (standard recipe) [default: none]
    #[arg(help_heading = TRAINING, long)]
    max_norm: Option<f32>,
    /// Learning-rate schedule (standard recipe; the blog recipe's rate is constant)
    /// [default: cosine]
    #[arg(help_heading = TRAINING, long)]
    schedule: Option<Schedule>,
    /// Fraction of the training rows held out to pick the best epoch, 0 to 0.5 (standard
    /// recipe) [default: 0.1; 1/12 for MNIST-like data]
    #[arg(help_heading = TRAINING, long)]
    validation_fraction: Option<f64>,
    /// Stop after this many epochs without a better validation loss (standard recipe)
    /// [default: none: no early stop]
    #[arg(help_heading = TRAINING, long)]
    patience: Option<usize>,
    /// Blog recipe: train with the post's loop written plainly
    /// (src/train/blog/reference.rs; the same steps as the fast path, many times slower).
    #[arg(help_heading = TRAINING, long)]
    reference: bool,
    /// Run stratified K-fold cross-validation instead of one hold-out split
    /// [default: none: one hold-out split]
    #[arg(help_heading = TRAINING, long)]
    folds: Option<usize>,
    /// Save the trained model to this file (safetensors; see `digitnet info`) [default: none]
    #[arg(help_heading = OUTPUT, long, value_name = "FILE", conflicts_with = "folds")]
    save: Option<std::path::PathBuf>,
    /// Print exactly one JSON object on stdout instead of the text report.
    #[arg(help_heading = OUTPUT, long)]
    json: bool,
    /// No progress on stderr (no bar, no per-epoch lines).
    #[arg(help_heading = OUTPUT, long, short)]
    quiet: bool,
    /// Write one JSON object per epoch to FILE (epoch, train_loss, val_loss,
    /// val_accuracy, lr, seconds); the file appears whole when training ends [default: none]
    #[arg(help_heading = OUTPUT, long, value_name = "FILE")]
    log_json: Option<PathBuf>,
    /// Colour in the text report.
    #[arg(help_heading = OUTPUT, long, default_value = "auto", value_name = "WHEN")]
    color: ColorChoice,
    /// After training, write every picture (digits, confusion, curves, mistakes,
    /// weights) into DIR; `--out` alone means digitnet-out. Without --out no file is written.
    #[cfg(feature = "plot")]
    #[arg(help_heading = OUTPUT)]
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "digitnet-out")]
    out: Option<PathBuf>,
    /// Picture format for --out: png or svg.
    #[cfg(feature = "plot")]
    #[arg(help_heading = OUTPUT, long, default_value = "png")]
    format: digitnet::plot::Format,
}

impl TrainArgs {
    /// Where the data comes from.
    fn source(&self) -> Result<DataSource> {
        if let (Some(ti), Some(tl), Some(si), Some(sl)) = (
            &self.train_images,
            &self.train_labels,
            &self.test_images,
            &self.test_labels,
        ) {
            return Ok(DataSource::Idx(IdxFiles {
                train_images: ti.clone(),
                train_labels: tl.clone(),
                test_images: si.clone(),
                test_labels: sl.clone(),
            }));
        }
        let dataset = self.dataset.as_deref();
        Ok(DataSource::parse(dataset.unwrap_or("digits".as_ref()))?)
    }

    fn load_options(&self) -> LoadOptions {
        LoadOptions {
            label_column: self.label_column.clone(),
            shape: self.shape,
            pixel_max: self.pixel_max,
            classes: self.classes,
            header: self.header,
        }
    }

    /// The flags given that the chosen recipe does not use.
    fn unused_flags(&self) -> Vec<&'static str> {
        let given = match self.recipe {
            RecipeKind::Blog => vec![
                ("--activation", self.activation.is_some()),
                ("--augment", self.augment.is_some()),
                ("--normalize", self.normalize.is_some()),
                ("--input-dropout", self.input_dropout.is_some()),
                ("--batch-size", self.batch_size.is_some()),
                ("--optimizer", self.optimizer.is_some()),
                ("--weight-decay", self.weight_decay.is_some()),
                ("--max-norm", self.max_norm.is_some()),
                ("--schedule", self.schedule.is_some()),
                ("--validation-fraction", self.validation_fraction.is_some()),
                ("--patience", self.patience.is_some()),
            ],
            RecipeKind::Standard => vec![("--reference", self.reference)],
        };
        given.into_iter().filter(|g| g.1).map(|g| g.0).collect()
    }

    /// The recipe's defaults for this data, overridden by every flag given; a flag
    /// the recipe does not use is a usage error that names it and the recipe.
    fn config(&self, source: &DataSource, threads: usize) -> Result<TrainConfig> {
        if let [flag, ..] = self.unused_flags()[..] {
            let why = match self.recipe {
                RecipeKind::Blog => "which trains the post's tanh net with its own rules",
                RecipeKind::Standard => "which has no plain reference loop",
            };
            anyhow::bail!(digitnet::Error::config(format!(
                "{flag} is not used by the {} recipe, {why}; leave it out or choose the \
                 other recipe",
                self.recipe
            )));
        }
        let mut c = TrainConfig::for_data(self.recipe, source, self.augment.is_some());
        c.seed = self.seed;
        c.threads = threads;
        set(&mut c.hidden, &self.hidden);
        set(&mut c.dropout, &self.dropout);
        set(&mut c.epochs, &self.epochs);
        set(&mut c.lr, &self.lr);
        match &mut c.recipe {
            Recipe::Blog(b) => b.reference = self.reference,
            Recipe::Standard(s) => self.set_standard(s),
        }
        Ok(c)
    }

    /// The standard recipe's own flags.
    fn set_standard(&self, s: &mut StandardSettings) {
        if self.augment == Some(augment::Kind::Photo) {
            s.augment = s.augment.map(augment::Augment::with_photo);
        }
        set(&mut s.normalization, &self.normalize);
        set(&mut s.activation, &self.activation);
        set(&mut s.input_dropout, &self.input_dropout);
        set(&mut s.batch_size, &self.batch_size);
        set(&mut s.optimizer, &self.optimizer);
        set(&mut s.weight_decay, &self.weight_decay);
        set(&mut s.schedule, &self.schedule);
        set(&mut s.validation_fraction, &self.validation_fraction);
        if self.max_norm.is_some() {
            s.max_norm = self.max_norm;
        }
        if self.patience.is_some() {
            s.patience = self.patience;
        }
        if self.validation_fraction == Some(0.0) && self.patience.is_none() {
            s.patience = None;
        }
    }
}

/// `--label-column`: a keyword or a column name, never empty.
fn label_column() -> impl clap::builder::TypedValueParser<Value = LabelColumn> {
    use clap::builder::TypedValueParser;
    clap::builder::NonEmptyStringValueParser::new().try_map(|s| s.parse::<LabelColumn>())
}

/// Replaces a default with the flag's value, when the flag was given.
fn set<T: Clone>(setting: &mut T, flag: &Option<T>) {
    if let Some(v) = flag {
        setting.clone_from(v);
    }
}

impl TrainArgs {
    /// Clamps the preset's batch size to the rows each run trains on (the smallest
    /// fold's with `--folds`), so that a small data set trains in full batches instead of
    /// being refused for a flag nobody gave. A `--batch-size` is kept as given, and
    /// refused by name when it is more than the data.
    fn fit_preset_batch(&self, config: &mut TrainConfig, data: &Loaded) {
        if self.batch_size.is_some() {
            return;
        }
        let train_rows = match (data, self.folds) {
            (Loaded::Pair { train, .. }, _) => Some(train.len()),
            (Loaded::One(d), Some(k)) => data::stratified_folds(&d.labels, d.classes, k, self.seed)
                .ok()
                .and_then(|folds| folds.iter().map(|f| f.train.len()).min()),
            (Loaded::One(d), None) => data::shuffle_split(d.len(), self.test_fraction, self.seed)
                .ok()
                .map(|split| split.train.len()),
        };
        // Sizes the split refuses are left for training to name.
        if let (Some(rows), Recipe::Standard(s)) = (train_rows, &mut config.recipe) {
            let fit = rows - digitnet::train::validation_len(rows, s.validation_fraction);
            s.batch_size = s.batch_size.min(fit.max(1));
        }
    }
}

/// Runs `digitnet train` on `threads` threads.
pub fn run(args: TrainArgs, threads: usize) -> Result<ExitCode> {
    let source = args.source()?;
    let mut config = args.config(&source, threads)?;
    #[cfg(feature = "plot")]
    if args.out.is_some() && args.folds.is_some() {
        anyhow::bail!(digitnet::Error::config(
            "--out draws the pictures of one hold-out run; it cannot be combined with --folds"
        ));
    }
    if let Some(path) = &args.save {
        // Found now rather than after minutes of training.
        digitnet::atomic::check_writable(path)?;
    }
    let data = source.load(&args.load_options())?;
    args.fit_preset_batch(&mut config, &data);
    let log = args.log_json.as_deref().map(EpochLog::create).transpose()?;
    let interrupt = Interrupt::install()?;
    let mut monitor = Interruptible {
        inner: (Progress::new(args.quiet), log),
        interrupt: &interrupt,
    };
    if let Some(k) = args.folds {
        let cv = experiment::cross_validate_loaded(&config, &data, k, &mut monitor);
        let cv = finish_monitor(monitor.inner, cv)?;
        print_result(args.json, &cv, || report::run::render_cross_validation(&cv))?;
        if let Some(code) = interrupt.exit_code() {
            errln!("interrupted: the folds after the signal were cut short");
            return Ok(ExitCode::from(code));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let run = experiment::run(&config, &data, args.test_fraction, &mut monitor);
    let run = finish_monitor(monitor.inner, run)?;
    // Saved before anything is printed: a closed or full stdout never costs the model.
    if let Some(path) = &args.save {
        run.model()?.save(path)?;
        if !args.quiet {
            errln!("saved the model to {}", digitnet::error::shown_path(path));
        }
    }
    let color = args.color.enabled();
    print_result(args.json, &run.summary, || {
        report::run::render_colored(&run.summary, color)
    })?;
    #[cfg(feature = "plot")]
    if let Some(dir) = &args.out {
        let written = digitnet::plot::save_run(&run, data.primary(), dir, args.format)
            .with_context(|| {
                format!("writing pictures into {}", digitnet::error::shown_path(dir))
            })?;
        if !args.quiet {
            errln!(
                "wrote {} pictures into {}",
                written.len(),
                digitnet::error::shown_path(dir)
            );
        }
    }
    if let Some(code) = interrupt.exit_code() {
        errln!(
            "interrupted: stopped after the current batch; the report above is for the \
             weights of epoch {}",
            run.summary.kept_epoch + 1
        );
        return Ok(ExitCode::from(code));
    }
    if let (Stop::Diverged { epoch, loss }, RecipeKind::Standard) =
        (run.summary.stop, config.kind())
    {
        anyhow::bail!(digitnet::Error::Diverged {
            epoch: epoch + 1,
            value: loss,
        });
    }
    Ok(ExitCode::SUCCESS)
}

/// Clears the bar and moves the epoch log into place (only if training succeeded). A
/// log that cannot be written is a warning: the run and its model matter more.
pub(super) fn finish_monitor<T>(
    (progress, log): (Progress, Option<EpochLog>),
    outcome: digitnet::Result<T>,
) -> Result<T> {
    progress.finish();
    let value = outcome?;
    if let Some(Err(e)) = log.map(EpochLog::finish) {
        errln!("warning: the --log-json file was not written: {e}");
    }
    Ok(value)
}

/// Loads one data set by name for commands that need a single set (`plot`).
pub(super) fn load_dataset(name: &std::ffi::OsStr) -> Result<data::Dataset> {
    match DataSource::parse(name)?.load(&LoadOptions::default())? {
        Loaded::One(data) => Ok(data),
        Loaded::Pair { train, .. } => Err(digitnet::Error::config(format!(
            "'{}' comes as a training and a test set; this command needs one data set, \
             e.g. --dataset digits or a CSV file ({} has {} images)",
            digitnet::error::shown_path(name),
            train.name,
            train.len()
        )))?,
    }
}

fn print_result<T: serde::Serialize>(
    json: bool,
    value: &T,
    text: impl FnOnce() -> String,
) -> Result<()> {
    if json {
        outln!("{}", serde_json::to_string(value)?);
    } else {
        out!("{}", text());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use digitnet::nn::Hidden;
    use digitnet::normalize::Normalization;
    use digitnet::train::BlogSettings;

    #[derive(Debug, Parser)]
    struct Train {
        #[command(flatten)]
        args: TrainArgs,
    }

    fn parse(args: &[&str]) -> Result<TrainArgs, clap::Error> {
        let line = std::iter::once("train").chain(args.iter().copied());
        Train::try_parse_from(line).map(|t| t.args)
    }

    fn config(args: &[&str]) -> TrainConfig {
        parse(args).unwrap().config(&DataSource::Digits, 1).unwrap()
    }

    #[test]
    fn every_value_of_every_option_is_accepted_and_a_wrong_one_lists_them() {
        let cases: &[(&str, &[&str])] = &[
            ("--recipe", &["standard", "blog"]),
            ("--activation", &["tanh", "relu", "sigmoid"]),
            ("--optimizer", &["sgd", "momentum", "nesterov", "adam"]),
            ("--schedule", &["constant", "step", "cosine"]),
            ("--normalize", &["standardize", "scale"]),
            ("--augment", &["shapes", "photo"]),
            ("--header", &["auto", "yes", "no"]),
            ("--color", &["auto", "always", "never"]),
        ];
        for (flag, values) in cases {
            for value in *values {
                assert!(parse(&[flag, value]).is_ok(), "{flag} {value}");
            }
            let err = parse(&[flag, "nonsense"]).unwrap_err().to_string();
            let listed = format!("[possible values: {}]", values.join(", "));
            assert!(err.contains(&listed), "{flag}: {err}");
            assert!(err.contains(&format!("'nonsense' for '{flag}")), "{err}");
        }
        let named = parse(&["--label-column", "digit"]).unwrap();
        assert_eq!(named.label_column, LabelColumn::Name("digit".into()));
        assert_eq!(
            parse(&["--label-column", "last"]).unwrap().label_column,
            LabelColumn::Last
        );
        assert!(parse(&["--label-column", ""]).is_err());
    }

    #[test]
    fn each_flag_reaches_its_setting() {
        let c = config(&[
            "--seed",
            "4",
            "--epochs",
            "7",
            "--hidden",
            "30,20",
            "--dropout",
            "0.25",
            "--lr",
            "0.5",
            "--activation",
            "sigmoid",
            "--optimizer",
            "nesterov",
            "--schedule",
            "step",
            "--normalize",
            "scale",
            "--input-dropout",
            "0.1",
            "--batch-size",
            "8",
            "--weight-decay",
            "0.01",
            "--max-norm",
            "3",
            "--validation-fraction",
            "0.2",
            "--patience",
            "5",
            "--augment",
        ]);
        assert_eq!(
            (
                c.seed,
                c.epochs,
                c.hidden.as_slice(),
                c.dropout,
                c.lr,
                c.threads
            ),
            (4, 7, &[30, 20][..], 0.25, 0.5, 1)
        );
        let Recipe::Standard(s) = c.recipe else {
            panic!("not the standard recipe: {c:?}");
        };
        assert_eq!(
            (s.activation, s.optimizer, s.schedule, s.normalization),
            (
                Hidden::Sigmoid,
                OptimizerKind::Nesterov,
                Schedule::STEP,
                Normalization::Scale
            )
        );
        assert_eq!(
            (s.input_dropout, s.batch_size, s.weight_decay),
            (0.1, 8, 0.01)
        );
        assert_eq!(
            (s.max_norm, s.validation_fraction, s.patience),
            (Some(3.0), 0.2, Some(5))
        );
        assert_eq!(s.augment, Some(augment::Augment::digits()));

        let blog = config(&["--recipe", "blog", "--reference", "--epochs", "3"]);
        let expected = BlogSettings {
            reference: true,
            ..BlogSettings::post()
        };
        assert_eq!((blog.recipe, blog.epochs), (Recipe::Blog(expected), 3));
    }
}
