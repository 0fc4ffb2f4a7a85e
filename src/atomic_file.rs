//! Writing a file so that readers see either the old content or the new, never
//! half of it: write a temporary file in the same folder, flush it to disk, then
//! rename it over the target (a rename within one file system is atomic).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};

/// Replaces (or creates) `path` with `bytes`, atomically. On failure the target
/// is untouched and the temporary file is removed.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_path(path)?;
    let written = write_synced(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    sync_folder(path);
    Ok(())
}

/// `.NAME.tmp-PID-N` beside `path`: same folder, so the rename cannot cross file
/// systems; the process id and a counter keep concurrent writers apart.
fn temp_path(path: &Path) -> Result<PathBuf> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let name = path.file_name().ok_or_else(|| {
        Error::config(format!(
            "{}: not a file name to write to, which should end in a name such as model.safetensors",
            path.display()
        ))
    })?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = format!(".{}.tmp-{}-{n}", name.to_string_lossy(), std::process::id());
    Ok(path.with_file_name(tmp))
}

fn write_synced(tmp: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(tmp)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Flushes the folder entry too, so the rename itself survives a crash (Unix;
/// best effort elsewhere).
fn sync_folder(path: &Path) {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(dir) = File::open(folder) {
        let _ = dir.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("digitnet-atomic-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_the_file_and_leaves_no_temporary_behind() {
        let dir = scratch("replace");
        let path = dir.join("out.bin");
        write(&path, b"old").unwrap();
        write(&path, b"new content").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new content");
        assert_eq!(entries(&dir), ["out.bin"]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_failed_write_keeps_the_target_and_cleans_up() {
        let dir = scratch("fail");
        // The target is a non-empty folder: the rename fails after the data was written.
        let target = dir.join("taken");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("keep"), b"x").unwrap();
        let err = write(&target, b"data").unwrap_err().to_string();
        assert!(err.contains("taken"), "{err}");
        assert_eq!(entries(&dir), ["taken"]);
        assert_eq!(fs::read(target.join("keep")).unwrap(), b"x");
        // A folder that does not exist: nothing is created.
        assert!(write(&dir.join("missing/out.bin"), b"data").is_err());
        assert_eq!(entries(&dir), ["taken"]);
        fs::remove_dir_all(dir).unwrap();
    }
}
