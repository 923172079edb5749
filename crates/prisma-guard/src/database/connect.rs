//! Connecting to the database, and classifying why a connection failed.

use std::fmt;
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};

use super::{DatabaseError, DatabaseUrl};

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

impl DatabaseUrl {
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
