//! Small data and pixel checks shared by the picture tests.

use super::Rgb;
use crate::data::Dataset;

/// Twelve 8x8 images (values 0..16): image 0 has ink in its right half only,
/// image 1 in its left half only, the rest a diagonal stroke. Labels are `i % 10`.
pub fn tiny_dataset() -> Dataset {
    let mut pixels = Vec::new();
    for i in 0..12 {
        for r in 0..8 {
            for c in 0..8 {
                let on = match i {
                    0 => c >= 4,
                    1 => c < 4,
                    _ => r == c,
                };
                pixels.push(if on { 16.0 } else { 0.0 });
            }
        }
    }
    let labels = (0..12).map(|i| i % 10).collect();
    Dataset::new("tiny", pixels, labels, (8, 8), 16.0, 10).unwrap()
}

/// A pixel a person would call dark.
pub fn is_dark([r, g, b]: [u8; 3]) -> bool {
    (u32::from(r) + u32::from(g) + u32::from(b)) < 3 * 100
}

/// Fails unless the picture has both paper and a fair amount of drawing.
pub fn assert_not_blank(rgb: &Rgb) {
    let pixels = rgb.pixels.chunks_exact(3);
    let total = pixels.len();
    let drawn = pixels.filter(|p| p != &[255, 255, 255]).count();
    assert!(
        drawn * 100 > total,
        "only {drawn} of {total} pixels are drawn"
    );
    assert!(drawn < total, "no paper left: the whole picture is filled");
}
