//! Prisma migrations: the `prisma/migrations` folder, the `_prisma_migrations` table, and the
//! comparison of the two exactly as Prisma Migrate makes it.
//!
//! - [`folder`] reads `<prisma-dir>/migrations/<name>/migration.sql`, ordered by folder name.
//! - [`checksum`] is Prisma's checksum rule (SHA-256 hex, CRLF/LF tolerant, legacy short form).
//! - [`table`] reads `_prisma_migrations` without writing.
//! - [`status`](mod@status) compares them into a [`StatusReport`]; it is pure.
//! - [`deploy`](mod@deploy) applies pending migrations as `prisma migrate deploy` does, each
//!   file run as the app's Prisma version runs it ([`version`], [`split`]).

pub mod checksum;
pub mod deploy;
pub mod folder;
pub mod split;
pub mod status;
pub mod table;
pub mod version;

pub use deploy::{DeployError, DeployOptions, DeployReport, deploy};
pub use folder::{FolderError, Listing, LocalMigration, read_folder, read_listing};
pub use status::{MigrationState, MigrationStatus, StatusReport, compare, compare_listing};
pub use table::{MigrationRow, TableError, read_table};
pub use version::{PrismaVersion, Statements, StatementsSetting, prisma_version};

use camino::Utf8Path;
use sqlx::PgConnection;

/// Errors from [`status()`]: the folder or the table could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// The migrations folder is missing or malformed.
    #[error(transparent)]
    Folder(#[from] FolderError),
    /// `_prisma_migrations` could not be read.
    #[error(transparent)]
    Table(#[from] TableError),
}

impl crate::error::Hint for StatusError {
    fn hint(&self) -> Option<String> {
        match self {
            StatusError::Folder(e) => e.hint(),
            StatusError::Table(_) => None,
        }
    }
}

/// Reads the migrations folder and the `_prisma_migrations` table of `schema` and compares them.
///
/// The folder is read (and every file hashed) on a blocking thread while the table is queried.
/// Reads only: the table is queried inside a `READ ONLY` transaction, so `status` can never
/// write. A folder without migration.sql is reported, not an error ([`compare_listing`]).
/// Errors: [`StatusError::Folder`] (no folder, an unreadable file), [`StatusError::Table`]
/// (query failure).
pub async fn status(
    conn: &mut PgConnection,
    migrations_dir: &Utf8Path,
    schema: &str,
) -> Result<StatusReport, StatusError> {
    let dir = migrations_dir.to_owned();
    let folder = tokio::task::spawn_blocking(move || read_listing(&dir));
    let rows = read_table(conn, schema).await;
    let listing = folder.await.expect("reading the folder does not panic")?;
    Ok(compare_listing(&listing, rows?.as_deref()))
}
