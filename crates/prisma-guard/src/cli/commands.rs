//! One function per subcommand: turn the clap args into library options, call the engine,
//! render the returned value. Exit codes are decided here.

use std::process::ExitCode;

use crate::project::Project;
use crate::snapshot::{self, SnapshotOptions};
use crate::workflows::{self, MigrateCommand, PreMigrate, pre_migrate::DEFAULT_MIGRATE_COMMAND};
use anyhow::Context;

use crate::cli::args::{
    HookArg, HooksAction, HooksArgs, ModeArg, PreMigrateArgs, PruneArgs, ResetArgs, RestoreArgs,
    RollbackArgs, SelectionArgs, SnapshotArgs, SnapshotsAction, SnapshotsArgs, StatusArgs,
    StrategyArg,
};
use crate::cli::ui;

/// Exit code for errors.
pub const EXIT_ERROR: u8 = 1;
/// `--check`: migrations are pending, nothing else is wrong.
const EXIT_PENDING: u8 = 10;
/// `--check`: failed, edited, missing-locally or diverged migrations.
const EXIT_PROBLEMS: u8 = 11;

/// `cargo xtask status`.
pub async fn status(project: &Project, args: StatusArgs) -> anyhow::Result<ExitCode> {
    let url = project.database_url()?;
    // Two connections, so that the server reads `_prisma_migrations` and the catalog at once.
    let migrations = async {
        let mut conn = url.connect().await?;
        anyhow::Ok(
            crate::migrations::status(&mut conn, &project.migrations_dir(), url.schema()).await?,
        )
    };
    let catalog = async {
        let mut conn = url.connect().await?;
        let tables = crate::catalog::tables(&mut conn, url.schema()).await?;
        let enums = crate::catalog::enums(&mut conn, url.schema()).await?;
        anyhow::Ok((tables, enums))
    };
    let (report, catalog) = tokio::join!(migrations, catalog);
    let (report, (tables, enums)) = (report?, catalog?);
    let groups = crate::restore::groups::resolve(&project.config, &tables, &enums);
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
                    status.count(crate::migrations::MigrationState::Applied)
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
    auto_prune(project);
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
        crate::migrations::status(&mut conn, &project.migrations_dir(), url.schema()).await?
    };
    let mut options = snapshot_options(project, &args.reason, args.jobs);
    options.tag = args.tag;
    options.keep = args.keep;
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
    let took = taken.is_some();
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
    if took {
        auto_prune(project);
    }
    Ok(ExitCode::SUCCESS)
}

/// With `auto-prune = true`: prunes by the configured policy after a snapshot was taken and
/// says in one line on stderr what went. A failure is a warning: the snapshot stands.
fn auto_prune(project: &Project) {
    if project.config.auto_prune != Some(true) {
        return;
    }
    let policy = snapshot::Policy::from_config(&project.config);
    match snapshot::prune(&project.backups_dir, &policy, false) {
        Ok(outcome) => {
            if let Some(line) = ui::auto_prune_line(&outcome) {
                eprintln!("{line}");
            }
        }
        Err(error) => eprintln!("warning: auto-prune failed: {error}; the snapshot was kept"),
    }
}

/// `cargo xtask prune`: flags over config over the defaults (10/7/4/12).
pub fn prune(project: &Project, args: PruneArgs) -> anyhow::Result<ExitCode> {
    let config = snapshot::Policy::from_config(&project.config);
    let policy = snapshot::Policy {
        keep_last: args.keep_last.unwrap_or(config.keep_last),
        keep_daily: args.keep_daily.unwrap_or(config.keep_daily),
        keep_weekly: args.keep_weekly.unwrap_or(config.keep_weekly),
        keep_monthly: args.keep_monthly.unwrap_or(config.keep_monthly),
    };
    let outcome = snapshot::prune(&project.backups_dir, &policy, args.dry_run)?;
    if args.json {
        println!("{}", ui::prune_json(&outcome));
    } else if outcome.decisions.is_empty() {
        println!(
            "no snapshots in {}",
            project.display_path(&project.backups_dir)
        );
    } else {
        print!("{}", ui::prune_text(&outcome, chrono::Utc::now()));
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
    use crate::restore;

    let url = project.database_url()?;
    restore::check_target(&url, args.allow_remote)?;
    let snapshot = match &args.id {
        Some(id) => snapshot::find(&project.backups_dir, id)?,
        None => restore::default_snapshot(&project.backups_dir)?,
    };
    let selection = args.selection.into_selection();
    let mode = args.mode.into_mode();
    let options = prepare_options(project, args.strategy);
    let prepared =
        restore::prepare(&url, &project.config, snapshot, &selection, mode, &options).await?;
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
        let question = format!(
            "Restore {} rows of {} tables into {}?",
            prepared.plan.snapshot_rows(),
            prepared.plan.tables.len(),
            url.database_name()
        );
        if !confirm(&question)? {
            eprintln!("cancelled; nothing was changed");
            return Ok(ExitCode::from(EXIT_ERROR));
        }
    }
    let options = run_options(project, args.dry_run, !args.no_safety_snapshot);
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

/// Asks `question` on the terminal, default No. Without a terminal it refuses with a hint to
/// pass `--yes`.
fn confirm(question: &str) -> anyhow::Result<bool> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        anyhow::bail!(
            "refusing without confirmation: there is no terminal to ask on; pass --yes to go ahead \
             (restore also has --dry-run to see what it would do)"
        );
    }
    dialoguer::Confirm::new()
        .with_prompt(question)
        .default(false)
        .interact_on(&dialoguer::console::Term::stderr())
        .context("reading the confirmation")
}

