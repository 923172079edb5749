//! A role of the test's own, so that its scratch databases are judged by its commands only.

use crate::support::TestDb;

/// A login role of this test's own (member of the server's admin role, so it may write the
/// test database; `CREATEDB` for the scratch database), and `db`'s URL as that role. Scratch
/// databases are judged only by the role that owns them, so the other tests running meanwhile
/// never clean this test's up.
pub struct OwnRole {
    name: String,
    /// The test database's URL as this role.
    pub url: String,
    admin: String,
}

impl OwnRole {
    pub async fn new(db: &TestDb) -> OwnRole {
        let name = format!("xtask_leftovers_{}", std::process::id());
        let admin: String = db.scalar("SELECT current_user::text").await;
        db.execute(&format!(
            "DROP ROLE IF EXISTS \"{name}\"; \
             CREATE ROLE \"{name}\" LOGIN CREATEDB PASSWORD 'leftovers'; \
             GRANT \"{admin}\" TO \"{name}\";"
        ))
        .await;
        let mut url = url::Url::parse(&db.url()).unwrap();
        url.set_username(&name).unwrap();
        url.set_password(Some("leftovers")).unwrap();
        OwnRole {
            name,
            url: url.to_string(),
            admin: db.url(),
        }
    }

    /// Runs SQL (one statement) as this role in its database.
    pub async fn execute(&self, sql: &str) {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
        sqlx::raw_sql(sql)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{e}\nin:\n{sql}"));
    }

    /// Names of the scratch databases this role owns, sorted.
    pub async fn scratch_databases(&self) -> Vec<String> {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
        sqlx::query_scalar(
            r"SELECT datname::text FROM pg_database
              WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = current_user)
                AND (datname LIKE 'prisma\_guard\_scratch\_%' OR datname LIKE 'xtask\_scratch\_%')
              ORDER BY 1",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap()
    }

    /// Creates a scratch database named `name` (as this role) with `comment`, if any.
    pub async fn fake_scratch(&self, name: &str, comment: Option<&str>) {
        self.execute(&format!("CREATE DATABASE \"{name}\"")).await;
        if let Some(comment) = comment {
            self.execute(&format!("COMMENT ON DATABASE \"{name}\" IS '{comment}'"))
                .await;
        }
    }

    /// Drops what this role still owns, then the role (for a server that outlives the tests).
    pub async fn drop_all(self) {
        use sqlx::Connection;
        for name in self.scratch_databases().await {
            self.execute(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
                .await;
        }
        let mut conn = sqlx::PgConnection::connect(&self.admin).await.unwrap();
        let _ = sqlx::raw_sql(&format!(
            "DROP OWNED BY \"{0}\"; DROP ROLE \"{0}\"",
            self.name
        ))
        .execute(&mut conn)
        .await;
    }
}
