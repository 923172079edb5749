//! Which database and schema status reads: `?schema=` in the URL, `DIRECT_URL` from `.env`, and
//! a malformed `.env` reported without its secret.

use crate::support::{TempProject, TestDb};

#[tokio::test]
async fn schema_parameter_selects_the_working_schema() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy_into("other", &project.migrations(), 3)
        .await
        .unwrap();
    let tables: i64 = db
        .scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'other' AND tablename = 'User'")
        .await;
    assert_eq!(tables, 1, "the migrations ran in schema other");

    let url = format!("{}?schema=other&connection_limit=3", db.url());
    let json = project
        .xtask_with_env(&["status", "--json"], &[("DATABASE_URL", &url)])
        .assert_code(0)
        .json();
    assert_eq!(json["database"]["schema"], "other");
    assert_eq!(json["summary"]["applied"], 3);
    assert_eq!(json["summary"]["pending"], 4);

    let public = project.xtask(&db, &["status", "--json"]).json();
    assert_eq!(
        public["migrations_table"], false,
        "public has no _prisma_migrations"
    );
}

#[tokio::test]
async fn url_from_direct_url_in_env_file() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 1).await;
    // schema.prisma says directUrl = env("DIRECT_URL"): it wins over DATABASE_URL.
    std::fs::write(
        project.root.join(".env"),
        format!("DIRECT_URL={}\n", db.url()),
    )
    .unwrap();
    let run = project.xtask_with_env(
        &["status"],
        &[("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/wrong")],
    );
    run.assert_code(0);
    assert!(
        run.stdout().contains("from DIRECT_URL in .env"),
        "{}",
        run.stdout()
    );
}

#[tokio::test]
async fn a_malformed_env_file_is_named_by_line_without_its_secret() {
    let project = TempProject::new();
    std::fs::write(
        project.root.join(".env"),
        "PORT=3000\nDATABASE_URL=\"postgresql://postgres:s3cretPW@localhost/app\n",
    )
    .unwrap();
    let run = project.xtask_with_env(&["status"], &[]);
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(
        stderr.starts_with("error: cannot read ")
            && stderr.contains(".env: line 2 is not KEY=VALUE"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("s3cretPW") && !run.stdout().contains("s3cretPW"),
        "{stderr}"
    );
}
