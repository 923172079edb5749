//! `schedule`: the crontab line for unattended snapshots, installing it, the scheduled run
//! itself, and its last outcome.

use std::process::ExitCode;

use camino::Utf8PathBuf;
use clap::{Args, Subcommand};

use crate::cli::printer::Printer;
use crate::project::Project;
use crate::schedule::{self, LastRun, RunOutcome, ScheduleError, crontab};

/// `prisma-guard schedule`.
#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// What to do; without one, print the crontab entry `install` would add.
    #[command(subcommand)]
    pub action: Option<ScheduleAction>,
}

/// `prisma-guard schedule <action>`.
#[derive(Debug, Subcommand)]
pub enum ScheduleAction {
    /// Add the entry to your crontab (`crontab -l`, then `crontab -`), or update it; marked so
    /// `uninstall` finds it. Idempotent.
    Install(CrontabArgs),
    /// Remove this project's entry (only ours); the rest of the crontab is kept as it was.
    Uninstall(CrontabArgs),
    /// When the scheduled run last ran, how it ended, and how old the newest snapshot is.
    Status {
        /// Print it as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// The scheduled job: `snapshot --if-changed --quiet`, then `prune` when `auto-prune` is
    /// set and `snapshots push` when `push` is, recording the outcome for `schedule status`. Silent on success; on failure the
    /// error goes to stderr (cron mails it) and to the notifications, and the exit code is 1.
    Run,
}

/// Where the crontab is.
#[derive(Debug, Args)]
pub struct CrontabArgs {
    /// Edit this crontab file instead of your user crontab (a crontab kept in dotfiles).
    #[arg(long, value_name = "FILE")]
    pub crontab_file: Option<Utf8PathBuf>,
}

impl CrontabArgs {
    fn target(&self) -> crontab::CrontabTarget {
        match &self.crontab_file {
            Some(file) => crontab::CrontabTarget::File(file.clone()),
            None => crontab::CrontabTarget::User,
        }
    }
}

/// `prisma-guard schedule …`.
pub(crate) async fn run(
    project: &Project,
    args: ScheduleArgs,
    printer: Printer,
) -> anyhow::Result<ExitCode> {
    match args.action {
        None => {
            printer.out(entry(project)?)?;
            printer.err_line(
                "add it with `prisma-guard schedule install`, or paste it into your scheduler",
            )?;
        }
        Some(ScheduleAction::Install(where_)) => install(project, &where_, printer)?,
        Some(ScheduleAction::Uninstall(where_)) => {
            let target = where_.target();
            let (text, change) = crontab::without_entry(&crontab::read(&target)?, &project.root);
            if change == crontab::Change::Removed {
                crontab::write(&target, &text)?;
                printer.line(format_args!("removed the schedule of {}", project.root))?;
            } else {
                printer.line(format_args!(
                    "no schedule of {} was installed",
                    project.root
                ))?;
            }
        }
        Some(ScheduleAction::Status { json }) => status(project, json, printer)?,
        Some(ScheduleAction::Run) => return scheduled_run(project, printer).await,
    }
    Ok(ExitCode::SUCCESS)
}

fn entry(project: &Project) -> anyhow::Result<String> {
    let schedule = project.schedule()?.ok_or(ScheduleError::Missing)?;
    let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into());
    Ok(crontab::entry(
        &schedule,
        &project.root,
        &crate::cli::program::hook_runner(),
        &path,
    ))
}

fn install(project: &Project, where_: &CrontabArgs, printer: Printer) -> anyhow::Result<()> {
    let entry = entry(project)?;
    let target = where_.target();
    let (text, change) = crontab::with_entry(&crontab::read(&target)?, &project.root, &entry);
    let place = match &where_.crontab_file {
        Some(file) => file.to_string(),
        None => "your crontab".into(),
    };
    match change {
        crontab::Change::Unchanged => {
            printer.line(format_args!("the schedule is already in {place}"))?
        }
        change => {
            crontab::write(&target, &text)?;
            let verb = if change == crontab::Change::Updated {
                "updated"
            } else {
                "added"
            };
            printer.line(format_args!("{verb} the schedule in {place}:"))?;
            printer.out(&entry)?;
        }
    }
    // Cron starts with an empty environment: a URL only in this shell would not be seen.
    if let Ok(url) = project.database_url()
        && url.source().contains("environment")
    {
        printer.err_line(format_args!(
                "warning: the database URL comes from {} in this shell; cron will not see it: put it in .env",
                url.source()
            ))?;
    }
    Ok(())
}

