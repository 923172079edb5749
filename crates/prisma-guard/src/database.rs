//! Finding the database the way Prisma does, redacting its URL, and connecting to it.
//!
//! The URL comes from `--database-url`, else from the variables named by schema.prisma's
//! datasource (`directUrl` before `url`, as Prisma Migrate reads them), else `DATABASE_URL`. Each
//! variable is looked up in the process environment, then `.env` at the project root, then
//! `prisma/.env`. Prisma-only query parameters are removed before connecting and `?schema=`
//! becomes the working schema.

use std::fmt;
use std::str::FromStr;

use camino::{Utf8Path, Utf8PathBuf};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};
use url::Url;

/// The schema Prisma uses when the URL has no `?schema=` parameter.
pub const DEFAULT_SCHEMA: &str = "public";

/// Query parameters Prisma's PostgreSQL connector understands and PostgreSQL itself does not.
///
/// Source: Prisma's connection URL reference (PostgreSQL connector arguments).
const PRISMA_ONLY_PARAMS: &[&str] = &[
    "schema",
    "connection_limit",
    "pool_timeout",
    "pgbouncer",
    "socket_timeout",
    "connect_timeout",
    "statement_cache_size",
    "sslaccept",
    "sslidentity",
    "sslpassword",
    "max_connection_lifetime",
    "max_idle_connection_lifetime",
    "single_use_connections",
];

/// Errors while finding, parsing or connecting to the database.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    /// No URL in any of the places Prisma looks.
    #[error("no database URL found (looked for {tried})")]
    NoUrl {
        /// The places looked in, in order, for the message.
        tried: String,
    },
    /// The URL is not a PostgreSQL URL.
    #[error(
        "the database URL from {source_name} is not a valid PostgreSQL URL ({redacted}): {reason}"
    )]
    BadUrl {
        /// Where the URL came from.
        source_name: String,
        /// The URL with its password hidden.
        redacted: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `.env` file exists but cannot be read or parsed.
    #[error("cannot read {path}")]
    EnvFile {
        /// The file.
        path: Utf8PathBuf,
        /// The parse or I/O error.
        #[source]
        source: dotenvy::Error,
    },
    /// The server could not be reached, refused the login, or the database does not exist.
    #[error("cannot connect to {redacted}: {reason}")]
    Connect {
        /// The URL with its password hidden.
        redacted: String,
        /// What went wrong, in words.
        reason: ConnectFailure,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
}

/// Why a connection attempt failed, so the hint can say what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectFailure {
    /// Nothing answered at the host and port (refused, timed out, no such host).
    Unreachable,
    /// The server rejected the user or password (SQLSTATE 28P01 / 28000).
    Authentication,
    /// The server is up but the database does not exist (SQLSTATE 3D000).
    MissingDatabase,
    /// Anything else the driver reported.
    Other,
}

impl fmt::Display for ConnectFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConnectFailure::Unreachable => "the server is unreachable",
            ConnectFailure::Authentication => "authentication failed",
            ConnectFailure::MissingDatabase => "the database does not exist",
            ConnectFailure::Other => "the server refused the connection",
        })
    }
}

impl crate::error::Hint for DatabaseError {
    fn hint(&self) -> Option<String> {
        Some(match self {
            DatabaseError::NoUrl { .. } => "set DATABASE_URL (in the environment or .env) or pass --database-url".into(),
            DatabaseError::BadUrl { .. } => "use the form postgresql://USER:PASSWORD@HOST:PORT/DATABASE?schema=SCHEMA".into(),
            DatabaseError::EnvFile { .. } => "fix the line the error names; .env files hold KEY=VALUE lines".into(),
            DatabaseError::Connect { reason, .. } => match reason {
                ConnectFailure::Unreachable => "start PostgreSQL, or check the host and port in the URL".into(),
                ConnectFailure::Authentication => "check the user and password in the URL".into(),
                ConnectFailure::MissingDatabase => "create it (`createdb`, or `npx prisma migrate dev`), or fix the database name in the URL".into(),
                ConnectFailure::Other => "check the URL and the server's log".into(),
            },
        })
    }
}

