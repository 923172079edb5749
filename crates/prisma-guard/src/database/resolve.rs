//! Resolving a PostgreSQL URL once into the connection it makes ([`Resolved`]): every host the
//! connection may try, the port, user, password, database and TLS settings, with the URL's
//! libpq query parameters folded in (`?dbname=` overrides the path, `?host=` the hosts, …).
//!
//! The reading follows sqlx 0.8's `PgConnectOptions` URL parser (`sqlx-postgres`
//! `options/parse.rs`) and libpq's rules for host lists (libpq "Connection Strings"): the
//! authority may list `host1:5432,host2`; `?host=`, `?hostaddr=` and `?port=` may be comma
//! lists; a host starting with `/` is a Unix-socket directory. What the URL leaves out comes
//! from sqlx's own defaults (`PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGSSLMODE`, then a
//! local socket or `localhost`, the OS user), and a missing database is the user's name, as the
//! server does. Everything shown, judged or connected to derives from these values.

use std::net::IpAddr;
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgSslMode};
use url::Url;

/// Query parameters Prisma's PostgreSQL connector understands and PostgreSQL itself does not:
/// not used for our connection, kept for Prisma's own commands (`schema` selects the schema).
///
/// Source: Prisma's connection URL reference (PostgreSQL connector arguments).
pub(super) const PRISMA_ONLY_PARAMS: &[&str] = &[
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

/// The libpq parameters (and sqlx's spellings of them) folded into [`Resolved`]; any other
/// parameter is refused.
pub(super) const CONNECTION_PARAMS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "application_name",
];

/// One place the connection may go, in the order tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    /// A host name, an IP address (IPv6 without brackets) or a Unix-socket directory (`/…`).
    pub(super) host: String,
    /// libpq's `hostaddr`: the address connected to instead of looking `host` up.
    pub(super) addr: Option<IpAddr>,
    /// The TCP port, or the number in the socket file's name.
    pub(super) port: u16,
}

impl Target {
    /// Whether `host` is a Unix-socket directory.
    pub(super) fn is_socket(&self) -> bool {
        self.host.starts_with('/')
    }

    /// Whether every address this target names is this machine: a socket, `localhost`, a
    /// loopback address; with `hostaddr`, both the name and the address must be.
    pub(super) fn is_local(&self) -> bool {
        let host_local = self.is_socket()
            || self.host.eq_ignore_ascii_case("localhost")
            || self.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
        host_local && self.addr.is_none_or(|ip| ip.is_loopback())
    }
}

/// The connection a URL makes, resolved once.
#[derive(Debug, Clone)]
pub(super) struct Resolved {
    /// Every host the connection may try, in order (never empty).
    pub(super) targets: Vec<Target>,
    /// The user name.
    pub(super) user: String,
    /// The password, when the URL gives one (else sqlx's `PGPASSWORD`).
    pub(super) password: Option<String>,
    /// The database name.
    pub(super) database: String,
    /// The TLS mode.
    pub(super) ssl_mode: PgSslMode,
    /// `sslrootcert`, `sslcert`, `sslkey`: certificate and key files.
    pub(super) ssl_root_cert: Option<String>,
    pub(super) ssl_cert: Option<String>,
    pub(super) ssl_key: Option<String>,
    /// `application_name`.
    pub(super) application_name: Option<String>,
    /// The working schema from `?schema=`, when given.
    pub(super) schema: Option<String>,
    /// Prisma-only parameters other than `schema`, in order, for Prisma's own commands.
    pub(super) prisma_params: Vec<(String, String)>,
}

/// Why a URL is refused.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Refusal {
    /// It is not a PostgreSQL URL we can read; the reason in words.
    Bad(String),
    /// It has a query parameter we do not support, named.
    Unsupported(String),
}

