//! Turning a picture of a digit into what the network was trained on.
//!
//! [`prepare`] is the one function that does it, for `predict`, for image folders
//! (`data::folder`) and for the web page; [`prepare_pixels`] is the same for
//! raw grey values (a canvas sent as JSON), and `open` / `decode` read an image file
//! or an upload (feature `images`, the only part that needs the `image` crate;
//! JPEG files are decoded straight to grey).
//!
//! The steps, each a small function:
//!
//! 1. **grayscale**, 0.0 black ..= 1.0 white ([`Gray`]; `open` flattens colour and
//!    transparency, and turns a photo upright by its EXIF orientation). A JPEG is
//!    decoded to its luma alone and, when it is larger than the analysis reads,
//!    shrunk at once by block means ([`ink::shrink_luma`], by
//!    [`ink::analysis_factor`]), before it is turned upright: a 12-megapixel photo
//!    becomes a 1000x750 [`Gray`] that stands for the file's 4000x3000 pixels
//!    ([`Gray::factor`], [`Gray::source_size`]), and every box is reported in the
//!    file's pixels;
//! 2. **the cleaned ink** ([`ink::ink_map`]): the picture is shrunk to at most
//!    [`ink::ANALYSIS_SIDE`] pixels a side (unless it was read so); the paper's
//!    shade is estimated everywhere from a coarse copy (a rank filter and a blur),
//!    and the picture is divided by it, so uneven light and shadows vanish; the
//!    ink's polarity is the side that stands out from the paper (dark ink on light
//!    paper, or light on dark); two thresholds come from the picture: the grain's
//!    noise level (from the median absolute deviation) and Otsu's threshold of the
//!    ink strengths;
//! 3. **the marks** ([`components::find_components`]): 8-connected groups of ink
//!    pixels; a group that never rises above the strong threshold and the
//!    contrast floor ([`MIN_CONTRAST`]) is grain;
//! 4. **the digit** ([`components::digit_group`]): the largest mark and the marks
//!    near it that are not specks (at least 5% of its pixels), so a digit drawn in
//!    several pieces is kept whole and dust is dropped;
//! 5. the digit's ink strength (grey, so strokes stay anti-aliased, and zero
//!    outside its marks) in the **box of its marks** goes through the **training
//!    set's own preparation** ([`Style`]):
//!    - MNIST: a digit photographed alone is first sheared to lose half its slant
//!      ([`fit_upright`], [`deskew`]: MNIST practice tempered for a model trained on
//!      slanted digits; the digits of a number are not), then its box is scaled to
//!      fit 20x20 keeping its aspect ratio (anti-aliased:
//!      shrinking averages, enlarging interpolates), with a margin of one output pixel
//!      so faint edges are kept, then placed so its centre of mass falls on the centre
//!      of the 28x28 field (pixel 14, 14, as in MNIST); values 0..255;
//!    - optdigits (the 8x8 set): the box is scaled to fit 32x32 keeping its aspect
//!      ratio, centred, made binary, and the ink pixels of each 4x4 block are counted:
//!      8x8 values 0..16.
//!
//! The number reader uses the same pieces: [`ink::ink_map`], then
//! [`components::find_components`], then [`components::prepare_components`] on the
//! marks it groups into each digit.
//!
//! A picture with no ink (a blank page, an empty canvas) is not an error of the
//! program: [`prepare`] answers [`NoDigit`] with a reason, which callers show as the
//! post's "no digit selected" (`?`).

use std::fmt;

use serde::{Deserialize, Serialize};

pub mod components;
#[cfg(feature = "images")]
mod decode;
pub mod deskew;
mod gray;
pub mod ink;
#[cfg(feature = "images")]
pub use decode::{
    Footprint, LUMA_PEAK_BYTES_PER_PIXEL, MAX_PIXELS, MAX_SIDE, PEAK_BYTES_PER_PIXEL, decode,
    dimensions, footprint, open, too_large,
};
pub use gray::{Gray, PixelCount};

/// How a training set prepared its digits (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::Display)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Style {
    /// 20x20 box in a 28x28 field, centred by centre of mass, values 0..255.
    Mnist,
    /// 32x32 binary box, ink counted per 4x4 block, values 0..16.
    Optdigits,
}

