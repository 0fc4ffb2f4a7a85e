//! The 8x8 "digits" set, embedded in the binary so that nothing is read or
//! downloaded at run time. `build.rs` decodes `data/digits.csv.gz` at build time;
//! the binary embeds both the file and its decoded rows, and starts from the rows
//! (a test checks that they are what [`parse`] makes of the file).
//!
//! It is scikit-learn's copy of the test part of the UCI "Optical Recognition of
//! Handwritten Digits" set (Alpaydin and Kaynak, 1998; CC BY 4.0): 32x32 bitmaps cut
//! into 4x4 blocks, each value counting the ink pixels in its block (0..16).
//! See `data/README.md` for provenance and checksum.

use std::io::Read;

use flate2::read::GzDecoder;

use super::Dataset;
use crate::error::{Error, Result};

/// The gzip-compressed CSV: 1797 rows of 64 pixel values then the label.
pub const DIGITS_CSV_GZ: &[u8] = include_bytes!("../../data/digits.csv.gz");

/// The same set as `build.rs` decoded it: 65 bytes a row, 64 pixel values then the label.
const DECODED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/digits.bin"));

/// Image side, in pixels.
pub const SIDE: usize = 8;

/// The embedded set: 1797 images of 8x8 values 0..16, labels 0..9.
pub fn load() -> Result<Dataset> {
    let rows = DECODED.chunks_exact(SIDE * SIDE + 1);
    // Sized once: collecting a flattened iterator would grow the vector step by step.
    let mut pixels = Vec::with_capacity(rows.len() * SIDE * SIDE);
    for row in rows.clone() {
        pixels.extend(row[..SIDE * SIDE].iter().map(|&v| f32::from(v)));
    }
    let labels = rows.map(|row| row[SIDE * SIDE]).collect();
    Dataset::new("digits", pixels, labels, (SIDE, SIDE), 16.0, 10)
}

/// Decodes a gzip-compressed CSV in the layout of `digits.csv.gz`.
///
/// Well-formed text goes through one tight pass (`parse_fast`); anything else
/// goes through a careful line-by-line parse that names the line and field at fault.
pub fn parse(gz: &[u8], origin: &str) -> Result<Dataset> {
    let mut text = Vec::with_capacity(gz.len() * 5);
    GzDecoder::new(gz)
        .read_to_end(&mut text)
        .map_err(|e| Error::data(origin, format!("not a readable gzip file: {e}")))?;
    let (pixels, labels) = match parse_fast(&text) {
        Some(parsed) => parsed,
        None => parse_lines(&text, origin)?,
    };
    Dataset::new("digits", pixels, labels, (SIDE, SIDE), 16.0, 10)
}

/// Pixels and labels of text made only of digits, commas and `\n`, every line 64
/// values 0..16 then a label 0..9; `None` for anything else.
///
/// Field by field rather than byte by byte: a number is one digit or two, and the
/// only question per field is which (a byte-wise state machine takes 0.6 ms of
/// every run, a tenth of a short one).
fn parse_fast(text: &[u8]) -> Option<(Vec<f32>, Vec<u8>)> {
    let mut pixels = Vec::with_capacity(1797 * SIDE * SIDE);
    let mut labels = Vec::with_capacity(1797);
    let mut row = [0.0f32; SIDE * SIDE];
    let mut at = 0;
    while at < text.len() {
        for pixel in row.iter_mut() {
            let (value, end) = small_number_at(text, at).filter(|&(v, _)| v <= 16)?;
            (text.get(end) == Some(&b',')).then_some(())?;
            *pixel = f32::from(value);
            at = end + 1;
        }
        let (label, end) = small_number_at(text, at).filter(|&(v, _)| v <= 9)?;
        match text.get(end) {
            Some(b'\n') => at = end + 1,
            None => at = end,
            Some(_) => return None,
        }
        pixels.extend_from_slice(&row);
        labels.push(label);
    }
    Some((pixels, labels))
}

/// The number of one or two digits at `at`, and where it ends.
#[inline(always)]
fn small_number_at(text: &[u8], at: usize) -> Option<(u8, usize)> {
    let first = text.get(at)?.wrapping_sub(b'0');
    if first > 9 {
        return None;
    }
    match text.get(at + 1).map(|b| b.wrapping_sub(b'0')) {
        Some(second) if second <= 9 => Some((first * 10 + second, at + 2)),
        _ => Some((first, at + 1)),
    }
}

