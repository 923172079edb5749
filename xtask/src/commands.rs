//! One function per subcommand: turn the clap args into library options, call the engine,
//! render the returned value. Exit codes are decided here.

use std::process::ExitCode;

use anyhow::Context;
use xtask::project::Project;
use xtask::snapshot::{self, SnapshotOptions};
use xtask::workflows::{self, MigrateCommand, PreMigrate, pre_migrate::DEFAULT_MIGRATE_COMMAND};

use crate::cli::{
    HookArg, HooksAction, HooksArgs, ModeArg, PreMigrateArgs, RestoreArgs, SnapshotArgs,
    SnapshotsAction, SnapshotsArgs, StatusArgs,
};
use crate::ui;

/// Exit code for errors.
pub const EXIT_ERROR: u8 = 1;
/// `--check`: migrations are pending, nothing else is wrong.
const EXIT_PENDING: u8 = 10;
/// `--check`: failed, edited, missing-locally or diverged migrations.
const EXIT_PROBLEMS: u8 = 11;

/// `cargo xtask status`.
pub async fn status(project: &Project, args: StatusArgs) -> anyhow::Result<ExitCode> {
    let url = project.database_url()?;
    let mut conn = url.connect().await?;
    let report =
        xtask::migrations::status(&mut conn, &project.migrations_dir(), url.schema()).await?;
    let tables = xtask::catalog::tables(&mut conn, url.schema()).await?;
    let enums = xtask::catalog::enums(&mut conn, url.schema()).await?;
    let groups = xtask::restore::groups::resolve(&project.config, &tables, &enums);
    if args.json {
        println!("{}", ui::status_json(&report, &groups, project, &url));
    } else {
        print!("{}", ui::database_header(project, &url));
        print!("{}", ui::status_table(&report));
        println!("\n{}", ui::status_summary(&report, url.schema()));
        print!("\n{}", ui::groups_text(&groups));
        ui::warn_all(&ui::status_warnings(&report));
    }
    let code = match (args.check, report.has_problems(), report.unapplied().next()) {
        (false, _, _) => 0,
        (true, true, _) => EXIT_PROBLEMS,
        (true, false, Some(_)) => EXIT_PENDING,
        (true, false, None) => 0,
    };
    Ok(ExitCode::from(code))
}

fn snapshot_options(project: &Project, reason: &str, jobs: usize) -> SnapshotOptions {
    let mut options = SnapshotOptions::new(reason, &project.root);
    options.jobs = jobs.max(1);
    options.files = project.config.files.clone();
    options.command = command_line();
    options.git = snapshot::sidecar::git_info(&project.root);
    options
}

fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // --database-url may hold a password: never record it.
    let mut shown = Vec::new();
    let mut hide_next = false;
    for arg in args {
        if hide_next {
            shown.push("***".to_string());
            hide_next = false;
        } else if arg == "--database-url" {
            hide_next = true;
            shown.push(arg);
        } else if arg.starts_with("--database-url=") {
            shown.push("--database-url=***".to_string());
        } else {
            shown.push(arg);
        }
    }
    format!("cargo xtask {}", shell_words::join(shown))
}

