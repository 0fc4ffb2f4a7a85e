//! Seeded photos of handwritten digits, made from MNIST digits, for measuring how
//! well pictures are read (feature `images`: the photos are JPEG files).
//!
//! Each photo has the conditions of a phone photo of a digit on paper: paper of
//! some colour (white, grey, cream, coloured, or a dark board with light ink),
//! a brightness gradient of up to ±15% across the page and a soft shadow near one
//! edge, grain (Gaussian, up to 10 grey levels), pens from a thin ballpoint to a
//! thick marker, the digit anywhere and 15-70% of the frame's height, rotated up
//! to ±15 degrees, specks of dust away from it, odd frame sizes, colour or grey,
//! saved as JPEG of quality 60 to 95.
//!
//! [`single`] makes the photo of one digit; [`number`] lays 2 or more digits out
//! in a row as a person writes them (varying gaps, sizes and baseline, boxes that
//! may overlap but strokes that do not). Both answer the JPEG file with each
//! digit's label and box. The same seed gives the same photos.

mod render;

use image::ExtendedColorType;
use image::codecs::jpeg::JpegEncoder;
use rand::{Rng, RngExt};

use render::{Canvas, Scene, Stroke};

/// A box `(x, y, width, height)` in the photo's pixels.
pub type PixelBox = (usize, usize, usize, usize);

/// One digit drawn in a photo.
#[derive(Clone, Debug, PartialEq)]
pub struct Placed {
    /// The digit.
    pub label: u8,
    /// The box of its strokes in the photo.
    pub bbox: PixelBox,
}

/// A generated photo.
#[derive(Clone, Debug)]
pub struct Photo {
    /// The JPEG file.
    pub jpeg: Vec<u8>,
    pub width: usize,
    pub height: usize,
    /// The digits, left to right.
    pub digits: Vec<Placed>,
    /// The JPEG quality it was saved with.
    pub quality: u8,
    /// True when it was saved in colour (false: greyscale).
    pub colour: bool,
}

/// The range of frame sizes (both sides, in pixels) to draw photos from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    /// The shortest side a photo may have.
    pub min_side: usize,
    /// The longest side a photo may have.
    pub max_side: usize,
}

impl Frame {
    /// Phone photos scaled for the web: 200 to 1000 pixels a side.
    pub const DEFAULT: Frame = Frame {
        min_side: 200,
        max_side: 1000,
    };

    /// Width and height drawn at random (aspect ratio between 3:5 and 5:3, or
    /// wider for `wide` rows of digits).
    fn draw(&self, wide: bool, rng: &mut impl Rng) -> (usize, usize) {
        let (lo, hi) = (
            self.min_side.max(16),
            self.max_side.max(self.min_side.max(16)),
        );
        let h = rng.random_range(lo..=hi);
        let aspect = if wide {
            rng.random_range(1.5f32..3.0)
        } else {
            rng.random_range(0.6f32..1.67)
        };
        let w = ((h as f32 * aspect).round() as usize).clamp(lo, hi.max(lo));
        (w, h)
    }
}

/// The photo of one MNIST digit (`pixels`: 28x28 values 0..255, `label` its digit).
pub fn single(pixels: &[f32], label: u8, frame: Frame, rng: &mut impl Rng) -> Photo {
    let (w, h) = frame.draw(false, rng);
    single_sized(pixels, label, (w, h), rng)
}

/// [`single`] in a frame of exactly `width x height` pixels.
pub fn single_sized(
    pixels: &[f32],
    label: u8,
    (width, height): (usize, usize),
    rng: &mut impl Rng,
) -> Photo {
    single_with(pixels, label, (width, height), None, rng)
}

/// [`single_sized`] with a chosen grain (standard deviation in grey levels) and
/// JPEG quality, `(grain, quality)`: heavy grain at a high quality makes the
/// largest file for its size, the slowest to decode.
pub fn single_with(
    pixels: &[f32],
    label: u8,
    (width, height): (usize, usize),
    grain_and_quality: Option<(f32, u8)>,
    rng: &mut impl Rng,
) -> Photo {
    let mut scene = Scene::draw(width, height, rng);
    if let Some((grain, quality)) = grain_and_quality {
        scene.grain = grain / 255.0;
        scene.quality = Some(quality);
    }
    let mut canvas = Canvas::new(width, height);
    let stroke = Stroke::draw(pixels, rng);
    let fraction = rng.random_range(0.15f32..0.7);
    let scale = stroke.fit_scale(fraction * height as f32, 0.9 * width as f32);
    let angle = rng.random_range(-15f32..15.0).to_radians();
    let (sw, sh) = stroke.rotated_extent(scale, angle);
    let cx = place(sw, width, rng);
    let cy = place(sh, height, rng);
    let bbox = canvas.draw(&stroke, scale, angle, (cx, cy));
    canvas.specks(&[bbox], scene.ink_scale(), rng);
    finish(&scene, &canvas, vec![Placed { label, bbox }], rng)
}

/// A centre for an extent `size` inside `side`, with a small margin.
fn place(size: f32, side: usize, rng: &mut impl Rng) -> f32 {
    let margin = 0.02 * side as f32 + size / 2.0;
    let hi = (side as f32 - margin).max(margin + 1e-3);
    rng.random_range(margin.min(hi - 1e-3)..hi)
}

