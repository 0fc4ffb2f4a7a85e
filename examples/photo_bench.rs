//! Scores a model on seeded synthetic photos of MNIST digits (`digitnet::synth`),
//! checks that preparing clean MNIST digits keeps their accuracy, and times the
//! preparation of a 12-megapixel JPEG.
//!
//! ```sh
//! cargo run --release --example photo_bench -- [--model M] [--singles N] [--numbers N]
//!     [--seed S] [--digits test|train|validation] [--save DIR] [--speed] [--no-clean]
//! ```
//!
//! Photos are made from MNIST's test digits (`--digits train` makes them from the
//! training digits, for tuning the preparation without looking at the test set;
//! `--digits validation` from the 5,000 of them the built-in model held out, which
//! it never trained on).
//! `--save DIR` writes every photo (`single-NNNN-L.jpg`, L its label, and a PNG
//! copy) and what the network saw (`single-NNNN-prepared.png`), lists the photos
//! read wrong, and writes each misread number (`number-NNNN-TRUTH.jpg`) with the
//! picture of its reading (`number-NNNN-read.png`). `--speed` writes 4000x3000
//! photos to the temporary folder and prepares each in a fresh process: CPU time
//! per preparation (decoding included) and the process's peak memory; then the
//! same for a photo of a 4-digit number of about 12 megapixels, read whole.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use digitnet::data::{Dataset, mnist};
use digitnet::preprocess::{self, Gray, Prepared, components, ink};
use digitnet::synth::{self, Frame, Photo};
use digitnet::{Error, Model, Result};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

/// The built-in model's file (the one `Model::builtin_mnist` embeds).
const DEFAULT_MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/models/mnist.safetensors"
);

struct Args {
    model: PathBuf,
    singles: usize,
    numbers: usize,
    seed: u64,
    digits: DigitSet,
    save: Option<PathBuf>,
    speed: bool,
    clean: bool,
    time_file: Option<PathBuf>,
    time_number: Option<PathBuf>,
}

/// Which MNIST digits the photos are made from.
#[derive(Clone, Copy)]
enum DigitSet {
    /// The 10,000 test digits: the benchmark's figures.
    Test,
    /// The 60,000 training digits, for tuning the preparation.
    Train,
    /// The 5,000 training digits the built-in model held out to choose its epoch
    /// (never trained on): for tuning, without the model having seen the digits.
    Validation,
}

impl DigitSet {
    fn parse(value: Option<String>) -> Result<DigitSet> {
        match value.as_deref() {
            Some("test") => Ok(DigitSet::Test),
            Some("train") => Ok(DigitSet::Train),
            Some("validation") => Ok(DigitSet::Validation),
            _ => Err(Error::config("--digits needs test, train or validation")),
        }
    }

    fn load(self) -> Result<Dataset> {
        Ok(match self {
            DigitSet::Test => mnist::test()?,
            DigitSet::Train => mnist::train()?,
            DigitSet::Validation => {
                let train = mnist::train()?;
                train.subset(&held_out_rows(train.len()))
            }
        })
    }

    fn describe(self) -> &'static str {
        match self {
            DigitSet::Test => "test",
            DigitSet::Train => "training",
            DigitSet::Validation => "held-out training",
        }
    }
}

/// The training rows the built-in model held out (assets/models/README.md): the
/// standard recipe shuffles the rows with its seed (0) and keeps the last 1/12 aside.
fn held_out_rows(rows: usize) -> Vec<usize> {
    use rand::seq::SliceRandom;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let mut order: Vec<usize> = (0..rows).collect();
    order.shuffle(&mut rng);
    order.split_off(rows - rows / 12)
}

