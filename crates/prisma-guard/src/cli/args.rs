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
/// `[workspace.metadata.prisma-guard]`.
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
    /// The main job: when migrations are pending, snapshot the data first.
    ///
    /// Runs status; when any migration is pending, takes a snapshot (reason `pre-migrate`) whose
    /// sidecar names them, and prints the command that restores it. With nothing pending it takes
    /// nothing (unless --force). With --apply it then runs `migrate-command` and reports every
    /// table that lost rows or columns.
    #[command(name = "pre-migrate", after_long_help = PRE_MIGRATE_EXIT_CODES)]
    PreMigrate(PreMigrateArgs),
    /// Take a snapshot of every table of the working schema now.
    Snapshot(SnapshotArgs),
    /// List snapshots, show one, or verify them.
    Snapshots(SnapshotsArgs),
    /// Put a snapshot's data back into the database, across schema changes.
    ///
    /// With --strategy replay (the default `auto` picks it when possible), the migrations
    /// applied since the snapshot are replayed on its data in a scratch database, so renamed
    /// columns and backfills carry the data as the migrations did; with `map`, columns are
    /// matched by name: a column gone from the schema is dropped, a new one takes its default.
    /// Parents are restored before children; rows whose parent is missing are skipped as
    /// orphans; sequences move past the restored keys. Everything runs in one transaction. The
    /// plan is shown first, then a confirmation (default No); a safety snapshot (reason
    /// `pre-restore`) of the touched tables is taken before anything is written.
    #[command(after_long_help = RESTORE_EXIT_CODES)]
    Restore(RestoreArgs),
    /// Put the database back exactly as it was when a snapshot was taken: schema, data and
    /// `_prisma_migrations`.
    ///
    /// The undo for "my migration went wrong": the working schema is dropped and recreated, the
    /// snapshot's applied migrations are replayed from the local files (each must match the
    /// checksum recorded then), its data is loaded and `_prisma_migrations` gets its rows — in
    /// one transaction. Local databases only; a safety snapshot (reason `pre-rollback`) of the
    /// whole database first; --dry-run does the work in a scratch database.
    #[command(after_long_help = ROLLBACK_EXIT_CODES)]
    Rollback(RollbackArgs),
    /// Remove old snapshots by a retention policy, as restic's `forget` does.
    ///
    /// Sorted newest first: --keep-last keeps the N newest; --keep-daily the newest of each of
    /// the D most recent UTC days that have snapshots; --keep-weekly by ISO week;
    /// --keep-monthly by calendar month. Never removes the newest snapshot, one taken with
    /// `snapshot --keep`, hidden temporary folders, or anything in the backups folder that is
    /// not a complete snapshot. With `auto-prune = true` in [workspace.metadata.prisma-guard], the
    /// same prune runs after each `snapshot` and `pre-migrate` snapshot.
    Prune(PruneArgs),
    /// The local dev reset: snapshot, run `reset-command`, restore what matters.
    ///
    /// Takes a snapshot (reason `reset`), runs `reset-command` (default
    /// `npx prisma migrate reset --force`), then restores from that snapshot the groups of
    /// `reset-restore` (default: admin), or what the flags select. Local databases only.
    #[command(after_long_help = RESET_EXIT_CODES)]
    Reset(ResetArgs),
    /// The whole story in one command, on a database of its own: pending migrations, the
    /// snapshot, a destructive migration, a reset, and the restores.
    ///
    /// Creates a database `prisma_guard_demo_<pid>` on the server --database-url names (give it
    /// the server's maintenance database, e.g. postgresql://postgres@localhost:5432/postgres),
    /// unpacks the example app it carries into a temporary folder, loads it at its 4th migration
    /// with seed data, and runs the real commands, printing their output. Drops that database at
    /// the end; never touches another database, nothing is left in your backups folder. This
    /// repository's `cargo xtask demo` boots a throwaway server instead when no URL is given.
    Demo,
    /// Install, remove or inspect the git pre-push hook.
    ///
    /// The hook runs `cargo xtask pre-migrate --hook pre-push`: it blocks a push that edits or
    /// deletes a migration the remote already has (Prisma refuses to deploy an applied migration
    /// whose file changed), and snapshots the local database when migrations are pending.
    Hooks(HooksArgs),
}

/// `cargo xtask prune`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Keep the N newest snapshots [default: config `keep-last`, else 10].
    #[arg(long, value_name = "N")]
    pub keep_last: Option<u32>,
    /// Keep the newest snapshot of each of the D most recent UTC days that have snapshots
    /// [default: config `keep-daily`, else 7].
    #[arg(long, value_name = "D")]
    pub keep_daily: Option<u32>,
    /// Keep the newest snapshot of each of the W most recent ISO weeks that have snapshots
    /// [default: config `keep-weekly`, else 4].
    #[arg(long, value_name = "W")]
    pub keep_weekly: Option<u32>,
    /// Keep the newest snapshot of each of the M most recent calendar months that have
    /// snapshots [default: config `keep-monthly`, else 12].
    #[arg(long, value_name = "M")]
    pub keep_monthly: Option<u32>,
    /// List what would be removed and why each kept one is kept; remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the decisions as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `cargo xtask hooks`.
