//! Where the commands write: data to stdout, progress, warnings and questions to stderr. Every
//! write returns a `Result`, so a closed pipe (`prisma-guard status | head -3`) is an error the
//! command returns with `?` (unwinding its work as Ctrl-C does) and [`super::main`] turns into
//! exit code 141, as a process killed by SIGPIPE has; nothing panics.

use std::fmt::Display;
use std::io::Write;

use super::program;

/// The text with the commands it names localized ([`program::localize`]).
fn localize(text: impl Display) -> String {
    program::localize(&text.to_string())
}

/// Writing the output failed; its source is the I/O error (`BrokenPipe` for a closed pipe).
#[derive(Debug, thiserror::Error)]
#[error("writing the output")]
pub struct OutputError(#[source] pub std::io::Error);

impl OutputError {
    /// Whether the reader went away (`| head`): not worth a message.
    pub fn is_closed_pipe(&self) -> bool {
        self.0.kind() == std::io::ErrorKind::BrokenPipe
    }
}

/// The result of a write.
pub type Printed = Result<(), OutputError>;

/// Writes text to stdout and stderr; the only place the command line prints. Every text goes
/// through `program::localize`, so the commands it names are the ones the user runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Printer;

impl Printer {
    /// Writes `text` to stdout as is.
    pub fn out(&self, text: impl Display) -> Printed {
        write!(std::io::stdout().lock(), "{}", localize(text)).map_err(OutputError)
    }

    /// Writes `text` and a newline to stdout.
    pub fn line(&self, text: impl Display) -> Printed {
        writeln!(std::io::stdout().lock(), "{}", localize(text)).map_err(OutputError)
    }

    /// Writes `text` to stderr as is.
    pub fn err(&self, text: impl Display) -> Printed {
        write!(std::io::stderr().lock(), "{}", localize(text)).map_err(OutputError)
    }

    /// Writes `text` and a newline to stderr.
    pub fn err_line(&self, text: impl Display) -> Printed {
        writeln!(std::io::stderr().lock(), "{}", localize(text)).map_err(OutputError)
    }

    /// Writes each warning to stderr as `warning: …`.
    pub fn warn_all<T: Display>(&self, warnings: &[T]) -> Printed {
        warnings
            .iter()
            .try_for_each(|warning| self.err_line(format_args!("warning: {warning}")))
    }

    /// Flushes stdout, before a child process writes to the same stream.
    pub fn flush(&self) -> Printed {
        std::io::stdout().flush().map_err(OutputError)
    }
}
