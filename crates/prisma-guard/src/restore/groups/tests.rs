//! [`resolve`]'s unit tests: inference on the fixture app and on names, precedence, config
//! overrides, upload folders, admin filters.

use super::*;
use crate::catalog::Column;

pub(super) fn entry(table: &str, filter: Option<&str>) -> GroupTable {
    GroupTable {
        table: table.into(),
        filter: filter.map(Into::into),
    }
}

fn column(name: &str, data_type: &str) -> Column {
    Column {
        name: name.into(),
        data_type: data_type.into(),
        nullable: false,
        default: None,
        generated: false,
        identity: false,
    }
}

fn table(name: &str, columns: &[(&str, &str)]) -> Table {
    Table {
        schema: "public".into(),
        name: name.into(),
        columns: columns.iter().map(|(n, t)| column(n, t)).collect(),
        primary_key: vec!["id".into()],
        unique_keys: Vec::new(),
        foreign_keys: Vec::new(),
        estimated_bytes: 0,
    }
}

/// The fixture app's tables (crates/prisma-guard/example-app), in no particular order.
fn fixture() -> Vec<Table> {
    vec![
        table("User", &[("id", "integer"), ("role", "\"Role\"")]),
        table("Post", &[("id", "integer"), ("status", "\"PostStatus\"")]),
        table("Product", &[("id", "text")]),
        table("Image", &[("id", "text")]),
        table("Carousel", &[("id", "integer")]),
        table("SystemPrompt", &[("id", "integer")]),
        table("Tag", &[("id", "integer")]),
        table("Comment", &[("id", "integer")]),
        table("_PostToTag", &[("A", "integer"), ("B", "integer")]),
        table("PageView", &[("id", "bigint")]),
        table("_prisma_migrations", &[("id", "character varying(36)")]),
    ]
}

fn fixture_enums() -> BTreeMap<String, Vec<String>> {
    BTreeMap::from([
        (
            "\"Role\"".to_string(),
            vec!["USER".into(), "EDITOR".into(), "ADMIN".into()],
        ),
        (
            "\"PostStatus\"".to_string(),
            vec!["DRAFT".into(), "PUBLISHED".into(), "ARCHIVED".into()],
        ),
    ])
}

fn inferred(name: &str, tables: Vec<GroupTable>) -> Group {
    Group {
        name: name.into(),
        tables,
        folders: Vec::new(),
        source: GroupSource::Inferred,
        uninferred: Vec::new(),
    }
}

fn names(tables: &[&str]) -> Vec<Table> {
    tables
        .iter()
        .map(|n| table(n, &[("id", "integer")]))
        .collect()
}

fn group_of(groups: &[Group], table: &str) -> Option<String> {
    groups
        .iter()
        .find(|g| g.tables.iter().any(|t| t.table == table))
        .map(|g| g.name.clone())
}

#[test]
fn infers_the_fixture_app() {
    let groups = resolve(&Config::default(), &fixture(), &fixture_enums());
    assert_eq!(
        groups,
        [
            inferred(
                "admin",
                vec![
                    entry("SystemPrompt", None),
                    entry("User", Some("\"role\" = 'ADMIN'")),
                ]
            ),
            inferred("analytics", vec![entry("PageView", None)]),
            inferred(
                "images",
                vec![entry("Carousel", None), entry("Image", None)]
            ),
        ]
    );
}

#[test]
fn words_not_substrings() {
    let groups = resolve(
        &Config::default(),
        &names(&[
            "Blog",
            "Catalog",
            "Dialog",
            "Userland",
            "Imagery",
            "Eventual",
            "AuditLog",
            "page_views",
            "app_settings",
            "Galleries",
        ]),
        &BTreeMap::new(),
    );
    for table in [
        "Blog", "Catalog", "Dialog", "Userland", "Imagery", "Eventual",
    ] {
        assert_eq!(group_of(&groups, table), None, "{table}");
    }
    assert_eq!(group_of(&groups, "AuditLog").as_deref(), Some("analytics"));
    assert_eq!(
        group_of(&groups, "page_views").as_deref(),
        Some("analytics")
    );
    assert_eq!(group_of(&groups, "app_settings").as_deref(), Some("admin"));
    assert_eq!(group_of(&groups, "Galleries").as_deref(), Some("images"));
}

#[test]
fn precedence_analytics_images_admin() {
    let groups = resolve(
        &Config::default(),
        &names(&[
            "UserEvent",
            "UserAvatarImage",
            "ImageUploadLog",
            "AdminRole",
        ]),
        &BTreeMap::new(),
    );
    assert_eq!(group_of(&groups, "UserEvent").as_deref(), Some("analytics"));
    assert_eq!(
        group_of(&groups, "ImageUploadLog").as_deref(),
        Some("analytics")
    );
    assert_eq!(
        group_of(&groups, "UserAvatarImage").as_deref(),
        Some("images")
    );
    assert_eq!(group_of(&groups, "AdminRole").as_deref(), Some("admin"));
    let placed: usize = groups.iter().map(|g| g.tables.len()).sum();
    assert_eq!(placed, 4, "each table in one group: {groups:?}");
}

