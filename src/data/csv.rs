//! Labelled images in a CSV file (plain or gzip): one row per image, the pixel
//! values row-major, and a label column first, last, or named in a header row.
//!
//! - **Header**: the first row is a header when any of its fields is not a number
//!   (the common `label,pixel0,...,pixel783` layout has one), or when its fields count
//!   the columns (`0,1,2,...` or `1,2,3,...`); [`CsvOptions::header`] overrides this.
//! - **Text**: a UTF-8 byte-order mark is skipped; lines end in LF, CRLF or CR.
//! - **Shape**: given ([`CsvOptions::shape`]), or inferred when the pixel count is a
//!   perfect square (784 -> 28x28, 64 -> 8x8).
//! - **Pixel scale**: given ([`CsvOptions::pixel_max`]), or inferred from the largest
//!   value: at most 1 -> 0..1, at most 16 -> 0..16 (the 8x8 digits' ink counts),
//!   at most 255 -> 0..255. Values must be numbers in 0..=255 (or 0..=pixel_max).
//! - **Label column**: given ([`CsvOptions::label`]), or found by [`LabelColumn::Auto`]'s
//!   rule: a header column named `label`, `class`, `target` or `y`; otherwise the first
//!   or the last column, whichever holds labels (see [`LabelColumn::Auto`]).
//! - **Labels**: whole numbers; with [`CsvOptions::classes`] they must lie in
//!   `0..classes`, otherwise the number of classes is one more than the largest.
//!
//! Every error names the file and the line.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::{Dataset, MAX_CLASSES, check_classes, check_labels};
use crate::error::{Error, Result, shown_path};

/// The largest pixel value a CSV may hold when no `pixel_max` is given.
pub const MAX_PIXEL: f32 = 255.0;

/// The header names that mark the label column under [`LabelColumn::Auto`].
pub const LABEL_NAMES: [&str; 4] = ["label", "class", "target", "y"];

/// The most distinct values a label column found by [`LabelColumn::Auto`] may hold.
pub const MAX_AUTO_LABELS: usize = 100;

/// Which column holds the label (`--label-column`): `auto`, `first`, `last`, or any
/// other text as a column name.
#[derive(Clone, Debug, Default, PartialEq, Eq, strum::EnumString)]
#[strum(serialize_all = "lowercase")]
pub enum LabelColumn {
    /// Found by this rule, the default. A header column named `label`, `class`, `target`
    /// or `y` (case-insensitive, the first such) is the label. Otherwise the first column
    /// is, when its values are all whole numbers from 0 to 255 with 3 to
    /// [`MAX_AUTO_LABELS`] distinct values; else the last column, under the same test.
    /// When neither passes (labels of one or two values, or columns that look like
    /// pixels), reading stops with a message that suggests `--label-column`: a wrong
    /// guess would train on a pixel as the label.
    #[default]
    Auto,
    /// The first column (`label,pixel0,...`).
    First,
    /// The last column (the 8x8 digits' layout).
    Last,
    /// The column of this name in the header row.
    #[strum(default)]
    Name(String),
}

/// Whether the first row names the columns (`--header`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Header {
    /// When a field is not a number, or the fields count the columns (0,1,2,...).
    ///
    /// The rule in the module docs.
    #[default]
    Auto,
    Yes,
    No,
}

impl Header {
    /// Whether `fields`, the first row, is a header: as told, or (auto) when a field is
    /// not a number, or when the fields are the column numbers `0,1,2,...` or `1,2,3,...`
    /// (what pandas and spreadsheets write over unnamed columns).
    fn is_header(self, fields: &[&str]) -> bool {
        match self {
            Header::Yes => true,
            Header::No => false,
            Header::Auto => {
                let numbers: Option<Vec<f64>> = fields.iter().map(|f| f.parse().ok()).collect();
                let Some(numbers) = numbers else {
                    return true;
                };
                let counts_from = |start: f64| {
                    fields.len() > 2
                        && numbers
                            .iter()
                            .enumerate()
                            .all(|(i, &v)| v == i as f64 + start)
                };
                counts_from(0.0) || counts_from(1.0)
            }
        }
    }
}

