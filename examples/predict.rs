//! Reads digits in image files with a saved model.
//!
//! ```sh
//! cargo run --release -- train --save model.safetensors
//! cargo run --release --example predict -- model.safetensors digit.png
//! ```

use std::path::Path;

use digitnet::{Model, preprocess};

fn main() -> Result<(), digitnet::Error> {
    let mut args = std::env::args().skip(1);
    let usage = || digitnet::Error::config("usage: predict MODEL IMAGE...");
    let model = Model::load(args.next().ok_or_else(usage)?)?;
    for file in args {
        let image = preprocess::open(Path::new(&file))?;
        let answer = model.predict(&image);
        match (&answer.label, answer.probability()) {
            (Some(digit), Some(p)) => println!("{file}: {digit} ({:.1}%)", 100.0 * p),
            _ => println!("{file}: ? ({})", answer.reason.unwrap_or_default()),
        }
    }
    Ok(())
}
