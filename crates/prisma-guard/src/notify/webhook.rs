//! The webhook: a Slack-compatible JSON body (`text`, plus `attachments[0].fields`), POSTed.
//!
//! Slack's incoming webhooks take `text` and legacy `attachments` with `fields`
//! (<https://api.slack.com/reference/messaging/attachments>); Mattermost and Discord's `/slack`
//! endpoint take the same body. The full event is also under `event` for other receivers.

use std::time::Duration;

use super::{Event, Outcome};

/// The body sent for `event`.
pub(super) fn body(event: &Event) -> serde_json::Value {
    let icon = match event.outcome {
        Outcome::Success => "✅",
        Outcome::Failure => "❌",
    };
    let text = format!(
        "{icon} prisma-guard {}: {} — {}",
        event.command,
        event.outcome.as_str(),
        event.message
    );
    let mut fields = vec![
        field("Command", &event.command),
        field("Outcome", event.outcome.as_str()),
        field("Project", &event.project),
    ];
    if let Some(database) = &event.database {
        fields.push(field("Database", database));
    }
    if let Some(snapshot) = &event.snapshot {
        fields.push(field("Snapshot", snapshot));
    }
    fields.push(field(
        "At",
        &event.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    ));
    serde_json::json!({
        "text": text,
        "attachments": [{
            "color": if event.outcome == Outcome::Success { "good" } else { "danger" },
            "fields": fields,
        }],
        "event": event,
    })
}

fn field(title: &str, value: &str) -> serde_json::Value {
    serde_json::json!({ "title": title, "value": value, "short": value.len() < 40 })
}

/// POSTs the body; `Err` says why it was not accepted (never with the URL, which is a secret).
pub(super) async fn post(url: &str, event: &Event) -> Result<(), String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .body(body(event).to_string())
        .send()
        .await
        .map_err(describe)?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the server answered {status}"))
    }
}

/// The error without the URL reqwest puts in its message.
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = if error.is_timeout() {
        "no answer within 10 s".to_string()
    } else if error.is_connect() {
        "cannot connect".to_string()
    } else {
        "the request failed".to_string()
    };
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text += &format!(": {cause}");
        source = cause.source();
    }
    text
}

/// The URL's host, which is all a message shows of it.
pub(super) fn host(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_slack_shaped() {
        let event = Event {
            command: "snapshot".into(),
            outcome: Outcome::Failure,
            message: "cannot connect to the database".into(),
            project: "/home/me/app".into(),
            database: Some("app on localhost:5432".into()),
            snapshot: None,
            at: "2026-12-01T10:00:00Z".parse().unwrap(),
        };
        let body = body(&event);
        assert_eq!(
            body["text"],
            "❌ prisma-guard snapshot: failure — cannot connect to the database"
        );
        let fields = body["attachments"][0]["fields"].as_array().unwrap();
        assert_eq!(fields[3]["title"], "Database");
        assert_eq!(fields[3]["value"], "app on localhost:5432");
        assert_eq!(body["attachments"][0]["color"], "danger");
        assert_eq!(body["event"]["outcome"], "failure");
        assert_eq!(
            host("https://hooks.slack.com/services/T/B/secret"),
            "hooks.slack.com"
        );
    }
}
