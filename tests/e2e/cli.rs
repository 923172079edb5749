//! The binary's contract: help, usage errors, and clear errors for bad input.

use crate::support::{TempProject, TestDb};

#[test]
fn help_documents_the_exit_codes() {
    let project = TempProject::new();
    let run = project.xtask_with_env(&["status", "--help"], &[]);
    run.assert_code(0);
    let help = run.stdout();
    assert!(
        help.contains("10  with --check: migrations are pending"),
        "{help}"
    );
    assert!(
        help.contains("11  with --check: a migration is failed, edited or missing locally"),
        "{help}"
    );
    assert!(help.contains("--database-url <URL>"), "{help}");
}

#[test]
fn usage_errors_exit_2() {
    let project = TempProject::new();
    let run = project.xtask_with_env(&["status", "--no-such-flag"], &[]);
    run.assert_code(2);
    assert!(run.stderr().contains("--no-such-flag"), "{}", run.stderr());
    project
        .xtask_with_env(&["no-such-command"], &[])
        .assert_code(2);
}

#[test]
fn no_database_url() {
    let project = TempProject::new();
    let run = project.xtask_with_env(&["status"], &[]);
    run.assert_code(1);
    assert_eq!(
        run.stderr(),
        "error: no database URL found (looked for --database-url, then DIRECT_URL, DATABASE_URL in \
         the environment, .env and prisma/.env)\nhint: set DATABASE_URL (in the environment or .env) \
         or pass --database-url\n"
    );
}

#[test]
fn unreachable_server_redacts_the_password() {
    let project = TempProject::new();
    let url = "postgresql://app:hunter2@127.0.0.1:1/shop?schema=public";
    let run = project.xtask_with_env(&["status"], &[("DATABASE_URL", url)]);
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(
        stderr.starts_with("error: cannot connect to postgresql://app:***@127.0.0.1:1/shop: the server is unreachable"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: start PostgreSQL, or check the host and port in the URL"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2") && !run.stdout().contains("hunter2"));
}

#[tokio::test]
async fn missing_database_says_so() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    let url = db.database_url().with_database("xtask_no_such_db");
    let run = project.xtask_with_env(&["status"], &[("DATABASE_URL", url.expose_secret())]);
    run.assert_code(1);
    assert!(
        run.stderr().contains("the database does not exist"),
        "{}",
        run.stderr()
    );
    assert!(run.stderr().contains("hint: create it"), "{}", run.stderr());
}

#[tokio::test]
async fn no_migrations_folder() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    std::fs::remove_dir_all(project.migrations_dir()).unwrap();
    let run = project.xtask(&db, &["status"]);
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(
        stderr.starts_with("error: no migrations folder at "),
        "{stderr}"
    );
    assert!(stderr.contains("hint: pass --prisma-dir"), "{stderr}");
}

#[tokio::test]
async fn migration_folder_without_script() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    std::fs::create_dir(project.migrations_dir().join("20240801000000_empty")).unwrap();
    // As `prisma migrate status`: listed (pending), warned about with P3015, the rest reported.
    let run = project.xtask(&db, &["status"]);
    run.assert_code(0);
    let (stdout, stderr) = (run.stdout(), run.stderr());
    assert!(stdout.contains("20240801000000_empty"), "{stdout}");
    assert!(stdout.contains("20240105093000_init"), "{stdout}");
    assert!(
        stderr.contains("warning: migration folder 20240801000000_empty has no migration.sql: `prisma migrate deploy` stops there (P3015)"),
        "{stderr}"
    );
    let json = project.xtask(&db, &["status", "--json"]).json();
    let empty = json["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "20240801000000_empty")
        .unwrap()
        .clone();
    assert_eq!(empty["state"], "pending");
    project.xtask(&db, &["status", "--check"]).assert_code(11);
    // The built-in deploy still refuses it, as Prisma's does.
    let run = project.xtask(
        &db,
        &["pre-migrate", "--apply", "--migrate-command", "builtin"],
    );
    run.assert_code(1);
    assert!(
        run.stderr()
            .contains("migration folder 20240801000000_empty has no migration.sql"),
        "{}",
        run.stderr()
    );
}

#[tokio::test]
async fn prisma_dir_from_config_and_flag() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 2).await;
    std::fs::rename(project.root.join("prisma"), project.root.join("db")).unwrap();
    project.xtask(&db, &["status"]).assert_code(1);
    project
        .xtask(&db, &["--prisma-dir", "db", "status"])
        .assert_code(0);
    std::fs::write(
        project.root.join("Cargo.toml"),
        "[workspace]\nmembers = []\n\n[workspace.metadata.prisma-guard]\nprisma-dir = \"db\"\n",
    )
    .unwrap();
    // From a sub-folder: the workspace root is found above it.
    let sub = project.root.join("db/migrations");
    let run = project
        .command(&["status", "--json"], &[("DATABASE_URL", &db.url())])
        .current_dir(&sub)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(json["summary"]["applied"], 2);
}

#[test]
fn unknown_config_key_is_named() {
    let project = TempProject::new();
    std::fs::write(
        project.root.join("Cargo.toml"),
        "[workspace]\n\n[workspace.metadata.prisma-guard]\nbackup-dir = \"snapshots\"\n",
    )
    .unwrap();
    let run = project.xtask_with_env(&["status"], &[]);
    run.assert_code(1);
    assert!(
        run.stderr().contains("unknown field `backup-dir`"),
        "{}",
        run.stderr()
    );
}

#[tokio::test]
async fn a_closed_stdout_pipe_ends_quietly() {
    use std::process::Stdio;
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 7).await;
    // `cargo xtask status | head -0`: the reader is gone before anything is printed.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = project
        .command(&["status"], &[("DATABASE_URL", &db.url())])
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(141), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
