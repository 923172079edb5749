//! The real Prisma CLI (6.19.3, `tests/prisma-cli`): where it is, whether it can run, and running
//! it against a test project and database.
//!
//! `npm ci` in `tests/prisma-cli` installs it (`.ci/run` does). When Node.js or the installed CLI
//! is missing, [`PrismaCli::find`] prints why and returns `None`, so the test returns early —
//! unless `PRISMA_GUARD_REQUIRE_PRISMA=1` (set by `.ci/run`) or `CI` says the tests must run:
//! then it panics with the same reason. Never a silent skip.

use std::io::Write;
use std::process::Command;

use camino::{Utf8Path, Utf8PathBuf};

use super::project::Run;
use super::{TempProject, TestDb};

/// The Prisma version the harness pins (`tests/prisma-cli/package.json`).
pub const VERSION: &str = "6.19.3";

/// The harness folder: `tests/prisma-cli`.
pub const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/prisma-cli");

/// The installed Prisma CLI of the harness.
#[derive(Debug, Clone)]
pub struct PrismaCli {
    dir: Utf8PathBuf,
}

impl PrismaCli {
    /// The CLI when it can run; else prints the reason for `test` and returns `None`, or panics
    /// with it when the environment requires the Prisma tests (see the module documentation).
    pub fn find(test: &str) -> Option<PrismaCli> {
        let dir = Utf8Path::new(DIR)
            .canonicalize_utf8()
            .expect("tests/prisma-cli exists");
        match problem(&dir) {
            None => Some(PrismaCli { dir }),
            Some(reason) if required() => panic!(
                "{test}: the real Prisma CLI is required here (PRISMA_GUARD_REQUIRE_PRISMA or CI is set) but {reason}"
            ),
            Some(reason) => {
                // Straight to the process's stderr, past the test harness's capture, so the
                // skip shows in a plain `cargo test` run.
                let _ = writeln!(
                    std::io::stderr(),
                    "skipping {test}: {reason} (set PRISMA_GUARD_REQUIRE_PRISMA=1 to make this a failure)"
                );
                None
            }
        }
    }

    /// The wrapper script: the CLI with the harness's config, no update check, and the lock
    /// timer preload (see `tests/prisma-cli/README.md`).
    pub fn script(&self) -> Utf8PathBuf {
        self.dir.join("prisma.sh")
    }

    /// `<script> <args>` as one command line, for `migrate-command` / `reset-command`.
    pub fn command_line(&self, args: &str) -> String {
        format!("{} {args}", shell_quote(self.script().as_str()))
    }

    /// Runs the CLI in `project`'s root against `db`, with every variable the fixture schema's
    /// datasource names (`DATABASE_URL`, `DIRECT_URL`) set to `db`'s URL.
    pub fn run(&self, project: &TempProject, db: &TestDb, args: &[&str]) -> Run {
        let url = db.url();
        let output = Command::new(self.script())
            .args(args)
            .current_dir(&project.root)
            .env("DATABASE_URL", &url)
            .env("DIRECT_URL", &url)
            .env("NO_COLOR", "1")
            .output()
            .expect("running the Prisma CLI");
        Run(output)
    }

    /// `prisma migrate status`: its exit code and what it lists.
    pub fn status(&self, project: &TempProject, db: &TestDb) -> PrismaStatus {
        PrismaStatus::parse(&self.run(project, db, &["migrate", "status"]))
    }
}

/// What `prisma migrate status` printed, by section (names in the order printed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrismaStatus {
    /// The exit code.
    pub code: i32,
    /// "Database schema is up to date!" was printed.
    pub up_to_date: bool,
    /// Under "… not yet been applied:".
    pub pending: Vec<String>,
    /// Under "Following migration(s) have failed:".
    pub failed: Vec<String>,
    /// Under "… from the database are not found locally …".
    pub missing_locally: Vec<String>,
    /// Both streams, for assertion messages.
    pub output: String,
}

impl PrismaStatus {
    fn parse(run: &Run) -> PrismaStatus {
        let output = format!("{}{}", run.stdout(), run.stderr());
        let mut status = PrismaStatus {
            code: run.code(),
            up_to_date: output.contains("Database schema is up to date!"),
            ..PrismaStatus::default()
        };
        let mut section: Option<&mut Vec<String>> = None;
        for line in output.lines().map(str::trim) {
            if line.contains("not yet been applied:") {
                section = Some(&mut status.pending);
            } else if line.contains("have failed:") {
                section = Some(&mut status.failed);
            } else if line.contains("are not found locally") {
                section = Some(&mut status.missing_locally);
            } else if is_migration_name(line) {
                if let Some(names) = section.as_deref_mut() {
                    names.push(line.to_string());
                }
            } else {
                section = None;
            }
        }
        status.output = output;
        status
    }
}

/// A migration folder name as the fixture uses them: 14 digits, `_`, a word.
fn is_migration_name(line: &str) -> bool {
    let (stamp, rest) = line.split_at(line.len().min(14));
    stamp.len() == 14
        && stamp.bytes().all(|b| b.is_ascii_digit())
        && rest.starts_with('_')
        && !rest.contains(char::is_whitespace)
}

/// Why the CLI cannot run, or `None` when it can.
fn problem(dir: &Utf8Path) -> Option<String> {
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        return Some("Node.js is not installed (`node --version` failed; on Debian: apt-get install nodejs npm)".into());
    }
    let installed = dir.join("node_modules/prisma/package.json");
    let Ok(text) = std::fs::read_to_string(&installed) else {
        return Some(format!(
            "the Prisma CLI is not installed in {dir} (run `npm ci --no-audit --no-fund --ignore-scripts` there)"
        ));
    };
    let manifest: serde_json::Value = serde_json::from_str(&text).ok()?;
    match manifest["version"].as_str() {
        Some(VERSION) => None,
        other => Some(format!(
            "{installed} is version {other:?}, not the pinned {VERSION} (run `npm ci` in {dir})"
        )),
    }
}

/// Whether the environment says the Prisma tests must run.
fn required() -> bool {
    let set =
        |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    set("PRISMA_GUARD_REQUIRE_PRISMA") || set("CI")
}

/// Quotes `word` for the command lines the config's commands are parsed from (shell words).
fn shell_quote(word: &str) -> String {
    if word
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+".contains(&b))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}
