//! [`Gray`], the grey picture every reader works on, built only through checked
//! constructors so that its pixels always match its size.

use std::fmt;

/// A grayscale picture, row-major, values 0.0 (black) ..= 1.0 (white).
///
/// A picture may stand for a larger one: `open` and `decode` read a large JPEG
/// straight at the analysis resolution (each pixel the mean of a
/// [`factor`](Gray::factor) x `factor` block of the file's), and boxes found in it
/// are given in the file's pixels ([`source_size`](Gray::source_size)).
///
/// Its fields are private so that every `Gray` holds exactly `width * height`
/// values and a shrunk one keeps the size it was shrunk to: build one with
/// [`Gray::new`] (pixels the caller computed) or [`Gray::try_new`] (pixels from
/// outside), read it with [`width`](Gray::width), [`height`](Gray::height),
/// [`pixels`](Gray::pixels) and [`at`](Gray::at).
#[derive(Clone, Debug, PartialEq)]
pub struct Gray {
    width: usize,
    height: usize,
    /// `height * width` values.
    pixels: Vec<f32>,
    /// Set when the pixels are block means of a larger picture.
    shrunk: Option<Shrunk>,
}

/// What a shrunk [`Gray`] stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Shrunk {
    /// The larger picture's pixels per pixel held, along each side (at least 2).
    factor: usize,
    /// The larger picture's `(width, height)`.
    source: (usize, usize),
}

/// Why [`Gray::try_new`] refused its pixels: their count is not `width * height`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PixelCount {
    pub width: usize,
    pub height: usize,
    /// How many values were given.
    pub values: usize,
}

impl fmt::Display for PixelCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (w, h) = (self.width, self.height);
        write!(f, "{} values do not make a {w}x{h} picture", self.values)
    }
}

impl std::error::Error for PixelCount {}

impl Gray {
    /// A `width x height` picture of `pixels` (row-major, `height * width` values),
    /// or why not.
    pub fn try_new(width: usize, height: usize, pixels: Vec<f32>) -> Result<Gray, PixelCount> {
        if width.checked_mul(height) != Some(pixels.len()) {
            return Err(PixelCount {
                width,
                height,
                values: pixels.len(),
            });
        }
        Ok(Gray {
            width,
            height,
            pixels,
            shrunk: None,
        })
    }

    /// A `width x height` picture of `pixels` (row-major, `height * width` values)
    /// computed by the caller; [`Gray::try_new`] is for pixels from outside.
    ///
    /// # Panics
    ///
    /// If there are not `width * height` pixels (a bug in the caller).
    pub fn new(width: usize, height: usize, pixels: Vec<f32>) -> Gray {
        Gray::try_new(width, height, pixels).unwrap_or_else(|e| panic!("Gray::new: {e}"))
    }

    /// A `width x height` picture of `pixels`, the means of the `factor x factor`
    /// blocks of a picture of `source` pixels (the last blocks cut by its edges, so
    /// `width` is `source.0` divided by `factor`, rounded up, and so is `height`).
    pub(super) fn shrunk(
        (width, height): (usize, usize),
        pixels: Vec<f32>,
        factor: usize,
        source: (usize, usize),
    ) -> Gray {
        debug_assert_eq!(
            (width, height),
            (source.0.div_ceil(factor), source.1.div_ceil(factor))
        );
        Gray {
            shrunk: (factor > 1).then_some(Shrunk { factor, source }),
            ..Gray::new(width, height, pixels)
        }
    }

    /// The picture with every value `v` replaced by `f(v)`, standing for what this
    /// one stands for.
    pub fn map(&self, f: impl FnMut(f32) -> f32) -> Gray {
        Gray {
            pixels: self.pixels.iter().copied().map(f).collect(),
            ..*self
        }
    }

    /// Columns held.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Rows held.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The `height * width` values, row-major.
    pub fn pixels(&self) -> &[f32] {
        &self.pixels
    }

    /// The values, to change in place (their number and the size stay).
    pub fn pixels_mut(&mut self) -> &mut [f32] {
        &mut self.pixels
    }

    /// The values, row-major, giving the picture up.
    pub fn into_pixels(self) -> Vec<f32> {
        self.pixels
    }

    /// The value at column `x`, row `y`.
    pub fn at(&self, x: usize, y: usize) -> f32 {
        self.pixels[y * self.width + x]
    }

    /// Pixels of the picture this stands for per pixel held, along each side: 1
    /// unless it was read shrunk.
    pub fn factor(&self) -> usize {
        self.shrunk.map_or(1, |s| s.factor)
    }

    /// The `(width, height)` of the picture this stands for (the file's own size),
    /// in whose pixels boxes are given.
    pub fn source_size(&self) -> (usize, usize) {
        self.shrunk.map_or((self.width, self.height), |s| s.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::ink;

    #[test]
    fn pixels_that_do_not_fill_the_size_are_refused() {
        for (w, h, n) in [(3, 2, 5), (3, 2, 7), (0, 4, 1), (usize::MAX, 2, 0)] {
            let err = Gray::try_new(w, h, vec![0.5; n]).unwrap_err();
            assert_eq!((err.width, err.height, err.values), (w, h, n));
            let message = err.to_string();
            assert!(
                message.contains(&format!("{n} values do not make a {w}x{h}")),
                "{message}"
            );
        }
        let g = Gray::try_new(3, 2, vec![0.0, 0.1, 0.2, 0.3, 0.4, 0.5]).unwrap();
        assert_eq!((g.width(), g.height(), g.at(1, 1)), (3, 2, 0.4));
        assert_eq!((g.factor(), g.source_size()), (1, (3, 2)));
        let empty = Gray::try_new(0, 5, Vec::new()).unwrap();
        assert!(empty.pixels().is_empty());
    }

    #[test]
    #[should_panic(expected = "5 values do not make a 3x2 picture")]
    fn new_refuses_a_wrong_count_loudly() {
        Gray::new(3, 2, vec![1.0; 5]);
    }

    #[test]
    fn a_mapped_picture_stands_for_what_its_original_stands_for() {
        let g = Gray::new(7, 5, (0..35).map(|i| i as f32 / 35.0).collect());
        let shrunk = ink::shrink(&g, 3);
        let inverted = shrunk.map(|v| 1.0 - v);
        assert_eq!((inverted.width(), inverted.height()), (3, 2));
        assert_eq!((inverted.factor(), inverted.source_size()), (3, (7, 5)));
        for (a, b) in inverted.pixels().iter().zip(shrunk.pixels()) {
            assert_eq!(*a, 1.0 - b);
        }
        assert_eq!(shrunk.map(|v| v), shrunk);
    }
}
