//! Whether `pre-migrate` predicts: not over the configured size (`predict-max-bytes`), not when
//! the role cannot create the scratch database, not when the snapshot's history cannot be
//! rebuilt — each a note, never an error, since the snapshot is taken either way.

use serde::Serialize;

use super::{PredictError, PredictOptions, Prediction, predict};
use crate::database::DatabaseUrl;
use crate::project::Project;
use crate::snapshot::StoredSnapshot;

/// The default `predict-max-bytes`: 1 GiB of snapshot data (compressed, as the manifest counts
/// it).
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;

/// Why a prediction was not made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Skip {
    /// The snapshot's data files are bigger than `predict-max-bytes`.
    TooBig {
        /// The snapshot's data files, in bytes.
        bytes: u64,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The role may not create databases.
    CannotCreateDatabases,
    /// The snapshot's history cannot be rebuilt (the reason, in words).
    Impossible {
        /// Why.
        detail: String,
    },
}

/// [`Skip::TooBig`] when the data files of `snapshot` (sum of the manifest's table `bytes`)
/// exceed `limit` bytes; `0` never skips.
pub fn skip_reason(snapshot: &StoredSnapshot, limit: u64) -> Option<Skip> {
    let bytes: u64 = snapshot.manifest.tables.iter().map(|t| t.bytes).sum();
    (limit > 0 && bytes > limit).then_some(Skip::TooBig { bytes, limit })
}

/// What [`before_migrating`] did.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The prediction.
    Predicted(Box<Prediction>),
    /// Not predicted, and why.
    Skipped(Skip),
}

/// The prediction `pre-migrate` makes after its snapshot: skipped over the project's
/// `predict-max-bytes` ([`Project::predict_max_bytes`]), when the role cannot create databases,
/// or when the history cannot be rebuilt; else [`predict`].
///
/// Errors: those of [`predict`] but the two skipped ones.
pub async fn before_migrating(
    project: &Project,
    url: &DatabaseUrl,
    snapshot: &StoredSnapshot,
) -> Result<Outcome, PredictError> {
    if let Some(skip) = skip_reason(snapshot, project.predict_max_bytes()) {
        return Ok(Outcome::Skipped(skip));
    }
    let migrations_dir = project.migrations_dir();
    let options = PredictOptions {
        migrations_dir: &migrations_dir,
        statements: project.migration_statements(),
    };
    match predict(url, snapshot, &options).await {
        Ok(prediction) => Ok(Outcome::Predicted(Box::new(prediction))),
        Err(PredictError::CannotCreateDatabases) => {
            Ok(Outcome::Skipped(Skip::CannotCreateDatabases))
        }
        Err(PredictError::Impossible { reason, .. }) => {
            Ok(Outcome::Skipped(Skip::Impossible { detail: reason }))
        }
        Err(other) => Err(other),
    }
}
