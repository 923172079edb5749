//! The user's configuration and the project root it is found in.
//!
//! The lookup, in one place ([`find_project_root`], then [`Config::load`]):
//! 1. The project root is `--project-dir`, else the nearest folder at or above the current one
//!    that holds a `prisma-guard.toml`, a `Cargo.toml` with a `[workspace]` table, a `prisma/`
//!    folder or a `package.json` — the Cargo workspace of a cargo-xtask app, the package of a
//!    Node-only Prisma app.
//! 2. The configuration is `[workspace.metadata.prisma-guard]` in the root's `Cargo.toml`, else
//!    the top level of the root's `prisma-guard.toml`, else the defaults. Both at once is an
//!    error (two sources could name different backup folders).
//!
//! Every key is optional. An unknown key is an error that names it, so a typo is never silently
//! ignored.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Deserialize;

/// Errors while finding the project or reading its configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No project root above the starting folder.
    #[error(
        "no project found in {start} or any folder above it (looked for prisma-guard.toml, a Cargo workspace, prisma/ and package.json)"
    )]
    NoWorkspace {
        /// The folder the search started from.
        start: Utf8PathBuf,
    },
    /// Both `Cargo.toml` and `prisma-guard.toml` configure the tool.
    #[error("both {cargo} ([workspace.metadata.prisma-guard]) and {file} configure prisma-guard")]
    Ambiguous {
        /// The Cargo.toml.
        cargo: Utf8PathBuf,
        /// The prisma-guard.toml.
        file: Utf8PathBuf,
    },
    /// The manifest could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The Cargo.toml.
        path: Utf8PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file or its `[workspace.metadata.prisma-guard]` table is malformed (unknown key,
    /// wrong type).
    #[error("invalid configuration in {path}: {message}")]
    Invalid {
        /// The Cargo.toml.
        path: Utf8PathBuf,
        /// What the TOML parser said, naming the key.
        message: String,
    },
    /// An upload folder (`files.<group>`) that is not a relative path inside the project root.
    #[error("invalid configuration in {path}: files.{group}: the folder `{folder}` {problem}")]
    UnsafeFolder {
        /// The Cargo.toml or prisma-guard.toml.
        path: Utf8PathBuf,
        /// The group (`images`).
        group: String,
        /// The folder as written.
        folder: Utf8PathBuf,
        /// What is wrong with it.
        problem: crate::snapshot::archive::paths::FolderProblem,
    },
    /// A bucket prefix (`files.<group>` entry starting with `s3://`) that is not an
    /// `s3://bucket/prefix` URL.
    #[error("invalid configuration in {path}: files.{group}: {problem}")]
    BadBucket {
        /// The Cargo.toml or prisma-guard.toml.
        path: Utf8PathBuf,
        /// The group (`images`).
        group: String,
        /// What [`crate::remote::RemoteUrl::parse`] said, naming the entry.
        problem: String,
    },
}

impl crate::error::Hint for ConfigError {
    fn hint(&self) -> Option<String> {
        Some(match self {
            ConfigError::NoWorkspace { .. } => {
                "run inside your app (the folder holding prisma/), or pass --project-dir".into()
            }
            ConfigError::Ambiguous { file, .. } => {
                format!("keep one: move the keys into Cargo.toml and delete {file}, or the other way round")
            }
            ConfigError::Read { .. } => "check that the file exists and is readable".into(),
            ConfigError::BadBucket { .. } => "a bucket prefix is written s3://bucket/prefix/ (such as \"s3://app-uploads/images/\"); keys and endpoint come from the AWS variables, never from the config".into(),
            ConfigError::UnsafeFolder { .. } => "an upload folder is a relative path inside the project root, without `..` (such as \"public/uploads\")".into(),
            ConfigError::Invalid { .. } => "the keys are: prisma-dir, backups-dir, migrate-command, reset-command, migration-statements, seed-command, reset-restore, groups, files, keep-last, keep-daily, keep-weekly, keep-monthly, keep-safety, auto-prune, schedule, notify-webhook, notify-command, notify-on, remote, push, recipients, identity, match-on, lint, predict-max-bytes".into(),
        })
    }
}

