//! Leftovers of interrupted runs: the one stderr line saying what was (or would be) removed,
//! and a warning for each that could not be.

use crate::owner::Leftover;

use super::size;

/// `removed 2 leftovers of interrupted runs (their process has ended): temporary snapshot folder
/// .tmp-… (45.2 MiB), scratch database prisma_guard_scratch_…`; `None` when there is none.
/// With `dry_run`, `would remove …`.
pub fn removed_line(removed: &[Leftover], dry_run: bool) -> Option<String> {
    if removed.is_empty() {
        return None;
    }
    let verb = if dry_run { "would remove" } else { "removed" };
    let noun = if removed.len() == 1 {
        "leftover of an interrupted run (its process has ended)"
    } else {
        "leftovers of interrupted runs (their processes have ended)"
    };
    let items: Vec<String> = removed.iter().map(describe).collect();
    Some(format!(
        "{verb} {} {noun}: {}",
        removed.len(),
        items.join(", ")
    ))
}

/// `warning: could not remove the replay folder .replay-…: <error>; remove it by hand`.
pub fn failed_line(leftover: &Leftover, error: &str) -> String {
    format!(
        "warning: could not remove the leftover {}: {error}; remove it by hand",
        describe(leftover)
    )
}

fn describe(leftover: &Leftover) -> String {
    let mut text = format!("{} {}", leftover.kind.describe(), leftover.name);
    if let Some(bytes) = leftover.bytes {
        text += &format!(" ({})", size(bytes));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::owner::LeftoverKind;

    #[test]
    fn one_line_names_each_leftover() {
        assert_eq!(removed_line(&[], false), None);
        let folder = Leftover {
            kind: LeftoverKind::SnapshotFolder,
            name: ".tmp-1-2-x".into(),
            pid: 1,
            bytes: Some(2048),
        };
        let database = Leftover {
            kind: LeftoverKind::ScratchDatabase,
            name: "prisma_guard_scratch_1_ab".into(),
            pid: 1,
            bytes: None,
        };
        assert_eq!(
            removed_line(std::slice::from_ref(&folder), true).unwrap(),
            "would remove 1 leftover of an interrupted run (its process has ended): \
             temporary snapshot folder .tmp-1-2-x (2.00 KiB)"
        );
        assert_eq!(
            removed_line(&[folder, database], false).unwrap(),
            "removed 2 leftovers of interrupted runs (their processes have ended): \
             temporary snapshot folder .tmp-1-2-x (2.00 KiB), scratch database \
             prisma_guard_scratch_1_ab"
        );
    }
}
