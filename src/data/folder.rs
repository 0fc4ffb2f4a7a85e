//! Image folders: `DIR/<class>/*.png|jpg|...`, one sub-folder per class.
//!
//! Every image goes through [`crate::preprocess::prepare`], the very preparation
//! `digitnet predict` applies to a single picture (grey, ink polarity, crop to the
//! ink, MNIST-style for most shapes, optdigits-style block counts for 8x8), rather
//! than a plain resize: a model trained on a folder then sees at prediction time
//! exactly what it saw in training, and a model trained on MNIST can be scored on a
//! folder of photos. The cost: the crop to the ink suits digits and other dark-on-
//! light (or light-on-dark) marks, not photos of whole scenes.
//!
//! Classes are the sub-folders' names, sorted; labels are their positions in that
//! order (or in a given list, see [`load_labelled`]). Files whose extension is not an
//! image one (`png jpg jpeg bmp gif pgm pnm ppm`) and hidden files are skipped.

use std::fs;
use std::path::{Path, PathBuf};

use super::Dataset;
use crate::error::{Error, Result, shown_path};
use crate::preprocess::{self, Target};

/// The most classes a folder may have (labels are stored as `u8`).
const MAX_FOLDER_CLASSES: usize = 256;

/// Extensions read as images (compared without regard to case).
const IMAGE_EXTENSIONS: [&str; 8] = ["png", "jpg", "jpeg", "bmp", "gif", "pgm", "pnm", "ppm"];

/// Loads `dir` with images prepared to `shape` `(height, width)`; the classes are
/// the sub-folders' names, sorted.
pub fn load(dir: &Path, shape: (usize, usize)) -> Result<Dataset> {
    load_labelled(dir, shape, &class_names(dir)?)
}

/// The names of `dir`'s sub-folders (its classes), sorted. A name that is not UTF-8
/// keeps its other bytes escaped (`\xFF`, [`shown_path`]), so that two such folders
/// never share a name.
pub fn class_names(dir: &Path) -> Result<Vec<String>> {
    Ok(class_folders(dir)?
        .into_iter()
        .map(|(name, _)| name)
        .collect())
}

/// Each class sub-folder of `dir`: its name as [`class_names`] gives it, and its path.
fn class_folders(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let names: Vec<(String, PathBuf)> = sorted_entries(dir)?
        .into_iter()
        .filter(|p| p.is_dir())
        .filter_map(|p| Some((shown_path(p.file_name()?), p)))
        .filter(|(n, _)| !n.starts_with('.'))
        .collect();
    if names.is_empty() {
        return Err(Error::data(
            shown_path(dir),
            "no class sub-folders: an image folder should hold one sub-folder per class, e.g. \
                DIR/0/*.png, DIR/1/*.png, ...",
        ));
    }
    if names.len() > MAX_FOLDER_CLASSES {
        return Err(Error::data(
            shown_path(dir),
            format!(
                "{} class sub-folders, more than the {MAX_FOLDER_CLASSES} a data set may have",
                names.len()
            ),
        ));
    }
    Ok(names)
}

/// Loads `dir` with labels taken from `classes`: sub-folder `classes[i]` holds
/// the images of label `i` (sub-folders may be missing, e.g. a test folder with
/// a few digits only; a sub-folder not in `classes` is an error).
pub fn load_labelled(
    dir: &Path,
    (height, width): (usize, usize),
    classes: &[String],
) -> Result<Dataset> {
    if height == 0 || width == 0 {
        return Err(Error::config(format!(
            "invalid image shape {height}x{width}, which should be at least 1x1, e.g. 28x28"
        )));
    }
    let target = Target::for_shape(height, width);
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for (name, folder) in class_folders(dir)? {
        let label = classes.iter().position(|c| *c == name).ok_or_else(|| {
            Error::data(
                shown_path(&folder),
                format!("'{name}' is not one of the classes {}", classes.join(" ")),
            )
        })?;
        let files = image_files(&folder)?;
        for file in files {
            pixels.extend(prepared(&file, target)?);
            labels.push(label as u8);
        }
    }
    let name = shown_path(dir.file_name().map_or(dir.as_os_str(), |n| n));
    Dataset::new(
        name,
        pixels,
        labels,
        (height, width),
        target.pixel_max(),
        classes.len(),
    )?
    .with_class_names(classes.to_vec())
}

/// One image file, prepared; a picture without ink is an error here (a data set
/// entry must be a digit).
fn prepared(file: &Path, target: Target) -> Result<Vec<f32>> {
    let gray = preprocess::open(file)?;
    preprocess::prepare(&gray, target)
        .map(|p| p.pixels)
        .map_err(|no| Error::data(shown_path(file), no.to_string()))
}

