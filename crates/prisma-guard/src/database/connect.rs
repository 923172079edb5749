//! Connecting to the database, and classifying why a connection failed.

use std::fmt;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};

use super::resolve::Target;
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
    /// Connects one session with `search_path` set to the working schema, as Prisma does,
    /// trying each resolved host in order (as libpq does) until one accepts.
    ///
    /// Errors with [`DatabaseError::Connect`] for the last host tried, classified as
    /// unreachable, authentication or missing database, with the URL redacted.
    pub async fn connect(&self) -> Result<PgConnection, DatabaseError> {
        let mut last = None;
        for target in &self.conn.targets {
            match PgConnection::connect_with(&self.options_for(target)).await {
                Ok(conn) => return Ok(conn),
                Err(error) => last = Some(error),
            }
        }
        let source = last.expect("a resolved URL has at least one host");
        Err(DatabaseError::Connect {
            redacted: self.redacted(),
            reason: classify(&source),
            source,
        })
    }

    /// The sqlx options for one target, every field set from the resolved values (sqlx's
    /// environment defaults remain only for a password, certificates and `PGOPTIONS` the URL
    /// does not give).
    pub(super) fn options_for(&self, target: &Target) -> PgConnectOptions {
        let c = &self.conn;
        let mut options = PgConnectOptions::new_without_pgpass()
            .port(target.port)
            .username(&c.user)
            .database(&c.database)
            .ssl_mode(c.ssl_mode)
            .application_name(c.application_name.as_deref().unwrap_or("xtask"))
            .options([("search_path", quote_search_path(&self.schema))])
            .disable_statement_logging();
        options = match target.addr {
            Some(addr) => options.host(&addr.to_string()),
            None if target.is_socket() => options.socket(&target.host),
            None => options.host(&target.host),
        };
        if let Some(password) = &c.password {
            options = options.password(password);
        }
        if let Some(path) = &c.ssl_root_cert {
            options = options.ssl_root_cert(path);
        }
        if let Some(path) = &c.ssl_cert {
            options = options.ssl_client_cert(path);
        }
        if let Some(path) = &c.ssl_key {
            options = options.ssl_client_key(path);
        }
        options
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
