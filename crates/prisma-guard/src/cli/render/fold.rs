//! Long lists in plans, folded: the first few, then `… and N more` (`--json` has them all).

/// Items of a list line shown before the rest is folded.
pub(super) const FOLD_AFTER: usize = 5;

/// Lines of the `skipped` section shown before the rest is folded.
pub(super) const SKIPPED_LINES: usize = 10;

/// `a, b, c, … and 7 more` when `items` has more than `first` (`--json` has them all).
pub(super) fn folded(items: &[String], first: usize) -> String {
    if items.len() <= first {
        return items.join(", ");
    }
    format!(
        "{}, … and {} more",
        items[..first].join(", "),
        items.len() - first
    )
}

/// The first `first` lines, then `… and N more (--json lists them all)`.
pub(super) fn folded_lines(lines: &[String], first: usize) -> Vec<String> {
    if lines.len() <= first {
        return lines.to_vec();
    }
    let mut shown = lines[..first].to_vec();
    shown.push(format!(
        "… and {} more (--json lists them all)",
        lines.len() - first
    ));
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_folded() {
        let items: Vec<String> = (1..=8).map(|i| format!("m{i}")).collect();
        assert_eq!(folded(&items[..5], 5), "m1, m2, m3, m4, m5");
        assert_eq!(folded(&items, 5), "m1, m2, m3, m4, m5, … and 3 more");
        assert_eq!(folded(&[], 5), "");
        assert_eq!(folded_lines(&items[..2], 2), ["m1", "m2"]);
        assert_eq!(
            folded_lines(&items, 2),
            ["m1", "m2", "… and 6 more (--json lists them all)"]
        );
    }
}
