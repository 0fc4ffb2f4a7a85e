//! The cleaned ink of a picture: what is stroke and what is paper, lighting and grain.
//!
//! [`ink_map`] works at an analysis resolution ([`ANALYSIS_SIDE`]), estimates the
//! paper's shade everywhere ([`background`]), divides the picture by it so that a
//! gradient or a shadow vanishes, finds the ink's polarity ([`dark_ink`]) and
//! gives every pixel an ink strength. Its thresholds come from the picture
//! itself: a noise floor from the grain ([`noise_level`]) and Otsu's threshold
//! ([`otsu`]) of the ink strengths.

use super::{Gray, NoDigit, resize};

/// Pictures are analysed with their longer side shrunk to at most this many
/// pixels (by an integer factor, averaging: [`analysis_factor`]): a 4000x3000
/// photo is read as 1000x750.
pub const ANALYSIS_SIDE: usize = 1024;

/// The paper's shade is estimated on a copy whose shorter side is about this long.
const COARSE_SIDE: usize = 48;

/// The background window's half-width, as a fraction of the coarse picture's
/// shorter side: wider than a thick marker's stroke, narrower than a shadow.
const WINDOW_FRACTION: f32 = 0.15;

/// Pixels darker (or lighter) than the paper by this many noise deviations are
/// candidate ink; a stroke must reach [`STRONG_NOISE`] deviations somewhere.
const WEAK_NOISE: f32 = 4.0;
const STRONG_NOISE: f32 = 6.0;

/// The deepest shadow (or, on a dark board, the brightest light) the paper's
/// estimate may show, as a fraction of the way to black (or white).
const MAX_SHADOW: f32 = 0.55;

/// The polarity compares the picture's extremes taken past one pixel in this many.
const EXTREME_SHARE: usize = 10_000;

/// The paper shade below which ink is measured against this shade instead of
/// the paper's (so a black board does not divide by nearly zero).
const DIVISOR_FLOOR: f32 = 0.25;

/// The cleaned ink of a picture, at the analysis resolution.
#[derive(Clone, Debug, PartialEq)]
pub struct InkMap {
    /// Columns of the analysis picture.
    pub width: usize,
    /// Rows of the analysis picture.
    pub height: usize,
    /// Source pixels per analysis pixel along each side (1 for pictures no
    /// longer than [`ANALYSIS_SIDE`]).
    pub factor: usize,
    /// The source picture's size `(width, height)`.
    pub picture: (usize, usize),
    /// Ink strength per pixel relative to the paper's shade (0 paper, 1 a
    /// stroke as dark as black on white paper), row-major.
    pub strength: Vec<f32>,
    /// Pixels at or above this strength may be ink (the weak threshold).
    pub weak: f32,
    /// A stroke must reach this strength somewhere (the strong threshold).
    pub strong: f32,
    /// True when the ink is darker than the paper.
    pub dark_ink: bool,
}

impl InkMap {
    /// Whether the pixel at index `i` is candidate ink.
    pub fn is_ink(&self, i: usize) -> bool {
        self.strength[i] >= self.weak
    }

    /// A box `(x, y, width, height)` of the analysis picture in source pixels,
    /// clipped to the picture.
    pub fn to_picture(&self, (x, y, w, h): (usize, usize, usize, usize)) -> [usize; 4] {
        let f = self.factor;
        let (pw, ph) = self.picture;
        let (x0, y0) = ((x * f).min(pw), (y * f).min(ph));
        let (x1, y1) = (((x + w) * f).min(pw), ((y + h) * f).min(ph));
        [x0, y0, x1 - x0, y1 - y0]
    }
}