/// `cargo xtask pre-migrate`.
pub async fn pre_migrate(project: &Project, args: PreMigrateArgs) -> anyhow::Result<ExitCode> {
    if let Some(HookArg::PrePush) = args.hook {
        return pre_push(project, args).await;
    }
    let url = project.database_url()?;
    let command = args
        .migrate_command
        .clone()
        .or_else(|| project.config.migrate_command.clone())
        .unwrap_or_else(|| DEFAULT_MIGRATE_COMMAND.to_string());
    let command = MigrateCommand::parse(&command)?;
    let options = snapshot_options(project, "pre-migrate", args.jobs);
    let progress = ui::SnapshotProgress::new();
    let outcome = workflows::pre_migrate(project, &url, args.force, &options, &progress).await?;
    progress.finish();
    let (status, manifest, elapsed) = match outcome {
        PreMigrate::NothingPending { status } => {
            if args.json {
                println!("{}", ui::pre_migrate_json(&status, None, None, None));
            } else {
                println!(
                    "nothing pending: {} migrations applied; no snapshot taken (--force takes one anyway)",
                    status.count(xtask::migrations::MigrationState::Applied)
                );
            }
            ui::warn_all(&ui::status_warnings(&status));
            return Ok(ExitCode::SUCCESS);
        }
        PreMigrate::Taken {
            status,
            manifest,
            elapsed,
        } => (status, manifest, elapsed),
    };
    ui::warn_all(&ui::status_warnings(&status));
    if !args.json {
        print!(
            "{}",
            ui::pre_migrate_text(project, &status, &manifest, elapsed)
        );
    }
    if !args.apply {
        if args.json {
            println!(
                "{}",
                ui::pre_migrate_json(&status, Some(&manifest), None, None)
            );
        }
        let pending = status.unapplied().next().is_some();
        return Ok(ExitCode::from(if args.check && pending {
            EXIT_PENDING
        } else {
            0
        }));
    }
    eprintln!("applying migrations with {}", command.display());
    let applied = workflows::apply(project, &url, &command)
        .await
        .with_context(|| format!("the snapshot {} is kept", manifest.id))?;
    if !applied.output.is_empty() {
        eprint!("{}", applied.output);
    }
    let losses = workflows::losses(&url, &manifest).await?;
    if args.json {
        println!(
            "{}",
            ui::pre_migrate_json(&status, Some(&manifest), Some(&applied), Some(&losses))
        );
    } else {
        print!("{}", ui::applied_text(&manifest, &applied, &losses));
    }
    Ok(ExitCode::SUCCESS)
}

/// `cargo xtask snapshot`.
pub async fn snapshot(project: &Project, args: SnapshotArgs) -> anyhow::Result<ExitCode> {
    let url = project.database_url()?;
    let status = {
        let mut conn = url.connect().await?;
        xtask::migrations::status(&mut conn, &project.migrations_dir(), url.schema()).await?
    };
    let mut options = snapshot_options(project, &args.reason, args.jobs);
    options.tag = args.tag;
    options.tables = args.tables;
    options.exclude = args.exclude;
    let progress = ui::SnapshotProgress::new();
    let started = std::time::Instant::now();
    let taken = if args.if_changed {
        snapshot::take_if_changed(&url, &project.backups_dir, &status, &options, &progress).await?
    } else {
        Some(snapshot::take(&url, &project.backups_dir, &status, &options, &progress).await?)
    };
    progress.finish();
    match taken {
        None => {
            let latest = snapshot::latest(&project.backups_dir)?;
            println!(
                "unchanged: the data equals snapshot {}; no snapshot taken",
                latest.manifest.id
            );
        }
        Some(manifest) if args.json => println!("{}", ui::manifest_summary_json(&manifest)),
        Some(manifest) => print!("{}", ui::saved_text(project, &manifest, started.elapsed())),
    }
    Ok(ExitCode::SUCCESS)
}

