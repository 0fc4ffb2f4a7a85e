//! Helpers for the library's unit tests.

use std::path::PathBuf;

use crate::preprocess::Gray;

/// A fresh, empty folder for one test, under the system's temporary folder; `name`
/// must be unique among the library's tests (they run in parallel).
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("digitnet-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A white 40x40 page with a thick black vertical bar: a "1" to any digit reader.
pub fn bar() -> Gray {
    let mut page = Gray::new(40, 40, vec![1.0; 1600]);
    for y in 6..34 {
        page.pixels_mut()[y * 40 + 17..y * 40 + 23].fill(0.0);
    }
    page
}

/// The largest difference between two pictures' pixels, which must have one size.
pub fn worst_difference(a: &Gray, b: &Gray) -> f32 {
    assert_eq!((a.width(), a.height()), (b.width(), b.height()));
    let pairs = a.pixels().iter().zip(b.pixels());
    pairs.map(|(a, b)| (a - b).abs()).fold(0.0, f32::max)
}
