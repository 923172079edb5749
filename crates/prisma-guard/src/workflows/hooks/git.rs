//! Running `git` for the hook: its output as text, or `None` when it exits non-zero.

use camino::Utf8Path;

use super::HookError;

pub(super) fn git_raw(dir: &Utf8Path, args: &[&str]) -> Result<std::process::Output, HookError> {
    let command = args.join(" ");
    let sh = xshell::Shell::new().map_err(|e| HookError::Git {
        command: command.clone(),
        output: e.to_string(),
    })?;
    sh.change_dir(dir);
    xshell::cmd!(sh, "git {args...}")
        .quiet()
        .ignore_status()
        .output()
        .map_err(|e| HookError::Git {
            command,
            output: e.to_string(),
        })
}

/// Runs git in `dir`; its stdout with the trailing newline removed.
pub(super) fn git(dir: &Utf8Path, args: &[&str]) -> Result<String, HookError> {
    let output = git_raw(dir, args)?;
    if !output.status.success() {
        return Err(HookError::Git {
            command: args.join(" "),
            output: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    while text.ends_with('\n') {
        text.pop();
    }
    Ok(text)
}

/// Runs git in `dir`; `None` when it exits non-zero.
pub(super) fn git_opt(dir: &Utf8Path, args: &[&str]) -> Result<Option<String>, HookError> {
    match git(dir, args) {
        Ok(text) => Ok(Some(text)),
        Err(HookError::Git { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}
