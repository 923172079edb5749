//! The hook script we install, and the marker that recognises it as ours.

/// The hook we install.
pub const HOOK_NAME: &str = "pre-push";
/// The name a foreign `pre-push` hook is kept under when `install --force` replaces it.
pub const KEPT_HOOK: &str = "pre-push.local";
/// The line that marks a hook file as ours.
pub const MARKER: &str = "# managed-by: cargo-xtask hooks (pre-push)";

/// What the hook runs: the project's `cargo xtask`, or an installed binary by its absolute path
/// (a git GUI's hooks may not have `~/.cargo/bin` on `PATH`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookRunner {
    /// `cargo xtask pre-migrate …`, built from the project's own workspace.
    CargoXtask,
    /// `'/path/to/prisma-guard' pre-migrate …`.
    Binary(camino::Utf8PathBuf),
}

impl HookRunner {
    /// The words that run this program in `sh`: `cargo xtask`, or the binary's quoted path.
    pub fn command(&self) -> String {
        match self {
            HookRunner::CargoXtask => "cargo xtask".into(),
            HookRunner::Binary(path) => sh_quote(path.as_str()),
        }
    }

    /// How messages name this program: `cargo xtask` or `prisma-guard`.
    pub fn display_name(&self) -> &'static str {
        match self {
            HookRunner::CargoXtask => "cargo xtask",
            HookRunner::Binary(_) => "prisma-guard",
        }
    }
}

/// The hook script: POSIX sh, marked with [`MARKER`]. It saves git's stdin, runs a kept
/// `pre-push.local` first with the same stdin and arguments (its failure fails the push), changes
/// into the project root (`project_subdir` below the work tree's top level), then runs
/// `runner`'s `pre-migrate --hook pre-push "$@"` — or `$XTASK_BIN pre-migrate --hook pre-push
/// "$@"` when `XTASK_BIN` names a built binary — with the same stdin.
pub fn script(project_subdir: &str, runner: &HookRunner) -> String {
    let run = runner.command();
    let cd_subdir = if project_subdir.is_empty() {
        String::new()
    } else {
        format!("cd {} || exit 1\n", sh_quote(project_subdir))
    };
    format!(
        r#"#!/bin/sh
{MARKER}
# Written by `prisma-guard hooks install`; `prisma-guard hooks uninstall` removes it.
# Blocks a push that edits or deletes a Prisma migration the remote already has, and snapshots
# the local database when migrations are pending. A hook that was here before is kept as
# {KEPT_HOOK} and runs first. Set XTASK_BIN to run another built binary instead.
input=$(cat)
feed() {{ if [ -n "$input" ]; then printf '%s\n' "$input"; fi; }}
kept="$(dirname "$0")/{KEPT_HOOK}"
if [ -x "$kept" ]; then
    feed | "$kept" "$@" || exit $?
fi
if [ -n "$GIT_DIR" ]; then GIT_DIR=$(cd "$GIT_DIR" && pwd) && export GIT_DIR; fi
cd "$(git rev-parse --show-toplevel)" || exit 1
{cd_subdir}if [ -n "$XTASK_BIN" ]; then
    feed | "$XTASK_BIN" pre-migrate --hook pre-push "$@"
else
    feed | {run} pre-migrate --hook pre-push "$@"
fi
"#
    )
}

fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Whether a hook file's text is ours.
pub fn is_ours(text: &str) -> bool {
    text.lines().any(|line| line.trim_end() == MARKER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_is_marked_and_changes_into_the_project() {
        let top = script("", &HookRunner::CargoXtask);
        assert!(top.contains("    feed | cargo xtask pre-migrate --hook pre-push \"$@\"\n"));
        assert!(is_ours(&top));
        assert!(top.starts_with("#!/bin/sh\n"));
        assert!(!top.contains("cd '"));
        let sub = script(
            "apps/it's",
            &HookRunner::Binary("/opt/my tools/prisma-guard".into()),
        );
        assert!(
            sub.contains(
                "    feed | '/opt/my tools/prisma-guard' pre-migrate --hook pre-push \"$@\"\n"
            ),
            "{sub}"
        );
        assert!(sub.contains("cd 'apps/it'\\''s' || exit 1\n"), "{sub}");
        assert!(!is_ours("#!/bin/sh\necho hi\n"));
    }
}
