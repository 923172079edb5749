//! Reading schema.prisma's `datasource` block: which variables (or literal URL) it names.

use camino::Utf8Path;

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
}
