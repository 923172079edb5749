//! `hooks`: install, remove or inspect the git pre-push hook.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::cli::printer::Printer;
use crate::project::Project;

/// `prisma-guard hooks`.
#[derive(Debug, Args)]
pub struct HooksArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: HooksAction,
}

/// `prisma-guard hooks <action>`.
#[derive(Debug, Subcommand)]
pub enum HooksAction {
    /// Write the pre-push hook into the hooks folder git uses (core.hooksPath respected).
    ///
    /// Idempotent. A pre-push hook that cargo xtask did not write is left alone unless --force.
    Install {
        /// Replace a pre-push hook we did not write: it is kept as pre-push.local beside ours,
        /// which runs it first with the same input and arguments (its failure fails the push).
        #[arg(long)]
        force: bool,
    },
    /// Remove our pre-push hook (only ours); a kept pre-push.local goes back to pre-push.
    Uninstall,
    /// Say whether our hook is installed, where, and whether a kept hook is chained.
    Status,
}

/// `prisma-guard hooks install|uninstall|status`.
pub(crate) fn run(
    project: &Project,
    args: HooksArgs,
    printer: Printer,
) -> anyhow::Result<ExitCode> {
    use crate::workflows::hooks::{self, InstallOutcome, Installed, Uninstall};

    let show = |path: &camino::Utf8Path| project.display_path(path).to_string();
    match args.action {
        HooksAction::Install { force } => {
            let done = hooks::install(&project.root, force, &crate::cli::program::hook_runner())?;
            let hook = show(&done.location.hook);
            match done.outcome {
                InstallOutcome::Installed => {
                    printer.line(format_args!("installed the pre-push hook at {hook}"))?
                }
                InstallOutcome::Updated => {
                    printer.line(format_args!("updated the pre-push hook at {hook}"))?
                }
                InstallOutcome::Unchanged => printer.line(format_args!(
                    "the pre-push hook is already installed at {hook}"
                ))?,
            }
            if let Some(kept) = &done.moved_aside {
                printer.line(format_args!(
                    "the hook that was there is kept as {}; ours runs it first",
                    show(kept)
                ))?;
            } else if let Some(kept) = &done.chained {
                printer.line(format_args!("it runs {} first", show(kept)))?;
            }
        }
        HooksAction::Uninstall => match hooks::uninstall(&project.root)? {
            Uninstall::Removed { hook, restored } => {
                printer.line(format_args!("removed the pre-push hook {}", show(&hook)))?;
                if let Some(kept) = restored {
                    printer.line(format_args!("put {} back as {}", show(&kept), show(&hook)))?;
                }
            }
            Uninstall::NotInstalled { hook, foreign } => {
                printer.line(format_args!(
                    "the pre-push hook is not installed at {}",
                    show(&hook)
                ))?;
                if foreign {
                    printer.line("(the pre-push hook there is not ours; it was left as is)")?;
                }
            }
        },
        HooksAction::Status => {
            let status = hooks::status(&project.root, &crate::cli::program::hook_runner())?;
            let location = &status.location;
            let hook = show(&location.hook);
            let folder = if location.hooks_path_configured {
                "(core.hooksPath)"
            } else {
                "(the repository's hooks folder)"
            };
            match status.installed {
                Installed::Ours { current: true } => {
                    printer.line(format_args!("pre-push hook: installed at {hook} {folder}"))?
                }
                Installed::Ours { current: false } => printer.line(format_args!("pre-push hook: installed at {hook} {folder}, from another version; \
                     `prisma-guard hooks install` updates it"))?,
                Installed::Foreign => printer.line(format_args!("pre-push hook: not installed; {hook} {folder} is a hook we did not write \
                     (`prisma-guard hooks install --force` keeps it and runs it from ours)"))?,
                Installed::Absent => printer.line(format_args!("pre-push hook: not installed; `prisma-guard hooks install` writes it to {hook} {folder}"))?,
            }
            if let Some(kept) = &status.chained {
                printer.line(format_args!("chained: {} runs first", show(kept)))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