/// The cleaned ink of `image` (see the module docs), or why it holds none. A
/// picture that stands for a larger one ([`Gray::factor`]) is analysed as it is
/// when it is small enough, and its boxes are the larger picture's.
pub fn ink_map(image: &Gray) -> Result<InkMap, NoDigit> {
    check_pixels(image)?;
    let factor = analysis_factor(image.width(), image.height());
    let shrunk;
    let small = if factor > 1 {
        shrunk = shrink(image, factor);
        &shrunk
    } else {
        image
    };
    let dark = dark_ink(small);
    let level = median(&mut spread_sample(small.pixels(), 65_536));
    let mut paper = background(small, dark);
    limit_shadows(&mut paper, level, dark);
    let strength = relative_ink(small.pixels(), &paper, dark);
    let (centre, sigma) = noise_level(&strength);
    let floor = centre + WEAK_NOISE * sigma;
    let strong = otsu(&strength, floor).max(centre + STRONG_NOISE * sigma);
    let weak = floor.max(0.5 * strong);
    Ok(InkMap {
        width: small.width(),
        height: small.height(),
        factor: small.factor(),
        picture: small.source_size(),
        strength,
        weak,
        strong,
        dark_ink: dark,
    })
}

/// The integer factor by which a `width x height` picture is shrunk for the
/// analysis: the least that brings its longer side to at most [`ANALYSIS_SIDE`].
pub fn analysis_factor(width: usize, height: usize) -> usize {
    width.max(height).div_ceil(ANALYSIS_SIDE).max(1)
}

/// Refuses a picture without pixels (a side of 0): an empty canvas holds no digit.
fn check_pixels(image: &Gray) -> Result<(), NoDigit> {
    if image.pixels().is_empty() {
        return Err(NoDigit {
            reason: format!(
                "the picture has no pixels ({}x{})",
                image.width(),
                image.height()
            ),
        });
    }
    Ok(())
}

/// `image` shrunk by an integer `factor`: each output pixel is the mean of the
/// `factor x factor` block it covers (the last blocks may be cut by the edge).
/// The result stands for the picture `image` stands for.
pub fn shrink(image: &Gray, factor: usize) -> Gray {
    if factor <= 1 {
        return image.clone();
    }
    let (w, h) = (
        image.width().div_ceil(factor),
        image.height().div_ceil(factor),
    );
    let mut sums = vec![0.0f32; w * h];
    let mut row_sum = vec![0.0f32; w];
    for (y, row) in image.pixels().chunks_exact(image.width()).enumerate() {
        row_sum.fill(0.0);
        for (block, sum) in row.chunks(factor).zip(row_sum.iter_mut()) {
            *sum = block.iter().sum();
        }
        let out = &mut sums[(y / factor) * w..(y / factor + 1) * w];
        out.iter_mut().zip(&row_sum).for_each(|(o, s)| *o += s);
    }
    for (i, v) in sums.iter_mut().enumerate() {
        let (bx, by) = (i % w, i / w);
        let cols = factor.min(image.width() - bx * factor);
        let rows = factor.min(image.height() - by * factor);
        *v /= (cols * rows) as f32;
    }
    Gray::shrunk((w, h), sums, image.factor() * factor, image.source_size())
}

/// [`shrink`] of 8-bit grey values (`width x height` of them, row-major, 0 black
/// ..= 255 white) straight to a [`Gray`] that stands for them, without a full-size copy in
/// `f32`: each band of rows is summed per column in integers (a loop the compiler
/// vectorises), then each block of columns.
///
/// `from_end` aligns the blocks with the right side (`.0`) or the bottom (`.1`), so
/// that the cut blocks come first: a picture stored turned is shrunk so, then
/// turned upright, exactly as it would be shrunk once upright.
pub fn shrink_luma(
    luma: &[u8],
    width: usize,
    height: usize,
    factor: usize,
    from_end: (bool, bool),
) -> Gray {
    debug_assert_eq!(luma.len(), width * height);
    let factor = factor.max(1);
    let mut pixels = Vec::with_capacity(width.div_ceil(factor) * height.div_ceil(factor));
    let mut columns = vec![0u32; width];
    let mut rest = luma;
    for rows in block_sides(height, factor, from_end.1) {
        let (band, below) = rest.split_at(rows * width);
        rest = below;
        columns.fill(0);
        for row in band.chunks_exact(width) {
            columns
                .iter_mut()
                .zip(row)
                .for_each(|(c, &v)| *c += u32::from(v));
        }
        let mut left = &columns[..];
        for cols in block_sides(width, factor, from_end.0) {
            let (block, right) = left.split_at(cols);
            left = right;
            let sum: u32 = block.iter().sum();
            pixels.push(sum as f32 / (255 * rows * cols) as f32);
        }
    }
    let size = (width.div_ceil(factor), height.div_ceil(factor));
    Gray::shrunk(size, pixels, factor, (width, height))
}

