//! The engine of `cargo xtask`: pre-migration snapshots and selective restores for Prisma +
//! PostgreSQL apps. The binary (`main.rs`) is a thin CLI over these modules; nothing here prints
//! or prompts.
//!
//! - [`project`] and [`config`]: the app's root, `[workspace.metadata.prisma-guard]`, global flags.
//! - [`database`]: finding the URL as Prisma does, redaction, connecting.
//! - [`migrations`]: the migrations folder vs `_prisma_migrations`, compared as Prisma does, and
//!   a built-in Prisma-compatible deploy.
//! - [`lint`]: pending migrations linted with squawk-linter, profiled for Prisma's SQL.
//! - [`restore`]: restore groups (from config or inferred from the catalog).
//! - [`workflows`]: pre-migrate (status, snapshot, apply, lost data) and the git pre-push hook.
//! - [`predict`]: what pending migrations will do to a snapshot's data, replayed on a scratch copy.
//! - [`owner`]: which process owns a temporary folder or scratch database, and whether it runs.
//! - [`sql`]: identifier quoting.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod catalog;
#[cfg(feature = "cli")]
pub mod cli;
pub mod config;
pub mod database;
pub mod error;
pub mod lint;
pub mod migrations;
pub mod notify;
pub mod owner;
pub mod predict;
pub mod project;
pub mod remote;
pub mod restore;
pub mod schedule;
pub mod snapshot;
pub mod sql;
pub mod workflows;