/// Parses `raw` and resolves the connection it makes.
pub(super) fn resolve(raw: &str) -> Result<Resolved, Refusal> {
    let bad = |reason: String| Refusal::Bad(reason);
    let raw = raw.trim();
    let Some((scheme, rest)) = raw.split_once("://") else {
        return Err(bad("it does not start with `postgresql://`".into()));
    };
    if !matches!(scheme, "postgresql" | "postgres") {
        return Err(bad(format!(
            "the scheme is `{scheme}`, expected `postgresql`"
        )));
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (userinfo, host_list) = match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => (Some(userinfo), hosts),
        None => (None, authority),
    };
    let (mut user, mut password) = match userinfo {
        None => (None, None),
        Some(info) => match info.split_once(':') {
            Some((u, p)) => (nonempty(decode(u)?), nonempty(decode(p)?)),
            None => (nonempty(decode(info)?), None),
        },
    };
    let mut hosts: Vec<Option<String>> = Vec::new();
    let mut ports: Vec<Option<u16>> = Vec::new();
    if !host_list.is_empty() {
        for entry in host_list.split(',') {
            let (host, port) = split_host_port(entry)?;
            hosts.push(nonempty(decode(host)?));
            ports.push(port);
        }
    }
    // The path and query are read by the `url` crate, as sqlx reads them.
    let rest =
        Url::parse(&format!("postgresql://localhost{tail}")).map_err(|e| bad(format!("{e}")))?;
    let mut database = nonempty(decode(rest.path().trim_start_matches('/'))?);
    let mut addrs: Vec<Option<IpAddr>> = Vec::new();
    let mut resolved = Resolved {
        targets: Vec::new(),
        user: String::new(),
        password: None,
        database: String::new(),
        ssl_mode: PgSslMode::default(),
        ssl_root_cert: None,
        ssl_cert: None,
        ssl_key: None,
        application_name: None,
        schema: None,
        prisma_params: Vec::new(),
    };
    let mut ssl_mode = None;
    for (key, value) in rest.query_pairs() {
        let value = value.into_owned();
        match key.as_ref() {
            "schema" => resolved.schema = nonempty(value),
            k if PRISMA_ONLY_PARAMS.contains(&k) => {
                resolved.prisma_params.push((k.to_string(), value));
            }
            "host" => hosts = value.split(',').map(|h| nonempty(h.to_string())).collect(),
            "hostaddr" => addrs = value.split(',').map(parse_addr).collect::<Result<_, _>>()?,
            "port" => ports = value.split(',').map(parse_port).collect::<Result<_, _>>()?,
            "dbname" => database = nonempty(value),
            "user" => user = nonempty(value),
            "password" => password = nonempty(value),
            "sslmode" | "ssl-mode" => {
                ssl_mode = Some(PgSslMode::from_str(&value).map_err(|_| {
                    bad(format!(
                        "`sslmode={value}` is not one of disable, allow, prefer, require, verify-ca, verify-full"
                    ))
                })?);
            }
            "sslrootcert" | "ssl-root-cert" | "ssl-ca" => resolved.ssl_root_cert = Some(value),
            "sslcert" | "ssl-cert" => resolved.ssl_cert = Some(value),
            "sslkey" | "ssl-key" => resolved.ssl_key = Some(value),
            "application_name" => resolved.application_name = Some(value),
            other => return Err(Refusal::Unsupported(other.to_string())),
        }
    }
    let defaults = PgConnectOptions::new_without_pgpass();
    resolved.targets = targets(hosts, addrs, ports, &defaults)?;
    resolved.user = user.unwrap_or_else(|| defaults.get_username().to_string());
    resolved.password = password;
    resolved.database = database
        .or_else(|| defaults.get_database().map(str::to_string))
        .unwrap_or_else(|| resolved.user.clone());
    resolved.ssl_mode = ssl_mode.unwrap_or_else(|| defaults.get_ssl_mode());
    Ok(resolved)
}