/// `[workspace.metadata.prisma-guard]` or `prisma-guard.toml`: every key optional, kebab-case, unknown keys rejected.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Config {
    /// The Prisma folder, relative to the project root (default `prisma`).
    pub prisma_dir: Option<Utf8PathBuf>,
    /// The snapshot store, relative to the project root (default `backups`).
    pub backups_dir: Option<Utf8PathBuf>,
    /// The command that applies pending migrations (default `npx prisma migrate deploy`; the
    /// value `builtin` uses this tool's own Prisma-compatible deploy).
    pub migrate_command: Option<String>,
    /// The command that resets the database (default `npx prisma migrate reset --force`; the
    /// value `builtin` drops and recreates the working schema and applies every migration).
    pub reset_command: Option<String>,
    /// How the built-in deploy and replay run a migration file: `auto` (default: as the app's
    /// Prisma version does, read from `node_modules/prisma` or `package.json`), `split` (each
    /// statement on its own, outside a transaction block: Prisma >= 7.4) or `whole` (the file as
    /// one query: older Prisma). See [`crate::migrations::version`].
    pub migration_statements: Option<crate::migrations::StatementsSetting>,
    /// The command `reset` runs after the reset command, before restoring, when the app
    /// configures a seed and the reset command no longer runs it (Prisma >= 7); default
    /// `npx prisma db seed`, `none` never seeds. See [`crate::workflows::seed`].
    pub seed_command: Option<String>,
    /// The groups `reset` restores when no selection flag is given (default `["admin"]`).
    pub reset_restore: Option<Vec<String>>,
    /// Named table groups: group name → tables, each optionally with a row filter
    /// (`"User WHERE role = 'ADMIN'"`).
    #[serde(default)]
    pub groups: BTreeMap<String, Vec<String>>,
    /// Upload folders per group, relative to the project root, and bucket prefixes
    /// (`images = ["public/uploads", "s3://app-uploads/images/"]`): a snapshot copies every
    /// object under a prefix ([`crate::snapshot::objects`]).
    #[serde(default)]
    pub files: BTreeMap<String, Vec<Utf8PathBuf>>,
    /// `prune`: keep this many newest snapshots (default 10).
    pub keep_last: Option<u32>,
    /// `prune`: keep the newest snapshot of each of this many most recent UTC days (default 7).
    pub keep_daily: Option<u32>,
    /// `prune`: keep the newest snapshot of each of this many most recent ISO weeks (default 4).
    pub keep_weekly: Option<u32>,
    /// `prune`: keep the newest snapshot of each of this many most recent months (default 12).
    pub keep_monthly: Option<u32>,
    /// `prune`: keep this many newest safety snapshots (`pre-restore`, `pre-rollback`;
    /// default 3). They count for no other rule.
    pub keep_safety: Option<u32>,
    /// Prune after each snapshot taken by `snapshot`, `pre-migrate` and `schedule run`
    /// (default false).
    pub auto_prune: Option<bool>,
    /// How often `schedule run` should run: `hourly`, `daily`, `weekly` or five cron fields
    /// ([`crate::schedule::Schedule::parse`]).
    pub schedule: Option<String>,
    /// A Slack-compatible incoming-webhook URL, or `env:NAME` to read it from a variable
    /// ([`crate::notify`]).
    pub notify_webhook: Option<String>,
    /// A command run with each notified event as JSON on stdin.
    pub notify_command: Option<String>,
    /// Which events are notified (default `["failure"]`): `failure`, `success`, a command, or
    /// `command:outcome`.
    pub notify_on: Option<Vec<String>>,
    /// The remote store, `s3://bucket/prefix` (default none; `--remote` overrides it). Keys,
    /// region and endpoint come from the AWS variables and files only, never from here.
    pub remote: Option<String>,
    /// Push each snapshot `snapshot`, `pre-migrate` and the pre-push hook take to the remote
    /// store (default false).
    pub push: Option<bool>,
    /// age public keys (`age1…`) that pushed files are encrypted to (default none: pushed as
    /// they are). Also accepted as `encrypt-to`.
    #[serde(default, alias = "encrypt-to")]
    pub recipients: Vec<String>,
    /// The age identity file that decrypts pulled snapshots, relative to the project root
    /// (`--identity` and `AGE_IDENTITY` override it).
    pub identity: Option<Utf8PathBuf>,
    /// Skip `pre-migrate`'s prediction when the snapshot's data files exceed this many bytes
    /// (default 1 GiB; `0` never skips). `predict` runs it anyway.
    pub predict_max_bytes: Option<u64>,
    /// What lint findings in pending migrations do: `warn` (default: shown by `status`,
    /// `pre-migrate` and the pre-push hook), `deny` (also block a push over an error-level
    /// finding) or `off` ([`crate::lint`]).
    pub lint: Option<crate::lint::LintMode>,
    /// `restore`: the unique key that identifies each named table's rows across ids (table →
    /// column or list of columns, `{ Product = "slug" }`); an empty list turns the matching off
    /// for that table. Tables not named get the automatic choice
    /// ([`crate::restore::plan::natural_keys`]).
    #[serde(default)]
    pub match_on: BTreeMap<String, MatchOn>,
}

/// One `match-on` value: a column, or a list of columns.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum MatchOn {
    /// `"slug"`.
    Column(String),
    /// `["tenantId", "slug"]`.
    Columns(Vec<String>),
}

impl MatchOn {
    /// The columns named.
    pub fn columns(&self) -> Vec<String> {
        match self {
            MatchOn::Column(c) => vec![c.clone()],
            MatchOn::Columns(cs) => cs.clone(),
        }
    }
}

#[derive(Deserialize)]
struct Manifest {
    workspace: Option<Workspace>,
}