/// A database URL ready to connect with, plus what Prisma would make of it.
#[derive(Clone)]
pub struct DatabaseUrl {
    /// The URL without Prisma-only parameters; it may hold a password, so it is never displayed.
    url: Url,
    /// The URL exactly as given, Prisma parameters included, for Prisma's own commands.
    raw: String,
    /// The working schema: `?schema=` or [`DEFAULT_SCHEMA`].
    schema: String,
    /// Where the URL came from, e.g. `DATABASE_URL in .env`.
    source: String,
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseUrl")
            .field("url", &self.redacted())
            .field("schema", &self.schema)
            .field("source", &self.source)
            .finish()
    }
}

impl DatabaseUrl {
    /// Parses a Prisma-style PostgreSQL URL (`postgresql://` or `postgres://`).
    ///
    /// `source` says where it came from, for messages. Errors with [`DatabaseError::BadUrl`]
    /// when it does not parse or has another scheme.
    pub fn parse(raw: &str, source: &str) -> Result<Self, DatabaseError> {
        let bad = |reason: &str| DatabaseError::BadUrl {
            source_name: source.to_string(),
            redacted: redact_raw(raw),
            reason: reason.to_string(),
        };
        let mut url = Url::parse(raw.trim()).map_err(|e| bad(&e.to_string()))?;
        if !matches!(url.scheme(), "postgresql" | "postgres") {
            return Err(bad(&format!(
                "the scheme is `{}`, expected `postgresql`",
                url.scheme()
            )));
        }
        let mut schema = DEFAULT_SCHEMA.to_string();
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter_map(|(k, v)| {
                if k == "schema" && !v.is_empty() {
                    schema = v.to_string();
                }
                (!PRISMA_ONLY_PARAMS.contains(&k.as_ref()))
                    .then(|| (k.into_owned(), v.into_owned()))
            })
            .collect();
        url.set_query(None);
        if !kept.is_empty() {
            url.query_pairs_mut().extend_pairs(kept);
        }
        PgConnectOptions::from_url(&url).map_err(|e| bad(&e.to_string()))?;
        Ok(DatabaseUrl {
            url,
            raw: raw.trim().to_string(),
            schema,
            source: source.to_string(),
        })
    }

    /// The working schema (`?schema=`, default `public`), where `_prisma_migrations` lives.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// Where the URL was found, e.g. `DATABASE_URL in .env`.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The URL with the password replaced by `***`: the only form ever displayed.
    ///
    /// ```
    /// use prisma_guard::database::DatabaseUrl;
    /// let url = DatabaseUrl::parse("postgresql://app:s3cret@localhost:5432/shop?schema=app", "example")?;
    /// assert_eq!(url.redacted(), "postgresql://app:***@localhost:5432/shop");
    /// assert_eq!(url.schema(), "app");
    /// # Ok::<(), prisma_guard::database::DatabaseError>(())
    /// ```
    pub fn redacted(&self) -> String {
        redact(&self.url)
    }

    /// The database name in the URL's path (empty when none is given).
    pub fn database_name(&self) -> String {
        self.url.path().trim_start_matches('/').to_string()
    }

    /// The same server and credentials with another database name; used to create scratch
    /// databases next to the target.
    pub fn with_database(&self, name: &str) -> DatabaseUrl {
        let mut other = self.clone();
        other.url.set_path(&format!("/{name}"));
        other.raw = other.prisma_url();
        other
    }

    /// The same URL with another working schema.
    pub fn with_schema(&self, schema: &str) -> DatabaseUrl {
        let mut other = self.clone();
        other.schema = schema.to_string();
        other.raw = other.prisma_url();
        other
    }

    /// The connection URL plus `?schema=`: what Prisma needs to see the same database.
    fn prisma_url(&self) -> String {
        let mut url = self.url.clone();
        url.query_pairs_mut().append_pair("schema", &self.schema);
        url.to_string()
    }

    /// The full URL including the password, for handing to a child process through its
    /// environment. Never print it.
    pub fn expose_secret(&self) -> &str {
        self.url.as_str()
    }

    /// The URL as given, with Prisma's parameters (`?schema=`), for handing to Prisma's own
    /// commands through their environment. Never print it.
    pub fn expose_prisma_secret(&self) -> &str {
        &self.raw
    }

