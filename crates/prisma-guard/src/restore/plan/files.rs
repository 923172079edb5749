//! Where a snapshot's upload archives may go: only into the folders configured now. An archive
//! is planned when every folder the manifest lists for it is one of its group's folders in
//! `files.<group>` today; otherwise it is skipped, with the reason naming the folder. A folder
//! that is not a relative path inside the project root refuses the restore (the manifest was
//! edited or damaged).

use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;

use super::FilePlan;
use crate::restore::RestoreError;
use crate::restore::groups::Group;
use crate::snapshot::archive::paths::plain_folder;
use crate::snapshot::manifest::FileArchive;

/// An upload archive the restore leaves out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedFiles {
    /// The group.
    pub group: String,
    /// The archive, relative to the snapshot folder.
    pub file: Utf8PathBuf,
    /// The folders the manifest lists for it.
    pub folders: Vec<Utf8PathBuf>,
    /// Files in it.
    pub entries: u64,
    /// Why, in words: `files.images is not configured`, `its folder x is not in files.images
    /// (which lists public/uploads)`.
    pub reason: String,
}

/// Plans one archive against the groups' configured folders: `Ok(Ok(plan))` to extract,
/// `Ok(Err(skipped))` to leave out.
///
/// Errors with [`RestoreError::UnsafeFolder`] for a folder that is empty, absolute, `.` or has
/// `..`.
pub(super) fn place(
    archive: &FileArchive,
    groups: &[Group],
) -> Result<Result<FilePlan, SkippedFiles>, RestoreError> {
    let mut folders = Vec::with_capacity(archive.folders.len());
    for folder in &archive.folders {
        let plain = plain_folder(folder).map_err(|problem| RestoreError::UnsafeFolder {
            archive: archive.file.clone(),
            folder: folder.clone(),
            problem,
        })?;
        folders.push(plain);
    }
    let group = &archive.group;
    let configured: Vec<Utf8PathBuf> = groups
        .iter()
        .find(|g| &g.name == group)
        .map(|g| {
            g.folders
                .iter()
                .filter(|f| !crate::remote::RemoteUrl::is_remote(f.as_str()))
                .filter_map(|f| plain_folder(f).ok())
                .collect()
        })
        .unwrap_or_default();
    let skip = |reason: String| SkippedFiles {
        group: group.clone(),
        file: archive.file.clone(),
        folders: archive.folders.clone(),
        entries: archive.entries,
        reason,
    };
    if configured.is_empty() {
        return Ok(Err(skip(format!("files.{group} is not configured"))));
    }
    if let Some(other) = folders.iter().find(|f| !configured.contains(f)) {
        return Ok(Err(skip(format!(
            "its folder {other} is not in files.{group} (which lists {})",
            list(&configured)
        ))));
    }
    Ok(Ok(FilePlan {
        group: group.clone(),
        file: archive.file.clone(),
        folders,
        entries: archive.entries,
        bytes: archive.bytes,
        sha256: archive.sha256.clone(),
    }))
}

fn list(folders: &[Utf8PathBuf]) -> String {
    folders
        .iter()
        .map(|f| Utf8Path::as_str(f))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::restore::groups::GroupSource;
    use crate::snapshot::archive::paths::FolderProblem;

    fn archive(folders: &[&str]) -> FileArchive {
        FileArchive {
            group: "images".into(),
            folders: folders.iter().map(Utf8PathBuf::from).collect(),
            file: "files/images.tar.zst".into(),
            entries: 3,
            bytes: 10,
            sha256: "00".into(),
        }
    }

    fn images(folders: &[&str]) -> Vec<Group> {
        vec![Group {
            name: "images".into(),
            tables: Vec::new(),
            folders: folders.iter().map(Utf8PathBuf::from).collect(),
            source: GroupSource::Config,
            uninferred: Vec::new(),
        }]
    }

    #[test]
    fn an_archive_goes_only_into_the_folders_configured_now() {
        let groups = images(&["public/uploads", "./private/docs/"]);
        let plan = place(&archive(&["public/uploads/", "private/docs"]), &groups)
            .unwrap()
            .unwrap();
        assert_eq!(plan.folders, ["public/uploads", "private/docs"]);

        let skipped = place(&archive(&["public/uploads", ".git/hooks"]), &groups)
            .unwrap()
            .unwrap_err();
        assert_eq!(
            skipped.reason,
            "its folder .git/hooks is not in files.images (which lists public/uploads, private/docs)"
        );
        let skipped = place(&archive(&["public/uploads"]), &[])
            .unwrap()
            .unwrap_err();
        assert_eq!(skipped.reason, "files.images is not configured");
        let skipped = place(&archive(&["public/uploads"]), &images(&[]))
            .unwrap()
            .unwrap_err();
        assert_eq!(skipped.reason, "files.images is not configured");
    }

    #[test]
    fn an_unsafe_folder_refuses_the_restore() {
        let groups = images(&["public/uploads"]);
        for (folder, expected) in [
            ("", FolderProblem::Empty),
            (".", FolderProblem::Root),
            ("/etc", FolderProblem::Absolute),
            ("public/uploads/../..", FolderProblem::Climbs),
        ] {
            let err = place(&archive(&["public/uploads", folder]), &groups).unwrap_err();
            assert!(
                matches!(&err, RestoreError::UnsafeFolder { folder: f, problem, .. } if f == folder && *problem == expected),
                "{err}"
            );
        }
        let err = place(&archive(&[""]), &groups).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the manifest gives files/images.tar.zst the folder ``, which is empty"
        );
    }
}
