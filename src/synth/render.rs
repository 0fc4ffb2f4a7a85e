//! Drawing a synthetic photo: the pen's strokes on a canvas of ink coverage, then
//! paper, ink colour, light and grain.

use std::f32::consts::TAU;

use rand::{Rng, RngExt};

use super::PixelBox;

/// MNIST's side.
const SIDE: usize = 28;

/// A digit as a pen draws it: MNIST's grey field, thickened or not, and the
/// level where the pen's edge lies (a low level: a thick marker; high: a thin pen).
pub struct Stroke {
    field: Vec<f32>,
    cut: f32,
    /// The box of the strokes in field pixels: `(x0, y0, x1, y1)`.
    extent: (f32, f32, f32, f32),
}

impl Stroke {
    /// A pen drawn at random for a 28x28 MNIST digit (`pixels`, 0..255).
    pub fn draw(pixels: &[f32], rng: &mut impl Rng) -> Stroke {
        let max = pixels.iter().copied().fold(1.0, f32::max);
        let mut field: Vec<f32> = pixels.iter().map(|v| v / max).collect();
        let marker = rng.random_bool(0.2);
        let strokes: Vec<usize> = (0..field.len()).filter(|&i| field[i] > 0.5).collect();
        if marker {
            // Half a pixel wider all round: a felt marker (a full pixel of 28, on
            // top of a low cut, makes strokes a third of the digit's height).
            let wide = dilate(&field);
            field = field
                .iter()
                .zip(&wide)
                .map(|(f, w)| f.max(0.6 * w))
                .collect();
        }
        // Smoothing rounds the pixel steps of the enlarged digit and makes the
        // stroke's profile a ridge, so a high cut draws a thin pen.
        field = smooth(&field);
        let drawn = if marker {
            rng.random_range(0.3f32..0.5)
        } else {
            rng.random_range(0.35f32..0.8)
        };
        // A thin pen still draws the whole digit: at least 70% of its strokes.
        let mut along: Vec<f32> = strokes.iter().map(|&i| field[i]).collect();
        along.sort_by(f32::total_cmp);
        let cut = along
            .get(along.len() * 3 / 10)
            .map_or(drawn, |&v| drawn.min(v * 0.95));
        let extent = extent(&field, cut);
        Stroke { field, cut, extent }
    }

    /// Width over height of the strokes' box.
    pub fn aspect(&self) -> f32 {
        let (x0, y0, x1, y1) = self.extent;
        (x1 - x0) / (y1 - y0)
    }

    /// Photo pixels per field pixel so the strokes are `height` tall and at most
    /// `width` wide.
    pub fn fit_scale(&self, height: f32, width: f32) -> f32 {
        let (x0, y0, x1, y1) = self.extent;
        (height / (y1 - y0)).min(width / (x1 - x0))
    }

    /// The width and height of the strokes' box at `scale`, turned by `angle`.
    pub fn rotated_extent(&self, scale: f32, angle: f32) -> (f32, f32) {
        let (x0, y0, x1, y1) = self.extent;
        let (w, h) = ((x1 - x0) * scale, (y1 - y0) * scale);
        let (s, c) = (angle.sin().abs(), angle.cos().abs());
        (w * c + h * s, w * s + h * c)
    }

    /// The pen's coverage (0..1) at field point `(fx, fy)`, its edge `soft` wide.
    fn coverage(&self, fx: f32, fy: f32, soft: f32) -> f32 {
        let g = bilinear(&self.field, fx - 0.5, fy - 0.5);
        ((g - self.cut) / soft + 0.5).clamp(0.0, 1.0)
    }
}

/// 3x3 grey dilation (the largest value around each pixel): a thicker pen.
fn dilate(field: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0; SIDE * SIDE];
    for y in 0..SIDE {
        for x in 0..SIDE {
            let mut m = 0.0f32;
            for yy in y.saturating_sub(1)..(y + 2).min(SIDE) {
                for xx in x.saturating_sub(1)..(x + 2).min(SIDE) {
                    m = m.max(field[yy * SIDE + xx]);
                }
            }
            out[y * SIDE + x] = m;
        }
    }
    out
}

