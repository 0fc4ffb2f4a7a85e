//! Shared pieces of the `cargo fuzz` targets: the memory budget, the house
//! contract check, and one entry point per parser that reads outside bytes.
//!
//! Each target in `fuzz_targets/` is one line calling a function here, so the
//! same checks also run on the seed corpora in this crate's own tests
//! (`cargo test` inside `fuzz/`), on the stable toolchain without libFuzzer.
//!
//! The contract every parser must keep, whatever the bytes:
//! - no panic;
//! - an `Err` whose message is not empty (a `NoDigit` with a reason);
//! - an `Ok` that is consistent (pixel counts match the shape, values in range);
//! - no more live heap than [`BASE_BUDGET`] plus a per-parser multiple of the
//!   input's length (see [`Budgeted`]): a small file that claims a huge size
//!   must be refused, not allocated.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Display;
use std::io::{Cursor, Write};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use digitnet::Model;
use digitnet::data::csv::{self, CsvOptions, LabelColumn};
use digitnet::data::{digits, idx};
use digitnet::number::MAX_DIGITS;
use digitnet::preprocess::{self, Gray, Target};
use digitnet::serve::Classifier;
use digitnet::serve::input::{Payload, read_image};
use digitnet::serve::limits::DECODES;
use digitnet::train::{self, TrainConfig};
use flate2::Compression;
use flate2::write::GzEncoder;
use safetensors::SafeTensors;

// ---------------------------------------------------------------- memory budget

/// Live heap every parser may use whatever its input (buffers, small tables).
pub const BASE_BUDGET: usize = 64 << 20;

/// Bytes of live heap per input byte for a gzip-able format: deflate expands at
/// most about 1032:1, a byte becomes an `f32` (4), and a growing `Vec` may hold
/// twice what it needs (2).
pub const GZIP_RATIO: usize = 1032 * 4 * 2;

/// Bytes of live heap per input byte for image files: a 1-bit PNG holds 8 pixels
/// a byte before deflate's 1032:1, and decoding keeps about 20 bytes a pixel at
/// once (the decoded buffer, grey and alpha as `f32`, the `Gray` picture).
pub const IMAGE_RATIO: usize = 8 * 1032 * 20;

/// Bytes of live heap per input byte for formats stored as they are read (model
/// weights, JSON numbers): a few copies of the input at most.
pub const PLAIN_RATIO: usize = 64;

/// Live bytes allocated through the global allocator.
static LIVE: AtomicUsize = AtomicUsize::new(0);
/// The most live bytes allowed now; 0 means no limit.
static LIMIT: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting live bytes and aborting (a libFuzzer crash)
/// when they would exceed the budget set by [`with_budget`].
///
/// libFuzzer's own `-malloc_limit_mb` needs a sanitizer's allocator hooks, which
/// `--sanitizer none` lacks; this does the same job, tighter, on stable.
pub struct Budgeted;

impl Budgeted {
    fn admit(size: usize) {
        let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
        let limit = LIMIT.load(Ordering::Relaxed);
        if limit != 0 && live > limit {
            LIMIT.store(0, Ordering::Relaxed);
            let _ = writeln!(
                std::io::stderr(),
                "==fuzz== memory budget exceeded: an allocation of {size} bytes brings the live \
                 heap to {live} bytes, over the budget of {limit}"
            );
            std::process::abort();
        }
    }
}

