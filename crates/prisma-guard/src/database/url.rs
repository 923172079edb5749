//! [`DatabaseUrl`]: a Prisma-style URL parsed, its Prisma-only parameters removed, the working
//! schema taken from `?schema=`; and redacting its password for display.

use std::fmt;

use sqlx::ConnectOptions;
use sqlx::postgres::PgConnectOptions;
use url::Url;

use super::DatabaseError;

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

/// A database URL ready to connect with, plus what Prisma would make of it.
#[derive(Clone)]
pub struct DatabaseUrl {
    /// The URL without Prisma-only parameters; it may hold a password, so it is never displayed.
    pub(super) url: Url,
    /// The URL exactly as given, Prisma parameters included, for Prisma's own commands.
    raw: String,
    /// The working schema: `?schema=` or [`DEFAULT_SCHEMA`].
    pub(super) schema: String,
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
}