impl SelectionArgs {
    fn into_selection(self) -> crate::restore::Selection {
        let mut selection = crate::restore::Selection {
            only: self.only,
            skip: self.skip,
            tables: self.tables,
            exclude: self.exclude,
        };
        if self.admin_only {
            selection.only.push("admin".into());
        }
        if self.skip_images {
            selection.skip.push("images".into());
        }
        if self.skip_analytics {
            selection.skip.push("analytics".into());
        }
        selection
    }
}

/// How a restore or rollback runs in `project`.
fn run_options(
    project: &Project,
    dry_run: bool,
    safety_snapshot: bool,
) -> crate::restore::RunOptions {
    crate::restore::RunOptions {
        dry_run,
        safety_snapshot,
        project_root: project.root.clone(),
        store: project.backups_dir.clone(),
        migrations_dir: project.migrations_dir(),
        command: command_line(),
    }
}

fn prepare_options(project: &Project, strategy: StrategyArg) -> crate::restore::PrepareOptions {
    use crate::restore::Strategy;
    crate::restore::PrepareOptions {
        strategy: match strategy {
            StrategyArg::Auto => Strategy::Auto,
            StrategyArg::Replay => Strategy::Replay,
            StrategyArg::Map => Strategy::Map,
        },
        migrations_dir: project.migrations_dir(),
        store: project.backups_dir.clone(),
    }
}

/// `cargo xtask rollback`.
pub async fn rollback(project: &Project, args: RollbackArgs) -> anyhow::Result<ExitCode> {
    use crate::restore::{self, rollback};

    let url = project.database_url()?;
    if !url.is_local() {
        anyhow::bail!(
            "refusing to roll back {}: the host is not local; rollback drops and rebuilds the schema, \
             so it is for development databases on this machine only (localhost, 127.0.0.0/8, ::1, a Unix socket)",
            url.redacted()
        );
    }
    let snapshot = match &args.id {
        Some(id) => snapshot::find(&project.backups_dir, id)?,
        None => restore::default_snapshot(&project.backups_dir)?,
    };
    let plan = rollback::prepare(&url, snapshot, &project.migrations_dir()).await?;
    let plan_text = ui::restore::rollback_plan_text(&plan, &url, chrono::Utc::now(), args.dry_run);
    if args.json {
        eprint!("{plan_text}");
    } else {
        print!("{plan_text}");
    }
    if !args.dry_run && !args.yes {
        let question = format!(
            "Drop schema {} of {} and rebuild it as it was at {}?",
            url.schema(),
            url.database_name(),
            plan.snapshot.manifest.id
        );
        if !confirm(&question)? {
            eprintln!("cancelled; nothing was changed");
            return Ok(ExitCode::from(EXIT_ERROR));
        }
    }
    let options = run_options(project, args.dry_run, !args.no_safety_snapshot);
    let (report, safety) = rollback::run(&url, &plan, &options).await?;
    if args.json {
        println!(
            "{}",
            ui::restore::rollback_json(&plan, &url, &report, safety.as_ref())
        );
    } else {
        print!(
            "\n{}",
            ui::restore::rollback_report_text(&report, safety.as_ref())
        );
    }
    Ok(ExitCode::SUCCESS)
}

