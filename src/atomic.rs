//! Files that appear whole or not at all, and never destroy what is not ours.
//!
//! What a save does depends on what the target path is (checked before anything is
//! written, following symbolic links):
//!
//! - **nothing, or a regular file**: the bytes go to a temporary file in the same folder
//!   (`tempfile`), which is flushed to disk, renamed over the target and followed by a
//!   flush of the folder. A reader, a crash or `kill -9` never sees half a file. A
//!   replaced file keeps its permissions (and, when run as root, its owner); other hard
//!   links to it keep the old content, as with any atomic replace.
//! - **a symbolic link**: the file it points to is replaced as above; the link stays.
//! - **a character device or a FIFO** (`/dev/null`, `/dev/stderr`, a named pipe): the
//!   bytes are written through to it, as a shell's `>` would. Nothing is renamed.
//! - **a folder, a block device or a socket**: refused with a message naming the path.
//!
//! Temporary files are named `.NAME.PID.RANDOM.tmp`. One left behind by a process that
//! was killed is removed by the next save into the same folder and name once that
//! process has ended.

use std::ffi::OsString;
use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result, shown_path};

/// Writes `bytes` to `path` (see the module docs for what happens with each kind of path).
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes).map_err(|e| Error::io(path, e))?;
    file.commit()
}

/// Checks, before long work, that a later save to `path` can succeed: the target is a
/// kind of file this module writes, and its folder accepts a new file.
pub fn check_writable(path: &Path) -> Result<()> {
    let real = resolve_links(path)?;
    match fs::metadata(&real) {
        // Opening a FIFO would wait for a reader: its kind is enough.
        Ok(meta) if writes_through(&meta.file_type()) => Ok(()),
        _ => AtomicFile::create(path).map(drop),
    }
}

/// A file being written: under a temporary name next to its target, which
/// [`AtomicFile::commit`] renames into place, or straight into a device or FIFO.
/// Dropped without a commit, it removes the temporary file.
pub struct AtomicFile {
    target: PathBuf,
    sink: Option<Sink>,
}

enum Sink {
    /// A temporary file that replaces `real` (the target with its links followed).
    Replace {
        temp: tempfile::NamedTempFile,
        real: PathBuf,
    },
    /// A device or FIFO written in place.
    Through(File),
}

/// How many symbolic links [`resolve_links`] follows before giving up (as Linux does).
const MAX_LINKS: usize = 40;

impl AtomicFile {
    /// Opens the temporary file beside `path`'s real target (or the device it names).
    pub fn create(path: &Path) -> Result<Self> {
        let real = resolve_links(path)?;
        let sink = match fs::metadata(&real) {
            Ok(meta) => open_for(path, &real, Some(&meta))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => open_for(path, &real, None)?,
            Err(e) => return Err(Error::io(path, e)),
        };
        Ok(AtomicFile {
            target: path.to_path_buf(),
            sink: Some(sink),
        })
    }

