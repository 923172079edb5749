//! Restore groups: named sets of tables, each optionally with a row filter, plus upload folders.
//!
//! A group comes from `[workspace.metadata.prisma-guard.groups]` (`admin = ["User WHERE role = 'ADMIN'",
//! "SystemPrompt"]`) and `[workspace.metadata.prisma-guard.files]` (`images = ["public/uploads"]`).
//! The standard groups `admin`, `images` and `analytics` that are not configured are inferred
//! from the live catalog's table names, word by word (`SystemPrompt` is "system" + "prompt";
//! `Blog` is not "log"), and for user tables from their columns (a `role` enum with `ADMIN`, an
//! `isAdmin` boolean). `prisma-guard status` shows the result so the user can pin or correct it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use camino::Utf8PathBuf;

use crate::catalog::Table;
use crate::config::Config;
use crate::sql::quote_ident;

/// The group `--admin-only` restores.
pub const ADMIN: &str = "admin";
/// The group `--skip-images` leaves out.
pub const IMAGES: &str = "images";
/// The group of analytics tables.
pub const ANALYTICS: &str = "analytics";

/// The standard groups, in inference precedence: a table matching several goes into the first.
const STANDARD: [(&str, &[&str]); 3] = [
    (
        ANALYTICS,
        &[
            "analytic",
            "event",
            "pageview",
            "metric",
            "log",
            "audit",
            "tracking",
            "visit",
            "impression",
        ],
    ),
    (
        IMAGES,
        &[
            "image",
            "photo",
            "media",
            "asset",
            "upload",
            "carousel",
            "picture",
            "attachment",
            "gallery",
        ],
    ),
    (
        ADMIN,
        &[
            "user",
            "role",
            "permission",
            "setting",
            "config",
            "configuration",
            "prompt",
            "admin",
        ],
    ),
];

/// Prisma's own bookkeeping: never inferred into a group.
const MIGRATIONS_TABLE: &str = "_prisma_migrations";

/// One table of a group, with an optional row filter (a SQL boolean expression over the live
/// table's columns).
///
/// Its [`Display`](fmt::Display) is the config entry form (`User WHERE "role" = 'ADMIN'`), which
/// [`parse_entry`] reads back into the same value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GroupTable {
    /// The table name, unquoted, in the working schema.
    pub table: String,
    /// The row filter, e.g. `"role" = 'ADMIN'`; `None` takes every row.
    pub filter: Option<String>,
}

/// Where a group came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupSource {
    /// `[workspace.metadata.prisma-guard.groups]` (or, for a group with only folders,
    /// `[workspace.metadata.prisma-guard.files]`).
    Config,
    /// Inferred from the live catalog's table and column names.
    Inferred,
}

/// A named group: its tables and its upload folders.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Group {
    /// The group name (`admin`, `images`, `analytics`, or any configured name).
    pub name: String,
    /// The tables: in config order when configured, by name when inferred.
    pub tables: Vec<GroupTable>,
    /// Upload folders from `[workspace.metadata.prisma-guard.files]`, relative to the project root.
    pub folders: Vec<Utf8PathBuf>,
    /// Where the tables came from.
    pub source: GroupSource,
}

/// Parses one config entry: `"User WHERE role = 'ADMIN'"` gives table `User` with filter
/// `role = 'ADMIN'`.
///
/// The entry is split at the first whitespace-delimited `WHERE` (any case); both sides are
/// trimmed, and an empty filter is none. A table name in double quotes (`"My Table" WHERE x`,
/// inner quotes doubled) is unquoted, so a name containing ` where ` can still be written.
/// Never fails: text without `WHERE` is the table name.
pub fn parse_entry(entry: &str) -> GroupTable {
    let entry = entry.trim();
    if let Some((name, after)) = quoted_name(entry) {
        let after = after.trim();
        if after.is_empty() {
            return GroupTable {
                table: name,
                filter: None,
            };
        }
        if let Some(filter) = strip_where(after) {
            return GroupTable {
                table: name,
                filter: non_empty(filter),
            };
        }
    }
    let mut previous_is_space = false;
    for (i, c) in entry.char_indices() {
        // No let chains: the crate supports Rust 1.85.
        if let Some(filter) = strip_where(&entry[i..]).filter(|_| previous_is_space) {
            return GroupTable {
                table: entry[..i].trim().to_string(),
                filter: non_empty(filter),
            };
        }
        previous_is_space = c.is_whitespace();
    }
    GroupTable {
        table: entry.to_string(),
        filter: None,
    }
}