/// What [`prepare`] produces: a style and the network's input shape.
///
/// Other shapes than 28x28 and 8x8 scale the style's proportions: MNIST-style
/// fits the box in 20/28 of the field, optdigits-style counts 4x4 blocks of a
/// binary box four times the shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub style: Style,
    pub height: usize,
    pub width: usize,
}

impl Target {
    /// MNIST's 28x28 convention.
    pub const MNIST: Target = Target {
        style: Style::Mnist,
        height: 28,
        width: 28,
    };
    /// The 8x8 digits' (optdigits') convention.
    pub const OPTDIGITS: Target = Target {
        style: Style::Optdigits,
        height: 8,
        width: 8,
    };

    /// The preparation that matches a data set's images: block counts for values
    /// 0..16 (the 8x8 digits), MNIST-style for anything else.
    pub fn for_input(height: usize, width: usize, pixel_max: f32) -> Target {
        Target::counts_if(pixel_max == 16.0, height, width)
    }

    /// The preparation for images of `height x width` with no other convention to
    /// follow (an image folder): optdigits-style for 8x8, MNIST-style otherwise.
    pub fn for_shape(height: usize, width: usize) -> Target {
        Target::counts_if((height, width) == (8, 8), height, width)
    }

    /// Optdigits-style when `counts`, MNIST-style otherwise.
    fn counts_if(counts: bool, height: usize, width: usize) -> Target {
        let style = if counts {
            Style::Optdigits
        } else {
            Style::Mnist
        };
        Target {
            style,
            height,
            width,
        }
    }

    /// The largest value a prepared pixel takes: 255 (MNIST) or 16 (optdigits).
    pub fn pixel_max(&self) -> f32 {
        match self.style {
            Style::Mnist => 255.0,
            Style::Optdigits => 16.0,
        }
    }

    /// Values per prepared image.
    pub fn features(&self) -> usize {
        self.height * self.width
    }
}

/// Why no digit could be read from a picture (blank, no contrast, no pixels):
/// an answer to show the user (the post's "no digit selected"), not a failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoDigit {
    pub reason: String,
}

impl fmt::Display for NoDigit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no digit: {}", self.reason)
    }
}

impl std::error::Error for NoDigit {}

/// A picture prepared for the network.
#[derive(Clone, Debug, PartialEq)]
pub struct Prepared {
    pub target: Target,
    /// `height * width` values in `0..=target.pixel_max()`, row-major.
    pub pixels: Vec<f32>,
    /// True when the ink was darker than the paper (and the picture was inverted).
    pub dark_ink: bool,
    /// The ink's bounding box in the source picture: `(x, y, width, height)`.
    pub ink_box: (usize, usize, usize, usize),
}

impl Prepared {
    /// The prepared input as a small text picture, one character per value, darker
    /// characters for more ink, so a user can see what the network saw.
    pub fn to_text(&self) -> String {
        const RAMP: &[u8] = b" .:-=+*#%@";
        let max = self.target.pixel_max();
        let mut out = String::with_capacity(self.pixels.len() * 2 + self.target.height);
        for row in self.pixels.chunks_exact(self.target.width) {
            for &v in row {
                let level = ((v / max) * (RAMP.len() - 1) as f32).round() as usize;
                let c = char::from(RAMP[level.min(RAMP.len() - 1)]);
                // Two characters per pixel: terminal cells are about twice as tall as wide.
                out.push(c);
                out.push(c);
            }
            out.push('\n');
        }
        out
    }
}

/// Pictures whose ink differs from the paper by less than this (of the paper's
/// shade) are taken as blank.
pub const MIN_CONTRAST: f32 = 0.1;

/// Optdigits-style boxes are made binary at this level (below 0.5 so that thin
/// pen strokes in large pictures, thinned further by shrinking, are kept).
const BINARY_THRESHOLD: f32 = 0.3;

/// Prepares `image` for a network trained on `target`'s convention: the one
/// preparation shared by `predict`, image folders and the web page.
pub fn prepare(image: &Gray, target: Target) -> Result<Prepared, NoDigit> {
    if image.pixels().iter().all(|&v| v == image.pixels()[0]) && !image.pixels().is_empty() {
        return Err(NoDigit {
            reason: "the picture is blank (every pixel has the same shade)".into(),
        });
    }
    let ink = ink::ink_map(image)?;
    let marks = components::find_components(&ink);
    let digit = components::digit_group(&marks, ink.width.min(ink.height));
    if digit.is_empty() {
        return Err(NoDigit {
            reason: format!(
                "nothing differs from the paper by more than {:.0}% of its shade and the grain",
                100.0 * MIN_CONTRAST
            ),
        });
    }
    components::prepare_single(&ink, &marks, &digit, target)
}

