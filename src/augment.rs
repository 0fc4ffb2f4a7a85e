//! Seeded random distortions of training images ("data augmentation"): small
//! shifts, rotations and scalings plus an elastic distortion, the recipe with which
//! Simard et al. (2003) brought one hidden layer to 99.3% on MNIST.
//!
//! Each training image is distorted afresh every time it is drawn into a batch, so
//! the data stays one copy in memory; only the batch being gathered is changed.
//!
//! Every output pixel `p` reads the source at `A (p - c) + c + t + e(p)`, with `c`
//! the image centre, `A` the inverse of a random rotation and scaling, `t` a random
//! shift and `e` a smooth random displacement field, sampled bilinearly (zero
//! outside the image). Simard's elastic field is white noise smoothed by a Gaussian;
//! here the same kind of smooth field is drawn more cheaply as random displacements
//! on a coarse grid of control points (one every [`ELASTIC_SPACING`] pixels),
//! interpolated bilinearly.
//!
//! The photo settings ([`Augment::photo`]) then change what a photographed digit
//! changes once it is prepared: the stroke width (pens from a thin ballpoint to a
//! marker: a grey dilation or erosion, [`stroke`]), the sharpness (focus, JPEG and
//! shrinking a large picture: a Gaussian blur, [`blur`]) and the grain (sensor noise
//! and paper texture that survive the preparation: Gaussian noise, [`add_noise`]).

use rand::{Rng, RngExt};
use serde::Serialize;

use crate::error::{Error, Result};

/// Pixels between two control points of the elastic field (Simard's sigma of 4
/// pixels correlates displacements over about this distance).
pub const ELASTIC_SPACING: f32 = 7.0;

/// How strongly to distort: each setting is the largest value drawn (uniformly,
/// in both directions); 0 turns that distortion off.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Augment {
    /// Shift along each axis, in pixels.
    pub max_shift: f32,
    /// Rotation, in degrees.
    pub max_rotation: f32,
    /// Relative change of size, e.g. 0.1 for 90%..110%.
    pub max_scale: f32,
    /// Displacement of each elastic control point along each axis, in pixels.
    pub elastic: f32,
    /// Change of the stroke width, in pixels on each side: positive thickens,
    /// negative thins; fractions of a pixel blend with the unchanged image.
    pub stroke: f32,
    /// Standard deviation of a Gaussian blur, in pixels (drawn in `0..blur`).
    pub blur: f32,
    /// Standard deviation of additive Gaussian noise, as a fraction of the image's
    /// brightest pixel (drawn in `0..noise`).
    pub noise: f32,
}

/// Which distortions `--augment` applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Kind {
    /// Shifts, rotations, scalings and the elastic field.
    Shapes,
    /// The shapes' distortions plus stroke width, blur and noise, as a photo's
    /// preparation does (sized for 28x28 digits).
    ///
    /// Their sizes: [`Augment::with_photo`].
    Photo,
}

impl Augment {
    /// Settings for 28x28 digits: 2 px shifts, 10 degree rotations, 10% scaling and
    /// elastic displacements of up to 2 px (about 1.2 px standard deviation, close to
    /// Simard's alpha 34 / sigma 4 field), mild enough that every digit stays legible.
    pub fn mnist() -> Self {
        Augment {
            max_shift: 2.0,
            max_rotation: 10.0,
            max_scale: 0.1,
            elastic: 2.0,
            stroke: 0.0,
            blur: 0.0,
            noise: 0.0,
        }
    }

    /// [`Augment::mnist`] plus what a photo's preparation does to a 28x28 digit
    /// (see [`Augment::with_photo`]).
    pub fn photo() -> Self {
        Augment::mnist().with_photo()
    }

    /// These settings plus the photo distortions, sized for 28x28 digits whose
    /// strokes are 2 to 3 pixels wide: strokes from one pixel thinner on each side
    /// (a fine pen: about one pixel wide, fainter) to one thicker (a marker: 4 to 5
    /// pixels), blur up to a standard deviation of 1 pixel, and noise up to 8% of
    /// the ink's strength.
    pub fn with_photo(self) -> Self {
        Augment {
            stroke: 1.0,
            blur: 1.0,
            noise: 0.08,
            ..self
        }
    }

