//! The prediction's numbers against the migrations applied in place for real.

use std::process::Stdio;

use serde_json::Value;

use super::{column, scratch_databases_of, seeded, table};
use crate::support::TestDb;

async fn count(db: &TestDb, sql: &str) -> u64 {
    db.scalar::<i64>(sql).await as u64
}

#[tokio::test]
async fn the_prediction_equals_applying_the_migrations_in_place() {
    let (project, db) = seeded().await;
    let child = project
        .command(&["predict", "--json"], &[("DATABASE_URL", &db.url())])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("(taken now)"), "{stderr}");
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let p = &json["prediction"];
    assert_eq!(
        scratch_databases_of(&db, pid).await,
        0,
        "the scratch database is gone"
    );

    // The migrations: five apply, the NOT NULL one fails; each entry has the documented shape.
    let migrations = p["migrations"].as_array().unwrap();
    assert_eq!(migrations.len(), 6, "{p:#}");
    for m in &migrations[..5] {
        assert_eq!(
            (m["applied"].as_bool(), m["error"].is_null()),
            (Some(true), true),
            "{m}"
        );
    }
    let failed = &migrations[5];
    assert_eq!(failed["name"], "20251007090000_nickname_required");
    assert_eq!(failed["applied"], false);
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.contains("column \"nickname\" of relation \"User\" contains null values"),
        "{error}"
    );

    // The same migrations, in place: the last one fails the same way.
    db.copy_public_to("orig").await;
    let real = db.deploy_into("public", &project.migrations(), 7).await;
    let real = real
        .expect_err("the NOT NULL migration fails in place too")
        .to_string();
    assert!(real.contains(error), "{real}");
    let nulls = count(
        &db,
        r#"SELECT count(*) FROM "User" WHERE "nickname" IS NULL"#,
    )
    .await;
    assert_eq!(failed["offending"]["rows"], nulls);
    assert_eq!(nulls, 2);

    // Rows: after and lost, by key, for each table the prediction lists.
    let lost = |t: &str| {
        format!(
            r#"SELECT count(*) FROM orig."{t}" o WHERE NOT EXISTS (SELECT 1 FROM public."{t}" p WHERE p."id" = o."id")"#
        )
    };
    for name in ["User", "Post"] {
        let t = table(p, name);
        assert_eq!(
            t["rows_before"],
            count(&db, &format!(r#"SELECT count(*) FROM orig."{name}""#)).await
        );
        assert_eq!(
            t["rows_after"],
            count(&db, &format!(r#"SELECT count(*) FROM public."{name}""#)).await
        );
        assert_eq!(t["rows_lost"], count(&db, &lost(name)).await, "{name}");
        assert_eq!(t["rows_lost"], 1, "the spam user and its post");
    }
    let legacy = table(p, "Legacy");
    assert_eq!(legacy["dropped"], true);
    assert!(!db.tables("public").await.contains(&"Legacy".to_string()));
    assert_eq!(
        legacy["rows_lost"],
        count(&db, r#"SELECT count(*) FROM orig."Legacy""#).await
    );
    assert_eq!(legacy["rows_after"], 0);

    // Values, over the rows kept.
    let user = table(p, "User");
    let kept = r#"FROM orig."User" o JOIN public."User" n ON n."id" = o."id""#;
    let name = column(user, "name", "dropped");
    assert_eq!(
        name["values_lost"],
        count(&db, r#"SELECT count("name") FROM orig."User""#).await
    );
    column(user, "displayName", "added");
    let score = column(user, "score", "type_changed");
    let differ = format!(
        r#"SELECT count(*) {kept} WHERE o."score" IS DISTINCT FROM n."score"::numeric(10,2)"#
    );
    assert_eq!(score["values_lost"], count(&db, &differ).await);
    assert_eq!(
        score["values_lost"], 2,
        "12.34 and 7.50 do not survive INTEGER"
    );
    let role = column(user, "role", "updated");
    let changed =
        format!(r#"SELECT count(*) {kept} WHERE o."role" IS DISTINCT FROM n."role"::text"#);
    assert_eq!(role["values_changed"], count(&db, &changed).await);
    let guests = r#"SELECT count(*) FROM orig."User" WHERE "role" = 'GUEST'"#;
    assert_eq!(
        column(user, "role", "enum_value_removed")["values_lost"],
        count(&db, guests).await
    );
    let post = table(p, "Post");
    let slug = column(post, "slug", "updated");
    let kept = r#"FROM orig."Post" o JOIN public."Post" n ON n."id" = o."id""#;
    let changed = format!(r#"SELECT count(*) {kept} WHERE o."slug" IS DISTINCT FROM n."slug""#);
    let overwritten = format!(
        r#"SELECT count(*) {kept} WHERE o."slug" IS NOT NULL AND o."slug" IS DISTINCT FROM n."slug""#
    );
    assert_eq!(slug["values_changed"], count(&db, &changed).await);
    assert_eq!(slug["values_lost"], count(&db, &overwritten).await);
    assert_eq!(
        (
            slug["values_changed"].as_u64(),
            slug["values_lost"].as_u64()
        ),
        (Some(2), Some(1))
    );

    // Each finding names its migration; the rename has the issue's words.
    let findings = p["findings"].as_array().unwrap();
    let message = |migration: &str, kind: &str| {
        findings
            .iter()
            .find(|f| f["migration"].as_str().unwrap().ends_with(migration) && f["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} finding of {migration}: {findings:#?}"))["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        message("rename_name", "likely_rename"),
        "User.name (5 values) dropped while User.displayName was added: a rename written as DROP + ADD loses the data; edit the migration to RENAME COLUMN"
    );
    assert_eq!(
        message("drop_legacy", "table_dropped"),
        "table Legacy dropped with its 3 rows"
    );
    assert!(
        message("narrow_score", "type_changed").contains("3 values differ"),
        "the spam user still has 0.99 then"
    );
    assert!(message("remove_guest", "enum_value_removed").contains("2 rows of User.role"));
    let cascade: Vec<&str> = findings
        .iter()
        .filter(|f| f["migration"] == "20251006090000_backfill_slug" && f["kind"] == "rows_lost")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        cascade,
        [
            "Post loses 1 of 5 rows (their keys are gone)",
            "User loses 1 of 6 rows (their keys are gone)"
        ],
        "the cascade reaches Post, which the migration does not name"
    );
    assert!(
        message("nickname_required", "fails").contains("2 rows of User have NULL in (nickname)")
    );
}

#[tokio::test]
async fn a_snapshot_id_predicts_from_that_snapshot() {
    let (project, db) = seeded().await;
    project.xtask(&db, &["snapshot"]).assert_code(0);
    let id = project.snapshots().pop().unwrap().manifest.id;
    let run = project.xtask(&db, &["predict", &id, "--json"]);
    run.assert_code(0);
    assert!(
        run.stderr()
            .contains(&format!("predicting from snapshot {id} (given)")),
        "{}",
        run.stderr()
    );
    let p = &run.json()["prediction"];
    assert_eq!(p["snapshot"], id.as_str());
    assert_eq!(table(p, "Legacy")["rows_lost"], 3);
    assert_eq!(project.snapshots().len(), 1, "no other snapshot is taken");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_snapshot_id_is_a_clear_error_and_takes_nothing() {
    let (project, db) = seeded().await;
    let run = project.xtask(&db, &["predict", "2020-01-01T00-00-00Z-nope"]);
    run.assert_code(1);
    let stderr = run.stderr();
    assert!(stderr.contains("2020-01-01T00-00-00Z-nope"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
    assert!(project.snapshots().is_empty(), "no snapshot is taken");
}
