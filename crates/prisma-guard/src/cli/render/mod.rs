//! Rendering for the terminal: values in, text out. Renderers return strings so they can be
//! tested; the commands write them through the [`Printer`](super::printer::Printer).

use chrono::{DateTime, Utc};
use comfy_table::Table;

mod fold;
pub mod leftovers;
pub mod lint;
pub mod objects;
pub mod predict;
pub mod progress;
pub mod prune;
pub mod remote;
pub mod restore;
mod restore_notes;
pub mod rollback;
pub mod snapshot;
pub mod status;

pub use progress::SnapshotProgress;

/// A TOML basic string: JSON's string escapes are all valid TOML.
fn toml_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string always serializes")
}

fn size(bytes: u64) -> String {
    indicatif::BinaryBytes(bytes).to_string()
}

pub(crate) fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).expect("a JSON value always serializes")
}

pub(crate) fn age(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let seconds = (now - then).num_seconds().max(0);
    match seconds {
        s if s < 60 => format!("{s}s ago"),
        s if s < 3600 => format!("{}m ago", s / 60),
        s if s < 86400 => format!("{}h ago", s / 3600),
        s => format!("{}d ago", s / 86400),
    }
}

/// A table as text: two spaces between columns, no trailing blanks.
pub fn render(mut table: Table) -> String {
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    table
        .lines()
        .map(|line| line.trim_end().to_string() + "\n")
        .collect()
}