/// The field blurred by a 3x3 [1 2 1] kernel (edges repeat).
fn smooth(field: &[f32]) -> Vec<f32> {
    let at = |x: isize, y: isize| {
        let (x, y) = (x.clamp(0, SIDE as isize - 1), y.clamp(0, SIDE as isize - 1));
        field[y as usize * SIDE + x as usize]
    };
    let mut out = vec![0.0; SIDE * SIDE];
    for y in 0..SIDE as isize {
        for x in 0..SIDE as isize {
            let mut sum = 0.0;
            for (dy, wy) in [(-1, 1.0), (0, 2.0), (1, 1.0)] {
                for (dx, wx) in [(-1, 1.0), (0, 2.0), (1, 1.0)] {
                    sum += wy * wx * at(x + dx, y + dy);
                }
            }
            out[y as usize * SIDE + x as usize] = sum / 16.0;
        }
    }
    let max = out.iter().copied().fold(f32::MIN_POSITIVE, f32::max);
    out.iter().map(|v| v / max).collect()
}

/// The box `(x0, y0, x1, y1)` of the field's pixels above `cut` (the whole
/// field when none is).
fn extent(field: &[f32], cut: f32) -> (f32, f32, f32, f32) {
    let (mut x0, mut y0, mut x1, mut y1) = (SIDE, SIDE, 0, 0);
    for (i, _) in field.iter().enumerate().filter(|(_, v)| **v > cut) {
        let (x, y) = (i % SIDE, i / SIDE);
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1));
    }
    if x1 <= x0 {
        return (0.0, 0.0, SIDE as f32, SIDE as f32);
    }
    (x0 as f32, y0 as f32, x1 as f32, y1 as f32)
}

/// The field's value at `(x, y)` in pixel-centre coordinates, 0 outside.
fn bilinear(field: &[f32], x: f32, y: f32) -> f32 {
    let (xf, yf) = (x.floor(), y.floor());
    let (tx, ty) = (x - xf, y - yf);
    let at = |xi: f32, yi: f32| {
        if xi < 0.0 || yi < 0.0 || xi >= SIDE as f32 || yi >= SIDE as f32 {
            0.0
        } else {
            field[yi as usize * SIDE + xi as usize]
        }
    };
    let top = at(xf, yf) * (1.0 - tx) + at(xf + 1.0, yf) * tx;
    let bottom = at(xf, yf + 1.0) * (1.0 - tx) + at(xf + 1.0, yf + 1.0) * tx;
    top * (1.0 - ty) + bottom * ty
}

/// Ink coverage per photo pixel, 0 (paper) ..= 1 (ink).
pub struct Canvas {
    pub width: usize,
    pub height: usize,
    alpha: Vec<f32>,
}

impl Canvas {
    pub fn new(width: usize, height: usize) -> Canvas {
        Canvas {
            width,
            height,
            alpha: vec![0.0; width * height],
        }
    }

    /// The photo pixels a stroke placed at `centre` may cover, and the mapping
    /// from a photo pixel to its field point.
    fn footprint(
        &self,
        stroke: &Stroke,
        scale: f32,
        angle: f32,
        (cx, cy): (f32, f32),
    ) -> (PixelBox, impl Fn(usize, usize) -> (f32, f32) + use<>) {
        let (w, h) = stroke.rotated_extent(scale, angle);
        let pad = 2.0 + scale;
        let x0 = (cx - w / 2.0 - pad).max(0.0) as usize;
        let y0 = (cy - h / 2.0 - pad).max(0.0) as usize;
        let x1 = ((cx + w / 2.0 + pad).max(0.0) as usize).min(self.width);
        let y1 = ((cy + h / 2.0 + pad).max(0.0) as usize).min(self.height);
        let (ex0, ey0, ex1, ey1) = stroke.extent;
        let (mx, my) = ((ex0 + ex1) / 2.0, (ey0 + ey1) / 2.0);
        let (s, c) = angle.sin_cos();
        let map = move |x: usize, y: usize| {
            let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
            let (u, v) = (dx * c + dy * s, -dx * s + dy * c);
            (mx + u / scale, my + v / scale)
        };
        ((x0, y0, x1.saturating_sub(x0), y1.saturating_sub(y0)), map)
    }

