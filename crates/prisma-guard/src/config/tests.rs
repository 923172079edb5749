//! The configuration lookup and its keys.

use super::*;

#[test]
fn every_key_is_optional() {
    assert_eq!(Config::parse("[workspace]\nmembers = []\n").unwrap(), None);
    assert_eq!(Config::parse("[package]\nname = \"x\"\n").unwrap(), None);
    assert_eq!(Config::parse_file("").unwrap(), Config::default());
}

#[test]
fn reads_all_keys() {
    let config = Config::parse(
        r#"
[workspace.metadata.prisma-guard]
prisma-dir = "db/prisma"
backups-dir = ".snapshots"
migrate-command = "builtin"
reset-command = "pnpm prisma migrate reset --force"
reset-restore = ["admin", "content"]
groups.admin = ["User WHERE role = 'ADMIN'", "SystemPrompt"]
files.images = ["public/uploads"]
"#,
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        config.prisma_dir.as_deref(),
        Some(Utf8Path::new("db/prisma"))
    );
    assert_eq!(
        config.backups_dir.as_deref(),
        Some(Utf8Path::new(".snapshots"))
    );
    assert_eq!(config.migrate_command.as_deref(), Some("builtin"));
    assert_eq!(
        config.reset_restore.as_deref(),
        Some(&["admin".to_string(), "content".to_string()][..])
    );
    assert_eq!(
        config.groups["admin"],
        ["User WHERE role = 'ADMIN'", "SystemPrompt"]
    );
    assert_eq!(
        config.files["images"],
        [Utf8PathBuf::from("public/uploads")]
    );
}

#[test]
fn reads_prune_keys() {
    let config = Config::parse(
        "[workspace.metadata.prisma-guard]\nkeep-last = 3\nkeep-daily = 0\nkeep-weekly = 2\nkeep-monthly = 6\nkeep-safety = 1\nauto-prune = true\n",
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        (
            config.keep_last,
            config.keep_daily,
            config.keep_weekly,
            config.keep_monthly
        ),
        (Some(3), Some(0), Some(2), Some(6))
    );
    assert_eq!(config.keep_safety, Some(1));
    assert_eq!(config.auto_prune, Some(true));
    let err = Config::parse("[workspace.metadata.prisma-guard]\nkeep-last = -1\n").unwrap_err();
    assert!(err.contains("invalid value"), "{err}");
}

#[test]
fn unknown_key_is_named() {
    let err = Config::parse("[workspace.metadata.prisma-guard]\nbackup-dir = \"b\"\n").unwrap_err();
    assert!(err.contains("unknown field `backup-dir`"), "{err}");
}

#[test]
fn wrong_type_is_an_error() {
    let err = Config::parse("[workspace.metadata.prisma-guard]\nprisma-dir = 3\n").unwrap_err();
    assert!(err.contains("invalid type"), "{err}");
}

#[test]
fn upload_folders_must_lie_inside_the_project() {
    let dir = tempfile::tempdir().unwrap();
    let root = Utf8Path::from_path(dir.path()).unwrap();
    for (folder, problem) in [
        ("../shared/uploads", "climbs out of the project with `..`"),
        ("/srv/uploads", "is absolute"),
        ("", "is empty"),
        (".", "is the project root itself"),
    ] {
        std::fs::write(
            root.join("Cargo.toml"),
            format!("[workspace]\n[workspace.metadata.prisma-guard]\nfiles.images = [\"public\", {folder:?}]\n"),
        )
        .unwrap();
        let err = Config::load(root).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "invalid configuration in {root}/Cargo.toml: files.images: the folder `{folder}` {problem}"
            )
        );
        assert!(matches!(err, ConfigError::UnsafeFolder { .. }));
    }
    std::fs::remove_file(root.join("Cargo.toml")).unwrap();
    std::fs::write(root.join(CONFIG_FILE), "files.docs = [\"../docs\"]\n").unwrap();
    let err = Config::load(root).unwrap_err().to_string();
    assert!(err.ends_with("prisma-guard.toml: files.docs: the folder `../docs` climbs out of the project with `..`"), "{err}");
    std::fs::write(
        root.join(CONFIG_FILE),
        "files.images = [\"./public/uploads/\"]\n",
    )
    .unwrap();
    let config = Config::load(root).unwrap();
    assert_eq!(
        config.files["images"],
        [Utf8PathBuf::from("./public/uploads/")]
    );
}

#[test]
fn bucket_prefixes_sit_beside_folders_and_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let root = Utf8Path::from_path(dir.path()).unwrap();
    std::fs::write(
        root.join(CONFIG_FILE),
        "files.images = [\"public/uploads\", \"s3://app-uploads/images/\"]\n",
    )
    .unwrap();
    let config = Config::load(root).unwrap();
    assert_eq!(config.files["images"][1], "s3://app-uploads/images/");
    for (entry, why) in [
        ("s3://App/x", "bucket name"),
        ("s3://key:secret@bucket/x", "credentials"),
        ("s3://bucket/a//b", "segment"),
    ] {
        std::fs::write(
            root.join(CONFIG_FILE),
            format!("files.images = [{entry:?}]\n"),
        )
        .unwrap();
        let err = Config::load(root).unwrap_err();
        assert!(matches!(err, ConfigError::BadBucket { .. }), "{err}");
        let text = err.to_string();
        assert!(
            text.contains(&format!("files.images: the entry `{entry}`")) && text.contains(why),
            "{text}"
        );
    }
}

