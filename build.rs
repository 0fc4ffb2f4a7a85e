//! Decodes the embedded digits (`data/digits.csv.gz`) once, at build time, into 65
//! bytes a row (64 pixel values, then the label), which `src/data/digits.rs`
//! embeds: the program then starts without inflating and parsing 265 KB of text,
//! which took about a millisecond of every run (a twentieth of a blog-recipe run).
//! A test checks that this decoding and the run-time parser agree.
//!
//! It also sets `cfg(digitnet_mnist)` when the `mnist` feature is on and the four MNIST
//! files are in `data/mnist/`: a checkout has them, the crates.io package (kept under
//! its 10 MB limit) does not, and there `--dataset mnist` says to give a folder.

use std::io::Read;

/// The MNIST files `src/data/mnist.rs` embeds.
const MNIST_FILES: [&str; 4] = [
    "data/mnist/train-images-idx3-ubyte.gz",
    "data/mnist/train-labels-idx1-ubyte.gz",
    "data/mnist/t10k-images-idx3-ubyte.gz",
    "data/mnist/t10k-labels-idx1-ubyte.gz",
];

fn main() {
    embed_mnist_if_present();
    decode_digits();
}

/// Sets `cfg(digitnet_mnist)` when MNIST is wanted and there; warns when it is wanted
/// and missing.
fn embed_mnist_if_present() {
    println!("cargo::rustc-check-cfg=cfg(digitnet_mnist)");
    for file in MNIST_FILES {
        println!("cargo::rerun-if-changed={file}");
    }
    if std::env::var_os("CARGO_FEATURE_MNIST").is_none() {
        return;
    }
    let missing: Vec<&str> = MNIST_FILES
        .into_iter()
        .filter(|f| !std::path::Path::new(f).is_file())
        .collect();
    if missing.is_empty() {
        println!("cargo::rustc-cfg=digitnet_mnist");
    } else {
        println!(
            "cargo::warning=MNIST is not embedded: {} missing (the crates.io package leaves \
             MNIST out; a git checkout has it). `--dataset mnist` will ask for a folder.",
            missing.join(", ")
        );
    }
}

fn decode_digits() {
    let source = "data/digits.csv.gz";
    println!("cargo::rerun-if-changed={source}");
    let gz = std::fs::read(source).unwrap_or_else(|e| panic!("{source}: {e}"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut text)
        .unwrap_or_else(|e| panic!("{source}: not a readable gzip file: {e}"));
    let mut rows = Vec::with_capacity(1797 * 65);
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<u8> = line
            .split(',')
            .map(|f| {
                f.trim().parse().unwrap_or_else(|_| {
                    panic!("{source}, line {}: '{f}' is not a number 0..255", n + 1)
                })
            })
            .collect();
        assert_eq!(
            fields.len(),
            65,
            "{source}, line {}: expected 65 fields",
            n + 1
        );
        rows.extend(fields);
    }
    let out = std::path::Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("digits.bin");
    std::fs::write(&out, rows).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}