/// How to read a CSV file; the defaults infer everything they can.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CsvOptions {
    pub label: LabelColumn,
    /// `(height, width)`; inferred when the pixel count is a square.
    pub shape: Option<(usize, usize)>,
    /// The largest value a pixel can take; inferred when `None`.
    pub pixel_max: Option<f32>,
    /// Number of classes; one more than the largest label when `None`.
    pub classes: Option<usize>,
    /// Whether the first row is a header.
    pub header: Header,
}

/// Reads the CSV file at `path` (plain or gzip) into a [`Dataset`] named after the file.
pub fn read(path: &Path, options: &CsvOptions) -> Result<Dataset> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let name = path.file_name().map_or("csv".into(), shown_path);
    parse(file, &shown_path(path), &name, options)
}

/// Parses CSV bytes from `reader` (gzip detected by its magic bytes); `origin`
/// names the source in errors, `name` becomes the data set's name.
pub fn parse(reader: impl Read, origin: &str, name: &str, options: &CsvOptions) -> Result<Dataset> {
    check_options(options)?;
    let mut reader = BufReader::new(reader);
    let gzip = reader
        .fill_buf()
        .map_err(|e| Error::data(origin, format!("cannot be read: {e}")))?
        .starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn BufRead> = if gzip {
        Box::new(BufReader::new(MultiGzDecoder::new(reader)))
    } else {
        Box::new(reader)
    };
    let mut rows = Rows::new(origin, options);
    let mut lines = Lines::new(reader);
    let mut line = Vec::new();
    for number in 1.. {
        let at = || format!("{origin}, line {number}");
        let more = lines
            .next_line(&mut line)
            .map_err(|e| Error::data(at(), format!("cannot be read: {e}")))?;
        if !more {
            break;
        }
        let text = std::str::from_utf8(&line)
            .map_err(|_| Error::data(at(), "is not text (UTF-8): is this a CSV file?"))?;
        let text = if number == 1 {
            text.strip_prefix('\u{feff}').unwrap_or(text)
        } else {
            text
        };
        if !text.trim().is_empty() {
            rows.take(number, text)?;
        }
    }
    rows.finish(name)
}

/// The longest line accepted (16 MiB: a 2048x2048 image of 3-digit values fits). A
/// longer one (a gzip bomb of one endless line) is refused before it fills memory.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// Splits a stream into lines ended by LF, CRLF or a lone CR (old Mac files), each at
/// most [`MAX_LINE_BYTES`] long.
struct Lines<R> {
    reader: R,
    /// The last line ended with CR: a LF right after it belongs to that ending.
    after_cr: bool,
}

impl<R: BufRead> Lines<R> {
    fn new(reader: R) -> Self {
        Lines {
            reader,
            after_cr: false,
        }
    }

    /// Reads the next line into `line` (without its ending); false at the end.
    fn next_line(&mut self, line: &mut Vec<u8>) -> std::io::Result<bool> {
        line.clear();
        let mut any = false;
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                return Ok(any);
            }
            if std::mem::take(&mut self.after_cr) && buf[0] == b'\n' {
                self.reader.consume(1);
                continue;
            }
            any = true;
            let end = buf.iter().position(|&b| b == b'\n' || b == b'\r');
            let take = end.unwrap_or(buf.len());
            if line.len() + take > MAX_LINE_BYTES {
                return Err(std::io::Error::other(format!(
                    "the line is longer than {MAX_LINE_BYTES} bytes: is this a CSV file of \
                     images?"
                )));
            }
            line.extend_from_slice(&buf[..take]);
            match end {
                Some(i) => {
                    self.after_cr = buf[i] == b'\r';
                    self.reader.consume(take + 1);
                    return Ok(true);
                }
                None => self.reader.consume(take),
            }
        }
    }
}

fn check_options(options: &CsvOptions) -> Result<()> {
    if let Some((h, w)) = options.shape.filter(|&(h, w)| h == 0 || w == 0) {
        return Err(Error::config(format!(
            "invalid shape {h}x{w}, which should be two positive sizes, e.g. 28x28"
        )));
    }
    if let Some(m) = options.pixel_max.filter(|m| !(*m > 0.0 && m.is_finite())) {
        return Err(Error::config(format!(
            "invalid pixel maximum {m}, which should be a positive number, e.g. 255"
        )));
    }
    options.classes.map_or(Ok(()), check_classes)
}

