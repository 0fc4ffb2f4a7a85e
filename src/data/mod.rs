//! Data sets: labelled images as one contiguous `f32` matrix, and how to split them.
//!
//! A [`Dataset`] keeps pixels in the source's own scale (0..16 for the 8x8 digits,
//! 0..255 for MNIST); normalisation is the trainer's business (the `normalize`
//! module, which builds on this one), so one copy of the data serves every recipe.

pub mod csv;
pub mod digits;
#[cfg(feature = "images")]
pub mod folder;
pub mod idx;
pub mod mnist;
pub mod source;
mod split;

pub use source::{DataSource, LoadOptions, Loaded};
pub use split::{Split, shuffle_split, stratified_folds};

use crate::error::{Error, Result};

/// The most classes a data set may have (labels are stored as `u8`).
pub const MAX_CLASSES: usize = 256;

/// The most memory a data set's pixels may take, as `f32` (4 GiB: a billion pixels, the
/// whole of EMNIST's largest split). Readers check it before they allocate.
pub const MAX_DATA_BYTES: u64 = 4 << 30;

/// Refuses a number of classes outside `2..=MAX_CLASSES`.
pub(crate) fn check_classes(classes: usize) -> Result<()> {
    if (2..=MAX_CLASSES).contains(&classes) {
        Ok(())
    } else {
        Err(Error::config(format!(
            "invalid number of classes {classes}, which should be between 2 and {MAX_CLASSES}"
        )))
    }
}

/// Checks `labels` against `classes` (or infers one more than the largest label)
/// and returns the number of classes. `at(i)` names where label `i` came from.
pub(crate) fn check_labels(
    labels: &[u8],
    classes: Option<usize>,
    at: impl Fn(usize) -> String,
) -> Result<usize> {
    let classes = match classes {
        Some(c) => {
            check_classes(c)?;
            c
        }
        None => labels
            .iter()
            .max()
            .map_or(0, |&m| usize::from(m) + 1)
            .max(2),
    };
    if let Some(i) = labels.iter().position(|&l| usize::from(l) >= classes) {
        return Err(Error::data(
            at(i),
            format!(
                "label {} is outside the classes 0..{}",
                labels[i],
                classes - 1
            ),
        ));
    }
    Ok(classes)
}

/// Labelled images, row-major: image `i` is `pixels[i*h*w .. (i+1)*h*w]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// A short name for reports ("digits", "mnist", a file name...).
    pub name: String,
    /// `len() x height*width` values in the source's scale, `0..=pixel_max`.
    pub pixels: Vec<f32>,
    /// One class index per image, `0..classes`.
    pub labels: Vec<u8>,
    /// Image height in pixels.
    pub height: usize,
    /// Image width in pixels.
    pub width: usize,
    /// The largest value a pixel can take in this source (16 or 255).
    pub pixel_max: f32,
    /// Number of classes (10 for digits).
    pub classes: usize,
    /// Each class's name, in label order: "0", "1", ... unless the source names them
    /// (an image folder's sub-folders). A model trained on the set keeps them.
    pub class_names: Vec<String>,
}

impl Dataset {
    /// Builds a data set, checking that pixels, labels and shape agree.
    pub fn new(
        name: impl Into<String>,
        pixels: Vec<f32>,
        labels: Vec<u8>,
        (height, width): (usize, usize),
        pixel_max: f32,
        classes: usize,
    ) -> Result<Self> {
        let name = name.into();
        let features = height * width;
        if features == 0 {
            return Err(Error::data(&name, "images must have at least one pixel"));
        }
        if pixels.len() != labels.len() * features {
            return Err(Error::data(
                &name,
                format!(
                    "{} pixel values do not make {} images of {height}x{width}",
                    pixels.len(),
                    labels.len()
                ),
            ));
        }
        if let Some(bad) = labels.iter().find(|&&l| usize::from(l) >= classes) {
            return Err(Error::data(
                &name,
                format!("label {bad} is outside the classes 0..{}", classes - 1),
            ));
        }
        Ok(Dataset {
            name,
            pixels,
            labels,
            height,
            width,
            pixel_max,
            classes,
            class_names: (0..classes).map(|c| c.to_string()).collect(),
        })
    }

    /// The same data with `names` as its classes' names (one per class, in label order).
    pub fn with_class_names(self, names: Vec<String>) -> Result<Self> {
        if names.len() != self.classes {
            return Err(Error::data(
                &self.name,
                format!("{} class names for {} classes", names.len(), self.classes),
            ));
        }
        Ok(Dataset {
            class_names: names,
            ..self
        })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when the set holds no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Values per image (`height * width`).
    pub fn features(&self) -> usize {
        self.height * self.width
    }

    /// The pixels of image `i`.
    pub fn image(&self, i: usize) -> &[f32] {
        let f = self.features();
        &self.pixels[i * f..(i + 1) * f]
    }

    /// How many images each class has.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        for &l in &self.labels {
            counts[usize::from(l)] += 1;
        }
        counts
    }

    /// A new data set holding the rows `rows`, in that order.
    pub fn subset(&self, rows: &[usize]) -> Dataset {
        let mut pixels = Vec::with_capacity(rows.len() * self.features());
        for &r in rows {
            pixels.extend_from_slice(self.image(r));
        }
        Dataset {
            name: self.name.clone(),
            pixels,
            labels: rows.iter().map(|&r| self.labels[r]).collect(),
            height: self.height,
            width: self.width,
            pixel_max: self.pixel_max,
            classes: self.classes,
            class_names: self.class_names.clone(),
        }
    }
}