/// Fits the ink in `bbox` of a row-major `values` picture `width` wide to
/// `target`'s convention (see the module docs).
pub fn fit(
    values: &[f32],
    width: usize,
    bbox: (usize, usize, usize, usize),
    target: Target,
) -> Vec<f32> {
    match target.style {
        Style::Mnist => mnist_style(values, width, bbox, target),
        Style::Optdigits => optdigits_style(values, width, bbox, target),
    }
}

/// [`fit`] after straightening MNIST-style ink half way by its moments
/// ([`deskew::straightened`]); optdigits-style ink is fitted as it is, as the
/// 8x8 set's digits were.
pub fn fit_upright(
    values: &[f32],
    width: usize,
    bbox: (usize, usize, usize, usize),
    target: Target,
) -> Vec<f32> {
    if target.style != Style::Mnist {
        return fit(values, width, bbox, target);
    }
    let (upright, upright_width, upright_box) = deskew::straightened(values, width, bbox);
    fit(&upright, upright_width, upright_box, target)
}

/// [`prepare`] for raw grey values, `0` black ..= `255` white, row-major (for
/// example a canvas sent by the web page). Either polarity works.
pub fn prepare_pixels(
    width: usize,
    height: usize,
    values: &[u8],
    target: Target,
) -> Result<Prepared, NoDigit> {
    let pixels = values.iter().map(|&v| f32::from(v) / 255.0).collect();
    let image = Gray::try_new(width, height, pixels).map_err(|e| NoDigit {
        reason: e.to_string(),
    })?;
    prepare(&image, target)
}

/// MNIST's preparation: fit the box in 20/28 of the field keeping the aspect
/// ratio, keep a one-pixel margin, centre by centre of mass; values 0..255.
fn mnist_style(
    ink: &[f32],
    width: usize,
    (x, y, bw, bh): (usize, usize, usize, usize),
    target: Target,
) -> Vec<f32> {
    let fit_h = (target.height as f32 * 20.0 / 28.0).max(1.0);
    let fit_w = (target.width as f32 * 20.0 / 28.0).max(1.0);
    let scale = (fit_h / bh as f32).min(fit_w / bw as f32);
    // One output pixel of margin, in source pixels.
    let margin = (1.0 / scale).ceil() as isize;
    let (cw, ch) = (bw + 2 * margin as usize, bh + 2 * margin as usize);
    let patch = crop(ink, width, x as isize - margin, y as isize - margin, cw, ch);
    let ow = ((cw as f32 * scale).round() as usize).clamp(1, target.width);
    let oh = ((ch as f32 * scale).round() as usize).clamp(1, target.height);
    let small = resize(&patch, cw, ch, ow, oh);
    let (cx, cy) = centre_of_mass(&small, ow);
    let left = (target.width as f32 / 2.0 - cx).round() as isize;
    let top = (target.height as f32 / 2.0 - cy).round() as isize;
    let mut field = place(&small, ow, left, top, target.width, target.height);
    field
        .iter_mut()
        .for_each(|v| *v = (*v * 255.0).clamp(0.0, 255.0));
    field
}

/// The 8x8 digits' preparation: fit the box in a binary field four times the
/// shape, centred, and count the ink pixels of every 4x4 block (0..16).
fn optdigits_style(
    ink: &[f32],
    width: usize,
    (x, y, bw, bh): (usize, usize, usize, usize),
    target: Target,
) -> Vec<f32> {
    let (fw, fh) = (4 * target.width, 4 * target.height);
    let scale = (fh as f32 / bh as f32).min(fw as f32 / bw as f32);
    let patch = crop(ink, width, x as isize, y as isize, bw, bh);
    let ow = ((bw as f32 * scale).round() as usize).clamp(1, fw);
    let oh = ((bh as f32 * scale).round() as usize).clamp(1, fh);
    let small = resize(&patch, bw, bh, ow, oh);
    let left = ((fw - ow) / 2) as isize;
    let top = ((fh - oh) / 2) as isize;
    let field = place(&small, ow, left, top, fw, fh);
    let mut counts = vec![0.0; target.features()];
    for (i, _) in field
        .iter()
        .enumerate()
        .filter(|(_, v)| **v > BINARY_THRESHOLD)
    {
        let (fx, fy) = (i % fw, i / fw);
        counts[(fy / 4) * target.width + fx / 4] += 1.0;
    }
    counts
}

