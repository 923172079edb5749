//! The app's seed, run by `reset` where the reset command no longer runs it: Prisma 7's
//! `migrate reset` does not seed (Prisma 6's did), and the built-in reset never does.
//!
//! A seed is configured when the root `package.json` has `prisma.seed` (Prisma 6's place) or
//! `prisma.config.{ts,mts,cts,js,mjs,cjs}` has a `seed:` string (Prisma 7's
//! `migrations.seed`; read as text, only a literal string is recognised). Then, after the reset
//! and before the restore, `seed-command` runs (default `npx prisma db seed`; `none` never
//! seeds), and the rows it created are counted per table so the report can say which of them
//! the restore then replaced ([`Seeded::overlaps`]).

use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;

use super::WorkflowError;
use super::pre_migrate::MigrateCommand;
use crate::database::DatabaseUrl;
use crate::error::QueryError;
use crate::project::Project;
use crate::restore::RestoreReport;

/// The default `seed-command`.
pub const DEFAULT_SEED_COMMAND: &str = "npx prisma db seed";

/// Where the app configures its seed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppSeed {
    /// The seed script as configured (`tsx prisma/seed.ts`).
    pub script: String,
    /// The file that configures it.
    pub source: Utf8PathBuf,
}

/// The seed `app_root` configures, if any (see the module documentation). Never fails: an
/// unreadable or malformed file configures nothing.
pub fn app_seed(app_root: &Utf8Path) -> Option<AppSeed> {
    let package = app_root.join("package.json");
    let from_package = std::fs::read_to_string(&package)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|json| json["prisma"]["seed"].as_str().map(str::to_string));
    if let Some(script) = from_package {
        return Some(AppSeed {
            script,
            source: package,
        });
    }
    ["ts", "mts", "cts", "js", "mjs", "cjs"]
        .iter()
        .map(|ext| app_root.join(format!("prisma.config.{ext}")))
        .find_map(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            Some(AppSeed {
                script: seed_literal(&text)?,
                source: path,
            })
        })
}

/// The string after `seed:` in a config file's text (`seed: 'tsx prisma/seed.ts'`), quoted with
/// `'`, `"` or a backtick without `${`; `None` when there is none.
fn seed_literal(text: &str) -> Option<String> {
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut rest = code.as_str();
    while let Some(at) = rest.find("seed") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + 4..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
            continue;
        }
        let Some(value) = rest.trim_start().strip_prefix(':') else {
            continue;
        };
        let value = value.trim_start();
        let quote = value.chars().next()?;
        if !"'\"`".contains(quote) {
            return None;
        }
        let body = &value[1..];
        let end = body.find(quote)?;
        let script = &body[..end];
        return (!script.contains("${") && !script.is_empty()).then(|| script.to_string());
    }
    None
}

/// The seed command `reset` runs after `reset_command`, or `None` when it runs none: no seed is
/// configured, `seed-command = "none"`, or the reset command seeds by itself (an external
/// command while the app's Prisma is older than 7, or unknown). `builtin` never seeds, so with it
/// a configured seed always runs.
///
/// Errors: [`WorkflowError::BadCommand`] for a `seed-command` that does not parse or is
/// `builtin` (there is no built-in seed).
pub fn seed_command(
    project: &Project,
    reset_command: &MigrateCommand,
) -> Result<Option<MigrateCommand>, WorkflowError> {
    let text = project
        .config
        .seed_command
        .as_deref()
        .unwrap_or(DEFAULT_SEED_COMMAND);
    if text.trim() == "none" || app_seed(&project.root).is_none() {
        return Ok(None);
    }
    let reset_seeds = match reset_command {
        MigrateCommand::Builtin => false,
        MigrateCommand::External(_) => {
            crate::migrations::prisma_version(&project.root).is_none_or(|v| v.version.0 < 7)
        }
    };
    if reset_seeds {
        return Ok(None);
    }
    match MigrateCommand::parse(text)? {
        MigrateCommand::Builtin => Err(WorkflowError::BadCommand {
            command: text.into(),
            problem: "there is no built-in seed; name the command that seeds (`npx prisma db seed`) or `none`".into(),
        }),
        command => Ok(Some(command)),
    }
}

/// What the seed did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Seeded {
    /// The command, as shown.
    pub command: String,
    /// What it printed (stdout then stderr).
    pub output: String,
    /// Rows per table after the seed (tables it left empty and `_prisma_migrations` left out),
    /// by name.
    pub rows: Vec<(String, u64)>,
}

/// Seeded rows of one table and what the restore did to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeedOverlap {
    /// The table.
    pub table: String,
    /// Rows the seed created.
    pub seeded: u64,
    /// Seeded rows the restore overwrote (`upsert`) or deleted (`replace`).
    pub replaced: u64,
    /// Snapshot rows left out because a seeded row holds the key (`merge`).
    pub kept: u64,
}

impl Seeded {
    /// Per seeded table the restore touched: how many seeded rows it replaced or kept.
    pub fn overlaps(&self, report: &RestoreReport) -> Vec<SeedOverlap> {
        self.rows
            .iter()
            .filter_map(|(table, seeded)| {
                let result = report.tables.iter().find(|t| &t.name == table)?;
                Some(SeedOverlap {
                    table: table.clone(),
                    seeded: *seeded,
                    replaced: (result.updated + result.deleted).min(*seeded),
                    kept: result.conflicts,
                })
            })
            .filter(|o| o.replaced > 0 || o.kept > 0)
            .collect()
    }
}