fn parse() -> Result<Args> {
    let mut a = Args {
        model: PathBuf::from(DEFAULT_MODEL),
        singles: 1000,
        numbers: 200,
        seed: 0,
        digits: DigitSet::Test,
        save: None,
        speed: false,
        clean: true,
        time_file: None,
        time_number: None,
    };
    let mut it = std::env::args().skip(1);
    let number = |flag: &str, v: Option<String>| -> Result<u64> {
        v.and_then(|v| v.parse().ok())
            .ok_or_else(|| Error::config(format!("{flag} needs a whole number")))
    };
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--model" => a.model = it.next().map(PathBuf::from).unwrap_or_default(),
            "--singles" => a.singles = number("--singles", it.next())? as usize,
            "--numbers" => a.numbers = number("--numbers", it.next())? as usize,
            "--seed" => a.seed = number("--seed", it.next())?,
            "--digits" => a.digits = DigitSet::parse(it.next())?,
            "--save" => a.save = it.next().map(PathBuf::from),
            "--speed" => a.speed = true,
            "--no-clean" => a.clean = false,
            "--time-file" => a.time_file = it.next().map(PathBuf::from),
            "--time-number" => a.time_number = it.next().map(PathBuf::from),
            other => return Err(Error::config(format!("unknown flag {other}; see the docs"))),
        }
    }
    Ok(a)
}

fn main() -> Result<()> {
    let args = parse()?;
    if let Some(file) = &args.time_number {
        return time_number(&Model::load(&args.model)?, file);
    }
    if let Some(file) = &args.time_file {
        return time_preparation(file);
    }
    let model = Model::load(&args.model)?;
    let digits = args.digits.load()?;
    println!(
        "model {}, photos of MNIST {} digits, seed {}",
        args.model.display(),
        args.digits.describe(),
        args.seed
    );
    if let Some(dir) = &args.save {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    if args.singles > 0 {
        let start = Instant::now();
        let (right, none) = score_singles(&model, &digits, args.singles, args.seed, &args.save)?;
        println!(
            "single digits: {right}/{} right ({:.2}%), {none} read as no digit, {:.1} s",
            args.singles,
            100.0 * right as f64 / args.singles as f64,
            start.elapsed().as_secs_f64()
        );
    }
    if args.numbers > 0 {
        score_numbers(&model, &digits, args.numbers, args.seed, &args.save)?;
    }
    if args.clean {
        let test = mnist::test()?;
        let (raw, prepared) = score_clean(&model, &test);
        println!(
            "clean MNIST test digits: raw {:.2}%, prepared {:.2}% ({:+.2} points)",
            100.0 * raw,
            100.0 * prepared,
            100.0 * (prepared - raw)
        );
    }
    if args.speed {
        speed(args.seed)?;
        speed_number(args.seed, &args.model)?;
    }
    Ok(())
}

/// A 28x28 digit of `digits` and its label.
fn digit(digits: &Dataset, i: usize) -> (&[f32], u8) {
    (digits.image(i), digits.labels[i])
}

/// Reads `n` single-digit photos: how many were right, how many had no digit.
fn score_singles(
    model: &Model,
    digits: &Dataset,
    n: usize,
    seed: u64,
    save: &Option<PathBuf>,
) -> Result<(usize, usize)> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let (mut right, mut none) = (0, 0);
    for k in 0..n {
        let (pixels, label) = digit(digits, rng.random_range(0..digits.len()));
        let photo = synth::single(pixels, label, Frame::DEFAULT, &mut rng);
        let gray = preprocess::decode(&photo.jpeg, "photo")?;
        let answer = model.predict(&gray);
        match answer.digit {
            Some(d) if d == usize::from(label) => right += 1,
            None => none += 1,
            _ => {}
        }
        if let Some(dir) = save {
            if answer.digit != Some(usize::from(label)) {
                println!("  photo {k}: a {label} read as {:?}", answer.digit);
            }
            save_photo(dir, k, &photo, answer.input.as_ref())?;
        }
    }
    Ok((right, none))
}