    /// Whether the host is this machine: `localhost`, 127.0.0.0/8, `::1` or a Unix socket.
    pub fn is_local(&self) -> bool {
        let socket_param = self
            .url
            .query_pairs()
            .any(|(k, v)| k == "host" && v.starts_with('/'));
        // `postgresql:` is not a "special" scheme for the URL standard, so IP addresses arrive
        // as opaque host strings and are parsed here.
        match self.url.host() {
            None => true,
            Some(url::Host::Domain(d)) => {
                let ip = d
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>();
                d.is_empty()
                    || d == "localhost"
                    || socket_param
                    || ip.is_ok_and(|ip| ip.is_loopback())
            }
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        }
    }

    /// Connects one session with `search_path` set to the working schema, as Prisma does.
    ///
    /// Errors with [`DatabaseError::Connect`], classified as unreachable, authentication or
    /// missing database, with the URL redacted.
    pub async fn connect(&self) -> Result<PgConnection, DatabaseError> {
        let options = PgConnectOptions::from_str(self.url.as_str())
            .expect("validated in DatabaseUrl::parse")
            .application_name("xtask")
            .options([("search_path", quote_search_path(&self.schema))])
            .disable_statement_logging();
        PgConnection::connect_with(&options)
            .await
            .map_err(|source| DatabaseError::Connect {
                redacted: self.redacted(),
                reason: classify(&source),
                source,
            })
    }
}

fn quote_search_path(schema: &str) -> String {
    format!("\"{}\"", schema.replace('"', "\"\""))
}

fn classify(error: &sqlx::Error) -> ConnectFailure {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut => ConnectFailure::Unreachable,
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("28P01" | "28000") => ConnectFailure::Authentication,
            Some("3D000") => ConnectFailure::MissingDatabase,
            _ => ConnectFailure::Other,
        },
        _ => ConnectFailure::Other,
    }
}

/// Replaces the password in a URL (user info and `password=` parameter) with `***`.
pub fn redact(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("***"));
    }
    if shown.query_pairs().any(|(k, _)| k == "password") {
        let pairs: Vec<(String, String)> = shown
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "password" {
                    "***".into()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.to_string()
}

/// Redacts a string that may not even parse as a URL: everything between `://` and the last `@`
/// keeps only the user name.
fn redact_raw(raw: &str) -> String {
    if let Ok(url) = Url::parse(raw.trim()) {
        return redact(&url);
    }
    let Some((scheme, rest)) = raw.split_once("://") else {
        return "<unparsable>".into();
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        None => raw.to_string(),
    }
}

/// Where to look for the URL, in Prisma's order.
#[derive(Debug, Clone)]
pub struct UrlLookup<'a> {
    /// `--database-url`, which wins over everything else.
    pub explicit: Option<&'a str>,
    /// The project root, holding `.env`.
    pub project_root: &'a Utf8Path,
    /// The Prisma folder, holding `schema.prisma` and maybe its own `.env`.
    pub prisma_dir: &'a Utf8Path,
}

/// Finds the database URL as Prisma Migrate does; see the module docs for the order.
///
/// `env` reads a process environment variable (injected so tests need not mutate the real one).
/// Errors: [`DatabaseError::NoUrl`] naming every place tried, [`DatabaseError::BadUrl`],
/// [`DatabaseError::EnvFile`] for an unreadable `.env`.
pub fn find_url(
    lookup: &UrlLookup<'_>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<DatabaseUrl, DatabaseError> {
    if let Some(raw) = lookup.explicit {
        return DatabaseUrl::parse(raw, "--database-url");
    }
    let datasource = read_datasource(&lookup.prisma_dir.join("schema.prisma"));
    if let Some(literal) = &datasource.literal_url {
        return DatabaseUrl::parse(literal, "schema.prisma");
    }
    let mut names = datasource.env_vars;
    if !names.iter().any(|n| n == "DATABASE_URL") {
        names.push("DATABASE_URL".into());
    }
    let env_files = [
        (lookup.project_root.join(".env"), ".env"),
        (lookup.prisma_dir.join(".env"), "prisma/.env"),
    ];
    let mut file_vars = Vec::new();
    for (path, label) in &env_files {
        file_vars.push((label, read_env_file(path)?));
    }
    for name in &names {
        if let Some(value) = env(name).filter(|v| !v.is_empty()) {
            return DatabaseUrl::parse(&value, &format!("{name} in the environment"));
        }
        for (label, vars) in &file_vars {
            if let Some((_, value)) = vars.iter().find(|(k, v)| k == name && !v.is_empty()) {
                return DatabaseUrl::parse(value, &format!("{name} in {label}"));
            }
        }
    }
    Err(DatabaseError::NoUrl {
        tried: format!(
            "--database-url, then {} in the environment, .env and prisma/.env",
            names.join(", ")
        ),
    })
}