/// The lengths of the blocks of `factor` that cover a side of `side` pixels, in
/// order: the cut block is the last, or the first when `from_end`.
fn block_sides(side: usize, factor: usize, from_end: bool) -> impl Iterator<Item = usize> {
    let n = side.div_ceil(factor);
    let cut = side - n.saturating_sub(1) * factor;
    let cut_at = if from_end { 0 } else { n.saturating_sub(1) };
    (0..n).map(move |i| if i == cut_at { cut } else { factor })
}

/// The paper's shade at every pixel of `image`: on a coarse copy, strokes of
/// the ink's polarity are closed over (a grey closing, `dark_ink`, or opening:
/// a window's lightest value, then the darkest of those), the result is
/// smoothed by a box blur of the same size and enlarged back. A closing removes
/// every stroke narrower than its window, however much of the window it fills.
pub fn background(image: &Gray, dark_ink: bool) -> Vec<f32> {
    let short = image.width().min(image.height());
    let (cw, ch) = if short > COARSE_SIDE {
        let s = COARSE_SIDE as f32 / short as f32;
        let scaled = |n: usize| ((n as f32 * s).round() as usize).max(1);
        (scaled(image.width()), scaled(image.height()))
    } else {
        (image.width(), image.height())
    };
    let coarse = resize(image.pixels(), image.width(), image.height(), cw, ch);
    let radius = ((cw.min(ch) as f32 * WINDOW_FRACTION).round() as usize).max(1);
    let (first, second) = if dark_ink { (1.0, 0.0) } else { (0.0, 1.0) };
    let spread = rank_filter(&coarse, cw, ch, radius, first);
    let closed = rank_filter(&spread, cw, ch, radius, second);
    let smooth = box_blur(&closed, cw, ch, radius);
    resize(&smooth, cw, ch, image.width(), image.height())
}

/// Each pixel replaced by the value at `rank` of the `(2r+1)^2` window around it
/// (clipped at the edges).
fn rank_filter(src: &[f32], w: usize, h: usize, r: usize, rank: f32) -> Vec<f32> {
    let mut window = Vec::with_capacity((2 * r + 1).pow(2));
    let mut out = vec![0.0; w * h];
    for y in 0..h {
        for x in 0..w {
            window.clear();
            for yy in y.saturating_sub(r)..(y + r + 1).min(h) {
                window.extend_from_slice(
                    &src[yy * w + x.saturating_sub(r)..yy * w + (x + r + 1).min(w)],
                );
            }
            let k = ((window.len() - 1) as f32 * rank.clamp(0.0, 1.0)).round() as usize;
            out[y * w + x] = *window.select_nth_unstable_by(k, f32::total_cmp).1;
        }
    }
    out
}

/// The mean of the `(2r+1)^2` window around each pixel (clipped at the edges).
fn box_blur(src: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
    let mut out = vec![0.0; w * h];
    for y in 0..h {
        for x in 0..w {
            let (mut sum, mut n) = (0.0, 0.0);
            for yy in y.saturating_sub(r)..(y + r + 1).min(h) {
                for &v in &src[yy * w + x.saturating_sub(r)..yy * w + (x + r + 1).min(w)] {
                    sum += v;
                    n += 1.0;
                }
            }
            out[y * w + x] = sum / n;
        }
    }
    out
}

/// Keeps the paper's estimate within `MAX_SHADOW` of the way from the paper's
/// typical shade `level` towards the ink: a solid blot wider than the
/// background's window is ink, not a shadow.
pub fn limit_shadows(paper: &mut [f32], level: f32, dark_ink: bool) {
    if dark_ink {
        let least = level * (1.0 - MAX_SHADOW);
        paper.iter_mut().for_each(|p| *p = p.max(least));
    } else {
        let most = level + MAX_SHADOW * (1.0 - level);
        paper.iter_mut().for_each(|p| *p = p.min(most));
    }
}

