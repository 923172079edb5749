//! The scratch database a replay or a rollback dry run works in, dropped in every case.

use sqlx::PgConnection;

use crate::database::DatabaseUrl;
use crate::error::QueryError;
use crate::owner::{Cleanup, Leftover, LeftoverKind, Owner};
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
/// Named `prisma_guard_scratch_<pid>_<uuid>`, so it cannot collide, with a comment naming its
/// owner (`COMMENT ON DATABASE`: pid, start time and [`crate::owner::host`]), so that
/// [`remove_leftover_databases`] can tell a leftover from one in use. Dropped
/// (`DROP DATABASE … WITH (FORCE)`) by [`ScratchDatabase::remove`], or, when that was not
/// reached (an error, a dropped future on Ctrl-C or SIGTERM), by `Drop` on a thread of its own.
#[derive(Debug)]
pub struct ScratchDatabase {
    target: DatabaseUrl,
    name: String,
    url: DatabaseUrl,
    removed: bool,
}

/// The prefix of every scratch database's name.
pub const SCRATCH_PREFIX: &str = "prisma_guard_scratch_";

/// The prefix older versions named scratch databases with (`xtask_scratch_<pid>_<uuid>`, no
/// comment); still recognised by [`remove_leftover_databases`].
pub const LEGACY_SCRATCH_PREFIX: &str = "xtask_scratch_";

/// How a scratch database's comment begins; the owner follows.
const COMMENT_PREFIX: &str = "prisma-guard scratch database; owner ";

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
        let scratch = ScratchDatabase {
            url: target.with_database(&name),
            target: target.clone(),
            name,
            removed: false,
        };
        // Should this fail, returning drops the database again.
        sqlx::raw_sql(&format!(
            "COMMENT ON DATABASE {} IS {}",
            quote_ident(&scratch.name),
            literal(&owner_comment(&Owner::current(), crate::owner::host())),
        ))
        .execute(&mut conn)
        .await
        .map_err(QueryError::at(format!(
            "recording the owner of the scratch database {}",
            scratch.name
        )))?;
        Ok(scratch)
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

/// Drops the scratch databases on `target`'s server that a process which has ended left behind
/// (killed with `kill -9` during a replay), and returns them. Only databases owned by the
/// connected role and named `prisma_guard_scratch_<pid>_<32 hex>` or
/// `xtask_scratch_<pid>_<32 hex>` are considered; nothing else is ever dropped. Of those, one
/// is a leftover when
/// - its comment names this host and an owner (pid and start time, [`Owner::is_alive`]) that
///   is no longer running; one whose comment names another host is never judged;
/// - it has no owner comment (older versions; or its owner died between `CREATE` and
///   `COMMENT`): no process with the pid of its name runs here, and no session is connected to
///   it.
///
/// A database that cannot be dropped is reported in [`Cleanup::failed`].
///
/// Errors: [`RestoreError::Connect`], [`RestoreError::Database`] when the list cannot be read.
pub async fn remove_leftover_databases(target: &DatabaseUrl) -> Result<Cleanup, RestoreError> {
    let mut conn = target.connect().await?;
    let candidates: Vec<(String, Option<String>, bool)> = sqlx::query_as(
        r"SELECT d.datname::text, shobj_description(d.oid, 'pg_database'),
                EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)
         FROM pg_database d
         WHERE d.datdba = (SELECT oid FROM pg_roles WHERE rolname = current_user)
           AND (d.datname LIKE 'prisma\_guard\_scratch\_%' OR d.datname LIKE 'xtask\_scratch\_%')
         ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .map_err(QueryError::at("listing scratch databases"))?;
    drop(conn);
    let mut cleanup = Cleanup::default();
    for (name, comment, connected) in candidates {
        let Some(pid) = scratch_pid(&name) else {
            continue;
        };
        let gone = match comment.as_deref().and_then(parse_owner_comment) {
            Some((owner, host)) => host == crate::owner::host() && !owner.is_alive(),
            None => !connected && !crate::owner::pid_exists(pid),
        };
        if !gone {
            continue;
        }
        let leftover = Leftover {
            kind: LeftoverKind::ScratchDatabase,
            name: name.clone(),
            pid,
            bytes: None,
        };
        match drop_database(target, &name).await {
            Ok(()) => cleanup.removed.push(leftover),
            Err(error) => cleanup.failed.push((leftover, error.to_string())),
        }
    }
    Ok(cleanup)
}

fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `prisma-guard scratch database; owner <pid>-<start> on <host>`.
fn owner_comment(owner: &Owner, host: &str) -> String {
    format!("{COMMENT_PREFIX}{} on {host}", owner.tag())
}

fn parse_owner_comment(comment: &str) -> Option<(Owner, &str)> {
    let (tag, host) = comment.strip_prefix(COMMENT_PREFIX)?.split_once(" on ")?;
    let (owner, rest) = Owner::parse_tag(tag)?;
    (rest.is_empty() && !host.is_empty()).then_some((owner, host))
}

/// The pid in `<prefix><pid>_<32 hex>`, for our two prefixes; `None` for any other name.
fn scratch_pid(name: &str) -> Option<u32> {
    let rest = name
        .strip_prefix(SCRATCH_PREFIX)
        .or_else(|| name.strip_prefix(LEGACY_SCRATCH_PREFIX))?;
    let (pid, uuid) = rest.split_once('_')?;
    let hex = uuid.len() == 32 && uuid.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let digits = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
    if hex && digits {
        pid.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_two_name_patterns_are_scratch_databases() {
        let uuid = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            scratch_pid(&format!("prisma_guard_scratch_42_{uuid}")),
            Some(42)
        );
        assert_eq!(scratch_pid(&format!("xtask_scratch_7_{uuid}")), Some(7));
        for other in [
            format!("xtask_test_42_{uuid}"),
            format!("prisma_guard_scratch_42_{}", &uuid[1..]),
            format!("prisma_guard_scratch_x_{uuid}"),
            format!("prisma_guard_scratch_42_{}", uuid.to_uppercase()),
            format!("prisma_guard_scratch_42_{uuid}_copy"),
            "prisma_guard_scratch_".to_string(),
            "myapp".to_string(),
        ] {
            assert_eq!(scratch_pid(&other), None, "{other}");
        }
    }

    #[test]
    fn the_owner_comment_round_trips() {
        let owner = Owner { pid: 12, start: 34 };
        let comment = owner_comment(&owner, "00ff00ff00ff00ff");
        assert_eq!(
            comment,
            "prisma-guard scratch database; owner 12-34 on 00ff00ff00ff00ff"
        );
        assert_eq!(
            parse_owner_comment(&comment),
            Some((owner, "00ff00ff00ff00ff"))
        );
        assert_eq!(parse_owner_comment("something else"), None);
        assert_eq!(
            parse_owner_comment("prisma-guard scratch database; owner 12 on h"),
            None
        );
    }
}
