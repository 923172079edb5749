//! Images in buckets: `files.images = ["s3://…/images/"]` against a real S3 server (moto). A
//! snapshot copies the objects into itself; `restore --only images` puts back what was
//! deleted (merge), overwrites what changed (upsert), deletes what is new (replace), only
//! under the recorded prefix; `--skip-images` and `--dry-run` leave the bucket alone; an
//! unreachable bucket keeps no snapshot; a pushed snapshot carries the objects, encrypted too.

use sha2::{Digest, Sha256};

use crate::support::project::Run;
use crate::support::s3::{TestBucket, assert_no_secret_in_files};
use crate::support::{TempProject, TestDb};

mod push;
mod restore;

/// A seeded project whose `files.images` names a prefix of a bucket of its own.
struct Setup {
    project: TempProject,
    db: TestDb,
    bucket: TestBucket,
}

/// The objects put before the snapshot: a small one, one in a sub-folder, and one larger than
/// a multipart part (restored by a multipart upload).
const BIG: usize = 9 << 20;

impl Setup {
    async fn new() -> Setup {
        let (project, db) = (TempProject::new(), TestDb::new().await);
        project.seeded(&db).await;
        let bucket = TestBucket::new();
        project.configure_images(&[&bucket.url("images/")]);
        Setup {
            project,
            db,
            bucket,
        }
    }

    /// Puts the objects the tests start from, and one outside the prefix.
    async fn put_objects(&self) {
        self.bucket.put("images/a.png", b"png-bytes".to_vec()).await;
        self.bucket.put("images/b/c.jpg", vec![7u8; 1000]).await;
        self.bucket.put("images/big.bin", big()).await;
        self.bucket
            .put("other/keep.txt", b"not ours".to_vec())
            .await;
    }

    /// Runs the binary with the database and the bucket's AWS variables; no stream may hold
    /// the secret key.
    fn run_in(&self, project: &TempProject, args: &[&str]) -> Run {
        self.bucket.run(project, &self.db.url(), args)
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_in(&self.project, args)
    }
}

/// The large object's bytes: not all equal, so a shifted or truncated copy shows.
fn big() -> Vec<u8> {
    (0..BIG).map(|i| (i % 251) as u8).collect()
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
