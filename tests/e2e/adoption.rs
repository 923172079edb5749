//! Adopting the tool as a user does: a new Cargo workspace outside this repository whose xtask
//! is written from the README's own snippets, and `cargo install` of the binary run in a
//! Node-style folder. Both build into one target folder of their own (`target/adoption`),
//! shared between runs, so only the first run compiles the dependencies.

use std::process::{Command, Output};

use camino::{Utf8Path, Utf8PathBuf};

use crate::support::TestDb;
use crate::support::project::{FIXTURE, copy_dir};

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// The fenced code block the README marks with `<!-- adoption: NAME -->`.
fn readme_block(name: &str) -> String {
    let readme = std::fs::read_to_string(format!("{REPO}/README.md")).unwrap();
    let marker = format!("<!-- adoption: {name} -->");
    let after = readme
        .split_once(&marker)
        .unwrap_or_else(|| panic!("the README has no block marked {marker}"))
        .1;
    let body = after.split_once("```").unwrap().1;
    let body = body.split_once('\n').unwrap().1;
    body.split_once("```").unwrap().0.to_string()
}

/// The README's dependency line, pointed at this checkout.
fn with_this_checkout(manifest: &str) -> String {
    let crate_dir = format!("{REPO}/crates/prisma-guard");
    let line = manifest
        .lines()
        .find(|l| l.starts_with("prisma-guard = "))
        .expect("the README's xtask manifest names prisma-guard");
    manifest.replace(line, &format!("prisma-guard = {{ path = {crate_dir:?} }}"))
}

fn write(path: &Utf8Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// `cargo` with our test environment cleared, building offline into `target/adoption`.
fn cargo(dir: &Utf8Path, args: &[&str]) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", format!("{REPO}/target/adoption"))
        .env("CARGO_NET_OFFLINE", "true")
        .env_remove("DATABASE_URL")
        .env_remove("DIRECT_URL")
        .env_remove("RUSTFLAGS")
        .env("NO_COLOR", "1");
    command
}

#[track_caller]
fn succeed(mut command: Command) -> Output {
    let output = command.output().expect("running cargo");
    assert!(
        output.status.success(),
        "{command:?} failed:\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn copy_prisma(to: &Utf8Path) {
    copy_dir(&Utf8PathBuf::from(FIXTURE).join("prisma"), to);
}

#[tokio::test]
async fn a_new_workspace_adds_the_xtask_from_the_readme_and_stays_green() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let root = Utf8Path::from_path(dir.path()).unwrap().join("my-app");
    // The user's app as it was: a workspace with one crate and a Prisma folder.
    write(
        &root.join("Cargo.toml"),
        "[workspace]\nresolver = \"3\"\nmembers = [\"app\", \"xtask\"]\n",
    );
    write(
        &root.join("app/Cargo.toml"),
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    );
    write(
        &root.join("app/src/lib.rs"),
        "pub fn two() -> u8 { 2 }\n\n#[test]\nfn two_is_two() { assert_eq!(two(), 2); }\n",
    );
    copy_prisma(&root.join("prisma"));
    // This checkout's lock file: the same versions, already downloaded and built.
    std::fs::copy(format!("{REPO}/Cargo.lock"), root.join("Cargo.lock")).unwrap();
    // What the README says to add.
    write(
        &root.join("xtask/Cargo.toml"),
        &with_this_checkout(&readme_block("xtask/Cargo.toml")),
    );
    write(
        &root.join("xtask/src/main.rs"),
        &readme_block("xtask/src/main.rs"),
    );
    write(
        &root.join(".cargo/config.toml"),
        &readme_block(".cargo/config.toml"),
    );
    let mut manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    manifest += &readme_block("Cargo.toml");
    write(&root.join("Cargo.toml"), &manifest);
    succeed({
        let mut git = Command::new("git");
        git.args(["init", "-q"]).current_dir(&root);
        git
    });

    let mut status = cargo(&root, &["xtask", "status"]);
    status.env("DATABASE_URL", db.url());
    let out = succeed(status);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("7 pending"), "{stdout}");

    let mut pre_migrate = cargo(&root, &["xtask", "pre-migrate"]);
    pre_migrate.env("DATABASE_URL", db.url());
    let out = succeed(pre_migrate);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("restore with: `cargo xtask restore "),
        "{stdout}"
    );
    // The store keeps itself out of git.
    let ignore = std::fs::read_to_string(root.join("backups/.gitignore")).unwrap();
    assert!(ignore.lines().any(|line| line == "*"), "{ignore}");
    let mut add = Command::new("git");
    add.args(["add", "-A", "--dry-run"]).current_dir(&root);
    let staged = String::from_utf8(succeed(add).stdout).unwrap();
    assert!(!staged.contains("backups"), "{staged}");
    assert!(staged.contains("xtask/src/main.rs"), "{staged}");

    // The app's own tests still build and pass with the xtask in the workspace.
    let out = succeed(cargo(&root, &["test", "--workspace"]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("two_is_two ... ok"), "{stdout}");
}

