//! Where a data set comes from, and loading it: one call turns a `--dataset`
//! argument (or four IDX paths) into either one [`Dataset`] to split or an
//! official `(train, test)` pair.

use std::fmt;
use std::path::{Path, PathBuf};

use super::csv::{self, CsvOptions, LabelColumn};
use super::{Dataset, digits, idx, mnist};
use crate::error::{Error, Result, shown_path};

/// The four files of an IDX data set with an official split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxFiles {
    pub train_images: PathBuf,
    pub train_labels: PathBuf,
    pub test_images: PathBuf,
    pub test_labels: PathBuf,
}

/// A data set's origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataSource {
    /// The embedded 8x8 digits (1797 images, 0..16), split by the caller.
    Digits,
    /// The embedded MNIST, official 60,000 / 10,000 split.
    Mnist,
    /// A folder holding IDX files under MNIST's names (`train-images-idx3-ubyte[.gz]`...).
    IdxFolder(PathBuf),
    /// Four IDX files named one by one.
    Idx(IdxFiles),
    /// One CSV file (plain or gzip), split by the caller.
    Csv(PathBuf),
    /// `DIR/<class>/*.png|jpg`, one sub-folder per class.
    ImageFolder(PathBuf),
}

/// How to read sources that do not describe themselves fully.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadOptions {
    /// CSV: which column holds the label.
    pub label_column: LabelColumn,
    /// CSV and image folders: the image shape `(height, width)`.
    pub shape: Option<(usize, usize)>,
    /// CSV: the largest pixel value (inferred when `None`).
    pub pixel_max: Option<f32>,
    /// Number of classes (inferred from the labels when `None`).
    pub classes: Option<usize>,
    /// CSV: whether the first row is a header (detected by default).
    pub header: csv::Header,
}

/// A loaded data set: one to split, or an official train/test pair.
#[derive(Clone, Debug)]
pub enum Loaded {
    One(Dataset),
    Pair { train: Dataset, test: Dataset },
}

/// The standard names of an IDX part (`train` or `t10k`, `images` or `labels`),
/// as published and as some mirrors rename them, each with and without `.gz`.
fn idx_names(part: &str, kind: &str) -> Vec<String> {
    let dims = if kind == "images" { 3 } else { 1 };
    let stems = [
        format!("{part}-{kind}-idx{dims}-ubyte"),
        format!("{part}-{kind}.idx{dims}-ubyte"),
    ];
    stems
        .iter()
        .flat_map(|s| [s.clone(), format!("{s}.gz")])
        .collect()
}

/// The longest side `--shape` accepts: a 10000x10000 image is already 400 MB of pixels.
pub const MAX_SHAPE_SIDE: usize = 10_000;

/// Parses an image shape written `HEIGHTxWIDTH`, e.g. `28x28`, each side at most
/// [`MAX_SHAPE_SIDE`] (so the product cannot overflow).
pub fn parse_shape(s: &str) -> Result<(usize, usize), String> {
    let bad = || {
        format!(
            "invalid shape '{s}', which should be HEIGHTxWIDTH with sizes from 1 to \
             {MAX_SHAPE_SIDE}, e.g. 28x28"
        )
    };
    let (h, w) = s.split_once(['x', 'X']).ok_or_else(bad)?;
    let size = |v: &str| {
        v.trim()
            .parse::<usize>()
            .ok()
            .filter(|&v| (1..=MAX_SHAPE_SIDE).contains(&v))
    };
    Ok((size(h).ok_or_else(bad)?, size(w).ok_or_else(bad)?))
}

impl DataSource {
    /// Reads a `--dataset` argument: `digits`, `mnist`, a folder (IDX files with
    /// MNIST's names, or one sub-folder per class) or a CSV file. A path need not be
    /// UTF-8.
    pub fn parse(arg: impl AsRef<std::ffi::OsStr>) -> Result<Self> {
        let arg = arg.as_ref();
        match arg.to_str() {
            Some("digits") => return Ok(DataSource::Digits),
            Some("mnist") => return Ok(DataSource::Mnist),
            _ => {}
        }
        let path = PathBuf::from(arg);
        if path.is_dir() {
            return Ok(if holds_idx(&path) {
                DataSource::IdxFolder(path)
            } else {
                DataSource::ImageFolder(path)
            });
        }
        if path.is_file() {
            return Ok(DataSource::Csv(path));
        }
        Err(Error::config(format!(
            "unknown data set '{}', which should be 'digits', 'mnist', a folder (IDX files \
             such as train-images-idx3-ubyte.gz, or one sub-folder of images per class) or a \
             CSV file",
            shown_path(&path)
        )))
    }

