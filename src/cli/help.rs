//! The headings `--help` groups options under.

/// Where the images come from and how they are read.
pub const DATA: &str = "Data";
/// The network's shape.
pub const NETWORK: &str = "Network";
/// How it is trained.
pub const TRAINING: &str = "Training";
/// What is printed and written.
pub const OUTPUT: &str = "Output";
