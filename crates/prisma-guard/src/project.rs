//! The project being worked on: its root, configuration, folders and database URL, resolved
//! once from global flags and the configuration ([`crate::config`] says where it is found).
//!
//! Every setting that has a flag, a config key and a default is resolved here and only here:
//! the flag wins, then the key, then the default.

use camino::{Utf8Path, Utf8PathBuf};

use crate::config::{self, Config, ConfigError};
use crate::database::{self, DatabaseError, DatabaseUrl, UrlLookup};
use crate::remote::{AwsSettings, Identity, Recipients, Remote, RemoteError, RemoteUrl};
use crate::snapshot::Policy;
use crate::workflows::{MigrateCommand, WorkflowError};

/// Global settings from the command line; each overrides the config key of the same name.
#[derive(Debug, Clone, Default)]
pub struct ProjectOptions {
    /// `--project-dir`: the app's root; default the Cargo workspace around `start_dir`.
    pub project_dir: Option<Utf8PathBuf>,
    /// `--prisma-dir`, relative to the project root.
    pub prisma_dir: Option<Utf8PathBuf>,
    /// `--backups-dir`, relative to the project root.
    pub backups_dir: Option<Utf8PathBuf>,
    /// `--database-url`.
    pub database_url: Option<String>,
    /// `--remote`: the remote store, `s3://bucket/prefix`; empty: the flag without a URL (the
    /// configured store).
    pub remote: Option<String>,
    /// `--identity`: the age identity file, relative to the current folder.
    pub identity: Option<Utf8PathBuf>,
    /// Where to start looking for the workspace (normally the current folder).
    pub start_dir: Utf8PathBuf,
}

/// A resolved project.
#[derive(Debug, Clone)]
pub struct Project {
    /// The project root (the workspace root, or `--project-dir`).
    pub root: Utf8PathBuf,
    /// The configuration (`[workspace.metadata.prisma-guard]` or `prisma-guard.toml`).
    pub config: Config,
    /// The Prisma folder (holds schema.prisma and migrations/).
    pub prisma_dir: Utf8PathBuf,
    /// The snapshot store.
    pub backups_dir: Utf8PathBuf,
    database_url: Option<String>,
    remote: Option<String>,
    identity: Option<Utf8PathBuf>,
}

impl Project {
    /// Resolves the root, reads the config and applies the flags.
    ///
    /// Errors: [`ConfigError::NoWorkspace`] when no workspace is found and no `--project-dir`
    /// is given; [`ConfigError::Read`]/[`ConfigError::Invalid`] for a bad Cargo.toml.
    pub fn open(options: ProjectOptions) -> Result<Project, ConfigError> {
        let root = match options.project_dir {
            Some(dir) => options.start_dir.join(dir),
            None => config::find_project_root(&options.start_dir)?,
        };
        let config = Config::load(&root)?;
        let pick = |flag: Option<Utf8PathBuf>, key: &Option<Utf8PathBuf>, default: &str| {
            root.join(
                flag.or_else(|| key.clone())
                    .unwrap_or_else(|| default.into()),
            )
        };
        Ok(Project {
            prisma_dir: pick(options.prisma_dir, &config.prisma_dir, "prisma"),
            backups_dir: pick(options.backups_dir, &config.backups_dir, "backups"),
            database_url: options.database_url,
            remote: options.remote,
            identity: options.identity.map(|path| options.start_dir.join(path)),
            root,
            config,
        })
    }

    /// The command `pre-migrate --apply` runs: `flag` (`--migrate-command`), else the key
    /// `migrate-command`, else `npx prisma migrate deploy`; `builtin` is the built-in deploy.
    ///
    /// Errors: [`WorkflowError::BadCommand`] for an empty or badly quoted command.
    pub fn migrate_command(&self, flag: Option<&str>) -> Result<MigrateCommand, WorkflowError> {
        let text = flag
            .or(self.config.migrate_command.as_deref())
            .unwrap_or(crate::workflows::pre_migrate::DEFAULT_MIGRATE_COMMAND);
        MigrateCommand::parse(text)
    }