/// `"name"rest` → (`name` with `""` undoubled, `rest`).
fn quoted_name(entry: &str) -> Option<(String, &str)> {
    let rest = entry.strip_prefix('"')?;
    let mut name = String::new();
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '"' {
            name.push(c);
        } else if chars.peek().is_some_and(|&(_, next)| next == '"') {
            name.push('"');
            chars.next();
        } else {
            return Some((name, &rest[i + 1..]));
        }
    }
    None
}

/// `WHERE <filter>` → `<filter>`, when `text` starts with the keyword followed by whitespace or
/// nothing.
fn strip_where(text: &str) -> Option<&str> {
    let keyword = text.get(..5)?;
    let rest = &text[5..];
    (keyword.eq_ignore_ascii_case("where") && rest.chars().next().is_none_or(char::is_whitespace))
        .then_some(rest)
}

fn non_empty(filter: &str) -> Option<String> {
    let filter = filter.trim();
    (!filter.is_empty()).then(|| filter.to_string())
}

impl fmt::Display for GroupTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let with_filter = |table: &str| match &self.filter {
            Some(filter) => format!("{table} WHERE {filter}"),
            None => table.to_string(),
        };
        let plain = with_filter(&self.table);
        if parse_entry(&plain).table == self.table {
            f.write_str(&plain)
        } else {
            f.write_str(&with_filter(&quote_ident(&self.table)))
        }
    }
}

/// Resolves the restore groups of a project. Pure: `tables` and `enums` are the live catalog
/// ([`crate::catalog::tables`], [`crate::catalog::enums`]).
///
/// - A group in `config.groups` is taken as configured (entries through [`parse_entry`]), with
///   source [`GroupSource::Config`]; this also holds for `admin`, `images` and `analytics`.
/// - Each standard group (`admin`, `images`, `analytics`) that is not configured is inferred
///   from the table names, with source [`GroupSource::Inferred`]; one that ends up with no
///   tables and no folders is left out.
/// - `config.files[g]` become the folders of group `g`; a group with only folders has source
///   [`GroupSource::Config`].
///
/// Inference splits a table name into words (at `_`, `-`, spaces, digits and camelCase
/// boundaries), lower-cases them and drops a plural, then looks each word, and each pair of
/// adjacent words joined (`PageView` → `pageview`), up in the groups' word sets. A table goes
/// into at most one inferred group, analytics before images before admin (`UserEvent` is
/// analytics). `_prisma_migrations` and tables named in any configured group are never
/// inferred. In `admin`, a table whose words include "user" gets a filter when its columns show
/// who is an admin: a `role` enum with an `ADMIN` label (`"role" = 'ADMIN'`), a text `role`
/// column (the same filter), or a boolean `is_admin`/`isAdmin`/`admin` (`"isAdmin"`).
///
/// `enums` maps an enum type, spelled as `format_type` prints it (the same string as
/// [`crate::catalog::Column::data_type`], e.g. `"Role"`), to its labels. The groups are sorted
/// by name.
pub fn resolve(
    config: &Config,
    tables: &[Table],
    enums: &BTreeMap<String, Vec<String>>,
) -> Vec<Group> {
    let configured: BTreeSet<String> = config
        .groups
        .values()
        .flatten()
        .map(|entry| parse_entry(entry).table)
        .collect();
    let mut sorted: Vec<&Table> = tables.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut inferred: BTreeMap<&str, Vec<GroupTable>> = BTreeMap::new();
    for table in sorted {
        if table.name == MIGRATIONS_TABLE || configured.contains(&table.name) {
            continue;
        }
        let words = words(&table.name);
        let Some(group) = classify(&words) else {
            continue;
        };
        if config.groups.contains_key(group) {
            continue;
        }
        let filter = if group == ADMIN && words.iter().any(|w| w == "user") {
            admin_filter(table, enums)
        } else {
            None
        };
        inferred.entry(group).or_default().push(GroupTable {
            table: table.name.clone(),
            filter,
        });
    }

    let names: BTreeSet<&str> = STANDARD
        .iter()
        .map(|(name, _)| *name)
        .chain(config.groups.keys().map(String::as_str))
        .chain(config.files.keys().map(String::as_str))
        .collect();
    let mut groups = Vec::new();
    for name in names {
        let folders = config.files.get(name).cloned().unwrap_or_default();
        let (tables, source) = match config.groups.get(name) {
            Some(entries) => (
                entries.iter().map(|e| parse_entry(e)).collect(),
                GroupSource::Config,
            ),
            None => {
                let tables = inferred.remove(name).unwrap_or_default();
                if tables.is_empty() && folders.is_empty() {
                    continue;
                }
                let source = if tables.is_empty() {
                    GroupSource::Config
                } else {
                    GroupSource::Inferred
                };
                (tables, source)
            }
        };
        groups.push(Group {
            name: name.to_string(),
            tables,
            folders,
            source,
        });
    }
    groups
}