    /// Whether this is one of the MNIST family (28x28 grey digits or objects, 0..255).
    pub fn is_idx(&self) -> bool {
        matches!(
            self,
            DataSource::Mnist | DataSource::IdxFolder(_) | DataSource::Idx(_)
        )
    }

    /// Loads the data.
    pub fn load(&self, options: &LoadOptions) -> Result<Loaded> {
        match self {
            DataSource::Digits => Ok(Loaded::One(digits::load()?)),
            DataSource::Mnist => {
                let (train, test) = mnist::load()?;
                Ok(Loaded::Pair { train, test })
            }
            DataSource::IdxFolder(dir) => load_idx(&idx_files_in(dir)?, &folder_name(dir), options),
            DataSource::Idx(files) => {
                let name = folder_name(files.train_images.parent().unwrap_or(Path::new("idx")));
                load_idx(files, &name, options)
            }
            DataSource::Csv(path) => {
                let csv_options = CsvOptions {
                    label: options.label_column.clone(),
                    shape: options.shape,
                    pixel_max: options.pixel_max,
                    classes: options.classes,
                    header: options.header,
                };
                Ok(Loaded::One(csv::read(path, &csv_options)?))
            }
            // One sub-folder per class, each picture through `preprocess::prepare`
            // (the same preparation as `predict`), 28x28 unless `--shape` says otherwise.
            #[cfg(feature = "images")]
            DataSource::ImageFolder(dir) => Ok(Loaded::One(super::folder::load(
                dir,
                options.shape.unwrap_or((28, 28)),
            )?)),
            #[cfg(not(feature = "images"))]
            DataSource::ImageFolder(dir) => Err(Error::config(format!(
                "{}: reading image folders needs the 'images' feature",
                shown_path(dir)
            ))),
        }
    }
}

impl Loaded {
    /// The set to draw pictures of: the one set, or a pair's training part.
    pub fn primary(&self) -> &Dataset {
        match self {
            Loaded::One(data) | Loaded::Pair { train: data, .. } => data,
        }
    }
}

impl fmt::Display for DataSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataSource::Digits => f.write_str("digits"),
            DataSource::Mnist => f.write_str("mnist"),
            DataSource::IdxFolder(p) | DataSource::Csv(p) | DataSource::ImageFolder(p) => {
                f.write_str(&shown_path(p))
            }
            DataSource::Idx(files) => f.write_str(&shown_path(&files.train_images)),
        }
    }
}

/// Loads both parts; the test labels must lie in the training set's classes.
fn load_idx(files: &IdxFiles, name: &str, options: &LoadOptions) -> Result<Loaded> {
    let train = idx::load_pair(
        &files.train_images,
        &files.train_labels,
        name,
        options.classes,
    )?;
    let test = idx::load_pair(
        &files.test_images,
        &files.test_labels,
        name,
        Some(train.classes),
    )?;
    for (part, set, file) in [
        ("training", &train, &files.train_images),
        ("test", &test, &files.test_images),
    ] {
        if set.is_empty() {
            return Err(Error::data(
                shown_path(file),
                format!("holds no images: the {part} set needs at least one"),
            ));
        }
    }
    Ok(Loaded::Pair { train, test })
}

/// Whether `dir` holds any file named like an IDX file.
fn holds_idx(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().contains("-ubyte"))
    })
}

/// The four IDX files of `dir`, each under one of its standard names.
fn idx_files_in(dir: &Path) -> Result<IdxFiles> {
    let find = |part: &str, kind: &str| -> Result<PathBuf> {
        let names = idx_names(part, kind);
        names
            .iter()
            .map(|n| dir.join(n))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                Error::data(
                    shown_path(dir),
                    format!("holds no {} file (looked for {})", kind, names.join(", ")),
                )
            })
    };
    Ok(IdxFiles {
        train_images: find("train", "images")?,
        train_labels: find("train", "labels")?,
        test_images: find("t10k", "images")?,
        test_labels: find("t10k", "labels")?,
    })
}

