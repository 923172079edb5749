//! Checksums that must still match: line endings changed after applying, and the legacy short
//! checksum old Prisma wrote.

use super::state_of;
use crate::support::{TempProject, TestDb};

#[tokio::test]
async fn line_endings_do_not_count_as_edits() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    // Migration 0 recorded from LF, then checked out with CRLF.
    db.deploy(&project.migrations(), 1).await;
    let lf = std::fs::read_to_string(project.script(0)).unwrap();
    assert!(!lf.contains('\r'));
    std::fs::write(project.script(0), lf.replace('\n', "\r\n")).unwrap();
    // Migration 1 recorded from CRLF, then checked out with LF.
    let lf1 = std::fs::read_to_string(project.script(1)).unwrap();
    std::fs::write(project.script(1), lf1.replace('\n', "\r\n")).unwrap();
    db.deploy(&project.migrations(), 2).await;
    std::fs::write(project.script(1), lf1).unwrap();

    let json = project.xtask(&db, &["status", "--json"]).json();
    assert_eq!(state_of(&json, &project.migration_name(0)), "applied");
    assert_eq!(state_of(&json, &project.migration_name(1)), "applied");
    assert_ne!(
        json["migrations"][0]["local_checksum"], json["migrations"][0]["recorded_checksum"],
        "the files really differ from what was recorded"
    );
}

#[tokio::test]
async fn legacy_short_checksum() {
    let (project, db) = (TempProject::new(), TestDb::new().await);
    db.deploy(&project.migrations(), 7).await;
    // Old Prisma wrote each byte without zero padding: find a migration where that is shorter.
    let (index, legacy) = project
        .migrations()
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let bytes = hex::decode(&m.checksum).unwrap();
            (
                i,
                bytes.iter().map(|b| format!("{b:x}")).collect::<String>(),
            )
        })
        .find(|(_, legacy)| legacy.len() < 64)
        .expect("some fixture checksum has a byte below 0x10");
    let name = project.migration_name(index);
    db.execute(&format!(
        "UPDATE _prisma_migrations SET checksum = '{legacy}' WHERE migration_name = '{name}'"
    ))
    .await;
    let json = project
        .xtask(&db, &["status", "--check", "--json"])
        .assert_code(0)
        .json();
    assert_eq!(state_of(&json, &name), "applied");

    db.execute(&format!(
        "UPDATE _prisma_migrations SET checksum = '{}' WHERE migration_name = '{name}'",
        &legacy[1..]
    ))
    .await;
    let json = project.xtask(&db, &["status", "--json"]).json();
    assert_eq!(
        state_of(&json, &name),
        "edited",
        "a wrong legacy checksum does not match"
    );
}