#[test]
fn config_overrides_admin_and_images_stays_inferred() {
    let config = Config::parse_file(
        "groups.admin = [\"SystemPrompt\"]\ngroups.content = [\"Post WHERE published\", \"Tag\"]\n",
    )
    .unwrap();
    let groups = resolve(&config, &fixture(), &fixture_enums());
    let by_name: BTreeMap<&str, &Group> = groups.iter().map(|g| (g.name.as_str(), g)).collect();
    assert_eq!(
        by_name.keys().copied().collect::<Vec<_>>(),
        ["admin", "analytics", "content", "images"]
    );
    assert_eq!(by_name["admin"].source, GroupSource::Config);
    assert_eq!(by_name["admin"].tables, [entry("SystemPrompt", None)]);
    assert_eq!(by_name["content"].source, GroupSource::Config);
    assert_eq!(
        by_name["content"].tables,
        [entry("Post", Some("published")), entry("Tag", None)]
    );
    assert_eq!(by_name["images"].source, GroupSource::Inferred);
    assert_eq!(
        by_name["images"].tables,
        [entry("Carousel", None), entry("Image", None)]
    );
}

#[test]
fn configured_tables_are_not_inferred_elsewhere() {
    let config = Config::parse_file("groups.keep = [\"Image\"]\n").unwrap();
    let groups = resolve(&config, &fixture(), &fixture_enums());
    assert_eq!(group_of(&groups, "Image").as_deref(), Some("keep"));
    let images = groups.iter().find(|g| g.name == "images").unwrap();
    assert_eq!(images.tables, [entry("Carousel", None)]);
}

#[test]
fn files_are_attached() {
    let config = Config::parse_file(
            "files.images = [\"public/uploads\"]\nfiles.docs = [\"public/docs\", \"private\"]\ngroups.admin = []\n",
        )
        .unwrap();
    let groups = resolve(&config, &fixture(), &fixture_enums());
    let by_name: BTreeMap<&str, &Group> = groups.iter().map(|g| (g.name.as_str(), g)).collect();
    assert_eq!(
        by_name["images"].folders,
        [Utf8PathBuf::from("public/uploads")]
    );
    assert_eq!(by_name["images"].source, GroupSource::Inferred);
    assert_eq!(by_name["images"].tables.len(), 2);
    assert_eq!(by_name["docs"].source, GroupSource::Config);
    assert!(by_name["docs"].tables.is_empty());
    assert_eq!(
        by_name["docs"].folders,
        [
            Utf8PathBuf::from("public/docs"),
            Utf8PathBuf::from("private")
        ]
    );
    assert_eq!(by_name["admin"].source, GroupSource::Config);
    assert!(
        by_name["admin"].tables.is_empty(),
        "an empty config group turns inference off"
    );

    // Files for a standard group no table matches: the group is kept for its folders.
    let groups = resolve(&config, &names(&["Post"]), &BTreeMap::new());
    let images = groups.iter().find(|g| g.name == "images").unwrap();
    assert!(images.tables.is_empty());
    assert_eq!(images.source, GroupSource::Config);
}

#[test]
fn empty_inferred_groups_are_left_out() {
    assert!(resolve(&Config::default(), &[], &BTreeMap::new()).is_empty());
    assert!(
        resolve(
            &Config::default(),
            &names(&["Post", "_prisma_migrations", "Tag"]),
            &BTreeMap::new()
        )
        .is_empty()
    );
}

fn admin_filter_of(
    columns: &[(&str, &str)],
    enums: &BTreeMap<String, Vec<String>>,
) -> Option<String> {
    let groups = resolve(&Config::default(), &[table("users", columns)], enums);
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].name, "admin");
    let admin = &groups[0];
    match admin.tables.as_slice() {
        [] => {
            assert_eq!(admin.uninferred.len(), 1, "{admin:?}");
            assert_eq!(admin.uninferred[0].table, "users");
            None
        }
        [one] => {
            assert!(admin.uninferred.is_empty(), "{admin:?}");
            Some(one.filter.clone().expect("an admin filter"))
        }
        more => panic!("one table: {more:?}"),
    }
}

