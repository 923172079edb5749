//! Peak resident memory of a child process: `VmHWM` of `/proc/<pid>/status`, sampled while it
//! runs.

/// The highest `VmHWM` seen so far of one process.
pub(super) struct PeakRss {
    status_path: String,
    peak: Option<u64>,
}

impl PeakRss {
    /// Samples the process `pid`; nothing is read yet.
    pub(super) fn of(pid: u32) -> PeakRss {
        PeakRss {
            status_path: format!("/proc/{pid}/status"),
            peak: None,
        }
    }

    /// Reads `VmHWM` once and keeps it if it is the highest yet (nothing when it cannot be read,
    /// as after the process ended).
    pub(super) fn sample(&mut self) {
        if let Some(kib) = read_hwm(&self.status_path) {
            self.peak = Some(self.peak.map_or(kib, |p| p.max(kib)));
        }
    }

    /// The peak, KiB; `None` when no sample could be read.
    pub(super) fn kib(&self) -> Option<u64> {
        self.peak
    }
}

/// `VmHWM` of a `/proc/<pid>/status`, KiB.
fn read_hwm(path: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