fn read_env_file(path: &Utf8Path) -> Result<Vec<(String, String)>, DatabaseError> {
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let to_error = |source| DatabaseError::EnvFile {
        path: path.to_owned(),
        source,
    };
    dotenvy::from_path_iter(path)
        .map_err(to_error)?
        .map(|item| item.map_err(to_error))
        .collect()
}

/// What schema.prisma's `datasource` block says about the URL.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Datasource {
    /// Variables named by `directUrl = env("X")` then `url = env("Y")`, in that order.
    pub env_vars: Vec<String>,
    /// A URL written literally (`url = "postgresql://…"`), which Prisma uses as is.
    pub literal_url: Option<String>,
}

/// Reads the datasource block of a schema.prisma; a missing file or block yields the default.
pub fn read_datasource(path: &Utf8Path) -> Datasource {
    std::fs::read_to_string(path)
        .map(|text| parse_datasource(&text))
        .unwrap_or_default()
}

/// Parses `directUrl` and `url` out of the first `datasource NAME { … }` block.
pub fn parse_datasource(schema: &str) -> Datasource {
    let mut in_block = false;
    let (mut direct, mut url) = (None, None);
    for line in schema.lines() {
        let line = strip_comment(line).trim();
        if !in_block {
            in_block = line.starts_with("datasource ") && line.ends_with('{');
            continue;
        }
        if line.starts_with('}') {
            break;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = parse_value(value.trim());
        match key.trim() {
            "directUrl" => direct = value,
            "url" => url = value,
            _ => {}
        }
    }
    let mut datasource = Datasource::default();
    for value in [direct, url].into_iter().flatten() {
        match value {
            Value::Env(name) => datasource.env_vars.push(name),
            Value::Literal(text) if datasource.env_vars.is_empty() => {
                datasource.literal_url.get_or_insert(text);
            }
            Value::Literal(_) => {}
        }
    }
    datasource
}

/// The line without a trailing `//` comment; `//` inside a string stays.
fn strip_comment(line: &str) -> &str {
    let mut in_string = false;
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match c {
            '"' if previous != '\\' => in_string = !in_string,
            '/' if previous == '/' && !in_string => return &line[..i - 1],
            _ => {}
        }
        previous = c;
    }
    line
}

enum Value {
    Env(String),
    Literal(String),
}

