//! The next step each [`RestoreError`] suggests: its [`Hint`](crate::error::Hint).

use super::RestoreError;

impl crate::error::Hint for RestoreError {
    fn hint(&self) -> Option<String> {
        const UNCHANGED: &str = "nothing was changed";
        Some(match self {
            RestoreError::Connect(e) => return e.hint(),
            RestoreError::Snapshot(e) => return e.hint(),
            RestoreError::Status(e) => return e.hint(),
            RestoreError::Remote(e) => return e.hint(),
            RestoreError::UnknownGroup { .. } => {
                "`prisma-guard status` lists the groups; define more under [workspace.metadata.prisma-guard.groups]".into()
            }
            RestoreError::UnknownTable { .. } => {
                "`prisma-guard snapshots show` lists the snapshot's tables; names are case-sensitive".into()
            }
            RestoreError::Unrestorable { tables } => {
                let names: Vec<&str> = tables.iter().map(|u| u.table.as_str()).collect();
                format!(
                    "{UNCHANGED}; leave them out with --exclude {} to restore the rest",
                    names.join(",")
                )
            }
            RestoreError::Cycle { .. } => {
                format!("leave one of these tables out with --exclude; {UNCHANGED}")
            }
            RestoreError::Corrupt { .. } | RestoreError::UnsafeEntry { .. } => format!(
                "{UNCHANGED}; this snapshot cannot be trusted (`prisma-guard snapshots verify --all`), restore an older one"
            ),
            RestoreError::BucketRead { group, .. } => format!(
                "{UNCHANGED}; check that the bucket exists and that AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY reach it, or leave the objects out with --skip {group}"
            ),
            RestoreError::BucketWrite { .. } => "the rows are restored; run the same restore again to finish the objects (it puts only what is still missing or different); the pre-restore safety snapshot holds what was overwritten".into(),
            RestoreError::UnsafeFolder { .. }
            | RestoreError::EntryType { .. }
            | RestoreError::BadBucketUrl { .. } => format!(
                "{UNCHANGED}; this snapshot's manifest or archive was edited or damaged (`prisma-guard snapshots verify` names the problems), restore an older snapshot"
            ),
            RestoreError::UnsafeTarget { path, group, .. } => format!(
                "{UNCHANGED} (uploads are checked before the database is touched); move {path} out of the way and restore again, or leave the uploads out with --skip {group}"
            ),
            RestoreError::RowCount { .. } => format!(
                "{UNCHANGED} (the restore runs in one transaction); this snapshot cannot be trusted (`prisma-guard snapshots verify` names the problems), restore an older one"
            ),
            RestoreError::Missing { names, .. } => format!(
                "{UNCHANGED}; leave them out with --exclude {names} to restore the rest"
            ),
            RestoreError::OutsideReference { table, .. } => format!(
                "{UNCHANGED}; add {table} to the selection, use --mode merge or upsert, or delete those rows first"
            ),
            RestoreError::DeleteRefused { table, .. } => format!(
                "{UNCHANGED} (the restore runs in one transaction); --mode replace deletes only the rows the snapshot lacks, and this one is protected: delete or change it yourself, restore with --mode upsert (which deletes nothing), or leave the table out with --exclude {table}"
            ),
            RestoreError::Cast { .. } => format!(
                "{UNCHANGED}; the column's type changed since the snapshot: exclude the table with --exclude, or fix the value in a copy of the snapshot"
            ),
            RestoreError::Database(_) | RestoreError::Table { .. } => {
                format!("{UNCHANGED} (the restore runs in one transaction)")
            }
            RestoreError::ReplayImpossible { .. } => format!(
                "{UNCHANGED}; --strategy map restores by matching column names instead"
            ),
            RestoreError::ReplayFailed { .. } => format!(
                "{UNCHANGED} (the replay ran in a scratch database, now dropped); fix the migration or restore with --strategy map"
            ),
            RestoreError::Deploy(e) => return e.hint(),
            RestoreError::RollbackImpossible { .. } => format!(
                "{UNCHANGED}; `prisma-guard restore` can still bring the data back by matching column names"
            ),
            RestoreError::Incomplete { .. } => format!(
                "{UNCHANGED}; roll back to a snapshot of the whole database (`prisma-guard snapshots` lists them), or restore this one with `prisma-guard restore`"
            ),
            RestoreError::NoKey { table, .. } => format!(
                "{UNCHANGED}; empty the table first (the restore then loads it), use --mode replace, or leave it out with --exclude {table}"
            ),
            RestoreError::OtherDatabase { .. } => format!(
                "{UNCHANGED}; check which database you meant (`prisma-guard snapshots show ID` names the snapshot's), or pass --force to roll back to it anyway"
            ),
            RestoreError::MatchOn { .. } => {
                "match-on maps a table to one of its unique keys (a column or a list of columns, such as `match-on = { Product = \"slug\" }`), or to [] to match by primary key only".into()
            }
            RestoreError::NaturalKeyConflict { table, .. } => format!(
                "{UNCHANGED} (the restore runs in one transaction); fix those rows in the target, match {table} on another key with `match-on`, turn its matching off with `match-on = {{ {table} = [] }}`, or leave it out with --exclude {table}"
            ),
            RestoreError::Io(_) => {
                "the database restore was committed; some upload files may be missing: fix the cause and run the same restore again (merge keeps what is there)".into()
            }
        })
    }
}
