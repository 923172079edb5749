//! Exit codes 12/13, `--no-predict`, the size limit, the unique-index scenario and the text.

use super::{configure, remove_migrations, seeded};

#[tokio::test]
async fn check_exits_13_when_a_migration_fails_12_when_data_is_lost_10_otherwise() {
    let (project, db) = seeded().await;
    project.xtask(&db, &["predict", "--check"]).assert_code(13);
    project
        .xtask(&db, &["pre-migrate", "--check"])
        .assert_code(13);
    project.xtask(&db, &["predict"]).assert_code(0);

    remove_migrations(&project, &["nickname_required"]);
    project.xtask(&db, &["predict", "--check"]).assert_code(12);
    project
        .xtask(&db, &["pre-migrate", "--check"])
        .assert_code(12);
    project
        .xtask(&db, &["pre-migrate", "--check", "--no-predict"])
        .assert_code(10);

    remove_migrations(
        &project,
        &[
            "rename_name",
            "drop_legacy",
            "narrow_score",
            "remove_guest",
            "backfill_slug",
        ],
    );
    project.add_migration(
        "20251008090000_add_bio",
        "ALTER TABLE \"User\" ADD COLUMN \"bio\" TEXT;\n",
    );
    let run = project.xtask(&db, &["predict", "--check"]);
    run.assert_code(0);
    assert!(
        run.stdout().contains("no data would be lost"),
        "{}",
        run.stdout()
    );
    project
        .xtask(&db, &["pre-migrate", "--check"])
        .assert_code(10);
}

#[tokio::test]
async fn a_unique_index_over_duplicates_fails_with_the_groups_counted() {
    let (project, db) = seeded().await;
    remove_migrations(&project, &["nickname_required"]);
    project.add_migration(
        "20251007090000_unique_title",
        "-- CreateIndex\nCREATE UNIQUE INDEX \"Post_title_key\" ON \"Post\"(\"title\");\n",
    );
    let run = project.xtask(&db, &["predict", "--json", "--check"]);
    run.assert_code(13);
    let p = &run.json()["prediction"];
    let failed = &p["migrations"][5];
    assert_eq!(failed["name"], "20251007090000_unique_title");
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("could not create unique index \"Post_title_key\"")
    );

    // In place: the same failure, over the same duplicates.
    let real = db.deploy_into("public", &project.migrations(), 7).await;
    assert!(real.is_err(), "the unique index fails in place too");
    let (groups, rows): (i64, i64) = {
        let mut conn = db.connect().await;
        sqlx::query_as(
            r#"SELECT count(*), coalesce(sum(n), 0)::int8 FROM (SELECT count(*) AS n FROM "Post" GROUP BY "title" HAVING count(*) > 1) g"#,
        )
        .fetch_one(&mut conn)
        .await
        .unwrap()
    };
    assert_eq!((groups, rows), (1, 2));
    assert_eq!(failed["offending"]["groups"], groups);
    assert_eq!(failed["offending"]["rows"], rows);
    // The earlier migrations were measured: the rename's finding is there.
    assert!(
        p["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "likely_rename")
    );
}

#[tokio::test]
async fn pre_migrate_predicts_before_applying_and_no_predict_skips_it() {
    let (project, db) = seeded().await;
    remove_migrations(&project, &["nickname_required"]);
    let run = project.xtask(&db, &["pre-migrate", "--no-predict"]);
    run.assert_code(0);
    assert!(!run.stdout().contains("prediction"), "{}", run.stdout());

    let run = project.xtask(&db, &["pre-migrate", "--apply"]);
    run.assert_code(0);
    let out = run.stdout();
    let predicted = out
        .find("prediction on a scratch copy of snapshot")
        .expect(&out);
    assert!(out.contains("  20251002090000_rename_name  applies\n    - User.name (5 values) dropped while User.displayName was added"), "{out}");
    assert!(out.contains("these migrations would lose data"), "{out}");
    let applied = out.find("Legacy").unwrap();
    assert!(predicted < applied, "the prediction comes first:\n{out}");
    let stderr = run.stderr();
    assert!(
        predicted < out.len() && stderr.contains("applying migrations"),
        "{stderr}"
    );
    assert_eq!(
        db.scalar::<i64>(r#"SELECT count(*) FROM "User""#).await,
        5,
        "then applied"
    );
}

#[tokio::test]
async fn the_size_limit_skips_the_prediction_with_a_note() {
    let (project, db) = seeded().await;
    configure(&project, "predict-max-bytes = 1");
    let run = project.xtask(&db, &["pre-migrate", "--check", "--json"]);
    run.assert_code(10);
    let id = project.snapshots().pop().unwrap().manifest.id;
    let stderr = run.stderr();
    assert!(
        stderr.contains("note: no prediction: the snapshot holds"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "run `predict {id}` to predict anyway, or raise predict-max-bytes"
        )),
        "{stderr}"
    );
    assert!(run.json()["prediction"].is_null());
    // `predict` ignores the limit.
    project
        .xtask(&db, &["predict", &id, "--check"])
        .assert_code(13);
}

#[tokio::test]
async fn a_role_without_createdb_gets_a_note_in_pre_migrate_and_an_error_in_predict() {
    let (project, db) = seeded().await;
    let role = format!("xtask_predict_{}", std::process::id());
    let admin: String = db.scalar("SELECT current_user::text").await;
    db.execute(&format!(
        "DROP ROLE IF EXISTS \"{role}\"; CREATE ROLE \"{role}\" LOGIN NOCREATEDB PASSWORD 'p'; GRANT \"{admin}\" TO \"{role}\";"
    ))
    .await;
    let mut url = url::Url::parse(&db.url()).unwrap();
    url.set_username(&role).unwrap();
    url.set_password(Some("p")).unwrap();
    let env = [("DATABASE_URL", url.as_str())];

    let run = project.xtask_with_env(&["pre-migrate", "--check"], &env);
    run.assert_code(10);
    assert!(
        run.stderr().contains(
            "note: no prediction: the database role may not create the scratch database it needs"
        ),
        "{}",
        run.stderr()
    );
    let run = project.xtask_with_env(&["predict"], &env);
    run.assert_code(1);
    assert!(
        run.stderr()
            .contains("the database role may not create databases"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("hint: grant the role CREATEDB"),
        "{}",
        run.stderr()
    );
    db.execute(&format!("DROP OWNED BY \"{role}\"; DROP ROLE \"{role}\""))
        .await;
}
