//! [`DatabaseUrl`]: a Prisma-style URL resolved once into the connection it makes
//! ([`super::resolve`]), the working schema taken from `?schema=`; the forms shown and handed to
//! other programs are all built from the resolved values, the password redacted for display.

use std::fmt;

use url::Url;

use super::DatabaseError;
use super::resolve::{self, Refusal, Resolved, encode, ssl_mode_name};

/// The schema Prisma uses when the URL has no `?schema=` parameter.
pub const DEFAULT_SCHEMA: &str = "public";

/// A database URL resolved into the connection it makes, plus what Prisma would make of it.
///
/// Every host, the port, user, database and TLS settings are read once, with libpq's query
/// parameters (`?dbname=`, `?host=`, `?hostaddr=`, `?port=`, `?user=`, …) folded in; connecting
/// ([`DatabaseUrl::connect`]), [`DatabaseUrl::redacted`], [`DatabaseUrl::database_name`],
/// [`DatabaseUrl::is_local`] and [`DatabaseUrl::with_database`] all use those same values.
#[derive(Clone)]
pub struct DatabaseUrl {
    /// The resolved connection; it may hold a password, so it is never displayed.
    pub(super) conn: Resolved,
    /// The working schema: `?schema=` or [`DEFAULT_SCHEMA`].
    pub(super) schema: String,
    /// Where the URL came from, e.g. `DATABASE_URL in .env`.
    source: String,
    /// [`DatabaseUrl::expose_secret`], built from `conn`.
    secret: String,
    /// [`DatabaseUrl::expose_prisma_secret`], built from `conn` and `schema`.
    prisma_secret: String,
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

/// Whether a built URL shows the password.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Password {
    Secret,
    Redacted,
}

impl DatabaseUrl {
    /// Parses a Prisma-style PostgreSQL URL (`postgresql://` or `postgres://`) and resolves the
    /// connection it makes.
    ///
    /// Accepted query parameters: `schema` and the other Prisma-only ones (not used for the
    /// connection), and libpq's `host`, `hostaddr`, `port`, `dbname`, `user`, `password`,
    /// `sslmode`, `sslrootcert`, `sslcert`, `sslkey`, `application_name`. `source` says where
    /// the URL came from, for messages.
    ///
    /// Errors with [`DatabaseError::BadUrl`] when it does not parse, has another scheme or its
    /// hosts, addresses and ports do not pair up, and [`DatabaseError::UnsupportedParameter`]
    /// for any other parameter (`options` included: it could set any server setting).
    pub fn parse(raw: &str, source: &str) -> Result<Self, DatabaseError> {
        let conn = resolve::resolve(raw).map_err(|refusal| match refusal {
            Refusal::Bad(reason) => DatabaseError::BadUrl {
                source_name: source.to_string(),
                redacted: redact_raw(raw),
                reason,
            },
            Refusal::Unsupported(name) => DatabaseError::UnsupportedParameter {
                source_name: source.to_string(),
                redacted: redact_raw(raw),
                name,
            },
        })?;
        let schema = conn
            .schema
            .clone()
            .unwrap_or_else(|| DEFAULT_SCHEMA.to_string());
        Ok(DatabaseUrl {
            conn,
            schema,
            source: source.to_string(),
            secret: String::new(),
            prisma_secret: String::new(),
        }
        .rebuilt())
    }

    /// The working schema (`?schema=`, default `public`), where `_prisma_migrations` lives.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// Where the URL was found, e.g. `DATABASE_URL in .env`.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The effective connection as a URL with the password replaced by `***`: the only form
    /// ever displayed. It names every host and port the connection may try and the database it
    /// opens, whatever query parameter set them.
    ///
    /// ```
    /// use prisma_guard::database::DatabaseUrl;
    /// let url = DatabaseUrl::parse("postgresql://app:s3cret@localhost/shop?schema=app", "example")?;
    /// assert_eq!(url.redacted(), "postgresql://app:***@localhost:5432/shop");
    /// assert_eq!(url.schema(), "app");
    /// let url = DatabaseUrl::parse("postgresql://app@localhost/shop?dbname=real&port=6543", "example")?;
    /// assert_eq!(url.redacted(), "postgresql://app@localhost:6543/real");
    /// # Ok::<(), prisma_guard::database::DatabaseError>(())
    /// ```
    pub fn redacted(&self) -> String {
        self.build(Password::Redacted, false)
    }

    /// The database the connection opens (`?dbname=`, else the path, else `PGDATABASE`, else
    /// the user name, as the server defaults it).
    pub fn database_name(&self) -> String {
        self.conn.database.clone()
    }

    /// The same hosts, port, credentials and TLS settings with another database; used to create
    /// scratch databases next to the target. Nothing of the original URL can point the result
    /// back at the original database.
    pub fn with_database(&self, name: &str) -> DatabaseUrl {
        let mut other = self.clone();
        other.conn.database = name.to_string();
        other.rebuilt()
    }

    /// The same connection with another working schema.
    pub fn with_schema(&self, schema: &str) -> DatabaseUrl {
        let mut other = self.clone();
        other.schema = schema.to_string();
        other.rebuilt()
    }

