//! Settling the machine before each timed contender, so that none pays for the writes of the
//! one before it or of its own setup.
//!
//! Every contender writes gigabytes at scale 4, and so does the setup of some: the rollback's
//! target is a `CREATE DATABASE … TEMPLATE` copy of the migrated database (about 2 GiB at scale
//! 4), made just before it runs. Those pages sit dirty in the kernel's page cache, and their
//! writeback (ext4 allocates blocks then, on the same two cores) ran during whichever contender
//! came next: measured 2026-12-04, the kernel's dirty pages stood at the background threshold
//! (about 2.2 GiB) for the whole of our rollback and only for the second half of the full
//! `pg_restore` it is compared with (BENCHMARKS.md). So each contender starts from a
//! `CHECKPOINT` (the server's dirty buffers handed to the kernel) and a `sync` (the kernel's
//! dirty pages written to disk): each then pays for its own writes, as on a quiet machine.

use std::process::Command;

use prisma_guard::database::DatabaseUrl;

use super::process::command_error;
use super::{Round, Setup};
use crate::bench::BenchError;

impl Setup<'_> {
    /// Reports that `name` begins this round, after settling the machine: `CHECKPOINT` on the
    /// server (skipped when the role may not: PostgreSQL asks for a superuser, or
    /// `pg_checkpoint` from version 15), then `sync`. On a server on another machine, `sync`
    /// settles only this one.
    ///
    /// Errors: [`BenchError::Connect`]; [`BenchError::Database`] when `CHECKPOINT` fails for
    /// another reason than privileges; [`BenchError::Command`] when `sync` fails.
    pub(super) async fn start(&self, round: Round, name: &str) -> Result<(), BenchError> {
        checkpoint(&self.options.admin_url).await?;
        let status = Command::new("sync")
            .status()
            .map_err(|e| command_error("sync", &format!("cannot start: {e}"), ""))?;
        if !status.success() {
            return Err(command_error("sync", &status.to_string(), ""));
        }
        self.progress.step(&round.label(name));
        Ok(())
    }
}

/// `CHECKPOINT` through `admin`; a refusal for lack of privilege (42501) is not an error.
async fn checkpoint(admin: &DatabaseUrl) -> Result<(), BenchError> {
    let mut conn = admin.connect().await?;
    match sqlx::raw_sql("CHECKPOINT").execute(&mut conn).await {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42501") => Ok(()),
        Err(e) => Err(BenchError::database(
            "running CHECKPOINT before a contender",
        )(e)),
    }
}