    /// The command `reset` runs: `flag` (`--reset-command`), else the key `reset-command`, else
    /// `npx prisma migrate reset --force`; `builtin` drops the schema and deploys every migration.
    ///
    /// Errors: [`WorkflowError::BadCommand`] for an empty or badly quoted command.
    pub fn reset_command(&self, flag: Option<&str>) -> Result<MigrateCommand, WorkflowError> {
        let text = flag
            .or(self.config.reset_command.as_deref())
            .unwrap_or(crate::workflows::reset::DEFAULT_RESET_COMMAND);
        MigrateCommand::parse(text)
    }

    /// How the built-in deploy and replay run a migration file: the key `migration-statements`
    /// (default `auto`), resolved against the app's Prisma version
    /// ([`crate::migrations::StatementsSetting::resolve`]).
    pub fn migration_statements(&self) -> crate::migrations::Statements {
        self.config
            .migration_statements
            .unwrap_or_default()
            .resolve(&self.root)
    }

    /// The key `lint` (default `warn`).
    pub fn lint_mode(&self) -> crate::lint::LintMode {
        self.config.lint.unwrap_or_default()
    }

    /// The lint profile for this app's migrations: Prisma's, with the rules that depend on how a
    /// file runs chosen by [`Project::migration_statements`].
    pub fn lint_profile(&self) -> crate::lint::Profile {
        crate::lint::Profile::prisma(self.migration_statements())
    }

    /// The retention policy `prune` applies: each of `flags` over its config key
    /// (`keep-last`, `keep-daily`, `keep-weekly`, `keep-monthly`, `keep-safety`) over the
    /// defaults 10/7/4/12/3.
    pub fn retention(&self, flags: RetentionFlags) -> Policy {
        let config = Policy::from_config(&self.config);
        Policy {
            keep_last: flags.keep_last.unwrap_or(config.keep_last),
            keep_daily: flags.keep_daily.unwrap_or(config.keep_daily),
            keep_weekly: flags.keep_weekly.unwrap_or(config.keep_weekly),
            keep_monthly: flags.keep_monthly.unwrap_or(config.keep_monthly),
            keep_safety: flags.keep_safety.unwrap_or(config.keep_safety),
        }
    }

    /// The configured `schedule`, parsed; `None` when none is configured.
    ///
    /// Errors: [`crate::schedule::ScheduleError::Invalid`] for a value that is not a schedule.
    pub fn schedule(
        &self,
    ) -> Result<Option<crate::schedule::Schedule>, crate::schedule::ScheduleError> {
        self.config
            .schedule
            .as_deref()
            .map(crate::schedule::Schedule::parse)
            .transpose()
    }

    /// The notification settings (`notify-webhook`, `notify-command`, `notify-on`), resolved
    /// with the process environment.
    ///
    /// Errors: [`crate::notify::NotifyConfigError`] naming the key that is wrong.
    pub fn notify_settings(
        &self,
    ) -> Result<crate::notify::Settings, crate::notify::NotifyConfigError> {
        crate::notify::Settings::resolve(&self.config, &self.root, |name| std::env::var(name).ok())
    }

    /// `predict-max-bytes` (default [`crate::predict::DEFAULT_MAX_BYTES`]): the snapshot size,
    /// in bytes, over which `pre-migrate` skips its prediction; `0` never skips.
    pub fn predict_max_bytes(&self) -> u64 {
        self.config
            .predict_max_bytes
            .unwrap_or(crate::predict::DEFAULT_MAX_BYTES)
    }

    /// `<prisma-dir>/migrations`.
    pub fn migrations_dir(&self) -> Utf8PathBuf {
        self.prisma_dir.join("migrations")
    }

