//! How a migration file runs, as the app's Prisma version runs it on PostgreSQL:
//! [`Statements::Whole`] (one simple query: PostgreSQL runs a multi-statement query in one
//! implicit transaction; Prisma < 7.4) or [`Statements::Split`] (one statement at a time outside
//! a transaction block; Prisma >= 7.4, prisma-engines #5799).
//!
//! The version is read from the app ([`prisma_version`]): the installed
//! `node_modules/prisma/package.json` (in the project root or a folder above it, as Node
//! resolves packages), else the `prisma` entry of the root `package.json`'s `devDependencies` or
//! `dependencies` (the lowest version its range allows). The config key `migration-statements`
//! (`auto`, `split`, `whole`; [`StatementsSetting`]) can fix the choice.

use camino::Utf8Path;
use serde::{Deserialize, Serialize};

/// How the built-in deploy runs a migration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Statements {
    /// The whole file as one simple query: all of it or nothing (one implicit transaction), and
    /// `CREATE INDEX CONCURRENTLY` fails beside other statements. Prisma < 7.4.
    #[default]
    Whole,
    /// Each statement ([`super::split::statements`]) as its own query, outside a transaction
    /// block: statements before a failing one stay applied. Prisma >= 7.4.
    Split,
}

/// The config key `migration-statements`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StatementsSetting {
    /// As the app's Prisma version does ([`Statements::for_version`]); `whole` when the version
    /// cannot be read.
    #[default]
    Auto,
    /// Always [`Statements::Split`].
    Split,
    /// Always [`Statements::Whole`].
    Whole,
}

impl StatementsSetting {
    /// The [`Statements`] for the app at `root`: the fixed choice, or for `auto` the one
    /// [`prisma_version`] implies.
    pub fn resolve(self, root: &Utf8Path) -> Statements {
        match self {
            StatementsSetting::Split => Statements::Split,
            StatementsSetting::Whole => Statements::Whole,
            StatementsSetting::Auto => prisma_version(root)
                .map(|v| Statements::for_version(v.version))
                .unwrap_or_default(),
        }
    }
}

impl Statements {
    /// [`Statements::Split`] from Prisma 7.4.0 on, else [`Statements::Whole`].
    pub fn for_version(version: (u32, u32, u32)) -> Statements {
        if version >= (7, 4, 0) {
            Statements::Split
        } else {
            Statements::Whole
        }
    }
}

/// The app's Prisma version and where it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrismaVersion {
    /// Major, minor, patch.
    pub version: (u32, u32, u32),
    /// The file it was read from.
    pub source: camino::Utf8PathBuf,
}

/// The Prisma version of the app at `root` (see the module documentation); `None` when neither
/// file names one that parses. Reads at most one `package.json` per folder up to the filesystem
/// root, never fails.
pub fn prisma_version(root: &Utf8Path) -> Option<PrismaVersion> {
    let installed = root.ancestors().find_map(|dir| {
        let path = dir.join("node_modules/prisma/package.json");
        let json = read_json(&path)?;
        Some(PrismaVersion {
            version: parse_version(json["version"].as_str()?)?,
            source: path,
        })
    });
    installed.or_else(|| {
        let path = root.join("package.json");
        let json = read_json(&path)?;
        let range = ["devDependencies", "dependencies"]
            .iter()
            .find_map(|key| json[key]["prisma"].as_str())?;
        Some(PrismaVersion {
            version: parse_version(range)?,
            source: path,
        })
    })
}

fn read_json(path: &Utf8Path) -> Option<serde_json::Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// The first `major[.minor[.patch]]` in a version or an npm range (`7.4.1`, `^7.4.0`, `~6.19`,
/// `>=7.4.0 <8`, `npm:prisma@7.4.0`); missing parts are 0. `None` without digits (`latest`,
/// `workspace:*`).
pub fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let text = text.rsplit('@').next().unwrap_or(text);
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let dotted = text[start..]
        .split(|c: char| c != '.' && !c.is_ascii_digit())
        .next()?;
    let mut parts = dotted.split('.').map(|p| p.parse::<u32>().ok());
    let major = parts.next()??;
    let minor = parts.next().flatten().unwrap_or(0);
    let patch = parts.next().flatten().unwrap_or(0);
    Some((major, minor, patch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_ranges_parse_to_their_lowest_version() {
        for (text, want) in [
            ("6.19.3", Some((6, 19, 3))),
            ("^7.4.0", Some((7, 4, 0))),
            ("~7.4", Some((7, 4, 0))),
            (">=7.4.1 <8", Some((7, 4, 1))),
            ("7", Some((7, 0, 0))),
            ("7.5.0-dev.12", Some((7, 5, 0))),
            ("npm:prisma@7.4.0", Some((7, 4, 0))),
            ("latest", None),
            ("workspace:*", None),
        ] {
            assert_eq!(parse_version(text), want, "{text}");
        }
    }

    #[test]
    fn split_from_7_4_on() {
        assert_eq!(Statements::for_version((6, 19, 3)), Statements::Whole);
        assert_eq!(Statements::for_version((7, 3, 9)), Statements::Whole);
        assert_eq!(Statements::for_version((7, 4, 0)), Statements::Split);
        assert_eq!(Statements::for_version((8, 0, 0)), Statements::Split);
    }

    fn app(files: &[(&str, &str)]) -> (tempfile::TempDir, camino::Utf8PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = camino::Utf8PathBuf::try_from(dir.path().join("app")).unwrap();
        for (path, text) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        std::fs::create_dir_all(&root).unwrap();
        (dir, root)
    }

    #[test]
    fn the_installed_version_wins_over_package_json() {
        let (_dir, root) = app(&[
            (
                "package.json",
                r#"{"devDependencies": {"prisma": "^7.2.0"}}"#,
            ),
            (
                "node_modules/prisma/package.json",
                r#"{"name": "prisma", "version": "7.4.2"}"#,
            ),
        ]);
        let found = prisma_version(&root).unwrap();
        assert_eq!(found.version, (7, 4, 2));
        assert!(found.source.ends_with("node_modules/prisma/package.json"));
        assert_eq!(StatementsSetting::Auto.resolve(&root), Statements::Split);
        assert_eq!(StatementsSetting::Whole.resolve(&root), Statements::Whole);
    }

    #[test]
    fn package_json_ranges_and_hoisted_installs() {
        let (_dir, root) = app(&[("package.json", r#"{"dependencies": {"prisma": "6.19.3"}}"#)]);
        assert_eq!(prisma_version(&root).unwrap().version, (6, 19, 3));
        assert_eq!(StatementsSetting::Auto.resolve(&root), Statements::Whole);

        // A monorepo: node_modules hoisted to the folder above the app.
        let (dir, root) = app(&[]);
        let hoisted = dir.path().join("node_modules/prisma");
        std::fs::create_dir_all(&hoisted).unwrap();
        std::fs::write(hoisted.join("package.json"), r#"{"version": "7.4.0"}"#).unwrap();
        assert_eq!(prisma_version(&root).unwrap().version, (7, 4, 0));
    }

    #[test]
    fn no_version_means_whole_files() {
        let (_dir, root) = app(&[(
            "package.json",
            r#"{"devDependencies": {"prisma": "latest"}}"#,
        )]);
        assert_eq!(prisma_version(&root), None);
        assert_eq!(StatementsSetting::Auto.resolve(&root), Statements::Whole);
        assert_eq!(StatementsSetting::Split.resolve(&root), Statements::Split);
    }
}
