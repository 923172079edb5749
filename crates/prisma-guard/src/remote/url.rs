//! `s3://bucket/prefix`: where pushed snapshots live, parsed and checked once.

use std::fmt;

use super::RemoteError;

/// A remote store location: a bucket and a key prefix inside it (no leading or trailing `/`;
/// empty for the bucket's root). Displayed as `s3://bucket/prefix`; it holds no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteUrl {
    /// The bucket name.
    pub bucket: String,
    /// The key prefix, `/`-separated, without leading or trailing `/` (may be empty).
    pub prefix: String,
}

impl RemoteUrl {
    /// Parses `s3://bucket[/prefix[/]]`. `source` names where the text came from (`--remote`,
    /// the config key `remote`) for the error.
    ///
    /// Errors: [`RemoteError::BadUrl`] for another scheme, an empty or invalid bucket name
    /// (S3's rules: 3–63 characters of `a-z`, `0-9`, `.`, `-`), credentials or a query in the
    /// URL, or a prefix with an empty, `.` or `..` segment.
    pub fn parse(text: &str, source: &str) -> Result<RemoteUrl, RemoteError> {
        let bad = |problem: &str| RemoteError::BadUrl {
            url: text.to_string(),
            source_name: source.to_string(),
            problem: problem.to_string(),
        };
        let rest = text
            .strip_prefix("s3://")
            .ok_or_else(|| bad("it does not start with s3://"))?;
        if rest.contains(['?', '#']) {
            return Err(bad(
                "it has a query or fragment; only s3://bucket/prefix is read",
            ));
        }
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.contains('@') || bucket.contains(':') {
            return Err(bad(
                "it names credentials or a port; they come from the AWS variables only",
            ));
        }
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        if !valid_bucket {
            return Err(bad(
                "the bucket name is not 3 to 63 characters of a-z, 0-9, '.' and '-'",
            ));
        }
        let prefix = prefix.strip_suffix('/').unwrap_or(prefix);
        if !prefix.is_empty()
            && prefix
                .split('/')
                .any(|part| part.is_empty() || part == "." || part == "..")
        {
            return Err(bad("the prefix has an empty, '.' or '..' segment"));
        }
        Ok(RemoteUrl {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }

    /// Whether `text` looks like a bucket location (`s3://…`) rather than a local folder.
    pub fn is_remote(text: &str) -> bool {
        text.starts_with("s3://")
    }
}

impl fmt::Display for RemoteUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.prefix.is_empty() {
            write!(f, "s3://{}", self.bucket)
        } else {
            write!(f, "s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_and_prefix() {
        let url = RemoteUrl::parse("s3://team-backups/app/dev/", "--remote").unwrap();
        assert_eq!(url.bucket, "team-backups");
        assert_eq!(url.prefix, "app/dev");
        assert_eq!(url.to_string(), "s3://team-backups/app/dev");
        let root = RemoteUrl::parse("s3://team-backups", "--remote").unwrap();
        assert_eq!(root.prefix, "");
        assert_eq!(root.to_string(), "s3://team-backups");
    }

    #[test]
    fn refused_urls_say_why() {
        for (text, why) in [
            ("https://x/y", "s3://"),
            ("s3://AB/x", "bucket name"),
            ("s3://ab", "bucket name"),
            ("s3://key:secret@bucket/x", "credentials"),
            ("s3://bucket/a//b", "segment"),
            ("s3://bucket/a/../b", "segment"),
            ("s3://bucket/a?x=1", "query"),
        ] {
            let error = RemoteUrl::parse(text, "remote").unwrap_err().to_string();
            assert!(error.contains(why), "{text}: {error}");
        }
    }
}