    /// Settings for the 8x8 digits, whose pixels are 4x4 blocks of the original
    /// bitmaps: the same rotations and scalings, shifts and elastic moves of half a pixel.
    pub fn digits() -> Self {
        Augment {
            max_shift: 0.5,
            elastic: 0.5,
            ..Augment::mnist()
        }
    }

    /// Checks that every setting is finite and not negative, and that scaling stays below 100%.
    pub fn validate(&self) -> Result<()> {
        let fields = [
            ("shift", self.max_shift),
            ("rotation", self.max_rotation),
            ("scale", self.max_scale),
            ("elastic", self.elastic),
            ("stroke", self.stroke),
            ("blur", self.blur),
            ("noise", self.noise),
        ];
        for (name, v) in fields {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(Error::config(format!(
                    "invalid augmentation {name} {v}, which should be a number of at least 0"
                )));
            }
        }
        if self.max_scale >= 1.0 {
            return Err(Error::config(format!(
                "invalid augmentation scale {}, which should be below 1, e.g. 0.1",
                self.max_scale
            )));
        }
        if self.stroke > MAX_STROKE || self.blur > MAX_BLUR {
            let given = format!("stroke {} or blur {}", self.stroke, self.blur);
            return Err(Error::config(format!(
                "invalid augmentation {given}: at most {MAX_STROKE} and {MAX_BLUR} pixels"
            )));
        }
        Ok(())
    }
}

/// The largest stroke change [`Augment::validate`] accepts, in pixels per side.
pub const MAX_STROKE: f32 = 3.0;

/// The largest blur [`Augment::validate`] accepts (its kernel reaches 3 sigma).
pub const MAX_BLUR: f32 = 3.0;

/// Distorts images of one shape; keeps its small buffers between calls.
#[derive(Clone, Debug)]
pub struct Distorter {
    settings: Augment,
    height: usize,
    width: usize,
    /// Control points per axis of the elastic field.
    grid: (usize, usize),
    /// Displacements (dy, dx) at each control point, row-major.
    field: Vec<(f32, f32)>,
    /// Scratch image for the photo distortions.
    scratch: Vec<f32>,
}

impl Distorter {
    /// A distorter for `height x width` images.
    pub fn new(settings: Augment, (height, width): (usize, usize)) -> Self {
        let points = |n: usize| ((n as f32 - 1.0) / ELASTIC_SPACING).ceil().max(1.0) as usize + 1;
        let grid = (points(height), points(width));
        Distorter {
            settings,
            height,
            width,
            grid,
            field: vec![(0.0, 0.0); grid.0 * grid.1],
            scratch: vec![0.0; height * width],
        }
    }

    /// Writes a randomly distorted copy of `src` into `dst` (both `height x width`).
    pub fn distort(&mut self, src: &[f32], dst: &mut [f32], rng: &mut impl Rng) {
        let s = self.settings;
        let mut sym = |max: f32| max * (2.0 * rng.random::<f32>() - 1.0);
        let affine = Affine {
            degrees: sym(s.max_rotation),
            scale: 1.0 + sym(s.max_scale),
            shift: (sym(s.max_shift), sym(s.max_shift)),
        };
        if s.elastic > 0.0 {
            for point in &mut self.field {
                *point = (sym(s.elastic), sym(s.elastic));
            }
        }
        self.warp(src, dst, affine);
        self.photo(src, dst, rng);
    }

    /// Applies the photo distortions to `dst` in place: stroke width, blur, noise.
    /// Draws nothing from `rng` when they are all off, so the shape distortions
    /// alone give the same images as before the photo settings existed.
    fn photo(&mut self, src: &[f32], dst: &mut [f32], rng: &mut impl Rng) {
        let s = self.settings;
        let size = (self.height, self.width);
        if s.stroke > 0.0 {
            let change = s.stroke * (2.0 * rng.random::<f32>() - 1.0);
            stroke(dst, &mut self.scratch, size, change);
        }
        if s.blur > 0.0 {
            let sigma = s.blur * rng.random::<f32>();
            blur(dst, &mut self.scratch, size, sigma);
        }
        if s.noise > 0.0 {
            let brightest = src.iter().fold(0.0f32, |m, &v| m.max(v));
            let sd = s.noise * rng.random::<f32>() * brightest;
            add_noise(dst, sd, brightest, rng);
        }
    }

