//! MNIST (LeCun, Cortes and Burges; CC BY-SA 3.0), shipped in `data/mnist/` and
//! embedded in the binary (cargo feature `mnist`, on by default, and only from a
//! checkout: `build.rs` sets `cfg(digitnet_mnist)` when the files are there) so that
//! `--dataset mnist` works offline from anywhere. See `data/README.md` for
//! provenance and checksums.
//!
//! The official split is kept: 60,000 training images, 10,000 test images.

use super::Dataset;
#[cfg(digitnet_mnist)]
use super::idx;
use crate::error::Result;

/// Training images, `train-images-idx3-ubyte.gz`.
#[cfg(digitnet_mnist)]
pub const TRAIN_IMAGES_GZ: &[u8] = include_bytes!("../../data/mnist/train-images-idx3-ubyte.gz");
/// Training labels, `train-labels-idx1-ubyte.gz`.
#[cfg(digitnet_mnist)]
pub const TRAIN_LABELS_GZ: &[u8] = include_bytes!("../../data/mnist/train-labels-idx1-ubyte.gz");
/// Test images, `t10k-images-idx3-ubyte.gz`.
#[cfg(digitnet_mnist)]
pub const TEST_IMAGES_GZ: &[u8] = include_bytes!("../../data/mnist/t10k-images-idx3-ubyte.gz");
/// Test labels, `t10k-labels-idx1-ubyte.gz`.
#[cfg(digitnet_mnist)]
pub const TEST_LABELS_GZ: &[u8] = include_bytes!("../../data/mnist/t10k-labels-idx1-ubyte.gz");

/// The number of classes (digits 0..9).
pub const CLASSES: usize = 10;

/// The official training set (60,000 images, 28x28, pixels 0..255).
#[cfg(digitnet_mnist)]
pub fn train() -> Result<Dataset> {
    decode(TRAIN_IMAGES_GZ, TRAIN_LABELS_GZ, "train")
}

/// The official test set (10,000 images).
#[cfg(digitnet_mnist)]
pub fn test() -> Result<Dataset> {
    decode(TEST_IMAGES_GZ, TEST_LABELS_GZ, "t10k")
}

/// Both official parts: `(train, test)`.
#[cfg(digitnet_mnist)]
pub fn load() -> Result<(Dataset, Dataset)> {
    Ok((train()?, test()?))
}

/// Without the `mnist` feature there is nothing embedded: say how to read the files.
#[cfg(not(digitnet_mnist))]
pub fn load() -> Result<(Dataset, Dataset)> {
    Err(crate::Error::config(
        "this build has no embedded MNIST (it needs the cargo feature `mnist` and a build from a \
         git checkout, which holds data/mnist/); give a folder of MNIST's IDX files instead, \
         e.g. --dataset data/mnist",
    ))
}

#[cfg(digitnet_mnist)]
fn decode(images: &[u8], labels: &[u8], part: &str) -> Result<Dataset> {
    let images_origin = format!("embedded {part}-images-idx3-ubyte.gz");
    let labels_origin = format!("embedded {part}-labels-idx1-ubyte.gz");
    let labels = idx::labels_from(labels, labels.len() as u64, &labels_origin)?;
    let images = idx::images_from(images, images.len() as u64, &images_origin)?;
    idx::pair(images, labels, "mnist", &labels_origin, Some(CLASSES))
}

#[cfg(all(test, digitnet_mnist))]
mod tests {
    use super::*;

    fn label_counts(gz: &[u8]) -> Vec<usize> {
        let labels = idx::labels_from(gz, gz.len() as u64, "labels").unwrap();
        let mut counts = vec![0; CLASSES];
        labels.iter().for_each(|&l| counts[usize::from(l)] += 1);
        counts
    }

    #[test]
    fn label_counts_match_data_readme() {
        assert_eq!(
            label_counts(TRAIN_LABELS_GZ),
            [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
        );
        assert_eq!(
            label_counts(TEST_LABELS_GZ),
            [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
        );
    }

    #[test]
    fn embedded_files_match_their_published_checksums() {
        use sha2::{Digest, Sha256};
        let hex = |b: &[u8]| -> String {
            Sha256::digest(b)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        assert_eq!(
            hex(TRAIN_IMAGES_GZ),
            "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971"
        );
        assert_eq!(
            hex(TEST_LABELS_GZ),
            "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b"
        );
    }

    #[test]
    fn test_set_has_the_documented_shape() {
        let t = test().unwrap();
        assert_eq!(
            (t.len(), t.height, t.width, t.classes),
            (10_000, 28, 28, 10)
        );
        assert_eq!(t.pixel_max, 255.0);
        assert_eq!(t.pixels.iter().cloned().fold(0.0, f32::max), 255.0);
        assert_eq!(t.class_counts()[1], 1135);
    }
}