#[derive(Debug, Args)]
pub struct HooksArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: HooksAction,
}

/// `cargo xtask hooks <action>`.
#[derive(Debug, Subcommand)]
pub enum HooksAction {
    /// Write the pre-push hook into the hooks folder git uses (core.hooksPath respected).
    ///
    /// Idempotent. A pre-push hook that cargo xtask did not write is left alone unless --force.
    Install {
        /// Replace a pre-push hook we did not write: it is kept as pre-push.local beside ours,
        /// which runs it first with the same input and arguments (its failure fails the push).
        #[arg(long)]
        force: bool,
    },
    /// Remove our pre-push hook (only ours); a kept pre-push.local goes back to pre-push.
    Uninstall,
    /// Say whether our hook is installed, where, and whether a kept hook is chained.
    Status,
}

/// Git hooks `pre-migrate --hook` can run as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HookArg {
    /// Read git's pre-push lines on stdin; block edits of pushed migrations; snapshot when
    /// migrations are pending; never prompt.
    PrePush,
}

const RESTORE_EXIT_CODES: &str = "\
Groups (see `cargo xtask status`): admin, images and analytics are inferred from table names
unless [workspace.metadata.prisma-guard.groups] defines them.

Exit codes:
  0   restored (or, with --dry-run, planned and rolled back)
  1   error or refusal; the database is unchanged
  2   usage error";

/// How rows meet existing rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeArg {
    /// Insert rows whose key is absent; never touch existing rows.
    Merge,
    /// Overwrite rows with the same primary key.
    Upsert,
    /// Delete the selected tables' rows first (refused if other tables reference them).
    Replace,
}

/// How the snapshot's rows reach today's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StrategyArg {
    /// Replay when possible, else map; the plan says which and why.
    Auto,
    /// Replay the migrations applied since the snapshot on its data, in a scratch database.
    Replay,
    /// Match columns by name.
    Map,
}

const ROLLBACK_EXIT_CODES: &str = "\
Exit codes:
  0   rolled back (or, with --dry-run, rebuilt in a scratch database that was then dropped)
  1   error or refusal; the database is unchanged
  2   usage error";

/// `cargo xtask rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The snapshot id (or a unique prefix) [default: the newest that is not a safety
    /// snapshot].
    #[arg(conflicts_with = "latest")]
    pub id: Option<String>,
    /// Roll back to the newest snapshot that is not a safety snapshot (the default when no id
    /// is given).
    #[arg(long)]
    pub latest: bool,
    /// Rebuild in a scratch database instead, report, and drop it; the database is not touched.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Do not take the `pre-rollback` safety snapshot first.
    #[arg(long)]
    pub no_safety_snapshot: bool,
    /// Print the plan and the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `cargo xtask restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The snapshot id (or a unique prefix) [default: the newest that is not a `pre-restore`
    /// safety snapshot].
    #[arg(conflicts_with = "latest")]
    pub id: Option<String>,
    /// Restore the newest snapshot that is not a `pre-restore` safety snapshot (the default
    /// when no id is given; name a safety snapshot by id to restore it).
    #[arg(long)]
    pub latest: bool,
    /// What to restore.
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// How restored rows meet existing rows.
    #[arg(long, value_enum, default_value_t = ModeArg::Merge)]
    pub mode: ModeArg,
    /// How the rows reach today's schema: replay the migrations since the snapshot on its data,
    /// or map columns by name; `auto` replays when possible and says why not.
    #[arg(long, value_enum, default_value_t = StrategyArg::Auto)]
    pub strategy: StrategyArg,
    /// Run the whole restore in a transaction that is rolled back, and report what it did.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Do not take the `pre-restore` safety snapshot first.
    #[arg(long)]
    pub no_safety_snapshot: bool,
    /// Allow a database that is not on this machine.
    #[arg(long)]
    pub allow_remote: bool,
    /// Print the plan and the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

const PRE_MIGRATE_EXIT_CODES: &str = "\
Exit codes:
  0   success (snapshot taken, nothing pending, or migrations applied)
  1   error (nothing is kept of a snapshot that failed)
  2   usage error
  10  with --check and without --apply: migrations are pending (the snapshot was taken)";

