//! Notifications: a Slack-compatible webhook and/or a command, told how `snapshot`,
//! `pre-migrate`, `restore`, `rollback`, `prune` and `schedule run` ended (issue 20).
//!
//! Configured with `notify-webhook = "https://hooks.slack.com/…"` (or `"env:NAME"` to read the
//! URL from the environment variable `NAME`, so the secret stays out of the repository),
//! `notify-command = "…"` (run in the project root with the event as JSON on stdin) and
//! `notify-on` (default `["failure"]`): which events are sent. Each entry is an outcome
//! (`failure`, `success`), a command (`restore`: both outcomes of it) or both
//! (`snapshot:success`); an event is sent when any entry matches it.
//!
//! A notification never fails the command it reports on: [`send`] returns what could not be
//! delivered and the caller reports it. The body holds no secret: the database is named by its
//! host and name only, the webhook URL is never shown (only its host), and error messages are
//! this tool's, whose URLs are redacted.

mod command;
mod webhook;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// What is notified about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// The command: `snapshot`, `pre-migrate`, `restore`, `rollback`, `prune`, `schedule run`.
    pub command: String,
    /// How it ended.
    pub outcome: Outcome,
    /// One line: the error, or what was done.
    pub message: String,
    /// The project root.
    pub project: String,
    /// `name on host:port` of the database, without user or password; `None` when unknown.
    pub database: Option<String>,
    /// The snapshot taken or used, when known.
    pub snapshot: Option<String>,
    /// When the command ended.
    pub at: DateTime<Utc>,
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Exit code 0.
    Success,
    /// An error, a refusal or another non-zero exit code.
    Failure,
}

impl Outcome {
    /// `success` or `failure`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

/// The resolved notification settings.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The webhook URL (resolved from `env:NAME`), if any.
    pub webhook: Option<String>,
    /// The command's words, if any.
    pub command: Option<Vec<String>>,
    /// The `notify-on` entries.
    pub on: Vec<String>,
    /// Where the command runs.
    pub project_root: camino::Utf8PathBuf,
}

/// The settings could not be used.
#[derive(Debug, thiserror::Error)]
pub enum NotifyConfigError {
    /// `notify-webhook = "env:NAME"` names an unset variable.
    #[error("notify-webhook reads the environment variable {name}, which is not set")]
    MissingVariable {
        /// The variable.
        name: String,
    },
    /// The webhook is not an http(s) URL.
    #[error("notify-webhook is not an http:// or https:// URL")]
    BadWebhook,
    /// `notify-command` cannot be split into words.
    #[error("notify-command cannot be parsed: {0}")]
    BadCommand(String),
    /// A `notify-on` entry names no outcome or command.
    #[error(
        "notify-on entry {0:?} is not an outcome (failure, success), a command (snapshot, pre-migrate, restore, rollback, prune, schedule) or command:outcome"
    )]
    BadFilter(String),
}

impl crate::error::Hint for NotifyConfigError {
    fn hint(&self) -> Option<String> {
        Some(match self {
            NotifyConfigError::MissingVariable { name } => {
                format!("set {name} (in the environment, as cron runs it) or remove notify-webhook")
            }
            NotifyConfigError::BadWebhook => {
                "use the full URL your chat gives for incoming webhooks, or env:NAME".into()
            }
            NotifyConfigError::BadCommand(_) => {
                "quote it as a shell would: notify-command = \"./scripts/alert.sh --channel dev\""
                    .into()
            }
            NotifyConfigError::BadFilter(_) => {
                "such as notify-on = [\"failure\", \"snapshot:success\"]".into()
            }
        })
    }
}

const COMMANDS: [&str; 6] = [
    "snapshot",
    "pre-migrate",
    "restore",
    "rollback",
    "prune",
    "schedule",
];

