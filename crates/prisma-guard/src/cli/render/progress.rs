//! Snapshot progress on stderr (indicatif).

/// Snapshot progress on stderr: a byte bar with the current table; hidden when stderr is not a
/// terminal (indicatif's default) and under `NO_COLOR` it draws without colour.
pub struct SnapshotProgress {
    bar: indicatif::ProgressBar,
    tables: std::sync::atomic::AtomicUsize,
    done: std::sync::atomic::AtomicUsize,
}

impl SnapshotProgress {
    /// A bar that shows nothing until the snapshot starts.
    pub fn new() -> Self {
        let bar =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {bytes} read ({binary_bytes_per_sec}){msg}",
            )
            .expect("the template is valid"),
        );
        SnapshotProgress {
            bar,
            tables: 0.into(),
            done: 0.into(),
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl SnapshotProgress {
    fn show(&self, what: &str) {
        use std::sync::atomic::Ordering::Relaxed;
        let (done, tables) = (self.done.load(Relaxed), self.tables.load(Relaxed));
        self.bar
            .set_message(format!(" {done}/{tables} tables {what}"));
    }
}

impl crate::snapshot::Progress for SnapshotProgress {
    fn start(&self, tables: usize, _estimated_bytes: u64) {
        self.tables
            .store(tables, std::sync::atomic::Ordering::Relaxed);
        self.show("");
        self.bar
            .enable_steady_tick(std::time::Duration::from_millis(120));
    }

    fn advance(&self, table: &str, bytes: u64) {
        self.bar.inc(bytes);
        self.show(table);
    }

    fn table_done(&self, table: &str, _rows: u64) {
        self.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.show(table);
    }
}