    /// Resamples `src` into `dst` through `affine` and the current elastic field.
    fn warp(&self, src: &[f32], dst: &mut [f32], affine: Affine) {
        let (h, w) = (self.height, self.width);
        assert!(
            src.len() == h * w && dst.len() == h * w,
            "image is not {h}x{w}"
        );
        // Inverse map: output -> source, rotate by -angle and divide by scale.
        let (sin, cos) = affine.degrees.to_radians().sin_cos();
        let (a, b) = (cos / affine.scale, sin / affine.scale);
        let (cy, cx) = ((h as f32 - 1.0) / 2.0, (w as f32 - 1.0) / 2.0);
        for i in 0..h {
            for j in 0..w {
                let (y, x) = (i as f32 - cy, j as f32 - cx);
                let (ey, ex) = self.elastic_at(i, j);
                let sy = a * y - b * x + cy + affine.shift.0 + ey;
                let sx = b * y + a * x + cx + affine.shift.1 + ex;
                dst[i * w + j] = bilinear(src, h, w, sy, sx);
            }
        }
    }

    /// The elastic displacement at pixel `(i, j)`, interpolated from the control points.
    fn elastic_at(&self, i: usize, j: usize) -> (f32, f32) {
        if self.settings.elastic == 0.0 {
            return (0.0, 0.0);
        }
        let (gh, gw) = self.grid;
        let u = i as f32 / ELASTIC_SPACING;
        let v = j as f32 / ELASTIC_SPACING;
        let (r, c) = ((u as usize).min(gh - 2), (v as usize).min(gw - 2));
        let (fu, fv) = (u - r as f32, v - c as f32);
        let at = |r: usize, c: usize| self.field[r * gw + c];
        let mix =
            |p: (f32, f32), q: (f32, f32), t: f32| (p.0 + (q.0 - p.0) * t, p.1 + (q.1 - p.1) * t);
        let top = mix(at(r, c), at(r, c + 1), fv);
        let bottom = mix(at(r + 1, c), at(r + 1, c + 1), fv);
        mix(top, bottom, fu)
    }
}

/// One draw of the global transformation.
#[derive(Clone, Copy, Debug)]
struct Affine {
    degrees: f32,
    scale: f32,
    /// (rows, columns), in pixels.
    shift: (f32, f32),
}

/// The image `src` (`h x w`) at the real position `(y, x)`, bilinearly
/// interpolated, 0 outside.
fn bilinear(src: &[f32], h: usize, w: usize, y: f32, x: f32) -> f32 {
    let (y0, x0) = (y.floor(), x.floor());
    let (fy, fx) = (y - y0, x - x0);
    let (y0, x0) = (y0 as isize, x0 as isize);
    let at = |r: isize, c: isize| {
        if r >= 0 && c >= 0 && (r as usize) < h && (c as usize) < w {
            src[r as usize * w + c as usize]
        } else {
            0.0
        }
    };
    let top = at(y0, x0) * (1.0 - fx) + at(y0, x0 + 1) * fx;
    let bottom = at(y0 + 1, x0) * (1.0 - fx) + at(y0 + 1, x0 + 1) * fx;
    top * (1.0 - fy) + bottom * fy
}

/// Thickens (`change > 0`) or thins (`change < 0`) the strokes of `img` by
/// `|change|` pixels on each side: whole pixels by repeated grey dilation (the
/// largest value of each pixel's 3x3 neighbourhood) or erosion (the smallest), the
/// last fraction blended linearly with the image before it. `scratch` is as large
/// as `img`.
pub fn stroke(img: &mut [f32], scratch: &mut [f32], size: (usize, usize), change: f32) {
    let thicken = change > 0.0;
    let mut left = change.abs();
    while left > 0.0 {
        let step = left.min(1.0);
        morph(img, scratch, size, thicken);
        for (v, &m) in img.iter_mut().zip(scratch.iter()) {
            *v += (m - *v) * step;
        }
        left -= step;
    }
}