// SAFETY: every call is forwarded unchanged to `System`; only counters are added.
unsafe impl GlobalAlloc for Budgeted {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::admit(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Self::admit(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            Self::admit(new_size - layout.size());
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Bytes allocated and not yet freed through [`Budgeted`] (0 when it is not
/// the global allocator).
pub fn live_bytes() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Runs `f` allowed [`BASE_BUDGET`] + `ratio` x `len` bytes of live heap beyond
/// what is live now (only enforced when [`Budgeted`] is the global allocator).
pub fn with_budget<R>(len: usize, ratio: usize, f: impl FnOnce() -> R) -> R {
    let budget = BASE_BUDGET.saturating_add(len.saturating_mul(ratio));
    LIMIT.store(
        LIVE.load(Ordering::Relaxed).saturating_add(budget),
        Ordering::Relaxed,
    );
    let out = f();
    LIMIT.store(0, Ordering::Relaxed);
    out
}

// ---------------------------------------------------------------- the contract

/// Checks a parser's answer: `Ok` must pass `valid`, `Err` must say something.
pub fn check<T, E: Display>(result: Result<T, E>, valid: impl FnOnce(&T) -> bool) {
    match result {
        Ok(value) => assert!(valid(&value), "an Ok result that is not consistent"),
        Err(e) => assert!(!e.to_string().trim().is_empty(), "an error with no message"),
    }
}

/// `bytes` gzip-compressed (fast level, as a user's `gzip -1` would).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

// ---------------------------------------------------------------- one entry per parser

/// IDX images and labels from the bytes of a file (raw, or gzip when the bytes
/// start with its magic), as `--train-images`/`--train-labels` read them.
pub fn idx_file(bytes: &[u8]) {
    with_budget(bytes.len(), GZIP_RATIO, || {
        let len = bytes.len() as u64;
        check(idx::images_from(Cursor::new(bytes), len, "fuzz"), |i| {
            i.pixels.len() == i.count * i.height * i.width
        });
        check(idx::labels_from(Cursor::new(bytes), len, "fuzz"), |_| true);
    });
}

/// IDX content behind a valid gzip layer: `bytes` are compressed, then read.
pub fn idx_gzip(bytes: &[u8]) {
    idx_file(&gzip(bytes));
}

/// An images/labels pair as `--dataset DIR` reads it, headers compared before either
/// body is read: byte 0 says which file is gzip-compressed first (bit 0 the images,
/// bit 1 the labels), bytes 1-2 (little-endian) where the labels end and the images
/// begin in the rest. A label count that differs from the image count must be refused
/// within the budget of the stored bytes, however much the images claim.
pub fn idx_pair(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Some((cut, rest)) = rest.split_first_chunk::<2>() else {
        return;
    };
    let (labels, images) = rest.split_at(usize::from(u16::from_le_bytes(*cut)).min(rest.len()));
    let stored = |bytes: &[u8], compress: bool| {
        if compress {
            gzip(bytes)
        } else {
            bytes.to_vec()
        }
    };
    let images = stored(images, selector & 1 != 0);
    let labels = stored(labels, selector & 2 != 0);
    with_budget(images.len() + labels.len(), GZIP_RATIO, || {
        let pair = idx::pair_from(
            (Cursor::new(&images), images.len() as u64, "images"),
            (Cursor::new(&labels), labels.len() as u64, "labels"),
            "fuzz",
            None,
        );
        check(pair, |d| {
            d.pixels.len() == d.len() * d.features()
                && d.labels.iter().all(|&l| usize::from(l) < d.classes)
        });
    });
}

/// The CSV options a selector byte picks: label column, shape, pixel scale and
/// classes each given or inferred.
pub fn csv_options(selector: u8) -> CsvOptions {
    CsvOptions {
        label: match selector & 3 {
            0 => LabelColumn::First,
            1 => LabelColumn::Last,
            2 => LabelColumn::Name("label".into()),
            _ => LabelColumn::Name("p1".into()),
        },
        shape: match (selector >> 2) & 3 {
            0 => None,
            1 => Some((2, 2)),
            2 => Some((8, 8)),
            _ => Some((1, 3)),
        },
        pixel_max: (selector & 16 != 0).then_some(16.0),
        classes: (selector & 32 != 0).then_some(10),
        ..CsvOptions::default()
    }
}

/// A CSV file: the first byte picks the options ([`csv_options`]) and whether
/// the rest is gzip-compressed first (bit 6); the rest is the file.
pub fn csv_file(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let options = csv_options(selector);
    let compressed;
    let bytes = if selector & 64 != 0 {
        compressed = gzip(rest);
        &compressed[..]
    } else {
        rest
    };
    with_budget(bytes.len(), GZIP_RATIO, || {
        check(
            csv::parse(Cursor::new(bytes), "fuzz.csv", "fuzz", &options),
            |d| {
                d.pixels.len() == d.len() * d.features()
                    && !d.is_empty()
                    && d.pixels.iter().all(|&v| (0.0..=d.pixel_max).contains(&v))
            },
        );
    });
}

/// The embedded digits' parser (gzip CSV, 64 values then a label per row):
/// bytes that start with the gzip magic are read as they are, others are
/// compressed first so that the text parser is reached.
pub fn digits_file(data: &[u8]) {
    let compressed;
    let bytes = if data.starts_with(&[0x1f, 0x8b]) {
        data
    } else {
        compressed = gzip(data);
        &compressed[..]
    };
    with_budget(bytes.len(), GZIP_RATIO, || {
        check(digits::parse(bytes, "fuzz.csv.gz"), |d| {
            d.features() == 64 && d.pixels.len() == d.len() * 64
        });
    });
}

/// A model file (`--model`); a model that loads must also answer a picture, as one
/// digit and as a number, and never from probabilities that are not numbers (the
/// loader refuses divisors under `MIN_DIVISOR` and NaN weights; what overflows
/// anyway is "no digit").
pub fn model_file(bytes: &[u8]) {
    with_budget(bytes.len(), PLAIN_RATIO, || {
        check(Model::from_bytes(bytes, "fuzz.safetensors"), |model| {
            let picture = bar(32, 32);
            let answer = model.predict(&picture);
            let number = model.read_number(&picture, 0.6);
            let finite = |p: &[f32]| p.iter().all(|v| v.is_finite());
            let divisor = model.meta.input.pixel_max >= digitnet::normalize::MIN_DIVISOR;
            finite(&answer.probabilities)
                && divisor
                && answer.digit.is_none_or(|d| {
                    d < model.net.outputs() && answer.probabilities.len() == model.net.outputs()
                })
                && number.is_ok_and(|n| {
                    n.number.is_none() || n.digits.iter().all(|d| finite(&d.probabilities))
                })
        });
    });
}

/// An image file as `predict` reads it (decode, then prepare for both the 8x8
/// and the 28x28 conventions) and as the server's image body reads it.
pub fn image_file(bytes: &[u8]) {
    let model = classifier().model();
    with_budget(bytes.len(), IMAGE_RATIO, || {
        let decoded = preprocess::decode(bytes, "fuzz.png");
        if let Ok(gray) = &decoded {
            // Read as a number (`predict --number`, `?number=true`): a number has one
            // character per digit; more than eight digit-like marks are refused.
            match model.read_number(gray, 0.6) {
                Ok(reading) => assert!(
                    reading
                        .number
                        .is_none_or(|n| n.len() == reading.digits.len() && n.len() <= MAX_DIGITS)
                ),
                Err(too_many) => assert!(too_many.count > MAX_DIGITS),
            }
            for target in [Target::OPTDIGITS, Target::MNIST] {
                check(preprocess::prepare(gray, target), |p| {
                    p.pixels.len() == target.features()
                        && p.pixels
                            .iter()
                            .all(|v| (0.0..=target.pixel_max()).contains(v))
                });
            }
        }
        // The server reserves memory by the header's size: the picture must not be larger.
        if let (Ok((w, h)), Ok(gray)) = (preprocess::dimensions(bytes, "fuzz.png"), &decoded) {
            assert!(
                gray.pixels().len() as u64 <= u64::from(w) * u64::from(h),
                "decoded more pixels than the header claims"
            );
        }
        check(decoded, consistent);
        check(
            read_image(Payload::Image, bytes).map_err(|e| e.message),
            consistent,
        );
        assert_eq!(DECODES.in_use(), 0, "a decode kept its share of the budget");
    });
}

/// The server's JSON body (`POST /api/predict`), read and answered as the
/// handler does: [`read_image`] then [`Classifier::answer`].
pub fn serve_json(body: &[u8]) {
    let classifier = classifier();
    with_budget(body.len(), PLAIN_RATIO, || {
        let image = read_image(Payload::Json, body).map_err(|e| e.message);
        if let Ok(gray) = &image {
            let answer = classifier.answer(gray);
            assert!(answer.probabilities.iter().all(|p| p.is_finite()));
            assert!(answer.digit.is_some() || answer.reason.is_some_and(|r| !r.is_empty()));
        }
        check(image, |g| {
            consistent(g) && g.pixels().iter().all(|v| (0.0..=1.0).contains(v))
        });
    });
}

/// A picture whose pixel count matches its shape.
fn consistent(g: &Gray) -> bool {
    g.pixels().len() == g.width() * g.height()
}

/// A `w x h` white page with a dark vertical bar: a "1".
fn bar(w: usize, h: usize) -> Gray {
    let pixels = (0..w * h)
        .map(|i| {
            if (w / 3..w / 2).contains(&(i % w)) {
                0.0
            } else {
                1.0
            }
        })
        .collect();
    Gray::new(w, h, pixels)
}

/// The served model: a small net trained briefly on the embedded digits, once.
fn classifier() -> &'static Classifier {
    static CLASSIFIER: OnceLock<Classifier> = OnceLock::new();
    CLASSIFIER.get_or_init(|| {
        let model = small_digits_model().expect("training on the embedded digits");
        Classifier::new(model, "fuzz", 0.6)
    })
}

/// A 64-8-10 net trained for two epochs on the embedded 8x8 digits.
pub fn small_digits_model() -> digitnet::Result<Model> {
    small_model(TrainConfig::standard(), 8)
}

/// A net of `config`'s recipe with one hidden layer of `hidden` units, trained
/// for two epochs on the embedded 8x8 digits.
pub fn small_model(mut config: TrainConfig, hidden: usize) -> digitnet::Result<Model> {
    let digits = digits::load()?;
    config.hidden = vec![hidden];
    config.epochs = 2;
    let run = digitnet::experiment::holdout(&config, &digits, 0.25, &mut train::Silent)?;
    run.model()
}

/// A model file with its checksum recomputed first, so that the fuzzer, which
/// cannot forge a CRC-32, reaches what follows it: building the net from the
/// weights and answering a picture with it (otherwise as [`model_file`]).
pub fn model_restamped(bytes: &[u8]) {
    model_file(restamp(bytes).as_deref().unwrap_or(bytes));
}

/// `bytes` with the `crc32` metadata entry recomputed the way `Model::to_bytes`
/// writes it (the `model` JSON, then each tensor's name and bytes in layer
/// order, weight before bias; tensors named `2K.weight` from format version 2,
/// `layers.K.weight` before); `None` when they are not a safetensors file
/// with a `model` entry.
pub fn restamp(bytes: &[u8]) -> Option<Vec<u8>> {
    let file = SafeTensors::deserialize(bytes).ok()?;
    let (_, header) = SafeTensors::read_metadata(bytes).ok()?;
    let mut map = header.metadata().clone()?;
    let json = map.get("model")?;
    let torch_layout = map
        .get("format_version")
        .and_then(|v| v.parse::<u32>().ok())
        .is_none_or(|v| v >= 2);
    let mut crc = crc32fast::Hasher::new();
    crc.update(json.as_bytes());
    let names = file.names();
    for layer in 0..names.len() {
        for part in ["weight", "bias"] {
            let name = if torch_layout {
                format!("{}.{part}", 2 * layer)
            } else {
                format!("layers.{layer}.{part}")
            };
            if let Ok(view) = file.tensor(&name) {
                crc.update(name.as_bytes());
                crc.update(view.data());
            }
        }
    }
    map.insert("crc32".into(), format!("{:08x}", crc.finalize()));
    safetensors::serialize(file.tensors(), Some(map)).ok()
}
