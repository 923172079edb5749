//! Where the hook lives, and installing, uninstalling and reporting on it.

use camino::{Utf8Path, Utf8PathBuf};

use super::git::{git, git_opt};
use super::{HOOK_NAME, HookError, HookRunner, KEPT_HOOK, is_ours, script};
use crate::error::IoError;

/// Where the hook lives for a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookLocation {
    /// The hooks folder git uses (`git rev-parse --git-path hooks`), absolute.
    pub hooks_dir: Utf8PathBuf,
    /// Whether `core.hooksPath` chose it.
    pub hooks_path_configured: bool,
    /// `<hooks_dir>/pre-push`.
    pub hook: Utf8PathBuf,
    /// `<hooks_dir>/pre-push.local`, where a foreign hook is kept.
    pub kept: Utf8PathBuf,
    /// The project root relative to the git work tree's top level (empty when they are the
    /// same); the hook changes into it before running xtask.
    pub project_subdir: String,
}

/// Finds the hooks folder git uses for the repository around `project_root`.
///
/// Errors: [`HookError::NotARepository`] outside a git work tree or without git.
pub fn locate(project_root: &Utf8Path) -> Result<HookLocation, HookError> {
    let not_repo = |e: HookError| match e {
        HookError::Git { command, output } => HookError::NotARepository {
            dir: project_root.to_owned(),
            command,
            output,
        },
        other => other,
    };
    let prefix = git(project_root, &["rev-parse", "--show-prefix"]).map_err(not_repo)?;
    let hooks = git(project_root, &["rev-parse", "--git-path", "hooks"]).map_err(not_repo)?;
    let hooks_path_configured = git_opt(project_root, &["config", "--get", "core.hooksPath"])?
        .is_some_and(|v| !v.is_empty());
    let hooks_dir = project_root.join(hooks);
    Ok(HookLocation {
        hook: hooks_dir.join(HOOK_NAME),
        kept: hooks_dir.join(KEPT_HOOK),
        hooks_dir,
        hooks_path_configured,
        project_subdir: prefix.trim_end_matches('/').to_string(),
    })
}

/// What is at `<hooks>/pre-push`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Installed {
    /// Our hook; `current` when it is exactly what [`install`] would write now.
    Ours {
        /// Whether it matches the current script.
        current: bool,
    },
    /// A hook we did not write.
    Foreign,
    /// No hook.
    Absent,
}

/// The hook's state, for `hooks status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookStatus {
    /// Where it is (or would be).
    pub location: HookLocation,
    /// What is there.
    pub installed: Installed,
    /// A kept foreign hook (`pre-push.local`) that ours runs first, when present.
    pub chained: Option<Utf8PathBuf>,
}

fn read_hook(path: &Utf8Path) -> Result<Option<String>, HookError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(IoError {
            action: "reading",
            path: path.to_owned(),
            source,
        }
        .into()),
    }
}

/// Reports whether our hook is installed, where, and whether a kept foreign hook is chained.
///
/// Errors: [`HookError::NotARepository`], [`HookError::Io`].
/// `current` says whether it is the script `runner` would install now.
pub fn status(project_root: &Utf8Path, runner: &HookRunner) -> Result<HookStatus, HookError> {
    let location = locate(project_root)?;
    let installed = match read_hook(&location.hook)? {
        None => Installed::Absent,
        Some(text) if is_ours(&text) => Installed::Ours {
            current: text == script(&location.project_subdir, runner),
        },
        Some(_) => Installed::Foreign,
    };
    let chained =
        (installed != Installed::Foreign && location.kept.exists()).then(|| location.kept.clone());
    Ok(HookStatus {
        location,
        installed,
        chained,
    })
}

/// What [`install`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallOutcome {
    /// Our hook was written where there was none (or a foreign one, moved aside).
    Installed,
    /// Our hook was there with an older text and was rewritten.
    Updated,
    /// Our hook was there already, unchanged.
    Unchanged,
}

/// The result of [`install`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Install {
    /// Where.
    pub location: HookLocation,
    /// What happened.
    pub outcome: InstallOutcome,
    /// A foreign hook this install moved to `pre-push.local`.
    pub moved_aside: Option<Utf8PathBuf>,
    /// A kept foreign hook ours runs first (moved now or earlier).
    pub chained: Option<Utf8PathBuf>,
}

