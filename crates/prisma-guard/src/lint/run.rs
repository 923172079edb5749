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
    let statements: Vec<Statement> = parse
        .tree()
        .stmts()
        .map(|stmt| {
            let range = stmt.syntax().text_range();
            let text = stmt.syntax().text().to_string();
            let (skipped, first) = first_line(&text);
            let start = usize::from(range.start());
            Statement {
                range: start..usize::from(range.end()),
                first_line: line_of(sql, start + skipped),
                text: first,
            }
        })
        .collect();
    let lines: Vec<&str> = sql.lines().collect();
    violations
        .into_iter()
        .filter_map(|violation| {
            let severity = profile.severity(violation.code)?;
            let start = usize::from(violation.text_range.start());
            let statement = statements.iter().find(|s| s.range.contains(&start));
            let rule = violation.code.to_string();
            if statement.is_some_and(|s| ignored_above(&lines, s.first_line, &rule)) {
                return None;
            }
            let statement = statement.map_or_else(|| line_text(sql, start), |s| s.text.clone());
            Some(Finding {
                migration: migration.to_string(),
                rule,
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

/// A statement of the file: its bytes, the line its SQL starts on (1-based, after any
/// comments the parser put inside it) and that line's text.
struct Statement {
    range: std::ops::Range<usize>,
    first_line: usize,
    text: String,
}

/// The byte offset in `text` of its first line that is neither blank nor a comment, and that
/// line trimmed.
fn first_line(text: &str) -> (usize, String) {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if !trimmed.is_empty() && !trimmed.starts_with("--") {
            return (offset, trimmed.to_string());
        }
        offset += line.len();
    }
    (0, String::new())
}

/// Whether a `-- squawk-ignore` comment naming `rule` is among the comment lines right above
/// line `first` (1-based) of a statement: Prisma writes its own `-- AlterTable` there, so the
/// ignore may stand above or below it. squawk itself only looks at the line before the
/// finding's own line, which misses both that and a finding on a later line of the statement.
fn ignored_above(lines: &[&str], first: usize, rule: &str) -> bool {
    lines[..first.saturating_sub(1).min(lines.len())]
        .iter()
        .rev()
        .map(|line| line.trim())
        .take_while(|line| line.starts_with("--"))
        .filter_map(|line| {
            let body = line.trim_start_matches('-').trim();
            let names = body.strip_prefix(squawk_linter::ignore::IGNORE_LINE_TEXT)?;
            // `squawk-ignore-file` is squawk's own, applied already.
            names.starts_with([' ', '\t']).then_some(names)
        })
        .any(|names| {
            let names = names.split("--").next().unwrap_or("");
            names.split(',').any(|name| name.trim() == rule)
        })
}
