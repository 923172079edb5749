//! `demo`: the example Prisma app this crate carries (`example-app/`, embedded at build time so
//! an installed binary has it), unpacked into a temporary folder and loaded into a throwaway database, so the binary can narrate the whole
//! story on real output: pending migrations, the snapshot, a destructive migration, a reset, and
//! the restores.

use camino::{Utf8Path, Utf8PathBuf};

use super::WorkflowError;
use crate::database::DatabaseUrl;
use crate::error::{IoError, QueryError};
use crate::migrations::{self, DeployOptions};

/// The example app (`crates/prisma-guard/example-app`): schema.prisma, 7 migrations, seed.sql.
pub static EXAMPLE_APP: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/example-app");

/// The migrations the seed data is written for (the first 4 of the example app).
pub const SEEDED_MIGRATIONS: usize = 4;

/// Unpacks the example app into `<dir>/app` and makes it a Cargo workspace whose config uses the
/// built-in deploy and reset (no Node needed), and restores nothing after a reset (the demo
/// restores by hand). Returns the app's root.
///
/// Errors: [`WorkflowError::Io`] naming the file.
pub fn create_app(dir: &Utf8Path) -> Result<Utf8PathBuf, WorkflowError> {
    let root = dir.join("app");
    std::fs::create_dir_all(&root).map_err(IoError::at("creating", &root))?;
    EXAMPLE_APP
        .extract(&root)
        .map_err(IoError::at("unpacking the example app into", &root))?;
    let manifest = "[workspace]\nmembers = []\n\n[workspace.metadata.prisma-guard]\n\
                    migrate-command = \"builtin\"\nreset-command = \"builtin\"\nreset-restore = []\n";
    write(&root.join("Cargo.toml"), manifest)?;
    Ok(root)
}

fn write(path: &Utf8Path, text: &str) -> Result<(), WorkflowError> {
    std::fs::write(path, text).map_err(IoError::at("writing", path))?;
    Ok(())
}

/// Applies the first [`SEEDED_MIGRATIONS`] migrations with the built-in deploy and loads
/// `seed.sql`: the app as a developer has it before pulling the newer migrations.
///
/// Errors: [`WorkflowError::Connect`], [`WorkflowError::Status`], [`WorkflowError::Deploy`],
/// [`WorkflowError::Database`] for the seed.
pub async fn load(url: &DatabaseUrl, app: &Utf8Path) -> Result<(), WorkflowError> {
    let local = migrations::read_folder(&app.join("prisma/migrations"))
        .map_err(migrations::StatusError::from)?;
    let mut conn = url.connect().await?;
    migrations::deploy(
        &mut conn,
        url.schema(),
        &local,
        DeployOptions {
            first: Some(SEEDED_MIGRATIONS),
            ..DeployOptions::default()
        },
    )
    .await?;
    let seed_path = app.join("seed.sql");
    let seed = std::fs::read_to_string(&seed_path).map_err(IoError::at("reading", &seed_path))?;
    sqlx::raw_sql(&seed)
        .execute(&mut conn)
        .await
        .map_err(QueryError::at("loading seed.sql"))?;
    Ok(())
}

/// Rows per table of the working schema, by table name.
///
/// Errors: [`WorkflowError::Connect`], [`WorkflowError::Database`].
pub async fn row_counts(url: &DatabaseUrl) -> Result<Vec<(String, i64)>, WorkflowError> {
    let mut conn = url.connect().await?;
    let db_err = |source| QueryError {
        action: "counting rows".into(),
        source,
    };
    let tables = crate::catalog::tables(&mut conn, url.schema())
        .await
        .map_err(db_err)?;
    let mut counts = Vec::new();
    for table in tables {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}", table.qualified()))
            .fetch_one(&mut conn)
            .await
            .map_err(db_err)?;
        counts.push((table.name, rows));
    }
    Ok(counts)
}
