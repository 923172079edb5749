//! `cargo xtask demo` runs the whole story to the end on its own throwaway server.

use crate::support::TempProject;

#[test]
fn demo_runs_to_completion_and_leaves_nothing() {
    let project = TempProject::new();
    let run = project.xtask_with_env(&["demo"], &[]);
    run.assert_code(0);
    let stdout = run.stdout();
    for step in [
        "$ cargo xtask status",
        "3 pending",
        "$ cargo xtask pre-migrate --apply",
        "dropped columns: legacyHtml",
        "$ cargo xtask reset --yes",
        "--admin-only --dry-run",
        "dry run: 6 rows would be inserted",
        "restored: 6 rows inserted",
        "rows per table now:",
    ] {
        assert!(stdout.contains(step), "missing {step:?} in:\n{stdout}");
    }
    // Every seeded row is back: 6 users, 4 prompts, 7 posts.
    let counts: Vec<(String, String)> = stdout
        .split("rows per table now:")
        .nth(1)
        .unwrap()
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            Some((words.next()?.to_string(), words.next()?.to_string()))
        })
        .collect();
    for (table, rows) in [
        ("User", "6"),
        ("SystemPrompt", "4"),
        ("Post", "7"),
        ("Comment", "7"),
    ] {
        assert!(
            counts.contains(&(table.to_string(), rows.to_string())),
            "{table} {rows} in {counts:?}"
        );
    }
    assert!(
        !project.backups_dir().exists(),
        "the project's backups folder is untouched"
    );
}
