//! libpq query parameters in the database URL, end to end through the real binary: `?dbname=`
//! decides the database for every connection (a dry run's scratch database can never be the
//! real one), `?host=`/`?hostaddr=` are judged by the local-only guard before any connection,
//! other parameters are refused by name, and no password is ever shown.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use prisma_guard::sql::quote_ident;

use crate::support::project::Run;
use crate::support::{TempProject, TestDb};

/// What the tests compare before and after: every table's row count and md5 of its rows, and
/// `_prisma_migrations`' rows (name, checksum, finished).
#[derive(Debug, PartialEq, Eq)]
struct Fingerprint {
    tables: BTreeMap<String, (i64, String)>,
    migrations: Vec<(String, String, bool)>,
}

async fn fingerprint(db: &TestDb) -> Fingerprint {
    let mut tables = BTreeMap::new();
    for table in db.tables("public").await {
        let t = quote_ident(&table);
        let md5: String = db
            .scalar(&format!(
                "SELECT coalesce(md5(string_agg(r::text, E'\\n' ORDER BY r::text)), '') FROM public.{t} r"
            ))
            .await;
        let count: i64 = db.scalar(&format!("SELECT count(*) FROM public.{t}")).await;
        tables.insert(table, (count, md5));
    }
    let mut conn = db.connect().await;
    let migrations = sqlx::query_as(
        "SELECT migration_name, checksum, finished_at IS NOT NULL FROM public._prisma_migrations
         ORDER BY migration_name",
    )
    .fetch_all(&mut conn)
    .await
    .expect("reading _prisma_migrations");
    Fingerprint { tables, migrations }
}

/// Seeded at migration 4 and snapshotted, then migrated to 7 in place and changed (rows deleted
/// and edited), so that anything the snapshot's data reached would show.
struct Scenario {
    project: TempProject,
    /// The real database: the one `?dbname=` names.
    db: TestDb,
    /// The database the URL's path names; nothing may touch it either.
    decoy: TestDb,
    id: String,
}

impl Scenario {
    async fn new() -> Scenario {
        let (project, db) = (TempProject::new(), TestDb::new().await);
        project.seeded(&db).await;
        project.xtask(&db, &["snapshot"]).assert_code(0);
        let id = project.snapshots()[0].manifest.id.clone();
        db.deploy(&project.migrations(), 7).await;
        db.execute(
            "DELETE FROM \"Comment\"; DELETE FROM \"_PostToTag\"; UPDATE \"Tag\" SET \"name\" = \"name\" || '-edited';",
        )
        .await;
        let decoy = TestDb::new().await;
        Scenario {
            project,
            db,
            decoy,
            id,
        }
    }

