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

    /// The operating system refused a file operation.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Training produced a non-finite value; the weights from before it are kept.
    /// `epoch` counts from 1, as people do.
    #[error(
        "training diverged in epoch {epoch}: the loss became {value}; the weights from before it were kept; try a lower learning rate (--lr)"
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
            source,
        }
    }
}