/// The photo of a row of MNIST digits (`digits`: 28x28 values 0..255 and the
/// label of each), laid out as a person writes a number.
pub fn number(digits: &[(&[f32], u8)], frame: Frame, rng: &mut impl Rng) -> Photo {
    let (width, height) = frame.draw(true, rng);
    let scene = Scene::draw(width, height, rng);
    let mut canvas = Canvas::new(width, height);
    let strokes: Vec<Stroke> = digits.iter().map(|(p, _)| Stroke::draw(p, rng)).collect();
    let sizes: Vec<f32> = digits
        .iter()
        .map(|_| rng.random_range(0.85f32..1.1))
        .collect();
    let gaps: Vec<f32> = digits
        .iter()
        .map(|_| rng.random_range(-0.08f32..0.45))
        .collect();
    let tilt = rng.random_range(-6f32..6.0).to_radians();
    // The row's length in units of the digit height, to fit the frame.
    let row: f32 = strokes
        .iter()
        .zip(&sizes)
        .zip(&gaps)
        .map(|((s, k), g)| k * s.aspect() + g)
        .sum();
    let fraction = rng.random_range(0.15f32..0.5);
    let unit = (fraction * height as f32).min(0.9 * width as f32 / row.max(0.1));
    let mut x = place(row * unit, width, rng) - row * unit / 2.0;
    let y0 = place(unit * 1.2, height, rng);
    let mut placed = Vec::new();
    let mut boxes = Vec::new();
    for (i, stroke) in strokes.iter().enumerate() {
        let scale = stroke.fit_scale(sizes[i] * unit, f32::INFINITY);
        let angle = tilt + rng.random_range(-5f32..5.0).to_radians();
        let half = stroke.rotated_extent(scale, angle).0 / 2.0;
        let wobble = rng.random_range(-0.06f32..0.06) * unit;
        let mut cx = x + half;
        let cy = y0 + (cx - width as f32 / 2.0) * tilt.tan() + wobble;
        // Boxes may overlap, strokes may not: slide right until they are clear.
        for _ in 0..40 {
            if !canvas.would_touch(stroke, scale, angle, (cx, cy)) {
                break;
            }
            cx += 0.03 * unit;
        }
        let bbox = canvas.draw(stroke, scale, angle, (cx, cy));
        boxes.push(bbox);
        placed.push(Placed {
            label: digits[i].1,
            bbox,
        });
        x = cx + half + gaps[i] * unit;
    }
    canvas.specks(&boxes, scene.ink_scale(), rng);
    finish(&scene, &canvas, placed, rng)
}

/// Lights, colours, grains and encodes the drawn canvas.
fn finish(scene: &Scene, canvas: &Canvas, digits: Vec<Placed>, rng: &mut impl Rng) -> Photo {
    let colour = rng.random_bool(0.7);
    let quality = rng.random_range(60u8..=95);
    let quality = scene.quality.unwrap_or(quality);
    let rgb = scene.shade(canvas, rng);
    let (width, height) = (canvas.width, canvas.height);
    let (bytes, kind) = if colour {
        (rgb, ExtendedColorType::Rgb8)
    } else {
        let grey = rgb
            .chunks_exact(3)
            .map(|p| {
                let l = 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]);
                l.round().clamp(0.0, 255.0) as u8
            })
            .collect();
        (grey, ExtendedColorType::L8)
    };
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, quality)
        .encode(&bytes, width as u32, height as u32, kind)
        .expect("encoding a JPEG into memory does not fail");
    Photo {
        jpeg,
        width,
        height,
        digits,
        quality,
        colour,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;

    /// A 28x28 "1": a vertical bar of full ink, 20 pixels tall, with MNIST's margins.
    fn one() -> Vec<f32> {
        let mut p = vec![0.0; 784];
        for y in 4..24 {
            p[y * 28 + 13..y * 28 + 15].fill(255.0);
        }
        p
    }

    fn decoded(photo: &Photo) -> image::GrayImage {
        image::load_from_memory(&photo.jpeg).unwrap().to_luma8()
    }

    #[test]
    fn a_single_photo_holds_the_digit_in_its_box() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        for _ in 0..8 {
            let photo = single(&one(), 1, Frame::DEFAULT, &mut rng);
            let img = decoded(&photo);
            assert_eq!(
                (img.width() as usize, img.height() as usize),
                (photo.width, photo.height)
            );
            let (x, y, w, h) = photo.digits[0].bbox;
            assert!(x + w <= photo.width && y + h <= photo.height);
            let frac = h as f32 / photo.height as f32;
            assert!((0.13..0.75).contains(&frac), "{frac}");
            // The box's middle differs from the paper in the corner far more than grain.
            let mid = f32::from(img.get_pixel((x + w / 2) as u32, (y + h / 2) as u32).0[0]);
            let ring: Vec<f32> = (0..photo.width.min(photo.height) as u32 / 20)
                .map(|i| f32::from(img.get_pixel(i, i).0[0]))
                .collect();
            let paper = ring.iter().sum::<f32>() / ring.len() as f32;
            assert!((mid - paper).abs() > 40.0, "ink {mid} paper {paper}");
        }
    }

    #[test]
    fn photos_are_seeded() {
        let make = |seed| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            single(&one(), 1, Frame::DEFAULT, &mut rng).jpeg
        };
        assert_eq!(make(5), make(5));
        assert_ne!(make(5), make(6));
    }

    #[test]
    fn a_number_lays_its_digits_left_to_right_without_touching() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
        let d = one();
        for n in 2..=6 {
            let digits: Vec<(&[f32], u8)> = (0..n).map(|i| (&d[..], i as u8)).collect();
            let photo = number(&digits, Frame::DEFAULT, &mut rng);
            assert_eq!(photo.digits.len(), n);
            for pair in photo.digits.windows(2) {
                let (a, b) = (pair[0].bbox, pair[1].bbox);
                assert!(b.0 + b.2 / 2 > a.0 + a.2, "{a:?} then {b:?}");
                assert_eq!(pair[1].label, pair[0].label + 1);
            }
            let last = photo.digits[n - 1].bbox;
            assert!(last.0 + last.2 <= photo.width);
        }
    }
}