    /// The decoy's URL with `?dbname=` naming the real database, and a password that must
    /// never be shown (the server's own, or one trust authentication ignores).
    fn url(&self) -> (String, String) {
        let url = self.decoy.url();
        let password = url::Url::parse(&url)
            .ok()
            .and_then(|u| u.password().map(str::to_string));
        match password {
            Some(password) => (format!("{url}?dbname={}", self.db.name), password),
            None => (
                format!("{url}?dbname={}&password=hunter2", self.db.name),
                "hunter2".into(),
            ),
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        let (url, password) = self.url();
        let run = self.project.xtask_with_env(args, &[("DATABASE_URL", &url)]);
        let output = format!("{}{}", run.stdout(), run.stderr());
        assert!(
            !output.contains(&password),
            "{args:?} showed the password: {output}"
        );
        run
    }

    async fn assert_decoy_untouched(&self) {
        assert!(
            self.decoy.tables("public").await.is_empty(),
            "the URL's path database was written"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dbname_parameter_keeps_a_replay_dry_run_off_the_real_database() {
    let s = Scenario::new().await;
    let before = fingerprint(&s.db).await;

    let run = s.run(&[
        "restore",
        &s.id,
        "--strategy",
        "replay",
        "--dry-run",
        "--yes",
    ]);
    run.assert_code(0);
    assert_eq!(
        fingerprint(&s.db).await,
        before,
        "the dry run changed the real database"
    );
    s.assert_decoy_untouched().await;
    assert!(
        run.stdout().contains(&format!("/{}", s.db.name)),
        "the effective database is shown: {}",
        run.stdout()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dbname_parameter_keeps_a_rollback_dry_run_off_the_real_database() {
    let s = Scenario::new().await;
    let before = fingerprint(&s.db).await;

    let run = s.run(&["rollback", &s.id, "--dry-run", "--yes"]);
    run.assert_code(0);

    assert_eq!(
        fingerprint(&s.db).await,
        before,
        "the dry run changed the real database"
    );
    s.assert_decoy_untouched().await;
}

/// `db`'s URL with the password `hunter2`, for runs that are refused before connecting.
fn with_password(db: &TestDb) -> String {
    let mut url = url::Url::parse(&db.url()).unwrap();
    url.set_password(Some("hunter2")).unwrap();
    url.to_string()
}

/// Runs the binary, killing it after 10 s: a refusal must come before any connection attempt
/// (one to 10.0.0.5 would hang).
fn run_briefly(project: &TempProject, args: &[&str], url: &str) -> Run {
    let started = Instant::now();
    let mut child = project
        .command(args, &[("DATABASE_URL", url)])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(10) {
            child.kill().unwrap();
            let output = child.wait_with_output().unwrap();
            panic!(
                "{args:?} with {url} still ran after 10 s, as if it tried to connect: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Run(child.wait_with_output().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_and_hostaddr_parameters_are_judged_by_the_local_only_guard() {
    let s = Scenario::new().await;
    let before = fingerprint(&s.db).await;
    let with_password = with_password(&s.db);
    for param in [
        "host=10.0.0.5",
        "hostaddr=10.0.0.5",
        "host=localhost,10.0.0.5",
    ] {
        let url = format!("{with_password}?{param}");
        for args in [
            vec!["restore", s.id.as_str(), "--yes"],
            vec!["rollback", s.id.as_str(), "--yes"],
            vec!["reset", "--yes", "--reset-command", "builtin"],
        ] {
            let run = run_briefly(&s.project, &args, &url);
            run.assert_code(1);
            let stderr = run.stderr();
            assert!(stderr.contains("not local"), "{args:?} {param}: {stderr}");
            assert!(!stderr.contains("hunter2"), "{args:?} {param}: {stderr}");
            assert!(
                stderr.contains("10.0.0.5"),
                "the host judged is shown: {stderr}"
            );
        }
    }
    assert_eq!(fingerprint(&s.db).await, before);
    assert_eq!(
        s.project.snapshots().len(),
        1,
        "no safety snapshot for a refusal"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_parameters_are_refused_by_name_without_showing_the_password() {
    let project = TempProject::new();
    let db = TestDb::new().await;
    let local = with_password(&db);
    for (param, named) in [
        ("keepalives=1", "`keepalives`"),
        (
            "options=-c%20session_replication_role%3Dreplica",
            "`options`",
        ),
        ("target_session_attrs=read-write", "`target_session_attrs`"),
    ] {
        let url = format!("{local}?password=hunter2&{param}");
        let run = run_briefly(&project, &["status"], &url);
        assert_ne!(run.code(), 0, "{param}");
        let output = format!("{}{}", run.stdout(), run.stderr());
        assert!(output.contains(named), "{param}: {output}");
        assert!(output.contains("hint:"), "{param}: {output}");
        assert!(!output.contains("hunter2"), "{param}: {output}");
    }
    // A URL that does not parse at all keeps its password hidden too.
    let run = run_briefly(
        &project,
        &["status"],
        "postgresql://host:notaport/db?password=hunter2",
    );
    assert_ne!(run.code(), 0);
    assert!(!run.stderr().contains("hunter2"), "{}", run.stderr());
}
