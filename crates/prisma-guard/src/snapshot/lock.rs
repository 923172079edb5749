//! The store lock: one writer of the snapshot store at a time.
//!
//! Writers (taking a snapshot, pruning) hold an exclusive advisory lock (`flock(2)`, through
//! [`std::fs::File::try_lock`]) on `<store>/.lock` while they work. A second writer waits up
//! to [`WAIT`] for it and then gives up with [`LockError::Busy`], naming the process that holds
//! it. The kernel releases the lock when its holder exits, however it exits (kill -9 included),
//! so a crashed run never leaves the store locked; the file's contents (pid, command, time) are
//! only there to say who holds it. Readers (listing, verifying, restoring from a snapshot) take
//! no lock: a listed snapshot is whole and never modified (see [`super::store`]).
//!
//! The lock is why two scheduled `snapshot --if-changed` runs never both write: the second
//! compares with the snapshot the first took (issue 20).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};

use crate::error::IoError;

/// The lock file's name inside the store.
pub const LOCK_FILE: &str = ".lock";

/// How long a writer waits for another to finish before giving up.
pub const WAIT: Duration = Duration::from_secs(10);

/// How often a waiting writer tries again.
const POLL: Duration = Duration::from_millis(100);

/// The store could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds the store.
    #[error(
        "another prisma-guard run holds the snapshot store {store} ({holder}); waited {waited_s} s"
    )]
    Busy {
        /// The store.
        store: Utf8PathBuf,
        /// Who holds it, as its lock file says: `pid 123, snapshot, since 2026-12-01T10:00:00Z`
        /// (or `unknown holder` when the file is empty).
        holder: String,
        /// How long this run waited, in seconds.
        waited_s: u64,
    },
    /// The lock file could not be opened, read or written.
    #[error(transparent)]
    Io(#[from] IoError),
}

impl crate::error::Hint for LockError {
    fn hint(&self) -> Option<String> {
        match self {
            LockError::Busy { .. } => Some(
                "let the other run finish (a snapshot or prune of the same store), then try again; the lock is released when that process exits, even if it is killed".into(),
            ),
            LockError::Io(e) => e.hint(),
        }
    }
}

/// The held lock; dropping it releases the store.
#[derive(Debug)]
pub struct StoreLock {
    file: File,
}

impl StoreLock {
    /// Locks `store` (which must exist) for `what` (the command, shown to a waiting run),
    /// waiting up to `wait`.
    ///
    /// Errors: [`LockError::Busy`] when another process still holds it after `wait`,
    /// [`LockError::Io`] when the lock file cannot be opened or written.
    pub fn acquire(store: &Utf8Path, what: &str, wait: Duration) -> Result<StoreLock, LockError> {
        let path = store.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(IoError::at("opening", &path))?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) if started.elapsed() < wait => {
                    std::thread::sleep(POLL)
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(LockError::Busy {
                        store: store.to_owned(),
                        holder: holder(&mut file),
                        waited_s: started.elapsed().as_secs(),
                    });
                }
                Err(TryLockError::Error(e)) => return Err(IoError::at("locking", &path)(e).into()),
            }
        }
        let note = format!(
            "pid {}, {what}, since {}\n",
            std::process::id(),
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
        );
        let write = |file: &mut File| -> std::io::Result<()> {
            file.set_len(0)?;
            file.rewind()?;
            file.write_all(note.as_bytes())
        };
        write(&mut file).map_err(IoError::at("writing", &path))?;
        Ok(StoreLock { file })
    }
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        // The note would name an ended process; the lock itself goes with the descriptor.
        let _ = self.file.set_len(0);
    }
}

fn holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.rewind().and_then(|_| file.read_to_string(&mut text));
    match text.trim() {
        "" => "unknown holder".into(),
        note => note.chars().take(200).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_waits_then_is_told_who_holds_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Utf8Path::from_path(dir.path()).unwrap();
        let held = StoreLock::acquire(store, "snapshot", WAIT).unwrap();
        let started = Instant::now();
        let error = StoreLock::acquire(store, "prune", Duration::from_millis(300)).unwrap_err();
        assert!(started.elapsed() >= Duration::from_millis(300));
        let text = error.to_string();
        assert!(
            text.contains(&format!("pid {}, snapshot, since", std::process::id())),
            "{text}"
        );
        drop(held);
        StoreLock::acquire(store, "prune", Duration::ZERO).expect("released on drop");
    }
}
