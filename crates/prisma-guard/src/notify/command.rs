//! `notify-command`: run in the project root with the event as one JSON object on stdin.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use super::Event;

/// How long the command may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `words` with `event` on stdin; `Err` says why it failed (not found, exit code with the
/// last line of its stderr, timeout). The environment is inherited; the child is killed when
/// it outlives [`TIMEOUT`].
pub(super) async fn run(
    words: &[String],
    root: &camino::Utf8Path,
    event: &Event,
) -> Result<(), String> {
    let mut child = tokio::process::Command::new(&words[0])
        .args(&words[1..])
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", words[0]))?;
    let json = serde_json::to_string(event).expect("an event serializes") + "\n";
    let mut stdin = child.stdin.take().expect("piped stdin");
    // A command that does not read its input still gets to run.
    let _ = stdin.write_all(json.as_bytes()).await;
    drop(stdin);
    let output = tokio::time::timeout(TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| format!("{} did not end within {} s", words[0], TIMEOUT.as_secs()))?
        .map_err(|e| format!("waiting for {}: {e}", words[0]))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    Err(match output.status.code() {
        Some(code) => format!("{} exited with {code}: {last}", words[0]),
        None => format!("{} was killed by a signal", words[0]),
    })
}
