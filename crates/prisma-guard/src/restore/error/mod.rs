//! The restore's error type, [`RestoreError`]; the next step each of its variants suggests (its
//! [`Hint`](crate::error::Hint)) is in `hint`.

mod hint;

use camino::Utf8PathBuf;

/// Errors while planning or running a restore.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// Connecting failed.
    #[error(transparent)]
    Connect(#[from] crate::database::DatabaseError),
    /// Reading or taking a snapshot failed (the safety snapshot, for one).
    #[error(transparent)]
    Snapshot(#[from] crate::snapshot::SnapshotError),
    /// Reading the migration status for the safety snapshot failed.
    #[error(transparent)]
    Status(#[from] crate::migrations::StatusError),
    /// A query outside any one table failed.
    #[error(transparent)]
    Database(#[from] crate::error::QueryError),
    /// The target is not this machine and `--allow-remote` was not given.
    #[error(transparent)]
    Remote(#[from] crate::database::NotLocal),
    /// `--only`/`--skip` named a group that does not exist.
    #[error("no group {name} (groups: {known})")]
    UnknownGroup {
        /// The name given.
        name: String,
        /// The groups there are.
        known: String,
    },
    /// `--tables`/`--exclude` named a table in neither the snapshot nor the live schema.
    #[error("no table {name} in the snapshot or the live schema")]
    UnknownTable {
        /// The name given.
        name: String,
    },
    /// Selected tables the restore cannot fill, every one with every reason (new required
    /// columns, NULLs in columns that are NOT NULL now, values that do not cast), found before
    /// anything is written.
    #[error("cannot restore {} of the selected tables:{}", tables.len(), listed(tables))]
    Unrestorable {
        /// The tables and their problems.
        tables: Vec<crate::restore::plan::Unrestorable>,
    },
    /// A foreign-key cycle with no nullable edge to defer.
    #[error("the foreign keys of {tables} form a cycle with no nullable column to break it")]
    Cycle {
        /// The tables on the cycle.
        tables: String,
    },
    /// A data file or archive does not match the manifest.
    #[error("{file} does not match the manifest: {problem}")]
    Corrupt {
        /// The file.
        file: Utf8PathBuf,
        /// What differs.
        problem: String,
    },
    /// An archive entry would land outside its folders.
    #[error("{archive} holds {entry}, which lies outside the folders it was taken from")]
    UnsafeEntry {
        /// The archive.
        archive: Utf8PathBuf,
        /// The entry's path.
        entry: String,
    },
    /// The manifest gives an upload archive a folder that is not a relative path inside the
    /// project root.
    #[error("the manifest gives {archive} the folder `{folder}`, which {problem}")]
    UnsafeFolder {
        /// The archive.
        archive: Utf8PathBuf,
        /// The folder as the manifest lists it.
        folder: Utf8PathBuf,
        /// What is wrong with it.
        problem: crate::snapshot::archive::paths::FolderProblem,
    },
    /// A bucket archive whose manifest url is not `s3://bucket/prefix`, or with a key that
    /// would lie outside it.
    #[error("the manifest gives {file} the bucket prefix `{url}`: {problem}")]
    BadBucketUrl {
        /// The archive.
        file: Utf8PathBuf,
        /// The url as the manifest gives it.
        url: String,
        /// What is wrong.
        problem: String,
    },
    /// Reading a bucket prefix before the restore (listing it, reading an object to compare)
    /// failed; nothing was written.
    #[error("reading the bucket prefix {url} (files.{group}) failed; nothing was changed")]
    BucketRead {
        /// The group.
        group: String,
        /// The prefix.
        url: String,
        /// What the store said (no credential in it).
        #[source]
        source: Box<crate::remote::RemoteError>,
    },
    /// Writing or deleting objects failed after the database restore was committed.
    #[error(
        "writing the objects of {url} failed after the database restore was committed: {done} of {total} object changes were made"
    )]
    BucketWrite {
        /// The group.
        group: String,
        /// The prefix.
        url: String,
        /// Puts, overwrites and deletes made before the failure.
        done: u64,
        /// Puts, overwrites and deletes planned.
        total: u64,
        /// What failed.
        #[source]
        source: Box<crate::remote::RemoteError>,
    },
    /// An archive entry that is neither a regular file nor a folder.
    #[error("{archive} holds {entry}, {kind}; a restore writes only regular files and folders")]
    EntryType {
        /// The archive.
        archive: Utf8PathBuf,
        /// The entry's path.
        entry: String,
        /// What it is, in words: `a symlink`, `a hard link`, ...
        kind: String,
    },
    /// What is on disk where an archive entry would be written stops the restore: a symlink on
    /// the way, a file where a folder must be, ...
    #[error("cannot restore {entry} from {archive}: {path} {problem}")]
    UnsafeTarget {
        /// The archive.
        archive: Utf8PathBuf,
        /// The entry's path.
        entry: String,
        /// The archive's group, for the hint.
        group: String,
        /// The path on disk, relative to the project root.
        path: Utf8PathBuf,
        /// What is wrong there: `is a symlink; a restore never writes through or over one`, ...
        problem: String,
    },
    /// A data file holds another number of rows than the manifest says.
    #[error(
        "table {table}: its data file {file} holds {loaded} rows, the manifest says {manifest}"
    )]
    RowCount {
        /// The table.
        table: String,
        /// The data file.
        file: Utf8PathBuf,
        /// Rows the COPY loaded.
        loaded: u64,
        /// Rows the manifest lists.
        manifest: u64,
    },
    /// Snapshot tables the selection takes are not in the live schema.
    #[error(
        "the snapshot holds tables the live schema does not have: {tables} (dropped or renamed since the snapshot?)"
    )]
    Missing {
        /// `Table (N rows)`, comma-separated.
        tables: String,
        /// The table names, comma-separated, for the hint.
        names: String,
    },
    /// `replace` would delete rows a table outside the selection references.
    #[error(
        "table {table} references {rows} row(s) of {referenced} (foreign key {foreign_key}); --mode replace would delete them"
    )]
    OutsideReference {
        /// The referencing table, outside the selection.
        table: String,
        /// Its foreign key.
        foreign_key: String,
        /// The selected table.
        referenced: String,
        /// Referencing rows.
        rows: u64,
    },
    /// `replace` must delete a row the snapshot lacks, and the database refuses: a trigger
    /// raises, or a foreign key restricts.
    #[error(
        "table {table}: the row {key} is not in the snapshot, and the database refuses to delete it (--mode replace): {message}"
    )]
    DeleteRefused {
        /// The table.
        table: String,
        /// The row's key, `"id" = 1` (comma-separated for a composite key).
        key: String,
        /// The database's message: the trigger's exception, for one.
        message: String,
    },
    /// A snapshot value cannot be cast to the live column's type.
    #[error(
        "table {table}, column {column}: a snapshot value does not fit the live type {data_type}: {message}"
    )]
    Cast {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// The live type.
        data_type: String,
        /// PostgreSQL's message, which quotes the value.
        message: String,
    },
    /// Any other failure while restoring a table; said as a lost connection when it is one.
    #[error("{}", if crate::error::connection_lost(source) {
        format!("lost the connection to the server while restoring table {table} ({action})")
    } else {
        format!("table {table}: {action}")
    })]
    Table {
        /// The table.
        table: String,
        /// What was being done.
        action: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// `--strategy replay` was asked for and replay is not possible.
    #[error("cannot replay the migrations: {reason}")]
    ReplayImpossible {
        /// Why, in words.
        reason: String,
    },
    /// A migration failed while being replayed in the scratch database.
    #[error("migration {migration} failed while being replayed on the snapshot's data: {message}")]
    ReplayFailed {
        /// The migration.
        migration: String,
        /// PostgreSQL's error.
        message: String,
    },
    /// The built-in deploy failed outside a migration's SQL (bookkeeping).
    #[error(transparent)]
    Deploy(crate::migrations::DeployError),
    /// `rollback` cannot rebuild the snapshot's schema.
    #[error("cannot roll back to this snapshot: {reason}")]
    RollbackImpossible {
        /// Why, in words.
        reason: String,
    },
    /// A rollback needs a snapshot of every table; this one was taken with `--tables`/`--exclude`.
    #[error("the snapshot does not hold the tables {tables}, so it cannot put the database back")]
    Incomplete {
        /// The tables missing, comma-separated.
        tables: String,
    },
    /// `merge`/`upsert` into a table that has no primary key or unique key and already holds
    /// rows: nothing tells the snapshot's rows from its own.
    #[error(
        "table {table} has no primary key or unique constraint and already holds rows: {} cannot tell the snapshot's rows from its own and would insert them a second time",
        mode.label()
    )]
    NoKey {
        /// The table.
        table: String,
        /// The mode asked for.
        mode: crate::restore::Mode,
    },
    /// `rollback` to a snapshot of another database (or schema) without `--force`.
    #[error(
        "the snapshot was taken of database {source_database} (schema {source_schema}), not of {target_database} (schema {target_schema}); rolling back would replace this schema with that one's"
    )]
    OtherDatabase {
        /// The database the snapshot was taken of.
        source_database: String,
        /// Its working schema.
        source_schema: String,
        /// The database being rolled back.
        target_database: String,
        /// Its working schema.
        target_schema: String,
    },
    /// `match-on` names a table or columns the restore cannot match rows on.
    #[error("match-on {table}: {problem}")]
    MatchOn {
        /// The table as configured.
        table: String,
        /// What is wrong, naming the table's unique keys.
        problem: String,
    },
    /// Snapshot rows whose natural key matches another target row than their primary key does
    /// (or a target row another snapshot row's id already holds): merging them would join two
    /// entities into one, so the restore stops.
    #[error(
        "table {table}: {count} snapshot row(s) match one target row by {key} and another by their id:{rows}"
    )]
    NaturalKeyConflict {
        /// The table.
        table: String,
        /// The natural key's columns, comma-separated.
        key: String,
        /// How many rows conflict.
        count: u64,
        /// The first conflicting rows, `\n  id = 1, email = a@b (…)` each.
        rows: String,
    },
    /// A file could not be written.
    // Not transparent: the IoError stays in the chain, so its hint is found.
    #[error("{0}")]
    Io(#[from] crate::error::IoError),
}

/// `\n  Table: problem; problem` per table, for [`RestoreError::Unrestorable`]'s message.
pub(crate) fn listed(tables: &[crate::restore::plan::Unrestorable]) -> String {
    tables.iter().map(|u| format!("\n  {u}")).collect()
}
