//! The rows a failing migration trips over, counted in SQL: NULLs in a column made NOT NULL,
//! duplicate groups under a new unique index, orphans under a new foreign key, values a type
//! change cannot cast. Read from PostgreSQL's message and the migration's own statement.

use sqlx::PgConnection;

use super::copy::literal;
use super::model::Offending;
use crate::error::QueryError;
use crate::migrations::{LocalMigration, split};
use crate::sql::{qualified, quote_ident};

/// Counts the rows behind `message`, the error `migration` failed with, in the state the failure
/// left `schema` in (a whole file is rolled back; split statements keep the ones before).
/// `None` when the message is not one of the four kinds, or the statement cannot be read.
pub(super) async fn offending(
    conn: &mut PgConnection,
    schema: &str,
    migration: &LocalMigration,
    message: &str,
) -> Result<Option<Offending>, QueryError> {
    let script = String::from_utf8_lossy(&migration.script).into_owned();
    let statements = split::statements(&script);
    let Some((sql, offending)) = query(schema, &statements, message) else {
        return Ok(None);
    };
    let (rows, groups): (i64, Option<i64>) = match sqlx::query_as(&sql).fetch_one(&mut *conn).await
    {
        Ok(counted) => counted,
        // The statement's objects may not exist in this state (a split file stopped early).
        Err(sqlx::Error::Database(_)) => return Ok(None),
        Err(other) => {
            return Err(QueryError::at("counting the rows the migration fails on")(
                other,
            ));
        }
    };
    Ok(Some(Offending {
        rows: rows.max(0) as u64,
        groups: groups.map(|g| g.max(0) as u64),
        ..offending
    }))
}

fn query(schema: &str, statements: &[&str], message: &str) -> Option<(String, Offending)> {
    let names = quoted(message);
    let offending = |table: &str, columns: Vec<String>, problem: &str| Offending {
        table: table.to_string(),
        columns,
        problem: problem.to_string(),
        rows: 0,
        groups: None,
    };
    if message.contains("contains null values") {
        // column "c" of relation "T" contains null values
        let (column, table) = (names.first()?, names.get(1)?);
        let sql = format!(
            "SELECT count(*), NULL::int8 FROM {} WHERE {} IS NULL",
            qualified(schema, table),
            quote_ident(column)
        );
        return Some((sql, offending(table, vec![column.clone()], "NULL in")));
    }
    if message.starts_with("could not create unique index") {
        let index = names.first()?;
        let statement = statements
            .iter()
            .find(|s| quoted(s).first() == Some(index))?;
        let idents = quoted(statement);
        let (table, columns) = (idents.get(1)?, idents.get(2..)?.to_vec());
        if columns.is_empty() {
            return None;
        }
        let list = columns
            .iter()
            .map(|c| quote_ident(c))
            .collect::<Vec<_>>()
            .join(", ");
        let not_null = columns
            .iter()
            .map(|c| format!("{} IS NOT NULL", quote_ident(c)))
            .collect::<Vec<_>>()
            .join(" AND ");
        let sql = format!(
            "SELECT coalesce(sum(n), 0)::int8, count(*) FROM (SELECT count(*) AS n FROM {} WHERE {not_null} GROUP BY {list} HAVING count(*) > 1) g",
            qualified(schema, table)
        );
        return Some((sql, offending(table, columns, "duplicate values in")));
    }
    if message.contains("violates foreign key constraint") {
        let constraint = names.get(1)?;
        let statement = statements.iter().find(|s| {
            s.contains(&format!("\"{constraint}\"")) && s.to_uppercase().contains("FOREIGN KEY")
        })?;
        let (table, columns, parent, parent_columns) = foreign_key(statement)?;
        let on = columns
            .iter()
            .zip(&parent_columns)
            .map(|(c, p)| format!("p.{} = c.{}", quote_ident(p), quote_ident(c)))
            .collect::<Vec<_>>()
            .join(" AND ");
        let not_null = columns
            .iter()
            .map(|c| format!("c.{} IS NOT NULL", quote_ident(c)))
            .collect::<Vec<_>>()
            .join(" AND ");
        let sql = format!(
            "SELECT count(*), NULL::int8 FROM {} c WHERE {not_null} AND NOT EXISTS (SELECT 1 FROM {} p WHERE {on})",
            qualified(schema, &table),
            qualified(schema, &parent)
        );
        return Some((sql, offending(&table, columns, "no parent row for")));
    }
    cast(schema, statements, message).map(|(sql, table, column)| {
        (
            sql,
            offending(&table, vec![column], "values that do not cast in"),
        )
    })
}

