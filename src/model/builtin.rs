//! The MNIST model built into the library: a 28x28 network that `predict`, `eval`
//! and `serve` use when no `--model` is given, so a picture can be read without
//! training anything first.
//!
//! The file is `assets/models/mnist.safetensors`, an ordinary model file (the one
//! `digitnet train --save` writes); `assets/models/README.md` gives the seeded
//! command that trains it, its accuracy on MNIST's test set and its size.

use crate::error::Result;
use crate::model::Model;

/// The built-in model's file, as `digitnet train --save` wrote it.
pub const MNIST_MODEL_BYTES: &[u8] = include_bytes!("../../assets/models/mnist.safetensors");

/// How the built-in model is named in reports and in `GET /api/model`.
pub const MNIST_MODEL_NAME: &str = "built-in MNIST model (assets/models/mnist.safetensors)";

impl Model {
    /// The 28x28 MNIST model embedded in the library (see [`crate::model::builtin`]).
    /// Each call parses and checks the embedded file: keep the result.
    pub fn builtin_mnist() -> Result<Model> {
        Model::from_bytes(MNIST_MODEL_BYTES, MNIST_MODEL_NAME)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::Style;

    #[test]
    fn the_builtin_model_loads_and_reads_28x28_mnist_style_input() {
        let model = Model::builtin_mnist().unwrap();
        let input = &model.meta.input;
        assert_eq!((input.height, input.width), (28, 28));
        assert_eq!(input.pixel_max, 255.0);
        assert_eq!(input.preparation, Style::Mnist);
        assert_eq!(model.meta.classes.len(), 10);
        assert_eq!(model.meta.training.dataset, "mnist");
        assert!(MNIST_MODEL_BYTES.len() <= 4 << 20, "the file exceeds 4 MB");
    }

    #[cfg(feature = "mnist")]
    #[test]
    fn the_builtin_model_reads_a_slice_of_mnist_test_digits() {
        let test = crate::data::mnist::test().unwrap();
        let slice = test.subset(&(0..1000).collect::<Vec<_>>());
        let model = Model::builtin_mnist().unwrap();
        let accuracy = model.evaluate(&slice).unwrap().accuracy;
        // The first 1,000 test digits are easier than the rest; the full set's
        // figure is in assets/models/README.md.
        assert!(accuracy >= 0.98, "accuracy {accuracy}");
    }
}
