//! The library's error type: every failure a user can cause is one of these,
//! with a message that names what was wrong and what was expected.

use std::path::{Path, PathBuf};

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
    #[error("{}: {error}", shown_path(path))]
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

/// `path` as a message shows it: as written, except that a byte that is not UTF-8 is
/// shown as `\xNN` and a control character as `\u{1b}`. `Path::display` turns such
/// bytes into U+FFFD, which names a file no one can find; a raw control character
/// could drive the terminal.
pub fn shown_path(path: impl AsRef<Path>) -> String {
    shown_bytes(path.as_ref().as_os_str().as_encoded_bytes())
}

/// `bytes` as text: valid UTF-8 as it is (control characters escaped), every other
/// byte as `\xNN`.
pub fn shown_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() {
                out.extend(c.escape_unicode());
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
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

    #[cfg(unix)]
    #[test]
    fn a_name_that_is_not_utf8_is_shown_escaped_not_mangled() {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::OsStr::from_bytes(b"caf\xe9/\xff\xfeb\xc3\xa9\x1b[2J.csv");
        assert_eq!(shown_path(name), "caf\\xE9/\\xFF\\xFEb\u{e9}\\u{1b}[2J.csv");
        let err = Error::io(Path::new(name), std::io::Error::other("gone"));
        assert_eq!(err.to_string(), format!("{}: gone", shown_path(name)));
        assert!(!err.to_string().contains('\u{fffd}'));
    }

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