    /// The path the file will have once committed (as the user gave it).
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes to disk and renames the temporary file over the target (for a device or
    /// FIFO: flushes). If that fails, the temporary file is removed and the target left
    /// as it was.
    pub fn commit(mut self) -> Result<()> {
        match self.sink.take() {
            Some(Sink::Replace { temp, real }) => {
                temp.as_file()
                    .sync_all()
                    .map_err(|e| Error::io(&self.target, e))?;
                abort_here_for_tests();
                temp.persist(&real)
                    .map_err(|e| Error::io(&self.target, e.error))?;
                sync_folder(&real);
                Ok(())
            }
            Some(Sink::Through(mut file)) => file.flush().map_err(|e| Error::io(&self.target, e)),
            None => Ok(()),
        }
    }

    fn writer(&mut self) -> io::Result<&mut File> {
        match self.sink.as_mut() {
            Some(Sink::Replace { temp, .. }) => Ok(temp.as_file_mut()),
            Some(Sink::Through(file)) => Ok(file),
            None => Err(io::Error::other("the file was already committed")),
        }
    }
}

/// Opens what a save to `shown` (whose links lead to `real`, described by `meta` when it
/// exists) writes into.
fn open_for(shown: &Path, real: &Path, meta: Option<&Metadata>) -> Result<Sink> {
    let kind = meta.map(Metadata::file_type);
    if let Some(kind) = kind.filter(|k| !k.is_file()) {
        if writes_through(&kind) {
            let file = OpenOptions::new()
                .write(true)
                .open(shown)
                .map_err(|e| Error::io(shown, e))?;
            return Ok(Sink::Through(file));
        }
        return Err(Error::data(
            shown_path(shown),
            format!(
                "is {}, not a file: give the path of a file to write",
                describe(&kind)
            ),
        ));
    }
    let folder = folder_of(real);
    let name = real
        .file_name()
        .ok_or_else(|| Error::config(format!("'{}' is not a file name", shown.display())))?;
    remove_stale_temporaries(folder, name);
    let prefix = temp_prefix(name);
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // A new file gets the usual mode (0666 less the umask), not tempfile's private 0600.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let temp = builder
        .tempfile_in(folder)
        .map_err(|e| Error::io(shown, e))?;
    if let Some(meta) = meta {
        keep_owner_and_mode(temp.as_file(), meta);
    }
    Ok(Sink::Replace {
        temp,
        real: real.to_path_buf(),
    })
}

/// Devices and FIFOs are written in place: a rename would replace them with a file.
#[cfg(unix)]
fn writes_through(kind: &fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    kind.is_char_device() || kind.is_fifo()
}

#[cfg(not(unix))]
fn writes_through(_kind: &fs::FileType) -> bool {
    false
}

/// Names a kind of file that is refused as a target.
fn describe(kind: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a folder"
    } else {
        "a special file"
    }
}

/// Follows symbolic links from `path` to the path of the file they lead to (which may
/// not exist yet: a dangling link names the file to create).
fn resolve_links(path: &Path) -> Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let next = fs::read_link(&current).map_err(|e| Error::io(path, e))?;
                current = folder_of(&current).join(next);
            }
            _ => return Ok(current),
        }
    }
    Err(Error::data(
        shown_path(path),
        format!("more than {MAX_LINKS} symbolic links in a row (a loop?)"),
    ))
}

/// The folder holding `path` (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// `.NAME.PID.`: the start of this process's temporary files for `name`.
fn temp_prefix(name: &std::ffi::OsStr) -> OsString {
    let mut prefix = OsString::from(".");
    prefix.push(name);
    prefix.push(format!(".{}.", std::process::id()));
    prefix
}

/// Gives the replacement the replaced file's mode and (best effort: only root may)
/// owner, so that a private 0600 model stays private.
fn keep_owner_and_mode(file: &File, old: &Metadata) {
    let _ = file.set_permissions(old.permissions());
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(new) = file.metadata()
            && (new.uid(), new.gid()) != (old.uid(), old.gid())
        {
            let _ = std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid()));
        }
    }
}