/// Grey dilation (`max`) or erosion (`!max`) of `src` with a 3x3 square into
/// `dst`; outside the image counts as background (0).
fn morph(src: &[f32], dst: &mut [f32], (h, w): (usize, usize), max: bool) {
    for i in 0..h {
        for j in 0..w {
            let mut best = src[i * w + j];
            for r in i.saturating_sub(1)..=(i + 1).min(h - 1) {
                for c in j.saturating_sub(1)..=(j + 1).min(w - 1) {
                    let v = src[r * w + c];
                    best = if max { best.max(v) } else { best.min(v) };
                }
            }
            // Erosion at the border: the background outside is 0.
            let at_border = i == 0 || j == 0 || i + 1 == h || j + 1 == w;
            dst[i * w + j] = if !max && at_border { 0.0 } else { best };
        }
    }
}

/// Blurs `img` in place with a Gaussian of standard deviation `sigma` pixels,
/// separably, the kernel cut at 3 sigma and renormalised; zeros outside.
/// `scratch` is as large as `img`.
pub fn blur(img: &mut [f32], scratch: &mut [f32], (h, w): (usize, usize), sigma: f32) {
    if sigma < 0.05 {
        return;
    }
    let radius = (3.0 * sigma).ceil() as usize;
    let kernel: Vec<f32> = (0..=2 * radius)
        .map(|k| {
            let d = k as f32 - radius as f32;
            (-d * d / (2.0 * sigma * sigma)).exp()
        })
        .collect();
    let total: f32 = kernel.iter().sum();
    let kernel: Vec<f32> = kernel.iter().map(|k| k / total).collect();
    // Rows into scratch, then columns back into img.
    let tap = |src: &[f32], at: &dyn Fn(usize) -> usize, n: usize, centre: usize| -> f32 {
        kernel
            .iter()
            .enumerate()
            .filter_map(|(k, &kv)| {
                let p = (centre + k).checked_sub(radius).filter(|&p| p < n)?;
                Some(kv * src[at(p)])
            })
            .sum()
    };
    for i in 0..h {
        for j in 0..w {
            scratch[i * w + j] = tap(img, &|p| i * w + p, w, j);
        }
    }
    for i in 0..h {
        for j in 0..w {
            img[i * w + j] = tap(scratch, &|p| p * w + j, h, i);
        }
    }
}

/// Adds Gaussian noise of standard deviation `sd` to every pixel, keeping each
/// within `0..=brightest`.
pub fn add_noise(img: &mut [f32], sd: f32, brightest: f32, rng: &mut impl Rng) {
    if sd <= 0.0 {
        return;
    }
    for v in img.iter_mut() {
        *v = (*v + sd * standard_normal(rng)).clamp(0.0, brightest);
    }
}