/// A type change that fails (`invalid input syntax`, `out of range`, `value too long`): the
/// `ALTER COLUMN … TYPE` statement's table, column and type; the values counted with a cast
/// tried per value inside the database (PostgreSQL 15 has no `pg_input_is_valid`).
fn cast(schema: &str, statements: &[&str], message: &str) -> Option<(String, String, String)> {
    let casting = [
        "invalid input",
        "out of range",
        "value too long",
        "cannot be cast",
    ];
    if !casting.iter().any(|m| message.contains(m)) {
        return None;
    }
    let statement = statements.iter().find(|s| {
        let upper = s.to_uppercase();
        upper.contains("ALTER COLUMN") && upper.contains(" TYPE ")
    })?;
    let idents = quoted(statement);
    let (table, column) = (idents.first()?, idents.get(1)?);
    let upper = statement.to_uppercase();
    let at = upper.find(" TYPE ")? + " TYPE ".len();
    let rest = &statement[at..];
    let end = rest.find(';').unwrap_or(rest.len());
    let end = rest[..end].to_uppercase().find(" USING").unwrap_or(end);
    let data_type = rest[..end].trim();
    let sql = format!(
        "SELECT count(*) FILTER (WHERE NOT pg_temp.prisma_guard_casts(v::text, {})), NULL::int8 FROM (SELECT {} AS v FROM {}) t WHERE v IS NOT NULL",
        literal(data_type),
        quote_ident(column),
        qualified(schema, table)
    );
    let function = "CREATE OR REPLACE FUNCTION pg_temp.prisma_guard_casts(value text, target text) RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN EXECUTE format('SELECT %L::%s', value, target); RETURN true; EXCEPTION WHEN OTHERS THEN RETURN false; END $f$;";
    Some((format!("{function} {sql}"), table.clone(), column.clone()))
}

/// `ALTER TABLE "T" ADD CONSTRAINT "n" FOREIGN KEY ("a") REFERENCES "P"("id")`: T, [a], P, [id].
fn foreign_key(statement: &str) -> Option<(String, Vec<String>, String, Vec<String>)> {
    let upper = statement.to_uppercase();
    let fk = upper.find("FOREIGN KEY")?;
    let refs = upper.find("REFERENCES")?;
    let table = quoted(&statement[..fk]).first()?.clone();
    let columns = quoted(&statement[fk..refs]);
    let after = quoted(&statement[refs..]);
    let (parent, parent_columns) = after.split_first()?;
    let parent_columns: Vec<String> = parent_columns.iter().take(columns.len()).cloned().collect();
    (parent_columns.len() == columns.len())
        .then(|| (table, columns, parent.clone(), parent_columns))
}

/// The double-quoted names in `text`, in order (`""` inside one is a quote).
fn quoted(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut name = String::new();
        while let Some(c) = chars.next() {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    name.push('"');
                    continue;
                }
                break;
            }
            name.push(c);
        }
        names.push(name);
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_foreign_keys_are_read_from_prisma_statements() {
        assert_eq!(
            quoted(r#"column "nick""name" of relation "User" contains null values"#),
            vec!["nick\"name", "User"]
        );
        let fk = r#"ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE"#;
        assert_eq!(
            foreign_key(fk),
            Some((
                "Post".into(),
                vec!["authorId".into()],
                "User".into(),
                vec!["id".into()]
            ))
        );
    }

    #[test]
    fn each_failure_kind_maps_to_its_count() {
        let statements = [
            r#"CREATE UNIQUE INDEX "User_email_key" ON "User"("email")"#,
            r#"ALTER TABLE "Product" ALTER COLUMN "code" SET DATA TYPE INTEGER USING "code"::integer"#,
        ];
        let (sql, o) = query(
            "public",
            &statements,
            r#"could not create unique index "User_email_key""#,
        )
        .unwrap();
        assert_eq!(
            (o.table.as_str(), o.columns.clone()),
            ("User", vec!["email".to_string()])
        );
        assert!(
            sql.contains(r#"GROUP BY "email" HAVING count(*) > 1"#),
            "{sql}"
        );
        let (sql, o) = query(
            "public",
            &statements,
            r#"invalid input syntax for type integer: "abc""#,
        )
        .unwrap();
        assert_eq!(o.columns, vec!["code".to_string()]);
        assert!(sql.contains("'INTEGER'"), "{sql}");
        assert!(query("public", &statements, "deadlock detected").is_none());
    }
}