impl Settings {
    /// Resolves the configuration keys; `env` reads environment variables.
    ///
    /// Errors: [`NotifyConfigError`] naming the key that is wrong.
    pub fn resolve(
        config: &crate::config::Config,
        project_root: &camino::Utf8Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, NotifyConfigError> {
        let webhook = match config.notify_webhook.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(value) => {
                let url = match value.strip_prefix("env:") {
                    Some(name) => env(name).filter(|v| !v.is_empty()).ok_or_else(|| {
                        NotifyConfigError::MissingVariable {
                            name: name.to_string(),
                        }
                    })?,
                    None => value.to_string(),
                };
                match url::Url::parse(&url) {
                    Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
                        Some(url)
                    }
                    _ => return Err(NotifyConfigError::BadWebhook),
                }
            }
        };
        let command = match config.notify_command.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => {
                let words = shell_words::split(text)
                    .map_err(|e| NotifyConfigError::BadCommand(e.to_string()))?;
                (!words.is_empty()).then_some(words)
            }
        };
        let on = config
            .notify_on
            .clone()
            .unwrap_or_else(|| vec!["failure".into()]);
        for entry in &on {
            if !valid_filter(entry) {
                return Err(NotifyConfigError::BadFilter(entry.clone()));
            }
        }
        Ok(Settings {
            webhook,
            command,
            on,
            project_root: project_root.to_owned(),
        })
    }

    /// Whether anything is configured to receive notifications.
    pub fn is_enabled(&self) -> bool {
        self.webhook.is_some() || self.command.is_some()
    }

    /// Whether `event` is one `notify-on` asks for.
    pub fn wants(&self, event: &Event) -> bool {
        let command = event.command.split(' ').next().unwrap_or_default();
        let outcome = event.outcome.as_str();
        self.on.iter().any(|entry| match entry.split_once(':') {
            Some((c, o)) => c == command && o == outcome,
            None => entry == outcome || entry == command,
        })
    }
}

fn valid_filter(entry: &str) -> bool {
    let outcome = |o: &str| o == "success" || o == "failure";
    match entry.split_once(':') {
        Some((c, o)) => COMMANDS.contains(&c) && outcome(o),
        None => outcome(entry) || COMMANDS.contains(&entry),
    }
}

/// A notification that could not be delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undelivered {
    /// `webhook (hooks.slack.com)` or `notify-command`.
    pub channel: String,
    /// What went wrong.
    pub problem: String,
}

/// Sends `event` to every configured channel when `notify-on` asks for it; returns what could
/// not be delivered (empty when all went, or nothing was wanted). Waits at most 10 s for the
/// webhook and 30 s for the command.
pub async fn send(settings: &Settings, event: &Event) -> Vec<Undelivered> {
    let mut undelivered = Vec::new();
    if !settings.wants(event) {
        return undelivered;
    }
    if let Some(url) = &settings.webhook
        && let Err(problem) = webhook::post(url, event).await
    {
        undelivered.push(Undelivered {
            channel: format!("webhook ({})", webhook::host(url)),
            problem,
        });
    }
    if let Some(words) = &settings.command
        && let Err(problem) = command::run(words, &settings.project_root, event).await
    {
        undelivered.push(Undelivered {
            channel: "notify-command".into(),
            problem,
        });
    }
    undelivered
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(command: &str, outcome: Outcome) -> Event {
        Event {
            command: command.into(),
            outcome,
            message: "m".into(),
            project: "/p".into(),
            database: None,
            snapshot: None,
            at: Utc::now(),
        }
    }

    fn settings(on: &[&str]) -> Settings {
        let config = crate::config::Config {
            notify_command: Some("cat".into()),
            notify_on: Some(on.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        };
        Settings::resolve(&config, camino::Utf8Path::new("/p"), |_| None).unwrap()
    }

    #[test]
    fn notify_on_matches_outcomes_commands_and_both() {
        let failures = settings(&["failure"]);
        assert!(failures.wants(&event("snapshot", Outcome::Failure)));
        assert!(!failures.wants(&event("snapshot", Outcome::Success)));
        let mixed = settings(&["restore", "snapshot:success"]);
        assert!(mixed.wants(&event("restore", Outcome::Success)));
        assert!(mixed.wants(&event("restore", Outcome::Failure)));
        assert!(mixed.wants(&event("snapshot", Outcome::Success)));
        assert!(!mixed.wants(&event("snapshot", Outcome::Failure)));
        assert!(settings(&["schedule"]).wants(&event("schedule run", Outcome::Success)));
    }

    #[test]
    fn bad_settings_name_the_key() {
        let config = crate::config::Config {
            notify_on: Some(vec!["failures".into()]),
            ..Default::default()
        };
        let error = Settings::resolve(&config, camino::Utf8Path::new("/p"), |_| None)
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("notify-on entry \"failures\""), "{error}");
        let config = crate::config::Config {
            notify_webhook: Some("env:HOOK".into()),
            ..Default::default()
        };
        let error = Settings::resolve(&config, camino::Utf8Path::new("/p"), |_| None).unwrap_err();
        assert!(error.to_string().contains("HOOK, which is not set"));
        let resolved = Settings::resolve(&config, camino::Utf8Path::new("/p"), |_| {
            Some("https://hooks.example.com/T/abc".into())
        })
        .unwrap();
        assert_eq!(
            resolved.webhook.as_deref(),
            Some("https://hooks.example.com/T/abc")
        );
        let config = crate::config::Config {
            notify_webhook: Some("file:///etc/passwd".into()),
            ..Default::default()
        };
        assert!(Settings::resolve(&config, camino::Utf8Path::new("/p"), |_| None).is_err());
    }
}
