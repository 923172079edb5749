//! `restore --strategy replay|map|auto` and `rollback`, end to end through the real binary, on
//! the fixture app: seeded at migration 4 and snapshotted; migration 5 renames `User.name` to
//! `displayName`, migration 7 backfills `Post.status` and `Post.slug` from other columns.
//!
//! This file: running the binary without a terminal and counting its scratch databases.

use std::process::Stdio;

use crate::support::project::Run;
use crate::support::{TempProject, TestDb};

mod rollback;
mod strategy;

/// Runs the binary without a terminal, returning its output and its process id (which scratch
/// database names carry).
fn run_with_pid(project: &TempProject, db: &TestDb, args: &[&str]) -> (Run, u32) {
    let child = spawn(project, db, args);
    let pid = child.id();
    (Run(child.wait_with_output().unwrap()), pid)
}

/// Starts the binary without a terminal, its output piped.
fn spawn(project: &TempProject, db: &TestDb, args: &[&str]) -> std::process::Child {
    project
        .command(args, &[("DATABASE_URL", &db.url())])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Scratch databases a process with `pid` left on the server.
async fn scratch_databases(db: &TestDb, pid: u32) -> i64 {
    db.scalar(&format!(
        "SELECT count(*) FROM pg_database WHERE datname LIKE 'prisma\\_guard\\_scratch\\_{pid}\\_%'"
    ))
    .await
}