/// The `cw x ch` window of `src` (row-major, `width` wide) whose top-left corner
/// is at `(x, y)`; parts outside `src` are paper (0).
fn crop(src: &[f32], width: usize, x: isize, y: isize, cw: usize, ch: usize) -> Vec<f32> {
    let height = (src.len() / width) as isize;
    let mut out = vec![0.0; cw * ch];
    for (r, row) in out.chunks_exact_mut(cw).enumerate() {
        let sy = y + r as isize;
        if !(0..height).contains(&sy) {
            continue;
        }
        for (c, v) in row.iter_mut().enumerate() {
            let sx = x + c as isize;
            if (0..width as isize).contains(&sx) {
                *v = src[sy as usize * width + sx as usize];
            }
        }
    }
    out
}

/// Places a patch `w` wide with its top-left corner at `(left, top)` in a blank
/// `fw x fh` field; what falls outside is dropped. (The field is the window of
/// the patch that starts at `(-left, -top)`.)
fn place(patch: &[f32], w: usize, left: isize, top: isize, fw: usize, fh: usize) -> Vec<f32> {
    crop(patch, w, -left, -top, fw, fh)
}

/// The centre of mass `(x, y)` of a row-major patch in pixel indices. MNIST
/// digits have theirs at index (14, 14) of the 28x28 field on average (measured
/// on the test set), so the field's centre is `width / 2` in the same units.
fn centre_of_mass(patch: &[f32], width: usize) -> (f32, f32) {
    let (mut sum, mut sx, mut sy) = (0.0f64, 0.0f64, 0.0f64);
    for (i, &v) in patch.iter().enumerate() {
        let v = f64::from(v);
        sum += v;
        sx += v * (i % width) as f64;
        sy += v * (i / width) as f64;
    }
    if sum == 0.0 {
        let height = patch.len() / width;
        return (width as f32 / 2.0, height as f32 / 2.0);
    }
    ((sx / sum) as f32, (sy / sum) as f32)
}

/// Resamples a `w x h` picture to `ow x oh`, separably: shrinking averages the
/// source area each output pixel covers (anti-aliasing), enlarging interpolates
/// linearly.
///
/// Why not `image::imageops`: it needs the `image` crate, which the preparation of
/// raw pixels does not, and it reads no better. Fitting digits with its `resize`
/// (Triangle, CatmullRom or Lanczos3) instead scores the same within a photo or two
/// (2,000 photos of held-out training digits: 96.60% with this one, 96.70%,
/// 96.65%, 96.75%; the 5,000 clean held-out digits: 99.04% with all four), and its
/// `thumbnail` is not meant for `f32` pictures (43%).
pub fn resize(src: &[f32], w: usize, h: usize, ow: usize, oh: usize) -> Vec<f32> {
    let wide = resize_rows(src, w, h, ow);
    let tall = resize_rows(&transpose(&wide, ow, h), h, ow, oh);
    transpose(&tall, oh, ow)
}

/// Resamples every row of a `w x h` picture to `ow` values.
fn resize_rows(src: &[f32], w: usize, h: usize, ow: usize) -> Vec<f32> {
    let taps = taps(w, ow);
    let mut out = Vec::with_capacity(ow * h);
    for row in src.chunks_exact(w).take(h) {
        out.extend(taps.iter().map(|(start, weights)| {
            weights
                .iter()
                .zip(&row[*start..])
                .map(|(wt, v)| wt * v)
                .sum::<f32>()
        }));
    }
    out
}

/// For each of `n_out` outputs, the first source index and the weights (summing
/// to 1) of the source values it mixes.
fn taps(n_in: usize, n_out: usize) -> Vec<(usize, Vec<f32>)> {
    let scale = n_out as f32 / n_in as f32;
    (0..n_out)
        .map(|o| {
            if scale <= 1.0 {
                area_taps(o, scale, n_in)
            } else {
                linear_taps(o, scale, n_in)
            }
        })
        .collect()
}

