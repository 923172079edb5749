//! One fresh database per test on a real server: the one `DATABASE_URL` names, or a throwaway
//! cluster booted on first use and stopped when the test process ends.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use pg_cluster::TempCluster;
use prisma_guard::database::DatabaseUrl;
use prisma_guard::migrations::{DeployOptions, DeployReport, LocalMigration};
use prisma_guard::sql::{qualified, quote_ident};
use sqlx::{Connection, PgConnection};

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

/// The test server's maintenance database (`postgres`), with its password if any: for commands
/// that create databases of their own on the server, such as `demo`.
pub fn server_url() -> String {
    server().admin_url().expose_secret().to_string()
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
    ) -> Result<DeployReport, prisma_guard::migrations::DeployError> {
        let mut conn = self
            .url
            .with_schema(schema)
            .connect()
            .await
            .expect("connecting");
        let options = DeployOptions {
            first: Some(first),
            ..DeployOptions::default()
        };
        prisma_guard::migrations::deploy(&mut conn, schema, migrations, options).await
    }

    /// [`TestDb::deploy_into`] the `public` schema, panicking on failure.
    pub async fn deploy(&self, migrations: &[LocalMigration], first: usize) -> DeployReport {
        self.deploy_into("public", migrations, first)
            .await
            .expect("deploying the fixture migrations")
    }
}

/// Rows only in `orig` and rows only in `public` over the columns both copies of a table have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Difference {
    /// `SELECT cols FROM orig."T" EXCEPT SELECT cols FROM public."T"`: rows that did not come
    /// back.
    pub missing: i64,
    /// The reverse: rows in `public` the original did not have.
    pub extra: i64,
}

impl TestDb {
    /// The base tables of `schema`, by name.
    pub async fn tables(&self, schema: &str) -> Vec<String> {
        let mut conn = self.connect().await;
        sqlx::query_scalar(
            "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY c.relname::text COLLATE \"C\"",
        )
        .bind(schema)
        .fetch_all(&mut conn)
        .await
        .expect("listing tables")
    }

    /// The columns of `schema.table`, in order.
    pub async fn columns(&self, schema: &str, table: &str) -> Vec<String> {
        let mut conn = self.connect().await;
        sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
        )
        .bind(schema)
        .bind(table)
        .fetch_all(&mut conn)
        .await
        .expect("listing columns")
    }

    /// Copies every table of `public` but `_prisma_migrations` into a new schema `target`
    /// (`CREATE TABLE target."T" AS TABLE public."T"`). Columns of types defined in `public`
    /// (enums) become `text`, so that dropping `public` later leaves the copies whole.
    pub async fn copy_public_to(&self, target: &str) {
        let mut sql = format!("CREATE SCHEMA {};\n", quote_ident(target));
        for table in self.tables("public").await {
            if table == "_prisma_migrations" {
                continue;
            }
            sql += &format!(
                "CREATE TABLE {} AS TABLE {};\n",
                qualified(target, &table),
                qualified("public", &table)
            );
        }
        self.execute(&sql).await;
        let mut conn = self.connect().await;
        let own_types: Vec<(String, String)> = sqlx::query_as(
            "SELECT c.relname::text, a.attname::text
             FROM pg_attribute a
             JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_type t ON t.oid = a.atttypid
             JOIN pg_namespace tn ON tn.oid = t.typnamespace
             WHERE n.nspname = $1 AND a.attnum > 0 AND NOT a.attisdropped AND tn.nspname = 'public'",
        )
        .bind(target)
        .fetch_all(&mut conn)
        .await
        .expect("finding enum columns");
        let mut sql = String::new();
        for (table, column) in own_types {
            let column = quote_ident(&column);
            sql += &format!(
                "ALTER TABLE {} ALTER COLUMN {column} TYPE text USING {column}::text;\n",
                qualified(target, &table)
            );
        }
        if !sql.is_empty() {
            self.execute(&sql).await;
        }
    }

    /// Compares `orig."T"` with `public."T"` over the columns both have (each cast to text),
    /// with EXCEPT both ways.
    pub async fn difference(&self, orig: &str, table: &str) -> Difference {
        let theirs = self.columns("public", table).await;
        let common: Vec<String> = self
            .columns(orig, table)
            .await
            .into_iter()
            .filter(|c| theirs.contains(c))
            .collect();
        assert!(
            !common.is_empty(),
            "{table}: no columns in common between {orig} and public"
        );
        let list = common
            .iter()
            .map(|c| format!("{}::text", quote_ident(c)))
            .collect::<Vec<_>>()
            .join(", ");
        let (a, b) = (qualified(orig, table), qualified("public", table));
        Difference {
            missing: self
                .scalar(&format!(
                    "SELECT count(*) FROM (SELECT {list} FROM {a} EXCEPT SELECT {list} FROM {b}) d"
                ))
                .await,
            extra: self
                .scalar(&format!(
                    "SELECT count(*) FROM (SELECT {list} FROM {b} EXCEPT SELECT {list} FROM {a}) d"
                ))
                .await,
        }
    }

    /// `count(*)` of every table of `schema`, by name.
    pub async fn row_counts(&self, schema: &str) -> BTreeMap<String, i64> {
        let mut counts = BTreeMap::new();
        for table in self.tables(schema).await {
            let count = self
                .scalar(&format!(
                    "SELECT count(*) FROM {}",
                    qualified(schema, &table)
                ))
                .await;
            counts.insert(table, count);
        }
        counts
    }

    /// `last_value, is_called` of every sequence in `public`, by name.
    pub async fn sequences(&self) -> BTreeMap<String, (i64, bool)> {
        let mut conn = self.connect().await;
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind = 'S' ORDER BY c.relname::text COLLATE \"C\"",
        )
        .fetch_all(&mut conn)
        .await
        .expect("listing sequences");
        let mut states = BTreeMap::new();
        for name in names {
            let state: (i64, bool) = sqlx::query_as(&format!(
                "SELECT last_value, is_called FROM {}",
                qualified("public", &name)
            ))
            .fetch_one(&mut conn)
            .await
            .expect("reading a sequence");
            states.insert(name, state);
        }
        states
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