/// Removes `.NAME.PID.*.tmp` files in `folder` whose process has ended: what a
/// killed save left behind. Files of running processes (saving right now) are kept.
fn remove_stale_temporaries(folder: &Path, name: &std::ffi::OsStr) {
    let Ok(entries) = fs::read_dir(folder) else {
        return;
    };
    let mut start = OsString::from(".");
    start.push(name);
    start.push(".");
    let Some(start) = start.to_str().map(str::to_owned) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(start.as_str()))
            .and_then(|n| n.strip_suffix(".tmp"))
        else {
            continue;
        };
        let pid = rest.split('.').next().and_then(|p| p.parse::<u32>().ok());
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if let Some(pid) = pid
            && is_file
            && pid != std::process::id()
            && !process_runs(pid)
        {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Whether a process with this id exists (on other systems: assumed, so nothing is removed).
fn process_runs(pid: u32) -> bool {
    #[cfg(target_os = "linux")]
    {
        Path::new("/proc").join(pid.to_string()).exists() || !Path::new("/proc/self").exists()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        true
    }
}

/// A test hook, in every build so that the release-profile tests reach it: with
/// `DIGITNET_TEST_ABORT_BEFORE_RENAME` set, the process dies between writing the
/// temporary file and renaming it, as a crash or `kill -9` would, so a test can check
/// that the old file survives.
fn abort_here_for_tests() {
    if std::env::var_os("DIGITNET_TEST_ABORT_BEFORE_RENAME").is_some() {
        std::process::abort();
    }
}

/// Flushes the folder entry too, so the rename itself survives a crash (best effort:
/// some systems cannot open a folder for syncing).
fn sync_folder(path: &Path) {
    if let Ok(dir) = File::open(folder_of(path)) {
        let _ = dir.sync_all();
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer()?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer()?.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::scratch;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn write_replaces_the_target_and_leaves_no_temporary_file() {
        let dir = scratch("atomic-write");
        let path = dir.join("a.txt");
        fs::write(&path, "old").unwrap();
        write(&path, b"new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(names(&dir), ["a.txt"]);
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
    fn a_folder_is_refused_and_kept() {
        let dir = scratch("atomic-rename");
        let target = dir.join("taken");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("keep"), b"x").unwrap();
        let err = write(&target, b"data").unwrap_err().to_string();
        assert!(err.contains("taken: is a folder, not a file"), "{err}");
        assert_eq!(names(&dir), ["taken"]);
        assert_eq!(fs::read(target.join("keep")).unwrap(), b"x");
    }

    #[test]
    fn a_missing_folder_is_an_error_naming_the_target() {
        let dir = scratch("atomic-missing");
        let path = dir.join("no/such/c.txt");
        let err = write(&path, b"x").unwrap_err().to_string();
        assert!(err.contains("no/such/c.txt"), "{err}");
        assert!(check_writable(&path).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_followed_and_its_target_replaced_keeping_its_mode() {
        use std::os::unix::fs::{PermissionsExt, symlink};
        let dir = scratch("atomic-link");
        fs::create_dir(dir.join("real")).unwrap();
        let real = dir.join("real/model.bin");
        fs::write(&real, "old").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.join("link.bin");
        symlink("real/model.bin", &link).unwrap();
        write(&link, b"new").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
        let mode = fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(names(&dir.join("real")), ["model.bin"]);
        // A dangling link names the file to create.
        let dangling = dir.join("dangling.bin");
        symlink("real/new.bin", &dangling).unwrap();
        write(&dangling, b"fresh").unwrap();
        assert_eq!(fs::read(dir.join("real/new.bin")).unwrap(), b"fresh");
    }

    #[cfg(unix)]
    #[test]
    fn a_new_file_gets_the_usual_mode_not_a_private_one() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("atomic-mode");
        let path = dir.join("m.bin");
        write(&path, b"x").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        // 0666 less the umask: at least the owner reads and writes, and it is not 0600
        // unless the umask says so (it is 022 or 002 almost everywhere).
        assert_eq!(mode & 0o600, 0o600);
        assert!(mode & 0o044 != 0, "mode {mode:o}");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_written_through_not_replaced() {
        use std::os::unix::fs::FileTypeExt;
        // (Devices take the same path; a test that could replace /dev/null is not run.)
        let dir = scratch("atomic-fifo");
        let fifo = dir.join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read(fifo).unwrap())
        };
        write(&fifo, b"through").unwrap();
        assert_eq!(reader.join().unwrap(), b"through");
        assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_temporary_file_of_a_dead_process_is_removed_by_the_next_save() {
        let dir = scratch("atomic-stale");
        // A pid above Linux's pid_max (2^22) never runs.
        let stale = dir.join(".m.bin.4194305.AbCdEf.tmp");
        fs::write(&stale, "left by kill -9").unwrap();
        let live = dir.join(format!(".m.bin.{}.XyZ.tmp", std::process::id()));
        fs::write(&live, "ours").unwrap();
        let other = dir.join(".other.bin.4194305.Q.tmp");
        fs::write(&other, "another name").unwrap();
        write(&dir.join("m.bin"), b"x").unwrap();
        let left = names(&dir);
        assert!(
            !left.contains(&".m.bin.4194305.AbCdEf.tmp".to_string()),
            "{left:?}"
        );
        assert!(live.exists() && other.exists(), "{left:?}");
    }
}
