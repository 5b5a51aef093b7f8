//! The database file is the provider: its data, clients, users and keys. When the file is
//! deleted or swapped for another under a running store, the open connections would go on
//! writing into an unlinked inode (lost at the next restart) while any new connection would
//! see a different database. The watchdog notices (before every write batch, and on a timer)
//! and from then on the store refuses every operation: a loud outage, never a silent new
//! provider.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::{StoreError, StoreResult};

/// How often the timer looks at the file when nothing is written.
const INTERVAL: Duration = Duration::from_millis(250);

/// What identifies a file across renames and replacements.
type Identity = (u64, u64);

/// Watches one database file.
#[derive(Debug)]
pub(super) struct Watchdog {
    path: PathBuf,
    identity: Identity,
    tripped: AtomicBool,
}

#[cfg(unix)]
fn identity_of(path: &Path) -> std::io::Result<Identity> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path)?;
    Ok((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn identity_of(path: &Path) -> std::io::Result<Identity> {
    // No inode to compare: only a missing file is seen.
    std::fs::metadata(path).map(|_| (0, 0))
}

impl Watchdog {
    /// Records the identity of the file at `path` now, and starts the timer thread, which
    /// ends once the returned watchdog is dropped.
    pub(super) fn start(path: &Path) -> StoreResult<Arc<Watchdog>> {
        let identity = identity_of(path)
            .map_err(|e| StoreError::Backend(format!("database file {}: {e}", path.display())))?;
        let watchdog = Arc::new(Watchdog {
            path: path.to_path_buf(),
            identity,
            tripped: AtomicBool::new(false),
        });
        let weak = Arc::downgrade(&watchdog);
        std::thread::Builder::new()
            .name("oxid-sqlite-watchdog".into())
            .spawn(move || watch(weak))
            .map_err(|e| StoreError::Backend(format!("cannot start the file watchdog: {e}")))?;
        Ok(watchdog)
    }

    /// The error every operation gets once the file is gone.
    fn lost(&self) -> StoreError {
        StoreError::Unavailable(format!(
            "database file {} missing or replaced",
            self.path.display()
        ))
    }

    /// Fails when the watchdog has tripped, without looking at the file again.
    pub(super) fn ensure_ok(&self) -> StoreResult<()> {
        if self.tripped.load(Ordering::Acquire) {
            return Err(self.lost());
        }
        Ok(())
    }

    /// Looks at the file: still there and still the same file? Trips (logging once) when not.
    pub(super) fn check(&self) -> StoreResult<()> {
        self.ensure_ok()?;
        let same = match identity_of(&self.path) {
            Ok(identity) => identity == self.identity,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            // Not a verdict on the file (e.g. a transient permission problem): fail this
            // batch only.
            Err(e) => {
                return Err(StoreError::Unavailable(format!(
                    "database file {}: {e}",
                    self.path.display()
                )));
            }
        };
        if !same && !self.tripped.swap(true, Ordering::AcqRel) {
            tracing::error!(
                path = %self.path.display(),
                "the database file is missing or was replaced; refusing every operation \
                 until restart (no new database is created)"
            );
        }
        self.ensure_ok()
    }
}

/// The timer: checks the file until the watchdog is dropped or trips.
fn watch(watchdog: Weak<Watchdog>) {
    loop {
        std::thread::sleep(INTERVAL);
        let Some(watchdog) = watchdog.upgrade() else {
            return;
        };
        if watchdog.check().is_err() && watchdog.tripped.load(Ordering::Acquire) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trips_once_the_file_is_gone_and_stays_tripped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        std::fs::write(&path, b"x").unwrap();
        let dog = Watchdog::start(&path).unwrap();
        assert!(dog.check().is_ok());
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(dog.check(), Err(StoreError::Unavailable(_))));
        std::fs::write(&path, b"x").unwrap();
        assert!(matches!(dog.check(), Err(StoreError::Unavailable(_))));
        assert!(dog.ensure_ok().is_err());
    }

    #[test]
    fn trips_when_the_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        std::fs::write(&path, b"x").unwrap();
        let dog = Watchdog::start(&path).unwrap();
        let other = dir.path().join("other.db");
        std::fs::write(&other, b"y").unwrap();
        std::fs::rename(&other, &path).unwrap();
        assert!(dog.check().is_err());
    }

    #[test]
    fn the_timer_trips_without_any_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        std::fs::write(&path, b"x").unwrap();
        let dog = Watchdog::start(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        std::thread::sleep(INTERVAL * 4);
        assert!(dog.ensure_ok().is_err());
    }
}
