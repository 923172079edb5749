//! `cargo xtask hooks install|uninstall|status`: idempotent, only ours removed, a foreign hook
//! kept with `--force` and still run, `core.hooksPath`, a project in a subfolder.

use camino::Utf8Path;

use super::{Repo, UNREACHABLE, git, install, up_to_date_db};

#[test]
fn a_foreign_hook_is_kept_only_with_force_and_still_runs() {
    let repo = Repo::new();
    let hook = repo.hook_path();
    let marker = repo.top.join("foreign-ran");
    let foreign =
        format!("#!/bin/sh\n# the team's own hook\necho \"$@\" > '{marker}'\ncat >> '{marker}'\n");
    std::fs::write(&hook, &foreign).unwrap();
    make_executable(&hook);

    // Without --force: refused, left as is.
    let run = install(&repo, &[]);
    run.assert_code(1);
    assert!(
        run.stderr()
            .contains("was not written by prisma-guard; it was left as is"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr()
            .contains("hint: `cargo xtask hooks install --force` keeps it")
    );
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), foreign);

    // With --force: kept beside ours as pre-push.local.
    let run = install(&repo, &["--force"]);
    run.assert_code(0);
    assert!(
        run.stdout().contains(
            "the hook that was there is kept as .git/hooks/pre-push.local; ours runs it first"
        ),
        "{}",
        run.stdout()
    );
    let kept = hook.with_file_name("pre-push.local");
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), foreign);
    assert!(
        std::fs::read_to_string(&hook)
            .unwrap()
            .contains(prisma_guard::workflows::hooks::MARKER)
    );
    let status = repo.xtask(&["hooks", "status"], &[]);
    status.assert_code(0);
    assert!(
        status
            .stdout()
            .contains("pre-push hook: installed at .git/hooks/pre-push")
            && status
                .stdout()
                .contains("chained: .git/hooks/pre-push.local runs first"),
        "{}",
        status.stdout()
    );

    // It still runs, with git's arguments and stdin.
    std::fs::write(repo.work.join("NOTES.md"), "x\n").unwrap();
    repo.commit("notes");
    let run = repo.push(UNREACHABLE, &["-q", "origin", "main"]);
    run.assert_code(0);
    let seen = std::fs::read_to_string(&marker).expect("the foreign hook ran");
    let head = repo.local_commit("HEAD");
    assert!(
        seen.starts_with(&format!("origin {}\n", repo.remote)),
        "{seen}"
    );
    assert!(
        seen.contains(&format!("refs/heads/main {head} refs/heads/main ")),
        "{seen}"
    );
    assert_eq!(repo.remote_commit("main"), Some(head));

    // Its failure fails the push.
    std::fs::write(&kept, "#!/bin/sh\necho 'the team says no' >&2\nexit 3\n").unwrap();
    std::fs::write(repo.work.join("NOTES.md"), "y\n").unwrap();
    repo.commit("more notes");
    let before = repo.remote_commit("main");
    let run = repo.push(UNREACHABLE, &["-q", "origin", "main"]);
    assert_ne!(run.code(), 0);
    assert!(
        run.stderr().contains("the team says no"),
        "{}",
        run.stderr()
    );
    assert_eq!(repo.remote_commit("main"), before);
    std::fs::write(&kept, &foreign).unwrap();

    // Uninstall removes ours and puts the foreign hook back.
    let run = repo.xtask(&["hooks", "uninstall"], &[]);
    run.assert_code(0);
    assert!(
        run.stdout()
            .contains("put .git/hooks/pre-push.local back as .git/hooks/pre-push"),
        "{}",
        run.stdout()
    );
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), foreign);
    assert!(!kept.exists());
    let run = repo.xtask(&["hooks", "uninstall"], &[]);
    run.assert_code(0);
    assert!(
        run.stdout()
            .contains("the pre-push hook there is not ours; it was left as is"),
        "{}",
        run.stdout()
    );
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), foreign);
}

