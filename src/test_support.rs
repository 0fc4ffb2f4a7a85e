//! Helpers for the library's unit tests.

use std::path::PathBuf;

/// A fresh, empty folder for one test, under the system's temporary folder; `name`
/// must be unique among the library's tests (they run in parallel).
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("digitnet-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