/// The image files of a class folder, sorted; an error if there are none.
fn image_files(folder: &Path) -> Result<Vec<PathBuf>> {
    let files: Vec<PathBuf> = sorted_entries(folder)?
        .into_iter()
        .filter(|p| p.is_file() && is_image_name(p))
        .collect();
    if files.is_empty() {
        return Err(Error::data(
            shown_path(folder),
            format!(
                "no images in this class folder (looked for .{} files)",
                IMAGE_EXTENSIONS.join(", .")
            ),
        ));
    }
    Ok(files)
}

fn is_image_name(path: &Path) -> bool {
    let hidden = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'));
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    !hidden && ext.is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.as_str()))
}

/// The entries of `dir`, sorted by name (so loading order never depends on the file system).
fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut entries = fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| Error::io(dir, e))?;
    entries.sort();
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::scratch;
    use image::{GrayImage, Luma};

    /// A white picture with a black bar of `bar_width` columns.
    fn save_bar(path: &Path, bar_width: u32) {
        let img = GrayImage::from_fn(40, 40, |x, y| {
            let ink = (10..30).contains(&y) && (15..15 + bar_width).contains(&x);
            Luma([if ink { 0 } else { 255 }])
        });
        img.save(path).unwrap();
    }

    #[test]
    fn one_sub_folder_per_class_sorted_and_prepared_like_predict() {
        let dir = scratch("folder-ok");
        for (class, bars) in [("b", &[10, 12][..]), ("a", &[3][..])] {
            fs::create_dir(dir.join(class)).unwrap();
            for (i, w) in bars.iter().enumerate() {
                save_bar(&dir.join(class).join(format!("{i}.png")), *w);
            }
        }
        fs::write(dir.join("a").join("notes.txt"), "not an image").unwrap();
        let data = load(&dir, (8, 8)).unwrap();
        assert_eq!((data.len(), data.classes, data.pixel_max), (3, 2, 16.0));
        assert_eq!(data.labels, [0, 1, 1]);
        let gray = preprocess::open(&dir.join("a/0.png")).unwrap();
        let expected = preprocess::prepare(&gray, Target::OPTDIGITS).unwrap();
        assert_eq!(data.image(0), expected.pixels.as_slice());
        assert_eq!(class_names(&dir).unwrap(), ["a", "b"]);
        assert_eq!(data.class_names, ["a", "b"]);
        assert_eq!(data.subset(&[2]).class_names, ["a", "b"]);
        let mnist = load(&dir, (28, 28)).unwrap();
        assert_eq!((mnist.features(), mnist.pixel_max), (784, 255.0));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn labels_can_follow_a_given_class_list() {
        let dir = scratch("folder-labelled");
        fs::create_dir(dir.join("7")).unwrap();
        save_bar(&dir.join("7/x.png"), 4);
        let classes: Vec<String> = (0..10).map(|c| c.to_string()).collect();
        let data = load_labelled(&dir, (8, 8), &classes).unwrap();
        assert_eq!((data.labels.as_slice(), data.classes), (&[7u8][..], 10));
        let err = load_labelled(&dir, (8, 8), &classes[..5])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("'7' is not one of the classes 0 1 2 3 4"),
            "{err}"
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn empty_folders_and_bad_images_are_named() {
        let dir = scratch("folder-bad");
        let err = load(&dir, (28, 28)).unwrap_err().to_string();
        assert!(err.contains("no class sub-folders"), "{err}");
        fs::create_dir(dir.join("0")).unwrap();
        let err = load(&dir, (28, 28)).unwrap_err().to_string();
        assert!(err.contains("no images in this class folder"), "{err}");
        fs::write(dir.join("0/broken.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();
        let err = load(&dir, (28, 28)).unwrap_err().to_string();
        assert!(err.contains("broken.png: cannot decode"), "{err}");
        fs::remove_file(dir.join("0/broken.png")).unwrap();
        GrayImage::from_pixel(9, 9, Luma([200]))
            .save(dir.join("0/blank.png"))
            .unwrap();
        let err = load(&dir, (28, 28)).unwrap_err().to_string();
        assert!(
            err.contains("blank.png: no digit: the picture is blank"),
            "{err}"
        );
        let missing = load(&dir.join("nope"), (28, 28)).unwrap_err().to_string();
        assert!(missing.contains("nope"), "{missing}");
        fs::remove_dir_all(dir).unwrap();
    }
}