/// Output `o` covers source `[o/scale, (o+1)/scale)`: each source pixel weighs
/// the part of it that lies inside.
fn area_taps(o: usize, scale: f32, n_in: usize) -> (usize, Vec<f32>) {
    let (a, b) = (o as f32 / scale, ((o + 1) as f32 / scale).min(n_in as f32));
    let lo = (a.floor() as usize).min(n_in - 1);
    let hi = (b.ceil() as usize).clamp(lo + 1, n_in);
    let weights: Vec<f32> = (lo..hi)
        .map(|i| ((i + 1) as f32).min(b) - (i as f32).max(a))
        .map(|w| w.max(0.0))
        .collect();
    normalised(lo, weights)
}

/// Output `o`'s centre maps between two source centres: mix them linearly.
fn linear_taps(o: usize, scale: f32, n_in: usize) -> (usize, Vec<f32>) {
    let centre = ((o as f32 + 0.5) / scale - 0.5).clamp(0.0, (n_in - 1) as f32);
    let lo = (centre.floor() as usize).min(n_in.saturating_sub(2));
    let t = centre - lo as f32;
    if n_in == 1 {
        return (0, vec![1.0]);
    }
    (lo, vec![1.0 - t, t])
}

/// Scales `weights` to sum to 1 (the nearest pixel alone if they sum to 0).
fn normalised(lo: usize, mut weights: Vec<f32>) -> (usize, Vec<f32>) {
    let total: f32 = weights.iter().sum();
    if total > 0.0 {
        weights.iter_mut().for_each(|w| *w /= total);
        (lo, weights)
    } else {
        (lo, vec![1.0])
    }
}

