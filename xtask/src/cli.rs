//! The command line: clap derive types only. Doc comments here are the `--help` text.

use camino::Utf8PathBuf;
use clap::{Args, Parser, Subcommand};

/// Pre-migration snapshots and selective restores for Prisma + PostgreSQL apps.
///
/// Finds pending Prisma migrations exactly as Prisma does (the migrations folder against the
/// `_prisma_migrations` table, with Prisma's checksums).
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", version, propagate_version = true)]
pub struct Cli {
    /// Settings that apply to every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes; each overrides the key of the same name in
/// `[workspace.metadata.xtask]`.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The app's root folder [default: the Cargo workspace around the current folder].
    #[arg(long, global = true, value_name = "DIR")]
    pub project_dir: Option<Utf8PathBuf>,
    /// The Prisma folder, holding schema.prisma and migrations/, relative to the root
    /// [default: prisma].
    #[arg(long, global = true, value_name = "DIR")]
    pub prisma_dir: Option<Utf8PathBuf>,
    /// The snapshot store, relative to the root [default: backups].
    #[arg(long, global = true, value_name = "DIR")]
    pub backups_dir: Option<Utf8PathBuf>,
    /// The database to use [default: the variable schema.prisma's datasource names (directUrl,
    /// then url), else DATABASE_URL; from the environment, .env, then prisma/.env].
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show which Prisma migrations are applied, pending, failed, edited or missing locally.
    ///
    /// Never writes to the database.
    #[command(after_long_help = STATUS_EXIT_CODES)]
    Status(StatusArgs),
}

const STATUS_EXIT_CODES: &str = "\
Exit codes:
  0   success (with --check: nothing pending and nothing wrong)
  1   error (no database, no migrations folder, ...)
  2   usage error
  10  with --check: migrations are pending (or rolled back), nothing else is wrong
  11  with --check: a migration is failed, edited or missing locally, or the histories diverge";

/// `cargo xtask status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Exit with 10 when migrations are pending and 11 when any is failed, edited or missing
    /// locally (see the exit codes below).
    #[arg(long)]
    pub check: bool,
}
