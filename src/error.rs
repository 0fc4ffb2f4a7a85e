//! The library's error type: every failure a user can cause is one of these,
//! with a message that names what was wrong and what was expected.

use std::path::PathBuf;

/// Everything that can go wrong in digitnet's library code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting is outside the range it must lie in (sizes, rates, fractions...).
    #[error("{0}")]
    Config(String),

    /// Input data could not be understood. `origin` names the file (and line or field).
    #[error("{origin}: {message}")]
    Data { origin: String, message: String },

    /// The operating system refused a file operation. Its message is part of this one
    /// and not a separate `source()`, so that a chain of causes prints it once.
    #[error("{}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },

    /// Training produced a non-finite value; the weights from before it are kept.
    /// `epoch` counts from 1, as people do.
    #[error(
        "training diverged in epoch {epoch}: the loss became {value}; the weights from before it \
            were kept; try a lower learning rate (--lr)"
    )]
    Diverged { epoch: usize, value: f32 },

    /// A picture could not be drawn or encoded.
    #[error("drawing the {picture} picture: {message}")]
    Draw { picture: String, message: String },
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A configuration error from anything printable.
    pub fn config(message: impl Into<String>) -> Self {
        Error::Config(message.into())
    }

    /// A data error located at `origin` (a file name, optionally with a line).
    pub fn data(origin: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Data {
            origin: origin.into(),
            message: message.into(),
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error: source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_os_error_is_printed_once_in_a_chain_of_causes() {
        let missing = std::fs::File::open("/no/such/nope.safetensors").unwrap_err();
        let err = Error::io("nope.safetensors", missing);
        // `{:#}` (anyhow, the CLI) prints every `source()` after the message: none here.
        assert!(std::error::Error::source(&err).is_none());
        let shown = err.to_string();
        assert_eq!(shown.matches("No such file").count(), 1, "{shown}");
        assert!(
            shown.starts_with("nope.safetensors: No such file"),
            "{shown}"
        );
    }
}