/// Writes a photo and the network's input for it.
fn save_photo(dir: &Path, k: usize, photo: &Photo, input: Option<&Prepared>) -> Result<()> {
    let name = dir.join(format!("single-{k:04}-{}.jpg", photo.digits[0].label));
    std::fs::write(&name, &photo.jpeg).map_err(|e| Error::io(&name, e))?;
    let decoded =
        image::load_from_memory(&photo.jpeg).map_err(|e| Error::data("photo", e.to_string()))?;
    let name = dir.join(format!("single-{k:04}-photo.png"));
    decoded
        .save(&name)
        .map_err(|e| Error::data(name.display().to_string(), e.to_string()))?;
    if let Some(p) = input {
        let bytes: Vec<u8> = p.pixels.iter().map(|v| 255 - v.round() as u8).collect();
        let img = image::GrayImage::from_raw(p.target.width as u32, p.target.height as u32, bytes)
            .expect("a prepared input fills its shape");
        let name = dir.join(format!("single-{k:04}-prepared.png"));
        img.save(&name)
            .map_err(|e| Error::data(name.display().to_string(), e.to_string()))?;
    }
    Ok(())
}

/// Scores `n` photos of numbers of 2 to 6 digits ("every digit right"): read by
/// the number reader (`Model::read_number`: finding the digits, then reading
/// them), and, to tell the two apart, with each digit read from the marks whose
/// centre lies in its true box.
fn score_numbers(
    model: &Model,
    digits: &Dataset,
    n: usize,
    seed: u64,
    save: &Option<PathBuf>,
) -> Result<()> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x6e75_6d62);
    let (mut whole, mut true_boxes, mut miscounted, mut flagged) = (0, 0, 0, 0);
    let mut wrong_but_sure = 0;
    let start = Instant::now();
    for k in 0..n {
        let len = rng.random_range(2..=6);
        let chosen: Vec<(&[f32], u8)> = (0..len)
            .map(|_| digit(digits, rng.random_range(0..digits.len())))
            .collect();
        let photo = synth::number(&chosen, Frame::DEFAULT, &mut rng);
        let gray = preprocess::decode(&photo.jpeg, "number photo")?;
        let truth: String = photo.digits.iter().map(|d| d.label.to_string()).collect();
        let reading = model.read_number(&gray, 0.6).ok();
        let number = reading.as_ref().and_then(|r| r.number.clone());
        let uncertain = reading.as_ref().is_none_or(|r| r.uncertain);
        let right = number.as_deref() == Some(truth.as_str());
        whole += usize::from(right);
        flagged += usize::from(uncertain);
        wrong_but_sure += usize::from(!right && !uncertain);
        miscounted += usize::from(number.as_ref().is_none_or(|n| n.len() != truth.len()));
        true_boxes += usize::from(read_with_true_boxes(model, &gray, &photo));
        if let (Some(dir), false, Some(reading)) = (save, right, &reading) {
            eprintln!("number {k:04}: {truth} read as {:?}", reading.number);
            save_number(dir, k, &truth, &photo, &gray, reading)?;
        }
    }
    let pct = |k: usize| 100.0 * k as f64 / n as f64;
    println!(
        "numbers: {whole}/{n} with every digit right ({:.1}%), {:.1} s; {miscounted} with the \
         wrong number of digits; {flagged} uncertain; {wrong_but_sure} wrong and not uncertain",
        pct(whole),
        start.elapsed().as_secs_f64()
    );
    println!(
        "numbers, each digit read in its true box: {true_boxes}/{n} ({:.1}%)",
        pct(true_boxes)
    );
    Ok(())
}

/// Writes a misread number's photo (`number-NNNN-TRUTH.jpg`) and the picture of
/// its reading (`number-NNNN-read.png`) into `dir`.
fn save_number(
    dir: &Path,
    k: usize,
    truth: &str,
    photo: &Photo,
    gray: &Gray,
    reading: &digitnet::number::NumberReading,
) -> Result<()> {
    let jpeg = dir.join(format!("number-{k:04}-{truth}.jpg"));
    std::fs::write(&jpeg, &photo.jpeg).map_err(|e| Error::io(&jpeg, e))?;
    let picture = digitnet::plot::NumberPicture::new(gray, reading, 0.6);
    let png = dir.join(format!("number-{k:04}-read.png"));
    digitnet::plot::save(&picture, digitnet::plot::Format::Png, &png)
}

