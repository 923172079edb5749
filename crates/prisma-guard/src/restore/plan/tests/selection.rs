//! The selection: groups, their filters, skipped groups, the migrations table, unknown names.

use super::*;

#[test]
fn only_a_group_applies_its_filters() {
    let (manifest, live) = app();
    let selection = Selection {
        only: vec!["admin".into()],
        ..Selection::default()
    };
    let plan = plan(&manifest, &live, &groups(), &selection, Mode::Merge).unwrap();
    assert_eq!(names(&plan), ["SystemPrompt", "User"]);
    assert_eq!(
        table_of(&plan, "User").filter.as_deref(),
        Some("\"role\" = 'ADMIN'")
    );
    assert!(plan.files.is_empty(), "admin has no files");
    let skipped: Vec<&str> = plan.skipped.iter().map(|s| s.name.as_str()).collect();
    assert!(skipped.contains(&"Post") && skipped.contains(&"_prisma_migrations"));
    // A full restore takes every user: filters belong to --only.
    let full = super::plan(
        &manifest,
        &live,
        &groups(),
        &Selection::default(),
        Mode::Merge,
    )
    .unwrap();
    assert_eq!(table_of(&full, "User").filter, None);
}

#[test]
fn filters_of_several_groups_are_ored_and_none_wins() {
    let (manifest, live) = app();
    let mut groups = groups();
    groups.push(Group {
        name: "staff".into(),
        tables: vec![GroupTable {
            table: "User".into(),
            filter: Some("\"role\" = 'EDITOR'".into()),
        }],
        folders: Vec::new(),
        source: GroupSource::Config,
        uninferred: Vec::new(),
    });
    let only = |g: &[&str]| Selection {
        only: g.iter().map(|g| g.to_string()).collect(),
        ..Selection::default()
    };
    let both = plan(
        &manifest,
        &live,
        &groups,
        &only(&["admin", "staff"]),
        Mode::Merge,
    )
    .unwrap();
    assert_eq!(
        table_of(&both, "User").filter.as_deref(),
        Some("(\"role\" = 'ADMIN') OR (\"role\" = 'EDITOR')")
    );
    groups[3].tables[0].filter = None;
    let unfiltered = plan(
        &manifest,
        &live,
        &groups,
        &only(&["admin", "staff"]),
        Mode::Merge,
    )
    .unwrap();
    assert_eq!(table_of(&unfiltered, "User").filter, None);
}

#[test]
fn skipping_a_group_leaves_out_its_tables_and_files() {
    let (manifest, live) = app();
    let selection = Selection {
        skip: vec!["images".into()],
        ..Selection::default()
    };
    let plan = plan(&manifest, &live, &groups(), &selection, Mode::Merge).unwrap();
    assert!(!names(&plan).contains(&"Image") && !names(&plan).contains(&"Product"));
    assert!(plan.files.is_empty());
    let reason = &plan
        .skipped
        .iter()
        .find(|s| s.name == "Image")
        .unwrap()
        .reason;
    assert_eq!(reason, "group images skipped");
    let all = super::plan(
        &manifest,
        &live,
        &groups(),
        &Selection::default(),
        Mode::Merge,
    )
    .unwrap();
    assert_eq!(all.files.len(), 1);
}

#[test]
fn migrations_table_only_by_name() {
    let (manifest, live) = app();
    let all = plan(
        &manifest,
        &live,
        &groups(),
        &Selection::default(),
        Mode::Merge,
    )
    .unwrap();
    assert!(!names(&all).contains(&"_prisma_migrations"));
    let named = Selection {
        tables: vec!["_prisma_migrations".into()],
        ..Selection::default()
    };
    let named = plan(&manifest, &live, &groups(), &named, Mode::Merge).unwrap();
    assert_eq!(names(&named), ["_prisma_migrations"]);
    assert!(named.files.is_empty(), "--tables restores no files");
}

#[test]
fn archives_go_only_into_the_folders_configured_now() {
    let (mut manifest, live) = app();
    let all = plan(
        &manifest,
        &live,
        &groups(),
        &Selection::default(),
        Mode::Merge,
    )
    .unwrap();
    assert_eq!(all.files[0].folders, ["public/uploads"]);
    assert!(all.skipped_files.is_empty());

    manifest.files[0].folders = vec![".git/hooks".into()];
    let moved = plan(
        &manifest,
        &live,
        &groups(),
        &Selection::default(),
        Mode::Merge,
    )
    .unwrap();
    assert!(moved.files.is_empty());
    assert_eq!(
        moved.skipped_files[0].reason,
        "its folder .git/hooks is not in files.images (which lists public/uploads)"
    );
    assert_eq!(
        names(&moved),
        names(&all),
        "the tables are restored as before"
    );

    manifest.files[0].folders = vec!["".into()];
    let err = plan(
        &manifest,
        &live,
        &groups(),
        &Selection::default(),
        Mode::Merge,
    )
    .unwrap_err();
    assert!(
        matches!(err, crate::restore::RestoreError::UnsafeFolder { .. }),
        "{err}"
    );
    let skip = Selection {
        skip: vec!["images".into()],
        ..Selection::default()
    };
    let skipped = plan(&manifest, &live, &groups(), &skip, Mode::Merge).unwrap();
    assert!(skipped.files.is_empty() && skipped.skipped_files.is_empty());
}

#[test]
fn unknown_names_are_errors() {
    let (manifest, live) = app();
    let bad_group = Selection {
        only: vec!["admins".into()],
        ..Selection::default()
    };
    let err = plan(&manifest, &live, &groups(), &bad_group, Mode::Merge).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no group admins (groups: admin, analytics, images)"
    );
    let bad_table = Selection {
        exclude: vec!["user".into()],
        ..Selection::default()
    };
    let err = plan(&manifest, &live, &groups(), &bad_table, Mode::Merge).unwrap_err();
    assert!(matches!(err, RestoreError::UnknownTable { ref name } if name == "user"));
}
