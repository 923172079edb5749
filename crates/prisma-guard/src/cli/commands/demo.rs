//! `demo`: the whole story on a database of its own.

use std::process::ExitCode;

use anyhow::Context;

use crate::cli::printer::Printer;
use crate::cli::program;
use crate::cli::render;
use crate::snapshot;

/// `prisma-guard demo`.
pub(crate) async fn run(
    database_url: Option<String>,
    printer: Printer,
) -> anyhow::Result<ExitCode> {
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
    let outcome = demo_story(printer, &app, &url).await;
    let drop = format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        crate::sql::quote_ident(&name)
    );
    if let Ok(mut conn) = admin.connect().await {
        let _ = sqlx::raw_sql(&drop).execute(&mut conn).await;
    }
    outcome?;
    printer.line("\nthe demo database and its snapshots are removed now.")?;
    Ok(ExitCode::SUCCESS)
}

async fn demo_story(
    printer: Printer,
    app: &camino::Utf8Path,
    url: &crate::database::DatabaseUrl,
) -> anyhow::Result<()> {
    use crate::workflows::demo;

    demo::load(url, app).await?;
    printer.line(format_args!("\nThe example Prisma app ({} migrations) is loaded at its 4th migration with seed data:\n\
         admin users, system prompts, posts, products with images, page views. The last 3 migrations\n\
         were just pulled; one renames User.name, one drops Post.legacyHtml.",
        crate::migrations::read_folder(&app.join("prisma/migrations"))?.len()))?;
    demo_step(
        printer,
        app,
        url,
        "Which migrations are pending?",
        &["status"],
    )?;
    demo_step(
        printer,
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
        printer,
        app,
        url,
        "A dev reset wipes every row (reset-restore = [] in this demo, to restore by hand)",
        &["reset", "--yes"],
    )?;
    demo_step(
        printer,
        app,
        url,
        "What would restoring the admins do? (a rolled-back transaction)",
        &["restore", &id, "--admin-only", "--dry-run"],
    )?;
    demo_step(
        printer,
        app,
        url,
        "Restore the admin users and the system prompts",
        &["restore", &id, "--admin-only", "--yes"],
    )?;
    demo_step(
        printer,
        app,
        url,
        "Then the rest (merge: the admins already there are left alone)",
        &["restore", &id, "--yes"],
    )?;
    demo_step(
        printer,
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
    printer.out(format_args!(
        "\nrows per table now:\n{}",
        render::render(table)
    ))?;
    Ok(())
}

/// Runs this binary with `args` in the demo app, its output going straight to ours.
fn demo_step(
    printer: Printer,
    app: &camino::Utf8Path,
    url: &crate::database::DatabaseUrl,
    title: &str,
    args: &[&str],
) -> anyhow::Result<()> {
    printer.line(format_args!(
        "\n── {title}\n$ {} {}",
        program::name(),
        args.join(" ")
    ))?;
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
        anyhow::bail!("the demo step `prisma-guard {}` failed", args.join(" "));
    }
    Ok(())
}
