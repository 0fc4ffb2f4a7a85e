//! A trained model as a user holds it: the network with its input convention and
//! training record ([`Model`]), kept on disk ([`file`](mod@file)), answering pictures
//! ([`predict`]), and the MNIST model compiled into the library ([`builtin`]).

pub mod builtin;
pub mod file;
pub mod predict;

pub use file::{
    FORMAT, FORMAT_VERSION, InputInfo, LayerInfo, MAX_MODEL_BYTES, Metadata, Model, TrainingSummary,
};
pub use predict::Prediction;
