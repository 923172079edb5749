//! Rendering the bucket part of a restore: per prefix, the objects and bytes a restore puts,
//! overwrites and deletes (the plan, before confirmation) and what it did (the report).

use crate::restore::execute::BucketResult;
use crate::restore::plan::{BucketChanges, RestorePlan};

use super::size;

/// The plan's lines for bucket prefixes, one per prefix and per skipped archive.
pub fn plan_lines(plan: &RestorePlan) -> String {
    let mut text = String::new();
    for bucket in &plan.buckets {
        let changes = match &bucket.changes {
            Some(changes) => counts(changes, false),
            None => "not surveyed".into(),
        };
        text.push_str(&format!(
            "objects     {}: {} object(s), {} in the snapshot for {}: {changes}\n",
            bucket.group,
            bucket.objects,
            size(bucket.bytes),
            bucket.url,
        ));
    }
    for skipped in &plan.skipped_buckets {
        text.push_str(&format!(
            "objects     {}: NOT restored, {}; its {} object(s) are left out\n",
            skipped.group, skipped.reason, skipped.objects
        ));
    }
    text
}

/// The report's lines, one per prefix.
pub fn report_lines(buckets: &[BucketResult], dry_run: bool) -> String {
    buckets
        .iter()
        .map(|b| {
            format!(
                "objects {} ({}): {}{}\n",
                b.group,
                b.url,
                counts(&b.changes, !dry_run),
                if dry_run {
                    " (dry run: nothing written)"
                } else {
                    ""
                }
            )
        })
        .collect()
}

/// `put 2 (3.0 MiB), overwrite 1 (10 B), delete 0, unchanged 4, kept 1`; `done` words it as
/// what happened.
fn counts(c: &BucketChanges, done: bool) -> String {
    let (put, overwrite, delete) = if done {
        ("put", "overwritten", "deleted")
    } else {
        ("put", "overwrite", "delete")
    };
    let mut parts = vec![
        format!("{put} {} ({})", c.put, size(c.put_bytes)),
        format!("{overwrite} {} ({})", c.overwrite, size(c.overwrite_bytes)),
        format!("{delete} {} ({})", c.delete, size(c.delete_bytes)),
        format!("unchanged {}", c.unchanged),
    ];
    if c.kept > 0 {
        parts.push(format!("kept {} (merge never overwrites a key)", c.kept));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_name_objects_and_bytes() {
        let changes = BucketChanges {
            put: 2,
            put_bytes: 3 << 20,
            overwrite: 1,
            overwrite_bytes: 10,
            kept: 1,
            ..BucketChanges::default()
        };
        assert_eq!(
            counts(&changes, false),
            "put 2 (3.00 MiB), overwrite 1 (10 B), delete 0 (0 B), unchanged 0, kept 1 (merge never overwrites a key)"
        );
        let result = BucketResult {
            group: "images".into(),
            url: "s3://b/images".into(),
            changes,
        };
        assert!(report_lines(&[result], true).ends_with("(dry run: nothing written)\n"));
    }
}