/// The careful parse: line by line, with a message naming the line at fault.
fn parse_lines(text: &[u8], origin: &str) -> Result<(Vec<f32>, Vec<u8>)> {
    let features = SIDE * SIDE;
    let mut pixels = Vec::with_capacity(1797 * features);
    let mut labels = Vec::with_capacity(1797);
    let mut row = [0u8; SIDE * SIDE + 1];
    for (n, line) in text.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        parse_row(line, &mut row)
            .map_err(|message| Error::data(format!("{origin}, line {}", n + 1), message))?;
        pixels.extend(row[..features].iter().map(|&v| f32::from(v)));
        labels.push(row[features]);
    }
    Ok((pixels, labels))
}

/// Parses one line of 64 pixel values (0..16) and a label (0..9) into `row`.
fn parse_row(line: &[u8], row: &mut [u8; SIDE * SIDE + 1]) -> std::result::Result<(), String> {
    let features = SIDE * SIDE;
    let found = line.iter().filter(|&&b| b == b',').count() + 1;
    if found != features + 1 {
        return Err(format!(
            "found {found} fields, expected {} (64 pixels then the label)",
            features + 1
        ));
    }
    for (i, (field, slot)) in line.split(|&b| b == b',').zip(row.iter_mut()).enumerate() {
        let (max, what) = if i < features {
            (16, "pixel value '{}' should be a whole number 0..16")
        } else {
            (9, "label '{}' should be a digit 0..9")
        };
        *slot = small_number(field.trim_ascii())
            .filter(|&v| v <= max)
            .ok_or_else(|| what.replace("{}", &String::from_utf8_lossy(field)))?;
    }
    Ok(())
}

/// The value of one to three ASCII digits, or `None`.
fn small_number(field: &[u8]) -> Option<u8> {
    if field.is_empty() || field.len() > 3 || !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = field
        .iter()
        .fold(0u16, |v, &d| v * 10 + u16::from(d - b'0'));
    u8::try_from(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn gz(text: &str) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::fast());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn embedded_set_has_the_documented_shape() {
        let d = load().unwrap();
        assert_eq!((d.len(), d.features(), d.height, d.width), (1797, 64, 8, 8));
        assert_eq!(
            d.class_counts(),
            [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
        );
        assert!(d.pixels.iter().all(|&p| (0.0..=16.0).contains(&p)));
        assert_eq!(d.pixels.iter().cloned().fold(0.0, f32::max), 16.0);
    }

    #[test]
    fn embedded_file_matches_its_published_checksum() {
        use sha2::{Digest, Sha256};
        let hex: String = Sha256::digest(DIGITS_CSV_GZ)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
        );
    }

    #[test]
    fn a_short_row_is_named_by_its_line() {
        let row = ["0"; 64].join(",") + ",3\n" + &["0"; 10].join(",");
        let err = parse(&gz(&row), "x.gz").unwrap_err().to_string();
        assert!(
            err.contains("x.gz, line 2") && err.contains("found 10 fields"),
            "{err}"
        );
    }

    #[test]
    fn out_of_range_values_are_refused() {
        let row = ["17"; 64].join(",") + ",3";
        let err = parse(&gz(&row), "x.gz").unwrap_err().to_string();
        assert!(err.contains("'17'"), "{err}");
        let row = ["1"; 64].join(",") + ",12";
        assert!(
            parse(&gz(&row), "x.gz")
                .unwrap_err()
                .to_string()
                .contains("'12'")
        );
    }

    #[test]
    fn bytes_that_are_not_gzip_are_refused() {
        assert!(parse(b"hello", "x.gz").is_err());
    }

    #[test]
    fn spaces_and_windows_line_ends_are_accepted_and_junk_is_not() {
        let row = [" 1"; 64].join(",") + ", 7\r\n\n";
        let d = parse(&gz(&row), "x.gz").unwrap();
        assert_eq!((d.len(), d.labels[0], d.pixels[63]), (1, 7, 1.0));
        let row = ["1"; 63].join(",") + ",x1,7";
        let err = parse(&gz(&row), "x.gz").unwrap_err().to_string();
        assert!(err.contains("line 1") && err.contains("'x1'"), "{err}");
        assert_eq!(small_number(b"255"), Some(255));
        // The fast pass and the careful one agree on the embedded set.
        let mut text = Vec::new();
        GzDecoder::new(DIGITS_CSV_GZ)
            .read_to_end(&mut text)
            .unwrap();
        let fast = parse_fast(&text).expect("the embedded set is well formed");
        assert_eq!(fast, parse_lines(&text, "embedded").unwrap());
        // build.rs decoded the same file into the same rows.
        let built = load().unwrap();
        assert_eq!((built.pixels, built.labels), fast);
        assert_eq!(parse_fast(b"1,2\n"), None);
        assert_eq!(
            (
                small_number(b"256"),
                small_number(b""),
                small_number(b"1000")
            ),
            (None, None, None)
        );
    }
}