impl ModeArg {
    fn into_mode(self) -> crate::restore::Mode {
        match self {
            ModeArg::Merge => crate::restore::Mode::Merge,
            ModeArg::Upsert => crate::restore::Mode::Upsert,
            ModeArg::Replace => crate::restore::Mode::Replace,
        }
    }
}

/// `cargo xtask reset`.
pub async fn reset(project: &Project, args: ResetArgs) -> anyhow::Result<ExitCode> {
    use crate::restore;
    use crate::workflows::reset::{self as reset_flow, DEFAULT_RESET_COMMAND};

    let url = project.database_url()?;
    reset_flow::check_local(&url)?;
    let text = args
        .reset_command
        .clone()
        .or_else(|| project.config.reset_command.clone())
        .unwrap_or_else(|| DEFAULT_RESET_COMMAND.to_string());
    let command = MigrateCommand::parse(&text)?;
    let selection = reset_flow::selection(
        args.selection.into_selection(),
        args.all,
        project.config.reset_restore.as_deref(),
    );
    let restoring = match &selection {
        None => "nothing".to_string(),
        Some(s) if s.only.is_empty() && s.tables.is_empty() => "everything".to_string(),
        Some(s) => [s.only.clone(), s.tables.clone()].concat().join(", "),
    };
    println!(
        "reset {} (schema {}): snapshot, then {}, then restore {restoring}",
        url.redacted(),
        url.schema(),
        command.display()
    );
    if !args.yes
        && !confirm(&format!(
            "Reset {}? Every row is deleted; the snapshot keeps them.",
            url.database_name()
        ))?
    {
        eprintln!("cancelled; nothing was changed");
        return Ok(ExitCode::from(EXIT_ERROR));
    }

    let status = {
        let mut conn = url.connect().await?;
        crate::migrations::status(&mut conn, &project.migrations_dir(), url.schema()).await?
    };
    let options = snapshot_options(project, "reset", 2);
    let progress = ui::SnapshotProgress::new();
    let manifest = snapshot::take(&url, &project.backups_dir, &status, &options, &progress).await?;
    progress.finish();
    println!(
        "snapshot {}: {} tables, {} rows",
        manifest.id,
        manifest.tables.len(),
        manifest.total_rows()
    );
    println!("running {}", command.display());
    let applied = reset_flow::reset_database(project, &url, &command)
        .await
        .with_context(|| {
            format!(
                "the reset failed; nothing was restored; the snapshot {0} is kept: cargo xtask restore {0}",
                manifest.id
            )
        })?;
    if !applied.output.is_empty() {
        eprint!("{}", applied.output);
    }
    if !applied.migrations.is_empty() {
        println!("applied {} migrations", applied.migrations.len());
    }
    let Some(selection) = selection else {
        println!(
            "reset-restore is empty: nothing restored; the snapshot {} holds the old data",
            manifest.id
        );
        return Ok(ExitCode::SUCCESS);
    };
    let restore_hint = || {
        format!(
            "the database was reset but not restored; the snapshot {0} is kept: cargo xtask restore {0}",
            manifest.id
        )
    };
    let stored = snapshot::find(&project.backups_dir, &manifest.id)?;
    let prepared = restore::prepare(
        &url,
        &project.config,
        stored,
        &selection,
        args.mode.into_mode(),
        &prepare_options(project, StrategyArg::Auto),
    )
    .await
    .with_context(restore_hint)?;
    print!(
        "\n{}",
        ui::restore::plan_text(&prepared, &url, chrono::Utc::now())
    );
    // The reset snapshot is the safety snapshot: the database was just emptied.
    let run = run_options(project, false, false);
    let (report, _) = restore::run(&url, &prepared, &run)
        .await
        .with_context(restore_hint)?;
    print!("\n{}", ui::restore::report_text(&report, None));
    Ok(ExitCode::SUCCESS)
}

