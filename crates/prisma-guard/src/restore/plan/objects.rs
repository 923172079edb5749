//! Where a snapshot's bucket archives may go: only back to the prefix they were taken from, and
//! only when that prefix is one of its group's `files.<group>` entries today (as upload folders
//! go only into folders configured now). Pure: what the bucket holds now is read later, by
//! [`crate::restore::execute::survey`], which fills in [`BucketPlan::changes`].

use camino::Utf8PathBuf;
use serde::Serialize;

use crate::remote::RemoteUrl;
use crate::restore::RestoreError;
use crate::restore::groups::Group;
use crate::snapshot::manifest::BucketArchive;

/// A bucket archive whose objects go back under their prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketPlan {
    /// The group.
    pub group: String,
    /// The prefix, `s3://bucket/prefix`: every write and delete stays under it.
    pub url: String,
    /// The archive, relative to the snapshot folder.
    pub file: Utf8PathBuf,
    /// Objects in the snapshot.
    pub objects: u64,
    /// Their bytes in all.
    pub bytes: u64,
    /// What the restore will do, from listing the bucket; `None` until surveyed.
    pub changes: Option<BucketChanges>,
    /// The manifest's entry (keys, sizes, SHA-256s).
    #[serde(skip)]
    pub archive: BucketArchive,
    /// The writes the survey decided, in archive order, then the deletes.
    #[serde(skip)]
    pub actions: Vec<ObjectAction>,
}

/// Counts of what a restore does to one prefix (objects and bytes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BucketChanges {
    /// Keys the bucket lacks, put back.
    pub put: u64,
    /// Their bytes.
    pub put_bytes: u64,
    /// Keys whose content differs, overwritten (`upsert`, `replace`).
    pub overwrite: u64,
    /// Their bytes (the snapshot's).
    pub overwrite_bytes: u64,
    /// Keys under the prefix that the snapshot lacks, deleted (`replace`).
    pub delete: u64,
    /// Their bytes (as stored now).
    pub delete_bytes: u64,
    /// Keys whose content equals the snapshot's, left alone.
    pub unchanged: u64,
    /// Keys that exist and may differ, kept because `merge` never overwrites a key.
    pub kept: u64,
}

/// One write or delete under a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectAction {
    /// Put the archive's object of this ordinal (the key is absent).
    Put(usize),
    /// Overwrite the key with the archive's object of this ordinal.
    Overwrite(usize),
    /// Delete this key (relative to the prefix), which the snapshot lacks.
    Delete(String),
}

/// A bucket archive the restore leaves out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedBucket {
    /// The group.
    pub group: String,
    /// The prefix the objects came from.
    pub url: String,
    /// Objects in it.
    pub objects: u64,
    /// Why, in words: `files.images does not list s3://b/images (it lists s3://b/other)`.
    pub reason: String,
}

/// Plans one bucket archive against the groups' configured entries: `Ok(Ok(plan))` to restore,
/// `Ok(Err(skipped))` to leave out.
///
/// Errors with [`RestoreError::BadBucketUrl`] when the manifest's url is not an
/// `s3://bucket/prefix` URL or one of its keys would lie outside the prefix (the manifest was
/// edited or damaged).
pub(super) fn place(
    archive: &BucketArchive,
    groups: &[Group],
) -> Result<Result<BucketPlan, SkippedBucket>, RestoreError> {
    let bad = |problem: String| RestoreError::BadBucketUrl {
        file: archive.file.clone(),
        url: archive.url.clone(),
        problem,
    };
    let url =
        RemoteUrl::parse(&archive.url, "the manifest's url").map_err(|e| bad(e.to_string()))?;
    if let Some(object) = archive
        .objects
        .iter()
        .find(|o| crate::snapshot::objects::object_path(&url, &o.key).is_none())
    {
        return Err(bad(format!(
            "its key `{}` lies outside the prefix",
            object.key
        )));
    }
    let group = &archive.group;
    let configured: Vec<RemoteUrl> = groups
        .iter()
        .find(|g| &g.name == group)
        .map(|g| {
            g.folders
                .iter()
                .filter(|f| RemoteUrl::is_remote(f.as_str()))
                .filter_map(|f| RemoteUrl::parse(f.as_str(), "files").ok())
                .collect()
        })
        .unwrap_or_default();
    let skip = |reason: String| SkippedBucket {
        group: group.clone(),
        url: archive.url.clone(),
        objects: archive.objects.len() as u64,
        reason,
    };
    if configured.is_empty() {
        return Ok(Err(skip(format!("files.{group} lists no bucket prefix"))));
    }
    if !configured.contains(&url) {
        let listed: Vec<String> = configured.iter().map(|u| u.to_string()).collect();
        return Ok(Err(skip(format!(
            "files.{group} does not list {url} (it lists {})",
            listed.join(", ")
        ))));
    }
    Ok(Ok(BucketPlan {
        group: group.clone(),
        url: url.to_string(),
        file: archive.file.clone(),
        objects: archive.objects.len() as u64,
        bytes: archive.object_bytes(),
        changes: None,
        archive: archive.clone(),
        actions: Vec::new(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::restore::groups::GroupSource;
    use crate::snapshot::manifest::BucketObject;

    fn archive(url: &str, key: &str) -> BucketArchive {
        BucketArchive {
            group: "images".into(),
            url: url.into(),
            file: "files/images.bucket-1.tar.zst".into(),
            bytes: 10,
            sha256: "00".into(),
            objects: vec![BucketObject {
                key: key.into(),
                bytes: 4,
                sha256: "11".into(),
                etag: None,
            }],
        }
    }

    fn images(entries: &[&str]) -> Vec<Group> {
        vec![Group {
            name: "images".into(),
            tables: Vec::new(),
            folders: entries.iter().map(Utf8PathBuf::from).collect(),
            source: GroupSource::Config,
            uninferred: Vec::new(),
        }]
    }

    #[test]
    fn objects_go_back_only_to_a_prefix_configured_now() {
        let groups = images(&["public/uploads", "s3://app-uploads/images/"]);
        let plan = place(&archive("s3://app-uploads/images", "a.png"), &groups)
            .unwrap()
            .unwrap();
        assert_eq!((plan.objects, plan.bytes), (1, 4));
        let skipped = place(&archive("s3://app-uploads/other", "a.png"), &groups)
            .unwrap()
            .unwrap_err();
        assert_eq!(
            skipped.reason,
            "files.images does not list s3://app-uploads/other (it lists s3://app-uploads/images)"
        );
        let skipped = place(
            &archive("s3://app-uploads/images", "a.png"),
            &images(&["public/uploads"]),
        )
        .unwrap()
        .unwrap_err();
        assert_eq!(skipped.reason, "files.images lists no bucket prefix");
    }

    #[test]
    fn a_damaged_manifest_refuses_the_restore() {
        let groups = images(&["s3://app-uploads/images/"]);
        let err = place(&archive("s3://app-uploads/images", "../x"), &groups).unwrap_err();
        assert!(err.to_string().contains("outside the prefix"), "{err}");
        let err = place(&archive("https://x/y", "a"), &groups).unwrap_err();
        assert!(err.to_string().contains("s3://"), "{err}");
    }
}
