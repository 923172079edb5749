//! `schedule` and notifications (issue 20): the crontab entry, the scheduled run with its lock
//! and record, `status`'s warning, and the webhook and command told of outcomes.

mod receiver;

use receiver::Receiver;

use crate::support::{TempProject, TestDb};

/// Appends keys to the project's `[workspace.metadata.prisma-guard]`.
fn configure(project: &TempProject, keys: &str) {
    let manifest = project.root.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        manifest,
        format!("{text}\n[workspace.metadata.prisma-guard]\n{keys}\n"),
    )
    .unwrap();
}

#[tokio::test]
async fn crontab_install_and_uninstall_round_trip_on_a_file() {
    let project = TempProject::new();
    configure(&project, "schedule = \"*/30 * * * *\"");
    let crontab = project.root.join("my-crontab");
    std::fs::write(&crontab, "MAILTO=me@example.com\n15 2 * * * ~/backup.sh\n").unwrap();
    let file = crontab.as_str();

    let printed = project.xtask_with_env(&["schedule"], &[]);
    printed.assert_code(0);
    let line = format!("*/30 * * * * cd '{}' && PATH=", project.root);
    assert!(printed.stdout().contains(&line), "{}", printed.stdout());
    assert!(printed.stdout().contains(" schedule run\n"));

    let installed = project.xtask_with_env(&["schedule", "install", "--crontab-file", file], &[]);
    installed.assert_code(0);
    assert!(installed.stdout().starts_with("added the schedule in"));
    let text = std::fs::read_to_string(&crontab).unwrap();
    assert!(
        text.starts_with(
            "MAILTO=me@example.com\n15 2 * * * ~/backup.sh\n# prisma-guard schedule: "
        )
    );
    assert!(text.contains(&line), "{text}");
    let again = project.xtask_with_env(&["schedule", "install", "--crontab-file", file], &[]);
    assert!(again.stdout().contains("already in"), "{}", again.stdout());
    assert_eq!(std::fs::read_to_string(&crontab).unwrap(), text);

    project
        .xtask_with_env(&["schedule", "uninstall", "--crontab-file", file], &[])
        .assert_code(0);
    assert_eq!(
        std::fs::read_to_string(&crontab).unwrap(),
        "MAILTO=me@example.com\n15 2 * * * ~/backup.sh\n"
    );
    let none = project.xtask_with_env(&["schedule", "uninstall", "--crontab-file", file], &[]);
    assert!(
        none.stdout().starts_with("no schedule of"),
        "{}",
        none.stdout()
    );
}

#[tokio::test]
async fn a_missing_or_bad_schedule_is_explained() {
    let project = TempProject::new();
    let missing = project.xtask_with_env(&["schedule"], &[]);
    missing.assert_code(1);
    assert!(
        missing.stderr().contains("no schedule is configured"),
        "{}",
        missing.stderr()
    );
    assert!(missing.stderr().contains("hint: add schedule = \"hourly\""));
    configure(&project, "schedule = \"every hour\"");
    let bad = project.xtask_with_env(&["schedule"], &[]);
    bad.assert_code(1);
    assert!(
        bad.stderr()
            .contains("schedule = \"every hour\" is not a schedule"),
        "{}",
        bad.stderr()
    );
}

#[tokio::test]
async fn the_scheduled_run_keeps_one_snapshot_per_change_and_records_it() {
    let db = TestDb::new().await;
    let project = TempProject::new();
    project.seeded(&db).await;
    configure(&project, "schedule = \"hourly\"");

    let before = project.xtask(&db, &["status"]);
    before.assert_code(0);
    assert!(
        before
            .stderr()
            .contains("warning: scheduled snapshots (hourly) have never succeeded"),
        "{}",
        before.stderr()
    );

    let first = project.xtask(&db, &["schedule", "run"]);
    first.assert_code(0);
    assert_eq!(
        (first.stdout(), first.stderr()),
        (String::new(), String::new())
    );
    let second = project.xtask(&db, &["schedule", "run"]);
    second.assert_code(0);
    assert_eq!(second.stdout() + &second.stderr(), "");
    assert_eq!(
        project.snapshots().len(),
        1,
        "unchanged data keeps no second snapshot"
    );
    let status = project.xtask(&db, &["schedule", "status", "--json"]).json();
    assert_eq!(status["last_run"]["outcome"], "unchanged");
    assert_eq!(
        status["last_run"]["snapshot"],
        project.snapshots()[0].manifest.id
    );
    assert_eq!(status["overdue"], false);

    db.execute("UPDATE \"User\" SET email = 'changed@example.com' WHERE id = 1")
        .await;
    project.xtask(&db, &["schedule", "run"]).assert_code(0);
    let snapshots = project.snapshots();
    assert_eq!(snapshots.len(), 2);
    let status = project.xtask(&db, &["schedule", "status", "--json"]).json();
    assert_eq!(status["last_run"]["outcome"], "taken");
    assert_eq!(status["last_run"]["snapshot"], snapshots[1].manifest.id);
    let after = project.xtask(&db, &["status"]);
    assert!(
        !after.stderr().contains("scheduled snapshots"),
        "{}",
        after.stderr()
    );

    // A failure is loud, non-zero, and recorded without losing the last success.
    let failed = project.xtask_with_env(
        &["schedule", "run"],
        &[("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")],
    );
    failed.assert_code(1);
    assert!(
        failed.stderr().starts_with("error: "),
        "{}",
        failed.stderr()
    );
    let status = project.xtask(&db, &["schedule", "status", "--json"]).json();
    assert_eq!(status["last_run"]["outcome"], "failed");
    assert!(status["last_run"]["last_success_at"].is_string());
    let text = project.xtask(&db, &["schedule", "status"]);
    assert!(text.stdout().contains("FAILED: "), "{}", text.stdout());
}