/// The inferred group of a table whose name has `words`, by precedence.
fn classify(words: &[String]) -> Option<&'static str> {
    let pairs = words.windows(2).map(|pair| pair.concat());
    let terms: Vec<String> = words.iter().cloned().chain(pairs).collect();
    STANDARD
        .iter()
        .find(|(_, set)| terms.iter().any(|term| set.contains(&term.as_str())))
        .map(|(name, _)| *name)
}

/// The words of a table name, lower-cased and singular: `page_views` and `PageView` are both
/// `["page", "view"]`, `HTTPLog2` is `["http", "log"]`.
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphabetic() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_uppercase() && !current.is_empty() {
            let previous = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if previous.is_lowercase() || (previous.is_uppercase() && next_is_lower) {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
        .into_iter()
        .map(|w| singular(w.to_lowercase()))
        .collect()
}

/// `galleries` → `gallery`, `users` → `user`; `address`, `bus` and `media` stay.
fn singular(word: String) -> String {
    if word.len() > 3 && word.ends_with("ies") {
        format!("{}y", &word[..word.len() - 3])
    } else if word.len() > 3 && word.ends_with('s') && !word.ends_with("ss") {
        word[..word.len() - 1].to_string()
    } else {
        word
    }
}

/// The filter that keeps a user table's admins, when its columns say who they are.
fn admin_filter(table: &Table, enums: &BTreeMap<String, Vec<String>>) -> Option<String> {
    for column in &table.columns {
        if !column.name.eq_ignore_ascii_case("role") {
            continue;
        }
        if let Some(labels) = enums.get(&column.data_type) {
            let admin = labels
                .iter()
                .find(|l| *l == "ADMIN")
                .or_else(|| labels.iter().find(|l| l.eq_ignore_ascii_case("admin")));
            if let Some(label) = admin {
                return Some(format!(
                    "{} = '{}'",
                    quote_ident(&column.name),
                    label.replace('\'', "''")
                ));
            }
        } else if is_text(&column.data_type) {
            return Some(format!("{} = 'ADMIN'", quote_ident(&column.name)));
        }
    }
    table
        .columns
        .iter()
        .find(|c| {
            let name = c.name.replace('_', "").to_lowercase();
            c.data_type == "boolean" && (name == "isadmin" || name == "admin")
        })
        .map(|c| quote_ident(&c.name))
}

fn is_text(data_type: &str) -> bool {
    data_type == "text" || data_type == "citext" || data_type.starts_with("character varying")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Column;

    fn entry(table: &str, filter: Option<&str>) -> GroupTable {
        GroupTable {
            table: table.into(),
            filter: filter.map(Into::into),
        }
    }

    #[test]
    fn parse_entry_cases() {
        assert_eq!(
            parse_entry("User WHERE role = 'ADMIN'"),
            entry("User", Some("role = 'ADMIN'"))
        );
        assert_eq!(parse_entry("  SystemPrompt  "), entry("SystemPrompt", None));
        assert_eq!(
            parse_entry("User where  \"role\" = 'ADMIN' "),
            entry("User", Some("\"role\" = 'ADMIN'"))
        );
        assert_eq!(
            parse_entry("User\tWhErE\tx AND y WHERE z"),
            entry("User", Some("x AND y WHERE z")),
            "split at the first WHERE only"
        );
        assert_eq!(parse_entry("Somewhere"), entry("Somewhere", None));
        assert_eq!(parse_entry("Where"), entry("Where", None));
        assert_eq!(
            parse_entry("Elsewhere WHEREabouts"),
            entry("Elsewhere WHEREabouts", None)
        );
        assert_eq!(parse_entry("User WHERE  "), entry("User", None));
        assert_eq!(
            parse_entry("\"My Table\" WHERE x > 1"),
            entry("My Table", Some("x > 1"))
        );
        assert_eq!(parse_entry("\"My Table\""), entry("My Table", None));
        assert_eq!(
            parse_entry("\"Look where \"\"here\"\"\" WHERE x"),
            entry("Look where \"here\"", Some("x"))
        );
    }

    #[test]
    fn display_is_the_entry_form_and_round_trips() {
        for table in [
            entry("User", Some("\"role\" = 'ADMIN'")),
            entry("SystemPrompt", None),
            entry("Look where here", Some("x")),
            entry("\"odd", None),
        ] {
            assert_eq!(parse_entry(&table.to_string()), table, "{table}");
        }
        assert_eq!(
            entry("User", Some("\"role\" = 'ADMIN'")).to_string(),
            "User WHERE \"role\" = 'ADMIN'"
        );
        assert_eq!(
            entry("Look where here", None).to_string(),
            "\"Look where here\""
        );
    }

    #[test]
    fn words_split_and_singularize() {
        assert_eq!(words("SystemPrompt"), ["system", "prompt"]);
        assert_eq!(words("page_views"), ["page", "view"]);
        assert_eq!(words("HTTPLog2Entries"), ["http", "log", "entry"]);
        assert_eq!(words("user-settings 2024"), ["user", "setting"]);
        assert_eq!(words("_PostToTag"), ["post", "to", "tag"]);
        assert_eq!(words("Address"), ["address"]);
        assert_eq!(words("Bus"), ["bus"]);
        assert_eq!(words("Galleries"), ["gallery"]);
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
        groups[0].tables[0].filter.clone()
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
            admin_filter_of(&[("Role", "text")], &enums).as_deref(),
            Some("\"Role\" = 'ADMIN'")
        );
        assert_eq!(
            admin_filter_of(&[("role", "character varying(20)")], &enums).as_deref(),
            Some("\"role\" = 'ADMIN'")
        );
        assert_eq!(
            admin_filter_of(&[("role", "\"Role\"")], &enums).as_deref(),
            Some("\"role\" = 'ADMIN'")
        );
        let lower = BTreeMap::from([(
            "user_role".to_string(),
            vec!["member".to_string(), "admin".to_string()],
        )]);
        assert_eq!(
            admin_filter_of(&[("role", "user_role")], &lower).as_deref(),
            Some("\"role\" = 'admin'")
        );
        // An enum without ADMIN: fall back to a boolean, else no filter.
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
}