/// `cargo xtask snapshots [show|verify]`.
pub async fn snapshots(project: &Project, args: SnapshotsArgs) -> anyhow::Result<ExitCode> {
    let store = &project.backups_dir;
    match args.action {
        None => {
            let all = snapshot::list(store)?;
            if args.json {
                println!("{}", ui::snapshots_json(&all));
            } else if all.is_empty() {
                println!("no snapshots in {}", project.display_path(store));
            } else {
                print!("{}", ui::snapshots_table(&all, chrono::Utc::now()));
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(SnapshotsAction::Show { id, json }) => {
            let found = match id {
                Some(id) => snapshot::find(store, &id)?,
                None => snapshot::latest(store)?,
            };
            if json {
                println!("{}", ui::show_json(&found));
            } else {
                print!("{}", ui::show_text(&found, chrono::Utc::now()));
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(SnapshotsAction::Verify { id, all }) => {
            let targets = match (id, all) {
                (_, true) => snapshot::list(store)?,
                (Some(id), false) => vec![snapshot::find(store, &id)?],
                (None, false) => unreachable!("clap requires an id or --all"),
            };
            let reports: Vec<_> =
                tokio::task::spawn_blocking(move || targets.iter().map(snapshot::verify).collect())
                    .await
                    .context("verifying")?;
            print!("{}", ui::verify_text(&reports));
            let ok = reports.iter().all(|r| r.ok());
            Ok(ExitCode::from(if ok { 0 } else { EXIT_ERROR }))
        }
    }
}

/// `cargo xtask restore`.
pub async fn restore(project: &Project, args: RestoreArgs) -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal;
    use xtask::restore::{self, Mode, RunOptions, Selection};

    let url = project.database_url()?;
    restore::check_target(&url, args.allow_remote)?;
    let snapshot = match &args.id {
        Some(id) => snapshot::find(&project.backups_dir, id)?,
        None => restore::default_snapshot(&project.backups_dir)?,
    };
    let mut selection = Selection {
        only: args.only,
        skip: args.skip,
        tables: args.tables,
        exclude: args.exclude,
    };
    if args.admin_only {
        selection.only.push("admin".into());
    }
    if args.skip_images {
        selection.skip.push("images".into());
    }
    if args.skip_analytics {
        selection.skip.push("analytics".into());
    }
    let mode = match args.mode {
        ModeArg::Merge => Mode::Merge,
        ModeArg::Upsert => Mode::Upsert,
        ModeArg::Replace => Mode::Replace,
    };
    let prepared = restore::prepare(&url, &project.config, snapshot, &selection, mode).await?;
    let plan_text = ui::restore::plan_text(&prepared, &url, chrono::Utc::now());
    if args.json {
        eprint!("{plan_text}");
    } else {
        print!("{plan_text}");
    }
    restore::refuse_unrestorable(&prepared.plan)?;
    if prepared.plan.tables.is_empty() && prepared.plan.files.is_empty() {
        anyhow::bail!("nothing to restore with this selection; nothing was changed");
    }
    if !args.dry_run && !args.yes {
        if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
            anyhow::bail!(
                "refusing to restore without confirmation: there is no terminal to ask on; \
                 pass --yes to restore anyway (or --dry-run to see what it would do)"
            );
        }
        let question = format!(
            "Restore {} rows of {} tables into {}?",
            prepared.plan.snapshot_rows(),
            prepared.plan.tables.len(),
            url.database_name()
        );
        let confirmed = dialoguer::Confirm::new()
            .with_prompt(question)
            .default(false)
            .interact_on(&dialoguer::console::Term::stderr())
            .context("reading the confirmation")?;
        if !confirmed {
            eprintln!("cancelled; nothing was changed");
            return Ok(ExitCode::from(EXIT_ERROR));
        }
    }
    let options = RunOptions {
        dry_run: args.dry_run,
        safety_snapshot: !args.no_safety_snapshot,
        project_root: project.root.clone(),
        store: project.backups_dir.clone(),
        migrations_dir: project.migrations_dir(),
        command: command_line(),
    };
    let (report, safety) = restore::run(&url, &prepared, &options).await?;
    if args.json {
        println!(
            "{}",
            ui::restore::json(&prepared, &url, &report, safety.as_ref())
        );
    } else {
        print!("\n{}", ui::restore::report_text(&report, safety.as_ref()));
    }
    Ok(ExitCode::SUCCESS)
}

/// `cargo xtask pre-migrate --hook pre-push`: what the installed git hook runs. Blocks (exit 1)
/// only for edited or deleted pushed migrations; database trouble warns and lets the push go.
async fn pre_push(project: &Project, args: PreMigrateArgs) -> anyhow::Result<ExitCode> {
    use std::io::Read;
    use xtask::workflows::hooks;

    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("reading the pre-push lines from stdin")?;
    let updates = hooks::parse_pre_push(&input)?;
    let check = hooks::check_push(project, &updates, args.remote.as_deref())?;
    for note in check.refs.iter().filter_map(|r| r.note.as_ref()) {
        ui::warn_all(std::slice::from_ref(note));
    }
    if check.only_deletions() {
        return Ok(ExitCode::SUCCESS);
    }
    let let_through = |error: &anyhow::Error| {
        eprintln!("warning: cannot check the local database ({error}); the push goes on");
        if let Some(hint) = crate::hint(error) {
            eprintln!("hint: {hint}");
        }
        Ok(ExitCode::SUCCESS)
    };
    let url = match project.database_url() {
        Ok(url) => url,
        Err(e) => return let_through(&e.into()),
    };
    let options = snapshot_options(project, "pre-push", args.jobs);
    let progress = ui::SnapshotProgress::new();
    let result = hooks::pre_push(project, &url, &check, &options, &progress).await;
    progress.finish();
    let found = match result {
        Ok(found) => found,
        Err(e) => return let_through(&e.into()),
    };
    match &found.outcome {
        workflows::PreMigrate::NothingPending { status } => {
            ui::warn_all(&ui::status_warnings(status));
            eprintln!(
                "pre-push: no pushed migration is edited; nothing pending in the local database"
            );
        }
        workflows::PreMigrate::Taken {
            status,
            manifest,
            elapsed,
        } => {
            ui::warn_all(&ui::status_warnings(status));
            eprint!(
                "pre-push: the local database has pending migrations; snapshot taken\n{}",
                ui::pre_migrate_text(project, status, manifest, *elapsed)
            );
        }
    }
    if !found.unapplied_pushed.is_empty() {
        ui::warn_all(&[format!(
            "this push carries migrations your local database has not applied: {}; \
             apply them locally (`cargo xtask pre-migrate --apply`) to try them before others deploy them",
            found.unapplied_pushed.join(", ")
        )]);
    }
    Ok(ExitCode::SUCCESS)
}

/// `cargo xtask hooks install|uninstall|status`.
pub fn hooks(project: &Project, args: HooksArgs) -> anyhow::Result<ExitCode> {
    use xtask::workflows::hooks::{self, InstallOutcome, Installed, Uninstall};

    let show = |path: &camino::Utf8Path| project.display_path(path).to_string();
    match args.action {
        HooksAction::Install { force } => {
            let done = hooks::install(&project.root, force)?;
            let hook = show(&done.location.hook);
            match done.outcome {
                InstallOutcome::Installed => println!("installed the pre-push hook at {hook}"),
                InstallOutcome::Updated => println!("updated the pre-push hook at {hook}"),
                InstallOutcome::Unchanged => {
                    println!("the pre-push hook is already installed at {hook}")
                }
            }
            if let Some(kept) = &done.moved_aside {
                println!(
                    "the hook that was there is kept as {}; ours runs it first",
                    show(kept)
                );
            } else if let Some(kept) = &done.chained {
                println!("it runs {} first", show(kept));
            }
        }
        HooksAction::Uninstall => match hooks::uninstall(&project.root)? {
            Uninstall::Removed { hook, restored } => {
                println!("removed the pre-push hook {}", show(&hook));
                if let Some(kept) = restored {
                    println!("put {} back as {}", show(&kept), show(&hook));
                }
            }
            Uninstall::NotInstalled { hook, foreign } => {
                println!("the pre-push hook is not installed at {}", show(&hook));
                if foreign {
                    println!("(the pre-push hook there is not ours; it was left as is)");
                }
            }
        },
        HooksAction::Status => {
            let status = hooks::status(&project.root)?;
            let location = &status.location;
            let hook = show(&location.hook);
            let folder = if location.hooks_path_configured {
                "(core.hooksPath)"
            } else {
                "(the repository's hooks folder)"
            };
            match status.installed {
                Installed::Ours { current: true } => {
                    println!("pre-push hook: installed at {hook} {folder}")
                }
                Installed::Ours { current: false } => println!(
                    "pre-push hook: installed at {hook} {folder}, from another version; \
                     `cargo xtask hooks install` updates it"
                ),
                Installed::Foreign => println!(
                    "pre-push hook: not installed; {hook} {folder} is a hook we did not write \
                     (`cargo xtask hooks install --force` keeps it and runs it from ours)"
                ),
                Installed::Absent => println!(
                    "pre-push hook: not installed; `cargo xtask hooks install` writes it to {hook} {folder}"
                ),
            }
            if let Some(kept) = &status.chained {
                println!("chained: {} runs first", show(kept));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