    /// The effective connection as a URL including the password, without Prisma's parameters,
    /// for handing to a child process through its environment. Never print it.
    pub fn expose_secret(&self) -> &str {
        &self.secret
    }

    /// The effective connection as a URL including the password, plus Prisma's parameters and
    /// `?schema=`, for handing to Prisma's own commands through their environment, so they
    /// reach the same database. Never print it.
    pub fn expose_prisma_secret(&self) -> &str {
        &self.prisma_secret
    }

    /// Whether every host the connection may try is this machine: `localhost`, 127.0.0.0/8,
    /// `::1` or a Unix socket; a `hostaddr` must be loopback too. Decided from the resolved
    /// values, before any connection.
    pub fn is_local(&self) -> bool {
        self.conn.targets.iter().all(|t| t.is_local())
    }

    fn rebuilt(mut self) -> DatabaseUrl {
        self.secret = self.build(Password::Secret, false);
        self.prisma_secret = self.build(Password::Secret, true);
        self
    }

    /// Writes the resolved connection as a URL libpq, sqlx and Prisma read alike: TCP hosts in
    /// the authority (`h1:5432,h2:5432`), or, when a Unix socket is among them, `localhost` and
    /// `?host=`/`?port=` lists; then `hostaddr`, TLS and `application_name`; for Prisma its own
    /// parameters and `schema`.
    fn build(&self, password: Password, prisma: bool) -> String {
        let c = &self.conn;
        let mut url = format!("postgresql://{}", encode(&c.user, b""));
        if let Some(secret) = &c.password {
            url.push(':');
            url.push_str(&match password {
                Password::Secret => encode(secret, b""),
                Password::Redacted => "***".into(),
            });
        }
        url.push('@');
        let mut query: Vec<(&str, String)> = Vec::new();
        let port = c.targets[0].port;
        let one_port = c.targets.iter().all(|t| t.port == port);
        if c.targets.iter().any(|t| t.is_socket()) {
            url.push_str("localhost");
            if one_port {
                url.push_str(&format!(":{port}"));
            }
            let hosts: Vec<&str> = c.targets.iter().map(|t| t.host.as_str()).collect();
            query.push(("host", hosts.join(",")));
            if !one_port {
                let ports: Vec<String> = c.targets.iter().map(|t| t.port.to_string()).collect();
                query.push(("port", ports.join(",")));
            }
        } else {
            let hosts: Vec<String> = c
                .targets
                .iter()
                .map(|t| match t.host.contains(':') {
                    true => format!("[{}]:{}", t.host, t.port),
                    false => format!("{}:{}", encode(&t.host, b""), t.port),
                })
                .collect();
            url.push_str(&hosts.join(","));
        }
        url.push('/');
        url.push_str(&encode(&c.database, b""));
        if c.targets.iter().any(|t| t.addr.is_some()) {
            let addrs: Vec<String> = c
                .targets
                .iter()
                .map(|t| t.addr.map(|a| a.to_string()).unwrap_or_default())
                .collect();
            query.push(("hostaddr", addrs.join(",")));
        }
        let mode = ssl_mode_name(c.ssl_mode);
        if mode != "prefer" {
            query.push(("sslmode", mode.into()));
        }
        for (key, value) in [
            ("sslrootcert", &c.ssl_root_cert),
            ("sslcert", &c.ssl_cert),
            ("sslkey", &c.ssl_key),
            ("application_name", &c.application_name),
        ] {
            if let Some(value) = value {
                query.push((key, value.clone()));
            }
        }
        if prisma {
            query.extend(c.prisma_params.iter().map(|(k, v)| (k.as_str(), v.clone())));
            query.push(("schema", self.schema.clone()));
        }
        for (i, (key, value)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&format!("{key}={}", encode(value, b"/:,")));
        }
        url
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

/// Redacts a URL as given, which may not even parse: everything up to the last `@` keeps only
/// the user name, and every `password=` parameter's value becomes `***`.
fn redact_raw(raw: &str) -> String {
    let raw = raw.trim();
    let Some((scheme, rest)) = raw.split_once("://") else {
        return "<unparsable>".into();
    };
    let (userinfo, rest) = match rest.rsplit_once('@') {
        Some((info, rest)) => {
            let user = info.split([':', '/', '?', '#']).next().unwrap_or_default();
            (format!("{user}:***@"), rest)
        }
        None => (String::new(), rest),
    };
    let rest = rest.split('#').next().unwrap_or_default();
    let shown = match rest.split_once('?') {
        None => rest.to_string(),
        Some((before, query)) => {
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| {
                    let key = url::form_urlencoded::parse(pair.as_bytes())
                        .next()
                        .map(|(k, _)| k.into_owned())
                        .unwrap_or_default();
                    match key == "password" {
                        true => "password=***".to_string(),
                        false => pair.to_string(),
                    }
                })
                .collect();
            format!("{before}?{}", pairs.join("&"))
        }
    };
    format!("{scheme}://{userinfo}{shown}")
}

#[cfg(test)]
#[path = "url_tests.rs"]
mod tests;