/// Whether every digit of `photo` is read right from the marks inside its box.
fn read_with_true_boxes(model: &Model, gray: &Gray, photo: &Photo) -> bool {
    let Ok(ink) = ink::ink_map(gray) else {
        return false;
    };
    let marks = components::find_components(&ink);
    photo.digits.iter().all(|placed| {
        let (x, y, w, h) = placed.bbox;
        let inside: Vec<usize> = (0..marks.list.len())
            .filter(|&i| {
                let [mx, my, mw, mh] = ink.to_picture(marks.list[i].bbox);
                let (cx, cy) = (mx + mw / 2, my + mh / 2);
                (x..x + w).contains(&cx) && (y..y + h).contains(&cy)
            })
            .collect();
        let prepared = components::prepare_components(&ink, &marks, &inside, model.target());
        model.predict_prepared(prepared).digit == Some(usize::from(placed.label))
    })
}

/// Accuracy on the raw test images and on the same images prepared as pictures.
fn score_clean(model: &Model, test: &Dataset) -> (f64, f64) {
    let (mut raw, mut prepared) = (0, 0);
    for i in 0..test.len() {
        let (pixels, label) = digit(test, i);
        let best = |p: Vec<f32>| digitnet::nn::argmax(&p);
        raw += usize::from(best(model.probabilities(pixels)) == usize::from(label));
        let gray = Gray::new(28, 28, pixels.iter().map(|v| v / 255.0).collect());
        prepared += usize::from(model.predict(&gray).digit == Some(usize::from(label)));
    }
    let n = test.len() as f64;
    (raw as f64 / n, prepared as f64 / n)
}

/// Writes 4000x3000 JPEGs of one digit (a phone's: light grain, quality 90;
/// the worst: grain of 10 grey levels, quality 95) and times their preparation
/// in a fresh process each (so the peak memory is the preparation's alone).
fn speed(seed: u64) -> Result<()> {
    let test = mnist::test()?;
    let (pixels, label) = digit(&test, 0);
    for (name, grain, quality) in [("phone", 2.0, 90), ("worst", 10.0, 95)] {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let size = (4000, 3000);
        let photo = synth::single_with(pixels, label, size, Some((grain, quality)), &mut rng);
        let file = std::env::temp_dir().join(format!("digitnet-photo-4000x3000-{name}.jpg"));
        std::fs::write(&file, &photo.jpeg).map_err(|e| Error::io(&file, e))?;
        println!(
            "{}: {} bytes, quality {quality}, grain {grain}",
            file.display(),
            photo.jpeg.len()
        );
        time_in_fresh_process(&["--time-file".as_ref(), file.as_os_str()])?;
    }
    Ok(())
}

/// Writes a JPEG of a 4-digit number about 12 megapixels large and times reading
/// it (`Model::read_number`, decoding included) in a fresh process.
fn speed_number(seed: u64, model: &Path) -> Result<()> {
    let test = mnist::test()?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let chosen: Vec<(&[f32], u8)> = (0..4).map(|i| digit(&test, i)).collect();
    let frame = Frame {
        min_side: 3000,
        max_side: 4000,
    };
    let photo = synth::number(&chosen, frame, &mut rng);
    let file = std::env::temp_dir().join("digitnet-number-12mp.jpg");
    std::fs::write(&file, &photo.jpeg).map_err(|e| Error::io(&file, e))?;
    println!(
        "{}: {}x{}, {} bytes, quality {}",
        file.display(),
        photo.width,
        photo.height,
        photo.jpeg.len(),
        photo.quality
    );
    time_in_fresh_process(&[
        "--model".as_ref(),
        model.as_os_str(),
        "--time-number".as_ref(),
        file.as_os_str(),
    ])
}