/// `cargo xtask pre-migrate`.
#[derive(Debug, Args)]
pub struct PreMigrateArgs {
    /// Snapshot even when nothing is pending.
    #[arg(long)]
    pub force: bool,
    /// After the snapshot, apply the migrations with `migrate-command` (default
    /// `npx prisma migrate deploy`; `builtin` uses this tool's Prisma-compatible deploy) and
    /// report the tables that lost data.
    #[arg(long)]
    pub apply: bool,
    /// Override `migrate-command` for this run (implies nothing without --apply).
    #[arg(long, value_name = "COMMAND")]
    pub migrate_command: Option<String>,
    /// Exit with 10 when migrations are pending and were not applied.
    #[arg(long)]
    pub check: bool,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Parallel connections reading tables.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub jobs: usize,
    /// Run as a git hook (what the installed hook calls): `pre-push` reads git's lines on stdin,
    /// blocks a push that edits or deletes a migration the remote has, and snapshots (reason
    /// `pre-push`) when migrations are pending; an unreachable database only warns.
    #[arg(long, value_enum, value_name = "NAME", conflicts_with_all = ["apply", "check", "json", "force", "migrate_command"])]
    pub hook: Option<HookArg>,
    /// With --hook pre-push: the remote's name, as git passes it.
    #[arg(requires = "hook")]
    pub remote: Option<String>,
    /// With --hook pre-push: the remote's URL, as git passes it.
    #[arg(requires = "hook")]
    pub remote_url: Option<String>,
}

/// `cargo xtask snapshot`.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// A label kept in the manifest and the snapshot's name.
    #[arg(long)]
    pub tag: Option<String>,
    /// Keep this snapshot forever: `prune` never removes it.
    #[arg(long)]
    pub keep: bool,
    /// Why it is taken; part of the name.
    #[arg(long, default_value = "manual")]
    pub reason: String,
    /// Only these tables (comma-separated, exact names).
    #[arg(long, value_delimiter = ',', value_name = "TABLE,..")]
    pub tables: Vec<String>,
    /// Leave these tables out (comma-separated, exact names).
    #[arg(long, value_delimiter = ',', value_name = "TABLE,..")]
    pub exclude: Vec<String>,
    /// Keep no snapshot when the data equals the newest snapshot's (compared by content
    /// fingerprint, after reading everything).
    #[arg(long)]
    pub if_changed: bool,
    /// Print the manifest summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Parallel connections reading tables.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub jobs: usize,
}

/// `cargo xtask snapshots`.
#[derive(Debug, Args)]
pub struct SnapshotsArgs {
    /// What to do; lists them when omitted.
    #[command(subcommand)]
    pub action: Option<SnapshotsAction>,
    /// Print the list as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `cargo xtask snapshots <action>`.
#[derive(Debug, Subcommand)]
pub enum SnapshotsAction {
    /// Print a snapshot's manifest and sidecar readably.
    Show {
        /// The snapshot id (or a unique prefix); the newest when omitted.
        id: Option<String>,
        /// Print manifest and sidecar as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Re-hash, decompress and count every file; exit 1 on any mismatch.
    Verify {
        /// The snapshot id (or a unique prefix).
        #[arg(required_unless_present = "all")]
        id: Option<String>,
        /// Verify every snapshot.
        #[arg(long, conflicts_with = "id")]
        all: bool,
    },
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

/// Which tables and files a restore takes (shared by `restore` and `reset`).
#[derive(Debug, Clone, Args)]
pub struct SelectionArgs {
    /// Only group `admin` (admin users, roles, settings, prompts), with its row filters.
    #[arg(long)]
    pub admin_only: bool,
    /// Leave group `images` out: its tables and its upload files.
    #[arg(long)]
    pub skip_images: bool,
    /// Leave group `analytics` out.
    #[arg(long)]
    pub skip_analytics: bool,
    /// Only these groups, with their row filters (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "GROUP,..")]
    pub only: Vec<String>,
    /// Leave these groups out (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "GROUP,..")]
    pub skip: Vec<String>,
    /// Only these tables, every row (comma-separated, exact names); with --only, in addition.
    #[arg(long, value_delimiter = ',', value_name = "TABLE,..")]
    pub tables: Vec<String>,
    /// Leave these tables out (comma-separated, exact names).
    #[arg(long, value_delimiter = ',', value_name = "TABLE,..")]
    pub exclude: Vec<String>,
}

const RESET_EXIT_CODES: &str = "\
Exit codes:
  0   reset and restored
  1   error or refusal (if the reset command failed, nothing was restored and the snapshot is kept)
  2   usage error";

/// `cargo xtask reset`.
#[derive(Debug, Args)]
pub struct ResetArgs {
    /// What to restore after the reset [default: the groups of `reset-restore`, else admin].
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Restore everything after the reset (but `_prisma_migrations`).
    #[arg(long, conflicts_with_all = ["admin_only", "only", "tables"])]
    pub all: bool,
    /// How restored rows meet the rows the reset command's seed script created.
    #[arg(long, value_enum, default_value_t = ModeArg::Merge)]
    pub mode: ModeArg,
    /// Override `reset-command` for this run (`builtin`: drop and recreate the schema, then
    /// apply every migration with the built-in deploy).
    #[arg(long, value_name = "COMMAND")]
    pub reset_command: Option<String>,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
}
