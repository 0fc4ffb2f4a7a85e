//! Files that appear whole or not at all: write to a temporary file in the same
//! folder, then rename it over the target.
//!
//! A rename within one folder is atomic on the file systems we care about, so a
//! reader (or a crash) never sees half a picture or half a log.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Writes `bytes` to `path` through a temporary file and a rename.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes)
        .map_err(|e| Error::io(file.temp.clone(), e))?;
    file.commit()
}

/// A file being written under a temporary name next to its target; [`AtomicFile::commit`]
/// renames it into place. Dropped without a commit, it removes the temporary file.
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    file: Option<File>,
}

impl AtomicFile {
    /// Creates the temporary file `.NAME.PID.tmp` in `path`'s folder.
    pub fn create(path: &Path) -> Result<Self> {
        let name = path
            .file_name()
            .ok_or_else(|| Error::config(format!("'{}' is not a file name", path.display())))?;
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{}.tmp", std::process::id()));
        let temp = path.with_file_name(temp_name);
        let file = File::create(&temp).map_err(|e| Error::io(path, e))?;
        Ok(AtomicFile {
            target: path.to_path_buf(),
            temp,
            file: Some(file),
        })
    }

    /// The path the file will have once committed.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes to disk and renames the temporary file over the target. If either
    /// fails, the temporary file is removed and the target left as it was.
    pub fn commit(mut self) -> Result<()> {
        let file = self.file.take().expect("an uncommitted file is open");
        let done = file.sync_all().and_then(|()| {
            abort_here_for_tests();
            fs::rename(&self.temp, &self.target)
        });
        if let Err(e) = done {
            let _ = fs::remove_file(&self.temp);
            return Err(Error::io(&self.target, e));
        }
        sync_folder(&self.target);
        Ok(())
    }
}

/// A test hook, in every build so that the release-profile tests reach it: with
/// `DIGITNET_TEST_ABORT_BEFORE_RENAME` set, the process dies between writing the temporary file and renaming it, as a
/// crash or `kill -9` would, so a test can check that the old file survives.
fn abort_here_for_tests() {
    if std::env::var_os("DIGITNET_TEST_ABORT_BEFORE_RENAME").is_some() {
        std::process::abort();
    }
}

/// Flushes the folder entry too, so the rename itself survives a crash (best effort).
fn sync_folder(path: &Path) {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(dir) = File::open(folder) {
        let _ = dir.sync_all();
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.as_mut().expect("open").write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().expect("open").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::scratch;

    #[test]
    fn write_replaces_the_target_and_leaves_no_temporary_file() {
        let dir = scratch("atomic-write");
        let path = dir.join("a.txt");
        fs::write(&path, "old").unwrap();
        write(&path, b"new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
    }

    #[test]
    fn an_uncommitted_file_leaves_nothing_behind() {
        let dir = scratch("atomic-drop");
        let path = dir.join("b.txt");
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"half").unwrap();
        drop(f);
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
    }

    #[test]
    fn a_failed_rename_keeps_the_target_and_removes_the_temporary_file() {
        let dir = scratch("atomic-rename");
        // The target is a non-empty folder: the data is written, the rename fails.
        let target = dir.join("taken");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("keep"), b"x").unwrap();
        let err = write(&target, b"data").unwrap_err().to_string();
        assert!(err.contains("taken"), "{err}");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        assert_eq!(fs::read(target.join("keep")).unwrap(), b"x");
    }

    #[test]
    fn a_missing_folder_is_an_error_naming_the_target() {
        let dir = scratch("atomic-missing");
        let path = dir.join("no/such/c.txt");
        let err = write(&path, b"x").unwrap_err().to_string();
        assert!(err.contains("no/such/c.txt"), "{err}");
    }
}