#[derive(Deserialize)]
struct Workspace {
    metadata: Option<Metadata>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(rename = "prisma-guard")]
    prisma_guard: Option<Config>,
}

/// The configuration file of a project that is not a Cargo workspace.
pub const CONFIG_FILE: &str = "prisma-guard.toml";

impl Config {
    /// Reads the configuration of the project at `root`: `[workspace.metadata.prisma-guard]` in
    /// `<root>/Cargo.toml`, else `<root>/prisma-guard.toml`, else the defaults.
    ///
    /// Errors: [`ConfigError::Read`] when a file exists but cannot be read,
    /// [`ConfigError::Invalid`] for bad TOML, an unknown key or a wrong type,
    /// [`ConfigError::UnsafeFolder`] for an upload folder that is empty, absolute, `.` or has
    /// `..`, [`ConfigError::Ambiguous`] when both files configure the tool.
    pub fn load(root: &Utf8Path) -> Result<Config, ConfigError> {
        let cargo = root.join("Cargo.toml");
        let file = root.join(CONFIG_FILE);
        let from_cargo = match read_optional(&cargo)? {
            Some(text) => Config::parse(&text).map_err(|message| ConfigError::Invalid {
                path: cargo.clone(),
                message,
            })?,
            None => None,
        };
        let from_file = match read_optional(&file)? {
            Some(text) => {
                Some(
                    Config::parse_file(&text).map_err(|message| ConfigError::Invalid {
                        path: file.clone(),
                        message,
                    })?,
                )
            }
            None => None,
        };
        match (from_cargo, from_file) {
            (Some(_), Some(_)) => Err(ConfigError::Ambiguous { cargo, file }),
            (Some(config), None) => config.check_folders(&cargo).map(|()| config),
            (None, Some(config)) => config.check_folders(&file).map(|()| config),
            (None, None) => Ok(Config::default()),
        }
    }

    /// Refuses an upload folder (`files.<group>`) that is not a relative path inside the project
    /// root (see [`crate::snapshot::archive::paths::plain_folder`]), and a bucket prefix
    /// (`s3://…`) that [`crate::remote::RemoteUrl::parse`] refuses; `path` is the file read.
    ///
    /// Errors with [`ConfigError::UnsafeFolder`] naming the key and the folder,
    /// [`ConfigError::BadBucket`] naming the key and the entry.
    pub fn check_folders(&self, path: &Utf8Path) -> Result<(), ConfigError> {
        for (group, folders) in &self.files {
            for folder in folders {
                if crate::remote::RemoteUrl::is_remote(folder.as_str()) {
                    let source = "the entry";
                    if let Err(e) = crate::remote::RemoteUrl::parse(folder.as_str(), source) {
                        return Err(ConfigError::BadBucket {
                            path: path.to_owned(),
                            group: group.clone(),
                            problem: e.to_string(),
                        });
                    }
                    continue;
                }
                if let Err(problem) = crate::snapshot::archive::paths::plain_folder(folder) {
                    return Err(ConfigError::UnsafeFolder {
                        path: path.to_owned(),
                        group: group.clone(),
                        folder: folder.clone(),
                        problem,
                    });
                }
            }
        }
        Ok(())
    }

    /// Parses `[workspace.metadata.prisma-guard]` out of a Cargo.toml's text: `None` when the
    /// table is absent; the error is the parser's message, naming the key.
    pub fn parse(manifest: &str) -> Result<Option<Config>, String> {
        let manifest: Manifest = toml::from_str(manifest).map_err(|e| e.message().to_string())?;
        Ok(manifest
            .workspace
            .and_then(|w| w.metadata)
            .and_then(|m| m.prisma_guard))
    }

    /// Parses a `prisma-guard.toml` (the keys at its top level).
    pub fn parse_file(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.message().to_string())
    }
}

fn read_optional(path: &Utf8Path) -> Result<Option<String>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ConfigError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Finds the project root: the nearest folder at or above `start` that holds a
/// `prisma-guard.toml`, a `Cargo.toml` with a `[workspace]` table (as `cargo` resolves the
/// workspace root), a `prisma/` folder or a `package.json`.
///
/// Errors with [`ConfigError::NoWorkspace`] when there is none.
pub fn find_project_root(start: &Utf8Path) -> Result<Utf8PathBuf, ConfigError> {
    let is_workspace = |dir: &Utf8Path| {
        std::fs::read_to_string(dir.join("Cargo.toml")).is_ok_and(|text| {
            text.parse::<toml::Table>()
                .is_ok_and(|table| table.contains_key("workspace"))
        })
    };
    start
        .ancestors()
        .find(|dir| {
            dir.join(CONFIG_FILE).is_file()
                || is_workspace(dir)
                || dir.join("prisma").is_dir()
                || dir.join("package.json").is_file()
        })
        .map(Utf8Path::to_owned)
        .ok_or_else(|| ConfigError::NoWorkspace {
            start: start.to_owned(),
        })
}

#[cfg(test)]
mod tests;