/// The scheduled job. Records its outcome whatever happens, then returns the command's result.
async fn scheduled_run(project: &Project, printer: Printer) -> anyhow::Result<ExitCode> {
    let started_at = chrono::Utc::now();
    let result = super::snapshot::take_quietly(project, "scheduled").await;
    let (outcome, snapshot, message) = match &result {
        Ok(Some(manifest)) => (RunOutcome::Taken, Some(manifest.id.clone()), None),
        Ok(None) => (
            RunOutcome::Unchanged,
            crate::snapshot::latest(&project.backups_dir)
                .ok()
                .map(|s| s.manifest.id),
            None,
        ),
        Err(error) => (RunOutcome::Failed, None, Some(error.to_string())),
    };
    let recorded = schedule::state::record(
        &project.backups_dir,
        LastRun {
            started_at,
            finished_at: chrono::Utc::now(),
            outcome,
            snapshot,
            message,
            last_success_at: None,
        },
    );
    if let Err(problem) = recorded {
        printer.err_line(format_args!(
            "warning: {problem}: schedule status will not show this run"
        ))?;
    }
    if let Ok(Some(manifest)) = &result {
        super::auto_prune_quietly(project)?;
        super::snapshots_remote::auto_push_quietly(project, &manifest.id).await?;
    }
    result.map(|_| ExitCode::SUCCESS)
}

fn status(project: &Project, json: bool, printer: Printer) -> anyhow::Result<()> {
    let schedule = project.schedule()?;
    let last = schedule::state::read(&project.backups_dir);
    let newest = crate::snapshot::latest(&project.backups_dir).ok();
    let installed = crontab::read(&crontab::CrontabTarget::User)
        .ok()
        .map(|text| crontab::find(&text, &project.root).is_some());
    let now = chrono::Utc::now();
    let overdue = schedule
        .as_ref()
        .and_then(|s| schedule::overdue(s, last.as_ref().and_then(|l| l.last_success_at), now));
    if json {
        let value = serde_json::json!({
            "schedule": schedule.as_ref().map(|s| &s.text),
            "cron": schedule.as_ref().map(|s| &s.cron),
            "installed": installed,
            "next_run": schedule.as_ref().and_then(|s| s.next_runs(now, 1).first().copied()),
            "last_run": last,
            "newest_snapshot": newest.as_ref().map(|s| serde_json::json!({
                "id": s.manifest.id, "created_at": s.manifest.created_at,
            })),
            "overdue": overdue.is_some(),
        });
        printer.line(serde_json::to_string_pretty(&value)?)?;
        return Ok(());
    }
    let mut text = match &schedule {
        Some(s) => format!("schedule:        {} ({})\n", s.text, s.cron),
        None => "schedule:        none configured (add schedule = \"hourly\")\n".to_string(),
    };
    text += &format!(
        "crontab:         {}\n",
        match installed {
            Some(true) => "installed",
            Some(false) => "not installed (run `prisma-guard schedule install`)",
            None => "cannot be read (no crontab command?)",
        }
    );
    if let Some(next) = schedule
        .as_ref()
        .and_then(|s| s.next_runs(now, 1).first().copied())
    {
        text += &format!("next run:        {}\n", next.format("%Y-%m-%d %H:%M UTC"));
    }
    let ago = |at: chrono::DateTime<chrono::Utc>| {
        format!(
            "{} ({} ago)",
            at.format("%Y-%m-%d %H:%M:%S UTC"),
            schedule::human_age(now - at)
        )
    };
    match &last {
        None => text += "last run:        never\n",
        Some(run) => {
            let how = match run.outcome {
                RunOutcome::Taken => format!("took {}", run.snapshot.as_deref().unwrap_or("?")),
                RunOutcome::Unchanged => "unchanged, no snapshot needed".into(),
                RunOutcome::Failed => {
                    format!("FAILED: {}", run.message.as_deref().unwrap_or("?"))
                }
            };
            text += &format!("last run:        {}, {how}\n", ago(run.finished_at));
            if let Some(at) = run.last_success_at {
                text += &format!("last success:    {}\n", ago(at));
            }
        }
    }
    text += &match &newest {
        Some(s) => format!(
            "newest snapshot: {} ({})\n",
            s.manifest.id,
            schedule::human_age(now - s.manifest.created_at) + " old"
        ),
        None => "newest snapshot: none\n".into(),
    };
    printer.out(text)?;
    if let (Some(schedule), Some(age)) = (&schedule, overdue) {
        printer.err_line(overdue_text(schedule, age))?;
    }
    Ok(())
}

/// `status`'s warning when scheduled snapshots stopped succeeding: `None` without a schedule
/// or when the last success is recent enough.
pub(crate) fn overdue_warning(project: &Project) -> anyhow::Result<Option<String>> {
    let Some(schedule) = project.schedule()? else {
        return Ok(None);
    };
    let last = schedule::state::read(&project.backups_dir);
    let success = last.as_ref().and_then(|l| l.last_success_at);
    Ok(schedule::overdue(&schedule, success, chrono::Utc::now())
        .map(|age| overdue_text(&schedule, age)))
}

/// The warning's text for the age of the last success (`None`: never succeeded).
fn overdue_text(schedule: &schedule::Schedule, age: Option<chrono::Duration>) -> String {
    let when = match age {
        Some(age) => format!("last succeeded {} ago", schedule::human_age(age)),
        None => "have never succeeded".into(),
    };
    format!(
        "warning: scheduled snapshots ({}) {when}; `prisma-guard schedule status` says more",
        schedule.text
    )
}
