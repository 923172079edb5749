//! The user's configuration: `[workspace.metadata.xtask]` in the workspace Cargo.toml, read into
//! a typed [`Config`], and the project root it is found in.
//!
//! Every key is optional. An unknown key is an error that names it, so a typo is never silently
//! ignored.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Deserialize;

/// Errors while finding the project or reading its configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No Cargo workspace above the starting folder.
    #[error("no Cargo workspace found in {start} or any folder above it")]
    NoWorkspace {
        /// The folder the search started from.
        start: Utf8PathBuf,
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
    /// The manifest or the `[workspace.metadata.xtask]` table is malformed (unknown key,
    /// wrong type).
    #[error("invalid [workspace.metadata.xtask] in {path}: {message}")]
    Invalid {
        /// The Cargo.toml.
        path: Utf8PathBuf,
        /// What the TOML parser said, naming the key.
        message: String,
    },
}

impl ConfigError {
    /// What the user should do next, for the binary's `hint:` line.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            ConfigError::NoWorkspace { .. } => {
                "run inside your app's Cargo workspace, or pass --project-dir".into()
            }
            ConfigError::Read { .. } => "check that the file exists and is readable".into(),
            ConfigError::Invalid { .. } => "the keys are: prisma-dir, backups-dir, migrate-command, reset-command, reset-restore, groups, files, keep-last, keep-daily, keep-weekly, keep-monthly, auto-prune".into(),
        })
    }
}

/// `[workspace.metadata.xtask]`: every key optional, kebab-case, unknown keys rejected.
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
    /// The groups `reset` restores when no selection flag is given (default `["admin"]`).
    pub reset_restore: Option<Vec<String>>,
    /// Named table groups: group name → tables, each optionally with a row filter
    /// (`"User WHERE role = 'ADMIN'"`).
    #[serde(default)]
    pub groups: BTreeMap<String, Vec<String>>,
    /// Upload folders per group, relative to the project root (`images = ["public/uploads"]`).
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
    /// Prune after each snapshot taken by `snapshot` and `pre-migrate` (default false).
    pub auto_prune: Option<bool>,
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
    xtask: Option<Config>,
}

impl Config {
    /// Reads `[workspace.metadata.xtask]` from `<root>/Cargo.toml`.
    ///
    /// A root without Cargo.toml, or a manifest without the table, gives the default config.
    /// Errors: [`ConfigError::Read`] when the file exists but cannot be read,
    /// [`ConfigError::Invalid`] for bad TOML, an unknown key or a wrong type.
    pub fn load(root: &Utf8Path) -> Result<Config, ConfigError> {
        let path = root.join("Cargo.toml");
        if !path.exists() {
            return Ok(Config::default());
        }
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        Config::parse(&text).map_err(|message| ConfigError::Invalid { path, message })
    }

    /// Parses the config out of a Cargo.toml's text; the error is the parser's message.
    pub fn parse(manifest: &str) -> Result<Config, String> {
        let manifest: Manifest = toml::from_str(manifest).map_err(|e| e.message().to_string())?;
        Ok(manifest
            .workspace
            .and_then(|w| w.metadata)
            .and_then(|m| m.xtask)
            .unwrap_or_default())
    }
}

/// Finds the project root: the nearest folder at or above `start` whose Cargo.toml has a
/// `[workspace]` table, as `cargo` itself resolves the workspace root.
///
/// Errors with [`ConfigError::NoWorkspace`] when there is none.
pub fn find_project_root(start: &Utf8Path) -> Result<Utf8PathBuf, ConfigError> {
    for dir in start.ancestors() {
        let manifest = dir.join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let is_workspace = text
            .parse::<toml::Table>()
            .is_ok_and(|table| table.contains_key("workspace"));
        if is_workspace {
            return Ok(dir.to_owned());
        }
    }
    Err(ConfigError::NoWorkspace {
        start: start.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_optional() {
        assert_eq!(
            Config::parse("[workspace]\nmembers = []\n").unwrap(),
            Config::default()
        );
        assert_eq!(
            Config::parse("[package]\nname = \"x\"\n").unwrap(),
            Config::default()
        );
    }

    #[test]
    fn reads_all_keys() {
        let config = Config::parse(
            r#"
[workspace.metadata.xtask]
prisma-dir = "db/prisma"
backups-dir = ".snapshots"
migrate-command = "builtin"
reset-command = "pnpm prisma migrate reset --force"
reset-restore = ["admin", "content"]
groups.admin = ["User WHERE role = 'ADMIN'", "SystemPrompt"]
files.images = ["public/uploads"]
"#,
        )
        .unwrap();
        assert_eq!(
            config.prisma_dir.as_deref(),
            Some(Utf8Path::new("db/prisma"))
        );
        assert_eq!(
            config.backups_dir.as_deref(),
            Some(Utf8Path::new(".snapshots"))
        );
        assert_eq!(config.migrate_command.as_deref(), Some("builtin"));
        assert_eq!(
            config.reset_restore.as_deref(),
            Some(&["admin".to_string(), "content".to_string()][..])
        );
        assert_eq!(
            config.groups["admin"],
            ["User WHERE role = 'ADMIN'", "SystemPrompt"]
        );
        assert_eq!(
            config.files["images"],
            [Utf8PathBuf::from("public/uploads")]
        );
    }

    #[test]
    fn reads_prune_keys() {
        let config = Config::parse(
            "[workspace.metadata.xtask]\nkeep-last = 3\nkeep-daily = 0\nkeep-weekly = 2\nkeep-monthly = 6\nauto-prune = true\n",
        )
        .unwrap();
        assert_eq!(
            (
                config.keep_last,
                config.keep_daily,
                config.keep_weekly,
                config.keep_monthly
            ),
            (Some(3), Some(0), Some(2), Some(6))
        );
        assert_eq!(config.auto_prune, Some(true));
        let err = Config::parse("[workspace.metadata.xtask]\nkeep-last = -1\n").unwrap_err();
        assert!(err.contains("invalid value"), "{err}");
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Config::parse("[workspace.metadata.xtask]\nbackup-dir = \"b\"\n").unwrap_err();
        assert!(err.contains("unknown field `backup-dir`"), "{err}");
    }

    #[test]
    fn wrong_type_is_an_error() {
        let err = Config::parse("[workspace.metadata.xtask]\nprisma-dir = 3\n").unwrap_err();
        assert!(err.contains("invalid type"), "{err}");
    }

    #[test]
    fn project_root_is_the_workspace_above() {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap();
        std::fs::write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"xtask\"]\n",
        )
        .unwrap();
        let member = root.join("xtask/src");
        std::fs::create_dir_all(&member).unwrap();
        std::fs::write(
            root.join("xtask/Cargo.toml"),
            "[package]\nname = \"xtask\"\n",
        )
        .unwrap();
        assert_eq!(find_project_root(&member).unwrap(), root);
    }
}