    /// Whether the stroke placed at `centre` would touch ink already drawn.
    pub fn would_touch(&self, stroke: &Stroke, scale: f32, angle: f32, centre: (f32, f32)) -> bool {
        let ((x0, y0, w, h), map) = self.footprint(stroke, scale, angle, centre);
        let soft = (0.8 / scale).clamp(0.02, 0.4);
        (y0..y0 + h).any(|y| {
            (x0..x0 + w).any(|x| {
                let (fx, fy) = map(x, y);
                self.alpha[y * self.width + x] > 0.1 && stroke.coverage(fx, fy, soft) > 0.1
            })
        })
    }

    /// Draws the stroke with its box's centre at `centre`, `scale` photo pixels
    /// per field pixel, turned by `angle`; answers the box of its ink.
    pub fn draw(
        &mut self,
        stroke: &Stroke,
        scale: f32,
        angle: f32,
        centre: (f32, f32),
    ) -> PixelBox {
        let ((x0, y0, w, h), map) = self.footprint(stroke, scale, angle, centre);
        let soft = (0.8 / scale).clamp(0.02, 0.4);
        let (mut bx0, mut by0, mut bx1, mut by1) = (usize::MAX, usize::MAX, 0, 0);
        for y in y0..y0 + h {
            for x in x0..x0 + w {
                let (fx, fy) = map(x, y);
                let a = stroke.coverage(fx, fy, soft);
                let cell = &mut self.alpha[y * self.width + x];
                *cell = cell.max(a);
                if a > 0.5 {
                    (bx0, by0, bx1, by1) = (bx0.min(x), by0.min(y), bx1.max(x + 1), by1.max(y + 1));
                }
            }
        }
        if bx0 == usize::MAX {
            return (x0, y0, 0, 0);
        }
        (bx0, by0, bx1 - bx0, by1 - by0)
    }

    /// Up to six specks of dust, each `ink_scale` times 0.6 to 2.5 pixels across,
    /// kept well away from the `boxes` of the digits.
    pub fn specks(&mut self, boxes: &[PixelBox], ink_scale: f32, rng: &mut impl Rng) {
        let short = self.width.min(self.height) as f32;
        let clear = 0.08 * short;
        for _ in 0..rng.random_range(0..=6) {
            let r = rng.random_range(0.6f32..2.5) * ink_scale;
            let strength = rng.random_range(0.4f32..1.0);
            let spot = (0..50)
                .map(|_| {
                    (
                        rng.random_range(0.0..self.width as f32),
                        rng.random_range(0.0..self.height as f32),
                    )
                })
                .find(|&(x, y)| boxes.iter().all(|&b| gap_to(b, x, y) > clear + r));
            if let Some((x, y)) = spot {
                self.disc(x, y, r, strength);
            }
        }
    }

    fn disc(&mut self, cx: f32, cy: f32, r: f32, strength: f32) {
        let reach = r + 1.0;
        let ys = (cy - reach).max(0.0) as usize..((cy + reach) as usize + 1).min(self.height);
        for y in ys {
            let xs = (cx - reach).max(0.0) as usize..((cx + reach) as usize + 1).min(self.width);
            for x in xs {
                let d = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
                let a = strength * (r + 0.5 - d).clamp(0.0, 1.0);
                let cell = &mut self.alpha[y * self.width + x];
                *cell = cell.max(a);
            }
        }
    }
}

