//! Columns matched by name, unrestorable tables, tables gone from the live schema.

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
            columns: vec!["key".into()]
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
fn a_table_gone_from_the_schema_is_skipped() {
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
    let skipped = plan.skipped.iter().find(|s| s.name == "PageView").unwrap();
    assert_eq!(skipped.reason, "gone from the live schema");
}
