//! The remote store against a real S3-compatible server (moto): push, list, pull, restore
//! from a fresh store, interrupted pushes, encryption, remote prune; no credential in any
//! output or file.

use crate::support::project::Run;
use crate::support::s3::{TestBucket, assert_no_secret, assert_no_secret_in_files};
use crate::support::{TempProject, TestDb};

mod encrypted;
mod interrupted;
mod prune;
mod round_trip;

/// A seeded project and database, and a bucket of their own.
struct Setup {
    project: TempProject,
    db: TestDb,
    bucket: TestBucket,
}

impl Setup {
    async fn new() -> Setup {
        let (project, db) = (TempProject::new(), TestDb::new().await);
        project.seeded(&db).await;
        Setup {
            project,
            db,
            bucket: TestBucket::new(),
        }
    }

    /// The remote URL the tests push to.
    fn url(&self) -> String {
        self.bucket.url("app/dev")
    }

    /// Runs the binary in `project` with the database and the bucket's AWS variables set, and
    /// checks that the secret key appears in neither stream.
    fn run_in(&self, project: &TempProject, args: &[&str]) -> Run {
        self.bucket.run(project, &self.db.url(), args)
    }

    /// [`Setup::run_in`] the setup's own project.
    fn run(&self, args: &[&str]) -> Run {
        self.run_in(&self.project, args)
    }

    /// `snapshot`, returning the new id.
    fn snapshot(&self) -> String {
        self.run(&["snapshot"]).assert_code(0);
        self.project.snapshots().pop().unwrap().manifest.id
    }
}

/// Appends keys to `[workspace.metadata.prisma-guard]` of the project's Cargo.toml (a table
/// the fixture's manifest does not have yet).
fn configure(project: &TempProject, keys: &str) {
    let manifest = project.root.join("Cargo.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text += &format!("\n[workspace.metadata.prisma-guard]\n{keys}\n");
    std::fs::write(manifest, text).unwrap();
}

/// The remote ids `snapshots --json` lists, with where each is.
fn listed(run: &Run) -> Vec<(String, String)> {
    run.json()["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["where"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}