/// The last component of `dir`, as a data set name.
fn folder_name(dir: &Path) -> String {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    dir.file_name().map_or("idx".into(), shown_path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::idx::tests::{gz, images_bytes, labels_bytes};
    use crate::test_support::scratch;

    fn write_idx(dir: &Path, train_labels: &[u8], test_labels: &[u8]) {
        let n = |l: &[u8]| l.len() as u32;
        std::fs::write(
            dir.join("train-images-idx3-ubyte.gz"),
            gz(&images_bytes(n(train_labels), 3, 3)),
        )
        .unwrap();
        std::fs::write(
            dir.join("train-labels-idx1-ubyte"),
            labels_bytes(train_labels),
        )
        .unwrap();
        std::fs::write(
            dir.join("t10k-images.idx3-ubyte"),
            images_bytes(n(test_labels), 3, 3),
        )
        .unwrap();
        std::fs::write(
            dir.join("t10k-labels-idx1-ubyte.gz"),
            gz(&labels_bytes(test_labels)),
        )
        .unwrap();
    }

    #[test]
    fn shapes_parse() {
        assert_eq!(parse_shape("28x28"), Ok((28, 28)));
        assert_eq!(parse_shape("20X30"), Ok((20, 30)));
        for bad in ["28", "0x5", "ax3", "3x", "-1x2"] {
            assert!(
                parse_shape(bad).unwrap_err().contains("e.g. 28x28"),
                "{bad}"
            );
        }
    }

    #[test]
    fn names_are_recognised() {
        assert_eq!(DataSource::parse("digits").unwrap(), DataSource::Digits);
        assert_eq!(DataSource::parse("mnist").unwrap(), DataSource::Mnist);
        let err = DataSource::parse("no/such/place").unwrap_err();
        assert!(matches!(err, Error::Config(_)) && err.to_string().contains("'no/such/place'"));
    }

    #[test]
    fn an_idx_folder_loads_as_a_pair_whatever_the_name_variant() {
        let dir = scratch("source-idx");
        write_idx(&dir, &[0, 1, 2, 1], &[2, 0]);
        let source = DataSource::parse(dir.to_str().unwrap()).unwrap();
        assert_eq!(source, DataSource::IdxFolder(dir.clone()));
        let Loaded::Pair { train, test } = source.load(&LoadOptions::default()).unwrap() else {
            panic!("expected a pair");
        };
        assert_eq!(
            (train.len(), test.len(), train.classes, test.classes),
            (4, 2, 3, 3)
        );
        assert_eq!((train.height, train.width), (3, 3));
        assert!(train.name.starts_with("digitnet-source-idx"));
    }

    #[test]
    fn test_labels_outside_the_training_classes_are_refused() {
        let dir = scratch("source-classes");
        write_idx(&dir, &[0, 1, 1], &[2, 0]);
        let err = DataSource::IdxFolder(dir)
            .load(&LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("t10k-labels-idx1-ubyte.gz, item 1: label 2 is outside the classes 0..1"),
            "{err}"
        );
    }

    #[test]
    fn a_folder_missing_a_part_names_it() {
        let dir = scratch("source-missing");
        write_idx(&dir, &[0, 1], &[1]);
        std::fs::remove_file(dir.join("t10k-images.idx3-ubyte")).unwrap();
        let err = DataSource::IdxFolder(dir)
            .load(&LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("holds no images file (looked for t10k-images-idx3-ubyte"),
            "{err}"
        );
    }

    #[test]
    fn a_csv_file_loads_as_one_set_and_a_plain_folder_is_an_image_folder() {
        let dir = scratch("source-csv");
        let file = dir.join("mine.csv");
        std::fs::write(&file, "label,a,b,c,d\n1,0,9,0,0\n0,1,1,1,1\n").unwrap();
        let source = DataSource::parse(file.to_str().unwrap()).unwrap();
        let Loaded::One(d) = source.load(&LoadOptions::default()).unwrap() else {
            panic!("expected one set");
        };
        assert_eq!((d.len(), d.name.as_str()), (2, "mine.csv"));
        let source = DataSource::parse(dir.to_str().unwrap()).unwrap();
        assert_eq!(source, DataSource::ImageFolder(dir.clone()));
        // An image folder without class sub-folders is refused, naming the folder.
        let err = source
            .load(&LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains(&dir.display().to_string()), "{err}");
    }
}
