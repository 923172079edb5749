//! One migration.sql through squawk: parse, lint with the profile's rules, and turn each
//! violation into a [`Finding`] with its line and statement.

use squawk_linter::{Linter, LinterSettings};
use squawk_syntax::SourceFile;
use squawk_syntax::ast::AstNode;

use super::{Finding, Profile};

/// The findings in `sql` (the text of migration `migration`'s migration.sql) under `profile`,
/// ordered by line, with squawk's ignore comments applied. Statements that do not parse are
/// skipped by squawk; the rest are still linted (pure).
pub fn lint_sql(migration: &str, sql: &str, profile: &Profile) -> Vec<Finding> {
    let parse = SourceFile::parse(sql);
    let mut linter = Linter::from(profile.rules());
    // Tables created earlier in the file are new and empty: squawk exempts them from the
    // locking rules only under this setting.
    linter.settings = LinterSettings {
        assume_in_transaction: true,
        ..LinterSettings::default()
    };
    let violations = linter.lint(&parse, sql);
    let statements: Vec<(std::ops::Range<usize>, String)> = parse
        .tree()
        .stmts()
        .map(|stmt| {
            let range = stmt.syntax().text_range();
            let text = stmt.syntax().text().to_string();
            (
                usize::from(range.start())..usize::from(range.end()),
                first_line(&text),
            )
        })
        .collect();
    violations
        .into_iter()
        .filter_map(|violation| {
            let severity = profile.severity(violation.code)?;
            let start = usize::from(violation.text_range.start());
            let statement = statements
                .iter()
                .find(|(range, _)| range.contains(&start))
                .map(|(_, text)| text.clone())
                .unwrap_or_else(|| line_text(sql, start));
            Some(Finding {
                migration: migration.to_string(),
                rule: violation.code.to_string(),
                severity,
                message: violation.message,
                help: violation.help,
                line: line_of(sql, start),
                statement,
            })
        })
        .collect()
}

/// The 1-based line holding byte `offset`.
fn line_of(sql: &str, offset: usize) -> usize {
    let offset = offset.min(sql.len());
    sql.as_bytes()[..offset]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The line holding byte `offset`, trimmed.
fn line_text(sql: &str, offset: usize) -> String {
    let start = sql[..offset.min(sql.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    sql[start..].lines().next().unwrap_or("").trim().to_string()
}

/// The first line of a statement that is neither blank nor a comment, trimmed.
fn first_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with("--"))
        .unwrap_or("")
        .to_string()
}