#[test]
fn project_root_is_the_workspace_above() {
    let dir = tempfile::tempdir().unwrap();
    let root = Utf8Path::from_path(dir.path()).unwrap();
    std::fs::write(
        root.join("Cargo.toml"),
        "[workspace]\nmembers = [\"xtask\"]\n",
    )
    .unwrap();
    let member = root.join("xtask/src");
    std::fs::create_dir_all(&member).unwrap();
    std::fs::write(
        root.join("xtask/Cargo.toml"),
        "[package]\nname = \"xtask\"\n",
    )
    .unwrap();
    assert_eq!(find_project_root(&member).unwrap(), root);
}

#[test]
fn a_node_project_is_found_by_its_prisma_folder_and_reads_prisma_guard_toml() {
    let dir = tempfile::tempdir().unwrap();
    let root = Utf8Path::from_path(dir.path()).unwrap();
    std::fs::create_dir_all(root.join("prisma/migrations")).unwrap();
    std::fs::write(root.join("package.json"), "{}").unwrap();
    std::fs::write(root.join(CONFIG_FILE), "backups-dir = \".snapshots\"\n").unwrap();
    let below = root.join("src/lib");
    std::fs::create_dir_all(&below).unwrap();
    assert_eq!(find_project_root(&below).unwrap(), root);
    let config = Config::load(root).unwrap();
    assert_eq!(
        config.backups_dir.as_deref(),
        Some(Utf8Path::new(".snapshots"))
    );
}

#[test]
fn two_sources_of_configuration_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = Utf8Path::from_path(dir.path()).unwrap();
    std::fs::write(
        root.join("Cargo.toml"),
        "[workspace]\n[workspace.metadata.prisma-guard]\nbackups-dir = \"a\"\n",
    )
    .unwrap();
    std::fs::write(root.join(CONFIG_FILE), "backups-dir = \"b\"\n").unwrap();
    let err = Config::load(root).unwrap_err();
    assert!(matches!(err, ConfigError::Ambiguous { .. }), "{err}");
    std::fs::write(root.join(CONFIG_FILE), "backup-dir = \"b\"\n").unwrap();
    let err = Config::load(root).unwrap_err().to_string();
    assert!(
        err.contains("prisma-guard.toml") && err.contains("backup-dir"),
        "{err}"
    );
}

#[test]
fn reads_the_migration_statements_and_seed_keys() {
    use crate::migrations::StatementsSetting;
    let config =
        Config::parse_file("migration-statements = \"split\"\nseed-command = \"none\"\n").unwrap();
    assert_eq!(config.migration_statements, Some(StatementsSetting::Split));
    assert_eq!(config.seed_command.as_deref(), Some("none"));
    for (text, want) in [
        ("auto", StatementsSetting::Auto),
        ("whole", StatementsSetting::Whole),
    ] {
        let config = Config::parse_file(&format!("migration-statements = \"{text}\"")).unwrap();
        assert_eq!(config.migration_statements, Some(want));
    }
    let err = Config::parse_file("migration-statements = \"sometimes\"").unwrap_err();
    assert!(err.to_string().contains("sometimes"), "{err}");
}

#[test]
fn reads_match_on_as_a_column_or_a_list() {
    let config = Config::parse_file(
        "[match-on]\nProduct = \"slug\"\nLink = [\"productId\", \"categoryId\"]\nTag = []\n",
    )
    .unwrap();
    assert_eq!(config.match_on["Product"].columns(), ["slug"]);
    assert_eq!(
        config.match_on["Link"].columns(),
        ["productId", "categoryId"]
    );
    assert!(config.match_on["Tag"].columns().is_empty());
    let inline = Config::parse_file("match-on = { Product = \"slug\" }").unwrap();
    assert_eq!(inline.match_on["Product"], MatchOn::Column("slug".into()));
    let err = Config::parse_file("match-on = { Product = 3 }").unwrap_err();
    assert!(
        err.contains("match-on") || err.contains("untagged"),
        "{err}"
    );
}

#[test]
fn reads_the_lint_key() {
    use crate::lint::LintMode;
    assert_eq!(Config::parse_file("").unwrap().lint, None);
    for (text, want) in [
        ("warn", LintMode::Warn),
        ("deny", LintMode::Deny),
        ("off", LintMode::Off),
    ] {
        let config = Config::parse_file(&format!("lint = \"{text}\"")).unwrap();
        assert_eq!(config.lint, Some(want));
    }
    let err = Config::parse_file("lint = \"error\"").unwrap_err();
    assert!(err.contains("unknown variant `error`"), "{err}");
}
