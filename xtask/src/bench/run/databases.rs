//! The databases a run creates on the server, named `<prefix>_<suffix>`, all dropped at the end.

use prisma_guard::database::DatabaseUrl;
use prisma_guard::sql::quote_ident;

use crate::bench::BenchError;

/// Databases created by the run, dropped at the end whatever happens.
pub(super) struct Databases<'a> {
    admin: &'a DatabaseUrl,
    prefix: String,
    created: Vec<String>,
}

impl<'a> Databases<'a> {
    /// None yet; they will be created through `admin` and named `<prefix>_<suffix>`.
    pub(super) fn new(admin: &'a DatabaseUrl, prefix: String) -> Databases<'a> {
        Databases {
            admin,
            prefix,
            created: Vec::new(),
        }
    }

    /// Creates `<prefix>_<suffix>` (dropping one left over first) and returns its URL, schema
    /// `public`.
    pub(super) async fn create(&mut self, suffix: &str) -> Result<DatabaseUrl, BenchError> {
        let name = format!("{}_{suffix}", self.prefix);
        let mut conn = self.admin.connect().await?;
        for sql in [
            format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                quote_ident(&name)
            ),
            format!("CREATE DATABASE {}", quote_ident(&name)),
        ] {
            sqlx::raw_sql(&sql)
                .execute(&mut conn)
                .await
                .map_err(BenchError::database(&format!("creating database {name}")))?;
        }
        self.created.push(name.clone());
        Ok(self.admin.with_database(&name).with_schema("public"))
    }

    /// Creates `<prefix>_<suffix>` as a copy of the database of `template`
    /// (`CREATE DATABASE … TEMPLATE`), which must have no session; a session of ours that is
    /// still closing is waited for (up to 10 s). Returns its URL, schema `public`.
    pub(super) async fn create_from(
        &mut self,
        suffix: &str,
        template: &DatabaseUrl,
    ) -> Result<DatabaseUrl, BenchError> {
        let name = format!("{}_{suffix}", self.prefix);
        let mut conn = self.admin.connect().await?;
        let drop = format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&name)
        );
        sqlx::raw_sql(&drop)
            .execute(&mut conn)
            .await
            .map_err(BenchError::database(&format!("dropping database {name}")))?;
        let create = format!(
            "CREATE DATABASE {} TEMPLATE {}",
            quote_ident(&name),
            quote_ident(&template.database_name())
        );
        let mut attempts = 0;
        loop {
            match sqlx::raw_sql(&create).execute(&mut conn).await {
                Ok(_) => break,
                // 55006 object_in_use: the template still has a session ending.
                Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("55006") => {
                    attempts += 1;
                    if attempts == 100 {
                        return Err(BenchError::database(&format!("creating database {name}"))(
                            sqlx::Error::Database(e),
                        ));
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => {
                    return Err(BenchError::database(&format!("creating database {name}"))(
                        e,
                    ));
                }
            }
        }
        self.created.push(name.clone());
        Ok(self.admin.with_database(&name).with_schema("public"))
    }

    /// Drops the database of `url` now.
    pub(super) async fn drop_one(&mut self, url: &DatabaseUrl) -> Result<(), BenchError> {
        let name = url.database_name();
        let mut conn = self.admin.connect().await?;
        sqlx::raw_sql(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&name)
        ))
        .execute(&mut conn)
        .await
        .map_err(BenchError::database(&format!("dropping database {name}")))?;
        self.created.retain(|n| *n != name);
        Ok(())
    }

    /// Drops every database not dropped yet, ignoring errors.
    pub(super) async fn drop_all(&mut self) {
        let Ok(mut conn) = self.admin.connect().await else {
            return;
        };
        for name in std::mem::take(&mut self.created) {
            let sql = format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                quote_ident(&name)
            );
            let _ = sqlx::raw_sql(&sql).execute(&mut conn).await;
        }
    }
}
