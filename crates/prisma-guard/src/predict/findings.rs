//! The findings of one migration, in words, from its comparison: tables dropped, rows lost,
//! columns dropped (a likely rename when a column of the same type was added), values changed by
//! a type change or an update, enum values removed that rows held.

use super::compare::Comparison;
use super::model::{ColumnChangeKind, Finding, FindingKind, TableChange};

impl Comparison<'_> {
    /// The findings of one migration from its [`Comparison::tables`].
    pub fn findings(&self, migration: &str, changes: &[TableChange]) -> Vec<Finding> {
        let mut findings = Vec::new();
        let mut push = |kind, table: &str, column: Option<&str>, count, message: String| {
            findings.push(Finding {
                migration: migration.to_string(),
                kind,
                table: Some(table.to_string()),
                column: column.map(str::to_string),
                count,
                message,
            })
        };
        for t in changes {
            let name = &t.table;
            if t.dropped {
                if t.rows_before > 0 {
                    let rows = t.rows_before;
                    push(
                        FindingKind::TableDropped,
                        name,
                        None,
                        rows,
                        format!("table {name} dropped with its {rows} rows"),
                    );
                }
                continue;
            }
            if t.rows_lost > 0 {
                push(
                    FindingKind::RowsLost,
                    name,
                    None,
                    t.rows_lost,
                    format!(
                        "{name} loses {} of {} rows (their keys are gone)",
                        t.rows_lost, t.rows_before
                    ),
                );
            }
            for c in &t.columns {
                let (col, n) = (&c.column, c.values_lost);
                match c.change {
                    ColumnChangeKind::Dropped if n > 0 => match self.rename_target(name, col) {
                        Some(added) => push(
                            FindingKind::LikelyRename,
                            name,
                            Some(col),
                            n,
                            format!(
                                "{name}.{col} ({n} values) dropped while {name}.{added} was added: a rename written as DROP + ADD loses the data; edit the migration to RENAME COLUMN"
                            ),
                        ),
                        None => push(
                            FindingKind::ColumnDropped,
                            name,
                            Some(col),
                            n,
                            format!("{name}.{col} dropped with {n} values"),
                        ),
                    },
                    ColumnChangeKind::TypeChanged if c.values_changed > 0 => push(
                        FindingKind::TypeChanged,
                        name,
                        Some(col),
                        c.values_changed,
                        format!(
                            "{name}.{col}: {} values differ after the type change {}",
                            c.values_changed,
                            c.detail.as_deref().unwrap_or_default()
                        ),
                    ),
                    ColumnChangeKind::Updated => push(
                        FindingKind::ValuesChanged,
                        name,
                        Some(col),
                        c.values_changed,
                        format!(
                            "{name}.{col}: {} values changed ({n} non-null values overwritten)",
                            c.values_changed
                        ),
                    ),
                    ColumnChangeKind::EnumValueRemoved if n > 0 => push(
                        FindingKind::EnumValueRemoved,
                        name,
                        Some(col),
                        n,
                        format!(
                            "enum value removed ({}): {n} rows of {name}.{col} held it",
                            c.detail.as_deref().unwrap_or_default()
                        ),
                    ),
                    _ => {}
                }
            }
        }
        findings
    }

    /// A column added to `table` with the type `column` had before.
    fn rename_target(&self, table: &str, column: &str) -> Option<&str> {
        let before = self.before.table(table)?.column(column)?;
        let after = self.after.table(table)?;
        let before_table = self.before.table(table)?;
        after
            .columns
            .iter()
            .find(|a| a.data_type == before.data_type && before_table.column(&a.name).is_none())
            .map(|a| a.name.as_str())
    }
}