/// Whether the marks on `image` are darker than its paper: the paper is most
/// of the picture (its median), and the ink is the extreme further from it
/// (the extremes taken at one pixel in `EXTREME_SHARE`, past single specks).
pub fn dark_ink(image: &Gray) -> bool {
    let mut sample = image.pixels().to_vec();
    let n = sample.len();
    let k = n / EXTREME_SHARE;
    // The median splits the values: the extremes are chosen among the half beyond it.
    let (below, paper, above) = sample.select_nth_unstable_by(n / 2, f32::total_cmp);
    let paper = *paper;
    let darkest = if k < below.len() {
        *below.select_nth_unstable_by(k, f32::total_cmp).1
    } else {
        paper
    };
    let lightest = match (n - 1 - k).checked_sub(n / 2 + 1) {
        Some(rank) => *above.select_nth_unstable_by(rank, f32::total_cmp).1,
        None => paper,
    };
    paper - darkest >= lightest - paper
}

/// Ink strength: the departure from the paper in the ink's direction, divided
/// by the paper's shade (so dimmer light weakens paper and ink alike and
/// cancels out), at least [`DIVISOR_FLOOR`].
fn relative_ink(pixels: &[f32], paper: &[f32], dark_ink: bool) -> Vec<f32> {
    pixels
        .iter()
        .zip(paper)
        .map(|(&v, &p)| {
            let d = if dark_ink { p - v } else { v - p };
            d / p.max(DIVISOR_FLOOR)
        })
        .collect()
}

/// The paper's level and the grain's standard deviation among `values`, most of
/// which are paper: the median and 1.4826 times the median absolute deviation
/// (at least half a grey level, so a flawless synthetic page has a floor).
pub fn noise_level(values: &[f32]) -> (f32, f32) {
    let sample = spread_sample(values, 65_536);
    let centre = median(&mut sample.clone());
    let mut dev: Vec<f32> = sample.iter().map(|v| (v - centre).abs()).collect();
    (centre, (1.4826 * median(&mut dev)).max(0.5 / 255.0))
}

/// At most `n` of `values`, evenly spread (all of them when there are fewer).
fn spread_sample(values: &[f32], n: usize) -> Vec<f32> {
    let step = values.len().div_ceil(n).max(1);
    values.iter().step_by(step).copied().collect()
}

fn median(values: &mut [f32]) -> f32 {
    let k = values.len() / 2;
    *values.select_nth_unstable_by(k, f32::total_cmp).1
}