/// A draw from the standard normal distribution (Box-Muller).
fn standard_normal(rng: &mut impl Rng) -> f32 {
    // 1 - u lies in (0, 1], so its logarithm is finite.
    let u = 1.0 - rng.random::<f32>();
    let v = rng.random::<f32>();
    (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;

    const OFF: Augment = Augment {
        max_shift: 0.0,
        max_rotation: 0.0,
        max_scale: 0.0,
        elastic: 0.0,
        stroke: 0.0,
        blur: 0.0,
        noise: 0.0,
    };

    /// A 9x9 image with one bright 3x3 square at rows 2..5, columns 3..6.
    fn square() -> Vec<f32> {
        let mut img = vec![0.0; 81];
        for r in 2..5 {
            for c in 3..6 {
                img[r * 9 + c] = 1.0;
            }
        }
        img
    }

    fn centroid(img: &[f32]) -> (f32, f32) {
        let total: f32 = img.iter().sum();
        let (mut y, mut x) = (0.0, 0.0);
        for (k, &v) in img.iter().enumerate() {
            y += (k / 9) as f32 * v;
            x += (k % 9) as f32 * v;
        }
        (y / total, x / total)
    }

    #[test]
    fn no_distortion_is_the_identity() {
        let mut d = Distorter::new(OFF, (9, 9));
        let mut out = vec![0.0; 81];
        d.distort(
            &square(),
            &mut out,
            &mut Xoshiro256PlusPlus::seed_from_u64(1),
        );
        assert_eq!(out, square());
    }

    #[test]
    fn a_shift_moves_the_ink_by_at_most_the_bound() {
        let settings = Augment {
            max_shift: 1.5,
            ..OFF
        };
        let mut d = Distorter::new(settings, (9, 9));
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
        let (y0, x0) = centroid(&square());
        let mut moved = false;
        for _ in 0..20 {
            let mut out = vec![0.0; 81];
            d.distort(&square(), &mut out, &mut rng);
            let (y, x) = centroid(&out);
            assert!((y - y0).abs() <= 1.5 + 1e-4 && (x - x0).abs() <= 1.5 + 1e-4);
            // A shift moves ink without creating or losing any while it stays inside.
            assert!((out.iter().sum::<f32>() - 9.0).abs() < 1e-3);
            moved |= (y - y0).abs() > 0.1;
        }
        assert!(moved, "twenty shifts all left the image in place");
    }

    #[test]
    fn a_quarter_turn_by_hand() {
        // Rotating a 3x3 image by 90 degrees about its centre: with rows growing
        // downwards a positive angle turns the picture clockwise.
        let d = Distorter::new(OFF, (3, 3));
        let src = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
        let mut out = [0.0; 9];
        let quarter = Affine {
            degrees: 90.0,
            scale: 1.0,
            shift: (0.0, 0.0),
        };
        d.warp(&src, &mut out, quarter);
        let rounded: Vec<f32> = out.iter().map(|v| (v * 1e4).round() / 1e4).collect();
        assert_eq!(rounded, [7.0, 4.0, 1.0, 8.0, 5.0, 2.0, 9.0, 6.0, 3.0]);
        // Doubling the size about the centre: the corner reads halfway to the centre.
        let double = Affine {
            degrees: 0.0,
            scale: 2.0,
            shift: (0.0, 0.0),
        };
        d.warp(&src, &mut out, double);
        assert_eq!(out[0], (1.0 + 2.0 + 4.0 + 5.0) / 4.0);
        assert_eq!(out[4], 5.0);
    }

    #[test]
    fn distortions_are_seeded_and_elastic_changes_the_image() {
        let mut d = Distorter::new(Augment::mnist(), (9, 9));
        let run = |d: &mut Distorter, seed| {
            let mut out = vec![0.0; 81];
            d.distort(
                &square(),
                &mut out,
                &mut Xoshiro256PlusPlus::seed_from_u64(seed),
            );
            out
        };
        assert_eq!(run(&mut d, 5), run(&mut d, 5));
        assert_ne!(run(&mut d, 5), run(&mut d, 6));
        let mut e = Distorter::new(
            Augment {
                elastic: 2.0,
                ..OFF
            },
            (9, 9),
        );
        assert_ne!(run(&mut e, 5), square());
        assert!(
            run(&mut e, 5)
                .iter()
                .all(|v| (0.0..=1.0 + 1e-6).contains(v))
        );
    }

    #[test]
    fn invalid_settings_are_refused() {
        assert!(Augment::mnist().validate().is_ok());
        assert!(
            Augment {
                max_scale: 1.0,
                ..OFF
            }
            .validate()
            .is_err()
        );
        assert!(
            Augment {
                elastic: f32::NAN,
                ..OFF
            }
            .validate()
            .is_err()
        );
        assert!(
            Augment {
                max_shift: -1.0,
                ..OFF
            }
            .validate()
            .is_err()
        );
    }

    /// A 9x9 image with a vertical line `width` pixels wide centred on column 4.
    fn line(width: usize) -> Vec<f32> {
        let mut img = vec![0.0; 81];
        let first = 4 - width / 2;
        for r in 1..8 {
            img[r * 9 + first..r * 9 + first + width].fill(1.0);
        }
        img
    }

    /// The columns of row 4 as a vector (a horizontal cut through the line).
    fn cut(img: &[f32]) -> Vec<f32> {
        img[36..45].to_vec()
    }

    #[test]
    fn whole_pixel_stroke_changes_widen_and_narrow_a_line() {
        let mut scratch = vec![0.0; 81];
        let mut img = line(1);
        stroke(&mut img, &mut scratch, (9, 9), 1.0);
        assert_eq!(cut(&img), [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0]);
        stroke(&mut img, &mut scratch, (9, 9), 1.0);
        assert_eq!(cut(&img), line(5)[36..45]);
        stroke(&mut img, &mut scratch, (9, 9), -2.0);
        assert_eq!(cut(&img), cut(&line(1)));
        // Erosion also eats the line's ends: rows 1 and 7 are gone after two steps.
        assert_eq!(img[9 + 4], 0.0);
        assert_eq!(img[3 * 9 + 4], 1.0);
    }

    #[test]
    fn a_fractional_stroke_change_blends_with_the_unchanged_image() {
        let mut scratch = vec![0.0; 81];
        let mut img = line(1);
        stroke(&mut img, &mut scratch, (9, 9), 0.25);
        assert_eq!(cut(&img), [0.0, 0.0, 0.0, 0.25, 1.0, 0.25, 0.0, 0.0, 0.0]);
        let mut img = line(3);
        stroke(&mut img, &mut scratch, (9, 9), -1.5);
        // One full erosion leaves the centre column; half of a second fades it to 0.5.
        assert_eq!(cut(&img), [0.0, 0.0, 0.0, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0]);
        let mut img = line(3);
        stroke(&mut img, &mut scratch, (9, 9), 0.0);
        assert_eq!(img, line(3));
    }

    #[test]
    fn blur_of_a_point_is_the_sampled_gaussian() {
        let (h, w) = (15, 15);
        let mut img = vec![0.0; h * w];
        img[7 * w + 7] = 1.0;
        let mut scratch = vec![0.0; h * w];
        let sigma = 1.2f32;
        blur(&mut img, &mut scratch, (h, w), sigma);
        // Reference: the 2-D Gaussian sampled at the integer offsets within 3 sigma
        // (radius 4), normalised to sum to 1, computed directly in two dimensions.
        let g = |d: f32| (-d * d / (2.0 * sigma * sigma)).exp();
        let norm: f32 = (-4..=4)
            .flat_map(|y| (-4..=4).map(move |x| g(y as f32) * g(x as f32)))
            .sum();
        for y in 0..h {
            for x in 0..w {
                let (dy, dx) = (y as f32 - 7.0, x as f32 - 7.0);
                let want = if dy.abs() <= 4.0 && dx.abs() <= 4.0 {
                    g(dy) * g(dx) / norm
                } else {
                    0.0
                };
                assert!((img[y * w + x] - want).abs() < 1e-6, "({y}, {x})");
            }
        }
        assert!((img.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        let mut sharp = line(3);
        blur(&mut sharp, &mut scratch[..81], (9, 9), 0.0);
        assert_eq!(sharp, line(3));
    }

    #[test]
    fn noise_has_the_asked_spread_and_stays_in_range() {
        let mut img = vec![0.5f32; 20_000];
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        add_noise(&mut img, 0.1, 1.0, &mut rng);
        let n = img.len() as f32;
        let mean = img.iter().sum::<f32>() / n;
        let sd = (img.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n).sqrt();
        assert!((mean - 0.5).abs() < 0.005, "mean {mean}");
        assert!((sd - 0.1).abs() < 0.005, "standard deviation {sd}");
        let mut dark = vec![0.0f32; 1000];
        add_noise(&mut dark, 0.5, 1.0, &mut rng);
        assert!(dark.iter().all(|v| (0.0..=1.0).contains(v)));
        assert!(dark.iter().any(|&v| v > 0.0) && dark.contains(&0.0));
    }

    #[test]
    fn photo_distortions_are_seeded_and_keep_the_pixel_range() {
        let mut d = Distorter::new(OFF.with_photo(), (9, 9));
        let src: Vec<f32> = line(3).iter().map(|v| v * 255.0).collect();
        let run = |d: &mut Distorter, seed| {
            let mut out = vec![0.0; 81];
            d.distort(&src, &mut out, &mut Xoshiro256PlusPlus::seed_from_u64(seed));
            out
        };
        assert_eq!(run(&mut d, 9), run(&mut d, 9));
        let ink = |img: &[f32]| img.iter().sum::<f32>();
        let (mut thicker, mut thinner) = (false, false);
        for seed in 0..40 {
            let out = run(&mut d, seed);
            assert!(out.iter().all(|v| (0.0..=255.0).contains(v)));
            thicker |= ink(&out) > 1.3 * ink(&src);
            thinner |= ink(&out) < 0.7 * ink(&src);
        }
        assert!(
            thicker && thinner,
            "forty draws never changed the stroke much"
        );
    }

    #[test]
    fn photo_settings_validate() {
        assert!(Augment::photo().validate().is_ok());
        assert_eq!(Augment::photo().max_rotation, Augment::mnist().max_rotation);
        let too_blurred = Augment {
            blur: 4.0,
            ..Augment::photo()
        };
        assert!(too_blurred.validate().is_err());
    }
}
