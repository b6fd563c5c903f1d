//! Crash-safe file writes and the single-instance lock.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` so that a crash at any instant leaves either the
/// old file or the new one: a temporary file beside it is written and synced,
/// renamed over `path`, and the directory is synced.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = parent(path);
    let tmp = temp_name(path)?;
    let result = (|| {
        let mut f = create_private(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        sync_dir(&dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Removes temporary files left by a write that was interrupted. Only call
/// while holding the instance lock.
pub fn remove_stale_temps(path: &Path) {
    let Some(stem) = path.file_name().and_then(|n| n.to_str()) else {
        return;
    };
    let prefix = format!("{stem}.tmp-");
    if let Ok(entries) = fs::read_dir(parent(path)) {
        for e in entries.flatten() {
            if e.file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(&prefix))
            {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

/// Reads at most `limit` bytes; `Ok(None)` when the file is larger.
pub fn read_limited(path: &Path, limit: u64) -> io::Result<Option<Vec<u8>>> {
    let f = File::open(path)?;
    let mut bytes = Vec::new();
    f.take(limit + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

/// Creates a new file readable and writable by the owner only.
pub fn create_private(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

/// Creates `dir` (and parents) readable by the owner only where the platform
/// has such permissions.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn temp_name(path: &Path) -> io::Result<PathBuf> {
    let mut r = [0_u8; 8];
    getrandom::fill(&mut r).map_err(|e| io::Error::other(e.to_string()))?;
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".tmp-{}", hex::encode(r)));
    Ok(PathBuf::from(name))
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    // Windows cannot open a directory as a file; the rename is durable once
    // the file itself was synced (MoveFileEx with write-through semantics).
    Ok(())
}

/// An exclusive lock on the data folder, held while the value lives.
#[derive(Debug)]
pub struct InstanceLock {
    file: File,
}

impl Drop for InstanceLock {
    fn drop(&mut self) {
        // Released explicitly rather than by closing: a child process started
        // by another thread between fork and exec shares this open file, and
        // closing our copy alone would leave the folder locked until it execs.
        let _ = self.file.unlock();
    }
}

/// Why the instance lock could not be taken.
#[derive(Debug)]
pub enum LockFailure {
    /// Another process holds it.
    Busy,
    /// The lock file could not be opened.
    Io(io::Error),
}

impl InstanceLock {
    /// Takes the lock at `path` without waiting.
    pub fn acquire(path: &Path) -> Result<Self, LockFailure> {
        let mut o = OpenOptions::new();
        o.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let file = o.open(path).map_err(LockFailure::Io)?;
        match file.try_lock() {
            Ok(()) => Ok(Self { file }),
            Err(TryLockError::WouldBlock) => Err(LockFailure::Busy),
            Err(TryLockError::Error(e)) => Err(LockFailure::Io(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(names.len(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[test]
    fn stale_temps_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v");
        fs::write(dir.path().join("v.tmp-0011"), b"x").unwrap();
        fs::write(dir.path().join("other"), b"x").unwrap();
        remove_stale_temps(&p);
        assert!(!dir.path().join("v.tmp-0011").exists());
        assert!(dir.path().join("other").exists());
    }

    #[test]
    fn limited_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v");
        fs::write(&p, [0_u8; 10]).unwrap();
        assert_eq!(read_limited(&p, 10).unwrap().unwrap().len(), 10);
        assert!(read_limited(&p, 9).unwrap().is_none());
    }

    #[test]
    fn second_lock_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("lock");
        let first = InstanceLock::acquire(&p).unwrap();
        assert!(matches!(InstanceLock::acquire(&p), Err(LockFailure::Busy)));
        drop(first);
        assert!(InstanceLock::acquire(&p).is_ok());
    }

    #[test]
    fn dropping_the_lock_releases_it_even_while_the_file_is_shared() {
        // A child process forked but not yet exec'd holds a copy of the same
        // open file; a second handle to it stands in for that copy here.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("lock");
        let first = InstanceLock::acquire(&p).unwrap();
        let shared = first.file.try_clone().unwrap();
        drop(first);
        assert!(InstanceLock::acquire(&p).is_ok());
        drop(shared);
    }
}
