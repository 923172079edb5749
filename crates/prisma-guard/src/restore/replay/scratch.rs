//! The scratch database a replay or a rollback dry run works in, dropped in every case.

use sqlx::PgConnection;

use crate::database::DatabaseUrl;
use crate::error::QueryError;
use crate::restore::RestoreError;
use crate::sql::quote_ident;

/// Whether the connected role may create databases (`CREATEDB` or superuser).
///
/// Errors: the driver's, when `pg_roles` cannot be read.
pub async fn can_create_databases(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user")
        .fetch_optional(&mut *conn)
        .await
        .map(|allowed| allowed.unwrap_or(false))
}

/// A database created next to the target for the duration of a replay or a rollback dry run.
///
/// Named `xtask_scratch_<pid>_<uuid>`, so it cannot collide (and a leftover says which process
/// made it). Dropped (`DROP DATABASE … WITH (FORCE)`)
/// by [`ScratchDatabase::remove`], or, when that was not reached (an error, a dropped future on
/// Ctrl-C), by `Drop` on a thread of its own.
#[derive(Debug)]
pub struct ScratchDatabase {
    target: DatabaseUrl,
    name: String,
    url: DatabaseUrl,
    removed: bool,
}

/// The prefix of every scratch database's name.
pub const SCRATCH_PREFIX: &str = "xtask_scratch_";

impl ScratchDatabase {
    /// Creates an empty scratch database on the target's server, from `template0` with the
    /// target's encoding and locale.
    ///
    /// Errors: [`RestoreError::Connect`], [`RestoreError::Database`] (naming the database) when
    /// the role cannot create it.
    pub async fn create(target: &DatabaseUrl) -> Result<ScratchDatabase, RestoreError> {
        let mut conn = target.connect().await?;
        let name = format!(
            "{SCRATCH_PREFIX}{}_{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        );
        let (encoding, collate, ctype): (String, String, String) = sqlx::query_as(
            "SELECT pg_encoding_to_char(encoding), datcollate, datctype
             FROM pg_database WHERE datname = current_database()",
        )
        .fetch_one(&mut conn)
        .await
        .map_err(QueryError::at("reading the target's encoding"))?;
        let literal = |text: &str| format!("'{}'", text.replace('\'', "''"));
        sqlx::raw_sql(&format!(
            "CREATE DATABASE {} TEMPLATE template0 ENCODING {} LC_COLLATE {} LC_CTYPE {}",
            quote_ident(&name),
            literal(&encoding),
            literal(&collate),
            literal(&ctype),
        ))
        .execute(&mut conn)
        .await
        .map_err(QueryError::at(format!(
            "creating the scratch database {name}"
        )))?;
        Ok(ScratchDatabase {
            url: target.with_database(&name),
            target: target.clone(),
            name,
            removed: false,
        })
    }

    /// The scratch database's URL (same server, credentials and working schema as the target).
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The database name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Drops the scratch database now, ending any connection to it.
    ///
    /// Errors: [`RestoreError::Connect`], [`RestoreError::Database`].
    pub async fn remove(mut self) -> Result<(), RestoreError> {
        self.removed = true;
        drop_database(&self.target, &self.name).await
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if self.removed {
            return;
        }
        let (target, name) = (self.target.clone(), self.name.clone());
        // Drop cannot await, and may run inside the runtime: use a thread with its own.
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                let _ = runtime.block_on(drop_database(&target, &name));
            }
        });
        let _ = dropper.join();
    }
}

async fn drop_database(target: &DatabaseUrl, name: &str) -> Result<(), RestoreError> {
    let mut conn = target.connect().await?;
    sqlx::raw_sql(&format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_ident(name)
    ))
    .execute(&mut conn)
    .await
    .map_err(QueryError::at(format!(
        "dropping the scratch database {name}"
    )))?;
    Ok(())
}