#[test]
fn install_is_idempotent_and_uninstall_removes_only_ours() {
    let repo = Repo::new();
    let hook = repo.hook_path();
    let run = repo.xtask(&["hooks", "status"], &[]);
    run.assert_code(0);
    assert!(
        run.stdout().starts_with("pre-push hook: not installed"),
        "{}",
        run.stdout()
    );

    let run = install(&repo, &[]);
    run.assert_code(0);
    assert_eq!(
        run.stdout(),
        "installed the pre-push hook at .git/hooks/pre-push\n"
    );
    let first = std::fs::read_to_string(&hook).unwrap();
    assert!(first.starts_with("#!/bin/sh\n"));
    assert!(is_executable(&hook));
    let run = install(&repo, &[]);
    run.assert_code(0);
    assert_eq!(
        run.stdout(),
        "the pre-push hook is already installed at .git/hooks/pre-push\n"
    );
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), first);
    let entries: Vec<String> = hook
        .parent()
        .unwrap()
        .read_dir_utf8()
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string())
        .filter(|n| !n.ends_with(".sample"))
        .filter(|n| n.starts_with("pre-push") || n.contains("xtask"))
        .collect();
    assert_eq!(entries, ["pre-push"], "nothing else is left beside it");

    // An older version of ours is updated in place.
    std::fs::write(&hook, first.replace("cargo xtask", "cargo  xtask")).unwrap();
    let status = repo.xtask(&["hooks", "status"], &[]);
    assert!(
        status.stdout().contains("from another version"),
        "{}",
        status.stdout()
    );
    install(&repo, &[]).assert_code(0);
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), first);

    let run = repo.xtask(&["hooks", "uninstall"], &[]);
    run.assert_code(0);
    assert_eq!(
        run.stdout(),
        "removed the pre-push hook .git/hooks/pre-push\n"
    );
    assert!(!hook.exists());
    let run = repo.xtask(&["hooks", "uninstall"], &[]);
    run.assert_code(0);
    assert_eq!(
        run.stdout(),
        "the pre-push hook is not installed at .git/hooks/pre-push\n"
    );
}

#[tokio::test]
async fn core_hooks_path_is_respected() {
    let repo = Repo::new();
    let db = up_to_date_db(&repo).await;
    git(&repo.top, &["config", "core.hooksPath", ".githooks"]);
    let run = install(&repo, &[]);
    run.assert_code(0);
    assert_eq!(
        run.stdout(),
        "installed the pre-push hook at .githooks/pre-push\n"
    );
    assert!(repo.top.join(".githooks/pre-push").is_file());
    assert!(!repo.hook_path().exists());
    let status = repo.xtask(&["hooks", "status"], &[]);
    assert!(
        status
            .stdout()
            .contains("pre-push hook: installed at .githooks/pre-push (core.hooksPath)"),
        "{}",
        status.stdout()
    );

    // git runs it from there.
    let name = repo.migration_name(3);
    repo.edit_migration(&name);
    repo.commit("edit");
    let run = repo.push(&db.url(), &["-q", "origin", "main"]);
    assert_ne!(run.code(), 0);
    assert!(run.stderr().contains(&name), "{}", run.stderr());
}

#[tokio::test]
async fn a_project_in_a_subfolder_of_the_repository() {
    let repo = Repo::with_subdir(Some("apps/shop"));
    let db = up_to_date_db(&repo).await;
    let run = install(&repo, &[]);
    run.assert_code(0);
    let hook = std::fs::read_to_string(repo.hook_path()).unwrap();
    assert!(hook.contains("cd 'apps/shop' || exit 1\n"), "{hook}");

    // A new migration: the database in the subfolder's project is behind, so it snapshots there.
    repo.write_migration("20250101000000_sub", "SELECT 1;\n");
    repo.commit("new migration");
    let run = repo.push(&db.url(), &["-q", "origin", "main"]);
    run.assert_code(0);
    assert_eq!(repo.snapshots().len(), 1, "{}", run.stderr());

    // An edit is found with the subfolder's path.
    let name = repo.migration_name(0);
    repo.edit_migration(&name);
    repo.commit("edit");
    let run = repo.push(&db.url(), &["-q", "origin", "main"]);
    assert_ne!(run.code(), 0);
    assert!(
        run.stderr().contains(&format!(
            "{name} (edited: migration.sql) on refs/heads/main"
        )),
        "{}",
        run.stderr()
    );
}

#[cfg(unix)]
fn make_executable(path: &Utf8Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(unix)]
fn is_executable(path: &Utf8Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o111 != 0
}
