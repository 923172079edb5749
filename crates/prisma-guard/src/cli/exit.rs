//! Exit codes, the same for every command (each command's `--help` lists those it uses).

/// Success.
pub const SUCCESS: u8 = 0;
/// An error or a refusal; nothing was changed.
pub const ERROR: u8 = 1;
/// `--check`: migrations are pending, nothing else is wrong.
pub const PENDING: u8 = 10;
/// `--check`: a migration is failed, edited or missing locally, or the histories diverge.
pub const PROBLEMS: u8 = 11;
/// `--check` of `predict`/`pre-migrate`: the pending migrations would lose data.
pub const DATA_LOSS: u8 = 12;
/// `--check` of `predict`/`pre-migrate`: a pending migration would fail on this data.
pub const WOULD_FAIL: u8 = 13;
/// stdout was closed by its reader (`| head`), as for a process killed by SIGPIPE (128 + 13).
pub const CLOSED_PIPE: u8 = 141;
/// Interrupted by SIGINT (Ctrl-C). Kept at 1, as before signals other than Ctrl-C were handled;
/// the shell convention (128 + 2) would be 130.
pub const INTERRUPTED: u8 = ERROR;
/// Stopped by SIGTERM (`kill`, `timeout`, a CI job cancelled): 128 + 15.
pub const TERMINATED: u8 = 143;
/// Stopped by SIGHUP (the terminal was closed): 128 + 1.
pub const HANGUP: u8 = 129;
