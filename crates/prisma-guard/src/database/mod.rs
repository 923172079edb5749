//! Finding the database the way Prisma does, redacting its URL, and connecting to it.
//!
//! The URL comes from `--database-url`, else from the variables named by schema.prisma's
//! datasource (`directUrl` before `url`, as Prisma Migrate reads them), else `DATABASE_URL`. Each
//! variable is looked up in the process environment, then `.env` at the project root, then
//! `prisma/.env`. The URL is resolved once into the connection it makes (hosts, ports, user,
//! database, TLS), libpq's query parameters (`?dbname=`, `?host=`, …) folded in and any other
//! parameter refused; Prisma-only parameters are kept for Prisma alone and `?schema=` becomes the
//! working schema. Connecting, display, locality and derived URLs all use the resolved values.
//!
//! Files: `resolve` (the URL → the resolved connection, its parameter rules), `url`
//! ([`DatabaseUrl`], the URLs built from it, [`redact`]), `lookup` ([`find_url`] and the `.env`
//! files), `datasource` (schema.prisma's datasource block), `connect`
//! ([`DatabaseUrl::connect`], [`ConnectFailure`]), `local` ([`require_local`]).

mod connect;
mod datasource;
mod local;
mod lookup;
mod resolve;
mod url;

use camino::Utf8PathBuf;

pub use self::url::{DEFAULT_SCHEMA, DatabaseUrl, redact};
pub use connect::ConnectFailure;
pub use datasource::{Datasource, parse_datasource, read_datasource};
pub use local::{LocalWrite, NotLocal, require_local};
pub use lookup::{UrlLookup, find_url};

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
    /// The URL has a query parameter that is neither Prisma's nor one of the libpq parameters
    /// resolved into the connection.
    #[error(
        "the database URL from {source_name} has the parameter `{name}`, which prisma-guard does not support ({redacted})"
    )]
    UnsupportedParameter {
        /// Where the URL came from.
        source_name: String,
        /// The URL with its password hidden.
        redacted: String,
        /// The parameter's name.
        name: String,
    },
    /// A `.env` file exists but cannot be read or parsed. The problem names the line by its
    /// number, never its text: a `.env` line usually holds a password.
    #[error("cannot read {path}: {problem}")]
    EnvFile {
        /// The file.
        path: Utf8PathBuf,
        /// What is wrong, e.g. `line 3 is not KEY=VALUE (at character 14)`.
        problem: String,
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

impl crate::error::Hint for DatabaseError {
    fn hint(&self) -> Option<String> {
        Some(match self {
            DatabaseError::NoUrl { .. } => "set DATABASE_URL (in the environment or .env) or pass --database-url".into(),
            DatabaseError::BadUrl { .. } => "use the form postgresql://USER:PASSWORD@HOST:PORT/DATABASE?schema=SCHEMA".into(),
            DatabaseError::UnsupportedParameter { name, .. } if name == "options" || name.starts_with("options[") => {
                "remove it: server settings cannot come from the URL (the working schema is ?schema=); set them on the role or database (ALTER ROLE … SET …)".into()
            }
            DatabaseError::UnsupportedParameter { .. } => format!(
                "remove it; supported are schema, Prisma's own parameters ({}) and {}",
                resolve::PRISMA_ONLY_PARAMS.iter().filter(|p| **p != "schema").copied().collect::<Vec<_>>().join(", "),
                resolve::CONNECTION_PARAMS.join(", "),
            ),
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
