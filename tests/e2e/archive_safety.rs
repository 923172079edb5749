//! A restore from an edited or hostile snapshot writes nothing outside the configured upload
//! folders, never through or over a symlink, and changes nothing in the database when it
//! refuses; `snapshots verify` names what was edited. Each test takes a real snapshot of the
//! seeded fixture with `files.images = ["public/uploads"]`, empties `SystemPrompt` (so a
//! restore that ran would show), then edits the snapshot or the project.

mod setup;

use std::os::unix::fs::symlink;

use setup::{Entry, Setup};

use crate::support::TempProject;

#[track_caller]
fn assert_has(text: &str, expected: &str) {
    assert!(text.contains(expected), "expected {expected:?} in:\n{text}");
}

/// The entries a hostile manifest would write if its folder held the whole project.
fn hostile() -> Vec<Entry> {
    vec![
        Entry::Dir(".git/hooks"),
        Entry::File(".git/hooks/pre-commit", b"#!/bin/sh\necho owned\n", 0o755),
        Entry::File(
            ".cargo/config.toml",
            b"[build]\nrustc-wrapper = \"/tmp/x\"\n",
            0o644,
        ),
        Entry::File("Cargo.toml", b"[workspace]\n", 0o644),
    ]
}

#[tokio::test]
async fn an_unsafe_archive_folder_refuses_the_restore() {
    let s = Setup::new().await;
    let outside = s.outside.to_string();
    for (folder, problem) in [
        ("", "is empty"),
        (".", "is the project root itself"),
        (outside.as_str(), "is absolute"),
        ("../outside", "climbs out of the project with `..`"),
        (
            "public/uploads/../..",
            "climbs out of the project with `..`",
        ),
    ] {
        s.replace_archive(&hostile(), &[folder]);
        let (tree, counts) = (s.tree(), s.counts().await);
        for mode in ["merge", "upsert"] {
            let run = s.restore(&["--mode", mode]);
            run.assert_code(1);
            assert_has(
                &run.stderr(),
                &format!(
                    "error: the manifest gives files/images.tar.zst the folder `{folder}`, which {problem}\nhint: nothing was changed; this snapshot's manifest or archive was edited or damaged (`cargo xtask snapshots verify` names the problems), restore an older snapshot\n"
                ),
            );
            assert_eq!(s.tree(), tree, "{folder:?}, {mode}: the project changed");
            assert_eq!(
                s.counts().await,
                counts,
                "{folder:?}, {mode}: the database changed"
            );
        }
        s.assert_outside_empty();
        assert_eq!(s.counts().await["SystemPrompt"], 0);
        let verify = s.verify();
        verify.assert_code(1);
        assert_has(
            &verify.stdout(),
            &format!(
                "  files/images.tar.zst: the folder `{folder}` {problem}; a restore extracts only into relative folders inside the project\n"
            ),
        );
    }
    assert_eq!(
        s.project.snapshots().len(),
        1,
        "no safety snapshot was taken"
    );
}

#[tokio::test]
async fn an_archive_from_another_folder_is_skipped_loudly() {
    let s = Setup::new().await;
    s.replace_archive(&hostile()[..2], &[".git/hooks"]);
    let tree = s.tree();
    let run = s.restore(&[]);
    run.assert_code(0);
    assert_has(
        &run.stdout(),
        "files       images: NOT restored, its folder .git/hooks is not in files.images (which lists public/uploads); its 1 file(s) are left out\n",
    );
    assert_eq!(s.tree(), tree, "nothing was extracted");
    assert!(!s.project.root.join(".git/hooks/pre-commit").exists());
    // The tables are restored as the plan says; only the archive is left out.
    assert_eq!(s.counts().await["SystemPrompt"], 4);

    let run = s.restore(&["--dry-run", "--json"]);
    run.assert_code(0);
    let report = run.json();
    assert_eq!(report["files"], serde_json::json!([]), "{report:#}");
    assert_eq!(
        report["skipped_files"][0]["reason"],
        "its folder .git/hooks is not in files.images (which lists public/uploads)"
    );
    // The snapshot is intact (its folder is a safe one); only the configuration disagrees.
    s.verify().assert_code(0);
}