/// Where the label is: fixed by the first row, or (auto, no named column) chosen between
/// the first and the last column once every row is in.
#[derive(Clone, Copy, Debug)]
enum Slot {
    Column(usize),
    FirstOrLast,
}

/// The layout fixed by the first row: number of fields, where the label is.
#[derive(Clone, Copy, Debug)]
struct Layout {
    fields: usize,
    label: Slot,
}

/// What the first or the last column holds, to choose the label column by
/// [`LabelColumn::Auto`]'s rule.
struct Candidate {
    column: usize,
    /// Which whole numbers 0..=255 the column holds.
    seen: [bool; 256],
    /// The first value that is not a whole number from 0 to 255: line and field.
    not_whole: Option<(usize, String)>,
    /// The first value that is not a label of the classes: where and why.
    bad_label: Option<(String, String)>,
    /// The first value that is not a pixel: where and why.
    bad_pixel: Option<(String, String)>,
    /// The largest value, as a pixel.
    largest: f32,
}

impl Candidate {
    fn new(column: usize) -> Self {
        Candidate {
            column,
            seen: [false; 256],
            not_whole: None,
            bad_label: None,
            bad_pixel: None,
            largest: 0.0,
        }
    }

    fn distinct(&self) -> usize {
        self.seen.iter().filter(|&&s| s).count()
    }

    /// Whether the column passes the rule's test for labels.
    fn holds_labels(&self) -> bool {
        self.not_whole.is_none() && (3..=MAX_AUTO_LABELS).contains(&self.distinct())
    }

    /// Why the column fails the test, for the message.
    fn why_not(&self) -> String {
        match &self.not_whole {
            Some((line, field)) => {
                format!("'{field}' on line {line}, not a whole number from 0 to 255")
            }
            None => format!("{} distinct values", self.distinct()),
        }
    }
}

/// Accumulates rows as they are read.
struct Rows<'a> {
    origin: &'a str,
    options: &'a CsvOptions,
    layout: Option<Layout>,
    /// The pixels; under [`Slot::FirstOrLast`], every field of each row.
    pixels: Vec<f32>,
    labels: Vec<u8>,
    /// Rows read.
    rows: usize,
    largest: f32,
    /// The first and the last column, under [`Slot::FirstOrLast`].
    candidates: Vec<Candidate>,
}

impl<'a> Rows<'a> {
    fn new(origin: &'a str, options: &'a CsvOptions) -> Self {
        Rows {
            origin,
            options,
            layout: None,
            pixels: Vec::new(),
            labels: Vec::new(),
            rows: 0,
            largest: 0.0,
            candidates: Vec::new(),
        }
    }

    /// Takes line `number` (not blank): the header, or one image.
    fn take(&mut self, number: usize, line: &str) -> Result<()> {
        let origin = self.origin;
        let at = || format!("{origin}, line {number}");
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let layout = match self.layout {
            Some(layout) => layout,
            None => {
                let is_header = self.options.header.is_header(&fields);
                let layout = self
                    .layout_of(&fields, is_header)
                    .map_err(|m| Error::data(at(), m))?;
                self.layout = Some(layout);
                if let Slot::FirstOrLast = layout.label {
                    self.candidates = vec![Candidate::new(0), Candidate::new(fields.len() - 1)];
                }
                if is_header {
                    return Ok(());
                }
                layout
            }
        };
        if fields.len() != layout.fields {
            return Err(Error::data(
                at(),
                format!(
                    "found {} fields, expected {} (the pixels and one label, as in the first row)",
                    fields.len(),
                    layout.fields
                ),
            ));
        }
        let values = (self.pixels.len() + fields.len()) as u64;
        if values.saturating_mul(4) > super::MAX_DATA_BYTES {
            return Err(Error::data(
                at(),
                format!(
                    "the pixels read so far pass {} GiB: the data set is too large to train on \
                     here",
                    super::MAX_DATA_BYTES >> 30
                ),
            ));
        }
        self.rows += 1;
        let limit = self.options.pixel_max.unwrap_or(MAX_PIXEL);
        for (column, field) in fields.iter().enumerate() {
            match layout.label {
                Slot::Column(label) if column == label => {
                    let label = self.label(field).map_err(|m| Error::data(at(), m))?;
                    self.labels.push(label);
                    continue;
                }
                Slot::FirstOrLast if column == 0 || column == layout.fields - 1 => {
                    self.candidate(usize::from(column != 0), number, field, limit);
                    continue;
                }
                _ => {}
            }
            let value = pixel(field, limit)
                .ok_or_else(|| Error::data(at(), not_a_pixel(field, column, limit)))?;
            self.largest = self.largest.max(value);
            self.pixels.push(value);
        }
        Ok(())
    }

