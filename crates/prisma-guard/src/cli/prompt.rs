//! Questions on the terminal: the only place the command line asks.

use anyhow::Context;

/// Asks `question` on stderr, default No. Without a terminal (stdin or stderr not a TTY) it
/// refuses with a hint to pass `--yes`, so a script never hangs on a question and never goes
/// ahead unasked.
pub fn confirm(question: &str) -> anyhow::Result<bool> {
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
