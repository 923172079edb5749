//! `predict` and `pre-migrate`'s prediction: the per-migration report, the tables that change,
//! the skip note, `--json` and the `--check` exit code.

use comfy_table::{Table, presets};
use serde_json::json;

use super::{pretty, render, size};
use crate::cli::exit;
use crate::predict::{ColumnChangeKind, Prediction, Skip};

/// The report: each migration with its findings, then a table of the tables that change, then
/// one line saying whether data would be lost or a migration would fail.
pub fn prediction_text(prediction: &Prediction) -> String {
    let mut text = format!(
        "prediction on a scratch copy of snapshot {} ({} ms):\n",
        prediction.snapshot, prediction.elapsed_ms
    );
    for migration in &prediction.migrations {
        let state = match (&migration.error, migration.applied) {
            (Some(_), _) => "fails",
            (None, true) => "applies",
            (None, false) => "not reached (an earlier migration fails)",
        };
        text += &format!("  {}  {state}\n", migration.name);
        for finding in prediction
            .findings
            .iter()
            .filter(|f| f.migration == migration.name)
        {
            text += &format!("    - {}\n", finding.message);
        }
    }
    if !prediction.tables.is_empty() {
        text += "\n";
        text += &tables_table(prediction);
    }
    text += "\n";
    text += &verdict(prediction);
    text += "\n";
    text
}

fn tables_table(prediction: &Prediction) -> String {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.set_header(["table", "rows before", "rows after", "rows lost", "columns"]);
    for t in &prediction.tables {
        let columns = t
            .columns
            .iter()
            .map(|c| {
                let what = match c.change {
                    ColumnChangeKind::Dropped => "dropped",
                    ColumnChangeKind::Added => "added",
                    ColumnChangeKind::TypeChanged => "type changed",
                    ColumnChangeKind::Updated => "updated",
                    ColumnChangeKind::EnumValueRemoved => "enum value removed",
                };
                match c.values_lost {
                    0 => format!("{} {what}", c.column),
                    n => format!("{} {what} ({n} values lost)", c.column),
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let after = match t.dropped {
            true => "dropped".to_string(),
            false => t.rows_after.to_string(),
        };
        table.add_row([
            t.table.clone(),
            t.rows_before.to_string(),
            after,
            t.rows_lost.to_string(),
            columns,
        ]);
    }
    render(table)
}

fn verdict(prediction: &Prediction) -> String {
    if let Some(failed) = prediction.failure() {
        return format!(
            "migration {} would fail on this data: fix the data or the migration before applying",
            failed.name
        );
    }
    match prediction.loses_data() {
        true => "these migrations would lose data: the snapshot keeps it; edit the migrations if that is not intended".into(),
        false => "no data would be lost".into(),
    }
}

/// The `--check` exit code: 13 when a migration would fail, 12 when data would be lost.
pub fn check_code(prediction: &Prediction) -> Option<u8> {
    if prediction.failure().is_some() {
        Some(exit::WOULD_FAIL)
    } else if prediction.loses_data() {
        Some(exit::DATA_LOSS)
    } else {
        None
    }
}

/// `{"prediction": …}` (`null` when nothing is pending).
pub fn prediction_json(prediction: Option<&Prediction>) -> String {
    pretty(&json!({ "prediction": prediction }))
}

/// `pre-migrate --json`'s object with `"prediction"` added.
pub fn with_prediction(pre_migrate_json: String, prediction: Option<&Prediction>) -> String {
    let mut value: serde_json::Value =
        serde_json::from_str(&pre_migrate_json).expect("our own JSON parses");
    if let Some(object) = value.as_object_mut() {
        object.insert("prediction".into(), json!(prediction));
    }
    pretty(&value)
}

/// Why `pre-migrate` made no prediction, and how to make one anyway.
pub fn skip_note(skip: &Skip, snapshot: &str) -> String {
    match skip {
        Skip::TooBig { bytes, limit } => format!(
            "note: no prediction: the snapshot holds {} of data, over predict-max-bytes ({}); run `predict {snapshot}` to predict anyway, or raise predict-max-bytes (0 never skips)",
            size(*bytes),
            size(*limit)
        ),
        Skip::CannotCreateDatabases => format!(
            "note: no prediction: the database role may not create the scratch database it needs; grant CREATEDB, then run `predict {snapshot}`"
        ),
        Skip::Impossible { detail } => {
            format!("note: no prediction from snapshot {snapshot}: {detail}")
        }
    }
}