    /// Records `field` of candidate `which` (0 first, 1 last) on line `number`, and
    /// keeps it among the pixels until the label column is chosen.
    fn candidate(&mut self, which: usize, number: usize, field: &str, limit: f32) {
        let at = format!("{}, line {number}", self.origin);
        let label = self.label(field);
        let c = &mut self.candidates[which];
        match field.parse::<u8>() {
            Ok(v) => c.seen[usize::from(v)] = true,
            Err(_) if c.not_whole.is_none() => c.not_whole = Some((number, field.to_string())),
            Err(_) => {}
        }
        if let (Err(m), None) = (label, &c.bad_label) {
            c.bad_label = Some((at.clone(), m));
        }
        let value = pixel(field, limit);
        if let (None, None) = (value, &c.bad_pixel) {
            c.bad_pixel = Some((at, not_a_pixel(field, c.column, limit)));
        }
        let value = value.unwrap_or(0.0);
        c.largest = c.largest.max(value);
        self.pixels.push(value);
    }

    /// Under [`Slot::FirstOrLast`], chooses the label column by [`LabelColumn::Auto`]'s
    /// rule and moves its values from the pixels to the labels.
    fn choose_label_column(&mut self, fields: usize) -> Result<()> {
        let Some(chosen) = self.candidates.iter().position(Candidate::holds_labels) else {
            let [first, last] = &self.candidates[..] else {
                return Ok(());
            };
            return Err(Error::data(
                self.origin,
                format!(
                    "cannot tell which column holds the labels: a label column holds whole \
                     numbers from 0 to 255 with 3 to {MAX_AUTO_LABELS} distinct values, and the \
                     first column holds {}, the last {}; give --label-column first, last or a \
                     column name",
                    first.why_not(),
                    last.why_not()
                ),
            ));
        };
        let label = &self.candidates[chosen];
        let other = &self.candidates[1 - chosen];
        if let Some((at, m)) = label.bad_label.as_ref().or(other.bad_pixel.as_ref()) {
            return Err(Error::data(at, m));
        }
        self.largest = self.largest.max(other.largest);
        let column = label.column;
        let mut kept = 0;
        for i in 0..self.pixels.len() {
            let value = self.pixels[i];
            if i % fields == column {
                self.labels.push(value as u8);
            } else {
                self.pixels[kept] = value;
                kept += 1;
            }
        }
        self.pixels.truncate(kept);
        Ok(())
    }

    /// Works out the layout from the first row (header or data).
    fn layout_of(&self, fields: &[&str], is_header: bool) -> Result<Layout, String> {
        if fields.len() < 2 {
            return Err(format!(
                "found {} field, expected at least 2 (pixels and a label)",
                fields.len()
            ));
        }
        let label = match &self.options.label {
            LabelColumn::Auto if !is_header => Slot::FirstOrLast,
            LabelColumn::Auto => fields
                .iter()
                .position(|f| {
                    let name = f.trim_matches('"');
                    LABEL_NAMES.iter().any(|n| n.eq_ignore_ascii_case(name))
                })
                .map_or(Slot::FirstOrLast, Slot::Column),
            LabelColumn::First => Slot::Column(0),
            LabelColumn::Last => Slot::Column(fields.len() - 1),
            LabelColumn::Name(name) if !is_header => {
                return Err(format!(
                    "the label column '{name}' needs a header row naming the columns, and the \
                        first row is all numbers"
                ));
            }
            LabelColumn::Name(name) => {
                Slot::Column(fields.iter().position(|f| f == name).ok_or_else(|| {
                    format!(
                        "the header has no column named '{name}' (give --label-column auto, \
                         first, last or a column name)"
                    )
                })?)
            }
        };
        Ok(Layout {
            fields: fields.len(),
            label,
        })
    }