/// `cargo xtask demo`.
pub async fn demo(database_url: Option<String>) -> anyhow::Result<ExitCode> {
    use crate::database::DatabaseUrl;
    use crate::workflows::demo;

    let temp = tempfile::Builder::new()
        .prefix("prisma-guard-demo-")
        .tempdir()
        .context("creating a temporary folder")?;
    let dir = camino::Utf8Path::from_path(temp.path())
        .context("the temporary folder's path is not UTF-8")?;
    let app = demo::create_app(dir)?;
    let name = format!("prisma_guard_demo_{}", std::process::id());
    // Never the app's own database: only a server named explicitly for the demo.
    let Some(raw) = database_url else {
        anyhow::bail!(
            "the demo needs a PostgreSQL server to create its own database on: pass --database-url \
             postgresql://USER@localhost:5432/postgres (a database prisma_guard_demo_<pid> is created \
             there and dropped at the end)"
        );
    };
    let admin = DatabaseUrl::parse(&raw, "--database-url")?;
    let create = format!("CREATE DATABASE {}", crate::sql::quote_ident(&name));
    sqlx::raw_sql(&create)
        .execute(&mut admin.connect().await?)
        .await
        .context("creating the demo database")?;
    let url = admin.with_database(&name);
    let outcome = demo_story(&app, &url).await;
    let drop = format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        crate::sql::quote_ident(&name)
    );
    if let Ok(mut conn) = admin.connect().await {
        let _ = sqlx::raw_sql(&drop).execute(&mut conn).await;
    }
    outcome?;
    println!("\nthe demo database and its snapshots are removed now.");
    Ok(ExitCode::SUCCESS)
}

async fn demo_story(
    app: &camino::Utf8Path,
    url: &crate::database::DatabaseUrl,
) -> anyhow::Result<()> {
    use crate::workflows::demo;

    demo::load(url, app).await?;
    println!(
        "\nThe example Prisma app ({} migrations) is loaded at its 4th migration with seed data:\n\
         admin users, system prompts, posts, products with images, page views. The last 3 migrations\n\
         were just pulled; one renames User.name, one drops Post.legacyHtml.",
        crate::migrations::read_folder(&app.join("prisma/migrations"))?.len()
    );
    demo_step(app, url, "Which migrations are pending?", &["status"])?;
    demo_step(
        app,
        url,
        "Snapshot first, then apply them (built-in deploy) and see what they destroyed",
        &["pre-migrate", "--apply"],
    )?;
    let id = snapshot::list(&app.join("backups"))?
        .into_iter()
        .find(|s| s.manifest.reason == "pre-migrate")
        .context("pre-migrate took no snapshot")?
        .manifest
        .id;
    demo_step(
        app,
        url,
        "A dev reset wipes every row (reset-restore = [] in this demo, to restore by hand)",
        &["reset", "--yes"],
    )?;
    demo_step(
        app,
        url,
        "What would restoring the admins do? (a rolled-back transaction)",
        &["restore", &id, "--admin-only", "--dry-run"],
    )?;
    demo_step(
        app,
        url,
        "Restore the admin users and the system prompts",
        &["restore", &id, "--admin-only", "--yes"],
    )?;
    demo_step(
        app,
        url,
        "Then the rest (merge: the admins already there are left alone)",
        &["restore", &id, "--yes"],
    )?;
    demo_step(
        app,
        url,
        "All migrations applied, and the data is back",
        &["status"],
    )?;
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    table.set_header(["table", "rows"]);
    for (name, rows) in demo::row_counts(url).await? {
        table.add_row([name, rows.to_string()]);
    }
    print!("\nrows per table now:\n{}", ui::render(table));
    Ok(())
}

/// Runs this binary with `args` in the demo app, its output going straight to ours.
fn demo_step(
    app: &camino::Utf8Path,
    url: &crate::database::DatabaseUrl,
    title: &str,
    args: &[&str],
) -> anyhow::Result<()> {
    println!("\n── {title}\n$ cargo xtask {}", args.join(" "));
    use std::io::Write;
    std::io::stdout().flush().context("writing the output")?;
    let exe = std::env::current_exe().context("finding this program")?;
    // The step writes straight to our stdout and stderr, so its lines keep their order.
    let status = std::process::Command::new(exe)
        .args(args)
        .current_dir(app)
        .env("DATABASE_URL", url.expose_secret())
        .env_remove("DIRECT_URL")
        .stdin(std::process::Stdio::null())
        .status()
        .context("running the step")?;
    if !status.success() {
        anyhow::bail!("the demo step `cargo xtask {}` failed", args.join(" "));
    }
    Ok(())
}

/// `cargo xtask pre-migrate --hook pre-push`: what the installed git hook runs. Blocks (exit 1)
/// only for edited or deleted pushed migrations; database trouble warns and lets the push go.
async fn pre_push(project: &Project, args: PreMigrateArgs) -> anyhow::Result<ExitCode> {
    use crate::workflows::hooks;
    use std::io::Read;

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
        if let Some(hint) = crate::cli::hint(error) {
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
    use crate::workflows::hooks::{self, InstallOutcome, Installed, Uninstall};

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