fn parse_value(value: &str) -> Option<Value> {
    let unquote = |s: &str| {
        s.trim()
            .strip_prefix('"')?
            .strip_suffix('"')
            .map(str::to_string)
    };
    if let Some(inner) = value.strip_prefix("env(").and_then(|v| v.strip_suffix(')')) {
        return unquote(inner).map(Value::Env);
    }
    unquote(value).map(Value::Literal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prisma_params_are_removed_and_schema_kept() {
        let url = DatabaseUrl::parse(
            "postgresql://app:s3cret@localhost:5432/shop?schema=tenant&connection_limit=5&sslmode=disable&pgbouncer=true",
            "test",
        )
        .unwrap();
        assert_eq!(url.schema(), "tenant");
        assert_eq!(
            url.expose_secret(),
            "postgresql://app:s3cret@localhost:5432/shop?sslmode=disable"
        );
        assert_eq!(
            url.redacted(),
            "postgresql://app:***@localhost:5432/shop?sslmode=disable"
        );
        assert_eq!(url.database_name(), "shop");
    }

    #[test]
    fn default_schema_is_public() {
        let url = DatabaseUrl::parse("postgres://u@127.0.0.1/db", "test").unwrap();
        assert_eq!(url.schema(), "public");
        assert!(url.is_local());
    }

    #[test]
    fn bad_urls_are_rejected_without_showing_the_password() {
        let err =
            DatabaseUrl::parse("mysql://root:hunter2@localhost/db", "DATABASE_URL").unwrap_err();
        let message = err.to_string();
        assert!(message.contains("scheme is `mysql`"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
        let err = DatabaseUrl::parse("postgresql://u:hunter2@host:notaport/db", "x").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn password_parameter_is_redacted() {
        let url = DatabaseUrl::parse("postgresql://u@localhost/db?password=hunter2", "x").unwrap();
        assert!(!url.redacted().contains("hunter2"));
        assert!(!format!("{url:?}").contains("hunter2"));
    }

    #[test]
    fn locality() {
        let local = |s| DatabaseUrl::parse(s, "x").unwrap().is_local();
        assert!(local("postgresql://u@localhost/db"));
        assert!(local("postgresql://u@127.0.0.2/db"));
        assert!(local("postgresql://u@[::1]/db"));
        assert!(local(
            "postgresql://u@localhost/db?host=/var/run/postgresql"
        ));
        assert!(!local("postgresql://u@db.example.com/db"));
        assert!(!local("postgresql://u@10.0.0.5/db"));
    }

    #[test]
    fn datasource_direct_url_comes_first() {
        let schema = r#"
generator client {
  provider = "prisma-client-js"
}

datasource db {
  provider  = "postgresql" // the database
  url       = env("POOLED_URL")
  directUrl = env("DIRECT_URL")
}
"#;
        assert_eq!(
            parse_datasource(schema),
            Datasource {
                env_vars: vec!["DIRECT_URL".into(), "POOLED_URL".into()],
                literal_url: None
            }
        );
    }

    #[test]
    fn datasource_literal_url() {
        let schema = "datasource db {\n provider = \"postgresql\"\n url = \"postgresql://u@localhost/x\"\n}\n";
        assert_eq!(
            parse_datasource(schema).literal_url.as_deref(),
            Some("postgresql://u@localhost/x")
        );
    }

    #[test]
    fn lookup_order_environment_then_env_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap();
        let prisma = root.join("prisma");
        std::fs::create_dir(&prisma).unwrap();
        std::fs::write(
            prisma.join("schema.prisma"),
            "datasource db {\n url = env(\"APP_DB\")\n directUrl = env(\"APP_DIRECT\")\n}\n",
        )
        .unwrap();
        std::fs::write(
            root.join(".env"),
            "APP_DB=postgresql://u@localhost/from_root_env\n",
        )
        .unwrap();
        std::fs::write(
            prisma.join(".env"),
            "APP_DIRECT=postgresql://u@localhost/from_prisma_env\n",
        )
        .unwrap();
        let lookup = UrlLookup {
            explicit: None,
            project_root: root,
            prisma_dir: &prisma,
        };
        let found = find_url(&lookup, |_| None).unwrap();
        assert_eq!(found.database_name(), "from_prisma_env");
        assert_eq!(found.source(), "APP_DIRECT in prisma/.env");
        let found = find_url(&lookup, |name| {
            (name == "APP_DB").then(|| "postgresql://u@localhost/from_process".to_string())
        })
        .unwrap();
        assert_eq!(
            found.database_name(),
            "from_prisma_env",
            "directUrl wins over url"
        );

        std::fs::remove_file(prisma.join(".env")).unwrap();
        let found = find_url(&lookup, |_| None).unwrap();
        assert_eq!(found.source(), "APP_DB in .env");

        let explicit = UrlLookup {
            explicit: Some("postgresql://u@localhost/flag"),
            ..lookup.clone()
        };
        assert_eq!(
            find_url(&explicit, |_| None).unwrap().database_name(),
            "flag"
        );
    }

    #[test]
    fn no_url_names_what_was_tried() {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap();
        let lookup = UrlLookup {
            explicit: None,
            project_root: root,
            prisma_dir: &root.join("prisma"),
        };
        let err = find_url(&lookup, |_| None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no database URL found (looked for --database-url, then DATABASE_URL in the environment, .env and prisma/.env)"
        );
    }
}