    /// Parses one label, checked against the classes when they are given.
    fn label(&self, field: &str) -> Result<u8, String> {
        let classes = self.options.classes.unwrap_or(MAX_CLASSES);
        field
            .parse::<usize>()
            .ok()
            .filter(|&l| l < classes)
            .map(|l| l as u8)
            .ok_or_else(|| {
                format!(
                    "label '{field}' should be a whole number from 0 to {}",
                    classes - 1
                )
            })
    }

    /// Builds the data set once every row is in.
    fn finish(mut self, name: &str) -> Result<Dataset> {
        let Some(layout) = self.layout.filter(|_| self.rows > 0) else {
            return Err(Error::data(self.origin, "holds no rows of data"));
        };
        if let Slot::FirstOrLast = layout.label {
            self.choose_label_column(layout.fields)?;
        }
        let features = layout.fields - 1;
        let shape = match self.options.shape {
            Some((h, w)) if h * w == features => (h, w),
            Some((h, w)) => {
                return Err(Error::data(
                    self.origin,
                    format!(
                        "rows have {features} pixel values, which do not make the shape {h}x{w} \
                            ({})",
                        h * w
                    ),
                ));
            }
            None => square(features).ok_or_else(|| {
                Error::data(
                    self.origin,
                    format!(
                        "rows have {features} pixel values, not a square number: give the shape, \
                            e.g. --shape 20x30"
                    ),
                )
            })?,
        };
        let pixel_max = self.options.pixel_max.unwrap_or(match self.largest {
            m if m <= 1.0 => 1.0,
            m if m <= 16.0 => 16.0,
            _ => MAX_PIXEL,
        });
        let classes = check_labels(&self.labels, self.options.classes, |i| {
            format!("{}, row {}", self.origin, i + 1)
        })?;
        let mut pixels = self.pixels;
        pixels.shrink_to_fit();
        Dataset::new(name, pixels, self.labels, shape, pixel_max, classes)
    }
}

/// `field` as a pixel value from 0 to `limit`.
fn pixel(field: &str, limit: f32) -> Option<f32> {
    field
        .parse::<f32>()
        .ok()
        .filter(|v| (0.0..=limit).contains(v))
}

/// The message for `field` in `column` (from 0), which is not a pixel value.
fn not_a_pixel(field: &str, column: usize, limit: f32) -> String {
    format!(
        "value '{field}' in column {} should be a number from 0 to {limit}",
        column + 1
    )
}

