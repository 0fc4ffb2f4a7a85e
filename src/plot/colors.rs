//! Colour scales: ink on paper, a diverging scale around zero, and the two
//! scales of the confusion heatmap (blue for correct answers, red for errors).

use plotters::style::RGBColor;

/// Linear blend from `a` (t = 0) to `b` (t = 1); `t` is clamped to 0..1.
pub fn blend(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let mix = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * t).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

pub const PAPER: RGBColor = RGBColor(255, 255, 255);
pub const INK: RGBColor = RGBColor(0, 0, 0);
/// Dark blue: the top of the "correct" scale and the negative end of the diverging one.
pub const BLUE: RGBColor = RGBColor(8, 48, 107);
/// Red: the top of the "error" scale, kept lighter than the top of the blue one so
/// a well-learned diagonal is the darkest part of the heatmap.
pub const RED: RGBColor = RGBColor(239, 59, 44);
/// The lightest visible error: a faint pink that still stands out from an empty cell.
pub const PALE_RED: RGBColor = RGBColor(254, 232, 222);
/// The ends of the diverging scale (ColorBrewer RdBu).
pub const NEGATIVE: RGBColor = RGBColor(33, 102, 172);
pub const POSITIVE: RGBColor = RGBColor(178, 24, 43);
/// Training curves and markers.
pub const TRAIN_LINE: RGBColor = RGBColor(31, 119, 180);
pub const VAL_LINE: RGBColor = RGBColor(255, 127, 14);
pub const KEPT_MARK: RGBColor = RGBColor(44, 160, 44);
/// Label text on digit cells.
pub const LABEL: RGBColor = RGBColor(214, 39, 40);

/// A pixel's ink: 0 is paper (white), 1 is full ink (black).
pub fn ink(v: f64) -> RGBColor {
    blend(PAPER, INK, v)
}

/// -1 (blue) through 0 (white) to +1 (red).
pub fn diverging(v: f64) -> RGBColor {
    if v < 0.0 {
        blend(PAPER, NEGATIVE, -v)
    } else {
        blend(PAPER, POSITIVE, v)
    }
}

/// A correct answer's cell: white to dark blue as `t` goes 0..1. The square root
/// spreads the top of the range, where a good diagonal's counts all lie.
pub fn correct(t: f64) -> RGBColor {
    blend(PAPER, BLUE, t.max(0.0).sqrt())
}

/// The share of a true class's images in one error cell that gets the full red.
pub const ERROR_RATE_FULL: f64 = 0.2;

/// An error cell holding `rate` (0..1) of its true class's images: from a faint pink
/// (one error among many right answers) to red at [`ERROR_RATE_FULL`] and above. The
/// square root spreads the small rates, where most errors of a good model lie.
pub fn error_rate(rate: f64) -> RGBColor {
    blend(PALE_RED, RED, (rate / ERROR_RATE_FULL).max(0.0).sqrt())
}

/// Relative luminance 0..1 (sRGB weights), to choose black or white text.
pub fn luminance(c: RGBColor) -> f64 {
    (0.2126 * f64::from(c.0) + 0.7152 * f64::from(c.1) + 0.0722 * f64::from(c.2)) / 255.0
}

/// Black text on light backgrounds, white on dark ones.
pub fn text_on(c: RGBColor) -> RGBColor {
    if luminance(c) > 0.5 { INK } else { PAPER }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_hit_their_ends() {
        assert_eq!(ink(0.0), PAPER);
        assert_eq!(ink(1.0), INK);
        assert_eq!(diverging(-1.0), NEGATIVE);
        assert_eq!(diverging(0.0), PAPER);
        assert_eq!(diverging(1.0), POSITIVE);
        assert_eq!(correct(1.0), BLUE);
        assert_eq!(error_rate(0.0), PALE_RED);
        assert_eq!(error_rate(ERROR_RATE_FULL), RED);
        assert_eq!(error_rate(1.0), RED);
        assert_eq!(blend(PAPER, INK, f64::NAN), PAPER);
    }

    #[test]
    fn the_darkest_correct_cell_is_darker_than_the_darkest_error() {
        assert!(luminance(correct(1.0)) < luminance(error_rate(1.0)));
        assert_eq!(text_on(correct(1.0)), PAPER);
        assert_eq!(text_on(correct(0.1)), INK);
    }
}