/// Runs `command` as `migrate-command` runs ([`super::apply`]: in the project root, with the
/// database URL in the datasource's variables), then counts the rows per table.
///
/// Errors: [`WorkflowError::CommandFailed`] with its output, [`WorkflowError::Connect`] and
/// [`WorkflowError::Database`] for the count.
pub async fn run_seed(
    project: &Project,
    url: &DatabaseUrl,
    command: &MigrateCommand,
) -> Result<Seeded, WorkflowError> {
    let applied = super::apply(project, url, command).await?;
    let mut conn = url.connect().await?;
    let tables = crate::catalog::tables(&mut conn, url.schema())
        .await
        .map_err(QueryError::at("reading the catalog after the seed"))?;
    let mut rows = Vec::new();
    for table in tables
        .iter()
        .filter(|t| t.name != crate::migrations::table::TABLE_NAME)
    {
        let count: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}", table.qualified()))
            .fetch_one(&mut conn)
            .await
            .map_err(QueryError::at(format!(
                "counting the rows of {}",
                table.name
            )))?;
        if count > 0 {
            rows.push((table.name.clone(), count as u64));
        }
    }
    Ok(Seeded {
        command: command.display(),
        output: applied.output,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_string_of_a_prisma_config() {
        let config = "import { defineConfig } from 'prisma/config'\n// seed: 'old'\nexport default defineConfig({\n  migrations: {\n    path: 'prisma/migrations',\n    seed: `tsx prisma/seed.ts`,\n  },\n})\n";
        assert_eq!(seed_literal(config).as_deref(), Some("tsx prisma/seed.ts"));
        assert_eq!(
            seed_literal("migrations: { seed: \"node seed.js\" }").as_deref(),
            Some("node seed.js")
        );
        // Not a literal, or not the key: nothing reliable to read.
        assert_eq!(seed_literal("migrations: { seed: process.env.SEED }"), None);
        assert_eq!(seed_literal("seed: `tsx ${dir}/seed.ts`"), None);
        assert_eq!(seed_literal("const reseed = 1; noseed: 'x'"), None);
        assert_eq!(seed_literal("export default {}"), None);
    }

    fn project(package_json: &str, config: &str) -> (tempfile::TempDir, Project) {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap().to_owned();
        std::fs::write(root.join("package.json"), package_json).unwrap();
        std::fs::write(root.join("prisma-guard.toml"), config).unwrap();
        let options = crate::project::ProjectOptions {
            start_dir: root,
            ..Default::default()
        };
        (dir, Project::open(options).unwrap())
    }

    #[test]
    fn the_seed_runs_only_where_the_reset_command_does_not_seed() {
        let external =
            MigrateCommand::parse(crate::workflows::reset::DEFAULT_RESET_COMMAND).unwrap();
        let seeds = |package: &str, config: &str, reset: &MigrateCommand| {
            let (_dir, project) = project(package, config);
            seed_command(&project, reset).map(|c| c.map(|c| c.display()))
        };
        let prisma6 =
            r#"{"devDependencies": {"prisma": "6.19.3"}, "prisma": {"seed": "tsx seed.ts"}}"#;
        let prisma7 =
            r#"{"devDependencies": {"prisma": "^7.0.0"}, "prisma": {"seed": "tsx seed.ts"}}"#;
        // Prisma 6's migrate reset seeds by itself; Prisma 7's does not; builtin never does.
        assert_eq!(seeds(prisma6, "", &external).unwrap(), None);
        assert_eq!(
            seeds(prisma7, "", &external).unwrap().as_deref(),
            Some(DEFAULT_SEED_COMMAND)
        );
        assert_eq!(
            seeds(prisma6, "", &MigrateCommand::Builtin)
                .unwrap()
                .as_deref(),
            Some(DEFAULT_SEED_COMMAND)
        );
        // No seed configured, or none asked for: no step.
        assert_eq!(
            seeds(r#"{"devDependencies": {"prisma": "7.4.0"}}"#, "", &external).unwrap(),
            None
        );
        assert_eq!(
            seeds(prisma7, "seed-command = \"none\"", &external).unwrap(),
            None
        );
        assert_eq!(
            seeds(prisma7, "seed-command = \"pnpm db:seed\"", &external)
                .unwrap()
                .as_deref(),
            Some("pnpm db:seed")
        );
        let err = seeds(prisma7, "seed-command = \"builtin\"", &external).unwrap_err();
        assert!(err.to_string().contains("builtin"), "{err}");
    }

    #[test]
    fn package_json_first_then_the_prisma_config() {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap();
        assert_eq!(app_seed(root), None);
        std::fs::write(
            root.join("prisma.config.ts"),
            "migrations: { seed: 'tsx seed.ts' }",
        )
        .unwrap();
        let seed = app_seed(root).unwrap();
        assert_eq!(
            (seed.script.as_str(), seed.source.file_name()),
            ("tsx seed.ts", Some("prisma.config.ts"))
        );
        std::fs::write(
            root.join("package.json"),
            r#"{"prisma": {"seed": "node seed.js"}}"#,
        )
        .unwrap();
        assert_eq!(app_seed(root).unwrap().script, "node seed.js");
    }
}
