//! A real S3-compatible server for the remote-store tests: `moto_server` on a free
//! 127.0.0.1 port, started on first use and stopped when the test process ends (a shell
//! watchdog kills it when our end of its stdin pipe closes), and one fresh bucket per test.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

/// The access key id the tests use.
pub const KEY_ID: &str = "AKIAPRISMAGUARDTEST";
/// The secret key the tests use: no output or file may ever contain it.
pub const SECRET: &str = "moto-secret-7Kq2vXw9Zr4pLm";

/// Panics when stdout or stderr of `run` holds the secret key.
#[track_caller]
pub fn assert_no_secret(run: &crate::support::project::Run) {
    assert!(
        !run.stdout().contains(SECRET) && !run.stderr().contains(SECRET),
        "the secret key was printed:\n{}\n{}",
        run.stdout(),
        run.stderr()
    );
}

/// Panics when any file under `dir` holds the secret key.
pub fn assert_no_secret_in_files(dir: &camino::Utf8Path) {
    let Ok(entries) = dir.read_dir_utf8() else {
        return;
    };
    for entry in entries {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            assert_no_secret_in_files(entry.path());
        } else {
            let bytes = std::fs::read(entry.path()).unwrap();
            assert!(
                !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
                "{} holds the secret key",
                entry.path()
            );
        }
    }
}

struct Moto {
    port: u16,
    /// Held open for the whole process: when it closes, the watchdog stops the server.
    _stdin: Mutex<ChildStdin>,
    _child: Mutex<Child>,
}

fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("finding a free port")
            .port();
        let mut child = Command::new("sh")
            .args([
                "-c",
                "moto_server -H 127.0.0.1 -p \"$1\" >/dev/null 2>&1 & pid=$!; cat >/dev/null; kill $pid",
                "sh",
                &port.to_string(),
            ])
            .stdin(Stdio::piped())
            .spawn()
            .expect("starting moto_server (pip install \"moto[server]\")");
        let stdin = child.stdin.take().unwrap();
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "moto_server did not listen on 127.0.0.1:{port} within 60 s (is it installed? pip install \"moto[server]\")"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            port,
            _stdin: Mutex::new(stdin),
            _child: Mutex::new(child),
        }
    })
}

/// A fresh bucket of its own on the test server.
pub struct TestBucket {
    /// The bucket name.
    pub name: String,
    store: AmazonS3,
}

impl TestBucket {
    /// Creates an empty bucket with a name no other test uses.
    pub fn new() -> TestBucket {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "pg-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let port = moto().port;
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            stream,
            "PUT /{name} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        assert!(
            response.starts_with("HTTP/1.1 200"),
            "creating bucket {name}: {response}"
        );
        let store = AmazonS3Builder::new()
            .with_bucket_name(&name)
            .with_region("us-east-1")
            .with_access_key_id(KEY_ID)
            .with_secret_access_key(SECRET)
            .with_endpoint(endpoint())
            .with_allow_http(true)
            .build()
            .unwrap();
        TestBucket { name, store }
    }

    /// `s3://<bucket>/<prefix>`.
    pub fn url(&self, prefix: &str) -> String {
        format!("s3://{}/{prefix}", self.name)
    }

    /// Runs the binary in `project` against `database_url` with this bucket's AWS variables
    /// set, and checks that the secret key appears in neither stream.
    pub fn run(
        &self,
        project: &crate::support::TempProject,
        database_url: &str,
        args: &[&str],
    ) -> crate::support::project::Run {
        let mut env = self.env();
        env.push(("DATABASE_URL", database_url.to_string()));
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let run = project.xtask_with_env(args, &env);
        assert_no_secret(&run);
        run
    }

    /// The variables a run of the binary reaches this server with.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", KEY_ID.to_string()),
            ("AWS_SECRET_ACCESS_KEY", SECRET.to_string()),
            ("AWS_REGION", "us-east-1".to_string()),
            ("AWS_ENDPOINT_URL", endpoint()),
        ]
    }

    /// Every key in the bucket, sorted.
    pub async fn keys(&self) -> Vec<String> {
        let all: Vec<object_store::ObjectMeta> = self.store.list(None).try_collect().await.unwrap();
        let mut keys: Vec<String> = all.into_iter().map(|m| m.location.to_string()).collect();
        keys.sort();
        keys
    }

    /// An object's bytes, as stored.
    pub async fn get(&self, key: &str) -> Vec<u8> {
        let result = self.store.get(&Path::parse(key).unwrap()).await.unwrap();
        result.bytes().await.unwrap().to_vec()
    }

    /// Deletes an object.
    pub async fn delete(&self, key: &str) {
        self.store.delete(&Path::parse(key).unwrap()).await.unwrap();
    }

    /// Writes an object.
    pub async fn put(&self, key: &str, bytes: Vec<u8>) {
        self.store
            .put(&Path::parse(key).unwrap(), PutPayload::from(bytes))
            .await
            .unwrap();
    }
}

/// The server's endpoint, `http://127.0.0.1:<port>`.
pub fn endpoint() -> String {
    format!("http://127.0.0.1:{}", moto().port)
}
