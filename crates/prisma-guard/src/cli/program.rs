//! How the user runs this program, so that the commands our messages suggest can be pasted:
//! `cargo xtask restore …` in a cargo-xtask app, `prisma-guard restore …` with the installed
//! binary (a Node-only repository's `package.json` scripts).
//!
//! The engine names commands as `` `prisma-guard <command> …` ``; [`localize`] rewrites that to
//! `` `cargo xtask <command> …` `` when this process is an xtask.

use std::sync::OnceLock;

/// The binary name the engine's messages use.
pub const BINARY: &str = "prisma-guard";

/// `cargo xtask` when this executable is called `xtask` (the cargo-xtask convention), else
/// `prisma-guard`.
pub fn name() -> &'static str {
    static NAME: OnceLock<&'static str> = OnceLock::new();
    NAME.get_or_init(|| {
        let exe = std::env::current_exe().ok();
        let stem = exe.as_deref().and_then(std::path::Path::file_stem);
        if stem.is_some_and(|s| s == "xtask") {
            "cargo xtask"
        } else {
            BINARY
        }
    })
}

/// `text` with every `` `prisma-guard `` command quoted in it named as [`name`] runs it.
pub fn localize(text: &str) -> String {
    let name = name();
    if name == BINARY {
        text.to_string()
    } else {
        text.replace(&format!("`{BINARY} "), &format!("`{name} "))
    }
}

/// What the git hook should run: `cargo xtask` from an xtask, else this binary by its absolute
/// path.
pub fn hook_runner() -> crate::workflows::hooks::HookRunner {
    use crate::workflows::hooks::HookRunner;
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| camino::Utf8PathBuf::from_path_buf(p).ok());
    match exe {
        Some(exe) if name() == BINARY => HookRunner::Binary(exe),
        _ => HookRunner::CargoXtask,
    }
}
