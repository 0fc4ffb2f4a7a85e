//! Decodes the embedded digits (`data/digits.csv.gz`) once, at build time, into 65
//! bytes a row (64 pixel values, then the label), which `src/data/digits.rs`
//! embeds: the program then starts without inflating and parsing 265 KB of text,
//! which took about a millisecond of every run (a twentieth of a blog-recipe run).
//! A test checks that this decoding and the run-time parser agree.

use std::io::Read;

fn main() {
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