/// The transpose of a row-major `w x h` picture (so it becomes `h x w`).
fn transpose(src: &[f32], w: usize, h: usize) -> Vec<f32> {
    let mut out = vec![0.0; w * h];
    for y in 0..h {
        for x in 0..w {
            out[x * h + y] = src[y * w + x];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `w x h` white page with black rectangles `(x, y, width, height)` drawn on it.
    fn page(w: usize, h: usize, rects: &[(usize, usize, usize, usize)]) -> Gray {
        let mut pixels = vec![1.0; w * h];
        for &(x, y, rw, rh) in rects {
            for row in y..y + rh {
                pixels[row * w + x..row * w + x + rw].fill(0.0);
            }
        }
        Gray::new(w, h, pixels)
    }

    fn inverted(g: &Gray) -> Gray {
        g.map(|v| 1.0 - v)
    }

    /// An "L": a tall bar and a foot, so the centre of mass is off the box's centre.
    fn ell(x: usize, y: usize) -> [(usize, usize, usize, usize); 2] {
        [(x, y, 30, 200), (x, y + 170, 120, 30)]
    }

    #[test]
    fn a_blank_page_has_no_digit() {
        let err = prepare(&page(50, 40, &[]), Target::MNIST).unwrap_err();
        assert!(err.reason.contains("blank"), "{err}");
    }

    #[test]
    fn faint_marks_below_the_contrast_floor_are_not_ink() {
        let mut g = page(50, 40, &[]);
        g.pixels_mut()[10 * 50 + 10] = 0.95;
        let err = prepare(&g, Target::OPTDIGITS).unwrap_err();
        assert!(err.reason.contains("differs from the paper"), "{err}");
    }

    #[test]
    fn dark_on_light_and_light_on_dark_give_the_same_input() {
        let g = page(400, 300, &ell(40, 50));
        let dark = prepare(&g, Target::MNIST).unwrap();
        let light = prepare(&inverted(&g), Target::MNIST).unwrap();
        assert!(dark.dark_ink && !light.dark_ink);
        assert_eq!(dark.pixels, light.pixels);
    }

    #[test]
    fn position_and_margins_do_not_matter() {
        let near = prepare(&page(400, 300, &ell(40, 50)), Target::MNIST).unwrap();
        let far = prepare(&page(900, 700, &ell(600, 420)), Target::MNIST).unwrap();
        assert_eq!(near.ink_box, (40, 50, 120, 200));
        assert_eq!(far.ink_box, (600, 420, 120, 200));
        // The paper's estimate differs by rounding between the two pages.
        let worst = near
            .pixels
            .iter()
            .zip(&far.pixels)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(worst < 0.01, "{worst}");
    }

    #[test]
    fn mnist_style_fits_20_pixels_keeping_the_aspect_and_centres_the_mass() {
        // A 200 x 100 (tall) solid bar becomes 20 x 10 of full ink.
        let p = prepare(&page(300, 300, &[(100, 50, 100, 200)]), Target::MNIST).unwrap();
        let full: Vec<usize> = (0..784).filter(|&i| p.pixels[i] > 254.0).collect();
        assert_eq!(full.len(), 200, "{}", p.to_text());
        let rows: Vec<usize> = full.iter().map(|i| i / 28).collect();
        let cols: Vec<usize> = full.iter().map(|i| i % 28).collect();
        assert_eq!(rows[rows.len() - 1] - rows[0], 19);
        assert_eq!(cols.iter().max().unwrap() - cols.iter().min().unwrap(), 9);
        assert!(p.pixels.iter().all(|&v| (0.0..=255.0).contains(&v)));
        let (cx, cy) = centre_of_mass(&p.pixels, 28);
        assert!(
            (cx - 14.0).abs() <= 0.5 && (cy - 14.0).abs() <= 0.5,
            "{cx} {cy}"
        );
    }

    #[test]
    fn optdigits_style_counts_ink_per_4x4_block() {
        // A solid square fills the 32x32 field: every block counts 16.
        let square = prepare(&page(90, 90, &[(20, 20, 40, 40)]), Target::OPTDIGITS).unwrap();
        assert_eq!(square.pixels, vec![16.0; 64]);
        // A bar 1/4 as wide as it is tall: 8 of the 32 columns, centred (12..20),
        // so block columns 3 and 4 are full and the rest empty.
        let bar = prepare(&page(90, 90, &[(30, 10, 16, 64)]), Target::OPTDIGITS).unwrap();
        for (i, &v) in bar.pixels.iter().enumerate() {
            let expected = if matches!(i % 8, 3 | 4) { 16.0 } else { 0.0 };
            assert_eq!(v, expected, "block {i}:\n{}", bar.to_text());
        }
    }

    #[test]
    fn raw_pixels_go_through_the_same_preparation() {
        let g = page(60, 60, &[(5, 5, 6, 40), (5, 39, 24, 6)]);
        let bytes: Vec<u8> = g.pixels().iter().map(|&v| (v * 255.0) as u8).collect();
        let raw = prepare_pixels(60, 60, &bytes, Target::MNIST).unwrap();
        assert_eq!(raw, prepare(&g, Target::MNIST).unwrap());
        let err = prepare_pixels(60, 59, &bytes, Target::MNIST).unwrap_err();
        assert!(err.reason.contains("3600 values"), "{err}");
    }

    #[test]
    fn shrinking_averages_and_enlarging_interpolates() {
        let stripes: Vec<f32> = (0..16).map(|i| (i % 2) as f32).collect();
        let half = resize(&stripes, 16, 1, 8, 1);
        assert!(
            half[1..7].iter().all(|&v| (v - 0.5).abs() < 1e-6),
            "{half:?}"
        );
        let ramp = resize(&[0.0, 1.0], 2, 1, 4, 1);
        assert_eq!(ramp, vec![0.0, 0.25, 0.75, 1.0]);
        assert_eq!(resize(&[0.3; 6], 3, 2, 7, 5), vec![0.3; 35]);
    }

    #[test]
    fn text_picture_marks_ink() {
        let p = prepare(&page(90, 90, &[(20, 20, 40, 40)]), Target::OPTDIGITS).unwrap();
        let text = p.to_text();
        assert_eq!(text.lines().count(), 8);
        assert!(text.lines().all(|l| l == "@".repeat(16)));
    }

    #[test]
    fn target_follows_the_pixel_scale() {
        assert_eq!(Target::for_input(8, 8, 16.0), Target::OPTDIGITS);
        assert_eq!(Target::for_input(28, 28, 255.0), Target::MNIST);
        assert_eq!(Target::MNIST.pixel_max(), 255.0);
        assert_eq!(Target::for_shape(8, 8), Target::OPTDIGITS);
        assert_eq!(Target::for_shape(16, 16).style, Style::Mnist);
    }
}
