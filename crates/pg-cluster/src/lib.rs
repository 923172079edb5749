//! A throwaway PostgreSQL cluster booted from the local server binaries, for the test suite,
//! the demo and the benchmark.
//!
//! `initdb` and `postgres` are found on `PATH` or under `/usr/lib/postgresql/<version>/bin`
//! (newest first). PostgreSQL refuses to run as root, so as root they run as the `postgres`
//! user. The server listens on 127.0.0.1 on a free port, with its socket in the cluster folder.
//!
//! Cleanup does not depend on destructors (a test process never drops its statics): the server
//! runs under a small `sh` watchdog whose standard input is a pipe from this process. When this
//! process ends for any reason the pipe closes, and the watchdog stops the server (immediate
//! shutdown) and removes the folder.

use std::io::Read;
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, chown};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};

/// How long the server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The watchdog: start postgres, wait for stdin to close, stop postgres, remove the folder.
const WATCHDOG: &str = r#"
"$1" -D "$2/data" -p "$3" -k "$2" -c listen_addresses=127.0.0.1 -c fsync=off \
  -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 \
  >"$2/postgres.log" 2>&1 &
pid=$!
read -r _ignored
kill -QUIT "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
rm -rf "$2"
"#;

/// Errors while booting the cluster.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// No `initdb`/`postgres` found.
    #[error(
        "no PostgreSQL server binaries found (looked on PATH and in /usr/lib/postgresql/*/bin)"
    )]
    NoBinaries,
    /// Running as root, but there is no `postgres` user to run the server as.
    #[error("running as root, and there is no `postgres` user to run PostgreSQL as")]
    NoPostgresUser,
    /// A step failed; `output` holds what it printed.
    #[error("{step} failed: {output}")]
    Step {
        /// What was being done.
        step: String,
        /// Its output or error.
        output: String,
    },
}

impl ClusterError {
    /// What the user should do next, for the binary's `hint:` line.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            ClusterError::NoBinaries | ClusterError::NoPostgresUser => {
                "install the server (`apt-get install postgresql`), or set DATABASE_URL to a server you own".into()
            }
            ClusterError::Step { .. } => "see the output above; set DATABASE_URL to use an existing server instead".into(),
        })
    }
}

/// A running throwaway cluster; it stops when dropped or when this process ends.
#[derive(Debug)]
pub struct TempCluster {
    port: u16,
    dir: Utf8PathBuf,
    watchdog: Child,
    stdin: Option<ChildStdin>,
}

impl TempCluster {
    /// Creates a cluster in a new temporary folder and starts it; returns once it accepts
    /// connections (at most `START_TIMEOUT`, 60 s).
    ///
    /// Errors: [`ClusterError::NoBinaries`], [`ClusterError::NoPostgresUser`], or
    /// [`ClusterError::Step`] with `initdb`'s or the server's output.
    pub fn start() -> Result<TempCluster, ClusterError> {
        let bin = find_bin_dir().ok_or(ClusterError::NoBinaries)?;
        let owner = server_owner()?;
        let dir = make_dir(owner)?;
        let result = init(&bin, &dir, owner).and_then(|()| launch(&bin, &dir, owner));
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        result
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A URL for `database` as the superuser `postgres` (trust authentication, no password).
    pub fn url(&self, database: &str) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// The cluster folder (data, socket and `postgres.log`).
    pub fn dir(&self) -> &Utf8Path {
        &self.dir
    }
}

impl Drop for TempCluster {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.watchdog.wait();
    }
}

/// The folder holding the server binaries (`initdb`, `postgres`, `pg_dump`, …): the first on
/// `PATH` holding `initdb` and `postgres`, else the newest `/usr/lib/postgresql/<version>/bin`.
/// With `major`, `/usr/lib/postgresql/<major>/bin` when it exists (client programs of a given
/// server's version), else the same search.
pub fn bin_dir(major: Option<u32>) -> Option<Utf8PathBuf> {
    if let Some(major) = major {
        let dir = Utf8PathBuf::from(format!("/usr/lib/postgresql/{major}/bin"));
        if dir.join("pg_dump").is_file() {
            return Some(dir);
        }
    }
    find_bin_dir()
}

fn find_bin_dir() -> Option<Utf8PathBuf> {
    let on_path = std::env::var("PATH").ok().and_then(|path| {
        path.split(':')
            .map(Utf8PathBuf::from)
            .find(|dir| dir.join("initdb").is_file() && dir.join("postgres").is_file())
    });
    on_path.or_else(|| {
        let mut versions: Vec<(u32, Utf8PathBuf)> = Utf8Path::new("/usr/lib/postgresql")
            .read_dir_utf8()
            .ok()?
            .filter_map(|e| e.ok())
            .filter_map(|e| Some((e.file_name().parse().ok()?, e.path().join("bin"))))
            .filter(|(_, bin): &(u32, Utf8PathBuf)| bin.join("initdb").is_file())
            .collect();
        versions.sort();
        versions.pop().map(|(_, bin)| bin)
    })
}

