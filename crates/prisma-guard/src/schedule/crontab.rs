//! The crontab entry that runs scheduled snapshots: built, added, found and removed.
//!
//! An entry is two lines, a marker comment naming the project root and the cron line:
//! ```text
//! # prisma-guard schedule: /home/me/app (remove with `prisma-guard schedule uninstall`)
//! 0 * * * * cd '/home/me/app' && PATH='/usr/bin:/bin' cargo xtask schedule run
//! ```
//! The cron line changes into the project root (so `.env` and the configuration are found as
//! in a terminal) and sets `PATH` to the one of the installing shell (cron's own is minimal, so
//! `cargo` or `npx` would not be found). Nothing else is written into the crontab: no database
//! URL, no secret. Output is not redirected: the run is silent on success, so cron mails only
//! failures (where a mailer is set up); every outcome is also recorded ([`super::state`]).
//!
//! The user's crontab is read with `crontab -l` and written with `crontab -` (Vixie/cronie
//! semantics: `-l` exits non-zero with "no crontab for …" when there is none); a file given
//! instead is read and written directly, for a crontab kept in dotfiles, and for tests.

use camino::{Utf8Path, Utf8PathBuf};

use super::Schedule;
use crate::error::IoError;
use crate::workflows::hooks::HookRunner;

/// The start of the marker comment above our cron line.
pub const MARKER: &str = "# prisma-guard schedule: ";

/// Reading or writing a crontab failed.
#[derive(Debug, thiserror::Error)]
pub enum CrontabError {
    /// `crontab` is not installed.
    #[error("the crontab command was not found")]
    NoCrontab,
    /// `crontab -l` or `crontab -` failed.
    #[error("`crontab {args}` failed: {stderr}")]
    Failed {
        /// The arguments.
        args: &'static str,
        /// What it printed on stderr.
        stderr: String,
    },
    /// The crontab file could not be read or written.
    #[error(transparent)]
    Io(#[from] IoError),
}

impl crate::error::Hint for CrontabError {
    fn hint(&self) -> Option<String> {
        Some(match self {
            CrontabError::NoCrontab => "install cron (Debian: apt install cron), or print the line with `prisma-guard schedule` and add it to your scheduler by hand".into(),
            CrontabError::Failed { .. } => "check that your user may use cron (see /etc/cron.allow), or add the line `prisma-guard schedule` prints by hand".into(),
            CrontabError::Io(_) => "check that the crontab file's folder exists and is writable".into(),
        })
    }
}

/// Where the entry goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrontabTarget {
    /// The user's crontab, through the `crontab` command.
    User,
    /// A crontab file, read and written directly.
    File(Utf8PathBuf),
}

/// What an install or uninstall changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The entry was added.
    Added,
    /// An entry of this project with another text was replaced.
    Updated,
    /// The same entry was there already; nothing was written.
    Unchanged,
    /// The entry was removed.
    Removed,
    /// There was no entry of this project; nothing was written.
    Absent,
}

/// The two lines of this project's entry (each ending in a newline).
///
/// `path_env` is the `PATH` the run gets (the installing shell's). A `%` in the command is
/// escaped as `\%` (cron turns a bare `%` into a newline).
pub fn entry(schedule: &Schedule, root: &Utf8Path, runner: &HookRunner, path_env: &str) -> String {
    let command = format!(
        "cd {} && PATH={} {} schedule run",
        sh_quote(root.as_str()),
        sh_quote(path_env),
        runner.command()
    );
    format!(
        "{MARKER}{root} (remove with `{} schedule uninstall`)\n{} {}\n",
        runner.display_name(),
        schedule.cron,
        command.replace('%', "\\%")
    )
}

/// This project's entry in `crontab` (its two lines), if any.
pub fn find(crontab: &str, root: &Utf8Path) -> Option<String> {
    let lines: Vec<&str> = crontab.lines().collect();
    let at = lines.iter().position(|l| is_marker(l, root))?;
    let cron_line = lines.get(at + 1).copied().unwrap_or("");
    Some(format!("{}\n{cron_line}\n", lines[at]))
}

/// `crontab` with this project's entry set to `entry` (appended, or replacing the old one).
pub fn with_entry(crontab: &str, root: &Utf8Path, entry: &str) -> (String, Change) {
    match find(crontab, root) {
        Some(existing) if existing == entry => (crontab.to_string(), Change::Unchanged),
        Some(_) => {
            let (rest, _) = without_entry(crontab, root);
            (append(&rest, entry), Change::Updated)
        }
        None => (append(crontab, entry), Change::Added),
    }
}

