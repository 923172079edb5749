//! Memory while snapshotting: the peak resident size stays flat as a table grows, and a huge
//! row is not copied on its way from the driver to the file.

use crate::support::{TempProject, TestDb};

/// Peak resident memory (VmHWM) of a child process, sampled until it exits, in KiB.
fn peak_rss_kib(mut child: std::process::Child) -> (std::process::ExitStatus, u64) {
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            let hwm = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok());
            peak = peak.max(hwm.unwrap_or(0));
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (status, peak);
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Peak resident memory of one `snapshot --jobs 1` of `db`, in KiB.
fn snapshot_peak_kib(project: &TempProject, db: &TestDb) -> u64 {
    let child = project
        .command(&["snapshot", "--jobs", "1"], &[("DATABASE_URL", &db.url())])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let (status, peak) = peak_rss_kib(child);
    assert!(status.success());
    peak
}

#[tokio::test]
async fn memory_stays_flat_as_tables_grow() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    let mut peaks = Vec::new();
    for rows in [200_000, 1_200_000] {
        db.execute(&format!(
            "DROP TABLE IF EXISTS events; CREATE TABLE events AS
             SELECT g AS id, md5(g::text) AS payload, now() AS at FROM generate_series(1, {rows}) g"
        ))
        .await;
        let peak = snapshot_peak_kib(&project, &db);
        assert_eq!(
            project
                .snapshots()
                .pop()
                .unwrap()
                .manifest
                .table("events")
                .unwrap()
                .rows,
            rows
        );
        peaks.push(peak);
    }
    // 6x the rows (about 85 MB of CSV at the larger size) may not cost more than a few MiB.
    assert!(
        peaks[1] < peaks[0] + 8 * 1024,
        "peak RSS grew with the table: {} KiB at 200k rows, {} KiB at 1.2M rows",
        peaks[0],
        peaks[1]
    );
    eprintln!(
        "peak RSS: {} KiB at 200k rows, {} KiB at 1.2M rows",
        peaks[0], peaks[1]
    );
}

#[tokio::test]
async fn a_huge_row_is_not_copied_on_its_way_to_the_file() {
    const ROW_MIB: u64 = 64;
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.execute(
        "CREATE TABLE blob (id int PRIMARY KEY, body text); INSERT INTO blob VALUES (1, 'x')",
    )
    .await;
    let small = snapshot_peak_kib(&project, &db);
    // Random hex, so that neither the server's TOAST nor zstd makes it small.
    db.execute(&format!(
        "UPDATE blob SET body = (SELECT string_agg(md5(random()::text), '') \
         FROM generate_series(1, {ROW_MIB} * 1024 * 1024 / 32))"
    ))
    .await;
    let big = snapshot_peak_kib(&project, &db);
    let extra_mib = big.saturating_sub(small) / 1024;
    eprintln!(
        "peak RSS: {small} KiB with a 1-byte row, {big} KiB with a {ROW_MIB} MiB row (+{extra_mib} MiB)"
    );
    // Our side passes the row on without copying it (it cost 3 copies before); the driver's
    // read buffer holds a second copy while the message arrives (sqlx's `ReadBuffer` grows by
    // reallocating), so the bound is two copies and a margin.
    assert!(
        extra_mib < ROW_MIB * 9 / 4,
        "a {ROW_MIB} MiB row cost {extra_mib} MiB of memory: more than the driver's copy and ours"
    );
}