/// Pairs hosts, `hostaddr`s and ports as libpq does: as many targets as hosts (or addresses);
/// one port for all, or one per host; hosts and addresses must match in number.
fn targets(
    mut hosts: Vec<Option<String>>,
    addrs: Vec<Option<IpAddr>>,
    ports: Vec<Option<u16>>,
    defaults: &PgConnectOptions,
) -> Result<Vec<Target>, Refusal> {
    if !hosts.is_empty() && !addrs.is_empty() && hosts.len() != addrs.len() {
        return Err(Refusal::Bad(format!(
            "{} hosts but {} hostaddr values",
            hosts.len(),
            addrs.len()
        )));
    }
    if hosts.is_empty() && addrs.is_empty() {
        // sqlx's default (`PGHOSTADDR`, `PGHOST`, a local socket, `localhost`); a list is
        // judged host by host.
        hosts = defaults
            .get_host()
            .split(',')
            .map(|h| nonempty(h.to_string()))
            .collect();
    }
    let count = hosts.len().max(addrs.len());
    let port_at = |i: usize| match ports.len() {
        0 => Ok(None),
        1 => Ok(ports[0]),
        n if n == count => Ok(ports[i]),
        n => Err(Refusal::Bad(format!("{n} ports for {count} hosts"))),
    };
    (0..count)
        .map(|i| {
            let port = port_at(i)?.unwrap_or_else(|| defaults.get_port());
            let addr = addrs.get(i).copied().flatten();
            let host = hosts.get(i).cloned().flatten();
            Ok(match (host, addr) {
                (Some(host), addr) => Target { host, addr, port },
                // An address alone is the host.
                (None, Some(addr)) => Target {
                    host: addr.to_string(),
                    addr: None,
                    port,
                },
                (None, None) => Target {
                    host: defaults.get_host().to_string(),
                    addr: None,
                    port,
                },
            })
        })
        .collect()
}

/// `host`, `host:port`, `[v6]` or `[v6]:port` from the URL's authority. The errors quote
/// nothing: a password with an unencoded `/` ends the authority early, so the text may be part
/// of it.
fn split_host_port(entry: &str) -> Result<(&str, Option<u16>), Refusal> {
    let bad = |what: &str| Refusal::Bad(format!("a host in the URL {what}"));
    let (host, port) = match entry.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| bad("opens `[` without `]`"))?;
            if !after.is_empty() && !after.starts_with(':') {
                return Err(bad("has text after `]`"));
            }
            (host, after.strip_prefix(':'))
        }
        None => match entry.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (entry, None),
        },
    };
    let port = match port {
        None | Some("") => None,
        Some(port) => Some(port.parse().map_err(|_| {
            bad("has a port that is not a number (a password with `/`, `?` or `#` must be percent-encoded)")
        })?),
    };
    Ok((host, port))
}

fn parse_port(text: &str) -> Result<Option<u16>, Refusal> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| Refusal::Bad(format!("`{text}` is not a port number")))
}

fn parse_addr(text: &str) -> Result<Option<IpAddr>, Refusal> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| Refusal::Bad(format!("`hostaddr={text}` is not an IP address")))
}

fn nonempty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

/// Percent-decodes a URL component as sqlx does (`%XX` only; a stray `%` stays).
fn decode(text: &str) -> Result<String, Refusal> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or_default() * 16 + hex(l).unwrap_or_default()) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| Refusal::Bad("a percent-encoded part is not UTF-8".into()))
}

/// Percent-encodes a URL component: everything but letters, digits, `-._~` and `keep`.
pub(super) fn encode(text: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The name sqlx and libpq give `mode` in a URL.
pub(super) fn ssl_mode_name(mode: PgSslMode) -> &'static str {
    match mode {
        PgSslMode::Disable => "disable",
        PgSslMode::Allow => "allow",
        PgSslMode::Prefer => "prefer",
        PgSslMode::Require => "require",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull => "verify-full",
    }
}

#[cfg(test)]
#[path = "resolve_tests.rs"]
mod tests;
