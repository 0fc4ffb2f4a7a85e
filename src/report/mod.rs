//! The text digitnet prints: a training run's report ([`run`]) and what the
//! commands that use a saved model print ([`model`]). They format summaries;
//! they compute nothing.

pub mod model;
pub mod run;