/// The distance from point `(x, y)` to a box (0 inside it).
fn gap_to((bx, by, bw, bh): PixelBox, x: f32, y: f32) -> f32 {
    let dx = (bx as f32 - x).max(x - (bx + bw) as f32).max(0.0);
    let dy = (by as f32 - y).max(y - (by + bh) as f32).max(0.0);
    dx.max(dy)
}

/// The page: paper and ink colours, light and grain.
pub struct Scene {
    paper: [f32; 3],
    ink: [f32; 3],
    /// Brightness change from the centre to the far corner, and its direction.
    gradient: (f32, f32),
    /// The shadowed edge (0 left, 1 top, 2 right, 3 bottom), the shadow's reach
    /// and softness as fractions of the side, and its depth.
    shadow: (usize, f32, f32, f32),
    /// The grain's standard deviation, 0..1.
    pub grain: f32,
    /// A JPEG quality to use instead of a random one.
    pub quality: Option<u8>,
    width: usize,
    height: usize,
}

impl Scene {
    /// A page drawn at random for a `width x height` photo.
    pub fn draw(width: usize, height: usize, rng: &mut impl Rng) -> Scene {
        let (paper, ink) = colours(rng);
        Scene {
            paper,
            ink,
            gradient: (rng.random_range(-0.15f32..0.15), rng.random_range(0.0..TAU)),
            shadow: (
                rng.random_range(0..4),
                rng.random_range(0.05f32..0.3),
                rng.random_range(0.03f32..0.15),
                rng.random_range(0.0f32..0.4),
            ),
            grain: rng.random_range(0.0f32..10.0) / 255.0,
            quality: None,
            width,
            height,
        }
    }

    /// How much larger than a 500-pixel photo's this one's specks are.
    pub fn ink_scale(&self) -> f32 {
        (self.width.min(self.height) as f32 / 500.0).max(1.0)
    }

    /// The light falling on pixel `(x, y)`: 1 at the centre of an even page.
    fn light(&self, x: usize, y: usize) -> f32 {
        let (w, h) = (self.width as f32, self.height as f32);
        let (dx, dy) = (x as f32 - w / 2.0, y as f32 - h / 2.0);
        let (amount, dir) = self.gradient;
        let along = (dx * dir.cos() + dy * dir.sin()) / (0.5 * (w * w + h * h).sqrt());
        let (edge, reach, soft, depth) = self.shadow;
        let (dist, side) = match edge {
            0 => (x as f32, w),
            1 => (y as f32, h),
            2 => (w - x as f32, w),
            _ => (h - y as f32, h),
        };
        let shade = 1.0 / (1.0 + ((dist - reach * side) / (soft * side)).exp());
        (1.0 + amount * along) * (1.0 - depth * shade)
    }

    /// The photo's RGB bytes: paper and ink mixed by the canvas's coverage, lit,
    /// with grain.
    pub fn shade(&self, canvas: &Canvas, rng: &mut impl Rng) -> Vec<u8> {
        let mut out = Vec::with_capacity(canvas.alpha.len() * 3);
        for (i, &a) in canvas.alpha.iter().enumerate() {
            let light = self.light(i % canvas.width, i / canvas.width);
            for c in 0..3 {
                let base = self.paper[c] * (1.0 - a) + self.ink[c] * a;
                let v = base * light + self.grain * gaussian(rng);
                out.push((v * 255.0).round().clamp(0.0, 255.0) as u8);
            }
        }
        out
    }
}

