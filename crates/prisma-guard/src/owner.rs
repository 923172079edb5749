//! Which process owns a temporary thing (a snapshot's `.tmp-*` folder, a replay's `.replay-*`
//! folder, a scratch database), and whether that process is still running.
//!
//! The rule: an owner is recorded as its process id **and its start time**, and it is alive
//! while a process with that id exists *and* started at that time. The start time makes a
//! recycled pid harmless: a new process that got the same id started later, so the old owner
//! counts as gone. On Linux the start time is field 22 of `/proc/<pid>/stat` (clock ticks
//! since boot, fixed for the life of the process); elsewhere it is a hash of
//! `ps -o lstart= -p <pid>` read in UTC. When a start time cannot be read for our own process
//! it is recorded as `0`, and an owner with start `0` is always taken as alive: when in doubt,
//! nothing is removed.
//!
//! A pid means something only on the machine (and in the pid namespace) that made it, so
//! folders in the store must not be shared with processes in another namespace (a container
//! writing to the same store as its host). Scratch databases live on a server other machines
//! may use: they also record [`host`], and an owner on another host is never judged.

use std::sync::OnceLock;

/// The process that made a temporary thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    /// Its process id.
    pub pid: u32,
    /// Its start time (see the module documentation); `0` when unknown.
    pub start: u64,
}

impl Owner {
    /// This process.
    pub fn current() -> Owner {
        static CURRENT: OnceLock<Owner> = OnceLock::new();
        *CURRENT.get_or_init(|| {
            let pid = std::process::id();
            Owner {
                pid,
                start: start_time(pid).unwrap_or(0),
            }
        })
    }

    /// `<pid>-<start>`: how names record the owner.
    pub fn tag(&self) -> String {
        format!("{}-{}", self.pid, self.start)
    }

    /// Reads a [`Owner::tag`] at the start of `text` (`<pid>-<start>-rest`), returning the
    /// owner and what follows the tag's `-`. Any two leading runs of digits parse, so a caller
    /// that may meet other names starting with digits (a snapshot id's `2026-11-…`) tells them
    /// apart first.
    pub fn parse_tag(text: &str) -> Option<(Owner, &str)> {
        let (pid, rest) = text.split_once('-')?;
        let (start, rest) = rest.split_once('-').unwrap_or((rest, ""));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(pid) || !digits(start) {
            return None;
        }
        let owner = Owner {
            pid: pid.parse().ok()?,
            start: start.parse().ok()?,
        };
        Some((owner, rest))
    }

    /// Whether the owner is still running: a process with this pid exists (and, on Linux, has
    /// not ended unreaped) and started at `start`. `true` whenever such a process exists and
    /// `start` is `0` (unknown), or (outside Linux) its start time cannot be read.
    pub fn is_alive(&self) -> bool {
        if cfg!(target_os = "linux") {
            // Gone, or ended and not yet reaped: not alive. Else the start time decides.
            return match start_time(self.pid) {
                None => false,
                Some(now) => self.start == 0 || self.start == now,
            };
        }
        if !pid_exists(self.pid) {
            return false;
        }
        match (self.start, start_time(self.pid)) {
            (0, _) | (_, None) => true,
            (recorded, Some(now)) => recorded == now,
        }
    }
}