/// Otsu's threshold of the `values` above `floor`, with the values at or below
/// it counted as one class: the level that best splits the picture into two
/// classes of small spread. `floor` itself when nothing lies above it.
pub fn otsu(values: &[f32], floor: f32) -> f32 {
    const BINS: usize = 256;
    let top = values.iter().copied().fold(floor, f32::max);
    if top <= floor {
        return floor;
    }
    let width = (top - floor) / BINS as f32;
    let mut hist = [0.0f64; BINS + 1];
    for &v in values {
        let bin = if v <= floor {
            0
        } else {
            (((v - floor) / width) as usize + 1).min(BINS)
        };
        hist[bin] += 1.0;
    }
    let level = |bin: usize| f64::from(floor) + (bin as f64 - 0.5) * f64::from(width);
    let total: f64 = hist.iter().sum();
    let mass: f64 = hist
        .iter()
        .enumerate()
        .map(|(b, n)| n * level(b.max(1)))
        .sum();
    let (mut below, mut below_mass, mut best, mut best_bin) = (0.0, 0.0, -1.0, 1);
    for (b, &n) in hist.iter().enumerate().take(BINS) {
        below += n;
        below_mass += n * level(b.max(1));
        let above = total - below;
        if below == 0.0 || above == 0.0 {
            continue;
        }
        let gap = below_mass / below - (mass - below_mass) / above;
        let score = below * above * gap * gap;
        if score > best {
            (best, best_bin) = (score, b + 1);
        }
    }
    floor + (best_bin as f32 - 1.0) * width
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gray(width: usize, height: usize, f: impl Fn(usize, usize) -> f32) -> Gray {
        let pixels = (0..width * height)
            .map(|i| f(i % width, i / width))
            .collect();
        Gray::new(width, height, pixels)
    }

    #[test]
    fn shrinking_averages_whole_and_cut_blocks() {
        let g = gray(5, 3, |x, y| (x + 10 * y) as f32);
        let s = shrink(&g, 2);
        assert_eq!((s.width(), s.height()), (3, 2));
        // Block (0,0): 0,1,10,11; the last column's blocks are one pixel wide.
        assert_eq!(s.pixels(), vec![5.5, 7.5, 9.0, 20.5, 22.5, 24.0]);
    }

    #[test]
    fn shrinking_bytes_matches_shrinking_their_grey_values() {
        let byte = |x: usize, y: usize| ((x * 37 + y * 101 + x * y) % 256) as u8;
        for (w, h, factor) in [
            (5, 3, 2),
            (4000, 7, 4),
            (1030, 2050, 3),
            (9, 9, 1),
            (7, 5, 9),
        ] {
            let luma: Vec<u8> = (0..w * h).map(|i| byte(i % w, i / w)).collect();
            let fast = shrink_luma(&luma, w, h, factor, (false, false));
            let plain = shrink(&gray(w, h, |x, y| f32::from(byte(x, y)) / 255.0), factor);
            assert_eq!((fast.factor(), fast.source_size()), (factor, (w, h)));
            let worst = crate::test_support::worst_difference(&fast, &plain);
            assert!(worst < 1e-5, "{w}x{h} by {factor}: {worst}");
            // Aligned with the far sides: the shrunk picture turned half way round of
            // the picture turned half way round (both its pixels in reverse order).
            let turned: Vec<u8> = luma.iter().rev().copied().collect();
            let mut back = shrink_luma(&turned, w, h, factor, (true, true)).into_pixels();
            back.reverse();
            assert_eq!(
                back,
                fast.pixels(),
                "{w}x{h} by {factor}, from the far sides"
            );
        }
    }

    #[test]
    fn a_shrunk_picture_keeps_standing_for_its_source() {
        let g = gray(2100, 900, |x, _| if x < 1000 { 0.0 } else { 1.0 });
        let once = shrink(&g, 3);
        assert_eq!(
            (once.width(), once.factor(), once.source_size()),
            (700, 3, (2100, 900))
        );
        let twice = shrink(&once, 2);
        assert_eq!((twice.width(), twice.height()), (350, 150));
        assert_eq!((twice.factor(), twice.source_size()), (6, (2100, 900)));
        let ink = ink_map(&once).unwrap();
        assert_eq!((ink.width, ink.factor, ink.picture), (700, 3, (2100, 900)));
        assert_eq!(ink.to_picture((0, 0, 1, 1)), [0, 0, 3, 3]);
        // The analysis of the full picture shrinks it by the same factor.
        assert_eq!(analysis_factor(2100, 900), 3);
        assert_eq!(ink_map(&g).unwrap(), ink);
    }

    #[test]
    fn the_background_follows_a_gradient_and_ignores_strokes() {
        // Light falling from 1.0 on the left to 0.7 on the right, with a dark bar.
        let g = gray(300, 200, |x, y| {
            let light = 1.0 - 0.3 * x as f32 / 299.0;
            if (140..150).contains(&x) && (40..160).contains(&y) {
                0.1 * light
            } else {
                light
            }
        });
        let paper = background(&g, true);
        for (x, y) in [(10, 10), (145, 100), (290, 190), (150, 50)] {
            let truth = 1.0 - 0.3 * x as f32 / 299.0;
            let got = paper[y * 300 + x];
            assert!((got - truth).abs() < 0.03, "({x},{y}): {got} vs {truth}");
        }
    }

    #[test]
    fn the_background_ignores_a_bold_digit_that_fills_its_windows() {
        // A bold white ring on black, 6 pixels thick, filling a 28x28 field as MNIST's bold 0s.
        let g = gray(28, 28, |x, y| {
            let r = ((x as f32 - 13.5).powi(2) + (y as f32 - 13.5).powi(2)).sqrt();
            if (4.0..10.0).contains(&r) { 1.0 } else { 0.0 }
        });
        let paper = background(&g, false);
        let worst = paper.iter().copied().fold(0.0, f32::max);
        assert!(worst < 0.05, "{worst}");
        assert!(!dark_ink(&g));
    }

    #[test]
    fn a_blot_wider_than_the_window_stays_ink() {
        let g = gray(90, 90, |x, y| {
            if (20..60).contains(&x) && (20..60).contains(&y) {
                0.0
            } else {
                1.0
            }
        });
        let ink = ink_map(&g).unwrap();
        let centre = ink.strength[40 * 90 + 40];
        assert!(centre > ink.strong, "{centre} vs {}", ink.strong);
    }

    #[test]
    fn polarity_is_the_side_that_stands_out() {
        let board = gray(80, 60, |x, y| {
            if (30..36).contains(&x) && (10..50).contains(&y) {
                0.9
            } else {
                0.2
            }
        });
        assert!(!dark_ink(&board));
        let page = board.map(|v| 1.0 - v);
        assert!(dark_ink(&page));
    }

    #[test]
    fn polarity_matches_the_sorted_values() {
        // The plain rule: sort, and compare the extremes' distances from the median.
        let sorted_rule = |g: &Gray| {
            let mut v = g.pixels().to_vec();
            v.sort_by(f32::total_cmp);
            let (n, k) = (v.len(), v.len() / EXTREME_SHARE);
            v[n / 2] - v[k] >= v[n - 1 - k] - v[n / 2]
        };
        let mut state = 7u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 40) as f32 / (1u64 << 24) as f32
        };
        for (w, h, skew) in [
            (1, 1, 1.0),
            (2, 1, 1.0),
            (3, 1, 3.0),
            (101, 99, 0.3),
            (200, 150, 4.0),
        ] {
            for _ in 0..4 {
                let pixels = (0..w * h).map(|_| next().powf(skew)).collect();
                let g = Gray::new(w, h, pixels);
                assert_eq!(dark_ink(&g), sorted_rule(&g), "{w}x{h}, skew {skew}");
            }
        }
    }

    #[test]
    fn noise_level_reads_the_grain() {
        // A deterministic spread: uniform on [-a, a] has MAD a/2.
        let values: Vec<f32> = (0..10_001)
            .map(|i| 0.3 + 0.2 * (i as f32 / 5000.0 - 1.0))
            .collect();
        let (centre, sigma) = noise_level(&values);
        assert!((centre - 0.3).abs() < 1e-3, "{centre}");
        assert!((sigma - 1.4826 * 0.1).abs() < 1e-3, "{sigma}");
    }

    #[test]
    fn otsu_splits_two_clusters_between_them() {
        let mut values = vec![0.05f32; 900];
        values.extend(vec![0.8f32; 100]);
        let t = otsu(&values, 0.1);
        assert!((0.1..0.8).contains(&t), "{t}");
        assert_eq!(otsu(&[0.0, 0.05], 0.1), 0.1);
    }

    #[test]
    fn a_shadowed_page_gives_even_ink() {
        // A stroke that crosses from full light into a soft shadow at half the light.
        let g = gray(400, 300, |x, y| {
            let light = 1.0 - 0.5 / (1.0 + (-(y as f32 - 150.0) / 15.0).exp());
            let ink = (195..205).contains(&x) && (50..250).contains(&y);
            light * if ink { 0.2 } else { 0.9 }
        });
        let ink = ink_map(&g).unwrap();
        let at = |x: usize, y: usize| ink.strength[y * ink.width + x];
        assert!(
            (at(200, 80) - at(200, 220)).abs() < 0.05,
            "{} {}",
            at(200, 80),
            at(200, 220)
        );
        assert!(at(50, 80).abs() < 0.05 && at(50, 220).abs() < 0.05);
        assert!(ink.weak < at(200, 80) && ink.strong < at(200, 220));
    }

    #[test]
    fn boxes_map_back_to_the_picture() {
        let g = gray(2100, 900, |_, _| 1.0);
        let ink = InkMap {
            width: 700,
            height: 300,
            factor: 3,
            picture: (2100, 900),
            strength: vec![],
            weak: 0.0,
            strong: 0.0,
            dark_ink: true,
        };
        assert_eq!(shrink(&g, 3).width(), 700);
        assert_eq!(ink.to_picture((10, 20, 5, 6)), [30, 60, 15, 18]);
        assert_eq!(ink.to_picture((699, 299, 1, 1)), [2097, 897, 3, 3]);
    }
}