#[tokio::test]
async fn two_scheduled_runs_at_once_never_both_write() {
    let db = TestDb::new().await;
    let project = TempProject::new();
    project.seeded(&db).await;
    configure(&project, "schedule = \"hourly\"");
    let url = db.url();
    let env = [("DATABASE_URL", url.as_str())];
    let mut runs: Vec<_> = (0..3)
        .map(|_| project.command(&["schedule", "run"], &env).spawn().unwrap())
        .collect();
    for run in &mut runs {
        assert!(run.wait().unwrap().success());
    }
    assert_eq!(
        project.snapshots().len(),
        1,
        "the runs waited for each other and found the data unchanged"
    );
}

#[tokio::test]
async fn the_webhook_and_the_command_hear_of_successes_and_failures_without_secrets() {
    let db = TestDb::new().await;
    let project = TempProject::new();
    project.seeded(&db).await;
    let receiver = Receiver::start();
    let events = project.root.join("events.jsonl");
    configure(
        &project,
        &format!(
            "notify-webhook = \"env:TEST_HOOK\"\nnotify-command = \"sh -c 'cat >> {events}'\"\nnotify-on = [\"failure\", \"snapshot:success\"]"
        ),
    );
    // A password in the URL (the server trusts any): it must never reach a notification.
    let url = db.url().replacen("postgres@", "postgres:hunter2@", 1);
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("TEST_HOOK", receiver.url.as_str()),
    ];

    project.xtask_with_env(&["snapshot"], &env).assert_code(0);
    let id = project.snapshots()[0].manifest.id.clone();
    // `status` is not a notified command; a successful restore is not asked for.
    project.xtask_with_env(&["status"], &env).assert_code(0);
    let bad = [
        (
            "DATABASE_URL",
            "postgresql://postgres:hunter2@127.0.0.1:1/nowhere",
        ),
        ("TEST_HOOK", receiver.url.as_str()),
    ];
    project.xtask_with_env(&["snapshot"], &bad).assert_code(1);

    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 2, "{bodies:#?}");
    assert!(
        bodies[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("✅ prisma-guard snapshot: success")
    );
    assert_eq!(bodies[0]["event"]["snapshot"], id);
    assert_eq!(bodies[0]["attachments"][0]["color"], "good");
    assert!(
        bodies[1]["text"]
            .as_str()
            .unwrap()
            .starts_with("❌ prisma-guard snapshot: failure")
    );
    assert_eq!(bodies[1]["event"]["outcome"], "failure");
    let lines = std::fs::read_to_string(&events).unwrap();
    let sent: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0]["command"], "snapshot");
    assert_eq!(sent[1]["outcome"], "failure");
    let everything = format!("{bodies:?}{lines}");
    assert!(
        !everything.contains("hunter2"),
        "a password reached a notification"
    );
    assert!(!everything.contains("token-abc123"));
}

#[tokio::test]
async fn an_undeliverable_notification_never_fails_the_command() {
    let db = TestDb::new().await;
    let project = TempProject::new();
    project.seeded(&db).await;
    // A port nothing listens on: the receiver is down.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hook = format!(
        "http://127.0.0.1:{}/hook/secret-path",
        closed.local_addr().unwrap().port()
    );
    drop(closed);
    configure(
        &project,
        &format!(
            "notify-webhook = \"{hook}\"\nnotify-command = \"sh -c 'echo broken >&2; exit 3'\"\nnotify-on = [\"success\"]"
        ),
    );
    let run = project.xtask(&db, &["snapshot"]);
    run.assert_code(0);
    assert_eq!(project.snapshots().len(), 1);
    let stderr = run.stderr();
    assert!(
        stderr.contains(
            "warning: the webhook (127.0.0.1) notification was not delivered: cannot connect"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "warning: the notify-command notification was not delivered: sh exited with 3: broken"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("secret-path"), "{stderr}");
}
