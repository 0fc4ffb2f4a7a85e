//! Writes a labelled PNG grid of MNIST test digits and random distortions of them
//! (what `train --augment` trains on): each row is one digit, first as it is, then
//! nine distorted copies; each image carries its label in its corner. `photo`
//! after the file name shows `--augment photo`'s distortions (stroke width, blur,
//! noise on top of the shapes).
//!
//! ```sh
//! cargo run --release --example augment_preview -- preview.png [photo]
//! ```

use std::process::ExitCode;

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

use digitnet::augment::{Augment, Distorter};
use digitnet::data::{Dataset, mnist};
use digitnet::plot::{self, DigitGrid, Format};

const USAGE: &str =
    "usage: augment_preview [OUT.png [photo]]   (default: augment_preview.png, --augment shapes)";
const ROWS: usize = 8;
/// The original and nine distortions: one row of the 10-wide digit grid.
const COLS: usize = 10;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (path, settings) = match args.as_slice() {
        [] => ("augment_preview.png".to_string(), Augment::mnist()),
        [flag] if flag.starts_with('-') => {
            eprintln!("{USAGE}");
            return ExitCode::from(if flag == "-h" || flag == "--help" {
                0
            } else {
                2
            });
        }
        [path] => (path.clone(), Augment::mnist()),
        [path, kind] if kind == "photo" => (path.clone(), Augment::photo()),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match write_preview(&path, settings) {
        Ok(()) => {
            eprintln!("wrote {path}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write_preview(path: &str, settings: Augment) -> digitnet::Result<()> {
    let test = mnist::test()?;
    let side = test.height;
    let mut distorter = Distorter::new(settings, (side, side));
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    let mut tile = vec![0.0; side * side];
    for r in 0..ROWS {
        let image = test.image(r);
        for c in 0..COLS {
            if c == 0 {
                tile.copy_from_slice(image);
            } else {
                distorter.distort(image, &mut tile, &mut rng);
            }
            pixels.extend(tile.iter().map(|v| v.clamp(0.0, 255.0)));
            labels.push(test.labels[r]);
        }
    }
    let grid = Dataset::new("augment preview", pixels, labels, (side, side), 255.0, 10)?;
    let title = "each row: an MNIST test digit, then 9 random distortions (seed 0)";
    plot::save(&DigitGrid::titled(&grid, title), Format::Png, path.as_ref())
}
