//! The rule profile for Prisma-generated SQL: which squawk rules run, at which severity.
//!
//! Rule names are squawk-linter's own (<https://squawk.dev/docs/rules>), the names a
//! `-- squawk-ignore rule-name` comment takes.
//!
//! **Errors** — the statement loses data or fails on a filled table:
//! `ban-drop-column`, `ban-drop-table`, `ban-drop-database`, `ban-truncate-cascade` (rows are
//! gone); `changing-column-type` (values are cast, or the cast fails, and the table is
//! rewritten); `adding-required-field` (a NOT NULL column without a default fails on a table
//! with rows — Prisma's "added the required column … without a default value" warning);
//! `adding-not-nullable-field` (SET NOT NULL fails when any row holds NULL); `renaming-column`,
//! `renaming-table` (the running app still uses the old name); and, only when migration.sql runs
//! whole as one implicit transaction (Prisma < 7.4, [`crate::migrations::Statements::Whole`]),
//! `ban-concurrent-index-creation-in-transaction` (CREATE INDEX CONCURRENTLY fails there).
//!
//! **Warnings** — the statement locks a table while it scans or rewrites it:
//! `require-concurrent-index-creation`, `require-concurrent-index-deletion`,
//! `constraint-missing-not-valid`, `adding-foreign-key-constraint`,
//! `disallowed-unique-constraint`, `adding-serial-primary-key-field`,
//! `adding-field-with-default` (a volatile default rewrites the table), `ban-drop-not-null`
//! (older app code may still rely on it), `transaction-nesting`, and `unused-ignore` (an
//! ignore comment naming an unknown rule: a typo silences nothing).
//!
//! **Off** — Prisma's own output, which the user cannot change without leaving Prisma:
//! `prefer-timestamptz` (Prisma writes `TIMESTAMP(3)` for `DateTime`), `prefer-bigint-over-int`
//! and `prefer-bigint-over-smallint` (`Int` is `INTEGER`, `SmallInt` is `SMALLINT`),
//! `prefer-identity` (`@default(autoincrement())` is `SERIAL`), `prefer-text-field` and
//! `ban-char-field` (`@db.VarChar(n)`/`@db.Char(n)` are the user's explicit choice),
//! `prefer-robust-stmts` (Prisma writes plain `CREATE TABLE`/`ADD COLUMN`, not
//! `IF NOT EXISTS`: a migration runs once, recorded in `_prisma_migrations`),
//! `prefer-repack` (Prisma never writes `VACUUM FULL` or `CLUSTER`), `require-timeout-settings`
//! and `require-table-schema` (opt-in in squawk too; Prisma sets the schema through the URL),
//! and
//! `ban-drop-type`/`renaming-object`/`ban-drop-constraint`/`ban-drop-index`/`ban-drop-default`
//! (Prisma's own steps when an enum, a relation or an index changes: the data-losing part of
//! those changes is reported by `changing-column-type` or `ban-drop-column`).
//!
//! Tables created earlier in the same migration are exempt from the locking rules (squawk's
//! `assume_in_transaction`): they are new and empty.

use serde::Serialize;
use squawk_linter::Rule;

use crate::migrations::Statements;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Loses data or fails on a filled table; `lint = "deny"` blocks a push over it.
    Error,
    /// Locks a table while it scans or rewrites it; never blocks.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// The rules that run on a migration, each with its severity.
#[derive(Debug, Clone)]
pub struct Profile {
    rules: Vec<(Rule, Severity)>,
}

const ERRORS: [Rule; 9] = [
    Rule::BanDropColumn,
    Rule::BanDropTable,
    Rule::BanDropDatabase,
    Rule::BanTruncateCascade,
    Rule::ChangingColumnType,
    Rule::AddingRequiredField,
    Rule::AddingNotNullableField,
    Rule::RenamingColumn,
    Rule::RenamingTable,
];

const WARNINGS: [Rule; 10] = [
    Rule::RequireConcurrentIndexCreation,
    Rule::RequireConcurrentIndexDeletion,
    Rule::ConstraintMissingNotValid,
    Rule::AddingForeignKeyConstraint,
    Rule::DisallowedUniqueConstraint,
    Rule::AddingSerialPrimaryKeyField,
    Rule::AddingFieldWithDefault,
    Rule::BanDropNotNull,
    Rule::TransactionNesting,
    Rule::UnusedIgnore,
];

impl Profile {
    /// The profile for Prisma-generated SQL run as `statements` says (the module docs list every
    /// rule and why).
    pub fn prisma(statements: Statements) -> Profile {
        let mut rules: Vec<(Rule, Severity)> = ERRORS
            .iter()
            .map(|r| (*r, Severity::Error))
            .chain(WARNINGS.iter().map(|r| (*r, Severity::Warning)))
            .collect();
        if statements == Statements::Whole {
            rules.push((
                Rule::BanConcurrentIndexCreationInTransaction,
                Severity::Error,
            ));
        }
        Profile { rules }
    }

    /// The severity of `rule`, `None` when the profile does not run it.
    pub fn severity(&self, rule: Rule) -> Option<Severity> {
        self.rules.iter().find(|(r, _)| *r == rule).map(|(_, s)| *s)
    }

    /// The rules that run.
    pub fn rules(&self) -> impl Iterator<Item = Rule> + '_ {
        self.rules.iter().map(|(r, _)| *r)
    }
}