/// `(s, s)` when `n = s * s`.
fn square(n: usize) -> Option<(usize, usize)> {
    let s = (n as f64).sqrt().round() as usize;
    (s * s == n).then_some((s, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str, options: &CsvOptions) -> Result<Dataset> {
        parse(text.as_bytes(), "t.csv", "t.csv", options)
    }

    /// The defaults with the label column fixed first: the tiny files of the tests below
    /// have too few rows for the auto rule, which its own tests check.
    fn defaults() -> CsvOptions {
        CsvOptions {
            label: LabelColumn::First,
            ..CsvOptions::default()
        }
    }

    fn auto(text: &str) -> Result<Dataset> {
        csv(text, &CsvOptions::default())
    }

    #[test]
    fn auto_takes_a_header_column_named_label_class_target_or_y() {
        let d = auto("p0,p1,TARGET,p2,p3\n0,5,1,6,7\n0,8,0,9,9\n").unwrap();
        assert_eq!(d.labels, [1, 0], "a named column may hold two values");
        assert_eq!(d.image(0), [0.0, 5.0, 6.0, 7.0]);
        let d = auto("\"y\",a,b,c,d\n2,9,9,9,9\n").unwrap();
        assert_eq!(d.labels, [2]);
        let d = auto("a,b,c,d,Class\n0,4,4,4,3\n0,1,1,1,5\n").unwrap();
        assert_eq!(d.labels, [3, 5]);
    }

    #[test]
    fn auto_finds_the_last_column_when_the_first_is_a_pixel() {
        // The issue's file: the first pixel is always 0, the label is last.
        let d = auto("0,16,3,2,7\n0,4,4,4,2\n0,1,0,9,0\n0,0,0,0,7\n").unwrap();
        assert_eq!(d.labels, [7, 2, 0, 7]);
        assert_eq!(d.image(0), [0.0, 16.0, 3.0, 2.0]);
        assert_eq!((d.classes, d.pixel_max), (8, 16.0));
        // A header without a label name decides nothing: the columns do.
        let d = auto("a,b,c,d,e\n0.5,1,0,1,3\n1,1,0,1,1\n0,0,0,1,0\n").unwrap();
        assert_eq!((d.labels.as_slice(), d.pixel_max), (&[3, 1, 0][..], 1.0));
    }

    #[test]
    fn auto_keeps_the_first_column_when_both_could_be_labels() {
        let d = auto("0,9,9,9,3\n1,8,8,8,4\n2,7,7,7,5\n").unwrap();
        assert_eq!(d.labels, [0, 1, 2]);
        assert_eq!(d.image(2), [7.0, 7.0, 7.0, 5.0]);
        // The column not chosen is checked as a pixel, naming its line.
        let err = auto("0,9,9,9,3\n1,8,8,8,4\n2,7,7,7,300\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("t.csv, line 3: value '300' in column 5 should be a number from 0"),
            "{err}"
        );
    }

    #[test]
    fn auto_refuses_labels_of_two_values_or_pixels_and_suggests_the_flag() {
        let two = auto("0,9,2,3,1\n1,4,3,2,0\n1,4,3,2,0\n")
            .unwrap_err()
            .to_string();
        assert!(
            two.starts_with("t.csv: cannot tell which column holds the labels")
                && two.contains("the first column holds 2 distinct values, the last 2")
                && two.contains("give --label-column first, last or a column name"),
            "{two}"
        );
        let one = auto("0,9,2,3,1\n0,4,3,2,1\n0,1,1,1,1\n")
            .unwrap_err()
            .to_string();
        assert!(
            one.contains("first column holds 1 distinct values"),
            "{one}"
        );
        let pixels = auto("0.5,9,2,3,0.25\n1,4,3,2,1\n2,1,1,1,0\n")
            .unwrap_err()
            .to_string();
        assert!(
            pixels.contains("first column holds '0.5' on line 1, not a whole number")
                && pixels.contains("the last '0.25' on line 1"),
            "{pixels}"
        );
        let text: String = (0..=MAX_AUTO_LABELS)
            .map(|i| format!("{i},1,1,1,{i}\n"))
            .collect();
        let many = auto(&text).unwrap_err().to_string();
        assert!(
            many.contains("the first column holds 101 distinct values"),
            "{many}"
        );
        let d = auto(&text[text.find("\n1,").unwrap() + 1..]).unwrap();
        assert_eq!(
            d.classes, 101,
            "100 distinct values still make a label column"
        );
    }

    #[test]
    fn label_first_with_a_header_and_a_square_shape() {
        let d = csv("label,p0,p1,p2,p3\n3,0,255,10,0\n1,1,2,3,4\n", &defaults()).unwrap();
        assert_eq!((d.len(), d.height, d.width, d.classes), (2, 2, 2, 4));
        assert_eq!(d.labels, [3, 1]);
        assert_eq!(d.image(0), [0.0, 255.0, 10.0, 0.0]);
        assert_eq!(d.pixel_max, 255.0);
        assert_eq!(d.name, "t.csv");
    }

    #[test]
    fn label_last_without_a_header_and_pixel_scale_16() {
        let opts = CsvOptions {
            label: LabelColumn::Last,
            ..defaults()
        };
        let d = csv("0,16,3,2,7\r\n\n4,4,4,4,2\n", &opts).unwrap();
        assert_eq!(d.labels, [7, 2]);
        assert_eq!(d.image(0), [0.0, 16.0, 3.0, 2.0]);
        assert_eq!(d.pixel_max, 16.0);
        let unit = csv("1,0.5,0,1,0\n", &defaults()).unwrap();
        assert_eq!(unit.pixel_max, 1.0);
    }

    #[test]
    fn a_bom_cr_line_ends_and_a_header_of_column_numbers_are_read_as_people_write_them() {
        let d = csv("\u{feff}1,0,255,0,9\r2,9,9,9,9\r", &defaults()).unwrap();
        assert_eq!(d.labels, [1, 2], "the BOM row is data, CR ends lines");
        let d = csv("0,1,2,3,4\r\n1,0,255,0,9\r\n", &defaults()).unwrap();
        assert_eq!(d.labels, [1], "a header of column numbers is not data");
        let no = CsvOptions {
            header: Header::No,
            ..defaults()
        };
        let d = csv("0,1,2,3,4\n1,0,255,0,9\n", &no).unwrap();
        assert_eq!(d.labels, [0, 1]);
        let yes = CsvOptions {
            header: Header::Yes,
            ..defaults()
        };
        let d = csv("7,8,9,1,2\n1,0,255,0,9\n", &yes).unwrap();
        assert_eq!(d.labels, [1]);
    }

    #[test]
    fn label_by_name_and_a_given_shape() {
        let opts = CsvOptions {
            label: LabelColumn::Name("digit".into()),
            shape: Some((1, 3)),
            ..defaults()
        };
        let d = csv("a,digit,b,c\n5,2,6,7\n", &opts).unwrap();
        assert_eq!((d.labels[0], d.image(0)), (2, &[5.0, 6.0, 7.0][..]));
        assert_eq!((d.height, d.width), (1, 3));
        let err = csv("a,b,c\n1,2,3\n", &opts).unwrap_err().to_string();
        assert!(
            err.contains("t.csv, line 1") && err.contains("no column named 'digit'"),
            "{err}"
        );
        let err = csv("5,2,3,4\n", &opts).unwrap_err().to_string();
        assert!(err.contains("needs a header row"), "{err}");
    }

    #[test]
    fn a_row_with_the_wrong_number_of_fields_names_its_line() {
        let err = csv("label,a,b,c,d\n1,0,0,0,0\n2,0,0\n", &defaults())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("t.csv, line 3: found 3 fields, expected 5"),
            "{err}"
        );
    }

    #[test]
    fn non_numeric_and_out_of_range_values_are_refused() {
        let err = csv("1,0,0,0,0\n1,0,x,0,0\n", &defaults())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("t.csv, line 2: value 'x' in column 3"),
            "{err}"
        );
        for bad in ["256", "-1", "NaN", "inf"] {
            let err = csv(&format!("1,0,0,{bad},0\n"), &defaults())
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(&format!("'{bad}'")) && err.contains("0 to 255"),
                "{err}"
            );
        }
        let opts = CsvOptions {
            pixel_max: Some(16.0),
            ..defaults()
        };
        assert!(
            csv("1,0,0,17,0\n", &opts)
                .unwrap_err()
                .to_string()
                .contains("0 to 16")
        );
        let opts = CsvOptions {
            classes: Some(1),
            ..defaults()
        };
        assert!(matches!(csv("1,0,0,0,0\n", &opts), Err(Error::Config(_))));
    }

    #[test]
    fn labels_outside_the_class_set_are_refused() {
        let opts = CsvOptions {
            classes: Some(10),
            ..defaults()
        };
        let err = csv("3,0,0,0,0\n10,0,0,0,0\n", &opts)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("t.csv, line 2: label '10' should be a whole number from 0 to 9"),
            "{err}"
        );
        for bad in ["-1", "2.5", "300", "seven"] {
            let text = format!("1,0,0,0,0\n{bad},0,0,0,0\n");
            assert!(csv(&text, &defaults()).is_err(), "{bad}");
        }
    }

    #[test]
    fn shapes_that_do_not_fit_are_refused() {
        let err = csv("1,0,0,0\n", &defaults()).unwrap_err().to_string();
        assert!(err.contains("3 pixel values, not a square"), "{err}");
        let opts = CsvOptions {
            shape: Some((2, 3)),
            ..defaults()
        };
        let err = csv("1,0,0,0,0\n", &opts).unwrap_err().to_string();
        assert!(err.contains("do not make the shape 2x3"), "{err}");
    }

    #[test]
    fn empty_files_and_gzip() {
        let err = csv("label,a\n\n", &defaults()).unwrap_err().to_string();
        assert_eq!(err, "t.csv: holds no rows of data");
        let gz = crate::data::idx::tests::gz(b"2,1,2,3,4\n");
        let d = parse(&gz[..], "t.csv.gz", "t", &defaults()).unwrap();
        assert_eq!(d.labels, [2]);
    }
}
