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
    let err = DatabaseUrl::parse("mysql://root:hunter2@localhost/db", "DATABASE_URL").unwrap_err();
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
fn with_database_can_only_reach_the_new_database() {
    let url = DatabaseUrl::parse(
        "postgresql://app:pw@localhost:5432/other?dbname=real&schema=app",
        "x",
    )
    .unwrap();
    assert_eq!(url.database_name(), "real");
    let scratch = url.with_database("scratch_1");
    assert_eq!(scratch.database_name(), "scratch_1");
    assert_eq!(scratch.schema(), "app");
    for shown in [
        scratch.redacted(),
        scratch.expose_secret().to_string(),
        scratch.expose_prisma_secret().to_string(),
    ] {
        assert!(!shown.contains("real"), "{shown}");
        assert!(shown.contains("/scratch_1"), "{shown}");
    }
    let options = scratch.options_for(&scratch.conn.targets[0]);
    assert_eq!(options.get_database(), Some("scratch_1"));
    assert_eq!(options.get_host(), "localhost");
}

#[test]
fn shown_forms_are_the_effective_connection() {
    let url = DatabaseUrl::parse(
        "postgresql://app:pw@localhost/other?dbname=real&host=10.0.0.5&port=6543&sslmode=require&pgbouncer=true&schema=s",
        "x",
    )
    .unwrap();
    assert_eq!(
        url.redacted(),
        "postgresql://app:***@10.0.0.5:6543/real?sslmode=require"
    );
    assert_eq!(
        url.expose_secret(),
        "postgresql://app:pw@10.0.0.5:6543/real?sslmode=require"
    );
    assert_eq!(
        url.expose_prisma_secret(),
        "postgresql://app:pw@10.0.0.5:6543/real?sslmode=require&pgbouncer=true&schema=s"
    );
    assert!(!url.is_local());
    let socket =
        DatabaseUrl::parse("postgresql://u@localhost/db?host=/var/run/postgresql", "x").unwrap();
    assert_eq!(
        socket.redacted(),
        "postgresql://u@localhost:5432/db?host=/var/run/postgresql"
    );
    let two = DatabaseUrl::parse("postgresql://u@a:1,[::1]/db?hostaddr=10.0.0.5,", "x").unwrap();
    assert_eq!(
        two.redacted(),
        "postgresql://u@a:1,[::1]:5432/db?hostaddr=10.0.0.5,"
    );
}

#[test]
fn built_urls_resolve_to_the_same_connection() {
    for raw in [
        "postgresql://a%40b:p%2Fw@localhost:5433/my%20db?sslmode=disable&application_name=x%20y",
        "postgresql://u@localhost/db?host=/tmp,/var/run/postgresql&port=1,2",
        "postgresql://u:pw@h1,h2:6000/db?hostaddr=127.0.0.1,127.0.0.2&sslrootcert=/a/b.pem",
        "postgresql://u@[::1]:5432/db?password=se%26cret",
    ] {
        let url = DatabaseUrl::parse(raw, "x").unwrap();
        for built in [url.expose_secret(), url.expose_prisma_secret()] {
            let again = DatabaseUrl::parse(built, "x").unwrap();
            assert_eq!(again.redacted(), url.redacted(), "{raw} → {built}");
            assert_eq!(again.conn.password, url.conn.password, "{raw}");
            assert_eq!(again.conn.targets, url.conn.targets, "{raw}");
            assert_eq!(again.database_name(), url.database_name(), "{raw}");
        }
    }
}

#[test]
fn unsupported_parameters_are_named_and_hinted() {
    use crate::error::Hint;
    let err = DatabaseUrl::parse(
        "postgresql://u:hunter2@localhost/db?keepalives=1&password=hunter2",
        "DATABASE_URL",
    )
    .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("parameter `keepalives`"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
    let hint = err.hint().unwrap();
    assert!(
        hint.contains("dbname") && hint.contains("pgbouncer"),
        "{hint}"
    );
    let err =
        DatabaseUrl::parse("postgresql://u@localhost/db?options=-c%20x%3D1", "x").unwrap_err();
    assert!(err.to_string().contains("`options`"), "{err}");
    assert!(err.hint().unwrap().contains("ALTER ROLE"));
}

#[test]
fn unparsable_urls_never_show_a_password() {
    for raw in [
        "postgresql://host:notaport/db?password=hunter2",
        "postgresql://host:notaport/db?a=1&pass%77ord=hunter2",
        "postgresql://u:hunter2@host:notaport/db",
        "postgresql://u:hun/ter2@host/db?sslmode=nope",
        "postgresql://u:hunter2/x@host/db",
        "postgresql://u@host/db?sslmode=nope#password=hunter2",
    ] {
        let err = DatabaseUrl::parse(raw, "x").unwrap_err();
        let message = err.to_string();
        assert!(
            !message.contains("hunter2") && !message.contains("ter2") && !message.contains("hun"),
            "{message}"
        );
    }
    assert_eq!(
        redact_raw("postgresql://host:notaport/db?password=hunter2&x=1"),
        "postgresql://host:notaport/db?password=***&x=1"
    );
}
