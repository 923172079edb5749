//! The local migrations folder: `<prisma-dir>/migrations/<name>/migration.sql`.
//!
//! As in Prisma, every sub-folder is a migration, ordered by folder name; files beside them
//! (`migration_lock.toml`) are ignored. A folder without `migration.sql` is listed apart by
//! [`read_listing`] (Prisma's `migrate status` lists it; `migrate deploy` stops there with P3015)
//! and is an error for [`read_folder`], which what applies migrations uses.

use camino::{Utf8Path, Utf8PathBuf};

use super::checksum;

/// Errors while reading the migrations folder.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// The folder does not exist.
    #[error("no migrations folder at {path}")]
    Missing {
        /// The expected folder.
        path: Utf8PathBuf,
    },
    /// A migration folder has no migration.sql (Prisma refuses this too).
    #[error("migration folder {name} has no migration.sql ({path})")]
    NoScript {
        /// The migration's folder name.
        name: String,
        /// The missing file.
        path: Utf8PathBuf,
    },
    /// An entry or file could not be read.
    #[error("cannot read {path}")]
    Read {
        /// What was being read.
        path: Utf8PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl crate::error::Hint for FolderError {
    fn hint(&self) -> Option<String> {
        Some(match self {
            FolderError::Missing { .. } => "pass --prisma-dir, or set prisma-dir in [workspace.metadata.prisma-guard]; create migrations with `npx prisma migrate dev`".into(),
            FolderError::NoScript { .. } => "restore the migration.sql from git, or remove the empty folder".into(),
            FolderError::Read { .. } => "check the file's permissions".into(),
        })
    }
}

/// One migration on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMigration {
    /// The folder name, e.g. `20240101120000_init`; also `_prisma_migrations.migration_name`.
    pub name: String,
    /// Path of its migration.sql.
    pub script_path: Utf8PathBuf,
    /// The script's bytes, as read.
    pub script: Vec<u8>,
    /// Prisma's checksum of the script as it is on disk (64 hex characters).
    pub checksum: String,
}

impl LocalMigration {
    /// Whether a checksum recorded in `_prisma_migrations` matches this script, by Prisma's rule.
    pub fn matches(&self, recorded: &str) -> bool {
        checksum::matches(&self.script, recorded)
    }
}

/// The migrations folder as Prisma lists it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    /// The migrations with a migration.sql, ordered by name.
    pub migrations: Vec<LocalMigration>,
    /// The sub-folders without migration.sql, ordered by name.
    pub without_script: Vec<String>,
}

/// Reads every migration under `dir` (the `migrations` folder itself), ordered by name.
///
/// Errors: [`FolderError::Missing`] when `dir` is not a folder, [`FolderError::NoScript`] for a
/// sub-folder without migration.sql, [`FolderError::Read`] for I/O failures.
pub fn read_folder(dir: &Utf8Path) -> Result<Vec<LocalMigration>, FolderError> {
    let listing = read_listing(dir)?;
    match listing.without_script.into_iter().next() {
        Some(name) => Err(FolderError::NoScript {
            path: dir.join(&name).join("migration.sql"),
            name,
        }),
        None => Ok(listing.migrations),
    }
}

/// [`read_folder`], but a sub-folder without migration.sql is listed in
/// [`Listing::without_script`] instead of failing, as `prisma migrate status` lists it.
///
/// Errors: [`FolderError::Missing`], [`FolderError::Read`].
pub fn read_listing(dir: &Utf8Path) -> Result<Listing, FolderError> {
    if !dir.is_dir() {
        return Err(FolderError::Missing {
            path: dir.to_owned(),
        });
    }
    let read_err = |path: &Utf8Path| {
        let path = path.to_owned();
        move |source| FolderError::Read { path, source }
    };
    let mut names = Vec::new();
    for entry in dir.read_dir_utf8().map_err(read_err(dir))? {
        let entry = entry.map_err(read_err(dir))?;
        if entry.file_type().map_err(read_err(entry.path()))?.is_dir() {
            names.push(entry.file_name().to_string());
        }
    }
    names.sort();
    let mut listing = Listing::default();
    for name in names {
        let script_path = dir.join(&name).join("migration.sql");
        if !script_path.is_file() {
            listing.without_script.push(name);
            continue;
        }
        let script = std::fs::read(&script_path).map_err(read_err(&script_path))?;
        listing.migrations.push(LocalMigration {
            checksum: checksum::compute(&script),
            name,
            script_path,
            script,
        });
    }
    Ok(listing)
}
