//! Columns matched by name, unrestorable tables, tables gone from the live schema (missing, or
//! skipped with the reason when left out).

use super::*;

#[test]
fn columns_are_matched_by_name() {
    let (manifest, live) = app();
    let plan = plan(
        &manifest,
        &live,
        &groups(),
        &Selection::default(),
        Mode::Merge,
    )
    .unwrap();
    let user = table_of(&plan, "User");
    let kept: Vec<&str> = user.kept.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(kept, ["id", "email", "role", "invitedById"]);
    assert_eq!(user.dropped, ["name"]);
    assert_eq!(user.defaulted, ["displayName"]);
    assert!(!user.exact);
    assert_eq!(user.sequences, ["id"]);
    let post = table_of(&plan, "Post");
    assert_eq!(post.dropped, ["legacyHtml"]);
    assert_eq!(post.defaulted, ["status", "slug"]);
    assert!(table_of(&plan, "SystemPrompt").exact);
}

#[test]
fn new_required_column_makes_a_table_unrestorable_unless_excluded() {
    let (manifest, mut live) = app();
    let prompt = live.iter_mut().find(|t| t.name == "SystemPrompt").unwrap();
    prompt.columns.push(column("key text"));
    prompt.columns.push(column("version integer default=1"));
    let plan_all = plan(
        &manifest,
        &live,
        &groups(),
        &Selection::default(),
        Mode::Merge,
    )
    .unwrap();
    assert_eq!(
        plan_all.unrestorable,
        [Unrestorable {
            table: "SystemPrompt".into(),
            problems: vec![Problem::MissingColumn {
                column: "key".into(),
                references: None
            }]
        }]
    );
    assert!(!names(&plan_all).contains(&"SystemPrompt"));
    let excluded = Selection {
        exclude: vec!["SystemPrompt".into()],
        ..Selection::default()
    };
    let plan_excluded = plan(&manifest, &live, &groups(), &excluded, Mode::Merge).unwrap();
    assert!(plan_excluded.unrestorable.is_empty());
}

#[test]
fn every_unrestorable_table_is_listed_with_every_reason() {
    let (manifest, mut live) = app();
    let prompt = live.iter_mut().find(|t| t.name == "SystemPrompt").unwrap();
    prompt.columns.push(column("key text"));
    prompt.columns.push(column("scope text"));
    let comment = live.iter_mut().find(|t| t.name == "Comment").unwrap();
    comment.columns.push(column("moderatorId integer"));
    comment
        .foreign_keys
        .push(fk("Comment_moderatorId_fkey", &["moderatorId"], "User"));
    let plan = plan(
        &manifest,
        &live,
        &groups(),
        &Selection::default(),
        Mode::Merge,
    )
    .unwrap();
    let found: Vec<String> = plan.unrestorable.iter().map(|u| u.to_string()).collect();
    assert_eq!(
        found,
        [
            "Comment: new NOT NULL column moderatorId (a foreign key to User) has no default and is not in the snapshot",
            "SystemPrompt: new NOT NULL column key has no default and is not in the snapshot; new NOT NULL column scope has no default and is not in the snapshot",
        ]
    );
    assert!(!names(&plan).contains(&"Comment"));
}

#[test]
fn checks_name_columns_that_tightened_or_changed_type() {
    let (manifest, live) = app();
    let then = manifest.table("Post").unwrap();
    let mut now = live.iter().find(|t| t.name == "Post").unwrap().clone();
    assert_eq!(checks(then, &now), Checks::default(), "{now:?}");
    let title = now.columns.iter_mut().find(|c| c.name == "title").unwrap();
    title.data_type = "character varying(10)".into();
    let mut then = then.clone();
    then.columns
        .iter_mut()
        .find(|c| c.name == "authorId")
        .unwrap()
        .nullable = true;
    let found = checks(&then, &now);
    assert_eq!(found.not_null, ["authorId"]);
    assert_eq!(
        found.casts,
        [(
            "title".to_string(),
            "text".to_string(),
            "character varying(10)".to_string()
        )]
    );
    assert_eq!(references(&now, "authorId").as_deref(), Some("User"));
}

#[test]
fn a_selected_table_gone_from_the_schema_is_missing() {
    let (manifest, mut live) = app();
    live.retain(|t| t.name != "PageView");
    let plan = plan(
        &manifest,
        &live,
        &groups(),
        &Selection::default(),
        Mode::Merge,
    )
    .unwrap();
    assert_eq!(
        plan.missing,
        [crate::restore::plan::Missing {
            name: "PageView".into(),
            rows: 10
        }]
    );
    assert!(!plan.skipped.iter().any(|s| s.name == "PageView"));
    assert!(!names(&plan).contains(&"PageView"));
}

#[test]
fn a_table_renamed_in_the_manifest_is_missing() {
    let (mut manifest, live) = app();
    manifest.tables[0].name = "Comments".into();
    let plan = plan(
        &manifest,
        &live,
        &groups(),
        &Selection::default(),
        Mode::Merge,
    )
    .unwrap();
    let missing: Vec<&str> = plan.missing.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(missing, ["Comments"]);
}

#[test]
fn a_gone_table_left_out_is_skipped_saying_so() {
    let (manifest, mut live) = app();
    live.retain(|t| t.name != "PageView");
    let excluded = Selection {
        exclude: vec!["PageView".into()],
        ..Selection::default()
    };
    let left_out = plan(&manifest, &live, &groups(), &excluded, Mode::Merge).unwrap();
    assert!(left_out.missing.is_empty());
    let skipped = left_out
        .skipped
        .iter()
        .find(|s| s.name == "PageView")
        .unwrap();
    assert_eq!(
        skipped.reason,
        "excluded (--exclude); not in the live schema"
    );
    let only_admin = Selection {
        only: vec!["admin".into()],
        ..Selection::default()
    };
    let admin = plan(&manifest, &live, &groups(), &only_admin, Mode::Merge).unwrap();
    assert!(admin.missing.is_empty(), "not selected: not missing");
}