/// The uid/gid to run the server as: `postgres` when we are root, else ourselves (`None`).
fn server_owner() -> Result<Option<(u32, u32)>, ClusterError> {
    let me = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(1);
    if me != 0 {
        return Ok(None);
    }
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, "postgres"]).output().ok()?;
        String::from_utf8(out.stdout).ok()?.trim().parse().ok()
    };
    match (id("-u"), id("-g")) {
        (Some(uid), Some(gid)) => Ok(Some((uid, gid))),
        _ => Err(ClusterError::NoPostgresUser),
    }
}

fn step_error(step: &str) -> impl Fn(std::io::Error) -> ClusterError + '_ {
    move |e| ClusterError::Step {
        step: step.to_string(),
        output: e.to_string(),
    }
}

fn make_dir(owner: Option<(u32, u32)>) -> Result<Utf8PathBuf, ClusterError> {
    let dir = tempfile::Builder::new()
        .prefix("xtask-pg-")
        .tempdir()
        .map_err(step_error("creating the cluster folder"))?
        .keep();
    let dir = Utf8PathBuf::from_path_buf(dir).map_err(|p| ClusterError::Step {
        step: "creating the cluster folder".into(),
        output: format!("{} is not UTF-8", p.display()),
    })?;
    if let Some((uid, gid)) = owner {
        chown(&dir, Some(uid), Some(gid)).map_err(step_error("handing the folder to postgres"))?;
    }
    Ok(dir)
}

fn as_owner(mut command: Command, owner: Option<(u32, u32)>) -> Command {
    if let Some((uid, gid)) = owner {
        use std::os::unix::process::CommandExt;
        command.uid(uid).gid(gid);
    }
    command
}

fn init(bin: &Utf8Path, dir: &Utf8Path, owner: Option<(u32, u32)>) -> Result<(), ClusterError> {
    let mut command = Command::new(bin.join("initdb"));
    command
        .args([
            "-D",
            dir.join("data").as_str(),
            "-U",
            "postgres",
            "-A",
            "trust",
        ])
        .args(["-E", "UTF8", "--locale=C", "--no-sync"])
        .current_dir(dir);
    let output = as_owner(command, owner)
        .output()
        .map_err(step_error("running initdb"))?;
    if output.status.success() {
        return Ok(());
    }
    Err(ClusterError::Step {
        step: "initdb".into(),
        output: String::from_utf8_lossy(&[output.stdout, output.stderr].concat()).into_owned(),
    })
}

fn free_port() -> Result<u16, ClusterError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(step_error("finding a free port"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(step_error("finding a free port"))
}

fn launch(
    bin: &Utf8Path,
    dir: &Utf8Path,
    owner: Option<(u32, u32)>,
) -> Result<TempCluster, ClusterError> {
    let port = free_port()?;
    let mut command = Command::new("sh");
    command
        .args(["-c", WATCHDOG, "watchdog"])
        .arg(bin.join("postgres"))
        .arg(dir)
        .arg(port.to_string())
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut watchdog = as_owner(command, owner)
        .spawn()
        .map_err(step_error("starting postgres"))?;
    let stdin = watchdog.stdin.take();
    let cluster = TempCluster {
        port,
        dir: dir.to_owned(),
        watchdog,
        stdin,
    };
    wait_ready(&cluster)?;
    Ok(cluster)
}

/// Waits until the server's socket file exists and the TCP port accepts connections.
fn wait_ready(cluster: &TempCluster) -> Result<(), ClusterError> {
    let started = Instant::now();
    let socket = cluster.dir.join(format!(".s.PGSQL.{}", cluster.port));
    let pid_file = cluster.dir.join("data/postmaster.pid");
    loop {
        let ready = socket.exists()
            && std::fs::read_to_string(&pid_file).is_ok_and(|pid| pid.contains("ready"))
            && std::net::TcpStream::connect(("127.0.0.1", cluster.port)).is_ok();
        if ready {
            return Ok(());
        }
        if started.elapsed() > START_TIMEOUT || !cluster.dir.join("data").exists() {
            let mut log = String::new();
            if let Ok(mut file) = std::fs::File::open(cluster.dir.join("postgres.log")) {
                let _ = file.read_to_string(&mut log);
            }
            return Err(ClusterError::Step {
                step: format!("starting postgres on port {}", cluster.port),
                output: log,
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
