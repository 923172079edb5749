//! One migration.sql through squawk: parse, lint with the profile's rules, and turn each
//! violation into a [`Finding`] with its line and statement.

use squawk_linter::{Linter, LinterSettings};
use squawk_syntax::SourceFile;
use squawk_syntax::ast::AstNode;

use super::{Finding, Profile, Severity};

/// The rule name of a finding for SQL squawk cannot parse (the name squawk's own CLI uses), so
/// `-- squawk-ignore syntax-error` above the statement or `-- squawk-ignore-file syntax-error`
/// silences it.
pub const SYNTAX_ERROR: &str = "syntax-error";

/// The findings in `sql` (the text of migration `migration`'s migration.sql) under `profile`,
/// ordered by line, with squawk's ignore comments applied (pure). SQL squawk cannot parse is one
/// warning ([`SYNTAX_ERROR`], at its first parse error): squawk skips what it cannot parse, so
/// the warning says that part went unlinted; the rest is still linted.
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
    let mut findings: Vec<Finding> = violations
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
        .collect();
    if let Some(error) = parse.errors().first() {
        let start = usize::from(error.range().start());
        let statement = statements.iter().find(|s| s.range.contains(&start));
        let first = statement.map_or_else(|| line_of(sql, start), |s| s.first_line);
        if !ignored_above(&lines, first, SYNTAX_ERROR) && !ignored_in_file(&lines, SYNTAX_ERROR) {
            findings.push(Finding {
                migration: migration.to_string(),
                rule: SYNTAX_ERROR.into(),
                severity: Severity::Warning,
                message: format!(
                    "squawk cannot parse this ({}), so this part of the file is not linted",
                    error.message()
                ),
                help: Some("PostgreSQL may still accept it: check this statement yourself".into()),
                line: line_of(sql, start),
                statement: statement.map_or_else(|| line_text(sql, start), |s| s.text.clone()),
            });
            findings.sort_by_key(|f| f.line);
        }
    }
    findings
}

/// Whether a `-- squawk-ignore-file` comment names `rule` or no rule. squawk applies these to
/// its own findings; this is for the ones added here.
fn ignored_in_file(lines: &[&str], rule: &str) -> bool {
    lines
        .iter()
        .map(|line| line.trim())
        .filter(|line| line.starts_with("--"))
        .filter_map(|line| {
            let body = line.trim_start_matches('-').trim();
            body.strip_prefix(squawk_linter::ignore::IGNORE_FILE_TEXT)
        })
        .any(|names| {
            let names = names.split("--").next().unwrap_or("").trim();
            names.is_empty() || names.split(',').any(|name| name.trim() == rule)
        })
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
