//! The planner's unit tests and their fixtures: the fixture app's shape at migration 4 (the
//! snapshot) and after migration 7 (the live schema).

mod columns;
mod foreign_keys;
mod natural;
mod selection;

use super::*;
use crate::catalog::{Column, ForeignKey};
use crate::restore::groups::{GroupSource, GroupTable};
use crate::snapshot::TableEntry;
use crate::snapshot::manifest::{DatabaseInfo, FORMAT_VERSION, FileArchive};

fn column(spec: &str) -> Column {
    // "name type [null] [default]"
    let parts: Vec<&str> = spec.split_whitespace().collect();
    Column {
        name: parts[0].into(),
        data_type: parts[1].into(),
        nullable: parts.contains(&"null"),
        default: parts
            .iter()
            .find(|p| p.starts_with("default="))
            .map(|p| p["default=".len()..].to_string()),
        generated: false,
        identity: false,
    }
}

fn fk(name: &str, columns: &[&str], parent: &str) -> ForeignKey {
    ForeignKey {
        name: name.into(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        references_schema: "public".into(),
        references_table: parent.into(),
        references_columns: vec!["id".into()],
    }
}

fn table(name: &str, columns: &[&str], foreign_keys: Vec<ForeignKey>) -> Table {
    Table {
        schema: "public".into(),
        name: name.into(),
        columns: columns.iter().map(|c| column(c)).collect(),
        primary_key: vec!["id".into()],
        unique_keys: Vec::new(),
        foreign_keys,
        estimated_bytes: 0,
    }
}

fn entry(table: &Table, rows: u64) -> TableEntry {
    TableEntry {
        schema: "public".into(),
        name: table.name.clone(),
        columns: table.columns.clone(),
        primary_key: table.primary_key.clone(),
        rows,
        file: crate::snapshot::manifest::data_file("public", &table.name),
        bytes: 1,
        sha256: "00".into(),
        content_sha256: "00".into(),
    }
}

fn manifest(tables: Vec<TableEntry>, files: Vec<FileArchive>) -> Manifest {
    Manifest {
        format_version: FORMAT_VERSION,
        tool_version: "0".into(),
        id: "snap".into(),
        created_at: chrono::Utc::now(),
        reason: "manual".into(),
        tag: None,
        keep: false,
        database: DatabaseInfo {
            url: "postgresql://localhost/app".into(),
            server_version: "15".into(),
            name: "app".into(),
            schema: "public".into(),
        },
        tables,
        files,
        buckets: Vec::new(),
        fingerprint: String::new(),
    }
}

/// The fixture app's shape at migration 4 (snapshot) and after migration 7 (live).
fn app() -> (Manifest, Vec<Table>) {
    let user_then = table(
        "User",
        &[
            "id integer default=nextval('\"User_id_seq\"'::regclass)",
            "email text",
            "name text null",
            "role \"Role\" default='USER'",
            "invitedById integer null",
        ],
        vec![fk("User_invitedById_fkey", &["invitedById"], "User")],
    );
    let user_now = table(
        "User",
        &[
            "id integer default=nextval('\"User_id_seq\"'::regclass)",
            "email text",
            "role \"Role\" default='USER'",
            "invitedById integer null",
            "displayName text null",
        ],
        vec![fk("User_invitedById_fkey", &["invitedById"], "User")],
    );
    let post_then = table(
        "Post",
        &[
            "id integer",
            "title text",
            "legacyHtml text null",
            "authorId integer",
        ],
        vec![fk("Post_authorId_fkey", &["authorId"], "User")],
    );
    let post_now = table(
        "Post",
        &[
            "id integer",
            "title text",
            "authorId integer",
            "status \"PostStatus\" default='DRAFT'",
            "slug text null",
        ],
        vec![fk("Post_authorId_fkey", &["authorId"], "User")],
    );
    let comment = table(
        "Comment",
        &["id integer", "postId integer", "parentId integer null"],
        vec![
            fk("Comment_postId_fkey", &["postId"], "Post"),
            fk("Comment_parentId_fkey", &["parentId"], "Comment"),
        ],
    );
    let product = table(
        "Product",
        &["id text", "mainImageId text null"],
        vec![fk("Product_mainImageId_fkey", &["mainImageId"], "Image")],
    );
    let image = table(
        "Image",
        &["id text", "productId text null"],
        vec![fk("Image_productId_fkey", &["productId"], "Product")],
    );
    let prompt = table("SystemPrompt", &["id integer", "content text"], vec![]);
    let views = table("PageView", &["id bigint", "path text"], vec![]);
    let migrations = table(
        "_prisma_migrations",
        &["id text", "migration_name text"],
        vec![],
    );
    let manifest = manifest(
        vec![
            entry(&comment, 7),
            entry(&image, 5),
            entry(&views, 10),
            entry(&post_then, 7),
            entry(&product, 3),
            entry(&prompt, 4),
            entry(&user_then, 6),
            entry(&migrations, 4),
        ],
        vec![FileArchive {
            group: "images".into(),
            folders: vec!["public/uploads".into()],
            file: "files/images.tar.zst".into(),
            entries: 2,
            bytes: 1,
            sha256: "00".into(),
        }],
    );
    let live = vec![
        comment, image, views, post_now, product, prompt, user_now, migrations,
    ];
    (manifest, live)
}

fn groups() -> Vec<Group> {
    let group = |name: &str, tables: &[(&str, Option<&str>)]| Group {
        name: name.into(),
        tables: tables
            .iter()
            .map(|(t, f)| GroupTable {
                table: t.to_string(),
                filter: f.map(str::to_string),
            })
            .collect(),
        // As `files.images = ["public/uploads"]` configures it.
        folders: match name {
            "images" => vec!["public/uploads".into()],
            _ => Vec::new(),
        },
        source: GroupSource::Inferred,
        uninferred: Vec::new(),
    };
    vec![
        group(
            "admin",
            &[("User", Some("\"role\" = 'ADMIN'")), ("SystemPrompt", None)],
        ),
        group("analytics", &[("PageView", None)]),
        group("images", &[("Image", None), ("Product", None)]),
    ]
}

fn names(plan: &RestorePlan) -> Vec<&str> {
    plan.tables.iter().map(|t| t.name.as_str()).collect()
}

fn table_of<'a>(plan: &'a RestorePlan, name: &str) -> &'a TablePlan {
    plan.tables.iter().find(|t| t.name == name).unwrap()
}
