//! The command line's shape: the top-level parser, the global flags, the subcommands, and the
//! argument types several commands share. Doc comments here are the `--help` text; each
//! command's own flags live in its file under `commands/`.

use camino::Utf8PathBuf;
use clap::{Args, Parser, Subcommand};

use super::commands;
use crate::project::ProjectOptions;

/// Pre-migration snapshots and selective restores for Prisma + PostgreSQL apps.
///
/// Finds pending Prisma migrations exactly as Prisma does (the migrations folder against the
/// `_prisma_migrations` table, with Prisma's checksums).
#[derive(Debug, Parser)]
#[command(name = "prisma-guard", version, propagate_version = true)]
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
    /// The remote store, s3://bucket/prefix [default: config `remote`, else none]; without a
    /// URL, the configured one. `prune --remote` prunes the remote store instead of the local
    /// one. Keys, region and endpoint come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    /// AWS_REGION, AWS_ENDPOINT_URL or an AWS profile, never from the command line.
    // Its own id: `pre-migrate --hook` has a positional `remote` (the git remote).
    #[arg(id = "remote_store", long = "remote", global = true, value_name = "URL", num_args = 0..=1, default_missing_value = "")]
    pub remote: Option<String>,
    /// The age identity file that decrypts pulled snapshots [default: AGE_IDENTITY, else
    /// config `identity`].
    #[arg(long, global = true, value_name = "FILE")]
    pub identity: Option<Utf8PathBuf>,
}

