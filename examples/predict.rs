//! Reads digits in image files with a saved model.
//!
//! ```sh
//! cargo run --release -- train --save model.safetensors
//! cargo run --release --example predict -- model.safetensors digit.png
//! ```

use std::path::Path;
use std::process::ExitCode;

use digitnet::{Model, preprocess};

const USAGE: &str = "usage: predict MODEL.safetensors IMAGE...";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let [model, images @ ..] = args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    if images.is_empty() {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let model = match Model::load(model) {
        Ok(model) => model,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut failed = false;
    for file in images {
        match preprocess::open(Path::new(file)) {
            Ok(image) => {
                let answer = model.predict(&image);
                match (&answer.label, answer.probability()) {
                    (Some(digit), Some(p)) => println!("{file}: {digit} ({:.1}%)", 100.0 * p),
                    _ => println!("{file}: ? ({})", answer.reason.unwrap_or_default()),
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