/// `crontab` without this project's entry (the marker and the line after it).
pub fn without_entry(crontab: &str, root: &Utf8Path) -> (String, Change) {
    let mut out = String::new();
    let mut lines = crontab.lines();
    let mut change = Change::Absent;
    while let Some(line) = lines.next() {
        if is_marker(line, root) {
            lines.next();
            change = Change::Removed;
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    (out, change)
}

fn append(crontab: &str, entry: &str) -> String {
    let mut text = crontab.to_string();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text + entry
}

fn is_marker(line: &str, root: &Utf8Path) -> bool {
    line.strip_prefix(MARKER).is_some_and(|rest| {
        rest.strip_prefix(root.as_str())
            .is_some_and(|after| after.is_empty() || after.starts_with(" ("))
    })
}

/// The crontab's text (empty when the user has none, or the file does not exist).
///
/// Errors: [`CrontabError::NoCrontab`], [`CrontabError::Failed`], [`CrontabError::Io`].
pub fn read(target: &CrontabTarget) -> Result<String, CrontabError> {
    match target {
        CrontabTarget::File(path) => match std::fs::read_to_string(path) {
            Ok(text) => Ok(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
            Err(e) => Err(IoError::at("reading", path)(e).into()),
        },
        CrontabTarget::User => {
            let output = std::process::Command::new("crontab")
                .arg("-l")
                .output()
                .map_err(|e| not_found(e, "-l"))?;
            let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
            if output.status.success() {
                Ok(String::from_utf8_lossy(&output.stdout).into_owned())
            } else if stderr.contains("no crontab") {
                Ok(String::new())
            } else {
                Err(CrontabError::Failed { args: "-l", stderr })
            }
        }
    }
}

/// Replaces the crontab's text with `text` (a file is written to a temporary sibling and
/// renamed, so it is never half written).
///
/// Errors: [`CrontabError::NoCrontab`], [`CrontabError::Failed`], [`CrontabError::Io`].
pub fn write(target: &CrontabTarget, text: &str) -> Result<(), CrontabError> {
    match target {
        CrontabTarget::File(path) => {
            let temp = Utf8PathBuf::from(format!("{path}.prisma-guard-{}", std::process::id()));
            std::fs::write(&temp, text).map_err(IoError::at("writing", &temp))?;
            std::fs::rename(&temp, path).map_err(IoError::at("renaming", &temp))?;
            Ok(())
        }
        CrontabTarget::User => {
            use std::io::Write;
            let mut child = std::process::Command::new("crontab")
                .arg("-")
                .stdin(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .map_err(|e| not_found(e, "-"))?;
            let written = child
                .stdin
                .take()
                .expect("piped stdin")
                .write_all(text.as_bytes());
            let output = child.wait_with_output().map_err(|e| not_found(e, "-"))?;
            if written.is_err() || !output.status.success() {
                return Err(CrontabError::Failed {
                    args: "-",
                    stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
                });
            }
            Ok(())
        }
    }
}

fn not_found(e: std::io::Error, args: &'static str) -> CrontabError {
    if e.kind() == std::io::ErrorKind::NotFound {
        CrontabError::NoCrontab
    } else {
        CrontabError::Failed {
            args,
            stderr: e.to_string(),
        }
    }
}

fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hourly_entry(root: &str) -> String {
        let schedule = Schedule::parse("hourly").unwrap();
        entry(
            &schedule,
            Utf8Path::new(root),
            &HookRunner::CargoXtask,
            "/usr/bin:/bin",
        )
    }

    #[test]
    fn the_entry_changes_into_the_root_with_the_path() {
        let text = hourly_entry("/home/me/it's 100%");
        assert_eq!(
            text,
            "# prisma-guard schedule: /home/me/it's 100% (remove with `cargo xtask schedule uninstall`)\n\
             0 * * * * cd '/home/me/it'\\''s 100\\%' && PATH='/usr/bin:/bin' cargo xtask schedule run\n"
        );
    }

    #[test]
    fn install_update_uninstall_leave_other_lines_alone() {
        let root = Utf8Path::new("/home/me/app");
        let mine = hourly_entry("/home/me/app");
        let other_project = hourly_entry("/home/me/app2");
        let theirs = format!("MAILTO=me@example.com\n30 2 * * * backup.sh\n{other_project}");
        let (added, change) = with_entry(&theirs, root, &mine);
        assert_eq!(change, Change::Added);
        assert_eq!(find(&added, root).as_deref(), Some(mine.as_str()));
        assert_eq!(with_entry(&added, root, &mine).1, Change::Unchanged);
        let daily = mine.replace("0 * * * *", "0 0 * * *");
        let (updated, change) = with_entry(&added, root, &daily);
        assert_eq!(change, Change::Updated);
        assert_eq!(updated.matches(MARKER).count(), 2, "{updated}");
        let (removed, change) = without_entry(&updated, root);
        assert_eq!(change, Change::Removed);
        assert_eq!(removed, theirs);
        assert_eq!(without_entry(&removed, root).1, Change::Absent);
    }

    #[test]
    fn a_file_target_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = Utf8PathBuf::from_path_buf(dir.path().join("crontab")).unwrap();
        let target = CrontabTarget::File(path.clone());
        assert_eq!(read(&target).unwrap(), "");
        write(&target, "x\n").unwrap();
        assert_eq!(read(&target).unwrap(), "x\n");
    }
}
