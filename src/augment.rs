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
        Ok(())
    }
}

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
}