/// Runs this program again with `args`, so that a timing's peak memory is its own.
fn time_in_fresh_process(args: &[&std::ffi::OsStr]) -> Result<()> {
    let exe = std::env::current_exe().map_err(|e| Error::io("current_exe", e))?;
    let status = Command::new(exe)
        .args(args)
        .status()
        .map_err(|e| Error::io("photo_bench", e))?;
    if !status.success() {
        return Err(Error::config("the timing process failed"));
    }
    Ok(())
}

/// Opens `file` and reads the number in it a few times: CPU time per run (median).
fn time_number(model: &Model, file: &Path) -> Result<()> {
    let mut times = Vec::new();
    let mut number = None;
    for _ in 0..9 {
        let before = cpu_seconds();
        let gray = preprocess::open(file)?;
        let reading = model.read_number(&gray, 0.6);
        times.push(cpu_seconds() - before);
        number = Some(reading.map(|r| r.number));
    }
    report_times("open + read_number", file, times, number);
    Ok(())
}

/// Prints the median, least and most of `times` (CPU seconds per run), what the
/// last run answered, and the process's peak memory.
fn report_times(what: &str, file: &Path, mut times: Vec<f64>, answer: impl std::fmt::Debug) {
    times.sort_by(f64::total_cmp);
    println!(
        "{what} {}: median {:.0} ms CPU (min {:.0}, max {:.0}) over {} runs; answer {answer:?}",
        file.display(),
        1000.0 * times[times.len() / 2],
        1000.0 * times[0],
        1000.0 * times[times.len() - 1],
        times.len(),
    );
    println!(
        "peak memory (VmHWM): {}",
        status_field("VmHWM").unwrap_or("unknown".into())
    );
}

/// Opens and prepares `file` a few times: CPU time per run (median), peak memory.
fn time_preparation(file: &Path) -> Result<()> {
    let (mut times, mut decoding) = (Vec::new(), Vec::new());
    let mut answer = None;
    let (cpu, wall) = (cpu_seconds(), Instant::now());
    for _ in 0..15 {
        let before = cpu_seconds();
        let gray = preprocess::open(file)?;
        let opened = cpu_seconds();
        let prepared = preprocess::prepare(&gray, preprocess::Target::MNIST);
        times.push(cpu_seconds() - before);
        decoding.push(opened - before);
        answer = Some(prepared.map(|p| p.ink_box));
    }
    let (cpu, wall) = (cpu_seconds() - cpu, wall.elapsed().as_secs_f64());
    println!(
        "open + prepare: mean {:.0} ms CPU, {:.0} ms wall",
        1000.0 * cpu / times.len() as f64,
        1000.0 * wall / times.len() as f64
    );
    decoding.sort_by(f64::total_cmp);
    println!(
        "  of which decoding: median {:.0} ms CPU",
        1000.0 * decoding[decoding.len() / 2]
    );
    report_times("open + prepare", file, times, answer);
    Ok(())
}

/// This process's CPU time in seconds (user + system, every thread), to the
/// nanosecond the kernel keeps (`CLOCK_PROCESS_CPUTIME_ID`).
#[cfg(unix)]
fn cpu_seconds() -> f64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec; the clock exists on every Unix.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut now) } == 0;
    assert!(ok, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
    now.tv_sec as f64 + now.tv_nsec as f64 * 1e-9
}

/// Without a process CPU clock, the wall time since the first call (the timings
/// are then as noisy as the machine's load).
#[cfg(not(unix))]
fn cpu_seconds() -> f64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// A field of /proc/self/status, such as "VmHWM".
fn status_field(name: &str) -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(name))
        .map(|l| l[name.len() + 1..].trim().to_string())
}
