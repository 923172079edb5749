use std::net::IpAddr;

use super::*;

fn targets(raw: &str) -> Vec<(String, Option<IpAddr>, u16)> {
    resolve(raw)
        .unwrap()
        .targets
        .into_iter()
        .map(|t| (t.host, t.addr, t.port))
        .collect()
}

fn tcp(host: &str, port: u16) -> (String, Option<IpAddr>, u16) {
    (host.to_string(), None, port)
}

#[test]
fn query_parameters_override_the_url() {
    let r = resolve(
        "postgresql://app:s3cret@localhost:5432/other?dbname=real&user=boss&password=pw2&port=6543&host=db.internal",
    )
    .unwrap();
    assert_eq!(r.database, "real");
    assert_eq!(r.user, "boss");
    assert_eq!(r.password.as_deref(), Some("pw2"));
    assert_eq!(
        r.targets,
        vec![Target {
            host: "db.internal".into(),
            addr: None,
            port: 6543
        }]
    );
}

#[test]
fn host_lists_pair_with_ports() {
    assert_eq!(
        targets("postgresql://u@h1:5433,h2/db"),
        vec![tcp("h1", 5433), tcp("h2", 5432)]
    );
    assert_eq!(
        targets("postgresql://u@h1,[::1]:6000/db"),
        vec![tcp("h1", 5432), tcp("::1", 6000)]
    );
    assert_eq!(
        targets("postgresql://u@x/db?host=a,b&port=1,2"),
        vec![tcp("a", 1), tcp("b", 2)]
    );
    assert_eq!(
        targets("postgresql://u@x/db?host=a,b&port=7"),
        vec![tcp("a", 7), tcp("b", 7)]
    );
    assert!(matches!(
        resolve("postgresql://u@x/db?host=a,b,c&port=1,2"),
        Err(Refusal::Bad(reason)) if reason == "2 ports for 3 hosts"
    ));
}

#[test]
fn sockets_and_hostaddr() {
    assert_eq!(
        targets("postgresql://u@localhost/db?host=/var/run/postgresql"),
        vec![tcp("/var/run/postgresql", 5432)]
    );
    assert_eq!(
        targets("postgresql://u@%2Ftmp%2Fpg:5433/db"),
        vec![tcp("/tmp/pg", 5433)]
    );
    let ip: IpAddr = "10.0.0.5".parse().unwrap();
    assert_eq!(
        targets("postgresql://u@localhost/db?hostaddr=10.0.0.5"),
        vec![("localhost".into(), Some(ip), 5432)]
    );
    assert_eq!(
        targets("postgresql://u@/db?hostaddr=10.0.0.5"),
        vec![tcp("10.0.0.5", 5432)]
    );
    assert!(matches!(
        resolve("postgresql://u@a,b/db?hostaddr=10.0.0.5"),
        Err(Refusal::Bad(_))
    ));
    assert!(matches!(
        resolve("postgresql://u@a/db?hostaddr=db.example.com"),
        Err(Refusal::Bad(reason)) if reason.contains("not an IP address")
    ));
}

#[test]
fn locality_judges_every_target() {
    let local = |raw: &str| resolve(raw).unwrap().targets.iter().all(Target::is_local);
    assert!(local("postgresql://u@localhost,127.0.0.1:5433,[::1]/db"));
    assert!(local("postgresql://u@localhost/db?host=/tmp"));
    assert!(local("postgresql://u@LOCALHOST/db?hostaddr=127.0.0.1"));
    assert!(!local("postgresql://u@localhost,10.0.0.5/db"));
    assert!(!local("postgresql://u@localhost/db?host=10.0.0.5"));
    assert!(!local(
        "postgresql://u@localhost/db?host=/tmp,db.example.com"
    ));
    assert!(!local("postgresql://u@localhost/db?hostaddr=10.0.0.5"));
    assert!(!local(
        "postgresql://u@db.example.com/db?hostaddr=127.0.0.1"
    ));
    assert!(!local("postgresql://u@0.0.0.0/db"));
}

#[test]
fn prisma_parameters_are_kept_apart() {
    let r = resolve("postgresql://u@h/db?schema=app&pgbouncer=true&connection_limit=3").unwrap();
    assert_eq!(r.schema.as_deref(), Some("app"));
    assert_eq!(
        r.prisma_params,
        vec![
            ("pgbouncer".to_string(), "true".to_string()),
            ("connection_limit".to_string(), "3".to_string())
        ]
    );
}

#[test]
fn other_parameters_are_refused_by_name() {
    for (raw, name) in [
        (
            "postgresql://u@h/db?options=-c%20search_path%3Dx",
            "options",
        ),
        (
            "postgresql://u@h/db?options[search_path]=x",
            "options[search_path]",
        ),
        (
            "postgresql://u@h/db?target_session_attrs=any",
            "target_session_attrs",
        ),
        (
            "postgresql://u@h/db?statement-cache-capacity=5",
            "statement-cache-capacity",
        ),
    ] {
        assert_eq!(
            resolve(raw).unwrap_err(),
            Refusal::Unsupported(name.into()),
            "{raw}"
        );
    }
}

#[test]
fn bad_values_are_refused() {
    for raw in [
        "mysql://u@h/db",
        "localhost/db",
        "postgresql://u@h:notaport/db",
        "postgresql://u@[::1/db",
        "postgresql://u@h/db?port=x",
        "postgresql://u@h/db?sslmode=sometimes",
    ] {
        assert!(matches!(resolve(raw), Err(Refusal::Bad(_))), "{raw}");
    }
}

#[test]
fn user_info_and_path_are_percent_decoded() {
    let r = resolve("postgresql://a%40b:p%2Fw%3A@h/my%20db").unwrap();
    assert_eq!(r.user, "a@b");
    assert_eq!(r.password.as_deref(), Some("p/w:"));
    assert_eq!(r.database, "my db");
    assert_eq!(encode("p/w: x", b""), "p%2Fw%3A%20x");
}

#[test]
fn a_missing_database_is_the_user_name() {
    if std::env::var_os("PGDATABASE").is_none() {
        assert_eq!(resolve("postgresql://alice@h").unwrap().database, "alice");
    }
}