#[tokio::test]
async fn the_installed_binary_runs_in_a_node_project() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let base = Utf8Path::from_path(dir.path()).unwrap();
    let install_root = base.join("install");
    succeed(cargo(
        Utf8Path::new(REPO),
        &[
            "install",
            "--path",
            "crates/prisma-guard",
            "--root",
            install_root.as_str(),
            "--debug",
            "--locked",
            "--quiet",
        ],
    ));
    let binary = install_root.join("bin/prisma-guard");

    let out = succeed({
        let mut version = Command::new(&binary);
        version.arg("--version");
        version
    });
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("prisma-guard {}\n", env!("CARGO_PKG_VERSION"))
    );

    // A Node-only Prisma app: prisma/ and package.json, no Cargo.toml.
    let app = base.join("node-app");
    copy_prisma(&app.join("prisma"));
    write(
        &app.join("package.json"),
        "{\n  \"name\": \"node-app\",\n  \"scripts\": { \"premigrate\": \"prisma-guard pre-migrate\" }\n}\n",
    );
    write(
        &app.join("prisma-guard.toml"),
        "backups-dir = \".snapshots\"\n",
    );
    let run = |args: &[&str]| {
        let mut command = Command::new(&binary);
        command
            .args(args)
            .current_dir(app.join("prisma"))
            .env("DATABASE_URL", db.url())
            .env("NO_COLOR", "1");
        command
    };
    let out = succeed(run(&["status"]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("7 pending"), "{stdout}");
    let out = succeed(run(&["pre-migrate"]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("restore with: `prisma-guard restore "),
        "{stdout}"
    );
    assert!(app.join(".snapshots/.gitignore").is_file());
    // Its git hook runs this binary, not `cargo xtask` (there is no Cargo workspace here).
    succeed({
        let mut git = Command::new("git");
        git.args(["init", "-q"]).current_dir(&app);
        git
    });
    succeed(run(&["hooks", "install"]));
    let hook = std::fs::read_to_string(app.join(".git/hooks/pre-push")).unwrap();
    assert!(
        hook.contains(&format!("feed | '{binary}' pre-migrate --hook pre-push")),
        "{hook}"
    );
    assert!(!hook.contains("feed | cargo xtask"), "{hook}");

    // The demo carries its example app: it runs from any folder, on a server it is given.
    let admin = crate::support::db::server_url();
    let mut demo = Command::new(&binary);
    demo.args(["demo", "--database-url", &admin])
        .current_dir(base)
        .env_remove("DATABASE_URL");
    let out = succeed(demo);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("$ prisma-guard restore "), "{stdout}");
    assert!(
        stdout.contains("the demo database and its snapshots are removed now"),
        "{stdout}"
    );
}