/// Writes our `pre-push` hook (mode 755) into the hooks folder git uses, creating the folder.
/// Idempotent. A hook we did not write is left alone, unless `force`: then it is renamed to
/// `pre-push.local` beside ours, which runs it first.
///
/// Errors: [`HookError::NotARepository`]; [`HookError::Foreign`] without `force`;
/// [`HookError::KeptExists`] when `pre-push.local` is taken; [`HookError::Io`].
/// The hook runs `runner`.
pub fn install(
    project_root: &Utf8Path,
    force: bool,
    runner: &HookRunner,
) -> Result<Install, HookError> {
    let location = locate(project_root)?;
    let text = script(&location.project_subdir, runner);
    let mut moved_aside = None;
    let outcome = match read_hook(&location.hook)? {
        Some(existing) if existing == text => InstallOutcome::Unchanged,
        Some(existing) if is_ours(&existing) => InstallOutcome::Updated,
        Some(_) if !force => {
            return Err(HookError::Foreign {
                path: location.hook.clone(),
            });
        }
        Some(_) => {
            if location.kept.exists() || location.kept.is_symlink() {
                return Err(HookError::KeptExists {
                    hook: location.hook.clone(),
                    kept: location.kept.clone(),
                });
            }
            std::fs::rename(&location.hook, &location.kept)
                .map_err(IoError::at("renaming", &location.hook))?;
            moved_aside = Some(location.kept.clone());
            InstallOutcome::Installed
        }
        None => InstallOutcome::Installed,
    };
    if outcome != InstallOutcome::Unchanged {
        std::fs::create_dir_all(&location.hooks_dir)
            .map_err(IoError::at("creating", &location.hooks_dir))?;
        // Write beside it and rename: git never runs a half-written hook.
        let partial = location.hooks_dir.join(format!(".{HOOK_NAME}.xtask-tmp"));
        std::fs::write(&partial, &text).map_err(IoError::at("writing", &partial))?;
        make_executable(&partial).map_err(IoError::at("setting the permissions of", &partial))?;
        std::fs::rename(&partial, &location.hook)
            .map_err(IoError::at("writing", &location.hook))?;
    }
    let chained = location.kept.exists().then(|| location.kept.clone());
    Ok(Install {
        location,
        outcome,
        moved_aside,
        chained,
    })
}

#[cfg(unix)]
fn make_executable(path: &Utf8Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn make_executable(_path: &Utf8Path) -> std::io::Result<()> {
    Ok(())
}

/// What [`uninstall`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uninstall {
    /// Our hook was removed; a kept foreign hook was put back as `pre-push`.
    Removed {
        /// Where ours was.
        hook: Utf8PathBuf,
        /// The kept hook's former path, when one was put back.
        restored: Option<Utf8PathBuf>,
    },
    /// Our hook is not installed; nothing changed.
    NotInstalled {
        /// Where it would be.
        hook: Utf8PathBuf,
        /// Whether a hook that is not ours is there (left as is).
        foreign: bool,
    },
}

/// Removes our `pre-push` hook, and only ours; a kept `pre-push.local` is renamed back to
/// `pre-push`. Without our hook it changes nothing.
///
/// Errors: [`HookError::NotARepository`], [`HookError::Io`].
pub fn uninstall(project_root: &Utf8Path) -> Result<Uninstall, HookError> {
    let location = locate(project_root)?;
    let hook = location.hook.clone();
    match read_hook(&hook)? {
        Some(text) if is_ours(&text) => {}
        other => {
            return Ok(Uninstall::NotInstalled {
                foreign: other.is_some(),
                hook,
            });
        }
    }
    std::fs::remove_file(&hook).map_err(IoError::at("removing", &hook))?;
    let restored = if location.kept.exists() || location.kept.is_symlink() {
        std::fs::rename(&location.kept, &hook).map_err(IoError::at("renaming", &location.kept))?;
        Some(location.kept.clone())
    } else {
        None
    };
    Ok(Uninstall::Removed { hook, restored })
}