/// Paper and ink colours: white, grey, cream or coloured paper with dark ink of
/// some colour, or (one time in seven) a dark board with light chalk.
fn colours(rng: &mut impl Rng) -> ([f32; 3], [f32; 3]) {
    let grey = |v: f32| [v, v, v];
    let tint = |c: [f32; 3], k: f32| c.map(|v| v * k);
    if rng.random_bool(0.15) {
        let board = [[0.12, 0.12, 0.12], [0.1, 0.2, 0.14], [0.15, 0.15, 0.2]];
        let paper = tint(board[rng.random_range(0..3)], rng.random_range(0.7f32..1.6));
        return (paper, grey(rng.random_range(0.7f32..0.95)));
    }
    let kind = rng.random_range(0..10);
    let paper = match kind {
        0..=3 => grey(rng.random_range(0.85f32..0.98)),
        4..=5 => grey(rng.random_range(0.55f32..0.8)),
        6 => tint([0.97, 0.93, 0.8], rng.random_range(0.9f32..1.0)),
        _ => {
            let coloured = [
                [0.75, 0.85, 0.95],
                [0.8, 0.93, 0.8],
                [0.97, 0.82, 0.86],
                [0.98, 0.95, 0.62],
            ];
            coloured[rng.random_range(0..4)]
        }
    };
    let inks = [
        grey(rng.random_range(0.03f32..0.15)),
        [0.1, 0.14, 0.45],
        [0.05, 0.08, 0.25],
        [0.55, 0.08, 0.1],
    ];
    let ink = if kind <= 3 && rng.random_bool(0.15) {
        grey(rng.random_range(0.3f32..0.42)) // pencil, on light paper only
    } else {
        inks[rng.random_range(0..4)]
    };
    (paper, ink)
}

/// A standard normal deviate (Box-Muller).
fn gaussian(rng: &mut impl Rng) -> f32 {
    let u: f32 = rng.random_range(f32::EPSILON..1.0);
    let v: f32 = rng.random();
    (-2.0 * u.ln()).sqrt() * (TAU * v).cos()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;

    #[test]
    fn the_light_dims_towards_the_shadowed_edge() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
        let mut scene = Scene::draw(400, 300, &mut rng);
        scene.gradient = (0.0, 0.0);
        scene.shadow = (0, 0.2, 0.05, 0.4);
        assert!((scene.light(399, 150) - 1.0).abs() < 1e-3);
        assert!((scene.light(0, 150) - 0.6).abs() < 0.02);
        scene.gradient = (0.15, 0.0);
        scene.shadow.3 = 0.0;
        let right = scene.light(399, 150);
        assert!(right > 1.1 && right <= 1.15, "{right}");
    }

    #[test]
    fn gaussian_deviates_have_unit_spread() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
        let xs: Vec<f32> = (0..20_000).map(|_| gaussian(&mut rng)).collect();
        let mean = xs.iter().sum::<f32>() / xs.len() as f32;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / xs.len() as f32;
        assert!(
            mean.abs() < 0.03 && (var - 1.0).abs() < 0.05,
            "{mean} {var}"
        );
    }

    #[test]
    fn a_thicker_pen_covers_more() {
        let mut p = vec![0.0; 784];
        for y in 4..24 {
            p[y * 28 + 14] = 255.0;
        }
        let thin = Stroke {
            field: p.iter().map(|v| v / 255.0).collect(),
            cut: 0.5,
            extent: (14.0, 4.0, 15.0, 24.0),
        };
        let thick = Stroke {
            field: dilate(&thin.field),
            ..thin
        };
        let mut a = Canvas::new(200, 200);
        let mut b = Canvas::new(200, 200);
        let ba = a.draw(&thick, 8.0, 0.0, (100.0, 100.0));
        let thin = Stroke {
            field: p.iter().map(|v| v / 255.0).collect(),
            cut: 0.5,
            extent: (14.0, 4.0, 15.0, 24.0),
        };
        let bb = b.draw(&thin, 8.0, 0.0, (100.0, 100.0));
        assert!(ba.2 > bb.2 + 8, "{ba:?} {bb:?}");
        assert!((bb.3 as f32 - 160.0).abs() < 10.0, "{bb:?}");
    }
}
