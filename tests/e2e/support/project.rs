//! A temp copy of the fixture app, and running the real `xtask` binary against it.

use std::process::{Command, Output};

use camino::{Utf8Path, Utf8PathBuf};
use prisma_guard::migrations::{LocalMigration, read_folder};

use super::TestDb;

/// The fixture's tables the seed fills (all but `_prisma_migrations`), in name order.
pub const SEEDED: [&str; 10] = [
    "Carousel",
    "Comment",
    "Image",
    "PageView",
    "Post",
    "Product",
    "SystemPrompt",
    "Tag",
    "User",
    "_PostToTag",
];

/// The example Prisma app the tests use.
pub const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../crates/prisma-guard/example-app"
);

/// The fixture shaped like a real app whose migrations insert rows (`tests/fixtures/seeded-app`).
pub const SEEDED_APP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/seeded-app");

/// A copy of the fixture app in a temp folder, with a Cargo workspace manifest at its root.
pub struct TempProject {
    _dir: tempfile::TempDir,
    /// The project root.
    pub root: Utf8PathBuf,
}

impl TempProject {
    /// Copies the example app (`crates/prisma-guard/example-app`) into a new temp folder.
    pub fn new() -> TempProject {
        TempProject::from_fixture(FIXTURE)
    }

    /// Copies the fixture app at `fixture` (a folder with `prisma/`, such as [`SEEDED_APP`]) into
    /// a new temp folder, with a Cargo workspace manifest at its root.
    pub fn from_fixture(fixture: &str) -> TempProject {
        let dir = tempfile::tempdir().expect("creating a temp folder");
        let root = Utf8PathBuf::from_path_buf(dir.path().to_path_buf()).unwrap();
        copy_dir(Utf8Path::new(fixture), &root);
        std::fs::write(root.join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
        TempProject { _dir: dir, root }
    }

    /// `<root>/prisma/migrations`.
    pub fn migrations_dir(&self) -> Utf8PathBuf {
        self.root.join("prisma/migrations")
    }

    /// The fixture's migrations as the library reads them.
    pub fn migrations(&self) -> Vec<LocalMigration> {
        read_folder(&self.migrations_dir()).expect("reading the fixture migrations")
    }

    /// The folder name of the `index`-th migration (0-based).
    pub fn migration_name(&self, index: usize) -> String {
        self.migrations()[index].name.clone()
    }

    /// The path of the `index`-th migration.sql.
    pub fn script(&self, index: usize) -> Utf8PathBuf {
        self.migrations()[index].script_path.clone()
    }

    /// The default snapshot store, `<root>/backups`.
    pub fn backups_dir(&self) -> Utf8PathBuf {
        self.root.join("backups")
    }

    /// The complete snapshots in the store, oldest first.
    pub fn snapshots(&self) -> Vec<prisma_guard::snapshot::StoredSnapshot> {
        prisma_guard::snapshot::list(&self.backups_dir()).expect("listing snapshots")
    }

    /// Entries of the store other than complete snapshots (temporary folders left behind).
    pub fn leftovers(&self) -> Vec<String> {
        let Ok(read) = self.backups_dir().read_dir_utf8() else {
            return Vec::new();
        };
        read.map(|e| e.unwrap().file_name().to_string())
            // The store's own files are not leftovers: its .gitignore, the lock, the run record.
            .filter(|name| {
                name.starts_with('.')
                    && ![".gitignore", ".lock", ".schedule.json"].contains(&name.as_str())
            })
            .collect()
    }

    /// Applies the first 4 migrations and the seed data: the state the seed targets.
    pub async fn seeded(&self, db: &TestDb) {
        db.deploy(&self.migrations(), 4).await;
        let seed = std::fs::read_to_string(self.root.join("seed.sql")).unwrap();
        db.execute(&seed).await;
    }

    /// The "`prisma migrate reset`" situation: drops and recreates the `public` schema, then
    /// applies all 7 fixture migrations.
    pub async fn wipe_and_migrate(&self, db: &TestDb) {
        db.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
            .await;
        db.deploy(&self.migrations(), 7).await;
    }

    /// Appends `[workspace.metadata.prisma-guard.files]` with `images = [<folders>]` to Cargo.toml.
    pub fn configure_images(&self, folders: &[&str]) {
        let manifest = self.root.join("Cargo.toml");
        let mut text = std::fs::read_to_string(&manifest).unwrap();
        let list = folders
            .iter()
            .map(|f| format!("{f:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        text += &format!("\n[workspace.metadata.prisma-guard.files]\nimages = [{list}]\n");
        std::fs::write(manifest, text).unwrap();
    }

    /// Adds `keys` (TOML lines) to `[workspace.metadata.prisma-guard]` in Cargo.toml (the table
    /// is created on first use; later calls add to it).
    pub fn configure(&self, keys: &str) {
        let manifest = self.root.join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).unwrap();
        let header = "\n[workspace.metadata.prisma-guard]\n";
        let text = match text.contains(header) {
            true => text.replacen(header, &format!("{header}{keys}\n"), 1),
            false => format!("{text}{header}{keys}\n"),
        };
        std::fs::write(manifest, text).unwrap();
    }

    /// Writes the app's `package.json`, naming `prisma` at `version` in its devDependencies,
    /// with `extra` (JSON members, e.g. `"prisma": {…}`) after them.
    pub fn package_json(&self, version: &str, extra: &str) {
        let extra = if extra.is_empty() {
            String::new()
        } else {
            format!(",\n  {extra}")
        };
        let text = format!(
            "{{\n  \"name\": \"example-app\",\n  \"private\": true,\n  \"devDependencies\": {{ \"prisma\": \"{version}\" }}{extra}\n}}\n"
        );
        std::fs::write(self.root.join("package.json"), text).unwrap();
    }

    /// Adds a migration folder with `sql` as its migration.sql.
    pub fn add_migration(&self, name: &str, sql: &str) {
        let dir = self.migrations_dir().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("migration.sql"), sql).unwrap();
    }

    /// Runs the real binary in the project root with `DATABASE_URL` set to `db`'s URL.
    pub fn xtask(&self, db: &TestDb, args: &[&str]) -> Run {
        self.xtask_with_env(args, &[("DATABASE_URL", &db.url())])
    }

    /// Runs the real binary in the project root with only the given variables of ours set.
    pub fn xtask_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        Run(self.command(args, env).output().expect("running xtask"))
    }

    /// The real binary as a command, run in the project root with our variables cleared and
    /// `env` set; for tests that spawn it and watch it run.
    pub fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
        command
            .args(args)
            .current_dir(&self.root)
            .env_remove("DATABASE_URL")
            .env_remove("DIRECT_URL")
            .env("NO_COLOR", "1");
        for (key, value) in env {
            command.env(key, value);
        }
        command
    }
}

/// Copies the folder `from` to `to`, recursively.
pub fn copy_dir(from: &Utf8Path, to: &Utf8Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in from.read_dir_utf8().unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The outcome of one run of the binary.
pub struct Run(pub Output);

impl Run {
    /// The exit code.
    pub fn code(&self) -> i32 {
        self.0.status.code().expect("xtask exited normally")
    }

    /// Standard output as text.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    /// Standard error as text.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }

    /// Standard output parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.0.stdout).unwrap_or_else(|e| {
            panic!(
                "{e}: stdout is not JSON:\n{}\n{}",
                self.stdout(),
                self.stderr()
            )
        })
    }

    /// Panics with both streams unless the exit code is `code`.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code(),
            code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
}
