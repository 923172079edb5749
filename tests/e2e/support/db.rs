//! One fresh database per test on a real server: the one `DATABASE_URL` names, or a throwaway
//! cluster booted on first use and stopped when the test process ends.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::{Connection, PgConnection};
use xtask::cluster::TempCluster;
use xtask::database::DatabaseUrl;
use xtask::migrations::{DeployOptions, DeployReport, LocalMigration};

enum Server {
    External(DatabaseUrl),
    /// The cluster is held only to keep it running for the whole process.
    Temp(#[allow(dead_code)] TempCluster, DatabaseUrl),
}

impl Server {
    fn admin_url(&self) -> &DatabaseUrl {
        match self {
            Server::External(url) | Server::Temp(_, url) => url,
        }
    }
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            Server::External(DatabaseUrl::parse(&url, "DATABASE_URL").expect("DATABASE_URL parses"))
        }
        _ => {
            let cluster =
                TempCluster::start().unwrap_or_else(|e| panic!("booting PostgreSQL: {e}"));
            let url = DatabaseUrl::parse(&cluster.url("postgres"), "cluster").unwrap();
            Server::Temp(cluster, url)
        }
    })
}

/// A database of its own for one test; dropped when the test ends.
pub struct TestDb {
    /// The database's name.
    pub name: String,
    url: DatabaseUrl,
}

impl TestDb {
    /// Creates an empty database with a name no other test uses.
    pub async fn new() -> TestDb {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "xtask_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let admin = server().admin_url();
        let mut conn = admin
            .connect()
            .await
            .expect("connecting to the test server");
        for sql in [
            format!("DROP DATABASE IF EXISTS \"{name}\""),
            format!("CREATE DATABASE \"{name}\""),
        ] {
            sqlx::raw_sql(&sql)
                .execute(&mut conn)
                .await
                .expect("creating the test database");
        }
        TestDb {
            url: admin.with_database(&name).with_schema("public"),
            name,
        }
    }

    /// The URL of this database (working schema `public`), with its password if any.
    pub fn url(&self) -> String {
        self.url.expose_secret().to_string()
    }

    /// The parsed URL, ready for the library.
    pub fn database_url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// A connection whose `search_path` is `public`.
    pub async fn connect(&self) -> PgConnection {
        self.url
            .connect()
            .await
            .expect("connecting to the test database")
    }

    /// Runs SQL (several statements allowed) and panics on error.
    pub async fn execute(&self, sql: &str) {
        let mut conn = self.connect().await;
        sqlx::raw_sql(sql)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{e}\nin:\n{sql}"));
        conn.close().await.ok();
    }

    /// A single value from a query.
    pub async fn scalar<T>(&self, sql: &str) -> T
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
    {
        let mut conn = self.connect().await;
        sqlx::query_scalar(sql)
            .fetch_one(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{e}\nin:\n{sql}"))
    }

    /// Applies the first `first` of `migrations` with the built-in deploy, as
    /// `prisma migrate deploy` would, into `schema`.
    pub async fn deploy_into(
        &self,
        schema: &str,
        migrations: &[LocalMigration],
        first: usize,
    ) -> Result<DeployReport, xtask::migrations::DeployError> {
        let mut conn = self
            .url
            .with_schema(schema)
            .connect()
            .await
            .expect("connecting");
        let options = DeployOptions { first: Some(first) };
        xtask::migrations::deploy(&mut conn, schema, migrations, options).await
    }

    /// [`TestDb::deploy_into`] the `public` schema, panicking on failure.
    pub async fn deploy(&self, migrations: &[LocalMigration], first: usize) -> DeployReport {
        self.deploy_into("public", migrations, first)
            .await
            .expect("deploying the fixture migrations")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if matches!(server(), Server::Temp(..)) {
            return; // the whole cluster goes away with the process
        }
        let name = self.name.clone();
        let admin = server().admin_url().clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut conn = admin.connect().await.ok()?;
                let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                sqlx::raw_sql(&sql).execute(&mut conn).await.ok()
            })
        })
        .join();
    }
}