impl GlobalArgs {
    /// The project options these flags give, looked up from `start_dir` (the current folder).
    pub fn project_options(self, start_dir: Utf8PathBuf) -> ProjectOptions {
        ProjectOptions {
            project_dir: self.project_dir,
            prisma_dir: self.prisma_dir,
            backups_dir: self.backups_dir,
            database_url: self.database_url,
            remote: self.remote,
            identity: self.identity,
            start_dir,
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show which Prisma migrations are applied, pending, failed, edited or missing locally.
    ///
    /// Never writes to the database.
    #[command(after_long_help = commands::status::STATUS_EXIT_CODES)]
    Status(commands::status::StatusArgs),
    /// The main job: when migrations are pending, snapshot the data first.
    ///
    /// Runs status; when any migration is pending, takes a snapshot (reason `pre-migrate`) whose
    /// sidecar names them, and prints the command that restores it. With nothing pending it takes
    /// nothing (unless --force). With --apply it then runs `migrate-command` and reports every
    /// table that lost rows or columns.
    #[command(name = "pre-migrate", after_long_help = commands::pre_migrate::PRE_MIGRATE_EXIT_CODES)]
    PreMigrate(commands::pre_migrate::PreMigrateArgs),
    /// Predict what the pending migrations will do to this data, before they run.
    ///
    /// Replays them one at a time on a scratch copy of a snapshot (in a scratch database on the
    /// same server, dropped afterwards) and compares every table before and after by primary
    /// key: rows lost, tables dropped, columns dropped or retyped with the values they lose,
    /// backfills, enum values removed, renames written as DROP + ADD, and migrations that fail
    /// on this data with the rows that make them fail. Without SNAPSHOT_ID it uses the newest
    /// snapshot naming today's pending migrations if the data is unchanged, else takes one.
    #[command(after_long_help = commands::predict::PREDICT_EXIT_CODES)]
    Predict(commands::predict::PredictArgs),
    /// Take a snapshot of every table of the working schema now.
    Snapshot(commands::snapshot::SnapshotArgs),
    /// List snapshots, show one, or verify them.
    Snapshots(commands::snapshots::SnapshotsArgs),
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
    #[command(after_long_help = commands::restore::RESTORE_EXIT_CODES)]
    Restore(commands::restore::RestoreArgs),
    /// Put the database back exactly as it was when a snapshot was taken: schema, data and
    /// `_prisma_migrations`.
    ///
    /// The undo for "my migration went wrong": the working schema is dropped and recreated, the
    /// snapshot's applied migrations are replayed from the local files (each must match the
    /// checksum recorded then), its data is loaded and `_prisma_migrations` gets its rows — in
    /// one transaction. Local databases only; a safety snapshot (reason `pre-rollback`) of the
    /// whole database first; --dry-run does the work in a scratch database.
    #[command(after_long_help = commands::rollback::ROLLBACK_EXIT_CODES)]
    Rollback(commands::rollback::RollbackArgs),
    /// Remove old snapshots by a retention policy, as restic's `forget` does.
    ///
    /// Sorted newest first: --keep-last keeps the N newest; --keep-daily the newest of each of
    /// the D most recent UTC days that have snapshots; --keep-weekly by ISO week;
    /// --keep-monthly by calendar month. Never removes the newest snapshot, one taken with
    /// `snapshot --keep`, hidden temporary folders, or anything in the backups folder that is
    /// not a complete snapshot. With `auto-prune = true` in [workspace.metadata.prisma-guard], the
    /// same prune runs after each `snapshot` and `pre-migrate` snapshot. `prune --remote
    /// [URL]` prunes the remote store by the same policy instead (and removes the objects of
    /// pushes interrupted more than a day ago).
    Prune(commands::prune::PruneArgs),
    /// The local dev reset: snapshot, run `reset-command`, restore what matters.
    ///
    /// Takes a snapshot (reason `reset`), runs `reset-command` (default
    /// `npx prisma migrate reset --force`), then restores from that snapshot the groups of
    /// `reset-restore` (default: admin), or what the flags select. Local databases only.
    #[command(after_long_help = commands::reset::RESET_EXIT_CODES)]
    Reset(commands::reset::ResetArgs),
    /// The whole story in one command, on a database of its own: pending migrations, the
    /// snapshot, a destructive migration, a reset, and the restores.
    ///
    /// Creates a database `prisma_guard_demo_<pid>` on the server --database-url names (give it
    /// the server's maintenance database, e.g. postgresql://postgres@localhost:5432/postgres),
    /// unpacks the example app it carries into a temporary folder, loads it at its 4th migration
    /// with seed data, and runs the real commands, printing their output. Drops that database at
    /// the end; never touches another database, nothing is left in your backups folder. This
    /// repository's `prisma-guard demo` boots a throwaway server instead when no URL is given.
    Demo,
    /// Install, remove or inspect the git pre-push hook.
    ///
    /// The hook runs this program's `pre-migrate --hook pre-push` (`cargo xtask` from an xtask,
    /// else this binary by its path): it blocks a push that edits or
    /// deletes a migration the remote already has (Prisma refuses to deploy an applied migration
    /// whose file changed), and snapshots the local database when migrations are pending.
    Hooks(commands::hooks::HooksArgs),
    /// Unattended snapshots: print or install the crontab entry, run it, see how it went.
    ///
    /// `schedule = "hourly"` (or daily, weekly, or five cron fields) in the configuration sets
    /// how often. The entry runs `schedule run` in the project root: a `snapshot --if-changed`
    /// that is silent on success, loud and non-zero on failure, takes the store lock (a second
    /// run at once waits, then stops with a clear message), prunes when `auto-prune` is set, and
    /// records its outcome. Failures (and, with `notify-on`, other outcomes) go to
    /// `notify-webhook` / `notify-command`. `status` warns when scheduled snapshots stopped.
    Schedule(commands::schedule::ScheduleArgs),
}

/// How rows meet existing rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeArg {
    /// Insert rows whose key is absent; never touch existing rows.
    Merge,
    /// Overwrite rows with the same primary key.
    Upsert,
    /// Make the selected rows equal to the snapshot's: update those that differ, insert the
    /// missing, delete only rows whose key the snapshot lacks.
    Replace,
}

impl ModeArg {
    /// The engine's mode.
    pub fn into_mode(self) -> crate::restore::Mode {
        match self {
            ModeArg::Merge => crate::restore::Mode::Merge,
            ModeArg::Upsert => crate::restore::Mode::Upsert,
            ModeArg::Replace => crate::restore::Mode::Replace,
        }
    }
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

impl StrategyArg {
    /// The engine's strategy.
    pub fn into_strategy(self) -> crate::restore::Strategy {
        use crate::restore::Strategy;
        match self {
            StrategyArg::Auto => Strategy::Auto,
            StrategyArg::Replay => Strategy::Replay,
            StrategyArg::Map => Strategy::Map,
        }
    }
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

impl SelectionArgs {
    /// The engine's selection: `--admin-only` is `--only admin`, `--skip-images` is
    /// `--skip images`, `--skip-analytics` is `--skip analytics`.
    pub fn into_selection(self) -> crate::restore::Selection {
        let mut selection = crate::restore::Selection {
            only: self.only,
            skip: self.skip,
            tables: self.tables,
            exclude: self.exclude,
        };
        if self.admin_only {
            selection.only.push("admin".into());
        }
        if self.skip_images {
            selection.skip.push("images".into());
        }
        if self.skip_analytics {
            selection.skip.push("analytics".into());
        }
        selection
    }
}