#[tokio::test]
async fn links_and_special_entries_are_refused() {
    let s = Setup::new().await;
    for (entry, what) in [
        (
            Entry::Symlink("public/uploads/evil", s.outside.to_string()),
            "a symlink",
        ),
        (
            Entry::HardLink("public/uploads/evil", "public/uploads/a.png"),
            "a hard link",
        ),
    ] {
        let entries = [
            Entry::Dir("public/uploads"),
            entry,
            Entry::File("public/uploads/evil/x.png", b"x", 0o644),
        ];
        s.replace_archive(&entries, &["public/uploads"]);
        let (tree, counts) = (s.tree(), s.counts().await);
        let run = s.restore(&["--mode", "upsert"]);
        run.assert_code(1);
        assert_has(
            &run.stderr(),
            &format!(
                "error: {} holds public/uploads/evil, {what}; a restore writes only regular files and folders\n",
                s.archive()
            ),
        );
        assert_eq!(s.tree(), tree);
        assert_eq!(s.counts().await, counts);
        s.assert_outside_empty();
        let verify = s.verify();
        verify.assert_code(1);
        assert_has(
            &verify.stdout(),
            &format!(
                "  files/images.tar.zst: holds public/uploads/evil, {what}; only regular files and folders are restored\n"
            ),
        );
    }
    assert_eq!(s.counts().await["SystemPrompt"], 0);
}

#[tokio::test]
async fn nothing_is_written_through_a_symlinked_folder() {
    let s = Setup::new().await;
    let folder = s.project.root.join("public/uploads/2024");
    std::fs::remove_dir_all(&folder).unwrap();
    symlink(&s.outside, &folder).unwrap();
    let (tree, counts) = (s.tree(), s.counts().await);
    // Merge keeps the link itself (an entry that exists) and refuses the file below it; replace
    // refuses the link where the archive holds a folder.
    for (mode, entry) in [
        ("merge", "public/uploads/2024/cat.png"),
        ("replace", "public/uploads/2024"),
    ] {
        let run = s.restore(&["--mode", mode]);
        run.assert_code(1);
        assert_has(
            &run.stderr(),
            &format!(
                "error: cannot restore {entry} from {}: public/uploads/2024 is a symlink; a restore never writes through or over one\nhint: nothing was changed (uploads are checked before the database is touched); move public/uploads/2024 out of the way and restore again, or leave the uploads out with --skip images\n",
                s.archive()
            ),
        );
        assert_eq!(s.tree(), tree);
        assert_eq!(s.counts().await, counts);
        s.assert_outside_empty();
    }
    assert_eq!(
        s.project.snapshots().len(),
        1,
        "no safety snapshot was taken"
    );
    // The snapshot is intact: what stops the restore is in the project.
    s.verify().assert_code(0);
    // Leaving the uploads out restores the tables.
    s.restore(&["--skip", "images"]).assert_code(0);
    assert_eq!(s.counts().await["SystemPrompt"], 4);
    s.assert_outside_empty();
}

#[tokio::test]
async fn merge_keeps_a_dangling_symlink_and_overwriting_refuses_it() {
    let s = Setup::new().await;
    let dog = s.project.root.join("public/uploads/dog.jpg");
    std::fs::remove_file(&dog).unwrap();
    symlink(s.outside.join("dog.jpg"), &dog).unwrap();
    let (tree, counts) = (s.tree(), s.counts().await);

    let run = s.restore(&["--mode", "upsert"]);
    run.assert_code(1);
    assert_has(
        &run.stderr(),
        &format!(
            "error: cannot restore public/uploads/dog.jpg from {}: public/uploads/dog.jpg is a symlink; a restore never writes through or over one\n",
            s.archive()
        ),
    );
    assert_eq!(s.tree(), tree);
    assert_eq!(s.counts().await, counts);
    s.assert_outside_empty();

    let run = s.restore(&[]);
    run.assert_code(0);
    assert_has(
        &run.stdout(),
        "files images: 0 written, 3 already there (kept)\n",
    );
    assert_eq!(
        s.tree(),
        tree,
        "merge replaces nothing, a dangling link included"
    );
    s.assert_outside_empty();
    assert_eq!(s.counts().await["SystemPrompt"], 4);
}

