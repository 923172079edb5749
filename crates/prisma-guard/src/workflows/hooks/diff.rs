//! `git diff --name-status` of the migrations folder: which migrations a push edits, deletes or
//! adds.

use std::collections::BTreeMap;

/// One file change from `git diff --name-status -z`, relative to the migrations folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// `A`, `M`, `D`, `T` (renames are off).
    pub status: char,
    /// Path relative to the migrations folder, e.g. `20240101_init/migration.sql`.
    pub path: String,
}

/// Parses `git diff --name-status -z --no-renames` output, keeping the paths below `prefix`
/// (the migrations folder as git prints it, e.g. `prisma/migrations`) relative to it.
pub fn parse_name_status(output: &str, prefix: &str) -> Vec<FileChange> {
    let prefix = format!("{}/", prefix.trim_end_matches('/'));
    let mut fields = output.split('\0').filter(|f| !f.is_empty());
    let mut changes = Vec::new();
    while let (Some(status), Some(path)) = (fields.next(), fields.next()) {
        let Some(relative) = path.strip_prefix(&prefix) else {
            continue;
        };
        changes.push(FileChange {
            status: status.chars().next().unwrap_or('?'),
            path: relative.to_string(),
        });
    }
    changes
}

/// Splits file changes into migrations the push would edit or delete (their files that are
/// modified, type-changed or deleted) and migrations it adds (whose migration.sql is added).
/// Files directly in the migrations folder (`migration_lock.toml`) are ignored, and so are files
/// added beside an existing migration.sql (Prisma reads only migration.sql).
pub fn classify(changes: &[FileChange]) -> (BTreeMap<String, Vec<&FileChange>>, Vec<String>) {
    let mut touched: BTreeMap<String, Vec<&FileChange>> = BTreeMap::new();
    let mut added = Vec::new();
    for change in changes {
        let Some((folder, file)) = change.path.split_once('/') else {
            continue;
        };
        if change.status != 'A' {
            touched.entry(folder.to_string()).or_default().push(change);
        } else if file == "migration.sql" {
            added.push(folder.to_string());
        }
    }
    (touched, added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_status_keeps_paths_under_the_migrations_folder() {
        let output = "M\0prisma/migrations/20240101_init/migration.sql\0A\0prisma/migrations/20250101_new/migration.sql\0M\0prisma/schema.prisma\0M\0prisma/migrations/migration_lock.toml\0D\0prisma/migrations/20240202_two/migration.sql\0";
        let changes = parse_name_status(output, "prisma/migrations");
        assert_eq!(
            changes,
            vec![
                FileChange {
                    status: 'M',
                    path: "20240101_init/migration.sql".into()
                },
                FileChange {
                    status: 'A',
                    path: "20250101_new/migration.sql".into()
                },
                FileChange {
                    status: 'M',
                    path: "migration_lock.toml".into()
                },
                FileChange {
                    status: 'D',
                    path: "20240202_two/migration.sql".into()
                },
            ]
        );
        let (touched, added) = classify(&changes);
        assert_eq!(added, vec!["20250101_new".to_string()]);
        assert_eq!(
            touched.keys().collect::<Vec<_>>(),
            ["20240101_init", "20240202_two"]
        );
    }

    #[test]
    fn a_file_added_to_an_existing_folder_is_not_an_edit() {
        let changes = vec![
            FileChange {
                status: 'A',
                path: "20240101_init/README.md".into(),
            },
            FileChange {
                status: 'M',
                path: "20240101_init/migration.sql".into(),
            },
        ];
        let (touched, added) = classify(&changes);
        assert!(added.is_empty());
        assert_eq!(touched["20240101_init"].len(), 1);
        assert_eq!(touched["20240101_init"][0].status, 'M');
    }
}
