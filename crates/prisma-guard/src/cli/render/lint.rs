//! Lint findings for the terminal: `migration: line N: rule (severity): message`, folded when
//! long (`status --json` has them all).

use super::fold::SKIPPED_LINES;
use crate::lint::{Finding, LintMode, LintReport};

/// The `lint` object of `status --json` and `pre-migrate --json`: `{mode, migrations, findings}`.
pub fn lint_json(mode: LintMode, report: &LintReport) -> serde_json::Value {
    serde_json::json!({ "mode": mode, "migrations": report.migrations, "findings": report.findings })
}

/// `pre-migrate`'s JSON document with the `lint` object added.
pub fn with_lint(pre_migrate_json: String, mode: LintMode, report: &LintReport) -> String {
    let mut value: serde_json::Value =
        serde_json::from_str(&pre_migrate_json).expect("our own JSON parses");
    if let Some(object) = value.as_object_mut() {
        object.insert("lint".into(), lint_json(mode, report));
    }
    super::pretty(&value)
}

/// One line per finding, then how to silence one; the first [`SKIPPED_LINES`] and a fold when
/// there are more. Empty when there is nothing to show.
pub fn findings_text(report: &LintReport) -> String {
    if report.findings.is_empty() {
        return String::new();
    }
    let lines: Vec<String> = report.findings.iter().map(finding_line).collect();
    let mut out = format!(
        "Lint ({} in {} migration{})\n",
        counts(report),
        report.migrations.len(),
        if report.migrations.len() == 1 {
            ""
        } else {
            "s"
        }
    );
    for line in lines.iter().take(SKIPPED_LINES) {
        out += &format!("  {line}\n");
    }
    if lines.len() > SKIPPED_LINES {
        out += &format!(
            "  … and {} more (`status --json` lists them all)\n",
            lines.len() - SKIPPED_LINES
        );
    }
    out += "  silence one with `-- squawk-ignore <rule>` on the line before it in migration.sql\n";
    out
}

/// `20250101_drop: line 3: ban-drop-column (error): Dropping a column may break existing clients.`
/// followed by its statement.
pub fn finding_line(finding: &Finding) -> String {
    format!(
        "{}: line {}: {} ({}): {}\n      {}",
        finding.migration,
        finding.line,
        finding.rule,
        finding.severity.label(),
        finding.message.trim_end_matches('.'),
        finding.statement
    )
}

/// `2 errors, 1 warning`.
fn counts(report: &LintReport) -> String {
    let errors = report.errors().count();
    let warnings = report.findings.len() - errors;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, w) => plural(w, "warning"),
        (e, 0) => plural(e, "error"),
        (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::Severity;

    fn finding(line: usize, severity: Severity) -> Finding {
        Finding {
            migration: "20250101000000_drop".into(),
            rule: "ban-drop-column".into(),
            severity,
            message: "Dropping a column may break existing clients.".into(),
            help: None,
            line,
            statement: "ALTER TABLE \"User\" DROP COLUMN \"name\";".into(),
        }
    }

    #[test]
    fn findings_are_one_line_each_and_folded() {
        assert_eq!(findings_text(&LintReport::default()), "");
        let report = LintReport {
            migrations: vec!["20250101000000_drop".into()],
            findings: vec![finding(3, Severity::Error), finding(5, Severity::Warning)],
        };
        let text = findings_text(&report);
        assert!(
            text.starts_with("Lint (1 error, 1 warning in 1 migration)\n"),
            "{text}"
        );
        assert!(text.contains("  20250101000000_drop: line 3: ban-drop-column (error): Dropping a column may break existing clients\n      ALTER TABLE \"User\" DROP COLUMN \"name\";\n"), "{text}");
        let many = LintReport {
            migrations: report.migrations.clone(),
            findings: (1..=12).map(|n| finding(n, Severity::Error)).collect(),
        };
        let text = findings_text(&many);
        assert!(
            text.contains("… and 2 more (`status --json` lists them all)"),
            "{text}"
        );
        assert!(!text.contains("line 11:"), "{text}");
    }
}