    /// Finds the database URL the way Prisma does (see [`database::find_url`]), reading the
    /// process environment.
    pub fn database_url(&self) -> Result<DatabaseUrl, DatabaseError> {
        self.database_url_with_env(|name| std::env::var(name).ok())
    }

    /// [`Project::database_url`] with an injected environment.
    pub fn database_url_with_env(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<DatabaseUrl, DatabaseError> {
        let lookup = UrlLookup {
            explicit: self.database_url.as_deref(),
            project_root: &self.root,
            prisma_dir: &self.prisma_dir,
        };
        database::find_url(&lookup, env)
    }

    /// The remote store: `--remote`, else the key `remote`, else none.
    ///
    /// Errors: [`RemoteError::BadUrl`] naming the flag or key.
    pub fn remote_url(&self) -> Result<Option<RemoteUrl>, RemoteError> {
        let flag = self.remote.as_ref().filter(|f| !f.is_empty());
        match (flag, &self.config.remote) {
            (Some(flag), _) => RemoteUrl::parse(flag, "--remote").map(Some),
            (None, Some(key)) => RemoteUrl::parse(key, "the key `remote`").map(Some),
            (None, None) => Ok(None),
        }
    }

    /// Whether `--remote` was given (with or without a URL): `prune` then prunes the remote
    /// store.
    pub fn remote_flag(&self) -> bool {
        self.remote.is_some()
    }

    /// The remote store opened with the AWS settings `env` gives ([`AwsSettings::from_env`]),
    /// or `None` when no remote is configured.
    ///
    /// Errors: as [`Project::remote_url`], [`AwsSettings::from_env`] and [`Remote::open`].
    pub fn remote(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Remote>, RemoteError> {
        let Some(url) = self.remote_url()? else {
            return Ok(None);
        };
        let settings = AwsSettings::from_env(env)?;
        Remote::open(&url, &settings).map(Some)
    }

    /// The recipients pushed files are encrypted to (the key `recipients`).
    ///
    /// Errors: [`RemoteError::BadRecipient`].
    pub fn recipients(&self) -> Result<Recipients, RemoteError> {
        Recipients::parse(&self.config.recipients)
    }

    /// The age identity that decrypts pulled snapshots: `--identity FILE`, else `AGE_IDENTITY`
    /// from `env` (a file path, or the key itself when it starts with `AGE-SECRET-KEY-`), else
    /// the key `identity` (relative to the root), else none.
    ///
    /// Errors: [`RemoteError::BadIdentity`] when the one chosen cannot be read.
    pub fn identity(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Identity>, RemoteError> {
        if let Some(path) = &self.identity {
            return Identity::from_file(path).map(Some);
        }
        if let Some(value) = env("AGE_IDENTITY").filter(|v| !v.trim().is_empty()) {
            let value = value.trim();
            return if value.starts_with("AGE-SECRET-KEY-") {
                Identity::from_text(value, "AGE_IDENTITY".into()).map(Some)
            } else {
                Identity::from_file(Utf8Path::new(value)).map(Some)
            };
        }
        match &self.config.identity {
            Some(path) => Identity::from_file(&self.root.join(path)).map(Some),
            None => Ok(None),
        }
    }

    /// A path shown relative to the project root when it is inside it.
    pub fn display_path<'a>(&self, path: &'a Utf8Path) -> &'a Utf8Path {
        path.strip_prefix(&self.root).unwrap_or(path)
    }
}

/// `prune`'s flags, each overriding its config key in [`Project::retention`].
#[derive(Debug, Clone, Copy, Default)]
pub struct RetentionFlags {
    /// `--keep-last`.
    pub keep_last: Option<u32>,
    /// `--keep-daily`.
    pub keep_daily: Option<u32>,
    /// `--keep-weekly`.
    pub keep_weekly: Option<u32>,
    /// `--keep-monthly`.
    pub keep_monthly: Option<u32>,
    /// `--keep-safety`.
    pub keep_safety: Option<u32>,
}
