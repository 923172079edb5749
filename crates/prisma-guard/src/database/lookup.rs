//! Finding the database URL as Prisma Migrate does: `--database-url`, the datasource's
//! variables, `DATABASE_URL`, each in the environment, `.env` and `prisma/.env`.

use camino::Utf8Path;

use super::datasource::read_datasource;
use super::{DatabaseError, DatabaseUrl};

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
    let to_error = |error| DatabaseError::EnvFile {
        path: path.to_owned(),
        problem: env_problem(path, &error),
    };
    dotenvy::from_path_iter(path)
        .map_err(to_error)?
        .map(|item| item.map_err(to_error))
        .collect()
}

/// What is wrong with a `.env` file, without its text: dotenvy's parse error carries the line
/// itself, which usually holds a password, so only its number is given.
fn env_problem(path: &Utf8Path, error: &dotenvy::Error) -> String {
    match error {
        dotenvy::Error::LineParse(line, index) => {
            let number = std::fs::read_to_string(path).ok().and_then(|text| {
                let start = text.find(line.as_str())?;
                Some(text[..start].matches('\n').count() + 1)
            });
            match number {
                Some(n) => format!("line {n} is not KEY=VALUE (at character {})", index + 1),
                None => "a line is not KEY=VALUE".to_string(),
            }
        }
        dotenvy::Error::Io(e) => e.to_string(),
        _ => "it cannot be parsed".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_env_line_is_named_by_number_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let path = Utf8Path::from_path(dir.path()).unwrap().join(".env");
        std::fs::write(
            &path,
            "# the app\nPORT=3000\nDATABASE_URL=\"postgresql://postgres:s3cretPW@localhost/app\n",
        )
        .unwrap();
        let error = read_env_file(&path).unwrap_err();
        let text = format!("{error} {:?}", std::error::Error::source(&error));
        assert!(!text.contains("s3cretPW"), "{text}");
        assert!(
            error
                .to_string()
                .ends_with(".env: line 3 is not KEY=VALUE (at character 60)"),
            "{error}"
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
