//! After a command: the notification its outcome asks for (`notify-webhook`,
//! `notify-command`, `notify-on`; [`crate::notify`]). Delivery problems are warnings: they never
//! change the command's exit code.

use std::process::ExitCode;

use crate::cli::args::Command;
use crate::cli::printer::Printer;
use crate::notify::{self, Event, Outcome};
use crate::project::Project;

/// The event name of a command that is notified: `snapshot`, `pre-migrate`, `restore`,
/// `rollback`, `prune`, `schedule run`; `None` for the others.
pub(crate) fn name(command: &Command) -> Option<&'static str> {
    use crate::cli::commands::schedule::ScheduleAction;
    Some(match command {
        Command::Snapshot(_) => "snapshot",
        Command::PreMigrate(_) => "pre-migrate",
        Command::Restore(_) => "restore",
        Command::Rollback(_) => "rollback",
        Command::Prune(_) => "prune",
        Command::Schedule(args) if matches!(args.action, Some(ScheduleAction::Run)) => {
            "schedule run"
        }
        _ => return None,
    })
}

/// Sends the notification for `result` of the command `name`, when one is configured and
/// wanted; prints a warning for each channel that could not be reached, or for settings that
/// cannot be used.
pub(crate) async fn after(
    project: &Project,
    name: &str,
    result: &anyhow::Result<ExitCode>,
    printer: Printer,
) {
    let settings = match project.notify_settings() {
        Ok(settings) if settings.is_enabled() => settings,
        Ok(_) => return,
        Err(error) => {
            let _ = printer.err_line(format_args!("warning: no notification sent: {error}"));
            return;
        }
    };
    let (outcome, message) = match result {
        Ok(code) if *code == ExitCode::SUCCESS => (Outcome::Success, format!("`{name}` succeeded")),
        Ok(_) => (
            Outcome::Failure,
            format!("`{name}` ended with a non-zero exit code"),
        ),
        Err(error) => (Outcome::Failure, error.to_string()),
    };
    let takes_snapshots = matches!(name, "snapshot" | "pre-migrate" | "schedule run");
    let event = Event {
        command: name.to_string(),
        outcome,
        message,
        project: project.root.to_string(),
        database: project.database_url().ok().map(|url| url.redacted()),
        snapshot: (takes_snapshots && outcome == Outcome::Success)
            .then(|| crate::snapshot::latest(&project.backups_dir).ok())
            .flatten()
            .map(|s| s.manifest.id),
        at: chrono::Utc::now(),
    };
    for undelivered in notify::send(&settings, &event).await {
        let _ = printer.err_line(format_args!(
            "warning: the {} notification was not delivered: {}",
            undelivered.channel, undelivered.problem
        ));
    }
}
