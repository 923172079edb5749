//! Credentials, region and endpoint, from the standard AWS variables and files only — never
//! from the project's configuration, never shown.
//!
//! Read, first match wins:
//! - keys: `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`), else the
//!   profile `AWS_PROFILE` (default `default`) of `AWS_SHARED_CREDENTIALS_FILE` (default
//!   `~/.aws/credentials`), else of `AWS_CONFIG_FILE` (default `~/.aws/config`, section
//!   `[profile NAME]` or `[default]`): `aws_access_key_id`, `aws_secret_access_key`,
//!   `aws_session_token`;
//! - region: `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`, else `us-east-1`
//!   (Cloudflare R2 takes `auto`);
//! - endpoint: `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, the profile's `endpoint_url`, else
//!   AWS S3. An `http://` endpoint is allowed (local servers such as MinIO or moto).
//!
//! Not supported: SSO, `credential_process`, assumed roles and instance metadata. Without keys
//! the store is not opened at all, so nothing ever asks a metadata address for credentials.

use std::collections::HashMap;
use std::fmt;

use super::RemoteError;

/// The settings an S3 client is built from. `Debug` shows no key.
#[derive(Clone, PartialEq, Eq)]
pub struct AwsSettings {
    /// `AWS_ACCESS_KEY_ID` (not secret, but not shown either).
    pub access_key_id: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: String,
    /// `AWS_SESSION_TOKEN`, for temporary credentials.
    pub session_token: Option<String>,
    /// The region.
    pub region: String,
    /// A custom endpoint (R2, MinIO, moto), or `None` for AWS S3.
    pub endpoint: Option<String>,
    /// Where the keys came from: `environment` or `profile NAME in FILE`.
    pub keys_from: String,
}

impl fmt::Debug for AwsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsSettings")
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("keys_from", &self.keys_from)
            .finish_non_exhaustive()
    }
}

impl AwsSettings {
    /// Reads the settings from `env` (a variable lookup; the process environment in the CLI)
    /// and the profile files it points to.
    ///
    /// Errors: [`RemoteError::NoCredentials`] when neither the variables nor a profile give a
    /// key pair.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<AwsSettings, RemoteError> {
        let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let profile_name = var("AWS_PROFILE").unwrap_or_else(|| "default".into());
        let home = var("HOME").unwrap_or_default();
        let credentials_file = var("AWS_SHARED_CREDENTIALS_FILE")
            .unwrap_or_else(|| format!("{home}/.aws/credentials"));
        let config_file = var("AWS_CONFIG_FILE").unwrap_or_else(|| format!("{home}/.aws/config"));
        let from_credentials = read_profile(&credentials_file, &profile_name, false);
        let from_config = read_profile(&config_file, &profile_name, true);
        let profile = |key: &str| {
            from_credentials
                .get(key)
                .or_else(|| from_config.get(key))
                .cloned()
        };
        let (access_key_id, secret_access_key, session_token, keys_from) =
            match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
                (Some(id), Some(secret)) => (
                    id,
                    secret,
                    var("AWS_SESSION_TOKEN"),
                    "environment".to_string(),
                ),
                _ => match (
                    profile("aws_access_key_id"),
                    profile("aws_secret_access_key"),
                ) {
                    (Some(id), Some(secret)) => {
                        let file = if from_credentials.contains_key("aws_access_key_id") {
                            &credentials_file
                        } else {
                            &config_file
                        };
                        let from = format!("profile {profile_name} in {file}");
                        (id, secret, profile("aws_session_token"), from)
                    }
                    _ => {
                        return Err(RemoteError::NoCredentials {
                            profile: profile_name,
                        });
                    }
                },
            };
        let region = var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .or_else(|| profile("region"))
            .unwrap_or_else(|| "us-east-1".into());
        let endpoint = var("AWS_ENDPOINT_URL_S3")
            .or_else(|| var("AWS_ENDPOINT_URL"))
            .or_else(|| profile("endpoint_url"));
        Ok(AwsSettings {
            access_key_id,
            secret_access_key,
            session_token,
            region,
            endpoint,
            keys_from,
        })
    }
}

/// The `key = value` lines of one profile's section in an AWS INI file (`[NAME]` in the
/// credentials file; `[profile NAME]`, or `[default]`, in the config file). A missing or
/// unreadable file gives nothing.
fn read_profile(path: &str, profile: &str, config_style: bool) -> HashMap<String, String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return HashMap::new();
    };
    parse_profile(&text, profile, config_style)
}

fn parse_profile(text: &str, profile: &str, config_style: bool) -> HashMap<String, String> {
    let wanted = if config_style && profile != "default" {
        format!("profile {profile}")
    } else {
        profile.to_string()
    };
    let mut values = HashMap::new();
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = section.trim() == wanted;
            continue;
        }
        if let (true, Some((key, value))) = (inside, line.split_once('=')) {
            values.insert(key.trim().to_lowercase(), value.trim().to_string());
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn variables_win_and_nothing_secret_is_shown() {
        let settings = AwsSettings::from_env(&env(&[
            ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "s3cr3t-value"),
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000"),
            ("HOME", "/nonexistent"),
        ]))
        .unwrap();
        assert_eq!(settings.region, "eu-west-1");
        assert_eq!(settings.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(settings.keys_from, "environment");
        let shown = format!("{settings:?}");
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("AKIA"),
            "{shown}"
        );
    }

    #[test]
    fn profiles_from_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let credentials = dir.path().join("credentials");
        let config = dir.path().join("config");
        std::fs::write(
            &credentials,
            "[default]\naws_access_key_id = A\naws_secret_access_key = B\n\n[r2]\naws_access_key_id=R\naws_secret_access_key=S\n",
        )
        .unwrap();
        std::fs::write(
            &config,
            "[default]\nregion = us-west-2\n[profile r2]\nregion = auto\nendpoint_url = https://acct.r2.cloudflarestorage.com\n",
        )
        .unwrap();
        let files = [
            ("AWS_SHARED_CREDENTIALS_FILE", credentials.to_str().unwrap()),
            ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        ];
        let default = AwsSettings::from_env(&env(&files)).unwrap();
        assert_eq!(
            (default.access_key_id.as_str(), default.region.as_str()),
            ("A", "us-west-2")
        );
        assert_eq!(default.endpoint, None);
        let mut with_profile = files.to_vec();
        with_profile.push(("AWS_PROFILE", "r2"));
        let r2 = AwsSettings::from_env(&env(&with_profile)).unwrap();
        assert_eq!(
            (r2.access_key_id.as_str(), r2.secret_access_key.as_str()),
            ("R", "S")
        );
        assert_eq!(r2.region, "auto");
        assert_eq!(
            r2.endpoint.as_deref(),
            Some("https://acct.r2.cloudflarestorage.com")
        );
        assert!(
            r2.keys_from.starts_with("profile r2 in "),
            "{}",
            r2.keys_from
        );
    }

    #[test]
    fn no_keys_is_an_error_naming_the_profile() {
        let error = AwsSettings::from_env(&env(&[("HOME", "/nonexistent")])).unwrap_err();
        assert!(error.to_string().contains("default"), "{error}");
    }
}