#[test]
fn admin_filters_for_user_tables() {
    let enums = fixture_enums();
    assert_eq!(
        admin_filter_of(&[("id", "integer"), ("isAdmin", "boolean")], &enums).as_deref(),
        Some("\"isAdmin\"")
    );
    assert_eq!(
        admin_filter_of(&[("is_admin", "boolean")], &enums).as_deref(),
        Some("\"is_admin\"")
    );
    assert_eq!(
        admin_filter_of(&[("Admin", "boolean")], &enums).as_deref(),
        Some("\"Admin\"")
    );
    assert_eq!(
        admin_filter_of(&[("role", "\"Role\"")], &enums).as_deref(),
        Some("\"role\" = 'ADMIN'")
    );
    let lower = BTreeMap::from([(
        "user_role".to_string(),
        vec!["member".to_string(), "Admin".to_string()],
    )]);
    assert_eq!(
        admin_filter_of(&[("role", "user_role")], &lower).as_deref(),
        Some("\"role\" = 'Admin'"),
        "the label is found ignoring case and used as spelled"
    );
    // An enum without an admin label: fall back to a boolean, else no filter.
    assert_eq!(
        admin_filter_of(&[("role", "\"PostStatus\""), ("admin", "boolean")], &enums).as_deref(),
        Some("\"admin\"")
    );
    assert_eq!(admin_filter_of(&[("role", "\"PostStatus\"")], &enums), None);
    assert_eq!(admin_filter_of(&[("isAdmin", "integer")], &enums), None);
    assert_eq!(admin_filter_of(&[("id", "integer")], &enums), None);

    // Only user tables are filtered.
    let groups = resolve(
        &Config::default(),
        &[table("Setting", &[("isAdmin", "boolean")])],
        &enums,
    );
    assert_eq!(groups[0].tables[0].filter, None);
}

#[test]
fn admin_filters_for_prisma_enum_lists() {
    let enums = fixture_enums();
    assert_eq!(
        admin_filter_of(&[("id", "integer"), ("roles", "\"Role\"[]")], &enums).as_deref(),
        Some("'ADMIN' = ANY(\"roles\")")
    );
    let lower = BTreeMap::from([("app_role".to_string(), vec!["admin".to_string()])]);
    assert_eq!(
        admin_filter_of(&[("userRoles", "app_role[]")], &lower).as_deref(),
        Some("'admin' = ANY(\"userRoles\")")
    );
    // A list of an enum without an admin label says nothing.
    assert_eq!(
        admin_filter_of(&[("roles", "\"PostStatus\"[]")], &enums),
        None
    );
    // An enum column wins over a boolean, a boolean over a text role.
    assert_eq!(
        admin_filter_of(&[("isAdmin", "boolean"), ("roles", "\"Role\"[]")], &enums).as_deref(),
        Some("'ADMIN' = ANY(\"roles\")")
    );
    assert_eq!(
        admin_filter_of(&[("role", "text"), ("isAdmin", "boolean")], &enums).as_deref(),
        Some("\"isAdmin\"")
    );
}

#[test]
fn admin_filters_for_text_roles_ignore_case() {
    let enums = fixture_enums();
    assert_eq!(
        admin_filter_of(&[("Role", "text")], &enums).as_deref(),
        Some("lower(\"Role\") = 'admin'")
    );
    assert_eq!(
        admin_filter_of(&[("role", "character varying(20)")], &enums).as_deref(),
        Some("lower(\"role\") = 'admin'")
    );
    assert_eq!(
        admin_filter_of(&[("roles", "text[]")], &enums).as_deref(),
        Some(
            "EXISTS (SELECT 1 FROM unnest(\"roles\") AS xtask_role WHERE lower(xtask_role) = 'admin')"
        )
    );
}

#[test]
fn a_user_table_without_an_admin_column_is_left_out_and_said_so() {
    let tables = [
        table("User", &[("id", "integer"), ("email", "text")]),
        table("SystemPrompt", &[("id", "integer")]),
    ];
    let groups = resolve(&Config::default(), &tables, &BTreeMap::new());
    let admin = groups.iter().find(|g| g.name == "admin").unwrap();
    assert_eq!(admin.tables, [entry("SystemPrompt", None)]);
    assert_eq!(
        admin.uninferred,
        [Uninferred {
            table: "User".into(),
            reason: inference::NO_ADMIN_COLUMN.into(),
        }]
    );
    // Alone, it still makes the group, so `--admin-only` says why rather than "no group".
    let groups = resolve(&Config::default(), &tables[..1], &BTreeMap::new());
    assert_eq!(groups.len(), 1);
    assert!(groups[0].tables.is_empty());
    assert_eq!(groups[0].source, GroupSource::Inferred);
    // A configured admin group is taken as it is.
    let config = Config::parse_file("groups.admin = [\"User\"]\n").unwrap();
    let groups = resolve(&config, &tables, &BTreeMap::new());
    assert!(groups[0].uninferred.is_empty());
    assert_eq!(groups[0].tables, [entry("User", None)]);
}