/// Whether any process with this pid exists on this machine (for names from older versions,
/// which recorded only the pid).
pub fn pid_exists(pid: u32) -> bool {
    if pid == 0 {
        return false;
    }
    if cfg!(target_os = "linux") {
        return std::path::Path::new(&format!("/proc/{pid}")).exists();
    }
    std::process::Command::new("ps")
        .args(["-p", &pid.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        // Unable to run ps: assume it exists, so nothing is removed on a guess.
        .map_or(true, |status| status.success())
}

/// The start time of process `pid`, or `None` when it is not running or cannot be read.
pub fn start_time(pid: u32) -> Option<u64> {
    if cfg!(target_os = "linux") {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        return parse_stat_start(&stat);
    }
    let output = std::process::Command::new("ps")
        .args(["-o", "lstart=", "-p", &pid.to_string()])
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let text = String::from_utf8_lossy(&output.stdout).trim().to_string();
    (!text.is_empty()).then(|| fnv1a(text.as_bytes()).max(1))
}

/// Field 22 (`starttime`) of a `/proc/<pid>/stat` line; `None` for a process that has ended
/// but was not yet reaped by its parent (state `Z` or `X`). The command name (field 2) is in
/// parentheses and may hold spaces and parentheses itself, so fields are counted after the last
/// `)`.
fn parse_stat_start(stat: &str) -> Option<u64> {
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
    // After the name: field 3 (state) is the first, so field 22 is the 20th.
    if matches!(fields.next()?, "Z" | "X") {
        return None;
    }
    fields.nth(18)?.parse().ok()
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// This machine, as 16 hex digits: a hash of the host name and (on Linux) the kernel's boot id,
/// so two containers, or two machines that share a host name, differ.
pub fn host() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let mut name = read("/proc/sys/kernel/hostname");
        if name.trim().is_empty() {
            name = std::process::Command::new("hostname")
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
        }
        let boot = read("/proc/sys/kernel/random/boot_id");
        format!(
            "{:016x}",
            fnv1a(format!("{}\n{}", name.trim(), boot.trim()).as_bytes())
        )
    })
}

/// What kind of temporary thing a [`Leftover`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeftoverKind {
    /// A snapshot's hidden `.tmp-*` folder in the store.
    SnapshotFolder,
    /// A replay's hidden `.replay-*` folder in the store.
    ReplayFolder,
    /// A pruned snapshot's hidden `.pruning-*` folder in the store, renamed but not yet deleted.
    PruningFolder,
    /// A replay's or rollback dry run's scratch database on the server.
    ScratchDatabase,
}

impl LeftoverKind {
    /// In words, for messages: `temporary snapshot folder`, `scratch database`, ...
    pub fn describe(self) -> &'static str {
        match self {
            LeftoverKind::SnapshotFolder => "temporary snapshot folder",
            LeftoverKind::ReplayFolder => "replay folder",
            LeftoverKind::PruningFolder => "half-pruned snapshot folder",
            LeftoverKind::ScratchDatabase => "scratch database",
        }
    }
}

/// A temporary thing whose owner ended without removing it (killed with `kill -9`, a crash, a
/// power cut).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Leftover {
    /// What it is.
    pub kind: LeftoverKind,
    /// The folder's name in the store, or the database's name.
    pub name: String,
    /// The pid of the process that made it.
    pub pid: u32,
    /// Its size on disk (folders only).
    pub bytes: Option<u64>,
}

/// What a cleanup of leftovers removed, and what it could not remove.
#[derive(Debug, Clone, Default)]
pub struct Cleanup {
    /// Removed, in the order found.
    pub removed: Vec<Leftover>,
    /// Left in place because removing failed, with the error in words.
    pub failed: Vec<(Leftover, String)>,
}

impl Cleanup {
    /// Both lists of `other` appended to this one's.
    pub fn merge(&mut self, other: Cleanup) {
        self.removed.extend(other.removed);
        self.failed.extend(other.failed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_process_is_alive_and_a_different_start_is_not() {
        let me = Owner::current();
        assert!(me.is_alive());
        if me.start != 0 {
            let recycled = Owner {
                start: me.start + 1,
                ..me
            };
            assert!(!recycled.is_alive(), "same pid, another start: gone");
        }
        assert!(
            !Owner {
                pid: u32::MAX - 1,
                start: 5
            }
            .is_alive()
        );
    }

    #[test]
    fn tags_round_trip() {
        let owner = Owner {
            pid: 1234,
            start: 98765,
        };
        assert_eq!(owner.tag(), "1234-98765");
        assert_eq!(
            Owner::parse_tag("1234-98765-2026-11-20T10-30-45Z-manual"),
            Some((owner, "2026-11-20T10-30-45Z-manual"))
        );
        assert_eq!(Owner::parse_tag("1234-98765"), Some((owner, "")));
        assert_eq!(Owner::parse_tag("abc-1-x"), None);
    }

    #[test]
    fn the_start_time_is_read_after_the_last_parenthesis() {
        let stat = "4242 (a b) (c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 \
                    777123 1000 100 18446744073709551615";
        assert_eq!(parse_stat_start(stat), Some(777123));
        let zombie = stat.replace(") S ", ") Z ");
        assert_eq!(parse_stat_start(&zombie), None);
    }
}
