//! Writes a grid of MNIST digits and random distortions of them (what `--augment`
//! trains on) as a PGM image: the first column is the original, the others are
//! distorted copies; `photo` after the file name shows `--augment photo`'s.
//!
//! ```sh
//! cargo run --release --example augment_preview -- preview.pgm [photo]
//! ```

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

use digitnet::augment::{Augment, Distorter};
use digitnet::data::mnist;

const ROWS: usize = 8;
const COLS: usize = 8;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "augment_preview.pgm".into());
    let settings = match std::env::args().nth(2).as_deref() {
        Some("photo") => Augment::photo(),
        _ => Augment::mnist(),
    };
    let test = mnist::test()?;
    let side = test.height;
    let mut distorter = Distorter::new(settings, (side, side));
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let (w, h) = (COLS * (side + 1), ROWS * (side + 1));
    let mut canvas = vec![128u8; w * h];
    let mut tile = vec![0.0; side * side];
    for r in 0..ROWS {
        let image = test.image(r);
        for c in 0..COLS {
            if c == 0 {
                tile.copy_from_slice(image);
            } else {
                distorter.distort(image, &mut tile, &mut rng);
            }
            for (k, &v) in tile.iter().enumerate() {
                let (y, x) = (r * (side + 1) + k / side, c * (side + 1) + k % side);
                canvas[y * w + x] = 255 - v.clamp(0.0, 255.0) as u8;
            }
        }
    }
    let mut out = format!("P5\n{w} {h}\n255\n").into_bytes();
    out.extend(canvas);
    std::fs::write(&path, out)?;
    eprintln!("wrote {path}");
    Ok(())
}