#[tokio::test]
async fn an_edited_row_count_stops_the_restore() {
    let s = Setup::new().await;
    let original = std::fs::read(s.snapshot.join("manifest.json")).unwrap();
    let set_rows = |table: &str, rows: u64| {
        s.edit_manifest(|m| {
            let tables = m["tables"].as_array_mut().unwrap();
            let entry = tables.iter_mut().find(|t| t["name"] == table).unwrap();
            entry["rows"] = rows.into();
        })
    };
    // SystemPrompt is empty: copied straight; User is not: through a staging table.
    for (table, real, edited) in [("SystemPrompt", 4, 5), ("User", 6, 3)] {
        std::fs::write(s.snapshot.join("manifest.json"), &original).unwrap();
        set_rows(table, edited);
        let (tree, counts) = (s.tree(), s.counts().await);
        let run = s.restore(&["--no-safety-snapshot"]);
        run.assert_code(1);
        assert_has(
            &run.stderr(),
            &format!(
                "error: table {table}: its data file data/public.{table}.csv.zst holds {real} rows, the manifest says {edited}\nhint: nothing was changed (the restore runs in one transaction); this snapshot cannot be trusted (`cargo xtask snapshots verify` names the problems), restore an older one\n"
            ),
        );
        assert_eq!(s.counts().await, counts, "{table}: rolled back");
        assert_eq!(s.tree(), tree, "{table}: no file was extracted");
        let verify = s.verify();
        verify.assert_code(1);
        assert_has(
            &verify.stdout(),
            &format!("  data/public.{table}.csv.zst: {real} rows, manifest says {edited}\n"),
        );
    }
    assert_eq!(s.counts().await["SystemPrompt"], 0);
}

#[tokio::test]
async fn a_table_renamed_in_the_manifest_refuses_the_restore() {
    let s = Setup::new().await;
    s.edit_manifest(|m| {
        let tables = m["tables"].as_array_mut().unwrap();
        let entry = tables
            .iter_mut()
            .find(|t| t["name"] == "SystemPrompt")
            .unwrap();
        entry["name"] = "SystemPrompts".into();
    });
    let (tree, counts) = (s.tree(), s.counts().await);
    let run = s.restore(&[]);
    run.assert_code(1);
    assert_has(
        &run.stdout(),
        "\nnot in the live schema (the restore refuses until they are left out with --exclude):\n  SystemPrompts: 4 row(s) in the snapshot, no such table now\n",
    );
    assert_has(
        &run.stderr(),
        "error: the snapshot holds tables the live schema does not have: SystemPrompts (4 rows) (dropped or renamed since the snapshot?)\nhint: nothing was changed; leave them out with --exclude SystemPrompts to restore the rest\n",
    );
    assert_eq!(s.counts().await, counts);
    assert_eq!(s.tree(), tree);
    let verify = s.verify();
    verify.assert_code(1);
    assert_has(
        &verify.stdout(),
        "  manifest.json: the fingerprint differs from the tables listed: a table's name, columns or content sha256 was edited\n",
    );

    // Left out explicitly, it is a skipped table that says why.
    let run = s.restore(&["--exclude", "SystemPrompts", "--json"]);
    run.assert_code(0);
    let report = run.json();
    let skipped = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "SystemPrompts")
        .unwrap_or_else(|| panic!("not skipped: {report:#}"));
    assert_eq!(
        skipped["reason"],
        "excluded (--exclude); not in the live schema"
    );
    assert_eq!(report["missing"], serde_json::json!([]));
    assert_eq!(
        s.counts().await["SystemPrompt"],
        0,
        "nothing restored into it"
    );
}

#[tokio::test]
async fn an_upload_folder_outside_the_project_is_a_config_error() {
    let project = TempProject::new();
    project.configure_images(&["public/uploads", "../shared/uploads"]);
    let run = project.xtask_with_env(&["status"], &[]);
    run.assert_code(1);
    assert_has(
        &run.stderr(),
        &format!(
            "error: invalid configuration in {}/Cargo.toml: files.images: the folder `../shared/uploads` climbs out of the project with `..`\nhint: an upload folder is a relative path inside the project root, without `..` (such as \"public/uploads\")\n",
            project.root
        ),
    );
}
