//! The status rules, one case each.

use super::*;
use crate::migrations::checksum;
use chrono::TimeZone;

fn local(name: &str, script: &str) -> LocalMigration {
    LocalMigration {
        name: name.into(),
        script_path: format!("migrations/{name}/migration.sql").into(),
        script: script.as_bytes().to_vec(),
        checksum: checksum::compute(script.as_bytes()),
    }
}

fn row(name: &str, script: &str, minute: u32) -> MigrationRow {
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, minute, 0).unwrap();
    MigrationRow {
        id: format!("{name}-{minute}"),
        checksum: checksum::compute(script.as_bytes()),
        finished_at: Some(at),
        migration_name: name.into(),
        logs: None,
        rolled_back_at: None,
        started_at: at,
        applied_steps_count: 1,
    }
}

fn states(report: &StatusReport) -> Vec<(&str, MigrationState)> {
    report
        .migrations
        .iter()
        .map(|m| (m.name.as_str(), m.state))
        .collect()
}

#[test]
fn no_table_means_all_pending() {
    let report = compare(&[local("1_a", "a"), local("2_b", "b")], None);
    assert!(!report.migrations_table);
    assert_eq!(
        states(&report),
        [
            ("1_a", MigrationState::Pending),
            ("2_b", MigrationState::Pending)
        ]
    );
    assert!(report.divergence.is_none());
}

#[test]
fn each_state() {
    let mut failed = row("3_c", "c", 3);
    failed.finished_at = None;
    let mut rolled = row("4_d", "d", 4);
    rolled.rolled_back_at = Some(rolled.started_at);
    let report = compare(
        &[
            local("1_a", "a"),
            local("2_b", "b-edited"),
            local("3_c", "c"),
            local("4_d", "d"),
            local("5_e", "e"),
        ],
        Some(&[row("1_a", "a", 1), row("2_b", "b", 2), failed, rolled]),
    );
    assert_eq!(
        states(&report),
        [
            ("1_a", MigrationState::Applied),
            ("2_b", MigrationState::Edited),
            ("3_c", MigrationState::Failed),
            ("4_d", MigrationState::RolledBack),
            ("5_e", MigrationState::Pending),
        ]
    );
    assert!(report.has_problems());
    assert_eq!(report.unapplied().count(), 2);
    assert!(report.migrations[3].applied_at.is_none());
}

#[test]
fn rolled_back_then_reapplied_unchanged_is_applied() {
    let mut first = row("1_a", "a", 1);
    first.finished_at = None;
    first.rolled_back_at = Some(first.started_at);
    let report = compare(&[local("1_a", "a")], Some(&[first, row("1_a", "a", 2)]));
    assert_eq!(states(&report), [("1_a", MigrationState::Applied)]);
    assert_eq!(report.migrations[0].attempts, 2);
}

#[test]
fn rolled_back_then_edited_and_reapplied_is_edited_as_prisma_says() {
    // prisma/prisma#9829: the diagnosis compares the file with the first row by started_at,
    // rolled-back rows included.
    let mut first = row("1_a", "a-broken", 1);
    first.finished_at = None;
    first.rolled_back_at = Some(first.started_at);
    let report = compare(
        &[local("1_a", "a-fixed")],
        Some(&[first, row("1_a", "a-fixed", 2)]),
    );
    assert_eq!(states(&report), [("1_a", MigrationState::Edited)]);
    assert_eq!(
        report.migrations[0].recorded_checksum.as_deref(),
        Some(checksum::compute(b"a-broken").as_str())
    );
}

#[test]
fn edited_compares_with_the_earliest_live_row() {
    let report = compare(
        &[local("1_a", "new")],
        Some(&[row("1_a", "old", 1), row("1_a", "new", 2)]),
    );
    assert_eq!(states(&report), [("1_a", MigrationState::Edited)]);
}

#[test]
fn missing_locally_and_divergence() {
    let report = compare(
        &[local("1_a", "a"), local("3_local", "l")],
        Some(&[
            row("1_a", "a", 1),
            row("2_remote", "r", 2),
            row("2_remote", "r", 3),
        ]),
    );
    assert_eq!(
        states(&report),
        [
            ("1_a", MigrationState::Applied),
            ("3_local", MigrationState::Pending),
            ("2_remote", MigrationState::MissingLocally),
        ]
    );
    assert_eq!(report.migrations[2].attempts, 2);
    assert_eq!(
        report.divergence,
        Some(Divergence {
            last_common: Some("1_a".into())
        })
    );
}

#[test]
fn rolled_back_rows_without_folder_are_missing_locally() {
    let mut gone = row("2_gone", "g", 2);
    gone.rolled_back_at = Some(gone.started_at);
    let report = compare(&[local("1_a", "a")], Some(&[row("1_a", "a", 1), gone]));
    assert_eq!(
        states(&report),
        [
            ("1_a", MigrationState::Applied),
            ("2_gone", MigrationState::MissingLocally)
        ]
    );
    assert!(report.migrations[1].applied_at.is_none());
}

#[test]
fn a_folder_without_script_is_listed_pending_among_the_rest() {
    let listing = Listing {
        migrations: vec![local("1_a", "a"), local("3_c", "c")],
        without_script: vec!["2_empty".into()],
    };
    let report = compare_listing(&listing, Some(&[row("1_a", "a", 1)]));
    assert_eq!(
        states(&report),
        [
            ("1_a", MigrationState::Applied),
            ("2_empty", MigrationState::Pending),
            ("3_c", MigrationState::Pending)
        ]
    );
    assert_eq!(report.without_script, ["2_empty"]);
    assert!(report.has_problems());
}

#[test]
fn a_failed_row_without_folder_is_failed() {
    let mut failed = row("2_gone", "g", 2);
    failed.finished_at = None;
    let report = compare(&[local("1_a", "a")], Some(&[row("1_a", "a", 1), failed]));
    assert_eq!(
        states(&report),
        [
            ("1_a", MigrationState::Applied),
            ("2_gone", MigrationState::Failed)
        ]
    );
    assert!(report.has_problems());
}
