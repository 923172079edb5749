//! `demo`: the example Prisma app of this repository (`tests/fixtures/app`), copied into a
//! temporary folder and loaded into a throwaway database, so the binary can narrate the whole
//! story on real output: pending migrations, the snapshot, a destructive migration, a reset, and
//! the restores.

use camino::{Utf8Path, Utf8PathBuf};

use super::WorkflowError;
use crate::database::DatabaseUrl;
use crate::migrations::{self, DeployOptions};

/// The example app, read at run time from the repository this binary was built in.
pub const EXAMPLE_APP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/app");

/// The migrations the seed data is written for (the first 4 of the example app).
pub const SEEDED_MIGRATIONS: usize = 4;

/// Copies the example app into `<dir>/app` and makes it a Cargo workspace whose config uses the
/// built-in deploy and reset (no Node needed), and restores nothing after a reset (the demo
/// restores by hand). Returns the app's root.
///
/// Errors: [`WorkflowError::Io`] naming the file, e.g. when this binary was built outside the
/// repository and the example app is not there.
pub fn create_app(dir: &Utf8Path) -> Result<Utf8PathBuf, WorkflowError> {
    let root = dir.join("app");
    copy_dir(Utf8Path::new(EXAMPLE_APP), &root)?;
    let manifest = "[workspace]\nmembers = []\n\n[workspace.metadata.xtask]\n\
                    migrate-command = \"builtin\"\nreset-command = \"builtin\"\nreset-restore = []\n";
    write(&root.join("Cargo.toml"), manifest)?;
    Ok(root)
}

fn write(path: &Utf8Path, text: &str) -> Result<(), WorkflowError> {
    std::fs::write(path, text).map_err(|source| WorkflowError::Io {
        action: "writing",
        path: path.to_owned(),
        source,
    })
}

fn copy_dir(from: &Utf8Path, to: &Utf8Path) -> Result<(), WorkflowError> {
    let io = |action: &'static str, path: &Utf8Path| {
        let path = path.to_owned();
        move |source| WorkflowError::Io {
            action,
            path,
            source,
        }
    };
    std::fs::create_dir_all(to).map_err(io("creating", to))?;
    for entry in from.read_dir_utf8().map_err(io("reading", from))? {
        let entry = entry.map_err(io("reading", from))?;
        let target = to.join(entry.file_name());
        if entry
            .file_type()
            .map_err(io("reading", entry.path()))?
            .is_dir()
        {
            copy_dir(entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(io("copying", entry.path()))?;
        }
    }
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
        },
    )
    .await?;
    let seed_path = app.join("seed.sql");
    let seed = std::fs::read_to_string(&seed_path).map_err(|source| WorkflowError::Io {
        action: "reading",
        path: seed_path,
        source,
    })?;
    sqlx::raw_sql(&seed)
        .execute(&mut conn)
        .await
        .map_err(|source| WorkflowError::Database {
            action: "loading seed.sql".into(),
            source,
        })?;
    Ok(())
}

/// Rows per table of the working schema, by table name.
///
/// Errors: [`WorkflowError::Connect`], [`WorkflowError::Database`].
pub async fn row_counts(url: &DatabaseUrl) -> Result<Vec<(String, i64)>, WorkflowError> {
    let mut conn = url.connect().await?;
    let db_err = |source| WorkflowError::Database {
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
